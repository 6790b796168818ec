#!/usr/bin/env python3
"""docs/openapi.yaml against the server: the same endpoints as bulwarkd's
route table (`bulwarkd --routes`), the same authentication, and live
responses (status and body) that the spec describes, for every route.

    test_openapi.py BULWARKD BULWARK_CLI SPEC
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bwtest as t  # noqa: E402

BULWARKD, CLI, SPEC = sys.argv[1:4]
try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml is not installed")
    sys.exit(t.SKIP)
t.need("ffmpeg")

with open(SPEC) as f:
    spec = yaml.safe_load(f)
METHODS = ("get", "post", "put", "patch", "delete")


def norm(path):
    return re.sub(r"\{[^}]*\}", "{}", path)


def spec_routes():
    out = {}
    for path, item in spec["paths"].items():
        for m in METHODS:
            if m in item:
                out[(m.upper(), norm(path))] = (path, item[m])
    return out


def server_routes():
    text = subprocess.run([BULWARKD, "--routes"], check=True, capture_output=True,
                          text=True).stdout
    return {(m, p): auth for m, p, auth in (line.split() for line in text.splitlines())}


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def validate(value, schema, where, errors):
    schema = resolve(schema)
    if value is None:
        if not schema.get("nullable") and schema.get("type"):
            errors.append("%s: null" % where)
        return
    for sub in schema.get("allOf", []):
        validate(value, sub, where, errors)
    if "oneOf" in schema:
        fits = []
        for sub in schema["oneOf"]:
            sub_errors = []
            validate(value, sub, where, sub_errors)
            fits.append(not sub_errors)
        if fits.count(True) != 1:
            errors.append("%s: fits %d of the oneOf schemas, not one" % (where, fits.count(True)))
    kind = schema.get("type")
    ok = {"object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
          "string": lambda v: isinstance(v, str),
          "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
          "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
          "boolean": lambda v: isinstance(v, bool)}
    if kind and not ok[kind](value):
        errors.append("%s: %r is not %s" % (where, value, kind))
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r not in %s" % (where, value, schema["enum"]))
    if "pattern" in schema and isinstance(value, str) and \
            not re.fullmatch(schema["pattern"].strip("^$"), value):
        errors.append("%s: %r does not match %s" % (where, value, schema["pattern"]))
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                errors.append("%s: missing %s" % (where, name))
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                validate(value[name], sub, "%s.%s" % (where, name), errors)
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            validate(v, schema["items"], "%s[%d]" % (where, i), errors)


def routes_agree():
    mine, theirs = spec_routes(), server_routes()
    t.check_eq(sorted(set(mine) - set(theirs)), [], "routes in the spec but not the server")
    t.check_eq(sorted(set(theirs) - set(mine)), [], "routes in the server but not the spec")
    for key, auth in theirs.items():
        if key in mine:
            open_in_spec = mine[key][1].get("security") == []
            t.check_eq(open_in_spec, auth == "open", "%s %s: authentication" % key)


DIR = t.workdir("bw-openapi-")
DB = os.path.join(DIR, "bank.db")
ADMIN = t.make_key(CLI, DB, "admin")
CLIENT = t.make_key(CLI, DB, "client")
srv = t.Server(BULWARKD, DB)
IMG = t.ffmpeg_image(os.path.join(DIR, "a.jpg"), "testsrc2", size="640x480")
VIDEO_PATH = os.path.join(DIR, "a.mp4")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", "-f", "lavfi", "-i",
                "mandelbrot=size=160x120:rate=10", "-t", "3", "-c:v", "libx264", VIDEO_PATH],
               check=True)
with open(VIDEO_PATH, "rb") as f:
    VIDEO = f.read()
PDQ = "f" * 64


def examples():
    """One request per route: (method, pattern, path, key, body, content type)."""
    img = (IMG, "image/jpeg")
    video = (VIDEO, "video/mp4")
    return [
        ("GET", "/healthz", "/healthz", None, None, None),
        ("GET", "/readyz", "/readyz", None, None, None),
        ("GET", "/metrics", "/metrics", ADMIN, None, None),
        ("POST", "/v1/banks", "/v1/banks", ADMIN, {"name": "spec", "kind": "block"}, None),
        ("GET", "/v1/banks", "/v1/banks", ADMIN, None, None),
        ("GET", "/v1/banks/{}", "/v1/banks/spec", ADMIN, None, None),
        ("PATCH", "/v1/banks/{}", "/v1/banks/spec", ADMIN,
         {"settings": {"content_signals": ["pdq", "pdq_regions", "md5"]}}, None),
        ("POST", "/v1/banks/{}/content", "/v1/banks/spec/content", ADMIN) + img,
        ("POST", "/v1/banks/{}/content", "/v1/banks/spec/content", ADMIN) + video,
        ("POST", "/v1/banks/{}/signals", "/v1/banks/spec/signals", ADMIN,
         {"type": "pdq", "value": PDQ, "metadata": {"case": 1}}, None),
        ("GET", "/v1/banks/{}/signals/{}", "/v1/banks/spec/signals/{sid}", ADMIN, None, None),
        ("PATCH", "/v1/banks/{}/signals/{}", "/v1/banks/spec/signals/{sid}", ADMIN,
         {"enabled": True}, None),
        ("POST", "/v1/banks/{}/import", "/v1/banks/spec/import", ADMIN,
         b"md5 00112233445566778899aabbccddeeff\n", "text/plain"),
        ("GET", "/v1/banks/{}/export", "/v1/banks/spec/export", ADMIN, None, None),
        ("POST", "/v1/hash", "/v1/hash", CLIENT) + img,
        ("POST", "/v1/match", "/v1/match", CLIENT) + img,
        # Videos on the same routes; the banked video matches itself.
        ("POST", "/v1/hash", "/v1/hash", CLIENT) + video,
        ("POST", "/v1/match", "/v1/match?compared_percent=50", CLIENT) + video,
        ("POST", "/v1/match", "/v1/match", CLIENT, VIDEO[:2000], "video/mp4"),
        ("POST", "/v1/match/hashes", "/v1/match/hashes", CLIENT,
         {"signals": [{"type": "pdq", "value": PDQ}]}, None),
        ("GET", "/v1/matches", "/v1/matches", ADMIN, None, None),
        ("GET", "/v1/matches/queue", "/v1/matches/queue", ADMIN, None, None),
        ("GET", "/v1/matches/{}", "/v1/matches/{eid}", ADMIN, None, None),
        ("POST", "/v1/matches/{}/review", "/v1/matches/{eid}/review", ADMIN,
         {"decision": "confirmed"}, None),
        # Review (docs/review.md): this server retains no media and names no
        # reporter, so media is 404 and the JSON report is the one it can write.
        ("GET", "/review", "/review", None, None, None),
        ("GET", "/review/{}", "/review/review.js", None, None, None),
        ("GET", "/v1/whoami", "/v1/whoami", CLIENT, None, None),
        ("GET", "/v1/matches/{}/media", "/v1/matches/{eid}/media", ADMIN, None, None),
        ("POST", "/v1/matches/{}/media/reveal", "/v1/matches/{eid}/media/reveal", ADMIN, None,
         None),
        ("GET", "/v1/reports/{}", "/v1/reports/{eid}?format=json", ADMIN, None, None),
        ("GET", "/v1/stats", "/v1/stats", ADMIN, None, None),
        ("GET", "/v1/stats/charts/{}", "/v1/stats/charts/matches.svg", ADMIN, None, None),
        ("GET", "/v1/quarantine", "/v1/quarantine", ADMIN, None, None),
        ("PATCH", "/v1/banks/{}/signals/{}", "/v1/banks/spec/signals/{sid}", ADMIN,
         {"quarantined": True, "reason": "test"}, None),
        ("POST", "/v1/quarantine/{}/release", "/v1/quarantine/{sid}/release", ADMIN, None,
         None),
        ("POST", "/v1/keys", "/v1/keys", ADMIN, {"role": "client", "name": "spec"}, None),
        ("GET", "/v1/keys", "/v1/keys", ADMIN, None, None),
        ("DELETE", "/v1/keys/{}", "/v1/keys/{kid}", ADMIN, None, None),
        ("GET", "/v1/audit", "/v1/audit", ADMIN, None, None),
        ("GET", "/v1/audit/verify", "/v1/audit/verify", ADMIN, None, None),
        ("GET", "/v1/webhooks/deliveries", "/v1/webhooks/deliveries", ADMIN, None, None),
        ("GET", "/v1/config", "/v1/config", ADMIN, None, None),
        ("DELETE", "/v1/banks/{}/signals/{}", "/v1/banks/spec/signals/{sid}", ADMIN, None,
         None),
        ("DELETE", "/v1/banks/{}", "/v1/banks/spec", ADMIN, None, None),
        ("POST", "/v1/device/check", "/v1/device/check", CLIENT, {"pdq": [PDQ]}, None),
        ("POST", "/v1/device/psm", "/v1/device/psm", CLIENT, {"blinded": [PDQ]}, None),
        ("POST", "/v1/device/self-reports", "/v1/device/self-reports", CLIENT,
         {"pdq": [PDQ]}, None),
        ("DELETE", "/v1/device/self-reports/{}", "/v1/device/self-reports/{case}", CLIENT,
         None, None, {"X-Withdrawal-Token": "{token}"}),
        # Errors have their documented shape too.
        ("GET", "/v1/banks/{}", "/v1/banks/missing", ADMIN, None, None),
        ("POST", "/v1/match/hashes", "/v1/match/hashes", CLIENT, {"signals": []}, None),
    ]


def live_responses():
    routes = spec_routes()
    seen, ids = set(), {}
    for method, pattern, path, key, body, ctype, *headers in examples():
        path = path.format(**ids)
        headers = {k: v.format(**ids) for k, v in headers[0].items()} if headers else None
        s, h, data, j = srv.request(method, path, key=key, body=body, ctype=ctype,
                                    headers=headers)
        seen.add((method, pattern))
        op = routes.get((method, pattern), (None, {}))[1]
        resp = op.get("responses", {}).get(str(s))
        if not t.check(resp is not None, "%s %s: status %d is documented" % (method, path, s)):
            continue
        resp = resolve(resp)
        content = resp.get("content", {})
        if "application/json" in content:
            errors = []
            t.check(j is not None, "%s %s: JSON body" % (method, path))
            validate(j, content["application/json"]["schema"], "%s %s" % (method, path),
                     errors)
            for e in errors:
                t.check(False, e)
        elif content:
            got = h.get("content-type", "").split(";")[0]
            t.check(got in content, "%s %s: content type %s documented" % (method, path, got))
        if isinstance(j, dict):
            if pattern == "/v1/banks/{}/signals" and "id" in j:
                ids["sid"] = j["id"]
            if pattern == "/v1/match" and "event_id" in j:
                ids["eid"] = j["event_id"]
            if pattern == "/v1/keys" and method == "POST":
                ids["kid"] = j["id"]
            if pattern == "/v1/device/self-reports" and "case" in j:
                ids["case"], ids["token"] = j["case"], j["withdrawal_token"]
    missing = sorted(set(spec_routes()) - seen)
    t.check_eq(missing, [], "every route exercised")


try:
    t.run("routes_agree", routes_agree)
    t.run("live_responses", live_responses)
finally:
    srv.stop()
    if not t.failures:
        t.remove(DIR)
t.finish()

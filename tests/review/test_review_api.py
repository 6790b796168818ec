#!/usr/bin/env python3
"""The review service end to end with a real bulwarkd on loopback: who may
see what (every review endpoint against every role), the page's security
headers, media retained only when configured and only sealed at rest,
reports checked against the committed schema with xmllint and against
`bulwark report export`, statistics, and the retention sweep.

    test_review_api.py BULWARKD BULWARK_CLI SOURCE_DIR
"""

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import review_server as t  # noqa: E402

BULWARKD, CLI, SOURCE = sys.argv[1:4]
GOLDEN = os.path.join(SOURCE, "tests", "data", "golden")
XSD = os.path.join(SOURCE, "docs", "schemas", "cybertipline-report.xsd")
if not shutil.which("xmllint"):
    print("SKIP: xmllint not found (Debian package libxml2-utils)")
    sys.exit(t.SKIP)

setup = t.Setup(CLI, GOLDEN, ["jpeg-420.jpg", "png-wide.png"])
K = setup.keys
srv = t.Server(BULWARKD, setup)
CONTEXT = '{"user_id":"user-1234","user_name":"sample_user","ip":"192.0.2.44",' \
          '"file_name":"holiday.jpg","service":"photos","upload_id":"up-9"}'


def upload(server, name, context=CONTEXT):
    return server.json("POST", "/v1/match", K["client"], setup.read(name),
                       {"Content-Type": "application/octet-stream",
                        "X-Bulwark-Context": context})


def sealed_files():
    return sorted(os.listdir(setup.media)) if os.path.isdir(setup.media) else []


def page_and_headers():
    status, h, body = srv.request("GET", "/review")
    t.check_eq(status, 200, "the page is served without a key")
    t.check(b"<script src=\"/review/review.js\"" in body and b"<script>" not in body,
            "the page has no inline script")
    csp = h.get("content-security-policy", "")
    for part in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'",
                 "form-action 'none'", "img-src 'self' blob:"):
        t.check(part in csp, "page CSP has " + part)
    t.check("unsafe-inline" not in csp and "unsafe-eval" not in csp, "page CSP allows no inline")
    t.check_eq(h.get("x-frame-options"), "DENY", "page X-Frame-Options")
    for name, kind in (("review.js", "text/javascript"), ("review.css", "text/css")):
        status, h, _ = srv.request("GET", "/review/" + name)
        t.check(status == 200 and h.get("content-type", "").startswith(kind), name)
    for bad in ("/review/nope.js", "/review/..%2Fbulwarkd.h", "/review/../v1/stats"):
        status, _, _ = srv.request("GET", bad)
        t.check(status in (401, 404), "no file at %s (%d)" % (bad, status))
    status, h, _ = srv.request("GET", "/v1/stats", K["reviewer"])
    t.check_eq(h.get("x-frame-options"), "DENY", "API answers are never framed either")
    t.check("frame-ancestors 'none'" in h.get("content-security-policy", ""), "API CSP")
    t.check("access-control-allow-origin" not in h, "no CORS: other sites cannot read answers")
    status, h, _ = srv.request("OPTIONS", "/v1/stats", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    t.check(status >= 400 and "access-control-allow-origin" not in h,
            "a cross-site preflight is refused (%d)" % status)


def roles():
    # Every review route, for no key, a client key, a reviewer and an admin.
    routes = [("GET", "/v1/matches/1/media"), ("POST", "/v1/matches/1/media/reveal"),
              ("GET", "/v1/reports/1?format=ncmec"), ("GET", "/v1/stats"),
              ("GET", "/v1/stats?format=csv"), ("GET", "/v1/stats/charts/matches.svg"),
              ("GET", "/v1/matches/queue"), ("GET", "/v1/audit")]
    for method, path in routes:
        status, _, _ = srv.request(method, path)
        t.check_eq(status, 401, "%s %s without a key" % (method, path))
        status, _, body = srv.request(method, path, K["client"])
        t.check_eq(status, 403, "%s %s with a client key" % (method, path))
        t.check(b"jpeg" not in body and b"\xff\xd8" not in body, "no media to a client")
    status, me = srv.json("GET", "/v1/whoami", K["client"])
    t.check(status == 200 and me["role"] == "client", "whoami for a client")
    status, me = srv.json("GET", "/v1/whoami", K["reviewer"])
    t.check(status == 200 and me["role"] == "reviewer" and me["media_retained"] is True
            and me["key_id"] == setup.key_ids["reviewer"], "whoami for a reviewer")
    status, _, _ = srv.request("GET", "/v1/audit", K["reviewer"])
    t.check_eq(status, 403, "the audit log is for admins")


def media():
    status, body = upload(srv, "jpeg-420.jpg")
    t.check(status == 200 and body.get("event_id") == 1 and body["actionable"], "match 1")
    status, body = upload(srv, "png-wide.png")
    t.check(status == 200 and body.get("event_id") == 2, "match 2")
    files = sealed_files()
    t.check_eq(len(files), 2, "one sealed file per match")
    original = setup.read("jpeg-420.jpg")
    for name in files:
        path = os.path.join(setup.media, name)
        t.check_eq(stat.S_IMODE(os.stat(path).st_mode), 0o600, "sealed file mode")
        with open(path, "rb") as f:
            at_rest = f.read()
        t.check(original[1000:1064] not in at_rest and original[:16] not in at_rest,
                "no plaintext at rest")
    status, _ = upload(srv, "jpeg-64x64.jpg")
    t.check_eq(len(sealed_files()), 2, "a non-matching upload leaves nothing")
    status, h, data = srv.request("GET", "/v1/matches/1/media", K["reviewer"])
    t.check(status == 200 and data == original, "the reviewer gets the upload back")
    t.check_eq(h.get("content-type"), "image/jpeg", "media type from sniffing")
    t.check_eq(h.get("content-disposition"), "attachment", "never rendered inline")
    t.check("sandbox" in h.get("content-security-policy", ""), "media answer is sandboxed")
    t.check_eq(h.get("cache-control"), "no-store", "media is not cached")
    status, _, _ = srv.request("GET", "/v1/matches/99/media", K["admin"])
    t.check_eq(status, 404, "no media for an unknown match")
    status, _, _ = srv.request("POST", "/v1/matches/1/media/reveal", K["reviewer"])
    t.check_eq(status, 204, "a reveal is recorded")


def reports():
    status, body = srv.json("GET", "/v1/reports/1", K["reviewer"])
    t.check(status == 409 and body["error"]["code"] == "not_confirmed", "pending: no report")
    status, _ = srv.json("POST", "/v1/matches/1/review", K["reviewer"],
                         {"decision": "confirmed", "note": "seen"})
    t.check_eq(status, 200, "confirmed")
    status, h, xml = srv.request("GET", "/v1/reports/1?format=ncmec", K["reviewer"])
    t.check(status == 200 and h.get("content-type", "").startswith("application/xml"), "xml")
    path = os.path.join(setup.dir, "report.xml")
    with open(path, "wb") as f:
        f.write(xml)
    lint = subprocess.run(["xmllint", "--noout", "--schema", XSD, path], capture_output=True,
                          text=True)
    t.check(lint.returncode == 0, "the report validates: " + lint.stderr.strip())
    root = ET.fromstring(xml)
    t.check_eq(root.findtext("report/personOrUserReported/espIdentifier"), "user-1234", "user")
    t.check_eq(root.findtext("report/personOrUserReported/screenName"), "sample_user", "name")
    t.check_eq(root.findtext("report/personOrUserReported/ipCaptureEvent/ipAddress"),
               "192.0.2.44", "ip")
    t.check_eq(root.findtext("fileDetails/originalFileName"), "holiday.jpg", "file name")
    t.check_eq(root.findtext("fileDetails/fileViewedByEsp"), "true", "revealed = viewed")
    hashes = {e.get("hashType"): e.text for e in root.findall("fileDetails/originalFileHash")}
    import hashlib
    t.check_eq(hashes.get("MD5"), hashlib.md5(setup.read("jpeg-420.jpg")).hexdigest(), "md5")
    t.check("upload_id: up-9" in root.findtext("report/personOrUserReported/additionalInfo"),
            "other context fields are passed on")
    cli = subprocess.run([CLI, "report", "export", "1", "--db", setup.db, "--reporter",
                          setup.reporter], capture_output=True)
    strip = lambda b: b.split(b"\n", 2)[2]  # noqa: E731 (the envelope line has the time)
    t.check(cli.returncode == 0 and strip(cli.stdout) == strip(xml), "CLI export = service")
    status, h, js = srv.request("GET", "/v1/reports/1?format=json", K["admin"])
    import json
    report = json.loads(js)
    t.check(status == 200 and report["reported_user"]["user_id"] == "user-1234" and
            report["incident"]["reviewer_key"] == setup.key_ids["reviewer"], "json report")
    status, _, _ = srv.request("GET", "/v1/reports/1?format=pdf", K["reviewer"])
    t.check_eq(status, 400, "unknown format")
    status, audit = srv.json("GET", "/v1/audit?limit=1000", K["admin"])
    actions = [(e["action"], e["subject"], e["actor"]) for e in audit["entries"]]
    rid = setup.key_ids["reviewer"]
    for want in (("review.confirmed", "event:1", rid), ("media.view", "event:1", rid),
                 ("media.reveal", "event:1", rid), ("report.export", "event:1", rid),
                 ("report.export", "event:1", setup.key_ids["admin"])):
        t.check(want in actions, "audited: %r" % (want,))


def stats():
    status, _ = srv.json("POST", "/v1/matches/2/review", K["reviewer"],
                         {"decision": "false_positive"})
    t.check_eq(status, 200, "false positive")
    t.check_eq(len(sealed_files()), 2, "decisions keep media until retention ends")
    status, body = upload(srv, "png-wide.png")
    t.check(status == 200 and not body["actionable"] and "event_id" not in body,
            "the false positive is allow-listed now")
    t.check_eq(len(sealed_files()), 2, "an allow-listed upload is not retained")
    status, s = srv.json("GET", "/v1/stats", K["reviewer"])
    t.check(status == 200, "stats")
    t.check_eq(s["matches"], 2, "matches")
    t.check_eq((s["status"]["confirmed"], s["status"]["false_positive"]), (1, 1), "outcomes")
    t.check_eq(s["false_positive_rate"], 0.5, "false-positive rate")
    t.check(s["median_review_seconds"] is not None and s["median_review_seconds"] >= 0, "median")
    t.check_eq(s["self_reports"], {"received": 0, "withdrawn": 0}, "self-reports")
    t.check_eq(sum(d["matches"] for d in s["days"] if d["bank"] == "known"), 2, "per day/bank")
    status, h, csv = srv.request("GET", "/v1/stats?format=csv", K["reviewer"])
    lines = csv.decode().splitlines()
    t.check(status == 200 and lines[0].startswith("date,bank,matches,") and
            lines[1].endswith(",known,2,0,1,1,0,0"), "csv: %r" % lines[:2])
    for chart in ("matches.svg", "outcomes.svg"):
        status, h, svg = srv.request("GET", "/v1/stats/charts/" + chart, K["reviewer"])
        t.check(status == 200 and h.get("content-type") == "image/svg+xml", chart)
        root = ET.fromstring(svg)
        t.check(root.tag.endswith("svg") and not root.findall(".//{*}script"), chart + " parses")
    t.check(b"False-positive rate: 50.0 %" in svg, "outcomes chart shows the rate")
    for bad in ("from=2024-02-31", "from=yesterday", "from=2024-03-01&to=2024-02-01",
                "from=2000-01-01&to=2024-01-01"):
        status, _, _ = srv.request("GET", "/v1/stats?" + bad, K["reviewer"])
        t.check_eq(status, 400, "stats period " + bad)


def retention():
    global srv
    t.check_eq(srv.stop(), 0, "clean exit")
    # Match 1 was recorded 31 days ago: past its retention of 30 days.
    db = sqlite3.connect(setup.db)
    db.execute("UPDATE match_events SET at = at - 31 * 86400 WHERE id = 1")
    db.commit()
    db.close()
    srv = t.Server(BULWARKD, setup)
    deadline = time.time() + 30
    while len(sealed_files()) != 1 and time.time() < deadline:
        time.sleep(0.1)
    t.check_eq(len(sealed_files()), 1, "the expired file is deleted at start-up")
    status, _, _ = srv.request("GET", "/v1/matches/1/media", K["reviewer"])
    t.check_eq(status, 404, "expired media is gone")
    status, _, _ = srv.request("GET", "/v1/matches/2/media", K["reviewer"])
    t.check_eq(status, 200, "media inside its period stays")
    status, audit = srv.json("GET", "/v1/audit?limit=1000", K["admin"])
    t.check(any(e["action"] == "media.expire" and e["subject"] == "event:1"
                for e in audit["entries"]), "expiry audited")
    status, v = srv.json("GET", "/v1/audit/verify", K["admin"])
    t.check(v and v.get("ok"), "the audit chain is intact")


def off_by_default():
    global srv
    t.check_eq(srv.stop(), 0, "clean exit")
    shutil.rmtree(setup.media)
    srv = t.Server(BULWARKD, setup, retain=False, reporter=False)
    status, body = upload(srv, "jpeg-420.jpg")
    t.check(status == 200 and body.get("event_id"), "still recorded")
    t.check(not os.path.exists(setup.media), "nothing retained without retain_media")
    status, _, _ = srv.request("GET", "/v1/matches/%d/media" % body["event_id"], K["reviewer"])
    t.check_eq(status, 404, "no media endpoint content")
    status, me = srv.json("GET", "/v1/whoami", K["reviewer"])
    t.check(me["media_retained"] is False, "whoami says no media is retained")
    status, body = srv.json("GET", "/v1/reports/1?format=ncmec", K["reviewer"])
    t.check(status == 503 and body["error"]["code"] == "reporter_not_configured",
            "an NCMEC report needs a reporter")


try:
    t.run("page_and_headers", page_and_headers)
    t.run("roles", roles)
    t.run("media", media)
    t.run("reports", reports)
    t.run("stats", stats)
    t.run("retention", retention)
    t.run("off_by_default", off_by_default)
finally:
    t.check_eq(srv.stop(), 0, "clean exit")
    if not t.failures:
        shutil.rmtree(setup.dir, ignore_errors=True)
    else:
        print("kept " + setup.dir, file=sys.stderr)
t.finish()

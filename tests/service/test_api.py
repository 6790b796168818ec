#!/usr/bin/env python3
"""bulwarkd end to end, as a platform would drive it: keys and roles, banks
and signals, uploads of images and of edited copies, hash batches, reviews,
the audit log, webhooks, limits and bad input, metrics, and a graceful
shutdown. A real bulwarkd on loopback with a SQLite store.

    test_api.py BULWARKD BULWARK_CLI
"""

import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bwtest as t  # noqa: E402

BULWARKD, CLI = sys.argv[1], sys.argv[2]
t.need("ffmpeg")
DIR = t.workdir("bw-api-")
DB = os.path.join(DIR, "bank.db")
SECRET = "webhook-secret-for-tests"


class Hooks(http.server.BaseHTTPRequestHandler):
    """A platform's webhook endpoint: fails each delivery's first attempt."""
    received = []
    attempts = {}

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        delivery = self.headers.get("X-Bulwark-Delivery")
        n = Hooks.attempts.get(delivery, 0) + 1
        Hooks.attempts[delivery] = n
        Hooks.received.append((dict(self.headers), body, n))
        self.send_response(500 if n == 1 else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


hooks = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
threading.Thread(target=hooks.serve_forever, daemon=True).start()

ADMIN = t.make_key(CLI, DB, "admin", name="ops")
REVIEWER = t.make_key(CLI, DB, "reviewer", name="alice")
CLIENT = t.make_key(CLI, DB, "client", name="app")
LIMITED = t.make_key(CLI, DB, "client", rate=6, name="slow-app")
srv = t.Server(BULWARKD, DB, "--webhook-url", "http://127.0.0.1:%d/hook" % hooks.server_port,
               "--webhook-secret", SECRET, "--refresh-ms", "100", "--max-media-bytes", "8M",
               "--batch-max", "50")
req = srv.request


def key_id(key):
    out = subprocess.run([CLI, "key", "list", "--db", DB, "--json"], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        k = json.loads(line)
        if key.startswith(k["prefix"]):
            return k["id"]
    return None


# Benign synthetic images: A is banked, B unrelated; edits of A are what a
# platform sees when someone re-shares it.
IMG = {}
IMG["a"] = t.ffmpeg_image(os.path.join(DIR, "a.jpg"), "testsrc2", size="800x600", quality=3)
IMG["b"] = t.ffmpeg_image(os.path.join(DIR, "b.jpg"), "mandelbrot", size="640x480", quality=3)
# Banked only for a while, by the settings test.
IMG["c"] = t.ffmpeg_image(os.path.join(DIR, "c.jpg"), "cellauto=seed=7:size=480x360", quality=3)
A_PATH = os.path.join(DIR, "a.jpg")
EDITS = {
    "half size": t.ffmpeg_edit(A_PATH, os.path.join(DIR, "a-half.jpg"), "scale=400:300"),
    "re-encoded": t.ffmpeg_edit(A_PATH, os.path.join(DIR, "a-q25.jpg"), quality=25),
    "as png": t.ffmpeg_edit(A_PATH, os.path.join(DIR, "a.png")),
    "brightened": t.ffmpeg_edit(A_PATH, os.path.join(DIR, "a-bright.jpg"),
                                "eq=brightness=0.06:contrast=1.1"),
}
MIRRORED = t.ffmpeg_edit(A_PATH, os.path.join(DIR, "a-flip.jpg"), "hflip")
# Letterboxed (black bars above and below): standard matching, the default,
# finds it by its content box; plain and dihedral matching do not.
LETTERBOXED = t.ffmpeg_edit(A_PATH, os.path.join(DIR, "a-letterbox.jpg"),
                            "pad=iw:ih*1.5:0:(oh-ih)/2:color=black")
# Turned by 5 degrees on a white canvas (as an editor turns a photo to
# straighten it): standard matching turns it back; dihedral matching does not.
TILTED = t.ffmpeg_edit(A_PATH, os.path.join(DIR, "a-tilted.jpg"),
                       "rotate=5*PI/180:ow=rotw(5*PI/180):oh=roth(5*PI/180):c=white")
# Framed in a wide white border and mirrored: only robust matching finds it
# (standard matching hashes content boxes upright only).
FRAMED = t.ffmpeg_edit(A_PATH, os.path.join(DIR, "a-framed.jpg"),
                       "pad=iw*1.4:ih*1.4:(ow-iw)/2:(oh-ih)/2:color=white,hflip")


def health():
    s, h, _, j = req("GET", "/healthz")
    t.check_eq((s, j), (200, {"status": "ok"}), "healthz without a key")
    s, _, _, j = req("GET", "/readyz")
    t.check_eq(s, 200, "readyz")
    t.check("index_signals" in (j or {}), "readyz reports the index")


def auth():
    s, h, _, j = req("GET", "/v1/banks")
    t.check_eq(s, 401, "no key")
    t.check_eq(j["error"]["code"], "unauthorized", "no key: code")
    t.check("bearer" in h.get("www-authenticate", "").lower(), "no key: WWW-Authenticate")
    s, _, _, j = req("GET", "/v1/banks", key="bwk_" + "A" * 43)
    t.check_eq(s, 401, "unknown key")
    s, _, _, _ = req("GET", "/v1/banks", key="not-a-key")
    t.check_eq(s, 401, "malformed key")
    s, _, _, j = req("GET", "/v1/banks", key=CLIENT)
    t.check_eq(s, 403, "client key on banks")
    t.check_eq(j["error"]["code"], "forbidden", "client key: code")
    s, _, _, _ = req("POST", "/v1/banks", key=REVIEWER, body={"name": "x"})
    t.check_eq(s, 403, "reviewer key creating a bank")
    s, _, _, _ = req("GET", "/v1/keys", key=REVIEWER)
    t.check_eq(s, 403, "reviewer key listing keys")
    # A key made and revoked through the API stops working at once.
    s, h, _, j = req("POST", "/v1/keys", key=ADMIN, body={"role": "client", "name": "tmp"})
    t.check_eq(s, 201, "key created through the API")
    tmp, tmp_id = j["key"], j["id"]
    t.check_eq(req("POST", "/v1/match/hashes", key=tmp,
                   body={"signals": [{"type": "md5", "value": "0" * 32}]})[0], 200,
               "new key works")
    t.check_eq(req("DELETE", "/v1/keys/%d" % tmp_id, key=ADMIN)[0], 204, "key revoked")
    t.check_eq(req("POST", "/v1/match/hashes", key=tmp,
                   body={"signals": [{"type": "md5", "value": "0" * 32}]})[0], 401,
               "revoked key refused at once")
    s, _, _, j = req("GET", "/v1/keys", key=ADMIN)
    t.check(all("key" not in k for k in j["keys"]), "key list shows no secrets")


def banks():
    s, h, _, j = req("POST", "/v1/banks", key=ADMIN, body={"name": "known", "kind": "block"})
    t.check_eq(s, 201, "create block bank")
    t.check_eq(h.get("location"), "/v1/banks/known", "Location of the bank")
    s, _, _, j = req("POST", "/v1/banks", key=ADMIN, body={"name": "known"})
    t.check_eq((s, j["error"]["code"]), (409, "exists"), "duplicate bank")
    s, _, _, j = req("POST", "/v1/banks", key=ADMIN, body={"name": "bad name!"})
    t.check_eq((s, j["error"]["code"]), (422, "parse"), "invalid bank name")
    t.check_eq(req("POST", "/v1/banks", key=ADMIN, body={"name": "x", "kind": "maybe"})[0],
               422, "invalid kind")
    t.check_eq(req("POST", "/v1/banks", key=ADMIN, body={"name": "benign", "kind": "allow"})[0],
               201, "create allow bank")
    s, _, _, j = req("GET", "/v1/banks", key=REVIEWER)
    t.check_eq(sorted(b["name"] for b in j["banks"]), ["benign", "known"], "bank list")
    t.check_eq(req("GET", "/v1/banks/nope", key=ADMIN)[0], 404, "missing bank")
    s, _, _, j = req("POST", "/v1/banks/known/content", key=ADMIN, body=IMG["a"],
                     ctype="image/jpeg", headers={"X-Bulwark-Metadata": '{"case":"T-1"}'})
    t.check_eq(s, 201, "bank an image by content")
    added = [x for x in j["signals"] if x["added"]]
    t.check_eq(sorted({x["type"] for x in added}), ["md5", "pdq", "sha1", "sha256"],
               "content yields every signal")
    # The bank's default settings: the whole image first, then its crop
    # regions (this picture has no border), then the digests.
    t.check_eq((added[0]["type"], added[0]["part"]), ("pdq", "whole"), "whole image first")
    regions = [x for x in added if x.get("part") == "region"]
    t.check(len(regions) > 60 and all(x.get("region") for x in regions),
            "crop regions banked: %d" % len(regions))
    t.check(all(30 <= x.get("quality", -1) <= 100 for x in regions),
            "each region with its quality, 30 or more")
    t.check_eq(sorted(x["type"] for x in added if x["part"] == "file"),
               ["md5", "sha1", "sha256"], "digests of the file")
    s, _, _, j = req("POST", "/v1/banks/known/content", key=ADMIN, body=IMG["a"],
                     ctype="image/jpeg")
    t.check(all(not x["added"] for x in j["signals"]) and len(j["signals"]) == len(added),
            "banking the same image again adds nothing")
    s, _, _, j = req("GET", "/v1/banks/known", key=ADMIN)
    t.check_eq(j["signal_count"], len(added), "bank counts")


def bank_settings():
    """Settings decide what banking a file stores, through the API as in the CLI."""
    s, _, _, j = req("POST", "/v1/banks", key=ADMIN,
                     body={"name": "thumbs", "settings": {"content_signals": ["pdq"]}})
    t.check_eq((s, j.get("settings")), (201, {"content_signals": ["pdq"]}),
               "bank created with settings")
    s, _, _, j = req("POST", "/v1/banks/thumbs/content", key=ADMIN, body=IMG["c"],
                     ctype="image/jpeg")
    t.check_eq((s, [(x["type"], x["part"]) for x in j["signals"]]), (201, [("pdq", "whole")]),
               "only what the settings ask for")
    s, _, _, j = req("PATCH", "/v1/banks/thumbs", key=ADMIN,
                     body={"settings": {"content_signals": ["pdq", "crc32"]}})
    t.check(s == 422 and "crc32" in j["error"]["message"], "unknown signal refused: %r" % (j,))
    # The message quotes what was sent; printf directives in it stay text
    # (they were once passed to bwd_error as its format).
    directives = "%s%s%s%s%n%n%x%99999999d"
    for method, path, body in (
            ("PATCH", "/v1/banks/thumbs", {"settings": {"content_signals": [directives]}}),
            ("POST", "/v1/banks", {"name": "fmt", "settings": {"content_signals": [directives]}})):
        s, _, _, j = req(method, path, key=ADMIN, body=body)
        t.check(s == 422 and directives in j["error"]["message"],
                "%s %s: directives quoted back as text: %r" % (method, path, j))
    t.check_eq(req("GET", "/healthz")[0], 200, "and the server still serves")
    s, _, _, j = req("PATCH", "/v1/banks/thumbs", key=ADMIN, body={"settings": [1]})
    t.check_eq(s, 422, "settings must be an object")
    s, _, _, j = req("GET", "/v1/banks/thumbs", key=REVIEWER)
    t.check_eq(j["settings"], {"content_signals": ["pdq"]}, "refused settings change nothing")
    s, _, _, j = req("PATCH", "/v1/banks/thumbs", key=ADMIN, body={"settings": None})
    t.check_eq((s, j.get("settings")), (200, {}), "null goes back to the defaults")
    s, _, _, j = req("POST", "/v1/banks/thumbs/content", key=ADMIN, body=IMG["c"],
                     ctype="image/jpeg")
    parts = {x["part"] for x in j["signals"] if x["added"]}
    t.check(s == 201 and "region" in parts and "file" in parts,
            "the defaults add regions and digests: %r" % (parts,))
    t.check_eq(req("PATCH", "/v1/banks/nope", key=ADMIN, body={"settings": {}})[0], 404,
               "settings of a missing bank")
    t.check_eq(req("PATCH", "/v1/banks/thumbs", key=CLIENT, body={"settings": {}})[0], 403,
               "settings are for admins")
    s, _, _, j = req("POST", "/v1/banks", key=ADMIN,
                     body={"name": "halfmade", "settings": {"content_signals": "pdq"}})
    t.check_eq(s, 422, "a bank with bad settings is refused")
    t.check_eq(req("GET", "/v1/banks/halfmade", key=ADMIN)[0], 404, "and not left behind")
    t.check_eq(req("DELETE", "/v1/banks/thumbs", key=ADMIN)[0], 204, "drop the bank")


def hash_matches_cli():
    s, _, _, j = req("POST", "/v1/hash", key=CLIENT, body=IMG["a"], ctype="image/jpeg")
    t.check_eq(s, 200, "hash an upload")
    out = subprocess.run([CLI, "hash", "--format", "json", "--algo", "pdq,md5,sha1,sha256",
                          A_PATH], check=True, capture_output=True, text=True).stdout
    cli = json.loads(out.splitlines()[0])
    t.check_eq(j["pdq"], cli["pdq"], "service and CLI agree on PDQ and quality")
    t.check_eq((j["md5"], j["sha1"], j["sha256"]), (cli["md5"], cli["sha1"], cli["sha256"]),
               "service and CLI agree on digests")
    t.check_eq(j["sha256"], hashlib.sha256(IMG["a"]).hexdigest(), "sha256 of the body")
    s, _, _, j = req("POST", "/v1/hash?dihedral=1", key=CLIENT, body=IMG["a"],
                     ctype="image/jpeg")
    t.check_eq(len(j.get("pdq_dihedral", {})), 8, "dihedral hashes on request")


def uploads():
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=IMG["a"], ctype="image/jpeg")
    t.check_eq(s, 200, "match the banked image")
    t.check(j["actionable"], "banked image is actionable")
    got = {m["signal_type"]: m for m in reversed(j["matches"])}  # the closest of each type
    t.check_eq(sorted(got), ["md5", "pdq", "sha1", "sha256"], "every signal matches")
    t.check_eq(got["pdq"]["distance"], 0, "PDQ distance 0")
    t.check_eq(got["pdq"]["bank"], "known", "bank named")
    meta = got["pdq"]["metadata"]
    t.check_eq((meta.get("case"), meta.get("part")), ("T-1", "whole"), "metadata returned")
    t.check("event_id" in j, "match recorded")
    body, ctype = t.multipart([("file", "a.jpg", "image/jpeg", IMG["a"]),
                               ("context", None, None, b'{"user":"u-17","upload":"p-9"}')])
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=body, ctype=ctype)
    t.check_eq(s, 200, "multipart upload")
    t.check(j["actionable"], "multipart upload matches")
    s, _, _, ev = req("GET", "/v1/matches/%d" % j["event_id"], key=REVIEWER)
    t.check_eq(ev["context"], {"user": "u-17", "upload": "p-9"}, "context kept with the match")
    t.check_eq(ev["status"], "pending", "match queued for review")
    for name, data in EDITS.items():
        s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=data,
                         ctype="image/png" if name == "as png" else "image/jpeg")
        pdq = [m for m in j.get("matches", []) if m["signal_type"] == "pdq"]
        t.check(s == 200 and pdq and pdq[0]["distance"] <= 31 and j["actionable"],
                "edited copy (%s) matches: %s" % (name, pdq[0]["distance"] if pdq else None))
        t.check(not [m for m in j["matches"] if m["signal_type"] == "md5"],
                "edited copy (%s) is no exact match" % name)
    for how in ("?mode=plain", "?dihedral=0"):
        s, _, _, j = req("POST", "/v1/match" + how, key=CLIENT, body=MIRRORED,
                         ctype="image/jpeg")
        t.check(s == 200 and not j["actionable"], "a mirrored copy is missed with " + how)
    for how in ("", "?dihedral=1", "?mode=dihedral"):
        s, _, _, j = req("POST", "/v1/match" + how, key=CLIENT, body=MIRRORED,
                         ctype="image/jpeg")
        # The query is mirrored back pixel by pixel, so only the re-encoding
        # separates it from the original (the reference's DCT-derived variant
        # lies 10-20 bits away).
        t.check(s == 200 and j["actionable"] and j["matches"][0].get("transform") == "flipy"
                and j["matches"][0]["distance"] <= 8,
                "mirrored copy matches closely with %r (dihedral is the default): %r"
                % (how, j["matches"][:1]))
    plain = t.Server(BULWARKD, DB, "--match-mode", "plain")
    try:
        s, _, _, j = plain.request("POST", "/v1/match", key=CLIENT, body=MIRRORED,
                                   ctype="image/jpeg")
        t.check(s == 200 and not j["actionable"], "match_mode = plain: the mirror is missed")
        s, _, _, j = plain.request("POST", "/v1/match?mode=dihedral", key=CLIENT,
                                   body=MIRRORED, ctype="image/jpeg")
        t.check(s == 200 and j["actionable"], "match_mode = plain: ?mode=dihedral still finds it")
    finally:
        plain.stop()
    for how in ("?mode=plain", "?mode=dihedral", "?dihedral=1"):
        s, _, _, j = req("POST", "/v1/match" + how, key=CLIENT, body=LETTERBOXED,
                         ctype="image/jpeg")
        t.check(s == 200 and not j["actionable"], "a letterboxed copy is missed with " + how)
    for how in ("", "?mode=standard"):
        s, _, _, j = req("POST", "/v1/match" + how, key=CLIENT, body=LETTERBOXED,
                         ctype="image/jpeg")
        pdq = [m for m in j.get("matches", []) if m["signal_type"] == "pdq"]
        t.check(s == 200 and j["actionable"] and pdq and pdq[0]["distance"] <= 16
                and pdq[0].get("query_part", "").startswith("content")
                and pdq[0].get("transform", "original") == "original",
                "letterboxed copy matches by its content with %r (standard is the default): %r"
                % (how, pdq[:1]))
    s, _, _, j = req("POST", "/v1/match?mode=dihedral", key=CLIENT, body=TILTED,
                     ctype="image/jpeg")
    t.check(s == 200 and not j["actionable"], "a tilted copy is missed in dihedral mode")
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=TILTED, ctype="image/jpeg")
    pdq = [m for m in j.get("matches", []) if m["signal_type"] == "pdq"]
    t.check(s == 200 and j["actionable"] and pdq and pdq[0]["distance"] <= 16
            and pdq[0].get("query_part") == "unrotated",
            "a tilted copy matches turned back (standard, the default): %r" % (pdq[:1],))
    for mode in ("plain", "dihedral", "standard"):
        s, _, _, j = req("POST", "/v1/match?mode=" + mode, key=CLIENT, body=FRAMED,
                         ctype="image/jpeg")
        t.check(s == 200 and not j["actionable"], "a framed mirror is missed in %s mode" % mode)
    s, _, _, j = req("POST", "/v1/match?mode=robust", key=CLIENT, body=FRAMED, ctype="image/jpeg")
    pdq = [m for m in j.get("matches", []) if m["signal_type"] == "pdq"]
    t.check(s == 200 and j["actionable"] and pdq
            and pdq[0].get("query_part") in ("content", "content-picture")
            and pdq[0].get("transform") in ("flipx", "flipy"),
            "robust mode finds the framed mirror by its content: %r" % (pdq,))
    s, _, _, j = req("POST", "/v1/match?mode=robust", key=CLIENT, body=IMG["b"],
                     ctype="image/jpeg")
    t.check_eq((s, j["matches"]), (200, []), "robust mode: the unrelated image stays unmatched")
    s, _, _, j = req("POST", "/v1/match?mode=sideways", key=CLIENT, body=IMG["a"],
                     ctype="image/jpeg")
    t.check_eq((s, j["error"]["code"]), (400, "invalid_argument"), "unknown mode")
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=IMG["b"], ctype="image/jpeg")
    t.check_eq((s, j["matches"], j["actionable"]), (200, [], False), "unrelated image")
    t.check("event_id" not in j, "no event for a non-match")


def no_trace():
    """Nothing about a non-matching upload is stored or logged."""
    s, _, _, j = req("POST", "/v1/hash", key=CLIENT, body=IMG["b"], ctype="image/jpeg")
    secrets = [j["pdq"]["hash"], j["md5"], j["sha1"], j["sha256"]]
    stored = b""
    for name in os.listdir(DIR):
        if name.startswith("bank.db"):
            with open(os.path.join(DIR, name), "rb") as f:
                stored += f.read()
    for v in secrets:
        t.check(v.encode() not in stored and bytes.fromhex(v) not in stored,
                "non-matching upload's hash %s... not in the store" % v[:12])
        t.check(all(v not in line for line in srv.log),
                "non-matching upload's hash %s... not in the log" % v[:12])


def hash_batches():
    s, _, _, a = req("POST", "/v1/hash", key=CLIENT, body=IMG["a"], ctype="image/jpeg")
    near = bytearray(bytes.fromhex(a["pdq"]["hash"]))
    near[0] ^= 0x0F  # 4 bits away
    s, _, _, j = req("POST", "/v1/match/hashes", key=CLIENT,
                     body={"signals": [{"type": "pdq", "value": near.hex()},
                                       {"type": "md5", "value": a["md5"].upper()},
                                       {"type": "sha256", "value": "ab" * 32}]})
    t.check_eq(s, 200, "hash batch")
    r = j["results"]
    t.check_eq(len(r), 3, "one result per signal")
    t.check_eq(r[0]["matches"][0]["distance"], 4, "near PDQ distance")
    t.check(r[1]["matches"] and r[1]["signal"]["value"] == a["md5"], "MD5 normalised, matched")
    t.check_eq(r[2]["matches"], [], "unknown SHA-256")
    s, _, _, j = req("POST", "/v1/match/hashes", key=CLIENT,
                     body={"signals": [{"type": "pdq", "value": near.hex()}], "threshold": 2})
    t.check_eq(j["results"][0]["matches"], [], "threshold honoured")
    bad = [({"signals": [{"type": "pdq", "value": "xyz"}]}, 422),
           ({"signals": [{"type": "nope", "value": "00"}]}, 422),
           ({"signals": []}, 422), ({"signals": "pdq"}, 422),
           ({"signals": [{"type": "md5", "value": "0" * 32}] * 51}, 413),
           ({"signals": [{"type": "md5", "value": "0" * 32}], "threshold": 300}, 422)]
    for body, want in bad:
        s, _, _, j = req("POST", "/v1/match/hashes", key=CLIENT, body=body)
        t.check_eq(s, want, "bad batch %s" % json.dumps(body)[:50])
        t.check(isinstance(j, dict) and "code" in j.get("error", {}) and
                "message" in j["error"], "error body shape")
    s, _, _, j = req("POST", "/v1/match/hashes", key=CLIENT, body=b'{"signals": [',
                     ctype="application/json")
    t.check_eq((s, j["error"]["code"]), (400, "invalid_json"), "malformed JSON")
    s, _, _, _ = req("POST", "/v1/match/hashes", key=CLIENT, body=b"signals",
                     ctype="text/plain")
    t.check_eq(s, 415, "JSON endpoint with text/plain")
    s, _, _, j = req("POST", "/v1/match/hashes", key=CLIENT, body=b"[1,2]",
                     ctype="application/json")
    t.check_eq(j["error"]["code"], "parse", "wrong shape's code")
    t.check_eq(s, 422, "JSON that is not an object (valid JSON, wrong shape)")


def signals():
    s, h, _, j = req("POST", "/v1/banks/known/signals", key=ADMIN,
                     body={"type": "md5", "value": "00112233445566778899AABBCCDDEEFF",
                           "metadata": {"source_list": "test"}})
    t.check_eq(s, 201, "add a signal")
    sid = j["id"]
    t.check_eq(j["value"], "00112233445566778899aabbccddeeff", "value normalised")
    t.check_eq(h.get("location"), "/v1/banks/known/signals/%d" % sid, "Location of the signal")
    s, _, _, j = req("POST", "/v1/banks/known/signals", key=ADMIN,
                     body={"type": "md5", "value": "00112233445566778899aabbccddeeff"})
    t.check_eq((s, j.get("id")), (409, sid), "duplicate signal names the existing id")
    probe = {"signals": [{"type": "md5", "value": "00112233445566778899aabbccddeeff"}]}
    t.check_eq(len(req("POST", "/v1/match/hashes", key=CLIENT, body=probe)[3]["results"][0]
                   ["matches"]), 1, "new signal matches at once")
    s, _, _, j = req("PATCH", "/v1/banks/known/signals/%d" % sid, key=ADMIN,
                     body={"enabled": False})
    t.check_eq((s, j["enabled"]), (200, False), "disable a signal")
    t.check_eq(req("POST", "/v1/match/hashes", key=CLIENT, body=probe)[3]["results"][0]
               ["matches"], [], "disabled signal does not match")
    t.check_eq(req("GET", "/v1/banks/benign/signals/%d" % sid, key=ADMIN)[0], 404,
               "signal looked up in the wrong bank")
    t.check_eq(req("DELETE", "/v1/banks/known/signals/%d" % sid, key=ADMIN)[0], 204,
               "delete a signal")
    t.check_eq(req("GET", "/v1/banks/known/signals/%d" % sid, key=ADMIN)[0], 404,
               "deleted signal is gone")
    t.check_eq(req("DELETE", "/v1/banks/known/signals/%d" % sid, key=ADMIN)[0], 404,
               "deleting twice")
    t.check_eq(req("POST", "/v1/banks/nope/signals", key=ADMIN,
                   body={"type": "md5", "value": "0" * 32})[0], 404, "signal into a missing bank")


def import_export():
    lines = ("pdq %s\npdq %s\nnonsense line\nmd5 %s\n" %
             ("f" * 64, "e" * 63 + "0", "1" * 32)).encode()
    s, _, _, j = req("POST", "/v1/banks/benign/import?format=lines", key=ADMIN, body=lines,
                     ctype="text/plain")
    t.check_eq(s, 200, "import a list")
    t.check_eq((j["added"], j["rejected"]), (3, 1), "import counts")
    t.check_eq(j["errors"][0]["line"], 3, "bad line reported by number")
    s, h, data, _ = req("GET", "/v1/banks/benign/export?format=lines", key=ADMIN)
    t.check(s == 200 and b"f" * 64 in data and b"1" * 32 in data, "export holds the imports")
    t.check(h.get("content-type", "").startswith("text/plain"), "export content type")
    t.check_eq(req("GET", "/v1/banks/benign/export?format=xml", key=ADMIN)[0], 400,
               "unknown export format")


# Bytes that look random but are the same on every run (os.urandom's could,
# once in 65 536 runs, begin like a BMP or an MPEG transport stream).
NOISE = b"".join(hashlib.sha256(b"noise %d" % i).digest() for i in range(128))


def limits_and_bad_input():
    s, h, _, j = req("PUT", "/v1/banks", key=ADMIN)
    t.check_eq(s, 405, "wrong method")
    t.check("POST" in h.get("allow", ""), "Allow header lists the methods")
    t.check_eq(req("GET", "/v1/nothing-here", key=ADMIN)[0], 404, "unknown path")
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=b"hello", ctype="text/plain")
    t.check_eq((s, j["error"]["code"]), (415, "unsupported_media_type"), "text/plain upload")
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=NOISE, ctype="image/jpeg")
    t.check_eq(s, 415, "random bytes as an image")
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=IMG["a"][:len(IMG["a"]) // 3],
                     ctype="image/jpeg")
    t.check_eq((s, j["error"]["code"]), (422, "truncated"), "truncated JPEG")
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=b"", ctype="image/jpeg")
    t.check_eq(s, 400, "empty upload")
    body, ctype = t.multipart([("file", "a.jpg", "image/jpeg", IMG["a"])])
    s, _, _, _ = req("POST", "/v1/match", key=CLIENT, body=body[:len(body) // 2], ctype=ctype)
    t.check_eq(s, 400, "truncated multipart")
    body, ctype = t.multipart([("photo", "a.jpg", "image/jpeg", IMG["a"])])
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=body, ctype=ctype)
    t.check(s == 400 and "file" in j["error"]["message"], "multipart without 'file'")
    # A part without a name (fuzz_http found that this crashed the server),
    # before the file and alone.
    body, ctype = t.multipart([("file", "a.jpg", "image/jpeg", IMG["a"])])
    unnamed = b'--bulwark-test-boundary\r\nContent-Disposition: form-data\r\n\r\nx\r\n'
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=unnamed + body, ctype=ctype)
    t.check_eq(s, 200, "a part without a name is passed over")
    s, _, _, j = req("POST", "/v1/hash", key=CLIENT,
                     body=unnamed + b"--bulwark-test-boundary--\r\n", ctype=ctype)
    t.check(s == 400 and "file" in j["error"]["message"], "only a part without a name")
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=b"\0" * (9 << 20),
                     ctype="image/jpeg")
    t.check_eq((s, j["error"]["code"]), (413, "too_large"), "upload over max_media_bytes")
    # A 20000 x 20000 PNG header: refused from its header, before any pixel.
    big = t.ffmpeg_image(os.path.join(DIR, "tiny.png"), "color=c=gray", size="16x16")
    wide = bytearray(big)
    wide[16:24] = (20000).to_bytes(4, "big") + (20000).to_bytes(4, "big")
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=bytes(wide), ctype="image/png")
    t.check_eq(s, 413, "image over the pixel limit")
    s, _, _, _ = req("GET", "/healthz", headers={"X-Huge": "a" * 100000})
    t.check(400 <= s < 500, "huge header refused with a 4xx (%d)" % s)
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=IMG["a"], ctype="image/jpeg",
                     headers={"X-Bulwark-Context": "not json"})
    t.check_eq(s, 400, "malformed context")
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=IMG["a"], ctype="image/jpeg",
                     headers={"X-Bulwark-Context": "[1, 2]"})
    t.check_eq((s, j["error"]["code"]), (422, "parse"), "context of the wrong shape")
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.putrequest("GET", "/v1/banks", skip_host=True)
    conn.putheader("Host", "a.example")
    conn.putheader("Host", "b.example")
    conn.putheader("Authorization", "Bearer " + ADMIN)
    conn.endheaders()
    resp = conn.getresponse()
    j = json.loads(resp.read())
    conn.close()
    t.check_eq((resp.status, j["error"]["code"]), (400, "bad_request"), "two Host lines")
    t.check_eq(req("GET", "/healthz")[0], 200, "still serving after bad input")


def slow_clients():
    """A client that stalls mid-body ties up nothing the others need."""
    stalled = []
    for _ in range(4):
        sock = socket.create_connection(("127.0.0.1", srv.port))
        sock.sendall(("POST /v1/match HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                      "Content-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n" % CLIENT)
                     .encode() + IMG["a"][:100])
        stalled.append(sock)
    start = time.monotonic()
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=IMG["a"], ctype="image/jpeg")
    t.check(s == 200 and j["actionable"], "others served while clients stall")
    # Held up by them, it would wait for their 30-second idle timeout; one
    # upload alone takes about a second under ASan on a busy machine.
    waited = time.monotonic() - start
    t.check(waited < 10, "without waiting for them (%.1f s)" % waited)
    for sock in stalled:
        sock.close()


def rate_limits():
    probe = {"signals": [{"type": "md5", "value": "0" * 32}]}
    statuses = [req("POST", "/v1/match/hashes", key=LIMITED, body=probe)[:2] for _ in range(3)]
    t.check_eq(statuses[0][0], 200, "first request within the rate")
    t.check_eq(statuses[-1][0], 429, "over the key's rate")
    t.check(int(statuses[-1][1].get("retry-after", "0")) > 0, "Retry-After given")
    t.check_eq(req("POST", "/v1/match/hashes", key=CLIENT, body=probe)[0], 200,
               "other keys unaffected")


def reviews():
    t.check_eq(req("GET", "/v1/matches", key=CLIENT)[0], 403, "clients cannot read matches")
    s, _, _, j = req("GET", "/v1/matches/queue", key=REVIEWER)
    queue = j["matches"]
    t.check(len(queue) >= 3, "matches queued for review")
    t.check(all(q["status"] == "pending" for q in queue), "queue holds pending matches")
    ids = [q["id"] for q in queue]
    t.check_eq(ids, sorted(ids), "oldest first")
    first, second = queue[0]["id"], queue[1]["id"]
    s, _, _, j = req("POST", "/v1/matches/%d/review" % first, key=REVIEWER,
                     body={"decision": "confirmed", "note": "matches the banked image"})
    t.check_eq((s, j["status"]), (200, "confirmed"), "confirm a match")
    t.check_eq(req("POST", "/v1/matches/%d/review" % first, key=REVIEWER,
                   body={"decision": "escalated"})[0], 409, "deciding twice")
    t.check_eq(req("POST", "/v1/matches/%d/review" % second, key=REVIEWER,
                   body={"decision": "maybe"})[0], 422, "unknown decision")
    t.check_eq(req("POST", "/v1/matches/999999/review" , key=REVIEWER,
                   body={"decision": "confirmed"})[0], 404, "unknown match")
    # Mark an edited copy's match a false positive: that copy stops matching.
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=EDITS["brightened"], ctype="image/jpeg")
    ev = j["event_id"]
    s, _, _, j = req("POST", "/v1/matches/%d/review" % ev, key=REVIEWER,
                     body={"decision": "false_positive", "note": "benign lookalike"})
    t.check_eq((s, j["status"]), (200, "false_positive"), "false positive")
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=EDITS["brightened"], ctype="image/jpeg")
    t.check(not j["actionable"] and any(m["suppressed"] for m in j["matches"]),
            "false positive suppressed from now on")
    t.check("event_id" not in j, "suppressed upload leaves no record")
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=IMG["a"], ctype="image/jpeg")
    t.check(j["actionable"], "the banked original still matches")
    s, _, _, j = req("GET", "/v1/matches?status=confirmed", key=REVIEWER)
    t.check_eq([m["id"] for m in j["matches"]], [first], "list by status")


def audit():
    s, _, _, j = req("GET", "/v1/audit?limit=1000", key=ADMIN)
    entries = j["entries"]
    by = lambda action: [e for e in entries if e["action"] == action]  # noqa: E731
    admin_id, reviewer_id, client_id = key_id(ADMIN), key_id(REVIEWER), key_id(CLIENT)
    t.check(any(e["subject"] == "bank:known" and e["actor"] == admin_id
                for e in by("bank.create")), "bank creation audited with the admin's key")
    t.check(any(e["actor"] == admin_id for e in by("signal.add")), "signal additions audited")
    t.check(any(e["actor"] == admin_id and e["subject"] == "bank:thumbs"
                for e in by("bank.settings")), "settings changes audited")
    t.check(any(e["actor"] == admin_id for e in by("signal.disable")), "disabling audited")
    t.check(any(e["actor"] == admin_id for e in by("bank.import")), "imports audited")
    t.check(any(e["actor"] == reviewer_id for e in by("review.confirmed")),
            "confirmation audited with the reviewer's key")
    t.check(any(e["actor"] == reviewer_id for e in by("review.false_positive")),
            "false positive audited")
    t.check(any(e["actor"] == client_id for e in by("match")), "matches audited")
    t.check(all(entries[i]["prev_hash"] == entries[i - 1]["hash"]
                for i in range(1, len(entries))), "entries chained")
    s, _, _, j = req("GET", "/v1/audit/verify", key=ADMIN)
    t.check_eq((s, j["ok"]), (200, True), "chain verifies through the API")


def metrics():
    t.check_eq(req("GET", "/metrics", key=CLIENT)[0], 403, "metrics need an admin key")
    s, h, data, _ = req("GET", "/metrics", key=ADMIN)
    text = data.decode()
    t.check(s == 200 and h["content-type"].startswith("text/plain"), "metrics served")
    for needle in ['bulwark_http_requests_total{method="POST",route="/v1/match",code="200"}',
                   'bulwark_http_request_seconds_bucket{method="POST",route="/v1/match"',
                   'bulwark_matches_total{bank="known"}', "bulwark_index_signals ",
                   "bulwark_requests_in_flight"]:
        t.check(needle in text, "metric %s" % needle)


def check_signature(headers, body):
    want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    t.check_eq(headers.get("X-Bulwark-Signature"), want, "HMAC signature of the body")


def webhooks():
    def delivered():
        return [r for r in Hooks.received if r[2] >= 2]
    got, _ = t.wait_for(delivered, 30, 0.2)
    t.check(got, "a match's webhook was retried after a failure and delivered")
    for headers, body, _ in Hooks.received:
        check_signature(headers, body)
        j = json.loads(body)
        t.check(j["event"] == "match" and j["matches"] and "hashes" in j, "webhook body")
    t.check(any(json.loads(b).get("context") == {"user": "u-17", "upload": "p-9"}
                for _, b, _ in Hooks.received), "webhook carries the platform's context")


def checkpoints():
    """bulwarkd records on its HTTP threads and folds SQLite's log back into
    the file from a thread of its own once a second: within seconds a write
    starts the log over, which bumps the checkpoint sequence
    number in the log's header (bytes 12-15, big-endian)."""
    t.check_eq(req("POST", "/v1/banks", key=ADMIN, body={"name": "logged"})[0], 201,
               "bank for the log's test")

    def write(first, n):
        codes = set()
        for i in range(first, first + n):
            body = {"type": "md5", "value": "%032x" % (0xC0FFEE0000 + i)}
            codes.add(req("POST", "/v1/banks/logged/signals", key=ADMIN, body=body)[0])
        t.check_eq(codes, {201}, "%d signals added" % n)
        with open(DB + "-wal", "rb") as f:
            return struct.unpack(">I", f.read(32)[12:16])[0]

    before = write(0, 20)
    # One write every half second until one starts the log over: a
    # checkpoint a second, but a write can meet a reader still on the old log.
    written = [20]

    def restarted():
        written[0] += 1
        return write(written[0], 1) > before
    got, took = t.wait_for(restarted, 15, 0.5)
    t.check(got, "the log was started over after a checkpoint (sequence %d; %d writes in "
            "%.1f s)" % (before, written[0] - 20, took))


def shutdown():
    """SIGTERM lets a request in flight finish, then the process exits 0."""
    sock = socket.create_connection(("127.0.0.1", srv.port))
    data = IMG["a"]
    sock.sendall(("POST /v1/match HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                  "Content-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" %
                  (CLIENT, len(data))).encode() + data[:1000])

    def begun():  # the upload, and the metrics request itself
        body = req("GET", "/metrics", key=ADMIN)[2].decode()
        return int(re.search(r"^bulwark_requests_in_flight ([0-9]+)$", body, re.M).group(1)) >= 2
    t.check(t.wait_for(begun, 30, 0.05)[0], "the upload is in flight")
    srv.proc.terminate()
    time.sleep(0.5)
    t.check(srv.proc.poll() is None, "still running while a request is in flight")
    sock.sendall(data[1000:])
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = sock.recv(65536)
        if not chunk:
            break
        reply += chunk
    t.check(reply.startswith(b"HTTP/1.1 200"), "in-flight request answered")
    sock.close()
    t.check_eq(srv.stop(), 0, "clean exit after SIGTERM")
    t.check(any('"msg":"stopped"' in line for line in srv.log), "shutdown logged")


def deliveries_need_webhook_settings():
    """Only nodes set up for webhooks claim deliveries: a node started
    without the settings (a matcher-only node) leaves a due retry alone
    rather than send it signed with an empty key; the next node set up for
    webhooks delivers it."""
    hook = "http://127.0.0.1:%d/hook" % hooks.server_port

    def attempts(event):
        return [r for r in Hooks.received if r[0].get("X-Bulwark-Event") == str(event)]

    a = t.Server(BULWARKD, DB, "--webhook-url", hook, "--webhook-secret", SECRET)
    try:
        s, _, _, j = a.request("POST", "/v1/match", key=CLIENT, body=IMG["a"],
                               ctype="image/jpeg")
        t.check(s == 200 and j.get("event_id"), "a match to deliver")
        event = j.get("event_id")
        # Stopped only once it has recorded the 500: stopped while still
        # reading the answer, it would hand the delivery back uncounted,
        # and the next node would send it at once, not as the retry.
        failed = '"msg":"webhook failed, will retry"'
        t.check(t.wait_for(lambda: any(failed in l and '"event":%d,' % event in l
                                       for l in a.log), 30, 0.1)[0],
                "first attempt answered 500 and recorded")
        t.check_eq(len(attempts(event)), 1, "first attempt")
    finally:
        a.stop()
    b = t.Server(BULWARKD, DB)  # no webhook settings
    try:
        time.sleep(8)  # the retry was due 4-6 s after the first attempt
        t.check_eq(len(attempts(event)), 1, "attempts while only a node without webhook "
                   "settings ran")
    finally:
        b.stop()
    c = t.Server(BULWARKD, DB, "--webhook-url", hook, "--webhook-secret", SECRET)
    try:
        got, _ = t.wait_for(lambda: len(attempts(event)) >= 2, 30, 0.1)
        t.check(got, "the retry delivered by the next node set up for webhooks")
        for headers, body, _ in attempts(event):
            check_signature(headers, body)
    finally:
        c.stop()


def slow_webhook_shutdown():
    """An endpoint that never answers holds up neither SIGTERM nor the
    delivery: the attempt is abandoned, uncounted, and the delivery handed
    back, still pending, for the next node."""
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(8)
    node = t.Server(BULWARKD, DB, "--webhook-url", "http://127.0.0.1:%d/hook"
                    % hang.getsockname()[1], "--webhook-timeout", "50")
    try:
        s, _, _, j = node.request("POST", "/v1/match", key=CLIENT, body=IMG["a"],
                                  ctype="image/jpeg")
        t.check(s == 200 and j.get("event_id"), "a match to deliver")
        hang.settimeout(15)
        conn, _ = hang.accept()  # the node is now waiting for an answer
        conn.recv(65536)
        started = time.monotonic()
        node.proc.terminate()
        try:
            code = node.proc.wait(30)
        except subprocess.TimeoutExpired:
            code = None
        # Well short of the attempt's 50 s, with room for a sanitizer's exit.
        took = time.monotonic() - started
        t.check(code == 0 and took < 15,
                "SIGTERM during a webhook attempt: exit %r after %.1f s (timeout 50 s)"
                % (code, took))
        conn.close()
    finally:
        node.stop()
        hang.close()
    db = sqlite3.connect(DB)
    row = db.execute("SELECT state, attempts, claimed_until FROM webhook_deliveries"
                     " WHERE event_id = ?", (j["event_id"],)).fetchone()
    db.close()
    t.check_eq(row, ("pending", 0, 0), "the abandoned attempt is not counted, and the "
               "delivery is handed back for the next node to send at once")


def offline_audit_checks():
    ok = subprocess.run([CLI, "audit", "verify", "--db", DB], capture_output=True, text=True)
    t.check_eq(ok.returncode, 0, "bulwark audit verify on an intact log")
    db = sqlite3.connect(DB)
    db.execute("UPDATE audit_log SET details = '{\"kind\":\"allow\"}' WHERE id = "
               "(SELECT MIN(id) FROM audit_log WHERE action = 'bank.create')")
    db.commit()
    db.close()
    bad = subprocess.run([CLI, "audit", "verify", "--db", DB], capture_output=True, text=True)
    t.check_eq(bad.returncode, 1, "bulwark audit verify catches an edited entry")
    t.check("audit entry" in bad.stderr, "and says which")


try:
    t.run("health", health)
    t.run("auth", auth)
    t.run("banks", banks)
    t.run("bank_settings", bank_settings)
    t.run("hash_matches_cli", hash_matches_cli)
    t.run("uploads", uploads)
    t.run("no_trace", no_trace)
    t.run("hash_batches", hash_batches)
    t.run("signals", signals)
    t.run("import_export", import_export)
    t.run("limits_and_bad_input", limits_and_bad_input)
    t.run("slow_clients", slow_clients)
    t.run("rate_limits", rate_limits)
    t.run("reviews", reviews)
    t.run("audit", audit)
    t.run("metrics", metrics)
    t.run("webhooks", webhooks)
    t.run("checkpoints", checkpoints)
    t.run("shutdown", shutdown)
    t.run("deliveries_need_webhook_settings", deliveries_need_webhook_settings)
    t.run("slow_webhook_shutdown", slow_webhook_shutdown)
    t.run("offline_audit_checks", offline_audit_checks)
finally:
    srv.stop()
    hooks.shutdown()
    if not t.failures:
        t.remove(DIR)
t.finish()

#!/usr/bin/env python3
"""bulwarkd's endpoints for devices (docs/privacy.md), over real HTTP on
loopback with a SQLite store: the remote PDQ check and the trace it must
not leave, the server step of private set membership (its arithmetic, its
refusals and its per-key rate limit), and self-reports with their
withdrawal tokens.

    test_device_api.py BULWARKD BULWARK_CLI
"""

import hashlib
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bwtest as t  # noqa: E402

BULWARKD, CLI = sys.argv[1], sys.argv[2]
t.need("ffmpeg")
DIR = t.workdir("bw-device-api-")
DB = os.path.join(DIR, "bank.db")
PSM_KEY = os.path.join(DIR, "psm.key")
PSM_KEY_ID = subprocess.run([CLI, "snapshot", "psm-keygen", "-o", PSM_KEY], check=True,
                            capture_output=True, text=True).stdout.strip()
ADMIN = t.make_key(CLI, DB, "admin")
APP = t.make_key(CLI, DB, "client", name="app")
OTHER_APP = t.make_key(CLI, DB, "client", name="other-app")
srv = t.Server(BULWARKD, DB, "--psm-key", PSM_KEY, "--psm-per-minute", "6",
               "--psm-batch-max", "4", "--refresh-ms", "100")
req = srv.request

# RFC 9496's Ristretto255 base point and its multiples 2B..4B: valid
# elements a test can make without the library.
B = ["e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
     "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
     "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
     "da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57"]
IMG = t.ffmpeg_image(os.path.join(DIR, "banked.jpg"), "mandelbrot", size="640x480", quality=3)
EDIT = t.ffmpeg_edit(os.path.join(DIR, "banked.jpg"), os.path.join(DIR, "edit.jpg"),
                     "scale=320:240", quality=12)


def hashes_of(path, dihedral=False):
    args = [CLI, "hash", "--format", "json", "--algo", "pdq,md5,sha256", path]
    if dihedral:
        args.insert(2, "--dihedral")
    return json.loads(subprocess.run(args, check=True, capture_output=True,
                                     text=True).stdout)


def stored_bytes():
    data = b""
    for name in os.listdir(DIR):
        if name.startswith("bank.db"):
            with open(os.path.join(DIR, name), "rb") as f:
                data += f.read()
    return data




def remote_check():
    banked = hashes_of(os.path.join(DIR, "banked.jpg"))
    t.check_eq(req("POST", "/v1/banks", key=ADMIN, body={"name": "known"})[0], 201, "bank")
    s, _, _, _ = req("POST", "/v1/banks/known/signals", key=ADMIN,
                     body={"type": "pdq", "value": banked["pdq"]["hash"]})
    t.check_eq(s, 201, "banked a PDQ hash")
    s, _, _, j = req("POST", "/v1/device/check", key=APP, body={"pdq": [banked["pdq"]["hash"]]})
    t.check_eq((s, j), (200, {"match": True}), "the banked hash matches")
    edit = hashes_of(os.path.join(DIR, "edit.jpg"), dihedral=True)
    s, _, _, j = req("POST", "/v1/device/check", key=APP, body={"pdq": [edit["pdq"]["hash"]]})
    t.check_eq(j, {"match": True}, "a resized, re-encoded copy matches")
    s, _, _, j = req("POST", "/v1/device/check", key=APP, body={"pdq": ["0" * 64]})
    t.check_eq((s, j), (200, {"match": False}), "an unrelated hash does not")
    for bad, why in [({"pdq": []}, "empty"), ({"pdq": ["ab"]}, "short"),
                     ({"pdq": ["0" * 64] * 9}, "nine hashes"), ({"sha256": "0" * 64}, "no pdq"),
                     ({"pdq": [12]}, "a number")]:
        t.check_eq(req("POST", "/v1/device/check", key=APP, body=bad)[0], 422, "refused: " + why)
    t.check_eq(req("POST", "/v1/device/check", body={"pdq": ["0" * 64]})[0], 401, "needs a key")


def no_trace_of_non_matches():
    """Hundreds of checks of random hashes leave them nowhere: not in the
    store, its write-ahead log, the log lines, the audit log, the match
    events or the metrics."""
    rng = random.Random(7)
    checked = ["%064x" % rng.getrandbits(256) for _ in range(200)]
    for i in range(0, len(checked), 8):
        s, _, _, j = req("POST", "/v1/device/check", key=APP, body={"pdq": checked[i:i + 8]})
        t.check_eq((s, j), (200, {"match": False}), "random hashes do not match")
    texts = [stored_bytes(), "\n".join(srv.log).encode()]
    for path in ["/v1/audit?limit=1000", "/v1/matches", "/metrics"]:
        texts.append(req("GET", path, key=ADMIN)[2])
    hits = sum(f in text for f in t.written_forms(checked) for text in texts)
    t.check_eq(hits, 0, "traces of checked hashes")
    # The search itself works: the banked hash is in the store.
    banked = hashes_of(os.path.join(DIR, "banked.jpg"))["pdq"]["hash"]
    t.check(any(f in stored_bytes() for f in t.written_forms([banked])),
            "the search finds stored hashes")


def key_id_of(element_hex):
    tag = b"bulwark/psm/v1/key-id\0"
    return hashlib.blake2b(tag + bytes.fromhex(element_hex), digest_size=8).hexdigest()


def psm_evaluate():
    s, _, _, j = req("POST", "/v1/device/psm", key=APP, body={"blinded": [B[0], B[1]]})
    t.check_eq(s, 200, "evaluate")
    t.check_eq(j["key_id"], PSM_KEY_ID, "the key id is the configured key's")
    # k * B is the key's public element, whose hash is the key id: the
    # server multiplied by its key, and by nothing else.
    t.check_eq(key_id_of(j["evaluated"][0]), PSM_KEY_ID, "k*B hashes to the key id")
    t.check(j["evaluated"][1] != j["evaluated"][0], "k*2B differs from k*B")
    for bad, why in [("00" * 32, "the identity"), ("ff" * 32, "a non-canonical encoding"),
                     (B[0][:62] + "f6", "B with its top bit set")]:
        s, _, _, j = req("POST", "/v1/device/psm", key=APP, body={"blinded": [bad]})
        t.check_eq((s, j and j["error"]["code"]), (422, "invalid_element"), "refused: " + why)
    t.check_eq(req("POST", "/v1/device/psm", key=APP, body={"blinded": B + B[:1]})[0], 422,
               "more than psm_batch_max elements")


def psm_rate_limit():
    """6 evaluations a minute per key (the requests above used 5 of the
    first key's, refused ones included): the next batch is refused with
    Retry-After; another key still has its own budget."""
    s, h, _, j = req("POST", "/v1/device/psm", key=APP, body={"blinded": B[:4]})
    t.check_eq((s, j["error"]["code"]), (429, "rate_limited"), "over the PSM limit")
    t.check(int(h.get("retry-after", "0")) > 0, "Retry-After given")
    s, _, _, j = req("POST", "/v1/device/psm", key=OTHER_APP, body={"blinded": B[:4]})
    t.check_eq(s, 200, "another key's budget is its own")
    s, _, _, j = req("POST", "/v1/device/psm", key=OTHER_APP, body={"blinded": B[:4]})
    t.check_eq(s, 429, "and runs out too")
    # Ordinary requests are not charged to the PSM budget.
    t.check_eq(req("POST", "/v1/device/check", key=APP, body={"pdq": ["0" * 64]})[0], 200,
               "checks still work")
    texts = [stored_bytes(), "\n".join(srv.log).encode()]
    t.check_eq(sum(f in x for f in t.written_forms(B[:3]) for x in texts), 0,
               "blinded elements leave no trace")


def unconfigured():
    """No PSM key, and self-reports turned off with an empty bank name."""
    other = t.Server(BULWARKD, os.path.join(DIR, "other.db"), "--self-report-bank", "")
    try:
        key = t.make_key(CLI, os.path.join(DIR, "other.db"), "client")
        s, _, _, j = other.request("POST", "/v1/device/psm", key=key, body={"blinded": B[:1]})
        t.check_eq((s, j["error"]["code"]), (503, "unavailable"), "no PSM key: 503")
        s, _, _, j = other.request("POST", "/v1/device/self-reports", key=key,
                                   body={"pdq": ["0" * 64]})
        t.check_eq((s, j["error"]["code"]), (404, "not_found"), "self-reports off: 404")
        s, _, _, j = other.request("DELETE", "/v1/device/self-reports/" + "0" * 32, key=key,
                                   headers={"X-Withdrawal-Token": "0" * 64})
        t.check_eq(s, 404, "self-reports off: nothing to withdraw")
        t.check_eq(other.request("GET", "/v1/banks", key=t.make_key(
            CLI, os.path.join(DIR, "other.db"), "admin"))[3]["banks"], [], "no bank made")
    finally:
        other.stop()
    bad_key = os.path.join(DIR, "bad.key")
    with open(bad_key, "w") as f:
        f.write("ff" * 32 + "\n")
    proc = subprocess.run([BULWARKD, "--db", os.path.join(DIR, "x.db"), "--listen",
                           "127.0.0.1:0", "--psm-key", bad_key], capture_output=True,
                          text=True, timeout=60)
    t.check(proc.returncode != 0 and "PSM key" in proc.stderr, "a bad PSM key stops start-up")


def self_reports():
    own = hashes_of(os.path.join(DIR, "own.jpg"))
    body = {"pdq": [own["pdq"]["hash"]], "md5": own["md5"], "sha256": own["sha256"]}
    t.check_eq(req("POST", "/v1/device/check", key=APP, body={"pdq": body["pdq"]})[3],
               {"match": False}, "not blocked before the report")
    s, h, _, j = req("POST", "/v1/device/self-reports", key=APP, body=body)
    t.check_eq((s, j["filed"], j["already_reported"]), (201, 3, 0), "filed")
    case, token = j["case"], j["withdrawal_token"]
    t.check(h.get("location", "").endswith("/v1/device/self-reports/" + case), "Location")
    s, _, _, j = req("POST", "/v1/device/check", key=APP, body={"pdq": body["pdq"]})
    t.check_eq(j, {"match": True}, "blocked at once after the report")
    edit = hashes_of(os.path.join(DIR, "own-small.jpg"))["pdq"]["hash"]
    t.check_eq(req("POST", "/v1/device/check", key=APP, body={"pdq": [edit]})[3],
               {"match": True}, "and its edited copy")
    s, _, _, j = req("POST", "/v1/match/hashes", key=APP,
                     body={"signals": [{"type": "sha256", "value": own["sha256"]}]})
    t.check_eq(j["results"][0]["matches"][0]["bank"], "self-report", "platforms match it too")
    t.check(token.encode() not in stored_bytes(), "the token itself is not stored")
    # The same image again: nothing new to file.
    s, _, _, j = req("POST", "/v1/device/self-reports", key=OTHER_APP, body=body)
    t.check_eq((s, j["filed"], j["already_reported"]), (201, 0, 3), "already reported")
    # Withdrawal: wrong token, unknown case and a missing token look alike.
    path = "/v1/device/self-reports/" + case
    wrong = ("0" if token[0] != "0" else "1") + token[1:]
    t.check_eq(req("DELETE", path, key=APP, headers={"X-Withdrawal-Token": wrong})[0], 404,
               "a wrong token")
    t.check_eq(req("DELETE", "/v1/device/self-reports/" + "0" * 32, key=APP,
                   headers={"X-Withdrawal-Token": token})[0], 404, "another case")
    t.check_eq(req("DELETE", path, key=APP)[0], 400, "no token")
    s, _, _, j = req("DELETE", path, key=APP, headers={"X-Withdrawal-Token": token})
    t.check_eq((s, j["withdrawn"]), (200, 3), "withdrawn with its token")
    t.check_eq(req("POST", "/v1/device/check", key=APP, body={"pdq": body["pdq"]})[3],
               {"match": False}, "no longer blocked")
    t.check_eq(req("DELETE", path, key=APP, headers={"X-Withdrawal-Token": token})[0], 404,
               "withdrawn once")
    for bad in [{}, {"pdq": ["xyz"]}, {"md5": "12"}, {"pdq": "0" * 64}]:
        t.check_eq(req("POST", "/v1/device/self-reports", key=APP, body=bad)[0], 422,
                   "refused: %r" % bad)


t.ffmpeg_image(os.path.join(DIR, "own.jpg"),
               "mandelbrot=size=640x480:start_x=-0.743:start_y=-0.1318:start_scale=0.02",
               quality=3)
t.ffmpeg_edit(os.path.join(DIR, "own.jpg"), os.path.join(DIR, "own-small.jpg"), "scale=480:360",
              quality=5)
try:
    t.run("remote_check", remote_check)
    t.run("no_trace_of_non_matches", no_trace_of_non_matches)
    t.run("psm_evaluate", psm_evaluate)
    t.run("psm_rate_limit", psm_rate_limit)
    t.run("unconfigured", unconfigured)
    t.run("self_reports", self_reports)
finally:
    code = srv.stop()
    t.check_eq(code, 0, "bulwarkd exits cleanly")
    if not t.failures:
        t.remove(DIR)
t.finish()

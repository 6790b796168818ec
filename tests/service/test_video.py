#!/usr/bin/env python3
"""Videos at a real bulwarkd: a video banked through the content endpoint;
edited copies (re-encoded, scaled, cropped, watermarked, trimmed) that
match it through /v1/match and unrelated videos that do not; /v1/hash
agreeing with the CLI; multipart uploads; uploads streamed to an unnamed
temporary file that leaves nothing behind; size, duration and decoding
limits; damaged videos; a false positive allow-listed by a reviewer;
match-by-hash with a vPDQ value; and containers from MPEG-TS to raw H.264.
Every video is made here by ffmpeg from its test sources.

    test_video.py BULWARKD BULWARK_CLI
"""

import hashlib
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bwtest as t  # noqa: E402

BULWARKD, CLI = sys.argv[1], sys.argv[2]
t.need("ffmpeg")
DIR = t.workdir("bw-video-")
DB = os.path.join(DIR, "bank.db")
SPOOL = os.path.join(DIR, "spool")
os.mkdir(SPOOL)
SECONDS = "0.2"  # five frames a second: short test videos still have 20 frames

ADMIN = t.make_key(CLI, DB, "admin")
REVIEWER = t.make_key(CLI, DB, "reviewer")
CLIENT = t.make_key(CLI, DB, "client")
srv = t.Server(BULWARKD, DB, "--refresh-ms", "100", "--spool-dir", SPOOL,
               "--video-seconds-per-hash", SECONDS, "--max-media-bytes", "1M",
               "--max-video-bytes", "4M", "--video-max-seconds", "20")
req = srv.request


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", *args], check=True, cwd=DIR)


def video(name, *args):
    ffmpeg(*args, name)
    with open(os.path.join(DIR, name), "rb") as f:
        return f.read()


ORIG = video("orig.mp4", "-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=25", "-t", "4",
             "-c:v", "libx264", "-crf", "23")
EDITS = {
    "re-encoded": video("reencoded.avi", "-i", "orig.mp4", "-c:v", "mpeg4", "-q:v", "8"),
    "scaled": video("scaled.mp4", "-i", "orig.mp4", "-vf", "scale=160:120", "-c:v", "libx264",
                    "-crf", "28"),
    "cropped": video("cropped.mp4", "-i", "orig.mp4", "-vf", "crop=296:220:12:10", "-c:v",
                     "libx264"),
    "watermarked": video("watermarked.webm", "-i", "orig.mp4", "-vf",
                         "drawbox=x=250:y=210:w=60:h=20:color=white@0.5:t=fill", "-c:v",
                         "libvpx-vp9", "-b:v", "300k"),
    "trimmed": video("trimmed.mp4", "-ss", "1", "-i", "orig.mp4", "-t", "2", "-c:v", "libx264"),
}
UNRELATED = {
    "testsrc2": video("testsrc2.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t",
                      "4", "-c:v", "libx264"),
    "cellauto": video("cellauto.mkv", "-f", "lavfi", "-i", "cellauto=s=320x240:rule=110:rate=25",
                      "-t", "4", "-c:v", "libx264"),
}
LONG = video("long.mp4", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5", "-t", "30", "-c:v",
             "libx264")
BIG = video("big.mkv", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25", "-t", "8", "-c:v",
            "ffv1")
CUT = ORIG[:len(ORIG) * 2 // 3]


def upload(path, body, key=CLIENT, ctype="video/mp4"):
    return req("POST", path, key=key, body=body, ctype=ctype)


def vpdq_match(j, bank="known"):
    return [m for m in j.get("matches", []) if m["signal_type"] == "vpdq" and m["bank"] == bank]


def bank_the_original():
    t.check_eq(req("POST", "/v1/banks", key=ADMIN, body={"name": "known", "kind": "block"})[0],
               201, "create a bank")
    s, _, _, j = req("POST", "/v1/banks/known/content", key=ADMIN, body=ORIG, ctype="video/mp4",
                     headers={"X-Bulwark-Metadata": '{"case":"V-1"}'})
    t.check_eq(s, 201, "bank a video's signals")
    types = sorted(x["type"] for x in j.get("signals", []))
    t.check_eq(types, ["md5", "sha1", "sha256", "vpdq"], "a video banks its vPDQ and digests")
    v = [x for x in j.get("signals", []) if x["type"] == "vpdq"]
    t.check(v and v[0]["frames"] == 20 and v[0]["added"], "20 frames at 5 a second")
    s, _, _, b = req("GET", "/v1/banks/known", key=ADMIN)
    t.check_eq(b.get("counts", {}).get("vpdq"), 1, "the bank counts one video")


def hash_agrees_with_cli():
    s, _, _, j = upload("/v1/hash", ORIG)
    t.check_eq(s, 200, "hash a video")
    t.check_eq(j["md5"], hashlib.md5(ORIG).hexdigest(), "md5 of the whole upload")
    t.check_eq(j["sha256"], hashlib.sha256(ORIG).hexdigest(), "sha256 of the whole upload")
    t.check_eq((j["media"]["format"], j["media"]["width"], j["media"]["height"]),
               ("video", 320, 240), "media described")
    out = subprocess.run([CLI, "hash", "--format", "json", "--seconds-per-hash", SECONDS,
                          os.path.join(DIR, "orig.mp4")], check=True, capture_output=True,
                         text=True).stdout
    cli = json.loads(out)["vpdq"]
    frames = [f.split(",") for f in json.loads(j["vpdq"]["value"])]
    t.check_eq(j["vpdq"]["frames"], len(cli), "as many frames as the CLI")
    t.check_eq([(h, int(q), "%.3f" % float(s)) for h, q, s in frames],
               [(f["hash"], f["quality"], "%.3f" % f["timestamp"]) for f in cli],
               "the same frame hashes, qualities and timestamps as the CLI")


def edited_copies_match():
    s, _, _, j = upload("/v1/match", ORIG)
    got = sorted(m["signal_type"] for m in j.get("matches", []))
    t.check_eq(got, ["md5", "sha1", "sha256", "vpdq"], "the banked video: digests and vPDQ")
    v = vpdq_match(j)
    t.check(v and v[0]["query_percent"] == 100 and v[0]["compared_percent"] == 100 and
            v[0]["distance"] == 0 and v[0]["metadata"] == {"case": "V-1"}, "100 %% of both: %s" % v)
    t.check(j["actionable"] and "event_id" in j, "actionable and recorded")
    for name, data in EDITS.items():
        s, _, _, j = upload("/v1/match", data, ctype="application/octet-stream")
        v = vpdq_match(j)
        t.check(s == 200 and v and v[0]["query_percent"] >= 80 and j["actionable"],
                "edited copy (%s) matches: %s" % (name, v[0] if v else j))
        t.check(not [m for m in j.get("matches", []) if m["signal_type"] == "md5"],
                "edited copy (%s) is no exact match" % name)
        if v:
            print("  %-12s query %.1f %%, banked %.1f %%, closest frame %d"
                  % (name, v[0]["query_percent"], v[0]["compared_percent"], v[0]["distance"]))
    for name, data in UNRELATED.items():
        s, _, _, j = upload("/v1/match", data)
        t.check_eq((s, j.get("matches"), j.get("actionable")), (200, [], False),
                   "unrelated video (%s)" % name)
        t.check("event_id" not in j, "no event for a non-match (%s)" % name)
    body, ctype = t.multipart([("file", "scaled.mp4", "video/mp4", EDITS["scaled"]),
                               ("context", None, None, b'{"upload":"v-7"}')])
    s, _, _, j = req("POST", "/v1/match", key=CLIENT, body=body, ctype=ctype)
    t.check(s == 200 and vpdq_match(j) and j["actionable"], "multipart video upload")
    s, _, _, ev = req("GET", "/v1/matches/%d" % j.get("event_id", 0), key=REVIEWER)
    t.check_eq(ev.get("context"), {"upload": "v-7"}, "context kept with a video match")
    t.check(ev.get("hashes", {}).get("vpdq", {}).get("frames") == 20,
            "the event keeps the upload's vPDQ")
    t.check(any(m.get("query_percent", 0) >= 80 for m in ev.get("matches", [])),
            "the event keeps the percentages")
    s, _, _, j = upload("/v1/match?query_percent=100&compared_percent=100", EDITS["trimmed"])
    t.check_eq(vpdq_match(j), [], "thresholds from the request: a trimmed copy is not 100 %")


def spool_entries(pid):
    """Files the server has open in the spool directory (unnamed ones show
    as '#NNN (deleted)' or 'name (deleted)')."""
    found = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith(SPOOL):
            found.append(target)
    return found


def no_trace():
    """A non-matching video is streamed to a file that never has a name and
    is gone with its request; its hashes are neither stored nor logged."""
    data = UNRELATED["testsrc2"]
    # Earlier requests' files close when their connections complete.
    t.wait_for(lambda: not spool_entries(srv.proc.pid), 5)
    sock = socket.create_connection(("127.0.0.1", srv.port))
    head = ("POST /v1/match HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: video/mp4\r\nContent-Length: %d\r\n\r\n" % (CLIENT, len(data)))
    sock.sendall(head.encode() + data[:len(data) // 2])
    during, _ = t.wait_for(lambda: spool_entries(srv.proc.pid), 5)
    t.check(len(during) == 1 and during[0].endswith("(deleted)"),
            "while it arrives, the upload is an unnamed file: %s" % during)
    t.check_eq(os.listdir(SPOOL), [], "nothing in the spool directory, even mid-upload")
    sock.sendall(data[len(data) // 2:])
    reply = b""
    while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        reply += chunk
    sock.close()
    t.check(reply.startswith(b"HTTP/1.1 200"), "the upload answered")
    t.check(b'"matches":[]' in reply, "and matched nothing")
    gone, _ = t.wait_for(lambda: not spool_entries(srv.proc.pid), 5)
    t.check(gone, "the file is closed (and so gone) after the request")
    t.check_eq(os.listdir(SPOOL), [], "the spool directory is still empty")
    s, _, _, j = upload("/v1/hash", data)
    secrets = [j["md5"], j["sha1"], j["sha256"]] + \
        [f.split(",")[0] for f in json.loads(j["vpdq"]["value"])][:5]
    stored = b""
    for name in os.listdir(DIR):
        if name.startswith("bank.db"):
            with open(os.path.join(DIR, name), "rb") as f:
                stored += f.read()
    for v in secrets:
        t.check(v.encode() not in stored and bytes.fromhex(v) not in stored,
                "non-matching video's hash %s... not in the store" % v[:12])
        t.check(all(v not in line for line in srv.log),
                "non-matching video's hash %s... not in the log" % v[:12])


def limits_and_damage():
    s, _, _, j = upload("/v1/match", BIG)
    t.check_eq((s, j["error"]["code"]), (413, "too_large"), "a video over max_video_bytes")
    t.check(len(BIG) > 4 << 20, "the big video is over 4 MiB")
    png = t.ffmpeg_image(os.path.join(DIR, "big.png"), "testsrc2", "noise=alls=60:allf=t",
                         size="1200x900")
    t.check(len(png) > 1 << 20, "the big image is over 1 MiB")
    s, _, _, j = upload("/v1/hash", png, ctype="application/octet-stream")
    t.check_eq((s, j["error"]["code"]), (413, "too_large"),
               "an image may not use the video limit")
    s, _, _, j = upload("/v1/match", LONG)
    t.check_eq((s, j["error"]["code"]), (413, "limit_exceeded"), "a video over 20 s")
    s, _, _, j = upload("/v1/match", CUT)
    t.check(s == 422 and j["error"]["code"] in ("truncated", "corrupt"),
            "a damaged video: %s %s" % (s, j))
    s, _, _, j = upload("/v1/hash", b"\x1a\x45\xdf\xa3" + b"\0" * 600)
    t.check(s in (415, 422), "garbage in a Matroska header: %s %s" % (s, j))
    # FFmpeg complains about this one on stderr unless told not to: the log
    # must stay one JSON object a line (checked once the server stops).
    s, _, _, j = upload("/v1/hash", b"FLV\x01\x05\0\0\0\x09" + bytes(range(256)) * 4,
                        ctype="video/x-flv")
    t.check(s in (415, 422), "garbage after an FLV header: %s %s" % (s, j))
    t.check_eq(os.listdir(SPOOL), [], "failed uploads leave nothing either")
    t.check_eq(req("GET", "/healthz")[0], 200, "still serving")


def false_positive_allow_listed():
    s, _, _, j = upload("/v1/match", EDITS["cropped"])
    ev = j.get("event_id")
    s, _, _, j = req("POST", "/v1/matches/%s/review" % ev, key=REVIEWER,
                     body={"decision": "false_positive", "note": "benign look-alike"})
    t.check_eq((s, j.get("status")), (200, "false_positive"), "a video false positive")
    time.sleep(0.3)
    s, _, _, b = req("GET", "/v1/banks/false-positives", key=ADMIN)
    t.check_eq(b.get("counts", {}).get("vpdq"), 1, "its vPDQ is in the allow list")
    s, _, _, j = upload("/v1/match", EDITS["cropped"])
    v = vpdq_match(j)
    t.check(v and v[0]["suppressed"] and not j["actionable"] and "event_id" not in j,
            "the look-alike is suppressed from now on: %s" % v)
    s, _, _, j = upload("/v1/match", ORIG)
    t.check(j["actionable"] and not vpdq_match(j)[0]["suppressed"],
            "the banked video itself still matches")


def match_by_value():
    s, _, _, h = upload("/v1/hash", EDITS["trimmed"])
    sig = {"type": "vpdq", "value": h["vpdq"]["value"]}
    s, _, _, j = req("POST", "/v1/match/hashes", key=CLIENT, body={"signals": [sig]})
    r = j["results"][0] if s == 200 else {}
    t.check(r.get("actionable") and r["matches"][0]["signal_type"] == "vpdq",
            "a vPDQ value matches by hash: %s" % r.get("matches"))
    s, _, _, j = req("POST", "/v1/match/hashes", key=CLIENT,
                     body={"signals": [{"type": "vpdq", "value": "[\"not a frame\"]"}]})
    t.check_eq(s, 422, "a bad vPDQ value")
    s, _, _, j = req("POST", "/v1/banks/known/signals", key=ADMIN, body=sig)
    t.check_eq(s, 201, "a vPDQ value banked by hand")
    s, _, data, _ = req("GET", "/v1/banks/known/export?format=jsonl", key=ADMIN)
    videos = [json.loads(line)["value"] for line in data.decode().splitlines()
              if json.loads(line)["type"] == "vpdq"]
    t.check(s == 200 and sig["value"] in videos and len(videos) == 2,
            "the export has both videos, the hand-banked one as sent: %d" % len(videos))


def thresholds():
    """Per-request thresholds (before match_by_value banks the trimmed copy
    itself)."""
    s, _, _, j = upload("/v1/match?compared_percent=80", EDITS["trimmed"])
    t.check(s == 200 and not vpdq_match(j), "compared_percent=80 leaves the trimmed copy out")
    s, _, _, j = upload("/v1/match?compared_percent=40&query_percent=100", EDITS["trimmed"])
    v = vpdq_match(j)
    t.check(s == 200 and v and v[0]["compared_percent"] >= 40, "compared_percent=40 keeps it")
    s, _, _, j = upload("/v1/match?query_percent=101", EDITS["trimmed"])
    t.check_eq((s, j["error"]["code"]), (400, "invalid_argument"), "query_percent=101")


def containers():
    """Videos are told from images by their first bytes whatever the
    container, and are hashed from the spool file by FFmpeg."""
    for name, codec in [("c.ts", "libx264"), ("c.flv", "flv"), ("c.ogv", "libtheora"),
                        ("c.mpg", "mpeg2video"), ("c.mov", "libx264"), ("c.wmv", "wmv2"),
                        ("c.ivf", "libvpx"), ("c.h264", "libx264")]:
        data = video(name, "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-t", "2",
                     "-c:v", codec)
        s, _, _, j = upload("/v1/hash", data, ctype="application/octet-stream")
        media = j.get("media", {}) if s == 200 else j
        t.check(s == 200 and media.get("format") == "video" and
                media.get("frames_decoded") == 20 and j["vpdq"]["frames"] == 10,
                "%s (%s) hashed as a video: %s %s" % (name, codec, s, media))


def decode_time_limit():
    """A server whose videos must decode within 50 ms: a long every-frame
    hash stops with 422 timeout, and the server keeps serving."""
    db = os.path.join(DIR, "slow.db")
    key = t.make_key(CLI, db, "client")
    slow = t.Server(BULWARKD, db, "--spool-dir", SPOOL, "--video-decode-ms", "50",
                    "--video-seconds-per-hash", "0")
    try:
        data = video("slow.mp4", "-f", "lavfi", "-i", "mandelbrot=size=640x480:rate=25", "-t",
                     "10", "-c:v", "libx264")
        s, _, _, j = slow.request("POST", "/v1/hash", key=key, body=data, ctype="video/mp4")
        t.check_eq((s, j["error"]["code"]), (422, "timeout"), "decoding over video_decode_ms")
        t.check("50 ms" in j["error"]["message"], "the message names the limit: %s" % j)
        t.check_eq(slow.request("GET", "/healthz")[0], 200, "still serving")
    finally:
        code = slow.stop()
    t.check_eq(code, 0, "clean exit after SIGTERM (sanitizers report at exit)")


try:
    t.run("bank_the_original", bank_the_original)
    t.run("hash_agrees_with_cli", hash_agrees_with_cli)
    t.run("edited_copies_match", edited_copies_match)
    t.run("no_trace", no_trace)
    t.run("limits_and_damage", limits_and_damage)
    t.run("false_positive_allow_listed", false_positive_allow_listed)
    t.run("thresholds", thresholds)
    t.run("match_by_value", match_by_value)
    t.run("containers", containers)
    t.run("decode_time_limit", decode_time_limit)
finally:
    t.check_eq(srv.stop(), 0, "clean exit after SIGTERM (sanitizers report at exit)")
    t.check_eq([line for line in srv.log if not line.startswith("{")], [],
               "every line bulwarkd logged is JSON (FFmpeg's own messages are off)")
    if not t.failures:
        t.remove(DIR)
t.finish()

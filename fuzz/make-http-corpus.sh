#!/bin/sh
# Writes the seed corpus of fuzz_http.c: one request per file (a few
# pipelined), one or more for every route of bulwarkd, with the harness's
# placeholders (@A @R @C: admin, reviewer and client keys; @L: the body's
# length) and the signals its node starts with. Media come from the
# decoders' own seeds.
#   fuzz/make-http-corpus.sh fuzz/corpus/http
set -eu
out=${1:?usage: make-http-corpus.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
python3 - "$out" "$here/corpus" <<'PY'
import json, os, sys
out, seeds = sys.argv[1], sys.argv[2]
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
jpeg = open(os.path.join(seeds, "jpeg", "base.jpg"), "rb").read()
png = open(os.path.join(seeds, "png", "bits.png"), "rb").read()
gif = open(os.path.join(seeds, "gif", "anim.gif"), "rb").read()
avif = open(os.path.join(seeds, "heif", "photo.avif"), "rb").read()
mp4 = open(os.path.join(seeds, "video", "h264.mp4"), "rb").read()

def req(method, path, key=None, body=None, ctype=None, extra=""):
    head = "%s %s HTTP/1.1\r\nHost: bulwarkd\r\n" % (method, path)
    if key:
        head += "Authorization: Bearer @%s\r\n" % key
    if body is not None:
        if isinstance(body, (dict, list)):
            body = json.dumps(body, separators=(",", ":")).encode()
            ctype = ctype or "application/json"
        if ctype:
            head += "Content-Type: %s\r\n" % ctype
        head += "Content-Length: @L\r\n"
    head += extra + "\r\n"
    return head.encode() + (body or b"")

def fixed(request):
    head, _, body = request.partition(b"\r\n\r\n")
    return head.replace(b"@L", str(len(body)).encode()) + b"\r\n\r\n" + body

def multipart(fields):
    b = b"bwfuzz"
    parts = b""
    for name, filename, ctype, data in fields:
        parts += b"--" + b + b"\r\nContent-Disposition: form-data; name=\"" + name.encode() + b"\""
        if filename:
            parts += b"; filename=\"" + filename.encode() + b"\""
        parts += b"\r\n"
        if ctype:
            parts += b"Content-Type: " + ctype.encode() + b"\r\n"
        parts += b"\r\n" + data + b"\r\n"
    return parts + b"--" + b + b"--\r\n"

cases = {
    "healthz": req("GET", "/healthz"),
    "readyz": req("GET", "/readyz"),
    "metrics": req("GET", "/metrics", "A"),
    "hash-jpeg": req("POST", "/v1/hash?dihedral=1", "C", jpeg, "image/jpeg"),
    "hash-multipart": req("POST", "/v1/hash", "C", multipart([("file", "a.png", "image/png", png)]),
                          "multipart/form-data; boundary=bwfuzz"),
    "match-gif": req("POST", "/v1/match?mode=robust&threshold=40", "C", gif, "image/gif",
                     "X-Bulwark-Context: {\"user\":\"u1\",\"upload\":\"x\"}\r\n"),
    "match-multipart": req("POST", "/v1/match?mode=dihedral", "C",
                           multipart([("context", None, "application/json", b'{"user":"u"}'),
                                      ("file", "b.jpg", "image/jpeg", jpeg)]),
                           "multipart/form-data; boundary=bwfuzz"),
    "hash-avif": req("POST", "/v1/hash", "C", avif, "image/avif"),
    "match-video": req("POST", "/v1/match?compared_percent=50", "C", mp4, "video/mp4"),
    "content-video": req("POST", "/v1/banks/block/content", "A", mp4, "application/octet-stream"),
    "match-hashes": req("POST", "/v1/match/hashes?threshold=31", "C",
                        {"signals": [{"type": "pdq", "value": PDQ}, {"type": "md5", "value": MD5},
                                     {"type": "url", "value": "http://www.Example.com/dir/page"}]}),
    "banks-list": req("GET", "/v1/banks", "A"),
    "bank-create": req("POST", "/v1/banks", "A",
                       {"name": "new", "kind": "block",
                        "settings": {"content_signals": ["pdq", "pdq_content", "pdq_regions", "md5"]}}),
    "bank-get": req("GET", "/v1/banks/block", "R"),
    "bank-patch": req("PATCH", "/v1/banks/block", "A", {"settings": {"content_signals": ["pdq"]}}),
    "bank-delete": req("DELETE", "/v1/banks/new", "A"),
    "signal-add": req("POST", "/v1/banks/block/signals", "A",
                      {"type": "sha256", "value": "ab" * 32, "source": "ngo:list 7",
                       "metadata": {"case": 12, "tags": ["a", "b"]}}),
    "signal-get": req("GET", "/v1/banks/block/signals/1", "A"),
    "signal-patch": req("PATCH", "/v1/banks/block/signals/1", "A",
                        {"enabled": False, "quarantined": True, "reason": "checking"}),
    "signal-delete": req("DELETE", "/v1/banks/block/signals/3", "A"),
    "content": req("POST", "/v1/banks/block/content", "A", jpeg, "image/jpeg",
                   "X-Bulwark-Metadata: {\"case\":\"c1\"}\r\n"),
    "import-lines": req("POST", "/v1/banks/allowed/import?format=lines", "A",
                        ("pdq %s\nmd5 %s\nurl example.org/x\nbad line\n" % (PDQ, MD5)).encode(),
                        "text/plain"),
    "import-csv": req("POST", "/v1/banks/block/import?format=csv", "A",
                      ("type,value,source,metadata\npdq,%s,ngo,\"{\"\"a\"\":1}\"\n" % PDQ).encode(),
                      "text/csv"),
    "import-jsonl": req("POST", "/v1/banks/block/import?format=jsonl", "A",
                        (json.dumps({"type": "md5", "value": MD5, "metadata": {"k": "v"}}) + "\n").encode(),
                        "application/x-ndjson"),
    "export": req("GET", "/v1/banks/block/export?format=jsonl", "A"),
    "matches": req("GET", "/v1/matches?status=pending&limit=5&before=100", "R"),
    "queue": req("GET", "/v1/matches/queue?limit=3", "R"),
    "match-get": req("GET", "/v1/matches/1", "R"),
    "review": req("POST", "/v1/matches/1/review", "R", {"decision": "false_positive", "note": "benign"}),
    "quarantine": req("GET", "/v1/quarantine", "A"),
    "quarantine-release": req("POST", "/v1/quarantine/1/release", "A", {}),
    "keys-list": req("GET", "/v1/keys", "A"),
    "key-create": req("POST", "/v1/keys", "A", {"role": "client", "name": "app", "rate_per_minute": 60}),
    "key-revoke": req("DELETE", "/v1/keys/9", "A"),
    "audit": req("GET", "/v1/audit?after=0&limit=10", "A"),
    "audit-verify": req("GET", "/v1/audit/verify", "A"),
    "deliveries": req("GET", "/v1/webhooks/deliveries?state=dead&limit=2", "A"),
    "config": req("GET", "/v1/config", "A"),
    "device-check": req("POST", "/v1/device/check", "C", {"pdq": [PDQ, "0" * 64]}),
    "device-psm": req("POST", "/v1/device/psm", "C", {"blinded": ["00" * 32]}),
    "self-report": req("POST", "/v1/device/self-reports", "C", {"pdq": [PDQ], "md5": MD5}),
    "self-report-withdraw": req("DELETE", "/v1/device/self-reports/" + "0" * 32, "C", None, None,
                                "X-Withdrawal-Token: " + "1" * 64 + "\r\n"),
    "review-page": req("GET", "/review"),
    "review-asset": req("GET", "/review/review.js"),
    "whoami": req("GET", "/v1/whoami", "R"),
    "event-media": req("GET", "/v1/matches/1/media", "R"),
    "event-reveal": req("POST", "/v1/matches/1/media/reveal", "R", {"reason": "review"}),
    "report": req("GET", "/v1/reports/1?format=json", "R"),
    "stats": req("GET", "/v1/stats?from=2026-01-01&to=2026-12-31&format=csv", "R"),
    "chart": req("GET", "/v1/stats/charts/matches.svg", "R"),
    # Only the first @L is replaced: pipelined requests give their lengths.
    "pipelined": fixed(req("POST", "/v1/match/hashes", "C", {"signals": [{"type": "pdq", "value": PDQ}]})) +
                 fixed(req("POST", "/v1/matches/1/review", "R", {"decision": "confirmed"})) +
                 req("GET", "/v1/reports/1", "R"),
    "bank-then-match": fixed(req("POST", "/v1/banks/block/content", "A", jpeg, "image/jpeg")) +
                       fixed(req("POST", "/v1/match", "C", jpeg, "image/jpeg")) +
                       req("GET", "/v1/matches/queue", "R"),
    "chunked": b"POST /v1/match/hashes HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer @C\r\n"
               b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"f\r\n{\"signals\":[{\"t\r\n" +
               ("%x\r\n" % len('ype":"md5","value":"%s"}]}' % MD5)).encode() +
               ('ype":"md5","value":"%s"}]}' % MD5).encode() + b"\r\n0\r\n\r\n",
    "expect-continue": req("POST", "/v1/hash", "C", png, "image/png", "Expect: 100-continue\r\n"),
    "wrong-key": req("GET", "/v1/banks", None, None, None, "Authorization: Bearer bwk_nope\r\n"),
}
for name, data in cases.items():
    with open(os.path.join(out, name + ".http"), "wb") as f:
        f.write(data)
PY

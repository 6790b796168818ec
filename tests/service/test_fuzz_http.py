#!/usr/bin/env python3
"""Hostile HTTP at a real bulwarkd for a while: garbage on the socket,
malformed request lines and headers, conflicting lengths, broken chunked
encoding, mutated JSON, multipart and media bodies. Every answer must be a
4xx (or 503 when busy), never a 5xx or a crash, and the server must serve
normally afterwards. Deterministic for a given seed.

    test_fuzz_http.py BULWARKD BULWARK_CLI [SECONDS] [SEED]
"""

import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bwtest as t  # noqa: E402

BULWARKD, CLI = sys.argv[1], sys.argv[2]
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 20
SEED = int(sys.argv[4]) if len(sys.argv) > 4 else 1
t.need("ffmpeg")
rng = random.Random(SEED)
DIR = t.workdir("bw-fuzz-http-")
DB = os.path.join(DIR, "bank.db")
ADMIN = t.make_key(CLI, DB, "admin")
CLIENT = t.make_key(CLI, DB, "client")
srv = t.Server(BULWARKD, DB, "--max-media-bytes", "2M", "--max-json-bytes", "256k",
               "--idle-timeout", "2", "--request-timeout", "5", "--decode-ms", "2000")
IMG = t.ffmpeg_image(os.path.join(DIR, "a.jpg"), "testsrc2", size="320x240")
srv.request("POST", "/v1/banks", key=ADMIN, body={"name": "fuzz"})
srv.request("POST", "/v1/banks/fuzz/content", key=ADMIN, body=IMG, ctype="image/jpeg")

PATHS = ["/v1/match", "/v1/hash", "/v1/match/hashes", "/v1/banks", "/v1/banks/fuzz",
         "/v1/banks/fuzz/signals", "/v1/banks/fuzz/signals/1", "/v1/banks/fuzz/content",
         "/v1/banks/fuzz/import", "/v1/matches/1/review", "/v1/keys", "/v1/audit",
         "/healthz", "/metrics", "/v1/matches?limit=-5", "/v1/banks/%00", "/v1/" + "a" * 300]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "BREW", "GET\x00"]
JSONS = [b'{"signals":[{"type":"pdq","value":"' + b"f" * 64 + b'"}]}',
         b'{"name":"x","kind":"block"}', b'{"type":"md5","value":"' + b"0" * 32 + b'"}',
         b'{"decision":"confirmed","note":"n"}', b'{"role":"client"}', b'{"enabled":false}']


def mutate(data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(6)
        if op == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == 1 and data:
            del data[rng.randrange(len(data)):][:rng.randint(1, 64)]
        elif op == 2:
            at = rng.randrange(len(data) + 1)
            data[at:at] = rng.choice([b"[" * 3000, b'"\\ud800"', b"1e999999", b"-0",
                                      b"\x00", b"{}", b'"' + b"\xff" * 10 + b'"', b"null",
                                      b"9" * 400, rng.randbytes(rng.randint(1, 40))])
        elif op == 3:
            data = data[:rng.randrange(len(data) + 1)]
        elif op == 4 and data:
            at = rng.randrange(len(data))
            data[at:at] = data[at:at + rng.randint(1, 200)] * rng.randint(1, 50)
        else:
            data += rng.randbytes(rng.randint(0, 100))
    return bytes(data)


def body_for(path):
    kind = rng.randrange(4)
    if kind == 0:
        return mutate(rng.choice(JSONS)), "application/json"
    if kind == 1:
        return mutate(IMG), rng.choice(["image/jpeg", "application/octet-stream", ""])
    if kind == 2:
        body, ctype = t.multipart([("file", "a.jpg", "image/jpeg", IMG),
                                   ("context", None, None, b'{"u":1}')])
        return mutate(body), rng.choice([ctype, "multipart/form-data",
                                         "multipart/form-data; boundary=", ctype + "x"])
    return rng.randbytes(rng.randint(0, 3000)), rng.choice(["text/plain", "text/csv", "",
                                                         "application/json; charset=utf-8"])


def raw_request():
    path = rng.choice(PATHS)
    method = rng.choice(METHODS)
    body, ctype = body_for(path)
    headers = ["Host: x"]
    if rng.random() < 0.9:
        headers.append("Authorization: Bearer " + rng.choice([ADMIN, CLIENT, ADMIN[:-1] + "A",
                                                             "x" * 5000, ""]))
    if ctype:
        headers.append("Content-Type: " + ctype)
    framing = rng.randrange(6)
    if framing == 0:
        headers.append("Content-Length: %d" % len(body))
    elif framing == 1:
        headers.append("Content-Length: %d" % (len(body) + rng.randint(1, 100)))  # short
    elif framing == 2:
        headers += ["Content-Length: %d" % len(body), "Content-Length: 5"]
    elif framing == 3:
        headers.append("Transfer-Encoding: chunked")
        body = b"%x\r\n" % len(body) + body + b"\r\n" + rng.choice([b"0\r\n\r\n", b"zz\r\n",
                                                                     b""])
    elif framing == 4:
        headers.append("Content-Length: " + rng.choice(["-1", "abc", "99999999999999999999",
                                                        "1e3", " 10"]))
    for _ in range(rng.randint(0, 3)):
        headers.append(rng.choice(["X-Bulwark-Context: " + mutate(b'{"a":1}').decode("latin-1"),
                                   "Expect: 100-continue", "X-A: " + "b" * rng.randint(0, 9000),
                                   "Bad Header Line", "X-\x01: y", ": empty"]))
    line = "%s %s HTTP/1.%d" % (method, path, rng.choice([1, 0, 1, 1]))
    if rng.random() < 0.05:
        line = mutate(line.encode()).decode("latin-1")
    head = (line + "\r\n" + "\r\n".join(headers) + "\r\n\r\n").encode("latin-1", "replace")
    if rng.random() < 0.03:
        return rng.randbytes(rng.randint(1, 2000))
    return head + body


def send(data):
    """The status line the server answered with, or None."""
    try:
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while len(reply) < 64:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
        sock.close()
    except (ConnectionError, socket.timeout, OSError):
        return None
    if reply.startswith(b"HTTP/1."):
        try:
            return int(reply[9:12])
        except ValueError:
            return -1
    return None


def fuzz():
    start, n, statuses = time.monotonic(), 0, {}
    while time.monotonic() - start < SECONDS:
        status = send(raw_request())
        n += 1
        statuses[status] = statuses.get(status, 0) + 1
        # 503: busy; 505: libmicrohttpd refusing a mangled HTTP version.
        if status is not None and status >= 500 and status not in (503, 505):
            t.check(False, "request %d answered %d" % (n, status))
        if srv.proc.poll() is not None:
            t.check(False, "bulwarkd died after request %d" % n)
            break
    print("  %d hostile requests; answers: %s" % (n, ", ".join(
        "%s x%d" % (k, v) for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0])))))
    t.check(n > 50, "enough requests were sent")
    # (A mutated request may have deleted the bank: hash, do not match.)
    s, _, _, j = srv.request("POST", "/v1/hash", key=CLIENT, body=IMG, ctype="image/jpeg")
    t.check(s == 200 and len(j["pdq"]["hash"]) == 64, "still serving normally afterwards")
    t.check_eq(srv.request("GET", "/readyz")[0], 200, "and ready")


try:
    t.run("fuzz", fuzz)
finally:
    t.check_eq(srv.stop(), 0, "clean exit")
    if not t.failures:
        t.remove(DIR)
t.finish()

#!/usr/bin/env python3
"""The bulwark-chat relay against hostile clients: bad names and keys, path
tricks, missing and wrong tokens, other users' mailboxes, oversized and
empty bodies, a full mailbox, and raw garbage on the socket. A real relay
process on loopback.

    test_relay.py BULWARK_CHAT
"""

import http.client
import json
import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "service"))
import bwtest as t  # noqa: E402

CHAT = sys.argv[1]
DIR = t.workdir("bw-relay-")
relay = subprocess.Popen([CHAT, "relay", "--listen", "127.0.0.1:0", "--data", DIR],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
PORT = int(relay.stdout.readline().split("127.0.0.1:")[1].split(",")[0])
KEY = "ab" * 32
TOKENS = {}


def req(method, path, body=None, token=None, ctype=None):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    h = {}
    if token:
        h["Authorization"] = "Bearer " + token
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        ctype = "application/json"
    if ctype:
        h["Content-Type"] = ctype
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        j = json.loads(data) if data else None
    except ValueError:
        j = None
    return r.status, data, j


def registration():
    for name in ["", "Alice", "../etc", "a" * 33, ".hidden", "a/b", "a b"]:
        s, _, j = req("POST", "/v1/users", {"name": name, "public_key": KEY})
        t.check_eq(s, 422, "name %r refused" % name)
    for key in ["ab", "zz" * 32, 12, None]:
        t.check_eq(req("POST", "/v1/users", {"name": "x", "public_key": key})[0], 422,
                   "key %r refused" % key)
    t.check_eq(req("POST", "/v1/users", b"{not json", ctype="application/json")[0], 422,
               "bad JSON")
    t.check_eq(req("POST", "/v1/users", b"x" * 5000, ctype="application/json")[0], 413,
               "oversized registration")
    s, _, j = req("POST", "/v1/users", {"name": "alice", "public_key": KEY})
    t.check(s == 201 and len(j["token"]) == 64, "alice registers")
    TOKENS["alice"] = j["token"]
    t.check_eq(req("POST", "/v1/users", {"name": "alice", "public_key": KEY})[0], 409,
               "a taken name")
    TOKENS["bob"] = req("POST", "/v1/users", {"name": "bob", "public_key": "cd" * 32})[2]["token"]


def mailboxes(alice, bob):
    t.check_eq(req("GET", "/v1/users/alice")[2]["public_key"], KEY, "public keys are public")
    for p in ["/v1/users/..%2f..%2fetc", "/v1/users/../tokens", "/v1/users/nobody"]:
        t.check_eq(req("GET", p)[0], 404, "%s is not found" % p)
    t.check_eq(req("GET", "/v1/messages")[0], 401, "no token")
    t.check_eq(req("GET", "/v1/messages", token="00" * 32)[0], 401, "wrong token")
    t.check_eq(req("GET", "/v1/messages", token="../../users/alice")[0], 401, "odd token")
    t.check_eq(req("POST", "/v1/messages/nobody", b"x", alice)[0], 404, "no such recipient")
    t.check_eq(req("POST", "/v1/messages/bob", b"", alice)[0], 400, "empty message")
    s, _, j = req("POST", "/v1/messages/bob", b"sealed bytes", alice)
    t.check_eq(s, 201, "alice posts to bob")
    mid = j["id"]
    t.check(mid.endswith("-alice"), "the id names the sender")
    t.check_eq(req("GET", "/v1/messages/" + mid, token=alice)[0], 404,
               "alice cannot read bob's mailbox")
    t.check_eq(req("DELETE", "/v1/messages/" + mid, token=alice)[0], 404,
               "nor delete from it")
    for bad in ["x", "../../users/alice", "1-zzzzzzzz-alice", "1-00000000-../x"]:
        t.check_eq(req("GET", "/v1/messages/" + bad, token=bob)[0], 404, "id %r" % bad)
    s, data, _ = req("GET", "/v1/messages/" + mid, token=bob)
    t.check_eq((s, data), (200, b"sealed bytes"), "bob reads it")
    t.check_eq(req("DELETE", "/v1/messages/" + mid, token=bob)[0], 204, "and deletes it")
    t.check_eq(req("GET", "/v1/messages", token=bob)[2], {"messages": []}, "empty again")
    t.check_eq(req("PUT", "/v1/messages", token=bob)[0], 405, "other methods")
    t.check_eq(req("GET", "/nothing")[0], 404, "unknown paths")


def full_mailbox(alice, bob):
    codes = [req("POST", "/v1/messages/bob", b"m", alice)[0] for _ in range(1001)]
    t.check_eq(codes.count(201), 1000, "a mailbox takes 1000 messages")
    t.check_eq(codes[-1], 429, "then says it is full")
    t.check_eq(len(req("GET", "/v1/messages", token=bob)[2]["messages"]), 1000, "all listed")


def garbage():
    for junk in [b"\x00\xff" * 1000, b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
                 b"POST /v1/users HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\nx"]:
        s = socket.create_connection(("127.0.0.1", PORT))
        try:
            s.sendall(junk)
            s.settimeout(5)
            s.recv(100)
        except OSError:
            pass
        s.close()
    t.check_eq(req("GET", "/v1/users/alice")[0], 200, "the relay still answers")


try:
    t.run("registration", registration)
    t.run("mailboxes", mailboxes, TOKENS["alice"], TOKENS["bob"])
    t.run("full_mailbox", full_mailbox, TOKENS["alice"], TOKENS["bob"])
    t.run("garbage", garbage)
finally:
    relay.terminate()
    t.check_eq(relay.wait(30), 0, "the relay exits cleanly on SIGTERM")
    if not t.failures:
        t.remove(DIR)
t.finish()

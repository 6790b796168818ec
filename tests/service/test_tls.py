#!/usr/bin/env python3
"""TLS both ways bulwarkd supports it: served directly (--tls-cert,
--tls-key, GnuTLS inside libmicrohttpd), and behind nginx using the
documented configuration docs/deploy/nginx-bulwarkd.conf.

    test_tls.py BULWARKD BULWARK_CLI NGINX_SITE_CONF
"""

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bwtest as t  # noqa: E402

BULWARKD, CLI, SITE = sys.argv[1:4]
t.need("openssl", "ffmpeg")
DIR = t.workdir("bw-tls-")
DB = os.path.join(DIR, "bank.db")
CERT, KEY = os.path.join(DIR, "cert.pem"), os.path.join(DIR, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", KEY, "-out", CERT], check=True, capture_output=True)
os.chmod(KEY, 0o644)  # nginx's workers may read it as another user
ADMIN = t.make_key(CLI, DB, "admin")
CLIENT = t.make_key(CLI, DB, "client")
IMG = t.ffmpeg_image(os.path.join(DIR, "a.jpg"), "testsrc2", size="640x480")
TRUST = ssl.create_default_context(cafile=CERT)


def https(port, method, path, key=None, body=None, ctype=None):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=TRUST, timeout=30)
    h = {"Authorization": "Bearer " + key} if key else {}
    if ctype:
        h["Content-Type"] = ctype
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    try:
        return r.status, json.loads(data) if data else None
    except ValueError:
        t.check(False, "%s %s: the answer is JSON: %r" % (method, path, data[:60]))
        return r.status, None


def exercise(port, where):
    t.check_eq(https(port, "GET", "/healthz")[0], 200, where + ": healthz over TLS")
    t.check_eq(https(port, "GET", "/v1/banks")[0], 401, where + ": key still required")
    s, _ = https(port, "POST", "/v1/banks", ADMIN, json.dumps({"name": "tls-" + where}),
                 "application/json")
    t.check_eq(s, 201, where + ": create a bank")
    s, j = https(port, "POST", "/v1/banks/tls-%s/content" % where, ADMIN, IMG, "image/jpeg")
    t.check_eq(s, 201, where + ": bank an image")
    s, j = https(port, "POST", "/v1/match", CLIENT, IMG, "image/jpeg")
    t.check(s == 200 and j["actionable"], where + ": upload matched over TLS")
    s, j = https(port, "POST", "/v1/match", CLIENT, b"\0" * (65 << 20), "image/jpeg")
    t.check_eq(s, 413, where + ": oversized upload refused")


def direct():
    srv = t.Server(BULWARKD, DB, "--tls-cert", CERT, "--tls-key", KEY, tls=True)
    try:
        exercise(srv.port, "direct")
        # Plain HTTP to the TLS port gets no answer.
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            reply = sock.recv(100)
        except (ConnectionResetError, socket.timeout):
            reply = b""
        t.check(not reply.startswith(b"HTTP/1.1 200"), "no plain HTTP on the TLS port")
        sock.close()
        # A client that does not trust the certificate is refused.
        try:
            http.client.HTTPSConnection("127.0.0.1", srv.port, timeout=5,
                                        context=ssl.create_default_context()).request(
                "GET", "/healthz")
            t.check(False, "an untrusted certificate is rejected by a verifying client")
        except ssl.SSLError:
            pass
    finally:
        t.check_eq(srv.stop(), 0, "direct TLS server stops cleanly")


def behind_nginx():
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                      else None)
    if not nginx:
        print("SKIP: nginx not found")
        sys.exit(t.SKIP)
    srv = t.Server(BULWARKD, DB)
    with open(SITE) as f:
        template = f.read()
    # nginx is told a port found free a moment earlier; should another test
    # take it in between, nginx exits and is started again on another. It
    # writes its pid file only once it has bound the port: a listener alone
    # could be the other test's.
    pid_file = os.path.join(DIR, "nginx.pid")
    for _ in range(3):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        site = (template.replace("@UPSTREAM@", "127.0.0.1:%d" % srv.port)
                .replace("@LISTEN@", "127.0.0.1:%d" % port).replace("@CERT@", CERT)
                .replace("@KEY@", KEY))
        conf = os.path.join(DIR, "nginx.conf")
        with open(conf, "w") as f:
            f.write("daemon off;\nmaster_process off;\npid %s;\n"
                    "error_log %s/error.log;\nevents {}\nhttp {\n"
                    "access_log off;\nclient_body_temp_path %s;\nproxy_temp_path %s;\n%s\n}\n"
                    % (pid_file, DIR, DIR, DIR, site))
        if os.path.exists(pid_file):
            os.remove(pid_file)
        proc = subprocess.Popen([nginx, "-c", conf, "-p", DIR], stderr=subprocess.PIPE)
        t.wait_for(lambda: proc.poll() is not None or _own_pid(pid_file, proc.pid), 15, 0.1)
        if proc.poll() is None:
            break
        print("nginx could not start on port %d; trying another" % port)
    ok = (proc.poll() is None and _own_pid(pid_file, proc.pid)
          and t.wait_for(lambda: _listening(port), 10, 0.1)[0])
    try:
        if not t.check(ok, "nginx started with the documented configuration"):
            print(proc.stderr.read().decode() if proc.poll() is not None else "")
            return
        exercise(port, "nginx")
    finally:
        proc.terminate()
        proc.wait()
        t.check_eq(srv.stop(), 0, "bulwarkd behind nginx stops cleanly")


def _own_pid(path, pid):
    try:
        with open(path) as f:
            return f.read().strip() == str(pid)
    except OSError:
        return False


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


try:
    t.run("direct", direct)
    t.run("behind_nginx", behind_nginx)
finally:
    if not t.failures:
        t.remove(DIR)
t.finish()

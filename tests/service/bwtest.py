"""Helpers for the service tests: start real bulwarkd processes on loopback,
make keys with the real CLI, send real HTTP requests, make benign test
images with ffmpeg. Only Python's standard library is used."""

import base64
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77

failures = []


def check(cond, what):
    """Records a failed expectation and carries on (like the C harness)."""
    if not cond:
        failures.append(what)
        print("  CHECK failed: " + what, file=sys.stderr, flush=True)
    return cond


def check_eq(got, want, what):
    return check(got == want, "%s: got %r, want %r" % (what, got, want))


def _stable_codes():
    """The error codes docs/openapi.yaml promises (ErrorDetail.code)."""
    spec = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                        "openapi.yaml")
    with open(spec) as f:
        text = f.read()
    at = text.index("Stable:", text.index("ErrorDetail:"))
    words = text[at + len("Stable:"):text.index(".", at)]
    return {w.strip() for w in words.replace("\n", " ").split(",") if w.strip()}


STABLE_CODES = _stable_codes()


def run(name, fn, *args):
    before = len(failures)
    fn(*args)
    print(("ok   " if len(failures) == before else "FAIL ") + name, flush=True)


def finish():
    print("%d checks failed" % len(failures) if failures else "all checks passed",
          flush=True)
    sys.exit(1 if failures else 0)


class Server:
    """One bulwarkd process. Its JSON log lines are kept in .log."""

    def __init__(self, bulwarkd, db, *extra, env=None, tls=False):
        self.log = []
        self.tls = tls
        cmd = [bulwarkd, "--db", db, "--listen", "127.0.0.1:0", *extra]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     env=env, text=True)
        self.port = None
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(60) or not self.port:
            self.stop()
            raise RuntimeError("bulwarkd did not start:\n" + "\n".join(self.log[-20:]))

    def _read(self):
        for line in self.proc.stderr:
            line = line.rstrip("\n")
            self.log.append(line)
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "listening":
                self.port = entry["port"]
                self.ready.set()
        self.ready.set()

    def request(self, method, path, key=None, body=None, ctype=None, headers=None,
                timeout=60):
        """(status, headers dict with lower-case names, body bytes, JSON or None)."""
        if self.tls:
            raise RuntimeError("use a TLS client for a TLS server")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = dict(headers or {})
        if key:
            h["Authorization"] = "Bearer " + key
        if ctype:
            h["Content-Type"] = ctype
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        # Clients branch on error codes: every one must be a documented one.
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
            code = parsed["error"].get("code")
            check(code in STABLE_CODES, "%s %s: error code %r is not in openapi.yaml's "
                  "stable list" % (method, path, code))
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data, parsed

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(5)
        if self.proc.returncode not in (0, -signal.SIGKILL):
            # Sanitizer reports and crashes are not JSON: show them.
            odd = [l for l in self.log if not l.startswith("{")]
            print("bulwarkd exited with %s; its non-JSON output:\n%s"
                  % (self.proc.returncode, "\n".join(odd[-60:])), file=sys.stderr)
        return self.proc.returncode


def make_key(cli, db, role, rate=None, name=None):
    cmd = [cli, "key", "create", "--db", db, "--role", role]
    if rate is not None:
        cmd += ["--rate", str(rate)]
    if name:
        cmd += ["--name", name]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def multipart(fields, boundary="bulwark-test-boundary"):
    """fields: list of (name, filename or None, content type or None, bytes)."""
    parts = []
    for name, filename, ctype, data in fields:
        head = 'Content-Disposition: form-data; name="%s"' % name
        if filename:
            head += '; filename="%s"' % filename
        head += "\r\n"
        if ctype:
            head += "Content-Type: %s\r\n" % ctype
        parts.append(b"--" + boundary.encode() + b"\r\n" + head.encode() + b"\r\n" + data +
                     b"\r\n")
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    return body, "multipart/form-data; boundary=" + boundary


def _ffmpeg(inputs, out, filters, quality):
    cmd = ["ffmpeg", "-loglevel", "error", "-y", *inputs]
    if filters:
        cmd += ["-vf", ",".join(filters)]
    if quality is not None:
        cmd += ["-q:v", str(quality)]
    subprocess.run(cmd + ["-frames:v", "1", out], check=True)
    with open(out, "rb") as f:
        return f.read()


def ffmpeg_image(out, source, *filters, size="640x480", quality=None):
    """A benign synthetic image from one of ffmpeg's test sources, with
    optional filters (scale, hflip, pad...) applied."""
    src = "%s=size=%s" % (source, size) if "=" not in source else source
    return _ffmpeg(["-f", "lavfi", "-i", src], out, filters, quality)


def ffmpeg_edit(src, out, *filters, quality=None):
    """An edited copy of an image file."""
    return _ffmpeg(["-i", src], out, filters, quality)


def need(*tools):
    for t in tools:
        if not shutil.which(t):
            print("SKIP: %s not found" % t)
            sys.exit(SKIP)


def workdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    return d


def wait_for(fn, timeout, step=0.02):
    """Polls fn until it returns something true; (value, seconds taken)."""
    start = time.monotonic()
    while True:
        v = fn()
        if v or time.monotonic() - start > timeout:
            return v, time.monotonic() - start
        time.sleep(step)


def remove(path):
    shutil.rmtree(path, ignore_errors=True)


def env_with(**kv):
    e = dict(os.environ)
    e.update(kv)
    return e


def written_forms(hexes):
    """Every way a hash could be written down, for searching files and
    traffic for it: hex in both cases, raw bytes, base64 and base64url."""
    out = set()
    for h in hexes:
        raw = bytes.fromhex(h)
        out |= {h.lower().encode(), h.upper().encode(), raw, base64.b64encode(raw),
                base64.urlsafe_b64encode(raw).rstrip(b"=")}
    return out

"""A bulwarkd on loopback for the review tests, set up the way an operator
would: a SQLite store made with the real CLI, a bank of benign golden
images' hashes, keys for each role, a media key and a reporter file.
Only Python's standard library is used."""

import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

SKIP = 77
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("  CHECK failed: " + what, file=sys.stderr, flush=True)
    return cond


def check_eq(got, want, what):
    return check(got == want, "%s: got %r, want %r" % (what, got, want))


def run(name, fn):
    before = len(failures)
    fn()
    print(("ok   " if len(failures) == before else "FAIL ") + name, flush=True)


def finish():
    print("%d checks failed" % len(failures) if failures else "all checks passed", flush=True)
    sys.exit(1 if failures else 0)


class Setup:
    """The store, keys and files; servers are started from it."""

    def __init__(self, cli, golden, banked):
        self.cli, self.golden = cli, golden
        self.dir = tempfile.mkdtemp(prefix="bw-review-")
        self.db = os.path.join(self.dir, "bank.db")
        self.media = os.path.join(self.dir, "media")
        self.media_key = os.path.join(self.dir, "media.key")
        with open(os.open(self.media_key, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
            f.write(os.urandom(32))
        self.reporter = os.path.join(self.dir, "reporter.json")
        with open(self.reporter, "w") as f:
            json.dump({"organisation": "Example Photos Ltd", "first_name": "Ada",
                       "last_name": "Reviewer", "email": "safety@example.org",
                       "legal_url": "https://example.org/legal"}, f)
        self.bulwark("bank", "create", "known")
        self.bulwark("bank", "create", "self-reports")
        for name in banked:
            pdq = self.bulwark("hash", os.path.join(golden, name)).split(",")[0]
            self.bulwark("bank", "add", "known", "pdq", pdq, "--metadata",
                         json.dumps({"source_case": name}))
        self.keys, self.key_ids = {}, {}
        for role in ("client", "reviewer", "admin"):
            out = subprocess.run([cli, "key", "create", "--role", role, "--name", role, "--db",
                                  self.db], check=True, capture_output=True, text=True)
            self.keys[role] = out.stdout.strip()
            self.key_ids[role] = int(out.stderr.split(" key ")[1].split(";")[0])

    def bulwark(self, *args):
        return subprocess.run([self.cli, *args, "--db", self.db] if args[0] != "hash"
                              else [self.cli, *args], check=True, capture_output=True,
                              text=True).stdout.strip()

    def read(self, name):
        with open(os.path.join(self.golden, name), "rb") as f:
            return f.read()


class Server:
    """One bulwarkd; stderr (its JSON log) goes to a file read for the port."""

    def __init__(self, bulwarkd, setup, retain=True, reporter=True):
        self.log_path = os.path.join(setup.dir, "bulwarkd-%d.log" % time.monotonic_ns())
        args = [bulwarkd, "--db", setup.db, "--listen", "127.0.0.1:0", "--workers", "2",
                "--http-threads", "2", "--self-report-bank", "self-reports"]
        if retain:
            args += ["--retain-media", "true", "--media-dir", setup.media, "--media-key-file",
                     setup.media_key, "--retention-days", "30"]
        if reporter:
            args += ["--reporter-file", setup.reporter]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stderr=self.log, stdout=subprocess.DEVNULL)
        self.port = None
        deadline = time.time() + 60
        while self.port is None and time.time() < deadline and self.proc.poll() is None:
            time.sleep(0.05)
            for line in self.lines():
                if line.get("msg") == "listening":
                    self.port = line["port"]
        if self.port is None:
            raise SystemExit("bulwarkd did not start:\n" + open(self.log_path).read())

    def lines(self):
        out = []
        with open(self.log_path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def request(self, method, path, key=None, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        if key:
            h["Authorization"] = "Bearer " + key
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def json(self, method, path, key=None, body=None, headers=None):
        status, headers_out, data = self.request(method, path, key, body, headers)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None

    def stop(self):
        """SIGTERM; the exit status (non-zero when a sanitizer found a leak)."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        if self.proc.returncode:
            print(open(self.log_path).read()[-4000:], file=sys.stderr)
        return self.proc.returncode

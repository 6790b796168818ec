"""A bulwarkd on loopback for the review tests, set up the way an operator
would: a SQLite store made with the real CLI, a bank of benign golden
images' hashes, keys for each role, a media key and a reporter file.
Only Python's standard library is used."""

import json
import os
import subprocess
import sys
import tempfile

# The check/run/finish harness is the service tests' own.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "service"))
import bwtest  # noqa: E402
from bwtest import SKIP, failures, check, check_eq, run, finish  # noqa: E402,F401


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


class Server(bwtest.Server):
    """One bulwarkd set up for review: media retained and a reporter, unless
    told otherwise; the self-report bank counted in the statistics."""

    def __init__(self, bulwarkd, setup, retain=True, reporter=True):
        extra = ["--workers", "2", "--http-threads", "2", "--self-report-bank", "self-reports"]
        if retain:
            extra += ["--retain-media", "true", "--media-dir", setup.media, "--media-key-file",
                      setup.media_key, "--retention-days", "30"]
        if reporter:
            extra += ["--reporter-file", setup.reporter]
        super().__init__(bulwarkd, setup.db, *extra)

    def request(self, method, path, key=None, body=None, headers=None):
        """(status, headers with lower-case names, body bytes)."""
        status, headers_out, data, _ = super().request(method, path, key=key, body=body,
                                                       headers=headers)
        return status, headers_out, data

    def json(self, method, path, key=None, body=None, headers=None):
        status, _, _, parsed = super().request(method, path, key=key, body=body,
                                               headers=headers)
        return status, parsed

#!/usr/bin/env python3
"""Several bulwarkd nodes sharing one PostgreSQL bank (run through
tests/pg/with-postgres.sh, which starts a real server): a change made
through one node is matched by the others within a second, applied as a
delta (no reload); writes through every node at once keep one valid audit
chain; kill -9 of a node loses nothing it acknowledged.

    with-postgres.sh test_multinode.py BULWARKD BULWARK_CLI
"""

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bwtest as t  # noqa: E402

BULWARKD, CLI = sys.argv[1], sys.argv[2]
URI = os.environ.get("BW_TEST_PG_URI")
if not URI:
    print("SKIP: BW_TEST_PG_URI not set (run through tests/pg/with-postgres.sh)")
    sys.exit(t.SKIP)

ADMIN = t.make_key(CLI, URI, "admin")
CLIENT = t.make_key(CLI, URI, "client")
rng = random.Random(20261125)
nodes = [t.Server(BULWARKD, URI, "--refresh-ms", "250") for _ in range(3)]


def random_pdq():
    return "%064x" % rng.getrandbits(256)


def matches(node, value):
    s, _, _, j = node.request("POST", "/v1/match/hashes", key=CLIENT,
                              body={"signals": [{"type": "pdq", "value": value}]})
    return s == 200 and bool(j["results"][0]["matches"]) and j["results"][0]["actionable"]


def applied(node):
    text = node.request("GET", "/metrics", key=ADMIN)[2].decode()
    m = re.search(r"^bulwark_index_changes_applied_total (\d+)$", text, re.M)
    return int(m.group(1)) if m else 0


def propagation():
    t.check_eq(nodes[0].request("POST", "/v1/banks", key=ADMIN,
                                body={"name": "shared", "kind": "block"})[0], 201, "bank")
    worst = 0.0
    before = [applied(n) for n in nodes[1:]]
    for i in range(10):
        value = random_pdq()
        writer = nodes[i % 3]
        s, _, _, j = writer.request("POST", "/v1/banks/shared/signals", key=ADMIN,
                                    body={"type": "pdq", "value": value})
        t.check_eq(s, 201, "signal added through node %d" % (i % 3))
        t.check(matches(writer, value), "the writing node matches at once")
        for k, other in enumerate(nodes):
            if other is writer:
                continue
            ok, took = t.wait_for(lambda: matches(other, value), 5)
            t.check(ok, "node %d sees the change" % k)
            worst = max(worst, took)
        # Disabling propagates the same way.
        if i == 9:
            sid = j["id"]
            writer.request("PATCH", "/v1/banks/shared/signals/%d" % sid, key=ADMIN,
                           body={"enabled": False})
            for other in nodes:
                gone, took = t.wait_for(lambda: not matches(other, value), 5)
                t.check(gone, "disabled everywhere")
                worst = max(worst, took)
    print("  slowest propagation to another node: %.3f s" % worst)
    t.check(worst < 1.0, "every node sees every change within 1 s (%.3f s)" % worst)
    # Deltas, not reloads: each node applied about as many changes as were
    # made, and loaded the index once, at start.
    after = [applied(n) for n in nodes[1:]]
    for k, (b, a) in enumerate(zip(before, after)):
        t.check(0 < a - b <= 40, "node %d applied %d changes, not a reload" % (k + 1, a - b))
    for k, n in enumerate(nodes):
        loads = sum(1 for line in n.log if '"msg":"index loaded"' in line)
        t.check_eq(loads, 1, "node %d loaded its index once" % k)


def concurrent_writers():
    """Writes through all nodes at once keep one valid audit chain."""
    errors = []

    def write(node, n):
        for _ in range(n):
            s = node.request("POST", "/v1/banks/shared/signals", key=ADMIN,
                             body={"type": "pdq", "value": random_pdq()})[0]
            if s != 201:
                errors.append(s)
    threads = [threading.Thread(target=write, args=(n, 30)) for n in nodes]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t.check_eq(errors, [], "every concurrent write succeeded")
    s, _, _, j = nodes[1].request("GET", "/v1/audit/verify", key=ADMIN)
    t.check_eq((s, j["ok"]), (200, True), "one intact audit chain (%s entries)" % j["entries"])


def kill_nine():
    """A node killed mid-burst loses nothing it acknowledged."""
    victim = nodes[2]
    acked, stop = [], threading.Event()
    img = t.ffmpeg_image(os.path.join(DIR, "k.jpg"), "testsrc2", size="320x240")
    s, _, _, j = nodes[0].request("POST", "/v1/banks/shared/content", key=ADMIN, body=img,
                                  ctype="image/jpeg")
    t.check_eq(s, 201, "banked an image")
    t.wait_for(lambda: matches(victim, j["signals"][0]["value"]), 5)
    events = []

    def burst():
        while not stop.is_set():
            value = random_pdq()
            try:
                s = victim.request("POST", "/v1/banks/shared/signals", key=ADMIN,
                                   body={"type": "pdq", "value": value}, timeout=30)[0]
                if s == 201:
                    acked.append(value)
                s, _, _, m = victim.request("POST", "/v1/match", key=CLIENT, body=img,
                                            ctype="image/jpeg", timeout=30)
                if s == 200 and "event_id" in m:
                    events.append(m["event_id"])
            except OSError:
                return
    th = threading.Thread(target=burst)
    th.start()
    # Kill it mid-burst, once the burst has done some of each (a slow
    # machine or a sanitizer build takes longer than a fixed pause allows).
    t.wait_for(lambda: len(acked) > 5 and len(events) > 5, 60)
    time.sleep(0.2)
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait()
    stop.set()
    th.join()
    t.check(len(acked) > 5 and len(events) > 5,
            "the burst did work before the kill (%d signals, %d matches)"
            % (len(acked), len(events)))
    survivor = nodes[1]
    lost = [v for v in acked if not t.wait_for(lambda: matches(survivor, v), 5)[0]]
    t.check_eq(lost, [], "every acknowledged signal survives")
    missing = [e for e in events
               if survivor.request("GET", "/v1/matches/%d" % e, key=ADMIN)[0] != 200]
    t.check_eq(missing, [], "every acknowledged match record survives")
    s, _, _, j = survivor.request("GET", "/v1/audit/verify", key=ADMIN)
    t.check_eq((s, j["ok"]), (200, True), "audit chain intact after the kill")
    # The node comes back with everything.
    nodes[2] = t.Server(BULWARKD, URI)
    t.check(all(matches(nodes[2], v) for v in acked[-5:]), "restarted node matches")


def database_restart():
    """Nodes ride out a PostgreSQL restart: they reconnect by themselves."""
    pg_bin, pg_dir = os.environ.get("BW_TEST_PG_BIN"), os.environ.get("BW_TEST_PG_DIR")
    if not pg_bin or not pg_dir:
        print("  (skipped: with-postgres.sh did not say where the server is)")
        return
    as_user = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    subprocess.run(as_user + [os.path.join(pg_bin, "pg_ctl"), "-D",
                              os.path.join(pg_dir, "data"), "-m", "fast", "-w", "restart"],
                   check=True, stdout=subprocess.DEVNULL)
    value = random_pdq()
    ok, _ = t.wait_for(lambda: nodes[0].request("POST", "/v1/banks/shared/signals", key=ADMIN,
                                                body={"type": "pdq", "value": value})[0] == 201,
                       15, 0.2)
    t.check(ok, "writes work again after the restart")
    for k, n in enumerate(nodes):
        seen, _ = t.wait_for(lambda: matches(n, value), 10)
        t.check(seen, "node %d follows the bank again" % k)
        t.check_eq(n.request("GET", "/readyz")[0], 200, "node %d ready" % k)


DIR = t.workdir("bw-multinode-")
try:
    t.run("propagation", propagation)
    t.run("concurrent_writers", concurrent_writers)
    t.run("kill_nine", kill_nine)
    t.run("database_restart", database_restart)
finally:
    for n in nodes:
        n.stop()
    if not t.failures:
        t.remove(DIR)
t.finish()

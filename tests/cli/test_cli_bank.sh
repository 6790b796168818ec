#!/bin/sh
# `bulwark bank` and `bulwark match` as a user runs them, on SQLite (or on
# PostgreSQL when BW_TEST_PG_URI is set, through tests/pg/with-postgres.sh).
#   test_cli_bank.sh BULWARK DATADIR
set -u
bw=$1
golden=$2/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
db=${BW_TEST_PG_URI:-$tmp/banks.db}
B() { "$bw" bank --db "$db" "$@"; }
M() { "$bw" match --db "$db" "$@"; }

# Only create makes a store: a mistyped path is an error for every other
# command, never an empty store that verifies as intact.
for cmd in "audit verify" "bank list" "key list" "match --hash pdq:$(printf '%064d' 0)"; do
  "$bw" $cmd --db "$tmp/typo.db" 2>"$tmp/e"; rc=$?
  [ $rc -eq 1 ] && grep -q "no bank store at $tmp/typo.db" "$tmp/e" && [ ! -e "$tmp/typo.db" ] &&
    ok "$cmd: no store made" || fail "$cmd on a missing store: exit $rc, $(cat "$tmp/e")"
done
# A PostgreSQL server that accepts and never answers (a network that drops
# packets) is given up on in about 10 s, not after TCP's minutes.
if [ -z "${BW_TEST_PG_URI:-}" ]; then
  # The listener picks its own port and names it once listening: a port
  # found free and bound later could be taken in between by a parallel test.
  python3 -c 'import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
with open(sys.argv[1] + ".tmp", "w") as f: f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []; end = time.time() + 40
while time.time() < end:
    s.settimeout(1)
    try: held.append(s.accept())
    except OSError: pass' "$tmp/silent-port" &
  silent=$!
  for _ in $(seq 100); do [ -s "$tmp/silent-port" ] && break; sleep 0.1; done
  port=$(cat "$tmp/silent-port")
  start=$(date +%s)
  "$bw" bank list --db "postgresql://nobody@127.0.0.1:$port/x" 2>"$tmp/e"; rc=$?
  took=$(($(date +%s) - start))
  kill $silent 2>/dev/null
  [ $rc -eq 1 ] && [ $took -le 15 ] && grep -q "timeout expired" "$tmp/e" &&
    ok "silent PostgreSQL given up on after ${took} s" ||
    fail "silent PostgreSQL: exit $rc after $took s: $(cat "$tmp/e")"
fi
B create ncmec 2>/dev/null && B create --kind allow reviewed-ok 2>/dev/null && ok "create" || fail "create"
B create ncmec 2>"$tmp/e"; [ $? -eq 1 ] && grep -q "already exists" "$tmp/e" && ok "duplicate bank refused" \
  || fail "duplicate bank: $(cat "$tmp/e")"
B create "bad name" 2>/dev/null; [ $? -eq 1 ] && ok "bad name refused" || fail "bad name accepted"

# Import with bad lines: reported with line numbers, the rest imported, exit 1.
pdq_a=$(grep ',jpeg-420.jpg$' "$golden/expected.csv" | cut -d, -f1)
pdq_b=$(grep ',png-rgb.png$' "$golden/expected.csv" | cut -d, -f1)
cat > "$tmp/list.txt" <<LIST
# hashes of test images
pdq $pdq_a
pdq not-a-hash
md5 $(md5sum "$golden/gif-static.gif" | cut -d' ' -f1)
url http://www.bad.example/gallery/
unknowntype 1234
LIST
B import ncmec "$tmp/list.txt" 2>"$tmp/e"
rc=$?
[ $rc -eq 1 ] || fail "import with bad lines exited $rc"
grep -q "list.txt:3: invalid pdq value" "$tmp/e" && grep -q "list.txt:6: unknown signal type" "$tmp/e" \
  && grep -q "3 added, 0 already in the bank, 2 rejected" "$tmp/e" && ok "import reports bad lines" \
  || fail "import stderr: $(cat "$tmp/e")"
B import ncmec "$tmp/list.txt" 2>"$tmp/e"
grep -q "0 added, 3 already in the bank" "$tmp/e" && ok "re-import adds nothing" || fail "re-import: $(cat "$tmp/e")"
printf 'type,value,metadata\npdq,%s,"{""case"":""T-9""}"\n' "$pdq_b" > "$tmp/more.csv"
B import ncmec "$tmp/more.csv" 2>/dev/null && ok "CSV import" || fail "CSV import"

# Export and import round trip.
B export ncmec --format jsonl -o "$tmp/out.jsonl" && [ "$(wc -l < "$tmp/out.jsonl")" -eq 4 ] \
  && ok "export jsonl" || fail "export: $(cat "$tmp/out.jsonl")"
B create copy 2>/dev/null
B import copy "$tmp/out.jsonl" 2>/dev/null
B export copy --format jsonl > "$tmp/again.jsonl"
cmp -s "$tmp/out.jsonl" "$tmp/again.jsonl" && ok "export/import round trip" || fail "round trip differs"
B list | grep -q "^ncmec .*block .* 4 signals" && ok "list" || fail "list: $(B list)"
B list --json | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' && ok "list --json" || fail "list --json"

# Match files: the banked image matches at distance 0, others do not.
M "$golden/jpeg-420.jpg" "$golden/jpeg-wide.jpg" > "$tmp/m" 2>/dev/null || fail "match files failed"
python3 - "$tmp/m" <<'PY' && ok "match files" || fail "match output: $(cat "$tmp/m")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
a, b = rows
assert a["query"]["file"].endswith("jpeg-420.jpg")
assert a["actionable"] is True
pdq = [m for m in a["matches"] if m["signal_type"] == "pdq"]
assert pdq and pdq[0]["bank"] == "ncmec" and pdq[0]["distance"] == 0, a
assert b["matches"] == [] and b["actionable"] is False, b
PY
M --hash "$pdq_b" | grep -q '"metadata":{"case":"T-9"}' && ok "match --hash with metadata" || fail "--hash"
M --hash "url:https://bad.example/gallery/1.jpg" | grep -q '"prefix":true' && ok "URL prefix" || fail "URL prefix"
M --hash "md5:$(md5sum "$golden/gif-static.gif" | cut -d' ' -f1)" | grep -q '"signal_type":"md5"' \
  && ok "md5" || fail "md5"
printf 'pdq %s\n%s\nsha1 %s\n' "$pdq_a" "$pdq_b" "$(sha1sum "$golden/png-rgb.png" | cut -d' ' -f1)" \
  | M --hashes-from - > "$tmp/h"
[ "$(wc -l < "$tmp/h")" -eq 3 ] && [ "$(grep -c '"actionable":true' "$tmp/h")" -eq 2 ] \
  && ok "--hashes-from" || fail "--hashes-from: $(cat "$tmp/h")"

# An allow-list entry suppresses the block match.
B add reviewed-ok pdq "$pdq_a" --source reviewer > /dev/null && \
  M --hash "$pdq_a" | grep -q '"suppressed":true' && M --hash "$pdq_a" | grep -q '"actionable":false' \
  && ok "allow list suppresses" || fail "allow list"

# Dihedral (the default mode): bank the rotated image's hash, match the
# original; plain mode and --fast (plain) miss it.
rot=$(grep ',jpeg-tall.jpg$' "$golden/expected-dihedral.csv" | cut -d, -f2)
id=$(B add ncmec pdq "$rot")
M --mode plain "$golden/jpeg-tall.jpg" | grep -q '"matches":\[\]' &&
  M --fast "$golden/jpeg-tall.jpg" | grep -q '"matches":\[\]' &&
  M "$golden/jpeg-tall.jpg" | grep -q '"transform":"rotate90"' &&
  M --dihedral "$golden/jpeg-tall.jpg" | grep -q '"transform":"rotate90"' &&
  ok "dihedral match" || fail "dihedral"
M --fast --mode robust "$golden/jpeg-tall.jpg" 2>/dev/null; [ $? -eq 2 ] &&
  ok "--fast with --mode robust refused" || fail "--fast with --mode robust"
B remove "$id" && M --dihedral "$golden/jpeg-tall.jpg" | grep -q '"matches":\[\]' \
  && ok "remove" || fail "remove"
B remove "$id" 2>/dev/null; [ $? -eq 1 ] && ok "remove twice fails" || fail "remove twice"

# Bad input: a file that is not a database, bad hex, missing bank.
echo "not a database" > "$tmp/junk.db"
"$bw" bank list --db "$tmp/junk.db" 2>"$tmp/e"; [ $? -eq 1 ] && grep -q "not a database" "$tmp/e" \
  && [ "$(cat "$tmp/junk.db")" = "not a database" ] && ok "not-a-database refused, untouched" \
  || fail "junk db: $(cat "$tmp/e")"
M --hash "abc" 2>&1 | grep -q "64 hex digits" && ok "bad hex" || fail "bad hex"
B import nobank "$tmp/list.txt" 2>&1 | grep -q "no bank named" && ok "missing bank" || fail "missing bank"
B delete copy 2>/dev/null && ! B list | grep -q "^copy " && ok "delete" || fail "delete"
B stats | grep -q "change sequence" && ok "stats" || fail "stats"

if [ $failures -ne 0 ]; then
  echo "$failures bank/match check(s) failed"
  exit 1
fi
echo "all bank/match checks passed"

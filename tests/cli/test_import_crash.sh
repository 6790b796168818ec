#!/bin/sh
# kill -9 in the middle of a large import, then the store is checked: it
# opens, holds only whole batches (no line half stored, no committed batch
# lost), and importing the same file again completes it.
#   test_import_crash.sh BULWARK
set -u
bw=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/crash.db
lines=1500000
# Distinct random PDQ hashes (duplicates among 2.5M random 256-bit values
# have probability ~0).
head -c $((lines * 32)) /dev/urandom | od -An -v -tx1 -w32 | tr -d ' ' | sed 's/^/pdq /' \
  > "$tmp/list.txt"
[ "$(wc -l < "$tmp/list.txt")" -eq $lines ] || { echo "FAIL: generating input"; exit 1; }
"$bw" bank create --db "$db" big 2>/dev/null
"$bw" bank import --db "$db" big "$tmp/list.txt" 2>/dev/null &
pid=$!
# Wait until at least one batch is committed, then kill without warning.
for _ in $(seq 1 600); do
  n=$("$bw" bank list --db "$db" 2>/dev/null | awk '/^big / {print $3}')
  [ "${n:-0}" -gt 0 ] && break
  sleep 0.1
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
n=$("$bw" bank list --db "$db" | awk '/^big / {print $3}')
echo "after kill -9: ${n:-?} signals stored"
failures=0
[ -n "$n" ] && [ "$n" -gt 0 ] || { echo "FAIL: store unreadable or empty"; failures=1; }
[ "$n" -lt $lines ] || echo "note: the import finished before it was killed"
# Every stored signal is a whole line of the input.
"$bw" bank export --db "$db" big --format lines | sort > "$tmp/stored"
sort "$tmp/list.txt" > "$tmp/input"
[ "$(comm -23 "$tmp/stored" "$tmp/input" | wc -l)" -eq 0 ] && [ "$(wc -l < "$tmp/stored")" -eq "$n" ] \
  || { echo "FAIL: stored signals that are not input lines"; failures=1; }
"$bw" bank import --db "$db" big "$tmp/list.txt" 2>"$tmp/e" || { cat "$tmp/e"; failures=1; }
grep -q "$((lines - n)) added, $n already in the bank" "$tmp/e" \
  || { echo "FAIL: re-import: $(cat "$tmp/e")"; failures=1; }
total=$("$bw" bank list --db "$db" | awk '/^big / {print $3}')
[ "$total" -eq $lines ] || { echo "FAIL: $total signals after re-import"; failures=1; }
[ $failures -eq 0 ] && echo "ok   no committed signal lost, no half line stored, re-import completes"
exit $failures

#!/bin/sh
# `make demo`'s main job, briefly: the service starts with the demo bank, a
# banked image matches, an edited, a mirrored, a letterboxed, a tilted copy and
# one with a logo match, an ordinary image does not; each checked in the answer shown under
# its heading.
#   test_demo.sh BUILD_DIR
set -eu
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
DEMO_LISTEN=127.0.0.1:0 "$root/scripts/demo.sh" "$build" > "$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1200); do  # 8 s under ASan here; CI machines can be slower
  grep -q "Ctrl-C stops" "$out" && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
fail=0
expect() {
  if grep -q -- "$2" "$out"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}
# The answer shown under a heading: the lines from it to the next one.
expect_in() { # NAME HEADING TEXT
  if awk -v h="$2" 'index($0, h) { on = 1; next } /^-- / { on = 0 } on' "$out" |
       grep -q -- "$3"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}
expect "service started" "bulwarkd is serving on http://127.0.0.1:[1-9][0-9]*"
expect_in "banked image matched" "-- a banked image" '"distance":0,"metadata":{},"signal_id"'
expect_in "edited copy matched" "-- an edited copy" '"actionable":true'
expect_in "mirrored copy matched" "-- a mirrored copy" '"transform":"flipy"'
expect_in "letterboxed copy matched" "-- a letterboxed copy" '"query_part":"content"'
expect_in "tilted copy matched" "-- a copy turned by 5 degrees" '"query_part":"unrotated"'
expect_in "copy with a logo matched" "-- a copy of an image banked as a file" '"region":"[rb]30"'
expect_in "ordinary image unmatched" "-- an ordinary image" '"matches":\[\],"actionable":false'
expect_in "review queue shown" "-- the review queue" '{"matches":\[{"id":1,'
[ $fail -eq 0 ] || cat "$out"
exit $fail

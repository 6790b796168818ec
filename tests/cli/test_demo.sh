#!/bin/sh
# `make demo`'s main job, briefly: the service starts with the demo bank, a
# banked image matches, an edited copy matches, an ordinary image does not.
#   test_demo.sh BUILD_DIR
set -eu
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DEMO_LISTEN=127.0.0.1:$port "$root/scripts/demo.sh" "$build" > "$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 300); do
  grep -q "Ctrl-C stops" "$out" && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
fail=0
expect() {
  if grep -q -- "$2" "$out"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}
expect "service started" "bulwarkd is serving on http://127.0.0.1:$port"
expect "banked image matched" '"distance":0,"metadata":{},"signal_id"'
expect "edited copy matched" 'match at a small distance'
expect "ordinary image unmatched" '"matches":\[\],"actionable":false'
expect "review queue shown" '{"matches":\[{"id":1,'
[ $fail -eq 0 ] || cat "$out"
exit $fail

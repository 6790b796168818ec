#!/bin/sh
# bulwarkd under load, in one run with this machine's HTTP ceiling: wrk on
# loopback against
#   1. nginx returning a static JSON answer of the same size (the ceiling),
#      once to plain GETs and once to the same POSTs bulwarkd gets,
#   2. POST /v1/match/hashes, one PDQ hash a request, on a 1M-hash bank,
#   3. POST /v1/match with a typical 1-megapixel JPEG, in the default
#      (standard) mode, in dihedral mode and in plain mode,
# each for the same time with the same connections, reporting requests/s,
# p50/p99 latency and errors, and match-by-hash as a share of the ceiling.
#
#   bench/service-load.sh [BUILD]         env: SECONDS_EACH (60), CONNECTIONS (64),
#                                              BANK_SIZE (1000000), MATCH_PERCENT (1)
set -eu
build=${1:-build}
seconds=${SECONDS_EACH:-60}
conns=${CONNECTIONS:-64}
size=${BANK_SIZE:-1000000}
hits=${MATCH_PERCENT:-1}
threads=${WRK_THREADS:-2}
here=$(cd "$(dirname "$0")" && pwd)
bw=$(cd "$build/programs/bulwark" && pwd)/bulwark
bwd=$(cd "$build/programs/bulwarkd" && pwd)/bulwarkd
bench=$(cd "$build/bench" && pwd)
nginx=$(command -v nginx || echo /usr/sbin/nginx)
for tool in wrk "$nginx" ffmpeg od; do
  command -v "$tool" >/dev/null || { echo "missing $tool (make deps installs it)"; exit 1; }
done
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; rm -rf "$tmp"' EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- the bank: PDQ-like hashes (bench/make_pdq_dataset.c), imported as a list
list=$("$here/photo-corpus.sh" "$bw" 2>/dev/null) || list=""
if [ -n "$list" ]; then
  "$bw" hash -k --no-progress --from "$list" 2>/dev/null | cut -d, -f1 > "$tmp/real.txt"
else
  : > "$tmp/real.txt"
fi
[ -s "$tmp/real.txt" ] || printf '%064x\n' 0 > "$tmp/real.txt"
"$bench/make_pdq_dataset" "$size" 20000 "$hits" 7 "$tmp/real.txt" "$tmp/ds" >/dev/null
od -An -v -tx1 -w32 "$tmp/ds.hashes" | tr -d ' ' | sed 's/^/pdq /' > "$tmp/bank.txt"
od -An -v -tx1 -w32 "$tmp/ds.queries" | tr -d ' ' |
  sed 's/.*/{"signals":[{"type":"pdq","value":"&"}]}/' > "$tmp/bodies.txt"
db="$tmp/bank.db"
"$bw" bank create --db "$db" load-test >/dev/null
start=$(date +%s.%N)
"$bw" bank import --db "$db" load-test "$tmp/bank.txt" --format lines 2>/dev/null
echo "bank: $size PDQ hashes imported in $(echo "$(date +%s.%N) - $start" | bc | cut -c1-5) s;" \
     "queries: 20000 distinct, $hits% near-duplicates of banked hashes"
key=$("$bw" key create --db "$db" --role client 2>/dev/null)

# --- a typical upload: a photo of about 1 megapixel
photo=""
[ -n "$list" ] && photo=$("$bw" hash --format json --no-progress --from "$list" 2>/dev/null |
  python3 -c '
import json, sys
best = None
for line in sys.stdin:
    j = json.loads(line)
    if "width" in j:
        d = abs(j["width"] * j["height"] - 1000000)
        if best is None or d < best[0]:
            best = (d, j["file"])
print(best[1] if best else "")' 2>/dev/null || true)
if [ -z "$photo" ]; then
  ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=1152x864 -q:v 3 -frames:v 1 "$tmp/photo.jpg"
  photo="$tmp/photo.jpg"
fi
echo "upload: $(basename "$photo"), $(wc -c < "$photo") bytes, $("$bw" hash --format json "$photo" |
  python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); print("%dx%d" % (j["width"], j["height"]))')"

# --- the ceiling: nginx, a static JSON answer the size of bulwarkd's
answer='{"results":[{"signal":{"type":"pdq","value":"'$(printf '%064d' 0)'"},"matches":[],"actionable":false,"quarantined":false}]}'
nport=$(free_port)
cat > "$tmp/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp;
  server {
    listen 127.0.0.1:$nport;
    location / { default_type application/json; return 200 '$answer'; }
  }
}
EOF
"$nginx" -c "$tmp/nginx.conf" -p "$tmp" &
pids="$pids $!"

# --- bulwarkd on the bank, logs to a file as in production
bport=$(free_port)
"$bwd" --db "$db" --listen "127.0.0.1:$bport" 2> "$tmp/bulwarkd.log" &
pids="$pids $!"
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$bport/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$bport/readyz" >/dev/null || { tail "$tmp/bulwarkd.log"; exit 1; }
grep '"index loaded"' "$tmp/bulwarkd.log" | sed 's/^/bulwarkd: /'

# --- runs
run() { # NAME URL SCRIPT
  # wrk's connections close when a run ends, but uploads they left in the
  # queue are still decoded: start each run on an idle server, or its first
  # second meets a full queue (503 busy, which wrk re-sends at once).
  sleep 3
  BODIES="$tmp/bodies.txt" UPLOAD="$photo" KEY="$key" \
    wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout 10s --latency ${3:+-s "$3"} "$2" > "$tmp/$1.out" 2>&1
  awk -v name="$1" '
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
    /Non-2xx/ { bad += $NF }
    /Socket errors/ { gsub(",", ""); bad += $4 + $6 + $8 + $10 }
    END { printf "%-22s %10.0f req/s   p50 %-9s p99 %-9s errors %d\n", name, rps, p50, p99, bad + 0 }
  ' "$tmp/$1.out" | tee -a "$tmp/summary"
}
echo
echo "wrk: $threads threads, $conns connections, $seconds s each, on $(nproc) cores shared with the server"
run nginx-static "http://127.0.0.1:$nport/v1/match/hashes"
run nginx-same-requests "http://127.0.0.1:$nport/v1/match/hashes" "$here/wrk-bodies.lua"
run match-by-hash "http://127.0.0.1:$bport/v1/match/hashes" "$here/wrk-bodies.lua"
run match-by-upload "http://127.0.0.1:$bport/v1/match" "$here/wrk-upload.lua"
# The default mode is standard (the upload turned 8 ways, its content box when it
# has borders, and shaved 5 ways); dihedral and plain, for the cost of each part.
run match-by-upload-dihedral "http://127.0.0.1:$bport/v1/match?mode=dihedral" "$here/wrk-upload.lua"
run match-by-upload-plain "http://127.0.0.1:$bport/v1/match?mode=plain" "$here/wrk-upload.lua"
# Two ceilings: nginx answering wrk's plainest requests (GETs built once),
# and nginx answering the very requests sent to bulwarkd (the same script
# building each POST with its key and JSON body). On a machine where wrk
# shares the cores with the server, the script's own cost is part of what
# either server can reach, so the second is the like-for-like ceiling.
awk '/^nginx-static/ { n = $2 } /^nginx-same-requests/ { s = $2 } /^match-by-hash/ { h = $2 }
     END { printf "match-by-hash / nginx static ceiling: %.0f %% (plain GETs), %.0f %% (the same requests)\n",
                  100 * h / n, 100 * h / s }' "$tmp/summary"
grep -c '"msg":"request"' "$tmp/bulwarkd.log" | sed 's/^/bulwarkd logged requests: /'

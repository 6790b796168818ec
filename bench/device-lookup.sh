#!/bin/sh
# The device SDK's bank-snapshot lookups side by side with brute force in
# one run, at each snapshot size: load time and memory, then microseconds
# per check (PDQ within the threshold, 1 hash and a photo's 8 variants;
# exact SHA-256) and the ratio. Data as bench/pdq-index.sh makes it.
#
#   bench/device-lookup.sh [BUILD] [SIZES]      e.g. bench/device-lookup.sh build "10000 1000000"
set -eu
build=${1:-build}
sizes=${2:-"10000 100000 1000000"}
threshold=${BW_THRESHOLD:-31}
queries=${BW_QUERIES:-20000}
bw=$(cd "$build/programs/bulwark" && pwd)/bulwark
bench=$(cd "$build/bench" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=${BW_BENCH_TMP:-$(mktemp -d)}
trap 'rm -rf "$tmp"' EXIT

list=$("$here/photo-corpus.sh" "$bw")
"$bw" hash -k --no-progress --from "$list" 2>/dev/null | cut -d, -f1 > "$tmp/real.txt"
echo "cluster centres derived from $(wc -l < "$tmp/real.txt") real photo hashes;" \
     "threshold $threshold, $queries queries, 10% near-duplicates of stored hashes"
for n in $sizes; do
  echo
  echo "== $n hashes"
  "$bench/make_pdq_dataset" "$n" "$queries" 10 1 "$tmp/real.txt" "$tmp/ds"
  "$bench/bench_device_lookup" "$tmp/ds" "$threshold"
done

#!/bin/sh
# The PDQ index, side by side in one run with a brute-force scan (AVX2) and
# faiss's IndexBinaryMultiHash (what HMA uses), on the same PDQ-like data at
# each size: build time, memory, queries/s, ratios, and a check that all
# three return identical result sets.
#
#   bench/pdq-index.sh [BUILD] [SIZES]       e.g. bench/pdq-index.sh build "1000000 10000000"
#
# Real photo hashes for the cluster centres come from the photo corpus
# (bench/photo-corpus.sh); faiss runs fewer queries at 10M because it is slow.
# ADDED_SINCE_COMPACTION=K (environment) runs the Bulwark index with its last
# K hashes added after its compaction, as a server following bank changes.
set -eu
build=${1:-build}
sizes=${2:-"1000000 10000000"}
threshold=${BW_THRESHOLD:-31}
queries=${BW_QUERIES:-20000}
bw=$(cd "$build/programs/bulwark" && pwd)/bulwark
bench=$(cd "$build/bench" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=${BW_BENCH_TMP:-$(mktemp -d)}
trap 'rm -rf "$tmp"' EXIT

list=$("$here/photo-corpus.sh" "$bw")
"$bw" hash -k --no-progress --from "$list" 2>/dev/null | cut -d, -f1 > "$tmp/real.txt"
echo "cluster centres derived from $(wc -l < "$tmp/real.txt") real photo hashes"
echo "threshold $threshold, $queries queries, 10% of them near-duplicates of stored hashes"

for n in $sizes; do
  echo
  echo "== $n hashes"
  "$bench/make_pdq_dataset" "$n" "$queries" 10 1 "$tmp/real.txt" "$tmp/ds"
  "$bench/bench_pdq_index" "$tmp/ds" "$threshold" 50 "$tmp/bulwark.txt" | tee "$tmp/bulwark.out"
  if [ -x "$bench/faiss_multihash" ]; then
    fq=$queries
    [ "$n" -gt 2000000 ] && fq=$((queries / 10))
    "$bench/faiss_multihash" "$tmp/ds" "$threshold" "$fq" "$tmp/faiss.txt" | tee "$tmp/faiss.out"
    head -n "$fq" "$tmp/bulwark.txt" | cmp -s - "$tmp/faiss.txt" \
      && echo "result sets identical to faiss for all $fq queries" \
      || echo "RESULT SETS DIFFER FROM FAISS"
    qb=$(awk '/^bulwark index/ {print $3}' "$tmp/bulwark.out")
    qf=$(awk '/^faiss multi-hash/ {print $3}' "$tmp/faiss.out")
    echo "ratio index/faiss          $(echo "scale=1; $qb / $qf" | bc -l)x"
  else
    echo "faiss: not built (install libfaiss-dev and re-run cmake)"
  fi
done

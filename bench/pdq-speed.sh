#!/bin/sh
# PDQ speed, side by side with Meta's reference in one run, single core.
#
#   PDQ_REFERENCE=/path/to/pdq-photo-hasher bench/pdq-speed.sh [BUILD]
#
# Hashes the photo corpus (bench/photo-corpus.sh) with the reference and with
# Bulwark (exact and --fast), pinned to one core, checks the exact hashes
# are identical, and prints images/s and the ratios; then the distribution
# of --fast's distance from the exact hash; then pure hashing time per image
# against the reference's benchmark-photo-hasher when it sits beside
# pdq-photo-hasher. Without PDQ_REFERENCE only Bulwark's figures are printed.
set -eu
build=${1:-build}
bw=$(cd "$build/programs/bulwark" && pwd)/bulwark
hashbench=$(cd "$build/bench" && pwd)/bench_pdq_hash
here=$(cd "$(dirname "$0")" && pwd)
list=$("$here/photo-corpus.sh" "$bw")
n=$(wc -l < "$list")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pin="taskset -c 0"
command -v taskset >/dev/null || pin=""

now() { date +%s.%N; }
# Runs a command twice (the first warms the page cache), keeps the faster.
timed() {
  out=$1
  shift
  best=""
  for _ in 1 2; do
    t0=$(now)
    "$@" > "$out" 2> "$tmp/stderr" || true
    t1=$(now)
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
rate() { echo "scale=2; $n / $1" | bc -l; }

echo "corpus: $n JPEGs of 0.3-16 MP from Debian packages ($list)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); one core used"
echo

t_exact=$(timed "$tmp/exact.csv" $pin "$bw" hash --no-progress -k --from "$list")
t_fast=$(timed "$tmp/fast.csv" $pin "$bw" hash --no-progress -k --fast --from "$list")
printf '%-34s %8.2f s  %8.1f images/s\n' "bulwark hash (exact)" "$t_exact" "$(rate "$t_exact")"
printf '%-34s %8.2f s  %8.1f images/s\n' "bulwark hash --fast" "$t_fast" "$(rate "$t_fast")"

if [ -n "${PDQ_REFERENCE:-}" ] && [ -x "$PDQ_REFERENCE" ]; then
  # The reference takes the list on stdin (-i): give each run its own copy.
  t_ref=$(timed "$tmp/ref.csv" env MAGICK_THREAD_LIMIT=1 OMP_NUM_THREADS=1 $pin \
    sh -c 'exec "$0" -i < "$1"' "$PDQ_REFERENCE" "$list")
  printf '%-34s %8.2f s  %8.1f images/s\n' "reference pdq-photo-hasher" "$t_ref" "$(rate "$t_ref")"
  same=$(paste -d'|' "$tmp/ref.csv" "$tmp/exact.csv" | awk -F'|' '$1 == $2' | wc -l)
  echo
  echo "identical hash lines (exact vs reference): $same of $n"
  echo "ratio exact/reference:  $(echo "scale=2; $t_ref / $t_exact" | bc -l)x"
  echo "ratio --fast/reference: $(echo "scale=2; $t_ref / $t_fast" | bc -l)x"
else
  echo
  echo "reference: not measured (set PDQ_REFERENCE to Meta's pdq-photo-hasher, built"
  echo "from facebook/ThreatExchange pdq/cpp with 'make pdq-photo-hasher', to compare)"
fi

echo
echo "--fast: Hamming distance from the exact hash"
paste -d, "$tmp/exact.csv" "$tmp/fast.csv" | python3 -c '
import sys
d = sorted(bin(int(l.split(",")[0], 16) ^ int(l.split(",")[3], 16)).count("1")
           for l in sys.stdin)
n = len(d)
q = lambda p: d[min(n - 1, int(p * n))]
print("  images %d  median %d  p90 %d  p99 %d  max %d  within 8 bits: %.1f%%" %
      (n, q(0.5), q(0.9), q(0.99), d[-1], 100.0 * sum(x <= 8 for x in d) / n))
'

echo
echo "pure hashing (grid to hash, decode excluded), per image:"
$pin "$hashbench" "$list" 5 | sed 's/^/  bulwark   /'
refbench=""
[ -n "${PDQ_REFERENCE:-}" ] && refbench=$(dirname "$PDQ_REFERENCE")/benchmark-photo-hasher
if [ -n "$refbench" ] && [ -x "$refbench" ]; then
  mkdir "$tmp/photos"
  i=0
  while IFS= read -r f; do i=$((i + 1)); ln "$f" "$tmp/photos/$i.jpg" 2>/dev/null || cp "$f" "$tmp/photos/$i.jpg"; done < "$list"
  env MAGICK_THREAD_LIMIT=1 OMP_NUM_THREADS=1 $pin "$refbench" "$tmp/photos" 2>/dev/null |
    grep -E "PHOTO COUNT|HASHING PHOTOS|HASHED PER SECOND" | sed 's/^/  reference /'
fi

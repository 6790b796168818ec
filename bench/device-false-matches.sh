#!/bin/sh
# How often ordinary, benign images would be blocked by one another: the
# device's check compares a picture's 8 PDQ variants (rotations, mirrors)
# with the plain hashes in a bank, so here every image plays the bank
# entry and every other image the query. Images: the photo corpus
# (bench/photo-corpus.sh: every JPEG of the Debian wallpaper, sample-data
# and art packages) and synthetic pictures (ffmpeg's mandelbrot zooms,
# gradients, cellular automata). Every image is benign, so every pair
# within the threshold is a false match, unless it is the same picture
# twice (packages ship wallpapers at several sizes): those pairs are
# listed with their file names for inspection.
#
#   bench/device-false-matches.sh [BUILD] [SYNTHETIC_COUNT]
set -eu
build=${1:-build}
synthetic=${2:-300}
bw=$(cd "$build/programs/bulwark" && pwd)/bulwark
here=$(cd "$(dirname "$0")" && pwd)
cache=${BW_CORPUS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark/photo-corpus}
"$here/photo-corpus.sh" "$bw" "$cache" > /dev/null
tmp=${BW_BENCH_TMP:-$(mktemp -d)}
trap 'rm -rf "$tmp"' EXIT

# Synthetic pictures: a few families, many parameters. All are the same in
# every run except ffmpeg's gradients, which differ from run to run whatever
# the seed: the counts below are reproducible, the exact pictures of that
# family are not.
i=0
while [ $i -lt "$synthetic" ]; do
  case $((i % 4)) in
    0) src="mandelbrot=size=640x480:start_x=-$((i % 17 + 3))e-1:start_y=$((i % 7))e-2:start_scale=$((i % 5 + 1))e-$((i % 3 + 1))" ;;
    1) src="gradients=size=640x480:seed=$i:n=$((i % 6 + 2))" ;;
    2) src="cellauto=size=640x480:seed=$i:rule=$((i % 200 + 30))" ;;
    3) src="life=size=640x480:seed=$i:mold=$((i % 20))" ;;
  esac
  ffmpeg -loglevel error -y -f lavfi -i "$src" -frames:v 1 -q:v 3 "$tmp/synthetic-$i.jpg"
  i=$((i + 1))
done
{ cat "$cache/all-jpegs.txt"; ls "$tmp"/synthetic-*.jpg; } > "$tmp/list.txt"
"$bw" hash -k --dihedral --format json --no-progress --from "$tmp/list.txt" 2>/dev/null \
  > "$tmp/hashes.jsonl"
python3 - "$tmp/hashes.jsonl" <<'PY'
import json, os, sys
rows = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "pdq" not in r:
        continue
    rows.append((r["file"], int(r["pdq"]["hash"], 16), r["pdq"]["quality"],
                 [int(v, 16) for v in r["pdq_dihedral"].values()]))
def family(f):
    return "synthetic" if "/synthetic-" in f else "photo"
THRESHOLDS = [10, 20, 31, 40]
for quality_min in (0, 50):
    kept = [r for r in rows if r[2] >= quality_min]
    n = len(kept)
    pairs = n * (n - 1) // 2
    near = {t: 0 for t in THRESHOLDS}
    listed = []
    for i in range(n):
        fi, hi, qi, di = kept[i]
        for j in range(i + 1, n):
            fj, hj, qj, dj = kept[j]
            # Query i (its 8 variants) against entry j, and j against i.
            d = min(min(bin(v ^ hj).count("1") for v in di),
                    min(bin(v ^ hi).count("1") for v in dj))
            for t in THRESHOLDS:
                near[t] += d <= t
            if d <= 31:
                listed.append((d, fi, fj))
    fams = {}
    for r in kept:
        fams[family(r[0])] = fams.get(family(r[0]), 0) + 1
    print("quality >= %d: %d images (%s), %d pairs" % (
        quality_min, n, ", ".join("%d %s" % (c, f) for f, c in sorted(fams.items())), pairs))
    for t in THRESHOLDS:
        print("  within %2d: %6d pairs (%.2e of pairs)" % (t, near[t], near[t] / max(pairs, 1)))
    print("  pairs within 31 (distance, files):")
    for d, a, b in sorted(listed):
        print("    %3d  %s  %s" % (d, os.path.relpath(a, "/"), os.path.relpath(b, "/")))
PY

#!/bin/sh
# vPDQ speed, side by side with Meta's reference in one run.
#
#   VPDQ_REFERENCE=/path/to/vpdq-hash-video bench/video-speed.sh [BUILD]
#
# Hashes every video of the corpus with the reference and with Bulwark in
# three modes (every frame at native size; every frame at 128x128; one frame
# a second), each program pinned to one core, checks that the outputs are
# byte-identical, and prints frames/s (frames decoded per second of wall
# time) and the ratio. Then the same on all cores: Bulwark -j N over the
# files, Bulwark -j N on one video at a time (frame-parallel), and the
# reference with -t N (its own hashing threads, FFmpeg's slice threads).
# The corpus is ../shared/testdata/vpdq/sample-videos when it exists, else
# BW_VIDEO_CORPUS, else synthetic videos made once with ffmpeg in
# ~/.cache/bulwark/video-corpus. Without VPDQ_REFERENCE only Bulwark's
# figures are printed. Each figure is the best of BENCH_REPEAT runs
# (default 3; the first also warms the page cache).
set -eu
build=${1:-build}
bw=$(cd "$build/programs/bulwark" && pwd)/bulwark
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pin="taskset -c 0"
command -v taskset > /dev/null || pin=""
cores=$(nproc)
repeat=${BENCH_REPEAT:-3}

corpus=${BW_VIDEO_CORPUS:-}
if [ -z "$corpus" ] && [ -d "$here/../../shared/testdata/vpdq/sample-videos" ]; then
  corpus=$(cd "$here/../../shared/testdata/vpdq/sample-videos" && pwd)
fi
if [ -z "$corpus" ]; then
  corpus=$HOME/.cache/bulwark/video-corpus
  if [ ! -f "$corpus/.complete" ]; then
    mkdir -p "$corpus"
    ff="ffmpeg -v error -y -nostdin"
    $ff -f lavfi -i testsrc2=size=1280x720:rate=30 -t 10 -c:v libx264 -crf 23 "$corpus/testsrc2-720p.mp4"
    $ff -f lavfi -i mandelbrot=size=640x360:rate=25 -t 12 -c:v libx264 -crf 23 "$corpus/mandelbrot-360p.mp4"
    $ff -f lavfi -i testsrc2=size=1920x1080:rate=30 -t 5 -c:v libx264 -crf 23 \
      "$corpus/testsrc2-1080p.mp4"
    $ff -f lavfi -i cellauto=s=480x720:rule=30:rate=30 -t 15 -c:v libvpx-vp9 -b:v 500k \
      "$corpus/cellauto-480x720.webm"
    touch "$corpus/.complete"
  fi
fi
videos=$(find "$corpus" -maxdepth 1 -type f \( -name '*.mp4' -o -name '*.webm' -o -name '*.mkv' \
         -o -name '*.mov' -o -name '*.avi' \) | sort)
[ -n "$videos" ] || { echo "no videos in $corpus" >&2; exit 1; }

ref=${VPDQ_REFERENCE:-}
if [ -n "$ref" ] && [ ! -x "$ref" ]; then
  echo "VPDQ_REFERENCE=$ref is not an executable; measuring Bulwark only" >&2
  ref=""
fi
[ -n "$ref" ] || echo "VPDQ_REFERENCE is not set: Bulwark's figures only (see docs/video.md)"

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

# Frames in the corpus: the lines of an every-frame hash.
frames=0
for v in $videos; do
  "$bw" hash -j "$cores" "$v" > "$tmp/count"
  frames=$((frames + $(wc -l < "$tmp/count")))
done
echo "corpus: $(echo "$videos" | wc -l) videos, $frames frames ($corpus)"
echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "FFmpeg: libavcodec $(pkg-config --modversion libavcodec 2>/dev/null || echo '?')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures)"
echo

# Runs one program over every video in a mode BENCH_REPEAT times and prints
# the best time. $1: ref or bw; $2: -s; $3: -r;
# $4: output directory; $5: Bulwark's extra options ("" for none); the rest:
# the command prefix (taskset, env).
run_all() {
  who=$1 side=$2 every=$3 out=$4 extra=$5
  shift 5
  best=""
  for _ in $(seq "$repeat"); do
    t0=$(now)
    for v in $videos; do
      name=$(basename "$v")
      if [ "$who" = ref ]; then
        "$@" "$ref" -i "$v" -o "$out/$name.txt" -r "$every" -s "$side"
      else
        "$@" "$bw" hash --no-progress $extra --video-size "$side" --seconds-per-hash "$every" \
          "$v" > "$out/$name.txt"
      fi
    done
    t=$(elapsed "$t0" "$(now)")
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}

identical() {
  same=0 total=0
  for v in $videos; do
    name=$(basename "$v")
    total=$((total + 1))
    cmp -s "$1/$name.txt" "$2/$name.txt" && same=$((same + 1))
  done
  echo "$same of $total"
}

row() { printf '  %-44s %7.2f s %9.1f frames/s\n' "$1" "$2" "$(echo "$frames / $2" | bc -l)"; }

for mode in "0 0 every frame, native size" "128 0 every frame, 128x128 (-s 128)" \
            "0 1 one frame a second (-r 1)"; do
  side=${mode%% *}
  rest=${mode#* }
  every=${rest%% *}
  label=${rest#* }
  echo "$label, one core:"
  mkdir -p "$tmp/bw" "$tmp/ref"
  t_bw=$(run_all bw "$side" "$every" "$tmp/bw" "" $pin env)
  row "bulwark hash" "$t_bw"
  if [ "$every" != 0 ]; then
    mkdir -p "$tmp/fast"
    t_fast=$(run_all bw "$side" "$every" "$tmp/fast" --fast $pin env)
    row "bulwark hash --fast (skips unneeded frames)" "$t_fast"
    echo "  --fast output identical to bulwark's: $(identical "$tmp/bw" "$tmp/fast")"
  fi
  if [ -n "$ref" ]; then
    t_ref=$(run_all ref "$side" "$every" "$tmp/ref" "" $pin env)
    row "reference vpdq-hash-video -t 1" "$t_ref"
    echo "  identical outputs: $(identical "$tmp/bw" "$tmp/ref")"
    echo "  ratio: $(echo "scale=2; $t_ref / $t_bw" | bc -l)x"
    if [ "$every" != 0 ]; then
      echo "  ratio with --fast: $(echo "scale=2; $t_ref / $t_fast" | bc -l)x"
    fi
  fi
  echo
done

echo "every frame, native size, $cores cores:"
t0=$(now)
# shellcheck disable=SC2086
"$bw" hash --no-progress -j "$cores" $videos > /dev/null
row "bulwark hash -j $cores (files in parallel)" "$(elapsed "$t0" "$(now)")"
mkdir -p "$tmp/par"
t_par=$(run_all bw 0 0 "$tmp/par" "" env)
row "bulwark hash, one video at a time (1 thread)" "$t_par"
best=""
for _ in 1 2; do
  t0=$(now)
  for v in $videos; do
    "$bw" hash --no-progress -j "$cores" "$v" > "$tmp/par/$(basename "$v").txt"
  done
  t=$(elapsed "$t0" "$(now)")
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
row "bulwark hash -j $cores, one video at a time" "$best"
if [ -n "$ref" ]; then
  mkdir -p "$tmp/refmt"
  best=""
  for _ in $(seq "$repeat"); do
    t0=$(now)
    for v in $videos; do
      "$ref" -i "$v" -o "$tmp/refmt/$(basename "$v").txt" -r 0 -s 0 -t "$cores"
    done
    t=$(elapsed "$t0" "$(now)")
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  row "reference -t $cores, one video at a time" "$best"
  echo "  identical outputs (-j $cores vs reference -t $cores): $(identical "$tmp/par" "$tmp/refmt")"
fi
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

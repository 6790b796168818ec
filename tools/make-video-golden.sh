#!/bin/sh
# Makes the small synthetic videos in tests/data/video (with the ffmpeg
# tool: lavfi test sources only, nothing filmed) and their expected vPDQ
# output from Meta's reference vpdq-hash-video, built outside this
# repository against the same FFmpeg (its path in VPDQ_REFERENCE; see
# docs/video.md). Also writes expected-match.csv from the reference's
# match-hashes-brute (looked for beside vpdq-hash-video).
#   VPDQ_REFERENCE=/tmp/vpdq-ref/.../vpdq-hash-video tools/make-video-golden.sh [--keep-videos]
# --keep-videos regenerates only the expected files for the committed videos.
set -eu
ref=${VPDQ_REFERENCE:?set VPDQ_REFERENCE to the reference vpdq-hash-video}
brute=$(dirname "$ref")/match-hashes-brute
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$here/tests/data/video
cd "$dir"

if [ "${1:-}" != --keep-videos ]; then
  ff="ffmpeg -v error -y -nostdin -bitexact"
  # 640x360 H.264 with B-frames: frames wider than PDQ's 512-pixel photo grid.
  $ff -f lavfi -i testsrc2=size=640x360:rate=10:duration=3 \
    -c:v libx264 -preset veryfast -crf 40 -bf 2 -g 15 -pix_fmt yuv420p \
    -map_metadata -1 -fflags +bitexact h264-640x360.mp4
  # Motion JPEG: full-range YUV 4:2:2 through swscale.
  $ff -f lavfi -i mandelbrot=size=96x72:rate=5 -t 2 \
    -c:v mjpeg -q:v 12 -map_metadata -1 mjpeg-96x72.avi
  # VP9 in WebM, odd size.
  $ff -f lavfi -i smptebars=size=150x100:rate=8 -t 2 \
    -c:v libvpx-vp9 -b:v 40k -map_metadata -1 vp9-150x100.webm
fi

for v in h264-640x360.mp4 mjpeg-96x72.avi vp9-150x100.webm; do
  n=${v%.*}
  "$ref" -i "$v" -o "$n.s0.txt" -r 0 -s 0 -t 1
  # 64x64 frames are taken as already downsampled (no blur).
  "$ref" -i "$v" -o "$n.s64.txt" -r 0 -s 64 -t 1
  "$ref" -i "$v" -o "$n.r1.txt" -r 1 -s 0 -t 1
done
"$ref" -i h264-640x360.mp4 -o h264-640x360.s128.txt -r 0 -s 128 -t 1

# The C++ reference's matching (no de-duplication, distance < D) on pairs
# of the files above: QUERY,COMPARED,DISTANCE,QUALITY,QUERY%,COMPARED%.
: > expected-match.csv
for pair in "h264-640x360.s0 h264-640x360.s128" "h264-640x360.s0 h264-640x360.r1" \
            "h264-640x360.s64 h264-640x360.s128" "mjpeg-96x72.s0 mjpeg-96x72.s64" \
            "vp9-150x100.s0 vp9-150x100.s64" "h264-640x360.s0 vp9-150x100.s0"; do
  set -- $pair
  for dq in "31 50" "60 0" "100 20" "10 90"; do
    d=${dq% *} q=${dq#* }
    out=$("$brute" "$1.txt" "$2.txt" "$d" "$q")
    qp=$(echo "$out" | sed -n 's/ Percentage Query.*//p')
    cp=$(echo "$out" | sed -n 's/ Percentage Target.*//p')
    echo "$1.txt,$2.txt,$d,$q,$qp,$cp" >> expected-match.csv
  done
done

# The same on the reference's own sample hashes in ../shared (when there):
# pairs of related and unrelated videos, with low-quality frames (doorknob).
shared=$here/../shared/testdata/vpdq/generated-ffmpeg5.1
if [ -d "$shared" ]; then
  : > expected-match-shared.csv
  for pair in "chair-19-sd-bar chair-orig-22-sd-bar" "pattern-sd-grey-bar pattern-sd-with-large-logo-bar" \
              "doorknob-hd-no-bar doorknob-hd-no-bar-128x128" "chair-19-sd-bar pattern-sd-grey-bar" \
              "doorknob-hd-no-bar test-padded-dimensions" "test-padded-dimensions-128x128 chair-19-sd-bar-128x128"; do
    set -- $pair
    for dq in "31 50" "60 0" "100 20" "10 90" "45 30"; do
      d=${dq% *} q=${dq#* }
      out=$("$brute" "$shared/$1.txt" "$shared/$2.txt" "$d" "$q")
      qp=$(echo "$out" | sed -n 's/ Percentage Query.*//p')
      cp=$(echo "$out" | sed -n 's/ Percentage Target.*//p')
      echo "$1.txt,$2.txt,$d,$q,$qp,$cp" >> expected-match-shared.csv
    done
  done
fi
ls -l "$dir"

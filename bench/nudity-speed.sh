#!/bin/sh
# Nudity classifier speed, side by side with nsfwjs on TensorFlow.js's
# pure-JavaScript CPU backend, one core, in one run.
#
#   bench/nudity-speed.sh [BUILD] [TFJS_IMAGES]
#
# Bulwark classifies the photo corpus (bench/photo-corpus.sh) from decoded
# pixels and from 224x224 copies; TensorFlow.js (tools/nudity/reference.mjs,
# node) classifies the first TFJS_IMAGES (default 20) of the same 224x224
# copies, which Bulwark then runs again alone, so the ratio compares
# identical inputs. Also prints the model's size and the peak memory.
set -eu
build=${1:-build}
count=${2:-20}
bw=$(cd "$build/programs/bulwark" && pwd)/bulwark
bench=$(cd "$build/bench" && pwd)/bench_nudity
model=$(cd "$build/nudity" && pwd)/nsfw-mobilenetv2.bwnm
modules=$(cd "$build/nudity/npm/node_modules" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
list=$("$here/photo-corpus.sh" "$bw")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pin="taskset -c 0"
command -v taskset > /dev/null || pin=""

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); one core used"
echo "model: $model, $(wc -c < "$model") bytes"
echo
echo "== Bulwark on the photo corpus ($(wc -l < "$list") JPEGs; decode not timed)"
$pin "$bench" "$model" "$list" 3 "$tmp" "$count"
echo
ls "$tmp"/*.ppm > "$tmp/ppms.txt"
echo "== the same $count 224x224 images: Bulwark, then TensorFlow.js CPU"
bulwark_ms=$($pin "$bench" "$model" "$tmp/ppms.txt" 5 | tee /dev/stderr |
  awk '/224x224 input/ && !/scalar/ {print $(NF)}')
tfjs_ms=$($pin node "$here/../tools/nudity/reference.mjs" "$modules" --repeat 2 $(cat "$tmp/ppms.txt") 2>&1 > /dev/null |
  awk '/tfjs-cpu ms per image/ {print $5}')
echo "tfjs-cpu (nsfwjs on @tensorflow/tfjs, node $(node --version)) ms per image: $tfjs_ms"
echo
echo "ratio TensorFlow.js CPU / Bulwark: $(echo "scale=1; $tfjs_ms / $bulwark_ms" | bc -l)x"

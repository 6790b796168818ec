#!/bin/sh
# The main job of `make demo`: hash the sample images in every format with
# the freshly built CLI and show a few of its outputs.
set -eu
build=${1:-build}
bw="$build/programs/bulwark/bulwark"
samples=tests/data/golden
echo "== bulwark $("$bw" --version | cut -d' ' -f2): PDQ hashes of the sample images ($samples)"
"$bw" hash -k -j 0 "$samples"/*.jpg "$samples"/*.png "$samples"/*.webp "$samples"/*.gif \
  "$samples"/*.bmp "$samples"/*.tif "$samples"/*.heic "$samples"/*.avif \
  "$samples"/*.ppm "$samples"/*.pgm "$samples"/*.pbm || true
echo
echo "== The 8 rotations and mirrors of one image"
"$bw" hash --dihedral "$samples/jpeg-420.jpg" | tr ',' '\n' | head -9
echo
echo "== Every hash as JSON"
"$bw" hash --format json --algo pdq,md5,sha1,sha256 "$samples/png-rgb.png"
echo
echo "Try: $bw hash --help"

#!/bin/sh
# Makes the small benign photos in tests/data/nudity/ that the nudity
# equivalence test runs beside synthetic images: public-domain and CC0
# sample photos from Debian's python3-skimage (a person, a cat, coffee, a
# horse, a rocket launch, textures...), shrunk to at most 256 pixels.
# Needs apt-get (no root: `apt-get download` only) and ImageMagick.
#   tools/nudity/make-test-photos.sh OUTDIR
set -eu
out=${1:?usage: make-test-photos.sh OUTDIR}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
(cd "$t" && apt-get download python3-skimage >/dev/null && dpkg -x python3-skimage_*.deb root)
data=$(find "$t/root" -type d -path '*skimage/data' | head -1)
mkdir -p "$out"
for name in astronaut camera chelsea coffee horse rocket hubble_deep_field grass gravel \
            brick; do
  src=$(ls "$data/$name".* | head -1)
  convert "$src" -resize '256x256>' -strip -quality 85 "$out/$name.jpg"
done
ls -l "$out"

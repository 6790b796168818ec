#!/bin/sh
# The quality benchmark on photos none of its thresholds were chosen on
# (docs/quality.md, "Unseen photos"): the 273 landscape photographs that
# Endless Sky shows for its planets (Debian's endless-sky-data: public-domain
# photos from morguefile.com and Wikimedia Commons photos, 720 x 360), cut
# into two 360-pixel tiles each. Every edit of bench/quality_transforms.c,
# every mode, and the false-match rate over all pairs of tiles.
#   bench/quality-unseen.sh BUILD [OUT_DIR]     (defaults to docs/quality/unseen)
# The package is fetched with
# `apt-get download` and unpacked with `dpkg -x` into the corpus cache
# (BW_CORPUS_DIR, else ~/.cache/bulwark/photo-corpus); nothing is installed.
set -eu
build=${1:?usage: bench/quality-unseen.sh BUILD [OUT_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
out=${2:-$here/../docs/quality/unseen}
cache=${BW_CORPUS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark/photo-corpus}
unseen="$cache/unseen"
mkdir -p "$unseen/debs" "$unseen/root" "$out"
(
  cd "$unseen/debs"
  ls endless-sky-data_*.deb >/dev/null 2>&1 ||
    apt-get download endless-sky-data > "$unseen/apt.log" 2>&1 ||
    { echo "cannot download endless-sky-data (see $unseen/apt.log)" >&2; exit 1; }
  for d in endless-sky-data_*.deb; do dpkg -x "$d" "$unseen/root"; done
)
list="$unseen/photos.txt"
find "$unseen/root/usr/share/games/endless-sky/images/land" -type f -name '*.jpg' | sort > "$list"
n=$(wc -l < "$list")
[ "$n" -gt 0 ] || { echo "no photos in endless-sky-data" >&2; exit 1; }
echo "photos listed: $n" >&2
nice "$build/bench/bench_quality" --recall "$n" --tile-side 360 --tiles-per-photo 2 \
  --jobs "${JOBS:-2}" "$list" "$out" | tee "$out/summary.txt"
# The list of missed copies is for study, not for the repository.
mv "$out/failures.csv" "$unseen/failures.csv"
echo "missed copies: $unseen/failures.csv" >&2

#!/bin/sh
# The detection-quality benchmark (docs/quality.md): builds the photo corpus
# (bench/photo-corpus.sh, plus two more packages of photos), runs
# bench_quality on it, and draws the plots with gnuplot.
#   bench/quality.sh BUILD [OUT_DIR]        (OUT_DIR defaults to docs/quality)
# RECALL=N (default 500) originals are edited; JOBS=N threads (default 2);
# FMR_SIDE=PX adds a false-match run over tiles of about PX pixels.
set -eu
build=${1:?usage: bench/quality.sh BUILD [OUT_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
out=${2:-$here/../docs/quality}
bw="$build/programs/bulwark/bulwark"
cache=${BW_CORPUS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark/photo-corpus}
jpegs=$("$here/photo-corpus.sh" "$bw" "$cache")
# More ordinary photos: GNOME's wallpapers and scikit-image's sample photos.
extra="$cache/quality-extra"
mkdir -p "$extra/debs" "$extra/root"
(
  cd "$extra/debs"
  for p in gnome-backgrounds python3-skimage; do
    ls "${p}"_*.deb >/dev/null 2>&1 ||
      apt-get download "$p" > "$extra/apt.log" 2>&1 || echo "warning: cannot download $p" >&2
    for d in "${p}"_*.deb; do [ -f "$d" ] && dpkg -x "$d" "$extra/root"; done
  done
)
list="$cache/quality-photos.txt"
{
  cat "$jpegs"
  find "$extra/root/usr/share/backgrounds" -type f \( -iname '*.jpg' -o -iname '*.png' -o -iname '*.webp' \) | sort
  # scikit-image's data holds test patterns too: only its photographs.
  for f in astronaut camera chelsea coffee coins hubble_deep_field ihc motorcycle_left rocket retina; do
    ls "$extra/root/usr/lib/python3/dist-packages/skimage/data/$f".* 2>/dev/null | grep -v '\.npy$' || true
  done
} > "$list"
mkdir -p "$out"
echo "photos listed: $(wc -l < "$list")" >&2
# Photos that are one picture in two files, found by reading worst-pairs.txt:
# a recoloured (dark) variant of a wallpaper, a figure holding another photo.
nice "$build/bench/bench_quality" --recall "${RECALL:-500}" --jobs "${JOBS:-2}" \
  --same "$here/quality-same-pictures.txt" "$list" "$out" | tee "$out/summary.txt"
# The list of missed copies is for study, not for the repository.
mv "$out/failures.csv" "$cache/quality-failures.csv"
echo "missed copies: $cache/quality-failures.csv" >&2
# FMR_SIDE=256: false matches alone again over smaller tiles (up to 36 a
# photo), for about seven times the pairs (docs/quality.md).
if [ -n "${FMR_SIDE:-}" ]; then
  fmr="$out/tiles$FMR_SIDE"
  mkdir -p "$fmr"
  nice "$build/bench/bench_quality" --recall 0 --max-tiles 12000 --tile-side "$FMR_SIDE" \
    --tiles-per-photo 36 --jobs "${JOBS:-2}" --same "$here/quality-same-pictures.txt" \
    "$list" "$fmr" | tee "$fmr/summary.txt"
  rm -f "$fmr/failures.csv" "$fmr/recall.csv"
fi
command -v gnuplot >/dev/null || { echo "gnuplot is missing: no plots" >&2; exit 0; }
gnuplot -e "dir='$out'" "$here/quality.gp"

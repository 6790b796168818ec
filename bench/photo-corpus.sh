#!/bin/sh
# Builds the benchmark corpus of ordinary photos from Debian packages
# (wallpapers, OpenCV's sample data, Stellarium's sky-culture art, puzzles):
# `apt-get download` + `dpkg -x` into a cache, no dependencies installed.
# Prints the path of a list of JPEGs between 0.3 and 16 megapixels.
#   photo-corpus.sh BULWARK [CACHE_DIR]
set -eu
bw=${1:?usage: photo-corpus.sh BULWARK [CACHE_DIR]}
cache=${2:-${BW_CORPUS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark/photo-corpus}}
packages="mate-backgrounds lomiri-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04
plasma-workspace-wallpapers opencv-doc ukui-wallpapers palapeli-data sway-backgrounds
stellarium-data lxqt-themes"
mkdir -p "$cache/debs" "$cache/root"
list="$cache/jpegs-0.3-16MP.txt"
if [ -s "$list" ]; then
  echo "$list"
  exit 0
fi
(
  cd "$cache/debs"
  for p in $packages; do
    ls "${p}"_*.deb >/dev/null 2>&1 ||
      apt-get download "$p" > "$cache/apt.log" 2>&1 || echo "warning: cannot download $p (see $cache/apt.log)" >&2
  done
  echo "unpacking $(ls ./*.deb | wc -l) packages into $cache/root" >&2
  for d in *.deb; do dpkg -x "$d" "$cache/root"; done
)
# Keep JPEGs of 0.3-16 megapixels, judged from their headers by bulwark itself.
find "$cache/root" -type f \( -iname '*.jpg' -o -iname '*.jpeg' \) | sort > "$cache/all-jpegs.txt"
"$bw" hash -k --format json --no-progress --from "$cache/all-jpegs.txt" 2>/dev/null |
  python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if "width" in r and 300000 <= r["width"] * r["height"] <= 16000000:
        print(r["file"])
' > "$list.tmp"
mv "$list.tmp" "$list"
echo "$list"

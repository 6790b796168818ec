#!/bin/sh
# How often the nudity classifier would warn on ordinary, benign images.
#
#   bench/nudity-false-warnings.sh [BUILD]
#
# Classifies the photo corpus (bench/photo-corpus.sh: wallpapers, OpenCV's
# documentation and sample images, Stellarium's sky-culture art, puzzle
# photos) plus the photos, textures, wallpapers and stamp photos (animals,
# food, plants) of three more Debian packages, fetched with `apt-get
# download` into the same cache; then prints, per source and in total, how
# many images would get a warning at several thresholds of the score
# P(porn) + P(hentai) + P(sexy). Every image here is benign, so every
# warning is a false one.
set -eu
build=${1:-build}
bw=$(cd "$build/programs/bulwark" && pwd)/bulwark
here=$(cd "$(dirname "$0")" && pwd)
cache=${BW_CORPUS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark/photo-corpus}
"$here/photo-corpus.sh" "$bw" "$cache" > /dev/null
extra="$cache/nudity-extra"
mkdir -p "$extra/debs"
for p in python3-skimage gnome-backgrounds tuxpaint-stamps-default; do
  if ! ls "$extra/debs/${p}"_*.deb > /dev/null 2>&1; then
    (cd "$extra/debs" && apt-get download "$p" > /dev/null 2>&1) ||
      echo "warning: cannot download $p" >&2
  fi
done
[ -d "$extra/root" ] || for d in "$extra"/debs/*.deb; do dpkg -x "$d" "$extra/root"; done
list="$cache/nudity-benign.txt"
{
  cat "$cache/all-jpegs.txt"
  find "$extra/root/usr/share/backgrounds" -name '*.webp'
  find "$extra/root/usr/share/tuxpaint/stamps/animals" "$extra/root/usr/share/tuxpaint/stamps/food" \
       "$extra/root/usr/share/tuxpaint/stamps/plants" -name '*.png' ! -name '*_thumb*'
  for f in astronaut camera chelsea coffee horse rocket hubble_deep_field grass gravel brick; do
    find "$extra/root" -path "*skimage/data/$f.*"
  done
} | sort > "$list"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bw" nudity -k -j "$(nproc)" --json --no-progress --from "$list" > "$out" 2> /dev/null || true
python3 - "$out" <<'PY'
import collections, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in rows if "scores" in r]
def source(f):
    for key, name in [("opencv-doc", "OpenCV docs and samples"), ("stellarium", "Stellarium art"),
                      ("tuxpaint", "Tux Paint stamp photos"), ("skimage", "scikit-image photos"),
                      ("backgrounds/gnome", "GNOME wallpapers"), ("palapeli", "Palapeli photos"),
                      ("/wallpapers/", "Plasma/LXQt wallpapers"), ("backgrounds", "other wallpapers")]:
        if key in f:
            return name
    return "other"
groups = collections.defaultdict(list)
for r in ok:
    groups[source(r["file"])].append(r["score"])
thresholds = [0.5, 0.6, 0.7, 0.8, 0.9]
print("images: %d classified (%d failed to decode)" % (len(ok), len(rows) - len(ok)))
print("%-26s %6s" % ("source", "images") + "".join("  warn@%.1f" % t for t in thresholds))
for name, scores in sorted(groups.items()) + [("all", [r["score"] for r in ok])]:
    cells = "".join("  %7.2f%%" % (100.0 * sum(s >= t for s in scores) / len(scores))
                    for t in thresholds)
    print("%-26s %6d%s" % (name, len(scores), cells))
PY

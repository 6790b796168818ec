#!/bin/sh
# A check of the quality figures on images and edits the benchmark never saw
# (docs/quality.md): each image in LIST is banked with `bulwark bank
# add-content`, edited by ImageMagick (not by bench/quality_transforms.c),
# and the copies are matched with `bulwark match` in each mode. Prints, per
# mode and edit, how many copies matched their own original at distance 31
# or less, and which copies also matched another banked image.
#   bench/quality-heldout.sh BUILD LIST [OUT_DIR]
set -eu
build=${1:?usage: bench/quality-heldout.sh BUILD LIST [OUT_DIR]}
list=${2:?usage: bench/quality-heldout.sh BUILD LIST [OUT_DIR]}
out=${3:-$(mktemp -d)}
bw="$build/programs/bulwark/bulwark"
command -v convert >/dev/null || { echo "ImageMagick's convert is missing" >&2; exit 1; }
# Captions in a font Debian ships (fonts-dejavu-core): ImageMagick's default,
# Helvetica, is there only with Ghostscript's fonts, and without it convert fails.
font=DejaVu-Sans
rm -rf "$out/e" "$out/bank.db" "$out/ids"
mkdir -p "$out/e"
"$bw" bank --db "$out/bank.db" create held >/dev/null
n=0
while read -r f; do
  n=$((n + 1))
  id=$(printf %03d "$n")
  o="$out/o$id.jpg"
  convert "$f" -resize '1024x1024>' -quality 95 "$o"
  echo "$id $(sha256sum "$o" | cut -c1-64)" >> "$out/ids"
  convert "$o" -quality 30 "$out/e/$id-jpeg30.jpg"
  convert "$o" -resize 50% "$out/e/$id-resize50.png"
  convert "$o" -gravity center -crop 90%x90%+0+0 +repage "$out/e/$id-crop-centre10.png"
  convert "$o" -gravity east -crop 80%x100%+0+0 +repage "$out/e/$id-crop-side20.png"
  convert "$o" -rotate 90 -quality 85 "$out/e/$id-rotate90-q85.jpg"
  convert "$o" -flop -quality 85 "$out/e/$id-mirror-q85.jpg"
  convert "$o" -bordercolor black -border 8% "$out/e/$id-border8.png"
  convert "$o" -background black -rotate 4 "$out/e/$id-rotate4.png"
  convert "$o" -rotate 180 "$out/e/$id-rotate180.png"
  convert "$o" -flip "$out/e/$id-flip.png"
  # A logo in the top-left corner, a fifth of the width wide, and a caption
  # along the top: not the bottom-right logo and bottom caption the
  # benchmark draws.
  w=$(identify -format %w "$o")
  s=$((w / 5)) m=$((w / 40))
  convert "$o" -fill '#f0f0f0' -draw "rectangle $m,$m $((m + s)),$((m + s * 2 / 3))" \
    -fill '#2040c0' -draw "circle $((m + s / 3)),$((m + s / 3)) $((m + s / 2)),$((m + s / 3))" \
    "$out/e/$id-logo-topleft.png"
  convert "$o" -gravity north -font $font -pointsize $((w / 14)) -fill 'rgba(255,255,255,0.75)' \
    -annotate +0+$m '@someone_reposted' -quality 90 "$out/e/$id-caption-top.jpg"
  # A badge in the middle, a fifth of the width wide, and a faint word
  # across the middle, saved as JPEG: not the benchmark's centred logo and
  # PREVIEW mark.
  h=$(identify -format %h "$o")
  cx=$((w / 2)) cy=$((h / 2)) r=$((w / 10))
  convert "$o" -fill '#c02030' -draw "roundrectangle $((cx - r)),$((cy - r * 2 / 3)) $((cx + r)),$((cy + r * 2 / 3)) $((r / 4)),$((r / 4))" \
    -fill white -draw "circle $cx,$cy $((cx + r / 3)),$cy" -quality 90 "$out/e/$id-badge-middle.jpg"
  convert "$o" -gravity center -font $font -pointsize $((w / 7)) -fill 'rgba(255,255,255,0.4)' \
    -annotate +0+0 'SAMPLE' -quality 90 "$out/e/$id-word-middle.jpg"
  # A screenshot of a chat: white margins, a coloured header with a name,
  # an input line at the bottom, saved as JPEG (the benchmark's viewer
  # window is grey with a dark title bar).
  convert "$o" -bordercolor white -border "$((w / 12))x$((w / 16))" \
    -gravity north -background '#075e54' -splice 0x$((w / 9)) \
    -fill white -font $font -pointsize $((w / 22)) -annotate +0+$((w / 36)) 'Someone, online' \
    -gravity south -background '#f0f0f0' -splice 0x$((w / 10)) \
    -fill '#707070' -font $font -annotate +0+$((w / 40)) 'Type a message' \
    -quality 85 "$out/e/$id-screenshot-chat.jpg"
done < "$list"
"$bw" bank --db "$out/bank.db" add-content held "$out"/o*.jpg 2> "$out/add.log"
for m in plain dihedral standard robust; do
  nice "$bw" match --db "$out/bank.db" --mode "$m" -j 2 "$out"/e/* > "$out/m-$m.json"
done
python3 - "$out" <<'PY'
import collections, json, os, sys
out = sys.argv[1]
ids = dict(line.split() for line in open(out + '/ids'))
for mode in ("plain", "dihedral", "standard", "robust"):
    own, total, others = collections.Counter(), collections.Counter(), []
    for line in open('%s/m-%s.json' % (out, mode)):
        j = json.loads(line)
        name = os.path.basename(j['query']['file'])
        i, edit = name.split('-', 1)
        edit = edit.rsplit('.', 1)[0]
        total[edit] += 1
        got = {m['metadata']['content'] for m in j['matches']
               if m.get('signal_type') == 'pdq' and m['distance'] <= 31
               and (m.get('metadata') or {}).get('content')}
        own[edit] += ids[i] in got
        if got - {ids[i]}:
            others.append(name)
    print('%-9s %s' % (mode, '  '.join('%s %d/%d' % (e, own[e], total[e]) for e in sorted(total))))
    print('%-9s also matched another image: %s' % ('', ' '.join(others) or 'none'))
PY

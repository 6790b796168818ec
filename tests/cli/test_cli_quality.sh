#!/bin/sh
# `bulwark bank add-content`, `bank settings` and `match --mode`, as a user
# runs them, on SQLite (or PostgreSQL when BW_TEST_PG_URI is set). The edited
# copies are made here from a golden PPM with python3: the centre with 20 %
# of each side cut away, in a black letterbox; an opaque logo in the
# bottom-right corner; the picture turned a quarter clockwise; the picture
# turned 6 degrees anticlockwise on a white canvas.
#   test_cli_quality.sh BULWARK DATADIR
set -u
bw=$1
golden=$2/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
db=${BW_TEST_PG_URI:-$tmp/banks.db}
B() { "$bw" bank --db "$db" "$@"; }
M() { "$bw" match --db "$db" "$@"; }

python3 - "$golden/pnm-p6.ppm" "$tmp/edited.ppm" "$tmp/logo.ppm" "$tmp/turned.ppm" "$tmp/tilted.ppm" "$tmp/badge.ppm" <<'PY' || { echo "FAIL: cannot make the edited copy"; exit 1; }
import math
import sys
data = open(sys.argv[1], 'rb').read()
# A binary PPM with a header of four fields: P6 WIDTH HEIGHT MAXVAL.
fields, pos = [], 0
while len(fields) < 4:
    while data[pos:pos + 1].isspace():
        pos += 1
    start = pos
    while not data[pos:pos + 1].isspace():
        pos += 1
    fields.append(data[start:pos])
pixels = data[pos + 1:]
w, h = int(fields[1]), int(fields[2])
dx, dy = w // 10, h // 10
cw, ch, bar = w - 2 * dx, h - 2 * dy, h // 5
rows = [b'\0' * (cw * 3)] * bar
for y in range(dy, dy + ch):
    rows.append(pixels[(y * w + dx) * 3:(y * w + dx + cw) * 3])
rows += [b'\0' * (cw * 3)] * bar
open(sys.argv[2], 'wb').write(b'P6\n%d %d\n255\n' % (cw, ch + 2 * bar) + b''.join(rows))
# A white square a quarter of the width wide, a little off the corner.
side = w // 4
logo = bytearray(pixels)
for y in range(h - side - side // 8, h - side // 8):
    for x in range(w - side - side // 8, w - side // 8):
        logo[(y * w + x) * 3:(y * w + x) * 3 + 3] = b'\xf0\xf0\xf0'
open(sys.argv[3], 'wb').write(b'P6\n%d %d\n255\n' % (w, h) + bytes(logo))
# Clockwise: the new row y is the old column y, read from the bottom up.
turned = b''.join(pixels[((h - 1 - x) * w + y) * 3:((h - 1 - x) * w + y) * 3 + 3]
                  for y in range(w) for x in range(h))
open(sys.argv[4], 'wb').write(b'P6\n%d %d\n255\n' % (h, w) + turned)
# Turned by 6 degrees on a canvas that holds it all, each pixel read back
# bilinearly from the original.
a = math.radians(6)
c, s = math.cos(a), math.sin(a)
W, H = int(w * c + h * s) + 1, int(w * s + h * c) + 1
out = bytearray(b'\xff' * (W * H * 3))
for y in range(H):
    for x in range(W):
        u, v = x - W / 2 + 0.5, y - H / 2 + 0.5
        sx, sy = c * u - s * v + w / 2 - 0.5, s * u + c * v + h / 2 - 0.5
        x0, y0 = math.floor(sx), math.floor(sy)
        if x0 < 0 or y0 < 0 or x0 + 1 >= w or y0 + 1 >= h:
            continue
        fx, fy = sx - x0, sy - y0
        for k in range(3):
            p00, p10 = pixels[(y0 * w + x0) * 3 + k], pixels[(y0 * w + x0 + 1) * 3 + k]
            p01, p11 = pixels[((y0 + 1) * w + x0) * 3 + k], pixels[((y0 + 1) * w + x0 + 1) * 3 + k]
            top, bottom = p00 * (1 - fx) + p10 * fx, p01 * (1 - fx) + p11 * fx
            out[(y * W + x) * 3 + k] = int(top * (1 - fy) + bottom * fy + 0.5)
open(sys.argv[5], 'wb').write(b'P6\n%d %d\n255\n' % (W, H) + bytes(out))
# A badge in the middle, a third of the width wide: a black and white
# checkerboard, which moves the whole image's hash far.
side = w // 3
x0, y0 = (w - side) // 2, (h - side) // 2
badge = bytearray(pixels)
for y in range(y0, y0 + side):
    for x in range(x0, x0 + side):
        ink = ((x - x0) // 8 + (y - y0) // 8) % 2
        badge[(y * w + x) * 3:(y * w + x) * 3 + 3] = b'\0\0\0' if ink else b'\xff\xff\xff'
open(sys.argv[6], 'wb').write(b'P6\n%d %d\n255\n' % (w, h) + bytes(badge))
PY

B create plain 2>/dev/null && B create robust 2>/dev/null && ok "create" || fail "create"
B settings plain '{"content_signals":["pdq"]}' && [ "$(B settings plain)" = '{"content_signals":["pdq"]}' ] \
  && ok "settings round trip" || fail "settings: $(B settings plain)"
[ "$(B settings robust)" = "{}" ] && ok "no settings shows {}" || fail "empty settings: $(B settings robust)"
B settings robust '[1]' 2>"$tmp/e"; [ $? -eq 1 ] && grep -q "bank settings" "$tmp/e" \
  && ok "bad settings refused" || fail "bad settings: $(cat "$tmp/e")"

B add-content robust "$golden/pnm-p6.ppm" 2>"$tmp/e" && grep -q "87 signals added (83 crop regions), 0 already" "$tmp/e" \
  && ok "add-content stores regions by default" || fail "add-content: $(cat "$tmp/e")"
B add-content plain "$golden/pnm-p6.ppm" 2>"$tmp/e" && grep -q "1 signals added (0 crop regions)" "$tmp/e" \
  && ok "add-content follows the bank's settings" || fail "add-content plain: $(cat "$tmp/e")"
B add-content robust "$golden/pnm-p6.ppm" 2>"$tmp/e" && grep -q "0 signals added (0 crop regions), 87 already" "$tmp/e" \
  && ok "add-content twice adds nothing" || fail "add-content again: $(cat "$tmp/e")"
# add-file banks by the same settings, one JSON line a file; a flat picture
# keeps its digests but not its PDQ hash.
B add-file plain "$golden/webp-lossy.webp" > "$tmp/o" \
  && grep -Eq '"signals":\[\{"type":"pdq","id":[0-9]+,"added":true,"value":"[0-9a-f]{64}","part":"whole"\}\],"skipped":\[\]' "$tmp/o" \
  && ok "add-file follows the bank's settings" || fail "add-file plain: $(cat "$tmp/o")"
python3 -c 'import sys; open(sys.argv[1], "wb").write(b"P6\n64 64\n255\n" + b"\x80" * 64 * 64 * 3)' "$tmp/flat.ppm"
B add-file robust "$tmp/flat.ppm" > "$tmp/o" && grep -q '"skipped":\[{"type":"pdq"' "$tmp/o" \
  && grep -q '"type":"sha256"' "$tmp/o" && ! grep -q '"type":"pdq","id"' "$tmp/o" \
  && ok "a flat image: digests banked, PDQ skipped" || fail "flat add-file: $(cat "$tmp/o")"
B add-content robust "$tmp/flat.ppm" 2>"$tmp/e" && grep -q "its PDQ is too flat to bank" "$tmp/e" \
  && ok "add-content says so too" || fail "flat add-content: $(cat "$tmp/e")"
B add-content robust "$tmp/nothing.png" 2>"$tmp/e"; [ $? -eq 1 ] && grep -q "nothing.png" "$tmp/e" \
  && ok "missing file reported" || fail "missing file: $(cat "$tmp/e")"
B add-content robust "$golden/too-small-4x4.jpg" 2>"$tmp/e"; [ $? -eq 1 ] && ok "tiny image refused" \
  || fail "tiny image: $(cat "$tmp/e")"

# The original matches plainly; the edited copy only once its letterbox is
# stripped (standard and robust modes), and the match names the region of the
# original it covers.
M "$golden/pnm-p6.ppm" > "$tmp/o" && grep -q '"distance":0,"metadata":{"content":"[0-9a-f]*","part":"whole"}' "$tmp/o" \
  && ok "original matches its whole-image hash" || fail "original: $(cat "$tmp/o")"
M --mode plain "$tmp/edited.ppm" > "$tmp/o" && grep -q '"matches":\[\]' "$tmp/o" \
  && ok "plain mode misses the edited copy" || fail "plain: $(cat "$tmp/o")"
M --mode dihedral "$tmp/edited.ppm" > "$tmp/o" && grep -q '"matches":\[\]' "$tmp/o" \
  && ok "dihedral mode misses it" || fail "dihedral: $(cat "$tmp/o")"
# Standard mode, the default, strips the letterbox and meets the region.
M "$tmp/edited.ppm" > "$tmp/o" && grep -q '"region":"c20","query_part":"content"' "$tmp/o" \
  && grep -q '"actionable":true' "$tmp/o" \
  && ok "standard mode (the default) finds it, as region c20" || fail "standard: $(cat "$tmp/o")"
M --mode robust "$tmp/edited.ppm" > "$tmp/o" && grep -q '"bank":"robust"' "$tmp/o" \
  && grep -q '"region":"c20"' "$tmp/o" && grep -q '"query_part":"content"' "$tmp/o" \
  && grep -q '"actionable":true' "$tmp/o" && ! grep -q '"bank":"plain"' "$tmp/o" \
  && ok "robust mode finds it, as region c20" || fail "robust: $(cat "$tmp/o")"
# A logo in a corner: the image less 30 % on the right (or at the bottom)
# leaves it out and meets the same region of the original.
M --mode plain "$tmp/logo.ppm" > "$tmp/o" && grep -q '"matches":\[\]' "$tmp/o" \
  && ok "plain mode misses the copy with a logo" || fail "plain logo: $(cat "$tmp/o")"
M --mode robust "$tmp/logo.ppm" > "$tmp/o" && grep -q '"bank":"robust"' "$tmp/o" \
  && grep -Eq '"region":"(r30|b30)","query_part":"(r30|b30)"' "$tmp/o" \
  && grep -Eq '"distance":0,[^}]*"region":"(r30|b30)"' "$tmp/o" \
  && ok "robust mode finds it by an edge region" || fail "robust logo: $(cat "$tmp/o")"
M --mode dihedral "$tmp/logo.ppm" > "$tmp/o" && grep -q '"matches":\[\]' "$tmp/o" \
  && ok "dihedral mode misses it" || fail "dihedral logo: $(cat "$tmp/o")"
# Standard mode has the edge regions too, within 16 bits (here 0).
M "$tmp/logo.ppm" > "$tmp/o" && grep -q '"bank":"robust"' "$tmp/o" \
  && grep -Eq '"distance":0,[^}]*"region":"(r30|b30)","query_part":"(r30|b30)"' "$tmp/o" \
  && ok "standard mode (the default) finds it by an edge region" \
  || fail "standard logo: $(cat "$tmp/o")"
# A badge in the middle: the bands either side of it (the 30 % at the left
# and right, or top and bottom) meet the original's, in pairs.
M --mode dihedral "$tmp/badge.ppm" > "$tmp/o" && grep -q '"matches":\[\]' "$tmp/o" \
  && ok "dihedral mode misses the copy with a badge in the middle" \
  || fail "dihedral badge: $(cat "$tmp/o")"
M "$tmp/badge.ppm" > "$tmp/o" && grep -q '"bank":"robust"' "$tmp/o" \
  && grep -Eq '"region":"[lrtb][67]0","query_part":"[lrtb][67]0"' "$tmp/o" \
  && ok "standard mode (the default) finds it by a pair of bands" \
  || fail "standard badge: $(cat "$tmp/o")"
# A turned copy: the dihedral variant is hashed from the turned pixels, so it
# is the original's hash exactly (the reference's DCT variant is not).
M --mode plain "$tmp/turned.ppm" > "$tmp/o" && grep -q '"matches":\[\]' "$tmp/o" \
  && ok "plain mode misses the turned copy" || fail "plain turned: $(cat "$tmp/o")"
M --mode dihedral "$tmp/turned.ppm" > "$tmp/o" && grep -q '"distance":0,' "$tmp/o" \
  && grep -q '"transform":"rotate90"' "$tmp/o" \
  && ok "dihedral mode finds it at distance 0" || fail "dihedral: $(cat "$tmp/o")"
# The tilted copy: turned back in standard mode (the default), not in
# dihedral mode.
M --mode dihedral "$tmp/tilted.ppm" > "$tmp/o" && grep -q '"matches":\[\]' "$tmp/o" \
  && ok "dihedral mode misses the tilted copy" || fail "dihedral tilted: $(cat "$tmp/o")"
M "$tmp/tilted.ppm" > "$tmp/o" && grep -q '"bank":"robust"' "$tmp/o" \
  && grep -q '"query_part":"unrotated"' "$tmp/o" \
  && ok "standard mode (the default) turns it back" || fail "standard tilted: $(cat "$tmp/o")"
M --mode sideways "$tmp/edited.ppm" 2>/dev/null; [ $? -eq 2 ] && ok "unknown mode refused" \
  || fail "unknown mode accepted"
M --mode robust "$golden/png-wide.png" > "$tmp/o" && grep -q '"matches":\[\]' "$tmp/o" \
  && ok "another scene matches nothing" || fail "other scene: $(cat "$tmp/o")"

echo "$failures failed"
[ "$failures" -eq 0 ]

#!/bin/sh
# Videos through the CLI as a user runs it: `bulwark hash` against the
# reference's expected vPDQ lines, headers, digests, JSON and -j; videos made
# here by ffmpeg from its test sources (nothing filmed), whose edited copies
# (re-encoded, scaled, cropped, watermarked, trimmed) must still match them
# with `bulwark vpdq-match` while unrelated videos must not; damaged videos,
# limits, and exit codes.
#   test_cli_video.sh BULWARK DATADIR
set -u
bw=$1
data=$2/video
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
cd "$data" || exit 1

# 1. Default output is the reference's file, byte for byte.
"$bw" hash h264-640x360.mp4 > "$tmp/o" && cmp -s "$tmp/o" h264-640x360.s0.txt \
  && ok "hash VIDEO equals vpdq-hash-video -r 0 -s 0" || fail "default video output differs"
"$bw" hash --video-size 64 mjpeg-96x72.avi > "$tmp/o" && cmp -s "$tmp/o" mjpeg-96x72.s64.txt \
  && ok "--video-size 64 equals -s 64" || fail "--video-size output differs"
"$bw" hash --seconds-per-hash 1 vp9-150x100.webm > "$tmp/o" && cmp -s "$tmp/o" vp9-150x100.r1.txt \
  && ok "--seconds-per-hash 1 equals -r 1" || fail "--seconds-per-hash output differs"
"$bw" hash --fast --seconds-per-hash 1 h264-640x360.mp4 > "$tmp/o" && cmp -s "$tmp/o" h264-640x360.r1.txt \
  && ok "--fast --seconds-per-hash 1: same lines" || fail "--fast output differs"
# The reference reads -r as a float: 0.7 s at 10 fps is 6.9999999 frames, so
# every 6th frame (as a double it would be every 7th).
frames=$("$bw" hash --seconds-per-hash 0.7 h264-640x360.mp4 | cut -d, -f1 | tr '\n' ' ')
[ "$frames" = "0 6 12 18 24 " ] && ok "--seconds-per-hash read as a float, as -r" \
  || fail "--seconds-per-hash 0.7 hashed frames $frames"
"$bw" hash -j 2 h264-640x360.mp4 > "$tmp/o" && cmp -s "$tmp/o" h264-640x360.s0.txt \
  && ok "-j 2 on one video: same lines" || fail "-j 2 on one video differs"

# 2. Several files: a header line before each video, images as usual, in order.
"$bw" hash -j 3 mjpeg-96x72.avi vp9-150x100.webm h264-640x360.mp4 > "$tmp/multi"
{ echo "#vpdq,10,mjpeg-96x72.avi"; cat mjpeg-96x72.s0.txt
  echo "#vpdq,16,vp9-150x100.webm"; cat vp9-150x100.s0.txt
  echo "#vpdq,30,h264-640x360.mp4"; cat h264-640x360.s0.txt; } > "$tmp/want"
cmp -s "$tmp/multi" "$tmp/want" && ok "several videos: headers, order kept with -j 3" \
  || fail "several videos: $(diff "$tmp/multi" "$tmp/want" | head -3)"
md5=$(md5sum h264-640x360.mp4 | cut -d' ' -f1)
sha=$(sha256sum h264-640x360.mp4 | cut -d' ' -f1)
line=$("$bw" hash --algo md5,pdq,sha256 h264-640x360.mp4 | head -1)
[ "$line" = "#vpdq,30,$md5,$sha,h264-640x360.mp4" ] && ok "digests in the header line" \
  || fail "header was '$line'"
line=$("$bw" hash --algo sha256 h264-640x360.mp4)
[ "$line" = "$sha,h264-640x360.mp4" ] && ok "--algo sha256 alone: a digest line" \
  || fail "digest-only line was '$line'"
"$bw" hash --format json --algo pdq,md5 --seconds-per-hash 1 h264-640x360.mp4 > "$tmp/j"
python3 - "$tmp/j" "$md5" <<'EOF' && ok "JSON object with a vpdq array" || fail "JSON: $(head -c 300 "$tmp/j")"
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["format"] == "video" and o["md5"] == sys.argv[2], o
assert (o["width"], o["height"], o["frames_decoded"]) == (640, 360, 30), o
assert [f["frame"] for f in o["vpdq"]] == [0, 10, 20], o["vpdq"]
assert all(len(f["hash"]) == 64 and 0 <= f["quality"] <= 100 for f in o["vpdq"])
EOF

# 3. Videos made here, edited copies and unrelated videos.
if ! command -v ffmpeg > /dev/null; then
  fail "ffmpeg is needed (scripts/debian-packages.txt lists it)"
else
  ff="ffmpeg -v error -y -nostdin"
  v=$tmp/v
  mkdir "$v"
  $ff -f lavfi -i mandelbrot=size=320x240:rate=25 -t 4 -c:v libx264 -crf 23 "$v/orig.mp4"
  $ff -f lavfi -i testsrc2=size=320x240:rate=25 -t 4 -c:v libx264 "$v/testsrc2.mp4"
  $ff -f lavfi -i cellauto=s=320x240:rule=110:rate=25 -t 4 -c:v libx264 "$v/cellauto.mp4"
  $ff -f lavfi -i smptehdbars=size=320x240:rate=25 -t 4 -vf noise=alls=30:allf=t \
    -c:v libx264 "$v/bars.mp4"
  $ff -i "$v/orig.mp4" -c:v mpeg4 -q:v 8 "$v/reencoded.avi"
  $ff -i "$v/orig.mp4" -c:v libvpx-vp9 -b:v 200k "$v/reencoded.webm"
  $ff -i "$v/orig.mp4" -vf scale=160:120 -c:v libx264 -crf 28 "$v/scaled.mp4"
  $ff -i "$v/orig.mp4" -vf crop=296:220:12:10 -c:v libx264 "$v/cropped.mp4"
  $ff -i "$v/orig.mp4" -vf "drawtext=text='bulwark test':x=8:y=h-th-8:fontsize=16:fontcolor=white@0.6" \
    -c:v libx264 "$v/watermarked.mp4" 2>/dev/null \
    || $ff -i "$v/orig.mp4" -vf "drawbox=x=250:y=210:w=60:h=20:color=white@0.5:t=fill" \
         -c:v libx264 "$v/watermarked.mp4"
  $ff -i "$v/orig.mp4" -f lavfi -i testsrc=size=48x36:rate=25 -filter_complex \
    "[1:v]format=yuva420p,colorchannelmixer=aa=0.4[l];[0:v][l]overlay=W-w-6:6:shortest=1" \
    -c:v libx264 "$v/logo.mp4"
  $ff -ss 1 -i "$v/orig.mp4" -t 2 -c:v libx264 "$v/trimmed.mp4"
  for e in reencoded.avi reencoded.webm scaled.mp4 cropped.mp4 watermarked.mp4 logo.mp4 trimmed.mp4; do
    r=$("$bw" vpdq-match "$v/$e" "$v/orig.mp4")
    q=${r%%,*}
    awk -v q="$q" 'BEGIN { exit !(q != "" && q >= 80) }' && ok "edited copy $e matches ($r)" \
      || fail "edited copy $e does not match: $r"
  done
  for u in testsrc2.mp4 cellauto.mp4 bars.mp4; do
    r=$("$bw" vpdq-match "$v/$u" "$v/orig.mp4")
    awk -v r="$r" 'BEGIN { n = split(r, p, ","); exit !(n == 4 && p[1] != "" && p[1] <= 10 && p[2] <= 10) }' \
      && ok "unrelated $u does not match ($r)" || fail "unrelated $u matches: $r"
  done
  # A hash file and its video compare as the same thing.
  "$bw" hash "$v/orig.mp4" > "$tmp/orig.txt"
  r=$("$bw" vpdq-match "$tmp/orig.txt" "$v/orig.mp4" --distance 0)
  [ "${r%,*,*}" = "100.000,100.000" ] && ok "vpdq-match: file against its video" || fail "self match: $r"
  # A video from a pipe (read twice: digests, then frames) as from its file.
  cat "$v/orig.mp4" | "$bw" hash /dev/stdin > "$tmp/piped.txt" &&
    cmp -s "$tmp/piped.txt" "$tmp/orig.txt" && ok "a video from a pipe hashes as its file" ||
    fail "video from a pipe: $(head -2 "$tmp/piped.txt")"

  # Video after audio in the container: every frame, the last ones included
  # (the reference loses the frames still in the decoder here).
  $ff -f lavfi -i sine=duration=2 -f lavfi -i testsrc2=size=160x120:rate=25:duration=2 \
    -map 0:a -map 1:v -c:v libx264 -bf 2 -c:a aac "$v/audiofirst.mp4"
  n=$("$bw" hash "$v/audiofirst.mp4" | wc -l)
  [ "$n" -eq 50 ] && ok "video as the second stream: all 50 frames" || fail "audio first: $n frames"
  $ff -f lavfi -i testsrc2=size=160x120:rate=10:duration=1 -f lavfi -i testsrc=size=160x120:rate=10:duration=1 \
    -f lavfi -i mandelbrot=size=160x120:rate=10 -t 1 -map 0 -map 1 -map 2 -c:v libx264 "$v/three.mkv"
  "$bw" hash --max-streams 2 "$v/three.mkv" > /dev/null 2> "$tmp/e"
  [ $? -eq 1 ] && grep -q "3 streams, over the limit of 2" "$tmp/e" && ok "--max-streams" \
    || fail "--max-streams: $(cat "$tmp/e")"
  # An animated GIF is an image unless --video says otherwise.
  $ff -f lavfi -i testsrc2=size=64x48:rate=5:duration=1 "$v/anim.gif"
  [ "$("$bw" hash "$v/anim.gif" | wc -l)" -eq 1 ] && [ "$("$bw" hash --video "$v/anim.gif" | wc -l)" -eq 5 ] \
    && ok "GIF: first frame by default, every frame with --video" || fail "GIF with --video"
fi

# 4. Damaged videos: a clear error, how far decoding got, exit 1.
size=$(wc -c < h264-640x360.mp4)
head -c $((size * 9 / 10)) h264-640x360.mp4 > "$tmp/cut.mp4"
"$bw" hash "$tmp/cut.mp4" > "$tmp/o" 2> "$tmp/e"
[ $? -eq 1 ] && grep -q "(truncated)" "$tmp/e" && grep -q "ends" "$tmp/e" && [ ! -s "$tmp/o" ] \
  && ok "truncated video reported" || fail "truncated: $(cat "$tmp/e")"
avi_size=$(wc -c < mjpeg-96x72.avi)
head -c $((avi_size * 2 / 3)) mjpeg-96x72.avi > "$tmp/cut.avi"
"$bw" hash --partial "$tmp/cut.avi" > "$tmp/o" 2> "$tmp/e"
rc=$?
n=$(wc -l < "$tmp/o")
# The last frame printed is the one whose data was cut short.
head -n $((n - 1)) "$tmp/o" > "$tmp/kept"
[ $rc -eq 1 ] && grep -q "after [0-9]* frames" "$tmp/e" && [ "$n" -gt 1 ] && [ "$n" -lt 10 ] \
  && head -n $((n - 1)) mjpeg-96x72.s0.txt | cmp -s - "$tmp/kept" \
  && ok "--partial prints the $n frames before the cut" || fail "--partial: $n lines, $(cat "$tmp/e")"
printf 'RIFF\0\0\0\0AVI LIST garbage garbage garbage' > "$tmp/bad.avi"
"$bw" hash "$tmp/bad.avi" > /dev/null 2> "$tmp/e"; rc=$?
[ $rc -eq 1 ] && grep -q "bad.avi: " "$tmp/e" && ok "garbage AVI: $(cut -d: -f2- "$tmp/e")" \
  || fail "garbage AVI: rc $rc $(cat "$tmp/e")"
"$bw" hash --video /etc/hostname > /dev/null 2> "$tmp/e"
[ $? -eq 1 ] && grep -q "(unsupported)" "$tmp/e" && ok "--video on a text file" || fail "--video text: $(cat "$tmp/e")"
"$bw" hash -k --format json "$tmp/cut.mp4" h264-640x360.mp4 > "$tmp/o" 2> /dev/null
[ "$(grep -c '"error":{"code":"truncated"' "$tmp/o")" -eq 1 ] && [ "$(wc -l < "$tmp/o")" -eq 2 ] \
  && ok "-k JSON: an error object and a result" || fail "-k JSON: $(cat "$tmp/o")"

# 5. Limits from the command line.
"$bw" hash --max-frames 5 h264-640x360.mp4 > /dev/null 2> "$tmp/e"
[ $? -eq 1 ] && grep -q "over the limit of 5 (limit_exceeded)" "$tmp/e" && ok "--max-frames" || fail "--max-frames: $(cat "$tmp/e")"
"$bw" hash --max-duration 1.5 h264-640x360.mp4 > /dev/null 2> "$tmp/e"
[ $? -eq 1 ] && grep -q "limit of 1.5 s" "$tmp/e" && ok "--max-duration" || fail "--max-duration: $(cat "$tmp/e")"
"$bw" hash --max-decode-time 0.001 h264-640x360.mp4 > /dev/null 2> "$tmp/e"
[ $? -eq 1 ] && grep -q "(timeout)" "$tmp/e" && ok "--max-decode-time" || fail "--max-decode-time: $(cat "$tmp/e")"
"$bw" hash --max-pixels 100000 h264-640x360.mp4 > /dev/null 2> "$tmp/e"
[ $? -eq 1 ] && grep -q "too_many_pixels" "$tmp/e" && ok "--max-pixels on a video" || fail "--max-pixels: $(cat "$tmp/e")"

# 6. vpdq-match: the C++ reference's percentages, JSON, errors.
bad=0
while IFS=, read -r a b d q qp cp; do
  got=$("$bw" vpdq-match --cpp-reference --distance "$d" --quality "$q" "$a" "$b" | \
        awk -F, '{ printf "%.2f,%.2f", $1, $2 }')
  [ "$got" = "$qp,$cp" ] || { bad=$((bad + 1)); echo "  $a $b $d $q: $got, reference $qp,$cp"; }
done < expected-match.csv
[ $bad -eq 0 ] && ok "vpdq-match --cpp-reference equals match-hashes-brute" || fail "$bad match lines differ"
"$bw" vpdq-match --format json vp9-150x100.s0.txt vp9-150x100.s64.txt > "$tmp/j"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["query_percent"] == 100 and o["deduplicated"]' \
  "$tmp/j" && ok "vpdq-match JSON" || fail "vpdq-match JSON: $(cat "$tmp/j")"
sed '3s/,100,/,1000,/' h264-640x360.s0.txt > "$tmp/badq.txt"
"$bw" vpdq-match "$tmp/badq.txt" h264-640x360.s0.txt > /dev/null 2> "$tmp/e"
[ $? -eq 1 ] && grep -q "line 3: the quality" "$tmp/e" && ok "bad vPDQ file: line number" \
  || fail "bad vPDQ file: $(cat "$tmp/e")"
"$bw" vpdq-match a > /dev/null 2>&1; [ $? -eq 2 ] || fail "vpdq-match with one file: expected exit 2"
"$bw" vpdq-match --distance 300 a b > /dev/null 2>&1; [ $? -eq 2 ] || fail "--distance 300: expected exit 2"
"$bw" hash --seconds-per-hash -1 x > /dev/null 2>&1; [ $? -eq 2 ] || fail "--seconds-per-hash -1: expected exit 2"
"$bw" hash --video-size 3 x > /dev/null 2>&1; [ $? -eq 2 ] || fail "--video-size 3: expected exit 2"
"$bw" vpdq-match --help | grep -q "Usage: bulwark vpdq-match" && ok "vpdq-match --help" || fail "vpdq-match --help"

if [ $failures -ne 0 ]; then
  echo "$failures video CLI check(s) failed"
  exit 1
fi
echo "all video CLI checks passed"

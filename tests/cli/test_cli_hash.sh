#!/bin/sh
# The `bulwark hash` command as a user runs it: output formats against the
# reference's expected lines, ordering with -j, errors and exit codes.
#   test_cli_hash.sh BULWARK DATADIR
set -u
bw=$1
data=$2
golden=$data/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }

cd "$golden" || exit 1
names=$(cut -d, -f3 expected.csv)

# 1. Default CSV: the reference's HASH,QUALITY,FILENAME lines, byte for byte.
# shellcheck disable=SC2086
"$bw" hash $names > "$tmp/out.csv" 2> "$tmp/err" && cmp -s "$tmp/out.csv" expected.csv \
  && ok "default output equals the reference's" || fail "default output differs: $(diff "$tmp/out.csv" expected.csv | head -5)"

# 2. --dihedral: the reference's --pdqdih-across lines.
# shellcheck disable=SC2086
"$bw" hash --dihedral $names > "$tmp/dih.csv" && cmp -s "$tmp/dih.csv" expected-dihedral.csv \
  && ok "--dihedral equals --pdqdih-across" || fail "--dihedral output differs"

# 3. -j 4 prints the same lines in the same order.
# shellcheck disable=SC2086
"$bw" hash -j 4 $names > "$tmp/par.csv" && cmp -s "$tmp/par.csv" expected.csv \
  && ok "-j 4 keeps input order" || fail "-j 4 output differs"

# 4. Paths from a list file and from stdin.
printf '%s\n' $names > "$tmp/list"
"$bw" hash --from "$tmp/list" > "$tmp/from.csv" && cmp -s "$tmp/from.csv" expected.csv \
  && ok "--from LIST" || fail "--from LIST output differs"
"$bw" hash - < "$tmp/list" > "$tmp/stdin.csv" && cmp -s "$tmp/stdin.csv" expected.csv \
  && ok "- reads paths from stdin" || fail "- output differs"

# 5. --algo: columns in the order asked, digests equal to coreutils'.
line=$("$bw" hash --algo md5,pdq,sha256 jpeg-420.jpg)
md5=$(md5sum jpeg-420.jpg | cut -d' ' -f1)
sha=$(sha256sum jpeg-420.jpg | cut -d' ' -f1)
pdq=$(grep ',jpeg-420.jpg$' expected.csv | cut -d, -f1,2)
[ "$line" = "$md5,$pdq,$sha,jpeg-420.jpg" ] && ok "--algo md5,pdq,sha256 columns" \
  || fail "--algo line was '$line'"
line=$("$bw" hash --algo sha1 jpeg-420.jpg)
[ "$line" = "$(sha1sum jpeg-420.jpg | cut -d' ' -f1),jpeg-420.jpg" ] && ok "--algo sha1 alone" \
  || fail "--algo sha1 line was '$line'"

# 6. JSON lines carry every requested algorithm.
"$bw" hash --format json --algo pdq,md5,sha1,sha256 --dihedral jpeg-420.jpg > "$tmp/j"
for key in '"file":"jpeg-420.jpg"' '"format":"jpeg"' '"width":800' '"height":600' \
           "\"pdq\":{\"hash\":\"$(echo "$pdq" | cut -d, -f1)\",\"quality\":100}" \
           "\"md5\":\"$md5\"" "\"sha256\":\"$sha\"" '"pdq_dihedral":{"original":' '"flipminus1":'; do
  grep -qF "$key" "$tmp/j" || fail "JSON lacks $key: $(cat "$tmp/j")"
done
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/j" \
    && ok "JSON output parses" || fail "JSON output does not parse"
fi

# 7. A bad file: message on stderr, exit 1, the run stops without -k...
printf 'not an image' > "$tmp/bad.jpg"
"$bw" hash jpeg-420.jpg "$tmp/bad.jpg" png-rgb.png > "$tmp/o" 2> "$tmp/e"
rc=$?
[ $rc -eq 1 ] || fail "exit status $rc for a bad file, expected 1"
grep -q "bad.jpg: not a recognised image format" "$tmp/e" && grep -q "(unsupported)" "$tmp/e" \
  && ok "bad file reported" || fail "stderr was: $(cat "$tmp/e")"
[ "$(wc -l < "$tmp/o")" -eq 1 ] && ok "stops at the first failure" || fail "printed $(wc -l < "$tmp/o") lines"
# ...and goes on with -k, in JSON giving an error object.
"$bw" hash -k --format json jpeg-420.jpg "$tmp/bad.jpg" png-rgb.png > "$tmp/o" 2> "$tmp/e"
rc=$?
[ $rc -eq 1 ] || fail "exit status $rc with -k, expected 1"
[ "$(wc -l < "$tmp/o")" -eq 3 ] && grep -q '"error":{"code":"unsupported"' "$tmp/o" \
  && ok "-k goes on; JSON error object" || fail "-k output: $(cat "$tmp/o")"
"$bw" hash -k too-small-4x4.jpg nonexistent.png > /dev/null 2> "$tmp/e"
grep -q "image_too_small" "$tmp/e" && grep -q "nonexistent.png: cannot open" "$tmp/e" \
  && ok "too small and missing files reported" || fail "stderr was: $(cat "$tmp/e")"

# 8. Limits from the command line.
"$bw" hash --max-pixels 1000 jpeg-420.jpg > /dev/null 2> "$tmp/e"
[ $? -eq 1 ] && grep -q too_many_pixels "$tmp/e" && ok "--max-pixels" || fail "--max-pixels: $(cat "$tmp/e")"
"$bw" hash --max-bytes 1k jpeg-420.jpg > /dev/null 2> "$tmp/e"
[ $? -eq 1 ] && grep -q too_large "$tmp/e" && ok "--max-bytes" || fail "--max-bytes: $(cat "$tmp/e")"

# 9. Usage errors exit 2; help exits 0.
"$bw" hash > /dev/null 2>&1; [ $? -eq 2 ] || fail "no files: expected exit 2"
"$bw" hash --algo crc32 x > /dev/null 2>&1; [ $? -eq 2 ] || fail "bad --algo: expected exit 2"
"$bw" hash --format xml x > /dev/null 2>&1; [ $? -eq 2 ] || fail "bad --format: expected exit 2"
"$bw" nosuchcommand > /dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command: expected exit 2"
"$bw" hash --help | grep -q "Usage: bulwark hash" && ok "hash --help" || fail "hash --help"
"$bw" --version | grep -q "^bulwark [0-9]" && ok "--version" || fail "--version"

# Streams: a pipe gives its bytes once, and hash opens an input twice (the
# first bytes tell a video from an image), so a stream is copied first. The
# same line as from the file, under the name given; a named FIFO too; a
# stream over the limit stops there.
line=$(grep ',jpeg-420.jpg$' expected.csv)
cat jpeg-420.jpg | "$bw" hash /dev/stdin > "$tmp/pipe.csv" 2> "$tmp/err" &&
  [ "$(cat "$tmp/pipe.csv")" = "${line%,*},/dev/stdin" ] &&
  ok "a pipe hashes as the file does" || fail "pipe: $(cat "$tmp/pipe.csv" "$tmp/err")"
mkfifo "$tmp/fifo"
cat png-rgb.png > "$tmp/fifo" &
"$bw" hash "$tmp/fifo" > "$tmp/fifo.csv" 2> "$tmp/err"
wait
[ "$(cut -d, -f1 "$tmp/fifo.csv")" = "$(grep ',png-rgb.png$' expected.csv | cut -d, -f1)" ] &&
  ok "a named FIFO hashes as the file does" || fail "FIFO: $(cat "$tmp/fifo.csv" "$tmp/err")"
"$bw" hash /dev/zero > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "over the limit of 268435456 bytes" "$tmp/err" &&
  ok "an endless stream stops at the byte limit" || fail "/dev/zero: exit $rc, $(cat "$tmp/err")"
cat jpeg-420.jpg | "$bw" hash --max-bytes 1000 /dev/stdin > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "over the limit of 1000 bytes" "$tmp/err" &&
  ok "--max-bytes bounds a stream" || fail "--max-bytes on a stream: exit $rc, $(cat "$tmp/err")"

if [ $failures -ne 0 ]; then
  echo "$failures CLI check(s) failed"
  exit 1
fi
echo "all CLI checks passed"

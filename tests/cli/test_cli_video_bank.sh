#!/bin/sh
# Videos through banks with the CLI: `bulwark bank add-file` banks a video's
# vPDQ and digests, `bulwark match` finds its edited copies (both
# percentages, thresholds from the command line) and not unrelated videos,
# the file MD5 matches exactly, and vPDQ signals leave and come back through
# every list format, including the text python-threatexchange writes (its
# timestamps are printed with three significant digits: "1.0", "1.23e+02").
# Videos are made here by ffmpeg from its test sources.
#   test_cli_video_bank.sh BULWARK
set -u
bw=$1
command -v ffmpeg > /dev/null || { echo "SKIP: ffmpeg not found"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
export BULWARK_DB="$tmp/bank.db"
ff="ffmpeg -v error -y -nostdin"
cd "$tmp" || exit 1
$ff -f lavfi -i mandelbrot=size=320x240:rate=25 -t 8 -c:v libx264 -crf 23 orig.mp4
$ff -i orig.mp4 -vf scale=160:120 -c:v libx264 -crf 28 scaled.mp4
$ff -ss 2 -i orig.mp4 -t 3 -c:v libx264 trimmed.mp4
$ff -f lavfi -i testsrc2=size=320x240:rate=25 -t 8 -c:v libx264 other.mp4

# Reads `bulwark match` lines on stdin; prints "FILE TYPE:QUERY%:COMPARED%"
# for every vPDQ match and "FILE md5" for every MD5 match.
summary() {
  python3 -c '
import json, sys
for line in sys.stdin:
    q = json.loads(line)
    f = q["query"].get("file") or q["query"].get("type")
    for m in q["matches"]:
        if m["signal_type"] == "vpdq":
            print(f, "vpdq:%d:%d" % (round(m["query_percent"]), round(m["compared_percent"])))
        elif m["signal_type"] == "md5":
            print(f, "md5")
    if not q["matches"]:
        print(f, "none")
'
}

# A `bulwark hash` vPDQ file as python-threatexchange would write its value
# (str() of each compact feature: seconds to three significant digits).
py_value() {
  python3 - "$1" <<'EOF'
import json, sys
frames = []
for line in open(sys.argv[1]):
    n, quality, h, ts = line.strip().split(",")
    frames.append("%s,%d,%s" % (h, int(quality), format(float(ts), ".3")))
print("vpdq " + json.dumps(frames))
EOF
}

"$bw" bank create known --kind block > /dev/null 2>&1 || fail "bank create"
"$bw" bank add-file known orig.mp4 --metadata '{"case":"V-1"}' > add.json \
  && python3 -c '
import json, sys
o = json.load(open("add.json"))
types = sorted(s["type"] for s in o["signals"])
assert types == ["md5", "sha1", "sha256", "vpdq"], o
assert [s["frames"] for s in o["signals"] if s["type"] == "vpdq"] == [8], o
' && ok "bank add-file: vPDQ (8 frames at 1 s) and digests" || fail "add-file: $(cat add.json)"

"$bw" match orig.mp4 scaled.mp4 trimmed.mp4 other.mp4 | summary > got
cat > want <<'EOF'
orig.mp4 vpdq:100:100
orig.mp4 md5
scaled.mp4 vpdq:100:100
trimmed.mp4 vpdq:100:38
other.mp4 none
EOF
cmp -s got want && ok "match: the original (vPDQ and MD5), edited copies, not the unrelated video" \
  || fail "match: $(diff want got)"

# Thresholds: the trimmed copy covers 3 of the 8 banked frames.
"$bw" match --compared-percent 50 trimmed.mp4 | summary > got
[ "$(cat got)" = "trimmed.mp4 none" ] && ok "--compared-percent 50 drops the trimmed copy" \
  || fail "--compared-percent 50: $(cat got)"
"$bw" match --compared-percent 30 trimmed.mp4 | summary > got
[ "$(cat got)" = "trimmed.mp4 vpdq:100:38" ] && ok "--compared-percent 30 keeps it" \
  || fail "--compared-percent 30: $(cat got)"
"$bw" match --threshold 0 scaled.mp4 | summary > got
[ "$(cat got)" = "scaled.mp4 none" ] && ok "--threshold 0: the scaled copy's frames are not exact" \
  || fail "--threshold 0: $(cat got)"
"$bw" match --query-percent 101 orig.mp4 > /dev/null 2>&1
[ $? -eq 2 ] && ok "--query-percent 101 is a usage error" || fail "--query-percent 101 accepted"

# The MD5 alone matches exactly, as a value.
md5=$(md5sum orig.mp4 | cut -d' ' -f1)
"$bw" match --hash "md5:$md5" | summary > got
[ "$(cat got)" = "md5 md5" ] && ok "match --hash md5:... finds the banked file" \
  || fail "md5 value: $(cat got)"

# A vPDQ value written as python-threatexchange writes it (str() of its
# compact feature: three significant digits) matches, and banks as the same
# signal as the one from the file.
"$bw" hash --seconds-per-hash 1 orig.mp4 > orig.txt
py_value orig.txt > py.txt
"$bw" hash --seconds-per-hash 1 trimmed.mp4 > trimmed.txt
py_value trimmed.txt > trimmed-py.txt
"$bw" match --hashes-from trimmed-py.txt | summary > got
[ "$(cat got)" = "vpdq vpdq:100:38" ] && ok "a vPDQ value of the trimmed copy matches by hash" \
  || fail "trimmed value: $(cat got)"
"$bw" match --compared-percent 50 --hashes-from trimmed-py.txt | summary > got
[ "$(cat got)" = "vpdq none" ] && ok "--compared-percent applies to vPDQ values too" \
  || fail "--compared-percent on a value: $(cat got)"
"$bw" match --hash 'vpdq:["00,1,0"]' > /dev/null 2> err
[ $? -eq 1 ] && grep -q "vpdq" err && ok "a malformed vPDQ value: exit 1 and a reason" \
  || fail "malformed value: $(cat err)"
grep -q '"[0-9a-f]*,[0-9]*,7.0"' py.txt || fail "the Python text was not as expected: $(cut -c1-200 py.txt)"
"$bw" match --hashes-from py.txt | summary > got
[ "$(cat got)" = "vpdq vpdq:100:100" ] && ok "match --hashes-from with a python-threatexchange vPDQ" \
  || fail "python vPDQ value: $(cat got)"
"$bw" bank import known py.txt --format lines > imp 2>&1
grep -q "0 added" imp && grep -q "1 already in the bank" imp \
  && ok "importing it again is a duplicate of the banked video" || fail "import: $(cat imp)"

# Every list format out and back in, into a new bank; the copy matches too.
for f in lines csv jsonl; do
  "$bw" bank export known --format "$f" -o "out.$f" || fail "export $f"
  "$bw" bank create "copy-$f" --kind block > /dev/null 2>&1
  "$bw" bank import "copy-$f" "out.$f" --format "$f" > imp 2>&1
  grep -q "4 added" imp || fail "import $f: $(cat imp)"
  "$bw" bank export "copy-$f" --format "$f" -o "again.$f"
  # The banks differ only in name and dates; the signal lines are the same.
  if [ "$f" = csv ]; then
    cut -d, -f1-2 "out.$f" > a; cut -d, -f1-2 "again.$f" > b
  elif [ "$f" = jsonl ]; then
    python3 -c 'import json,sys; [print(json.loads(l)["type"], json.loads(l)["value"]) for l in open(sys.argv[1])]' "out.$f" > a
    python3 -c 'import json,sys; [print(json.loads(l)["type"], json.loads(l)["value"]) for l in open(sys.argv[1])]' "again.$f" > b
  else
    cp "out.$f" a; cp "again.$f" b
  fi
  cmp -s a b && grep -q '^vpdq' a && ok "vPDQ round trip through $f" || fail "$f round trip differs"
done
# What python-threatexchange reads back: a JSON list of "HASH,QUALITY,SECONDS".
python3 - out.lines <<'EOF' && ok "exported vPDQ parses as python-threatexchange parses it" \
  || fail "exported vPDQ does not parse"
import json, sys
for line in open(sys.argv[1]):
    kind, value = line.rstrip("\n").split(" ", 1)
    if kind != "vpdq":
        continue
    for f in json.loads(value):
        h, q, ts = f.split(",")
        assert len(h) == 64 and int(h, 16) >= 0 and 0 <= int(q) <= 100 and float(ts) >= 0, f
EOF
"$bw" match orig.mp4 | python3 -c '
import json, sys
q = json.loads(sys.stdin.read())
banks = sorted(m["bank"] for m in q["matches"] if m["signal_type"] == "vpdq")
assert banks == ["copy-csv", "copy-jsonl", "copy-lines", "known"], banks
' && ok "the imported copies match as the original bank does" || fail "imported copies do not match"

# A damaged vPDQ line is rejected with its line number; the rest imports.
{ echo 'vpdq ["'"$(printf '%064d' 0)"',100,0.0"'; head -1 out.lines; } > bad.txt
"$bw" bank create bad --kind block > /dev/null 2>&1
"$bw" bank import bad bad.txt --format lines > imp 2>&1
grep -q "bad.txt:1: invalid vpdq value" imp && grep -q "1 added" imp && ok "a broken vPDQ line: its number, the rest imported" \
  || fail "broken line: $(cat imp)"

if [ $failures -ne 0 ]; then
  echo "$failures video bank CLI check(s) failed"
  exit 1
fi
echo "all video bank CLI checks passed"

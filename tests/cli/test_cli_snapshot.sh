#!/bin/sh
# `bulwark snapshot` as a platform runs it: keys, snapshots of a bank,
# deltas, and verification of good, tampered and truncated files.
#   test_cli_snapshot.sh BULWARK DATADIR
set -u
bw=$1
golden=$2/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
db=$tmp/banks.db
S() { "$bw" snapshot "$@"; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

pub=$(S keygen -o "$tmp/sign.key") && [ ${#pub} -eq 64 ] && [ "$(S pubkey "$tmp/sign.key")" = "$pub" ] \
  && [ "$(stat -c %a "$tmp/sign.key")" = 600 ] && ok "keygen" || fail "keygen: $pub"
S keygen -o "$tmp/sign.key" 2>/dev/null && fail "keygen overwrote a key" || ok "keygen keeps existing keys"
psm_id=$(S psm-keygen -o "$tmp/psm.key") && [ ${#psm_id} -eq 16 ] && ok "psm-keygen" || fail "psm-keygen"

"$bw" bank --db "$db" create ncmec 2>/dev/null
"$bw" bank --db "$db" create --kind allow ok-list 2>/dev/null
for f in jpeg-420.jpg png-rgb.png gif-static.gif bmp-24.bmp; do
  echo "pdq $("$bw" hash "$golden/$f" | cut -d, -f1)"
  echo "md5 $(md5sum "$golden/$f" | cut -d' ' -f1)"
  echo "sha256 $(sha256sum "$golden/$f" | cut -d' ' -f1)"
done > "$tmp/list.txt"
"$bw" bank --db "$db" import ncmec "$tmp/list.txt" 2>/dev/null
npdq=$(grep '^pdq' "$tmp/list.txt" | sort -u | wc -l)
# A disabled signal stays out of snapshots.
id=$("$bw" bank --db "$db" add ncmec md5 0123456789abcdef0123456789abcdef)
"$bw" bank --db "$db" disable "$id" 2>/dev/null

S build --db "$db" --bank ncmec --key "$tmp/sign.key" -o "$tmp/v1.bwsnap" 2>"$tmp/e" \
  && grep -q "$npdq pdq, 4 md5, 4 sha256" "$tmp/e" && ok "build" || fail "build: $(cat "$tmp/e")"
out=$(S verify --pubkey "$pub" "$tmp/v1.bwsnap")
[ "$(echo "$out" | json pdq)" = "$npdq" ] && [ "$(echo "$out" | json md5)" = 4 ] \
  && [ "$(echo "$out" | json sha256)" = 4 ] && ok "verify counts" || fail "verify: $out"
v1=$(echo "$out" | json version)

S build --db "$db" --bank ok-list --key "$tmp/sign.key" -o "$tmp/x" 2>"$tmp/e"
[ $? -eq 1 ] && grep -q "allow list" "$tmp/e" && ok "allow banks refused" || fail "allow bank: $(cat "$tmp/e")"
S build --db "$db" --bank ncmec --key "$tmp/sign.key" --types pdq,psm -o "$tmp/x" 2>/dev/null
[ $? -eq 2 ] && ok "psm needs --psm-key" || fail "psm without key"
S build --db "$db" --bank nosuch --key "$tmp/sign.key" -o "$tmp/x" 2>/dev/null
[ $? -eq 1 ] && [ ! -e "$tmp/x" ] && ok "unknown bank" || fail "unknown bank"

# A newer version with a removal and PSM tokens in place of raw SHA-256s.
"$bw" bank --db "$db" add ncmec pdq "$(printf 'ab%.0s' $(seq 32))" >/dev/null
S build --db "$db" --bank ncmec --key "$tmp/sign.key" --types pdq,md5,psm \
  --psm-key "$tmp/psm.key" -o "$tmp/v2.bwsnap" 2>/dev/null || fail "build v2"
out2=$(S verify --pubkey "$pub" "$tmp/v2.bwsnap")
[ "$(echo "$out2" | json pdq)" = $((npdq + 1)) ] && [ "$(echo "$out2" | json psm)" = 4 ] \
  && [ "$(echo "$out2" | json sha256)" = 0 ] && [ "$(echo "$out2" | json psm_key_id)" = "$psm_id" ] \
  && [ "$(echo "$out2" | json version)" -gt "$v1" ] && ok "psm tokens, version follows the store" \
  || fail "v2: $out2"
S diff "$tmp/v1.bwsnap" "$tmp/v2.bwsnap" --key "$tmp/sign.key" -o "$tmp/d12.bwsnap" || fail "diff"
chain=$(S verify --pubkey "$pub" "$tmp/v1.bwsnap" "$tmp/d12.bwsnap")
[ "$(echo "$chain" | json digest)" = "$(echo "$out2" | json digest)" ] && ok "delta reaches v2" \
  || fail "chain: $chain"
S diff "$tmp/v2.bwsnap" "$tmp/v1.bwsnap" --key "$tmp/sign.key" -o "$tmp/back" 2>/dev/null \
  && fail "diff to an older version" || ok "diff refuses going back"

# Self-reported hashes ship only as PSM tokens unless asked for.
"$bw" bank --db "$db" create self-report 2>/dev/null
"$bw" bank --db "$db" add self-report pdq "$(printf 'cd%.0s' $(seq 32))" --source self-report >/dev/null
"$bw" bank --db "$db" add self-report sha256 "$(printf 'ef%.0s' $(seq 32))" --source self-report >/dev/null
S build --db "$db" --bank self-report --key "$tmp/sign.key" --types pdq,sha256,psm \
  --psm-key "$tmp/psm.key" -o "$tmp/sr.bwsnap" 2>"$tmp/e"
sr=$(S verify --pubkey "$pub" "$tmp/sr.bwsnap")
[ "$(echo "$sr" | json pdq)" = 0 ] && [ "$(echo "$sr" | json sha256)" = 0 ] && \
  [ "$(echo "$sr" | json psm)" = 1 ] && grep -q "2 self-reported values left out" "$tmp/e" \
  && ok "self-reports ship as PSM tokens only" || fail "self-reports: $sr $(cat "$tmp/e")"
S build --db "$db" --bank self-report --key "$tmp/sign.key" --types pdq,sha256 \
  --include-self-reports -o "$tmp/sr2.bwsnap" 2>/dev/null
sr=$(S verify --pubkey "$pub" "$tmp/sr2.bwsnap")
[ "$(echo "$sr" | json pdq)" = 1 ] && [ "$(echo "$sr" | json sha256)" = 1 ] \
  && ok "--include-self-reports" || fail "--include-self-reports: $sr"

# Refusals: a delta alone, another key, a flipped byte, a truncation.
S verify --pubkey "$pub" "$tmp/d12.bwsnap" 2>/dev/null && fail "lone delta" || ok "lone delta refused"
other=$(S keygen -o "$tmp/other.key")
S verify --pubkey "$other" "$tmp/v1.bwsnap" 2>"$tmp/e"; [ $? -eq 1 ] && grep -q signature "$tmp/e" \
  && ok "other key refused" || fail "other key: $(cat "$tmp/e")"
python3 -c "
import sys; d = bytearray(open(sys.argv[1], 'rb').read()); d[200] ^= 1
open(sys.argv[2], 'wb').write(d)" "$tmp/v1.bwsnap" "$tmp/bad.bwsnap"
S verify --pubkey "$pub" "$tmp/bad.bwsnap" 2>/dev/null && fail "tampered accepted" || ok "tampered refused"
size=$(stat -c %s "$tmp/v1.bwsnap")
accepted=0
for n in 0 7 100 128 $((size / 2)) $((size - 65)) $((size - 1)); do
  head -c "$n" "$tmp/v1.bwsnap" > "$tmp/cut.bwsnap"
  S verify --pubkey "$pub" "$tmp/cut.bwsnap" 2>/dev/null && accepted=$((accepted + 1))
done
[ $accepted -eq 0 ] && ok "truncations refused" || fail "$accepted truncations accepted"

[ $failures -eq 0 ] && echo "all snapshot CLI tests passed"
exit $((failures != 0))

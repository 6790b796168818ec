#!/bin/sh
# bulwarkd's configuration: the documented example (docs/deploy/bulwarkd.conf)
# is exactly the defaults and loads back unchanged; the command line wins
# over the file; bad files and options are refused with the line and reason.
#   test_config.sh BULWARKD EXAMPLE_CONF
set -u
bwd=$1
example=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

"$bwd" --print-config > "$tmp/defaults.conf"
cmp -s "$tmp/defaults.conf" "$example" && ok "example is the defaults" ||
  { bad "example differs from the defaults (regenerate: bulwarkd --print-config > $example)"; diff "$example" "$tmp/defaults.conf"; }
"$bwd" --config "$example" --print-config | cmp -s - "$example" && ok "example loads back unchanged" ||
  bad "example does not load back"
printf 'queue = 7\nmax_media_bytes = 2M\nwebhook_url = http://h/#frag\n' > "$tmp/a.conf"
out=$("$bwd" --config "$tmp/a.conf" --queue 9 --print-config 2>&1)
echo "$out" | grep -q "^queue = 9$" && ok "command line wins" || bad "command line wins"
echo "$out" | grep -q "^webhook_url = http://h/#frag$" && ok "# inside a value is kept" || bad "# inside a value"
printf 'queue = 7\n' > "$tmp/b.conf"
"$bwd" --config "$tmp/b.conf" --print-config | grep -q '^queue = 7$' && ok "file sets a value" ||
  bad "file sets a value"
check_refused() { # NAME EXPECTED_TEXT ARGS...
  name=$1; want=$2; shift 2
  msg=$("$bwd" "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -eq 2 ] && echo "$msg" | grep -q -- "$want"; then ok "$name"; else
    bad "$name (exit $rc: $msg)"; fi
}
printf '# fine\n\nnonsense line\n' > "$tmp/c.conf"
check_refused "line without =" "c.conf:3: expected KEY = VALUE" --config "$tmp/c.conf"
printf 'no_such_option = 1\n' > "$tmp/d.conf"
check_refused "unknown key in a file" "d.conf:1: unknown option 'no_such_option'" --config "$tmp/d.conf"
printf 'threshold = 999\n' > "$tmp/e.conf"
check_refused "value out of range" "e.conf:1: threshold: invalid value" --config "$tmp/e.conf"
check_refused "unknown option" "unknown option 'frobnicate'" --frobnicate 1
check_refused "missing value" "needs a value" --queue
check_refused "missing file" "nope.conf" --config "$tmp/nope.conf"
check_refused "bad size" "invalid value '12Q'" --max-media-bytes 12Q
check_refused "unknown match mode" "match_mode: 'sideways' is not one of plain|dihedral|standard|robust" \
  --match-mode sideways
printf 'log_level = verbose\n' > "$tmp/f.conf"
check_refused "unknown log level" "f.conf:1: log_level: 'verbose' is not one of debug|info|warn|error" \
  --config "$tmp/f.conf"
# Values that only make sense together with the machine stop start-up, with
# the reason, before anything is opened (the database is never created).
check_refused "port out of range" "listen: '127.0.0.1:99999' is not HOST:PORT" \
  --db "$tmp/x.db" --listen 127.0.0.1:99999
check_refused "no port" "listen: 'localhost' is not HOST:PORT" --db "$tmp/x.db" --listen localhost
check_refused "missing spool directory" "spool_dir: $tmp/none is not a directory" \
  --db "$tmp/x.db" --spool-dir "$tmp/none"
check_refused "spool directory that is a file" "(not a directory)" \
  --db "$tmp/x.db" --spool-dir "$tmp/b.conf"
check_refused "webhook not over HTTP" "webhook_url: 'ftp://h/' is not an http:// or https:// URL" \
  --db "$tmp/x.db" --webhook-url ftp://h/
check_refused "webhook timeout beyond a delivery's claim" "webhook_timeout: at most 55 seconds" \
  --db "$tmp/x.db" --webhook-timeout 56
check_refused "absurd thread count" "http_threads: at most 1024 threads" \
  --db "$tmp/x.db" --http-threads 100000
[ ! -e "$tmp/x.db" ] && ok "nothing created when refused" || bad "a refused start created the database"
"$bwd" --match-mode robust --print-config | grep -q '^match_mode = robust$' &&
  ok "match mode set" || bad "match mode set"
exit $fail

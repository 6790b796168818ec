#!/bin/sh
# The main job of `make demo`: start bulwarkd on its embedded SQLite store
# with a demo bank made from benign sample images, show a few requests, and
# keep serving (Ctrl-C stops it) so you can try the API yourself.
#   scripts/demo.sh [BUILD]     env: DEMO_LISTEN (127.0.0.1:8080; port 0: any free port)
set -eu
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.."
bw="$build/programs/bulwark/bulwark"
bwd="$build/programs/bulwarkd/bulwarkd"
samples="$(pwd)/tests/data/golden"
demo="$build/demo"
listen=${DEMO_LISTEN:-127.0.0.1:8080}

rm -rf "$demo"
mkdir -p "$demo"
chmod 700 "$demo"
db="$demo/demo.db"
echo "== bulwark $("$bw" --version | cut -d' ' -f2): a demo bank from benign sample images"
# "Known" images stand in for a hash list from an NGO; the rest are
# ordinary uploads. All are synthetic test pictures.
"$bw" bank create --db "$db" demo-known >/dev/null
"$bw" bank create --db "$db" --kind allow demo-allow >/dev/null
for f in jpeg-420.jpg png-rgb.png webp-lossy.webp; do
  "$bw" hash --algo pdq,md5 --format json "$samples/$f" | python3 -c '
import json, sys
j = json.loads(sys.stdin.read())
print("pdq", j["pdq"]["hash"]); print("md5", j["md5"])'
done > "$demo/known.txt"
"$bw" bank import --db "$db" demo-known "$demo/known.txt" --format lines 2>&1 | sed 's/^/   /'
# A bank of a platform's own images: banking the file itself also stores
# its crop regions, which crops and copies with a logo meet.
"$bw" bank create --db "$db" demo-own >/dev/null
"$bw" bank add-content --db "$db" demo-own "$samples/png-rgb.png" 2>&1 | sed 's/^/   /'
admin=$("$bw" key create --db "$db" --role admin --name demo-admin 2>/dev/null)
reviewer=$("$bw" key create --db "$db" --role reviewer --name demo-reviewer 2>/dev/null)
client=$("$bw" key create --db "$db" --role client --name demo-app 2>/dev/null)
printf 'ADMIN=%s\nREVIEWER=%s\nCLIENT=%s\n' "$admin" "$reviewer" "$client" > "$demo/keys.env"
chmod 600 "$demo/keys.env"

host=${listen%:*}
# bulwarkd names the port it bound in its "listening" line, once it serves
# (port 0 lets the system pick one); a port already taken makes it exit,
# and the demo then serves on one the system picks.
serve() {
  "$bwd" --db "$db" --listen "$1" 2> "$demo/bulwarkd.log" &
  pid=$!
  for _ in $(seq 300); do
    bound=$(grep '"msg":"listening"' "$demo/bulwarkd.log" | sed -n 's/.*"port":\([0-9]*\).*/\1/p')
    [ -n "$bound" ] && return 0
    kill -0 $pid 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
if ! serve "$listen"; then
  kill $pid 2>/dev/null || true
  why=$(sed -n 's/.*"error":"\([^"]*\)".*/\1/p' "$demo/bulwarkd.log" | head -n 1)
  echo "   (${why:-$listen cannot be used}; serving on a port the system picks)"
  serve "$host:0" || { cat "$demo/bulwarkd.log" >&2; exit 1; }
fi
listen="$host:$bound"
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit 0' INT TERM
url="http://$listen"
echo
echo "== bulwarkd is serving on $url (log: $demo/bulwarkd.log)"
show() { echo "\$ $1"; sh -c "$1" | head -c 600; echo; echo; }
export CLIENT="$client" REVIEWER="$reviewer" ADMIN="$admin"
echo "-- a banked image (match, recorded for review):"
show "curl -s -H \"Authorization: Bearer \$CLIENT\" -H 'Content-Type: image/jpeg' --data-binary @$samples/jpeg-420.jpg $url/v1/match"
echo "-- an edited copy of it (half size, re-encoded): a PDQ match at a small distance:"
ffmpeg -loglevel error -y -i "$samples/jpeg-420.jpg" -vf scale=iw/2:-2 -q:v 20 "$demo/edited.jpg"
show "curl -s -H \"Authorization: Bearer \$CLIENT\" -F file=@$demo/edited.jpg $url/v1/match"
echo "-- a mirrored copy: matched too (standard mode, the default), \"transform\" says how:"
ffmpeg -loglevel error -y -i "$samples/jpeg-420.jpg" -vf hflip -q:v 3 "$demo/mirrored.jpg"
show "curl -s -H \"Authorization: Bearer \$CLIENT\" -F file=@$demo/mirrored.jpg $url/v1/match"
echo "-- a letterboxed copy (black bars above and below): matched by its content, \"query_part\":"
ffmpeg -loglevel error -y -i "$samples/jpeg-420.jpg" -vf 'pad=iw:ih*3/2:0:(oh-ih)/2:color=black' \
  -q:v 3 "$demo/letterboxed.jpg"
show "curl -s -H \"Authorization: Bearer \$CLIENT\" -F file=@$demo/letterboxed.jpg $url/v1/match"
echo "-- a copy turned by 5 degrees on a white canvas: turned back and matched, \"query_part\":"
ffmpeg -loglevel error -y -i "$samples/jpeg-420.jpg" \
  -vf 'rotate=5*PI/180:ow=rotw(5*PI/180):oh=roth(5*PI/180):c=white' -q:v 3 "$demo/tilted.jpg"
show "curl -s -H \"Authorization: Bearer \$CLIENT\" -F file=@$demo/tilted.jpg $url/v1/match"
echo "-- a copy of an image banked as a file (bank demo-own) with a logo in its corner:"
echo "   matched by the image less 30 % at that side, the bank's \"region\" of that name:"
ffmpeg -loglevel error -y -i "$samples/png-rgb.png" \
  -vf 'drawbox=x=iw*0.8:y=ih*0.78:w=iw*0.16:h=ih*0.16:color=orange@1:t=fill' -q:v 3 "$demo/logo.jpg"
show "curl -s -H \"Authorization: Bearer \$CLIENT\" -F file=@$demo/logo.jpg $url/v1/match"
echo "-- an ordinary image (no match, no trace kept):"
ffmpeg -loglevel error -y -f lavfi -i mandelbrot=size=640x480 -frames:v 1 "$demo/ordinary.jpg"
show "curl -s -H \"Authorization: Bearer \$CLIENT\" -F file=@$demo/ordinary.jpg $url/v1/match"
echo "-- the review queue, as a reviewer:"
show "curl -s -H \"Authorization: Bearer \$REVIEWER\" '$url/v1/matches/queue?limit=1'"
cat <<EOF
Keys for this demo are in $demo/keys.env:  . $demo/keys.env
Try, for example:
  curl -s -H "Authorization: Bearer \$CLIENT" -F file=@YOUR.jpg $url/v1/match
  curl -s -H "Authorization: Bearer \$CLIENT" -H 'Content-Type: application/json' \\
       -d '{"signals":[{"type":"pdq","value":"<64 hex digits>"}]}' $url/v1/match/hashes
  curl -s -H "Authorization: Bearer \$ADMIN" $url/v1/banks
  curl -s -H "Authorization: Bearer \$ADMIN" $url/metrics
The review page is $url/review (sign in with the REVIEWER key from keys.env; the
demo keeps no media, so the queue shows hashes and matches only: docs/review.md).
The API is described in docs/service.md and docs/openapi.yaml. Ctrl-C stops the service.
EOF
wait $pid

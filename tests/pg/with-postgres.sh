#!/bin/sh
# Starts a throwaway PostgreSQL server in a temporary directory (Debian's
# postgresql package; as the postgres user when run as root, since the
# server refuses root), runs COMMAND with BW_TEST_PG_URI pointing at it,
# then stops the server and removes the directory.
#   with-postgres.sh COMMAND [ARGS...]
set -eu
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "SKIP: PostgreSQL server binaries not found (install Debian's postgresql package)"
  exit 77
fi
dir=$(mktemp -d /tmp/bw-pg.XXXXXX)
chmod 755 "$dir"
as=""
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$dir"
  as="runuser -u postgres --"
fi
port=$((20000 + $$ % 20000))
cleanup() {
  $as "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
$as "$bindir/initdb" -D "$dir/data" -A trust -U bulwark -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log"; exit 1; }
$as "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-k $dir -p $port -c listen_addresses='' -c fsync=off -c max_connections=50" start >/dev/null ||
  { cat "$dir/server.log"; exit 1; }
$as "$bindir/createdb" -h "$dir" -p "$port" -U bulwark bulwark_test
export BW_TEST_PG_URI="postgresql://bulwark@/bulwark_test?host=$dir&port=$port"
export BW_TEST_PG_DIR="$dir" BW_TEST_PG_PORT="$port" BW_TEST_PG_BIN="$bindir"
"$@"

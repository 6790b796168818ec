#!/bin/sh
# The shared library must export exactly the committed list of symbols: an
# addition is an API decision, a removal breaks the ABI.
#   exported-symbols.sh LIB LIST        (set UPDATE=1 to rewrite LIST)
set -eu
lib=$1 list=$2
actual=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort)
if [ "${UPDATE:-0}" = 1 ]; then
  printf '%s\n' "$actual" > "$list"
  exit 0
fi
if ! printf '%s\n' "$actual" | diff -u "$list" -; then
  echo "exported symbols differ from $list (lines with + are new, - are gone)" >&2
  exit 1
fi
echo "ok: $(printf '%s\n' "$actual" | wc -l) exported symbols match $list"

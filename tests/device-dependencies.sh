#!/bin/sh
# libbulwark_device may need libc (with libm, which is part of the C
# library on every platform; the nudity classifier uses exp, sqrt, floor)
# and libsodium and nothing else (apps embed it next to their own copies of
# everything): its NEEDED entries.
# The sanitizers' runtimes (make check-asan, check-tsan) do not count.
#   device-dependencies.sh LIB
set -eu
needed=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort)
extra=$(printf '%s\n' "$needed" | grep -v -e '^libc\.so' -e '^libm\.so' -e '^libsodium\.so' -e '^libasan\.so' -e '^libubsan\.so' -e '^libtsan\.so' || true)
if [ -n "$extra" ]; then
  echo "libbulwark_device needs more than libc, libm and libsodium:" >&2
  printf '  %s\n' $extra >&2
  exit 1
fi
echo "ok: $(basename "$1") needs only: $(echo $needed)"

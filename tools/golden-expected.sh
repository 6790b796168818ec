#!/bin/sh
# Writes expected.csv and expected-dihedral.csv for the conformance images
# in DIR with Meta's reference pdq-photo-hasher (built outside this
# repository; its path in PDQ_REFERENCE).
#
# Where the reference is known to be wrong (docs/decoding.md), the expected
# hash is the reference's hash of the same pixels rounded to 8 bits as
# ImageMagick does (convert -depth 8 to PNG): 16-bit samples, which the
# reference truncates to their low byte, and 16-bit 5-5-5 BMP, whose 5-bit
# values it does not scale.
set -eu
dir=${1:?usage: PDQ_REFERENCE=... golden-expected.sh DIR}
ref=${PDQ_REFERENCE:?set PDQ_REFERENCE to the reference pdq-photo-hasher}
cd "$dir"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
: > expected.csv
: > expected-dihedral.csv
for f in $(ls | grep -v -e '^expected' -e '^too-small' -e '^README'); do
  case $f in
  *16bit*|*rgb16*|*grey16*|bmp-555.bmp)
    convert "$f" -depth 8 "png:$t/$f.png"
    src="$t/$f.png" ;;
  *) src=$f ;;
  esac
  "$ref" "$src" | sed "s|,$src\$|,$f|" >> expected.csv
  "$ref" --pdqdih-across "$src" | sed "s|,$src\$|,$f|" >> expected-dihedral.csv
done

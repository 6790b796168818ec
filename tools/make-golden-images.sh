#!/bin/sh
# Regenerates the conformance images in tests/data/golden/ from synthetic
# scenes (ImageMagick plasma noise and shapes: nothing photographed), in every
# format and layout Bulwark decodes. Their expected hashes come from Meta's
# reference pdq-photo-hasher, built outside the repository:
#
#   tools/make-golden-images.sh OUTDIR
#   PDQ_REFERENCE=/path/to/pdq-photo-hasher tools/golden-expected.sh OUTDIR
#
# The committed files are the source of truth; this script documents how
# they were made (ImageMagick 6.9.11, libheif 1.15, Debian 12).
set -eu
out=${1:?usage: make-golden-images.sh OUTDIR}
mkdir -p "$out"
cd "$out"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# Scenes, 8 bits per sample: sizes chosen to exercise every path of the
# reference's resampling. Lossless formats use the smoother, smaller ones.
scene() { # size seed blur extra-draw... out
  size=$1 seed=$2 blur=$3 out=$4
  shift 4
  convert -size "$size" -seed "$seed" plasma:fractal -blur "0x$blur" "$@" -depth 8 "$out"
}
scene 800x600 7 1.5 "$t/a.ppm" -fill '#2040a0' -draw "circle 500,300 560,380" \
  -fill '#e0c020' -draw "rectangle 80,80 260,200"
scene 600x400 13 6 "$t/a-smooth.ppm" -fill '#2040a0' -draw "circle 380,200 440,260"
scene 300x220 11 3 "$t/b.ppm" -fill white -draw "polygon 40,200 150,30 260,200"
convert "$t/b.ppm" -resize '64x64!' -depth 8 "$t/c64.ppm"
scene 512x512 3 2 "$t/d512.ppm"
scene 200x700 5 4 "$t/tall.ppm"
scene 900x180 9 4 "$t/wide.ppm"
convert "$t/b.ppm" -resize '37x23!' -depth 8 "$t/small.ppm"
convert "$t/b.ppm" -resize '5x5!' -depth 8 "$t/min5.ppm"
convert "$t/b.ppm" -colorspace Gray -depth 8 "$t/grey.pgm"

# JPEG
convert "$t/a.ppm" -quality 90 -sampling-factor 2x2 jpeg-420.jpg
convert "$t/a.ppm" -quality 80 -sampling-factor 1x1 jpeg-444.jpg
convert "$t/a.ppm" -quality 85 -sampling-factor 2x1 jpeg-422.jpg
convert "$t/a.ppm" -quality 85 -sampling-factor 1x2 jpeg-440.jpg
convert "$t/b.ppm" -quality 70 -interlace JPEG jpeg-progressive.jpg
convert "$t/a.ppm" -quality 60 -define jpeg:restart-interval=3 jpeg-restart.jpg
convert "$t/grey.pgm" -quality 85 jpeg-grey.jpg
convert "$t/b.ppm" -colorspace CMYK -quality 90 jpeg-cmyk.jpg
convert "$t/grey.pgm" -type TrueColor -quality 95 -sampling-factor 1x1 jpeg-rgb-of-grey.jpg
convert "$t/tall.ppm" -quality 75 jpeg-tall.jpg
convert "$t/wide.ppm" -quality 75 jpeg-wide.jpg
convert "$t/c64.ppm" -quality 95 jpeg-64x64.jpg
convert "$t/d512.ppm" -quality 80 jpeg-512x512.jpg
convert "$t/small.ppm" -quality 90 jpeg-37x23.jpg
convert "$t/min5.ppm" -quality 90 jpeg-5x5.jpg

# PNG
convert "$t/b.ppm" png24:png-rgb.png
convert "$t/b.ppm" \( +clone -fx 'i/w' \) -alpha off -compose CopyOpacity -composite png32:png-rgba.png
convert "$t/grey.pgm" -depth 8 png-grey.png
convert "$t/grey.pgm" \( +clone -fx 'j/h' \) -compose CopyOpacity -composite png-grey-alpha.png
convert "$t/b.ppm" -colors 200 png8:png-palette.png
convert "$t/b.ppm" -colors 100 -transparent-color black -fill black -opaque '#000000' \
  \( +clone -fx 'i>200?0:1' \) -compose CopyOpacity -composite png8:png-palette-trns.png
convert "$t/grey.pgm" -threshold 50% -depth 1 png-1bit.png
convert "$t/grey.pgm" -depth 4 png-4bit-grey.png
convert "$t/b.ppm" -evaluate multiply 1.0001 -depth 16 png48:png-rgb16.png
convert "$t/grey.pgm" -evaluate multiply 1.0001 -depth 16 png-grey16.png
convert "$t/a-smooth.ppm" -interlace PNG png24:png-interlaced.png
convert "$t/wide.ppm" png24:png-wide.png

# WebP
convert "$t/a.ppm" -quality 80 webp-lossy.webp
convert "$t/b.ppm" -define webp:lossless=true webp-lossless.webp
convert png-rgba.png -quality 75 webp-alpha.webp

# GIF
convert "$t/b.ppm" -colors 128 gif-static.gif
convert "$t/a-smooth.ppm" -colors 64 -interlace GIF gif-interlaced.gif
convert "$t/b.ppm" \( "$t/b.ppm" -negate \) -colors 64 -delay 20 gif-animated.gif

# BMP
convert "$t/b.ppm" bmp3:bmp-24.bmp
convert "$t/a-smooth.ppm" -colors 200 -type Palette bmp3:bmp-8bit.bmp
convert "$t/b.ppm" -colors 16 -type Palette bmp3:bmp-4bit.bmp
convert "$t/grey.pgm" -threshold 50% -type Bilevel bmp3:bmp-1bit.bmp
convert "$t/b.ppm" -define bmp:subtype=RGB565 bmp-565.bmp
convert png-rgba.png bmp-32-alpha.bmp
convert "$t/a-smooth.ppm" +dither -colors 64 -type Palette -compress RLE bmp3:bmp-rle8.bmp
convert "$t/grey.pgm" -type TrueColor bmp3:bmp-24-grey.bmp

# Netpbm
cp "$t/b.ppm" pnm-p6.ppm
cp "$t/grey.pgm" pnm-p5.pgm
convert "$t/grey.pgm" -threshold 50% pnm-p4.pbm
convert "$t/small.ppm" -compress none pnm-p3.ppm
convert "$t/small.ppm" -colorspace Gray -compress none pnm-p2.pgm
convert "$t/small.ppm" -colorspace Gray -threshold 50% -compress none pnm-p1.pbm
convert "$t/grey.pgm" -type TrueColor pnm-p6-grey.ppm

# TIFF
convert "$t/b.ppm" -compress None tiff-rgb.tif
convert "$t/a-smooth.ppm" -compress LZW tiff-lzw.tif
convert "$t/b.ppm" -compress Zip tiff-deflate.tif
convert "$t/a.ppm" -compress JPEG -quality 85 tiff-jpeg.tif
convert "$t/grey.pgm" -compress LZW tiff-grey.tif
convert "$t/b.ppm" -colors 64 -type Palette tiff-palette.tif
convert "$t/b.ppm" -evaluate multiply 1.0001 -depth 16 -compress Zip tiff-rgb16.tif
convert "$t/small.ppm" -evaluate multiply 1.0001 -depth 16 pnm-p6-16bit.ppm
convert "$t/b.ppm" -colorspace CMYK -compress LZW tiff-cmyk.tif
convert "$t/a-smooth.ppm" -define tiff:tile-geometry=128x128 -compress Zip tiff-tiled.tif
convert png-rgba.png -compress LZW tiff-rgba.tif

# HEIF and AVIF (libheif's x265 and aom encoders)
convert "$t/a.ppm" -quality 70 heif-photo.heic
convert "$t/b.ppm" -quality 70 avif-photo.avif

# Too small to hash: decoders must say so rather than print zeros.
convert "$t/b.ppm" -resize '4x4!' -quality 95 too-small-4x4.jpg

# More layouts.
convert "$t/b.ppm" -colors 4 -depth 2 png8:png-2bit-palette.png
convert "$t/a.ppm" -quality 85 -orient RightTop jpeg-exif-orientation.jpg
convert png-rgba.png -quality 70 heif-alpha.heic
convert png-rgba.png -define webp:lossless=true webp-lossless-alpha.webp
convert "$t/b.ppm" -colors 32 -transparent '#000000' gif-transparent.gif
convert "$t/small.ppm" -colorspace Gray -depth 4 -compress none pnm-p2-maxval15.pgm

# Hand-made BMP layouts ImageMagick does not write: rows stored top-down,
# and 16-bit 5-5-5 without bit-field masks.
python3 - "$t/b.ppm" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
parts = d.split(b'\n', 3)
w, h = map(int, parts[1].split())
px = parts[3]
def bmp(path, bpp, rows_top_down, pack):
    stride = (w * bpp // 8 + 3) & ~3
    rows = []
    for y in range(h):
        row = b''.join(pack(px[3*(y*w+x):3*(y*w+x)+3]) for x in range(w))
        rows.append(row + b'\0' * (stride - len(row)))
    if not rows_top_down:
        rows.reverse()
    data = b''.join(rows)
    hdr = struct.pack('<IiiHHIIiiII', 40, w, -h if rows_top_down else h, 1, bpp, 0,
                      len(data), 2835, 2835, 0, 0)
    open(path, 'wb').write(b'BM' + struct.pack('<IHHI', 14 + 40 + len(data), 0, 0, 54) + hdr + data)
bmp('bmp-topdown.bmp', 24, True, lambda p: bytes((p[2], p[1], p[0])))
bmp('bmp-555.bmp', 16, False,
    lambda p: struct.pack('<H', ((p[0] >> 3) << 10) | ((p[1] >> 3) << 5) | (p[2] >> 3)))
PY

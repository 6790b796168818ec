/*
 * Decoders push rows of 8-bit pixels into a sink. Two sinks exist: one keeps
 * the whole image (bw_image_decode), the other keeps only the rows and
 * columns PDQ will sample (the hashing fast path), so a 50-megapixel photo
 * is never held in memory at full size.
 */
#ifndef BULWARK_LIB_DECODE_INTERNAL_H
#define BULWARK_LIB_DECODE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "bulwark/bw_image.h"
#include "common/bw_internal.h"

/*
 * Whether an RGB image whose pixels are all grey becomes one channel. The
 * reference decodes most formats through ImageMagick, which writes such an
 * image as PGM, so PDQ then reads the grey value instead of computing luma;
 * for BMP and binary PPM the reference's own loader always keeps RGB.
 */
typedef enum bwi_grey_policy {
    BWI_GREY_BY_CONTENT = 0,
    BWI_GREY_NEVER = 1
} bwi_grey_policy;

typedef struct bwi_frame {
    uint32_t width;        /* as delivered (after any DCT scaling) */
    uint32_t height;
    uint32_t full_width;   /* of the stored image, before DCT scaling */
    uint32_t full_height;
    int channels;          /* 1 or 3 */
    bwi_grey_policy grey;
    bw_format format;
} bwi_frame;

typedef struct bwi_sink bwi_sink;
struct bwi_sink {
    /* Called once before any row; may fail (allocation). */
    bw_status (*begin)(bwi_sink *sink, bw_ctx *ctx, const bwi_frame *frame);
    /* False when row y can be skipped: decoders may then avoid producing it. */
    bool (*wants)(bwi_sink *sink, uint32_t y);
    /* One row of width * channels bytes; rows may come in any order. */
    void (*row)(bwi_sink *sink, uint32_t y, const uint8_t *pixels);
};

/* Decoder options. */
#define BWI_DECODE_FAST 1u /* JPEG: DCT-domain downscaling, fast IDCT */

bw_format bwi_sniff(const uint8_t *data, size_t size);

/* Sniffs the format and runs its decoder. */
bw_status bwi_decode(bw_ctx *ctx, const uint8_t *data, size_t size,
                     bwi_sink *sink, unsigned options);

/* One decoder per format; each checks limits before decoding pixels. */
bw_status bwi_decode_jpeg(bw_ctx *, const uint8_t *, size_t, bwi_sink *, unsigned);
bw_status bwi_decode_png(bw_ctx *, const uint8_t *, size_t, bwi_sink *, unsigned);
bw_status bwi_decode_webp(bw_ctx *, const uint8_t *, size_t, bwi_sink *, unsigned);
bw_status bwi_decode_gif(bw_ctx *, const uint8_t *, size_t, bwi_sink *, unsigned);
bw_status bwi_decode_bmp(bw_ctx *, const uint8_t *, size_t, bwi_sink *, unsigned);
bw_status bwi_decode_pnm(bw_ctx *, const uint8_t *, size_t, bwi_sink *, unsigned);
bw_status bwi_decode_tiff(bw_ctx *, const uint8_t *, size_t, bwi_sink *, unsigned);
bw_status bwi_decode_heif(bw_ctx *, const uint8_t *, size_t, bwi_sink *, unsigned);

/* Header-only probes: dimensions of what the decoder would deliver. */
bw_status bwi_probe_jpeg(bw_ctx *, const uint8_t *, size_t, uint32_t *, uint32_t *);
bw_status bwi_probe_png(bw_ctx *, const uint8_t *, size_t, uint32_t *, uint32_t *);
bw_status bwi_probe_webp(bw_ctx *, const uint8_t *, size_t, uint32_t *, uint32_t *);
bw_status bwi_probe_gif(bw_ctx *, const uint8_t *, size_t, uint32_t *, uint32_t *);
bw_status bwi_probe_bmp(bw_ctx *, const uint8_t *, size_t, uint32_t *, uint32_t *);
bw_status bwi_probe_pnm(bw_ctx *, const uint8_t *, size_t, uint32_t *, uint32_t *);
bw_status bwi_probe_tiff(bw_ctx *, const uint8_t *, size_t, uint32_t *, uint32_t *);
bw_status bwi_probe_heif(bw_ctx *, const uint8_t *, size_t, uint32_t *, uint32_t *);

/* 16-bit sample to 8 bits, rounding as ImageMagick's Q16 build does. */
static inline uint8_t bwi_scale16to8(unsigned v)
{
    return (uint8_t)(((v + 128u) - ((v + 128u) >> 8)) >> 8);
}

/* A sample of maxval to 8 bits, rounding to nearest. */
static inline uint8_t bwi_scale_to8(unsigned v, unsigned maxval)
{
    return (uint8_t)((v * 255u + maxval / 2) / maxval);
}

/* The sink that keeps everything (bw_image). */
typedef struct bwi_image_sink {
    bwi_sink base;
    bw_image *image;      /* made by begin */
    bool grey_so_far;
    bwi_grey_policy grey;
} bwi_image_sink;

void bwi_image_sink_init(bwi_image_sink *sink);
/* After a successful decode: hands over the image (grey RGB made grey). */
bw_image *bwi_image_sink_finish(bwi_image_sink *sink);
/* After a failed decode: frees whatever was made. */
void bwi_image_sink_discard(bwi_image_sink *sink);

#endif

/*
 * Bulwark — images: format detection, safe decoding, and pixel buffers that
 * an application already decoded.
 *
 * Decoders follow what ImageMagick produces (the decoder behind Meta's PDQ
 * reference hasher), so hashes match the reference bit for bit; see
 * docs/decoding.md for the few deliberate differences.
 *
 * THREAD SAFETY: images are immutable once made and may be read from many
 * threads; the bw_ctx passed to each call must not be shared.
 */
#ifndef BULWARK_BW_IMAGE_H
#define BULWARK_BW_IMAGE_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Container formats recognised by bw_image_probe(). Values never change. */
typedef enum bw_format {
    BW_FORMAT_UNKNOWN = 0,
    BW_FORMAT_JPEG = 1,
    BW_FORMAT_PNG = 2,
    BW_FORMAT_WEBP = 3,
    BW_FORMAT_GIF = 4,
    BW_FORMAT_BMP = 5,
    BW_FORMAT_PNM = 6,
    BW_FORMAT_TIFF = 7,
    BW_FORMAT_HEIF = 8,
    BW_FORMAT_AVIF = 9,
    BW_FORMAT_PIXELS = 10, /* made by bw_image_from_pixels() */
    BW_FORMAT_VIDEO = 11   /* a video container (see bw_video.h) */
} bw_format;

/* Lower-case name ("jpeg", "png", ...); never NULL. */
BW_API const char *bw_format_name(bw_format format);

/*
 * Layouts of caller-supplied pixels. 8 bits per sample; alpha is ignored
 * (PDQ hashes colour, as the reference does).
 */
typedef enum bw_pixel_format {
    BW_PIXEL_GREY8 = 1,
    BW_PIXEL_RGB8 = 2,
    BW_PIXEL_RGBA8 = 3,
    BW_PIXEL_BGRA8 = 4,
    BW_PIXEL_BGR8 = 5,
    BW_PIXEL_ARGB8 = 6
} bw_pixel_format;

/* Bytes per pixel of a layout, or 0 for an unknown one. */
BW_API size_t bw_pixel_format_bytes(bw_pixel_format format);

/*
 * Identifies the format from the first bytes and reads the dimensions from
 * the header without decoding pixels. Any output pointer may be NULL.
 * Fails with BW_ERR_UNSUPPORTED for an unknown format and BW_ERR_CORRUPT or
 * BW_ERR_TRUNCATED for a damaged header.
 */
BW_API bw_status bw_image_probe(bw_ctx *ctx, bw_format *format_out,
                                uint32_t *width_out, uint32_t *height_out,
                                const void *data, size_t size);

/* A decoded image: 8-bit grey or RGB, rows top to bottom. */
typedef struct bw_image bw_image;

/*
 * Decodes a whole image (the first frame of an animation). The context's
 * limits are checked against the header before any pixel is decoded.
 * Corrupt, truncated or unsupported input fails with a message on the
 * context; nothing is returned then. The caller frees *image_out.
 */
BW_API bw_status bw_image_decode(bw_ctx *ctx, bw_image **image_out,
                                 const void *data, size_t size);

/* Like bw_image_decode() for a file on disk. */
BW_API bw_status bw_image_decode_file(bw_ctx *ctx, bw_image **image_out,
                                      const char *path);

/*
 * Wraps pixels an application already decoded (a camera frame, a platform
 * decoder's output) into an image, copying them. stride is the distance in
 * bytes between rows. An RGB image whose every pixel has R = G = B is
 * treated as grey, as for decoded files, so both paths hash alike.
 */
BW_API bw_status bw_image_from_pixels(bw_ctx *ctx, bw_image **image_out,
                                      const void *pixels, size_t stride,
                                      uint32_t width, uint32_t height,
                                      bw_pixel_format format);

/* Frees an image. Accepts NULL. */
BW_API void bw_image_free(bw_image *image);

BW_API uint32_t bw_image_width(const bw_image *image);
BW_API uint32_t bw_image_height(const bw_image *image);

/* The format the image was decoded from. */
BW_API bw_format bw_image_format(const bw_image *image);

/*
 * The pixels: *format_out is BW_PIXEL_GREY8 or BW_PIXEL_RGB8, *stride_out the
 * bytes between rows. Owned by the image.
 */
BW_API const uint8_t *bw_image_pixels(const bw_image *image,
                                      bw_pixel_format *format_out,
                                      size_t *stride_out);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_IMAGE_H */

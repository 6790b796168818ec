/*
 * Bulwark — on-device nudity warnings. A small image classifier (the
 * MobileNetV2 model of the nsfwjs project, converted once at build time)
 * gives an image five class probabilities; a documented rule turns them
 * into a decision against a threshold the app chooses; a blur produces the
 * copy an app shows behind the warning. Everything runs on the device in
 * plain C (libc and libm only): no image leaves it and nothing is
 * downloaded at run time. docs/nudity.md gives the policy for child
 * accounts, the model file's format, and measured error rates.
 *
 * THREAD SAFETY: a loaded bw_nudity_model is immutable and may be shared by
 * any number of threads; every call takes a bw_ctx, which holds the
 * classifier's scratch memory, so use one context per thread. The pure
 * functions (names, scores, decisions) are thread-safe.
 */
#ifndef BULWARK_BW_NUDITY_H
#define BULWARK_BW_NUDITY_H

#include "bw_common.h"
#include "bw_image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The model's classes, in the order of its output. Values never change. */
typedef enum bw_nudity_class {
    BW_NUDITY_DRAWING = 0, /* drawings and cartoons, safe for work */
    BW_NUDITY_HENTAI = 1,  /* sexually explicit drawings */
    BW_NUDITY_NEUTRAL = 2, /* ordinary photos */
    BW_NUDITY_PORN = 3,    /* sexually explicit photos */
    BW_NUDITY_SEXY = 4     /* revealing but not explicit */
} bw_nudity_class;

#define BW_NUDITY_CLASS_COUNT 5

/*
 * The threshold on bw_nudity_score() that bw_nudity_should_warn() is meant
 * to be used with unless an app has measured a better one for its users;
 * docs/nudity.md gives the false-warning rate measured at it.
 */
#define BW_NUDITY_DEFAULT_THRESHOLD 0.7f

/* BW_NUDITY_CLASS_COUNT, for bindings that cannot read macros. */
BW_API size_t bw_nudity_class_count(void);

/* BW_NUDITY_DEFAULT_THRESHOLD, for bindings. */
BW_API float bw_nudity_default_threshold(void);

/* Lower-case name ("drawing", "hentai", ...); never NULL ("unknown"). */
BW_API const char *bw_nudity_class_name(bw_nudity_class which);

/* A classifier loaded from a model file; immutable once loaded. */
typedef struct bw_nudity_model bw_nudity_model;

/*
 * Loads a model file made by tools/nudity/convert.mjs (the build writes
 * build/nudity/nsfw-mobilenetv2.bwnm). The file is checked completely
 * before use: magic, format version, sizes, CRC-32 checksums and every
 * layer's shape. A damaged file fails with BW_ERR_VERIFY (checksum),
 * BW_ERR_TRUNCATED, BW_ERR_CORRUPT or BW_ERR_UNSUPPORTED (another format or
 * version), with the detail on the context. The caller frees *model_out
 * with bw_nudity_model_free().
 */
BW_API bw_status bw_nudity_model_load(bw_ctx *ctx, bw_nudity_model **model_out,
                                      const char *path);

/* Like bw_nudity_model_load() from bytes in memory (an app's bundled
 * asset); the bytes are not referenced after the call. */
BW_API bw_status bw_nudity_model_from_bytes(bw_ctx *ctx,
                                            bw_nudity_model **model_out,
                                            const void *data, size_t size);

/* Frees a model. Accepts NULL. */
BW_API void bw_nudity_model_free(bw_nudity_model *model);

/* Where the weights came from, e.g. "nsfwjs 4.3.0 MobileNetV2 (MIT)".
 * Owned by the model. */
BW_API const char *bw_nudity_model_source(const bw_nudity_model *model);

/* Bytes the loaded model holds (weights after dequantisation) and the
 * scratch one context needs to run it. */
BW_API size_t bw_nudity_model_memory(const bw_nudity_model *model);
BW_API size_t bw_nudity_model_scratch_memory(const bw_nudity_model *model);

/*
 * Classifies an image the app has decoded: writes the five class
 * probabilities (summing to 1, indexed by bw_nudity_class) to scores_out.
 * Any size; the image is resized to the model's 224x224 input exactly as
 * nsfwjs does it (bilinear, align-corners). Alpha is ignored; grey is used
 * as R = G = B. stride is the distance in bytes between rows. Dimensions
 * are checked against the context's limits. Uses the context's scratch
 * memory (allocated on first use, reused afterwards).
 */
BW_API bw_status bw_nudity_classify_pixels(
    bw_ctx *ctx, float scores_out[BW_NUDITY_CLASS_COUNT],
    const bw_nudity_model *model, const void *pixels, size_t stride,
    uint32_t width, uint32_t height, bw_pixel_format format);

/*
 * The probability that the image shows nudity, from the five scores:
 * P(porn) + P(hentai) + P(sexy), in 0..1. docs/nudity.md explains why
 * "sexy" counts.
 */
BW_API float bw_nudity_score(const float scores[BW_NUDITY_CLASS_COUNT]);

/* 1 when bw_nudity_score(scores) >= threshold (the app should blur the
 * image and ask before showing or sending it), else 0. */
BW_API int bw_nudity_should_warn(const float scores[BW_NUDITY_CLASS_COUNT],
                                 float threshold);

/*
 * Writes a heavily blurred copy of an image, for display behind a warning:
 * same width, height and pixel layout (every channel, alpha included, is
 * blurred alike). The image is averaged over cells of cell_px x cell_px
 * pixels, which destroys detail for good, then smoothly interpolated back
 * to full size. cell_px 0 picks a cell of 1/16 of the longer side (at least
 * 4 pixels). out may not overlap pixels. Fails with
 * BW_ERR_INVALID_ARGUMENT for impossible sizes or strides.
 */
BW_API bw_status bw_nudity_blur_pixels(bw_ctx *ctx, void *out, size_t out_stride,
                                       const void *pixels, size_t stride,
                                       uint32_t width, uint32_t height,
                                       bw_pixel_format format, uint32_t cell_px);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_NUDITY_H */

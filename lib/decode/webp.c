/*
 * WebP through libwebp (lossy and lossless, with the default fancy chroma
 * upsampling ImageMagick also uses); an animation gives its first frame,
 * composed on its canvas.
 */
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#include "decode_internal.h"

static bw_status features(bw_ctx *ctx, const uint8_t *data, size_t size,
                          WebPBitstreamFeatures *f)
{
    VP8StatusCode rc = WebPGetFeatures(data, size, f);
    if (rc == VP8_STATUS_NOT_ENOUGH_DATA)
        return bwi_fail(ctx, BW_ERR_TRUNCATED, "WebP: header is cut short");
    if (rc != VP8_STATUS_OK)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "WebP: invalid header (code %d)",
                        (int)rc);
    return bwi_check_dimensions(ctx, "WebP", (uint64_t)f->width,
                                (uint64_t)f->height);
}

bw_status bwi_probe_webp(bw_ctx *ctx, const uint8_t *data, size_t size,
                         uint32_t *w, uint32_t *h)
{
    WebPBitstreamFeatures f;
    bw_status st = features(ctx, data, size, &f);
    if (st == BW_OK) {
        *w = (uint32_t)f.width;
        *h = (uint32_t)f.height;
    }
    return st;
}

static bw_status first_frame(bw_ctx *ctx, const uint8_t *data, size_t size,
                             uint8_t **rgba, int *w, int *h)
{
    WebPData wd = {data, size};
    WebPAnimDecoderOptions opt;
    if (!WebPAnimDecoderOptionsInit(&opt))
        return bwi_fail(ctx, BW_ERR_INTERNAL, "WebP: library version mismatch");
    opt.color_mode = MODE_RGBA;
    opt.use_threads = 0;
    WebPAnimDecoder *dec = WebPAnimDecoderNew(&wd, &opt);
    if (!dec)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "WebP: invalid animation");
    WebPAnimInfo info;
    uint8_t *frame = NULL;
    int timestamp;
    bw_status st = BW_OK;
    if (!WebPAnimDecoderGetInfo(dec, &info) ||
        (st = bwi_check_dimensions(ctx, "WebP", info.canvas_width,
                                   info.canvas_height)) != BW_OK) {
        if (st == BW_OK)
            st = bwi_fail(ctx, BW_ERR_CORRUPT, "WebP: invalid animation");
    } else if (!WebPAnimDecoderGetNext(dec, &frame, &timestamp)) {
        st = bwi_fail(ctx, BW_ERR_CORRUPT, "WebP: cannot decode first frame");
    } else {
        size_t n = (size_t)info.canvas_width * info.canvas_height * 4;
        *rgba = malloc(n);
        if (!*rgba)
            st = bwi_fail(ctx, BW_ERR_NOMEM, "WebP: cannot allocate the frame");
        else
            memcpy(*rgba, frame, n);
        *w = (int)info.canvas_width;
        *h = (int)info.canvas_height;
    }
    WebPAnimDecoderDelete(dec);
    return st;
}

bw_status bwi_decode_webp(bw_ctx *ctx, const uint8_t *data, size_t size,
                          bwi_sink *sink, unsigned options)
{
    (void)options;
    WebPBitstreamFeatures f;
    bw_status st = features(ctx, data, size, &f);
    if (st != BW_OK)
        return st;
    uint8_t *pixels = NULL;
    int w = f.width, h = f.height, bpp = 3;
    if (f.has_animation) {
        if ((st = first_frame(ctx, data, size, &pixels, &w, &h)) != BW_OK)
            return st;
        bpp = 4;
    } else {
        size_t stride = (size_t)w * 3;
        pixels = malloc(stride * (size_t)h);
        if (!pixels)
            return bwi_fail(ctx, BW_ERR_NOMEM, "WebP: cannot allocate %dx%d", w, h);
        if (!WebPDecodeRGBInto(data, size, pixels, stride * (size_t)h,
                               (int)stride)) {
            free(pixels);
            /* The header parsed, so a failure is damaged or missing data. */
            WebPDecoderConfig cfg;
            WebPInitDecoderConfig(&cfg);
            VP8StatusCode rc = WebPDecode(data, size, &cfg);
            WebPFreeDecBuffer(&cfg.output);
            return rc == VP8_STATUS_NOT_ENOUGH_DATA
                       ? bwi_fail(ctx, BW_ERR_TRUNCATED, "WebP: data is cut short")
                       : bwi_fail(ctx, BW_ERR_CORRUPT,
                                  "WebP: cannot decode (code %d)", (int)rc);
        }
    }
    const bwi_frame frame = {(uint32_t)w, (uint32_t)h, (uint32_t)w, (uint32_t)h,
                             3, BWI_GREY_BY_CONTENT, BW_FORMAT_WEBP};
    if ((st = sink->begin(sink, ctx, &frame)) != BW_OK) {
        free(pixels);
        return st;
    }
    uint8_t *rgb = bpp == 4 ? malloc((size_t)w * 3) : NULL;
    if (bpp == 4 && !rgb) {
        free(pixels);
        return bwi_fail(ctx, BW_ERR_NOMEM, "WebP: cannot allocate a row");
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *src = pixels + (size_t)y * (size_t)w * (size_t)bpp;
        if (bpp == 4) {
            for (int x = 0; x < w; x++) {
                rgb[3 * x] = src[4 * x];
                rgb[3 * x + 1] = src[4 * x + 1];
                rgb[3 * x + 2] = src[4 * x + 2];
            }
            sink->row(sink, (uint32_t)y, rgb);
        } else {
            sink->row(sink, (uint32_t)y, src);
        }
    }
    free(rgb);
    free(pixels);
    return BW_OK;
}

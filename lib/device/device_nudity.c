/*
 * The nudity classifier in the SDK (docs/nudity.md): libbulwark's own
 * classifier, compiled in, behind bw_device_* names so the SDK keeps one
 * prefix and an app can link libbulwark beside it without clashes.
 */
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_nudity.h"
#include "device_internal.h"

struct bw_device_nudity {
    bw_nudity_model *model;
};

BW_API bw_status bw_device_nudity_load(bw_device *device, bw_device_nudity **model_out,
                                       const void *data, size_t size)
{
    if (!device || !model_out || (!data && size))
        return BW_ERR_INVALID_ARGUMENT;
    *model_out = NULL;
    bwi_device_clear(device);
    bw_device_nudity *n = calloc(1, sizeof *n);
    if (!n)
        return bwi_fail(device->ctx, BW_ERR_NOMEM, "out of memory for the nudity model");
    const bw_status st = bw_nudity_model_from_bytes(device->ctx, &n->model, data, size);
    if (st != BW_OK) {
        free(n);
        return st;
    }
    *model_out = n;
    return BW_OK;
}

BW_API void bw_device_nudity_free(bw_device_nudity *model)
{
    if (!model)
        return;
    bw_nudity_model_free(model->model);
    free(model);
}

BW_API bw_status bw_device_nudity_classify_pixels(
    bw_device *device, float scores_out[BW_DEVICE_NUDITY_CLASSES],
    const bw_device_nudity *model, const void *pixels, size_t stride, uint32_t width,
    uint32_t height, bw_pixel_format format)
{
    if (!device || !model)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_device_clear(device);
    return bw_nudity_classify_pixels(device->ctx, scores_out, model->model, pixels, stride,
                                     width, height, format);
}

BW_API float bw_device_nudity_score(const float scores[BW_DEVICE_NUDITY_CLASSES])
{
    return bw_nudity_score(scores);
}

BW_API int bw_device_nudity_should_warn(const float scores[BW_DEVICE_NUDITY_CLASSES],
                                        float threshold)
{
    return bw_nudity_should_warn(scores, threshold);
}

BW_API float bw_device_nudity_default_threshold(void)
{
    return BW_NUDITY_DEFAULT_THRESHOLD;
}

BW_API bw_status bw_device_nudity_blur_pixels(bw_device *device, void *out,
                                              size_t out_stride, const void *pixels,
                                              size_t stride, uint32_t width,
                                              uint32_t height, bw_pixel_format format,
                                              uint32_t cell_px)
{
    if (!device)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_device_clear(device);
    return bw_nudity_blur_pixels(device->ctx, out, out_stride, pixels, stride, width, height,
                                 format, cell_px);
}

BW_API bw_status bw_device_decode_rgb(bw_device *device, uint8_t **pixels_out,
                                      uint32_t *width_out, uint32_t *height_out,
                                      const void *data, size_t size)
{
    if (!device || !pixels_out || !width_out || !height_out || (!data && size))
        return BW_ERR_INVALID_ARGUMENT;
    *pixels_out = NULL;
    *width_out = *height_out = 0;
    bwi_device_clear(device);
#ifdef BW_DEVICE_DECODERS
    bw_image *image = NULL;
    bw_status st = bw_image_decode(device->ctx, &image, data, size);
    if (st != BW_OK)
        return st;
    bw_pixel_format format;
    size_t stride;
    const uint8_t *src = bw_image_pixels(image, &format, &stride);
    const uint32_t w = bw_image_width(image), h = bw_image_height(image);
    const size_t bpp = bw_pixel_format_bytes(format);
    /* The decoders give grey, RGB or RGBA; the limits on the context have
     * already bounded w * h. */
    uint8_t *rgb = (format == BW_PIXEL_GREY8 || format == BW_PIXEL_RGB8 ||
                    format == BW_PIXEL_RGBA8)
                       ? malloc((size_t)w * h * 3 + 1)
                       : NULL;
    if (!rgb) {
        bw_image_free(image);
        return bwi_fail(device->ctx, BW_ERR_NOMEM, "cannot convert a %ux%u image to RGB", w,
                        h);
    }
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *row = src + (size_t)y * stride;
        uint8_t *o = rgb + (size_t)y * w * 3;
        for (uint32_t x = 0; x < w; x++, o += 3) {
            const uint8_t *p = row + (size_t)x * bpp;
            o[0] = p[0];
            o[1] = bpp == 1 ? p[0] : p[1];
            o[2] = bpp == 1 ? p[0] : p[2];
        }
    }
    bw_image_free(image);
    *pixels_out = rgb;
    *width_out = w;
    *height_out = h;
    return BW_OK;
#else
    return bwi_fail(device->ctx, BW_ERR_UNAVAILABLE,
                    "this build of the SDK has no image decoders: decode with the platform");
#endif
}

BW_API void bw_device_pixels_free(uint8_t *pixels)
{
    free(pixels);
}

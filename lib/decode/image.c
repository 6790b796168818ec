/* bw_image: a whole decoded image, and the sink that builds one. */
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"

struct bw_image {
    uint32_t width;
    uint32_t height;
    int channels;
    bw_format format;
    size_t stride;
    uint8_t *pixels;
};

static bw_image *image_alloc(bw_ctx *ctx, uint32_t width, uint32_t height,
                             int channels, bw_format format)
{
    bw_image *img = calloc(1, sizeof *img);
    size_t stride = (size_t)width * (size_t)channels;
    if (img)
        img->pixels = malloc(stride * height);
    if (!img || !img->pixels) {
        free(img);
        bwi_fail(ctx, BW_ERR_NOMEM, "cannot allocate a %ux%u image", width,
                 height);
        return NULL;
    }
    img->width = width;
    img->height = height;
    img->channels = channels;
    img->format = format;
    img->stride = stride;
    return img;
}

static bool row_is_grey(const uint8_t *p, uint32_t width)
{
    for (uint32_t x = 0; x < width; x++, p += 3)
        if (p[0] != p[1] || p[1] != p[2])
            return false;
    return true;
}

static bw_status image_sink_begin(bwi_sink *base, bw_ctx *ctx,
                                  const bwi_frame *frame)
{
    bwi_image_sink *sink = (bwi_image_sink *)base;
    sink->image = image_alloc(ctx, frame->width, frame->height, frame->channels,
                              frame->format);
    if (!sink->image)
        return BW_ERR_NOMEM;
    sink->grey = frame->grey;
    sink->grey_so_far = frame->channels == 3 && frame->grey == BWI_GREY_BY_CONTENT;
    /* Rows a decoder never delivers (a truncated file it tolerates) stay
     * black rather than uninitialised. */
    memset(sink->image->pixels, 0, sink->image->stride * frame->height);
    return BW_OK;
}

static bool image_sink_wants(bwi_sink *base, uint32_t y)
{
    (void)base;
    (void)y;
    return true;
}

static void image_sink_row(bwi_sink *base, uint32_t y, const uint8_t *pixels)
{
    bwi_image_sink *sink = (bwi_image_sink *)base;
    bw_image *img = sink->image;
    if (y >= img->height)
        return;
    memcpy(img->pixels + (size_t)y * img->stride, pixels, img->stride);
    if (sink->grey_so_far && !row_is_grey(pixels, img->width))
        sink->grey_so_far = false;
}

void bwi_image_sink_init(bwi_image_sink *sink)
{
    memset(sink, 0, sizeof *sink);
    sink->base.begin = image_sink_begin;
    sink->base.wants = image_sink_wants;
    sink->base.row = image_sink_row;
}

bw_image *bwi_image_sink_finish(bwi_image_sink *sink)
{
    bw_image *img = sink->image;
    sink->image = NULL;
    if (img && img->channels == 3 && sink->grey_so_far) {
        /* Keep one channel, in place: row y's grey bytes land at or before
         * where row y's RGB bytes began, so nothing unread is overwritten. */
        size_t n = (size_t)img->width * img->height;
        for (size_t i = 0; i < n; i++)
            img->pixels[i] = img->pixels[3 * i];
        img->channels = 1;
        img->stride = img->width;
        uint8_t *shrunk = realloc(img->pixels, n);
        if (shrunk)
            img->pixels = shrunk;
    }
    return img;
}

void bwi_image_sink_discard(bwi_image_sink *sink)
{
    bw_image_free(sink->image);
    sink->image = NULL;
}

BW_API void bw_image_free(bw_image *image)
{
    if (!image)
        return;
    free(image->pixels);
    free(image);
}

BW_API uint32_t bw_image_width(const bw_image *image)
{
    return image ? image->width : 0;
}

BW_API uint32_t bw_image_height(const bw_image *image)
{
    return image ? image->height : 0;
}

BW_API bw_format bw_image_format(const bw_image *image)
{
    return image ? image->format : BW_FORMAT_UNKNOWN;
}

BW_API const uint8_t *bw_image_pixels(const bw_image *image,
                                      bw_pixel_format *format_out,
                                      size_t *stride_out)
{
    if (!image)
        return NULL;
    if (format_out)
        *format_out = image->channels == 1 ? BW_PIXEL_GREY8 : BW_PIXEL_RGB8;
    if (stride_out)
        *stride_out = image->stride;
    return image->pixels;
}

BW_API bw_status bw_image_decode(bw_ctx *ctx, bw_image **image_out,
                                 const void *data, size_t size)
{
    if (!ctx || !image_out || (!data && size))
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    *image_out = NULL;
    if (size > ctx->limit_input_bytes)
        return bwi_fail(ctx, BW_ERR_TOO_LARGE,
                        "input is %zu bytes, over the limit of %llu", size,
                        (unsigned long long)ctx->limit_input_bytes);
    bwi_image_sink sink;
    bwi_image_sink_init(&sink);
    bw_status st = bwi_decode(ctx, data, size, &sink.base, 0);
    if (st != BW_OK) {
        bwi_image_sink_discard(&sink);
        return st;
    }
    *image_out = bwi_image_sink_finish(&sink);
    return BW_OK;
}

BW_API bw_status bw_image_decode_file(bw_ctx *ctx, bw_image **image_out,
                                      const char *path)
{
    if (!ctx || !image_out || !path)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    const uint8_t *data;
    size_t size;
    bw_status st = bwi_read_file(ctx, path, &data, &size);
    if (st != BW_OK)
        return st;
    return bw_image_decode(ctx, image_out, data, size);
}

BW_API bw_status bw_image_from_pixels(bw_ctx *ctx, bw_image **image_out,
                                      const void *pixels, size_t stride,
                                      uint32_t width, uint32_t height,
                                      bw_pixel_format format)
{
    if (!ctx || !image_out)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    *image_out = NULL;
    int bpp, r, g, b;
    if (!bwi_pixel_layout(format, &bpp, &r, &g, &b))
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "unknown pixel format %d",
                        (int)format);
    if (!pixels || stride < (size_t)width * (size_t)bpp)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "stride %zu is less than width %u x %d bytes", stride,
                        width, bpp);
    bw_status st = bwi_check_dimensions(ctx, "pixels", width, height);
    if (st != BW_OK)
        return st;
    bwi_image_sink sink;
    bwi_image_sink_init(&sink);
    bwi_frame frame = {width, height, width, height, bpp == 1 ? 1 : 3,
                       BWI_GREY_BY_CONTENT, BW_FORMAT_PIXELS};
    if ((st = sink.base.begin(&sink.base, ctx, &frame)) != BW_OK)
        return st;
    uint8_t *rgb = NULL;
    if (bpp != 1 && !(rgb = malloc((size_t)width * 3))) {
        bwi_image_sink_discard(&sink);
        return bwi_fail(ctx, BW_ERR_NOMEM, "cannot allocate a row");
    }
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *src = (const uint8_t *)pixels + (size_t)y * stride;
        if (bpp == 1) {
            sink.base.row(&sink.base, y, src);
            continue;
        }
        for (uint32_t x = 0; x < width; x++, src += bpp) {
            rgb[3 * x] = src[r];
            rgb[3 * x + 1] = src[g];
            rgb[3 * x + 2] = src[b];
        }
        sink.base.row(&sink.base, y, rgb);
    }
    free(rgb);
    *image_out = bwi_image_sink_finish(&sink);
    return BW_OK;
}

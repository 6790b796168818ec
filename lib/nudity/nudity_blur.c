/*
 * The blurred copy an app shows behind a nudity warning. Averaging over
 * large cells throws the detail away (unlike a Gaussian blur, it cannot be
 * undone by deconvolution); a [1 2 1] smoothing of the cells and bilinear
 * interpolation between their centres then make it look like a blur rather
 * than a mosaic. Works on any layout: every byte of a pixel is a channel.
 */
#include <stdlib.h>
#include <string.h>

#include "nudity_internal.h"

/* Averages each cell x cell block (smaller at the right and bottom edges). */
static void cell_means(float *grid, const uint8_t *pixels, size_t stride,
                       uint32_t width, uint32_t height, int bpp, uint32_t cell,
                       uint32_t gw, uint32_t gh, uint64_t *sums)
{
    for (uint32_t gy = 0; gy < gh; gy++) {
        uint32_t y0 = gy * cell, y1 = y0 + cell < height ? y0 + cell : height;
        memset(sums, 0, (size_t)gw * bpp * sizeof *sums);
        for (uint32_t y = y0; y < y1; y++) {
            const uint8_t *row = pixels + (size_t)y * stride;
            for (uint32_t x = 0; x < width; x++)
                for (int c = 0; c < bpp; c++)
                    sums[(size_t)(x / cell) * bpp + c] += row[(size_t)x * bpp + c];
        }
        for (uint32_t gx = 0; gx < gw; gx++) {
            uint32_t x0 = gx * cell, x1 = x0 + cell < width ? x0 + cell : width;
            double count = (double)(x1 - x0) * (double)(y1 - y0);
            for (int c = 0; c < bpp; c++)
                grid[((size_t)gy * gw + gx) * bpp + c] =
                    (float)((double)sums[(size_t)gx * bpp + c] / count);
        }
    }
}

/* One [1 2 1] / 4 pass along rows (step = bpp) or columns (step = gw*bpp),
 * edges clamped. */
static void smooth(float *dst, const float *src, uint32_t gw, uint32_t gh,
                   int bpp, int along_rows)
{
    for (uint32_t gy = 0; gy < gh; gy++)
        for (uint32_t gx = 0; gx < gw; gx++) {
            uint32_t i = along_rows ? gx : gy, n = along_rows ? gw : gh;
            uint32_t lo = i ? i - 1 : 0, hi = i + 1 < n ? i + 1 : n - 1;
            size_t at = ((size_t)gy * gw + gx) * bpp;
            size_t step = along_rows ? (size_t)bpp : (size_t)gw * bpp;
            size_t a = at - (i - lo) * step, b = at + (hi - i) * step;
            for (int c = 0; c < bpp; c++)
                dst[at + c] = 0.25f * src[a + c] + 0.5f * src[at + c] + 0.25f * src[b + c];
        }
}

/* Cell index below and weight of the next, for pixel p at cell centres. */
static void interp(uint32_t p, uint32_t cell, uint32_t cells, uint32_t *i0,
                   float *f)
{
    float pos = ((float)p + 0.5f) / (float)cell - 0.5f;
    if (pos <= 0.0f) {
        *i0 = 0, *f = 0.0f;
    } else if (pos >= (float)(cells - 1)) {
        *i0 = cells - 1, *f = 0.0f;
    } else {
        *i0 = (uint32_t)pos;
        *f = pos - (float)*i0;
    }
}

static void upsample(uint8_t *out, size_t out_stride, const float *grid,
                     uint32_t width, uint32_t height, int bpp, uint32_t cell,
                     uint32_t gw, uint32_t gh, uint32_t *xi, float *xf)
{
    for (uint32_t x = 0; x < width; x++)
        interp(x, cell, gw, &xi[x], &xf[x]);
    for (uint32_t y = 0; y < height; y++) {
        uint32_t y0;
        float fy;
        interp(y, cell, gh, &y0, &fy);
        uint32_t y1 = y0 + 1 < gh ? y0 + 1 : y0;
        uint8_t *row = out + (size_t)y * out_stride;
        for (uint32_t x = 0; x < width; x++) {
            uint32_t x0 = xi[x], x1 = x0 + 1 < gw ? x0 + 1 : x0;
            const float *a = grid + ((size_t)y0 * gw + x0) * bpp;
            const float *b = grid + ((size_t)y0 * gw + x1) * bpp;
            const float *c = grid + ((size_t)y1 * gw + x0) * bpp;
            const float *d = grid + ((size_t)y1 * gw + x1) * bpp;
            for (int ch = 0; ch < bpp; ch++) {
                float top = a[ch] + (b[ch] - a[ch]) * xf[x];
                float bottom = c[ch] + (d[ch] - c[ch]) * xf[x];
                float v = top + (bottom - top) * fy + 0.5f;
                row[(size_t)x * bpp + ch] = (uint8_t)(v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
            }
        }
    }
}

BW_API bw_status bw_nudity_blur_pixels(bw_ctx *ctx, void *out, size_t out_stride,
                                       const void *pixels, size_t stride,
                                       uint32_t width, uint32_t height,
                                       bw_pixel_format format, uint32_t cell_px)
{
    if (!ctx)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    int bpp, r, g, b;
    if (!out || !pixels)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "blur: NULL pixels");
    if (!bwi_pixel_layout(format, &bpp, &r, &g, &b))
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "blur: unknown pixel format %d",
                        (int)format);
    bw_status st = bwi_check_dimensions(ctx, "blur", width, height);
    if (st != BW_OK)
        return st;
    uint64_t row = (uint64_t)width * (uint64_t)bpp;
    if (row > stride || row > out_stride)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "blur: a stride is less than a row of %u pixels", width);
    uintptr_t in0 = (uintptr_t)pixels, in1 = in0 + (height - 1) * stride + row;
    uintptr_t out0 = (uintptr_t)out, out1 = out0 + (height - 1) * out_stride + row;
    if (out0 < in1 && in0 < out1)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "blur: out overlaps the input");
    uint32_t longer = width > height ? width : height;
    uint32_t cell = cell_px ? cell_px : longer / 16 > 4 ? longer / 16 : 4;
    uint32_t gw = width / cell + (width % cell != 0);
    uint32_t gh = height / cell + (height % cell != 0);
    size_t cells = (size_t)gw * gh * bpp;
    float *grid = malloc(cells * sizeof *grid);
    float *tmp = malloc(cells * sizeof *tmp);
    uint64_t *sums = malloc((size_t)gw * bpp * sizeof *sums);
    uint32_t *xi = malloc((size_t)width * sizeof *xi);
    float *xf = malloc((size_t)width * sizeof *xf);
    if (grid && tmp && sums && xi && xf) {
        cell_means(grid, pixels, stride, width, height, bpp, cell, gw, gh, sums);
        smooth(tmp, grid, gw, gh, bpp, 1);
        smooth(grid, tmp, gw, gh, bpp, 0);
        upsample(out, out_stride, grid, width, height, bpp, cell, gw, gh, xi, xf);
    } else {
        st = bwi_fail(ctx, BW_ERR_NOMEM, "blur: out of memory");
    }
    free(grid);
    free(tmp);
    free(sums);
    free(xi);
    free(xf);
    return st;
}

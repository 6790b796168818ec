/*
 * From caller pixels to the grid PDQ hashes: nearest-neighbour sampling to
 * at most 512x512 (what the reference does with CImg's resize), alpha
 * dropped, and all-grey RGB reduced to one channel (what the reference gets
 * from ImageMagick, which writes such images as PGM).
 */
#include <string.h>

#include "pdq_core.h"

static bool all_grey(const uint8_t *pixels, size_t stride, uint32_t width,
                     uint32_t height, int bpp, int r, int g, int b)
{
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *p = pixels + (size_t)y * stride;
        for (uint32_t x = 0; x < width; x++, p += bpp)
            if (p[r] != p[g] || p[g] != p[b])
                return false;
    }
    return true;
}

bw_status bwi_pdq_grid_from_pixels(bw_ctx *ctx, bwi_grid *grid_out,
                                   const uint8_t *pixels, size_t stride,
                                   uint32_t width, uint32_t height,
                                   bw_pixel_format format, bool force_rgb)
{
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
    struct bwi_pdq_scratch *s;
    if ((st = bwi_pdq_scratch(ctx, &s)) != BW_OK)
        return st;

    const int channels =
        (bpp == 1 || (!force_rgb && all_grey(pixels, stride, width, height, bpp,
                                             r, g, b)))
            ? 1
            : 3;
    uint32_t gw, gh;
    bwi_pdq_grid_dims(width, height, &gw, &gh);
    /* The sampled columns once, not a division a pixel: query sets build a
     * grid for each of their parts, and the divisions sat on the path of
     * every load. */
    size_t cols[BWI_PDQ_GRID_MAX];
    for (uint32_t ox = 0; ox < gw; ox++)
        cols[ox] = (size_t)bwi_pdq_nn_index(ox, width, gw) * (size_t)bpp;
    for (uint32_t oy = 0; oy < gh; oy++) {
        const uint8_t *row =
            pixels + (size_t)bwi_pdq_nn_index(oy, height, gh) * stride;
        uint8_t *out = s->grid + (size_t)oy * gw * channels;
        if (channels == 1) {
            for (uint32_t ox = 0; ox < gw; ox++)
                out[ox] = row[cols[ox] + (size_t)r];
        } else if (bpp == 3 && r == 0 && g == 1 && b == 2) {
            for (uint32_t ox = 0; ox < gw; ox++, out += 3) {
                const uint8_t *p = row + cols[ox];
                out[0] = p[0];
                out[1] = p[1];
                out[2] = p[2];
            }
        } else {
            for (uint32_t ox = 0; ox < gw; ox++, out += 3) {
                const uint8_t *p = row + cols[ox];
                out[0] = p[r];
                out[1] = p[g];
                out[2] = p[b];
            }
        }
    }
    grid_out->pixels = s->grid;
    grid_out->stride = (size_t)gw * channels;
    grid_out->width = gw;
    grid_out->height = gh;
    grid_out->channels = channels;
    return BW_OK;
}

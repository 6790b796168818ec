/*
 * HEIF (HEVC) and AVIF (AV1) through libheif: the primary image, rotation
 * and mirroring applied. ImageMagick 6.9.11 (the reference's decoder) asks
 * libheif for 8-bit YCbCr 4:2:0, repeats each chroma sample over its 2x2
 * block and converts with its own matrix; the same is done here so the
 * pixels match. Alpha is ignored, as there.
 */
#include <stdlib.h>
#include <string.h>

#include <libheif/heif.h>

#include "decode_internal.h"
#include "im_colour.h"

static bw_status heif_status(bw_ctx *ctx, struct heif_error err, const char *when)
{
    bw_status st;
    switch (err.code) {
    case heif_error_Ok:
        return BW_OK;
    case heif_error_Memory_allocation_error:
        st = BW_ERR_NOMEM;
        break;
    case heif_error_Unsupported_filetype:
    case heif_error_Unsupported_feature:
    case heif_error_Decoder_plugin_error:
        st = BW_ERR_UNSUPPORTED;
        break;
    default:
        st = BW_ERR_CORRUPT;
        break;
    }
    if (err.code == heif_error_Invalid_input &&
        err.subcode == heif_suberror_End_of_data)
        st = BW_ERR_TRUNCATED;
    return bwi_fail(ctx, st, "HEIF: %s: %s", when,
                    err.message ? err.message : "error");
}

/* Opens the container and the primary image, checking its size. */
static bw_status open_primary(bw_ctx *ctx, const uint8_t *data, size_t size,
                              struct heif_context **hctx,
                              struct heif_image_handle **handle)
{
    *handle = NULL;
    *hctx = heif_context_alloc();
    if (!*hctx)
        return bwi_fail(ctx, BW_ERR_NOMEM, "HEIF: cannot allocate a context");
    uint64_t side = ctx->limit_dimension < 0x7fffffff ? ctx->limit_dimension
                                                      : 0x7fffffff;
    heif_context_set_maximum_image_size_limit(*hctx, (int)side);
    bw_status st = heif_status(
        ctx, heif_context_read_from_memory_without_copy(*hctx, data, size, NULL),
        "reading the container");
    if (st == BW_OK)
        st = heif_status(ctx, heif_context_get_primary_image_handle(*hctx, handle),
                         "finding the primary image");
    if (st == BW_OK)
        st = bwi_check_dimensions(
            ctx, "HEIF", (uint64_t)heif_image_handle_get_width(*handle),
            (uint64_t)heif_image_handle_get_height(*handle));
    return st;
}

static void close_primary(struct heif_context *hctx,
                          struct heif_image_handle *handle)
{
    if (handle)
        heif_image_handle_release(handle);
    if (hctx)
        heif_context_free(hctx);
}

bw_status bwi_probe_heif(bw_ctx *ctx, const uint8_t *data, size_t size,
                         uint32_t *w, uint32_t *h)
{
    struct heif_context *hctx;
    struct heif_image_handle *handle;
    bw_status st = open_primary(ctx, data, size, &hctx, &handle);
    if (st == BW_OK) {
        *w = (uint32_t)heif_image_handle_get_width(handle);
        *h = (uint32_t)heif_image_handle_get_height(handle);
    }
    close_primary(hctx, handle);
    return st;
}

bw_status bwi_decode_heif(bw_ctx *ctx, const uint8_t *data, size_t size,
                          bwi_sink *sink, unsigned options)
{
    (void)options;
    struct heif_context *hctx;
    struct heif_image_handle *handle;
    struct heif_image *img = NULL;
    uint8_t *rgb = NULL;
    bw_status st = open_primary(ctx, data, size, &hctx, &handle);
    if (st != BW_OK)
        goto out;
    struct heif_decoding_options *opts = heif_decoding_options_alloc();
    if (!opts) {
        st = bwi_fail(ctx, BW_ERR_NOMEM, "HEIF: cannot allocate options");
        goto out;
    }
    opts->convert_hdr_to_8bit = 1;
    st = heif_status(ctx,
                     heif_decode_image(handle, &img, heif_colorspace_YCbCr,
                                       heif_chroma_420, opts),
                     "decoding");
    heif_decoding_options_free(opts);
    if (st != BW_OK)
        goto out;
    const int w = heif_image_get_width(img, heif_channel_Y);
    const int h = heif_image_get_height(img, heif_channel_Y);
    int sy = 0, scb = 0, scr = 0;
    const uint8_t *py = heif_image_get_plane_readonly(img, heif_channel_Y, &sy);
    const uint8_t *pcb = heif_image_get_plane_readonly(img, heif_channel_Cb, &scb);
    const uint8_t *pcr = heif_image_get_plane_readonly(img, heif_channel_Cr, &scr);
    if (!py || !pcb || !pcr || w <= 0 || h <= 0 ||
        heif_image_get_bits_per_pixel_range(img, heif_channel_Y) != 8 ||
        heif_image_get_width(img, heif_channel_Cb) < (w + 1) / 2 ||
        heif_image_get_height(img, heif_channel_Cb) < (h + 1) / 2 ||
        heif_image_get_width(img, heif_channel_Cr) < (w + 1) / 2 ||
        heif_image_get_height(img, heif_channel_Cr) < (h + 1) / 2) {
        st = bwi_fail(ctx, BW_ERR_CORRUPT, "HEIF: decoder returned unexpected planes");
        goto out;
    }
    if ((st = bwi_check_dimensions(ctx, "HEIF", (uint64_t)w, (uint64_t)h)) != BW_OK)
        goto out;
    const bwi_frame frame = {(uint32_t)w, (uint32_t)h, (uint32_t)w, (uint32_t)h,
                             3, BWI_GREY_BY_CONTENT,
                             bwi_sniff(data, size) == BW_FORMAT_AVIF
                                 ? BW_FORMAT_AVIF
                                 : BW_FORMAT_HEIF};
    if ((st = sink->begin(sink, ctx, &frame)) != BW_OK)
        goto out;
    rgb = malloc((size_t)w * 3);
    if (!rgb) {
        st = bwi_fail(ctx, BW_ERR_NOMEM, "HEIF: cannot allocate a row");
        goto out;
    }
    for (int y = 0; y < h; y++) {
        if (!sink->wants(sink, (uint32_t)y))
            continue;
        const uint8_t *ly = py + (size_t)y * (size_t)sy;
        const uint8_t *lcb = pcb + (size_t)(y / 2) * (size_t)scb;
        const uint8_t *lcr = pcr + (size_t)(y / 2) * (size_t)scr;
        for (int x = 0; x < w; x++)
            bwi_im_ycbcr_to_rgb(ly[x], lcb[x / 2], lcr[x / 2], rgb + 3 * x);
        sink->row(sink, (uint32_t)y, rgb);
    }
out:
    free(rgb);
    if (img)
        heif_image_release(img);
    close_primary(hctx, handle);
    return st;
}

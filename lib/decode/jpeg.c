/*
 * JPEG through libjpeg-turbo, configured as ImageMagick reads it (accurate
 * integer IDCT, fancy upsampling, CMYK inverted as Adobe writes it), so the
 * pixels are the ones the reference hasher sees.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "decode_internal.h"
#include "im_colour.h"
#include "jpeg_dc.h"

typedef struct jpeg_guard {
    struct jpeg_error_mgr err;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    bw_ctx *ctx;
    bw_status status;
} jpeg_guard;

static void guard_fail(j_common_ptr cinfo, bw_status status)
{
    jpeg_guard *g = (jpeg_guard *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    g->err.format_message(cinfo, text);
    g->status = bwi_fail(g->ctx, status, "JPEG: %s", text);
    longjmp(g->jump, 1);
}

static void on_error(j_common_ptr cinfo)
{
    int code = cinfo->err->msg_code;
    guard_fail(cinfo, code == JERR_INPUT_EOF || code == JERR_INPUT_EMPTY
                          ? BW_ERR_TRUNCATED
                          : code == JERR_OUT_OF_MEMORY ? BW_ERR_NOMEM
                                                       : BW_ERR_CORRUPT);
}

/* libjpeg reports damaged data as warnings and carries on with grey blocks;
 * a hash of invented pixels is worse than an error, so those stop here. */
static void on_message(j_common_ptr cinfo, int level)
{
    if (level >= 0)
        return; /* trace output */
    switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:
        guard_fail(cinfo, BW_ERR_TRUNCATED);
        break;
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
        guard_fail(cinfo, BW_ERR_CORRUPT);
        break;
    default:
        break; /* extraneous bytes, odd JFIF versions: harmless */
    }
}

static void on_progress(j_common_ptr cinfo)
{
    if (cinfo->is_decompressor &&
        ((j_decompress_ptr)cinfo)->input_scan_number > BWI_JPEG_MAX_SCANS) {
        jpeg_guard *g = (jpeg_guard *)cinfo->err;
        g->status = bwi_fail(g->ctx, BW_ERR_LIMIT,
                             "JPEG: more than %d progressive scans", BWI_JPEG_MAX_SCANS);
        longjmp(g->jump, 1);
    }
    jpeg_guard *g = (jpeg_guard *)cinfo->err;
    if (bwi_deadline_check(g->ctx, "JPEG") != BW_OK) {
        g->status = BW_ERR_TIMEOUT;
        longjmp(g->jump, 1);
    }
}

static void guard_init(jpeg_guard *g, struct jpeg_decompress_struct *cinfo,
                       bw_ctx *ctx)
{
    memset(g, 0, sizeof *g);
    g->ctx = ctx;
    cinfo->err = jpeg_std_error(&g->err);
    g->err.error_exit = on_error;
    g->err.emit_message = on_message;
    g->progress.progress_monitor = on_progress;
}

/* Header parse shared by probe and decode; leaves cinfo ready to start. */
static bw_status read_header(bw_ctx *ctx, struct jpeg_decompress_struct *cinfo,
                             const uint8_t *data, size_t size)
{
    jpeg_create_decompress(cinfo);
    cinfo->progress = &((jpeg_guard *)cinfo->err)->progress;
    /* Bound libjpeg's own allocations (progressive coefficient buffers). */
    cinfo->mem->max_memory_to_use = (long)(ctx->limit_pixels * 8 + (64 << 20));
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_read_header(cinfo, TRUE);
    return bwi_check_dimensions(ctx, "JPEG", cinfo->image_width,
                                cinfo->image_height);
}

bw_status bwi_probe_jpeg(bw_ctx *ctx, const uint8_t *data, size_t size,
                         uint32_t *w, uint32_t *h)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_guard g;
    guard_init(&g, &cinfo, ctx);
    if (setjmp(g.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return g.status;
    }
    read_header(ctx, &cinfo, data, size);
    *w = cinfo.image_width;
    *h = cinfo.image_height;
    jpeg_destroy_decompress(&cinfo);
    return BW_OK;
}

static void cmyk_to_rgb(const uint8_t *in, uint8_t *out, uint32_t width)
{
    /* ImageMagick assumes Adobe's inverted CMYK, as Photoshop writes it. */
    for (uint32_t x = 0; x < width; x++, in += 4, out += 3)
        bwi_im_cmyk_to_rgb(in, out, 1);
}

/* The scale (1/1 .. 1/8) that keeps both sides at least as large as the
 * 512x512 grid PDQ samples, so the fast path loses little. */
static unsigned fast_denominator(uint32_t w, uint32_t h)
{
    const uint32_t need_w = w < 512 ? w : 512, need_h = h < 512 ? h : 512;
    for (unsigned d = 8; d > 1; d /= 2)
        if ((w + d - 1) / d >= need_w && (h + d - 1) / d >= need_h)
            return d;
    return 1;
}

/* decode()'s mode beside BWI_DECODE_FAST: a progressive stream without
 * luma's AC scans (jpeg_dc.c), to be decoded at 1/8 scale. */
#define DC_ONLY 0x100u

static bw_status decode(bw_ctx *ctx, const uint8_t *data, size_t size, bwi_sink *sink,
                        unsigned options)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_guard g;
    /* volatile: read after longjmp */
    uint8_t *volatile row = NULL;
    uint8_t *volatile rgb = NULL;
    guard_init(&g, &cinfo, ctx);
    if (setjmp(g.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(row);
        free(rgb);
        return g.status;
    }
    bw_status st = read_header(ctx, &cinfo, data, size);
    if (st != BW_OK) {
        jpeg_destroy_decompress(&cinfo);
        return st;
    }
    const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK ||
                      cinfo.jpeg_color_space == JCS_YCCK;
    if (cmyk)
        cinfo.out_color_space = JCS_CMYK;
    else if (cinfo.jpeg_color_space == JCS_GRAYSCALE)
        cinfo.out_color_space = JCS_GRAYSCALE;
    else
        cinfo.out_color_space = JCS_RGB;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    if (options & DC_ONLY) {
        /* The 1x1 inverse DCT reads the DC coefficient alone; smoothing
         * would only estimate the AC coefficients left out. */
        cinfo.scale_num = 1;
        cinfo.scale_denom = 8;
        cinfo.do_block_smoothing = FALSE;
    } else if (options & BWI_DECODE_FAST) {
        cinfo.scale_num = 1;
        cinfo.scale_denom = fast_denominator(cinfo.image_width, cinfo.image_height);
        cinfo.dct_method = JDCT_IFAST;
        /* Fancy upsampling stays on: libjpeg-turbo 2.1's row skipping
         * misreads the stream with the merged (non-fancy) upsampler. */
    }
    jpeg_start_decompress(&cinfo);

    const int channels = cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3;
    const bwi_frame frame = {cinfo.output_width, cinfo.output_height,
                             cinfo.image_width, cinfo.image_height, channels,
                             BWI_GREY_BY_CONTENT, BW_FORMAT_JPEG};
    if ((st = sink->begin(sink, ctx, &frame)) != BW_OK) {
        jpeg_destroy_decompress(&cinfo);
        return st;
    }
    row = malloc((size_t)cinfo.output_width * (size_t)cinfo.output_components);
    if (cmyk)
        rgb = malloc((size_t)cinfo.output_width * 3);
    if (!row || (cmyk && !rgb)) {
        g.status = bwi_fail(ctx, BW_ERR_NOMEM, "JPEG: cannot allocate a row");
        longjmp(g.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        const uint32_t y = cinfo.output_scanline;
        uint32_t skip = 0;
        while (y + skip < cinfo.output_height && !sink->wants(sink, y + skip))
            skip++;
        if (skip) {
            jpeg_skip_scanlines(&cinfo, skip);
            continue;
        }
        JSAMPROW rows[1] = {row};
        if (jpeg_read_scanlines(&cinfo, rows, 1) != 1)
            break;
        if (cmyk) {
            cmyk_to_rgb(row, rgb, cinfo.output_width);
            sink->row(sink, y, rgb);
        } else {
            sink->row(sink, y, row);
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    free(rgb);
    return BW_OK;
}

/* The smallest side, in pixels, of a progressive file decoded without
 * luma's AC scans: below it the 1/8 image drifts further from the exact
 * hash (docs/performance.md has the distances), and the file is small
 * enough to decode whole. */
#define DC_MIN_SIDE 2048

bw_status bwi_decode_jpeg(bw_ctx *ctx, const uint8_t *data, size_t size,
                          bwi_sink *sink, unsigned options)
{
    bwi_jpeg_dc dc;
    if ((options & BWI_DECODE_FAST) && bwi_jpeg_dc_scans(data, size, DC_MIN_SIDE, &dc)) {
        const bw_status st = decode(ctx, dc.data, dc.size, sink, DC_ONLY);
        free(dc.data);
        return st;
    }
    return decode(ctx, data, size, sink, options);
}

/*
 * PNG through libpng. Palette and low-bit grey are expanded, alpha and tRNS
 * ignored and 16-bit samples rounded to 8 bits as ImageMagick does; no
 * gamma or colour-profile transform is applied (the reference applies none).
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "decode_internal.h"

typedef struct png_reader {
    const uint8_t *data;
    size_t size;
    size_t pos;
    bw_ctx *ctx;
    bw_status status;
} png_reader;

static void on_read(png_structp png, png_bytep out, size_t n)
{
    png_reader *r = png_get_io_ptr(png);
    if (n > r->size - r->pos) {
        r->status = bwi_fail(r->ctx, BW_ERR_TRUNCATED,
                             "PNG: data ends after %zu bytes", r->size);
        png_longjmp(png, 1);
    }
    memcpy(out, r->data + r->pos, n);
    r->pos += n;
}

static void on_error(png_structp png, png_const_charp msg)
{
    png_reader *r = png_get_error_ptr(png);
    if (r->status == BW_OK)
        r->status = bwi_fail(r->ctx, BW_ERR_CORRUPT, "PNG: %s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Reads the header; on return the transforms are set and rowbytes known. */
static bw_status open_png(bw_ctx *ctx, png_structp png, png_infop info,
                          png_uint_32 *w, png_uint_32 *h, int *channels,
                          int *depth, int *passes)
{
    png_read_info(png, info);
    int bit_depth, color_type, interlace;
    png_get_IHDR(png, info, w, h, &bit_depth, &color_type, &interlace, NULL,
                 NULL);
    bw_status st = bwi_check_dimensions(ctx, "PNG", *w, *h);
    if (st != BW_OK)
        return st;
    if (color_type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    /* Palette expansion turns tRNS into an alpha channel: drop it too. */
    if ((color_type & PNG_COLOR_MASK_ALPHA) ||
        png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_strip_alpha(png);
    *passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    *channels = png_get_channels(png, info);
    *depth = png_get_bit_depth(png, info);
    if ((*channels != 1 && *channels != 3) || (*depth != 8 && *depth != 16))
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED,
                        "PNG: unexpected layout (%d channels, %d bits)",
                        *channels, *depth);
    return BW_OK;
}

static png_structp create(png_reader *r, png_infop *info)
{
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, r, on_error, on_warning);
    if (!png)
        return NULL;
    *info = png_create_info_struct(png);
    if (!*info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return NULL;
    }
    png_set_read_fn(png, r, on_read);
    /* Refuse decompression bombs in ancillary chunks. */
    png_set_chunk_malloc_max(png, 8u << 20);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    return png;
}

/*
 * Checked from the bytes before libpng sees them: the size in IHDR (libpng
 * reads every chunk up to the image data before it reports it), and that no
 * chunk claims more bytes than the file has (libpng allocates what a chunk
 * claims before reading it).
 */
static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static bw_status check_chunks(bw_ctx *ctx, const uint8_t *d, size_t size)
{
    if (size < 8 || memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "PNG: bad signature");
    if (size >= 24 && memcmp(d + 12, "IHDR", 4) == 0) {
        bw_status st = bwi_check_dimensions(ctx, "PNG", be32(d + 16), be32(d + 20));
        if (st != BW_OK)
            return st;
    }
    for (size_t pos = 8; pos + 8 <= size;) {
        const uint32_t len = be32(d + pos);
        if (len > 0x7fffffffu || len > size - pos - 8)
            return bwi_fail(ctx, BW_ERR_TRUNCATED,
                            "PNG: chunk '%.4s' claims %u bytes, %zu remain",
                            (const char *)d + pos + 4, len, size - pos - 8);
        if (memcmp(d + pos + 4, "IEND", 4) == 0)
            break;
        pos += (size_t)len + 12;
    }
    return BW_OK;
}

bw_status bwi_probe_png(bw_ctx *ctx, const uint8_t *data, size_t size,
                        uint32_t *w, uint32_t *h)
{
    bw_status early = check_chunks(ctx, data, size);
    if (early != BW_OK)
        return early;
    png_reader r = {data, size, 0, ctx, BW_OK};
    png_infop info;
    png_structp png = create(&r, &info);
    if (!png)
        return bwi_fail(ctx, BW_ERR_NOMEM, "PNG: cannot create a reader");
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return r.status != BW_OK ? r.status : BW_ERR_CORRUPT;
    }
    png_read_info(png, info);
    *w = png_get_image_width(png, info);
    *h = png_get_image_height(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    return BW_OK;
}

static void narrow16(uint8_t *row, size_t samples)
{
    for (size_t i = 0; i < samples; i++)
        row[i] = bwi_scale16to8(((unsigned)row[2 * i] << 8) | row[2 * i + 1]);
}

bw_status bwi_decode_png(bw_ctx *ctx, const uint8_t *data, size_t size,
                         bwi_sink *sink, unsigned options)
{
    (void)options;
    bw_status early = check_chunks(ctx, data, size);
    if (early != BW_OK)
        return early;
    png_reader r = {data, size, 0, ctx, BW_OK};
    png_infop info;
    png_structp png = create(&r, &info);
    if (!png)
        return bwi_fail(ctx, BW_ERR_NOMEM, "PNG: cannot create a reader");
    uint8_t *volatile buf = NULL;
    uint8_t *volatile narrow = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(buf);
        free(narrow);
        return r.status != BW_OK ? r.status : BW_ERR_CORRUPT;
    }
    png_uint_32 w, h;
    int channels, depth, passes;
    bw_status st = open_png(ctx, png, info, &w, &h, &channels, &depth, &passes);
    if (st != BW_OK)
        goto out;
    const bwi_frame frame = {w, h, w, h, channels, BWI_GREY_BY_CONTENT,
                             BW_FORMAT_PNG};
    if ((st = sink->begin(sink, ctx, &frame)) != BW_OK)
        goto out;
    const size_t rowbytes = png_get_rowbytes(png, info);
    const size_t samples = (size_t)w * (size_t)channels;
    if (passes == 1) {
        buf = malloc(rowbytes);
        if (!buf) {
            st = bwi_fail(ctx, BW_ERR_NOMEM, "PNG: cannot allocate a row");
            goto out;
        }
        for (png_uint_32 y = 0; y < h; y++) {
            png_read_row(png, buf, NULL);
            if ((st = bwi_deadline_check(ctx, "PNG")) != BW_OK)
                goto out;
            if (depth == 16)
                narrow16(buf, samples);
            sink->row(sink, y, buf);
        }
    } else {
        /* Interlaced rows arrive in seven passes: assemble them first. */
        buf = malloc(rowbytes * h);
        png_bytep *rows = buf ? malloc(sizeof(png_bytep) * h) : NULL;
        if (!rows) {
            st = bwi_fail(ctx, BW_ERR_NOMEM, "PNG: cannot allocate %ux%u", w, h);
            goto out;
        }
        for (png_uint_32 y = 0; y < h; y++)
            rows[y] = buf + rowbytes * y;
        narrow = (uint8_t *)rows; /* freed on a longjmp */
        png_read_image(png, rows);
        if ((st = bwi_deadline_check(ctx, "PNG")) != BW_OK)
            goto out;
        for (png_uint_32 y = 0; y < h; y++) {
            if (depth == 16)
                narrow16(rows[y], samples);
            sink->row(sink, y, rows[y]);
        }
    }
    png_read_end(png, NULL);
out:
    png_destroy_read_struct(&png, &info, NULL);
    free(buf);
    free(narrow);
    return st;
}

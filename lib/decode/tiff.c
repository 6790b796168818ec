/*
 * TIFF through libtiff: the first directory, any photometric interpretation
 * libtiff's RGBA interface knows (RGB, grey, palette, CMYK, YCbCr, LogLuv),
 * in the order rows are stored (ImageMagick ignores the Orientation tag, and
 * so does the reference). Errors go to per-handle callbacks (libtiff 4.5),
 * never to a process-wide handler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "decode_internal.h"
#include "im_colour.h"

typedef struct tiff_reader {
    const uint8_t *data;
    size_t size;
    size_t pos;
    bw_ctx *ctx;
    char error[256];
} tiff_reader;

static tmsize_t on_read(thandle_t h, void *buf, tmsize_t n)
{
    tiff_reader *r = h;
    if (n <= 0)
        return 0;
    size_t left = r->pos < r->size ? r->size - r->pos : 0;
    size_t take = (size_t)n < left ? (size_t)n : left;
    memcpy(buf, r->data + r->pos, take);
    r->pos += take;
    return (tmsize_t)take;
}

static tmsize_t on_write(thandle_t h, void *buf, tmsize_t n)
{
    (void)h, (void)buf, (void)n;
    return -1;
}

static toff_t on_seek(thandle_t h, toff_t off, int whence)
{
    tiff_reader *r = h;
    uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? r->pos : r->size;
    uint64_t to = base + off;
    if (to > (uint64_t)SIZE_MAX)
        return (toff_t)-1;
    r->pos = (size_t)to;
    return to;
}

static int on_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t on_size(thandle_t h)
{
    return ((tiff_reader *)h)->size;
}

/* libtiff's own messages: fmt is its format, with its arguments. */
__attribute__((format(printf, 4, 0)))
static int on_error(TIFF *tif, void *user, const char *module, const char *fmt,
                    va_list ap)
{
    (void)tif;
    (void)module;
    tiff_reader *r = user;
    if (!r->error[0])
        vsnprintf(r->error, sizeof r->error, fmt, ap);
    return 1;
}

static int on_warning(TIFF *tif, void *user, const char *module,
                      const char *fmt, va_list ap)
{
    (void)tif, (void)user, (void)module, (void)fmt, (void)ap;
    return 1;
}

static TIFF *open_tiff(bw_ctx *ctx, tiff_reader *r, bw_status *st)
{
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (!opts) {
        *st = bwi_fail(ctx, BW_ERR_NOMEM, "TIFF: cannot allocate options");
        return NULL;
    }
    TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, r);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, r);
    /* No single libtiff allocation may exceed what the pixel limit allows. */
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts, (tmsize_t)(ctx->limit_pixels * 8));
    /* 'm': never memory-map; 'h': read only the header directory. */
    TIFF *tif = TIFFClientOpenExt("input", "rm", r, on_read, on_write, on_seek,
                                  on_close, on_size, NULL, NULL, opts);
    TIFFOpenOptionsFree(opts);
    if (!tif) {
        *st = bwi_fail(ctx, r->pos >= r->size ? BW_ERR_TRUNCATED : BW_ERR_CORRUPT,
                       "TIFF: %s", r->error[0] ? r->error : "cannot open");
        return NULL;
    }
    uint32_t w = 0, h = 0;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    if ((*st = bwi_check_dimensions(ctx, "TIFF", w, h)) != BW_OK) {
        TIFFClose(tif);
        return NULL;
    }
    return tif;
}

bw_status bwi_probe_tiff(bw_ctx *ctx, const uint8_t *data, size_t size,
                         uint32_t *w, uint32_t *h)
{
    tiff_reader r = {data, size, 0, ctx, {0}};
    bw_status st;
    TIFF *tif = open_tiff(ctx, &r, &st);
    if (!tif)
        return st;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, h);
    TIFFClose(tif);
    return BW_OK;
}

#define BAND_ROWS 64

/*
 * libtiff's conversions of CMYK and of 16-bit colour maps round differently
 * from ImageMagick's. Its RGBA interface exposes the routine that packs raw
 * samples into the raster, so CMYK gets ImageMagick's arithmetic there, and
 * the colour map is rewritten to 8-bit entries rounded the same way.
 */
static void put_cmyk8(TIFFRGBAImage *img, uint32_t *cp, uint32_t x, uint32_t y,
                      uint32_t w, uint32_t h, int32_t fromskew, int32_t toskew,
                      unsigned char *pp)
{
    (void)x, (void)y;
    const int spp = img->samplesperpixel;
    for (; h > 0; h--) {
        for (uint32_t i = 0; i < w; i++, pp += spp) {
            uint8_t rgb[3];
            bwi_im_cmyk_to_rgb(pp, rgb, 0);
            *cp++ = (uint32_t)rgb[0] | ((uint32_t)rgb[1] << 8) |
                    ((uint32_t)rgb[2] << 16) | 0xFF000000u;
        }
        cp += toskew;
        pp += (ptrdiff_t)fromskew * spp;
    }
}

static void round_colormap(TIFF *tif)
{
    uint16_t photometric = 0, bits = 0, *r, *g, *b;
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric) ||
        photometric != PHOTOMETRIC_PALETTE ||
        !TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits) || bits > 8 ||
        !TIFFGetField(tif, TIFFTAG_COLORMAP, &r, &g, &b))
        return;
    const size_t n = (size_t)1 << bits;
    uint16_t *map = malloc(3 * n * sizeof *map);
    if (!map)
        return;
    for (size_t i = 0; i < n; i++) {
        /* Entries under 256 make libtiff take the map as 8-bit as it is. */
        map[i] = bwi_scale16to8(r[i]);
        map[n + i] = bwi_scale16to8(g[i]);
        map[2 * n + i] = bwi_scale16to8(b[i]);
    }
    TIFFSetField(tif, TIFFTAG_COLORMAP, map, map + n, map + 2 * n);
    free(map);
}

static bool is_cmyk8(TIFF *tif)
{
    uint16_t photometric = 0, bits = 0, spp = 0, planar = 0, inkset = INKSET_CMYK;
    TIFFGetFieldDefaulted(tif, TIFFTAG_PHOTOMETRIC, &photometric);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_INKSET, &inkset);
    return photometric == PHOTOMETRIC_SEPARATED && bits == 8 && spp >= 4 &&
           planar == PLANARCONFIG_CONTIG && inkset == INKSET_CMYK;
}

bw_status bwi_decode_tiff(bw_ctx *ctx, const uint8_t *data, size_t size,
                          bwi_sink *sink, unsigned options)
{
    (void)options;
    tiff_reader r = {data, size, 0, ctx, {0}};
    bw_status st;
    TIFF *tif = open_tiff(ctx, &r, &st);
    if (!tif)
        return st;
    char why[1024] = {0};
    /* libtiff's RGBA interface premultiplies by alpha; ImageMagick (and so
     * the reference) ignores alpha. Calling every extra sample unspecified
     * makes libtiff pass colour through untouched. */
    uint16_t extra_count = 0;
    uint16_t *extra_kinds = NULL;
    if (TIFFGetField(tif, TIFFTAG_EXTRASAMPLES, &extra_count, &extra_kinds) &&
        extra_count > 0) {
        uint16_t plain[16] = {0};
        if (extra_count <= 16)
            TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, extra_count, plain);
    }
    round_colormap(tif);
    TIFFRGBAImage img;
    uint32_t *band = NULL;
    uint8_t *rgb = NULL;
    bool begun = false;
    if (!TIFFRGBAImageOK(tif, why) || !TIFFRGBAImageBegin(&img, tif, 0, why)) {
        st = bwi_fail(ctx, BW_ERR_UNSUPPORTED, "TIFF: %s",
                      why[0] ? why : "unsupported layout");
        goto out;
    }
    begun = true;
    if (is_cmyk8(tif))
        img.put.contig = put_cmyk8;
    /* Rows as stored: ask for the file's own orientation, so none is undone. */
    img.req_orientation = img.orientation;
    const uint32_t w = img.width, h = img.height;
    const bwi_frame frame = {w, h, w, h, 3, BWI_GREY_BY_CONTENT, BW_FORMAT_TIFF};
    if ((st = sink->begin(sink, ctx, &frame)) != BW_OK)
        goto out;
    band = malloc((size_t)w * BAND_ROWS * sizeof(uint32_t));
    rgb = malloc((size_t)w * 3);
    if (!band || !rgb) {
        st = bwi_fail(ctx, BW_ERR_NOMEM, "TIFF: cannot allocate a band");
        goto out;
    }
    for (uint32_t y0 = 0; y0 < h; y0 += BAND_ROWS) {
        const uint32_t n = h - y0 < BAND_ROWS ? h - y0 : BAND_ROWS;
        bool any = false;
        for (uint32_t i = 0; i < n && !any; i++)
            any = sink->wants(sink, y0 + i);
        if (!any)
            continue;
        if ((st = bwi_deadline_check(ctx, "TIFF")) != BW_OK)
            goto out;
        img.row_offset = (int)y0;
        img.col_offset = 0;
        if (!TIFFRGBAImageGet(&img, band, w, n) || r.error[0]) {
            st = bwi_fail(ctx, r.pos >= r.size ? BW_ERR_TRUNCATED : BW_ERR_CORRUPT,
                          "TIFF: %s", r.error[0] ? r.error : "cannot read pixels");
            goto out;
        }
        for (uint32_t i = 0; i < n; i++) {
            const uint32_t *src = band + (size_t)i * w;
            for (uint32_t x = 0; x < w; x++) {
                rgb[3 * x] = (uint8_t)TIFFGetR(src[x]);
                rgb[3 * x + 1] = (uint8_t)TIFFGetG(src[x]);
                rgb[3 * x + 2] = (uint8_t)TIFFGetB(src[x]);
            }
            sink->row(sink, y0 + i, rgb);
        }
    }
out:
    if (begun)
        TIFFRGBAImageEnd(&img);
    free(band);
    free(rgb);
    TIFFClose(tif);
    return st;
}

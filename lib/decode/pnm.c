/*
 * Netpbm: PBM, PGM and PPM (plain and raw) and PAM, written here from the
 * netpbm format pages. Samples of any maxval are scaled to 8 bits the way
 * ImageMagick scales them, so 8-bit files pass through unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"

typedef struct pnm_header {
    int kind;          /* 1..7 from "P1".."P7" */
    uint32_t width;
    uint32_t height;
    uint32_t maxval;
    unsigned depth;    /* samples per pixel in the file */
    size_t data;       /* offset of the first sample */
} pnm_header;

typedef struct cursor {
    const uint8_t *d;
    size_t size;
    size_t pos;
} cursor;

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* Skips whitespace and '#' comments. */
static void skip_blank(cursor *c)
{
    while (c->pos < c->size) {
        if (c->d[c->pos] == '#') {
            while (c->pos < c->size && c->d[c->pos] != '\n')
                c->pos++;
        } else if (is_space(c->d[c->pos])) {
            c->pos++;
        } else {
            break;
        }
    }
}

/* A decimal number up to limit; false on none, overflow or end of data. */
static bool read_uint(cursor *c, uint32_t limit, uint32_t *out)
{
    skip_blank(c);
    if (c->pos >= c->size || c->d[c->pos] < '0' || c->d[c->pos] > '9')
        return false;
    uint64_t v = 0;
    while (c->pos < c->size && c->d[c->pos] >= '0' && c->d[c->pos] <= '9') {
        v = v * 10 + (uint64_t)(c->d[c->pos++] - '0');
        if (v > limit)
            return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* PAM header: "KEY value" lines up to ENDHDR. */
static bw_status parse_pam(bw_ctx *ctx, cursor *c, pnm_header *h)
{
    bool have_w = false, have_h = false, have_d = false, have_m = false;
    for (;;) {
        skip_blank(c);
        size_t start = c->pos;
        while (c->pos < c->size && !is_space(c->d[c->pos]))
            c->pos++;
        size_t len = c->pos - start;
        const char *key = (const char *)c->d + start;
        if (len == 0)
            return bwi_fail(ctx, BW_ERR_TRUNCATED, "PAM: header is cut short");
        if (len == 6 && !memcmp(key, "ENDHDR", 6)) {
            if (c->pos >= c->size)
                return bwi_fail(ctx, BW_ERR_TRUNCATED, "PAM: no pixel data");
            c->pos++; /* the newline after ENDHDR */
            break;
        }
        if (len == 8 && !memcmp(key, "TUPLTYPE", 8)) {
            while (c->pos < c->size && c->d[c->pos] != '\n')
                c->pos++;
            continue;
        }
        uint32_t v;
        if (!read_uint(c, 0xFFFFFFF, &v))
            return bwi_fail(ctx, BW_ERR_CORRUPT, "PAM: bad value for %.*s",
                            (int)(len > 16 ? 16 : len), key);
        if (len == 5 && !memcmp(key, "WIDTH", 5))
            h->width = v, have_w = true;
        else if (len == 6 && !memcmp(key, "HEIGHT", 6))
            h->height = v, have_h = true;
        else if (len == 5 && !memcmp(key, "DEPTH", 5))
            h->depth = v, have_d = true;
        else if (len == 6 && !memcmp(key, "MAXVAL", 6))
            h->maxval = v, have_m = true;
        else
            return bwi_fail(ctx, BW_ERR_CORRUPT, "PAM: unknown header line %.*s",
                            (int)(len > 16 ? 16 : len), key);
    }
    if (!have_w || !have_h || !have_d || !have_m)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "PAM: header lacks a required field");
    if (h->depth < 1 || h->depth > 4)
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED, "PAM: depth %u", h->depth);
    return BW_OK;
}

static bw_status parse_header(bw_ctx *ctx, const uint8_t *d, size_t size,
                              pnm_header *h)
{
    memset(h, 0, sizeof *h);
    if (size < 3 || d[0] != 'P' || d[1] < '1' || d[1] > '7')
        return bwi_fail(ctx, size < 3 ? BW_ERR_TRUNCATED : BW_ERR_CORRUPT,
                        "PNM: not a netpbm header");
    cursor c = {d, size, 2};
    h->kind = d[1] - '0';
    bw_status st;
    if (h->kind == 7) {
        if ((st = parse_pam(ctx, &c, h)) != BW_OK)
            return st;
    } else {
        if (!read_uint(&c, 0xFFFFFFF, &h->width) ||
            !read_uint(&c, 0xFFFFFFF, &h->height))
            return bwi_fail(ctx, c.pos >= size ? BW_ERR_TRUNCATED : BW_ERR_CORRUPT,
                            "PNM: invalid width or height");
        if (h->kind == 1 || h->kind == 4) {
            h->maxval = 1;
        } else if (!read_uint(&c, 0xFFFFFFF, &h->maxval)) {
            return bwi_fail(ctx, c.pos >= size ? BW_ERR_TRUNCATED : BW_ERR_CORRUPT,
                            "PNM: invalid maximum value");
        }
        h->depth = (h->kind == 3 || h->kind == 6) ? 3 : 1;
        /* Exactly one whitespace byte separates the header from raw data. */
        if (c.pos >= size || !is_space(d[c.pos]))
            return bwi_fail(ctx, BW_ERR_TRUNCATED, "PNM: no pixel data");
        c.pos++;
    }
    if (h->maxval == 0 || h->maxval > 65535)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "PNM: maximum value %u is out of range",
                        h->maxval);
    h->data = c.pos;
    return bwi_check_dimensions(ctx, "PNM", h->width, h->height);
}

bw_status bwi_probe_pnm(bw_ctx *ctx, const uint8_t *data, size_t size,
                        uint32_t *w, uint32_t *h)
{
    pnm_header hd;
    bw_status st = parse_header(ctx, data, size, &hd);
    if (st == BW_OK) {
        *w = hd.width;
        *h = hd.height;
    }
    return st;
}

/* Sample of any maxval to 8 bits: ImageMagick first scales to its 16-bit
 * range with rounding, then rounds that to 8 bits. */
static uint8_t to8(uint32_t v, uint32_t maxval)
{
    if (maxval == 255)
        return (uint8_t)v;
    const uint32_t q = (uint32_t)((65535.0 * v) / maxval + 0.5);
    return bwi_scale16to8(q);
}

bw_status bwi_decode_pnm(bw_ctx *ctx, const uint8_t *d, size_t size,
                         bwi_sink *sink, unsigned options)
{
    (void)options;
    pnm_header h;
    bw_status st = parse_header(ctx, d, size, &h);
    if (st != BW_OK)
        return st;
    const bool bits = h.kind == 1 || h.kind == 4 ||
                      (h.kind == 7 && h.maxval == 1 && h.depth <= 2);
    const bool ascii = h.kind >= 1 && h.kind <= 3;
    const unsigned colour = h.depth >= 3 ? 3 : 1; /* alpha dropped */
    const unsigned bytes_per_sample = h.maxval > 255 ? 2 : 1;
    size_t row_bytes;
    if (h.kind == 4)
        row_bytes = ((size_t)h.width + 7) / 8;
    else
        row_bytes = (size_t)h.width * h.depth * bytes_per_sample;
    if (!ascii && row_bytes * h.height > size - h.data)
        return bwi_fail(ctx, BW_ERR_TRUNCATED,
                        "PNM: pixel data is cut short (%zu of %zu bytes)",
                        size - h.data, row_bytes * h.height);

    /* The reference's own PPM loader always keeps three channels. */
    const bwi_frame frame = {h.width, h.height, h.width, h.height, (int)colour,
                             (h.kind == 3 || h.kind == 6) ? BWI_GREY_NEVER
                                                          : BWI_GREY_BY_CONTENT,
                             BW_FORMAT_PNM};
    uint8_t *out = malloc((size_t)h.width * colour);
    if (!out)
        return bwi_fail(ctx, BW_ERR_NOMEM, "PNM: cannot allocate a row");
    if ((st = sink->begin(sink, ctx, &frame)) != BW_OK) {
        free(out);
        return st;
    }
    cursor c = {d, size, h.data};
    for (uint32_t y = 0; y < h.height; y++) {
        const uint8_t *row = d + h.data + (size_t)y * row_bytes;
        if (!ascii && !sink->wants(sink, y))
            continue;
        for (uint32_t x = 0; x < h.width; x++) {
            for (unsigned s = 0; s < h.depth; s++) {
                uint32_t v;
                if (h.kind == 4) {
                    v = (row[x / 8] >> (7 - x % 8)) & 1;
                } else if (h.kind == 1) {
                    /* Plain PBM digits need not be separated. */
                    skip_blank(&c);
                    if (c.pos >= size || (d[c.pos] != '0' && d[c.pos] != '1')) {
                        free(out);
                        return bwi_fail(ctx, c.pos >= size ? BW_ERR_TRUNCATED
                                                           : BW_ERR_CORRUPT,
                                        "PBM: bad or missing bit at row %u", y);
                    }
                    v = d[c.pos++] - '0';
                } else if (ascii) {
                    if (!read_uint(&c, h.maxval, &v)) {
                        free(out);
                        return bwi_fail(ctx, c.pos >= size ? BW_ERR_TRUNCATED
                                                           : BW_ERR_CORRUPT,
                                        "PNM: bad or missing sample at row %u", y);
                    }
                } else {
                    const size_t i = ((size_t)x * h.depth + s) * bytes_per_sample;
                    v = bytes_per_sample == 2 ? ((uint32_t)row[i] << 8) | row[i + 1]
                                              : row[i];
                    if (v > h.maxval) {
                        free(out);
                        return bwi_fail(ctx, BW_ERR_CORRUPT,
                                        "PNM: sample %u over maximum %u at row %u",
                                        v, h.maxval, y);
                    }
                }
                if (s >= colour)
                    continue;
                /* In PBM (and PAM black-and-white) 1 is black. */
                out[(size_t)x * colour + s] =
                    bits ? (h.kind == 7 ? (v ? 255 : 0) : (v ? 0 : 255))
                         : to8(v, h.maxval);
            }
        }
        sink->row(sink, y, out);
    }
    free(out);
    return BW_OK;
}

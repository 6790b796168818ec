/*
 * BMP, written here from Microsoft's format description: core (OS/2) and
 * info headers up to V5; 1/2/4/8-bit palettes, 16/24/32-bit direct colour,
 * bit-field masks, RLE4 and RLE8. Everything is bounds-checked against the
 * input; nothing is trusted from the header.
 */
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"

enum { BI_RGB = 0, BI_RLE8 = 1, BI_RLE4 = 2, BI_BITFIELDS = 3,
       BI_ALPHABITFIELDS = 6 };

typedef struct bmp_header {
    uint32_t data_offset;
    uint32_t header_size;
    int64_t width;
    int64_t height; /* negative: rows stored top-down */
    unsigned bpp;
    uint32_t compression;
    uint32_t colors_used;
    uint32_t mask[3]; /* R, G, B */
    size_t palette_offset;
    unsigned palette_entry_size; /* 3 (core header) or 4 */
} bmp_header;

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static bw_status parse_header(bw_ctx *ctx, const uint8_t *d, size_t size,
                              bmp_header *h)
{
    memset(h, 0, sizeof *h);
    if (size < 18)
        return bwi_fail(ctx, BW_ERR_TRUNCATED, "BMP: file is only %zu bytes", size);
    h->data_offset = le32(d + 10);
    h->header_size = le32(d + 14);
    if (h->header_size == 12) {
        if (size < 26)
            return bwi_fail(ctx, BW_ERR_TRUNCATED, "BMP: header is cut short");
        h->width = le16(d + 18);
        h->height = le16(d + 20);
        h->bpp = le16(d + 24);
        h->palette_entry_size = 3;
    } else if (h->header_size >= 40 && h->header_size <= 1024) {
        if (size < 14 + (size_t)40)
            return bwi_fail(ctx, BW_ERR_TRUNCATED, "BMP: header is cut short");
        h->width = (int32_t)le32(d + 18);
        h->height = (int32_t)le32(d + 22);
        h->bpp = le16(d + 28);
        h->compression = le32(d + 30);
        h->colors_used = le32(d + 46);
        h->palette_entry_size = 4;
    } else {
        return bwi_fail(ctx, BW_ERR_CORRUPT, "BMP: unknown header size %u",
                        h->header_size);
    }
    h->palette_offset = 14 + (size_t)h->header_size;
    if (h->width <= 0 || h->height == 0)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "BMP: invalid size %lldx%lld",
                        (long long)h->width, (long long)h->height);
    bw_status st = bwi_check_dimensions(ctx, "BMP", (uint64_t)h->width,
                                        (uint64_t)(h->height < 0 ? -h->height
                                                                 : h->height));
    if (st != BW_OK)
        return st;

    switch (h->bpp) {
    case 1: case 2: case 4: case 8: case 16: case 24: case 32:
        break;
    default:
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED, "BMP: %u bits per pixel", h->bpp);
    }
    switch (h->compression) {
    case BI_RGB:
        if (h->bpp == 16) {
            h->mask[0] = 0x7C00, h->mask[1] = 0x03E0, h->mask[2] = 0x001F;
        } else if (h->bpp == 32) {
            h->mask[0] = 0xFF0000, h->mask[1] = 0xFF00, h->mask[2] = 0xFF;
        }
        break;
    case BI_RLE8:
    case BI_RLE4:
        if (h->bpp != (h->compression == BI_RLE8 ? 8u : 4u))
            return bwi_fail(ctx, BW_ERR_CORRUPT,
                            "BMP: RLE compression with %u bits per pixel", h->bpp);
        if (h->height < 0)
            return bwi_fail(ctx, BW_ERR_CORRUPT, "BMP: top-down RLE image");
        break;
    case BI_BITFIELDS:
    case BI_ALPHABITFIELDS: {
        if (h->bpp != 16 && h->bpp != 32)
            return bwi_fail(ctx, BW_ERR_CORRUPT,
                            "BMP: bit fields with %u bits per pixel", h->bpp);
        /* Masks sit in the V2+ header, or just after a plain info header. */
        const size_t at = 14 + 40;
        if (size < at + 12)
            return bwi_fail(ctx, BW_ERR_TRUNCATED, "BMP: colour masks are cut short");
        for (int i = 0; i < 3; i++)
            h->mask[i] = le32(d + at + 4 * (size_t)i);
        if (h->header_size == 40)
            h->palette_offset += h->compression == BI_BITFIELDS ? 12 : 16;
        for (int i = 0; i < 3; i++)
            if (h->mask[i] == 0)
                return bwi_fail(ctx, BW_ERR_CORRUPT, "BMP: empty colour mask");
        break;
    }
    default:
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED, "BMP: compression type %u",
                        h->compression);
    }
    if (h->data_offset >= size)
        return bwi_fail(ctx, BW_ERR_TRUNCATED, "BMP: pixel data missing");
    return BW_OK;
}

bw_status bwi_probe_bmp(bw_ctx *ctx, const uint8_t *data, size_t size,
                        uint32_t *w, uint32_t *h)
{
    bmp_header hd;
    bw_status st = parse_header(ctx, data, size, &hd);
    if (st == BW_OK) {
        *w = (uint32_t)hd.width;
        *h = (uint32_t)(hd.height < 0 ? -hd.height : hd.height);
    }
    return st;
}

/* A mask's field widened to 8 bits by repeating its bits, as ImageMagick
 * does (5 bits abcde become abcdeabc). */
typedef struct field {
    unsigned shift;
    unsigned bits;
} field;

static field field_of(uint32_t mask)
{
    field f = {0, 0};
    while (!(mask & 1)) {
        mask >>= 1;
        f.shift++;
    }
    while (mask & 1) {
        mask >>= 1;
        f.bits++;
    }
    return f;
}

static uint8_t widen(uint32_t pixel, field f)
{
    uint32_t v = (pixel >> f.shift) & ((f.bits >= 32 ? 0 : (1u << f.bits)) - 1);
    if (f.bits >= 8)
        return (uint8_t)(v >> (f.bits - 8));
    uint32_t out = 0;
    int filled = 0;
    while (filled < 8) {
        out = (out << f.bits) | v;
        filled += (int)f.bits;
    }
    return (uint8_t)(out >> (filled - 8));
}

/* RLE-coded palette indices into a bottom-up index buffer (zeroed first:
 * pixels the stream skips take palette entry 0). */
static bw_status unpack_rle(bw_ctx *ctx, const uint8_t *src, size_t n,
                            uint8_t *idx, uint32_t w, uint32_t h, bool four)
{
    size_t p = 0;
    uint32_t x = 0, y = 0; /* y counts from the bottom row */
    while (y < h) {
        if (p + 2 > n)
            return bwi_fail(ctx, BW_ERR_TRUNCATED, "BMP: RLE data is cut short");
        const uint8_t count = src[p], value = src[p + 1];
        p += 2;
        if (count) {
            for (unsigned i = 0; i < count && x < w; i++, x++)
                idx[(size_t)y * w + x] =
                    four ? (i & 1 ? value & 0x0F : value >> 4) : value;
            continue;
        }
        if (value == 0) { /* end of line */
            x = 0;
            y++;
        } else if (value == 1) { /* end of bitmap */
            return BW_OK;
        } else if (value == 2) { /* delta */
            if (p + 2 > n)
                return bwi_fail(ctx, BW_ERR_TRUNCATED, "BMP: RLE data is cut short");
            x += src[p];
            y += src[p + 1];
            p += 2;
        } else { /* literal run of `value` pixels, padded to 16 bits */
            const size_t bytes = four ? (value + 1u) / 2 : value;
            if (p + bytes > n)
                return bwi_fail(ctx, BW_ERR_TRUNCATED, "BMP: RLE data is cut short");
            for (unsigned i = 0; i < value && x < w; i++, x++)
                idx[(size_t)y * w + x] =
                    four ? (i & 1 ? src[p + i / 2] & 0x0F : src[p + i / 2] >> 4)
                         : src[p + i];
            p += (bytes + 1) & ~(size_t)1;
        }
    }
    return BW_OK;
}

bw_status bwi_decode_bmp(bw_ctx *ctx, const uint8_t *d, size_t size,
                         bwi_sink *sink, unsigned options)
{
    (void)options;
    bmp_header h;
    bw_status st = parse_header(ctx, d, size, &h);
    if (st != BW_OK)
        return st;
    const uint32_t w = (uint32_t)h.width;
    const uint32_t rows = (uint32_t)(h.height < 0 ? -h.height : h.height);
    const bool top_down = h.height < 0;

    uint8_t palette[256][3] = {{0}};
    unsigned palette_size = 0;
    if (h.bpp <= 8) {
        palette_size = h.colors_used ? h.colors_used : 1u << h.bpp;
        if (palette_size > 256)
            palette_size = 256;
        const size_t bytes = (size_t)palette_size * h.palette_entry_size;
        if (h.palette_offset + bytes > size)
            return bwi_fail(ctx, BW_ERR_TRUNCATED, "BMP: palette is cut short");
        for (unsigned i = 0; i < palette_size; i++) {
            const uint8_t *e = d + h.palette_offset + (size_t)i * h.palette_entry_size;
            palette[i][0] = e[2];
            palette[i][1] = e[1];
            palette[i][2] = e[0];
        }
    }
    field fr = {0, 0}, fg = {0, 0}, fb = {0, 0};
    if (h.bpp == 16 || h.bpp == 32) {
        fr = field_of(h.mask[0]);
        fg = field_of(h.mask[1]);
        fb = field_of(h.mask[2]);
    }

    const uint8_t *src = d + h.data_offset;
    const size_t avail = size - h.data_offset;
    const size_t stride = (((size_t)w * h.bpp + 31) / 32) * 4;
    uint8_t *indices = NULL;
    const bool rle = h.compression == BI_RLE8 || h.compression == BI_RLE4;
    if (rle) {
        indices = calloc((size_t)w, rows);
        if (!indices)
            return bwi_fail(ctx, BW_ERR_NOMEM, "BMP: cannot allocate %ux%u", w, rows);
        if ((st = unpack_rle(ctx, src, avail, indices, w, rows,
                             h.compression == BI_RLE4)) != BW_OK) {
            free(indices);
            return st;
        }
    } else if (stride * rows > avail) {
        return bwi_fail(ctx, BW_ERR_TRUNCATED,
                        "BMP: pixel data is cut short (%zu of %zu bytes)", avail,
                        stride * rows);
    }

    /* The reference loads uncompressed BMPs with its own loader, which always
     * keeps three channels; compressed ones go through ImageMagick. */
    const bwi_frame frame = {w, rows, w, rows, 3,
                             h.compression == BI_RGB ? BWI_GREY_NEVER
                                                     : BWI_GREY_BY_CONTENT,
                             BW_FORMAT_BMP};
    uint8_t *rgb = malloc((size_t)w * 3);
    if (!rgb || (st = sink->begin(sink, ctx, &frame)) != BW_OK) {
        free(indices);
        free(rgb);
        return rgb ? st : bwi_fail(ctx, BW_ERR_NOMEM, "BMP: cannot allocate a row");
    }
    for (uint32_t stored = 0; stored < rows; stored++) {
        const uint32_t y = top_down ? stored : rows - 1 - stored;
        if (!sink->wants(sink, y))
            continue;
        const uint8_t *s = src + (size_t)stored * stride;
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *o = rgb + 3 * (size_t)x;
            unsigned i;
            uint32_t px;
            switch (h.bpp) {
            case 1:
            case 2:
            case 4:
            case 8:
                if (rle) {
                    i = indices[(size_t)stored * w + x];
                } else {
                    const unsigned per_byte = 8 / h.bpp;
                    const unsigned shift =
                        8 - h.bpp * (1 + x % per_byte);
                    i = (s[x / per_byte] >> shift) & ((1u << h.bpp) - 1);
                }
                if (i >= palette_size)
                    i = 0;
                memcpy(o, palette[i], 3);
                break;
            case 16:
                px = le16(s + 2 * (size_t)x);
                o[0] = widen(px, fr), o[1] = widen(px, fg), o[2] = widen(px, fb);
                break;
            case 24:
                o[0] = s[3 * (size_t)x + 2];
                o[1] = s[3 * (size_t)x + 1];
                o[2] = s[3 * (size_t)x];
                break;
            case 32:
                px = le32(s + 4 * (size_t)x);
                o[0] = widen(px, fr), o[1] = widen(px, fg), o[2] = widen(px, fb);
                break;
            }
        }
        sink->row(sink, y, rgb);
    }
    free(indices);
    free(rgb);
    return BW_OK;
}

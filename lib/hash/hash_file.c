/*
 * The fast path from file bytes to every hash: digests over the bytes, and
 * PDQ from a sink that keeps only the pixels the 512x512 nearest-neighbour
 * grid samples. Rows the grid never reads are skipped by decoders that can
 * (JPEG, BMP, PNM, TIFF), once the image is known not to be all grey.
 */
#include <stdlib.h>
#include <string.h>

#include "decode/decode_internal.h"
#include "pdq_core.h"
#include "bulwark/bw_hash.h"
#include "bulwark/bw_robust.h"

struct bw_hashes {
    unsigned flags;
    int quality;
    uint8_t pdq[BW_PDQ_BYTES];
    uint8_t dihedral[BW_PDQ_DIHEDRAL_COUNT][BW_PDQ_BYTES];
    uint8_t md5[16];
    uint8_t sha1[20];
    uint8_t sha256[32];
    bw_format format;
    uint32_t width;
    uint32_t height;
};

typedef struct grid_sink {
    bwi_sink base;
    uint8_t *grid;
    uint32_t width, height;   /* rows as the decoder delivers them */
    uint32_t full_width, full_height;
    uint32_t grid_w, grid_h;
    int channels;
    bool check_grey;
    bool grey_so_far;
    bw_format format;
    uint32_t xmap[BWI_PDQ_GRID_MAX];
} grid_sink;

/* Grid rows [lo, hi) read source row y: floor(o * h / gh) == y. */
static void grid_rows_of(const grid_sink *s, uint32_t y, uint32_t *lo, uint32_t *hi)
{
    const uint64_t gh = s->grid_h, h = s->height;
    *lo = (uint32_t)(((uint64_t)y * gh + h - 1) / h);
    *hi = (uint32_t)(((uint64_t)(y + 1) * gh + h - 1) / h);
}

static bw_status grid_begin(bwi_sink *base, bw_ctx *ctx, const bwi_frame *f)
{
    (void)ctx;
    grid_sink *s = (grid_sink *)base;
    s->width = f->width;
    s->height = f->height;
    s->full_width = f->full_width;
    s->full_height = f->full_height;
    s->channels = f->channels;
    s->format = f->format;
    s->check_grey = f->channels == 3 && f->grey == BWI_GREY_BY_CONTENT;
    s->grey_so_far = s->check_grey;
    bwi_pdq_grid_dims(f->full_width, f->full_height, &s->grid_w, &s->grid_h);
    for (uint32_t o = 0; o < s->grid_w; o++)
        s->xmap[o] = bwi_pdq_nn_index(o, f->width, s->grid_w);
    return BW_OK;
}

static bool grid_wants(bwi_sink *base, uint32_t y)
{
    grid_sink *s = (grid_sink *)base;
    if (s->grey_so_far)
        return true;
    uint32_t lo, hi;
    grid_rows_of(s, y, &lo, &hi);
    return lo < hi;
}

static void grid_row(bwi_sink *base, uint32_t y, const uint8_t *px)
{
    grid_sink *s = (grid_sink *)base;
    if (y >= s->height)
        return;
    if (s->grey_so_far) {
        const uint8_t *p = px;
        for (uint32_t x = 0; x < s->width; x++, p += 3)
            if (p[0] != p[1] || p[1] != p[2]) {
                s->grey_so_far = false;
                break;
            }
    }
    uint32_t lo, hi;
    grid_rows_of(s, y, &lo, &hi);
    const size_t stride = (size_t)s->grid_w * (size_t)s->channels;
    for (uint32_t o = lo; o < hi; o++) {
        uint8_t *out = s->grid + (size_t)o * stride;
        if (s->channels == 1) {
            for (uint32_t x = 0; x < s->grid_w; x++)
                out[x] = px[s->xmap[x]];
        } else {
            for (uint32_t x = 0; x < s->grid_w; x++)
                memcpy(out + 3 * (size_t)x, px + 3 * (size_t)s->xmap[x], 3);
        }
    }
}

/* After decoding: the grid, reduced to one channel if every pixel was grey. */
static void grid_finish(grid_sink *s, bwi_grid *grid)
{
    int channels = s->channels;
    if (s->check_grey && s->grey_so_far) {
        const size_t n = (size_t)s->grid_w * s->grid_h;
        for (size_t i = 0; i < n; i++)
            s->grid[i] = s->grid[3 * i];
        channels = 1;
    }
    grid->pixels = s->grid;
    grid->width = s->grid_w;
    grid->height = s->grid_h;
    grid->channels = channels;
    grid->stride = (size_t)s->grid_w * (size_t)channels;
}

BW_API bw_status bw_hashes_create(bw_hashes **out)
{
    if (!out)
        return BW_ERR_INVALID_ARGUMENT;
    *out = calloc(1, sizeof **out);
    return *out ? BW_OK : BW_ERR_NOMEM;
}

BW_API void bw_hashes_free(bw_hashes *hashes)
{
    free(hashes);
}

static bw_status digest_into(bw_ctx *ctx, bw_hashes *out, unsigned flag,
                             bw_digest_alg alg, uint8_t *dst, size_t dst_size,
                             const void *data, size_t size)
{
    bw_status st = bw_digest(alg, dst, dst_size, data, size);
    if (st != BW_OK)
        return bwi_fail(ctx, st, "%s failed", bw_digest_name(alg));
    out->flags |= flag;
    return BW_OK;
}

/* The start of every bw_hash_*(): out emptied, the byte limit, then the
 * digests flags ask for. */
static bw_status hash_digests(bw_ctx *ctx, bw_hashes *out, unsigned flags, const void *data,
                              size_t size)
{
    bwi_clear(ctx);
    memset(out, 0, sizeof *out);
    if (size > ctx->limit_input_bytes)
        return bwi_fail(ctx, BW_ERR_TOO_LARGE,
                        "input is %zu bytes, over the limit of %llu", size,
                        (unsigned long long)ctx->limit_input_bytes);
    bw_status st;
    if ((flags & BW_HASH_MD5) &&
        (st = digest_into(ctx, out, BW_HASH_MD5, BW_DIGEST_MD5, out->md5,
                          sizeof out->md5, data, size)) != BW_OK)
        return st;
    if ((flags & BW_HASH_SHA1) &&
        (st = digest_into(ctx, out, BW_HASH_SHA1, BW_DIGEST_SHA1, out->sha1,
                          sizeof out->sha1, data, size)) != BW_OK)
        return st;
    if ((flags & BW_HASH_SHA256) &&
        (st = digest_into(ctx, out, BW_HASH_SHA256, BW_DIGEST_SHA256, out->sha256,
                          sizeof out->sha256, data, size)) != BW_OK)
        return st;
    return BW_OK;
}

BW_API bw_status bw_hash_bytes(bw_ctx *ctx, bw_hashes *out, unsigned flags,
                               const void *data, size_t size)
{
    if (!ctx || !out || (!data && size))
        return BW_ERR_INVALID_ARGUMENT;
    bw_status st = hash_digests(ctx, out, flags, data, size);
    if (st != BW_OK)
        return st;
    if (!(flags & (BW_HASH_PDQ | BW_HASH_PDQ_DIHEDRAL)))
        return BW_OK;

    struct bwi_pdq_scratch *scratch;
    if ((st = bwi_pdq_scratch(ctx, &scratch)) != BW_OK)
        return st;
    grid_sink sink;
    memset(&sink, 0, sizeof sink);
    sink.base.begin = grid_begin;
    sink.base.wants = grid_wants;
    sink.base.row = grid_row;
    sink.grid = scratch->grid;
    st = bwi_decode(ctx, data, size, &sink.base,
                    (flags & BW_HASH_FAST) ? BWI_DECODE_FAST : 0);
    if (st != BW_OK)
        return st;
    out->format = sink.format;
    out->width = sink.full_width;
    out->height = sink.full_height;
    bwi_grid grid;
    grid_finish(&sink, &grid);
    st = bwi_pdq_hash_grid(ctx, &grid, out->pdq,
                           (flags & BW_HASH_PDQ_DIHEDRAL) ? out->dihedral : NULL,
                           &out->quality);
    if (st != BW_OK)
        return st;
    out->flags |= BW_HASH_PDQ;
    if (flags & BW_HASH_PDQ_DIHEDRAL)
        out->flags |= BW_HASH_PDQ_DIHEDRAL;
    if (flags & BW_HASH_FAST)
        out->flags |= BW_HASH_FAST;
    return BW_OK;
}

BW_API bw_status bw_hash_file(bw_ctx *ctx, bw_hashes *out, unsigned flags,
                              const char *path)
{
    if (!ctx || !out || !path)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    memset(out, 0, sizeof *out);
    const uint8_t *data;
    size_t size;
    bw_status st = bwi_read_file(ctx, path, &data, &size);
    if (st != BW_OK)
        return st;
    return bw_hash_bytes(ctx, out, flags, data, size);
}

/* The whole image is kept (bw_hash_bytes never holds it) because every
 * hash of the set needs its pixels; the set's first hash is the plain one. */
BW_API bw_status bw_hash_bytes_set(bw_ctx *ctx, bw_hashes *out, unsigned flags,
                                   bw_pdq_set *set, unsigned set_flags, const void *data,
                                   size_t size)
{
    if (!ctx || !out || !set || (!data && size))
        return BW_ERR_INVALID_ARGUMENT;
    bwi_pdq_set_clear(set);
    bw_status st = hash_digests(ctx, out, flags, data, size);
    if (st != BW_OK)
        return st;
    bw_image *image = NULL;
    st = bw_image_decode(ctx, &image, data, size);
    if (st == BW_OK)
        st = bw_pdq_set_compute(ctx, set, set_flags, image);
    if (st == BW_OK) {
        const bw_pdq_part *whole = bw_pdq_set_get(set, 0);
        memcpy(out->pdq, whole->hash, BW_PDQ_BYTES);
        out->quality = whole->quality;
        out->format = bw_image_format(image);
        out->width = bw_image_width(image);
        out->height = bw_image_height(image);
        out->flags |= BW_HASH_PDQ;
    }
    bw_image_free(image);
    return st;
}

BW_API bw_status bw_hash_file_set(bw_ctx *ctx, bw_hashes *out, unsigned flags,
                                  bw_pdq_set *set, unsigned set_flags, const char *path)
{
    if (!ctx || !out || !set || !path)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    memset(out, 0, sizeof *out);
    bwi_pdq_set_clear(set);
    const uint8_t *data;
    size_t size;
    bw_status st = bwi_read_file(ctx, path, &data, &size);
    if (st != BW_OK)
        return st;
    return bw_hash_bytes_set(ctx, out, flags, set, set_flags, data, size);
}

BW_API unsigned bw_hashes_flags(const bw_hashes *hashes)
{
    return hashes ? hashes->flags : 0;
}

BW_API bw_status bw_hashes_pdq(const bw_hashes *hashes,
                               uint8_t hash_out[BW_PDQ_BYTES], int *quality_out)
{
    if (!hashes || !hash_out)
        return BW_ERR_INVALID_ARGUMENT;
    if (!(hashes->flags & BW_HASH_PDQ))
        return BW_ERR_NOT_FOUND;
    memcpy(hash_out, hashes->pdq, BW_PDQ_BYTES);
    if (quality_out)
        *quality_out = hashes->quality;
    return BW_OK;
}

BW_API bw_status bw_hashes_pdq_dihedral(const bw_hashes *hashes,
                                        bw_dihedral which,
                                        uint8_t hash_out[BW_PDQ_BYTES])
{
    if (!hashes || !hash_out || (unsigned)which >= BW_PDQ_DIHEDRAL_COUNT)
        return BW_ERR_INVALID_ARGUMENT;
    if (!(hashes->flags & BW_HASH_PDQ_DIHEDRAL))
        return BW_ERR_NOT_FOUND;
    memcpy(hash_out, hashes->dihedral[which], BW_PDQ_BYTES);
    return BW_OK;
}

BW_API bw_status bw_hashes_digest(const bw_hashes *hashes, bw_digest_alg alg,
                                  uint8_t *out, size_t out_size)
{
    if (!hashes || !out || out_size < bw_digest_size(alg))
        return BW_ERR_INVALID_ARGUMENT;
    const uint8_t *src;
    unsigned flag;
    switch (alg) {
    case BW_DIGEST_MD5:
        src = hashes->md5, flag = BW_HASH_MD5;
        break;
    case BW_DIGEST_SHA1:
        src = hashes->sha1, flag = BW_HASH_SHA1;
        break;
    case BW_DIGEST_SHA256:
        src = hashes->sha256, flag = BW_HASH_SHA256;
        break;
    default:
        return BW_ERR_INVALID_ARGUMENT;
    }
    if (!(hashes->flags & flag))
        return BW_ERR_NOT_FOUND;
    memcpy(out, src, bw_digest_size(alg));
    return BW_OK;
}

BW_API bw_status bw_hashes_set_digest(bw_hashes *hashes, bw_digest_alg alg,
                                      const uint8_t *digest, size_t size)
{
    if (!hashes || !digest || size != bw_digest_size(alg))
        return BW_ERR_INVALID_ARGUMENT;
    switch (alg) {
    case BW_DIGEST_MD5:
        memcpy(hashes->md5, digest, size);
        hashes->flags |= BW_HASH_MD5;
        return BW_OK;
    case BW_DIGEST_SHA1:
        memcpy(hashes->sha1, digest, size);
        hashes->flags |= BW_HASH_SHA1;
        return BW_OK;
    case BW_DIGEST_SHA256:
        memcpy(hashes->sha256, digest, size);
        hashes->flags |= BW_HASH_SHA256;
        return BW_OK;
    }
    return BW_ERR_INVALID_ARGUMENT;
}

BW_API bw_format bw_hashes_format(const bw_hashes *hashes)
{
    return hashes ? hashes->format : BW_FORMAT_UNKNOWN;
}

BW_API uint32_t bw_hashes_width(const bw_hashes *hashes)
{
    return hashes ? hashes->width : 0;
}

BW_API uint32_t bw_hashes_height(const bw_hashes *hashes)
{
    return hashes ? hashes->height : 0;
}

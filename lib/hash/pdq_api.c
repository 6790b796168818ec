/* The public PDQ functions: hashing images and pixels, hex, distances. */
#include <string.h>

#include "pdq_core.h"

BW_API size_t bw_pdq_bytes(void)
{
    return BW_PDQ_BYTES;
}

BW_API int bw_pdq_default_threshold(void)
{
    return BW_PDQ_DEFAULT_THRESHOLD;
}

BW_API const char *bw_dihedral_name(bw_dihedral which)
{
    static const char *const names[BW_PDQ_DIHEDRAL_COUNT] = {
        "original", "rotate90", "rotate180", "rotate270",
        "flipx",    "flipy",    "flipplus1", "flipminus1"};
    return (unsigned)which < BW_PDQ_DIHEDRAL_COUNT ? names[which] : "unknown";
}

/* A decoded image already had its grey-or-colour decision made by its
 * decoder, so its pixels are taken as they are. */
static bw_status grid_of_image(bw_ctx *ctx, bwi_grid *grid, const bw_image *image)
{
    bw_pixel_format format;
    size_t stride;
    const uint8_t *pixels = bw_image_pixels(image, &format, &stride);
    return bwi_pdq_grid_from_pixels(ctx, grid, pixels, stride,
                                    bw_image_width(image), bw_image_height(image),
                                    format, true);
}

BW_API bw_status bw_pdq_hash_image(bw_ctx *ctx, uint8_t hash_out[BW_PDQ_BYTES],
                                   int *quality_out, const bw_image *image)
{
    if (!ctx || !hash_out || !image)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bwi_grid grid;
    bw_status st = grid_of_image(ctx, &grid, image);
    if (st != BW_OK)
        return st;
    return bwi_pdq_hash_grid(ctx, &grid, hash_out, NULL, quality_out);
}

BW_API bw_status bw_pdq_hash_image_dihedral(
    bw_ctx *ctx, uint8_t hashes_out[BW_PDQ_DIHEDRAL_COUNT][BW_PDQ_BYTES],
    int *quality_out, const bw_image *image)
{
    if (!ctx || !hashes_out || !image)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bwi_grid grid;
    bw_status st = grid_of_image(ctx, &grid, image);
    if (st != BW_OK)
        return st;
    return bwi_pdq_hash_grid(ctx, &grid, NULL, hashes_out, quality_out);
}

BW_API bw_status bw_pdq_hash_pixels(bw_ctx *ctx, uint8_t hash_out[BW_PDQ_BYTES],
                                    int *quality_out, const void *pixels,
                                    size_t stride, uint32_t width,
                                    uint32_t height, bw_pixel_format format)
{
    if (!ctx || !hash_out)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bwi_grid grid;
    bw_status st = bwi_pdq_grid_from_pixels(ctx, &grid, pixels, stride, width,
                                            height, format, false);
    if (st != BW_OK)
        return st;
    return bwi_pdq_hash_grid(ctx, &grid, hash_out, NULL, quality_out);
}

BW_API void bw_pdq_to_hex(char out[BW_PDQ_HEX_CHARS + 1],
                          const uint8_t hash[BW_PDQ_BYTES])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < BW_PDQ_BYTES; i++) {
        out[2 * i] = digits[hash[i] >> 4];
        out[2 * i + 1] = digits[hash[i] & 15];
    }
    out[BW_PDQ_HEX_CHARS] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

BW_API bw_status bw_pdq_from_hex(uint8_t hash_out[BW_PDQ_BYTES], const char *hex,
                                 size_t len)
{
    if (!hash_out || !hex || len != BW_PDQ_HEX_CHARS)
        return BW_ERR_PARSE;
    uint8_t tmp[BW_PDQ_BYTES];
    for (int i = 0; i < BW_PDQ_BYTES; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return BW_ERR_PARSE;
        tmp[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(hash_out, tmp, sizeof tmp);
    return BW_OK;
}

BW_API int bw_pdq_distance(const uint8_t a[BW_PDQ_BYTES],
                           const uint8_t b[BW_PDQ_BYTES])
{
    int d = 0;
    for (int i = 0; i < BW_PDQ_BYTES; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        d += __builtin_popcountll(x ^ y);
    }
    return d;
}

BW_API int bw_pdq_popcount(const uint8_t hash[BW_PDQ_BYTES])
{
    static const uint8_t zero[BW_PDQ_BYTES];
    return bw_pdq_distance(hash, zero);
}

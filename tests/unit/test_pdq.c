/* PDQ: hex, distances, the median, the DCT table, pixel layouts. */
#include <math.h>

#include <bulwark/bulwark.h>

#include "harness.h"
#include "hash/pdq_core.h"
#include "hash/pdq_dct_table.h"

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* A smooth synthetic RGB scene with some texture. */
static uint8_t *scene(uint32_t w, uint32_t h)
{
    uint8_t *px = malloc((size_t)w * h * 3);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *p = px + 3 * ((size_t)y * w + x);
            double fx = (double)x / w, fy = (double)y / h;
            p[0] = (uint8_t)(127 + 120 * sin(6.0 * fx + 2.0 * fy));
            p[1] = (uint8_t)(127 + 120 * cos(5.0 * fy - 3.0 * fx * fy));
            p[2] = (uint8_t)((x * 7 + y * 3) % 256 / 4 + 100 * (fx > 0.3 && fy < 0.6));
        }
    return px;
}

static void hex_round_trip(void)
{
    uint8_t h[32], back[32];
    for (int i = 0; i < 32; i++)
        h[i] = (uint8_t)(i * 37 + 1);
    char hex[65];
    bw_pdq_to_hex(hex, h);
    CHECK_EQ(strlen(hex), 64);
    CHECK_EQ(bw_pdq_from_hex(back, hex, 64), BW_OK);
    CHECK(memcmp(h, back, 32) == 0);
    /* Upper case is accepted; anything else is not. */
    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
    CHECK_EQ(bw_pdq_from_hex(back, upper, 64), BW_OK);
    CHECK(memcmp(h, back, 32) == 0);
    CHECK_EQ(bw_pdq_from_hex(back, hex, 63), BW_ERR_PARSE);
    hex[10] = 'g';
    CHECK_EQ(bw_pdq_from_hex(back, hex, 64), BW_ERR_PARSE);
    CHECK(memcmp(h, back, 32) == 0); /* untouched on failure */
}

static void distances(void)
{
    uint8_t a[32] = {0}, b[32] = {0};
    CHECK_EQ(bw_pdq_distance(a, b), 0);
    b[0] = 0xFF;
    b[31] = 0x01;
    CHECK_EQ(bw_pdq_distance(a, b), 9);
    CHECK_EQ(bw_pdq_popcount(b), 9);
    memset(b, 0xFF, 32);
    CHECK_EQ(bw_pdq_distance(a, b), 256);
    CHECK_EQ(bw_pdq_bytes(), 32);
    CHECK_EQ(bw_pdq_default_threshold(), 31);
    CHECK_STR(bw_dihedral_name(BW_DIHEDRAL_FLIP_MINUS1), "flipminus1");
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void median_is_lower_median(void)
{
    for (int round = 0; round < 200; round++) {
        float v[256], sorted[256];
        for (int i = 0; i < 256; i++)
            /* Many repeats in some rounds: ties must not matter. */
            v[i] = round % 3 == 0 ? (float)(rng() % 7) : (float)(rng() % 100000) / 7.0f - 5000.0f;
        memcpy(sorted, v, sizeof v);
        qsort(sorted, 256, sizeof(float), cmp_float);
        CHECK(bwi_pdq_lower_median(v) == sorted[127]);
    }
}

static void dct_table_matches_formula(void)
{
    const double pi = 3.14159265358979323846;
    const float scale = (float)sqrt(2.0 / 64.0);
    int mismatches = 0;
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 64; j++) {
            float v = (float)((double)scale *
                              cos((pi / 2.0 / 64.0) * (double)(i + 1) * (double)(2 * j + 1)));
            mismatches += v != bwi_pdq_dct16x64[i][j];
        }
    CHECK_EQ(mismatches, 0);
}

static void hash_px(bw_ctx *ctx, const void *px, size_t stride, uint32_t w,
                    uint32_t h, bw_pixel_format f, uint8_t out[32], int *q)
{
    CHECK_EQ(bw_pdq_hash_pixels(ctx, out, q, px, stride, w, h, f), BW_OK);
}

static void pixel_layouts_agree(void)
{
    bw_ctx *ctx;
    bw_ctx_create(&ctx);
    const uint32_t w = 700, h = 530; /* over 512: the resampling path */
    uint8_t *rgb = scene(w, h);
    uint8_t ref[32], got[32];
    int q_ref, q;
    hash_px(ctx, rgb, (size_t)w * 3, w, h, BW_PIXEL_RGB8, ref, &q_ref);
    CHECK(q_ref > 50);
    static const struct {
        bw_pixel_format f;
        int r, g, b, bpp;
    } layouts[] = {{BW_PIXEL_RGBA8, 0, 1, 2, 4}, {BW_PIXEL_BGRA8, 2, 1, 0, 4},
                   {BW_PIXEL_BGR8, 2, 1, 0, 3}, {BW_PIXEL_ARGB8, 1, 2, 3, 4}};
    for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
        const size_t stride = (size_t)w * layouts[l].bpp + 13; /* padded rows */
        uint8_t *buf = calloc(stride, h);
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                const uint8_t *s = rgb + 3 * ((size_t)y * w + x);
                uint8_t *d = buf + y * stride + (size_t)x * layouts[l].bpp;
                d[layouts[l].r] = s[0];
                d[layouts[l].g] = s[1];
                d[layouts[l].b] = s[2];
                if (layouts[l].bpp == 4)
                    d[layouts[l].r == 1 ? 0 : 3] = (uint8_t)(x ^ y); /* alpha: ignored */
            }
        hash_px(ctx, buf, stride, w, h, layouts[l].f, got, &q);
        CHECK(memcmp(ref, got, 32) == 0);
        CHECK_EQ(q, q_ref);
        free(buf);
    }
    /* The image path gives the same as the pixel path. */
    bw_image *img;
    CHECK_EQ(bw_image_from_pixels(ctx, &img, rgb, (size_t)w * 3, w, h, BW_PIXEL_RGB8), BW_OK);
    CHECK_EQ(bw_pdq_hash_image(ctx, got, &q, img), BW_OK);
    CHECK(memcmp(ref, got, 32) == 0);
    uint8_t dih[8][32];
    CHECK_EQ(bw_pdq_hash_image_dihedral(ctx, dih, &q, img), BW_OK);
    CHECK(memcmp(ref, dih[BW_DIHEDRAL_ORIGINAL], 32) == 0);
    bw_image_free(img);
    free(rgb);
    bw_ctx_free(ctx);
}

static void grey_rgb_hashes_as_grey(void)
{
    bw_ctx *ctx;
    bw_ctx_create(&ctx);
    const uint32_t w = 300, h = 200;
    uint8_t *rgb = scene(w, h), *grey = malloc((size_t)w * h);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        grey[i] = rgb[3 * i + 1];
        rgb[3 * i] = rgb[3 * i + 2] = rgb[3 * i + 1];
    }
    uint8_t a[32], b[32];
    int qa, qb;
    hash_px(ctx, grey, w, w, h, BW_PIXEL_GREY8, a, &qa);
    hash_px(ctx, rgb, (size_t)w * 3, w, h, BW_PIXEL_RGB8, b, &qb);
    CHECK(memcmp(a, b, 32) == 0);
    CHECK_EQ(qa, qb);
    bw_image *img;
    bw_pixel_format f;
    CHECK_EQ(bw_image_from_pixels(ctx, &img, rgb, (size_t)w * 3, w, h, BW_PIXEL_RGB8), BW_OK);
    bw_image_pixels(img, &f, NULL);
    CHECK_EQ(f, BW_PIXEL_GREY8);
    bw_image_free(img);
    free(rgb);
    free(grey);
    bw_ctx_free(ctx);
}

/* Hashing the image turned by 90 degrees lands near the dihedral variant
 * computed from the original's DCT (not exactly: the blur is not symmetric). */
static void dihedral_matches_rotated_pixels(void)
{
    bw_ctx *ctx;
    bw_ctx_create(&ctx);
    const uint32_t w = 320, h = 240;
    uint8_t *rgb = scene(w, h), *rot = malloc((size_t)w * h * 3);
    /* Rotate 90 degrees counter-clockwise: (x, y) goes to (y, w - 1 - x). */
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            memcpy(rot + 3 * ((size_t)(w - 1 - x) * h + y), rgb + 3 * ((size_t)y * w + x), 3);
    bw_image *img;
    uint8_t dih[8][32], turned[32];
    int q;
    CHECK_EQ(bw_image_from_pixels(ctx, &img, rgb, (size_t)w * 3, w, h, BW_PIXEL_RGB8), BW_OK);
    CHECK_EQ(bw_pdq_hash_image_dihedral(ctx, dih, &q, img), BW_OK);
    hash_px(ctx, rot, (size_t)h * 3, h, w, BW_PIXEL_RGB8, turned, &q);
    int best = 256;
    for (int d = 0; d < 8; d++) {
        int dist = bw_pdq_distance(dih[d], turned);
        if (dist < best)
            best = dist;
    }
    CHECK(bw_pdq_distance(dih[BW_DIHEDRAL_ROTATE90], turned) == best);
    CHECK(best <= 24);
    CHECK(bw_pdq_distance(dih[BW_DIHEDRAL_ORIGINAL], turned) > 64);
    bw_image_free(img);
    free(rgb);
    free(rot);
    bw_ctx_free(ctx);
}

static void tiny_and_bad_input(void)
{
    bw_ctx *ctx;
    bw_ctx_create(&ctx);
    uint8_t px[4 * 4 * 3] = {0}, out[32];
    CHECK_EQ(bw_pdq_hash_pixels(ctx, out, NULL, px, 12, 4, 4, BW_PIXEL_RGB8),
             BW_ERR_IMAGE_TOO_SMALL);
    CHECK(strstr(bw_ctx_message(ctx), "4x4") != NULL);
    CHECK_EQ(bw_pdq_hash_pixels(ctx, out, NULL, px, 5, 4, 4, BW_PIXEL_RGB8),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_pdq_hash_pixels(ctx, out, NULL, px, 12, 4, 4, (bw_pixel_format)42),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_pdq_hash_pixels(ctx, out, NULL, px, 12, 0, 4, BW_PIXEL_RGB8),
             BW_ERR_CORRUPT);
    bw_ctx_set_limit(ctx, BW_LIMIT_PIXELS, 10);
    CHECK_EQ(bw_pdq_hash_pixels(ctx, out, NULL, px, 12, 4, 4, BW_PIXEL_RGB8),
             BW_ERR_TOO_MANY_PIXELS);
    CHECK_EQ(bw_pdq_hash_pixels(NULL, out, NULL, px, 12, 4, 4, BW_PIXEL_RGB8),
             BW_ERR_INVALID_ARGUMENT);
    bw_ctx_free(ctx);
}

int main(void)
{
    RUN(hex_round_trip);
    RUN(distances);
    RUN(median_is_lower_median);
    RUN(dct_table_matches_formula);
    RUN(pixel_layouts_agree);
    RUN(grey_rgb_hashes_as_grey);
    RUN(dihedral_matches_rotated_pixels);
    RUN(tiny_and_bad_input);
    return BWT_RESULT();
}

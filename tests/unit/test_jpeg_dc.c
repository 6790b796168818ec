/*
 * The fast path's DC scans of progressive JPEGs (lib/decode/jpeg_dc.c): the
 * image they give must be, pixel for pixel, what libjpeg makes of the whole
 * file at 1/8 scale, and anything but a complete progressive file must be
 * left to the whole-file decoder, which reports damage.
 */
#include <setjmp.h>
#include <stdio.h>

#include <jpeglib.h>

#include <bulwark/bulwark.h>

#include "decode/decode_internal.h"
#include "decode/jpeg_dc.h"
#include "harness.h"

static bw_ctx *ctx;

/* Smooth gradients, a few hard-edged shapes and fine noise: enough detail
 * in every frequency that a wrong coefficient would show. */
static uint8_t *scene(int w, int h)
{
    uint8_t *rgb = malloc((size_t)w * h * 3);
    uint32_t seed = 12345;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            seed = seed * 1664525u + 1013904223u;
            const int noise = (int)(seed >> 28) - 8;
            const bool disc = (x - w / 3) * (x - w / 3) + (y - h / 2) * (y - h / 2) < (h / 5) * (h / 5);
            const bool bar = x > w * 2 / 3 && x < w * 3 / 4;
            int r = x * 255 / w + noise, g = y * 255 / h + noise, b = ((x / 37 + y / 53) % 2) * 90 + noise;
            if (disc)
                r = 240, g = 40;
            if (bar)
                b = 250;
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
            p[1] = (uint8_t)(g < 0 ? 0 : g > 255 ? 255 : g);
            p[2] = (uint8_t)(b < 0 ? 0 : b > 255 ? 255 : b);
        }
    return rgb;
}

static uint8_t *encode(int w, int h, bool progressive, unsigned restart, bool full_chroma,
                       unsigned long *size)
{
    uint8_t *rgb = scene(w, h);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    *size = 0;
    jpeg_mem_dest(&c, &out, size);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 88, TRUE);
    if (full_chroma)
        c.comp_info[0].h_samp_factor = c.comp_info[0].v_samp_factor = 1;
    if (progressive)
        jpeg_simple_progression(&c);
    c.restart_interval = restart;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = rgb + (size_t)c.next_scanline * w * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(rgb);
    return out;
}

/* libjpeg's own decode of a whole file at 1/8 scale, as the library's
 * decoder is configured (accurate IDCT, fancy upsampling). */
static uint8_t *eighth(const uint8_t *data, size_t size, uint32_t *w, uint32_t *h)
{
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr err;
    d.err = jpeg_std_error(&err);
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, data, (unsigned long)size);
    jpeg_read_header(&d, TRUE);
    d.out_color_space = JCS_RGB;
    d.dct_method = JDCT_ISLOW;
    d.do_fancy_upsampling = TRUE;
    d.scale_num = 1;
    d.scale_denom = 8;
    jpeg_start_decompress(&d);
    *w = d.output_width;
    *h = d.output_height;
    uint8_t *px = malloc((size_t)*w * *h * 3);
    while (d.output_scanline < d.output_height) {
        JSAMPROW row = px + (size_t)d.output_scanline * *w * 3;
        jpeg_read_scanlines(&d, &row, 1);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    return px;
}

/* What the library's fast decoder makes of a file. */
static bw_image *fast_decode(const uint8_t *data, size_t size, bw_status *st)
{
    bwi_image_sink sink;
    bwi_image_sink_init(&sink);
    *st = bwi_decode_jpeg(ctx, data, size, &sink.base, BWI_DECODE_FAST);
    if (*st != BW_OK) {
        bwi_image_sink_discard(&sink);
        return NULL;
    }
    return bwi_image_sink_finish(&sink);
}

static void same_pixels_as_the_whole_file(const uint8_t *file, size_t size)
{
    uint32_t w, h;
    uint8_t *want = eighth(file, size, &w, &h);
    bw_status st;
    bw_image *img = fast_decode(file, size, &st);
    CHECK_EQ(st, BW_OK);
    if (img) {
        CHECK_EQ(bw_image_width(img), w);
        CHECK_EQ(bw_image_height(img), h);
        bw_pixel_format format;
        size_t stride;
        const uint8_t *got = bw_image_pixels(img, &format, &stride);
        CHECK_EQ(format, BW_PIXEL_RGB8);
        size_t differing = 0;
        for (uint32_t y = 0; y < h && bw_image_width(img) == w; y++)
            differing += memcmp(got + y * stride, want + (size_t)y * w * 3, (size_t)w * 3) != 0;
        CHECK_EQ(differing, 0);
        bw_image_free(img);
    }
    free(want);
}

static void dc_scans_give_the_whole_files_eighth(void)
{
    /* 4:2:0 and 4:4:4, with and without restart markers, odd sizes. */
    const struct {
        int w, h;
        unsigned restart;
        bool full_chroma;
    } cases[] = {{2100, 2061, 0, false}, {2053, 2200, 7, false}, {2064, 2049, 0, true},
                 {2301, 2050, 3, true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned long size;
        uint8_t *file = encode(cases[i].w, cases[i].h, true, cases[i].restart,
                               cases[i].full_chroma, &size);
        bwi_jpeg_dc dc;
        CHECK(bwi_jpeg_dc_scans(file, size, 0, &dc));
        CHECK_EQ(dc.width, cases[i].w);
        CHECK_EQ(dc.height, cases[i].h);
        /* libjpeg's script: luma's AC in four scans; 4:4:4 drops the
         * chroma's four too. */
        CHECK_EQ(dc.dropped_scans, cases[i].full_chroma ? 8 : 4);
        CHECK(dc.size < size / (cases[i].full_chroma ? 3 : 2));
        free(dc.data);
        same_pixels_as_the_whole_file(file, size);
        free(file);
    }
}

static void fast_hash_stays_close(void)
{
    unsigned long size;
    uint8_t *file = encode(2400, 2100, true, 0, false, &size);
    bw_hashes *hashes;
    CHECK_EQ(bw_hashes_create(&hashes), BW_OK);
    uint8_t exact[32], fast[32];
    CHECK_EQ(bw_hash_bytes(ctx, hashes, BW_HASH_PDQ, file, size), BW_OK);
    bw_hashes_pdq(hashes, exact, NULL);
    CHECK_EQ(bw_hash_bytes(ctx, hashes, BW_HASH_PDQ | BW_HASH_FAST, file, size), BW_OK);
    bw_hashes_pdq(hashes, fast, NULL);
    CHECK(bw_pdq_distance(exact, fast) <= 8);
    bw_hashes_free(hashes);
    free(file);
}

static void other_files_are_decoded_whole(void)
{
    unsigned long size;
    bwi_jpeg_dc dc;
    /* Sequential: every block's coefficients are interleaved. */
    uint8_t *baseline = encode(2100, 2100, false, 0, false, &size);
    CHECK(!bwi_jpeg_dc_scans(baseline, size, 0, &dc));
    CHECK(dc.data == NULL);
    free(baseline);

    uint8_t *file = encode(2100, 2100, true, 0, false, &size);
    /* Smaller than asked: decoded whole (the fast path asks 2048). */
    CHECK(!bwi_jpeg_dc_scans(file, size, 2101, &dc));
    CHECK(bwi_jpeg_dc_scans(file, size, 2100, &dc));
    free(dc.data);
    uint8_t *copy = malloc(size + 64);
    /* Cut short (inside a late AC scan): no end marker, so not applicable,
     * and the fast decode reports the truncation as the whole one does. */
    memcpy(copy, file, size);
    CHECK(!bwi_jpeg_dc_scans(copy, size * 3 / 4, 0, &dc));
    bw_status st;
    bw_image *img = fast_decode(copy, size * 3 / 4, &st);
    CHECK(img == NULL);
    CHECK_EQ(st, BW_ERR_TRUNCATED);
    /* Without its end marker alone: the same. */
    CHECK(!bwi_jpeg_dc_scans(copy, size - 2, 0, &dc));
    /* A scan header whose length disagrees with its component count. */
    size_t sos = 2;
    while (sos + 1 < size && !(copy[sos] == 0xFF && copy[sos + 1] == 0xDA))
        sos++;
    CHECK(sos + 1 < size);
    copy[sos + 3] ^= 0x02;
    CHECK(!bwi_jpeg_dc_scans(copy, size, 0, &dc));
    copy[sos + 3] ^= 0x02;
    /* Bytes after the end marker are ignored, as libjpeg ignores them. */
    memset(copy + size, 0xAB, 64);
    CHECK(bwi_jpeg_dc_scans(copy, size + 64, 0, &dc));
    free(dc.data);
    /* Not a JPEG at all, and nothing. */
    CHECK(!bwi_jpeg_dc_scans((const uint8_t *)"\xFF\xD8\xFF", 3, 0, &dc));
    CHECK(!bwi_jpeg_dc_scans((const uint8_t *)"GIF89a", 6, 0, &dc));
    free(copy);
    free(file);
}

/* Every prefix and many single-byte changes of a small progressive file:
 * whatever the filter accepts, libjpeg must be able to parse or reject with
 * a message, and nothing may read out of bounds (the ASan build checks). */
static void damaged_files_never_crash(void)
{
    unsigned long size;
    uint8_t *file = encode(160, 120, true, 2, false, &size);
    uint8_t *copy = malloc(size);
    bwi_jpeg_dc dc;
    for (size_t n = 0; n <= size; n += 7) {
        if (bwi_jpeg_dc_scans(file, n, 0, &dc)) {
            CHECK(dc.size <= n + 2);
            free(dc.data);
        }
    }
    uint32_t seed = 99;
    for (int i = 0; i < 3000; i++) {
        memcpy(copy, file, size);
        seed = seed * 1664525u + 1013904223u;
        const size_t at = (seed >> 8) % size;
        copy[at] = (uint8_t)(seed >> 24);
        if (bwi_jpeg_dc_scans(copy, size, 0, &dc)) {
            bwi_image_sink sink;
            bwi_image_sink_init(&sink);
            bw_status st = bwi_decode_jpeg(ctx, dc.data, dc.size, &sink.base, 0);
            if (st == BW_OK)
                bw_image_free(bwi_image_sink_finish(&sink));
            else {
                bwi_image_sink_discard(&sink);
                CHECK(bw_ctx_message(ctx)[0] != '\0');
            }
            free(dc.data);
        }
    }
    free(copy);
    free(file);
}

int main(void)
{
    if (bw_ctx_create(&ctx) != BW_OK)
        return 1;
    RUN(dc_scans_give_the_whole_files_eighth);
    RUN(fast_hash_stays_close);
    RUN(other_files_are_decoded_whole);
    RUN(damaged_files_never_crash);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

/*
 * Hostile input: truncated and corrupted copies of every conformance image,
 * headers that claim enormous images, wrong and empty inputs. Nothing may
 * crash (the suite also runs under ASan/UBSan), every failure must carry a
 * message, and limits must be enforced before pixels are decoded.
 */
#include <dirent.h>
#include <zlib.h>

#include <bulwark/bulwark.h>

#include "harness.h"

static bw_ctx *ctx;
static bw_hashes *hashes;

static bw_status hash(const void *data, size_t size)
{
    bw_status st = bw_hash_bytes(ctx, hashes, BW_HASH_PDQ, data, size);
    if (st != BW_OK)
        CHECK(strlen(bw_ctx_message(ctx)) > 0);
    return st;
}

static void truncated_and_corrupted_copies(void)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/golden", BW_TEST_DATA);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d)
        return;
    struct dirent *e;
    int files = 0;
    uint32_t seed = 1;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".csv") || strstr(e->d_name, ".md"))
            continue;
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        size_t size;
        unsigned char *data = bwt_read(p, &size);
        CHECK(data != NULL);
        if (!data)
            continue;
        files++;
        const size_t cuts[] = {0, 1, 2, 8, 16, 64, size / 4, size / 2, size * 3 / 4, size - 1};
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            unsigned char *copy = malloc(cuts[c] ? cuts[c] : 1);
            memcpy(copy, data, cuts[c]);
            bw_status st = hash(copy, cuts[c]);
            if (cuts[c] == size / 2 && st == BW_OK)
                fprintf(stderr, "%s: half the file hashed without error\n", e->d_name);
            if (cuts[c] <= size / 2)
                CHECK(st != BW_OK);
            free(copy);
        }
        unsigned char *copy = malloc(size);
        for (int round = 0; round < 12; round++) {
            memcpy(copy, data, size);
            for (int k = 0; k < 1 + round; k++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = size > 32 ? 16 + (seed >> 4) % (size - 16) : (seed >> 4) % size;
                copy[at] ^= (unsigned char)(1u << ((seed >> 24) % 8));
            }
            (void)hash(copy, size); /* may succeed; must not crash */
        }
        free(copy);
        free(data);
    }
    closedir(d);
    CHECK(files >= 60);
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static void enormous_headers_refused(void)
{
    /* PNG: a valid IHDR claiming 100000 x 100000. */
    unsigned char png[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                             'I', 'H', 'D', 'R'};
    put_be32(png + 16, 100000);
    put_be32(png + 20, 100000);
    png[24] = 8, png[25] = 2;
    put_be32(png + 29, (uint32_t)crc32(crc32(0, NULL, 0), png + 12, 17));
    CHECK_EQ(hash(png, sizeof png), BW_ERR_TOO_MANY_PIXELS);

    /* JPEG: SOF0 claiming 60000 x 60000, then a scan header. */
    const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0xEA, 0x60, 0xEA, 0x60,
                                  1, 1, 0x11, 0, 0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0,
                                  0x12, 0x34, 0xFF, 0xD9};
    CHECK_EQ(hash(jpeg, sizeof jpeg), BW_ERR_TOO_MANY_PIXELS);

    /* PNM and BMP. */
    const char pnm[] = "P6\n100000 100000\n255\n";
    CHECK_EQ(hash(pnm, sizeof pnm - 1), BW_ERR_TOO_MANY_PIXELS);
    unsigned char bmp[54] = {'B', 'M'};
    bmp[10] = 54, bmp[14] = 40;
    bmp[18] = 0x50, bmp[19] = 0xC3; /* 50000 */
    bmp[22] = 0x50, bmp[23] = 0xC3;
    bmp[26] = 1, bmp[28] = 24;
    CHECK_EQ(hash(bmp, sizeof bmp), BW_ERR_TOO_MANY_PIXELS);

    /* GIF: an image descriptor of 65535 x 65535. */
    const unsigned char gif[] = {'G', 'I', 'F', '8', '9', 'a', 10, 0, 10, 0, 0x80, 0, 0,
                                 0, 0, 0, 255, 255, 255, 0x2C, 0, 0, 0, 0, 0xFF, 0xFF,
                                 0xFF, 0xFF, 0, 2, 2, 0x4C, 1, 0, 0x3B};
    CHECK_EQ(hash(gif, sizeof gif), BW_ERR_TOO_MANY_PIXELS);

    /* A lower limit applies to real images too. */
    bw_ctx_set_limit(ctx, BW_LIMIT_PIXELS, 1000);
    char p[4096];
    snprintf(p, sizeof p, "%s/golden/jpeg-420.jpg", BW_TEST_DATA);
    CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ, p), BW_ERR_TOO_MANY_PIXELS);
    CHECK(strstr(bw_ctx_message(ctx), "megapixels") != NULL);
    bw_ctx_set_limit(ctx, BW_LIMIT_PIXELS, 100000000);
    bw_ctx_set_limit(ctx, BW_LIMIT_DIMENSION, 100);
    CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ, p), BW_ERR_TOO_MANY_PIXELS);
    bw_ctx_set_limit(ctx, BW_LIMIT_DIMENSION, 65535);
    bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, 1000);
    CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ, p), BW_ERR_TOO_LARGE);
    bw_image *img = NULL;
    CHECK_EQ(bw_image_decode_file(ctx, &img, p), BW_ERR_TOO_LARGE);
    CHECK(img == NULL);
    bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, 256u << 20);
}

static void not_images(void)
{
    CHECK_EQ(hash("", 0), BW_ERR_UNSUPPORTED);
    CHECK(strstr(bw_ctx_message(ctx), "empty") != NULL);
    const char text[] = "hello, this is not an image\n";
    CHECK_EQ(hash(text, sizeof text - 1), BW_ERR_UNSUPPORTED);
    CHECK(strstr(bw_ctx_message(ctx), "68 65 6c 6c") != NULL);
    const unsigned char mp4[] = {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm',
                                 0, 0, 2, 0, 'i', 's', 'o', 'm', 'm', 'p', '4', '1'};
    CHECK_EQ(hash(mp4, sizeof mp4), BW_ERR_UNSUPPORTED);
    CHECK(strstr(bw_ctx_message(ctx), "video") != NULL);
    CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ, "/nonexistent/x.jpg"), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ, "/"), BW_ERR_IO);
    bw_format f;
    CHECK_EQ(bw_image_probe(ctx, &f, NULL, NULL, text, sizeof text - 1), BW_ERR_UNSUPPORTED);
    CHECK_EQ(f, BW_FORMAT_UNKNOWN);
}

int main(void)
{
    if (bw_ctx_create(&ctx) != BW_OK || bw_hashes_create(&hashes) != BW_OK)
        return 1;
    RUN(truncated_and_corrupted_copies);
    RUN(enormous_headers_refused);
    RUN(not_images);
    bw_hashes_free(hashes);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

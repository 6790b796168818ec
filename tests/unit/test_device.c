/*
 * The device SDK hashes exactly as libbulwark does: PDQ of decoded pixels
 * in every layout and stride (and of encoded files, in the build with
 * decoders) against the reference's expected hashes and libbulwark's own
 * functions, and its MD5 and SHA-256 against libbulwark's OpenSSL-based
 * digests. Built twice: against libbulwark_device and
 * libbulwark_device_decoders.
 */
#include <bulwark/bulwark.h>
#include <bulwark/bw_device.h>

#include "harness.h"
#include "hash_fixtures.h"

static bw_device *dev;
static bw_ctx *ctx;
static char path[4096];

static const char *golden(const char *name)
{
    snprintf(path, sizeof path, "%s/golden/%s", BW_TEST_DATA, name);
    return path;
}

static void hex_of(char out[65], const uint8_t h[32])
{
    bw_device_hex(out, h, 32);
}

/* Copies an image's pixels into another layout with padded rows. */
static uint8_t *relayout(const bw_image *img, bw_pixel_format to, size_t *stride_out)
{
    bw_pixel_format from;
    size_t from_stride;
    const uint8_t *src = bw_image_pixels(img, &from, &from_stride);
    const uint32_t w = bw_image_width(img), h = bw_image_height(img);
    const size_t bpp = bw_pixel_format_bytes(to), stride = w * bpp + 13;
    uint8_t *out = malloc(stride * h);
    for (uint32_t y = 0; y < h; y++) {
        memset(out + y * stride, 0xA5, stride); /* padding must be ignored */
        for (uint32_t x = 0; x < w; x++) {
            const uint8_t *p = src + y * from_stride + x * (from == BW_PIXEL_GREY8 ? 1 : 3);
            const uint8_t r = p[0], g = from == BW_PIXEL_GREY8 ? p[0] : p[1],
                          b = from == BW_PIXEL_GREY8 ? p[0] : p[2];
            uint8_t *q = out + y * stride + x * bpp;
            switch (to) {
            case BW_PIXEL_RGBA8:
                q[0] = r, q[1] = g, q[2] = b, q[3] = (uint8_t)(x * 7);
                break;
            case BW_PIXEL_BGRA8:
                q[0] = b, q[1] = g, q[2] = r, q[3] = 255;
                break;
            default:
                q[0] = r;
                break;
            }
        }
    }
    *stride_out = stride;
    return out;
}

static void check_layout(const bw_image *img, bw_pixel_format to, const char *name)
{
    size_t stride;
    uint8_t *px = relayout(img, to, &stride);
    uint8_t mine[8][32], theirs[32];
    int q1 = -1, q2 = -2;
    const uint32_t w = bw_image_width(img), h = bw_image_height(img);
    CHECK_EQ(bw_device_pdq_pixels(dev, mine, &q1, px, stride, w, h, to), BW_OK);
    CHECK_EQ(bw_pdq_hash_pixels(ctx, theirs, &q2, px, stride, w, h, to), BW_OK);
    if (memcmp(mine[0], theirs, 32) != 0 || q1 != q2)
        fprintf(stderr, "%s layout %d differs from libbulwark\n", name, (int)to);
    CHECK(memcmp(mine[0], theirs, 32) == 0);
    CHECK_EQ(q1, q2);
    /* The seven variants against libbulwark's dihedral hashes. */
    bw_image *copy = NULL;
    uint8_t dih[8][32];
    CHECK_EQ(bw_image_from_pixels(ctx, &copy, px, stride, w, h, to), BW_OK);
    CHECK_EQ(bw_pdq_hash_image_dihedral(ctx, dih, NULL, copy), BW_OK);
    for (int d = 1; d < 8; d++)
        CHECK(memcmp(mine[d], dih[d], 32) == 0);
    bw_image_free(copy);
    free(px);
}

static void pixels_and_files_match_libbulwark_and_reference(void)
{
    FILE *f = fopen(golden("expected-dihedral.csv"), "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[1024];
    int images = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *fields[10];
        if (bwt_split(line, fields, 10) != 10)
            continue;
        const char *name = fields[9];
        size_t size = 0;
        unsigned char *data = bwt_read(golden(name), &size);
        bw_image *img = NULL;
        CHECK(data != NULL);
        CHECK_EQ(bw_image_decode(ctx, &img, data, size), BW_OK);
        uint8_t plain[32];
        CHECK_EQ(bw_pdq_hash_image(ctx, plain, NULL, img), BW_OK);

        uint8_t h[8][32];
        int q = -1;
        bw_status st = bw_device_pdq_file(dev, h, &q, data, size);
        if (bw_device_has_decoders()) {
            CHECK_EQ(st, BW_OK);
            char hex[65];
            CHECK(memcmp(h[0], plain, 32) == 0); /* the reference's plain hash */
            for (int d = 1; d < 8; d++) {
                hex_of(hex, h[d]);
                CHECK_STR(hex, fields[d]);
            }
            CHECK_EQ(q, atoi(fields[8]));
        } else {
            CHECK_EQ(st, BW_ERR_UNAVAILABLE);
            CHECK(strstr(bw_device_message(dev), "bw_device_pdq_pixels") != NULL);
        }
        check_layout(img, BW_PIXEL_RGBA8, name);
        check_layout(img, BW_PIXEL_BGRA8, name);
        bw_pixel_format fmt;
        bw_image_pixels(img, &fmt, NULL);
        if (fmt == BW_PIXEL_GREY8)
            check_layout(img, BW_PIXEL_GREY8, name);
        bw_image_free(img);
        free(data);
        images++;
    }
    fclose(f);
    CHECK(images >= 60);
}

static void plain_hash_is_the_references(void)
{
    /* The file path's first hash is exactly expected.csv's. */
    if (!bw_device_has_decoders())
        return;
    FILE *f = fopen(golden("expected.csv"), "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *fields[3];
        bwt_split(line, fields, 3);
        size_t size = 0;
        unsigned char *data = bwt_read(golden(fields[2]), &size);
        uint8_t h[8][32];
        char hex[65];
        CHECK_EQ(bw_device_pdq_file(dev, h, NULL, data, size), BW_OK);
        hex_of(hex, h[0]);
        CHECK_STR(hex, fields[0]);
        free(data);
    }
    if (f)
        fclose(f);
}

static void digests_match_libbulwark(void)
{
    static const struct {
        const char *text, *md5;
    } rfc1321[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    for (size_t i = 0; i < sizeof rfc1321 / sizeof rfc1321[0]; i++) {
        uint8_t md5[16];
        char hex[33];
        CHECK_EQ(bw_device_digest(NULL, md5, rfc1321[i].text, strlen(rfc1321[i].text)),
                 BW_OK);
        bw_device_hex(hex, md5, 16);
        CHECK_STR(hex, rfc1321[i].md5);
    }
    /* Every tail length around the 56- and 64-byte block boundaries. */
    bwt_rng rng = {12345};
    static uint8_t buf[1 << 20];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)bwt_next(&rng);
    size_t sizes[300];
    for (size_t i = 0; i < 290; i++)
        sizes[i] = i;
    sizes[290] = sizeof buf;
    sizes[291] = sizeof buf - 1;
    for (size_t i = 0; i < 292; i++) {
        uint8_t a[32], b[32], c[16], d[16];
        CHECK_EQ(bw_device_digest(a, c, buf, sizes[i]), BW_OK);
        CHECK_EQ(bw_digest(BW_DIGEST_SHA256, b, 32, buf, sizes[i]), BW_OK);
        CHECK_EQ(bw_digest(BW_DIGEST_MD5, d, 16, buf, sizes[i]), BW_OK);
        CHECK(memcmp(a, b, 32) == 0);
        CHECK(memcmp(c, d, 16) == 0);
    }
}

static void hostile_pixels_are_refused(void)
{
    uint8_t h[8][32];
    uint8_t px[64 * 64 * 4] = {0};
    CHECK_EQ(bw_device_pdq_pixels(dev, h, NULL, px, 10, 64, 64, BW_PIXEL_RGBA8),
             BW_ERR_INVALID_ARGUMENT); /* stride shorter than a row */
    CHECK(bw_device_message(dev)[0] != '\0');
    CHECK_EQ(bw_device_pdq_pixels(dev, h, NULL, px, 256, 64, 64, (bw_pixel_format)99),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_device_pdq_pixels(dev, h, NULL, px, 16, 4, 4, BW_PIXEL_RGBA8),
             BW_ERR_IMAGE_TOO_SMALL);
    CHECK_EQ(bw_device_set_limit(dev, BW_LIMIT_PIXELS, 1000), BW_OK);
    CHECK_EQ(bw_device_pdq_pixels(dev, h, NULL, px, 256, 64, 64, BW_PIXEL_RGBA8),
             BW_ERR_TOO_MANY_PIXELS);
    CHECK_EQ(bw_device_set_limit(dev, BW_LIMIT_PIXELS, 0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_device_set_limit(dev, BW_LIMIT_PIXELS, 100000000), BW_OK);
    CHECK_EQ(bw_device_pdq_pixels(dev, h, NULL, px, 256, 64, 64, BW_PIXEL_RGBA8), BW_OK);
    CHECK_STR(bw_device_message(dev), "");
    CHECK_EQ(bw_device_pdq_pixels(NULL, h, NULL, px, 256, 64, 64, BW_PIXEL_RGBA8),
             BW_ERR_INVALID_ARGUMENT);
    if (bw_device_has_decoders()) {
        static const uint8_t junk[] = "\xff\xd8\xff\xe0 not really a jpeg";
        CHECK(bw_device_pdq_file(dev, h, NULL, junk, sizeof junk) != BW_OK);
        CHECK(bw_device_message(dev)[0] != '\0');
    }
    CHECK_STR(bw_device_status_code(BW_ERR_VERIFY), "verification_failed");
    CHECK_EQ(bw_device_version_number(), BW_VERSION_NUMBER);
    bw_device_free(NULL);
}

int main(void)
{
    if (bw_device_create(&dev) != BW_OK || bw_ctx_create(&ctx) != BW_OK)
        return 1;
    printf("SDK %s, decoders: %s\n", bw_device_version_string(),
           bw_device_has_decoders() ? "yes" : "no");
    RUN(pixels_and_files_match_libbulwark_and_reference);
    RUN(plain_hash_is_the_references);
    RUN(digests_match_libbulwark);
    RUN(hostile_pixels_are_refused);
    bw_device_free(dev);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

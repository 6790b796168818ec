/*
 * Conformance: every image in tests/data/golden must hash exactly as the
 * reference pdq-photo-hasher printed it (expected.csv, expected-dihedral.csv),
 * through both the fast path and the whole-image path.
 */
#include <bulwark/bulwark.h>

#include "harness.h"

static bw_ctx *ctx;
static bw_hashes *hashes;
static bw_pdq_set *set;
static char path[4096];

static const char *golden(const char *name)
{
    snprintf(path, sizeof path, "%s/golden/%s", BW_TEST_DATA, name);
    return path;
}

static void line_of(char *out, size_t n, const uint8_t hash[32], int quality,
                    const char *name)
{
    char hex[65];
    bw_pdq_to_hex(hex, hash);
    snprintf(out, n, "%s,%d,%s", hex, quality, name);
}

static void plain_hashes_match_reference(void)
{
    FILE *f = fopen(golden("expected.csv"), "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[512];
    int count = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *name = strrchr(line, ',') + 1;
        uint8_t h[32];
        int q = -1;
        char got[512];

        bw_status st = bw_hash_file(ctx, hashes, BW_HASH_PDQ, golden(name));
        if (st != BW_OK)
            fprintf(stderr, "%s: %s\n", name, bw_ctx_message(ctx));
        CHECK_EQ(st, BW_OK);
        bw_hashes_pdq(hashes, h, &q);
        line_of(got, sizeof got, h, q, name);
        CHECK_STR(got, line);

        bw_image *img = NULL;
        CHECK_EQ(bw_image_decode_file(ctx, &img, golden(name)), BW_OK);
        CHECK_EQ(bw_pdq_hash_image(ctx, h, &q, img), BW_OK);
        line_of(got, sizeof got, h, q, name);
        CHECK_STR(got, line);

        /* Hashing with a set (one decoding for both) gives the same plain
         * hash, as the set's entry 0 and in the hashes, and the digests. */
        uint8_t sha[2][32];
        CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_SHA256, golden(name)), BW_OK);
        CHECK_EQ(bw_hashes_digest(hashes, BW_DIGEST_SHA256, sha[0], 32), BW_OK);
        st = bw_hash_file_set(ctx, hashes, BW_HASH_SHA256, set, BW_PDQ_SET_DIHEDRAL, golden(name));
        CHECK_EQ(st, BW_OK);
        CHECK_EQ(bw_hashes_flags(hashes), BW_HASH_SHA256 | BW_HASH_PDQ);
        CHECK_EQ(bw_hashes_digest(hashes, BW_DIGEST_SHA256, sha[1], 32), BW_OK);
        CHECK(memcmp(sha[0], sha[1], 32) == 0);
        q = -1;
        CHECK_EQ(bw_hashes_pdq(hashes, h, &q), BW_OK);
        line_of(got, sizeof got, h, q, name);
        CHECK_STR(got, line);
        CHECK_EQ(bw_pdq_set_count(set), 8);
        if (st == BW_OK)
            CHECK(memcmp(bw_pdq_set_get(set, 0)->hash, h, 32) == 0);
        CHECK_EQ(bw_hashes_width(hashes), bw_image_width(img));
        CHECK_EQ(bw_hashes_height(hashes), bw_image_height(img));

        /* The header probe agrees with the decoder. */
        size_t size = 0;
        unsigned char *data = bwt_read(golden(name), &size);
        bw_format fmt;
        uint32_t w, hgt;
        CHECK_EQ(bw_image_probe(ctx, &fmt, &w, &hgt, data, size), BW_OK);
        CHECK_EQ(w, bw_image_width(img));
        CHECK_EQ(hgt, bw_image_height(img));
        CHECK_EQ(fmt, bw_image_format(img));
        CHECK_EQ(fmt, bw_hashes_format(hashes));
        free(data);
        bw_image_free(img);
        count++;
    }
    fclose(f);
    CHECK(count >= 60);
}

static void dihedral_hashes_match_reference(void)
{
    FILE *f = fopen(golden("expected-dihedral.csv"), "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *name = strrchr(line, ',') + 1;
        CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ_DIHEDRAL, golden(name)), BW_OK);
        char got[1024] = "";
        for (int d = 0; d < 8; d++) {
            uint8_t h[32];
            char hex[65];
            bw_hashes_pdq_dihedral(hashes, (bw_dihedral)d, h);
            bw_pdq_to_hex(hex, h);
            strcat(got, hex);
            strcat(got, ",");
        }
        int q;
        uint8_t h[32];
        bw_hashes_pdq(hashes, h, &q);
        snprintf(got + strlen(got), sizeof got - strlen(got), "%d,%s", q, name);
        CHECK_STR(got, line);
    }
    fclose(f);
}

static void fast_mode_stays_close(void)
{
    static const char *const names[] = {"jpeg-420.jpg", "jpeg-444.jpg", "jpeg-tall.jpg",
                                        "jpeg-wide.jpg", "jpeg-cmyk.jpg", "png-rgb.png"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        uint8_t exact[32], fast[32];
        CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ, golden(names[i])), BW_OK);
        bw_hashes_pdq(hashes, exact, NULL);
        CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ | BW_HASH_FAST, golden(names[i])), BW_OK);
        bw_hashes_pdq(hashes, fast, NULL);
        CHECK(bw_pdq_distance(exact, fast) <= 16);
        CHECK(bw_hashes_flags(hashes) & BW_HASH_FAST);
    }
}

static void too_small_is_an_error(void)
{
    CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ | BW_HASH_MD5, golden("too-small-4x4.jpg")),
             BW_ERR_IMAGE_TOO_SMALL);
    /* The digest was computed before decoding and stays readable. */
    uint8_t md5[16];
    CHECK_EQ(bw_hashes_digest(hashes, BW_DIGEST_MD5, md5, sizeof md5), BW_OK);
    uint8_t h[32];
    CHECK_EQ(bw_hashes_pdq(hashes, h, NULL), BW_ERR_NOT_FOUND);
}

static void digests_of_files(void)
{
    size_t size = 0;
    unsigned char *data = bwt_read(golden("jpeg-420.jpg"), &size);
    CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_SHA256 | BW_HASH_SHA1 | BW_HASH_MD5,
                          golden("jpeg-420.jpg")), BW_OK);
    const bw_digest_alg algs[] = {BW_DIGEST_MD5, BW_DIGEST_SHA1, BW_DIGEST_SHA256};
    for (int i = 0; i < 3; i++) {
        uint8_t a[32], b[32];
        CHECK_EQ(bw_hashes_digest(hashes, algs[i], a, sizeof a), BW_OK);
        CHECK_EQ(bw_digest(algs[i], b, sizeof b, data, size), BW_OK);
        CHECK(memcmp(a, b, bw_digest_size(algs[i])) == 0);
    }
    uint8_t h[32];
    CHECK_EQ(bw_hashes_pdq(hashes, h, NULL), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_hashes_format(hashes), BW_FORMAT_UNKNOWN);
    free(data);
}

/* Hashing with a set: what cannot be decoded fails with its digests kept
 * and an empty set; the byte limit holds before anything is read. */
static void set_hashing_of_bad_input(void)
{
    static const char text[] = "not an image, just words";
    CHECK_EQ(bw_hash_file_set(ctx, hashes, 0, set, BW_PDQ_SET_WHOLE, golden("jpeg-420.jpg")),
             BW_OK);
    CHECK_EQ(bw_pdq_set_count(set), 1);
    CHECK(bw_hash_bytes_set(ctx, hashes, BW_HASH_SHA256 | BW_HASH_MD5, set, BW_PDQ_SET_WHOLE,
                            text, sizeof text - 1) != BW_OK);
    CHECK(*bw_ctx_message(ctx) != '\0');
    CHECK_EQ(bw_hashes_flags(hashes), BW_HASH_SHA256 | BW_HASH_MD5);
    CHECK_EQ(bw_pdq_set_count(set), 0);
    uint8_t h[32];
    CHECK_EQ(bw_hashes_pdq(hashes, h, NULL), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_hash_bytes_set(ctx, hashes, 0, NULL, 0, text, sizeof text - 1),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_hash_file_set(ctx, hashes, 0, set, 0, golden("no-such-file.jpg")),
             bw_hash_file(ctx, hashes, 0, golden("no-such-file.jpg")));
    CHECK(strstr(bw_ctx_message(ctx), "cannot open") != NULL);
    const uint64_t limit = bw_ctx_get_limit(ctx, BW_LIMIT_INPUT_BYTES);
    bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, 100);
    CHECK_EQ(bw_hash_file_set(ctx, hashes, BW_HASH_SHA256, set, 0, golden("jpeg-420.jpg")),
             BW_ERR_TOO_LARGE);
    CHECK_EQ(bw_hashes_flags(hashes), 0);
    bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, limit);
}

int main(void)
{
    if (bw_ctx_create(&ctx) != BW_OK || bw_hashes_create(&hashes) != BW_OK ||
        bw_pdq_set_create(&set) != BW_OK)
        return 1;
    RUN(plain_hashes_match_reference);
    RUN(dihedral_hashes_match_reference);
    RUN(fast_mode_stays_close);
    RUN(too_small_is_an_error);
    RUN(digests_of_files);
    RUN(set_hashing_of_bad_input);
    bw_pdq_set_free(set);
    bw_hashes_free(hashes);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

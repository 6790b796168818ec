/*
 * Snapshot files (libbulwark side): one encoding per set of contents, open
 * and write round trips, deltas between random versions, and the parser's
 * answer to every kind of malformed file, each signed with the right key so
 * that it is the parser, not the signature, that refuses it.
 */
#include <sodium.h>

#include <bulwark/bulwark.h>
#include <bulwark/bw_snapshot.h>

#include "harness.h"
#include "hash_fixtures.h"
#include "snapshot/snapshot_format.h"
#include "snapshot_fixtures.h"

static bw_ctx *ctx;
static uint8_t pk[32];
static bwt_rng rng = {77};

static bw_snapshot *random_snapshot(uint64_t version, int n)
{
    bw_snapshot *s = NULL;
    bw_snapshot_create(&s);
    bw_snapshot_set_version(s, version);
    for (int i = 0; i < n; i++) {
        uint8_t h[32];
        bwt_random_hash(&rng, h);
        bw_snapshot_add(ctx, s, (bw_snapshot_section)(1 + i % 4), h,
                        bw_snapshot_entry_bytes((bw_snapshot_section)(1 + i % 4)));
    }
    uint8_t id[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    bw_snapshot_set_psm_key_id(s, id);
    return s;
}

static void one_encoding_per_contents(void)
{
    uint8_t e[40][32];
    for (int i = 0; i < 40; i++)
        bwt_random_hash(&rng, e[i]);
    bw_snapshot *a = NULL, *b = NULL;
    bw_snapshot_create(&a);
    bw_snapshot_create(&b);
    for (int i = 0; i < 40; i++) {
        bw_snapshot_add(ctx, a, BW_SNAPSHOT_PDQ, e[i], 32);
        bw_snapshot_add(ctx, a, BW_SNAPSHOT_MD5, e[i], 16);
    }
    for (int i = 39; i >= 0; i--) {
        bw_snapshot_add(ctx, b, BW_SNAPSHOT_MD5, e[i], 16);
        bw_snapshot_add(ctx, b, BW_SNAPSHOT_PDQ, e[i], 32);
        bw_snapshot_add(ctx, b, BW_SNAPSHOT_PDQ, e[i], 32); /* repeats dropped */
    }
    CHECK_EQ(bw_snapshot_count(b, BW_SNAPSHOT_PDQ), 40);
    bwt_bytes fa = bwt_snapshot_bytes(ctx, a, 1), fb = bwt_snapshot_bytes(ctx, b, 1);
    CHECK(fa.size == fb.size && !memcmp(fa.data, fb.data, fa.size));
    CHECK_EQ(fa.size, 128 + 2 * 16 + 40 * 48 + 64);
    CHECK_EQ(bw_snapshot_add(ctx, a, BW_SNAPSHOT_PDQ, e[0], 16), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_snapshot_add(ctx, a, (bw_snapshot_section)9, e[0], 16),
             BW_ERR_INVALID_ARGUMENT);
    /* PSM tokens cannot be written without the key id. */
    bw_snapshot_add(ctx, a, BW_SNAPSHOT_PSM_TOKEN, e[0], 16);
    bwt_bytes fc = bwt_snapshot_bytes(ctx, a, 1);
    CHECK_EQ(fc.size, 0);
    bwt_bytes_free(&fa), bwt_bytes_free(&fb);
    bw_snapshot_free(a), bw_snapshot_free(b);
}

static void open_write_round_trip(void)
{
    bw_snapshot *s = random_snapshot(42, 1000), *r = NULL;
    bw_snapshot_set_created_at(s, 1234567890);
    bwt_bytes f = bwt_snapshot_bytes(ctx, s, 1);
    CHECK_EQ(bw_snapshot_open(ctx, &r, f.data, f.size, pk), BW_OK);
    CHECK_EQ(bw_snapshot_version(r), 42);
    CHECK_EQ(bw_snapshot_created_at(r), 1234567890);
    uint8_t d1[32], d2[32];
    bw_snapshot_digest(s, d1);
    bw_snapshot_digest(r, d2);
    CHECK(!memcmp(d1, d2, 32));
    for (int t = 1; t <= 4; t++)
        CHECK_EQ(bw_snapshot_count(r, (bw_snapshot_section)t), 250);
    bwt_bytes g = bwt_snapshot_bytes(ctx, r, 1);
    CHECK(f.size == g.size && !memcmp(f.data, g.data, f.size));
    int is_delta = -1;
    uint64_t v = 0, base = 9;
    CHECK_EQ(bw_snapshot_peek(ctx, &is_delta, &v, &base, f.data, f.size), BW_OK);
    CHECK(is_delta == 0 && v == 42 && base == 0);
    uint8_t other[32];
    bwt_test_public_key(other, 2);
    bw_snapshot *x = NULL;
    CHECK_EQ(bw_snapshot_open(ctx, &x, f.data, f.size, other), BW_ERR_VERIFY);
    CHECK(x == NULL);
    CHECK_EQ(bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, f.size - 1), BW_OK);
    CHECK_EQ(bw_snapshot_open(ctx, &x, f.data, f.size, pk), BW_ERR_TOO_LARGE);
    bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, 1 << 28);
    bwt_bytes_free(&f), bwt_bytes_free(&g);
    bw_snapshot_free(s), bw_snapshot_free(r);
}

/* Random old and new versions sharing some entries: delta(old, new) applied
 * to old gives new, and is smaller than new when little changed. */
static void deltas_reach_the_new_contents(void)
{
    for (int round = 0; round < 20; round++) {
        bw_snapshot *old = random_snapshot(10, 500), *neu = NULL, *r = NULL;
        bwt_bytes fo = bwt_snapshot_bytes(ctx, old, 1);
        CHECK_EQ(bw_snapshot_open(ctx, &neu, fo.data, fo.size, pk), BW_OK);
        CHECK_EQ(bw_snapshot_open(ctx, &r, fo.data, fo.size, pk), BW_OK);
        /* new = old plus some random entries; removing is exercised by
         * building the reverse delta too. */
        bw_snapshot_set_version(neu, 11 + (uint64_t)round);
        for (int i = 0; i < round * 3; i++) {
            uint8_t h[32];
            bwt_random_hash(&rng, h);
            bw_snapshot_add(ctx, neu, (bw_snapshot_section)(1 + i % 4), h,
                            bw_snapshot_entry_bytes((bw_snapshot_section)(1 + i % 4)));
        }
        bwt_bytes fd = bwt_delta_bytes(ctx, old, neu, 1);
        CHECK(fd.size > 0 && fd.size < fo.size);
        CHECK_EQ(bw_snapshot_apply(ctx, r, fd.data, fd.size, pk), BW_OK);
        uint8_t a[32], b[32];
        bw_snapshot_digest(r, a);
        bw_snapshot_digest(neu, b);
        CHECK(!memcmp(a, b, 32));
        /* Applying again, or to the wrong version, changes nothing. */
        CHECK_EQ(bw_snapshot_apply(ctx, r, fd.data, fd.size, pk), BW_ERR_VERIFY);
        bw_snapshot_digest(r, a);
        CHECK(!memcmp(a, b, 32));
        /* The reverse: from new to a newer version equal to old's contents. */
        bw_snapshot_set_version(old, 100);
        bwt_bytes back = bwt_delta_bytes(ctx, neu, old, 1);
        CHECK_EQ(bw_snapshot_apply(ctx, r, back.data, back.size, pk), BW_OK);
        bw_snapshot_digest(r, a);
        bw_snapshot_digest(old, b);
        CHECK(!memcmp(a, b, 32));
        CHECK_EQ(bw_snapshot_count(r, BW_SNAPSHOT_PDQ), 125);
        int is_delta = 0;
        CHECK_EQ(bw_snapshot_peek(ctx, &is_delta, NULL, NULL, back.data, back.size), BW_OK);
        CHECK_EQ(is_delta, 1);
        bw_snapshot *x = NULL;
        CHECK_EQ(bw_snapshot_open(ctx, &x, back.data, back.size, pk), BW_ERR_UNSUPPORTED);
        bwt_bytes_free(&fo), bwt_bytes_free(&fd), bwt_bytes_free(&back);
        bw_snapshot_free(old), bw_snapshot_free(neu), bw_snapshot_free(r);
    }
}

/* Re-signs a mutated file with test key 1 and opens it. */
static bw_status open_resigned(uint8_t *data, size_t size)
{
    uint8_t seed[32], spk[32], sk[64];
    bwt_test_seed(seed, 1);
    crypto_sign_seed_keypair(spk, sk, seed);
    if (size >= 64)
        crypto_sign_detached(data + size - 64, NULL, data, size - 64, sk);
    bw_snapshot *s = NULL;
    bw_status st = bw_snapshot_open(ctx, &s, data, size, pk);
    if (st != BW_OK && bw_ctx_message(ctx)[0] == '\0')
        return BW_ERR_INTERNAL; /* every refusal must say why */
    bw_snapshot_free(s);
    return st;
}

typedef struct mutation {
    const char *what;
    size_t offset;
    int bytes;
    uint64_t value;
    bw_status expect;
} mutation;

static void malformed_files_are_refused(void)
{
    /* Sections: PDQ add (2 entries) at 128, MD5 add (2) at 144; data at 160. */
    bw_snapshot *s = NULL;
    bw_snapshot_create(&s);
    uint8_t h[32];
    for (int i = 0; i < 2; i++) {
        bwt_random_hash(&rng, h);
        bw_snapshot_add(ctx, s, BW_SNAPSHOT_PDQ, h, 32);
        bw_snapshot_add(ctx, s, BW_SNAPSHOT_MD5, h, 16);
    }
    bwt_bytes f = bwt_snapshot_bytes(ctx, s, 1);
    CHECK_EQ(f.size, 128 + 32 + 64 + 32 + 64);
    const mutation m[] = {
        {"magic", 0, 1, 'X', BW_ERR_UNSUPPORTED},
        {"format version", 8, 2, 2, BW_ERR_UNSUPPORTED},
        {"kind", 10, 2, 3, BW_ERR_CORRUPT},
        {"header size", 12, 4, 132, BW_ERR_CORRUPT},
        {"version 0", 16, 8, 0, BW_ERR_CORRUPT},
        {"full with base", 24, 8, 1, BW_ERR_CORRUPT},
        {"digest", 40, 1, 0x55, BW_ERR_VERIFY},
        {"flags", 116, 4, 1, BW_ERR_UNSUPPORTED},
        {"reserved", 120, 8, 1, BW_ERR_UNSUPPORTED},
        {"too many sections", 112, 4, 9, BW_ERR_CORRUPT},
        {"fewer sections", 112, 4, 1, BW_ERR_CORRUPT},
        {"unknown type", 128, 2, 7, BW_ERR_UNSUPPORTED},
        {"order", 128, 2, 2, BW_ERR_CORRUPT},
        {"remove in a full", 130, 2, 2, BW_ERR_CORRUPT},
        {"entry size", 132, 4, 31, BW_ERR_CORRUPT},
        {"empty section", 136, 8, 0, BW_ERR_CORRUPT},
        {"count beyond the file", 136, 8, 5, BW_ERR_TRUNCATED},
        {"count overflow", 136, 8, UINT64_MAX / 2, BW_ERR_TRUNCATED},
        {"count short", 144 + 8, 8, 1, BW_ERR_CORRUPT},
        {"PSM without key id", 144, 2, 4, BW_ERR_CORRUPT},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        uint8_t *copy = malloc(f.size);
        memcpy(copy, f.data, f.size);
        bwi_le_put(copy + m[i].offset, m[i].value, m[i].bytes);
        const bw_status st = open_resigned(copy, f.size);
        if (st != m[i].expect)
            fprintf(stderr, "%s: got %s (%s), want %s\n", m[i].what, bw_status_code(st),
                    bw_ctx_message(ctx), bw_status_code(m[i].expect));
        CHECK_EQ(st, m[i].expect);
        free(copy);
    }
    /* Unsorted and repeated entries; trailing bytes; every truncation. */
    uint8_t *copy = malloc(f.size + 16);
    memcpy(copy, f.data, f.size);
    uint8_t tmp[32];
    memcpy(tmp, copy + 160, 32);
    memcpy(copy + 160, copy + 192, 32);
    memcpy(copy + 192, tmp, 32);
    CHECK_EQ(open_resigned(copy, f.size), BW_ERR_CORRUPT);
    memcpy(copy + 160, copy + 192, 32);
    CHECK_EQ(open_resigned(copy, f.size), BW_ERR_CORRUPT);
    memcpy(copy, f.data, f.size - 64);
    memset(copy + f.size - 64, 0, 16);
    CHECK_EQ(open_resigned(copy, f.size + 16), BW_ERR_CORRUPT);
    int accepted = 0;
    for (size_t len = 0; len < f.size; len++) {
        memcpy(copy, f.data, f.size);
        accepted += open_resigned(copy, len) == BW_OK;
    }
    CHECK_EQ(accepted, 0);
    memcpy(copy, f.data, f.size);
    CHECK_EQ(open_resigned(copy, f.size), BW_OK);
    free(copy);
    bwt_bytes_free(&f);
    bw_snapshot_free(s);
}

int main(void)
{
    if (sodium_init() < 0 || bw_ctx_create(&ctx) != BW_OK)
        return 1;
    bwt_test_public_key(pk, 1);
    RUN(one_encoding_per_contents);
    RUN(open_write_round_trip);
    RUN(deltas_reach_the_new_contents);
    RUN(malformed_files_are_refused);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

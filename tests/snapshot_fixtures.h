/*
 * Snapshots built in memory for tests: a growable byte buffer that
 * bw_snapshot_write() writes into, and helpers that sign a set of entries
 * with a fixed test key.
 */
#ifndef BULWARK_TEST_SNAPSHOT_FIXTURES_H
#define BULWARK_TEST_SNAPSHOT_FIXTURES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bulwark/bw_snapshot.h>

typedef struct bwt_bytes {
    uint8_t *data;
    size_t size;
} bwt_bytes;

static inline int bwt_bytes_write(void *arg, const void *buf, size_t size)
{
    bwt_bytes *b = arg;
    uint8_t *grown = realloc(b->data, b->size + size);
    if (!grown)
        return 1;
    memcpy(grown + b->size, buf, size);
    b->data = grown;
    b->size += size;
    return 0;
}

static inline void bwt_bytes_free(bwt_bytes *b)
{
    free(b->data);
    b->data = NULL;
    b->size = 0;
}

/* The signing key of test snapshots: a fixed seed (never a real key). */
static inline void bwt_test_seed(uint8_t seed[BW_SNAPSHOT_SEED_BYTES], uint8_t which)
{
    for (int i = 0; i < BW_SNAPSHOT_SEED_BYTES; i++)
        seed[i] = (uint8_t)(which * 37 + i);
}

/* Writes snapshot signed with test key `which`; the bytes on success. */
static inline bwt_bytes bwt_snapshot_bytes(bw_ctx *ctx, bw_snapshot *s, uint8_t which)
{
    bwt_bytes out = {0};
    uint8_t seed[BW_SNAPSHOT_SEED_BYTES];
    bwt_test_seed(seed, which);
    if (bw_snapshot_write(ctx, s, seed, bwt_bytes_write, &out) != BW_OK)
        bwt_bytes_free(&out);
    return out;
}

static inline bwt_bytes bwt_delta_bytes(bw_ctx *ctx, bw_snapshot *from, bw_snapshot *to,
                                        uint8_t which)
{
    bwt_bytes out = {0};
    uint8_t seed[BW_SNAPSHOT_SEED_BYTES];
    bwt_test_seed(seed, which);
    if (bw_snapshot_write_delta(ctx, from, to, seed, 1700000000, bwt_bytes_write,
                                &out) != BW_OK)
        bwt_bytes_free(&out);
    return out;
}

static inline void bwt_test_public_key(uint8_t pk[BW_SNAPSHOT_PUBLIC_KEY_BYTES],
                                       uint8_t which)
{
    uint8_t seed[BW_SNAPSHOT_SEED_BYTES];
    bwt_test_seed(seed, which);
    bw_snapshot_public_key(pk, seed);
}

#endif

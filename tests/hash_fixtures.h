/*
 * Deterministic random PDQ-like hashes for tests and benchmarks: xorshift64
 * (reproducible everywhere), uniform hashes, and copies with an exact
 * number of bits changed (near-duplicates).
 */
#ifndef BULWARK_TEST_HASH_FIXTURES_H
#define BULWARK_TEST_HASH_FIXTURES_H

#include <stdint.h>
#include <string.h>

typedef struct bwt_rng {
    uint64_t state;
} bwt_rng;

static inline uint64_t bwt_next(bwt_rng *r)
{
    r->state ^= r->state << 13;
    r->state ^= r->state >> 7;
    r->state ^= r->state << 17;
    return r->state;
}

static inline void bwt_random_hash(bwt_rng *r, uint8_t h[32])
{
    for (int i = 0; i < 32; i += 8) {
        const uint64_t v = bwt_next(r);
        memcpy(h + i, &v, 8);
    }
}

/* out = in with exactly `bits` distinct bits changed. */
static inline void bwt_flip(bwt_rng *r, uint8_t out[32], const uint8_t in[32], int bits)
{
    memcpy(out, in, 32);
    for (int done = 0; done < bits;) {
        const int b = (int)(bwt_next(r) % 256);
        const uint8_t mask = (uint8_t)(1u << (b % 8));
        if ((out[b / 8] ^ in[b / 8]) & mask)
            continue;
        out[b / 8] ^= mask;
        done++;
    }
}

#endif

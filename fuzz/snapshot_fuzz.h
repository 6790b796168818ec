/*
 * What the snapshot fuzz target and its corpus generator share: the fuzz
 * signing key (a fixed seed, public by design) and the base snapshot that
 * delta inputs are applied to.
 */
#ifndef BULWARK_FUZZ_SNAPSHOT_FUZZ_H
#define BULWARK_FUZZ_SNAPSHOT_FUZZ_H

#include <stdint.h>
#include <string.h>

#include <bulwark/bw_snapshot.h>

static inline void fuzz_snapshot_seed(uint8_t seed[BW_SNAPSHOT_SEED_BYTES])
{
    memset(seed, 0x42, BW_SNAPSHOT_SEED_BYTES);
}

/* Entry i of a section: distinct, deterministic bytes. */
static inline void fuzz_snapshot_entry(uint8_t out[32], unsigned section, unsigned i)
{
    for (unsigned b = 0; b < 32; b++)
        out[b] = (uint8_t)((i * 131u + b * 7u + section * 29u) ^ (b * i));
}

/* Version 1: six entries of every section, PSM key id 1..8. */
static inline bw_snapshot *fuzz_snapshot_base(bw_ctx *ctx)
{
    bw_snapshot *s = NULL;
    if (bw_snapshot_create(&s) != BW_OK)
        return NULL;
    for (unsigned t = 1; t <= 4; t++)
        for (unsigned i = 0; i < 6; i++) {
            uint8_t e[32];
            fuzz_snapshot_entry(e, t, i);
            bw_snapshot_add(ctx, s, (bw_snapshot_section)t, e,
                            bw_snapshot_entry_bytes((bw_snapshot_section)t));
        }
    const uint8_t id[BW_SNAPSHOT_KEY_ID_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8};
    bw_snapshot_set_psm_key_id(s, id);
    bw_snapshot_set_created_at(s, 1700000000);
    return s;
}

#endif

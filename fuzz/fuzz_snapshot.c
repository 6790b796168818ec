/*
 * libFuzzer target for snapshot files, through both readers: libbulwark's
 * bw_snapshot_open/apply and the device SDK's bank update. Each input is
 * read as it is (mostly refused by the signature) and again re-signed with
 * the fuzz key, so mutations reach the parser and the delta logic behind
 * the signature. Oracles: a refusal always says why; a full snapshot that
 * is accepted writes back to exactly the same bytes (one encoding per
 * contents); a delta is tried on the base snapshot of snapshot_fuzz.h, and
 * whatever the device accepts it can query. replay.c drives it over
 * fuzz/corpus/snapshot (written by make-snapshot-corpus) in every test run.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <bulwark/bulwark.h>
#include <bulwark/bw_device.h>

#include "snapshot_fixtures.h"
#include "snapshot_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void through_libbulwark(bw_ctx *ctx, const uint8_t *data, size_t size,
                               const uint8_t pk[32], const uint8_t seed[32])
{
    bw_snapshot *s = NULL;
    bw_status st = bw_snapshot_open(ctx, &s, data, size, pk);
    if (st == BW_OK) {
        bwt_bytes again = {0};
        if (bw_snapshot_write(ctx, s, seed, bwt_bytes_write, &again) != BW_OK ||
            again.size != size || memcmp(again.data, data, size) != 0)
            abort(); /* accepted, yet not the one encoding of its contents */
        free(again.data);
        bw_snapshot_free(s);
        return;
    }
    if (s || bw_ctx_message(ctx)[0] == '\0')
        abort();
    bw_snapshot *base = fuzz_snapshot_base(ctx);
    st = bw_snapshot_apply(ctx, base, data, size, pk);
    if (st != BW_OK && bw_ctx_message(ctx)[0] == '\0')
        abort();
    bw_snapshot_free(base);
}

static void through_device(bw_device *dev, bw_device_bank *bank, const uint8_t *data,
                           size_t size)
{
    const uint64_t before = bw_device_bank_version(bank);
    bw_status st = bw_device_bank_update(dev, bank, data, size);
    if (st != BW_OK) {
        if (bw_device_message(dev)[0] == '\0' || bw_device_bank_version(bank) != before)
            abort(); /* a refusal must say why and change nothing */
        return;
    }
    uint8_t q[8][32] = {{0}};
    int matched = 0, distance = 0;
    if (bw_device_bank_match_pdq(dev, bank, &matched, &distance,
                                 (const uint8_t(*)[32])q, 8, 31) != BW_OK ||
        bw_device_bank_match_digest(bank, &matched, q[0], 32) != BW_OK)
        abort();
}

static void try_input(const uint8_t *data, size_t size, const uint8_t pk[32],
                      const uint8_t seed[32])
{
    bw_ctx *ctx = NULL;
    bw_device *dev = NULL;
    bw_device_bank *bank = NULL;
    if (bw_ctx_create(&ctx) != BW_OK || bw_device_create(&dev) != BW_OK ||
        bw_device_bank_create(&bank, pk) != BW_OK)
        abort();
    through_libbulwark(ctx, data, size, pk, seed);
    /* The device starts from the base, so deltas can apply. */
    bw_snapshot *base = fuzz_snapshot_base(ctx);
    bwt_bytes b = {0};
    if (!base || bw_snapshot_write(ctx, base, seed, bwt_bytes_write, &b) != BW_OK ||
        bw_device_bank_update(dev, bank, b.data, b.size) != BW_OK)
        abort();
    through_device(dev, bank, data, size);
    free(b.data);
    bw_snapshot_free(base);
    bw_device_bank_free(bank);
    bw_device_free(dev);
    bw_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t seed[32], pk[32], sk[64];
    if (sodium_init() < 0)
        return 0;
    fuzz_snapshot_seed(seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    try_input(data, size, pk, seed);
    if (size >= 64) {
        uint8_t *copy = malloc(size);
        if (!copy)
            return 0;
        memcpy(copy, data, size);
        crypto_sign_detached(copy + size - 64, NULL, copy, size - 64, sk);
        try_input(copy, size, pk, seed);
        free(copy);
    }
    return 0;
}

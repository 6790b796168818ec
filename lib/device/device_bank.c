/*
 * The snapshot a device checks against. Updates are verified and built
 * completely aside, then swapped in, so queries on other threads see either
 * the old contents or the new, never a mixture, and a rejected update
 * leaves the old one in use. A query holds a reference to the state it
 * started with (taken under a mutex held for a pointer copy), so an update
 * never waits for queries and queries never starve an update; the last
 * holder frees a replaced state.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "device_internal.h"
#include "index/pdq_index_internal.h"
#include "snapshot/snapshot_format.h"

/* Below this many PDQ hashes a scan is as fast as the index (tens of
 * microseconds for 8 query hashes) and the index's fixed 4 MiB of tables
 * is not worth it. */
#define BANK_INDEX_MIN 2048

typedef struct bank_state {
    bwi_snap_set set;
    bw_pdq_index *index; /* the PDQ section, for near matches */
    size_t refs;         /* the bank's own, plus one per query in progress */
} bank_state;

struct bw_device_bank {
    uint8_t public_key[BW_DEVICE_PUBLIC_KEY_BYTES];
    pthread_mutex_t lock;      /* guards `current` and every state's refs */
    pthread_mutex_t updating;  /* one update at a time */
    bank_state *current;       /* NULL until the first update */
};

static void state_free(bank_state *s)
{
    if (!s)
        return;
    bwi_snap_set_clear(&s->set);
    bw_pdq_index_free(s->index);
    free(s);
}

BW_API bw_status bw_device_bank_create(
    bw_device_bank **bank_out, const uint8_t public_key[BW_DEVICE_PUBLIC_KEY_BYTES])
{
    if (!bank_out || !public_key)
        return BW_ERR_INVALID_ARGUMENT;
    *bank_out = NULL;
    bw_device_bank *b = calloc(1, sizeof *b);
    if (!b)
        return BW_ERR_NOMEM;
    if (pthread_mutex_init(&b->lock, NULL) != 0) {
        free(b);
        return BW_ERR_NOMEM;
    }
    if (pthread_mutex_init(&b->updating, NULL) != 0) {
        pthread_mutex_destroy(&b->lock);
        free(b);
        return BW_ERR_NOMEM;
    }
    memcpy(b->public_key, public_key, BW_DEVICE_PUBLIC_KEY_BYTES);
    *bank_out = b;
    return BW_OK;
}

BW_API void bw_device_bank_free(bw_device_bank *bank)
{
    if (!bank)
        return;
    state_free(bank->current);
    pthread_mutex_destroy(&bank->lock);
    pthread_mutex_destroy(&bank->updating);
    free(bank);
}

static bw_status build_index(bw_ctx *ctx, bank_state *s)
{
    const size_t n = s->set.counts[BWI_SNAP_PDQ];
    if (n < BANK_INDEX_MIN)
        return BW_OK;
    if (bw_pdq_index_create(&s->index) != BW_OK ||
        bw_pdq_index_reserve(s->index, n) != BW_OK)
        return bwi_fail(ctx, BW_ERR_NOMEM, "snapshot: cannot allocate the PDQ index");
    for (size_t i = 0; i < n; i++)
        if (bw_pdq_index_add(s->index, (int64_t)i, 0,
                             s->set.entries[BWI_SNAP_PDQ] + i * BW_PDQ_BYTES) != BW_OK)
            return bwi_fail(ctx, BW_ERR_NOMEM, "snapshot: cannot index %zu hashes", n);
    if (bw_pdq_index_compact(s->index) != BW_OK)
        return bwi_fail(ctx, BW_ERR_NOMEM, "snapshot: cannot index %zu hashes", n);
    return BW_OK;
}

/* The contents a verified file leads to from the current state. */
static bw_status next_state(bw_ctx *ctx, bank_state *next, const bank_state *cur,
                            const bwi_snap_file *file)
{
    if (file->kind == BWI_SNAP_FULL) {
        /* A replayed older snapshot would bring back what was removed and
         * drop what was added since: never go back. */
        if (cur && file->version <= cur->set.version)
            return bwi_fail(ctx, BW_ERR_VERIFY,
                            "snapshot: version %llu is not newer than version %llu "
                            "in use",
                            (unsigned long long)file->version,
                            (unsigned long long)cur->set.version);
        return bwi_snap_set_from_full(ctx, &next->set, file);
    }
    if (!cur)
        return bwi_fail(ctx, BW_ERR_VERIFY,
                        "snapshot: a delta from version %llu, but no snapshot is "
                        "in use",
                        (unsigned long long)file->base_version);
    return bwi_snap_set_apply(ctx, &next->set, &cur->set, file);
}

BW_API bw_status bw_device_bank_update(bw_device *device, bw_device_bank *bank,
                                       const void *data, size_t size)
{
    if (!device || !bank || !data)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_device_clear(device);
    bw_ctx *ctx = device->ctx;
    bwi_snap_file file;
    bw_status st = bwi_snap_parse(ctx, &file, data, size);
    if (st == BW_OK)
        st = bwi_snap_verify(ctx, data, size, bank->public_key);
    if (st != BW_OK)
        return st;

    pthread_mutex_lock(&bank->updating);
    bank_state *next = calloc(1, sizeof *next);
    if (!next)
        st = bwi_fail(ctx, BW_ERR_NOMEM, "snapshot: out of memory");
    if (st == BW_OK)
        st = next_state(ctx, next, bank->current, &file);
    if (st == BW_OK)
        st = build_index(ctx, next);
    if (st != BW_OK) {
        state_free(next);
        pthread_mutex_unlock(&bank->updating);
        return st;
    }
    next->refs = 1;
    pthread_mutex_lock(&bank->lock);
    bank_state *old = bank->current;
    bank->current = next;
    const bool last = old && --old->refs == 0;
    pthread_mutex_unlock(&bank->lock);
    pthread_mutex_unlock(&bank->updating);
    if (last)
        state_free(old);
    return BW_OK;
}

/* A query's reference to the current state (NULL when there is none). The
 * lock and the counts are logically mutable in a const bank. */
static bank_state *read_begin(const bw_device_bank *bank)
{
    pthread_mutex_t *lock = (pthread_mutex_t *)&bank->lock;
    pthread_mutex_lock(lock);
    bank_state *s = bank->current;
    if (s)
        s->refs++;
    pthread_mutex_unlock(lock);
    return s;
}

static void read_end(const bw_device_bank *bank, bank_state *s)
{
    if (!s)
        return;
    pthread_mutex_t *lock = (pthread_mutex_t *)&bank->lock;
    pthread_mutex_lock(lock);
    const bool last = --s->refs == 0;
    pthread_mutex_unlock(lock);
    if (last)
        state_free(s);
}

BW_API uint64_t bw_device_bank_version(const bw_device_bank *bank)
{
    if (!bank)
        return 0;
    bank_state *s = read_begin(bank);
    const uint64_t v = s ? s->set.version : 0;
    read_end(bank, s);
    return v;
}

BW_API void bw_device_bank_counts(const bw_device_bank *bank, size_t *pdq_out,
                                  size_t *md5_out, size_t *sha256_out,
                                  size_t *psm_out)
{
    size_t counts[BWI_SNAP_TYPES + 1] = {0};
    if (bank) {
        bank_state *s = read_begin(bank);
        if (s)
            memcpy(counts, s->set.counts, sizeof counts);
        read_end(bank, s);
    }
    if (pdq_out)
        *pdq_out = counts[BWI_SNAP_PDQ];
    if (md5_out)
        *md5_out = counts[BWI_SNAP_MD5];
    if (sha256_out)
        *sha256_out = counts[BWI_SNAP_SHA256];
    if (psm_out)
        *psm_out = counts[BWI_SNAP_PSM];
}

BW_API void bw_device_bank_psm_key_id(const bw_device_bank *bank,
                                      uint8_t key_id_out[BW_DEVICE_PSM_KEY_ID_BYTES])
{
    if (!key_id_out)
        return;
    memset(key_id_out, 0, BW_DEVICE_PSM_KEY_ID_BYTES);
    if (!bank)
        return;
    bank_state *s = read_begin(bank);
    if (s)
        memcpy(key_id_out, s->set.psm_key_id, BW_DEVICE_PSM_KEY_ID_BYTES);
    read_end(bank, s);
}

BW_API bw_status bw_device_bank_match_pdq(
    bw_device *device, const bw_device_bank *bank, int *matched_out,
    int *distance_out, const uint8_t (*hashes)[BW_DEVICE_PDQ_BYTES], size_t count,
    int threshold)
{
    if (!device || !bank || !matched_out || (!hashes && count))
        return BW_ERR_INVALID_ARGUMENT;
    bwi_device_clear(device);
    if (threshold < 0 || threshold > 256)
        return bwi_fail(device->ctx, BW_ERR_INVALID_ARGUMENT,
                        "threshold %d is outside 0..256", threshold);
    *matched_out = 0;
    int best = -1;
    bw_status st = BW_OK;
    bank_state *s = read_begin(bank);
    if (!s)
        st = bwi_fail(device->ctx, BW_ERR_UNAVAILABLE, "no snapshot is in use");
    for (size_t i = 0; st == BW_OK && i < count; i++) {
        int d = -1;
        if (!s->index) {
            const uint8_t *e = s->set.entries[BWI_SNAP_PDQ];
            for (size_t k = 0; k < s->set.counts[BWI_SNAP_PDQ]; k++) {
                const int dk = bwi_hash_distance(hashes[i], e + k * BW_PDQ_BYTES);
                if (dk <= threshold && (d < 0 || dk < d))
                    d = dk;
            }
        } else {
            st = bw_pdq_index_query(s->index, device->results, hashes[i], threshold);
            if (st == BW_OK && bw_pdq_results_count(device->results) > 0)
                bw_pdq_results_get(device->results, 0, NULL, NULL, &d, NULL);
        }
        if (d >= 0 && (best < 0 || d < best))
            best = d;
    }
    read_end(bank, s);
    if (st != BW_OK)
        return st == BW_ERR_NOMEM ? bwi_fail(device->ctx, st, "out of memory") : st;
    *matched_out = best >= 0;
    if (distance_out)
        *distance_out = best;
    return BW_OK;
}

static bw_status match_entry(const bw_device_bank *bank, int *matched_out,
                             unsigned type, const uint8_t *entry)
{
    bank_state *s = read_begin(bank);
    const bool loaded = s != NULL;
    const bool found = loaded && bwi_snap_set_contains(&s->set, type, entry);
    read_end(bank, s);
    if (!loaded)
        return BW_ERR_UNAVAILABLE;
    *matched_out = found;
    return BW_OK;
}

BW_API bw_status bw_device_bank_match_digest(const bw_device_bank *bank,
                                             int *matched_out,
                                             const uint8_t *digest, size_t size)
{
    if (!bank || !matched_out || !digest)
        return BW_ERR_INVALID_ARGUMENT;
    *matched_out = 0;
    if (size == BW_DEVICE_SHA256_BYTES)
        return match_entry(bank, matched_out, BWI_SNAP_SHA256, digest);
    if (size == BW_DEVICE_MD5_BYTES)
        return match_entry(bank, matched_out, BWI_SNAP_MD5, digest);
    return BW_ERR_INVALID_ARGUMENT;
}

BW_API bw_status bw_device_bank_match_psm(
    const bw_device_bank *bank, int *matched_out,
    const uint8_t token[BW_DEVICE_PSM_TOKEN_BYTES])
{
    if (!bank || !matched_out || !token)
        return BW_ERR_INVALID_ARGUMENT;
    *matched_out = 0;
    return match_entry(bank, matched_out, BWI_SNAP_PSM, token);
}

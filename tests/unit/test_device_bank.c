/*
 * Snapshots on the device: near and exact lookups agree with brute force;
 * every tampered, truncated, foreign-key, replayed or misapplied update is
 * refused and the snapshot in use stays in use; deltas reach exactly the
 * contents of the full snapshot they stand for; queries run safely while
 * another thread updates.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include <bulwark/bulwark.h>
#include <bulwark/bw_device.h>
#include <bulwark/bw_snapshot.h>

#include "harness.h"
#include "hash_fixtures.h"
#include "snapshot_fixtures.h"

static bw_ctx *ctx;
static bw_device *dev;
static uint8_t pk[32];
static bwt_rng rng = {0x5eed};

#define N_PDQ 3000
static uint8_t pdq[N_PDQ][32];
static uint8_t md5s[50][16], shas[50][32];

static bw_snapshot *make_snapshot(uint64_t version, size_t pdq_from, size_t pdq_to)
{
    bw_snapshot *s = NULL;
    bw_snapshot_create(&s);
    bw_snapshot_set_version(s, version);
    bw_snapshot_set_created_at(s, 1700000000 + (int64_t)version);
    for (size_t i = pdq_from; i < pdq_to; i++)
        bw_snapshot_add(ctx, s, BW_SNAPSHOT_PDQ, pdq[i], 32);
    for (size_t i = 0; i < 50; i++) {
        bw_snapshot_add(ctx, s, BW_SNAPSHOT_MD5, md5s[i], 16);
        bw_snapshot_add(ctx, s, BW_SNAPSHOT_SHA256, shas[i], 32);
    }
    return s;
}

static int brute_min(const uint8_t (*q)[32], size_t nq, size_t from, size_t to,
                     int threshold)
{
    int best = -1;
    for (size_t k = 0; k < nq; k++)
        for (size_t i = from; i < to; i++) {
            int d = bw_pdq_distance(q[k], pdq[i]);
            if (d <= threshold && (best < 0 || d < best))
                best = d;
        }
    return best;
}

static void lookups_agree_with_brute_force(void)
{
    bw_device_bank *bank = NULL;
    CHECK_EQ(bw_device_bank_create(&bank, pk), BW_OK);
    int m = -1;
    CHECK_EQ(bw_device_bank_match_pdq(dev, bank, &m, NULL, pdq, 1, 31),
             BW_ERR_UNAVAILABLE);
    CHECK_EQ(bw_device_bank_version(bank), 0);

    bw_snapshot *s = make_snapshot(7, 0, N_PDQ);
    bwt_bytes file = bwt_snapshot_bytes(ctx, s, 1);
    CHECK(file.size > 0);
    CHECK_EQ(bw_device_bank_update(dev, bank, file.data, file.size), BW_OK);
    CHECK_EQ(bw_device_bank_version(bank), 7);
    size_t np, nm, ns, nt;
    bw_device_bank_counts(bank, &np, &nm, &ns, &nt);
    CHECK_EQ(np, N_PDQ);
    CHECK_EQ(nm, 50);
    CHECK_EQ(ns, 50);
    CHECK_EQ(nt, 0);

    int mismatches = 0, matched = 0;
    for (int i = 0; i < 600; i++) {
        uint8_t q[8][32];
        const size_t nq = 1 + (size_t)(bwt_next(&rng) % 8);
        for (size_t k = 0; k < nq; k++) {
            if (i % 2)
                bwt_random_hash(&rng, q[k]);
            else
                bwt_flip(&rng, q[k], pdq[bwt_next(&rng) % N_PDQ],
                         (int)(bwt_next(&rng) % 48));
        }
        const int threshold = i % 3 ? 31 : 12;
        int got = -1, dist = -2;
        CHECK_EQ(bw_device_bank_match_pdq(dev, bank, &got, &dist,
                                          (const uint8_t(*)[32])q, nq, threshold),
                 BW_OK);
        const int want = brute_min((const uint8_t(*)[32])q, nq, 0, N_PDQ, threshold);
        mismatches += got != (want >= 0) || dist != want;
        matched += got;
    }
    CHECK_EQ(mismatches, 0);
    CHECK(matched > 100 && matched < 400);

    for (int i = 0; i < 50; i++) {
        CHECK_EQ(bw_device_bank_match_digest(bank, &m, md5s[i], 16), BW_OK);
        CHECK_EQ(m, 1);
        CHECK_EQ(bw_device_bank_match_digest(bank, &m, shas[i], 32), BW_OK);
        CHECK_EQ(m, 1);
        uint8_t other[32];
        memcpy(other, shas[i], 32);
        other[31] ^= 1;
        CHECK_EQ(bw_device_bank_match_digest(bank, &m, other, 32), BW_OK);
        CHECK_EQ(m, 0);
        CHECK_EQ(bw_device_bank_match_digest(bank, &m, other, 16), BW_OK);
        CHECK_EQ(m, 0);
    }
    CHECK_EQ(bw_device_bank_match_digest(bank, &m, shas[0], 20), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_device_bank_match_pdq(dev, bank, &m, NULL, pdq, 1, 300),
             BW_ERR_INVALID_ARGUMENT);
    bwt_bytes_free(&file);
    bw_snapshot_free(s);
    bw_device_bank_free(bank);
}

/* The bank still answers as version 1 does: pdq[0..1000) in, the rest out. */
static void still_version_one(bw_device_bank *bank)
{
    int a = -1, b = -1;
    CHECK_EQ(bw_device_bank_version(bank), 1);
    CHECK_EQ(bw_device_bank_match_pdq(dev, bank, &a, NULL, &pdq[5], 1, 0), BW_OK);
    CHECK_EQ(bw_device_bank_match_pdq(dev, bank, &b, NULL, &pdq[2500], 1, 0), BW_OK);
    CHECK_EQ(a, 1);
    CHECK_EQ(b, 0);
}

static void rejected_updates_keep_the_snapshot_in_use(void)
{
    bw_device_bank *bank = NULL;
    bw_device_bank_create(&bank, pk);
    bw_snapshot *v1 = make_snapshot(1, 0, 1000), *v2 = make_snapshot(2, 500, 2000),
                *v3 = make_snapshot(3, 1500, 3000);
    bwt_bytes f1 = bwt_snapshot_bytes(ctx, v1, 1), f2 = bwt_snapshot_bytes(ctx, v2, 1),
              d12 = bwt_delta_bytes(ctx, v1, v2, 1), d23 = bwt_delta_bytes(ctx, v2, v3, 1),
              foreign = bwt_snapshot_bytes(ctx, v2, 2);
    CHECK_EQ(bw_device_bank_update(dev, bank, d12.data, d12.size), BW_ERR_VERIFY);
    CHECK_EQ(bw_device_bank_update(dev, bank, f1.data, f1.size), BW_OK);
    still_version_one(bank);

    CHECK_EQ(bw_device_bank_update(dev, bank, foreign.data, foreign.size), BW_ERR_VERIFY);
    CHECK(strstr(bw_device_message(dev), "signature") != NULL);
    still_version_one(bank);
    CHECK_EQ(bw_device_bank_update(dev, bank, d23.data, d23.size), BW_ERR_VERIFY);
    CHECK(strstr(bw_device_message(dev), "applies to version 2") != NULL);
    still_version_one(bank);
    CHECK_EQ(bw_device_bank_update(dev, bank, f1.data, f1.size), BW_ERR_VERIFY);
    still_version_one(bank);

    /* Every single flipped byte, every truncation, one byte too many. */
    int accepted = 0;
    for (size_t i = 0; i < f2.size; i += 1 + i / 64) {
        f2.data[i] ^= 0x10;
        accepted += bw_device_bank_update(dev, bank, f2.data, f2.size) == BW_OK;
        f2.data[i] ^= 0x10;
    }
    for (size_t len = 0; len < f2.size; len += 1 + len / 16)
        accepted += bw_device_bank_update(dev, bank, f2.data, len) == BW_OK;
    uint8_t *longer = malloc(f2.size + 1);
    memcpy(longer, f2.data, f2.size);
    longer[f2.size] = 0;
    accepted += bw_device_bank_update(dev, bank, longer, f2.size + 1) == BW_OK;
    free(longer);
    CHECK_EQ(accepted, 0);
    still_version_one(bank);

    /* The real delta applies, reaches v2's contents, and cannot apply twice. */
    CHECK_EQ(bw_device_bank_update(dev, bank, d12.data, d12.size), BW_OK);
    CHECK_EQ(bw_device_bank_version(bank), 2);
    CHECK_EQ(bw_device_bank_update(dev, bank, d12.data, d12.size), BW_ERR_VERIFY);
    int a, b, c;
    bw_device_bank_match_pdq(dev, bank, &a, NULL, &pdq[100], 1, 0);
    bw_device_bank_match_pdq(dev, bank, &b, NULL, &pdq[1999], 1, 0);
    bw_device_bank_match_pdq(dev, bank, &c, NULL, &pdq[2500], 1, 0);
    CHECK(a == 0 && b == 1 && c == 0);
    size_t np;
    bw_device_bank_counts(bank, &np, NULL, NULL, NULL);
    CHECK_EQ(np, 1500);
    CHECK(d12.size < f2.size);
    CHECK_EQ(bw_device_bank_update(dev, bank, d23.data, d23.size), BW_OK);
    CHECK_EQ(bw_device_bank_version(bank), 3);

    bwt_bytes_free(&f1), bwt_bytes_free(&f2), bwt_bytes_free(&d12);
    bwt_bytes_free(&d23), bwt_bytes_free(&foreign);
    bw_snapshot_free(v1), bw_snapshot_free(v2), bw_snapshot_free(v3);
    bw_device_bank_free(bank);
}

/* A delta made from other contents with the same version number. */
static void delta_from_other_contents_is_refused(void)
{
    bw_device_bank *bank = NULL;
    bw_device_bank_create(&bank, pk);
    bw_snapshot *v1 = make_snapshot(1, 0, 1000), *other = make_snapshot(1, 0, 999),
                *v2 = make_snapshot(2, 0, 1200);
    bwt_bytes f1 = bwt_snapshot_bytes(ctx, v1, 1), d = bwt_delta_bytes(ctx, other, v2, 1);
    CHECK_EQ(bw_device_bank_update(dev, bank, f1.data, f1.size), BW_OK);
    CHECK_EQ(bw_device_bank_update(dev, bank, d.data, d.size), BW_ERR_VERIFY);
    CHECK(strstr(bw_device_message(dev), "other contents") != NULL);
    still_version_one(bank);
    bwt_bytes_free(&f1), bwt_bytes_free(&d);
    bw_snapshot_free(v1), bw_snapshot_free(other), bw_snapshot_free(v2);
    bw_device_bank_free(bank);
}

typedef struct reader {
    bw_device_bank *bank;
    int inconsistent;
    atomic_int queries;
} reader;

static atomic_int stop_readers;

static void *read_loop(void *arg)
{
    reader *r = arg;
    bw_device *d = NULL;
    bw_device_create(&d);
    /* Every version holds pdq[0] or pdq[1]: a query never sees neither. */
    while (!stop_readers) {
        int m = 0;
        if (bw_device_bank_match_pdq(d, r->bank, &m, NULL, pdq, 2, 0) != BW_OK || !m)
            r->inconsistent++;
        atomic_fetch_add(&r->queries, 1);
    }
    bw_device_free(d);
    return NULL;
}

static void queries_run_during_updates(void)
{
    bw_device_bank *bank = NULL;
    bw_device_bank_create(&bank, pk);
    bw_snapshot *s = make_snapshot(1, 0, 1000);
    bwt_bytes f = bwt_snapshot_bytes(ctx, s, 1);
    bw_device_bank_update(dev, bank, f.data, f.size);
    bwt_bytes_free(&f);
    bw_snapshot_free(s);
    reader r[3] = {{bank, 0, 0}, {bank, 0, 0}, {bank, 0, 0}};
    pthread_t t[3];
    stop_readers = 0;
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, read_loop, &r[i]);
    /* On a busy machine a thread may not be scheduled for a while: wait until
     * every reader runs, and let queries in between updates, so that the
     * updates really race with lookups. */
    for (int i = 0; i < 3; i++)
        while (atomic_load(&r[i].queries) == 0)
            sched_yield();
    for (uint64_t v = 2; v < 30; v++) {
        s = make_snapshot(v, v % 2, 200 + v);
        f = bwt_snapshot_bytes(ctx, s, 1);
        const int before = atomic_load(&r[v % 3].queries);
        CHECK_EQ(bw_device_bank_update(dev, bank, f.data, f.size), BW_OK);
        bwt_bytes_free(&f);
        bw_snapshot_free(s);
        while (atomic_load(&r[v % 3].queries) == before)
            sched_yield();
    }
    stop_readers = 1;
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(r[i].inconsistent, 0);
        CHECK(atomic_load(&r[i].queries) > 1);
    }
    CHECK_EQ(bw_device_bank_version(bank), 29);
    bw_device_bank_free(bank);
}

int main(void)
{
    if (bw_ctx_create(&ctx) != BW_OK || bw_device_create(&dev) != BW_OK)
        return 1;
    for (int i = 0; i < N_PDQ; i++)
        bwt_random_hash(&rng, pdq[i]);
    for (int i = 0; i < 50; i++) {
        bwt_random_hash(&rng, shas[i]);
        memcpy(md5s[i], shas[i] + 3, 16);
    }
    bwt_test_public_key(pk, 1);
    RUN(lookups_agree_with_brute_force);
    RUN(rejected_updates_keep_the_snapshot_in_use);
    RUN(delta_from_other_contents_is_refused);
    RUN(queries_run_during_updates);
    bw_device_free(dev);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

/*
 * The index must return exactly what a brute-force scan returns, in every
 * state: only dynamic tables, after compaction, after removals and the
 * rebuild they trigger, for thresholds on both sides of each probing radius.
 */
#include <bulwark/bulwark.h>

#include "harness.h"
#include "hash_fixtures.h"

static bwt_rng rng = {0x9E3779B97F4A7C15ull};

static void random_hash(uint8_t h[32])
{
    bwt_random_hash(&rng, h);
}

static void near(uint8_t out[32], const uint8_t h[32], int bits)
{
    bwt_flip(&rng, out, h, bits);
}

static int query_mismatches;

static void compare(const bw_pdq_index *ix, bw_pdq_results *a, bw_pdq_results *b,
                    const uint8_t q[32], int threshold)
{
    CHECK_EQ(bw_pdq_index_query(ix, a, q, threshold), BW_OK);
    CHECK_EQ(bw_pdq_index_scan(ix, b, q, threshold), BW_OK);
    size_t n = bw_pdq_results_count(a);
    bool same = n == bw_pdq_results_count(b);
    for (size_t i = 0; same && i < n; i++) {
        int64_t ia, ib;
        int da, db;
        uint8_t ha[32], hb[32];
        bw_pdq_results_get(a, i, &ia, NULL, &da, ha);
        bw_pdq_results_get(b, i, &ib, NULL, &db, hb);
        same = ia == ib && da == db && memcmp(ha, hb, 32) == 0 && da <= threshold &&
               (i == 0 || da >= 0);
    }
    if (!same) {
        query_mismatches++;
        fprintf(stderr, "threshold %d: index %zu results, scan %zu\n", threshold, n,
                bw_pdq_results_count(b));
    }
}

#define N 30000
static uint8_t hashes[N][32];

static void exact_recall_in_every_state(void)
{
    bw_pdq_index *ix;
    bw_pdq_results *a, *b;
    CHECK_EQ(bw_pdq_index_create(&ix), BW_OK);
    bw_pdq_results_create(&a);
    bw_pdq_results_create(&b);
    /* Clusters of near-duplicates around random centres, plus noise. */
    for (int i = 0; i < N; i++) {
        if (i % 10 == 0)
            random_hash(hashes[i]);
        else
            near(hashes[i], hashes[i - i % 10], (int)(bwt_next(&rng) % 40));
    }
    static const int thresholds[] = {0, 1, 10, 15, 16, 17, 31, 32, 33, 47, 48, 70};
    const int nt = sizeof thresholds / sizeof thresholds[0];
    for (int phase = 0; phase < 4; phase++) {
        if (phase == 0) { /* dynamic tables only */
            for (int i = 0; i < N / 2; i++)
                CHECK_EQ(bw_pdq_index_add(ix, i, (uint32_t)(i % 7), hashes[i]), BW_OK);
        } else if (phase == 1) { /* compacted, then more additions */
            CHECK_EQ(bw_pdq_index_compact(ix), BW_OK);
            for (int i = N / 2; i < N; i++)
                CHECK_EQ(bw_pdq_index_add(ix, i, (uint32_t)(i % 7), hashes[i]), BW_OK);
        } else if (phase == 2) { /* merged, with a few removals */
            CHECK_EQ(bw_pdq_index_compact(ix), BW_OK);
            for (int i = 0; i < N; i += 17)
                CHECK_EQ(bw_pdq_index_remove(ix, i, hashes[i]), BW_OK);
        } else { /* many removals: compaction rebuilds without them */
            for (int i = 1; i < N; i += 3)
                if (i % 17)
                    CHECK_EQ(bw_pdq_index_remove(ix, i, hashes[i]), BW_OK);
            CHECK_EQ(bw_pdq_index_compact(ix), BW_OK);
        }
        for (int q = 0; q < 200; q++) {
            uint8_t query[32];
            if (q % 2)
                random_hash(query);
            else
                near(query, hashes[bwt_next(&rng) % N], (int)(bwt_next(&rng) % 48));
            compare(ix, a, b, query, thresholds[q % nt]);
        }
    }
    CHECK_EQ(query_mismatches, 0);
    size_t expect = 0;
    for (int i = 0; i < N; i++)
        expect += !(i % 17 == 0 || (i % 3 == 1));
    CHECK_EQ(bw_pdq_index_count(ix), expect);
    CHECK(bw_pdq_index_memory(ix) > expect * 32);
    bw_pdq_results_free(a);
    bw_pdq_results_free(b);
    bw_pdq_index_free(ix);
}

static void results_and_removal_details(void)
{
    bw_pdq_index *ix;
    bw_pdq_results *r;
    bw_pdq_index_create(&ix);
    bw_pdq_results_create(&r);
    uint8_t h[32], g[32];
    random_hash(h);
    near(g, h, 5);
    CHECK_EQ(bw_pdq_index_add(ix, 100, 7, h), BW_OK);
    CHECK_EQ(bw_pdq_index_add(ix, 50, 9, g), BW_OK);
    CHECK_EQ(bw_pdq_index_add(ix, 101, 7, h), BW_OK); /* same hash, other id */
    CHECK_EQ(bw_pdq_index_query(ix, r, h, 31), BW_OK);
    CHECK_EQ(bw_pdq_results_count(r), 3);
    int64_t id;
    uint32_t tag;
    int d;
    uint8_t back[32];
    /* Ordered by distance, then id. */
    bw_pdq_results_get(r, 0, &id, &tag, &d, back);
    CHECK_EQ(id, 100);
    CHECK_EQ(tag, 7);
    CHECK_EQ(d, 0);
    CHECK(memcmp(back, h, 32) == 0);
    bw_pdq_results_get(r, 2, &id, &tag, &d, NULL);
    CHECK_EQ(id, 50);
    CHECK_EQ(d, 5);
    CHECK_EQ(bw_pdq_results_get(r, 3, &id, NULL, NULL, NULL), BW_ERR_INVALID_ARGUMENT);
    /* Removal needs the right id and hash, and happens once. */
    CHECK_EQ(bw_pdq_index_remove(ix, 100, g), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_pdq_index_remove(ix, 100, h), BW_OK);
    CHECK_EQ(bw_pdq_index_remove(ix, 100, h), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_pdq_index_query(ix, r, h, 4), BW_OK);
    CHECK_EQ(bw_pdq_results_count(r), 1);
    CHECK_EQ(bw_pdq_index_query(ix, r, h, 257), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_pdq_index_query(ix, r, h, -1), BW_ERR_INVALID_ARGUMENT);
    /* An empty index answers too. */
    bw_pdq_index *empty;
    bw_pdq_index_create(&empty);
    CHECK_EQ(bw_pdq_index_query(empty, r, h, 31), BW_OK);
    CHECK_EQ(bw_pdq_results_count(r), 0);
    CHECK_EQ(bw_pdq_index_compact(empty), BW_OK);
    CHECK_EQ(bw_pdq_index_query(empty, r, h, 31), BW_OK);
    bw_pdq_index_free(empty);
    bw_pdq_results_free(r);
    bw_pdq_index_free(ix);
    bw_pdq_index_free(NULL);
    bw_pdq_results_free(NULL);
}

int main(void)
{
    RUN(exact_recall_in_every_state);
    RUN(results_and_removal_details);
    return BWT_RESULT();
}

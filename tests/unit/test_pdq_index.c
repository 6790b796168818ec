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

/*
 * Buckets of hundreds of entries, as a bank of near-duplicates makes: a
 * query filters a bucket eight entries at a time and decodes its slots only
 * up to the last entry that passes, so entries in every position of a long
 * bucket, its last partial group included, must be found.
 */
static void exact_recall_in_crowded_buckets(void)
{
    enum { CROWD = 301 };
    static uint8_t crowd[CROWD][32];
    bw_pdq_index *ix;
    bw_pdq_results *a, *b;
    CHECK_EQ(bw_pdq_index_create(&ix), BW_OK);
    bw_pdq_results_create(&a);
    bw_pdq_results_create(&b);
    uint8_t centre[32];
    random_hash(centre);
    /* All share substring 0 (one bucket of table 0); the rest differ by up
     * to 30 bits, so the other tables' buckets are crowded too. */
    for (int i = 0; i < CROWD; i++) {
        memcpy(crowd[i], centre, 32);
        const int bits = (int)(bwt_next(&rng) % 31);
        for (int f = 0; f < bits; f++) {
            const int bit = 16 + (int)(bwt_next(&rng) % 240);
            crowd[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
    }
    static const int thresholds[] = {8, 16, 31, 32, 47};
    for (int phase = 0; phase < 2; phase++) {
        if (phase == 0) { /* half compacted, half in the dynamic tables */
            for (int i = 0; i < CROWD / 2; i++)
                CHECK_EQ(bw_pdq_index_add(ix, i, 0, crowd[i]), BW_OK);
            CHECK_EQ(bw_pdq_index_compact(ix), BW_OK);
            for (int i = CROWD / 2; i < CROWD; i++)
                CHECK_EQ(bw_pdq_index_add(ix, i, 0, crowd[i]), BW_OK);
        } else { /* all merged into the static tables */
            CHECK_EQ(bw_pdq_index_compact(ix), BW_OK);
        }
        for (int j = 0; j < CROWD; j++) {
            uint8_t query[32];
            near(query, crowd[j], (int)(bwt_next(&rng) % 6));
            compare(ix, a, b, query, thresholds[j % 5]);
        }
    }
    CHECK_EQ(query_mismatches, 0);
    bw_pdq_results_free(a);
    bw_pdq_results_free(b);
    bw_pdq_index_free(ix);
}

/* A hash `d[t]` bits away from `q` in each 16-bit substring t. */
static void at_distances(uint8_t out[32], const uint8_t q[32], const int d[16])
{
    memcpy(out, q, 32);
    for (int t = 0; t < 16; t++)
        for (int flipped = 0; flipped < d[t];) {
            const int bit = (int)(bwt_next(&rng) % 16);
            uint8_t *byte = &out[2 * t + bit / 8];
            const uint8_t mask = (uint8_t)(1u << (bit % 8));
            if ((*byte ^ q[2 * t + bit / 8]) & mask)
                continue;
            *byte ^= mask;
            flipped++;
        }
}

/* How many substrings t satisfy the condition the query's bucket filter
 * relies on (d[t] <= T/16 and d[t] + d[t+1] <= T/8). */
static int qualifying(const int d[16], int threshold)
{
    int n = 0;
    for (int t = 0; t < 16; t++)
        n += d[t] <= threshold / 16 && d[t] + d[(t + 1) % 16] <= threshold / 8;
    return n;
}

/* Distances with one substring pair that uses the filter's whole budget
 * and every other substring as cheap as it can be without qualifying. */
static void single_pair(int d[16], int threshold)
{
    const int r = threshold / 16, span = threshold / 8;
    const int t0 = (int)(bwt_next(&rng) % 16);
    d[t0] = (int)(bwt_next(&rng) % (uint64_t)(r + 1));
    d[(t0 + 1) % 16] = span - d[t0];
    for (int j = 2; j < 16; j++) {
        const int prev = d[(t0 + j - 1) % 16];
        int v;
        if (prev <= r)
            v = span + 1 - prev; /* a low one must be followed by a heavy one */
        else if (bwt_next(&rng) % 2)
            v = r + 1;
        else
            v = (int)(bwt_next(&rng) % (uint64_t)(r + 1));
        d[(t0 + j) % 16] = v;
    }
}

/*
 * The query skips bucket entries whose next substring is too far from its
 * own. Random data rarely lands near that rule's edge, so here every stored
 * hash is placed at a chosen distance in each substring: half of them with
 * total distances at T - 3 .. T + 1, half with a single substring pair that
 * lets the index find them (which, at T = 15, 31 and 47, can be within T).
 */
static void exact_recall_at_the_filter_edge(void)
{
    static const int thresholds[] = {8, 15, 16, 23, 24, 31, 32, 39, 47};
    int edge_cases = 0;
    for (size_t k = 0; k < sizeof thresholds / sizeof thresholds[0]; k++) {
        const int threshold = thresholds[k];
        bw_pdq_index *ix;
        bw_pdq_results *a, *b;
        CHECK_EQ(bw_pdq_index_create(&ix), BW_OK);
        bw_pdq_results_create(&a);
        bw_pdq_results_create(&b);
        uint8_t q[32], h[32];
        random_hash(q);
        int within = 0;
        for (int i = 0; i < 3000; i++) {
            int d[16], sum;
            if (i % 2) {
                do {
                    single_pair(d, threshold);
                    sum = 0;
                    for (int t = 0; t < 16; t++)
                        sum += d[t];
                } while (sum <= threshold && qualifying(d, threshold) != 1);
            } else {
                do {
                    sum = 0;
                    for (int t = 0; t < 16; t++) {
                        d[t] = (int)(bwt_next(&rng) % (uint64_t)(threshold / 8 + 3));
                        sum += d[t];
                    }
                } while (sum < threshold - 3 || sum > threshold + 1);
            }
        at_distances(h, q, d);
            CHECK_EQ(bw_pdq_index_add(ix, i, 0, h), BW_OK);
            within += sum <= threshold;
            edge_cases += sum <= threshold && qualifying(d, threshold) == 1;
            if (i == 1500)
                CHECK_EQ(bw_pdq_index_compact(ix), BW_OK); /* later ones chained */
        }
        /* The extremes of the argument: alternating pairs (a, b, a, b, ...),
         * uniform ones among them, each also with one substring lighter. */
        for (int x = 0; x <= 7; x++)
            for (int y = 0; y <= 7; y++)
                for (int lighter = 0; lighter < 2; lighter++) {
                    int d[16], sum = 0;
                    for (int t = 0; t < 16; t++)
                        d[t] = t % 2 ? y : x;
                    if (lighter && d[5] > 0)
                        d[5]--;
                    for (int t = 0; t < 16; t++)
                        sum += d[t];
                    at_distances(h, q, d);
                    CHECK_EQ(bw_pdq_index_add(ix, 100000 + 100 * x + 10 * y + lighter, 0, h),
                             BW_OK);
                    within += sum <= threshold;
                }
        compare(ix, a, b, q, threshold);
        CHECK_EQ(bw_pdq_results_count(a), (size_t)within);
        CHECK_EQ(bw_pdq_index_compact(ix), BW_OK); /* all in static tables */
        compare(ix, a, b, q, threshold);
        CHECK_EQ(bw_pdq_results_count(a), (size_t)within);
        bw_pdq_results_free(a);
        bw_pdq_results_free(b);
        bw_pdq_index_free(ix);
    }
    CHECK_EQ(query_mismatches, 0);
    CHECK(edge_cases > 1000);
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
    RUN(exact_recall_at_the_filter_edge);
    RUN(exact_recall_in_crowded_buckets);
    RUN(results_and_removal_details);
    return BWT_RESULT();
}

/*
 * The device SDK's snapshot lookups against brute force, in one run on the
 * same data: a signed snapshot of COUNT PDQ hashes (make_pdq_dataset) and
 * COUNT SHA-256s and MD5s is loaded into a bw_device_bank (load time and
 * memory reported), then every query is checked both ways: PDQ near match
 * of 1 hash and of 8 (a photo's rotations and mirrors) within THRESHOLD
 * against libbulwark's AVX2 brute-force scan, and exact digest lookups
 * against a linear scan. Answers must agree; times are per check.
 *
 *   bench_device_lookup PREFIX THRESHOLD
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulwark/bulwark.h>
#include <bulwark/bw_device.h>
#include <bulwark/bw_snapshot.h>

#include "bench_util.h"
#include "snapshot_fixtures.h"

/* The brute-force reference: libbulwark's AVX2 scan of every entry, the
 * smallest distance within threshold over the query's hashes. */
static int brute_pdq(const bw_pdq_index *all, bw_pdq_results *r, const uint8_t (*q)[32],
                     int nq, int threshold)
{
    int best = -1;
    for (int k = 0; k < nq; k++) {
        int d;
        if (bw_pdq_index_scan(all, r, q[k], threshold) == BW_OK &&
            bw_pdq_results_count(r) > 0 &&
            bw_pdq_results_get(r, 0, NULL, NULL, &d, NULL) == BW_OK &&
            (best < 0 || d < best))
            best = d;
    }
    return best;
}

static int brute_exact(const uint8_t *digests, long n, const uint8_t *q, size_t size)
{
    for (long i = 0; i < n; i++)
        if (!memcmp(digests + i * size, q, size))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_device_lookup PREFIX THRESHOLD\n");
        return 2;
    }
    const int threshold = atoi(argv[2]);
    long n, nq;
    uint8_t *hashes = load(argv[1], "hashes", &n), *queries = load(argv[1], "queries", &nq);
    /* Digests: the PDQ bytes reversed stand in for SHA-256s, their first
     * half for MD5s; queries hit one in ten. */
    uint8_t *sha = malloc((size_t)n * 32), *md5 = malloc((size_t)n * 16);
    for (long i = 0; i < n; i++)
        for (int b = 0; b < 32; b++)
            sha[i * 32 + b] = hashes[i * 32 + 31 - b], md5[i * 16 + b / 2] = hashes[i * 32 + b];

    bw_ctx *ctx;
    bw_snapshot *s;
    bw_ctx_create(&ctx);
    bw_snapshot_create(&s);
    for (long i = 0; i < n; i++) {
        bw_snapshot_add(ctx, s, BW_SNAPSHOT_PDQ, hashes + i * 32, 32);
        bw_snapshot_add(ctx, s, BW_SNAPSHOT_SHA256, sha + i * 32, 32);
        bw_snapshot_add(ctx, s, BW_SNAPSHOT_MD5, md5 + i * 16, 16);
    }
    uint8_t seed[32] = {7}, pk[32];
    bw_snapshot_public_key(pk, seed);
    bwt_bytes file = {0};
    bw_snapshot_write(ctx, s, seed, bwt_bytes_write, &file);
    bw_snapshot_free(s);

    bw_device *dev;
    bw_device_bank *bank;
    bw_device_create(&dev);
    bw_device_bank_create(&bank, pk);
    bw_pdq_index *all;
    bw_pdq_results *results;
    bw_pdq_index_create(&all);
    bw_pdq_results_create(&results);
    for (long i = 0; i < n; i++)
        bw_pdq_index_add(all, i, 0, hashes + i * 32);
    const long rss0 = rss_kib();
    double t = now();
    if (bw_device_bank_update(dev, bank, file.data, file.size) != BW_OK) {
        fprintf(stderr, "%s\n", bw_device_message(dev));
        return 1;
    }
    const double load_s = now() - t;
    printf("snapshot                   %ld PDQ + %ld SHA-256 + %ld MD5, %.1f MB file\n", n, n,
           n, (double)file.size / 1e6);
    printf("load (verify, parse, index) %.3f s, %.0f MB resident\n", load_s,
           (double)(rss_kib() - rss0) / 1024);

    /* Each query as 1 hash and as 8 (itself and the next 7 queries, like a
     * photo's dihedral variants). */
    const long rounds = nq - 8;
    int disagree = 0, found1 = 0, found8 = 0, exact_found = 0;
    double dev1 = 0, dev8 = 0, ref1 = 0, ref8 = 0, dev_exact = 0, ref_exact = 0;
    const long ref_rounds = rounds < 1000 ? rounds : 1000; /* brute force is slow */
    for (long q = 0; q < rounds; q++) {
        const uint8_t(*qq)[32] = (const uint8_t(*)[32])(queries + q * 32);
        int m1, m8, d1, d8;
        t = now();
        bw_device_bank_match_pdq(dev, bank, &m1, &d1, qq, 1, threshold);
        dev1 += now() - t;
        t = now();
        bw_device_bank_match_pdq(dev, bank, &m8, &d8, qq, 8, threshold);
        dev8 += now() - t;
        found1 += m1, found8 += m8;
        uint8_t dq[32];
        memcpy(dq, q % 10 ? queries + q * 32 : sha + (q % n) * 32, 32);
        int e;
        t = now();
        bw_device_bank_match_digest(bank, &e, dq, 32);
        dev_exact += now() - t;
        exact_found += e;
        if (q < ref_rounds) {
            t = now();
            const int b1 = brute_pdq(all, results, qq, 1, threshold);
            ref1 += now() - t;
            t = now();
            const int b8 = brute_pdq(all, results, qq, 8, threshold);
            ref8 += now() - t;
            t = now();
            const int be = brute_exact(sha, n, dq, 32);
            ref_exact += now() - t;
            disagree += (b1 != d1) + (b8 != d8) + (be != e);
        }
    }
    const double us = 1e6;
    printf("queries                    %ld (%d match 1 hash, %d match 8; brute force on %ld)\n",
           rounds, found1, found8, ref_rounds);
    printf("PDQ, 1 hash      SDK %8.2f us   AVX2 scan %9.1f us   ratio %6.0fx\n",
           dev1 / rounds * us, ref1 / ref_rounds * us, (ref1 / ref_rounds) / (dev1 / rounds));
    printf("PDQ, 8 hashes    SDK %8.2f us   AVX2 scan %9.1f us   ratio %6.0fx\n",
           dev8 / rounds * us, ref8 / ref_rounds * us, (ref8 / ref_rounds) / (dev8 / rounds));
    printf("SHA-256 exact    SDK %8.2f us   linear scan %9.1f us   ratio %6.0fx  (%d found)\n",
           dev_exact / rounds * us, ref_exact / ref_rounds * us,
           (ref_exact / ref_rounds) / (dev_exact / rounds), exact_found);
    printf("answers %s\n", disagree ? "DIFFER from brute force" : "identical to brute force");
    bw_pdq_index_free(all);
    bw_pdq_results_free(results);
    bw_device_bank_free(bank);
    bw_device_free(dev);
    bw_ctx_free(ctx);
    free(file.data), free(hashes), free(queries), free(sha), free(md5);
    return disagree != 0;
}

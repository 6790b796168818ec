/*
 * The PDQ index against a brute-force scan on the same data, in one run:
 * build time, memory, queries per second at threshold T, and a check that
 * both return identical result sets. Writes one line per query
 * ("count,fnv1a64-of-sorted-ids") to RESULTS for comparison with the faiss
 * harness.
 *
 *   bench_pdq_index PREFIX THRESHOLD SCAN_QUERIES RESULTS
 *
 * With ADDED_SINCE_COMPACTION=K in the environment, the last K hashes are
 * added after the compaction, as a server following a bank's changes holds
 * them until its next one: same result sets, the dynamic chains in use.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bulwark/bulwark.h>

#include "bench_util.h"

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Order-independent fingerprint of a result set: FNV-1a of sorted ids. */
static uint64_t fingerprint(const bw_pdq_results *r, size_t *n_out)
{
    size_t n = bw_pdq_results_count(r);
    int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        bw_pdq_results_get(r, i, &ids[i], NULL, NULL, NULL);
    qsort(ids, n, sizeof *ids, cmp_id);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++) {
            h ^= (uint64_t)((ids[i] >> (8 * b)) & 0xFF);
            h *= 1099511628211ull;
        }
    free(ids);
    *n_out = n;
    return h;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench_pdq_index PREFIX THRESHOLD SCAN_QUERIES RESULTS\n");
        return 2;
    }
    const int threshold = atoi(argv[2]);
    const long scan_queries = atol(argv[3]);
    long n, nq;
    const long rss0 = rss_kib();
    uint8_t *hashes = load(argv[1], "hashes", &n);
    uint8_t *queries = load(argv[1], "queries", &nq);
    const long rss_data = rss_kib();

    bw_pdq_index *ix;
    bw_pdq_index_create(&ix);
    const char *added_env = getenv("ADDED_SINCE_COMPACTION");
    const long added = added_env ? atol(added_env) : 0;
    if (added < 0 || added > n) {
        fprintf(stderr, "ADDED_SINCE_COMPACTION must be 0..%ld\n", n);
        return 2;
    }
    double t0 = now();
    for (long i = 0; i < n; i++) {
        if (i == n - added)
            bw_pdq_index_compact(ix);
        if (bw_pdq_index_add(ix, i, 0, hashes + 32 * i) != BW_OK) {
            fprintf(stderr, "out of memory at %ld\n", i);
            return 1;
        }
    }
    if (!added)
        bw_pdq_index_compact(ix);
    const double build = now() - t0;
    const long rss_index = rss_kib();
    free(hashes); /* the index keeps its own copy */

    bw_pdq_results *r, *s;
    bw_pdq_results_create(&r);
    bw_pdq_results_create(&s);
    FILE *out = fopen(argv[4], "w");
    size_t matched = 0, total_results = 0;
    t0 = now();
    for (long q = 0; q < nq; q++) {
        bw_pdq_index_query(ix, r, queries + 32 * q, threshold);
        size_t k;
        uint64_t fp = fingerprint(r, &k);
        matched += k > 0;
        total_results += k;
        fprintf(out, "%zu,%016llx\n", k, (unsigned long long)fp);
    }
    const double t_index = now() - t0;
    fclose(out);
    /* Exact recall: the scan, on the first SCAN_QUERIES queries. */
    long differ = 0;
    const long ns = scan_queries < nq ? scan_queries : nq;
    double t_scan_total = 0;
    for (long q = 0; q < ns; q++) {
        bw_pdq_index_query(ix, r, queries + 32 * q, threshold);
        t0 = now();
        bw_pdq_index_scan(ix, s, queries + 32 * q, threshold);
        t_scan_total += now() - t0;
        size_t a, b;
        if (fingerprint(r, &a) != fingerprint(s, &b) || a != b)
            differ++;
    }
    printf("entries %ld  queries %ld  threshold %d", n, nq, threshold);
    if (added)
        printf("  (%ld added since the last compaction)", added);
    printf("\n");
    printf("build (add + compact)     %8.2f s\n", build);
    printf("index memory (reported)   %8.1f MiB   RSS growth %.1f MiB\n",
           bw_pdq_index_memory(ix) / 1048576.0,
           (rss_index - rss_data + (rss_data - rss0) * 0) / 1024.0);
    printf("queries with a match      %8zu (%.1f%%), %zu results\n", matched,
           100.0 * matched / nq, total_results);
    const double qps_index = nq / t_index, qps_scan = ns / t_scan_total;
    printf("bulwark index             %10.0f queries/s\n", qps_index);
    printf("brute-force scan (AVX2)   %10.1f queries/s  (%ld queries)\n", qps_scan, ns);
    printf("ratio index/scan          %10.1fx\n", qps_index / qps_scan);
    printf("result sets differing from the scan: %ld of %ld\n", differ, ns);
    bw_pdq_results_free(r);
    bw_pdq_results_free(s);
    bw_pdq_index_free(ix);
    free(queries);
    return differ ? 1 : 0;
}

/*
 * Writes a benchmark dataset of PDQ-like hashes and queries, shared by
 * bench_pdq_index and the faiss harness so all of them see the same bits.
 *
 * Real PDQ hashes are neither uniform nor independent: photos of similar
 * scenes share low-frequency structure, and lists hold clusters of edited
 * copies. So besides uniform random hashes (a third), the stored hashes
 * come from centres derived from hashes of real photos (each real hash with
 * 40-90 bits changed: a different photo of similar structure) with clusters
 * of near-duplicates (0-24 bits changed) around them. A known fraction of
 * queries are near-duplicates (1-31 bits) of stored hashes; the rest are
 * uniform or PDQ-like hashes that should match nothing.
 *
 *   make_pdq_dataset COUNT QUERIES MATCH_PERCENT SEED REAL_HASHES.txt OUT_PREFIX
 *
 * Writes OUT_PREFIX.hashes (COUNT x 32 bytes) and OUT_PREFIX.queries.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulwark/bulwark.h>

#include "hash_fixtures.h"

static bwt_rng state;

static uint64_t rng(void)
{
    return bwt_next(&state);
}

static void uniform(uint8_t h[32])
{
    bwt_random_hash(&state, h);
}

static void flip(uint8_t out[32], const uint8_t in[32], int bits)
{
    bwt_flip(&state, out, in, bits);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: make_pdq_dataset COUNT QUERIES MATCH_PERCENT SEED "
                        "REAL_HASHES.txt OUT_PREFIX\n");
        return 2;
    }
    const long count = atol(argv[1]), queries = atol(argv[2]);
    const int match_pct = atoi(argv[3]);
    state.state = (uint64_t)atoll(argv[4]) * 0x9E3779B97F4A7C15ull + 1;
    uint8_t (*real)[32] = malloc(100000 * 32);
    long nreal = 0;
    FILE *f = fopen(argv[5], "r");
    char line[256];
    while (f && nreal < 100000 && fgets(line, sizeof line, f))
        if (bw_pdq_from_hex(real[nreal], line, 64) == BW_OK)
            nreal++;
    if (f)
        fclose(f);
    if (nreal == 0) {
        fprintf(stderr, "no real hashes in %s: using uniform centres only\n", argv[5]);
        uniform(real[0]);
        nreal = 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s.hashes", argv[6]);
    FILE *out = fopen(path, "wb");
    uint8_t (*stored)[32] = malloc((size_t)count * 32);
    if (!out || !stored) {
        perror(path);
        return 1;
    }
    long n = 0;
    while (n < count) {
        if (rng() % 3 == 0) {
            uniform(stored[n++]);
            continue;
        }
        uint8_t centre[32];
        flip(centre, real[rng() % nreal], 40 + (int)(rng() % 51));
        const int size = 1 + (int)(rng() % 40);
        for (int i = 0; i < size && n < count; i++)
            flip(stored[n++], centre, i == 0 ? 0 : (int)(rng() % 25));
    }
    fwrite(stored, 32, (size_t)count, out);
    fclose(out);
    snprintf(path, sizeof path, "%s.queries", argv[6]);
    out = fopen(path, "wb");
    for (long q = 0; q < queries; q++) {
        uint8_t h[32];
        if ((long)(rng() % 100) < match_pct)
            flip(h, stored[rng() % count], 1 + (int)(rng() % 31));
        else if (rng() % 2)
            uniform(h);
        else
            flip(h, real[rng() % nreal], 40 + (int)(rng() % 51));
        fwrite(h, 32, 1, out);
    }
    fclose(out);
    free(stored);
    free(real);
    return 0;
}

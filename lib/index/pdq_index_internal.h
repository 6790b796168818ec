/*
 * The PDQ index's layout, shared by its files: entries in slot order, the
 * compressed static tables (one per 16-bit substring), the dynamic tables
 * of entries added since the last compaction, and the distance kernels.
 */
#ifndef BULWARK_LIB_PDQ_INDEX_INTERNAL_H
#define BULWARK_LIB_PDQ_INDEX_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "bulwark/bw_index.h"

#define BWI_SUBSTRINGS 16
#define BWI_KEYS 65536
#define BWI_NIL UINT32_MAX

/* A static table: for each 16-bit key, the ascending slots whose substring
 * has that key, as one bucket: the entry count (a LEB128 varint), then every
 * entry's next substring (table t + 1, the last table wrapping to the
 * first: two bytes, little-endian), then the gaps from one slot to the next
 * (LEB128 varints, 1-3 bytes). The next substrings lie together so that a
 * query filters a bucket eight entries at a time, reading only the cache
 * lines they fill, and decodes the gaps only in the rare bucket where an
 * entry passes; see bw_pdq_index_query. The data ends with BWI_TABLE_PAD
 * readable bytes, so the filter's 16-byte loads may run past a bucket. */
#define BWI_TABLE_PAD 16

typedef struct bwi_static_table {
    uint32_t *offsets; /* BWI_KEYS + 1 byte offsets into data */
    uint8_t *data;
    size_t size;
} bwi_static_table;

struct bw_pdq_index {
    uint8_t (*hashes)[BW_PDQ_BYTES];
    int64_t *ids;
    uint32_t *tags;
    uint64_t *dead; /* one bit a slot */
    uint32_t n;      /* slots in use, dead ones included */
    uint32_t cap;
    uint32_t base_n; /* slots [0, base_n) are in the static tables */
    uint32_t dead_count;
    bwi_static_table tables[BWI_SUBSTRINGS];
    /* Slots [base_n, n): a chain per key and table, newest first. */
    uint32_t *delta_head; /* [BWI_SUBSTRINGS][BWI_KEYS] */
    /* A bit per key and table: set when that chain is not empty. A query
     * probes 272 keys and nearly all their chains are empty while few
     * entries are new; the bits (128 KiB) stay in cache where the heads
     * (4 MiB) would cost a cache miss a probe. */
    uint64_t *delta_keys; /* [BWI_SUBSTRINGS][BWI_KEYS / 64] */
    uint32_t *delta_next; /* [BWI_SUBSTRINGS][delta_cap] by slot - base_n */
    uint32_t delta_cap;
};

typedef struct bwi_hit {
    uint32_t slot;
    int distance;
} bwi_hit;

/* A static bucket a query reads: its entries, and how far (in bits) an
 * entry's next substring may be from the query's. */
typedef struct bwi_bucket {
    const uint8_t *p, *end;
    uint32_t qnext;
    int budget;
} bwi_bucket;

struct bw_pdq_results {
    uint32_t *cands; /* candidate slots of the query in progress */
    size_t cands_cap;
    bwi_bucket *buckets; /* sized for the largest radius queried so far */
    size_t buckets_cap;
    bwi_hit *hits;
    size_t count;
    size_t cap;
    /* Final, sorted results. */
    int64_t *ids;
    uint32_t *tags;
    int *distances;
    uint8_t (*hashes)[BW_PDQ_BYTES];
    size_t result_count;
    size_t result_cap;
};

/* Substring t of a hash: bytes 2t and 2t+1. */
static inline uint32_t bwi_key(const uint8_t *hash, int t)
{
    return ((uint32_t)hash[2 * t] << 8) | hash[2 * t + 1];
}

static inline bool bwi_is_dead(const bw_pdq_index *ix, uint32_t slot)
{
    return (ix->dead[slot >> 6] >> (slot & 63)) & 1;
}

/* The table whose substring a static entry of table t carries. */
static inline int bwi_next_table(int t)
{
    return (t + 1) % BWI_SUBSTRINGS;
}

/* Reads one LEB128 varint (the gaps in a static table's slot lists). */
static inline const uint8_t *bwi_varint(const uint8_t *p, uint32_t *v)
{
    uint32_t x = 0;
    int shift = 0;
    while (*p & 0x80) {
        x |= (uint32_t)(*p++ & 0x7F) << shift;
        shift += 7;
    }
    *v = x | ((uint32_t)*p++ << shift);
    return p;
}

/* A static bucket, opened: its entry count, next substrings and gaps. */
typedef struct bwi_bucket_view {
    uint32_t n;
    const uint8_t *nexts;
    const uint8_t *gaps;
} bwi_bucket_view;

static inline bwi_bucket_view bwi_open_bucket(const uint8_t *p)
{
    bwi_bucket_view v;
    v.nexts = bwi_varint(p, &v.n);
    v.gaps = v.nexts + 2 * (size_t)v.n;
    return v;
}

static inline uint32_t bwi_next_at(const bwi_bucket_view *v, uint32_t i)
{
    return v->nexts[2 * i] | ((uint32_t)v->nexts[2 * i + 1] << 8);
}

/* Moves *slot on by the gap at g: the bucket's next slot. */
static inline const uint8_t *bwi_step_slot(const uint8_t *g, uint32_t *slot)
{
    uint32_t gap;
    g = bwi_varint(g, &gap);
    *slot += gap;
    return g;
}

/* Appends a candidate hit; false when memory runs out. */
bool bwi_results_push(bw_pdq_results *r, uint32_t slot, int distance);

/* Sorts hits, drops repeats, and fills the final arrays. */
bw_status bwi_results_finish(bw_pdq_results *r, const bw_pdq_index *ix);

/* Hamming distance between two hashes (POPCNT where the CPU has it). */
int bwi_hash_distance(const uint8_t *a, const uint8_t *b);

/* Hits for every live slot within threshold: the brute-force scan
 * (AVX2 where the CPU has it). */
bool bwi_scan_hits(const bw_pdq_index *ix, bw_pdq_results *r,
                   const uint8_t *query, int threshold);

/* Static tables: (re)build from all slots, or merge the dynamic chains. */
bool bwi_table_build(bwi_static_table *t, const bw_pdq_index *ix, int which);
bool bwi_table_merge(bwi_static_table *t, const bw_pdq_index *ix, int which);
void bwi_table_free(bwi_static_table *t);

#endif

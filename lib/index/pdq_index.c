/* The PDQ index: entries, updates, compaction and multi-index queries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "pdq_index_internal.h"

BW_API bw_status bw_pdq_index_create(bw_pdq_index **index_out)
{
    if (!index_out)
        return BW_ERR_INVALID_ARGUMENT;
    *index_out = calloc(1, sizeof **index_out);
    return *index_out ? BW_OK : BW_ERR_NOMEM;
}

static void free_delta(bw_pdq_index *ix)
{
    free(ix->delta_head);
    free(ix->delta_next);
    free(ix->delta_keys);
    ix->delta_head = NULL;
    ix->delta_keys = NULL;
    ix->delta_next = NULL;
    ix->delta_cap = 0;
}

BW_API void bw_pdq_index_free(bw_pdq_index *ix)
{
    if (!ix)
        return;
    for (int t = 0; t < BWI_SUBSTRINGS; t++)
        bwi_table_free(&ix->tables[t]);
    free_delta(ix);
    free(ix->hashes);
    free(ix->ids);
    free(ix->tags);
    free(ix->dead);
    free(ix);
}

/* Sets the capacity of the entry arrays (never below n). */
static bool resize_entries(bw_pdq_index *ix, uint64_t cap)
{
    if (cap > BWI_NIL - 1)
        cap = BWI_NIL - 1;
    if (cap < ix->n || cap == 0)
        return cap == ix->cap;
    void *h = realloc(ix->hashes, cap * BW_PDQ_BYTES);
    if (h)
        ix->hashes = h;
    void *i = realloc(ix->ids, cap * sizeof *ix->ids);
    if (i)
        ix->ids = i;
    void *t = realloc(ix->tags, cap * sizeof *ix->tags);
    if (t)
        ix->tags = t;
    const size_t words = (size_t)(cap + 63) / 64, old = ((size_t)ix->cap + 63) / 64;
    void *d = realloc(ix->dead, words * sizeof *ix->dead);
    if (d) {
        ix->dead = d;
        if (words > old)
            memset(ix->dead + old, 0, (words - old) * sizeof *ix->dead);
    }
    if (!h || !i || !t || !d)
        return false;
    ix->cap = (uint32_t)cap;
    return true;
}

static bool grow_entries(bw_pdq_index *ix)
{
    const uint64_t cap = ix->cap ? (uint64_t)ix->cap + ix->cap / 2 : 1024;
    return cap > ix->cap && resize_entries(ix, cap);
}

BW_API bw_status bw_pdq_index_reserve(bw_pdq_index *ix, size_t count)
{
    if (!ix)
        return BW_ERR_INVALID_ARGUMENT;
    if (count <= ix->cap)
        return BW_OK;
    return resize_entries(ix, count) ? BW_OK : BW_ERR_NOMEM;
}

/* Makes room for one more slot in the dynamic tables. */
static bool grow_delta(bw_pdq_index *ix)
{
    if (!ix->delta_head) {
        ix->delta_head = malloc((size_t)BWI_SUBSTRINGS * BWI_KEYS * sizeof(uint32_t));
        ix->delta_keys = calloc((size_t)BWI_SUBSTRINGS * BWI_KEYS / 64, sizeof(uint64_t));
        if (!ix->delta_head || !ix->delta_keys) {
            free_delta(ix);
            return false;
        }
        memset(ix->delta_head, 0xFF, (size_t)BWI_SUBSTRINGS * BWI_KEYS * sizeof(uint32_t));
    }
    const uint32_t used = ix->n - ix->base_n;
    if (used < ix->delta_cap)
        return true;
    const uint32_t cap = ix->delta_cap ? ix->delta_cap * 2 : 4096;
    uint32_t *next = malloc((size_t)BWI_SUBSTRINGS * cap * sizeof *next);
    if (!next)
        return false;
    /* Each table's chain links live in their own run of the array. */
    for (int t = 0; t < BWI_SUBSTRINGS; t++)
        if (ix->delta_next)
            memcpy(next + (size_t)t * cap, ix->delta_next + (size_t)t * ix->delta_cap,
                   used * sizeof *next);
    free(ix->delta_next);
    ix->delta_next = next;
    ix->delta_cap = cap;
    return true;
}

BW_API bw_status bw_pdq_index_add(bw_pdq_index *ix, int64_t id, uint32_t tag,
                                  const uint8_t hash[BW_PDQ_BYTES])
{
    if (!ix || !hash)
        return BW_ERR_INVALID_ARGUMENT;
    /* Until the first compaction there are no tables to chain onto: a bulk
     * load just appends (queries scan meanwhile), and compaction builds the
     * tables once, without the chains' 64 bytes an entry. */
    const bool chained = ix->tables[0].offsets != NULL;
    if ((ix->n == ix->cap && !grow_entries(ix)) || (chained && !grow_delta(ix)))
        return BW_ERR_NOMEM;
    const uint32_t slot = ix->n;
    memcpy(ix->hashes[slot], hash, BW_PDQ_BYTES);
    ix->ids[slot] = id;
    ix->tags[slot] = tag;
    const uint32_t rel = slot - ix->base_n;
    for (int t = 0; chained && t < BWI_SUBSTRINGS; t++) {
        const size_t at = (size_t)t * BWI_KEYS + bwi_key(hash, t);
        ix->delta_next[(size_t)t * ix->delta_cap + rel] = ix->delta_head[at];
        ix->delta_head[at] = slot;
        ix->delta_keys[at >> 6] |= (uint64_t)1 << (at & 63);
    }
    ix->n++;
    return BW_OK;
}

/* Calls fn for every slot whose substring `t` equals key, static then
 * dynamic; stops early when fn returns false. */
typedef bool (*slot_fn)(uint32_t slot, void *arg);

/* The dynamic part alone: slots added since the last compaction. */
static bool for_each_new_slot(const bw_pdq_index *ix, int t, uint32_t key, slot_fn fn,
                              void *arg)
{
    const size_t at = (size_t)t * BWI_KEYS + key;
    if (!ix->delta_keys || !((ix->delta_keys[at >> 6] >> (at & 63)) & 1))
        return true;
    const uint32_t *next = ix->delta_next + (size_t)t * ix->delta_cap;
    for (uint32_t s = ix->delta_head[at]; s != BWI_NIL;
         s = next[s - ix->base_n])
        if (!fn(s, arg))
            return false;
    return true;
}

static bool for_each_slot(const bw_pdq_index *ix, int t, uint32_t key, slot_fn fn,
                          void *arg)
{
    const bwi_static_table *tab = &ix->tables[t];
    if (tab->offsets) {
        const bwi_bucket_view v = bwi_open_bucket(tab->data + tab->offsets[key]);
        const uint8_t *g = v.gaps;
        uint32_t slot = 0;
        for (uint32_t i = 0; i < v.n; i++) {
            g = bwi_step_slot(g, &slot);
            if (!fn(slot, arg))
                return false;
        }
    }
    return for_each_new_slot(ix, t, key, fn, arg);
}

typedef struct find_arg {
    const bw_pdq_index *ix;
    int64_t id;
    const uint8_t *hash;
    uint32_t found;
} find_arg;

static bool find_live(uint32_t slot, void *arg)
{
    find_arg *f = arg;
    if (f->ix->ids[slot] == f->id && !bwi_is_dead(f->ix, slot) &&
        memcmp(f->ix->hashes[slot], f->hash, BW_PDQ_BYTES) == 0) {
        f->found = slot;
        return false;
    }
    return true;
}

BW_API bw_status bw_pdq_index_remove(bw_pdq_index *ix, int64_t id,
                                     const uint8_t hash[BW_PDQ_BYTES])
{
    if (!ix || !hash)
        return BW_ERR_INVALID_ARGUMENT;
    /* The entry sits in substring 0's bucket for its own key (or, before
     * the first compaction, anywhere). */
    find_arg f = {ix, id, hash, BWI_NIL};
    if (ix->tables[0].offsets)
        for_each_slot(ix, 0, bwi_key(hash, 0), find_live, &f);
    else
        for (uint32_t s = 0; s < ix->n && find_live(s, &f); s++)
            ;
    if (f.found == BWI_NIL)
        return BW_ERR_NOT_FOUND;
    ix->dead[f.found >> 6] |= (uint64_t)1 << (f.found & 63);
    ix->dead_count++;
    return BW_OK;
}

/* Drops dead slots, renumbering the rest in order, then rebuilds every
 * table: what compaction does once many entries have been removed. */
static bool rebuild(bw_pdq_index *ix)
{
    uint32_t w = 0;
    for (uint32_t s = 0; s < ix->n; s++) {
        if (bwi_is_dead(ix, s))
            continue;
        if (w != s) {
            memcpy(ix->hashes[w], ix->hashes[s], BW_PDQ_BYTES);
            ix->ids[w] = ix->ids[s];
            ix->tags[w] = ix->tags[s];
        }
        w++;
    }
    if (ix->dead) /* NULL while the index has never held an entry */
        memset(ix->dead, 0, ((size_t)ix->cap + 63) / 64 * sizeof *ix->dead);
    ix->n = w;
    ix->dead_count = 0;
    free_delta(ix);
    ix->base_n = ix->n;
    /* Give back the slack left by growth and by the dropped entries. */
    if (ix->cap > ix->n + ix->n / 16 + 1024)
        resize_entries(ix, ix->n + 1024);
    for (int t = 0; t < BWI_SUBSTRINGS; t++)
        if (!bwi_table_build(&ix->tables[t], ix, t))
            return false;
    return true;
}

BW_API bw_status bw_pdq_index_compact(bw_pdq_index *ix)
{
    if (!ix)
        return BW_ERR_INVALID_ARGUMENT;
    const bool never_built = ix->tables[0].offsets == NULL;
    if (never_built || ix->dead_count > (ix->n - ix->dead_count) / 4) {
        if (!rebuild(ix))
            return BW_ERR_NOMEM;
        return BW_OK;
    }
    if (ix->n == ix->base_n)
        return BW_OK;
    /* Table by table: a query in between sees some new entries twice (in
     * a merged table and in the chains), which its de-duplication absorbs. */
    for (int t = 0; t < BWI_SUBSTRINGS; t++)
        if (!bwi_table_merge(&ix->tables[t], ix, t))
            return BW_ERR_NOMEM;
    free_delta(ix);
    ix->base_n = ix->n;
    return BW_OK;
}

BW_API size_t bw_pdq_index_count(const bw_pdq_index *ix)
{
    return ix ? (size_t)(ix->n - ix->dead_count) : 0;
}

BW_API size_t bw_pdq_index_memory(const bw_pdq_index *ix)
{
    if (!ix)
        return 0;
    size_t bytes = sizeof *ix;
    bytes += (size_t)ix->cap * (BW_PDQ_BYTES + sizeof *ix->ids + sizeof *ix->tags);
    bytes += ((size_t)ix->cap + 63) / 64 * sizeof *ix->dead;
    for (int t = 0; t < BWI_SUBSTRINGS; t++)
        if (ix->tables[t].offsets)
            bytes += (BWI_KEYS + 1) * sizeof(uint32_t) + ix->tables[t].size + BWI_TABLE_PAD;
    if (ix->delta_head)
        bytes += (size_t)BWI_SUBSTRINGS * BWI_KEYS * sizeof(uint32_t) +
                 (size_t)BWI_SUBSTRINGS * BWI_KEYS / 8;
    bytes += (size_t)BWI_SUBSTRINGS * ix->delta_cap * sizeof(uint32_t);
    return bytes;
}

/*
 * A query first gathers every candidate slot from the probed buckets, then
 * checks them with a prefetch running a fixed distance ahead: each check is
 * a random access into the entries, and issuing the loads early lets dozens
 * of cache misses overlap instead of waiting one at a time.
 */
#define LOOKAHEAD 24

typedef struct probe {
    const bw_pdq_index *ix;
    uint32_t *cands;
    size_t count;
    size_t cap;
    bool oom;
} probe;

static bool candidate(uint32_t slot, void *arg)
{
    probe *p = arg;
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        uint32_t *grown = realloc(p->cands, cap * sizeof *grown);
        if (!grown) {
            p->oom = true;
            return false;
        }
        p->cands = grown;
        p->cap = cap;
    }
    p->cands[p->count++] = slot;
    return true;
}

static bool verify(const probe *p, bw_pdq_results *out, const uint8_t *query,
                   int threshold)
{
    const bw_pdq_index *ix = p->ix;
    for (size_t i = 0; i < p->count; i++) {
        if (i + LOOKAHEAD < p->count)
            __builtin_prefetch(ix->hashes[p->cands[i + LOOKAHEAD]]);
        const uint32_t s = p->cands[i];
        const int d = bwi_hash_distance(query, ix->hashes[s]);
        if (d <= threshold && !bwi_is_dead(ix, s) && !bwi_results_push(out, s, d))
            return false;
    }
    return true;
}

/*
 * Why a query may skip most entries of a bucket without losing recall.
 * Write d_t for the bits in which substring t of a stored hash differs from
 * the query's, r = T / 16 for the probing radius and S = T / 8. If the
 * whole distance is at most T, some table t has d_t <= r and
 * d_t + d_{t+1} <= S (t + 1 wrapping to 0). Otherwise every "low" substring
 * (d_t <= r) is followed by one with d_{t+1} >= S + 1 - d_t >= r + 1, so the
 * low ones and their followers form k disjoint pairs summing to at least
 * S + 1 each, and the 16 - 2k other substrings are not low: the distance is
 * at least k (S + 1) + (16 - 2k)(r + 1), which is linear in k and, at k = 0
 * and k = 8, is 16 (r + 1) > T and 8 (S + 1) > T. So in the bucket probed
 * at d_t bits, an entry whose next substring is more than S - d_t bits from
 * the query's cannot be within T, and the entries carry that substring
 * (two bytes) so it is checked in place: at T = 31 this keeps about one
 * entry in 300 of random ones, and the hashes are read only for those.
 */
/* Which of the eight next substrings at `nexts` lie within `budget` bits of
 * `qnext`: bit i for the i-th. The caller masks off lanes past the bucket. */
#ifdef __SSE2__
static inline unsigned passing8(const uint8_t *nexts, uint32_t qnext, int budget)
{
    /* Bits set in each 16-bit lane, as in the scalar version below. */
    __m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)nexts),
                              _mm_set1_epi16((short)qnext));
    x = _mm_sub_epi16(x, _mm_and_si128(_mm_srli_epi16(x, 1), _mm_set1_epi16(0x5555)));
    x = _mm_add_epi16(_mm_and_si128(x, _mm_set1_epi16(0x3333)),
                      _mm_and_si128(_mm_srli_epi16(x, 2), _mm_set1_epi16(0x3333)));
    x = _mm_and_si128(_mm_add_epi16(x, _mm_srli_epi16(x, 4)), _mm_set1_epi16(0x0F0F));
    x = _mm_and_si128(_mm_add_epi16(x, _mm_srli_epi16(x, 8)), _mm_set1_epi16(0x1F));
    const __m128i over = _mm_cmpgt_epi16(x, _mm_set1_epi16((short)budget));
    /* Two mask bits a lane: keep the low one of each pair, then pack. */
    unsigned m = ~(unsigned)_mm_movemask_epi8(over) & 0x5555u;
    m = (m | (m >> 1)) & 0x3333u;
    m = (m | (m >> 2)) & 0x0F0Fu;
    return (m | (m >> 4)) & 0xFFu;
}
#else
static inline unsigned passing8(const uint8_t *nexts, uint32_t qnext, int budget)
{
    unsigned m = 0;
    for (int i = 0; i < 8; i++) {
        uint32_t x = (nexts[2 * i] | ((uint32_t)nexts[2 * i + 1] << 8)) ^ qnext;
        x = x - ((x >> 1) & 0x5555);
        x = (x & 0x3333) + ((x >> 2) & 0x3333);
        x = (x + (x >> 4)) & 0x0F0F;
        if ((int)((x + (x >> 8)) & 0x1F) <= budget)
            m |= 1u << i;
    }
    return m;
}
#endif

/* Adds the entries of a static bucket whose next substring is within the
 * bucket's budget of the query's. Only a bucket with such an entry has its
 * gaps decoded, and only as far as its last passing entry. */
static void scan_bucket(probe *p, const bwi_bucket *b)
{
    const bwi_bucket_view v = bwi_open_bucket(b->p);
    const uint8_t *g = v.gaps;
    uint32_t decoded = 0, slot = 0;
    for (uint32_t base = 0; base < v.n; base += 8) {
        unsigned pass = passing8(v.nexts + 2 * (size_t)base, b->qnext, b->budget);
        if (v.n - base < 8)
            pass &= (1u << (v.n - base)) - 1;
        while (pass) {
            const uint32_t at = base + (uint32_t)__builtin_ctz(pass);
            pass &= pass - 1;
            for (; decoded <= at; decoded++)
                g = bwi_step_slot(g, &slot);
            if (!candidate(slot, p))
                return;
        }
    }
}

typedef struct gather {
    probe *p;
    bwi_bucket *buckets;
    int count;
} gather;

/* Notes static bucket `key` of table t, `bits` away from the query's own
 * key, and reads its chain of newer entries. */
static void gather_bucket(gather *g, int t, uint32_t key, int bits, uint32_t qnext, int span)
{
    const bwi_static_table *tab = &g->p->ix->tables[t];
    bwi_bucket *b = &g->buckets[g->count++];
    b->p = tab->data + tab->offsets[key];
    b->end = tab->data + tab->offsets[key + 1];
    b->qnext = qnext;
    b->budget = span - bits;
    /* Entries added since the last compaction: few, and not filtered. */
    if (!g->p->oom)
        for_each_new_slot(g->p->ix, t, key, candidate, g->p);
}

/* Every key within `radius` bits of the query's substring t (radius 0, 1
 * or 2). */
static void gather_table(gather *g, int t, const uint8_t *hash, int radius, int span)
{
    const uint32_t key = bwi_key(hash, t);
    const uint32_t qnext = bwi_key(hash, bwi_next_table(t));
    gather_bucket(g, t, key, 0, qnext, span);
    if (radius >= 1)
        for (int i = 0; i < 16; i++) {
            gather_bucket(g, t, key ^ (1u << i), 1, qnext, span);
            if (radius >= 2)
                for (int j = i + 1; j < 16; j++)
                    gather_bucket(g, t, key ^ (1u << i) ^ (1u << j), 2, qnext, span);
        }
}

/*
 * Memory, not arithmetic, bounds a query: 272 buckets at radius 1, each
 * behind its offset, at random places in tables far larger than the cache.
 * So the query first notes where every bucket lies (the offset loads are
 * independent, and overlap), then scans them in order while loading the
 * bucket a fixed distance ahead, so that a steady number of misses is in
 * flight. Prefetching all 272 buckets at once, as the index did before,
 * still left the bucket reads stalled about 80 % of the query time.
 */
#define BUCKET_LOOKAHEAD 12

BW_API bw_status bw_pdq_index_query(const bw_pdq_index *ix, bw_pdq_results *out,
                                    const uint8_t hash[BW_PDQ_BYTES], int threshold)
{
    if (!ix || !out || !hash || threshold < 0 || threshold > 256)
        return BW_ERR_INVALID_ARGUMENT;
    out->count = 0;
    out->result_count = 0;
    const int radius = threshold / BWI_SUBSTRINGS;
    if (radius > 2 || !ix->tables[0].offsets)
        return bw_pdq_index_scan(ix, out, hash, threshold);
    /* The buffers are kept in the results object between queries; one made
     * for a single query (as the matcher does) gets the buckets of its
     * radius only: the key itself, its 16 one-bit and 120 two-bit
     * neighbours, in each table. */
    const size_t nbuckets =
        BWI_SUBSTRINGS * (size_t)(1 + (radius >= 1) * 16 + (radius >= 2) * 120);
    if (out->buckets_cap < nbuckets) {
        bwi_bucket *grown = realloc(out->buckets, nbuckets * sizeof *grown);
        if (!grown)
            return BW_ERR_NOMEM;
        out->buckets = grown;
        out->buckets_cap = nbuckets;
    }
    probe p = {ix, out->cands, 0, out->cands_cap, false};
    gather g = {&p, out->buckets, 0};
    const int span = threshold / 8;
    for (int t = 0; t < BWI_SUBSTRINGS; t++)
        gather_table(&g, t, hash, radius, span);
    for (int i = 0; i < g.count && !p.oom; i++) {
        if (i + BUCKET_LOOKAHEAD < g.count) {
            const bwi_bucket *ahead = &g.buckets[i + BUCKET_LOOKAHEAD];
            /* The filter reads the count and next substrings, at most two
             * thirds of the bucket (every gap takes a byte or more). */
            const uintptr_t first = (uintptr_t)ahead->p & ~(uintptr_t)63;
            const uintptr_t last =
                (uintptr_t)ahead->p + ((uintptr_t)(ahead->end - ahead->p) * 2 + 4) / 3;
            for (uintptr_t line = first; line < last; line += 64)
                __builtin_prefetch((const void *)line);
        }
        scan_bucket(&p, &g.buckets[i]);
    }
    out->cands = p.cands;
    out->cands_cap = p.cap;
    if (p.oom || !verify(&p, out, hash, threshold))
        return BW_ERR_NOMEM;
    return bwi_results_finish(out, ix);
}

BW_API bw_status bw_pdq_index_scan(const bw_pdq_index *ix, bw_pdq_results *out,
                                   const uint8_t hash[BW_PDQ_BYTES], int threshold)
{
    if (!ix || !out || !hash || threshold < 0 || threshold > 256)
        return BW_ERR_INVALID_ARGUMENT;
    out->count = 0;
    out->result_count = 0;
    if (!bwi_scan_hits(ix, out, hash, threshold))
        return BW_ERR_NOMEM;
    return bwi_results_finish(out, ix);
}

/* Query results: candidate hits gathered during a query, then sorted,
 * de-duplicated and copied out with their ids, tags and hashes. */
#include <stdlib.h>
#include <string.h>

#include "pdq_index_internal.h"

BW_API bw_status bw_pdq_results_create(bw_pdq_results **out)
{
    if (!out)
        return BW_ERR_INVALID_ARGUMENT;
    *out = calloc(1, sizeof **out);
    return *out ? BW_OK : BW_ERR_NOMEM;
}

BW_API void bw_pdq_results_free(bw_pdq_results *r)
{
    if (!r)
        return;
    free(r->cands);
    free(r->buckets);
    free(r->hits);
    free(r->ids);
    free(r->tags);
    free(r->distances);
    free(r->hashes);
    free(r);
}

bool bwi_results_push(bw_pdq_results *r, uint32_t slot, int distance)
{
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        bwi_hit *grown = realloc(r->hits, cap * sizeof *grown);
        if (!grown)
            return false;
        r->hits = grown;
        r->cap = cap;
    }
    r->hits[r->count++] = (bwi_hit){slot, distance};
    return true;
}

static int by_slot(const void *a, const void *b)
{
    const bwi_hit *x = a, *y = b;
    return (x->slot > y->slot) - (x->slot < y->slot);
}

typedef struct ranked {
    int distance;
    int64_t id;
    uint32_t slot;
} ranked;

static int by_rank(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance - y->distance;
    if (x->id != y->id)
        return (x->id > y->id) - (x->id < y->id);
    return (x->slot > y->slot) - (x->slot < y->slot);
}

bw_status bwi_results_finish(bw_pdq_results *r, const bw_pdq_index *ix)
{
    /* A true match shows up in up to 16 tables: keep one of each. */
    if (r->count) /* qsort wants a real array, even for nothing */
        qsort(r->hits, r->count, sizeof *r->hits, by_slot);
    size_t unique = 0;
    for (size_t i = 0; i < r->count; i++)
        if (unique == 0 || r->hits[unique - 1].slot != r->hits[i].slot)
            r->hits[unique++] = r->hits[i];
    r->count = unique;
    if (unique > r->result_cap) {
        size_t cap = unique;
        int64_t *ids = realloc(r->ids, cap * sizeof *ids);
        if (ids)
            r->ids = ids;
        uint32_t *tags = realloc(r->tags, cap * sizeof *tags);
        if (tags)
            r->tags = tags;
        int *d = realloc(r->distances, cap * sizeof *d);
        if (d)
            r->distances = d;
        void *h = realloc(r->hashes, cap * BW_PDQ_BYTES);
        if (h)
            r->hashes = h;
        if (!ids || !tags || !d || !h)
            return BW_ERR_NOMEM;
        r->result_cap = cap;
    }
    ranked *order = malloc((unique ? unique : 1) * sizeof *order);
    if (!order)
        return BW_ERR_NOMEM;
    for (size_t i = 0; i < unique; i++)
        order[i] = (ranked){r->hits[i].distance, ix->ids[r->hits[i].slot], r->hits[i].slot};
    qsort(order, unique, sizeof *order, by_rank);
    for (size_t i = 0; i < unique; i++) {
        const uint32_t s = order[i].slot;
        r->ids[i] = ix->ids[s];
        r->tags[i] = ix->tags[s];
        r->distances[i] = order[i].distance;
        memcpy(r->hashes[i], ix->hashes[s], BW_PDQ_BYTES);
    }
    free(order);
    r->result_count = unique;
    return BW_OK;
}

BW_API size_t bw_pdq_results_count(const bw_pdq_results *r)
{
    return r ? r->result_count : 0;
}

BW_API bw_status bw_pdq_results_get(const bw_pdq_results *r, size_t i,
                                    int64_t *id_out, uint32_t *tag_out,
                                    int *distance_out, uint8_t hash_out[BW_PDQ_BYTES])
{
    if (!r || i >= r->result_count)
        return BW_ERR_INVALID_ARGUMENT;
    if (id_out)
        *id_out = r->ids[i];
    if (tag_out)
        *tag_out = r->tags[i];
    if (distance_out)
        *distance_out = r->distances[i];
    if (hash_out)
        memcpy(hash_out, r->hashes[i], BW_PDQ_BYTES);
    return BW_OK;
}

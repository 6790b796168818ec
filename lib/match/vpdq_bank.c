/*
 * Banked videos: the distinct frame hashes of every live vPDQ signal in a
 * PDQ index of their own (tag = the frame's rank in its video), and the
 * per-video bookkeeping that turns frame hits into vPDQ's two percentages.
 *
 * The answer is exactly bw_vpdq_match()'s default comparison of the query
 * with each banked video: each video is a bag of distinct frame hashes
 * (first occurrence kept), frames under the quality threshold are left out
 * of both, and a frame matches when some frame of the other video is
 * within the distance. The index finds, for each query frame, every banked
 * frame within reach, so the counts come out the same as comparing every
 * pair.
 */
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"
#include "signal/vpdq_value.h"

bw_status bwi_videos_init(bwi_videos *v)
{
    memset(v, 0, sizeof *v);
    return bw_pdq_index_create(&v->index);
}

void bwi_videos_free(bwi_videos *v)
{
    for (size_t i = 0; i < v->cap; i++)
        free(v->slots[i].quality);
    free(v->slots);
    bw_pdq_index_free(v->index);
}

static size_t slot_of(int64_t id, size_t cap)
{
    return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

const bwi_video_entry *bwi_videos_find(const bwi_videos *v, int64_t id)
{
    if (!v->cap)
        return NULL;
    for (size_t j = slot_of(id, v->cap);; j = (j + 1) & (v->cap - 1)) {
        if (v->slots[j].signal_id == id)
            return &v->slots[j];
        if (!v->slots[j].signal_id)
            return NULL;
    }
}

static bool grow(bwi_videos *v)
{
    const size_t cap = v->cap ? v->cap * 2 : 64;
    bwi_video_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < v->cap; i++) {
        if (!v->slots[i].signal_id)
            continue;
        size_t j = slot_of(v->slots[i].signal_id, cap);
        while (slots[j].signal_id)
            j = (j + 1) & (cap - 1);
        slots[j] = v->slots[i];
    }
    free(v->slots);
    v->slots = slots;
    v->cap = cap;
    return true;
}

/* Removes slot j, moving later entries of its cluster back so that lookups
 * never stop at a hole. */
static void drop_slot(bwi_videos *v, size_t j)
{
    free(v->slots[j].quality);
    memset(&v->slots[j], 0, sizeof v->slots[j]);
    v->used--;
    for (size_t k = (j + 1) & (v->cap - 1); v->slots[k].signal_id; k = (k + 1) & (v->cap - 1)) {
        const bwi_video_entry e = v->slots[k];
        memset(&v->slots[k], 0, sizeof v->slots[k]);
        size_t to = slot_of(e.signal_id, v->cap);
        while (v->slots[to].signal_id)
            to = (to + 1) & (v->cap - 1);
        v->slots[to] = e;
    }
}

size_t bwi_distinct_frames(const uint8_t *first, size_t stride, size_t count, uint32_t *keep)
{
    const size_t slots = 2 * count + 1;
    uint32_t *table = malloc(slots * sizeof *table);
    if (!table)
        return SIZE_MAX;
    memset(table, 0xff, slots * sizeof *table);
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *h = first + i * stride;
        uint64_t key;
        memcpy(&key, h, sizeof key);
        size_t s = (size_t)(key % slots);
        bool seen = false;
        for (; table[s] != UINT32_MAX; s = s + 1 == slots ? 0 : s + 1)
            if (!memcmp(first + (size_t)table[s] * stride, h, BW_PDQ_BYTES)) {
                seen = true;
                break;
            }
        if (seen)
            continue;
        table[s] = (uint32_t)i;
        keep[n++] = (uint32_t)i;
    }
    free(table);
    return n;
}

bw_status bwi_videos_apply(bwi_videos *v, int64_t id, int64_t bank_id, bool allow, bool live,
                           const uint8_t *body, size_t body_size)
{
    const size_t count = bwi_vbody_count(body, body_size);
    size_t n = 0;
    uint32_t *frames = count ? malloc(count * sizeof *frames) : NULL;
    if (count && (!frames || (n = bwi_distinct_frames(body + BWI_VBODY_HEADER, BWI_VBODY_FRAME,
                                                      count, frames)) == SIZE_MAX)) {
        free(frames);
        return BW_ERR_NOMEM;
    }
    /* Whatever changed, the video is taken out and put back only if live.
     * Bodies never change under an id (the value is their digest). */
    if (bwi_videos_find(v, id)) {
        for (size_t i = 0; i < n; i++)
            if (bw_pdq_index_remove(v->index, id,
                                    body + BWI_VBODY_HEADER +
                                        (size_t)frames[i] * BWI_VBODY_FRAME) == BW_OK)
                v->frames--;
        size_t j = slot_of(id, v->cap);
        while (v->slots[j].signal_id != id)
            j = (j + 1) & (v->cap - 1);
        drop_slot(v, j);
    }
    bw_status st = BW_OK;
    if (live && n) {
        uint8_t *quality = malloc(n);
        if (!quality || ((v->used + 1) * 2 > v->cap && !grow(v))) {
            free(quality);
            free(frames);
            return BW_ERR_NOMEM;
        }
        for (size_t i = 0; i < n && st == BW_OK; i++) {
            const uint8_t *f = body + BWI_VBODY_HEADER + (size_t)frames[i] * BWI_VBODY_FRAME;
            quality[i] = f[32];
            st = bw_pdq_index_add(v->index, id, (uint32_t)i, f);
            v->frames += st == BW_OK;
        }
        size_t j = slot_of(id, v->cap);
        while (v->slots[j].signal_id)
            j = (j + 1) & (v->cap - 1);
        v->slots[j] = (bwi_video_entry){id, bank_id, (uint32_t)n, allow, quality};
        v->used++;
        v->added_since_compact += n;
    }
    free(frames);
    return st;
}

/* ---- queries ------------------------------------------------------------ */

typedef struct frame_hit {
    int64_t signal_id;
    uint32_t query_frame;
    uint32_t tag;
    int distance;
} frame_hit;

typedef struct hit_list {
    frame_hit *items;
    size_t n, cap;
} hit_list;

static bool push(hit_list *l, frame_hit h)
{
    if (l->n == l->cap) {
        const size_t cap = l->cap ? l->cap * 2 : 256;
        frame_hit *g = realloc(l->items, cap * sizeof *g);
        if (!g)
            return false;
        l->items = g;
        l->cap = cap;
    }
    l->items[l->n++] = h;
    return true;
}

static int by_video_then_frame(const void *a, const void *b)
{
    const frame_hit *x = a, *y = b;
    if (x->signal_id != y->signal_id)
        return x->signal_id < y->signal_id ? -1 : 1;
    if (x->query_frame != y->query_frame)
        return x->query_frame < y->query_frame ? -1 : 1;
    return x->distance - y->distance;
}

static int by_u32(const void *a, const void *b)
{
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* One banked video's share of the hits [from, to), all of one signal and
 * sorted by query frame. */
static bool judge(const bwi_video_entry *e, const frame_hit *h, size_t count,
                  const int *allow_min, const bwi_vquery *q, uint32_t *tags, bwi_hit_ref *out)
{
    size_t matched_q = 0, unvouched_q = 0;
    int best = 256;
    for (size_t i = 0; i < count; i++) {
        tags[i] = h[i].tag;
        if (h[i].distance < best)
            best = h[i].distance;
        if (i > 0 && h[i].query_frame == h[i - 1].query_frame)
            continue;
        /* The first hit of each query frame is its nearest banked frame. */
        matched_q++;
        unvouched_q += h[i].distance < allow_min[h[i].query_frame];
    }
    qsort(tags, count, sizeof *tags, by_u32);
    size_t matched_c = 0;
    for (size_t i = 0; i < count; i++)
        matched_c += i == 0 || tags[i] != tags[i - 1];
    size_t frames_c = 0;
    for (uint32_t t = 0; t < e->frames; t++)
        frames_c += e->quality[t] >= q->quality;
    if (!frames_c)
        return false;
    const double qp = (double)matched_q * 100.0 / (double)q->count;
    const double cp = (double)matched_c * 100.0 / (double)frames_c;
    if (qp < q->query_percent || cp < q->compared_percent)
        return false;
    *out = (bwi_hit_ref){.signal_id = e->signal_id,
                         .distance = best,
                         .transform = BW_DIHEDRAL_ORIGINAL,
                         .query_region = -1,
                         .query_percent = qp,
                         .compared_percent = cp};
    /* An allow-listed video at least as close vouches for a query frame,
     * as an allow-listed hash does for an image; a block match left with
     * too few frames of its own is suppressed. */
    out->suppressed = !e->allow && (double)unvouched_q * 100.0 / (double)q->count <
                                       q->query_percent;
    return true;
}

bw_status bwi_videos_query(const bwi_videos *v, const bwi_vquery *q, bwi_hit_ref **refs,
                           size_t *n_refs)
{
    *refs = NULL;
    *n_refs = 0;
    hit_list hits = {0};
    bw_pdq_results *r = NULL;
    int *allow_min = malloc(q->count * sizeof *allow_min);
    bw_status st = allow_min ? bw_pdq_results_create(&r) : BW_ERR_NOMEM;
    for (size_t i = 0; st == BW_OK && i < q->count; i++) {
        allow_min[i] = 257;
        st = bw_pdq_index_query(v->index, r, q->hashes[i], q->distance);
        for (size_t k = 0; st == BW_OK && k < bw_pdq_results_count(r); k++) {
            frame_hit h = {0, (uint32_t)i, 0, 0};
            bw_pdq_results_get(r, k, &h.signal_id, &h.tag, &h.distance, NULL);
            const bwi_video_entry *e = bwi_videos_find(v, h.signal_id);
            if (!e || h.tag >= e->frames || e->quality[h.tag] < q->quality)
                continue;
            if (e->allow && h.distance < allow_min[i])
                allow_min[i] = h.distance;
            if (!push(&hits, h))
                st = BW_ERR_NOMEM;
        }
    }
    bw_pdq_results_free(r);
    uint32_t *tags = NULL;
    if (st == BW_OK && hits.n) {
        qsort(hits.items, hits.n, sizeof *hits.items, by_video_then_frame);
        tags = malloc(hits.n * sizeof *tags);
        *refs = malloc(hits.n * sizeof **refs);
        if (!tags || !*refs)
            st = BW_ERR_NOMEM;
    }
    for (size_t from = 0; st == BW_OK && from < hits.n;) {
        size_t to = from + 1;
        while (to < hits.n && hits.items[to].signal_id == hits.items[from].signal_id)
            to++;
        const bwi_video_entry *e = bwi_videos_find(v, hits.items[from].signal_id);
        if (judge(e, hits.items + from, to - from, allow_min, q, tags, &(*refs)[*n_refs]))
            (*n_refs)++;
        from = to;
    }
    if (st != BW_OK) {
        free(*refs);
        *refs = NULL;
        *n_refs = 0;
    }
    free(tags);
    free(hits.items);
    free(allow_min);
    return st;
}

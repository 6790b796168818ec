/* The compressed static tables of the PDQ index: building and merging. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pdq_index_internal.h"

static size_t varint_size(uint32_t v)
{
    size_t n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

static size_t put_varint(uint8_t *out, uint32_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

/*
 * A query reads 272 buckets at random places in tables of tens of MiB: with
 * 4 KiB pages nearly every read also misses the TLB. Asking for 2 MiB pages
 * over the aligned part of a table lets the kernel back it with huge pages
 * where it offers them (Linux's transparent huge pages in "madvise" mode, as
 * Debian ships); elsewhere this is plain memory.
 */
#define HUGE_PAGE ((size_t)2 << 20)

static void *big_alloc(size_t bytes)
{
    if (bytes < HUGE_PAGE)
        return malloc(bytes);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    /* Advice only: a kernel without huge pages refuses it, which is fine. */
    (void)madvise(p, bytes & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
    return p;
}

void bwi_table_free(bwi_static_table *t)
{
    free(t->offsets);
    free(t->data);
    memset(t, 0, sizeof *t);
}

/* Encodes ascending slot lists, one per key, given as `order` (all slots
 * sorted by key then slot) and `start` (where each key's run begins), each
 * entry with its slot's next substring, `order_next` (in the same order, so
 * that both are read in sequence: looking the substrings up by slot made
 * building a 10M-hash index a third slower). */
static bool encode(bwi_static_table *out, const uint32_t *order, const uint16_t *order_next,
                   const uint32_t *start)
{
    /* The first pass sizes every bucket (and sets the offsets), so that the
     * data is allocated once, at its size: large, page-aligned memory that
     * a copy would leave behind as heap the process keeps. Offsets are
     * 32-bit, which bounds a table's size. */
    uint32_t *offsets = malloc((BWI_KEYS + 1) * sizeof *offsets);
    if (!offsets)
        return false;
    uint64_t size = 0;
    for (uint32_t k = 0; k < BWI_KEYS; k++) {
        if (size > UINT32_MAX) {
            free(offsets);
            return false;
        }
        offsets[k] = (uint32_t)size;
        size += varint_size(start[k + 1] - start[k]) + 2 * (uint64_t)(start[k + 1] - start[k]);
        uint32_t prev = 0;
        for (uint32_t i = start[k]; i < start[k + 1]; i++) {
            size += varint_size(order[i] - prev);
            prev = order[i];
        }
    }
    uint8_t *data = size <= UINT32_MAX ? big_alloc((size_t)size + BWI_TABLE_PAD) : NULL;
    if (!data) {
        free(offsets);
        return false;
    }
    offsets[BWI_KEYS] = (uint32_t)size;
    size_t pos = 0;
    for (uint32_t k = 0; k < BWI_KEYS; k++) {
        pos += put_varint(data + pos, start[k + 1] - start[k]);
        for (uint32_t i = start[k]; i < start[k + 1]; i++) {
            data[pos++] = (uint8_t)order_next[i];
            data[pos++] = (uint8_t)(order_next[i] >> 8);
        }
        uint32_t prev = 0;
        for (uint32_t i = start[k]; i < start[k + 1]; i++) {
            pos += put_varint(data + pos, order[i] - prev);
            prev = order[i];
        }
    }
    memset(data + pos, 0, BWI_TABLE_PAD);
    bwi_table_free(out);
    out->offsets = offsets;
    out->data = data;
    out->size = pos;
    return true;
}

bool bwi_table_build(bwi_static_table *t, const bw_pdq_index *ix, int which)
{
    const uint32_t n = ix->n;
    uint32_t *start = calloc(BWI_KEYS + 1, sizeof *start);
    uint32_t *order = malloc((size_t)(n ? n : 1) * sizeof *order);
    uint16_t *order_next = malloc((size_t)(n ? n : 1) * sizeof *order_next);
    if (!start || !order || !order_next) {
        free(start);
        free(order);
        free(order_next);
        return false;
    }
    for (uint32_t s = 0; s < n; s++)
        start[bwi_key(ix->hashes[s], which) + 1]++;
    for (uint32_t k = 0; k < BWI_KEYS; k++)
        start[k + 1] += start[k];
    /* Filling in slot order keeps every key's run ascending. */
    uint32_t *fill = malloc(BWI_KEYS * sizeof *fill);
    if (!fill) {
        free(start);
        free(order);
        free(order_next);
        return false;
    }
    memcpy(fill, start, BWI_KEYS * sizeof *fill);
    for (uint32_t s = 0; s < n; s++) {
        const uint32_t at = fill[bwi_key(ix->hashes[s], which)]++;
        order[at] = s;
        order_next[at] = (uint16_t)bwi_key(ix->hashes[s], bwi_next_table(which));
    }
    free(fill);
    bool ok = encode(t, order, order_next, start);
    free(start);
    free(order);
    free(order_next);
    return ok;
}

bool bwi_table_merge(bwi_static_table *t, const bw_pdq_index *ix, int which)
{
    const uint32_t extra = ix->n - ix->base_n;
    const uint32_t *head = ix->delta_head + (size_t)which * BWI_KEYS;
    const uint32_t *next = ix->delta_next + (size_t)which * ix->delta_cap;
    const uint32_t total = ix->base_n + extra;
    uint32_t *start = malloc((BWI_KEYS + 1) * sizeof *start);
    uint32_t *order = malloc((size_t)(total ? total : 1) * sizeof *order);
    uint16_t *order_next = malloc((size_t)(total ? total : 1) * sizeof *order_next);
    if (!start || !order || !order_next) {
        free(start);
        free(order);
        free(order_next);
        return false;
    }
    uint32_t pos = 0;
    for (uint32_t k = 0; k < BWI_KEYS; k++) {
        start[k] = pos;
        /* Old entries, decoded... */
        if (t->offsets) {
            const bwi_bucket_view v = bwi_open_bucket(t->data + t->offsets[k]);
            const uint8_t *g = v.gaps;
            uint32_t slot = 0;
            for (uint32_t i = 0; i < v.n; i++) {
                g = bwi_step_slot(g, &slot);
                order_next[pos] = (uint16_t)bwi_next_at(&v, i);
                order[pos++] = slot;
            }
        }
        /* ...then the newer ones, whose chain runs newest first. */
        const uint32_t first_new = pos;
        for (uint32_t s = head[k]; s != BWI_NIL; s = next[s - ix->base_n]) {
            order_next[pos] = (uint16_t)bwi_key(ix->hashes[s], bwi_next_table(which));
            order[pos++] = s;
        }
        for (uint32_t i = first_new, j = pos; i + 1 < j; i++, j--) {
            uint32_t tmp = order[i];
            order[i] = order[j - 1];
            order[j - 1] = tmp;
            uint16_t tmp_next = order_next[i];
            order_next[i] = order_next[j - 1];
            order_next[j - 1] = tmp_next;
        }
    }
    start[BWI_KEYS] = pos;
    bool ok = encode(t, order, order_next, start);
    free(start);
    free(order);
    free(order_next);
    return ok;
}

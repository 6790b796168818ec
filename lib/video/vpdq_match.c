/*
 * Matching two videos as vPDQ defines it: drop repeated frame hashes (the
 * first occurrence stays), drop frames under the quality threshold, then
 * count the frames of each video that have a frame of the other within the
 * distance. Frame numbers and timestamps play no part: each video is a bag
 * of hashes. Flags select the C++ reference's variant (no de-duplication,
 * distance strictly below the threshold).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "video_internal.h"

/* A hash as four 64-bit words, so a distance is four popcounts. */
typedef struct packed {
    uint64_t w[4];
} packed;

static packed pack(const uint8_t h[BW_PDQ_BYTES])
{
    packed p;
    memcpy(p.w, h, sizeof p.w);
    return p;
}

static int distance(const packed *a, const packed *b)
{
    return __builtin_popcountll(a->w[0] ^ b->w[0]) + __builtin_popcountll(a->w[1] ^ b->w[1]) +
           __builtin_popcountll(a->w[2] ^ b->w[2]) + __builtin_popcountll(a->w[3] ^ b->w[3]);
}

static bool same(const packed *a, const packed *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* The frames that take part: first occurrences of each hash (unless
 * duplicates are kept) with quality >= quality. Seen hashes go in an open
 * addressing table of twice the frame count, keyed by their first word
 * (PDQ bits are close to uniform). */
static packed *select_frames(const bw_vpdq *v, int quality, bool dedupe, size_t *count_out)
{
    const size_t slots = dedupe ? 2 * v->count + 1 : 0;
    packed *out = malloc((v->count ? v->count : 1) * sizeof *out);
    size_t *table = dedupe ? malloc(slots * sizeof *table) : NULL;
    if (!out || (dedupe && !table)) {
        free(out);
        free(table);
        return NULL;
    }
    for (size_t i = 0; i < slots; i++)
        table[i] = SIZE_MAX;
    size_t n = 0;
    for (size_t i = 0; i < v->count; i++) {
        const packed h = pack(v->items[i].hash);
        if (dedupe) {
            size_t slot = (size_t)(h.w[0] % slots);
            bool repeated = false;
            while (table[slot] != SIZE_MAX) {
                const packed other = pack(v->items[table[slot]].hash);
                if (same(&other, &h)) {
                    repeated = true;
                    break;
                }
                slot = slot + 1 == slots ? 0 : slot + 1;
            }
            if (repeated)
                continue;
            table[slot] = i;
        }
        if (v->items[i].quality >= quality)
            out[n++] = h;
    }
    free(table);
    *count_out = n;
    return out;
}

/* How many of a[] are within reach of some b[]. */
static size_t count_matched(const packed *a, size_t na, const packed *b, size_t nb,
                            int max_distance)
{
    size_t matched = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (distance(&a[i], &b[j]) <= max_distance) {
                matched++;
                break;
            }
    return matched;
}

BW_API bw_status bw_vpdq_match(double *query_percent_out, double *compared_percent_out,
                               const bw_vpdq *query, const bw_vpdq *compared, int distance_max,
                               int quality, unsigned flags)
{
    if (!query || !compared || distance_max < 0 || distance_max > 256 || quality < 0 ||
        quality > 101)
        return BW_ERR_INVALID_ARGUMENT;
    const bool dedupe = !(flags & BW_VPDQ_MATCH_KEEP_DUPLICATES);
    /* "< d" is "<= d - 1"; with d = 0 nothing matches. */
    const int reach = (flags & BW_VPDQ_MATCH_STRICT_DISTANCE) ? distance_max - 1 : distance_max;
    size_t nq, nc;
    packed *q = select_frames(query, quality, dedupe, &nq);
    packed *c = q ? select_frames(compared, quality, dedupe, &nc) : NULL;
    if (!q || !c) {
        free(q);
        return BW_ERR_NOMEM;
    }
    double qp = 0, cp = 0;
    if (nq && nc) {
        qp = (double)count_matched(q, nq, c, nc, reach) * 100.0 / (double)nq;
        cp = (double)count_matched(c, nc, q, nq, reach) * 100.0 / (double)nc;
    }
    free(q);
    free(c);
    if (query_percent_out)
        *query_percent_out = qp;
    if (compared_percent_out)
        *compared_percent_out = cp;
    return BW_OK;
}

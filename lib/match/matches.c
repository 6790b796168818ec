/* The result container of a match: what each matched signal is. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "match_internal.h"

BW_API bw_status bw_matches_create(bw_matches **out)
{
    if (!out)
        return BW_ERR_INVALID_ARGUMENT;
    *out = calloc(1, sizeof **out);
    return *out ? BW_OK : BW_ERR_NOMEM;
}

void bwi_matches_clear(bw_matches *m)
{
    for (size_t i = 0; i < m->count; i++)
        free(m->entries[i].strings);
    m->count = 0;
}

BW_API void bw_matches_free(bw_matches *m)
{
    if (!m)
        return;
    bwi_matches_clear(m);
    free(m->entries);
    free(m);
}

BW_API size_t bw_matches_count(const bw_matches *m)
{
    return m ? m->count : 0;
}

BW_API const bw_match_info *bw_matches_get(const bw_matches *m, size_t i)
{
    return m && i < m->count ? &m->entries[i].info : NULL;
}

BW_API int bw_matches_actionable(const bw_matches *m)
{
    for (size_t i = 0; m && i < m->count; i++) {
        const bw_match_info *x = &m->entries[i].info;
        if (x->bank_kind == BW_BANK_BLOCK && !x->suppressed && !x->quarantined)
            return 1;
    }
    return 0;
}

static size_t len0(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *copy(char **w, const char *s)
{
    if (!s)
        return NULL;
    const size_t n = strlen(s) + 1;
    memcpy(*w, s, n);
    const char *at = *w;
    *w += n;
    return at;
}

bool bwi_matches_add(bw_matches *m, const bw_match_info *info)
{
    for (size_t i = 0; i < m->count; i++) {
        bw_match_info *x = &m->entries[i].info;
        if (x->signal_id == info->signal_id) {
            if (info->distance < x->distance) {
                x->distance = info->distance;
                x->transform = info->transform;
                x->query_part = info->query_part;
            }
            return true;
        }
    }
    if (m->count == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        bwi_match_entry *grown = realloc(m->entries, cap * sizeof *grown);
        if (!grown)
            return false;
        m->entries = grown;
        m->cap = cap;
    }
    bwi_match_entry *e = &m->entries[m->count];
    char *strings = malloc(len0(info->bank) + len0(info->value) + len0(info->metadata) +
                           len0(info->source) + 1);
    if (!strings)
        return false;
    char *w = strings;
    e->info = *info;
    e->info.bank = copy(&w, info->bank);
    e->info.value = copy(&w, info->value);
    e->info.metadata = copy(&w, info->metadata);
    e->info.source = copy(&w, info->source);
    e->strings = strings;
    m->count++;
    return true;
}

/* How far a match is from the simplest account of it: the whole query as
 * it is against a whole banked image is 0; each of a query part, a banked
 * part (region or content box) and a turned variant adds one. */
static int detour(const bw_match_info *x)
{
    return (x->query_part && strcmp(x->query_part, "whole") != 0) + (x->region != NULL) +
           (x->transform != BW_DIHEDRAL_ORIGINAL);
}

static int by_policy(const void *a, const void *b)
{
    const bw_match_info *x = &((const bwi_match_entry *)a)->info;
    const bw_match_info *y = &((const bwi_match_entry *)b)->info;
    if (x->bank_kind != y->bank_kind)
        return x->bank_kind == BW_BANK_BLOCK ? -1 : 1;
    if (x->distance != y->distance)
        return x->distance - y->distance;
    /* An exact copy of a banked picture also meets its content box at 0:
     * the whole image is what a reviewer expects to see first. */
    if (detour(x) != detour(y))
        return detour(x) - detour(y);
    return (x->signal_id > y->signal_id) - (x->signal_id < y->signal_id);
}

/*
 * An allow-list match vouches for the upload against every block match at
 * least as far away: a benign look-alike that reviewers allow-listed stops
 * matching, while the banked image itself (closer to its block entry than
 * to the look-alike) still does. Exact matches are at distance 0, so an
 * allow-listed file suppresses every block match. Videos are judged frame
 * by frame when they are matched (vpdq_bank.c): their distance is only
 * their closest frame's, so it neither vouches for nor is weighed against
 * other matches here, except that an allow-listed file still vouches for
 * everything.
 */
void bwi_matches_finish(bw_matches *m)
{
    int nearest_allow = INT_MAX;
    for (size_t i = 0; i < m->count; i++)
        if (m->entries[i].info.bank_kind == BW_BANK_ALLOW &&
            m->entries[i].info.type != BW_SIGNAL_VPDQ &&
            m->entries[i].info.distance < nearest_allow)
            nearest_allow = m->entries[i].info.distance;
    for (size_t i = 0; i < m->count; i++) {
        bw_match_info *x = &m->entries[i].info;
        if (x->bank_kind == BW_BANK_BLOCK &&
            (x->type == BW_SIGNAL_VPDQ ? nearest_allow == 0 : x->distance >= nearest_allow))
            x->suppressed = 1;
    }
    if (m->count)
        qsort(m->entries, m->count, sizeof *m->entries, by_policy);
}

/* The banked file a band match comes from: its bank and the file's SHA-256
 * from the metadata bw_bank_add_content() wrote ("" when absent). */
typedef struct band_of {
    int64_t bank_id;
    int region;
    char content[2 * 32 + 1];
} band_of;

static int band_region(const bw_match_info *x)
{
    const int r = x->type == BW_SIGNAL_PDQ ? bw_pdq_region_parse(x->region) : -1;
    return r >= BW_PDQ_REGION_FIRST_BAND ? r : -1;
}

bool bwi_matches_drop_lone_bands(bw_matches *m)
{
    size_t bands = 0;
    for (size_t i = 0; i < m->count; i++)
        bands += band_region(&m->entries[i].info) >= 0;
    if (!bands)
        return true;
    band_of *of = calloc(m->count, sizeof *of);
    if (!of)
        return false;
    for (size_t i = 0; i < m->count; i++) {
        const bw_match_info *x = &m->entries[i].info;
        of[i].region = band_region(x);
        if (of[i].region < 0)
            continue;
        of[i].bank_id = x->bank_id;
        json_t *j = x->metadata ? json_loads(x->metadata, 0, NULL) : NULL;
        const char *c = json_string_value(json_object_get(j, "content"));
        snprintf(of[i].content, sizeof of[i].content, "%s", c ? c : "");
        json_decref(j);
    }
    size_t kept = 0;
    for (size_t i = 0; i < m->count; i++) {
        bool keep = of[i].region < 0;
        for (size_t j = 0; !keep && of[i].content[0] && j < m->count; j++)
            keep = bw_pdq_bands_opposite(of[i].region, of[j].region) &&
                   of[j].bank_id == of[i].bank_id && !strcmp(of[j].content, of[i].content);
        if (keep)
            m->entries[kept++] = m->entries[i];
        else
            free(m->entries[i].strings);
    }
    m->count = kept;
    free(of);
    return true;
}

/*
 * Flood quarantine: per block signal, the number of distinct queries it
 * matched in the current window, against its usual number (a moving
 * average over past windows). A list entry that suddenly matches many
 * different uploads is more likely a mistake in the list (a logo, a blank
 * frame) than an outbreak, and acting on it would hurt many innocent users:
 * it is quarantined and reported for a person to look at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

bw_status bwi_flood_init(bwi_flood *f)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    f->window = 3600;
    f->min_distinct = 50;
    f->factor = 10.0;
    return BW_OK;
}

void bwi_flood_free(bwi_flood *f)
{
    for (size_t i = 0; i < f->cap; i++)
        free(f->entries[i].seen);
    free(f->entries);
    pthread_mutex_destroy(&f->lock);
}

static size_t slot_of(int64_t id, size_t cap)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & (cap - 1);
}

static bwi_flood_entry *entry(bwi_flood *f, int64_t id)
{
    if ((f->used + 1) * 2 > f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        bwi_flood_entry *grown = calloc(cap, sizeof *grown);
        if (!grown)
            return NULL;
        for (size_t i = 0; i < f->cap; i++) {
            if (!f->entries[i].signal_id)
                continue;
            size_t j = slot_of(f->entries[i].signal_id, cap);
            while (grown[j].signal_id)
                j = (j + 1) & (cap - 1);
            grown[j] = f->entries[i];
        }
        free(f->entries);
        f->entries = grown;
        f->cap = cap;
    }
    size_t j = slot_of(id, f->cap);
    while (f->entries[j].signal_id && f->entries[j].signal_id != id)
        j = (j + 1) & (f->cap - 1);
    if (!f->entries[j].signal_id) {
        f->entries[j].signal_id = id;
        f->used++;
    }
    return &f->entries[j];
}

/* Adds a fingerprint to the window's set; true when it was new. */
static bool remember(bwi_flood_entry *e, uint64_t fp)
{
    if (!fp)
        fp = 1;
    if ((e->distinct + 1) * 2 > e->cap) {
        uint32_t cap = e->cap ? e->cap * 2 : 16;
        uint64_t *grown = calloc(cap, sizeof *grown);
        if (!grown)
            return false;
        for (uint32_t i = 0; i < e->cap; i++) {
            if (!e->seen[i])
                continue;
            uint32_t j = (uint32_t)(e->seen[i] >> 7) & (cap - 1);
            while (grown[j])
                j = (j + 1) & (cap - 1);
            grown[j] = e->seen[i];
        }
        free(e->seen);
        e->seen = grown;
        e->cap = cap;
    }
    uint32_t j = (uint32_t)(fp >> 7) & (e->cap - 1);
    while (e->seen[j] && e->seen[j] != fp)
        j = (j + 1) & (e->cap - 1);
    if (e->seen[j])
        return false;
    e->seen[j] = fp;
    e->distinct++;
    return true;
}

bool bwi_flood_record(bwi_flood *f, int64_t signal_id, uint64_t query, int64_t now,
                      char *reason, size_t reason_size)
{
    if (f->window <= 0)
        return false;
    pthread_mutex_lock(&f->lock);
    bool trip = false;
    bwi_flood_entry *e = entry(f, signal_id);
    if (e) {
        if (e->distinct && now - e->window_start >= f->window) {
            /* Close the window(s): empty windows count as zero. */
            const int64_t passed = (now - e->window_start) / f->window;
            e->usual = 0.8 * e->usual + 0.2 * e->distinct;
            for (int64_t k = 1; k < passed && k < 64; k++)
                e->usual *= 0.8;
            e->distinct = 0;
            memset(e->seen, 0, e->cap * sizeof *e->seen);
        }
        if (e->distinct == 0)
            e->window_start = now;
        const double limit = e->usual * f->factor > f->min_distinct ? e->usual * f->factor
                                                                     : f->min_distinct;
        if (remember(e, query) && !e->quarantined && e->distinct >= limit) {
            e->quarantined = true;
            trip = true;
            snprintf(reason, reason_size,
                     "flood: matched %u distinct uploads within %lld s (usual %.1f a window)",
                     e->distinct, (long long)f->window, e->usual);
        }
    }
    pthread_mutex_unlock(&f->lock);
    return trip;
}

void bwi_flood_release(bwi_flood *f, int64_t signal_id)
{
    pthread_mutex_lock(&f->lock);
    if (f->cap) {
        size_t j = slot_of(signal_id, f->cap);
        while (f->entries[j].signal_id && f->entries[j].signal_id != signal_id)
            j = (j + 1) & (f->cap - 1);
        if (f->entries[j].signal_id == signal_id) {
            f->entries[j].quarantined = false;
            f->entries[j].distinct = 0;
            if (f->entries[j].seen)
                memset(f->entries[j].seen, 0, f->entries[j].cap * sizeof(uint64_t));
        }
    }
    pthread_mutex_unlock(&f->lock);
}

/* The matcher's parts: its state, the result container, flood tracking. */
#ifndef BULWARK_LIB_MATCH_INTERNAL_H
#define BULWARK_LIB_MATCH_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "bulwark/bw_index.h"
#include "bulwark/bw_match.h"
#include "common/bw_internal.h"

/* Flood tracking for one signal. */
typedef struct bwi_flood_entry {
    int64_t signal_id;
    int64_t window_start;
    double usual;          /* moving average of distinct queries per window */
    uint32_t distinct;     /* distinct queries in the current window */
    uint32_t cap;          /* capacity of seen (a power of two) */
    uint64_t *seen;        /* query fingerprints, open addressing, 0 = empty */
    bool quarantined;
} bwi_flood_entry;

typedef struct bwi_flood {
    pthread_mutex_t lock;
    int64_t window;
    uint32_t min_distinct;
    double factor;
    bwi_flood_entry *entries; /* open addressing by signal id */
    size_t cap;
    size_t used;
} bwi_flood;

struct bw_matcher {
    bw_store *store;
    bw_pdq_index *index;
    pthread_rwlock_t lock;   /* index: readers query, refresh writes */
    pthread_mutex_t follow;  /* one refresh at a time */
    int64_t seq, last_id;    /* change-feed position */
    size_t added_since_compact;
    bwi_flood flood;
    bw_quarantine_fn on_quarantine;
    void *on_quarantine_arg;
};

/* One hit before details are looked up. */
typedef struct bwi_hit_ref {
    int64_t signal_id;
    int distance;
    bw_dihedral transform;
    int prefix;
    const char *query_part; /* static; NULL unless a set was matched */
} bwi_hit_ref;

typedef struct bwi_match_entry {
    bw_match_info info;
    char *strings; /* bank, value, metadata and source, one allocation */
} bwi_match_entry;

struct bw_matches {
    bwi_match_entry *entries;
    size_t count;
    size_t cap;
};

void bwi_matches_clear(bw_matches *m);
/* Adds a match (copying the info's strings); keeps the best distance when
 * the signal is already there. false when memory runs out. */
bool bwi_matches_add(bw_matches *m, const bw_match_info *info);
/* Marks suppressed block matches and orders the list. */
void bwi_matches_finish(bw_matches *m);

bw_status bwi_flood_init(bwi_flood *f);
void bwi_flood_free(bwi_flood *f);
/* Forgets that a signal was quarantined (an operator released it). */
void bwi_flood_release(bwi_flood *f, int64_t signal_id);
/* Records that a block signal matched a query; true when this pushes the
 * signal over the flood threshold (the first time). *reason receives why. */
bool bwi_flood_record(bwi_flood *f, int64_t signal_id, uint64_t query, int64_t now,
                      char *reason, size_t reason_size);

#endif

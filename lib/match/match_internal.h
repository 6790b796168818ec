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

/* A banked video whose distinct frames are in the video index. */
typedef struct bwi_video_entry {
    int64_t signal_id;     /* 0: an empty slot */
    int64_t bank_id;
    uint32_t frames;       /* distinct frame hashes indexed, tags 0..frames-1 */
    bool allow;            /* in an allow-list bank */
    uint8_t *quality;      /* per tag */
} bwi_video_entry;

/* Every live vPDQ signal's frames (vpdq_bank.c). */
typedef struct bwi_videos {
    bw_pdq_index *index;   /* id: the signal; tag: the frame's rank */
    bwi_video_entry *slots; /* open addressing by signal id */
    size_t cap;
    size_t used;
    size_t frames;
    size_t added_since_compact;
} bwi_videos;

struct bw_matcher {
    bw_store *store;
    bw_pdq_index *index;
    bwi_videos videos;       /* under the same lock as index */
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
    int query_region;        /* the part's region (bw_pdq_parts_meet), else -1 */
    double query_percent;    /* vPDQ only */
    double compared_percent;
    int suppressed;          /* vPDQ: decided frame by frame */
} bwi_hit_ref;

/* A video query: its distinct frames of sufficient quality, and the
 * thresholds. */
typedef struct bwi_vquery {
    const uint8_t (*hashes)[BW_PDQ_BYTES];
    size_t count;
    int distance;
    int quality;
    double query_percent;
    double compared_percent;
} bwi_vquery;

typedef struct bwi_match_entry {
    bw_match_info info;
    char *strings; /* bank, value, metadata and source, one allocation */
} bwi_match_entry;

struct bw_matches {
    bwi_match_entry *entries;
    size_t count;
    size_t cap;
};

/* The first occurrence of each distinct hash among count hashes stride
 * bytes apart: their positions, in order, into keep; returns how many, or
 * SIZE_MAX when memory runs out. */
size_t bwi_distinct_frames(const uint8_t *first, size_t stride, size_t count, uint32_t *keep);

bw_status bwi_videos_init(bwi_videos *v);
void bwi_videos_free(bwi_videos *v);
const bwi_video_entry *bwi_videos_find(const bwi_videos *v, int64_t id);
/* Applies one signal's state: its frames leave the index, and come back
 * when live. BW_ERR_NOMEM. */
bw_status bwi_videos_apply(bwi_videos *v, int64_t id, int64_t bank_id, bool allow, bool live,
                           const uint8_t *body, size_t body_size);
/* Every banked video the query matches, as hits (malloc'd) with both
 * percentages and the frame-by-frame allow-list verdict. Read lock held. */
bw_status bwi_videos_query(const bwi_videos *v, const bwi_vquery *q, bwi_hit_ref **refs,
                           size_t *n_refs);

void bwi_matches_clear(bw_matches *m);
/* Adds a match (copying the info's strings); keeps the best distance when
 * the signal is already there. false when memory runs out. */
bool bwi_matches_add(bw_matches *m, const bw_match_info *info);
/* Leaves out each band match (BW_PDQ_REGION_FIRST_BAND on) without a match
 * of a band on the opposite side of the same banked file beside it
 * (bw_pdq_bands_opposite). false when memory runs out. */
bool bwi_matches_drop_lone_bands(bw_matches *m);
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

/*
 * Bulwark — the matcher: banks from a store, PDQ hashes and the frames of
 * banked videos (vPDQ) in in-memory indexes that follow the store's change
 * feed, and the policy that turns raw hits into answers: allow-list banks
 * suppress block matches that are no closer to the query than the
 * allow-listed signal, disabled signals never match, and a banked hash that
 * suddenly matches far more distinct uploads than usual is quarantined
 * (reported, not acted on).
 *
 * THREAD SAFETY: a matcher may be queried from many threads at once (each
 * with its own bw_ctx and bw_matches) while one thread refreshes it.
 */
#ifndef BULWARK_BW_MATCH_H
#define BULWARK_BW_MATCH_H

#include "bw_common.h"
#include "bw_hash.h"
#include "bw_pdq.h"
#include "bw_robust.h"
#include "bw_store.h"
#include "bw_video.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_matcher bw_matcher;

/*
 * Loads every enabled PDQ signal, and the frames of every enabled vPDQ
 * signal, of every bank from the store into new indexes (one consistent
 * snapshot) and remembers where to follow changes from. The store must
 * outlive the matcher.
 */
BW_API bw_status bw_matcher_create(bw_ctx *ctx, bw_matcher **matcher_out,
                                   bw_store *store);

/* Accepts NULL. */
BW_API void bw_matcher_free(bw_matcher *matcher);

/*
 * Applies every change made to the store since the last refresh (by this or
 * any other process or node), without rebuilding. *applied_out (may be
 * NULL) receives the number of changes applied.
 */
BW_API bw_status bw_matcher_refresh(bw_ctx *ctx, bw_matcher *matcher,
                                    size_t *applied_out);

/* The store sequence number the matcher has caught up to. */
BW_API int64_t bw_matcher_sequence(const bw_matcher *matcher);

/* PDQ signals currently in the index. */
BW_API size_t bw_matcher_pdq_count(const bw_matcher *matcher);

/* vPDQ signals (banked videos) currently in the video index. */
BW_API size_t bw_matcher_vpdq_count(const bw_matcher *matcher);

/* Bytes of memory the PDQ and video indexes hold. */
BW_API size_t bw_matcher_memory(const bw_matcher *matcher);

/*
 * Flood quarantine: a block signal is quarantined when, within one window,
 * it matches at least max(min_distinct, factor x its usual count per
 * window) distinct queries. Defaults: 3600 s, 50, 10. A zero window
 * disables it.
 */
BW_API bw_status bw_matcher_set_flood(bw_matcher *matcher, int64_t window_seconds,
                                      uint32_t min_distinct, double factor);

/* Called (from the querying thread) when a signal is quarantined. */
typedef void (*bw_quarantine_fn)(void *arg, int64_t signal_id, const char *reason);
BW_API void bw_matcher_on_quarantine(bw_matcher *matcher, bw_quarantine_fn fn,
                                     void *arg);

/* Matches of one query, with what each matched signal is. */
typedef struct bw_matches bw_matches;

BW_API bw_status bw_matches_create(bw_matches **out);
/* Accepts NULL. */
BW_API void bw_matches_free(bw_matches *matches);
BW_API size_t bw_matches_count(const bw_matches *matches);

/*
 * One match. Pointers are valid until the matches object is reused or
 * freed. Filled by the library; fields may be appended later, so never
 * allocate one yourself.
 */
typedef struct bw_match_info {
    int64_t signal_id;
    int64_t bank_id;
    const char *bank;
    bw_bank_kind bank_kind;
    bw_signal_type type;
    const char *value;       /* the banked value, canonical text */
    int distance;            /* PDQ Hamming distance; 0 for exact matches */
    bw_dihedral transform;   /* which variant of the query matched */
    int prefix;              /* URL matched as a host or path prefix */
    const char *metadata;    /* JSON object text, or NULL */
    const char *source;      /* may be NULL */
    int quarantined;         /* reported only: do not act on it */
    int suppressed;          /* an allow-list signal matched the same query at
                                the same or a smaller distance (videos: see
                                bw_matcher_match_vpdq) */
    /* vPDQ matches only (0 otherwise). value is then the SHA-256 (hex) that
     * identifies the banked vPDQ, not the vPDQ itself, and distance the
     * smallest distance of any two matched frames. */
    double query_percent;    /* share of the query's frames matched */
    double compared_percent; /* share of the banked video's frames matched */
    /* What the banked PDQ hash covers, from the metadata
     * bw_bank_add_content() writes: a region's name ("c04", "l10", ...),
     * "content", "content-loose" or "content-picture"; NULL for a whole
     * image or an imported hash. A region match means the query is a crop
     * of the banked image. */
    const char *region;
    /* Which hash of the query matched: "whole", "content",
     * "content-loose", "content-picture" and the other parts of
     * bw_pdq_part (bw_matcher_match_set); NULL otherwise. */
    const char *query_part;
} bw_match_info;

/* Match i (0-based), or NULL when i is out of range. Block matches come
 * first, then allow matches, each by distance; at equal distance, the whole
 * query upright against a whole banked image before matches through a
 * query part, a banked part or a turned variant. */
BW_API const bw_match_info *bw_matches_get(const bw_matches *matches, size_t i);

/* True when any match is a block match neither suppressed nor quarantined:
 * the upload should be blocked. */
BW_API int bw_matches_actionable(const bw_matches *matches);

/* Match flags. */
#define BW_MATCH_DIHEDRAL 1u /* also match the 8 rotations/mirrors (files only) */
/* Add to the matches already in out (an earlier call's, for the same
 * upload) instead of replacing them; the policy is applied to the whole. */
#define BW_MATCH_APPEND 2u

/* python-threatexchange's thresholds for a video match: at least 80 % of
 * the query's frames, any share of the banked video's. */
#define BW_VPDQ_DEFAULT_QUERY_PERCENT 80.0
#define BW_VPDQ_DEFAULT_COMPARED_PERCENT 0.0

/*
 * Matches one PDQ hash within threshold (0..256; BW_PDQ_DEFAULT_THRESHOLD
 * is the usual). Replaces the contents of out.
 */
BW_API bw_status bw_matcher_match_pdq(bw_ctx *ctx, bw_matcher *matcher,
                                      bw_matches *out,
                                      const uint8_t hash[BW_PDQ_BYTES],
                                      int threshold);

/*
 * Matches one signal value given as text: PDQ (hex) within threshold,
 * MD5/SHA-1/SHA-256 exactly, URLs exactly or by banked host or path prefix
 * (a banked "example.com/dir" matches "example.com/dir/page"; a banked bare
 * host also matches its subdomains), vPDQ as bw_matcher_match_vpdq() with
 * frames within threshold and the default quality and percentages.
 * BW_ERR_PARSE for a malformed value.
 */
BW_API bw_status bw_matcher_match_value(bw_ctx *ctx, bw_matcher *matcher,
                                        bw_matches *out, bw_signal_type type,
                                        const char *value, int threshold);

/*
 * Matches everything bw_hash_* computed for one file: the PDQ hash (and,
 * with BW_MATCH_DIHEDRAL and dihedral hashes present, its 8 variants) and
 * every digest. Replaces the contents of out, unless flags has
 * BW_MATCH_APPEND.
 */
BW_API bw_status bw_matcher_match_hashes(bw_ctx *ctx, bw_matcher *matcher,
                                         bw_matches *out, const bw_hashes *hashes,
                                         int threshold, unsigned flags);

/*
 * Matches every PDQ hash of a set (bw_robust.h: the whole image, its
 * content boxes, their dihedral variants) within threshold, and, when
 * digests is not NULL, every digest it holds, as one query: a signal hit
 * by several hashes is reported once, at its best distance, with the
 * transform and query part of that hash. Replaces the contents of out.
 */
BW_API bw_status bw_matcher_match_set(bw_ctx *ctx, bw_matcher *matcher, bw_matches *out,
                                      const bw_pdq_set *set, const bw_hashes *digests,
                                      int threshold);

/*
 * Matches a video against every banked video, as bw_vpdq_match() compares
 * two (repeated frame hashes count once, frames under `quality` are left
 * out of both, frames match within `distance`): one match per banked video
 * whose query percentage is at least query_percent and compared percentage
 * at least compared_percent (0..100). The defaults are
 * BW_VPDQ_DEFAULT_DISTANCE, BW_VPDQ_DEFAULT_QUALITY and the percentages
 * above. Allow lists apply frame by frame: a query frame that an
 * allow-listed video matches at the same or a smaller distance counts for
 * no block video, and a block match left under query_percent without such
 * frames is suppressed; an allow-listed file digest (BW_MATCH_APPEND after
 * bw_matcher_match_hashes) suppresses everything. Replaces the contents of
 * out unless flags has BW_MATCH_APPEND. BW_ERR_INVALID_ARGUMENT for a
 * threshold out of range (distance 0..256, quality 0..101).
 */
BW_API bw_status bw_matcher_match_vpdq(bw_ctx *ctx, bw_matcher *matcher,
                                       bw_matches *out, const bw_vpdq *query,
                                       int distance, int quality,
                                       double query_percent,
                                       double compared_percent, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_MATCH_H */

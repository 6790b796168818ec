/*
 * Bulwark — what the matching service keeps in the bank store besides the
 * banks: API keys (stored hashed, with roles), match events (the record of
 * each upload that matched, which is also the review queue), a
 * tamper-evident audit log, and webhook deliveries with retries and a
 * dead-letter state. Non-matching uploads are never written anywhere.
 *
 * THREAD SAFETY: as bw_store: one store may serve many threads, each with
 * its own bw_ctx.
 */
#ifndef BULWARK_BW_SERVICE_H
#define BULWARK_BW_SERVICE_H

#include "bw_common.h"
#include "bw_match.h"
#include "bw_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- API keys ----------------------------------------------------------- */

typedef enum bw_role {
    BW_ROLE_CLIENT = 1,   /* hash and match */
    BW_ROLE_REVIEWER = 2, /* read matches, decide reviews */
    BW_ROLE_ADMIN = 3     /* banks, keys, configuration */
} bw_role;

/* "client", "reviewer", "admin"; "unknown" otherwise. */
BW_API const char *bw_role_name(bw_role role);
BW_API bw_status bw_role_parse(bw_role *role_out, const char *name);

/* Keys look like "bwk_" and 43 base64url characters (256 random bits). */
#define BW_KEY_CHARS 47

typedef struct bw_key_info {
    int64_t id;
    const char *name;
    bw_role role;
    const char *prefix;        /* the key's first 12 characters, to recognise it */
    uint32_t rate_per_minute;  /* 0: the service's default */
    int64_t created_at;
    int64_t revoked_at;        /* 0 while the key works */
} bw_key_info;

typedef int (*bw_key_fn)(void *arg, const bw_key_info *key);

/*
 * Creates a key and writes it, NUL-terminated, into key_out (at least
 * BW_KEY_CHARS + 1 bytes). Only its SHA-256 is stored: the key cannot be
 * shown again. id_out may be NULL.
 */
BW_API bw_status bw_key_create(bw_ctx *ctx, bw_store *store, bw_role role,
                               const char *name, uint32_t rate_per_minute,
                               char *key_out, size_t key_out_size, int64_t *id_out);

/* Revokes a key: it stops working at once for this process and within the
 * service's key cache lifetime elsewhere. BW_ERR_NOT_FOUND if unknown. */
BW_API bw_status bw_key_revoke(bw_ctx *ctx, bw_store *store, int64_t id);

/* Every key, revoked ones included, by id. */
BW_API bw_status bw_key_list(bw_ctx *ctx, bw_store *store, bw_key_fn fn, void *arg);

/* Checks a presented key. fn is called once with its record when it is
 * valid; BW_ERR_PERMISSION when it is unknown or revoked. */
BW_API bw_status bw_key_check(bw_ctx *ctx, bw_store *store, const char *key,
                              bw_key_fn fn, void *arg);

/* ---- match events and reviews ------------------------------------------ */

typedef enum bw_review_status {
    BW_REVIEW_PENDING = 1,       /* in the review queue */
    BW_REVIEW_CONFIRMED = 2,     /* a person confirmed the match */
    BW_REVIEW_FALSE_POSITIVE = 3,/* a person rejected it (allow-listed) */
    BW_REVIEW_ESCALATED = 4,     /* sent on for a senior decision */
    BW_REVIEW_NOT_NEEDED = 5     /* suppressed by an allow list */
} bw_review_status;

BW_API const char *bw_review_status_name(bw_review_status status);
BW_API bw_status bw_review_status_parse(bw_review_status *out, const char *name);

typedef struct bw_event_info {
    int64_t id;
    int64_t at;
    int64_t key_id;           /* the client key that sent the upload */
    const char *query;        /* JSON: the upload's hashes */
    const char *matches;      /* JSON array: bank, kind, type, value, distance... */
    const char *context;      /* JSON the platform sent along (user, upload id), or NULL */
    const char *top_bank;     /* the bank of the closest block match */
    int best_distance;
    int actionable;
    int quarantined;          /* matched only quarantined signals */
    bw_review_status status;
    int64_t reviewed_at;
    int64_t reviewer_key;
    const char *note;         /* the reviewer's note, or NULL */
    const char *media;        /* retained media reference, or NULL */
} bw_event_info;

typedef int (*bw_event_fn)(void *arg, const bw_event_info *event);

/*
 * Records one upload that matched: its hashes (query_json), its matches,
 * and what the platform said about it (context_json, may be NULL), and
 * queues it for review unless an allow list suppressed every match. Also
 * appends to the audit log and, when webhook_url is not NULL, queues a
 * webhook delivery — all in one transaction. media (a reference to
 * retained, encrypted media) may be NULL.
 */
BW_API bw_status bw_event_record(bw_ctx *ctx, bw_store *store, int64_t key_id,
                                 const char *query_json, const bw_matches *matches,
                                 const char *context_json, const char *media,
                                 const char *webhook_url, int64_t *id_out);

/* Events, newest first, optionally only those with one status (0: any),
 * after (older than) event id `before` (0: from the newest), at most limit. */
BW_API bw_status bw_event_list(bw_ctx *ctx, bw_store *store, bw_review_status status,
                               int64_t before, size_t limit, bw_event_fn fn, void *arg);

/* The review queue, oldest and closest (most certain) first. */
BW_API bw_status bw_event_queue(bw_ctx *ctx, bw_store *store, size_t limit,
                                bw_event_fn fn, void *arg);

BW_API bw_status bw_event_get(bw_ctx *ctx, bw_store *store, int64_t id,
                              bw_event_fn fn, void *arg);

/*
 * A reviewer's decision on a pending or escalated event, audited with the
 * reviewer's key id. A false positive adds the upload's PDQ hash (or a
 * video's vPDQ, the query's "vpdq" {"value"}) and digests to the allow-list
 * bank `allow_bank` (created if missing) so it never matches again. BW_ERR_NOT_FOUND, or BW_ERR_EXISTS when already decided.
 */
BW_API bw_status bw_event_review(bw_ctx *ctx, bw_store *store, int64_t id,
                                 int64_t reviewer_key, bw_review_status decision,
                                 const char *note, const char *allow_bank);

/* ---- webhook deliveries -------------------------------------------------- */

typedef struct bw_delivery_info {
    int64_t id;
    int64_t event_id;
    const char *url;
    const char *body;
    int attempts;
    int64_t next_attempt_at;
    const char *state;        /* "pending", "delivered", "dead" */
    const char *last_error;
} bw_delivery_info;

typedef int (*bw_delivery_fn)(void *arg, const bw_delivery_info *d);

/* Deliveries due now (pending, next attempt passed), oldest first, each
 * claimed for BW_DELIVERY_CLAIM_SECONDS: no other caller (node) gets it
 * again before its result is recorded or the claim lapses, so several nodes
 * never send one twice as long as each finishes what it claimed in time. */
BW_API bw_status bw_delivery_due(bw_ctx *ctx, bw_store *store, size_t limit,
                                 bw_delivery_fn fn, void *arg);
#define BW_DELIVERY_CLAIM_SECONDS 60

/* Records the outcome of an attempt: delivered, or failed with an error
 * (retried after retry_after seconds, or dead once attempts reach
 * max_attempts). */
BW_API bw_status bw_delivery_result(bw_ctx *ctx, bw_store *store, int64_t id,
                                    int delivered, const char *error,
                                    int64_t retry_after, int max_attempts);

/* Hands a claimed delivery back without an attempt counted (its node is
 * stopping before, or while, sending it): due again at once for any node,
 * instead of when the claim lapses. BW_ERR_NOT_FOUND if no pending delivery
 * has that id. An attempt cut short may have reached the endpoint, which
 * then sees the delivery twice (X-Bulwark-Delivery names it). */
BW_API bw_status bw_delivery_release(bw_ctx *ctx, bw_store *store, int64_t id);

/* Deliveries in one state ("pending", "delivered", "dead"), newest first. */
BW_API bw_status bw_delivery_list(bw_ctx *ctx, bw_store *store, const char *state,
                                  size_t limit, bw_delivery_fn fn, void *arg);

/* HMAC-SHA256 of body with secret, as the hex the X-Bulwark-Signature header
 * carries ("sha256=" + 64 hex digits), written into out (72 bytes). */
BW_API void bw_webhook_signature(char out[72], const char *secret, const void *body,
                                 size_t size);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_SERVICE_H */

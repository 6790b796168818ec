/* Shared by the store's files (not by backends). */
#ifndef BULWARK_LIB_STORE_INTERNAL_H
#define BULWARK_LIB_STORE_INTERNAL_H

#include <pthread.h>

#include "backend.h"

typedef struct bwi_cached_bank {
    int64_t id;
    char *name;
    bw_bank_kind kind;
    int deleted;
} bwi_cached_bank;

struct bw_store {
    bwi_backend *b;
    pthread_mutex_t lock;
    bwi_cached_bank *banks; /* every bank ever created, deleted ones too */
    size_t bank_count;
    size_t bank_cap;
};

int64_t bwi_now(void);

/* Bank names: 1 to BW_BANK_NAME_MAX of [A-Za-z0-9._-]; false for NULL. */
bool bwi_valid_bank_name(const char *name);

/* Which signals bank settings (JSON text, or NULL for the defaults) ask
 * bw_bank_add_content() for, as a bit set; BW_ERR_PARSE when malformed. */
bw_status bwi_content_wanted(bw_ctx *ctx, const char *settings, unsigned *want);

/* Appends an audit entry inside a write transaction the caller holds. */
bw_status bwi_audit_append_locked(bw_ctx *ctx, bw_store *store, int64_t actor,
                                  const char *action, const char *subject,
                                  const char *details_json);

/* Creates the service's tables (service_schema.c). */
bw_status bwi_service_schema(bw_ctx *ctx, bw_store *store);
void bwi_store_lock(bw_store *s);
void bwi_store_unlock(bw_store *s);

/* Runs fn inside a write transaction (store locked by the caller),
 * committing when it succeeds and rolling back when it does not. */
typedef bw_status (*bwi_write_fn)(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg);
bw_status bwi_write(bw_ctx *ctx, bw_store *s, bwi_write_fn fn, void *arg);

/* Bank cache lookups (store locked); reload from the backend on a miss. */
const bwi_cached_bank *bwi_bank_by_id(bw_ctx *ctx, bw_store *s, int64_t id);
bw_status bwi_bank_by_name(bw_ctx *ctx, bw_store *s, const char *name,
                           const bwi_cached_bank **out);

/* Canonical text to stored bytes (raw holds BW_SIGNAL_VALUE_MAX bytes),
 * failing with the reason on the context. A vPDQ value becomes the SHA-256
 * of its body, and the body itself goes to *body (malloc'd; the caller
 * frees) unless body is NULL; other types leave *body NULL. */
bw_status bwi_value_encode(bw_ctx *ctx, bw_signal_type type, const char *text,
                           size_t len, uint8_t *raw, size_t *raw_size, uint8_t **body,
                           size_t *body_size);

/* Stored bytes (and a vPDQ body) to canonical text, in *buf, which grows as
 * needed (free it when done). NULL when memory runs out. */
const char *bwi_value_render(char **buf, size_t *cap, bw_signal_type type,
                             const uint8_t *raw, size_t n, const uint8_t *body,
                             size_t body_size);

/* Validates metadata as a JSON object and returns its compact form
 * (malloc'd; NULL when metadata is empty). */
bw_status bwi_metadata_check(bw_ctx *ctx, const char *metadata, size_t len,
                             char **canonical);

/* A signal's source label: at most BWI_SOURCE_MAX bytes of UTF-8 without
 * control characters (NULL or empty: none). Every list format must carry
 * it back, and a CSV field cannot hold a line break our reader accepts. */
#define BWI_SOURCE_MAX 1024
bw_status bwi_source_check(bw_ctx *ctx, const char *source, size_t len);

#endif

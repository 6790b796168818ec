/*
 * The storage interface: the few operations the store needs, implemented
 * once for SQLite and once for PostgreSQL. The store layer (store.c) owns
 * validation, normalisation, locking and the bank cache; a backend only
 * moves rows. Values are stored in binary: the bytes of a hash, the text of
 * a URL.
 */
#ifndef BULWARK_LIB_STORE_BACKEND_H
#define BULWARK_LIB_STORE_BACKEND_H

#include <stdbool.h>

#include "bulwark/bw_store.h"
#include "common/bw_internal.h"
#include "sql.h"

/* One signal to store. */
typedef struct bwi_row {
    bw_signal_type type;
    const uint8_t *value;
    size_t value_size;
    const char *source;   /* may be NULL */
    int64_t added_at;
    const char *metadata; /* JSON text or NULL */
    int enabled;
    const uint8_t *body;  /* vPDQ frames, else NULL */
    size_t body_size;
} bwi_row;

/* One stored signal, as backends report it (bank name filled by the store). */
typedef struct bwi_stored {
    int64_t id;
    int64_t bank_id;
    bw_signal_type type;
    const uint8_t *value;
    size_t value_size;
    const char *source;
    int64_t added_at;
    const char *metadata;
    int enabled;
    int quarantined;
    int removed;
    int64_t seq;
    const uint8_t *body;  /* vPDQ frames, else NULL */
    size_t body_size;
} bwi_stored;

typedef int (*bwi_stored_fn)(void *arg, const bwi_stored *row);

typedef struct bwi_bank_row {
    int64_t id;
    int deleted;
    const char *name;
    bw_bank_kind kind;
    int64_t created_at;
    uint64_t count_by_type[8];
    const char *settings; /* JSON object text or NULL */
} bwi_bank_row;

typedef int (*bwi_bank_row_fn)(void *arg, const bwi_bank_row *row);

/* Outcome of storing one row. */
enum { BWI_ADDED = 0, BWI_DUPLICATE = 1 };

/* Signal fields that change after insertion. */
typedef enum bwi_field {
    BWI_FIELD_ENABLED,
    BWI_FIELD_QUARANTINED,
    BWI_FIELD_REMOVED
} bwi_field;

typedef struct bwi_backend bwi_backend;

typedef struct bwi_backend_ops {
    const char *name;
    void (*close)(bwi_backend *b);
    /* A write transaction; *seq_out is the new sequence number every change
     * in it takes. Writers are serialised, so commit order is seq order. */
    bw_status (*begin)(bw_ctx *ctx, bwi_backend *b, int64_t *seq_out);
    bw_status (*commit)(bw_ctx *ctx, bwi_backend *b);
    void (*rollback)(bwi_backend *b);
    bw_status (*bank_insert)(bw_ctx *ctx, bwi_backend *b, const char *name,
                             bw_bank_kind kind, int64_t now, int64_t seq,
                             int64_t *id_out);
    /* Live banks (all of them, or the one named), or with include_deleted
     * every bank ever created. */
    bw_status (*bank_list)(bw_ctx *ctx, bwi_backend *b, const char *only_name,
                           int include_deleted, bwi_bank_row_fn fn, void *arg);
    bw_status (*bank_remove)(bw_ctx *ctx, bwi_backend *b, int64_t bank_id,
                             int64_t seq);
    /* Stores rows in a bank: outcome[i] is BWI_ADDED or BWI_DUPLICATE and
     * ids[i] the signal's id either way. */
    bw_status (*signals_put)(bw_ctx *ctx, bwi_backend *b, int64_t bank_id,
                             const bwi_row *rows, size_t n, int64_t seq,
                             int *outcome, int64_t *ids);
    bw_status (*signal_update)(bw_ctx *ctx, bwi_backend *b, int64_t id,
                               bwi_field field, int value, int64_t seq);
    bw_status (*quarantine_log)(bw_ctx *ctx, bwi_backend *b, int64_t id,
                                int64_t at, const char *action,
                                const char *reason);
    /* Queries: fn is called for each row; returning non-zero stops. */
    bw_status (*signal_get)(bw_ctx *ctx, bwi_backend *b, int64_t id,
                            bwi_stored_fn fn, void *arg);
    bw_status (*signal_lookup)(bw_ctx *ctx, bwi_backend *b, bw_signal_type type,
                               const uint8_t *value, size_t value_size,
                               bwi_stored_fn fn, void *arg);
    bw_status (*quarantined)(bw_ctx *ctx, bwi_backend *b, bwi_stored_fn fn,
                             void *arg);
    bw_status (*changes)(bw_ctx *ctx, bwi_backend *b, int64_t after_seq,
                         int64_t after_id, size_t limit, bwi_stored_fn fn,
                         void *arg);
    bw_status (*scan)(bw_ctx *ctx, bwi_backend *b, int type, int64_t bank_id,
                      bwi_stored_fn fn, void *arg, int64_t *seq_out);
    bw_status (*sequence)(bw_ctx *ctx, bwi_backend *b, int64_t *seq_out);
    /* Bulk loading on or off: a backend may trade memory for speed. */
    void (*bulk)(bwi_backend *b, bool on);
    /* Replaces a live bank's settings (NULL clears them). */
    bw_status (*bank_settings)(bw_ctx *ctx, bwi_backend *b, int64_t bank_id,
                               const char *settings, int64_t seq);
    /* The generic layer of sql.h: one statement with $n parameters... */
    bw_status (*sql)(bw_ctx *ctx, bwi_backend *b, const char *sql,
                     const bwi_sql_value *params, int nparams, bwi_sql_row_fn fn,
                     void *arg);
    /* ...and a script of parameterless statements. */
    bw_status (*script)(bw_ctx *ctx, bwi_backend *b, const char *sql);
    /* bw_store_defer_checkpoints and bw_store_checkpoint; NULL where the
     * database has no log of its own to fold back (PostgreSQL). */
    bw_status (*defer_checkpoints)(bw_ctx *ctx, bwi_backend *b);
    bw_status (*checkpoint)(bw_ctx *ctx, bwi_backend *b);
} bwi_backend_ops;

struct bwi_backend {
    const bwi_backend_ops *ops;
};

/* Opens a backend; these own the schema of their database. */
/* create: make the file when it is not there (else BW_ERR_NOT_FOUND). */
bw_status bwi_sqlite_open(bw_ctx *ctx, const char *path, bool create, bwi_backend **out);
bw_status bwi_pg_open(bw_ctx *ctx, const char *uri, bwi_backend **out);

#endif

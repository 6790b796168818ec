/*
 * A small SQL layer over both backends, for the service's tables (keys,
 * matches, reviews, audit log, webhook deliveries) whose logic is written
 * once. Statements use PostgreSQL's $1..$n placeholders (rewritten for
 * SQLite) and the SQL both databases share (INSERT ... RETURNING, ON
 * CONFLICT). Schema statements differ and are given per backend.
 */
#ifndef BULWARK_LIB_STORE_SQL_H
#define BULWARK_LIB_STORE_SQL_H

#include "bulwark/bw_store.h"
#include "common/bw_internal.h"

typedef enum bwi_sql_kind {
    BWI_SQL_NULL = 0,
    BWI_SQL_INT = 1,
    BWI_SQL_TEXT = 2,
    BWI_SQL_BLOB = 3
} bwi_sql_kind;

typedef struct bwi_sql_value {
    bwi_sql_kind kind;
    int64_t i;
    const char *s;       /* TEXT: NUL-terminated */
    const void *b;       /* BLOB */
    size_t n;            /* BLOB size */
} bwi_sql_value;

#define BWI_INT(v) ((bwi_sql_value){BWI_SQL_INT, (int64_t)(v), NULL, NULL, 0})
/* A function, not a macro, so arrays and pointers both convert cleanly. */
static inline bwi_sql_value bwi_sql_text(const char *s)
{
    return (bwi_sql_value){s ? BWI_SQL_TEXT : BWI_SQL_NULL, 0, s, NULL, 0};
}
#define BWI_TEXT(v) bwi_sql_text(v)
#define BWI_BLOB(p, len) ((bwi_sql_value){BWI_SQL_BLOB, 0, NULL, (p), (len)})
#define BWI_NULL ((bwi_sql_value){BWI_SQL_NULL, 0, NULL, NULL, 0})

/* Called for each result row; return non-zero to stop. Values are valid
 * only during the call. */
typedef int (*bwi_sql_row_fn)(void *arg, const bwi_sql_value *cols, int ncols);

/* Text of a column, or NULL. */
static inline const char *bwi_col_text(const bwi_sql_value *v)
{
    return v->kind == BWI_SQL_TEXT ? v->s : NULL;
}

/* A row callback storing the first column, an integer, into *(int64_t *)arg. */
int bwi_sql_take_int(void *arg, const bwi_sql_value *cols, int ncols);

/* Runs one statement (the store must be locked, or within bwi_write). */
bw_status bwi_sql(bw_ctx *ctx, bw_store *store, const char *sql,
                  const bwi_sql_value *params, int nparams, bwi_sql_row_fn fn,
                  void *arg);

/* Runs schema statements: the first for SQLite, the second for PostgreSQL. */
bw_status bwi_sql_schema(bw_ctx *ctx, bw_store *store, const char *sqlite,
                         const char *postgresql);

/* True for PostgreSQL (for the rare statement the dialects disagree on). */
bool bwi_sql_is_postgresql(const bw_store *store);

#endif

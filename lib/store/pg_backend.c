/*
 * The PostgreSQL backend (libpq), for deployments where several matcher
 * nodes share one bank. Writers take the row lock on the sequence counter,
 * so sequence numbers commit in order and followers never miss a change.
 * Results are requested in binary form: hashes come back as their bytes.
 * Imports go through COPY into a temporary table, then one INSERT ... ON
 * CONFLICT per batch.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "backend.h"

#define SCHEMA_VERSION "1"

typedef struct pg_backend {
    bwi_backend base;
    PGconn *conn;
    bool import_table;
    bool in_txn;
} pg_backend;

/*
 * The connection, re-established first when the server dropped it
 * (restart, failover) and no transaction is open: a node rides out a
 * database restart instead of failing until it is restarted itself. Inside
 * a transaction nothing is retried; the transaction fails as a whole.
 */
static PGconn *C(bwi_backend *b)
{
    pg_backend *pb = (pg_backend *)b;
    if (!pb->in_txn && PQstatus(pb->conn) == CONNECTION_BAD) {
        PQreset(pb->conn);
        pb->import_table = false; /* temporary tables died with the session */
    }
    return pb->conn;
}

static bw_status pg_fail(bw_ctx *ctx, PGconn *conn, const char *what)
{
    const char *msg = PQerrorMessage(conn);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    return bwi_fail(ctx, BW_ERR_STORAGE, "PostgreSQL: %s: %.*s", what, (int)n, msg);
}

/* Runs a statement with text parameters; on success returns the result
 * (binary columns when binary is set), else NULL with the error recorded. */
static PGresult *run(bw_ctx *ctx, PGconn *conn, const char *what, const char *sql,
                     int n, const char *const *values, const int *lengths,
                     const int *formats, int binary)
{
    PGresult *r = PQexecParams(conn, sql, n, NULL, values, lengths, formats, binary);
    const ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_COPY_IN)
        return r;
    bwi_fail(ctx, BW_ERR_STORAGE, "PostgreSQL: %s: %s", what,
             PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) : PQerrorMessage(conn));
    PQclear(r);
    return NULL;
}

/* One or more statements without parameters or results. */
static bw_status simple(bw_ctx *ctx, PGconn *conn, const char *what, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    const ExecStatusType s = PQresultStatus(r);
    bw_status st = BW_OK;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        st = bwi_fail(ctx, BW_ERR_STORAGE, "PostgreSQL: %s: %s", what,
                      PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r)
                                                 : PQerrorMessage(conn));
    PQclear(r);
    return st;
}

static int64_t be_int(const PGresult *r, int row, int col)
{
    const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
    const int n = PQgetlength(r, row, col);
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    if (n == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

static void fmt_i64(char *buf, int64_t v)
{
    snprintf(buf, 24, "%lld", (long long)v);
}

static void pg_close(bwi_backend *b)
{
    PQfinish(C(b));
    free(b);
}

static bw_status pg_begin(bw_ctx *ctx, bwi_backend *b, int64_t *seq_out)
{
    PGconn *conn = C(b);
    if (simple(ctx, conn, "begin", "BEGIN") != BW_OK)
        return BW_ERR_STORAGE;
    ((pg_backend *)b)->in_txn = true;
    PGresult *r = run(ctx, conn, "sequence",
                      "UPDATE bw_meta SET value = (value::bigint + 1)::text WHERE key = 'seq'"
                      " RETURNING value::bigint",
                      0, NULL, NULL, NULL, 1);
    if (!r || PQntuples(r) != 1) {
        if (r)
            PQclear(r);
        simple(NULL, conn, "rollback", "ROLLBACK");
        ((pg_backend *)b)->in_txn = false;
        return r ? bwi_fail(ctx, BW_ERR_STORAGE, "PostgreSQL: no sequence row") : BW_ERR_STORAGE;
    }
    *seq_out = be_int(r, 0, 0);
    PQclear(r);
    return BW_OK;
}

static bw_status pg_commit(bw_ctx *ctx, bwi_backend *b)
{
    const bw_status st = simple(ctx, C(b), "commit", "COMMIT");
    ((pg_backend *)b)->in_txn = false;
    return st;
}

static void pg_rollback(bwi_backend *b)
{
    simple(NULL, C(b), "rollback", "ROLLBACK");
    ((pg_backend *)b)->in_txn = false;
}

static bw_status pg_bank_insert(bw_ctx *ctx, bwi_backend *b, const char *name,
                                bw_bank_kind kind, int64_t now, int64_t seq, int64_t *id_out)
{
    char k[24], t[24], s[24];
    fmt_i64(k, kind);
    fmt_i64(t, now);
    fmt_i64(s, seq);
    const char *v[] = {name, k, t, s};
    PGresult *r = PQexecParams(C(b),
                               "INSERT INTO banks(name, kind, created_at, seq) VALUES ($1, $2,"
                               " $3, $4) RETURNING id",
                               4, NULL, v, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        bw_status st = state && !strcmp(state, "23505")
                           ? bwi_fail(ctx, BW_ERR_EXISTS, "a bank named '%s' already exists",
                                      name)
                           : bwi_fail(ctx, BW_ERR_STORAGE, "PostgreSQL: creating a bank: %s",
                                      PQresultErrorMessage(r));
        PQclear(r);
        return st;
    }
    *id_out = be_int(r, 0, 0);
    PQclear(r);
    return BW_OK;
}

static bw_status pg_bank_list(bw_ctx *ctx, bwi_backend *b, const char *only_name,
                              int include_deleted, bwi_bank_row_fn fn, void *arg)
{
    const char *v[] = {only_name, include_deleted ? "1" : "0"};
    PGresult *r = run(ctx, C(b), "listing banks",
                      "SELECT b.id, b.name, b.kind, b.created_at, COALESCE(s.type, 0),"
                      " COALESCE(s.live, 0), b.deleted, b.settings FROM banks b"
                      " LEFT JOIN bank_stats s"
                      " ON s.bank_id = b.id WHERE (b.deleted = 0 OR $2::int = 1)"
                      " AND ($1::text IS NULL OR b.name = $1) ORDER BY b.name, b.id",
                      2, v, NULL, NULL, 1);
    if (!r)
        return BW_ERR_STORAGE;
    const int rows = PQntuples(r);
    bwi_bank_row row;
    bool have = false, stop = false;
    for (int i = 0; i < rows && !stop; i++) {
        const int64_t id = be_int(r, i, 0);
        if (have && id != row.id) {
            stop = fn(arg, &row) != 0;
            have = false;
        }
        if (!have) {
            memset(&row, 0, sizeof row);
            row.id = id;
            row.name = PQgetvalue(r, i, 1);
            row.kind = (bw_bank_kind)be_int(r, i, 2);
            row.created_at = be_int(r, i, 3);
            row.deleted = (int)be_int(r, i, 6);
            row.settings = PQgetisnull(r, i, 7) ? NULL : PQgetvalue(r, i, 7);
            have = true;
        }
        const int64_t type = be_int(r, i, 4);
        if (type > 0 && type < 8)
            row.count_by_type[type] = (uint64_t)be_int(r, i, 5);
    }
    if (!stop && have)
        fn(arg, &row);
    PQclear(r);
    return BW_OK;
}

static bw_status pg_bank_remove(bw_ctx *ctx, bwi_backend *b, int64_t bank_id, int64_t seq)
{
    char id[24], s[24];
    fmt_i64(id, bank_id);
    fmt_i64(s, seq);
    const char *v[] = {id, s};
    static const char *const sql[] = {
        "UPDATE signals SET deleted = 1, seq = $2 WHERE bank_id = $1 AND deleted = 0",
        "UPDATE banks SET deleted = 1, seq = $2 WHERE id = $1",
        "DELETE FROM bank_stats WHERE bank_id = $1 AND $2::bigint IS NOT NULL",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        PGresult *r = run(ctx, C(b), "deleting a bank", sql[i], 2, v, NULL, NULL, 0);
        if (!r)
            return BW_ERR_STORAGE;
        PQclear(r);
    }
    return BW_OK;
}

/* COPY text format escaping: backslash, tab, newline and CR. */
static void copy_text(char **w, const char *s)
{
    if (!s) {
        *(*w)++ = '\\';
        *(*w)++ = 'N';
        return;
    }
    for (; *s; s++) {
        switch (*s) {
        case '\\':
            *(*w)++ = '\\', *(*w)++ = '\\';
            break;
        case '\t':
            *(*w)++ = '\\', *(*w)++ = 't';
            break;
        case '\n':
            *(*w)++ = '\\', *(*w)++ = 'n';
            break;
        case '\r':
            *(*w)++ = '\\', *(*w)++ = 'r';
            break;
        default:
            *(*w)++ = *s;
        }
    }
}

/* Bytes as a COPY text bytea field ("\\x" and hex), NULL as \N. */
static void copy_bytea(char **w, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!p) {
        copy_text(w, NULL);
        return;
    }
    *(*w)++ = '\\', *(*w)++ = '\\', *(*w)++ = 'x';
    for (size_t k = 0; k < n; k++) {
        *(*w)++ = hex[p[k] >> 4];
        *(*w)++ = hex[p[k] & 15];
    }
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static bw_status pg_signals_put(bw_ctx *ctx, bwi_backend *b, int64_t bank_id,
                                const bwi_row *rows, size_t n, int64_t seq, int *outcome,
                                int64_t *ids)
{
    pg_backend *pb = (pg_backend *)b;
    PGconn *conn = pb->conn;
    if (!pb->import_table &&
        simple(ctx, conn, "import table",
               "CREATE TEMP TABLE IF NOT EXISTS bw_import (ord INT, type INT, value BYTEA,"
               " source TEXT, added_at BIGINT, metadata TEXT, enabled INT, body BYTEA)"
               " ON COMMIT DELETE ROWS") != BW_OK)
        return BW_ERR_STORAGE;
    pb->import_table = true;
    PGresult *r = run(ctx, conn, "import", "COPY bw_import FROM STDIN", 0, NULL, NULL, NULL, 0);
    if (!r)
        return BW_ERR_STORAGE;
    PQclear(r);
    size_t cap = 0;
    bool bodies = false;
    for (size_t i = 0; i < n; i++) {
        cap += 72 + 2 * rows[i].value_size + 2 * (rows[i].source ? strlen(rows[i].source) : 0) +
               2 * (rows[i].metadata ? strlen(rows[i].metadata) : 0) + 2 * rows[i].body_size;
        bodies |= rows[i].body != NULL;
    }
    char *buf = malloc(cap + 1);
    if (!buf) {
        PQputCopyEnd(conn, "out of memory");
        return bwi_fail(ctx, BW_ERR_NOMEM, "cannot allocate the COPY buffer");
    }
    char *w = buf;
    for (size_t i = 0; i < n; i++) {
        w += sprintf(w, "%zu\t%d\t", i, (int)rows[i].type);
        copy_bytea(&w, rows[i].value, rows[i].value_size);
        *w++ = '\t';
        copy_text(&w, rows[i].source);
        w += sprintf(w, "\t%lld\t", (long long)rows[i].added_at);
        copy_text(&w, rows[i].metadata);
        w += sprintf(w, "\t%d\t", rows[i].enabled ? 1 : 0);
        copy_bytea(&w, rows[i].body, rows[i].body_size);
        *w++ = '\n';
    }
    const bool sent = PQputCopyData(conn, buf, (int)(w - buf)) == 1 &&
                      PQputCopyEnd(conn, NULL) == 1;
    free(buf);
    r = PQgetResult(conn);
    const bool copied = sent && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    while ((r = PQgetResult(conn)))
        PQclear(r);
    if (!copied)
        return pg_fail(ctx, conn, "copying a batch");

    char bank[24], s[24];
    fmt_i64(bank, bank_id);
    fmt_i64(s, seq);
    const char *v[] = {bank, s};
    /* One row per value (a file may repeat one), earliest line first. */
    PGresult *ins = run(ctx, conn, "storing signals",
                        "INSERT INTO signals(bank_id, type, value, source, added_at, metadata,"
                        " enabled, seq) SELECT $1::bigint, type, value, source, added_at,"
                        " metadata, enabled, $2::bigint FROM (SELECT DISTINCT ON (type, value) *"
                        " FROM bw_import ORDER BY type, value, ord) d ORDER BY ord"
                        " ON CONFLICT (type, value, bank_id) DO UPDATE"
                        " SET deleted = 0, source = excluded.source, added_at = excluded.added_at,"
                        " metadata = excluded.metadata, enabled = excluded.enabled,"
                        " quarantined = 0, seq = excluded.seq WHERE signals.deleted = 1"
                        " RETURNING id, type",
                        2, v, NULL, NULL, 1);
    if (!ins)
        return BW_ERR_STORAGE;
    PGresult *all = run(ctx, conn, "reading signal ids",
                        "SELECT i.ord, s.id FROM bw_import i JOIN signals s ON s.bank_id = $1"
                        " AND s.type = i.type AND s.value = i.value AND $2::bigint IS NOT NULL"
                        " ORDER BY i.ord",
                        2, v, NULL, NULL, 1);
    if (!all) {
        PQclear(ins);
        return BW_ERR_STORAGE;
    }
    const int added_n = PQntuples(ins);
    int64_t *added = malloc((size_t)(added_n ? added_n : 1) * sizeof *added);
    bool *claimed = calloc((size_t)(added_n ? added_n : 1), sizeof *claimed);
    int64_t per_type[8] = {0};
    if (!added || !claimed) {
        free(added);
        free(claimed);
        PQclear(ins);
        PQclear(all);
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < added_n; i++) {
        added[i] = be_int(ins, i, 0);
        per_type[be_int(ins, i, 1) & 7]++;
    }
    if (added_n > 0)
        qsort(added, (size_t)added_n, sizeof *added, cmp_i64);
    for (size_t i = 0; i < n; i++) {
        outcome[i] = BWI_DUPLICATE;
        ids[i] = 0;
    }
    /* Rows come in line order; the first line holding a newly stored value
     * is the one that added it, later ones are duplicates. */
    for (int i = 0; i < PQntuples(all); i++) {
        const int64_t ord = be_int(all, i, 0), id = be_int(all, i, 1);
        if (ord < 0 || (size_t)ord >= n)
            continue;
        ids[ord] = id;
        const int64_t *hit = bsearch(&id, added, (size_t)added_n, sizeof *added, cmp_i64);
        if (hit && !claimed[hit - added]) {
            claimed[hit - added] = true;
            outcome[ord] = BWI_ADDED;
        }
    }
    free(claimed);
    free(added);
    PQclear(ins);
    PQclear(all);
    /* vPDQ frames beside their rows; a body already there (a revived
     * signal, or a repeated line) is the same body, its digest being the
     * value. */
    if (bodies) {
        PGresult *bq = run(ctx, conn, "storing vpdq values",
                          "INSERT INTO signal_bodies(signal_id, body) SELECT s.id, i.body"
                          " FROM bw_import i JOIN signals s ON s.bank_id = $1 AND s.type = i.type"
                          " AND s.value = i.value WHERE i.body IS NOT NULL AND $2::bigint IS NOT"
                          " NULL ON CONFLICT (signal_id) DO NOTHING",
                          2, v, NULL, NULL, 0);
        if (!bq)
            return BW_ERR_STORAGE;
        PQclear(bq);
    }
    for (int t = 1; t < 8; t++) {
        if (!per_type[t])
            continue;
        char ts[24], cs[24];
        fmt_i64(ts, t);
        fmt_i64(cs, per_type[t]);
        const char *sv[] = {bank, ts, cs};
        PGresult *u = run(ctx, conn, "counting signals",
                          "INSERT INTO bank_stats(bank_id, type, live) VALUES ($1, $2, $3)"
                          " ON CONFLICT (bank_id, type) DO UPDATE SET live = bank_stats.live +"
                          " excluded.live",
                          3, sv, NULL, NULL, 0);
        if (!u)
            return BW_ERR_STORAGE;
        PQclear(u);
    }
    return BW_OK;
}

static bw_status pg_signal_update(bw_ctx *ctx, bwi_backend *b, int64_t id, bwi_field field,
                                  int value, int64_t seq)
{
    static const char *const sql[] = {
        [BWI_FIELD_ENABLED] = "UPDATE signals SET enabled = $2, seq = $3 WHERE id = $1"
                              " AND deleted = 0 RETURNING bank_id, type",
        [BWI_FIELD_QUARANTINED] = "UPDATE signals SET quarantined = $2, seq = $3 WHERE id = $1"
                                  " AND deleted = 0 RETURNING bank_id, type",
        [BWI_FIELD_REMOVED] = "UPDATE signals SET deleted = $2, seq = $3 WHERE id = $1"
                              " AND deleted = 0 RETURNING bank_id, type",
    };
    char i[24], v[24], s[24];
    fmt_i64(i, id);
    fmt_i64(v, value);
    fmt_i64(s, seq);
    const char *p[] = {i, v, s};
    PGresult *r = run(ctx, C(b), "updating a signal", sql[field], 3, p, NULL, NULL, 1);
    if (!r)
        return BW_ERR_STORAGE;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return bwi_fail(ctx, BW_ERR_NOT_FOUND, "no signal with id %lld", (long long)id);
    }
    char bank[24], type[24];
    fmt_i64(bank, be_int(r, 0, 0));
    fmt_i64(type, be_int(r, 0, 1));
    PQclear(r);
    if (field != BWI_FIELD_REMOVED)
        return BW_OK;
    const char *sv[] = {bank, type};
    r = run(ctx, C(b), "counting signals",
            "UPDATE bank_stats SET live = live - 1 WHERE bank_id = $1 AND type = $2", 2, sv,
            NULL, NULL, 0);
    if (!r)
        return BW_ERR_STORAGE;
    PQclear(r);
    return BW_OK;
}

static bw_status pg_quarantine_log(bw_ctx *ctx, bwi_backend *b, int64_t id, int64_t at,
                                   const char *action, const char *reason)
{
    char i[24], t[24];
    fmt_i64(i, id);
    fmt_i64(t, at);
    const char *v[] = {i, t, action, reason};
    PGresult *r = run(ctx, C(b), "logging a quarantine",
                      "INSERT INTO quarantine_log(signal_id, at, action, reason)"
                      " VALUES ($1, $2, $3, $4)",
                      4, v, NULL, NULL, 0);
    if (!r)
        return BW_ERR_STORAGE;
    PQclear(r);
    return BW_OK;
}

/* Every signal column, and a vPDQ signal's body (the join only looks for
 * one when the type is vPDQ). Column names stay unambiguous for WHERE. */
#define SIGNAL_COLUMNS \
    "id, bank_id, type, value, source, added_at, metadata, enabled, quarantined, " \
    "deleted, seq, body"
#define SIGNALS \
    "signals LEFT JOIN signal_bodies ON signals.type = 6 AND signal_id = signals.id"

/* Reports every row of a result whose columns are SIGNAL_COLUMNS; returns
 * false when the callback asked to stop. */
static bool each_row(PGresult *r, bwi_stored_fn fn, void *arg)
{
    for (int i = 0; i < PQntuples(r); i++) {
        const bwi_stored row = {
            .id = be_int(r, i, 0),
            .bank_id = be_int(r, i, 1),
            .type = (bw_signal_type)be_int(r, i, 2),
            .value = (const uint8_t *)PQgetvalue(r, i, 3),
            .value_size = (size_t)PQgetlength(r, i, 3),
            .source = PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4),
            .added_at = be_int(r, i, 5),
            .metadata = PQgetisnull(r, i, 6) ? NULL : PQgetvalue(r, i, 6),
            .enabled = (int)be_int(r, i, 7),
            .quarantined = (int)be_int(r, i, 8),
            .removed = (int)be_int(r, i, 9),
            .seq = be_int(r, i, 10),
            .body = PQgetisnull(r, i, 11) ? NULL : (const uint8_t *)PQgetvalue(r, i, 11),
            .body_size = PQgetisnull(r, i, 11) ? 0 : (size_t)PQgetlength(r, i, 11),
        };
        if (fn(arg, &row))
            return false;
    }
    return true;
}

static bw_status query_rows(bw_ctx *ctx, PGconn *conn, const char *what, const char *sql,
                            int n, const char *const *v, const int *len, const int *fmt,
                            bwi_stored_fn fn, void *arg)
{
    PGresult *r = run(ctx, conn, what, sql, n, v, len, fmt, 1);
    if (!r)
        return BW_ERR_STORAGE;
    each_row(r, fn, arg);
    PQclear(r);
    return BW_OK;
}

static bw_status pg_signal_get(bw_ctx *ctx, bwi_backend *b, int64_t id, bwi_stored_fn fn,
                               void *arg)
{
    char i[24];
    fmt_i64(i, id);
    const char *v[] = {i};
    return query_rows(ctx, C(b), "reading a signal",
                      "SELECT " SIGNAL_COLUMNS " FROM " SIGNALS " WHERE id = $1 AND deleted = 0", 1,
                      v, NULL, NULL, fn, arg);
}

static bw_status pg_signal_lookup(bw_ctx *ctx, bwi_backend *b, bw_signal_type type,
                                  const uint8_t *value, size_t value_size, bwi_stored_fn fn,
                                  void *arg)
{
    char t[24];
    fmt_i64(t, type);
    const char *v[] = {t, (const char *)value};
    const int len[] = {0, (int)value_size}, fmt[] = {0, 1};
    return query_rows(ctx, C(b), "looking up a signal",
                      "SELECT " SIGNAL_COLUMNS " FROM " SIGNALS " WHERE type = $1 AND value = $2"
                      " AND deleted = 0",
                      2, v, len, fmt, fn, arg);
}

static bw_status pg_quarantined(bw_ctx *ctx, bwi_backend *b, bwi_stored_fn fn, void *arg)
{
    return query_rows(ctx, C(b), "listing quarantined signals",
                      "SELECT " SIGNAL_COLUMNS " FROM " SIGNALS " WHERE quarantined = 1"
                      " AND deleted = 0 ORDER BY id",
                      0, NULL, NULL, NULL, fn, arg);
}

static bw_status pg_changes(bw_ctx *ctx, bwi_backend *b, int64_t after_seq, int64_t after_id,
                            size_t limit, bwi_stored_fn fn, void *arg)
{
    char s[24], i[24], l[24];
    fmt_i64(s, after_seq);
    fmt_i64(i, after_id);
    fmt_i64(l, (int64_t)limit);
    const char *v[] = {s, i, l};
    return query_rows(ctx, C(b), "reading changes",
                      "SELECT " SIGNAL_COLUMNS " FROM " SIGNALS " WHERE (seq, id) > ($1, $2)"
                      " ORDER BY seq, id LIMIT $3",
                      3, v, NULL, NULL, fn, arg);
}

static bw_status pg_sequence(bw_ctx *ctx, bwi_backend *b, int64_t *seq_out)
{
    PGresult *r = run(ctx, C(b), "reading the sequence",
                      "SELECT value::bigint FROM bw_meta WHERE key = 'seq'", 0, NULL, NULL,
                      NULL, 1);
    if (!r)
        return BW_ERR_STORAGE;
    *seq_out = PQntuples(r) ? be_int(r, 0, 0) : 0;
    PQclear(r);
    return BW_OK;
}

static bw_status pg_scan(bw_ctx *ctx, bwi_backend *b, int type, int64_t bank_id,
                         bwi_stored_fn fn, void *arg, int64_t *seq_out)
{
    PGconn *conn = C(b);
    /* A repeatable-read transaction: rows and sequence are one snapshot;
     * a cursor keeps memory bounded however many rows there are. */
    if (simple(ctx, conn, "scan", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") != BW_OK)
        return BW_ERR_STORAGE;
    int64_t seq = 0;
    char t[24], bk[24];
    fmt_i64(t, type);
    fmt_i64(bk, bank_id);
    const char *v[] = {t, bk};
    bw_status st = pg_sequence(ctx, b, &seq);
    PGresult *r = NULL;
    if (st == BW_OK &&
        !(r = run(ctx, conn, "scan",
                  "DECLARE bw_scan NO SCROLL CURSOR FOR SELECT " SIGNAL_COLUMNS
                  " FROM " SIGNALS " WHERE deleted = 0 AND ($1::int = 0 OR type = $1)"
                  " AND ($2::bigint = 0 OR bank_id = $2)"
                  " ORDER BY CASE WHEN $2::bigint = 0 THEN id END, type, value",
                  2, v, NULL, NULL, 0)))
        st = BW_ERR_STORAGE;
    if (r)
        PQclear(r);
    while (st == BW_OK) {
        r = run(ctx, conn, "scan", "FETCH 20000 FROM bw_scan", 0, NULL, NULL, NULL, 1);
        if (!r) {
            st = BW_ERR_STORAGE;
            break;
        }
        const bool more = PQntuples(r) > 0 && each_row(r, fn, arg);
        PQclear(r);
        if (!more)
            break;
    }
    simple(NULL, conn, "scan", st == BW_OK ? "COMMIT" : "ROLLBACK");
    if (st == BW_OK && seq_out)
        *seq_out = seq;
    return st;
}

static void pg_bulk(bwi_backend *b, bool on)
{
    (void)b, (void)on; /* the server manages its own memory */
}

static bw_status pg_bank_settings(bw_ctx *ctx, bwi_backend *b, int64_t bank_id,
                                  const char *settings, int64_t seq)
{
    char id[24], s[24];
    fmt_i64(id, bank_id);
    fmt_i64(s, seq);
    const char *v[] = {id, settings, s};
    PGresult *r = run(ctx, C(b), "storing bank settings",
                      "UPDATE banks SET settings = $2, seq = $3 WHERE id = $1 AND deleted = 0",
                      3, v, NULL, NULL, 0);
    if (!r)
        return BW_ERR_STORAGE;
    const bool changed = !strcmp(PQcmdTuples(r), "1");
    PQclear(r);
    return changed ? BW_OK : bwi_fail(ctx, BW_ERR_NOT_FOUND, "the bank no longer exists");
}

enum { OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23 };

static bw_status pg_sql(bw_ctx *ctx, bwi_backend *b, const char *sql,
                        const bwi_sql_value *params, int nparams, bwi_sql_row_fn fn, void *arg)
{
    if (nparams > 32)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "too many parameters");
    const char *values[32];
    int lengths[32], formats[32];
    char numbers[32][24];
    for (int i = 0; i < nparams; i++) {
        const bwi_sql_value *v = &params[i];
        lengths[i] = 0;
        formats[i] = 0;
        switch (v->kind) {
        case BWI_SQL_INT:
            fmt_i64(numbers[i], v->i);
            values[i] = numbers[i];
            break;
        case BWI_SQL_TEXT:
            values[i] = v->s;
            break;
        case BWI_SQL_BLOB:
            values[i] = v->b;
            lengths[i] = (int)v->n;
            formats[i] = 1;
            break;
        case BWI_SQL_NULL:
            values[i] = NULL;
            break;
        }
    }
    PGresult *r = PQexecParams(C(b), sql, nparams, NULL, values, lengths, formats, 0);
    const ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        bw_status st = state && !strcmp(state, "23505")
                           ? bwi_fail(ctx, BW_ERR_EXISTS, "already exists")
                           : bwi_fail(ctx, BW_ERR_STORAGE, "PostgreSQL: %s",
                                      PQresultErrorMessage(r));
        PQclear(r);
        return st;
    }
    const int rows = PQntuples(r), n = PQnfields(r) < 32 ? PQnfields(r) : 32;
    bwi_sql_value cols[32];
    unsigned char *blobs[32];
    bool stop = false;
    for (int row = 0; row < rows && !stop && fn; row++) {
        for (int c = 0; c < n; c++) {
            blobs[c] = NULL;
            if (PQgetisnull(r, row, c)) {
                cols[c] = BWI_NULL;
                continue;
            }
            const char *text = PQgetvalue(r, row, c);
            switch (PQftype(r, c)) {
            case OID_INT8:
            case OID_INT4:
            case OID_INT2:
                cols[c] = BWI_INT(strtoll(text, NULL, 10));
                break;
            case OID_BYTEA: {
                size_t len = 0;
                blobs[c] = PQunescapeBytea((const unsigned char *)text, &len);
                cols[c] = BWI_BLOB(blobs[c], len);
                break;
            }
            default:
                cols[c] = (bwi_sql_value){BWI_SQL_TEXT, 0, text, NULL, 0};
                break;
            }
        }
        stop = fn(arg, cols, n) != 0;
        for (int c = 0; c < n; c++)
            if (blobs[c])
                PQfreemem(blobs[c]);
    }
    PQclear(r);
    return BW_OK;
}

static bw_status pg_script(bw_ctx *ctx, bwi_backend *b, const char *sql)
{
    return simple(ctx, C(b), "schema", sql);
}

static const bwi_backend_ops pg_ops = {
    "postgresql",     pg_close,        pg_begin,        pg_commit,
    pg_rollback,      pg_bank_insert,  pg_bank_list,    pg_bank_remove,
    pg_signals_put,   pg_signal_update, pg_quarantine_log, pg_signal_get,
    pg_signal_lookup, pg_quarantined,  pg_changes,      pg_scan,
    pg_sequence,      pg_bulk,         pg_bank_settings, pg_sql,
    pg_script,        NULL,            NULL,
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS bw_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO bw_meta VALUES ('schema', '" SCHEMA_VERSION "'), ('seq', '0')"
    " ON CONFLICT DO NOTHING;"
    "CREATE TABLE IF NOT EXISTS banks (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL,"
    " kind INT NOT NULL, created_at BIGINT NOT NULL, deleted INT NOT NULL DEFAULT 0,"
    " seq BIGINT NOT NULL, settings TEXT);"
    "CREATE UNIQUE INDEX IF NOT EXISTS banks_live_name ON banks(name) WHERE deleted = 0;"
    "CREATE TABLE IF NOT EXISTS signals (id BIGSERIAL PRIMARY KEY, bank_id BIGINT NOT NULL,"
    " type INT NOT NULL, value BYTEA NOT NULL, source TEXT, added_at BIGINT NOT NULL,"
    " metadata TEXT, enabled INT NOT NULL DEFAULT 1, quarantined INT NOT NULL DEFAULT 0,"
    " deleted INT NOT NULL DEFAULT 0, seq BIGINT NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS signals_value ON signals(type, value, bank_id);"
    "CREATE INDEX IF NOT EXISTS signals_seq ON signals(seq, id);"
    "CREATE TABLE IF NOT EXISTS bank_stats (bank_id BIGINT NOT NULL, type INT NOT NULL,"
    " live BIGINT NOT NULL, PRIMARY KEY (bank_id, type));"
    "CREATE TABLE IF NOT EXISTS quarantine_log (id BIGSERIAL PRIMARY KEY, signal_id BIGINT"
    " NOT NULL, at BIGINT NOT NULL, action TEXT NOT NULL, reason TEXT);"
    "CREATE TABLE IF NOT EXISTS signal_bodies (signal_id BIGINT PRIMARY KEY,"
    " body BYTEA NOT NULL);";

/*
 * libpq waits on a silent server for as long as TCP does: a node cut off
 * from the database by the network (no reset, packets dropped) would hang
 * in connect for minutes and in a query until the kernel gave up, a quarter
 * of an hour later, holding its requests and its shutdown. These bounds
 * come before the URI, whose own settings win (libpq takes the last). The
 * connect timeout applies to each try, and libpq tries twice when SSL is
 * only preferred: 10 s in all.
 */
static PGconn *connect_bounded(const char *uri)
{
    static const char *const keys[] = {"connect_timeout",  "keepalives",
                                       "keepalives_idle",  "keepalives_interval",
                                       "keepalives_count", "tcp_user_timeout",
                                       "dbname",           NULL};
    const char *const values[] = {"5", "1", "30", "10", "3", "60000", uri, NULL};
    return PQconnectdbParams(keys, values, 1);
}

bw_status bwi_pg_open(bw_ctx *ctx, const char *uri, bwi_backend **out)
{
    pg_backend *pb = calloc(1, sizeof *pb);
    if (!pb)
        return bwi_fail(ctx, BW_ERR_NOMEM, "cannot allocate the store");
    pb->base.ops = &pg_ops;
    pb->conn = connect_bounded(uri);
    if (!pb->conn || PQstatus(pb->conn) != CONNECTION_OK) {
        bw_status st = pb->conn ? pg_fail(ctx, pb->conn, "cannot connect")
                                : bwi_fail(ctx, BW_ERR_NOMEM, "cannot allocate a connection");
        pg_close(&pb->base);
        return st;
    }
    PQsetNoticeProcessor(pb->conn, NULL, NULL);
    /* Several nodes may start at once: one creates the schema at a time. */
    bw_status st = simple(ctx, pb->conn, "schema",
                          "SET client_min_messages = warning; BEGIN;"
                          " SELECT pg_advisory_xact_lock(7275061);");
    if (st == BW_OK) {
        PGresult *r = run(ctx, pb->conn, "schema",
                          "SELECT (SELECT COUNT(*) FROM information_schema.tables WHERE"
                          " table_schema = current_schema() AND table_name IN ('banks',"
                          " 'signals')), (SELECT COUNT(*) FROM information_schema.tables WHERE"
                          " table_schema = current_schema() AND table_name = 'bw_meta')",
                          0, NULL, NULL, NULL, 0);
        if (!r)
            st = BW_ERR_STORAGE;
        else if (atoi(PQgetvalue(r, 0, 0)) > 0 && atoi(PQgetvalue(r, 0, 1)) == 0)
            st = bwi_fail(ctx, BW_ERR_STORAGE,
                          "the database has tables named banks or signals that are not "
                          "Bulwark's; use another database or schema");
        if (r)
            PQclear(r);
    }
    if (st == BW_OK)
        st = simple(ctx, pb->conn, "schema", schema);
    if (st == BW_OK) {
        PGresult *r = run(ctx, pb->conn, "schema",
                          "SELECT value FROM bw_meta WHERE key = 'schema'", 0, NULL, NULL, NULL, 0);
        if (!r)
            st = BW_ERR_STORAGE;
        else if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), SCHEMA_VERSION) != 0)
            st = bwi_fail(ctx, BW_ERR_STORAGE, "the database has schema version %s; this "
                          "Bulwark understands %s",
                          PQntuples(r) ? PQgetvalue(r, 0, 0) : "?", SCHEMA_VERSION);
        if (r)
            PQclear(r);
    }
    simple(NULL, pb->conn, "schema", st == BW_OK ? "COMMIT" : "ROLLBACK");
    if (st != BW_OK) {
        pg_close(&pb->base);
        return st;
    }
    *out = &pb->base;
    return BW_OK;
}

/*
 * The SQLite backend: one file, write-ahead log, crash-safe. Writers are
 * serialised by SQLite itself (BEGIN IMMEDIATE), so sequence numbers taken
 * inside a write transaction become visible in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backend.h"

#define SCHEMA_VERSION "1"

/* Statements are kept prepared: parsing and planning cost more than running
 * the small statements a match or a review needs (a server's profile showed
 * a third of recording a match spent in sqlite3_prepare). A statement is
 * handed to one caller at a time; a row callback that queries the store
 * again while its statement is out gets a fresh one, finalised after. */
enum { STMT_CACHE = 32 };

typedef struct stmt_slot {
    char *sql; /* NULL: empty */
    sqlite3_stmt *q;
    bool busy;
    uint64_t used;
} stmt_slot;

typedef struct sqlite_backend {
    bwi_backend base;
    sqlite3 *db;
    /* bw_store_checkpoint's own connection (serialized mode, so any thread
     * may use it without the store's lock); NULL until deferred. */
    sqlite3 *checkpointer;
    stmt_slot cache[STMT_CACHE];
    uint64_t clock;
} sqlite_backend;

static bw_status db_error(bw_ctx *ctx, sqlite3 *db, const char *what)
{
    const int code = sqlite3_errcode(db);
    if (code == SQLITE_NOTADB)
        return bwi_fail(ctx, BW_ERR_STORAGE, "SQLite: %s: the file is not a database",
                        what);
    return bwi_fail(ctx, code == SQLITE_NOMEM ? BW_ERR_NOMEM : BW_ERR_STORAGE,
                    "SQLite: %s: %s", what, sqlite3_errmsg(db));
}

static bw_status exec(bw_ctx *ctx, sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        bw_status st = bwi_fail(ctx, BW_ERR_STORAGE, "SQLite: %s", err ? err : "error");
        sqlite3_free(err);
        return st;
    }
    return BW_OK;
}

static bw_status prepare(bw_ctx *ctx, sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return db_error(ctx, db, "prepare");
    return BW_OK;
}

static sqlite_backend *S(bwi_backend *b)
{
    return (sqlite_backend *)b;
}

/* $n placeholders (the shared dialect) become SQLite's ?n. */
static char *sqlite_dialect(const char *sql)
{
    char *out = strdup(sql);
    if (out)
        for (char *p = out; *p; p++)
            if (*p == '$' && p[1] >= '0' && p[1] <= '9')
                *p = '?';
    return out;
}

/* The statement for sql, from the cache or prepared now; in the shared
 * dialect when `dialect`. Every statement goes back through release(). */
static bw_status acquire_sql(bw_ctx *ctx, sqlite_backend *s, const char *sql, bool dialect,
                             sqlite3_stmt **out)
{
    stmt_slot *victim = NULL;
    for (int i = 0; i < STMT_CACHE; i++) {
        stmt_slot *c = &s->cache[i];
        if (c->busy)
            continue;
        if (c->sql && !strcmp(c->sql, sql)) {
            c->busy = true;
            c->used = ++s->clock;
            *out = c->q;
            return BW_OK;
        }
        if (!victim || (victim->sql && (!c->sql || c->used < victim->used)))
            victim = c;
    }
    char *text = dialect ? sqlite_dialect(sql) : NULL;
    if (dialect && !text)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    bw_status st = prepare(ctx, s->db, text ? text : sql, out);
    free(text);
    if (st != BW_OK)
        return st;
    /* Without room or memory for the copy, it is used once. */
    char *copy = victim ? strdup(sql) : NULL;
    if (copy) {
        sqlite3_finalize(victim->q);
        free(victim->sql);
        *victim = (stmt_slot){copy, *out, true, ++s->clock};
    }
    return BW_OK;
}

static bw_status acquire(bw_ctx *ctx, sqlite_backend *s, const char *sql, sqlite3_stmt **out)
{
    return acquire_sql(ctx, s, sql, false, out);
}

/* Gives a statement back: reset (so it holds no read snapshot and no
 * pointer to the caller's bound values), or finalised if not cached. */
static void release(sqlite_backend *s, sqlite3_stmt *q)
{
    if (!q)
        return;
    for (int i = 0; i < STMT_CACHE; i++)
        if (s->cache[i].sql && s->cache[i].q == q) {
            sqlite3_reset(q);
            sqlite3_clear_bindings(q);
            s->cache[i].busy = false;
            return;
        }
    sqlite3_finalize(q);
}

/* Runs a statement that returns no rows (transaction control). */
static bw_status run_once(bw_ctx *ctx, sqlite_backend *s, const char *sql)
{
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, s, sql, &q);
    if (st != BW_OK)
        return st;
    const int rc = sqlite3_step(q);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        st = db_error(ctx, s->db, sql);
    release(s, q);
    return st;
}

static void sq_close(bwi_backend *b)
{
    sqlite_backend *s = S(b);
    for (int i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(s->cache[i].q);
        free(s->cache[i].sql);
    }
    /* The main connection closes last: SQLite folds the log back into the
     * file when its last connection closes. */
    sqlite3_close_v2(s->checkpointer);
    sqlite3_close_v2(s->db);
    free(s);
}

static bw_status sq_begin(bw_ctx *ctx, bwi_backend *b, int64_t *seq_out)
{
    sqlite3 *db = S(b)->db;
    bw_status st = run_once(ctx, S(b), "BEGIN IMMEDIATE");
    if (st != BW_OK)
        return st;
    sqlite3_stmt *q;
    if ((st = acquire(ctx, S(b),
                      "UPDATE bw_meta SET value = CAST(value AS INTEGER) + 1 "
                      "WHERE key = 'seq' RETURNING CAST(value AS INTEGER)",
                      &q)) != BW_OK) {
        run_once(NULL, S(b), "ROLLBACK");
        return st;
    }
    if (sqlite3_step(q) != SQLITE_ROW) {
        st = db_error(ctx, db, "sequence");
        release(S(b), q);
        run_once(NULL, S(b), "ROLLBACK");
        return st;
    }
    *seq_out = sqlite3_column_int64(q, 0);
    release(S(b), q);
    return BW_OK;
}

static bw_status sq_commit(bw_ctx *ctx, bwi_backend *b)
{
    return run_once(ctx, S(b), "COMMIT");
}

static void sq_rollback(bwi_backend *b)
{
    run_once(NULL, S(b), "ROLLBACK");
}

static bw_status sq_bank_insert(bw_ctx *ctx, bwi_backend *b, const char *name,
                                bw_bank_kind kind, int64_t now, int64_t seq,
                                int64_t *id_out)
{
    sqlite3 *db = S(b)->db;
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, S(b),
                           "INSERT INTO banks(name, kind, created_at, seq) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           &q);
    if (st != BW_OK)
        return st;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)kind);
    sqlite3_bind_int64(q, 3, now);
    sqlite3_bind_int64(q, 4, seq);
    const int rc = sqlite3_step(q);
    if (rc == SQLITE_CONSTRAINT)
        st = bwi_fail(ctx, BW_ERR_EXISTS, "a bank named '%s' already exists", name);
    else if (rc != SQLITE_DONE)
        st = db_error(ctx, db, "creating a bank");
    else
        *id_out = sqlite3_last_insert_rowid(db);
    release(S(b), q);
    return st;
}

static bw_status sq_bank_list(bw_ctx *ctx, bwi_backend *b, const char *only_name,
                              int include_deleted, bwi_bank_row_fn fn, void *arg)
{
    sqlite3 *db = S(b)->db;
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, S(b),
        "SELECT b.id, b.name, b.kind, b.created_at, s.type, s.live, b.deleted, b.settings "
        "FROM banks b "
        "LEFT JOIN bank_stats s ON s.bank_id = b.id "
        "WHERE (b.deleted = 0 OR ?2) AND (?1 IS NULL OR b.name = ?1) ORDER BY b.name, b.id",
        &q);
    if (st != BW_OK)
        return st;
    if (only_name)
        sqlite3_bind_text(q, 1, only_name, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, include_deleted ? 1 : 0);
    bwi_bank_row row;
    char name[BW_BANK_NAME_MAX + 1];
    bool have = false, stop = false, oom = false;
    /* The row is reported after the statement moved on: keep a copy. */
    char *settings = NULL;
    int rc;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const int64_t id = sqlite3_column_int64(q, 0);
        if (have && id != row.id) {
            stop = fn(arg, &row) != 0;
            have = false;
            free(settings);
            settings = NULL;
        }
        if (!have) {
            memset(&row, 0, sizeof row);
            row.id = id;
            snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(q, 1));
            row.name = name;
            row.kind = (bw_bank_kind)sqlite3_column_int(q, 2);
            row.created_at = sqlite3_column_int64(q, 3);
            row.deleted = sqlite3_column_int(q, 6);
            const char *text = (const char *)sqlite3_column_text(q, 7);
            if (text && !(settings = strdup(text)))
                oom = stop = true;
            row.settings = settings;
            have = true;
        }
        const int type = sqlite3_column_int(q, 4);
        if (sqlite3_column_type(q, 4) != SQLITE_NULL && type > 0 && type < 8)
            row.count_by_type[type] = (uint64_t)sqlite3_column_int64(q, 5);
    }
    if (!stop && have)
        fn(arg, &row);
    free(settings);
    if (oom)
        st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory listing banks");
    else if (!stop && rc != SQLITE_DONE)
        st = db_error(ctx, db, "listing banks");
    release(S(b), q);
    return st;
}

static bw_status sq_bank_remove(bw_ctx *ctx, bwi_backend *b, int64_t bank_id,
                                int64_t seq)
{
    sqlite3 *db = S(b)->db;
    sqlite3_stmt *q;
    /* Signals become tombstones so that followers see each one go. */
    static const char *const sql[] = {
        "UPDATE signals SET deleted = 1, seq = ?2 WHERE bank_id = ?1 AND deleted = 0",
        "UPDATE banks SET deleted = 1, seq = ?2 WHERE id = ?1",
        "DELETE FROM bank_stats WHERE bank_id = ?1",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        bw_status st = acquire(ctx, S(b), sql[i], &q);
        if (st != BW_OK)
            return st;
        sqlite3_bind_int64(q, 1, bank_id);
        if (sqlite3_bind_parameter_count(q) >= 2)
            sqlite3_bind_int64(q, 2, seq);
        const int rc = sqlite3_step(q);
        release(S(b), q);
        if (rc != SQLITE_DONE)
            return db_error(ctx, db, "deleting a bank");
    }
    return BW_OK;
}

static void bind_row(sqlite3_stmt *q, int64_t bank_id, const bwi_row *r, int64_t seq)
{
    sqlite3_bind_int64(q, 1, bank_id);
    sqlite3_bind_int(q, 2, (int)r->type);
    sqlite3_bind_blob(q, 3, r->value, (int)r->value_size, SQLITE_STATIC);
    if (r->source)
        sqlite3_bind_text(q, 4, r->source, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 4);
    sqlite3_bind_int64(q, 5, r->added_at);
    if (r->metadata)
        sqlite3_bind_text(q, 6, r->metadata, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 6);
    sqlite3_bind_int(q, 7, r->enabled ? 1 : 0);
    sqlite3_bind_int64(q, 8, seq);
}

/* Rows sorted by key, so that consecutive inserts land in neighbouring
 * index pages: far fewer pages touched per batch than in line order. */
typedef struct sorted_row {
    const bwi_row *row;
    size_t at;
} sorted_row;

static int by_key(const void *a, const void *b)
{
    const bwi_row *x = ((const sorted_row *)a)->row, *y = ((const sorted_row *)b)->row;
    if (x->type != y->type)
        return (int)x->type - (int)y->type;
    const size_t n = x->value_size < y->value_size ? x->value_size : y->value_size;
    int c = memcmp(x->value, y->value, n);
    if (c)
        return c;
    if (x->value_size != y->value_size)
        return x->value_size < y->value_size ? -1 : 1;
    /* Equal values: the earlier line adds, later ones are duplicates. */
    const size_t i = ((const sorted_row *)a)->at, j = ((const sorted_row *)b)->at;
    return (i > j) - (i < j);
}

/* A vPDQ signal's frames, beside its row. The value is the body's digest,
 * so a body already there (a revived signal) is the same body. */
static bw_status put_body(bw_ctx *ctx, sqlite_backend *s, int64_t id, const bwi_row *r)
{
    if (!r->body)
        return BW_OK;
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, s,
                           "INSERT OR IGNORE INTO signal_bodies(signal_id, body) VALUES (?1, ?2)",
                           &q);
    if (st != BW_OK)
        return st;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_blob(q, 2, r->body, (int)r->body_size, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        st = db_error(ctx, s->db, "storing a vpdq value");
    release(s, q);
    return st;
}

/* Adds delta to a bank's count of live signals of one type. */
static bw_status count_live(bw_ctx *ctx, sqlite_backend *s, int64_t bank_id, int type,
                            int64_t delta)
{
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, s,
                           "INSERT INTO bank_stats(bank_id, type, live) VALUES (?1, ?2, ?3)"
                           " ON CONFLICT(bank_id, type) DO UPDATE SET live = live + excluded.live",
                           &q);
    if (st != BW_OK)
        return st;
    sqlite3_bind_int64(q, 1, bank_id);
    sqlite3_bind_int(q, 2, type);
    sqlite3_bind_int64(q, 3, delta);
    if (sqlite3_step(q) != SQLITE_DONE)
        st = db_error(ctx, s->db, "counting signals");
    release(s, q);
    return st;
}

static bw_status sq_signals_put(bw_ctx *ctx, bwi_backend *b, int64_t bank_id,
                                const bwi_row *rows, size_t n, int64_t seq,
                                int *outcome, int64_t *ids)
{
    sqlite_backend *s = S(b);
    sqlite3_stmt *put = NULL, *revive = NULL, *find_dup = NULL;
    bw_status st = acquire(ctx, s,
                           "INSERT OR IGNORE INTO signals(bank_id, type, value, source, added_at,"
                           " metadata, enabled, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           &put);
    if (st == BW_OK)
        st = acquire(ctx, s,
                     "UPDATE signals SET deleted = 0, source = ?4, added_at = ?5,"
                     " metadata = ?6, enabled = ?7, quarantined = 0, seq = ?8"
                     " WHERE type = ?2 AND value = ?3 AND bank_id = ?1 AND deleted = 1"
                     " RETURNING id",
                     &revive);
    if (st == BW_OK)
        st = acquire(ctx, s,
                     "SELECT id FROM signals WHERE type = ?1 AND value = ?2 AND bank_id = ?3",
                     &find_dup);
    int64_t added[8] = {0};
    sorted_row *order = st == BW_OK ? malloc((n ? n : 1) * sizeof *order) : NULL;
    if (st == BW_OK && !order)
        st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && order; i++)
        order[i] = (sorted_row){&rows[i], i};
    if (order)
        qsort(order, n, sizeof *order, by_key);
    for (size_t k = 0; k < n && st == BW_OK; k++) {
        const size_t i = order[k].at;
        sqlite3_reset(put);
        bind_row(put, bank_id, &rows[i], seq);
        int rc = sqlite3_step(put);
        if (rc == SQLITE_DONE && sqlite3_changes(s->db) == 1) {
            outcome[i] = BWI_ADDED;
            ids[i] = sqlite3_last_insert_rowid(s->db);
            added[rows[i].type & 7]++;
            st = put_body(ctx, s, ids[i], &rows[i]);
            continue;
        }
        if (rc == SQLITE_DONE) {
            /* Taken: revive it if it is a removed signal's tombstone. */
            sqlite3_reset(revive);
            bind_row(revive, bank_id, &rows[i], seq);
            rc = sqlite3_step(revive);
            if (rc == SQLITE_ROW) {
                outcome[i] = BWI_ADDED;
                ids[i] = sqlite3_column_int64(revive, 0);
                added[rows[i].type & 7]++;
                rc = sqlite3_step(revive);
                if (rc != SQLITE_DONE)
                    st = db_error(ctx, s->db, "storing a signal");
                sqlite3_reset(revive);
                if (st == BW_OK)
                    st = put_body(ctx, s, ids[i], &rows[i]);
                continue;
            }
        }
        if (rc == SQLITE_DONE) {
            /* The conflict clause declined: the value is there and live. */
            outcome[i] = BWI_DUPLICATE;
            sqlite3_reset(find_dup);
            sqlite3_bind_int(find_dup, 1, (int)rows[i].type);
            sqlite3_bind_blob(find_dup, 2, rows[i].value, (int)rows[i].value_size,
                              SQLITE_STATIC);
            sqlite3_bind_int64(find_dup, 3, bank_id);
            ids[i] = sqlite3_step(find_dup) == SQLITE_ROW ? sqlite3_column_int64(find_dup, 0)
                                                          : 0;
            /* A statement left mid-result would pin this connection to an
             * old snapshot: always reset. */
            sqlite3_reset(find_dup);
        }
        if (rc != SQLITE_DONE)
            st = db_error(ctx, s->db, "storing a signal");
    }
    release(s, put);
    release(s, revive);
    release(s, find_dup);
    free(order);
    for (int t = 1; t < 8 && st == BW_OK; t++)
        if (added[t])
            st = count_live(ctx, s, bank_id, t, added[t]);
    return st;
}

static bw_status sq_signal_update(bw_ctx *ctx, bwi_backend *b, int64_t id,
                                  bwi_field field, int value, int64_t seq)
{
    sqlite3 *db = S(b)->db;
    static const char *const sql[] = {
        [BWI_FIELD_ENABLED] = "UPDATE signals SET enabled = ?2, seq = ?3 "
                              "WHERE id = ?1 AND deleted = 0 RETURNING bank_id, type",
        [BWI_FIELD_QUARANTINED] = "UPDATE signals SET quarantined = ?2, seq = ?3 "
                                  "WHERE id = ?1 AND deleted = 0 RETURNING bank_id, type",
        [BWI_FIELD_REMOVED] = "UPDATE signals SET deleted = ?2, seq = ?3 "
                              "WHERE id = ?1 AND deleted = 0 RETURNING bank_id, type",
    };
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, S(b), sql[field], &q);
    if (st != BW_OK)
        return st;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int(q, 2, value);
    sqlite3_bind_int64(q, 3, seq);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_DONE) {
        st = bwi_fail(ctx, BW_ERR_NOT_FOUND, "no signal with id %lld", (long long)id);
    } else if (rc == SQLITE_ROW) {
        const int64_t bank_id = sqlite3_column_int64(q, 0);
        const int type = sqlite3_column_int(q, 1);
        rc = sqlite3_step(q);
        if (rc != SQLITE_DONE) {
            st = db_error(ctx, db, "updating a signal");
        } else if (field == BWI_FIELD_REMOVED) {
            st = count_live(ctx, S(b), bank_id, type, -1);
        }
    } else {
        st = db_error(ctx, db, "updating a signal");
    }
    release(S(b), q);
    return st;
}

static bw_status sq_quarantine_log(bw_ctx *ctx, bwi_backend *b, int64_t id,
                                   int64_t at, const char *action, const char *reason)
{
    sqlite3 *db = S(b)->db;
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, S(b),
                           "INSERT INTO quarantine_log(signal_id, at, action, reason) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           &q);
    if (st != BW_OK)
        return st;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, at);
    sqlite3_bind_text(q, 3, action, -1, SQLITE_STATIC);
    if (reason)
        sqlite3_bind_text(q, 4, reason, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        st = db_error(ctx, db, "logging a quarantine");
    release(S(b), q);
    return st;
}

/* Every signal column, and a vPDQ signal's body (the join only looks for
 * one when the type is vPDQ). Column names stay unambiguous for WHERE. */
#define SIGNAL_COLUMNS \
    "id, bank_id, type, value, source, added_at, metadata, enabled, quarantined, " \
    "deleted, seq, body"
#define SIGNALS \
    "signals LEFT JOIN signal_bodies ON signals.type = 6 AND signal_id = signals.id"

/* Runs a query whose columns are SIGNAL_COLUMNS and reports each row. */
static bw_status each_signal(bw_ctx *ctx, sqlite3 *db, sqlite3_stmt *q,
                             bwi_stored_fn fn, void *arg, const char *what)
{
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        bwi_stored r = {
            .id = sqlite3_column_int64(q, 0),
            .bank_id = sqlite3_column_int64(q, 1),
            .type = (bw_signal_type)sqlite3_column_int(q, 2),
            .value = sqlite3_column_blob(q, 3),
            .value_size = (size_t)sqlite3_column_bytes(q, 3),
            .source = (const char *)sqlite3_column_text(q, 4),
            .added_at = sqlite3_column_int64(q, 5),
            .metadata = (const char *)sqlite3_column_text(q, 6),
            .enabled = sqlite3_column_int(q, 7),
            .quarantined = sqlite3_column_int(q, 8),
            .removed = sqlite3_column_int(q, 9),
            .seq = sqlite3_column_int64(q, 10),
            .body = sqlite3_column_blob(q, 11),
            .body_size = (size_t)sqlite3_column_bytes(q, 11),
        };
        if (fn(arg, &r))
            return BW_OK;
    }
    return rc == SQLITE_DONE ? BW_OK : db_error(ctx, db, what);
}

static bw_status sq_signal_get(bw_ctx *ctx, bwi_backend *b, int64_t id,
                               bwi_stored_fn fn, void *arg)
{
    sqlite3 *db = S(b)->db;
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, S(b),
                           "SELECT " SIGNAL_COLUMNS " FROM " SIGNALS " WHERE id = ?1 "
                           "AND deleted = 0",
                           &q);
    if (st != BW_OK)
        return st;
    sqlite3_bind_int64(q, 1, id);
    st = each_signal(ctx, db, q, fn, arg, "reading a signal");
    release(S(b), q);
    return st;
}

static bw_status sq_signal_lookup(bw_ctx *ctx, bwi_backend *b, bw_signal_type type,
                                  const uint8_t *value, size_t value_size,
                                  bwi_stored_fn fn, void *arg)
{
    sqlite3 *db = S(b)->db;
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, S(b),
                           "SELECT " SIGNAL_COLUMNS " FROM " SIGNALS " WHERE type = ?1 "
                           "AND value = ?2 AND deleted = 0",
                           &q);
    if (st != BW_OK)
        return st;
    sqlite3_bind_int(q, 1, (int)type);
    sqlite3_bind_blob(q, 2, value, (int)value_size, SQLITE_STATIC);
    st = each_signal(ctx, db, q, fn, arg, "looking up a signal");
    release(S(b), q);
    return st;
}

static bw_status sq_quarantined(bw_ctx *ctx, bwi_backend *b, bwi_stored_fn fn,
                                void *arg)
{
    sqlite3 *db = S(b)->db;
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, S(b),
                           "SELECT " SIGNAL_COLUMNS " FROM " SIGNALS " WHERE quarantined = 1 "
                           "AND deleted = 0 ORDER BY id",
                           &q);
    if (st != BW_OK)
        return st;
    st = each_signal(ctx, db, q, fn, arg, "listing quarantined signals");
    release(S(b), q);
    return st;
}

static bw_status sq_changes(bw_ctx *ctx, bwi_backend *b, int64_t after_seq,
                            int64_t after_id, size_t limit, bwi_stored_fn fn, void *arg)
{
    sqlite3 *db = S(b)->db;
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, S(b),
                           "SELECT " SIGNAL_COLUMNS " FROM " SIGNALS " "
                           "WHERE seq >= ?1 AND (seq > ?1 OR id > ?2) "
                           "ORDER BY seq, id LIMIT ?3",
                           &q);
    if (st != BW_OK)
        return st;
    sqlite3_bind_int64(q, 1, after_seq);
    sqlite3_bind_int64(q, 2, after_id);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)limit);
    st = each_signal(ctx, db, q, fn, arg, "reading changes");
    release(S(b), q);
    return st;
}

static bw_status sq_sequence(bw_ctx *ctx, bwi_backend *b, int64_t *seq_out)
{
    sqlite3 *db = S(b)->db;
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, S(b),
                           "SELECT CAST(value AS INTEGER) FROM bw_meta WHERE key = 'seq'", &q);
    if (st != BW_OK)
        return st;
    if (sqlite3_step(q) == SQLITE_ROW)
        *seq_out = sqlite3_column_int64(q, 0);
    else
        st = db_error(ctx, db, "reading the sequence");
    release(S(b), q);
    return st;
}

static bw_status sq_scan(bw_ctx *ctx, bwi_backend *b, int type, int64_t bank_id,
                         bwi_stored_fn fn, void *arg, int64_t *seq_out)
{
    sqlite3 *db = S(b)->db;
    /* One read transaction: the rows and the sequence are one snapshot. */
    bw_status st = run_once(ctx, S(b), "BEGIN");
    if (st != BW_OK)
        return st;
    int64_t seq = 0;
    sqlite3_stmt *q = NULL;
    if ((st = sq_sequence(ctx, b, &seq)) == BW_OK &&
        (st = acquire(ctx, S(b),
                      bank_id ? "SELECT " SIGNAL_COLUMNS " FROM " SIGNALS " WHERE deleted = 0 "
                                "AND (?1 = 0 OR type = ?1) AND bank_id = ?2 "
                                "ORDER BY type, value"
                              : "SELECT " SIGNAL_COLUMNS " FROM " SIGNALS " WHERE deleted = 0 "
                                "AND (?1 = 0 OR type = ?1) AND ?2 = 0 ORDER BY id",
                      &q)) == BW_OK) {
        sqlite3_bind_int(q, 1, type);
        sqlite3_bind_int64(q, 2, bank_id);
        st = each_signal(ctx, db, q, fn, arg, "scanning signals");
    }
    release(S(b), q);
    run_once(NULL, S(b), "COMMIT");
    if (st == BW_OK && seq_out)
        *seq_out = seq;
    return st;
}

/* A big import keeps every index page it dirties in memory until the batch
 * commits (768 MiB holds the index of ten million PDQ hashes); otherwise
 * 64 MiB is plenty for lookups. */
static void sq_bulk(bwi_backend *b, bool on)
{
    exec(NULL, S(b)->db, on ? "PRAGMA cache_size = -786432" : "PRAGMA cache_size = -65536");
    if (!on)
        sqlite3_db_release_memory(S(b)->db);
}

static bw_status sq_bank_settings(bw_ctx *ctx, bwi_backend *b, int64_t bank_id,
                                  const char *settings, int64_t seq)
{
    sqlite3 *db = S(b)->db;
    sqlite3_stmt *q;
    bw_status st = acquire(ctx, S(b),
                           "UPDATE banks SET settings = ?2, seq = ?3 WHERE id = ?1 AND deleted = 0",
                           &q);
    if (st != BW_OK)
        return st;
    sqlite3_bind_int64(q, 1, bank_id);
    if (settings)
        sqlite3_bind_text(q, 2, settings, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, seq);
    if (sqlite3_step(q) != SQLITE_DONE)
        st = db_error(ctx, db, "storing bank settings");
    else if (sqlite3_changes(db) != 1)
        st = bwi_fail(ctx, BW_ERR_NOT_FOUND, "the bank no longer exists");
    release(S(b), q);
    return st;
}

static bw_status sq_sql(bw_ctx *ctx, bwi_backend *b, const char *sql,
                        const bwi_sql_value *params, int nparams, bwi_sql_row_fn fn, void *arg)
{
    sqlite3 *db = S(b)->db;
    sqlite3_stmt *q;
    bw_status st = acquire_sql(ctx, S(b), sql, true, &q);
    if (st != BW_OK)
        return st;
    for (int i = 0; i < nparams; i++) {
        const bwi_sql_value *v = &params[i];
        switch (v->kind) {
        case BWI_SQL_INT:
            sqlite3_bind_int64(q, i + 1, v->i);
            break;
        case BWI_SQL_TEXT:
            sqlite3_bind_text(q, i + 1, v->s, -1, SQLITE_STATIC);
            break;
        case BWI_SQL_BLOB:
            sqlite3_bind_blob(q, i + 1, v->b, (int)v->n, SQLITE_STATIC);
            break;
        case BWI_SQL_NULL:
            sqlite3_bind_null(q, i + 1);
            break;
        }
    }
    int rc;
    bwi_sql_value cols[32];
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const int n = sqlite3_column_count(q) < 32 ? sqlite3_column_count(q) : 32;
        for (int c = 0; c < n; c++) {
            switch (sqlite3_column_type(q, c)) {
            case SQLITE_INTEGER:
                cols[c] = BWI_INT(sqlite3_column_int64(q, c));
                break;
            case SQLITE_NULL:
                cols[c] = BWI_NULL;
                break;
            case SQLITE_BLOB:
                cols[c] = BWI_BLOB(sqlite3_column_blob(q, c), (size_t)sqlite3_column_bytes(q, c));
                break;
            default:
                cols[c] = (bwi_sql_value){BWI_SQL_TEXT, 0, (const char *)sqlite3_column_text(q, c),
                                          NULL, 0};
                break;
            }
        }
        if (fn && fn(arg, cols, n)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        st = sqlite3_errcode(db) == SQLITE_CONSTRAINT
                 ? bwi_fail(ctx, BW_ERR_EXISTS, "already exists")
                 : db_error(ctx, db, "query");
    release(S(b), q);
    return st;
}

static bw_status sq_script(bw_ctx *ctx, bwi_backend *b, const char *sql)
{
    return exec(ctx, S(b)->db, sql);
}

static bw_status sq_defer_checkpoints(bw_ctx *ctx, bwi_backend *b)
{
    sqlite_backend *s = S(b);
    const char *path = sqlite3_db_filename(s->db, "main");
    if (s->checkpointer || !path || !*path) /* a temporary database has no log */
        return BW_OK;
    int rc = sqlite3_open_v2(path, &s->checkpointer,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
    bw_status st = rc == SQLITE_OK ? BW_OK
                                   : bwi_fail(ctx, BW_ERR_STORAGE,
                                              "SQLite: cannot open %s to checkpoint it: %s",
                                              path, s->checkpointer
                                                        ? sqlite3_errmsg(s->checkpointer)
                                                        : "out of memory");
    /* A connection finds the log only when it first reads the file. */
    if (st == BW_OK)
        st = exec(ctx, s->checkpointer, "SELECT count(*) FROM bw_meta;");
    if (st == BW_OK)
        st = exec(ctx, s->db, "PRAGMA wal_autocheckpoint = 0;");
    if (st != BW_OK) {
        sqlite3_close_v2(s->checkpointer);
        s->checkpointer = NULL;
    }
    return st;
}

static bw_status sq_checkpoint(bw_ctx *ctx, bwi_backend *b)
{
    sqlite3 *db = S(b)->checkpointer;
    if (!db)
        return BW_OK;
    /* PASSIVE copies what no reader still needs and never waits for a
     * writer; what it leaves, the next call copies. */
    const int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return BW_OK;
    return db_error(ctx, db, "checkpoint");
}

static const bwi_backend_ops sqlite_ops = {
    "sqlite",        sq_close,        sq_begin,       sq_commit,
    sq_rollback,     sq_bank_insert,  sq_bank_list,   sq_bank_remove,
    sq_signals_put,  sq_signal_update, sq_quarantine_log, sq_signal_get,
    sq_signal_lookup, sq_quarantined, sq_changes,     sq_scan,
    sq_sequence,     sq_bulk,         sq_bank_settings, sq_sql,
    sq_script,       sq_defer_checkpoints, sq_checkpoint,
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS bw_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT OR IGNORE INTO bw_meta VALUES ('schema', '" SCHEMA_VERSION "'), ('seq', '0');"
    "CREATE TABLE IF NOT EXISTS banks (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " kind INTEGER NOT NULL, created_at INTEGER NOT NULL, deleted INTEGER NOT NULL"
    " DEFAULT 0, seq INTEGER NOT NULL, settings TEXT);"
    "CREATE UNIQUE INDEX IF NOT EXISTS banks_live_name ON banks(name) WHERE deleted = 0;"
    "CREATE TABLE IF NOT EXISTS signals (id INTEGER PRIMARY KEY, bank_id INTEGER NOT NULL,"
    " type INTEGER NOT NULL, value BLOB NOT NULL, source TEXT, added_at INTEGER NOT NULL,"
    " metadata TEXT, enabled INTEGER NOT NULL DEFAULT 1, quarantined INTEGER NOT NULL"
    " DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS signals_value ON signals(type, value, bank_id);"
    "CREATE INDEX IF NOT EXISTS signals_seq ON signals(seq);"
    "CREATE TABLE IF NOT EXISTS bank_stats (bank_id INTEGER NOT NULL, type INTEGER NOT NULL,"
    " live INTEGER NOT NULL, PRIMARY KEY (bank_id, type));"
    "CREATE TABLE IF NOT EXISTS quarantine_log (id INTEGER PRIMARY KEY, signal_id INTEGER"
    " NOT NULL, at INTEGER NOT NULL, action TEXT NOT NULL, reason TEXT);"
    "CREATE TABLE IF NOT EXISTS signal_bodies (signal_id INTEGER PRIMARY KEY,"
    " body BLOB NOT NULL);";

/* A database with tables but no bw_meta belongs to something else. */
static bw_status check_ownership(bw_ctx *ctx, sqlite3 *db, const char *path)
{
    sqlite3_stmt *q;
    bw_status st = prepare(ctx, db,
                           "SELECT (SELECT COUNT(*) FROM sqlite_master),"
                           " (SELECT COUNT(*) FROM sqlite_master WHERE name = 'bw_meta')",
                           &q);
    if (st != BW_OK)
        return st;
    if (sqlite3_step(q) != SQLITE_ROW) {
        st = db_error(ctx, db, path);
    } else if (sqlite3_column_int(q, 0) > 0 && sqlite3_column_int(q, 1) == 0) {
        st = bwi_fail(ctx, BW_ERR_STORAGE,
                      "%s is a SQLite database of some other program, not a Bulwark bank store",
                      path);
    }
    sqlite3_finalize(q);
    if (st != BW_OK)
        return st;
    if (prepare(NULL, db, "SELECT value FROM bw_meta WHERE key = 'schema'", &q) != BW_OK)
        return BW_OK; /* no bw_meta yet: a new file */
    if (sqlite3_step(q) == SQLITE_ROW &&
        strcmp((const char *)sqlite3_column_text(q, 0), SCHEMA_VERSION) != 0)
        st = bwi_fail(ctx, BW_ERR_STORAGE,
                      "%s has schema version %s; this Bulwark understands %s", path,
                      (const char *)sqlite3_column_text(q, 0), SCHEMA_VERSION);
    sqlite3_finalize(q);
    return st;
}

bw_status bwi_sqlite_open(bw_ctx *ctx, const char *path, bool create, bwi_backend **out)
{
    sqlite_backend *s = calloc(1, sizeof *s);
    if (!s)
        return bwi_fail(ctx, BW_ERR_NOMEM, "cannot allocate the store");
    s->base.ops = &sqlite_ops;
    const int rc = sqlite3_open_v2(
        path, &s->db,
        SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        bw_status st =
            !create && rc == SQLITE_CANTOPEN && access(path, F_OK) != 0
                ? bwi_fail(ctx, BW_ERR_NOT_FOUND, "no bank store at %s", path)
                : bwi_fail(ctx, BW_ERR_STORAGE, "SQLite: cannot open %s: %s", path,
                           s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close_v2(s->db);
        free(s);
        return st;
    }
    sqlite3_busy_timeout(s->db, 30000);
    bw_status st = check_ownership(ctx, s->db, path);
    /* WAL survives a killed process with every committed transaction;
     * NORMAL sync only risks the last commits on power loss. */
    if (st == BW_OK)
        st = exec(ctx, s->db,
                  "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                  "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;"
                  "PRAGMA wal_autocheckpoint = 16384;");
    if (st == BW_OK)
        st = exec(ctx, s->db, schema);
    if (st != BW_OK) {
        sq_close(&s->base);
        return st;
    }
    *out = &s->base;
    return BW_OK;
}

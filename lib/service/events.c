/*
 * Match events: the record of each upload that matched, which doubles as
 * the review queue. The event, its audit entry and its webhook delivery are
 * written in one transaction so a crash never leaves a match unaudited or
 * unannounced.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "service_internal.h"

static const char *const status_names[] = {NULL,        "pending",        "confirmed",
                                           "false_positive", "escalated", "not_needed"};

BW_API const char *bw_review_status_name(bw_review_status status)
{
    if (status >= BW_REVIEW_PENDING && status <= BW_REVIEW_NOT_NEEDED)
        return status_names[status];
    return "unknown";
}

BW_API bw_status bw_review_status_parse(bw_review_status *out, const char *name)
{
    if (!out || !name)
        return BW_ERR_INVALID_ARGUMENT;
    for (int s = BW_REVIEW_PENDING; s <= BW_REVIEW_NOT_NEEDED; s++)
        if (!strcmp(name, status_names[s])) {
            *out = (bw_review_status)s;
            return BW_OK;
        }
    return BW_ERR_PARSE;
}

/* The matches as the JSON array stored with the event and sent to webhooks. */
static json_t *matches_json(const bw_matches *m)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < bw_matches_count(m); i++) {
        const bw_match_info *x = bw_matches_get(m, i);
        json_t *meta = x->metadata ? json_loads(x->metadata, 0, NULL) : NULL;
        json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:o, s:b, s:b}", "signal_id",
                              (json_int_t)x->signal_id, "bank", x->bank ? x->bank : "",
                              "bank_kind", bw_bank_kind_name(x->bank_kind), "signal_type",
                              bw_signal_type_name(x->type), "value", x->value ? x->value : "",
                              "distance", x->distance, "metadata", meta ? meta : json_object(),
                              "quarantined", x->quarantined, "suppressed", x->suppressed);
        if (o && x->type == BW_SIGNAL_VPDQ) {
            json_object_set_new(o, "query_percent", json_real(x->query_percent));
            json_object_set_new(o, "compared_percent", json_real(x->compared_percent));
        }
        json_array_append_new(a, o);
    }
    return a;
}

typedef struct event_new {
    int64_t key_id;
    const char *query, *context, *media, *webhook_url;
    const char *top_bank;
    int best, actionable, quarantined;
    char *matches;
    int64_t id;
} event_new;

/* What the webhook receives: enough to act, nothing the platform did not send. */
static char *webhook_body(const event_new *e, int64_t at)
{
    json_t *body = json_pack("{s:s, s:I, s:I, s:o, s:o, s:o*, s:b, s:b}", "event", "match",
                             "id", (json_int_t)e->id, "at", (json_int_t)at, "hashes",
                             json_loads(e->query, 0, NULL), "matches",
                             json_loads(e->matches, 0, NULL), "context",
                             e->context ? json_loads(e->context, 0, NULL) : NULL, "actionable",
                             e->actionable, "quarantined", e->quarantined);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return text;
}

static bw_status insert_event(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    (void)seq;
    event_new *e = arg;
    const int64_t at = bwi_now();
    const bw_review_status status = e->actionable || e->quarantined ? BW_REVIEW_PENDING
                                                                    : BW_REVIEW_NOT_NEEDED;
    const bwi_sql_value p[] = {BWI_INT(at),          BWI_INT(e->key_id),     BWI_TEXT(e->query),
                               BWI_TEXT(e->matches), BWI_TEXT(e->context),   BWI_TEXT(e->top_bank),
                               BWI_INT(e->best),     BWI_INT(e->actionable), BWI_INT(e->quarantined),
                               BWI_INT(status),      BWI_TEXT(e->media)};
    bw_status st = bwi_sql(ctx, s,
                           "INSERT INTO match_events(at, key_id, query, matches, context, top_bank,"
                           " best_distance, actionable, quarantined, status, media) VALUES ($1,"
                           " $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                           p, 11, bwi_sql_take_int, &e->id);
    if (st != BW_OK)
        return st;
    char subject[32], details[160];
    snprintf(subject, sizeof subject, "event:%lld", (long long)e->id);
    snprintf(details, sizeof details,
             "{\"bank\":\"%s\",\"distance\":%d,\"actionable\":%s,\"quarantined\":%s}",
             e->top_bank ? e->top_bank : "", e->best, e->actionable ? "true" : "false",
             e->quarantined ? "true" : "false");
    st = bwi_audit_append_locked(ctx, s, e->key_id, "match", subject, details);
    if (st != BW_OK || !e->webhook_url || status != BW_REVIEW_PENDING)
        return st;
    char *body = webhook_body(e, at);
    if (!body)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    const bwi_sql_value d[] = {BWI_INT(e->id), BWI_TEXT(e->webhook_url), BWI_TEXT(body),
                               BWI_INT(at)};
    st = bwi_sql(ctx, s,
                 "INSERT INTO webhook_deliveries(event_id, url, body, next_attempt_at, state)"
                 " VALUES ($1, $2, $3, $4, 'pending')",
                 d, 4, NULL, NULL);
    free(body);
    return st;
}

BW_API bw_status bw_event_record(bw_ctx *ctx, bw_store *store, int64_t key_id,
                                 const char *query_json, const bw_matches *matches,
                                 const char *context_json, const char *media,
                                 const char *webhook_url, int64_t *id_out)
{
    if (!ctx || !store || !query_json || !matches || bw_matches_count(matches) == 0)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    event_new e = {key_id, query_json, context_json, media, webhook_url, NULL, 257, 0, 0,
                   NULL, 0};
    int blocking = 0, quarantined_only = 1;
    for (size_t i = 0; i < bw_matches_count(matches); i++) {
        const bw_match_info *x = bw_matches_get(matches, i);
        if (x->bank_kind != BW_BANK_BLOCK || x->suppressed)
            continue;
        blocking = 1;
        if (!x->quarantined)
            quarantined_only = 0;
        if (x->distance < e.best) {
            e.best = x->distance;
            e.top_bank = x->bank;
        }
    }
    if (!e.top_bank) /* only allow-list matches: record the closest of those */
        e.top_bank = bw_matches_get(matches, 0)->bank, e.best = bw_matches_get(matches, 0)->distance;
    e.actionable = bw_matches_actionable(matches);
    e.quarantined = !e.actionable && blocking && quarantined_only;
    json_t *mj = matches_json(matches);
    e.matches = mj ? json_dumps(mj, JSON_COMPACT) : NULL;
    json_decref(mj);
    if (!e.matches)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    bwi_store_lock(store);
    bw_status st = bwi_write(ctx, store, insert_event, &e);
    bwi_store_unlock(store);
    free(e.matches);
    if (st == BW_OK && id_out)
        *id_out = e.id;
    return st;
}

typedef struct event_relay {
    bw_event_fn fn;
    void *arg;
    int rows;
} event_relay;

#define EVENT_COLUMNS                                                                     \
    "id, at, key_id, query, matches, context, top_bank, best_distance, actionable,"       \
    " quarantined, status, reviewed_at, reviewer_key, note, media"

static int relay_event(void *arg, const bwi_sql_value *c, int n)
{
    event_relay *r = arg;
    if (n < 15)
        return 1;
    const bw_event_info e = {c[0].i,
                             c[1].i,
                             c[2].i,
                             bwi_col_text(&c[3]),
                             bwi_col_text(&c[4]),
                             bwi_col_text(&c[5]),
                             bwi_col_text(&c[6]),
                             (int)c[7].i,
                             (int)c[8].i,
                             (int)c[9].i,
                             (bw_review_status)c[10].i,
                             c[11].i,
                             c[12].i,
                             bwi_col_text(&c[13]),
                             bwi_col_text(&c[14])};
    r->rows++;
    return r->fn(r->arg, &e);
}

static bw_status read_events(bw_ctx *ctx, bw_store *store, const char *sql,
                             const bwi_sql_value *p, int np, bw_event_fn fn, void *arg,
                             int *rows)
{
    event_relay r = {fn, arg, 0};
    bwi_store_lock(store);
    bw_status st = bwi_sql(ctx, store, sql, p, np, relay_event, &r);
    bwi_store_unlock(store);
    if (rows)
        *rows = r.rows;
    return st;
}

BW_API bw_status bw_event_list(bw_ctx *ctx, bw_store *store, bw_review_status status,
                               int64_t before, size_t limit, bw_event_fn fn, void *arg)
{
    if (!ctx || !store || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    const bwi_sql_value p[] = {BWI_INT(status), BWI_INT(before > 0 ? before : INT64_MAX),
                               BWI_INT((int64_t)(limit ? limit : 100))};
    return read_events(ctx, store,
                       "SELECT " EVENT_COLUMNS " FROM match_events WHERE ($1 = 0 OR status = $1)"
                       " AND id < $2 ORDER BY id DESC LIMIT $3",
                       p, 3, fn, arg, NULL);
}

BW_API bw_status bw_event_queue(bw_ctx *ctx, bw_store *store, size_t limit, bw_event_fn fn,
                                void *arg)
{
    if (!ctx || !store || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    /* Actionable before quarantined-only, then the oldest: a person should
     * see first what has waited longest for a decision that blocks. */
    const bwi_sql_value p[] = {BWI_INT(BW_REVIEW_PENDING), BWI_INT(BW_REVIEW_ESCALATED),
                               BWI_INT((int64_t)(limit ? limit : 100))};
    return read_events(ctx, store,
                       "SELECT " EVENT_COLUMNS " FROM match_events WHERE status IN ($1, $2)"
                       " ORDER BY actionable DESC, id ASC LIMIT $3",
                       p, 3, fn, arg, NULL);
}

BW_API bw_status bw_event_get(bw_ctx *ctx, bw_store *store, int64_t id, bw_event_fn fn,
                              void *arg)
{
    if (!ctx || !store || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    int rows = 0;
    const bwi_sql_value p[] = {BWI_INT(id)};
    bw_status st = read_events(ctx, store,
                               "SELECT " EVENT_COLUMNS " FROM match_events WHERE id = $1", p, 1,
                               fn, arg, &rows);
    if (st == BW_OK && rows == 0)
        st = bwi_fail(ctx, BW_ERR_NOT_FOUND, "no match event %lld", (long long)id);
    return st;
}

/* ---- reviews -------------------------------------------------------------- */

typedef struct review {
    int64_t id, reviewer;
    bw_review_status decision;
    const char *note, *allow_bank;
    int status;   /* current status read inside the transaction */
    char *query;  /* the event's hashes, for a false positive */
    int64_t bank_id;
    int64_t bank_kind;
    int allowed;  /* hashes added to the allow list */
} review;

static int take_event(void *arg, const bwi_sql_value *c, int n)
{
    review *r = arg;
    if (n >= 2) {
        r->status = (int)c[0].i;
        r->query = c[1].kind == BWI_SQL_TEXT ? strdup(c[1].s) : NULL;
    }
    return 1;
}

static int take_bank(void *arg, const bwi_sql_value *c, int n)
{
    review *r = arg;
    if (n >= 2) {
        r->bank_id = c[0].i;
        r->bank_kind = c[1].i;
    }
    return 1;
}

/* Puts one of the upload's hashes into the allow bank (inside the review's
 * transaction, so the decision and its effect land together). */
static bw_status allow_hash(bw_ctx *ctx, bw_store *s, review *r, int64_t seq,
                            bw_signal_type type, const char *value)
{
    uint8_t raw[BW_SIGNAL_VALUE_MAX];
    size_t raw_size, body_size;
    uint8_t *body;
    bw_status st = bwi_value_encode(ctx, type, value, strlen(value), raw, &raw_size, &body,
                                    &body_size);
    if (st != BW_OK)
        return st;
    char meta[64];
    snprintf(meta, sizeof meta, "{\"false_positive_of\":%lld}", (long long)r->id);
    const bwi_row row = {type, raw, raw_size, "review", bwi_now(), meta, 1, body, body_size};
    int outcome = BWI_ADDED;
    int64_t signal_id = 0;
    st = s->b->ops->signals_put(ctx, s->b, r->bank_id, &row, 1, seq, &outcome, &signal_id);
    free(body);
    if (st == BW_OK && outcome == BWI_ADDED)
        r->allowed++;
    return st;
}

static bw_status allow_list(bw_ctx *ctx, bw_store *s, review *r, int64_t seq)
{
    const bwi_sql_value p[] = {BWI_TEXT(r->allow_bank)};
    bw_status st = bwi_sql(ctx, s, "SELECT id, kind FROM banks WHERE name = $1 AND deleted = 0",
                           p, 1, take_bank, r);
    if (st != BW_OK)
        return st;
    if (!r->bank_id)
        st = s->b->ops->bank_insert(ctx, s->b, r->allow_bank, BW_BANK_ALLOW, bwi_now(), seq,
                                    &r->bank_id);
    else if (r->bank_kind != BW_BANK_ALLOW)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "bank '%s' is a block bank, not an allow list", r->allow_bank);
    if (st != BW_OK)
        return st;
    json_t *q = r->query ? json_loads(r->query, 0, NULL) : NULL;
    static const struct {
        const char *key;
        bw_signal_type type;
    } kinds[] = {{"md5", BW_SIGNAL_MD5}, {"sha1", BW_SIGNAL_SHA1}, {"sha256", BW_SIGNAL_SHA256}};
    const char *pdq = json_string_value(json_object_get(json_object_get(q, "pdq"), "hash"));
    const char *vpdq = json_string_value(json_object_get(json_object_get(q, "vpdq"), "value"));
    if (pdq)
        st = allow_hash(ctx, s, r, seq, BW_SIGNAL_PDQ, pdq);
    if (vpdq && st == BW_OK)
        st = allow_hash(ctx, s, r, seq, BW_SIGNAL_VPDQ, vpdq);
    for (size_t i = 0; st == BW_OK && i < sizeof kinds / sizeof kinds[0]; i++) {
        const char *v = json_string_value(json_object_get(q, kinds[i].key));
        if (v)
            st = allow_hash(ctx, s, r, seq, kinds[i].type, v);
    }
    json_decref(q);
    return st;
}

static bw_status apply_review(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    review *r = arg;
    const bwi_sql_value p[] = {BWI_INT(r->id)};
    bw_status st = bwi_sql(ctx, s, "SELECT status, query FROM match_events WHERE id = $1", p, 1,
                           take_event, r);
    if (st != BW_OK)
        return st;
    if (!r->status)
        return bwi_fail(ctx, BW_ERR_NOT_FOUND, "no match event %lld", (long long)r->id);
    if (r->status != BW_REVIEW_PENDING && r->status != BW_REVIEW_ESCALATED)
        return bwi_fail(ctx, BW_ERR_EXISTS, "match event %lld is already %s",
                        (long long)r->id, bw_review_status_name((bw_review_status)r->status));
    if (r->decision == BW_REVIEW_ESCALATED && r->status == BW_REVIEW_ESCALATED)
        return bwi_fail(ctx, BW_ERR_EXISTS, "match event %lld is already escalated",
                        (long long)r->id);
    const bwi_sql_value u[] = {BWI_INT(r->decision), BWI_INT(bwi_now()), BWI_INT(r->reviewer),
                               BWI_TEXT(r->note), BWI_INT(r->id)};
    st = bwi_sql(ctx, s,
                 "UPDATE match_events SET status = $1, reviewed_at = $2, reviewer_key = $3,"
                 " note = $4 WHERE id = $5",
                 u, 5, NULL, NULL);
    if (st == BW_OK && r->decision == BW_REVIEW_FALSE_POSITIVE)
        st = allow_list(ctx, s, r, seq);
    if (st != BW_OK)
        return st;
    char action[48], subject[32];
    snprintf(action, sizeof action, "review.%s", bw_review_status_name(r->decision));
    snprintf(subject, sizeof subject, "event:%lld", (long long)r->id);
    json_t *d = json_pack("{s:s*, s:s*, s:i}", "note", r->note, "allow_bank",
                          r->decision == BW_REVIEW_FALSE_POSITIVE ? r->allow_bank : NULL,
                          "allowed", r->allowed);
    char *details = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    st = bwi_audit_append_locked(ctx, s, r->reviewer, action, subject, details);
    free(details);
    return st;
}

BW_API bw_status bw_event_review(bw_ctx *ctx, bw_store *store, int64_t id,
                                 int64_t reviewer_key, bw_review_status decision,
                                 const char *note, const char *allow_bank)
{
    if (!ctx || !store)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    if (decision != BW_REVIEW_CONFIRMED && decision != BW_REVIEW_FALSE_POSITIVE &&
        decision != BW_REVIEW_ESCALATED)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "a review decides confirmed, false_positive or escalated");
    if (decision == BW_REVIEW_FALSE_POSITIVE && !bwi_valid_bank_name(allow_bank))
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "a false positive needs a valid allow-list bank name to add the"
                        " upload to");
    review r = {id, reviewer_key, decision, note, allow_bank, 0, NULL, 0, 0, 0};
    bwi_store_lock(store);
    bw_status st = bwi_write(ctx, store, apply_review, &r);
    bwi_store_unlock(store);
    free(r.query);
    return st;
}

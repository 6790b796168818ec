/*
 * Matches and reviews, the audit log, quarantined signals and webhook
 * deliveries: what reviewers and administrators read and decide.
 */
#include <stdlib.h>
#include <string.h>

#include "bulwarkd.h"

static json_t *parsed(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    return j ? j : json_null();
}

static int event_to_json(void *arg, const bw_event_info *e)
{
    json_t *j = json_pack(
        "{s:I, s:I, s:I, s:o, s:o, s:o, s:s*, s:i, s:b, s:b, s:s, s:I, s:I, s:s*}", "id",
        (json_int_t)e->id, "at", (json_int_t)e->at, "key_id", (json_int_t)e->key_id, "hashes",
        parsed(e->query), "matches", parsed(e->matches), "context", parsed(e->context),
        "top_bank", e->top_bank, "best_distance", e->best_distance, "actionable", e->actionable,
        "quarantined", e->quarantined, "status", bw_review_status_name(e->status),
        "reviewed_at", (json_int_t)e->reviewed_at, "reviewer_key", (json_int_t)e->reviewer_key,
        "note", e->note);
    if (json_is_array((json_t *)arg))
        json_array_append_new(arg, j);
    else
        json_object_update(arg, j), json_decref(j);
    return 0;
}

void bwd_api_events_list(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    long long before = 0, limit = 50;
    bw_review_status status = 0;
    const char *s = bwd_arg(r, "status");
    if (s && bw_review_status_parse(&status, s) != BW_OK) {
        bwd_error(r, 400, "invalid_argument", "status must be pending, confirmed,"
                  " false_positive, escalated or not_needed");
        return;
    }
    if (!bwd_arg_int(r, "before", 0, INT64_MAX, &before) ||
        !bwd_arg_int(r, "limit", 1, 1000, &limit))
        return;
    json_t *list = json_array();
    const bw_status st = bw_event_list(t->ctx, r->srv->store, status, before, (size_t)limit,
                                       event_to_json, list);
    if (st != BW_OK) {
        json_decref(list);
        bwd_fail(r, st, t->ctx);
        return;
    }
    json_t *j = json_pack("{s:o}", "matches", list);
    const size_t n = json_array_size(list);
    if (n == (size_t)limit)
        json_object_set(j, "next_before", json_object_get(json_array_get(list, n - 1), "id"));
    bwd_reply(r, 200, j);
}

void bwd_api_events_queue(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    long long limit = 50;
    if (!bwd_arg_int(r, "limit", 1, 1000, &limit))
        return;
    json_t *list = json_array();
    const bw_status st =
        bw_event_queue(t->ctx, r->srv->store, (size_t)limit, event_to_json, list);
    if (st != BW_OK) {
        json_decref(list);
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_reply(r, 200, json_pack("{s:o}", "matches", list));
}

static void reply_event(bwd_request *r, bwd_thread *t, int64_t id)
{
    json_t *j = json_object();
    const bw_status st = bw_event_get(t->ctx, r->srv->store, id, event_to_json, j);
    if (st != BW_OK) {
        json_decref(j);
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_reply(r, 200, j);
}

void bwd_api_event_get(bwd_request *r)
{
    int64_t id;
    if (bwd_path_id(r, r->params[0], "match", &id))
        reply_event(r, bwd_thread_get(), id);
}

void bwd_api_event_review(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    int64_t id;
    if (!bwd_path_id(r, r->params[0], "match", &id))
        return;
    json_t *body = bwd_body_json(r);
    if (!body)
        return;
    const char *decision = json_string_value(json_object_get(body, "decision"));
    const json_t *note = json_object_get(body, "note");
    bw_review_status d;
    if (!decision || bw_review_status_parse(&d, decision) != BW_OK ||
        (d != BW_REVIEW_CONFIRMED && d != BW_REVIEW_FALSE_POSITIVE &&
         d != BW_REVIEW_ESCALATED)) {
        bwd_error(r, 422, "parse", "'decision' must be confirmed, false_positive or escalated");
    } else if (note && !json_is_string(note)) {
        bwd_error(r, 422, "parse", "'note' must be a string");
    } else if (note && strlen(json_string_value(note)) > 4096) {
        bwd_error(r, 413, "too_large", "'note' is limited to 4096 bytes");
    } else {
        const bw_status st = bw_event_review(t->ctx, r->srv->store, id, r->key_id, d,
                                             json_string_value(note), r->srv->cfg.allow_bank);
        if (st != BW_OK) {
            bwd_fail(r, st, t->ctx);
        } else {
            if (d == BW_REVIEW_FALSE_POSITIVE) /* the allow list works here at once */
                bw_matcher_refresh(t->ctx, r->srv->matcher, NULL);
            reply_event(r, t, id);
        }
    }
    json_decref(body);
}

/* ---- keys ------------------------------------------------------------------------ */

static int key_to_json(void *arg, const bw_key_info *k)
{
    json_array_append_new(
        arg, json_pack("{s:I, s:s*, s:s, s:s, s:i, s:I, s:b, s:I}", "id", (json_int_t)k->id,
                       "name", k->name, "role", bw_role_name(k->role), "prefix", k->prefix,
                       "rate_per_minute", (int)k->rate_per_minute, "created_at",
                       (json_int_t)k->created_at, "revoked", k->revoked_at != 0, "revoked_at",
                       (json_int_t)k->revoked_at));
    return 0;
}

void bwd_api_keys_list(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    json_t *list = json_array();
    const bw_status st = bw_key_list(t->ctx, r->srv->store, key_to_json, list);
    if (st != BW_OK) {
        json_decref(list);
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_reply(r, 200, json_pack("{s:o}", "keys", list));
}

void bwd_api_key_create(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    json_t *body = bwd_body_json(r);
    if (!body)
        return;
    const char *role_name = json_string_value(json_object_get(body, "role"));
    const json_t *name = json_object_get(body, "name");
    const json_t *rate = json_object_get(body, "rate_per_minute");
    bw_role role;
    if (!role_name || bw_role_parse(&role, role_name) != BW_OK) {
        bwd_error(r, 422, "parse", "'role' must be client, reviewer or admin");
    } else if ((name && !json_is_string(name)) ||
               (rate && (!json_is_integer(rate) || json_integer_value(rate) < 0 ||
                         json_integer_value(rate) > 100000000))) {
        bwd_error(r, 422, "parse", "'name' is a string and 'rate_per_minute' a non-negative"
                  " integer");
    } else {
        char key[BW_KEY_CHARS + 1];
        int64_t id = 0;
        const bw_status st = bw_key_create(t->ctx, r->srv->store, role, json_string_value(name),
                                           rate ? (uint32_t)json_integer_value(rate) : 0, key,
                                           sizeof key, &id);
        if (st != BW_OK) {
            bwd_fail(r, st, t->ctx);
        } else {
            snprintf(r->location, sizeof r->location, "/v1/keys/%lld", (long long)id);
            bwd_reply(r, 201, json_pack("{s:I, s:s, s:s, s:s*}", "id", (json_int_t)id, "key",
                                        key, "role", bw_role_name(role), "name",
                                        json_string_value(name)));
        }
    }
    json_decref(body);
}

void bwd_api_key_revoke(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    int64_t id;
    if (!bwd_path_id(r, r->params[0], "key", &id))
        return;
    const bw_status st = bw_key_revoke(t->ctx, r->srv->store, id);
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_keys_forget(r->srv->keys, id);
    bwd_reply(r, 204, NULL);
}

/* ---- audit -------------------------------------------------------------------- */

static int audit_to_json(void *arg, const bw_audit_info *e)
{
    json_array_append_new(
        arg, json_pack("{s:I, s:I, s:I, s:s, s:s*, s:o, s:s, s:s}", "id", (json_int_t)e->id,
                       "at", (json_int_t)e->at, "actor", (json_int_t)e->actor, "action",
                       e->action, "subject", e->subject, "details", parsed(e->details),
                       "prev_hash", e->prev_hash, "hash", e->hash));
    return 0;
}

void bwd_api_audit_list(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    long long after = 0, limit = 100;
    if (!bwd_arg_int(r, "after", 0, INT64_MAX, &after) ||
        !bwd_arg_int(r, "limit", 1, 10000, &limit))
        return;
    json_t *list = json_array();
    const bw_status st =
        bw_audit_list(t->ctx, r->srv->store, after, (size_t)limit, audit_to_json, list);
    if (st != BW_OK) {
        json_decref(list);
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_reply(r, 200, json_pack("{s:o}", "entries", list));
}

void bwd_api_audit_verify(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    uint64_t entries = 0;
    int64_t bad = 0;
    const bw_status st = bw_audit_verify(t->ctx, r->srv->store, &entries, &bad);
    if (st == BW_ERR_VERIFY)
        bwd_reply(r, 200, json_pack("{s:b, s:I, s:I, s:s}", "ok", 0, "entries",
                                    (json_int_t)entries, "bad_entry", (json_int_t)bad, "reason",
                                    bw_ctx_message(t->ctx)));
    else if (st != BW_OK)
        bwd_fail(r, st, t->ctx);
    else
        bwd_reply(r, 200, json_pack("{s:b, s:I}", "ok", 1, "entries", (json_int_t)entries));
}

/* ---- quarantine and deliveries -------------------------------------------------- */

static int quarantined_to_json(void *arg, const bw_signal_info *s)
{
    json_array_append_new(arg, json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)s->id,
                                         "bank", s->bank, "type", bw_signal_type_name(s->type),
                                         "value", s->value));
    return 0;
}

void bwd_api_quarantine_list(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    json_t *list = json_array();
    const bw_status st =
        bw_signal_list_quarantined(t->ctx, r->srv->store, quarantined_to_json, list);
    if (st != BW_OK) {
        json_decref(list);
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_reply(r, 200, json_pack("{s:o}", "signals", list));
}

void bwd_api_quarantine_release(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    int64_t id;
    if (!bwd_path_id(r, r->params[0], "signal", &id))
        return;
    const bw_status st =
        bw_signal_set_quarantined(t->ctx, r->srv->store, id, 0, "released through the API");
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return;
    }
    bw_matcher_refresh(t->ctx, r->srv->matcher, NULL);
    bwd_reply(r, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "quarantined", 0));
}

static int delivery_to_json(void *arg, const bw_delivery_info *d)
{
    json_array_append_new(
        arg, json_pack("{s:I, s:I, s:s, s:i, s:I, s:s, s:s*}", "id", (json_int_t)d->id,
                       "event_id", (json_int_t)d->event_id, "url", d->url, "attempts",
                       d->attempts, "next_attempt_at", (json_int_t)d->next_attempt_at, "state",
                       d->state, "last_error", d->last_error));
    return 0;
}

void bwd_api_deliveries_list(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    const char *state = bwd_arg(r, "state");
    long long limit = 100;
    if (!state)
        state = "dead";
    if (strcmp(state, "pending") && strcmp(state, "delivered") && strcmp(state, "dead")) {
        bwd_error(r, 400, "invalid_argument", "state must be pending, delivered or dead");
        return;
    }
    if (!bwd_arg_int(r, "limit", 1, 1000, &limit))
        return;
    json_t *list = json_array();
    const bw_status st = bw_delivery_list(t->ctx, r->srv->store, state, (size_t)limit,
                                          delivery_to_json, list);
    if (st != BW_OK) {
        json_decref(list);
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_reply(r, 200, json_pack("{s:o}", "deliveries", list));
}

/* ---- the service itself ----------------------------------------------------------- */

void bwd_api_health(bwd_request *r)
{
    bwd_reply(r, 200, json_pack("{s:s}", "status", "ok"));
}

void bwd_api_ready(bwd_request *r)
{
    bwd_server *srv = r->srv;
    const double age = bwd_now() - (double)atomic_load(&srv->last_refresh) / 1000.0;
    /* Ready when the index is loaded and has caught up with the store
     * recently: a node cut off from PostgreSQL stops taking traffic. */
    const double stale = 5.0 + 4.0 * srv->cfg.refresh_ms / 1000.0;
    if (!atomic_load(&srv->ready) || atomic_load(&srv->stopping) || age > stale) {
        bwd_error(r, 503, "unavailable", atomic_load(&srv->stopping)
                                             ? "shutting down"
                                             : "the index has not caught up with the store for"
                                               " %.1f s", age);
        return;
    }
    bwd_reply(r, 200, json_pack("{s:s, s:I, s:I, s:f}", "status", "ready", "index_signals",
                                (json_int_t)bw_matcher_pdq_count(srv->matcher), "sequence",
                                (json_int_t)bw_matcher_sequence(srv->matcher), "refresh_age",
                                age));
}

void bwd_api_metrics(bwd_request *r)
{
    size_t n = 0;
    char *text = bwd_metrics_render(r->srv, &n);
    if (!text) {
        bwd_error(r, 503, "unavailable", "out of memory");
        return;
    }
    r->out = text;
    r->out_size = n;
    r->out_type = "text/plain; version=0.0.4; charset=utf-8";
    r->status = 200;
}

void bwd_api_config(bwd_request *r)
{
    bwd_reply(r, 200, json_pack("{s:o, s:s}", "config", bwd_config_json(&r->srv->cfg),
                                "version", bw_version_string()));
}

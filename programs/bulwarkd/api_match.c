/*
 * Hashing and matching: POST /v1/hash, /v1/match and /v1/match/hashes.
 * An upload that matches nothing leaves no trace: its bytes and hashes live
 * only in this request's memory, and the log line names neither.
 */
#include <stdlib.h>
#include <string.h>

#include "bulwarkd.h"

/* Largest PDQ threshold a request may ask for: beyond it, "near" stops
 * meaning anything and one query could return a whole bank. */
#define MAX_THRESHOLD 64

static json_t *hex_json(const bw_hashes *h, bw_digest_alg alg, size_t n)
{
    uint8_t d[32];
    char hex[65];
    if (bw_hashes_digest(h, alg, d, n) != BW_OK)
        return NULL;
    bw_hex_encode(hex, d, n);
    return json_string(hex);
}

/* The upload's hashes, in the shape clients and match events share. */
static json_t *hashes_json(const bw_hashes *h, bool dihedral)
{
    json_t *j = json_object();
    uint8_t pdq[BW_PDQ_BYTES];
    int quality = 0;
    char hex[BW_PDQ_HEX_CHARS + 1];
    if (bw_hashes_pdq(h, pdq, &quality) == BW_OK) {
        bw_pdq_to_hex(hex, pdq);
        json_object_set_new(j, "pdq", json_pack("{s:s, s:i}", "hash", hex, "quality", quality));
    }
    json_object_set_new(j, "md5", hex_json(h, BW_DIGEST_MD5, 16));
    json_object_set_new(j, "sha1", hex_json(h, BW_DIGEST_SHA1, 20));
    json_object_set_new(j, "sha256", hex_json(h, BW_DIGEST_SHA256, 32));
    if (dihedral) {
        json_t *d = json_object();
        for (int w = BW_DIHEDRAL_ORIGINAL; w <= BW_DIHEDRAL_FLIP_MINUS1; w++)
            if (bw_hashes_pdq_dihedral(h, (bw_dihedral)w, pdq) == BW_OK) {
                bw_pdq_to_hex(hex, pdq);
                json_object_set_new(d, bw_dihedral_name((bw_dihedral)w), json_string(hex));
            }
        json_object_set_new(j, "pdq_dihedral", d);
    }
    return j;
}

static json_t *media_json(const bw_hashes *h)
{
    return json_pack("{s:s, s:i, s:i}", "format", bw_format_name(bw_hashes_format(h)), "width",
                     (int)bw_hashes_width(h), "height", (int)bw_hashes_height(h));
}

/* Hashes the body, and computes the PDQ set set_flags asks for when set is
 * not NULL; false after answering. */
static bool hash_body(bwd_request *r, bwd_thread *t, unsigned flags, bw_pdq_set *set,
                      unsigned set_flags)
{
    if (!r->size) {
        bwd_error(r, 400, "bad_request", "the body is empty: send the media to hash");
        return false;
    }
    const bw_status st =
        set ? bw_hash_bytes_set(t->ctx, t->hashes, flags, set, set_flags, r->body, r->size)
            : bw_hash_bytes(t->ctx, t->hashes, flags, r->body, r->size);
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return false;
    }
    return true;
}

static bool want_dihedral(bwd_request *r)
{
    const char *d = bwd_arg(r, "dihedral");
    return d ? (!strcmp(d, "1") || !strcmp(d, "true")) : r->srv->cfg.dihedral;
}

/* ?mode=plain|dihedral|standard|robust, as `bulwark match --mode`
 * (docs/quality.md); without it ?dihedral=0|1 (the older switch), else the
 * match_mode option (checked when the configuration was read). false after
 * answering 400. */
static bool mode_arg(bwd_request *r, unsigned *set_flags)
{
    const char *m = bwd_arg(r, "mode");
    const char *d = bwd_arg(r, "dihedral");
    if (m) {
        if (bw_pdq_mode_flags(m, set_flags) == BW_OK)
            return true;
        bwd_error(r, 400, "invalid_argument", "mode is one of " BW_PDQ_MODE_NAMES);
        return false;
    }
    if (d)
        *set_flags = !strcmp(d, "1") || !strcmp(d, "true") ? BW_PDQ_SET_DIHEDRAL_QUERY : 0;
    else if (bw_pdq_mode_flags(r->srv->cfg.match_mode, set_flags) != BW_OK)
        *set_flags = BW_PDQ_SET_STANDARD_QUERY;
    return true;
}

void bwd_api_hash(bwd_request *r)
{
    if (r->video)
        return bwd_video_hash(r);
    bwd_thread *t = bwd_thread_get();
    const bool dihedral = want_dihedral(r);
    const unsigned flags = BW_HASH_PDQ | BW_HASH_MD5 | BW_HASH_SHA1 | BW_HASH_SHA256 |
                           (dihedral ? BW_HASH_PDQ_DIHEDRAL : 0);
    if (!hash_body(r, t, flags, NULL, 0))
        return;
    json_t *j = hashes_json(t->hashes, dihedral);
    json_object_set_new(j, "media", media_json(t->hashes));
    bwd_reply(r, 200, j);
}

static json_t *matches_json(const bw_matches *m)
{
    json_t *a = json_array();
    for (size_t i = 0; i < bw_matches_count(m); i++) {
        const bw_match_info *x = bw_matches_get(m, i);
        json_t *meta = x->metadata ? json_loads(x->metadata, 0, NULL) : NULL;
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:I, s:b, s:b}", "bank", x->bank,
                              "bank_kind", bw_bank_kind_name(x->bank_kind), "signal_type",
                              bw_signal_type_name(x->type), "value", x->value, "distance",
                              x->distance, "metadata", meta ? meta : json_object(), "signal_id",
                              (json_int_t)x->signal_id, "suppressed", x->suppressed,
                              "quarantined", x->quarantined);
        if (o && x->type == BW_SIGNAL_PDQ && x->transform != BW_DIHEDRAL_ORIGINAL)
            json_object_set_new(o, "transform", json_string(bw_dihedral_name(x->transform)));
        if (o && x->region)
            json_object_set_new(o, "region", json_string(x->region));
        if (o && x->query_part && strcmp(x->query_part, "whole") != 0)
            json_object_set_new(o, "query_part", json_string(x->query_part));
        if (o && x->type == BW_SIGNAL_VPDQ) {
            json_object_set_new(o, "query_percent", json_real(x->query_percent));
            json_object_set_new(o, "compared_percent", json_real(x->compared_percent));
        }
        json_array_append_new(a, o);
    }
    return a;
}

/* What the platform says about an upload (user, upload id...): a JSON
 * object from the multipart field or X-Bulwark-Context. false after
 * answering 400; *out stays NULL when there is none. */
static bool read_context(bwd_request *r, const char *text, char **out)
{
    *out = NULL;
    if (!text || !*text)
        return true;
    if (strlen(text) > 64 * 1024) {
        bwd_error(r, 413, "too_large", "the context is larger than 64 KiB");
        return false;
    }
    json_t *j = bwd_json_object(r, text, strlen(text), JSON_REJECT_DUPLICATES, "context");
    if (!j)
        return false;
    *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return true;
}

bool bwd_matches_quarantined(const bw_matches *m)
{
    for (size_t i = 0; i < bw_matches_count(m); i++)
        if (bw_matches_get(m, i)->quarantined)
            return true;
    return false;
}

/* Records a match and counts it; the event id, or 0 when recording failed
 * (the answer still goes out: blocking must not wait on bookkeeping). */
static int64_t record(bwd_request *r, bwd_thread *t, const char *query, const char *context,
                      const char *media)
{
    bwd_server *srv = r->srv;
    const bw_matches *m = t->matches;
    /* An allow list vouched for this upload: it is treated like a
     * non-match and leaves no record, only a count. */
    if (!bw_matches_actionable(m) && !bwd_matches_quarantined(m)) {
        bwd_metrics_count(srv->metrics, "matches_suppressed_by_allow_list", 1);
        return 0;
    }
    for (size_t i = 0; i < bw_matches_count(m); i++) {
        const bw_match_info *x = bw_matches_get(m, i);
        bool first = true; /* count each bank once per upload */
        for (size_t k = 0; k < i; k++)
            first &= strcmp(bw_matches_get(m, k)->bank, x->bank) != 0;
        if (first)
            bwd_metrics_match(srv->metrics, x->bank);
    }
    int64_t id = 0;
    const bw_status st =
        bw_event_record(t->ctx, srv->store, r->key_id, query, m, context, media,
                        *srv->cfg.webhook_url ? srv->cfg.webhook_url : NULL, &id);
    if (st != BW_OK) {
        bwd_metrics_count(srv->metrics, "match_record_failures", 1);
        bwd_logf(BWD_ERROR, "could not record a match", "{s:s}", "error",
                 bw_ctx_message(t->ctx));
        return 0;
    }
    return id;
}

static void add_outcome(json_t *j, const bw_matches *m, int64_t event)
{
    json_object_set_new(j, "actionable", json_boolean(bw_matches_actionable(m)));
    json_object_set_new(j, "quarantined", json_boolean(bwd_matches_quarantined(m)));
    if (event)
        json_object_set_new(j, "event_id", json_integer(event));
}

static bool threshold_arg(bwd_request *r, int *threshold)
{
    long long t = r->srv->cfg.threshold;
    if (!bwd_arg_int(r, "threshold", 0, MAX_THRESHOLD, &t))
        return false;
    *threshold = (int)t;
    return true;
}

void bwd_api_match(bwd_request *r)
{
    if (r->video)
        return bwd_video_match(r);
    bwd_thread *t = bwd_thread_get();
    int threshold;
    char *context = NULL;
    if (!threshold_arg(r, &threshold) ||
        !read_context(r, r->context ? r->context
                                    : MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                                  "X-Bulwark-Context"),
                      &context))
        return;
    unsigned set_flags;
    if (!mode_arg(r, &set_flags)) {
        free(context);
        return;
    }
    const unsigned flags = BW_HASH_PDQ | BW_HASH_MD5 | BW_HASH_SHA1 | BW_HASH_SHA256;
    /* Every mode but plain matches a set of hashes of the picture (turned
     * and mirrored; in standard mode also its content without borders or
     * frame, and shaved; in robust mode also turned back from a small
     * rotation, less 30 % at each side...), computed with the plain hash
     * from one decoding. */
    if (!hash_body(r, t, flags, set_flags ? t->set : NULL, set_flags)) {
        free(context);
        return;
    }
    const bw_status st =
        !set_flags
            ? bw_matcher_match_hashes(t->ctx, r->srv->matcher, t->matches, t->hashes,
                                      threshold, 0)
            : bw_matcher_match_set(t->ctx, r->srv->matcher, t->matches, t->set, t->hashes,
                                   threshold);
    if (st != BW_OK) {
        free(context);
        bwd_fail(r, st, t->ctx);
        return;
    }
    json_t *hashes = hashes_json(t->hashes, false);
    int64_t event = 0;
    if (bw_matches_count(t->matches)) {
        char *query = json_dumps(hashes, JSON_COMPACT);
        char media[BW_VAULT_REF_CHARS + 1];
        bwd_media_keep(r, t->matches, media, sizeof media); /* when retain_media is on */
        event = query ? record(r, t, query, context, *media ? media : NULL) : 0;
        if (!event)
            bwd_media_drop(r, media);
        free(query);
    }
    free(context);
    json_t *j = json_pack("{s:o, s:o}", "hashes", hashes, "matches",
                          matches_json(t->matches));
    add_outcome(j, t->matches, event);
    bwd_reply(r, 200, j);
}

/* The query of a hash-only match, in the shape of an upload's hashes (so a
 * false positive can be allow-listed the same way). */
static json_t *signal_query(bw_signal_type type, const char *value)
{
    if (type == BW_SIGNAL_PDQ)
        return json_pack("{s:{s:s}}", "pdq", "hash", value);
    return json_pack("{s:s}", bw_signal_type_name(type), value);
}

/* A validated signal: its value, normalised, lies at offset in one text
 * shared by the request's signals (a fixed buffer a signal made a batch of
 * one a 2 KB allocation, which glibc serves slowly). */
typedef struct wanted {
    bw_signal_type type;
    size_t offset;
} wanted;

/* Validates every signal before matching any; false after answering. */
static bool read_signals(bwd_request *r, const json_t *list, wanted *out, text_buf *values)
{
    size_t i;
    const json_t *s;
    json_array_foreach(list, i, s) {
        const char *type = json_string_value(json_object_get(s, "type"));
        const char *value = json_string_value(json_object_get(s, "value"));
        const char *why = NULL;
        char normal[BW_SIGNAL_VALUE_MAX + 1];
        if (!type || !value) {
            bwd_error(r, 422, "parse", "signals[%zu] needs string fields 'type' and 'value'", i);
            return false;
        }
        if (bw_signal_type_parse(&out[i].type, type, strlen(type)) != BW_OK) {
            bwd_error(r, 422, "parse", "signals[%zu]: unknown signal type '%.40s'", i, type);
            return false;
        }
        if (bw_signal_normalize(normal, sizeof normal, out[i].type, value, strlen(value),
                                &why) != BW_OK) {
            bwd_error(r, 422, "parse", "signals[%zu]: %s", i, why ? why : "invalid value");
            return false;
        }
        out[i].offset = values->size;
        text_buf_add(values, normal, strlen(normal) + 1);
    }
    if (values->failed)
        bwd_error(r, 503, "unavailable", "out of memory");
    return !values->failed;
}

/* One entry of "results": {"signal": {"type", "value"}, "matches": [...],
 * "actionable", "quarantined"[, "event_id"]}, the shape of add_outcome's. */
static void add_result(text_buf *out, size_t i, bw_signal_type type, const char *value,
                       const bw_matches *m, int64_t event)
{
    text_buf_lit(out, i ? ",{\"signal\":{\"type\":" : "{\"signal\":{\"type\":");
    bwd_put_json_string(out, bw_signal_type_name(type));
    text_buf_lit(out, ",\"value\":");
    bwd_put_json_string(out, value);
    text_buf_lit(out, "},\"matches\":");
    if (bw_matches_count(m)) {
        json_t *a = matches_json(m);
        if (a)
            bwd_put_json(out, a);
        else
            out->failed = true;
        json_decref(a);
    } else {
        text_buf_lit(out, "[]");
    }
    text_buf_lit(out, bw_matches_actionable(m) ? ",\"actionable\":true"
                                               : ",\"actionable\":false");
    text_buf_lit(out, bwd_matches_quarantined(m) ? ",\"quarantined\":true"
                                                 : ",\"quarantined\":false");
    if (event) {
        text_buf_lit(out, ",\"event_id\":");
        text_buf_int(out, event);
    }
    text_buf_lit(out, "}");
}

void bwd_api_match_hashes(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    json_t *body = bwd_body_json(r);
    if (!body)
        return;
    const json_t *list = json_object_get(body, "signals");
    const json_t *thr = json_object_get(body, "threshold");
    const json_t *ctx_json = json_object_get(body, "context");
    long long threshold = r->srv->cfg.threshold;
    wanted *w = NULL;
    text_buf values = {0};
    char *context = NULL;
    if (!json_is_array(list) || json_array_size(list) == 0) {
        bwd_error(r, 422, "parse", "'signals' must be a non-empty array of {type, value}");
    } else if (json_array_size(list) > r->srv->cfg.batch_max) {
        bwd_error(r, 413, "too_large", "at most %u signals per request",
                  r->srv->cfg.batch_max);
    } else if (thr && (!json_is_integer(thr) || json_integer_value(thr) < 0 ||
                       json_integer_value(thr) > MAX_THRESHOLD)) {
        bwd_error(r, 422, "parse", "'threshold' must be an integer from 0 to %d", MAX_THRESHOLD);
    } else if (ctx_json && !json_is_object(ctx_json)) {
        bwd_error(r, 422, "parse", "'context' must be a JSON object");
    } else if (!(w = calloc(json_array_size(list), sizeof *w))) {
        bwd_error(r, 503, "unavailable", "out of memory");
    } else if (read_signals(r, list, w, &values)) {
        if (thr)
            threshold = json_integer_value(thr);
        if (ctx_json)
            context = json_dumps(ctx_json, JSON_COMPACT);
        text_buf out = {0};
        bool ok = true;
        text_buf_lit(&out, "{\"results\":[");
        for (size_t i = 0; i < json_array_size(list); i++) {
            const char *value = values.data + w[i].offset;
            const bw_status st = bw_matcher_match_value(t->ctx, r->srv->matcher, t->matches,
                                                        w[i].type, value, (int)threshold);
            if (st != BW_OK) {
                bwd_fail(r, st, t->ctx);
                ok = false;
                break;
            }
            int64_t event = 0;
            if (bw_matches_count(t->matches)) {
                json_t *q = signal_query(w[i].type, value);
                char *query = q ? json_dumps(q, JSON_COMPACT) : NULL;
                event = query ? record(r, t, query, context, NULL) : 0;
                free(query);
                json_decref(q);
            }
            add_result(&out, i, w[i].type, value, t->matches, event);
        }
        text_buf_lit(&out, "]}");
        if (ok)
            bwd_reply_text(r, 200, &out);
        free(out.data);
    }
    free(context);
    free(values.data);
    free(w);
    json_decref(body);
}

/* ---- for the video handlers (api_video.c) ---------------------------------- */

json_t *bwd_hashes_json(const bw_hashes *h, bool dihedral)
{
    return hashes_json(h, dihedral);
}

json_t *bwd_matches_json(const bw_matches *m)
{
    return matches_json(m);
}

bool bwd_read_context(bwd_request *r, char **out)
{
    return read_context(r,
                        r->context ? r->context
                                   : MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                                 "X-Bulwark-Context"),
                        out);
}

int64_t bwd_record_match(bwd_request *r, bwd_thread *t, const char *query, const char *context)
{
    /* Video uploads are not retained for review (retain_media keeps images
     * only): the event has their hashes, not their content. */
    return record(r, t, query, context, NULL);
}

void bwd_add_outcome(json_t *j, const bw_matches *m, int64_t event)
{
    add_outcome(j, m, event);
}

bool bwd_threshold_arg(bwd_request *r, int *threshold)
{
    return threshold_arg(r, threshold);
}

/*
 * Banks and signals: create, read, change, delete, add from media, and bulk
 * import and export. Every change is audited by the store in its own
 * transaction, naming the key that made it, and applied to this node's
 * index before the answer goes out (other nodes follow within refresh_ms).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulwarkd.h"

static void catch_up(bwd_request *r, bwd_thread *t)
{
    if (bw_matcher_refresh(t->ctx, r->srv->matcher, NULL) != BW_OK)
        bwd_logf(BWD_WARN, "index refresh after a change failed", "{s:s}", "error",
                 bw_ctx_message(t->ctx));
}

static int bank_to_json(void *arg, const bw_bank_info *b)
{
    json_t *counts = json_object();
    for (int type = BW_SIGNAL_PDQ; type <= BW_SIGNAL_VPDQ; type++)
        if (b->count_by_type[type])
            json_object_set_new(counts, bw_signal_type_name((bw_signal_type)type),
                                json_integer((json_int_t)b->count_by_type[type]));
    json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:o}", "name", b->name, "kind",
                          bw_bank_kind_name(b->kind), "id", (json_int_t)b->id, "created_at",
                          (json_int_t)b->created_at, "signal_count",
                          (json_int_t)b->signal_count, "counts", counts);
    json_t *settings = b->settings ? json_loads(b->settings, 0, NULL) : NULL;
    json_object_set_new(j, "settings", settings ? settings : json_object());
    if (json_is_array((json_t *)arg))
        json_array_append_new(arg, j);
    else
        json_object_update(arg, j), json_decref(j);
    return 0;
}

void bwd_api_banks_list(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    json_t *list = json_array();
    const bw_status st = bw_bank_list(t->ctx, r->srv->store, bank_to_json, list);
    if (st != BW_OK) {
        json_decref(list);
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_reply(r, 200, json_pack("{s:o}", "banks", list));
}

static void reply_bank(bwd_request *r, bwd_thread *t, const char *name, int status)
{
    json_t *one = json_object();
    const bw_status st = bw_bank_get(t->ctx, r->srv->store, name, bank_to_json, one);
    if (st != BW_OK) {
        json_decref(one);
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_reply(r, status, one);
}

void bwd_api_bank_create(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    json_t *body = bwd_body_json(r);
    if (!body)
        return;
    const char *name = json_string_value(json_object_get(body, "name"));
    const json_t *kind_json = json_object_get(body, "kind");
    const char *kind_name = kind_json ? json_string_value(kind_json) : "block";
    json_t *settings_json = json_object_get(body, "settings");
    char *settings = json_is_object(settings_json) ? json_dumps(settings_json, JSON_COMPACT) : NULL;
    bw_bank_kind kind;
    if (!name) {
        bwd_error(r, 422, "parse", "'name' (a string) is required");
    } else if (!kind_name || bw_bank_kind_parse(&kind, kind_name) != BW_OK) {
        bwd_error(r, 422, "parse", "'kind' must be \"block\" or \"allow\"");
    } else if (settings_json && !json_is_null(settings_json) && !settings) {
        bwd_error(r, 422, "parse", "'settings' must be an object");
    } else {
        bw_status st = bw_bank_create(t->ctx, r->srv->store, name, kind, NULL);
        /* A bank whose settings are refused is not left behind half made. */
        if (st == BW_OK && settings &&
            (st = bw_bank_set_settings(t->ctx, r->srv->store, name, settings)) != BW_OK) {
            char why[512];
            snprintf(why, sizeof why, "%s", bw_ctx_message(t->ctx));
            bw_bank_delete(t->ctx, r->srv->store, name);
            bwd_error(r, 422, "parse", "%s", why);
        } else if (st != BW_OK) {
            bwd_fail(r, st, t->ctx);
        } else {
            snprintf(r->location, sizeof r->location, "/v1/banks/%s", name);
            reply_bank(r, t, name, 201);
        }
    }
    free(settings);
    json_decref(body);
}

/* PATCH {"settings": {...}} replaces what banking a file stores; null
 * clears it back to the defaults. */
void bwd_api_bank_update(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    json_t *body = bwd_body_json(r);
    if (!body)
        return;
    json_t *settings_json = json_object_get(body, "settings");
    if (!settings_json || (!json_is_object(settings_json) && !json_is_null(settings_json))) {
        json_decref(body);
        bwd_error(r, 422, "parse", "'settings' (an object, or null) is required");
        return;
    }
    char *settings = json_is_object(settings_json) ? json_dumps(settings_json, JSON_COMPACT) : NULL;
    json_decref(body);
    const bw_status st = bw_bank_set_settings(t->ctx, r->srv->store, r->params[0], settings);
    free(settings);
    if (st == BW_ERR_PARSE)
        bwd_error(r, 422, "parse", "%s", bw_ctx_message(t->ctx));
    else if (st != BW_OK)
        bwd_fail(r, st, t->ctx);
    else
        reply_bank(r, t, r->params[0], 200);
}

void bwd_api_bank_get(bwd_request *r)
{
    reply_bank(r, bwd_thread_get(), r->params[0], 200);
}

void bwd_api_bank_delete(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    const bw_status st = bw_bank_delete(t->ctx, r->srv->store, r->params[0]);
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return;
    }
    catch_up(r, t);
    bwd_reply(r, 204, NULL);
}

/* ---- signals ---------------------------------------------------------------- */

static int signal_to_json(void *arg, const bw_signal_info *s)
{
    json_t *meta = s->metadata ? json_loads(s->metadata, 0, NULL) : NULL;
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s*, s:I, s:o, s:b, s:b}", "id",
                          (json_int_t)s->id, "bank", s->bank, "type",
                          bw_signal_type_name(s->type), "value", s->value, "source", s->source,
                          "added_at", (json_int_t)s->added_at, "metadata",
                          meta ? meta : json_object(), "enabled", s->enabled, "quarantined",
                          s->quarantined);
    json_object_update(arg, j); /* copies the members: the object is ours to drop */
    json_decref(j);
    return 0;
}

/* The signal with the id in params[1] if it lives in bank params[0]; NULL
 * after answering 404. */
static json_t *signal_in_bank(bwd_request *r, bwd_thread *t, int64_t *id)
{
    char *end;
    errno = 0;
    *id = strtoll(r->params[1], &end, 10);
    json_t *j = json_object();
    json_t *decref_on_fail = j;
    if (*end || errno || *id <= 0) {
        bwd_error(r, 404, "not_found", "no signal '%s'", r->params[1]);
    } else {
        const bw_status st = bw_signal_get(t->ctx, r->srv->store, *id, signal_to_json, j);
        const char *bank = json_string_value(json_object_get(j, "bank"));
        if (st != BW_OK && st != BW_ERR_NOT_FOUND)
            bwd_fail(r, st, t->ctx);
        else if (st == BW_ERR_NOT_FOUND || !bank || strcmp(bank, r->params[0]) != 0)
            bwd_error(r, 404, "not_found", "bank '%s' has no signal %lld", r->params[0],
                      (long long)*id);
        else
            return j;
    }
    json_decref(decref_on_fail);
    return NULL;
}

void bwd_api_signal_add(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    json_t *body = bwd_body_json(r);
    if (!body)
        return;
    const char *type_name = json_string_value(json_object_get(body, "type"));
    const char *value = json_string_value(json_object_get(body, "value"));
    const json_t *meta = json_object_get(body, "metadata");
    const json_t *source = json_object_get(body, "source");
    bw_signal_type type;
    if (!type_name || !value) {
        bwd_error(r, 422, "parse", "'type' and 'value' (strings) are required");
    } else if (bw_signal_type_parse(&type, type_name, strlen(type_name)) != BW_OK) {
        bwd_error(r, 422, "parse", "unknown signal type '%.40s'", type_name);
    } else if (meta && !json_is_object(meta)) {
        bwd_error(r, 422, "parse", "'metadata' must be a JSON object");
    } else if (source && !json_is_string(source)) {
        bwd_error(r, 422, "parse", "'source' must be a string");
    } else {
        char *meta_text = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
        int64_t id = 0;
        const bw_status st = bw_signal_add(t->ctx, r->srv->store, r->params[0], type, value,
                                           json_string_value(source), meta_text, &id);
        free(meta_text);
        if (st == BW_ERR_EXISTS) {
            bwd_reply(r, 409, json_pack("{s:{s:s, s:s}, s:I}", "error", "code", "exists",
                                        "message", bw_ctx_message(t->ctx), "id",
                                        (json_int_t)id));
            r->error_code = "exists";
        } else if (st != BW_OK) {
            bwd_fail(r, st, t->ctx);
        } else {
            catch_up(r, t);
            json_t *j = json_object();
            bw_signal_get(t->ctx, r->srv->store, id, signal_to_json, j);
            snprintf(r->location, sizeof r->location, "/v1/banks/%s/signals/%lld", r->params[0],
                     (long long)id);
            bwd_reply(r, 201, j);
        }
    }
    json_decref(body);
}

void bwd_api_signal_get(bwd_request *r)
{
    int64_t id;
    json_t *j = signal_in_bank(r, bwd_thread_get(), &id);
    if (j)
        bwd_reply(r, 200, j);
}

void bwd_api_signal_update(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    int64_t id;
    json_t *current = signal_in_bank(r, t, &id);
    if (!current)
        return;
    json_decref(current);
    json_t *body = bwd_body_json(r);
    if (!body)
        return;
    const json_t *enabled = json_object_get(body, "enabled");
    const json_t *quarantined = json_object_get(body, "quarantined");
    const json_t *reason = json_object_get(body, "reason");
    bw_status st = BW_OK;
    if ((!enabled && !quarantined) || (enabled && !json_is_boolean(enabled)) ||
        (quarantined && !json_is_boolean(quarantined)) || (reason && !json_is_string(reason))) {
        bwd_error(r, 422, "parse", "send 'enabled' and/or 'quarantined' as booleans, and"
                  " optionally a 'reason' string");
        json_decref(body);
        return;
    }
    if (enabled)
        st = bw_signal_set_enabled(t->ctx, r->srv->store, id, json_is_true(enabled));
    if (st == BW_OK && quarantined)
        st = bw_signal_set_quarantined(t->ctx, r->srv->store, id, json_is_true(quarantined),
                                       reason ? json_string_value(reason) : "changed through the API");
    json_decref(body);
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return;
    }
    catch_up(r, t);
    json_t *j = json_object();
    bw_signal_get(t->ctx, r->srv->store, id, signal_to_json, j);
    bwd_reply(r, 200, j);
}

void bwd_api_signal_delete(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    int64_t id;
    json_t *current = signal_in_bank(r, t, &id);
    if (!current)
        return;
    json_decref(current);
    const bw_status st = bw_signal_remove(t->ctx, r->srv->store, id);
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return;
    }
    catch_up(r, t);
    bwd_reply(r, 204, NULL);
}

/* ---- content, import, export --------------------------------------------------- */

/* The answer to an image banked by content: every signal the bank's
 * settings asked for, and the hash left out as too flat. */
typedef struct content_reply {
    json_t *added;
    json_t *skipped;
} content_reply;

static int content_signal(void *arg, const bw_content_signal *sig)
{
    content_reply *reply = arg;
    if (sig->outcome == BW_CONTENT_TOO_FLAT) {
        json_array_append_new(reply->skipped,
                              json_pack("{s:s, s:s, s:i, s:s}", "type", "pdq", "value",
                                        sig->value, "quality", sig->quality, "reason",
                                        "PDQ quality below 50: the image is too flat to match "
                                        "reliably"));
        return 0;
    }
    json_t *o = json_pack("{s:s, s:s, s:I, s:b, s:s}", "type", bw_signal_type_name(sig->type),
                          "value", sig->value, "id", (json_int_t)sig->id, "added",
                          sig->outcome == BW_CONTENT_ADDED, "part", sig->part);
    if (o && sig->region) {
        json_object_set_new(o, "region", json_string(sig->region));
        json_object_set_new(o, "quality", json_integer(sig->quality));
    }
    json_array_append_new(reply->added, o);
    return 0;
}

/* The metadata of an upload to bank: the multipart field "context" or the
 * X-Bulwark-Metadata header, a JSON object. Replies 400 and returns false
 * when it is not one; *out is NULL when there is none. */
static bool upload_metadata(bwd_request *r, char **out)
{
    *out = NULL;
    const char *meta_text = r->context ? r->context
                                       : MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                                     "X-Bulwark-Metadata");
    json_t *meta = meta_text ? bwd_json_object(r, meta_text, strlen(meta_text), 0, "metadata")
                             : NULL;
    if (meta_text && !meta)
        return false;
    *out = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    return true;
}

void bwd_api_bank_content(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    /* The bank must exist before we spend time decoding. */
    json_t *bank = json_object();
    bw_status st = bw_bank_get(t->ctx, r->srv->store, r->params[0], bank_to_json, bank);
    json_decref(bank);
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return;
    }
    char *meta_json;
    if (!upload_metadata(r, &meta_json))
        return;
    if (r->video)
        return bwd_video_bank(r, t, meta_json);
    if (!r->size) {
        free(meta_json);
        bwd_error(r, 400, "bad_request", "the body is empty: send the media to bank");
        return;
    }
    content_reply reply = {json_array(), json_array()};
    st = bw_bank_add_content_each(t->ctx, r->srv->store, r->params[0], r->body, r->size,
                                  meta_json, "content", NULL, content_signal, &reply);
    free(meta_json);
    if (st != BW_OK) {
        json_decref(reply.added);
        json_decref(reply.skipped);
        bwd_fail(r, st, t->ctx);
        return;
    }
    catch_up(r, t);
    bwd_reply(r, 201, json_pack("{s:s, s:o, s:o}", "bank", r->params[0], "signals", reply.added,
                                "skipped", reply.skipped));
}

static long read_spool(void *arg, void *buf, size_t size)
{
    FILE *f = arg;
    const size_t n = fread(buf, 1, size, f);
    return n == 0 && ferror(f) ? -1 : (long)n;
}

typedef struct import_report {
    json_t *errors;
} import_report;

static void on_line_error(void *arg, uint64_t line, bw_status st, const char *reason)
{
    import_report *rep = arg;
    if (json_array_size(rep->errors) < 100)
        json_array_append_new(rep->errors,
                              json_pack("{s:I, s:s, s:s}", "line", (json_int_t)line, "code",
                                        bwd_status_code(st), "reason", reason));
}

static bool list_format(bwd_request *r, bw_list_format *fmt)
{
    const char *name = bwd_arg(r, "format");
    if (!name) {
        const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_TYPE);
        name = !ct                               ? "lines"
               : strstr(ct, "csv")               ? "csv"
               : strstr(ct, "json")              ? "jsonl"
                                                 : "lines";
    }
    if (bw_list_format_parse(fmt, name) != BW_OK) {
        bwd_error(r, 400, "invalid_argument", "format must be lines, csv or jsonl");
        return false;
    }
    return true;
}

void bwd_api_bank_import(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    bw_list_format fmt;
    if (!list_format(r, &fmt))
        return;
    import_report rep = {json_array()};
    bw_import_stats stats = {0};
    const bw_status st = bw_bank_import(t->ctx, r->srv->store, r->params[0], fmt, read_spool,
                                        r->spool, on_line_error, NULL, &rep, &stats);
    if (st != BW_OK) {
        json_decref(rep.errors);
        bwd_fail(r, st, t->ctx);
        return;
    }
    catch_up(r, t);
    bwd_reply(r, 200, json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "bank", r->params[0], "lines",
                                (json_int_t)stats.lines, "added", (json_int_t)stats.added,
                                "duplicates", (json_int_t)stats.duplicates, "rejected",
                                (json_int_t)stats.rejected, "errors", rep.errors));
}

static int write_spool(void *arg, const void *buf, size_t size)
{
    return fwrite(buf, 1, size, arg) == size ? 0 : -1;
}

void bwd_api_bank_export(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    bw_list_format fmt;
    const char *name = bwd_arg(r, "format");
    if (bw_list_format_parse(&fmt, name ? name : "lines") != BW_OK) {
        bwd_error(r, 400, "invalid_argument", "format must be lines, csv or jsonl");
        return;
    }
    /* Through a temporary file: a bank of millions never sits in memory. */
    FILE *f = tmpfile();
    if (!f) {
        bwd_error(r, 503, "unavailable", "no room to write the export");
        return;
    }
    bw_status st = bw_bank_export(t->ctx, r->srv->store, r->params[0], fmt, write_spool, f);
    struct stat sb;
    const int fd = st == BW_OK && fflush(f) == 0 ? dup(fileno(f)) : -1;
    fclose(f);
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return;
    }
    if (fd < 0 || fstat(fd, &sb) != 0) {
        if (fd >= 0)
            close(fd);
        bwd_error(r, 503, "unavailable", "could not write the export");
        return;
    }
    r->out_fd = fd;
    r->out_fd_size = (uint64_t)sb.st_size;
    r->out_type = fmt == BW_LIST_CSV     ? "text/csv; charset=utf-8"
                  : fmt == BW_LIST_JSONL ? "application/x-ndjson"
                                         : "text/plain; charset=utf-8";
    r->status = 200;
}

/* ---- for the video handler (api_video.c) ----------------------------------- */

json_t *bwd_bank_add_one(bwd_request *r, bwd_thread *t, bw_signal_type type, const char *value,
                         const char *meta)
{
    int64_t id = 0;
    const bw_status st = bw_signal_add(t->ctx, r->srv->store, r->params[0], type, value,
                                       "content", meta, &id);
    if (st != BW_OK && st != BW_ERR_EXISTS)
        return NULL;
    return json_pack("{s:s, s:s, s:I, s:b}", "type", bw_signal_type_name(type), "value", value,
                     "id", (json_int_t)id, "added", st == BW_OK);
}

void bwd_bank_catch_up(bwd_request *r, bwd_thread *t)
{
    catch_up(r, t);
}

/*
 * Building responses: JSON bodies, errors as {"error": {"code", "message"}}
 * with a stable code, and the mapping from library statuses to HTTP.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bulwarkd.h"

unsigned bwd_roles_mask(int first, ...)
{
    unsigned mask = 0;
    va_list ap;
    va_start(ap, first);
    for (int r = first; r; r = va_arg(ap, int))
        mask |= 1u << r;
    va_end(ap);
    return mask;
}

static const char *const oom_answer =
    "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";

/* Most answers are short: written straight into a buffer of their first
 * guessed size, they skip json_dumps's growing buffer and final copy. */
static char *dump(const json_t *body)
{
    const size_t flags = JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY;
    size_t size = 512;
    char *out = malloc(size);
    if (!out)
        return NULL;
    size_t n = json_dumpb(body, out, size - 1, flags);
    if (n == 0) { /* json_dumpb's error: valid JSON is never empty */
        free(out);
        return NULL;
    }
    if (n >= size) {
        char *bigger = realloc(out, n + 1);
        if (!bigger) {
            free(out);
            return NULL;
        }
        out = bigger;
        size = n + 1;
        if (json_dumpb(body, out, size - 1, flags) != n) {
            free(out);
            return NULL;
        }
    }
    out[n] = '\0';
    return out;
}

/* Sets a JSON answer; out NULL (a failed allocation) answers 500. */
static void set_json_body(bwd_request *r, int status, char *out)
{
    r->status = out ? status : 500;
    r->out = out ? out : strdup(oom_answer);
    r->out_size = r->out ? strlen(r->out) : 0;
    r->out_type = "application/json";
}

void bwd_reply(bwd_request *r, int status, json_t *body)
{
    free(r->out);
    r->out = NULL;
    r->status = status;
    if (body) {
        char *out = dump(body);
        json_decref(body);
        set_json_body(r, status, out);
    }
}

void bwd_put_json_string(text_buf *t, const char *s)
{
    size_t n = 0;
    while (s[n] >= 0x20 && s[n] < 0x7f && s[n] != '"' && s[n] != '\\')
        n++;
    if (!s[n]) { /* nothing to escape: hex values, names */
        text_buf_add(t, "\"", 1);
        text_buf_add(t, s, n);
        text_buf_add(t, "\"", 1);
        return;
    }
    /* Escapes and non-ASCII text exactly as every other answer has them. */
    json_t *j = json_string(s);
    if (!j) {
        t->failed = true;
        return;
    }
    bwd_put_json(t, j);
    json_decref(j);
}

void bwd_put_json(text_buf *t, const json_t *j)
{
    char *d = dump(j);
    if (!d) {
        t->failed = true;
        return;
    }
    text_buf_lit(t, d);
    free(d);
}

void bwd_reply_text(bwd_request *r, int status, text_buf *t)
{
    free(r->out);
    if (t->failed)
        free(t->data);
    set_json_body(r, status, t->failed ? NULL : t->data);
    *t = (text_buf){0};
}

void bwd_error(bwd_request *r, int status, const char *code, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    r->error_code = code;
    bwd_reply(r, status, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message));
}

int bwd_http_status(bw_status st)
{
    switch (st) {
    case BW_OK: return 200;
    case BW_ERR_INVALID_ARGUMENT: return 400;
    case BW_ERR_PERMISSION: return 403;
    case BW_ERR_NOT_FOUND: return 404;
    case BW_ERR_EXISTS: return 409;
    case BW_ERR_TOO_LARGE:
    case BW_ERR_TOO_MANY_PIXELS:
    case BW_ERR_LIMIT: return 413;
    case BW_ERR_UNSUPPORTED: return 415;
    case BW_ERR_CORRUPT:
    case BW_ERR_TRUNCATED:
    case BW_ERR_IMAGE_TOO_SMALL:
    case BW_ERR_PARSE:
    case BW_ERR_VERIFY:
    case BW_ERR_TIMEOUT: return 422;
    case BW_ERR_NOMEM:
    case BW_ERR_STORAGE:
    case BW_ERR_UNAVAILABLE: return 503;
    case BW_ERR_IO:
    case BW_ERR_INTERNAL: break;
    }
    return 500;
}

/* The API's own codes (docs/openapi.yaml promises them), not the library's
 * names for its statuses, which clients never see. */
const char *bwd_status_code(bw_status st)
{
    switch (st) {
    case BW_OK: return "ok";
    case BW_ERR_INVALID_ARGUMENT: return "invalid_argument";
    case BW_ERR_UNSUPPORTED: return "unsupported";
    case BW_ERR_CORRUPT:
    case BW_ERR_VERIFY: return "corrupt";
    case BW_ERR_TRUNCATED: return "truncated";
    case BW_ERR_TOO_LARGE: return "too_large";
    case BW_ERR_TOO_MANY_PIXELS: return "too_many_pixels";
    case BW_ERR_IMAGE_TOO_SMALL: return "image_too_small";
    case BW_ERR_PARSE: return "parse";
    case BW_ERR_NOT_FOUND: return "not_found";
    case BW_ERR_EXISTS: return "exists";
    case BW_ERR_STORAGE: return "storage";
    case BW_ERR_LIMIT: return "limit_exceeded";
    case BW_ERR_TIMEOUT: return "timeout";
    case BW_ERR_PERMISSION: return "forbidden";
    case BW_ERR_NOMEM:
    case BW_ERR_UNAVAILABLE: return "unavailable";
    case BW_ERR_IO:
    case BW_ERR_INTERNAL: break;
    }
    return "internal";
}

void bwd_fail(bwd_request *r, bw_status st, const bw_ctx *ctx)
{
    const int status = bwd_http_status(st);
    const char *msg = ctx ? bw_ctx_message(ctx) : "";
    if (status >= 500)
        bwd_logf(BWD_ERROR, "request failed", "{s:s, s:s, s:s}", "route", r->route->name,
                 "code", bw_status_code(st), "error", msg);
    /* Internal details of a storage failure are for the log, not the client. */
    if (st == BW_ERR_STORAGE)
        msg = "the bank store failed; try again";
    bwd_error(r, status, bwd_status_code(st), "%s", *msg ? msg : bw_strerror(st));
}

json_t *bwd_json_object(bwd_request *r, const char *text, size_t size, size_t flags,
                        const char *what)
{
    json_error_t e;
    json_t *j = json_loadb(text ? text : "", size, flags, &e);
    if (!j) {
        bwd_error(r, 400, "invalid_json", "the %s is not valid JSON: %s (at byte %d)", what,
                  e.text, e.position);
        return NULL;
    }
    if (!json_is_object(j)) { /* valid JSON of the wrong shape */
        json_decref(j);
        bwd_error(r, 422, "parse", "the %s must be a JSON object", what);
        return NULL;
    }
    return j;
}

json_t *bwd_body_json(bwd_request *r)
{
    return bwd_json_object(r, r->body, r->size, JSON_REJECT_DUPLICATES, "body");
}

const char *bwd_arg(const bwd_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool bwd_arg_int(bwd_request *r, const char *name, long long lo, long long hi, long long *out)
{
    const char *v = bwd_arg(r, name);
    if (!v)
        return true;
    char *end;
    const long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < lo || x > hi) {
        bwd_error(r, 400, "invalid_argument", "query argument '%s' must be an integer from %lld"
                  " to %lld", name, lo, hi);
        return false;
    }
    *out = x;
    return true;
}

void bwd_audit(bwd_request *r, const char *action, const char *subject, json_t *details)
{
    char *text = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(details);
    bwd_thread *t = bwd_thread_get();
    const bw_status st =
        t ? bw_audit_append(t->ctx, r->srv->store, r->key_id, action, subject, text)
          : BW_ERR_NOMEM;
    if (st != BW_OK)
        bwd_logf(BWD_ERROR, "audit append failed", "{s:s, s:s, s:s}", "action", action,
                 "subject", subject ? subject : "", "error",
                 t ? bw_ctx_message(t->ctx) : "out of memory");
    free(text);
}

bool bwd_path_id(bwd_request *r, const char *text, const char *what, int64_t *id)
{
    char *end;
    errno = 0;
    *id = strtoll(text, &end, 10);
    if (end == text || *end || errno || *id <= 0) {
        bwd_error(r, 404, "not_found", "no %s '%s'", what, text);
        return false;
    }
    return true;
}

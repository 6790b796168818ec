/*
 * Reports of confirmed matches: gathers the event, what the platform said
 * about the upload, the reporter and whether a person viewed the media,
 * renders one format, audits the export, and hands the bytes over.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "review_internal.h"

static const char *const format_names[] = {NULL, "ncmec", "json"};

BW_API const char *bw_report_format_name(bw_report_format format)
{
    return format == BW_REPORT_NCMEC || format == BW_REPORT_JSON ? format_names[format]
                                                                 : "unknown";
}

BW_API bw_status bw_report_format_parse(bw_report_format *format_out, const char *name)
{
    if (!format_out || !name)
        return BW_ERR_INVALID_ARGUMENT;
    for (int f = BW_REPORT_NCMEC; f <= BW_REPORT_JSON; f++)
        if (!strcmp(name, format_names[f])) {
            *format_out = (bw_report_format)f;
            return BW_OK;
        }
    return BW_ERR_PARSE;
}

/* ---- small shared helpers --------------------------------------------------------- */

void bwi_text_printf(bwi_text *t, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        bwi_text_append(t, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void bwi_iso_time(char out[32], int64_t unix_seconds)
{
    const time_t t = (time_t)unix_seconds;
    struct tm tm;
    out[0] = '\0';
    if (gmtime_r(&t, &tm))
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *bwi_context_text(const json_t *context, const char *key, char *buf, size_t size)
{
    const json_t *v = json_object_get(context, key);
    if (json_is_string(v))
        return *json_string_value(v) ? json_string_value(v) : NULL;
    if (json_is_integer(v))
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, size, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, size, "%s", json_is_true(v) ? "true" : "false");
    else
        return NULL;
    return buf;
}

/* ---- gathering ---------------------------------------------------------------------- */

typedef struct gathered {
    bwi_report_input *in;
    bw_review_status status;
    bool nomem;
} gathered;

static json_t *load_or(const char *text, json_t *fallback)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    if (j && json_typeof(j) == json_typeof(fallback)) {
        json_decref(fallback);
        return j;
    }
    json_decref(j);
    return fallback;
}

static int take_event(void *arg, const bw_event_info *e)
{
    gathered *g = arg;
    bwi_report_input *in = g->in;
    in->id = e->id;
    in->at = e->at;
    in->reviewed_at = e->reviewed_at;
    in->reviewer_key = e->reviewer_key;
    in->media_retained = e->media != NULL;
    g->status = e->status;
    in->query = load_or(e->query, json_object());
    in->matches = load_or(e->matches, json_array());
    in->context = load_or(e->context, json_object());
    g->nomem = !in->query || !in->matches || !in->context;
    return 0;
}

static bw_status check_reporter(bw_ctx *ctx, const json_t *r, bw_report_format format)
{
    const char *const needed[] = {"first_name", "last_name", "email"};
    if (format != BW_REPORT_NCMEC)
        return BW_OK;
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
        const char *v = json_string_value(json_object_get(r, needed[i]));
        if (!v || !*v)
            return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                            "the reporter needs '%s' for an NCMEC report (configure the"
                            " reporting person)", needed[i]);
    }
    const char *email = json_string_value(json_object_get(r, "email"));
    const char *at = strchr(email, '@');
    if (!at || at == email || !at[1] || strpbrk(email, " \t\r\n"))
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "the reporter's email '%.100s' is not an address", email);
    return BW_OK;
}

static bw_status gather(bw_ctx *ctx, bw_store *store, int64_t id, bw_report_format format,
                        const char *reporter_json, bwi_report_input *in)
{
    json_error_t err;
    in->reporter = reporter_json ? json_loads(reporter_json, JSON_REJECT_DUPLICATES, &err)
                                 : json_object();
    if (!json_is_object(in->reporter))
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "the reporter must be a JSON object");
    bw_status st = check_reporter(ctx, in->reporter, format);
    gathered g = {in, 0, false};
    if (st == BW_OK)
        st = bw_event_get(ctx, store, id, take_event, &g);
    if (st != BW_OK)
        return st;
    if (g.nomem)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    if (g.status != BW_REVIEW_CONFIRMED)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "match event %lld is %s: only a match a reviewer confirmed is reported",
                        (long long)id, bw_review_status_name(g.status));
    char subject[32];
    bwi_event_subject(subject, id);
    int64_t views = 0;
    const bwi_sql_value p[] = {BWI_TEXT(subject)};
    bwi_store_lock(store);
    st = bwi_sql(ctx, store,
                 "SELECT COUNT(*) FROM audit_log WHERE action = 'media.reveal' AND subject = $1",
                 p, 1, bwi_sql_take_int, &views);
    bwi_store_unlock(store);
    in->media_viewed = views > 0;
    return st;
}

BW_API bw_status bw_report_write(bw_ctx *ctx, bw_store *store, int64_t event_id,
                                 bw_report_format format, const char *reporter_json,
                                 bw_write_fn write, void *write_arg)
{
    if (!ctx || !store || !write ||
        (format != BW_REPORT_NCMEC && format != BW_REPORT_JSON))
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bwi_report_input in;
    memset(&in, 0, sizeof in);
    bwi_text out = {NULL, 0, 0, false, false};
    bw_status st = gather(ctx, store, event_id, format, reporter_json, &in);
    if (st == BW_OK)
        st = format == BW_REPORT_NCMEC ? bwi_report_xml(ctx, &out, &in)
                                       : bwi_report_json(ctx, &out, &in);
    if (st == BW_OK && out.failed)
        st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory writing the report");
    /* Audited before it leaves: a report nobody knows was exported never
     * goes out. */
    if (st == BW_OK) {
        char subject[32], details[48];
        bwi_event_subject(subject, event_id);
        snprintf(details, sizeof details, "{\"format\":\"%s\"}", bw_report_format_name(format));
        st = bw_audit_append(ctx, store, ctx->actor, "report.export", subject, details);
    }
    if (st == BW_OK && write(write_arg, out.data, out.len) != 0)
        st = bwi_fail(ctx, BW_ERR_IO, "cannot write the report");
    free(out.data);
    json_decref(in.query);
    json_decref(in.matches);
    json_decref(in.context);
    json_decref(in.reporter);
    return st;
}

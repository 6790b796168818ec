/*
 * The neutral JSON rendering, for the UK's NCA (Online Safety Act s.66)
 * and any authority without a schema of its own: the same facts as the
 * NCMEC form, named plainly, with the platform's context passed on whole.
 * docs/review.md describes every field.
 */
#include <stdlib.h>
#include <string.h>

#include "review_internal.h"

static json_t *time_json(int64_t t)
{
    char iso[32];
    bwi_iso_time(iso, t);
    return json_string(iso);
}

static json_t *optional(const json_t *context, const char *key)
{
    char buf[64];
    const char *v = bwi_context_text(context, key, buf, sizeof buf);
    return v ? json_string(v) : json_null();
}

static json_t *reported_user(const bwi_report_input *in)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:O}", "user_id",
                     optional(in->context, "user_id"), "user_name",
                     optional(in->context, "user_name"), "display_name",
                     optional(in->context, "display_name"), "email",
                     optional(in->context, "email"), "profile_url",
                     optional(in->context, "profile_url"), "ip", optional(in->context, "ip"),
                     "service", optional(in->context, "service"), "context", in->context);
}

static json_t *file_json(const bwi_report_input *in)
{
    const json_t *pdq = json_object_get(in->query, "pdq");
    json_t *hashes = json_object();
    static const char *const exact[] = {"md5", "sha1", "sha256"};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        const json_t *v = json_object_get(in->query, exact[i]);
        if (json_is_string(v))
            json_object_set(hashes, exact[i], (json_t *)v);
    }
    if (json_is_string(json_object_get(pdq, "hash")))
        json_object_set(hashes, "pdq", json_object_get(pdq, "hash"));
    if (json_is_integer(json_object_get(pdq, "quality")))
        json_object_set(hashes, "pdq_quality", json_object_get(pdq, "quality"));
    const json_t *pub = json_object_get(in->context, "publicly_available");
    return json_pack("{s:o, s:o, s:o, s:o, s:b, s:b, s:o}", "file_name",
                     optional(in->context, "file_name"), "url", optional(in->context, "url"),
                     "uploaded_at", time_json(in->at), "hashes", hashes, "media_retained",
                     in->media_retained, "viewed_by_reviewer", in->media_viewed,
                     "publicly_available",
                     json_is_boolean(pub) ? json_boolean(json_is_true(pub)) : json_null());
}

/* The block-list matches, without the allow-list ones that did not count. */
static json_t *matches_json(const bwi_report_input *in)
{
    json_t *a = json_array();
    size_t i;
    const json_t *m;
    json_array_foreach(in->matches, i, m) {
        const char *kind = json_string_value(json_object_get(m, "bank_kind"));
        if (kind && strcmp(kind, "block") != 0)
            continue;
        json_array_append_new(
            a, json_pack("{s:O*, s:O*, s:O*, s:O*, s:O*}", "bank", json_object_get(m, "bank"),
                         "signal_type", json_object_get(m, "signal_type"), "value",
                         json_object_get(m, "value"), "distance",
                         json_object_get(m, "distance"), "metadata",
                         json_object_get(m, "metadata")));
    }
    return a;
}

bw_status bwi_report_json(bw_ctx *ctx, bwi_text *out, const bwi_report_input *in)
{
    json_t *incident = json_pack(
        "{s:s, s:s, s:I, s:o, s:o, s:I}", "type", "child_sexual_abuse_material", "detection",
        "hash_match_confirmed_by_reviewer", "event_id", (json_int_t)in->id, "received_at",
        time_json(in->at), "confirmed_at", time_json(in->reviewed_at), "reviewer_key",
        (json_int_t)in->reviewer_key);
    char now[32];
    bwi_iso_time(now, bwi_now());
    json_t *report = json_pack("{s:s, s:s, s:s, s:o, s:O, s:o, s:[o], s:o}", "format",
                               "bulwark-report/1", "generator", bw_version_string(),
                               "generated_at", now, "incident", incident, "reporter",
                               in->reporter, "reported_user", reported_user(in), "files",
                               file_json(in), "matches", matches_json(in));
    char *text = report ? json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(report);
    if (!text)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory writing the report");
    bwi_text_puts(out, text);
    bwi_text_puts(out, "\n");
    free(text);
    return BW_OK;
}

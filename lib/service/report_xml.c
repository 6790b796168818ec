/*
 * The NCMEC rendering: a <report> and a <fileDetails> in the element order
 * of NCMEC's CyberTipline Reporting API documentation (Appendices B and
 * C), inside a <cybertiplineSubmission> envelope. The <report> is what
 * /submit takes; the <fileDetails> goes to /fileinfo once NCMEC has
 * assigned the reportId and fileId it lacks here. The schema is
 * docs/schemas/cybertipline-report.xsd.
 *
 * Everything the platform sent is hostile: text is escaped, bytes that
 * are not UTF-8 or not allowed in XML 1.0 become U+FFFD, and fields with a
 * documented maximum length are cut to it.
 */
#include <stdlib.h>
#include <string.h>

#include "review_internal.h"

#define INCIDENT_TYPE "Child Pornography (possession, manufacture, and distribution)"

static bool xml_char(long cp)
{
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

/* Escaped character data, at most max_chars characters (0: no limit). */
static void escape(bwi_text *t, const char *text, size_t max_chars)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t left = strlen(text), chars = 0;
    while (left && (!max_chars || chars < max_chars)) {
        size_t n;
        const long cp = bwi_utf8_next(s, left, &n);
        if (cp < 0 || !xml_char(cp))
            bwi_text_puts(t, "\xEF\xBF\xBD");
        else if (cp == '<')
            bwi_text_puts(t, "&lt;");
        else if (cp == '>')
            bwi_text_puts(t, "&gt;");
        else if (cp == '&')
            bwi_text_puts(t, "&amp;");
        else if (cp == '"')
            bwi_text_puts(t, "&quot;");
        else if (cp == '\r')
            bwi_text_puts(t, "&#13;");
        else
            bwi_text_append(t, (const char *)s, n);
        s += n;
        left -= n;
        chars++;
    }
}

static void element(bwi_text *t, int depth, const char *tag, const char *text, size_t max)
{
    if (!text)
        return;
    bwi_text_printf(t, "%*s<%s>", depth * 2, "", tag);
    escape(t, text, max);
    bwi_text_printf(t, "</%s>\n", tag);
}

static void open_tag(bwi_text *t, int depth, const char *tag)
{
    bwi_text_printf(t, "%*s<%s>\n", depth * 2, "", tag);
}

static void close_tag(bwi_text *t, int depth, const char *tag)
{
    bwi_text_printf(t, "%*s</%s>\n", depth * 2, "", tag);
}

static const char *ctx_text(const bwi_report_input *in, const char *key, char buf[64])
{
    return bwi_context_text(in->context, key, buf, 64);
}

static const char *reporter_text(const bwi_report_input *in, const char *key)
{
    const char *v = json_string_value(json_object_get(in->reporter, key));
    return v && *v ? v : NULL;
}

static void incident_summary(bwi_text *t, const bwi_report_input *in)
{
    char when[32];
    bwi_iso_time(when, in->at);
    open_tag(t, 2, "incidentSummary");
    element(t, 3, "incidentType", INCIDENT_TYPE, 0);
    element(t, 3, "incidentDateTime", when, 0);
    element(t, 3, "incidentDateTimeDescription",
            "When the upload reached the platform's hash-matching service", 3000);
    close_tag(t, 2, "incidentSummary");
}

static void reporter(bwi_text *t, const bwi_report_input *in)
{
    open_tag(t, 2, "reporter");
    open_tag(t, 3, "reportingPerson");
    element(t, 4, "firstName", reporter_text(in, "first_name"), 100);
    element(t, 4, "lastName", reporter_text(in, "last_name"), 100);
    element(t, 4, "phone", reporter_text(in, "phone"), 100);
    element(t, 4, "email", reporter_text(in, "email"), 255);
    close_tag(t, 3, "reportingPerson");
    element(t, 3, "legalURL", reporter_text(in, "legal_url"), 2083);
    close_tag(t, 2, "reporter");
}

/* Context keys with a place of their own in <personOrUserReported> or
 * <fileDetails>; every other key is listed in additionalInfo. */
static const char *const mapped_keys[] = {
    "user_id", "user_name", "display_name", "email", "profile_url", "ip", "service",
    "file_name", "url", "publicly_available", NULL};

static bool mapped(const char *key)
{
    for (size_t i = 0; mapped_keys[i]; i++)
        if (!strcmp(key, mapped_keys[i]))
            return true;
    return false;
}

static void other_context(bwi_text *t, const bwi_report_input *in)
{
    bwi_text info = {NULL, 0, 0, false, false};
    const char *key;
    json_t *value;
    json_object_foreach(in->context, key, value) {
        if (mapped(key))
            continue;
        char buf[64];
        const char *v = bwi_context_text(in->context, key, buf, sizeof buf);
        char *dumped = v ? NULL : json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        bwi_text_printf(&info, "%s%s: ", info.len ? "\n" : "", key);
        bwi_text_puts(&info, v ? v : dumped ? dumped : "");
        free(dumped);
    }
    element(t, 3, "additionalInfo", info.len ? info.data : NULL, 0);
    free(info.data);
}

static void person_or_user(bwi_text *t, const bwi_report_input *in)
{
    char b[9][64];
    const char *email = ctx_text(in, "email", b[0]), *user = ctx_text(in, "user_id", b[1]),
               *service = ctx_text(in, "service", b[2]), *screen = ctx_text(in, "user_name", b[3]),
               *display = ctx_text(in, "display_name", b[4]),
               *profile = ctx_text(in, "profile_url", b[5]), *ip = ctx_text(in, "ip", b[6]);
    if (!json_object_size(in->context))
        return;
    open_tag(t, 2, "personOrUserReported");
    if (email) {
        open_tag(t, 3, "personOrUserReportedPerson");
        element(t, 4, "email", email, 255);
        close_tag(t, 3, "personOrUserReportedPerson");
    }
    element(t, 3, "espIdentifier", user, 255);
    element(t, 3, "espService", service, 255);
    element(t, 3, "screenName", screen, 255);
    element(t, 3, "displayName", display, 255);
    element(t, 3, "profileUrl", profile, 2083);
    if (ip) {
        char when[32];
        bwi_iso_time(when, in->at);
        open_tag(t, 3, "ipCaptureEvent");
        element(t, 4, "ipAddress", ip, 64);
        element(t, 4, "eventName", "Upload", 0);
        element(t, 4, "dateTime", when, 0);
        close_tag(t, 3, "ipCaptureEvent");
    }
    other_context(t, in);
    close_tag(t, 2, "personOrUserReported");
}

static void summary_info(bwi_text *t, const bwi_report_input *in)
{
    bwi_text info = {NULL, 0, 0, false, false};
    char confirmed[32];
    bwi_iso_time(confirmed, in->reviewed_at);
    bwi_text_printf(&info,
                    "Detected by hash matching against known-content hash lists (Bulwark match"
                    " event %lld) and confirmed by a person (reviewer key %lld) at %s.",
                    (long long)in->id, (long long)in->reviewer_key, confirmed);
    const char *org = reporter_text(in, "organisation");
    if (org) {
        bwi_text_puts(&info, "\nReporting organisation: ");
        bwi_text_puts(&info, org);
    }
    element(t, 2, "additionalInfo", info.data, 0);
    free(info.data);
}

static const char *or_unknown(const char *s)
{
    return s ? s : "?";
}

static void hash_element(bwi_text *t, const char *type, const char *value)
{
    if (!value)
        return;
    bwi_text_printf(t, "    <originalFileHash hashType=\"%s\">", type);
    escape(t, value, 256);
    bwi_text_puts(t, "</originalFileHash>\n");
}

static void file_details(bwi_text *t, const bwi_report_input *in)
{
    char b[2][64], when[32];
    bwi_iso_time(when, in->at);
    const json_t *pdq = json_object_get(in->query, "pdq");
    const json_t *pub = json_object_get(in->context, "publicly_available");
    open_tag(t, 1, "fileDetails");
    element(t, 2, "originalFileName", ctx_text(in, "file_name", b[0]), 2056);
    element(t, 2, "uploadedToEspTimestamp", when, 0);
    element(t, 2, "locationOfFile", ctx_text(in, "url", b[1]), 2083);
    element(t, 2, "fileViewedByEsp", in->media_viewed ? "true" : "false", 0);
    element(t, 2, "exifViewedByEsp", "false", 0);
    if (json_is_boolean(pub))
        element(t, 2, "publiclyAvailable", json_is_true(pub) ? "true" : "false", 0);
    element(t, 2, "fileRelevance", "Reported", 0);
    hash_element(t, "MD5", json_string_value(json_object_get(in->query, "md5")));
    hash_element(t, "SHA1", json_string_value(json_object_get(in->query, "sha1")));
    hash_element(t, "SHA256", json_string_value(json_object_get(in->query, "sha256")));
    hash_element(t, "PDQ", json_string_value(json_object_get(pdq, "hash")));
    bwi_text info = {NULL, 0, 0, false, false};
    size_t i;
    const json_t *m;
    json_array_foreach(in->matches, i, m) {
        const char *bank = json_string_value(json_object_get(m, "bank"));
        const char *kind = json_string_value(json_object_get(m, "bank_kind"));
        if (!bank || (kind && strcmp(kind, "block") != 0))
            continue;
        bwi_text_printf(&info, "%sMatched hash list '%s': %s ", info.len ? "\n" : "", bank,
                        or_unknown(json_string_value(json_object_get(m, "signal_type"))));
        bwi_text_puts(&info, or_unknown(json_string_value(json_object_get(m, "value"))));
        bwi_text_printf(&info, " at distance %lld.",
                        (long long)json_integer_value(json_object_get(m, "distance")));
    }
    element(t, 2, "additionalInfo", info.len ? info.data : NULL, 0);
    free(info.data);
    close_tag(t, 1, "fileDetails");
}

bw_status bwi_report_xml(bw_ctx *ctx, bwi_text *t, const bwi_report_input *in)
{
    (void)ctx;
    char now[32];
    bwi_iso_time(now, bwi_now());
    bwi_text_puts(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    bwi_text_printf(t,
                    "<cybertiplineSubmission"
                    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
                    " xsi:noNamespaceSchemaLocation=\"cybertipline-report.xsd\""
                    " generator=\"bulwark %s\" eventId=\"%lld\" generatedAt=\"%s\">\n",
                    bw_version_string(), (long long)in->id, now);
    open_tag(t, 1, "report");
    incident_summary(t, in);
    reporter(t, in);
    person_or_user(t, in);
    summary_info(t, in);
    close_tag(t, 1, "report");
    file_details(t, in);
    bwi_text_puts(t, "</cybertiplineSubmission>\n");
    return BW_OK;
}

/*
 * What review leads to, on a real SQLite file or PostgreSQL server:
 * retained media sealed at rest (and caught when altered), viewed only
 * with an audit entry, expired after its period; reports of confirmed
 * matches, the XML validated against docs/schemas/cybertipline-report.xsd
 * with libxml2; and the transparency statistics, against events whose
 * times the test sets.
 *   test_review sqlite DIR | postgresql
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <utime.h>

#include <bulwark/bulwark.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>

#include "harness.h"
#include "store/sql.h"
#include "store/store_internal.h"

static bw_ctx *ctx;
static bw_store *store;
static bw_matcher *matcher;
static bw_matches *found;
static char location[4096], dir[4096];

static const char banked_hex[] =
    "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
static const char md5_hex[] = "0123456789abcdef0123456789abcdef";

static void sql(const char *statement, int64_t a, int64_t b)
{
    const bwi_sql_value p[] = {BWI_INT(a), BWI_INT(b)};
    bwi_store_lock(store);
    CHECK_EQ(bwi_sql(ctx, store, statement, p, 2, NULL, NULL), BW_OK);
    bwi_store_unlock(store);
}

/* Records an upload 3 bits from the banked hash; its event id. */
static int64_t record(const char *context, const char *media)
{
    uint8_t h[32];
    char hex[65], query[256];
    bw_pdq_from_hex(h, banked_hex, 64);
    h[1] ^= 0x07;
    bw_pdq_to_hex(hex, h);
    snprintf(query, sizeof query,
             "{\"pdq\":{\"hash\":\"%s\",\"quality\":90},\"md5\":\"%s\",\"sha256\":\"%s%s\"}", hex,
             md5_hex, md5_hex, md5_hex);
    CHECK_EQ(bw_matcher_match_value(ctx, matcher, found, BW_SIGNAL_PDQ, hex, 31), BW_OK);
    int64_t id = 0;
    CHECK_EQ(bw_event_record(ctx, store, 2, query, found, context, media, NULL, &id), BW_OK);
    return id;
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
    unlink(path);
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0 && write(fd, data, n) == (ssize_t)n);
    close(fd);
    chmod(path, mode);
}

typedef struct audit_count {
    const char *action;
    const char *subject;
    int count;
    int64_t actor;
} audit_count;

static int count_audit(void *arg, const bw_audit_info *e)
{
    audit_count *a = arg;
    if ((!a->action || !strcmp(e->action, a->action)) &&
        (!a->subject || (e->subject && !strcmp(e->subject, a->subject)))) {
        a->count++;
        a->actor = e->actor;
    }
    return 0;
}

static int audited(const char *action, const char *subject, int64_t *actor)
{
    audit_count a = {action, subject, 0, 0};
    CHECK_EQ(bw_audit_list(ctx, store, 0, 100000, count_audit, &a), BW_OK);
    if (actor)
        *actor = a.actor;
    return a.count;
}

/* ---- the vault --------------------------------------------------------------------- */

static char key_path[4200], vault_dir[4200];

/* A raw key whose own last byte is a line end or a space (one key in 85 from
 * /dev/urandom) is the whole key: what it sealed opens under the same key
 * written as hex, and as raw bytes followed by a line end. */
static void raw_key_ends_in_white_space(unsigned char key[32])
{
    static const char ends[] = "\n\r ";
    for (int e = 0; e < 3; e++) {
        key[31] = (unsigned char)ends[e];
        write_file(key_path, key, 32, 0600);
        bw_vault *v = NULL;
        CHECK_EQ(bw_vault_open(ctx, &v, vault_dir, key_path), BW_OK);
        char ref[BW_VAULT_REF_CHARS + 1];
        static const char text[] = "sealed under a key ending in white space";
        CHECK_EQ(bw_vault_put(ctx, v, ref, text, sizeof text), BW_OK);
        bw_vault_close(v);

        char hex[65];
        bw_hex_encode(hex, key, 32);
        unsigned char lf[33], crlf[34];
        memcpy(lf, key, 32);
        memcpy(crlf, key, 32);
        lf[32] = '\n';
        memcpy(crlf + 32, "\r\n", 2);
        const struct {
            const void *data;
            size_t size;
        } forms[] = {{hex, 64}, {lf, 33}, {crlf, 34}};
        for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
            write_file(key_path, forms[f].data, forms[f].size, 0600);
            CHECK_EQ(bw_vault_open(ctx, &v, vault_dir, key_path), BW_OK);
            uint8_t *data = NULL;
            size_t size = 0;
            CHECK_EQ(bw_vault_get(ctx, v, &data, &size, ref), BW_OK);
            CHECK(size == sizeof text && data && !memcmp(data, text, size));
            bw_vault_data_free(data, size);
            bw_vault_close(v);
        }
        write_file(key_path, key, 32, 0600);
        CHECK_EQ(bw_vault_open(ctx, &v, vault_dir, key_path), BW_OK);
        CHECK_EQ(bw_vault_delete(ctx, v, ref), BW_OK);
        bw_vault_close(v);
    }
}

static void vault(void)
{
    bw_vault *v = NULL;
    unsigned char key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (unsigned char)(i * 7 + 1);
    snprintf(key_path, sizeof key_path, "%s/review-key-%d", dir, (int)getpid());
    snprintf(vault_dir, sizeof vault_dir, "%s/review-vault-%d", dir, (int)getpid());
    write_file(key_path, key, 32, 0644);
    CHECK_EQ(bw_vault_open(ctx, &v, vault_dir, key_path), BW_ERR_PERMISSION);
    write_file(key_path, key, 31, 0600);
    CHECK_EQ(bw_vault_open(ctx, &v, vault_dir, key_path), BW_ERR_PARSE);
    char hex[66];
    bw_hex_encode(hex, key, 32);
    hex[64] = '\n';
    write_file(key_path, hex, 65, 0600);
    CHECK_EQ(bw_vault_open(ctx, &v, vault_dir, key_path), BW_OK);

    static const char secret[] = "benign test bytes: MARKER-7f3a, nothing else";
    char ref[BW_VAULT_REF_CHARS + 1], ref2[BW_VAULT_REF_CHARS + 1];
    CHECK_EQ(bw_vault_put(ctx, v, ref, secret, sizeof secret), BW_OK);
    CHECK_EQ(bw_vault_put(ctx, v, ref2, secret, sizeof secret), BW_OK);
    CHECK_EQ(strlen(ref), BW_VAULT_REF_CHARS);
    CHECK(strcmp(ref, ref2) != 0);
    uint8_t *data = NULL;
    size_t size = 0;
    CHECK_EQ(bw_vault_get(ctx, v, &data, &size, ref), BW_OK);
    CHECK(size == sizeof secret && data && !memcmp(data, secret, size));
    bw_vault_data_free(data, size);

    /* At rest: no plaintext, mode 0600. */
    char path[4400], path2[4400];
    snprintf(path, sizeof path, "%s/%s.bwm", vault_dir, ref);
    snprintf(path2, sizeof path2, "%s/%s.bwm", vault_dir, ref2);
    size_t n = 0;
    unsigned char *raw = bwt_read(path, &n);
    CHECK(raw && n == sizeof secret + 44);
    bool plain = false;
    for (size_t i = 0; raw && i + 6 <= n; i++)
        plain |= !memcmp(raw + i, "MARKER", 6);
    CHECK(raw && !plain);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

    /* One flipped bit, a file renamed over another reference, a short
     * file, and another key: none opens. */
    raw[n - 1] ^= 1;
    write_file(path2, raw, n, 0600);
    CHECK_EQ(bw_vault_get(ctx, v, &data, &size, ref2), BW_ERR_VERIFY);
    raw[n - 1] ^= 1;
    write_file(path2, raw, n, 0600);
    CHECK_EQ(bw_vault_get(ctx, v, &data, &size, ref2), BW_ERR_VERIFY);
    write_file(path2, raw, 20, 0600);
    CHECK_EQ(bw_vault_get(ctx, v, &data, &size, ref2), BW_ERR_VERIFY);
    CHECK(data == NULL);
    free(raw);
    bw_vault *other = NULL;
    key[0] ^= 1;
    write_file(key_path, key, 32, 0600);
    CHECK_EQ(bw_vault_open(ctx, &other, vault_dir, key_path), BW_OK);
    CHECK_EQ(bw_vault_get(ctx, other, &data, &size, ref), BW_ERR_VERIFY);
    bw_vault_close(other);
    raw_key_ends_in_white_space(key);
    CHECK_EQ(bw_vault_get(ctx, v, &data, &size, "../../etc/passwd"), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_vault_get(ctx, v, &data, &size, "0123456789ABCDEF0123456789ABCDEF"),
             BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_vault_delete(ctx, v, ref2), BW_OK);
    CHECK_EQ(bw_vault_delete(ctx, v, ref2), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_vault_delete(ctx, v, ref), BW_OK);
    bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, 8);
    CHECK_EQ(bw_vault_put(ctx, v, ref, secret, sizeof secret), BW_OK);
    CHECK_EQ(bw_vault_get(ctx, v, &data, &size, ref), BW_ERR_TOO_LARGE);
    bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, 1 << 20);
    CHECK_EQ(bw_vault_delete(ctx, v, ref), BW_OK);
    bw_vault_close(v);
    bw_vault_close(NULL);
}

/* ---- media of match events, and retention ------------------------------------------ */

static void media(void)
{
    bw_vault *v = NULL;
    unsigned char key[32] = {9};
    write_file(key_path, key, 32, 0600);
    CHECK_EQ(bw_vault_open(ctx, &v, vault_dir, key_path), BW_OK);
    static const char content[] = "benign bytes standing for an upload";
    char old_ref[BW_VAULT_REF_CHARS + 1], new_ref[BW_VAULT_REF_CHARS + 1];
    char orphan[BW_VAULT_REF_CHARS + 1], young_orphan[BW_VAULT_REF_CHARS + 1];
    CHECK_EQ(bw_vault_put(ctx, v, old_ref, content, sizeof content), BW_OK);
    CHECK_EQ(bw_vault_put(ctx, v, new_ref, content, sizeof content), BW_OK);
    CHECK_EQ(bw_vault_put(ctx, v, orphan, content, sizeof content), BW_OK);
    CHECK_EQ(bw_vault_put(ctx, v, young_orphan, content, sizeof content), BW_OK);
    const int64_t old_event = record(NULL, old_ref), new_event = record(NULL, new_ref);
    const int64_t bare = record(NULL, NULL);

    bw_ctx_set_actor(ctx, 77);
    uint8_t *data = NULL;
    size_t size = 0;
    CHECK_EQ(bw_event_media(ctx, store, v, &data, &size, new_event), BW_OK);
    CHECK(size == sizeof content && !memcmp(data, content, size));
    bw_vault_data_free(data, size);
    char subject[32];
    snprintf(subject, sizeof subject, "event:%lld", (long long)new_event);
    int64_t actor = 0;
    CHECK_EQ(audited("media.view", subject, &actor), 1);
    CHECK_EQ(actor, 77);
    CHECK_EQ(bw_event_media_revealed(ctx, store, new_event), BW_OK);
    CHECK_EQ(audited("media.reveal", subject, &actor), 1);
    CHECK_EQ(bw_event_media_revealed(ctx, store, bare), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_event_media(ctx, store, v, &data, &size, bare), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_event_media(ctx, store, v, &data, &size, 999999), BW_ERR_NOT_FOUND);
    bw_ctx_set_actor(ctx, 0);

    /* The old event and the orphan are past retention; the rest is not. */
    const int64_t now = bwi_now(), cutoff = now - 3600;
    sql("UPDATE match_events SET at = $1 WHERE id = $2", cutoff - 10, old_event);
    char path[4400];
    snprintf(path, sizeof path, "%s/%s.bwm", vault_dir, orphan);
    const struct utimbuf past = {(time_t)(cutoff - 10), (time_t)(cutoff - 10)};
    CHECK(utime(path, &past) == 0);
    uint64_t deleted = 0;
    CHECK_EQ(bw_media_expire(ctx, store, v, cutoff, &deleted), BW_OK);
    CHECK_EQ(deleted, 2);
    CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof path, "%s/%s.bwm", vault_dir, old_ref);
    CHECK(access(path, F_OK) != 0);
    CHECK_EQ(bw_event_media(ctx, store, v, &data, &size, old_event), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_event_media(ctx, store, v, &data, &size, new_event), BW_OK);
    bw_vault_data_free(data, size);
    snprintf(subject, sizeof subject, "event:%lld", (long long)old_event);
    CHECK_EQ(audited("media.expire", subject, NULL), 1);
    CHECK_EQ(bw_media_expire(ctx, store, v, cutoff, &deleted), BW_OK);
    CHECK_EQ(deleted, 0);
    /* Everything goes once the period covers it. */
    CHECK_EQ(bw_media_expire(ctx, store, v, now + 10, &deleted), BW_OK);
    CHECK_EQ(deleted, 2);
    CHECK_EQ(bw_event_media(ctx, store, v, &data, &size, new_event), BW_ERR_NOT_FOUND);
    bw_vault_close(v);
    rmdir(vault_dir);
}

/* ---- reports ------------------------------------------------------------------------ */

typedef struct buffer {
    char *data;
    size_t len;
} buffer;

static int to_buffer(void *arg, const void *p, size_t n)
{
    buffer *b = arg;
    char *g = realloc(b->data, b->len + n + 1);
    if (!g)
        return 1;
    memcpy(g + b->len, p, n);
    b->data = g;
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static char *xpath_text(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr x = xmlXPathNewContext(doc);
    xmlXPathObjectPtr r = x ? xmlXPathEvalExpression((const xmlChar *)expr, x) : NULL;
    char *s = r && r->stringval ? strdup((const char *)r->stringval) : strdup("");
    xmlXPathFreeObject(r);
    xmlXPathFreeContext(x);
    return s;
}

static void check_xpath(xmlDocPtr doc, const char *expr, const char *want)
{
    char *got = xpath_text(doc, expr);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "  %s\n", expr);
    CHECK_STR(got, want);
    free(got);
}

/* Parses and validates against the committed schema; NULL when invalid. */
static xmlDocPtr valid_xml(const char *xml, size_t n)
{
    xmlSchemaParserCtxtPtr pc =
        xmlSchemaNewParserCtxt(BW_SOURCE_DIR "/docs/schemas/cybertipline-report.xsd");
    xmlSchemaPtr schema = pc ? xmlSchemaParse(pc) : NULL;
    xmlSchemaValidCtxtPtr vc = schema ? xmlSchemaNewValidCtxt(schema) : NULL;
    xmlDocPtr doc = xmlReadMemory(xml, (int)n, "report.xml", "UTF-8", XML_PARSE_NONET);
    const int invalid = doc && vc ? xmlSchemaValidateDoc(vc, doc) : -1;
    CHECK(schema != NULL);
    CHECK(doc != NULL);
    CHECK_EQ(invalid, 0);
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pc);
    if (invalid) {
        fprintf(stderr, "%s\n", xml);
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

static const char reporter[] =
    "{\"organisation\":\"Example Photos Ltd\",\"first_name\":\"Ada\",\"last_name\":\"Reviewer\","
    "\"email\":\"safety@example.org\",\"legal_url\":\"https://example.org/legal\"}";

static void reports(void)
{
    /* What the platform said, with markup, a control character and
     * fields Bulwark has no place for. */
    const int64_t id = record("{\"user_id\":\"u<&>\\\"1\",\"email\":\"bad@example.net\","
                              "\"ip\":\"192.0.2.7\",\"service\":\"photos\",\"file_name\":"
                              "\"holiday\\u0001.jpg\",\"publicly_available\":false,"
                              "\"upload_id\":42,\"thread\":{\"id\":\"t9\"}}",
                              NULL);
    const int64_t pending = record(NULL, NULL);
    buffer b = {NULL, 0};
    CHECK_EQ(bw_report_write(ctx, store, id, BW_REPORT_NCMEC, reporter, to_buffer, &b),
             BW_ERR_INVALID_ARGUMENT); /* not confirmed yet */
    CHECK(b.len == 0);
    CHECK_EQ(bw_event_review(ctx, store, id, 5, BW_REVIEW_CONFIRMED, "seen", NULL), BW_OK);
    CHECK_EQ(bw_report_write(ctx, store, id, BW_REPORT_NCMEC, "{\"first_name\":\"A\"}",
                             to_buffer, &b),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_report_write(ctx, store, id, BW_REPORT_NCMEC, "[1]", to_buffer, &b),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_report_write(ctx, store, id, BW_REPORT_NCMEC,
                             "{\"first_name\":\"A\",\"last_name\":\"B\",\"email\":\"nobody\"}",
                             to_buffer, &b),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_report_write(ctx, store, 999999, BW_REPORT_NCMEC, reporter, to_buffer, &b),
             BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_report_write(ctx, store, pending, BW_REPORT_JSON, reporter, to_buffer, &b),
             BW_ERR_INVALID_ARGUMENT);
    bw_ctx_set_actor(ctx, 5);
    CHECK_EQ(bw_report_write(ctx, store, id, BW_REPORT_NCMEC, reporter, to_buffer, &b), BW_OK);
    xmlDocPtr doc = valid_xml(b.data, b.len);
    if (doc) {
        check_xpath(doc, "string(/*/report/incidentSummary/incidentType)",
                    "Child Pornography (possession, manufacture, and distribution)");
        check_xpath(doc, "string(/*/report/personOrUserReported/espIdentifier)", "u<&>\"1");
        check_xpath(doc, "string(/*/report/personOrUserReported/espService)", "photos");
        check_xpath(doc, "string(/*/report/personOrUserReported/personOrUserReportedPerson/email)",
                    "bad@example.net");
        check_xpath(doc, "string(/*/report/personOrUserReported/ipCaptureEvent/ipAddress)",
                    "192.0.2.7");
        check_xpath(doc, "string(/*/report/reporter/reportingPerson/email)",
                    "safety@example.org");
        check_xpath(doc, "string(/*/fileDetails/originalFileName)", "holiday\xEF\xBF\xBD.jpg");
        check_xpath(doc, "string(/*/fileDetails/originalFileHash[@hashType='MD5'])", md5_hex);
        check_xpath(doc, "string(/*/fileDetails/fileViewedByEsp)", "false");
        check_xpath(doc, "string(/*/fileDetails/publiclyAvailable)", "false");
        char *info = xpath_text(doc, "string(/*/report/personOrUserReported/additionalInfo)");
        CHECK(strstr(info, "upload_id: 42") && strstr(info, "thread: {\"id\":\"t9\"}"));
        free(info);
        info = xpath_text(doc, "string(/*/fileDetails/additionalInfo)");
        CHECK(strstr(info, "Matched hash list 'known': pdq ") && strstr(info, "distance 3"));
        free(info);
        xmlFreeDoc(doc);
    }
    char subject[32];
    snprintf(subject, sizeof subject, "event:%lld", (long long)id);
    int64_t actor = 0;
    CHECK_EQ(audited("report.export", subject, &actor), 1);
    CHECK_EQ(actor, 5);

    /* Delivered (blurred) is not viewed; revealed is. */
    CHECK_EQ(bw_audit_append(ctx, store, 5, "media.view", subject, NULL), BW_OK);
    free(b.data);
    b = (buffer){NULL, 0};
    CHECK_EQ(bw_report_write(ctx, store, id, BW_REPORT_NCMEC, reporter, to_buffer, &b), BW_OK);
    CHECK(b.data && strstr(b.data, "<fileViewedByEsp>false</fileViewedByEsp>"));
    CHECK_EQ(bw_audit_append(ctx, store, 5, "media.reveal", subject, NULL), BW_OK);
    free(b.data);
    b = (buffer){NULL, 0};
    CHECK_EQ(bw_report_write(ctx, store, id, BW_REPORT_NCMEC, reporter, to_buffer, &b), BW_OK);
    doc = valid_xml(b.data, b.len);
    if (doc)
        check_xpath(doc, "string(/*/fileDetails/fileViewedByEsp)", "true");
    xmlFreeDoc(doc);

    free(b.data);
    b = (buffer){NULL, 0};
    CHECK_EQ(bw_report_write(ctx, store, id, BW_REPORT_JSON, "{}", to_buffer, &b), BW_OK);
    json_t *j = json_loadb(b.data, b.len, 0, NULL);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "format")), "bulwark-report/1");
    const json_t *user = json_object_get(j, "reported_user");
    CHECK_STR(json_string_value(json_object_get(user, "user_id")), "u<&>\"1");
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(user, "context"), "upload_id")),
             42);
    const json_t *file = json_array_get(json_object_get(j, "files"), 0);
    CHECK_STR(json_string_value(json_object_get(json_object_get(file, "hashes"), "md5")), md5_hex);
    CHECK(json_is_true(json_object_get(file, "viewed_by_reviewer")));
    const json_t *m = json_array_get(json_object_get(j, "matches"), 0);
    CHECK_STR(json_string_value(json_object_get(m, "bank")), "known");
    CHECK_EQ(json_integer_value(json_object_get(m, "distance")), 3);
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(j, "incident"), "event_id")), id);
    json_decref(j);
    free(b.data);
    CHECK_EQ(audited("report.export", subject, NULL), 4);
    bw_report_format f;
    CHECK_EQ(bw_report_format_parse(&f, "json"), BW_OK);
    CHECK_EQ(f, BW_REPORT_JSON);
    CHECK_EQ(bw_report_format_parse(&f, "pdf"), BW_ERR_PARSE);
    CHECK_STR(bw_report_format_name(BW_REPORT_NCMEC), "ncmec");
    bw_ctx_set_actor(ctx, 0);
}

/* ---- statistics ----------------------------------------------------------------------- */

typedef struct seen_stats {
    bw_stats_info s;
    bw_stats_row rows[8];
    char banks[8][64];
} seen_stats;

static int take_stats(void *arg, const bw_stats_info *s)
{
    seen_stats *x = arg;
    x->s = *s;
    for (size_t i = 0; i < s->row_count && i < 8; i++) {
        x->rows[i] = s->rows[i];
        snprintf(x->banks[i], sizeof x->banks[i], "%s", s->rows[i].bank);
    }
    return 0;
}

static void stats(void)
{
    CHECK_EQ(bw_bank_create(ctx, store, "other", BW_BANK_BLOCK, NULL), BW_OK);
    /* Four events on two days long ago, at times set below. */
    const int64_t d0 = 19676 * 86400LL; /* 2023-11-15 00:00 UTC */
    int64_t e[4];
    for (int i = 0; i < 4; i++)
        e[i] = record(NULL, NULL);
    CHECK_EQ(bw_event_review(ctx, store, e[0], 5, BW_REVIEW_CONFIRMED, NULL, NULL), BW_OK);
    CHECK_EQ(bw_event_review(ctx, store, e[1], 5, BW_REVIEW_FALSE_POSITIVE, NULL, "fp-stats"),
             BW_OK);
    CHECK_EQ(bw_event_review(ctx, store, e[3], 6, BW_REVIEW_CONFIRMED, NULL, NULL), BW_OK);
    const int64_t at[4] = {d0 + 100, d0 + 200, d0 + 86400 + 5, d0 + 86400 + 10};
    const int64_t took[4] = {60, 120, 0, 600};
    for (int i = 0; i < 4; i++) {
        sql("UPDATE match_events SET at = $1 WHERE id = $2", at[i], e[i]);
        if (took[i])
            sql("UPDATE match_events SET reviewed_at = at + $1 WHERE id = $2", took[i], e[i]);
    }
    const bwi_sql_value p[] = {BWI_TEXT("other"), BWI_INT(e[3])};
    bwi_store_lock(store);
    CHECK_EQ(bwi_sql(ctx, store, "UPDATE match_events SET top_bank = $1 WHERE id = $2", p, 2,
                     NULL, NULL),
             BW_OK);
    bwi_store_unlock(store);

    seen_stats x;
    memset(&x, 0, sizeof x);
    CHECK_EQ(bw_stats_compute(ctx, store, d0, d0 + 2 * 86400, NULL, take_stats, &x), BW_OK);
    CHECK_EQ(x.s.matches, 4);
    CHECK_EQ(x.s.row_count, 3);
    CHECK_EQ(x.rows[0].day, d0);
    CHECK_STR(x.banks[0], "known");
    CHECK_EQ(x.rows[0].matches, 2);
    CHECK_EQ(x.rows[0].by_status[BW_REVIEW_CONFIRMED], 1);
    CHECK_EQ(x.rows[0].by_status[BW_REVIEW_FALSE_POSITIVE], 1);
    CHECK_EQ(x.rows[1].day, d0 + 86400);
    CHECK_STR(x.banks[1], "known");
    CHECK_EQ(x.rows[1].by_status[BW_REVIEW_PENDING], 1);
    CHECK_STR(x.banks[2], "other");
    CHECK_EQ(x.rows[2].by_status[BW_REVIEW_CONFIRMED], 1);
    CHECK_EQ(x.s.by_status[BW_REVIEW_CONFIRMED], 2);
    CHECK_EQ(x.s.decided, 3);
    CHECK(x.s.false_positive_rate > 0.3333 && x.s.false_positive_rate < 0.3334);
    CHECK_EQ(x.s.median_review_seconds, 120);
    CHECK_EQ(x.s.self_reports_counted, 0);
    /* The decisions were made now, not then. */
    CHECK_EQ(x.s.decisions[BW_REVIEW_CONFIRMED], 0);

    /* Two decided events: the median is their mean. */
    CHECK_EQ(bw_stats_compute(ctx, store, d0, d0 + 86400, NULL, take_stats, &x), BW_OK);
    CHECK_EQ(x.s.median_review_seconds, 90);
    CHECK_EQ(x.s.row_count, 1);
    /* Nothing reviewed: no median, no rate. */
    CHECK_EQ(bw_stats_compute(ctx, store, d0 - 86400, d0, NULL, take_stats, &x), BW_OK);
    CHECK_EQ(x.s.matches, 0);
    CHECK_EQ(x.s.median_review_seconds, -1);
    CHECK(x.s.false_positive_rate < 0);

    /* Self-reports: three hashes filed now, one withdrawn. */
    CHECK_EQ(bw_bank_create(ctx, store, "self-reports", BW_BANK_BLOCK, NULL), BW_OK);
    int64_t sig[3];
    static const char *const hashes[3] = {"00000000000000000000000000000001",
                                          "00000000000000000000000000000002",
                                          "00000000000000000000000000000003"};
    for (int i = 0; i < 3; i++)
        CHECK_EQ(bw_signal_add(ctx, store, "self-reports", BW_SIGNAL_MD5, hashes[i], "device",
                               NULL, &sig[i]),
                 BW_OK);
    CHECK_EQ(bw_signal_remove(ctx, store, sig[1]), BW_OK);
    const int64_t now = bwi_now();
    CHECK_EQ(bw_stats_compute(ctx, store, now - 86400, now + 86400, "self-reports", take_stats,
                              &x),
             BW_OK);
    CHECK_EQ(x.s.self_reports_counted, 1);
    CHECK_EQ(x.s.self_reports_received, 3);
    CHECK_EQ(x.s.self_reports_withdrawn, 1);
    /* Every review decision of this run was made in this window. */
    CHECK_EQ(x.s.decisions[BW_REVIEW_CONFIRMED], audited("review.confirmed", NULL, NULL));
    CHECK_EQ(x.s.decisions[BW_REVIEW_FALSE_POSITIVE], audited("review.false_positive", NULL, NULL));
    CHECK(x.s.decisions[BW_REVIEW_CONFIRMED] >= 2);

    buffer b = {NULL, 0};
    CHECK_EQ(bw_stats_write_csv(ctx, store, d0, d0 + 2 * 86400, to_buffer, &b), BW_OK);
    CHECK_STR(b.data, "date,bank,matches,pending,confirmed,false_positive,escalated,not_needed\n"
                      "2023-11-15,known,2,0,1,1,0,0\n"
                      "2023-11-16,known,1,1,0,0,0,0\n"
                      "2023-11-16,other,1,0,1,0,0,0\n");
    free(b.data);
    CHECK_EQ(bw_stats_compute(ctx, store, d0, d0, NULL, take_stats, &x), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_stats_compute(ctx, store, 0, 4000LL * 86400, NULL, take_stats, &x),
             BW_ERR_INVALID_ARGUMENT);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (!bwt_store_location(location, sizeof location, argv[1], argc > 2 ? argv[2] : NULL,
                            "test-review")) {
        printf("SKIP: BW_TEST_PG_URI not set (run through tests/pg/with-postgres.sh)\n");
        return BWT_SKIP;
    }
    snprintf(dir, sizeof dir, "%s", argc > 2 ? argv[2] : "/tmp");
    bw_ctx_create(&ctx);
    if (bw_store_open(ctx, &store, location) != BW_OK) {
        fprintf(stderr, "%s\n", bw_ctx_message(ctx));
        return 1;
    }
    CHECK_EQ(bw_bank_create(ctx, store, "known", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "known", BW_SIGNAL_PDQ, banked_hex, "t", NULL, NULL),
             BW_OK);
    CHECK_EQ(bw_matcher_create(ctx, &matcher, store), BW_OK);
    CHECK_EQ(bw_matches_create(&found), BW_OK);
    RUN(vault);
    RUN(media);
    RUN(reports);
    RUN(stats);
    bw_matches_free(found);
    bw_matcher_free(matcher);
    bw_store_close(store);
    bw_ctx_free(ctx);
    unlink(key_path);
    xmlCleanupParser();
    if (strcmp(argv[1], "postgresql") != 0)
        bwt_remove_sqlite(location);
    return BWT_RESULT();
}

/*
 * Hash-list formats: parsing one line of input and writing one signal.
 *   lines  "<type> <value>" (HMA, python-threatexchange)
 *   csv    a header naming the columns: type, value, and optionally metadata
 *          (a JSON object), source, added_at (Unix seconds), enabled;
 *          RFC 4180 quoting, one record a line
 *   jsonl  {"type": ..., "value": ..., "metadata": {...}, "source": ...,
 *          "added_at": ..., "enabled": ...}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "list_format.h"

BW_API const char *bw_list_format_name(bw_list_format format)
{
    switch (format) {
    case BW_LIST_LINES:
        return "lines";
    case BW_LIST_CSV:
        return "csv";
    case BW_LIST_JSONL:
        return "jsonl";
    }
    return "unknown";
}

BW_API bw_status bw_list_format_parse(bw_list_format *format_out, const char *name)
{
    if (!format_out || !name)
        return BW_ERR_INVALID_ARGUMENT;
    if (!strcmp(name, "lines") || !strcmp(name, "txt") || !strcmp(name, "hma"))
        *format_out = BW_LIST_LINES;
    else if (!strcmp(name, "csv"))
        *format_out = BW_LIST_CSV;
    else if (!strcmp(name, "jsonl") || !strcmp(name, "json") || !strcmp(name, "ndjson"))
        *format_out = BW_LIST_JSONL;
    else
        return BW_ERR_PARSE;
    return BW_OK;
}

void bwi_parsed_clear(bwi_parsed *p)
{
    /* Not a memset: raw is 2 KiB and this runs for every line. */
    free(p->metadata);
    free(p->source);
    free(p->body);
    p->metadata = NULL;
    p->source = NULL;
    p->body = NULL;
    p->body_size = 0;
    p->raw_size = 0;
}

static bw_status set_value(bw_ctx *ctx, bwi_parsed *p, const char *type, size_t tlen,
                           const char *value, size_t vlen)
{
    if (bw_signal_type_parse(&p->type, type, tlen) != BW_OK)
        return bwi_fail(ctx, BW_ERR_PARSE, "unknown signal type '%.*s'",
                        (int)(tlen > 32 ? 32 : tlen), type);
    if (vlen > BW_SIGNAL_VALUE_MAX && p->type != BW_SIGNAL_VPDQ)
        return bwi_fail(ctx, BW_ERR_PARSE, "value longer than %d bytes", BW_SIGNAL_VALUE_MAX);
    return bwi_value_encode(ctx, p->type, value, vlen, p->raw, &p->raw_size, &p->body,
                            &p->body_size);
}

static bw_status set_time(bw_ctx *ctx, bwi_parsed *p, const char *s, size_t n)
{
    if (n == 0)
        return BW_OK;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - 9) / 10)
            return bwi_fail(ctx, BW_ERR_PARSE, "added_at must be Unix seconds");
        v = v * 10 + (s[i] - '0');
    }
    p->added_at = v;
    return BW_OK;
}

static bw_status set_enabled(bw_ctx *ctx, bwi_parsed *p, const char *s, size_t n)
{
    if (n == 0)
        return BW_OK;
    if ((n == 4 && !strncasecmp(s, "true", 4)) || (n == 1 && s[0] == '1'))
        p->enabled = 1;
    else if ((n == 5 && !strncasecmp(s, "false", 5)) || (n == 1 && s[0] == '0'))
        p->enabled = 0;
    else
        return bwi_fail(ctx, BW_ERR_PARSE, "enabled must be true or false");
    return BW_OK;
}

static bw_status set_source(bw_ctx *ctx, bwi_parsed *p, const char *s, size_t n)
{
    if (n == 0)
        return BW_OK;
    const bw_status st = bwi_source_check(ctx, s, n);
    if (st != BW_OK)
        return st;
    p->source = strndup(s, n);
    return p->source ? BW_OK : bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
}

static bool blank_or_comment(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    return i == len || line[i] == '#';
}

static bw_status parse_lines(bw_ctx *ctx, const char *line, size_t len, bwi_parsed *p)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    const size_t t0 = i;
    while (i < len && line[i] != ' ' && line[i] != '\t')
        i++;
    const size_t t1 = i;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    size_t v1 = len;
    while (v1 > i && (line[v1 - 1] == ' ' || line[v1 - 1] == '\t' || line[v1 - 1] == '\r'))
        v1--;
    if (i == v1)
        return bwi_fail(ctx, BW_ERR_PARSE, "expected '<type> <value>'");
    /* A vPDQ value is a JSON list, which other tools write with spaces. */
    bw_signal_type type;
    const bool spaced = bw_signal_type_parse(&type, line + t0, t1 - t0) == BW_OK &&
                        type == BW_SIGNAL_VPDQ;
    for (size_t k = i; k < v1 && !spaced; k++)
        if (line[k] == ' ' || line[k] == '\t')
            return bwi_fail(ctx, BW_ERR_PARSE, "unexpected text after the value");
    return set_value(ctx, p, line + t0, t1 - t0, line + i, v1 - i);
}

/* Splits a CSV record into at most max fields, unquoting in place into
 * buf (which must hold len bytes). */
static bw_status csv_fields(bw_ctx *ctx, const char *line, size_t len, char *buf,
                            const char **field, size_t *flen, int max, int *count)
{
    int n = 0;
    size_t i = 0, w = 0;
    while (len && (line[len - 1] == '\r'))
        len--;
    for (;;) {
        if (n == max)
            return bwi_fail(ctx, BW_ERR_PARSE, "more than %d fields", max);
        field[n] = buf + w;
        const size_t start = w;
        if (i < len && line[i] == '"') {
            i++;
            for (;;) {
                if (i >= len)
                    return bwi_fail(ctx, BW_ERR_PARSE, "unterminated quoted field");
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        buf[w++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                buf[w++] = line[i++];
            }
            if (i < len && line[i] != ',')
                return bwi_fail(ctx, BW_ERR_PARSE, "text after a closing quote");
        } else {
            while (i < len && line[i] != ',') {
                if (line[i] == '"')
                    return bwi_fail(ctx, BW_ERR_PARSE, "quote inside an unquoted field");
                buf[w++] = line[i++];
            }
        }
        flen[n++] = w - start;
        if (i >= len)
            break;
        i++; /* the comma */
    }
    *count = n;
    return BW_OK;
}

enum { COL_TYPE, COL_VALUE, COL_METADATA, COL_SOURCE, COL_ADDED_AT, COL_ENABLED, COLS };
static const char *const col_names[COLS] = {"type", "value", "metadata", "source",
                                           "added_at", "enabled"};

static bw_status csv_header(bw_ctx *ctx, bwi_list_parser *ps, const char *line, size_t len)
{
    char *buf = malloc(len + 1);
    const char *field[BWI_CSV_MAX_FIELDS];
    size_t flen[BWI_CSV_MAX_FIELDS];
    int n;
    if (!buf)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    bw_status st = csv_fields(ctx, line, len, buf, field, flen, BWI_CSV_MAX_FIELDS, &n);
    for (int c = 0; c < COLS; c++)
        ps->column[c] = -1;
    for (int f = 0; st == BW_OK && f < n; f++)
        for (int c = 0; c < COLS; c++)
            if (flen[f] == strlen(col_names[c]) &&
                !strncasecmp(field[f], col_names[c], flen[f]))
                ps->column[c] = f;
    if (st == BW_OK && (ps->column[COL_TYPE] < 0 || ps->column[COL_VALUE] < 0))
        st = bwi_fail(ctx, BW_ERR_PARSE,
                      "the CSV header must name at least the columns 'type' and 'value'");
    free(buf);
    return st;
}

static bw_status parse_csv(bw_ctx *ctx, bwi_list_parser *ps, const char *line, size_t len,
                           bwi_parsed *p)
{
    char *buf = malloc(len + 1);
    const char *field[BWI_CSV_MAX_FIELDS];
    size_t flen[BWI_CSV_MAX_FIELDS];
    int n;
    if (!buf)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    bw_status st = csv_fields(ctx, line, len, buf, field, flen, BWI_CSV_MAX_FIELDS, &n);
    const char *get[COLS] = {0};
    size_t glen[COLS] = {0};
    for (int c = 0; st == BW_OK && c < COLS; c++) {
        const int f = ps->column[c];
        if (f >= n) {
            if (c <= COL_VALUE)
                st = bwi_fail(ctx, BW_ERR_PARSE, "missing the '%s' field", col_names[c]);
        } else if (f >= 0) {
            get[c] = field[f];
            glen[c] = flen[f];
        }
    }
    if (st == BW_OK)
        st = set_value(ctx, p, get[COL_TYPE], glen[COL_TYPE], get[COL_VALUE], glen[COL_VALUE]);
    if (st == BW_OK && get[COL_METADATA])
        st = bwi_metadata_check(ctx, get[COL_METADATA], glen[COL_METADATA], &p->metadata);
    if (st == BW_OK && get[COL_SOURCE])
        st = set_source(ctx, p, get[COL_SOURCE], glen[COL_SOURCE]);
    if (st == BW_OK && get[COL_ADDED_AT])
        st = set_time(ctx, p, get[COL_ADDED_AT], glen[COL_ADDED_AT]);
    if (st == BW_OK && get[COL_ENABLED])
        st = set_enabled(ctx, p, get[COL_ENABLED], glen[COL_ENABLED]);
    free(buf);
    return st;
}

static bw_status parse_jsonl(bw_ctx *ctx, const char *line, size_t len, bwi_parsed *p)
{
    json_error_t err;
    json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return bwi_fail(ctx, BW_ERR_PARSE, "invalid JSON: %s", err.text);
    bw_status st = BW_OK;
    const json_t *type = json_object_get(j, "type"), *value = json_object_get(j, "value");
    const json_t *meta = json_object_get(j, "metadata"), *src = json_object_get(j, "source");
    const json_t *at = json_object_get(j, "added_at"), *en = json_object_get(j, "enabled");
    if (!json_is_object(j))
        st = bwi_fail(ctx, BW_ERR_PARSE, "each line must be a JSON object");
    else if (!json_is_string(type) || !json_is_string(value))
        st = bwi_fail(ctx, BW_ERR_PARSE, "'type' and 'value' must be strings");
    if (st == BW_OK)
        st = set_value(ctx, p, json_string_value(type), json_string_length(type),
                       json_string_value(value), json_string_length(value));
    if (st == BW_OK && meta && !json_is_null(meta)) {
        if (!json_is_object(meta))
            st = bwi_fail(ctx, BW_ERR_PARSE, "metadata must be a JSON object");
        else if (!(p->metadata = json_dumps(meta, JSON_COMPACT)))
            st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    }
    if (st == BW_OK && src && !json_is_null(src)) {
        if (!json_is_string(src))
            st = bwi_fail(ctx, BW_ERR_PARSE, "source must be a string");
        else
            st = set_source(ctx, p, json_string_value(src), json_string_length(src));
    }
    if (st == BW_OK && at && !json_is_null(at)) {
        if (!json_is_integer(at) || json_integer_value(at) < 0)
            st = bwi_fail(ctx, BW_ERR_PARSE, "added_at must be Unix seconds");
        else
            p->added_at = json_integer_value(at);
    }
    if (st == BW_OK && en && !json_is_null(en)) {
        if (!json_is_boolean(en))
            st = bwi_fail(ctx, BW_ERR_PARSE, "enabled must be true or false");
        else
            p->enabled = json_is_true(en);
    }
    json_decref(j);
    return st;
}

bw_status bwi_parse_line(bw_ctx *ctx, bwi_list_parser *ps, const char *line, size_t len,
                         bwi_parsed *p, bool *skip)
{
    bwi_parsed_clear(p);
    p->enabled = 1;
    p->added_at = -1;
    *skip = false;
    if (blank_or_comment(line, len) && !(ps->format == BW_LIST_CSV && ps->header_seen &&
                                         len > 0 && line[0] == '#')) {
        *skip = true;
        return BW_OK;
    }
    switch (ps->format) {
    case BW_LIST_LINES:
        return parse_lines(ctx, line, len, p);
    case BW_LIST_CSV:
        if (!ps->header_seen) {
            ps->header_seen = true;
            *skip = true;
            return csv_header(ctx, ps, line, len);
        }
        return parse_csv(ctx, ps, line, len, p);
    case BW_LIST_JSONL:
        return parse_jsonl(ctx, line, len, p);
    }
    return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "unknown list format");
}

/* ---- writing ------------------------------------------------------------- */

static void put_csv_field(bwi_text *out, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        bwi_text_puts(out, s);
        return;
    }
    bwi_text_puts(out, "\"");
    for (const char *c = s; *c; c++) {
        if (*c == '"')
            bwi_text_puts(out, "\"");
        bwi_text_append(out, c, 1);
    }
    bwi_text_puts(out, "\"");
}

bool bwi_format_header(bwi_text *out, bw_list_format format)
{
    if (format == BW_LIST_CSV)
        bwi_text_puts(out, "type,value,metadata,source,added_at,enabled\n");
    return !out->failed;
}

bool bwi_format_signal(bwi_text *out, bw_list_format format, const bw_signal_info *s)
{
    char num[32];
    switch (format) {
    case BW_LIST_LINES:
        bwi_text_puts(out, bw_signal_type_name(s->type));
        bwi_text_puts(out, " ");
        bwi_text_puts(out, s->value);
        bwi_text_puts(out, "\n");
        break;
    case BW_LIST_CSV:
        bwi_text_puts(out, bw_signal_type_name(s->type));
        bwi_text_puts(out, ",");
        put_csv_field(out, s->value);
        bwi_text_puts(out, ",");
        put_csv_field(out, s->metadata);
        bwi_text_puts(out, ",");
        put_csv_field(out, s->source);
        snprintf(num, sizeof num, ",%lld,%s\n", (long long)s->added_at,
                 s->enabled ? "true" : "false");
        bwi_text_puts(out, num);
        break;
    case BW_LIST_JSONL: {
        /* jansson makes no string of bytes that are not UTF-8 and
         * json_object_set_new then drops the key: such a value or source
         * (stored before they were checked) fails the export instead. */
        json_t *j = json_object();
        json_t *value = json_string(s->value);
        json_t *source = s->source ? json_string(s->source) : json_null();
        json_t *meta = s->metadata ? json_loads(s->metadata, 0, NULL) : json_null();
        if (!value || !source || !meta) {
            json_decref(value);
            json_decref(source);
            json_decref(meta);
            json_decref(j);
            out->not_utf8 = true;
            out->failed = true;
            break;
        }
        json_object_set_new(j, "type", json_string(bw_signal_type_name(s->type)));
        json_object_set_new(j, "value", value);
        json_object_set_new(j, "metadata", meta);
        json_object_set_new(j, "source", source);
        json_object_set_new(j, "added_at", json_integer(s->added_at));
        json_object_set_new(j, "enabled", json_boolean(s->enabled));
        char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(j);
        if (!text) {
            out->failed = true;
            break;
        }
        bwi_text_puts(out, text);
        bwi_text_puts(out, "\n");
        free(text);
        break;
    }
    }
    return !out->failed;
}

void bwi_text_append(bwi_text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *grown = realloc(t->data, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

void bwi_text_puts(bwi_text *t, const char *s)
{
    bwi_text_append(t, s, strlen(s));
}

void bwi_text_free(bwi_text *t)
{
    free(t->data);
    memset(t, 0, sizeof *t);
}

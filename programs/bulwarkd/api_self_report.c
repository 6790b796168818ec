/*
 * Self-reports (docs/privacy.md): a young person's app sends only the
 * hashes of their own image; they are filed in the self-report bank under
 * a random case id, and the answer carries a withdrawal token that only the
 * app ever sees (the store keeps its SHA-256). From then on the image and
 * its edited copies match for everyone; DELETE with the token withdraws
 * them. A wrong token and an unknown case get the same 404, so neither can
 * be probed.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <sodium.h>

#include "bulwarkd.h"

#define CASE_BYTES 16
#define TOKEN_BYTES 32
#define TOKEN_HEADER "X-Withdrawal-Token"

static bool random_hex(char *out, size_t bytes)
{
    uint8_t b[TOKEN_BYTES];
    if (bytes > sizeof b || getrandom(b, bytes, 0) != (ssize_t)bytes)
        return false;
    bw_hex_encode(out, b, bytes);
    return true;
}

static void token_digest(char out[65], const char *token)
{
    uint8_t d[32];
    bw_digest(BW_DIGEST_SHA256, d, sizeof d, token, strlen(token));
    bw_hex_encode(out, d, sizeof d);
}

/* An operator turns self-reports off with an empty self_report_bank;
 * false after answering. */
static bool enabled(bwd_request *r)
{
    if (*r->srv->cfg.self_report_bank)
        return true;
    bwd_error(r, 404, "not_found", "self-reports are off on this service (self_report_bank is"
              " empty)");
    return false;
}

/* The self-report bank, made on first use; false after answering. */
static bool bank_ready(bwd_request *r, bwd_thread *t)
{
    const char *bank = r->srv->cfg.self_report_bank;
    bw_status st = bw_bank_create(t->ctx, r->srv->store, bank, BW_BANK_BLOCK, NULL);
    if (st != BW_OK && st != BW_ERR_EXISTS) {
        bwd_fail(r, st, t->ctx);
        return false;
    }
    return true;
}

typedef struct report_value {
    bw_signal_type type;
    char value[BW_PDQ_HEX_CHARS + 1];
} report_value;

/* The values of a report, checked before anything is filed; count, or -1
 * after answering 422. */
static int report_values(bwd_request *r, json_t *body, report_value out[10])
{
    int n = 0;
    json_t *pdq = json_object_get(body, "pdq");
    if (pdq && (!json_is_array(pdq) || json_array_size(pdq) > 8)) {
        bwd_error(r, 422, "parse", "'pdq' must be an array of at most 8 hashes");
        return -1;
    }
    for (size_t i = 0; i < json_array_size(pdq); i++)
        out[n++] = (report_value){BW_SIGNAL_PDQ, ""};
    const struct {
        const char *name;
        bw_signal_type type;
    } exact[] = {{"md5", BW_SIGNAL_MD5}, {"sha256", BW_SIGNAL_SHA256}};
    for (int k = 0; k < 2; k++)
        if (json_object_get(body, exact[k].name))
            out[n++] = (report_value){exact[k].type, ""};
    if (n == 0) {
        bwd_error(r, 422, "parse", "a self-report needs 'pdq', 'md5' or 'sha256'");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const json_t *v = out[i].type == BW_SIGNAL_PDQ
                              ? json_array_get(pdq, (size_t)i)
                              : json_object_get(body, bw_signal_type_name(out[i].type));
        const char *text = json_string_value(v), *why = NULL;
        if (!text || bw_signal_normalize(out[i].value, sizeof out[i].value, out[i].type, text,
                                         strlen(text), &why) != BW_OK) {
            bwd_error(r, 422, "parse", "a %s value is not valid: %s",
                      bw_signal_type_name(out[i].type), why ? why : "not a string");
            return -1;
        }
    }
    return n;
}

void bwd_api_self_report_create(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    if (!enabled(r))
        return;
    json_t *body = bwd_body_json(r);
    if (!body)
        return;
    report_value values[10];
    const int n = report_values(r, body, values);
    json_decref(body);
    char case_id[2 * CASE_BYTES + 1], token[2 * TOKEN_BYTES + 1], digest[65];
    if (n < 0 || !bank_ready(r, t))
        return;
    if (!random_hex(case_id, CASE_BYTES) || !random_hex(token, TOKEN_BYTES)) {
        bwd_error(r, 503, "unavailable", "no randomness for a case id");
        return;
    }
    token_digest(digest, token);
    json_t *meta = json_pack("{s:{s:s, s:s}}", "self_report", "case", case_id,
                             "token_sha256", digest);
    char *meta_text = json_dumps(meta, JSON_COMPACT);
    json_decref(meta);
    int filed = 0, already = 0;
    bw_status st = BW_OK;
    for (int i = 0; i < n && st == BW_OK; i++) {
        st = bw_signal_add(t->ctx, r->srv->store, r->srv->cfg.self_report_bank,
                           values[i].type, values[i].value, "self-report", meta_text, NULL);
        /* Already filed by another report: that case owns it. */
        if (st == BW_ERR_EXISTS)
            already++, st = BW_OK;
        else if (st == BW_OK)
            filed++;
    }
    free(meta_text);
    if (filed && bw_matcher_refresh(t->ctx, r->srv->matcher, NULL) != BW_OK)
        bwd_logf(BWD_WARN, "index refresh after a self-report failed", "{s:s}", "error",
                 bw_ctx_message(t->ctx));
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_metrics_count(r->srv->metrics, "self_reports", 1);
    snprintf(r->location, sizeof r->location, "/v1/device/self-reports/%s", case_id);
    bwd_reply(r, 201, json_pack("{s:s, s:s, s:i, s:i}", "case", case_id, "withdrawal_token",
                                token, "filed", filed, "already_reported", already));
    sodium_memzero(token, sizeof token);
}

/* ---- withdrawal -------------------------------------------------------------- */

typedef struct withdrawal {
    const char *bank;
    int64_t ids[16];
    int count;
} withdrawal;

static int collect_id(void *arg, const bw_signal_info *s)
{
    withdrawal *w = arg;
    if (!strcmp(s->bank, w->bank) && w->count < 16)
        w->ids[w->count++] = s->id;
    return 0;
}

/* Whether an exported line belongs to the case and the token opens it. */
static bool owned(json_t *line, const char *case_id, const char *digest)
{
    json_t *sr = json_object_get(json_object_get(line, "metadata"), "self_report");
    const char *c = json_string_value(json_object_get(sr, "case"));
    const char *d = json_string_value(json_object_get(sr, "token_sha256"));
    return c && d && !strcmp(c, case_id) && strlen(d) == 64 &&
           sodium_memcmp(d, digest, 64) == 0;
}

void bwd_api_self_report_withdraw(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    const char *case_id = r->params[0];
    const char *token = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, TOKEN_HEADER);
    if (!enabled(r))
        return;
    if (!token || strlen(token) != 2 * TOKEN_BYTES) {
        bwd_error(r, 400, "bad_request", "send the withdrawal token in %s", TOKEN_HEADER);
        return;
    }
    char digest[65];
    token_digest(digest, token);
    text_buf b = {0};
    withdrawal w = {r->srv->cfg.self_report_bank, {0}, 0};
    bw_status st = bw_bank_export(t->ctx, r->srv->store, w.bank, BW_LIST_JSONL, text_buf_writer,
                                  &b);
    if (st == BW_ERR_NOT_FOUND)
        st = BW_OK; /* no self-report bank yet: nothing to withdraw */
    for (char *line = b.data, *next; st == BW_OK && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        json_t *j = json_loads(line, 0, NULL);
        bw_signal_type type;
        const char *type_name = json_string_value(json_object_get(j, "type"));
        const char *value = json_string_value(json_object_get(j, "value"));
        if (j && owned(j, case_id, digest) && type_name && value &&
            bw_signal_type_parse(&type, type_name, strlen(type_name)) == BW_OK)
            st = bw_signal_lookup(t->ctx, r->srv->store, type, value, collect_id, &w);
        json_decref(j);
    }
    free(b.data);
    for (int i = 0; st == BW_OK && i < w.count; i++)
        st = bw_signal_remove(t->ctx, r->srv->store, w.ids[i]);
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return;
    }
    if (w.count == 0) {
        bwd_error(r, 404, "not_found", "no self-report with this case id and token");
        return;
    }
    if (bw_matcher_refresh(t->ctx, r->srv->matcher, NULL) != BW_OK)
        bwd_logf(BWD_WARN, "index refresh after a withdrawal failed", "{s:s}", "error",
                 bw_ctx_message(t->ctx));
    bwd_metrics_count(r->srv->metrics, "self_report_withdrawals", 1);
    bwd_reply(r, 200, json_pack("{s:s, s:i}", "case", case_id, "withdrawn", w.count));
}

/*
 * The remote perceptual check and private set membership for devices
 * (docs/privacy.md). Neither keeps anything: the hashes and elements of a
 * request live in its memory only, the log line names the route and the
 * status, and the metrics count requests and matches, never values.
 */
#include <stdlib.h>
#include <string.h>

#include <bulwark/bw_psm.h>

#include "bulwarkd.h"

/* A photo's PDQ hash and its 7 rotations and mirrors. */
#define MAX_CHECK_HASHES 8

/* Keys with a PSM budget at once; beyond it the oldest slot is reused. */
#define BUDGET_SLOTS 1024

/* A key's evaluations: a bucket of a minute's worth, refilled
 * continuously, from which a request takes all its elements or none. */
typedef struct budget {
    int64_t key;   /* 0: empty */
    double tokens;
    double last;
} budget;

struct bwd_device {
    bool psm_ready;
    uint8_t psm_key[BW_PSM_KEY_BYTES];
    uint8_t psm_key_id[BW_PSM_KEY_ID_BYTES];
    pthread_mutex_t lock;
    budget budgets[BUDGET_SLOTS];
};

/* Takes n evaluations from a key's budget; false with the seconds to wait. */
static bool take(struct bwd_device *d, int64_t key, unsigned per_minute, size_t n,
                 int *retry_after)
{
    if (!per_minute)
        return true;
    const double per_second = per_minute / 60.0, now = bwd_now();
    pthread_mutex_lock(&d->lock);
    size_t i = (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ull >> 40) % BUDGET_SLOTS;
    for (size_t probes = 0; probes < 16; probes++, i = (i + 1) % BUDGET_SLOTS)
        if (d->budgets[i].key == key || d->budgets[i].key == 0)
            break;
    budget *b = &d->budgets[i];
    if (b->key != key)
        *b = (budget){key, per_minute, now};
    b->tokens += (now - b->last) * per_second;
    if (b->tokens > per_minute)
        b->tokens = per_minute;
    b->last = now;
    const bool ok = b->tokens >= (double)n;
    if (ok)
        b->tokens -= (double)n;
    else
        *retry_after = (int)(((double)n - b->tokens) / per_second) + 1;
    pthread_mutex_unlock(&d->lock);
    return ok;
}

static bool parse_hex(uint8_t *out, size_t size, const char *hex)
{
    if (!hex || strlen(hex) != 2 * size)
        return false;
    for (size_t i = 0; i < 2 * size; i++) {
        const char c = hex[i];
        const int v = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
        if (v < 0)
            return false;
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | v : v << 4);
    }
    return true;
}

static bool read_psm_key(struct bwd_device *d, const char *path)
{
    FILE *f = fopen(path, "r");
    char text[80] = {0};
    const size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[strcspn(text, "\r\n ")] = '\0';
    const bool ok = n > 0 && parse_hex(d->psm_key, sizeof d->psm_key, text) &&
                    bw_psm_key_id(d->psm_key_id, d->psm_key) == BW_OK;
    memset(text, 0, sizeof text);
    return ok;
}

bool bwd_device_start(bwd_server *srv)
{
    struct bwd_device *d = calloc(1, sizeof *d);
    if (!d) {
        bwd_log(BWD_ERROR, "out of memory at start-up", NULL);
        return false;
    }
    pthread_mutex_init(&d->lock, NULL);
    srv->device = d;
    if (*srv->cfg.psm_key) {
        if (!read_psm_key(d, srv->cfg.psm_key)) {
            bwd_logf(BWD_ERROR, "cannot read the PSM key (64 hex digits)", "{s:s}", "file",
                     srv->cfg.psm_key);
            return false;
        }
        d->psm_ready = true;
        char id[2 * BW_PSM_KEY_ID_BYTES + 1];
        bw_hex_encode(id, d->psm_key_id, sizeof d->psm_key_id);
        bwd_logf(BWD_INFO, "private set membership enabled", "{s:s}", "key_id", id);
    }
    return true;
}

void bwd_device_stop(bwd_server *srv)
{
    struct bwd_device *d = srv->device;
    if (!d)
        return;
    memset(d->psm_key, 0, sizeof d->psm_key);
    pthread_mutex_destroy(&d->lock);
    free(d);
    srv->device = NULL;
}

/* The array under `name` with 1..max strings; NULL after answering 422. */
static json_t *string_array(bwd_request *r, json_t *body, const char *name, size_t max)
{
    json_t *a = json_object_get(body, name);
    const size_t n = json_array_size(a);
    if (!json_is_array(a) || n == 0 || n > max) {
        bwd_error(r, 422, "parse", "'%s' must be an array of 1 to %zu hex strings", name, max);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!json_is_string(json_array_get(a, i))) {
            bwd_error(r, 422, "parse", "'%s' must hold strings", name);
            return NULL;
        }
    return a;
}

void bwd_api_device_check(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    json_t *body = bwd_body_json(r);
    if (!body)
        return;
    json_t *hashes = string_array(r, body, "pdq", MAX_CHECK_HASHES);
    bool matched = false, ok = hashes != NULL;
    for (size_t i = 0; ok && i < json_array_size(hashes); i++) {
        const char *hex = json_string_value(json_array_get(hashes, i));
        uint8_t h[BW_PDQ_BYTES];
        /* The message never repeats the value: errors are logged. */
        if (bw_pdq_from_hex(h, hex, strlen(hex)) != BW_OK) {
            bwd_error(r, 422, "parse", "pdq[%zu] is not 64 hex digits", i);
            ok = false;
        } else if (bw_matcher_match_pdq(t->ctx, r->srv->matcher, t->matches, h,
                                        r->srv->cfg.threshold) != BW_OK) {
            bwd_fail(r, BW_ERR_INTERNAL, t->ctx);
            ok = false;
        } else {
            matched |= bw_matches_actionable(t->matches) != 0;
        }
    }
    json_decref(body);
    if (!ok)
        return;
    bwd_metrics_count(r->srv->metrics, "device_checks", 1);
    if (matched)
        bwd_metrics_count(r->srv->metrics, "device_check_matches", 1);
    bwd_reply(r, 200, json_pack("{s:b}", "match", matched));
}

void bwd_api_device_psm(bwd_request *r)
{
    struct bwd_device *d = r->srv->device;
    if (!d->psm_ready) {
        bwd_error(r, 503, "unavailable", "private set membership is not configured here");
        return;
    }
    json_t *body = bwd_body_json(r);
    if (!body)
        return;
    json_t *blinded = string_array(r, body, "blinded", r->srv->cfg.psm_batch_max);
    const size_t n = json_array_size(blinded);
    /* Every element costs one evaluation of the key's budget, valid or
     * not, so testing guesses against the list stays slow. */
    bool ok = blinded != NULL;
    if (ok && !take(d, r->key_id, r->srv->cfg.psm_per_minute, n, &r->retry_after)) {
        bwd_error(r, 429, "rate_limited",
                  "this key is over its limit of %u evaluations a minute",
                  r->srv->cfg.psm_per_minute);
        ok = false;
    }
    json_t *out = json_array();
    for (size_t i = 0; ok && i < n; i++) {
        uint8_t in[BW_PSM_ELEMENT_BYTES], e[BW_PSM_ELEMENT_BYTES];
        char hex[2 * BW_PSM_ELEMENT_BYTES + 1];
        if (!parse_hex(in, sizeof in, json_string_value(json_array_get(blinded, i))) ||
            bw_psm_evaluate(e, d->psm_key, in) != BW_OK) {
            bwd_error(r, 422, "invalid_element",
                      "blinded[%zu] is not a valid Ristretto255 element", i);
            ok = false;
        } else {
            bw_hex_encode(hex, e, sizeof e);
            json_array_append_new(out, json_string(hex));
        }
    }
    json_decref(body);
    if (!ok) {
        json_decref(out);
        return;
    }
    char id[2 * BW_PSM_KEY_ID_BYTES + 1];
    bw_hex_encode(id, d->psm_key_id, sizeof d->psm_key_id);
    bwd_metrics_count(r->srv->metrics, "psm_evaluations", n);
    bwd_reply(r, 200, json_pack("{s:s, s:o}", "key_id", id, "evaluated", out));
}

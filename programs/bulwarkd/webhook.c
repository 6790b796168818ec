/*
 * Webhook deliveries: each node's worker claims what is due (so several
 * nodes never send one twice), POSTs it with an HMAC-SHA256 signature of
 * the body, and records the outcome: retried with exponential backoff and
 * jitter, and kept as a dead letter (GET /v1/webhooks/deliveries) once
 * webhook_attempts have failed.
 *
 * A slow endpoint must neither outlast a claim (another node would send
 * the same delivery again) nor hold up shutdown: the worker claims only as
 * many deliveries as it can attempt, one webhook_timeout each, within the
 * claim, and an attempt in progress is abandoned when the node stops: the
 * delivery is handed back, uncounted, for any node to send at once (were
 * that to fail, its claim lapses and it is tried again all the same).
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bulwarkd.h"

typedef struct due {
    int64_t id, event_id;
    char *url, *body;
    int attempts;
} due;

enum { BATCH_MAX = 16 };

typedef struct due_list {
    due items[BATCH_MAX];
    int n;
} due_list;

static int take_due(void *arg, const bw_delivery_info *d)
{
    due_list *l = arg;
    if (l->n < BATCH_MAX && d->url && d->body) {
        due *x = &l->items[l->n++];
        x->id = d->id;
        x->event_id = d->event_id;
        x->url = strdup(d->url);
        x->body = strdup(d->body);
        x->attempts = d->attempts;
    }
    return 0;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p, (void)arg;
    return size * n;
}

static unsigned timeout_of(const bwd_config *c)
{
    return c->webhook_timeout ? c->webhook_timeout : 10;
}

/* Deliveries one batch may claim: as many attempts as fit in the claim. */
static size_t batch_size(const bwd_config *c)
{
    const unsigned fit = BWD_WEBHOOK_TIMEOUT_MAX / timeout_of(c);
    return fit < 1 ? 1 : fit > BATCH_MAX ? BATCH_MAX : fit;
}

/* libcurl's progress callback: non-zero aborts the transfer. */
static int abort_when_stopping(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                               curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return atomic_load(&((bwd_server *)arg)->stopping);
}

/* One attempt: NULL when delivered, else why not (in err); *stopped when
 * it was abandoned because the node is stopping. */
static const char *post(bwd_server *srv, const due *d, bool *stopped, char *err,
                        size_t err_size)
{
    const bwd_config *c = &srv->cfg;
    *stopped = false;
    CURL *curl = curl_easy_init();
    if (!curl)
        return "cannot start an HTTP client";
    char sig[72], header_sig[96], header_id[64], header_event[64], agent[64];
    bw_webhook_signature(sig, c->webhook_secret, d->body, strlen(d->body));
    snprintf(header_sig, sizeof header_sig, "X-Bulwark-Signature: %s", sig);
    snprintf(header_id, sizeof header_id, "X-Bulwark-Delivery: %lld", (long long)d->id);
    snprintf(header_event, sizeof header_event, "X-Bulwark-Event: %lld",
             (long long)d->event_id);
    snprintf(agent, sizeof agent, "bulwarkd/%s", bw_version_string());
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, header_sig);
    h = curl_slist_append(h, header_id);
    h = curl_slist_append(h, header_event);
    curl_easy_setopt(curl, CURLOPT_URL, d->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, d->body);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, agent);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)timeout_of(c));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_when_stopping);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, srv);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    const CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
        *stopped = rc == CURLE_ABORTED_BY_CALLBACK;
        snprintf(err, err_size, "%s", curl_easy_strerror(rc));
        return err;
    }
    if (code < 200 || code > 299) {
        snprintf(err, err_size, "HTTP %ld", code);
        return err;
    }
    return NULL;
}

/* The outcome of one attempt, in the store, the metrics and the log. */
static void record(bwd_server *srv, bwd_thread *t, const due *d, const char *failed,
                   unsigned *seed)
{
    const bwd_config *c = &srv->cfg;
    /* 5 s, 10 s, 20 s ... capped at an hour, each +-20 %. */
    int64_t wait = 5ll << (d->attempts < 10 ? d->attempts : 10);
    wait = wait > 3600 ? 3600 : wait;
    wait += (int64_t)(rand_r(seed) % (unsigned)(wait * 2 / 5 + 1)) - wait / 5;
    const int max = (int)(c->webhook_attempts ? c->webhook_attempts : 1);
    if (bw_delivery_result(t->ctx, srv->store, d->id, !failed, failed, wait, max) != BW_OK)
        bwd_logf(BWD_WARN, "cannot record a webhook outcome", "{s:s}", "error",
                 bw_ctx_message(t->ctx));
    if (!failed) {
        bwd_metrics_count(srv->metrics, "webhook_delivered", 1);
        bwd_logf(BWD_INFO, "webhook delivered", "{s:I, s:I}", "delivery", (json_int_t)d->id,
                 "event", (json_int_t)d->event_id);
        return;
    }
    const bool dead = d->attempts + 1 >= max;
    bwd_metrics_count(srv->metrics, dead ? "webhook_dead" : "webhook_failed", 1);
    bwd_logf(dead ? BWD_ERROR : BWD_WARN,
             dead ? "webhook gave up: dead letter" : "webhook failed, will retry",
             "{s:I, s:I, s:i, s:s}", "delivery", (json_int_t)d->id, "event",
             (json_int_t)d->event_id, "attempt", d->attempts + 1, "error", failed);
}

void *bwd_webhook_loop(void *arg)
{
    bwd_server *srv = arg;
    const bwd_config *c = &srv->cfg;
    /* Only nodes set up for webhooks claim deliveries: each signs with its
     * own webhook_secret, and one started without it (a matcher-only node,
     * a second one for a test) would sign with an empty key and spend the
     * delivery's attempts on an endpoint that rejects the signature. */
    if (!*c->webhook_url)
        return NULL;
    bwd_thread *t = bwd_thread_get();
    unsigned seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 8);
    const size_t limit = batch_size(c);
    /* After a full batch more may be waiting: no pause before the next. */
    bool full = false;
    while (t && bwd_sleep(srv, full ? 0 : 750 + (unsigned)rand_r(&seed) % 500)) {
        due_list l = {.n = 0};
        full = false;
        if (bw_delivery_due(t->ctx, srv->store, limit, take_due, &l) != BW_OK) {
            bwd_logf(BWD_WARN, "cannot read webhook deliveries", "{s:s}", "error",
                     bw_ctx_message(t->ctx));
            continue;
        }
        full = (size_t)l.n == limit;
        for (int i = 0; i < l.n; i++) {
            due *d = &l.items[i];
            bool stopped = atomic_load(&srv->stopping);
            char why[256];
            const char *failed = stopped ? NULL : post(srv, d, &stopped, why, sizeof why);
            if (!stopped)
                record(srv, t, d, failed, &seed);
            else if (bw_delivery_release(t->ctx, srv->store, d->id) != BW_OK)
                /* Its claim lapses in BW_DELIVERY_CLAIM_SECONDS instead. */
                bwd_logf(BWD_WARN, "cannot hand back a webhook delivery", "{s:I, s:s}",
                         "delivery", (json_int_t)d->id, "error", bw_ctx_message(t->ctx));
            free(d->url);
            free(d->body);
        }
    }
    return NULL;
}

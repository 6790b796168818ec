/*
 * Prometheus metrics: request counts and latency histograms per route,
 * matches per bank, and the state of the index. Request counters are
 * lock-free (they are touched on every request); the rarer ones share a lock.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bulwarkd.h"

static const int codes[] = {200, 201, 204, 400, 401, 403, 404, 405, 409,
                            413, 415, 422, 429, 500, 503, 0};
enum { NCODES = sizeof codes / sizeof codes[0] }; /* the last slot: any other */

static const double bounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,   1,     2.5,  5,     10};
enum { NBUCKETS = sizeof bounds / sizeof bounds[0] };

typedef struct route_stats {
    atomic_ullong by_code[NCODES];
    atomic_ullong buckets[NBUCKETS];
    atomic_ullong count;
    atomic_ullong micros;
} route_stats;

typedef struct named {
    char name[72];
    uint64_t value;
} named;

struct bwd_metrics {
    route_stats *routes; /* bwd_route_count + 1: the last for unrouted requests */
    pthread_mutex_t lock;
    named *banks, *counters;
    size_t nbanks, ncounters, cap_banks, cap_counters;
};

bwd_metrics *bwd_metrics_create(void)
{
    bwd_metrics *m = calloc(1, sizeof *m);
    if (!m || !(m->routes = calloc(bwd_route_count + 1, sizeof *m->routes))) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void bwd_metrics_free(bwd_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m->routes);
    free(m->banks);
    free(m->counters);
    free(m);
}

void bwd_metrics_request(bwd_metrics *m, int route, int status, double seconds)
{
    route_stats *s = &m->routes[route >= 0 && (size_t)route < bwd_route_count
                                    ? (size_t)route
                                    : bwd_route_count];
    int c = 0;
    while (codes[c] && codes[c] != status)
        c++;
    atomic_fetch_add_explicit(&s->by_code[c], 1, memory_order_relaxed);
    for (int b = 0; b < NBUCKETS; b++)
        if (seconds <= bounds[b]) {
            atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
            break;
        }
    atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->micros, (unsigned long long)(seconds * 1e6),
                              memory_order_relaxed);
}

static void bump(bwd_metrics *m, named **list, size_t *n, size_t *cap, const char *name,
                 uint64_t by)
{
    pthread_mutex_lock(&m->lock);
    size_t i = 0;
    while (i < *n && strcmp((*list)[i].name, name) != 0)
        i++;
    if (i == *n && *n == *cap) {
        const size_t c = *cap ? *cap * 2 : 16;
        named *grown = realloc(*list, c * sizeof **list);
        if (!grown) {
            pthread_mutex_unlock(&m->lock);
            return;
        }
        *list = grown;
        *cap = c;
    }
    if (i == *n) {
        snprintf((*list)[i].name, sizeof (*list)[i].name, "%s", name);
        (*list)[i].value = 0;
        (*n)++;
    }
    (*list)[i].value += by;
    pthread_mutex_unlock(&m->lock);
}

void bwd_metrics_match(bwd_metrics *m, const char *bank)
{
    bump(m, &m->banks, &m->nbanks, &m->cap_banks, bank ? bank : "", 1);
}

void bwd_metrics_count(bwd_metrics *m, const char *name, uint64_t n)
{
    bump(m, &m->counters, &m->ncounters, &m->cap_counters, name, n);
}

/* A growable text buffer for the rendering. */
typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        const int w = vsnprintf(t->p ? t->p + t->n : NULL, t->p ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        if (w < 0)
            return;
        if (t->p && t->n + (size_t)w < t->cap) {
            t->n += (size_t)w;
            return;
        }
        const size_t cap = (t->cap + (size_t)w + 1) * 2;
        char *grown = realloc(t->p, cap);
        if (!grown)
            return;
        t->p = grown;
        t->cap = cap;
    }
}

static void render_routes(text *t, const bwd_metrics *m)
{
    put(t, "# HELP bulwark_http_requests_total HTTP requests by route and status.\n"
           "# TYPE bulwark_http_requests_total counter\n");
    for (size_t r = 0; r <= bwd_route_count; r++) {
        const char *name = r < bwd_route_count ? bwd_routes[r].name : "unrouted";
        const char *method = r < bwd_route_count ? bwd_routes[r].method : "";
        for (int c = 0; c < NCODES; c++) {
            const unsigned long long v = atomic_load(&m->routes[r].by_code[c]);
            if (!v)
                continue;
            if (codes[c])
                put(t, "bulwark_http_requests_total{method=\"%s\",route=\"%s\",code=\"%d\"} %llu\n",
                    method, name, codes[c], v);
            else
                put(t, "bulwark_http_requests_total{method=\"%s\",route=\"%s\",code=\"other\"} %llu\n",
                    method, name, v);
        }
    }
    put(t, "# HELP bulwark_http_request_seconds Time from the first byte of a request to its"
           " response.\n# TYPE bulwark_http_request_seconds histogram\n");
    for (size_t r = 0; r <= bwd_route_count; r++) {
        const route_stats *s = &m->routes[r];
        const unsigned long long count = atomic_load(&s->count);
        if (!count)
            continue;
        const char *name = r < bwd_route_count ? bwd_routes[r].name : "unrouted";
        const char *method = r < bwd_route_count ? bwd_routes[r].method : "";
        unsigned long long cumulative = 0;
        for (int b = 0; b < NBUCKETS; b++) {
            cumulative += atomic_load(&s->buckets[b]);
            put(t, "bulwark_http_request_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
                method, name, bounds[b], cumulative);
        }
        put(t, "bulwark_http_request_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n"
               "bulwark_http_request_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n"
               "bulwark_http_request_seconds_count{method=\"%s\",route=\"%s\"} %llu\n",
            method, name, count, method, name, (double)atomic_load(&s->micros) / 1e6, method,
            name, count);
    }
}

char *bwd_metrics_render(bwd_server *srv, size_t *size_out)
{
    bwd_metrics *m = srv->metrics;
    text t = {0};
    render_routes(&t, m);
    pthread_mutex_lock(&m->lock);
    put(&t, "# HELP bulwark_matches_total Uploads and hashes that matched, by bank.\n"
            "# TYPE bulwark_matches_total counter\n");
    for (size_t i = 0; i < m->nbanks; i++)
        put(&t, "bulwark_matches_total{bank=\"%s\"} %llu\n", m->banks[i].name,
            (unsigned long long)m->banks[i].value);
    for (size_t i = 0; i < m->ncounters; i++)
        put(&t, "# TYPE bulwark_%s_total counter\nbulwark_%s_total %llu\n", m->counters[i].name,
            m->counters[i].name, (unsigned long long)m->counters[i].value);
    pthread_mutex_unlock(&m->lock);
    put(&t,
        "# HELP bulwark_index_signals PDQ signals in this node's index.\n"
        "# TYPE bulwark_index_signals gauge\nbulwark_index_signals %zu\n"
        "# HELP bulwark_index_bytes Memory held by the PDQ index.\n"
        "# TYPE bulwark_index_bytes gauge\nbulwark_index_bytes %zu\n"
        "# HELP bulwark_store_sequence Last bank change applied by this node.\n"
        "# TYPE bulwark_store_sequence gauge\nbulwark_store_sequence %lld\n"
        "# HELP bulwark_refresh_age_seconds Time since the index last caught up with the store.\n"
        "# TYPE bulwark_refresh_age_seconds gauge\nbulwark_refresh_age_seconds %.3f\n"
        "# TYPE bulwark_requests_in_flight gauge\nbulwark_requests_in_flight %ld\n"
        "# TYPE bulwark_upload_queue_depth gauge\nbulwark_upload_queue_depth %u\n"
        "# TYPE bulwark_uptime_seconds gauge\nbulwark_uptime_seconds %.0f\n",
        bw_matcher_pdq_count(srv->matcher), bw_matcher_memory(srv->matcher),
        (long long)bw_matcher_sequence(srv->matcher),
        bwd_now() - (double)atomic_load(&srv->last_refresh) / 1000.0,
        (long)atomic_load(&srv->inflight), bwd_jobs_depth(srv->jobs), bwd_now() - srv->started);
    *size_out = t.n;
    return t.p;
}

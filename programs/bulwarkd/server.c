/*
 * Starting and stopping a bulwarkd node: the store and its index, the
 * components the handlers share, the HTTP daemon and the background loops.
 * main.c adds arguments, signals and the drain on shutdown; the HTTP fuzz
 * target (fuzz/fuzz_http.c) starts the very same node in its own process.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bulwarkd.h"

double bwd_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bwd_after_ms(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

static void on_quarantine(void *arg, int64_t signal_id, const char *reason)
{
    bwd_server *srv = arg;
    bwd_metrics_count(srv->metrics, "signals_quarantined", 1);
    bwd_logf(BWD_WARN, "signal quarantined: it matched a flood of uploads", "{s:I, s:s}",
             "signal", (json_int_t)signal_id, "reason", reason ? reason : "");
}

/* The store and the index; false after logging why. */
static bool open_bank(bwd_server *srv)
{
    bwd_thread *t = bwd_thread_get();
    const char *where = strstr(srv->cfg.db, "://") ? "postgresql" : srv->cfg.db;
    if (!t || bw_store_open(t->ctx, &srv->store, srv->cfg.db) != BW_OK) {
        bwd_logf(BWD_ERROR, "cannot open the bank store", "{s:s, s:s}", "db", where, "error",
                 t ? bw_ctx_message(t->ctx) : "out of memory");
        return false;
    }
    /* Matches are recorded on the HTTP threads: a thread of bulwarkd's
     * folds the log back into the file instead of whichever match crosses
     * the mark. */
    if (bw_store_defer_checkpoints(t->ctx, srv->store) != BW_OK) {
        bwd_logf(BWD_ERROR, "cannot open the bank store", "{s:s, s:s}", "db", where, "error",
                 bw_ctx_message(t->ctx));
        return false;
    }
    const double t0 = bwd_now();
    if (bw_matcher_create(t->ctx, &srv->matcher, srv->store) != BW_OK) {
        bwd_logf(BWD_ERROR, "cannot load the index", "{s:s}", "error", bw_ctx_message(t->ctx));
        return false;
    }
    bw_matcher_set_flood(srv->matcher, srv->cfg.flood_window, srv->cfg.flood_min,
                         srv->cfg.flood_factor);
    bw_matcher_on_quarantine(srv->matcher, on_quarantine, srv);
    bwd_logf(BWD_INFO, "index loaded", "{s:s, s:s, s:I, s:I, s:f}", "db", where, "backend",
             bw_store_backend(srv->store), "signals",
             (json_int_t)bw_matcher_pdq_count(srv->matcher), "sequence",
             (json_int_t)bw_matcher_sequence(srv->matcher), "seconds", bwd_now() - t0);
    return true;
}

bool bwd_server_start(bwd_server *srv)
{
    bwd_config *c = &srv->cfg;
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (!c->http_threads)
        c->http_threads = cores > 0 ? (unsigned)cores : 2;
    if (!c->workers)
        c->workers = cores > 0 ? (unsigned)cores : 2;
    pthread_mutex_init(&srv->stop_lock, NULL);
    pthread_cond_init(&srv->stop_cond, NULL);
    srv->started = bwd_now();
    char err[512];
    /* FFmpeg writes its own lines to stderr, which is bulwarkd's log of
     * one JSON object a line; what goes wrong in a video reaches the
     * client and the request's log line through the library's errors. */
    bw_video_quiet_ffmpeg_log();
    if (!(srv->vpdq = bwd_video_options(c)))
        return false; /* logged */
    if (!(srv->metrics = bwd_metrics_create()) ||
        !(srv->keys = bwd_keys_create(c->key_cache_seconds, c->rate_per_minute)) ||
        !(srv->jobs = bwd_jobs_create(c->workers, c->queue))) {
        bwd_log(BWD_ERROR, "out of memory at start-up", NULL);
        return false;
    }
    if (!bwd_device_start(srv) || !open_bank(srv) || !bwd_review_start(srv))
        return false;
    atomic_store(&srv->last_refresh, (long long)(bwd_now() * 1000));
    atomic_store(&srv->ready, true);
    if (!bwd_http_start(srv, err, sizeof err)) {
        bwd_logf(BWD_ERROR, "cannot start serving", "{s:s}", "error", err);
        return false;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    bwd_logf(BWD_INFO, "listening", "{s:s, s:i, s:b, s:i, s:i, s:s}", "listen", c->listen,
             "port", (int)srv->port, "tls", *c->tls_cert != 0, "http_threads",
             (int)c->http_threads, "workers", (int)c->workers, "version", bw_version_string());
    srv->refreshing = pthread_create(&srv->refresher, NULL, bwd_refresh_loop, srv) == 0;
    srv->delivering = pthread_create(&srv->deliverer, NULL, bwd_webhook_loop, srv) == 0;
    srv->checkpointing =
        pthread_create(&srv->checkpointer, NULL, bwd_checkpoint_loop, srv) == 0;
    if (!srv->refreshing || !srv->delivering || !srv->checkpointing) {
        /* Without them the index would not follow the bank, webhooks would
         * wait for ever, the store's log would grow without end. */
        bwd_log(BWD_ERROR, "cannot start the refresh, webhook and checkpoint threads", NULL);
        return false;
    }
    return true;
}

void bwd_server_stop(bwd_server *srv)
{
    pthread_mutex_lock(&srv->stop_lock);
    atomic_store(&srv->stopping, true);
    pthread_cond_broadcast(&srv->stop_cond);
    pthread_mutex_unlock(&srv->stop_lock);
    if (srv->refreshing)
        pthread_join(srv->refresher, NULL);
    if (srv->delivering)
        pthread_join(srv->deliverer, NULL);
    if (srv->checkpointing)
        pthread_join(srv->checkpointer, NULL);
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    bwd_jobs_free(srv->jobs);
    bwd_review_stop(srv);
    bw_matcher_free(srv->matcher);
    bw_vpdq_options_free(srv->vpdq);
    bw_store_close(srv->store);
    bwd_keys_free(srv->keys);
    bwd_device_stop(srv);
    bwd_metrics_free(srv->metrics);
    free(srv->tls_cert_pem);
    free(srv->tls_key_pem);
}

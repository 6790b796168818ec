/*
 * bulwarkd: start-up, signals and graceful shutdown. On SIGTERM or SIGINT
 * the node stops accepting connections, lets requests in flight finish
 * (up to shutdown_grace seconds), then stops its loops and closes the store.
 */
#include <curl/curl.h>
#include <signal.h>
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

/* --config first, then every other option, so the command line wins. */
static int parse_args(bwd_config *c, int argc, char **argv)
{
    char err[512];
    bool print = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--print-config"))
            print = true;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            bwd_config_help(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--routes")) { /* for the spec test */
            for (size_t r = 0; r < bwd_route_count; r++)
                printf("%s %s %s\n", bwd_routes[r].method, bwd_routes[r].pattern,
                       bwd_routes[r].roles ? "key" : "open");
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("bulwarkd %s\n", bw_version_string());
            return 0;
        }
    }
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--config", 8) && (argv[i][8] == '=' || !argv[i][8])) {
            const char *path = argv[i][8] == '=' ? argv[i] + 9 : (i + 1 < argc ? argv[i + 1] : NULL);
            if (!path || !bwd_config_file(c, path, err, sizeof err)) {
                fprintf(stderr, "bulwarkd: %s\n", path ? err : "--config needs a file");
                return 2;
            }
        }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--print-config"))
            continue;
        if (strncmp(argv[i], "--", 2) != 0) {
            fprintf(stderr, "bulwarkd: unexpected argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
        char key[64];
        const char *eq = strchr(argv[i], '='), *value;
        const size_t n = eq ? (size_t)(eq - argv[i] - 2) : strlen(argv[i] + 2);
        if (n >= sizeof key) {
            fprintf(stderr, "bulwarkd: unknown option '%s'\n", argv[i]);
            return 2;
        }
        memcpy(key, argv[i] + 2, n);
        key[n] = '\0';
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "bulwarkd: --%s needs a value\n", key);
            return 2;
        }
        if (!strcmp(key, "config"))
            continue;
        if (!bwd_config_set(c, key, value, err, sizeof err)) {
            fprintf(stderr, "bulwarkd: %s (see --help)\n", err);
            return 2;
        }
    }
    if (print) { /* the effective configuration, as a file */
        bwd_config_print(stdout, c);
        return 0;
    }
    return -1;
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

static void drain(bwd_server *srv)
{
    const double deadline = bwd_now() + srv->cfg.shutdown_grace;
    pthread_mutex_lock(&srv->stop_lock);
    while (atomic_load(&srv->inflight) > 0 && bwd_now() < deadline) {
        struct timespec until;
        bwd_after_ms(&until, 100);
        pthread_cond_timedwait(&srv->stop_cond, &srv->stop_lock, &until);
    }
    pthread_mutex_unlock(&srv->stop_lock);
}

int main(int argc, char **argv)
{
    static bwd_server srv; /* large; lives for the whole run */
    bwd_config_defaults(&srv.cfg);
    const int done = parse_args(&srv.cfg, argc, argv);
    if (done >= 0)
        return done;
    bwd_config *c = &srv.cfg;
    bwd_log_init(c->log_level);
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (!c->http_threads)
        c->http_threads = cores > 0 ? (unsigned)cores : 2;
    if (!c->workers)
        c->workers = cores > 0 ? (unsigned)cores : 2;

    /* Signals are taken by sigwait below, never delivered to a thread. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    bwd_log_start(); /* after the mask: its thread must not take signals */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_mutex_init(&srv.stop_lock, NULL);
    pthread_cond_init(&srv.stop_cond, NULL);
    srv.started = bwd_now();

    int status = 1;
    pthread_t refresher, webhooks;
    bool refreshing = false, delivering = false;
    char err[512];
    if (!(srv.vpdq = bwd_video_options(c))) {
        /* logged */
    } else if (!(srv.metrics = bwd_metrics_create()) ||
               !(srv.keys = bwd_keys_create(c->key_cache_seconds, c->rate_per_minute)) ||
               !(srv.jobs = bwd_jobs_create(c->workers, c->queue))) {
        bwd_log(BWD_ERROR, "out of memory at start-up", NULL);
    } else if (bwd_device_start(&srv) && open_bank(&srv) && bwd_review_start(&srv)) {
        atomic_store(&srv.last_refresh, (long long)(bwd_now() * 1000));
        atomic_store(&srv.ready, true);
        if (!bwd_http_start(&srv, err, sizeof err)) {
            bwd_logf(BWD_ERROR, "cannot start serving", "{s:s}", "error", err);
        } else {
            const union MHD_DaemonInfo *info =
                MHD_get_daemon_info(srv.daemon, MHD_DAEMON_INFO_BIND_PORT);
            bwd_logf(BWD_INFO, "listening", "{s:s, s:i, s:b, s:i, s:i, s:s}", "listen",
                     c->listen, "port", info ? (int)info->port : 0, "tls", *c->tls_cert != 0,
                     "http_threads", (int)c->http_threads, "workers", (int)c->workers,
                     "version", bw_version_string());
            refreshing = pthread_create(&refresher, NULL, bwd_refresh_loop, &srv) == 0;
            delivering = pthread_create(&webhooks, NULL, bwd_webhook_loop, &srv) == 0;
            int sig = 0;
            sigwait(&stop, &sig);
            bwd_logf(BWD_INFO, "shutting down", "{s:s, s:I}", "signal",
                     sig == SIGTERM ? "SIGTERM" : "SIGINT", "in_flight",
                     (json_int_t)atomic_load(&srv.inflight));
            atomic_store(&srv.stopping, true);
            const MHD_socket listener = MHD_quiesce_daemon(srv.daemon);
            if (listener != MHD_INVALID_SOCKET)
                close(listener);
            drain(&srv);
            status = 0;
        }
    }
    pthread_mutex_lock(&srv.stop_lock);
    atomic_store(&srv.stopping, true);
    pthread_cond_broadcast(&srv.stop_cond);
    pthread_mutex_unlock(&srv.stop_lock);
    if (refreshing)
        pthread_join(refresher, NULL);
    if (delivering)
        pthread_join(webhooks, NULL);
    if (srv.daemon)
        MHD_stop_daemon(srv.daemon);
    bwd_jobs_free(srv.jobs);
    bwd_review_stop(&srv);
    bw_matcher_free(srv.matcher);
    bw_vpdq_options_free(srv.vpdq);
    bw_store_close(srv.store);
    bwd_keys_free(srv.keys);
    bwd_device_stop(&srv);
    bwd_metrics_free(srv.metrics);
    free(srv.tls_cert_pem);
    free(srv.tls_key_pem);
    curl_global_cleanup();
    if (status == 0)
        bwd_log(BWD_INFO, "stopped", NULL);
    bwd_log_stop();
    return status;
}

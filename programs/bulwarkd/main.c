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
    if (!bwd_config_check(c, err, sizeof err)) {
        fprintf(stderr, "bulwarkd: %s\n", err);
        return 2;
    }
    return -1;
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
    bwd_log_init(srv.cfg.log_level);

    /* Signals are taken by sigwait below, never delivered to a thread. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    bwd_log_start(); /* after the mask: its threads must not take signals */
    curl_global_init(CURL_GLOBAL_DEFAULT);

    int status = 1;
    if (bwd_server_start(&srv)) {
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
    bwd_server_stop(&srv);
    curl_global_cleanup();
    if (status == 0)
        bwd_log(BWD_INFO, "stopped", NULL);
    bwd_log_stop();
    return status;
}

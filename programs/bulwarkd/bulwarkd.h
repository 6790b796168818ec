/*
 * bulwarkd, the matching service: shared types of its files.
 *
 * Requests are served by libmicrohttpd's epoll thread pool. Routes that
 * decode media or stream bank lists run on a separate pool of workers (the
 * connection is suspended meanwhile), so a slow decode never stalls the
 * fast match-by-hash path and the number of concurrent uploads is bounded.
 */
#ifndef BULWARKD_H
#define BULWARKD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include <bulwark/bulwark.h>

#include "text_buf.h"

/* ---- configuration (config.c) ------------------------------------------- */

typedef struct bwd_config {
    char db[4096];               /* SQLite path or postgres:// URI */
    char listen[256];            /* HOST:PORT */
    char tls_cert[4096];         /* PEM files: serve HTTPS directly */
    char tls_key[4096];
    unsigned http_threads;       /* epoll threads (0: one per core) */
    unsigned workers;            /* upload/decode workers (0: one per core) */
    unsigned queue;              /* uploads waiting for a worker before 503 */
    unsigned max_connections;
    unsigned per_ip_connections; /* 0: unlimited */
    unsigned idle_timeout;       /* seconds without a byte from the client */
    unsigned request_timeout;    /* seconds for a whole request body */
    uint64_t header_bytes;       /* memory per connection for headers */
    uint64_t max_json_bytes;
    uint64_t max_media_bytes;
    uint64_t max_import_bytes;
    uint64_t max_pixels;
    unsigned decode_ms;          /* per upload, 0: unbounded */
    unsigned batch_max;          /* signals per /v1/match/hashes */
    int threshold;               /* PDQ distance for a match */
    char match_mode[16];         /* /v1/match without ?mode= (api_match.c) */
    bool dihedral;               /* /v1/hash: also the 8 dihedral hashes */
    unsigned rate_per_minute;    /* default per key, 0: unlimited */
    unsigned key_cache_seconds;
    unsigned refresh_ms;         /* how often to follow the change feed */
    char allow_bank[65];         /* where false positives go */
    char webhook_url[2048];
    char webhook_secret[256];
    unsigned webhook_attempts;
    unsigned webhook_timeout;    /* seconds per attempt */
    bool metrics_public;         /* /metrics without a key */
    unsigned shutdown_grace;     /* seconds in-flight requests get on SIGTERM */
    char log_level[16];          /* debug, info, warn, error */
    int64_t flood_window;        /* seconds; 0 disables flood quarantine */
    unsigned flood_min;
    double flood_factor;
    /* videos (api_video.c) */
    uint64_t max_video_bytes;    /* a video upload, spooled to a temporary file */
    char spool_dir[1024];        /* where spooled bodies go (unnamed files) */
    unsigned video_max_seconds;
    uint64_t video_max_frames;
    unsigned video_decode_ms;
    double video_seconds_per_hash;
    int vpdq_quality;            /* frames under it take no part in matching */
    double vpdq_query_percent;   /* of the upload's frames, for a video match */
    double vpdq_compared_percent; /* of the banked video's frames */
    /* The device endpoints (api_device.c, docs/privacy.md). */
    char psm_key[4096];          /* file with the OPRF key; empty: no PSM */
    unsigned psm_per_minute;     /* PSM evaluations per minute per key */
    unsigned psm_batch_max;      /* blinded elements in one request */
    char self_report_bank[65];   /* where self-reported hashes are filed; counted in
                                  * the transparency statistics */
    /* review (review.c) */
    bool retain_media;           /* keep matched uploads, encrypted, for reviewers */
    char media_dir[4096];
    char media_key_file[4096];
    unsigned retention_days;     /* retained media is deleted after this */
    char reporter_file[4096];    /* JSON: who signs reports to NCMEC/NCA */
} bwd_config;

void bwd_config_defaults(bwd_config *c);
/* Reads KEY = VALUE lines; false with a message in err on a bad line. */
bool bwd_config_file(bwd_config *c, const char *path, char *err, size_t err_size);
/* Sets one option by name (file keys and --long-options share names,
 * with '-' and '_' interchangeable). */
/* The longest webhook attempt: a delivery is claimed for
 * BW_DELIVERY_CLAIM_SECONDS, and an attempt must end, its outcome recorded,
 * before the claim lapses and another node may take the delivery. */
#define BWD_WEBHOOK_TIMEOUT_MAX (BW_DELIVERY_CLAIM_SECONDS - 5)

/* Checks what a value alone cannot show (a port in range, a spool directory
 * that exists, a webhook URL over HTTP), so that bulwarkd refuses to start
 * rather than fail at the first request that needs it. */
bool bwd_config_check(const bwd_config *c, char *err, size_t err_size);
bool bwd_config_set(bwd_config *c, const char *key, const char *value, char *err,
                    size_t err_size);
void bwd_config_help(FILE *out);
/* Every option as a commented config file. */
void bwd_config_print(FILE *out, const bwd_config *c);
/* The effective configuration as JSON (secrets masked). */
json_t *bwd_config_json(const bwd_config *c);

/* ---- logging (log.c) ------------------------------------------------------ */

typedef enum bwd_level { BWD_DEBUG = 0, BWD_INFO = 1, BWD_WARN = 2, BWD_ERROR = 3 } bwd_level;

void bwd_log_init(const char *level);
/* Starts and stops the thread that writes buffered lines out. */
void bwd_log_start(void);
void bwd_log_stop(void);
/* The line for one completed request (no JSON library on this path). */
void bwd_log_request(bwd_level level, const char *method, const char *route, int status,
                     double ms, int64_t key, uint64_t bytes_in, const char *code);
/* One JSON line on stderr: {"ts":..., "level":..., "msg":..., fields...}.
 * Takes ownership of fields (may be NULL). */
void bwd_log(bwd_level level, const char *msg, json_t *fields);
#define bwd_logf(level, msg, ...) bwd_log(level, msg, json_pack(__VA_ARGS__))

/* ---- metrics (metrics.c) ------------------------------------------------- */

typedef struct bwd_metrics bwd_metrics;
bwd_metrics *bwd_metrics_create(void);
void bwd_metrics_free(bwd_metrics *m);
void bwd_metrics_request(bwd_metrics *m, int route, int status, double seconds);
void bwd_metrics_match(bwd_metrics *m, const char *bank);
void bwd_metrics_count(bwd_metrics *m, const char *name, uint64_t n);

/* ---- the server ----------------------------------------------------------- */

typedef struct bwd_keys bwd_keys;
typedef struct bwd_jobs bwd_jobs;
typedef struct bwd_review bwd_review;

typedef struct bwd_server {
    bwd_config cfg;
    bw_store *store;
    bw_matcher *matcher;
    bw_vpdq_options *vpdq;       /* how uploaded videos are hashed */
    bwd_metrics *metrics;
    bwd_keys *keys;
    bwd_jobs *jobs;
    struct MHD_Daemon *daemon;
    atomic_long inflight;        /* requests begun and not completed */
    atomic_bool stopping;
    atomic_llong last_refresh;   /* monotonic ms of the last good refresh */
    atomic_bool ready;
    double started;              /* monotonic seconds */
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;    /* signalled when background loops must end */
    char *tls_cert_pem, *tls_key_pem;
    struct bwd_device *device;   /* the device endpoints' state */
    bwd_review *review;          /* retained media, the reporter, retention */
    uint16_t port;               /* bound, when --listen asked for port 0 */
    pthread_t refresher, deliverer, checkpointer;
    bool refreshing, delivering, checkpointing;
} bwd_server;

/* Opens the store and the index, starts serving and the background loops
 * (server.c); false after logging why, with what started left for
 * bwd_server_stop. cfg is set beforehand. */
bool bwd_server_start(bwd_server *srv);
/* Stops the loops and the daemon at once and frees everything, once: drain
 * requests in flight first (main.c). */
void bwd_server_stop(bwd_server *srv);

/* Per-thread scratch: a context and reusable result objects. */
typedef struct bwd_thread {
    bw_ctx *ctx;
    bw_hashes *hashes;
    bw_matches *matches;
    bw_pdq_set *set; /* dihedral and robust matching */
    bw_digester *sha256; /* API keys, on every request */
    /* The last request this thread finished, kept for the next: at 1.8 KB
     * a fresh one is a large allocation, and glibc then consolidates its
     * free lists on every request. */
    struct bwd_request *spare;
} bwd_thread;
bwd_thread *bwd_thread_get(void);

double bwd_now(void); /* monotonic seconds */
/* The CLOCK_REALTIME instant ms from now, for pthread_cond_timedwait. */
void bwd_after_ms(struct timespec *ts, unsigned ms);

/* ---- requests (http.c, respond.c) ---------------------------------------- */

enum { BWD_MAX_PARAMS = 3 };

typedef enum bwd_body {
    BWD_BODY_NONE = 0,
    BWD_BODY_JSON = 1,   /* application/json */
    BWD_BODY_MEDIA = 2,  /* raw media or multipart field "file" */
    BWD_BODY_LIST = 3    /* a hash list, spooled to a temporary file */
} bwd_body;

typedef struct bwd_request bwd_request;
typedef void (*bwd_handler)(bwd_request *r);

typedef struct bwd_route {
    const char *method;
    const char *pattern;  /* "/v1/banks/{}/signals/{}" */
    unsigned roles;       /* bit (1 << bw_role) per allowed role; 0: no key needed */
    bwd_body body;
    bool worker;          /* runs on the worker pool */
    bwd_handler handler;
    const char *name;     /* metrics label: the pattern */
} bwd_route;

#define BWD_ROLES(...) bwd_roles_mask(__VA_ARGS__, 0)
unsigned bwd_roles_mask(int first, ...);

struct bwd_request {
    bwd_server *srv;
    struct MHD_Connection *conn;
    const bwd_route *route;
    int route_index;
    char path[512];
    char params[BWD_MAX_PARAMS][256];
    double started;
    /* who */
    int64_t key_id;
    bw_role role;
    /* body */
    char *body;
    size_t size, cap;
    uint64_t limit;
    bool overflow;
    FILE *spool;                     /* BWD_BODY_LIST, or a video upload */
    bool media_decided;              /* BWD_BODY_MEDIA: image or video known */
    bool video;                      /* the upload is a video, in spool */
    struct MHD_PostProcessor *post;  /* multipart */
    bool saw_file;
    bool bad_multipart;
    char *context;                   /* multipart field "context" (JSON) */
    size_t context_size;
    /* response */
    int status;
    char *out;                       /* malloc'd body */
    size_t out_size;
    const char *out_type;
    int out_fd;                      /* file response, -1 if none */
    uint64_t out_fd_size;
    char location[512];
    int retry_after;
    const char *error_code;          /* for the log line */
    const char *csp;                 /* Content-Security-Policy; NULL: none at all allowed */
    const char *disposition;         /* Content-Disposition, or NULL */
    bool suspended, done;
};

/* JSON parsed from the body, or NULL after answering 400 (caller returns). */
json_t *bwd_body_json(bwd_request *r);
/* text parsed as a JSON object (jansson flags), or NULL with the error
 * answered: 400 invalid_json if it does not parse, 422 parse if it is not an
 * object; `what` names it in the message. */
json_t *bwd_json_object(bwd_request *r, const char *text, size_t size, size_t flags,
                        const char *what);
/* A query-string argument, or NULL. */
const char *bwd_arg(const bwd_request *r, const char *name);
/* An integer query argument within [lo, hi]; false after answering 400. */
bool bwd_arg_int(bwd_request *r, const char *name, long long lo, long long hi,
                 long long *out);
/* Parses a positive id from a path segment; answers 404 "no WHAT 'TEXT'" and
 * returns false when it is not one. */
bool bwd_path_id(bwd_request *r, const char *text, const char *what, int64_t *id);

/* Responses: the JSON is consumed. */
void bwd_reply(bwd_request *r, int status, json_t *body);
void bwd_error(bwd_request *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Answers written piece by piece (text_buf.h), for the routes every upload or
 * hash takes: building them as jansson values and dumping those cost the
 * hash route about a sixth of its CPU. */
void bwd_put_json_string(text_buf *t, const char *s); /* as a JSON string */
void bwd_put_json(text_buf *t, const json_t *j); /* j dumped as bwd_reply would */
/* Answers with the text as an application/json body; the text is consumed. */
void bwd_reply_text(bwd_request *r, int status, text_buf *t);
/* The status and code a library failure maps to, message from the context. */
void bwd_fail(bwd_request *r, bw_status st, const bw_ctx *ctx);
const char *bwd_status_code(bw_status st); /* the API's error code */
int bwd_http_status(bw_status st);

/* ---- media bodies (media_body.c) ------------------------------------------ */

/* The body limit of a media route before its first bytes are seen. */
uint64_t bwd_media_limit(const bwd_config *c, const char *media_type);
/* Takes a chunk of an upload: in memory until its first bytes show a video,
 * which then goes to an unnamed temporary file. false when the connection
 * should be dropped. */
bool bwd_media_take(bwd_request *r, const char *data, size_t size);
/* Decides what a short upload is; false after answering. */
bool bwd_media_finish(bwd_request *r);
/* An unnamed temporary file in spool_dir: removed by the system when
 * closed, even if the process dies. NULL on failure. */
FILE *bwd_spool_open(const bwd_config *c);
/* vPDQ options from the configuration; NULL (after logging) when invalid. */
bw_vpdq_options *bwd_video_options(const bwd_config *c);

/* ---- keys and rate limits (auth.c) --------------------------------------- */

bwd_keys *bwd_keys_create(unsigned cache_seconds, unsigned default_rate);
void bwd_keys_free(bwd_keys *k);
/* Authenticates a bearer key: 0 and fills id/role/rate, or an HTTP status
 * (401, 503) with code and message set. */
int bwd_keys_check(bwd_server *srv, const char *bearer, int64_t *id, bw_role *role,
                   uint32_t *rate, const char **code, const char **message);
/* Takes one request from a key's budget; false (with the seconds to wait)
 * when over the limit. */
bool bwd_keys_take(bwd_keys *k, int64_t id, uint32_t rate_per_minute, int *retry_after);
/* Forgets a key at once (after a revocation on this node). */
void bwd_keys_forget(bwd_keys *k, int64_t id);

/* ---- the worker pool (jobs.c) -------------------------------------------- */

bwd_jobs *bwd_jobs_create(unsigned workers, unsigned queue);
/* Stops accepting, runs what is queued, joins the workers. */
void bwd_jobs_free(bwd_jobs *j);
/* Queues a request; false when the queue is full. */
bool bwd_jobs_submit(bwd_jobs *j, bwd_request *r);
unsigned bwd_jobs_depth(bwd_jobs *j);

/* ---- background loops ------------------------------------------------------ */

/* Follows the change feed (refresh.c). */
void *bwd_refresh_loop(void *srv);
/* Checkpoints a SQLite store once a second (refresh.c). */
void *bwd_checkpoint_loop(void *srv);
/* Delivers webhooks (webhook.c). */
void *bwd_webhook_loop(void *srv);
/* Sleeps up to ms, waking early when the server stops; false once stopping. */
bool bwd_sleep(bwd_server *srv, unsigned ms);

/* ---- routes ---------------------------------------------------------------- */

extern const bwd_route bwd_routes[];
extern const size_t bwd_route_count;
/* Finds the route for a path: its index, or -1 (no path), or -2 - index of
 * a route with that path but another method. Fills params. */
int bwd_route_find(const char *method, const char *path, char params[][256]);
/* The methods path accepts, as an Allow header lists them. */
void bwd_route_allow(const char *path, char *out, size_t size);

/* Runs a request's handler on this thread (the worker pool calls it). */
void bwd_run(bwd_request *r);

/* Starts serving HTTP with libmicrohttpd. */
bool bwd_http_start(bwd_server *srv, char *err, size_t err_size);

/* Shared by the media handlers (api_match.c). */
json_t *bwd_hashes_json(const bw_hashes *h, bool dihedral);
json_t *bwd_matches_json(const bw_matches *m);
/* Whether any match is of a quarantined (flood) hash. */
bool bwd_matches_quarantined(const bw_matches *m);
bool bwd_read_context(bwd_request *r, char **out);
int64_t bwd_record_match(bwd_request *r, bwd_thread *t, const char *query,
                         const char *context);
void bwd_add_outcome(json_t *j, const bw_matches *m, int64_t event);
bool bwd_threshold_arg(bwd_request *r, int *threshold);

/* Shared by the content handlers (api_banks.c): adds one signal of an
 * upload to the route's bank (its entry in the answer, NULL when the store
 * failed), and brings this node's index up to date after a change. */
json_t *bwd_bank_add_one(bwd_request *r, bwd_thread *t, bw_signal_type type, const char *value,
                         const char *meta);
void bwd_bank_catch_up(bwd_request *r, bwd_thread *t);

/* Videos on the media routes (api_video.c). */
void bwd_video_hash(bwd_request *r);
void bwd_video_match(bwd_request *r);
/* Banks a video upload once the bank is known to exist; takes meta_json. */
void bwd_video_bank(bwd_request *r, bwd_thread *t, char *meta_json);

/* Handlers, by area. */
void bwd_api_hash(bwd_request *r);
void bwd_api_match(bwd_request *r);
void bwd_api_match_hashes(bwd_request *r);
void bwd_api_health(bwd_request *r);
void bwd_api_ready(bwd_request *r);
void bwd_api_metrics(bwd_request *r);
void bwd_api_banks_list(bwd_request *r);
void bwd_api_bank_create(bwd_request *r);
void bwd_api_bank_get(bwd_request *r);
void bwd_api_bank_delete(bwd_request *r);
void bwd_api_bank_update(bwd_request *r);
void bwd_api_signal_add(bwd_request *r);
void bwd_api_signal_get(bwd_request *r);
void bwd_api_signal_update(bwd_request *r);
void bwd_api_signal_delete(bwd_request *r);
void bwd_api_bank_content(bwd_request *r);
void bwd_api_bank_import(bwd_request *r);
void bwd_api_bank_export(bwd_request *r);
void bwd_api_events_list(bwd_request *r);
void bwd_api_events_queue(bwd_request *r);
void bwd_api_event_get(bwd_request *r);
void bwd_api_event_review(bwd_request *r);
void bwd_api_keys_list(bwd_request *r);
void bwd_api_key_create(bwd_request *r);
void bwd_api_key_revoke(bwd_request *r);
void bwd_api_audit_list(bwd_request *r);
void bwd_api_audit_verify(bwd_request *r);
void bwd_api_quarantine_list(bwd_request *r);
void bwd_api_quarantine_release(bwd_request *r);
void bwd_api_deliveries_list(bwd_request *r);
void bwd_api_config(bwd_request *r);

/* Audits an admin action by the request's key (failures are logged). */
void bwd_audit(bwd_request *r, const char *action, const char *subject, json_t *details);

/* The review page, reports, statistics and retained media (review.c,
 * web_pages.c, api_media.c, api_reports.c, api_stats.c). */
void bwd_web_page(bwd_request *r);
void bwd_web_asset(bwd_request *r);
void bwd_api_whoami(bwd_request *r);
void bwd_api_event_media(bwd_request *r);
void bwd_api_event_media_reveal(bwd_request *r);
void bwd_api_report(bwd_request *r);
void bwd_api_stats(bwd_request *r);
void bwd_api_stats_chart(bwd_request *r);
/* Opens the vault and reads the reporter when configured, and starts the
 * retention sweep; false after logging why. */
bool bwd_review_start(bwd_server *srv);
void bwd_review_stop(bwd_server *srv);
/* An upload about to be recorded: sealed into the vault when media is
 * retained and the match will be reviewed; *ref stays empty otherwise. */
void bwd_media_keep(bwd_request *r, const bw_matches *m, char *ref, size_t size);
/* Deletes what bwd_media_keep sealed when no event came to name it. */
void bwd_media_drop(bwd_request *r, const char *ref);
/* The reporter_file's JSON, or NULL when none is configured. */
const char *bwd_reporter(const bwd_server *srv);

/* Renders /metrics text into a malloc'd buffer (metrics.c). */
char *bwd_metrics_render(bwd_server *srv, size_t *size_out);

/* The endpoints for devices: remote check, PSM, self-report. */
#include "api_device.h"

#endif

/*
 * HTTP handling on libmicrohttpd: authenticate and check a request as soon
 * as its headers arrive (so a wrong key or an oversized upload is refused
 * before its body is read), collect the body within its limit, run the
 * route inline or on the worker pool, and log one line when it completes.
 */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bulwarkd.h"

/* The most a client may send past a body limit before being cut off. */
#define DISCARD_MAX (256ull << 20)

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_free(void *p)
{
    bwd_thread *t = p;
    free(t->spare);
    bw_digester_free(t->sha256);
    bw_pdq_set_free(t->set);
    bw_matches_free(t->matches);
    bw_hashes_free(t->hashes);
    bw_ctx_free(t->ctx);
    free(t);
}

static void thread_init(void)
{
    pthread_key_create(&thread_key, thread_free);
}

bwd_thread *bwd_thread_get(void)
{
    pthread_once(&thread_once, thread_init);
    bwd_thread *t = pthread_getspecific(thread_key);
    if (t)
        return t;
    t = calloc(1, sizeof *t);
    if (!t || bw_ctx_create(&t->ctx) != BW_OK || bw_hashes_create(&t->hashes) != BW_OK ||
        bw_matches_create(&t->matches) != BW_OK || bw_pdq_set_create(&t->set) != BW_OK ||
        bw_digester_create(&t->sha256, BW_DIGEST_SHA256) != BW_OK) {
        if (t)
            thread_free(t);
        return NULL;
    }
    pthread_setspecific(thread_key, t);
    return t;
}

/* ---- checks on the headers ------------------------------------------------- */

static const char *header(const bwd_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* The media type without parameters, lower case. */
static void media_type(const bwd_request *r, char *out, size_t size)
{
    const char *ct = header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = 0;
    for (; ct && ct[n] && ct[n] != ';' && ct[n] != ' ' && n + 1 < size; n++)
        out[n] = (char)((ct[n] >= 'A' && ct[n] <= 'Z') ? ct[n] + 32 : ct[n]);
    out[n] = '\0';
}

static bool accepts(const bwd_request *r, const char *type)
{
    switch (r->route->body) {
    case BWD_BODY_NONE:
        return true;
    case BWD_BODY_JSON:
        return !strcmp(type, "application/json") ||
               (strlen(type) > 5 && !strcmp(type + strlen(type) - 5, "+json"));
    case BWD_BODY_MEDIA:
        return !*type || !strncmp(type, "image/", 6) || !strncmp(type, "video/", 6) ||
               !strcmp(type, "application/octet-stream") || !strcmp(type, "multipart/form-data");
    case BWD_BODY_LIST:
        return !*type || !strcmp(type, "text/plain") || !strcmp(type, "text/csv") ||
               !strcmp(type, "application/x-ndjson") || !strcmp(type, "application/jsonl") ||
               !strcmp(type, "application/octet-stream");
    }
    return false;
}

static const char *expected(bwd_body body)
{
    switch (body) {
    case BWD_BODY_JSON:
        return "application/json";
    case BWD_BODY_MEDIA:
        return "the media's own type (image/jpeg, ...), application/octet-stream, or"
               " multipart/form-data with a field named 'file'";
    case BWD_BODY_LIST:
        return "text/plain (lines), text/csv or application/x-ndjson";
    case BWD_BODY_NONE:
        break;
    }
    return "no body";
}

static enum MHD_Result post_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *filename, const char *content_type,
                                  const char *encoding, const char *data, uint64_t off,
                                  size_t size);

static enum MHD_Result count_host(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind, (void)value;
    if (key && !strcasecmp(key, MHD_HTTP_HEADER_HOST))
        ++*(int *)cls;
    return MHD_YES;
}

/* Everything decided from the request line and headers. */
static void begin(bwd_request *r, const char *method, const char *url)
{
    bwd_server *srv = r->srv;
    if (atomic_load(&srv->stopping)) {
        bwd_error(r, 503, "shutting_down", "the service is shutting down");
        return;
    }
    /* RFC 9112 3.2: a request with several Host lines is refused, as
     * libmicrohttpd refuses one without (a proxy in front and this node
     * must not disagree on which host was meant). */
    int hosts = 0;
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_host, &hosts);
    if (hosts > 1) {
        bwd_error(r, 400, "bad_request", "the request has %d Host header lines", hosts);
        return;
    }
    const int found = bwd_route_find(method, url, r->params);
    if (found == -1) {
        r->route_index = -1;
        bwd_error(r, 404, "not_found", "no such endpoint: %s", url);
        return;
    }
    if (found < -1) {
        r->route_index = -2 - found;
        r->route = &bwd_routes[r->route_index];
        bwd_error(r, 405, "method_not_allowed", "%s does not accept %s", url, method);
        return;
    }
    r->route_index = found;
    r->route = &bwd_routes[found];
    if (r->route->roles && !(r->route->handler == bwd_api_metrics && srv->cfg.metrics_public)) {
        const char *code = NULL, *message = NULL;
        uint32_t rate = 0;
        const int status = bwd_keys_check(srv, header(r, MHD_HTTP_HEADER_AUTHORIZATION),
                                          &r->key_id, &r->role, &rate, &code, &message);
        if (status) {
            bwd_error(r, status, code, "%s", message);
            return;
        }
        if (!(r->route->roles & (1u << r->role))) {
            bwd_error(r, 403, "forbidden", "a %s key cannot use %s %s", bw_role_name(r->role),
                      method, r->route->pattern);
            return;
        }
        if (!bwd_keys_take(srv->keys, r->key_id, rate, &r->retry_after)) {
            bwd_error(r, 429, "rate_limited", "this key is over its limit of %u requests a"
                      " minute", rate);
            return;
        }
    }
    char type[128];
    media_type(r, type, sizeof type);
    const char *length = header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const bool has_body = (length && strcmp(length, "0") != 0) ||
                          header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    const bwd_config *c = &srv->cfg;
    r->limit = r->route->body == BWD_BODY_JSON    ? c->max_json_bytes
               : r->route->body == BWD_BODY_MEDIA ? bwd_media_limit(c, type)
               : r->route->body == BWD_BODY_LIST  ? c->max_import_bytes
                                                  : 64 * 1024;
    if (has_body && !accepts(r, type)) {
        bwd_error(r, 415, "unsupported_media_type", "Content-Type '%s' is not accepted here;"
                  " send %s", *type ? type : "(none)", expected(r->route->body));
        return;
    }
    const unsigned long long declared = length ? strtoull(length, NULL, 10) : 0;
    if (declared > r->limit) {
        /* Most clients send the whole body before reading the answer: an
         * answer now would reach them as a reset connection. Up to a point
         * the body is read and dropped so they see the 413; beyond it, or
         * when the client waits for 100-continue, the answer goes at once. */
        const char *expect = header(r, MHD_HTTP_HEADER_EXPECT);
        if (declared > DISCARD_MAX || (expect && !strcasecmp(expect, "100-continue")))
            bwd_error(r, 413, "too_large",
                      "the body is %s bytes; this endpoint takes at most %llu", length,
                      (unsigned long long)r->limit);
        else
            r->overflow = true;
        return;
    }
    if (r->route->body == BWD_BODY_MEDIA && !strcmp(type, "multipart/form-data")) {
        r->post = MHD_create_post_processor(r->conn, 64 * 1024, post_field, r);
        if (!r->post)
            bwd_error(r, 400, "bad_request", "multipart/form-data without a usable boundary");
    } else if (r->route->body == BWD_BODY_LIST) {
        r->spool = bwd_spool_open(c);
        if (!r->spool)
            bwd_error(r, 503, "unavailable", "no room to receive the list");
    }
}

/* ---- the body ---------------------------------------------------------------- */

static enum MHD_Result post_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *filename, const char *content_type,
                                  const char *encoding, const char *data, uint64_t off,
                                  size_t size)
{
    (void)kind, (void)filename, (void)content_type, (void)encoding, (void)off;
    bwd_request *r = cls;
    if (!key) /* a part without a name (libmicrohttpd passes NULL): not ours */
        return MHD_YES;
    if (!strcmp(key, "file")) {
        r->saw_file = true;
        return bwd_media_take(r, data, size) && !r->overflow ? MHD_YES : MHD_NO;
    } else if (!strcmp(key, "context")) {
        if (r->context_size + size > 64 * 1024) {
            r->overflow = true;
            return MHD_NO;
        }
        char *g = realloc(r->context, r->context_size + size + 1);
        if (!g)
            return MHD_NO;
        r->context = g;
        memcpy(r->context + r->context_size, data, size);
        r->context_size += size;
        r->context[r->context_size] = '\0';
    }
    return MHD_YES;
}

/* Takes one chunk; false when the connection should be dropped. */
static bool absorb(bwd_request *r, const char *data, size_t size)
{
    if (r->srv->cfg.request_timeout &&
        bwd_now() - r->started > (double)r->srv->cfg.request_timeout) {
        bwd_logf(BWD_WARN, "request body too slow, connection dropped", "{s:s}", "route",
                 r->route->name);
        return false;
    }
    if (r->overflow) /* discard what follows, up to a point */
        return (r->size += size) <= DISCARD_MAX;
    if (r->post) {
        if (!r->bad_multipart && MHD_post_process(r->post, data, size) != MHD_YES)
            r->bad_multipart = true; /* answered once the body is in */
        return true;
    }
    if (r->route->body == BWD_BODY_MEDIA)
        return bwd_media_take(r, data, size);
    if (r->size + size > r->limit) {
        r->overflow = true;
        r->size += size;
        return true;
    }
    if (r->spool) {
        if (fwrite(data, 1, size, r->spool) != size)
            return false;
        r->size += size;
        return true;
    }
    /* Most JSON bodies are a few hundred bytes: start small (a 64 KiB
     * start cost every request a large allocation and its release, and
     * glibc's allocations from about 1 KiB up are large ones too). */
    if (!text_grow(&r->body, &r->cap, r->size + size + 1, 512))
        return false;
    memcpy(r->body + r->size, data, size);
    r->size += size;
    r->body[r->size] = '\0';
    return true;
}

/* Checks the complete body; false after answering. */
static bool finish_body(bwd_request *r)
{
    if (r->route->body == BWD_BODY_MEDIA && !r->post && !r->overflow && !bwd_media_finish(r))
        return false;
    if (r->post) {
        const enum MHD_Result complete = MHD_destroy_post_processor(r->post);
        r->post = NULL;
        if (r->overflow) {
            bwd_error(r, 413, "too_large", "the upload is larger than %llu bytes",
                      (unsigned long long)r->limit);
            return false;
        }
        if (complete != MHD_YES || r->bad_multipart) {
            bwd_error(r, 400, "bad_request", "the multipart body is malformed or truncated");
            return false;
        }
        if (!r->saw_file) {
            bwd_error(r, 400, "bad_request", "the multipart body has no field named 'file'");
            return false;
        }
        if (!bwd_media_finish(r))
            return false;
    }
    if (r->overflow) {
        bwd_error(r, 413, "too_large", "the body is larger than %llu bytes",
                  (unsigned long long)r->limit);
        return false;
    }
    if (r->body)
        r->body[r->size] = '\0';
    if (r->spool && (fflush(r->spool) != 0 || fseek(r->spool, 0, SEEK_SET) != 0)) {
        bwd_error(r, 503, "unavailable", "could not keep the list");
        return false;
    }
    return true;
}

/* ---- running and answering ------------------------------------------------------ */

static void run(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    if (!t) {
        bwd_error(r, 503, "unavailable", "out of memory");
        return;
    }
    const bwd_config *c = &r->srv->cfg;
    bw_ctx_set_actor(t->ctx, r->key_id);
    bw_ctx_set_limit(t->ctx, BW_LIMIT_PIXELS, c->max_pixels);
    bw_ctx_set_limit(t->ctx, BW_LIMIT_INPUT_BYTES, c->max_media_bytes);
    bw_ctx_set_limit(t->ctx, BW_LIMIT_DECODE_MS, c->decode_ms);
    r->route->handler(r);
    if (!r->status)
        bwd_error(r, 500, "internal", "the handler gave no answer");
}

void bwd_run(bwd_request *r)
{
    run(r);
}

static enum MHD_Result respond(bwd_request *r)
{
    struct MHD_Response *resp;
    if (r->out_fd >= 0) {
        resp = MHD_create_response_from_fd64(r->out_fd_size, r->out_fd);
        if (resp)
            r->out_fd = -1; /* libmicrohttpd closes it */
    } else {
        resp = MHD_create_response_from_buffer(r->out_size, r->out, MHD_RESPMEM_MUST_FREE);
        if (resp)
            r->out = NULL;
    }
    if (!resp)
        return MHD_NO;
    if (r->out_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->out_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* Nothing is ever framed (clickjacking), and only the review page's
     * own files may run (web_pages.c sets its policy). */
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            r->csp ? r->csp : "default-src 'none'; frame-ancestors 'none'");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
    if (r->disposition)
        MHD_add_response_header(resp, "Content-Disposition", r->disposition);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (*r->location)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
    if (r->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"bulwark\"");
    if (r->status == 405) {
        char allow[64];
        bwd_route_allow(r->path, allow, sizeof allow);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    }
    if (r->retry_after > 0 || r->status == 503) {
        char s[16];
        snprintf(s, sizeof s, "%d", r->retry_after > 0 ? r->retry_after : 1);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, s);
    }
    const enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    bwd_request *r = *con_cls;
    if (!r) {
        bwd_thread *t = bwd_thread_get();
        if (t && t->spare) {
            r = t->spare;
            t->spare = NULL;
            memset(r, 0, sizeof *r);
        } else if (!(r = calloc(1, sizeof *r))) {
            return MHD_NO;
        }
        *con_cls = r;
        r->srv = cls;
        r->conn = conn;
        r->started = bwd_now();
        r->out_fd = -1;
        r->route_index = -1;
        snprintf(r->path, sizeof r->path, "%s", url);
        atomic_fetch_add(&r->srv->inflight, 1);
        begin(r, method, url);
        return r->status ? respond(r) : MHD_YES;
    }
    if (*upload_data_size) {
        const bool keep = r->status || absorb(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return keep ? MHD_YES : MHD_NO;
    }
    if (r->status && !r->done && !r->suspended)
        return respond(r); /* answered before the body (cannot happen twice) */
    if (r->done)
        return respond(r);
    if (!finish_body(r))
        return respond(r);
    if (!r->route->worker) {
        run(r);
        return respond(r);
    }
    MHD_suspend_connection(conn);
    r->suspended = true;
    if (!bwd_jobs_submit(r->srv->jobs, r)) {
        bwd_metrics_count(r->srv->metrics, "uploads_refused_busy", 1);
        bwd_error(r, 503, "busy", "too many uploads in progress; retry shortly");
        r->done = true;
        MHD_resume_connection(conn);
    }
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)conn;
    bwd_server *srv = cls;
    bwd_request *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    const double seconds = bwd_now() - r->started;
    const int status = why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? r->status : 499;
    bwd_metrics_request(srv->metrics, r->route_index, status, seconds);
    /* The log line names the route and the key, never a hash or a body. */
    bwd_log_request(status >= 500 ? BWD_WARN : BWD_INFO, r->route ? r->route->method : "",
                    r->route ? r->route->name : "(none)", status, seconds * 1000, r->key_id,
                    r->size, r->error_code);
    if (r->post)
        MHD_destroy_post_processor(r->post);
    if (r->spool)
        fclose(r->spool);
    if (r->out_fd >= 0)
        close(r->out_fd);
    free(r->body);
    free(r->context);
    free(r->out);
    pthread_once(&thread_once, thread_init);
    bwd_thread *t = pthread_getspecific(thread_key);
    if (t && !t->spare)
        t->spare = r;
    else
        free(r);
    /* Only a shutdown waits for the count to fall: wake it then, and leave
     * the lock alone on every other request. */
    atomic_fetch_sub(&srv->inflight, 1);
    if (atomic_load(&srv->stopping)) {
        pthread_mutex_lock(&srv->stop_lock);
        pthread_cond_broadcast(&srv->stop_cond);
        pthread_mutex_unlock(&srv->stop_lock);
    }
}

/* libmicrohttpd's own messages: fmt is its format, with its arguments. */
__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    bwd_logf(BWD_DEBUG, "libmicrohttpd", "{s:s}", "detail", text);
}

static char *read_pem(const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    char *buf = f ? calloc(1, 1 << 20) : NULL;
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    if (f)
        fclose(f);
    if (!buf || !n) {
        snprintf(err, err_size, "cannot read %s", path);
        free(buf);
        return NULL;
    }
    return buf;
}

bool bwd_http_start(bwd_server *srv, char *err, size_t err_size)
{
    const bwd_config *c = &srv->cfg;
    char host[256], port[16];
    const char *colon = strrchr(c->listen, ':');
    if (!colon || colon - c->listen >= (long)sizeof host || strlen(colon + 1) >= sizeof port) {
        snprintf(err, err_size, "--listen wants HOST:PORT, not '%s'", c->listen);
        return false;
    }
    memcpy(host, c->listen, (size_t)(colon - c->listen));
    host[colon - c->listen] = '\0';
    snprintf(port, sizeof port, "%s", colon + 1);
    if (host[0] == '[') { /* [::1]:8080 */
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = '\0';
    }
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    const int gai = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
    if (gai) {
        snprintf(err, err_size, "cannot listen on %s: %s", c->listen, gai_strerror(gai));
        return false;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    char *cert = NULL, *key = NULL;
    if (*c->tls_cert || *c->tls_key) {
        if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
            snprintf(err, err_size, "this libmicrohttpd has no TLS support");
            freeaddrinfo(ai);
            return false;
        }
        if (!(cert = read_pem(c->tls_cert, err, err_size)) ||
            !(key = read_pem(c->tls_key, err, err_size))) {
            free(cert);
            freeaddrinfo(ai);
            return false;
        }
        flags |= MHD_USE_TLS;
    }
    /* Options given only when they apply (libmicrohttpd warns about a
     * thread pool of one, which is no pool). */
    struct MHD_OptionItem more[4];
    size_t n = 0;
    if (cert) {
        more[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, cert};
        more[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, key};
    }
    if (c->http_threads > 1)
        more[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, c->http_threads, NULL};
    more[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_CONNECTION_LIMIT,
        c->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->per_ip_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, c->idle_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)c->header_bytes, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
        MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_ARRAY, more, MHD_OPTION_END);
    freeaddrinfo(ai);
    srv->tls_cert_pem = cert; /* kept until the daemon stops */
    srv->tls_key_pem = key;
    if (!srv->daemon) {
        snprintf(err, err_size, "cannot serve on %s (address in use, or not ours?)", c->listen);
        return false;
    }
    return true;
}

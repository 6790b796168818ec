/*
 * The relay: stores and forwards envelopes it cannot open. It knows user
 * names, their public keys, who sends to whom, when, and size classes;
 * never a plaintext, a hash or a key that opens anything (docs/privacy.md).
 *
 *   DIR/users/NAME        the user's public key (hex)
 *   DIR/tokens/SHA256     NAME, for the bearer token with that SHA-256
 *   DIR/mail/NAME/ID      one envelope; ID = MILLISECONDS-RANDOM-SENDER
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "chat.h"

#define MAILBOX_MAX 1000
#define JSON_MAX 4096

typedef struct relay {
    char dir[4096];
    pthread_mutex_t lock; /* one change to the files at a time */
} relay;

typedef struct request {
    chat_buf body;
    size_t limit;
    bool too_large;
} request;

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               const void *data, size_t size)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(size, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    const enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    const enum MHD_Result ok =
        respond(c, status, "application/json", text ? text : "{}", text ? strlen(text) : 2);
    free(text);
    return ok;
}

static enum MHD_Result fail(struct MHD_Connection *c, unsigned status, const char *code,
                            const char *message)
{
    return reply(c, status, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message",
                                      message));
}

static void token_hash(char out[65], const char *token)
{
    uint8_t d[32];
    crypto_hash_sha256(d, (const uint8_t *)token, strlen(token));
    sodium_bin2hex(out, 65, d, sizeof d);
}

/* The user a bearer token belongs to; false when none. */
static bool who(relay *rl, struct MHD_Connection *c, char name[CHAT_NAME_MAX + 1])
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncmp(auth, "Bearer ", 7) != 0 || strlen(auth + 7) != 64)
        return false;
    char hash[65], path[4300];
    token_hash(hash, auth + 7);
    snprintf(path, sizeof path, "%s/tokens/%s", rl->dir, hash);
    chat_buf b = {0};
    if (!chat_read_file(path, CHAT_NAME_MAX + 1, &b))
        return false;
    const bool ok = chat_valid_name((const char *)b.data);
    if (ok)
        snprintf(name, CHAT_NAME_MAX + 1, "%s", (const char *)b.data);
    chat_buf_free(&b);
    return ok;
}

static enum MHD_Result register_user(relay *rl, struct MHD_Connection *c, const chat_buf *b)
{
    json_t *j = json_loadb((const char *)b->data, b->len, 0, NULL);
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *key = json_string_value(json_object_get(j, "public_key"));
    uint8_t pk[crypto_box_PUBLICKEYBYTES], token[32];
    char path[4300], hash[65], token_hex[65];
    enum MHD_Result ok;
    if (!chat_valid_name(name) || !chat_from_hex(pk, sizeof pk, key)) {
        ok = fail(c, 422, "parse", "send {\"name\": 1-32 of a-z0-9_.-, \"public_key\": hex}");
        json_decref(j);
        return ok;
    }
    pthread_mutex_lock(&rl->lock);
    snprintf(path, sizeof path, "%s/users/%s", rl->dir, name);
    struct stat st;
    if (stat(path, &st) == 0) {
        pthread_mutex_unlock(&rl->lock);
        json_decref(j);
        return fail(c, 409, "exists", "that name is taken");
    }
    randombytes_buf(token, sizeof token);
    sodium_bin2hex(token_hex, sizeof token_hex, token, sizeof token);
    token_hash(hash, token_hex);
    bool saved = chat_write_file(path, key, strlen(key), 0600);
    snprintf(path, sizeof path, "%s/tokens/%s", rl->dir, hash);
    saved = saved && chat_write_file(path, name, strlen(name), 0600);
    snprintf(path, sizeof path, "%s/mail/%s", rl->dir, name);
    saved = saved && (mkdir(path, 0700) == 0 || errno == EEXIST);
    pthread_mutex_unlock(&rl->lock);
    ok = saved ? reply(c, 201, json_pack("{s:s, s:s}", "name", name, "token", token_hex))
               : fail(c, 500, "storage", "cannot store the user");
    sodium_memzero(token_hex, sizeof token_hex);
    json_decref(j);
    return ok;
}

static enum MHD_Result get_user(relay *rl, struct MHD_Connection *c, const char *name)
{
    char path[4300];
    chat_buf b = {0};
    snprintf(path, sizeof path, "%s/users/%s", rl->dir, name);
    if (!chat_valid_name(name) || !chat_read_file(path, 128, &b))
        return fail(c, 404, "not_found", "no such user");
    const enum MHD_Result ok =
        reply(c, 200, json_pack("{s:s, s:s}", "name", name, "public_key", (char *)b.data));
    chat_buf_free(&b);
    return ok;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static enum MHD_Result post_message(relay *rl, struct MHD_Connection *c, const char *from,
                                    const char *to, const chat_buf *b)
{
    char dir[4300], path[4400];
    struct stat st;
    snprintf(dir, sizeof dir, "%s/mail/%s", rl->dir, to);
    if (!chat_valid_name(to) || stat(dir, &st) != 0)
        return fail(c, 404, "not_found", "no such user");
    if (b->len == 0)
        return fail(c, 400, "bad_request", "an empty message");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char id[96];
    snprintf(id, sizeof id, "%013lld-%08x-%s",
             (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000, randombytes_random(), from);
    snprintf(path, sizeof path, "%s/%s", dir, id);
    pthread_mutex_lock(&rl->lock);
    const bool full = count_entries(dir) >= MAILBOX_MAX;
    const bool saved = !full && chat_write_file(path, b->data, b->len, 0600);
    pthread_mutex_unlock(&rl->lock);
    if (full)
        return fail(c, 429, "mailbox_full", "the recipient's mailbox is full");
    return saved ? reply(c, 201, json_pack("{s:s}", "id", id))
                 : fail(c, 500, "storage", "cannot store the message");
}

/* IDs the relay made: digits, '-', 8 hex digits, '-', a user name. */
static bool valid_id(const char *id, const char **from)
{
    size_t i = 0;
    while (id[i] >= '0' && id[i] <= '9')
        i++;
    if (i == 0 || id[i] != '-' || strspn(id + i + 1, "0123456789abcdef") != 8 ||
        id[i + 9] != '-')
        return false;
    *from = id + i + 10;
    return chat_valid_name(*from);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum MHD_Result list_messages(relay *rl, struct MHD_Connection *c, const char *me)
{
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/mail/%s", rl->dir, me);
    char *names[MAILBOX_MAX];
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && n < MAILBOX_MAX && (e = readdir(d));) {
        const char *from;
        if (valid_id(e->d_name, &from))
            names[n++] = strdup(e->d_name);
    }
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        const char *from = NULL;
        valid_id(names[i], &from);
        json_array_append_new(list, json_pack("{s:s, s:s}", "id", names[i], "from", from));
        free(names[i]);
    }
    return reply(c, 200, json_pack("{s:o}", "messages", list));
}

static enum MHD_Result one_message(relay *rl, struct MHD_Connection *c, const char *me,
                                   const char *id, bool remove)
{
    const char *from;
    char path[4400];
    if (!valid_id(id, &from))
        return fail(c, 404, "not_found", "no such message");
    snprintf(path, sizeof path, "%s/mail/%s/%s", rl->dir, me, id);
    if (remove) {
        pthread_mutex_lock(&rl->lock);
        const bool gone = unlink(path) == 0;
        pthread_mutex_unlock(&rl->lock);
        return gone ? respond(c, 204, "application/json", "", 0)
                    : fail(c, 404, "not_found", "no such message");
    }
    chat_buf b = {0};
    if (!chat_read_file(path, CHAT_MESSAGE_MAX, &b))
        return fail(c, 404, "not_found", "no such message");
    const enum MHD_Result ok = respond(c, 200, "application/octet-stream", b.data, b.len);
    chat_buf_free(&b);
    return ok;
}

static enum MHD_Result route(relay *rl, struct MHD_Connection *c, const char *method,
                             const char *url, const chat_buf *body)
{
    const bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST"),
               del = !strcmp(method, "DELETE");
    if (post && !strcmp(url, "/v1/users"))
        return register_user(rl, c, body);
    if (get && !strncmp(url, "/v1/users/", 10))
        return get_user(rl, c, url + 10);
    if (strncmp(url, "/v1/messages", 12) != 0)
        return fail(c, 404, "not_found", "no such endpoint");
    char me[CHAT_NAME_MAX + 1];
    if (!who(rl, c, me))
        return fail(c, 401, "unauthorized", "send your relay token as a Bearer token");
    const char *rest = url + 12;
    if (get && (!*rest || !strcmp(rest, "/")))
        return list_messages(rl, c, me);
    if (*rest == '/' && post)
        return post_message(rl, c, me, rest + 1, body);
    if (*rest == '/' && (get || del))
        return one_message(rl, c, me, rest + 1, del);
    return fail(c, 405, "method_not_allowed", "not with this method");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **state)
{
    (void)version;
    relay *rl = cls;
    request *rq = *state;
    if (!rq) {
        if (!(rq = calloc(1, sizeof *rq)))
            return MHD_NO;
        rq->limit = !strncmp(url, "/v1/messages/", 13) ? CHAT_MESSAGE_MAX : JSON_MAX;
        *state = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        if (rq->body.len + *upload_size > rq->limit)
            rq->too_large = true;
        else if (!chat_buf_append(&rq->body, upload, *upload_size))
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_large)
        return fail(c, 413, "too_large", "the body is over the limit");
    if (!rq->body.data)
        chat_buf_append(&rq->body, "", 0);
    return route(rl, c, method, url, &rq->body);
}

static void on_done(void *cls, struct MHD_Connection *c, void **state,
                    enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)c, (void)why;
    request *rq = *state;
    if (rq) {
        chat_buf_free(&rq->body);
        free(rq);
    }
}

static bool parse_listen(const char *listen, struct sockaddr_in *sa)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host)
        return false;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    const long port = strtol(colon + 1, &end, 10);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return *end == '\0' && port >= 0 && port < 65536 &&
           inet_pton(AF_INET, *host ? host : "0.0.0.0", &sa->sin_addr) == 1;
}

int chat_relay_main(const char *listen, const char *data_dir)
{
    static relay rl;
    struct sockaddr_in sa;
    if (!listen || !data_dir || !parse_listen(listen, &sa)) {
        chat_error("relay needs --listen HOST:PORT (IPv4) and --data DIR");
        return CHAT_EXIT_USAGE;
    }
    snprintf(rl.dir, sizeof rl.dir, "%s", data_dir);
    pthread_mutex_init(&rl.lock, NULL);
    const char *subdirs[] = {"", "/users", "/tokens", "/mail"};
    for (int i = 0; i < 4; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s%s", data_dir, subdirs[i]);
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            chat_error("cannot create %s: %s", path, strerror(errno));
            return CHAT_EXIT_FAILED;
        }
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
        on_request, &rl, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)60, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
    if (!d) {
        chat_error("cannot listen on %s", listen);
        return CHAT_EXIT_FAILED;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("relay listening on http://%s:%u, storing in %s\n",
           *listen == ':' ? "0.0.0.0" : inet_ntoa(sa.sin_addr), info ? info->port : 0,
           data_dir);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    pthread_mutex_destroy(&rl.lock);
    return CHAT_EXIT_OK;
}

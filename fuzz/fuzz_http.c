/*
 * libFuzzer target for bulwarkd's whole request path: HTTP parsing, routing,
 * authentication, JSON and multipart bodies, every handler and the store
 * behind them. A real node (programs/bulwarkd/server.c) runs in this process
 * on loopback, with a SQLite bank in a temporary directory holding a block
 * bank, an allow bank and a few signals; each input is the bytes a client
 * sends on one connection (several pipelined requests if it likes). The
 * harness then asks for /healthz with "Connection: close", half-closes and
 * reads every answer until the node closes. (libmicrohttpd does not always
 * see a client's half-close on an idle keep-alive connection until its
 * idle timeout: the closing request spares the harness that wait.)
 *
 * So that mutations reach past authentication and framing, the harness
 * replaces, before sending:
 *   @A @R @C   by a working admin, reviewer and client key;
 *   @L         by the number of bytes after the end of its headers, so a
 *              Content-Length stays right while the body changes size.
 *
 * It fails (abort, so libFuzzer keeps the input) when the node answers a
 * status of 500 or above other than 503 (busy, by design) and 505 (the
 * HTTP library's answer to a mangled version), sends bytes that are not
 * well-framed answers, a JSON answer that does not parse or an error
 * without its code and message, does not finish answering within 10
 * seconds, or stops answering GET /healthz; and, like every target, on any
 * crash, leak or undefined behaviour the sanitizers see in any of the
 * node's threads.
 *
 * Without libFuzzer, replay.c runs it over the committed corpus;
 * BW_FUZZ_HTTP_ECHO=1 prints each exchange (for writing seeds).
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "bulwarkd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { ROLES = 3, ANSWER_MS = 10000 };

static bwd_server srv;
static char keys[ROLES][BW_KEY_CHARS + 1]; /* admin, reviewer, client */
static char dir[128];
static bool started;
/* The harness's own handle on the node's store, as `bulwark key create`
 * would have beside a running node. */
static bw_ctx *own_ctx;
static bw_store *own_store;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_http: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void make_keys(void)
{
    static const bw_role roles[ROLES] = {BW_ROLE_ADMIN, BW_ROLE_REVIEWER, BW_ROLE_CLIENT};
    for (int i = 0; i < ROLES; i++)
        if (bw_key_create(own_ctx, own_store, roles[i], "fuzz", 0, keys[i], sizeof keys[i],
                          NULL) != BW_OK)
            die("cannot create a key", bw_ctx_message(own_ctx));
}

/* The banks a fresh node starts with: enough for the review, quarantine and
 * allow-list paths to have something to find. */
static void seed_bank(bw_ctx *ctx, bw_store *store)
{
    static const struct {
        const char *bank;
        bw_signal_type type;
        const char *value;
    } signals[] = {
        {"block", BW_SIGNAL_PDQ, "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"},
        {"block", BW_SIGNAL_MD5, "d41d8cd98f00b204e9800998ecf8427e"},
        {"block", BW_SIGNAL_URL, "example.com/dir"},
        {"allowed", BW_SIGNAL_PDQ, "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b23"},
    };
    if (bw_bank_create(ctx, store, "block", BW_BANK_BLOCK, NULL) != BW_OK ||
        bw_bank_create(ctx, store, "allowed", BW_BANK_ALLOW, NULL) != BW_OK)
        die("cannot create the banks", bw_ctx_message(ctx));
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        if (bw_signal_add(ctx, store, signals[i].bank, signals[i].type, signals[i].value,
                          "fuzz", "{\"case\":\"seed\"}", NULL) != BW_OK)
            die("cannot add a signal", bw_ctx_message(ctx));
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    const size_t n = strlen(text);
    if (fd < 0 || write(fd, text, n) != (ssize_t)n)
        die("cannot write", path);
    close(fd);
}

static void remove_tree(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_http: could not remove %s\n", path);
}

/* The directories of earlier runs whose process is gone: a run that
 * aborts (a finding) or is killed never reaches atexit. */
static void remove_stale(const char *tmp)
{
    DIR *d = opendir(tmp);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        long pid = 0;
        if (sscanf(e->d_name, "bw-fuzz-http-%ld-", &pid) == 1 && pid > 0 &&
            kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            char path[400];
            snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
            remove_tree(path);
        }
    }
    if (d)
        closedir(d);
}

static void stop(void)
{
    if (!started)
        return;
    started = false;
    bwd_server_stop(&srv);
    bwd_log_stop();
    curl_global_cleanup();
    bw_store_close(own_store);
    bw_ctx_free(own_ctx);
    remove_tree(dir);
}

static void start(void)
{
    /* The node's files go to memory where there is some: a store that
     * syncs every commit to disk halves the inputs run a second. */
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > sizeof dir - 40)
        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    remove_stale(tmp);
    snprintf(dir, sizeof dir, "%s/bw-fuzz-http-%ld-XXXXXX", tmp, (long)getpid());
    if (!mkdtemp(dir))
        die("cannot make a temporary directory", strerror(errno));
    char db[192], err[512];
    snprintf(db, sizeof db, "%s/bank.db", dir);
    if (bw_ctx_create(&own_ctx) != BW_OK || bw_store_open(own_ctx, &own_store, db) != BW_OK)
        die("cannot create the store", own_ctx ? bw_ctx_message(own_ctx) : NULL);
    seed_bank(own_ctx, own_store);

    /* One HTTP thread and one worker keep runs reproducible; small limits
     * keep a decode or a wait from dominating (an input that stops mid-
     * request costs the idle timeout: the half-close is not seen, above). */
    static const char *const settings[][2] = {
        {"listen", "127.0.0.1:0"}, {"http_threads", "1"}, {"workers", "1"}, {"queue", "4"},
        {"log_level", "error"},    {"rate_per_minute", "0"}, {"max_pixels", "4000000"},
        {"decode_ms", "2000"},     {"request_timeout", "2"}, {"idle_timeout", "1"},
        {"video_max_seconds", "2"}, {"shutdown_grace", "0"},
    };
    bwd_config_defaults(&srv.cfg);
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        if (!bwd_config_set(&srv.cfg, settings[i][0], settings[i][1], err, sizeof err))
            die("bad setting", err);
    /* Retained media and a reporter, so that the vault and the reports
     * are reached too. */
    char media[192], media_key[192], reporter[192];
    snprintf(media, sizeof media, "%s/media", dir);
    snprintf(media_key, sizeof media_key, "%s/media.key", dir);
    snprintf(reporter, sizeof reporter, "%s/reporter.json", dir);
    write_file(media_key, "0123456789abcdef0123456789abcdef", 0600);
    write_file(reporter,
               "{\"first_name\":\"Fuzz\",\"last_name\":\"Harness\","
               "\"email\":\"trust@example.org\",\"organisation\":\"Example\"}",
               0644);
    if (mkdir(media, 0700) != 0)
        die("cannot make the media directory", strerror(errno));
    const char *const paths[][2] = {
        {"db", db},           {"spool_dir", dir},          {"media_dir", media},
        {"media_key_file", media_key}, {"reporter_file", reporter}, {"retain_media", "true"},
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (!bwd_config_set(&srv.cfg, paths[i][0], paths[i][1], err, sizeof err))
            die("bad setting", err);
    signal(SIGPIPE, SIG_IGN);
    bwd_log_init(srv.cfg.log_level);
    bwd_log_start();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!bwd_server_start(&srv))
        die("the node did not start (see its log above)", NULL);
    started = true;
    make_keys();
    atexit(stop);
}

typedef struct buf {
    char *data;
    size_t size, cap;
} buf;

static void put(buf *b, const void *data, size_t size)
{
    if (b->size + size + 1 > b->cap) {
        b->cap = (b->size + size + 1) * 2;
        if (!(b->data = realloc(b->data, b->cap)))
            die("out of memory", NULL);
    }
    memcpy(b->data + b->size, data, size);
    b->size += size;
    b->data[b->size] = '\0';
}

/* The input with its placeholders replaced (see the top of the file). */
static void expand(buf *out, const uint8_t *data, size_t size)
{
    size_t length_at = (size_t)-1;
    for (size_t i = 0; i < size; i++) {
        if (data[i] == '@' && i + 1 < size) {
            const char c = (char)data[i + 1];
            const int role = c == 'A' ? 0 : c == 'R' ? 1 : c == 'C' ? 2 : -1;
            if (role >= 0) {
                put(out, keys[role], strlen(keys[role]));
                i++;
                continue;
            }
            if (c == 'L' && length_at == (size_t)-1) {
                length_at = out->size;
                i++;
                continue;
            }
        }
        put(out, data + i, 1);
    }
    if (length_at == (size_t)-1)
        return;
    /* The body is whatever follows the blank line after the placeholder. */
    const char *end = memmem(out->data + length_at, out->size - length_at, "\r\n\r\n", 4);
    const size_t body = end ? out->size - (size_t)(end + 4 - out->data) : 0;
    char digits[24];
    const int n = snprintf(digits, sizeof digits, "%zu", body);
    buf fixed = {0};
    put(&fixed, out->data, length_at);
    put(&fixed, digits, (size_t)n);
    put(&fixed, out->data + length_at, out->size - length_at);
    free(out->data);
    *out = fixed;
}

/* A connection to the node. libFuzzer's timer (-timeout) may interrupt
 * connect(), which then goes on by itself: wait for it to finish. */
static int connect_node(void)
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(srv.port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        die("cannot make a socket", strerror(errno));
    if (connect(fd, (struct sockaddr *)&to, sizeof to) == 0)
        return fd;
    if (errno != EINTR)
        die("cannot connect to the node", strerror(errno));
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    while (poll(&p, 1, ANSWER_MS) < 0 && errno == EINTR)
        ;
    int error = 0;
    socklen_t len = sizeof error;
    if (!(p.revents & POLLOUT) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 ||
        error)
        die("cannot connect to the node", error ? strerror(error) : "no answer");
    return fd;
}

/* Sends one connection's bytes, half-closes, and reads until the node
 * closes; the answers, or dies when the node takes longer than ANSWER_MS. */
static void exchange(const char *data, size_t size, buf *answer)
{
    const int fd = connect_node();
    const double deadline = bwd_now() + ANSWER_MS / 1e3;
    size_t sent = 0;
    bool closed = false;
    if (size == 0)
        shutdown(fd, SHUT_WR);
    char chunk[16384];
    while (!closed) {
        struct pollfd p = {.fd = fd, .events = POLLIN | (sent < size ? POLLOUT : 0)};
        const double left = (deadline - bwd_now()) * 1e3; /* ms */
        if (left <= 0)
            die("the node did not finish answering in time", NULL);
        if (poll(&p, 1, (int)left + 1) < 0 && errno != EINTR)
            die("poll", strerror(errno));
        if (p.revents & POLLOUT) {
            const ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
            if (n > 0 && (sent += (size_t)n) == size)
                shutdown(fd, SHUT_WR);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                sent = size; /* the node closed: read what it said */
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
            if (n > 0)
                put(answer, chunk, (size_t)n);
            else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                closed = true;
        }
    }
    close(fd);
}

static void dump_and_die(const buf *answer, const char *what)
{
    fwrite(answer->data, 1, answer->size < 4000 ? answer->size : 4000, stderr);
    fputc('\n', stderr);
    die(what, NULL);
}

/* A header's value in [head, end), or NULL; *len set. */
static const char *header(const char *head, const char *end, const char *name, size_t *len)
{
    const size_t n = strlen(name);
    for (const char *p = head; p && p < end; p = memmem(p, (size_t)(end - p), "\r\n", 2)) {
        p += p == head ? 0 : 2;
        if ((size_t)(end - p) > n + 1 && !strncasecmp(p, name, n) && p[n] == ':') {
            const char *v = p + n + 1, *e = memmem(v, (size_t)(end - v), "\r\n", 2);
            while (v < end && *v == ' ')
                v++;
            *len = (size_t)((e ? e : end) - v);
            return v;
        }
    }
    return NULL;
}

/*
 * Walks the node's answers one by one: a status line, headers, and a body of
 * Content-Length bytes. Dies on a server error it must not give, on bytes
 * that are not an answer, on a body cut short, and on a JSON answer that
 * does not parse or an error answer without its code and message. Stops at
 * what it cannot frame alone (answers to HEAD, chunked bodies).
 */
static void check_answers(const buf *answer, bool heads)
{
    const char *p = answer->data, *end = answer->data + answer->size;
    while (p < end) {
        if (end - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ')
            dump_and_die(answer, "the node sent something that is not an HTTP answer");
        const int status = atoi(p + 9);
        if (status >= 500 && status != 503 && status != 505)
            dump_and_die(answer, "the node answered a server error");
        const char *head_end = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!head_end)
            dump_and_die(answer, "an answer's headers were cut short");
        size_t n = 0;
        const char *chunked = header(p, head_end, "Transfer-Encoding", &n);
        const char *length = header(p, head_end, "Content-Length", &n);
        /* libmicrohttpd's own answers to requests it refuses before
         * bulwarkd sees them (no Host, a malformed Content-Length) send
         * their status line and headers twice in Debian 12's 0.9.75; the
         * connection closes after them. bulwarkd's answers all carry
         * X-Content-Type-Options. */
        if (heads || chunked || !header(p, head_end, "X-Content-Type-Options", &n))
            return;
        const size_t body = status < 200 || status == 204 || status == 304 || !length
                                ? 0
                                : (size_t)strtoull(length, NULL, 10);
        const char *b = head_end + 4;
        if ((size_t)(end - b) < body)
            dump_and_die(answer, "an answer's body was cut short");
        const char *type = header(p, head_end, "Content-Type", &n);
        if (type && n >= 16 && !strncmp(type, "application/json", 16)) {
            json_error_t err;
            json_t *j = json_loadb(b, body, 0, &err);
            if (!j)
                dump_and_die(answer, "a JSON answer does not parse");
            const json_t *e = json_object_get(j, "error");
            if (status >= 400 && (!json_is_string(json_object_get(e, "code")) ||
                                  !json_is_string(json_object_get(e, "message"))))
                dump_and_die(answer, "an error answer without its code and message");
            json_decref(j);
        }
        p = b + body;
    }
}

static void check_alive(void)
{
    static const char probe[] = "GET /healthz HTTP/1.1\r\nHost: fuzz\r\n\r\n";
    buf answer = {0};
    exchange(probe, sizeof probe - 1, &answer);
    if (!answer.data || strncmp(answer.data, "HTTP/1.1 200", 12) != 0)
        die("the node stopped answering /healthz", NULL);
    free(answer.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned runs;
    if (!started)
        start();
    static const char closing[] = "GET /healthz HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n";
    buf request = {0}, answer = {0};
    expand(&request, data, size);
    put(&request, closing, sizeof closing - 1);
    exchange(request.data, request.size, &answer);
    if (getenv("BW_FUZZ_HTTP_ECHO"))
        fprintf(stderr, ">>>\n%.*s\n<<<\n%.*s\n", (int)request.size,
                request.data ? request.data : "", (int)answer.size, answer.data ? answer.data : "");
    if (answer.data)
        check_answers(&answer, memmem(request.data, request.size, "HEAD", 4) != NULL);
    /* A key the input revoked is made again, so later inputs get past
     * authentication. */
    if (request.data && memmem(request.data, request.size, "/v1/keys", 8))
        make_keys();
    if (++runs % 16 == 0)
        check_alive();
    free(request.data);
    free(answer.data);
    return 0;
}

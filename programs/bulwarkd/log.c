/*
 * Structured logs: one JSON object a line on stderr, so any collector can
 * parse them. Never given upload contents or hashes of non-matching uploads.
 *
 * Lines are collected in a buffer that a background thread writes out
 * every 100 ms (at once for warnings and errors): one write() per batch
 * instead of one per request keeps logging off the request path.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bulwarkd.h"

#define BUFFER_BYTES (1u << 20)
#define FLUSH_BYTES (64u << 10)

static bwd_level threshold = BWD_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    char *buf;
    size_t used;
    bool running, stopping;
    pthread_t thread;
} out = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, false, false, 0};

static void write_all(const char *p, size_t n)
{
    while (n) {
        const ssize_t w = write(STDERR_FILENO, p, n);
        if (w <= 0)
            return; /* nowhere to report it */
        p += w;
        n -= (size_t)w;
    }
}

/* Writes what is buffered (lock held). */
static void flush_locked(void)
{
    if (out.used) {
        write_all(out.buf, out.used);
        out.used = 0;
    }
}

static void *flusher(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&out.lock);
    while (!out.stopping) {
        struct timespec until;
        bwd_after_ms(&until, 100);
        pthread_cond_timedwait(&out.wake, &out.lock, &until);
        flush_locked();
    }
    flush_locked();
    pthread_mutex_unlock(&out.lock);
    return NULL;
}

void bwd_log_init(const char *level)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(level, names[i]))
            threshold = (bwd_level)i;
}

void bwd_log_start(void)
{
    out.buf = malloc(BUFFER_BYTES);
    out.running = out.buf && pthread_create(&out.thread, NULL, flusher, NULL) == 0;
}

void bwd_log_stop(void)
{
    if (out.running) {
        pthread_mutex_lock(&out.lock);
        out.stopping = true;
        pthread_cond_signal(&out.wake);
        pthread_mutex_unlock(&out.lock);
        pthread_join(out.thread, NULL);
        out.running = false;
    }
    free(out.buf);
    out.buf = NULL;
}

/* Queues one line (newline included); urgent lines go out at once. */
static void emit(const char *line, size_t n, bool urgent)
{
    pthread_mutex_lock(&out.lock);
    if (!out.running) {
        write_all(line, n);
    } else {
        if (out.used + n > BUFFER_BYTES)
            flush_locked();
        if (n > BUFFER_BYTES) {
            write_all(line, n);
        } else {
            memcpy(out.buf + out.used, line, n);
            out.used += n;
        }
        if (urgent)
            flush_locked();
        else if (out.used >= FLUSH_BYTES)
            pthread_cond_signal(&out.wake);
    }
    pthread_mutex_unlock(&out.lock);
}

/* The date and time to the second change once a second while a busy
 * server logs thousands of lines: each thread keeps the last one formatted
 * and adds the milliseconds. */
static void timestamp(char *when, size_t size)
{
    static _Thread_local time_t last_sec = -1;
    static _Thread_local char last[80];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != last_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(last, sizeof last, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        last_sec = ts.tv_sec;
    }
    const long ms = (long)(ts.tv_nsec / 1000000) % 1000;
    const size_t n = strlen(last);
    if (n + 6 > size) {
        *when = '\0';
        return;
    }
    memcpy(when, last, n);
    when[n] = '.';
    when[n + 1] = (char)('0' + ms / 100);
    when[n + 2] = (char)('0' + ms / 10 % 10);
    when[n + 3] = (char)('0' + ms % 10);
    when[n + 4] = 'Z';
    when[n + 5] = '\0';
}

void bwd_log(bwd_level level, const char *msg, json_t *fields)
{
    if (level < threshold) {
        json_decref(fields);
        return;
    }
    char when[80];
    timestamp(when, sizeof when);
    json_t *line = json_pack("{s:s, s:s, s:s}", "ts", when, "level", names[level], "msg", msg);
    if (fields && json_is_object(fields))
        json_object_update(line, fields);
    json_decref(fields);
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
    json_decref(line);
    if (!text)
        return;
    const size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps leaves room: the string's NUL becomes the newline */
    emit(text, n + 1, level >= BWD_WARN);
    free(text);
}

/* Appends text or a number to a line being built; a line that would not
 * fit is marked by *n going past size. */
static void put(char *line, size_t size, size_t *n, const char *text)
{
    const size_t len = strlen(text);
    if (*n + len < size)
        memcpy(line + *n, text, len);
    *n += len;
}

static void put_uint(char *line, size_t size, size_t *n, unsigned long long v, int min_digits)
{
    char digits[24];
    int k = 0;
    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || k < min_digits);
    for (; k > 0; k--, ++*n)
        if (*n + 1 < size)
            line[*n] = digits[k - 1];
}

void bwd_log_request(bwd_level level, const char *method, const char *route, int status,
                     double ms, int64_t key, uint64_t bytes_in, const char *code)
{
    if (level < threshold)
        return;
    /* Every field is a number or one of our own fixed strings (methods and
     * route patterns from the route table, error codes), so the line is
     * put together directly: this runs for every request, and formatting
     * it with snprintf took about 3 % of the hash route's CPU. */
    char when[80], line[512];
    size_t n = 0;
    timestamp(when, sizeof when);
    const unsigned long long us = ms > 0 ? (unsigned long long)(ms * 1000 + 0.5) : 0;
    put(line, sizeof line, &n, "{\"ts\":\"");
    put(line, sizeof line, &n, when);
    put(line, sizeof line, &n, "\",\"level\":\"");
    put(line, sizeof line, &n, names[level]);
    put(line, sizeof line, &n, "\",\"msg\":\"request\",\"method\":\"");
    put(line, sizeof line, &n, method);
    put(line, sizeof line, &n, "\",\"route\":\"");
    put(line, sizeof line, &n, route);
    put(line, sizeof line, &n, "\",\"status\":");
    put_uint(line, sizeof line, &n, status > 0 ? (unsigned)status : 0, 1);
    put(line, sizeof line, &n, ",\"ms\":");
    put_uint(line, sizeof line, &n, us / 1000, 1);
    put(line, sizeof line, &n, ".");
    put_uint(line, sizeof line, &n, us % 1000, 3);
    put(line, sizeof line, &n, ",\"key\":");
    if (key < 0)
        put(line, sizeof line, &n, "-");
    const unsigned long long key_abs =
        key < 0 ? 0 - (unsigned long long)key : (unsigned long long)key;
    put_uint(line, sizeof line, &n, key_abs, 1);
    put(line, sizeof line, &n, ",\"bytes_in\":");
    put_uint(line, sizeof line, &n, bytes_in, 1);
    if (code) {
        put(line, sizeof line, &n, ",\"code\":\"");
        put(line, sizeof line, &n, code);
        put(line, sizeof line, &n, "\"");
    }
    put(line, sizeof line, &n, "}\n");
    if (n < sizeof line)
        emit(line, n, level >= BWD_WARN);
}

/*
 * Structured logs: one JSON object a line on stderr, so any collector can
 * parse them. Never given upload contents or hashes of non-matching uploads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulwarkd.h"

static bwd_level threshold = BWD_INFO;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const names[] = {"debug", "info", "warn", "error"};

void bwd_log_init(const char *level)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(level, names[i]))
            threshold = (bwd_level)i;
}

void bwd_log(bwd_level level, const char *msg, json_t *fields)
{
    if (level < threshold) {
        json_decref(fields);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[80];
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (long)(ts.tv_nsec / 1000000) % 1000);
    json_t *line = json_pack("{s:s, s:s, s:s}", "ts", when, "level", names[level], "msg", msg);
    if (fields && json_is_object(fields))
        json_object_update(line, fields);
    json_decref(fields);
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
    json_decref(line);
    if (!text)
        return;
    pthread_mutex_lock(&lock);
    fputs(text, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&lock);
    free(text);
}

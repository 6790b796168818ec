/*
 * A minimal test harness: CHECK records a failure and carries on, RUN runs
 * one test function and prints its verdict, and main returns non-zero when
 * anything failed (77 tells ctest the test was skipped).
 */
#ifndef BULWARK_TEST_HARNESS_H
#define BULWARK_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BWT_SKIP 77

static int bwt_failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            bwt_failures++;                                                  \
        }                                                                    \
    } while (0)

#define CHECK_EQ(a, b)                                                       \
    do {                                                                     \
        long long a_ = (long long)(a), b_ = (long long)(b);                  \
        if (a_ != b_) {                                                      \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = %lld, %s = %lld\n", \
                    __FILE__, __LINE__, #a, a_, #b, b_);                     \
            bwt_failures++;                                                  \
        }                                                                    \
    } while (0)

#define CHECK_STR(a, b)                                                      \
    do {                                                                     \
        const char *a_ = (a), *b_ = (b);                                     \
        if (strcmp(a_, b_) != 0) {                                           \
            fprintf(stderr, "%s:%d: CHECK_STR failed:\n  %s = \"%s\"\n  %s = \"%s\"\n", \
                    __FILE__, __LINE__, #a, a_, #b, b_);                     \
            bwt_failures++;                                                  \
        }                                                                    \
    } while (0)

#define RUN(fn)                                                              \
    do {                                                                     \
        int before_ = bwt_failures;                                          \
        fn();                                                                \
        printf("%s %s\n", bwt_failures == before_ ? "ok  " : "FAIL", #fn);   \
        fflush(stdout);                                                      \
    } while (0)

#define RUN_ARG(fn, arg)                                                     \
    do {                                                                     \
        int before_ = bwt_failures;                                          \
        fn(arg);                                                             \
        printf("%s %s\n", bwt_failures == before_ ? "ok  " : "FAIL", #fn);   \
        fflush(stdout);                                                      \
    } while (0)

/*
 * Where a store test runs: "postgresql" uses $BW_TEST_PG_URI (set by
 * tests/pg/with-postgres.sh; returns false to skip when absent), anything
 * else a fresh SQLite file named after `name` in dir.
 */
static inline bool bwt_store_location(char *out, size_t size, const char *backend,
                                      const char *dir, const char *name)
{
    if (!strcmp(backend, "postgresql")) {
        const char *uri = getenv("BW_TEST_PG_URI");
        if (!uri)
            return false;
        snprintf(out, size, "%s", uri);
    } else {
        snprintf(out, size, "%s/%s-%d.db", dir ? dir : "/tmp", name, (int)getpid());
    }
    return true;
}

/* Removes a SQLite store and its write-ahead log files. */
static inline void bwt_remove_sqlite(const char *path)
{
    char extra[4200];
    unlink(path);
    snprintf(extra, sizeof extra, "%s-wal", path);
    unlink(extra);
    snprintf(extra, sizeof extra, "%s-shm", path);
    unlink(extra);
}

#define BWT_RESULT() (bwt_failures ? 1 : 0)

/* Reads a whole file; NULL when it cannot. The caller frees. */
static inline unsigned char *bwt_read(const char *path, size_t *size_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        *size_out = (size_t)n;
    return buf;
}

/* Splits a CSV line in place at commas; returns the number of fields. */
static inline int bwt_split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    char *nl = strchr(fields[n - 1], '\n');
    if (nl)
        *nl = '\0';
    return n;
}

#endif

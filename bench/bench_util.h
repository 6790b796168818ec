/*
 * What the PDQ benchmarks share: a monotonic clock, resident memory, and
 * the datasets make_pdq_dataset writes (PREFIX.hashes, PREFIX.queries).
 */
#ifndef BULWARK_BENCH_UTIL_H
#define BULWARK_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static inline uint8_t *load(const char *prefix, const char *ext, long *count)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.%s", prefix, ext);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc((size_t)bytes);
    if (!d || fread(d, 1, (size_t)bytes, f) != (size_t)bytes) {
        perror(path);
        exit(1);
    }
    fclose(f);
    *count = bytes / 32;
    return d;
}

#endif

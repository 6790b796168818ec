/* A one-line progress display on stderr for long runs, redrawn at most ten
 * times a second, and only when stderr is a terminal. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct cli_progress {
    const char *noun;
    long total;
    long done;
    long failed;
    bool enabled;
    bool drawn;
    double start;
    double last_draw;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

cli_progress *cli_progress_start(const char *noun, long total, bool enabled)
{
    cli_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->noun = noun;
    p->total = total;
    p->enabled = enabled && isatty(STDERR_FILENO);
    p->start = p->last_draw = now_seconds();
    return p;
}

static void draw(cli_progress *p, double t)
{
    const double elapsed = t - p->start;
    const double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
    fputs("\r\033[K", stderr);
    if (p->total > 0) {
        const int width = 30;
        const int fill = (int)((double)width * (double)p->done / (double)p->total);
        fputc('[', stderr);
        for (int i = 0; i < width; i++)
            fputc(i < fill ? '=' : (i == fill ? '>' : ' '), stderr);
        fprintf(stderr, "] %ld/%ld %s", p->done, p->total, p->noun);
        if (rate > 0 && p->done < p->total) {
            long eta = (long)((double)(p->total - p->done) / rate);
            fprintf(stderr, "  ETA %ld:%02ld", eta / 60, eta % 60);
        }
    } else {
        fprintf(stderr, "%ld %s", p->done, p->noun);
    }
    fprintf(stderr, "  %.1f/s", rate);
    if (p->failed)
        fprintf(stderr, "  %ld failed", p->failed);
    fflush(stderr);
    p->drawn = true;
    p->last_draw = t;
}

void cli_progress_step(cli_progress *p, bool failed)
{
    if (!p)
        return;
    p->done++;
    if (failed)
        p->failed++;
    if (!p->enabled)
        return;
    const double t = now_seconds();
    /* Short runs finish before a bar would help; wait a second first. */
    if (t - p->start >= 1.0 && t - p->last_draw >= 0.1)
        draw(p, t);
}

void cli_progress_clear(cli_progress *p)
{
    if (p && p->drawn) {
        fputs("\r\033[K", stderr);
        p->drawn = false;
    }
}

void cli_progress_finish(cli_progress *p)
{
    if (!p)
        return;
    if (p->drawn)
        fputs("\r\033[K", stderr);
    free(p);
}

/*
 * Parallel work over a stream of inputs with results printed in input order.
 * The main thread reads inputs into a bounded ring, workers take the oldest
 * unclaimed slot, and the main thread prints slots as the oldest completes,
 * so memory stays bounded however many inputs there are.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define RING 256

enum slot_state { SLOT_FREE, SLOT_PENDING, SLOT_RUNNING, SLOT_DONE };

typedef struct slot {
    char *input;
    enum slot_state state;
    cli_result result;
} slot;

typedef struct runner {
    pthread_mutex_t lock;
    pthread_cond_t work_ready; /* a slot became PENDING, or stopping */
    pthread_cond_t work_done;  /* a slot became DONE */
    slot ring[RING];
    unsigned long filled;  /* inputs placed in the ring */
    unsigned long claimed; /* inputs taken by workers */
    bool stopping;
    const cli_work *work;
} runner;

static void *worker(void *arg)
{
    runner *r = arg;
    void *state = r->work->thread_init ? r->work->thread_init(r->work->arg) : NULL;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (!r->stopping && r->claimed == r->filled)
            pthread_cond_wait(&r->work_ready, &r->lock);
        if (r->claimed == r->filled)
            break; /* stopping and nothing left */
        slot *s = &r->ring[r->claimed++ % RING];
        s->state = SLOT_RUNNING;
        pthread_mutex_unlock(&r->lock);
        if (state || !r->work->thread_init) {
            r->work->process(state, s->input, &s->result);
        } else {
            cli_buf_printf(&s->result.err, "bulwark: %s: out of memory\n", s->input);
            s->result.failed = true;
        }
        pthread_mutex_lock(&r->lock);
        s->state = SLOT_DONE;
        pthread_cond_broadcast(&r->work_done);
    }
    pthread_mutex_unlock(&r->lock);
    if (r->work->thread_free)
        r->work->thread_free(state);
    return NULL;
}

long cli_run_ordered(const cli_work *work, cli_paths *inputs, int jobs,
                     bool keep_going, cli_progress *progress)
{
    runner *r = calloc(1, sizeof *r);
    if (!r) {
        cli_error("out of memory");
        return 1;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->work_ready, NULL);
    pthread_cond_init(&r->work_done, NULL);
    r->work = work;
    if (jobs < 1)
        jobs = 1;
    pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
    int started = 0;
    for (int i = 0; threads && i < jobs; i++) {
        if (pthread_create(&threads[i], NULL, worker, r) != 0)
            break;
        started++;
    }
    if (started == 0) {
        cli_error("cannot start worker threads");
        free(threads);
        free(r);
        return 1;
    }

    long failures = 0;
    unsigned long printed = 0;
    bool more = true;
    pthread_mutex_lock(&r->lock);
    while (more || printed < r->filled) {
        /* Top up the ring while it has room and input remains. */
        while (more && !r->stopping && r->filled - printed < RING) {
            pthread_mutex_unlock(&r->lock);
            char *input = cli_paths_next(inputs);
            pthread_mutex_lock(&r->lock);
            if (!input) {
                more = false;
                break;
            }
            slot *s = &r->ring[r->filled % RING];
            memset(s, 0, sizeof *s);
            s->input = input;
            s->state = SLOT_PENDING;
            r->filled++;
            pthread_cond_signal(&r->work_ready);
        }
        if (r->stopping)
            more = false;
        if (printed == r->filled)
            break;
        slot *s = &r->ring[printed % RING];
        while (s->state != SLOT_DONE)
            pthread_cond_wait(&r->work_done, &r->lock);
        pthread_mutex_unlock(&r->lock);
        if (s->result.out.size)
            fwrite(s->result.out.data, 1, s->result.out.size, stdout);
        if (s->result.err.size) {
            fflush(stdout);
            cli_progress_clear(progress);
            fwrite(s->result.err.data, 1, s->result.err.size, stderr);
        }
        if (s->result.failed)
            failures++;
        cli_progress_step(progress, s->result.failed);
        cli_buf_free(&s->result.out);
        cli_buf_free(&s->result.err);
        free(s->input);
        pthread_mutex_lock(&r->lock);
        s->state = SLOT_FREE;
        printed++;
        if (failures && !keep_going && !r->stopping) {
            /* Finish what is running, print none of it, start nothing new. */
            r->stopping = true;
            more = false;
        }
        if (r->stopping) {
            while (r->claimed < r->filled) {
                /* Drop inputs not yet claimed. */
                slot *drop = &r->ring[(r->filled - 1) % RING];
                free(drop->input);
                drop->state = SLOT_FREE;
                r->filled--;
            }
            pthread_cond_broadcast(&r->work_ready);
            while (printed < r->filled) {
                slot *rest = &r->ring[printed % RING];
                while (rest->state != SLOT_DONE)
                    pthread_cond_wait(&r->work_done, &r->lock);
                cli_buf_free(&rest->result.out);
                cli_buf_free(&rest->result.err);
                free(rest->input);
                rest->state = SLOT_FREE;
                printed++;
            }
        }
    }
    r->stopping = true;
    pthread_cond_broadcast(&r->work_ready);
    pthread_mutex_unlock(&r->lock);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    fflush(stdout);
    free(threads);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->work_ready);
    pthread_cond_destroy(&r->work_done);
    free(r);
    return failures;
}

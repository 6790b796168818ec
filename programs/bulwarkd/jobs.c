/*
 * The worker pool: uploads to decode and lists to stream wait here, at most
 * `queue` of them, so a burst of large uploads gets 503s instead of
 * exhausting memory, and the HTTP threads stay free for quick requests.
 */
#include <stdlib.h>

#include "bulwarkd.h"

struct bwd_jobs {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    bwd_request **ring;
    unsigned cap, head, count;
    bool closing;
    pthread_t *threads;
    unsigned nthreads;
};

static void *work(void *arg)
{
    bwd_jobs *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        while (!j->count && !j->closing)
            pthread_cond_wait(&j->ready, &j->lock);
        if (!j->count) {
            pthread_mutex_unlock(&j->lock);
            return NULL;
        }
        bwd_request *r = j->ring[j->head];
        j->head = (j->head + 1) % j->cap;
        j->count--;
        pthread_mutex_unlock(&j->lock);
        bwd_run(r);
        r->done = true;
        MHD_resume_connection(r->conn);
    }
}

bwd_jobs *bwd_jobs_create(unsigned workers, unsigned queue)
{
    bwd_jobs *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->cap = queue ? queue : 1;
    j->ring = calloc(j->cap, sizeof *j->ring);
    j->threads = calloc(workers, sizeof *j->threads);
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->ready, NULL);
    if (!j->ring || !j->threads) {
        bwd_jobs_free(j);
        return NULL;
    }
    for (; j->nthreads < workers; j->nthreads++)
        if (pthread_create(&j->threads[j->nthreads], NULL, work, j) != 0)
            break;
    if (!j->nthreads) {
        bwd_jobs_free(j);
        return NULL;
    }
    return j;
}

void bwd_jobs_free(bwd_jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->closing = true;
    pthread_cond_broadcast(&j->ready);
    pthread_mutex_unlock(&j->lock);
    for (unsigned i = 0; i < j->nthreads; i++)
        pthread_join(j->threads[i], NULL);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->ready);
    free(j->ring);
    free(j->threads);
    free(j);
}

bool bwd_jobs_submit(bwd_jobs *j, bwd_request *r)
{
    pthread_mutex_lock(&j->lock);
    const bool ok = !j->closing && j->count < j->cap;
    if (ok) {
        j->ring[(j->head + j->count) % j->cap] = r;
        j->count++;
        pthread_cond_signal(&j->ready);
    }
    pthread_mutex_unlock(&j->lock);
    return ok;
}

unsigned bwd_jobs_depth(bwd_jobs *j)
{
    pthread_mutex_lock(&j->lock);
    const unsigned n = j->count;
    pthread_mutex_unlock(&j->lock);
    return n;
}

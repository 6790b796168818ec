/*
 * Frame-parallel vPDQ: the calling thread decodes (a decoder is sequential)
 * and hands each sampled frame, by reference, to a bounded queue; workers
 * convert and hash them with their own context, scaler and buffers. When
 * the queue is full (hashing is slower than decoding, as for large frames)
 * the decoding thread hashes the oldest frame itself instead of waiting.
 * Features are sorted by frame number at the end, so the output does not
 * depend on the number of threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>

#include "video_internal.h"

typedef struct job {
    AVFrame *frame;
    int64_t number;
} job;

typedef struct pool {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a job was queued or taken, or stopping */
    job *queue;
    size_t cap, head, count;
    bool stopping;
    bw_status error;             /* first worker failure */
    char message[BWI_MESSAGE_MAX];
    bw_vpdq *out;
    const bwi_video_info *info;
    int dst_width, dst_height;
} pool;

static void fail_pool(pool *p, bw_status st, const char *message)
{
    pthread_mutex_lock(&p->lock);
    if (p->error == BW_OK) {
        p->error = st;
        snprintf(p->message, sizeof p->message, "%s", message);
    }
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
}

/* Takes the oldest job and hashes it. Called and returns with the lock held;
 * the hashing itself runs unlocked. */
static void run_oldest(pool *p, bw_ctx *ctx, bwi_frame_hasher *hasher)
{
    job j = p->queue[p->head];
    p->head = (p->head + 1) % p->cap;
    p->count--;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    bwi_vpdq_feature feature;
    bw_status st = bwi_frame_hasher_run(ctx, hasher, j.frame, j.number, &feature);
    av_frame_free(&j.frame);
    pthread_mutex_lock(&p->lock);
    if (st == BW_OK && bwi_vpdq_push(p->out, &feature) != BW_OK) {
        st = BW_ERR_NOMEM;
        bwi_fail(ctx, st, "video: out of memory");
    }
    if (st != BW_OK && p->error == BW_OK) {
        p->error = st;
        snprintf(p->message, sizeof p->message, "%s", bw_ctx_message(ctx));
        pthread_cond_broadcast(&p->changed);
    }
}

static bw_status make_hasher(bw_ctx *ctx, const pool *p, bwi_frame_hasher **out)
{
    return bwi_frame_hasher_create(ctx, out, p->info->width, p->info->height, p->info->pix_fmt,
                                   p->dst_width, p->dst_height, p->info->frame_rate);
}

static void *worker(void *arg)
{
    pool *p = arg;
    bw_ctx *ctx = NULL;
    bwi_frame_hasher *hasher = NULL;
    bw_status st = bw_ctx_create(&ctx);
    if (st == BW_OK)
        st = make_hasher(ctx, p, &hasher);
    if (st != BW_OK) {
        fail_pool(p, st, ctx ? bw_ctx_message(ctx) : "video: out of memory");
        bw_ctx_free(ctx);
        return NULL;
    }
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stopping && p->count == 0 && p->error == BW_OK)
            pthread_cond_wait(&p->changed, &p->lock);
        if (p->count == 0 || p->error != BW_OK)
            break;
        run_oldest(p, ctx, hasher);
    }
    pthread_mutex_unlock(&p->lock);
    bwi_frame_hasher_free(hasher);
    bw_ctx_free(ctx);
    return NULL;
}

/* Queues a frame, hashing queued ones on this thread while the queue is
 * full. False when hashing failed. */
static bool enqueue(pool *p, bw_ctx *ctx, bwi_frame_hasher *hasher, AVFrame *frame,
                    int64_t number)
{
    pthread_mutex_lock(&p->lock);
    while (p->count == p->cap && p->error == BW_OK)
        run_oldest(p, ctx, hasher);
    bool ok = p->error == BW_OK;
    if (ok) {
        p->queue[(p->head + p->count) % p->cap] = (job){frame, number};
        p->count++;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

/* Decodes on this thread and queues every sampled frame. */
static bw_status decode_all(bw_ctx *ctx, pool *p, bwi_video *video, int64_t frame_mod)
{
    bwi_frame_hasher *hasher;
    bw_status st = make_hasher(ctx, p, &hasher);
    if (st != BW_OK)
        return st;
    for (;;) {
        AVFrame *frame;
        int64_t number;
        st = bwi_video_next(video, &frame, &number);
        if (st != BW_OK || !frame)
            break;
        if (number % frame_mod != 0)
            continue;
        AVFrame *held = av_frame_alloc();
        if (!held) {
            st = bwi_fail(ctx, BW_ERR_NOMEM, "video: out of memory");
            break;
        }
        av_frame_move_ref(held, frame);
        if (!enqueue(p, ctx, hasher, held, number)) {
            av_frame_free(&held);
            break; /* the hashing error is reported by the caller */
        }
    }
    bwi_frame_hasher_free(hasher);
    return st;
}

bw_status bwi_vpdq_hash_parallel(bw_ctx *ctx, bw_vpdq *out, bwi_video *video,
                                 const bwi_video_info *info, int dst_width, int dst_height,
                                 int64_t frame_mod, int workers)
{
    pool p = {.out = out, .info = info, .dst_width = dst_width, .dst_height = dst_height};
    p.cap = (size_t)workers * 4;
    p.queue = calloc(p.cap, sizeof *p.queue);
    pthread_t *threads = calloc((size_t)workers, sizeof *threads);
    if (!p.queue || !threads) {
        free(p.queue);
        free(threads);
        return bwi_fail(ctx, BW_ERR_NOMEM, "video: out of memory");
    }
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.changed, NULL);
    int started = 0;
    while (started < workers && pthread_create(&threads[started], NULL, worker, &p) == 0)
        started++;
    bw_status st = started ? decode_all(ctx, &p, video, frame_mod)
                           : bwi_fail(ctx, BW_ERR_UNAVAILABLE, "video: cannot start threads");
    pthread_mutex_lock(&p.lock);
    p.stopping = true;
    pthread_cond_broadcast(&p.changed);
    pthread_mutex_unlock(&p.lock);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    /* Jobs left behind after a failure still hold frames. */
    for (; p.count; p.count--, p.head = (p.head + 1) % p.cap)
        av_frame_free(&p.queue[p.head].frame);
    if (st == BW_OK && p.error != BW_OK)
        st = bwi_fail(ctx, p.error, "%s", p.message);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.changed);
    free(p.queue);
    free(threads);
    return st;
}

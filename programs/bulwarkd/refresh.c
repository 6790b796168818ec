/*
 * Following the bank: every refresh_ms (with +-25 % jitter, so nodes that
 * started together drift apart instead of querying in lockstep) the index
 * applies the store's changes since its last sequence number. Each node
 * reads only the delta: a change costs every node one small query, never a
 * reload.
 *
 * Beside it, a thread of its own checkpoints a SQLite store once a second
 * (see bw_store_defer_checkpoints), off the HTTP threads that record
 * matches. Not the refresher: applying a large import can keep it busy for
 * many seconds, while the import's log grows.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bulwarkd.h"

bool bwd_sleep(bwd_server *srv, unsigned ms)
{
    struct timespec until;
    bwd_after_ms(&until, ms);
    pthread_mutex_lock(&srv->stop_lock);
    while (!atomic_load(&srv->stopping))
        if (pthread_cond_timedwait(&srv->stop_cond, &srv->stop_lock, &until) != 0)
            break;
    pthread_mutex_unlock(&srv->stop_lock);
    return !atomic_load(&srv->stopping);
}

void *bwd_refresh_loop(void *arg)
{
    bwd_server *srv = arg;
    bwd_thread *t = bwd_thread_get();
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    bool failing = false;
    while (t) {
        const unsigned base = srv->cfg.refresh_ms ? srv->cfg.refresh_ms : 250;
        const unsigned jitter = base / 2 ? (unsigned)rand_r(&seed) % (base / 2) : 0;
        if (!bwd_sleep(srv, base - base / 4 + jitter))
            break;
        size_t applied = 0;
        const bw_status st = bw_matcher_refresh(t->ctx, srv->matcher, &applied);
        if (st == BW_OK) {
            atomic_store(&srv->last_refresh, (long long)(bwd_now() * 1000));
            if (applied)
                bwd_metrics_count(srv->metrics, "index_changes_applied", applied);
            if (failing)
                bwd_logf(BWD_INFO, "index caught up with the store again", "{s:I}", "sequence",
                         (json_int_t)bw_matcher_sequence(srv->matcher));
            failing = false;
        } else if (!failing) { /* log the first failure, not one a tick */
            failing = true;
            bwd_logf(BWD_ERROR, "cannot follow the store", "{s:s}", "error",
                     bw_ctx_message(t->ctx));
        }
    }
    return NULL;
}

void *bwd_checkpoint_loop(void *arg)
{
    bwd_server *srv = arg;
    bwd_thread *t = bwd_thread_get();
    bool failing = false;
    while (t && bwd_sleep(srv, 1000)) {
        const bool ok = bw_store_checkpoint(t->ctx, srv->store) == BW_OK;
        if (!ok && !failing) /* the first failure, not one a second */
            bwd_logf(BWD_ERROR, "cannot checkpoint the store", "{s:s}", "error",
                     bw_ctx_message(t->ctx));
        failing = !ok;
    }
    return NULL;
}

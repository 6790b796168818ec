/*
 * Retained media and match events: a reviewer's view of an event's media
 * (audited before anything is decrypted), and the retention sweep that
 * deletes media once its period is over.
 */
#include <stdlib.h>
#include <string.h>

#include "review_internal.h"

void bwi_event_subject(char out[32], int64_t event_id)
{
    snprintf(out, 32, "event:%lld", (long long)event_id);
}

typedef struct media_row {
    int found;
    char ref[BW_VAULT_REF_CHARS + 1];
} media_row;

static int take_media(void *arg, const bwi_sql_value *c, int n)
{
    media_row *m = arg;
    m->found = 1;
    if (n >= 1 && c[0].kind == BWI_SQL_TEXT)
        snprintf(m->ref, sizeof m->ref, "%s", c[0].s);
    return 1;
}

/* The event's media reference, and an audit entry for what is done
 * with it: a use that is not recorded never happens. */
static bw_status media_audited(bw_ctx *ctx, bw_store *store, int64_t event_id,
                               const char *action, media_row *m)
{
    const bwi_sql_value p[] = {BWI_INT(event_id)};
    bwi_store_lock(store);
    bw_status st =
        bwi_sql(ctx, store, "SELECT media FROM match_events WHERE id = $1", p, 1, take_media, m);
    bwi_store_unlock(store);
    if (st != BW_OK)
        return st;
    if (!m->found)
        return bwi_fail(ctx, BW_ERR_NOT_FOUND, "no match event %lld", (long long)event_id);
    if (!*m->ref)
        return bwi_fail(ctx, BW_ERR_NOT_FOUND,
                        "match event %lld has no retained media (never kept, or expired)",
                        (long long)event_id);
    char subject[32];
    bwi_event_subject(subject, event_id);
    return bw_audit_append(ctx, store, ctx->actor, action, subject, NULL);
}

BW_API bw_status bw_event_media(bw_ctx *ctx, bw_store *store, bw_vault *vault,
                                uint8_t **data_out, size_t *size_out, int64_t event_id)
{
    if (!ctx || !store || !vault || !data_out || !size_out)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    *data_out = NULL;
    *size_out = 0;
    media_row m = {0, ""};
    const bw_status st = media_audited(ctx, store, event_id, "media.view", &m);
    return st == BW_OK ? bw_vault_get(ctx, vault, data_out, size_out, m.ref) : st;
}

BW_API bw_status bw_event_media_revealed(bw_ctx *ctx, bw_store *store, int64_t event_id)
{
    if (!ctx || !store)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    media_row m = {0, ""};
    return media_audited(ctx, store, event_id, "media.reveal", &m);
}

/* ---- retention ------------------------------------------------------------------ */

enum { EXPIRE_BATCH = 256 };

typedef struct expiring {
    int64_t ids[EXPIRE_BATCH];
    char refs[EXPIRE_BATCH][BW_VAULT_REF_CHARS + 1];
    size_t count;
} expiring;

static int take_expiring(void *arg, const bwi_sql_value *c, int n)
{
    expiring *e = arg;
    if (n < 2 || e->count == EXPIRE_BATCH)
        return 1;
    e->ids[e->count] = c[0].i;
    snprintf(e->refs[e->count], sizeof e->refs[0], "%s", bwi_col_text(&c[1]) ? c[1].s : "");
    e->count++;
    return 0;
}

static bw_status clear_refs(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    (void)seq;
    const expiring *e = arg;
    bw_status st = BW_OK;
    for (size_t i = 0; i < e->count && st == BW_OK; i++) {
        const bwi_sql_value p[] = {BWI_INT(e->ids[i])};
        st = bwi_sql(ctx, s, "UPDATE match_events SET media = NULL WHERE id = $1", p, 1, NULL,
                     NULL);
        char subject[32];
        bwi_event_subject(subject, e->ids[i]);
        if (st == BW_OK)
            st = bwi_audit_append_locked(ctx, s, ctx->actor, "media.expire", subject, NULL);
    }
    return st;
}

typedef struct orphan_sweep {
    bw_ctx *ctx;
    bw_store *store;
    bw_vault *vault;
    uint64_t deleted;
    bw_status st;
} orphan_sweep;

static bool sweep_orphan(void *arg, const char *ref)
{
    orphan_sweep *o = arg;
    int64_t named = 0;
    const bwi_sql_value p[] = {BWI_TEXT(ref)};
    bwi_store_lock(o->store);
    o->st = bwi_sql(o->ctx, o->store, "SELECT id FROM match_events WHERE media = $1 LIMIT 1", p,
                    1, bwi_sql_take_int, &named);
    bwi_store_unlock(o->store);
    if (o->st != BW_OK)
        return false;
    if (!named && bw_vault_delete(o->ctx, o->vault, ref) == BW_OK)
        o->deleted++;
    return true;
}

BW_API bw_status bw_media_expire(bw_ctx *ctx, bw_store *store, bw_vault *vault,
                                 int64_t before, uint64_t *deleted_out)
{
    if (!ctx || !store || !vault)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    uint64_t deleted = 0;
    bw_status st = BW_OK;
    expiring *e = malloc(sizeof *e);
    if (!e)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    for (;;) {
        e->count = 0;
        const bwi_sql_value p[] = {BWI_INT(before), BWI_INT(EXPIRE_BATCH)};
        bwi_store_lock(store);
        st = bwi_sql(ctx, store,
                     "SELECT id, media FROM match_events WHERE media IS NOT NULL AND at < $1"
                     " ORDER BY id LIMIT $2",
                     p, 2, take_expiring, e);
        bwi_store_unlock(store);
        if (st != BW_OK || !e->count)
            break;
        /* The content goes first: if the process dies before the
         * references are cleared, the next sweep clears them. */
        for (size_t i = 0; i < e->count; i++)
            if (bw_vault_delete(ctx, vault, e->refs[i]) == BW_OK)
                deleted++;
        bwi_store_lock(store);
        st = bwi_write(ctx, store, clear_refs, e);
        bwi_store_unlock(store);
        if (st != BW_OK)
            break;
    }
    free(e);
    if (st == BW_OK) {
        orphan_sweep o = {ctx, store, vault, 0, BW_OK};
        st = bwi_vault_each_old(ctx, vault, before, sweep_orphan, &o);
        if (st == BW_OK)
            st = o.st;
        deleted += o.deleted;
    }
    if (deleted_out)
        *deleted_out = deleted;
    return st;
}

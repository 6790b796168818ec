/*
 * The audit log: append-only, each entry's SHA-256 covering its contents and
 * the previous entry's hash, so editing or deleting any entry breaks every
 * hash after it. Entries are appended inside the store's serialised write
 * transactions, so the chain is one chain however many nodes write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_digest.h"
#include "store_internal.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* The hash of an entry: fields separated by newlines, NULL as empty. */
static void entry_hash(char out[65], const char *prev, int64_t id, int64_t at, int64_t actor,
                       const char *action, const char *subject, const char *details)
{
    bw_digester *d;
    if (bw_digester_create(&d, BW_DIGEST_SHA256) != BW_OK) {
        out[0] = '\0';
        return;
    }
    char nums[96];
    const int n = snprintf(nums, sizeof nums, "\n%lld\n%lld\n%lld\n", (long long)id,
                           (long long)at, (long long)actor);
    bw_digester_update(d, prev, strlen(prev));
    bw_digester_update(d, nums, (size_t)n);
    bw_digester_update(d, action, strlen(action));
    bw_digester_update(d, "\n", 1);
    if (subject)
        bw_digester_update(d, subject, strlen(subject));
    bw_digester_update(d, "\n", 1);
    if (details)
        bw_digester_update(d, details, strlen(details));
    uint8_t sum[32];
    bw_digester_final(d, sum, sizeof sum);
    bw_digester_free(d);
    bw_hex_encode(out, sum, sizeof sum);
}

typedef struct last_entry {
    int64_t id;
    char hash[65];
} last_entry;

static int take_last(void *arg, const bwi_sql_value *c, int n)
{
    last_entry *l = arg;
    if (n >= 2 && c[1].kind == BWI_SQL_TEXT) {
        l->id = c[0].i;
        snprintf(l->hash, sizeof l->hash, "%s", c[1].s);
    }
    return 1;
}

bw_status bwi_audit_append_locked(bw_ctx *ctx, bw_store *store, int64_t actor,
                                  const char *action, const char *subject,
                                  const char *details)
{
    last_entry last = {0, ZERO_HASH};
    bw_status st = bwi_sql(ctx, store,
                           "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", NULL, 0,
                           take_last, &last);
    if (st != BW_OK)
        return st;
    const int64_t id = last.id + 1, at = bwi_now();
    char hash[65];
    entry_hash(hash, last.hash, id, at, actor, action, subject, details);
    const bwi_sql_value p[] = {BWI_INT(id),      BWI_INT(at),       BWI_INT(actor),
                               BWI_TEXT(action), BWI_TEXT(subject), BWI_TEXT(details),
                               BWI_TEXT(last.hash), BWI_TEXT(hash)};
    return bwi_sql(ctx, store,
                   "INSERT INTO audit_log(id, at, actor, action, subject, details, prev_hash,"
                   " hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                   p, 8, NULL, NULL);
}

typedef struct append_args {
    int64_t actor;
    const char *action, *subject, *details;
} append_args;

static bw_status append(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    (void)seq;
    const append_args *a = arg;
    return bwi_audit_append_locked(ctx, s, a->actor, a->action, a->subject, a->details);
}

BW_API bw_status bw_audit_append(bw_ctx *ctx, bw_store *store, int64_t actor,
                                 const char *action, const char *subject,
                                 const char *details_json)
{
    if (!ctx || !store || !action)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    append_args a = {actor, action, subject, details_json};
    bwi_store_lock(store);
    bw_status st = bwi_write(ctx, store, append, &a);
    bwi_store_unlock(store);
    return st;
}

typedef struct audit_relay {
    bw_audit_fn fn;
    void *arg;
} audit_relay;

static int relay_audit(void *arg, const bwi_sql_value *c, int n)
{
    audit_relay *r = arg;
    if (n < 8)
        return 1;
    const bw_audit_info e = {c[0].i,          c[1].i,          c[2].i,
                             bwi_col_text(&c[3]), bwi_col_text(&c[4]), bwi_col_text(&c[5]),
                             bwi_col_text(&c[6]), bwi_col_text(&c[7])};
    return r->fn(r->arg, &e);
}

BW_API bw_status bw_audit_list(bw_ctx *ctx, bw_store *store, int64_t after, size_t limit,
                               bw_audit_fn fn, void *arg)
{
    if (!ctx || !store || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    audit_relay r = {fn, arg};
    const bwi_sql_value p[] = {BWI_INT(after), BWI_INT((int64_t)limit)};
    bwi_store_lock(store);
    bw_status st = bwi_sql(ctx, store,
                           "SELECT id, at, actor, action, subject, details, prev_hash, hash"
                           " FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
                           p, 2, relay_audit, &r);
    bwi_store_unlock(store);
    return st;
}

typedef struct verifier {
    char prev[65];
    int64_t expect_id;
    uint64_t count;
    int64_t bad;
    const char *why;
} verifier;

static int check_entry(void *arg, const bw_audit_info *e)
{
    verifier *v = arg;
    char hash[65];
    v->count++;
    if (e->id != v->expect_id)
        v->why = "an entry is missing or out of order";
    else if (!e->prev_hash || strcmp(e->prev_hash, v->prev) != 0)
        v->why = "its link to the previous entry is broken";
    else {
        entry_hash(hash, v->prev, e->id, e->at, e->actor, e->action, e->subject, e->details);
        if (!e->hash || strcmp(hash, e->hash) != 0)
            v->why = "its contents do not match its hash";
    }
    if (v->why) {
        v->bad = e->id;
        return 1;
    }
    snprintf(v->prev, sizeof v->prev, "%s", e->hash);
    v->expect_id++;
    return 0;
}

BW_API bw_status bw_audit_verify(bw_ctx *ctx, bw_store *store, uint64_t *entries_out,
                                 int64_t *bad_out)
{
    if (!ctx || !store)
        return BW_ERR_INVALID_ARGUMENT;
    verifier v = {ZERO_HASH, 1, 0, 0, NULL};
    int64_t after = 0;
    bw_status st = BW_OK;
    /* In pages, so a long log never sits in memory whole. */
    while (st == BW_OK && !v.why) {
        const uint64_t before = v.count;
        st = bw_audit_list(ctx, store, after, 10000, check_entry, &v);
        if (v.count == before)
            break;
        after = v.expect_id - 1;
    }
    if (entries_out)
        *entries_out = v.count;
    if (bad_out)
        *bad_out = v.bad;
    if (st == BW_OK && v.why)
        st = bwi_fail(ctx, BW_ERR_VERIFY, "audit entry %lld: %s", (long long)v.bad, v.why);
    return st;
}

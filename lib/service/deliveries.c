/*
 * Webhook deliveries: queued with their event, claimed by whichever node's
 * worker gets there first (a claim lasts a minute, so a node killed
 * mid-delivery only delays it; one that stops hands its claims back),
 * retried with backoff, and kept as a dead letter once they have failed too
 * often.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bulwark/bw_digest.h"
#include "service_internal.h"

typedef struct delivery_relay {
    bw_delivery_fn fn;
    void *arg;
    int stopped;
} delivery_relay;

static int relay_delivery(void *arg, const bwi_sql_value *c, int n)
{
    delivery_relay *r = arg;
    if (n < 8 || r->stopped)
        return 1;
    const bw_delivery_info d = {c[0].i,         c[1].i, bwi_col_text(&c[2]), bwi_col_text(&c[3]),
                                (int)c[4].i,    c[5].i, bwi_col_text(&c[6]), bwi_col_text(&c[7])};
    r->stopped = r->fn(r->arg, &d);
    return 0; /* PostgreSQL has claimed them all: read them all */
}

#define DELIVERY_COLUMNS "id, event_id, url, body, attempts, next_attempt_at, state, last_error"

BW_API bw_status bw_delivery_due(bw_ctx *ctx, bw_store *store, size_t limit, bw_delivery_fn fn,
                                 void *arg)
{
    if (!ctx || !store || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    const int64_t now = bwi_now();
    const bwi_sql_value p[] = {BWI_INT(now), BWI_INT((int64_t)(limit ? limit : 16)),
                               BWI_INT(now + BW_DELIVERY_CLAIM_SECONDS)};
    delivery_relay r = {fn, arg, 0};
    /* One statement, so it commits on its own: claiming is not a bank
     * change and must not advance the change feed. SKIP LOCKED lets nodes
     * polling at the same moment take different rows instead of waiting. */
    const char *sql =
        bwi_sql_is_postgresql(store)
            ? "UPDATE webhook_deliveries SET claimed_until = $3 WHERE id IN (SELECT id FROM"
              " webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 AND"
              " claimed_until <= $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)"
              " RETURNING " DELIVERY_COLUMNS
            : "UPDATE webhook_deliveries SET claimed_until = $3 WHERE id IN (SELECT id FROM"
              " webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 AND"
              " claimed_until <= $1 ORDER BY id LIMIT $2) RETURNING " DELIVERY_COLUMNS;
    bwi_store_lock(store);
    bw_status st = bwi_sql(ctx, store, sql, p, 3, relay_delivery, &r);
    bwi_store_unlock(store);
    return st;
}

/* One delivery's row updated, its id first of p: BW_ERR_NOT_FOUND, saying
 * "missing ID", when no row was. */
static bw_status update_one(bw_ctx *ctx, bw_store *store, const char *sql,
                            const bwi_sql_value *p, int n, const char *missing)
{
    int64_t found = 0;
    bwi_store_lock(store);
    bw_status st = bwi_sql(ctx, store, sql, p, n, bwi_sql_take_int, &found);
    bwi_store_unlock(store);
    if (st == BW_OK && !found)
        st = bwi_fail(ctx, BW_ERR_NOT_FOUND, "%s %lld", missing, (long long)p[0].i);
    return st;
}

BW_API bw_status bw_delivery_result(bw_ctx *ctx, bw_store *store, int64_t id, int delivered,
                                    const char *error, int64_t retry_after, int max_attempts)
{
    if (!ctx || !store)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    const int64_t now = bwi_now();
    const bwi_sql_value p[] = {BWI_INT(id), BWI_TEXT(delivered ? NULL : error),
                               BWI_INT(now + (retry_after > 0 ? retry_after : 0)),
                               BWI_INT(max_attempts > 0 ? max_attempts : 1),
                               BWI_INT(delivered ? 1 : 0)};
    return update_one(ctx, store,
                      "UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $2,"
                      " claimed_until = 0, next_attempt_at = $3, state = CASE WHEN $5 = 1 THEN"
                      " 'delivered' WHEN attempts + 1 >= $4 THEN 'dead' ELSE 'pending' END"
                      " WHERE id = $1 RETURNING id",
                      p, 5, "no webhook delivery");
}

BW_API bw_status bw_delivery_release(bw_ctx *ctx, bw_store *store, int64_t id)
{
    if (!ctx || !store)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    const bwi_sql_value p[] = {BWI_INT(id)};
    return update_one(ctx, store,
                      "UPDATE webhook_deliveries SET claimed_until = 0 WHERE id = $1 AND"
                      " state = 'pending' RETURNING id",
                      p, 1, "no pending webhook delivery");
}

BW_API bw_status bw_delivery_list(bw_ctx *ctx, bw_store *store, const char *state,
                                  size_t limit, bw_delivery_fn fn, void *arg)
{
    if (!ctx || !store || !fn || !state)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    const bwi_sql_value p[] = {BWI_TEXT(state), BWI_INT((int64_t)(limit ? limit : 100))};
    delivery_relay r = {fn, arg, 0};
    bwi_store_lock(store);
    bw_status st = bwi_sql(ctx, store,
                           "SELECT " DELIVERY_COLUMNS " FROM webhook_deliveries WHERE state = $1"
                           " ORDER BY id DESC LIMIT $2",
                           p, 2, relay_delivery, &r);
    bwi_store_unlock(store);
    return st;
}

BW_API void bw_webhook_signature(char out[72], const char *secret, const void *body,
                                 size_t size)
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const char *key = secret ? secret : "";
    HMAC(EVP_sha256(), key, (int)strlen(key), body, size, mac, &len);
    memcpy(out, "sha256=", 7);
    bw_hex_encode(out + 7, mac, len > 32 ? 32 : len);
}

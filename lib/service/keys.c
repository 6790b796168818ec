/*
 * API keys: 256 random bits shown once, stored as their SHA-256 (a key
 * cannot be guessed, so a fast hash is enough), with a role and an
 * optional per-key rate limit.
 */
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "bulwark/bw_digest.h"
#include "service_internal.h"

BW_API const char *bw_role_name(bw_role role)
{
    switch (role) {
    case BW_ROLE_CLIENT:
        return "client";
    case BW_ROLE_REVIEWER:
        return "reviewer";
    case BW_ROLE_ADMIN:
        return "admin";
    }
    return "unknown";
}

BW_API bw_status bw_role_parse(bw_role *role_out, const char *name)
{
    if (!role_out || !name)
        return BW_ERR_INVALID_ARGUMENT;
    for (int r = BW_ROLE_CLIENT; r <= BW_ROLE_ADMIN; r++)
        if (!strcmp(name, bw_role_name((bw_role)r))) {
            *role_out = (bw_role)r;
            return BW_OK;
        }
    return BW_ERR_PARSE;
}

static void key_hash(char out[65], const char *key)
{
    uint8_t d[32];
    bw_digest(BW_DIGEST_SHA256, d, sizeof d, key, strlen(key));
    bw_hex_encode(out, d, sizeof d);
}

static void base64url(char *out, const uint8_t *in, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            out[o++] = a[(acc >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits)
        out[o++] = a[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

typedef struct key_new {
    bw_role role;
    const char *name;
    uint32_t rate;
    const char *hash;
    const char *prefix;
    int64_t id;
} key_new;

static bw_status insert_key(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    (void)seq;
    key_new *k = arg;
    const bwi_sql_value p[] = {BWI_TEXT(k->name), BWI_INT(k->role), BWI_TEXT(k->hash),
                               BWI_TEXT(k->prefix), BWI_INT(k->rate), BWI_INT(bwi_now())};
    bw_status st = bwi_sql(ctx, s,
                           "INSERT INTO api_keys(name, role, key_hash, prefix, rate_per_minute,"
                           " created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                           p, 6, bwi_sql_take_int, &k->id);
    if (st != BW_OK)
        return st;
    char subject[32], details[128];
    snprintf(subject, sizeof subject, "key:%lld", (long long)k->id);
    snprintf(details, sizeof details, "{\"role\":\"%s\"}", bw_role_name(k->role));
    return bwi_audit_append_locked(ctx, s, ctx->actor, "key.create", subject, details);
}

BW_API bw_status bw_key_create(bw_ctx *ctx, bw_store *store, bw_role role, const char *name,
                               uint32_t rate_per_minute, char *key_out, size_t key_out_size,
                               int64_t *id_out)
{
    if (!ctx || !store || !key_out || key_out_size < BW_KEY_CHARS + 1)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    if (role < BW_ROLE_CLIENT || role > BW_ROLE_ADMIN)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "unknown role");
    uint8_t secret[32];
    if (RAND_bytes(secret, sizeof secret) != 1)
        return bwi_fail(ctx, BW_ERR_INTERNAL, "no randomness for a key");
    char key[BW_KEY_CHARS + 1] = "bwk_";
    base64url(key + 4, secret, sizeof secret);
    char hash[65], prefix[13];
    key_hash(hash, key);
    snprintf(prefix, sizeof prefix, "%.12s", key);
    key_new k = {role, name, rate_per_minute, hash, prefix, 0};
    bwi_store_lock(store);
    bw_status st = bwi_write(ctx, store, insert_key, &k);
    bwi_store_unlock(store);
    if (st != BW_OK)
        return st;
    snprintf(key_out, key_out_size, "%s", key);
    if (id_out)
        *id_out = k.id;
    return BW_OK;
}

static bw_status revoke(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    (void)seq;
    int64_t id = *(int64_t *)arg, found = 0;
    const bwi_sql_value p[] = {BWI_INT(bwi_now()), BWI_INT(id)};
    bw_status st = bwi_sql(ctx, s,
                           "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0"
                           " RETURNING id",
                           p, 2, bwi_sql_take_int, &found);
    if (st == BW_OK && !found)
        return bwi_fail(ctx, BW_ERR_NOT_FOUND, "no active key with id %lld", (long long)id);
    char subject[32];
    snprintf(subject, sizeof subject, "key:%lld", (long long)id);
    return st == BW_OK
               ? bwi_audit_append_locked(ctx, s, ctx->actor, "key.revoke", subject, NULL)
               : st;
}

BW_API bw_status bw_key_revoke(bw_ctx *ctx, bw_store *store, int64_t id)
{
    if (!ctx || !store)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bwi_store_lock(store);
    bw_status st = bwi_write(ctx, store, revoke, &id);
    bwi_store_unlock(store);
    return st;
}

typedef struct key_relay {
    bw_key_fn fn;
    void *arg;
    int rows;
} key_relay;

static int relay_key(void *arg, const bwi_sql_value *c, int n)
{
    key_relay *r = arg;
    if (n < 7)
        return 1;
    const bw_key_info info = {c[0].i, bwi_col_text(&c[1]), (bw_role)c[2].i,
                              bwi_col_text(&c[3]), (uint32_t)c[4].i, c[5].i, c[6].i};
    r->rows++;
    return r->fn(r->arg, &info);
}

BW_API bw_status bw_key_list(bw_ctx *ctx, bw_store *store, bw_key_fn fn, void *arg)
{
    if (!ctx || !store || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    key_relay r = {fn, arg, 0};
    bwi_store_lock(store);
    bw_status st = bwi_sql(ctx, store,
                           "SELECT id, name, role, prefix, rate_per_minute, created_at, revoked_at"
                           " FROM api_keys ORDER BY id",
                           NULL, 0, relay_key, &r);
    bwi_store_unlock(store);
    return st;
}

BW_API bw_status bw_key_check(bw_ctx *ctx, bw_store *store, const char *key, bw_key_fn fn,
                              void *arg)
{
    if (!ctx || !store || !key || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    if (strncmp(key, "bwk_", 4) != 0 || strlen(key) != BW_KEY_CHARS)
        return bwi_fail(ctx, BW_ERR_PERMISSION, "not a Bulwark API key");
    char hash[65];
    key_hash(hash, key);
    key_relay r = {fn, arg, 0};
    const bwi_sql_value p[] = {BWI_TEXT(hash)};
    bwi_store_lock(store);
    bw_status st = bwi_sql(ctx, store,
                           "SELECT id, name, role, prefix, rate_per_minute, created_at, revoked_at"
                           " FROM api_keys WHERE key_hash = $1 AND revoked_at = 0",
                           p, 1, relay_key, &r);
    bwi_store_unlock(store);
    if (st == BW_OK && r.rows == 0)
        st = bwi_fail(ctx, BW_ERR_PERMISSION, "unknown or revoked API key");
    return st;
}

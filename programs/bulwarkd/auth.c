/*
 * API keys and rate limits. A checked key is trusted for a few seconds
 * (key_cache_seconds) so the store is asked about each key now and then,
 * not on every request; wrong keys are remembered too, so guessing does not
 * turn into database load. Rate limits are token buckets per key and per
 * node: behind N nodes a key gets up to N times its rate (docs/service.md).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulwarkd.h"

enum { CACHE_SLOTS = 4096, BUCKET_SLOTS = 4096 };

typedef struct cached_key {
    uint8_t digest[32];
    double expires;  /* 0: empty */
    bool valid;
    int64_t id;
    bw_role role;
    uint32_t rate;
} cached_key;

typedef struct bucket {
    int64_t id;      /* 0: empty */
    double tokens;
    double last;
} bucket;

struct bwd_keys {
    pthread_mutex_t lock;
    unsigned ttl;
    unsigned default_rate;
    cached_key cache[CACHE_SLOTS];
    bucket buckets[BUCKET_SLOTS];
};

bwd_keys *bwd_keys_create(unsigned cache_seconds, unsigned default_rate)
{
    bwd_keys *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    pthread_mutex_init(&k->lock, NULL);
    k->ttl = cache_seconds;
    k->default_rate = default_rate;
    return k;
}

void bwd_keys_free(bwd_keys *k)
{
    if (!k)
        return;
    pthread_mutex_destroy(&k->lock);
    free(k);
}

typedef struct found_key {
    int64_t id;
    bw_role role;
    uint32_t rate;
} found_key;

static int take_key(void *arg, const bw_key_info *info)
{
    found_key *f = arg;
    f->id = info->id;
    f->role = info->role;
    f->rate = info->rate_per_minute;
    return 0;
}

int bwd_keys_check(bwd_server *srv, const char *bearer, int64_t *id, bw_role *role,
                   uint32_t *rate, const char **code, const char **message)
{
    bwd_keys *k = srv->keys;
    *code = "unauthorized";
    if (!bearer || strncasecmp(bearer, "Bearer ", 7) != 0) {
        *message = "an API key is required: Authorization: Bearer KEY";
        return 401;
    }
    const char *key = bearer + 7;
    while (*key == ' ')
        key++;
    if (strlen(key) != BW_KEY_CHARS) {
        *message = "the API key is malformed";
        return 401;
    }
    bwd_thread *t = bwd_thread_get();
    if (!t) {
        *code = "unavailable";
        *message = "out of memory";
        return 503;
    }
    uint8_t d[32];
    if (bw_digester_update(t->sha256, key, strlen(key)) != BW_OK ||
        bw_digester_final(t->sha256, d, sizeof d) != BW_OK) {
        *code = "unavailable";
        *message = "cannot hash the API key";
        return 503;
    }
    uint64_t h;
    memcpy(&h, d, sizeof h);
    cached_key *slot = &k->cache[h % CACHE_SLOTS];
    const double now = bwd_now();
    pthread_mutex_lock(&k->lock);
    if (slot->expires > now && !memcmp(slot->digest, d, sizeof d)) {
        const cached_key c = *slot;
        pthread_mutex_unlock(&k->lock);
        if (!c.valid) {
            *message = "unknown or revoked API key";
            return 401;
        }
        *id = c.id;
        *role = c.role;
        *rate = c.rate ? c.rate : k->default_rate;
        return 0;
    }
    pthread_mutex_unlock(&k->lock);

    found_key f = {0, 0, 0};
    const bw_status st = bw_key_check(t->ctx, srv->store, key, take_key, &f);
    if (st != BW_OK && st != BW_ERR_PERMISSION) {
        bwd_logf(BWD_ERROR, "key check failed", "{s:s}", "error", bw_ctx_message(t->ctx));
        *code = "unavailable";
        *message = "the key store is unavailable";
        return 503;
    }
    pthread_mutex_lock(&k->lock);
    memcpy(slot->digest, d, sizeof d);
    slot->expires = now + k->ttl;
    slot->valid = st == BW_OK;
    slot->id = f.id;
    slot->role = f.role;
    slot->rate = f.rate;
    pthread_mutex_unlock(&k->lock);
    if (st != BW_OK) {
        *message = "unknown or revoked API key";
        return 401;
    }
    *id = f.id;
    *role = f.role;
    *rate = f.rate ? f.rate : k->default_rate;
    return 0;
}

void bwd_keys_forget(bwd_keys *k, int64_t id)
{
    pthread_mutex_lock(&k->lock);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        if (k->cache[i].id == id)
            k->cache[i].expires = 0;
    pthread_mutex_unlock(&k->lock);
}

bool bwd_keys_take(bwd_keys *k, int64_t id, uint32_t rate_per_minute, int *retry_after)
{
    if (!rate_per_minute)
        return true;
    /* A bucket holds ten seconds' worth (at least one request) and refills
     * continuously, so short bursts pass and sustained excess does not. */
    const double per_second = rate_per_minute / 60.0;
    const double capacity = per_second * 10 < 1 ? 1 : per_second * 10;
    const double now = bwd_now();
    pthread_mutex_lock(&k->lock);
    size_t i = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ull >> 52) % BUCKET_SLOTS;
    for (size_t probes = 0; probes < BUCKET_SLOTS; probes++, i = (i + 1) % BUCKET_SLOTS)
        if (k->buckets[i].id == id || k->buckets[i].id == 0)
            break;
    bucket *b = &k->buckets[i];
    if (b->id != id) { /* a new key, or (table full) one slot shared by two */
        b->id = id;
        b->tokens = capacity;
        b->last = now;
    }
    b->tokens += (now - b->last) * per_second;
    if (b->tokens > capacity)
        b->tokens = capacity;
    b->last = now;
    bool ok = b->tokens >= 1;
    if (ok)
        b->tokens -= 1;
    else
        *retry_after = (int)((1 - b->tokens) / per_second) + 1;
    pthread_mutex_unlock(&k->lock);
    return ok;
}

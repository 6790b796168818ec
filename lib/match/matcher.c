/*
 * The matcher: loads PDQ signals from the store into the index, follows the
 * store's change feed, and answers queries with the banks' policy applied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "match_internal.h"

#define FEED_BATCH 10000

typedef struct loader {
    bw_pdq_index *index;
    bwi_videos *videos;
    bool oom;
} loader;

static int load_one(void *arg, const bw_signal_info *s)
{
    loader *l = arg;
    bw_status st = BW_OK;
    if (s->enabled && s->type == BW_SIGNAL_PDQ && s->raw_size == BW_PDQ_BYTES)
        st = bw_pdq_index_add(l->index, s->id, (uint32_t)s->bank_id, s->raw);
    else if (s->enabled && s->type == BW_SIGNAL_VPDQ)
        st = bwi_videos_apply(l->videos, s->id, s->bank_id, s->bank_kind == BW_BANK_ALLOW, true,
                              s->body, s->body_size);
    if (st != BW_OK) {
        l->oom = true;
        return 1;
    }
    return 0;
}

static int count_pdq(void *arg, const bw_bank_info *b)
{
    *(uint64_t *)arg += b->count_by_type[BW_SIGNAL_PDQ];
    return 0;
}

BW_API bw_status bw_matcher_create(bw_ctx *ctx, bw_matcher **out, bw_store *store)
{
    if (!ctx || !out || !store)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    *out = NULL;
    bw_matcher *m = calloc(1, sizeof *m);
    if (!m || bw_pdq_index_create(&m->index) != BW_OK || bwi_videos_init(&m->videos) != BW_OK) {
        if (m)
            bw_pdq_index_free(m->index);
        free(m);
        return bwi_fail(ctx, BW_ERR_NOMEM, "cannot allocate the matcher");
    }
    m->store = store;
    pthread_rwlock_init(&m->lock, NULL);
    pthread_mutex_init(&m->follow, NULL);
    bwi_flood_init(&m->flood);
    /* The banks' counts size the index up front. */
    uint64_t expected = 0;
    bw_bank_list(ctx, store, count_pdq, &expected);
    bw_pdq_index_reserve(m->index, (size_t)expected + 1024);
    /* One pass over every type (the scan reads the whole table for one
     * type anyway) gives PDQ hashes and videos from one snapshot. */
    loader l = {m->index, &m->videos, false};
    bw_status st = bw_store_scan(ctx, store, (bw_signal_type)0, load_one, &l, &m->seq);
    if (st == BW_OK && l.oom)
        st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory loading the index");
    if (st == BW_OK && (bw_pdq_index_compact(m->index) != BW_OK ||
                        bw_pdq_index_compact(m->videos.index) != BW_OK))
        st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory building the index");
    m->videos.added_since_compact = 0;
    if (st != BW_OK) {
        bw_matcher_free(m);
        return st;
    }
    m->last_id = INT64_MAX; /* everything up to the snapshot is loaded */
    *out = m;
    return BW_OK;
}

BW_API void bw_matcher_free(bw_matcher *m)
{
    if (!m)
        return;
    bw_pdq_index_free(m->index);
    bwi_videos_free(&m->videos);
    bwi_flood_free(&m->flood);
    pthread_rwlock_destroy(&m->lock);
    pthread_mutex_destroy(&m->follow);
    free(m);
}

BW_API bw_status bw_matcher_set_flood(bw_matcher *m, int64_t window, uint32_t min_distinct,
                                      double factor)
{
    if (!m || window < 0 || factor < 1.0)
        return BW_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&m->flood.lock);
    m->flood.window = window;
    m->flood.min_distinct = min_distinct ? min_distinct : 1;
    m->flood.factor = factor;
    pthread_mutex_unlock(&m->flood.lock);
    return BW_OK;
}

BW_API void bw_matcher_on_quarantine(bw_matcher *m, bw_quarantine_fn fn, void *arg)
{
    if (!m)
        return;
    m->on_quarantine = fn;
    m->on_quarantine_arg = arg;
}

BW_API int64_t bw_matcher_sequence(const bw_matcher *m)
{
    return m ? m->seq : 0;
}

BW_API size_t bw_matcher_pdq_count(const bw_matcher *m)
{
    return m ? bw_pdq_index_count(m->index) : 0;
}

BW_API size_t bw_matcher_vpdq_count(const bw_matcher *m)
{
    return m ? m->videos.used : 0;
}

BW_API size_t bw_matcher_memory(const bw_matcher *m)
{
    if (!m)
        return 0;
    size_t n = bw_pdq_index_memory(m->index) + bw_pdq_index_memory(m->videos.index) + sizeof *m +
               m->videos.cap * sizeof *m->videos.slots;
    for (size_t i = 0; i < m->videos.cap; i++)
        n += m->videos.slots[i].frames;
    return n;
}

/* ---- following the store ------------------------------------------------ */

typedef struct change {
    int64_t id;
    int64_t bank_id;
    uint8_t hash[BW_PDQ_BYTES];
    bool pdq;
    bool video;
    bool allow;     /* the signal's bank is an allow list */
    bool live;      /* present and enabled after this change */
    bool released;  /* quarantine lifted */
    uint8_t *body;  /* a video's frames (malloc'd) */
    size_t body_size;
} change;

typedef struct batch {
    change *items;
    size_t n;
    size_t cap;
    bool oom;
} batch;

static int collect(void *arg, const bw_signal_info *s)
{
    batch *b = arg;
    const bool pdq = s->type == BW_SIGNAL_PDQ && s->raw_size == BW_PDQ_BYTES;
    const bool video = s->type == BW_SIGNAL_VPDQ;
    /* Other types are looked up in the store at query time; their changes
     * matter here only when a quarantine is lifted. */
    if (!pdq && !video && s->quarantined)
        return 0;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        change *grown = realloc(b->items, cap * sizeof *grown);
        if (!grown) {
            b->oom = true;
            return 1;
        }
        b->items = grown;
        b->cap = cap;
    }
    change *c = &b->items[b->n++];
    memset(c, 0, sizeof *c);
    c->id = s->id;
    c->bank_id = s->bank_id;
    c->pdq = pdq;
    c->video = video;
    c->allow = s->bank_kind == BW_BANK_ALLOW;
    c->live = (pdq || video) && !s->removed && s->enabled;
    c->released = !s->quarantined;
    if (pdq)
        memcpy(c->hash, s->raw, BW_PDQ_BYTES);
    if (video && s->body) {
        if (!(c->body = malloc(s->body_size))) {
            b->oom = true;
            return 1;
        }
        memcpy(c->body, s->body, s->body_size);
        c->body_size = s->body_size;
    }
    return 0;
}

BW_API bw_status bw_matcher_refresh(bw_ctx *ctx, bw_matcher *m, size_t *applied_out)
{
    if (!ctx || !m)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    pthread_mutex_lock(&m->follow);
    size_t applied = 0;
    bw_status st = BW_OK;
    batch b = {0};
    for (;;) {
        /* Read the changes without holding the index: queries go on. */
        b.n = 0;
        int64_t seq = m->seq, last_id = m->last_id;
        st = bw_store_changes(ctx, m->store, seq, last_id, FEED_BATCH, collect, &b, &seq,
                              &last_id);
        if (st == BW_OK && b.oom)
            st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory following changes");
        if (st != BW_OK || b.n == 0) {
            for (size_t i = 0; i < b.n; i++)
                free(b.items[i].body);
            break;
        }
        pthread_rwlock_wrlock(&m->lock);
        for (size_t i = 0; i < b.n && st == BW_OK; i++) {
            change *c = &b.items[i];
            if (c->pdq) {
                /* Whatever changed, the entry is re-added only if live. */
                bw_pdq_index_remove(m->index, c->id, c->hash);
                if (c->live) {
                    if (bw_pdq_index_add(m->index, c->id, (uint32_t)c->bank_id, c->hash) !=
                        BW_OK)
                        st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory following changes");
                    m->added_since_compact++;
                }
            } else if (c->video &&
                       bwi_videos_apply(&m->videos, c->id, c->bank_id, c->allow, c->live,
                                        c->body, c->body_size) != BW_OK) {
                st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory following changes");
            }
        }
        bwi_videos *v = &m->videos;
        if (st == BW_OK && v->added_since_compact > 65536 &&
            v->added_since_compact > v->frames / 8) {
            if (bw_pdq_index_compact(v->index) != BW_OK)
                st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory compacting the index");
            v->added_since_compact = 0;
        }
        /* Fold additions into the compact tables once they are many. */
        const size_t count = bw_pdq_index_count(m->index);
        if (st == BW_OK && m->added_since_compact > 65536 &&
            m->added_since_compact > count / 8) {
            if (bw_pdq_index_compact(m->index) != BW_OK)
                st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory compacting the index");
            m->added_since_compact = 0;
        }
        if (st == BW_OK) {
            m->seq = seq;
            m->last_id = last_id;
        }
        pthread_rwlock_unlock(&m->lock);
        for (size_t i = 0; i < b.n; i++) {
            if (b.items[i].released)
                bwi_flood_release(&m->flood, b.items[i].id);
            free(b.items[i].body);
            b.items[i].body = NULL;
        }
        applied += b.n;
        if (st != BW_OK || b.n < FEED_BATCH)
            break;
    }
    free(b.items);
    pthread_mutex_unlock(&m->follow);
    if (applied_out)
        *applied_out = applied;
    return st;
}

/* ---- answering ---------------------------------------------------------- */

typedef struct detail_arg {
    bw_matches *out;
    const bwi_hit_ref *hit;
    bool oom;
    bool found;
} detail_arg;

/* The part of an image a banked PDQ hash covers, from the metadata that
 * bw_bank_add_content() writes, as a static string; NULL for whole images
 * and hashes from elsewhere. For a crop region, *region is its index and
 * *quality its quality (100 when the metadata has none: regions banked
 * before it was written were all of BW_PDQ_REGION_MIN_QUALITY or more);
 * otherwise *region is -1. */
static const char *banked_part(const bw_signal_info *s, int *region, int *quality)
{
    *region = -1;
    *quality = 100;
    if (s->type != BW_SIGNAL_PDQ || !s->metadata || !strstr(s->metadata, "\"part\""))
        return NULL;
    json_t *j = json_loads(s->metadata, 0, NULL);
    const char *part = json_string_value(json_object_get(j, "part"));
    const char *out = NULL;
    if (part && !strcmp(part, "region")) {
        *region = bw_pdq_region_parse(json_string_value(json_object_get(j, "region")));
        out = bw_pdq_region_name(*region);
        const json_t *q = json_object_get(j, "quality");
        if (json_is_integer(q))
            *quality = (int)json_integer_value(q);
    } else if (part && !strcmp(part, "content"))
        out = "content";
    else if (part && !strcmp(part, "content-loose"))
        out = "content-loose";
    else if (part && !strcmp(part, "content-picture"))
        out = "content-picture";
    else if (part && !strcmp(part, "unrotated"))
        out = "unrotated";
    json_decref(j);
    return out;
}

static int add_detail(void *arg, const bw_signal_info *s)
{
    detail_arg *d = arg;
    d->found = true;
    if (!s->enabled)
        return 0;
    int region_index, quality;
    const char *region = banked_part(s, &region_index, &quality);
    /* A hash of the query that this banked part cannot stand for (a
     * different region, or a turned query against a crop region), or a
     * flat region further than it reaches. */
    if (d->hit && s->type == BW_SIGNAL_PDQ &&
        (!bw_pdq_parts_meet(d->hit->transform, d->hit->query_region, region_index) ||
         (region_index >= 0 && d->hit->distance > bw_pdq_region_reach(quality))))
        return 0;
    /* A vPDQ value can be megabytes: a match names it by its digest. */
    char digest[2 * BW_PDQ_BYTES + 1];
    const bool video = s->type == BW_SIGNAL_VPDQ && s->raw_size == BW_PDQ_BYTES;
    if (video)
        bw_hex_encode(digest, s->raw, BW_PDQ_BYTES);
    const bw_match_info info = {
        .signal_id = s->id,
        .bank_id = s->bank_id,
        .bank = s->bank,
        .bank_kind = s->bank_kind,
        .type = s->type,
        .value = video ? digest : s->value,
        .distance = d->hit ? d->hit->distance : 0,
        .transform = d->hit ? d->hit->transform : BW_DIHEDRAL_ORIGINAL,
        .prefix = d->hit ? d->hit->prefix : 0,
        .metadata = s->metadata,
        .source = s->source,
        .quarantined = s->quarantined,
        .suppressed = d->hit ? d->hit->suppressed : 0,
        .query_percent = d->hit ? d->hit->query_percent : 0,
        .compared_percent = d->hit ? d->hit->compared_percent : 0,
        .region = region,
        .query_part = d->hit ? d->hit->query_part : NULL,
    };
    if (!bwi_matches_add(d->out, &info))
        d->oom = true;
    return 0;
}

/* FNV-1a, to count distinct queries without keeping them. */
static uint64_t fingerprint(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Runs the flood check for every block match this call added (from
 * `from` on) and finishes the result. */
static bw_status finish(bw_ctx *ctx, bw_matcher *m, bw_matches *out, uint64_t query,
                        size_t from)
{
    const int64_t now = (int64_t)time(NULL);
    for (size_t i = from; i < out->count; i++) {
        bw_match_info *x = &out->entries[i].info;
        char reason[160];
        if (x->bank_kind != BW_BANK_BLOCK || x->quarantined ||
            !bwi_flood_record(&m->flood, x->signal_id, query, now, reason, sizeof reason))
            continue;
        x->quarantined = 1;
        bw_status st = bw_signal_set_quarantined(ctx, m->store, x->signal_id, 1, reason);
        if (st != BW_OK && st != BW_ERR_NOT_FOUND)
            return st;
        if (m->on_quarantine)
            m->on_quarantine(m->on_quarantine_arg, x->signal_id, reason);
    }
    bwi_matches_finish(out);
    return BW_OK;
}

/* Index hits for one hash into refs (dihedral variant `transform`). */
static bw_status index_hits(bw_ctx *ctx, bw_matcher *m, const uint8_t *hash, int threshold,
                            bw_dihedral transform, const char *query_part, int query_region,
                            bwi_hit_ref **refs, size_t *n, size_t *cap)
{
    bw_pdq_results *r;
    if (bw_pdq_results_create(&r) != BW_OK)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    pthread_rwlock_rdlock(&m->lock);
    bw_status st = bw_pdq_index_query(m->index, r, hash, threshold);
    pthread_rwlock_unlock(&m->lock);
    for (size_t i = 0; st == BW_OK && i < bw_pdq_results_count(r); i++) {
        if (*n == *cap) {
            size_t grow = *cap ? *cap * 2 : 16;
            bwi_hit_ref *g = realloc(*refs, grow * sizeof *g);
            if (!g) {
                st = BW_ERR_NOMEM;
                break;
            }
            *refs = g;
            *cap = grow;
        }
        bwi_hit_ref *h = &(*refs)[(*n)++];
        *h = (bwi_hit_ref){.transform = transform};
        bw_pdq_results_get(r, i, &h->signal_id, NULL, &h->distance, NULL);
        h->query_part = query_part;
        h->query_region = query_region;
    }
    bw_pdq_results_free(r);
    if (st == BW_ERR_NOMEM)
        return bwi_fail(ctx, st, "out of memory");
    if (st != BW_OK)
        return bwi_fail(ctx, st, "invalid threshold %d", threshold);
    return BW_OK;
}

static bw_status details(bw_ctx *ctx, bw_matcher *m, bw_matches *out, const bwi_hit_ref *refs,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        detail_arg d = {out, &refs[i], false, false};
        bw_status st = bw_signal_get(ctx, m->store, refs[i].signal_id, add_detail, &d);
        /* Removed since the index last followed the store: not a match. */
        if (st == BW_ERR_NOT_FOUND)
            continue;
        if (st != BW_OK)
            return st;
        if (d.oom)
            return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    }
    return BW_OK;
}

static bw_status match_pdqs(bw_ctx *ctx, bw_matcher *m, bw_matches *out,
                            const uint8_t (*hashes)[BW_PDQ_BYTES], int count, int threshold)
{
    bwi_hit_ref *refs = NULL;
    size_t n = 0, cap = 0;
    bw_status st = BW_OK;
    for (int d = 0; d < count && st == BW_OK; d++)
        st = index_hits(ctx, m, hashes[d], threshold, (bw_dihedral)d, NULL, -1, &refs, &n,
                        &cap);
    if (st == BW_OK)
        st = details(ctx, m, out, refs, n);
    free(refs);
    return st;
}

BW_API bw_status bw_matcher_match_pdq(bw_ctx *ctx, bw_matcher *m, bw_matches *out,
                                      const uint8_t hash[BW_PDQ_BYTES], int threshold)
{
    if (!ctx || !m || !out || !hash)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bwi_matches_clear(out);
    bw_status st = match_pdqs(ctx, m, out, (const uint8_t(*)[BW_PDQ_BYTES])hash, 1, threshold);
    return st == BW_OK ? finish(ctx, m, out, fingerprint(hash, BW_PDQ_BYTES), 0) : st;
}

/* Exact lookups of one canonical value; prefix marks URL prefix matches. */
static bw_status exact(bw_ctx *ctx, bw_matcher *m, bw_matches *out, bw_signal_type type,
                       const char *value, int prefix)
{
    const bwi_hit_ref hit = {0, 0, BW_DIHEDRAL_ORIGINAL, prefix, NULL};
    detail_arg d = {out, &hit, false, false};
    bw_status st = bw_signal_lookup(ctx, m->store, type, value, add_detail, &d);
    if (st == BW_OK && d.oom)
        st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    return st;
}

/* A normalised URL matches banked URLs equal to it, to its path without the
 * query, to each shorter path ending at a '/', to its host, and (banked
 * bare hosts) to any parent domain of its host. */
static bw_status match_url(bw_ctx *ctx, bw_matcher *m, bw_matches *out, const char *url)
{
    bw_status st = exact(ctx, m, out, BW_SIGNAL_URL, url, 0);
    const size_t len = strlen(url), host_end = strcspn(url, "/?");
    const size_t path_end = strcspn(url, "?");
    char cand[BW_SIGNAL_VALUE_MAX + 1];
    if (st == BW_OK && path_end < len) {
        memcpy(cand, url, path_end);
        cand[path_end] = '\0';
        st = exact(ctx, m, out, BW_SIGNAL_URL, cand, 1);
    }
    for (size_t j = path_end; st == BW_OK && j-- > host_end;) {
        if (url[j] != '/')
            continue;
        memcpy(cand, url, j);
        cand[j] = '\0';
        st = exact(ctx, m, out, BW_SIGNAL_URL, cand, 1);
    }
    const size_t host_only = strcspn(url, ":/?");
    for (size_t i = 0; st == BW_OK && i < host_only; i++) {
        if (url[i] != '.')
            continue;
        const size_t n = host_only - i - 1;
        if (!memchr(url + i + 1, '.', n))
            break; /* never a bare top-level domain */
        memcpy(cand, url + i + 1, n);
        cand[n] = '\0';
        st = exact(ctx, m, out, BW_SIGNAL_URL, cand, 1);
    }
    return st;
}

BW_API bw_status bw_matcher_match_value(bw_ctx *ctx, bw_matcher *m, bw_matches *out,
                                        bw_signal_type type, const char *value, int threshold)
{
    if (!ctx || !m || !out || !value)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bwi_matches_clear(out);
    if (type == BW_SIGNAL_VPDQ) {
        bw_vpdq *video;
        bw_status st = bw_vpdq_signal_parse(ctx, &video, value, strlen(value));
        if (st == BW_OK)
            st = bw_matcher_match_vpdq(ctx, m, out, video, threshold, BW_VPDQ_DEFAULT_QUALITY,
                                       BW_VPDQ_DEFAULT_QUERY_PERCENT,
                                       BW_VPDQ_DEFAULT_COMPARED_PERCENT, 0);
        bw_vpdq_free(video);
        return st;
    }
    char canon[BW_SIGNAL_VALUE_MAX + 1];
    const char *why = NULL;
    bw_status st = bw_signal_normalize(canon, sizeof canon, type, value, strlen(value), &why);
    if (st != BW_OK)
        return bwi_fail(ctx, st, "invalid %s value: %s", bw_signal_type_name(type),
                        why ? why : bw_strerror(st));
    if (type == BW_SIGNAL_PDQ) {
        uint8_t hash[BW_PDQ_BYTES];
        bw_pdq_from_hex(hash, canon, strlen(canon));
        st = match_pdqs(ctx, m, out, (const uint8_t(*)[BW_PDQ_BYTES])hash, 1, threshold);
    } else if (type == BW_SIGNAL_URL) {
        st = match_url(ctx, m, out, canon);
    } else {
        st = exact(ctx, m, out, type, canon, 0);
    }
    return st == BW_OK ? finish(ctx, m, out, fingerprint(canon, strlen(canon)), 0) : st;
}

/* Exact matches of every digest bw_hash_* computed; *query takes the first
 * digest's fingerprint when it is still 0. */
static bw_status match_digests(bw_ctx *ctx, bw_matcher *m, bw_matches *out,
                               const bw_hashes *hashes, uint64_t *query)
{
    static const struct {
        unsigned flag;
        bw_digest_alg alg;
        bw_signal_type type;
    } digests[] = {{BW_HASH_MD5, BW_DIGEST_MD5, BW_SIGNAL_MD5},
                   {BW_HASH_SHA1, BW_DIGEST_SHA1, BW_SIGNAL_SHA1},
                   {BW_HASH_SHA256, BW_DIGEST_SHA256, BW_SIGNAL_SHA256}};
    const unsigned have = bw_hashes_flags(hashes);
    bw_status st = BW_OK;
    for (size_t i = 0; st == BW_OK && i < sizeof digests / sizeof digests[0]; i++) {
        if (!(have & digests[i].flag))
            continue;
        uint8_t d[BW_DIGEST_MAX_BYTES];
        char hex[2 * BW_DIGEST_MAX_BYTES + 1];
        bw_hashes_digest(hashes, digests[i].alg, d, sizeof d);
        bw_hex_encode(hex, d, bw_digest_size(digests[i].alg));
        if (!*query)
            *query = fingerprint(d, bw_digest_size(digests[i].alg));
        st = exact(ctx, m, out, digests[i].type, hex, 0);
    }
    return st;
}

BW_API bw_status bw_matcher_match_hashes(bw_ctx *ctx, bw_matcher *m, bw_matches *out,
                                         const bw_hashes *hashes, int threshold, unsigned flags)
{
    if (!ctx || !m || !out || !hashes)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    const size_t from = (flags & BW_MATCH_APPEND) ? out->count : 0;
    if (!(flags & BW_MATCH_APPEND))
        bwi_matches_clear(out);
    const unsigned have = bw_hashes_flags(hashes);
    bw_status st = BW_OK;
    uint64_t query = 0;
    if (have & BW_HASH_PDQ) {
        uint8_t h[BW_PDQ_DIHEDRAL_COUNT][BW_PDQ_BYTES];
        int count = 1;
        bw_hashes_pdq(hashes, h[0], NULL);
        query = fingerprint(h[0], BW_PDQ_BYTES);
        if ((flags & BW_MATCH_DIHEDRAL) && (have & BW_HASH_PDQ_DIHEDRAL)) {
            for (int d = 0; d < BW_PDQ_DIHEDRAL_COUNT; d++)
                bw_hashes_pdq_dihedral(hashes, (bw_dihedral)d, h[d]);
            count = BW_PDQ_DIHEDRAL_COUNT;
        }
        st = match_pdqs(ctx, m, out, (const uint8_t(*)[BW_PDQ_BYTES])h, count, threshold);
    }
    if (st == BW_OK)
        st = match_digests(ctx, m, out, hashes, &query);
    return st == BW_OK ? finish(ctx, m, out, query, from) : st;
}

BW_API bw_status bw_matcher_match_set(bw_ctx *ctx, bw_matcher *m, bw_matches *out,
                                      const bw_pdq_set *set, const bw_hashes *digests,
                                      int threshold)
{
    if (!ctx || !m || !out || !set)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bwi_matches_clear(out);
    bwi_hit_ref *refs = NULL;
    size_t n = 0, cap = 0;
    bw_status st = BW_OK;
    for (size_t i = 0; st == BW_OK && i < bw_pdq_set_count(set); i++) {
        const bw_pdq_part *p = bw_pdq_set_get(set, i);
        /* A flat query region reaches no further than a flat banked one,
         * and a near edge region only a few bits (bw_pdq_part.reach). */
        const int reach = p->reach;
        st = index_hits(ctx, m, p->hash, reach < threshold ? reach : threshold, p->transform,
                        p->name, p->region, &refs, &n, &cap);
    }
    if (st == BW_OK)
        st = details(ctx, m, out, refs, n);
    free(refs);
    if (st == BW_OK && !bwi_matches_drop_lone_bands(out))
        st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    /* The whole image's hash stands for the query in flood counting, as in
     * bw_matcher_match_hashes(). */
    const bw_pdq_part *first = bw_pdq_set_get(set, 0);
    uint64_t query = first ? fingerprint(first->hash, BW_PDQ_BYTES) : 0;
    if (st == BW_OK && digests)
        st = match_digests(ctx, m, out, digests, &query);
    return st == BW_OK ? finish(ctx, m, out, query, 0) : st;
}

/* The frames of a query that take part: the first occurrence of each hash,
 * of at least the quality. */
static uint8_t (*query_frames(const bw_vpdq *v, int quality, size_t *n_out))[BW_PDQ_BYTES]
{
    const size_t count = bw_vpdq_count(v);
    uint8_t(*all)[BW_PDQ_BYTES] = malloc((count ? count : 1) * sizeof *all);
    uint8_t *qualities = malloc(count ? count : 1);
    uint32_t *keep = malloc((count ? count : 1) * sizeof *keep);
    size_t kept = 0, n = 0;
    if (all && qualities && keep) {
        for (size_t i = 0; i < count; i++) {
            int q = 0;
            bw_vpdq_get(v, i, NULL, &q, all[i], NULL);
            qualities[i] = (uint8_t)q;
        }
        kept = bwi_distinct_frames(all[0], BW_PDQ_BYTES, count, keep);
    }
    if (kept == SIZE_MAX || !qualities || !keep) {
        free(all);
        all = NULL;
    }
    for (size_t i = 0; all && i < kept; i++)
        if (qualities[keep[i]] >= quality)
            memmove(all[n++], all[keep[i]], BW_PDQ_BYTES);
    free(qualities);
    free(keep);
    *n_out = n;
    return all;
}

BW_API bw_status bw_matcher_match_vpdq(bw_ctx *ctx, bw_matcher *m, bw_matches *out,
                                       const bw_vpdq *query, int distance, int quality,
                                       double query_percent, double compared_percent,
                                       unsigned flags)
{
    if (!ctx || !m || !out || !query || distance < 0 || distance > 256 || quality < 0 ||
        quality > 101 || !(query_percent >= 0 && query_percent <= 100) ||
        !(compared_percent >= 0 && compared_percent <= 100))
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    const size_t from = (flags & BW_MATCH_APPEND) ? out->count : 0;
    if (!(flags & BW_MATCH_APPEND))
        bwi_matches_clear(out);
    size_t n = 0;
    uint8_t(*frames)[BW_PDQ_BYTES] = query_frames(query, quality, &n);
    if (!frames)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    const uint64_t fp = fingerprint(frames, n * BW_PDQ_BYTES);
    bwi_hit_ref *refs = NULL;
    size_t n_refs = 0;
    bw_status st = BW_OK;
    if (n) {
        const bwi_vquery q = {(const uint8_t(*)[BW_PDQ_BYTES])frames, n, distance, quality,
                              query_percent, compared_percent};
        pthread_rwlock_rdlock(&m->lock);
        st = bwi_videos_query(&m->videos, &q, &refs, &n_refs);
        pthread_rwlock_unlock(&m->lock);
        if (st != BW_OK)
            st = bwi_fail(ctx, st, "out of memory");
    }
    free(frames);
    if (st == BW_OK)
        st = details(ctx, m, out, refs, n_refs);
    free(refs);
    return st == BW_OK ? finish(ctx, m, out, fp, from) : st;
}

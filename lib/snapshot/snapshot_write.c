/*
 * Writing snapshot files: full snapshots from a sorted set, and the delta
 * between two sets. Ed25519 signs the whole message in one call (the
 * streaming API is the pre-hashed variant, a different signature), so the
 * body is assembled in memory first.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "snapshot_format.h"

typedef struct body {
    uint8_t *data;
    size_t len, cap;
    bool failed;
} body;

static uint8_t *body_grow(body *b, size_t n)
{
    if (b->failed)
        return NULL;
    if (n > SIZE_MAX - b->len) {
        b->failed = true;
        return NULL;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = true;
            return NULL;
        }
        b->data = grown;
        b->cap = cap;
    }
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

static void body_put(body *b, const void *data, size_t n)
{
    uint8_t *p = body_grow(b, n);
    if (p && n)
        memcpy(p, data, n);
}

typedef struct section {
    unsigned type, op;
    const uint8_t *entries;
    size_t count;
} section;

typedef struct header {
    unsigned kind;
    uint64_t version, base_version;
    int64_t created_at;
    const uint8_t *digest, *base_digest, *psm_key_id;
} header;

static bw_status emit(bw_ctx *ctx, const header *h, const section *sections,
                      size_t count, const uint8_t seed[BWI_SNAP_SEED_BYTES],
                      int (*write)(void *, const void *, size_t), void *arg)
{
    body b = {0};
    uint8_t *p = body_grow(&b, BWI_SNAP_HEADER_BYTES);
    if (p) {
        memset(p, 0, BWI_SNAP_HEADER_BYTES);
        memcpy(p, BWI_SNAP_MAGIC, 8);
        bwi_le_put(p + 8, BWI_SNAP_FORMAT, 2);
        bwi_le_put(p + 10, h->kind, 2);
        bwi_le_put(p + 12, BWI_SNAP_HEADER_BYTES, 4);
        bwi_le_put(p + 16, h->version, 8);
        bwi_le_put(p + 24, h->base_version, 8);
        bwi_le_put(p + 32, (uint64_t)h->created_at, 8);
        memcpy(p + 40, h->digest, BWI_SNAP_DIGEST_BYTES);
        if (h->base_digest)
            memcpy(p + 72, h->base_digest, BWI_SNAP_DIGEST_BYTES);
        memcpy(p + 104, h->psm_key_id, BWI_SNAP_KEY_ID_BYTES);
        bwi_le_put(p + 112, count, 4);
    }
    for (size_t i = 0; i < count; i++) {
        uint8_t s[BWI_SNAP_SECTION_BYTES];
        bwi_le_put(s, sections[i].type, 2);
        bwi_le_put(s + 2, sections[i].op, 2);
        bwi_le_put(s + 4, bwi_snap_entry_size(sections[i].type), 4);
        bwi_le_put(s + 8, sections[i].count, 8);
        body_put(&b, s, sizeof s);
    }
    for (size_t i = 0; i < count; i++)
        body_put(&b, sections[i].entries,
                 sections[i].count * bwi_snap_entry_size(sections[i].type));
    uint8_t *sig = body_grow(&b, BWI_SNAP_SIGNATURE_BYTES);
    if (!sig || b.failed) {
        free(b.data);
        return bwi_fail(ctx, BW_ERR_NOMEM, "snapshot: cannot allocate the file");
    }
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pk, sk, seed);
    crypto_sign_detached(sig, NULL, b.data, b.len - BWI_SNAP_SIGNATURE_BYTES, sk);
    sodium_memzero(sk, sizeof sk);
    const int failed = write(arg, b.data, b.len);
    free(b.data);
    return failed ? bwi_fail(ctx, BW_ERR_IO, "snapshot: write failed") : BW_OK;
}

static bw_status check_sorted(bw_ctx *ctx, const bwi_snap_set *set)
{
    if (!set->sorted)
        return bwi_fail(ctx, BW_ERR_INTERNAL, "snapshot: set written before sorting");
    if (sodium_init() < 0)
        return bwi_fail(ctx, BW_ERR_INTERNAL, "libsodium cannot initialise");
    return BW_OK;
}

bw_status bwi_snap_write_full(bw_ctx *ctx, const bwi_snap_set *set,
                              const uint8_t seed[BWI_SNAP_SEED_BYTES],
                              int (*write)(void *, const void *, size_t), void *arg)
{
    bw_status st = check_sorted(ctx, set);
    if (st != BW_OK)
        return st;
    uint8_t digest[BWI_SNAP_DIGEST_BYTES];
    bwi_snap_set_digest(set, digest);
    header h = {BWI_SNAP_FULL, set->version, 0, set->created_at, digest, NULL,
                set->psm_key_id};
    section s[BWI_SNAP_TYPES];
    size_t n = 0;
    for (unsigned t = 1; t <= BWI_SNAP_TYPES; t++)
        if (set->counts[t])
            s[n++] = (section){t, BWI_SNAP_ADD, set->entries[t], set->counts[t]};
    return emit(ctx, &h, s, n, seed, write, arg);
}

/* Entries of a not in b (both sorted), into out (room for a_n). */
static size_t difference(uint8_t *out, const uint8_t *a, size_t a_n,
                         const uint8_t *b, size_t b_n, size_t esize)
{
    size_t i = 0, j = 0, n = 0;
    while (i < a_n) {
        const int c = j < b_n ? memcmp(a + i * esize, b + j * esize, esize) : -1;
        if (c < 0)
            memcpy(out + n++ * esize, a + i++ * esize, esize);
        else if (c > 0)
            j++;
        else
            i++, j++;
    }
    return n;
}

bw_status bwi_snap_write_delta(bw_ctx *ctx, const bwi_snap_set *old_set,
                               const bwi_snap_set *new_set,
                               const uint8_t seed[BWI_SNAP_SEED_BYTES],
                               int64_t created_at,
                               int (*write)(void *, const void *, size_t),
                               void *arg)
{
    bw_status st = check_sorted(ctx, old_set);
    if (st == BW_OK)
        st = check_sorted(ctx, new_set);
    if (st != BW_OK)
        return st;
    if (new_set->version <= old_set->version)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "snapshot: a delta must go to a newer version (%llu -> %llu)",
                        (unsigned long long)old_set->version,
                        (unsigned long long)new_set->version);
    uint8_t digest[BWI_SNAP_DIGEST_BYTES], base_digest[BWI_SNAP_DIGEST_BYTES];
    bwi_snap_set_digest(new_set, digest);
    bwi_snap_set_digest(old_set, base_digest);
    header h = {BWI_SNAP_DELTA, new_set->version, old_set->version, created_at,
                digest, base_digest, new_set->psm_key_id};
    section s[2 * BWI_SNAP_TYPES];
    uint8_t *buffers[2 * BWI_SNAP_TYPES] = {0};
    size_t n = 0;
    st = BW_OK;
    for (unsigned t = 1; t <= BWI_SNAP_TYPES && st == BW_OK; t++) {
        const size_t esize = bwi_snap_entry_size(t);
        const uint8_t *sets[2][2] = {{new_set->entries[t], old_set->entries[t]},
                                     {old_set->entries[t], new_set->entries[t]}};
        const size_t counts[2][2] = {{new_set->counts[t], old_set->counts[t]},
                                     {old_set->counts[t], new_set->counts[t]}};
        for (unsigned op = BWI_SNAP_ADD; op <= BWI_SNAP_REMOVE; op++) {
            const size_t most = counts[op - 1][0];
            if (!most)
                continue;
            uint8_t *buf = malloc(most * esize);
            if (!buf) {
                st = bwi_fail(ctx, BW_ERR_NOMEM, "snapshot: cannot allocate a delta");
                break;
            }
            buffers[n] = buf;
            const size_t count = difference(buf, sets[op - 1][0], most,
                                            sets[op - 1][1], counts[op - 1][1], esize);
            if (count)
                s[n] = (section){t, op, buf, count};
            else
                free(buf), buffers[n] = NULL;
            n += count != 0;
        }
    }
    if (st == BW_OK)
        st = emit(ctx, &h, s, n, seed, write, arg);
    for (size_t i = 0; i < 2 * BWI_SNAP_TYPES; i++)
        free(buffers[i]);
    return st;
}

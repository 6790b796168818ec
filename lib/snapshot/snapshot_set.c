/*
 * Snapshot contents in memory: sorted arrays of fixed-size entries per
 * type, their content digest, and delta application. A delta must fit its
 * base exactly (every removal present, no addition already there) and the
 * result must hash to the digest the platform signed, so a device can
 * never drift from what the platform built.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "snapshot_format.h"

static const char CONTENT[] = "bulwark/snapshot/v1/content";

void bwi_snap_set_clear(bwi_snap_set *set)
{
    for (int t = 0; t <= BWI_SNAP_TYPES; t++)
        free(set->entries[t]);
    memset(set, 0, sizeof *set);
}

bw_status bwi_snap_set_add(bwi_snap_set *set, unsigned type, const uint8_t *entry)
{
    const size_t esize = bwi_snap_entry_size(type);
    if (!esize)
        return BW_ERR_INVALID_ARGUMENT;
    if (set->counts[type] == set->caps[type]) {
        const size_t cap = set->caps[type] ? set->caps[type] * 2 : 256;
        if (cap > SIZE_MAX / esize)
            return BW_ERR_NOMEM;
        uint8_t *grown = realloc(set->entries[type], cap * esize);
        if (!grown)
            return BW_ERR_NOMEM;
        set->entries[type] = grown;
        set->caps[type] = cap;
    }
    memcpy(set->entries[type] + set->counts[type]++ * esize, entry, esize);
    set->sorted = false;
    return BW_OK;
}

static int cmp16(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}

static int cmp32(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

void bwi_snap_set_sort(bwi_snap_set *set)
{
    for (unsigned t = 1; t <= BWI_SNAP_TYPES; t++) {
        const size_t esize = bwi_snap_entry_size(t), n = set->counts[t];
        if (n < 2)
            continue;
        uint8_t *e = set->entries[t];
        qsort(e, n, esize, esize == 16 ? cmp16 : cmp32);
        size_t kept = 1;
        for (size_t i = 1; i < n; i++)
            if (memcmp(e + (kept - 1) * esize, e + i * esize, esize) != 0)
                memmove(e + kept++ * esize, e + i * esize, esize);
        set->counts[t] = kept;
    }
    set->sorted = true;
}

void bwi_snap_set_digest(const bwi_snap_set *set,
                         uint8_t digest_out[BWI_SNAP_DIGEST_BYTES])
{
    crypto_hash_sha256_state st;
    uint8_t field[12];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)CONTENT, sizeof CONTENT);
    bwi_le_put(field, set->version, 8);
    crypto_hash_sha256_update(&st, field, 8);
    crypto_hash_sha256_update(&st, set->psm_key_id, BWI_SNAP_KEY_ID_BYTES);
    for (unsigned t = 1; t <= BWI_SNAP_TYPES; t++) {
        bwi_le_put(field, t, 4);
        bwi_le_put(field + 4, set->counts[t], 8);
        crypto_hash_sha256_update(&st, field, 12);
        if (set->counts[t])
            crypto_hash_sha256_update(&st, set->entries[t],
                                      set->counts[t] * bwi_snap_entry_size(t));
    }
    crypto_hash_sha256_final(&st, digest_out);
}

static bw_status check_digest(bw_ctx *ctx, const bwi_snap_set *set,
                              const uint8_t want[BWI_SNAP_DIGEST_BYTES])
{
    uint8_t got[BWI_SNAP_DIGEST_BYTES];
    bwi_snap_set_digest(set, got);
    if (sodium_memcmp(got, want, sizeof got) != 0)
        return bwi_fail(ctx, BW_ERR_VERIFY,
                        "snapshot: contents do not hash to the signed digest");
    return BW_OK;
}

bw_status bwi_snap_set_from_full(bw_ctx *ctx, bwi_snap_set *out,
                                 const bwi_snap_file *file)
{
    memset(out, 0, sizeof *out);
    if (file->kind != BWI_SNAP_FULL)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "snapshot: not a full snapshot");
    out->version = file->version;
    out->created_at = file->created_at;
    memcpy(out->psm_key_id, file->psm_key_id, BWI_SNAP_KEY_ID_BYTES);
    for (unsigned t = 1; t <= BWI_SNAP_TYPES; t++) {
        const size_t n = file->counts[t][0], bytes = n * bwi_snap_entry_size(t);
        if (!n)
            continue;
        out->entries[t] = malloc(bytes);
        if (!out->entries[t]) {
            bwi_snap_set_clear(out);
            return bwi_fail(ctx, BW_ERR_NOMEM, "snapshot: cannot allocate %zu bytes",
                            bytes);
        }
        memcpy(out->entries[t], file->entries[t][0], bytes);
        out->counts[t] = out->caps[t] = n;
    }
    out->sorted = true;
    bw_status st = check_digest(ctx, out, file->digest);
    if (st != BW_OK)
        bwi_snap_set_clear(out);
    return st;
}

/* out = (base \ removed) + added for one type; false when the delta does
 * not fit the base. out has room for cap = base_n - removed_n + added_n
 * entries, which is exactly enough only when every removal is found: a
 * delta that names absent entries is caught by the bound before it could
 * write past the end. */
static bool merge(uint8_t *out, size_t cap, size_t *out_n, const uint8_t *base,
                  size_t base_n, const uint8_t *removed, size_t removed_n,
                  const uint8_t *added, size_t added_n, size_t esize)
{
    size_t b = 0, r = 0, a = 0, n = 0;
    while (b < base_n || a < added_n) {
        const uint8_t *bp = b < base_n ? base + b * esize : NULL;
        const uint8_t *ap = a < added_n ? added + a * esize : NULL;
        const int c = !bp ? 1 : !ap ? -1 : memcmp(bp, ap, esize);
        if (c == 0)
            return false; /* an addition already in the base */
        if (c < 0) {
            if (r < removed_n && memcmp(bp, removed + r * esize, esize) == 0) {
                r++;
            } else {
                if ((r < removed_n && memcmp(bp, removed + r * esize, esize) > 0) ||
                    n == cap)
                    return false; /* a removal the base does not hold */
                memcpy(out + n++ * esize, bp, esize);
            }
            b++;
        } else {
            if (n == cap)
                return false;
            memcpy(out + n++ * esize, ap, esize);
            a++;
        }
    }
    *out_n = n;
    return r == removed_n;
}

bw_status bwi_snap_set_apply(bw_ctx *ctx, bwi_snap_set *out,
                             const bwi_snap_set *base, const bwi_snap_file *delta)
{
    memset(out, 0, sizeof *out);
    if (delta->kind != BWI_SNAP_DELTA)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "snapshot: not a delta");
    if (delta->base_version != base->version)
        return bwi_fail(ctx, BW_ERR_VERIFY,
                        "snapshot: delta applies to version %llu, not %llu",
                        (unsigned long long)delta->base_version,
                        (unsigned long long)base->version);
    bw_status st = check_digest(ctx, base, delta->base_digest);
    if (st != BW_OK)
        return bwi_fail(ctx, st, "snapshot: delta was made from other contents "
                                 "of version %llu",
                        (unsigned long long)base->version);
    out->version = delta->version;
    out->created_at = delta->created_at;
    memcpy(out->psm_key_id, delta->psm_key_id, BWI_SNAP_KEY_ID_BYTES);
    for (unsigned t = 1; t <= BWI_SNAP_TYPES; t++) {
        const size_t esize = bwi_snap_entry_size(t), rn = delta->counts[t][1],
                     an = delta->counts[t][0], bn = base->counts[t];
        if (rn > bn) {
            bwi_snap_set_clear(out);
            return bwi_fail(ctx, BW_ERR_VERIFY,
                            "snapshot: delta removes %zu entries of type %u from %zu",
                            rn, t, bn);
        }
        const size_t cap = bn - rn + an;
        if (!cap)
            continue;
        out->entries[t] = malloc(cap * esize);
        if (!out->entries[t]) {
            bwi_snap_set_clear(out);
            return bwi_fail(ctx, BW_ERR_NOMEM, "snapshot: cannot allocate %zu entries",
                            cap);
        }
        out->caps[t] = cap;
        if (!merge(out->entries[t], cap, &out->counts[t], base->entries[t], bn,
                   delta->entries[t][1], rn, delta->entries[t][0], an, esize)) {
            bwi_snap_set_clear(out);
            return bwi_fail(ctx, BW_ERR_VERIFY,
                            "snapshot: delta does not fit the contents of version "
                            "%llu (type %u)",
                            (unsigned long long)base->version, t);
        }
    }
    out->sorted = true;
    if ((st = check_digest(ctx, out, delta->digest)) != BW_OK)
        bwi_snap_set_clear(out);
    return st;
}

bool bwi_snap_set_contains(const bwi_snap_set *set, unsigned type,
                           const uint8_t *entry)
{
    const size_t esize = bwi_snap_entry_size(type);
    if (!esize)
        return false;
    size_t lo = 0, hi = set->counts[type];
    const uint8_t *e = set->entries[type];
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = memcmp(e + mid * esize, entry, esize);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

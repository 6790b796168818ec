/* The public snapshot API of libbulwark: build, write, open, apply. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bulwark/bw_snapshot.h"
#include "snapshot_format.h"

struct bw_snapshot {
    bwi_snap_set set;
};

BW_API const char *bw_snapshot_section_name(bw_snapshot_section section)
{
    switch (section) {
    case BW_SNAPSHOT_PDQ:
        return "pdq";
    case BW_SNAPSHOT_MD5:
        return "md5";
    case BW_SNAPSHOT_SHA256:
        return "sha256";
    case BW_SNAPSHOT_PSM_TOKEN:
        return "psm";
    }
    return "unknown";
}

BW_API size_t bw_snapshot_entry_bytes(bw_snapshot_section section)
{
    return bwi_snap_entry_size((unsigned)section);
}

BW_API bw_status bw_snapshot_key_generate(
    uint8_t public_key_out[BW_SNAPSHOT_PUBLIC_KEY_BYTES],
    uint8_t seed_out[BW_SNAPSHOT_SEED_BYTES])
{
    if (!public_key_out || !seed_out)
        return BW_ERR_INVALID_ARGUMENT;
    if (sodium_init() < 0)
        return BW_ERR_INTERNAL;
    randombytes_buf(seed_out, BW_SNAPSHOT_SEED_BYTES);
    return bw_snapshot_public_key(public_key_out, seed_out);
}

BW_API bw_status bw_snapshot_public_key(
    uint8_t public_key_out[BW_SNAPSHOT_PUBLIC_KEY_BYTES],
    const uint8_t seed[BW_SNAPSHOT_SEED_BYTES])
{
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    if (!public_key_out || !seed)
        return BW_ERR_INVALID_ARGUMENT;
    if (sodium_init() < 0)
        return BW_ERR_INTERNAL;
    crypto_sign_seed_keypair(public_key_out, sk, seed);
    sodium_memzero(sk, sizeof sk);
    return BW_OK;
}

BW_API bw_status bw_snapshot_create(bw_snapshot **snapshot_out)
{
    if (!snapshot_out)
        return BW_ERR_INVALID_ARGUMENT;
    *snapshot_out = calloc(1, sizeof **snapshot_out);
    if (!*snapshot_out)
        return BW_ERR_NOMEM;
    (*snapshot_out)->set.version = 1;
    (*snapshot_out)->set.sorted = true;
    return BW_OK;
}

BW_API void bw_snapshot_free(bw_snapshot *snapshot)
{
    if (!snapshot)
        return;
    bwi_snap_set_clear(&snapshot->set);
    free(snapshot);
}

BW_API bw_status bw_snapshot_add(bw_ctx *ctx, bw_snapshot *snapshot,
                                 bw_snapshot_section section, const uint8_t *entry,
                                 size_t size)
{
    if (!snapshot || !entry)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    const size_t want = bwi_snap_entry_size((unsigned)section);
    if (!want || size != want)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "snapshot: a %s entry is %zu bytes, not %zu",
                        bw_snapshot_section_name(section), want, size);
    bw_status st = bwi_snap_set_add(&snapshot->set, (unsigned)section, entry);
    return st == BW_OK ? st : bwi_fail(ctx, st, "snapshot: out of memory");
}

BW_API bw_status bw_snapshot_set_version(bw_snapshot *snapshot, uint64_t version)
{
    if (!snapshot || version == 0)
        return BW_ERR_INVALID_ARGUMENT;
    snapshot->set.version = version;
    return BW_OK;
}

BW_API void bw_snapshot_set_created_at(bw_snapshot *snapshot, int64_t unix_seconds)
{
    if (snapshot)
        snapshot->set.created_at = unix_seconds;
}

BW_API void bw_snapshot_set_psm_key_id(bw_snapshot *snapshot,
                                       const uint8_t key_id[BW_SNAPSHOT_KEY_ID_BYTES])
{
    if (snapshot && key_id)
        memcpy(snapshot->set.psm_key_id, key_id, BW_SNAPSHOT_KEY_ID_BYTES);
}

BW_API uint64_t bw_snapshot_version(const bw_snapshot *snapshot)
{
    return snapshot ? snapshot->set.version : 0;
}

BW_API int64_t bw_snapshot_created_at(const bw_snapshot *snapshot)
{
    return snapshot ? snapshot->set.created_at : 0;
}

BW_API void bw_snapshot_psm_key_id(const bw_snapshot *snapshot,
                                   uint8_t key_id_out[BW_SNAPSHOT_KEY_ID_BYTES])
{
    if (snapshot && key_id_out)
        memcpy(key_id_out, snapshot->set.psm_key_id, BW_SNAPSHOT_KEY_ID_BYTES);
}

static void sorted(bw_snapshot *snapshot)
{
    if (!snapshot->set.sorted)
        bwi_snap_set_sort(&snapshot->set);
}

BW_API size_t bw_snapshot_count(bw_snapshot *snapshot, bw_snapshot_section section)
{
    if (!snapshot || !bwi_snap_entry_size((unsigned)section))
        return 0;
    sorted(snapshot);
    return snapshot->set.counts[section];
}

BW_API void bw_snapshot_digest(bw_snapshot *snapshot,
                               uint8_t digest_out[BW_SNAPSHOT_DIGEST_BYTES])
{
    if (!snapshot || !digest_out)
        return;
    sorted(snapshot);
    bwi_snap_set_digest(&snapshot->set, digest_out);
}

static bool has_key_id(const bwi_snap_set *set)
{
    return !sodium_is_zero(set->psm_key_id, BWI_SNAP_KEY_ID_BYTES);
}

BW_API bw_status bw_snapshot_write(bw_ctx *ctx, bw_snapshot *snapshot,
                                   const uint8_t seed[BW_SNAPSHOT_SEED_BYTES],
                                   bw_write_fn write, void *write_arg)
{
    if (!snapshot || !seed || !write)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    sorted(snapshot);
    if (snapshot->set.counts[BWI_SNAP_PSM] && !has_key_id(&snapshot->set))
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "snapshot: PSM tokens need the key id of their key");
    return bwi_snap_write_full(ctx, &snapshot->set, seed, write, write_arg);
}

BW_API bw_status bw_snapshot_write_delta(bw_ctx *ctx, bw_snapshot *old_snapshot,
                                         bw_snapshot *new_snapshot,
                                         const uint8_t seed[BW_SNAPSHOT_SEED_BYTES],
                                         int64_t created_at, bw_write_fn write,
                                         void *write_arg)
{
    if (!old_snapshot || !new_snapshot || !seed || !write)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    sorted(old_snapshot);
    sorted(new_snapshot);
    if (new_snapshot->set.counts[BWI_SNAP_PSM] && !has_key_id(&new_snapshot->set))
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "snapshot: PSM tokens need the key id of their key");
    return bwi_snap_write_delta(ctx, &old_snapshot->set, &new_snapshot->set, seed,
                                created_at, write, write_arg);
}

/* Verifies and parses a file of the expected kind. */
static bw_status read_file(bw_ctx *ctx, bwi_snap_file *file, const void *data,
                           size_t size, const uint8_t *public_key, unsigned kind)
{
    bw_status st = bwi_snap_parse(ctx, file, data, size);
    if (st == BW_OK)
        st = bwi_snap_verify(ctx, data, size, public_key);
    if (st == BW_OK && file->kind != kind)
        st = bwi_fail(ctx, BW_ERR_UNSUPPORTED,
                      kind == BWI_SNAP_FULL ? "snapshot: a delta, not a full snapshot"
                                            : "snapshot: a full snapshot, not a delta");
    return st;
}

BW_API bw_status bw_snapshot_open(bw_ctx *ctx, bw_snapshot **snapshot_out,
                                  const void *data, size_t size,
                                  const uint8_t public_key[BW_SNAPSHOT_PUBLIC_KEY_BYTES])
{
    if (!ctx || !snapshot_out || !data || !public_key)
        return BW_ERR_INVALID_ARGUMENT;
    *snapshot_out = NULL;
    bwi_clear(ctx);
    bwi_snap_file file;
    bw_status st = read_file(ctx, &file, data, size, public_key, BWI_SNAP_FULL);
    if (st != BW_OK)
        return st;
    bw_snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return bwi_fail(ctx, BW_ERR_NOMEM, "snapshot: out of memory");
    if ((st = bwi_snap_set_from_full(ctx, &s->set, &file)) != BW_OK) {
        free(s);
        return st;
    }
    *snapshot_out = s;
    return BW_OK;
}

BW_API bw_status bw_snapshot_apply(bw_ctx *ctx, bw_snapshot *snapshot,
                                   const void *data, size_t size,
                                   const uint8_t public_key[BW_SNAPSHOT_PUBLIC_KEY_BYTES])
{
    if (!ctx || !snapshot || !data || !public_key)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    sorted(snapshot);
    bwi_snap_file file;
    bw_status st = read_file(ctx, &file, data, size, public_key, BWI_SNAP_DELTA);
    if (st != BW_OK)
        return st;
    bwi_snap_set next;
    if ((st = bwi_snap_set_apply(ctx, &next, &snapshot->set, &file)) != BW_OK)
        return st;
    bwi_snap_set_clear(&snapshot->set);
    snapshot->set = next;
    return BW_OK;
}

BW_API bw_status bw_snapshot_peek(bw_ctx *ctx, int *is_delta_out,
                                  uint64_t *version_out, uint64_t *base_version_out,
                                  const void *data, size_t size)
{
    if (!ctx || !data)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bwi_snap_file file;
    bw_status st = bwi_snap_parse(ctx, &file, data, size);
    if (st != BW_OK)
        return st;
    if (is_delta_out)
        *is_delta_out = file.kind == BWI_SNAP_DELTA;
    if (version_out)
        *version_out = file.version;
    if (base_version_out)
        *base_version_out = file.base_version;
    return BW_OK;
}

/*
 * Reading snapshot files: the signature check and a strict parser. A file
 * arrives from the network, so every field is validated before it is used
 * and the parser only records pointers into the bytes it was given.
 */
#include <string.h>

#include <sodium.h>

#include "snapshot_format.h"

size_t bwi_snap_entry_size(unsigned type)
{
    switch (type) {
    case BWI_SNAP_PDQ:
    case BWI_SNAP_SHA256:
        return 32;
    case BWI_SNAP_MD5:
    case BWI_SNAP_PSM:
        return 16;
    }
    return 0;
}

bw_status bwi_snap_verify(bw_ctx *ctx, const uint8_t *data, size_t size,
                          const uint8_t public_key[BWI_SNAP_PUBLIC_KEY_BYTES])
{
    if (size < BWI_SNAP_HEADER_BYTES + BWI_SNAP_SIGNATURE_BYTES)
        return bwi_fail(ctx, BW_ERR_TRUNCATED,
                        "snapshot: %zu bytes is too short to be signed", size);
    if (sodium_init() < 0)
        return bwi_fail(ctx, BW_ERR_INTERNAL, "libsodium cannot initialise");
    const size_t body = size - BWI_SNAP_SIGNATURE_BYTES;
    if (crypto_sign_verify_detached(data + body, data, body, public_key) != 0)
        return bwi_fail(ctx, BW_ERR_VERIFY,
                        "snapshot: the signature does not verify with the "
                        "configured public key (tampered, or another key)");
    return BW_OK;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static bw_status parse_header(bw_ctx *ctx, bwi_snap_file *out, const uint8_t *h)
{
    const unsigned format = (unsigned)bwi_le_get(h + 8, 2);
    if (format != BWI_SNAP_FORMAT)
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED,
                        "snapshot: format version %u (this build reads %d)", format,
                        BWI_SNAP_FORMAT);
    out->kind = (unsigned)bwi_le_get(h + 10, 2);
    if (out->kind != BWI_SNAP_FULL && out->kind != BWI_SNAP_DELTA)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "snapshot: unknown kind %u", out->kind);
    if (bwi_le_get(h + 12, 4) != BWI_SNAP_HEADER_BYTES)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "snapshot: header size %u, not %d",
                        (unsigned)bwi_le_get(h + 12, 4), BWI_SNAP_HEADER_BYTES);
    out->version = bwi_le_get(h + 16, 8);
    out->base_version = bwi_le_get(h + 24, 8);
    out->created_at = (int64_t)bwi_le_get(h + 32, 8);
    memcpy(out->digest, h + 40, BWI_SNAP_DIGEST_BYTES);
    memcpy(out->base_digest, h + 72, BWI_SNAP_DIGEST_BYTES);
    memcpy(out->psm_key_id, h + 104, BWI_SNAP_KEY_ID_BYTES);
    if (bwi_le_get(h + 116, 4) != 0 || bwi_le_get(h + 120, 8) != 0)
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED,
                        "snapshot: flags or reserved fields set by a newer writer");
    if (out->version == 0)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "snapshot: version 0");
    if (out->kind == BWI_SNAP_FULL &&
        (out->base_version != 0 || !all_zero(out->base_digest, BWI_SNAP_DIGEST_BYTES)))
        return bwi_fail(ctx, BW_ERR_CORRUPT, "snapshot: a full snapshot with a base");
    if (out->kind == BWI_SNAP_DELTA && out->base_version >= out->version)
        return bwi_fail(ctx, BW_ERR_CORRUPT,
                        "snapshot: delta from version %llu to older version %llu",
                        (unsigned long long)out->base_version,
                        (unsigned long long)out->version);
    return BW_OK;
}

/* Checks one section's entries are strictly ascending. */
static bool ascending(const uint8_t *p, size_t count, size_t entry)
{
    for (size_t i = 1; i < count; i++)
        if (memcmp(p + (i - 1) * entry, p + i * entry, entry) >= 0)
            return false;
    return true;
}

bw_status bwi_snap_parse(bw_ctx *ctx, bwi_snap_file *out, const uint8_t *data,
                         size_t size)
{
    memset(out, 0, sizeof *out);
    if (size < 8 || memcmp(data, BWI_SNAP_MAGIC, 8) != 0)
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED, "not a Bulwark snapshot");
    if (size > ctx->limit_input_bytes)
        return bwi_fail(ctx, BW_ERR_TOO_LARGE,
                        "snapshot: %zu bytes, over the limit of %llu", size,
                        (unsigned long long)ctx->limit_input_bytes);
    if (size < BWI_SNAP_HEADER_BYTES + BWI_SNAP_SIGNATURE_BYTES)
        return bwi_fail(ctx, BW_ERR_TRUNCATED,
                        "snapshot: %zu bytes, shorter than a header and signature",
                        size);
    bw_status st = parse_header(ctx, out, data);
    if (st != BW_OK)
        return st;

    const size_t body = size - BWI_SNAP_SIGNATURE_BYTES;
    const uint64_t sections = bwi_le_get(data + 112, 4);
    if (sections > 2 * BWI_SNAP_TYPES)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "snapshot: %llu sections",
                        (unsigned long long)sections);
    size_t at = BWI_SNAP_HEADER_BYTES + (size_t)sections * BWI_SNAP_SECTION_BYTES;
    if (at > body)
        return bwi_fail(ctx, BW_ERR_TRUNCATED, "snapshot: section table cut short");
    unsigned last_key = 0;
    bool has_psm = false;
    for (size_t i = 0; i < sections; i++) {
        const uint8_t *s = data + BWI_SNAP_HEADER_BYTES + i * BWI_SNAP_SECTION_BYTES;
        const unsigned type = (unsigned)bwi_le_get(s, 2);
        const unsigned op = (unsigned)bwi_le_get(s + 2, 2);
        const uint64_t entry = bwi_le_get(s + 4, 4), count = bwi_le_get(s + 8, 8);
        const size_t want = bwi_snap_entry_size(type);
        if (!want)
            return bwi_fail(ctx, BW_ERR_UNSUPPORTED,
                            "snapshot: unknown section type %u", type);
        if (op != BWI_SNAP_ADD && (op != BWI_SNAP_REMOVE || out->kind != BWI_SNAP_DELTA))
            return bwi_fail(ctx, BW_ERR_CORRUPT,
                            "snapshot: section %zu has operation %u", i, op);
        if (entry != want)
            return bwi_fail(ctx, BW_ERR_CORRUPT,
                            "snapshot: section %zu has %llu-byte entries, not %zu", i,
                            (unsigned long long)entry, want);
        const unsigned key = type * 4 + op;
        if (key <= last_key)
            return bwi_fail(ctx, BW_ERR_CORRUPT,
                            "snapshot: sections out of order or repeated");
        last_key = key;
        if (count == 0)
            return bwi_fail(ctx, BW_ERR_CORRUPT, "snapshot: empty section %zu", i);
        if (count > (body - at) / want)
            return bwi_fail(ctx, BW_ERR_TRUNCATED,
                            "snapshot: section %zu claims %llu entries, more than "
                            "the file holds",
                            i, (unsigned long long)count);
        const uint8_t *p = data + at;
        if (!ascending(p, (size_t)count, want))
            return bwi_fail(ctx, BW_ERR_CORRUPT,
                            "snapshot: section %zu is not sorted or repeats an entry",
                            i);
        out->entries[type][op - 1] = p;
        out->counts[type][op - 1] = (size_t)count;
        at += (size_t)count * want;
        has_psm |= type == BWI_SNAP_PSM;
    }
    if (at != body)
        return bwi_fail(ctx, BW_ERR_CORRUPT,
                        "snapshot: %zu bytes after the last section", body - at);
    if (has_psm && all_zero(out->psm_key_id, BWI_SNAP_KEY_ID_BYTES))
        return bwi_fail(ctx, BW_ERR_CORRUPT, "snapshot: PSM tokens without a key id");
    return BW_OK;
}

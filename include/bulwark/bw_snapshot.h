/*
 * Bulwark — bank snapshots for devices: the hashes a platform chooses to
 * ship to phones (PDQ, MD5, SHA-256, and PSM tokens in place of raw
 * SHA-256s), in a compact versioned binary file signed with Ed25519, with
 * deltas between versions. Devices read them with the SDK (bw_device.h);
 * this side builds, diffs and verifies them. Format: docs/device.md.
 *
 * THREAD SAFETY: a bw_snapshot must not be changed by two threads at once;
 * const functions may run concurrently. The key functions are thread-safe.
 */
#ifndef BULWARK_BW_SNAPSHOT_H
#define BULWARK_BW_SNAPSHOT_H

#include "bw_common.h"
#include "bw_store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BW_SNAPSHOT_SEED_BYTES 32       /* the secret signing key */
#define BW_SNAPSHOT_PUBLIC_KEY_BYTES 32
#define BW_SNAPSHOT_DIGEST_BYTES 32
#define BW_SNAPSHOT_KEY_ID_BYTES 8

/* What a snapshot holds. Values never change. */
typedef enum bw_snapshot_section {
    BW_SNAPSHOT_PDQ = 1,       /* 32-byte PDQ hashes, matched by distance */
    BW_SNAPSHOT_MD5 = 2,       /* 16-byte MD5s of files */
    BW_SNAPSHOT_SHA256 = 3,    /* 32-byte SHA-256s of files */
    BW_SNAPSHOT_PSM_TOKEN = 4  /* 16-byte bw_psm_token()s of file SHA-256s */
} bw_snapshot_section;

/* "pdq", "md5", "sha256", "psm"; "unknown" otherwise. */
BW_API const char *bw_snapshot_section_name(bw_snapshot_section section);

/* Bytes of one entry of a section, or 0 for an unknown one. */
BW_API size_t bw_snapshot_entry_bytes(bw_snapshot_section section);

/* A new random signing key (keep seed_out secret) and its public key. */
BW_API bw_status bw_snapshot_key_generate(
    uint8_t public_key_out[BW_SNAPSHOT_PUBLIC_KEY_BYTES],
    uint8_t seed_out[BW_SNAPSHOT_SEED_BYTES]);

/* The public key of a signing key. */
BW_API bw_status bw_snapshot_public_key(
    uint8_t public_key_out[BW_SNAPSHOT_PUBLIC_KEY_BYTES],
    const uint8_t seed[BW_SNAPSHOT_SEED_BYTES]);

/* The contents of one snapshot version: built entry by entry, or read from
 * a verified file. */
typedef struct bw_snapshot bw_snapshot;

/* An empty snapshot of version 1. BW_ERR_NOMEM. */
BW_API bw_status bw_snapshot_create(bw_snapshot **snapshot_out);

/* Accepts NULL. */
BW_API void bw_snapshot_free(bw_snapshot *snapshot);

/* Adds one entry of bw_snapshot_entry_bytes(section) bytes (else
 * BW_ERR_INVALID_ARGUMENT); repeats are dropped when written. */
BW_API bw_status bw_snapshot_add(bw_ctx *ctx, bw_snapshot *snapshot,
                                 bw_snapshot_section section,
                                 const uint8_t *entry, size_t size);

/* Version (> 0; newer snapshots must have larger ones), creation time and
 * the PSM key id of the tokens (bw_psm_key_id). */
BW_API bw_status bw_snapshot_set_version(bw_snapshot *snapshot, uint64_t version);
BW_API void bw_snapshot_set_created_at(bw_snapshot *snapshot, int64_t unix_seconds);
BW_API void bw_snapshot_set_psm_key_id(bw_snapshot *snapshot,
                                       const uint8_t key_id[BW_SNAPSHOT_KEY_ID_BYTES]);

BW_API uint64_t bw_snapshot_version(const bw_snapshot *snapshot);
BW_API int64_t bw_snapshot_created_at(const bw_snapshot *snapshot);
BW_API void bw_snapshot_psm_key_id(const bw_snapshot *snapshot,
                                   uint8_t key_id_out[BW_SNAPSHOT_KEY_ID_BYTES]);

/* Distinct entries of a section (sorting the snapshot if needed). */
BW_API size_t bw_snapshot_count(bw_snapshot *snapshot, bw_snapshot_section section);

/* The content digest that files of this snapshot sign. */
BW_API void bw_snapshot_digest(bw_snapshot *snapshot,
                               uint8_t digest_out[BW_SNAPSHOT_DIGEST_BYTES]);

/* Writes the snapshot as a signed full snapshot file. A PSM section needs
 * a key id (BW_ERR_INVALID_ARGUMENT). */
BW_API bw_status bw_snapshot_write(bw_ctx *ctx, bw_snapshot *snapshot,
                                   const uint8_t seed[BW_SNAPSHOT_SEED_BYTES],
                                   bw_write_fn write, void *write_arg);

/*
 * Writes the signed delta that turns old_snapshot into new_snapshot; the new
 * version must be larger. created_at stamps the delta.
 */
BW_API bw_status bw_snapshot_write_delta(bw_ctx *ctx, bw_snapshot *old_snapshot,
                                         bw_snapshot *new_snapshot,
                                         const uint8_t seed[BW_SNAPSHOT_SEED_BYTES],
                                         int64_t created_at, bw_write_fn write,
                                         void *write_arg);

/*
 * Reads a full snapshot file after checking its signature with public_key.
 * BW_ERR_VERIFY (signature or contents digest), BW_ERR_CORRUPT,
 * BW_ERR_TRUNCATED, BW_ERR_UNSUPPORTED (a delta, or an unknown format) or
 * BW_ERR_TOO_LARGE, with the reason on the context.
 */
BW_API bw_status bw_snapshot_open(bw_ctx *ctx, bw_snapshot **snapshot_out,
                                  const void *data, size_t size,
                                  const uint8_t public_key[BW_SNAPSHOT_PUBLIC_KEY_BYTES]);

/*
 * Applies a signed delta file to snapshot, as a device would: the delta
 * must start from exactly this version and contents. On any failure the
 * snapshot is unchanged.
 */
BW_API bw_status bw_snapshot_apply(bw_ctx *ctx, bw_snapshot *snapshot,
                                   const void *data, size_t size,
                                   const uint8_t public_key[BW_SNAPSHOT_PUBLIC_KEY_BYTES]);

/* Whether a file is a delta (1) or a full snapshot (0), from its header
 * only; BW_ERR_UNSUPPORTED or BW_ERR_TRUNCATED when it is neither. Any
 * output may be NULL. Nothing is verified. */
BW_API bw_status bw_snapshot_peek(bw_ctx *ctx, int *is_delta_out,
                                  uint64_t *version_out, uint64_t *base_version_out,
                                  const void *data, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_SNAPSHOT_H */

/*
 * The bank snapshot format (docs/device.md): what a platform ships to
 * devices, signed with Ed25519. Little-endian throughout.
 *
 *   header (128 bytes)
 *     0  magic "BWSNAP\r\n"
 *     8  u16 format version (1)        10 u16 kind (1 full, 2 delta)
 *    12  u32 header size (128)         16 u64 version
 *    24  u64 base version (delta)      32 i64 created at (Unix seconds)
 *    40  content digest[32] of the snapshot this file results in
 *    72  base digest[32] (delta: the one it applies to; full: zero)
 *   104  PSM key id[8] (zero when there are no tokens)
 *   112  u32 section count             116 u32 flags (0)
 *   120  u64 reserved (0)
 *   section table: per section u16 type, u16 op (1 add, 2 remove),
 *     u32 entry size, u64 entry count
 *   section data in table order, each section's entries strictly ascending
 *   Ed25519 signature[64] of every byte before it
 *
 * Sections are ordered by (type, op), never empty and never repeated, so
 * one set of contents has exactly one encoding. Shared by libbulwark (which
 * writes and verifies) and the device SDK (which verifies and applies).
 */
#ifndef BULWARK_LIB_SNAPSHOT_FORMAT_H
#define BULWARK_LIB_SNAPSHOT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bw_internal.h"

#define BWI_SNAP_MAGIC "BWSNAP\r\n"
#define BWI_SNAP_FORMAT 1
#define BWI_SNAP_HEADER_BYTES 128
#define BWI_SNAP_SECTION_BYTES 16
#define BWI_SNAP_SIGNATURE_BYTES 64
#define BWI_SNAP_PUBLIC_KEY_BYTES 32
#define BWI_SNAP_SEED_BYTES 32
#define BWI_SNAP_DIGEST_BYTES 32
#define BWI_SNAP_KEY_ID_BYTES 8

enum { BWI_SNAP_FULL = 1, BWI_SNAP_DELTA = 2 };
enum { BWI_SNAP_ADD = 1, BWI_SNAP_REMOVE = 2 };

/* Section types: the values of bw_snapshot_section. */
#define BWI_SNAP_TYPES 4
enum { BWI_SNAP_PDQ = 1, BWI_SNAP_MD5 = 2, BWI_SNAP_SHA256 = 3, BWI_SNAP_PSM = 4 };

/* Bytes of one entry of a type, or 0 for an unknown type. */
size_t bwi_snap_entry_size(unsigned type);

/* A parsed file: pointers into the caller's bytes, nothing allocated. */
typedef struct bwi_snap_file {
    unsigned kind;
    uint64_t version;
    uint64_t base_version;
    int64_t created_at;
    uint8_t digest[BWI_SNAP_DIGEST_BYTES];
    uint8_t base_digest[BWI_SNAP_DIGEST_BYTES];
    uint8_t psm_key_id[BWI_SNAP_KEY_ID_BYTES];
    /* [type][op - 1]: entries and their count (NULL, 0 when absent). */
    const uint8_t *entries[BWI_SNAP_TYPES + 1][2];
    size_t counts[BWI_SNAP_TYPES + 1][2];
} bwi_snap_file;

/*
 * Checks the signature of data (the whole file) with public_key:
 * BW_ERR_VERIFY on a mismatch, BW_ERR_TRUNCATED when too short for one.
 */
bw_status bwi_snap_verify(bw_ctx *ctx, const uint8_t *data, size_t size,
                          const uint8_t public_key[BWI_SNAP_PUBLIC_KEY_BYTES]);

/*
 * Parses a whole file (signature included but not checked) strictly: every
 * field, size, order and count is validated against the format above and
 * the context's byte limit. Never reads outside data.
 */
bw_status bwi_snap_parse(bw_ctx *ctx, bwi_snap_file *out, const uint8_t *data,
                         size_t size);

/* The contents of one snapshot, sorted and owned. */
typedef struct bwi_snap_set {
    uint64_t version;
    int64_t created_at;
    uint8_t psm_key_id[BWI_SNAP_KEY_ID_BYTES];
    uint8_t *entries[BWI_SNAP_TYPES + 1];
    size_t counts[BWI_SNAP_TYPES + 1];
    size_t caps[BWI_SNAP_TYPES + 1];
    bool sorted; /* entries ascending with no repeats */
} bwi_snap_set;

void bwi_snap_set_clear(bwi_snap_set *set);

/* Appends an entry (unsorted until bwi_snap_set_sort). BW_ERR_NOMEM. */
bw_status bwi_snap_set_add(bwi_snap_set *set, unsigned type, const uint8_t *entry);

/* Sorts every type and drops repeats. */
void bwi_snap_set_sort(bwi_snap_set *set);

/* The content digest of a sorted set: SHA-256 of version, key id and every
 * type's count and entries. */
void bwi_snap_set_digest(const bwi_snap_set *set,
                         uint8_t digest_out[BWI_SNAP_DIGEST_BYTES]);

/* A new set holding a verified full snapshot's contents; BW_ERR_VERIFY if
 * they do not hash to its digest. */
bw_status bwi_snap_set_from_full(bw_ctx *ctx, bwi_snap_set *out,
                                 const bwi_snap_file *file);

/*
 * A new set: base with a verified delta applied. BW_ERR_VERIFY when the
 * delta is for another base, removes what base lacks, adds what it has, or
 * the result does not hash to the delta's digest. base is unchanged.
 */
bw_status bwi_snap_set_apply(bw_ctx *ctx, bwi_snap_set *out,
                             const bwi_snap_set *base, const bwi_snap_file *delta);

/* Whether a sorted set holds entry (binary search). */
bool bwi_snap_set_contains(const bwi_snap_set *set, unsigned type,
                           const uint8_t *entry);

/* Writes a sorted set as a signed full snapshot, or the signed delta from
 * old to new. */
bw_status bwi_snap_write_full(bw_ctx *ctx, const bwi_snap_set *set,
                              const uint8_t seed[BWI_SNAP_SEED_BYTES],
                              int (*write)(void *, const void *, size_t), void *arg);
bw_status bwi_snap_write_delta(bw_ctx *ctx, const bwi_snap_set *old_set,
                               const bwi_snap_set *new_set,
                               const uint8_t seed[BWI_SNAP_SEED_BYTES],
                               int64_t created_at,
                               int (*write)(void *, const void *, size_t),
                               void *arg);

/* Little-endian field access. */
static inline uint64_t bwi_le_get(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline void bwi_le_put(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#endif

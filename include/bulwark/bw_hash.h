/*
 * Bulwark — every hash of one media file in one call: PDQ (plain and
 * dihedral) and the exact digests. This is the fast path: an image larger
 * than 512 pixels is never held in memory at full size.
 *
 * THREAD SAFETY: uses the context's scratch memory; one context per thread.
 * A bw_hashes result must not be written by two threads at once.
 */
#ifndef BULWARK_BW_HASH_H
#define BULWARK_BW_HASH_H

#include "bw_common.h"
#include "bw_digest.h"
#include "bw_image.h"
#include "bw_pdq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to compute; combine with |. */
typedef enum bw_hash_flag {
    BW_HASH_PDQ = 1u << 0,
    BW_HASH_PDQ_DIHEDRAL = 1u << 1, /* the 8 variants; implies BW_HASH_PDQ */
    BW_HASH_MD5 = 1u << 2,
    BW_HASH_SHA1 = 1u << 3,
    BW_HASH_SHA256 = 1u << 4,
    /*
     * Decode JPEGs at a reduced scale in the DCT domain. Much less work for
     * large photos; the PDQ hash is then close to, not identical with, the
     * reference's (see docs/performance.md for the measured distances).
     * Progressive JPEGs of 2048 pixels a side or more are decoded at 1/8
     * scale from their DC scans, without entropy decoding luma's AC scans,
     * so damage confined to those scans goes unnoticed in this mode.
     */
    BW_HASH_FAST = 1u << 16
} bw_hash_flag;

/* The results of one bw_hash_*() call; reusable across calls. */
typedef struct bw_hashes bw_hashes;

BW_API bw_status bw_hashes_create(bw_hashes **out);
/* Accepts NULL. */
BW_API void bw_hashes_free(bw_hashes *hashes);

/*
 * Computes what flags ask for. Digests are computed first, so when the
 * image cannot be decoded the call fails but the digests already computed
 * stay readable (see bw_hashes_flags()).
 */
BW_API bw_status bw_hash_bytes(bw_ctx *ctx, bw_hashes *out, unsigned flags,
                               const void *data, size_t size);

/* Like bw_hash_bytes() for a file, checked against the byte limit first. */
BW_API bw_status bw_hash_file(bw_ctx *ctx, bw_hashes *out, unsigned flags,
                              const char *path);

/* The bw_hash_flag bits whose results are present in hashes. */
BW_API unsigned bw_hashes_flags(const bw_hashes *hashes);

/* The PDQ hash and quality; BW_ERR_NOT_FOUND when not computed. */
BW_API bw_status bw_hashes_pdq(const bw_hashes *hashes,
                               uint8_t hash_out[BW_PDQ_BYTES],
                               int *quality_out);

/* One dihedral variant; BW_ERR_NOT_FOUND when not computed. */
BW_API bw_status bw_hashes_pdq_dihedral(const bw_hashes *hashes,
                                        bw_dihedral which,
                                        uint8_t hash_out[BW_PDQ_BYTES]);

/* A digest; BW_ERR_NOT_FOUND when not computed. */
BW_API bw_status bw_hashes_digest(const bw_hashes *hashes, bw_digest_alg alg,
                                  uint8_t *out, size_t out_size);

/*
 * Records a digest computed elsewhere (say, while streaming a video to
 * disk) so that bw_matcher_match_hashes() matches it; nothing else in
 * hashes changes, so start from a new object for a new file.
 * BW_ERR_INVALID_ARGUMENT unless size is the algorithm's digest size.
 */
BW_API bw_status bw_hashes_set_digest(bw_hashes *hashes, bw_digest_alg alg,
                                      const uint8_t *digest, size_t size);

/* Format and dimensions of the decoded image (0 when not decoded). */
BW_API bw_format bw_hashes_format(const bw_hashes *hashes);
BW_API uint32_t bw_hashes_width(const bw_hashes *hashes);
BW_API uint32_t bw_hashes_height(const bw_hashes *hashes);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_HASH_H */

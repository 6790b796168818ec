/*
 * Bulwark — exact (cryptographic) digests of bytes: MD5, SHA-1 and SHA-256,
 * the forms NCMEC, IWF and StopNCII lists carry for exact copies.
 *
 * THREAD SAFETY: all functions are thread-safe; a bw_digester must not be
 * shared between threads.
 */
#ifndef BULWARK_BW_DIGEST_H
#define BULWARK_BW_DIGEST_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bw_digest_alg {
    BW_DIGEST_MD5 = 1,
    BW_DIGEST_SHA1 = 2,
    BW_DIGEST_SHA256 = 3
} bw_digest_alg;

#define BW_DIGEST_MAX_BYTES 32

/* Digest size in bytes (16, 20, 32), or 0 for an unknown algorithm. */
BW_API size_t bw_digest_size(bw_digest_alg alg);

/* "md5", "sha1", "sha256"; never NULL ("unknown"). */
BW_API const char *bw_digest_name(bw_digest_alg alg);

/*
 * One-shot digest of size bytes. out_size must be at least
 * bw_digest_size(alg), else BW_ERR_INVALID_ARGUMENT.
 */
BW_API bw_status bw_digest(bw_digest_alg alg, uint8_t *out, size_t out_size,
                           const void *data, size_t size);

/* Streaming digest, for inputs read in pieces. */
typedef struct bw_digester bw_digester;

BW_API bw_status bw_digester_create(bw_digester **out, bw_digest_alg alg);
BW_API bw_status bw_digester_update(bw_digester *d, const void *data,
                                    size_t size);
/* Writes the digest; the digester may then be freed or reused via update. */
BW_API bw_status bw_digester_final(bw_digester *d, uint8_t *out,
                                   size_t out_size);
/* Accepts NULL. */
BW_API void bw_digester_free(bw_digester *d);

/* Writes 2*size lower-case hex digits and a NUL into out. */
BW_API void bw_hex_encode(char *out, const uint8_t *in, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_DIGEST_H */

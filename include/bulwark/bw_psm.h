/*
 * Bulwark — private set membership for exact file hashes, server side
 * (docs/privacy.md). An oblivious PRF on Ristretto255: a device blinds the
 * SHA-256 of its file (bw_device_psm_blind in the SDK), the service
 * evaluates the blinded element with its secret key without learning
 * anything about the file, and the device unblinds the answer into a token
 * it looks up in the list of tokens of banked files (a snapshot's PSM
 * section, made with bw_psm_token). Without the key, nobody can compute a
 * token, so the list cannot be tested against guesses offline.
 *
 * THREAD SAFETY: every function is thread-safe.
 */
#ifndef BULWARK_BW_PSM_H
#define BULWARK_BW_PSM_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BW_PSM_KEY_BYTES 32     /* the secret OPRF key, a Ristretto255 scalar */
#define BW_PSM_ELEMENT_BYTES 32 /* blinded and evaluated group elements */
#define BW_PSM_TOKEN_BYTES 16
#define BW_PSM_KEY_ID_BYTES 8

/* A new random secret key. BW_ERR_INTERNAL if libsodium is unusable. */
BW_API bw_status bw_psm_key_generate(uint8_t key_out[BW_PSM_KEY_BYTES]);

/* A public identifier of a key (a hash of its public element), put in
 * snapshots and answers so devices know which token list goes with which
 * key. BW_ERR_PARSE when key is not a valid key. */
BW_API bw_status bw_psm_key_id(uint8_t key_id_out[BW_PSM_KEY_ID_BYTES],
                               const uint8_t key[BW_PSM_KEY_BYTES]);

/*
 * The server's step: key times a blinded element. BW_ERR_VERIFY when
 * blinded is not the canonical encoding of a non-identity element (answer
 * such requests with an error, never with a value);
 * BW_ERR_INVALID_ARGUMENT for a bad key.
 */
BW_API bw_status bw_psm_evaluate(uint8_t evaluated_out[BW_PSM_ELEMENT_BYTES],
                                 const uint8_t key[BW_PSM_KEY_BYTES],
                                 const uint8_t blinded[BW_PSM_ELEMENT_BYTES]);

/* The token of one list entry (a banked file's SHA-256), computed directly
 * with the key. */
BW_API bw_status bw_psm_token(uint8_t token_out[BW_PSM_TOKEN_BYTES],
                              const uint8_t key[BW_PSM_KEY_BYTES],
                              const void *input, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_PSM_H */

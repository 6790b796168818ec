/*
 * Private set membership for exact hashes: an oblivious PRF on Ristretto255
 * (docs/privacy.md). F_k(x) = H2(x, k * H1(x)), where H1 maps an input to a
 * group element and H2 turns the element into a short token. The client
 * sends r * H1(x) for a random r, the server multiplies by k, the client
 * multiplies by 1/r; the server never sees H1(x) and the client never sees
 * k. Shared by libbulwark (server side, list building) and the device SDK
 * (client side).
 */
#ifndef BULWARK_LIB_PSM_CORE_H
#define BULWARK_LIB_PSM_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/bw_common.h"

#define BWI_PSM_SCALAR_BYTES 32
#define BWI_PSM_ELEMENT_BYTES 32
#define BWI_PSM_TOKEN_BYTES 16
#define BWI_PSM_KEY_ID_BYTES 8

/* sodium_init(), which is idempotent and thread-safe; BW_ERR_INTERNAL if it
 * fails. */
bw_status bwi_sodium_ready(void);

/* A fresh random non-zero scalar (a server key or a blinding factor). */
bw_status bwi_psm_random_scalar(uint8_t scalar_out[BWI_PSM_SCALAR_BYTES]);

/* BW_OK when key is a canonical non-zero scalar, else BW_ERR_PARSE. */
bw_status bwi_psm_key_check(const uint8_t key[BWI_PSM_SCALAR_BYTES]);

/* The public identity of a key: a hash of k * G, safe to publish. */
bw_status bwi_psm_key_id(uint8_t id_out[BWI_PSM_KEY_ID_BYTES],
                         const uint8_t key[BWI_PSM_SCALAR_BYTES]);

/* r * H1(input) with a fresh r, returned in blind_out. */
bw_status bwi_psm_blind(uint8_t blinded_out[BWI_PSM_ELEMENT_BYTES],
                        uint8_t blind_out[BWI_PSM_SCALAR_BYTES],
                        const void *input, size_t size);

/* k * element, refusing anything that is not a valid non-identity element
 * (BW_ERR_VERIFY). */
bw_status bwi_psm_evaluate(uint8_t evaluated_out[BWI_PSM_ELEMENT_BYTES],
                           const uint8_t key[BWI_PSM_SCALAR_BYTES],
                           const uint8_t element[BWI_PSM_ELEMENT_BYTES]);

/* H2(input, (1/r) * evaluated). BW_ERR_VERIFY for an invalid element. */
bw_status bwi_psm_finalize(uint8_t token_out[BWI_PSM_TOKEN_BYTES],
                           const uint8_t blind[BWI_PSM_SCALAR_BYTES],
                           const uint8_t evaluated[BWI_PSM_ELEMENT_BYTES],
                           const void *input, size_t size);

/* F_k(input) computed directly with the key: the server's list entries. */
bw_status bwi_psm_token(uint8_t token_out[BWI_PSM_TOKEN_BYTES],
                        const uint8_t key[BWI_PSM_SCALAR_BYTES],
                        const void *input, size_t size);

#endif

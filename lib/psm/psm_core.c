/*
 * The OPRF behind private set membership, on libsodium's Ristretto255 (a
 * prime-order group, so every valid element is a multiple of every other
 * and a blinded element is uniformly random whatever the input). Domain
 * separation strings keep these hashes apart from any other use of SHA-512
 * or BLAKE2b on the same inputs.
 */
#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "psm_core.h"

static const char HASH_TO_GROUP[] = "bulwark/psm/v1/hash-to-group";
static const char FINALIZE[] = "bulwark/psm/v1/finalize";
static const char KEY_ID[] = "bulwark/psm/v1/key-id";

bw_status bwi_sodium_ready(void)
{
    return sodium_init() >= 0 ? BW_OK : BW_ERR_INTERNAL;
}

bw_status bwi_psm_random_scalar(uint8_t scalar_out[BWI_PSM_SCALAR_BYTES])
{
    if (bwi_sodium_ready() != BW_OK)
        return BW_ERR_INTERNAL;
    do
        crypto_core_ristretto255_scalar_random(scalar_out);
    while (sodium_is_zero(scalar_out, BWI_PSM_SCALAR_BYTES));
    return BW_OK;
}

bw_status bwi_psm_key_check(const uint8_t key[BWI_PSM_SCALAR_BYTES])
{
    /* Canonical means below the group order: reducing it changes nothing. */
    uint8_t wide[crypto_core_ristretto255_NONREDUCEDSCALARBYTES] = {0};
    uint8_t reduced[BWI_PSM_SCALAR_BYTES];
    memcpy(wide, key, BWI_PSM_SCALAR_BYTES);
    crypto_core_ristretto255_scalar_reduce(reduced, wide);
    if (sodium_is_zero(key, BWI_PSM_SCALAR_BYTES) ||
        sodium_memcmp(reduced, key, BWI_PSM_SCALAR_BYTES) != 0)
        return BW_ERR_PARSE;
    return BW_OK;
}

/* libsodium 1.0.18 ignores the top bit of an encoding, which RFC 9496
 * says must be zero; refuse it here so each element has one encoding. */
static bool valid_element(const uint8_t element[BWI_PSM_ELEMENT_BYTES])
{
    return (element[BWI_PSM_ELEMENT_BYTES - 1] & 0x80) == 0 &&
           crypto_core_ristretto255_is_valid_point(element);
}

static void hash_to_group(uint8_t point[BWI_PSM_ELEMENT_BYTES], const void *input,
                          size_t size)
{
    crypto_hash_sha512_state st;
    uint8_t wide[crypto_hash_sha512_BYTES];
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, (const uint8_t *)HASH_TO_GROUP,
                              sizeof HASH_TO_GROUP);
    crypto_hash_sha512_update(&st, input, size);
    crypto_hash_sha512_final(&st, wide);
    crypto_core_ristretto255_from_hash(point, wide);
}

/* The token binds the input as well as the element, as RFC 9497's
 * Finalize does, so a token cannot be reused for another input. */
static void token_of(uint8_t token_out[BWI_PSM_TOKEN_BYTES], const void *input,
                     size_t size, const uint8_t element[BWI_PSM_ELEMENT_BYTES])
{
    crypto_generichash_state st;
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)((uint64_t)size >> (8 * i));
    crypto_generichash_init(&st, NULL, 0, BWI_PSM_TOKEN_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)FINALIZE, sizeof FINALIZE);
    crypto_generichash_update(&st, len, sizeof len);
    crypto_generichash_update(&st, input, size);
    crypto_generichash_update(&st, element, BWI_PSM_ELEMENT_BYTES);
    crypto_generichash_final(&st, token_out, BWI_PSM_TOKEN_BYTES);
}

bw_status bwi_psm_key_id(uint8_t id_out[BWI_PSM_KEY_ID_BYTES],
                         const uint8_t key[BWI_PSM_SCALAR_BYTES])
{
    uint8_t pub[BWI_PSM_ELEMENT_BYTES];
    if (bwi_psm_key_check(key) != BW_OK)
        return BW_ERR_PARSE;
    if (crypto_scalarmult_ristretto255_base(pub, key) != 0)
        return BW_ERR_INTERNAL;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, BWI_PSM_KEY_ID_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)KEY_ID, sizeof KEY_ID);
    crypto_generichash_update(&st, pub, sizeof pub);
    crypto_generichash_final(&st, id_out, BWI_PSM_KEY_ID_BYTES);
    return BW_OK;
}

bw_status bwi_psm_blind(uint8_t blinded_out[BWI_PSM_ELEMENT_BYTES],
                        uint8_t blind_out[BWI_PSM_SCALAR_BYTES],
                        const void *input, size_t size)
{
    uint8_t point[BWI_PSM_ELEMENT_BYTES];
    if (!input && size)
        return BW_ERR_INVALID_ARGUMENT;
    bw_status st = bwi_psm_random_scalar(blind_out);
    if (st != BW_OK)
        return st;
    hash_to_group(point, size ? input : "", size);
    if (crypto_scalarmult_ristretto255(blinded_out, blind_out, point) != 0)
        return BW_ERR_INTERNAL; /* H1 gave the identity: probability 2^-252 */
    return BW_OK;
}

bw_status bwi_psm_evaluate(uint8_t evaluated_out[BWI_PSM_ELEMENT_BYTES],
                           const uint8_t key[BWI_PSM_SCALAR_BYTES],
                           const uint8_t element[BWI_PSM_ELEMENT_BYTES])
{
    if (bwi_psm_key_check(key) != BW_OK)
        return BW_ERR_INVALID_ARGUMENT;
    /* is_valid_point refuses non-canonical encodings and the identity, so
     * a client cannot make the server reveal anything about k beyond the
     * one multiple it asked for. */
    if (!valid_element(element) ||
        crypto_scalarmult_ristretto255(evaluated_out, key, element) != 0)
        return BW_ERR_VERIFY;
    return BW_OK;
}

bw_status bwi_psm_finalize(uint8_t token_out[BWI_PSM_TOKEN_BYTES],
                           const uint8_t blind[BWI_PSM_SCALAR_BYTES],
                           const uint8_t evaluated[BWI_PSM_ELEMENT_BYTES],
                           const void *input, size_t size)
{
    uint8_t inverse[BWI_PSM_SCALAR_BYTES], unblinded[BWI_PSM_ELEMENT_BYTES];
    if (!input && size)
        return BW_ERR_INVALID_ARGUMENT;
    if (!valid_element(evaluated))
        return BW_ERR_VERIFY;
    if (crypto_core_ristretto255_scalar_invert(inverse, blind) != 0)
        return BW_ERR_INVALID_ARGUMENT;
    if (crypto_scalarmult_ristretto255(unblinded, inverse, evaluated) != 0)
        return BW_ERR_VERIFY;
    token_of(token_out, size ? input : "", size, unblinded);
    sodium_memzero(inverse, sizeof inverse);
    return BW_OK;
}

bw_status bwi_psm_token(uint8_t token_out[BWI_PSM_TOKEN_BYTES],
                        const uint8_t key[BWI_PSM_SCALAR_BYTES],
                        const void *input, size_t size)
{
    uint8_t point[BWI_PSM_ELEMENT_BYTES], element[BWI_PSM_ELEMENT_BYTES];
    if (!input && size)
        return BW_ERR_INVALID_ARGUMENT;
    if (bwi_psm_key_check(key) != BW_OK)
        return BW_ERR_INVALID_ARGUMENT;
    hash_to_group(point, size ? input : "", size);
    if (crypto_scalarmult_ristretto255(element, key, point) != 0)
        return BW_ERR_INTERNAL;
    token_of(token_out, size ? input : "", size, element);
    return BW_OK;
}

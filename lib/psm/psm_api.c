/* The public PSM API of libbulwark: the server's half of the protocol. */
#include "bulwark/bw_psm.h"
#include "psm_core.h"

BW_API bw_status bw_psm_key_generate(uint8_t key_out[BW_PSM_KEY_BYTES])
{
    return key_out ? bwi_psm_random_scalar(key_out) : BW_ERR_INVALID_ARGUMENT;
}

BW_API bw_status bw_psm_key_id(uint8_t key_id_out[BW_PSM_KEY_ID_BYTES],
                               const uint8_t key[BW_PSM_KEY_BYTES])
{
    if (!key_id_out || !key)
        return BW_ERR_INVALID_ARGUMENT;
    if (bwi_sodium_ready() != BW_OK)
        return BW_ERR_INTERNAL;
    return bwi_psm_key_id(key_id_out, key);
}

BW_API bw_status bw_psm_evaluate(uint8_t evaluated_out[BW_PSM_ELEMENT_BYTES],
                                 const uint8_t key[BW_PSM_KEY_BYTES],
                                 const uint8_t blinded[BW_PSM_ELEMENT_BYTES])
{
    if (!evaluated_out || !key || !blinded)
        return BW_ERR_INVALID_ARGUMENT;
    if (bwi_sodium_ready() != BW_OK)
        return BW_ERR_INTERNAL;
    return bwi_psm_evaluate(evaluated_out, key, blinded);
}

BW_API bw_status bw_psm_token(uint8_t token_out[BW_PSM_TOKEN_BYTES],
                              const uint8_t key[BW_PSM_KEY_BYTES],
                              const void *input, size_t size)
{
    if (!token_out || !key || (!input && size))
        return BW_ERR_INVALID_ARGUMENT;
    if (bwi_sodium_ready() != BW_OK)
        return BW_ERR_INTERNAL;
    return bwi_psm_token(token_out, key, input, size);
}

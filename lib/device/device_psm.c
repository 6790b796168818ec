/* The client's half of private set membership (lib/psm/psm_core.c). */
#include "device_internal.h"
#include "psm/psm_core.h"

BW_API bw_status bw_device_psm_blind(
    uint8_t blinded_out[BW_DEVICE_PSM_ELEMENT_BYTES],
    uint8_t blind_out[BW_DEVICE_PSM_BLIND_BYTES], const void *input, size_t size)
{
    if (!blinded_out || !blind_out || (!input && size))
        return BW_ERR_INVALID_ARGUMENT;
    return bwi_psm_blind(blinded_out, blind_out, input, size);
}

BW_API bw_status bw_device_psm_finalize(
    uint8_t token_out[BW_DEVICE_PSM_TOKEN_BYTES],
    const uint8_t blind[BW_DEVICE_PSM_BLIND_BYTES],
    const uint8_t evaluated[BW_DEVICE_PSM_ELEMENT_BYTES], const void *input,
    size_t size)
{
    if (!token_out || !blind || !evaluated || (!input && size))
        return BW_ERR_INVALID_ARGUMENT;
    if (bwi_sodium_ready() != BW_OK)
        return BW_ERR_INTERNAL;
    return bwi_psm_finalize(token_out, blind, evaluated, input, size);
}

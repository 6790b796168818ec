/* The SDK's context, versions, status names, digests and hex. */
#include <stdlib.h>

#include <sodium.h>

#include "bulwark/bw_digest.h"
#include "device_internal.h"
#include "device/md5.h"

BW_API unsigned bw_device_version_number(void)
{
    return BW_VERSION_NUMBER;
}

BW_API const char *bw_device_version_string(void)
{
    return BW_VERSION_STRING;
}

BW_API const char *bw_device_strerror(bw_status status)
{
    return bw_strerror(status);
}

BW_API const char *bw_device_status_code(bw_status status)
{
    return bw_status_code(status);
}

BW_API int bw_device_has_decoders(void)
{
#ifdef BW_DEVICE_DECODERS
    return 1;
#else
    return 0;
#endif
}

BW_API bw_status bw_device_create(bw_device **device_out)
{
    if (!device_out)
        return BW_ERR_INVALID_ARGUMENT;
    *device_out = NULL;
    if (sodium_init() < 0)
        return BW_ERR_INTERNAL;
    bw_device *d = calloc(1, sizeof *d);
    if (!d)
        return BW_ERR_NOMEM;
    if (bw_ctx_create(&d->ctx) != BW_OK || bw_pdq_results_create(&d->results) != BW_OK) {
        bw_device_free(d);
        return BW_ERR_NOMEM;
    }
    *device_out = d;
    return BW_OK;
}

BW_API void bw_device_free(bw_device *device)
{
    if (!device)
        return;
    bw_pdq_results_free(device->results);
    bw_ctx_free(device->ctx);
    free(device);
}

BW_API const char *bw_device_message(const bw_device *device)
{
    return device ? bw_ctx_message(device->ctx) : "";
}

BW_API bw_status bw_device_set_limit(bw_device *device, bw_limit which,
                                     uint64_t value)
{
    return device ? bw_ctx_set_limit(device->ctx, which, value)
                  : BW_ERR_INVALID_ARGUMENT;
}

BW_API bw_status bw_device_digest(uint8_t sha256_out[BW_DEVICE_SHA256_BYTES],
                                  uint8_t md5_out[BW_DEVICE_MD5_BYTES],
                                  const void *data, size_t size)
{
    if (!data && size)
        return BW_ERR_INVALID_ARGUMENT;
    if (sodium_init() < 0)
        return BW_ERR_INTERNAL;
    const void *bytes = size ? data : "";
    if (sha256_out)
        crypto_hash_sha256(sha256_out, bytes, size);
    if (md5_out)
        bwi_md5(md5_out, bytes, size);
    return BW_OK;
}

BW_API void bw_device_hex(char *out, const uint8_t *bytes, size_t size)
{
    bw_hex_encode(out, bytes, size);
}

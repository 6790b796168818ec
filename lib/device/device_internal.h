/*
 * The device SDK's objects. The SDK is built from the same sources as
 * libbulwark's PDQ core, index and snapshot reader (docs/device.md), so a
 * bw_device wraps an ordinary bw_ctx.
 */
#ifndef BULWARK_LIB_DEVICE_INTERNAL_H
#define BULWARK_LIB_DEVICE_INTERNAL_H

#include "bulwark/bw_device.h"
#include "bulwark/bw_index.h"
#include "common/bw_internal.h"

struct bw_device {
    bw_ctx *ctx;
    bw_pdq_results *results; /* reused by every PDQ lookup on this thread */
};

/* Clears the message at the start of a public call. */
static inline void bwi_device_clear(bw_device *device)
{
    bwi_clear(device->ctx);
}

#endif

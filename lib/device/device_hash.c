/*
 * PDQ on the device: the grid and hash code libbulwark uses, so the hashes
 * are bit-identical, and all eight rotations and mirrors from one DCT so a
 * mirrored or rotated copy of a banked image still matches.
 */
#include <string.h>

#include "device_internal.h"
#include "hash/pdq_core.h"

static bw_status hash_grid(bw_ctx *ctx,
                           uint8_t hashes_out[BW_DEVICE_DIHEDRAL_COUNT][BW_DEVICE_PDQ_BYTES],
                           int *quality_out, const bwi_grid *grid)
{
    uint8_t plain[BW_PDQ_BYTES] = {0};
    uint8_t dihedral[BW_PDQ_DIHEDRAL_COUNT][BW_PDQ_BYTES] = {{0}};
    bw_status st = bwi_pdq_hash_grid(ctx, grid, plain, dihedral, quality_out);
    if (st != BW_OK)
        return st;
    /* The plain hash first: it differs from the dihedral path's original
     * only for 64x64 images, and it is what libbulwark and banks hold. */
    memcpy(hashes_out[0], plain, BW_PDQ_BYTES);
    for (int d = 1; d < BW_DEVICE_DIHEDRAL_COUNT; d++)
        memcpy(hashes_out[d], dihedral[d], BW_PDQ_BYTES);
    return BW_OK;
}

BW_API bw_status bw_device_pdq_pixels(
    bw_device *device,
    uint8_t hashes_out[BW_DEVICE_DIHEDRAL_COUNT][BW_DEVICE_PDQ_BYTES],
    int *quality_out, const void *pixels, size_t stride, uint32_t width,
    uint32_t height, bw_pixel_format format)
{
    if (!device || !hashes_out || !pixels)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_device_clear(device);
    bwi_grid grid;
    bw_status st = bwi_pdq_grid_from_pixels(device->ctx, &grid, pixels, stride,
                                            width, height, format, false);
    if (st != BW_OK)
        return st;
    return hash_grid(device->ctx, hashes_out, quality_out, &grid);
}

BW_API bw_status bw_device_pdq_file(
    bw_device *device,
    uint8_t hashes_out[BW_DEVICE_DIHEDRAL_COUNT][BW_DEVICE_PDQ_BYTES],
    int *quality_out, const void *data, size_t size)
{
    if (!device || !hashes_out || (!data && size))
        return BW_ERR_INVALID_ARGUMENT;
    bwi_device_clear(device);
#ifdef BW_DEVICE_DECODERS
    bw_image *image = NULL;
    bw_status st = bw_image_decode(device->ctx, &image, data, size);
    if (st != BW_OK)
        return st;
    /* As bw_pdq_hash_image: the decoder already decided grey or colour. */
    bw_pixel_format format;
    size_t stride;
    const uint8_t *pixels = bw_image_pixels(image, &format, &stride);
    bwi_grid grid;
    st = bwi_pdq_grid_from_pixels(device->ctx, &grid, pixels, stride,
                                  bw_image_width(image), bw_image_height(image),
                                  format, true);
    if (st == BW_OK)
        st = hash_grid(device->ctx, hashes_out, quality_out, &grid);
    bw_image_free(image);
    return st;
#else
    (void)quality_out;
    return bwi_fail(device->ctx, BW_ERR_UNAVAILABLE,
                    "this build of the SDK has no image decoders: decode with the "
                    "platform and use bw_device_pdq_pixels");
#endif
}

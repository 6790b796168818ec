/* Turning a picture back by a small angle (unrotate.c), for the query
 * hashes of copies that were rotated and then cropped (regions.c). */
#ifndef BULWARK_LIB_HASH_TURN_H
#define BULWARK_LIB_HASH_TURN_H

#include <stdint.h>

#include "bulwark/bw_robust.h"

/*
 * The image turned by `degrees` and cut to the largest rectangle of its own
 * shape inside the turned canvas, resampled so that its longer side is at
 * most max_side: what is left of a copy rotated by -degrees and cropped to
 * its picture, which is a centre crop of the original
 * (BW_PDQ_SET_TILTED). BW_ERR_INVALID_ARGUMENT when too little is left.
 */
bw_status bwi_image_untilt(bw_ctx *ctx, bw_image **image_out, const bw_image *image,
                           double degrees, uint32_t max_side);

#endif

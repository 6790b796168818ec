/* The picture inside a window frame (frame.c), for bw_image_find_content. */
#ifndef BULWARK_LIB_HASH_FRAME_H
#define BULWARK_LIB_HASH_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/bw_robust.h"

/* Looks for the rectangle whose four sides are colour steps along most of
 * their length; *found tells whether one was, *box_out is it. False only
 * when memory runs out. */
bool bwi_find_picture(const uint8_t *pixels, size_t stride, int channels, uint32_t w,
                      uint32_t h, bw_box *box_out, bool *found);

#endif

/* A progressive JPEG without the AC scans that a 1/8-scale decode ignores. */
#ifndef BULWARK_LIB_JPEG_DC_H
#define BULWARK_LIB_JPEG_DC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Progressive files with thousands of tiny scans are a known way to make a
 * decoder spin; libjpeg-turbo's own tools stop at the same count. */
#define BWI_JPEG_MAX_SCANS 500

typedef struct bwi_jpeg_dc {
    uint8_t *data; /* a JPEG stream: every segment but luma's AC scans; free() it */
    size_t size;
    uint32_t width, height; /* from the frame header */
    int dropped_scans;
} bwi_jpeg_dc;

/* True, with *out filled, for a well-formed progressive JPEG (markers to its
 * end) at least min_side pixels wide and high, with AC scans of fully
 * sampled components; false for anything else, which the caller decodes
 * whole. */
bool bwi_jpeg_dc_scans(const uint8_t *data, size_t size, uint32_t min_side, bwi_jpeg_dc *out);

#endif

/* Content boxes' shared pieces: the picture inside a window frame
 * (frame.c) and the one-colour test of a line of pixels (border.c). */
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

/* Whether a line of `count` pixels, `step` bytes apart, is one colour:
 * `share` percent of them within `tolerance` levels of the line's median,
 * in every channel. hist is scratch space; the median goes to median_out
 * unless it is NULL. */
bool bwi_line_is_flat(const uint8_t *first, ptrdiff_t step, uint32_t count, int channels,
                      int tolerance, int share, uint32_t hist[3][256], int median_out[3]);

/* The pieces of that test: counts of each level per channel of `count`
 * pixels added to hist; the median colour of the `count` pixels counted in
 * hist; how many pixels of a line lie within `tolerance` levels of colour
 * in every channel. */
void bwi_hist_add(uint32_t hist[3][256], const uint8_t *first, ptrdiff_t step, uint32_t count,
                  int channels);
void bwi_hist_median(uint32_t hist[3][256], uint32_t count, int channels, int median[3]);
uint32_t bwi_count_near(const uint8_t *first, ptrdiff_t step, uint32_t count, int channels,
                        const int colour[3], int tolerance);

#endif

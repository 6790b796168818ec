/*
 * Colour conversions done the way ImageMagick 6 (Q16) does them, because
 * the reference hasher sees pixels through ImageMagick: it widens 8-bit
 * samples to 16 bits, converts in doubles, rounds to 16 bits and rounds
 * again to 8 bits when it writes PNM. Replicating each rounding keeps our
 * pixels, and so our hashes, identical.
 */
#ifndef BULWARK_LIB_IM_COLOUR_H
#define BULWARK_LIB_IM_COLOUR_H

#include <stdint.h>

#include "decode_internal.h"

#define BWI_IM_RANGE 65535.0

/* A double on the 16-bit scale to a 16-bit sample, clamped and rounded. */
static inline unsigned bwi_im_clamp16(double v)
{
    if (!(v > 0.0))
        return 0;
    if (v >= BWI_IM_RANGE)
        return 65535;
    return (unsigned)(v + 0.5);
}

/* One RGB channel from CMYK samples already on the 16-bit scale. */
static inline uint8_t bwi_im_cmyk_channel(unsigned c16, unsigned k16)
{
    const double c = (double)c16, k = (double)k16;
    const double v =
        BWI_IM_RANGE - ((1.0 / BWI_IM_RANGE) * c * (BWI_IM_RANGE - k) + k);
    return bwi_scale16to8(bwi_im_clamp16(v));
}

/* 8-bit CMYK to RGB. Adobe JPEGs store the samples inverted. */
static inline void bwi_im_cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb,
                                      int inverted)
{
    unsigned s[4];
    for (int i = 0; i < 4; i++)
        s[i] = inverted ? 65535u - cmyk[i] * 257u : cmyk[i] * 257u;
    rgb[0] = bwi_im_cmyk_channel(s[0], s[3]);
    rgb[1] = bwi_im_cmyk_channel(s[1], s[3]);
    rgb[2] = bwi_im_cmyk_channel(s[2], s[3]);
}

/* Full-range BT.601 YCbCr (8-bit samples) to RGB with ImageMagick's
 * matrix, whose coefficients are the inverse of its forward transform. */
static inline void bwi_im_ycbcr_to_rgb(uint8_t y8, uint8_t cb8, uint8_t cr8,
                                       uint8_t *rgb)
{
    const double scale = 1.0 / BWI_IM_RANGE;
    const double y = scale * (double)(y8 * 257u);
    const double cb = scale * (double)(cb8 * 257u) - 0.5;
    const double cr = scale * (double)(cr8 * 257u) - 0.5;
    const double r = BWI_IM_RANGE * (0.99999999999914679361 * y -
                                     1.2188941887145875e-06 * cb +
                                     1.4019995886561440468 * cr);
    const double g = BWI_IM_RANGE * (0.99999975910502514331 * y -
                                     0.34413567816504303521 * cb -
                                     0.71413649331646789076 * cr);
    const double b = BWI_IM_RANGE * (1.00000124040004623180 * y +
                                     1.77200006607230409200 * cb +
                                     2.1453384174593273e-06 * cr);
    rgb[0] = bwi_scale16to8(bwi_im_clamp16(r));
    rgb[1] = bwi_scale16to8(bwi_im_clamp16(g));
    rgb[2] = bwi_scale16to8(bwi_im_clamp16(b));
}

#endif

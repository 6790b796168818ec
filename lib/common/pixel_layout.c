/* Where R, G and B sit in each caller pixel layout. */
#include "bw_internal.h"
#include "bulwark/bw_image.h"

bool bwi_pixel_layout(int f, int *bpp, int *r, int *g, int *b)
{
    switch ((bw_pixel_format)f) {
    case BW_PIXEL_GREY8:
        *bpp = 1, *r = *g = *b = 0;
        return true;
    case BW_PIXEL_RGB8:
        *bpp = 3, *r = 0, *g = 1, *b = 2;
        return true;
    case BW_PIXEL_BGR8:
        *bpp = 3, *r = 2, *g = 1, *b = 0;
        return true;
    case BW_PIXEL_RGBA8:
        *bpp = 4, *r = 0, *g = 1, *b = 2;
        return true;
    case BW_PIXEL_BGRA8:
        *bpp = 4, *r = 2, *g = 1, *b = 0;
        return true;
    case BW_PIXEL_ARGB8:
        *bpp = 4, *r = 1, *g = 2, *b = 3;
        return true;
    }
    return false;
}

BW_API size_t bw_pixel_format_bytes(bw_pixel_format format)
{
    int bpp, r, g, b;
    return bwi_pixel_layout(format, &bpp, &r, &g, &b) ? (size_t)bpp : 0;
}

/*
 * The model's input from caller pixels, exactly as nsfwjs prepares it with
 * TensorFlow.js (nsfwjs 4.3.0 dist/cjs/core.js, infer()): every sample
 * divided by 255 into a float32 tensor, then tf.image.resizeBilinear to
 * 224x224 with alignCorners = true, whose CPU kernel works in double
 * precision and rounds each result to float32. The same arithmetic here in
 * the same order gives the same floats.
 */
#include <math.h>

#include "nudity_internal.h"

/* Source row/column and weight of one output coordinate, as the kernel
 * computes them for align-corners without half-pixel centres. */
static void source_coord(uint32_t out, uint32_t in_size, uint32_t out_size,
                         uint32_t *lo, uint32_t *hi, double *frac)
{
    double ratio = out_size > 1 ? (double)(in_size - 1) / (double)(out_size - 1)
                                : (double)in_size / (double)out_size;
    double src = ratio * (double)out;
    double fl = floor(src);
    if (fl < 0.0)
        fl = 0.0;
    *frac = src - fl;
    *lo = (uint32_t)fl;
    double ce = ceil(src);
    *hi = ce > (double)(in_size - 1) ? in_size - 1 : (uint32_t)ce;
}

/* A sample as TensorFlow.js holds it after .div(255): a float32. */
static inline double sample(const uint8_t *pixels, size_t stride, uint32_t x,
                            uint32_t y, int bpp, int offset)
{
    return (float)(pixels[(size_t)y * stride + (size_t)x * bpp + offset] / 255.0);
}

void bwi_nudity_preprocess(float *input, uint32_t in_h, uint32_t in_w,
                           const uint8_t *pixels, size_t stride, uint32_t width,
                           uint32_t height, int bpp, int r, int g, int b)
{
    const int offsets[3] = {r, g, b};
    for (uint32_t oy = 0; oy < in_h; oy++) {
        uint32_t y0, y1;
        double fy;
        source_coord(oy, height, in_h, &y0, &y1, &fy);
        for (uint32_t ox = 0; ox < in_w; ox++) {
            uint32_t x0, x1;
            double fx;
            source_coord(ox, width, in_w, &x0, &x1, &fx);
            float *dst = input + ((size_t)oy * in_w + ox) * 3;
            for (int c = 0; c < 3; c++) {
                double tl = sample(pixels, stride, x0, y0, bpp, offsets[c]);
                double tr = sample(pixels, stride, x1, y0, bpp, offsets[c]);
                double bl = sample(pixels, stride, x0, y1, bpp, offsets[c]);
                double br = sample(pixels, stride, x1, y1, bpp, offsets[c]);
                double top = tl + (tr - tl) * fx;
                double bottom = bl + (br - bl) * fx;
                dst[c] = (float)(top + (bottom - top) * fy);
            }
        }
    }
}

/*
 * Portable kernels: the reference the SIMD paths are tested against, and
 * what runs where no SIMD path exists. Written so a compiler can vectorise
 * the 8-wide inner loops, without relying on it.
 */
#include "nudity_internal.h"

static void gemm_scalar(float *out, size_t ldo, const float *a, size_t lda,
                        size_t m, size_t k, const float *w, const float *bias,
                        size_t n, int act)
{
    size_t panels = (n + BWI_NN_PANEL - 1) / BWI_NN_PANEL;
    for (size_t i = 0; i < m; i++) {
        const float *row = a + i * lda;
        float *o = out + i * ldo;
        for (size_t p = 0; p < panels; p++) {
            const float *wp = w + p * k * BWI_NN_PANEL;
            float acc[BWI_NN_PANEL] = {0};
            for (size_t kk = 0; kk < k; kk++) {
                float x = row[kk];
                for (int j = 0; j < BWI_NN_PANEL; j++)
                    acc[j] += x * wp[kk * BWI_NN_PANEL + j];
            }
            for (size_t j = 0; j < BWI_NN_PANEL; j++) {
                size_t col = p * BWI_NN_PANEL + j;
                if (col < n)
                    o[col] = bwi_nn_activate(acc[j] + bias[col], act);
            }
        }
    }
}

static void depthwise_scalar(float *out, const float *in, const bwi_nn_op *op)
{
    const size_t c = op->in_c;
    for (uint32_t oy = 0; oy < op->out_h; oy++)
        for (uint32_t ox = 0; ox < op->out_w; ox++) {
            float *o = out + ((size_t)oy * op->out_w + ox) * c;
            for (size_t ch = 0; ch < c; ch++)
                o[ch] = 0.0f;
            for (int ky = 0; ky < op->kh; ky++) {
                long iy = (long)oy * op->sh + ky - op->pad_t;
                if (iy < 0 || iy >= (long)op->in_h)
                    continue;
                for (int kx = 0; kx < op->kw; kx++) {
                    long ix = (long)ox * op->sw + kx - op->pad_l;
                    if (ix < 0 || ix >= (long)op->in_w)
                        continue;
                    const float *x = in + ((size_t)iy * op->in_w + (size_t)ix) * c;
                    const float *wt = op->weights + (size_t)(ky * op->kw + kx) * c;
                    for (size_t ch = 0; ch < c; ch++)
                        o[ch] += x[ch] * wt[ch];
                }
            }
            for (size_t ch = 0; ch < c; ch++)
                o[ch] = bwi_nn_activate(o[ch] + op->bias[ch], op->act);
        }
}

const bwi_nn_kernels bwi_nn_kernels_scalar = {"scalar", gemm_scalar,
                                              depthwise_scalar};

const bwi_nn_kernels *bwi_nn_kernels_best(void)
{
    const bwi_nn_kernels *k = bwi_nn_kernels_avx2();
    return k ? k : &bwi_nn_kernels_scalar;
}

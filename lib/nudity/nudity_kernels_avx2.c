/*
 * AVX2 + FMA kernels, compiled for any x86-64 target through function
 * attributes and chosen at run time only when the CPU has both. Results
 * differ from the scalar kernels only by rounding (FMA, summation order);
 * tests/unit/test_nudity.c holds them to the scalar path.
 */
#include "nudity_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline __m256 activate8(__m256 v, int act)
{
    if (act == BWI_ACT_RELU || act == BWI_ACT_RELU6)
        v = _mm256_max_ps(v, _mm256_setzero_ps());
    if (act == BWI_ACT_RELU6)
        v = _mm256_min_ps(v, _mm256_set1_ps(6.0f));
    return v;
}

/* Stores 8 results, or the first `valid` of them at the matrix's edge. */
AVX2 static inline void store8(float *dst, __m256 v, size_t valid)
{
    if (valid >= 8) {
        _mm256_storeu_ps(dst, v);
        return;
    }
    float tmp[8];
    _mm256_storeu_ps(tmp, v);
    memcpy(dst, tmp, valid * sizeof *dst);
}

/* Rows i..i+R-1 (R <= 6) against two adjacent panels (16 columns) or one. */
#define GEMM_TILE(R, NP)                                                          \
    AVX2 static void tile_##R##x##NP(float *out, size_t ldo, const float *a,      \
                                     size_t lda, size_t k, const float *w,        \
                                     const float *bias, size_t col, size_t n,     \
                                     int act)                                     \
    {                                                                             \
        __m256 acc[R][NP];                                                        \
        for (int r = 0; r < R; r++)                                               \
            for (int p = 0; p < NP; p++)                                          \
                acc[r][p] = _mm256_setzero_ps();                                  \
        for (size_t kk = 0; kk < k; kk++) {                                       \
            __m256 wv[NP];                                                        \
            for (int p = 0; p < NP; p++)                                          \
                wv[p] = _mm256_loadu_ps(w + (p * k + kk) * BWI_NN_PANEL);         \
            for (int r = 0; r < R; r++) {                                         \
                __m256 x = _mm256_broadcast_ss(a + r * lda + kk);                 \
                for (int p = 0; p < NP; p++)                                      \
                    acc[r][p] = _mm256_fmadd_ps(x, wv[p], acc[r][p]);             \
            }                                                                     \
        }                                                                         \
        for (int p = 0; p < NP; p++) {                                            \
            size_t c0 = col + (size_t)p * BWI_NN_PANEL;                           \
            if (c0 >= n)                                                          \
                break;                                                            \
            size_t valid = n - c0;                                                \
            __m256 bv;                                                            \
            if (valid >= 8) {                                                     \
                bv = _mm256_loadu_ps(bias + c0);                                  \
            } else {                                                              \
                float tmp[8] = {0};                                               \
                memcpy(tmp, bias + c0, valid * sizeof *tmp);                      \
                bv = _mm256_loadu_ps(tmp);                                        \
            }                                                                     \
            for (int r = 0; r < R; r++)                                           \
                store8(out + r * ldo + c0,                                        \
                       activate8(_mm256_add_ps(acc[r][p], bv), act), valid);      \
        }                                                                         \
    }

GEMM_TILE(6, 2)
GEMM_TILE(6, 1)
GEMM_TILE(1, 2)
GEMM_TILE(1, 1)

AVX2 static void gemm_avx2(float *out, size_t ldo, const float *a, size_t lda,
                           size_t m, size_t k, const float *w, const float *bias,
                           size_t n, int act)
{
    size_t panels = (n + BWI_NN_PANEL - 1) / BWI_NN_PANEL;
    size_t i = 0;
    for (; i + 6 <= m; i += 6) {
        size_t p = 0;
        for (; p + 2 <= panels; p += 2)
            tile_6x2(out + i * ldo, ldo, a + i * lda, lda, k,
                     w + p * k * BWI_NN_PANEL, bias, p * BWI_NN_PANEL, n, act);
        if (p < panels)
            tile_6x1(out + i * ldo, ldo, a + i * lda, lda, k,
                     w + p * k * BWI_NN_PANEL, bias, p * BWI_NN_PANEL, n, act);
    }
    for (; i < m; i++) {
        size_t p = 0;
        for (; p + 2 <= panels; p += 2)
            tile_1x2(out + i * ldo, ldo, a + i * lda, lda, k,
                     w + p * k * BWI_NN_PANEL, bias, p * BWI_NN_PANEL, n, act);
        if (p < panels)
            tile_1x1(out + i * ldo, ldo, a + i * lda, lda, k,
                     w + p * k * BWI_NN_PANEL, bias, p * BWI_NN_PANEL, n, act);
    }
}

/* Depthwise: 8 channels at a time, taps clipped to the input once per
 * output pixel; the channel tail (never hit by MobileNetV2) is scalar. */
AVX2 static void depthwise_avx2(float *out, const float *in, const bwi_nn_op *op)
{
    const size_t c = op->in_c, c8 = c & ~(size_t)7;
    for (uint32_t oy = 0; oy < op->out_h; oy++) {
        long iy0 = (long)oy * op->sh - op->pad_t;
        int ky0 = iy0 < 0 ? (int)-iy0 : 0;
        int ky1 = op->kh;
        if (iy0 + ky1 > (long)op->in_h)
            ky1 = (int)((long)op->in_h - iy0);
        for (uint32_t ox = 0; ox < op->out_w; ox++) {
            long ix0 = (long)ox * op->sw - op->pad_l;
            int kx0 = ix0 < 0 ? (int)-ix0 : 0;
            int kx1 = op->kw;
            if (ix0 + kx1 > (long)op->in_w)
                kx1 = (int)((long)op->in_w - ix0);
            float *o = out + ((size_t)oy * op->out_w + ox) * c;
            for (size_t ch = 0; ch < c8; ch += 8) {
                __m256 acc = _mm256_setzero_ps();
                for (int ky = ky0; ky < ky1; ky++) {
                    const float *x = in + ((size_t)(iy0 + ky) * op->in_w) * c + ch;
                    const float *wt = op->weights + (size_t)ky * op->kw * c + ch;
                    for (int kx = kx0; kx < kx1; kx++)
                        acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + (size_t)(ix0 + kx) * c),
                                              _mm256_loadu_ps(wt + (size_t)kx * c), acc);
                }
                acc = _mm256_add_ps(acc, _mm256_loadu_ps(op->bias + ch));
                _mm256_storeu_ps(o + ch, activate8(acc, op->act));
            }
            for (size_t ch = c8; ch < c; ch++) {
                float acc = 0.0f;
                for (int ky = ky0; ky < ky1; ky++)
                    for (int kx = kx0; kx < kx1; kx++)
                        acc += in[((size_t)(iy0 + ky) * op->in_w + (size_t)(ix0 + kx)) * c + ch] *
                               op->weights[(size_t)(ky * op->kw + kx) * c + ch];
                o[ch] = bwi_nn_activate(acc + op->bias[ch], op->act);
            }
        }
    }
}

static const bwi_nn_kernels avx2_kernels = {"avx2", gemm_avx2, depthwise_avx2};

const bwi_nn_kernels *bwi_nn_kernels_avx2(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return &avx2_kernels;
    return NULL;
}

#else

const bwi_nn_kernels *bwi_nn_kernels_avx2(void)
{
    return NULL;
}

#endif

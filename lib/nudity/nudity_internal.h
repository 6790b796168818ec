/*
 * The nudity classifier's internals: a loaded network (a chain of
 * convolution, depthwise, add, pooling and dense ops with batch norm folded
 * in), the kernels that run it, and the per-context scratch. Depends on
 * lib/common only, so the on-device library can build it without decoders.
 */
#ifndef BULWARK_LIB_NUDITY_INTERNAL_H
#define BULWARK_LIB_NUDITY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/bw_nudity.h"
#include "common/bw_internal.h"

/* File format (docs/nudity.md; written by tools/nudity/nudity-format.mjs). */
#define BWI_NUDITY_MAGIC "BWNUDITY"
#define BWI_NUDITY_FORMAT_VERSION 1
#define BWI_NUDITY_HEADER_BYTES 64

/* Bounds on what a model file may ask for, so a hostile file cannot make
 * the loader allocate without limit. MobileNetV2 needs far less. */
#define BWI_NN_MAX_OPS 1024
#define BWI_NN_MAX_INPUT 1024        /* input width and height */
#define BWI_NN_MAX_CHANNELS 8192
#define BWI_NN_MAX_KERNEL 7
#define BWI_NN_MAX_STRIDE 4
#define BWI_NN_MAX_WEIGHTS (32u << 20)     /* floats, all ops together */
#define BWI_NN_MAX_ACTIVATION (32u << 20)  /* floats in one op's output */
#define BWI_NN_MAX_SLOTS 8

/* Output channels are packed in panels of this many for the GEMM kernels. */
#define BWI_NN_PANEL 8

typedef enum bwi_nn_kind {
    BWI_NN_CONV = 1,
    BWI_NN_DEPTHWISE = 2,
    BWI_NN_ADD = 3,
    BWI_NN_AVGPOOL = 4,
    BWI_NN_DENSE = 5
} bwi_nn_kind;

typedef enum bwi_nn_act {
    BWI_ACT_LINEAR = 0,
    BWI_ACT_RELU = 1,
    BWI_ACT_RELU6 = 2,
    BWI_ACT_SOFTMAX = 3
} bwi_nn_act;

typedef struct bwi_nn_op {
    uint8_t kind, act;
    uint8_t kh, kw, sh, sw;
    uint8_t pad_t, pad_b, pad_l, pad_r;
    uint32_t in_h, in_w, in_c;
    uint32_t out_h, out_w, out_c;
    int32_t other;      /* add: the op whose output is added (-1: the input) */
    int in_slot;        /* activation slots; -1 is the input image */
    int other_slot;
    int out_slot;
    /*
     * conv and dense: panels of BWI_NN_PANEL output channels,
     * weights[p][k][j] for k < kh*kw*in_c in (ky, kx, c) order, zero past
     * out_c; depthwise: weights[ky*kw + kx][c]. Batch norm is folded in.
     */
    float *weights;
    float *bias;        /* out_c values (zeros when the file has none) */
} bwi_nn_op;

struct bw_nudity_model {
    char source[128];
    uint32_t in_h, in_w;
    uint32_t op_count;
    bwi_nn_op *ops;
    int slot_count;
    size_t slot_floats[BWI_NN_MAX_SLOTS];
    size_t im2col_floats;   /* one output row of the widest im2col conv */
    size_t weight_floats;
    size_t scratch_floats;  /* input + slots + im2col, each aligned */
};

/*
 * GEMM with bias and activation, the workhorse of 1x1 convolutions, im2col
 * convolutions and dense layers:
 *   out[i*ldo + j] = act(bias[j] + sum_k a[i*lda + k] * w[panel(j)][k][j%8])
 * for i < m, j < n. act is linear, relu or relu6.
 */
typedef void (*bwi_nn_gemm_fn)(float *out, size_t ldo, const float *a,
                               size_t lda, size_t m, size_t k,
                               const float *w, const float *bias, size_t n,
                               int act);

/* Depthwise convolution of one op, all output rows. */
typedef void (*bwi_nn_depthwise_fn)(float *out, const float *in,
                                    const bwi_nn_op *op);

typedef struct bwi_nn_kernels {
    const char *name;
    bwi_nn_gemm_fn gemm;
    bwi_nn_depthwise_fn depthwise;
} bwi_nn_kernels;

/* Portable C, the reference every SIMD path is tested against. */
extern const bwi_nn_kernels bwi_nn_kernels_scalar;

/* AVX2+FMA kernels when built for x86-64 and this CPU has them, else NULL. */
const bwi_nn_kernels *bwi_nn_kernels_avx2(void);

/* The fastest kernels this CPU supports. */
const bwi_nn_kernels *bwi_nn_kernels_best(void);

/* Applies an activation to one value (relu and relu6; others unchanged). */
static inline float bwi_nn_activate(float v, int act)
{
    if (act == BWI_ACT_RELU || act == BWI_ACT_RELU6)
        v = v > 0.0f ? v : 0.0f;
    if (act == BWI_ACT_RELU6)
        v = v < 6.0f ? v : 6.0f;
    return v;
}

/* CRC-32 (IEEE 802.3, as zlib computes it), the model file's checksum. */
uint32_t bwi_nudity_crc32(const uint8_t *p, size_t n);

/* Parses and validates a model file; the detail of a failure goes on ctx. */
bw_status bwi_nudity_parse(bw_ctx *ctx, bw_nudity_model **model_out,
                           const uint8_t *data, size_t size);

/*
 * Resizes pixels to the model's input as nsfwjs does (value / 255, then
 * bilinear with align-corners, in double precision like TensorFlow.js's CPU
 * backend) into input (in_h * in_w * 3 floats).
 */
void bwi_nudity_preprocess(float *input, uint32_t in_h, uint32_t in_w,
                           const uint8_t *pixels, size_t stride,
                           uint32_t width, uint32_t height, int bpp, int r,
                           int g, int b);

/* Assigns activation slots and sizes the scratch (at load time). */
bw_status bwi_nudity_plan(bw_ctx *ctx, bw_nudity_model *model);

/* Where the input, each slot and the im2col rows sit in the scratch. */
void bwi_nudity_layout(const bw_nudity_model *model, float *scratch,
                       float **input, float *slots[BWI_NN_MAX_SLOTS],
                       float **im2col);

/*
 * Runs the network with the given kernels on the input already written at
 * the start of scratch (model->scratch_floats floats; see
 * bwi_nudity_layout); writes BW_NUDITY_CLASS_COUNT scores.
 */
void bwi_nudity_run(float scores_out[BW_NUDITY_CLASS_COUNT],
                    const bw_nudity_model *model,
                    const bwi_nn_kernels *kernels, float *scratch);

/* bw_nudity_classify_pixels() with the given kernels (tests compare the
 * scalar and SIMD paths through it). */
bw_status bwi_nudity_classify_with(bw_ctx *ctx,
                                    float scores_out[BW_NUDITY_CLASS_COUNT],
                                    const bw_nudity_model *model,
                                    const bwi_nn_kernels *kernels,
                                    const void *pixels, size_t stride,
                                    uint32_t width, uint32_t height,
                                    bw_pixel_format format);

/* The context's scratch, at least `floats` long (the input comes first). */
bw_status bwi_nudity_scratch(bw_ctx *ctx, size_t floats, float **out);

#endif /* BULWARK_LIB_NUDITY_INTERNAL_H */

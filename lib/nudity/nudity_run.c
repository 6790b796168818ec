/*
 * Runs a loaded network: one pass over its ops, each reading and writing
 * the activation slots planned at load time, then a softmax. Also the
 * public classify call and the context's scratch.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nudity_internal.h"

/* One output row of patches for a general convolution, in the weights'
 * (ky, kx, c) order; taps outside the input are the zero padding. */
static void im2col_row(float *dst, const float *in, const bwi_nn_op *op,
                       uint32_t oy)
{
    const size_t c = op->in_c;
    for (uint32_t ox = 0; ox < op->out_w; ox++)
        for (int ky = 0; ky < op->kh; ky++) {
            long iy = (long)oy * op->sh + ky - op->pad_t;
            for (int kx = 0; kx < op->kw; kx++) {
                long ix = (long)ox * op->sw + kx - op->pad_l;
                if (iy < 0 || iy >= (long)op->in_h || ix < 0 || ix >= (long)op->in_w)
                    memset(dst, 0, c * sizeof *dst);
                else
                    memcpy(dst, in + ((size_t)iy * op->in_w + (size_t)ix) * c,
                           c * sizeof *dst);
                dst += c;
            }
        }
}

static void conv(float *out, const float *in, float *im2col,
                 const bwi_nn_op *op, const bwi_nn_kernels *kernels)
{
    bool direct = op->kh == 1 && op->kw == 1 && op->sh == 1 && op->sw == 1 &&
                  !op->pad_t && !op->pad_b && !op->pad_l && !op->pad_r;
    if (direct) {
        kernels->gemm(out, op->out_c, in, op->in_c, (size_t)op->in_h * op->in_w,
                      op->in_c, op->weights, op->bias, op->out_c, op->act);
        return;
    }
    size_t k = (size_t)op->kh * op->kw * op->in_c;
    for (uint32_t oy = 0; oy < op->out_h; oy++) {
        im2col_row(im2col, in, op, oy);
        kernels->gemm(out + (size_t)oy * op->out_w * op->out_c, op->out_c, im2col,
                      k, op->out_w, k, op->weights, op->bias, op->out_c, op->act);
    }
}

static void global_average(float *out, const float *in, const bwi_nn_op *op)
{
    size_t pixels = (size_t)op->in_h * op->in_w;
    for (uint32_t ch = 0; ch < op->in_c; ch++) {
        double sum = 0.0;
        for (size_t i = 0; i < pixels; i++)
            sum += in[i * op->in_c + ch];
        out[ch] = (float)(sum / (double)pixels);
    }
}

static void softmax(float *v, size_t n)
{
    double max = v[0], sum = 0.0;
    for (size_t i = 1; i < n; i++)
        max = v[i] > max ? v[i] : max;
    for (size_t i = 0; i < n; i++)
        sum += exp((double)v[i] - max);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(exp((double)v[i] - max) / sum);
}

void bwi_nudity_run(float scores_out[BW_NUDITY_CLASS_COUNT],
                    const bw_nudity_model *m, const bwi_nn_kernels *kernels,
                    float *scratch)
{
    float *input, *slots[BWI_NN_MAX_SLOTS], *im2col;
    bwi_nudity_layout(m, scratch, &input, slots, &im2col);
    const float *last = input;
    for (uint32_t i = 0; i < m->op_count; i++) {
        const bwi_nn_op *op = &m->ops[i];
        const float *in = op->in_slot < 0 ? input : slots[op->in_slot];
        float *out = slots[op->out_slot];
        switch (op->kind) {
        case BWI_NN_CONV:
            conv(out, in, im2col, op, kernels);
            break;
        case BWI_NN_DEPTHWISE:
            kernels->depthwise(out, in, op);
            break;
        case BWI_NN_ADD: {
            const float *other = op->other_slot < 0 ? input : slots[op->other_slot];
            size_t n = (size_t)op->out_h * op->out_w * op->out_c;
            for (size_t j = 0; j < n; j++)
                out[j] = in[j] + other[j];
            break;
        }
        case BWI_NN_AVGPOOL:
            global_average(out, in, op);
            break;
        case BWI_NN_DENSE:
            kernels->gemm(out, op->out_c, in, op->in_c, 1, op->in_c, op->weights,
                          op->bias, op->out_c,
                          op->act == BWI_ACT_SOFTMAX ? BWI_ACT_LINEAR : op->act);
            if (op->act == BWI_ACT_SOFTMAX)
                softmax(out, op->out_c);
            break;
        default:
            break; /* the loader admits no other kind */
        }
        last = out;
    }
    memcpy(scores_out, last, BW_NUDITY_CLASS_COUNT * sizeof *scores_out);
}

typedef struct nudity_scratch {
    float *buf;
    size_t floats;
} nudity_scratch;

static void scratch_free(void *p)
{
    nudity_scratch *s = p;
    if (s)
        free(s->buf);
    free(s);
}

bw_status bwi_nudity_scratch(bw_ctx *ctx, size_t floats, float **out)
{
    nudity_scratch *s = ctx->nudity;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return bwi_fail(ctx, BW_ERR_NOMEM, "nudity: out of memory");
        ctx->nudity = s;
        ctx->nudity_free = scratch_free;
    }
    if (s->floats < floats) {
        free(s->buf);
        size_t bytes = (floats * sizeof(float) + 63) & ~(size_t)63;
        s->buf = aligned_alloc(64, bytes);
        s->floats = s->buf ? floats : 0;
        if (!s->buf)
            return bwi_fail(ctx, BW_ERR_NOMEM,
                            "nudity: cannot allocate %zu bytes of scratch", bytes);
    }
    *out = s->buf;
    return BW_OK;
}

bw_status bwi_nudity_classify_with(bw_ctx *ctx,
                                    float scores_out[BW_NUDITY_CLASS_COUNT],
                                    const bw_nudity_model *model,
                                    const bwi_nn_kernels *kernels,
                                    const void *pixels, size_t stride,
                                    uint32_t width, uint32_t height,
                                    bw_pixel_format format)
{
    if (!ctx)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    if (!scores_out || !model || !pixels)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "nudity: NULL argument");
    int bpp, r, g, b;
    if (!bwi_pixel_layout(format, &bpp, &r, &g, &b))
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "nudity: unknown pixel format %d", (int)format);
    bw_status st = bwi_check_dimensions(ctx, "nudity", width, height);
    if (st != BW_OK)
        return st;
    if ((uint64_t)width * (uint64_t)bpp > stride)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "nudity: stride %zu is less than a row of %u pixels", stride,
                        width);
    float *scratch;
    st = bwi_nudity_scratch(ctx, model->scratch_floats, &scratch);
    if (st != BW_OK)
        return st;
    bwi_nudity_preprocess(scratch, model->in_h, model->in_w, pixels, stride, width,
                          height, bpp, r, g, b);
    bwi_nudity_run(scores_out, model, kernels, scratch);
    return BW_OK;
}

BW_API bw_status bw_nudity_classify_pixels(
    bw_ctx *ctx, float scores_out[BW_NUDITY_CLASS_COUNT],
    const bw_nudity_model *model, const void *pixels, size_t stride,
    uint32_t width, uint32_t height, bw_pixel_format format)
{
    return bwi_nudity_classify_with(ctx, scores_out, model, bwi_nn_kernels_best(),
                                    pixels, stride, width, height, format);
}

BW_API size_t bw_nudity_class_count(void)
{
    return BW_NUDITY_CLASS_COUNT;
}

BW_API float bw_nudity_default_threshold(void)
{
    return BW_NUDITY_DEFAULT_THRESHOLD;
}

BW_API const char *bw_nudity_class_name(bw_nudity_class which)
{
    static const char *const names[BW_NUDITY_CLASS_COUNT] = {
        "drawing", "hentai", "neutral", "porn", "sexy"};
    return (unsigned)which < BW_NUDITY_CLASS_COUNT ? names[which] : "unknown";
}

BW_API float bw_nudity_score(const float scores[BW_NUDITY_CLASS_COUNT])
{
    if (!scores)
        return 0.0f;
    float s = scores[BW_NUDITY_PORN] + scores[BW_NUDITY_HENTAI] + scores[BW_NUDITY_SEXY];
    return s < 0.0f ? 0.0f : s > 1.0f ? 1.0f : s;
}

BW_API int bw_nudity_should_warn(const float scores[BW_NUDITY_CLASS_COUNT],
                                 float threshold)
{
    return scores && bw_nudity_score(scores) >= threshold;
}

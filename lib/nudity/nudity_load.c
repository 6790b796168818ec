/*
 * Reads a nudity-model file: header checks (magic, version, sizes, CRC-32s),
 * then one record per op, each checked against the shape flowing into it,
 * dequantised exactly as TensorFlow.js does it and packed for the kernels.
 * Every read is bounds-checked: a hostile file ends in an error, never a
 * crash or an unbounded allocation.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nudity_internal.h"

typedef struct reader {
    bw_ctx *ctx;
    const uint8_t *data;
    size_t size;
    size_t pos;
    uint32_t op;      /* for messages */
    bw_status status; /* of the first failure */
} reader;

static const char *const class_names_in_file[BW_NUDITY_CLASS_COUNT] = {
    "Drawing", "Hentai", "Neutral", "Porn", "Sexy"};

uint32_t bwi_nudity_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* Records a failure of the op being read; always returns false. */
static bool rfail(reader *r, bw_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool rfail(reader *r, bw_status status, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    r->status = status;
    bwi_fail(r->ctx, status, "nudity model: op %u: %s", r->op, what);
    return false;
}

static bool need(reader *r, size_t n)
{
    if (r->size - r->pos >= n)
        return true;
    return rfail(r, BW_ERR_TRUNCATED, "record ends early at byte %zu", r->size);
}

static bool rd_u8(reader *r, uint32_t *v)
{
    if (!need(r, 1))
        return false;
    *v = r->data[r->pos++];
    return true;
}

static bool rd_u16(reader *r, uint32_t *v)
{
    if (!need(r, 2))
        return false;
    *v = le16(r->data + r->pos);
    r->pos += 2;
    return true;
}

static bool rd_u32(reader *r, uint32_t *v)
{
    if (!need(r, 4))
        return false;
    *v = le32(r->data + r->pos);
    r->pos += 4;
    return true;
}

static bool rd_f64(reader *r, double *v)
{
    if (!need(r, 8))
        return false;
    uint64_t bits = le64(r->data + r->pos);
    memcpy(v, &bits, sizeof *v);
    r->pos += 8;
    return true;
}

static bool corrupt(reader *r, const char *what)
{
    return rfail(r, BW_ERR_CORRUPT, "%s", what);
}

/* A uint8 tensor of exactly `count` values, dequantised into out as
 * TensorFlow.js does: (float)(q * scale + min) computed in double. */
static bool rd_tensor(reader *r, size_t count, float *out)
{
    uint32_t n;
    double min, scale;
    if (!rd_u32(r, &n) || !rd_f64(r, &min) || !rd_f64(r, &scale))
        return false;
    if (n != count)
        return rfail(r, BW_ERR_CORRUPT, "tensor has %u values, the layer needs %zu",
                     n, count);
    if (!isfinite(min) || !isfinite(scale) || fabs(min) > 1e30 || fabs(scale) > 1e28)
        return corrupt(r, "tensor with a non-finite or absurd range");
    if (!need(r, count))
        return false;
    const uint8_t *q = r->data + r->pos;
    for (size_t i = 0; i < count; i++)
        out[i] = (float)((double)q[i] * scale + min);
    r->pos += count;
    return true;
}

typedef struct shape {
    uint32_t h, w, c;
} shape;

static size_t shape_size(shape s)
{
    return (size_t)s.h * s.w * s.c;
}

/* Conv or depthwise header; fills the op's geometry from `in`. */
static bool rd_conv_geometry(reader *r, bwi_nn_op *op, shape in)
{
    uint32_t v[8], cout;
    for (int i = 0; i < 8; i++)
        if (!rd_u8(r, &v[i]))
            return false;
    if (!rd_u32(r, &cout))
        return false;
    op->kh = (uint8_t)v[0], op->kw = (uint8_t)v[1];
    op->sh = (uint8_t)v[2], op->sw = (uint8_t)v[3];
    op->pad_t = (uint8_t)v[4], op->pad_b = (uint8_t)v[5];
    op->pad_l = (uint8_t)v[6], op->pad_r = (uint8_t)v[7];
    if (op->kh < 1 || op->kh > BWI_NN_MAX_KERNEL || op->kw < 1 ||
        op->kw > BWI_NN_MAX_KERNEL || op->sh < 1 || op->sh > BWI_NN_MAX_STRIDE ||
        op->sw < 1 || op->sw > BWI_NN_MAX_STRIDE)
        return corrupt(r, "kernel size or stride out of range");
    if (op->pad_t >= op->kh || op->pad_b >= op->kh || op->pad_l >= op->kw ||
        op->pad_r >= op->kw)
        return corrupt(r, "padding as large as the kernel");
    uint32_t ph = in.h + op->pad_t + op->pad_b, pw = in.w + op->pad_l + op->pad_r;
    if (ph < op->kh || pw < op->kw)
        return corrupt(r, "kernel larger than its padded input");
    if (cout < 1 || cout > BWI_NN_MAX_CHANNELS)
        return corrupt(r, "output channels out of range");
    if (op->kind == BWI_NN_DEPTHWISE && cout != in.c)
        return corrupt(r, "depthwise output channels differ from its input's");
    op->out_h = (ph - op->kh) / op->sh + 1;
    op->out_w = (pw - op->kw) / op->sw + 1;
    op->out_c = cout;
    return true;
}

/* Packs a [k][n] matrix into panels of BWI_NN_PANEL columns, scaling each
 * column by scale[j] (the folded batch norm; NULL for none). */
static void pack_panels(float *dst, const float *src, size_t k, size_t n,
                        const double *scale)
{
    size_t panels = (n + BWI_NN_PANEL - 1) / BWI_NN_PANEL;
    for (size_t p = 0; p < panels; p++)
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < BWI_NN_PANEL; j++) {
                size_t col = p * BWI_NN_PANEL + j;
                float v = 0.0f;
                if (col < n)
                    v = scale ? (float)(src[i * n + col] * scale[col])
                              : src[i * n + col];
                dst[(p * k + i) * BWI_NN_PANEL + j] = v;
            }
}

/*
 * Reads the weights of a conv, depthwise or dense op plus its optional
 * batch norm and bias, and folds and packs them. k is the reduction length
 * (kh*kw*in_c for conv, kh*kw for depthwise, in for dense).
 */
static bool rd_weights(reader *r, bwi_nn_op *op, uint32_t flags, size_t k,
                       size_t *budget)
{
    size_t n = op->out_c;
    size_t raw_count = k * n;
    size_t packed = op->kind == BWI_NN_DEPTHWISE
                        ? raw_count
                        : (n + BWI_NN_PANEL - 1) / BWI_NN_PANEL * BWI_NN_PANEL * k;
    if (raw_count > *budget || packed > *budget)
        return rfail(r, BW_ERR_LIMIT, "more weights than the limit of %u",
                     BWI_NN_MAX_WEIGHTS);
    *budget -= packed;
    float *raw = malloc(raw_count * sizeof *raw);
    double *scale = malloc(n * sizeof *scale);
    float *bn = malloc(4 * n * sizeof *bn);
    op->weights = malloc(packed * sizeof *op->weights);
    op->bias = malloc(n * sizeof *op->bias);
    bool ok = raw && scale && bn && op->weights && op->bias;
    if (!ok)
        rfail(r, BW_ERR_NOMEM, "out of memory");
    ok = ok && rd_tensor(r, raw_count, raw);
    double epsilon = 0.0;
    bool has_bn = flags & 1, has_bias = flags & 2;
    if (ok && has_bn) {
        ok = rd_f64(r, &epsilon);
        if (ok && (!isfinite(epsilon) || epsilon < 0.0 || epsilon > 1.0))
            ok = corrupt(r, "batch-norm epsilon out of range");
        for (int t = 0; ok && t < 4; t++)
            ok = rd_tensor(r, n, bn + (size_t)t * n);
    }
    float *bias_in = NULL;
    if (ok && has_bias) {
        bias_in = op->bias;
        ok = rd_tensor(r, n, bias_in);
    }
    for (size_t j = 0; ok && j < n; j++) {
        /* TensorFlow.js: beta + (x - mean) * gamma / sqrt(var + eps). */
        double b = has_bias ? bias_in[j] : 0.0;
        if (has_bn) {
            double var = (double)bn[3 * n + j] + epsilon;
            if (!(var > 0.0))
                ok = corrupt(r, "batch-norm variance not positive");
            else {
                scale[j] = (double)bn[j] / sqrt(var);
                b = bn[n + j] + (b - bn[2 * n + j]) * scale[j];
            }
        } else {
            scale[j] = 1.0;
        }
        op->bias[j] = (float)b;
        if (ok && !isfinite(op->bias[j]))
            ok = corrupt(r, "non-finite bias");
    }
    if (ok) {
        if (op->kind == BWI_NN_DEPTHWISE) {
            for (size_t i = 0; i < k; i++)
                for (size_t j = 0; j < n; j++)
                    op->weights[i * n + j] = (float)(raw[i * n + j] * scale[j]);
        } else {
            pack_panels(op->weights, raw, k, n, scale);
        }
        for (size_t i = 0; i < packed; i++)
            if (!isfinite(op->weights[i])) {
                ok = corrupt(r, "non-finite weight after batch-norm folding");
                break;
            }
    }
    free(raw);
    free(scale);
    free(bn);
    return ok;
}

/* One op record; `shapes[i]` is the output shape of op i, `in` the image. */
static bool rd_op(reader *r, bw_nudity_model *m, shape *shapes, shape image,
                  size_t *budget)
{
    bwi_nn_op *op = &m->ops[r->op];
    uint32_t kind, act, flags, reserved;
    if (!rd_u8(r, &kind) || !rd_u8(r, &act) || !rd_u8(r, &flags) ||
        !rd_u8(r, &reserved))
        return false;
    shape in = r->op == 0 ? image : shapes[r->op - 1];
    op->kind = (uint8_t)kind;
    op->act = (uint8_t)act;
    op->other = -1;
    op->in_h = in.h, op->in_w = in.w, op->in_c = in.c;
    if (act > BWI_ACT_SOFTMAX || reserved != 0 || flags > 3)
        return corrupt(r, "unknown activation or flags");
    if (act == BWI_ACT_SOFTMAX && kind != BWI_NN_DENSE)
        return corrupt(r, "softmax outside a dense layer");
    bool weighted = kind == BWI_NN_CONV || kind == BWI_NN_DEPTHWISE || kind == BWI_NN_DENSE;
    if (!weighted && flags != 0)
        return corrupt(r, "batch norm or bias on an op without weights");
    if (kind == BWI_NN_DENSE && (flags & 1))
        return corrupt(r, "batch norm after a dense layer");

    switch (kind) {
    case BWI_NN_CONV:
    case BWI_NN_DEPTHWISE:
        if (!rd_conv_geometry(r, op, in))
            return false;
        if (!rd_weights(r, op, flags,
                        (size_t)op->kh * op->kw * (kind == BWI_NN_CONV ? in.c : 1),
                        budget))
            return false;
        break;
    case BWI_NN_ADD: {
        uint32_t other;
        if (!rd_u32(r, &other))
            return false;
        /* 0xffffffff is the input image; otherwise an earlier op but not the
         * previous one, which is already the first operand. */
        int32_t o = other == 0xffffffffu ? -1 : (int32_t)other;
        if (other != 0xffffffffu && (other >= r->op || other + 1 == r->op))
            return corrupt(r, "add refers to an op that is not earlier");
        shape s = o < 0 ? image : shapes[o];
        if (s.h != in.h || s.w != in.w || s.c != in.c)
            return corrupt(r, "add of tensors of different shapes");
        op->other = o;
        op->out_h = in.h, op->out_w = in.w, op->out_c = in.c;
        break;
    }
    case BWI_NN_AVGPOOL: {
        uint32_t ph, pw;
        if (!rd_u16(r, &ph) || !rd_u16(r, &pw))
            return false;
        if (ph != in.h || pw != in.w)
            return corrupt(r, "only a pool over the whole map is supported");
        op->kh = op->kw = 1; /* unused */
        op->out_h = op->out_w = 1, op->out_c = in.c;
        break;
    }
    case BWI_NN_DENSE: {
        uint32_t units;
        if (!rd_u32(r, &units))
            return false;
        if (units < 1 || units > BWI_NN_MAX_CHANNELS)
            return corrupt(r, "dense units out of range");
        if (shape_size(in) > BWI_NN_MAX_CHANNELS)
            return corrupt(r, "dense input too long");
        /* Keras's Flatten of channels-last data is the memory order. */
        op->in_h = op->in_w = 1, op->in_c = (uint32_t)shape_size(in);
        op->kh = op->kw = op->sh = op->sw = 1;
        op->out_h = op->out_w = 1, op->out_c = units;
        if (!rd_weights(r, op, flags, op->in_c, budget))
            return false;
        break;
    }
    default:
        return corrupt(r, "unknown op kind");
    }
    shapes[r->op] = (shape){op->out_h, op->out_w, op->out_c};
    if (shape_size(shapes[r->op]) > BWI_NN_MAX_ACTIVATION)
        return rfail(r, BW_ERR_LIMIT, "output of %u x %u x %u is over the limit",
                     op->out_h, op->out_w, op->out_c);
    return true;
}

static bool rd_preamble(reader *r, bw_nudity_model *m, uint32_t classes)
{
    uint32_t len;
    if (!rd_u16(r, &len) || !need(r, len))
        return false;
    size_t keep = len < sizeof m->source ? len : sizeof m->source - 1;
    memcpy(m->source, r->data + r->pos, keep);
    m->source[keep] = '\0';
    for (size_t i = 0; i < keep; i++)
        if (m->source[i] < 0x20 || m->source[i] > 0x7e)
            m->source[i] = '?';
    r->pos += len;
    /* The public API promises this class order; a model with another order
     * or other classes would give wrong answers, so it is refused. */
    for (uint32_t c = 0; c < classes; c++) {
        if (!rd_u8(r, &len) || !need(r, len))
            return false;
        if (len != strlen(class_names_in_file[c]) ||
            memcmp(r->data + r->pos, class_names_in_file[c], len) != 0) {
            r->op = 0;
            return rfail(r, BW_ERR_UNSUPPORTED, "class %u is not %s", c,
                         class_names_in_file[c]);
        }
        r->pos += len;
    }
    return true;
}

static bw_status check_header(bw_ctx *ctx, const uint8_t *data, size_t size,
                              uint32_t *op_count)
{
    if (size < BWI_NUDITY_HEADER_BYTES)
        return bwi_fail(ctx, size >= 8 && memcmp(data, BWI_NUDITY_MAGIC, 8) == 0
                                 ? BW_ERR_TRUNCATED : BW_ERR_UNSUPPORTED,
                        "nudity model: %zu bytes is too short for a model file", size);
    if (memcmp(data, BWI_NUDITY_MAGIC, 8) != 0)
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED,
                        "nudity model: not a Bulwark nudity model (bad magic)");
    uint32_t version = le32(data + 8);
    if (version != BWI_NUDITY_FORMAT_VERSION)
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED,
                        "nudity model: format version %u, this library reads version %d",
                        version, BWI_NUDITY_FORMAT_VERSION);
    if (bwi_nudity_crc32(data, 60) != le32(data + 60))
        return bwi_fail(ctx, BW_ERR_VERIFY,
                        "nudity model: header checksum mismatch (damaged file)");
    if (le32(data + 12) != BWI_NUDITY_HEADER_BYTES)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "nudity model: bad header size");
    uint64_t file_size = le64(data + 16);
    if (file_size > size)
        return bwi_fail(ctx, BW_ERR_TRUNCATED,
                        "nudity model: truncated: %zu of %llu bytes", size,
                        (unsigned long long)file_size);
    if (file_size < size)
        return bwi_fail(ctx, BW_ERR_CORRUPT,
                        "nudity model: %llu bytes expected, %zu found (trailing data)",
                        (unsigned long long)file_size, size);
    if (bwi_nudity_crc32(data + BWI_NUDITY_HEADER_BYTES, size - BWI_NUDITY_HEADER_BYTES) !=
        le32(data + 24))
        return bwi_fail(ctx, BW_ERR_VERIFY,
                        "nudity model: checksum mismatch (damaged file)");
    for (int i = 40; i < 60; i++)
        if (data[i] != 0)
            return bwi_fail(ctx, BW_ERR_CORRUPT, "nudity model: reserved header bytes set");
    *op_count = le32(data + 28);
    if (*op_count < 1 || *op_count > BWI_NN_MAX_OPS)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "nudity model: %u ops is out of range",
                        *op_count);
    uint32_t h = le16(data + 32), w = le16(data + 34), c = le16(data + 36);
    uint32_t classes = le16(data + 38);
    if (h < 1 || w < 1 || h > BWI_NN_MAX_INPUT || w > BWI_NN_MAX_INPUT || c != 3)
        return bwi_fail(ctx, BW_ERR_CORRUPT,
                        "nudity model: input %ux%ux%u is not supported", h, w, c);
    if (classes != BW_NUDITY_CLASS_COUNT)
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED,
                        "nudity model: %u classes, the API has %d", classes,
                        BW_NUDITY_CLASS_COUNT);
    return BW_OK;
}

bw_status bwi_nudity_parse(bw_ctx *ctx, bw_nudity_model **model_out,
                           const uint8_t *data, size_t size)
{
    uint32_t op_count = 0;
    bw_status st = check_header(ctx, data, size, &op_count);
    if (st != BW_OK)
        return st;
    bw_nudity_model *m = calloc(1, sizeof *m);
    shape *shapes = calloc(op_count, sizeof *shapes);
    if (m)
        m->ops = calloc(op_count, sizeof *m->ops);
    if (!m || !shapes || !m->ops) {
        free(shapes);
        bw_nudity_model_free(m);
        return bwi_fail(ctx, BW_ERR_NOMEM, "nudity model: out of memory");
    }
    m->op_count = op_count;
    m->in_h = le16(data + 32);
    m->in_w = le16(data + 34);
    reader r = {ctx, data, size, BWI_NUDITY_HEADER_BYTES, 0, BW_OK};
    size_t budget = BWI_NN_MAX_WEIGHTS;
    shape image = {m->in_h, m->in_w, 3};
    bool ok = rd_preamble(&r, m, BW_NUDITY_CLASS_COUNT);
    for (; ok && r.op < op_count; r.op++)
        ok = rd_op(&r, m, shapes, image, &budget);
    free(shapes);
    st = ok ? BW_OK : r.status;
    if (st == BW_OK && r.pos != size)
        st = bwi_fail(ctx, BW_ERR_CORRUPT, "nudity model: %zu bytes after the last op",
                      size - r.pos);
    const bwi_nn_op *last = &m->ops[op_count - 1];
    if (st == BW_OK && (last->kind != BWI_NN_DENSE || last->act != BWI_ACT_SOFTMAX ||
                        last->out_c != BW_NUDITY_CLASS_COUNT))
        st = bwi_fail(ctx, BW_ERR_CORRUPT,
                      "nudity model: does not end in a softmax over %d classes",
                      BW_NUDITY_CLASS_COUNT);
    m->weight_floats = BWI_NN_MAX_WEIGHTS - budget;
    if (st == BW_OK)
        st = bwi_nudity_plan(ctx, m);
    if (st != BW_OK) {
        bw_nudity_model_free(m);
        return st;
    }
    *model_out = m;
    return BW_OK;
}

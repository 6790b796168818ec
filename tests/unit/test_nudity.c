/*
 * The nudity classifier without node: small models written here run through
 * the library's interpreter and through a naive double-precision one that
 * follows TensorFlow's definitions (unfolded batch norm, explicit padding),
 * on the scalar and SIMD kernels; the loader against damaged files; the
 * decision rule; the blur; argument checks. The real model's parts skip
 * when it was not built.
 */
#include <math.h>
#include <unistd.h>

#include "harness.h"
#include "nudity/nudity_internal.h"

/* ---- a model writer (the format of tools/nudity/nudity-format.mjs) ---- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}
static void put_u8(buf *b, uint32_t v) { uint8_t x = (uint8_t)v; put(b, &x, 1); }
static void put_u16(buf *b, uint32_t v) { put_u8(b, v & 255); put_u8(b, v >> 8); }
static void put_u32(buf *b, uint32_t v) { put_u16(b, v & 0xffff); put_u16(b, v >> 16); }
static void put_f64(buf *b, double v) { uint64_t u; memcpy(&u, &v, 8); put_u32(b, (uint32_t)u); put_u32(b, (uint32_t)(u >> 32)); }

static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

/* A quantised tensor: its bytes and what they dequantise to (double). */
typedef struct qtensor {
    uint32_t n;
    double min, scale;
    uint8_t *q;
} qtensor;

static uint32_t seed = 7;
static qtensor make_tensor(uint32_t n, double min, double scale)
{
    qtensor t = {n, min, scale, malloc(n ? n : 1)};
    for (uint32_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        t.q[i] = (uint8_t)(seed >> 16);
    }
    return t;
}
static double tv(const qtensor *t, size_t i) { return (float)(t->q[i] * t->scale + t->min); }
static void put_tensor(buf *b, const qtensor *t) { put_u32(b, t->n); put_f64(b, t->min); put_f64(b, t->scale); put(b, t->q, t->n); }

typedef struct top {
    int kind, act, kh, kw, sh, sw, pad[4]; /* t b l r */
    uint32_t cout, other, units;
    int has_bn, has_bias;
    double eps;
    qtensor w, gamma, beta, mean, var, bias;
    /* shapes, filled while building */
    uint32_t ih, iw, ic, oh, ow, oc;
} top;

/* Builds ops in order, filling shapes and random weights. */
static void finish_op(top *op, uint32_t ih, uint32_t iw, uint32_t ic)
{
    op->ih = ih, op->iw = iw, op->ic = ic;
    switch (op->kind) {
    case BWI_NN_CONV:
    case BWI_NN_DEPTHWISE:
        op->oc = op->kind == BWI_NN_DEPTHWISE ? ic : op->cout;
        op->cout = op->oc;
        op->oh = (ih + op->pad[0] + op->pad[1] - op->kh) / op->sh + 1;
        op->ow = (iw + op->pad[2] + op->pad[3] - op->kw) / op->sw + 1;
        op->w = make_tensor((uint32_t)(op->kh * op->kw) * (op->kind == BWI_NN_CONV ? ic : 1) * op->oc,
                            -0.3, 0.6 / 255);
        break;
    case BWI_NN_DENSE:
        op->oh = op->ow = 1, op->oc = op->units;
        op->w = make_tensor(ih * iw * ic * op->units, -0.2, 0.4 / 255);
        break;
    case BWI_NN_AVGPOOL:
        op->oh = op->ow = 1, op->oc = ic;
        break;
    default:
        op->oh = ih, op->ow = iw, op->oc = ic;
    }
    if (op->has_bn) {
        op->eps = 0.001;
        op->gamma = make_tensor(op->oc, 0.5, 1.0 / 255);
        op->beta = make_tensor(op->oc, -0.5, 1.0 / 255);
        op->mean = make_tensor(op->oc, -0.2, 0.4 / 255);
        op->var = make_tensor(op->oc, 0.1, 2.0 / 255);
    }
    if (op->has_bias)
        op->bias = make_tensor(op->oc, -0.1, 0.2 / 255);
}

static buf encode(top *ops, int count, uint32_t h, uint32_t w)
{
    buf body = {0};
    const char *src = "test model";
    put_u16(&body, (uint32_t)strlen(src));
    put(&body, src, strlen(src));
    static const char *const names[] = {"Drawing", "Hentai", "Neutral", "Porn", "Sexy"};
    for (int c = 0; c < 5; c++) {
        put_u8(&body, (uint32_t)strlen(names[c]));
        put(&body, names[c], strlen(names[c]));
    }
    for (int i = 0; i < count; i++) {
        top *op = &ops[i];
        put_u8(&body, (uint32_t)op->kind);
        put_u8(&body, (uint32_t)op->act);
        put_u8(&body, (uint32_t)(op->has_bn | op->has_bias << 1));
        put_u8(&body, 0);
        if (op->kind == BWI_NN_CONV || op->kind == BWI_NN_DEPTHWISE) {
            uint32_t g[8] = {(uint32_t)op->kh, (uint32_t)op->kw, (uint32_t)op->sh, (uint32_t)op->sw,
                             (uint32_t)op->pad[0], (uint32_t)op->pad[1], (uint32_t)op->pad[2], (uint32_t)op->pad[3]};
            for (int j = 0; j < 8; j++)
                put_u8(&body, g[j]);
            put_u32(&body, op->cout);
            put_tensor(&body, &op->w);
        } else if (op->kind == BWI_NN_ADD) {
            put_u32(&body, op->other);
        } else if (op->kind == BWI_NN_AVGPOOL) {
            put_u16(&body, op->ih);
            put_u16(&body, op->iw);
        } else if (op->kind == BWI_NN_DENSE) {
            put_u32(&body, op->units);
            put_tensor(&body, &op->w);
        }
        if (op->has_bn) {
            put_f64(&body, op->eps);
            put_tensor(&body, &op->gamma);
            put_tensor(&body, &op->beta);
            put_tensor(&body, &op->mean);
            put_tensor(&body, &op->var);
        }
        if (op->has_bias)
            put_tensor(&body, &op->bias);
    }
    buf file = {0};
    uint8_t header[64] = "BWNUDITY";
    header[8] = 1, header[12] = 64;
    uint64_t total = 64 + body.n;
    for (int i = 0; i < 8; i++)
        header[16 + i] = (uint8_t)(total >> (8 * i));
    uint32_t bc = crc32(body.p, body.n);
    for (int i = 0; i < 4; i++) {
        header[24 + i] = (uint8_t)(bc >> (8 * i));
        header[28 + i] = (uint8_t)((uint32_t)count >> (8 * i));
    }
    header[32] = (uint8_t)h, header[33] = (uint8_t)(h >> 8);
    header[34] = (uint8_t)w, header[35] = (uint8_t)(w >> 8);
    header[36] = 3, header[38] = 5;
    uint32_t hc = crc32(header, 60);
    for (int i = 0; i < 4; i++)
        header[60 + i] = (uint8_t)(hc >> (8 * i));
    put(&file, header, 64);
    put(&file, body.p, body.n);
    free(body.p);
    return file;
}

static void free_ops(top *ops, int count)
{
    for (int i = 0; i < count; i++) {
        free(ops[i].w.q), free(ops[i].gamma.q), free(ops[i].beta.q);
        free(ops[i].mean.q), free(ops[i].var.q), free(ops[i].bias.q);
    }
}

static double act(double v, int a)
{
    if (a == BWI_ACT_RELU || a == BWI_ACT_RELU6)
        v = v > 0 ? v : 0;
    if (a == BWI_ACT_RELU6)
        v = v < 6 ? v : 6;
    return v;
}

/* The naive interpreter: TensorFlow's definitions, in double. */
static void naive(double *scores, top *ops, int count, const double *input)
{
    double *outs[16];
    for (int i = 0; i < count; i++) {
        top *op = &ops[i];
        const double *in = i ? outs[i - 1] : input;
        double *out = calloc((size_t)op->oh * op->ow * op->oc, sizeof *out);
        outs[i] = out;
        for (uint32_t y = 0; y < op->oh; y++)
            for (uint32_t x = 0; x < op->ow; x++)
                for (uint32_t o = 0; o < op->oc; o++) {
                    double v = 0;
                    size_t at = ((size_t)y * op->ow + x) * op->oc + o;
                    if (op->kind == BWI_NN_CONV || op->kind == BWI_NN_DEPTHWISE) {
                        for (int ky = 0; ky < op->kh; ky++)
                            for (int kx = 0; kx < op->kw; kx++) {
                                long iy = (long)(y * op->sh) + ky - op->pad[0];
                                long ix = (long)(x * op->sw) + kx - op->pad[2];
                                if (iy < 0 || ix < 0 || iy >= (long)op->ih || ix >= (long)op->iw)
                                    continue;
                                const double *px = in + ((size_t)iy * op->iw + (size_t)ix) * op->ic;
                                if (op->kind == BWI_NN_DEPTHWISE)
                                    v += px[o] * tv(&op->w, (size_t)(ky * op->kw + kx) * op->oc + o);
                                else
                                    for (uint32_t c = 0; c < op->ic; c++)
                                        v += px[c] * tv(&op->w, (((size_t)ky * op->kw + kx) * op->ic + c) * op->oc + o);
                            }
                    } else if (op->kind == BWI_NN_ADD) {
                        const double *other = op->other == 0xffffffffu ? input : outs[op->other];
                        v = in[at] + other[at];
                    } else if (op->kind == BWI_NN_AVGPOOL) {
                        for (uint32_t p = 0; p < op->ih * op->iw; p++)
                            v += in[p * op->ic + o];
                        v /= op->ih * op->iw;
                    } else {
                        for (uint32_t k = 0; k < op->ih * op->iw * op->ic; k++)
                            v += in[k] * tv(&op->w, (size_t)k * op->units + o);
                    }
                    if (op->has_bias)
                        v += tv(&op->bias, o);
                    if (op->has_bn)
                        v = tv(&op->beta, o) + (v - tv(&op->mean, o)) * tv(&op->gamma, o) /
                                                   sqrt(tv(&op->var, o) + op->eps);
                    out[at] = act(v, op->act);
                }
    }
    double *last = outs[count - 1], max = last[0], sum = 0;
    for (int c = 1; c < 5; c++)
        max = last[c] > max ? last[c] : max;
    for (int c = 0; c < 5; c++)
        sum += exp(last[c] - max);
    for (int c = 0; c < 5; c++)
        scores[c] = exp(last[c] - max) / sum;
    for (int i = 0; i < count; i++)
        free(outs[i]);
}

#define CONV(k, s, t, b, l, r, n, bn, a) {BWI_NN_CONV, a, k, k, s, s, {t, b, l, r}, n, 0, 0, bn, 0, 0, {0}, {0}, {0}, {0}, {0}, {0}, 0, 0, 0, 0, 0, 0}
#define DW(k, s, t, b, l, r, bn, a) {BWI_NN_DEPTHWISE, a, k, k, s, s, {t, b, l, r}, 0, 0, 0, bn, 0, 0, {0}, {0}, {0}, {0}, {0}, {0}, 0, 0, 0, 0, 0, 0}

/* Odd channel counts, every padding and stride the format allows, biases,
 * residual adds (one of the input image), pooling and dense layers. */
static int tiny_model(top *ops, uint32_t h, uint32_t w)
{
    top list[] = {
        CONV(3, 2, 0, 1, 0, 1, 13, 1, BWI_ACT_RELU6),
        DW(3, 1, 1, 1, 1, 1, 1, BWI_ACT_RELU6),
        CONV(1, 1, 0, 0, 0, 0, 21, 1, BWI_ACT_LINEAR),
        DW(5, 2, 2, 2, 1, 3, 1, BWI_ACT_RELU6),
        CONV(3, 1, 1, 1, 1, 1, 21, 0, BWI_ACT_RELU),
        {BWI_NN_ADD, 0, 0, 0, 0, 0, {0}, 0, 3, 0, 0, 0, 0, {0}, {0}, {0}, {0}, {0}, {0}, 0, 0, 0, 0, 0, 0},
        CONV(1, 1, 0, 0, 0, 0, 40, 1, BWI_ACT_RELU6),
        {BWI_NN_AVGPOOL, 0, 0, 0, 0, 0, {0}, 0, 0, 0, 0, 0, 0, {0}, {0}, {0}, {0}, {0}, {0}, 0, 0, 0, 0, 0, 0},
        {BWI_NN_DENSE, BWI_ACT_RELU, 0, 0, 0, 0, {0}, 0, 0, 11, 0, 1, 0, {0}, {0}, {0}, {0}, {0}, {0}, 0, 0, 0, 0, 0, 0},
        {BWI_NN_DENSE, BWI_ACT_SOFTMAX, 0, 0, 0, 0, {0}, 0, 0, 5, 0, 1, 0, {0}, {0}, {0}, {0}, {0}, {0}, 0, 0, 0, 0, 0, 0},
    };
    int n = (int)(sizeof list / sizeof list[0]);
    list[4].has_bias = 1;
    uint32_t ih = h, iw = w, ic = 3;
    for (int i = 0; i < n; i++) {
        ops[i] = list[i];
        finish_op(&ops[i], ih, iw, ic);
        ih = ops[i].oh, iw = ops[i].ow, ic = ops[i].oc;
    }
    return n; /* the add's operands: the outputs of ops 4 and 3 */
}

static void test_interpreter_matches_naive(void)
{
    for (uint32_t size = 9; size <= 27; size += 9) {
        top ops[16];
        int n = tiny_model(ops, size, size + 4);
        CHECK(ops[3].oh == ops[4].oh && ops[3].ow == ops[4].ow && ops[3].oc == ops[4].oc);
        buf file = encode(ops, n, size, size + 4);
        bw_ctx *ctx;
        bw_ctx_create(&ctx);
        bw_nudity_model *m = NULL;
        CHECK_EQ(bw_nudity_model_from_bytes(ctx, &m, file.p, file.n), BW_OK);
        if (!m) {
            fprintf(stderr, "%s\n", bw_ctx_message(ctx));
            return;
        }
        uint32_t w = size + 4;
        uint8_t *px = malloc((size_t)size * w * 3);
        double *input = malloc((size_t)size * w * 3 * sizeof *input);
        for (size_t i = 0; i < (size_t)size * w * 3; i++) {
            px[i] = (uint8_t)((i * 37 + size) % 256);
            input[i] = (float)(px[i] / 255.0);
        }
        double want[5];
        naive(want, ops, n, input);
        const bwi_nn_kernels *kernels[2] = {&bwi_nn_kernels_scalar, bwi_nn_kernels_best()};
        for (int k = 0; k < 2; k++) {
            float got[5];
            CHECK_EQ(bwi_nudity_classify_with(ctx, got, m, kernels[k], px, (size_t)w * 3, w,
                                              size, BW_PIXEL_RGB8), BW_OK);
            for (int c = 0; c < 5; c++)
                if (fabs(got[c] - want[c]) > 1e-5) {
                    fprintf(stderr, "size %u %s class %d: %.7f, naive %.7f\n", size,
                            kernels[k]->name, c, got[c], want[c]);
                    bwt_failures++;
                }
        }
        free(px);
        free(input);
        free(file.p);
        free_ops(ops, n);
        bw_nudity_model_free(m);
        bw_ctx_free(ctx);
    }
}

/* Rewrites both CRCs so a structural change reaches the parser. */
static void fix_crcs(uint8_t *p, size_t n)
{
    uint32_t bc = crc32(p + 64, n - 64);
    for (int i = 0; i < 4; i++)
        p[24 + i] = (uint8_t)(bc >> (8 * i));
    uint32_t hc = crc32(p, 60);
    for (int i = 0; i < 4; i++)
        p[60 + i] = (uint8_t)(hc >> (8 * i));
}

static void test_structural_errors(void)
{
    top ops[16];
    int n = tiny_model(ops, 18, 22);
    buf file = encode(ops, n, 18, 22);
    bw_ctx *ctx;
    bw_ctx_create(&ctx);
    bw_nudity_model *m = NULL;
    /* Every single byte of the body changed, CRCs rewritten: either still
     * a valid model or a clear error; never a crash (ASan watches). */
    int rejected = 0;
    for (size_t i = 64; i < file.n; i += 3) {
        uint8_t *copy = malloc(file.n);
        memcpy(copy, file.p, file.n);
        copy[i] ^= (uint8_t)(0x5a + i);
        fix_crcs(copy, file.n);
        bw_status st = bw_nudity_model_from_bytes(ctx, &m, copy, file.n);
        if (st != BW_OK) {
            rejected++;
            CHECK(bw_ctx_message(ctx)[0] != '\0');
            CHECK(m == NULL);
        } else {
            float s[5];
            uint8_t px[3 * 5 * 5] = {1, 2, 3};
            CHECK_EQ(bw_nudity_classify_pixels(ctx, s, m, px, 15, 5, 5, BW_PIXEL_RGB8), BW_OK);
            bw_nudity_model_free(m);
        }
        free(copy);
    }
    CHECK(rejected > 0);
    /* The op count in the header larger than the ops present. */
    uint8_t *copy = malloc(file.n);
    memcpy(copy, file.p, file.n);
    copy[28] = (uint8_t)(n + 1);
    fix_crcs(copy, file.n);
    CHECK_EQ(bw_nudity_model_from_bytes(ctx, &m, copy, file.n), BW_ERR_TRUNCATED);
    /* A class in another order. */
    memcpy(copy, file.p, file.n);
    memcpy(copy + 64 + 2 + 10 + 1, "Hxntai", 6);
    fix_crcs(copy, file.n);
    CHECK_EQ(bw_nudity_model_from_bytes(ctx, &m, copy, file.n), BW_ERR_UNSUPPORTED);
    free(copy);
    free(file.p);
    free_ops(ops, n);
    bw_ctx_free(ctx);
}

static uint8_t *real_model(size_t *size)
{
    if (access(BW_NUDITY_MODEL_FILE, R_OK) != 0) {
        printf("(no model at %s: real-model checks skipped)\n", BW_NUDITY_MODEL_FILE);
        return NULL;
    }
    return bwt_read(BW_NUDITY_MODEL_FILE, size);
}

static void test_real_model_damage(void)
{
    size_t size;
    uint8_t *data = real_model(&size);
    if (!data)
        return;
    bw_ctx *ctx;
    bw_ctx_create(&ctx);
    bw_nudity_model *m = NULL;
    CHECK_EQ(bw_nudity_model_from_bytes(ctx, &m, data, size), BW_OK);
    CHECK(m && strstr(bw_nudity_model_source(m), "nsfwjs 4.3.0") != NULL);
    CHECK(size <= 3u * 1024 * 1024);
    printf("model: %zu bytes on disk, %zu in memory, %zu scratch\n", size,
           bw_nudity_model_memory(m), bw_nudity_model_scratch_memory(m));
    CHECK(bw_nudity_model_memory(m) < 16u << 20);
    CHECK(bw_nudity_model_scratch_memory(m) < 24u << 20);
    bw_nudity_model_free(m);

    static const size_t cuts[] = {0, 7, 8, 63, 64, 65, 1000, 100000, 2000000};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        m = NULL;
        bw_status st = bw_nudity_model_from_bytes(ctx, &m, data, cuts[i] < size ? cuts[i] : size - 1);
        CHECK(st == BW_ERR_TRUNCATED || (cuts[i] < 8 && st == BW_ERR_UNSUPPORTED));
        CHECK(m == NULL && bw_ctx_message(ctx)[0]);
    }
    uint8_t *copy = malloc(size + 1);
    static const size_t flips[] = {3, 9, 20, 30, 33, 61, 64, 70, 5000, 1234567};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        memcpy(copy, data, size);
        copy[flips[i]] ^= 0x10;
        bw_status st = bw_nudity_model_from_bytes(ctx, &m, copy, size);
        CHECK(st == BW_ERR_VERIFY || st == BW_ERR_UNSUPPORTED);
        if (flips[i] >= 64)
            CHECK(strstr(bw_ctx_message(ctx), "checksum") != NULL);
    }
    memcpy(copy, data, size);
    copy[8] = 2;
    CHECK_EQ(bw_nudity_model_from_bytes(ctx, &m, copy, size), BW_ERR_UNSUPPORTED);
    CHECK(strstr(bw_ctx_message(ctx), "version 2") != NULL);
    memcpy(copy, data, size);
    copy[size] = 0;
    CHECK_EQ(bw_nudity_model_from_bytes(ctx, &m, copy, size + 1), BW_ERR_CORRUPT);
    CHECK_EQ(bw_nudity_model_load(ctx, &m, "/nonexistent/model.bwnm"), BW_ERR_NOT_FOUND);
    CHECK(strstr(bw_ctx_message(ctx), "/nonexistent/model.bwnm") != NULL);
    free(copy);
    free(data);
    bw_ctx_free(ctx);
}

/* Scalar and SIMD kernels agree on the real model; the context's scratch
 * is reused without changing the answer. */
static void test_real_model_paths(void)
{
    size_t size;
    uint8_t *data = real_model(&size);
    if (!data)
        return;
    bw_ctx *ctx;
    bw_ctx_create(&ctx);
    bw_nudity_model *m = NULL;
    CHECK_EQ(bw_nudity_model_from_bytes(ctx, &m, data, size), BW_OK);
    uint8_t *px = malloc(300 * 200 * 4);
    for (int i = 0; i < 300 * 200 * 4; i++)
        px[i] = (uint8_t)(i * 7 ^ (i >> 9));
    float a[5], b[5], c[5];
    CHECK_EQ(bwi_nudity_classify_with(ctx, a, m, &bwi_nn_kernels_scalar, px, 1200, 300, 200,
                                      BW_PIXEL_RGBA8), BW_OK);
    CHECK_EQ(bw_nudity_classify_pixels(ctx, b, m, px, 1200, 300, 200, BW_PIXEL_RGBA8), BW_OK);
    CHECK_EQ(bw_nudity_classify_pixels(ctx, c, m, px, 1200, 300, 200, BW_PIXEL_RGBA8), BW_OK);
    double sum = 0;
    for (int k = 0; k < 5; k++) {
        CHECK(fabs(a[k] - b[k]) <= 1e-4);
        CHECK(b[k] == c[k]);
        sum += b[k];
    }
    CHECK(fabs(sum - 1.0) < 1e-5);
    /* argument checks */
    CHECK_EQ(bw_nudity_classify_pixels(ctx, a, m, px, 1199, 300, 200, BW_PIXEL_RGBA8),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_nudity_classify_pixels(ctx, a, m, px, 1200, 0, 200, BW_PIXEL_RGBA8),
             BW_ERR_CORRUPT);
    CHECK_EQ(bw_nudity_classify_pixels(ctx, a, m, px, 1200, 300, 200, (bw_pixel_format)99),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_nudity_classify_pixels(ctx, a, NULL, px, 1200, 300, 200, BW_PIXEL_RGBA8),
             BW_ERR_INVALID_ARGUMENT);
    bw_ctx_set_limit(ctx, BW_LIMIT_DIMENSION, 100);
    CHECK_EQ(bw_nudity_classify_pixels(ctx, a, m, px, 1200, 300, 200, BW_PIXEL_RGBA8),
             BW_ERR_TOO_MANY_PIXELS);
    free(px);
    free(data);
    bw_nudity_model_free(m);
    bw_ctx_free(ctx);
}

static void test_decision(void)
{
    CHECK_EQ(bw_nudity_class_count(), 5);
    CHECK_STR(bw_nudity_class_name(BW_NUDITY_PORN), "porn");
    CHECK_STR(bw_nudity_class_name(BW_NUDITY_DRAWING), "drawing");
    CHECK_STR(bw_nudity_class_name((bw_nudity_class)5), "unknown");
    CHECK(bw_nudity_default_threshold() == BW_NUDITY_DEFAULT_THRESHOLD);
    float neutral[5] = {0.1f, 0.05f, 0.7f, 0.05f, 0.1f};
    float sexy[5] = {0.05f, 0.05f, 0.15f, 0.1f, 0.65f};
    CHECK(fabsf(bw_nudity_score(neutral) - 0.2f) < 1e-6f);
    CHECK(fabsf(bw_nudity_score(sexy) - 0.8f) < 1e-6f);
    CHECK_EQ(bw_nudity_should_warn(neutral, BW_NUDITY_DEFAULT_THRESHOLD), 0);
    CHECK_EQ(bw_nudity_should_warn(sexy, BW_NUDITY_DEFAULT_THRESHOLD), 1);
    CHECK_EQ(bw_nudity_should_warn(sexy, 0.85f), 0);
    CHECK_EQ(bw_nudity_should_warn(neutral, 0.2f), 1); /* >= is a warning */
    CHECK_EQ(bw_nudity_should_warn(NULL, 0.5f), 0);
}

static void test_blur(void)
{
    bw_ctx *ctx;
    bw_ctx_create(&ctx);
    enum { W = 97, H = 64 };
    static const bw_pixel_format formats[] = {BW_PIXEL_GREY8, BW_PIXEL_RGB8, BW_PIXEL_RGBA8,
                                              BW_PIXEL_BGRA8, BW_PIXEL_BGR8, BW_PIXEL_ARGB8};
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        size_t bpp = bw_pixel_format_bytes(formats[f]);
        size_t stride = W * bpp + 5, out_stride = W * bpp + 3;
        uint8_t *in = malloc(stride * H), *out = malloc(out_stride * H);
        /* A uniform image stays exactly itself. */
        memset(in, 77, stride * H);
        memset(out, 0xee, out_stride * H);
        CHECK_EQ(bw_nudity_blur_pixels(ctx, out, out_stride, in, stride, W, H, formats[f], 0), BW_OK);
        for (size_t y = 0; y < H; y++) {
            for (size_t x = 0; x < W * bpp; x++)
                if (out[y * out_stride + x] != 77) {
                    bwt_failures++;
                    fprintf(stderr, "blur changed a uniform image at %zu,%zu\n", x, y);
                    y = H;
                    break;
                }
            if (y < H)
                CHECK(out[y * out_stride + W * bpp] == 0xee); /* padding untouched */
        }
        /* A fine checkerboard: its detail is gone. */
        for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W * bpp; x++)
                in[y * stride + x] = ((x / bpp + y) & 1) ? 250 : 10;
        CHECK_EQ(bw_nudity_blur_pixels(ctx, out, out_stride, in, stride, W, H, formats[f], 8), BW_OK);
        int lo = 255, hi = 0;
        for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W * bpp; x++) {
                int v = out[y * out_stride + x];
                lo = v < lo ? v : lo, hi = v > hi ? v : hi;
            }
        CHECK(lo >= 110 && hi <= 150);
        free(in);
        free(out);
    }
    uint8_t px[12] = {0}, out[12];
    CHECK_EQ(bw_nudity_blur_pixels(ctx, out, 3, px, 3, 1, 1, BW_PIXEL_RGB8, 0), BW_OK);
    CHECK_EQ(bw_nudity_blur_pixels(ctx, out, 12, px, 12, 4, 1, BW_PIXEL_RGB8, 1000), BW_OK);
    CHECK_EQ(bw_nudity_blur_pixels(ctx, px, 12, px, 12, 4, 1, BW_PIXEL_RGB8, 0),
             BW_ERR_INVALID_ARGUMENT); /* in place */
    CHECK_EQ(bw_nudity_blur_pixels(ctx, out, 11, px, 12, 4, 1, BW_PIXEL_RGB8, 0),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_nudity_blur_pixels(ctx, out, 12, NULL, 12, 4, 1, BW_PIXEL_RGB8, 0),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_nudity_blur_pixels(ctx, out, 12, px, 12, 0, 1, BW_PIXEL_RGB8, 0), BW_ERR_CORRUPT);
    CHECK(bw_ctx_message(ctx)[0] != '\0');
    bw_ctx_free(ctx);
}

int main(void)
{
    RUN(test_decision);
    RUN(test_interpreter_matches_naive);
    RUN(test_structural_errors);
    RUN(test_real_model_damage);
    RUN(test_real_model_paths);
    RUN(test_blur);
    return BWT_RESULT();
}

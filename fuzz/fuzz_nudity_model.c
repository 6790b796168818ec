/*
 * libFuzzer target for the nudity-model loader. Each input is loaded as it
 * is (which mostly exercises the checksums) and again with both CRC-32s
 * recomputed, so mutations reach the structural checks behind them. A model
 * that loads must classify a small image into finite scores summing to 1;
 * every failure must say why. replay.c drives it over the committed corpus
 * (small models from tools/nudity/make-fuzz-corpus.mjs) in the test run.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <bulwark/bulwark.h>

#include "nudity/nudity_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void try_model(bw_ctx *ctx, const uint8_t *data, size_t size)
{
    bw_nudity_model *model = NULL;
    bw_status st = bw_nudity_model_from_bytes(ctx, &model, data, size);
    if (st != BW_OK) {
        if (model || bw_ctx_message(ctx)[0] == '\0')
            abort();
        return;
    }
    uint8_t pixels[17 * 11 * 3];
    for (size_t i = 0; i < sizeof pixels; i++)
        pixels[i] = (uint8_t)(i * 31);
    float scores[BW_NUDITY_CLASS_COUNT];
    if (bw_nudity_classify_pixels(ctx, scores, model, pixels, 17 * 3, 17, 11,
                                  BW_PIXEL_RGB8) != BW_OK)
        abort();
    double sum = 0;
    for (int c = 0; c < BW_NUDITY_CLASS_COUNT; c++) {
        if (!isfinite(scores[c]) || scores[c] < 0 || scores[c] > 1)
            abort();
        sum += scores[c];
    }
    if (fabs(sum - 1.0) > 1e-3)
        abort();
    bw_nudity_model_free(model);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_ctx *ctx;
    if (bw_ctx_create(&ctx) != BW_OK)
        return 0;
    try_model(ctx, data, size);
    if (size >= 64) {
        uint8_t *copy = malloc(size);
        if (copy) {
            memcpy(copy, data, size);
            put32(copy + 16, (uint32_t)size);
            memset(copy + 20, 0, 4);
            put32(copy + 24, bwi_nudity_crc32(copy + 64, size - 64));
            put32(copy + 60, bwi_nudity_crc32(copy, 60));
            try_model(ctx, copy, size);
            free(copy);
        }
    }
    bw_ctx_free(ctx);
    return 0;
}

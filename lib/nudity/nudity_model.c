/*
 * The model object: loading from a file or memory, the activation-memory
 * plan made once at load time, and accessors.
 */
#include <stdlib.h>
#include <string.h>

#include "nudity_internal.h"

/* Floats rounded up so every scratch area starts on a 64-byte boundary. */
static size_t aligned_floats(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/*
 * Gives each op's output a slot of scratch, reusing a slot once no later op
 * reads what it holds. A value is live from the op that makes it to the
 * last op that reads it (the next op, or an add further on); an op's
 * output never shares a slot with its inputs.
 */
bw_status bwi_nudity_plan(bw_ctx *ctx, bw_nudity_model *m)
{
    uint32_t n = m->op_count;
    uint32_t *last_use = calloc(n, sizeof *last_use);
    if (!last_use)
        return bwi_fail(ctx, BW_ERR_NOMEM, "nudity model: out of memory");
    for (uint32_t i = 0; i < n; i++) {
        last_use[i] = i + 1 < n ? i + 1 : i;
        if (m->ops[i].kind == BWI_NN_ADD && m->ops[i].other >= 0 &&
            last_use[m->ops[i].other] < i)
            last_use[m->ops[i].other] = i;
    }
    int holder[BWI_NN_MAX_SLOTS]; /* op whose output a slot holds, or -1 */
    for (int s = 0; s < BWI_NN_MAX_SLOTS; s++)
        holder[s] = -1;
    m->slot_count = 0;
    m->im2col_floats = 0;
    bw_status st = BW_OK;
    for (uint32_t i = 0; i < n && st == BW_OK; i++) {
        bwi_nn_op *op = &m->ops[i];
        op->in_slot = i == 0 ? -1 : m->ops[i - 1].out_slot;
        op->other_slot = op->kind == BWI_NN_ADD && op->other >= 0
                             ? m->ops[op->other].out_slot : -1;
        int slot = -1;
        for (int s = 0; s < BWI_NN_MAX_SLOTS && slot < 0; s++)
            if (holder[s] < 0 || last_use[holder[s]] < i)
                slot = s;
        if (slot < 0) {
            st = bwi_fail(ctx, BW_ERR_UNSUPPORTED,
                          "nudity model: op %u needs more than %d live tensors", i,
                          BWI_NN_MAX_SLOTS);
            break;
        }
        holder[slot] = (int)i;
        op->out_slot = slot;
        if (slot + 1 > m->slot_count)
            m->slot_count = slot + 1;
        size_t out = (size_t)op->out_h * op->out_w * op->out_c;
        if (out > m->slot_floats[slot])
            m->slot_floats[slot] = out;
        /* Convolutions other than 1x1/stride 1/unpadded gather one output
         * row of patches at a time. */
        bool direct = op->kh == 1 && op->kw == 1 && op->sh == 1 && op->sw == 1 &&
                      !op->pad_t && !op->pad_b && !op->pad_l && !op->pad_r;
        if (op->kind == BWI_NN_CONV && !direct) {
            size_t row = (size_t)op->out_w * op->kh * op->kw * op->in_c;
            if (row > m->im2col_floats)
                m->im2col_floats = row;
        }
    }
    free(last_use);
    if (st != BW_OK)
        return st;
    size_t total = aligned_floats((size_t)m->in_h * m->in_w * 3);
    for (int s = 0; s < m->slot_count; s++)
        total += aligned_floats(m->slot_floats[s]);
    total += aligned_floats(m->im2col_floats);
    m->scratch_floats = total;
    return BW_OK;
}

void bwi_nudity_layout(const bw_nudity_model *m, float *scratch,
                       float **input, float *slots[BWI_NN_MAX_SLOTS],
                       float **im2col)
{
    float *p = scratch;
    *input = p;
    p += aligned_floats((size_t)m->in_h * m->in_w * 3);
    for (int s = 0; s < m->slot_count; s++) {
        slots[s] = p;
        p += aligned_floats(m->slot_floats[s]);
    }
    *im2col = p;
}

BW_API bw_status bw_nudity_model_from_bytes(bw_ctx *ctx,
                                            bw_nudity_model **model_out,
                                            const void *data, size_t size)
{
    bwi_clear(ctx);
    if (!model_out)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "model_out is NULL");
    *model_out = NULL;
    if (!data && size)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "data is NULL");
    return bwi_nudity_parse(ctx, model_out, data ? data : "", size);
}

BW_API bw_status bw_nudity_model_load(bw_ctx *ctx, bw_nudity_model **model_out,
                                      const char *path)
{
    if (!ctx || !model_out || !path)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "NULL argument");
    bwi_clear(ctx);
    *model_out = NULL;
    const uint8_t *data;
    size_t size;
    bw_status st = bwi_read_file(ctx, path, &data, &size);
    if (st != BW_OK) {
        char detail[BWI_MESSAGE_MAX];
        memcpy(detail, ctx->message, sizeof detail);
        return bwi_fail(ctx, st, "nudity model %s: %s", path, detail);
    }
    return bwi_nudity_parse(ctx, model_out, data, size);
}

BW_API void bw_nudity_model_free(bw_nudity_model *model)
{
    if (!model)
        return;
    for (uint32_t i = 0; model->ops && i < model->op_count; i++) {
        free(model->ops[i].weights);
        free(model->ops[i].bias);
    }
    free(model->ops);
    free(model);
}

BW_API const char *bw_nudity_model_source(const bw_nudity_model *model)
{
    return model ? model->source : "";
}

BW_API size_t bw_nudity_model_memory(const bw_nudity_model *model)
{
    if (!model)
        return 0;
    size_t bias = 0;
    for (uint32_t i = 0; i < model->op_count; i++)
        if (model->ops[i].bias)
            bias += model->ops[i].out_c;
    return sizeof *model + model->op_count * sizeof *model->ops +
           (model->weight_floats + bias) * sizeof(float);
}

BW_API size_t bw_nudity_model_scratch_memory(const bw_nudity_model *model)
{
    return model ? model->scratch_floats * sizeof(float) : 0;
}

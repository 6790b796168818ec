/*
 * vPDQ signal values in the public API: normalisation, and conversion from
 * and to a bw_vpdq (the hash of a video, or a parsed vPDQ file).
 */
#include <math.h>
#include <stdlib.h>

#include "bulwark/bw_video.h"
#include "common/bw_internal.h"
#include "vpdq_value.h"

bw_status bwi_vpdq_normalize(char *out, size_t out_size, const char *value, size_t len,
                             const char **why)
{
    const char *reason = NULL;
    bwi_vframe *frames;
    size_t count;
    bw_status st = bwi_vtext_parse(value, len, &frames, &count, &reason);
    if (st == BW_OK && bwi_vtext_size(frames, count) > out_size) {
        reason = "the output buffer is too small (see bw_signal_normalized_size)";
        st = BW_ERR_INVALID_ARGUMENT;
    }
    if (st == BW_OK)
        bwi_vtext_write(out, frames, count);
    else if (why)
        *why = reason;
    free(frames);
    return st;
}

/* The frames of a hash as a signal holds them; NULL when there are none,
 * too many, or memory ran out. */
static bwi_vframe *frames_of(const bw_vpdq *v, size_t *count_out)
{
    const size_t n = v ? bw_vpdq_count(v) : 0;
    if (n == 0 || n > BW_SIGNAL_VPDQ_FRAMES_MAX)
        return NULL;
    bwi_vframe *frames = malloc(n * sizeof *frames);
    for (size_t i = 0; frames && i < n; i++) {
        int quality = 0;
        double seconds = 0;
        bw_vpdq_get(v, i, NULL, &quality, frames[i].hash, &seconds);
        const double ms = floor(seconds * 1000.0 + 0.5);
        frames[i].quality = (uint8_t)(quality < 0 ? 0 : quality > 100 ? 100 : quality);
        frames[i].ms = ms <= 0 ? 0 : ms >= 4294967295.0 ? UINT32_MAX : (uint32_t)ms;
    }
    *count_out = n;
    return frames;
}

BW_API size_t bw_vpdq_signal_size(const bw_vpdq *vpdq)
{
    size_t n;
    bwi_vframe *frames = frames_of(vpdq, &n);
    const size_t size = frames ? bwi_vtext_size(frames, n) : 0;
    free(frames);
    return size;
}

BW_API bw_status bw_vpdq_signal_write(char *out, size_t out_size, const bw_vpdq *vpdq)
{
    if (!out || !vpdq)
        return BW_ERR_INVALID_ARGUMENT;
    size_t n;
    bwi_vframe *frames = frames_of(vpdq, &n);
    if (!frames) {
        const size_t count = bw_vpdq_count(vpdq);
        return count == 0 || count > BW_SIGNAL_VPDQ_FRAMES_MAX ? BW_ERR_INVALID_ARGUMENT
                                                               : BW_ERR_NOMEM;
    }
    bw_status st = BW_OK;
    if (bwi_vtext_size(frames, n) > out_size)
        st = BW_ERR_INVALID_ARGUMENT;
    else
        bwi_vtext_write(out, frames, n);
    free(frames);
    return st;
}

BW_API bw_status bw_vpdq_signal_parse(bw_ctx *ctx, bw_vpdq **vpdq_out, const char *value,
                                      size_t len)
{
    if (!ctx || !vpdq_out || (!value && len))
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    *vpdq_out = NULL;
    const char *why = NULL;
    bwi_vframe *frames;
    size_t count;
    bw_status st = bwi_vtext_parse(value ? value : "", len, &frames, &count, &why);
    if (st != BW_OK)
        return bwi_fail(ctx, st, "invalid vpdq value: %s", why ? why : bw_strerror(st));
    bw_vpdq *v = NULL;
    st = bw_vpdq_create(&v);
    for (size_t i = 0; st == BW_OK && i < count; i++)
        st = bw_vpdq_append(v, (int64_t)i, frames[i].quality, frames[i].hash,
                            frames[i].ms / 1000.0);
    free(frames);
    if (st != BW_OK) {
        bw_vpdq_free(v);
        return bwi_fail(ctx, st, "out of memory reading a vpdq value");
    }
    *vpdq_out = v;
    return BW_OK;
}

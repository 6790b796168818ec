/*
 * libFuzzer targets for video: with BW_FUZZ_VPDQ_TEXT the vPDQ text parser
 * (whose output must write back to text that parses to the same lines),
 * with BW_FUZZ_VPDQ_SIGNAL the vPDQ signal value parser (banks and the
 * service take these values from outside: the canonical form must be a
 * fixed point and read back to the same frames), otherwise the video entry point bw_vpdq_hash_bytes() at native size and
 * scaled on two threads. Without libFuzzer, replay.c runs them over the
 * committed corpus in the normal test run.
 */
#include <stdlib.h>
#include <string.h>

#include <bulwark/bulwark.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if defined(BW_FUZZ_VPDQ_SIGNAL)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const size_t cap = bw_signal_normalized_size(BW_SIGNAL_VPDQ, size);
    char *canon = malloc(cap), *again = malloc(cap);
    bw_ctx *ctx = NULL;
    if (!canon || !again || bw_ctx_create(&ctx) != BW_OK)
        goto out;
    const char *why = NULL;
    bw_status st = bw_signal_normalize(canon, cap, BW_SIGNAL_VPDQ, text, size, &why);
    if (st == BW_ERR_PARSE && !why)
        abort(); /* every rejection must say why */
    if (st != BW_OK)
        goto out;
    const size_t len = strlen(canon);
    if (bw_signal_normalize(again, cap, BW_SIGNAL_VPDQ, canon, len, NULL) != BW_OK ||
        strcmp(canon, again) != 0)
        abort(); /* the canonical form is its own canonical form */
    bw_vpdq *v = NULL;
    if (bw_vpdq_signal_parse(ctx, &v, text, size) != BW_OK)
        abort(); /* normalize and parse agree */
    const size_t need = bw_vpdq_signal_size(v);
    char *written = need ? malloc(need) : NULL;
    if (!written || bw_vpdq_signal_write(written, need, v) != BW_OK ||
        strcmp(written, canon) != 0)
        abort(); /* the frames write back to the canonical text */
    double q = -1, c = -1;
    if (bw_vpdq_match(&q, &c, v, v, 0, 0, 0) != BW_OK || q != 100.0 || c != 100.0)
        abort();
    free(written);
    bw_vpdq_free(v);
out:
    bw_ctx_free(ctx);
    free(canon);
    free(again);
    return 0;
}
#elif defined(BW_FUZZ_VPDQ_TEXT)
static char *text_of(const bw_vpdq *v, size_t *len_out)
{
    size_t n = bw_vpdq_count(v), len = 0;
    char *text = malloc(n * BW_VPDQ_LINE_MAX + 1);
    if (!text)
        return NULL;
    for (size_t i = 0; i < n; i++)
        len += bw_vpdq_write_line(text + len, v, i);
    *len_out = len;
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_ctx *ctx;
    if (bw_ctx_create(&ctx) != BW_OK)
        return 0;
    bw_vpdq *v = NULL;
    bw_status st = bw_vpdq_parse(ctx, &v, (const char *)data, size, 10000);
    if (st != BW_OK && bw_ctx_message(ctx)[0] == '\0')
        abort(); /* every failure must say why */
    if (st == BW_OK) {
        size_t len = 0, len2 = 0;
        char *text = text_of(v, &len);
        bw_vpdq *again = NULL;
        if (text && bw_vpdq_parse(ctx, &again, text, len, 0) != BW_OK)
            abort(); /* what we write, we read */
        char *text2 = again ? text_of(again, &len2) : NULL;
        if (text2 && (len2 != len || memcmp(text, text2, len) != 0))
            abort();
        double q = -1, c = -1;
        if (bw_vpdq_match(&q, &c, v, v, 0, 0, 0) != BW_OK || q != 100.0 || c != 100.0)
            abort(); /* a video matches itself */
        free(text);
        free(text2);
        bw_vpdq_free(again);
    }
    bw_vpdq_free(v);
    bw_ctx_free(ctx);
    return 0;
}
#else
static void hash_once(bw_ctx *ctx, const uint8_t *data, size_t size, uint32_t side,
                      double seconds, int threads)
{
    bw_vpdq_options *o;
    if (bw_vpdq_options_create(&o) != BW_OK)
        return;
    /* Bounded so that the fuzzer explores formats, not long decodes. */
    bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_FRAMES, 64);
    bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_FRAME_PIXELS, 1 << 20);
    bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_DECODE_MS, 10000);
    bw_vpdq_options_set_frame_size(o, side);
    bw_vpdq_options_set_seconds_per_hash(o, seconds);
    bw_vpdq_options_set_threads(o, threads);
    bw_vpdq_options_set_keep_partial(o, 1);
    bw_vpdq *v = NULL;
    bw_status st = bw_vpdq_hash_bytes(ctx, &v, o, data, size);
    if (st != BW_OK && bw_ctx_message(ctx)[0] == '\0')
        abort();
    if (st == BW_OK && bw_vpdq_count(v) == 0)
        abort(); /* success means at least one frame */
    int64_t previous = -1;
    for (size_t i = 0; i < bw_vpdq_count(v); i++) {
        int64_t frame;
        int quality;
        bw_vpdq_get(v, i, &frame, &quality, NULL, NULL);
        if (frame <= previous || quality < 0 || quality > 100)
            abort(); /* frames in order, qualities in range */
        previous = frame;
    }
    bw_vpdq_free(v);
    bw_vpdq_options_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_ctx *ctx;
    if (bw_ctx_create(&ctx) != BW_OK)
        return 0;
    hash_once(ctx, data, size, 0, 0, 1);
    hash_once(ctx, data, size, 32, 0.1, 2);
    bw_ctx_free(ctx);
    return 0;
}
#endif

/*
 * Hostile and damaged video: truncated and bit-flipped copies of the
 * golden videos, non-videos, every limit, and bad options. Nothing may
 * crash; every failure must say why, and truncation must say how far
 * decoding got. Frames hashed before a failure (keep_partial) must be the
 * frames of the intact video.
 */
#include "video_util.h"

static bw_ctx *ctx;
static unsigned char *video;
static size_t video_size;
static char *full_text; /* the intact video's vPDQ text */

static bw_status hash_with(const void *data, size_t size, const bw_vpdq_options *o,
                           bw_vpdq **out)
{
    bw_status st = bw_vpdq_hash_bytes(ctx, out, o, data, size);
    if (st != BW_OK && bw_ctx_message(ctx)[0] == '\0') {
        fprintf(stderr, "status %s without a message\n", bw_status_code(st));
        CHECK(0);
    }
    return st;
}

/* Partial results must repeat the intact video's lines, except the last
 * couple, whose data may have been cut. */
static void check_prefix(const bw_vpdq *v)
{
    char *text = bwt_vpdq_text(v);
    size_t n = bw_vpdq_count(v), keep = n > 2 ? n - 2 : 0;
    const char *end = text;
    for (size_t i = 0; i < keep; i++)
        end = strchr(end, '\n') + 1;
    CHECK(strncmp(text, full_text, (size_t)(end - text)) == 0);
    free(text);
}

static void truncated_copies(void)
{
    bw_vpdq_options *o = bwt_options(0, 0, 1);
    bw_vpdq_options_set_keep_partial(o, 1);
    int truncated = 0;
    for (int cut = 1; cut < 20; cut++) {
        size_t size = video_size * (size_t)cut / 20;
        bw_vpdq *v = NULL;
        bw_status st = hash_with(video, size, o, &v);
        CHECK(st != BW_OK);
        if (st == BW_ERR_TRUNCATED) {
            truncated++;
            const char *m = bw_ctx_message(ctx);
            CHECK(strstr(m, "ends") != NULL);
            CHECK(strstr(m, "after") != NULL || strstr(m, "before any frame") != NULL ||
                  strstr(m, "header") != NULL);
        }
        if (v) {
            CHECK(bw_vpdq_count(v) < 30);
            check_prefix(v);
        }
        bw_vpdq_free(v);
    }
    /* Every cut of an MP4 is found from its box sizes. */
    CHECK_EQ(truncated, 19);
    bw_vpdq_options_free(o);
}

static void corrupt_copies(void)
{
    unsigned char *copy = malloc(video_size);
    uint32_t seed = 12345;
    for (int round = 0; round < 40; round++) {
        memcpy(copy, video, video_size);
        for (int flips = 0; flips < 1 + round; flips++) {
            seed = seed * 1103515245u + 12345u;
            copy[(seed >> 8) % video_size] ^= (unsigned char)(1u << (seed & 7));
        }
        bw_vpdq *v = NULL;
        bw_status st = hash_with(copy, video_size, NULL, &v);
        CHECK((st == BW_OK) == (v != NULL));
        bw_vpdq_free(v);
    }
    free(copy);
}

static void not_videos(void)
{
    bw_vpdq *v = (bw_vpdq *)1;
    CHECK_EQ(bw_vpdq_hash_bytes(ctx, &v, NULL, "", 0), BW_ERR_UNSUPPORTED);
    CHECK(v == NULL);
    const char text[] = "just some words, not a video at all\n";
    CHECK_EQ(hash_with(text, sizeof text - 1, NULL, &v), BW_ERR_UNSUPPORTED);
    /* A container header with nothing behind it. */
    CHECK_EQ(hash_with(video, 40, NULL, &v), BW_ERR_TRUNCATED);
    CHECK_EQ(bw_vpdq_hash_file(ctx, &v, NULL, "/nonexistent/v.mp4"), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_vpdq_hash_file(ctx, &v, NULL, "/"), BW_ERR_IO);
    CHECK_EQ(bw_vpdq_hash_bytes(NULL, &v, NULL, video, video_size), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_hash_bytes(ctx, NULL, NULL, video, video_size), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_hash_bytes(ctx, &v, NULL, NULL, 10), BW_ERR_INVALID_ARGUMENT);
}

static void expect_limit(bw_video_limit which, uint64_t value, bw_status want, const char *word)
{
    bw_vpdq_options *o = bwt_options(0, 0, 1);
    CHECK_EQ(bw_vpdq_options_set_limit(o, which, value), BW_OK);
    CHECK_EQ(bw_vpdq_options_get_limit(o, which), value);
    bw_vpdq *v = NULL;
    CHECK_EQ(hash_with(video, video_size, o, &v), want);
    if (!strstr(bw_ctx_message(ctx), word))
        fprintf(stderr, "message '%s' lacks '%s'\n", bw_ctx_message(ctx), word);
    CHECK(strstr(bw_ctx_message(ctx), word) != NULL);
    CHECK(v == NULL);
    bw_vpdq_options_free(o);
}

static void limits(void)
{
    /* The MP4 header gives the frame count and duration: refused before
     * any frame is decoded. */
    expect_limit(BW_VIDEO_LIMIT_FRAMES, 10, BW_ERR_LIMIT, "limit of 10");
    expect_limit(BW_VIDEO_LIMIT_DURATION_MS, 1500, BW_ERR_LIMIT, "1.5 s");
    expect_limit(BW_VIDEO_LIMIT_FRAME_PIXELS, 640 * 360 - 1, BW_ERR_TOO_MANY_PIXELS, "pixels");
    expect_limit(BW_VIDEO_LIMIT_DECODE_MS, 1, BW_ERR_TIMEOUT, "1 ms");
    bw_ctx_set_limit(ctx, BW_LIMIT_DIMENSION, 600);
    bw_vpdq *v = NULL;
    CHECK_EQ(hash_with(video, video_size, NULL, &v), BW_ERR_TOO_MANY_PIXELS);
    bw_ctx_set_limit(ctx, BW_LIMIT_DIMENSION, 65535);
    bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, 1000);
    CHECK_EQ(hash_with(video, video_size, NULL, &v), BW_ERR_TOO_LARGE);
    bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, 256u << 20);
    /* WebM has no frame count: the limit is hit while decoding, and the
     * frames before it are kept on request. */
    char path[4096];
    snprintf(path, sizeof path, "%s/video/vp9-150x100.webm", BW_TEST_DATA);
    bw_vpdq_options *o = bwt_options(0, 0, 1);
    bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_FRAMES, 10);
    CHECK_EQ(bw_vpdq_hash_file(ctx, &v, o, path), BW_ERR_LIMIT);
    CHECK(v == NULL && strstr(bw_ctx_message(ctx), "after 10 frames") != NULL);
    bw_vpdq_options_set_keep_partial(o, 1);
    CHECK_EQ(bw_vpdq_hash_file(ctx, &v, o, path), BW_ERR_LIMIT);
    CHECK(v != NULL);
    CHECK_EQ(bw_vpdq_count(v), 10);
    bw_vpdq_free(v);
    bw_vpdq_options_free(o);
    /* Frames too small for PDQ are refused before decoding. */
    o = bwt_options(4, 0, 1);
    CHECK_EQ(hash_with(video, video_size, o, &v), BW_ERR_IMAGE_TOO_SMALL);
    bw_vpdq_options_free(o);
}

static void bad_options(void)
{
    bw_vpdq_options *o = bwt_options(0, 0, 1);
    CHECK_EQ(bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_FRAMES, 0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_options_set_limit(o, (bw_video_limit)99, 5), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_options_get_limit(o, (bw_video_limit)0), 0);
    CHECK_EQ(bw_vpdq_options_set_seconds_per_hash(o, -1), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_options_set_seconds_per_hash(o, 0.0 / 0.0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_options_set_seconds_per_hash(o, 1.0 / 0.0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_options_set_frame_size(o, 8193), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_options_set_threads(o, 0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_options_set_threads(o, 257), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_options_get_limit(o, BW_VIDEO_LIMIT_STREAMS), 64);
    CHECK_EQ(bw_vpdq_options_get_limit(o, BW_VIDEO_LIMIT_FRAME_PIXELS), 8192 * 4320);
    bw_vpdq_options_free(o);
    bw_vpdq_options_free(NULL);
    /* A very long interval hashes only the first frame. */
    o = bwt_options(0, 1e12, 1);
    bw_vpdq *v = NULL;
    CHECK_EQ(hash_with(video, video_size, o, &v), BW_OK);
    CHECK_EQ(bw_vpdq_count(v), 1);
    CHECK_EQ(bw_vpdq_frames_decoded(v), 30);
    bw_vpdq_free(v);
    bw_vpdq_options_free(o);
}

int main(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/video/h264-640x360.mp4", BW_TEST_DATA);
    video = bwt_read(path, &video_size);
    snprintf(path, sizeof path, "%s/video/h264-640x360.s0.txt", BW_TEST_DATA);
    size_t n;
    unsigned char *t = bwt_read(path, &n);
    if (!video || !t || bw_ctx_create(&ctx) != BW_OK)
        return 1;
    full_text = calloc(1, n + 1);
    memcpy(full_text, t, n);
    free(t);
    RUN(truncated_copies);
    RUN(corrupt_copies);
    RUN(not_videos);
    RUN(limits);
    RUN(bad_options);
    bw_ctx_free(ctx);
    free(video);
    free(full_text);
    return BWT_RESULT();
}

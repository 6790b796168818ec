/*
 * vPDQ conformance in every clone: the small synthetic videos in
 * tests/data/video hash exactly as Meta's vpdq-hash-video printed them
 * (every frame at native size, at 64x64 where no blur is applied, at
 * 128x128, one frame a second), from a file, from memory and on several
 * threads; and the C++ reference's matching gives its percentages.
 */
#include "video_util.h"

static bw_ctx *ctx;
static char path[4096], expected[4096];

static const char *data(const char *name)
{
    snprintf(path, sizeof path, "%s/video/%s", BW_TEST_DATA, name);
    return path;
}

static const char *expect(const char *name)
{
    snprintf(expected, sizeof expected, "%s/video/%s", BW_TEST_DATA, name);
    return expected;
}

static void check(const char *video, const char *expected_name, uint32_t side, double seconds,
                  int threads)
{
    bw_vpdq_options *o = bwt_options(side, seconds, threads);
    size_t lines = bwt_check_vpdq_file(ctx, data(video), o, expect(expected_name));
    CHECK(lines > 0);
    bw_vpdq_options_free(o);
}

static void reference_outputs(void)
{
    static const char *const videos[] = {"h264-640x360", "mjpeg-96x72", "vp9-150x100"};
    static const char *const ext[] = {"mp4", "avi", "webm"};
    for (int i = 0; i < 3; i++) {
        char video[64], name[64];
        snprintf(video, sizeof video, "%s.%s", videos[i], ext[i]);
        snprintf(name, sizeof name, "%s.s0.txt", videos[i]);
        check(video, name, 0, 0, 1);
        snprintf(name, sizeof name, "%s.s64.txt", videos[i]);
        check(video, name, 64, 0, 1);
        snprintf(name, sizeof name, "%s.r1.txt", videos[i]);
        check(video, name, 0, 1, 1);
    }
    check("h264-640x360.mp4", "h264-640x360.s128.txt", 128, 0, 1);
}

static void threads_do_not_change_output(void)
{
    check("h264-640x360.mp4", "h264-640x360.s0.txt", 0, 0, 3);
    check("h264-640x360.mp4", "h264-640x360.r1.txt", 0, 1, 2);
    check("mjpeg-96x72.avi", "mjpeg-96x72.s64.txt", 64, 0, 4);
}

/* Dropping unsampled non-reference frames changes nothing but the work. */
static void skipping_unsampled_frames(void)
{
    bw_vpdq_options *o = bwt_options(0, 1, 1);
    bw_vpdq_options_set_skip_unsampled(o, 1);
    CHECK(bwt_check_vpdq_file(ctx, data("h264-640x360.mp4"), o, expect("h264-640x360.r1.txt")));
    bw_vpdq *v = NULL, *full = NULL;
    CHECK_EQ(bw_vpdq_hash_file(ctx, &v, o, data("h264-640x360.mp4")), BW_OK);
    /* 30 frames, 3 sampled; the B-frames that are not references go. */
    CHECK_EQ(bw_vpdq_frames_decoded(v), 30);
    CHECK(bw_vpdq_frames_skipped(v) > 0 && bw_vpdq_frames_skipped(v) < 27);
    bw_vpdq_free(v);
    /* Other intervals, and codecs it does not apply to, on several threads. */
    static const char *const videos[] = {"h264-640x360.mp4", "mjpeg-96x72.avi",
                                         "vp9-150x100.webm"};
    for (int i = 0; i < 3; i++) {
        for (int threads = 1; threads <= 2; threads++) {
            bw_vpdq_options *plain = bwt_options(0, 0.3, threads);
            bw_vpdq_options_set_threads(o, threads);
            bw_vpdq_options_set_seconds_per_hash(o, 0.3);
            CHECK_EQ(bw_vpdq_hash_file(ctx, &v, o, data(videos[i])), BW_OK);
            CHECK_EQ(bw_vpdq_hash_file(ctx, &full, plain, data(videos[i])), BW_OK);
            char *a = bwt_vpdq_text(v), *b = bwt_vpdq_text(full);
            CHECK_STR(a, b);
            CHECK_EQ(bw_vpdq_frames_decoded(v), bw_vpdq_frames_decoded(full));
            CHECK(i == 0 ? bw_vpdq_frames_skipped(v) > 0 : bw_vpdq_frames_skipped(v) == 0);
            CHECK_EQ(bw_vpdq_frames_skipped(full), 0);
            free(a);
            free(b);
            bw_vpdq_free(v);
            bw_vpdq_free(full);
            bw_vpdq_options_free(plain);
        }
    }
    bw_vpdq_options_free(o);
}

static void memory_equals_file(void)
{
    size_t size = 0, expected_size = 0;
    unsigned char *video = bwt_read(data("h264-640x360.mp4"), &size);
    char *want = (char *)bwt_read(expect("h264-640x360.s0.txt"), &expected_size);
    CHECK(video && want);
    bw_vpdq *v = NULL;
    CHECK_EQ(bw_vpdq_hash_bytes(ctx, &v, NULL, video, size), BW_OK);
    char *text = v ? bwt_vpdq_text(v) : NULL;
    CHECK(text && strlen(text) == expected_size && !memcmp(text, want, expected_size));
    CHECK_EQ(bw_vpdq_count(v), 30);
    CHECK_EQ(bw_vpdq_frames_decoded(v), 30);
    CHECK_EQ(bw_vpdq_width(v), 640);
    CHECK_EQ(bw_vpdq_height(v), 360);
    CHECK(bw_vpdq_frame_rate(v) == 10.0);
    free(text);
    bw_vpdq_free(v);
    free(video);
    free(want);
}

static void reference_matching(void)
{
    char csv[4096], dir[4096];
    bool skipped;
    snprintf(csv, sizeof csv, "%s/video/expected-match.csv", BW_TEST_DATA);
    snprintf(dir, sizeof dir, "%s/video", BW_TEST_DATA);
    CHECK_EQ(bwt_check_match_csv(ctx, csv, dir, &skipped), 24);
}

/* A parsed reference file matches the hash computed from the video. */
static void parsed_equals_hashed(void)
{
    bw_vpdq *parsed = bwt_parse_vpdq_file(ctx, expect("vp9-150x100.s0.txt")), *hashed = NULL;
    CHECK_EQ(bw_vpdq_hash_file(ctx, &hashed, NULL, data("vp9-150x100.webm")), BW_OK);
    double qp = 0, cp = 0;
    CHECK_EQ(bw_vpdq_match(&qp, &cp, parsed, hashed, 0, 0, 0), BW_OK);
    CHECK(qp == 100.0 && cp == 100.0);
    bw_vpdq_free(parsed);
    bw_vpdq_free(hashed);
}

int main(void)
{
    if (bw_ctx_create(&ctx) != BW_OK)
        return 1;
    RUN(reference_outputs);
    RUN(threads_do_not_change_output);
    RUN(skipping_unsampled_frames);
    RUN(memory_equals_file);
    RUN(reference_matching);
    RUN(parsed_equals_hashed);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

/*
 * vPDQ against the reference's data in ../shared/testdata/vpdq: the 7
 * sample videos hash byte for byte as vpdq-hash-video printed them with
 * Debian 12's FFmpeg 5.1 (every frame, native size and 128x128), meet the
 * reference's own regression criterion against upstream's sample hashes
 * (made with another FFmpeg), and the C++ reference's matching gives its
 * percentages on pairs of them. Skipped when ../shared is absent.
 */
#include <dirent.h>

#include "video_util.h"

static bw_ctx *ctx;
static char dir[4096];

static const char *const videos[] = {
    "chair-19-sd-bar",       "chair-orig-22-sd-bar",          "doorknob-hd-no-bar",
    "pattern-sd-grey-bar",   "pattern-sd-with-large-logo-bar", "pattern-sd-with-small-logo-bar",
    "test-padded-dimensions"};
#define VIDEO_COUNT (sizeof videos / sizeof videos[0])

static const char *file(const char *sub, const char *name, const char *suffix)
{
    static char path[3][8192];
    static int next;
    char *p = path[next++ % 3];
    snprintf(p, sizeof path[0], "%s/%s/%s%s", dir, sub, name, suffix);
    return p;
}

static void byte_identical(void)
{
    size_t lines = 0;
    for (size_t i = 0; i < VIDEO_COUNT; i++) {
        for (int scaled = 0; scaled < 2; scaled++) {
            bw_vpdq_options *o = bwt_options(scaled ? 128 : 0, 0, 1 + (int)(i % 3));
            lines += bwt_check_vpdq_file(ctx, file("sample-videos", videos[i], ".mp4"), o,
                                         file("generated-ffmpeg5.1", videos[i],
                                              scaled ? "-128x128.txt" : ".txt"));
            bw_vpdq_options_free(o);
        }
    }
    printf("  %zu frame lines identical\n", lines);
    CHECK_EQ(lines, 2 * (564 + 673 + 120 + 3 * 206 + 150));
}

/* match-hashes-byline EXPECTED OURS 31 50: line by line, frames where both
 * have quality >= 50, matched at distance < 31; the reference's test wants
 * 100 %. */
static void reference_criterion(void)
{
    for (size_t i = 0; i < VIDEO_COUNT; i++) {
        for (int scaled = 0; scaled < 2; scaled++) {
            const char *suffix = scaled ? "-128x128.txt" : ".txt";
            const char *expected_path = file("sample-hashes", videos[i], suffix);
            FILE *exists = fopen(expected_path, "r");
            if (!exists)
                continue; /* upstream has no 128x128 file for every video */
            fclose(exists);
            bw_vpdq *expected = bwt_parse_vpdq_file(ctx, expected_path), *ours = NULL;
            bw_vpdq_options *o = bwt_options(scaled ? 128 : 0, 0, 1);
            CHECK_EQ(bw_vpdq_hash_file(ctx, &ours, o, file("sample-videos", videos[i], ".mp4")),
                     BW_OK);
            bw_vpdq_options_free(o);
            CHECK_EQ(bw_vpdq_count(ours), bw_vpdq_count(expected));
            size_t compared = 0, matched = 0;
            for (size_t k = 0; k < bw_vpdq_count(ours) && k < bw_vpdq_count(expected); k++) {
                uint8_t a[BW_PDQ_BYTES], b[BW_PDQ_BYTES];
                int qa, qb;
                bw_vpdq_get(expected, k, NULL, &qa, a, NULL);
                bw_vpdq_get(ours, k, NULL, &qb, b, NULL);
                if (qa < 50 || qb < 50)
                    continue;
                compared++;
                matched += bw_pdq_distance(a, b) < 31;
            }
            printf("  %s%s: %zu of %zu frames match\n", videos[i], suffix, matched, compared);
            CHECK(compared > 0 && matched == compared);
            bw_vpdq_free(expected);
            bw_vpdq_free(ours);
        }
    }
}

/* Sampling with and without decoding the frames nobody needs: same lines. */
static void skipping_matches_full(void)
{
    uint64_t skipped = 0, decoded = 0;
    for (size_t i = 0; i < VIDEO_COUNT; i++) {
        for (int k = 0; k < 2; k++) {
            const double seconds = k ? 0.25 : 1.0;
            bw_vpdq_options *fast = bwt_options(0, seconds, 1), *plain = bwt_options(0, seconds, 1);
            bw_vpdq_options_set_skip_unsampled(fast, 1);
            bw_vpdq *a = NULL, *b = NULL;
            const char *path = file("sample-videos", videos[i], ".mp4");
            CHECK_EQ(bw_vpdq_hash_file(ctx, &a, fast, path), BW_OK);
            CHECK_EQ(bw_vpdq_hash_file(ctx, &b, plain, path), BW_OK);
            char *ta = a ? bwt_vpdq_text(a) : NULL, *tb = b ? bwt_vpdq_text(b) : NULL;
            CHECK(ta && tb && strcmp(ta, tb) == 0);
            CHECK_EQ(bw_vpdq_frames_decoded(a), bw_vpdq_frames_decoded(b));
            skipped += bw_vpdq_frames_skipped(a);
            decoded += bw_vpdq_frames_decoded(a);
            free(ta);
            free(tb);
            bw_vpdq_free(a);
            bw_vpdq_free(b);
            bw_vpdq_options_free(fast);
            bw_vpdq_options_free(plain);
        }
    }
    printf("  %llu of %llu frames not decoded\n", (unsigned long long)skipped,
           (unsigned long long)decoded);
    CHECK(skipped > decoded / 10);
}

static void reference_matching(void)
{
    char csv[4096], generated[8192];
    bool skipped;
    snprintf(csv, sizeof csv, "%s/video/expected-match-shared.csv", BW_TEST_DATA);
    snprintf(generated, sizeof generated, "%s/generated-ffmpeg5.1", dir);
    CHECK_EQ(bwt_check_match_csv(ctx, csv, generated, &skipped), 30);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/vpdq", BW_SHARED_DATA);
    DIR *d = opendir(dir);
    if (!d) {
        printf("SKIP: %s is absent (a fresh clone has no ../shared)\n", dir);
        return BWT_SKIP;
    }
    closedir(d);
    if (bw_ctx_create(&ctx) != BW_OK)
        return 1;
    RUN(byte_identical);
    RUN(reference_criterion);
    RUN(skipping_matches_full);
    RUN(reference_matching);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

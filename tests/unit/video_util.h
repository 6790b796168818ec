/* Helpers shared by the video tests. */
#ifndef BULWARK_TEST_VIDEO_UTIL_H
#define BULWARK_TEST_VIDEO_UTIL_H

#include <bulwark/bulwark.h>

#include "harness.h"

/* The whole vPDQ text of a hash, as vpdq-hash-video writes it; the caller
 * frees. */
static inline char *bwt_vpdq_text(const bw_vpdq *v)
{
    size_t n = bw_vpdq_count(v);
    char *text = malloc(n * BW_VPDQ_LINE_MAX + 1);
    size_t len = 0;
    if (!text)
        return NULL;
    for (size_t i = 0; i < n; i++)
        len += bw_vpdq_write_line(text + len, v, i);
    text[len] = '\0';
    return text;
}

/* Options for side (0 = native), seconds per hash and threads; the caller
 * frees. */
static inline bw_vpdq_options *bwt_options(uint32_t side, double seconds, int threads)
{
    bw_vpdq_options *o = NULL;
    if (bw_vpdq_options_create(&o) != BW_OK)
        return NULL;
    bw_vpdq_options_set_frame_size(o, side);
    bw_vpdq_options_set_seconds_per_hash(o, seconds);
    bw_vpdq_options_set_threads(o, threads);
    return o;
}

/* Hashes a file and compares its text with an expected file byte for byte.
 * Returns the number of lines compared (0 on failure). */
static inline size_t bwt_check_vpdq_file(bw_ctx *ctx, const char *video,
                                         const bw_vpdq_options *o, const char *expected_path)
{
    size_t size = 0;
    char *expected = (char *)bwt_read(expected_path, &size);
    CHECK(expected != NULL);
    if (!expected)
        return 0;
    bw_vpdq *v = NULL;
    bw_status st = bw_vpdq_hash_file(ctx, &v, o, video);
    if (st != BW_OK)
        fprintf(stderr, "%s: %s\n", video, bw_ctx_message(ctx));
    CHECK_EQ(st, BW_OK);
    char *text = v ? bwt_vpdq_text(v) : NULL;
    size_t lines = 0;
    if (text) {
        const bool same = strlen(text) == size && memcmp(text, expected, size) == 0;
        if (!same)
            fprintf(stderr, "%s differs from %s\n", video, expected_path);
        CHECK(same);
        lines = same ? bw_vpdq_count(v) : 0;
    }
    free(text);
    free(expected);
    bw_vpdq_free(v);
    return lines;
}

/* Parses a vPDQ file (checked); NULL when it cannot. */
static inline bw_vpdq *bwt_parse_vpdq_file(bw_ctx *ctx, const char *path)
{
    size_t size = 0;
    char *text = (char *)bwt_read(path, &size);
    bw_vpdq *v = NULL;
    CHECK(text != NULL);
    if (text)
        CHECK_EQ(bw_vpdq_parse(ctx, &v, text, size, 0), BW_OK);
    free(text);
    return v;
}

/* Lines of QUERY,COMPARED,DISTANCE,QUALITY,QUERY%,COMPARED% printed by the
 * reference's match-hashes-brute; returns the number checked. */
static inline int bwt_check_match_csv(bw_ctx *ctx, const char *csv, const char *dir,
                                      bool *skipped)
{
    FILE *f = fopen(csv, "r");
    *skipped = f == NULL;
    if (!f)
        return 0;
    char line[1024];
    int checked = 0;
    while (fgets(line, sizeof line, f)) {
        char *field[6];
        if (bwt_split(line, field, 6) != 6)
            continue;
        char a[4096], b[4096];
        if (snprintf(a, sizeof a, "%s/%s", dir, field[0]) >= (int)sizeof a ||
            snprintf(b, sizeof b, "%s/%s", dir, field[1]) >= (int)sizeof b)
            continue;
        bw_vpdq *va = bwt_parse_vpdq_file(ctx, a), *vb = bwt_parse_vpdq_file(ctx, b);
        double qp = -1, cp = -1;
        CHECK_EQ(bw_vpdq_match(&qp, &cp, va, vb, atoi(field[2]), atoi(field[3]),
                               BW_VPDQ_MATCH_CPP_REFERENCE),
                 BW_OK);
        char got[64], want[64];
        snprintf(got, sizeof got, "%0.2f,%0.2f", qp, cp);
        snprintf(want, sizeof want, "%s,%s", field[4], field[5]);
        if (strcmp(got, want))
            fprintf(stderr, "%s vs %s at %s,%s\n", field[0], field[1], field[2], field[3]);
        CHECK_STR(got, want);
        checked++;
        bw_vpdq_free(va);
        bw_vpdq_free(vb);
    }
    fclose(f);
    return checked;
}

#endif

/*
 * The vPDQ text format (writing as the reference writes, parsing hostile
 * input with line numbers in errors), building hashes by hand, and the
 * matching rules: quality filter, de-duplication, inclusive or strict
 * distance, against a brute-force count written out here.
 */
#include "video_util.h"

static bw_ctx *ctx;

static const char *const hex_a =
    "e6cf059c4c6696362cc9d6663cd9c263714169d98327399993363d9c3d9cc666";

static bw_status parse(const char *text, bw_vpdq **v)
{
    return bw_vpdq_parse(ctx, v, text, strlen(text), 0);
}

static void expect_error(const char *text, size_t max_lines, const char *words)
{
    bw_vpdq *v = (bw_vpdq *)1;
    CHECK_EQ(bw_vpdq_parse(ctx, &v, text, strlen(text), max_lines), BW_ERR_PARSE);
    CHECK(v == NULL);
    if (!strstr(bw_ctx_message(ctx), words))
        fprintf(stderr, "message '%s' lacks '%s'\n", bw_ctx_message(ctx), words);
    CHECK(strstr(bw_ctx_message(ctx), words) != NULL);
}

static void write_and_parse(void)
{
    bw_vpdq *v = NULL;
    uint8_t h[BW_PDQ_BYTES];
    bw_pdq_from_hex(h, hex_a, 64);
    CHECK_EQ(bw_vpdq_create(&v), BW_OK);
    CHECK_EQ(bw_vpdq_append(v, 0, 100, h, 0.0), BW_OK);
    CHECK_EQ(bw_vpdq_append(v, 1, 7, h, (double)(1.0f / 30.0f)), BW_OK);
    CHECK_EQ(bw_vpdq_append(v, 123456, 0, h, 4115.2), BW_OK);
    char line[BW_VPDQ_LINE_MAX];
    CHECK_EQ(bw_vpdq_write_line(line, v, 1), 75);
    CHECK_STR(line, "1,7,e6cf059c4c6696362cc9d6663cd9c263714169d98327399993363d9c3d9cc666,0.033\n");
    bw_vpdq_write_line(line, v, 2);
    CHECK(strncmp(line, "123456,0,", 9) == 0 && strstr(line, ",4115.200\n"));
    CHECK_EQ(bw_vpdq_write_line(line, v, 3), 0);
    char *text = bwt_vpdq_text(v);
    bw_vpdq *back = NULL;
    CHECK_EQ(parse(text, &back), BW_OK);
    CHECK_EQ(bw_vpdq_count(back), 3);
    char *again = bwt_vpdq_text(back);
    CHECK_STR(again, text);
    int64_t frame;
    int quality;
    double seconds;
    uint8_t got[BW_PDQ_BYTES];
    CHECK_EQ(bw_vpdq_get(back, 2, &frame, &quality, got, &seconds), BW_OK);
    CHECK(frame == 123456 && quality == 0 && seconds == 4115.2 && !memcmp(got, h, 32));
    CHECK_EQ(bw_vpdq_get(back, 3, NULL, NULL, NULL, NULL), BW_ERR_INVALID_ARGUMENT);
    CHECK(bw_vpdq_frame_rate(back) == 0 && bw_vpdq_frames_decoded(back) == 0);
    free(text);
    free(again);
    bw_vpdq_free(back);
    /* Bad values are refused when built by hand too. */
    CHECK_EQ(bw_vpdq_append(v, -1, 50, h, 0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_append(v, (int64_t)INT32_MAX + 1, 50, h, 0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_append(v, 0, 101, h, 0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_append(v, 0, 50, h, -0.5), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_append(v, 0, 50, h, 1.0 / 0.0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_append(v, 0, 50, h, 1e9 + 1), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_append(v, 0, 50, NULL, 0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_count(v), 3);
    bw_vpdq_free(v);
    bw_vpdq_free(NULL);
}

static void accepted_forms(void)
{
    bw_vpdq *v = NULL;
    char text[1024];
    /* CRLF, comments, a last line without a newline, upper-case hex. */
    snprintf(text, sizeof text, "# made by hand\r\n0,100,%s,0.000\r\n#vpdq,2,x\n5,50,%s,1",
             hex_a, "E6CF059C4C6696362CC9D6663CD9C263714169D98327399993363D9C3D9CC666");
    CHECK_EQ(parse(text, &v), BW_OK);
    CHECK_EQ(bw_vpdq_count(v), 2);
    bw_vpdq_free(v);
}

static void rejected_forms(void)
{
    char text[4096];
    expect_error("", 0, "no frame lines");
    expect_error("# only a comment\n", 0, "no frame lines");
    snprintf(text, sizeof text, "0,100,%s,0.000\n\n1,100,%s,0.033\n", hex_a, hex_a);
    expect_error(text, 0, "line 2: empty");
    snprintf(text, sizeof text, "0,100,%s,0.000\n1,100,%s\n", hex_a, hex_a);
    expect_error(text, 0, "line 2: 3 fields");
    snprintf(text, sizeof text, "0,100,%s,0.000,extra\n", hex_a);
    expect_error(text, 0, "line 1: more than 4");
    snprintf(text, sizeof text, "0,101,%s,0.000\n", hex_a);
    expect_error(text, 0, "line 1: the quality");
    snprintf(text, sizeof text, "-1,100,%s,0.000\n", hex_a);
    expect_error(text, 0, "line 1: the frame number");
    snprintf(text, sizeof text, "2147483648,100,%s,0.000\n", hex_a);
    expect_error(text, 0, "the frame number");
    snprintf(text, sizeof text, "0,100,%.63s,0.000\n", hex_a);
    expect_error(text, 0, "the hash");
    snprintf(text, sizeof text, "0,100,%.63sg,0.000\n", hex_a);
    expect_error(text, 0, "the hash");
    static const char *const bad_times[] = {"-1",  ".5", "1.2.3", "1e3", "nan",
                                            "",    " 1", "0x10",  "1000000000.5",
                                            "061555555555555555555555555555555555500"};
    for (size_t i = 0; i < sizeof bad_times / sizeof *bad_times; i++) {
        snprintf(text, sizeof text, "0,100,%s,%s\n", hex_a, bad_times[i]);
        expect_error(text, 0, "the timestamp");
    }
    snprintf(text, sizeof text, "0,100,%s,0.000\n1,100,%s,0.1\n2,100,%s,0.2\n", hex_a, hex_a,
             hex_a);
    expect_error(text, 2, "more than 2 lines");
    bw_vpdq *v = NULL;
    CHECK_EQ(bw_vpdq_parse(ctx, &v, text, strlen(text), 3), BW_OK);
    bw_vpdq_free(v);
    /* A line over 1024 bytes, and a NUL inside a line. */
    char *big = malloc(3000);
    memset(big, '1', 2999);
    big[2999] = '\0';
    expect_error(big, 0, "line 1: longer than");
    free(big);
    char nul[100];
    int n = snprintf(nul, sizeof nul, "0,100,%s,0.000\n", hex_a);
    nul[3] = '\0';
    CHECK_EQ(bw_vpdq_parse(ctx, &v, nul, (size_t)n, 0), BW_ERR_PARSE);
    CHECK(strstr(bw_ctx_message(ctx), "NUL") != NULL);
    CHECK_EQ(bw_vpdq_parse(NULL, &v, "x", 1, 0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_parse(ctx, &v, NULL, 1, 0), BW_ERR_INVALID_ARGUMENT);
}

/* A hash at distance d from hash_a (its first d bits flipped). */
static void near(uint8_t out[BW_PDQ_BYTES], const uint8_t base[BW_PDQ_BYTES], int d)
{
    memcpy(out, base, BW_PDQ_BYTES);
    for (int i = 0; i < d; i++)
        out[i / 8] ^= (uint8_t)(1u << (i % 8));
}

static bw_vpdq *video_of(const int *distances, const int *qualities, int n,
                         const uint8_t base[BW_PDQ_BYTES])
{
    bw_vpdq *v = NULL;
    bw_vpdq_create(&v);
    for (int i = 0; i < n; i++) {
        uint8_t h[BW_PDQ_BYTES];
        near(h, base, distances[i]);
        bw_vpdq_append(v, i, qualities[i], h, i / 30.0);
    }
    return v;
}

static void matching_rules(void)
{
    uint8_t base[BW_PDQ_BYTES];
    bw_pdq_from_hex(base, hex_a, 64);
    /* Query: the base frame three times, one frame 31 away, one 32 away,
     * one of low quality. Compared: the base frame only. */
    const int qd[] = {0, 0, 0, 31, 32, 0}, qq[] = {100, 100, 100, 90, 90, 10};
    const int cd[] = {0}, cq[] = {100};
    bw_vpdq *q = video_of(qd, qq, 6, base), *c = video_of(cd, cq, 1, base);
    double qp = -1, cp = -1;
    /* De-duplicated (base counts once, the low-quality copy of it too) and
     * inclusive: base and the 31-away frame match out of 3. */
    CHECK_EQ(bw_vpdq_match(&qp, &cp, q, c, 31, 50, 0), BW_OK);
    CHECK(qp == 200.0 / 3 && cp == 100.0);
    /* Keeping duplicates: 4 of 5 frames of quality >= 50. */
    CHECK_EQ(bw_vpdq_match(&qp, &cp, q, c, 31, 50, BW_VPDQ_MATCH_KEEP_DUPLICATES), BW_OK);
    CHECK(qp == 80.0 && cp == 100.0);
    /* Strict distance (< 31): the 31-away frame no longer matches. */
    CHECK_EQ(bw_vpdq_match(&qp, &cp, q, c, 31, 50, BW_VPDQ_MATCH_CPP_REFERENCE), BW_OK);
    CHECK(qp == 60.0 && cp == 100.0);
    CHECK_EQ(bw_vpdq_match(&qp, &cp, q, c, 0, 50, BW_VPDQ_MATCH_STRICT_DISTANCE), BW_OK);
    CHECK(qp == 0.0 && cp == 0.0);
    /* Quality 0 keeps the low-quality frame: still a duplicate of base. */
    CHECK_EQ(bw_vpdq_match(&qp, &cp, q, c, 32, 0, 0), BW_OK);
    CHECK(qp == 100.0 && cp == 100.0);
    /* Nothing left after the quality filter: both 0. */
    CHECK_EQ(bw_vpdq_match(&qp, &cp, q, c, 31, 101, 0), BW_OK);
    CHECK(qp == 0.0 && cp == 0.0);
    /* Swapping the videos swaps the percentages. */
    double qp2, cp2;
    CHECK_EQ(bw_vpdq_match(&qp, &cp, q, c, 31, 50, 0), BW_OK);
    CHECK_EQ(bw_vpdq_match(&qp2, &cp2, c, q, 31, 50, 0), BW_OK);
    CHECK(qp == cp2 && cp == qp2);
    CHECK_EQ(bw_vpdq_match(NULL, NULL, q, c, 31, 50, 0), BW_OK);
    CHECK_EQ(bw_vpdq_match(&qp, &cp, q, c, 257, 50, 0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_match(&qp, &cp, q, c, -1, 50, 0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_match(&qp, &cp, q, c, 31, 102, 0), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_match(&qp, &cp, NULL, c, 31, 50, 0), BW_ERR_INVALID_ARGUMENT);
    bw_vpdq_free(q);
    bw_vpdq_free(c);
}

/* Many frames with repeats: de-duplication against a plain count. */
static void dedupe_at_scale(void)
{
    bw_vpdq *v = NULL, *single = NULL;
    bw_vpdq_create(&v);
    bw_vpdq_create(&single);
    uint32_t seed = 7;
    uint8_t h[BW_PDQ_BYTES], target[BW_PDQ_BYTES];
    memset(target, 0, sizeof target);
    int distinct_near = 0;
    bool seen[64] = {false};
    for (int i = 0; i < 5000; i++) {
        seed = seed * 1664525u + 1013904223u;
        const int k = (int)(seed >> 26); /* 64 distinct hashes, repeated */
        memset(h, 0xFF, sizeof h);
        h[0] = (uint8_t)k;
        if (k < 8)
            memset(h, 0, sizeof h), h[31] = (uint8_t)k; /* near the target */
        if (!seen[k] && k < 8)
            distinct_near++;
        seen[k] = true;
        bw_vpdq_append(v, i, 100, h, 0);
    }
    int distinct = 0;
    for (int k = 0; k < 64; k++)
        distinct += seen[k];
    bw_vpdq_append(single, 0, 100, target, 0);
    double qp, cp;
    CHECK_EQ(bw_vpdq_match(&qp, &cp, v, single, 3, 0, 0), BW_OK);
    CHECK(qp == distinct_near * 100.0 / distinct);
    CHECK(cp == 100.0);
    bw_vpdq_free(v);
    bw_vpdq_free(single);
}

int main(void)
{
    if (bw_ctx_create(&ctx) != BW_OK)
        return 1;
    RUN(write_and_parse);
    RUN(accepted_forms);
    RUN(rejected_forms);
    RUN(matching_rules);
    RUN(dedupe_at_scale);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

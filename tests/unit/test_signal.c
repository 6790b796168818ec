/* Signal types and canonical values, URL normalisation in particular. */
#include <bulwark/bulwark.h>

#include "harness.h"

static void url(const char *in, const char *expect)
{
    char out[BW_SIGNAL_VALUE_MAX + 1];
    const char *why = NULL;
    bw_status st = bw_url_normalize(out, sizeof out, in, strlen(in), &why);
    if (!expect) {
        if (st != BW_ERR_PARSE)
            fprintf(stderr, "accepted: %s -> %s\n", in, out);
        CHECK_EQ(st, BW_ERR_PARSE);
        CHECK(why != NULL);
        return;
    }
    if (st != BW_OK)
        fprintf(stderr, "%s: %s\n", in, why);
    CHECK_EQ(st, BW_OK);
    if (st == BW_OK)
        CHECK_STR(out, expect);
    /* The canonical form is its own canonical form: banks store it, export
     * it and read it back. */
    char again[BW_SIGNAL_VALUE_MAX + 1];
    st = bw_url_normalize(again, sizeof again, expect, strlen(expect), &why);
    if (st != BW_OK)
        fprintf(stderr, "%s (canonical): %s\n", expect, why);
    CHECK_EQ(st, BW_OK);
    if (st == BW_OK)
        CHECK_STR(again, expect);
}

static void urls(void)
{
    url("http://example.com/", "example.com");
    url("HTTPS://WWW.EXAMPLE.COM/Path/", "example.com/Path");
    url("example.com", "example.com");
    url("www.example.com/a", "example.com/a");
    url("www.com", "www.com"); /* nothing left after the prefix: kept */
    url("WWW.www.example.com/a", "example.com/a");
    url("www.www.com", "www.com");
    url("www.[x.example", NULL); /* brackets only around IPv6 literals */
    url("example]com", NULL);
    url("http://example.com:80/a", "example.com/a");
    url("https://example.com:443/a", "example.com/a");
    url("http://example.com:443/a", "example.com/a");
    url("https://example.com:80/a", "example.com/a");
    url("ftp://example.com:21/a", "example.com/a");
    url("example.com:21/a", "example.com:21/a");
    url("http://example.com:0/x", "example.com:0/x"); /* no scheme: no default port */
    url("example.com:0", "example.com:0");
    url("http://example.com:8080/a", "example.com:8080/a");
    url("example.com:443", "example.com");
    url("http://user:pass@example.com/a", "example.com/a");
    url("http://example.com./a", "example.com/a");
    url("http://example.com/%7euser/%41%2f%3A", "example.com/~user/A%2F%3A");
    url("http://example.com/a b", "example.com/a%20b");
    url("http://example.com/caf\xc3\xa9", "example.com/caf%C3%A9");
    url("http://example.com/a/./b/../c", "example.com/a/c");
    url("http://example.com/a/b/..", "example.com/a");
    url("http://example.com/../../x", "example.com/x");
    url("http://example.com/a?b=1&c=%7e#top", "example.com/a?b=1&c=~");
    url("http://example.com/a?", "example.com/a");
    url("http://example.com/a#frag", "example.com/a");
    url("  http://example.com/a  ", "example.com/a");
    url("//example.com/a", "example.com/a");
    url("http://[2001:DB8::1]:80/x", "[2001:db8::1]/x");
    url("http://example.com/100%", "example.com/100%25");
    /* A colon after the host is not a scheme's or a port's, "://" included
     * (redirectors carry whole URLs in their paths and queries). */
    url("http://example.com/r?to=https://other.org/x", "example.com/r?to=https://other.org/x");
    url("example.com/r?to=https://other.org/x", "example.com/r?to=https://other.org/x");
    url("http://www.Example.org/go/http://www.Example.org/x/",
        "example.org/go/http://www.Example.org/x");
    url("example.com/a:b", "example.com/a:b");
    url("example.com?a=b:c", "example.com?a=b:c");
    url("example.com#javascript://x", "example.com");
    url("example.com:8080/r?u=ftp://x", "example.com:8080/r?u=ftp://x");
    /* Hosts may be UTF-8 (lists write them so); other bytes are refused,
     * while a path's are escaped whatever they are. */
    url("http://B\xc3\xbc" "cher.example/x", "b\xc3\xbc" "cher.example/x");
    url("exa\xff\xff" "mple.net/p", NULL);
    url("http://ex\xc3" "ample.net/", NULL);
    url("http://ex\xed\xa0\x80" "ample.net/", NULL); /* a surrogate */
    url("http://ex\xc0\xaf" "ample.net/", NULL);     /* an overlong '/' */
    url("m\xf8\x9f\xb8>", NULL);                      /* F8 never leads */
    url("http://ex\xf5\x80\x80\x80" "ample.net/", NULL); /* past U+10FFFF */
    url("example.net/caf\xe9", "example.net/caf%E9");
    url("", NULL);
    url("http://", NULL);
    url("mailto:someone@example.com", NULL);
    url("javascript://alert(1)", NULL);
    url("http://example.com:99999/", NULL);
    url("http://example.com:8x/", NULL);
    url("http://exa mple.com/", NULL);
    url("http://[::1/", NULL);
    url("http://example.com/\x01", NULL);
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    url(big, NULL);
}

static void values(void)
{
    char out[BW_SIGNAL_VALUE_MAX + 1];
    const char *why;
    CHECK_EQ(bw_signal_normalize(out, sizeof out, BW_SIGNAL_MD5,
                                 " D41D8CD98F00B204E9800998ECF8427E\r", 34, &why), BW_OK);
    CHECK_STR(out, "d41d8cd98f00b204e9800998ecf8427e");
    CHECK_EQ(bw_signal_normalize(out, sizeof out, BW_SIGNAL_SHA1, "abc", 3, &why), BW_ERR_PARSE);
    CHECK(strstr(why, "40") != NULL);
    CHECK_EQ(bw_signal_normalize(out, sizeof out, BW_SIGNAL_SHA256,
                                 "zz00000000000000000000000000000000000000000000000000000000000000",
                                 64, &why), BW_ERR_PARSE);
    CHECK_EQ(bw_signal_normalize(out, 10, BW_SIGNAL_MD5, "d41d8cd98f00b204e9800998ecf8427e", 32,
                                 &why), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_signal_normalize(out, sizeof out, BW_SIGNAL_VPDQ, "x", 1, &why), BW_ERR_PARSE);
}

#define H1 "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
#define H2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void vpdq_value(const char *in, const char *expect)
{
    const size_t size = bw_signal_normalized_size(BW_SIGNAL_VPDQ, strlen(in));
    char *out = malloc(size);
    const char *why = NULL;
    bw_status st = bw_signal_normalize(out, size, BW_SIGNAL_VPDQ, in, strlen(in), &why);
    if (!expect) {
        if (st == BW_OK)
            fprintf(stderr, "accepted: %s -> %s\n", in, out);
        CHECK_EQ(st, BW_ERR_PARSE);
        CHECK(why != NULL);
    } else {
        if (st != BW_OK)
            fprintf(stderr, "%s: %s\n", in, why);
        CHECK_EQ(st, BW_OK);
        if (st == BW_OK) {
            CHECK_STR(out, expect);
            CHECK(strlen(out) < size);
        }
    }
    free(out);
}

/* vPDQ values as python-threatexchange writes them (json.dumps of
 * "hash,quality,timestamp" strings, timestamps to 3 significant digits). */
static void vpdq_values(void)
{
    vpdq_value("[\"" H1 ",100,0.0\", \"" H2 ",87,1.23e+03\", \"" H1 ",50,12.3456\"]",
               "[\"" H1 ",100,0.000\",\"" H2 ",87,1230.000\",\"" H1 ",50,12.346\"]");
    vpdq_value(" [ \"D8F8F0CEE0F4A84F0637022A078F67F0B36E2ED596621E1D33E6339C4E9C9B22,0,1e-05\" ]\n",
               "[\"" H1 ",0,0.000\"]");
    vpdq_value("[\"" H1 ",7,4294967.295\"]", "[\"" H1 ",7,4294967.295\"]");
    vpdq_value("[\"" H1 ",7,0.0005\"]", "[\"" H1 ",7,0.001\"]");
    vpdq_value("[\"" H1 ",7,0.00049\"]", "[\"" H1 ",7,0.000\"]");
    vpdq_value("[]", NULL);
    vpdq_value("", NULL);
    vpdq_value("[\"" H1 ",100,0.0\",]", NULL);
    vpdq_value("[\"" H1 ",100,0.0\"] x", NULL);
    vpdq_value("[\"" H1 ",101,0.0\"]", NULL);
    vpdq_value("[\"" H1 ",-1,0.0\"]", NULL);
    vpdq_value("[\"" H1 ",100,-1.0\"]", NULL);
    vpdq_value("[\"" H1 ",100,nan\"]", NULL);
    vpdq_value("[\"" H1 ",100,inf\"]", NULL);
    vpdq_value("[\"" H1 ",100,4294967.296\"]", NULL);
    vpdq_value("[\"" H1 ",100,1e400\"]", NULL);
    vpdq_value("[\"" H1 ",100\"]", NULL);
    vpdq_value("[\"" H1 "0,100,1\"]", NULL);
    vpdq_value("[\"zz" H1 ",100,1\"]", NULL);
    vpdq_value("[\"" H1 ",100,1\\u0030\"]", NULL);
    vpdq_value("{\"" H1 ",100,1\"}", NULL);
    vpdq_value("[\"" H1 ",100,1", NULL);
    /* Too small a buffer is the caller's mistake, not bad input. */
    char out[40];
    const char *why = NULL;
    const char *one = "[\"" H1 ",100,0.0\"]";
    CHECK_EQ(bw_signal_normalize(out, sizeof out, BW_SIGNAL_VPDQ, one, strlen(one), &why),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_signal_normalized_size(BW_SIGNAL_MD5, 5), BW_SIGNAL_VALUE_MAX + 1);
    /* At most BW_SIGNAL_VPDQ_FRAMES_MAX frames. */
    const size_t frame = strlen("\"" H1 ",100,1.5\",");
    for (int extra = 0; extra < 2; extra++) {
        const size_t n = BW_SIGNAL_VPDQ_FRAMES_MAX + (size_t)extra;
        char *big = malloc(n * frame + 3), *w = big;
        *w++ = '[';
        for (size_t i = 0; i < n; i++)
            w += sprintf(w, "%s\"" H1 ",100,1.5\"", i ? "," : "");
        strcpy(w, "]");
        const size_t size = bw_signal_normalized_size(BW_SIGNAL_VPDQ, strlen(big));
        char *canon = malloc(size);
        CHECK_EQ(bw_signal_normalize(canon, size, BW_SIGNAL_VPDQ, big, strlen(big), &why),
                 extra ? BW_ERR_PARSE : BW_OK);
        free(canon);
        free(big);
    }
}

/* A video's hash becomes a signal value and back, frames in order,
 * timestamps to the millisecond. */
static void vpdq_from_video(void)
{
    bw_ctx *ctx;
    bw_ctx_create(&ctx);
    size_t size = 0;
    char *text = (char *)bwt_read(BW_TEST_DATA "/video/h264-640x360.s0.txt", &size);
    bw_vpdq *v = NULL, *back = NULL;
    CHECK(text != NULL);
    if (text)
        CHECK_EQ(bw_vpdq_parse(ctx, &v, text, size, 0), BW_OK);
    const size_t need = v ? bw_vpdq_signal_size(v) : 0;
    CHECK(need > 70 * bw_vpdq_count(v));
    char *value = malloc(need ? need : 1);
    CHECK_EQ(bw_vpdq_signal_write(value, need - 1, v), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_vpdq_signal_write(value, need, v), BW_OK);
    CHECK_EQ(strlen(value) + 1, need);
    CHECK_EQ(bw_vpdq_signal_parse(ctx, &back, value, strlen(value)), BW_OK);
    CHECK_EQ(bw_vpdq_count(back), bw_vpdq_count(v));
    int bad = 0;
    for (size_t i = 0; back && i < bw_vpdq_count(v); i++) {
        int64_t f1, f2;
        int q1, q2;
        uint8_t h1[32], h2[32];
        double t1, t2;
        bw_vpdq_get(v, i, &f1, &q1, h1, &t1);
        bw_vpdq_get(back, i, &f2, &q2, h2, &t2);
        bad += f2 != (int64_t)i || q1 != q2 || memcmp(h1, h2, 32) != 0 ||
               (long)(t1 * 1000 + 0.5) != (long)(t2 * 1000 + 0.5);
    }
    CHECK_EQ(bad, 0);
    double qp = 0, cp = 0;
    CHECK_EQ(bw_vpdq_match(&qp, &cp, v, back, 0, 0, 0), BW_OK);
    CHECK(qp == 100.0 && cp == 100.0);
    bw_vpdq_free(back);
    CHECK_EQ(bw_vpdq_signal_parse(ctx, &back, "[]", 2), BW_ERR_PARSE);
    CHECK(back == NULL);
    CHECK(strstr(bw_ctx_message(ctx), "at least one frame") != NULL);
    bw_vpdq *empty = NULL;
    bw_vpdq_create(&empty);
    CHECK_EQ(bw_vpdq_signal_size(empty), 0);
    CHECK_EQ(bw_vpdq_signal_write(value, need, empty), BW_ERR_INVALID_ARGUMENT);
    bw_vpdq_free(empty);
    bw_vpdq_free(back);
    bw_vpdq_free(v);
    free(value);
    free(text);
    bw_ctx_free(ctx);
}

static void types(void)
{
    bw_signal_type t;
    CHECK_EQ(bw_signal_type_parse(&t, "PDQ", 3), BW_OK);
    CHECK_EQ(t, BW_SIGNAL_PDQ);
    CHECK_EQ(bw_signal_type_parse(&t, "video_md5", 9), BW_OK);
    CHECK_EQ(t, BW_SIGNAL_MD5);
    CHECK_EQ(bw_signal_type_parse(&t, "sha256x", 7), BW_ERR_PARSE);
    CHECK_EQ(bw_signal_type_parse(&t, "sha256x", 6), BW_OK);
    CHECK_STR(bw_signal_type_name(BW_SIGNAL_URL), "url");
    CHECK_STR(bw_signal_type_name((bw_signal_type)99), "unknown");
    bw_bank_kind k;
    CHECK_EQ(bw_bank_kind_parse(&k, "allow"), BW_OK);
    CHECK_EQ(k, BW_BANK_ALLOW);
    CHECK_EQ(bw_bank_kind_parse(&k, "deny"), BW_ERR_PARSE);
    bw_list_format f;
    CHECK_EQ(bw_list_format_parse(&f, "jsonl"), BW_OK);
    CHECK_EQ(f, BW_LIST_JSONL);
    CHECK_EQ(bw_list_format_parse(&f, "xml"), BW_ERR_PARSE);
}

int main(void)
{
    RUN(urls);
    RUN(values);
    RUN(vpdq_values);
    RUN(vpdq_from_video);
    RUN(types);
    return BWT_RESULT();
}

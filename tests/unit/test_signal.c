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
}

static void urls(void)
{
    url("http://example.com/", "example.com");
    url("HTTPS://WWW.EXAMPLE.COM/Path/", "example.com/Path");
    url("example.com", "example.com");
    url("www.example.com/a", "example.com/a");
    url("www.com", "www.com"); /* nothing left after the prefix: kept */
    url("http://example.com:80/a", "example.com/a");
    url("https://example.com:443/a", "example.com/a");
    url("http://example.com:443/a", "example.com:443/a");
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
    CHECK_EQ(bw_signal_normalize(out, sizeof out, BW_SIGNAL_VPDQ, "x", 1, &why),
             BW_ERR_UNSUPPORTED);
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
    RUN(types);
    return BWT_RESULT();
}

/* bulwarkd's answers written piece by piece (respond.c, text_buf): the
 * same bytes jansson writes for the same values, so that the hash route's
 * hand-built answers read like every other answer. */
#include <stdlib.h>
#include <string.h>

#include "bulwarkd.h"
#include "harness.h"

/* What bwd_reply writes for a string: jansson, compact, ASCII only. */
static char *jansson_string(const char *s)
{
    json_t *j = json_string(s);
    char *out = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
    json_decref(j);
    return out;
}

static void strings_as_jansson_writes_them(void)
{
    static const char *const cases[] = {
        "", "pdq", "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
        "a\"b", "a\\b", "tab\there", "line\nfeed", "\x01\x1f", "caf\xc3\xa9",
        "\xf0\x9f\x98\x80 astral", "del\x7f", "/slash/",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        text_buf t = {0};
        bwd_put_json_string(&t, cases[i]);
        char *want = jansson_string(cases[i]);
        CHECK(!t.failed);
        CHECK(want != NULL);
        if (t.data && want)
            CHECK_STR(t.data, want);
        free(want);
        free(t.data);
    }
}

static void pieces(void)
{
    text_buf t = {0};
    text_buf_lit(&t, "{\"n\":");
    text_buf_int(&t, -1234567890123LL);
    text_buf_add(&t, ",\"v\":[]}xyz", 8);
    CHECK_STR(t.data, "{\"n\":-1234567890123,\"v\":[]}");
    CHECK_EQ(t.size, strlen(t.data));
    json_t *j = json_pack("{s:[i, s], s:b}", "a", 1, "x", "b", 0);
    text_buf_lit(&t, ",");
    bwd_put_json(&t, j);
    json_decref(j);
    CHECK_STR(t.data, "{\"n\":-1234567890123,\"v\":[]},{\"a\":[1,\"x\"],\"b\":false}");
    /* Long answers grow past the first buffer. */
    text_buf big = {0};
    for (int i = 0; i < 5000; i++)
        text_buf_lit(&big, "0123456789");
    CHECK_EQ(big.size, (size_t)50000);
    CHECK(!big.failed && big.data[49999] == '9' && big.data[50000] == '\0');
    free(big.data);
    free(t.data);
}

static void formatted_and_written(void)
{
    text_buf t = {0};
    text_buf_printf(&t, "<rect x=\"%.1f\" fill=\"%s\"/>", 2.25, "#fff");
    CHECK_STR(t.data, "<rect x=\"2.2\" fill=\"#fff\"/>");
    /* A line longer than the stack buffer is written whole, not cut. */
    char *long_name = malloc(3001);
    if (long_name) {
        memset(long_name, 'n', 3000);
        long_name[3000] = '\0';
        text_buf_printf(&t, "[%s]", long_name);
        CHECK_EQ(t.size, strlen("<rect x=\"2.2\" fill=\"#fff\"/>") + 3002);
        CHECK(t.data[t.size - 1] == ']' && t.data[t.size - 2] == 'n');
        free(long_name);
    }
    free(t.data);
    /* As the library's writer callback: bytes, not strings. */
    text_buf w = {0};
    CHECK_EQ(text_buf_writer(&w, "a\0b", 3), 0);
    CHECK_EQ(text_buf_writer(&w, "c", 1), 0);
    CHECK_EQ(w.size, (size_t)4);
    CHECK(w.data && !memcmp(w.data, "a\0bc", 5));
    w.failed = true;
    CHECK(text_buf_writer(&w, "d", 1) != 0);
    CHECK_EQ(w.size, (size_t)4);
    free(w.data);
}

static void growing(void)
{
    char *data = NULL;
    size_t cap = 0;
    CHECK(text_grow(&data, &cap, 10, 512));
    CHECK_EQ(cap, (size_t)512); /* the first size, not the need */
    char *const first = data;
    CHECK(text_grow(&data, &cap, 512, 512));
    CHECK(data == first && cap == 512); /* room enough: untouched */
    CHECK(text_grow(&data, &cap, 1500, 512));
    CHECK_EQ(cap, (size_t)2048); /* doubled until it fits */
    memset(data, 'x', 1500); /* ASan: all of it is ours */
    free(data);
}

static void replies(void)
{
    bwd_request *r = calloc(1, sizeof *r);
    CHECK(r != NULL);
    if (!r)
        return;
    r->out_fd = -1;
    text_buf t = {0};
    text_buf_lit(&t, "{\"results\":[]}");
    bwd_reply_text(r, 200, &t);
    CHECK_EQ(r->status, 200);
    CHECK_STR(r->out, "{\"results\":[]}");
    CHECK_EQ(r->out_size, strlen("{\"results\":[]}"));
    CHECK_STR(r->out_type, "application/json");
    CHECK(t.data == NULL && t.size == 0); /* consumed */
    /* A text whose growth failed answers 500, not half an answer. */
    text_buf_lit(&t, "{\"results\":[");
    t.failed = true;
    bwd_reply_text(r, 200, &t);
    CHECK_EQ(r->status, 500);
    CHECK(r->out && strstr(r->out, "\"internal\"") != NULL);
    CHECK(t.data == NULL);
    free(r->out);
    free(r);
}

int main(void)
{
    RUN(strings_as_jansson_writes_them);
    RUN(pieces);
    RUN(formatted_and_written);
    RUN(growing);
    RUN(replies);
    return BWT_RESULT();
}

/* text_buf: see text_buf.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_buf.h"

bool text_grow(char **data, size_t *cap, size_t need, size_t first)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : first;
    while (c < need)
        c = c > SIZE_MAX / 2 ? need : c * 2;
    char *g = realloc(*data, c);
    if (!g)
        return false;
    *data = g;
    *cap = c;
    return true;
}

void text_buf_add(text_buf *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    /* Small first: most answers are a few hundred bytes, and glibc
     * serves blocks under about 1 KiB from its per-thread cache. */
    if (!text_grow(&t->data, &t->cap, t->size + n + 1, 256)) {
        t->failed = true;
        return;
    }
    memcpy(t->data + t->size, s, n);
    t->size += n;
    t->data[t->size] = '\0';
}

void text_buf_lit(text_buf *t, const char *s)
{
    text_buf_add(t, s, strlen(s));
}

void text_buf_int(text_buf *t, long long v)
{
    char s[24];
    const int n = snprintf(s, sizeof s, "%lld", v);
    text_buf_add(t, s, (size_t)n);
}

void text_buf_vprintf(text_buf *t, const char *fmt, va_list ap)
{
    char line[1024];
    va_list again;
    va_copy(again, ap);
    const int n = vsnprintf(line, sizeof line, fmt, ap);
    if (n < 0) {
        t->failed = true;
    } else if ((size_t)n < sizeof line) {
        text_buf_add(t, line, (size_t)n);
    } else {
        char *long_line = malloc((size_t)n + 1);
        if (long_line && vsnprintf(long_line, (size_t)n + 1, fmt, again) == n)
            text_buf_add(t, long_line, (size_t)n);
        else
            t->failed = true;
        free(long_line);
    }
    va_end(again);
}

void text_buf_printf(text_buf *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_buf_vprintf(t, fmt, ap);
    va_end(ap);
}

int text_buf_writer(void *arg, const void *p, size_t n)
{
    text_buf *t = arg;
    text_buf_add(t, p, n);
    return t->failed;
}

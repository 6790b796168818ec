/*
 * Text built piece by piece, for both programs: bulwarkd's hand-written
 * answers, charts and what the library's writer callbacks (reports,
 * exports, CSV) hand over; the CLI's output lines (cli_buf). A failed
 * allocation is remembered in `failed` instead of being checked after
 * every piece (the CLI exits on it, the daemon answers 500); what was
 * added before it stays valid.
 */
#ifndef BULWARK_TEXT_BUF_H
#define BULWARK_TEXT_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct text_buf {
    char *data; /* NUL-terminated once anything was added */
    size_t size, cap;
    bool failed;
} text_buf;

/* Makes *data (capacity *cap) at least need bytes long, doubling from
 * first; false when out of memory, the buffer as it was. Under text_buf
 * and the other buffers that grow as bytes arrive (request bodies). */
bool text_grow(char **data, size_t *cap, size_t need, size_t first);
void text_buf_add(text_buf *t, const char *s, size_t n);
void text_buf_lit(text_buf *t, const char *s); /* a NUL-terminated piece */
void text_buf_int(text_buf *t, long long v);
void text_buf_printf(text_buf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void text_buf_vprintf(text_buf *t, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* A writer callback for the library (bw_report_write, bw_bank_export,
 * bw_stats_write_csv...): arg is a text_buf; non-zero once out of memory. */
int text_buf_writer(void *arg, const void *p, size_t n);

#endif

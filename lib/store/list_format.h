/* Parsing and writing hash-list lines (list_format.c). */
#ifndef BULWARK_LIB_LIST_FORMAT_H
#define BULWARK_LIB_LIST_FORMAT_H

#include <stdbool.h>

#include "store_internal.h"

#define BWI_CSV_MAX_FIELDS 32

typedef struct bwi_list_parser {
    bw_list_format format;
    bool header_seen;
    int column[6]; /* CSV: field index of type, value, metadata, source,
                      added_at, enabled; -1 when absent */
} bwi_list_parser;

/* One parsed line. metadata, source and body are malloc'd (bwi_parsed_clear). */
typedef struct bwi_parsed {
    bw_signal_type type;
    uint8_t raw[BW_SIGNAL_VALUE_MAX];
    size_t raw_size;
    char *metadata;
    char *source;
    int64_t added_at; /* -1: now */
    int enabled;
    uint8_t *body; /* a vPDQ value's frames (malloc'd), else NULL */
    size_t body_size;
} bwi_parsed;

void bwi_parsed_clear(bwi_parsed *p);

/* Parses one line (without its newline). *skip is set for blank lines,
 * comments and the CSV header. Failures carry the reason on the context. */
bw_status bwi_parse_line(bw_ctx *ctx, bwi_list_parser *ps, const char *line,
                         size_t len, bwi_parsed *p, bool *skip);

/* A growable text buffer; failed is set when memory runs out. */
typedef struct bwi_text {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
    bool not_utf8; /* a JSON line was refused a field that is not UTF-8 */
} bwi_text;

void bwi_text_append(bwi_text *t, const char *s, size_t n);
void bwi_text_puts(bwi_text *t, const char *s);
void bwi_text_free(bwi_text *t);

bool bwi_format_header(bwi_text *out, bw_list_format format);
/* False when memory runs out, or (not_utf8 set) when a JSON line would
 * have to leave out a field that is not UTF-8: never a line missing one. */
bool bwi_format_signal(bwi_text *out, bw_list_format format, const bw_signal_info *s);

#endif

/*
 * The vPDQ text format of vpdq-hash-video: "FRAME,QUALITY,HASH,TIMESTAMP"
 * per line, the timestamp printed with three decimals. The parser takes
 * hostile input: bounded lines, a bounded line count, and every field
 * checked, with the line number in the message.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "video_internal.h"

#define LINE_MAX_BYTES 1024
#define DEFAULT_MAX_LINES ((size_t)1000000)

BW_API size_t bw_vpdq_write_line(char out[BW_VPDQ_LINE_MAX], const bw_vpdq *v, size_t index)
{
    if (!out || !v || index >= v->count)
        return 0;
    const bwi_vpdq_feature *f = &v->items[index];
    char hex[BW_PDQ_HEX_CHARS + 1];
    bw_pdq_to_hex(hex, f->hash);
    int n = snprintf(out, BW_VPDQ_LINE_MAX, "%d,%d,%s,%.3f\n", (int)f->frame, (int)f->quality,
                     hex, f->timestamp);
    /* Cannot happen: frames, qualities and timestamps are bounded when
     * they enter (parser, bw_vpdq_append, the hasher). */
    if (n < 0 || n >= BW_VPDQ_LINE_MAX) {
        out[0] = '\0';
        return 0;
    }
    return (size_t)n;
}

/* A non-negative decimal integer of at most max. */
static bool parse_uint(const char *s, size_t len, long max, long *out)
{
    if (len == 0 || len > 10)
        return false;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* DIGITS[.DIGITS], as the reference writes timestamps. */
static bool parse_seconds(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    size_t dots = 0, digits = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.')
            dots++;
        else if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else
            return false;
    }
    if (dots > 1 || digits == 0 || s[0] == '.')
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (errno || !isfinite(v) || v > BWI_VPDQ_MAX_SECONDS)
        return false;
    *out = v;
    return true;
}

static bw_status parse_line(bw_ctx *ctx, bw_vpdq *v, const char *line, size_t len,
                            size_t number)
{
    const char *field[4];
    size_t flen[4], count = 0;
    const char *start = line;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != ',')
            continue;
        if (count == 4)
            return bwi_fail(ctx, BW_ERR_PARSE,
                            "vPDQ line %zu: more than 4 comma-separated fields", number);
        field[count] = start;
        flen[count++] = (size_t)(line + i - start);
        start = line + i + 1;
    }
    if (count != 4)
        return bwi_fail(ctx, BW_ERR_PARSE,
                        "vPDQ line %zu: %zu field%s, expected FRAME,QUALITY,HASH,TIMESTAMP",
                        number, count, count == 1 ? "" : "s");
    long frame, quality;
    bwi_vpdq_feature f;
    double seconds;
    if (!parse_uint(field[0], flen[0], INT32_MAX, &frame))
        return bwi_fail(ctx, BW_ERR_PARSE,
                        "vPDQ line %zu: the frame number is not an integer from 0 to %d",
                        number, INT32_MAX);
    if (!parse_uint(field[1], flen[1], 100, &quality))
        return bwi_fail(ctx, BW_ERR_PARSE,
                        "vPDQ line %zu: the quality is not an integer from 0 to 100", number);
    if (bw_pdq_from_hex(f.hash, field[2], flen[2]) != BW_OK)
        return bwi_fail(ctx, BW_ERR_PARSE,
                        "vPDQ line %zu: the hash is not 64 hexadecimal digits", number);
    if (!parse_seconds(field[3], flen[3], &seconds))
        return bwi_fail(ctx, BW_ERR_PARSE,
                        "vPDQ line %zu: the timestamp is not a number of seconds", number);
    f.frame = (int32_t)frame;
    f.quality = (int32_t)quality;
    f.timestamp = seconds;
    if (bwi_vpdq_push(v, &f) != BW_OK)
        return bwi_fail(ctx, BW_ERR_NOMEM, "vPDQ: out of memory");
    return BW_OK;
}

static bw_status parse_all(bw_ctx *ctx, bw_vpdq *v, const char *text, size_t size,
                           size_t max_lines)
{
    size_t number = 0, pos = 0;
    while (pos < size) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - line) : size - pos;
        pos += len + (nl ? 1 : 0);
        if (++number > max_lines)
            return bwi_fail(ctx, BW_ERR_PARSE, "vPDQ: more than %zu lines", max_lines);
        if (len > LINE_MAX_BYTES)
            return bwi_fail(ctx, BW_ERR_PARSE, "vPDQ line %zu: longer than %d bytes", number,
                            LINE_MAX_BYTES);
        if (len && line[len - 1] == '\r')
            len--;
        if (memchr(line, '\0', len))
            return bwi_fail(ctx, BW_ERR_PARSE, "vPDQ line %zu: contains a NUL byte", number);
        if (len && line[0] == '#')
            continue;
        if (len == 0)
            return bwi_fail(ctx, BW_ERR_PARSE, "vPDQ line %zu: empty line", number);
        bw_status st = parse_line(ctx, v, line, len, number);
        if (st != BW_OK)
            return st;
    }
    if (v->count == 0)
        return bwi_fail(ctx, BW_ERR_PARSE, "vPDQ: no frame lines");
    return BW_OK;
}

BW_API bw_status bw_vpdq_parse(bw_ctx *ctx, bw_vpdq **vpdq_out, const char *text,
                               size_t size, size_t max_lines)
{
    if (!ctx || !vpdq_out || (!text && size))
        return BW_ERR_INVALID_ARGUMENT;
    *vpdq_out = NULL;
    bwi_clear(ctx);
    bw_vpdq *v;
    if (bw_vpdq_create(&v) != BW_OK)
        return bwi_fail(ctx, BW_ERR_NOMEM, "vPDQ: out of memory");
    bw_status st = parse_all(ctx, v, text, size, max_lines ? max_lines : DEFAULT_MAX_LINES);
    if (st != BW_OK) {
        bw_vpdq_free(v);
        return st;
    }
    *vpdq_out = v;
    return BW_OK;
}

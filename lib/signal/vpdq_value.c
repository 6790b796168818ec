/*
 * vPDQ signal values: the text python-threatexchange and HMA exchange (a
 * JSON array of "HASH,QUALITY,SECONDS" strings), its canonical form, and
 * the binary body the store keeps. The parser is written for hostile
 * input: bounded length and frame count, no escapes, every field checked.
 */
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_pdq.h"
#include "vpdq_value.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Seconds as Python prints a float ("12.345", "0.0", "1.23e+03", "1e-05")
 * to the nearest millisecond. Up to 18 significant digits are kept, which
 * is more than a double holds.
 */
static bool parse_seconds(const char *s, size_t n, uint32_t *ms_out)
{
    uint64_t mant = 0;
    int exp10 = 0, sig = 0;
    size_t i = 0;
    bool digits = false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits = true) {
        if (sig < 18) {
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            sig += mant != 0;
        } else {
            exp10++;
        }
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits = true) {
            if (sig < 18) {
                mant = mant * 10 + (uint64_t)(s[i] - '0');
                sig += mant != 0;
                exp10--;
            }
        }
    }
    if (!digits)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int sign = 1, e = 0;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            sign = s[i++] == '-' ? -1 : 1;
        if (i == n)
            return false;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 1000)
                e = e * 10 + (s[i] - '0');
        exp10 += sign * e;
    }
    if (i != n)
        return false;
    if (mant == 0) {
        *ms_out = 0;
        return true;
    }
    static const uint64_t pow10[20] = {1ull,
                                       10ull,
                                       100ull,
                                       1000ull,
                                       10000ull,
                                       100000ull,
                                       1000000ull,
                                       10000000ull,
                                       100000000ull,
                                       1000000000ull,
                                       10000000000ull,
                                       100000000000ull,
                                       1000000000000ull,
                                       10000000000000ull,
                                       100000000000000ull,
                                       1000000000000000ull,
                                       10000000000000000ull,
                                       100000000000000000ull,
                                       1000000000000000000ull,
                                       10000000000000000000ull};
    const int k = exp10 + 3; /* milliseconds = mant * 10^k */
    uint64_t ms;
    if (k >= 0) {
        if (k > 9 || mant > UINT32_MAX / pow10[k])
            return false;
        ms = mant * pow10[k];
    } else if (-k > 19) {
        ms = 0; /* far below half a millisecond */
    } else {
        const uint64_t p = pow10[-k];
        ms = mant / p + (mant % p >= p - p / 2 ? 1 : 0);
    }
    if (ms > UINT32_MAX)
        return false;
    *ms_out = (uint32_t)ms;
    return true;
}

/* One "HASH,QUALITY,SECONDS" string, quotes excluded. */
static bool parse_frame(const char *s, size_t n, bwi_vframe *f, const char **why)
{
    if (n < 64 + 4 || s[64] != ',') {
        *why = "each frame must be \"HASH,QUALITY,SECONDS\" with a 64-digit hex hash";
        return false;
    }
    if (bw_pdq_from_hex(f->hash, s, 64) != BW_OK) {
        *why = "a frame hash is not 64 hex digits";
        return false;
    }
    size_t i = 65;
    unsigned q = 0, qdigits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9' && qdigits < 4; i++, qdigits++)
        q = q * 10 + (unsigned)(s[i] - '0');
    if (qdigits == 0 || qdigits > 3 || q > 100 || i >= n || s[i] != ',') {
        *why = "a frame quality is not an integer from 0 to 100";
        return false;
    }
    f->quality = (uint8_t)q;
    if (!parse_seconds(s + i + 1, n - i - 1, &f->ms)) {
        *why = "a frame timestamp is not a number of seconds from 0 to 4294967.295";
        return false;
    }
    return true;
}

bw_status bwi_vtext_parse(const char *text, size_t len, bwi_vframe **frames_out,
                          size_t *count_out, const char **why)
{
    *frames_out = NULL;
    *count_out = 0;
    if (len > BWI_VPDQ_TEXT_MAX) {
        *why = "a vPDQ value is longer than 16 MiB";
        return BW_ERR_PARSE;
    }
    size_t i = 0, count = 0, cap = 0;
    bwi_vframe *frames = NULL;
    while (i < len && is_space(text[i]))
        i++;
    if (i == len || text[i] != '[') {
        *why = "a vPDQ value is a JSON array of \"HASH,QUALITY,SECONDS\" strings";
        return BW_ERR_PARSE;
    }
    for (i++;;) {
        while (i < len && is_space(text[i]))
            i++;
        if (i < len && text[i] == ']' && count == 0) {
            *why = "a vPDQ value needs at least one frame";
            return BW_ERR_PARSE;
        }
        if (i == len || text[i] != '"') {
            *why = "a vPDQ value is a JSON array of \"HASH,QUALITY,SECONDS\" strings";
            goto fail;
        }
        const size_t start = ++i;
        while (i < len && text[i] != '"' && text[i] != '\\' && (unsigned char)text[i] >= 0x20)
            i++;
        if (i == len || text[i] != '"') {
            *why = "a frame string is unterminated or holds an escape";
            goto fail;
        }
        if (count == BW_SIGNAL_VPDQ_FRAMES_MAX) {
            *why = "a vPDQ value has more than 65536 frames";
            goto fail;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            bwi_vframe *grown = realloc(frames, cap * sizeof *grown);
            if (!grown) {
                free(frames);
                *why = "out of memory";
                return BW_ERR_NOMEM;
            }
            frames = grown;
        }
        if (!parse_frame(text + start, i - start, &frames[count], why))
            goto fail;
        count++;
        for (i++; i < len && is_space(text[i]);)
            i++;
        if (i < len && text[i] == ',') {
            i++;
            continue;
        }
        if (i < len && text[i] == ']')
            break;
        *why = "frames must be separated by commas and the list closed by ']'";
        goto fail;
    }
    for (i++; i < len && is_space(text[i]);)
        i++;
    if (i != len) {
        *why = "unexpected text after the vPDQ value";
        goto fail;
    }
    *frames_out = frames;
    *count_out = count;
    return BW_OK;
fail:
    free(frames);
    return BW_ERR_PARSE;
}

static size_t digits_of(uint32_t v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

size_t bwi_vtext_size(const bwi_vframe *frames, size_t count)
{
    /* '[' ']' NUL, and per frame: quotes, hash, commas, ".mmm" */
    size_t n = 3;
    for (size_t i = 0; i < count; i++)
        n += 2 + 64 + 2 + digits_of(frames[i].quality) + digits_of(frames[i].ms / 1000) + 4 +
             (i > 0);
    return n;
}

static char *put_uint(char *w, uint32_t v)
{
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *w++ = tmp[--n];
    return w;
}

size_t bwi_vtext_write(char *out, const bwi_vframe *frames, size_t count)
{
    static const char hex[] = "0123456789abcdef";
    char *w = out;
    *w++ = '[';
    for (size_t i = 0; i < count; i++) {
        const bwi_vframe *f = &frames[i];
        if (i)
            *w++ = ',';
        *w++ = '"';
        for (int b = 0; b < 32; b++) {
            *w++ = hex[f->hash[b] >> 4];
            *w++ = hex[f->hash[b] & 15];
        }
        *w++ = ',';
        w = put_uint(w, f->quality);
        *w++ = ',';
        w = put_uint(w, f->ms / 1000);
        const uint32_t frac = f->ms % 1000;
        *w++ = '.';
        *w++ = (char)('0' + frac / 100);
        *w++ = (char)('0' + frac / 10 % 10);
        *w++ = (char)('0' + frac % 10);
        *w++ = '"';
    }
    *w++ = ']';
    *w = '\0';
    return (size_t)(w - out);
}

size_t bwi_vbody_size(size_t count)
{
    return BWI_VBODY_HEADER + count * BWI_VBODY_FRAME;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void bwi_vbody_write(uint8_t *out, const bwi_vframe *frames, size_t count)
{
    out[0] = BWI_VBODY_VERSION;
    put_le32(out + 1, (uint32_t)count);
    uint8_t *w = out + BWI_VBODY_HEADER;
    for (size_t i = 0; i < count; i++, w += BWI_VBODY_FRAME) {
        memcpy(w, frames[i].hash, 32);
        w[32] = frames[i].quality;
        put_le32(w + 33, frames[i].ms);
    }
}

size_t bwi_vbody_count(const uint8_t *body, size_t size)
{
    if (!body || size < BWI_VBODY_HEADER || body[0] != BWI_VBODY_VERSION)
        return 0;
    const uint32_t count = get_le32(body + 1);
    if (count == 0 || count > BW_SIGNAL_VPDQ_FRAMES_MAX || size != bwi_vbody_size(count))
        return 0;
    for (uint32_t i = 0; i < count; i++)
        if (body[BWI_VBODY_HEADER + (size_t)i * BWI_VBODY_FRAME + 32] > 100)
            return 0;
    return count;
}

void bwi_vbody_frame(const uint8_t *body, size_t i, bwi_vframe *out)
{
    const uint8_t *p = body + BWI_VBODY_HEADER + i * BWI_VBODY_FRAME;
    memcpy(out->hash, p, 32);
    out->quality = p[32];
    out->ms = get_le32(p + 33);
}

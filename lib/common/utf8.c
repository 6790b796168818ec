/* UTF-8 decoding, strict: shared by URL normalisation, the store's checks of
 * what lists carry, and the XML reports. */
#include "bw_internal.h"

long bwi_utf8_next(const unsigned char *s, size_t avail, size_t *len)
{
    *len = 1;
    const unsigned c = s[0];
    if (c < 0x80)
        return (long)c;
    /* Lead bytes: C2-DF, E0-EF, F0-F4; C0, C1 and F5-FF never start one. */
    const size_t n = c >= 0xF0 && c <= 0xF4   ? 4
                     : c >= 0xE0 && c <= 0xEF ? 3
                     : c >= 0xC2 && c <= 0xDF ? 2
                                              : 0;
    if (!n || n > avail)
        return -1;
    long cp = (long)(c & (0x7F >> n));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const long smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *len = n;
    return cp;
}

bool bwi_utf8_valid(const char *text, size_t size)
{
    const unsigned char *s = (const unsigned char *)text;
    while (size) {
        size_t n;
        if (bwi_utf8_next(s, size, &n) < 0)
            return false;
        s += n;
        size -= n;
    }
    return true;
}

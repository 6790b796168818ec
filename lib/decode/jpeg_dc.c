/*
 * The DC scans of a progressive JPEG, on their own.
 *
 * Decoding at 1/8 scale, libjpeg computes each pixel of a fully sampled
 * component (luma) from its block's DC coefficient alone, and a progressive
 * file carries the DC coefficients in scans of their own (spectral
 * selection 0..0). Entropy decoding every AC coefficient is most of the
 * cost of decoding such a file at any scale, and luma's are most of them,
 * so the fast path hands libjpeg a copy without luma's AC scans: the 1/8
 * image comes out the same as from the whole file, for a fraction of the
 * work. Subsampled components (4:2:0 chroma) keep theirs: libjpeg scales
 * them up through a 2x2 or larger inverse DCT, which reads AC coefficients.
 *
 * Only the marker structure is read here; everything kept is parsed again,
 * with all its checks, by libjpeg. Anything unexpected (a sequential file,
 * a small one, no end marker, a scan running off the end) answers "not
 * applicable" and the caller decodes the whole file, which reports any
 * damage.
 */
#include <stdlib.h>
#include <string.h>

#include "jpeg_dc.h"

static bool is_sof(uint8_t m)
{
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* Where the entropy-coded data starting at `from` ends: the next marker,
 * skipping stuffed zero bytes and restart markers; `size` when none. */
static size_t scan_end(const uint8_t *data, size_t size, size_t from)
{
    size_t j = from;
    while (j + 1 < size) {
        const uint8_t *ff = memchr(data + j, 0xFF, size - j - 1);
        if (!ff)
            return size;
        j = (size_t)(ff - data);
        const uint8_t b = data[j + 1];
        if (b == 0x00 || (b >= 0xD0 && b <= 0xD7))
            j += 2;
        else if (b == 0xFF)
            j += 1; /* a fill byte before a marker */
        else
            return j;
    }
    return size;
}

bool bwi_jpeg_dc_scans(const uint8_t *data, size_t size, uint32_t min_side, bwi_jpeg_dc *out)
{
    memset(out, 0, sizeof *out);
    if (size < 4 || data[0] != 0xFF || data[1] != 0xD8)
        return false;
    uint8_t *o = malloc(size + 2);
    if (!o)
        return false;
    size_t n = 0, i = 2;
    o[n++] = 0xFF;
    o[n++] = 0xD8;
    bool progressive = false, framed = false;
    int scans = 0;
    /* The frame's components: id, and whether it is sampled at the
     * largest factors (its blocks then scale to one pixel). */
    uint8_t ids[4] = {0}, full[4] = {0};
    size_t frame_components = 0;
    for (;;) {
        if (i >= size || data[i] != 0xFF)
            goto not_applicable;
        while (i < size && data[i] == 0xFF)
            i++;
        if (i >= size)
            goto not_applicable;
        const uint8_t m = data[i++];
        if (m == 0xD9) {
            o[n++] = 0xFF;
            o[n++] = 0xD9;
            break;
        }
        if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD8) || i + 2 > size)
            goto not_applicable;
        const size_t len = (size_t)data[i] << 8 | data[i + 1];
        if (len < 2 || len > size - i)
            goto not_applicable;
        const uint8_t *seg = data + i; /* from the length bytes */
        if (is_sof(m)) {
            if (framed || len < 8)
                goto not_applicable;
            framed = true;
            progressive = m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE;
            if (!progressive)
                goto not_applicable;
            out->height = (uint32_t)seg[3] << 8 | seg[4];
            out->width = (uint32_t)seg[5] << 8 | seg[6];
            if (out->width < min_side || out->height < min_side)
                goto not_applicable;
            frame_components = seg[7];
            if (frame_components < 1 || frame_components > 4 ||
                len != 8 + 3 * frame_components)
                goto not_applicable;
            uint8_t hmax = 0, vmax = 0;
            for (size_t c = 0; c < frame_components; c++) {
                const uint8_t f = seg[9 + 3 * c];
                hmax = (f >> 4) > hmax ? (uint8_t)(f >> 4) : hmax;
                vmax = (f & 15) > vmax ? (uint8_t)(f & 15) : vmax;
            }
            for (size_t c = 0; c < frame_components; c++) {
                const uint8_t f = seg[9 + 3 * c];
                ids[c] = seg[8 + 3 * c];
                full[c] = (f >> 4) == hmax && (f & 15) == vmax;
            }
        }
        if (m != 0xDA) {
            o[n++] = 0xFF;
            o[n++] = m;
            memcpy(o + n, seg, len);
            n += len;
            i += len;
            continue;
        }
        /* A scan: its header, then its data up to the next marker. */
        if (!framed || len < 3 || ++scans > BWI_JPEG_MAX_SCANS)
            goto not_applicable;
        const size_t components = seg[2];
        if (components < 1 || components > 4 || len != 6 + 2 * components)
            goto not_applicable;
        bool keep = seg[3 + 2 * components] == 0; /* DC: spectral selection from 0 */
        for (size_t k = 0; k < components && !keep; k++)
            for (size_t c = 0; c < frame_components; c++)
                if (ids[c] == seg[3 + 2 * k] && !full[c])
                    keep = true;
        const size_t end = scan_end(data, size, i + len);
        if (end >= size)
            goto not_applicable; /* no end marker: let the whole decode say so */
        if (keep) {
            o[n++] = 0xFF;
            o[n++] = m;
            memcpy(o + n, seg, end - i);
            n += end - i;
        } else {
            out->dropped_scans++;
        }
        i = end;
    }
    if (!out->dropped_scans)
        goto not_applicable; /* nothing to gain */
    out->data = o;
    out->size = n;
    return true;
not_applicable:
    free(o);
    memset(out, 0, sizeof *out);
    return false;
}

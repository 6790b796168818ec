/*
 * How many bytes a container says it has, to tell a truncated file from a
 * short one: several demuxers end a cut-off file quietly, as if it were
 * complete. ISO BMFF (MP4, MOV, 3GP) gives every top-level box a size,
 * Matroska/WebM its segment, RIFF (AVI) its first chunk. Streams without
 * sizes (MPEG-TS, live Matroska) say nothing, and then neither do we.
 */
#include <string.h>
#include <unistd.h>

#include "video_internal.h"

#define MAX_TOP_LEVEL_BOXES 100000

static size_t read_at(const bwi_video_input *in, uint64_t offset, uint8_t *buf, size_t n)
{
    if (in->data) {
        if (offset >= in->size)
            return 0;
        size_t left = in->size - (size_t)offset;
        size_t got = left < n ? left : n;
        memcpy(buf, in->data + offset, got);
        return got;
    }
    if (offset > (uint64_t)INT64_MAX)
        return 0;
    ssize_t got = pread(in->fd, buf, n, (off_t)offset);
    return got > 0 ? (size_t)got : 0;
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static bool is_box_type(const uint8_t *t)
{
    static const char *const top[] = {"ftyp", "moov", "mdat", "free", "skip", "wide",
                                      "uuid", "moof", "mfra", "styp", "sidx", "meta", "pnot"};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        if (!memcmp(t, top[i], 4))
            return true;
    return false;
}

static uint64_t isobmff_bytes(const bwi_video_input *in, uint64_t actual)
{
    uint64_t offset = 0;
    for (int boxes = 0; offset < actual && boxes < MAX_TOP_LEVEL_BOXES; boxes++) {
        uint8_t h[16];
        size_t got = read_at(in, offset, h, sizeof h);
        if (got < 8)
            return offset + 8; /* a box header cut short */
        if (boxes == 0 && !is_box_type(h + 4))
            return 0;
        uint64_t size = be(h, 4);
        if (size == 1) {
            if (got < 16)
                return offset + 16;
            size = be(h + 8, 8);
        } else if (size == 0) {
            return 0; /* the last box runs to the end of the file */
        }
        if (size < 8 || size > UINT64_MAX - offset)
            return 0; /* not boxes after all; the demuxer will judge */
        offset += size;
    }
    return offset;
}

/* An EBML variable-length integer: its length, and its value (all ones
 * meaning "unknown"). 0 when malformed. */
static int ebml_vint(const uint8_t *p, size_t avail, uint64_t *value, bool *unknown)
{
    if (avail == 0 || p[0] == 0)
        return 0;
    int len = __builtin_clz((unsigned)p[0]) - 24 + 1;
    if ((size_t)len > avail)
        return 0;
    uint64_t v = p[0] & (0xFFu >> len);
    bool ones = v == (0xFFu >> len);
    for (int i = 1; i < len; i++) {
        v = v << 8 | p[i];
        ones = ones && p[i] == 0xFF;
    }
    *value = v;
    *unknown = ones;
    return len;
}

static uint64_t matroska_bytes(const bwi_video_input *in)
{
    uint8_t h[64];
    size_t got = read_at(in, 0, h, sizeof h);
    uint64_t size;
    bool unknown;
    int n = ebml_vint(h + 4, got - 4, &size, &unknown);
    if (n == 0 || unknown || size > sizeof h)
        return 0;
    size_t pos = 4 + (size_t)n + (size_t)size; /* past the EBML header */
    if (pos + 4 > got || be(h + pos, 4) != 0x18538067)
        return 0;
    n = ebml_vint(h + pos + 4, got - pos - 4, &size, &unknown);
    if (n == 0 || unknown)
        return 0;
    return pos + 4 + (uint64_t)n + size;
}

uint64_t bwi_video_declared_bytes(const bwi_video_input *in, uint64_t actual)
{
    uint8_t h[12];
    size_t got = read_at(in, 0, h, sizeof h);
    if (got >= 12 && !memcmp(h, "RIFF", 4) && !memcmp(h + 8, "AVI ", 4)) {
        uint64_t size = (uint64_t)h[4] | (uint64_t)h[5] << 8 | (uint64_t)h[6] << 16 |
                        (uint64_t)h[7] << 24;
        return size == 0 || size == 0xFFFFFFFFu ? 0 : size + 8;
    }
    if (got >= 4 && be(h, 4) == 0x1A45DFA3)
        return matroska_bytes(in);
    if (got >= 8)
        return isobmff_bytes(in, actual);
    return 0;
}

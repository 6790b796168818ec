/*
 * Sampling without decoding every frame. When only one frame in N is
 * hashed, the frames that are neither sampled nor used as a reference by
 * other frames need not be decoded at all (the decoder's AVDISCARD_NONREF,
 * asked for packet by packet). The decoder then returns fewer frames, so a
 * frame's number can no longer be counted: it is found instead from its
 * timestamp's rank among the timestamps of all the stream's packets, read in
 * a first pass that demuxes without decoding.
 *
 * That numbering equals the reference's count when every packet decodes to
 * exactly one frame, in timestamp order. Every frame that is decoded is
 * checked against it: ranks must rise, no sampled or referenced frame may be
 * missing, none may be unknown. Any surprise abandons the attempt and the
 * video is decoded again in full (bwi_skip_failed), so the output does not
 * depend on the shortcut.
 *
 * Only H.264 takes part, where "not a reference" is exact: every coded slice
 * has nal_ref_idc 0, which the packet itself says (bwi_h264_nonref), and
 * which is precisely what FFmpeg's decoder drops for AVDISCARD_NONREF. So a
 * frame missing from the decoder's output is allowed only where we asked for
 * it to be dropped, and every other frame is accounted for.
 */
#include <stdlib.h>
#include <string.h>

#include <libavcodec/codec_id.h>

#include "video_internal.h"

struct bwi_skip {
    int64_t *pts;     /* every packet's timestamp, sorted */
    uint8_t *dropped; /* by rank: the decoder was asked to drop it */
    size_t count;
    int64_t frame_mod;
    int64_t last;     /* rank of the last frame returned, -1 before any */
    bool failed;
};

bool bwi_skip_codec_ok(int codec_id)
{
    return codec_id == AV_CODEC_ID_H264;
}

/* One NAL unit header: coded slices (types 1 to 5) must all have
 * nal_ref_idc 0; other units do not matter. */
static bool slice_is_reference(uint8_t header, bool *any_slice)
{
    const int type = header & 0x1F;
    if (type < 1 || type > 5)
        return false;
    *any_slice = true;
    return (header >> 5) != 0;
}

bool bwi_h264_nonref(const uint8_t *p, size_t n, int length_size)
{
    bool any_slice = false;
    size_t pos = 0;
    if (length_size > 0) {
        /* MP4/MKV: each NAL unit behind a big-endian length. */
        while (pos < n) {
            if (n - pos < (size_t)length_size)
                return false;
            size_t len = 0;
            for (int i = 0; i < length_size; i++)
                len = len << 8 | p[pos++];
            if (len == 0 || len > n - pos || slice_is_reference(p[pos], &any_slice))
                return false;
            pos += len;
        }
        return any_slice;
    }
    /* Annex B: NAL units after 00 00 01 start codes. */
    while (pos + 3 < n) {
        if (p[pos] == 0 && p[pos + 1] == 0 && p[pos + 2] == 1) {
            if (slice_is_reference(p[pos + 3], &any_slice))
                return false;
            pos += 3;
        } else {
            pos++;
        }
    }
    return any_slice;
}

static int by_value(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

bwi_skip *bwi_skip_create(int64_t *pts, size_t count, int64_t frame_mod)
{
    bwi_skip *s = NULL;
    if (count == 0 || frame_mod < 2)
        goto fail;
    qsort(pts, count, sizeof *pts, by_value);
    for (size_t i = 1; i < count; i++)
        if (pts[i] == pts[i - 1])
            goto fail; /* two packets at one time: no order to rely on */
    s = calloc(1, sizeof *s);
    if (!s || !(s->dropped = calloc(count, 1)))
        goto fail;
    s->pts = pts;
    s->count = count;
    s->frame_mod = frame_mod;
    s->last = -1;
    return s;
fail:
    free(s);
    free(pts);
    return NULL;
}

void bwi_skip_free(bwi_skip *s)
{
    if (!s)
        return;
    free(s->pts);
    free(s->dropped);
    free(s);
}

static int64_t rank_of(const bwi_skip *s, int64_t pts)
{
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->pts[mid] < pts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->count && s->pts[lo] == pts ? (int64_t)lo : -1;
}

bool bwi_skip_may_drop(bwi_skip *s, int64_t pts)
{
    if (s->failed)
        return false;
    const int64_t rank = rank_of(s, pts);
    /* Rank 0 is always sampled, so it is decoded: a stream whose first frame
     * the decoder would not return is caught before anything is skipped. */
    if (rank <= 0 || rank % s->frame_mod == 0)
        return false;
    s->dropped[rank] = 1;
    return true;
}

/* Every rank in (from, to) must be one the decoder was asked to drop. */
static bool gap_allowed(const bwi_skip *s, int64_t from, int64_t to)
{
    for (int64_t r = from + 1; r < to; r++)
        if (!s->dropped[r])
            return false;
    return true;
}

bool bwi_skip_number(bwi_skip *s, int64_t pts, int64_t *number_out)
{
    const int64_t rank = rank_of(s, pts);
    if (s->failed || rank < 0 || rank <= s->last || !gap_allowed(s, s->last, rank)) {
        s->failed = true;
        return false;
    }
    s->last = rank;
    *number_out = rank;
    return true;
}

bool bwi_skip_finish(bwi_skip *s, int64_t *frames_out, int64_t *dropped_out)
{
    if (s->failed || s->last < 0 || !gap_allowed(s, s->last, (int64_t)s->count)) {
        s->failed = true;
        return false;
    }
    int64_t dropped = 0;
    for (size_t r = 0; r < s->count; r++)
        dropped += s->dropped[r];
    *frames_out = (int64_t)s->count;
    *dropped_out = dropped;
    return true;
}

bool bwi_skip_failed(const bwi_skip *s)
{
    return s && s->failed;
}

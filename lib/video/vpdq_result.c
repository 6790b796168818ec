/* vPDQ options and results: small owned objects with accessors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "video_internal.h"

#define DEFAULT_DURATION_MS ((uint64_t)4 * 3600 * 1000)
#define DEFAULT_FRAMES ((uint64_t)1000000)
#define DEFAULT_STREAMS ((uint64_t)64)
#define DEFAULT_DECODE_MS ((uint64_t)30 * 60 * 1000)
#define DEFAULT_FRAME_PIXELS ((uint64_t)8192 * 4320)

void bwi_vpdq_options_defaults(struct bw_vpdq_options *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->limits[BW_VIDEO_LIMIT_DURATION_MS] = DEFAULT_DURATION_MS;
    o->limits[BW_VIDEO_LIMIT_FRAMES] = DEFAULT_FRAMES;
    o->limits[BW_VIDEO_LIMIT_STREAMS] = DEFAULT_STREAMS;
    o->limits[BW_VIDEO_LIMIT_DECODE_MS] = DEFAULT_DECODE_MS;
    o->limits[BW_VIDEO_LIMIT_FRAME_PIXELS] = DEFAULT_FRAME_PIXELS;
}

BW_API bw_status bw_vpdq_options_create(bw_vpdq_options **options_out)
{
    if (!options_out)
        return BW_ERR_INVALID_ARGUMENT;
    *options_out = malloc(sizeof **options_out);
    if (!*options_out)
        return BW_ERR_NOMEM;
    bwi_vpdq_options_defaults(*options_out);
    return BW_OK;
}

BW_API void bw_vpdq_options_free(bw_vpdq_options *options)
{
    free(options);
}

BW_API bw_status bw_vpdq_options_set_seconds_per_hash(bw_vpdq_options *o, double seconds)
{
    if (!o || !isfinite(seconds) || seconds < 0)
        return BW_ERR_INVALID_ARGUMENT;
    o->seconds_per_hash = seconds;
    return BW_OK;
}

BW_API bw_status bw_vpdq_options_set_frame_size(bw_vpdq_options *o, uint32_t side)
{
    if (!o || side > BWI_VPDQ_MAX_FRAME_SIDE)
        return BW_ERR_INVALID_ARGUMENT;
    o->frame_size = side;
    return BW_OK;
}

BW_API bw_status bw_vpdq_options_set_threads(bw_vpdq_options *o, int threads)
{
    if (!o || threads < 1 || threads > BWI_VPDQ_MAX_THREADS)
        return BW_ERR_INVALID_ARGUMENT;
    o->threads = threads;
    return BW_OK;
}

BW_API bw_status bw_vpdq_options_set_keep_partial(bw_vpdq_options *o, int keep_partial)
{
    if (!o)
        return BW_ERR_INVALID_ARGUMENT;
    o->keep_partial = keep_partial != 0;
    return BW_OK;
}

BW_API bw_status bw_vpdq_options_set_skip_unsampled(bw_vpdq_options *o, int skip)
{
    if (!o)
        return BW_ERR_INVALID_ARGUMENT;
    o->skip_unsampled = skip != 0;
    return BW_OK;
}

static bool known_limit(bw_video_limit which)
{
    return which >= BW_VIDEO_LIMIT_DURATION_MS && which <= BW_VIDEO_LIMIT_FRAME_PIXELS;
}

BW_API bw_status bw_vpdq_options_set_limit(bw_vpdq_options *o, bw_video_limit which,
                                           uint64_t value)
{
    if (!o || !known_limit(which) || value == 0)
        return BW_ERR_INVALID_ARGUMENT;
    o->limits[which] = value;
    return BW_OK;
}

BW_API uint64_t bw_vpdq_options_get_limit(const bw_vpdq_options *o, bw_video_limit which)
{
    return o && known_limit(which) ? o->limits[which] : 0;
}

BW_API bw_status bw_vpdq_create(bw_vpdq **vpdq_out)
{
    if (!vpdq_out)
        return BW_ERR_INVALID_ARGUMENT;
    *vpdq_out = calloc(1, sizeof **vpdq_out);
    return *vpdq_out ? BW_OK : BW_ERR_NOMEM;
}

BW_API void bw_vpdq_free(bw_vpdq *vpdq)
{
    if (!vpdq)
        return;
    free(vpdq->items);
    free(vpdq);
}

bw_status bwi_vpdq_push(bw_vpdq *v, const bwi_vpdq_feature *feature)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        bwi_vpdq_feature *grown = realloc(v->items, cap * sizeof *grown);
        if (!grown)
            return BW_ERR_NOMEM;
        v->items = grown;
        v->cap = cap;
    }
    v->items[v->count++] = *feature;
    return BW_OK;
}

static int by_frame(const void *a, const void *b)
{
    const bwi_vpdq_feature *x = a, *y = b;
    return (x->frame > y->frame) - (x->frame < y->frame);
}

void bwi_vpdq_sort(bw_vpdq *v)
{
    if (v->count > 1)
        qsort(v->items, v->count, sizeof *v->items, by_frame);
}

BW_API bw_status bw_vpdq_append(bw_vpdq *v, int64_t frame, int quality,
                                const uint8_t hash[BW_PDQ_BYTES], double timestamp_seconds)
{
    if (!v || !hash || frame < 0 || frame > INT32_MAX || quality < 0 || quality > 100 ||
        !isfinite(timestamp_seconds) || timestamp_seconds < 0 ||
        timestamp_seconds > BWI_VPDQ_MAX_SECONDS)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_vpdq_feature f = {.frame = (int32_t)frame, .quality = quality,
                          .timestamp = timestamp_seconds};
    memcpy(f.hash, hash, BW_PDQ_BYTES);
    return bwi_vpdq_push(v, &f);
}

BW_API size_t bw_vpdq_count(const bw_vpdq *v)
{
    return v ? v->count : 0;
}

BW_API bw_status bw_vpdq_get(const bw_vpdq *v, size_t index, int64_t *frame_out,
                             int *quality_out, uint8_t hash_out[BW_PDQ_BYTES],
                             double *timestamp_out)
{
    if (!v || index >= v->count)
        return BW_ERR_INVALID_ARGUMENT;
    const bwi_vpdq_feature *f = &v->items[index];
    if (frame_out)
        *frame_out = f->frame;
    if (quality_out)
        *quality_out = f->quality;
    if (hash_out)
        memcpy(hash_out, f->hash, BW_PDQ_BYTES);
    if (timestamp_out)
        *timestamp_out = f->timestamp;
    return BW_OK;
}

BW_API double bw_vpdq_frame_rate(const bw_vpdq *v)
{
    return v ? v->frame_rate : 0;
}

BW_API uint64_t bw_vpdq_frames_decoded(const bw_vpdq *v)
{
    return v ? v->frames_decoded : 0;
}

BW_API uint64_t bw_vpdq_frames_skipped(const bw_vpdq *v)
{
    return v ? v->frames_skipped : 0;
}

BW_API uint32_t bw_vpdq_width(const bw_vpdq *v)
{
    return v ? v->width : 0;
}

BW_API uint32_t bw_vpdq_height(const bw_vpdq *v)
{
    return v ? v->height : 0;
}

/*
 * Media bodies: an image is kept in memory (it is decoded from there, up
 * to max_media_bytes); a video can be far larger, so once the first bytes
 * show one, the upload goes to an unnamed temporary file instead (up to
 * max_video_bytes) and is hashed from there. The file has no name from the
 * start, so nothing of an upload is left on disk after its request, even
 * when the process is killed.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulwarkd.h"
#include "unnamed_file.h"

/* Enough for every container signature bw_image_probe() knows. */
#define SNIFF_BYTES 512

uint64_t bwd_media_limit(const bwd_config *c, const char *media_type)
{
    if (!strncmp(media_type, "image/", 6))
        return c->max_media_bytes;
    if (!strncmp(media_type, "video/", 6))
        return c->max_video_bytes;
    return c->max_media_bytes > c->max_video_bytes ? c->max_media_bytes : c->max_video_bytes;
}

FILE *bwd_spool_open(const bwd_config *c)
{
    const int fd = bw_unnamed_file(*c->spool_dir ? c->spool_dir : "/tmp", "bulwarkd");
    FILE *f = fd >= 0 ? fdopen(fd, "w+b") : NULL;
    if (!f && fd >= 0)
        close(fd);
    return f;
}

/* Keeps bytes in memory, within the current limit. */
static bool keep(bwd_request *r, const char *data, size_t size)
{
    if (r->size + size > r->limit) {
        r->overflow = true;
        r->size += size;
        return true;
    }
    if (!text_grow(&r->body, &r->cap, r->size + size + 1, 64 * 1024))
        return false;
    memcpy(r->body + r->size, data, size);
    r->size += size;
    r->body[r->size] = '\0';
    return true;
}

/* Sniffs what has arrived: a video moves to the spool file. false when the
 * connection should be dropped. */
static bool decide(bwd_request *r)
{
    r->media_decided = true;
    bwd_thread *t = bwd_thread_get();
    bw_format format = BW_FORMAT_UNKNOWN;
    if (t)
        bw_image_probe(t->ctx, &format, NULL, NULL, r->body, r->size);
    const bwd_config *c = &r->srv->cfg;
    if (format != BW_FORMAT_VIDEO) {
        r->limit = c->max_media_bytes;
        if (r->size > r->limit)
            r->overflow = true;
        return true;
    }
    r->video = true;
    r->limit = c->max_video_bytes;
    if (r->size > r->limit) {
        r->overflow = true;
        return true;
    }
    if (!(r->spool = bwd_spool_open(c))) {
        bwd_logf(BWD_ERROR, "cannot spool a video upload", "{s:s}", "error", strerror(errno));
        return false;
    }
    const bool written = fwrite(r->body, 1, r->size, r->spool) == r->size;
    free(r->body);
    r->body = NULL;
    r->cap = 0;
    return written;
}

bool bwd_media_take(bwd_request *r, const char *data, size_t size)
{
    if (r->overflow) {
        r->size += size;
        return true;
    }
    if (!r->spool) {
        if (!keep(r, data, size))
            return false;
        return r->media_decided || r->size < SNIFF_BYTES || decide(r);
    }
    if (r->size + size > r->limit) {
        r->overflow = true;
        r->size += size;
        return true;
    }
    if (fwrite(data, 1, size, r->spool) != size)
        return false;
    r->size += size;
    return true;
}

bool bwd_media_finish(bwd_request *r)
{
    if (!r->media_decided && r->size && !decide(r)) {
        bwd_error(r, 503, "unavailable", "no room to receive the upload");
        return false;
    }
    return true;
}

bw_vpdq_options *bwd_video_options(const bwd_config *c)
{
    const char *bad = NULL;
    if (c->vpdq_quality < 0 || c->vpdq_quality > 101)
        bad = "vpdq_quality must be from 0 to 101";
    else if (!(c->vpdq_query_percent >= 0 && c->vpdq_query_percent <= 100) ||
             !(c->vpdq_compared_percent >= 0 && c->vpdq_compared_percent <= 100))
        bad = "vpdq_query_percent and vpdq_compared_percent must be from 0 to 100";
    else if (!(c->video_seconds_per_hash >= 0 && c->video_seconds_per_hash <= 1e9))
        bad = "video_seconds_per_hash must be a number of seconds";
    else if (!c->max_video_bytes || !c->video_max_seconds || !c->video_max_frames ||
             !c->video_decode_ms)
        bad = "the video limits must be positive";
    bw_vpdq_options *o = NULL;
    if (!bad && bw_vpdq_options_create(&o) != BW_OK)
        bad = "out of memory";
    if (bad) {
        bwd_logf(BWD_ERROR, "invalid configuration", "{s:s}", "error", bad);
        return NULL;
    }
    bw_vpdq_options_set_seconds_per_hash(o, c->video_seconds_per_hash);
    bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_DURATION_MS, (uint64_t)c->video_max_seconds * 1000);
    bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_FRAMES, c->video_max_frames);
    bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_DECODE_MS, c->video_decode_ms);
    return o;
}

/*
 * The packet and frame loop: frames are numbered in the order the decoder
 * returns them, as the reference counts them, and the decoder is flushed at
 * the end. Limits are checked on every frame; read and decoder errors, and
 * truncation, are reported after the last frame that could be decoded.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "video_decoder.h"

static bw_status check_frame(bwi_video *v, const AVFrame *frame)
{
    bw_status st = bwi_video_check_frame_size(v, frame->width, frame->height);
    if (st != BW_OK)
        return st;
    char what[96];
    const uint64_t max_frames = v->options->limits[BW_VIDEO_LIMIT_FRAMES];
    if ((uint64_t)v->frames >= max_frames) {
        snprintf(what, sizeof what, "more than the limit of %" PRIu64 " frames", max_frames);
        return bwi_video_fail_progress(v, BW_ERR_LIMIT, what);
    }
    const double max_s = (double)v->options->limits[BW_VIDEO_LIMIT_DURATION_MS] / 1000.0;
    if ((double)v->frames / v->frame_rate > max_s) {
        snprintf(what, sizeof what, "longer than the limit of %.1f s", max_s);
        return bwi_video_fail_progress(v, BW_ERR_LIMIT, what);
    }
    return BW_OK;
}

/* Why the stream ended badly, once the decoder has given every frame. */
static bw_status end_of_stream(bwi_video *v)
{
    char what[160], buf[AV_ERROR_MAX_STRING_SIZE];
    const bool at_eof = v->avio->eof_reached;
    if (v->demux_error == AVERROR_EXIT)
        return bwi_video_check_time(v);
    if (bwi_video_truncated(v))
        return bwi_video_fail_truncated(v);
    if (v->demux_error) {
        snprintf(what, sizeof what, "%s (%s)",
                 at_eof ? "the file ends early" : "the container is damaged",
                 bwi_video_av_error_text(v->demux_error, buf));
        return bwi_video_fail_progress(v, at_eof ? BW_ERR_TRUNCATED : BW_ERR_CORRUPT, what);
    }
    if (at_eof && v->frames_expected > 0 && v->packets < v->frames_expected) {
        snprintf(what, sizeof what,
                 "the file ends early: it holds data for %" PRId64 " of its %" PRId64 " frames",
                 v->packets, v->frames_expected);
        return bwi_video_fail_progress(v, BW_ERR_TRUNCATED, what);
    }
    if (v->frames == 0)
        return bwi_fail(v->ctx, BW_ERR_CORRUPT, "video: no frame could be decoded");
    return BW_OK;
}

/* Reads packets until one of our stream has gone to the decoder, or the
 * input ends and the decoder is flushed. */
static bw_status feed_decoder(bwi_video *v)
{
    char what[160], buf[AV_ERROR_MAX_STRING_SIZE];
    for (;;) {
        bw_status st = bwi_video_check_time(v);
        if (st != BW_OK)
            return st;
        int err = av_read_frame(v->format, v->packet);
        if (err < 0) {
            /* The reference treats every read error as the end of input
             * and flushes; we flush too (so partial results keep every
             * decodable frame) and report the error after the last frame. */
            if (err != AVERROR_EOF)
                v->demux_error = err;
            v->draining = true;
            avcodec_send_packet(v->decoder, NULL);
            return BW_OK;
        }
        if ((st = bwi_video_check_streams(v)) != BW_OK) {
            av_packet_unref(v->packet);
            return st;
        }
        if (v->packet->stream_index != v->stream) {
            av_packet_unref(v->packet);
            continue;
        }
        v->packets++;
        if (v->skip) {
            const AVPacket *p = v->packet;
            const bool drop = bwi_h264_nonref(p->data, (size_t)p->size, v->nal_length_size) &&
                              bwi_skip_may_drop(v->skip, p->pts);
            v->decoder->skip_frame = drop ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
        }
        err = avcodec_send_packet(v->decoder, v->packet);
        av_packet_unref(v->packet);
        if (err < 0 && bwi_video_truncated(v))
            return bwi_video_fail_truncated(v);
        if (err < 0) {
            snprintf(what, sizeof what, "the decoder rejected the data of frame %" PRId64 " (%s)",
                     v->packets, bwi_video_av_error_text(err, buf));
            return bwi_video_fail_progress(v, BW_ERR_CORRUPT, what);
        }
        return BW_OK;
    }
}

/* While skipping, a frame's number is its timestamp's rank; v->frames is
 * set to it so the limits and messages see the real count. Damaged frames
 * end the shortcut: a full decode treats them as the reference does. */
static bool number_by_time(bwi_video *v)
{
    int64_t number;
    if (v->frame->decode_error_flags || (v->frame->flags & AV_FRAME_FLAG_CORRUPT) ||
        !bwi_skip_number(v->skip, v->frame->pts, &number)) {
        av_frame_unref(v->frame);
        return false;
    }
    v->frames = number;
    return true;
}

static bw_status skip_failure(bwi_video *v)
{
    v->skip_broken = true;
    return bwi_fail(v->ctx, BW_ERR_INTERNAL,
                    "video: frames did not add up while skipping; decode in full");
}

bw_status bwi_video_next(bwi_video *v, AVFrame **frame_out, int64_t *number_out)
{
    char what[160], buf[AV_ERROR_MAX_STRING_SIZE];
    *frame_out = NULL;
    av_frame_unref(v->frame);
    while (!v->finished) {
        int err = avcodec_receive_frame(v->decoder, v->frame);
        if (err == 0) {
            if (v->skip && !number_by_time(v))
                return skip_failure(v);
            bw_status st = check_frame(v, v->frame);
            if (st != BW_OK) {
                av_frame_unref(v->frame);
                return st;
            }
            *frame_out = v->frame;
            *number_out = v->frames++;
            return BW_OK;
        }
        if (err == AVERROR_EOF) {
            v->finished = true;
            int64_t total;
            if (v->skip && !bwi_skip_finish(v->skip, &total, &v->skipped))
                return skip_failure(v);
            if (v->skip)
                v->frames = total;
            return end_of_stream(v);
        }
        if (err != AVERROR(EAGAIN)) {
            snprintf(what, sizeof what, "the decoder failed (%s)", bwi_video_av_error_text(err, buf));
            return bwi_video_fail_progress(v, BW_ERR_CORRUPT, what);
        }
        if (v->draining) {
            /* A decoder that wants more input after a flush is broken. */
            v->finished = true;
            return end_of_stream(v);
        }
        bw_status st = feed_decoder(v);
        if (st != BW_OK)
            return st;
    }
    return BW_OK;
}

int64_t bwi_video_frames(const bwi_video *v)
{
    return v->frames;
}

int64_t bwi_video_frames_skipped(const bwi_video *v)
{
    return v->skipped;
}

bw_status bwi_video_packet_times(bwi_video *v, int64_t **pts_out, size_t *count_out)
{
    size_t count = 0, cap = 1024;
    int64_t *pts = malloc(cap * sizeof *pts);
    *pts_out = NULL;
    *count_out = 0;
    if (!pts)
        return bwi_fail(v->ctx, BW_ERR_NOMEM, "video: out of memory");
    const uint64_t max_frames = v->options->limits[BW_VIDEO_LIMIT_FRAMES];
    bool usable = true;
    for (;;) {
        bw_status st = bwi_video_check_time(v);
        if (st != BW_OK) {
            free(pts);
            return st;
        }
        const int err = av_read_frame(v->format, v->packet);
        if (err < 0) {
            /* Damage is left to the decoding pass to report. */
            usable = usable && err == AVERROR_EOF;
            break;
        }
        const AVPacket *p = v->packet;
        if (p->stream_index == v->stream && !(p->flags & AV_PKT_FLAG_DISCARD)) {
            if (p->pts == AV_NOPTS_VALUE || (p->flags & AV_PKT_FLAG_CORRUPT) ||
                count >= max_frames)
                usable = false;
            if (count == cap) {
                int64_t *grown = realloc(pts, 2 * cap * sizeof *pts);
                if (!grown) {
                    av_packet_unref(v->packet);
                    free(pts);
                    return bwi_fail(v->ctx, BW_ERR_NOMEM, "video: out of memory");
                }
                pts = grown;
                cap *= 2;
            }
            pts[count++] = p->pts;
        }
        av_packet_unref(v->packet);
        if (!usable)
            break;
    }
    if (!usable || bwi_video_truncated(v)) {
        free(pts);
        return BW_OK;
    }
    *pts_out = pts;
    *count_out = count;
    return BW_OK;
}

void bwi_video_use_skip(bwi_video *v, bwi_skip *skip)
{
    v->skip = skip;
}

bool bwi_video_skip_failed(const bwi_video *v)
{
    return v->skip_broken || bwi_skip_failed(v->skip);
}


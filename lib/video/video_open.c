/*
 * Opening a video the way Meta's vpdq-hash-video does, so that frames come
 * out with the same pixels and numbers: the first video stream, with its
 * codec parameters as avformat_find_stream_info() leaves them. Around that,
 * what hostile input needs: our own AVIO (no URL protocols, no nested
 * files), limits checked against the header, a wall-clock deadline, and
 * errors that say how far decoding got.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/dict.h>

#include "decode/decode_internal.h"
#include "video_decoder.h"

/* Added to the level of every message of the decoders we open so that none
 * passes FFmpeg's process-wide threshold (see bw_video_quiet_ffmpeg_log).
 * Levels run from 8 (fatal) to 56 (trace) and the logger keeps only the low
 * byte, so the shifted levels, 158..206, stay above every real threshold. */
#define QUIET_LOG_OFFSET "150"

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int interrupt_when_late(void *opaque)
{
    const bwi_video *v = opaque;
    return now_ns() > v->deadline_ns;
}

/* Demuxers that would open other files or URLs named inside the input
 * (HLS, DASH, concat, image sequences) get a refusal instead. */
static int refuse_io_open(AVFormatContext *s, AVIOContext **pb, const char *url,
                          int flags, AVDictionary **options)
{
    (void)s;
    (void)pb;
    (void)url;
    (void)flags;
    (void)options;
    return AVERROR(EPERM);
}

const char *bwi_video_av_error_text(int err, char buf[AV_ERROR_MAX_STRING_SIZE])
{
    if (av_strerror(err, buf, AV_ERROR_MAX_STRING_SIZE) < 0)
        snprintf(buf, AV_ERROR_MAX_STRING_SIZE, "error %d", err);
    return buf;
}

/* Where decoding got to, for error messages: "after 120 frames (4.000 s)". */
static void progress_text(const bwi_video *v, char *out, size_t size)
{
    if (v->frames == 0) {
        snprintf(out, size, "before any frame was decoded");
        return;
    }
    double seconds = v->frame_rate > 0 ? (double)v->frames / v->frame_rate : 0;
    snprintf(out, size, "after %" PRId64 " frame%s (%.3f s)", v->frames,
             v->frames == 1 ? "" : "s", seconds);
}

bw_status bwi_video_fail_progress(bwi_video *v, bw_status status, const char *what)
{
    char where[96];
    progress_text(v, where, sizeof where);
    return bwi_fail(v->ctx, status, "video: %s, %s", what, where);
}

bool bwi_video_truncated(const bwi_video *v)
{
    return v->declared_bytes > v->input_bytes;
}

bw_status bwi_video_fail_truncated(bwi_video *v)
{
    char what[160];
    snprintf(what, sizeof what,
             "the file ends early: it has %" PRIu64 " of the %" PRIu64
             " bytes its container declares",
             v->input_bytes, v->declared_bytes);
    return bwi_video_fail_progress(v, BW_ERR_TRUNCATED, what);
}

bw_status bwi_video_check_time(bwi_video *v)
{
    if (now_ns() <= v->deadline_ns)
        return BW_OK;
    char what[96];
    snprintf(what, sizeof what, "decoding took longer than the limit of %" PRIu64 " ms",
             v->options->limits[BW_VIDEO_LIMIT_DECODE_MS]);
    return bwi_video_fail_progress(v, BW_ERR_TIMEOUT, what);
}

static bool input_looks_like_video(const bwi_video_input *in)
{
    uint8_t head[512];
    size_t n = 0;
    if (in->data) {
        n = in->size < sizeof head ? in->size : sizeof head;
        memcpy(head, in->data, n);
    } else {
        ssize_t got = pread(in->fd, head, sizeof head, 0);
        n = got > 0 ? (size_t)got : 0;
    }
    return bwi_sniff(head, n) == BW_FORMAT_VIDEO;
}

static bw_status open_failure(bwi_video *v, const bwi_video_input *in, int err)
{
    char buf[AV_ERROR_MAX_STRING_SIZE];
    if (err == AVERROR_EXIT)
        return bwi_video_check_time(v);
    if (bwi_video_truncated(v))
        return bwi_fail(v->ctx, BW_ERR_TRUNCATED,
                        "video: the file ends inside its header: it has %" PRIu64
                        " of the %" PRIu64 " bytes its container declares (%s)",
                        v->input_bytes, v->declared_bytes, bwi_video_av_error_text(err, buf));
    if (v->avio && v->avio->eof_reached)
        return bwi_fail(v->ctx, BW_ERR_TRUNCATED,
                        "video: the file ends inside its header (%s)",
                        bwi_video_av_error_text(err, buf));
    if (input_looks_like_video(in))
        return bwi_fail(v->ctx, BW_ERR_CORRUPT, "video: cannot read the header (%s)",
                        bwi_video_av_error_text(err, buf));
    return bwi_fail(v->ctx, BW_ERR_UNSUPPORTED,
                    "not a video format FFmpeg can read (%s)", bwi_video_av_error_text(err, buf));
}

bw_status bwi_video_check_streams(bwi_video *v)
{
    uint64_t max = v->options->limits[BW_VIDEO_LIMIT_STREAMS];
    if (v->format->nb_streams > max)
        return bwi_fail(v->ctx, BW_ERR_LIMIT,
                        "video: %u streams, over the limit of %" PRIu64,
                        v->format->nb_streams, max);
    return BW_OK;
}

/* Frame size against the context's image limits and the video pixel limit. */
bw_status bwi_video_check_frame_size(bwi_video *v, int width, int height)
{
    if (width <= 0 || height <= 0)
        return bwi_fail(v->ctx, BW_ERR_CORRUPT, "video: the stream has no frame size");
    bw_status st = bwi_check_dimensions(v->ctx, "video", (uint64_t)width, (uint64_t)height);
    if (st != BW_OK)
        return st == BW_ERR_CORRUPT ? st : BW_ERR_TOO_MANY_PIXELS;
    uint64_t max = v->options->limits[BW_VIDEO_LIMIT_FRAME_PIXELS];
    if ((uint64_t)width * (uint64_t)height > max)
        return bwi_fail(v->ctx, BW_ERR_TOO_MANY_PIXELS,
                        "video: frames of %dx%d are over the limit of %" PRIu64 " pixels",
                        width, height, max);
    return BW_OK;
}

/* The first video stream, as the reference picks it, except that cover art
 * (an attached picture) is used only when there is nothing else. */
static int pick_stream(const AVFormatContext *f)
{
    int picture = -1;
    for (unsigned i = 0; i < f->nb_streams; i++) {
        const AVStream *st = f->streams[i];
        if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO)
            continue;
        if (!(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
            return (int)i;
        if (picture < 0)
            picture = (int)i;
    }
    return picture;
}

static bw_status check_duration(bwi_video *v, const AVStream *st)
{
    const uint64_t max_ms = v->options->limits[BW_VIDEO_LIMIT_DURATION_MS];
    double seconds = -1;
    if (st->duration > 0 && st->time_base.num > 0 && st->time_base.den > 0)
        seconds = (double)st->duration * av_q2d(st->time_base);
    else if (v->format->duration > 0)
        seconds = (double)v->format->duration / AV_TIME_BASE;
    if (seconds > (double)max_ms / 1000.0)
        return bwi_fail(v->ctx, BW_ERR_LIMIT,
                        "video: lasts %.1f s, over the limit of %.1f s", seconds,
                        (double)max_ms / 1000.0);
    const uint64_t max_frames = v->options->limits[BW_VIDEO_LIMIT_FRAMES];
    if (st->nb_frames > 0 && (uint64_t)st->nb_frames > max_frames)
        return bwi_fail(v->ctx, BW_ERR_LIMIT,
                        "video: %" PRId64 " frames, over the limit of %" PRIu64,
                        st->nb_frames, max_frames);
    return BW_OK;
}

/* Per-stream options for the decoders avformat_find_stream_info() opens:
 * quiet, and bounded in frame size before any pixel is allocated. */
static AVDictionary **probe_options(const AVFormatContext *f, int64_t max_pixels)
{
    AVDictionary **opts = av_calloc(f->nb_streams ? f->nb_streams : 1, sizeof *opts);
    if (!opts)
        return NULL;
    for (unsigned i = 0; i < f->nb_streams; i++) {
        av_dict_set(&opts[i], "log_level_offset", QUIET_LOG_OFFSET, 0);
        av_dict_set_int(&opts[i], "max_pixels", max_pixels, 0);
    }
    return opts;
}

static void free_probe_options(AVDictionary **opts, unsigned count)
{
    if (!opts)
        return;
    for (unsigned i = 0; i < count; i++)
        av_dict_free(&opts[i]);
    av_free(opts);
}

/* The bound for FFmpeg's own max_pixels, checked before any frame buffer is
 * allocated. FFmpeg counts the width rounded up to its stride alignment, so
 * it gets some room; the exact limits are checked on the codec parameters
 * and on every frame. */
static int64_t pixel_limit(const bwi_video *v)
{
    uint64_t max = v->options->limits[BW_VIDEO_LIMIT_FRAME_PIXELS];
    if (v->ctx->limit_pixels < max)
        max = v->ctx->limit_pixels;
    if (max > (uint64_t)INT64_MAX / 2)
        return INT64_MAX;
    return (int64_t)(max + max / 8 + 65536);
}

static bw_status open_decoder(bwi_video *v, const AVStream *st)
{
    const AVCodecParameters *par = st->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return bwi_fail(v->ctx, BW_ERR_UNSUPPORTED, "video: no decoder for codec '%s'",
                        avcodec_get_name(par->codec_id));
    v->decoder = avcodec_alloc_context3(codec);
    if (!v->decoder)
        return bwi_fail(v->ctx, BW_ERR_NOMEM, "video: cannot allocate the decoder");
    if (avcodec_parameters_to_context(v->decoder, par) < 0)
        return bwi_fail(v->ctx, BW_ERR_NOMEM, "video: cannot set up the decoder");
    /* One thread: the caller decides about parallelism (bw_vpdq_options). */
    v->decoder->thread_count = 1;
    v->decoder->max_pixels = pixel_limit(v);
    v->decoder->log_level_offset = atoi(QUIET_LOG_OFFSET);
    int err = avcodec_open2(v->decoder, codec, NULL);
    if (err < 0) {
        char buf[AV_ERROR_MAX_STRING_SIZE];
        return bwi_fail(v->ctx, BW_ERR_UNSUPPORTED, "video: cannot open the %s decoder (%s)",
                        codec->name, bwi_video_av_error_text(err, buf));
    }
    return BW_OK;
}

static bw_status open_stream(bwi_video *v, bwi_video_info *info)
{
    AVFormatContext *f = v->format;
    bw_status st = bwi_video_check_streams(v);
    if (st != BW_OK)
        return st;
    const unsigned streams = f->nb_streams;
    AVDictionary **opts = probe_options(f, pixel_limit(v));
    if (!opts)
        return bwi_fail(v->ctx, BW_ERR_NOMEM, "video: out of memory");
    int err = avformat_find_stream_info(f, opts);
    free_probe_options(opts, streams);
    if (err == AVERROR_EXIT)
        return bwi_video_check_time(v);
    if (err < 0 && bwi_video_truncated(v))
        return bwi_video_fail_truncated(v);
    if (err < 0) {
        char buf[AV_ERROR_MAX_STRING_SIZE];
        return bwi_fail(v->ctx, BW_ERR_CORRUPT, "video: cannot read stream information (%s)",
                        bwi_video_av_error_text(err, buf));
    }
    if ((st = bwi_video_check_streams(v)) != BW_OK)
        return st;
    v->stream = pick_stream(f);
    if (v->stream < 0)
        return bwi_fail(v->ctx, BW_ERR_UNSUPPORTED, "video: the file has no video stream");
    AVStream *vs = f->streams[v->stream];
    /* Other streams are not needed; the demuxer may skip their data. */
    for (unsigned i = 0; i < f->nb_streams; i++)
        if ((int)i != v->stream)
            f->streams[i]->discard = AVDISCARD_ALL;
    if ((st = bwi_video_check_frame_size(v, vs->codecpar->width, vs->codecpar->height)) != BW_OK)
        return st;
    if ((st = check_duration(v, vs)) != BW_OK)
        return st;
    AVRational rate = vs->avg_frame_rate;
    if (rate.num == 0 || rate.den == 0)
        rate = vs->r_frame_rate;
    v->frame_rate = rate.den ? (double)rate.num / (double)rate.den : 0;
    if (!(v->frame_rate > 0) || v->frame_rate > 1e6)
        return bwi_fail(v->ctx, BW_ERR_CORRUPT, "video: no usable frame rate (%d/%d)",
                        rate.num, rate.den);
    v->frames_expected = vs->nb_frames > 0 ? vs->nb_frames : 0;
    if ((st = open_decoder(v, vs)) != BW_OK)
        return st;
    info->width = v->decoder->width;
    info->height = v->decoder->height;
    info->pix_fmt = v->decoder->pix_fmt;
    info->frame_rate = v->frame_rate;
    info->frames_expected = v->frames_expected;
    info->codec_id = vs->codecpar->codec_id;
    const AVCodecParameters *par = vs->codecpar;
    if (par->extradata_size >= 7 && par->extradata[0] == 1)
        v->nal_length_size = (par->extradata[4] & 3) + 1;
    return BW_OK;
}

bw_status bwi_video_open(bw_ctx *ctx, bwi_video **video_out, const bwi_video_input *input,
                         const struct bw_vpdq_options *options, bwi_video_info *info_out)
{
    *video_out = NULL;
    bwi_video *v = calloc(1, sizeof *v);
    if (!v)
        return bwi_fail(ctx, BW_ERR_NOMEM, "video: out of memory");
    v->ctx = ctx;
    v->options = options;
    v->deadline_ns = now_ns();
    const uint64_t limit_ms = options->limits[BW_VIDEO_LIMIT_DECODE_MS];
    v->deadline_ns += limit_ms > (uint64_t)INT64_MAX / 2000000
                          ? INT64_MAX / 2
                          : (int64_t)limit_ms * 1000000;
    if (input->data) {
        v->input_bytes = input->size;
    } else {
        off_t end = lseek(input->fd, 0, SEEK_END);
        v->input_bytes = end > 0 ? (uint64_t)end : 0;
    }
    v->declared_bytes = bwi_video_declared_bytes(input, v->input_bytes);
    v->packet = av_packet_alloc();
    v->frame = av_frame_alloc();
    v->format = avformat_alloc_context();
    v->avio = bwi_video_avio_open(input, &v->avio_state);
    if (!v->packet || !v->frame || !v->format || !v->avio) {
        bwi_video_close(v);
        return bwi_fail(ctx, BW_ERR_NOMEM, "video: out of memory");
    }
    v->format->pb = v->avio;
    v->format->flags |= AVFMT_FLAG_CUSTOM_IO;
    v->format->io_open = refuse_io_open;
    v->format->interrupt_callback.callback = interrupt_when_late;
    v->format->interrupt_callback.opaque = v;
    AVFormatContext *f = v->format;
    int err = avformat_open_input(&f, input->name ? input->name : "", NULL, NULL);
    if (err < 0) {
        /* avformat_open_input frees the context on failure. */
        v->format = NULL;
        bw_status st = open_failure(v, input, err);
        bwi_video_close(v);
        return st;
    }
    bw_status st = open_stream(v, info_out);
    if (st != BW_OK) {
        bwi_video_close(v);
        return st;
    }
    *video_out = v;
    return BW_OK;
}

/* Checks a decoded frame against the limits before it is counted. */
void bwi_video_close(bwi_video *v)
{
    if (!v)
        return;
    bwi_skip_free(v->skip);
    avcodec_free_context(&v->decoder);
    avformat_close_input(&v->format);
    bwi_video_avio_close(v->avio, v->avio_state);
    av_packet_free(&v->packet);
    av_frame_free(&v->frame);
    free(v);
}

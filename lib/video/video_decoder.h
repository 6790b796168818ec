/*
 * The FFmpeg decoder's state, shared by video_open.c (opening the input,
 * choosing the stream, limits from the header) and video_decode.c (the
 * packet and frame loop). Private to those two files.
 */
#ifndef BULWARK_LIB_VIDEO_DECODER_H
#define BULWARK_LIB_VIDEO_DECODER_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>

#include "video_internal.h"

struct bwi_video {
    bw_ctx *ctx;
    const struct bw_vpdq_options *options;
    AVFormatContext *format;
    AVIOContext *avio;
    void *avio_state;
    AVCodecContext *decoder;
    AVPacket *packet;
    AVFrame *frame;
    int stream;
    double frame_rate;
    int64_t frames;          /* frames returned */
    int64_t packets;         /* packets of our stream sent to the decoder */
    int64_t frames_expected; /* from the container, 0 when unknown */
    int64_t deadline_ns;
    int demux_error;         /* av_read_frame's error when it was not EOF */
    uint64_t input_bytes;
    uint64_t declared_bytes; /* what the container says, 0 if it does not */
    bool draining;           /* the decoder has been flushed */
    bool finished;
    bwi_skip *skip;          /* when unsampled non-reference frames are dropped */
    bool skip_broken;        /* ...and that went wrong */
    int64_t skipped;         /* frames dropped undecoded, once the end is reached */
    int nal_length_size;     /* H.264 in MP4/MKV form; 0 for Annex B */
};


/* FFmpeg's text for an error code, in buf. */
const char *bwi_video_av_error_text(int err, char buf[AV_ERROR_MAX_STRING_SIZE]);

/* Fails with "video: WHAT, after N frames (T s)". */
bw_status bwi_video_fail_progress(bwi_video *v, bw_status status, const char *what);

/* Whether the container declares more bytes than the input has, and the
 * failure that says so. */
bool bwi_video_truncated(const bwi_video *v);
bw_status bwi_video_fail_truncated(bwi_video *v);

/* The stream count and a frame size against the limits. */
bw_status bwi_video_check_streams(bwi_video *v);
bw_status bwi_video_check_frame_size(bwi_video *v, int width, int height);

#endif

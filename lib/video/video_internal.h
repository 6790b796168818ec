/*
 * Video internals: options, the vPDQ result, and the FFmpeg decoder that
 * delivers frames in the order and numbering the reference uses.
 */
#ifndef BULWARK_LIB_VIDEO_INTERNAL_H
#define BULWARK_LIB_VIDEO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "bulwark/bw_video.h"
#include "common/bw_internal.h"

#define BWI_VIDEO_LIMIT_COUNT 6 /* bw_video_limit values are 1..5 */
#define BWI_VPDQ_MAX_FRAME_SIDE 8192
#define BWI_VPDQ_MAX_THREADS 256
/* Largest timestamp accepted (about 31 years): keeps every line within
 * BW_VPDQ_LINE_MAX when written back. */
#define BWI_VPDQ_MAX_SECONDS 1e9

struct bw_vpdq_options {
    double seconds_per_hash;
    uint32_t frame_size;
    int threads;
    bool keep_partial;
    bool skip_unsampled;
    uint64_t limits[BWI_VIDEO_LIMIT_COUNT];
};

/* The defaults, for callers that pass NULL options. */
void bwi_vpdq_options_defaults(struct bw_vpdq_options *options);

typedef struct bwi_vpdq_feature {
    uint8_t hash[BW_PDQ_BYTES];
    int32_t frame;
    int32_t quality;
    double timestamp;
} bwi_vpdq_feature;

struct bw_vpdq {
    bwi_vpdq_feature *items;
    size_t count;
    size_t cap;
    double frame_rate;
    uint64_t frames_decoded;
    uint64_t frames_skipped;
    uint32_t width;
    uint32_t height;
};

/* Appends without checking the values (they come from the hasher). */
bw_status bwi_vpdq_push(bw_vpdq *vpdq, const bwi_vpdq_feature *feature);

/* Sorts features by frame number (workers finish out of order). */
void bwi_vpdq_sort(bw_vpdq *vpdq);

/* ---- the decoder ---- */

struct AVFrame;

/* Where the bytes come from: a buffer, or a file read with pread. */
typedef struct bwi_video_input {
    const uint8_t *data; /* NULL for a file */
    size_t size;
    int fd;
    const char *name; /* the path: a hint for formats probed by extension */
} bwi_video_input;

typedef struct bwi_video bwi_video;
typedef struct bwi_skip bwi_skip;

/* What the decoder found in the header, before any frame is decoded. */
typedef struct bwi_video_info {
    int width;        /* the stream's coded-picture size, as the reference */
    int height;       /* takes it from the codec parameters */
    int pix_fmt;      /* enum AVPixelFormat, -1 when not known yet */
    double frame_rate; /* avg_frame_rate, else r_frame_rate */
    int64_t frames_expected; /* the container's frame count, 0 if unknown */
    int codec_id;     /* enum AVCodecID */
} bwi_video_info;

/*
 * Opens the input, picks the video stream, checks the limits that the
 * header can answer (streams, duration, frame size) and opens the decoder.
 */
bw_status bwi_video_open(bw_ctx *ctx, bwi_video **video_out,
                         const bwi_video_input *input,
                         const struct bw_vpdq_options *options,
                         bwi_video_info *info_out);

/*
 * The next decoded frame and its number (0-based, in output order, counted
 * as the reference counts them). *frame_out is NULL at the end of the
 * stream. The frame belongs to the decoder until the next call; a caller
 * that keeps it moves its reference out (av_frame_move_ref).
 */
bw_status bwi_video_next(bwi_video *video, struct AVFrame **frame_out,
                         int64_t *number_out);

/* Frames returned so far (with skipping: frames a full decode returns). */
int64_t bwi_video_frames(const bwi_video *video);

/* Frames not decoded at all thanks to skipping (known at the end). */
int64_t bwi_video_frames_skipped(const bwi_video *video);

/* Fails with BW_ERR_TIMEOUT when the decode-time limit has passed. */
bw_status bwi_video_check_time(bwi_video *video);

/*
 * Reads every packet of the video stream without decoding and returns their
 * timestamps (the caller frees them). *pts_out is NULL when a packet has
 * none. Only for a decoder that has not returned frames yet.
 */
bw_status bwi_video_packet_times(bwi_video *video, int64_t **pts_out, size_t *count_out);

/* Decodes from now on only what `skip` does not drop, numbering frames by
 * timestamp (takes ownership). */
void bwi_video_use_skip(bwi_video *video, bwi_skip *skip);

/* After a failure: whether it came from the skipping shortcut, so that a
 * full decode would do better. */
bool bwi_video_skip_failed(const bwi_video *video);

/* Closes the decoder and the input. Accepts NULL. */
void bwi_video_close(bwi_video *video);

/* Bytes the container declares (box, segment or chunk sizes), 0 when it
 * does not say; more than `actual` means the file was cut short. */
uint64_t bwi_video_declared_bytes(const bwi_video_input *input, uint64_t actual);

/* ---- decoding only the frames that matter (video_skip.c) ---- */

/* Whether the codec's packets say exactly which frames are not references. */
bool bwi_skip_codec_ok(int codec_id);

/* Whether an H.264 packet holds only non-reference slices. length_size is
 * the NAL length field size of MP4-style packets, 0 for Annex B. */
bool bwi_h264_nonref(const uint8_t *data, size_t size, int length_size);

/* Takes the timestamps of all the stream's packets (owned from then on, also
 * on failure). NULL when they cannot number frames (repeats, none) or
 * frame_mod < 2. */
bwi_skip *bwi_skip_create(int64_t *pts, size_t count, int64_t frame_mod);
void bwi_skip_free(bwi_skip *skip);

/* Whether the packet at pts, a non-reference frame, may be dropped (it is
 * not sampled); records that it was. */
bool bwi_skip_may_drop(bwi_skip *skip, int64_t pts);

/* The number of a decoded frame from its timestamp; false (and failed from
 * then on) when the frames no longer add up. */
bool bwi_skip_number(bwi_skip *skip, int64_t pts, int64_t *number_out);

/* At the end: whether every frame was accounted for, how many frames a full
 * decode gives, and how many were not decoded. */
bool bwi_skip_finish(bwi_skip *skip, int64_t *frames_out, int64_t *dropped_out);

/* Whether the numbering broke down (then a full decode is needed). */
bool bwi_skip_failed(const bwi_skip *skip);

/* ---- reading from a buffer or a file descriptor (FFmpeg AVIO) ---- */

struct AVIOContext;

/* An AVIO context over the input; NULL when out of memory. */
struct AVIOContext *bwi_video_avio_open(const bwi_video_input *input,
                                        void **state_out);
void bwi_video_avio_close(struct AVIOContext *avio, void *state);

/* ---- frames to features ---- */

/*
 * Converts decoded frames to RGB24 at the hashing size exactly as the
 * reference does (swscale, SWS_AREA, a buffer from av_frame_get_buffer) and
 * hashes them with PDQ. One per thread.
 */
typedef struct bwi_frame_hasher bwi_frame_hasher;

/* src_* are the decoder's size and pixel format when it was opened (the
 * reference builds its scaler from them); dst_* the hashing size. */
bw_status bwi_frame_hasher_create(bw_ctx *ctx, bwi_frame_hasher **out,
                                  int src_width, int src_height, int src_pix_fmt,
                                  int dst_width, int dst_height, double frame_rate);
bw_status bwi_frame_hasher_run(bw_ctx *ctx, bwi_frame_hasher *hasher,
                               const struct AVFrame *frame, int64_t number,
                               bwi_vpdq_feature *feature_out);
void bwi_frame_hasher_free(bwi_frame_hasher *hasher);

/* Hashes the sampled frames on worker threads (options->threads - 1 of
 * them) while the calling thread decodes. */
bw_status bwi_vpdq_hash_parallel(bw_ctx *ctx, bw_vpdq *out, bwi_video *video,
                                 const bwi_video_info *info, int dst_width,
                                 int dst_height, int64_t frame_mod, int workers);

#endif

/*
 * Bulwark — video: vPDQ hashes (a PDQ hash, quality and timestamp for each
 * sampled frame), identical to Meta's reference vpdq-hash-video when built
 * against the same FFmpeg, the vPDQ text format, and the reference's way of
 * matching two videos. Decoding goes through FFmpeg's libraries, so every
 * container and codec they support is accepted; limits on duration,
 * frames, resolution, streams and decoding time bound hostile input.
 *
 * THREAD SAFETY: a bw_ctx must not be shared between threads (as
 * everywhere). Options may be shared read-only once set. A bw_vpdq is
 * immutable once returned by the hashing or parsing functions and may be
 * read (and matched) from many threads; bw_vpdq_append() must not run
 * concurrently with anything else on the same object.
 * bw_video_quiet_ffmpeg_log() is the one call with a process-wide effect;
 * see its comment.
 */
#ifndef BULWARK_BW_VIDEO_H
#define BULWARK_BW_VIDEO_H

#include "bw_common.h"
#include "bw_pdq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The distance and quality thresholds ThreatExchange uses for vPDQ. */
#define BW_VPDQ_DEFAULT_DISTANCE 31
#define BW_VPDQ_DEFAULT_QUALITY 50

/* Longest line bw_vpdq_write_line() writes, newline and NUL included. */
#define BW_VPDQ_LINE_MAX 128

/* ---- options ---------------------------------------------------------- */

/* How to hash a video; reusable for any number of videos. */
typedef struct bw_vpdq_options bw_vpdq_options;

/*
 * Creates options with the reference's defaults (every frame, native size,
 * one thread) and the default limits below. Fails only with BW_ERR_NOMEM.
 */
BW_API bw_status bw_vpdq_options_create(bw_vpdq_options **options_out);

/* Frees options. Accepts NULL. */
BW_API void bw_vpdq_options_free(bw_vpdq_options *options);

/*
 * Hash one frame every `seconds` of video: frame n is hashed when
 * n % (int)(seconds * frame_rate) == 0, as the reference's -r does (its
 * command line reads the value as a float: pass (double)strtof(...) to get
 * its exact behaviour). 0 hashes every frame (the default). Negative, NaN
 * or infinite values fail with BW_ERR_INVALID_ARGUMENT.
 */
BW_API bw_status bw_vpdq_options_set_seconds_per_hash(bw_vpdq_options *options,
                                                      double seconds);

/*
 * Scale every frame to side x side pixels before hashing, as the
 * reference's -s does; 0 hashes frames at their own size (the default).
 * Sides from 1 to 4 cannot be hashed; over 8192 is refused
 * (BW_ERR_INVALID_ARGUMENT).
 */
BW_API bw_status bw_vpdq_options_set_frame_size(bw_vpdq_options *options,
                                                uint32_t side);

/*
 * Threads for one video: 1 (the default) does everything on the calling
 * thread; N > 1 decodes on the calling thread and converts and hashes frames
 * on N - 1 workers. The output is the same for every value. At most 256.
 */
BW_API bw_status bw_vpdq_options_set_threads(bw_vpdq_options *options,
                                             int threads);

/*
 * With keep_partial set, a video that fails part-way (truncated, corrupt,
 * or over a limit while decoding) still gives the frames hashed before the
 * failure: the hashing functions then return the error status AND a result
 * the caller frees. Off by default: a failed call returns no result.
 */
BW_API bw_status bw_vpdq_options_set_keep_partial(bw_vpdq_options *options,
                                                  int keep_partial);

/*
 * When frames are sampled (seconds per hash > 0), H.264 frames that are
 * neither sampled nor used as a reference by other frames are not decoded
 * at all. Frames are then numbered by their timestamps, and every decoded
 * frame is checked against that numbering; if anything does not add up
 * (damaged data, packets that do not hold one frame each) the video is
 * decoded again in full, so the output is the same as without this. Off
 * by default; see docs/video.md for what it saves.
 */
BW_API bw_status bw_vpdq_options_set_skip_unsampled(bw_vpdq_options *options,
                                                    int skip);

/* Limits on hostile video; all have defaults and 0 is refused. */
typedef enum bw_video_limit {
    /* Longest duration in milliseconds, from the container's header before
     * decoding and from frame timestamps while decoding (default 4 hours). */
    BW_VIDEO_LIMIT_DURATION_MS = 1,
    /* Most frames decoded (default 1,000,000). */
    BW_VIDEO_LIMIT_FRAMES = 2,
    /* Most streams in the container (default 64). */
    BW_VIDEO_LIMIT_STREAMS = 3,
    /* Wall-clock time for one video in milliseconds (default 30 minutes);
     * exceeding it fails with BW_ERR_TIMEOUT. */
    BW_VIDEO_LIMIT_DECODE_MS = 4,
    /* Pixels of one decoded frame (default 8192x4320 = 35,389,440). The
     * context's BW_LIMIT_PIXELS and BW_LIMIT_DIMENSION apply as well. */
    BW_VIDEO_LIMIT_FRAME_PIXELS = 5
} bw_video_limit;

/* Sets a limit. BW_ERR_INVALID_ARGUMENT for 0 or an unknown limit. */
BW_API bw_status bw_vpdq_options_set_limit(bw_vpdq_options *options,
                                           bw_video_limit which,
                                           uint64_t value);

/* A limit's current value, or 0 for an unknown one. */
BW_API uint64_t bw_vpdq_options_get_limit(const bw_vpdq_options *options,
                                          bw_video_limit which);

/* ---- hashing ---------------------------------------------------------- */

/* A vPDQ hash: the features of the hashed frames, in frame order. */
typedef struct bw_vpdq bw_vpdq;

/*
 * Hashes the first video stream of a file (an attached picture such as
 * cover art is used only when there is no other video stream). options may
 * be NULL for the defaults. The file is streamed, never read whole, so the
 * context's byte limit does not apply; the video limits do. On success the
 * caller frees *vpdq_out. Fails with BW_ERR_NOT_FOUND or BW_ERR_IO (file),
 * BW_ERR_UNSUPPORTED (not a video, or no decoder), BW_ERR_CORRUPT,
 * BW_ERR_TRUNCATED, BW_ERR_TOO_MANY_PIXELS, BW_ERR_LIMIT, BW_ERR_TIMEOUT or
 * BW_ERR_IMAGE_TOO_SMALL, with a message on the context that says how far
 * decoding got.
 */
BW_API bw_status bw_vpdq_hash_file(bw_ctx *ctx, bw_vpdq **vpdq_out,
                                   const bw_vpdq_options *options,
                                   const char *path);

/*
 * Like bw_vpdq_hash_file() for an open file descriptor (a temporary file
 * that has no name, say): a regular file is read from its start whatever
 * its offset (which may move), a pipe in order. fd stays open.
 */
BW_API bw_status bw_vpdq_hash_fd(bw_ctx *ctx, bw_vpdq **vpdq_out,
                                 const bw_vpdq_options *options, int fd);

/* Like bw_vpdq_hash_file() for a video held in memory (not copied; it must
 * stay valid during the call). The context's byte limit applies. */
BW_API bw_status bw_vpdq_hash_bytes(bw_ctx *ctx, bw_vpdq **vpdq_out,
                                    const bw_vpdq_options *options,
                                    const void *data, size_t size);

/* ---- the result --------------------------------------------------------- */

/* An empty vPDQ hash, to fill with bw_vpdq_append() (e.g. from a store). */
BW_API bw_status bw_vpdq_create(bw_vpdq **vpdq_out);

/* Frees a vPDQ hash. Accepts NULL. */
BW_API void bw_vpdq_free(bw_vpdq *vpdq);

/*
 * Appends one frame's feature. frame must be 0..INT32_MAX, quality 0..100
 * and timestamp_seconds from 0 to 1e9, else BW_ERR_INVALID_ARGUMENT.
 */
BW_API bw_status bw_vpdq_append(bw_vpdq *vpdq, int64_t frame, int quality,
                                const uint8_t hash[BW_PDQ_BYTES],
                                double timestamp_seconds);

/* Number of features (hashed frames). */
BW_API size_t bw_vpdq_count(const bw_vpdq *vpdq);

/*
 * Feature `index` (0..count-1): frame number (0-based, in decoding output
 * order), quality, hash and timestamp in seconds. Any output may be NULL.
 * BW_ERR_INVALID_ARGUMENT for an index out of range.
 */
BW_API bw_status bw_vpdq_get(const bw_vpdq *vpdq, size_t index,
                             int64_t *frame_out, int *quality_out,
                             uint8_t hash_out[BW_PDQ_BYTES],
                             double *timestamp_out);

/*
 * About the hashed video (0 when the hash was parsed or built by hand):
 * frames per second used for timestamps, frames decoded (hashed or not),
 * and the size frames were hashed at.
 */
BW_API double bw_vpdq_frame_rate(const bw_vpdq *vpdq);
BW_API uint64_t bw_vpdq_frames_decoded(const bw_vpdq *vpdq);
/* Of those, frames never actually decoded because
 * bw_vpdq_options_set_skip_unsampled() let them be dropped. */
BW_API uint64_t bw_vpdq_frames_skipped(const bw_vpdq *vpdq);
BW_API uint32_t bw_vpdq_width(const bw_vpdq *vpdq);
BW_API uint32_t bw_vpdq_height(const bw_vpdq *vpdq);

/* ---- text format -------------------------------------------------------- */

/*
 * Writes feature `index` as the reference writes it:
 * "FRAME,QUALITY,HASH,TIMESTAMP\n" with the timestamp as %.3f, and a NUL.
 * Returns the length without the NUL, or 0 for a bad index.
 */
BW_API size_t bw_vpdq_write_line(char out[BW_VPDQ_LINE_MAX],
                                 const bw_vpdq *vpdq, size_t index);

/*
 * Parses vPDQ text: one "FRAME,QUALITY,HASH,TIMESTAMP" line per frame, as
 * vpdq-hash-video writes it ("\r\n" accepted; lines starting with '#' are
 * comments). Lines over 1024 bytes, more than max_lines lines (0 means the
 * default of 1,000,000), a bad field (frame 0..INT32_MAX, quality 0..100,
 * 64 hex digits, seconds 0..1e9 as DIGITS[.DIGITS]) or an empty input
 * fail with BW_ERR_PARSE and a message naming the line. The caller frees
 * *vpdq_out.
 */
BW_API bw_status bw_vpdq_parse(bw_ctx *ctx, bw_vpdq **vpdq_out,
                               const char *text, size_t size,
                               size_t max_lines);

/* ---- matching ------------------------------------------------------------- */

typedef enum bw_vpdq_match_flag {
    /*
     * By default a frame hash that occurs several times in one video counts
     * once (ThreatExchange's de-duplication, in python-threatexchange and
     * the vPDQ README); with this flag every frame counts, as the C++
     * reference's matchTwoHashBrute does.
     */
    BW_VPDQ_MATCH_KEEP_DUPLICATES = 1u << 0,
    /*
     * By default two frames match when their distance is <= distance (the
     * README and python-threatexchange); with this flag when it is
     * < distance, as in matchTwoHashBrute.
     */
    BW_VPDQ_MATCH_STRICT_DISTANCE = 1u << 1
} bw_vpdq_match_flag;

/* matchTwoHashBrute of the C++ reference, exactly. */
#define BW_VPDQ_MATCH_CPP_REFERENCE \
    (BW_VPDQ_MATCH_KEEP_DUPLICATES | BW_VPDQ_MATCH_STRICT_DISTANCE)

/*
 * Compares two videos as vPDQ does: frames under `quality` are left out of
 * both; query_percent_out is the share (0..100) of the query's remaining
 * frames within `distance` of some frame of the other video, and
 * compared_percent_out the share of the other video's frames within
 * `distance` of some query frame. Both are 0 when either video has no
 * frame left. flags: bw_vpdq_match_flag bits. Either output may be NULL.
 * BW_ERR_INVALID_ARGUMENT for distance outside 0..256 or quality outside
 * 0..101. Time grows with the product of the frame counts.
 */
BW_API bw_status bw_vpdq_match(double *query_percent_out,
                               double *compared_percent_out,
                               const bw_vpdq *query, const bw_vpdq *compared,
                               int distance, int quality, unsigned flags);

/* ---- FFmpeg's logger --------------------------------------------------- */

/*
 * FFmpeg prints warnings about damaged input to stderr through one
 * process-wide logger. Bulwark silences the decoders it opens per context,
 * but demuxers have no per-context switch, so an application that does not
 * want them on stderr calls this once at start-up: it sets FFmpeg's global
 * log level to "quiet" (av_log_set_level), which affects every user of
 * FFmpeg in the process. The library itself never calls it.
 */
BW_API void bw_video_quiet_ffmpeg_log(void);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_VIDEO_H */

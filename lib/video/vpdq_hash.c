/*
 * bw_vpdq_hash_*: decode, pick the sampled frames, hash them. Frame n is
 * sampled when n % frame_mod == 0 with frame_mod = (int)(seconds_per_hash *
 * frame_rate), at least 1, as in the reference; frames that are not sampled
 * are decoded (later frames depend on them) but never converted or hashed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/frame.h>

#include "video_internal.h"

static int64_t frame_mod_of(double seconds_per_hash, double frame_rate)
{
    const double product = seconds_per_hash * frame_rate;
    /* The reference converts to int, where a larger product would be
     * undefined; saturating keeps "only the first frame" for it. */
    if (product >= (double)INT_MAX)
        return INT_MAX;
    const int64_t mod = (int64_t)(int)product;
    return mod < 1 ? 1 : mod;
}

static bw_status hash_serial(bw_ctx *ctx, bw_vpdq *out, bwi_video *video,
                             const bwi_video_info *info, int dst_width, int dst_height,
                             int64_t frame_mod)
{
    bwi_frame_hasher *hasher;
    bw_status st = bwi_frame_hasher_create(ctx, &hasher, info->width, info->height,
                                           info->pix_fmt, dst_width, dst_height,
                                           info->frame_rate);
    if (st != BW_OK)
        return st;
    for (;;) {
        AVFrame *frame;
        int64_t number;
        if ((st = bwi_video_next(video, &frame, &number)) != BW_OK || !frame)
            break;
        if (number % frame_mod != 0)
            continue;
        bwi_vpdq_feature feature;
        if ((st = bwi_frame_hasher_run(ctx, hasher, frame, number, &feature)) != BW_OK)
            break;
        if ((st = bwi_vpdq_push(out, &feature)) != BW_OK) {
            bwi_fail(ctx, st, "video: out of memory");
            break;
        }
    }
    bwi_frame_hasher_free(hasher);
    return st;
}

/* Decodes and hashes one opened video into out. */
static bw_status hash_video(bw_ctx *ctx, bw_vpdq *out, bwi_video *video,
                            const bwi_video_info *info, const bw_vpdq_options *options,
                            int64_t frame_mod)
{
    const int w = (int)out->width, h = (int)out->height;
    bw_status st = options->threads > 1
                       ? bwi_vpdq_hash_parallel(ctx, out, video, info, w, h, frame_mod,
                                                options->threads - 1)
                       : hash_serial(ctx, out, video, info, w, h, frame_mod);
    out->frames_decoded = (uint64_t)bwi_video_frames(video);
    out->frames_skipped = (uint64_t)bwi_video_frames_skipped(video);
    bwi_vpdq_sort(out);
    return st;
}

/*
 * The shortcut of bw_vpdq_options_set_skip_unsampled(): a first pass reads
 * the packets' timestamps, a second decodes only what is needed. *done is
 * false when the shortcut does not apply or gave up, and then out is empty.
 */
static bw_status hash_skipping(bw_ctx *ctx, bw_vpdq *out, const bwi_video_input *input,
                               const bw_vpdq_options *options, int64_t frame_mod, bool *done)
{
    *done = false;
    bwi_video *video;
    bwi_video_info info;
    int64_t *pts = NULL;
    size_t count = 0;
    bw_status st = bwi_video_open(ctx, &video, input, options, &info);
    if (st == BW_OK)
        st = bwi_video_packet_times(video, &pts, &count);
    bwi_video_close(video);
    if (st == BW_ERR_NOMEM || st == BW_ERR_TIMEOUT)
        return st;
    bwi_skip *skip = st == BW_OK && pts ? bwi_skip_create(pts, count, frame_mod) : NULL;
    if (!skip)
        return BW_OK;
    if (bwi_video_open(ctx, &video, input, options, &info) != BW_OK) {
        bwi_skip_free(skip);
        return BW_OK;
    }
    bwi_video_use_skip(video, skip);
    st = hash_video(ctx, out, video, &info, options, frame_mod);
    bwi_video_close(video);
    if (st == BW_OK) {
        *done = true;
        return BW_OK;
    }
    /* Any failure is left to the full decode to find and describe. */
    out->count = 0;
    return st == BW_ERR_NOMEM ? st : BW_OK;
}

static bw_status hash_input(bw_ctx *ctx, bw_vpdq **vpdq_out,
                            const bw_vpdq_options *options, const bwi_video_input *input)
{
    bw_vpdq_options defaults;
    if (!options) {
        bwi_vpdq_options_defaults(&defaults);
        options = &defaults;
    }
    bwi_video *video;
    bwi_video_info info;
    bw_status st = bwi_video_open(ctx, &video, input, options, &info);
    if (st != BW_OK)
        return st;
    const int dst_width = options->frame_size ? (int)options->frame_size : info.width;
    const int dst_height = options->frame_size ? (int)options->frame_size : info.height;
    if (dst_width < 5 || dst_height < 5) {
        bwi_video_close(video);
        return bwi_fail(ctx, BW_ERR_IMAGE_TOO_SMALL,
                        "video: frames of %dx%d are too small; PDQ needs at least 5x5",
                        dst_width, dst_height);
    }
    bw_vpdq *out;
    if ((st = bw_vpdq_create(&out)) != BW_OK) {
        bwi_video_close(video);
        return bwi_fail(ctx, st, "video: out of memory");
    }
    out->frame_rate = info.frame_rate;
    out->width = (uint32_t)dst_width;
    out->height = (uint32_t)dst_height;
    const int64_t frame_mod = frame_mod_of(options->seconds_per_hash, info.frame_rate);
    bool done = false;
    if (options->skip_unsampled && frame_mod > 1 && bwi_skip_codec_ok(info.codec_id)) {
        /* The shortcut opens the input again; this decoder is not needed. */
        bwi_video_close(video);
        video = NULL;
        st = hash_skipping(ctx, out, input, options, frame_mod, &done);
        if (st == BW_OK && !done) {
            bwi_clear(ctx); /* a failed shortcut's message is not the answer */
            st = bwi_video_open(ctx, &video, input, options, &info);
        }
        if (st != BW_OK) {
            bw_vpdq_free(out);
            return st;
        }
    }
    if (!done)
        st = hash_video(ctx, out, video, &info, options, frame_mod);
    bwi_video_close(video);
    if (st == BW_OK || (options->keep_partial && st != BW_ERR_NOMEM)) {
        *vpdq_out = out;
        return st;
    }
    bw_vpdq_free(out);
    return st;
}

BW_API bw_status bw_vpdq_hash_file(bw_ctx *ctx, bw_vpdq **vpdq_out,
                                   const bw_vpdq_options *options, const char *path)
{
    if (!ctx || !vpdq_out || !path)
        return BW_ERR_INVALID_ARGUMENT;
    *vpdq_out = NULL;
    bwi_clear(ctx);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bwi_fail(ctx, errno == ENOENT ? BW_ERR_NOT_FOUND : BW_ERR_IO,
                        "cannot open: %s", strerror(errno));
    struct stat sb;
    int bad = fstat(fd, &sb) != 0 ? errno : S_ISDIR(sb.st_mode) ? EISDIR : 0;
    if (bad) {
        close(fd);
        return bwi_fail(ctx, BW_ERR_IO, "cannot read: %s", strerror(bad));
    }
    const bwi_video_input input = {.data = NULL, .size = 0, .fd = fd, .name = path};
    bw_status st = hash_input(ctx, vpdq_out, options, &input);
    close(fd);
    return st;
}

BW_API bw_status bw_vpdq_hash_fd(bw_ctx *ctx, bw_vpdq **vpdq_out,
                                 const bw_vpdq_options *options, int fd)
{
    if (!ctx || !vpdq_out || fd < 0)
        return BW_ERR_INVALID_ARGUMENT;
    *vpdq_out = NULL;
    bwi_clear(ctx);
    struct stat sb;
    int bad = fstat(fd, &sb) != 0 ? errno : S_ISDIR(sb.st_mode) ? EISDIR : 0;
    if (bad)
        return bwi_fail(ctx, BW_ERR_IO, "cannot read: %s", strerror(bad));
    const bwi_video_input input = {.data = NULL, .size = 0, .fd = fd, .name = NULL};
    return hash_input(ctx, vpdq_out, options, &input);
}

BW_API bw_status bw_vpdq_hash_bytes(bw_ctx *ctx, bw_vpdq **vpdq_out,
                                    const bw_vpdq_options *options, const void *data,
                                    size_t size)
{
    if (!ctx || !vpdq_out || (!data && size))
        return BW_ERR_INVALID_ARGUMENT;
    *vpdq_out = NULL;
    bwi_clear(ctx);
    if ((uint64_t)size > ctx->limit_input_bytes)
        return bwi_fail(ctx, BW_ERR_TOO_LARGE, "input is %zu bytes, over the limit of %llu",
                        size, (unsigned long long)ctx->limit_input_bytes);
    if (size == 0)
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED, "empty input");
    const bwi_video_input input = {.data = data, .size = size, .fd = -1, .name = NULL};
    return hash_input(ctx, vpdq_out, options, &input);
}

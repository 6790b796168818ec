/*
 * One decoded frame to one vPDQ feature: RGB24 through swscale exactly as
 * vpdq-hash-video converts it, then PDQ on the RGB pixels at that size.
 *
 * The reference's scaler is sws_getContext(decoder size and pixel format ->
 * hashing size, RGB24, SWS_AREA) with no colourspace or range override, so
 * the same call here gives the same bytes from the same FFmpeg. Its PDQ is
 * the photo hasher's core without the 512-pixel resampling, luminance always
 * from R, G and B (never the grey shortcut), and a 64x64 frame taken as
 * already downsampled; bwi_pdq_hash_grid() does all of that for a
 * three-channel grid.
 */
#include <stdlib.h>

#include <libavutil/frame.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>

#include "hash/pdq_core.h"
#include "video_internal.h"

struct bwi_frame_hasher {
    struct SwsContext *sws;
    int src_width, src_height, src_pix_fmt;
    AVFrame *rgb;
    float frame_rate; /* the reference keeps it as a float for timestamps */
};

/* The deprecated full-range ("J") YUV formats, as swscale maps them. */
static int unjpeg(int pix_fmt)
{
    switch (pix_fmt) {
    case AV_PIX_FMT_YUVJ420P:
        return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ411P:
        return AV_PIX_FMT_YUV411P;
    case AV_PIX_FMT_YUVJ422P:
        return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
        return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
        return AV_PIX_FMT_YUV440P;
    }
    return AV_PIX_FMT_NONE;
}

/*
 * sws_getContext() as the reference calls it. For a J format (Motion JPEG)
 * swscale itself swaps in the plain format with full source range and
 * prints a deprecation warning through FFmpeg's process-wide logger; making
 * that same swap here, with the same options, builds the same scaler
 * without the message.
 */
static struct SwsContext *reference_scaler(int width, int height, int pix_fmt,
                                           int dst_width, int dst_height)
{
    const int plain = unjpeg(pix_fmt);
    if (plain == AV_PIX_FMT_NONE)
        return sws_getContext(width, height, (enum AVPixelFormat)pix_fmt, dst_width,
                              dst_height, AV_PIX_FMT_RGB24, SWS_AREA, NULL, NULL, NULL);
    struct SwsContext *sws = sws_alloc_context();
    if (!sws)
        return NULL;
    if (av_opt_set_int(sws, "srcw", width, 0) < 0 || av_opt_set_int(sws, "srch", height, 0) < 0 ||
        av_opt_set_int(sws, "src_format", plain, 0) < 0 ||
        av_opt_set_int(sws, "src_range", 1, 0) < 0 ||
        av_opt_set_int(sws, "dstw", dst_width, 0) < 0 ||
        av_opt_set_int(sws, "dsth", dst_height, 0) < 0 ||
        av_opt_set_int(sws, "dst_format", AV_PIX_FMT_RGB24, 0) < 0 ||
        av_opt_set_int(sws, "sws_flags", SWS_AREA, 0) < 0 ||
        sws_init_context(sws, NULL, NULL) < 0) {
        sws_freeContext(sws);
        return NULL;
    }
    return sws;
}

static bw_status make_scaler(bw_ctx *ctx, bwi_frame_hasher *h, int width, int height,
                             int pix_fmt)
{
    sws_freeContext(h->sws);
    h->sws = reference_scaler(width, height, pix_fmt, h->rgb->width, h->rgb->height);
    h->src_width = width;
    h->src_height = height;
    h->src_pix_fmt = pix_fmt;
    if (!h->sws) {
        const char *name = av_get_pix_fmt_name((enum AVPixelFormat)pix_fmt);
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED,
                        "video: cannot convert %dx%d frames of pixel format %s to RGB", width,
                        height, name ? name : "unknown");
    }
    return BW_OK;
}

bw_status bwi_frame_hasher_create(bw_ctx *ctx, bwi_frame_hasher **out, int src_width,
                                  int src_height, int src_pix_fmt, int dst_width,
                                  int dst_height, double frame_rate)
{
    *out = NULL;
    bwi_frame_hasher *h = calloc(1, sizeof *h);
    if (!h || !(h->rgb = av_frame_alloc())) {
        free(h);
        return bwi_fail(ctx, BW_ERR_NOMEM, "video: out of memory");
    }
    h->frame_rate = (float)frame_rate;
    h->rgb->format = AV_PIX_FMT_RGB24;
    h->rgb->width = dst_width;
    h->rgb->height = dst_height;
    /* Alignment chosen by FFmpeg for this CPU, as the reference's buffer. */
    if (av_frame_get_buffer(h->rgb, 0) < 0) {
        bwi_frame_hasher_free(h);
        return bwi_fail(ctx, BW_ERR_NOMEM, "video: cannot allocate a %dx%d RGB frame",
                        dst_width, dst_height);
    }
    /* An unknown pixel format is resolved by the first decoded frame. */
    if (src_pix_fmt != AV_PIX_FMT_NONE) {
        bw_status st = make_scaler(ctx, h, src_width, src_height, src_pix_fmt);
        if (st != BW_OK) {
            bwi_frame_hasher_free(h);
            return st;
        }
    }
    *out = h;
    return BW_OK;
}

bw_status bwi_frame_hasher_run(bw_ctx *ctx, bwi_frame_hasher *h, const AVFrame *frame,
                               int64_t number, bwi_vpdq_feature *feature)
{
    /* A stream whose frames change size or format mid-way gets a new
     * scaler (the reference would keep the old one and misread them). */
    if (!h->sws || frame->width != h->src_width || frame->height != h->src_height ||
        frame->format != h->src_pix_fmt) {
        bw_status st = make_scaler(ctx, h, frame->width, frame->height, frame->format);
        if (st != BW_OK)
            return st;
    }
    sws_scale(h->sws, (const uint8_t *const *)frame->data, frame->linesize, 0,
              frame->height, h->rgb->data, h->rgb->linesize);
    const bwi_grid grid = {
        .pixels = h->rgb->data[0],
        .stride = (size_t)h->rgb->linesize[0],
        .width = (uint32_t)h->rgb->width,
        .height = (uint32_t)h->rgb->height,
        .channels = 3,
    };
    int quality = 0;
    bw_status st = bwi_pdq_hash_grid(ctx, &grid, feature->hash, NULL, &quality);
    if (st != BW_OK)
        return st;
    feature->frame = (int32_t)number;
    feature->quality = quality;
    feature->timestamp = (double)((float)number / h->frame_rate);
    return BW_OK;
}

void bwi_frame_hasher_free(bwi_frame_hasher *h)
{
    if (!h)
        return;
    sws_freeContext(h->sws);
    av_frame_free(&h->rgb);
    free(h);
}

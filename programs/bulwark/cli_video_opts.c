/* The video options `hash` and `vpdq-match` share. */
#include <math.h>
#include <stdlib.h>

#include "cli.h"

/* Seconds as a positive number, in milliseconds. */
static bool parse_seconds_ms(const char *arg, uint64_t *out)
{
    char *end;
    double s = strtod(arg, &end);
    if (end == arg || *end || !(s > 0) || s > 1e9)
        return false;
    *out = (uint64_t)ceil(s * 1000.0);
    return true;
}

bool cli_video_option(cli_video_flags *f, int which, const char *arg)
{
    char *end;
    switch (which) {
    case 0:
        f->force = true;
        return true;
    case 1: {
        /* Read as a float, as the reference's std::stof does, so that the
         * frames picked are the same for values like 0.7. */
        float s = strtof(arg, &end);
        if (end == arg || *end || !isfinite(s) || s < 0) {
            cli_error("--seconds-per-hash needs a number of seconds >= 0");
            return false;
        }
        f->seconds = (double)s;
        return true;
    }
    case 2: {
        long n = strtol(arg, &end, 10);
        if (end == arg || *end || n < 0 || n > 8192 || (n > 0 && n < 5)) {
            cli_error("--video-size needs 0 or a side from 5 to 8192 pixels");
            return false;
        }
        f->size = (uint32_t)n;
        return true;
    }
    case 3:
        f->partial = true;
        return true;
    case 4:
        if (!parse_seconds_ms(arg, &f->max_duration_ms)) {
            cli_error("--max-duration needs a positive number of seconds");
            return false;
        }
        return true;
    case 5:
        if (!cli_parse_size(arg, true, &f->max_frames)) {
            cli_error("--max-frames needs a positive number (e.g. 100k)");
            return false;
        }
        return true;
    case 6:
        if (!parse_seconds_ms(arg, &f->max_decode_ms)) {
            cli_error("--max-decode-time needs a positive number of seconds");
            return false;
        }
        return true;
    case 7:
        if (!cli_parse_size(arg, true, &f->max_streams)) {
            cli_error("--max-streams needs a positive number");
            return false;
        }
        return true;
    }
    return false;
}

bw_vpdq_options *cli_video_options_make(const cli_video_flags *f, int threads)
{
    bw_vpdq_options *o;
    if (bw_vpdq_options_create(&o) != BW_OK) {
        cli_error("out of memory");
        return NULL;
    }
    bw_vpdq_options_set_seconds_per_hash(o, f->seconds);
    bw_vpdq_options_set_frame_size(o, f->size);
    bw_vpdq_options_set_keep_partial(o, f->partial);
    bw_vpdq_options_set_skip_unsampled(o, f->skip_unsampled);
    bw_vpdq_options_set_threads(o, threads < 1 ? 1 : threads > 256 ? 256 : threads);
    if (f->max_duration_ms)
        bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_DURATION_MS, f->max_duration_ms);
    if (f->max_frames)
        bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_FRAMES, f->max_frames);
    if (f->max_decode_ms)
        bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_DECODE_MS, f->max_decode_ms);
    if (f->max_streams)
        bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_STREAMS, f->max_streams);
    if (f->max_pixels)
        bw_vpdq_options_set_limit(o, BW_VIDEO_LIMIT_FRAME_PIXELS, f->max_pixels);
    return o;
}

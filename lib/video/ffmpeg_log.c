/*
 * The one process-wide switch: an application's choice, never made by the
 * library on its own (see bw_video.h).
 */
#include <libavutil/log.h>

#include "video_internal.h"

BW_API void bw_video_quiet_ffmpeg_log(void)
{
    av_log_set_level(AV_LOG_QUIET);
}

/*
 * Inputs that can be read only once. The commands open a file more than
 * once: its first bytes tell a video from an image, a video is read for
 * its digests and again by the decoder. A pipe (`bulwark hash <(curl ...)`,
 * `/dev/stdin`) gives its bytes to the first reader only, and the second
 * saw the middle of the stream ("not a recognised image format"). Such an
 * input is copied once into a temporary file without a name, which can be
 * opened again and again through /proc/self/fd and vanishes when closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "unnamed_file.h"

/* A video stream larger than this needs --max-bytes (the service's own
 * default for videos); an image stream stops at the context's input limit,
 * as a file would. */
#define SPOOL_VIDEO_MAX (1ull << 30)

static int unnamed_file(void)
{
    const char *dir = getenv("TMPDIR");
    return bw_unnamed_file(dir && *dir ? dir : "/tmp", "bulwark");
}

/* The limit is chosen by the first bytes: a video's or an image's. */
static uint64_t limit_for(bw_ctx *ctx, const char *head, size_t n, uint64_t max_bytes)
{
    if (max_bytes)
        return max_bytes;
    bw_format format = BW_FORMAT_UNKNOWN;
    if (bw_image_probe(ctx, &format, NULL, NULL, head, n) == BW_OK && format == BW_FORMAT_VIDEO)
        return SPOOL_VIDEO_MAX;
    return bw_ctx_get_limit(ctx, BW_LIMIT_INPUT_BYTES);
}

static bw_status copy_stream(bw_ctx *ctx, int in, int out, uint64_t max_bytes, char *error,
                             size_t error_size)
{
    static const size_t chunk = 1 << 20;
    char *buf = malloc(chunk);
    if (!buf) {
        snprintf(error, error_size, "out of memory");
        return BW_ERR_NOMEM;
    }
    bw_status st = BW_OK;
    uint64_t total = 0, max = 0;
    for (;;) {
        /* The first read gathers enough to recognise the format. */
        ssize_t n = read(in, buf, chunk);
        while (total == 0 && n > 0 && n < 512) {
            const ssize_t more = read(in, buf + n, chunk - (size_t)n);
            if (more <= 0)
                break;
            n += more;
        }
        if (total == 0 && n > 0)
            max = limit_for(ctx, buf, (size_t)n, max_bytes);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(error, error_size, "cannot read: %s", strerror(errno));
            st = BW_ERR_IO;
            break;
        }
        total += (uint64_t)n;
        if (total > max) {
            snprintf(error, error_size, "input is over the limit of %llu bytes (--max-bytes)",
                     (unsigned long long)max);
            st = BW_ERR_TOO_LARGE;
            break;
        }
        for (ssize_t done = 0; done < n;) {
            const ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                snprintf(error, error_size, "cannot write the temporary copy: %s",
                         strerror(w < 0 ? errno : ENOSPC));
                st = BW_ERR_IO;
                break;
            }
            done += w;
        }
        if (st != BW_OK)
            break;
    }
    free(buf);
    return st;
}

bw_status cli_spool_open(cli_spool *sp, bw_ctx *ctx, const char *name, uint64_t max_bytes,
                         char *error, size_t error_size)
{
    sp->fd = -1;
    sp->path = name;
    struct stat st;
    /* Files, directories and missing paths go on as they are: the usual
     * errors say what is wrong with them. */
    if (stat(name, &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ||
        S_ISBLK(st.st_mode))
        return BW_OK;
    const int in = open(name, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(error, error_size, "cannot open: %s", strerror(errno));
        return BW_ERR_IO;
    }
    const int out = unnamed_file();
    if (out < 0) {
        snprintf(error, error_size, "cannot make a temporary file for a stream: %s",
                 strerror(errno));
        close(in);
        return BW_ERR_IO;
    }
    const bw_status s = copy_stream(ctx, in, out, max_bytes, error, error_size);
    close(in);
    if (s != BW_OK) {
        close(out);
        return s;
    }
    sp->fd = out;
    snprintf(sp->copy, sizeof sp->copy, "/proc/self/fd/%d", out);
    sp->path = sp->copy;
    return BW_OK;
}

void cli_spool_close(cli_spool *sp)
{
    if (sp->fd >= 0)
        close(sp->fd);
    sp->fd = -1;
}

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bw_internal.h"

BW_API bw_status bw_ctx_create(bw_ctx **ctx_out)
{
    if (!ctx_out)
        return BW_ERR_INVALID_ARGUMENT;
    *ctx_out = NULL;
    bw_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return BW_ERR_NOMEM;
    ctx->limit_input_bytes = BWI_DEFAULT_INPUT_BYTES;
    ctx->limit_pixels = BWI_DEFAULT_PIXELS;
    ctx->limit_dimension = BWI_DEFAULT_DIMENSION;
    *ctx_out = ctx;
    return BW_OK;
}

BW_API void bw_ctx_free(bw_ctx *ctx)
{
    if (!ctx)
        return;
    bwi_pdq_scratch_free(ctx->pdq);
    if (ctx->nudity_free)
        ctx->nudity_free(ctx->nudity);
    free(ctx->file_buf);
    free(ctx);
}

BW_API const char *bw_ctx_message(const bw_ctx *ctx)
{
    return ctx ? ctx->message : "";
}

BW_API bw_status bw_ctx_set_limit(bw_ctx *ctx, bw_limit which, uint64_t value)
{
    if (!ctx)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    if (value == 0 && which != BW_LIMIT_DECODE_MS)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "a limit must be positive");
    switch (which) {
    case BW_LIMIT_DECODE_MS:
        ctx->limit_decode_ms = value;
        return BW_OK;
    case BW_LIMIT_INPUT_BYTES:
        ctx->limit_input_bytes = value;
        return BW_OK;
    case BW_LIMIT_PIXELS:
        ctx->limit_pixels = value;
        return BW_OK;
    case BW_LIMIT_DIMENSION:
        ctx->limit_dimension = value;
        return BW_OK;
    }
    return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "unknown limit %d", (int)which);
}

BW_API uint64_t bw_ctx_get_limit(const bw_ctx *ctx, bw_limit which)
{
    if (!ctx)
        return 0;
    switch (which) {
    case BW_LIMIT_INPUT_BYTES:
        return ctx->limit_input_bytes;
    case BW_LIMIT_PIXELS:
        return ctx->limit_pixels;
    case BW_LIMIT_DIMENSION:
        return ctx->limit_dimension;
    case BW_LIMIT_DECODE_MS:
        return ctx->limit_decode_ms;
    }
    return 0;
}

bw_status bwi_vfail(bw_ctx *ctx, bw_status status, const char *fmt, va_list ap)
{
    if (ctx)
        vsnprintf(ctx->message, sizeof ctx->message, fmt, ap);
    return status;
}

bw_status bwi_fail(bw_ctx *ctx, bw_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bwi_vfail(ctx, status, fmt, ap);
    va_end(ap);
    return status;
}

bw_status bwi_check_dimensions(bw_ctx *ctx, const char *what, uint64_t width,
                               uint64_t height)
{
    if (width == 0 || height == 0)
        return bwi_fail(ctx, BW_ERR_CORRUPT, "%s: image has zero width or height",
                        what);
    if (width > ctx->limit_dimension || height > ctx->limit_dimension)
        return bwi_fail(ctx, BW_ERR_TOO_MANY_PIXELS,
                        "%s: %llux%llu is over the dimension limit of %llu",
                        what, (unsigned long long)width,
                        (unsigned long long)height,
                        (unsigned long long)ctx->limit_dimension);
    if (width * height > ctx->limit_pixels)
        return bwi_fail(ctx, BW_ERR_TOO_MANY_PIXELS,
                        "%s: %llux%llu is %.1f megapixels, over the limit of %.1f",
                        what, (unsigned long long)width,
                        (unsigned long long)height,
                        (double)(width * height) / 1e6,
                        (double)ctx->limit_pixels / 1e6);
    return BW_OK;
}

bw_status bwi_read_file(bw_ctx *ctx, const char *path, const uint8_t **data_out,
                        size_t *size_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bwi_fail(ctx, errno == ENOENT ? BW_ERR_NOT_FOUND : BW_ERR_IO,
                        "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return bwi_fail(ctx, BW_ERR_IO, "cannot stat: %s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return bwi_fail(ctx, BW_ERR_IO, "is a directory");
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > ctx->limit_input_bytes) {
        close(fd);
        return bwi_fail(ctx, BW_ERR_TOO_LARGE,
                        "file is %llu bytes, over the limit of %llu",
                        (unsigned long long)st.st_size,
                        (unsigned long long)ctx->limit_input_bytes);
    }
    /* Pipes and devices have no size: read until EOF, still bounded. */
    size_t want = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 1 << 16;
    size_t used = 0;
    for (;;) {
        if (used + 1 > ctx->file_cap || want > ctx->file_cap) {
            size_t cap = want > ctx->file_cap ? want : ctx->file_cap * 2;
            uint8_t *grown = realloc(ctx->file_buf, cap);
            if (!grown) {
                close(fd);
                return bwi_fail(ctx, BW_ERR_NOMEM, "cannot allocate %zu bytes",
                                cap);
            }
            ctx->file_buf = grown;
            ctx->file_cap = cap;
        }
        ssize_t got = read(fd, ctx->file_buf + used, ctx->file_cap - used);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return bwi_fail(ctx, BW_ERR_IO, "read failed: %s", strerror(e));
        }
        if (got == 0)
            break;
        used += (size_t)got;
        if (used > ctx->limit_input_bytes) {
            close(fd);
            return bwi_fail(ctx, BW_ERR_TOO_LARGE,
                            "input is over the limit of %llu bytes",
                            (unsigned long long)ctx->limit_input_bytes);
        }
        if (used == ctx->file_cap)
            want = ctx->file_cap * 2;
    }
    close(fd);
    *data_out = ctx->file_buf;
    *size_out = used;
    return BW_OK;
}

BW_API void bw_ctx_set_actor(bw_ctx *ctx, int64_t actor)
{
    if (ctx)
        ctx->actor = actor;
}

BW_API int64_t bw_ctx_actor(const bw_ctx *ctx)
{
    return ctx ? ctx->actor : 0;
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void bwi_deadline_start(bw_ctx *ctx)
{
    ctx->deadline_ns =
        ctx->limit_decode_ms ? monotonic_ns() + (int64_t)ctx->limit_decode_ms * 1000000 : 0;
}

bw_status bwi_deadline_check(bw_ctx *ctx, const char *what)
{
    if (!ctx->deadline_ns || monotonic_ns() < ctx->deadline_ns)
        return BW_OK;
    return bwi_fail(ctx, BW_ERR_TIMEOUT, "%s: decoding took longer than the %llu ms limit",
                    what, (unsigned long long)ctx->limit_decode_ms);
}

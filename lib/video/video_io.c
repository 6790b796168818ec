/*
 * FFmpeg reads video through an AVIO context of ours, over a memory buffer
 * or a file descriptor, never through its URL protocols: a path is opened
 * by us, so nothing in it is interpreted ("http:", "concat:", "subfile,").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avio.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "video_internal.h"

#define AVIO_BUFFER_BYTES 65536

typedef struct avio_state {
    bwi_video_input input;
    int64_t position;
    int64_t size;  /* -1 for a file whose size is unknown */
    bool seekable; /* false for pipes: read in order, no seeking */
} avio_state;

static int read_input(void *opaque, uint8_t *buf, int buf_size)
{
    avio_state *s = opaque;
    if (buf_size <= 0)
        return 0;
    if (s->input.data) {
        if (s->position >= (int64_t)s->input.size)
            return AVERROR_EOF;
        size_t left = s->input.size - (size_t)s->position;
        size_t n = left < (size_t)buf_size ? left : (size_t)buf_size;
        memcpy(buf, s->input.data + s->position, n);
        s->position += (int64_t)n;
        return (int)n;
    }
    for (;;) {
        ssize_t got = s->seekable
                          ? pread(s->input.fd, buf, (size_t)buf_size, (off_t)s->position)
                          : read(s->input.fd, buf, (size_t)buf_size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return AVERROR(errno);
        if (got == 0)
            return AVERROR_EOF;
        s->position += got;
        return (int)got;
    }
}

static int64_t seek_input(void *opaque, int64_t offset, int whence)
{
    avio_state *s = opaque;
    if (!s->seekable)
        return AVERROR(ESPIPE);
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE)
        return s->size >= 0 ? s->size : AVERROR(ENOSYS);
    int64_t base;
    switch (whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = s->position;
        break;
    case SEEK_END:
        if (s->size < 0)
            return AVERROR(ENOSYS);
        base = s->size;
        break;
    default:
        return AVERROR(EINVAL);
    }
    if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0)
        return AVERROR(EINVAL);
    s->position = base + offset;
    return s->position;
}

AVIOContext *bwi_video_avio_open(const bwi_video_input *input, void **state_out)
{
    avio_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->input = *input;
    s->seekable = true;
    if (input->data) {
        s->size = (int64_t)input->size;
    } else {
        off_t end = lseek(input->fd, 0, SEEK_END);
        s->size = end < 0 ? -1 : (int64_t)end;
        s->seekable = end >= 0;
    }
    uint8_t *buffer = av_malloc(AVIO_BUFFER_BYTES);
    AVIOContext *avio = buffer ? avio_alloc_context(buffer, AVIO_BUFFER_BYTES, 0, s,
                                                    read_input, NULL, seek_input)
                               : NULL;
    if (!avio) {
        av_free(buffer);
        free(s);
        return NULL;
    }
    avio->seekable = s->seekable ? AVIO_SEEKABLE_NORMAL : 0;
    *state_out = s;
    return avio;
}

void bwi_video_avio_close(AVIOContext *avio, void *state)
{
    if (avio) {
        av_freep(&avio->buffer);
        avio_context_free(&avio);
    }
    free(state);
}

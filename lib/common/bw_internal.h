/*
 * Internal definitions shared by the library's layers. Never installed;
 * programs must not include it.
 */
#ifndef BULWARK_LIB_BW_INTERNAL_H
#define BULWARK_LIB_BW_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>

#include "bulwark/bw_common.h"

#define BWI_MESSAGE_MAX 512

#define BWI_DEFAULT_INPUT_BYTES ((uint64_t)256 << 20)
#define BWI_DEFAULT_PIXELS ((uint64_t)100000000)
#define BWI_DEFAULT_DIMENSION ((uint64_t)65535)

struct bwi_pdq_scratch;
/* Frees the PDQ scratch a context owns (lib/hash); accepts NULL. */
void bwi_pdq_scratch_free(struct bwi_pdq_scratch *scratch);

struct bw_ctx {
    uint64_t limit_input_bytes;
    uint64_t limit_pixels;
    uint64_t limit_dimension;
    uint64_t limit_decode_ms;
    int64_t deadline_ns;   /* monotonic; 0 while no decode clock runs */
    int64_t actor;         /* see bw_ctx_set_actor */
    char message[BWI_MESSAGE_MAX];
    /* Reused across calls so hashing many files does not churn the heap. */
    struct bwi_pdq_scratch *pdq;
    uint8_t *file_buf;
    size_t file_cap;
    /* The nudity classifier's activations (lib/nudity), freed through the
     * function it leaves beside them so common does not link against it. */
    void *nudity;
    void (*nudity_free)(void *scratch);
};

/*
 * Records a formatted message on the context and returns status, so a
 * failure reads `return bwi_fail(ctx, BW_ERR_CORRUPT, "PNG: %s", why);`.
 * ctx may be NULL (the message is then dropped).
 */
bw_status bwi_fail(bw_ctx *ctx, bw_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bw_status bwi_vfail(bw_ctx *ctx, bw_status status, const char *fmt,
                    va_list ap) __attribute__((format(printf, 3, 0)));

/* Decodes one strict UTF-8 sequence (no overlong forms, no surrogates,
 * nothing past U+10FFFF) of the avail bytes at s: its code point, or -1
 * for a bad sequence (*len is then 1). */
long bwi_utf8_next(const unsigned char *s, size_t avail, size_t *len);
/* Whether all size bytes at text are strict UTF-8. */
bool bwi_utf8_valid(const char *text, size_t size);

/* Clears the message at the start of a public call. */
static inline void bwi_clear(bw_ctx *ctx)
{
    if (ctx)
        ctx->message[0] = '\0';
}

/* Starts the decode clock when the context has a decode time limit. */
void bwi_deadline_start(bw_ctx *ctx);
/* BW_ERR_TIMEOUT, with a message naming `what`, once the decode time limit
 * has passed; BW_OK otherwise. Cheap enough to call for every row. */
bw_status bwi_deadline_check(bw_ctx *ctx, const char *what);

/* Bytes per pixel and the offsets of R, G and B in a caller layout (an
 * int, not bw_pixel_format, to keep this header free of bw_image.h). */
bool bwi_pixel_layout(int format, int *bpp, int *r, int *g, int *b);

/* Checks width and height against the context's limits. */
bw_status bwi_check_dimensions(bw_ctx *ctx, const char *what, uint64_t width,
                               uint64_t height);

/* Reads a whole file into the context's reusable buffer (checked against the
 * byte limit before reading). *data_out stays valid until the next call. */
bw_status bwi_read_file(bw_ctx *ctx, const char *path, const uint8_t **data_out,
                        size_t *size_out);

#endif /* BULWARK_LIB_BW_INTERNAL_H */

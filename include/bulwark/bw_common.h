/*
 * Bulwark — common definitions: export macro, version, status codes and the
 * per-thread context that carries limits and the detail of the last error.
 *
 * THREAD SAFETY: a bw_ctx must be used by one thread at a time; use one
 * context per thread. Functions without a context are thread-safe.
 */
#ifndef BULWARK_BW_COMMON_H
#define BULWARK_BW_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every public symbol is declared with BW_API; everything else is hidden. */
#if defined(_WIN32) && defined(BW_BUILDING_LIBRARY)
#define BW_API __declspec(dllexport)
#elif defined(_WIN32)
#define BW_API __declspec(dllimport)
#else
#define BW_API __attribute__((visibility("default")))
#endif

#define BW_VERSION_MAJOR 0
#define BW_VERSION_MINOR 1
#define BW_VERSION_PATCH 0
#define BW_VERSION_NUMBER \
    (BW_VERSION_MAJOR * 10000 + BW_VERSION_MINOR * 100 + BW_VERSION_PATCH)
#define BW_VERSION_STRING "0.1.0"

/* Version of the library actually linked (may differ from the header's). */
BW_API unsigned bw_version_number(void);
BW_API const char *bw_version_string(void);

/*
 * Status codes. BW_OK is 0; values are never renumbered, new ones are
 * appended. bw_status_code() gives a stable snake_case name for each, used
 * in JSON output and HTTP error bodies.
 */
typedef enum bw_status {
    BW_OK = 0,
    BW_ERR_NOMEM = 1,             /* an allocation failed */
    BW_ERR_INVALID_ARGUMENT = 2,  /* a caller passed something impossible */
    BW_ERR_IO = 3,                /* reading or writing a file failed */
    BW_ERR_UNSUPPORTED = 4,       /* not a format or feature we handle */
    BW_ERR_CORRUPT = 5,           /* the input is malformed */
    BW_ERR_TRUNCATED = 6,         /* the input ends early */
    BW_ERR_TOO_LARGE = 7,         /* input bytes over the configured limit */
    BW_ERR_TOO_MANY_PIXELS = 8,   /* image over the pixel/dimension limit */
    BW_ERR_IMAGE_TOO_SMALL = 9,   /* too small to hash meaningfully */
    BW_ERR_PARSE = 10,            /* a text value (hex, JSON, ...) is invalid */
    BW_ERR_NOT_FOUND = 11,
    BW_ERR_EXISTS = 12,
    BW_ERR_STORAGE = 13,          /* the database failed */
    BW_ERR_VERIFY = 14,           /* a signature or checksum did not verify */
    BW_ERR_LIMIT = 15,            /* some other configured bound was hit */
    BW_ERR_TIMEOUT = 16,
    BW_ERR_PERMISSION = 17,
    BW_ERR_UNAVAILABLE = 18,      /* a needed service or feature is absent */
    BW_ERR_INTERNAL = 19          /* a bug: please report it */
} bw_status;

/* A short English sentence for a status; never NULL. */
BW_API const char *bw_strerror(bw_status status);

/* A stable machine-readable name ("too_many_pixels"); never NULL. */
BW_API const char *bw_status_code(bw_status status);

/*
 * The context: limits, reusable scratch memory, and the detailed message of
 * the last failure. Create one per thread; contexts share nothing.
 */
typedef struct bw_ctx bw_ctx;

/* Creates a context with default limits. Returns BW_ERR_NOMEM or BW_OK. */
BW_API bw_status bw_ctx_create(bw_ctx **ctx_out);

/* Frees a context and its scratch memory. Accepts NULL. */
BW_API void bw_ctx_free(bw_ctx *ctx);

/*
 * The detailed message of the most recent failure on this context, e.g.
 * "JPEG: premature end of data after 10752 of 48213 bytes". Empty string
 * after a success. Valid until the next call that uses the context.
 */
BW_API const char *bw_ctx_message(const bw_ctx *ctx);

/* Limits applied to hostile input. All are checked before pixels are decoded. */
typedef enum bw_limit {
    BW_LIMIT_INPUT_BYTES = 1, /* bytes of one input (default 256 MiB) */
    BW_LIMIT_PIXELS = 2,      /* width*height of one image (default 100 M) */
    BW_LIMIT_DIMENSION = 3,   /* largest width or height (default 65535) */
    /*
     * Milliseconds one image may take to decode, measured from the start of
     * decoding (default 0: no limit). JPEG, PNG, GIF and TIFF stop with
     * BW_ERR_TIMEOUT when it passes; WebP, HEIF and AVIF decode in one
     * library call and are bounded by the pixel limit instead.
     */
    BW_LIMIT_DECODE_MS = 4
} bw_limit;

/* Sets a limit; 0 is refused (BW_ERR_INVALID_ARGUMENT) except for
 * BW_LIMIT_DECODE_MS, where it means no limit. */
BW_API bw_status bw_ctx_set_limit(bw_ctx *ctx, bw_limit which, uint64_t value);

/* Returns the current value of a limit, or 0 for an unknown one. */
BW_API uint64_t bw_ctx_get_limit(const bw_ctx *ctx, bw_limit which);

/*
 * Who is acting through this context, for the audit log the store keeps of
 * every change: an API key's id, or 0 (the default) for a local caller such
 * as the command-line tool.
 */
BW_API void bw_ctx_set_actor(bw_ctx *ctx, int64_t actor);
BW_API int64_t bw_ctx_actor(const bw_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_COMMON_H */

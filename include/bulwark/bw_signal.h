/*
 * Bulwark — signals: the values hash lists carry (PDQ hashes, file digests,
 * URLs, vPDQ video hashes), their types, and their canonical forms. Every
 * value is normalised before it is stored or compared, so "ABCD..." and
 * "abcd..." are one signal and "HTTP://WWW.Example.com:80/a/" and
 * "http://example.com/a" one URL.
 *
 * THREAD SAFETY: all functions here are thread-safe; those taking a bw_ctx
 * need one per thread, as everywhere.
 */
#ifndef BULWARK_BW_SIGNAL_H
#define BULWARK_BW_SIGNAL_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Signal types. Values never change; new types are appended. */
typedef enum bw_signal_type {
    BW_SIGNAL_PDQ = 1,
    BW_SIGNAL_MD5 = 2,
    BW_SIGNAL_SHA1 = 3,
    BW_SIGNAL_SHA256 = 4,
    BW_SIGNAL_URL = 5,
    BW_SIGNAL_VPDQ = 6 /* a video's vPDQ: one PDQ hash per sampled frame */
} bw_signal_type;

/* "pdq", "md5", "sha1", "sha256", "url", "vpdq"; "unknown" otherwise. */
BW_API const char *bw_signal_type_name(bw_signal_type type);

/*
 * Parses a type name, also accepting the names HMA and python-threatexchange
 * files use ("video_md5", "photo_md5", "pdq_hash", ...). BW_ERR_PARSE when
 * unknown.
 */
BW_API bw_status bw_signal_type_parse(bw_signal_type *type_out, const char *name,
                                      size_t len);

/* Longest canonical value Bulwark accepts (URLs), in bytes, for every
 * type but vPDQ, whose values grow with the video (see below). */
#define BW_SIGNAL_VALUE_MAX 2048

/*
 * vPDQ values are written as python-threatexchange and HMA write them: a
 * JSON array with one "HASH,QUALITY,SECONDS" string per hashed frame, in
 * frame order, e.g. ["f8f8...9b22,100,0.000","e0f4...1e1d,87,1.000"]. The
 * canonical form has lower-case hex, no spaces and seconds with exactly
 * three decimals (timestamps are kept to the millisecond, up to
 * 4294967.295 s). A banked video holds at most this many frames; hash
 * videos for banks at one frame a second, as ThreatExchange does.
 */
#define BW_SIGNAL_VPDQ_FRAMES_MAX 65536

/*
 * Writes the canonical form of a value into out (NUL-terminated, at most
 * out_size bytes including the NUL): lower-case hex of the right length for
 * hashes, a normalised URL for URLs (see bw_url_normalize), the canonical
 * frame list for vPDQ. Fails with BW_ERR_PARSE, and a reason in *why (a
 * static string) when why is not NULL; BW_ERR_INVALID_ARGUMENT when out is
 * smaller than bw_signal_normalized_size() asks for; BW_ERR_NOMEM.
 */
BW_API bw_status bw_signal_normalize(char *out, size_t out_size,
                                     bw_signal_type type, const char *value,
                                     size_t len, const char **why);

/*
 * Bytes (NUL included) that bw_signal_normalize() may need for a value of
 * len bytes: BW_SIGNAL_VALUE_MAX + 1 for every type but vPDQ, whose
 * canonical text can be somewhat longer than its input.
 */
BW_API size_t bw_signal_normalized_size(bw_signal_type type, size_t len);

/* A video's vPDQ hash (bw_video.h). */
typedef struct bw_vpdq bw_vpdq;

/* Bytes (NUL included) of the vPDQ signal value of a hash; 0 when it has
 * no frame or more than BW_SIGNAL_VPDQ_FRAMES_MAX. */
BW_API size_t bw_vpdq_signal_size(const bw_vpdq *vpdq);

/*
 * Writes the canonical vPDQ signal value of a hash (frame numbers are not
 * part of it; timestamps are rounded to the millisecond) into out, which
 * holds out_size bytes: BW_ERR_INVALID_ARGUMENT when that is less than
 * bw_vpdq_signal_size(), or when the hash has no frame or too many.
 */
BW_API bw_status bw_vpdq_signal_write(char *out, size_t out_size,
                                      const bw_vpdq *vpdq);

/*
 * Reads a vPDQ signal value (any form bw_signal_normalize() accepts) into a
 * new hash whose frames are numbered 0, 1, 2... in list order. BW_ERR_PARSE
 * with the reason on the context; the caller frees *vpdq_out.
 */
BW_API bw_status bw_vpdq_signal_parse(bw_ctx *ctx, bw_vpdq **vpdq_out,
                                      const char *value, size_t len);

/*
 * Normalises a URL for exact and prefix matching, the way URL block lists
 * such as IWF's are applied: the scheme is dropped (http and https match
 * alike), the host (UTF-8) is lower-cased without a trailing dot, leading
 * "www." labels and a default port (80 and 443 whatever the scheme, 21
 * after "ftp://") removed, percent-encoding of unreserved characters is
 * decoded and other escapes upper-cased, dot segments are resolved, the
 * fragment is dropped and a trailing slash removed. The result looks like
 * "example.com/path/page?query" and normalises to itself. BW_ERR_PARSE with
 * a reason in *why.
 */
BW_API bw_status bw_url_normalize(char *out, size_t out_size, const char *url,
                                  size_t len, const char **why);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_SIGNAL_H */

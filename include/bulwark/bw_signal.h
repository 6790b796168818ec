/*
 * Bulwark — signals: the values hash lists carry (PDQ hashes, file digests,
 * URLs), their types, and their canonical forms. Every value is normalised
 * before it is stored or compared, so "ABCD..." and "abcd..." are one signal
 * and "HTTP://WWW.Example.com:80/a/" and "http://example.com/a" one URL.
 *
 * THREAD SAFETY: all functions here are pure and thread-safe.
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
    BW_SIGNAL_VPDQ = 6 /* reserved for video hashes */
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

/* Longest canonical value Bulwark accepts (URLs), in bytes. */
#define BW_SIGNAL_VALUE_MAX 2048

/*
 * Writes the canonical form of a value into out (NUL-terminated, at most
 * out_size bytes including the NUL): lower-case hex of the right length for
 * hashes, a normalised URL for URLs (see bw_url_normalize). Fails with
 * BW_ERR_PARSE, and a reason in *why (a static string) when why is not NULL.
 */
BW_API bw_status bw_signal_normalize(char *out, size_t out_size,
                                     bw_signal_type type, const char *value,
                                     size_t len, const char **why);

/*
 * Normalises a URL for exact and prefix matching, the way URL block lists
 * such as IWF's are applied: the scheme is dropped (http and https match
 * alike), the host is lower-cased with a trailing dot, a leading "www." and
 * a default port removed, percent-encoding of unreserved characters is
 * decoded and other escapes upper-cased, dot segments are resolved, the
 * fragment is dropped and a trailing slash removed. The result looks like
 * "example.com/path/page?query". BW_ERR_PARSE with a reason in *why.
 */
BW_API bw_status bw_url_normalize(char *out, size_t out_size, const char *url,
                                  size_t len, const char **why);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_SIGNAL_H */

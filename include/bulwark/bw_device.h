/*
 * Bulwark device SDK — the library an end-to-end-encrypted messenger embeds
 * (libbulwark_device) to check media on the phone, before encryption and
 * after decryption, without anything leaving the device that the design
 * does not name (docs/privacy.md).
 *
 * It hashes pixels the app already decoded (PDQ and its 8 rotations and
 * mirrors, bit-identical to libbulwark) and file bytes (SHA-256, MD5);
 * checks them against a signed bank snapshot; and runs the client half of
 * private set membership for exact file hashes; and classifies images for
 * nudity warnings on child accounts. It depends on libc (with libm) and
 * libsodium only; a build with decoders (bw_device_has_decoders()) also
 * hashes and decodes encoded image files.
 *
 * Only the bw_device_* functions are in libbulwark_device. It uses the
 * bw_status codes and BW_API from bw_common.h and the bw_pixel_format
 * layouts from bw_image.h; the other functions those headers declare are
 * libbulwark's, not the SDK's.
 *
 * THREAD SAFETY: a bw_device (scratch memory, last error) is used by one
 * thread at a time: make one per thread. A bw_device_bank may be queried
 * from many threads at once, each with its own bw_device, while another
 * thread updates it. A bw_device_nudity model is immutable and shared by any
 * number of threads, each with its own bw_device. The PSM functions and the
 * version and status functions are thread-safe.
 */
#ifndef BULWARK_BW_DEVICE_H
#define BULWARK_BW_DEVICE_H

#include "bw_common.h"
#include "bw_image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BW_DEVICE_PDQ_BYTES 32
#define BW_DEVICE_DIHEDRAL_COUNT 8   /* original first, as in bw_dihedral */
#define BW_DEVICE_SHA256_BYTES 32
#define BW_DEVICE_MD5_BYTES 16
#define BW_DEVICE_PUBLIC_KEY_BYTES 32 /* Ed25519 key that signs snapshots */
#define BW_DEVICE_PSM_ELEMENT_BYTES 32 /* a blinded or evaluated element */
#define BW_DEVICE_PSM_BLIND_BYTES 32   /* the secret blinding scalar */
#define BW_DEVICE_PSM_TOKEN_BYTES 16   /* the OPRF output compared with the list */
#define BW_DEVICE_PSM_KEY_ID_BYTES 8

/* Version of the linked SDK; it follows libbulwark's (BW_VERSION_*). */
BW_API unsigned bw_device_version_number(void);
BW_API const char *bw_device_version_string(void);

/* bw_strerror() and bw_status_code() for SDK users; never NULL. */
BW_API const char *bw_device_strerror(bw_status status);
BW_API const char *bw_device_status_code(bw_status status);

/* 1 when this build decodes image files (bw_device_pdq_file), else 0. */
BW_API int bw_device_has_decoders(void);

/* The per-thread context: limits, hashing scratch, the last error. */
typedef struct bw_device bw_device;

/* Creates a context with libbulwark's default limits. BW_ERR_NOMEM, or
 * BW_ERR_INTERNAL when libsodium cannot initialise. */
BW_API bw_status bw_device_create(bw_device **device_out);

/* Frees a context. Accepts NULL. */
BW_API void bw_device_free(bw_device *device);

/* The detailed message of the last failure on this context; "" after a
 * success. Valid until the next call with the context. */
BW_API const char *bw_device_message(const bw_device *device);

/* Sets one of the bw_limit limits (pixels, dimension, input bytes); 0 is
 * refused with BW_ERR_INVALID_ARGUMENT. */
BW_API bw_status bw_device_set_limit(bw_device *device, bw_limit which,
                                     uint64_t value);

/*
 * PDQ hashes of pixels the app decoded (any bw_pixel_format, rows `stride`
 * bytes apart): hashes_out[0] is the plain hash, bit-identical to
 * libbulwark's bw_pdq_hash_pixels(), and hashes_out[1..7] the rotations and
 * mirrors in bw_dihedral order. quality_out (0..100) may be NULL. Fails
 * with BW_ERR_IMAGE_TOO_SMALL under 5x5 pixels, BW_ERR_TOO_MANY_PIXELS over
 * the limits, BW_ERR_INVALID_ARGUMENT for a bad layout or stride.
 */
BW_API bw_status bw_device_pdq_pixels(
    bw_device *device,
    uint8_t hashes_out[BW_DEVICE_DIHEDRAL_COUNT][BW_DEVICE_PDQ_BYTES],
    int *quality_out, const void *pixels, size_t stride, uint32_t width,
    uint32_t height, bw_pixel_format format);

/*
 * The same for an encoded image file held in memory; hashes_out[0] equals
 * libbulwark's bw_pdq_hash_image() of the decoded file. BW_ERR_UNAVAILABLE
 * in a build without decoders; decoding errors as bw_image_decode().
 */
BW_API bw_status bw_device_pdq_file(
    bw_device *device,
    uint8_t hashes_out[BW_DEVICE_DIHEDRAL_COUNT][BW_DEVICE_PDQ_BYTES],
    int *quality_out, const void *data, size_t size);

/* SHA-256 and MD5 of bytes; either output may be NULL. Thread-safe. */
BW_API bw_status bw_device_digest(uint8_t sha256_out[BW_DEVICE_SHA256_BYTES],
                                  uint8_t md5_out[BW_DEVICE_MD5_BYTES],
                                  const void *data, size_t size);

/* Writes 2 * size lower-case hex digits and a NUL into out. */
BW_API void bw_device_hex(char *out, const uint8_t *bytes, size_t size);

/*
 * The bank snapshot the device checks against: signed with Ed25519 by the
 * platform, updated by full snapshots or deltas (docs/device.md). An update
 * that fails signature, parsing, version or delta-base checks is rejected
 * and the snapshot in use stays in use.
 */
typedef struct bw_device_bank bw_device_bank;

/* An empty bank that accepts snapshots signed by public_key. BW_ERR_NOMEM. */
BW_API bw_status bw_device_bank_create(
    bw_device_bank **bank_out,
    const uint8_t public_key[BW_DEVICE_PUBLIC_KEY_BYTES]);

/* Frees a bank. Accepts NULL; no query may be running. */
BW_API void bw_device_bank_free(bw_device_bank *bank);

/*
 * Applies a snapshot file: a full snapshot newer than the one in use, or a
 * delta whose base is exactly the one in use. The new contents replace the
 * old atomically for concurrent queries. Fails with BW_ERR_VERIFY (bad
 * signature, wrong base, stale or replayed version, contents that do not
 * hash to the signed digest), BW_ERR_CORRUPT / BW_ERR_TRUNCATED /
 * BW_ERR_UNSUPPORTED (malformed), BW_ERR_TOO_LARGE or BW_ERR_NOMEM; the
 * bank is then unchanged and the reason is on the device context.
 */
BW_API bw_status bw_device_bank_update(bw_device *device, bw_device_bank *bank,
                                       const void *data, size_t size);

/* Version of the snapshot in use; 0 before the first successful update. */
BW_API uint64_t bw_device_bank_version(const bw_device_bank *bank);

/* Entries in use: PDQ hashes, MD5s, SHA-256s and PSM tokens. Any output
 * may be NULL. */
BW_API void bw_device_bank_counts(const bw_device_bank *bank, size_t *pdq_out,
                                  size_t *md5_out, size_t *sha256_out,
                                  size_t *psm_out);

/* The PSM server key id the snapshot's tokens were made with (all zero when
 * it has none), to compare with the id bw_device_psm_finalize's server
 * reports. */
BW_API void bw_device_bank_psm_key_id(
    const bw_device_bank *bank, uint8_t key_id_out[BW_DEVICE_PSM_KEY_ID_BYTES]);

/*
 * Whether any of count PDQ hashes (e.g. the 8 of bw_device_pdq_pixels) is
 * within threshold (0..47; 31 is usual) of a hash in the bank.
 * *matched_out is 1 or 0; *distance_out (may be NULL) the smallest distance
 * found, or -1. Takes microseconds (docs/device.md).
 */
BW_API bw_status bw_device_bank_match_pdq(
    bw_device *device, const bw_device_bank *bank, int *matched_out,
    int *distance_out, const uint8_t (*hashes)[BW_DEVICE_PDQ_BYTES],
    size_t count, int threshold);

/* Whether the bank holds this exact SHA-256 (32 bytes) or MD5 (16 bytes),
 * told apart by size; else BW_ERR_INVALID_ARGUMENT. */
BW_API bw_status bw_device_bank_match_digest(const bw_device_bank *bank,
                                             int *matched_out,
                                             const uint8_t *digest, size_t size);

/* Whether the bank holds this PSM token (from bw_device_psm_finalize). */
BW_API bw_status bw_device_bank_match_psm(
    const bw_device_bank *bank, int *matched_out,
    const uint8_t token[BW_DEVICE_PSM_TOKEN_BYTES]);

/*
 * Private set membership, client side (docs/privacy.md): blinds input (a
 * file's SHA-256) into an element that reveals nothing about it; the server
 * evaluates it with its key (libbulwark's bw_psm_evaluate); finalize
 * unblinds the answer into the token the snapshot's list is made of.
 * blind_out is secret and single-use. Fails with BW_ERR_INTERNAL only if
 * libsodium is unusable.
 */
BW_API bw_status bw_device_psm_blind(
    uint8_t blinded_out[BW_DEVICE_PSM_ELEMENT_BYTES],
    uint8_t blind_out[BW_DEVICE_PSM_BLIND_BYTES], const void *input,
    size_t size);

/* Unblinds the server's evaluated element. BW_ERR_VERIFY when it is not a
 * valid group element. */
BW_API bw_status bw_device_psm_finalize(
    uint8_t token_out[BW_DEVICE_PSM_TOKEN_BYTES],
    const uint8_t blind[BW_DEVICE_PSM_BLIND_BYTES],
    const uint8_t evaluated[BW_DEVICE_PSM_ELEMENT_BYTES], const void *input,
    size_t size);

/* ---- nudity warnings for child accounts (docs/nudity.md) ------------------ */

#define BW_DEVICE_NUDITY_CLASSES 5 /* drawing, hentai, neutral, porn, sexy */

/* The nudity classifier (libbulwark's, compiled in); immutable once loaded
 * and shareable between threads, each with its own bw_device. */
typedef struct bw_device_nudity bw_device_nudity;

/*
 * Loads a model file's bytes (the build writes
 * build/nudity/nsfw-mobilenetv2.bwnm; an app bundles it as an asset); the
 * bytes are not referenced afterwards. Fails as bw_nudity_model_from_bytes:
 * BW_ERR_VERIFY (checksum), BW_ERR_TRUNCATED, BW_ERR_CORRUPT or
 * BW_ERR_UNSUPPORTED, with the detail in bw_device_message(). Free the
 * model with bw_device_nudity_free().
 */
BW_API bw_status bw_device_nudity_load(bw_device *device,
                                       bw_device_nudity **model_out,
                                       const void *data, size_t size);

/* Frees a model. Accepts NULL. */
BW_API void bw_device_nudity_free(bw_device_nudity *model);

/*
 * The five class probabilities of decoded pixels (indexed as bw_nudity_class
 * in bw_nudity.h), identical to libbulwark's bw_nudity_classify_pixels.
 * Errors: bad sizes or formats, dimensions over the device's limits.
 */
BW_API bw_status bw_device_nudity_classify_pixels(
    bw_device *device, float scores_out[BW_DEVICE_NUDITY_CLASSES],
    const bw_device_nudity *model, const void *pixels, size_t stride,
    uint32_t width, uint32_t height, bw_pixel_format format);

/* P(porn) + P(hentai) + P(sexy), in 0..1. Thread-safe. */
BW_API float bw_device_nudity_score(const float scores[BW_DEVICE_NUDITY_CLASSES]);

/* 1 when the score reaches threshold: blur before showing, ask before
 * sending. Thread-safe. */
BW_API int bw_device_nudity_should_warn(
    const float scores[BW_DEVICE_NUDITY_CLASSES], float threshold);

/* The documented default threshold (BW_NUDITY_DEFAULT_THRESHOLD). */
BW_API float bw_device_nudity_default_threshold(void);

/* A heavily blurred copy of pixels for display behind the warning, as
 * bw_nudity_blur_pixels (out has the same size and layout; cell_px 0 picks
 * 1/16 of the longer side). BW_ERR_INVALID_ARGUMENT for impossible sizes. */
BW_API bw_status bw_device_nudity_blur_pixels(
    bw_device *device, void *out, size_t out_stride, const void *pixels,
    size_t stride, uint32_t width, uint32_t height, bw_pixel_format format,
    uint32_t cell_px);

/*
 * Decodes an encoded image held in memory into 8-bit RGB rows of width * 3
 * bytes (grey is expanded), for the classifier and the blur. The caller
 * frees *pixels_out with bw_device_pixels_free(). BW_ERR_UNAVAILABLE in a
 * build without decoders; decoding errors as bw_device_pdq_file().
 */
BW_API bw_status bw_device_decode_rgb(bw_device *device, uint8_t **pixels_out,
                                      uint32_t *width_out, uint32_t *height_out,
                                      const void *data, size_t size);

/* Frees pixels from bw_device_decode_rgb(). Accepts NULL. */
BW_API void bw_device_pixels_free(uint8_t *pixels);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_DEVICE_H */

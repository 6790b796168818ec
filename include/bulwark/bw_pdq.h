/*
 * Bulwark — PDQ perceptual hashes: 256 bits and a quality score, bit-identical
 * to Meta's reference hasher, with the 8 dihedral variants.
 *
 * A hash is 32 bytes in the order of its hex form: byte 0 is the first two
 * hex digits. Bit k of the PDQ algorithm (k = 16*row + column of the DCT
 * coefficient) is bit (k % 8) of byte 31 - k / 8.
 *
 * THREAD SAFETY: the hashing functions use the context's scratch memory, so a
 * context must not be shared between threads; the pure functions
 * (hex, distance) are thread-safe.
 */
#ifndef BULWARK_BW_PDQ_H
#define BULWARK_BW_PDQ_H

#include "bw_common.h"
#include "bw_image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BW_PDQ_BYTES 32
#define BW_PDQ_HEX_CHARS 64
#define BW_PDQ_DIHEDRAL_COUNT 8
/* The distance at which NGO and exchange hash lists are usually matched. */
#define BW_PDQ_DEFAULT_THRESHOLD 31

BW_API size_t bw_pdq_bytes(void);
BW_API int bw_pdq_default_threshold(void);

/* The 8 dihedral transforms, in the reference's output order; rotations
 * are counter-clockwise. */
typedef enum bw_dihedral {
    BW_DIHEDRAL_ORIGINAL = 0,
    BW_DIHEDRAL_ROTATE90 = 1,
    BW_DIHEDRAL_ROTATE180 = 2,
    BW_DIHEDRAL_ROTATE270 = 3,
    BW_DIHEDRAL_FLIPX = 4,
    BW_DIHEDRAL_FLIPY = 5,
    BW_DIHEDRAL_FLIP_PLUS1 = 6, /* transpose */
    BW_DIHEDRAL_FLIP_MINUS1 = 7 /* anti-transpose */
} bw_dihedral;

/* Lower-case name ("rotate90", ...); never NULL. */
BW_API const char *bw_dihedral_name(bw_dihedral which);

/*
 * Hashes a decoded image. quality_out (0..100) may be NULL. Images under
 * 5 pixels wide or high fail with BW_ERR_IMAGE_TOO_SMALL (the reference
 * silently returns an all-zero hash for them).
 */
BW_API bw_status bw_pdq_hash_image(bw_ctx *ctx, uint8_t hash_out[BW_PDQ_BYTES],
                                   int *quality_out, const bw_image *image);

/*
 * The hashes of the image under all 8 dihedral transforms, computed from one
 * DCT as the reference's --pdqdih does. hashes_out[BW_DIHEDRAL_ORIGINAL] is
 * the plain hash except for images of exactly 64x64 pixels, where the
 * reference's dihedral path blurs and its plain path does not.
 */
BW_API bw_status bw_pdq_hash_image_dihedral(
    bw_ctx *ctx, uint8_t hashes_out[BW_PDQ_DIHEDRAL_COUNT][BW_PDQ_BYTES],
    int *quality_out, const bw_image *image);

/*
 * Hashes pixels an application already decoded, without copying them; the
 * same result as bw_image_from_pixels() followed by bw_pdq_hash_image().
 */
BW_API bw_status bw_pdq_hash_pixels(bw_ctx *ctx, uint8_t hash_out[BW_PDQ_BYTES],
                                    int *quality_out, const void *pixels,
                                    size_t stride, uint32_t width,
                                    uint32_t height, bw_pixel_format format);

/* Writes 64 lower-case hex digits and a NUL into out (65 bytes). */
BW_API void bw_pdq_to_hex(char out[BW_PDQ_HEX_CHARS + 1],
                          const uint8_t hash[BW_PDQ_BYTES]);

/*
 * Parses exactly 64 hex digits (either case) of length len. Fails with
 * BW_ERR_PARSE on a wrong length or a non-hex character.
 */
BW_API bw_status bw_pdq_from_hex(uint8_t hash_out[BW_PDQ_BYTES],
                                 const char *hex, size_t len);

/* Hamming distance between two hashes, 0..256. */
BW_API int bw_pdq_distance(const uint8_t a[BW_PDQ_BYTES],
                           const uint8_t b[BW_PDQ_BYTES]);

/* Number of set bits, 0..256 (the reference's "norm"). */
BW_API int bw_pdq_popcount(const uint8_t hash[BW_PDQ_BYTES]);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_PDQ_H */

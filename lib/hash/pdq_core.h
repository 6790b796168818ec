/*
 * PDQ internals: the pixel grid the hash is computed from and the steps that
 * turn it into bits. Shared by the file fast path, the image API and the
 * device library.
 */
#ifndef BULWARK_LIB_PDQ_CORE_H
#define BULWARK_LIB_PDQ_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "bulwark/bw_pdq.h"
#include "common/bw_internal.h"

/* The reference shrinks anything wider or taller than this to exactly
 * BWI_PDQ_GRID_MAX x BWI_PDQ_GRID_MAX by nearest neighbour before hashing. */
#define BWI_PDQ_GRID_MAX 512
#define BWI_PDQ_MIN_DIMENSION 5

/* 8-bit pixels, 1 (grey) or 3 (RGB) channels. Photos are resampled to at
 * most 512x512 first; video frames are hashed at their own size (vPDQ does
 * not resample), so bwi_pdq_hash_grid() takes any size. */
typedef struct bwi_grid {
    const uint8_t *pixels;
    size_t stride;
    uint32_t width;
    uint32_t height;
    int channels;
} bwi_grid;

struct bwi_pdq_scratch {
    float *luma;      /* float_cap values (at least BWI_PDQ_GRID_MAX^2) */
    float *work;      /* float_cap values */
    float *sums;      /* sums_cap values, running column sums */
    uint8_t *grid;    /* BWI_PDQ_GRID_MAX^2 * 3 */
    size_t float_cap;
    size_t sums_cap;
};

/* The context's scratch, allocated on first use. */
bw_status bwi_pdq_scratch(bw_ctx *ctx, struct bwi_pdq_scratch **out);

/* The scratch with luma and work buffers of at least width*height floats and
 * column sums for width columns, grown when a larger grid comes along. */
bw_status bwi_pdq_scratch_reserve(bw_ctx *ctx, uint32_t width, uint32_t height,
                                  struct bwi_pdq_scratch **out);

/* Grid size for an image of width x height. */
static inline void bwi_pdq_grid_dims(uint32_t width, uint32_t height,
                                     uint32_t *grid_w, uint32_t *grid_h)
{
    if (width > BWI_PDQ_GRID_MAX || height > BWI_PDQ_GRID_MAX) {
        *grid_w = BWI_PDQ_GRID_MAX;
        *grid_h = BWI_PDQ_GRID_MAX;
    } else {
        *grid_w = width;
        *grid_h = height;
    }
}

/* Source index that nearest-neighbour output index `o` reads, as CImg's
 * resize does it: floor(o * in / out). */
static inline uint32_t bwi_pdq_nn_index(uint32_t o, uint32_t in, uint32_t out)
{
    return (uint32_t)(((uint64_t)o * in) / out);
}

/*
 * Hashes a grid. hash_out and/or dihedral_out (8 hashes) may be NULL;
 * quality_out may be NULL. Fails only for grids under 5 pixels.
 */
bw_status bwi_pdq_hash_grid(bw_ctx *ctx, const bwi_grid *grid,
                            uint8_t *hash_out,
                            uint8_t (*dihedral_out)[BW_PDQ_BYTES],
                            int *quality_out);

/*
 * Makes a grid from caller pixels of any layout: nearest-neighbour sampling
 * to at most 512x512, alpha dropped, and RGB that is grey everywhere turned
 * into one channel (unless force_rgb, for the decoders whose reference
 * loader never does that). The grid lives in the scratch.
 */
bw_status bwi_pdq_grid_from_pixels(bw_ctx *ctx, bwi_grid *grid_out,
                                   const uint8_t *pixels, size_t stride,
                                   uint32_t width, uint32_t height,
                                   bw_pixel_format format, bool force_rgb);

/* Empties a set (bw_robust.h), for callers that fail before computing it. */
struct bw_pdq_set;
void bwi_pdq_set_clear(struct bw_pdq_set *set);

/* The 128th smallest of 256 values, the threshold for the hash bits. */
float bwi_pdq_lower_median(const float values[256]);

#endif

/*
 * Pure hashing time: each image is decoded and sampled to its grid first
 * (untimed), then only the grid-to-hash step (luminance, blur, decimation,
 * DCT, bits) is timed, the part the reference's benchmark-photo-hasher
 * reports as "time spent hashing photos".
 *   bench_pdq_hash LIST [REPEAT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bulwark/bulwark.h>

#include "hash/pdq_core.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_pdq_hash LIST [REPEAT]\n");
        return 2;
    }
    const int repeat = argc > 2 ? atoi(argv[2]) : 5;
    FILE *list = fopen(argv[1], "r");
    if (!list) {
        perror(argv[1]);
        return 1;
    }
    bw_ctx *ctx;
    bw_ctx_create(&ctx);
    char path[4096];
    int images = 0;
    double seconds = 0;
    uint8_t *copy = malloc(BWI_PDQ_GRID_MAX * BWI_PDQ_GRID_MAX * 3);
    while (fgets(path, sizeof path, list)) {
        path[strcspn(path, "\n")] = '\0';
        bw_image *img;
        if (bw_image_decode_file(ctx, &img, path) != BW_OK)
            continue;
        bw_pixel_format fmt;
        size_t stride;
        const uint8_t *px = bw_image_pixels(img, &fmt, &stride);
        bwi_grid grid;
        if (bwi_pdq_grid_from_pixels(ctx, &grid, px, stride, bw_image_width(img),
                                     bw_image_height(img), fmt, true) != BW_OK) {
            bw_image_free(img);
            continue;
        }
        /* The grid lives in scratch that hashing may reuse: copy it out. */
        memcpy(copy, grid.pixels, grid.stride * grid.height);
        grid.pixels = copy;
        uint8_t hash[32];
        int quality;
        double t0 = now();
        for (int r = 0; r < repeat; r++)
            bwi_pdq_hash_grid(ctx, &grid, hash, NULL, &quality);
        seconds += (now() - t0) / repeat;
        images++;
        bw_image_free(img);
    }
    fclose(list);
    printf("images: %d\nhash seconds: %.6f\nms per image: %.4f\nimages per second: %.1f\n",
           images, seconds, images ? 1000.0 * seconds / images : 0,
           seconds > 0 ? images / seconds : 0);
    free(copy);
    bw_ctx_free(ctx);
    return 0;
}

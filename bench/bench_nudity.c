/*
 * Nudity classifier speed and memory, one thread.
 *
 *   bench_nudity MODEL LIST [REPEAT [PPM_DIR COUNT]]
 *
 * For each image of LIST (decode not timed): the time to classify it from
 * its decoded pixels (resize included) and from a 224x224 copy (the
 * network alone), on the fastest kernels and on the portable scalar ones;
 * the best of REPEAT runs of each. With PPM_DIR, the 224x224 copies of the
 * first COUNT images are written there for TensorFlow.js to run the same
 * inputs (bench/nudity-speed.sh). Peak memory is the process's VmHWM: once
 * after loading the model and classifying (the classifier's own footprint,
 * before any file is decoded) and at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nudity/nudity_internal.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long peak_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

/* Best of `repeat` classifications of one buffer, in ms. */
static double time_one(bw_ctx *ctx, const bw_nudity_model *m, const bwi_nn_kernels *k,
                       const uint8_t *px, size_t stride, uint32_t w, uint32_t h,
                       bw_pixel_format f, int repeat)
{
    double best = 1e30;
    float s[BW_NUDITY_CLASS_COUNT];
    for (int r = 0; r < repeat; r++) {
        double t0 = now_ms();
        if (bwi_nudity_classify_with(ctx, s, m, k, px, stride, w, h, f) != BW_OK) {
            fprintf(stderr, "classify failed: %s\n", bw_ctx_message(ctx));
            exit(1);
        }
        double t = now_ms() - t0;
        best = t < best ? t : best;
    }
    return best;
}

/* A 224x224 RGB copy by area averaging (any resampling would do: both
 * sides get the same bytes). */
static void shrink(uint8_t *dst, const uint8_t *px, size_t stride, uint32_t w,
                   uint32_t h, bw_pixel_format f)
{
    int bpp = f == BW_PIXEL_GREY8 ? 1 : 3;
    for (uint32_t y = 0; y < 224; y++)
        for (uint32_t x = 0; x < 224; x++) {
            uint32_t x0 = x * w / 224, x1 = (x + 1) * w / 224, y0 = y * h / 224,
                     y1 = (y + 1) * h / 224;
            x1 = x1 > x0 ? x1 : x0 + 1, y1 = y1 > y0 ? y1 : y0 + 1;
            for (int c = 0; c < 3; c++) {
                unsigned long sum = 0, n = 0;
                for (uint32_t yy = y0; yy < y1; yy++)
                    for (uint32_t xx = x0; xx < x1; xx++, n++)
                        sum += px[yy * stride + xx * bpp + (bpp == 3 ? c : 0)];
                dst[(y * 224 + x) * 3 + c] = (uint8_t)((sum + n / 2) / n);
            }
        }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_nudity MODEL LIST [REPEAT [PPM_DIR COUNT]]\n");
        return 2;
    }
    int repeat = argc > 3 ? atoi(argv[3]) : 3;
    const char *ppm_dir = argc > 5 ? argv[4] : NULL;
    int ppm_count = argc > 5 ? atoi(argv[5]) : 0;
    bw_ctx *ctx;
    bw_nudity_model *m;
    bw_ctx_create(&ctx);
    if (bw_nudity_model_load(ctx, &m, argv[1]) != BW_OK) {
        fprintf(stderr, "%s\n", bw_ctx_message(ctx));
        return 1;
    }
    const bwi_nn_kernels *best = bwi_nn_kernels_best(), *scalar = &bwi_nn_kernels_scalar;
    static uint8_t small[224 * 224 * 3];
    memset(small, 128, sizeof small);
    time_one(ctx, m, best, small, 224 * 3, 224, 224, BW_PIXEL_RGB8, 1);
    long footprint = peak_kib();

    FILE *list = fopen(argv[2], "r");
    if (!list) {
        fprintf(stderr, "cannot open %s\n", argv[2]);
        return 1;
    }
    char path[4096];
    int n = 0;
    double sum_full = 0, sum_net = 0, sum_scalar = 0;
    while (fgets(path, sizeof path, list)) {
        path[strcspn(path, "\n")] = '\0';
        bw_image *img;
        if (!*path || bw_image_decode_file(ctx, &img, path) != BW_OK)
            continue;
        bw_pixel_format f;
        size_t stride;
        const uint8_t *px = bw_image_pixels(img, &f, &stride);
        uint32_t w = bw_image_width(img), h = bw_image_height(img);
        sum_full += time_one(ctx, m, best, px, stride, w, h, f, repeat);
        shrink(small, px, stride, w, h, f);
        bw_image_free(img);
        sum_net += time_one(ctx, m, best, small, 224 * 3, 224, 224, BW_PIXEL_RGB8, repeat);
        sum_scalar += time_one(ctx, m, scalar, small, 224 * 3, 224, 224, BW_PIXEL_RGB8, 1);
        if (ppm_dir && n < ppm_count) {
            char out[4200];
            snprintf(out, sizeof out, "%s/%04d.ppm", ppm_dir, n);
            FILE *pf = fopen(out, "wb");
            if (pf) {
                fprintf(pf, "P6\n224 224\n255\n");
                fwrite(small, 1, sizeof small, pf);
                fclose(pf);
            }
        }
        n++;
    }
    fclose(list);
    if (n == 0) {
        fprintf(stderr, "no image decoded\n");
        return 1;
    }
    printf("images: %d\n", n);
    printf("bulwark %-6s ms per image, 224x224 input:      %7.2f\n", best->name, sum_net / n);
    printf("bulwark %-6s ms per image, 224x224 input:      %7.2f\n", "scalar", sum_scalar / n);
    printf("bulwark %-6s ms per image, from decoded pixels: %7.2f (resize included)\n",
           best->name, sum_full / n);
    printf("model file %s: weights in memory %.1f MiB, scratch %.1f MiB\n", argv[1],
           bw_nudity_model_memory(m) / 1048576.0, bw_nudity_model_scratch_memory(m) / 1048576.0);
    printf("peak memory (VmHWM): %.1f MiB after loading and one classification; "
           "%.1f MiB at the end (largest decoded image included)\n",
           footprint / 1024.0, peak_kib() / 1024.0);
    bw_nudity_model_free(m);
    bw_ctx_free(ctx);
    return 0;
}

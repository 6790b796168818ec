/*
 * Bulwark's classifier against the reference: nsfwjs's own inference on
 * TensorFlow.js's pure-JavaScript CPU backend (tools/nudity/reference.mjs,
 * run in node). Every image — synthetic ones drawn here, the synthetic
 * conformance images of tests/data/golden and the benign photos of
 * tests/data/nudity — is decoded once; the same pixels go to both sides (as
 * a PPM to node) and every class probability must agree within 1e-4, on the
 * scalar kernels and on the SIMD kernels this CPU runs.
 *
 *   test_nudity_equiv MODEL NODE REFERENCE_MJS NODE_MODULES
 * Skips (77) when the model was not built (-DBW_NUDITY_MODEL=OFF).
 */
#include <dirent.h>
#include <math.h>
#include <unistd.h>

#include "harness.h"
#include "nudity/nudity_internal.h"

#define TOLERANCE 1e-4
#define MAX_IMAGES 256

typedef struct test_image {
    char name[96];
    uint8_t *pixels; /* as classified by Bulwark */
    size_t stride;
    uint32_t width, height;
    bw_pixel_format format;
    float bulwark[2][BW_NUDITY_CLASS_COUNT]; /* scalar, best */
} test_image;

static test_image images[MAX_IMAGES];
static int image_count;

static test_image *add_image(const char *name, uint32_t w, uint32_t h,
                             bw_pixel_format format, size_t pad)
{
    if (image_count == MAX_IMAGES)
        return NULL;
    test_image *t = &images[image_count++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->width = w, t->height = h, t->format = format;
    t->stride = (size_t)w * bw_pixel_format_bytes(format) + pad;
    t->pixels = calloc(t->stride * h, 1);
    return t;
}

/* A deterministic pseudo-random byte stream (LCG). */
static uint32_t rng_state = 12345;
static uint8_t rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (uint8_t)(rng_state >> 24);
}

/* RGB synthetic scenes: each exercises a different resize or layout path. */
static void synthesise(void)
{
    static const struct { const char *name; uint32_t w, h; int kind; } scenes[] = {
        {"synthetic-gradient-300x200", 300, 200, 0},
        {"synthetic-checker-224x224", 224, 224, 1}, /* no resize at all */
        {"synthetic-noise-640x480", 640, 480, 2},
        {"synthetic-rings-512x384", 512, 384, 3},
        {"synthetic-bars-1000x30", 1000, 30, 4},
        {"synthetic-noise-31x700", 31, 700, 2},
        {"synthetic-flat-50x50", 50, 50, 5},
        {"synthetic-1x1", 1, 1, 2},
        {"synthetic-2x3", 2, 3, 2},
        {"synthetic-upscale-97x61", 97, 61, 3},
        {"synthetic-exact-225x223", 225, 223, 0},
    };
    for (size_t s = 0; s < sizeof scenes / sizeof scenes[0]; s++) {
        test_image *t = add_image(scenes[s].name, scenes[s].w, scenes[s].h,
                                  BW_PIXEL_RGB8, 0);
        for (uint32_t y = 0; y < t->height; y++)
            for (uint32_t x = 0; x < t->width; x++) {
                uint8_t *p = t->pixels + y * t->stride + x * 3;
                double dx = x - t->width / 2.0, dy = y - t->height / 2.0;
                switch (scenes[s].kind) {
                case 0:
                    p[0] = (uint8_t)(255 * x / t->width), p[1] = (uint8_t)(255 * y / t->height);
                    p[2] = (uint8_t)(128 + 100 * sin(x * 0.05));
                    break;
                case 1:
                    p[0] = p[1] = p[2] = ((x / 16 + y / 16) & 1) ? 230 : 20;
                    p[2] = (uint8_t)(p[2] ^ 0x40);
                    break;
                case 2:
                    p[0] = rnd(), p[1] = rnd(), p[2] = rnd();
                    break;
                case 3:
                    p[0] = (uint8_t)(127 + 127 * sin(sqrt(dx * dx + dy * dy) * 0.2));
                    p[1] = (uint8_t)(127 + 127 * cos(dx * 0.03));
                    p[2] = (uint8_t)(127 + 127 * sin(dy * 0.07));
                    break;
                case 4: {
                    static const uint8_t bars[7][3] = {{192, 192, 192}, {192, 192, 0},
                        {0, 192, 192}, {0, 192, 0}, {192, 0, 192}, {192, 0, 0}, {0, 0, 192}};
                    memcpy(p, bars[x * 7 / t->width], 3);
                    break;
                }
                default:
                    p[0] = 90, p[1] = 140, p[2] = 200;
                }
            }
    }
    /* The same noise in other layouts, rows padded: Bulwark reads the
     * layout, node gets the RGB it stands for. */
    static const bw_pixel_format layouts[] = {BW_PIXEL_BGRA8, BW_PIXEL_ARGB8,
                                              BW_PIXEL_GREY8};
    static const char *const names[] = {"synthetic-bgra-padded-333x250",
                                        "synthetic-argb-padded-333x250",
                                        "synthetic-grey-padded-333x250"};
    for (int l = 0; l < 3; l++) {
        test_image *t = add_image(names[l], 333, 250, layouts[l], 7);
        for (size_t i = 0; i < t->stride * t->height; i++)
            t->pixels[i] = rnd();
    }
}

static void add_decoded(bw_ctx *ctx, const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    bw_image *img;
    if (bw_image_decode_file(ctx, &img, path) != BW_OK)
        return; /* the golden set includes deliberately undecodable files */
    bw_pixel_format format;
    size_t stride;
    const uint8_t *px = bw_image_pixels(img, &format, &stride);
    test_image *t = add_image(file, bw_image_width(img), bw_image_height(img), format, 0);
    if (t)
        for (uint32_t y = 0; y < t->height; y++)
            memcpy(t->pixels + y * t->stride, px + y * stride,
                   t->width * bw_pixel_format_bytes(format));
    bw_image_free(img);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* At most `limit` images from a directory (0: all of them). */
static void add_directory(bw_ctx *ctx, const char *dir, int limit)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, by_name), taken = 0;
    for (int i = 0; i < n; i++) {
        const char *dot = strrchr(list[i]->d_name, '.');
        if (list[i]->d_name[0] != '.' && dot && strcmp(dot, ".csv") && strcmp(dot, ".md") &&
            (!limit || taken < limit)) {
            add_decoded(ctx, dir, list[i]->d_name);
            taken++;
        }
        free(list[i]);
    }
    free(list);
}

/* The RGB the image stands for, as a binary PPM for node. */
static bool write_ppm(const test_image *t, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    int bpp, r, g, b;
    bwi_pixel_layout(t->format, &bpp, &r, &g, &b);
    fprintf(f, "P6\n%u %u\n255\n", t->width, t->height);
    for (uint32_t y = 0; y < t->height; y++)
        for (uint32_t x = 0; x < t->width; x++) {
            const uint8_t *p = t->pixels + y * t->stride + (size_t)x * bpp;
            uint8_t rgb[3] = {p[r], p[g], p[b]};
            fwrite(rgb, 1, 3, f);
        }
    return fclose(f) == 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: test_nudity_equiv MODEL NODE REFERENCE_MJS NODE_MODULES\n");
        return 2;
    }
    const char *model_path = argv[1], *node = argv[2], *script = argv[3], *modules = argv[4];
    if (access(model_path, R_OK) != 0) {
        printf("SKIP: no nudity model at %s (built with -DBW_NUDITY_MODEL=OFF?)\n",
               model_path);
        return BWT_SKIP;
    }
    bw_ctx *ctx;
    bw_nudity_model *model;
    bw_ctx_create(&ctx);
    if (bw_nudity_model_load(ctx, &model, model_path) != BW_OK) {
        fprintf(stderr, "cannot load %s: %s\n", model_path, bw_ctx_message(ctx));
        return 1;
    }
    /* Under the sanitizers (BW_TEST_QUICK) the point is memory safety, and
     * every image costs seconds: a smaller set still covers every layout. */
    const bool quick = getenv("BW_TEST_QUICK") != NULL;
    synthesise();
    add_directory(ctx, BW_TEST_DATA "/golden", quick ? 6 : 0);
    add_directory(ctx, BW_TEST_DATA "/nudity", quick ? 4 : 0);
    printf("%d images (%s kernels besides scalar)\n", image_count,
           bwi_nn_kernels_best()->name);
    CHECK(image_count >= (quick ? 20 : 30));

    char dir[] = "/tmp/bw-nudity-equiv-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    size_t cmd_len = 4096 + (size_t)image_count * 128;
    char *cmd = malloc(cmd_len);
    int used = snprintf(cmd, cmd_len, "'%s' '%s' '%s'", node, script, modules);
    const bwi_nn_kernels *kernels[2] = {&bwi_nn_kernels_scalar, bwi_nn_kernels_best()};
    for (int i = 0; i < image_count; i++) {
        test_image *t = &images[i];
        char ppm[256];
        snprintf(ppm, sizeof ppm, "%s/%03d.ppm", dir, i);
        CHECK(write_ppm(t, ppm));
        used += snprintf(cmd + used, cmd_len - used, " %s", ppm);
        for (int k = 0; k < 2; k++)
            CHECK_EQ(bwi_nudity_classify_with(ctx, t->bulwark[k], model, kernels[k],
                                              t->pixels, t->stride, t->width,
                                              t->height, t->format),
                     BW_OK);
    }
    FILE *ref = popen(cmd, "r");
    CHECK(ref != NULL);
    double worst[2] = {0, 0};
    int compared = 0;
    char line[1024];
    while (ref && fgets(line, sizeof line, ref)) {
        double p[BW_NUDITY_CLASS_COUNT];
        char file[512];
        int idx;
        if (sscanf(line, "%lf %lf %lf %lf %lf %511s", &p[0], &p[1], &p[2], &p[3],
                   &p[4], file) != 6 ||
            sscanf(strrchr(file, '/') + 1, "%d.ppm", &idx) != 1 || idx < 0 ||
            idx >= image_count) {
            fprintf(stderr, "unexpected reference line: %s", line);
            bwt_failures++;
            continue;
        }
        const test_image *t = &images[idx];
        for (int k = 0; k < 2; k++)
            for (int c = 0; c < BW_NUDITY_CLASS_COUNT; c++) {
                double d = fabs(t->bulwark[k][c] - p[c]);
                worst[k] = d > worst[k] ? d : worst[k];
                if (!(d <= TOLERANCE)) {
                    fprintf(stderr, "%s (%s kernels): %s %.7f, reference %.7f\n",
                            t->name, kernels[k]->name,
                            bw_nudity_class_name((bw_nudity_class)c),
                            t->bulwark[k][c], p[c]);
                    bwt_failures++;
                }
            }
        printf("%-36s neutral %.5f drawing %.5f  |diff| <= %.1e\n", t->name,
               p[BW_NUDITY_NEUTRAL], p[BW_NUDITY_DRAWING],
               fmax(fabs(t->bulwark[0][2] - p[2]), fabs(t->bulwark[1][2] - p[2])));
        compared++;
    }
    int status = ref ? pclose(ref) : -1;
    CHECK_EQ(status, 0);
    CHECK_EQ(compared, image_count);
    printf("compared %d images: largest difference %.2e (scalar), %.2e (%s); "
           "tolerance %.0e\n", compared, worst[0], worst[1], kernels[1]->name, TOLERANCE);
    for (int i = 0; i < image_count; i++) {
        char ppm[256];
        snprintf(ppm, sizeof ppm, "%s/%03d.ppm", dir, i);
        unlink(ppm);
        free(images[i].pixels);
    }
    rmdir(dir);
    free(cmd);
    bw_nudity_model_free(model);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

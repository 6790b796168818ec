/*
 * Bulwark's classifier against the reference: nsfwjs's own inference on
 * TensorFlow.js's pure-JavaScript CPU backend (tools/nudity/reference.mjs,
 * run in node). Every image — synthetic ones drawn here, the synthetic
 * conformance images of tests/data/golden and the benign photos of
 * tests/data/nudity — is decoded once; the same pixels go to both sides (as
 * a PPM to node) and every class probability must agree within 1e-4, on the
 * scalar kernels and on the SIMD kernels this CPU runs.
 *
 * The reference takes about 3 s an image, so its answers are stored in
 * tests/data/nudity-reference.csv, keyed by the SHA-256 of the PPM it was
 * given and of the model: an image is compared with its stored answer when
 * both digests match, and sent to node live otherwise (a decoder that gives
 * other pixels, another model). A sample of the images goes to node on every
 * run as well, and its live answers must equal the stored ones, so a stale
 * file cannot pass unnoticed.
 *
 *   test_nudity_equiv MODEL NODE REFERENCE_MJS NODE_MODULES STORED [--write]
 * --write (or BW_NUDITY_EQUIV_ALL=1) sends every image to node; --write then
 * rewrites STORED from the live answers. Skips (77) when the model was not
 * built (-DBW_NUDITY_MODEL=OFF).
 */
#include <dirent.h>
#include <math.h>
#include <unistd.h>

#include <bulwark/bw_digest.h>

#include "harness.h"
#include "nudity/nudity_internal.h"

#define TOLERANCE 1e-4
/* The reference is deterministic (single-threaded JavaScript, the same
 * packages): its stored and live answers may differ only by the printing. */
#define STORED_TOLERANCE 1e-6
#define MAX_IMAGES 256
/* Non-quick runs send every LIVE_EVERY-th image to node besides the
 * images without a stored answer. */
#define LIVE_EVERY 12
/* Quick runs classify every SCALAR_EVERY_QUICK-th image on the scalar
 * kernels too, every image on the best ones. */
#define SCALAR_EVERY_QUICK 4

typedef struct test_image {
    char name[96];
    uint8_t *pixels; /* as classified by Bulwark */
    size_t stride;
    uint32_t width, height;
    bw_pixel_format format;
    float bulwark[2][BW_NUDITY_CLASS_COUNT]; /* scalar, best */
    char digest[2 * 32 + 1]; /* SHA-256 of the PPM node is given */
    bool scalar; /* bulwark[0] was computed */
    bool stored, live;
    double stored_p[BW_NUDITY_CLASS_COUNT];
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

/* The RGB the image stands for, as a binary PPM for node (malloc'd). */
static uint8_t *ppm_bytes(const test_image *t, size_t *size_out)
{
    char header[64];
    int n = snprintf(header, sizeof header, "P6\n%u %u\n255\n", t->width, t->height);
    size_t size = (size_t)n + (size_t)t->width * t->height * 3;
    uint8_t *ppm = malloc(size), *out = ppm + n;
    if (!ppm)
        return NULL;
    memcpy(ppm, header, (size_t)n);
    int bpp, r, g, b;
    bwi_pixel_layout(t->format, &bpp, &r, &g, &b);
    for (uint32_t y = 0; y < t->height; y++)
        for (uint32_t x = 0; x < t->width; x++) {
            const uint8_t *p = t->pixels + y * t->stride + (size_t)x * bpp;
            *out++ = p[r], *out++ = p[g], *out++ = p[b];
        }
    *size_out = size;
    return ppm;
}

static void sha256_hex(char out[65], const void *data, size_t size)
{
    uint8_t d[32];
    CHECK_EQ(bw_digest(BW_DIGEST_SHA256, d, sizeof d, data, size), BW_OK);
    bw_hex_encode(out, d, sizeof d);
}

/*
 * Reads the stored answers: a "# model SHA256" line, then
 * "PPM_SHA256,DRAWING,HENTAI,NEUTRAL,PORN,SEXY,NAME" lines. Answers for
 * another model are ignored; returns how many images found theirs.
 */
static int read_stored(const char *path, const char *model_digest)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("no stored reference answers at %s: every image goes to node\n", path);
        return 0;
    }
    char line[512];
    bool same_model = false;
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        char digest[80];
        if (sscanf(line, "# model %79s", digest) == 1) {
            same_model = strcmp(digest, model_digest) == 0;
            if (!same_model)
                printf("the stored answers are for another model (%.12s…, this one %.12s…): "
                       "every image goes to node\n", digest, model_digest);
            continue;
        }
        char *fields[8];
        if (line[0] == '#' || line[0] == '\n' || !same_model ||
            bwt_split(line, fields, 8) != 7)
            continue;
        for (int i = 0; i < image_count; i++) {
            test_image *t = &images[i];
            if (t->stored || strcmp(t->digest, fields[0]) != 0)
                continue;
            for (int c = 0; c < BW_NUDITY_CLASS_COUNT; c++)
                t->stored_p[c] = strtod(fields[1 + c], NULL);
            t->stored = true;
            found++;
        }
    }
    fclose(f);
    return found;
}

static bool write_stored(const char *path, const char *model_digest,
                         double live_p[][BW_NUDITY_CLASS_COUNT])
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f, "# nsfwjs on TensorFlow.js's CPU backend (tools/nudity/reference.mjs), as\n"
               "# test_nudity_equiv --write stored it: SHA-256 of the PPM given to node,\n"
               "# the five class probabilities in model order, the image's name.\n"
               "# model %s\n", model_digest);
    for (int i = 0; i < image_count; i++) {
        fprintf(f, "%s", images[i].digest);
        for (int c = 0; c < BW_NUDITY_CLASS_COUNT; c++)
            fprintf(f, ",%.9g", live_p[i][c]);
        fprintf(f, ",%s\n", images[i].name);
    }
    return fclose(f) == 0;
}

/* The largest difference between Bulwark's answers and p, reporting each
 * class beyond the tolerance. */
static void compare(const test_image *t, const double *p, const char *against,
                    const bwi_nn_kernels *const kernels[2], double worst[2])
{
    for (int k = !t->scalar; k < 2; k++)
        for (int c = 0; c < BW_NUDITY_CLASS_COUNT; c++) {
            double d = fabs(t->bulwark[k][c] - p[c]);
            worst[k] = d > worst[k] ? d : worst[k];
            if (!(d <= TOLERANCE)) {
                fprintf(stderr, "%s (%s kernels): %s %.7f, %s reference %.7f\n", t->name,
                        kernels[k]->name, bw_nudity_class_name((bw_nudity_class)c),
                        t->bulwark[k][c], against, p[c]);
                bwt_failures++;
            }
        }
    printf("%-36s neutral %.5f drawing %.5f  |diff| <= %.1e (%s)\n", t->name,
           p[BW_NUDITY_NEUTRAL], p[BW_NUDITY_DRAWING],
           fmax(t->scalar ? fabs(t->bulwark[0][2] - p[2]) : 0, fabs(t->bulwark[1][2] - p[2])),
           against);
}

/* Sends the live images to node; fills live_p and returns how many came
 * back. */
static int run_node(const char *node, const char *script, const char *modules,
                    double live_p[][BW_NUDITY_CLASS_COUNT])
{
    char dir[] = "/tmp/bw-nudity-equiv-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    size_t cmd_len = 4096 + (size_t)image_count * 128;
    char *cmd = malloc(cmd_len);
    int used = snprintf(cmd, cmd_len, "'%s' '%s' '%s'", node, script, modules);
    for (int i = 0; i < image_count; i++) {
        if (!images[i].live)
            continue;
        char path[256];
        size_t size;
        snprintf(path, sizeof path, "%s/%03d.ppm", dir, i);
        uint8_t *ppm = ppm_bytes(&images[i], &size);
        FILE *f = ppm ? fopen(path, "wb") : NULL;
        CHECK(f && fwrite(ppm, 1, size, f) == size);
        if (f)
            CHECK(fclose(f) == 0);
        free(ppm);
        used += snprintf(cmd + used, cmd_len - used, " %s", path);
    }
    FILE *ref = popen(cmd, "r");
    CHECK(ref != NULL);
    int answered = 0;
    char line[1024];
    while (ref && fgets(line, sizeof line, ref)) {
        double p[BW_NUDITY_CLASS_COUNT];
        char file[512];
        int idx;
        if (sscanf(line, "%lf %lf %lf %lf %lf %511s", &p[0], &p[1], &p[2], &p[3],
                   &p[4], file) != 6 ||
            sscanf(strrchr(file, '/') + 1, "%d.ppm", &idx) != 1 || idx < 0 ||
            idx >= image_count || !images[idx].live) {
            fprintf(stderr, "unexpected reference line: %s", line);
            bwt_failures++;
            continue;
        }
        memcpy(live_p[idx], p, sizeof p);
        answered++;
    }
    CHECK_EQ(ref ? pclose(ref) : -1, 0);
    for (int i = 0; i < image_count; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%03d.ppm", dir, i);
        unlink(path);
    }
    rmdir(dir);
    free(cmd);
    return answered;
}

int main(int argc, char **argv)
{
    if (argc != 6 && !(argc == 7 && strcmp(argv[6], "--write") == 0)) {
        fprintf(stderr, "usage: test_nudity_equiv MODEL NODE REFERENCE_MJS NODE_MODULES "
                        "STORED [--write]\n");
        return 2;
    }
    const char *model_path = argv[1], *node = argv[2], *script = argv[3],
               *modules = argv[4], *stored_path = argv[5];
    const bool write = argc == 7;
    size_t model_size = 0;
    unsigned char *model_bytes = bwt_read(model_path, &model_size);
    if (!model_bytes) {
        printf("SKIP: no nudity model at %s (built with -DBW_NUDITY_MODEL=OFF?)\n",
               model_path);
        return BWT_SKIP;
    }
    char model_digest[65];
    sha256_hex(model_digest, model_bytes, model_size);
    free(model_bytes);
    bw_ctx *ctx;
    bw_nudity_model *model;
    bw_ctx_create(&ctx);
    if (bw_nudity_model_load(ctx, &model, model_path) != BW_OK) {
        fprintf(stderr, "cannot load %s: %s\n", model_path, bw_ctx_message(ctx));
        return 1;
    }
    /* Under the sanitizers (BW_TEST_QUICK) the point is memory safety, and
     * every image costs seconds: a smaller set still covers every layout. */
    const bool quick = getenv("BW_TEST_QUICK") != NULL && !write;
    const bool all_live = write || getenv("BW_NUDITY_EQUIV_ALL") != NULL;
    synthesise();
    add_directory(ctx, BW_TEST_DATA "/golden", quick ? 6 : 0);
    add_directory(ctx, BW_TEST_DATA "/nudity", quick ? 4 : 0);
    printf("%d images (%s kernels besides scalar)\n", image_count,
           bwi_nn_kernels_best()->name);
    CHECK(image_count >= (quick ? 20 : 30));

    const bwi_nn_kernels *const kernels[2] = {&bwi_nn_kernels_scalar,
                                              bwi_nn_kernels_best()};
    for (int i = 0; i < image_count; i++) {
        test_image *t = &images[i];
        size_t size;
        uint8_t *ppm = ppm_bytes(t, &size);
        CHECK(ppm != NULL);
        if (ppm)
            sha256_hex(t->digest, ppm, size);
        free(ppm);
        /* The scalar kernels are the slow ones under the sanitizers, and
         * the network they run is the same 224x224 one for every image. */
        t->scalar = !quick || i % SCALAR_EVERY_QUICK == 0;
        for (int k = !t->scalar; k < 2; k++)
            CHECK_EQ(bwi_nudity_classify_with(ctx, t->bulwark[k], model, kernels[k],
                                              t->pixels, t->stride, t->width,
                                              t->height, t->format),
                     BW_OK);
    }
    int stored = all_live ? 0 : read_stored(stored_path, model_digest), live = 0;
    for (int i = 0; i < image_count; i++) {
        images[i].live = all_live || !images[i].stored || (!quick && i % LIVE_EVERY == 0);
        live += images[i].live;
    }
    printf("%d of %d images have a stored reference answer (%s); %d go to node\n", stored,
           image_count, stored_path, live);

    double (*live_p)[BW_NUDITY_CLASS_COUNT] = calloc(MAX_IMAGES, sizeof *live_p);
    CHECK_EQ(live ? run_node(node, script, modules, live_p) : 0, live);
    double worst[2] = {0, 0}, stale = 0;
    int scalar = 0;
    for (int i = 0; i < image_count; i++) {
        scalar += images[i].scalar;
        const test_image *t = &images[i];
        if (t->live && t->stored)
            for (int c = 0; c < BW_NUDITY_CLASS_COUNT; c++)
                stale = fmax(stale, fabs(live_p[i][c] - t->stored_p[c]));
        compare(t, t->live ? live_p[i] : t->stored_p, t->live ? "live" : "stored", kernels,
                worst);
    }
    if (!(stale <= STORED_TOLERANCE)) {
        fprintf(stderr, "node's live answers differ from the stored ones by up to %.2e; "
                        "if the reference is right, rewrite them:\n  %s %s %s %s %s %s --write\n",
                stale, argv[0], model_path, node, script, modules, stored_path);
        bwt_failures++;
    }
    printf("compared %d images (%d on the scalar kernels): largest difference %.2e (scalar), "
           "%.2e (%s); tolerance %.0e; stored and live answers differ by at most %.1e\n",
           image_count, scalar, worst[0], worst[1], kernels[1]->name, TOLERANCE, stale);
    if (write && bwt_failures == 0) {
        CHECK(write_stored(stored_path, model_digest, live_p));
        printf("wrote %s\n", stored_path);
    }
    for (int i = 0; i < image_count; i++)
        free(images[i].pixels);
    free(live_p);
    bw_nudity_model_free(model);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

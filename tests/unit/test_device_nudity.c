/*
 * The nudity classifier inside libbulwark_device: the SDK's answers are
 * libbulwark's (the classifier test_nudity_equiv holds to TF.js), on every
 * decodable golden image; its decoder gives libbulwark's pixels; its blur
 * is libbulwark's; a damaged model is refused with a reason. Skips when the
 * model was not built (-DBW_NUDITY_MODEL=OFF).
 */
#include <dirent.h>
#include <math.h>

#include <bulwark/bw_device.h>
#include <bulwark/bw_nudity.h>

#include "harness.h"

static uint8_t *model_bytes;
static size_t model_size;

static void same_scores_as_libbulwark(void)
{
    bw_device *dev = NULL;
    bw_device_nudity *sdk = NULL;
    bw_ctx *ctx = NULL;
    bw_nudity_model *lib = NULL;
    CHECK_EQ(bw_device_create(&dev), BW_OK);
    CHECK_EQ(bw_ctx_create(&ctx), BW_OK);
    CHECK_EQ(bw_device_nudity_load(dev, &sdk, model_bytes, model_size), BW_OK);
    CHECK_EQ(bw_nudity_model_from_bytes(ctx, &lib, model_bytes, model_size), BW_OK);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/golden", BW_TEST_DATA);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    const bool quick = getenv("BW_TEST_QUICK") != NULL;
    int images = 0, classified = 0, warned_differently = 0;
    double worst = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t size = 0;
        unsigned char *data = e->d_name[0] == '.' ? NULL : bwt_read(path, &size);
        bw_image *image = NULL;
        if (!data || bw_image_decode(ctx, &image, data, size) != BW_OK) {
            free(data);
            continue;
        }
        images++;
        uint8_t *rgb = NULL;
        uint32_t w = 0, h = 0;
        CHECK_EQ(bw_device_decode_rgb(dev, &rgb, &w, &h, data, size), BW_OK);
        CHECK_EQ(w, bw_image_width(image));
        CHECK_EQ(h, bw_image_height(image));
        bw_pixel_format format;
        size_t stride;
        const uint8_t *px = bw_image_pixels(image, &format, &stride);
        /* Under the sanitizers (BW_TEST_QUICK) every classification costs
         * seconds: every image is still decoded both ways, a third classified. */
        if (!quick || (images - 1) % 3 == 0) {
            float a[BW_NUDITY_CLASS_COUNT], b[BW_NUDITY_CLASS_COUNT];
            CHECK_EQ(bw_device_nudity_classify_pixels(dev, a, sdk, rgb, (size_t)w * 3, w, h,
                                                      BW_PIXEL_RGB8), BW_OK);
            CHECK_EQ(bw_nudity_classify_pixels(ctx, b, lib, px, stride, w, h, format), BW_OK);
            for (int k = 0; k < BW_NUDITY_CLASS_COUNT; k++)
                worst = fmax(worst, fabs((double)a[k] - b[k]));
            warned_differently += bw_device_nudity_should_warn(a, 0.7f) !=
                                  bw_nudity_should_warn(b, 0.7f);
            CHECK(fabsf(bw_device_nudity_score(a) - bw_nudity_score(b)) < 1e-6f);
            classified++;
        }
        bw_device_pixels_free(rgb);
        bw_image_free(image);
        free(data);
    }
    if (d)
        closedir(d);
    printf("  %d images decoded, %d classified, largest score difference %.3g\n", images,
           classified, worst);
    CHECK(images >= 30);
    CHECK(classified >= (quick ? 10 : 30));
    CHECK(worst < 1e-6);
    CHECK_EQ(warned_differently, 0);
    CHECK(fabsf(bw_device_nudity_default_threshold() - BW_NUDITY_DEFAULT_THRESHOLD) == 0);
    bw_nudity_model_free(lib);
    bw_device_nudity_free(sdk);
    bw_ctx_free(ctx);
    bw_device_free(dev);
}

static void blur_is_libbulwarks(void)
{
    enum { W = 97, H = 61 };
    static uint8_t px[W * H * 4], sdk[W * H * 4], lib[W * H * 4];
    uint32_t s = 1;
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (uint8_t)((s = s * 1664525u + 1013904223u) >> 24);
    bw_device *dev = NULL;
    bw_ctx *ctx = NULL;
    CHECK_EQ(bw_device_create(&dev), BW_OK);
    CHECK_EQ(bw_ctx_create(&ctx), BW_OK);
    CHECK_EQ(bw_device_nudity_blur_pixels(dev, sdk, W * 4, px, W * 4, W, H, BW_PIXEL_RGBA8, 0),
             BW_OK);
    CHECK_EQ(bw_nudity_blur_pixels(ctx, lib, W * 4, px, W * 4, W, H, BW_PIXEL_RGBA8, 0), BW_OK);
    CHECK(memcmp(sdk, lib, sizeof sdk) == 0);
    CHECK(memcmp(sdk, px, sizeof sdk) != 0);
    CHECK_EQ(bw_device_nudity_blur_pixels(dev, sdk, 3, px, W * 4, W, H, BW_PIXEL_RGBA8, 0),
             BW_ERR_INVALID_ARGUMENT);
    bw_ctx_free(ctx);
    bw_device_free(dev);
}

static void damaged_model_refused(void)
{
    bw_device *dev = NULL;
    bw_device_nudity *m = NULL;
    CHECK_EQ(bw_device_create(&dev), BW_OK);
    uint8_t *copy = malloc(model_size);
    memcpy(copy, model_bytes, model_size);
    copy[model_size / 2] ^= 0x10;
    CHECK_EQ(bw_device_nudity_load(dev, &m, copy, model_size), BW_ERR_VERIFY);
    CHECK(m == NULL && strlen(bw_device_message(dev)) > 0);
    printf("  flipped byte: %s\n", bw_device_message(dev));
    CHECK(bw_device_nudity_load(dev, &m, model_bytes, model_size - 1) != BW_OK);
    CHECK(m == NULL);
    CHECK(bw_device_nudity_load(dev, &m, model_bytes, 16) != BW_OK);
    CHECK_EQ(bw_device_nudity_load(dev, NULL, model_bytes, model_size),
             BW_ERR_INVALID_ARGUMENT);
    bw_device_nudity_free(NULL);
    free(copy);
    bw_device_free(dev);
}

int main(void)
{
    model_bytes = bwt_read(BW_NUDITY_MODEL_FILE, &model_size);
    if (!model_bytes) {
        printf("skipped: no nudity model at %s (built unless -DBW_NUDITY_MODEL=OFF)\n",
               BW_NUDITY_MODEL_FILE);
        return BWT_SKIP;
    }
    RUN(same_scores_as_libbulwark);
    RUN(blur_is_libbulwarks);
    RUN(damaged_model_refused);
    free(model_bytes);
    return BWT_RESULT();
}

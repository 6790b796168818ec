/*
 * Decodes an image with Bulwark and writes its pixels as binary PPM, for
 * comparing decoders pixel by pixel (e.g. with `convert FILE ppm:-`).
 *   bw-dump-ppm FILE > out.ppm
 */
#include <stdio.h>

#include <bulwark/bulwark.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bw-dump-ppm FILE > out.ppm\n");
        return 2;
    }
    bw_ctx *ctx;
    bw_image *img;
    if (bw_ctx_create(&ctx) != BW_OK)
        return 1;
    bw_status st = bw_image_decode_file(ctx, &img, argv[1]);
    if (st != BW_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], bw_ctx_message(ctx));
        bw_ctx_free(ctx);
        return 1;
    }
    bw_pixel_format fmt;
    size_t stride;
    const uint8_t *px = bw_image_pixels(img, &fmt, &stride);
    uint32_t w = bw_image_width(img), h = bw_image_height(img);
    printf("P6\n%u %u\n255\n", w, h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const uint8_t *p = px + y * stride + (fmt == BW_PIXEL_GREY8 ? x : 3 * x);
            uint8_t rgb[3] = {p[0], fmt == BW_PIXEL_GREY8 ? p[0] : p[1],
                              fmt == BW_PIXEL_GREY8 ? p[0] : p[2]};
            fwrite(rgb, 1, 3, stdout);
        }
    bw_image_free(img);
    bw_ctx_free(ctx);
    return 0;
}

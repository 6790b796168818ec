/*
 * libFuzzer target for what runs on decoded pixels rather than on file
 * bytes: content boxes (border, letterbox, frame and picture finding),
 * rotation finding and turning back, crop regions and the query and bank
 * hash sets. Its inputs come from hostile images as surely as a decoder's
 * do, and the scans behind them are hand-tuned loops over rows and
 * columns, so they are fuzzed with pictures that have the structure those
 * scans look for: an input is a small header and a list of drawing
 * commands, not raw pixels, which would almost never hold a flat border,
 * a frame or a rotated canvas.
 *
 * Input: width (2 bytes, little-endian), height (2), layout (1: the pixel
 * layout in bits 0-1, large sizes in bit 2, the hash set in bits 3-4),
 * background colour (3), then commands of 8 bytes: op, x0, y0, x1, y1 (in
 * 256ths of the image), r, g, b. Without bit 2 a side is 1 + its first
 * byte (up to 256 pixels); with it, up to 1 600 pixels and 1.2 megapixels,
 * which still takes the sampled path (over 1 200 pixels a side) of the
 * picture box.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bulwark/bulwark.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SIDE 1600u
#define MAX_PIXELS 1200000u

enum { OP_FILL, OP_NOISE, OP_HGRADIENT, OP_VGRADIENT, OP_TILT, OP_COUNT };

static uint32_t at(uint8_t fraction, uint32_t side)
{
    return (uint32_t)(((uint64_t)fraction * side) >> 8);
}

/* A rectangle of the picture drawn in one of a few ways; OP_TILT draws the
 * rectangle turned by a small angle (y1's byte) about its centre, filling
 * outside it, as an editor's rotation leaves a canvas. */
static void draw(uint8_t *px, size_t bpp, uint32_t w, uint32_t h, const uint8_t *cmd)
{
    const unsigned op = cmd[0] % OP_COUNT;
    uint32_t x0 = at(cmd[1], w), y0 = at(cmd[2], h), x1 = at(cmd[3], w), y1 = at(cmd[4], h);
    if (op == OP_TILT) {
        const double angle = ((int)cmd[4] - 128) * (20.0 / 128.0) * (M_PI / 180.0);
        const double c = cos(angle), s = sin(angle), cx = w / 2.0, cy = h / 2.0;
        const double hw = w * (0.3 + cmd[1] / 600.0), hh = h * (0.3 + cmd[2] / 600.0);
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                const double dx = x - cx, dy = y - cy;
                const double u = c * dx + s * dy, v = -s * dx + c * dy;
                if (fabs(u) > hw || fabs(v) > hh)
                    memset(px + ((size_t)y * w + x) * bpp, cmd[5], bpp);
            }
        return;
    }
    if (x1 < x0) {
        uint32_t t = x0;
        x0 = x1;
        x1 = t;
    }
    if (y1 < y0) {
        uint32_t t = y0;
        y0 = y1;
        y1 = t;
    }
    uint32_t seed = (uint32_t)cmd[5] << 16 | (uint32_t)cmd[6] << 8 | cmd[7];
    for (uint32_t y = y0; y <= y1 && y < h; y++)
        for (uint32_t x = x0; x <= x1 && x < w; x++) {
            uint8_t *p = px + ((size_t)y * w + x) * bpp;
            for (size_t k = 0; k < bpp; k++) {
                uint8_t v = cmd[5 + k % 3];
                if (op == OP_NOISE) {
                    seed = seed * 1664525u + 1013904223u;
                    v = (uint8_t)(seed >> 24);
                } else if (op == OP_HGRADIENT) {
                    v = (uint8_t)(v + (x - x0) * 255u / (x1 - x0 + 1));
                } else if (op == OP_VGRADIENT) {
                    v = (uint8_t)(v + (y - y0) * 255u / (y1 - y0 + 1));
                }
                p[k] = v;
            }
        }
}

static void check_box(const bw_box *b, const bw_image *img)
{
    const uint64_t w = bw_image_width(img), h = bw_image_height(img);
    if (b->width == 0 || b->height == 0 || (uint64_t)b->x + b->width > w ||
        (uint64_t)b->y + b->height > h)
        abort();
}

static void check_set(bw_ctx *ctx, bw_pdq_set *set, unsigned flags, const bw_image *img,
                      const uint8_t whole[BW_PDQ_BYTES], bool whole_ok)
{
    bw_status st = bw_pdq_set_compute(ctx, set, flags, img);
    if (st != BW_OK) {
        if (bw_ctx_message(ctx)[0] == '\0' || whole_ok)
            abort(); /* a set fails only as the plain hash does, and says why */
        return;
    }
    if (!whole_ok || bw_pdq_set_count(set) == 0)
        abort();
    const bw_pdq_part *first = bw_pdq_set_get(set, 0);
    if (memcmp(first->hash, whole, BW_PDQ_BYTES) != 0)
        abort(); /* entry 0 is the plain hash */
    for (size_t i = 0; i < bw_pdq_set_count(set); i++) {
        const bw_pdq_part *p = bw_pdq_set_get(set, i);
        if (p->quality < 0 || p->quality > 100 || !p->name || !p->name[0] || p->reach < 1 ||
            p->reach > 8 * BW_PDQ_BYTES)
            abort();
        if (p->kind != BW_PART_UNROTATED)
            check_box(&p->box, img); /* turned-back parts are boxes of their own canvas */
    }
    if (bw_pdq_set_get(set, bw_pdq_set_count(set)) != NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    /* Most inputs are small, so the fuzzer runs fast; bit 2 of the layout
     * byte asks for the large sizes. */
    const bool large = data[4] & 4;
    const uint32_t w = 1 + (large ? (uint32_t)(data[0] | data[1] << 8) % MAX_SIDE : data[0]);
    const uint32_t h = 1 + (large ? (uint32_t)(data[2] | data[3] << 8) % MAX_SIDE : data[2]);
    if ((uint64_t)w * h > MAX_PIXELS)
        return 0;
    static const bw_pixel_format layouts[] = {BW_PIXEL_GREY8, BW_PIXEL_RGB8, BW_PIXEL_RGBA8,
                                              BW_PIXEL_BGR8};
    const bw_pixel_format layout = layouts[data[4] % 4];
    const size_t bpp = bw_pixel_format_bytes(layout);
    uint8_t *px = malloc((size_t)w * h * bpp);
    if (!px)
        return 0;
    for (size_t i = 0; i < (size_t)w * h; i++)
        for (size_t k = 0; k < bpp; k++)
            px[i * bpp + k] = data[5 + k % 3];
    for (size_t off = 8; off + 8 <= size && off < 8 + 8 * 32; off += 8)
        draw(px, bpp, w, h, data + off);

    bw_ctx *ctx = NULL;
    bw_image *img = NULL;
    bw_pdq_set *set = NULL;
    if (bw_ctx_create(&ctx) != BW_OK || bw_pdq_set_create(&set) != BW_OK)
        goto done;
    if (bw_image_from_pixels(ctx, &img, px, (size_t)w * bpp, w, h, layout) != BW_OK)
        goto done;

    static const unsigned content_flags[] = {0, BW_CONTENT_LOOSE, BW_CONTENT_PICTURE,
                                             BW_CONTENT_FRAMED};
    for (size_t i = 0; i < sizeof content_flags / sizeof *content_flags; i++) {
        bw_box box;
        if (bw_image_find_content(ctx, &box, img, content_flags[i]) != BW_OK)
            abort(); /* fails only on bad arguments or memory */
        check_box(&box, img);
        bw_image *crop = NULL;
        if (bw_image_crop(ctx, &crop, img, box) != BW_OK)
            abort();
        bw_image_free(crop);
    }

    double degrees = 0;
    if (bw_image_find_rotation(ctx, &degrees, img) != BW_OK)
        abort();
    if (degrees != 0 && (fabs(degrees) < 0.3 || fabs(degrees) > 20))
        abort();
    if (degrees != 0) {
        bw_image *back = NULL;
        if (bw_image_unrotate(ctx, &back, img, degrees) == BW_OK) {
            if (bw_image_width(back) == 0 || bw_image_height(back) == 0)
                abort();
            bw_image_free(back);
        } else if (bw_ctx_message(ctx)[0] == '\0') {
            abort();
        }
    }

    uint8_t whole[BW_PDQ_BYTES];
    int quality = 0;
    const bool whole_ok = bw_pdq_hash_image(ctx, whole, &quality, img) == BW_OK;
    /* One set an input (bits 3-4 of the layout byte), each costing tens of
     * hashes: the query sets of robust and standard mode, and what a bank
     * stores. */
    static const unsigned sets[] = {
        BW_PDQ_SET_ROBUST_QUERY, BW_PDQ_SET_STANDARD_QUERY,
        BW_PDQ_SET_WHOLE | BW_PDQ_SET_CONTENT | BW_PDQ_SET_REGIONS,
        BW_PDQ_SET_ROBUST_QUERY | BW_PDQ_SET_REGIONS};
    check_set(ctx, set, sets[(data[4] >> 3) & 3], img, whole, whole_ok);
done:
    bw_pdq_set_free(set);
    bw_image_free(img);
    bw_ctx_free(ctx);
    free(px);
    return 0;
}

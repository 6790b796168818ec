/* The quality benchmark's edits; see quality_transforms.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include <bulwark/bulwark.h>

#include "quality_font.h"
#include "quality_transforms.h"

bool qimg_alloc(qimg *img, uint32_t w, uint32_t h)
{
    img->w = w;
    img->h = h;
    img->rgb = calloc((size_t)w * h, 3);
    return img->rgb != NULL;
}

void qimg_free(qimg *img)
{
    free(img->rgb);
    img->rgb = NULL;
}

static uint8_t clamp8(double v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)lround(v);
}

static uint8_t *px(const qimg *img, uint32_t x, uint32_t y)
{
    return img->rgb + ((size_t)y * img->w + x) * 3;
}

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* ---- resampling ------------------------------------------------------------ */

/* Bilinear sample at (fx, fy) in pixel-centre coordinates; outside is black
 * when `outside` is set, else clamped to the edge. */
static void sample(const qimg *in, double fx, double fy, bool outside, uint8_t out[3])
{
    if (outside && (fx < -0.5 || fy < -0.5 || fx > in->w - 0.5 || fy > in->h - 0.5)) {
        out[0] = out[1] = out[2] = 0;
        return;
    }
    if (fx < 0)
        fx = 0;
    if (fy < 0)
        fy = 0;
    if (fx > in->w - 1)
        fx = in->w - 1;
    if (fy > in->h - 1)
        fy = in->h - 1;
    const uint32_t x0 = (uint32_t)fx, y0 = (uint32_t)fy;
    const uint32_t x1 = x0 + 1 < in->w ? x0 + 1 : x0, y1 = y0 + 1 < in->h ? y0 + 1 : y0;
    const double ax = fx - x0, ay = fy - y0;
    const uint8_t *a = px(in, x0, y0), *b = px(in, x1, y0), *c = px(in, x0, y1),
                  *d = px(in, x1, y1);
    for (int k = 0; k < 3; k++)
        out[k] = clamp8((a[k] * (1 - ax) + b[k] * ax) * (1 - ay) + (c[k] * (1 - ax) + d[k] * ax) * ay);
}

/* Area average when shrinking (each output pixel averages the input pixels
 * it covers), bilinear when enlarging: what image editors do. */
static bool resize_to(qimg *out, const qimg *in, uint32_t w, uint32_t h)
{
    if (w < 1)
        w = 1;
    if (h < 1)
        h = 1;
    if (!qimg_alloc(out, w, h))
        return false;
    const double sx = (double)in->w / w, sy = (double)in->h / h;
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *o = px(out, x, y);
            if (sx <= 1 && sy <= 1) {
                sample(in, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5, false, o);
                continue;
            }
            const uint32_t x0 = (uint32_t)(x * sx), y0 = (uint32_t)(y * sy);
            uint32_t x1 = (uint32_t)ceil((x + 1) * sx), y1 = (uint32_t)ceil((y + 1) * sy);
            if (x1 > in->w)
                x1 = in->w;
            if (y1 > in->h)
                y1 = in->h;
            double sum[3] = {0, 0, 0};
            for (uint32_t yy = y0; yy < y1; yy++)
                for (uint32_t xx = x0; xx < x1; xx++)
                    for (int k = 0; k < 3; k++)
                        sum[k] += px(in, xx, yy)[k];
            const double n = (double)(x1 - x0) * (y1 - y0);
            for (int k = 0; k < 3; k++)
                o[k] = clamp8(sum[k] / n);
        }
    }
    return true;
}

static bool crop_to(qimg *out, const qimg *in, uint32_t x0, uint32_t y0, uint32_t w, uint32_t h)
{
    if (!qimg_alloc(out, w, h))
        return false;
    for (uint32_t y = 0; y < h; y++)
        memcpy(px(out, 0, y), px(in, x0, y0 + y), (size_t)w * 3);
    return true;
}

/* ---- the edits --------------------------------------------------------------- */

bool q_jpeg_roundtrip(qimg *out, const qimg *in, int quality)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *buf = NULL;
    unsigned long size = 0;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &buf, &size);
    c.image_width = in->w;
    c.image_height = in->h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = px(in, 0, c.next_scanline);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    bw_ctx *ctx;
    bw_image *img = NULL;
    bool ok = bw_ctx_create(&ctx) == BW_OK && bw_image_decode(ctx, &img, buf, size) == BW_OK;
    free(buf);
    if (ok && (ok = qimg_alloc(out, bw_image_width(img), bw_image_height(img)))) {
        bw_pixel_format f;
        size_t stride;
        const uint8_t *p = bw_image_pixels(img, &f, &stride);
        for (uint32_t y = 0; y < out->h; y++)
            for (uint32_t x = 0; x < out->w; x++)
                for (int k = 0; k < 3; k++)
                    px(out, x, y)[k] = p[y * stride + (f == BW_PIXEL_GREY8 ? x : 3 * x + k)];
    }
    bw_image_free(img);
    bw_ctx_free(ctx);
    return ok;
}

static bool t_jpeg(qimg *out, const qimg *in, double q, uint32_t seed)
{
    (void)seed;
    return q_jpeg_roundtrip(out, in, (int)q);
}

static bool t_resize(qimg *out, const qimg *in, double pct, uint32_t seed)
{
    (void)seed;
    return resize_to(out, in, (uint32_t)lround(in->w * pct / 100),
                     (uint32_t)lround(in->h * pct / 100));
}

/* Removes pct % of the width and of the height, half on each side. */
static bool t_crop_centre(qimg *out, const qimg *in, double pct, uint32_t seed)
{
    (void)seed;
    const uint32_t dx = (uint32_t)lround(in->w * pct / 200), dy = (uint32_t)lround(in->h * pct / 200);
    return crop_to(out, in, dx, dy, in->w - 2 * dx, in->h - 2 * dy);
}

/* Removes pct % of the width or height from one side, chosen by seed. */
static bool t_crop_side(qimg *out, const qimg *in, double pct, uint32_t seed)
{
    const uint32_t dx = (uint32_t)lround(in->w * pct / 100), dy = (uint32_t)lround(in->h * pct / 100);
    switch (seed % 4) {
    case 0:
        return crop_to(out, in, dx, 0, in->w - dx, in->h);
    case 1:
        return crop_to(out, in, 0, 0, in->w - dx, in->h);
    case 2:
        return crop_to(out, in, 0, dy, in->w, in->h - dy);
    default:
        return crop_to(out, in, 0, 0, in->w, in->h - dy);
    }
}

/* Counter-clockwise by 90, 180 or 270 degrees. */
static bool t_rotate_right_angle(qimg *out, const qimg *in, double deg, uint32_t seed)
{
    (void)seed;
    const int turns = ((int)deg / 90) % 4;
    const uint32_t w = turns % 2 ? in->h : in->w, h = turns % 2 ? in->w : in->h;
    if (!qimg_alloc(out, w, h))
        return false;
    for (uint32_t y = 0; y < in->h; y++)
        for (uint32_t x = 0; x < in->w; x++) {
            uint32_t ox = x, oy = y;
            if (turns == 1) {
                ox = y;
                oy = in->w - 1 - x;
            } else if (turns == 2) {
                ox = in->w - 1 - x;
                oy = in->h - 1 - y;
            } else if (turns == 3) {
                ox = in->h - 1 - y;
                oy = x;
            }
            memcpy(px(out, ox, oy), px(in, x, y), 3);
        }
    return true;
}

/* Fills out (already allocated) with in turned by a radians about the two
 * centres; outside in, black when `outside`, else the nearest edge. */
static void turn_into(qimg *out, const qimg *in, double a, bool outside)
{
    const double c = cos(a), s = sin(a);
    const double cx = out->w / 2.0, cy = out->h / 2.0, icx = in->w / 2.0, icy = in->h / 2.0;
    for (uint32_t y = 0; y < out->h; y++)
        for (uint32_t x = 0; x < out->w; x++) {
            const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
            sample(in, c * dx + s * dy + icx - 0.5, -s * dx + c * dy + icy - 0.5, outside,
                   px(out, x, y));
        }
}

/* By a small angle, the canvas grown to hold the whole image and the new
 * corners black, as `convert -rotate` does; the sign comes from seed. */
static bool t_rotate_small(qimg *out, const qimg *in, double deg, uint32_t seed)
{
    const double a = (seed % 2 ? -deg : deg) * M_PI / 180, c = cos(a), s = sin(a);
    const uint32_t w = (uint32_t)ceil(fabs(in->w * c) + fabs(in->h * s));
    const uint32_t h = (uint32_t)ceil(fabs(in->w * s) + fabs(in->h * c));
    if (!qimg_alloc(out, w, h))
        return false;
    turn_into(out, in, a, true);
    return true;
}

/* By a small angle, then cut to the largest rectangle of the picture's
 * shape that holds no corner: rotated and cropped, so that no fill shows
 * the angle; the sign comes from seed. */
static bool t_rotate_crop(qimg *out, const qimg *in, double deg, uint32_t seed)
{
    const double a = (seed % 2 ? -deg : deg) * M_PI / 180, c = cos(a), s = sin(a);
    const double fit_w = in->w / (in->w * c + in->h * fabs(s));
    const double fit_h = in->h / (in->h * c + in->w * fabs(s));
    const double fit = fit_w < fit_h ? fit_w : fit_h;
    const uint32_t w = (uint32_t)floor(in->w * fit), h = (uint32_t)floor(in->h * fit);
    if (w < 16 || h < 16 || !qimg_alloc(out, w, h))
        return false;
    turn_into(out, in, a, false);
    return true;
}

/* 1: left-right, 2: top-bottom. */
static bool t_mirror(qimg *out, const qimg *in, double axis, uint32_t seed)
{
    (void)seed;
    if (!qimg_alloc(out, in->w, in->h))
        return false;
    for (uint32_t y = 0; y < in->h; y++)
        for (uint32_t x = 0; x < in->w; x++)
            memcpy(px(out, x, y),
                   axis == 1 ? px(in, in->w - 1 - x, y) : px(in, x, in->h - 1 - y), 3);
    return true;
}

static bool copy_of(qimg *out, const qimg *in)
{
    if (!qimg_alloc(out, in->w, in->h))
        return false;
    memcpy(out->rgb, in->rgb, (size_t)in->w * in->h * 3);
    return true;
}

/* Draws text with its top-left corner at (x, y), each font pixel a
 * scale x scale square, blended with opacity alpha. */
static void draw_text(qimg *img, const char *text, int x, int y, int scale,
                      const uint8_t colour[3], double alpha)
{
    for (; *text; text++, x += (Q_GLYPH_W + 1) * scale) {
        const uint8_t *g = q_glyph(*text);
        for (int gy = 0; g && gy < Q_GLYPH_H; gy++)
            for (int gx = 0; gx < Q_GLYPH_W; gx++) {
                if (!(g[gy] & (0x10 >> gx)))
                    continue;
                for (int yy = 0; yy < scale; yy++)
                    for (int xx = 0; xx < scale; xx++) {
                        const int X = x + gx * scale + xx, Y = y + gy * scale + yy;
                        if (X < 0 || Y < 0 || X >= (int)img->w || Y >= (int)img->h)
                            continue;
                        uint8_t *p = px(img, (uint32_t)X, (uint32_t)Y);
                        for (int k = 0; k < 3; k++)
                            p[k] = clamp8(p[k] * (1 - alpha) + colour[k] * alpha);
                    }
            }
    }
}

static void fill_rect(qimg *img, int x0, int y0, int w, int h, const uint8_t colour[3])
{
    for (int y = y0 < 0 ? 0 : y0; y < y0 + h && y < (int)img->h; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x0 + w && x < (int)img->w; x++)
            memcpy(px(img, (uint32_t)x, (uint32_t)y), colour, 3);
}

/* The glyph scale that makes `text` about `strength` % of the width wide,
 * and the width it then takes. */
static int text_scale(const qimg *in, const char *text, double strength, int *width)
{
    const int chars = (int)strlen(text);
    int scale = (int)(in->w * strength / 100 / (chars * (Q_GLYPH_W + 1)));
    if (scale < 1)
        scale = 1;
    *width = chars * (Q_GLYPH_W + 1) * scale;
    return scale;
}

/* A caption across the lower part: white, half transparent, text about
 * `strength` % of the width. */
static bool t_watermark_text(qimg *out, const qimg *in, double strength, uint32_t seed)
{
    (void)seed;
    static const char text[] = "SAMPLE WATERMARK 2024";
    if (!copy_of(out, in))
        return false;
    int tw;
    const int scale = text_scale(in, text, strength, &tw);
    static const uint8_t white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
    const int x = ((int)in->w - tw) / 2, y = (int)in->h * 3 / 4;
    draw_text(out, text, x + scale, y + scale, scale, black, 0.5);
    draw_text(out, text, x, y, scale, white, 0.6);
    return true;
}

/* An opaque logo (a coloured disc on a square, with a short name), `side`
 * pixels wide, its top-left corner at (x0, y0). */
static void draw_logo(qimg *out, int side, int x0, int y0)
{
    static const uint8_t square[3] = {230, 230, 240}, disc[3] = {200, 30, 40},
                         ink[3] = {20, 20, 80};
    fill_rect(out, x0, y0, side, side, square);
    const double r = side * 0.3, cx = x0 + side / 2.0, cy = y0 + side * 0.4;
    for (int y = y0; y < y0 + side; y++)
        for (int x = x0; x < x0 + side; x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r && x >= 0 && y >= 0 &&
                x < (int)out->w && y < (int)out->h)
                memcpy(px(out, (uint32_t)x, (uint32_t)y), disc, 3);
    const int scale = side / 40 > 0 ? side / 40 : 1;
    draw_text(out, "LOGO", x0 + side / 2 - 12 * scale, y0 + side * 3 / 4, scale, ink, 1.0);
}

/* The logo in the bottom-right corner, `strength` % of the width wide. */
static bool t_watermark_logo(qimg *out, const qimg *in, double strength, uint32_t seed)
{
    (void)seed;
    if (!copy_of(out, in))
        return false;
    const int side = (int)(in->w * strength / 100);
    draw_logo(out, side, (int)in->w - side - side / 8, (int)in->h - side - side / 8);
    return true;
}

/* The logo in the middle of the picture, where every region hash sees it. */
static bool t_watermark_logo_centre(qimg *out, const qimg *in, double strength, uint32_t seed)
{
    (void)seed;
    if (!copy_of(out, in))
        return false;
    const int side = (int)(in->w * strength / 100);
    draw_logo(out, side, ((int)in->w - side) / 2, ((int)in->h - side) / 2);
    return true;
}

/* A stock-photo mark: a word in large, faint white letters across the
 * middle, `strength` % of the width wide. */
static bool t_watermark_stock(qimg *out, const qimg *in, double strength, uint32_t seed)
{
    (void)seed;
    static const char text[] = "PREVIEW";
    if (!copy_of(out, in))
        return false;
    int tw;
    const int scale = text_scale(in, text, strength, &tw);
    static const uint8_t white[3] = {255, 255, 255};
    draw_text(out, text, ((int)in->w - tw) / 2, (int)in->h / 2 - Q_GLYPH_H * scale / 2, scale,
              white, 0.35);
    return true;
}

/* Pads the image into a canvas of `colour`, placing it at (x, y). */
static bool pad(qimg *out, const qimg *in, uint32_t w, uint32_t h, uint32_t x, uint32_t y,
                const uint8_t colour[3])
{
    if (!qimg_alloc(out, w, h))
        return false;
    fill_rect(out, 0, 0, (int)w, (int)h, colour);
    for (uint32_t r = 0; r < in->h; r++)
        memcpy(px(out, x, y + r), px(in, 0, r), (size_t)in->w * 3);
    return true;
}

/* A border of `strength` % of the width on every side; white for an odd
 * seed, black for an even one. */
static bool t_border(qimg *out, const qimg *in, double pct, uint32_t seed)
{
    static const uint8_t white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
    const uint32_t b = (uint32_t)lround(in->w * pct / 100);
    return pad(out, in, in->w + 2 * b, in->h + 2 * b, b, b, seed % 2 ? white : black);
}

/* Black bars above and below a landscape image (beside a portrait one),
 * making up `pct` % of the new height (width), as a player shows a video of
 * another shape. */
static bool t_letterbox(qimg *out, const qimg *in, double pct, uint32_t seed)
{
    (void)seed;
    static const uint8_t black[3] = {0, 0, 0};
    const double grow = 1 / (1 - pct / 100);
    if (in->w >= in->h) {
        const uint32_t h = (uint32_t)lround(in->h * grow);
        return pad(out, in, in->w, h, 0, (h - in->h) / 2, black);
    }
    const uint32_t w = (uint32_t)lround(in->w * grow);
    return pad(out, in, w, in->h, (w - in->w) / 2, 0, black);
}

/* A screenshot of the image in a viewer window: a desktop margin, a dark
 * title bar with text, a light toolbar, a status line with text; the image
 * fills `strength` % of the screenshot's width. */
static bool t_screenshot(qimg *out, const qimg *in, double pct, uint32_t seed)
{
    (void)seed;
    const uint32_t w = (uint32_t)lround(in->w * 100 / pct);
    const uint32_t title = w / 24 + 8, tool = w / 30 + 6, status = w / 30 + 6;
    const uint32_t side = (w - in->w) / 2;
    const uint32_t h = in->h + title + tool + status + 2 * side / 3;
    static const uint8_t desk[3] = {236, 236, 236}, bar[3] = {48, 54, 66},
                         toolc[3] = {250, 250, 250}, ink[3] = {230, 230, 230},
                         dark[3] = {60, 60, 60}, button[3] = {210, 70, 60};
    if (!pad(out, in, w, h, side, title + tool + side / 3, desk))
        return false;
    fill_rect(out, 0, 0, (int)w, (int)title, bar);
    const int scale = (int)(title / 12) > 0 ? (int)(title / 12) : 1;
    draw_text(out, "PHOTO VIEWER - IMAGE.JPG", (int)title, (int)(title - 7 * scale) / 2, scale,
              ink, 1.0);
    fill_rect(out, (int)(w - title), (int)(title / 4), (int)(title / 2), (int)(title / 2), button);
    fill_rect(out, 0, (int)title, (int)w, (int)tool, toolc);
    for (int i = 0; i < 5; i++)
        fill_rect(out, (int)(tool / 4 + i * tool * 1.5), (int)(title + tool / 4), (int)(tool / 2),
                  (int)(tool / 2), dark);
    const int ss = (int)(status / 12) > 0 ? (int)(status / 12) : 1;
    draw_text(out, "100 - 2024-01-02", (int)side, (int)(h - status + (status - 7 * ss) / 2), ss,
              dark, 1.0);
    return true;
}

static bool per_channel(qimg *out, const qimg *in, double a, double b, double gamma)
{
    if (!qimg_alloc(out, in->w, in->h))
        return false;
    uint8_t lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = clamp8(255 * pow(clamp8(a * v + b) / 255.0, gamma));
    for (size_t i = 0; i < (size_t)in->w * in->h * 3; i++)
        out->rgb[i] = lut[in->rgb[i]];
    return true;
}

static bool t_brightness(qimg *out, const qimg *in, double delta, uint32_t seed)
{
    (void)seed;
    return per_channel(out, in, 1, delta, 1);
}

static bool t_contrast(qimg *out, const qimg *in, double factor, uint32_t seed)
{
    (void)seed;
    return per_channel(out, in, factor, 128 * (1 - factor), 1);
}

static bool t_gamma(qimg *out, const qimg *in, double gamma, uint32_t seed)
{
    (void)seed;
    return per_channel(out, in, 1, 0, 1 / gamma);
}

/* Three box passes of radius r along each axis: close to a Gaussian. */
static bool blur(qimg *out, const qimg *in, int r)
{
    if (!copy_of(out, in))
        return false;
    const uint32_t n = in->w > in->h ? in->w : in->h;
    double *line = malloc(n * 3 * sizeof *line);
    if (!line)
        return false;
    for (int pass = 0; pass < 6; pass++) {
        const bool rows = pass % 2 == 0;
        const uint32_t len = rows ? out->w : out->h, lines = rows ? out->h : out->w;
        for (uint32_t l = 0; l < lines; l++) {
            for (uint32_t i = 0; i < len; i++)
                for (int k = 0; k < 3; k++)
                    line[i * 3 + k] = (rows ? px(out, i, l) : px(out, l, i))[k];
            for (uint32_t i = 0; i < len; i++) {
                double s[3] = {0, 0, 0};
                for (int d = -r; d <= r; d++) {
                    int j = (int)i + d;
                    j = j < 0 ? 0 : j >= (int)len ? (int)len - 1 : j;
                    for (int k = 0; k < 3; k++)
                        s[k] += line[j * 3 + k];
                }
                for (int k = 0; k < 3; k++)
                    (rows ? px(out, i, l) : px(out, l, i))[k] = clamp8(s[k] / (2 * r + 1));
            }
        }
    }
    free(line);
    return true;
}

static bool t_blur(qimg *out, const qimg *in, double r, uint32_t seed)
{
    (void)seed;
    return blur(out, in, (int)r);
}

/* Unsharp mask: the image plus `amount` times its difference from a blur. */
static bool t_sharpen(qimg *out, const qimg *in, double amount, uint32_t seed)
{
    (void)seed;
    qimg soft;
    if (!blur(&soft, in, 1) || !qimg_alloc(out, in->w, in->h))
        return false;
    for (size_t i = 0; i < (size_t)in->w * in->h * 3; i++)
        out->rgb[i] = clamp8(in->rgb[i] + amount * (in->rgb[i] - soft.rgb[i]));
    qimg_free(&soft);
    return true;
}

/* Gaussian noise of standard deviation sigma, per channel. */
static bool t_noise(qimg *out, const qimg *in, double sigma, uint32_t seed)
{
    if (!qimg_alloc(out, in->w, in->h))
        return false;
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < (size_t)in->w * in->h * 3; i++) {
        const double u1 = (xorshift(&s) + 1.0) / 4294967297.0, u2 = xorshift(&s) / 4294967296.0;
        out->rgb[i] = clamp8(in->rgb[i] + sigma * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
    }
    return true;
}

static bool t_grey(qimg *out, const qimg *in, double unused, uint32_t seed)
{
    (void)unused;
    (void)seed;
    if (!qimg_alloc(out, in->w, in->h))
        return false;
    for (size_t i = 0; i < (size_t)in->w * in->h; i++) {
        const uint8_t *p = in->rgb + 3 * i;
        out->rgb[3 * i] = out->rgb[3 * i + 1] = out->rgb[3 * i + 2] =
            clamp8(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]);
    }
    return true;
}

const qtransform q_transforms[] = {
    {"jpeg", "jpeg-q90", 90, t_jpeg},
    {"jpeg", "jpeg-q70", 70, t_jpeg},
    {"jpeg", "jpeg-q50", 50, t_jpeg},
    {"jpeg", "jpeg-q30", 30, t_jpeg},
    {"jpeg", "jpeg-q10", 10, t_jpeg},
    {"resize", "resize-25", 25, t_resize},
    {"resize", "resize-50", 50, t_resize},
    {"resize", "resize-75", 75, t_resize},
    {"resize", "resize-150", 150, t_resize},
    {"resize", "resize-200", 200, t_resize},
    {"crop-centre", "crop-centre-2", 2, t_crop_centre},
    {"crop-centre", "crop-centre-5", 5, t_crop_centre},
    {"crop-centre", "crop-centre-10", 10, t_crop_centre},
    {"crop-centre", "crop-centre-15", 15, t_crop_centre},
    {"crop-centre", "crop-centre-20", 20, t_crop_centre},
    {"crop-centre", "crop-centre-25", 25, t_crop_centre},
    {"crop-centre", "crop-centre-30", 30, t_crop_centre},
    {"crop-side", "crop-side-2", 2, t_crop_side},
    {"crop-side", "crop-side-5", 5, t_crop_side},
    {"crop-side", "crop-side-10", 10, t_crop_side},
    {"crop-side", "crop-side-15", 15, t_crop_side},
    {"crop-side", "crop-side-20", 20, t_crop_side},
    {"crop-side", "crop-side-25", 25, t_crop_side},
    {"crop-side", "crop-side-30", 30, t_crop_side},
    {"rotate", "rotate-90", 90, t_rotate_right_angle},
    {"rotate", "rotate-180", 180, t_rotate_right_angle},
    {"rotate", "rotate-270", 270, t_rotate_right_angle},
    {"rotate-small", "rotate-2", 2, t_rotate_small},
    {"rotate-small", "rotate-5", 5, t_rotate_small},
    {"rotate-small", "rotate-10", 10, t_rotate_small},
    {"rotate-crop", "rotate-crop-3", 3, t_rotate_crop},
    {"rotate-crop", "rotate-crop-5", 5, t_rotate_crop},
    {"rotate-crop", "rotate-crop-8", 8, t_rotate_crop},
    {"mirror", "mirror-lr", 1, t_mirror},
    {"mirror", "mirror-tb", 2, t_mirror},
    {"watermark", "watermark-text-60", 60, t_watermark_text},
    {"watermark", "watermark-logo-15", 15, t_watermark_logo},
    {"watermark", "watermark-logo-25", 25, t_watermark_logo},
    {"watermark-centre", "watermark-logo-centre-10", 10, t_watermark_logo_centre},
    {"watermark-centre", "watermark-logo-centre-20", 20, t_watermark_logo_centre},
    {"watermark-centre", "watermark-stock-80", 80, t_watermark_stock},
    {"border", "border-5", 5, t_border},
    {"border", "border-15", 15, t_border},
    {"border", "letterbox-20", 20, t_letterbox},
    {"border", "letterbox-35", 35, t_letterbox},
    {"screenshot", "screenshot-80", 80, t_screenshot},
    {"screenshot", "screenshot-60", 60, t_screenshot},
    {"colour", "brightness+40", 40, t_brightness},
    {"colour", "brightness-40", -40, t_brightness},
    {"colour", "contrast-0.6", 0.6, t_contrast},
    {"colour", "contrast-1.4", 1.4, t_contrast},
    {"colour", "gamma-0.6", 0.6, t_gamma},
    {"colour", "gamma-1.8", 1.8, t_gamma},
    {"colour", "greyscale", 0, t_grey},
    {"blur", "blur-1", 1, t_blur},
    {"blur", "blur-3", 3, t_blur},
    {"sharpen", "sharpen-1", 1, t_sharpen},
    {"noise", "noise-10", 10, t_noise},
    {"noise", "noise-25", 25, t_noise},
};
const int q_transform_count = (int)(sizeof q_transforms / sizeof q_transforms[0]);

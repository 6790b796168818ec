/*
 * The content box of an image: borders, letterbox bars and the flat parts
 * of a screenshot frame stripped, so that a framed copy hashes like its
 * original. A line (row or column) is stripped when nearly all its pixels
 * are within a tolerance of the line's own median colour; the line's own
 * median, not a fixed border colour, lets one pass go through a frame made
 * of several flat bands (a margin, then a title bar of another colour).
 */
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_robust.h"
#include "common/bw_internal.h"
#include "frame.h"

/* JPEG ringing and dithering stay within this many levels of a flat
 * colour. */
#define FLAT_TOLERANCE 20
/* Share of a line's pixels, in percent, that must be near its median. A
 * border or a letterbox bar is flat all along; a window's title bar whose
 * text covers a quarter of its pixels is flat only loosely. The loose rule
 * also strips rows of smooth sky, so it is used only when the strict one
 * is asked for, after the strict one. */
#define STRICT_SHARE 97
#define LOOSE_SHARE 70
/* A frame's bar differs from the margin by more than this: an input line
 * of light grey on white by 7 once saved as JPEG (a flat line's median
 * stays within a level or two). */
#define MARGIN_TOLERANCE 3
/* Never keep less than this share of a side, nor fewer pixels. */
#define MIN_KEEP_DIVISOR 10
#define MIN_KEEP_PIXELS 32

typedef struct lines {
    const uint8_t *pixels;
    size_t stride;
    int channels;
    int share;   /* STRICT_SHARE or LOOSE_SHARE */
    bool bars;   /* strip only lines not of the margin's colour */
    int margin[3];
    uint32_t hist[3][256];
} lines;

/* RGB lines, nearly all of them, have a loop of their own: the generic one
 * spent most of its time on the channel count, and these loops are most of
 * what finding a content box costs (a loose pass over a photo's smooth sky
 * tests hundreds of full-width rows). */
void bwi_hist_add(uint32_t hist[3][256], const uint8_t *first, ptrdiff_t step, uint32_t count,
                  int channels)
{
    const uint8_t *p = first;
    if (channels == 3) {
        for (uint32_t k = 0; k < count; k++, p += step) {
            hist[0][p[0]]++;
            hist[1][p[1]]++;
            hist[2][p[2]]++;
        }
    } else {
        for (uint32_t k = 0; k < count; k++, p += step)
            for (int c = 0; c < channels; c++)
                hist[c][p[c]]++;
    }
}

void bwi_hist_median(uint32_t hist[3][256], uint32_t count, int channels, int median[3])
{
    median[0] = median[1] = median[2] = 0;
    for (int c = 0; c < channels; c++) {
        uint32_t seen = 0;
        while (median[c] < 255 && (seen += hist[c][median[c]]) * 2 < count)
            median[c]++;
    }
}

uint32_t bwi_count_near(const uint8_t *first, ptrdiff_t step, uint32_t count, int channels,
                        const int colour[3], int tolerance)
{
    uint32_t near = 0;
    const uint8_t *p = first;
    if (channels == 3) {
        /* Unsigned differences: a level below colour - tolerance wraps to a
         * large number, so one compare per channel tests both sides. */
        const unsigned span = 2u * (unsigned)tolerance;
        const unsigned lo0 = (unsigned)(colour[0] - tolerance);
        const unsigned lo1 = (unsigned)(colour[1] - tolerance);
        const unsigned lo2 = (unsigned)(colour[2] - tolerance);
        for (uint32_t k = 0; k < count; k++, p += step)
            near += ((unsigned)p[0] - lo0 <= span) & ((unsigned)p[1] - lo1 <= span) &
                    ((unsigned)p[2] - lo2 <= span);
        return near;
    }
    for (uint32_t k = 0; k < count; k++, p += step) {
        bool ok = true;
        for (int c = 0; c < channels && ok; c++)
            ok = abs((int)p[c] - colour[c]) <= tolerance;
        near += ok;
    }
    return near;
}

/* Pixels of channel c within tolerance of level m, from its histogram. */
static uint32_t near_in_channel(const uint32_t hist[256], int m, int tolerance)
{
    uint32_t n = 0;
    for (int v = m - tolerance < 0 ? 0 : m - tolerance; v <= m + tolerance && v < 256; v++)
        n += hist[v];
    return n;
}

bool bwi_line_is_flat(const uint8_t *first, ptrdiff_t step, uint32_t count, int channels,
                      int tolerance, int share, uint32_t hist[3][256], int median_out[3])
{
    memset(hist, 0, 3 * 256 * sizeof **hist);
    bwi_hist_add(hist, first, step, count, channels);
    int median[3];
    bwi_hist_median(hist, count, channels, median);
    if (median_out)
        memcpy(median_out, median, sizeof median);
    const uint64_t needed = (uint64_t)count * (uint64_t)share;
    /* The histograms bound the count of pixels near in every channel: no
     * more than the fewest near in any one channel, no fewer than all less
     * those far in some channel, summed over the channels. Most lines are
     * decided there (for grey ones the bounds meet), without the second
     * pass over their pixels. */
    uint32_t fewest = count;
    uint64_t far = 0;
    for (int c = 0; c < channels; c++) {
        const uint32_t in = near_in_channel(hist[c], median[c], tolerance);
        fewest = in < fewest ? in : fewest;
        far += count - in;
    }
    if ((uint64_t)fewest * 100 < needed)
        return false;
    if (far <= count && (count - far) * 100 >= needed)
        return true;
    const uint32_t near = bwi_count_near(first, step, count, channels, median, tolerance);
    return (uint64_t)near * 100 >= needed;
}

/* Pixel k of a line: a row (step = channels) or a column (step = stride). */
static bool line_is_flat(lines *l, const uint8_t *first, size_t step, uint32_t count)
{
    int median[3];
    if (!bwi_line_is_flat(first, (ptrdiff_t)step, count, l->channels, FLAT_TOLERANCE, l->share,
                          l->hist, median))
        return false;
    if (!l->bars)
        return true;
    for (int c = 0; c < l->channels; c++)
        if (abs(median[c] - l->margin[c]) > MARGIN_TOLERANCE)
            return true;
    return false; /* the margin's colour: the bars end here */
}

static const uint8_t *at(const lines *l, uint32_t x, uint32_t y)
{
    return l->pixels + (size_t)y * l->stride + (size_t)x * (size_t)l->channels;
}

/* Strips flat rows from the top and bottom of the box, then flat columns
 * from its left and right; true when anything was stripped. */
static bool strip_once(lines *l, uint32_t *x0, uint32_t *y0, uint32_t *x1, uint32_t *y1)
{
    const size_t px = (size_t)l->channels;
    bool changed = false;
    while (*y1 - *y0 > 1 && line_is_flat(l, at(l, *x0, *y0), px, *x1 - *x0)) {
        (*y0)++;
        changed = true;
    }
    while (*y1 - *y0 > 1 && line_is_flat(l, at(l, *x0, *y1 - 1), px, *x1 - *x0)) {
        (*y1)--;
        changed = true;
    }
    while (*x1 - *x0 > 1 && line_is_flat(l, at(l, *x0, *y0), l->stride, *y1 - *y0)) {
        (*x0)++;
        changed = true;
    }
    while (*x1 - *x0 > 1 && line_is_flat(l, at(l, *x1 - 1, *y0), l->stride, *y1 - *y0)) {
        (*x1)--;
        changed = true;
    }
    return changed;
}

static bool big_enough(uint32_t kept, uint32_t whole)
{
    return kept >= MIN_KEEP_PIXELS && kept * (uint64_t)MIN_KEEP_DIVISOR >= whole;
}

BW_API bw_status bw_image_find_content(bw_ctx *ctx, bw_box *box_out, const bw_image *image,
                                       unsigned flags)
{
    if (!ctx || !box_out || !image ||
        (flags & ~(unsigned)(BW_CONTENT_LOOSE | BW_CONTENT_PICTURE | BW_CONTENT_FRAMED)))
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    const uint32_t w = bw_image_width(image), h = bw_image_height(image);
    *box_out = (bw_box){0, 0, w, h};
    if (w == 0 || h == 0)
        return BW_OK;
    if (flags & BW_CONTENT_PICTURE) {
        bw_pixel_format format;
        size_t stride;
        const uint8_t *pixels = bw_image_pixels(image, &format, &stride);
        bw_box box;
        bool found;
        if (!bwi_find_picture(pixels, stride, format == BW_PIXEL_GREY8 ? 1 : 3, w, h, &box,
                              &found))
            return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
        if (found)
            *box_out = box;
        return BW_OK;
    }
    lines *l = malloc(sizeof *l);
    if (!l)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    bw_pixel_format format;
    l->pixels = bw_image_pixels(image, &format, &l->stride);
    l->channels = format == BW_PIXEL_GREY8 ? 1 : 3;
    uint32_t x0 = 0, y0 = 0, x1 = w, y1 = h;
    l->bars = false;
    if (flags & BW_CONTENT_FRAMED) {
        /* The bars of a frame first (a header with a name, an input
         * line): loosely flat lines of another colour than the margin the
         * picture sits in, the colour of most of the image's outer
         * columns. The strict passes below then strip the margin together
         * with a flat margin of the picture's own, as they do for the
         * picture alone, where the loose rule would go on into it. */
        memset(l->hist, 0, sizeof l->hist);
        bwi_hist_add(l->hist, at(l, 0, 0), (ptrdiff_t)l->stride, h, l->channels);
        bwi_hist_add(l->hist, at(l, w - 1, 0), (ptrdiff_t)l->stride, h, l->channels);
        bwi_hist_median(l->hist, 2 * h, l->channels, l->margin);
        l->share = LOOSE_SHARE;
        l->bars = true;
        for (int pass = 0; pass < 8 && strip_once(l, &x0, &y0, &x1, &y1); pass++)
            ;
        l->bars = false;
        flags &= ~(unsigned)BW_CONTENT_LOOSE;
    }
    /* Stripping columns can make more rows flat (a border's sides hid the
     * ends of a flat row of the picture), so go round until nothing
     * changes: the result is then the same as for the unframed image. */
    l->share = STRICT_SHARE;
    for (int pass = 0; pass < 8 && strip_once(l, &x0, &y0, &x1, &y1); pass++)
        ;
    l->share = LOOSE_SHARE;
    for (int pass = 0; (flags & BW_CONTENT_LOOSE) && pass < 8 && strip_once(l, &x0, &y0, &x1, &y1);
         pass++)
        ;
    free(l);
    if (big_enough(x1 - x0, w) && big_enough(y1 - y0, h))
        *box_out = (bw_box){x0, y0, x1 - x0, y1 - y0};
    return BW_OK;
}

BW_API bw_status bw_image_crop(bw_ctx *ctx, bw_image **image_out, const bw_image *image,
                               bw_box box)
{
    if (!ctx || !image_out || !image)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    *image_out = NULL;
    const uint32_t w = bw_image_width(image), h = bw_image_height(image);
    if (box.width == 0 || box.height == 0 || box.x >= w || box.y >= h ||
        box.width > w - box.x || box.height > h - box.y)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "box %ux%u at (%u,%u) is empty or outside the %ux%u image", box.width,
                        box.height, box.x, box.y, w, h);
    bw_pixel_format format;
    size_t stride;
    const uint8_t *pixels = bw_image_pixels(image, &format, &stride);
    const size_t bpp = format == BW_PIXEL_GREY8 ? 1 : 3;
    return bw_image_from_pixels(ctx, image_out,
                                pixels + (size_t)box.y * stride + (size_t)box.x * bpp, stride,
                                box.width, box.height, format);
}

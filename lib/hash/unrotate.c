/*
 * Undoing a small rotation. Editors that rotate by a few degrees usually
 * grow the canvas to hold the whole picture and fill the four new corners
 * with one colour; the corners are then triangles whose edges give the
 * angle, and the canvas size gives the original's size, so the original
 * can be resampled back almost exactly. PDQ cannot absorb even 2 degrees
 * (docs/quality.md), so this is the only way such copies match.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_robust.h"
#include "common/bw_internal.h"
#include "turn.h"

#define FILL_TOLERANCE 20
#define MIN_DEGREES 0.3
#define MAX_DEGREES 20.0

typedef struct view {
    const uint8_t *pixels;
    size_t stride;
    int channels;
    uint32_t w, h;
    uint8_t fill[3];
} view;

static const uint8_t *pixel(const view *v, uint32_t x, uint32_t y)
{
    return v->pixels + (size_t)y * v->stride + (size_t)x * (size_t)v->channels;
}

static bool is_fill(const view *v, const uint8_t *p)
{
    for (int c = 0; c < v->channels; c++)
        if (abs((int)p[c] - (int)v->fill[c]) > FILL_TOLERANCE)
            return false;
    return true;
}

enum edge { TOP, BOTTOM, LEFT, RIGHT };

/* Fill pixels from the canvas edge inwards along column (top, bottom) or
 * row (left, right) i, at most limit. */
static uint32_t fill_run(const view *v, enum edge e, uint32_t i, uint32_t limit)
{
    uint32_t n = 0;
    for (; n < limit; n++) {
        const uint32_t x = e == TOP || e == BOTTOM ? i : e == LEFT ? n : v->w - 1 - n;
        const uint32_t y = e == LEFT || e == RIGHT ? i : e == TOP ? n : v->h - 1 - n;
        if (!is_fill(v, pixel(v, x, y)))
            break;
    }
    return n;
}

/*
 * One corner triangle pair along an edge. The fill's depth falls to 0
 * where the rotated picture's corner touches the edge and rises from there
 * on both sides, slowly (by the tangent of the angle) on the long side.
 * Fits a line through the long side by least squares. Returns the
 * tangent, or 0 when the depths do not lie on one line; *first_half says
 * whether the contact point is in the first half of the edge.
 */
static double edge_slope(const view *v, enum edge e, uint32_t *depth, bool *first_half)
{
    const bool across = e == TOP || e == BOTTOM;
    const uint32_t len = across ? v->w : v->h, limit = (across ? v->h : v->w) / 2;
    uint32_t contact = 0;
    for (uint32_t i = 0; i < len; i++) {
        depth[i] = fill_run(v, e, i, limit);
        if (depth[i] < depth[contact])
            contact = i;
    }
    *first_half = contact < len / 2;
    /* The long side, less a tenth at each end, where the picture's corner
     * and the canvas corner blur the edge. */
    const uint32_t from = *first_half ? contact : 0, to = *first_half ? len : contact + 1;
    const uint32_t margin = (to - from) / 10;
    if (to - from < 32)
        return 0;
    /* Picture pixels as dark (or light) as the fill make the depth too
     * large, never too small: fit, drop the points far from the line, fit
     * again, and demand that most points lie on it. */
    double slope = 0, icept = 0;
    uint32_t total = 0;
    for (int round = 0; round < 4; round++) {
        double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
        total = 0;
        for (uint32_t i = from + margin; i < to - margin; i++) {
            total++;
            if (round > 0 && fabs(depth[i] - (slope * i + icept)) > 2.0)
                continue;
            sx += i;
            sy += depth[i];
            sxx += (double)i * i;
            sxy += (double)i * depth[i];
            n++;
        }
        const double det = n * sxx - sx * sx;
        if (n < 16 || det <= 0)
            return 0;
        slope = (n * sxy - sx * sy) / det;
        icept = (sy - slope * sx) / n;
    }
    uint32_t on_line = 0;
    for (uint32_t i = from + margin; i < to - margin; i++)
        on_line += fabs(depth[i] - (slope * i + icept)) <= 2.0;
    if ((uint64_t)on_line * 10 < (uint64_t)total * 6)
        return 0;
    /* The depth must grow away from the contact point. */
    const double tangent = *first_half ? slope : -slope;
    return tangent > 0 ? tangent : 0;
}

/* The size of a picture that, turned by `degrees`, just fills a cw x ch
 * canvas: the canvas is w cos + h sin by w sin + h cos, solved for w, h. */
static void picture_size(double cw, double ch, double degrees, double *w, double *h)
{
    const double a = degrees * M_PI / 180, c = cos(a), s = fabs(sin(a));
    const double det = c * c - s * s;
    *w = (cw * c - ch * s) / det;
    *h = (ch * c - cw * s) / det;
}

/*
 * The fallback for dark pictures on a dark fill (or light on light), where
 * picture pixels as dark as the fill spoil every edge's depth line: test
 * angles instead of measuring one. An angle fixes where the picture lies
 * (the canvas size gives its size, as in bw_image_unrotate), so along each
 * of its four sides a pixel just outside must be fill, and a pixel just
 * inside is evidence when it is not. An angle is taken when nothing
 * contradicts it and the evidence makes unbroken stretches on at least two
 * sides.
 */
#define PROBE_SAMPLES 96 /* per side */
/* Below this, the corners are slivers that a dark band along an upright
 * photo's edges fits as well (8 of 316 corpus photos did, at 0.5-1.5). */
#define SEARCH_MIN_DEGREES 1.8
/* A picture's side shows as stretches of picture beside the fill; a
 * diagram's strokes that happen to end near a wrong line, as dots. */
#define RUN_SAMPLES 8

typedef struct fit {
    int evidence, against, valid, runs;
    int spread; /* sides whose evidence lies at depths 4 or more pixels apart */
} fit;

static bool canvas_pixel_is_fill(const view *v, double x, double y, bool *inside)
{
    *inside = x >= 0 && y >= 0 && x < v->w && y < v->h;
    return *inside && is_fill(v, pixel(v, (uint32_t)x, (uint32_t)y));
}

static fit try_angle(const view *v, double degrees, double offset)
{
    fit f = {0};
    const double a = degrees * M_PI / 180, c = cos(a), sn = sin(a);
    const double cw = v->w, ch = v->h;
    double w, h;
    picture_size(cw, ch, degrees, &w, &h);
    if (!(w >= 8 && h >= 8)) {
        f.against = 1;
        return f;
    }
    /* The picture's corners on the canvas, in order around it. */
    double px[4], py[4];
    static const int sx[4] = {-1, 1, 1, -1}, sy[4] = {-1, -1, 1, 1};
    for (int k = 0; k < 4; k++) {
        const double dx = sx[k] * w / 2, dy = sy[k] * h / 2;
        px[k] = c * dx + sn * dy + cw / 2;
        py[k] = -sn * dx + c * dy + ch / 2;
    }
    for (int k = 0; k < 4; k++) {
        const int j = (k + 1) % 4;
        double nx = py[j] - py[k], ny = px[k] - px[j];
        const double len = sqrt(nx * nx + ny * ny);
        nx /= len;
        ny /= len;
        /* Outward: away from the canvas centre. */
        if (nx * ((px[k] + px[j]) / 2 - cw / 2) + ny * ((py[k] + py[j]) / 2 - ch / 2) < 0) {
            nx = -nx;
            ny = -ny;
        }
        int seen = 0, run = 0, longest = 0;
        double shallow = 1e9, deep = 0;
        for (int i = 0; i < PROBE_SAMPLES; i++) {
            const double t = 0.1 + 0.8 * i / (PROBE_SAMPLES - 1);
            const double x = px[k] + t * (px[j] - px[k]), y = py[k] + t * (py[j] - py[k]);
            bool in;
            const bool out_fill = canvas_pixel_is_fill(v, x + offset * nx, y + offset * ny, &in);
            if (!in)
                continue;
            f.valid++;
            if (!out_fill) {
                f.against++;
                run = 0;
            } else if (!canvas_pixel_is_fill(v, x - offset * nx, y - offset * ny, &in) && in) {
                seen++;
                run++;
                longest = run > longest ? run : longest;
                /* How far in from the canvas edge the side runs here. */
                const double depth = fmin(fmin(x, cw - x), fmin(y, ch - y));
                shallow = fmin(shallow, depth);
                deep = fmax(deep, depth);
            } else {
                run = 0;
            }
        }
        f.evidence += seen;
        f.runs += longest >= RUN_SAMPLES;
        f.spread += seen && deep - shallow >= 4;
    }
    return f;
}

static bool fit_holds(fit f)
{
    return f.against == 0 && f.runs >= 2 && f.evidence >= 16 && f.evidence * 10 >= f.valid;
}

/* Every angle in steps of 0.1 degree, then the best one to 0.01 degree
 * (an error of 0.05 degree moves a 512-pixel side's ends by 0.2 pixel). */
static double search_angle(const view *v)
{
    double best = 0;
    int best_evidence = 0;
    for (int sign = -1; sign <= 1; sign += 2)
        for (double d = SEARCH_MIN_DEGREES; d <= MAX_DEGREES; d += 0.1) {
            const fit f = try_angle(v, sign * d, 3.0);
            if (fit_holds(f) && f.evidence > best_evidence) {
                best = sign * d;
                best_evidence = f.evidence;
            }
        }
    if (best == 0)
        return 0;
    /* Closer to the side, the evidence peaks at the right angle: where the
     * picture is dark, a wrong line still finds fill outside it, but where
     * it is bright the pixel just inside is picture only near the true side.
     * Keep the middle of the angles with the most evidence. Nothing is
     * taken unless the evidence also lies at depths at least 4 pixels apart
     * on two sides: an upright picture on a margin of the fill's colour
     * fits the angles whose corners stay within the margin, but only where
     * a side crosses the margin's inner edge, within 3 pixels of depth at
     * this distance from the side. (18 of the 816 Debian JPEGs the
     * benchmarks use fitted some angle at 3 pixels; none does here.) */
    double lo = 0, hi = 0;
    int most = 0;
    for (double d = best - 0.6; d <= best + 0.6; d += 0.01) {
        const fit f = try_angle(v, d, 1.5);
        if (!fit_holds(f) || f.spread < 2 || f.evidence < most)
            continue;
        if (f.evidence > most)
            lo = d;
        most = f.evidence;
        hi = d;
    }
    return most ? (lo + hi) / 2 : 0;
}

BW_API bw_status bw_image_find_rotation(bw_ctx *ctx, double *degrees_out, const bw_image *image)
{
    if (!ctx || !degrees_out || !image)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    *degrees_out = 0;
    view v = {.w = bw_image_width(image), .h = bw_image_height(image)};
    bw_pixel_format format;
    v.pixels = bw_image_pixels(image, &format, &v.stride);
    v.channels = format == BW_PIXEL_GREY8 ? 1 : 3;
    if (v.w < 64 || v.h < 64)
        return BW_OK;
    memcpy(v.fill, pixel(&v, 0, 0), (size_t)v.channels);
    /* All four corners of the canvas are fill. */
    if (!is_fill(&v, pixel(&v, v.w - 1, 0)) || !is_fill(&v, pixel(&v, 0, v.h - 1)) ||
        !is_fill(&v, pixel(&v, v.w - 1, v.h - 1)))
        return BW_OK;
    uint32_t *depth = malloc((v.w > v.h ? v.w : v.h) * sizeof *depth);
    if (!depth)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    /* Each edge votes for a direction: turned one way, the picture touches
     * the top edge in its first half, the right edge in its first half,
     * the bottom and left edges in their second halves. Picture pixels as
     * dark (or light) as the fill spoil an edge's line, so two edges that
     * agree are enough. */
    int votes = 0, sign = 0;
    double sum = 0, lo = 1e9, hi = 0;
    for (int e = TOP; e <= RIGHT; e++) {
        bool first;
        const double t = edge_slope(&v, (enum edge)e, depth, &first);
        if (t == 0)
            continue;
        const int dir = (e == TOP || e == RIGHT) == first ? 1 : -1;
        if (sign && dir != sign) {
            votes = 0;
            break;
        }
        sign = dir;
        votes++;
        sum += t;
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
    }
    free(depth);
    double degrees;
    if (votes < 2 || hi - lo > 0.15 * hi + 0.005)
        degrees = search_angle(&v);
    else
        degrees = -sign * atan(sum / votes) * 180 / M_PI;
    if (fabs(degrees) >= MIN_DEGREES && fabs(degrees) <= MAX_DEGREES)
        *degrees_out = degrees;
    return BW_OK;
}

/*
 * An ow x oh image of the span_w x span_h rectangle about the canvas's
 * centre, turned by `degrees`: each output pixel, turned about the centres,
 * lands on the canvas, and is interpolated bilinearly there.
 */
static bw_status turn_rectangle(bw_ctx *ctx, bw_image **image_out, const bw_image *image,
                                double degrees, double span_w, double span_h, uint32_t ow,
                                uint32_t oh)
{
    const double a = degrees * M_PI / 180, c = cos(a), sn = sin(a);
    const double cw = bw_image_width(image), ch = bw_image_height(image);
    const double step_x = span_w / ow, step_y = span_h / oh;
    bw_pixel_format format;
    size_t stride;
    const uint8_t *src = bw_image_pixels(image, &format, &stride);
    const int channels = format == BW_PIXEL_GREY8 ? 1 : 3;
    uint8_t *out = malloc((size_t)ow * oh * (size_t)channels);
    if (!out)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    for (uint32_t y = 0; y < oh; y++)
        for (uint32_t x = 0; x < ow; x++) {
            const double dx = (x + 0.5) * step_x - span_w / 2;
            const double dy = (y + 0.5) * step_y - span_h / 2;
            double fx = c * dx + sn * dy + cw / 2 - 0.5, fy = -sn * dx + c * dy + ch / 2 - 0.5;
            fx = fx < 0 ? 0 : fx > cw - 1 ? cw - 1 : fx;
            fy = fy < 0 ? 0 : fy > ch - 1 ? ch - 1 : fy;
            const uint32_t x0 = (uint32_t)fx, y0 = (uint32_t)fy;
            const uint32_t x1 = x0 + 1 < (uint32_t)cw ? x0 + 1 : x0;
            const uint32_t y1 = y0 + 1 < (uint32_t)ch ? y0 + 1 : y0;
            const double ax = fx - x0, ay = fy - y0;
            for (int k = 0; k < channels; k++) {
                const double top = src[y0 * stride + x0 * channels + k] * (1 - ax) +
                                   src[y0 * stride + x1 * channels + k] * ax;
                const double bot = src[y1 * stride + x0 * channels + k] * (1 - ax) +
                                   src[y1 * stride + x1 * channels + k] * ax;
                out[((size_t)y * ow + x) * channels + k] =
                    (uint8_t)lround(top * (1 - ay) + bot * ay);
            }
        }
    bw_status st = bw_image_from_pixels(ctx, image_out, out, (size_t)ow * channels, ow, oh,
                                        channels == 1 ? BW_PIXEL_GREY8 : BW_PIXEL_RGB8);
    free(out);
    return st;
}

BW_API bw_status bw_image_unrotate(bw_ctx *ctx, bw_image **image_out, const bw_image *image,
                                   double degrees)
{
    if (!ctx || !image_out || !image || !(fabs(degrees) <= MAX_DEGREES))
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    *image_out = NULL;
    const double cw = bw_image_width(image), ch = bw_image_height(image);
    double w, h;
    picture_size(cw, ch, degrees, &w, &h);
    if (!(w >= 8 && h >= 8 && w <= cw && h <= ch))
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT,
                        "a %gx%g canvas cannot hold a picture rotated by %g degrees", cw, ch,
                        degrees);
    const uint32_t ow = (uint32_t)lround(w), oh = (uint32_t)lround(h);
    return turn_rectangle(ctx, image_out, image, degrees, ow, oh, ow, oh);
}

bw_status bwi_image_untilt(bw_ctx *ctx, bw_image **image_out, const bw_image *image,
                           double degrees, uint32_t max_side)
{
    *image_out = NULL;
    const double a = degrees * M_PI / 180, c = cos(a), sn = fabs(sin(a));
    const double cw = bw_image_width(image), ch = bw_image_height(image);
    /* The largest rectangle of the canvas's shape inside the turned
     * canvas, less a pixel at each side, where interpolation meets the
     * canvas's edge. */
    const double fit_w = cw / (cw * c + ch * sn), fit_h = ch / (ch * c + cw * sn);
    const double inside = fit_w < fit_h ? fit_w : fit_h;
    const double span_w = cw * inside - 2, span_h = ch * inside - 2;
    if (!(span_w >= 16 && span_h >= 16))
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "a %gx%g image is too small to untilt",
                        cw, ch);
    const double longer = span_w > span_h ? span_w : span_h;
    const double scale = longer > max_side ? max_side / longer : 1;
    const uint32_t ow = (uint32_t)lround(span_w * scale), oh = (uint32_t)lround(span_h * scale);
    return turn_rectangle(ctx, image_out, image, degrees, span_w, span_h, ow ? ow : 1,
                          oh ? oh : 1);
}

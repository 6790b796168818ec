/*
 * The picture inside a window frame. A screenshot of a photo viewer, a
 * chat or a web page puts the picture among bars, buttons and text that
 * are not flat enough for border stripping (border.c), while the picture
 * itself is a rectangle whose sides are sharp steps against the frame
 * along most of their length. So: count, for every column boundary and
 * every row boundary, the pixels across which the colour jumps; take the
 * strongest boundaries (and the image's edges) as candidate sides; score
 * each rectangle they make by how much of its sides inside the image are
 * steps; and keep the best one whose surroundings look like a frame, not
 * like more of a photo.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

/* A step is a jump of at least this many levels in some channel between
 * neighbours: well above JPEG noise, below most picture-to-frame edges. */
#define STEP_LEVELS 24
#define WIDE_STEP_LEVELS 36
/* Candidate sides per direction: the strongest boundaries, each a local
 * maximum of its profile. */
#define CANDIDATES 10
/* A side must step along this share (in percent) of its length (a picture
 * may fade into the frame's colour along part of a side), and its sides
 * together along ACCEPT_MEAN. */
#define ACCEPT_SIDE 40
#define ACCEPT_MEAN 70
/* A picture takes at least a third of the frame's width and height. */
#define MIN_SHARE_DIVISOR 3
/* Rectangles checked for a frame around them, best first. */
#define KEEP 8
/* Frame pixels are flat within JPEG noise, most of a frame is flat, and
 * the frame is flatter than the picture by at least FLATTER_BY points. */
#define FLAT_LEVELS 3
#define FRAME_FLAT_SHARE 50
#define FLATTER_BY 1
#define RING_LEVELS 24
#define RING_SHARE 75
#define RING_DISTANCE 4
#define MIN_SIDE_PIXELS 32
/* Boundaries this far from a side are on the frame or in the picture,
 * past the three a blurred edge spreads over. */
#define NEIGHBOUR_GAP 3
#define NEGLIGIBLE_DIVISOR 50
/* Tightening takes at most this fraction of a box's width and of its
 * height. A line of frame inside a box matches the frame beside it within
 * JPEG's noise on a flat colour; white cloud against a light grey margin
 * differs by more, while stepping by less than STEP_LEVELS. */
#define TIGHTEN_DIVISOR 4
#define TIGHT_LEVELS 8
/* Large images are scanned at about this many samples on their longer
 * side. */
#define SCAN_SIDE 1200

/* Inlined with a constant channel count in the pass over every sample
 * (count_steps), where a loop over channels took twice as long. */
#define FRAME_INLINE inline __attribute__((always_inline))

static FRAME_INLINE int jump(const uint8_t *a, const uint8_t *b, int channels)
{
    if (channels == 3) { /* spelled out: compilers keep the loop below */
        const int d0 = abs((int)a[0] - (int)b[0]), d1 = abs((int)a[1] - (int)b[1]);
        const int d2 = abs((int)a[2] - (int)b[2]);
        const int d01 = d0 > d1 ? d0 : d1;
        return d01 > d2 ? d01 : d2;
    }
    int most = 0;
    for (int c = 0; c < channels; c++) {
        const int d = abs((int)a[c] - (int)b[c]);
        most = d > most ? d : most;
    }
    return most;
}

/* The positions of the `most` largest local maxima of profile[1..n-1]
 * that reach `floor`, in ascending position order; returns their count. */
static int strongest(const uint32_t *profile, uint32_t n, uint32_t floor, uint32_t *out,
                     int most)
{
    int count = 0;
    for (uint32_t i = 1; i < n; i++) {
        const uint32_t v = profile[i];
        if (v < floor || (i > 1 && profile[i - 1] > v) || (i + 1 < n && profile[i + 1] >= v))
            continue;
        /* Insertion into a list kept sorted by strength, strongest first. */
        int k = count < most ? count++ : most;
        if (k == most && profile[out[most - 1]] >= v)
            continue;
        if (k == most)
            k = most - 1;
        while (k > 0 && profile[out[k - 1]] < v) {
            out[k] = out[k - 1];
            k--;
        }
        out[k] = i;
    }
    for (int a = 1; a < count; a++)
        for (int b = a; b > 0 && out[b - 1] > out[b]; b--) {
            const uint32_t t = out[b];
            out[b] = out[b - 1];
            out[b - 1] = t;
        }
    return count;
}

/* How much each boundary stands out: its count of steps less the smaller
 * count a few boundaries away on either side. A picture's side has the
 * frame's quiet on one side, while a busy texture inside the picture
 * (foliage, gravel, noise) steps at every boundary and stands out at none. */
static void stand_out(const uint32_t *profile, uint32_t n, uint32_t *out)
{
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t before = i > NEIGHBOUR_GAP ? profile[i - NEIGHBOUR_GAP] : 0;
        const uint32_t after = i + NEIGHBOUR_GAP < n ? profile[i + NEIGHBOUR_GAP] : 0;
        const uint32_t quiet = before < after ? before : after;
        out[i] = profile[i] > quiet ? profile[i] - quiet : 0;
    }
}

/* The image as scanned: every `step`-th pixel of every `step`-th row, so
 * that a large photo costs about as much as a megapixel (a box found to a
 * few pixels in thousands is as good for PDQ). w and h are in samples. */
typedef struct frame_scan {
    const uint8_t *pixels;
    size_t stride;
    int channels;
    uint32_t step;
    uint32_t w, h;
} frame_scan;

static const uint8_t *pix(const frame_scan *f, uint32_t x, uint32_t y)
{
    return f->pixels + (size_t)y * f->step * f->stride +
           (size_t)x * f->step * (size_t)f->channels;
}

/* Whether the colour steps between column x - 1 and x at row y (and, for
 * row_step, between row y - 1 and y at column x): 2 for a step between the
 * two pixels, 1 for one spread over the four around them, as JPEG at low
 * quality spreads a sharp edge. A spread step also shows at the
 * neighbouring boundaries; counting it for less keeps the side where the
 * colour jumps most. */
static FRAME_INLINE int step_at(const uint8_t *p, ptrdiff_t d, bool wide, int channels)
{
    if (jump(p, p - d, channels) >= STEP_LEVELS)
        return 2;
    return wide && jump(p + d, p - 2 * d, channels) >= WIDE_STEP_LEVELS;
}

/* The pass over every sample, walked with pointers: most of the time the
 * picture box costs is here. */
static FRAME_INLINE void count_steps(const frame_scan *f, uint32_t *cols, uint32_t *rows,
                                     int channels)
{
    const ptrdiff_t dx = (ptrdiff_t)f->step * channels, dy = (ptrdiff_t)(f->step * f->stride);
    for (uint32_t y = 0; y < f->h; y++) {
        const uint8_t *p = pix(f, 0, y);
        const bool wide_y = y >= 2 && y + 1 < f->h;
        for (uint32_t x = 0; x < f->w; x++, p += dx) {
            if (x)
                cols[x] += (uint32_t)step_at(p, dx, x >= 2 && x + 1 < f->w, channels);
            if (y)
                rows[y] += (uint32_t)step_at(p, dy, wide_y, channels);
        }
    }
}

static int column_step(const frame_scan *f, uint32_t x, uint32_t y)
{
    return step_at(pix(f, x, y), (ptrdiff_t)f->step * f->channels, x >= 2 && x + 1 < f->w,
                   f->channels);
}

static int row_step(const frame_scan *f, uint32_t x, uint32_t y)
{
    return step_at(pix(f, x, y), (ptrdiff_t)(f->step * f->stride), y >= 2 && y + 1 < f->h,
                   f->channels);
}

/* Running counts of steps along candidate column boundary x (over rows)
 * or row boundary y (over columns): prefix[i] counts steps before i. The
 * image's own edges step all along. */
static void column_prefix(const frame_scan *f, uint32_t x, uint32_t *prefix)
{
    prefix[0] = 0;
    for (uint32_t y = 0; y < f->h; y++)
        prefix[y + 1] = prefix[y] + (x == 0 || x == f->w || column_step(f, x, y) > 0);
}

static void row_prefix(const frame_scan *f, uint32_t y, uint32_t *prefix)
{
    prefix[0] = 0;
    for (uint32_t x = 0; x < f->w; x++)
        prefix[x + 1] = prefix[x] + (y == 0 || y == f->h || row_step(f, x, y) > 0);
}

/* Adds the image's own edges to the candidate sides (a picture may touch
 * the edge of a screenshot), keeping positions ascending. */
static int with_edges(uint32_t *pos, int count, uint32_t end)
{
    memmove(pos + 1, pos, (size_t)count * sizeof *pos);
    pos[0] = 0;
    pos[count + 1] = end;
    return count + 2;
}

/* A rectangle whose sides step: per mille of their length, summed, then
 * its area. */
typedef struct rect {
    bw_box box;
    int inner; /* sides inside the image, 2 to 4 */
    uint64_t score;
    uint64_t area;
    int sides[4]; /* indices of its left, right, top, bottom among the candidates */
} rect;

/* Keeps the KEEP best rectangles, best first: by the number of sides that
 * are steps rather than the image's edges (a band across the whole
 * screenshot is bounded by bars as often as by a picture), then by score,
 * and among scores a few per mille apart, by area (the picture rather than
 * a part of it). */
static bool better(const rect *a, const rect *b)
{
    if (a->inner != b->inner)
        return a->inner > b->inner;
    if (a->score > b->score + 8 || a->score + 8 < b->score)
        return a->score > b->score;
    return a->area > b->area;
}

static void keep(rect *best, int *kept, rect r)
{
    int k = *kept < KEEP ? (*kept)++ : KEEP;
    if (k == KEEP && !better(&r, &best[KEEP - 1]))
        return;
    if (k == KEEP)
        k = KEEP - 1;
    while (k > 0 && better(&r, &best[k - 1])) {
        best[k] = best[k - 1];
        k--;
    }
    best[k] = r;
}

/* Bytes from one sample to the next down a column, or across a row. */
static ptrdiff_t line_step(const frame_scan *f, bool down)
{
    return down ? (ptrdiff_t)(f->step * f->stride) : (ptrdiff_t)f->step * f->channels;
}

/* Whether the line of samples from (x, y), across or down, is one colour. */
static bool line_flat(const frame_scan *f, uint32_t x, uint32_t y, uint32_t count, bool down)
{
    uint32_t hist[3][256];
    return bwi_line_is_flat(pix(f, x, y), line_step(f, down), count, f->channels, RING_LEVELS,
                            RING_SHARE, hist, NULL);
}

/* Whether what surrounds the box is a frame. Just outside each side inside
 * the image lies one colour (a margin, a bar, a page), looked at a few
 * pixels out, past the ringing JPEG leaves along a sharp edge; and the
 * frame as a whole is mostly flat: text and buttons take a minority of it,
 * and it is flatter than the picture. A rectangle found inside a photo (a
 * window, a sign, a patch of wall) has more photo around it. A pixel is
 * flat when it is within FLAT_LEVELS of its left and upper neighbours. */
static bool frame_like(const frame_scan *f, bw_box b)
{
    const uint32_t x1 = b.x + b.width, y1 = b.y + b.height;
    const uint32_t d = RING_DISTANCE;
    if ((b.x > 0 && !line_flat(f, b.x >= d ? b.x - d : 0, b.y, b.height, true)) ||
        (x1 < f->w && !line_flat(f, x1 + d - 1 < f->w ? x1 + d - 1 : f->w - 1, b.y, b.height,
                                 true)) ||
        (b.y > 0 && !line_flat(f, b.x, b.y >= d ? b.y - d : 0, b.width, false)) ||
        (y1 < f->h && !line_flat(f, b.x, y1 + d - 1 < f->h ? y1 + d - 1 : f->h - 1, b.width,
                                 false)))
        return false;
    /* Flat pixels outside the box and inside it (its own first row and
     * column left out: they compare with the frame). */
    uint64_t flat[2] = {0, 0}, all[2] = {0, 0};
    for (uint32_t y = 1; y < f->h; y++)
        for (uint32_t x = 1; x < f->w; x++) {
            const int in = x > b.x && x < x1 && y > b.y && y < y1;
            if (!in && x >= b.x && x < x1 && y >= b.y && y < y1)
                continue;
            const uint8_t *p = pix(f, x, y);
            flat[in] += jump(p, pix(f, x - 1, y), f->channels) <= FLAT_LEVELS &&
                        jump(p, pix(f, x, y - 1), f->channels) <= FLAT_LEVELS;
            all[in]++;
        }
    if (!all[0] || !all[1])
        return false;
    /* Shares in percent; the frame must be flatter than what it holds,
     * which keeps a plain wall panel between a pole and a whiteboard, or a
     * flat panel of an application, from passing for a picture. */
    const uint64_t outside = flat[0] * 100 / all[0], inside = flat[1] * 100 / all[1];
    return outside >= FRAME_FLAT_SHARE && outside >= inside + FLATTER_BY;
}

/* Whether row (or column) `at` is still frame between lo and hi: RING_SHARE
 * of its samples there lie within TIGHT_LEVELS of the median colour of its
 * samples outside, beside the box. */
static bool frame_line(const frame_scan *f, bool column, uint32_t at, uint32_t lo, uint32_t hi)
{
    const uint32_t n = column ? f->h : f->w;
    const uint32_t outside = n - (hi - lo);
    if (outside < 4 || (uint64_t)outside * NEGLIGIBLE_DIVISOR < n)
        return false;
    const uint8_t *first = column ? pix(f, at, 0) : pix(f, 0, at);
    const ptrdiff_t step = line_step(f, column);
    uint32_t hist[3][256];
    memset(hist, 0, sizeof hist);
    bwi_hist_add(hist, first, step, lo, f->channels);
    if (hi < n) /* no pointer past the image's end */
        bwi_hist_add(hist, first + (ptrdiff_t)hi * step, step, n - hi, f->channels);
    int frame[3];
    bwi_hist_median(hist, outside, f->channels, frame);
    const uint32_t near = bwi_count_near(first + (ptrdiff_t)lo * step, step, hi - lo,
                                         f->channels, frame, TIGHT_LEVELS);
    return (uint64_t)near * 100 >= (uint64_t)(hi - lo) * RING_SHARE;
}

/* The box without the frame inside it. Its side may lie on a line that
 * steps all across the screenshot, a bar's edge, with the frame's margin
 * (and a toolbar) between it and a picture whose own side hardly steps
 * (white clouds against a light grey margin). Lines inside the box the
 * colour of the frame beside them are taken off; a picture's side that
 * steps along much of its length cannot be, since its first line differs
 * from the frame there. */
static bw_box tighten(const frame_scan *f, bw_box b)
{
    uint32_t x0 = b.x, y0 = b.y, x1 = b.x + b.width, y1 = b.y + b.height;
    uint32_t budget = b.height / TIGHTEN_DIVISOR;
    for (; budget && frame_line(f, false, y0, x0, x1); budget--)
        y0++;
    for (; budget && frame_line(f, false, y1 - 1, x0, x1); budget--)
        y1--;
    budget = b.width / TIGHTEN_DIVISOR;
    for (; budget && frame_line(f, true, x0, y0, y1); budget--)
        x0++;
    for (; budget && frame_line(f, true, x1 - 1, y0, y1); budget--)
        x1--;
    return (bw_box){x0, y0, x1 - x0, y1 - y0};
}

/* Whether candidate rectangle e extends r by one side moved out, the
 * other three shared, with e's two sides along the band added inside the
 * image and stepping along ACCEPT_SIDE of it. */
static bool extends(const frame_scan *f, const rect *r, const rect *e, const uint32_t *cprefix,
                    const uint32_t *rprefix)
{
    const bw_box a = r->box, b = e->box;
    const bool same_x = b.x == a.x && b.width == a.width;
    const bool same_y = b.y == a.y && b.height == a.height;
    if (same_x == same_y)
        return false;
    /* Along the axis where they differ (down when the columns are shared):
     * where each starts and ends, and the sides across it. */
    const uint32_t a0 = same_x ? a.y : a.x, a1 = a0 + (same_x ? a.height : a.width);
    const uint32_t b0 = same_x ? b.y : b.x, b1 = b0 + (same_x ? b.height : b.width);
    const uint32_t s0 = same_x ? a.x : a.y, s1 = s0 + (same_x ? a.width : a.height);
    if (s0 == 0 || s1 == (same_x ? f->w : f->h))
        return false;
    uint32_t lo, hi;
    if (b0 < a0 && b1 == a1)
        lo = b0, hi = a0;
    else if (b1 > a1 && b0 == a0)
        lo = a1, hi = b1;
    else
        return false;
    const uint32_t *p0 = same_x ? cprefix + (size_t)e->sides[0] * (f->h + 1)
                                : rprefix + (size_t)e->sides[2] * (f->w + 1);
    const uint32_t *p1 = same_x ? cprefix + (size_t)e->sides[1] * (f->h + 1)
                                : rprefix + (size_t)e->sides[3] * (f->w + 1);
    const uint64_t band = hi - lo;
    return (p0[hi] - p0[lo]) * 100 >= band * ACCEPT_SIDE &&
           (p1[hi] - p1[lo]) * 100 >= band * ACCEPT_SIDE;
}

/* The picture is best[k], or the largest kept rectangle that extends it
 * on one side and also looks framed. A line across the picture (a
 * horizon under a pale sky) can step more evenly than the picture's own
 * side where the sky fades into a light margin, making the part under the
 * line the best-stepped rectangle; the picture's sides going on along the
 * part above show it belongs. */
static const rect *widest(const frame_scan *f, const rect *best, int kept, int k,
                          const uint32_t *cprefix, const uint32_t *rprefix)
{
    const rect *pick = &best[k];
    for (int j = 0; j < kept; j++)
        if (best[j].area > pick->area && extends(f, &best[k], &best[j], cprefix, rprefix) &&
            frame_like(f, best[j].box))
            pick = &best[j];
    return pick;
}

bool bwi_find_picture(const uint8_t *pixels, size_t stride, int channels, uint32_t width,
                      uint32_t height, bw_box *box_out, bool *found)
{
    *found = false;
    const uint32_t longest = width > height ? width : height;
    const uint32_t step = longest > SCAN_SIDE ? (longest + SCAN_SIDE - 1) / SCAN_SIDE : 1;
    const uint32_t w = (width + step - 1) / step, h = (height + step - 1) / step;
    const uint32_t min_w = w / MIN_SHARE_DIVISOR, min_h = h / MIN_SHARE_DIVISOR;
    if (w < 3 || h < 3 || min_w * step < MIN_SIDE_PIXELS || min_h * step < MIN_SIDE_PIXELS)
        return true;
    const frame_scan f = {pixels, stride, channels, step, w, h};
    /* Step counts, then how much each boundary stands out. */
    uint32_t *cols = calloc(2 * (size_t)w, sizeof *cols);
    uint32_t *rows = calloc(2 * (size_t)h, sizeof *rows);
    uint32_t *cprefix = malloc((size_t)(CANDIDATES + 2) * (h + 1) * sizeof *cprefix);
    uint32_t *rprefix = malloc((size_t)(CANDIDATES + 2) * (w + 1) * sizeof *rprefix);
    if (!cols || !rows || !cprefix || !rprefix) {
        free(cols);
        free(rows);
        free(cprefix);
        free(rprefix);
        return false;
    }
    if (channels == 3)
        count_steps(&f, cols, rows, 3);
    else
        count_steps(&f, cols, rows, channels);
    uint32_t cx[CANDIDATES + 2], cy[CANDIDATES + 2];
    /* A side of a picture at least min_h tall steps along much of it
     * (profiles count a step between neighbours twice) and stands out. */
    stand_out(cols, w, cols + w);
    stand_out(rows, h, rows + h);
    const int ncx =
        with_edges(cx, strongest(cols + w, w, min_h * ACCEPT_SIDE / 50, cx, CANDIDATES), w);
    const int ncy =
        with_edges(cy, strongest(rows + h, h, min_w * ACCEPT_SIDE / 50, cy, CANDIDATES), h);
    for (int i = 0; i < ncx; i++)
        column_prefix(&f, cx[i], cprefix + (size_t)i * (h + 1));
    for (int i = 0; i < ncy; i++)
        row_prefix(&f, cy[i], rprefix + (size_t)i * (w + 1));
    rect best[KEEP];
    int kept = 0;
    for (int a = 0; a < ncx; a++)
        for (int b = a + 1; b < ncx; b++) {
            const uint32_t x0 = cx[a], x1 = cx[b];
            if (x1 - x0 < min_w)
                continue;
            const uint32_t *left = cprefix + (size_t)a * (h + 1);
            const uint32_t *right = cprefix + (size_t)b * (h + 1);
            for (int c = 0; c < ncy; c++)
                for (int d = c + 1; d < ncy; d++) {
                    const uint32_t y0 = cy[c], y1 = cy[d];
                    /* Nearly the whole image hashes like it: a frame
                     * takes at least NEGLIGIBLE_DIVISOR-th of a side. */
                    if (y1 - y0 < min_h || ((w - (x1 - x0)) * NEGLIGIBLE_DIVISOR < w &&
                                            (h - (y1 - y0)) * NEGLIGIBLE_DIVISOR < h))
                        continue;
                    const uint32_t *top = rprefix + (size_t)c * (w + 1);
                    const uint32_t *bottom = rprefix + (size_t)d * (w + 1);
                    /* Shares in per mille of each side's length. */
                    const uint64_t sw = x1 - x0, sh = y1 - y0;
                    const uint64_t l = (left[y1] - left[y0]) * 1000 / sh;
                    const uint64_t r = (right[y1] - right[y0]) * 1000 / sh;
                    const uint64_t t = (top[x1] - top[x0]) * 1000 / sw;
                    const uint64_t bo = (bottom[x1] - bottom[x0]) * 1000 / sw;
                    /* The image's own edges prove nothing: the sides
                     * inside it are scored, at least two of them. */
                    const bool in[4] = {x0 > 0, x1 < w, y0 > 0, y1 < h};
                    const uint64_t share[4] = {l, r, t, bo};
                    uint64_t sum = 0;
                    int inner = 0;
                    bool weak = false;
                    for (int k = 0; k < 4; k++)
                        if (in[k]) {
                            inner++;
                            sum += share[k];
                            weak |= share[k] < ACCEPT_SIDE * 10;
                        }
                    if (weak || inner < 2)
                        continue;
                    const uint64_t score = sum * 4 / (uint64_t)inner;
                    if (score < (uint64_t)ACCEPT_MEAN * 40)
                        continue;
                    keep(best, &kept,
                         (rect){{x0, y0, x1 - x0, y1 - y0}, inner, score, sw * sh, {a, b, c, d}});
                }
        }
    /* The best-stepped rectangle whose surroundings look like a frame. */
    for (int k = 0; k < kept && !*found; k++)
        if (frame_like(&f, best[k].box)) {
            const rect *r = widest(&f, best, kept, k, cprefix, rprefix);
            /* Back to pixels; a side on the image's edge stays there. */
            const bw_box b = tighten(&f, r->box);
            const uint32_t x0 = b.x * step, y0 = b.y * step;
            const uint32_t x1 = b.x + b.width == w ? width : (b.x + b.width) * step;
            const uint32_t y1 = b.y + b.height == h ? height : (b.y + b.height) * step;
            *box_out = (bw_box){x0, y0, x1 - x0, y1 - y0};
            *found = true;
        }
    free(cols);
    free(rows);
    free(cprefix);
    free(rprefix);
    return true;
}

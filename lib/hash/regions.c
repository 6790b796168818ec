/*
 * Sets of PDQ hashes of one image: the whole image, its content box, fixed
 * crop regions, and turned and mirrored variants. A crop of an image hashes close to
 * the region of the original that covers the same pixels, so a bank that
 * holds the regions of its originals matches crops a plain hash misses.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_robust.h"
#include "pdq_core.h"
#include "turn.h"

/*
 * Regions are crops of the image at fixed fractions: BW_PDQ_REGION_STEPS
 * centre crops, removing 2, 4, ... 30 % of the width and of the height
 * (half on each side), then as many crops of one side each, removing 2, 4,
 * ... 30 % of the width (left, right) or height (top, bottom). PDQ absorbs
 * only about 1 % of misalignment per side (docs/quality.md), hence steps of
 * 2 %. Names: "c04" is the centre crop removing 4 %, "l10" removes 10 % on
 * the left, then "r", "t", "b". Last come the bands, removing 60 % of one
 * side ("l60" keeps the right 40 %), then 70 % ("l70" keeps the right 30 %):
 * a logo or a word stamped across the middle of a picture changes every
 * other region, but leaves a band at one side or another as it was, and the
 * narrower ones clear a mark up to about 40 % of the picture across
 * (docs/quality.md, watermark-centre).
 */
/* Bands come as l, r, t, b for each width: 60 %, then 70 %. */
#define BAND_SIDES 4
#define BAND_PERCENT(band) (60 + 10 * ((band) / BAND_SIDES))
#define STEP_PERCENT 2
static const char side_letters[5] = {'c', 'l', 'r', 't', 'b'};

BW_API bw_status bw_pdq_mode_flags(const char *name, unsigned *flags_out)
{
    static const struct {
        const char *name;
        unsigned flags;
    } modes[] = {{"plain", 0},
                 {"dihedral", BW_PDQ_SET_DIHEDRAL_QUERY},
                 {"standard", BW_PDQ_SET_STANDARD_QUERY},
                 {"robust", BW_PDQ_SET_ROBUST_QUERY}};
    for (size_t i = 0; name && flags_out && i < sizeof modes / sizeof modes[0]; i++)
        if (!strcmp(name, modes[i].name)) {
            *flags_out = modes[i].flags;
            return BW_OK;
        }
    return BW_ERR_INVALID_ARGUMENT;
}

BW_API const char *bw_pdq_part_kind_name(bw_pdq_part_kind kind)
{
    switch (kind) {
    case BW_PART_WHOLE:
        return "whole";
    case BW_PART_CONTENT:
        return "content";
    case BW_PART_REGION:
        return "region";
    case BW_PART_UNROTATED:
        return "unrotated";
    case BW_PART_SHAVED:
        return "shaved";
    }
    return "unknown";
}

/* Names are made once, as constants, so callers may keep the pointers. */
static const char region_names[BW_PDQ_REGION_COUNT][4] = {
#define BWI_REGION_NAMES(s)                                                          \
    s "02", s "04", s "06", s "08", s "10", s "12", s "14", s "16", s "18", s "20", \
        s "22", s "24", s "26", s "28", s "30"
    BWI_REGION_NAMES("c"), BWI_REGION_NAMES("l"), BWI_REGION_NAMES("r"),
    BWI_REGION_NAMES("t"), BWI_REGION_NAMES("b"), "l60", "r60", "t60", "b60",
    "l70", "r70", "t70", "b70"
#undef BWI_REGION_NAMES
};

BW_API const char *bw_pdq_region_name(int region)
{
    return region >= 0 && region < BW_PDQ_REGION_COUNT ? region_names[region] : NULL;
}

BW_API int bw_pdq_region_parse(const char *name)
{
    for (int i = 0; name && i < BW_PDQ_REGION_COUNT; i++)
        if (!strcmp(name, region_names[i]))
            return i;
    return -1;
}

BW_API int bw_pdq_parts_meet(bw_dihedral query_transform, int query_region, int bank_region)
{
    if (query_region >= 0)
        return bank_region == query_region;
    /* A whole picture that happens to look like a band of another is no
     * evidence: bands meet only bands. */
    if (bank_region >= BW_PDQ_REGION_FIRST_BAND)
        return 0;
    if (query_region == BW_PDQ_REGION_CENTRES)
        return bank_region >= 0 && bank_region < BW_PDQ_REGION_STEPS;
    return query_transform == BW_DIHEDRAL_ORIGINAL || bank_region < 0;
}

BW_API int bw_pdq_bands_opposite(int region_a, int region_b)
{
    const int a = region_a - BW_PDQ_REGION_FIRST_BAND, b = region_b - BW_PDQ_REGION_FIRST_BAND;
    if (a < 0 || b < 0 || region_a >= BW_PDQ_REGION_COUNT || region_b >= BW_PDQ_REGION_COUNT)
        return 0;
    /* Sides come in pairs (l r, t b); a band keeps at most 40 %, so any two
     * on opposite sides of one axis share no pixel, whatever their widths. */
    return (a % BAND_SIDES ^ 1) == b % BAND_SIDES;
}

BW_API int bw_pdq_part_bankable(const bw_pdq_part *part)
{
    if (!part)
        return 0;
    if (part->kind == BW_PART_REGION)
        return part->quality >= BW_PDQ_REGION_LOW_QUALITY;
    if (part->kind == BW_PART_WHOLE)
        return part->quality >= BW_PDQ_REGION_MIN_QUALITY;
    /* Content boxes are kept whatever their quality: leaving the flat ones
     * out lost a bordered copy in the benchmark and spared no false match
     * (docs/quality.md). */
    return 1;
}

BW_API int bw_pdq_region_reach(int quality)
{
    return quality < BW_PDQ_REGION_MIN_QUALITY ? BW_PDQ_LOW_QUALITY_DISTANCE : 8 * BW_PDQ_BYTES;
}

BW_API bw_status bw_pdq_region_box(bw_box *box_out, int region, uint32_t width,
                                   uint32_t height)
{
    if (!box_out || region < 0 || region >= BW_PDQ_REGION_COUNT || !width || !height)
        return BW_ERR_INVALID_ARGUMENT;
    const int band = region - BW_PDQ_REGION_FIRST_BAND;
    const char side = band >= 0 ? side_letters[1 + band % BAND_SIDES]
                                : side_letters[region / BW_PDQ_REGION_STEPS];
    const uint64_t pct = band >= 0 ? (uint64_t)BAND_PERCENT(band)
                                   : (uint64_t)STEP_PERCENT *
                                         (uint64_t)(region % BW_PDQ_REGION_STEPS + 1);
    /* Shares in hundredths, rounded to the nearest pixel in integers so
     * every platform agrees; a centre crop takes half from each side. */
    uint64_t left = 0, right = 0, top = 0, bottom = 0;
    if (side == 'c') {
        left = right = ((uint64_t)width * pct + 100) / 200;
        top = bottom = ((uint64_t)height * pct + 100) / 200;
    } else if (side == 'l' || side == 'r') {
        *(side == 'l' ? &left : &right) = ((uint64_t)width * pct + 50) / 100;
    } else {
        *(side == 't' ? &top : &bottom) = ((uint64_t)height * pct + 50) / 100;
    }
    if (left + right >= width || top + bottom >= height)
        return BW_ERR_INVALID_ARGUMENT;
    *box_out = (bw_box){(uint32_t)left, (uint32_t)top, (uint32_t)(width - left - right),
                        (uint32_t)(height - top - bottom)};
    return BW_OK;
}

struct bw_pdq_set {
    bw_pdq_part *parts;
    size_t count;
    size_t cap;
};

void bwi_pdq_set_clear(bw_pdq_set *set)
{
    set->count = 0;
}

BW_API bw_status bw_pdq_set_create(bw_pdq_set **out)
{
    if (!out)
        return BW_ERR_INVALID_ARGUMENT;
    *out = calloc(1, sizeof **out);
    return *out ? BW_OK : BW_ERR_NOMEM;
}

BW_API void bw_pdq_set_free(bw_pdq_set *set)
{
    if (!set)
        return;
    free(set->parts);
    free(set);
}

BW_API size_t bw_pdq_set_count(const bw_pdq_set *set)
{
    return set ? set->count : 0;
}

BW_API const bw_pdq_part *bw_pdq_set_get(const bw_pdq_set *set, size_t i)
{
    return set && i < set->count ? &set->parts[i] : NULL;
}

static bw_status push(bw_ctx *ctx, bw_pdq_set *set, const bw_pdq_part *part)
{
    if (set->count == set->cap) {
        const size_t cap = set->cap ? set->cap * 2 : 32;
        bw_pdq_part *grown = realloc(set->parts, cap * sizeof *grown);
        if (!grown)
            return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
        set->parts = grown;
        set->cap = cap;
    }
    set->parts[set->count++] = *part;
    return BW_OK;
}

/*
 * Where pixel (x, y) of the grid turned by `which` comes from, in a grid of
 * w x h: the transform the reference's variant number names (rotations
 * counter-clockwise; FLIPX mirrors top to bottom, FLIPY left to right).
 */
static void turned_source(bw_dihedral which, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
                          uint32_t *sx, uint32_t *sy)
{
    switch (which) {
    case BW_DIHEDRAL_ORIGINAL: *sx = x; *sy = y; break;
    case BW_DIHEDRAL_ROTATE90: *sx = w - 1 - y; *sy = x; break;
    case BW_DIHEDRAL_ROTATE180: *sx = w - 1 - x; *sy = h - 1 - y; break;
    case BW_DIHEDRAL_ROTATE270: *sx = y; *sy = h - 1 - x; break;
    case BW_DIHEDRAL_FLIPX: *sx = x; *sy = h - 1 - y; break;
    case BW_DIHEDRAL_FLIPY: *sx = w - 1 - x; *sy = y; break;
    case BW_DIHEDRAL_FLIP_PLUS1: *sx = y; *sy = x; break;
    case BW_DIHEDRAL_FLIP_MINUS1: *sx = w - 1 - y; *sy = h - 1 - x; break;
    }
}

/*
 * The 7 turned and mirrored variants of the pixels at `origin` (w x h, bpp
 * bytes each: grey or RGB), each sampled to its grid exactly as the turned
 * image would be, so each hash is the one bw_pdq_hash_image() gives the
 * turned image, without turning the full-size pixels. The reference derives
 * its variants from the DCT instead, which is exact only for a symmetric
 * sampling: its nearest-neighbour resize, box filter and decimation are
 * off-centre by a pixel, so its variant lies 12-20 bits on average from the
 * hash of a really turned copy (docs/quality.md).
 *
 * A grid cell's source pixel is the sum of an offset that depends only on
 * its row and one that depends only on its column (turned_source moves
 * each coordinate on its own), so both are computed once per variant and
 * the sampling loop is two table reads and a copy: it took as long as
 * hashing the 7 grids when it divided per pixel.
 */
static bw_status add_turned(bw_ctx *ctx, bw_pdq_set *set, const uint8_t *origin,
                            size_t stride, size_t bpp, uint32_t w, uint32_t h,
                            bw_pdq_part part)
{
    uint32_t gw, gh;
    bwi_pdq_grid_dims(w, h, &gw, &gh); /* the same area either way round */
    const uint32_t side = gw > gh ? gw : gh;
    uint8_t *grid = malloc((size_t)gw * gh * bpp);
    ptrdiff_t *row_off = malloc(2 * (size_t)side * sizeof *row_off);
    if (!grid || !row_off) {
        free(grid);
        free(row_off);
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    }
    ptrdiff_t *col_off = row_off + side;
    bw_status st = BW_OK;
    for (int d = 1; d < BW_PDQ_DIHEDRAL_COUNT && st == BW_OK; d++) {
        const bw_dihedral which = (bw_dihedral)d;
        const bool swap = which == BW_DIHEDRAL_ROTATE90 || which == BW_DIHEDRAL_ROTATE270 ||
                          which == BW_DIHEDRAL_FLIP_PLUS1 || which == BW_DIHEDRAL_FLIP_MINUS1;
        const uint32_t tw = swap ? h : w, th = swap ? w : h;
        uint32_t tgw, tgh;
        bwi_pdq_grid_dims(tw, th, &tgw, &tgh);
        /* turned_source(x, 0) moves x alone and turned_source(0, y) y alone;
         * the source of (x, y) adds the two moves to the fixed corner. */
        uint32_t cx, cy;
        turned_source(which, 0, 0, w, h, &cx, &cy);
        const ptrdiff_t corner = (ptrdiff_t)cy * (ptrdiff_t)stride + (ptrdiff_t)cx * (ptrdiff_t)bpp;
        for (uint32_t ox = 0; ox < tgw; ox++) {
            uint32_t sx, sy;
            turned_source(which, bwi_pdq_nn_index(ox, tw, tgw), 0, w, h, &sx, &sy);
            col_off[ox] =
                (ptrdiff_t)sy * (ptrdiff_t)stride + (ptrdiff_t)sx * (ptrdiff_t)bpp - corner;
        }
        for (uint32_t oy = 0; oy < tgh; oy++) {
            uint32_t sx, sy;
            turned_source(which, 0, bwi_pdq_nn_index(oy, th, tgh), w, h, &sx, &sy);
            row_off[oy] = (ptrdiff_t)sy * (ptrdiff_t)stride + (ptrdiff_t)sx * (ptrdiff_t)bpp;
        }
        uint8_t *out = grid;
        for (uint32_t oy = 0; oy < tgh; oy++) {
            const uint8_t *row = origin + row_off[oy];
            if (bpp == 3)
                for (uint32_t ox = 0; ox < tgw; ox++, out += 3) {
                    const uint8_t *p = row + col_off[ox];
                    out[0] = p[0], out[1] = p[1], out[2] = p[2];
                }
            else
                for (uint32_t ox = 0; ox < tgw; ox++)
                    *out++ = row[col_off[ox]];
        }
        const bwi_grid g = {grid, (size_t)tgw * bpp, tgw, tgh, (int)bpp};
        st = bwi_pdq_hash_grid(ctx, &g, part.hash, NULL, NULL);
        part.transform = which;
        if (st == BW_OK)
            st = push(ctx, set, &part);
    }
    free(row_off);
    free(grid);
    return st;
}

/* A part's reach unless its kind or its caller asks for less. */
#define FULL_REACH (8 * BW_PDQ_BYTES)

/* Hashes the pixels of box (and its 7 turned and mirrored variants when
 * dihedral) and adds them; below min_quality nothing is added, and no part
 * matches further than max_reach. */
static bw_status add_box(bw_ctx *ctx, bw_pdq_set *set, const bw_image *image, bw_box box,
                         bw_pdq_part_kind kind, int region, const char *name, bool dihedral,
                         int min_quality, int max_reach)
{
    bw_pixel_format format;
    size_t stride;
    const uint8_t *pixels = bw_image_pixels(image, &format, &stride);
    const size_t bpp = format == BW_PIXEL_GREY8 ? 1 : 3;
    bwi_grid grid;
    /* The decoder already decided grey or colour for the whole image; a
     * part keeps that decision, as the whole-image hash does. */
    bw_status st = bwi_pdq_grid_from_pixels(
        ctx, &grid, pixels + (size_t)box.y * stride + (size_t)box.x * bpp, stride, box.width,
        box.height, format, true);
    if (st != BW_OK)
        return st;
    bw_pdq_part part = {.kind = kind, .region = region, .name = name, .box = box};
    st = bwi_pdq_hash_grid(ctx, &grid, part.hash, NULL, &part.quality);
    if (st != BW_OK || part.quality < min_quality)
        return st;
    part.reach = kind == BW_PART_REGION ? bw_pdq_region_reach(part.quality) : FULL_REACH;
    if (part.reach > max_reach)
        part.reach = max_reach;
    part.transform = BW_DIHEDRAL_ORIGINAL;
    st = push(ctx, set, &part);
    if (st == BW_OK && dihedral)
        st = add_turned(ctx, set, pixels + (size_t)box.y * stride + (size_t)box.x * bpp,
                        stride, bpp, box.width, box.height, part);
    return st;
}

/* The image less 1 %: half at each side (k = 0) or all on the left, right,
 * top or bottom (k = 1..4), in whole pixels, at least one. */
static bool shaved_box(bw_box *box, int k, uint32_t w, uint32_t h)
{
    const uint32_t dx = w / 100 ? w / 100 : 1, dy = h / 100 ? h / 100 : 1;
    if (w < 32 || h < 32)
        return false;
    const uint32_t hx = (dx + 1) / 2, hy = (dy + 1) / 2;
    static const uint8_t sides[5][4] = {{1, 1, 1, 1}, {1, 0, 0, 0}, {0, 0, 1, 0},
                                        {0, 1, 0, 0}, {0, 0, 0, 1}};
    const uint8_t *s = sides[k];
    const uint32_t left = k == 0 ? hx : s[0] * dx, top = k == 0 ? hy : s[1] * dy;
    const uint32_t right = k == 0 ? hx : s[2] * dx, bottom = k == 0 ? hy : s[3] * dy;
    *box = (bw_box){left, top, w - left - right, h - top - bottom};
    return true;
}

static bool same_box(bw_box a, bw_box b)
{
    return a.x == b.x && a.y == b.y && a.width == b.width && a.height == b.height;
}

/* The hash of the picture turned back, when the image is a rotated copy. */
static bw_status add_unrotated(bw_ctx *ctx, bw_pdq_set *set, const bw_image *image)
{
    double degrees;
    bw_status st = bw_image_find_rotation(ctx, &degrees, image);
    if (st != BW_OK || degrees == 0)
        return st;
    bw_image *turned = NULL;
    /* A canvas that looked rotated but cannot be turned back is no error:
     * the other hashes still stand. */
    if (bw_image_unrotate(ctx, &turned, image, degrees) != BW_OK)
        return BW_OK;
    const bw_box box = {0, 0, bw_image_width(turned), bw_image_height(turned)};
    st = add_box(ctx, set, turned, box, BW_PART_UNROTATED, -1, "unrotated", false, 0, FULL_REACH);
    /* The picture's size comes from the canvas's and its sides are
     * resampled, so a line or two of fill, or of fill blended with the
     * picture, may line them. Past those, a flat border of the picture's
     * own strips to the original's content box, which the bank holds. */
    const uint32_t tw = box.width, th = box.height;
    const uint32_t m = 3 + (tw < th ? tw : th) / 400;
    if (st == BW_OK && tw > 4 * m && th > 4 * m) {
        const bw_box inner = {m, m, tw - 2 * m, th - 2 * m};
        bw_image *core = NULL;
        bw_box content;
        st = bw_image_crop(ctx, &core, turned, inner);
        if (st == BW_OK)
            st = bw_image_find_content(ctx, &content, core, 0);
        if (st == BW_OK && !same_box(content, (bw_box){0, 0, inner.width, inner.height})) {
            content.x += m;
            content.y += m;
            st = add_box(ctx, set, turned, content, BW_PART_UNROTATED, -1, "unrotated-content",
                         false, 0, FULL_REACH);
        }
        bw_image_free(core);
    }
    bw_image_free(turned);
    return st;
}

/*
 * The hashes of a copy rotated by a few degrees and cropped to its picture,
 * turned back at each angle of a grid: PDQ absorbs about a degree of
 * rotation, so angles 2 degrees apart leave any angle from 1 to 9 within
 * one of them. What is left is a centre crop of the original, which the
 * bank's regions hold in steps of 2 %. 256 pixels a side are enough for
 * PDQ's 64 x 64 grid and keep the eight resamplings cheap.
 */
#define TILT_SIDE 256
static bw_status add_tilted(bw_ctx *ctx, bw_pdq_set *set, const bw_image *image)
{
    static const double angles[] = {-8, -6, -4, -2, 2, 4, 6, 8};
    static const char *const names[] = {"tilted-8", "tilted-6", "tilted-4", "tilted-2",
                                        "tilted+2", "tilted+4", "tilted+6", "tilted+8"};
    bw_status st = BW_OK;
    for (size_t i = 0; st == BW_OK && i < sizeof angles / sizeof angles[0]; i++) {
        bw_image *turned = NULL;
        /* Too small to turn is no error: the other hashes still stand. */
        if (bwi_image_untilt(ctx, &turned, image, angles[i], TILT_SIDE) != BW_OK) {
            bwi_clear(ctx);
            continue;
        }
        const bw_box box = {0, 0, bw_image_width(turned), bw_image_height(turned)};
        /* A flat part would meet too many flat regions; a tilted one
         * meets only the centre regions it stands for. */
        st = add_box(ctx, set, turned, box, BW_PART_UNROTATED, BW_PDQ_REGION_CENTRES, names[i],
                     false, BW_PDQ_REGION_MIN_QUALITY, FULL_REACH);
        bw_image_free(turned);
    }
    return st;
}

BW_API bw_status bw_pdq_set_compute(bw_ctx *ctx, bw_pdq_set *set, unsigned flags,
                                    const bw_image *image)
{
    if (!ctx || !set || !image)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    set->count = 0;
    const uint32_t w = bw_image_width(image), h = bw_image_height(image);
    const bool turn_whole = (flags & BW_PDQ_SET_DIHEDRAL) != 0;
    const bool turn_content = turn_whole && !(flags & BW_PDQ_SET_UPRIGHT_CONTENT);
    const bw_box whole = {0, 0, w, h};
    bw_status st =
        add_box(ctx, set, image, whole, BW_PART_WHOLE, -1, "whole", turn_whole, 0, FULL_REACH);
    /* Boxes equal to one already hashed are not hashed again. */
    bw_box strict = whole, loose = whole, picture = whole;
    if (st == BW_OK && (flags & BW_PDQ_SET_CONTENT)) {
        st = bw_image_find_content(ctx, &strict, image, 0);
        if (st == BW_OK)
            st = bw_image_find_content(ctx, &loose, image, BW_CONTENT_LOOSE);
        if (st == BW_OK && !same_box(strict, whole))
            st = add_box(ctx, set, image, strict, BW_PART_CONTENT, -1, "content", turn_content, 0,
                         FULL_REACH);
        if (st == BW_OK && !same_box(loose, whole) && !same_box(loose, strict))
            st = add_box(ctx, set, image, loose, BW_PART_CONTENT, -1, "content-loose", turn_content,
                         0, FULL_REACH);
        if (st == BW_OK)
            st = bw_image_find_content(ctx, &picture, image, BW_CONTENT_PICTURE);
        if (st == BW_OK && !same_box(picture, whole) && !same_box(picture, strict) &&
            !same_box(picture, loose))
            /* A flat picture box (an application's empty panel) would
             * meet every other flat box (docs/quality.md). */
            st = add_box(ctx, set, image, picture, BW_PART_CONTENT, -1, "content-picture",
                         turn_content, BW_PDQ_REGION_MIN_QUALITY, FULL_REACH);
    }
    if (st == BW_OK && (flags & BW_PDQ_SET_FRAMED)) {
        bw_box framed;
        st = bw_image_find_content(ctx, &framed, image, BW_CONTENT_FRAMED);
        /* Not turned: a chat's screenshot shows the picture upright. */
        if (st == BW_OK && !same_box(framed, whole) && !same_box(framed, strict) &&
            !same_box(framed, loose) && !same_box(framed, picture))
            st = add_box(ctx, set, image, framed, BW_PART_CONTENT, -1, "content-framed", false,
                         0, FULL_REACH);
    }
    if (st == BW_OK && (flags & BW_PDQ_SET_UNROTATED))
        st = add_unrotated(ctx, set, image);
    if (st == BW_OK && (flags & BW_PDQ_SET_TILTED))
        st = add_tilted(ctx, set, image);
    for (int k = 0; st == BW_OK && (flags & BW_PDQ_SET_SHAVED) && k < 5; k++) {
        static const char *const names[5] = {"shaved-c", "shaved-l", "shaved-r", "shaved-t",
                                              "shaved-b"};
        bw_box box;
        if (shaved_box(&box, k, w, h))
            st = add_box(ctx, set, image, box, BW_PART_SHAVED, -1, names[k], false, 0, FULL_REACH);
    }
    for (int r = 0; st == BW_OK && r < BW_PDQ_REGION_COUNT; r++) {
        const bool side30 = r % BW_PDQ_REGION_STEPS == BW_PDQ_REGION_STEPS - 1 &&
                            r >= BW_PDQ_REGION_STEPS && r < BW_PDQ_REGION_FIRST_BAND;
        const bool edge = side30 || r >= BW_PDQ_REGION_FIRST_BAND;
        /* Near edges only where nothing asks for the region at full reach. */
        const bool near = side30 && (flags & BW_PDQ_SET_NEAR_EDGES) &&
                          !(flags & (BW_PDQ_SET_EDGES | BW_PDQ_SET_REGIONS));
        const bool bands = r >= BW_PDQ_REGION_FIRST_BAND && (flags & BW_PDQ_SET_BANDS);
        const bool wanted =
            (flags & BW_PDQ_SET_REGIONS) || (edge && (flags & BW_PDQ_SET_EDGES)) || near || bands;
        if (!wanted)
            continue;
        bw_box box;
        /* Regions of a tiny image would be under PDQ's minimum size. */
        if (bw_pdq_region_box(&box, r, w, h) != BW_OK || box.width < 16 || box.height < 16)
            continue;
        /* A query's band is kept as far down as the bank's: a side of sky
         * or wall is often that flat, and the band beside it only counts
         * with the opposite one (the matcher limits both to their reach). */
        const bool band = r >= BW_PDQ_REGION_FIRST_BAND;
        /* A region is one part (never turned), pushed unless too flat. */
        st = add_box(ctx, set, image, box, BW_PART_REGION, r, region_names[r], false,
                     (flags & BW_PDQ_SET_REGIONS) || band ? BW_PDQ_REGION_LOW_QUALITY
                                                          : BW_PDQ_REGION_MIN_QUALITY,
                     near ? BW_PDQ_NEAR_EDGE_DISTANCE : FULL_REACH);
    }
    if (st != BW_OK)
        set->count = 0;
    return st;
}

/*
 * Edit-resistant PDQ (bw_robust.h): content boxes found exactly on
 * synthetic framed images, crops, region boxes and names, and hash sets
 * that are deterministic and agree with hashing the same pixels directly.
 */
#include <math.h>

#include <bulwark/bulwark.h>

#include "harness.h"

/* PDQ of region c20 of tests/data/golden/jpeg-420.jpg. */
#define C20_OF_JPEG_420 "e92f542faca7f7d804f0705079e8090f06afe8d65ed05d38293a796c97a782a3"

static bw_ctx *ctx;

/* Deterministic texture: smooth waves plus noise, so no row or column of
 * it is flat. */
static uint8_t texture(uint32_t x, uint32_t y, int c, uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    const int wave = (int)((x * (3 + c) + y * (5 - c)) % 97) + (int)((x * y) % 61);
    return (uint8_t)(40 + wave + (int)((*seed >> 16) % 40));
}

/* A w x h RGB canvas of `border` (with +-jitter noise) holding a textured
 * content box; returns the image. */
static bw_image *framed(uint32_t w, uint32_t h, bw_box content, const uint8_t border[3],
                        int jitter)
{
    uint8_t *px = malloc((size_t)w * h * 3);
    uint32_t seed = 7;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                uint8_t *p = &px[((size_t)y * w + x) * 3 + c];
                const bool inside = x >= content.x && x < content.x + content.width &&
                                    y >= content.y && y < content.y + content.height;
                seed = seed * 1103515245u + 12345u;
                int v = inside ? texture(x - content.x, y - content.y, c, &seed) : border[c];
                if (!inside && jitter)
                    v += (int)((seed >> 16) % (2 * (uint32_t)jitter + 1)) - jitter;
                *p = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    bw_image *img = NULL;
    bw_image_from_pixels(ctx, &img, px, (size_t)w * 3, w, h, BW_PIXEL_RGB8);
    free(px);
    return img;
}

static void check_box(bw_box got, bw_box want)
{
    CHECK_EQ(got.x, want.x);
    CHECK_EQ(got.y, want.y);
    CHECK_EQ(got.width, want.width);
    CHECK_EQ(got.height, want.height);
}

static void borders_exact(void)
{
    static const uint8_t white[3] = {255, 255, 255}, black[3] = {0, 0, 0},
                         teal[3] = {20, 140, 150};
    const struct {
        uint32_t w, h;
        bw_box content;
        const uint8_t *colour;
        int jitter;
    } cases[] = {
        {234, 166, {13, 7, 200, 150}, white, 0},     /* uneven border */
        {320, 260, {0, 40, 320, 180}, black, 0},     /* letterbox */
        {400, 180, {70, 0, 260, 180}, black, 0},     /* pillarbox */
        {300, 300, {31, 50, 200, 180}, teal, 12},    /* noisy border (JPEG-like) */
        {180, 120, {0, 0, 180, 120}, white, 0},      /* no border at all */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_image *img = framed(cases[i].w, cases[i].h, cases[i].content, cases[i].colour,
                               cases[i].jitter);
        CHECK(img != NULL);
        bw_box box = {0, 0, 0, 0};
        CHECK_EQ(bw_image_find_content(ctx, &box, img, 0), BW_OK);
        check_box(box, cases[i].content);
        /* Loose stripping changes nothing on textured content. */
        CHECK_EQ(bw_image_find_content(ctx, &box, img, BW_CONTENT_LOOSE), BW_OK);
        check_box(box, cases[i].content);
        bw_image_free(img);
    }
}

/* A screenshot-like frame: a title bar with "text" on a fifth of its
 * width, then a margin of another colour. Only the loose rule strips the
 * title bar. */
static void screenshot_frame(void)
{
    const uint32_t w = 300, h = 260;
    const bw_box content = {40, 60, 220, 160};
    static const uint8_t desk[3] = {236, 236, 236};
    bw_image *plain = framed(w, h, content, desk, 0);
    bw_pixel_format f;
    size_t stride;
    uint8_t *px = malloc((size_t)w * h * 3);
    memcpy(px, bw_image_pixels(plain, &f, &stride), (size_t)w * h * 3);
    for (uint32_t y = 0; y < 24; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *p = &px[((size_t)y * w + x) * 3];
            const bool ink = x >= 30 && x < 90 && y >= 8 && y < 16 && (x / 3 + y) % 2 == 0;
            p[0] = ink ? 230 : 48;
            p[1] = ink ? 230 : 54;
            p[2] = ink ? 230 : 66;
        }
    bw_image *shot = NULL;
    CHECK_EQ(bw_image_from_pixels(ctx, &shot, px, (size_t)w * 3, w, h, BW_PIXEL_RGB8), BW_OK);
    bw_box box;
    CHECK_EQ(bw_image_find_content(ctx, &box, shot, 0), BW_OK);
    /* The strict rule strips the bar's rows above the text and stops at
     * the text. */
    CHECK_EQ(box.y, 8);
    CHECK_EQ(bw_image_find_content(ctx, &box, shot, BW_CONTENT_LOOSE), BW_OK);
    check_box(box, content);
    free(px);
    bw_image_free(plain);
    bw_image_free(shot);
}

/* The part of set named name, or NULL. */
static const bw_pdq_part *part_named(const bw_pdq_set *set, const char *name)
{
    for (size_t i = 0; i < bw_pdq_set_count(set); i++)
        if (!strcmp(bw_pdq_set_get(set, i)->name, name))
            return bw_pdq_set_get(set, i);
    return NULL;
}

/* Paints a w x h RGB rectangle at (x, y) in one colour, or as "text" (every
 * other pixel of a checkered pattern) when text is set. */
static void paint(uint8_t *px, uint32_t W, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
                  const uint8_t rgb[3], bool text)
{
    for (uint32_t j = y; j < y + h; j++)
        for (uint32_t i = x; i < x + w; i++)
            if (!text || (i / 2 + j) % 3 == 0)
                memcpy(&px[((size_t)j * W + i) * 3], rgb, 3);
}

/* A photo viewer's window, W x H, painted over a picture on a margin of
 * viewer_desk grey: a dark title bar with text and a close button, a light
 * toolbar with buttons (the top 52 rows), a status line with text. */
static const uint8_t viewer_desk[3] = {236, 236, 236};

static void paint_viewer(uint8_t *px, uint32_t W, uint32_t H)
{
    static const uint8_t bar[3] = {48, 54, 66}, tool[3] = {250, 250, 250},
                         ink[3] = {230, 230, 230}, dark[3] = {60, 60, 60},
                         red[3] = {210, 70, 60};
    paint(px, W, 0, 0, W, 30, bar, false);
    paint(px, W, 20, 10, 200, 10, ink, true);
    paint(px, W, W - 28, 8, 16, 14, red, false);
    paint(px, W, 0, 30, W, 22, tool, false);
    for (uint32_t i = 0; i < 5; i++)
        paint(px, W, 8 + i * 30, 36, 12, 10, dark, false);
    paint(px, W, 50, H - 18, 140, 8, dark, true);
}

/* The viewer's screenshot of every test below: W x H pixels of viewer_desk
 * grey holding the texture at VIEWER_PICTURE, to be painted on and then
 * framed by paint_viewer(). The caller frees them. */
#define VIEWER_W 420u
#define VIEWER_H 400u
static const bw_box VIEWER_PICTURE = {50, 80, 320, 260};

static uint8_t *viewer_pixels(void)
{
    bw_image *plain = framed(VIEWER_W, VIEWER_H, VIEWER_PICTURE, viewer_desk, 0);
    bw_pixel_format f;
    size_t stride;
    uint8_t *px = malloc((size_t)VIEWER_W * VIEWER_H * 3);
    memcpy(px, bw_image_pixels(plain, &f, &stride), (size_t)VIEWER_W * VIEWER_H * 3);
    bw_image_free(plain);
    return px;
}

/* Checks that the picture box found in the viewer's pixels px is VIEWER_PICTURE. */
static void check_viewer_box(const uint8_t *px)
{
    bw_image *shot = NULL;
    CHECK_EQ(bw_image_from_pixels(ctx, &shot, px, (size_t)VIEWER_W * 3, VIEWER_W, VIEWER_H,
                                  BW_PIXEL_RGB8),
             BW_OK);
    bw_box found;
    CHECK_EQ(bw_image_find_content(ctx, &found, shot, BW_CONTENT_PICTURE), BW_OK);
    check_box(found, VIEWER_PICTURE);
    bw_image_free(shot);
}

/* A photo viewer's window around a picture whose upper part is smooth sky:
 * a dark title bar with text and a close button, a light toolbar with
 * buttons, a desk-grey margin, a status line with text. Stripping flat
 * lines stops at the title text (strict) or eats into the sky (loose); the
 * picture is the rectangle of sharp steps. */
static void picture_in_window(void)
{
    const uint32_t W = VIEWER_W, H = VIEWER_H;
    const bw_box picture = VIEWER_PICTURE;
    bw_pixel_format f;
    size_t stride;
    uint8_t *px = viewer_pixels();
    /* Sky: the top 40 % of the picture, a gentle gradient. */
    for (uint32_t y = picture.y; y < picture.y + picture.height * 2 / 5; y++)
        for (uint32_t x = picture.x; x < picture.x + picture.width; x++) {
            const uint8_t sky[3] = {(uint8_t)(90 + (y - picture.y) / 8),
                                    (uint8_t)(140 + x / 40), 200};
            memcpy(&px[((size_t)y * W + x) * 3], sky, 3);
        }
    paint_viewer(px, W, H);
    bw_image *shot = NULL;
    CHECK_EQ(bw_image_from_pixels(ctx, &shot, px, (size_t)W * 3, W, H, BW_PIXEL_RGB8), BW_OK);
    bw_box strict, loose, found;
    CHECK_EQ(bw_image_find_content(ctx, &strict, shot, 0), BW_OK);
    CHECK_EQ(bw_image_find_content(ctx, &loose, shot, BW_CONTENT_LOOSE), BW_OK);
    CHECK_EQ(bw_image_find_content(ctx, &found, shot, BW_CONTENT_PICTURE), BW_OK);
    check_box(found, picture);
    /* What the stripping rules make of it, which is why the picture is
     * looked for on its own. */
    CHECK(strict.y < picture.y && strict.width > picture.width);
    CHECK(loose.y > picture.y);

    /* The set of the screenshot holds the picture's own hash. */
    bw_image *alone = NULL;
    CHECK_EQ(bw_image_crop(ctx, &alone, shot, picture), BW_OK);
    uint8_t want[BW_PDQ_BYTES];
    CHECK_EQ(bw_pdq_hash_image(ctx, want, NULL, alone), BW_OK);
    bw_pdq_set *set;
    bw_pdq_set_create(&set);
    CHECK_EQ(bw_pdq_set_compute(ctx, set, BW_PDQ_SET_CONTENT, shot), BW_OK);
    const bw_pdq_part *part = part_named(set, "content-picture");
    CHECK(part != NULL);
    if (part) {
        CHECK_EQ(part->kind, BW_PART_CONTENT);
        check_box(part->box, picture);
        CHECK(memcmp(part->hash, want, BW_PDQ_BYTES) == 0);
    }
    bw_pdq_set_free(set);
    bw_image_free(alone);

    /* A large screenshot is scanned at a coarser step; the box is still
     * found to the pixel when the picture's sides fall on the samples. */
    const uint32_t k = 4;
    uint8_t *big = malloc((size_t)W * k * H * k * 3);
    for (uint32_t y = 0; y < H * k; y++)
        for (uint32_t x = 0; x < W * k; x++)
            memcpy(&big[((size_t)y * W * k + x) * 3], &px[((size_t)(y / k) * W + x / k) * 3], 3);
    bw_image *large = NULL;
    CHECK_EQ(bw_image_from_pixels(ctx, &large, big, (size_t)W * k * 3, W * k, H * k,
                                  BW_PIXEL_RGB8),
             BW_OK);
    CHECK_EQ(bw_image_find_content(ctx, &found, large, BW_CONTENT_PICTURE), BW_OK);
    check_box(found, (bw_box){picture.x * k, picture.y * k, picture.width * k,
                              picture.height * k});
    bw_image_free(large);
    free(big);

    /* The picture alone, and a texture without any frame, are whole. */
    bw_image *img = NULL;
    CHECK_EQ(bw_image_crop(ctx, &img, shot, picture), BW_OK);
    CHECK_EQ(bw_image_find_content(ctx, &found, img, BW_CONTENT_PICTURE), BW_OK);
    check_box(found, (bw_box){0, 0, picture.width, picture.height});
    bw_image_free(img);
    /* A smooth panel with sharp sides on a flat margin, amid a half-flat,
     * half-textured scene (a patch of wall between a pole and a
     * whiteboard) is no picture: the frame is busier than what it holds. */
    bw_image *busy = framed(300, 240, (bw_box){0, 120, 300, 120}, viewer_desk, 0);
    uint8_t *bp = malloc(300 * 240 * 3);
    memcpy(bp, bw_image_pixels(busy, &f, &stride), 300 * 240 * 3);
    paint(bp, 300, 44, 34, 212, 172, viewer_desk, false);
    for (uint32_t y = 40; y < 200; y++)
        for (uint32_t x = 50; x < 250; x++) {
            const uint8_t grey[3] = {(uint8_t)(150 + y / 20), (uint8_t)(150 + y / 20), 160};
            memcpy(&bp[((size_t)y * 300 + x) * 3], grey, 3);
        }
    bw_image *panel = NULL;
    CHECK_EQ(bw_image_from_pixels(ctx, &panel, bp, 300 * 3, 300, 240, BW_PIXEL_RGB8), BW_OK);
    CHECK_EQ(bw_image_find_content(ctx, &found, panel, BW_CONTENT_PICTURE), BW_OK);
    check_box(found, (bw_box){0, 0, 300, 240});
    bw_image_free(panel);
    bw_image_free(busy);
    free(bp);
    /* Too small a picture (under a third of the width) is not looked for. */
    bw_image *tiny = framed(400, 300, (bw_box){150, 100, 120, 150}, viewer_desk, 0);
    CHECK_EQ(bw_image_find_content(ctx, &found, tiny, BW_CONTENT_PICTURE), BW_OK);
    check_box(found, (bw_box){0, 0, 400, 300});
    bw_image_free(tiny);
    CHECK_EQ(bw_image_find_content(ctx, &found, shot, 8), BW_ERR_INVALID_ARGUMENT);
    bw_image_free(shot);
    free(px);
}

/* A picture whose top is white cloud, a little lighter than the viewer's
 * grey margin: its top side hardly steps, while the title bar's edge
 * steps all across the window, so the best-stepped rectangle reaches up
 * to the toolbar. The margin and toolbar rows inside it are the colour of
 * the frame beside them and are taken off; the clouds are not. */
static void picture_under_white_clouds(void)
{
    const uint32_t W = VIEWER_W;
    const bw_box picture = VIEWER_PICTURE;
    uint8_t *px = viewer_pixels();
    /* Clouds of uneven depth, so that no row under them steps along much
     * of the picture either. */
    for (uint32_t x = picture.x + picture.width / 10; x < picture.x + picture.width; x++)
        for (uint32_t y = picture.y; y < picture.y + 10 + (x * 7) % 29; y++) {
            const uint8_t v = (uint8_t)(248 + (x + y) % 5);
            const uint8_t cloud[3] = {v, v, (uint8_t)(v + 2)};
            memcpy(&px[((size_t)y * W + x) * 3], cloud, 3);
        }
    paint_viewer(px, W, VIEWER_H);
    check_viewer_box(px);
    /* With pale sand along its left side as well, the rectangle takes the
     * window's left edge for that side; the margin's columns go too. */
    for (uint32_t y = picture.y; y < picture.y + picture.height; y++)
        for (uint32_t x = picture.x; x < picture.x + 10 + (y * 7) % 29; x++) {
            const uint8_t v = (uint8_t)(220 + (x * 3 + y) % 5);
            const uint8_t sand[3] = {(uint8_t)(v + 4), v, (uint8_t)(v - 6)};
            memcpy(&px[((size_t)y * W + x) * 3], sand, 3);
        }
    check_viewer_box(px);
    free(px);
}

/* A picture cut by a horizon under a pale sky: dark clouds at the top,
 * then a band of haze nearly the margin's grey, then a dark line of sea
 * and busy water. The picture's sides do not step along the haze, so the
 * part under the horizon, stepping all round, is the best-stepped
 * rectangle; the whole picture extends it upwards with its sides going on
 * along most of the part above, and is what is found. */
static void picture_cut_by_a_horizon(void)
{
    const uint32_t W = VIEWER_W;
    const bw_box picture = VIEWER_PICTURE;
    uint8_t *px = viewer_pixels();
    static const uint8_t cloud[3] = {70, 74, 84}, haze[3] = {232, 230, 228},
                         sea[3] = {40, 60, 90};
    paint(px, W, picture.x, picture.y, picture.width, 70, cloud, false);
    paint(px, W, picture.x, picture.y + 70, picture.width, 34, haze, false);
    paint(px, W, picture.x, picture.y + 104, picture.width, 6, sea, false);
    paint_viewer(px, W, VIEWER_H);
    check_viewer_box(px);
    free(px);
}

/* Random windows around random pictures: whatever the frame, the box lies
 * inside the image; and when the picture's sides stand out from a flat
 * frame, it is found exactly. */
static void pictures_in_random_windows(void)
{
    uint32_t seed = 12345;
    int exact = 0, framed_count = 0;
    for (int round = 0; round < 60; round++) {
        seed = seed * 1103515245u + 12345u;
        const uint32_t W = 120 + (seed >> 8) % 400;
        seed = seed * 1103515245u + 12345u;
        const uint32_t H = 120 + (seed >> 8) % 400;
        seed = seed * 1103515245u + 12345u;
        const uint32_t pw = W / 2 + (seed >> 8) % (W / 3);
        seed = seed * 1103515245u + 12345u;
        const uint32_t ph = H / 2 + (seed >> 8) % (H / 3);
        seed = seed * 1103515245u + 12345u;
        const uint32_t px0 = (seed >> 8) % (W - pw + 1);
        seed = seed * 1103515245u + 12345u;
        const uint32_t py0 = (seed >> 8) % (H - ph + 1);
        const bw_box pic = {px0, py0, pw, ph};
        const uint8_t desk[3] = {(uint8_t)(200 + round % 50), (uint8_t)(200 + round % 50),
                                 (uint8_t)(210 + round % 40)};
        bw_image *img = framed(W, H, pic, desk, round % 3 == 0 ? 2 : 0);
        bw_box box;
        CHECK_EQ(bw_image_find_content(ctx, &box, img, BW_CONTENT_PICTURE), BW_OK);
        CHECK(box.width > 0 && box.height > 0 && box.x + box.width <= W &&
              box.y + box.height <= H);
        /* A frame at least 2 % of a side wide on some side: a picture. */
        if ((W - pw) * 50 >= W || (H - ph) * 50 >= H) {
            framed_count++;
            exact += box.x == pic.x && box.y == pic.y && box.width == pic.width &&
                     box.height == pic.height;
        }
        bw_image_free(img);
    }
    /* The texture never comes within a step of the frame's colour along
     * much of a side, so every framed picture is found, also where it
     * touches the image's edge and where the texture steps everywhere. */
    CHECK(framed_count > 40);
    CHECK_EQ(exact, framed_count);
}

/* Stripping never leaves a sliver: a flat image keeps its whole box. */
static void flat_keeps_whole(void)
{
    uint8_t *px = malloc(200 * 100);
    memset(px, 90, 200 * 100);
    px[50 * 200 + 100] = 0; /* one odd pixel */
    bw_image *img = NULL;
    CHECK_EQ(bw_image_from_pixels(ctx, &img, px, 200, 200, 100, BW_PIXEL_GREY8), BW_OK);
    bw_box box;
    CHECK_EQ(bw_image_find_content(ctx, &box, img, BW_CONTENT_LOOSE), BW_OK);
    check_box(box, (bw_box){0, 0, 200, 100});
    CHECK_EQ(bw_image_find_content(ctx, &box, img, 99), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_image_find_content(ctx, NULL, img, 0), BW_ERR_INVALID_ARGUMENT);
    free(px);
    bw_image_free(img);
}

static void crop_copies_pixels(void)
{
    static const uint8_t grey[3] = {128, 128, 128};
    bw_image *img = framed(120, 90, (bw_box){10, 10, 100, 70}, grey, 0);
    bw_image *part = NULL;
    CHECK_EQ(bw_image_crop(ctx, &part, img, (bw_box){10, 12, 50, 40}), BW_OK);
    CHECK_EQ(bw_image_width(part), 50);
    CHECK_EQ(bw_image_height(part), 40);
    bw_pixel_format f1, f2;
    size_t s1, s2;
    const uint8_t *a = bw_image_pixels(img, &f1, &s1), *b = bw_image_pixels(part, &f2, &s2);
    CHECK_EQ(f1, f2);
    CHECK(memcmp(a + 12 * s1 + 10 * 3, b, 50 * 3) == 0);
    CHECK(memcmp(a + 51 * s1 + 10 * 3, b + 39 * s2, 50 * 3) == 0);
    bw_image_free(part);
    CHECK_EQ(bw_image_crop(ctx, &part, img, (bw_box){100, 0, 21, 10}), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_image_crop(ctx, &part, img, (bw_box){0, 0, 0, 10}), BW_ERR_INVALID_ARGUMENT);
    CHECK(part == NULL);
    bw_image_free(img);
}

static void region_boxes_and_names(void)
{
    bw_box b;
    CHECK_EQ(bw_pdq_region_box(&b, bw_pdq_region_parse("c04"), 1000, 500), BW_OK);
    check_box(b, (bw_box){20, 10, 960, 480});
    CHECK_EQ(bw_pdq_region_box(&b, bw_pdq_region_parse("l30"), 1000, 500), BW_OK);
    check_box(b, (bw_box){300, 0, 700, 500});
    CHECK_EQ(bw_pdq_region_box(&b, bw_pdq_region_parse("b10"), 1000, 501), BW_OK);
    check_box(b, (bw_box){0, 0, 1000, 451});
    CHECK_EQ(bw_pdq_region_box(&b, bw_pdq_region_parse("r02"), 1000, 500), BW_OK);
    check_box(b, (bw_box){0, 0, 980, 500});
    /* The bands: 40 % at the side opposite the letter. */
    CHECK_EQ(bw_pdq_region_box(&b, bw_pdq_region_parse("l60"), 1000, 500), BW_OK);
    check_box(b, (bw_box){600, 0, 400, 500});
    CHECK_EQ(bw_pdq_region_box(&b, bw_pdq_region_parse("r60"), 1000, 500), BW_OK);
    check_box(b, (bw_box){0, 0, 400, 500});
    CHECK_EQ(bw_pdq_region_box(&b, bw_pdq_region_parse("t60"), 1000, 501), BW_OK);
    check_box(b, (bw_box){0, 301, 1000, 200});
    CHECK_EQ(bw_pdq_region_box(&b, bw_pdq_region_parse("b60"), 1000, 501), BW_OK);
    check_box(b, (bw_box){0, 0, 1000, 200});
    /* The narrow bands: 30 %. */
    CHECK_EQ(bw_pdq_region_box(&b, bw_pdq_region_parse("l70"), 1000, 500), BW_OK);
    check_box(b, (bw_box){700, 0, 300, 500});
    CHECK_EQ(bw_pdq_region_box(&b, bw_pdq_region_parse("r70"), 1000, 500), BW_OK);
    check_box(b, (bw_box){0, 0, 300, 500});
    CHECK_EQ(bw_pdq_region_box(&b, bw_pdq_region_parse("t70"), 1000, 501), BW_OK);
    check_box(b, (bw_box){0, 351, 1000, 150});
    CHECK_EQ(bw_pdq_region_box(&b, bw_pdq_region_parse("b70"), 1000, 501), BW_OK);
    check_box(b, (bw_box){0, 0, 1000, 150});
    CHECK_EQ(bw_pdq_region_box(&b, BW_PDQ_REGION_COUNT, 100, 100), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_pdq_region_box(&b, 0, 0, 100), BW_ERR_INVALID_ARGUMENT);
    for (int i = 0; i < BW_PDQ_REGION_COUNT; i++) {
        CHECK(bw_pdq_region_name(i) != NULL);
        CHECK_EQ(bw_pdq_region_parse(bw_pdq_region_name(i)), i);
    }
    CHECK(bw_pdq_region_name(-1) == NULL);
    CHECK_EQ(bw_pdq_region_parse("c05"), -1);
    CHECK_STR(bw_pdq_part_kind_name(BW_PART_REGION), "region");
}

static bw_image *golden(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/golden/%s", BW_TEST_DATA, name);
    bw_image *img = NULL;
    if (bw_image_decode_file(ctx, &img, path) != BW_OK)
        fprintf(stderr, "%s: %s\n", path, bw_ctx_message(ctx));
    return img;
}

/* The same image gives the same set on any context, entry 0 is the plain
 * hash, and each region's hash is the hash of that crop. */
static void sets_are_deterministic(void)
{
    bw_image *img = golden("jpeg-420.jpg");
    CHECK(img != NULL);
    if (!img)
        return;
    bw_ctx *other;
    bw_pdq_set *a, *b;
    bw_ctx_create(&other);
    bw_pdq_set_create(&a);
    bw_pdq_set_create(&b);
    const unsigned all = BW_PDQ_SET_WHOLE | BW_PDQ_SET_CONTENT | BW_PDQ_SET_REGIONS |
                         BW_PDQ_SET_DIHEDRAL;
    CHECK_EQ(bw_pdq_set_compute(ctx, a, all, img), BW_OK);
    CHECK_EQ(bw_pdq_set_compute(other, b, all, img), BW_OK);
    CHECK_EQ(bw_pdq_set_count(a), bw_pdq_set_count(b));
    /* 8 whole-image variants and the regions (this scene has no
     * border, and none of its regions is flat). */
    CHECK_EQ(bw_pdq_set_count(a), 8 + BW_PDQ_REGION_COUNT);
    for (size_t i = 0; i < bw_pdq_set_count(a) && i < bw_pdq_set_count(b); i++)
        CHECK(memcmp(bw_pdq_set_get(a, i), bw_pdq_set_get(b, i), sizeof(bw_pdq_part)) == 0);
    uint8_t plain[BW_PDQ_BYTES];
    int quality;
    CHECK_EQ(bw_pdq_hash_image(ctx, plain, &quality, img), BW_OK);
    const bw_pdq_part *first = bw_pdq_set_get(a, 0);
    CHECK(memcmp(first->hash, plain, BW_PDQ_BYTES) == 0);
    CHECK_EQ(first->quality, quality);
    CHECK_EQ(first->kind, BW_PART_WHOLE);
    int regions = 0;
    for (size_t i = 0; i < bw_pdq_set_count(a); i++) {
        const bw_pdq_part *p = bw_pdq_set_get(a, i);
        if (p->kind != BW_PART_REGION)
            continue;
        regions++;
        bw_box box;
        CHECK_EQ(bw_pdq_region_box(&box, p->region, bw_image_width(img), bw_image_height(img)),
                 BW_OK);
        check_box(p->box, box);
        bw_image *crop = NULL;
        uint8_t h[BW_PDQ_BYTES];
        CHECK_EQ(bw_image_crop(ctx, &crop, img, box), BW_OK);
        CHECK_EQ(bw_pdq_hash_image(ctx, h, NULL, crop), BW_OK);
        CHECK(memcmp(h, p->hash, BW_PDQ_BYTES) == 0);
        CHECK_EQ(p->transform, BW_DIHEDRAL_ORIGINAL);
        bw_image_free(crop);
    }
    CHECK_EQ(regions, BW_PDQ_REGION_COUNT);
    /* A committed value: a change to the region table or to hashing shows. */
    char hex[BW_PDQ_HEX_CHARS + 1];
    const bw_pdq_part *c20 = NULL;
    for (size_t i = 0; i < bw_pdq_set_count(a); i++)
        if (bw_pdq_set_get(a, i)->region == bw_pdq_region_parse("c20"))
            c20 = bw_pdq_set_get(a, i);
    CHECK(c20 != NULL);
    if (c20) {
        bw_pdq_to_hex(hex, c20->hash);
        CHECK_STR(hex, C20_OF_JPEG_420);
    }
    /* Shaved query hashes: 1 % off, split between both sides or on one. */
    CHECK_EQ(bw_pdq_set_compute(ctx, a, BW_PDQ_SET_SHAVED, img), BW_OK);
    CHECK_EQ(bw_pdq_set_count(a), 6);
    static const bw_box shaved[5] = {{4, 3, 792, 594}, {8, 0, 792, 600}, {0, 0, 792, 600},
                                     {0, 6, 800, 594}, {0, 0, 800, 594}};
    for (size_t i = 1; i < bw_pdq_set_count(a) && i <= 5; i++) {
        CHECK_EQ(bw_pdq_set_get(a, i)->kind, BW_PART_SHAVED);
        check_box(bw_pdq_set_get(a, i)->box, shaved[i - 1]);
    }
    CHECK_STR(bw_pdq_set_get(a, 2)->name, "shaved-l");
    /* Only what is asked for. */
    CHECK_EQ(bw_pdq_set_compute(ctx, a, 0, img), BW_OK);
    CHECK_EQ(bw_pdq_set_count(a), 1);
    CHECK(bw_pdq_set_get(a, 1) == NULL);
    bw_pdq_set_free(a);
    bw_pdq_set_free(b);
    bw_ctx_free(other);
    bw_image_free(img);
}

/* img (RGB) on a canvas of one grey level, pad pixels wider on the left
 * and right and pad_top, pad_bottom pixels taller. */
static bw_image *on_margin(const bw_image *img, uint32_t pad, uint32_t pad_top,
                           uint32_t pad_bottom, uint8_t grey)
{
    const uint32_t w = bw_image_width(img), h = bw_image_height(img);
    const uint32_t W = w + 2 * pad, H = h + pad_top + pad_bottom;
    uint8_t *px = malloc((size_t)W * H * 3);
    memset(px, grey, (size_t)W * H * 3);
    bw_pixel_format f;
    size_t stride;
    const uint8_t *src = bw_image_pixels(img, &f, &stride);
    CHECK_EQ(f, BW_PIXEL_RGB8);
    for (uint32_t y = 0; y < h; y++)
        memcpy(px + ((size_t)(y + pad_top) * W + pad) * 3, src + y * stride, (size_t)w * 3);
    bw_image *out = NULL;
    CHECK_EQ(bw_image_from_pixels(ctx, &out, px, (size_t)W * 3, W, H, BW_PIXEL_RGB8), BW_OK);
    free(px);
    return out;
}

/* A framed copy's content hash is the original's hash. */
static void content_hash_of_framed_copy(void)
{
    bw_image *img = golden("png-rgb.png");
    CHECK(img != NULL);
    if (!img)
        return;
    const uint32_t w = bw_image_width(img), h = bw_image_height(img), pad = 37;
    bw_image *boxed = on_margin(img, pad, pad, 0, 0);
    bw_pdq_set *set;
    bw_pdq_set_create(&set);
    CHECK_EQ(bw_pdq_set_compute(ctx, set, BW_PDQ_SET_CONTENT, boxed), BW_OK);
    CHECK_EQ(bw_pdq_set_count(set), 2);
    const bw_pdq_part *content = bw_pdq_set_get(set, 1);
    uint8_t plain[BW_PDQ_BYTES];
    CHECK_EQ(bw_pdq_hash_image(ctx, plain, NULL, img), BW_OK);
    if (content) {
        CHECK_STR(content->name, "content");
        check_box(content->box, (bw_box){pad, pad, w, h});
        CHECK(memcmp(content->hash, plain, BW_PDQ_BYTES) == 0);
        CHECK(bw_pdq_distance(bw_pdq_set_get(set, 0)->hash, plain) > 31);
    }
    /* The standard query: the whole image turned 8 ways, its content box
     * upright only, the same hash, 5 shaved hashes, the 4 edge regions
     * within BW_PDQ_NEAR_EDGE_DISTANCE and the 8 bands (and nothing turned
     * back: it is not rotated); the content box turned too without
     * UPRIGHT_CONTENT. */
    CHECK_EQ(bw_pdq_set_compute(ctx, set, BW_PDQ_SET_STANDARD_QUERY, boxed), BW_OK);
    CHECK_EQ(bw_pdq_set_count(set), 8 + 1 + 5 + 4 + 8);
    int wholes = 0, contents = 0, shaved = 0, edges = 0, bands = 0;
    for (size_t i = 0; i < bw_pdq_set_count(set); i++) {
        const bw_pdq_part *p = bw_pdq_set_get(set, i);
        wholes += p->kind == BW_PART_WHOLE && p->transform == (bw_dihedral)wholes;
        shaved += p->kind == BW_PART_SHAVED;
        edges += p->kind == BW_PART_REGION && p->reach == BW_PDQ_NEAR_EDGE_DISTANCE;
        bands += p->kind == BW_PART_REGION && p->region >= BW_PDQ_REGION_FIRST_BAND &&
                 p->reach == 256;
        if (p->kind == BW_PART_CONTENT) {
            contents++;
            CHECK_EQ(p->transform, BW_DIHEDRAL_ORIGINAL);
            CHECK(memcmp(p->hash, plain, BW_PDQ_BYTES) == 0);
        }
    }
    CHECK_EQ(wholes, 8);
    CHECK_EQ(contents, 1);
    CHECK_EQ(shaved, 5);
    CHECK_EQ(edges, 4);
    CHECK_EQ(bands, 8);
    CHECK_EQ(bw_pdq_set_compute(ctx, set, BW_PDQ_SET_STANDARD_QUERY & ~BW_PDQ_SET_UPRIGHT_CONTENT,
                                boxed),
             BW_OK);
    CHECK_EQ(bw_pdq_set_count(set), 8 + 8 + 5 + 4 + 8);
    /* The modes by name, as the CLI and the service take them. */
    unsigned flags = 99;
    CHECK_EQ(bw_pdq_mode_flags("plain", &flags), BW_OK);
    CHECK_EQ(flags, 0u);
    CHECK_EQ(bw_pdq_mode_flags("dihedral", &flags), BW_OK);
    CHECK_EQ(flags, (unsigned)BW_PDQ_SET_DIHEDRAL_QUERY);
    CHECK_EQ(bw_pdq_mode_flags("standard", &flags), BW_OK);
    CHECK_EQ(flags, (unsigned)BW_PDQ_SET_STANDARD_QUERY);
    CHECK_EQ(bw_pdq_mode_flags("robust", &flags), BW_OK);
    CHECK_EQ(flags, (unsigned)BW_PDQ_SET_ROBUST_QUERY);
    CHECK_EQ(bw_pdq_mode_flags("Robust", &flags), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_pdq_mode_flags(NULL, &flags), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(flags, (unsigned)BW_PDQ_SET_ROBUST_QUERY);
    bw_pdq_set_free(set);
    bw_image_free(boxed);
    bw_image_free(img);
}

/* A chat's screenshot of a figure on white: a green header with a name,
 * the figure (a title over a textured plot, on a white margin of its own)
 * in a white margin, a light grey input line with grey text. The strict
 * rule stops at the header's name, the loose one goes through the title;
 * BW_CONTENT_FRAMED strips the bars, then the two white margins, and finds
 * the figure's own content box, so the query's hash is the bank's. */
static void chat_screenshot_of_a_figure(void)
{
    static const uint8_t white[3] = {255, 255, 255}, grey_ink[3] = {90, 90, 90},
                         header[3] = {7, 94, 84}, input[3] = {240, 240, 240},
                         input_ink[3] = {112, 112, 112};
    const uint32_t fw = 300, fh = 220, W = fw + 50, top = 36 + 20, H = top + fh + 20 + 30;
    bw_image *figure = framed(fw, fh, (bw_box){30, 40, 240, 160}, white, 0);
    bw_pixel_format f;
    size_t stride;
    uint8_t *fpx = malloc((size_t)fw * fh * 3);
    memcpy(fpx, bw_image_pixels(figure, &f, &stride), (size_t)fw * fh * 3);
    paint(fpx, fw, 100, 20, 100, 10, grey_ink, true);
    bw_image_free(figure);
    CHECK_EQ(bw_image_from_pixels(ctx, &figure, fpx, (size_t)fw * 3, fw, fh, BW_PIXEL_RGB8),
             BW_OK);
    const bw_box own = {30, 20, 240, 180};
    bw_box box;
    CHECK_EQ(bw_image_find_content(ctx, &box, figure, 0), BW_OK);
    check_box(box, own);

    uint8_t *px = malloc((size_t)W * H * 3);
    paint(px, W, 0, 0, W, H, white, false);
    for (uint32_t y = 0; y < fh; y++)
        memcpy(px + ((size_t)(top + y) * W + 25) * 3, fpx + (size_t)y * fw * 3, (size_t)fw * 3);
    paint(px, W, 0, 0, W, 36, header, false);
    paint(px, W, 120, 12, 110, 12, white, true);
    paint(px, W, 0, H - 30, W, 30, input, false);
    paint(px, W, 110, H - 20, 120, 10, input_ink, true);
    bw_image *shot = NULL;
    CHECK_EQ(bw_image_from_pixels(ctx, &shot, px, (size_t)W * 3, W, H, BW_PIXEL_RGB8), BW_OK);
    const bw_box want = {25 + own.x, top + own.y, own.width, own.height};
    CHECK_EQ(bw_image_find_content(ctx, &box, shot, 0), BW_OK);
    CHECK(box.y < 36);
    CHECK_EQ(bw_image_find_content(ctx, &box, shot, BW_CONTENT_LOOSE), BW_OK);
    CHECK(box.y > want.y);
    CHECK_EQ(bw_image_find_content(ctx, &box, shot, BW_CONTENT_FRAMED), BW_OK);
    check_box(box, want);

    bw_pdq_set *bank, *query;
    bw_pdq_set_create(&bank);
    bw_pdq_set_create(&query);
    CHECK_EQ(bw_pdq_set_compute(ctx, bank, BW_PDQ_SET_CONTENT, figure), BW_OK);
    CHECK_EQ(bw_pdq_set_compute(ctx, query, BW_PDQ_SET_ROBUST_QUERY, shot), BW_OK);
    const bw_pdq_part *content = part_named(bank, "content");
    const bw_pdq_part *found = part_named(query, "content-framed");
    CHECK(content && found);
    if (content && found) {
        check_box(found->box, want);
        CHECK(memcmp(found->hash, content->hash, BW_PDQ_BYTES) == 0);
    }
    bw_pdq_set_free(bank);
    bw_pdq_set_free(query);
    bw_image_free(shot);
    bw_image_free(figure);
    free(px);
    free(fpx);
}

/* Rotates by degrees (counter-clockwise on screen for positive angles)
 * onto a canvas grown to hold the whole picture, new corners in fill. */
static bw_image *rotated(const bw_image *img, double degrees, uint8_t fill)
{
    const double a = degrees * 3.14159265358979 / 180, c = cos(a), s = sin(a);
    const uint32_t w = bw_image_width(img), h = bw_image_height(img);
    const uint32_t W = (uint32_t)ceil(w * fabs(c) + h * fabs(s));
    const uint32_t H = (uint32_t)ceil(w * fabs(s) + h * fabs(c));
    bw_pixel_format f;
    size_t stride;
    const uint8_t *src = bw_image_pixels(img, &f, &stride);
    uint8_t *px = malloc((size_t)W * H * 3);
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            const double dx = x + 0.5 - W / 2.0, dy = y + 0.5 - H / 2.0;
            const double fx = c * dx - s * dy + w / 2.0, fy = s * dx + c * dy + h / 2.0;
            uint8_t *o = px + ((size_t)y * W + x) * 3;
            if (fx < 0 || fy < 0 || fx >= w || fy >= h) {
                o[0] = o[1] = o[2] = fill;
                continue;
            }
            for (int k = 0; k < 3; k++)
                o[k] = src[(uint32_t)fy * stride + (uint32_t)fx * (f == BW_PIXEL_GREY8 ? 1 : 3) +
                           (f == BW_PIXEL_GREY8 ? 0 : (size_t)k)];
        }
    bw_image *out = NULL;
    bw_image_from_pixels(ctx, &out, px, (size_t)W * 3, W, H, BW_PIXEL_RGB8);
    free(px);
    return out;
}

/* A copy rotated by a few degrees onto a filled canvas: the angle is
 * found, and the picture turned back hashes near the original, though the
 * rotated copy's own hash is far. */
static void small_rotations_undone(void)
{
    bw_image *img = golden("jpeg-420.jpg");
    if (!img)
        return;
    uint8_t plain[BW_PDQ_BYTES];
    CHECK_EQ(bw_pdq_hash_image(ctx, plain, NULL, img), BW_OK);
    const double angles[] = {3, -3, 7.5, -10};
    bw_pdq_set *set;
    bw_pdq_set_create(&set);
    for (size_t i = 0; i < sizeof angles / sizeof angles[0]; i++) {
        bw_image *r = rotated(img, angles[i], i % 2 ? 255 : 0);
        double found = 0;
        CHECK_EQ(bw_image_find_rotation(ctx, &found, r), BW_OK);
        CHECK(fabs(fabs(found) - fabs(angles[i])) < 0.2);
        CHECK_EQ(bw_pdq_set_compute(ctx, set, BW_PDQ_SET_UNROTATED, r), BW_OK);
        CHECK_EQ(bw_pdq_set_count(set), 2);
        const bw_pdq_part *back = bw_pdq_set_get(set, 1);
        CHECK(bw_pdq_distance(bw_pdq_set_get(set, 0)->hash, plain) > 31);
        if (back) {
            CHECK_EQ(back->kind, BW_PART_UNROTATED);
            CHECK(abs((int)back->box.width - (int)bw_image_width(img)) <= 2);
            CHECK(abs((int)back->box.height - (int)bw_image_height(img)) <= 2);
            const int d = bw_pdq_distance(back->hash, plain);
            if (d > 16)
                fprintf(stderr, "angle %g: found %g, distance %d\n", angles[i], found, d);
            CHECK(d <= 16);
        }
        /* The default query set (standard mode) turns it back too. */
        CHECK_EQ(bw_pdq_set_compute(ctx, set, BW_PDQ_SET_STANDARD_QUERY, r), BW_OK);
        int unrotated = 0;
        for (size_t k = 0; k < bw_pdq_set_count(set); k++) {
            const bw_pdq_part *p = bw_pdq_set_get(set, k);
            if (p->kind == BW_PART_UNROTATED && strcmp(p->name, "unrotated") == 0) {
                unrotated++;
                CHECK(bw_pdq_distance(p->hash, plain) <= 16);
            }
        }
        CHECK_EQ(unrotated, 1);
        bw_image_free(r);
    }
    /* Unrotated images have no angle. */
    double none = 1;
    CHECK_EQ(bw_image_find_rotation(ctx, &none, img), BW_OK);
    CHECK(none == 0);
    bw_image *dummy = NULL;
    CHECK_EQ(bw_image_unrotate(ctx, &dummy, img, 45), BW_ERR_INVALID_ARGUMENT);
    bw_pdq_set_free(set);
    bw_image_free(img);
}

/* A copy rotated by a few degrees and cropped to its picture: no fill
 * shows the angle, and its own hash is far from every stored one, but one of
 * the tilted query hashes, turned back at the nearest angle of the grid,
 * meets a centre crop region of the original in the bank. */
static void rotated_and_cropped(void)
{
    bw_image *img = golden("jpeg-420.jpg");
    if (!img)
        return;
    bw_pdq_set *bank, *query;
    bw_pdq_set_create(&bank);
    bw_pdq_set_create(&query);
    CHECK_EQ(bw_pdq_set_compute(ctx, bank, BW_PDQ_SET_WHOLE | BW_PDQ_SET_REGIONS, img), BW_OK);
    const double angles[] = {3, -5, 7};
    for (size_t i = 0; i < sizeof angles / sizeof angles[0]; i++) {
        bw_image *r = rotated(img, angles[i], 0);
        const double a = fabs(angles[i]) * 3.14159265358979 / 180;
        const double w = bw_image_width(img), h = bw_image_height(img);
        const double fit_w = w / (w * cos(a) + h * sin(a)), fit_h = h / (h * cos(a) + w * sin(a));
        const double fit = fit_w < fit_h ? fit_w : fit_h;
        const uint32_t cw = (uint32_t)(w * fit) - 2, ch = (uint32_t)(h * fit) - 2;
        const bw_box inside = {(bw_image_width(r) - cw) / 2, (bw_image_height(r) - ch) / 2, cw,
                               ch};
        bw_image *copy = NULL;
        CHECK_EQ(bw_image_crop(ctx, &copy, r, inside), BW_OK);
        CHECK_EQ(bw_pdq_set_compute(ctx, query, BW_PDQ_SET_TILTED, copy), BW_OK);
        CHECK_EQ(bw_pdq_set_count(query), 9);
        int own = 256, best = 256;
        const bw_pdq_part *found = NULL;
        for (size_t b = 0; b < bw_pdq_set_count(bank); b++) {
            const bw_pdq_part *stored = bw_pdq_set_get(bank, b);
            const int d = bw_pdq_distance(bw_pdq_set_get(query, 0)->hash, stored->hash);
            own = d < own ? d : own;
            for (size_t q = 1; q < bw_pdq_set_count(query); q++) {
                const bw_pdq_part *t = bw_pdq_set_get(query, q);
                CHECK_EQ(t->kind, BW_PART_UNROTATED);
                const int dt = bw_pdq_distance(t->hash, stored->hash);
                const bool centre = stored->kind == BW_PART_REGION &&
                                    stored->region < BW_PDQ_REGION_STEPS;
                if (centre && dt < best) {
                    best = dt;
                    found = t;
                }
            }
        }
        if (own <= 31 || best > 24)
            fprintf(stderr, "angle %g: own hash %d, best tilted %d\n", angles[i], own, best);
        CHECK(own > 31);
        CHECK(best <= 24);
        /* Turned back by the grid's angle nearest the copy's. */
        if (found)
            CHECK(fabs(fabs(atof(found->name + strlen("tilted"))) - fabs(angles[i])) <= 1);
        bw_image_free(copy);
        bw_image_free(r);
    }
    bw_pdq_set_free(bank);
    bw_pdq_set_free(query);
    bw_image_free(img);
}

/* A picture with a white frame of its own, rotated onto black: the
 * picture turned back may keep a line of fill along a side, but its strict
 * content box strips that with the white frame, down to what the bank's
 * content box of the original holds. */
static void framed_picture_rotated(void)
{
    bw_image *img = golden("jpeg-420.jpg");
    if (!img)
        return;
    const uint32_t w = bw_image_width(img), h = bw_image_height(img);
    bw_image *framed_img = on_margin(img, 6, 6, 6, 255);
    uint8_t plain[BW_PDQ_BYTES];
    CHECK_EQ(bw_pdq_hash_image(ctx, plain, NULL, img), BW_OK);
    bw_pdq_set *set;
    bw_pdq_set_create(&set);
    const double angles[] = {4, -6};
    for (size_t i = 0; i < sizeof angles / sizeof angles[0]; i++) {
        bw_image *r = rotated(framed_img, angles[i], 0);
        CHECK_EQ(bw_pdq_set_compute(ctx, set, BW_PDQ_SET_UNROTATED, r), BW_OK);
        const bw_pdq_part *content = part_named(set, "unrotated-content");
        CHECK(content != NULL);
        if (content) {
            CHECK_EQ(content->kind, BW_PART_UNROTATED);
            CHECK(abs((int)content->box.width - (int)w) <= 2);
            CHECK(abs((int)content->box.height - (int)h) <= 2);
            const int d = bw_pdq_distance(content->hash, plain);
            if (d > 16)
                fprintf(stderr, "angle %g: distance %d\n", angles[i], d);
            CHECK(d <= 16);
        }
        bw_image_free(r);
    }
    bw_pdq_set_free(set);
    bw_image_free(framed_img);
    bw_image_free(img);
}

/* A night scene: near-black (within the fill tolerance of black) except
 * for a lit disc and three bright patches, each along part of one side. */
static bw_image *night_scene(uint32_t w, uint32_t h)
{
    uint8_t *px = malloc((size_t)w * h * 3);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *o = px + ((size_t)y * w + x) * 3;
            const double dx = x - w * 0.45, dy = y - h * 0.5, r = sqrt(dx * dx + dy * dy);
            int v = 6 + (int)((x * 7 + y * 3) % 9);
            if (r < h * 0.3)
                v = 60 + (int)(120 * (1 - r / (h * 0.3))) + (int)(x % 23);
            o[0] = o[1] = o[2] = (uint8_t)v;
            if (y < h / 8 && x >= w * 3 / 5 && x < w * 9 / 10)
                o[0] = 200, o[1] = 180, o[2] = 90;
            else if (x >= w - w / 10 && y >= h / 5 && y < h / 2)
                o[0] = 90, o[1] = 200, o[2] = 120;
            else if (y >= h - h / 8 && x >= w / 14 && x < w * 3 / 8)
                o[0] = 210, o[1] = 90, o[2] = 80;
        }
    bw_image *out = NULL;
    bw_image_from_pixels(ctx, &out, px, (size_t)w * 3, w, h, BW_PIXEL_RGB8);
    free(px);
    return out;
}

/* An upright picture centred on a larger canvas of one colour. */
static bw_image *on_canvas(const bw_image *img, uint32_t pad, uint8_t fill)
{
    const uint32_t w = bw_image_width(img), h = bw_image_height(img);
    const uint32_t W = w + 2 * pad, H = h + 2 * pad;
    bw_pixel_format f;
    size_t stride;
    const uint8_t *src = bw_image_pixels(img, &f, &stride);
    uint8_t *px = malloc((size_t)W * H * 3);
    memset(px, fill, (size_t)W * H * 3);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int k = 0; k < 3; k++)
                px[((size_t)(y + pad) * W + x + pad) * 3 + k] =
                    src[y * stride + x * (f == BW_PIXEL_GREY8 ? 1 : 3) +
                        (f == BW_PIXEL_GREY8 ? 0 : (size_t)k)];
    bw_image *out = NULL;
    bw_image_from_pixels(ctx, &out, px, (size_t)W * 3, W, H, BW_PIXEL_RGB8);
    free(px);
    return out;
}

/*
 * A dark picture rotated onto black: its own pixels are as dark as the
 * fill along most of every side, so the corners' depth lines are spoilt
 * and the angle is found by testing angles. Upright pictures with dark
 * surroundings (a window on a black desktop, a picture in a black frame
 * slightly wider on one side) must not be taken for rotated ones.
 */
static void dark_pictures_rotated(void)
{
    bw_image *night = night_scene(420, 300);
    uint8_t plain[BW_PDQ_BYTES];
    CHECK_EQ(bw_pdq_hash_image(ctx, plain, NULL, night), BW_OK);
    const double angles[] = {2.5, -3, 6, -12};
    for (size_t i = 0; i < sizeof angles / sizeof angles[0]; i++) {
        bw_image *r = rotated(night, angles[i], 0);
        double found = 0;
        CHECK_EQ(bw_image_find_rotation(ctx, &found, r), BW_OK);
        if (fabs(fabs(found) - fabs(angles[i])) >= 0.1)
            fprintf(stderr, "angle %g: found %g\n", angles[i], found);
        CHECK(fabs(fabs(found) - fabs(angles[i])) < 0.1);
        bw_image *back = NULL;
        if (found != 0 && bw_image_unrotate(ctx, &back, r, found) == BW_OK) {
            uint8_t h[BW_PDQ_BYTES];
            CHECK_EQ(bw_pdq_hash_image(ctx, h, NULL, back), BW_OK);
            CHECK(bw_pdq_distance(h, plain) <= 16);
            bw_image_free(back);
        }
        bw_image_free(r);
    }
    /* Upright: the night scene alone, on a black margin, and a bright
     * window on a black desktop. */
    static const uint8_t grey[3] = {170, 170, 170};
    bw_image *window = framed(300, 220, (bw_box){20, 30, 260, 170}, grey, 0);
    bw_image *cases[3] = {night, on_canvas(night, 9, 0), on_canvas(window, 14, 0)};
    for (int i = 0; i < 3; i++) {
        double none = 1;
        CHECK_EQ(bw_image_find_rotation(ctx, &none, cases[i]), BW_OK);
        if (none != 0)
            fprintf(stderr, "upright case %d: found %g\n", i, none);
        CHECK(none == 0);
    }
    bw_image_free(cases[1]);
    bw_image_free(cases[2]);
    bw_image_free(window);
    bw_image_free(night);
}

/* The image turned by `which`, written out pixel by pixel from where each
 * source pixel lands (the library computes the inverse). */
static bw_image *turned(const bw_image *img, bw_dihedral which)
{
    const uint32_t w = bw_image_width(img), h = bw_image_height(img);
    bw_pixel_format f;
    size_t stride;
    const uint8_t *src = bw_image_pixels(img, &f, &stride);
    const size_t bpp = f == BW_PIXEL_GREY8 ? 1 : 3;
    const bool swap = which == BW_DIHEDRAL_ROTATE90 || which == BW_DIHEDRAL_ROTATE270 ||
                      which == BW_DIHEDRAL_FLIP_PLUS1 || which == BW_DIHEDRAL_FLIP_MINUS1;
    const uint32_t tw = swap ? h : w, th = swap ? w : h;
    uint8_t *px = malloc((size_t)tw * th * bpp);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint32_t dx = x, dy = y;
            switch (which) {
            case BW_DIHEDRAL_ORIGINAL: break;
            case BW_DIHEDRAL_ROTATE90: dx = y; dy = w - 1 - x; break; /* counter-clockwise */
            case BW_DIHEDRAL_ROTATE180: dx = w - 1 - x; dy = h - 1 - y; break;
            case BW_DIHEDRAL_ROTATE270: dx = h - 1 - y; dy = x; break;
            case BW_DIHEDRAL_FLIPX: dy = h - 1 - y; break;            /* top to bottom */
            case BW_DIHEDRAL_FLIPY: dx = w - 1 - x; break;            /* left to right */
            case BW_DIHEDRAL_FLIP_PLUS1: dx = y; dy = x; break;
            case BW_DIHEDRAL_FLIP_MINUS1: dx = h - 1 - y; dy = w - 1 - x; break;
            }
            memcpy(px + ((size_t)dy * tw + dx) * bpp, src + y * stride + x * bpp, bpp);
        }
    bw_image *out = NULL;
    bw_image_from_pixels(ctx, &out, px, tw * bpp, tw, th, f);
    free(px);
    return out;
}

/*
 * A set's turned variants are exactly the hashes of the turned images, both
 * for an image PDQ does not resample (at most 512 pixels a side) and for a
 * larger one. They name the same transforms as the reference's DCT-derived
 * variants, which lie further from a turned copy.
 */
static void turned_variants(void)
{
    static const uint8_t grey[3] = {128, 128, 128};
    bw_image *small = framed(300, 220, (bw_box){0, 0, 300, 220}, grey, 0);
    bw_image *large = golden("jpeg-420.jpg");
    bw_image *one_channel = golden("jpeg-grey.jpg"); /* sampled a byte a pixel */
    if (!small || !large || !one_channel)
        goto done;
    bw_pdq_set *set;
    bw_pdq_set_create(&set);
    for (int pass = 0; pass < 3; pass++) {
        bw_image *img = pass == 2 ? one_channel : pass ? large : small;
        uint8_t ref[BW_PDQ_DIHEDRAL_COUNT][BW_PDQ_BYTES];
        CHECK_EQ(bw_pdq_hash_image_dihedral(ctx, ref, NULL, img), BW_OK);
        CHECK_EQ(bw_pdq_set_compute(ctx, set, BW_PDQ_SET_DIHEDRAL, img), BW_OK);
        CHECK_EQ(bw_pdq_set_count(set), BW_PDQ_DIHEDRAL_COUNT);
        int closer = 0, nearer = 0;
        for (int d = 1; d < BW_PDQ_DIHEDRAL_COUNT && d < (int)bw_pdq_set_count(set); d++) {
            const bw_pdq_part *p = bw_pdq_set_get(set, (size_t)d);
            CHECK_EQ(p->transform, (bw_dihedral)d);
            CHECK_EQ(p->kind, BW_PART_WHOLE);
            bw_image *t = turned(img, (bw_dihedral)d);
            uint8_t direct[BW_PDQ_BYTES];
            CHECK_EQ(bw_pdq_hash_image(ctx, direct, NULL, t), BW_OK);
            const int to_turned = bw_pdq_distance(direct, p->hash);
            const int ref_to_turned = bw_pdq_distance(direct, ref[d]);
            CHECK_EQ(to_turned, 0);
            /* Same transform as the reference's variant of that number. */
            CHECK(bw_pdq_distance(p->hash, ref[d]) <= 64);
            closer += to_turned <= ref_to_turned;
            nearer += ref_to_turned > 0;
            bw_image_free(t);
        }
        CHECK_EQ(closer, BW_PDQ_DIHEDRAL_COUNT - 1);
        /* The two ways differ, or this test would show nothing. */
        CHECK(nearer >= 4);
    }
    bw_pdq_set_free(set);
done:
    bw_image_free(small);
    bw_image_free(large);
    bw_image_free(one_channel);
}

/* Edge regions for queries: the bank's l30, r30, t30 and b30 and the
 * bands l60 ... b60 and l70 ... b70, the same hashes as in a full region
 * set. */
static void edge_regions(void)
{
    bw_image *img = golden("jpeg-420.jpg");
    if (!img)
        return;
    bw_pdq_set *edges, *all;
    bw_pdq_set_create(&edges);
    bw_pdq_set_create(&all);
    CHECK_EQ(bw_pdq_set_compute(ctx, edges, BW_PDQ_SET_EDGES, img), BW_OK);
    CHECK_EQ(bw_pdq_set_compute(ctx, all, BW_PDQ_SET_REGIONS, img), BW_OK);
    CHECK_EQ(bw_pdq_set_count(edges), 13);
    static const char *const names[12] = {"l30", "r30", "t30", "b30", "l60", "r60",
                                           "t60", "b60", "l70", "r70", "t70", "b70"};
    for (size_t i = 1; i < bw_pdq_set_count(edges) && i <= 12; i++) {
        const bw_pdq_part *p = bw_pdq_set_get(edges, i);
        CHECK_EQ(p->kind, BW_PART_REGION);
        CHECK_STR(p->name, names[i - 1]);
        CHECK_EQ(p->region, bw_pdq_region_parse(names[i - 1]));
        int found = 0;
        for (size_t j = 0; j < bw_pdq_set_count(all); j++) {
            const bw_pdq_part *q = bw_pdq_set_get(all, j);
            if (q->region == p->region) {
                found++;
                CHECK(memcmp(q->hash, p->hash, BW_PDQ_BYTES) == 0);
                check_box(q->box, p->box);
            }
        }
        CHECK_EQ(found, 1);
    }
    /* With the regions asked for as well, each edge region comes once. */
    CHECK_EQ(bw_pdq_set_compute(ctx, all, BW_PDQ_SET_REGIONS | BW_PDQ_SET_EDGES, img), BW_OK);
    CHECK_EQ(bw_pdq_set_count(all), 1 + BW_PDQ_REGION_COUNT);
    bw_pdq_set_free(edges);
    bw_pdq_set_free(all);
    bw_image_free(img);
}

/* A low-detail picture: bank sets keep its flatter regions down to
 * BW_PDQ_REGION_LOW_QUALITY, query edge regions stay at
 * BW_PDQ_REGION_MIN_QUALITY, and a flat region reaches only
 * BW_PDQ_LOW_QUALITY_DISTANCE. */
static void low_detail_regions(void)
{
    bw_image *img = golden("png-wide.png");
    if (!img)
        return;
    bw_pdq_set *set;
    bw_pdq_set_create(&set);
    CHECK_EQ(bw_pdq_set_compute(ctx, set, BW_PDQ_SET_REGIONS, img), BW_OK);
    int low = 0, regions = 0;
    for (size_t i = 0; i < bw_pdq_set_count(set); i++) {
        const bw_pdq_part *p = bw_pdq_set_get(set, i);
        if (p->kind != BW_PART_REGION)
            continue;
        regions++;
        CHECK(p->quality >= BW_PDQ_REGION_LOW_QUALITY);
        CHECK(bw_pdq_part_bankable(p));
        low += p->quality < BW_PDQ_REGION_MIN_QUALITY;
    }
    /* The whole image is banked from 50 only. */
    CHECK(bw_pdq_part_bankable(bw_pdq_set_get(set, 0)));
    CHECK(!bw_pdq_part_bankable(NULL));
    uint8_t flat[64 * 64];
    memset(flat, 90, sizeof flat);
    bw_image *plain = NULL;
    CHECK_EQ(bw_image_from_pixels(ctx, &plain, flat, 64, 64, 64, BW_PIXEL_GREY8), BW_OK);
    CHECK_EQ(bw_pdq_set_compute(ctx, set, BW_PDQ_SET_WHOLE, plain), BW_OK);
    CHECK(bw_pdq_set_get(set, 0)->quality < BW_PDQ_REGION_MIN_QUALITY);
    CHECK(!bw_pdq_part_bankable(bw_pdq_set_get(set, 0)));
    bw_image_free(plain);
    /* This 900x180 strip's whole hash is of quality 59; a good share of
     * its crops fall under 50 (24 of them, as computed when this test was
     * written), none of the kept ones under 30. */
    CHECK(low >= 10);
    CHECK(regions > low);
    /* A query's edge regions from 50, its bands from 30 like the bank's. */
    CHECK_EQ(bw_pdq_set_compute(ctx, set, BW_PDQ_SET_EDGES, img), BW_OK);
    int low_bands = 0;
    for (size_t i = 1; i < bw_pdq_set_count(set); i++) {
        const bw_pdq_part *p = bw_pdq_set_get(set, i);
        const bool band = p->region >= BW_PDQ_REGION_FIRST_BAND;
        CHECK(p->quality >= (band ? BW_PDQ_REGION_LOW_QUALITY : BW_PDQ_REGION_MIN_QUALITY));
        low_bands += band && p->quality < BW_PDQ_REGION_MIN_QUALITY;
    }
    CHECK(low_bands > 0);
    CHECK_EQ(bw_pdq_region_reach(BW_PDQ_REGION_MIN_QUALITY - 1), BW_PDQ_LOW_QUALITY_DISTANCE);
    CHECK_EQ(bw_pdq_region_reach(BW_PDQ_REGION_MIN_QUALITY), 256);
    CHECK_EQ(bw_pdq_region_reach(100), 256);
    bw_pdq_set_free(set);
    bw_image_free(img);
}

int main(void)
{
    bw_ctx_create(&ctx);
    RUN(borders_exact);
    RUN(screenshot_frame);
    RUN(picture_in_window);
    RUN(picture_under_white_clouds);
    RUN(picture_cut_by_a_horizon);
    RUN(pictures_in_random_windows);
    RUN(flat_keeps_whole);
    RUN(crop_copies_pixels);
    RUN(region_boxes_and_names);
    RUN(sets_are_deterministic);
    RUN(content_hash_of_framed_copy);
    RUN(chat_screenshot_of_a_figure);
    RUN(small_rotations_undone);
    RUN(framed_picture_rotated);
    RUN(rotated_and_cropped);
    RUN(dark_pictures_rotated);
    RUN(turned_variants);
    RUN(edge_regions);
    RUN(low_detail_regions);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

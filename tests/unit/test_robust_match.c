/*
 * Content added with bw_bank_add_content() and matched robustly, on both
 * store backends: an edited copy that plain matching misses is found, the
 * match says which region of the original it is, a bank's settings decide
 * what is stored, distinct scenes never match each other, a query hash
 * meets only the banked parts its edit can give, and a flat region
 * reaches less far.
 *   test_robust_match sqlite DIR     |     test_robust_match postgresql
 */
#include <bulwark/bulwark.h>

#include "harness.h"

static bw_ctx *ctx;
static bw_store *store;
static char location[4096];

static unsigned char *golden_bytes(const char *name, size_t *size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/golden/%s", BW_TEST_DATA, name);
    unsigned char *data = bwt_read(path, size);
    if (!data)
        fprintf(stderr, "cannot read %s\n", path);
    return data;
}

static int count_pdq(void *arg, const bw_bank_info *b)
{
    ((uint64_t *)arg)[0] = b->count_by_type[BW_SIGNAL_PDQ];
    ((uint64_t *)arg)[1] = b->count_by_type[BW_SIGNAL_MD5];
    return 0;
}

/* The edited copy: the centre of the image with 20 % of each dimension
 * cut away, then framed in a black letterbox, as a re-post might be. */
static bw_image *cropped_and_boxed(const bw_image *img)
{
    const uint32_t w = bw_image_width(img), h = bw_image_height(img);
    const uint32_t dx = w / 10, dy = h / 10, cw = w - 2 * dx, ch = h - 2 * dy, bar = h / 5;
    bw_pixel_format f;
    size_t stride;
    const uint8_t *src = bw_image_pixels(img, &f, &stride);
    uint8_t *px = calloc((size_t)cw * (ch + 2 * bar), 3);
    for (uint32_t y = 0; y < ch; y++)
        memcpy(px + (size_t)(y + bar) * cw * 3, src + (y + dy) * stride + dx * 3, (size_t)cw * 3);
    bw_image *out = NULL;
    bw_image_from_pixels(ctx, &out, px, (size_t)cw * 3, cw, ch + 2 * bar, BW_PIXEL_RGB8);
    free(px);
    return out;
}

static void edited_copy_found_only_robustly(void)
{
    size_t size;
    unsigned char *data = golden_bytes("jpeg-420.jpg", &size);
    if (!data)
        return;
    CHECK_EQ(bw_bank_create(ctx, store, "robust", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_bank_create(ctx, store, "plain", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_bank_set_settings(ctx, store, "plain", "{\"content_signals\":[\"pdq\"]}"),
             BW_OK);
    bw_content_stats stats;
    CHECK_EQ(bw_bank_add_content(ctx, store, "robust", data, size, "{\"case\":\"a\"}", "test",
                                 &stats),
             BW_OK);
    /* The whole image, its regions and 3 digests: a scene without borders. */
    CHECK_EQ(stats.added, 4 + BW_PDQ_REGION_COUNT);
    CHECK_EQ(stats.regions, BW_PDQ_REGION_COUNT);
    CHECK_EQ(stats.duplicates, 0);
    CHECK_EQ(bw_bank_add_content(ctx, store, "robust", data, size, NULL, NULL, &stats), BW_OK);
    CHECK_EQ(stats.added, 0);
    CHECK_EQ(stats.duplicates, 4 + BW_PDQ_REGION_COUNT);
    CHECK_EQ(bw_bank_add_content(ctx, store, "plain", data, size, NULL, NULL, &stats), BW_OK);
    CHECK_EQ(stats.added, 1);
    uint64_t counts[2] = {0, 0};
    CHECK_EQ(bw_bank_get(ctx, store, "plain", count_pdq, counts), BW_OK);
    CHECK_EQ(counts[0], 1);
    CHECK_EQ(counts[1], 0);
    CHECK_EQ(bw_bank_get(ctx, store, "robust", count_pdq, counts), BW_OK);
    CHECK_EQ(counts[0], 1 + BW_PDQ_REGION_COUNT);
    CHECK_EQ(counts[1], 1);

    bw_image *img = NULL, *edited = NULL;
    CHECK_EQ(bw_image_decode(ctx, &img, data, size), BW_OK);
    edited = cropped_and_boxed(img);
    CHECK(edited != NULL);
    bw_matcher *m = NULL;
    bw_matches *found;
    bw_pdq_set *set;
    bw_matches_create(&found);
    bw_pdq_set_create(&set);
    CHECK_EQ(bw_matcher_create(ctx, &m, store), BW_OK);
    if (!m || !edited)
        goto done;
    /* Plain: the edited copy's own hash matches nothing. */
    uint8_t hash[BW_PDQ_BYTES];
    CHECK_EQ(bw_pdq_hash_image(ctx, hash, NULL, edited), BW_OK);
    CHECK_EQ(bw_matcher_match_pdq(ctx, m, found, hash, BW_PDQ_DEFAULT_THRESHOLD), BW_OK);
    CHECK_EQ(bw_matches_count(found), 0);
    /* Robust: its content box (the letterbox removed) matches the
     * original's centre region, and only in the bank that stores regions. */
    CHECK_EQ(bw_pdq_set_compute(ctx, set,
                                BW_PDQ_SET_WHOLE | BW_PDQ_SET_CONTENT | BW_PDQ_SET_DIHEDRAL,
                                edited),
             BW_OK);
    CHECK_EQ(bw_matcher_match_set(ctx, m, found, set, NULL, BW_PDQ_DEFAULT_THRESHOLD), BW_OK);
    CHECK(bw_matches_count(found) >= 1);
    CHECK(bw_matches_actionable(found));
    for (size_t i = 0; i < bw_matches_count(found); i++) {
        const bw_match_info *x = bw_matches_get(found, i);
        CHECK_STR(x->bank, "robust");
        CHECK(x->region != NULL && x->region[0] == 'c');
        CHECK(x->query_part != NULL && !strncmp(x->query_part, "content", 7));
        CHECK(x->metadata && strstr(x->metadata, "\"case\":\"a\"") &&
              strstr(x->metadata, "\"part\":\"region\""));
        CHECK_STR(x->source, "test");
        CHECK(x->distance <= BW_PDQ_DEFAULT_THRESHOLD);
    }
    const bw_match_info *best = bw_matches_get(found, 0);
    if (best)
        CHECK_STR(best->region, "c20");
    /* The unedited file matches its whole-image hash, reported as such. */
    CHECK_EQ(bw_pdq_set_compute(ctx, set, BW_PDQ_SET_WHOLE | BW_PDQ_SET_CONTENT, img), BW_OK);
    CHECK_EQ(bw_matcher_match_set(ctx, m, found, set, NULL, 0), BW_OK);
    CHECK_EQ(bw_matches_count(found), 2); /* the whole-image hash in each bank */
    for (size_t i = 0; i < bw_matches_count(found); i++) {
        CHECK(bw_matches_get(found, i)->region == NULL);
        CHECK_STR(bw_matches_get(found, i)->query_part, "whole");
    }
done:
    bw_matcher_free(m);
    bw_matches_free(found);
    bw_pdq_set_free(set);
    bw_image_free(edited);
    bw_image_free(img);
    free(data);
}

/* A golden image decoded, with a set and matches to use on it; the
 * matcher is created by the test once its banks hold what it needs. */
typedef struct scene {
    unsigned char *data;
    size_t size;
    bw_image *img;
    bw_pdq_set *set;
    bw_matches *found;
    bw_matcher *m;
} scene;

static bool scene_open(scene *sc, const char *name)
{
    memset(sc, 0, sizeof *sc);
    sc->data = golden_bytes(name, &sc->size);
    if (!sc->data)
        return false;
    CHECK_EQ(bw_image_decode(ctx, &sc->img, sc->data, sc->size), BW_OK);
    bw_pdq_set_create(&sc->set);
    bw_matches_create(&sc->found);
    return sc->img && sc->set && sc->found;
}

static void scene_close(scene *sc)
{
    bw_matcher_free(sc->m);
    bw_matches_free(sc->found);
    bw_pdq_set_free(sc->set);
    bw_image_free(sc->img);
    free(sc->data);
}

/* The query hash that is hash, in a set; NULL when none is. */
static const bw_pdq_part *part_with(const bw_pdq_set *set, const char *name,
                                    bw_dihedral transform)
{
    for (size_t i = 0; i < bw_pdq_set_count(set); i++) {
        const bw_pdq_part *p = bw_pdq_set_get(set, i);
        if (!strcmp(p->name, name) && p->transform == transform)
            return p;
    }
    return NULL;
}

/* A query hash meets only the banked parts its edit can give: an edge
 * region its own region, a turned hash no crop region. Banked copies of
 * the query's own hashes, labelled as other parts, show it at distance 0. */
static void parts_meet_only_their_own(void)
{
    CHECK(bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, -1, -1));
    CHECK(bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, -1, bw_pdq_region_parse("c10")));
    CHECK(bw_pdq_parts_meet(BW_DIHEDRAL_ROTATE90, -1, -1));
    CHECK(!bw_pdq_parts_meet(BW_DIHEDRAL_ROTATE90, -1, bw_pdq_region_parse("c10")));
    CHECK(!bw_pdq_parts_meet(BW_DIHEDRAL_FLIPX, -1, bw_pdq_region_parse("r30")));
    CHECK(bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, bw_pdq_region_parse("r30"),
                            bw_pdq_region_parse("r30")));
    CHECK(!bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, bw_pdq_region_parse("r30"),
                             bw_pdq_region_parse("l30")));
    CHECK(!bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, bw_pdq_region_parse("r30"), -1));
    CHECK(bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, BW_PDQ_REGION_CENTRES,
                            bw_pdq_region_parse("c02")));
    CHECK(bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, BW_PDQ_REGION_CENTRES,
                            bw_pdq_region_parse("c30")));
    CHECK(!bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, BW_PDQ_REGION_CENTRES,
                             bw_pdq_region_parse("l02")));
    CHECK(!bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, BW_PDQ_REGION_CENTRES, -1));
    /* Bands meet only the query's band of the same name. */
    const int l60 = bw_pdq_region_parse("l60");
    CHECK(l60 >= BW_PDQ_REGION_FIRST_BAND);
    CHECK(bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, l60, l60));
    CHECK(!bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, bw_pdq_region_parse("r60"), l60));
    CHECK(!bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, -1, l60));
    CHECK(!bw_pdq_parts_meet(BW_DIHEDRAL_ORIGINAL, BW_PDQ_REGION_CENTRES, l60));
    /* Bands pair across their picture only: l with r, t with b, whatever
     * their widths; never on one side (nested) or on two sides that meet in
     * a corner. */
    const int r60 = bw_pdq_region_parse("r60"), l70 = bw_pdq_region_parse("l70"),
              r70 = bw_pdq_region_parse("r70"), t60 = bw_pdq_region_parse("t60"),
              t70 = bw_pdq_region_parse("t70"), b70 = bw_pdq_region_parse("b70");
    CHECK(r60 > l60 && l70 > l60 && r70 > l60 && t60 > l60 && t70 > l60 && b70 > l60);
    CHECK(bw_pdq_bands_opposite(l60, r60) && bw_pdq_bands_opposite(r60, l60));
    CHECK(bw_pdq_bands_opposite(l60, r70) && bw_pdq_bands_opposite(l70, r60));
    CHECK(bw_pdq_bands_opposite(l70, r70) && bw_pdq_bands_opposite(t70, b70));
    CHECK(bw_pdq_bands_opposite(t60, b70));
    CHECK(!bw_pdq_bands_opposite(l60, l70) && !bw_pdq_bands_opposite(l60, l60));
    CHECK(!bw_pdq_bands_opposite(l60, t60) && !bw_pdq_bands_opposite(l70, t70));
    CHECK(!bw_pdq_bands_opposite(r70, b70) && !bw_pdq_bands_opposite(t60, r70));
    CHECK(!bw_pdq_bands_opposite(bw_pdq_region_parse("r30"), bw_pdq_region_parse("l30")));
    CHECK(!bw_pdq_bands_opposite(-1, l60) && !bw_pdq_bands_opposite(l60, BW_PDQ_REGION_COUNT));

    scene sc;
    if (!scene_open(&sc, "jpeg-420.jpg"))
        goto done;
    CHECK_EQ(bw_pdq_set_compute(ctx, sc.set, BW_PDQ_SET_ROBUST_QUERY, sc.img), BW_OK);
    const bw_pdq_part *r30 = part_with(sc.set, "r30", BW_DIHEDRAL_ORIGINAL);
    const bw_pdq_part *turned = part_with(sc.set, "whole", BW_DIHEDRAL_ROTATE90);
    const bw_pdq_part *tilted = part_with(sc.set, "tilted+4", BW_DIHEDRAL_ORIGINAL);
    CHECK(r30 != NULL && turned != NULL && tilted != NULL);
    if (!r30 || !turned || !tilted)
        goto done;
    CHECK_EQ(tilted->region, BW_PDQ_REGION_CENTRES);
    char r30_hex[BW_PDQ_HEX_CHARS + 1], turned_hex[BW_PDQ_HEX_CHARS + 1];
    char tilted_hex[BW_PDQ_HEX_CHARS + 1];
    bw_pdq_to_hex(r30_hex, r30->hash);
    bw_pdq_to_hex(turned_hex, turned->hash);
    bw_pdq_to_hex(tilted_hex, tilted->hash);
    /* A tilted hash stands for a centre crop only: not for a side crop,
     * nor for the whole picture. */
    CHECK_EQ(bw_bank_create(ctx, store, "parts-tilted-other", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "parts-tilted-other", BW_SIGNAL_PDQ, tilted_hex, NULL,
                           "{\"part\":\"region\",\"region\":\"r10\"}", NULL),
             BW_OK);
    CHECK_EQ(bw_bank_create(ctx, store, "parts-tilted-whole", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "parts-tilted-whole", BW_SIGNAL_PDQ, tilted_hex, NULL,
                           NULL, NULL),
             BW_OK);
    CHECK_EQ(bw_bank_create(ctx, store, "parts-tilted-own", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "parts-tilted-own", BW_SIGNAL_PDQ, tilted_hex, NULL,
                           "{\"part\":\"region\",\"region\":\"c12\"}", NULL),
             BW_OK);
    CHECK_EQ(bw_bank_create(ctx, store, "parts-other", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_bank_create(ctx, store, "parts-own", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "parts-other", BW_SIGNAL_PDQ, r30_hex, NULL,
                           "{\"part\":\"region\",\"region\":\"l30\"}", NULL),
             BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "parts-other", BW_SIGNAL_PDQ, turned_hex, NULL,
                           "{\"part\":\"region\",\"region\":\"c10\"}", NULL),
             BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "parts-own", BW_SIGNAL_PDQ, r30_hex, NULL,
                           "{\"part\":\"region\",\"region\":\"r30\"}", NULL),
             BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "parts-own", BW_SIGNAL_PDQ, turned_hex, NULL, NULL, NULL),
             BW_OK);
    CHECK_EQ(bw_matcher_create(ctx, &sc.m, store), BW_OK);
    if (!sc.m)
        goto done;
    CHECK_EQ(bw_matcher_match_set(ctx, sc.m, sc.found, sc.set, NULL, 0), BW_OK);
    int own = 0;
    for (size_t i = 0; i < bw_matches_count(sc.found); i++) {
        const bw_match_info *x = bw_matches_get(sc.found, i);
        /* The banks of the tests before hold this image's own parts. */
        if (strncmp(x->bank, "parts-", 6) != 0)
            continue;
        if (strcmp(x->bank, "parts-own") != 0 && strcmp(x->bank, "parts-tilted-own") != 0) {
            fprintf(stderr, "matched %s via %s\n", x->region ? x->region : "whole",
                    x->query_part);
            CHECK(!"a query hash met a part it cannot stand for");
            continue;
        }
        own++;
        if (!strcmp(x->value, tilted_hex)) {
            CHECK_STR(x->region, "c12");
            CHECK_STR(x->query_part, "tilted+4");
        } else if (!strcmp(x->value, r30_hex)) {
            CHECK_STR(x->region, "r30");
            CHECK_STR(x->query_part, "r30");
        } else {
            CHECK(x->region == NULL);
            CHECK_EQ(x->transform, BW_DIHEDRAL_ROTATE90);
        }
    }
    CHECK_EQ(own, 3);
done:
    scene_close(&sc);
}

/* Whether a match in bank "flat" is the banked hash `hex`. */
static bool matched_value(const bw_matches *found, const char *hex)
{
    for (size_t i = 0; i < bw_matches_count(found); i++) {
        const bw_match_info *x = bw_matches_get(found, i);
        if (!strcmp(x->bank, "flat") && !strcmp(x->value, hex))
            return true;
    }
    return false;
}

/* A query `bits` bits away from hash (the first bits flipped). */
static void flipped(uint8_t out[BW_PDQ_BYTES], const uint8_t *hash, int bits)
{
    memcpy(out, hash, BW_PDQ_BYTES);
    for (int b = 0; b < bits; b++)
        out[b / 8] ^= (uint8_t)(1u << (b % 8));
}

/* A banked region under quality 50 (of a low-detail strip) carries its
 * quality and matches within BW_PDQ_LOW_QUALITY_DISTANCE only; a region
 * of 50 or more matches up to the threshold. */
static void flat_regions_reach_less(void)
{
    scene sc;
    if (!scene_open(&sc, "png-wide.png"))
        goto done;
    CHECK_EQ(bw_bank_create(ctx, store, "flat", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_bank_add_content(ctx, store, "flat", sc.data, sc.size, NULL, NULL, NULL),
             BW_OK);
    CHECK_EQ(bw_pdq_set_compute(ctx, sc.set, BW_PDQ_SET_REGIONS, sc.img), BW_OK);
    const bw_pdq_part *low = NULL, *high = NULL;
    for (size_t i = 0; i < bw_pdq_set_count(sc.set); i++) {
        const bw_pdq_part *p = bw_pdq_set_get(sc.set, i);
        if (p->kind == BW_PART_REGION && p->quality < BW_PDQ_REGION_MIN_QUALITY && !low)
            low = p;
        if (p->kind == BW_PART_REGION && p->quality >= BW_PDQ_REGION_MIN_QUALITY && !high)
            high = p;
    }
    CHECK(low != NULL && high != NULL);
    CHECK_EQ(bw_matcher_create(ctx, &sc.m, store), BW_OK);
    if (!low || !high || !sc.m)
        goto done;
    char hex[BW_PDQ_HEX_CHARS + 1];
    uint8_t q[BW_PDQ_BYTES];
    bw_pdq_to_hex(hex, low->hash);
    flipped(q, low->hash, 0);
    CHECK_EQ(bw_matcher_match_pdq(ctx, sc.m, sc.found, q, BW_PDQ_DEFAULT_THRESHOLD), BW_OK);
    CHECK(matched_value(sc.found, hex));
    char want[64];
    snprintf(want, sizeof want, "\"quality\":%d", low->quality);
    for (size_t i = 0; i < bw_matches_count(sc.found); i++)
        if (!strcmp(bw_matches_get(sc.found, i)->value, hex))
            CHECK(strstr(bw_matches_get(sc.found, i)->metadata, want) != NULL);
    flipped(q, low->hash, BW_PDQ_LOW_QUALITY_DISTANCE);
    CHECK_EQ(bw_matcher_match_pdq(ctx, sc.m, sc.found, q, BW_PDQ_DEFAULT_THRESHOLD), BW_OK);
    CHECK(matched_value(sc.found, hex));
    flipped(q, low->hash, BW_PDQ_LOW_QUALITY_DISTANCE + 1);
    CHECK_EQ(bw_matcher_match_pdq(ctx, sc.m, sc.found, q, BW_PDQ_DEFAULT_THRESHOLD), BW_OK);
    CHECK(!matched_value(sc.found, hex));
    bw_pdq_to_hex(hex, high->hash);
    flipped(q, high->hash, BW_PDQ_DEFAULT_THRESHOLD);
    CHECK_EQ(bw_matcher_match_pdq(ctx, sc.m, sc.found, q, BW_PDQ_DEFAULT_THRESHOLD), BW_OK);
    CHECK(matched_value(sc.found, hex));
done:
    scene_close(&sc);
}

/* Distance of the match in bank `bank` through query part `part`, or -1. */
static int matched_via(const bw_matches *found, const char *bank, const char *part)
{
    for (size_t i = 0; i < bw_matches_count(found); i++) {
        const bw_match_info *x = bw_matches_get(found, i);
        if (!strcmp(x->bank, bank) && x->query_part && !strcmp(x->query_part, part))
            return x->distance;
    }
    return -1;
}

/* Standard queries' edge regions (BW_PDQ_SET_NEAR_EDGES) reach only
 * BW_PDQ_NEAR_EDGE_DISTANCE; robust queries' (BW_PDQ_SET_EDGES) the whole
 * threshold. The bank holds the image's r30 region 12 bits away and its
 * l30 region 20 bits away, as a copy with a logo at one side and the
 * different photo of one scene would. */
static void near_edges_reach_less(void)
{
    scene sc;
    if (!scene_open(&sc, "jpeg-420.jpg"))
        goto done;
    CHECK_EQ(bw_pdq_set_compute(ctx, sc.set, BW_PDQ_SET_NEAR_EDGES, sc.img), BW_OK);
    CHECK_EQ(bw_pdq_set_count(sc.set), 5); /* the whole image and l30, r30, t30, b30 */
    CHECK_EQ(bw_pdq_set_get(sc.set, 0)->reach, 256);
    for (size_t i = 1; i < bw_pdq_set_count(sc.set); i++) {
        CHECK_EQ(bw_pdq_set_get(sc.set, i)->kind, BW_PART_REGION);
        CHECK_EQ(bw_pdq_set_get(sc.set, i)->reach, BW_PDQ_NEAR_EDGE_DISTANCE);
    }
    const bw_pdq_part *r30 = part_with(sc.set, "r30", BW_DIHEDRAL_ORIGINAL);
    const bw_pdq_part *l30 = part_with(sc.set, "l30", BW_DIHEDRAL_ORIGINAL);
    CHECK(r30 != NULL && l30 != NULL);
    if (!r30 || !l30)
        goto done;
    uint8_t q[BW_PDQ_BYTES];
    char hex[BW_PDQ_HEX_CHARS + 1];
    CHECK_EQ(bw_bank_create(ctx, store, "near", BW_BANK_BLOCK, NULL), BW_OK);
    flipped(q, r30->hash, 12);
    bw_pdq_to_hex(hex, q);
    CHECK_EQ(bw_signal_add(ctx, store, "near", BW_SIGNAL_PDQ, hex, NULL,
                           "{\"part\":\"region\",\"region\":\"r30\"}", NULL),
             BW_OK);
    flipped(q, l30->hash, 20);
    bw_pdq_to_hex(hex, q);
    CHECK_EQ(bw_signal_add(ctx, store, "near", BW_SIGNAL_PDQ, hex, NULL,
                           "{\"part\":\"region\",\"region\":\"l30\"}", NULL),
             BW_OK);
    CHECK_EQ(bw_matcher_create(ctx, &sc.m, store), BW_OK);
    if (!sc.m)
        goto done;
    CHECK_EQ(bw_matcher_match_set(ctx, sc.m, sc.found, sc.set, NULL, BW_PDQ_DEFAULT_THRESHOLD),
             BW_OK);
    CHECK_EQ(matched_via(sc.found, "near", "r30"), 12);
    CHECK_EQ(matched_via(sc.found, "near", "l30"), -1);
    /* The standard query set is the same for these parts. */
    CHECK_EQ(bw_pdq_set_compute(ctx, sc.set, BW_PDQ_SET_STANDARD_QUERY, sc.img), BW_OK);
    CHECK_EQ(bw_matcher_match_set(ctx, sc.m, sc.found, sc.set, NULL, BW_PDQ_DEFAULT_THRESHOLD),
             BW_OK);
    CHECK_EQ(matched_via(sc.found, "near", "r30"), 12);
    CHECK_EQ(matched_via(sc.found, "near", "l30"), -1);
    /* A lower threshold still rules. */
    CHECK_EQ(bw_matcher_match_set(ctx, sc.m, sc.found, sc.set, NULL, 10), BW_OK);
    CHECK_EQ(matched_via(sc.found, "near", "r30"), -1);
    /* Robust queries reach the threshold; with both flags, edges are
     * robust's. */
    CHECK_EQ(bw_pdq_set_compute(ctx, sc.set, BW_PDQ_SET_ROBUST_QUERY | BW_PDQ_SET_NEAR_EDGES,
                                sc.img),
             BW_OK);
    CHECK_EQ(part_with(sc.set, "l30", BW_DIHEDRAL_ORIGINAL)->reach, 256);
    CHECK_EQ(bw_matcher_match_set(ctx, sc.m, sc.found, sc.set, NULL, BW_PDQ_DEFAULT_THRESHOLD),
             BW_OK);
    CHECK_EQ(matched_via(sc.found, "near", "r30"), 12);
    CHECK_EQ(matched_via(sc.found, "near", "l30"), 20);
done:
    scene_close(&sc);
}

static int grab_settings(void *arg, const bw_bank_info *b)
{
    *(char **)arg = b->settings ? strdup(b->settings) : NULL;
    return 0;
}

/* Settings name signals Bulwark knows, as a list. */
static void bad_settings_refused(void)
{
    size_t size;
    unsigned char *data = golden_bytes("png-rgb.png", &size);
    if (!data)
        return;
    CHECK_EQ(bw_bank_create(ctx, store, "odd", BW_BANK_BLOCK, NULL), BW_OK);
    /* Refused when set, not at the next file banked; the settings stay. */
    CHECK_EQ(bw_bank_set_settings(ctx, store, "odd", "{\"content_signals\":[\"md5\"]}"), BW_OK);
    CHECK_EQ(bw_bank_set_settings(ctx, store, "odd", "{\"content_signals\":[\"pdq\",\"crc\"]}"),
             BW_ERR_PARSE);
    CHECK(strstr(bw_ctx_message(ctx), "crc") != NULL);
    CHECK_EQ(bw_bank_set_settings(ctx, store, "odd", "{\"content_signals\":\"pdq\"}"),
             BW_ERR_PARSE);
    CHECK(strstr(bw_ctx_message(ctx), "must be a list") != NULL);
    char *kept = NULL;
    CHECK_EQ(bw_bank_get(ctx, store, "odd", grab_settings, &kept), BW_OK);
    CHECK(kept && strstr(kept, "md5") && !strstr(kept, "crc"));
    free(kept);
    CHECK_EQ(bw_bank_add_content(ctx, store, "missing", data, size, NULL, NULL, NULL),
             BW_ERR_NOT_FOUND);
    static const char not_an_image[] = "just some text, no pixels";
    CHECK_EQ(bw_bank_set_settings(ctx, store, "odd", NULL), BW_OK);
    CHECK(bw_bank_add_content(ctx, store, "odd", not_an_image, sizeof not_an_image, NULL, NULL,
                              NULL) != BW_OK);
    CHECK_EQ(bw_bank_add_content(ctx, store, "odd", data, size, "[1]", NULL, NULL), BW_ERR_PARSE);
    uint64_t counts[2] = {9, 9};
    CHECK_EQ(bw_bank_get(ctx, store, "odd", count_pdq, counts), BW_OK);
    CHECK_EQ(counts[0], 0); /* nothing stored by a failed call */
    free(data);
}

/* Every scene of the conformance set, added with all its regions, matches
 * only itself in robust mode. */
static void distinct_scenes_never_match(void)
{
    static const char *const scenes[] = {"jpeg-420.jpg",     "png-interlaced.png",
                                         "png-rgb.png",      "jpeg-512x512.jpg",
                                         "jpeg-tall.jpg",    "png-wide.png"};
    enum { N = sizeof scenes / sizeof scenes[0] };
    char content[N][65];
    CHECK_EQ(bw_bank_create(ctx, store, "scenes", BW_BANK_BLOCK, NULL), BW_OK);
    bw_hashes *h;
    bw_hashes_create(&h);
    for (int i = 0; i < N; i++) {
        size_t size;
        unsigned char *data = golden_bytes(scenes[i], &size);
        if (!data)
            return;
        CHECK_EQ(bw_bank_add_content(ctx, store, "scenes", data, size, NULL, NULL, NULL), BW_OK);
        uint8_t sha[32];
        CHECK_EQ(bw_hash_bytes(ctx, h, BW_HASH_SHA256, data, size), BW_OK);
        bw_hashes_digest(h, BW_DIGEST_SHA256, sha, sizeof sha);
        bw_hex_encode(content[i], sha, sizeof sha);
        free(data);
    }
    bw_hashes_free(h);
    bw_matcher *m = NULL;
    bw_matches *found;
    bw_pdq_set *set;
    bw_matches_create(&found);
    bw_pdq_set_create(&set);
    CHECK_EQ(bw_matcher_create(ctx, &m, store), BW_OK);
    for (int i = 0; m && i < N; i++) {
        char path[4096], want[512];
        snprintf(path, sizeof path, "%s/golden/%s", BW_TEST_DATA, scenes[i]);
        snprintf(want, sizeof want, "\"content\":\"%s\"", content[i]);
        bw_image *img = NULL;
        CHECK_EQ(bw_image_decode_file(ctx, &img, path), BW_OK);
        CHECK_EQ(bw_pdq_set_compute(ctx, set,
                                    BW_PDQ_SET_WHOLE | BW_PDQ_SET_CONTENT | BW_PDQ_SET_DIHEDRAL,
                                    img),
                 BW_OK);
        CHECK_EQ(bw_matcher_match_set(ctx, m, found, set, NULL, BW_PDQ_DEFAULT_THRESHOLD), BW_OK);
        CHECK(bw_matches_count(found) >= 1);
        for (size_t k = 0; k < bw_matches_count(found); k++) {
            const bw_match_info *x = bw_matches_get(found, k);
            if (!strstr(x->metadata ? x->metadata : "", want))
                fprintf(stderr, "%s matched %s at %d\n", scenes[i], x->metadata, x->distance);
            CHECK(x->metadata && strstr(x->metadata, want));
        }
        bw_image_free(img);
    }
    bw_matcher_free(m);
    bw_matches_free(found);
    bw_pdq_set_free(set);
}

/* img's pixels as RGB (a copy to draw on), or NULL. */
static uint8_t *rgb_copy(const bw_image *img)
{
    const uint32_t w = bw_image_width(img), h = bw_image_height(img);
    bw_pixel_format f;
    size_t stride;
    const uint8_t *src = bw_image_pixels(img, &f, &stride);
    uint8_t *px = malloc((size_t)w * h * 3);
    for (uint32_t y = 0; px && y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int k = 0; k < 3; k++)
                px[((size_t)y * w + x) * 3 + k] =
                    src[y * stride + (f == BW_PIXEL_GREY8 ? x : 3 * x + (uint32_t)k)];
    return px;
}

/* Matches in bank whose region is a band, and whether any other part of
 * that bank matched. */
static int band_matches(const bw_matches *found, const char *bank, int *others)
{
    int bands = 0;
    *others = 0;
    for (size_t i = 0; i < bw_matches_count(found); i++) {
        const bw_match_info *x = bw_matches_get(found, i);
        if (strcmp(x->bank, bank) != 0)
            continue;
        if (bw_pdq_region_parse(x->region) >= BW_PDQ_REGION_FIRST_BAND)
            bands++;
        else
            (*others)++;
    }
    return bands;
}

/* A band is a match only beside a band on the opposite side of the same
 * banked file: a logo stamped in the middle leaves two opposite bands of
 * the picture as they were, while a different picture that shares a side or
 * a corner with the banked one (the same wall behind a moved object) meets
 * one band, or two that meet in a corner. */
static void bands_need_company(void)
{
    scene sc;
    uint8_t *logo = NULL, *half = NULL;
    bw_image *img_logo = NULL, *img_half = NULL;
    bw_pdq_set *bank_set = NULL;
    if (!scene_open(&sc, "jpeg-420.jpg"))
        goto done;
    CHECK_EQ(bw_bank_create(ctx, store, "bands", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_bank_add_content(ctx, store, "bands", sc.data, sc.size, NULL, NULL, NULL),
             BW_OK);
    const uint32_t w = bw_image_width(sc.img), h = bw_image_height(sc.img);
    logo = rgb_copy(sc.img);
    half = rgb_copy(sc.img);
    CHECK(logo && half);
    if (!logo || !half)
        goto done;
    /* A white square 20 % of the width wide in the middle, with a black
     * cross on it. */
    const uint32_t side = w / 5, x0 = (w - side) / 2, y0 = (h - side) / 2;
    for (uint32_t y = y0; y < y0 + side; y++)
        for (uint32_t x = x0; x < x0 + side; x++) {
            const bool ink = x - x0 == y - y0 || x - x0 == side - 1 - (y - y0) ||
                             (x - x0 + 2) % 12 < 4;
            memset(logo + ((size_t)y * w + x) * 3, ink ? 0 : 255, 3);
        }
    /* Everything but the right 40 % replaced by a pattern of grey blocks:
     * only the banked l60 and l70 bands (the right 40 % and 30 %) are left. */
    uint32_t seed = 12345;
    uint8_t block[64][64];
    for (int by = 0; by < 64; by++)
        for (int bx = 0; bx < 64; bx++) {
            seed = seed * 1103515245u + 12345u;
            block[by][bx] = (uint8_t)(seed >> 24);
        }
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w - w * 2 / 5; x++)
            memset(half + ((size_t)y * w + x) * 3, block[(y / 20) % 64][(x / 20) % 64], 3);
    CHECK_EQ(bw_image_from_pixels(ctx, &img_logo, logo, (size_t)w * 3, w, h, BW_PIXEL_RGB8),
             BW_OK);
    CHECK_EQ(bw_image_from_pixels(ctx, &img_half, half, (size_t)w * 3, w, h, BW_PIXEL_RGB8),
             BW_OK);
    CHECK_EQ(bw_matcher_create(ctx, &sc.m, store), BW_OK);
    if (!sc.m || !img_logo || !img_half)
        goto done;
    int others = 0;
    CHECK_EQ(bw_pdq_set_compute(ctx, sc.set, BW_PDQ_SET_ROBUST_QUERY, img_logo), BW_OK);
    CHECK_EQ(bw_matcher_match_set(ctx, sc.m, sc.found, sc.set, NULL, BW_PDQ_DEFAULT_THRESHOLD),
             BW_OK);
    CHECK(band_matches(sc.found, "bands", &others) >= 2);
    /* Standard queries (the default) hold the bands too, dihedral ones not. */
    CHECK_EQ(bw_pdq_set_compute(ctx, sc.set, BW_PDQ_SET_STANDARD_QUERY, img_logo), BW_OK);
    CHECK_EQ(bw_matcher_match_set(ctx, sc.m, sc.found, sc.set, NULL, BW_PDQ_DEFAULT_THRESHOLD),
             BW_OK);
    CHECK(band_matches(sc.found, "bands", &others) >= 2);
    CHECK_EQ(bw_pdq_set_compute(ctx, sc.set, BW_PDQ_SET_DIHEDRAL_QUERY, img_logo), BW_OK);
    CHECK_EQ(bw_matcher_match_set(ctx, sc.m, sc.found, sc.set, NULL, BW_PDQ_DEFAULT_THRESHOLD),
             BW_OK);
    CHECK_EQ(band_matches(sc.found, "bands", &others), 0);
    CHECK_EQ(others, 0);

    /* The half-replaced copy: its l60 band is the banked one, pixel for
     * pixel, so the index finds it; alone, it is no match. */
    CHECK_EQ(bw_pdq_set_compute(ctx, sc.set, BW_PDQ_SET_ROBUST_QUERY, img_half), BW_OK);
    bw_pdq_set_create(&bank_set);
    CHECK_EQ(bw_pdq_set_compute(ctx, bank_set, BW_PDQ_SET_REGIONS, sc.img), BW_OK);
    const bw_pdq_part *q = part_with(sc.set, "l60", BW_DIHEDRAL_ORIGINAL);
    const bw_pdq_part *b = part_with(bank_set, "l60", BW_DIHEDRAL_ORIGINAL);
    CHECK(q && b);
    if (!q || !b)
        goto done;
    CHECK_EQ(bw_pdq_distance(q->hash, b->hash), 0);
    CHECK_EQ(bw_matcher_match_set(ctx, sc.m, sc.found, sc.set, NULL, BW_PDQ_DEFAULT_THRESHOLD),
             BW_OK);
    CHECK_EQ(band_matches(sc.found, "bands", &others), 0);
    CHECK_EQ(others, 0);
    /* Alone in a standard query too. */
    CHECK_EQ(bw_pdq_set_compute(ctx, sc.set, BW_PDQ_SET_STANDARD_QUERY, img_half), BW_OK);
    CHECK(part_with(sc.set, "l60", BW_DIHEDRAL_ORIGINAL) != NULL);
    CHECK_EQ(bw_matcher_match_set(ctx, sc.m, sc.found, sc.set, NULL, BW_PDQ_DEFAULT_THRESHOLD),
             BW_OK);
    CHECK_EQ(band_matches(sc.found, "bands", &others), 0);
    CHECK_EQ(others, 0);
    CHECK_EQ(bw_pdq_set_compute(ctx, sc.set, BW_PDQ_SET_ROBUST_QUERY, img_half), BW_OK);
    /* A band on the opposite side of the same file beside it makes both
     * count; a band that meets it in a corner (t60 overlapping l60, t70
     * beside l70) does not. The query's own hashes banked as the file's
     * bands show it. */
    char hex[BW_PDQ_HEX_CHARS + 1], meta[256], content[65] = "";
    const bw_match_info *any = NULL;
    CHECK_EQ(bw_matcher_match_set(ctx, sc.m, sc.found, bank_set, NULL, 0), BW_OK);
    for (size_t i = 0; i < bw_matches_count(sc.found) && !any; i++)
        if (!strcmp(bw_matches_get(sc.found, i)->bank, "bands"))
            any = bw_matches_get(sc.found, i);
    CHECK(any && any->metadata && strstr(any->metadata, "\"content\""));
    if (!any)
        goto done;
    const char *c = strstr(any->metadata, "\"content\":\"");
    CHECK(c != NULL);
    if (!c)
        goto done;
    /* The next match frees the metadata. */
    snprintf(content, sizeof content, "%.64s", c + strlen("\"content\":\""));
    CHECK_EQ(bw_pdq_set_compute(ctx, sc.set, BW_PDQ_SET_ROBUST_QUERY, img_half), BW_OK);
    static const char *const added[3] = {"t60", "t70", "r60"};
    for (int k = 0; k < 3; k++) {
        const bw_pdq_part *band = part_with(sc.set, added[k], BW_DIHEDRAL_ORIGINAL);
        CHECK(band != NULL);
        if (!band)
            goto done;
        bw_pdq_to_hex(hex, band->hash);
        snprintf(meta, sizeof meta,
                 "{\"part\":\"region\",\"region\":\"%s\",\"content\":\"%s\"}", added[k],
                 content);
        CHECK_EQ(bw_signal_add(ctx, store, "bands", BW_SIGNAL_PDQ, hex, NULL, meta, NULL), BW_OK);
        CHECK_EQ(bw_matcher_refresh(ctx, sc.m, NULL), BW_OK);
        CHECK_EQ(bw_matcher_match_set(ctx, sc.m, sc.found, sc.set, NULL,
                                      BW_PDQ_DEFAULT_THRESHOLD),
                 BW_OK);
        /* t60 beside l60, t70 beside l70: none; r60 opposite l60 and l70
         * (which the copy keeps too): all three, the t bands still not. */
        CHECK_EQ(band_matches(sc.found, "bands", &others), k == 2 ? 3 : 0);
    }
done:
    bw_pdq_set_free(bank_set);
    bw_image_free(img_logo);
    bw_image_free(img_half);
    free(logo);
    free(half);
    scene_close(&sc);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_robust_match sqlite DIR | postgresql\n");
        return 2;
    }
    if (!bwt_store_location(location, sizeof location, argv[1], argc > 2 ? argv[2] : NULL,
                            "test-robust")) {
        printf("SKIP: BW_TEST_PG_URI not set (run through tests/pg/with-postgres.sh)\n");
        return BWT_SKIP;
    }
    bw_ctx_create(&ctx);
    if (bw_store_open(ctx, &store, location) != BW_OK) {
        fprintf(stderr, "cannot open %s: %s\n", location, bw_ctx_message(ctx));
        return 1;
    }
    RUN(edited_copy_found_only_robustly);
    RUN(bad_settings_refused);
    RUN(distinct_scenes_never_match);
    RUN(parts_meet_only_their_own);
    RUN(flat_regions_reach_less);
    RUN(near_edges_reach_less);
    RUN(bands_need_company);
    bw_store_close(store);
    bw_ctx_free(ctx);
    if (strcmp(argv[1], "postgresql") != 0)
        bwt_remove_sqlite(location);
    return BWT_RESULT();
}

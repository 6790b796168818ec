/*
 * The detection-quality benchmark: recall of edited copies and the rate of
 * false matches between distinct images, for each matching mode, at PDQ
 * distance thresholds 16, 24, 31 and 40.
 *
 *   bench_quality [--recall N] [--max-tiles N] [--jobs N] [--same PAIRS]
 *                 [--tile-side PX] [--tiles-per-photo N] [--only EDITS]
 *                 [--fmr 0|1] PHOTO_LIST OUT_DIR
 *
 * Photos are cut into non-overlapping tiles (about PX = 512 pixels a side,
 * at most N = 16 per photo; smaller tiles give more pairs for the
 * false-match rate, --recall 0 measures that alone). A photo that matches an earlier one in robust mode at
 * distance 31 is the same picture shipped twice (another size or crop) and
 * is dropped; so are tiles too flat to hash (quality under 50) and tiles
 * within distance 10 of an earlier tile. Every tile is an original in the
 * bank; false matches are counted over all ordered pairs of distinct tiles,
 * recall over N tiles spread evenly through the corpus, each put through
 * every edit of quality_transforms.c. PAIRS lists photos that are one
 * picture in two files ("A|B": paths holding A and B; a recoloured variant,
 * a composite holding the other), whose tiles are no false matches; false
 * matches are also counted between tiles of different photos only. Writes
 * recall.csv, fmr.csv, worst-pairs.txt, cross-photo-pairs.txt (the closest
 * pairs of tiles of different photos, to distance 40) and failures.csv (every edited copy
 * robust mode missed) to OUT_DIR and a summary table to stdout. To try a
 * change on a few edits quickly, --only takes a comma-separated list of
 * edit or family names (the others report 0 images) and --fmr 0 skips the
 * false-match pass.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulwark/bulwark.h>

#include "quality_transforms.h"

#define THRESHOLDS 4
static const int thresholds[THRESHOLDS] = {16, 24, 31, 40};

/* Matching modes: which query hashes meet which bank hashes. */
enum { M_PLAIN, M_DIHEDRAL, M_CONTENT, M_REGIONS, M_STANDARD, M_ROBUST, MODES };
static const char *const mode_names[MODES] = {"plain",   "dihedral", "content",
                                              "regions", "standard", "robust"};

typedef struct qhash {
    uint64_t bits[4];
    uint8_t modes; /* bit m: the hash takes part in mode m */
    uint8_t kind;
    int8_t region;
    uint8_t transform;
    uint8_t quality;
} qhash;

typedef struct hset {
    qhash *h;
    int n;
} hset;

typedef struct tile {
    int photo;
    int quality;
    bw_box box;
    hset query; /* whole and content, with dihedral variants */
    hset bank;  /* whole, content and regions */
} tile;

static uint8_t query_modes(const bw_pdq_part *p)
{
    const bool orig = p->transform == BW_DIHEDRAL_ORIGINAL;
    uint8_t m = 1u << M_ROBUST;
    if (p->kind == BW_PART_WHOLE) {
        m |= 1u << M_DIHEDRAL | 1u << M_STANDARD;
        if (orig)
            m |= 1u << M_PLAIN | 1u << M_CONTENT | 1u << M_REGIONS;
    } else if (p->kind == BW_PART_CONTENT && orig) {
        m |= 1u << M_CONTENT | 1u << M_STANDARD;
    }
    /* Shaved hashes complement the bank's regions (standard mode queries a
     * bank with regions). The picture turned back is standard's too, but
     * not the tilted hashes (unrotated parts too, with the region
     * BW_PDQ_REGION_CENTRES), which are robust's alone. */
    if (p->kind == BW_PART_SHAVED)
        m |= 1u << M_REGIONS | 1u << M_STANDARD;
    if (p->kind == BW_PART_UNROTATED && p->region != BW_PDQ_REGION_CENTRES)
        m |= 1u << M_STANDARD;
    /* So are the edge regions, within BW_PDQ_NEAR_EDGE_DISTANCE only
     * (min_dists), and the bands, in opposite pairs as in robust mode. */
    if (p->kind == BW_PART_REGION)
        m |= 1u << M_STANDARD;
    return m;
}

static uint8_t bank_modes(const bw_pdq_part *p)
{
    /* Standard mode queries a bank of the default settings, regions
     * included, as `bulwark match` does. */
    uint8_t m = 1u << M_ROBUST | 1u << M_STANDARD;
    if (p->kind == BW_PART_WHOLE)
        m |= 1u << M_PLAIN | 1u << M_DIHEDRAL | 1u << M_CONTENT | 1u << M_REGIONS;
    else if (p->kind == BW_PART_CONTENT)
        m |= 1u << M_CONTENT;
    else
        m |= 1u << M_REGIONS;
    return m;
}

/* The hashes of a set a query uses, or a bank stores (what
 * bw_bank_add_content() keeps of it). */
static bool hset_fill(hset *out, const bw_pdq_set *set, bool bank)
{
    const int count = (int)bw_pdq_set_count(set);
    out->n = 0;
    out->h = calloc((size_t)count + 1, sizeof *out->h);
    if (!out->h)
        return false;
    for (int j = 0; j < count; j++) {
        const bw_pdq_part *p = bw_pdq_set_get(set, (size_t)j);
        if (bank && !bw_pdq_part_bankable(p))
            continue;
        const int i = out->n++;
        for (int k = 0; k < 4; k++) {
            uint64_t v = 0;
            for (int b = 0; b < 8; b++)
                v = v << 8 | p->hash[k * 8 + b];
            out->h[i].bits[k] = v;
        }
        out->h[i].modes = bank ? bank_modes(p) : query_modes(p);
        out->h[i].kind = (uint8_t)p->kind;
        out->h[i].region = (int8_t)p->region;
        out->h[i].transform = (uint8_t)p->transform;
        out->h[i].quality = (uint8_t)p->quality;
    }
    return true;
}

static int dist(const qhash *a, const qhash *b)
{
    return __builtin_popcountll(a->bits[0] ^ b->bits[0]) +
           __builtin_popcountll(a->bits[1] ^ b->bits[1]) +
           __builtin_popcountll(a->bits[2] ^ b->bits[2]) +
           __builtin_popcountll(a->bits[3] ^ b->bits[3]);
}

/* Whether the two parts may match at all, as bw_matcher decides (which
 * also applies bw_pdq_region_reach, in min_dists). */
static bool meet(const qhash *q, const qhash *b)
{
    return bw_pdq_parts_meet((bw_dihedral)q->transform, q->region,
                             b->kind == BW_PART_REGION ? b->region : -1);
}

/* The smallest distance between query and bank hashes in each mode (257
 * when a mode has no pair); *best_q and *best_b say which robust pair.
 * Bands count as bw_matcher_match_set() counts them: only beside a band on
 * the opposite side of the file (bw_pdq_bands_opposite), so a pair of such
 * bands is as far as the further of the two. */
static void min_dists(const hset *q, const hset *b, int out[MODES], int *best_q, int *best_b)
{
    for (int m = 0; m < MODES; m++)
        out[m] = 257;
    int band_d[BW_PDQ_REGION_BANDS], band_q[BW_PDQ_REGION_BANDS], band_b[BW_PDQ_REGION_BANDS];
    for (int k = 0; k < BW_PDQ_REGION_BANDS; k++)
        band_d[k] = 257;
    for (int i = 0; i < q->n; i++)
        for (int j = 0; j < b->n; j++) {
            uint8_t both = q->h[i].modes & b->h[j].modes;
            if (!both || !meet(&q->h[i], &b->h[j]))
                continue;
            const int d = dist(&q->h[i], &b->h[j]);
            /* Standard queries' edge regions are BW_PDQ_SET_NEAR_EDGES'. */
            if (q->h[i].kind == BW_PART_REGION && q->h[i].region < BW_PDQ_REGION_FIRST_BAND &&
                d > BW_PDQ_NEAR_EDGE_DISTANCE)
                both &= (uint8_t)~(1u << M_STANDARD);
            if ((b->h[j].kind == BW_PART_REGION && d > bw_pdq_region_reach(b->h[j].quality)) ||
                (q->h[i].kind == BW_PART_REGION && d > bw_pdq_region_reach(q->h[i].quality)))
                continue;
            const int band = b->h[j].kind == BW_PART_REGION
                                 ? b->h[j].region - BW_PDQ_REGION_FIRST_BAND
                                 : -1;
            if (band >= 0) {
                if (d < band_d[band]) {
                    band_d[band] = d;
                    band_q[band] = i;
                    band_b[band] = j;
                }
                continue;
            }
            if (d >= out[M_ROBUST] && d >= out[M_PLAIN])
                continue;
            for (int m = 0; m < MODES; m++)
                if ((both >> m & 1) && d < out[m]) {
                    out[m] = d;
                    if (m == M_ROBUST && best_q) {
                        *best_q = i;
                        *best_b = j;
                    }
                }
        }
    /* Bands meet only query bands, which standard and robust mode have. */
    for (int a = 0; a < BW_PDQ_REGION_BANDS; a++)
        for (int c = a + 1; c < BW_PDQ_REGION_BANDS; c++) {
            if (!bw_pdq_bands_opposite(BW_PDQ_REGION_FIRST_BAND + a, BW_PDQ_REGION_FIRST_BAND + c))
                continue;
            const int far = band_d[a] > band_d[c] ? a : c;
            if (band_d[far] < out[M_STANDARD])
                out[M_STANDARD] = band_d[far];
            if (band_d[far] < out[M_ROBUST]) {
                out[M_ROBUST] = band_d[far];
                if (best_q) {
                    *best_q = band_q[far];
                    *best_b = band_b[far];
                }
            }
        }
}

/* ---- images ------------------------------------------------------------------ */

static bool to_image(bw_ctx *ctx, bw_image **out, const qimg *img)
{
    return bw_image_from_pixels(ctx, out, img->rgb, (size_t)img->w * 3, img->w, img->h,
                                BW_PIXEL_RGB8) == BW_OK;
}

static bool load_rgb(bw_ctx *ctx, qimg *out, const char *path)
{
    bw_image *img;
    if (bw_image_decode_file(ctx, &img, path) != BW_OK)
        return false;
    bool ok = qimg_alloc(out, bw_image_width(img), bw_image_height(img));
    bw_pixel_format f;
    size_t stride;
    const uint8_t *p = bw_image_pixels(img, &f, &stride);
    for (uint32_t y = 0; ok && y < out->h; y++)
        for (uint32_t x = 0; x < out->w; x++)
            for (int k = 0; k < 3; k++)
                out->rgb[((size_t)y * out->w + x) * 3 + k] =
                    p[y * stride + (f == BW_PIXEL_GREY8 ? x : 3 * x + k)];
    bw_image_free(img);
    return ok;
}

static bool cut(qimg *out, const qimg *in, bw_box b)
{
    if (!qimg_alloc(out, b.width, b.height))
        return false;
    for (uint32_t y = 0; y < b.height; y++)
        memcpy(out->rgb + (size_t)y * b.width * 3,
               in->rgb + ((size_t)(b.y + y) * in->w + b.x) * 3, (size_t)b.width * 3);
    return true;
}

#define QUERY_FLAGS BW_PDQ_SET_ROBUST_QUERY
#define BANK_FLAGS (BW_PDQ_SET_WHOLE | BW_PDQ_SET_CONTENT | BW_PDQ_SET_REGIONS)

static bool hash_sets(bw_ctx *ctx, bw_pdq_set *set, const qimg *img, hset *query, hset *bank,
                      int *quality)
{
    bw_image *im;
    if (!to_image(ctx, &im, img))
        return false;
    bool ok = bw_pdq_set_compute(ctx, set, QUERY_FLAGS, im) == BW_OK && hset_fill(query, set, false);
    if (ok && quality)
        *quality = bw_pdq_set_get(set, 0)->quality;
    if (ok && bank)
        ok = bw_pdq_set_compute(ctx, set, BANK_FLAGS, im) == BW_OK && hset_fill(bank, set, true);
    bw_image_free(im);
    return ok;
}

/* ---- the corpus --------------------------------------------------------------- */

typedef struct corpus {
    char **paths;
    int photos;
    char **same;  /* "A|B": photos whose paths hold A and B are one picture */
    int nsame;
    tile *tiles;
    int n, cap;
    int dropped_photos, flat_tiles, duplicate_tiles;
} corpus;

/* Whether two photos are listed as the same picture (a recoloured variant,
 * a composite holding the other): their tiles are no false matches. */
static bool same_picture(const corpus *c, int p, int q)
{
    for (int k = 0; k < c->nsame; k++) {
        const char *bar = strchr(c->same[k], '|');
        if (!bar)
            continue;
        const size_t n = (size_t)(bar - c->same[k]);
        char a[1024];
        snprintf(a, sizeof a, "%.*s", (int)n, c->same[k]);
        const char *pp = c->paths[p], *qq = c->paths[q], *b = bar + 1;
        if ((strstr(pp, a) && strstr(qq, b)) || (strstr(pp, b) && strstr(qq, a)))
            return true;
    }
    return false;
}

static bool matches_robust(const hset *q, const hset *b, int threshold)
{
    int d[MODES];
    min_dists(q, b, d, NULL, NULL);
    return d[M_ROBUST] <= threshold;
}

/* How photos are cut. */
typedef struct tiling {
    double side;  /* about this many pixels a side */
    uint32_t most; /* at most this many tiles a photo */
} tiling;

/* The tile grid of a photo: about tl.side pixels a side, at most tl.most
 * tiles. */
static void tile_grid(tiling tl, uint32_t w, uint32_t h, uint32_t *cols, uint32_t *rows)
{
    double side = tl.side;
    if ((double)w * h / (side * side) > tl.most)
        side = sqrt((double)w * h / tl.most);
    *cols = (uint32_t)(w / side) ? (uint32_t)(w / side) : 1;
    *rows = (uint32_t)(h / side) ? (uint32_t)(h / side) : 1;
    while (*cols * *rows > tl.most)
        (*cols > *rows ? (*cols)-- : (*rows)--);
}

static bool build_corpus(corpus *c, int max_tiles, tiling tiles)
{
    bw_ctx *ctx;
    bw_pdq_set *set;
    if (bw_ctx_create(&ctx) != BW_OK || bw_pdq_set_create(&set) != BW_OK)
        return false;
    hset *photo_q = calloc((size_t)c->photos, sizeof *photo_q);
    hset *photo_b = calloc((size_t)c->photos, sizeof *photo_b);
    int kept_photos = 0;
    int *kept = calloc((size_t)c->photos, sizeof *kept);
    for (int p = 0; p < c->photos && c->n < max_tiles; p++) {
        qimg img;
        if (!load_rgb(ctx, &img, c->paths[p])) {
            fprintf(stderr, "skipping %s: %s\n", c->paths[p], bw_ctx_message(ctx));
            continue;
        }
        if (!hash_sets(ctx, set, &img, &photo_q[p], &photo_b[p], NULL)) {
            qimg_free(&img);
            continue;
        }
        bool dup = false;
        for (int k = 0; k < kept_photos && !dup; k++)
            dup = matches_robust(&photo_q[p], &photo_b[kept[k]], 31) ||
                  matches_robust(&photo_q[kept[k]], &photo_b[p], 31);
        if (dup) {
            c->dropped_photos++;
            qimg_free(&img);
            continue;
        }
        kept[kept_photos++] = p;
        uint32_t cols, rows;
        tile_grid(tiles, img.w, img.h, &cols, &rows);
        for (uint32_t ty = 0; ty < rows; ty++)
            for (uint32_t tx = 0; tx < cols && c->n < max_tiles; tx++) {
                const bw_box b = {tx * (img.w / cols), ty * (img.h / rows), img.w / cols,
                                  img.h / rows};
                qimg t;
                tile tl = {p, 0, b, {0}, {0}};
                int quality = 0;
                if (!cut(&t, &img, b) || !hash_sets(ctx, set, &t, &tl.query, &tl.bank, &quality)) {
                    qimg_free(&t);
                    continue;
                }
                qimg_free(&t);
                tl.quality = quality;
                bool drop = quality < 50;
                c->flat_tiles += drop;
                for (int k = 0; k < c->n && !drop; k++)
                    if (dist(&tl.query.h[0], &c->tiles[k].query.h[0]) <= 10) {
                        drop = true;
                        c->duplicate_tiles++;
                    }
                if (drop) {
                    free(tl.query.h);
                    free(tl.bank.h);
                    continue;
                }
                if (c->n == c->cap) {
                    c->cap = c->cap ? c->cap * 2 : 1024;
                    c->tiles = realloc(c->tiles, (size_t)c->cap * sizeof *c->tiles);
                }
                c->tiles[c->n++] = tl;
            }
        qimg_free(&img);
        if (p % 50 == 49)
            fprintf(stderr, "corpus: %d of %d photos, %d tiles\n", p + 1, c->photos, c->n);
    }
    for (int p = 0; p < c->photos; p++) {
        free(photo_q[p].h);
        free(photo_b[p].h);
    }
    free(photo_q);
    free(photo_b);
    free(kept);
    bw_pdq_set_free(set);
    bw_ctx_free(ctx);
    return true;
}

/* ---- false matches -------------------------------------------------------------- */

#define WORST 40
#define CROSS_WORST 400

typedef struct fmr_job {
    const corpus *c;
    int from, step;
    uint64_t hits[MODES][THRESHOLDS];
    uint64_t cross_hits[MODES][THRESHOLDS]; /* tiles of different photos */
    uint64_t cross_pairs, excluded_pairs;
    /* The closest robust pairs, for the report. */
    struct worst {
        int d, i, j, qi, bj;
        short dm[MODES]; /* the pair's distance in each mode */
    } worst[WORST];
    /* The same, of tiles of different photos only: where false matches
     * across pictures would show (or pictures that share pixels). */
    struct worst cross_worst[CROSS_WORST];
} fmr_job;

static void keep_in(struct worst *list, int n, const struct worst *w)
{
    if (w->d >= list[n - 1].d)
        return;
    int k = n - 1;
    while (k > 0 && list[k - 1].d > w->d) {
        list[k] = list[k - 1];
        k--;
    }
    list[k] = *w;
}

static void *fmr_run(void *arg)
{
    fmr_job *job = arg;
    const corpus *c = job->c;
    for (int k = 0; k < WORST; k++)
        job->worst[k].d = 257;
    for (int k = 0; k < CROSS_WORST; k++)
        job->cross_worst[k].d = 257;
    for (int i = job->from; i < c->n; i += job->step)
        for (int j = 0; j < c->n; j++) {
            if (i == j)
                continue;
            const int pi = c->tiles[i].photo, pj = c->tiles[j].photo;
            if (pi != pj && same_picture(c, pi, pj)) {
                job->excluded_pairs++;
                continue;
            }
            int d[MODES], qi = 0, bj = 0;
            min_dists(&c->tiles[i].query, &c->tiles[j].bank, d, &qi, &bj);
            job->cross_pairs += pi != pj;
            for (int m = 0; m < MODES; m++)
                for (int t = 0; t < THRESHOLDS; t++) {
                    job->hits[m][t] += d[m] <= thresholds[t];
                    job->cross_hits[m][t] += pi != pj && d[m] <= thresholds[t];
                }
            struct worst w = {d[M_ROBUST], i, j, qi, bj, {0}};
            for (int m = 0; m < MODES; m++)
                w.dm[m] = (short)d[m];
            keep_in(job->worst, WORST, &w);
            if (pi != pj)
                keep_in(job->cross_worst, CROSS_WORST, &w);
        }
    return NULL;
}

/* One pair of the report: distance, the query tile and the part of it that
 * came closest, the bank tile and its part, each part with its quality. */
static void put_pair(FILE *f, const corpus *c, const struct worst *w)
{
    const tile *ti = &c->tiles[w->i], *tj = &c->tiles[w->j];
    const qhash *qh = &ti->query.h[w->qi], *bh = &tj->bank.h[w->bj];
    fprintf(f, "%d%s query %s@%u,%u,%ux%u part %s/%s q%d bank %s@%u,%u,%ux%u part %s q%d", w->d,
            ti->photo == tj->photo ? " same-photo" : "", c->paths[ti->photo], ti->box.x,
            ti->box.y, ti->box.width, ti->box.height,
            qh->kind == BW_PART_REGION ? bw_pdq_region_name(qh->region)
                                       : bw_pdq_part_kind_name((bw_pdq_part_kind)qh->kind),
            bw_dihedral_name((bw_dihedral)qh->transform), qh->quality, c->paths[tj->photo],
            tj->box.x,
            tj->box.y, tj->box.width, tj->box.height,
            bh->kind == BW_PART_REGION ? bw_pdq_region_name(bh->region)
                                       : bw_pdq_part_kind_name((bw_pdq_part_kind)bh->kind),
            bh->quality);
    /* Which modes the pair meets in, and how closely (- for no pair of
     * hashes that may meet). */
    for (int m = 0; m < MODES; m++)
        if (w->dm[m] > 256)
            fprintf(f, "%s %s -", m ? "" : " modes", mode_names[m]);
        else
            fprintf(f, "%s %s %d", m ? "" : " modes", mode_names[m], w->dm[m]);
    fputc('\n', f);
}

/* ---- recall -------------------------------------------------------------------- */

typedef struct recall_job {
    const corpus *c;
    const char *only; /* comma-separated edits or families, or NULL for all */
    FILE *failures; /* shared; lines written under failures_lock */
    const int *picks;
    int npicks, from, step;
    uint32_t (*found)[MODES][THRESHOLDS]; /* [transform][mode][threshold] */
    uint32_t *tried;                       /* [transform] */
    uint64_t (*dsum)[MODES];               /* sum of min distances */
} recall_job;

static pthread_mutex_t failures_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether `name` is an item of the comma-separated `list`. */
static bool listed(const char *list, const char *name)
{
    const size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const size_t len = strcspn(p, ",");
        if (len == n && !strncmp(p, name, n))
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static void *recall_run(void *arg)
{
    recall_job *job = arg;
    const corpus *c = job->c;
    bw_ctx *ctx;
    bw_pdq_set *set;
    if (bw_ctx_create(&ctx) != BW_OK || bw_pdq_set_create(&set) != BW_OK)
        return NULL;
    for (int k = job->from; k < job->npicks; k += job->step) {
        const tile *tl = &c->tiles[job->picks[k]];
        qimg photo, orig;
        if (!load_rgb(ctx, &photo, c->paths[tl->photo]))
            continue;
        const bool ok = cut(&orig, &photo, tl->box);
        qimg_free(&photo);
        if (!ok)
            continue;
        for (int t = 0; t < q_transform_count; t++) {
            if (job->only && !listed(job->only, q_transforms[t].name) &&
                !listed(job->only, q_transforms[t].family))
                continue;
            qimg edited;
            hset q = {0};
            if (!q_transforms[t].apply(&edited, &orig, q_transforms[t].strength,
                                       (uint32_t)job->picks[k] + 1u)) {
                fprintf(stderr, "%s failed\n", q_transforms[t].name);
                continue;
            }
            if (hash_sets(ctx, set, &edited, &q, NULL, NULL)) {
                int d[MODES];
                min_dists(&q, &tl->bank, d, NULL, NULL);
                job->tried[t]++;
                if (d[M_ROBUST] > 31) {
                    pthread_mutex_lock(&failures_lock);
                    fprintf(job->failures, "%s,%u,%u,%u,%u,%d,%s,%d,%d\n", c->paths[tl->photo],
                            tl->box.x, tl->box.y, tl->box.width, tl->box.height, tl->quality,
                            q_transforms[t].name, d[M_PLAIN], d[M_ROBUST]);
                    pthread_mutex_unlock(&failures_lock);
                }
                for (int m = 0; m < MODES; m++) {
                    job->dsum[t][m] += (uint64_t)d[m];
                    for (int th = 0; th < THRESHOLDS; th++)
                        job->found[t][m][th] += d[m] <= thresholds[th];
                }
            }
            free(q.h);
            qimg_free(&edited);
        }
        qimg_free(&orig);
    }
    bw_pdq_set_free(set);
    bw_ctx_free(ctx);
    return NULL;
}

/* ---- main ----------------------------------------------------------------------- */

static char **read_lines(const char *path, int *count)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char **v = NULL, line[4096];
    int n = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            v = realloc(v, (size_t)cap * sizeof *v);
        }
        v[n++] = strdup(line);
    }
    fclose(f);
    *count = n;
    return v;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_quality [--recall N] [--max-tiles N] [--jobs N] "
                    "[--same PAIRS] [--tile-side PX] [--tiles-per-photo N] [--only EDITS] "
                    "[--fmr 0|1] PHOTO_LIST OUT_DIR\n");
    return 2;
}

int main(int argc, char **argv)
{
    int recall_n = 500, max_tiles = 4000, jobs = 2, a = 1;
    tiling tiles = {512, 16};
    const char *same_list = NULL, *only = NULL;
    int fmr = 1;
    for (; a + 1 < argc && !strncmp(argv[a], "--", 2); a += 2) {
        if (!strcmp(argv[a], "--recall"))
            recall_n = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--max-tiles"))
            max_tiles = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--jobs"))
            jobs = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--same"))
            same_list = argv[a + 1];
        else if (!strcmp(argv[a], "--tile-side"))
            tiles.side = atof(argv[a + 1]);
        else if (!strcmp(argv[a], "--tiles-per-photo"))
            tiles.most = (uint32_t)atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--only"))
            only = argv[a + 1];
        else if (!strcmp(argv[a], "--fmr"))
            fmr = atoi(argv[a + 1]);
        else
            return usage();
    }
    if (argc - a != 2 || jobs < 1 || jobs > 64 || recall_n < 0 || !(tiles.side >= 64) ||
        tiles.most < 1 || tiles.most > 1024)
        return usage();
    const char *out_dir = argv[a + 1];
    corpus c = {0};
    if (same_list && !(c.same = read_lines(same_list, &c.nsame))) {
        fprintf(stderr, "cannot read %s\n", same_list);
        return 1;
    }
    if (!(c.paths = read_lines(argv[a], &c.photos)) || !build_corpus(&c, max_tiles, tiles)) {
        fprintf(stderr, "cannot read %s\n", argv[a]);
        return 1;
    }
    printf("corpus: %d photos listed, %d dropped as the same picture as an earlier one, "
           "%d tiles kept (%d too flat, %d near-duplicates dropped)\n",
           c.photos, c.dropped_photos, c.n, c.flat_tiles, c.duplicate_tiles);
    if (c.n < 2)
        return 1;

    pthread_t th[64];
    fmr_job *fj = calloc((size_t)jobs, sizeof *fj);
    for (int k = 0; fmr && k < jobs; k++) {
        fj[k] = (fmr_job){.c = &c, .from = k, .step = jobs};
        pthread_create(&th[k], NULL, fmr_run, &fj[k]);
    }
    for (int k = 0; fmr && k < jobs; k++)
        pthread_join(th[k], NULL);
    uint64_t hits[MODES][THRESHOLDS] = {{0}}, cross[MODES][THRESHOLDS] = {{0}};
    uint64_t cross_pairs = 0, excluded = 0;
    fmr_job all = {0};
    for (int k = 0; k < WORST; k++)
        all.worst[k].d = 257;
    for (int k = 0; k < CROSS_WORST; k++)
        all.cross_worst[k].d = 257;
    for (int k = 0; fmr && k < jobs; k++) {
        for (int m = 0; m < MODES; m++)
            for (int t = 0; t < THRESHOLDS; t++) {
                hits[m][t] += fj[k].hits[m][t];
                cross[m][t] += fj[k].cross_hits[m][t];
            }
        cross_pairs += fj[k].cross_pairs;
        excluded += fj[k].excluded_pairs;
        for (int w = 0; w < WORST; w++)
            keep_in(all.worst, WORST, &fj[k].worst[w]);
        for (int w = 0; w < CROSS_WORST; w++)
            keep_in(all.cross_worst, CROSS_WORST, &fj[k].cross_worst[w]);
    }
    const double pairs = (double)c.n * (c.n - 1) - (double)excluded;

    int npicks = recall_n < c.n ? recall_n : c.n;
    int *picks = malloc((size_t)(npicks ? npicks : 1) * sizeof *picks);
    for (int k = 0; k < npicks; k++)
        picks[k] = (int)((int64_t)k * c.n / npicks);
    uint32_t(*found)[MODES][THRESHOLDS] = calloc((size_t)q_transform_count, sizeof *found);
    uint64_t(*dsum)[MODES] = calloc((size_t)q_transform_count, sizeof *dsum);
    uint32_t *tried_all = calloc((size_t)q_transform_count, sizeof *tried_all);
    char fpath[4096];
    snprintf(fpath, sizeof fpath, "%s/failures.csv", out_dir);
    FILE *failures = fopen(fpath, "w");
    if (!failures) {
        fprintf(stderr, "cannot write %s\n", fpath);
        return 1;
    }
    fprintf(failures, "photo,x,y,width,height,quality,transform,plain_distance,robust_distance\n");
    recall_job *rj = calloc((size_t)jobs, sizeof *rj);
    for (int k = 0; k < jobs; k++) {
        rj[k] = (recall_job){&c, only, failures, picks, npicks, k, jobs,
                             calloc((size_t)q_transform_count, sizeof *found),
                             calloc((size_t)q_transform_count, sizeof *tried_all),
                             calloc((size_t)q_transform_count, sizeof *dsum)};
        pthread_create(&th[k], NULL, recall_run, &rj[k]);
    }
    for (int k = 0; k < jobs; k++) {
        pthread_join(th[k], NULL);
        for (int t = 0; t < q_transform_count; t++) {
            tried_all[t] += rj[k].tried[t];
            for (int m = 0; m < MODES; m++) {
                dsum[t][m] += rj[k].dsum[t][m];
                for (int h = 0; h < THRESHOLDS; h++)
                    found[t][m][h] += rj[k].found[t][m][h];
            }
        }
        free(rj[k].found);
        free(rj[k].tried);
        free(rj[k].dsum);
    }

    fclose(failures);
    char path[4096];
    snprintf(path, sizeof path, "%s/recall.csv", out_dir);
    FILE *rc = fopen(path, "w");
    snprintf(path, sizeof path, "%s/fmr.csv", out_dir);
    FILE *fc = fopen(path, "w");
    snprintf(path, sizeof path, "%s/worst-pairs.txt", out_dir);
    FILE *wc = fopen(path, "w");
    if (!rc || !fc || !wc) {
        fprintf(stderr, "cannot write to %s\n", out_dir);
        return 1;
    }
    fprintf(rc, "mode,family,transform,strength,threshold,images,matched,recall,mean_distance\n");
    for (int t = 0; t < q_transform_count; t++)
        for (int m = 0; m < MODES; m++)
            for (int h = 0; h < THRESHOLDS; h++)
                fprintf(rc, "%s,%s,%s,%g,%d,%u,%u,%.4f,%.1f\n", mode_names[m],
                        q_transforms[t].family, q_transforms[t].name, q_transforms[t].strength,
                        thresholds[h], tried_all[t], found[t][m][h],
                        tried_all[t] ? (double)found[t][m][h] / tried_all[t] : 0.0,
                        tried_all[t] ? (double)dsum[t][m] / tried_all[t] : 0.0);
    fprintf(fc, "scope,mode,threshold,images,pairs,false_matches,rate\n");
    for (int m = 0; m < MODES; m++)
        for (int h = 0; h < THRESHOLDS; h++) {
            fprintf(fc, "all,%s,%d,%d,%.0f,%llu,%.3g\n", mode_names[m], thresholds[h], c.n, pairs,
                    (unsigned long long)hits[m][h], hits[m][h] / pairs);
            fprintf(fc, "cross-photo,%s,%d,%d,%llu,%llu,%.3g\n", mode_names[m], thresholds[h],
                    c.n, (unsigned long long)cross_pairs, (unsigned long long)cross[m][h],
                    cross_pairs ? cross[m][h] / (double)cross_pairs : 0.0);
        }
    for (int w = 0; w < WORST && all.worst[w].d < 257; w++)
        put_pair(wc, &c, &all.worst[w]);
    snprintf(path, sizeof path, "%s/cross-photo-pairs.txt", out_dir);
    FILE *xc = fopen(path, "w");
    for (int w = 0; xc && w < CROSS_WORST && all.cross_worst[w].d <= 40; w++)
        put_pair(xc, &c, &all.cross_worst[w]);
    if (xc)
        fclose(xc);
    fclose(rc);
    fclose(fc);
    fclose(wc);

    /* Every threshold, mode by mode: 16/24/31/40, then the mean distance. */
    if (npicks) {
        printf("\nrecall in %% at distance 16/24/31/40 (of %d originals; mean distance in "
               "brackets)\n",
               npicks);
        printf("%-18s", "transform");
        for (int m = 0; m < MODES; m++)
            printf(" %-30s", mode_names[m]);
        printf("\n");
        for (int t = 0; t < q_transform_count; t++) {
            printf("%-18s", q_transforms[t].name);
            for (int m = 0; m < MODES; m++) {
                char cell[64];
                int len = 0;
                for (int h = 0; h < THRESHOLDS; h++)
                    len += snprintf(cell + len, sizeof cell - (size_t)len, "%s%.1f", h ? "/" : "",
                                    tried_all[t] ? 100.0 * found[t][m][h] / tried_all[t] : 0.0);
                snprintf(cell + len, sizeof cell - (size_t)len, " (%.1f)",
                         tried_all[t] ? (double)dsum[t][m] / tried_all[t] : 0.0);
                printf(" %-30s", cell);
            }
            printf("\n");
        }
    }
    for (int scope = 0; scope < 2; scope++) {
        const double n = scope ? (double)cross_pairs : pairs;
        if (scope)
            printf("\nof which %.0f pairs are tiles of different photos\n", n);
        else
            printf("\nfalse matches over %.0f ordered pairs of %d distinct images (%llu pairs of "
                   "photos listed as the same picture left out)\n",
                   n, c.n, (unsigned long long)excluded);
        printf("%-10s", "threshold");
        for (int m = 0; m < MODES; m++)
            printf(" %18s", mode_names[m]);
        printf("\n");
        for (int h = 0; h < THRESHOLDS; h++) {
            printf("%-10d", thresholds[h]);
            for (int m = 0; m < MODES; m++) {
                const uint64_t k = scope ? cross[m][h] : hits[m][h];
                printf(" %8llu (%7.2g)", (unsigned long long)k, n ? k / n : 0.0);
            }
            printf("\n");
        }
    }
    return 0;
}

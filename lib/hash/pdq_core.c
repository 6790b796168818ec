/*
 * PDQ from a pixel grid: luminance, two passes of a box ("Jarosz") filter in
 * each direction, decimation to 64x64, a 16x16 corner of the 2-D DCT-II,
 * and one bit per coefficient above the median. Written from the published
 * algorithm (Meta's pdqhash-2017-10-09 and the ThreatExchange docs).
 *
 * Bit-identity with the reference needs the same float operations in the
 * same order for every output value: each running sum adds and subtracts
 * its inputs in the reference's sequence and each dot product accumulates
 * k = 0..63 in order. Loops below are arranged so that the compiler can
 * vectorise across independent outputs without reordering any one of them;
 * the build disables FMA contraction (-ffp-contract=off) for the same reason.
 */
#include <stdlib.h>
#include <string.h>

#include "pdq_core.h"
#include "pdq_dct_table.h"

#define DOWN 64   /* side of the decimated image */
#define COEF 16   /* side of the DCT corner that becomes the hash */

void bwi_pdq_scratch_free(struct bwi_pdq_scratch *scratch)
{
    if (!scratch)
        return;
    free(scratch->luma);
    free(scratch->work);
    free(scratch->sums);
    free(scratch->grid);
    free(scratch);
}

bw_status bwi_pdq_scratch(bw_ctx *ctx, struct bwi_pdq_scratch **out)
{
    if (!ctx->pdq) {
        struct bwi_pdq_scratch *s = calloc(1, sizeof *s);
        size_t n = (size_t)BWI_PDQ_GRID_MAX * BWI_PDQ_GRID_MAX;
        if (s) {
            s->luma = malloc(n * sizeof(float));
            s->work = malloc(n * sizeof(float));
            s->sums = malloc(BWI_PDQ_GRID_MAX * sizeof(float));
            s->grid = malloc(n * 3);
            s->float_cap = n;
            s->sums_cap = BWI_PDQ_GRID_MAX;
        }
        if (!s || !s->luma || !s->work || !s->sums || !s->grid) {
            bwi_pdq_scratch_free(s);
            return bwi_fail(ctx, BW_ERR_NOMEM, "cannot allocate PDQ buffers");
        }
        ctx->pdq = s;
    }
    *out = ctx->pdq;
    return BW_OK;
}

bw_status bwi_pdq_scratch_reserve(bw_ctx *ctx, uint32_t width, uint32_t height,
                                  struct bwi_pdq_scratch **out)
{
    struct bwi_pdq_scratch *s = NULL;
    bw_status st = bwi_pdq_scratch(ctx, &s);
    if (st != BW_OK)
        return st;
    const size_t n = (size_t)width * height;
    if (n > s->float_cap) {
        /* Both buffers are replaced before either is used, so a failure
         * leaves the old (smaller) pair intact. */
        float *luma = malloc(n * sizeof(float));
        float *work = luma ? malloc(n * sizeof(float)) : NULL;
        if (!work) {
            free(luma);
            return bwi_fail(ctx, BW_ERR_NOMEM,
                            "cannot allocate PDQ buffers for %ux%u", width, height);
        }
        free(s->luma);
        free(s->work);
        s->luma = luma;
        s->work = work;
        s->float_cap = n;
    }
    if (width > s->sums_cap) {
        float *sums = malloc((size_t)width * sizeof(float));
        if (!sums)
            return bwi_fail(ctx, BW_ERR_NOMEM, "cannot allocate PDQ buffers");
        free(s->sums);
        s->sums = sums;
        s->sums_cap = width;
    }
    *out = s;
    return BW_OK;
}

static void fill_luma(float *luma, const bwi_grid *g)
{
    if (g->channels == 1) {
        for (uint32_t y = 0; y < g->height; y++) {
            const uint8_t *p = g->pixels + (size_t)y * g->stride;
            float *out = luma + (size_t)y * g->width;
            for (uint32_t x = 0; x < g->width; x++)
                out[x] = (float)p[x];
        }
        return;
    }
    /* The reference's coefficients are doubles narrowed to float. Each
     * product depends on one byte only, so it is looked up, not recomputed;
     * the sum is formed in the same order, so the result is the same float. */
    const float cr = (float)0.299, cg = (float)0.587, cb = (float)0.114;
    float tr[256], tg[256], tb[256];
    for (int v = 0; v < 256; v++) {
        tr[v] = cr * (float)v;
        tg[v] = cg * (float)v;
        tb[v] = cb * (float)v;
    }
    for (uint32_t y = 0; y < g->height; y++) {
        const uint8_t *p = g->pixels + (size_t)y * g->stride;
        float *out = luma + (size_t)y * g->width;
        for (uint32_t x = 0; x < g->width; x++, p += 3)
            out[x] = tr[p[0]] + tg[p[1]] + tb[p[2]];
    }
}

/* Window length of one box-filter pass: half of the input span that one
 * decimated pixel covers, rounded up, because two passes are applied. */
static int box_window(uint32_t length)
{
    return (int)((length + 2 * DOWN - 1) / (2 * DOWN));
}

/*
 * The box filter, one pass along a line of n samples: output o is the mean
 * of the window [o - lag + 1, o + half - 1] clipped to the line. The running
 * sum adds the entering sample before dropping the leaving one, exactly as
 * the reference does, so every output is the same float.
 *
 * Rows are filtered eight at a time: eight independent running sums keep
 * the processor busy where one sum would wait on its own additions. Only
 * the columns in keep[] are written (packed) when keep is not NULL: the last
 * row pass needs just the 64 columns that decimation reads.
 */
#define ROW_BLOCK 8

static inline void box_row_block(const float *in, float *out, uint32_t cols,
                                 int window, const uint32_t *keep, int nkeep,
                                 const int nb, size_t out_stride)
{
    const int n = (int)cols, half = (window + 2) / 2, lag = window - half + 1;
    float sum[ROW_BLOCK] = {0};
    for (int i = 0; i < half - 1; i++)
        for (int b = 0; b < nb; b++)
            sum[b] += in[(size_t)b * cols + (size_t)i];
    int count = half - 1, next = 0;
    for (int o = 0; o < n; o++) {
        const int enter = o + half - 1, leave = o - lag;
        if (enter < n) {
            for (int b = 0; b < nb; b++)
                sum[b] += in[(size_t)b * cols + (size_t)enter];
        }
        if (leave >= 0) {
            for (int b = 0; b < nb; b++)
                sum[b] -= in[(size_t)b * cols + (size_t)leave];
        }
        count += (enter < n) - (leave >= 0);
        if (!keep) {
            const float c = (float)count;
            for (int b = 0; b < nb; b++)
                out[(size_t)b * out_stride + (size_t)o] = sum[b] / c;
            continue;
        }
        for (; next < nkeep && keep[next] == (uint32_t)o; next++) {
            const float c = (float)count;
            for (int b = 0; b < nb; b++)
                out[(size_t)b * out_stride + (size_t)next] = sum[b] / c;
        }
    }
}

static void box_rows(const float *in, float *out, uint32_t rows, uint32_t cols,
                     int window, const uint32_t *keep, int nkeep)
{
    const size_t out_stride = keep ? (size_t)nkeep : cols;
    uint32_t r = 0;
    for (; r + ROW_BLOCK <= rows; r += ROW_BLOCK)
        box_row_block(in + (size_t)r * cols, out + (size_t)r * out_stride, cols,
                      window, keep, nkeep, ROW_BLOCK, out_stride);
    for (; r < rows; r++)
        box_row_block(in + (size_t)r * cols, out + (size_t)r * out_stride, cols,
                      window, keep, nkeep, 1, out_stride);
}

/* The same pass along columns, a whole row of running sums at a time so the
 * inner loops run over contiguous memory and vectorise. Only the rows in
 * keep[] are written (packed) when keep is not NULL. */
static void box_cols(const float *in, float *out, uint32_t rows, uint32_t cols,
                     int window, float *sums, const uint32_t *keep, int nkeep)
{
    const int n = (int)rows, half = (window + 2) / 2, lag = window - half + 1;
    for (uint32_t j = 0; j < cols; j++)
        sums[j] = 0.0f;
    for (int i = 0; i < half - 1; i++) {
        const float *x = in + (size_t)i * cols;
        for (uint32_t j = 0; j < cols; j++)
            sums[j] += x[j];
    }
    int count = half - 1, next = 0;
    for (int o = 0; o < n; o++) {
        const int enter = o + half - 1, leave = o - lag;
        if (enter < n) {
            const float *add = in + (size_t)enter * cols;
            for (uint32_t j = 0; j < cols; j++)
                sums[j] += add[j];
        }
        if (leave >= 0) {
            const float *sub = in + (size_t)leave * cols;
            for (uint32_t j = 0; j < cols; j++)
                sums[j] -= sub[j];
        }
        count += (enter < n) - (leave >= 0);
        const float c = (float)count;
        if (!keep) {
            float *y = out + (size_t)o * cols;
            for (uint32_t j = 0; j < cols; j++)
                y[j] = sums[j] / c;
            continue;
        }
        for (; next < nkeep && keep[next] == (uint32_t)o; next++) {
            float *y = out + (size_t)next * cols;
            for (uint32_t j = 0; j < cols; j++)
                y[j] = sums[j] / c;
        }
    }
}

/* Indices of the 64 samples decimation keeps along a side of `length`:
 * the sample nearest each cell centre. */
static void decimation_indices(uint32_t length, uint32_t idx[DOWN])
{
    for (int i = 0; i < DOWN; i++)
        idx[i] = (uint32_t)(((uint64_t)(2 * i + 1) * length) / (2 * DOWN));
}

/* Blur (two box passes each way) and decimate to 64x64. The second pair of
 * passes computes only what decimation reads: the row pass writes the 64
 * kept columns, the column pass the 64 kept rows of those. */
static void downsample(struct bwi_pdq_scratch *s, uint32_t rows, uint32_t cols,
                       float down[DOWN][DOWN])
{
    const int wr = box_window(cols), wc = box_window(rows);
    uint32_t keep_cols[DOWN], keep_rows[DOWN];
    decimation_indices(cols, keep_cols);
    decimation_indices(rows, keep_rows);
    box_rows(s->luma, s->work, rows, cols, wr, NULL, 0);
    box_cols(s->work, s->luma, rows, cols, wc, s->sums, NULL, 0);
    box_rows(s->luma, s->work, rows, cols, wr, keep_cols, DOWN);
    box_cols(s->work, &down[0][0], rows, DOWN, wc, s->sums, keep_rows, DOWN);
}

/* Sum of quantised absolute gradients, scaled so that a photo with ordinary
 * texture scores 100 and a flat or nearly flat image scores near 0. */
static int quality_of(float down[DOWN][DOWN])
{
    int total = 0;
    for (int i = 0; i < DOWN - 1; i++)
        for (int j = 0; j < DOWN; j++) {
            int d = (int)(((down[i][j] - down[i + 1][j]) * 100) / 255);
            total += abs(d);
        }
    for (int i = 0; i < DOWN; i++)
        for (int j = 0; j < DOWN - 1; j++) {
            int d = (int)(((down[i][j] - down[i][j + 1]) * 100) / 255);
            total += abs(d);
        }
    int q = total / 90;
    return q > 100 ? 100 : q;
}

/* coef = D * down * D^T, keeping rows and columns 1..16 of the DCT. */
static void dct16(float down[DOWN][DOWN], float coef[COEF][COEF])
{
    float tmp[COEF][DOWN];
    for (int i = 0; i < COEF; i++) {
        float acc[DOWN] = {0};
        for (int k = 0; k < DOWN; k++) {
            const float d = bwi_pdq_dct16x64[i][k];
            for (int j = 0; j < DOWN; j++)
                acc[j] += d * down[k][j];
        }
        memcpy(tmp[i], acc, sizeof acc);
    }
    for (int i = 0; i < COEF; i++) {
        float acc[COEF] = {0};
        for (int k = 0; k < DOWN; k++) {
            const float t = tmp[i][k];
            for (int j = 0; j < COEF; j++)
                acc[j] += t * bwi_pdq_dct16x64[j][k];
        }
        memcpy(coef[i], acc, sizeof acc);
    }
}

/* The 128th smallest of 256 values (the lower median), by quickselect. */
float bwi_pdq_lower_median(const float values[256])
{
    float v[COEF * COEF];
    memcpy(v, values, sizeof v);
    int lo = 0, hi = COEF * COEF - 1;
    const int k = (COEF * COEF + 1) / 2 - 1;
    while (lo < hi) {
        const float pivot = v[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

static void to_bits(const float coef[COEF][COEF], uint8_t hash[BW_PDQ_BYTES])
{
    const float median = bwi_pdq_lower_median(&coef[0][0]);
    memset(hash, 0, BW_PDQ_BYTES);
    for (int i = 0; i < COEF; i++)
        for (int j = 0; j < COEF; j++)
            if (coef[i][j] > median) {
                const int k = i * COEF + j;
                hash[BW_PDQ_BYTES - 1 - k / 8] |= (uint8_t)(1u << (k % 8));
            }
}

/*
 * A dihedral transform of the image is a sign pattern (and, for the four
 * that swap axes, a transpose) on its DCT: mirroring along an axis negates
 * the coefficients of odd frequency along it. The kept rows and columns are
 * frequencies 1..16, so it is the even indices that change sign.
 */
static void dihedral_coef(bw_dihedral which, const float a[COEF][COEF],
                          float b[COEF][COEF])
{
    for (int i = 0; i < COEF; i++)
        for (int j = 0; j < COEF; j++) {
            const float v = a[i][j];
            switch (which) {
            case BW_DIHEDRAL_ORIGINAL:
                b[i][j] = v;
                break;
            case BW_DIHEDRAL_ROTATE90:
                b[j][i] = (j & 1) ? v : -v;
                break;
            case BW_DIHEDRAL_ROTATE180:
                b[i][j] = ((i + j) & 1) ? -v : v;
                break;
            case BW_DIHEDRAL_ROTATE270:
                b[j][i] = (i & 1) ? v : -v;
                break;
            case BW_DIHEDRAL_FLIPX:
                b[i][j] = (i & 1) ? v : -v;
                break;
            case BW_DIHEDRAL_FLIPY:
                b[i][j] = (j & 1) ? v : -v;
                break;
            case BW_DIHEDRAL_FLIP_PLUS1:
                b[j][i] = v;
                break;
            case BW_DIHEDRAL_FLIP_MINUS1:
                b[j][i] = ((i + j) & 1) ? -v : v;
                break;
            }
        }
}

bw_status bwi_pdq_hash_grid(bw_ctx *ctx, const bwi_grid *grid,
                            uint8_t *hash_out,
                            uint8_t (*dihedral_out)[BW_PDQ_BYTES],
                            int *quality_out)
{
    if (grid->width < BWI_PDQ_MIN_DIMENSION ||
        grid->height < BWI_PDQ_MIN_DIMENSION)
        return bwi_fail(ctx, BW_ERR_IMAGE_TOO_SMALL,
                        "image is %ux%u; PDQ needs at least %dx%d pixels",
                        grid->width, grid->height, BWI_PDQ_MIN_DIMENSION,
                        BWI_PDQ_MIN_DIMENSION);
    struct bwi_pdq_scratch *s;
    bw_status st = bwi_pdq_scratch_reserve(ctx, grid->width, grid->height, &s);
    if (st != BW_OK)
        return st;

    float down[DOWN][DOWN];
    float coef[COEF][COEF];
    int quality = 0;
    /* The reference's single-hash path takes a 64x64 input as already
     * downsampled (video frames scaled by ffmpeg); its dihedral path always
     * blurs. Both behaviours are kept so every output matches. */
    const bool exact64 = grid->width == DOWN && grid->height == DOWN;
    if (hash_out && exact64) {
        fill_luma(&down[0][0], grid);
        quality = quality_of(down);
        dct16(down, coef);
        to_bits(coef, hash_out);
        if (!dihedral_out)
            goto done;
    }
    fill_luma(s->luma, grid);
    downsample(s, grid->height, grid->width, down);
    quality = quality_of(down);
    dct16(down, coef);
    if (hash_out && !exact64)
        to_bits(coef, hash_out);
    if (dihedral_out) {
        for (int d = 0; d < BW_PDQ_DIHEDRAL_COUNT; d++) {
            float t[COEF][COEF];
            dihedral_coef((bw_dihedral)d, coef, t);
            to_bits(t, dihedral_out[d]);
        }
    }
done:
    if (quality_out)
        *quality_out = quality;
    return BW_OK;
}

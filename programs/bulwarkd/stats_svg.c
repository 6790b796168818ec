/*
 * Charts as plain SVG drawn here, so the statistics page needs no
 * charting script and an exported chart looks the same everywhere. Only
 * presentation attributes are used (no style element, no script), which
 * the service's Content-Security-Policy allows as they are.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_svg.h"
#include "text_buf.h"

#define DAY 86400
#define MAX_BANKS 8

typedef struct svg {
    text_buf text;
} svg;

static void put(svg *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(svg *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_buf_vprintf(&s->text, fmt, ap);
    va_end(ap);
}

static char *done(svg *s, size_t *size_out)
{
    put(s, "</svg>\n");
    if (s->text.failed) {
        free(s->text.data);
        return NULL;
    }
    *size_out = s->text.size;
    return s->text.data;
}

/* Bank names are [A-Za-z0-9._-] already; escaping keeps that a promise. */
static void text_escaped(char *out, size_t size, const char *in)
{
    size_t n = 0;
    for (; *in && n + 7 < size; in++) {
        const char *e = *in == '<' ? "&lt;" : *in == '>' ? "&gt;" : *in == '&' ? "&amp;"
                      : *in == '"' ? "&quot;" : NULL;
        if (e) {
            memcpy(out + n, e, strlen(e));
            n += strlen(e);
        } else {
            out[n++] = *in;
        }
    }
    out[n] = '\0';
}

static const char *const palette[MAX_BANKS + 1] = {"#3b6ea5", "#d9822b", "#5a9e5a", "#b5485d",
                                                  "#7d62a8", "#8c6d46", "#c26fb0", "#6f7f8f",
                                                  "#b0b0b0"};

static void header(svg *s, int w, int h, const char *title)
{
    put(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d"
           " %d\" role=\"img\" aria-label=\"%s\" font-family=\"sans-serif\" font-size=\"12\">\n",
        w, h, w, h, title);
    put(s, "<title>%s</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", title, w,
        h);
    put(s, "<text x=\"16\" y=\"22\" font-size=\"15\" font-weight=\"bold\" fill=\"#222\">%s</text>\n",
        title);
}

/* The chart's banks: the first MAX_BANKS met, the rest pooled as "other". */
static size_t pick_banks(const bw_stats_info *st, const char **banks)
{
    size_t n = 0;
    for (size_t i = 0; i < st->row_count; i++) {
        size_t k = 0;
        while (k < n && strcmp(banks[k], st->rows[i].bank) != 0)
            k++;
        if (k == n && n < MAX_BANKS)
            banks[n++] = st->rows[i].bank;
    }
    return n;
}

static size_t bank_index(const char **banks, size_t n, const char *bank)
{
    for (size_t k = 0; k < n; k++)
        if (!strcmp(banks[k], bank))
            return k;
    return MAX_BANKS;
}

static uint64_t nice_ceiling(uint64_t v)
{
    uint64_t step = 1;
    while (step * 10 <= v)
        step *= 10;
    for (uint64_t m = 1; m <= 10; m++)
        if (m * step >= v)
            return m * step;
    return v;
}

char *bwd_svg_matches(const bw_stats_info *st, size_t *size_out)
{
    enum { W = 760, H = 320, LEFT = 56, RIGHT = 16, TOP = 40, BOTTOM = 70 };
    const size_t days = (size_t)((st->to - st->from) / DAY);
    uint64_t *totals = calloc(days ? days : 1, sizeof *totals);
    svg s = {{0}};
    if (!totals)
        return NULL;
    for (size_t i = 0; i < st->row_count; i++) {
        const int64_t d = (st->rows[i].day - st->from) / DAY;
        if (d >= 0 && (size_t)d < days)
            totals[d] += st->rows[i].matches;
    }
    uint64_t peak = 1;
    for (size_t d = 0; d < days; d++)
        peak = totals[d] > peak ? totals[d] : peak;
    peak = nice_ceiling(peak);
    header(&s, W, H, "Matches per day, by bank");
    const double plot_w = W - LEFT - RIGHT, plot_h = H - TOP - BOTTOM;
    const double bar = plot_w / (double)(days ? days : 1);
    /* Gridlines only at whole counts. */
    unsigned ticks = 1;
    for (unsigned n = 5; n > 1 && ticks == 1; n--)
        if (peak % n == 0)
            ticks = n;
    for (unsigned g = 0; g <= ticks; g++) {
        const double y = TOP + plot_h - plot_h * g / (double)ticks;
        put(&s, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n", LEFT,
            W - RIGHT, y, y);
        put(&s, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%llu</text>\n",
            LEFT - 6, y + 4, (unsigned long long)(peak / ticks * g));
    }
    const char *banks[MAX_BANKS];
    const size_t nb = pick_banks(st, banks);
    /* Each row stacks on what is already drawn that day. */
    memset(totals, 0, (days ? days : 1) * sizeof *totals);
    for (size_t i = 0; i < st->row_count; i++) {
        const int64_t d = (st->rows[i].day - st->from) / DAY;
        if (d < 0 || (size_t)d >= days || !st->rows[i].matches)
            continue;
        const double y0 = TOP + plot_h - plot_h * (double)totals[d] / (double)peak;
        totals[d] += st->rows[i].matches;
        const double y1 = TOP + plot_h - plot_h * (double)totals[d] / (double)peak;
        char bank[160];
        text_escaped(bank, sizeof bank, st->rows[i].bank);
        put(&s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                "<title>%s: %llu</title></rect>\n",
            LEFT + bar * (double)d + bar * 0.1, y1, bar * 0.8 > 1 ? bar * 0.8 : 1, y0 - y1,
            palette[bank_index(banks, nb, st->rows[i].bank)], bank,
            (unsigned long long)st->rows[i].matches);
    }
    char first[16], last[16];
    bwd_date(first, st->from);
    bwd_date(last, st->to - DAY);
    put(&s, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", LEFT,
        W - RIGHT, TOP + plot_h, TOP + plot_h);
    put(&s, "<text x=\"%d\" y=\"%.1f\" fill=\"#555\">%s</text>\n", LEFT, TOP + plot_h + 16, first);
    put(&s, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>\n", W - RIGHT,
        TOP + plot_h + 16, last);
    if (!st->row_count)
        put(&s, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#777\">No matches in this"
                " period</text>\n", W / 2, TOP + (H - TOP - BOTTOM) / 2);
    bool pooled = false;
    for (size_t i = 0; i < st->row_count; i++)
        pooled |= bank_index(banks, nb, st->rows[i].bank) == MAX_BANKS;
    for (size_t k = 0; k < nb + (pooled ? 1 : 0); k++) {
        char bank[160];
        text_escaped(bank, sizeof bank, k < nb ? banks[k] : "other banks");
        const double x = LEFT + (double)(k % 4) * 170, y = H - 38 + (double)(k / 4) * 18;
        put(&s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" fill=\"#333\">%s</text>\n",
            x, y - 10, palette[k < nb ? k : MAX_BANKS], x + 18, y, bank);
    }
    free(totals);
    return done(&s, size_out);
}

char *bwd_svg_outcomes(const bw_stats_info *st, size_t *size_out)
{
    enum { W = 760, H = 300, LEFT = 150, RIGHT = 80, TOP = 44 };
    static const struct {
        int status;
        const char *label;
        const char *colour;
    } bars[] = {{BW_REVIEW_PENDING, "Pending", "#9aa5b1"},
                {BW_REVIEW_CONFIRMED, "Confirmed", "#b5485d"},
                {BW_REVIEW_FALSE_POSITIVE, "False positive", "#5a9e5a"},
                {BW_REVIEW_ESCALATED, "Escalated", "#d9822b"},
                {BW_REVIEW_NOT_NEEDED, "Not needed (allow list)", "#6f7f8f"}};
    svg s = {{0}};
    header(&s, W, H, "Review outcomes of the period's matches");
    uint64_t peak = 1;
    for (size_t i = 0; i < sizeof bars / sizeof bars[0]; i++)
        peak = st->by_status[bars[i].status] > peak ? st->by_status[bars[i].status] : peak;
    const double plot_w = W - LEFT - RIGHT;
    for (size_t i = 0; i < sizeof bars / sizeof bars[0]; i++) {
        const uint64_t n = st->by_status[bars[i].status];
        const double y = TOP + (double)i * 30, w = plot_w * (double)n / (double)peak;
        put(&s, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#333\">%s</text>\n",
            LEFT - 8, y + 15, bars[i].label);
        put(&s, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"20\" fill=\"%s\"/>\n", LEFT, y,
            w > 0 ? w : 0, bars[i].colour);
        put(&s, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#333\">%llu</text>\n", LEFT + w + 6, y + 15,
            (unsigned long long)n);
    }
    char rate[64], median[64];
    if (st->false_positive_rate < 0)
        snprintf(rate, sizeof rate, "none decided");
    else
        snprintf(rate, sizeof rate, "%.1f %% of %llu decided", st->false_positive_rate * 100,
                 (unsigned long long)st->decided);
    if (st->median_review_seconds < 0)
        snprintf(median, sizeof median, "none reviewed");
    else if (st->median_review_seconds < 60)
        snprintf(median, sizeof median, "%lld s", (long long)st->median_review_seconds);
    else
        snprintf(median, sizeof median, "%lld h %02lld min",
                 (long long)(st->median_review_seconds / 3600),
                 (long long)(st->median_review_seconds % 3600 / 60));
    const int y = TOP + 5 * 30 + 24;
    put(&s, "<text x=\"16\" y=\"%d\" fill=\"#222\">False-positive rate: %s</text>\n", y, rate);
    put(&s, "<text x=\"16\" y=\"%d\" fill=\"#222\">Median time to review: %s</text>\n", y + 20,
        median);
    put(&s, "<text x=\"16\" y=\"%d\" fill=\"#222\">Decisions made in the period: %llu confirmed,"
            " %llu false positive, %llu escalated</text>\n",
        y + 40, (unsigned long long)st->decisions[BW_REVIEW_CONFIRMED],
        (unsigned long long)st->decisions[BW_REVIEW_FALSE_POSITIVE],
        (unsigned long long)st->decisions[BW_REVIEW_ESCALATED]);
    if (st->self_reports_counted)
        put(&s, "<text x=\"16\" y=\"%d\" fill=\"#222\">Self-reports: %llu received, %llu"
                " withdrawn</text>\n",
            y + 60, (unsigned long long)st->self_reports_received,
            (unsigned long long)st->self_reports_withdrawn);
    else
        put(&s, "<text x=\"16\" y=\"%d\" fill=\"#777\">Self-reports: not counted (no"
                " self_report_bank configured)</text>\n", y + 60);
    return done(&s, size_out);
}

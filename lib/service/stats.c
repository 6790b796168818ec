/*
 * Transparency statistics: aggregate SQL over match_events, the audit log
 * and the self-report bank, the same on SQLite and PostgreSQL. Nothing
 * here reads a hash, a context or a note: only counts and times.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "review_internal.h"

#define DAY 86400
#define MAX_DAYS 3660

typedef struct rows {
    bw_stats_row *v;
    size_t n, cap;
    bool nomem;
} rows;

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free((char *)r->v[i].bank);
    free(r->v);
}

/* Rows arrive ordered by day, bank, status: a new row starts whenever the
 * day or the bank changes. */
static int take_row(void *arg, const bwi_sql_value *c, int n)
{
    rows *r = arg;
    if (n < 4)
        return 1;
    const char *bank = bwi_col_text(&c[1]) ? c[1].s : "";
    bw_stats_row *last = r->n ? &r->v[r->n - 1] : NULL;
    if (!last || last->day != c[0].i || strcmp(last->bank, bank) != 0) {
        if (r->n == r->cap) {
            const size_t cap = r->cap ? r->cap * 2 : 64;
            bw_stats_row *g = realloc(r->v, cap * sizeof *g);
            if (!g) {
                r->nomem = true;
                return 1;
            }
            r->v = g;
            r->cap = cap;
        }
        last = &r->v[r->n];
        memset(last, 0, sizeof *last);
        last->day = c[0].i;
        if (!(last->bank = strdup(bank))) {
            r->nomem = true;
            return 1;
        }
        r->n++;
    }
    const int64_t status = c[2].i, count = c[3].i > 0 ? c[3].i : 0;
    last->matches += (uint64_t)count;
    if (status >= BW_REVIEW_PENDING && status <= BW_REVIEW_NOT_NEEDED)
        last->by_status[status] += (uint64_t)count;
    return 0;
}

static bw_status check_period(bw_ctx *ctx, int64_t from, int64_t to)
{
    if (from < 0 || to <= from)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "the period must end after it begins");
    if (to - from > (int64_t)MAX_DAYS * DAY)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "the period is limited to %d days",
                        MAX_DAYS);
    return BW_OK;
}

/* The store must be locked. */
static bw_status read_rows(bw_ctx *ctx, bw_store *store, int64_t from, int64_t to, rows *r)
{
    const bwi_sql_value p[] = {BWI_INT(from), BWI_INT(to)};
    const bw_status st = bwi_sql(ctx, store,
                                 "SELECT (at / 86400) * 86400, top_bank, status, COUNT(*)"
                                 " FROM match_events WHERE at >= $1 AND at < $2"
                                 " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                                 p, 2, take_row, r);
    if (st == BW_OK && r->nomem)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    return st;
}

static int take_decision(void *arg, const bwi_sql_value *c, int n)
{
    bw_stats_info *s = arg;
    bw_review_status d;
    if (n >= 2 && bwi_col_text(&c[0]) && !strncmp(c[0].s, "review.", 7) &&
        bw_review_status_parse(&d, c[0].s + 7) == BW_OK)
        s->decisions[d] += c[1].i > 0 ? (uint64_t)c[1].i : 0;
    return 0;
}

typedef struct two {
    int64_t v[2];
    int n;
} two;

static int take_two(void *arg, const bwi_sql_value *c, int n)
{
    two *t = arg;
    if (n >= 1 && t->n < 2)
        t->v[t->n++] = c[0].i;
    return 0;
}

#define REVIEWED_WHERE                                                                      \
    " FROM match_events WHERE at >= $1 AND at < $2 AND reviewed_at > 0 AND status IN ($3, $4," \
    " $5)"

/* The median of (reviewed_at - at), read as the one or two middle rows so
 * a long period never sits in memory. */
static bw_status median_review(bw_ctx *ctx, bw_store *store, int64_t from, int64_t to,
                               int64_t *out)
{
    int64_t n = 0;
    const bwi_sql_value p[] = {BWI_INT(from), BWI_INT(to), BWI_INT(BW_REVIEW_CONFIRMED),
                               BWI_INT(BW_REVIEW_FALSE_POSITIVE), BWI_INT(BW_REVIEW_ESCALATED),
                               BWI_INT(0), BWI_INT(0)};
    bw_status st = bwi_sql(ctx, store, "SELECT COUNT(*)" REVIEWED_WHERE, p, 5,
                           bwi_sql_take_int, &n);
    *out = -1;
    if (st != BW_OK || n == 0)
        return st;
    bwi_sql_value q[7];
    memcpy(q, p, sizeof q);
    q[5] = BWI_INT(2 - (n & 1));
    q[6] = BWI_INT((n - 1) / 2);
    two t = {{0, 0}, 0};
    st = bwi_sql(ctx, store,
                 "SELECT reviewed_at - at" REVIEWED_WHERE " ORDER BY 1 LIMIT $6 OFFSET $7", q, 7,
                 take_two, &t);
    if (st == BW_OK && t.n)
        *out = t.n == 2 ? (t.v[0] + t.v[1]) / 2 : t.v[0];
    return st;
}

static bw_status self_reports(bw_ctx *ctx, bw_store *store, const char *bank, int64_t from,
                              int64_t to, bw_stats_info *s)
{
    const bwi_sql_value p[] = {BWI_TEXT(bank), BWI_INT(from), BWI_INT(to)};
    int64_t received = 0, withdrawn = 0;
    bw_status st = bwi_sql(ctx, store,
                           "SELECT COUNT(*) FROM signals s JOIN banks b ON b.id = s.bank_id"
                           " WHERE b.name = $1 AND s.added_at >= $2 AND s.added_at < $3",
                           p, 3, bwi_sql_take_int, &received);
    if (st == BW_OK)
        st = bwi_sql(ctx, store,
                     "SELECT COUNT(*) FROM audit_log a JOIN signals s ON a.subject = 'signal:' ||"
                     " s.id JOIN banks b ON b.id = s.bank_id WHERE a.action = 'signal.remove'"
                     " AND b.name = $1 AND a.at >= $2 AND a.at < $3",
                     p, 3, bwi_sql_take_int, &withdrawn);
    s->self_reports_received = (uint64_t)received;
    s->self_reports_withdrawn = (uint64_t)withdrawn;
    s->self_reports_counted = 1;
    return st;
}

static bw_status compute(bw_ctx *ctx, bw_store *store, int64_t from, int64_t to,
                         const char *self_report_bank, bw_stats_info *s, rows *r)
{
    bw_status st = read_rows(ctx, store, from, to, r);
    for (size_t i = 0; st == BW_OK && i < r->n; i++) {
        s->matches += r->v[i].matches;
        for (int k = 0; k < 6; k++)
            s->by_status[k] += r->v[i].by_status[k];
    }
    const bwi_sql_value p[] = {BWI_INT(from), BWI_INT(to)};
    if (st == BW_OK)
        st = bwi_sql(ctx, store,
                     "SELECT action, COUNT(*) FROM audit_log WHERE at >= $1 AND at < $2 AND"
                     " action LIKE 'review.%' GROUP BY action",
                     p, 2, take_decision, s);
    if (st == BW_OK)
        st = median_review(ctx, store, from, to, &s->median_review_seconds);
    if (st == BW_OK && self_report_bank && *self_report_bank)
        st = self_reports(ctx, store, self_report_bank, from, to, s);
    s->decided = s->by_status[BW_REVIEW_CONFIRMED] + s->by_status[BW_REVIEW_FALSE_POSITIVE];
    s->false_positive_rate =
        s->decided ? (double)s->by_status[BW_REVIEW_FALSE_POSITIVE] / (double)s->decided : -1;
    s->rows = r->v;
    s->row_count = r->n;
    return st;
}

BW_API bw_status bw_stats_compute(bw_ctx *ctx, bw_store *store, int64_t from, int64_t to,
                                  const char *self_report_bank, bw_stats_fn fn, void *arg)
{
    if (!ctx || !store || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bw_status st = check_period(ctx, from, to);
    if (st != BW_OK)
        return st;
    bw_stats_info s;
    memset(&s, 0, sizeof s);
    s.from = from;
    s.to = to;
    rows r = {NULL, 0, 0, false};
    bwi_store_lock(store);
    st = compute(ctx, store, from, to, self_report_bank, &s, &r);
    bwi_store_unlock(store);
    if (st == BW_OK)
        fn(arg, &s);
    rows_free(&r);
    return st;
}

/* ---- CSV ---------------------------------------------------------------------- */

static void csv_field(char *out, size_t size, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        snprintf(out, size, "%s", s);
        return;
    }
    size_t n = 0;
    out[n++] = '"';
    for (; *s && n + 3 < size; s++) {
        if (*s == '"')
            out[n++] = '"';
        out[n++] = *s;
    }
    out[n++] = '"';
    out[n] = '\0';
}

BW_API bw_status bw_stats_write_csv(bw_ctx *ctx, bw_store *store, int64_t from, int64_t to,
                                    bw_write_fn write, void *write_arg)
{
    if (!ctx || !store || !write)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bw_status st = check_period(ctx, from, to);
    if (st != BW_OK)
        return st;
    rows r = {NULL, 0, 0, false};
    bwi_store_lock(store);
    st = read_rows(ctx, store, from, to, &r);
    bwi_store_unlock(store);
    static const char header[] =
        "date,bank,matches,pending,confirmed,false_positive,escalated,not_needed\n";
    if (st == BW_OK && write(write_arg, header, sizeof header - 1) != 0)
        st = bwi_fail(ctx, BW_ERR_IO, "cannot write the statistics");
    for (size_t i = 0; st == BW_OK && i < r.n; i++) {
        const bw_stats_row *x = &r.v[i];
        const time_t t = (time_t)x->day;
        struct tm tm;
        char date[16] = "", bank[2 * BW_BANK_NAME_MAX + 8], line[256];
        if (gmtime_r(&t, &tm))
            strftime(date, sizeof date, "%Y-%m-%d", &tm);
        csv_field(bank, sizeof bank, x->bank);
        const int n = snprintf(line, sizeof line, "%s,%s,%llu,%llu,%llu,%llu,%llu,%llu\n", date,
                               bank, (unsigned long long)x->matches,
                               (unsigned long long)x->by_status[BW_REVIEW_PENDING],
                               (unsigned long long)x->by_status[BW_REVIEW_CONFIRMED],
                               (unsigned long long)x->by_status[BW_REVIEW_FALSE_POSITIVE],
                               (unsigned long long)x->by_status[BW_REVIEW_ESCALATED],
                               (unsigned long long)x->by_status[BW_REVIEW_NOT_NEEDED]);
        if (n < 0 || (size_t)n >= sizeof line || write(write_arg, line, (size_t)n) != 0)
            st = bwi_fail(ctx, BW_ERR_IO, "cannot write the statistics");
    }
    rows_free(&r);
    return st;
}

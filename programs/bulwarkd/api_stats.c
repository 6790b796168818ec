/*
 * Transparency statistics: GET /v1/stats (JSON, or CSV with format=csv)
 * and GET /v1/stats/charts/{matches.svg,outcomes.svg}, all over the period
 * ?from=YYYY-MM-DD&to=YYYY-MM-DD (both days included; by default the last
 * 30 days). The library computes; this file only names and draws.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulwarkd.h"
#include "stats_svg.h"

#define DAY 86400

static bool parse_day(const char *s, int64_t *out)
{
    int y, m, d;
    char tail;
    if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1970 || m < 1 ||
        m > 12 || d < 1 || d > 31)
        return false;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    const time_t t = timegm(&tm);
    struct tm back;
    if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != d) /* 2024-02-31 */
        return false;
    *out = (int64_t)t;
    return true;
}

/* The period [from, to) from the query; false after answering 400. */
static bool period(bwd_request *r, int64_t *from, int64_t *to)
{
    const char *f = bwd_arg(r, "from"), *t = bwd_arg(r, "to");
    *to = ((int64_t)time(NULL) / DAY + 1) * DAY;
    if (t && !parse_day(t, to)) {
        bwd_error(r, 400, "invalid_argument", "'to' must be a date, YYYY-MM-DD");
        return false;
    }
    if (t)
        *to += DAY;
    *from = *to - 30 * DAY;
    if (f && !parse_day(f, from)) {
        bwd_error(r, 400, "invalid_argument", "'from' must be a date, YYYY-MM-DD");
        return false;
    }
    if (*from >= *to || *to - *from > 3660LL * DAY) {
        bwd_error(r, 400, "invalid_argument", "'from' must come before 'to', at most 3660"
                  " days apart");
        return false;
    }
    return true;
}

void bwd_date(char out[16], int64_t t)
{
    const time_t tt = (time_t)t;
    struct tm tm;
    out[0] = '\0';
    if (gmtime_r(&tt, &tm))
        strftime(out, 16, "%Y-%m-%d", &tm);
}

static json_t *statuses(const uint64_t *by)
{
    json_t *j = json_object();
    for (int s = BW_REVIEW_PENDING; s <= BW_REVIEW_NOT_NEEDED; s++)
        json_object_set_new(j, bw_review_status_name((bw_review_status)s),
                            json_integer((json_int_t)by[s]));
    return j;
}

static int stats_json(void *arg, const bw_stats_info *s)
{
    json_t *days = json_array();
    for (size_t i = 0; i < s->row_count; i++) {
        char date[16];
        bwd_date(date, s->rows[i].day);
        json_t *row = json_pack("{s:s, s:s, s:I}", "date", date, "bank", s->rows[i].bank,
                                "matches", (json_int_t)s->rows[i].matches);
        json_t *by = statuses(s->rows[i].by_status);
        json_object_update(row, by);
        json_decref(by);
        json_array_append_new(days, row);
    }
    char from[16], to[16];
    bwd_date(from, s->from);
    bwd_date(to, s->to - DAY);
    json_t *decisions = json_pack(
        "{s:I, s:I, s:I}", "confirmed", (json_int_t)s->decisions[BW_REVIEW_CONFIRMED],
        "false_positive", (json_int_t)s->decisions[BW_REVIEW_FALSE_POSITIVE], "escalated",
        (json_int_t)s->decisions[BW_REVIEW_ESCALATED]);
    json_t *self = s->self_reports_counted
                       ? json_pack("{s:I, s:I}", "received",
                                   (json_int_t)s->self_reports_received, "withdrawn",
                                   (json_int_t)s->self_reports_withdrawn)
                       : json_null();
    *(json_t **)arg = json_pack(
        "{s:s, s:s, s:I, s:o, s:o, s:I, s:o, s:o, s:o, s:o}", "from", from, "to", to, "matches",
        (json_int_t)s->matches, "status", statuses(s->by_status), "decisions", decisions,
        "decided", (json_int_t)s->decided, "false_positive_rate",
        s->false_positive_rate < 0 ? json_null() : json_real(s->false_positive_rate),
        "median_review_seconds",
        s->median_review_seconds < 0 ? json_null() : json_integer(s->median_review_seconds),
        "self_reports", self, "days", days);
    return 0;
}

void bwd_api_stats(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    int64_t from, to;
    const char *format = bwd_arg(r, "format");
    if (format && strcmp(format, "json") && strcmp(format, "csv")) {
        bwd_error(r, 400, "invalid_argument", "format must be json or csv");
        return;
    }
    if (!period(r, &from, &to))
        return;
    if (format && !strcmp(format, "csv")) {
        text_buf b = {0};
        const bw_status st = bw_stats_write_csv(t->ctx, r->srv->store, from, to, text_buf_writer,
                                                  &b);
        if (st != BW_OK) {
            free(b.data);
            bwd_fail(r, st, t->ctx);
            return;
        }
        r->status = 200;
        r->out = b.data;
        r->out_size = b.size;
        r->out_type = "text/csv; charset=utf-8";
        r->disposition = "attachment; filename=\"bulwark-stats.csv\"";
        return;
    }
    json_t *j = NULL;
    const char *self = *r->srv->cfg.self_report_bank ? r->srv->cfg.self_report_bank : NULL;
    const bw_status st = bw_stats_compute(t->ctx, r->srv->store, from, to, self, stats_json, &j);
    if (st != BW_OK) {
        json_decref(j);
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_reply(r, 200, j);
}

typedef struct chart {
    const char *which;
    char *svg;
    size_t size;
} chart;

static int draw(void *arg, const bw_stats_info *s)
{
    chart *c = arg;
    c->svg = !strcmp(c->which, "matches.svg") ? bwd_svg_matches(s, &c->size)
                                              : bwd_svg_outcomes(s, &c->size);
    return 0;
}

void bwd_api_stats_chart(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    chart c = {r->params[0], NULL, 0};
    int64_t from, to;
    if (strcmp(c.which, "matches.svg") && strcmp(c.which, "outcomes.svg")) {
        bwd_error(r, 404, "not_found", "charts are matches.svg and outcomes.svg");
        return;
    }
    if (!period(r, &from, &to))
        return;
    const char *self = *r->srv->cfg.self_report_bank ? r->srv->cfg.self_report_bank : NULL;
    const bw_status st = bw_stats_compute(t->ctx, r->srv->store, from, to, self, draw, &c);
    if (st != BW_OK || !c.svg) {
        free(c.svg);
        if (st != BW_OK)
            bwd_fail(r, st, t->ctx);
        else
            bwd_error(r, 503, "unavailable", "out of memory");
        return;
    }
    r->status = 200;
    r->out = c.svg;
    r->out_size = c.size;
    r->out_type = "image/svg+xml";
}

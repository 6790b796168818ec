/*
 * GET /v1/reports/{id}?format=ncmec|json: the report of a confirmed match,
 * built by the library (bw_report_write) exactly as `bulwark report
 * export` builds it, signed by the configured reporter.
 */
#include <stdlib.h>
#include <string.h>

#include "bulwarkd.h"

static int take_status(void *arg, const bw_event_info *e)
{
    *(bw_review_status *)arg = e->status;
    return 0;
}

void bwd_api_report(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    int64_t id;
    const char *name = bwd_arg(r, "format");
    bw_report_format format = BW_REPORT_NCMEC;
    if (!bwd_path_id(r, r->params[0], "match", &id))
        return;
    if (name && bw_report_format_parse(&format, name) != BW_OK) {
        bwd_error(r, 400, "invalid_argument", "format must be ncmec or json");
        return;
    }
    bw_review_status status = 0;
    bw_status st = bw_event_get(t->ctx, r->srv->store, id, take_status, &status);
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return;
    }
    if (status != BW_REVIEW_CONFIRMED) {
        bwd_error(r, 409, "not_confirmed", "match %lld is %s: only a match a reviewer confirmed"
                  " is reported", (long long)id, bw_review_status_name(status));
        return;
    }
    const char *reporter = bwd_reporter(r->srv);
    if (!reporter && format == BW_REPORT_NCMEC) {
        bwd_error(r, 503, "reporter_not_configured", "set reporter_file to name who reports to"
                  " NCMEC (first_name, last_name, email)");
        return;
    }
    text_buf b = {0};
    st = bw_report_write(t->ctx, r->srv->store, id, format, reporter ? reporter : "{}",
                         text_buf_writer, &b);
    if (st != BW_OK) {
        free(b.data);
        if (st == BW_ERR_INVALID_ARGUMENT) /* the configured reporter is incomplete */
            bwd_error(r, 503, "reporter_not_configured", "%s", bw_ctx_message(t->ctx));
        else
            bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_metrics_count(r->srv->metrics, "reports_exported", 1);
    r->status = 200;
    r->out = b.data;
    r->out_size = b.size;
    r->out_type = format == BW_REPORT_NCMEC ? "application/xml; charset=utf-8"
                                            : "application/json";
    r->disposition = format == BW_REPORT_NCMEC ? "attachment; filename=\"cybertipline-report.xml\""
                                               : "attachment; filename=\"report.json\"";
}

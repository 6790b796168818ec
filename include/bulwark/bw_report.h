/*
 * Bulwark — what a confirmed match leads to: a report to the authorities
 * (a CyberTipline-style XML report for NCMEC, a neutral JSON form for the
 * UK's NCA and others), and the transparency statistics a service
 * publishes about its matches and reviews.
 *
 * THREAD SAFETY: as bw_store: one store may serve many threads, each with
 * its own bw_ctx.
 */
#ifndef BULWARK_BW_REPORT_H
#define BULWARK_BW_REPORT_H

#include "bw_common.h"
#include "bw_service.h"
#include "bw_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reports ------------------------------------------------------------- */

typedef enum bw_report_format {
    BW_REPORT_NCMEC = 1, /* XML shaped like NCMEC's CyberTipline <report> and
                            <fileDetails>, in docs/schemas/cybertipline-report.xsd */
    BW_REPORT_JSON = 2   /* a neutral JSON form (docs/review.md) */
} bw_report_format;

/* "ncmec" or "json"; "unknown" otherwise. */
BW_API const char *bw_report_format_name(bw_report_format format);
/* BW_ERR_PARSE unless name is "ncmec" or "json". */
BW_API bw_status bw_report_format_parse(bw_report_format *format_out, const char *name);

/*
 * Writes the report of one match event that a reviewer confirmed. The
 * reported user is what the platform sent with the upload (the event's
 * context: user_id, user_name, email, ip, ...; see docs/review.md); the
 * file is described by its hashes, never its content. reporter_json is a
 * JSON object naming the reporting person and organisation
 * ({"organisation", "first_name", "last_name", "email", "phone",
 * "legal_url"}); NCMEC needs first_name, last_name and email. The export
 * is audited ("report.export") under the context's actor.
 *
 * BW_ERR_NOT_FOUND for an unknown event; BW_ERR_INVALID_ARGUMENT when the
 * event is not confirmed or the reporter is incomplete (the reason is on
 * the context); BW_ERR_IO when write fails.
 */
BW_API bw_status bw_report_write(bw_ctx *ctx, bw_store *store, int64_t event_id,
                                 bw_report_format format, const char *reporter_json,
                                 bw_write_fn write, void *write_arg);

/* ---- transparency statistics -------------------------------------------- */

/* One day and one bank: matches recorded, and where they stand now. */
typedef struct bw_stats_row {
    int64_t day;                  /* 00:00 UTC of the day, Unix seconds */
    const char *bank;             /* the bank of the event's closest match */
    uint64_t matches;
    uint64_t by_status[6];        /* indexed by bw_review_status */
} bw_stats_row;

/*
 * Statistics of the period [from, to). Matches, statuses, the
 * false-positive rate and the median time to review are of the match
 * events recorded in the period; decisions count every review decision
 * made in the period (from the audit log, so an escalation and the later
 * decision both count); self-reports count the signals added to, and
 * removed from, the self-report bank in the period. The library fills
 * these; pointers are valid only during the callback.
 */
typedef struct bw_stats_info {
    int64_t from, to;
    uint64_t matches;
    uint64_t by_status[6];          /* indexed by bw_review_status */
    uint64_t decisions[6];          /* confirmed, false_positive, escalated */
    uint64_t decided;               /* events confirmed or false positives */
    double false_positive_rate;     /* false positives / decided; -1 when none */
    int64_t median_review_seconds;  /* recording to latest decision; -1 when none */
    uint64_t self_reports_received;
    uint64_t self_reports_withdrawn;
    int self_reports_counted;       /* 0 when no self-report bank was named */
    const bw_stats_row *rows;       /* by day, then bank */
    size_t row_count;
} bw_stats_info;

typedef int (*bw_stats_fn)(void *arg, const bw_stats_info *stats);

/*
 * Computes the statistics of [from, to) (Unix seconds; at most 3660 days)
 * and calls fn once with them. self_report_bank may be NULL (self-reports
 * are then not counted). Works on both store backends.
 */
BW_API bw_status bw_stats_compute(bw_ctx *ctx, bw_store *store, int64_t from, int64_t to,
                                  const char *self_report_bank, bw_stats_fn fn, void *arg);

/* The per-day, per-bank rows as CSV, with the header
 * "date,bank,matches,pending,confirmed,false_positive,escalated,not_needed". */
BW_API bw_status bw_stats_write_csv(bw_ctx *ctx, bw_store *store, int64_t from, int64_t to,
                                    bw_write_fn write, void *write_arg);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_REPORT_H */

/* Shared by the review files: retained media, reports and statistics. */
#ifndef BULWARK_LIB_SERVICE_REVIEW_INTERNAL_H
#define BULWARK_LIB_SERVICE_REVIEW_INTERNAL_H

#include <jansson.h>

#include "bulwark/bw_report.h"
#include "bulwark/bw_vault.h"
#include "service_internal.h"
#include "store/list_format.h"

/* Calls fn with the reference of every sealed file last written before
 * `before` (and deletes temporary files that old); fn returns false to
 * stop. */
bw_status bwi_vault_each_old(bw_ctx *ctx, bw_vault *vault, int64_t before,
                             bool (*fn)(void *arg, const char *ref), void *arg);

/* The subject audit entries about a match event carry: "event:ID". */
void bwi_event_subject(char out[32], int64_t event_id);

/* What a report is made of, gathered once for either format. */
typedef struct bwi_report_input {
    int64_t id, at, reviewed_at, reviewer_key;
    json_t *query;     /* the upload's hashes (object) */
    json_t *matches;   /* array */
    json_t *context;   /* object; empty when the platform sent none */
    json_t *reporter;  /* object */
    bool media_retained;
    bool media_viewed; /* a reviewer revealed the media ("media.reveal") */
} bwi_report_input;

/* bwi_text (store/list_format.h) with a format. */
void bwi_text_printf(bwi_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "YYYY-MM-DDThh:mm:ssZ" (21 bytes with the NUL). */
void bwi_iso_time(char out[32], int64_t unix_seconds);

/* A context field as text: strings as they are, numbers and booleans
 * spelled out; NULL when absent, empty or another type. */
const char *bwi_context_text(const json_t *context, const char *key, char *buf, size_t size);

/* The two renderings (report_xml.c, report_json.c). */
bw_status bwi_report_xml(bw_ctx *ctx, bwi_text *out, const bwi_report_input *in);
bw_status bwi_report_json(bw_ctx *ctx, bwi_text *out, const bwi_report_input *in);

#endif

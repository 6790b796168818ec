/*
 * What review needs from the running service: the media vault (only when
 * retain_media is on: by default a match is recorded without its
 * content), the reporter that signs reports, and the retention sweep that
 * deletes media once retention_days have passed, at start-up and every
 * ten minutes after.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulwarkd.h"

#define SWEEP_MS (10 * 60 * 1000)

struct bwd_review {
    bw_vault *vault;
    char *reporter;      /* JSON text, or NULL when not configured */
    pthread_t sweeper;
    bool sweeping;
};

static void sweep(bwd_server *srv, bw_ctx *ctx)
{
    const int64_t before = (int64_t)time(NULL) - (int64_t)srv->cfg.retention_days * 86400;
    uint64_t deleted = 0;
    bw_ctx_set_actor(ctx, 0);
    if (bw_media_expire(ctx, srv->store, srv->review->vault, before, &deleted) != BW_OK)
        bwd_logf(BWD_ERROR, "retention sweep failed", "{s:s}", "error", bw_ctx_message(ctx));
    else if (deleted)
        bwd_logf(BWD_INFO, "retained media expired", "{s:I, s:i}", "deleted",
                 (json_int_t)deleted, "retention_days", (int)srv->cfg.retention_days);
}

static void *sweep_loop(void *arg)
{
    bwd_server *srv = arg;
    bwd_thread *t = bwd_thread_get();
    if (!t)
        return NULL;
    do
        sweep(srv, t->ctx);
    while (bwd_sleep(srv, SWEEP_MS));
    return NULL;
}

/* The reporter file: a JSON object, read once. */
static char *read_reporter(const char *path)
{
    json_error_t e;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    if (!json_is_object(j)) {
        bwd_logf(BWD_ERROR, "reporter_file must hold a JSON object", "{s:s, s:s}", "file", path,
                 "error", j ? "not an object" : e.text);
        json_decref(j);
        return NULL;
    }
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

bool bwd_review_start(bwd_server *srv)
{
    const bwd_config *c = &srv->cfg;
    bwd_thread *t = bwd_thread_get();
    if (!t || !(srv->review = calloc(1, sizeof *srv->review))) {
        bwd_log(BWD_ERROR, "out of memory at start-up", NULL);
        return false;
    }
    if (*c->reporter_file && !(srv->review->reporter = read_reporter(c->reporter_file)))
        return false;
    if (!c->retain_media)
        return true;
    if (!*c->media_dir || !*c->media_key_file) {
        bwd_log(BWD_ERROR, "retain_media needs media_dir and media_key_file", NULL);
        return false;
    }
    if (!c->retention_days) {
        bwd_log(BWD_ERROR, "retain_media needs retention_days of at least 1", NULL);
        return false;
    }
    if (bw_vault_open(t->ctx, &srv->review->vault, c->media_dir, c->media_key_file) != BW_OK) {
        bwd_logf(BWD_ERROR, "cannot open the media vault", "{s:s}", "error",
                 bw_ctx_message(t->ctx));
        return false;
    }
    srv->review->sweeping = pthread_create(&srv->review->sweeper, NULL, sweep_loop, srv) == 0;
    bwd_logf(BWD_INFO, "retaining matched media", "{s:s, s:i}", "dir", c->media_dir,
             "retention_days", (int)c->retention_days);
    return true;
}

void bwd_review_stop(bwd_server *srv)
{
    bwd_review *rv = srv->review;
    if (!rv)
        return;
    if (rv->sweeping)
        pthread_join(rv->sweeper, NULL);
    bw_vault_close(rv->vault);
    free(rv->reporter);
    free(rv);
    srv->review = NULL;
}

void bwd_media_keep(bwd_request *r, const bw_matches *m, char *ref, size_t size)
{
    *ref = '\0';
    bw_vault *vault = r->srv->review ? r->srv->review->vault : NULL;
    /* Only what a person will review is kept; an allow-listed upload is not. */
    if (!vault || !r->size || size <= BW_VAULT_REF_CHARS ||
        (!bw_matches_actionable(m) && !bwd_matches_quarantined(m)))
        return;
    bwd_thread *t = bwd_thread_get();
    char sealed[BW_VAULT_REF_CHARS + 1];
    if (bw_vault_put(t->ctx, vault, sealed, r->body, r->size) != BW_OK) {
        bwd_metrics_count(r->srv->metrics, "media_retain_failures", 1);
        bwd_logf(BWD_ERROR, "could not retain matched media", "{s:s}", "error",
                 bw_ctx_message(t->ctx));
        return;
    }
    memcpy(ref, sealed, sizeof sealed);
}

void bwd_media_drop(bwd_request *r, const char *ref)
{
    bwd_thread *t = bwd_thread_get();
    if (*ref && r->srv->review && r->srv->review->vault)
        bw_vault_delete(t->ctx, r->srv->review->vault, ref);
}

/* ---- who is asking -------------------------------------------------------------- */

void bwd_api_whoami(bwd_request *r)
{
    bwd_reply(r, 200, json_pack("{s:I, s:s, s:b}", "key_id", (json_int_t)r->key_id, "role",
                                bw_role_name(r->role), "media_retained",
                                r->srv->review && r->srv->review->vault));
}

/* ---- reviewers' media ----------------------------------------------------------- */

/* The media type browsers need to show it; anything unrecognised is
 * plain bytes (and the response forbids rendering it inline anyway). */
static const char *media_type(bw_ctx *ctx, const uint8_t *d, size_t n)
{
    bw_format f = BW_FORMAT_UNKNOWN;
    if (bw_image_probe(ctx, &f, NULL, NULL, d, n) == BW_OK) {
        switch (f) {
        case BW_FORMAT_JPEG: return "image/jpeg";
        case BW_FORMAT_PNG: return "image/png";
        case BW_FORMAT_WEBP: return "image/webp";
        case BW_FORMAT_GIF: return "image/gif";
        case BW_FORMAT_BMP: return "image/bmp";
        case BW_FORMAT_AVIF: return "image/avif";
        default: break;
        }
    }
    if (n > 12 && !memcmp(d + 4, "ftyp", 4))
        return "video/mp4";
    if (n > 4 && !memcmp(d, "\x1a\x45\xdf\xa3", 4))
        return "video/webm";
    return "application/octet-stream";
}

void bwd_api_event_media(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    int64_t id;
    if (!bwd_path_id(r, r->params[0], "match", &id))
        return;
    bw_vault *vault = r->srv->review ? r->srv->review->vault : NULL;
    if (!vault) {
        bwd_error(r, 404, "not_found", "this service retains no media (retain_media is off)");
        return;
    }
    uint8_t *data = NULL;
    size_t size = 0;
    const bw_status st = bw_event_media(t->ctx, r->srv->store, vault, &data, &size, id);
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_metrics_count(r->srv->metrics, "media_views", 1);
    r->status = 200;
    r->out = (char *)data;
    r->out_size = size;
    r->out_type = media_type(t->ctx, data, size);
    /* Never rendered by navigating to it, and inert if it is: the page
     * fetches it with the key and shows it blurred. */
    r->disposition = "attachment";
    r->csp = "default-src 'none'; frame-ancestors 'none'; sandbox";
}

/* The page tells when a person unblurs the media: that, not delivery, is
 * what a report calls viewing the file. */
void bwd_api_event_media_reveal(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    int64_t id;
    if (!bwd_path_id(r, r->params[0], "match", &id))
        return;
    const bw_status st = bw_event_media_revealed(t->ctx, r->srv->store, id);
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        return;
    }
    bwd_reply(r, 204, NULL);
}

const char *bwd_reporter(const bwd_server *srv)
{
    return srv->review ? srv->review->reporter : NULL;
}

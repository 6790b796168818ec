/*
 * Videos on the media routes: POST /v1/hash, /v1/match and
 * /v1/banks/{name}/content with a video body, which http.c has spooled to
 * an unnamed temporary file. The file's digests are read back from it and
 * its vPDQ computed from it with the configured sampling and limits; a
 * match is the digests' matches and every banked video's, in one answer.
 * As for images, an upload that matches nothing leaves no trace: the file
 * disappears with the request, and the log line names neither hash nor
 * content.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulwarkd.h"

/* MD5, SHA-1 and SHA-256 of the spooled upload, into a new bw_hashes. */
static bw_hashes *spool_digests(bwd_request *r)
{
    static const bw_digest_alg algs[] = {BW_DIGEST_MD5, BW_DIGEST_SHA1, BW_DIGEST_SHA256};
    bw_digester *d[3] = {NULL};
    bw_hashes *h = NULL;
    uint8_t *buf = malloc(1 << 20);
    bool ok = buf && bw_hashes_create(&h) == BW_OK;
    for (int i = 0; ok && i < 3; i++)
        ok = bw_digester_create(&d[i], algs[i]) == BW_OK;
    const int fd = fileno(r->spool);
    for (off_t at = 0; ok;) {
        const ssize_t n = pread(fd, buf, 1 << 20, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        for (int i = 0; i < 3; i++)
            bw_digester_update(d[i], buf, (size_t)n);
        at += n;
    }
    for (int i = 0; i < 3; i++) {
        uint8_t out[BW_DIGEST_MAX_BYTES];
        if (ok && bw_digester_final(d[i], out, sizeof out) == BW_OK)
            bw_hashes_set_digest(h, algs[i], out, bw_digest_size(algs[i]));
        bw_digester_free(d[i]);
    }
    free(buf);
    if (!ok) {
        bw_hashes_free(h);
        return NULL;
    }
    return h;
}

/* The upload's digests and vPDQ; false after answering. */
static bool hash_video(bwd_request *r, bwd_thread *t, bw_hashes **h, bw_vpdq **v)
{
    *v = NULL;
    if (!(*h = spool_digests(r))) {
        bwd_error(r, 503, "unavailable", "could not read the spooled upload");
        return false;
    }
    const bw_status st = bw_vpdq_hash_fd(t->ctx, v, r->srv->vpdq, fileno(r->spool));
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
        bw_hashes_free(*h);
        *h = NULL;
        return false;
    }
    return true;
}

/* The video's vPDQ as a signal value, usable as it is with
 * /v1/banks/{name}/signals and /v1/match/hashes. */
static json_t *vpdq_json(const bw_vpdq *v)
{
    const size_t size = bw_vpdq_signal_size(v);
    char *value = size ? malloc(size) : NULL;
    json_t *j = json_pack("{s:I}", "frames", (json_int_t)bw_vpdq_count(v));
    if (value && bw_vpdq_signal_write(value, size, v) == BW_OK)
        json_object_set_new(j, "value", json_string(value));
    free(value);
    return j;
}

/* The upload's hashes: digests and vPDQ, in the shape events keep. */
static json_t *video_hashes_json(const bw_hashes *h, const bw_vpdq *v)
{
    json_t *j = bwd_hashes_json(h, false);
    json_object_set_new(j, "vpdq", vpdq_json(v));
    return j;
}

static json_t *media_json(const bw_vpdq *v)
{
    return json_pack("{s:s, s:i, s:i, s:f, s:I}", "format", "video", "width",
                     (int)bw_vpdq_width(v), "height", (int)bw_vpdq_height(v), "frame_rate",
                     bw_vpdq_frame_rate(v), "frames_decoded",
                     (json_int_t)bw_vpdq_frames_decoded(v));
}

void bwd_video_hash(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    bw_hashes *h;
    bw_vpdq *v;
    if (!hash_video(r, t, &h, &v))
        return;
    json_t *j = video_hashes_json(h, v);
    json_object_set_new(j, "media", media_json(v));
    bw_vpdq_free(v);
    bw_hashes_free(h);
    bwd_reply(r, 200, j);
}

/* The video thresholds: the configuration's, or the request's. */
static bool video_args(bwd_request *r, int *quality, double *query_pct, double *compared_pct)
{
    const bwd_config *c = &r->srv->cfg;
    long long q = c->vpdq_quality, qp = (long long)c->vpdq_query_percent,
              cp = (long long)c->vpdq_compared_percent;
    if (!bwd_arg_int(r, "quality", 0, 101, &q) || !bwd_arg_int(r, "query_percent", 0, 100, &qp) ||
        !bwd_arg_int(r, "compared_percent", 0, 100, &cp))
        return false;
    *quality = (int)q;
    *query_pct = bwd_arg(r, "query_percent") ? (double)qp : c->vpdq_query_percent;
    *compared_pct = bwd_arg(r, "compared_percent") ? (double)cp : c->vpdq_compared_percent;
    return true;
}

void bwd_video_match(bwd_request *r)
{
    bwd_thread *t = bwd_thread_get();
    int threshold, quality;
    double query_pct, compared_pct;
    char *context = NULL;
    if (!bwd_threshold_arg(r, &threshold) || !video_args(r, &quality, &query_pct, &compared_pct) ||
        !bwd_read_context(r, &context))
        return;
    bw_hashes *h;
    bw_vpdq *v;
    if (!hash_video(r, t, &h, &v)) {
        free(context);
        return;
    }
    bw_status st = bw_matcher_match_hashes(t->ctx, r->srv->matcher, t->matches, h, threshold, 0);
    if (st == BW_OK)
        st = bw_matcher_match_vpdq(t->ctx, r->srv->matcher, t->matches, v, threshold, quality,
                                   query_pct, compared_pct, BW_MATCH_APPEND);
    if (st != BW_OK) {
        bwd_fail(r, st, t->ctx);
    } else {
        json_t *hashes = video_hashes_json(h, v);
        int64_t event = 0;
        if (bw_matches_count(t->matches)) {
            char *query = json_dumps(hashes, JSON_COMPACT);
            event = query ? bwd_record_match(r, t, query, context) : 0;
            free(query);
        }
        json_t *j = json_pack("{s:o, s:o, s:o}", "hashes", hashes, "matches",
                              bwd_matches_json(t->matches), "media", media_json(v));
        bwd_add_outcome(j, t->matches, event);
        bwd_reply(r, 200, j);
    }
    free(context);
    bw_vpdq_free(v);
    bw_hashes_free(h);
}

void bwd_video_bank(bwd_request *r, bwd_thread *t, char *meta_json)
{
    bw_hashes *h;
    bw_vpdq *v;
    if (!hash_video(r, t, &h, &v)) {
        free(meta_json);
        return;
    }
    json_t *added = json_array(), *skipped = json_array();
    const size_t size = bw_vpdq_signal_size(v);
    char *value = size ? malloc(size) : NULL;
    if (value && bw_vpdq_signal_write(value, size, v) == BW_OK) {
        json_t *one = bwd_bank_add_one(r, t, BW_SIGNAL_VPDQ, value, meta_json);
        json_object_set_new(one, "frames", json_integer((json_int_t)bw_vpdq_count(v)));
        json_array_append_new(added, one);
    } else {
        json_array_append_new(skipped, json_pack("{s:s, s:s}", "type", "vpdq", "reason",
                                                 "more frames than a banked video may hold;"
                                                 " raise video_seconds_per_hash"));
    }
    free(value);
    static const struct {
        bw_digest_alg alg;
        bw_signal_type type;
    } digests[] = {{BW_DIGEST_MD5, BW_SIGNAL_MD5},
                   {BW_DIGEST_SHA1, BW_SIGNAL_SHA1},
                   {BW_DIGEST_SHA256, BW_SIGNAL_SHA256}};
    for (size_t i = 0; i < sizeof digests / sizeof digests[0]; i++) {
        uint8_t d[BW_DIGEST_MAX_BYTES];
        char hex[2 * BW_DIGEST_MAX_BYTES + 1];
        if (bw_hashes_digest(h, digests[i].alg, d, sizeof d) == BW_OK) {
            bw_hex_encode(hex, d, bw_digest_size(digests[i].alg));
            json_array_append_new(added, bwd_bank_add_one(r, t, digests[i].type, hex, meta_json));
        }
    }
    free(meta_json);
    bw_vpdq_free(v);
    bw_hashes_free(h);
    bwd_bank_catch_up(r, t);
    bwd_reply(r, 201, json_pack("{s:s, s:o, s:o}", "bank", r->params[0], "signals", added,
                                "skipped", skipped));
}

/*
 * bulwark bank add-file: banks every signal of media files, as the
 * service's POST /v1/banks/{name}/content does: an image's PDQ hash (when
 * its quality is at least 50) and digests, a video's vPDQ and digests.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* PDQ hashes of flatter images match too much to bank. */
#define MIN_BANKED_QUALITY 50

typedef struct file_bank {
    bw_ctx *ctx;
    bw_store *store;
    const char *bank, *source, *metadata;
    cli_buf out;
    bool first;
    bool failed;
} file_bank;

static void add(file_bank *fb, bw_signal_type type, const char *value, size_t frames)
{
    int64_t id = 0;
    const bw_status st =
        bw_signal_add(fb->ctx, fb->store, fb->bank, type, value, fb->source, fb->metadata, &id);
    if (st != BW_OK && st != BW_ERR_EXISTS) {
        cli_error("%s", bw_ctx_message(fb->ctx));
        fb->failed = true;
        return;
    }
    cli_buf_printf(&fb->out, "%s{\"type\":\"%s\",\"id\":%lld,\"added\":%s", fb->first ? "" : ",",
                   bw_signal_type_name(type), (long long)id, st == BW_OK ? "true" : "false");
    if (frames)
        cli_buf_printf(&fb->out, ",\"frames\":%zu}", frames);
    else {
        cli_buf_puts(&fb->out, ",\"value\":");
        cli_buf_json_string(&fb->out, value);
        cli_buf_puts(&fb->out, "}");
    }
    fb->first = false;
}

static void add_digests(file_bank *fb, const bw_hashes *h)
{
    static const bw_digest_alg algs[] = {BW_DIGEST_MD5, BW_DIGEST_SHA1, BW_DIGEST_SHA256};
    static const bw_signal_type types[] = {BW_SIGNAL_MD5, BW_SIGNAL_SHA1, BW_SIGNAL_SHA256};
    for (int i = 0; i < 3; i++) {
        uint8_t d[BW_DIGEST_MAX_BYTES];
        char hex[2 * BW_DIGEST_MAX_BYTES + 1];
        if (bw_hashes_digest(h, algs[i], d, sizeof d) != BW_OK)
            continue;
        bw_hex_encode(hex, d, bw_digest_size(algs[i]));
        add(fb, types[i], hex, 0);
    }
}

static bool add_video(file_bank *fb, const bw_vpdq_options *o, const char *path)
{
    char error[512];
    bw_hashes *h = cli_video_digests(path, error, sizeof error);
    if (!h) {
        cli_error("%s: %s", path, error);
        return false;
    }
    bw_vpdq *v = NULL;
    const bw_status st = bw_vpdq_hash_file(fb->ctx, &v, o, path);
    char *value = st == BW_OK ? cli_vpdq_value(v) : NULL;
    if (value)
        add(fb, BW_SIGNAL_VPDQ, value, bw_vpdq_count(v));
    else
        cli_error("%s: %s", path, st != BW_OK ? bw_ctx_message(fb->ctx)
                                              : "no frame to bank, or too many");
    if (value)
        add_digests(fb, h);
    free(value);
    bw_vpdq_free(v);
    bw_hashes_free(h);
    return value != NULL;
}

static bool add_image(file_bank *fb, const char *path, cli_buf *skipped)
{
    bw_hashes *h;
    if (bw_hashes_create(&h) != BW_OK)
        return false;
    const bw_status st = bw_hash_file(fb->ctx, h,
                                      BW_HASH_PDQ | BW_HASH_MD5 | BW_HASH_SHA1 | BW_HASH_SHA256,
                                      path);
    if (st != BW_OK) {
        cli_error("%s: %s", path, bw_ctx_message(fb->ctx));
        bw_hashes_free(h);
        return false;
    }
    uint8_t pdq[BW_PDQ_BYTES];
    int quality = 0;
    char hex[BW_PDQ_HEX_CHARS + 1];
    bw_hashes_pdq(h, pdq, &quality);
    bw_pdq_to_hex(hex, pdq);
    if (quality >= MIN_BANKED_QUALITY)
        add(fb, BW_SIGNAL_PDQ, hex, 0);
    else
        cli_buf_printf(skipped, "{\"type\":\"pdq\",\"value\":\"%s\",\"reason\":\"PDQ quality "
                                "%d is under %d: the image is too flat to match reliably\"}",
                       hex, quality, MIN_BANKED_QUALITY);
    add_digests(fb, h);
    bw_hashes_free(h);
    return true;
}

int cli_bank_add_files(bw_ctx *ctx, bw_store *store, const char *bank, char **files, int count,
                       const char *source, const char *metadata, double seconds_per_hash)
{
    if (count == 0) {
        cli_error("usage: bulwark bank add-file NAME FILE... [--seconds-per-hash S]");
        return CLI_EXIT_USAGE;
    }
    cli_video_flags flags = {.seconds = seconds_per_hash};
    bw_vpdq_options *o = cli_video_options_make(&flags, 1);
    if (!o)
        return CLI_EXIT_FAILED;
    int rc = CLI_EXIT_OK;
    for (int i = 0; i < count; i++) {
        file_bank fb = {ctx, store, bank, source ? source : "file", metadata, {0}, true, false};
        cli_buf skipped = {0};
        cli_buf_puts(&fb.out, "{\"file\":");
        cli_buf_json_string(&fb.out, files[i]);
        cli_buf_puts(&fb.out, ",\"signals\":[");
        const bool ok = cli_is_video(ctx, files[i]) ? add_video(&fb, o, files[i])
                                                    : add_image(&fb, files[i], &skipped);
        cli_buf_printf(&fb.out, "],\"skipped\":[%s]}\n", skipped.data ? skipped.data : "");
        if (ok && !fb.failed)
            fputs(fb.out.data, stdout);
        else
            rc = CLI_EXIT_FAILED;
        cli_buf_free(&fb.out);
        cli_buf_free(&skipped);
    }
    bw_vpdq_options_free(o);
    return rc;
}

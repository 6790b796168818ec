/*
 * bulwark bank add-file and add-content: bank media files. An image gets
 * every signal the bank's settings ask for (bw_bank_add_content: by default
 * its PDQ, its content boxes' and crop regions', and its digests), as the
 * service's POST /v1/banks/{name}/content does; a video its vPDQ and
 * digests. add-file prints one JSON line a file, add-content a summary.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Files larger than this are refused before reading (the library's default
 * input limit). */
#define CONTENT_MAX_BYTES ((uint64_t)256 << 20)

typedef struct file_bank {
    bw_ctx *ctx;
    bw_store *store;
    const char *bank, *source, *metadata;
    cli_buf out;
    cli_buf skipped;
    bool first;
    bool failed;
    uint64_t added, existed, regions; /* for the summary */
} file_bank;

/* One signal of a file in its JSON line, counted for the summary; frames
 * (a video's vPDQ) stand instead of the long value. */
static void put_signal(file_bank *fb, bw_signal_type type, int64_t id, bool added,
                       const char *value, size_t frames, const char *part, const char *region)
{
    *(added ? &fb->added : &fb->existed) += 1;
    fb->regions += added && region;
    cli_buf_printf(&fb->out, "%s{\"type\":\"%s\",\"id\":%lld,\"added\":%s", fb->first ? "" : ",",
                   bw_signal_type_name(type), (long long)id, added ? "true" : "false");
    if (frames) {
        cli_buf_printf(&fb->out, ",\"frames\":%zu", frames);
    } else {
        cli_buf_puts(&fb->out, ",\"value\":");
        cli_buf_json_string(&fb->out, value);
    }
    if (part)
        cli_buf_printf(&fb->out, ",\"part\":\"%s\"", part);
    if (region)
        cli_buf_printf(&fb->out, ",\"region\":\"%s\"", region);
    cli_buf_puts(&fb->out, "}");
    fb->first = false;
}

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
    put_signal(fb, type, id, st == BW_OK, value, frames, NULL, NULL);
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

static bool add_video(file_bank *fb, const bw_vpdq_options *o, const char *name,
                      const char *path)
{
    char error[512];
    bw_hashes *h = cli_video_digests(path, error, sizeof error);
    if (!h) {
        cli_error("%s: %s", name, error);
        return false;
    }
    bw_vpdq *v = NULL;
    const bw_status st = bw_vpdq_hash_file(fb->ctx, &v, o, path);
    char *value = st == BW_OK ? cli_vpdq_value(v) : NULL;
    if (value)
        add(fb, BW_SIGNAL_VPDQ, value, bw_vpdq_count(v));
    else
        cli_error("%s: %s", name, st != BW_OK ? bw_ctx_message(fb->ctx)
                                              : "no frame to bank, or too many");
    if (value)
        add_digests(fb, h);
    free(value);
    bw_vpdq_free(v);
    bw_hashes_free(h);
    return value != NULL;
}

static uint8_t *read_whole(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    int e = 0;
    if (fstat(fileno(f), &st) != 0)
        e = errno;
    else if (!S_ISREG(st.st_mode))
        e = EISDIR;
    else if ((uint64_t)st.st_size > CONTENT_MAX_BYTES)
        e = EFBIG;
    uint8_t *data = e ? NULL : malloc((size_t)st.st_size + 1);
    if (!e && !data)
        e = ENOMEM;
    if (data && (*size = fread(data, 1, (size_t)st.st_size, f)) != (size_t)st.st_size) {
        free(data);
        data = NULL;
        e = EIO;
    }
    fclose(f);
    errno = e;
    return data;
}

static int image_signal(void *arg, const bw_content_signal *sig)
{
    file_bank *fb = arg;
    if (sig->outcome == BW_CONTENT_TOO_FLAT) {
        cli_buf_printf(&fb->skipped, "{\"type\":\"pdq\",\"value\":\"%s\",\"reason\":\"PDQ "
                                     "quality %d is under %d: the image is too flat to match "
                                     "reliably\"}",
                       sig->value, sig->quality, BW_PDQ_REGION_MIN_QUALITY);
        return 0;
    }
    put_signal(fb, sig->type, sig->id, sig->outcome == BW_CONTENT_ADDED, sig->value, 0,
               sig->part, sig->region);
    return 0;
}

/* An image: what the bank's settings ask for. A missing bank or malformed
 * settings fail every file alike, hence *stop. */
static bool add_image(file_bank *fb, const char *name, const char *path, bool *stop)
{
    size_t size = 0;
    uint8_t *data = read_whole(path, &size);
    if (!data) {
        cli_error("%s: %s", name, strerror(errno));
        return false;
    }
    const bw_status st = bw_bank_add_content_each(fb->ctx, fb->store, fb->bank, data, size,
                                                  fb->metadata, fb->source, NULL, image_signal,
                                                  fb);
    free(data);
    if (st != BW_OK) {
        cli_error("%s: %s", name, bw_ctx_message(fb->ctx));
        *stop = st == BW_ERR_NOT_FOUND || st == BW_ERR_PARSE;
    }
    return st == BW_OK;
}

int cli_bank_add_files(bw_ctx *ctx, bw_store *store, const char *bank, char **files, int count,
                       const char *source, const char *metadata, double seconds_per_hash,
                       bool summary)
{
    if (count == 0) {
        cli_error("usage: bulwark bank %s NAME FILE... [--metadata JSON] [--source TEXT] "
                  "[--seconds-per-hash S]",
                  summary ? "add-content" : "add-file");
        return CLI_EXIT_USAGE;
    }
    cli_video_flags flags = {.seconds = seconds_per_hash};
    bw_vpdq_options *o = cli_video_options_make(&flags, 1);
    if (!o)
        return CLI_EXIT_FAILED;
    int rc = CLI_EXIT_OK;
    bool stop = false;
    for (int i = 0; i < count && !stop; i++) {
        file_bank fb = {ctx, store, bank, source ? source : "file", metadata, {0}, {0}, true,
                        false, 0, 0, 0};
        cli_buf_puts(&fb.out, "{\"file\":");
        cli_buf_json_string(&fb.out, files[i]);
        cli_buf_puts(&fb.out, ",\"signals\":[");
        cli_spool sp;
        char why[512];
        bool ok = cli_spool_open(&sp, ctx, files[i], 0, why, sizeof why) == BW_OK;
        if (!ok)
            cli_error("%s: %s", files[i], why);
        else if (cli_is_video(ctx, sp.path))
            ok = add_video(&fb, o, files[i], sp.path);
        else
            ok = add_image(&fb, files[i], sp.path, &stop);
        cli_spool_close(&sp);
        cli_buf_printf(&fb.out, "],\"skipped\":[%s]}\n", fb.skipped.data ? fb.skipped.data : "");
        if (!ok || fb.failed)
            rc = CLI_EXIT_FAILED;
        else if (!summary)
            fputs(fb.out.data, stdout);
        else
            fprintf(stderr, "%s: %llu signals added (%llu crop regions), %llu already in the bank%s\n",
                    files[i], (unsigned long long)fb.added, (unsigned long long)fb.regions,
                    (unsigned long long)fb.existed,
                    fb.skipped.data ? "; its PDQ is too flat to bank" : "");
        cli_buf_free(&fb.out);
        cli_buf_free(&fb.skipped);
    }
    bw_vpdq_options_free(o);
    return rc;
}

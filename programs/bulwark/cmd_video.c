/*
 * bulwark hash, for videos: vPDQ lines as vpdq-hash-video writes them, or a
 * JSON object, with the file's digests computed while streaming it (a video
 * is never read into memory whole).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

bool cli_is_video(bw_ctx *ctx, const char *path)
{
    uint8_t head[512];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    bw_format format = BW_FORMAT_UNKNOWN;
    return n > 0 &&
           bw_image_probe(ctx, &format, NULL, NULL, head, (size_t)n) == BW_OK &&
           format == BW_FORMAT_VIDEO;
}

bw_status cli_digest_file(const char *path, const bw_digest_alg *algs, int count,
                          uint8_t out[][BW_DIGEST_MAX_BYTES], char *error, size_t error_size)
{
    bw_digester *d[CLI_MAX_DIGESTS] = {NULL};
    bw_status st = BW_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(error, error_size, "cannot open: %s", strerror(errno));
        return BW_ERR_IO;
    }
    for (int i = 0; i < count && st == BW_OK; i++)
        st = bw_digester_create(&d[i], algs[i]);
    static const size_t chunk = 1 << 20;
    uint8_t *buf = st == BW_OK ? malloc(chunk) : NULL;
    if (!buf && st == BW_OK)
        st = BW_ERR_NOMEM;
    while (st == BW_OK) {
        ssize_t got = read(fd, buf, chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(error, error_size, "read failed: %s", strerror(errno));
            st = BW_ERR_IO;
            break;
        }
        if (got == 0)
            break;
        for (int i = 0; i < count; i++)
            bw_digester_update(d[i], buf, (size_t)got);
    }
    for (int i = 0; i < count; i++) {
        if (st == BW_OK)
            st = bw_digester_final(d[i], out[i], BW_DIGEST_MAX_BYTES);
        bw_digester_free(d[i]);
    }
    if (st == BW_ERR_NOMEM)
        snprintf(error, error_size, "out of memory");
    free(buf);
    close(fd);
    return st;
}

static void put_hex(cli_buf *b, const uint8_t *bytes, size_t n)
{
    char hex[2 * BW_DIGEST_MAX_BYTES + 1];
    bw_hex_encode(hex, bytes, n);
    cli_buf_append(b, hex, 2 * n);
}

static void csv_output(const cli_video_options *opt, const char *path, const bw_vpdq *v,
                       uint8_t digests[][BW_DIGEST_MAX_BYTES], cli_buf *out)
{
    if (!opt->vpdq_wanted) {
        /* Digests only: the same line as for any other file. */
        for (int i = 0; i < opt->digest_count; i++) {
            put_hex(out, digests[i], bw_digest_size(opt->digests[i]));
            cli_buf_puts(out, ",");
        }
        cli_buf_printf(out, "%s\n", path);
        return;
    }
    if (opt->header || opt->digest_count) {
        cli_buf_printf(out, "#vpdq,%zu,", bw_vpdq_count(v));
        for (int i = 0; i < opt->digest_count; i++) {
            put_hex(out, digests[i], bw_digest_size(opt->digests[i]));
            cli_buf_puts(out, ",");
        }
        cli_buf_printf(out, "%s\n", path);
    }
    char line[BW_VPDQ_LINE_MAX];
    for (size_t i = 0; i < bw_vpdq_count(v); i++)
        cli_buf_append(out, line, bw_vpdq_write_line(line, v, i));
}

static void json_output(const cli_video_options *opt, const char *path, const bw_vpdq *v,
                        uint8_t digests[][BW_DIGEST_MAX_BYTES], bw_status st,
                        const char *message, cli_buf *out)
{
    cli_buf_puts(out, "{\"file\":");
    cli_buf_json_string(out, path);
    cli_buf_puts(out, ",\"format\":\"video\"");
    if (v)
        cli_buf_printf(out, ",\"width\":%u,\"height\":%u,\"frame_rate\":%.6g,"
                            "\"frames_decoded\":%llu,\"frames_skipped\":%llu",
                       bw_vpdq_width(v), bw_vpdq_height(v), bw_vpdq_frame_rate(v),
                       (unsigned long long)bw_vpdq_frames_decoded(v),
                       (unsigned long long)bw_vpdq_frames_skipped(v));
    for (int i = 0; i < opt->digest_count && digests; i++) {
        cli_buf_printf(out, ",\"%s\":\"", bw_digest_name(opt->digests[i]));
        put_hex(out, digests[i], bw_digest_size(opt->digests[i]));
        cli_buf_puts(out, "\"");
    }
    if (v) {
        cli_buf_puts(out, ",\"vpdq\":[");
        for (size_t i = 0; i < bw_vpdq_count(v); i++) {
            int64_t frame;
            int quality;
            uint8_t hash[BW_PDQ_BYTES];
            double seconds;
            bw_vpdq_get(v, i, &frame, &quality, hash, &seconds);
            cli_buf_printf(out, "%s{\"frame\":%lld,\"quality\":%d,\"hash\":\"", i ? "," : "",
                           (long long)frame, quality);
            put_hex(out, hash, BW_PDQ_BYTES);
            cli_buf_printf(out, "\",\"timestamp\":%.3f}", seconds);
        }
        cli_buf_puts(out, "]");
    }
    if (st != BW_OK) {
        cli_buf_printf(out, ",\"error\":{\"code\":\"%s\",\"message\":", bw_status_code(st));
        cli_buf_json_string(out, message);
        cli_buf_puts(out, "}");
    }
    cli_buf_puts(out, "}\n");
}

void cli_video_hash(bw_ctx *ctx, const cli_video_options *opt, const char *name,
                    const char *path, cli_result *res)
{
    uint8_t digests[CLI_MAX_DIGESTS][BW_DIGEST_MAX_BYTES];
    char message[512] = "";
    bw_vpdq *v = NULL;
    bw_status st = BW_OK;
    if (opt->digest_count)
        st = cli_digest_file(path, opt->digests, opt->digest_count, digests, message,
                             sizeof message);
    const bool have_digests = opt->digest_count && st == BW_OK;
    if (st == BW_OK && opt->vpdq_wanted) {
        if (opt->dihedral) {
            st = BW_ERR_UNSUPPORTED;
            snprintf(message, sizeof message,
                     "--dihedral is for images; a video has no dihedral vPDQ");
        } else {
            st = bw_vpdq_hash_file(ctx, &v, opt->vpdq, path);
            snprintf(message, sizeof message, "%s",
                     *bw_ctx_message(ctx) ? bw_ctx_message(ctx) : bw_strerror(st));
        }
    }
    /* A failed video prints nothing in CSV, except the frames hashed before
     * the failure when --partial asked for them (v is then set). */
    if (opt->json)
        json_output(opt, name, v, have_digests ? digests : NULL, st, message, &res->out);
    else if (st == BW_OK || v)
        csv_output(opt, name, v, digests, &res->out);
    bw_vpdq_free(v);
    if (st == BW_OK)
        return;
    res->failed = true;
    cli_buf_printf(&res->err, "bulwark: %s: %s (%s)\n", name, message, bw_status_code(st));
}

/* bulwark hash: PDQ and exact hashes of image files, vPDQ of videos. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum algo { ALGO_PDQ, ALGO_MD5, ALGO_SHA1, ALGO_SHA256, ALGO_COUNT };

static const char *const algo_names[ALGO_COUNT] = {"pdq", "md5", "sha1", "sha256"};

typedef struct hash_options {
    enum algo order[ALGO_COUNT]; /* requested algorithms, in --algo order */
    int count;
    bool dihedral;
    bool json;
    bool fast;
    unsigned flags;
    cli_batch batch;
    bool force_video;
    cli_video_options video;
} hash_options;

typedef struct hash_thread {
    bw_ctx *ctx;
    bw_hashes *hashes;
    const hash_options *opt;
} hash_thread;

static void usage(FILE *f)
{
    fputs(
        "Usage: bulwark hash [OPTIONS] FILE...\n"
        "       bulwark hash [OPTIONS] --from LIST   (LIST: one path a line; - is stdin)\n"
        "       bulwark hash [OPTIONS] -             (paths on stdin)\n"
        "\n"
        "Prints the PDQ hash of each image, bit-identical to Meta's reference\n"
        "pdq-photo-hasher, and exact digests of its bytes. Formats: JPEG, PNG,\n"
        "WebP, GIF (first frame), BMP, PNM/PAM, TIFF, HEIF and AVIF.\n"
        "Videos (MP4, MOV, MKV, WebM, AVI, FLV, MPEG-PS/TS, Ogg, ASF, ...: any\n"
        "FFmpeg reads) get vPDQ lines, identical to Meta's vpdq-hash-video.\n"
        "\n"
        "Options:\n"
        "  --algo LIST      comma-separated: pdq,md5,sha1,sha256 (default: pdq)\n"
        "  --dihedral       the 8 rotation/mirror PDQ hashes instead of one\n"
        "  --format FMT     csv (default) or json (one object a line)\n"
        "  --fast           decode JPEGs at reduced scale: faster, hash a few\n"
        "                   bits from the exact one. For videos sampled with\n"
        "                   --seconds-per-hash: skip decoding H.264 frames that are\n"
        "                   neither hashed nor referenced (same output)\n"
        "  -j, --jobs N     hash on N threads (default 1; 0 = one per core)\n"
        "  -k, --keep-going go on after a file fails (exit status still 1)\n"
        "  --from LIST      read paths from LIST instead of the command line\n"
        "  --max-pixels N   refuse images over N pixels (default 100M)\n"
        "  --max-bytes N    refuse image files over N bytes (default 256M)\n"
        "  --no-progress    no progress line on a terminal\n"
        "  -h, --help       this help\n"
        "\n"
        "Video options:\n"
        "  --video          hash every file as a video (else detected from its bytes)\n"
        "  --seconds-per-hash S  hash one frame every S seconds (default 0: every\n"
        "                   frame), as the reference's -r\n"
        "  --video-size N   scale frames to NxN before hashing, as the reference's -s\n"
        "                   (default 0: their own size)\n"
        "  --partial        for a damaged video, print the frames hashed before the\n"
        "                   error (the file still counts as failed)\n"
        "  --max-duration S refuse videos longer than S seconds (default 14400)\n"
        "  --max-frames N   refuse videos of more than N frames (default 1M)\n"
        "  --max-decode-time S  give up on a video after S seconds (default 1800)\n"
        "  --max-streams N  refuse files of more than N streams (default 64)\n"
        "\n"
        "CSV columns: HASH,QUALITY,FILENAME as the reference prints them; with\n"
        "--dihedral ORIG,ROT90,ROT180,ROT270,FLIPX,FLIPY,FLIPPLUS1,FLIPMINUS1,\n"
        "QUALITY,FILENAME; digests follow in --algo order, before FILENAME.\n"
        "A video prints FRAME,QUALITY,HASH,TIMESTAMP lines exactly as the reference\n"
        "writes them. When several files are given, or digests are asked for, a\n"
        "header line '#vpdq,LINES,DIGESTS...,FILENAME' comes before each video's\n"
        "lines. In JSON a video is one object with a \"vpdq\" array.\n"
        "-j N hashes N files at once; a single video uses the N threads itself.\n"
        "A FILE that is a stream (a pipe, /dev/stdin, <(curl ...)) is copied first\n"
        "to an unnamed temporary file in $TMPDIR (else /tmp), up to --max-bytes\n"
        "(default: 256M, or 1G when its first bytes are a video's).\n"
        "Exit status: 0 when every file hashed, 1 when any failed, 2 on usage errors.\n",
        f);
}

static bool parse_algos(const char *text, hash_options *opt)
{
    opt->count = 0;
    char *copy = strdup(text);
    if (!copy)
        return false;
    bool ok = true;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int a = 0; a < ALGO_COUNT; a++)
            if (strcmp(tok, algo_names[a]) == 0)
                found = a;
        if (found < 0) {
            cli_error("unknown algorithm '%s' (choose from pdq, md5, sha1, sha256)",
                      tok);
            ok = false;
            break;
        }
        for (int i = 0; i < opt->count; i++)
            if (opt->order[i] == (enum algo)found)
                found = -2;
        if (found >= 0)
            opt->order[opt->count++] = (enum algo)found;
    }
    free(copy);
    if (ok && opt->count == 0) {
        cli_error("--algo needs at least one algorithm");
        ok = false;
    }
    return ok;
}

static void *thread_init(void *arg)
{
    hash_thread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->opt = arg;
    if (bw_ctx_create(&t->ctx) != BW_OK || bw_hashes_create(&t->hashes) != BW_OK) {
        bw_ctx_free(t->ctx);
        free(t);
        return NULL;
    }
    cli_batch_limits(&t->opt->batch, t->ctx);
    return t;
}

static void thread_free(void *state)
{
    hash_thread *t = state;
    if (!t)
        return;
    bw_hashes_free(t->hashes);
    bw_ctx_free(t->ctx);
    free(t);
}

static bw_digest_alg digest_of(enum algo a)
{
    return a == ALGO_MD5 ? BW_DIGEST_MD5 : a == ALGO_SHA1 ? BW_DIGEST_SHA1
                                                          : BW_DIGEST_SHA256;
}

static void put_hex(cli_buf *b, const uint8_t *bytes, size_t n)
{
    char hex[2 * BW_DIGEST_MAX_BYTES + 1];
    bw_hex_encode(hex, bytes, n);
    cli_buf_append(b, hex, 2 * n);
}

static void csv_line(const hash_thread *t, const char *path, cli_buf *out)
{
    const hash_options *opt = t->opt;
    bool first = true;
    for (int i = 0; i < opt->count; i++) {
        if (!first)
            cli_buf_puts(out, ",");
        first = false;
        uint8_t bytes[BW_DIGEST_MAX_BYTES];
        if (opt->order[i] == ALGO_PDQ) {
            int quality = 0;
            bw_hashes_pdq(t->hashes, bytes, &quality);
            if (opt->dihedral) {
                for (int d = 0; d < BW_PDQ_DIHEDRAL_COUNT; d++) {
                    bw_hashes_pdq_dihedral(t->hashes, (bw_dihedral)d, bytes);
                    put_hex(out, bytes, BW_PDQ_BYTES);
                    cli_buf_puts(out, ",");
                }
            } else {
                put_hex(out, bytes, BW_PDQ_BYTES);
                cli_buf_puts(out, ",");
            }
            cli_buf_printf(out, "%d", quality);
        } else {
            bw_digest_alg alg = digest_of(opt->order[i]);
            bw_hashes_digest(t->hashes, alg, bytes, sizeof bytes);
            put_hex(out, bytes, bw_digest_size(alg));
        }
    }
    cli_buf_printf(out, ",%s\n", path);
}

static void json_line(const hash_thread *t, const char *path, cli_buf *out)
{
    const hash_options *opt = t->opt;
    cli_buf_puts(out, "{\"file\":");
    cli_buf_json_string(out, path);
    uint8_t bytes[BW_DIGEST_MAX_BYTES];
    if (bw_hashes_flags(t->hashes) & BW_HASH_PDQ)
        cli_buf_printf(out, ",\"format\":\"%s\",\"width\":%u,\"height\":%u",
                       bw_format_name(bw_hashes_format(t->hashes)),
                       bw_hashes_width(t->hashes), bw_hashes_height(t->hashes));
    for (int i = 0; i < opt->count; i++) {
        if (opt->order[i] == ALGO_PDQ) {
            int quality = 0;
            bw_hashes_pdq(t->hashes, bytes, &quality);
            cli_buf_puts(out, ",\"pdq\":{\"hash\":\"");
            put_hex(out, bytes, BW_PDQ_BYTES);
            cli_buf_printf(out, "\",\"quality\":%d}", quality);
            if (opt->dihedral) {
                cli_buf_puts(out, ",\"pdq_dihedral\":{");
                for (int d = 0; d < BW_PDQ_DIHEDRAL_COUNT; d++) {
                    bw_hashes_pdq_dihedral(t->hashes, (bw_dihedral)d, bytes);
                    cli_buf_printf(out, "%s\"%s\":\"", d ? "," : "",
                                   bw_dihedral_name((bw_dihedral)d));
                    put_hex(out, bytes, BW_PDQ_BYTES);
                    cli_buf_puts(out, "\"");
                }
                cli_buf_puts(out, "}");
            }
        } else {
            bw_digest_alg alg = digest_of(opt->order[i]);
            bw_hashes_digest(t->hashes, alg, bytes, sizeof bytes);
            cli_buf_printf(out, ",\"%s\":\"", bw_digest_name(alg));
            put_hex(out, bytes, bw_digest_size(alg));
            cli_buf_puts(out, "\"");
        }
    }
    cli_buf_puts(out, "}\n");
}

static void report_failure(hash_thread *t, const char *name, bw_status st, const char *detail,
                           cli_result *res)
{
    res->failed = true;
    cli_buf_printf(&res->err, "bulwark: %s: %s (%s)\n", name,
                   *detail ? detail : bw_strerror(st), bw_status_code(st));
    if (t->opt->json) {
        cli_buf_puts(&res->out, "{\"file\":");
        cli_buf_json_string(&res->out, name);
        cli_buf_printf(&res->out, ",\"error\":{\"code\":\"%s\",\"message\":",
                       bw_status_code(st));
        cli_buf_json_string(&res->out, *detail ? detail : bw_strerror(st));
        cli_buf_puts(&res->out, "}}\n");
    }
}

static void process(void *state, const char *name, cli_result *res)
{
    hash_thread *t = state;
    cli_spool sp;
    char why[512] = "";
    bw_status st = cli_spool_open(&sp, t->ctx, name, t->opt->batch.max_bytes, why, sizeof why);
    if (st != BW_OK)
        return report_failure(t, name, st, why, res);
    if (t->opt->force_video || cli_is_video(t->ctx, sp.path)) {
        cli_video_hash(t->ctx, &t->opt->video, name, sp.path, res);
        cli_spool_close(&sp);
        return;
    }
    st = bw_hash_file(t->ctx, t->hashes, t->opt->flags, sp.path);
    cli_spool_close(&sp);
    if (st != BW_OK)
        return report_failure(t, name, st, bw_ctx_message(t->ctx), res);
    if (t->opt->json)
        json_line(t, name, &res->out);
    else
        csv_line(t, name, &res->out);
}

int cmd_hash(int argc, char **argv)
{
    hash_options opt = {.order = {ALGO_PDQ}, .count = 1, .batch = CLI_BATCH_DEFAULTS};
    enum { OPT_ALGO = 256, OPT_DIHEDRAL, OPT_FORMAT, OPT_FAST, OPT_VIDEO_FIRST };
    static const struct option longopts[] = {
        {"algo", required_argument, NULL, OPT_ALGO},
        {"dihedral", no_argument, NULL, OPT_DIHEDRAL},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"fast", no_argument, NULL, OPT_FAST},
        CLI_BATCH_LONGOPTS,
        CLI_VIDEO_LONGOPTS(OPT_VIDEO_FIRST),
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    cli_video_flags vflags = {0};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "j:kh", longopts, NULL)) != -1) {
        int batch = cli_batch_option(&opt.batch, c, optarg);
        if (batch < 0)
            return CLI_EXIT_USAGE;
        if (batch > 0)
            continue;
        if (c >= OPT_VIDEO_FIRST && c < OPT_VIDEO_FIRST + 8) {
            if (!cli_video_option(&vflags, c - OPT_VIDEO_FIRST, optarg))
                return CLI_EXIT_USAGE;
            continue;
        }
        switch (c) {
        case OPT_ALGO:
            if (!parse_algos(optarg, &opt))
                return CLI_EXIT_USAGE;
            break;
        case OPT_DIHEDRAL:
            opt.dihedral = true;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") == 0)
                opt.json = true;
            else if (strcmp(optarg, "csv") == 0)
                opt.json = false;
            else {
                cli_error("--format must be csv or json, not '%s'", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_FAST:
            opt.fast = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    for (int i = 0; i < opt.count; i++) {
        switch (opt.order[i]) {
        case ALGO_PDQ:
            opt.flags |= opt.dihedral ? BW_HASH_PDQ | BW_HASH_PDQ_DIHEDRAL : BW_HASH_PDQ;
            break;
        case ALGO_MD5:
            opt.flags |= BW_HASH_MD5;
            break;
        case ALGO_SHA1:
            opt.flags |= BW_HASH_SHA1;
            break;
        case ALGO_SHA256:
            opt.flags |= BW_HASH_SHA256;
            break;
        default:
            break;
        }
    }
    if (opt.dihedral && !(opt.flags & BW_HASH_PDQ)) {
        cli_error("--dihedral needs pdq among --algo");
        return CLI_EXIT_USAGE;
    }
    if (opt.fast)
        opt.flags |= BW_HASH_FAST;
    opt.force_video = vflags.force;
    vflags.skip_unsampled = opt.fast;
    opt.video.json = opt.json;
    opt.video.dihedral = opt.dihedral;
    opt.video.vpdq_wanted = (opt.flags & BW_HASH_PDQ) != 0;
    for (int i = 0; i < opt.count; i++)
        if (opt.order[i] != ALGO_PDQ)
            opt.video.digests[opt.video.digest_count++] = digest_of(opt.order[i]);
    /* Lines of several videos need a header to tell them apart. */
    const bool stdin_list = argc - optind == 1 && strcmp(argv[optind], "-") == 0;
    opt.video.header = opt.batch.from || stdin_list || argc - optind > 1;
    if (opt.batch.max_pixels)
        vflags.max_pixels = opt.batch.max_pixels;
    /* One file gets every thread; several files get one each. */
    opt.video.vpdq = cli_video_options_make(&vflags, opt.video.header ? 1 : opt.batch.jobs);
    if (!opt.video.vpdq)
        return CLI_EXIT_USAGE;

    const cli_work work = {thread_init, thread_free, process, &opt};
    const int rc =
        cli_batch_run(&opt.batch, &work, argv + optind, argc - optind, "files", usage);
    bw_vpdq_options_free(opt.video.vpdq);
    return rc;
}

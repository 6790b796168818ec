/* bulwark vpdq-match: how much of two videos matches, by their vPDQ hashes. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_TEXT_BYTES ((size_t)256 << 20)

static void usage(FILE *f)
{
    fputs("Usage: bulwark vpdq-match [OPTIONS] QUERY COMPARED\n"
          "\n"
          "Compares two videos as vPDQ does. Each of QUERY and COMPARED is a vPDQ\n"
          "file (FRAME,QUALITY,HASH,TIMESTAMP lines, as `bulwark hash` or Meta's\n"
          "vpdq-hash-video write them) or a video, hashed first.\n"
          "\n"
          "Frames of quality under Q are left out, and each distinct frame hash\n"
          "counts once; a frame matches when some frame of the other video is\n"
          "within distance D. Prints QUERY_PERCENT,COMPARED_PERCENT,QUERY,COMPARED:\n"
          "the share of the query's frames that match, and of the compared video's.\n"
          "\n"
          "Options:\n"
          "  --distance D       largest matching distance, 0..256 (default 31)\n"
          "  --quality Q        least quality of a frame taken, 0..101 (default 50)\n"
          "  --keep-duplicates  count repeated frame hashes every time\n"
          "  --strict-distance  match at distance < D instead of <= D\n"
          "  --cpp-reference    both of the above: the C++ reference's\n"
          "                     matchTwoHashBrute (match-hashes-brute)\n"
          "  --format FMT       csv (default) or json\n"
          "  --video, --seconds-per-hash S, --video-size N, --max-duration S,\n"
          "  --max-frames N, --max-decode-time S, --max-streams N\n"
          "                     as for `bulwark hash`\n"
          "  -j, --jobs N       threads for hashing a video (default 1)\n"
          "  -h, --help         this help\n"
          "\n"
          "Exit status: 0 when both inputs were read, 1 when one failed, 2 on usage\n"
          "errors.\n",
          f);
}

static char *read_text(const char *path, size_t *size_out, char *error, size_t error_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(error, error_size, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, size = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + size, 1, cap - size, f);
        size += got;
        if (got == 0)
            break;
        if (size == cap) {
            if (cap >= MAX_TEXT_BYTES) {
                snprintf(error, error_size, "over %zu MiB, too large for a vPDQ file",
                         MAX_TEXT_BYTES >> 20);
                free(buf);
                buf = NULL;
                break;
            }
            char *grown = realloc(buf, cap * 2);
            if (!grown)
                free(buf);
            buf = grown;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        snprintf(error, error_size, "read failed");
        free(buf);
        buf = NULL;
    } else if (!buf && !*error) {
        snprintf(error, error_size, "out of memory");
    }
    fclose(f);
    *size_out = size;
    return buf;
}

/* A vPDQ hash from a text file or a video at path; NULL after printing
 * why, under name. */
static bw_vpdq *load_from(bw_ctx *ctx, const char *name, const char *path, bool force_video,
                          const bw_vpdq_options *options)
{
    bw_vpdq *v = NULL;
    bw_status st;
    char error[256] = "";
    if (force_video || cli_is_video(ctx, path)) {
        st = bw_vpdq_hash_file(ctx, &v, options, path);
    } else {
        size_t size;
        char *text = read_text(path, &size, error, sizeof error);
        if (!text) {
            cli_error("%s: %s", name, error);
            return NULL;
        }
        st = bw_vpdq_parse(ctx, &v, text, size, 0);
        free(text);
    }
    if (st != BW_OK) {
        const char *detail = bw_ctx_message(ctx);
        cli_error("%s: %s (%s)", name, *detail ? detail : bw_strerror(st), bw_status_code(st));
        bw_vpdq_free(v);
        return NULL;
    }
    return v;
}

/* The same for a path as given, which may be a stream (cli_spool_open). */
static bw_vpdq *load(bw_ctx *ctx, const char *name, bool force_video,
                     const bw_vpdq_options *options)
{
    cli_spool sp;
    char why[512];
    if (cli_spool_open(&sp, ctx, name, 0, why, sizeof why) != BW_OK) {
        cli_error("%s: %s", name, why);
        return NULL;
    }
    bw_vpdq *v = load_from(ctx, name, sp.path, force_video, options);
    cli_spool_close(&sp);
    return v;
}

static bool parse_int(const char *arg, int lo, int hi, int *out)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (end == arg || *end || n < lo || n > hi)
        return false;
    *out = (int)n;
    return true;
}

int cmd_vpdq_match(int argc, char **argv)
{
    int distance = BW_VPDQ_DEFAULT_DISTANCE, quality = BW_VPDQ_DEFAULT_QUALITY, jobs = 1;
    unsigned flags = 0;
    bool json = false;
    cli_video_flags vflags = {0};
    enum { OPT_DISTANCE = 256, OPT_QUALITY, OPT_KEEP, OPT_STRICT, OPT_CPP, OPT_FORMAT,
           OPT_VIDEO_FIRST };
    static const struct option longopts[] = {
        {"distance", required_argument, NULL, OPT_DISTANCE},
        {"quality", required_argument, NULL, OPT_QUALITY},
        {"keep-duplicates", no_argument, NULL, OPT_KEEP},
        {"strict-distance", no_argument, NULL, OPT_STRICT},
        {"cpp-reference", no_argument, NULL, OPT_CPP},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"jobs", required_argument, NULL, 'j'},
        CLI_VIDEO_LONGOPTS(OPT_VIDEO_FIRST),
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "j:h", longopts, NULL)) != -1) {
        if (c >= OPT_VIDEO_FIRST) {
            if (!cli_video_option(&vflags, c - OPT_VIDEO_FIRST, optarg))
                return CLI_EXIT_USAGE;
            continue;
        }
        switch (c) {
        case OPT_DISTANCE:
            if (!parse_int(optarg, 0, 256, &distance)) {
                cli_error("--distance needs a number from 0 to 256");
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_QUALITY:
            if (!parse_int(optarg, 0, 101, &quality)) {
                cli_error("--quality needs a number from 0 to 101");
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_KEEP:
            flags |= BW_VPDQ_MATCH_KEEP_DUPLICATES;
            break;
        case OPT_STRICT:
            flags |= BW_VPDQ_MATCH_STRICT_DISTANCE;
            break;
        case OPT_CPP:
            flags |= BW_VPDQ_MATCH_CPP_REFERENCE;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") && strcmp(optarg, "csv")) {
                cli_error("--format must be csv or json, not '%s'", optarg);
                return CLI_EXIT_USAGE;
            }
            json = strcmp(optarg, "json") == 0;
            break;
        case 'j':
            if (!parse_int(optarg, 0, 256, &jobs)) {
                cli_error("--jobs needs a number from 0 to 256");
                return CLI_EXIT_USAGE;
            }
            if (jobs == 0)
                jobs = cli_cpu_count();
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    bw_vpdq_options *options = cli_video_options_make(&vflags, jobs);
    bw_ctx *ctx = NULL;
    if (!options || bw_ctx_create(&ctx) != BW_OK) {
        bw_vpdq_options_free(options);
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    const char *qpath = argv[optind], *cpath = argv[optind + 1];
    bw_vpdq *q = load(ctx, qpath, vflags.force, options);
    bw_vpdq *cmp = q ? load(ctx, cpath, vflags.force, options) : NULL;
    int rc = CLI_EXIT_FAILED;
    double qp, cp;
    if (q && cmp && bw_vpdq_match(&qp, &cp, q, cmp, distance, quality, flags) == BW_OK) {
        cli_buf out = {0};
        if (json) {
            cli_buf_puts(&out, "{\"query\":");
            cli_buf_json_string(&out, qpath);
            cli_buf_puts(&out, ",\"compared\":");
            cli_buf_json_string(&out, cpath);
            cli_buf_printf(&out,
                           ",\"query_percent\":%.3f,\"compared_percent\":%.3f,"
                           "\"query_frames\":%zu,\"compared_frames\":%zu,"
                           "\"distance\":%d,\"quality\":%d,\"deduplicated\":%s,"
                           "\"strict_distance\":%s}\n",
                           qp, cp, bw_vpdq_count(q), bw_vpdq_count(cmp), distance, quality,
                           flags & BW_VPDQ_MATCH_KEEP_DUPLICATES ? "false" : "true",
                           flags & BW_VPDQ_MATCH_STRICT_DISTANCE ? "true" : "false");
        } else {
            cli_buf_printf(&out, "%.3f,%.3f,%s,%s\n", qp, cp, qpath, cpath);
        }
        fwrite(out.data, 1, out.size, stdout);
        cli_buf_free(&out);
        rc = CLI_EXIT_OK;
    }
    bw_vpdq_free(q);
    bw_vpdq_free(cmp);
    bw_vpdq_options_free(options);
    bw_ctx_free(ctx);
    return rc;
}

/* bulwark match: files or hashes against the banks, one JSON line each. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct match_opts {
    cli_batch batch;
    bw_matcher *matcher;
    int threshold;
    unsigned set_flags; /* the query's PDQ set (bw_robust.h); 0: plain mode */
    bool fast;
    bool hashes; /* inputs are "[type] value" lines, not files */
    bool force_video;
    bw_vpdq_options *vpdq; /* shared read-only by the threads */
    int quality;           /* vPDQ frames under it take no part */
    double query_percent, compared_percent;
} match_opts;

typedef struct match_thread {
    bw_ctx *ctx;
    bw_hashes *hashes;
    bw_pdq_set *set;
    bw_matches *matches;
    const match_opts *opt;
} match_thread;

static void usage(FILE *f)
{
    fputs(
        "Usage: bulwark match [OPTIONS] FILE...\n"
        "       bulwark match [OPTIONS] --hash [TYPE:]VALUE\n"
        "       bulwark match [OPTIONS] --hashes-from LIST   (\"[type] value\" lines; - is stdin)\n"
        "\n"
        "Matches images, videos, or hashes, against every bank and prints one JSON\n"
        "line a query: the query and its matches (bank, kind, signal type, banked\n"
        "value, distance, metadata, and whether the match is suppressed by an allow\n"
        "list or quarantined). A video (detected from its bytes, or --video) is\n"
        "matched by its MD5, SHA-1 and SHA-256 and by its vPDQ against every banked\n"
        "video, one match per video with the share of the query's frames and of the\n"
        "banked video's frames that matched.\n"
        "\n"
        "Options:\n"
        "  --db PATH|URL    the bank store (default $BULWARK_DB, else\n"
        "                   ~/.local/share/bulwark/bulwark.db); postgres:// for PostgreSQL\n"
        "  --threshold T    PDQ distance at or under which hashes match (default 31)\n"
        "  --mode M         plain: the image's PDQ hash;\n"
        "                   dihedral: also the image turned by 90, 180 and 270\n"
        "                   degrees and mirrored (7 more hashes);\n"
        "                   standard (the default): dihedral, and the hashes of its\n"
        "                   content without borders, letterbox bars or screenshot\n"
        "                   frame, when it has any, of the picture turned back from\n"
        "                   a small rotation, when it was turned, of the image\n"
        "                   less 1 % (5 ways: with crop regions in 2 % steps, any\n"
        "                   crop lands near one), of the image less 30 % at each\n"
        "                   side in turn, against a logo or caption near an edge\n"
        "                   (these four within 16 bits), and of the 40 % and 30 %\n"
        "                   at each side (bands, counted only when a band of the\n"
        "                   opposite side meets too), against a logo or word in\n"
        "                   the middle;\n"
        "                   robust: also those content hashes turned and mirrored,\n"
        "                   the image turned back by 2-8 degrees and cut inside (a copy\n"
        "                   rotated and cropped), and the edge regions at the full\n"
        "                   threshold (see docs/quality.md). Crops match in every\n"
        "                   mode, and edge regions and bands in standard and robust\n"
        "                   mode, when the bank holds crop regions (bank add-file\n"
        "                   and add-content store them by default)\n"
        "  --dihedral       the same as --mode dihedral\n"
        "  --fast           plain mode, decoding JPEGs at reduced scale (bulwark hash\n"
        "                   --help); not with the other modes\n"
        "  -j, --jobs N     hash files on N threads (0 = one per core)\n"
        "  -k, --keep-going go on after a file fails\n"
        "  --from LIST      read file paths from LIST (- is stdin)\n"
        "  --max-pixels N, --max-bytes N   limits, as for bulwark hash\n"
        "  --no-progress    no progress line on a terminal\n"
        "  -h, --help       this help\n"
        "\n"
        "Video options (--threshold is the distance at which two frames match):\n"
        "  --video          match every file as a video\n"
        "  --seconds-per-hash S  hash one frame every S seconds (default 1; 0: every\n"
        "                   frame)\n"
        "  --video-size N   scale frames to NxN first, as bulwark hash\n"
        "  --quality Q      leave out frames of quality under Q (default 50)\n"
        "  --query-percent P     a banked video matches when at least P % of the\n"
        "                   query's frames match it (default 80)\n"
        "  --compared-percent P  ...and at least P % of its own frames (default 0)\n"
        "  --partial, --max-duration S, --max-frames N, --max-decode-time S,\n"
        "  --max-streams N  as for bulwark hash\n"
        "TYPE is pdq (the default), md5, sha1, sha256, url or vpdq (a JSON list of\n"
        "\"HASH,QUALITY,SECONDS\" strings, as HMA writes it).\n"
        "Exit status: 0 when every query ran, 1 when any failed, 2 on usage errors.\n",
        f);
}

static void *thread_init(void *arg)
{
    match_thread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->opt = arg;
    if (bw_ctx_create(&t->ctx) != BW_OK || bw_hashes_create(&t->hashes) != BW_OK ||
        bw_pdq_set_create(&t->set) != BW_OK || bw_matches_create(&t->matches) != BW_OK) {
        bw_pdq_set_free(t->set);
        bw_hashes_free(t->hashes);
        bw_ctx_free(t->ctx);
        free(t);
        return NULL;
    }
    cli_batch_limits(&t->opt->batch, t->ctx);
    return t;
}

static void thread_free(void *state)
{
    match_thread *t = state;
    if (!t)
        return;
    bw_matches_free(t->matches);
    bw_pdq_set_free(t->set);
    bw_hashes_free(t->hashes);
    bw_ctx_free(t->ctx);
    free(t);
}

/* A share of frames, as the API gives it. */
static void put_percent(cli_buf *out, const char *name, double p)
{
    cli_buf_printf(out, ",\"%s\":%.3f", name, p);
}

static void put_matches(cli_buf *out, const bw_matches *m)
{
    cli_buf_puts(out, ",\"matches\":[");
    for (size_t i = 0; i < bw_matches_count(m); i++) {
        const bw_match_info *x = bw_matches_get(m, i);
        cli_buf_puts(out, i ? ",{\"bank\":" : "{\"bank\":");
        cli_buf_json_string(out, x->bank);
        cli_buf_printf(out, ",\"kind\":\"%s\",\"signal_id\":%lld,\"signal_type\":\"%s\",\"value\":",
                       bw_bank_kind_name(x->bank_kind), (long long)x->signal_id,
                       bw_signal_type_name(x->type));
        cli_buf_json_string(out, x->value);
        cli_buf_printf(out, ",\"distance\":%d", x->distance);
        if (x->type == BW_SIGNAL_VPDQ) {
            put_percent(out, "query_percent", x->query_percent);
            put_percent(out, "compared_percent", x->compared_percent);
        }
        if (x->type == BW_SIGNAL_PDQ && x->transform != BW_DIHEDRAL_ORIGINAL)
            cli_buf_printf(out, ",\"transform\":\"%s\"", bw_dihedral_name(x->transform));
        if (x->prefix)
            cli_buf_puts(out, ",\"prefix\":true");
        if (x->region)
            cli_buf_printf(out, ",\"region\":\"%s\"", x->region);
        if (x->query_part && strcmp(x->query_part, "whole") != 0)
            cli_buf_printf(out, ",\"query_part\":\"%s\"", x->query_part);
        cli_buf_printf(out, ",\"metadata\":%s", x->metadata ? x->metadata : "null");
        if (x->source) {
            cli_buf_puts(out, ",\"source\":");
            cli_buf_json_string(out, x->source);
        }
        cli_buf_printf(out, ",\"quarantined\":%s,\"suppressed\":%s}",
                       x->quarantined ? "true" : "false", x->suppressed ? "true" : "false");
    }
    cli_buf_printf(out, "],\"actionable\":%s}\n", bw_matches_actionable(m) ? "true" : "false");
}

/* The input failed: why on stderr, and a JSON line saying so. */
static void failed_because(const char *what, bw_status st, const char *why, cli_result *res)
{
    res->failed = true;
    cli_buf_printf(&res->err, "bulwark: %s: %s (%s)\n", what, why, bw_status_code(st));
    cli_buf_puts(&res->out, "{\"query\":");
    cli_buf_json_string(&res->out, what);
    cli_buf_printf(&res->out, ",\"error\":{\"code\":\"%s\",\"message\":", bw_status_code(st));
    cli_buf_json_string(&res->out, why);
    cli_buf_puts(&res->out, "}}\n");
}

/* As failed_because(), with the context's message. */
static void failed(match_thread *t, const char *what, bw_status st, cli_result *res)
{
    const char *detail = bw_ctx_message(t->ctx);
    failed_because(what, st, *detail ? detail : bw_strerror(st), res);
}

/* "[type] value" or "type:value"; a bare value is a PDQ hash. */
static bool split_hash(const char *in, bw_signal_type *type, const char **value)
{
    const char *sep = strpbrk(in, " \t:");
    *type = BW_SIGNAL_PDQ;
    *value = in;
    if (!sep)
        return true;
    /* "http://..." alone is a URL, not the type "http". */
    if (*sep == ':' && bw_signal_type_parse(type, in, (size_t)(sep - in)) != BW_OK) {
        if (!strncmp(in, "http", 4)) {
            *type = BW_SIGNAL_URL;
            return true;
        }
        return false;
    }
    if (*sep != ':' && bw_signal_type_parse(type, in, (size_t)(sep - in)) != BW_OK)
        return false;
    *value = sep + 1;
    while (**value == ' ' || **value == '\t')
        (*value)++;
    return true;
}

/* A video: its digests, then its vPDQ against the banked videos, in one
 * answer. A video that cannot be decoded still matches by its digests. */
static void match_video(match_thread *t, const char *name, const char *path, cli_result *res)
{
    const match_opts *o = t->opt;
    char error[512] = "";
    bw_hashes *h = cli_video_digests(path, error, sizeof error);
    if (!h) {
        res->failed = true;
        cli_buf_printf(&res->err, "bulwark: %s: %s (io)\n", name, error);
        cli_buf_puts(&res->out, "{\"query\":");
        cli_buf_json_string(&res->out, name);
        cli_buf_puts(&res->out, ",\"error\":{\"code\":\"io\",\"message\":");
        cli_buf_json_string(&res->out, error);
        cli_buf_puts(&res->out, "}}\n");
        return;
    }
    bw_vpdq *v = NULL;
    const bw_status hashed = bw_vpdq_hash_file(t->ctx, &v, o->vpdq, path);
    snprintf(error, sizeof error, "%s",
             *bw_ctx_message(t->ctx) ? bw_ctx_message(t->ctx) : bw_strerror(hashed));
    bw_status st = bw_matcher_match_hashes(t->ctx, o->matcher, t->matches, h, o->threshold, 0);
    if (st == BW_OK && v)
        st = bw_matcher_match_vpdq(t->ctx, o->matcher, t->matches, v, o->threshold, o->quality,
                                   o->query_percent, o->compared_percent, BW_MATCH_APPEND);
    if (st != BW_OK) {
        bw_vpdq_free(v);
        bw_hashes_free(h);
        return failed(t, name, st, res);
    }
    cli_buf_puts(&res->out, "{\"query\":{\"file\":");
    cli_buf_json_string(&res->out, name);
    cli_buf_puts(&res->out, ",\"format\":\"video\"");
    if (v)
        cli_buf_printf(&res->out, ",\"frames\":%zu", bw_vpdq_count(v));
    if (hashed != BW_OK) {
        cli_buf_printf(&res->out, ",\"vpdq_error\":{\"code\":\"%s\",\"message\":",
                       bw_status_code(hashed));
        cli_buf_json_string(&res->out, error);
        cli_buf_puts(&res->out, "}");
    }
    uint8_t d[BW_DIGEST_MAX_BYTES];
    char hex[2 * BW_DIGEST_MAX_BYTES + 1];
    bw_hashes_digest(h, BW_DIGEST_MD5, d, sizeof d);
    bw_hex_encode(hex, d, 16);
    cli_buf_printf(&res->out, ",\"md5\":\"%s\"}", hex);
    put_matches(&res->out, t->matches);
    bw_vpdq_free(v);
    bw_hashes_free(h);
}

/* A vPDQ value given as text, with the video thresholds of the command
 * line (bw_matcher_match_value() would apply the defaults). */
static bw_status match_vpdq_value(match_thread *t, const char *value)
{
    const match_opts *o = t->opt;
    bw_vpdq *v = NULL;
    bw_status st = bw_vpdq_signal_parse(t->ctx, &v, value, strlen(value));
    if (st == BW_OK)
        st = bw_matcher_match_vpdq(t->ctx, o->matcher, t->matches, v, o->threshold, o->quality,
                                   o->query_percent, o->compared_percent, 0);
    bw_vpdq_free(v);
    return st;
}

/* A file (or a stream's copy at path), printed as name. */
static void process_file(match_thread *t, const char *name, const char *path, cli_result *res)
{
    const match_opts *o = t->opt;
    bw_status st;
    if (o->force_video || cli_is_video(t->ctx, path))
        return match_video(t, name, path, res);
    const unsigned digests = BW_HASH_MD5 | BW_HASH_SHA1 | BW_HASH_SHA256;
    /* Every mode but plain matches a set of hashes of the picture,
     * computed with its plain hash from one decoding. */
    if (o->set_flags)
        st = bw_hash_file_set(t->ctx, t->hashes, digests, t->set, o->set_flags, path);
    else
        st = bw_hash_file(t->ctx, t->hashes,
                          digests | BW_HASH_PDQ | (o->fast ? BW_HASH_FAST : 0), path);
    /* A file that is no image can still match by its digests. */
    if (st != BW_OK && !(bw_hashes_flags(t->hashes) & BW_HASH_SHA256))
        return failed(t, name, st, res);
    const bw_status hashed = st;
    if (o->set_flags && st == BW_OK)
        st = bw_matcher_match_set(t->ctx, o->matcher, t->matches, t->set, t->hashes,
                                  o->threshold);
    else
        st = bw_matcher_match_hashes(t->ctx, o->matcher, t->matches, t->hashes, o->threshold,
                                     0);
    if (st != BW_OK)
        return failed(t, name, st, res);
    cli_buf_puts(&res->out, "{\"query\":{\"file\":");
    cli_buf_json_string(&res->out, name);
    uint8_t pdq[BW_PDQ_BYTES];
    int quality;
    if (bw_hashes_pdq(t->hashes, pdq, &quality) == BW_OK) {
        char hex[BW_PDQ_HEX_CHARS + 1];
        bw_pdq_to_hex(hex, pdq);
        cli_buf_printf(&res->out, ",\"pdq\":\"%s\",\"quality\":%d", hex, quality);
    } else {
        cli_buf_printf(&res->out, ",\"pdq_error\":\"%s\"", bw_status_code(hashed));
    }
    uint8_t d[32];
    char hex[65];
    bw_hashes_digest(t->hashes, BW_DIGEST_MD5, d, sizeof d);
    bw_hex_encode(hex, d, 16);
    cli_buf_printf(&res->out, ",\"md5\":\"%s\"}", hex);
    put_matches(&res->out, t->matches);
}

static void process(void *state, const char *input, cli_result *res)
{
    match_thread *t = state;
    const match_opts *o = t->opt;
    bw_status st;
    if (o->hashes) {
        bw_signal_type type;
        const char *value;
        if (!split_hash(input, &type, &value)) {
            res->failed = true;
            cli_buf_printf(&res->err, "bulwark: '%s': unknown signal type\n", input);
            return;
        }
        st = type == BW_SIGNAL_VPDQ ? match_vpdq_value(t, value)
                                    : bw_matcher_match_value(t->ctx, o->matcher, t->matches,
                                                             type, value, o->threshold);
        if (st != BW_OK)
            return failed(t, input, st, res);
        cli_buf_printf(&res->out, "{\"query\":{\"type\":\"%s\",\"value\":",
                       bw_signal_type_name(type));
        cli_buf_json_string(&res->out, value);
        cli_buf_puts(&res->out, "}");
        put_matches(&res->out, t->matches);
        return;
    }
    cli_spool sp;
    char why[512] = "";
    st = cli_spool_open(&sp, t->ctx, input, o->batch.max_bytes, why, sizeof why);
    if (st != BW_OK)
        return failed_because(input, st, why, res);
    process_file(t, input, sp.path, res);
    cli_spool_close(&sp);
}


int cmd_match(int argc, char **argv)
{
    match_opts opt = {.batch = CLI_BATCH_DEFAULTS,
                      .set_flags = BW_PDQ_SET_STANDARD_QUERY,
                      .threshold = BW_PDQ_DEFAULT_THRESHOLD,
                      .quality = BW_VPDQ_DEFAULT_QUALITY,
                      .query_percent = BW_VPDQ_DEFAULT_QUERY_PERCENT,
                      .compared_percent = BW_VPDQ_DEFAULT_COMPARED_PERCENT};
    const char *db = NULL, *hash = NULL, *hashes_from = NULL;
    bool mode_given = false;
    enum {
        OPT_DB = 256,
        OPT_THRESHOLD,
        OPT_DIHEDRAL,
        OPT_FAST,
        OPT_HASH,
        OPT_HASHES_FROM,
        OPT_QUALITY,
        OPT_QUERY_PERCENT,
        OPT_COMPARED_PERCENT,
        OPT_MODE,
        OPT_VIDEO_FIRST
    };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"dihedral", no_argument, NULL, OPT_DIHEDRAL},
        {"mode", required_argument, NULL, OPT_MODE},
        {"fast", no_argument, NULL, OPT_FAST},
        {"hash", required_argument, NULL, OPT_HASH},
        {"hashes-from", required_argument, NULL, OPT_HASHES_FROM},
        {"quality", required_argument, NULL, OPT_QUALITY},
        {"query-percent", required_argument, NULL, OPT_QUERY_PERCENT},
        {"compared-percent", required_argument, NULL, OPT_COMPARED_PERCENT},
        CLI_BATCH_LONGOPTS,
        CLI_VIDEO_LONGOPTS(OPT_VIDEO_FIRST),
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    /* Videos for matching are hashed at one frame a second unless told
     * otherwise, as ThreatExchange exchanges them. */
    cli_video_flags vflags = {.seconds = 1.0};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "j:kh", longopts, NULL)) != -1) {
        const int batch = cli_batch_option(&opt.batch, c, optarg);
        if (batch < 0)
            return CLI_EXIT_USAGE;
        if (batch > 0)
            continue;
        if (c >= OPT_VIDEO_FIRST && c < OPT_VIDEO_FIRST + 8) {
            if (!cli_video_option(&vflags, c - OPT_VIDEO_FIRST, optarg))
                return CLI_EXIT_USAGE;
            continue;
        }
        char *end;
        long n;
        double p;
        switch (c) {
        case OPT_DB:
            db = optarg;
            break;
        case OPT_THRESHOLD:
            n = strtol(optarg, &end, 10);
            if (*end || n < 0 || n > 256) {
                cli_error("--threshold needs a number from 0 to 256");
                return CLI_EXIT_USAGE;
            }
            opt.threshold = (int)n;
            break;
        case OPT_DIHEDRAL:
            opt.set_flags = BW_PDQ_SET_DIHEDRAL_QUERY;
            mode_given = true;
            break;
        case OPT_MODE:
            mode_given = true;
            if (bw_pdq_mode_flags(optarg, &opt.set_flags) != BW_OK) {
                cli_error("--mode is one of " BW_PDQ_MODE_NAMES);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_QUALITY:
            n = strtol(optarg, &end, 10);
            if (*end || end == optarg || n < 0 || n > 101) {
                cli_error("--quality needs a number from 0 to 101");
                return CLI_EXIT_USAGE;
            }
            opt.quality = (int)n;
            break;
        case OPT_QUERY_PERCENT:
        case OPT_COMPARED_PERCENT:
            p = strtod(optarg, &end);
            if (*end || end == optarg || !(p >= 0 && p <= 100)) {
                cli_error("--%s needs a number from 0 to 100",
                          c == OPT_QUERY_PERCENT ? "query-percent" : "compared-percent");
                return CLI_EXIT_USAGE;
            }
            *(c == OPT_QUERY_PERCENT ? &opt.query_percent : &opt.compared_percent) = p;
            break;
        case OPT_FAST:
            opt.fast = true;
            break;
        case OPT_HASH:
            hash = optarg;
            break;
        case OPT_HASHES_FROM:
            hashes_from = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    const int sources = (hash != NULL) + (hashes_from != NULL) +
                        (optind < argc || opt.batch.from != NULL);
    if (sources != 1) {
        cli_error("give exactly one of: files (or --from), --hash, --hashes-from");
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    /* --fast decodes JPEGs at reduced scale for the plain hash alone; the
     * other modes' sets are hashed from full-size pixels. */
    if (opt.fast && mode_given && opt.set_flags) {
        cli_error("--fast works in plain mode only (leave out --mode, or --mode plain)");
        return CLI_EXIT_USAGE;
    }
    if (opt.fast)
        opt.set_flags = 0;
    opt.force_video = vflags.force;
    if (opt.batch.max_pixels)
        vflags.max_pixels = opt.batch.max_pixels;
    if (!(opt.vpdq = cli_video_options_make(&vflags, 1)))
        return CLI_EXIT_USAGE;
    bw_ctx *ctx;
    if (bw_ctx_create(&ctx) != BW_OK) {
        bw_vpdq_options_free(opt.vpdq);
        return CLI_EXIT_FAILED;
    }
    bw_store *store = cli_open_store(ctx, db, false);
    if (!store) {
        bw_vpdq_options_free(opt.vpdq);
        bw_ctx_free(ctx);
        return CLI_EXIT_FAILED;
    }
    if (bw_matcher_create(ctx, &opt.matcher, store) != BW_OK) {
        cli_error("%s", bw_ctx_message(ctx));
        bw_vpdq_options_free(opt.vpdq);
        bw_store_close(store);
        bw_ctx_free(ctx);
        return CLI_EXIT_FAILED;
    }
    /* Hash queries reuse the batch runner with the values as "paths". */
    opt.hashes = hash || hashes_from;
    if (hashes_from)
        opt.batch.from = hashes_from;
    char *single[1] = {(char *)hash};
    const cli_work work = {thread_init, thread_free, process, &opt};
    const int rc = hash ? cli_batch_run(&opt.batch, &work, single, 1, "queries", usage)
                        : cli_batch_run(&opt.batch, &work, argv + optind, argc - optind,
                                        "queries", usage);
    bw_matcher_free(opt.matcher);
    bw_vpdq_options_free(opt.vpdq);
    bw_store_close(store);
    bw_ctx_free(ctx);
    return rc;
}

/* bulwark nudity: the on-device nudity classifier's scores for image files. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef BW_NUDITY_MODEL_DEFAULT
#define BW_NUDITY_MODEL_DEFAULT ""
#endif

typedef struct nudity_options {
    const bw_nudity_model *model;
    float threshold;
    bool json;
    cli_batch batch;
} nudity_options;

typedef struct nudity_thread {
    bw_ctx *ctx;
    const nudity_options *opt;
} nudity_thread;

static void usage(FILE *f)
{
    fputs(
        "Usage: bulwark nudity [OPTIONS] FILE...\n"
        "       bulwark nudity [OPTIONS] --from LIST   (LIST: one path a line; - is stdin)\n"
        "       bulwark nudity [OPTIONS] -             (paths on stdin)\n"
        "\n"
        "Scores each image with the on-device nudity classifier (nsfwjs's\n"
        "MobileNetV2, run in plain C; nothing leaves the machine) and says whether\n"
        "an app should warn before showing or sending it (docs/nudity.md).\n"
        "\n"
        "Options:\n"
        "  --json           one JSON object a line instead of CSV\n"
        "  --format FMT     csv (default) or json\n"
        "  --threshold T    warn when porn + hentai + sexy >= T (default 0.7)\n"
        "  --model FILE     the model file (default: $BULWARK_NUDITY_MODEL, else the\n"
        "                   one this build made)\n"
        "  -j, --jobs N     classify on N threads (default 1; 0 = one per core)\n"
        "  -k, --keep-going go on after a file fails (exit status still 1)\n"
        "  --from LIST      read paths from LIST instead of the command line\n"
        "  --max-pixels N   refuse images over N pixels (default 100M)\n"
        "  --max-bytes N    refuse files over N bytes (default 256M)\n"
        "  --no-progress    no progress line on a terminal\n"
        "  -h, --help       this help\n"
        "\n"
        "CSV columns: DRAWING,HENTAI,NEUTRAL,PORN,SEXY,SCORE,DECISION,FILENAME with\n"
        "the class probabilities, SCORE = PORN + HENTAI + SEXY and DECISION warn or ok.\n"
        "Exit status: 0 when every file was classified, 1 when any failed, 2 on\n"
        "usage errors.\n",
        f);
}

static void *thread_init(void *arg)
{
    nudity_thread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->opt = arg;
    if (bw_ctx_create(&t->ctx) != BW_OK) {
        free(t);
        return NULL;
    }
    cli_batch_limits(&t->opt->batch, t->ctx);
    return t;
}

static void thread_free(void *state)
{
    nudity_thread *t = state;
    if (!t)
        return;
    bw_ctx_free(t->ctx);
    free(t);
}

static bw_status classify_file(nudity_thread *t, const char *path,
                               float scores[BW_NUDITY_CLASS_COUNT],
                               uint32_t *width, uint32_t *height)
{
    bw_image *img;
    bw_status st = bw_image_decode_file(t->ctx, &img, path);
    if (st != BW_OK)
        return st;
    bw_pixel_format format;
    size_t stride;
    const uint8_t *pixels = bw_image_pixels(img, &format, &stride);
    *width = bw_image_width(img);
    *height = bw_image_height(img);
    st = bw_nudity_classify_pixels(t->ctx, scores, t->opt->model, pixels, stride,
                                   *width, *height, format);
    bw_image_free(img);
    return st;
}

static void process(void *state, const char *path, cli_result *res)
{
    nudity_thread *t = state;
    float s[BW_NUDITY_CLASS_COUNT];
    uint32_t w = 0, h = 0;
    bw_status st = classify_file(t, path, s, &w, &h);
    if (st == BW_OK) {
        float score = bw_nudity_score(s);
        bool warn = bw_nudity_should_warn(s, t->opt->threshold);
        if (t->opt->json) {
            cli_buf_puts(&res->out, "{\"file\":");
            cli_buf_json_string(&res->out, path);
            cli_buf_printf(&res->out, ",\"width\":%u,\"height\":%u,\"scores\":{", w, h);
            for (int c = 0; c < BW_NUDITY_CLASS_COUNT; c++)
                cli_buf_printf(&res->out, "%s\"%s\":%.6f", c ? "," : "",
                               bw_nudity_class_name((bw_nudity_class)c), s[c]);
            cli_buf_printf(&res->out, "},\"score\":%.6f,\"warn\":%s}\n", score,
                           warn ? "true" : "false");
        } else {
            for (int c = 0; c < BW_NUDITY_CLASS_COUNT; c++)
                cli_buf_printf(&res->out, "%.6f,", s[c]);
            cli_buf_printf(&res->out, "%.6f,%s,%s\n", score, warn ? "warn" : "ok", path);
        }
        return;
    }
    res->failed = true;
    const char *detail = bw_ctx_message(t->ctx);
    cli_buf_printf(&res->err, "bulwark: %s: %s (%s)\n", path,
                   *detail ? detail : bw_strerror(st), bw_status_code(st));
    if (t->opt->json) {
        cli_buf_puts(&res->out, "{\"file\":");
        cli_buf_json_string(&res->out, path);
        cli_buf_printf(&res->out, ",\"error\":{\"code\":\"%s\",\"message\":",
                       bw_status_code(st));
        cli_buf_json_string(&res->out, *detail ? detail : bw_strerror(st));
        cli_buf_puts(&res->out, "}}\n");
    }
}

static bool parse_threshold(const char *text, float *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= 0.0 && v <= 1.0))
        return false;
    *out = (float)v;
    return true;
}

/* Loads the model named by --model, $BULWARK_NUDITY_MODEL or the build. */
static bw_nudity_model *load_model(const char *path)
{
    if (!path)
        path = getenv("BULWARK_NUDITY_MODEL");
    if (!path || !*path)
        path = BW_NUDITY_MODEL_DEFAULT;
    if (!*path) {
        cli_error("no nudity model: give --model FILE or set BULWARK_NUDITY_MODEL");
        return NULL;
    }
    bw_ctx *ctx;
    bw_nudity_model *model = NULL;
    if (bw_ctx_create(&ctx) != BW_OK)
        return NULL;
    bw_status st = bw_nudity_model_load(ctx, &model, path);
    if (st != BW_OK)
        cli_error("%s (%s)", bw_ctx_message(ctx), bw_status_code(st));
    bw_ctx_free(ctx);
    return model;
}

int cmd_nudity(int argc, char **argv)
{
    nudity_options opt = {.threshold = BW_NUDITY_DEFAULT_THRESHOLD,
                          .batch = CLI_BATCH_DEFAULTS};
    const char *model_path = NULL;
    enum { OPT_JSON = 256, OPT_FORMAT, OPT_THRESHOLD, OPT_MODEL };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"model", required_argument, NULL, OPT_MODEL},
        CLI_BATCH_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "j:kh", longopts, NULL)) != -1) {
        int batch = cli_batch_option(&opt.batch, c, optarg);
        if (batch < 0)
            return CLI_EXIT_USAGE;
        if (batch > 0)
            continue;
        switch (c) {
        case OPT_JSON:
            opt.json = true;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") && strcmp(optarg, "csv")) {
                cli_error("--format must be csv or json, not '%s'", optarg);
                return CLI_EXIT_USAGE;
            }
            opt.json = strcmp(optarg, "json") == 0;
            break;
        case OPT_THRESHOLD:
            if (!parse_threshold(optarg, &opt.threshold)) {
                cli_error("--threshold needs a number from 0 to 1");
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_MODEL:
            model_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (!opt.batch.from && optind >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    bw_nudity_model *model = load_model(model_path);
    if (!model)
        return CLI_EXIT_FAILED;
    opt.model = model;
    const cli_work work = {thread_init, thread_free, process, &opt};
    int status = cli_batch_run(&opt.batch, &work, argv + optind, argc - optind,
                               "images", usage);
    bw_nudity_model_free(model);
    return status;
}

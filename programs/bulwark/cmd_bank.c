/* bulwark bank: create, list, delete, import, export and edit banks. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
    fputs(
        "Usage: bulwark bank COMMAND [--db PATH|postgres://...] [ARGS]\n"
        "\n"
        "Commands:\n"
        "  create NAME [--kind block|allow]   a new bank (default kind: block)\n"
        "  list [--json]                      banks with their signal counts\n"
        "  delete NAME                        a bank and all its signals\n"
        "  import NAME [FILE|-] [--format F]  a hash list (F: lines, csv, jsonl;\n"
        "                                     guessed from the file name)\n"
        "  export NAME [--format F] [-o FILE] a bank as a hash list (default csv)\n"
        "  add NAME TYPE VALUE [--metadata JSON] [--source TEXT]\n"
        "                                     one signal (TYPE: pdq, md5, sha1,\n"
        "                                     sha256, url, vpdq); prints its id\n"
        "  add-file NAME FILE... [--metadata JSON] [--source TEXT]\n"
        "                                     bank images with every signal the bank's\n"
        "                                     settings ask for (default: PDQ of the\n"
        "                                     image (of quality 50 or more), its content\n"
        "                                     box, its crop regions and bands (of\n"
        "                                     quality 30 or more; those under 50 match\n"
        "                                     within 16 bits), and MD5, SHA-1, SHA-256;\n"
        "                                     see docs/quality.md) and\n"
        "                                     videos (vPDQ at --seconds-per-hash S,\n"
        "                                     default 1, and digests); one JSON line a\n"
        "                                     file\n"
        "  add-content NAME FILE... [...]     the same, with a line of counts a file\n"
        "                                     on stderr\n"
        "  settings NAME [JSON]               show or replace a bank's settings, e.g.\n"
        "                                     '{\"content_signals\":[\"pdq\",\"md5\"]}'\n"
        "  remove ID...                       signals by id\n"
        "  enable ID... | disable ID...       switch signals on or off\n"
        "  quarantined [--json]               signals held by flood quarantine\n"
        "  release ID...                      lift quarantine\n"
        "  stats [NAME]                       counts by type, and the change sequence\n"
        "\n"
        "--db defaults to $BULWARK_DB, else ~/.local/share/bulwark/bulwark.db (SQLite);\n"
        "a postgres:// URL selects PostgreSQL. Import reports bad lines as\n"
        "FILE:LINE: reason and goes on; it exits 1 when any line was rejected.\n",
        f);
}

/* Options shared by every bank command. */
typedef struct bank_opts {
    const char *db;
    const char *kind;
    const char *format;
    const char *output;
    const char *metadata;
    const char *source;
    bool json;
    double seconds_per_hash;
} bank_opts;

static int parse_opts(int argc, char **argv, bank_opts *o)
{
    enum { OPT_DB = 256, OPT_KIND, OPT_FORMAT, OPT_METADATA, OPT_SOURCE, OPT_JSON, OPT_SECONDS };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"kind", required_argument, NULL, OPT_KIND},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"metadata", required_argument, NULL, OPT_METADATA},
        {"source", required_argument, NULL, OPT_SOURCE},
        {"json", no_argument, NULL, OPT_JSON},
        {"seconds-per-hash", required_argument, NULL, OPT_SECONDS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB:
            o->db = optarg;
            break;
        case OPT_KIND:
            o->kind = optarg;
            break;
        case OPT_FORMAT:
            o->format = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case OPT_METADATA:
            o->metadata = optarg;
            break;
        case OPT_SOURCE:
            o->source = optarg;
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_SECONDS: {
            char *end;
            const float s = strtof(optarg, &end);
            if (end == optarg || *end || !(s >= 0) || s > 1e9f) {
                cli_error("--seconds-per-hash needs a number of seconds >= 0");
                return -2;
            }
            o->seconds_per_hash = (double)s;
            break;
        }
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return -2;
        }
    }
    return optind;
}

static int fail(bw_ctx *ctx)
{
    cli_error("%s", bw_ctx_message(ctx));
    return CLI_EXIT_FAILED;
}

/* ---- list and stats ----------------------------------------------------- */

static int print_bank(void *arg, const bw_bank_info *b)
{
    const bool json = *(const bool *)arg;
    if (json) {
        cli_buf out = {0};
        cli_buf_puts(&out, "{\"name\":");
        cli_buf_json_string(&out, b->name);
        cli_buf_printf(&out, ",\"id\":%lld,\"kind\":\"%s\",\"created_at\":%lld,\"signals\":%llu,"
                             "\"by_type\":{",
                       (long long)b->id, bw_bank_kind_name(b->kind), (long long)b->created_at,
                       (unsigned long long)b->signal_count);
        bool first = true;
        for (int t = 1; t < 8; t++) {
            if (!b->count_by_type[t])
                continue;
            cli_buf_printf(&out, "%s\"%s\":%llu", first ? "" : ",",
                           bw_signal_type_name((bw_signal_type)t),
                           (unsigned long long)b->count_by_type[t]);
            first = false;
        }
        cli_buf_puts(&out, "}}\n");
        fputs(out.data, stdout);
        cli_buf_free(&out);
        return 0;
    }
    printf("%-24s %-6s %10llu signals", b->name, bw_bank_kind_name(b->kind),
           (unsigned long long)b->signal_count);
    for (int t = 1; t < 8; t++)
        if (b->count_by_type[t])
            printf("  %s %llu", bw_signal_type_name((bw_signal_type)t),
                   (unsigned long long)b->count_by_type[t]);
    putchar('\n');
    return 0;
}

static int print_signal(void *arg, const bw_signal_info *s)
{
    const bool json = *(const bool *)arg;
    if (!json) {
        printf("%lld\t%s\t%s\t%s%s\n", (long long)s->id, s->bank, bw_signal_type_name(s->type),
               s->value, s->enabled ? "" : "\t(disabled)");
        return 0;
    }
    cli_buf out = {0};
    cli_buf_printf(&out, "{\"id\":%lld,\"bank\":", (long long)s->id);
    cli_buf_json_string(&out, s->bank);
    cli_buf_printf(&out, ",\"type\":\"%s\",\"value\":", bw_signal_type_name(s->type));
    cli_buf_json_string(&out, s->value);
    cli_buf_printf(&out, ",\"metadata\":%s,\"enabled\":%s,\"quarantined\":%s}\n",
                   s->metadata ? s->metadata : "null", s->enabled ? "true" : "false",
                   s->quarantined ? "true" : "false");
    fputs(out.data, stdout);
    cli_buf_free(&out);
    return 0;
}

/* ---- import and export -------------------------------------------------- */

typedef struct import_state {
    const char *file;
    uint64_t reported;
    cli_progress *bar;
    uint64_t total;
    uint64_t last_mib;
} import_state;

static long read_fd(void *arg, void *buf, size_t size)
{
    const ssize_t n = read(*(int *)arg, buf, size);
    return n < 0 ? -1 : (long)n;
}

static void line_error(void *arg, uint64_t line, bw_status st, const char *why)
{
    import_state *s = arg;
    (void)st;
    if (++s->reported <= 100) {
        cli_progress_clear(s->bar);
        fprintf(stderr, "%s:%llu: %s\n", s->file, (unsigned long long)line, why);
    } else if (s->reported == 101) {
        fprintf(stderr, "%s: more rejected lines follow; only the count is shown\n", s->file);
    }
}

static void import_progress(void *arg, uint64_t bytes)
{
    import_state *s = arg;
    /* The bar counts mebibytes; step it once per new one. */
    for (uint64_t mib = bytes >> 20; s->last_mib < mib; s->last_mib++)
        cli_progress_step(s->bar, false);
}

static bool guess_format(const char *name, const char *given, bw_list_format *out)
{
    if (given)
        return bw_list_format_parse(out, given) == BW_OK;
    const char *dot = name ? strrchr(name, '.') : NULL;
    if (dot && !strcmp(dot, ".csv"))
        *out = BW_LIST_CSV;
    else if (dot && (!strcmp(dot, ".jsonl") || !strcmp(dot, ".ndjson") || !strcmp(dot, ".json")))
        *out = BW_LIST_JSONL;
    else
        *out = BW_LIST_LINES;
    return true;
}

static int do_import(bw_ctx *ctx, bw_store *store, const bank_opts *o, const char *bank,
                     const char *file)
{
    bw_list_format format;
    if (!guess_format(file, o->format, &format)) {
        cli_error("unknown format '%s' (choose lines, csv or jsonl)", o->format);
        return CLI_EXIT_USAGE;
    }
    int fd = STDIN_FILENO;
    if (file && strcmp(file, "-") != 0 && (fd = open(file, O_RDONLY)) < 0) {
        cli_error("cannot open %s: %s", file, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    struct stat st;
    import_state s = {file && strcmp(file, "-") ? file : "stdin", 0, NULL, 0, 0};
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        s.total = (uint64_t)st.st_size;
    s.bar = cli_progress_start("MiB", s.total ? (long)(s.total >> 20) + 1 : -1, true);
    bw_import_stats stats;
    bw_status rc = bw_bank_import(ctx, store, bank, format, read_fd, &fd, line_error,
                                  import_progress, &s, &stats);
    cli_progress_finish(s.bar);
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc != BW_OK)
        return fail(ctx);
    fprintf(stderr,
            "%s: %llu lines: %llu added, %llu already in the bank, %llu rejected\n", s.file,
            (unsigned long long)stats.lines, (unsigned long long)stats.added,
            (unsigned long long)stats.duplicates, (unsigned long long)stats.rejected);
    return stats.rejected ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

static int write_file(void *arg, const void *buf, size_t size)
{
    return fwrite(buf, 1, size, (FILE *)arg) == size ? 0 : -1;
}

static int do_export(bw_ctx *ctx, bw_store *store, const bank_opts *o, const char *bank)
{
    bw_list_format format = BW_LIST_CSV;
    if (o->format && bw_list_format_parse(&format, o->format) != BW_OK) {
        cli_error("unknown format '%s' (choose lines, csv or jsonl)", o->format);
        return CLI_EXIT_USAGE;
    }
    FILE *f = o->output && strcmp(o->output, "-") ? fopen(o->output, "w") : stdout;
    if (!f) {
        cli_error("cannot write %s: %s", o->output, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    bw_status rc = bw_bank_export(ctx, store, bank, format, write_file, f);
    if (f != stdout && fclose(f) != 0 && rc == BW_OK) {
        cli_error("cannot write %s: %s", o->output, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    fflush(stdout);
    return rc == BW_OK ? CLI_EXIT_OK : fail(ctx);
}

/* ---- signals by id ------------------------------------------------------ */

static int each_id(bw_ctx *ctx, bw_store *store, int argc, char **argv, const char *verb)
{
    if (argc == 0) {
        cli_error("%s needs at least one signal id", verb);
        return CLI_EXIT_USAGE;
    }
    int result = CLI_EXIT_OK;
    for (int i = 0; i < argc; i++) {
        char *end;
        long long id = strtoll(argv[i], &end, 10);
        if (*end || id <= 0) {
            cli_error("'%s' is not a signal id", argv[i]);
            result = CLI_EXIT_USAGE;
            continue;
        }
        bw_status rc;
        if (!strcmp(verb, "remove"))
            rc = bw_signal_remove(ctx, store, id);
        else if (!strcmp(verb, "enable") || !strcmp(verb, "disable"))
            rc = bw_signal_set_enabled(ctx, store, id, !strcmp(verb, "enable"));
        else
            rc = bw_signal_set_quarantined(ctx, store, id, 0, "released by an operator");
        if (rc != BW_OK)
            result = fail(ctx);
    }
    return result;
}

int cmd_bank(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    /* Options may come before or after the command word. */
    bank_opts o = {.seconds_per_hash = 1.0};
    int first = parse_opts(argc, argv, &o);
    if (first < 0)
        return first == -1 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (first >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *verb = argv[first];
    char **args = argv + first + 1;
    const int nargs = argc - first - 1;
    static const char *const verbs[] = {"create",  "list",        "delete",   "import",
                                        "export",  "add",         "add-file", "add-content",
                                        "settings", "remove",     "enable",   "disable",
                                        "quarantined", "release", "stats"};
    bool known = false;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        known |= !strcmp(verb, verbs[i]);
    if (!known) {
        cli_error("unknown bank command '%s'", verb);
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    bw_ctx *ctx;
    if (bw_ctx_create(&ctx) != BW_OK)
        return CLI_EXIT_FAILED;
    bw_store *store = cli_open_store(ctx, o.db, !strcmp(verb, "create"));
    if (!store) {
        bw_ctx_free(ctx);
        return CLI_EXIT_FAILED;
    }
    int rc = CLI_EXIT_OK;
    if (!strcmp(verb, "create")) {
        bw_bank_kind kind = BW_BANK_BLOCK;
        if (nargs != 1 || (o.kind && bw_bank_kind_parse(&kind, o.kind) != BW_OK)) {
            cli_error("usage: bulwark bank create NAME [--kind block|allow]");
            rc = CLI_EXIT_USAGE;
        } else if (bw_bank_create(ctx, store, args[0], kind, NULL) != BW_OK) {
            rc = fail(ctx);
        } else {
            fprintf(stderr, "created %s bank '%s'\n", bw_bank_kind_name(kind), args[0]);
        }
    } else if (!strcmp(verb, "list") || !strcmp(verb, "stats")) {
        bw_status st = nargs ? bw_bank_get(ctx, store, args[0], print_bank, &o.json)
                             : bw_bank_list(ctx, store, print_bank, &o.json);
        if (st != BW_OK)
            rc = fail(ctx);
        int64_t seq;
        if (rc == CLI_EXIT_OK && !strcmp(verb, "stats") && !o.json &&
            bw_store_sequence(ctx, store, &seq) == BW_OK)
            printf("store: %s, change sequence %lld\n", bw_store_backend(store), (long long)seq);
    } else if (!strcmp(verb, "delete")) {
        if (nargs != 1) {
            cli_error("usage: bulwark bank delete NAME");
            rc = CLI_EXIT_USAGE;
        } else if (bw_bank_delete(ctx, store, args[0]) != BW_OK) {
            rc = fail(ctx);
        } else {
            fprintf(stderr, "deleted bank '%s'\n", args[0]);
        }
    } else if (!strcmp(verb, "import")) {
        if (nargs < 1 || nargs > 2) {
            cli_error("usage: bulwark bank import NAME [FILE|-] [--format lines|csv|jsonl]");
            rc = CLI_EXIT_USAGE;
        } else {
            rc = do_import(ctx, store, &o, args[0], nargs == 2 ? args[1] : "-");
        }
    } else if (!strcmp(verb, "export")) {
        if (nargs != 1) {
            cli_error("usage: bulwark bank export NAME [--format F] [-o FILE]");
            rc = CLI_EXIT_USAGE;
        } else {
            rc = do_export(ctx, store, &o, args[0]);
        }
    } else if (!strcmp(verb, "add")) {
        bw_signal_type type;
        int64_t id;
        if (nargs != 3 || bw_signal_type_parse(&type, args[1], strlen(args[1])) != BW_OK) {
            cli_error("usage: bulwark bank add NAME TYPE VALUE (TYPE: pdq, md5, sha1, sha256, "
                      "url, vpdq)");
            rc = CLI_EXIT_USAGE;
        } else if (bw_signal_add(ctx, store, args[0], type, args[2], o.source, o.metadata,
                                 &id) != BW_OK) {
            rc = fail(ctx);
        } else {
            printf("%lld\n", (long long)id);
        }
    } else if (!strcmp(verb, "settings")) {
        rc = bank_settings(ctx, store, args, nargs);
    } else if (!strcmp(verb, "add-file") || !strcmp(verb, "add-content")) {
        rc = cli_bank_add_files(ctx, store, nargs ? args[0] : NULL, args + 1,
                                nargs ? nargs - 1 : 0, o.source, o.metadata,
                                o.seconds_per_hash, !strcmp(verb, "add-content"));
    } else if (!strcmp(verb, "quarantined")) {
        if (bw_signal_list_quarantined(ctx, store, print_signal, &o.json) != BW_OK)
            rc = fail(ctx);
    } else {
        rc = each_id(ctx, store, nargs, args, verb);
    }
    bw_store_close(store);
    bw_ctx_free(ctx);
    return rc;
}

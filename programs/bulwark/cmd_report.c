/* bulwark report: reports of confirmed matches, straight from the store. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
    fputs("Usage: bulwark report export ID [--format ncmec|json] [--reporter FILE]\n"
          "                             [-o FILE] [--db PATH|postgres://...]\n"
          "\n"
          "Writes the report of match event ID, which a reviewer must have confirmed:\n"
          "  ncmec  XML shaped like NCMEC's CyberTipline report and file details\n"
          "         (docs/schemas/cybertipline-report.xsd), the default\n"
          "  json   a neutral JSON form, for the NCA and other authorities\n"
          "The same bytes as bulwarkd's GET /v1/reports/ID. --reporter names a JSON\n"
          "file with first_name, last_name, email (needed for ncmec), phone,\n"
          "organisation, legal_url; it defaults to $BULWARK_REPORTER. The export is\n"
          "written to the audit log.\n",
          f);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65537);
    const size_t n = buf ? fread(buf, 1, 65536, f) : 0;
    const bool whole = buf && feof(f);
    fclose(f);
    if (!whole || !n) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int to_file(void *arg, const void *buf, size_t size)
{
    return fwrite(buf, 1, size, (FILE *)arg) == size ? 0 : -1;
}

int cmd_report(int argc, char **argv)
{
    enum { OPT_DB = 256, OPT_FORMAT, OPT_REPORTER };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"reporter", required_argument, NULL, OPT_REPORTER},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *db = NULL, *format_name = "ncmec", *reporter_path = getenv("BULWARK_REPORTER");
    const char *output = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB: db = optarg; break;
        case OPT_FORMAT: format_name = optarg; break;
        case OPT_REPORTER: reporter_path = optarg; break;
        case 'o': output = optarg; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: usage(stderr); return CLI_EXIT_USAGE;
        }
    }
    bw_report_format format;
    char *end = NULL;
    const long long id = optind + 1 < argc ? strtoll(argv[optind + 1], &end, 10) : 0;
    if (optind + 2 != argc || strcmp(argv[optind], "export") != 0 || !end || *end || id <= 0) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (bw_report_format_parse(&format, format_name) != BW_OK) {
        cli_error("unknown format '%s' (choose ncmec or json)", format_name);
        return CLI_EXIT_USAGE;
    }
    char *reporter = NULL;
    if (reporter_path && !(reporter = read_all(reporter_path))) {
        cli_error("cannot read the reporter file %s (at most 64 KiB)", reporter_path);
        return CLI_EXIT_FAILED;
    }
    bw_ctx *ctx;
    if (bw_ctx_create(&ctx) != BW_OK) {
        free(reporter);
        return CLI_EXIT_FAILED;
    }
    bw_store *store = cli_open_store(ctx, db, false);
    int rc = CLI_EXIT_FAILED;
    FILE *f = output && strcmp(output, "-") ? fopen(output, "wb") : stdout;
    if (!f)
        cli_error("cannot write %s: %s", output, strerror(errno));
    if (store && f) {
        const bw_status st = bw_report_write(ctx, store, id, format, reporter ? reporter : "{}",
                                             to_file, f);
        rc = st == BW_OK ? CLI_EXIT_OK : CLI_EXIT_FAILED;
        if (st != BW_OK)
            cli_error("%s", bw_ctx_message(ctx));
    }
    if (f && f != stdout && fclose(f) != 0 && rc == CLI_EXIT_OK) {
        cli_error("cannot write %s: %s", output, strerror(errno));
        rc = CLI_EXIT_FAILED;
    }
    if (f && f != stdout && rc != CLI_EXIT_OK)
        unlink(output); /* no half report left behind */
    fflush(stdout);
    bw_store_close(store);
    bw_ctx_free(ctx);
    free(reporter);
    return rc;
}

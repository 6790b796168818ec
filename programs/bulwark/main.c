/* bulwark: the command-line front end of the Bulwark library. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("bulwark %s\n", bw_version_string());
    return CLI_EXIT_OK;
}

static const command commands[] = {
    {"hash", cmd_hash, "PDQ of images, vPDQ of videos, exact hashes of files"},
    {"bank", cmd_bank, "create, import, export and edit hash banks"},
    {"match", cmd_match, "match images or hashes against the banks"},
    {"nudity", cmd_nudity, "on-device nudity-warning scores of images"},
    {"snapshot", cmd_snapshot, "signed bank snapshots and deltas for devices"},
    {"key", cmd_key, "create, list and revoke API keys for bulwarkd"},
    {"audit", cmd_audit, "verify and read the tamper-evident audit log"},
    {"report", cmd_report, "export the report of a confirmed match (NCMEC XML, JSON)"},
    {"vpdq-match", cmd_vpdq_match, "how much of two videos match (vPDQ)"},
    {"version", cmd_version, "print the version"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: bulwark COMMAND [OPTIONS] [ARGS]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'bulwark COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    /* FFmpeg's demuxers would print warnings about damaged videos on stderr;
     * the CLI reports its own errors, so it turns that process-wide logger
     * off before any thread starts. */
    bw_video_quiet_ffmpeg_log();
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(name, "--version"))
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(name, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    cli_error("unknown command '%s'", name);
    usage(stderr);
    return CLI_EXIT_USAGE;
}

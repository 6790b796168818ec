#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bulwark: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

bool cli_parse_size(const char *text, bool si, uint64_t *out)
{
    char *end;
    if (!text || !*text || *text == '-')
        return false;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text)
        return false;
    uint64_t unit = 1, base = si ? 1000 : 1024;
    if (*end == 'k' || *end == 'K')
        unit = base, end++;
    else if (*end == 'M')
        unit = base * base, end++;
    else if (*end == 'G')
        unit = base * base * base, end++;
    if (*end || v == 0 || v > UINT64_MAX / unit)
        return false;
    *out = (uint64_t)v * unit;
    return true;
}

static void enough_memory(const cli_buf *b)
{
    if (b->failed) {
        fputs("bulwark: out of memory\n", stderr);
        exit(CLI_EXIT_FAILED);
    }
}

void cli_buf_append(cli_buf *b, const char *s, size_t n)
{
    text_buf_add(b, s, n);
    enough_memory(b);
}

void cli_buf_puts(cli_buf *b, const char *s)
{
    cli_buf_append(b, s, strlen(s));
}

void cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_buf_vprintf(b, fmt, ap);
    va_end(ap);
    enough_memory(b);
}

/* Length of a valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0                          ? 4
                                                                : 0;
    if (n == 0 || (n == 2 && s[0] < 0xC2) || (n == 4 && s[0] > 0xF4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

void cli_buf_json_string(cli_buf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    cli_buf_append(b, "\"", 1);
    while (*s) {
        if (*s == '"' || *s == '\\') {
            char esc[2] = {'\\', (char)*s};
            cli_buf_append(b, esc, 2);
            s++;
        } else if (*s < 0x20) {
            cli_buf_printf(b, "\\u%04x", *s);
            s++;
        } else {
            size_t n = utf8_len(s);
            if (n == 0) {
                cli_buf_puts(b, "\\ufffd");
                s++;
            } else {
                cli_buf_append(b, (const char *)s, n);
                s += n;
            }
        }
    }
    cli_buf_append(b, "\"", 1);
}

void cli_buf_free(cli_buf *b)
{
    free(b->data);
    *b = (cli_buf){0};
}

int cli_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* mkdir -p for the default database's directory. */
static int make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

bw_store *cli_open_store(bw_ctx *ctx, const char *db, bool create)
{
    char path[4096];
    if (!db || !*db)
        db = getenv("BULWARK_DB");
    if (!db || !*db) {
        const char *data = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        char dir[4000];
        if (data && *data)
            snprintf(dir, sizeof dir, "%s/bulwark", data);
        else if (home && *home)
            snprintf(dir, sizeof dir, "%s/.local/share/bulwark", home);
        else {
            cli_error("no --db given and neither XDG_DATA_HOME nor HOME is set");
            return NULL;
        }
        if (create && make_dirs(dir) != 0) {
            cli_error("cannot create %s: %s", dir, strerror(errno));
            return NULL;
        }
        snprintf(path, sizeof path, "%s/bulwark.db", dir);
        db = path;
    }
    bw_store *store;
    const bw_status st =
        create ? bw_store_open(ctx, &store, db) : bw_store_open_existing(ctx, &store, db);
    if (st == BW_ERR_NOT_FOUND) {
        cli_error("%s (`bulwark bank create` or `bulwark key create` makes one)",
                  bw_ctx_message(ctx));
        return NULL;
    }
    if (st != BW_OK) {
        cli_error("%s", bw_ctx_message(ctx));
        return NULL;
    }
    return store;
}

int cli_batch_option(cli_batch *b, int c, const char *arg)
{
    switch (c) {
    case 'j': {
        char *end;
        long n = strtol(arg, &end, 10);
        if (*end || n < 0 || n > 1024) {
            cli_error("--jobs needs a number from 0 to 1024");
            return -1;
        }
        b->jobs = n == 0 ? cli_cpu_count() : (int)n;
        return 1;
    }
    case 'k':
        b->keep_going = true;
        return 1;
    case CLI_OPT_FROM:
        b->from = arg;
        return 1;
    case CLI_OPT_MAX_PIXELS:
        if (!cli_parse_size(arg, true, &b->max_pixels)) {
            cli_error("--max-pixels needs a positive number (e.g. 50M)");
            return -1;
        }
        return 1;
    case CLI_OPT_MAX_BYTES:
        if (!cli_parse_size(arg, false, &b->max_bytes)) {
            cli_error("--max-bytes needs a positive size (e.g. 64M)");
            return -1;
        }
        return 1;
    case CLI_OPT_NO_PROGRESS:
        b->progress = false;
        return 1;
    default:
        return 0;
    }
}

void cli_batch_limits(const cli_batch *b, bw_ctx *ctx)
{
    if (b->max_pixels)
        bw_ctx_set_limit(ctx, BW_LIMIT_PIXELS, b->max_pixels);
    if (b->max_bytes)
        bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, b->max_bytes);
}

int cli_batch_run(const cli_batch *b, const cli_work *work, char **args,
                  int count, const char *noun, void (*usage)(FILE *))
{
    const bool stdin_list = count == 1 && strcmp(args[0], "-") == 0;
    if (b->from && count > 0) {
        cli_error("give paths either with --from or on the command line, not both");
        return CLI_EXIT_USAGE;
    }
    if (!b->from && count <= 0) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    cli_paths *paths = b->from ? cli_paths_from_file(b->from)
                       : stdin_list ? cli_paths_from_file("-")
                                    : cli_paths_from_args(args, count);
    if (!paths) {
        cli_error("cannot read the list of paths '%s'", b->from ? b->from : "-");
        return CLI_EXIT_FAILED;
    }
    cli_progress *bar = cli_progress_start(noun, cli_paths_total(paths), b->progress);
    long failures = cli_run_ordered(work, paths, b->jobs, b->keep_going, bar);
    cli_progress_finish(bar);
    cli_paths_free(paths);
    return failures ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

/* Shared helpers of the bulwark command-line tool. */
#ifndef BULWARK_CLI_H
#define BULWARK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <bulwark/bulwark.h>

#include "text_buf.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILED 1   /* some input failed */
#define CLI_EXIT_USAGE 2    /* bad command line */

/* Prints "bulwark: message" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a positive integer with optional k/M/G suffix (powers of 1000 for
 * counts when si, of 1024 for bytes otherwise). */
bool cli_parse_size(const char *text, bool si, uint64_t *out);

/* A growable text buffer (text_buf.h); running out of memory ends the
 * program with a message. */
typedef text_buf cli_buf;

void cli_buf_append(cli_buf *b, const char *s, size_t n);
void cli_buf_puts(cli_buf *b, const char *s);
void cli_buf_printf(cli_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included; bytes that are not
 * UTF-8 become U+FFFD. */
void cli_buf_json_string(cli_buf *b, const char *s);
void cli_buf_free(cli_buf *b);

/* Paths from the command line, or one per line from a file or stdin. */
typedef struct cli_paths cli_paths;
cli_paths *cli_paths_from_args(char **args, int count);
cli_paths *cli_paths_from_file(const char *path); /* "-" is stdin */
/* Next path (owned by the caller), or NULL at the end. */
char *cli_paths_next(cli_paths *p);
/* Number of paths when known in advance, else -1. */
long cli_paths_total(const cli_paths *p);
void cli_paths_free(cli_paths *p);

/* A progress line on stderr, drawn only when stderr is a terminal. */
typedef struct cli_progress cli_progress;
cli_progress *cli_progress_start(const char *noun, long total, bool enabled);
void cli_progress_step(cli_progress *p, bool failed);
/* Erases the line (before other output to stderr); it is redrawn later. */
void cli_progress_clear(cli_progress *p);
void cli_progress_finish(cli_progress *p);

/*
 * Runs work over many inputs on `jobs` threads and prints each result to
 * stdout in input order. process() fills out (stdout text) and err (stderr
 * text) and returns false when the input failed. Without keep_going the
 * run stops after the first failure. Returns the number of failures.
 */
typedef struct cli_result {
    cli_buf out;
    cli_buf err;
    bool failed;
} cli_result;

typedef struct cli_work {
    void *(*thread_init)(void *arg);      /* per-thread state, NULL on failure */
    void (*thread_free)(void *state);
    void (*process)(void *state, const char *input, cli_result *result);
    void *arg;
} cli_work;

long cli_run_ordered(const cli_work *work, cli_paths *inputs, int jobs,
                     bool keep_going, cli_progress *progress);

/*
 * The options every command that works through many files shares: -j,
 * -k, --from, --max-pixels, --max-bytes, --no-progress. Put
 * CLI_BATCH_LONGOPTS in the getopt_long table and "j:k" in its short
 * options, and hand each option to cli_batch_option() first.
 */
typedef struct cli_batch {
    int jobs;
    bool keep_going;
    bool progress;
    const char *from;
    uint64_t max_pixels; /* 0: the library's default */
    uint64_t max_bytes;
} cli_batch;

enum { CLI_OPT_FROM = 1000, CLI_OPT_MAX_PIXELS, CLI_OPT_MAX_BYTES, CLI_OPT_NO_PROGRESS };

#define CLI_BATCH_LONGOPTS                                          \
    {"jobs", required_argument, NULL, 'j'},                         \
    {"keep-going", no_argument, NULL, 'k'},                         \
    {"from", required_argument, NULL, CLI_OPT_FROM},                \
    {"max-pixels", required_argument, NULL, CLI_OPT_MAX_PIXELS},    \
    {"max-bytes", required_argument, NULL, CLI_OPT_MAX_BYTES},      \
    {"no-progress", no_argument, NULL, CLI_OPT_NO_PROGRESS}

#define CLI_BATCH_DEFAULTS {.jobs = 1, .progress = true}

/* 1 when option c was a batch option (stored), 0 when it is not one, -1
 * when its value is bad (the error is printed). */
int cli_batch_option(cli_batch *batch, int c, const char *arg);

/* Applies the byte and pixel limits to a context. */
void cli_batch_limits(const cli_batch *batch, bw_ctx *ctx);

/*
 * Runs work over the paths given by --from, by a lone "-" (stdin) or by
 * args, printing `noun` on the progress line. Returns the exit status:
 * CLI_EXIT_USAGE when no paths or both kinds were given (after printing
 * why; usage is printed for a missing list), CLI_EXIT_FAILED when a path
 * list cannot be read or any input failed, else CLI_EXIT_OK.
 */
int cli_batch_run(const cli_batch *batch, const cli_work *work, char **args,
                  int count, const char *noun, void (*usage)(FILE *));

/* Number of online processors, at least 1. */
int cli_cpu_count(void);

/*
 * The bank store to use: --db if given, else $BULWARK_DB, else
 * $XDG_DATA_HOME/bulwark/bulwark.db (~/.local/share/bulwark/bulwark.db).
 * Only a command that makes something (`create`) makes a SQLite file that is
 * not there (and the default's directory): a mistyped path given to
 * `audit verify` or `match` must not pass as an empty, intact store. Prints
 * the error and returns NULL on failure.
 */
bw_store *cli_open_store(bw_ctx *ctx, const char *db, bool create);

/* Videos in `bulwark hash` (cmd_video.c). */
#define CLI_MAX_DIGESTS 3

typedef struct cli_video_options {
    bw_vpdq_options *vpdq;              /* shared read-only by the threads */
    bw_digest_alg digests[CLI_MAX_DIGESTS]; /* in --algo order */
    int digest_count;
    bool vpdq_wanted; /* pdq among --algo */
    bool json;
    bool header;      /* a '#vpdq,...' line before each video's lines */
    bool dihedral;    /* asked for, and refused for videos */
} cli_video_options;

/* Video options shared by `hash` and `vpdq-match` (cli_video_opts.c). */
typedef struct cli_video_flags {
    bool force;          /* --video */
    bool partial;        /* --partial */
    bool skip_unsampled; /* --fast: decode only sampled and reference frames */
    double seconds;      /* --seconds-per-hash */
    uint32_t size;       /* --video-size */
    uint64_t max_duration_ms, max_frames, max_decode_ms, max_pixels, max_streams;
} cli_video_flags;

/* getopt_long entries for them, with values first, first + 1, ... */
#define CLI_VIDEO_LONGOPTS(first)                                   \
    {"video", no_argument, NULL, (first) + 0},                      \
    {"seconds-per-hash", required_argument, NULL, (first) + 1},     \
    {"video-size", required_argument, NULL, (first) + 2},           \
    {"partial", no_argument, NULL, (first) + 3},                    \
    {"max-duration", required_argument, NULL, (first) + 4},         \
    {"max-frames", required_argument, NULL, (first) + 5},           \
    {"max-decode-time", required_argument, NULL, (first) + 6},      \
    {"max-streams", required_argument, NULL, (first) + 7}

/* Records option number `which` (0..7 above); false (after an error
 * message) for a bad value. */
bool cli_video_option(cli_video_flags *flags, int which, const char *arg);

/* vPDQ options from the flags; NULL (after an error message) on failure. */
bw_vpdq_options *cli_video_options_make(const cli_video_flags *flags, int threads);

/*
 * An input named on the command line, as it can be opened again and again
 * (spool.c): a file as it is; a pipe or other stream (`<(curl ...)`,
 * /dev/stdin) copied first into an unnamed temporary file in $TMPDIR (at
 * most max_bytes; 0: ctx's input limit, or 1 GiB when the first bytes are a
 * video's). Open sp->path, print the name the user gave; close with
 * cli_spool_close. On failure the reason is in error.
 */
typedef struct cli_spool {
    int fd;           /* the temporary copy, or -1 */
    const char *path; /* what to open */
    char copy[32];
} cli_spool;

bw_status cli_spool_open(cli_spool *sp, bw_ctx *ctx, const char *name, uint64_t max_bytes,
                         char *error, size_t error_size);
void cli_spool_close(cli_spool *sp);

/* Whether the file's first bytes are those of a video container. */
bool cli_is_video(bw_ctx *ctx, const char *path);

/* Streams a file through count digests (at most CLI_MAX_DIGESTS); on
 * failure a message goes to error. */
bw_status cli_digest_file(const char *path, const bw_digest_alg *algs, int count,
                          uint8_t out[][BW_DIGEST_MAX_BYTES], char *error, size_t error_size);

/* A video's MD5, SHA-1 and SHA-256 streamed into a new bw_hashes (NULL on
 * failure, with the message in error), for matching and banking. */
bw_hashes *cli_video_digests(const char *path, char *error, size_t error_size);

/* The vPDQ signal value of a hash (malloc'd), or NULL. */
char *cli_vpdq_value(const bw_vpdq *vpdq);

/* Hashes one video (and its digests) into res, as `bulwark hash` prints it:
 * read from path, printed as name (they differ for a spooled stream). */
void cli_video_hash(bw_ctx *ctx, const cli_video_options *opt, const char *name,
                    const char *path, cli_result *res);

/* bulwark bank add-file and add-content (cmd_bank_file.c): banks the
 * signals of each file, printing a JSON line a file or, with summary, a
 * line of counts on stderr; returns the exit status. */
int cli_bank_add_files(bw_ctx *ctx, bw_store *store, const char *bank, char **files, int count,
                       const char *source, const char *metadata, double seconds_per_hash,
                       bool summary);

/* Subcommands. */
int cmd_hash(int argc, char **argv);
int cmd_bank(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_nudity(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_vpdq_match(int argc, char **argv);

/* bulwark bank settings (cmd_content.c). */
int bank_settings(bw_ctx *ctx, bw_store *store, char **args, int count);

#endif

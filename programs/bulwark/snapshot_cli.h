/* What the `bulwark snapshot` commands share (cmd_snapshot.c, cmd_snapshot_build.c). */
#ifndef BULWARK_SNAPSHOT_CLI_H
#define BULWARK_SNAPSHOT_CLI_H

#include "cli.h"

typedef struct snap_opts {
    const char *db, *key, *psm_key, *output, *types, *pubkey;
    const char *banks[32];
    int bank_count;
    uint64_t version;
    bool include_self_reports;
} snap_opts;

/* Writes through a temporary file and renames, so OUT is whole or absent. */
typedef struct snap_output {
    FILE *f;
    char tmp[4200];
    const char *path;
} snap_output;

/* Parses exactly 2 * size hex digits of len characters. */
bool snap_parse_hex(uint8_t *out, size_t size, const char *hex, size_t len);
/* A whole file; NULL (after printing why) when it cannot be read. */
uint8_t *snap_slurp(const char *path, size_t *size_out);
/* A key file: 64 hex digits. false after printing why. */
bool snap_read_key(uint8_t key[32], const char *path);
/* A bw_write_fn writing to a FILE. */
int snap_write_file(void *arg, const void *buf, size_t size);
bool snap_output_open(snap_output *o, const char *path);
/* Renames the temporary file into place when keep, else removes it. */
bool snap_output_close(snap_output *o, bool keep);

/* bulwark snapshot build. */
int cmd_snapshot_build(bw_ctx *ctx, const snap_opts *o, const uint8_t seed[32]);

#endif

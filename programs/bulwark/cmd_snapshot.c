/*
 * bulwark snapshot: make the signed bank snapshots devices check against
 * (docs/device.md), the deltas between them, and the keys that sign them;
 * and verify a snapshot chain as a device would.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bulwark/bw_psm.h>
#include <bulwark/bw_snapshot.h>

#include "snapshot_cli.h"

static void usage(FILE *f)
{
    fputs(
        "Usage: bulwark snapshot COMMAND [OPTIONS]\n"
        "\n"
        "Commands:\n"
        "  keygen -o KEYFILE         a new Ed25519 signing key; prints its public key\n"
        "  pubkey KEYFILE            the public key of a signing key (hex)\n"
        "  psm-keygen -o KEYFILE     a new private-set-membership (OPRF) key; prints its id\n"
        "  build --bank NAME... --key KEYFILE -o OUT [--db DB] [--types LIST]\n"
        "        [--psm-key KEYFILE] [--version N]\n"
        "                            a full snapshot of block banks' enabled signals;\n"
        "                            LIST of pdq, md5, sha256, psm (default pdq,md5,sha256;\n"
        "                            psm: SHA-256s as OPRF tokens, needs --psm-key);\n"
        "                            version defaults to the store's change sequence;\n"
        "                            self-reported hashes go in only as PSM tokens unless\n"
        "                            --include-self-reports (docs/privacy.md)\n"
        "  diff OLD NEW --key KEYFILE -o DELTA\n"
        "                            the signed delta from one full snapshot to another\n"
        "  verify --pubkey HEX FILE [DELTA...]\n"
        "                            check a full snapshot and deltas applied in order,\n"
        "                            as a device does; prints the result as JSON\n"
        "\n"
        "Key files hold 64 hex digits. Keep signing and PSM keys secret.\n",
        f);
}

static int parse_opts(int argc, char **argv, snap_opts *o)
{
    enum { OPT_DB = 256, OPT_BANK, OPT_KEY, OPT_PSM_KEY, OPT_TYPES, OPT_VERSION, OPT_PUBKEY,
           OPT_SELF_REPORTS };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"bank", required_argument, NULL, OPT_BANK},
        {"key", required_argument, NULL, OPT_KEY},
        {"psm-key", required_argument, NULL, OPT_PSM_KEY},
        {"types", required_argument, NULL, OPT_TYPES},
        {"version", required_argument, NULL, OPT_VERSION},
        {"pubkey", required_argument, NULL, OPT_PUBKEY},
        {"include-self-reports", no_argument, NULL, OPT_SELF_REPORTS},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB: o->db = optarg; break;
        case OPT_KEY: o->key = optarg; break;
        case OPT_PSM_KEY: o->psm_key = optarg; break;
        case OPT_TYPES: o->types = optarg; break;
        case OPT_PUBKEY: o->pubkey = optarg; break;
        case OPT_SELF_REPORTS: o->include_self_reports = true; break;
        case 'o': o->output = optarg; break;
        case OPT_BANK:
            if (o->bank_count == (int)(sizeof o->banks / sizeof o->banks[0])) {
                cli_error("too many --bank options");
                return -2;
            }
            o->banks[o->bank_count++] = optarg;
            break;
        case OPT_VERSION:
            if (!cli_parse_size(optarg, true, &o->version)) {
                cli_error("--version needs a positive integer, not '%s'", optarg);
                return -2;
            }
            break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return -2;
        }
    }
    return optind;
}

/* ---- keys and files -------------------------------------------------------- */

bool snap_parse_hex(uint8_t *out, size_t size, const char *hex, size_t len)
{
    if (len != 2 * size)
        return false;
    for (size_t i = 0; i < 2 * size; i++) {
        const char ch = hex[i];
        const int v = ch >= '0' && ch <= '9' ? ch - '0'
                      : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                      : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                               : -1;
        if (v < 0)
            return false;
        out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] | v) : v << 4);
    }
    return true;
}

/* Reads a whole file; NULL (after printing why) when it cannot. */
uint8_t *snap_slurp(const char *path, size_t *size_out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return NULL;
    }
    cli_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        cli_buf_append(&b, chunk, n);
    const bool bad = ferror(f);
    fclose(f);
    if (bad) {
        cli_error("%s: read error", path);
        cli_buf_free(&b);
        return NULL;
    }
    *size_out = b.size;
    return b.data ? (uint8_t *)b.data : calloc(1, 1);
}

bool snap_read_key(uint8_t key[32], const char *path)
{
    size_t size = 0;
    char *text = (char *)snap_slurp(path, &size);
    if (!text)
        return false;
    while (size && (text[size - 1] == '\n' || text[size - 1] == '\r' || text[size - 1] == ' '))
        size--;
    const bool ok = snap_parse_hex(key, 32, text, size);
    memset(text, 0, size);
    free(text);
    if (!ok)
        cli_error("%s: not a key (64 hex digits)", path);
    return ok;
}

static bool write_secret(const char *path, const uint8_t key[32])
{
    char hex[65];
    bw_hex_encode(hex, key, 32);
    const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        cli_error("%s: %s", path, strerror(errno));
        return false;
    }
    FILE *f = fdopen(fd, "w");
    const bool ok = f && fprintf(f, "%s\n", hex) == 65 && fclose(f) == 0;
    if (!ok)
        cli_error("%s: write failed", path);
    return ok;
}

int snap_write_file(void *arg, const void *buf, size_t size)
{
    return fwrite(buf, 1, size, arg) != size;
}

bool snap_output_open(snap_output *o, const char *path)
{
    o->path = path;
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp%d", path, (int)getpid());
    o->f = fopen(o->tmp, "wb");
    if (!o->f)
        cli_error("%s: %s", o->tmp, strerror(errno));
    return o->f != NULL;
}

bool snap_output_close(snap_output *o, bool keep)
{
    const bool ok = fclose(o->f) == 0 && keep && rename(o->tmp, o->path) == 0;
    if (!ok)
        unlink(o->tmp);
    if (keep && !ok)
        cli_error("%s: cannot write", o->path);
    return ok;
}

/* ---- commands ---------------------------------------------------------------- */

static int cmd_keygen(const snap_opts *o, bool psm)
{
    if (!o->output) {
        cli_error("keygen needs -o KEYFILE");
        return CLI_EXIT_USAGE;
    }
    uint8_t key[32], pub[32];
    char hex[65];
    if (psm) {
        if (bw_psm_key_generate(key) != BW_OK || bw_psm_key_id(pub, key) != BW_OK)
            return CLI_EXIT_FAILED;
        bw_hex_encode(hex, pub, BW_PSM_KEY_ID_BYTES);
    } else {
        if (bw_snapshot_key_generate(pub, key) != BW_OK)
            return CLI_EXIT_FAILED;
        bw_hex_encode(hex, pub, 32);
    }
    const bool ok = write_secret(o->output, key);
    memset(key, 0, sizeof key);
    if (!ok)
        return CLI_EXIT_FAILED;
    printf("%s\n", hex);
    return CLI_EXIT_OK;
}

static int cmd_pubkey(const char *path)
{
    uint8_t seed[32], pub[32];
    char hex[65];
    if (!snap_read_key(seed, path) || bw_snapshot_public_key(pub, seed) != BW_OK)
        return CLI_EXIT_FAILED;
    bw_hex_encode(hex, pub, 32);
    printf("%s\n", hex);
    return CLI_EXIT_OK;
}

/* ---- verify and diff ----------------------------------------------------------- */

/* The snapshot a file and the deltas after it lead to. */
static bw_snapshot *open_chain(bw_ctx *ctx, char **files, int count,
                               const uint8_t pub[32])
{
    bw_snapshot *snap = NULL;
    for (int i = 0; i < count; i++) {
        size_t size = 0;
        uint8_t *data = snap_slurp(files[i], &size);
        if (!data) {
            bw_snapshot_free(snap);
            return NULL;
        }
        bw_status st = i == 0 ? bw_snapshot_open(ctx, &snap, data, size, pub)
                              : bw_snapshot_apply(ctx, snap, data, size, pub);
        free(data);
        if (st != BW_OK) {
            cli_error("%s: %s", files[i], bw_ctx_message(ctx));
            bw_snapshot_free(snap);
            return NULL;
        }
    }
    return snap;
}

static int cmd_verify(bw_ctx *ctx, const snap_opts *o, char **files, int count)
{
    uint8_t pub[32];
    if (!o->pubkey || !snap_parse_hex(pub, 32, o->pubkey, strlen(o->pubkey)) || count < 1) {
        cli_error("verify needs --pubkey HEX (64 hex digits) and a snapshot file");
        return CLI_EXIT_USAGE;
    }
    bw_snapshot *snap = open_chain(ctx, files, count, pub);
    if (!snap)
        return CLI_EXIT_FAILED;
    uint8_t digest[32], id[8];
    char dhex[65], idhex[17];
    bw_snapshot_digest(snap, digest);
    bw_snapshot_psm_key_id(snap, id);
    bw_hex_encode(dhex, digest, 32);
    bw_hex_encode(idhex, id, 8);
    printf("{\"ok\":true,\"version\":%llu,\"created_at\":%lld,\"pdq\":%zu,\"md5\":%zu,"
           "\"sha256\":%zu,\"psm\":%zu,\"psm_key_id\":\"%s\",\"digest\":\"%s\"}\n",
           (unsigned long long)bw_snapshot_version(snap),
           (long long)bw_snapshot_created_at(snap), bw_snapshot_count(snap, BW_SNAPSHOT_PDQ),
           bw_snapshot_count(snap, BW_SNAPSHOT_MD5), bw_snapshot_count(snap, BW_SNAPSHOT_SHA256),
           bw_snapshot_count(snap, BW_SNAPSHOT_PSM_TOKEN), idhex, dhex);
    bw_snapshot_free(snap);
    return CLI_EXIT_OK;
}

static int cmd_diff(bw_ctx *ctx, const snap_opts *o, const uint8_t seed[32], char **files,
                    int count)
{
    if (count != 2 || !o->output) {
        cli_error("diff needs OLD NEW and -o DELTA");
        return CLI_EXIT_USAGE;
    }
    uint8_t pub[32];
    bw_snapshot_public_key(pub, seed);
    bw_snapshot *old_snap = open_chain(ctx, files, 1, pub);
    bw_snapshot *new_snap = old_snap ? open_chain(ctx, files + 1, 1, pub) : NULL;
    snap_output out;
    int rc = CLI_EXIT_FAILED;
    if (new_snap && snap_output_open(&out, o->output)) {
        bw_status st = bw_snapshot_write_delta(ctx, old_snap, new_snap, seed,
                                               (int64_t)time(NULL), snap_write_file, out.f);
        if (st != BW_OK)
            cli_error("%s", bw_ctx_message(ctx));
        if (snap_output_close(&out, st == BW_OK))
            rc = CLI_EXIT_OK;
    }
    bw_snapshot_free(old_snap);
    bw_snapshot_free(new_snap);
    return rc;
}

int cmd_snapshot(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    snap_opts o = {0};
    const int first = parse_opts(argc - 1, argv + 1, &o);
    if (first < 0)
        return first == -1 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    char **args = argv + 1 + first;
    const int nargs = argc - 1 - first;
    if (!strcmp(sub, "keygen") || !strcmp(sub, "psm-keygen"))
        return cmd_keygen(&o, sub[0] == 'p');
    if (!strcmp(sub, "pubkey")) {
        if (nargs != 1) {
            cli_error("pubkey needs KEYFILE");
            return CLI_EXIT_USAGE;
        }
        return cmd_pubkey(args[0]);
    }
    bw_ctx *ctx = NULL;
    if (bw_ctx_create(&ctx) != BW_OK)
        return CLI_EXIT_FAILED;
    int rc = CLI_EXIT_USAGE;
    uint8_t seed[32];
    if (!strcmp(sub, "verify")) {
        rc = cmd_verify(ctx, &o, args, nargs);
    } else if (!strcmp(sub, "build") || !strcmp(sub, "diff")) {
        if (!o.key)
            cli_error("%s needs --key KEYFILE (the signing key)", sub);
        else if (!snap_read_key(seed, o.key))
            rc = CLI_EXIT_FAILED;
        else
            rc = sub[0] == 'b' ? cmd_snapshot_build(ctx, &o, seed)
                               : cmd_diff(ctx, &o, seed, args, nargs);
        memset(seed, 0, sizeof seed);
    } else {
        cli_error("unknown snapshot command '%s'", sub);
        usage(stderr);
    }
    bw_ctx_free(ctx);
    return rc;
}

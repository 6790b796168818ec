/*
 * bulwark snapshot build: a full snapshot of block banks' enabled signals,
 * from one consistent scan of the store per type.
 */
#include <string.h>
#include <time.h>

#include <bulwark/bw_psm.h>
#include <bulwark/bw_snapshot.h>

#include "snapshot_cli.h"

typedef struct build_state {
    bw_ctx *ctx;
    bw_snapshot *snap;
    const snap_opts *o;
    bool want[5]; /* by bw_snapshot_section */
    uint8_t psm_key[32];
    bw_status st;
    size_t held_back; /* self-reported values kept out */
} build_state;

static bool chosen_bank(const snap_opts *o, const char *bank)
{
    for (int i = 0; i < o->bank_count; i++)
        if (!strcmp(o->banks[i], bank))
            return true;
    return false;
}

static int collect(void *arg, const bw_signal_info *s)
{
    build_state *b = arg;
    if (!chosen_bank(b->o, s->bank) || !s->enabled || s->quarantined)
        return 0;
    /* A self-reported image's PDQ hash is a coarse sketch of someone's
     * private picture, and its digests let anyone holding the picture test
     * whether it was reported: only the PSM token, which reveals neither,
     * ships unless asked. */
    if (s->source && !strcmp(s->source, "self-report") && !b->o->include_self_reports) {
        if (s->type == BW_SIGNAL_SHA256 && b->want[BW_SNAPSHOT_PSM_TOKEN]) {
            uint8_t token[BW_PSM_TOKEN_BYTES];
            b->st = bw_psm_token(token, b->psm_key, s->raw, s->raw_size);
            if (b->st == BW_OK)
                b->st = bw_snapshot_add(b->ctx, b->snap, BW_SNAPSHOT_PSM_TOKEN, token,
                                        sizeof token);
        }
        b->held_back += (s->type == BW_SIGNAL_PDQ && b->want[BW_SNAPSHOT_PDQ]) ||
                        (s->type == BW_SIGNAL_MD5 && b->want[BW_SNAPSHOT_MD5]) ||
                        (s->type == BW_SIGNAL_SHA256 && b->want[BW_SNAPSHOT_SHA256]);
        return b->st != BW_OK;
    }
    bw_snapshot_section section = 0;
    uint8_t token[BW_PSM_TOKEN_BYTES];
    const uint8_t *entry = s->raw;
    size_t size = s->raw_size;
    if (s->type == BW_SIGNAL_PDQ && b->want[BW_SNAPSHOT_PDQ])
        section = BW_SNAPSHOT_PDQ;
    else if (s->type == BW_SIGNAL_MD5 && b->want[BW_SNAPSHOT_MD5])
        section = BW_SNAPSHOT_MD5;
    if (s->type == BW_SIGNAL_SHA256 && b->want[BW_SNAPSHOT_SHA256])
        b->st = bw_snapshot_add(b->ctx, b->snap, BW_SNAPSHOT_SHA256, entry, size);
    if (b->st == BW_OK && s->type == BW_SIGNAL_SHA256 && b->want[BW_SNAPSHOT_PSM_TOKEN]) {
        b->st = bw_psm_token(token, b->psm_key, s->raw, s->raw_size);
        section = BW_SNAPSHOT_PSM_TOKEN;
        entry = token;
        size = sizeof token;
    }
    if (b->st == BW_OK && section)
        b->st = bw_snapshot_add(b->ctx, b->snap, section, entry, size);
    return b->st != BW_OK;
}

static int check_bank(void *arg, const bw_bank_info *bank)
{
    *(bw_bank_kind *)arg = bank->kind;
    return 0;
}

static bool parse_types(build_state *b, const char *list)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", list ? list : "pdq,md5,sha256");
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int s = 1; s <= 4; s++)
            if (!strcmp(t, bw_snapshot_section_name((bw_snapshot_section)s)))
                b->want[s] = true, found = 1;
        if (!found) {
            cli_error("unknown snapshot type '%s' (pdq, md5, sha256, psm)", t);
            return false;
        }
    }
    return true;
}

int cmd_snapshot_build(bw_ctx *ctx, const snap_opts *o, const uint8_t seed[32])
{
    build_state b = {ctx, NULL, o, {0}, {0}, BW_OK, 0};
    if (!o->bank_count || !o->output) {
        cli_error("build needs --bank NAME and -o OUT");
        return CLI_EXIT_USAGE;
    }
    if (!parse_types(&b, o->types))
        return CLI_EXIT_USAGE;
    if (b.want[BW_SNAPSHOT_PSM_TOKEN] != (o->psm_key != NULL)) {
        cli_error("the psm type and --psm-key go together");
        return CLI_EXIT_USAGE;
    }
    if (o->psm_key && !snap_read_key(b.psm_key, o->psm_key))
        return CLI_EXIT_FAILED;
    bw_store *store = cli_open_store(ctx, o->db, false);
    if (!store)
        return CLI_EXIT_FAILED;
    int rc = CLI_EXIT_FAILED;
    for (int i = 0; i < o->bank_count; i++) {
        bw_bank_kind kind = 0;
        if (bw_bank_get(ctx, store, o->banks[i], check_bank, &kind) != BW_OK) {
            cli_error("bank %s: %s", o->banks[i], bw_ctx_message(ctx));
            goto done;
        }
        if (kind != BW_BANK_BLOCK) {
            cli_error("bank %s is an allow list; snapshots carry block lists", o->banks[i]);
            goto done;
        }
    }
    if (bw_snapshot_create(&b.snap) != BW_OK)
        goto done;
    int64_t seq = 0;
    static const bw_signal_type types[] = {BW_SIGNAL_PDQ, BW_SIGNAL_MD5, BW_SIGNAL_SHA256};
    for (size_t i = 0; i < 3 && b.st == BW_OK; i++) {
        int64_t at = 0;
        bw_status st = bw_store_scan(ctx, store, types[i], collect, &b, &at);
        if (b.st == BW_OK && st != BW_OK)
            b.st = st;
        seq = at > seq ? at : seq;
    }
    if (b.st != BW_OK) {
        cli_error("%s", bw_ctx_message(ctx));
        goto done;
    }
    bw_snapshot_set_version(b.snap, o->version ? o->version : seq > 0 ? (uint64_t)seq : 1);
    bw_snapshot_set_created_at(b.snap, (int64_t)time(NULL));
    if (o->psm_key) {
        uint8_t id[BW_PSM_KEY_ID_BYTES];
        if (bw_psm_key_id(id, b.psm_key) != BW_OK) {
            cli_error("%s: not a valid PSM key", o->psm_key);
            goto done;
        }
        bw_snapshot_set_psm_key_id(b.snap, id);
    }
    snap_output out;
    if (!snap_output_open(&out, o->output))
        goto done;
    bw_status st = bw_snapshot_write(ctx, b.snap, seed, snap_write_file, out.f);
    if (st != BW_OK)
        cli_error("%s", bw_ctx_message(ctx));
    if (snap_output_close(&out, st == BW_OK)) {
        fprintf(stderr, "%s: version %llu, %zu pdq, %zu md5, %zu sha256, %zu psm\n",
                o->output, (unsigned long long)bw_snapshot_version(b.snap),
                bw_snapshot_count(b.snap, BW_SNAPSHOT_PDQ),
                bw_snapshot_count(b.snap, BW_SNAPSHOT_MD5),
                bw_snapshot_count(b.snap, BW_SNAPSHOT_SHA256),
                bw_snapshot_count(b.snap, BW_SNAPSHOT_PSM_TOKEN));
        if (b.held_back)
            fprintf(stderr, "%s: %zu self-reported values left out (--include-self-reports)\n",
                    o->output, b.held_back);
        rc = CLI_EXIT_OK;
    }
done:
    memset(b.psm_key, 0, sizeof b.psm_key);
    bw_snapshot_free(b.snap);
    bw_store_close(store);
    return rc;
}


/*
 * Writes the committed seed corpus of the snapshot fuzz target, signed with
 * the fuzz key: full snapshots with each kind of section and a few deltas
 * from the base of snapshot_fuzz.h.
 *   make-snapshot-corpus DIR        (the corpus is fuzz/corpus/snapshot)
 */
#include <stdio.h>
#include <stdlib.h>

#include <bulwark/bulwark.h>

#include "snapshot_fuzz.h"

static int to_file(void *arg, const void *buf, size_t size)
{
    return fwrite(buf, 1, size, arg) != size;
}

static int save(bw_ctx *ctx, const char *dir, const char *name, bw_snapshot *from,
                bw_snapshot *to)
{
    uint8_t seed[32];
    char path[4096];
    fuzz_snapshot_seed(seed);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    bw_status st = from ? bw_snapshot_write_delta(ctx, from, to, seed, 1700000100,
                                                  to_file, f)
                        : bw_snapshot_write(ctx, to, seed, to_file, f);
    return (fclose(f) != 0) | (st != BW_OK);
}

/* The base with `drop` entries of each section removed and `add` new ones. */
static bw_snapshot *variant(bw_ctx *ctx, uint64_t version, unsigned drop, unsigned add,
                            unsigned sections)
{
    bw_snapshot *s = NULL;
    bw_snapshot_create(&s);
    for (unsigned t = 1; t <= 4; t++) {
        if (!(sections & (1u << t)))
            continue;
        for (unsigned i = drop; i < 6 + add; i++) {
            uint8_t e[32];
            fuzz_snapshot_entry(e, t, i);
            bw_snapshot_add(ctx, s, (bw_snapshot_section)t, e,
                            bw_snapshot_entry_bytes((bw_snapshot_section)t));
        }
    }
    const uint8_t id[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    bw_snapshot_set_psm_key_id(s, id);
    bw_snapshot_set_version(s, version);
    bw_snapshot_set_created_at(s, 1700000000);
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make-snapshot-corpus DIR\n");
        return 2;
    }
    bw_ctx *ctx = NULL;
    bw_ctx_create(&ctx);
    bw_snapshot *base = fuzz_snapshot_base(ctx), *empty = variant(ctx, 3, 0, 0, 0),
                *pdq = variant(ctx, 4, 0, 3, 1u << 1), *all = variant(ctx, 5, 2, 4, 0x1e),
                *exact = variant(ctx, 6, 0, 1, (1u << 2) | (1u << 3));
    int bad = save(ctx, argv[1], "base.bwsnap", NULL, base);
    bad |= save(ctx, argv[1], "empty.bwsnap", NULL, empty);
    bad |= save(ctx, argv[1], "pdq-only.bwsnap", NULL, pdq);
    bad |= save(ctx, argv[1], "all-sections.bwsnap", NULL, all);
    bad |= save(ctx, argv[1], "delta-add-remove.bwsnap", base, all);
    bad |= save(ctx, argv[1], "delta-to-empty.bwsnap", base, empty);
    bad |= save(ctx, argv[1], "delta-exact.bwsnap", base, exact);
    bw_snapshot_free(base), bw_snapshot_free(empty), bw_snapshot_free(pdq);
    bw_snapshot_free(all), bw_snapshot_free(exact);
    bw_ctx_free(ctx);
    return bad;
}

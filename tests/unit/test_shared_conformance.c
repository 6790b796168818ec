/*
 * Conformance against the reference vectors in ../shared/testdata/pdq (the
 * reference's own regression images and its outputs for them). A fresh
 * clone has no ../shared: the test then says so and is skipped.
 */
#include <zlib.h>

#include <bulwark/bulwark.h>

#include "harness.h"

static bw_ctx *ctx;
static bw_hashes *hashes;
static char path[4096];
static int compared;

static const char *shared(const char *rel)
{
    snprintf(path, sizeof path, "%s/pdq/%s", BW_SHARED_DATA, rel);
    return path;
}

/* Paths in the regression output look like ./reg_test/../../data/X. */
static const char *data_relative(const char *p)
{
    const char *d = strstr(p, "data/");
    return d ? d : p;
}

static void check_plain(const char *hex, const char *quality, const char *file)
{
    char expect[200], got[200], hx[65];
    uint8_t h[32];
    int q = -1;
    snprintf(expect, sizeof expect, "%s,%s", hex, quality);
    CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ, shared(data_relative(file))), BW_OK);
    bw_hashes_pdq(hashes, h, &q);
    bw_pdq_to_hex(hx, h);
    snprintf(got, sizeof got, "%s,%d", hx, q);
    if (strcmp(got, expect) != 0)
        fprintf(stderr, "%s\n", file);
    CHECK_STR(got, expect);
    compared++;
}

static void check_dihedral(char **f, const char *file)
{
    CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ_DIHEDRAL, shared(data_relative(file))), BW_OK);
    for (int d = 0; d < 8; d++) {
        uint8_t h[32];
        char hx[65];
        bw_hashes_pdq_dihedral(hashes, (bw_dihedral)d, h);
        bw_pdq_to_hex(hx, h);
        CHECK_STR(hx, f[d]);
    }
    compared++;
}

static void generated_csvs(void)
{
    FILE *f = fopen(shared("generated/pdq-photo-hasher.csv"), "r");
    CHECK(f != NULL);
    char line[2048];
    char *fields[16];
    while (f && fgets(line, sizeof line, f))
        if (bwt_split(line, fields, 16) == 3)
            check_plain(fields[0], fields[1], fields[2]);
    if (f)
        fclose(f);
    f = fopen(shared("generated/pdq-photo-hasher-pdqdih-across.csv"), "r");
    CHECK(f != NULL);
    while (f && fgets(line, sizeof line, f))
        if (bwt_split(line, fields, 16) == 10)
            check_dihedral(fields, fields[9]);
    if (f)
        fclose(f);
}

static const char *const xform_names[8] = {"orig", "rot90", "rot180", "rot270",
                                           "flipx", "flipy", "flipp", "flipm"};

/* A "--details" line: key=value pairs separated by commas. */
static void check_details(char *line)
{
    char *fields[16];
    int n = bwt_split(line, fields, 16);
    const char *hash = NULL, *quality = NULL, *xform = NULL, *file = NULL;
    const char *across[8] = {0};
    for (int i = 0; i < n; i++) {
        char *eq = strchr(fields[i], '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *k = fields[i], *v = eq + 1;
        if (!strcmp(k, "hash"))
            hash = v;
        else if (!strcmp(k, "quality"))
            quality = v;
        else if (!strcmp(k, "xform"))
            xform = v;
        else if (!strcmp(k, "filename"))
            file = v;
        for (int d = 0; d < 8; d++)
            if (!strcmp(k, xform_names[d]))
                across[d] = v;
    }
    if (!hash || !file)
        return;
    if (across[0]) {
        char *list[8];
        for (int d = 0; d < 8; d++)
            list[d] = (char *)across[d];
        check_dihedral(list, file);
    } else if (xform) {
        CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ_DIHEDRAL, shared(data_relative(file))), BW_OK);
        for (int d = 0; d < 8; d++)
            if (!strcmp(xform, xform_names[d])) {
                uint8_t h[32];
                char hx[65];
                bw_hashes_pdq_dihedral(hashes, (bw_dihedral)d, h);
                bw_pdq_to_hex(hx, h);
                CHECK_STR(hx, hash);
                compared++;
            }
    } else if (quality) {
        check_plain(hash, quality, file);
    }
}

/* The reference's full regression output: every photo-hasher line in it. */
static void regression_output(void)
{
    gzFile gz = gzopen(shared("cpp/reg_test/expected/out.gz"), "rb");
    CHECK(gz != NULL);
    if (!gz)
        return;
    char line[4096];
    bool in_hasher = false, per_variant = false;
    int variant = 0;
    int before = compared;
    while (gzgets(gz, line, sizeof line)) {
        line[strcspn(line, "\n")] = '\0';
        if (!strncmp(line, "pdq-photo-hasher", 16)) {
            in_hasher = true;
            /* Plain --pdqdih prints the 8 variants as 8 lines per file. */
            per_variant = strstr(line, "--pdqdih ") && !strstr(line, "--details");
            variant = 0;
            continue;
        }
        if (!strncmp(line, "RUNNING", 7) || line[0] == '=') {
            in_hasher = false;
            continue;
        }
        if (!in_hasher || !line[0])
            continue;
        if (!strncmp(line, "hash=", 5)) {
            check_details(line);
            continue;
        }
        char *fields[16];
        int n = bwt_split(line, fields, 16);
        if (n == 3 && strlen(fields[0]) == 64 && per_variant) {
            CHECK_EQ(bw_hash_file(ctx, hashes, BW_HASH_PDQ_DIHEDRAL,
                                  shared(data_relative(fields[2]))), BW_OK);
            uint8_t h[32];
            char hx[65];
            bw_hashes_pdq_dihedral(hashes, (bw_dihedral)(variant++ % 8), h);
            bw_pdq_to_hex(hx, h);
            CHECK_STR(hx, fields[0]);
            compared++;
        } else if (n == 3 && strlen(fields[0]) == 64) {
            check_plain(fields[0], fields[1], fields[2]);
        } else if (n == 10 && strlen(fields[0]) == 64) {
            check_dihedral(fields, fields[9]);
        }
    }
    gzclose(gz);
    CHECK(compared - before >= 36);
}

int main(void)
{
    FILE *probe = fopen(shared("generated/pdq-photo-hasher.csv"), "r");
    if (!probe) {
        printf("SKIP: %s/pdq is absent (no ../shared beside this checkout); "
               "tests/data/golden carries conformance instead\n", BW_SHARED_DATA);
        return BWT_SKIP;
    }
    fclose(probe);
    if (bw_ctx_create(&ctx) != BW_OK || bw_hashes_create(&hashes) != BW_OK)
        return 1;
    RUN(generated_csvs);
    RUN(regression_output);
    printf("compared %d reference outputs\n", compared);
    bw_hashes_free(hashes);
    bw_ctx_free(ctx);
    return BWT_RESULT();
}

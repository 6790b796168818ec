/*
 * The matcher end to end on a real store (SQLite, or PostgreSQL through
 * tests/pg/with-postgres.sh): loading, exact recall against a brute-force
 * scan of held-out hashes, following changes made through another
 * connection, allow-list suppression, URL prefixes, digests, dihedral
 * matching of files, and flood quarantine.
 *   test_match sqlite DIR | postgresql
 */
#include <unistd.h>

#include <bulwark/bulwark.h>

#include "harness.h"
#include "hash_fixtures.h"

static bw_ctx *ctx;
static bw_store *store, *other; /* other: a second connection, as another node */
static bw_matcher *matcher;
static bw_matches *matches;
static char location[4096];

static bwt_rng rng = {0x1234567887654321ull};

static void random_hash(uint8_t h[32])
{
    bwt_random_hash(&rng, h);
}

static void flip(uint8_t out[32], const uint8_t in[32], int bits)
{
    bwt_flip(&rng, out, in, bits);
}

/* Match i, or an empty record when there is none (so a failed check does
 * not become a crash). */
static const bw_match_info *nth(size_t i)
{
    static const bw_match_info none = {0};
    const bw_match_info *m = bw_matches_get(matches, i);
    return m ? m : &none;
}

static int hex_distance(const char *a, const uint8_t *b)
{
    uint8_t h[32];
    bw_pdq_from_hex(h, a, 64);
    return bw_pdq_distance(h, b);
}

#define BANKED 2000
static uint8_t banked[BANKED][32];

static void setup_banks(void)
{
    CHECK_EQ(bw_bank_create(ctx, store, "csam-list", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_bank_create(ctx, store, "false-positives", BW_BANK_ALLOW, NULL), BW_OK);
    /* Clusters, so that queries hit several signals at various distances. */
    for (int i = 0; i < BANKED; i++) {
        if (i % 4 == 0)
            random_hash(banked[i]);
        else
            flip(banked[i], banked[i - i % 4], 3 + (int)(bwt_next(&rng) % 20));
        char hex[65];
        bw_pdq_to_hex(hex, banked[i]);
        bw_status st = bw_signal_add(ctx, store, "csam-list", BW_SIGNAL_PDQ, hex, "test",
                                     i % 2 ? "{\"case\":1}" : NULL, NULL);
        CHECK(st == BW_OK || st == BW_ERR_EXISTS);
    }
    CHECK_EQ(bw_matcher_create(ctx, &matcher, store), BW_OK);
    CHECK(bw_matcher_pdq_count(matcher) >= BANKED - 5);
}

/* Every query's matches must be exactly the stored hashes within T. */
static void exact_recall(void)
{
    int mismatches = 0, with_matches = 0;
    for (int q = 0; q < 300; q++) {
        uint8_t query[32];
        if (q % 3)
            flip(query, banked[bwt_next(&rng) % BANKED], (int)(bwt_next(&rng) % 40));
        else
            random_hash(query);
        const int t = q % 2 ? 31 : 20;
        CHECK_EQ(bw_matcher_match_pdq(ctx, matcher, matches, query, t), BW_OK);
        size_t expect = 0;
        for (int i = 0; i < BANKED; i++)
            expect += bw_pdq_distance(query, banked[i]) <= t;
        /* Duplicated values in the list are one signal. */
        size_t got = bw_matches_count(matches);
        for (size_t i = 0; i < got; i++) {
            const bw_match_info *m = bw_matches_get(matches, i);
            if (hex_distance(m->value, query) != m->distance || m->distance > t ||
                strcmp(m->bank, "csam-list") != 0 || m->type != BW_SIGNAL_PDQ)
                mismatches++;
        }
        if (got > expect || got + 5 < expect)
            mismatches++;
        with_matches += got > 0;
    }
    CHECK_EQ(mismatches, 0);
    CHECK(with_matches > 100);
}

static void follows_other_connections(void)
{
    uint8_t fresh[32], probe[32];
    random_hash(fresh);
    flip(probe, fresh, 9);
    char hex[65];
    bw_pdq_to_hex(hex, fresh);
    CHECK_EQ(bw_matcher_match_pdq(ctx, matcher, matches, probe, 31), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 0);
    int64_t id;
    CHECK_EQ(bw_signal_add(ctx, other, "csam-list", BW_SIGNAL_PDQ, hex, "other node", NULL, &id),
             BW_OK);
    size_t applied = 0;
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, &applied), BW_OK);
    CHECK_EQ(applied, 1);
    CHECK_EQ(bw_matcher_match_pdq(ctx, matcher, matches, probe, 31), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 1);
    CHECK_EQ(bw_matches_actionable(matches), 1);
    /* Disabled, then removed: gone from matches after each refresh. */
    CHECK_EQ(bw_signal_set_enabled(ctx, other, id, 0), BW_OK);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, NULL), BW_OK);
    CHECK_EQ(bw_matcher_match_pdq(ctx, matcher, matches, probe, 31), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 0);
    CHECK_EQ(bw_signal_set_enabled(ctx, other, id, 1), BW_OK);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, NULL), BW_OK);
    CHECK_EQ(bw_matcher_match_pdq(ctx, matcher, matches, probe, 31), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 1);
    CHECK_EQ(bw_signal_remove(ctx, other, id), BW_OK);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, &applied), BW_OK);
    CHECK_EQ(applied, 1);
    CHECK_EQ(bw_matcher_match_pdq(ctx, matcher, matches, probe, 31), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 0);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, &applied), BW_OK);
    CHECK_EQ(applied, 0);
    CHECK(bw_matcher_sequence(matcher) > 0);
}

static void allow_list_suppresses(void)
{
    char hex[65];
    bw_pdq_to_hex(hex, banked[8]);
    CHECK_EQ(bw_signal_add(ctx, other, "false-positives", BW_SIGNAL_PDQ, hex, "review", NULL, NULL),
             BW_OK);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, NULL), BW_OK);
    CHECK_EQ(bw_matcher_match_pdq(ctx, matcher, matches, banked[8], 31), BW_OK);
    CHECK(bw_matches_count(matches) >= 2);
    const bw_match_info *first = nth(0);
    const bw_match_info *last = nth(bw_matches_count(matches) - 1);
    CHECK_EQ(first->bank_kind, BW_BANK_BLOCK);
    CHECK_EQ(first->suppressed, 1);
    CHECK_EQ(last->bank_kind, BW_BANK_ALLOW);
    CHECK_EQ(bw_matches_actionable(matches), 0);

    /* A look-alike allow-listed 12 bits from a banked hash suppresses
     * queries nearer to it, not the banked hash itself. */
    uint8_t lookalike[32];
    flip(lookalike, banked[12], 12);
    bw_pdq_to_hex(hex, lookalike);
    CHECK_EQ(bw_signal_add(ctx, other, "false-positives", BW_SIGNAL_PDQ, hex, "review", NULL,
                           NULL),
             BW_OK);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, NULL), BW_OK);
    CHECK_EQ(bw_matcher_match_pdq(ctx, matcher, matches, lookalike, 31), BW_OK);
    CHECK_EQ(bw_matches_actionable(matches), 0);
    CHECK_EQ(bw_matcher_match_pdq(ctx, matcher, matches, banked[12], 31), BW_OK);
    CHECK_EQ(bw_matches_actionable(matches), 1);
    CHECK_EQ(nth(0)->distance, 0);
    CHECK_EQ(nth(0)->suppressed, 0);
}

static void exact_values_and_urls(void)
{
    CHECK_EQ(bw_signal_add(ctx, store, "csam-list", BW_SIGNAL_MD5,
                           "900150983cd24fb0d6963f7d28e17f72", NULL, NULL, NULL), BW_OK);
    CHECK_EQ(bw_matcher_match_value(ctx, matcher, matches, BW_SIGNAL_MD5,
                                    "900150983CD24FB0D6963F7D28E17F72", 31), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 1);
    CHECK_EQ(nth(0)->distance, 0);
    CHECK_EQ(bw_matcher_match_value(ctx, matcher, matches, BW_SIGNAL_MD5, "zz", 31),
             BW_ERR_PARSE);

    CHECK_EQ(bw_signal_add(ctx, store, "csam-list", BW_SIGNAL_URL, "bad.example/gallery", NULL,
                           NULL, NULL), BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "csam-list", BW_SIGNAL_URL, "whole-site.example", NULL,
                           NULL, NULL), BW_OK);
    static const struct {
        const char *url;
        size_t matches;
        int prefix;
    } cases[] = {
        {"http://bad.example/gallery", 1, 0},
        {"https://www.BAD.example/gallery/", 1, 0},
        {"http://bad.example/gallery/123.jpg?size=big", 1, 1},
        {"http://bad.example/gallery2", 0, 0},
        {"http://bad.example/", 0, 0},
        {"http://whole-site.example/any/thing", 1, 1},
        {"http://cdn.whole-site.example/x", 1, 1},
        {"http://notwhole-site.example/x", 0, 0},
        {"http://example/", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ(bw_matcher_match_value(ctx, matcher, matches, BW_SIGNAL_URL, cases[i].url, 31),
                 BW_OK);
        if (bw_matches_count(matches) != cases[i].matches)
            fprintf(stderr, "%s: %zu matches\n", cases[i].url, bw_matches_count(matches));
        CHECK_EQ(bw_matches_count(matches), cases[i].matches);
        CHECK_EQ(nth(0)->prefix, cases[i].prefix);
    }
}

static void files_and_dihedral(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/golden/jpeg-420.jpg", BW_TEST_DATA);
    bw_hashes *h;
    bw_hashes_create(&h);
    CHECK_EQ(bw_hash_file(ctx, h, BW_HASH_PDQ_DIHEDRAL | BW_HASH_SHA256, path), BW_OK);
    /* Bank the image's 90-degree rotation only. */
    uint8_t rot[32];
    char hex[65];
    bw_hashes_pdq_dihedral(h, BW_DIHEDRAL_ROTATE90, rot);
    bw_pdq_to_hex(hex, rot);
    CHECK_EQ(bw_signal_add(ctx, store, "csam-list", BW_SIGNAL_PDQ, hex, NULL, NULL, NULL), BW_OK);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, NULL), BW_OK);
    CHECK_EQ(bw_matcher_match_hashes(ctx, matcher, matches, h, 31, 0), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 0);
    CHECK_EQ(bw_matcher_match_hashes(ctx, matcher, matches, h, 31, BW_MATCH_DIHEDRAL), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 1);
    CHECK_EQ(nth(0)->transform, BW_DIHEDRAL_ROTATE90);
    /* And its SHA-256, as an exact copy would be banked. */
    uint8_t sha[32];
    bw_hashes_digest(h, BW_DIGEST_SHA256, sha, sizeof sha);
    bw_hex_encode(hex, sha, 32);
    CHECK_EQ(bw_signal_add(ctx, store, "csam-list", BW_SIGNAL_SHA256, hex, NULL, NULL, NULL), BW_OK);
    CHECK_EQ(bw_matcher_match_hashes(ctx, matcher, matches, h, 31, 0), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 1);
    CHECK_EQ(nth(0)->type, BW_SIGNAL_SHA256);
    bw_hashes_free(h);
}

static int quarantine_calls;
static void on_quarantine(void *arg, int64_t id, const char *reason)
{
    (void)arg, (void)id;
    quarantine_calls++;
    CHECK(strstr(reason, "distinct uploads") != NULL);
}

static int note_quarantined(void *arg, const bw_signal_info *s)
{
    *(int64_t *)arg = s->id;
    return 0;
}

static void flood_quarantine(void)
{
    bw_matcher_set_flood(matcher, 3600, 5, 10.0);
    bw_matcher_on_quarantine(matcher, on_quarantine, NULL);
    uint8_t base[32];
    random_hash(base);
    char hex[65];
    bw_pdq_to_hex(hex, base);
    int64_t id;
    CHECK_EQ(bw_signal_add(ctx, store, "csam-list", BW_SIGNAL_PDQ, hex, NULL, NULL, &id), BW_OK);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, NULL), BW_OK);
    /* The same upload many times is one distinct query: no flood. */
    for (int i = 0; i < 20; i++)
        bw_matcher_match_pdq(ctx, matcher, matches, base, 31);
    CHECK_EQ(quarantine_calls, 0);
    CHECK_EQ(bw_matches_actionable(matches), 1);
    /* Five different uploads matching it within the window trip it. */
    for (int i = 1; i <= 5; i++) {
        uint8_t q[32];
        flip(q, base, i);
        CHECK_EQ(bw_matcher_match_pdq(ctx, matcher, matches, q, 31), BW_OK);
    }
    CHECK_EQ(quarantine_calls, 1);
    CHECK_EQ(nth(0)->quarantined, 1);
    CHECK_EQ(bw_matches_actionable(matches), 0);
    /* It is recorded in the store for every node, and can be released. */
    int64_t listed = 0;
    CHECK_EQ(bw_signal_list_quarantined(ctx, other, note_quarantined, &listed), BW_OK);
    CHECK_EQ(listed, id);
    CHECK_EQ(bw_matcher_match_pdq(ctx, matcher, matches, base, 31), BW_OK);
    CHECK_EQ(nth(0)->quarantined, 1);
    CHECK_EQ(bw_signal_set_quarantined(ctx, other, id, 0, "checked: real"), BW_OK);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, NULL), BW_OK);
    CHECK_EQ(bw_matcher_match_pdq(ctx, matcher, matches, base, 31), BW_OK);
    CHECK_EQ(nth(0)->quarantined, 0);
    CHECK_EQ(bw_matches_actionable(matches), 1);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (!bwt_store_location(location, sizeof location, argv[1], argc > 2 ? argv[2] : NULL,
                            "test-match")) {
        printf("SKIP: BW_TEST_PG_URI not set (run through tests/pg/with-postgres.sh)\n");
        return BWT_SKIP;
    }
    bw_ctx_create(&ctx);
    bw_matches_create(&matches);
    if (bw_store_open(ctx, &store, location) != BW_OK ||
        bw_store_open(ctx, &other, location) != BW_OK) {
        fprintf(stderr, "%s\n", bw_ctx_message(ctx));
        return 1;
    }
    RUN(setup_banks);
    RUN(exact_recall);
    RUN(follows_other_connections);
    RUN(allow_list_suppresses);
    RUN(exact_values_and_urls);
    RUN(files_and_dihedral);
    RUN(flood_quarantine);
    bw_matcher_free(matcher);
    bw_matches_free(matches);
    bw_store_close(store);
    bw_store_close(other);
    bw_ctx_free(ctx);
    if (strcmp(argv[1], "postgresql") != 0)
        bwt_remove_sqlite(location);
    return BWT_RESULT();
}

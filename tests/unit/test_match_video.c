/*
 * Videos against banks, end to end on a real store (SQLite, or PostgreSQL
 * through tests/pg/with-postgres.sh): videos made here by ffmpeg from its
 * test sources, edited copies of a banked one (re-encoded, scaled,
 * cropped, watermarked, trimmed) that must match it through the bank, and
 * unrelated videos that must not; percentages equal to bw_vpdq_match()
 * comparing every pair; disabled, removed and followed signals; allow lists
 * frame by frame and by file digest; flood quarantine.
 *   test_match_video sqlite DIR | postgresql
 */
#include <fcntl.h>
#include <math.h>
#include <unistd.h>

#include <bulwark/bulwark.h>

#include "harness.h"

static bw_ctx *ctx;
static bw_store *store, *other;
static bw_matcher *matcher;
static bw_matches *matches;
static char location[4096];
static char dir[] = "/tmp/bw-vbank-XXXXXX";

enum { ORIG, REENCODED, SCALED, CROPPED, WATERMARKED, TRIMMED, TESTSRC2, CELLAUTO, BARS, COUNT };
static const char *const names[COUNT] = {"orig.mp4",     "reencoded.avi",   "scaled.mp4",
                                         "cropped.mp4",  "watermarked.mp4", "trimmed.mp4",
                                         "testsrc2.mp4", "cellauto.mp4",    "bars.mp4"};
static bw_vpdq *video[COUNT];
static int64_t banked[COUNT]; /* signal ids; 0 when not banked */

static bool run(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd %s && ffmpeg -v error -y -nostdin %s", dir, args);
    const int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "failed (%d): %s\n", rc, cmd);
    return rc == 0;
}

/* The same edits the CLI test makes, in a temporary directory. */
static bool make_videos(void)
{
    return run("-f lavfi -i mandelbrot=size=320x240:rate=25 -t 4 -c:v libx264 -crf 23 orig.mp4") &&
           run("-f lavfi -i testsrc2=size=320x240:rate=25 -t 4 -c:v libx264 testsrc2.mp4") &&
           run("-f lavfi -i cellauto=s=320x240:rule=110:rate=25 -t 4 -c:v libx264 "
               "cellauto.mp4") &&
           run("-f lavfi -i smptehdbars=size=320x240:rate=25 -t 4 -vf noise=alls=30:allf=t "
               "-c:v libx264 bars.mp4") &&
           run("-i orig.mp4 -c:v mpeg4 -q:v 8 reencoded.avi") &&
           run("-i orig.mp4 -vf scale=160:120 -c:v libx264 -crf 28 scaled.mp4") &&
           run("-i orig.mp4 -vf crop=296:220:12:10 -c:v libx264 cropped.mp4") &&
           run("-i orig.mp4 -vf drawbox=x=250:y=210:w=60:h=20:color=white@0.5:t=fill "
               "-c:v libx264 watermarked.mp4") &&
           run("-ss 1 -i orig.mp4 -t 2 -c:v libx264 trimmed.mp4");
}

static const bw_match_info *find(int64_t signal_id)
{
    for (size_t i = 0; i < bw_matches_count(matches); i++)
        if (bw_matches_get(matches, i)->signal_id == signal_id)
            return bw_matches_get(matches, i);
    return NULL;
}

static bw_status match(int which, double query_percent)
{
    return bw_matcher_match_vpdq(ctx, matcher, matches, video[which], BW_VPDQ_DEFAULT_DISTANCE,
                                 BW_VPDQ_DEFAULT_QUALITY, query_percent,
                                 BW_VPDQ_DEFAULT_COMPARED_PERCENT, 0);
}

static int64_t bank_video(const char *bank, int which, const char *metadata)
{
    const size_t size = bw_vpdq_signal_size(video[which]);
    char *value = malloc(size);
    int64_t id = 0;
    CHECK_EQ(bw_vpdq_signal_write(value, size, video[which]), BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, bank, BW_SIGNAL_VPDQ, value, "test", metadata, &id),
             BW_OK);
    free(value);
    return id;
}

static void setup(void)
{
    bw_vpdq_options *o;
    CHECK_EQ(bw_vpdq_options_create(&o), BW_OK);
    for (int i = 0; i < COUNT; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        CHECK_EQ(bw_vpdq_hash_file(ctx, &video[i], o, path), BW_OK);
        CHECK(video[i] && bw_vpdq_count(video[i]) >= 40);
    }
    bw_vpdq_options_free(o);
    CHECK_EQ(bw_bank_create(ctx, store, "known-videos", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_bank_create(ctx, store, "benign-videos", BW_BANK_ALLOW, NULL), BW_OK);
    banked[ORIG] = bank_video("known-videos", ORIG, "{\"case\":\"V-1\"}");
    banked[TESTSRC2] = bank_video("known-videos", TESTSRC2, NULL);
    CHECK_EQ(bw_matcher_create(ctx, &matcher, store), BW_OK);
    CHECK_EQ(bw_matcher_vpdq_count(matcher), 2);
    CHECK_EQ(bw_matcher_pdq_count(matcher), 0);
}

/* Each edited copy finds the banked original; unrelated videos do not. */
static void edited_copies_match(void)
{
    for (int i = ORIG; i <= TRIMMED; i++) {
        CHECK_EQ(match(i, BW_VPDQ_DEFAULT_QUERY_PERCENT), BW_OK);
        const bw_match_info *m = find(banked[ORIG]);
        if (!m) {
            fprintf(stderr, "%s does not match the banked original\n", names[i]);
            CHECK(m != NULL);
            continue;
        }
        printf("  %-16s query %.1f%%, banked video %.1f%%, closest frame %d\n", names[i],
               m->query_percent, m->compared_percent, m->distance);
        CHECK(m->query_percent >= 80.0);
        CHECK_EQ(m->type, BW_SIGNAL_VPDQ);
        CHECK_STR(m->bank, "known-videos");
        CHECK_STR(m->metadata, "{\"case\":\"V-1\"}");
        CHECK_EQ(strlen(m->value), 64);
        CHECK_EQ(m->suppressed, 0);
        CHECK_EQ(bw_matches_actionable(matches), 1);
        CHECK(find(banked[TESTSRC2]) == NULL);
    }
    CHECK_EQ(match(ORIG, 80), BW_OK);
    CHECK(find(banked[ORIG]) && find(banked[ORIG])->distance == 0 &&
          find(banked[ORIG])->query_percent == 100.0);
    for (int i = CELLAUTO; i <= BARS; i++) {
        CHECK_EQ(match(i, BW_VPDQ_DEFAULT_QUERY_PERCENT), BW_OK);
        if (find(banked[ORIG]))
            fprintf(stderr, "unrelated %s matches the original\n", names[i]);
        CHECK(find(banked[ORIG]) == NULL);
        CHECK_EQ(bw_matches_actionable(matches), 0);
    }
    /* The banked unrelated video is found by itself. */
    CHECK_EQ(match(TESTSRC2, 80), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 1);
    CHECK(find(banked[TESTSRC2]) != NULL);
}

/* With no percentage threshold the bank answers exactly what comparing the
 * query with each banked video gives. */
static void equals_pairwise(void)
{
    int mismatches = 0;
    for (int q = 0; q < COUNT; q++) {
        CHECK_EQ(match(q, 0), BW_OK);
        const int list[2] = {ORIG, TESTSRC2};
        for (int k = 0; k < 2; k++) {
            double qp = 0, cp = 0;
            CHECK_EQ(bw_vpdq_match(&qp, &cp, video[q], video[list[k]], BW_VPDQ_DEFAULT_DISTANCE,
                                   BW_VPDQ_DEFAULT_QUALITY, 0),
                     BW_OK);
            const bw_match_info *m = find(banked[list[k]]);
            const bool expected = qp > 0;
            if (expected != (m != NULL) ||
                (m && (fabs(m->query_percent - qp) > 1e-9 || fabs(m->compared_percent - cp) > 1e-9))) {
                fprintf(stderr, "%s vs %s: pairwise %.3f/%.3f, bank %.3f/%.3f\n", names[q],
                        names[list[k]], qp, cp, m ? m->query_percent : -1,
                        m ? m->compared_percent : -1);
                mismatches++;
            }
        }
    }
    CHECK_EQ(mismatches, 0);
    /* The value as text matches too (frames within the threshold). */
    const size_t size = bw_vpdq_signal_size(video[SCALED]);
    char *value = malloc(size);
    bw_vpdq_signal_write(value, size, video[SCALED]);
    CHECK_EQ(bw_matcher_match_value(ctx, matcher, matches, BW_SIGNAL_VPDQ, value, 31), BW_OK);
    CHECK(find(banked[ORIG]) != NULL);
    CHECK_EQ(bw_matcher_match_value(ctx, matcher, matches, BW_SIGNAL_VPDQ, "[\"nope\"]", 31),
             BW_ERR_PARSE);
    free(value);
    CHECK_EQ(bw_matcher_match_vpdq(ctx, matcher, matches, video[ORIG], 257, 50, 80, 0, 0),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_matcher_match_vpdq(ctx, matcher, matches, video[ORIG], 31, 50, 101, 0, 0),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_matcher_match_vpdq(ctx, matcher, matches, video[ORIG], 31, 50, NAN, 0, 0),
             BW_ERR_INVALID_ARGUMENT);
    /* Quality 101 leaves no frame: nothing can match. */
    CHECK_EQ(bw_matcher_match_vpdq(ctx, matcher, matches, video[ORIG], 31, 101, 0, 0, 0), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 0);
}

/* Disabled and removed videos never match; changes made through another
 * connection (another node) are followed. */
static void follows_changes(void)
{
    CHECK_EQ(bw_signal_set_enabled(ctx, other, banked[ORIG], 0), BW_OK);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, NULL), BW_OK);
    CHECK_EQ(bw_matcher_vpdq_count(matcher), 1);
    CHECK_EQ(match(SCALED, 80), BW_OK);
    CHECK(find(banked[ORIG]) == NULL);
    CHECK_EQ(bw_signal_set_enabled(ctx, other, banked[ORIG], 1), BW_OK);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, NULL), BW_OK);
    CHECK_EQ(match(SCALED, 80), BW_OK);
    CHECK(find(banked[ORIG]) != NULL);
    /* A video banked elsewhere is found after a refresh, and gone after
     * its removal. */
    const size_t size = bw_vpdq_signal_size(video[CELLAUTO]);
    char *value = malloc(size);
    bw_vpdq_signal_write(value, size, video[CELLAUTO]);
    int64_t id = 0;
    CHECK_EQ(bw_signal_add(ctx, other, "known-videos", BW_SIGNAL_VPDQ, value, NULL, NULL, &id),
             BW_OK);
    free(value);
    CHECK_EQ(match(CELLAUTO, 80), BW_OK);
    CHECK(find(id) == NULL);
    size_t applied = 0;
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, &applied), BW_OK);
    CHECK_EQ(applied, 1);
    CHECK_EQ(match(CELLAUTO, 80), BW_OK);
    CHECK(find(id) != NULL);
    CHECK_EQ(bw_signal_remove(ctx, other, id), BW_OK);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, NULL), BW_OK);
    CHECK_EQ(match(CELLAUTO, 0), BW_OK);
    CHECK(find(id) == NULL);
    CHECK_EQ(bw_matcher_vpdq_count(matcher), 2);
    /* A new matcher loads the same state from the store. */
    bw_matcher *fresh;
    CHECK_EQ(bw_matcher_create(ctx, &fresh, other), BW_OK);
    CHECK_EQ(bw_matcher_vpdq_count(fresh), 2);
    bw_matcher_free(fresh);
}

/* A look-alike allow-listed as benign stops matching frame by frame, while
 * the banked video itself still matches; an allow-listed file digest
 * vouches for the whole upload. */
static void allow_lists(void)
{
    const int64_t allow = bank_video("benign-videos", CROPPED, NULL);
    CHECK_EQ(bw_matcher_refresh(ctx, matcher, NULL), BW_OK);
    CHECK_EQ(match(CROPPED, 80), BW_OK);
    const bw_match_info *block = find(banked[ORIG]), *vouch = find(allow);
    CHECK(block && vouch);
    CHECK(block && block->suppressed);
    CHECK(vouch && vouch->bank_kind == BW_BANK_ALLOW && vouch->query_percent == 100.0);
    CHECK_EQ(bw_matches_actionable(matches), 0);
    CHECK_EQ(match(ORIG, 80), BW_OK);
    CHECK(find(banked[ORIG]) && !find(banked[ORIG])->suppressed);
    CHECK_EQ(bw_matches_actionable(matches), 1);

    /* The re-encoded copy's MD5 in the allow list: its digests first, then
     * its vPDQ added to the same answer. */
    char path[256], hex[33];
    snprintf(path, sizeof path, "%s/%s", dir, names[REENCODED]);
    bw_hashes *h;
    bw_hashes_create(&h);
    CHECK_EQ(bw_hash_file(ctx, h, BW_HASH_MD5 | BW_HASH_SHA256, path), BW_OK);
    uint8_t md5[16];
    bw_hashes_digest(h, BW_DIGEST_MD5, md5, sizeof md5);
    bw_hex_encode(hex, md5, 16);
    CHECK_EQ(bw_matcher_match_hashes(ctx, matcher, matches, h, 31, 0), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 0);
    CHECK_EQ(bw_matcher_match_vpdq(ctx, matcher, matches, video[REENCODED], 31, 50, 80, 0,
                                   BW_MATCH_APPEND),
             BW_OK);
    CHECK(find(banked[ORIG]) && !find(banked[ORIG])->suppressed);
    CHECK_EQ(bw_matches_actionable(matches), 1);
    const size_t without = bw_matches_count(matches);
    CHECK_EQ(bw_signal_add(ctx, store, "benign-videos", BW_SIGNAL_MD5, hex, NULL, NULL, NULL),
             BW_OK);
    CHECK_EQ(bw_matcher_match_hashes(ctx, matcher, matches, h, 31, 0), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 1);
    CHECK_EQ(bw_matcher_match_vpdq(ctx, matcher, matches, video[REENCODED], 31, 50, 80, 0,
                                   BW_MATCH_APPEND),
             BW_OK);
    CHECK_EQ(bw_matches_count(matches), without + 1);
    CHECK(find(banked[ORIG]) && find(banked[ORIG])->suppressed);
    CHECK_EQ(bw_matches_actionable(matches), 0);
    /* Digests set by hand (as a service streaming a video computes them)
     * match the same way. */
    bw_hashes *set;
    bw_hashes_create(&set);
    CHECK_EQ(bw_hashes_set_digest(set, BW_DIGEST_MD5, md5, 15), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_hashes_set_digest(set, BW_DIGEST_MD5, md5, 16), BW_OK);
    CHECK_EQ(bw_hashes_flags(set), BW_HASH_MD5);
    CHECK_EQ(bw_matcher_match_hashes(ctx, matcher, matches, set, 31, 0), BW_OK);
    CHECK_EQ(bw_matches_count(matches), 1);
    bw_hashes_free(set);
    bw_hashes_free(h);
}

static int quarantines;
static void on_quarantine(void *arg, int64_t id, const char *reason)
{
    (void)arg, (void)reason;
    quarantines += id == banked[ORIG];
}

/* A banked video that suddenly matches many different uploads is
 * quarantined like any block signal. */
static void flood_quarantine(void)
{
    CHECK_EQ(bw_matcher_set_flood(matcher, 3600, 3, 1.0), BW_OK);
    bw_matcher_on_quarantine(matcher, on_quarantine, NULL);
    const int uploads[] = {REENCODED, WATERMARKED, TRIMMED, WATERMARKED};
    for (int i = 0; i < 4; i++)
        CHECK_EQ(match(uploads[i], 80), BW_OK);
    CHECK_EQ(quarantines, 1);
    CHECK(find(banked[ORIG]) && find(banked[ORIG])->quarantined);
    CHECK_EQ(bw_matches_actionable(matches), 0);
}

/* hash_fd reads a file without a name, as a service's spooled upload. */
static void hash_from_fd(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, names[TRIMMED]);
    const int fd = open(path, O_RDONLY);
    unlink(path);
    bw_vpdq *v = NULL;
    CHECK_EQ(bw_vpdq_hash_fd(ctx, &v, NULL, fd), BW_OK);
    double qp = 0, cp = 0;
    CHECK_EQ(bw_vpdq_match(&qp, &cp, v, video[TRIMMED], 0, 0, BW_VPDQ_MATCH_KEEP_DUPLICATES),
             BW_OK);
    CHECK(v && bw_vpdq_count(v) == bw_vpdq_count(video[TRIMMED]) && qp == 100.0);
    bw_vpdq_free(v);
    close(fd);
    CHECK_EQ(bw_vpdq_hash_fd(ctx, &v, NULL, -1), BW_ERR_INVALID_ARGUMENT);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (!bwt_store_location(location, sizeof location, argv[1], argc > 2 ? argv[2] : NULL,
                            "test-match-video")) {
        printf("SKIP: BW_TEST_PG_URI not set (run through tests/pg/with-postgres.sh)\n");
        return BWT_SKIP;
    }
    if (system("ffmpeg -version > /dev/null 2>&1") != 0) {
        printf("SKIP: ffmpeg not found (scripts/debian-packages.txt lists it)\n");
        return BWT_SKIP;
    }
    if (!mkdtemp(dir) || !make_videos())
        return 1;
    bw_ctx_create(&ctx);
    bw_matches_create(&matches);
    if (bw_store_open(ctx, &store, location) != BW_OK ||
        bw_store_open(ctx, &other, location) != BW_OK) {
        fprintf(stderr, "%s\n", bw_ctx_message(ctx));
        return 1;
    }
    RUN(setup);
    RUN(edited_copies_match);
    RUN(equals_pairwise);
    RUN(follows_changes);
    RUN(allow_lists);
    RUN(flood_quarantine);
    RUN(hash_from_fd);
    for (int i = 0; i < COUNT; i++)
        bw_vpdq_free(video[i]);
    bw_matcher_free(matcher);
    bw_matches_free(matches);
    bw_store_close(store);
    bw_store_close(other);
    bw_ctx_free(ctx);
    if (strcmp(argv[1], "postgresql") != 0)
        bwt_remove_sqlite(location);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ(system(cmd), 0);
    return BWT_RESULT();
}

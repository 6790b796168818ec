/*
 * The bank store, run once on SQLite and once on a real PostgreSQL server
 * (tests/pg/with-postgres.sh): banks, signals, normalisation, the change
 * feed, import with bad lines, lossless export round trips, deferred
 * checkpoints.
 *   test_store sqlite DIR     |     test_store postgresql   (BW_TEST_PG_URI)
 */
#include <pthread.h>
#include <unistd.h>

#include <sqlite3.h>

#include <bulwark/bulwark.h>

#include "harness.h"

static bw_ctx *ctx;
static bw_store *store;
static char location[4096];
static const char *pdq_a = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";

static int count_banks(void *arg, const bw_bank_info *b)
{
    (void)b;
    (*(int *)arg)++;
    return 0;
}

static int grab_bank(void *arg, const bw_bank_info *b)
{
    *(bw_bank_info *)arg = *b;
    ((bw_bank_info *)arg)->name = NULL;
    return 0;
}

static void banks(void)
{
    int64_t id = 0, id2 = 0;
    CHECK_EQ(bw_bank_create(ctx, store, "ncmec-test", BW_BANK_BLOCK, &id), BW_OK);
    CHECK(id > 0);
    CHECK_EQ(bw_bank_create(ctx, store, "ncmec-test", BW_BANK_ALLOW, NULL), BW_ERR_EXISTS);
    CHECK(strstr(bw_ctx_message(ctx), "already exists") != NULL);
    CHECK_EQ(bw_bank_create(ctx, store, "bad name", BW_BANK_BLOCK, NULL), BW_ERR_PARSE);
    CHECK_EQ(bw_bank_create(ctx, store, "", BW_BANK_BLOCK, NULL), BW_ERR_PARSE);
    CHECK_EQ(bw_bank_create(ctx, store, "known-good", BW_BANK_ALLOW, &id2), BW_OK);
    int n = 0;
    CHECK_EQ(bw_bank_list(ctx, store, count_banks, &n), BW_OK);
    CHECK_EQ(n, 2);
    bw_bank_info info;
    CHECK_EQ(bw_bank_get(ctx, store, "known-good", grab_bank, &info), BW_OK);
    CHECK_EQ(info.kind, BW_BANK_ALLOW);
    CHECK_EQ(info.id, id2);
    CHECK_EQ(bw_bank_get(ctx, store, "nope", grab_bank, &info), BW_ERR_NOT_FOUND);
    /* A deleted bank's name can be reused. */
    CHECK_EQ(bw_bank_create(ctx, store, "temporary", BW_BANK_BLOCK, &id), BW_OK);
    CHECK_EQ(bw_bank_delete(ctx, store, "temporary"), BW_OK);
    CHECK_EQ(bw_bank_delete(ctx, store, "temporary"), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_bank_create(ctx, store, "temporary", BW_BANK_BLOCK, &id2), BW_OK);
    CHECK(id2 != id);
}

typedef struct seen {
    int count;
    int64_t id;
    char value[2100];
    char metadata[256];
    int removed, enabled, quarantined;
    bw_signal_type type;
    int64_t seq;
} seen;

static int remember(void *arg, const bw_signal_info *s)
{
    seen *x = arg;
    x->count++;
    x->id = s->id;
    snprintf(x->value, sizeof x->value, "%s", s->value);
    snprintf(x->metadata, sizeof x->metadata, "%s", s->metadata ? s->metadata : "");
    x->removed = s->removed;
    x->enabled = s->enabled;
    x->quarantined = s->quarantined;
    x->type = s->type;
    x->seq = s->seq;
    return 0;
}

static void signals(void)
{
    int64_t id, again;
    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)(pdq_a[i] >= 'a' && pdq_a[i] <= 'f' ? pdq_a[i] - 32 : pdq_a[i]);
    CHECK_EQ(bw_signal_add(ctx, store, "ncmec-test", BW_SIGNAL_PDQ, upper, "unit-test",
                           "{\"case\": 17, \"tags\": [\"a\"]}", &id), BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "ncmec-test", BW_SIGNAL_PDQ, pdq_a, NULL, NULL, &again),
             BW_ERR_EXISTS);
    CHECK_EQ(again, id);
    /* The same value in another bank is another signal. */
    CHECK_EQ(bw_signal_add(ctx, store, "known-good", BW_SIGNAL_PDQ, pdq_a, NULL, NULL, &again),
             BW_OK);
    CHECK(again != id);
    CHECK_EQ(bw_signal_add(ctx, store, "ncmec-test", BW_SIGNAL_PDQ, "abc", NULL, NULL, NULL),
             BW_ERR_PARSE);
    CHECK(strstr(bw_ctx_message(ctx), "64 hex digits") != NULL);
    CHECK_EQ(bw_signal_add(ctx, store, "ncmec-test", BW_SIGNAL_MD5,
                           "d41d8cd98f00b204e9800998ecf8427e", NULL, "[1,2]", NULL),
             BW_ERR_PARSE);
    CHECK_EQ(bw_signal_add(ctx, store, "ncmec-test", BW_SIGNAL_MD5,
                           "d41d8cd98f00b204e9800998ecf8427e", NULL, "{oops", NULL),
             BW_ERR_PARSE);
    CHECK_EQ(bw_signal_add(ctx, store, "missing", BW_SIGNAL_MD5,
                           "d41d8cd98f00b204e9800998ecf8427e", NULL, NULL, NULL),
             BW_ERR_NOT_FOUND);
    /* Sources every list format can carry back: UTF-8 without control
     * characters (a CSV export cannot hold a line break the reader takes). */
    const char *bad_sources[] = {"line1\nline2", "tab\there", "caf\xe9", "\xc0\xaf"};
    const char *why_bad[] = {"control character", "control character", "not UTF-8",
                             "not UTF-8"};
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(bw_signal_add(ctx, store, "ncmec-test", BW_SIGNAL_MD5,
                               "0cc175b9c0f1b6a831c399e269772661", bad_sources[i], NULL, NULL),
                 BW_ERR_PARSE);
        CHECK(strstr(bw_ctx_message(ctx), why_bad[i]) != NULL);
    }
    char long_source[1026];
    memset(long_source, 's', sizeof long_source - 1);
    long_source[sizeof long_source - 1] = '\0';
    CHECK_EQ(bw_signal_add(ctx, store, "ncmec-test", BW_SIGNAL_MD5,
                           "0cc175b9c0f1b6a831c399e269772661", long_source, NULL, NULL),
             BW_ERR_PARSE);
    long_source[1024] = '\0';
    int64_t sourced;
    CHECK_EQ(bw_signal_add(ctx, store, "ncmec-test", BW_SIGNAL_MD5,
                           "0cc175b9c0f1b6a831c399e269772661", long_source, NULL, &sourced),
             BW_OK);
    CHECK_EQ(bw_signal_remove(ctx, store, sourced), BW_OK);
    int64_t url_id;
    CHECK_EQ(bw_signal_add(ctx, store, "ncmec-test", BW_SIGNAL_URL,
                           "HTTPS://WWW.Example.COM:443/a/./b/../c/?x=1#frag", NULL, NULL, &url_id),
             BW_OK);
    seen s = {0};
    CHECK_EQ(bw_signal_get(ctx, store, url_id, remember, &s), BW_OK);
    CHECK_STR(s.value, "example.com/a/c?x=1");
    memset(&s, 0, sizeof s);
    CHECK_EQ(bw_signal_get(ctx, store, id, remember, &s), BW_OK);
    CHECK_STR(s.value, pdq_a);
    CHECK_STR(s.metadata, "{\"case\":17,\"tags\":[\"a\"]}");
    CHECK_EQ(s.enabled, 1);
    /* Lookup by exact value finds both banks' copies. */
    memset(&s, 0, sizeof s);
    CHECK_EQ(bw_signal_lookup(ctx, store, BW_SIGNAL_PDQ, upper, remember, &s), BW_OK);
    CHECK_EQ(s.count, 2);
    /* Disable, quarantine, remove. */
    CHECK_EQ(bw_signal_set_enabled(ctx, store, id, 0), BW_OK);
    CHECK_EQ(bw_signal_set_quarantined(ctx, store, id, 1, "unit test flood"), BW_OK);
    memset(&s, 0, sizeof s);
    CHECK_EQ(bw_signal_list_quarantined(ctx, store, remember, &s), BW_OK);
    CHECK_EQ(s.count, 1);
    CHECK_EQ(s.id, id);
    CHECK_EQ(s.enabled, 0);
    CHECK_EQ(bw_signal_set_quarantined(ctx, store, id, 0, "released"), BW_OK);
    CHECK_EQ(bw_signal_remove(ctx, store, url_id), BW_OK);
    CHECK_EQ(bw_signal_remove(ctx, store, url_id), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_signal_get(ctx, store, url_id, remember, &s), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_signal_set_enabled(ctx, store, 987654321, 1), BW_ERR_NOT_FOUND);
    /* Re-adding a removed value brings it back. */
    CHECK_EQ(bw_signal_add(ctx, store, "ncmec-test", BW_SIGNAL_URL, "example.com/a/c?x=1", NULL,
                           NULL, &again),
             BW_OK);
}

typedef struct feed {
    int count;
    int removed;
    int64_t last_seq;
} feed;

static int follow(void *arg, const bw_signal_info *s)
{
    feed *f = arg;
    CHECK(s->seq >= f->last_seq);
    f->last_seq = s->seq;
    f->count++;
    f->removed += s->removed;
    return 0;
}

static void change_feed(void)
{
    int64_t seq0, seq1, last_seq, last_id;
    CHECK_EQ(bw_store_sequence(ctx, store, &seq0), BW_OK);
    CHECK(seq0 > 0);
    int64_t id;
    CHECK_EQ(bw_signal_add(ctx, store, "ncmec-test", BW_SIGNAL_SHA1,
                           "a9993e364706816aba3e25717850c26c9cd0d89d", NULL, NULL, &id), BW_OK);
    CHECK_EQ(bw_signal_remove(ctx, store, id), BW_OK);
    CHECK_EQ(bw_store_sequence(ctx, store, &seq1), BW_OK);
    CHECK_EQ(seq1, seq0 + 2);
    feed f = {0, 0, 0};
    CHECK_EQ(bw_store_changes(ctx, store, seq0, INT64_MAX, 100, follow, &f, &last_seq, &last_id),
             BW_OK);
    CHECK_EQ(f.count, 1); /* one signal, last changed by its removal */
    CHECK_EQ(f.removed, 1);
    CHECK_EQ(last_seq, seq1);
    CHECK_EQ(last_id, id);
    /* Paging through everything from the start, one at a time. */
    int64_t s = 0, i = 0, total = 0;
    for (;;) {
        feed g = {0, 0, 0};
        CHECK_EQ(bw_store_changes(ctx, store, s, i, 1, follow, &g, &s, &i), BW_OK);
        if (g.count == 0)
            break;
        total += g.count;
    }
    feed all = {0, 0, 0};
    CHECK_EQ(bw_store_changes(ctx, store, 0, 0, 100000, follow, &all, NULL, NULL), BW_OK);
    CHECK_EQ(total, all.count);
    int64_t snap;
    seen sc = {0};
    CHECK_EQ(bw_store_scan(ctx, store, BW_SIGNAL_PDQ, remember, &sc, &snap), BW_OK);
    CHECK_EQ(sc.count, 2);
    CHECK_EQ(snap, seq1);
}

/* ---- import / export ---------------------------------------------------- */

typedef struct memory_in {
    const char *data;
    size_t size;
    size_t pos;
    size_t chunk;
} memory_in;

static long read_memory(void *arg, void *buf, size_t size)
{
    memory_in *m = arg;
    size_t n = m->size - m->pos;
    if (n > size)
        n = size;
    if (m->chunk && n > m->chunk)
        n = m->chunk;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (long)n;
}

typedef struct errors {
    int count;
    uint64_t lines[32];
    char reasons[32][160];
} errors;

static void on_error(void *arg, uint64_t line, bw_status st, const char *why)
{
    errors *e = arg;
    (void)st;
    if (e->count < 32) {
        e->lines[e->count] = line;
        snprintf(e->reasons[e->count], sizeof e->reasons[0], "%s", why);
    }
    e->count++;
}

typedef struct memory_out {
    char *data;
    size_t size;
} memory_out;

static int write_memory(void *arg, const void *buf, size_t size)
{
    memory_out *m = arg;
    m->data = realloc(m->data, m->size + size + 1);
    memcpy(m->data + m->size, buf, size);
    m->size += size;
    m->data[m->size] = '\0';
    return 0;
}

static bw_status import_text(const char *bank, bw_list_format f, const char *text,
                             errors *e, bw_import_stats *stats)
{
    memory_in in = {text, strlen(text), 0, 7}; /* tiny reads: lines span chunks */
    memset(e, 0, sizeof *e);
    return bw_bank_import(ctx, store, bank, f, read_memory, &in, on_error, NULL, e, stats);
}

static void import_with_bad_lines(void)
{
    CHECK_EQ(bw_bank_create(ctx, store, "imported", BW_BANK_BLOCK, NULL), BW_OK);
    const char *lines =
        "# an HMA-style signal file\n"
        "pdq d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22\n"
        "\n"
        "pdq D8F8F0CEE0F4A84F0637022A078F67F0B36E2ED596621E1D33E6339C4E9C9B22\n" /* dup */
        "video_md5 d41d8cd98f00b204e9800998ecf8427e\n"
        "pdq not-hex-at-all\n"                                                   /* 6 */
        "pdq d8f8\n"                                                             /* 7 */
        "photo_dna 0123\n"                                                       /* 8 */
        "url http://www.Example.org/x/\r\n"
        "sha256 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad extra\n" /* 10 */
        "sha1 a9993e364706816aba3e25717850c26c9cd0d89d"; /* no final newline */
    errors e;
    bw_import_stats st;
    CHECK_EQ(import_text("imported", BW_LIST_LINES, lines, &e, &st), BW_OK);
    CHECK_EQ(st.added, 4);
    CHECK_EQ(st.duplicates, 1);
    CHECK_EQ(st.rejected, 4);
    CHECK_EQ(st.lines, 9);
    CHECK_EQ(e.count, 4);
    CHECK_EQ(e.lines[0], 6);
    CHECK_EQ(e.lines[1], 7);
    CHECK(strstr(e.reasons[1], "64 hex digits") != NULL);
    CHECK_EQ(e.lines[2], 8);
    CHECK(strstr(e.reasons[2], "unknown signal type") != NULL);
    CHECK_EQ(e.lines[3], 10);
    /* Importing the same file again adds nothing. */
    CHECK_EQ(import_text("imported", BW_LIST_LINES, lines, &e, &st), BW_OK);
    CHECK_EQ(st.added, 0);
    CHECK_EQ(st.duplicates, 5);

    const char *csv =
        "value,type,metadata,enabled,source\n"
        "900150983cd24fb0d6963f7d28e17f72,md5,\"{\"\"case\"\": \"\"A-1, b\"\"}\",true,iwf\n"
        "example.net/page,url,,false,\n"
        "900150983cd24fb0d6963f7d28e17f73,md5,\"{not json}\",,\n" /* 4: bad metadata */
        "\"unterminated,md5\n"                                   /* 5 */
        "abc,md5\n";                                             /* 6: bad value */
    CHECK_EQ(import_text("imported", BW_LIST_CSV, csv, &e, &st), BW_OK);
    CHECK_EQ(st.added, 2);
    CHECK_EQ(st.rejected, 3);
    CHECK_EQ(e.lines[0], 4);
    CHECK(strstr(e.reasons[0], "JSON") != NULL);
    CHECK_EQ(e.lines[1], 5);
    CHECK_EQ(e.lines[2], 6);
    CHECK_EQ(import_text("imported", BW_LIST_CSV, "value,kind\nabc,md5\n", &e, &st),
             BW_ERR_PARSE);

    const char *jsonl =
        "{\"type\": \"sha256\", \"value\": \"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\","
        " \"metadata\": {\"list\": \"exchange\"}, \"added_at\": 1700000000, \"source\": \"te\"}\n"
        "{\"type\": \"pdq\"}\n"
        "not json\n"
        "{\"type\": \"md5\", \"value\": \"d41d8cd98f00b204e9800998ecf8427e\", \"metadata\": 5}\n";
    CHECK_EQ(import_text("imported", BW_LIST_JSONL, jsonl, &e, &st), BW_OK);
    CHECK_EQ(st.added, 1);
    CHECK_EQ(st.rejected, 3);
    CHECK_EQ(e.lines[0], 2);
    CHECK_EQ(e.lines[1], 3);
    CHECK_EQ(e.lines[2], 4);
    /* A source a CSV export could not carry back (a line break), and one
     * that is not UTF-8, are refused with their lines. */
    CHECK_EQ(import_text("imported", BW_LIST_JSONL,
                         "{\"type\": \"md5\", \"value\": \"0cc175b9c0f1b6a831c399e269772661\","
                         " \"source\": \"a\\nb\"}\n",
                         &e, &st),
             BW_OK);
    CHECK_EQ(st.rejected, 1);
    CHECK(strstr(e.reasons[0], "control character in source") != NULL);
    CHECK_EQ(import_text("imported", BW_LIST_CSV,
                         "type,value,source\nmd5,0cc175b9c0f1b6a831c399e269772661,caf\xe9\n", &e,
                         &st),
             BW_OK);
    CHECK_EQ(st.rejected, 1);
    CHECK_EQ(e.lines[0], 2);
    CHECK(strstr(e.reasons[0], "not UTF-8") != NULL);

    /* A line over 8 MiB is rejected and the next line still imported. */
    size_t big = (8u << 20) + 100;
    char *huge = malloc(big + 200);
    memset(huge, 'a', big);
    memcpy(huge, "url ", 4);
    strcpy(huge + big, "\nmd5 00000000000000000000000000000001\n");
    memory_in in = {huge, strlen(huge), 0, 0};
    memset(&e, 0, sizeof e);
    CHECK_EQ(bw_bank_import(ctx, store, "imported", BW_LIST_LINES, read_memory, &in, on_error,
                            NULL, &e, &st),
             BW_OK);
    CHECK_EQ(st.added, 1);
    CHECK_EQ(e.count, 1);
    CHECK_EQ(e.lines[0], 1);
    free(huge);
    CHECK_EQ(import_text("no-such-bank", BW_LIST_LINES, lines, &e, &st), BW_ERR_NOT_FOUND);
}

static void export_round_trips(void)
{
    const bw_list_format formats[] = {BW_LIST_CSV, BW_LIST_JSONL, BW_LIST_LINES};
    for (size_t f = 0; f < 3; f++) {
        memory_out first = {0}, second = {0};
        CHECK_EQ(bw_bank_export(ctx, store, "imported", formats[f], write_memory, &first),
                 BW_OK);
        char name[32];
        snprintf(name, sizeof name, "round-trip-%zu", f);
        CHECK_EQ(bw_bank_create(ctx, store, name, BW_BANK_BLOCK, NULL), BW_OK);
        errors e;
        bw_import_stats st;
        CHECK_EQ(import_text(name, formats[f], first.data, &e, &st), BW_OK);
        CHECK_EQ(st.rejected, 0);
        CHECK_EQ(bw_bank_export(ctx, store, name, formats[f], write_memory, &second), BW_OK);
        if (formats[f] != BW_LIST_LINES)
            CHECK_STR(second.data, first.data);
        CHECK(st.added >= 8);
        free(first.data);
        free(second.data);
    }
    int64_t count = 0;
    bw_bank_info info;
    CHECK_EQ(bw_bank_get(ctx, store, "imported", grab_bank, &info), BW_OK);
    count = (int64_t)info.signal_count;
    CHECK_EQ(count, 8);
    CHECK_EQ(info.count_by_type[BW_SIGNAL_MD5], 3);
}

#define HA "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
#define HB "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

typedef struct got_signal {
    char value[256];
    size_t raw_size, body_size;
    uint8_t raw[32];
    int removed, count;
} got_signal;

static int grab_signal(void *arg, const bw_signal_info *s)
{
    got_signal *g = arg;
    snprintf(g->value, sizeof g->value, "%s", s->value);
    g->raw_size = s->raw_size;
    memcpy(g->raw, s->raw, s->raw_size < 32 ? s->raw_size : 32);
    g->body_size = s->body ? s->body_size : 0;
    g->removed = s->removed;
    g->count++;
    return 0;
}

/* A value of n frames with random hashes, one a second. */
static char *random_video(size_t n, unsigned seed)
{
    char *text = malloc(n * 80 + 3), *w = text;
    *w++ = '[';
    for (size_t i = 0; i < n; i++) {
        w += sprintf(w, "%s\"", i ? ", " : "");
        for (int k = 0; k < 64; k++) {
            seed = seed * 1103515245u + 12345u;
            *w++ = "0123456789abcdef"[(seed >> 16) & 15];
        }
        w += sprintf(w, ",%u,%zu.0\"", 40 + seed % 61, i);
    }
    strcpy(w, "]");
    return text;
}

/* vPDQ signals: python-threatexchange's text in, canonical text out, the
 * frames kept beside the row, and every list format round-tripping them. */
static void vpdq_signals(void)
{
    CHECK_EQ(bw_bank_create(ctx, store, "videos", BW_BANK_BLOCK, NULL), BW_OK);
    const char *py = "[\"" HA ",100,0.0\", \"" HB ",87,1.23e+03\"]";
    const char *canon = "[\"" HA ",100,0.000\",\"" HB ",87,1230.000\"]";
    int64_t id = 0, again = 0;
    CHECK_EQ(bw_signal_add(ctx, store, "videos", BW_SIGNAL_VPDQ, py, "te", "{\"case\":\"V-1\"}",
                           &id), BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "videos", BW_SIGNAL_VPDQ, canon, NULL, NULL, &again),
             BW_ERR_EXISTS);
    CHECK_EQ(again, id);
    got_signal g = {0};
    CHECK_EQ(bw_signal_get(ctx, store, id, grab_signal, &g), BW_OK);
    CHECK_STR(g.value, canon);
    CHECK_EQ(g.raw_size, 32);
    CHECK_EQ(g.body_size, 5 + 2 * 37);
    got_signal l = {0};
    CHECK_EQ(bw_signal_lookup(ctx, store, BW_SIGNAL_VPDQ, py, grab_signal, &l), BW_OK);
    CHECK_EQ(l.count, 1);
    CHECK(memcmp(l.raw, g.raw, 32) == 0);
    CHECK_EQ(bw_signal_add(ctx, store, "videos", BW_SIGNAL_VPDQ, "[]", NULL, NULL, NULL),
             BW_ERR_PARSE);
    CHECK(strstr(bw_ctx_message(ctx), "at least one frame") != NULL);

    /* A long video (20,000 frames, 1.6 MB of text) and bad lines, through
     * import, then every format out and back in. */
    char *big = random_video(20000, 7);
    const size_t list_size = 2 * strlen(big) + 4096;
    char *list = malloc(list_size);
    snprintf(list, list_size,
             "vpdq %s\n"
             "vpdq [\"" HA ",100,0.0\"\n"  /* 2: unterminated */
             "vpdq [\"" HA ",100,-1\"]\n"  /* 3: bad timestamp */
             "vpdq  [\"" HB ",50,2.5\", \"" HA ",60,3.0\"]  \n"
             "vpdq %s\n", /* 5: a duplicate */
             big, big);
    memory_in in = {list, strlen(list), 0, 0};
    errors e;
    memset(&e, 0, sizeof e);
    bw_import_stats st;
    CHECK_EQ(bw_bank_import(ctx, store, "videos", BW_LIST_LINES, read_memory, &in, on_error, NULL,
                            &e, &st),
             BW_OK);
    CHECK_EQ(st.added, 2);
    CHECK_EQ(st.duplicates, 1);
    CHECK_EQ(st.rejected, 2);
    CHECK_EQ(e.lines[0], 2);
    CHECK_EQ(e.lines[1], 3);
    CHECK(strstr(e.reasons[1], "timestamp") != NULL);
    const bw_list_format formats[] = {BW_LIST_CSV, BW_LIST_JSONL, BW_LIST_LINES};
    for (size_t f = 0; f < 3; f++) {
        memory_out first = {0}, second = {0};
        CHECK_EQ(bw_bank_export(ctx, store, "videos", formats[f], write_memory, &first), BW_OK);
        char name[32];
        snprintf(name, sizeof name, "videos-%zu", f);
        CHECK_EQ(bw_bank_create(ctx, store, name, BW_BANK_BLOCK, NULL), BW_OK);
        memory_in back = {first.data, first.size, 0, 0};
        CHECK_EQ(bw_bank_import(ctx, store, name, formats[f], read_memory, &back, on_error, NULL,
                                &e, &st),
                 BW_OK);
        CHECK_EQ(st.added, 3);
        CHECK_EQ(st.rejected, 0);
        CHECK_EQ(bw_bank_export(ctx, store, name, formats[f], write_memory, &second), BW_OK);
        CHECK(first.data && second.data && strcmp(first.data, second.data) == 0);
        CHECK(first.data && strstr(first.data, "1230.000") != NULL);
        free(first.data);
        free(second.data);
    }
    bw_bank_info info;
    CHECK_EQ(bw_bank_get(ctx, store, "videos-1", grab_bank, &info), BW_OK);
    CHECK_EQ(info.count_by_type[BW_SIGNAL_VPDQ], 3);

    /* A removed video still brings its frames along the change feed, so
     * that followers can take them out of their index. */
    int64_t seq0;
    CHECK_EQ(bw_store_sequence(ctx, store, &seq0), BW_OK);
    CHECK_EQ(bw_signal_remove(ctx, store, id), BW_OK);
    got_signal c = {0};
    CHECK_EQ(bw_store_changes(ctx, store, seq0, INT64_MAX, 10, grab_signal, &c, NULL, NULL),
             BW_OK);
    CHECK_EQ(c.count, 1);
    CHECK_EQ(c.removed, 1);
    CHECK_EQ(c.body_size, 5 + 2 * 37);
    /* Added again: the same row comes back to life, frames and all. */
    CHECK_EQ(bw_signal_add(ctx, store, "videos", BW_SIGNAL_VPDQ, canon, NULL, NULL, &again),
             BW_OK);
    CHECK_EQ(again, id);
    got_signal r = {0};
    CHECK_EQ(bw_signal_get(ctx, store, id, grab_signal, &r), BW_OK);
    CHECK_STR(r.value, canon);
    free(list);
    free(big);
}

static void bank_deletion_tombstones(void)
{
    int64_t seq0;
    CHECK_EQ(bw_store_sequence(ctx, store, &seq0), BW_OK);
    CHECK_EQ(bw_bank_delete(ctx, store, "round-trip-0"), BW_OK);
    feed f = {0, 0, 0};
    CHECK_EQ(bw_store_changes(ctx, store, seq0, INT64_MAX, 1000, follow, &f, NULL, NULL), BW_OK);
    CHECK_EQ(f.count, 8);
    CHECK_EQ(f.removed, 8);
}

/* A file that is not a Bulwark store is refused and left as it was. */
static void foreign_files(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/not-a-db-%d.db", dir, (int)getpid());
    const char junk[] = "this is a text file, not a database; please keep it.\n";
    FILE *f = fopen(path, "wb");
    fwrite(junk, 1, sizeof junk - 1, f);
    fclose(f);
    bw_store *other = NULL;
    CHECK_EQ(bw_store_open(ctx, &other, path), BW_ERR_STORAGE);
    CHECK(strstr(bw_ctx_message(ctx), "not a database") != NULL);
    CHECK(other == NULL);
    size_t n = 0;
    unsigned char *back = bwt_read(path, &n);
    CHECK(back && n == sizeof junk - 1 && memcmp(back, junk, n) == 0);
    free(back);
    unlink(path);

    /* Another program's SQLite database. */
    snprintf(path, sizeof path, "%s/other-app-%d.db", dir, (int)getpid());
    sqlite3 *db;
    CHECK_EQ(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ(sqlite3_exec(db, "CREATE TABLE notes(x); INSERT INTO notes VALUES ('keep me');",
                          NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    CHECK_EQ(bw_store_open(ctx, &other, path), BW_ERR_STORAGE);
    CHECK(strstr(bw_ctx_message(ctx), "some other program") != NULL);
    CHECK_EQ(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    CHECK_EQ(sqlite3_prepare_v2(db, "SELECT (SELECT COUNT(*) FROM sqlite_master), x FROM notes",
                                -1, &q, NULL), SQLITE_OK);
    CHECK_EQ(sqlite3_step(q), SQLITE_ROW);
    CHECK_EQ(sqlite3_column_int(q, 0), 1);
    CHECK_STR((const char *)sqlite3_column_text(q, 1), "keep me");
    sqlite3_finalize(q);
    sqlite3_close(db);
    unlink(path);
}

/* bw_store_open_existing: a missing file is not made; an existing store
 * opens as with bw_store_open. */
static void open_existing(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/missing-%d.db", dir, (int)getpid());
    bw_store *s = NULL;
    CHECK_EQ(bw_store_open_existing(ctx, &s, path), BW_ERR_NOT_FOUND);
    CHECK(s == NULL && strstr(bw_ctx_message(ctx), "no bank store at") != NULL);
    CHECK(access(path, F_OK) != 0);
    CHECK_EQ(bw_store_open(ctx, &s, path), BW_OK);
    CHECK_EQ(bw_bank_create(ctx, s, "kept", BW_BANK_BLOCK, NULL), BW_OK);
    bw_store_close(s);
    s = NULL;
    CHECK_EQ(bw_store_open_existing(ctx, &s, path), BW_OK);
    bw_bank_info info;
    CHECK_EQ(bw_bank_get(ctx, s, "kept", grab_bank, &info), BW_OK);
    bw_store_close(s);
    bwt_remove_sqlite(path);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (f)
        fclose(f);
    return n;
}

typedef struct adder {
    bw_store *store;
    bw_ctx *ctx;
    int from, to, failed;
} adder;

/* One transaction per signal, as bulwarkd records matches. */
static void *add_signals(void *arg)
{
    adder *a = arg;
    for (int i = a->from; i < a->to; i++) {
        char value[65];
        snprintf(value, sizeof value, "%016x%048d", (unsigned)i * 2654435761u, i);
        a->failed += bw_signal_add(a->ctx, a->store, "deferred", BW_SIGNAL_PDQ, value, NULL,
                                   NULL, NULL) != BW_OK;
    }
    return NULL;
}

static int count_signal(void *arg, const bw_signal_info *info)
{
    (void)info;
    (*(int *)arg)++;
    return 0;
}

/* With checkpoints deferred the write-ahead log only grows until
 * bw_store_checkpoint folds it back, which it also does from one thread
 * while another writes, without losing anything. */
static void deferred_checkpoints(const char *dir)
{
    char path[4096], wal[4200];
    snprintf(path, sizeof path, "%s/deferred-%d.db", dir, (int)getpid());
    snprintf(wal, sizeof wal, "%s-wal", path);
    bw_store *s = NULL;
    CHECK_EQ(bw_store_open(ctx, &s, path), BW_OK);
    CHECK_EQ(bw_store_checkpoint(ctx, s), BW_OK); /* nothing deferred: nothing to do */
    CHECK_EQ(bw_store_defer_checkpoints(ctx, s), BW_OK);
    CHECK_EQ(bw_store_defer_checkpoints(ctx, s), BW_OK);
    CHECK_EQ(bw_bank_create(ctx, s, "deferred", BW_BANK_BLOCK, NULL), BW_OK);
    adder a = {s, ctx, 0, 300, 0};
    add_signals(&a);
    const long first = file_size(wal);
    a.from = 300, a.to = 600;
    add_signals(&a);
    const long second = file_size(wal);
    CHECK(first > 0 && second > first);
    CHECK_EQ(bw_store_checkpoint(ctx, s), BW_OK);
    a.from = 600, a.to = 900;
    add_signals(&a);
    const long third = file_size(wal);
    printf("  log after 300, 600 signals: %ld, %ld bytes; 300 more after a checkpoint: %ld\n",
           first, second, third);
    CHECK(third <= second); /* the log started over from its beginning */

    bw_ctx *writer_ctx = NULL;
    CHECK_EQ(bw_ctx_create(&writer_ctx), BW_OK);
    adder b = {s, writer_ctx, 900, 1500, 0};
    pthread_t writer;
    CHECK_EQ(pthread_create(&writer, NULL, add_signals, &b), 0);
    int checkpoints = 0, failed_checkpoints = 0;
    for (; checkpoints < 200; checkpoints++) {
        failed_checkpoints += bw_store_checkpoint(ctx, s) != BW_OK;
        usleep(1000);
    }
    pthread_join(writer, NULL);
    CHECK_EQ(failed_checkpoints, 0);
    CHECK_EQ(a.failed + b.failed, 0);
    bw_ctx_free(writer_ctx);
    bw_store_close(s);
    CHECK(access(wal, F_OK) != 0); /* closing folded the rest back */

    CHECK_EQ(bw_store_open_existing(ctx, &s, path), BW_OK);
    int count = 0;
    CHECK_EQ(bw_store_scan(ctx, s, BW_SIGNAL_PDQ, count_signal, &count, NULL), BW_OK);
    CHECK_EQ(count, 1500);
    bw_store_close(s);
    bwt_remove_sqlite(path);
}

static int discard(void *arg, const void *buf, size_t size)
{
    (void)arg, (void)buf, (void)size;
    return 0;
}

/* A source that is not UTF-8, as a store written before sources were
 * checked may hold: a JSONL export fails naming the signal rather than
 * write its line without the field (CSV and lines carry the bytes). */
static void export_refuses_what_json_cannot_carry(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/not-utf8-%d.db", dir, (int)getpid());
    bw_store *old = NULL;
    int64_t id = 0;
    CHECK_EQ(bw_store_open(ctx, &old, path), BW_OK);
    CHECK_EQ(bw_bank_create(ctx, old, "legacy", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_signal_add(ctx, old, "legacy", BW_SIGNAL_MD5,
                           "0cc175b9c0f1b6a831c399e269772661", "cafe", NULL, &id),
             BW_OK);
    bw_store_close(old);
    sqlite3 *db;
    CHECK_EQ(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ(sqlite3_exec(db, "UPDATE signals SET source = CAST(X'636166E9' AS TEXT)", NULL,
                          NULL, NULL),
             SQLITE_OK);
    sqlite3_close(db);
    CHECK_EQ(bw_store_open(ctx, &old, path), BW_OK);
    CHECK_EQ(bw_bank_export(ctx, old, "legacy", BW_LIST_JSONL, discard, NULL), BW_ERR_STORAGE);
    char expect[64];
    snprintf(expect, sizeof expect, "signal %lld has", (long long)id);
    CHECK(strstr(bw_ctx_message(ctx), expect) != NULL);
    CHECK(strstr(bw_ctx_message(ctx), "not UTF-8") != NULL);
    CHECK_EQ(bw_bank_export(ctx, old, "legacy", BW_LIST_CSV, discard, NULL), BW_OK);
    bw_store_close(old);
    bwt_remove_sqlite(path);
}

static int grab_settings(void *arg, const bw_bank_info *b)
{
    snprintf(arg, 256, "%s", b->settings ? b->settings : "(null)");
    return 0;
}

/* Per-bank settings: stored compact, read back by get and list, replaced,
 * cleared, validated, and separate for each bank. */
static void bank_settings(void)
{
    char got[256];
    CHECK_EQ(bw_bank_create(ctx, store, "settings-a", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_bank_create(ctx, store, "settings-b", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_bank_get(ctx, store, "settings-a", grab_settings, got), BW_OK);
    CHECK_STR(got, "(null)");
    CHECK_EQ(bw_bank_set_settings(ctx, store, "settings-a",
                                  "{ \"content_signals\" : [\"pdq\", \"md5\"] }"),
             BW_OK);
    CHECK_EQ(bw_bank_get(ctx, store, "settings-a", grab_settings, got), BW_OK);
    CHECK_STR(got, "{\"content_signals\":[\"pdq\",\"md5\"]}");
    CHECK_EQ(bw_bank_get(ctx, store, "settings-b", grab_settings, got), BW_OK);
    CHECK_STR(got, "(null)");
    CHECK_EQ(bw_bank_set_settings(ctx, store, "settings-b", "{\"x\":1}"), BW_OK);
    CHECK_EQ(bw_bank_get(ctx, store, "settings-a", grab_settings, got), BW_OK);
    CHECK_STR(got, "{\"content_signals\":[\"pdq\",\"md5\"]}");
    CHECK_EQ(bw_bank_get(ctx, store, "settings-b", grab_settings, got), BW_OK);
    CHECK_STR(got, "{\"x\":1}");
    CHECK_EQ(bw_bank_set_settings(ctx, store, "settings-a", "[1]"), BW_ERR_PARSE);
    CHECK_EQ(bw_bank_set_settings(ctx, store, "settings-a", "{\"a\":"), BW_ERR_PARSE);
    CHECK(strstr(bw_ctx_message(ctx), "bank settings") != NULL);
    CHECK_EQ(bw_bank_set_settings(ctx, store, "no-such-bank", "{}"), BW_ERR_NOT_FOUND);
    /* A failed update left the old value. */
    CHECK_EQ(bw_bank_get(ctx, store, "settings-a", grab_settings, got), BW_OK);
    CHECK_STR(got, "{\"content_signals\":[\"pdq\",\"md5\"]}");
    CHECK_EQ(bw_bank_set_settings(ctx, store, "settings-a", NULL), BW_OK);
    CHECK_EQ(bw_bank_get(ctx, store, "settings-a", grab_settings, got), BW_OK);
    CHECK_STR(got, "(null)");
    /* Another connection sees what this one stored. */
    bw_store *again;
    CHECK_EQ(bw_store_open(ctx, &again, location), BW_OK);
    CHECK_EQ(bw_bank_get(ctx, again, "settings-b", grab_settings, got), BW_OK);
    CHECK_STR(got, "{\"x\":1}");
    bw_store_close(again);
    CHECK_EQ(bw_bank_delete(ctx, store, "settings-a"), BW_OK);
    CHECK_EQ(bw_bank_delete(ctx, store, "settings-b"), BW_OK);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_store sqlite DIR | postgresql\n");
        return 2;
    }
    if (!bwt_store_location(location, sizeof location, argv[1], argc > 2 ? argv[2] : NULL,
                            "test-store")) {
        printf("SKIP: BW_TEST_PG_URI not set (run through tests/pg/with-postgres.sh)\n");
        return BWT_SKIP;
    }
    bw_ctx_create(&ctx);
    if (bw_store_open(ctx, &store, location) != BW_OK) {
        fprintf(stderr, "cannot open %s: %s\n", location, bw_ctx_message(ctx));
        return 1;
    }
    printf("backend: %s\n", bw_store_backend(store));
    RUN(banks);
    RUN(signals);
    RUN(change_feed);
    RUN(import_with_bad_lines);
    RUN(export_round_trips);
    RUN(vpdq_signals);
    RUN(bank_deletion_tombstones);
    RUN(bank_settings);
    /* PostgreSQL keeps its own log: both calls are no-ops there. */
    CHECK_EQ(bw_store_defer_checkpoints(ctx, store), BW_OK);
    CHECK_EQ(bw_store_checkpoint(ctx, store), BW_OK);
    bw_store_close(store);
    if (strcmp(argv[1], "postgresql") != 0) {
        RUN_ARG(foreign_files, argc > 2 ? argv[2] : "/tmp");
        RUN_ARG(open_existing, argc > 2 ? argv[2] : "/tmp");
        RUN_ARG(export_refuses_what_json_cannot_carry, argc > 2 ? argv[2] : "/tmp");
        RUN_ARG(deferred_checkpoints, argc > 2 ? argv[2] : "/tmp");
    }
    bw_ctx_free(ctx);
    if (strcmp(argv[1], "postgresql") != 0)
        bwt_remove_sqlite(location);
    return BWT_RESULT();
}

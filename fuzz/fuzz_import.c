/*
 * libFuzzer target for hash-list imports (bw_bank_import), the way lists
 * from NGOs and exchanges reach a bank. The first byte picks the format
 * (lines, csv, jsonl) and how many bytes each read hands over, so lines
 * and quoted fields fall across reads; the rest is the list. Into a fresh
 * in-memory SQLite store holding one bank with one signal already in it:
 *
 *  - the import succeeds (a bad line is skipped, never fatal; only a CSV
 *    header that names no type and value columns refuses the file, with
 *    nothing stored), every rejected line is reported with a line number
 *    and a reason, and the counts add up;
 *  - the signal stored before is still there, and the audit chain holds;
 *  - exporting the bank and importing that into an empty bank rejects
 *    nothing, and exporting the copy gives the same bytes: what an import
 *    stored is exactly what its format can carry back; and the same holds
 *    going through the other format that carries every field (CSV for
 *    lines and JSONL, JSONL for CSV).
 *
 * Without libFuzzer, replay.c runs it over the committed corpus.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bulwark/bulwark.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct reader {
    const uint8_t *data;
    size_t size, pos, step;
} reader;

static long read_some(void *arg, void *buf, size_t size)
{
    reader *r = arg;
    size_t n = r->size - r->pos;
    if (n > r->step)
        n = r->step;
    if (n > size)
        n = size;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return (long)n;
}

typedef struct text {
    char *data;
    size_t size;
} text;

static int write_text(void *arg, const void *buf, size_t size)
{
    text *t = arg;
    char *grown = realloc(t->data, t->size + size + 1);
    if (!grown)
        return 1;
    memcpy(grown + t->size, buf, size);
    t->data = grown;
    t->size += size;
    t->data[t->size] = '\0';
    return 0;
}

typedef struct rejections {
    uint64_t count, last_line;
} rejections;

static void on_error(void *arg, uint64_t line, bw_status status, const char *reason)
{
    rejections *r = arg;
    if (!reason || !*reason || status == BW_OK || line == 0 || line <= r->last_line)
        abort(); /* each rejection names its line, in order, and says why */
    r->last_line = line;
    r->count++;
}

static int found(void *arg, const bw_signal_info *s)
{
    (void)s;
    *(int *)arg = 1;
    return 0;
}

static void check(bool ok)
{
    if (!ok)
        abort();
}

/* Exports bank "list" as `via`, imports that into a new bank, which must
 * take every one of its `signals` signals, and checks that bank exported as
 * `as` gives the same bytes as `expect` ("list" exported as `as`). */
static void round_trip(bw_ctx *ctx, bw_store *store, const char *bank, bw_list_format via,
                       bw_list_format as, uint64_t signals, const text *expect)
{
    text carried = {NULL, 0}, back = {NULL, 0};
    check(bw_bank_create(ctx, store, bank, BW_BANK_BLOCK, NULL) == BW_OK);
    check(bw_bank_export(ctx, store, "list", via, write_text, &carried) == BW_OK);
    reader in = {(const uint8_t *)carried.data, carried.size, 0, 4096};
    rejections none = {0, 0};
    bw_import_stats st;
    check(bw_bank_import(ctx, store, bank, via, read_some, &in, on_error, NULL, &none, &st) ==
          BW_OK);
    check(st.rejected == 0 && st.duplicates == 0 && st.added == signals);
    check(bw_bank_export(ctx, store, bank, as, write_text, &back) == BW_OK);
    check(back.size == expect->size && memcmp(back.data, expect->data, back.size) == 0);
    free(carried.data);
    free(back.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const bw_list_format formats[] = {BW_LIST_LINES, BW_LIST_CSV, BW_LIST_JSONL};
    const bw_list_format format = formats[data[0] % 3];
    const size_t steps[] = {1, 3, 7, 64, 4096, 1u << 20};
    reader in = {data + 1, size - 1, 0, steps[(data[0] / 3) % 6]};

    bw_ctx *ctx = NULL;
    bw_store *store = NULL;
    check(bw_ctx_create(&ctx) == BW_OK);
    check(bw_store_open(ctx, &store, ":memory:") == BW_OK);
    check(bw_bank_create(ctx, store, "list", BW_BANK_BLOCK, NULL) == BW_OK);
    int64_t kept = 0;
    check(bw_signal_add(ctx, store, "list", BW_SIGNAL_PDQ,
                        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6339c4e9c9b22",
                        "before", "{\"case\":1}", &kept) == BW_OK);

    rejections rej = {0, 0};
    bw_import_stats st;
    const bw_status imported =
        bw_bank_import(ctx, store, "list", format, read_some, &in, on_error, NULL, &rej, &st);
    /* Only a CSV file whose header does not name its columns is refused
     * whole: nothing of it can be read. */
    if (imported != BW_OK)
        check(format == BW_LIST_CSV && imported == BW_ERR_PARSE && st.added == 0 &&
              st.lines == 0 && *bw_ctx_message(ctx));
    check(st.rejected == rej.count);
    check(st.lines == st.added + st.duplicates + st.rejected);

    int still_there = 0;
    check(bw_signal_get(ctx, store, kept, found, &still_there) == BW_OK && still_there);
    check(bw_audit_verify(ctx, store, NULL, NULL) == BW_OK);

    text first = {NULL, 0};
    check(bw_bank_export(ctx, store, "list", format, write_text, &first) == BW_OK);
    const uint64_t signals = st.added + 1;
    round_trip(ctx, store, "copy", format, format, signals, &first);
    /* The same through the other format that carries every field. */
    const bw_list_format other = format == BW_LIST_CSV ? BW_LIST_JSONL : BW_LIST_CSV;
    round_trip(ctx, store, "other", other, format, signals, &first);
    free(first.data);
    bw_store_close(store);
    bw_ctx_free(ctx);
    return 0;
}

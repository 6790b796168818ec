/*
 * Streaming import and export of hash lists. Import reads the input in
 * chunks, parses each line, and stores signals in batches of BATCH rows,
 * one transaction each, taking the store's lock per batch so that other
 * users are not held up for the length of a ten-million-line file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list_format.h"

#define CHUNK (1u << 20)
/* A vPDQ value of BW_SIGNAL_VPDQ_FRAMES_MAX frames takes about 5.5 MiB. */
#define MAX_LINE (8u << 20)
/* Big batches: a random-key index costs a page write per leaf touched per
 * transaction, so fewer, larger transactions write far less. */
#define BATCH_ROWS 1048576
#define BATCH_BYTES (64u << 20)

typedef struct batch_row {
    bw_signal_type type;
    int enabled;
    int64_t added_at;
    size_t value, value_len; /* offsets into the arena */
    size_t source, metadata; /* SIZE_MAX when absent */
    size_t body, body_len;   /* a vPDQ body; body_len 0 when absent */
} batch_row;

typedef struct batch {
    batch_row *rows;
    bwi_row *out;
    int *outcome;
    int64_t *ids;
    size_t n, cap;
    char *arena;
    size_t used, arena_cap;
} batch;

typedef struct importer {
    bw_ctx *ctx;
    bw_store *store;
    const char *bank;
    bwi_list_parser parser;
    bw_line_error_fn on_error;
    void *cb_arg;
    bw_import_stats stats;
    batch b;
    bwi_parsed parsed;
    int64_t bank_id;
    bw_ctx *line_ctx; /* line errors are reported without touching ctx */
} importer;

static void batch_free(batch *b)
{
    free(b->rows);
    free(b->out);
    free(b->outcome);
    free(b->ids);
    free(b->arena);
}

/* Copies bytes into the arena; SIZE_MAX when memory runs out. */
static size_t keep(batch *b, const void *data, size_t n)
{
    if (b->used + n + 1 > b->arena_cap) {
        size_t cap = b->arena_cap ? b->arena_cap * 2 : (1u << 20);
        while (cap < b->used + n + 1)
            cap *= 2;
        char *grown = realloc(b->arena, cap);
        if (!grown)
            return SIZE_MAX;
        b->arena = grown;
        b->arena_cap = cap;
    }
    const size_t at = b->used;
    memcpy(b->arena + at, data, n);
    b->arena[at + n] = '\0';
    b->used += n + 1;
    return at;
}

static bw_status put_batch(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    importer *im = arg;
    batch *b = &im->b;
    bw_status st =
        s->b->ops->signals_put(ctx, s->b, im->bank_id, b->out, b->n, seq, b->outcome, b->ids);
    if (st != BW_OK)
        return st;
    size_t added = 0;
    for (size_t i = 0; i < b->n; i++)
        added += b->outcome[i] == BWI_ADDED;
    char subject[80], details[96];
    snprintf(subject, sizeof subject, "bank:%s", im->bank);
    snprintf(details, sizeof details, "{\"added\":%zu,\"duplicates\":%zu}", added, b->n - added);
    return bwi_audit_append_locked(ctx, s, ctx->actor, "bank.import", subject, details);
}

static bw_status flush(importer *im)
{
    batch *b = &im->b;
    if (b->n == 0)
        return BW_OK;
    const int64_t now = bwi_now();
    for (size_t i = 0; i < b->n; i++) {
        const batch_row *r = &b->rows[i];
        b->out[i] = (bwi_row){r->type,
                              (const uint8_t *)b->arena + r->value,
                              r->value_len,
                              r->source == SIZE_MAX ? NULL : b->arena + r->source,
                              r->added_at < 0 ? now : r->added_at,
                              r->metadata == SIZE_MAX ? NULL : b->arena + r->metadata,
                              r->enabled,
                              r->body_len ? (const uint8_t *)b->arena + r->body : NULL,
                              r->body_len};
    }
    bw_store *s = im->store;
    bwi_store_lock(s);
    const bwi_cached_bank *bank;
    bw_status st = bwi_bank_by_name(im->ctx, s, im->bank, &bank);
    if (st == BW_OK) {
        im->bank_id = bank->id;
        st = bwi_write(im->ctx, s, put_batch, im);
    }
    bwi_store_unlock(s);
    if (st == BW_OK)
        for (size_t i = 0; i < b->n; i++) {
            if (b->outcome[i] == BWI_ADDED)
                im->stats.added++;
            else
                im->stats.duplicates++;
        }
    b->n = 0;
    b->used = 0;
    return st;
}

static void reject(importer *im, uint64_t line, bw_status st, const char *why)
{
    im->stats.rejected++;
    if (im->on_error)
        im->on_error(im->cb_arg, line, st, why);
}

static bool grow_rows(batch *b)
{
    const size_t cap = b->cap ? b->cap * 2 : 4096;
    batch_row *rows = realloc(b->rows, cap * sizeof *rows);
    if (rows)
        b->rows = rows;
    bwi_row *out = realloc(b->out, cap * sizeof *out);
    if (out)
        b->out = out;
    int *outcome = realloc(b->outcome, cap * sizeof *outcome);
    if (outcome)
        b->outcome = outcome;
    int64_t *ids = realloc(b->ids, cap * sizeof *ids);
    if (ids)
        b->ids = ids;
    if (!rows || !out || !outcome || !ids)
        return false;
    b->cap = cap;
    return true;
}

static bw_status take_line(importer *im, const char *line, size_t len, uint64_t number)
{
    bwi_parsed *p = &im->parsed;
    bool skip;
    bw_status st = bwi_parse_line(im->line_ctx, &im->parser, line, len, p, &skip);
    if (st == BW_OK && skip)
        return BW_OK;
    if (st != BW_OK) {
        /* A bad CSV header leaves nothing to import: that is fatal. */
        if (im->parser.format == BW_LIST_CSV && im->parser.column[0] < 0)
            return bwi_fail(im->ctx, st, "line %llu: %s", (unsigned long long)number,
                            bw_ctx_message(im->line_ctx));
        im->stats.lines++;
        reject(im, number, st, bw_ctx_message(im->line_ctx));
        return BW_OK;
    }
    im->stats.lines++;
    batch *b = &im->b;
    if (b->n == b->cap && !grow_rows(b))
        return bwi_fail(im->ctx, BW_ERR_NOMEM, "out of memory at line %llu",
                        (unsigned long long)number);
    batch_row *r = &b->rows[b->n];
    r->type = p->type;
    r->enabled = p->enabled;
    r->added_at = p->added_at;
    r->value_len = p->raw_size;
    r->value = keep(b, p->raw, p->raw_size);
    r->body_len = p->body_size;
    r->body = p->body ? keep(b, p->body, p->body_size) : 0;
    r->source = p->source ? keep(b, p->source, strlen(p->source)) : SIZE_MAX - 1;
    r->metadata = p->metadata ? keep(b, p->metadata, strlen(p->metadata)) : SIZE_MAX - 1;
    if (r->value == SIZE_MAX || r->source == SIZE_MAX || r->metadata == SIZE_MAX ||
        r->body == SIZE_MAX)
        return bwi_fail(im->ctx, BW_ERR_NOMEM, "out of memory at line %llu",
                        (unsigned long long)number);
    if (r->source == SIZE_MAX - 1)
        r->source = SIZE_MAX;
    if (r->metadata == SIZE_MAX - 1)
        r->metadata = SIZE_MAX;
    b->n++;
    return b->n >= BATCH_ROWS || b->used >= BATCH_BYTES ? flush(im) : BW_OK;
}

BW_API bw_status bw_bank_import(bw_ctx *ctx, bw_store *store, const char *bank,
                                bw_list_format format, bw_read_fn read, void *read_arg,
                                bw_line_error_fn on_error, bw_progress_fn on_progress,
                                void *callback_arg, bw_import_stats *stats)
{
    if (!ctx || !store || !bank || !read)
        return BW_ERR_INVALID_ARGUMENT;
    if (format != BW_LIST_LINES && format != BW_LIST_CSV && format != BW_LIST_JSONL)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "unknown list format");
    bwi_clear(ctx);
    importer im = {ctx, store, bank, {format, false, {-1, -1, -1, -1, -1, -1}},
                   on_error, callback_arg, {0, 0, 0, 0}, {0}, {0}, 0, NULL};
    /* Check the bank before reading anything. */
    bwi_store_lock(store);
    const bwi_cached_bank *found;
    bw_status st = bwi_bank_by_name(ctx, store, bank, &found);
    bwi_store_unlock(store);
    if (st != BW_OK)
        return st;
    char *buf = malloc(CHUNK + MAX_LINE);
    if (!buf || bw_ctx_create(&im.line_ctx) != BW_OK) {
        free(buf);
        return bwi_fail(ctx, BW_ERR_NOMEM, "cannot allocate import buffers");
    }
    bwi_store_lock(store);
    store->b->ops->bulk(store->b, true);
    bwi_store_unlock(store);
    size_t have = 0;       /* bytes in buf, the start of an unfinished line */
    bool overlong = false; /* dropping the rest of a line too long to keep */
    uint64_t line_no = 0, consumed = 0;
    for (;;) {
        const long got = read(read_arg, buf + have, CHUNK);
        if (got < 0) {
            st = bwi_fail(ctx, BW_ERR_IO, "cannot read the input after line %llu",
                          (unsigned long long)line_no);
            break;
        }
        consumed += (uint64_t)got;
        const size_t end = have + (size_t)got;
        size_t start = 0;
        for (size_t i = have; i < end && st == BW_OK; i++) {
            if (buf[i] != '\n')
                continue;
            line_no++;
            if (overlong)
                overlong = false;
            else
                st = take_line(&im, buf + start, i - start, line_no);
            start = i + 1;
        }
        if (st != BW_OK)
            break;
        if (got == 0) { /* a last line without a newline */
            if (start < end && !overlong)
                st = take_line(&im, buf + start, end - start, ++line_no);
            break;
        }
        have = end - start;
        if (have > MAX_LINE) {
            if (!overlong)
                reject(&im, line_no + 1, BW_ERR_PARSE, "line longer than 8 MiB");
            overlong = true;
            have = 0;
        } else {
            memmove(buf, buf + start, have);
        }
        if (on_progress)
            on_progress(callback_arg, consumed);
    }
    if (st == BW_OK)
        st = flush(&im);
    bwi_store_lock(store);
    store->b->ops->bulk(store->b, false);
    bwi_store_unlock(store);
    if (on_progress)
        on_progress(callback_arg, consumed);
    if (stats)
        *stats = im.stats;
    bw_ctx_free(im.line_ctx);
    bwi_parsed_clear(&im.parsed);
    batch_free(&im.b);
    free(buf);
    return st;
}

typedef struct exporter {
    bw_list_format format;
    bw_write_fn write;
    void *arg;
    bwi_text text;
    bool write_failed;
    char *value; /* one value's text, reused */
    size_t value_cap;
    int64_t failed_id; /* the signal being written when formatting failed */
} exporter;

static int export_row(void *arg, const bw_signal_info *s)
{
    exporter *ex = arg;
    if (!bwi_format_signal(&ex->text, ex->format, s)) {
        ex->failed_id = s->id;
        return 1;
    }
    if (ex->text.len >= (1u << 16)) {
        if (ex->write(ex->arg, ex->text.data, ex->text.len) != 0) {
            ex->write_failed = true;
            return 1;
        }
        ex->text.len = 0;
    }
    return 0;
}

typedef struct export_ctx {
    exporter *ex;
    bw_ctx *ctx;
    bw_store *store;
    const bwi_cached_bank *bank;
} export_ctx;

static int export_relay(void *arg, const bwi_stored *r)
{
    export_ctx *ec = arg;
    const char *text = bwi_value_render(&ec->ex->value, &ec->ex->value_cap, r->type, r->value,
                                        r->value_size, r->body, r->body_size);
    if (!text) {
        ec->ex->text.failed = true;
        return 1;
    }
    const bw_signal_info info = {r->id,          r->bank_id,  ec->bank->name, ec->bank->kind,
                                 r->type,        text,        r->value,       r->value_size,
                                 r->source,      r->added_at, r->metadata,    r->enabled,
                                 r->quarantined, r->removed,  r->seq,         r->body,
                                 r->body_size};
    return export_row(ec->ex, &info);
}

BW_API bw_status bw_bank_export(bw_ctx *ctx, bw_store *store, const char *bank,
                                bw_list_format format, bw_write_fn write, void *write_arg)
{
    if (!ctx || !store || !bank || !write)
        return BW_ERR_INVALID_ARGUMENT;
    if (format != BW_LIST_LINES && format != BW_LIST_CSV && format != BW_LIST_JSONL)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "unknown list format");
    bwi_clear(ctx);
    exporter ex = {format, write, write_arg, {0}, false, NULL, 0, 0};
    bwi_store_lock(store);
    const bwi_cached_bank *found;
    bw_status st = bwi_bank_by_name(ctx, store, bank, &found);
    if (st == BW_OK) {
        export_ctx ec = {&ex, ctx, store, found};
        bwi_format_header(&ex.text, format);
        st = store->b->ops->scan(ctx, store->b, 0, found->id, export_relay, &ec, NULL);
    }
    bwi_store_unlock(store);
    if (st == BW_OK && ex.text.not_utf8)
        st = bwi_fail(ctx, BW_ERR_STORAGE,
                      "signal %lld has a value, source or metadata that is not UTF-8, "
                      "which JSON cannot carry; export as csv or lines",
                      (long long)ex.failed_id);
    else if (st == BW_OK && ex.text.failed)
        st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory while exporting");
    if (st == BW_OK && !ex.write_failed && ex.text.len &&
        write(write_arg, ex.text.data, ex.text.len) != 0)
        ex.write_failed = true;
    if (st == BW_OK && ex.write_failed)
        st = bwi_fail(ctx, BW_ERR_IO, "cannot write the export");
    bwi_text_free(&ex.text);
    free(ex.value);
    return st;
}

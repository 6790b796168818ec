/*
 * Adding a media file's content to a bank: the signals the bank's settings
 * ask for (whole-image PDQ, content boxes, crop regions, digests), each
 * marked in its metadata with the file it came from and the part it
 * covers, all stored in one transaction.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bulwark/bw_hash.h"
#include "bulwark/bw_robust.h"
#include "store_internal.h"

enum {
    WANT_PDQ = 1u << 0,
    WANT_CONTENT = 1u << 1,
    WANT_REGIONS = 1u << 2,
    WANT_MD5 = 1u << 3,
    WANT_SHA1 = 1u << 4,
    WANT_SHA256 = 1u << 5
};

static const struct {
    const char *name;
    unsigned bit;
} signal_names[] = {{"pdq", WANT_PDQ},   {"pdq_content", WANT_CONTENT},
                    {"pdq_regions", WANT_REGIONS}, {"md5", WANT_MD5},
                    {"sha1", WANT_SHA1}, {"sha256", WANT_SHA256}};

typedef struct settings_read {
    char *text;
    bool oom;
} settings_read;

static int grab_settings(void *arg, const bwi_bank_row *row)
{
    settings_read *r = arg;
    if (row->settings && !(r->text = strdup(row->settings)))
        r->oom = true;
    return 1;
}

/* The signals a bank's settings ask for. */
bw_status bwi_content_wanted(bw_ctx *ctx, const char *settings, unsigned *want)
{
    json_error_t err;
    json_t *root = settings ? json_loads(settings, 0, &err) : NULL;
    json_t *list = root ? json_object_get(root, "content_signals") : NULL;
    json_t *fallback = NULL;
    if (!list)
        list = fallback = json_loads(BW_CONTENT_SIGNALS_DEFAULT, 0, &err);
    bw_status st = json_is_array(list) ? BW_OK
                                       : bwi_fail(ctx, BW_ERR_PARSE,
                                                  "bank settings: content_signals must be a list");
    *want = 0;
    for (size_t i = 0; st == BW_OK && i < json_array_size(list); i++) {
        const char *name = json_string_value(json_array_get(list, i));
        unsigned bit = 0;
        for (size_t k = 0; name && !bit && k < sizeof signal_names / sizeof signal_names[0]; k++)
            if (!strcmp(name, signal_names[k].name))
                bit = signal_names[k].bit;
        if (!bit)
            st = bwi_fail(ctx, BW_ERR_PARSE, "bank settings: unknown content signal '%s'",
                          name ? name : "(not a string)");
        *want |= bit;
    }
    json_decref(fallback);
    json_decref(root);
    return st;
}

/* What a row is, for the caller's report. */
typedef struct row_note {
    const char *part;   /* static strings */
    const char *region;
    int quality;
} row_note;

/* Everything to store, with the metadata texts the rows point to. */
typedef struct content_rows {
    bwi_row *rows;
    char **meta;
    uint8_t (*values)[BW_PDQ_BYTES];
    row_note *notes;
    size_t n;
    size_t cap;
    bool flat;                      /* the whole image's PDQ, not stored */
    uint8_t flat_hash[BW_PDQ_BYTES];
    int flat_quality;
} content_rows;

static void rows_free(content_rows *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->meta[i]);
    free(c->rows);
    free(c->meta);
    free(c->values);
    free(c->notes);
}

static bw_status add_row(bw_ctx *ctx, content_rows *c, json_t *base, bw_signal_type type,
                         const uint8_t *value, size_t size, const char *part,
                         const char *region, int quality, const char *source)
{
    if (c->n == c->cap) {
        const size_t cap = c->cap ? c->cap * 2 : 128;
        bwi_row *rows = realloc(c->rows, cap * sizeof *rows);
        char **meta = rows ? realloc(c->meta, cap * sizeof *meta) : NULL;
        uint8_t(*values)[BW_PDQ_BYTES] = meta ? realloc(c->values, cap * sizeof *values) : NULL;
        row_note *notes = values ? realloc(c->notes, cap * sizeof *notes) : NULL;
        if (rows)
            c->rows = rows;
        if (meta)
            c->meta = meta;
        if (values)
            c->values = values;
        if (notes)
            c->notes = notes;
        if (!notes)
            return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
        c->cap = cap;
    }
    json_object_set_new(base, "part", json_string(part));
    /* A region's quality decides how far it reaches (bw_pdq_region_reach). */
    if (region) {
        json_object_set_new(base, "region", json_string(region));
        json_object_set_new(base, "quality", json_integer(quality));
    } else {
        json_object_del(base, "region");
        json_object_del(base, "quality");
    }
    char *text = json_dumps(base, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    memcpy(c->values[c->n], value, size);
    c->notes[c->n] = (row_note){part, region, quality};
    c->meta[c->n] = text;
    c->rows[c->n] = (bwi_row){type, c->values[c->n], size, source, bwi_now(), text, 1};
    c->n++;
    return BW_OK;
}

static bw_status collect(bw_ctx *ctx, content_rows *c, unsigned want, const void *data,
                         size_t size, const char *metadata, const char *source)
{
    bw_hashes *h = NULL;
    bw_pdq_set *set = NULL;
    json_t *base = NULL;
    bw_status st = bw_hashes_create(&h);
    if (st == BW_OK)
        st = bw_pdq_set_create(&set);
    if (st == BW_OK) {
        unsigned flags = BW_PDQ_SET_WHOLE;
        flags |= want & WANT_CONTENT ? BW_PDQ_SET_CONTENT : 0;
        flags |= want & WANT_REGIONS ? BW_PDQ_SET_REGIONS : 0;
        st = bw_hash_bytes_set(ctx, h, BW_HASH_MD5 | BW_HASH_SHA1 | BW_HASH_SHA256, set, flags,
                               data, size);
    }
    json_error_t err;
    if (st == BW_OK) {
        base = metadata && *metadata ? json_loads(metadata, 0, &err) : json_object();
        if (!json_is_object(base))
            st = bwi_fail(ctx, BW_ERR_PARSE, "metadata must be a JSON object");
    }
    uint8_t sha[32];
    char sha_hex[65];
    if (st == BW_OK) {
        bw_hashes_digest(h, BW_DIGEST_SHA256, sha, sizeof sha);
        bw_hex_encode(sha_hex, sha, sizeof sha);
        json_object_set_new(base, "content", json_string(sha_hex));
    }
    for (size_t i = 0; st == BW_OK && i < bw_pdq_set_count(set); i++) {
        const bw_pdq_part *p = bw_pdq_set_get(set, i);
        if (p->kind == BW_PART_WHOLE && !(want & WANT_PDQ))
            continue;
        /* A flat whole image is noted, so that callers can say why it
         * was not banked. */
        if (!bw_pdq_part_bankable(p)) {
            if (p->kind == BW_PART_WHOLE) {
                c->flat = true;
                memcpy(c->flat_hash, p->hash, BW_PDQ_BYTES);
                c->flat_quality = p->quality;
            }
            continue;
        }
        st = add_row(ctx, c, base, BW_SIGNAL_PDQ, p->hash, BW_PDQ_BYTES,
                     p->kind == BW_PART_REGION ? "region" : p->name,
                     p->kind == BW_PART_REGION ? p->name : NULL, p->quality, source);
    }
    static const struct {
        unsigned bit;
        bw_digest_alg alg;
        bw_signal_type type;
    } digests[] = {{WANT_MD5, BW_DIGEST_MD5, BW_SIGNAL_MD5},
                   {WANT_SHA1, BW_DIGEST_SHA1, BW_SIGNAL_SHA1},
                   {WANT_SHA256, BW_DIGEST_SHA256, BW_SIGNAL_SHA256}};
    for (size_t i = 0; st == BW_OK && i < sizeof digests / sizeof digests[0]; i++) {
        if (!(want & digests[i].bit))
            continue;
        uint8_t d[BW_DIGEST_MAX_BYTES];
        bw_hashes_digest(h, digests[i].alg, d, sizeof d);
        st = add_row(ctx, c, base, digests[i].type, d, bw_digest_size(digests[i].alg), "file",
                     NULL, -1, source);
    }
    /* values may have moved as it grew. */
    for (size_t i = 0; i < c->n; i++)
        c->rows[i].value = c->values[i];
    json_decref(base);
    bw_pdq_set_free(set);
    bw_hashes_free(h);
    return st;
}

typedef struct content_put {
    int64_t bank_id;
    const content_rows *c;
    int *outcome;
    int64_t *ids;
} content_put;

static bw_status put_rows(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    content_put *p = arg;
    return s->b->ops->signals_put(ctx, s->b, p->bank_id, p->c->rows, p->c->n, seq, p->outcome,
                                  p->ids);
}

/* Tells the caller what became of each signal, once all are stored. */
static void report(const content_rows *c, const int *outcome, const int64_t *ids,
                   bw_content_signal_fn each, void *arg)
{
    char hex[2 * BW_DIGEST_MAX_BYTES + 1];
    if (c->flat) {
        bw_pdq_to_hex(hex, c->flat_hash);
        const bw_content_signal sig = {BW_SIGNAL_PDQ, hex, "whole", NULL, c->flat_quality, 0,
                                       BW_CONTENT_TOO_FLAT};
        if (each(arg, &sig))
            return;
    }
    for (size_t i = 0; i < c->n; i++) {
        bw_hex_encode(hex, c->rows[i].value, c->rows[i].value_size);
        const bw_content_signal sig = {
            c->rows[i].type, hex, c->notes[i].part, c->notes[i].region, c->notes[i].quality,
            ids[i], outcome[i] == BWI_DUPLICATE ? BW_CONTENT_EXISTED : BW_CONTENT_ADDED};
        if (each(arg, &sig))
            return;
    }
}

BW_API bw_status bw_bank_add_content(bw_ctx *ctx, bw_store *s, const char *bank,
                                     const void *data, size_t size, const char *metadata,
                                     const char *source, bw_content_stats *stats)
{
    return bw_bank_add_content_each(ctx, s, bank, data, size, metadata, source, stats, NULL,
                                    NULL);
}

BW_API bw_status bw_bank_add_content_each(bw_ctx *ctx, bw_store *s, const char *bank,
                                          const void *data, size_t size, const char *metadata,
                                          const char *source, bw_content_stats *stats,
                                          bw_content_signal_fn each, void *arg)
{
    if (!ctx || !s || !bank || (!data && size))
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    if (stats)
        memset(stats, 0, sizeof *stats);
    bw_status st = bwi_source_check(ctx, source, source ? strlen(source) : 0);
    if (st != BW_OK)
        return st;
    settings_read settings = {NULL, false};
    bwi_store_lock(s);
    const bwi_cached_bank *cached;
    st = bwi_bank_by_name(ctx, s, bank, &cached);
    if (st == BW_OK)
        st = s->b->ops->bank_list(ctx, s->b, bank, 0, grab_settings, &settings);
    bwi_store_unlock(s);
    if (st == BW_OK && settings.oom)
        st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    unsigned want = 0;
    if (st == BW_OK)
        st = bwi_content_wanted(ctx, settings.text, &want);
    free(settings.text);
    content_rows c = {0};
    /* Hash outside the lock: other threads keep using the store. */
    if (st == BW_OK)
        st = collect(ctx, &c, want, data, size, metadata, source);
    int *outcome = NULL;
    int64_t *ids = NULL;
    if (st == BW_OK && c.n) {
        outcome = calloc(c.n, sizeof *outcome);
        ids = calloc(c.n, sizeof *ids);
        if (!outcome || !ids)
            st = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    }
    if (st == BW_OK && c.n) {
        bwi_store_lock(s);
        st = bwi_bank_by_name(ctx, s, bank, &cached);
        if (st == BW_OK) {
            content_put put = {cached->id, &c, outcome, ids};
            st = bwi_write(ctx, s, put_rows, &put);
        }
        bwi_store_unlock(s);
    }
    for (size_t i = 0; st == BW_OK && stats && i < c.n; i++) {
        if (outcome[i] == BWI_DUPLICATE) {
            stats->duplicates++;
            continue;
        }
        stats->added++;
        stats->regions += c.notes[i].region != NULL;
    }
    if (st == BW_OK && each)
        report(&c, outcome, ids, each, arg);
    free(outcome);
    free(ids);
    rows_free(&c);
    return st;
}

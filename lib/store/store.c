/*
 * The bank store's public API: validation, normalisation, locking, and a
 * cache of bank names so that signal rows carry only bank ids.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bulwark/bw_digest.h"

#include "signal/vpdq_value.h"
#include "store_internal.h"

BW_API const char *bw_bank_kind_name(bw_bank_kind kind)
{
    return kind == BW_BANK_BLOCK ? "block" : kind == BW_BANK_ALLOW ? "allow" : "unknown";
}

BW_API bw_status bw_bank_kind_parse(bw_bank_kind *kind_out, const char *name)
{
    if (!kind_out || !name)
        return BW_ERR_INVALID_ARGUMENT;
    if (!strcmp(name, "block"))
        *kind_out = BW_BANK_BLOCK;
    else if (!strcmp(name, "allow"))
        *kind_out = BW_BANK_ALLOW;
    else
        return BW_ERR_PARSE;
    return BW_OK;
}

int64_t bwi_now(void)
{
    return (int64_t)time(NULL);
}

static bool is_postgres(const char *location)
{
    return !strncmp(location, "postgres://", 11) || !strncmp(location, "postgresql://", 13);
}

static bw_status open_store(bw_ctx *ctx, bw_store **store_out, const char *location,
                            bool create)
{
    if (!ctx || !store_out || !location || !*location)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    *store_out = NULL;
    bw_store *s = calloc(1, sizeof *s);
    if (!s)
        return bwi_fail(ctx, BW_ERR_NOMEM, "cannot allocate the store");
    bw_status st = is_postgres(location) ? bwi_pg_open(ctx, location, &s->b)
                                         : bwi_sqlite_open(ctx, location, create, &s->b);
    if (st != BW_OK) {
        free(s);
        return st;
    }
    pthread_mutex_init(&s->lock, NULL);
    if ((st = bwi_service_schema(ctx, s)) != BW_OK) {
        bw_store_close(s);
        return st;
    }
    *store_out = s;
    return BW_OK;
}

BW_API bw_status bw_store_open(bw_ctx *ctx, bw_store **store_out, const char *location)
{
    return open_store(ctx, store_out, location, true);
}

BW_API bw_status bw_store_open_existing(bw_ctx *ctx, bw_store **store_out,
                                        const char *location)
{
    return open_store(ctx, store_out, location, false);
}

BW_API void bw_store_close(bw_store *s)
{
    if (!s)
        return;
    s->b->ops->close(s->b);
    for (size_t i = 0; i < s->bank_count; i++)
        free(s->banks[i].name);
    free(s->banks);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

BW_API const char *bw_store_backend(const bw_store *s)
{
    return s ? s->b->ops->name : "none";
}

BW_API bw_status bw_store_defer_checkpoints(bw_ctx *ctx, bw_store *s)
{
    if (!ctx || !s)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    if (!s->b->ops->defer_checkpoints)
        return BW_OK;
    bwi_store_lock(s);
    const bw_status st = s->b->ops->defer_checkpoints(ctx, s->b);
    bwi_store_unlock(s);
    return st;
}

BW_API bw_status bw_store_checkpoint(bw_ctx *ctx, bw_store *s)
{
    if (!ctx || !s)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    /* Not under the store's lock: the backend's checkpointing connection
     * is its own, and holding the lock would stall the writers this is
     * meant to spare. */
    return s->b->ops->checkpoint ? s->b->ops->checkpoint(ctx, s->b) : BW_OK;
}

void bwi_store_lock(bw_store *s)
{
    pthread_mutex_lock(&s->lock);
}

void bwi_store_unlock(bw_store *s)
{
    pthread_mutex_unlock(&s->lock);
}

bw_status bwi_write(bw_ctx *ctx, bw_store *s, bwi_write_fn fn, void *arg)
{
    int64_t seq;
    bw_status st = s->b->ops->begin(ctx, s->b, &seq);
    if (st != BW_OK)
        return st;
    st = fn(ctx, s, seq, arg);
    if (st == BW_OK)
        st = s->b->ops->commit(ctx, s->b);
    else
        s->b->ops->rollback(s->b);
    return st;
}

/* ---- the bank cache ---------------------------------------------------- */

static int cache_row(void *arg, const bwi_bank_row *row)
{
    bw_store *s = arg;
    if (s->bank_count == s->bank_cap) {
        size_t cap = s->bank_cap ? s->bank_cap * 2 : 16;
        bwi_cached_bank *grown = realloc(s->banks, cap * sizeof *grown);
        if (!grown)
            return 1;
        s->banks = grown;
        s->bank_cap = cap;
    }
    char *name = strdup(row->name);
    if (!name)
        return 1;
    s->banks[s->bank_count++] = (bwi_cached_bank){row->id, name, row->kind, row->deleted};
    return 0;
}

static bw_status reload_banks(bw_ctx *ctx, bw_store *s)
{
    for (size_t i = 0; i < s->bank_count; i++)
        free(s->banks[i].name);
    s->bank_count = 0;
    return s->b->ops->bank_list(ctx, s->b, NULL, 1, cache_row, s);
}

const bwi_cached_bank *bwi_bank_by_id(bw_ctx *ctx, bw_store *s, int64_t id)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->bank_count; i++)
            if (s->banks[i].id == id)
                return &s->banks[i];
        /* Another process may have created it since the cache was filled. */
        if (pass == 0 && reload_banks(ctx, s) != BW_OK)
            return NULL;
    }
    return NULL;
}

bw_status bwi_bank_by_name(bw_ctx *ctx, bw_store *s, const char *name,
                           const bwi_cached_bank **out)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->bank_count; i++)
            if (!s->banks[i].deleted && !strcmp(s->banks[i].name, name)) {
                *out = &s->banks[i];
                return BW_OK;
            }
        if (pass == 0) {
            bw_status st = reload_banks(ctx, s);
            if (st != BW_OK)
                return st;
        }
    }
    return bwi_fail(ctx, BW_ERR_NOT_FOUND, "no bank named '%s'", name ? name : "");
}

bool bwi_valid_bank_name(const char *name)
{
    const size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > BW_BANK_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* ---- values --------------------------------------------------------------- */

/* A vPDQ value: its body (the frames) and, as the stored key, the body's
 * SHA-256. */
static bw_status vpdq_encode(bw_ctx *ctx, const char *text, size_t len, uint8_t *raw,
                             size_t *raw_size, uint8_t **body, size_t *body_size)
{
    const char *why = NULL;
    bwi_vframe *frames;
    size_t count;
    bw_status st = bwi_vtext_parse(text, len, &frames, &count, &why);
    if (st != BW_OK)
        return bwi_fail(ctx, st, "invalid vpdq value: %s", why ? why : bw_strerror(st));
    const size_t size = bwi_vbody_size(count);
    uint8_t *b = malloc(size);
    if (!b) {
        free(frames);
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    }
    bwi_vbody_write(b, frames, count);
    free(frames);
    st = bw_digest(BW_DIGEST_SHA256, raw, 32, b, size);
    if (st != BW_OK) {
        free(b);
        return bwi_fail(ctx, st, "cannot digest a vpdq value");
    }
    *raw_size = 32;
    if (body) {
        *body = b;
        *body_size = size;
    } else {
        free(b);
    }
    return BW_OK;
}

bw_status bwi_value_encode(bw_ctx *ctx, bw_signal_type type, const char *text,
                           size_t len, uint8_t *raw, size_t *raw_size, uint8_t **body,
                           size_t *body_size)
{
    if (body) {
        *body = NULL;
        *body_size = 0;
    }
    if (type == BW_SIGNAL_VPDQ)
        return vpdq_encode(ctx, text, len, raw, raw_size, body, body_size);
    char canon[BW_SIGNAL_VALUE_MAX + 1];
    const char *why = NULL;
    bw_status st = bw_signal_normalize(canon, sizeof canon, type, text, len, &why);
    if (st != BW_OK)
        return bwi_fail(ctx, st, "invalid %s value: %s", bw_signal_type_name(type),
                        why ? why : bw_strerror(st));
    const size_t n = strlen(canon);
    if (type == BW_SIGNAL_URL) {
        memcpy(raw, canon, n);
        *raw_size = n;
        return BW_OK;
    }
    for (size_t i = 0; i < n / 2; i++) {
        const char hi = canon[2 * i], lo = canon[2 * i + 1];
        raw[i] = (uint8_t)(((hi <= '9' ? hi - '0' : hi - 'a' + 10) << 4) |
                           (lo <= '9' ? lo - '0' : lo - 'a' + 10));
    }
    *raw_size = n / 2;
    return BW_OK;
}

static bool reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    char *grown = realloc(*buf, need);
    if (!grown)
        return false;
    *buf = grown;
    *cap = need;
    return true;
}

/* The frames of a vPDQ body as canonical text ("" for a damaged body). */
static const char *vpdq_text(char **buf, size_t *cap, const uint8_t *body, size_t size)
{
    const size_t count = bwi_vbody_count(body, size);
    bwi_vframe *frames = malloc((count ? count : 1) * sizeof *frames);
    if (!frames)
        return NULL;
    for (size_t i = 0; i < count; i++)
        bwi_vbody_frame(body, i, &frames[i]);
    const char *text = NULL;
    if (reserve(buf, cap, count ? bwi_vtext_size(frames, count) : 1)) {
        if (count)
            bwi_vtext_write(*buf, frames, count);
        else
            **buf = '\0';
        text = *buf;
    }
    free(frames);
    return text;
}

const char *bwi_value_render(char **buf, size_t *cap, bw_signal_type type,
                             const uint8_t *raw, size_t n, const uint8_t *body,
                             size_t body_size)
{
    if (type == BW_SIGNAL_VPDQ)
        return vpdq_text(buf, cap, body, body_size);
    if (!reserve(buf, cap, BW_SIGNAL_VALUE_MAX + 1))
        return NULL;
    char *out = *buf;
    if (type == BW_SIGNAL_URL) {
        if (n > BW_SIGNAL_VALUE_MAX)
            n = BW_SIGNAL_VALUE_MAX;
        memcpy(out, raw, n);
        out[n] = '\0';
        return out;
    }
    static const char digits[] = "0123456789abcdef";
    if (n > BW_SIGNAL_VALUE_MAX / 2)
        n = BW_SIGNAL_VALUE_MAX / 2;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[raw[i] >> 4];
        out[2 * i + 1] = digits[raw[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}

bw_status bwi_metadata_check(bw_ctx *ctx, const char *metadata, size_t len,
                             char **canonical)
{
    *canonical = NULL;
    if (!metadata || len == 0)
        return BW_OK;
    json_error_t err;
    json_t *j = json_loadb(metadata, len, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return bwi_fail(ctx, BW_ERR_PARSE, "metadata is not valid JSON: %s", err.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return bwi_fail(ctx, BW_ERR_PARSE, "metadata must be a JSON object");
    }
    *canonical = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return *canonical ? BW_OK : bwi_fail(ctx, BW_ERR_NOMEM, "cannot copy metadata");
}

bw_status bwi_source_check(bw_ctx *ctx, const char *source, size_t len)
{
    if (!source || len == 0)
        return BW_OK;
    if (len > BWI_SOURCE_MAX)
        return bwi_fail(ctx, BW_ERR_PARSE, "source longer than %d bytes", BWI_SOURCE_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)source[i] < 0x20 || source[i] == 0x7F)
            return bwi_fail(ctx, BW_ERR_PARSE, "control character in source");
    if (!bwi_utf8_valid(source, len))
        return bwi_fail(ctx, BW_ERR_PARSE, "source is not UTF-8");
    return BW_OK;
}

/* Turns a backend row into what users see. */
typedef struct relay {
    bw_ctx *ctx;
    bw_store *store;
    bw_signal_fn fn;
    void *arg;
    size_t rows;
    char *text; /* the value's text, reused from row to row */
    size_t text_cap;
    bool oom;
} relay;

static int relay_row(void *arg, const bwi_stored *r)
{
    relay *rl = arg;
    const bwi_cached_bank *bank = bwi_bank_by_id(rl->ctx, rl->store, r->bank_id);
    const char *text = bwi_value_render(&rl->text, &rl->text_cap, r->type, r->value,
                                        r->value_size, r->body, r->body_size);
    if (!text) {
        rl->oom = true;
        return 1;
    }
    const bw_signal_info info = {
        .id = r->id,
        .bank_id = r->bank_id,
        .bank = bank ? bank->name : "",
        .bank_kind = bank ? bank->kind : BW_BANK_BLOCK,
        .type = r->type,
        .value = text,
        .raw = r->value,
        .raw_size = r->value_size,
        .source = r->source,
        .added_at = r->added_at,
        .metadata = r->metadata,
        .enabled = r->enabled,
        .quarantined = r->quarantined,
        .removed = r->removed,
        .seq = r->seq,
        .body = r->body,
        .body_size = r->body_size,
    };
    rl->rows++;
    return rl->fn(rl->arg, &info);
}

/* Ends a relayed query: frees the text buffer, reports running out of it. */
static bw_status relay_done(relay *rl, bw_status st)
{
    free(rl->text);
    rl->text = NULL;
    if (st == BW_OK && rl->oom)
        st = bwi_fail(rl->ctx, BW_ERR_NOMEM, "out of memory reading signals");
    return st;
}

/* ---- banks -------------------------------------------------------------- */

typedef struct bank_new {
    const char *name;
    bw_bank_kind kind;
    int64_t id;
} bank_new;

static bw_status insert_bank(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    bank_new *b = arg;
    bw_status st = s->b->ops->bank_insert(ctx, s->b, b->name, b->kind, bwi_now(), seq, &b->id);
    char subject[80], details[32];
    snprintf(subject, sizeof subject, "bank:%s", b->name);
    snprintf(details, sizeof details, "{\"kind\":\"%s\"}", bw_bank_kind_name(b->kind));
    return st == BW_OK
               ? bwi_audit_append_locked(ctx, s, ctx->actor, "bank.create", subject, details)
               : st;
}

typedef struct bank_gone {
    int64_t id;
    const char *name;
} bank_gone;

static bw_status remove_bank(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    const bank_gone *g = arg;
    bw_status st = s->b->ops->bank_remove(ctx, s->b, g->id, seq);
    char subject[80];
    snprintf(subject, sizeof subject, "bank:%s", g->name);
    return st == BW_OK
               ? bwi_audit_append_locked(ctx, s, ctx->actor, "bank.delete", subject, NULL)
               : st;
}

BW_API bw_status bw_bank_create(bw_ctx *ctx, bw_store *s, const char *name,
                                bw_bank_kind kind, int64_t *id_out)
{
    if (!ctx || !s || !name)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    if (!bwi_valid_bank_name(name))
        return bwi_fail(ctx, BW_ERR_PARSE,
                        "bank names are 1 to 64 letters, digits, '-', '_' or '.'");
    if (kind != BW_BANK_BLOCK && kind != BW_BANK_ALLOW)
        return bwi_fail(ctx, BW_ERR_INVALID_ARGUMENT, "a bank is either block or allow");
    bwi_store_lock(s);
    bank_new b = {name, kind, 0};
    bw_status st = bwi_write(ctx, s, insert_bank, &b);
    const int64_t id = b.id;
    if (st == BW_OK)
        reload_banks(ctx, s);
    bwi_store_unlock(s);
    if (st == BW_OK && id_out)
        *id_out = id;
    return st;
}

BW_API bw_status bw_bank_delete(bw_ctx *ctx, bw_store *s, const char *name)
{
    if (!ctx || !s || !name)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bwi_store_lock(s);
    const bwi_cached_bank *bank;
    bw_status st = bwi_bank_by_name(ctx, s, name, &bank);
    if (st == BW_OK) {
        bank_gone g = {bank->id, name};
        st = bwi_write(ctx, s, remove_bank, &g);
        if (st == BW_OK)
            reload_banks(ctx, s);
    }
    bwi_store_unlock(s);
    return st;
}

typedef struct bank_settings {
    int64_t id;
    const char *name;
    const char *settings;
} bank_settings;

/* Settings decide what banking a file stores: an admin action, audited. */
static bw_status set_settings(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    const bank_settings *b = arg;
    bw_status st = s->b->ops->bank_settings(ctx, s->b, b->id, b->settings, seq);
    char subject[80];
    snprintf(subject, sizeof subject, "bank:%s", b->name);
    return st == BW_OK ? bwi_audit_append_locked(ctx, s, ctx->actor, "bank.settings", subject,
                                                 b->settings)
                       : st;
}

BW_API bw_status bw_bank_set_settings(bw_ctx *ctx, bw_store *s, const char *name,
                                      const char *settings)
{
    if (!ctx || !s || !name)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    char *canonical = NULL;
    bw_status st = bwi_metadata_check(ctx, settings, settings ? strlen(settings) : 0, &canonical);
    if (st != BW_OK) {
        char why[BWI_MESSAGE_MAX];
        snprintf(why, sizeof why, "%s", bw_ctx_message(ctx));
        return bwi_fail(ctx, st, "bank settings: %s", why);
    }
    unsigned want;
    /* Refused now rather than at the next file banked (the message names
     * the settings already). */
    if (canonical && (st = bwi_content_wanted(ctx, canonical, &want)) != BW_OK) {
        free(canonical);
        return st;
    }
    bwi_store_lock(s);
    const bwi_cached_bank *bank;
    st = bwi_bank_by_name(ctx, s, name, &bank);
    if (st == BW_OK) {
        bank_settings b = {bank->id, name, canonical};
        st = bwi_write(ctx, s, set_settings, &b);
    }
    bwi_store_unlock(s);
    free(canonical);
    return st;
}

typedef struct bank_relay {
    bw_bank_fn fn;
    void *arg;
    size_t rows;
} bank_relay;

static int relay_bank(void *arg, const bwi_bank_row *row)
{
    bank_relay *br = arg;
    bw_bank_info info = {row->id, row->name, row->kind, row->created_at, 0, {0}, row->settings};
    for (int t = 0; t < 8; t++) {
        info.count_by_type[t] = row->count_by_type[t];
        info.signal_count += row->count_by_type[t];
    }
    br->rows++;
    return br->fn(br->arg, &info);
}

BW_API bw_status bw_bank_list(bw_ctx *ctx, bw_store *s, bw_bank_fn fn, void *arg)
{
    if (!ctx || !s || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bank_relay br = {fn, arg, 0};
    bwi_store_lock(s);
    bw_status st = s->b->ops->bank_list(ctx, s->b, NULL, 0, relay_bank, &br);
    bwi_store_unlock(s);
    return st;
}

BW_API bw_status bw_bank_get(bw_ctx *ctx, bw_store *s, const char *name, bw_bank_fn fn,
                             void *arg)
{
    if (!ctx || !s || !name || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bank_relay br = {fn, arg, 0};
    bwi_store_lock(s);
    bw_status st = s->b->ops->bank_list(ctx, s->b, name, 0, relay_bank, &br);
    bwi_store_unlock(s);
    if (st == BW_OK && br.rows == 0)
        st = bwi_fail(ctx, BW_ERR_NOT_FOUND, "no bank named '%s'", name);
    return st;
}

/* ---- signals ------------------------------------------------------------ */

typedef struct signal_new {
    const char *bank;
    int64_t bank_id;
    const bwi_row *row;
    int outcome;
    int64_t id;
} signal_new;

static bw_status put_signal(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    signal_new *p = arg;
    bw_status st =
        s->b->ops->signals_put(ctx, s->b, p->bank_id, p->row, 1, seq, &p->outcome, &p->id);
    if (st != BW_OK || p->outcome != BWI_ADDED)
        return st;
    char subject[32], details[128];
    snprintf(subject, sizeof subject, "signal:%lld", (long long)p->id);
    snprintf(details, sizeof details, "{\"bank\":\"%s\",\"type\":\"%s\"}", p->bank,
             bw_signal_type_name(p->row->type));
    return bwi_audit_append_locked(ctx, s, ctx->actor, "signal.add", subject, details);
}

typedef struct signal_change {
    int64_t id;
    bwi_field field;
    int value;
    const char *log_action;
    const char *reason;
} signal_change;

static bw_status change_signal(bw_ctx *ctx, bw_store *s, int64_t seq, void *arg)
{
    const signal_change *c = arg;
    bw_status st = s->b->ops->signal_update(ctx, s->b, c->id, c->field, c->value, seq);
    if (st == BW_OK && c->log_action)
        st = s->b->ops->quarantine_log(ctx, s->b, c->id, bwi_now(), c->log_action, c->reason);
    if (st != BW_OK)
        return st;
    static const char *const actions[3][2] = {{"signal.disable", "signal.enable"},
                                              {"signal.release", "signal.quarantine"},
                                              {"signal.restore", "signal.remove"}};
    char subject[32];
    snprintf(subject, sizeof subject, "signal:%lld", (long long)c->id);
    json_t *d = c->reason ? json_pack("{s:s}", "reason", c->reason) : NULL;
    char *details = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    st = bwi_audit_append_locked(ctx, s, ctx->actor, actions[c->field][c->value ? 1 : 0],
                                 subject, details);
    free(details);
    return st;
}

BW_API bw_status bw_signal_add(bw_ctx *ctx, bw_store *s, const char *bank_name,
                               bw_signal_type type, const char *value, const char *source,
                               const char *metadata, int64_t *id_out)
{
    if (!ctx || !s || !bank_name || !value)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    uint8_t raw[BW_SIGNAL_VALUE_MAX];
    size_t raw_size, body_size;
    uint8_t *body;
    char *meta = NULL;
    bw_status st =
        bwi_value_encode(ctx, type, value, strlen(value), raw, &raw_size, &body, &body_size);
    if (st == BW_OK)
        st = bwi_source_check(ctx, source, source ? strlen(source) : 0);
    if (st == BW_OK)
        st = bwi_metadata_check(ctx, metadata, metadata ? strlen(metadata) : 0, &meta);
    if (st != BW_OK) {
        free(body);
        return st;
    }
    const bwi_row row = {type, raw, raw_size, source, bwi_now(), meta, 1, body, body_size};
    signal_new put = {bank_name, 0, &row, BWI_ADDED, 0};
    bwi_store_lock(s);
    const bwi_cached_bank *bank;
    st = bwi_bank_by_name(ctx, s, bank_name, &bank);
    if (st == BW_OK) {
        put.bank_id = bank->id;
        st = bwi_write(ctx, s, put_signal, &put);
    }
    const int outcome = put.outcome;
    const int64_t id = put.id;
    bwi_store_unlock(s);
    free(meta);
    free(body);
    if (st == BW_OK && outcome == BWI_DUPLICATE)
        st = bwi_fail(ctx, BW_ERR_EXISTS, "bank '%s' already holds this %s", bank_name,
                      bw_signal_type_name(type));
    if ((st == BW_OK || st == BW_ERR_EXISTS) && id_out)
        *id_out = id;
    return st;
}

static bw_status update(bw_ctx *ctx, bw_store *s, int64_t id, bwi_field field, int value,
                        const char *log_action, const char *reason)
{
    if (!ctx || !s)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    signal_change c = {id, field, value, log_action, reason};
    bwi_store_lock(s);
    bw_status st = bwi_write(ctx, s, change_signal, &c);
    bwi_store_unlock(s);
    return st;
}

BW_API bw_status bw_signal_remove(bw_ctx *ctx, bw_store *s, int64_t id)
{
    return update(ctx, s, id, BWI_FIELD_REMOVED, 1, NULL, NULL);
}

BW_API bw_status bw_signal_set_enabled(bw_ctx *ctx, bw_store *s, int64_t id, int enabled)
{
    return update(ctx, s, id, BWI_FIELD_ENABLED, enabled ? 1 : 0, NULL, NULL);
}

BW_API bw_status bw_signal_set_quarantined(bw_ctx *ctx, bw_store *s, int64_t id,
                                           int quarantined, const char *reason)
{
    return update(ctx, s, id, BWI_FIELD_QUARANTINED, quarantined ? 1 : 0,
                  quarantined ? "quarantine" : "release", reason);
}

BW_API bw_status bw_signal_get(bw_ctx *ctx, bw_store *s, int64_t id, bw_signal_fn fn,
                               void *arg)
{
    if (!ctx || !s || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    relay rl = {ctx, s, fn, arg, 0, NULL, 0, false};
    bwi_store_lock(s);
    bw_status st = relay_done(&rl, s->b->ops->signal_get(ctx, s->b, id, relay_row, &rl));
    bwi_store_unlock(s);
    if (st == BW_OK && rl.rows == 0)
        st = bwi_fail(ctx, BW_ERR_NOT_FOUND, "no signal with id %lld", (long long)id);
    return st;
}

BW_API bw_status bw_signal_lookup(bw_ctx *ctx, bw_store *s, bw_signal_type type,
                                  const char *value, bw_signal_fn fn, void *arg)
{
    if (!ctx || !s || !value || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    uint8_t raw[BW_SIGNAL_VALUE_MAX];
    size_t raw_size;
    bw_status st =
        bwi_value_encode(ctx, type, value, strlen(value), raw, &raw_size, NULL, NULL);
    if (st != BW_OK)
        return st;
    relay rl = {ctx, s, fn, arg, 0, NULL, 0, false};
    bwi_store_lock(s);
    st = relay_done(&rl, s->b->ops->signal_lookup(ctx, s->b, type, raw, raw_size, relay_row, &rl));
    bwi_store_unlock(s);
    return st;
}

BW_API bw_status bw_signal_list_quarantined(bw_ctx *ctx, bw_store *s, bw_signal_fn fn,
                                            void *arg)
{
    if (!ctx || !s || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    relay rl = {ctx, s, fn, arg, 0, NULL, 0, false};
    bwi_store_lock(s);
    bw_status st = relay_done(&rl, s->b->ops->quarantined(ctx, s->b, relay_row, &rl));
    bwi_store_unlock(s);
    return st;
}

typedef struct change_relay {
    relay rl;
    int64_t last_seq;
    int64_t last_id;
} change_relay;

static int relay_change(void *arg, const bwi_stored *r)
{
    change_relay *cr = arg;
    cr->last_seq = r->seq;
    cr->last_id = r->id;
    return relay_row(&cr->rl, r);
}

BW_API bw_status bw_store_changes(bw_ctx *ctx, bw_store *s, int64_t after_seq,
                                  int64_t after_id, size_t limit, bw_signal_fn fn,
                                  void *arg, int64_t *last_seq_out, int64_t *last_id_out)
{
    if (!ctx || !s || !fn || limit == 0)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    change_relay cr = {{ctx, s, fn, arg, 0, NULL, 0, false}, after_seq, after_id};
    bwi_store_lock(s);
    bw_status st = relay_done(
        &cr.rl, s->b->ops->changes(ctx, s->b, after_seq, after_id, limit, relay_change, &cr));
    bwi_store_unlock(s);
    if (last_seq_out)
        *last_seq_out = cr.last_seq;
    if (last_id_out)
        *last_id_out = cr.last_id;
    return st;
}

BW_API bw_status bw_store_sequence(bw_ctx *ctx, bw_store *s, int64_t *seq_out)
{
    if (!ctx || !s || !seq_out)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    bwi_store_lock(s);
    bw_status st = s->b->ops->sequence(ctx, s->b, seq_out);
    bwi_store_unlock(s);
    return st;
}

BW_API bw_status bw_store_scan(bw_ctx *ctx, bw_store *s, bw_signal_type type,
                               bw_signal_fn fn, void *arg, int64_t *seq_out)
{
    if (!ctx || !s || !fn)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    relay rl = {ctx, s, fn, arg, 0, NULL, 0, false};
    bwi_store_lock(s);
    /* Fill the bank cache first: a reload inside the scan would start a
     * second read on the same connection. */
    bw_status st = reload_banks(ctx, s);
    if (st == BW_OK)
        st = s->b->ops->scan(ctx, s->b, (int)type, 0, relay_row, &rl, seq_out);
    st = relay_done(&rl, st);
    bwi_store_unlock(s);
    return st;
}

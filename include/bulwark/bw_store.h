/*
 * Bulwark — the bank store: banks of signals (hash lists from NGOs,
 * exchanges and the service itself) in SQLite (one file, the default) or
 * PostgreSQL (shared by several matcher nodes), behind one interface.
 *
 * A bank has a name and a kind: a block list, or an allow list whose matches
 * suppress block matches (known false positives). A signal is a typed,
 * normalised value with a source, the time it was added, optional JSON
 * metadata and an enabled flag. Every change (a bank or signal added,
 * removed, disabled, quarantined) takes a sequence number; matchers follow
 * the sequence to update their in-memory index incrementally.
 *
 * THREAD SAFETY: a bw_store may be used from several threads at once (calls
 * are serialised on its connection); each thread passes its own bw_ctx.
 */
#ifndef BULWARK_BW_STORE_H
#define BULWARK_BW_STORE_H

#include "bw_common.h"
#include "bw_signal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_store bw_store;

/*
 * Opens (and creates or upgrades the schema of) a store: a file path for
 * SQLite, or a "postgres://" / "postgresql://" URI (libpq syntax) for
 * PostgreSQL. A file that is not a Bulwark database fails with
 * BW_ERR_STORAGE and is left untouched.
 */
BW_API bw_status bw_store_open(bw_ctx *ctx, bw_store **store_out,
                               const char *location);

/*
 * As bw_store_open, but a SQLite file that is not there is BW_ERR_NOT_FOUND
 * ("no bank store at PATH") instead of a new, empty store: for tools that
 * read or check a store, where a mistyped path must not pass as an empty
 * one (an audit log with no entries verifies as intact).
 */
BW_API bw_status bw_store_open_existing(bw_ctx *ctx, bw_store **store_out,
                                        const char *location);

/* Closes a store. Accepts NULL. */
BW_API void bw_store_close(bw_store *store);

/* "sqlite" or "postgresql". */
BW_API const char *bw_store_backend(const bw_store *store);

/*
 * SQLite folds its write-ahead log back into the database file inside
 * whichever commit makes the log long enough: tens of milliseconds, with an
 * fsync, for that one writer (the slowest request of bulwarkd's load test,
 * 85 ms, was a match being recorded). A program that writes while it
 * answers requests can move that work to a thread of its own:
 * bw_store_defer_checkpoints turns the automatic checkpoint off for this
 * store, and the program then calls bw_store_checkpoint every second or so,
 * which copies what it can through a connection of its own without taking
 * the store's lock and without waiting for writers. Until it is called the
 * log only grows; other processes that write to the file keep their
 * automatic checkpoints. Call bw_store_defer_checkpoints before the store is
 * shared between threads; bw_store_checkpoint is then safe from any thread.
 * Both do nothing on PostgreSQL.
 */
BW_API bw_status bw_store_defer_checkpoints(bw_ctx *ctx, bw_store *store);
BW_API bw_status bw_store_checkpoint(bw_ctx *ctx, bw_store *store);

typedef enum bw_bank_kind {
    BW_BANK_BLOCK = 1,
    BW_BANK_ALLOW = 2
} bw_bank_kind;

/* "block" or "allow"; "unknown" otherwise. */
BW_API const char *bw_bank_kind_name(bw_bank_kind kind);
/* BW_ERR_PARSE unless name is "block" or "allow". */
BW_API bw_status bw_bank_kind_parse(bw_bank_kind *kind_out, const char *name);

/* Bank names: 1 to 64 characters of letters, digits, '-', '_' and '.'. */
#define BW_BANK_NAME_MAX 64

/*
 * What callbacks receive about a bank or a signal. Pointers inside are valid
 * only during the callback. The library fills these; fields may be appended
 * in later versions, so never allocate one yourself.
 */
typedef struct bw_bank_info {
    int64_t id;
    const char *name;
    bw_bank_kind kind;
    int64_t created_at;           /* Unix seconds */
    uint64_t signal_count;        /* live signals, all types */
    uint64_t count_by_type[8];    /* indexed by bw_signal_type */
    const char *settings;         /* JSON object text, or NULL when none
                                     were set (bw_bank_set_settings) */
} bw_bank_info;

typedef struct bw_signal_info {
    int64_t id;
    int64_t bank_id;
    const char *bank;             /* bank name */
    bw_bank_kind bank_kind;
    bw_signal_type type;
    const char *value;            /* canonical text form */
    const uint8_t *raw;           /* binary form: the bytes of a hash, the
                                     text of a URL; for vPDQ, the SHA-256
                                     that identifies the value */
    size_t raw_size;
    const char *source;           /* may be NULL */
    int64_t added_at;             /* Unix seconds */
    const char *metadata;         /* JSON object text, or NULL */
    int enabled;
    int quarantined;
    int removed;                  /* only in change feeds */
    int64_t seq;                  /* sequence number of its last change */
    const uint8_t *body;          /* vPDQ: the frames, in the store's own
                                     binary form; NULL for other types */
    size_t body_size;
} bw_signal_info;

/* Callbacks return 0 to continue, non-zero to stop the iteration early. */
typedef int (*bw_bank_fn)(void *arg, const bw_bank_info *bank);
typedef int (*bw_signal_fn)(void *arg, const bw_signal_info *signal);

/* Creates a bank. BW_ERR_EXISTS if the name is taken, BW_ERR_PARSE if it is
 * not a valid name. id_out may be NULL. */
BW_API bw_status bw_bank_create(bw_ctx *ctx, bw_store *store, const char *name,
                                bw_bank_kind kind, int64_t *id_out);

/* Deletes a bank and all its signals. BW_ERR_NOT_FOUND if absent. */
BW_API bw_status bw_bank_delete(bw_ctx *ctx, bw_store *store, const char *name);

/*
 * Replaces a bank's settings: a JSON object (stored in compact form) that
 * tells what to store for it, such as the signals bw_bank_add_content()
 * computes; NULL or "" clears them. BW_ERR_PARSE when settings is not a
 * JSON object, BW_ERR_NOT_FOUND when the bank does not exist.
 */
BW_API bw_status bw_bank_set_settings(bw_ctx *ctx, bw_store *store, const char *bank,
                                      const char *settings);

/* Calls fn for every bank, by name. */
BW_API bw_status bw_bank_list(bw_ctx *ctx, bw_store *store, bw_bank_fn fn,
                              void *arg);

/* Calls fn once for the named bank; BW_ERR_NOT_FOUND if absent. */
BW_API bw_status bw_bank_get(bw_ctx *ctx, bw_store *store, const char *name,
                             bw_bank_fn fn, void *arg);

/*
 * Adds one signal; the value is normalised first (BW_ERR_PARSE with the
 * reason on the context if it cannot be). metadata, if not NULL, must be a
 * JSON object. BW_ERR_EXISTS if the bank already holds this value (id_out
 * then receives the existing id). source and id_out may be NULL.
 */
BW_API bw_status bw_signal_add(bw_ctx *ctx, bw_store *store, const char *bank,
                               bw_signal_type type, const char *value,
                               const char *source, const char *metadata,
                               int64_t *id_out);

/* Removes a signal. BW_ERR_NOT_FOUND if it does not exist (or is removed). */
BW_API bw_status bw_signal_remove(bw_ctx *ctx, bw_store *store, int64_t id);

/* Enables or disables a signal (a disabled signal never matches). */
BW_API bw_status bw_signal_set_enabled(bw_ctx *ctx, bw_store *store, int64_t id,
                                       int enabled);

/*
 * Quarantines a signal (its matches are reported but not acted on) or
 * releases it, recording why in the quarantine log.
 */
BW_API bw_status bw_signal_set_quarantined(bw_ctx *ctx, bw_store *store,
                                           int64_t id, int quarantined,
                                           const char *reason);

/* Calls fn for every quarantined live signal. */
BW_API bw_status bw_signal_list_quarantined(bw_ctx *ctx, bw_store *store,
                                            bw_signal_fn fn, void *arg);

/* Calls fn once for a live signal; BW_ERR_NOT_FOUND if absent. */
BW_API bw_status bw_signal_get(bw_ctx *ctx, bw_store *store, int64_t id,
                               bw_signal_fn fn, void *arg);

/* Calls fn for every live signal, in any bank, whose canonical value is
 * exactly `value` (already normalised). */
BW_API bw_status bw_signal_lookup(bw_ctx *ctx, bw_store *store,
                                  bw_signal_type type, const char *value,
                                  bw_signal_fn fn, void *arg);

/*
 * The change feed: every signal changed after position (after_seq,
 * after_id) — added, removed, enabled or disabled, quarantined — oldest
 * first, at most `limit` of them; removed signals come with removed = 1.
 * Signals changed in one transaction share a seq, so a position is a
 * (seq, id) pair: pass back *last_seq_out and *last_id_out to continue, or
 * (seq, INT64_MAX) to start after everything up to seq (the value
 * bw_store_scan and bw_store_sequence give).
 */
BW_API bw_status bw_store_changes(bw_ctx *ctx, bw_store *store, int64_t after_seq,
                                  int64_t after_id, size_t limit, bw_signal_fn fn,
                                  void *arg, int64_t *last_seq_out,
                                  int64_t *last_id_out);

/* The highest sequence number so far (0 for a new store). */
BW_API bw_status bw_store_sequence(bw_ctx *ctx, bw_store *store, int64_t *seq_out);

/* Hash-list formats for import and export. */
typedef enum bw_list_format {
    BW_LIST_LINES = 1, /* "<type> <value>" a line, as HMA and
                          python-threatexchange files hold them */
    BW_LIST_CSV = 2,   /* header "type,value[,metadata][,source][,added_at][,enabled]" */
    BW_LIST_JSONL = 3  /* one JSON object a line with those keys */
} bw_list_format;

/* "lines", "csv", "jsonl". */
BW_API const char *bw_list_format_name(bw_list_format format);
BW_API bw_status bw_list_format_parse(bw_list_format *format_out, const char *name);

/* Reads up to size bytes into buf; returns the count, 0 at the end, or -1
 * on a read error. */
typedef long (*bw_read_fn)(void *arg, void *buf, size_t size);
/* Writes size bytes; returns 0, or non-zero on a write error. */
typedef int (*bw_write_fn)(void *arg, const void *buf, size_t size);
/* A line that was not imported: its number (from 1), why, and its status. */
typedef void (*bw_line_error_fn)(void *arg, uint64_t line, bw_status status,
                                 const char *reason);
/* Called now and then with the number of input bytes consumed. */
typedef void (*bw_progress_fn)(void *arg, uint64_t bytes_done);

typedef struct bw_import_stats {
    uint64_t lines;      /* data lines read (header and blank lines excluded) */
    uint64_t added;      /* new signals stored */
    uint64_t duplicates; /* values the bank already held */
    uint64_t rejected;   /* lines reported through on_error */
} bw_import_stats;

/*
 * Streams a hash list into a bank. Bad lines are reported (line number and
 * reason) and skipped; they never abort the rest. Signals are committed in
 * batches, each batch atomically: after a crash, every committed signal is
 * there and no line is half stored, and importing the same file again adds
 * only what is missing. Fails only when the bank does not exist, the input
 * cannot be read, the database fails, or a CSV file's header does not name
 * its type and value columns (BW_ERR_PARSE, before anything is stored).
 * Callbacks and stats may be NULL.
 */
BW_API bw_status bw_bank_import(bw_ctx *ctx, bw_store *store, const char *bank,
                                bw_list_format format, bw_read_fn read,
                                void *read_arg, bw_line_error_fn on_error,
                                bw_progress_fn on_progress, void *callback_arg,
                                bw_import_stats *stats);

/* Writes every live signal of a bank, ordered by type and value, in a
 * format import reads back to the same bank contents. */
BW_API bw_status bw_bank_export(bw_ctx *ctx, bw_store *store, const char *bank,
                                bw_list_format format, bw_write_fn write,
                                void *write_arg);

/* Calls fn for every live signal of one type in every bank, from one
 * consistent snapshot, and stores that snapshot's sequence in *seq_out (the
 * point to follow changes from). */
BW_API bw_status bw_store_scan(bw_ctx *ctx, bw_store *store, bw_signal_type type,
                               bw_signal_fn fn, void *arg, int64_t *seq_out);

/* ---- the audit log ----------------------------------------------------- */

/*
 * Every change to the store (banks, signals, imports, keys, match events
 * and reviews) appends an entry in the same transaction, naming the
 * context's actor. Each entry carries the SHA-256 of the previous one, so
 * editing or deleting any entry breaks the chain from there on.
 */

typedef struct bw_audit_info {
    int64_t id;
    int64_t at;
    int64_t actor;          /* API key id; 0 for a local caller (bw_ctx_set_actor) */
    const char *action;     /* "bank.create", "signal.add", "match", ... */
    const char *subject;    /* what it acted on */
    const char *details;    /* JSON, or NULL */
    const char *prev_hash;  /* hex SHA-256 of the previous entry */
    const char *hash;       /* hex SHA-256 of this one */
} bw_audit_info;

typedef int (*bw_audit_fn)(void *arg, const bw_audit_info *entry);

/* Appends an entry chained to the previous one. */
BW_API bw_status bw_audit_append(bw_ctx *ctx, bw_store *store, int64_t actor,
                                 const char *action, const char *subject,
                                 const char *details_json);

/* Entries with id > after, oldest first, at most limit. */
BW_API bw_status bw_audit_list(bw_ctx *ctx, bw_store *store, int64_t after,
                               size_t limit, bw_audit_fn fn, void *arg);

/*
 * Recomputes the whole chain. BW_OK when every entry's hash matches its
 * contents and its predecessor; BW_ERR_VERIFY otherwise, with the first
 * bad entry in *bad_out and the reason on the context. *entries_out counts
 * the entries checked. Either pointer may be NULL.
 */
BW_API bw_status bw_audit_verify(bw_ctx *ctx, bw_store *store, uint64_t *entries_out,
                                 int64_t *bad_out);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_STORE_H */

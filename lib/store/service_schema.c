/* The service's tables, created with the store (both backends). */
#include "store_internal.h"

static const char sqlite_schema[] =
    "CREATE TABLE IF NOT EXISTS api_keys (id INTEGER PRIMARY KEY, name TEXT,"
    " role INTEGER NOT NULL, key_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,"
    " rate_per_minute INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
    " revoked_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS match_events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
    " key_id INTEGER NOT NULL, query TEXT NOT NULL, matches TEXT NOT NULL, context TEXT,"
    " top_bank TEXT, best_distance INTEGER NOT NULL, actionable INTEGER NOT NULL,"
    " quarantined INTEGER NOT NULL, status INTEGER NOT NULL, reviewed_at INTEGER NOT NULL"
    " DEFAULT 0, reviewer_key INTEGER NOT NULL DEFAULT 0, note TEXT, media TEXT);"
    "CREATE INDEX IF NOT EXISTS match_events_status ON match_events(status, id);"
    "CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
    " actor INTEGER NOT NULL, action TEXT NOT NULL, subject TEXT, details TEXT,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS webhook_deliveries (id INTEGER PRIMARY KEY, event_id INTEGER"
    " NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt_at INTEGER NOT NULL, state TEXT NOT NULL, last_error TEXT,"
    " claimed_until INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS webhook_due ON webhook_deliveries(state, next_attempt_at);";

/* Nodes starting together take turns (the lock the bank schema uses). */
static const char pg_schema[] =
    "BEGIN; SELECT pg_advisory_xact_lock(7275061);"
    "CREATE TABLE IF NOT EXISTS api_keys (id BIGSERIAL PRIMARY KEY, name TEXT,"
    " role INT NOT NULL, key_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,"
    " rate_per_minute BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL,"
    " revoked_at BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS match_events (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL,"
    " key_id BIGINT NOT NULL, query TEXT NOT NULL, matches TEXT NOT NULL, context TEXT,"
    " top_bank TEXT, best_distance INT NOT NULL, actionable INT NOT NULL,"
    " quarantined INT NOT NULL, status INT NOT NULL, reviewed_at BIGINT NOT NULL DEFAULT 0,"
    " reviewer_key BIGINT NOT NULL DEFAULT 0, note TEXT, media TEXT);"
    "CREATE INDEX IF NOT EXISTS match_events_status ON match_events(status, id);"
    "CREATE TABLE IF NOT EXISTS audit_log (id BIGINT PRIMARY KEY, at BIGINT NOT NULL,"
    " actor BIGINT NOT NULL, action TEXT NOT NULL, subject TEXT, details TEXT,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS webhook_deliveries (id BIGSERIAL PRIMARY KEY, event_id BIGINT"
    " NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL, attempts INT NOT NULL DEFAULT 0,"
    " next_attempt_at BIGINT NOT NULL, state TEXT NOT NULL, last_error TEXT,"
    " claimed_until BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS webhook_due ON webhook_deliveries(state, next_attempt_at);"
    "COMMIT;";

bw_status bwi_service_schema(bw_ctx *ctx, bw_store *store)
{
    return bwi_sql_schema(ctx, store, sqlite_schema, pg_schema);
}

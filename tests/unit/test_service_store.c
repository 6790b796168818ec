/*
 * What the service keeps in the store, on a real SQLite file or PostgreSQL
 * server: API keys (hashed, revocable), match events and reviews (a false
 * positive lands in an allow list and stops matching), the audit chain
 * (verified, and caught when tampered with) and webhook deliveries (claimed
 * once across connections, retried, dead-lettered).
 *   test_service_store sqlite DIR | postgresql
 */
#include <bulwark/bulwark.h>

#include "harness.h"
#include "store/sql.h"
#include "store/store_internal.h"

static bw_ctx *ctx;
static bw_store *store, *other;
static char location[4096];

static int count_rows(void *arg, const bwi_sql_value *cols, int n)
{
    (void)cols, (void)n;
    ++*(int *)arg;
    return 0;
}

typedef struct key_seen {
    int count;
    bw_role role;
    int64_t id, revoked;
    char prefix[16];
} key_seen;

static int see_key(void *arg, const bw_key_info *k)
{
    key_seen *s = arg;
    s->count++;
    s->role = k->role;
    s->id = k->id;
    s->revoked = k->revoked_at;
    snprintf(s->prefix, sizeof s->prefix, "%s", k->prefix);
    return 0;
}

static void keys(void)
{
    char key[BW_KEY_CHARS + 1], key2[BW_KEY_CHARS + 1];
    int64_t id = 0, id2 = 0;
    CHECK_EQ(bw_key_create(ctx, store, BW_ROLE_REVIEWER, "alice", 0, key, sizeof key, &id),
             BW_OK);
    CHECK_EQ(bw_key_create(ctx, store, BW_ROLE_CLIENT, "app", 600, key2, sizeof key2, &id2),
             BW_OK);
    CHECK_EQ(strlen(key), BW_KEY_CHARS);
    CHECK(strcmp(key, key2) != 0);
    CHECK(id > 0 && id2 > id);
    key_seen s = {0};
    CHECK_EQ(bw_key_check(ctx, other, key, see_key, &s), BW_OK);
    CHECK_EQ(s.count, 1);
    CHECK_EQ(s.role, BW_ROLE_REVIEWER);
    CHECK_EQ(s.id, id);
    CHECK(strncmp(key, s.prefix, 12) == 0);
    /* The key itself is nowhere in the store: only its hash. */
    int hits = 0;
    const bwi_sql_value p[] = {BWI_TEXT(key)};
    bwi_store_lock(store);
    CHECK_EQ(bwi_sql(ctx, store,
                     "SELECT id FROM api_keys WHERE key_hash = $1 OR prefix = $1 OR name = $1",
                     p, 1, count_rows, &hits),
             BW_OK);
    bwi_store_unlock(store);
    CHECK_EQ(hits, 0);
    /* Near misses fail. */
    char wrong[BW_KEY_CHARS + 1];
    memcpy(wrong, key, sizeof wrong);
    wrong[20] = wrong[20] == 'A' ? 'B' : 'A';
    CHECK_EQ(bw_key_check(ctx, store, wrong, see_key, &s), BW_ERR_PERMISSION);
    CHECK_EQ(bw_key_check(ctx, store, "", see_key, &s), BW_ERR_PERMISSION);
    CHECK_EQ(bw_key_revoke(ctx, store, id), BW_OK);
    CHECK_EQ(bw_key_check(ctx, other, key, see_key, &s), BW_ERR_PERMISSION);
    CHECK_EQ(bw_key_revoke(ctx, store, id), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_key_check(ctx, store, key2, see_key, &s), BW_OK);
    key_seen all = {0};
    CHECK_EQ(bw_key_list(ctx, store, see_key, &all), BW_OK);
    CHECK_EQ(all.count, 2);
    bw_role r;
    CHECK_EQ(bw_role_parse(&r, "admin"), BW_OK);
    CHECK_EQ(r, BW_ROLE_ADMIN);
    CHECK_EQ(bw_role_parse(&r, "root"), BW_ERR_PARSE);
}

static const char banked_hex[] =
    "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

typedef struct event_seen {
    int count;
    int64_t id;
    bw_review_status status;
    int actionable, quarantined, best;
    char bank[64];
} event_seen;

static int see_event(void *arg, const bw_event_info *e)
{
    event_seen *s = arg;
    if (!s->count) {
        s->id = e->id;
        s->status = e->status;
        s->actionable = e->actionable;
        s->quarantined = e->quarantined;
        s->best = e->best_distance;
        snprintf(s->bank, sizeof s->bank, "%s", e->top_bank ? e->top_bank : "");
    }
    s->count++;
    return 0;
}

/* A query 3 bits from the banked hash, as an upload's hashes. */
static void near_query(char hex[65], char json[256])
{
    uint8_t h[32];
    bw_pdq_from_hex(h, banked_hex, 64);
    h[0] ^= 0x07;
    bw_pdq_to_hex(hex, h);
    snprintf(json, 256, "{\"pdq\":{\"hash\":\"%s\",\"quality\":100},\"md5\":"
                        "\"0123456789abcdef0123456789abcdef\"}", hex);
}

static void events_and_reviews(void)
{
    CHECK_EQ(bw_bank_create(ctx, store, "known", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "known", BW_SIGNAL_PDQ, banked_hex, "t", "{\"case\":7}",
                           NULL),
             BW_OK);
    bw_matcher *m;
    bw_matches *found;
    CHECK_EQ(bw_matcher_create(ctx, &m, store), BW_OK);
    CHECK_EQ(bw_matches_create(&found), BW_OK);
    char hex[65], query[256];
    near_query(hex, query);
    CHECK_EQ(bw_matcher_match_value(ctx, m, found, BW_SIGNAL_PDQ, hex, 31), BW_OK);
    CHECK_EQ(bw_matches_count(found), 1);
    int64_t ev1 = 0, ev2 = 0;
    CHECK_EQ(bw_event_record(ctx, store, 2, query, found, "{\"user\":\"u1\"}", NULL,
                             "http://127.0.0.1:9/hook", &ev1),
             BW_OK);
    CHECK_EQ(bw_event_record(ctx, store, 2, query, found, NULL, NULL, NULL, &ev2), BW_OK);
    CHECK(ev2 > ev1 && ev1 > 0);
    event_seen s = {0};
    CHECK_EQ(bw_event_get(ctx, other, ev1, see_event, &s), BW_OK);
    CHECK_EQ(s.status, BW_REVIEW_PENDING);
    CHECK_EQ(s.actionable, 1);
    CHECK_EQ(s.best, 3);
    CHECK_STR(s.bank, "known");
    event_seen q = {0};
    CHECK_EQ(bw_event_queue(ctx, store, 10, see_event, &q), BW_OK);
    CHECK_EQ(q.count, 2);
    CHECK_EQ(q.id, ev1); /* oldest first */
    CHECK_EQ(bw_event_get(ctx, store, 999999, see_event, &s), BW_ERR_NOT_FOUND);

    CHECK_EQ(bw_event_review(ctx, store, ev1, 5, BW_REVIEW_CONFIRMED, "seen", NULL), BW_OK);
    CHECK_EQ(bw_event_review(ctx, store, ev1, 5, BW_REVIEW_FALSE_POSITIVE, NULL, "fp"),
             BW_ERR_EXISTS);
    CHECK_EQ(bw_event_review(ctx, store, ev2, 5, BW_REVIEW_FALSE_POSITIVE, NULL, "bad name!"),
             BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_event_review(ctx, store, ev2, 5, BW_REVIEW_ESCALATED, "ask", NULL), BW_OK);
    CHECK_EQ(bw_event_review(ctx, store, ev2, 6, BW_REVIEW_FALSE_POSITIVE, "benign", "fp"),
             BW_OK);
    event_seen c = {0};
    CHECK_EQ(bw_event_list(ctx, store, BW_REVIEW_CONFIRMED, 0, 10, see_event, &c), BW_OK);
    CHECK_EQ(c.count, 1);
    CHECK_EQ(c.id, ev1);

    /* The false positive's hashes are now allow-listed: the same upload
     * (and the banked hash near it) is suppressed, no longer actionable. */
    CHECK_EQ(bw_matcher_refresh(ctx, m, NULL), BW_OK);
    CHECK_EQ(bw_matcher_match_value(ctx, m, found, BW_SIGNAL_PDQ, hex, 31), BW_OK);
    CHECK_EQ(bw_matches_count(found), 2);
    CHECK_EQ(bw_matches_actionable(found), 0);
    CHECK_EQ(bw_matcher_match_value(ctx, m, found, BW_SIGNAL_MD5,
                                    "0123456789abcdef0123456789abcdef", 0),
             BW_OK);
    CHECK_EQ(bw_matches_count(found), 1);
    int64_t ev3 = 0;
    CHECK_EQ(bw_matcher_match_value(ctx, m, found, BW_SIGNAL_PDQ, hex, 31), BW_OK);
    CHECK_EQ(bw_event_record(ctx, store, 2, query, found, NULL, NULL, NULL, &ev3), BW_OK);
    event_seen n = {0};
    CHECK_EQ(bw_event_get(ctx, store, ev3, see_event, &n), BW_OK);
    CHECK_EQ(n.status, BW_REVIEW_NOT_NEEDED);
    bw_matches_free(found);
    bw_matcher_free(m);
}

typedef struct audit_seen {
    int count;
    int matches, reviews, keys;
    int by_42; /* changes made with actor 42 */
} audit_seen;

static int see_audit(void *arg, const bw_audit_info *e)
{
    audit_seen *s = arg;
    s->count++;
    s->matches += !strcmp(e->action, "match");
    s->reviews += !strncmp(e->action, "review.", 7);
    s->keys += !strncmp(e->action, "key.", 4);
    s->by_42 += e->actor == 42;
    return 0;
}

static void audit_chain(void)
{
    /* Bank changes are audited in their own transaction, naming the actor. */
    bw_ctx_set_actor(ctx, 42);
    int64_t sid = 0;
    CHECK_EQ(bw_bank_create(ctx, store, "audited", BW_BANK_BLOCK, NULL), BW_OK);
    CHECK_EQ(bw_signal_add(ctx, store, "audited", BW_SIGNAL_MD5,
                           "00112233445566778899aabbccddeeff", NULL, NULL, &sid),
             BW_OK);
    CHECK_EQ(bw_signal_set_enabled(ctx, store, sid, 0), BW_OK);
    CHECK_EQ(bw_bank_delete(ctx, store, "audited"), BW_OK);
    bw_ctx_set_actor(ctx, 0);
    audit_seen s = {0};
    CHECK_EQ(bw_audit_list(ctx, store, 0, 1000, see_audit, &s), BW_OK);
    CHECK_EQ(s.by_42, 4);
    CHECK_EQ(s.matches, 3);
    CHECK_EQ(s.reviews, 3);
    CHECK_EQ(s.keys, 3);
    CHECK_EQ(bw_audit_append(ctx, other, 4, "bank.create", "bank:x", "{\"kind\":\"block\"}"),
             BW_OK);
    uint64_t n = 0;
    int64_t bad = -1;
    CHECK_EQ(bw_audit_verify(ctx, store, &n, &bad), BW_OK);
    CHECK_EQ(n, (uint64_t)s.count + 1);
    CHECK_EQ(bad, 0);
    /* Editing an old entry's details is caught at that entry. */
    bwi_store_lock(store);
    CHECK_EQ(bwi_sql(ctx, store, "UPDATE audit_log SET details = '{}' WHERE id = 2", NULL, 0,
                     NULL, NULL),
             BW_OK);
    bwi_store_unlock(store);
    CHECK_EQ(bw_audit_verify(ctx, store, &n, &bad), BW_ERR_VERIFY);
    CHECK_EQ(bad, 2);
    /* Deleting the edited entry is caught too (a gap in the chain). */
    bwi_store_lock(store);
    CHECK_EQ(bwi_sql(ctx, store, "DELETE FROM audit_log WHERE id = 2", NULL, 0, NULL, NULL),
             BW_OK);
    bwi_store_unlock(store);
    CHECK_EQ(bw_audit_verify(ctx, store, &n, &bad), BW_ERR_VERIFY);
    CHECK_EQ(bad, 3);
}

typedef struct deliveries_seen {
    int count;
    int64_t id;
    int attempts;
    char body[1024];
} deliveries_seen;

static int see_delivery(void *arg, const bw_delivery_info *d)
{
    deliveries_seen *s = arg;
    s->count++;
    s->id = d->id;
    s->attempts = d->attempts;
    snprintf(s->body, sizeof s->body, "%s", d->body);
    return 0;
}

static void deliveries(void)
{
    deliveries_seen a = {0}, b = {0};
    CHECK_EQ(bw_delivery_due(ctx, store, 10, see_delivery, &a), BW_OK);
    CHECK_EQ(a.count, 1); /* only the first event had a webhook */
    CHECK(strstr(a.body, "\"user\":\"u1\"") != NULL);
    CHECK(strstr(a.body, "\"bank\":\"known\"") != NULL);
    /* Claimed: another node does not get it again. */
    CHECK_EQ(bw_delivery_due(ctx, other, 10, see_delivery, &b), BW_OK);
    CHECK_EQ(b.count, 0);
    /* Handed back by a stopping node: the other gets it at once, no attempt
     * counted. */
    CHECK_EQ(bw_delivery_release(ctx, store, a.id), BW_OK);
    deliveries_seen back = {0};
    CHECK_EQ(bw_delivery_due(ctx, other, 10, see_delivery, &back), BW_OK);
    CHECK_EQ(back.count, 1);
    CHECK(back.id == a.id);
    CHECK_EQ(back.attempts, 0);
    CHECK_EQ(bw_delivery_result(ctx, store, a.id, 0, "connection refused", 0, 2), BW_OK);
    deliveries_seen c = {0};
    CHECK_EQ(bw_delivery_due(ctx, other, 10, see_delivery, &c), BW_OK);
    CHECK_EQ(c.count, 1);
    CHECK_EQ(c.attempts, 1);
    CHECK_EQ(bw_delivery_result(ctx, other, c.id, 0, "HTTP 500", 0, 2), BW_OK);
    deliveries_seen dead = {0}, none = {0};
    CHECK_EQ(bw_delivery_list(ctx, store, "dead", 10, see_delivery, &dead), BW_OK);
    CHECK_EQ(dead.count, 1);
    CHECK_EQ(dead.attempts, 2);
    CHECK_EQ(bw_delivery_due(ctx, store, 10, see_delivery, &none), BW_OK);
    CHECK_EQ(none.count, 0);
    CHECK_EQ(bw_delivery_result(ctx, store, 424242, 1, NULL, 0, 2), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_delivery_release(ctx, store, 424242), BW_ERR_NOT_FOUND);
    CHECK_EQ(bw_delivery_release(ctx, store, a.id), BW_ERR_NOT_FOUND); /* dead */
    /* The signature is HMAC-SHA256 (RFC 4231 test case 2). */
    char sig[72];
    bw_webhook_signature(sig, "Jefe", "what do ya want for nothing?", 28);
    CHECK_STR(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* The SQLite backend keeps statements prepared between calls; a row
 * callback that runs the same statement again must get one of its own, a
 * statement must forget its parameters once given back, and evicting
 * statements from the cache must not mix them up. */
typedef struct nested {
    int rows, inner_rows;
} nested;

static int nested_row(void *arg, const bwi_sql_value *cols, int n)
{
    (void)cols, (void)n;
    nested *x = arg;
    x->rows++;
    int inner = 0;
    CHECK_EQ(bwi_sql(ctx, store, "SELECT 1 UNION ALL SELECT 2", NULL, 0, count_rows, &inner),
             BW_OK);
    x->inner_rows += inner;
    return 0;
}

static void statements_reused(void)
{
    nested x = {0, 0};
    CHECK_EQ(bwi_sql(ctx, store, "SELECT 1 UNION ALL SELECT 2", NULL, 0, nested_row, &x),
             BW_OK);
    CHECK_EQ(x.rows, 2);
    CHECK_EQ(x.inner_rows, 4);
    int again = 0;
    CHECK_EQ(bwi_sql(ctx, store, "SELECT 1 UNION ALL SELECT 2", NULL, 0, count_rows, &again),
             BW_OK);
    CHECK_EQ(again, 2);
    /* More distinct statements than the cache holds, twice, in both orders. */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 80; i++) {
            const int k = round ? 79 - i : i;
            char sql[64];
            snprintf(sql, sizeof sql, "SELECT %d + $1", k);
            const bwi_sql_value p[] = {BWI_INT(1000)};
            int64_t got = -1;
            CHECK_EQ(bwi_sql(ctx, store, sql, p, 1, bwi_sql_take_int, &got), BW_OK);
            CHECK_EQ(got, 1000 + k);
        }
    if (!bwi_sql_is_postgresql(store)) {
        /* A parameter left unbound reads NULL, not the last call's value. */
        const bwi_sql_value p[] = {BWI_TEXT("set")};
        int64_t is_null = -1;
        CHECK_EQ(bwi_sql(ctx, store, "SELECT $1 IS NULL", p, 1, bwi_sql_take_int, &is_null),
                 BW_OK);
        CHECK_EQ(is_null, 0);
        CHECK_EQ(bwi_sql(ctx, store, "SELECT $1 IS NULL", NULL, 0, bwi_sql_take_int, &is_null),
                 BW_OK);
        CHECK_EQ(is_null, 1);
    }
    /* A failed statement leaves the cached one usable. */
    CHECK(bwi_sql(ctx, store, "SELECT * FROM no_such_table", NULL, 0, NULL, NULL) != BW_OK);
    again = 0;
    CHECK_EQ(bwi_sql(ctx, store, "SELECT 1 UNION ALL SELECT 2", NULL, 0, count_rows, &again),
             BW_OK);
    CHECK_EQ(again, 2);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (!bwt_store_location(location, sizeof location, argv[1], argc > 2 ? argv[2] : NULL,
                            "test-service")) {
        printf("SKIP: BW_TEST_PG_URI not set (run through tests/pg/with-postgres.sh)\n");
        return BWT_SKIP;
    }
    bw_ctx_create(&ctx);
    if (bw_store_open(ctx, &store, location) != BW_OK ||
        bw_store_open(ctx, &other, location) != BW_OK) {
        fprintf(stderr, "%s\n", bw_ctx_message(ctx));
        return 1;
    }
    RUN(keys);
    RUN(events_and_reviews);
    RUN(audit_chain);
    RUN(deliveries);
    RUN(statements_reused);
    bw_store_close(store);
    bw_store_close(other);
    bw_ctx_free(ctx);
    if (strcmp(argv[1], "postgresql") != 0)
        bwt_remove_sqlite(location);
    return BWT_RESULT();
}

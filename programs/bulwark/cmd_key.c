/* bulwark key and bulwark audit: API keys for bulwarkd, and the audit log. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static void key_usage(FILE *f)
{
    fputs("Usage: bulwark key COMMAND [--db PATH|postgres://...]\n"
          "\n"
          "Commands:\n"
          "  create --role admin|reviewer|client [--name TEXT] [--rate N]\n"
          "                  a new API key, printed alone on stdout (it is stored\n"
          "                  hashed and cannot be shown again); --rate limits it to\n"
          "                  N requests a minute on each node (default: the\n"
          "                  service's rate_per_minute)\n"
          "  list [--json]   every key: id, role, name, first characters, state\n"
          "  revoke ID...    keys stop working (at once on the node that revokes\n"
          "                  through the API; within key_cache_seconds elsewhere)\n"
          "\n"
          "Use the same --db as bulwarkd. --db defaults to $BULWARK_DB, else\n"
          "~/.local/share/bulwark/bulwark.db.\n",
          f);
}

static void audit_usage(FILE *f)
{
    fputs("Usage: bulwark audit COMMAND [--db PATH|postgres://...]\n"
          "\n"
          "Commands:\n"
          "  verify          recompute the hash chain; exit 0 when intact, 1 with the\n"
          "                  first bad entry when any entry was edited or removed\n"
          "  list [--after ID] [--limit N] [--json]\n"
          "                  entries, oldest first\n",
          f);
}

typedef struct key_opts {
    const char *db, *role, *name;
    long long rate, after, limit;
    bool json;
} key_opts;

static int parse(int argc, char **argv, key_opts *o, void (*usage)(FILE *))
{
    enum { OPT_DB = 256, OPT_ROLE, OPT_NAME, OPT_RATE, OPT_JSON, OPT_AFTER, OPT_LIMIT };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},     {"role", required_argument, NULL, OPT_ROLE},
        {"name", required_argument, NULL, OPT_NAME}, {"rate", required_argument, NULL, OPT_RATE},
        {"json", no_argument, NULL, OPT_JSON},       {"after", required_argument, NULL, OPT_AFTER},
        {"limit", required_argument, NULL, OPT_LIMIT}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case OPT_DB: o->db = optarg; break;
        case OPT_ROLE: o->role = optarg; break;
        case OPT_NAME: o->name = optarg; break;
        case OPT_JSON: o->json = true; break;
        case OPT_RATE:
        case OPT_AFTER:
        case OPT_LIMIT: {
            const long long v = strtoll(optarg, &end, 10);
            if (*end || v < 0 || v > 100000000) {
                cli_error("--%s needs a non-negative number", c == OPT_RATE    ? "rate"
                                                              : c == OPT_AFTER ? "after"
                                                                               : "limit");
                return -2;
            }
            *(c == OPT_RATE ? &o->rate : c == OPT_AFTER ? &o->after : &o->limit) = v;
            break;
        }
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return -2;
        }
    }
    return optind;
}

static int print_key(void *arg, const bw_key_info *k)
{
    const bool json = *(const bool *)arg;
    if (json) {
        cli_buf out = {0};
        cli_buf_printf(&out, "{\"id\":%lld,\"role\":\"%s\",\"name\":", (long long)k->id,
                       bw_role_name(k->role));
        cli_buf_json_string(&out, k->name ? k->name : "");
        cli_buf_printf(&out, ",\"prefix\":\"%s\",\"rate_per_minute\":%u,\"created_at\":%lld,"
                             "\"revoked_at\":%lld}\n",
                       k->prefix, k->rate_per_minute, (long long)k->created_at,
                       (long long)k->revoked_at);
        fputs(out.data, stdout);
        cli_buf_free(&out);
        return 0;
    }
    char when[32] = "";
    const time_t t = (time_t)k->created_at;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    char shown[64];
    snprintf(shown, sizeof shown, "%s...", k->prefix);
    printf("%-6lld %-8s %-17s %-16s  %s%s\n", (long long)k->id, bw_role_name(k->role), shown,
           when, k->name ? k->name : "", k->revoked_at ? "  (revoked)" : "");
    return 0;
}

int cmd_key(int argc, char **argv)
{
    key_opts o = {0};
    const int first = parse(argc, argv, &o, key_usage);
    if (first < 0)
        return first == -1 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (first >= argc) {
        key_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *what = argv[first];
    bw_role role = BW_ROLE_CLIENT;
    if (!strcmp(what, "create") && (!o.role || bw_role_parse(&role, o.role) != BW_OK)) {
        cli_error("key create needs --role admin, reviewer or client");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(what, "create") && strcmp(what, "list") && strcmp(what, "revoke")) {
        cli_error("unknown key command '%s'", what);
        key_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    bw_ctx *ctx;
    if (bw_ctx_create(&ctx) != BW_OK)
        return CLI_EXIT_FAILED;
    bw_store *store = cli_open_store(ctx, o.db, !strcmp(what, "create"));
    int rc = store ? CLI_EXIT_OK : CLI_EXIT_FAILED;
    if (store && !strcmp(what, "create")) {
        char key[BW_KEY_CHARS + 1];
        int64_t id = 0;
        if (bw_key_create(ctx, store, role, o.name, (uint32_t)o.rate, key, sizeof key, &id) !=
            BW_OK) {
            cli_error("%s", bw_ctx_message(ctx));
            rc = CLI_EXIT_FAILED;
        } else {
            puts(key);
            fprintf(stderr, "bulwark: created %s key %lld; keep it safe, it is not shown"
                            " again\n", bw_role_name(role), (long long)id);
        }
    } else if (store && !strcmp(what, "list")) {
        if (bw_key_list(ctx, store, print_key, &o.json) != BW_OK) {
            cli_error("%s", bw_ctx_message(ctx));
            rc = CLI_EXIT_FAILED;
        }
    } else if (store) {
        if (first + 1 >= argc) {
            cli_error("key revoke needs the ids of the keys to revoke");
            rc = CLI_EXIT_USAGE;
        }
        for (int i = first + 1; i < argc; i++) {
            char *end;
            const long long id = strtoll(argv[i], &end, 10);
            if (*end || id <= 0 || bw_key_revoke(ctx, store, id) != BW_OK) {
                cli_error("%s: %s", argv[i], *end || id <= 0 ? "not a key id"
                                                               : bw_ctx_message(ctx));
                rc = CLI_EXIT_FAILED;
            }
        }
    }
    bw_store_close(store);
    bw_ctx_free(ctx);
    return rc;
}

static int print_entry(void *arg, const bw_audit_info *e)
{
    const bool json = *(const bool *)arg;
    if (json) {
        cli_buf out = {0};
        cli_buf_printf(&out, "{\"id\":%lld,\"at\":%lld,\"actor\":%lld,\"action\":",
                       (long long)e->id, (long long)e->at, (long long)e->actor);
        cli_buf_json_string(&out, e->action);
        cli_buf_puts(&out, ",\"subject\":");
        cli_buf_json_string(&out, e->subject ? e->subject : "");
        cli_buf_printf(&out, ",\"details\":%s,\"hash\":\"%s\"}\n",
                       e->details ? e->details : "null", e->hash);
        fputs(out.data, stdout);
        cli_buf_free(&out);
    } else {
        printf("%lld\t%lld\tactor %lld\t%s\t%s\t%s\n", (long long)e->id, (long long)e->at,
               (long long)e->actor, e->action, e->subject ? e->subject : "",
               e->details ? e->details : "");
    }
    return 0;
}

int cmd_audit(int argc, char **argv)
{
    key_opts o = {.limit = 1000};
    const int first = parse(argc, argv, &o, audit_usage);
    if (first < 0)
        return first == -1 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (first >= argc || (strcmp(argv[first], "verify") && strcmp(argv[first], "list"))) {
        audit_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    bw_ctx *ctx;
    if (bw_ctx_create(&ctx) != BW_OK)
        return CLI_EXIT_FAILED;
    bw_store *store = cli_open_store(ctx, o.db, false);
    int rc = store ? CLI_EXIT_OK : CLI_EXIT_FAILED;
    if (store && !strcmp(argv[first], "verify")) {
        uint64_t entries = 0;
        int64_t bad = 0;
        const bw_status st = bw_audit_verify(ctx, store, &entries, &bad);
        if (st == BW_OK) {
            printf("audit log intact: %llu entries\n", (unsigned long long)entries);
        } else {
            cli_error("%s", bw_ctx_message(ctx));
            rc = CLI_EXIT_FAILED;
        }
    } else if (store) {
        if (bw_audit_list(ctx, store, o.after, (size_t)(o.limit ? o.limit : 1000), print_entry,
                          &o.json) != BW_OK) {
            cli_error("%s", bw_ctx_message(ctx));
            rc = CLI_EXIT_FAILED;
        }
    }
    bw_store_close(store);
    bw_ctx_free(ctx);
    return rc;
}

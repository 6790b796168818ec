/*
 * The route table: method, path, who may call it, what body it takes, and
 * whether it runs on the worker pool. docs/openapi.yaml describes the same
 * routes and a test checks the two agree.
 */
#include <string.h>

#include "bulwarkd.h"

#define ANYONE 0
#define CLIENTS ((1u << BW_ROLE_CLIENT) | (1u << BW_ROLE_REVIEWER) | (1u << BW_ROLE_ADMIN))
#define REVIEWERS ((1u << BW_ROLE_REVIEWER) | (1u << BW_ROLE_ADMIN))
#define ADMINS (1u << BW_ROLE_ADMIN)

#define ROUTE(m, p, roles, body, worker, fn) {m, p, roles, body, worker, fn, p}

/* First match wins: fixed segments ("queue") come before "{}". */
const bwd_route bwd_routes[] = {
    ROUTE("GET", "/healthz", ANYONE, BWD_BODY_NONE, false, bwd_api_health),
    ROUTE("GET", "/readyz", ANYONE, BWD_BODY_NONE, false, bwd_api_ready),
    ROUTE("GET", "/metrics", ADMINS, BWD_BODY_NONE, false, bwd_api_metrics),
    ROUTE("POST", "/v1/hash", CLIENTS, BWD_BODY_MEDIA, true, bwd_api_hash),
    ROUTE("POST", "/v1/match", CLIENTS, BWD_BODY_MEDIA, true, bwd_api_match),
    ROUTE("POST", "/v1/match/hashes", CLIENTS, BWD_BODY_JSON, false, bwd_api_match_hashes),
    ROUTE("GET", "/v1/banks", REVIEWERS, BWD_BODY_NONE, false, bwd_api_banks_list),
    ROUTE("POST", "/v1/banks", ADMINS, BWD_BODY_JSON, false, bwd_api_bank_create),
    ROUTE("GET", "/v1/banks/{}", REVIEWERS, BWD_BODY_NONE, false, bwd_api_bank_get),
    ROUTE("PATCH", "/v1/banks/{}", ADMINS, BWD_BODY_JSON, false, bwd_api_bank_update),
    ROUTE("DELETE", "/v1/banks/{}", ADMINS, BWD_BODY_NONE, false, bwd_api_bank_delete),
    ROUTE("POST", "/v1/banks/{}/signals", ADMINS, BWD_BODY_JSON, false, bwd_api_signal_add),
    ROUTE("GET", "/v1/banks/{}/signals/{}", REVIEWERS, BWD_BODY_NONE, false,
          bwd_api_signal_get),
    ROUTE("PATCH", "/v1/banks/{}/signals/{}", ADMINS, BWD_BODY_JSON, false,
          bwd_api_signal_update),
    ROUTE("DELETE", "/v1/banks/{}/signals/{}", ADMINS, BWD_BODY_NONE, false,
          bwd_api_signal_delete),
    ROUTE("POST", "/v1/banks/{}/content", ADMINS, BWD_BODY_MEDIA, true, bwd_api_bank_content),
    ROUTE("POST", "/v1/banks/{}/import", ADMINS, BWD_BODY_LIST, true, bwd_api_bank_import),
    ROUTE("GET", "/v1/banks/{}/export", ADMINS, BWD_BODY_NONE, true, bwd_api_bank_export),
    ROUTE("GET", "/v1/matches", REVIEWERS, BWD_BODY_NONE, false, bwd_api_events_list),
    ROUTE("GET", "/v1/matches/queue", REVIEWERS, BWD_BODY_NONE, false, bwd_api_events_queue),
    ROUTE("GET", "/v1/matches/{}", REVIEWERS, BWD_BODY_NONE, false, bwd_api_event_get),
    ROUTE("POST", "/v1/matches/{}/review", REVIEWERS, BWD_BODY_JSON, false,
          bwd_api_event_review),
    ROUTE("GET", "/v1/quarantine", REVIEWERS, BWD_BODY_NONE, false, bwd_api_quarantine_list),
    ROUTE("POST", "/v1/quarantine/{}/release", ADMINS, BWD_BODY_NONE, false,
          bwd_api_quarantine_release),
    ROUTE("GET", "/v1/keys", ADMINS, BWD_BODY_NONE, false, bwd_api_keys_list),
    ROUTE("POST", "/v1/keys", ADMINS, BWD_BODY_JSON, false, bwd_api_key_create),
    ROUTE("DELETE", "/v1/keys/{}", ADMINS, BWD_BODY_NONE, false, bwd_api_key_revoke),
    ROUTE("GET", "/v1/audit", ADMINS, BWD_BODY_NONE, false, bwd_api_audit_list),
    ROUTE("GET", "/v1/audit/verify", ADMINS, BWD_BODY_NONE, true, bwd_api_audit_verify),
    ROUTE("GET", "/v1/webhooks/deliveries", ADMINS, BWD_BODY_NONE, false,
          bwd_api_deliveries_list),
    ROUTE("GET", "/v1/config", ADMINS, BWD_BODY_NONE, false, bwd_api_config),
    BWD_DEVICE_ROUTES(CLIENTS),
    /* Review: the page (its files hold no data; everything it shows comes
     * from the API with a key), media, reports, statistics. */
    ROUTE("GET", "/review", ANYONE, BWD_BODY_NONE, false, bwd_web_page),
    ROUTE("GET", "/review/{}", ANYONE, BWD_BODY_NONE, false, bwd_web_asset),
    ROUTE("GET", "/v1/whoami", CLIENTS, BWD_BODY_NONE, false, bwd_api_whoami),
    ROUTE("GET", "/v1/matches/{}/media", REVIEWERS, BWD_BODY_NONE, true, bwd_api_event_media),
    ROUTE("POST", "/v1/matches/{}/media/reveal", REVIEWERS, BWD_BODY_NONE, false,
          bwd_api_event_media_reveal),
    ROUTE("GET", "/v1/reports/{}", REVIEWERS, BWD_BODY_NONE, false, bwd_api_report),
    ROUTE("GET", "/v1/stats", REVIEWERS, BWD_BODY_NONE, false, bwd_api_stats),
    ROUTE("GET", "/v1/stats/charts/{}", REVIEWERS, BWD_BODY_NONE, false, bwd_api_stats_chart),
};
const size_t bwd_route_count = sizeof bwd_routes / sizeof bwd_routes[0];

/* Whether path fits pattern, capturing each "{}" segment. */
static bool fits(const char *pattern, const char *path, char params[][256])
{
    int n = 0;
    while (*pattern && *path) {
        if (pattern[0] == '{' && pattern[1] == '}') {
            const size_t len = strcspn(path, "/");
            if (!len || len >= 256 || n >= BWD_MAX_PARAMS)
                return false;
            memcpy(params[n], path, len);
            params[n++][len] = '\0';
            path += len;
            pattern += 2;
        } else if (*pattern++ != *path++) {
            return false;
        }
    }
    return !*pattern && (!*path || !strcmp(path, "/"));
}

int bwd_route_find(const char *method, const char *path, char params[][256])
{
    int other_method = -1;
    for (size_t i = 0; i < bwd_route_count; i++) {
        char got[BWD_MAX_PARAMS][256];
        if (!fits(bwd_routes[i].pattern, path, got))
            continue;
        if (strcmp(bwd_routes[i].method, method) != 0) {
            if (other_method < 0)
                other_method = (int)i;
            continue;
        }
        memcpy(params, got, sizeof got);
        return (int)i;
    }
    return other_method >= 0 ? -2 - other_method : -1;
}

void bwd_route_allow(const char *path, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < bwd_route_count; i++) {
        char got[BWD_MAX_PARAMS][256];
        if (fits(bwd_routes[i].pattern, path, got) && !strstr(out, bwd_routes[i].method))
            n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s", n ? ", " : "",
                                  bwd_routes[i].method);
    }
}

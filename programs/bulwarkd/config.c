/*
 * Configuration: defaults, a KEY = VALUE file, and --long-options with the
 * same names. One table drives all three and --help, so they cannot drift.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulwarkd.h"

typedef enum opt_kind { OPT_STR, OPT_UINT, OPT_U64, OPT_INT, OPT_I64, OPT_BOOL, OPT_DOUBLE } opt_kind;

typedef struct opt {
    const char *name;
    opt_kind kind;
    size_t offset;
    size_t size; /* strings: buffer size */
    const char *help;
    bool secret;
    const char *choices; /* strings: the values allowed, '|'-separated (NULL: any) */
} opt;

#define STR(f, h) {#f, OPT_STR, offsetof(bwd_config, f), sizeof(((bwd_config *)0)->f), h, false, NULL}
#define NUM(f, k, h) {#f, k, offsetof(bwd_config, f), 0, h, false, NULL}
#define CHOICE(f, c, h) \
    {#f, OPT_STR, offsetof(bwd_config, f), sizeof(((bwd_config *)0)->f), h, false, c}

static const opt opts[] = {
    STR(db, "bank store: a SQLite file path, or postgres://... shared by several nodes"),
    STR(listen, "address to serve on, HOST:PORT"),
    STR(tls_cert, "PEM certificate: serve HTTPS directly (else plain HTTP, for a proxy)"),
    STR(tls_key, "PEM private key for tls_cert"),
    NUM(http_threads, OPT_UINT, "HTTP event threads (0: one per core)"),
    NUM(workers, OPT_UINT, "threads decoding uploads and streaming lists (0: one per core)"),
    NUM(queue, OPT_UINT, "uploads that may wait for a worker; beyond that, 503"),
    NUM(max_connections, OPT_UINT, "open connections at most"),
    NUM(per_ip_connections, OPT_UINT, "open connections per client address (0: no limit)"),
    NUM(idle_timeout, OPT_UINT, "seconds a connection may stay silent"),
    NUM(request_timeout, OPT_UINT, "seconds a client may take to send a request body"),
    NUM(header_bytes, OPT_U64, "bytes per connection for the request line and headers"),
    NUM(max_json_bytes, OPT_U64, "largest JSON body"),
    NUM(max_media_bytes, OPT_U64, "largest upload"),
    NUM(max_import_bytes, OPT_U64, "largest hash list imported in one request"),
    NUM(max_pixels, OPT_U64, "largest image, in pixels"),
    NUM(decode_ms, OPT_UINT, "milliseconds one upload may take to decode (0: no limit)"),
    NUM(batch_max, OPT_UINT, "signals in one /v1/match/hashes request"),
    NUM(threshold, OPT_INT, "PDQ Hamming distance that counts as a match (0..256)"),
    CHOICE(match_mode, BW_PDQ_MODE_NAMES,
           "/v1/match without ?mode=: plain, dihedral, standard or robust (docs/quality.md)"),
    NUM(dihedral, OPT_BOOL, "/v1/hash also returns the 8 rotation and mirror PDQ hashes"),
    NUM(rate_per_minute, OPT_UINT, "requests per minute per key, unless the key says (0: none)"),
    NUM(key_cache_seconds, OPT_UINT, "how long a checked key is trusted before asking the store"),
    NUM(refresh_ms, OPT_UINT, "how often to apply bank changes made elsewhere (jittered)"),
    STR(allow_bank, "allow-list bank that reviewers' false positives are added to"),
    STR(webhook_url, "URL called (POST, HMAC-signed JSON) for each match to review"),
    {"webhook_secret", OPT_STR, offsetof(bwd_config, webhook_secret),
     sizeof(((bwd_config *)0)->webhook_secret), "HMAC-SHA256 key for X-Bulwark-Signature", true,
     NULL},
    NUM(webhook_attempts, OPT_UINT, "attempts before a delivery becomes a dead letter"),
    NUM(webhook_timeout, OPT_UINT, "seconds per webhook attempt (at most 55)"),
    NUM(metrics_public, OPT_BOOL, "serve /metrics without a key (for a private scrape network)"),
    NUM(shutdown_grace, OPT_UINT, "seconds in-flight requests get to finish on SIGTERM"),
    CHOICE(log_level, "debug|info|warn|error", "debug, info, warn or error"),
    NUM(flood_window, OPT_I64, "flood quarantine window in seconds (0: off)"),
    NUM(flood_min, OPT_UINT, "distinct uploads a signal must match in a window to be suspect"),
    NUM(flood_factor, OPT_DOUBLE, "times its usual rate a signal must match to be quarantined"),
    NUM(max_video_bytes, OPT_U64, "largest video upload (spooled to an unnamed temporary file)"),
    STR(spool_dir, "directory for spooled videos and lists (files there never have a name)"),
    NUM(video_max_seconds, OPT_UINT, "longest video, in seconds"),
    NUM(video_max_frames, OPT_U64, "most frames decoded from one video"),
    NUM(video_decode_ms, OPT_UINT, "milliseconds one video may take to decode and hash"),
    NUM(video_seconds_per_hash, OPT_DOUBLE, "vPDQ: hash one frame every S seconds (0: all)"),
    NUM(vpdq_quality, OPT_INT, "vPDQ frames under this quality take no part in matching"),
    NUM(vpdq_query_percent, OPT_DOUBLE, "share of an upload's frames a banked video must match"),
    NUM(vpdq_compared_percent, OPT_DOUBLE, "share of a banked video's frames that must match"),
    STR(psm_key, "file with the private-set-membership key (bulwark snapshot psm-keygen)"),
    NUM(psm_per_minute, OPT_UINT, "PSM evaluations per minute per key (0: no limit)"),
    NUM(psm_batch_max, OPT_UINT, "blinded elements in one /v1/device/psm request"),
    STR(self_report_bank, "block bank that self-reported hashes are filed in, counted in"
                          " /v1/stats (empty: self-reports off)"),
    NUM(retain_media, OPT_BOOL, "keep matched uploads, encrypted, for reviewers (off: record"
                                " the match without its content)"),
    STR(media_dir, "directory of retained media (sealed files, mode 0600)"),
    STR(media_key_file, "32-byte key sealing retained media (mode 0600; head -c 32"
                        " /dev/urandom)"),
    NUM(retention_days, OPT_UINT, "days retained media is kept before it is deleted"),
    STR(reporter_file, "JSON naming who reports (first_name, last_name, email, phone,"
                       " organisation, legal_url)"),
};

void bwd_config_defaults(bwd_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->db, sizeof c->db, "bulwark.db");
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    c->queue = 64;
    c->max_connections = 1024;
    c->idle_timeout = 30;
    c->request_timeout = 120;
    c->header_bytes = 16 * 1024;
    c->max_json_bytes = 8u << 20;
    c->max_media_bytes = 64u << 20;
    c->max_import_bytes = 4ull << 30;
    c->max_pixels = 100000000;
    c->decode_ms = 5000;
    c->batch_max = 1000;
    c->threshold = BW_PDQ_DEFAULT_THRESHOLD;
    snprintf(c->match_mode, sizeof c->match_mode, "standard");
    c->rate_per_minute = 0;
    c->key_cache_seconds = 5;
    c->refresh_ms = 250;
    snprintf(c->allow_bank, sizeof c->allow_bank, "false-positives");
    c->webhook_attempts = 8;
    c->webhook_timeout = 10;
    c->shutdown_grace = 30;
    snprintf(c->log_level, sizeof c->log_level, "info");
    c->flood_window = 3600;
    c->flood_min = 50;
    c->flood_factor = 10;
    c->max_video_bytes = 1ull << 30;
    snprintf(c->spool_dir, sizeof c->spool_dir, "/tmp");
    c->video_max_seconds = 2 * 3600;
    c->video_max_frames = 500000;
    c->video_decode_ms = 5 * 60 * 1000;
    c->video_seconds_per_hash = 1.0;
    c->vpdq_quality = BW_VPDQ_DEFAULT_QUALITY;
    c->vpdq_query_percent = BW_VPDQ_DEFAULT_QUERY_PERCENT;
    c->vpdq_compared_percent = BW_VPDQ_DEFAULT_COMPARED_PERCENT;
    c->psm_per_minute = 60;
    c->psm_batch_max = 16;
    snprintf(c->self_report_bank, sizeof c->self_report_bank, "self-report");
    c->retention_days = 30;
}

static const opt *find(const char *key)
{
    char norm[64];
    size_t n = strlen(key);
    if (n >= sizeof norm)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        norm[i] = key[i] == '-' ? '_' : key[i];
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (!strcmp(opts[i].name, norm))
            return &opts[i];
    return NULL;
}

static bool is_choice(const char *choices, const char *value)
{
    const size_t n = strlen(value);
    for (const char *c = choices; *c;) {
        const char *bar = strchr(c, '|');
        const size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && !strncmp(c, value, n))
            return true;
        c += len + (bar != NULL);
    }
    return false;
}

/* Sizes accept k/M/G (powers of 1024). */
static bool parse_u64(const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*v))
        return false;
    unsigned long long x = strtoull(v, &end, 10);
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (errno || *end || (shift && x > (UINT64_MAX >> shift)))
        return false;
    *out = (uint64_t)x << shift;
    return true;
}

bool bwd_config_set(bwd_config *c, const char *key, const char *value, char *err,
                    size_t err_size)
{
    const opt *o = find(key);
    if (!o) {
        snprintf(err, err_size, "unknown option '%s'", key);
        return false;
    }
    char *field = (char *)c + o->offset;
    uint64_t u = 0;
    switch (o->kind) {
    case OPT_STR:
        if (strlen(value) >= o->size) {
            snprintf(err, err_size, "%s: value too long", o->name);
            return false;
        }
        if (o->choices && !is_choice(o->choices, value)) {
            snprintf(err, err_size, "%s: '%s' is not one of %s", o->name, value, o->choices);
            return false;
        }
        memcpy(field, value, strlen(value) + 1);
        return true;
    case OPT_BOOL:
        if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes") ||
            !strcmp(value, "on"))
            *(bool *)field = true;
        else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no") ||
                 !strcmp(value, "off"))
            *(bool *)field = false;
        else
            break;
        return true;
    case OPT_DOUBLE: {
        char *end;
        const double d = strtod(value, &end);
        if (*value && !*end && d >= 0) {
            *(double *)field = d;
            return true;
        }
        break;
    }
    case OPT_INT:
    case OPT_I64:
    case OPT_UINT:
    case OPT_U64:
        if (!parse_u64(value, &u))
            break;
        if (o->kind == OPT_U64)
            *(uint64_t *)field = u;
        else if (o->kind == OPT_I64 && u <= INT64_MAX)
            *(int64_t *)field = (int64_t)u;
        else if (o->kind == OPT_UINT && u <= UINT32_MAX)
            *(unsigned *)field = (unsigned)u;
        else if (o->kind == OPT_INT && u <= 256)
            *(int *)field = (int)u;
        else
            break;
        return true;
    }
    snprintf(err, err_size, "%s: invalid value '%s'", o->name, value);
    return false;
}

/* More threads than this is a typo, not a configuration: libmicrohttpd
 * would fail to start them with no better reason than "cannot serve". */
#define MAX_THREADS 1024

bool bwd_config_check(const bwd_config *c, char *err, size_t err_size)
{
    const char *colon = strrchr(c->listen, ':');
    const char *port = colon ? colon + 1 : "";
    const size_t digits = strspn(port, "0123456789");
    if (!colon || !digits || port[digits] || digits > 5 || atoi(port) > 65535) {
        snprintf(err, err_size, "listen: '%s' is not HOST:PORT with a port from 0 to 65535",
                 c->listen);
        return false;
    }
    if (c->http_threads > MAX_THREADS || c->workers > MAX_THREADS) {
        snprintf(err, err_size, "%s: at most %d threads",
                 c->http_threads > MAX_THREADS ? "http_threads" : "workers", MAX_THREADS);
        return false;
    }
    if (c->webhook_timeout > BWD_WEBHOOK_TIMEOUT_MAX) {
        snprintf(err, err_size, "webhook_timeout: at most %d seconds", BWD_WEBHOOK_TIMEOUT_MAX);
        return false;
    }
    if (*c->webhook_url) {
        const char *u = c->webhook_url;
        const size_t scheme = !strncasecmp(u, "http://", 7)    ? 7
                              : !strncasecmp(u, "https://", 8) ? 8
                                                               : 0;
        if (!scheme || !u[scheme] || u[scheme] == '/') {
            snprintf(err, err_size, "webhook_url: '%s' is not an http:// or https:// URL", u);
            return false;
        }
    }
    const char *spool = *c->spool_dir ? c->spool_dir : "/tmp"; /* as bwd_spool_open */
    struct stat st;
    const char *why = stat(spool, &st) != 0            ? strerror(errno)
                      : !S_ISDIR(st.st_mode)           ? "not a directory"
                      : access(spool, W_OK | X_OK) != 0 ? strerror(errno)
                                                        : NULL;
    if (why) {
        snprintf(err, err_size, "spool_dir: %s is not a directory bulwarkd can write to (%s)",
                 spool, why);
        return false;
    }
    return true;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

bool bwd_config_file(bwd_config *c, const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return false;
    }
    char line[8192], why[256];
    unsigned n = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, f)) {
        n++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, err_size, "%s:%u: expected KEY = VALUE", path, n);
            ok = false;
            break;
        }
        *eq = '\0';
        if (!bwd_config_set(c, trim(s), trim(eq + 1), why, sizeof why)) {
            snprintf(err, err_size, "%s:%u: %s", path, n, why);
            ok = false;
        }
    }
    fclose(f);
    return ok;
}

static void format_value(const bwd_config *c, const opt *o, char *out, size_t size)
{
    const char *field = (const char *)c + o->offset;
    switch (o->kind) {
    case OPT_STR: snprintf(out, size, "%s", o->secret && *field ? "(set)" : field); break;
    case OPT_BOOL: snprintf(out, size, "%s", *(const bool *)field ? "true" : "false"); break;
    case OPT_UINT: snprintf(out, size, "%u", *(const unsigned *)field); break;
    case OPT_U64: snprintf(out, size, "%llu", (unsigned long long)*(const uint64_t *)field); break;
    case OPT_INT: snprintf(out, size, "%d", *(const int *)field); break;
    case OPT_I64: snprintf(out, size, "%lld", (long long)*(const int64_t *)field); break;
    case OPT_DOUBLE: snprintf(out, size, "%g", *(const double *)field); break;
    }
}

void bwd_config_help(FILE *out)
{
    bwd_config d;
    bwd_config_defaults(&d);
    fprintf(out,
            "usage: bulwarkd [--db PATH|postgres://...] [--listen HOST:PORT] [--config FILE]\n"
            "                [--OPTION VALUE]...\n"
            "\n"
            "The Bulwark matching service: an HTTP/JSON API under /v1 to hash and match\n"
            "uploads, manage banks, review matches and read the audit log. Every endpoint\n"
            "but /healthz and /readyz needs an API key: make one with\n"
            "  bulwark key create --db SAME_DB --role admin\n"
            "\n"
            "Options (each may also be set in the --config file as `name = value`;\n"
            "the command line wins; sizes take k, M, G):\n");
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        char dash[64], def[64];
        snprintf(dash, sizeof dash, "%s", opts[i].name);
        for (char *p = dash; *p; p++)
            if (*p == '_')
                *p = '-';
        format_value(&d, &opts[i], def, sizeof def);
        fprintf(out, "  --%-20s %s", dash, opts[i].help);
        fprintf(out, *def ? " [%s]\n" : "\n", def);
    }
    fprintf(out, "\n  --help                 this text\n  --version              the version\n"
                 "  --print-config         the effective configuration, as a config file\n"
                 "\nSee docs/service.md for the API, deployment behind a proxy, and scaling out.\n");
}

void bwd_config_print(FILE *out, const bwd_config *c)
{
    fprintf(out, "# bulwarkd configuration: `bulwarkd --config FILE`. Each line is\n"
                 "# `name = value`; sizes take k, M, G; options given on the command line\n"
                 "# win. `bulwarkd [OPTIONS] --print-config` prints the effective values.\n");
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        char v[4200];
        format_value(c, &opts[i], v, sizeof v);
        if (!*v || opts[i].secret)
            fprintf(out, "\n# %s\n# %s =\n", opts[i].help, opts[i].name);
        else
            fprintf(out, "\n# %s\n%s = %s\n", opts[i].help, opts[i].name, v);
    }
}

json_t *bwd_config_json(const bwd_config *c)
{
    json_t *j = json_object();
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        char v[4200];
        format_value(c, &opts[i], v, sizeof v);
        if (!strcmp(opts[i].name, "db") && strstr(v, "://"))
            snprintf(v, sizeof v, "postgresql (credentials hidden)");
        json_object_set_new(j, opts[i].name, json_string(v));
    }
    return j;
}

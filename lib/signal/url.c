/*
 * URL normalisation for block lists (RFC 3986 section 6 where it applies,
 * plus the conventions lists such as IWF's assume: no scheme, no "www.").
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "bulwark/bw_signal.h"
#include "common/bw_internal.h"

typedef struct out_buf {
    char *p;
    size_t size;
    size_t len;
    bool overflow;
} out_buf;

static void put(out_buf *o, char c)
{
    if (o->len + 1 < o->size)
        o->p[o->len++] = c;
    else
        o->overflow = true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* Characters kept literally in a path or query (RFC 3986 pchar, '/', '?'). */
static bool literal(unsigned char c)
{
    return unreserved(c) || strchr("!$&'()*+,;=:@/?", c) != NULL;
}

/* Copies a path or query with canonical percent-encoding: escapes of
 * unreserved characters decoded, other escapes upper-cased, and bytes that
 * may not appear literally (spaces, controls, non-ASCII) escaped. */
static void put_encoded(out_buf *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
            hexval(s[i + 2]) >= 0) {
            unsigned char d = (unsigned char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
            if (unreserved(d)) {
                put(o, (char)d);
                continue;
            }
            c = d;
        } else if (literal(c)) {
            put(o, (char)c);
            continue;
        }
        put(o, '%');
        put(o, hex[c >> 4]);
        put(o, hex[c & 15]);
    }
}

/* Removes "." and ".." segments from an absolute path in place (RFC 3986
 * 5.2.4), returning its new length. */
static size_t remove_dot_segments(char *path, size_t n)
{
    size_t w = 0, r = 0;
    bool dot_last = false;
    while (r < n) {
        /* r is at a '/' (the path is absolute). */
        size_t end = r + 1;
        while (end < n && path[end] != '/')
            end++;
        const size_t seg = end - r - 1;
        const bool dot = seg == 1 && path[r + 1] == '.';
        const bool dotdot = seg == 2 && path[r + 1] == '.' && path[r + 2] == '.';
        if (dotdot) {
            while (w > 0 && path[--w] != '/')
                ;
        } else if (!dot) {
            memmove(path + w, path + r, end - r);
            w += end - r;
        }
        dot_last = dot || dotdot;
        r = end;
    }
    /* "/a/b/.." names the directory "/a/". */
    if (dot_last)
        path[w++] = '/';
    return w;
}

BW_API bw_status bw_url_normalize(char *out, size_t out_size, const char *url,
                                  size_t len, const char **why)
{
    const char *reason = NULL;
    if (!out || !url || out_size == 0)
        return BW_ERR_INVALID_ARGUMENT;
    while (len && (*url == ' ' || *url == '\t'))
        url++, len--;
    while (len && (url[len - 1] == ' ' || url[len - 1] == '\t' || url[len - 1] == '\r' ||
                   url[len - 1] == '\n'))
        len--;
    if (len == 0 || len > BW_SIGNAL_VALUE_MAX) {
        reason = len ? "URL longer than 2048 bytes" : "empty URL";
        goto fail;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] < 0x20 || url[i] == 0x7F) {
            reason = "control character in URL";
            goto fail;
        }
    /* Scheme: http, https and ftp (or none). */
    const char *p = url, *end = url + len;
    unsigned default_port = 0;
    /* Only a colon before the first '/', '?' or '#' can end a scheme (or
     * start a port): redirectors carry whole URLs, "://" and all, in their
     * paths and queries, and the canonical form (no scheme) must read back
     * to itself. */
    const char *colon = NULL;
    for (const char *c = p; c < end && *c != '/' && *c != '?' && *c != '#'; c++)
        if (*c == ':') {
            colon = c;
            break;
        }
    if (colon && colon + 2 < end && colon[1] == '/' && colon[2] == '/') {
        const size_t sl = (size_t)(colon - p);
        if (sl == 4 && !strncasecmp(p, "http", 4))
            default_port = 80;
        else if (sl == 5 && !strncasecmp(p, "https", 5))
            default_port = 443;
        else if (sl == 3 && !strncasecmp(p, "ftp", 3))
            default_port = 21;
        else {
            reason = "unsupported URL scheme";
            goto fail;
        }
        p = colon + 3;
    } else if (len >= 2 && p[0] == '/' && p[1] == '/') {
        p += 2;
    } else if (colon) {
        /* "name:rest" is a scheme unless rest is a port ("host:8080/x"). */
        const char *q = colon + 1;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
        if (q == colon + 1 || (q < end && *q != '/' && *q != '?' && *q != '#')) {
            bool scheme = true;
            for (const char *c = p; c < colon; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                      (*c >= '0' && *c <= '9') || *c == '+' || *c == '-' || *c == '.'))
                    scheme = false;
            if (scheme) {
                reason = "unsupported URL scheme";
                goto fail;
            }
        }
    }
    /* Authority: [userinfo@]host[:port]. */
    const char *auth_end = p;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
        auth_end++;
    const char *at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@')
            at = q;
    const char *host = at ? at + 1 : p;
    const char *host_end = auth_end, *port = NULL;
    if (host < auth_end && *host == '[') { /* IPv6 literal */
        const char *close = NULL;
        for (const char *c = host; c < auth_end && !close; c++)
            if (*c == ']')
                close = c;
        if (!close) {
            reason = "unterminated IPv6 address";
            goto fail;
        }
        host_end = close + 1;
        if (host_end < auth_end && *host_end == ':')
            port = host_end + 1;
        else if (host_end != auth_end) {
            reason = "junk after IPv6 address";
            goto fail;
        }
    } else {
        for (const char *c = host; c < auth_end; c++)
            if (*c == ':') {
                host_end = c;
                port = c + 1;
                break;
            }
        /* Brackets belong to IPv6 literals only ("www.[x" would read back
         * as one once "www." goes). */
        for (const char *c = host; c < host_end; c++)
            if (*c == '[' || *c == ']') {
                reason = "invalid character in host";
                goto fail;
            }
    }
    while (host_end > host && host_end[-1] == '.')
        host_end--;
    if (host_end == host) {
        reason = "URL has no host";
        goto fail;
    }
    /* "www.example.com" is "example.com", but "www.com" is itself. Every
     * leading "www." goes, or the canonical form would lose one more when
     * read again. */
    while ((size_t)(host_end - host) > 4 && !strncasecmp(host, "www.", 4) &&
           memchr(host + 4, '.', (size_t)(host_end - host - 4)))
        host += 4;
    unsigned port_value = 0;
    if (port) {
        if (port == auth_end) {
            port = NULL; /* "host:" */
        } else {
            for (const char *q = port; q < auth_end; q++) {
                if (*q < '0' || *q > '9' || port_value > 65535) {
                    reason = "invalid port";
                    goto fail;
                }
                port_value = port_value * 10 + (unsigned)(*q - '0');
            }
            if (port_value > 65535) {
                reason = "invalid port";
                goto fail;
            }
            /* The canonical form has no scheme, so it cannot say which web
             * default a port was: both go, whatever the scheme (keeping
             * 443 after "http://" gave a form that read back without it). */
            if ((default_port && port_value == default_port) || port_value == 80 ||
                port_value == 443)
                port = NULL;
        }
    }

    /* Hosts may be internationalised (UTF-8, as lists write them), but
     * bytes that are not UTF-8 would make a value JSON cannot carry. */
    if (!bwi_utf8_valid(host, (size_t)(host_end - host))) {
        reason = "host is not UTF-8";
        goto fail;
    }
    out_buf o = {out, out_size, 0, false};
    for (const char *q = host; q < host_end; q++) {
        char c = *q;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c == '/' || c == '\\' || c == ' ' || c == '%') {
            reason = "invalid character in host";
            goto fail;
        }
        put(&o, c);
    }
    if (port) {
        char digits[8];
        int n = 0;
        unsigned v = port_value;
        do {
            digits[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        put(&o, ':');
        while (n)
            put(&o, digits[--n]);
    }
    /* Path and query; the fragment never reaches the server, so it goes. */
    const char *path = auth_end, *frag = memchr(path, '#', (size_t)(end - path));
    if (frag)
        end = frag;
    const char *query = memchr(path, '?', (size_t)(end - path));
    const char *path_end = query ? query : end;
    const size_t path_start = o.len;
    if (path < path_end) {
        put_encoded(&o, path, (size_t)(path_end - path));
        if (!o.overflow)
            o.len = path_start + remove_dot_segments(o.p + path_start, o.len - path_start);
    }
    /* A trailing slash names the same resource in practice. */
    while (o.len > path_start && o.p[o.len - 1] == '/')
        o.len--;
    if (query && query + 1 < end) {
        put(&o, '?');
        put_encoded(&o, query + 1, (size_t)(end - query - 1));
    }
    if (o.overflow) {
        reason = "URL too long once normalised";
        goto fail;
    }
    out[o.len] = '\0';
    return BW_OK;
fail:
    if (why)
        *why = reason;
    return BW_ERR_PARSE;
}

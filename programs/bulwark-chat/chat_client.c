/*
 * The client's commands. State lives in the user's directory: box.key
 * (the X25519 secret key), relay.token (the relay's bearer token),
 * peers/NAME (public keys pinned on first use), inbox/ (files received)
 * and reports/CASE (self-report withdrawal tokens).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "chat_client.h"

bool read_hex_file(const char *path, uint8_t *out, size_t size)
{
    chat_buf b = {0};
    if (!chat_read_file(path, 256, &b))
        return false;
    b.data[strcspn((char *)b.data, "\r\n")] = '\0';
    const bool ok = chat_from_hex(out, size, (const char *)b.data);
    chat_buf_free(&b);
    return ok;
}

bool write_hex_file(const char *path, const uint8_t *bytes, size_t size)
{
    char hex[2 * 64 + 2];
    sodium_bin2hex(hex, sizeof hex, bytes, size);
    strcat(hex, "\n");
    const bool ok = chat_write_file(path, hex, strlen(hex), 0600);
    sodium_memzero(hex, sizeof hex);
    return ok;
}

/* The user's keys and relay token; false after printing why. */
bool load_me(const chat_opts *o, me *m)
{
    char path[4200];
    if (!chat_user_dir(o, m->dir, sizeof m->dir))
        return false;
    snprintf(path, sizeof path, "%s/box.key", m->dir);
    uint8_t token[32];
    bool ok = read_hex_file(path, m->sk, sizeof m->sk);
    snprintf(path, sizeof path, "%s/relay.token", m->dir);
    ok = ok && read_hex_file(path, token, sizeof token);
    if (!ok) {
        chat_error("%s is not registered here (run: bulwark-chat --user %s register)",
                   o->user, o->user);
        return false;
    }
    crypto_scalarmult_base(m->pk, m->sk);
    sodium_bin2hex(m->token, sizeof m->token, token, sizeof token);
    return true;
}

/* A relay answer as JSON; NULL after printing why. */
json_t *relay_json(const chat_response *r, const char *what)
{
    json_t *j = json_loads((const char *)r->body.data, 0, NULL);
    if (r->status >= 200 && r->status < 300 && j)
        return j;
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"),
                                                        "message"));
    chat_error("%s: relay answered %ld: %s", what, r->status, msg ? msg : "no explanation");
    json_decref(j);
    return NULL;
}

int chat_register(const chat_opts *o)
{
    me m;
    char path[4200], url[2048];
    if (!chat_user_dir(o, m.dir, sizeof m.dir))
        return CHAT_EXIT_FAILED;
    snprintf(path, sizeof path, "%s/box.key", m.dir);
    struct stat st;
    if (stat(path, &st) == 0) {
        chat_error("%s is already registered from %s", o->user, m.dir);
        return CHAT_EXIT_FAILED;
    }
    crypto_box_keypair(m.pk, m.sk);
    char pk_hex[65];
    sodium_bin2hex(pk_hex, sizeof pk_hex, m.pk, sizeof m.pk);
    json_t *body = json_pack("{s:s, s:s}", "name", o->user, "public_key", pk_hex);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    snprintf(url, sizeof url, "%s/v1/users", o->relay);
    chat_response r;
    const bool sent = chat_http("POST", url, NULL, "application/json", text, strlen(text),
                                NULL, &r);
    free(text);
    if (!sent) {
        chat_error("%s", r.error);
        return CHAT_EXIT_FAILED;
    }
    json_t *j = relay_json(&r, "register");
    chat_response_free(&r);
    uint8_t token[32];
    const bool ok = j && chat_from_hex(token, sizeof token,
                                       json_string_value(json_object_get(j, "token")));
    json_decref(j);
    if (!ok)
        return CHAT_EXIT_FAILED;
    if (!write_hex_file(path, m.sk, sizeof m.sk) ||
        (snprintf(path, sizeof path, "%s/relay.token", m.dir),
         !write_hex_file(path, token, sizeof token))) {
        chat_error("cannot save keys in %s", m.dir);
        return CHAT_EXIT_FAILED;
    }
    sodium_memzero(m.sk, sizeof m.sk);
    if (o->child && !chat_mark_child(o)) {
        chat_error("cannot mark %s as a child account in %s", o->user, m.dir);
        return CHAT_EXIT_FAILED;
    }
    printf("registered %s%s; public key %s\n", o->user,
           o->child ? " (a child account: nudity warnings on)" : "", pk_hex);
    return CHAT_EXIT_OK;
}

/* A peer's public key: pinned on first use, and a change refused. */
bool peer_key(const chat_opts *o, const me *m, const char *peer,
              uint8_t pk[crypto_box_PUBLICKEYBYTES])
{
    char dir[4200], path[4300], url[2048];
    snprintf(dir, sizeof dir, "%s/peers", m->dir);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/%s", dir, peer);
    uint8_t pinned[crypto_box_PUBLICKEYBYTES];
    const bool have_pin = read_hex_file(path, pinned, sizeof pinned);
    snprintf(url, sizeof url, "%s/v1/users/%s", o->relay, peer);
    chat_response r;
    if (!chat_http("GET", url, NULL, NULL, NULL, 0, NULL, &r)) {
        chat_error("%s", r.error);
        return false;
    }
    json_t *j = relay_json(&r, peer);
    chat_response_free(&r);
    const bool ok = j && chat_from_hex(pk, crypto_box_PUBLICKEYBYTES,
                                       json_string_value(json_object_get(j, "public_key")));
    json_decref(j);
    if (!ok)
        return false;
    if (have_pin && sodium_memcmp(pinned, pk, sizeof pinned) != 0) {
        chat_error("the relay now gives another key for %s than the one pinned in %s: "
                   "refusing (someone may be impersonating them)", peer, path);
        return false;
    }
    return have_pin || write_hex_file(path, pk, crypto_box_PUBLICKEYBYTES);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* A child account's warning before sending: 1 to ask first, 0 to send,
 * -1 when the check failed. */
static int child_warning(chat_checker *c, const chat_buf *content, const char *what)
{
    float score;
    chat_picture picture;
    const int warn = chat_nudity_check(c, content->data, content->len, &score, &picture);
    chat_picture_free(&picture);
    if (warn > 0 && !c->o->confirm)
        chat_error("not sent: %s may show nudity (score %.2f). Think before you share it: "
                   "once sent, you cannot take it back, and nobody should pressure you to "
                   "send pictures like this; if someone does, get help (Childline/IWF "
                   "Report Remove, NCMEC Take It Down). To send it anyway, run the "
                   "command again with --confirm", what, (double)score);
    else if (warn > 0)
        printf("%s may show nudity (score %.2f); sending it because you confirmed\n", what,
               (double)score);
    return warn;
}

int chat_send(const chat_opts *o, const char *peer, const char *what)
{
    me m;
    if (!chat_valid_name(peer)) {
        chat_error("'%s' is not a user name", peer);
        return CHAT_EXIT_USAGE;
    }
    if (!load_me(o, &m))
        return CHAT_EXIT_FAILED;
    chat_message msg = {0};
    struct stat st;
    int rc = CHAT_EXIT_FAILED;
    chat_checker checker;
    if (stat(what, &st) == 0 && S_ISREG(st.st_mode)) {
        msg.kind = CHAT_FILE;
        snprintf(msg.name, sizeof msg.name, "%s", base_name(what));
        if (!chat_read_file(what, CHAT_MESSAGE_MAX - 8192, &msg.content)) {
            chat_error("cannot read %s (or it is over %zu MiB)", what, CHAT_MESSAGE_MAX >> 20);
            return CHAT_EXIT_FAILED;
        }
        /* The check runs here, on the plaintext, before anything is sealed. */
        chat_verdict v;
        if (!chat_checker_init(&checker, o)) {
            chat_checker_free(&checker);
            goto done;
        }
        const bool checked = chat_check_media(&checker, msg.content.data, msg.content.len, &v);
        const int warn = checked && !v.blocked && checker.nudity
                             ? child_warning(&checker, &msg.content, what)
                             : 0;
        chat_checker_free(&checker);
        if (!checked) {
            chat_error("not sent: %s could not be checked", what);
            goto done;
        }
        if (v.blocked) {
            chat_error("not sent: %s matches known abuse material (%s)", what, v.why);
            rc = CHAT_EXIT_BLOCKED;
            goto done;
        }
        if (warn < 0)
            goto done;
        if (warn > 0 && !o->confirm) {
            rc = CHAT_EXIT_CONFIRM;
            goto done;
        }
    } else {
        msg.kind = CHAT_TEXT;
        chat_buf_append(&msg.content, what, strlen(what));
    }
    uint8_t peer_pk[crypto_box_PUBLICKEYBYTES];
    chat_buf envelope = {0};
    char url[2048];
    chat_response r;
    if (!peer_key(o, &m, peer, peer_pk) || !chat_seal(&envelope, &msg, peer_pk, m.sk))
        goto done;
    snprintf(url, sizeof url, "%s/v1/messages/%s", o->relay, peer);
    if (!chat_http("POST", url, m.token, "application/octet-stream", envelope.data,
                   envelope.len, NULL, &r)) {
        chat_error("%s", r.error);
    } else {
        json_t *j = relay_json(&r, "send");
        if (j) {
            printf("sent %s to %s\n", msg.kind == CHAT_FILE ? msg.name : "a message", peer);
            rc = CHAT_EXIT_OK;
        }
        json_decref(j);
        chat_response_free(&r);
    }
    chat_buf_free(&envelope);
done:
    chat_message_free(&msg);
    sodium_memzero(m.sk, sizeof m.sk);
    return rc;
}

/*
 * Receiving (each message is decrypted, its media checked with the SDK,
 * and a match withheld: never written to disk or shown) and self-reports
 * (only the image's hashes go to the server; the withdrawal token is kept
 * in the user's directory).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chat_client.h"

/* A name from someone else, safe as one file name in our directory. */
static void safe_name(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s", *name ? name : "file");
    for (char *p = out; *p; p++)
        if (*p == '/' || (unsigned char)*p < 32 || *p == 127)
            *p = '_';
    if (out[0] == '.')
        out[0] = '_';
}

/* Prints text from someone else without its control characters. */
static void print_text(const chat_buf *b)
{
    for (size_t i = 0; i < b->len; i++) {
        const unsigned char c = b->data[i];
        putchar(c == '\n' || c == '\t' || (c >= 32 && c != 127) ? c : '?');
    }
}

/* A path in dir for a name from someone else, not overwriting a file. */
static void unique_path(char *path, size_t size, const char *dir, const char *raw_name)
{
    char name[256];
    safe_name(name, sizeof name, raw_name);
    mkdir(dir, 0700);
    struct stat st;
    snprintf(path, size, "%s/%s", dir, name);
    for (int n = 1; stat(path, &st) == 0 && n < 1000; n++)
        snprintf(path, size, "%s/%d-%s", dir, n, name);
}

static bool save(const char *dir, const chat_message *msg, char *path, size_t size)
{
    unique_path(path, size, dir, msg->name);
    return chat_write_file(path, msg->content.data, msg->content.len, 0600);
}

typedef struct inbox {
    const chat_opts *o;
    me *m;
    chat_checker checker;
    char out_dir[4300];
    int withheld, failed;
} inbox;

static bool relay_call(inbox *in, const char *method, const char *id, chat_response *r)
{
    char url[2048];
    snprintf(url, sizeof url, "%s/v1/messages%s%s", in->o->relay, id ? "/" : "", id ? id : "");
    if (!chat_http(method, url, in->m->token, NULL, NULL, 0, NULL, r)) {
        chat_error("%s", r->error);
        return false;
    }
    return true;
}

/* A child account's file: a picture to warn about is written out blurred,
 * and the original only when the child confirmed (--confirm); anything
 * else is saved as usual. False to leave the message on the relay. */
static bool receive_as_child(inbox *in, const chat_message *msg, const char *from)
{
    float score;
    chat_picture picture;
    char path[4600], name[300];
    const int warn = chat_nudity_check(&in->checker, msg->content.data, msg->content.len,
                                       &score, &picture);
    bool ok = warn >= 0;
    if (warn > 0) {
        snprintf(name, sizeof name, "%.250s.blurred.png", msg->name);
        unique_path(path, sizeof path, in->out_dir, name);
        ok = chat_write_blurred(&in->checker, path, &picture);
        if (ok)
            printf("from %s: a picture that may show nudity (score %.2f); a blurred copy "
                   "is in %s. It is not your fault if someone sends you this; you can "
                   "block them and ask for help (Childline, NCMEC Take It Down)\n", from,
                   (double)score, path);
        if (ok && in->o->confirm && save(in->out_dir, msg, path, sizeof path))
            printf("  the original is in %s, because you confirmed\n", path);
        else if (ok)
            printf("  the original was not kept (receive with --confirm to keep such "
                   "pictures)\n");
    }
    chat_picture_free(&picture);
    if (warn == 0 && (ok = save(in->out_dir, msg, path, sizeof path)))
        printf("from %s: file saved to %s\n", from, path);
    return ok;
}

/* One message: false to leave it on the relay (it could not be checked). */
static bool receive(inbox *in, const char *id, const char *from)
{
    chat_response r;
    if (!relay_call(in, "GET", id, &r))
        return false;
    const bool fetched = r.status == 200;
    uint8_t pk[crypto_box_PUBLICKEYBYTES];
    chat_message msg;
    const bool opened = fetched && chat_valid_name(from) && peer_key(in->o, in->m, from, pk) &&
                        chat_open(&msg, r.body.data, r.body.len, pk, in->m->sk);
    chat_response_free(&r);
    if (!fetched)
        return false;
    if (!opened) {
        printf("dropped a message from %s: it cannot be opened (forged, damaged, or not for "
               "us)\n", from);
        return true;
    }
    bool keep = true;
    if (msg.kind == CHAT_TEXT) {
        printf("from %s: ", from);
        print_text(&msg.content);
        putchar('\n');
    } else {
        chat_verdict v;
        char path[4600];
        if (!chat_check_media(&in->checker, msg.content.data, msg.content.len, &v)) {
            chat_error("a file from %s could not be checked; it stays on the relay", from);
            keep = false;
        } else if (v.blocked) {
            /* Withheld: the plaintext is wiped, never stored or shown. */
            printf("withheld a file from %s: it matches known abuse material (%s)\n", from,
                   v.why);
            in->withheld++;
        } else if (in->checker.nudity) {
            keep = receive_as_child(in, &msg, from);
        } else if (save(in->out_dir, &msg, path, sizeof path)) {
            printf("from %s: file saved to %s\n", from, path);
        } else {
            chat_error("cannot save a file from %s in %s", from, in->out_dir);
            keep = false;
        }
    }
    chat_message_free(&msg);
    return keep;
}

int chat_recv(const chat_opts *o)
{
    me m;
    inbox in = {o, &m, {0}, "", 0, 0};
    if (!load_me(o, &m))
        return CHAT_EXIT_FAILED;
    if (!chat_checker_init(&in.checker, o)) {
        chat_checker_free(&in.checker);
        return CHAT_EXIT_FAILED;
    }
    if (o->out)
        snprintf(in.out_dir, sizeof in.out_dir, "%s", o->out);
    else
        snprintf(in.out_dir, sizeof in.out_dir, "%s/inbox", m.dir);
    chat_response r;
    json_t *list = NULL;
    if (relay_call(&in, "GET", NULL, &r)) {
        list = relay_json(&r, "recv");
        chat_response_free(&r);
    }
    json_t *messages = json_object_get(list, "messages");
    in.failed = !list;
    for (size_t i = 0; i < json_array_size(messages); i++) {
        json_t *e = json_array_get(messages, i);
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *from = json_string_value(json_object_get(e, "from"));
        if (!id || !from)
            continue;
        if (!receive(&in, id, from)) {
            in.failed++;
        } else if (relay_call(&in, "DELETE", id, &r)) {
            chat_response_free(&r);
        }
    }
    if (list && !json_array_size(messages))
        printf("no new messages\n");
    json_decref(list);
    chat_checker_free(&in.checker);
    sodium_memzero(m.sk, sizeof m.sk);
    return in.failed ? CHAT_EXIT_FAILED : in.withheld ? CHAT_EXIT_BLOCKED : CHAT_EXIT_OK;
}

/* ---- self-reports ----------------------------------------------------------- */

static json_t *server_call(const chat_opts *o, const char *method, const char *path,
                           json_t *body, const char *header, long *status)
{
    char url[2048], *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    snprintf(url, sizeof url, "%s%s", o->server, path);
    chat_response r;
    const bool sent = chat_http(method, url, o->key, text ? "application/json" : NULL, text,
                                text ? strlen(text) : 0, header, &r);
    free(text);
    if (!sent) {
        chat_error("%s", r.error);
        return NULL;
    }
    json_t *j = json_loads((const char *)r.body.data, 0, NULL);
    *status = r.status;
    chat_response_free(&r);
    if (*status < 200 || *status > 299) {
        const char *msg = json_string_value(json_object_get(json_object_get(j, "error"),
                                                            "message"));
        chat_error("%s: HTTP %ld: %s", url, *status, msg ? msg : "no explanation");
        json_decref(j);
        return NULL;
    }
    return j;
}

int chat_report_self(const chat_opts *o, const char *file)
{
    if (!o->server || !o->key) {
        chat_error("report-self needs --server URL and --key KEY");
        return CHAT_EXIT_USAGE;
    }
    chat_buf data = {0};
    if (!chat_read_file(file, CHAT_MESSAGE_MAX, &data)) {
        chat_error("cannot read %s", file);
        return CHAT_EXIT_FAILED;
    }
    chat_checker c;
    chat_opts local = *o;
    local.snapshot_count = 0; /* hashing only */
    local.hash_only = true;
    char pdq[65], md5[33], sha256[65], dir[4096], path[4200];
    bool has_pdq = false;
    const bool hashed = chat_checker_init(&c, &local) &&
                        chat_media_hashes(&c, data.data, data.len, pdq, &has_pdq, md5, sha256);
    chat_checker_free(&c);
    chat_buf_free(&data); /* the image itself goes no further */
    if (!hashed || !chat_user_dir(o, dir, sizeof dir))
        return CHAT_EXIT_FAILED;
    json_t *body = json_pack("{s:s, s:s}", "md5", md5, "sha256", sha256);
    if (has_pdq)
        json_object_set_new(body, "pdq", json_pack("[s]", pdq));
    long status = 0;
    json_t *j = server_call(o, "POST", "/v1/device/self-reports", body, NULL, &status);
    json_decref(body);
    const char *case_id = json_string_value(json_object_get(j, "case"));
    const char *token = json_string_value(json_object_get(j, "withdrawal_token"));
    int rc = CHAT_EXIT_FAILED;
    if (case_id && token && chat_valid_name(case_id)) {
        snprintf(path, sizeof path, "%s/reports", dir);
        mkdir(path, 0700);
        snprintf(path, sizeof path, "%s/reports/%s", dir, case_id);
        if (!chat_write_file(path, token, strlen(token), 0600))
            chat_error("cannot save the withdrawal token in %s", path);
        printf("reported: case %s; withdrawal token %s (kept in %s)\n", case_id, token, path);
        printf("only hashes were sent: pdq %s, md5 %s, sha256 %s\n", has_pdq ? pdq : "none",
               md5, sha256);
        rc = CHAT_EXIT_OK;
    } else if (j) {
        chat_error("the server's answer has no case id");
    }
    json_decref(j);
    return rc;
}

int chat_withdraw_report(const chat_opts *o, const char *case_id, const char *token)
{
    char dir[4096], path[4200], header[256];
    chat_buf saved = {0};
    if (!o->server || !o->key || !chat_valid_name(case_id)) {
        chat_error("withdraw-report needs --server URL, --key KEY and a case id");
        return CHAT_EXIT_USAGE;
    }
    if (!token) {
        if (!chat_user_dir(o, dir, sizeof dir))
            return CHAT_EXIT_FAILED;
        snprintf(path, sizeof path, "%s/reports/%s", dir, case_id);
        if (!chat_read_file(path, 256, &saved)) {
            chat_error("no saved token for case %s (give it after the case id)", case_id);
            return CHAT_EXIT_FAILED;
        }
        token = (const char *)saved.data;
    }
    snprintf(header, sizeof header, "X-Withdrawal-Token: %s", token);
    snprintf(path, sizeof path, "/v1/device/self-reports/%s", case_id);
    long status = 0;
    json_t *j = server_call(o, "DELETE", path, NULL, header, &status);
    chat_buf_free(&saved);
    sodium_memzero(header, sizeof header);
    if (!j)
        return CHAT_EXIT_FAILED;
    printf("withdrawn: case %s, %lld hashes\n", case_id,
           (long long)json_integer_value(json_object_get(j, "withdrawn")));
    json_decref(j);
    return CHAT_EXIT_OK;
}

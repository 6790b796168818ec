/*
 * The checks a client runs on media, with the device SDK: against the
 * signed bank snapshot on the device (PDQ of the picture and its rotations
 * and mirrors, exact MD5 and SHA-256), and with --server, the remote PDQ
 * check (only the 8 PDQ hashes leave the device) and private set
 * membership for the file's SHA-256 (only a blinded element leaves it).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "chat.h"

bool chat_checker_init(chat_checker *c, const chat_opts *o)
{
    memset(c, 0, sizeof *c);
    c->o = o;
    if (bw_device_create(&c->device) != BW_OK) {
        chat_error("cannot start the device SDK");
        return false;
    }
    if (!o->hash_only && chat_account_is_child(o) && !chat_nudity_init(c))
        return false;
    if (!o->snapshot_count)
        return true;
    uint8_t pk[BW_DEVICE_PUBLIC_KEY_BYTES];
    if (!chat_from_hex(pk, sizeof pk, o->snapshot_pubkey)) {
        chat_error("--snapshot needs --snapshot-pubkey HEX (64 hex digits)");
        return false;
    }
    if (bw_device_bank_create(&c->bank, pk) != BW_OK)
        return false;
    /* A full snapshot, then deltas: one that fails is reported and the
     * snapshot in use stays in use. */
    for (int i = 0; i < o->snapshot_count; i++) {
        chat_buf file = {0};
        if (!chat_read_file(o->snapshots[i], CHAT_MESSAGE_MAX * 8, &file)) {
            chat_error("cannot read snapshot %s", o->snapshots[i]);
            continue;
        }
        if (bw_device_bank_update(c->device, c->bank, file.data, file.len) != BW_OK)
            chat_error("snapshot %s rejected: %s; keeping version %llu", o->snapshots[i],
                       bw_device_message(c->device),
                       (unsigned long long)bw_device_bank_version(c->bank));
        chat_buf_free(&file);
    }
    if (bw_device_bank_version(c->bank) == 0) {
        chat_error("no usable snapshot: refusing to run without the check asked for");
        return false;
    }
    return true;
}

void chat_checker_free(chat_checker *c)
{
    bw_device_nudity_free(c->nudity);
    bw_device_bank_free(c->bank);
    bw_device_free(c->device);
}

/* POSTs JSON to bulwarkd; the parsed answer, or NULL after printing why. */
static json_t *server_post(const chat_opts *o, const char *path, json_t *body)
{
    char url[2048], *text = json_dumps(body, JSON_COMPACT);
    snprintf(url, sizeof url, "%s%s", o->server, path);
    chat_response r;
    const bool sent = text && chat_http("POST", url, o->key, "application/json", text,
                                        strlen(text), NULL, &r);
    free(text);
    json_t *answer = sent ? json_loads((const char *)r.body.data, 0, NULL) : NULL;
    if (!sent)
        chat_error("%s", r.error);
    else if (r.status < 200 || r.status > 299) {
        const char *msg = json_string_value(json_object_get(json_object_get(answer, "error"),
                                                            "message"));
        chat_error("%s: HTTP %ld: %s", url, r.status, msg ? msg : "no explanation");
        json_decref(answer);
        answer = NULL;
    }
    if (sent)
        chat_response_free(&r);
    return answer;
}

static bool remote_pdq(const chat_opts *o, const uint8_t (*pdq)[32], bool *match)
{
    json_t *list = json_array();
    for (int d = 0; d < BW_DEVICE_DIHEDRAL_COUNT; d++) {
        char hex[65];
        bw_device_hex(hex, pdq[d], 32);
        json_array_append_new(list, json_string(hex));
    }
    json_t *body = json_pack("{s:o}", "pdq", list);
    json_t *answer = server_post(o, "/v1/device/check", body);
    json_decref(body);
    const json_t *m = json_object_get(answer, "match");
    const bool ok = json_is_boolean(m);
    if (ok)
        *match = json_is_true(m);
    else if (answer)
        chat_error("the server's check answer has no 'match'");
    json_decref(answer);
    return ok;
}

/* Private set membership for the file's SHA-256 against the snapshot's
 * tokens: one blinded element goes to the server. */
static bool private_exact(chat_checker *c, const uint8_t sha256[32], bool *match)
{
    uint8_t blinded[32], blind[32], evaluated[32], token[16], want_id[8], got_id[8];
    char hex[65];
    if (bw_device_psm_blind(blinded, blind, sha256, 32) != BW_OK)
        return false;
    bw_device_hex(hex, blinded, 32);
    json_t *body = json_pack("{s:[s]}", "blinded", hex);
    json_t *answer = server_post(c->o, "/v1/device/psm", body);
    json_decref(body);
    const char *e = json_string_value(json_array_get(json_object_get(answer, "evaluated"), 0));
    const char *id = json_string_value(json_object_get(answer, "key_id"));
    bw_device_bank_psm_key_id(c->bank, want_id);
    bool ok = e && id && chat_from_hex(evaluated, 32, e) && chat_from_hex(got_id, 8, id);
    if (answer && !ok)
        chat_error("the server's PSM answer is malformed");
    if (ok && memcmp(want_id, got_id, 8) != 0) {
        chat_error("the server's PSM key (%s) is not the one the snapshot's list was made "
                   "with", id);
        ok = false;
    }
    int m = 0;
    ok = ok && bw_device_psm_finalize(token, blind, evaluated, sha256, 32) == BW_OK &&
         bw_device_bank_match_psm(c->bank, &m, token) == BW_OK;
    json_decref(answer);
    sodium_memzero(blind, sizeof blind);
    *match = m != 0;
    return ok;
}

static void blocked(chat_verdict *v, const char *why)
{
    if (!v->blocked)
        snprintf(v->why, sizeof v->why, "%s", why);
    v->blocked = true;
}

bool chat_check_media(chat_checker *c, const uint8_t *data, size_t size, chat_verdict *v)
{
    memset(v, 0, sizeof *v);
    uint8_t sha256[32], md5[16], pdq[BW_DEVICE_DIHEDRAL_COUNT][32];
    bw_device_digest(sha256, md5, data, size);
    /* Not a picture the SDK decodes: the exact checks still apply. */
    const bool picture = bw_device_pdq_file(c->device, pdq, NULL, data, size) == BW_OK;
    int m = 0, distance = -1;
    if (c->bank) {
        size_t psm = 0;
        bw_device_bank_counts(c->bank, NULL, NULL, NULL, &psm);
        if (bw_device_bank_match_digest(c->bank, &m, sha256, 32) == BW_OK && m)
            blocked(v, "its SHA-256 is in the bank snapshot");
        if (bw_device_bank_match_digest(c->bank, &m, md5, 16) == BW_OK && m)
            blocked(v, "its MD5 is in the bank snapshot");
        if (picture && bw_device_bank_match_pdq(c->device, c->bank, &m, &distance,
                                                (const uint8_t(*)[32])pdq,
                                                BW_DEVICE_DIHEDRAL_COUNT,
                                                c->o->threshold) == BW_OK && m) {
            char why[96];
            snprintf(why, sizeof why, "it is a near copy (PDQ distance %d) of an image in the"
                     " bank snapshot", distance);
            blocked(v, why);
        }
        if (psm && c->o->server && !v->blocked) {
            bool match = false;
            if (!private_exact(c, sha256, &match))
                return false;
            if (match)
                blocked(v, "private exact match: its SHA-256 is on the server's list");
        }
    }
    if (c->o->server && picture && !v->blocked) {
        bool match = false;
        if (!remote_pdq(c->o, (const uint8_t(*)[32])pdq, &match))
            return false;
        if (match)
            blocked(v, "the server's check matched its PDQ hash");
    }
    return true;
}

bool chat_media_hashes(chat_checker *c, const uint8_t *data, size_t size, char pdq_hex[65],
                       bool *has_pdq, char md5_hex[33], char sha256_hex[65])
{
    uint8_t sha256[32], md5[16], pdq[BW_DEVICE_DIHEDRAL_COUNT][32];
    if (bw_device_digest(sha256, md5, data, size) != BW_OK)
        return false;
    bw_device_hex(sha256_hex, sha256, 32);
    bw_device_hex(md5_hex, md5, 16);
    *has_pdq = bw_device_pdq_file(c->device, pdq, NULL, data, size) == BW_OK;
    if (*has_pdq)
        bw_device_hex(pdq_hex, pdq[0], 32);
    return true;
}

/*
 * bulwark-chat: an end-to-end-encrypted messenger built on the device SDK
 * (docs/privacy.md). The relay stores and forwards ciphertext it cannot
 * read; the client checks media with libbulwark_device before encrypting
 * (and refuses to send a match, exit status 3) and after decrypting (and
 * withholds a match).
 */
#ifndef BULWARK_CHAT_H
#define BULWARK_CHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sodium.h>

#include <bulwark/bw_device.h>

#define CHAT_EXIT_OK 0
#define CHAT_EXIT_FAILED 1
#define CHAT_EXIT_USAGE 2
#define CHAT_EXIT_BLOCKED 3 /* a match was refused or withheld */
#define CHAT_EXIT_CONFIRM 4 /* a child account must confirm before sending */

#define CHAT_NAME_MAX 32
#define CHAT_MESSAGE_MAX ((size_t)48 << 20) /* one message on the relay */

/* Prints "bulwark-chat: message" to stderr. */
void chat_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* User names: 1 to 32 of [a-z0-9_.-], not starting with '.'. */
bool chat_valid_name(const char *name);

/* A growable byte buffer, always NUL-terminated for text use. */
typedef struct chat_buf {
    uint8_t *data;
    size_t len, cap;
} chat_buf;
bool chat_buf_append(chat_buf *b, const void *p, size_t n);
void chat_buf_free(chat_buf *b);

/* Whole files: read (at most max bytes) and written atomically with mode. */
bool chat_read_file(const char *path, size_t max, chat_buf *out);
bool chat_write_file(const char *path, const void *data, size_t size, int mode);

/* Hex of exactly `size` bytes; false when text is not that. */
bool chat_from_hex(uint8_t *out, size_t size, const char *text);

/* ---- the relay (chat_relay.c) -------------------------------------------- */

int chat_relay_main(const char *listen, const char *data_dir);

/* ---- HTTP (chat_http.c) ---------------------------------------------------- */

typedef struct chat_response {
    long status;      /* 0 when the request did not complete */
    chat_buf body;
    char error[256];  /* why it did not complete */
} chat_response;

/* One request; body may be NULL. bearer (may be NULL) goes in
 * Authorization, extra_header (may be NULL) as is. false with
 * response->error set when no answer came. */
bool chat_http(const char *method, const char *url, const char *bearer,
               const char *content_type, const void *body, size_t size,
               const char *extra_header, chat_response *response);
void chat_response_free(chat_response *r);

/* ---- messages (chat_envelope.c) -------------------------------------------- */

enum { CHAT_TEXT = 1, CHAT_FILE = 2 };

typedef struct chat_message {
    int kind;
    char name[256];   /* a file's base name */
    chat_buf content;
} chat_message;

/* Encrypts a message from sender_sk to recipient_pk: the envelope the
 * relay stores. Sizes are padded so the relay learns little from them. */
bool chat_seal(chat_buf *envelope, const chat_message *m,
               const uint8_t recipient_pk[crypto_box_PUBLICKEYBYTES],
               const uint8_t sender_sk[crypto_box_SECRETKEYBYTES]);
/* Opens an envelope from sender_pk; false when it is not for us, forged or
 * malformed. */
bool chat_open(chat_message *m, const uint8_t *envelope, size_t size,
               const uint8_t sender_pk[crypto_box_PUBLICKEYBYTES],
               const uint8_t recipient_sk[crypto_box_SECRETKEYBYTES]);
/* Parses a decrypted plaintext (the layout in chat_envelope.c). */
bool chat_parse_plain(chat_message *m, const uint8_t *plain, size_t size);
void chat_message_free(chat_message *m);

/* ---- the client (chat_client.c, chat_check.c, chat_state.c) ----------------- */

typedef struct chat_opts {
    const char *relay;          /* base URL */
    const char *user;
    const char *home;           /* state directory root */
    const char *snapshots[16];  /* full snapshot, then deltas */
    int snapshot_count;
    const char *snapshot_pubkey;
    const char *server;         /* bulwarkd base URL */
    const char *key;            /* bulwarkd API key */
    const char *out;            /* recv: where files go */
    int threshold;
    bool child;                 /* register: mark the account as a child's */
    bool confirm;               /* the child confirmed: send, or keep originals */
    bool hash_only;             /* report-self: hashing, no policy checks */
    const char *nudity_model;   /* the classifier's model file */
    float nudity_threshold;
} chat_opts;

/* The user's directory (created), e.g. ~/.local/share/bulwark-chat/alice. */
bool chat_user_dir(const chat_opts *o, char *out, size_t size);

/* What the checks need, made once per run. */
typedef struct chat_checker {
    const chat_opts *o;
    bw_device *device;
    bw_device_bank *bank;       /* NULL without --snapshot */
    bw_device_nudity *nudity;   /* a child account's classifier, else NULL */
} chat_checker;

bool chat_checker_init(chat_checker *c, const chat_opts *o);
void chat_checker_free(chat_checker *c);

/* The verdict on one piece of media. */
typedef struct chat_verdict {
    bool blocked;
    char why[256];              /* which check matched */
} chat_verdict;

/* Runs every configured check on file bytes; false (with the reason
 * printed) when a check could not be completed. */
bool chat_check_media(chat_checker *c, const uint8_t *data, size_t size,
                      chat_verdict *v);

/* The hashes a self-report sends (only hashes leave the device). */
bool chat_media_hashes(chat_checker *c, const uint8_t *data, size_t size,
                       char pdq_hex[65], bool *has_pdq, char md5_hex[33],
                       char sha256_hex[65]);

/* ---- the child-account policy (chat_nudity.c) ------------------------------- */

/* Whether the user's account is marked as a child's; marking it. */
bool chat_account_is_child(const chat_opts *o);
bool chat_mark_child(const chat_opts *o);

/* Loads the classifier into c->nudity; false after printing why. */
bool chat_nudity_init(chat_checker *c);

/* A decoded picture, RGB rows of width * 3 bytes. */
typedef struct chat_picture {
    uint8_t *rgb;
    uint32_t width, height;
} chat_picture;

/* 1 when the file is a picture to warn about (score at or over the
 * threshold), 0 when not or not a picture, -1 after printing why the check
 * failed. The decoded picture is left in *picture (free it). */
int chat_nudity_check(chat_checker *c, const uint8_t *data, size_t size, float *score,
                      chat_picture *picture);
void chat_picture_free(chat_picture *picture);

/* Writes a heavily blurred copy of the picture as a PNG file. */
bool chat_write_blurred(chat_checker *c, const char *path, const chat_picture *picture);

int chat_register(const chat_opts *o);
int chat_send(const chat_opts *o, const char *peer, const char *what);
int chat_recv(const chat_opts *o);
int chat_report_self(const chat_opts *o, const char *file);
int chat_withdraw_report(const chat_opts *o, const char *case_id, const char *token);

#endif

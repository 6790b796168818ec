/* What the client's command files share (chat_client.c, chat_inbox.c). */
#ifndef BULWARK_CHAT_CLIENT_H
#define BULWARK_CHAT_CLIENT_H

#include <jansson.h>

#include "chat.h"

typedef struct me {
    char dir[4096];
    uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
    char token[65];
} me;

/* Files holding exactly `size` bytes as hex (mode 0600 when written). */
bool read_hex_file(const char *path, uint8_t *out, size_t size);
bool write_hex_file(const char *path, const uint8_t *bytes, size_t size);

/* The user's keys and relay token; false after printing why. */
bool load_me(const chat_opts *o, me *m);

/* A relay answer as JSON; NULL after printing why. */
json_t *relay_json(const chat_response *r, const char *what);

/* A peer's public key, pinned on first use; a changed key is refused. */
bool peer_key(const chat_opts *o, const me *m, const char *peer,
              uint8_t pk[crypto_box_PUBLICKEYBYTES]);

#endif

/*
 * Messages between clients: crypto_box (X25519, XSalsa20-Poly1305) from
 * the sender's key to the recipient's, so only the recipient can read a
 * message and it knows who wrote it. The envelope the relay stores:
 *
 *   "BWCHAT1\n" | nonce[24] | box(plaintext)
 *   plaintext:  u8 kind | u16 name length | name | u32 content length |
 *               content | zero padding
 *
 * Padding rounds the plaintext up to 1 KiB, then to a power of two up to
 * 1 MiB, then to whole MiB, so the relay sees a size class, not a size.
 */
#include <stdlib.h>
#include <string.h>

#include "chat.h"

#define MAGIC "BWCHAT1\n"
#define HEAD (8 + crypto_box_NONCEBYTES)

static size_t padded(size_t n)
{
    if (n <= 1024)
        return 1024;
    if (n <= ((size_t)1 << 20)) {
        size_t p = 1024;
        while (p < n)
            p *= 2;
        return p;
    }
    return (n + ((size_t)1 << 20) - 1) & ~(((size_t)1 << 20) - 1);
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

bool chat_seal(chat_buf *envelope, const chat_message *m,
               const uint8_t recipient_pk[crypto_box_PUBLICKEYBYTES],
               const uint8_t sender_sk[crypto_box_SECRETKEYBYTES])
{
    const size_t name_len = strlen(m->name);
    if (name_len > 255 || m->content.len > CHAT_MESSAGE_MAX - 4096)
        return false;
    const size_t used = 1 + 2 + name_len + 4 + m->content.len, size = padded(used);
    uint8_t *plain = calloc(1, size);
    uint8_t *out = malloc(HEAD + crypto_box_MACBYTES + size);
    if (!plain || !out) {
        free(plain);
        free(out);
        return false;
    }
    plain[0] = (uint8_t)m->kind;
    put_le(plain + 1, name_len, 2);
    memcpy(plain + 3, m->name, name_len);
    put_le(plain + 3 + name_len, m->content.len, 4);
    if (m->content.len)
        memcpy(plain + 7 + name_len, m->content.data, m->content.len);
    memcpy(out, MAGIC, 8);
    randombytes_buf(out + 8, crypto_box_NONCEBYTES);
    const bool ok = crypto_box_easy(out + HEAD, plain, size, out + 8, recipient_pk,
                                    sender_sk) == 0 &&
                    chat_buf_append(envelope, out, HEAD + crypto_box_MACBYTES + size);
    sodium_memzero(plain, size);
    free(plain);
    free(out);
    return ok;
}

bool chat_parse_plain(chat_message *m, const uint8_t *plain, size_t size)
{
    memset(m, 0, sizeof *m);
    if (size < 7 || (plain[0] != CHAT_TEXT && plain[0] != CHAT_FILE))
        return false;
    const size_t name_len = (size_t)get_le(plain + 1, 2);
    if (7 + name_len > size || name_len >= sizeof m->name ||
        memchr(plain + 3, '\0', name_len) != NULL)
        return false;
    const size_t content_len = (size_t)get_le(plain + 3 + name_len, 4);
    if (content_len > size - 7 - name_len)
        return false;
    m->kind = plain[0];
    memcpy(m->name, plain + 3, name_len);
    m->name[name_len] = '\0';
    if (!chat_buf_append(&m->content, plain + 7 + name_len, content_len)) {
        chat_message_free(m);
        return false;
    }
    return true;
}

bool chat_open(chat_message *m, const uint8_t *envelope, size_t size,
               const uint8_t sender_pk[crypto_box_PUBLICKEYBYTES],
               const uint8_t recipient_sk[crypto_box_SECRETKEYBYTES])
{
    memset(m, 0, sizeof *m);
    if (size < HEAD + crypto_box_MACBYTES || memcmp(envelope, MAGIC, 8) != 0)
        return false;
    const size_t plain_size = size - HEAD - crypto_box_MACBYTES;
    uint8_t *plain = malloc(plain_size ? plain_size : 1);
    if (!plain)
        return false;
    /* The box authenticates the sender; what it wrote is parsed strictly
     * all the same, since a sender may be hostile. */
    const bool ok = crypto_box_open_easy(plain, envelope + HEAD, size - HEAD, envelope + 8,
                                         sender_pk, recipient_sk) == 0 &&
                    chat_parse_plain(m, plain, plain_size);
    sodium_memzero(plain, plain_size);
    free(plain);
    return ok;
}

void chat_message_free(chat_message *m)
{
    chat_buf_free(&m->content);
    memset(m->name, 0, sizeof m->name);
}

/*
 * libFuzzer target for bulwark-chat's message plaintext: a sender is
 * authenticated by the box but may still be hostile, so what it sealed is
 * parsed strictly. Each input is parsed as a plaintext, and also sealed
 * with fixed keys and opened as a whole envelope; a message that parses
 * must seal and open back to the same message. replay.c drives it over
 * fuzz/corpus/chat (fuzz/make-chat-corpus.sh) in every test run.
 */
#include <stdlib.h>
#include <string.h>

#include "chat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (sodium_init() < 0)
        return 0;
    uint8_t seed[32] = {1}, apk[32], ask[32], bpk[32], bsk[32];
    crypto_box_seed_keypair(apk, ask, seed);
    seed[0] = 2;
    crypto_box_seed_keypair(bpk, bsk, seed);
    chat_message m, again;
    if (!chat_parse_plain(&m, data, size))
        return 0;
    chat_buf env = {0};
    if (!chat_seal(&env, &m, bpk, ask) || !chat_open(&again, env.data, env.len, apk, bsk) ||
        again.kind != m.kind || strcmp(again.name, m.name) != 0 ||
        again.content.len != m.content.len ||
        (m.content.len && memcmp(again.content.data, m.content.data, m.content.len) != 0))
        abort();
    /* Another recipient cannot open it, nor can a forged sender key. */
    chat_message x;
    if (chat_open(&x, env.data, env.len, bpk, bsk) || chat_open(&x, env.data, env.len, apk, ask))
        abort();
    chat_buf_free(&env);
    chat_message_free(&m);
    chat_message_free(&again);
    return 0;
}

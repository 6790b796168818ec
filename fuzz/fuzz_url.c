/*
 * libFuzzer target for URL normalisation (bw_url_normalize), which every
 * URL from a hash list, the service or a device goes through. A refusal
 * must say why; an accepted URL's canonical form must be text JSON can
 * carry (UTF-8, no control characters), normalise to itself (banks store
 * it, export it and read it back), and be what bw_signal_normalize gives
 * for a "url" signal. Without libFuzzer, replay.c runs it over the corpus.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <bulwark/bulwark.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[BW_SIGNAL_VALUE_MAX + 1], again[BW_SIGNAL_VALUE_MAX + 1];
    char *via_signal = malloc(bw_signal_normalized_size(BW_SIGNAL_URL, size));
    check(via_signal != NULL);
    const char *why = NULL;
    const bw_status st = bw_url_normalize(out, sizeof out, (const char *)data, size, &why);
    const bw_status st_signal =
        bw_signal_normalize(via_signal, bw_signal_normalized_size(BW_SIGNAL_URL, size),
                            BW_SIGNAL_URL, (const char *)data, size, NULL);
    check(st == st_signal);
    if (st != BW_OK) {
        check(st == BW_ERR_PARSE && why && *why);
        free(via_signal);
        return 0;
    }
    const size_t len = strlen(out);
    check(len > 0 && len <= BW_SIGNAL_VALUE_MAX && strcmp(out, via_signal) == 0);
    for (size_t i = 0; i < len; i++)
        check((unsigned char)out[i] >= 0x20 && out[i] != 0x7F);
    json_t *as_json = json_stringn(out, len); /* NULL unless UTF-8 */
    check(as_json != NULL);
    json_decref(as_json);
    why = NULL;
    check(bw_url_normalize(again, sizeof again, out, len, &why) == BW_OK);
    check(strcmp(again, out) == 0);
    free(via_signal);
    return 0;
}

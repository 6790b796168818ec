/* What `match` and `bank add-file` need of a video: its digests, streamed,
 * and its vPDQ as a signal value. */
#include <stdlib.h>

#include "cli.h"

bw_hashes *cli_video_digests(const char *path, char *error, size_t error_size)
{
    static const bw_digest_alg algs[] = {BW_DIGEST_MD5, BW_DIGEST_SHA1, BW_DIGEST_SHA256};
    uint8_t d[3][BW_DIGEST_MAX_BYTES];
    bw_hashes *h = NULL;
    if (cli_digest_file(path, algs, 3, d, error, error_size) != BW_OK)
        return NULL;
    if (bw_hashes_create(&h) != BW_OK) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    for (int i = 0; i < 3; i++)
        bw_hashes_set_digest(h, algs[i], d[i], bw_digest_size(algs[i]));
    return h;
}

char *cli_vpdq_value(const bw_vpdq *vpdq)
{
    const size_t size = bw_vpdq_signal_size(vpdq);
    char *value = size ? malloc(size) : NULL;
    if (value && bw_vpdq_signal_write(value, size, vpdq) != BW_OK) {
        free(value);
        value = NULL;
    }
    return value;
}

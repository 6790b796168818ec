/* Hex text of bytes: shared by the digests, the snapshots and the SDK. */
#include "bulwark/bw_digest.h"

BW_API void bw_hex_encode(char *out, const uint8_t *in, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < size; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * size] = '\0';
}

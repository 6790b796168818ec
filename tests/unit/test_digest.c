/* MD5, SHA-1 and SHA-256 against their standards' test vectors. */
#include <bulwark/bulwark.h>

#include "harness.h"

static void check_digest(bw_digest_alg alg, const char *input, const char *hex)
{
    uint8_t out[BW_DIGEST_MAX_BYTES];
    char got[2 * BW_DIGEST_MAX_BYTES + 1];
    CHECK_EQ(bw_digest(alg, out, sizeof out, input, strlen(input)), BW_OK);
    bw_hex_encode(got, out, bw_digest_size(alg));
    CHECK_STR(got, hex);
}

static void rfc_vectors(void)
{
    /* RFC 1321, FIPS 180-2 appendices. */
    check_digest(BW_DIGEST_MD5, "", "d41d8cd98f00b204e9800998ecf8427e");
    check_digest(BW_DIGEST_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72");
    check_digest(BW_DIGEST_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d");
    check_digest(BW_DIGEST_SHA256, "abc",
                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_digest(BW_DIGEST_SHA256,
                 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void streaming_million_a(void)
{
    bw_digester *d;
    CHECK_EQ(bw_digester_create(&d, BW_DIGEST_SHA1), BW_OK);
    char block[1000];
    memset(block, 'a', sizeof block);
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(bw_digester_update(d, block, sizeof block), BW_OK);
    uint8_t out[20];
    char hex[41];
    CHECK_EQ(bw_digester_final(d, out, sizeof out), BW_OK);
    bw_hex_encode(hex, out, 20);
    CHECK_STR(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    /* Reusable after final. */
    CHECK_EQ(bw_digester_update(d, "abc", 3), BW_OK);
    CHECK_EQ(bw_digester_final(d, out, sizeof out), BW_OK);
    bw_hex_encode(hex, out, 20);
    CHECK_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    bw_digester_free(d);
}

static void rejects_bad_arguments(void)
{
    uint8_t out[32];
    CHECK_EQ(bw_digest(BW_DIGEST_SHA256, out, 16, "x", 1), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_digest((bw_digest_alg)9, out, 32, "x", 1), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_digest_size((bw_digest_alg)9), 0);
    CHECK_STR(bw_digest_name(BW_DIGEST_SHA1), "sha1");
    bw_digester_free(NULL);
}

int main(void)
{
    RUN(rfc_vectors);
    RUN(streaming_million_a);
    RUN(rejects_bad_arguments);
    return BWT_RESULT();
}

/* MD5, SHA-1 and SHA-256 through OpenSSL's libcrypto (SHA-NI where the CPU
 * has it). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bulwark/bw_digest.h"

struct bw_digester {
    EVP_MD_CTX *md;
    /* Fetched once: initialising from EVP_sha256() and the like looks the
     * algorithm up in the provider store every time, which costs more than
     * hashing a short string (an API key on every request). */
    EVP_MD *fetched;
    bw_digest_alg alg;
};

static const EVP_MD *md_of(bw_digest_alg alg)
{
    switch (alg) {
    case BW_DIGEST_MD5:
        return EVP_md5();
    case BW_DIGEST_SHA1:
        return EVP_sha1();
    case BW_DIGEST_SHA256:
        return EVP_sha256();
    }
    return NULL;
}

BW_API size_t bw_digest_size(bw_digest_alg alg)
{
    switch (alg) {
    case BW_DIGEST_MD5:
        return 16;
    case BW_DIGEST_SHA1:
        return 20;
    case BW_DIGEST_SHA256:
        return 32;
    }
    return 0;
}

BW_API const char *bw_digest_name(bw_digest_alg alg)
{
    switch (alg) {
    case BW_DIGEST_MD5:
        return "md5";
    case BW_DIGEST_SHA1:
        return "sha1";
    case BW_DIGEST_SHA256:
        return "sha256";
    }
    return "unknown";
}

BW_API bw_status bw_digest(bw_digest_alg alg, uint8_t *out, size_t out_size,
                           const void *data, size_t size)
{
    const EVP_MD *md = md_of(alg);
    if (!md || !out || out_size < bw_digest_size(alg) || (!data && size))
        return BW_ERR_INVALID_ARGUMENT;
    unsigned len = 0;
    if (!EVP_Digest(size ? data : "", size, out, &len, md, NULL))
        return BW_ERR_INTERNAL;
    return BW_OK;
}

BW_API bw_status bw_digester_create(bw_digester **out, bw_digest_alg alg)
{
    if (!out || !md_of(alg))
        return BW_ERR_INVALID_ARGUMENT;
    *out = NULL;
    bw_digester *d = calloc(1, sizeof *d);
    if (!d)
        return BW_ERR_NOMEM;
    d->md = EVP_MD_CTX_new();
    d->fetched = EVP_MD_fetch(NULL, EVP_MD_get0_name(md_of(alg)), NULL);
    if (!d->md || !d->fetched || !EVP_DigestInit_ex(d->md, d->fetched, NULL)) {
        EVP_MD_free(d->fetched);
        EVP_MD_CTX_free(d->md);
        free(d);
        return BW_ERR_NOMEM;
    }
    d->alg = alg;
    *out = d;
    return BW_OK;
}

BW_API bw_status bw_digester_update(bw_digester *d, const void *data, size_t size)
{
    if (!d || (!data && size))
        return BW_ERR_INVALID_ARGUMENT;
    return size == 0 || EVP_DigestUpdate(d->md, data, size) ? BW_OK
                                                            : BW_ERR_INTERNAL;
}

BW_API bw_status bw_digester_final(bw_digester *d, uint8_t *out, size_t out_size)
{
    if (!d || !out || out_size < bw_digest_size(d->alg))
        return BW_ERR_INVALID_ARGUMENT;
    unsigned len = 0;
    if (!EVP_DigestFinal_ex(d->md, out, &len) ||
        !EVP_DigestInit_ex(d->md, d->fetched, NULL))
        return BW_ERR_INTERNAL;
    return BW_OK;
}

BW_API void bw_digester_free(bw_digester *d)
{
    if (!d)
        return;
    EVP_MD_CTX_free(d->md);
    EVP_MD_free(d->fetched);
    free(d);
}

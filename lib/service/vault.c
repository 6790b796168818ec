/*
 * The media vault: one sealed file per retained upload.
 *
 * File layout: "BWM1", a 24-byte nonce, then secretbox's 16-byte tag and
 * the ciphertext. The key of each file is BLAKE2b keyed with the vault key
 * over the file's reference, so a file copied over another reference does
 * not open. Files are written to a temporary name and renamed, so a crash
 * leaves either the whole file or none.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "bulwark/bw_vault.h"
#include "review_internal.h"

#define MAGIC "BWM1"
#define HEADER_BYTES (4 + crypto_secretbox_NONCEBYTES)
#define OVERHEAD (HEADER_BYTES + crypto_secretbox_MACBYTES)

struct bw_vault {
    char *dir;
    unsigned char key[BW_VAULT_KEY_BYTES];
};

/* References are exactly 32 lower-case hex digits: nothing else ever
 * reaches a path. */
static bool valid_ref(const char *ref)
{
    return ref && strlen(ref) == BW_VAULT_REF_CHARS &&
           strspn(ref, "0123456789abcdef") == BW_VAULT_REF_CHARS;
}

static bw_status read_key(bw_ctx *ctx, unsigned char key[BW_VAULT_KEY_BYTES], const char *path)
{
    const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return bwi_fail(ctx, BW_ERR_IO, "media key file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return bwi_fail(ctx, BW_ERR_IO, "media key file %s is not a regular file", path);
    }
    if (st.st_mode & 077) {
        close(fd);
        return bwi_fail(ctx, BW_ERR_PERMISSION,
                        "media key file %s can be read by others (mode %03o): chmod 600 it",
                        path, (unsigned)(st.st_mode & 0777));
    }
    unsigned char buf[130];
    const ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    size_t len = n > 0 ? (size_t)n : 0;
    bw_status result = BW_OK;
    /* A raw key's own last bytes may be '\n', '\r' or ' ' (one key in 85
     * from /dev/urandom), so only a line end after the 32 bytes is dropped;
     * trailing white space is trimmed from hex keys alone. */
    const size_t k = BW_VAULT_KEY_BYTES;
    const bool raw = len == k || (len == k + 1 && buf[k] == '\n') ||
                     (len == k + 2 && buf[k] == '\r' && buf[k + 1] == '\n');
    while (!raw && len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
                           buf[len - 1] == '\t'))
        len--;
    if (raw) {
        memcpy(key, buf, BW_VAULT_KEY_BYTES);
    } else if (len == 2 * BW_VAULT_KEY_BYTES) {
        size_t bytes = 0;
        if (sodium_hex2bin(key, BW_VAULT_KEY_BYTES, (const char *)buf, len, NULL, &bytes,
                           NULL) != 0 ||
            bytes != BW_VAULT_KEY_BYTES)
            result = BW_ERR_PARSE;
    } else {
        result = BW_ERR_PARSE;
    }
    sodium_memzero(buf, sizeof buf);
    if (result != BW_OK)
        return bwi_fail(ctx, BW_ERR_PARSE,
                        "media key file %s must hold 32 bytes, raw or as 64 hex digits "
                        "(head -c 32 /dev/urandom > FILE)", path);
    return BW_OK;
}

BW_API bw_status bw_vault_open(bw_ctx *ctx, bw_vault **vault_out, const char *dir,
                               const char *key_file)
{
    if (!ctx || !vault_out || !dir || !*dir || !key_file)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    *vault_out = NULL;
    if (sodium_init() < 0)
        return bwi_fail(ctx, BW_ERR_UNAVAILABLE, "libsodium failed to initialise");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return bwi_fail(ctx, BW_ERR_IO, "media directory %s: %s", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return bwi_fail(ctx, BW_ERR_IO, "media directory %s is not a directory", dir);
    bw_vault *v = calloc(1, sizeof *v);
    if (!v || !(v->dir = strdup(dir))) {
        free(v);
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory");
    }
    const bw_status s = read_key(ctx, v->key, key_file);
    if (s != BW_OK) {
        bw_vault_close(v);
        return s;
    }
    *vault_out = v;
    return BW_OK;
}

BW_API void bw_vault_close(bw_vault *vault)
{
    if (!vault)
        return;
    sodium_memzero(vault->key, sizeof vault->key);
    free(vault->dir);
    free(vault);
}

static void file_key(const bw_vault *v, const char *ref, unsigned char out[crypto_secretbox_KEYBYTES])
{
    crypto_generichash(out, crypto_secretbox_KEYBYTES, (const unsigned char *)ref,
                       BW_VAULT_REF_CHARS, v->key, sizeof v->key);
}

static void path_of(char *out, size_t size, const bw_vault *v, const char *prefix, const char *ref)
{
    snprintf(out, size, "%s/%s%s.bwm", v->dir, prefix, ref);
}

/* The path of a sealed file, once its reference is known to be one. */
static bw_status ref_path(bw_ctx *ctx, char *out, size_t size, const bw_vault *v,
                          const char *ref)
{
    if (!valid_ref(ref))
        return bwi_fail(ctx, BW_ERR_NOT_FOUND, "not a media reference");
    path_of(out, size, v, "", ref);
    return BW_OK;
}

static bool write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        const ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

BW_API bw_status bw_vault_put(bw_ctx *ctx, bw_vault *vault,
                              char ref_out[BW_VAULT_REF_CHARS + 1], const void *data,
                              size_t size)
{
    if (!ctx || !vault || !ref_out || (!data && size))
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    if (size > SIZE_MAX - OVERHEAD)
        return bwi_fail(ctx, BW_ERR_TOO_LARGE, "media too large to seal");
    unsigned char id[BW_VAULT_REF_CHARS / 2];
    randombytes_buf(id, sizeof id);
    sodium_bin2hex(ref_out, BW_VAULT_REF_CHARS + 1, id, sizeof id);
    unsigned char *sealed = malloc(OVERHEAD + size);
    if (!sealed)
        return bwi_fail(ctx, BW_ERR_NOMEM, "out of memory sealing %zu bytes", size);
    unsigned char key[crypto_secretbox_KEYBYTES];
    file_key(vault, ref_out, key);
    memcpy(sealed, MAGIC, 4);
    randombytes_buf(sealed + 4, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(sealed + HEADER_BYTES, data, size, sealed + 4, key);
    sodium_memzero(key, sizeof key);
    char tmp[4200], final[4200];
    path_of(tmp, sizeof tmp, vault, ".tmp-", ref_out);
    path_of(final, sizeof final, vault, "", ref_out);
    const int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write_all(fd, sealed, OVERHEAD + size) && fsync(fd) == 0;
    const int err = errno;
    if (fd >= 0)
        ok = close(fd) == 0 && ok;
    free(sealed);
    if (!ok || rename(tmp, final) != 0) {
        unlink(tmp);
        return bwi_fail(ctx, BW_ERR_IO, "cannot write retained media in %s: %s", vault->dir,
                        strerror(ok ? errno : err));
    }
    return BW_OK;
}

BW_API bw_status bw_vault_get(bw_ctx *ctx, bw_vault *vault, uint8_t **data_out,
                              size_t *size_out, const char *ref)
{
    if (!ctx || !vault || !data_out || !size_out)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    *data_out = NULL;
    *size_out = 0;
    char path[4200];
    const bw_status bad = ref_path(ctx, path, sizeof path, vault, ref);
    if (bad != BW_OK)
        return bad;
    const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return bwi_fail(ctx, errno == ENOENT ? BW_ERR_NOT_FOUND : BW_ERR_IO,
                        "retained media %s: %s", ref, strerror(errno));
    struct stat st;
    const uint64_t limit = bw_ctx_get_limit(ctx, BW_LIMIT_INPUT_BYTES);
    bw_status s = BW_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        s = bwi_fail(ctx, BW_ERR_IO, "retained media %s is not a file", ref);
    else if ((uint64_t)st.st_size < OVERHEAD)
        s = bwi_fail(ctx, BW_ERR_VERIFY, "retained media %s is truncated", ref);
    else if ((uint64_t)st.st_size - OVERHEAD > limit)
        s = bwi_fail(ctx, BW_ERR_TOO_LARGE, "retained media %s is over the %llu-byte limit",
                     ref, (unsigned long long)limit);
    const size_t total = s == BW_OK ? (size_t)st.st_size : 0;
    unsigned char *sealed = s == BW_OK ? malloc(total) : NULL;
    uint8_t *plain = s == BW_OK ? malloc(total - OVERHEAD + 1) : NULL;
    if (s == BW_OK && (!sealed || !plain))
        s = bwi_fail(ctx, BW_ERR_NOMEM, "out of memory opening %zu bytes", total);
    size_t got = 0;
    while (s == BW_OK && got < total) {
        const ssize_t n = read(fd, sealed + got, total - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            s = bwi_fail(ctx, BW_ERR_IO, "cannot read retained media %s", ref);
        else
            got += (size_t)n;
    }
    close(fd);
    if (s == BW_OK && memcmp(sealed, MAGIC, 4) != 0)
        s = bwi_fail(ctx, BW_ERR_VERIFY, "retained media %s is not a sealed file", ref);
    if (s == BW_OK) {
        unsigned char key[crypto_secretbox_KEYBYTES];
        file_key(vault, ref, key);
        if (crypto_secretbox_open_easy(plain, sealed + HEADER_BYTES, total - HEADER_BYTES,
                                       sealed + 4, key) != 0)
            s = bwi_fail(ctx, BW_ERR_VERIFY,
                         "retained media %s does not authenticate (altered, or another key)",
                         ref);
        sodium_memzero(key, sizeof key);
    }
    free(sealed);
    if (s != BW_OK) {
        free(plain);
        return s;
    }
    *data_out = plain;
    *size_out = total - OVERHEAD;
    return BW_OK;
}

BW_API void bw_vault_data_free(uint8_t *data, size_t size)
{
    if (!data)
        return;
    sodium_memzero(data, size);
    free(data);
}

BW_API bw_status bw_vault_delete(bw_ctx *ctx, bw_vault *vault, const char *ref)
{
    if (!ctx || !vault)
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    char path[4200];
    const bw_status bad = ref_path(ctx, path, sizeof path, vault, ref);
    if (bad != BW_OK)
        return bad;
    if (unlink(path) != 0)
        return bwi_fail(ctx, errno == ENOENT ? BW_ERR_NOT_FOUND : BW_ERR_IO,
                        "cannot delete retained media %s: %s", ref, strerror(errno));
    return BW_OK;
}

/* ---- what the retention sweep needs of the directory ---------------------------- */

bw_status bwi_vault_each_old(bw_ctx *ctx, bw_vault *vault, int64_t before,
                             bool (*fn)(void *arg, const char *ref), void *arg)
{
    DIR *d = opendir(vault->dir);
    if (!d)
        return bwi_fail(ctx, BW_ERR_IO, "media directory %s: %s", vault->dir, strerror(errno));
    const struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        const bool tmp = !strncmp(name, ".tmp-", 5);
        char ref[BW_VAULT_REF_CHARS + 1];
        const char *start = tmp ? name + 5 : name;
        if (strlen(start) != BW_VAULT_REF_CHARS + 4 || strcmp(start + BW_VAULT_REF_CHARS, ".bwm"))
            continue;
        memcpy(ref, start, BW_VAULT_REF_CHARS);
        ref[BW_VAULT_REF_CHARS] = '\0';
        char path[4200];
        path_of(path, sizeof path, vault, tmp ? ".tmp-" : "", ref);
        struct stat st;
        if (!valid_ref(ref) || lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
            (int64_t)st.st_mtime >= before)
            continue;
        if (tmp) /* this old, it was abandoned by a crash mid-write */
            unlink(path);
        else if (!fn(arg, ref))
            break;
    }
    closedir(d);
    return BW_OK;
}

/* Small helpers: errors, names, buffers, files, hex and the state directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chat.h"

void chat_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bulwark-chat: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

bool chat_valid_name(const char *name)
{
    const size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > CHAT_NAME_MAX || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '_' || name[i] == '-' || name[i] == '.'))
            return false;
    return true;
}

bool chat_buf_append(chat_buf *b, const void *p, size_t n)
{
    if (n > SIZE_MAX - b->len - 1)
        return false;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown)
            return false;
        b->data = grown;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

void chat_buf_free(chat_buf *b)
{
    if (b->data)
        sodium_memzero(b->data, b->cap);
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

bool chat_read_file(const char *path, size_t max, chat_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    uint8_t chunk[65536];
    size_t n;
    bool ok = chat_buf_append(out, "", 0);
    while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ok = out->len + n <= max && chat_buf_append(out, chunk, n);
    ok = ok && !ferror(f);
    fclose(f);
    if (!ok)
        chat_buf_free(out);
    return ok;
}

bool chat_write_file(const char *path, const void *data, size_t size, int mode)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    const int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return false;
    const uint8_t *p = data;
    size_t left = size;
    while (left) {
        const ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return false;
        }
        p += w;
        left -= (size_t)w;
    }
    const bool ok = fsync(fd) == 0 && close(fd) == 0 && rename(tmp, path) == 0;
    if (!ok)
        unlink(tmp);
    return ok;
}

bool chat_from_hex(uint8_t *out, size_t size, const char *text)
{
    size_t bin = 0;
    return text && strlen(text) == 2 * size &&
           sodium_hex2bin(out, size, text, 2 * size, NULL, &bin, NULL) == 0 && bin == size;
}

static bool make_dir(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

bool chat_user_dir(const chat_opts *o, char *out, size_t size)
{
    char root[4096];
    const char *env = getenv("BULWARK_CHAT_HOME"), *data = getenv("XDG_DATA_HOME"),
               *home = getenv("HOME");
    if (o->home)
        snprintf(root, sizeof root, "%s", o->home);
    else if (env && *env)
        snprintf(root, sizeof root, "%s", env);
    else if (data && *data)
        snprintf(root, sizeof root, "%s/bulwark-chat", data);
    else
        snprintf(root, sizeof root, "%s/.local/share/bulwark-chat", home ? home : ".");
    /* Create each level, as mkdir -p would. */
    for (char *p = root + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            make_dir(root);
            *p = '/';
        }
    if ((size_t)snprintf(out, size, "%s/%s", root, o->user) >= size ||
        !make_dir(root) || !make_dir(out)) {
        chat_error("cannot create %s: %s", out, strerror(errno));
        return false;
    }
    return true;
}

/* bulwark bank add-content and bank settings: hashing files into a bank
 * with every signal its settings ask for. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Files larger than this are refused before reading (the library's default
 * input limit). */
#define CONTENT_MAX_BYTES ((uint64_t)256 << 20)

static uint8_t *read_whole(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    int e = 0;
    if (fstat(fileno(f), &st) != 0)
        e = errno;
    else if (!S_ISREG(st.st_mode))
        e = EISDIR;
    else if ((uint64_t)st.st_size > CONTENT_MAX_BYTES)
        e = EFBIG;
    uint8_t *data = e ? NULL : malloc((size_t)st.st_size + 1);
    if (!e && !data)
        e = ENOMEM;
    if (data && (*size = fread(data, 1, (size_t)st.st_size, f)) != (size_t)st.st_size) {
        free(data);
        data = NULL;
        e = EIO;
    }
    fclose(f);
    errno = e;
    return data;
}

int bank_add_content(bw_ctx *ctx, bw_store *store, const char *bank, char **files, int count,
                     const char *metadata, const char *source)
{
    if (count < 1) {
        cli_error("usage: bulwark bank add-content BANK FILE... [--metadata JSON] [--source TEXT]");
        return CLI_EXIT_USAGE;
    }
    int rc = CLI_EXIT_OK;
    for (int i = 0; i < count; i++) {
        size_t size = 0;
        uint8_t *data = read_whole(files[i], &size);
        if (!data) {
            cli_error("%s: %s", files[i], strerror(errno));
            rc = CLI_EXIT_FAILED;
            continue;
        }
        bw_content_stats stats;
        bw_status st = bw_bank_add_content(ctx, store, bank, data, size, metadata, source, &stats);
        free(data);
        if (st != BW_OK) {
            cli_error("%s: %s", files[i], bw_ctx_message(ctx));
            rc = CLI_EXIT_FAILED;
            /* A missing bank or bad settings fail every file alike. */
            if (st == BW_ERR_NOT_FOUND || st == BW_ERR_PARSE)
                break;
            continue;
        }
        fprintf(stderr, "%s: %llu signals added (%llu crop regions), %llu already in the bank\n",
                files[i], (unsigned long long)stats.added, (unsigned long long)stats.regions,
                (unsigned long long)stats.duplicates);
    }
    return rc;
}

static int show_settings(void *arg, const bw_bank_info *b)
{
    (void)arg;
    printf("%s\n", b->settings ? b->settings : "{}");
    return 0;
}

int bank_settings(bw_ctx *ctx, bw_store *store, char **args, int count)
{
    if (count < 1 || count > 2) {
        cli_error("usage: bulwark bank settings NAME [JSON]");
        return CLI_EXIT_USAGE;
    }
    bw_status st = count == 2 ? bw_bank_set_settings(ctx, store, args[0], args[1])
                              : bw_bank_get(ctx, store, args[0], show_settings, NULL);
    if (st != BW_OK) {
        cli_error("%s", bw_ctx_message(ctx));
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

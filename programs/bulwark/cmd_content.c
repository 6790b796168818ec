/* bulwark bank settings: what banking a file stores (bank add-file,
 * add-content and the service's content route follow them). */

#include "cli.h"

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

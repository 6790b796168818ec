/*
 * GET /review and /review/{file}: the review page. Its files are public
 * (a browser cannot send a key when it navigates, and the files hold no
 * data); all it shows comes from the API with a reviewer's key. Served
 * with a strict Content-Security-Policy: only these files' own script and
 * style run, images and media come only from blobs the page fetched,
 * nothing may frame the page, and forms never navigate.
 */
#include <stdlib.h>
#include <string.h>

#include "bulwarkd.h"
#include "web_assets.h"

#define PAGE_CSP                                                                          \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:;"      \
    " media-src blob:; connect-src 'self'; form-action 'none'; base-uri 'none';"          \
    " frame-ancestors 'none'"

static void serve(bwd_request *r, const char *name)
{
    for (size_t i = 0; i < bwd_asset_count; i++) {
        if (strcmp(bwd_assets[i].name, name) != 0)
            continue;
        char *copy = malloc(bwd_assets[i].size ? bwd_assets[i].size : 1);
        if (!copy) {
            bwd_error(r, 503, "unavailable", "out of memory");
            return;
        }
        memcpy(copy, bwd_assets[i].data, bwd_assets[i].size);
        r->status = 200;
        r->out = copy;
        r->out_size = bwd_assets[i].size;
        r->out_type = bwd_assets[i].type;
        r->csp = PAGE_CSP;
        return;
    }
    bwd_error(r, 404, "not_found", "no such file: /review/%s", name);
}

void bwd_web_page(bwd_request *r)
{
    serve(r, "review.html");
}

void bwd_web_asset(bwd_request *r)
{
    serve(r, r->params[0]);
}

/* The review page's files, compiled into bulwarkd (web/embed.cmake). */
#ifndef BULWARKD_WEB_ASSETS_H
#define BULWARKD_WEB_ASSETS_H

#include <stddef.h>

typedef struct bwd_asset {
    const char *name;          /* "review.js" */
    const char *type;          /* Content-Type */
    const unsigned char *data;
    size_t size;
} bwd_asset;

extern const bwd_asset bwd_assets[];
extern const size_t bwd_asset_count;

#endif

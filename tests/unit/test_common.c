/* Status codes, version, context and limits. */
#include <bulwark/bulwark.h>

#include "harness.h"

static void statuses_have_unique_names(void)
{
    const char *seen[64] = {0};
    for (int s = BW_OK; s <= BW_ERR_INTERNAL; s++) {
        const char *code = bw_status_code((bw_status)s);
        CHECK(code && *code && strcmp(code, "unknown") != 0);
        CHECK(bw_strerror((bw_status)s) != NULL);
        for (int t = 0; t < s; t++)
            CHECK(strcmp(seen[t], code) != 0);
        seen[s] = code;
    }
    CHECK_STR(bw_status_code((bw_status)999), "unknown");
    CHECK_STR(bw_strerror((bw_status)-1), "unknown status");
}

static void version_matches_header(void)
{
    CHECK_EQ(bw_version_number(), BW_VERSION_NUMBER);
    CHECK_STR(bw_version_string(), BW_VERSION_STRING);
}

static void limits_round_trip(void)
{
    bw_ctx *ctx;
    CHECK_EQ(bw_ctx_create(&ctx), BW_OK);
    CHECK_EQ(bw_ctx_get_limit(ctx, BW_LIMIT_PIXELS), 100000000);
    CHECK_EQ(bw_ctx_set_limit(ctx, BW_LIMIT_PIXELS, 1234), BW_OK);
    CHECK_EQ(bw_ctx_get_limit(ctx, BW_LIMIT_PIXELS), 1234);
    CHECK_EQ(bw_ctx_set_limit(ctx, BW_LIMIT_PIXELS, 0), BW_ERR_INVALID_ARGUMENT);
    CHECK(strlen(bw_ctx_message(ctx)) > 0);
    CHECK_EQ(bw_ctx_set_limit(ctx, (bw_limit)99, 5), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_ctx_get_limit(ctx, (bw_limit)99), 0);
    CHECK_EQ(bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, 10), BW_OK);
    CHECK_STR(bw_ctx_message(ctx), "");
    bw_ctx_free(ctx);
    bw_ctx_free(NULL);
    CHECK_EQ(bw_ctx_create(NULL), BW_ERR_INVALID_ARGUMENT);
}

static void format_names(void)
{
    CHECK_STR(bw_format_name(BW_FORMAT_JPEG), "jpeg");
    CHECK_STR(bw_format_name(BW_FORMAT_AVIF), "avif");
    CHECK_STR(bw_format_name((bw_format)77), "unknown");
    CHECK_EQ(bw_pixel_format_bytes(BW_PIXEL_BGRA8), 4);
    CHECK_EQ(bw_pixel_format_bytes((bw_pixel_format)0), 0);
}

int main(void)
{
    RUN(statuses_have_unique_names);
    RUN(version_matches_header);
    RUN(limits_round_trip);
    RUN(format_names);
    return BWT_RESULT();
}

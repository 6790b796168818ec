#include "bulwark/bw_common.h"

static const struct {
    const char *code;
    const char *text;
} status_table[] = {
    [BW_OK] = {"ok", "success"},
    [BW_ERR_NOMEM] = {"out_of_memory", "out of memory"},
    [BW_ERR_INVALID_ARGUMENT] = {"invalid_argument", "invalid argument"},
    [BW_ERR_IO] = {"io_error", "input/output error"},
    [BW_ERR_UNSUPPORTED] = {"unsupported", "unsupported format or feature"},
    [BW_ERR_CORRUPT] = {"corrupt", "corrupt input"},
    [BW_ERR_TRUNCATED] = {"truncated", "truncated input"},
    [BW_ERR_TOO_LARGE] = {"too_large", "input larger than the byte limit"},
    [BW_ERR_TOO_MANY_PIXELS] = {"too_many_pixels",
                                "image larger than the pixel limit"},
    [BW_ERR_IMAGE_TOO_SMALL] = {"image_too_small", "image too small to hash"},
    [BW_ERR_PARSE] = {"parse_error", "invalid value"},
    [BW_ERR_NOT_FOUND] = {"not_found", "not found"},
    [BW_ERR_EXISTS] = {"already_exists", "already exists"},
    [BW_ERR_STORAGE] = {"storage_error", "storage error"},
    [BW_ERR_VERIFY] = {"verification_failed", "verification failed"},
    [BW_ERR_LIMIT] = {"limit_exceeded", "limit exceeded"},
    [BW_ERR_TIMEOUT] = {"timeout", "timed out"},
    [BW_ERR_PERMISSION] = {"permission_denied", "permission denied"},
    [BW_ERR_UNAVAILABLE] = {"unavailable", "unavailable"},
    [BW_ERR_INTERNAL] = {"internal_error", "internal error"},
};

#define STATUS_COUNT (sizeof status_table / sizeof status_table[0])

BW_API const char *bw_strerror(bw_status status)
{
    if ((unsigned)status < STATUS_COUNT && status_table[status].text)
        return status_table[status].text;
    return "unknown status";
}

BW_API const char *bw_status_code(bw_status status)
{
    if ((unsigned)status < STATUS_COUNT && status_table[status].code)
        return status_table[status].code;
    return "unknown";
}

BW_API unsigned bw_version_number(void)
{
    return BW_VERSION_NUMBER;
}

BW_API const char *bw_version_string(void)
{
    return BW_VERSION_STRING;
}

/* Signal types and canonical values. */
#include <string.h>
#include <strings.h>

#include "bulwark/bw_signal.h"
#include "vpdq_value.h"

BW_API const char *bw_signal_type_name(bw_signal_type type)
{
    switch (type) {
    case BW_SIGNAL_PDQ:
        return "pdq";
    case BW_SIGNAL_MD5:
        return "md5";
    case BW_SIGNAL_SHA1:
        return "sha1";
    case BW_SIGNAL_SHA256:
        return "sha256";
    case BW_SIGNAL_URL:
        return "url";
    case BW_SIGNAL_VPDQ:
        return "vpdq";
    }
    return "unknown";
}

BW_API bw_status bw_signal_type_parse(bw_signal_type *type_out, const char *name,
                                      size_t len)
{
    static const struct {
        const char *name;
        bw_signal_type type;
    } names[] = {
        {"pdq", BW_SIGNAL_PDQ},       {"pdq_hash", BW_SIGNAL_PDQ},
        {"md5", BW_SIGNAL_MD5},       {"video_md5", BW_SIGNAL_MD5},
        {"photo_md5", BW_SIGNAL_MD5}, {"sha1", BW_SIGNAL_SHA1},
        {"sha256", BW_SIGNAL_SHA256}, {"url", BW_SIGNAL_URL},
        {"vpdq", BW_SIGNAL_VPDQ},
    };
    if (!type_out || !name)
        return BW_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && strncasecmp(names[i].name, name, len) == 0) {
            *type_out = names[i].type;
            return BW_OK;
        }
    return BW_ERR_PARSE;
}

static bw_status hex_value(char *out, size_t out_size, const char *v, size_t len,
                           size_t digits, const char **why)
{
    if (len != digits) {
        if (why)
            *why = digits == 32   ? "an MD5 needs exactly 32 hex digits"
                   : digits == 40 ? "a SHA-1 needs exactly 40 hex digits"
                                  : "needs exactly 64 hex digits";
        return BW_ERR_PARSE;
    }
    if (out_size < digits + 1)
        return BW_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < len; i++) {
        char c = v[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            if (why)
                *why = "not a hex digit";
            return BW_ERR_PARSE;
        }
        out[i] = c;
    }
    out[len] = '\0';
    return BW_OK;
}

BW_API bw_status bw_signal_normalize(char *out, size_t out_size, bw_signal_type type,
                                     const char *value, size_t len, const char **why)
{
    if (!out || !value)
        return BW_ERR_INVALID_ARGUMENT;
    /* Surrounding blanks are never part of a value. */
    while (len && (*value == ' ' || *value == '\t')) {
        value++;
        len--;
    }
    while (len && (value[len - 1] == ' ' || value[len - 1] == '\t' ||
                   value[len - 1] == '\r'))
        len--;
    switch (type) {
    case BW_SIGNAL_PDQ:
    case BW_SIGNAL_SHA256:
        return hex_value(out, out_size, value, len, 64, why);
    case BW_SIGNAL_MD5:
        return hex_value(out, out_size, value, len, 32, why);
    case BW_SIGNAL_SHA1:
        return hex_value(out, out_size, value, len, 40, why);
    case BW_SIGNAL_URL:
        return bw_url_normalize(out, out_size, value, len, why);
    case BW_SIGNAL_VPDQ:
        return bwi_vpdq_normalize(out, out_size, value, len, why);
    }
    if (why)
        *why = "unknown signal type";
    return BW_ERR_INVALID_ARGUMENT;
}

BW_API size_t bw_signal_normalized_size(bw_signal_type type, size_t len)
{
    if (type != BW_SIGNAL_VPDQ)
        return BW_SIGNAL_VALUE_MAX + 1;
    /* The shortest frame of input ("<64 hex>,0,0" in quotes, and a comma)
     * is 70 bytes; none is longer than BWI_VTEXT_FRAME_MAX once canonical. */
    size_t frames = len / 70 + 1;
    if (frames > BW_SIGNAL_VPDQ_FRAMES_MAX)
        frames = BW_SIGNAL_VPDQ_FRAMES_MAX;
    return frames * BWI_VTEXT_FRAME_MAX + 3;
}

/* Format detection from magic numbers, and dispatch to the decoders. */
#include <stdio.h>
#include <string.h>

#include "decode_internal.h"

/* ISO base media files (HEIF, AVIF, MP4, ...) start with an 'ftyp' box whose
 * major brand and compatible brands say what they hold. */
static bw_format sniff_isobmff(const uint8_t *d, size_t size)
{
    if (size < 16 || memcmp(d + 4, "ftyp", 4) != 0)
        return BW_FORMAT_UNKNOWN;
    size_t box = ((size_t)d[0] << 24) | ((size_t)d[1] << 16) |
                 ((size_t)d[2] << 8) | d[3];
    if (box < 16 || box > size)
        box = size < 256 ? size : 256;
    bool heif = false, avif = false, video = false;
    for (size_t off = 8; off + 4 <= box; off += 4) {
        if (off == 12)
            continue; /* minor version, not a brand */
        const uint8_t *b = d + off;
        if (!memcmp(b, "avif", 4) || !memcmp(b, "avis", 4))
            avif = true;
        else if (!memcmp(b, "heic", 4) || !memcmp(b, "heix", 4) ||
                 !memcmp(b, "mif1", 4) || !memcmp(b, "msf1", 4) ||
                 !memcmp(b, "heim", 4) || !memcmp(b, "heis", 4) ||
                 !memcmp(b, "hevc", 4) || !memcmp(b, "hevx", 4))
            heif = true;
        else if (!memcmp(b, "isom", 4) || !memcmp(b, "mp41", 4) ||
                 !memcmp(b, "mp42", 4) || !memcmp(b, "qt  ", 4) ||
                 !memcmp(b, "M4V ", 4) || !memcmp(b, "3gp", 3) ||
                 !memcmp(b, "avc1", 4) || !memcmp(b, "iso", 3) ||
                 !memcmp(b, "dash", 4) || !memcmp(b, "M4A ", 4))
            video = true;
    }
    /* The major brand decides when a file claims several. */
    if (!memcmp(d + 8, "avif", 4) || !memcmp(d + 8, "avis", 4))
        return BW_FORMAT_AVIF;
    if (!memcmp(d + 8, "heic", 4) || !memcmp(d + 8, "heix", 4) ||
        !memcmp(d + 8, "mif1", 4) || !memcmp(d + 8, "msf1", 4))
        return avif ? BW_FORMAT_AVIF : BW_FORMAT_HEIF;
    if (video)
        return BW_FORMAT_VIDEO;
    if (avif)
        return BW_FORMAT_AVIF;
    if (heif)
        return BW_FORMAT_HEIF;
    return BW_FORMAT_VIDEO;
}

/* Other containers FFmpeg reads, recognised so that `bulwark hash` sends
 * them to the video path; the decoder itself probes with FFmpeg. */
static bool sniff_other_video(const uint8_t *d, size_t size)
{
    static const uint8_t asf[16] = {0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11,
                                    0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C};
    if (size >= 16 && !memcmp(d, asf, 16))
        return true; /* ASF: WMV */
    if (size >= 4 && (!memcmp(d, "OggS", 4) || !memcmp(d, "DKIF", 4) ||
                      !memcmp(d, ".RMF", 4)))
        return true; /* Ogg, IVF (VP8/VP9/AV1), RealMedia */
    if (size >= 9 && !memcmp(d, "YUV4MPEG2", 9))
        return true;
    if (size >= 24 && !memcmp(d, "nut/multimedia container", 24))
        return true;
    if (size >= 197 && d[4] == 0x47 && d[196] == 0x47)
        return true; /* M2TS: transport packets behind 4-byte timestamps */
    if (size >= 8 && (!memcmp(d + 4, "moov", 4) || !memcmp(d + 4, "mdat", 4) ||
                      !memcmp(d + 4, "wide", 4) || !memcmp(d + 4, "pnot", 4)))
        return true; /* QuickTime without an ftyp box */
    if (size >= 5 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 1) {
        const uint8_t nal = d[4];
        /* H.264 (SPS or access unit delimiter) or HEVC (VPS) elementary
         * stream in Annex B form */
        if ((nal & 0x9F) == 0x07 || (nal & 0x9F) == 0x09 || nal == 0x40 || nal == 0x46)
            return true;
    }
    return false;
}

bw_format bwi_sniff(const uint8_t *d, size_t size)
{
    if (size >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return BW_FORMAT_JPEG;
    if (size >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8))
        return BW_FORMAT_PNG;
    if (size >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4))
        return BW_FORMAT_WEBP;
    if (size >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "AVI ", 4))
        return BW_FORMAT_VIDEO;
    if (size >= 6 && (!memcmp(d, "GIF87a", 6) || !memcmp(d, "GIF89a", 6)))
        return BW_FORMAT_GIF;
    if (size >= 2 && d[0] == 'B' && d[1] == 'M')
        return BW_FORMAT_BMP;
    if (size >= 4 && (!memcmp(d, "II*\0", 4) || !memcmp(d, "MM\0*", 4) ||
                      !memcmp(d, "II+\0", 4) || !memcmp(d, "MM\0+", 4)))
        return BW_FORMAT_TIFF;
    if (size >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '7' &&
        (d[2] == ' ' || d[2] == '\t' || d[2] == '\n' || d[2] == '\r'))
        return BW_FORMAT_PNM;
    if (size >= 4 && d[0] == 0x1A && d[1] == 0x45 && d[2] == 0xDF && d[3] == 0xA3)
        return BW_FORMAT_VIDEO; /* Matroska / WebM */
    if (size >= 4 && !memcmp(d, "FLV\x01", 4))
        return BW_FORMAT_VIDEO;
    if (size >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 1 && (d[3] == 0xBA || d[3] == 0xB3))
        return BW_FORMAT_VIDEO; /* MPEG program / elementary stream */
    if (size >= 189 && d[0] == 0x47 && d[188] == 0x47)
        return BW_FORMAT_VIDEO; /* MPEG transport stream */
    if (sniff_other_video(d, size))
        return BW_FORMAT_VIDEO;
    return sniff_isobmff(d, size);
}

BW_API const char *bw_format_name(bw_format format)
{
    switch (format) {
    case BW_FORMAT_UNKNOWN:
        return "unknown";
    case BW_FORMAT_JPEG:
        return "jpeg";
    case BW_FORMAT_PNG:
        return "png";
    case BW_FORMAT_WEBP:
        return "webp";
    case BW_FORMAT_GIF:
        return "gif";
    case BW_FORMAT_BMP:
        return "bmp";
    case BW_FORMAT_PNM:
        return "pnm";
    case BW_FORMAT_TIFF:
        return "tiff";
    case BW_FORMAT_HEIF:
        return "heif";
    case BW_FORMAT_AVIF:
        return "avif";
    case BW_FORMAT_PIXELS:
        return "pixels";
    case BW_FORMAT_VIDEO:
        return "video";
    }
    return "unknown";
}

static bw_status unknown_format(bw_ctx *ctx, const uint8_t *d, size_t size)
{
    if (size == 0)
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED, "empty input");
    char hex[3 * 8 + 1] = {0};
    size_t n = size < 8 ? size : 8;
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 3 * i, 4, "%02x ", d[i]);
    hex[3 * n - 1] = '\0';
    return bwi_fail(ctx, BW_ERR_UNSUPPORTED,
                    "not a recognised image format (first bytes: %s)", hex);
}

bw_status bwi_decode(bw_ctx *ctx, const uint8_t *data, size_t size,
                     bwi_sink *sink, unsigned options)
{
    bwi_deadline_start(ctx);
    switch (bwi_sniff(data, size)) {
    case BW_FORMAT_JPEG:
        return bwi_decode_jpeg(ctx, data, size, sink, options);
    case BW_FORMAT_PNG:
        return bwi_decode_png(ctx, data, size, sink, options);
    case BW_FORMAT_WEBP:
        return bwi_decode_webp(ctx, data, size, sink, options);
    case BW_FORMAT_GIF:
        return bwi_decode_gif(ctx, data, size, sink, options);
    case BW_FORMAT_BMP:
        return bwi_decode_bmp(ctx, data, size, sink, options);
    case BW_FORMAT_PNM:
        return bwi_decode_pnm(ctx, data, size, sink, options);
    case BW_FORMAT_TIFF:
        return bwi_decode_tiff(ctx, data, size, sink, options);
    case BW_FORMAT_HEIF:
    case BW_FORMAT_AVIF:
        return bwi_decode_heif(ctx, data, size, sink, options);
    case BW_FORMAT_VIDEO:
        return bwi_fail(ctx, BW_ERR_UNSUPPORTED,
                        "this is a video, not an image");
    case BW_FORMAT_UNKNOWN:
    case BW_FORMAT_PIXELS:
        break;
    }
    return unknown_format(ctx, data, size);
}

BW_API bw_status bw_image_probe(bw_ctx *ctx, bw_format *format_out,
                                uint32_t *width_out, uint32_t *height_out,
                                const void *data, size_t size)
{
    if (!ctx || (!data && size))
        return BW_ERR_INVALID_ARGUMENT;
    bwi_clear(ctx);
    const uint8_t *d = data;
    bw_format format = bwi_sniff(d, size);
    uint32_t w = 0, h = 0;
    bw_status st;
    switch (format) {
    case BW_FORMAT_JPEG:
        st = bwi_probe_jpeg(ctx, d, size, &w, &h);
        break;
    case BW_FORMAT_PNG:
        st = bwi_probe_png(ctx, d, size, &w, &h);
        break;
    case BW_FORMAT_WEBP:
        st = bwi_probe_webp(ctx, d, size, &w, &h);
        break;
    case BW_FORMAT_GIF:
        st = bwi_probe_gif(ctx, d, size, &w, &h);
        break;
    case BW_FORMAT_BMP:
        st = bwi_probe_bmp(ctx, d, size, &w, &h);
        break;
    case BW_FORMAT_PNM:
        st = bwi_probe_pnm(ctx, d, size, &w, &h);
        break;
    case BW_FORMAT_TIFF:
        st = bwi_probe_tiff(ctx, d, size, &w, &h);
        break;
    case BW_FORMAT_HEIF:
    case BW_FORMAT_AVIF:
        st = bwi_probe_heif(ctx, d, size, &w, &h);
        break;
    case BW_FORMAT_VIDEO:
        st = BW_OK; /* dimensions come from the video decoder */
        break;
    default:
        st = unknown_format(ctx, d, size);
        break;
    }
    if (format_out)
        *format_out = st == BW_OK ? format : BW_FORMAT_UNKNOWN;
    if (width_out)
        *width_out = w;
    if (height_out)
        *height_out = h;
    return st;
}

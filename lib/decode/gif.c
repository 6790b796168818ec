/*
 * GIF through giflib: the first image of the file, at its own size (as the
 * reference gets it from ImageMagick), interlacing undone. Transparency is
 * ignored: a transparent pixel keeps its palette colour.
 */
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

#include "decode_internal.h"

typedef struct gif_reader {
    const uint8_t *data;
    size_t size;
    size_t pos;
} gif_reader;

static int on_read(GifFileType *gif, GifByteType *out, int n)
{
    gif_reader *r = gif->UserData;
    size_t left = r->size - r->pos;
    size_t take = n < 0 ? 0 : (size_t)n;
    if (take > left)
        take = left;
    memcpy(out, r->data + r->pos, take);
    r->pos += take;
    return (int)take;
}

static bw_status gif_error(bw_ctx *ctx, int code, const char *when)
{
    const char *why = GifErrorString(code);
    bw_status st = code == D_GIF_ERR_READ_FAILED ? BW_ERR_TRUNCATED
                   : code == D_GIF_ERR_NOT_ENOUGH_MEM ? BW_ERR_NOMEM
                                                      : BW_ERR_CORRUPT;
    return bwi_fail(ctx, st, "GIF: %s: %s", when, why ? why : "unknown error");
}

/* Skips extensions up to the first image descriptor, which it reads. */
static bw_status seek_first_image(bw_ctx *ctx, GifFileType *gif)
{
    for (;;) {
        GifRecordType type;
        if (DGifGetRecordType(gif, &type) == GIF_ERROR)
            return gif_error(ctx, gif->Error, "reading a record");
        if (type == IMAGE_DESC_RECORD_TYPE) {
            if (DGifGetImageDesc(gif) == GIF_ERROR)
                return gif_error(ctx, gif->Error, "reading the image descriptor");
            return BW_OK;
        }
        if (type == EXTENSION_RECORD_TYPE) {
            int code;
            GifByteType *ext;
            if (DGifGetExtension(gif, &code, &ext) == GIF_ERROR)
                return gif_error(ctx, gif->Error, "reading an extension");
            while (ext) {
                if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR)
                    return gif_error(ctx, gif->Error, "reading an extension");
            }
            continue;
        }
        if (type == TERMINATE_RECORD_TYPE)
            return bwi_fail(ctx, BW_ERR_CORRUPT, "GIF: the file has no image");
        return bwi_fail(ctx, BW_ERR_CORRUPT, "GIF: unknown record type %d",
                        (int)type);
    }
}

static GifFileType *open_gif(bw_ctx *ctx, gif_reader *r, bw_status *st)
{
    int err = 0;
    GifFileType *gif = DGifOpen(r, on_read, &err);
    if (!gif) {
        *st = gif_error(ctx, err, "reading the header");
        return NULL;
    }
    if ((*st = seek_first_image(ctx, gif)) == BW_OK)
        *st = bwi_check_dimensions(ctx, "GIF", (uint64_t)gif->Image.Width,
                                   (uint64_t)gif->Image.Height);
    if (*st != BW_OK) {
        DGifCloseFile(gif, &err);
        return NULL;
    }
    return gif;
}

bw_status bwi_probe_gif(bw_ctx *ctx, const uint8_t *data, size_t size,
                        uint32_t *w, uint32_t *h)
{
    gif_reader r = {data, size, 0};
    bw_status st;
    GifFileType *gif = open_gif(ctx, &r, &st);
    if (!gif)
        return st;
    *w = (uint32_t)gif->Image.Width;
    *h = (uint32_t)gif->Image.Height;
    int err;
    DGifCloseFile(gif, &err);
    return BW_OK;
}

bw_status bwi_decode_gif(bw_ctx *ctx, const uint8_t *data, size_t size,
                         bwi_sink *sink, unsigned options)
{
    (void)options;
    gif_reader r = {data, size, 0};
    bw_status st;
    GifFileType *gif = open_gif(ctx, &r, &st);
    if (!gif)
        return st;
    const uint32_t w = (uint32_t)gif->Image.Width;
    const uint32_t h = (uint32_t)gif->Image.Height;
    const ColorMapObject *map =
        gif->Image.ColorMap ? gif->Image.ColorMap : gif->SColorMap;
    uint8_t *index = NULL, *rgb = NULL;
    int err;
    if (!map || map->ColorCount <= 0) {
        st = bwi_fail(ctx, BW_ERR_CORRUPT, "GIF: the image has no colour table");
        goto out;
    }
    const bwi_frame frame = {w, h, w, h, 3, BWI_GREY_BY_CONTENT, BW_FORMAT_GIF};
    if ((st = sink->begin(sink, ctx, &frame)) != BW_OK)
        goto out;
    index = malloc(w);
    rgb = malloc((size_t)w * 3);
    if (!index || !rgb) {
        st = bwi_fail(ctx, BW_ERR_NOMEM, "GIF: cannot allocate a row");
        goto out;
    }
    /* Interlaced images store rows 0,8,16..., then 4,12..., 2,6..., 1,3... */
    static const uint32_t start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    const int passes = gif->Image.Interlace ? 4 : 1;
    for (int p = 0; p < passes; p++) {
        const uint32_t y0 = passes == 1 ? 0 : start[p];
        const uint32_t dy = passes == 1 ? 1 : step[p];
        for (uint32_t y = y0; y < h; y += dy) {
            if (DGifGetLine(gif, index, (int)w) == GIF_ERROR) {
                st = gif_error(ctx, gif->Error, "reading pixels");
                goto out;
            }
            if ((st = bwi_deadline_check(ctx, "GIF")) != BW_OK)
                goto out;
            for (uint32_t x = 0; x < w; x++) {
                /* An index past the table reads entry 0, as ImageMagick does. */
                const int i = index[x] < map->ColorCount ? index[x] : 0;
                rgb[3 * x] = map->Colors[i].Red;
                rgb[3 * x + 1] = map->Colors[i].Green;
                rgb[3 * x + 2] = map->Colors[i].Blue;
            }
            sink->row(sink, y, rgb);
        }
    }
out:
    free(index);
    free(rgb);
    DGifCloseFile(gif, &err);
    return st;
}

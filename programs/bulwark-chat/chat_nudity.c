/*
 * The child-account policy (docs/nudity.md, issue 7): for an account
 * marked as a child, a picture the SDK's classifier scores at or over the
 * threshold is not sent unless the child confirms, and a received one is
 * written out blurred, the original kept only when the child confirms.
 * Everything runs on the device; nothing about the score leaves it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <png.h>

#include "chat.h"

#define CHILD_MARK "child"

static void mark_path(const chat_opts *o, char *out, size_t size)
{
    char dir[4096];
    if (!chat_user_dir(o, dir, sizeof dir))
        dir[0] = '\0';
    snprintf(out, size, "%s/%s", dir, CHILD_MARK);
}

bool chat_account_is_child(const chat_opts *o)
{
    char path[4200];
    struct stat st;
    mark_path(o, path, sizeof path);
    return stat(path, &st) == 0;
}

bool chat_mark_child(const chat_opts *o)
{
    char path[4200];
    mark_path(o, path, sizeof path);
    static const char note[] = "this account belongs to a child: nudity warnings are on\n";
    return chat_write_file(path, note, sizeof note - 1, 0600);
}

bool chat_nudity_init(chat_checker *c)
{
    const chat_opts *o = c->o;
    const char *path = o->nudity_model ? o->nudity_model : getenv("BULWARK_CHAT_NUDITY_MODEL");
    if (!path || !*path) {
        chat_error("%s is a child account: nudity warnings need the classifier's model "
                   "(--nudity-model FILE or BULWARK_CHAT_NUDITY_MODEL)", o->user);
        return false;
    }
    chat_buf file = {0};
    if (!chat_read_file(path, (size_t)64 << 20, &file)) {
        chat_error("cannot read the nudity model %s", path);
        return false;
    }
    const bw_status st = bw_device_nudity_load(c->device, &c->nudity, file.data, file.len);
    chat_buf_free(&file);
    if (st != BW_OK) {
        chat_error("the nudity model %s is unusable: %s", path, bw_device_message(c->device));
        return false;
    }
    return true;
}

int chat_nudity_check(chat_checker *c, const uint8_t *data, size_t size, float *score,
                      chat_picture *picture)
{
    memset(picture, 0, sizeof *picture);
    *score = 0;
    if (bw_device_decode_rgb(c->device, &picture->rgb, &picture->width, &picture->height, data,
                             size) != BW_OK)
        return 0; /* not a picture the SDK decodes: nothing to warn about */
    float scores[BW_DEVICE_NUDITY_CLASSES];
    if (bw_device_nudity_classify_pixels(c->device, scores, c->nudity, picture->rgb,
                                         (size_t)picture->width * 3, picture->width,
                                         picture->height, BW_PIXEL_RGB8) != BW_OK) {
        chat_error("the nudity check failed: %s", bw_device_message(c->device));
        return -1;
    }
    *score = bw_device_nudity_score(scores);
    return bw_device_nudity_should_warn(scores, c->o->nudity_threshold);
}

void chat_picture_free(chat_picture *picture)
{
    bw_device_pixels_free(picture->rgb);
    memset(picture, 0, sizeof *picture);
}

/* PNG through libpng's simplified API; false after printing why. */
static bool write_png(const char *path, const uint8_t *rgb, uint32_t width, uint32_t height)
{
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_RGB;
    png_alloc_size_t size = 0;
    if (!png_image_write_get_memory_size(image, size, 0, rgb, 0, NULL)) {
        chat_error("cannot encode the blurred copy: %s", image.message);
        return false;
    }
    void *png = malloc(size ? size : 1);
    const bool ok = png && png_image_write_to_memory(&image, png, &size, 0, rgb, 0, NULL) &&
                    chat_write_file(path, png, size, 0600);
    if (!ok)
        chat_error("cannot write the blurred copy %s", path);
    free(png);
    return ok;
}

bool chat_write_blurred(chat_checker *c, const char *path, const chat_picture *picture)
{
    const size_t stride = (size_t)picture->width * 3;
    uint8_t *blurred = malloc(stride * picture->height + 1);
    if (!blurred ||
        bw_device_nudity_blur_pixels(c->device, blurred, stride, picture->rgb, stride,
                                     picture->width, picture->height, BW_PIXEL_RGB8,
                                     0) != BW_OK) {
        chat_error("cannot blur a picture: %s", bw_device_message(c->device));
        free(blurred);
        return false;
    }
    const bool ok = write_png(path, blurred, picture->width, picture->height);
    free(blurred);
    return ok;
}

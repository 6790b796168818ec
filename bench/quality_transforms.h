/*
 * The edits of the quality benchmark, made deterministically in C on RGB
 * pixels: what people do to an image between its original and an upload.
 */
#ifndef BULWARK_BENCH_QUALITY_TRANSFORMS_H
#define BULWARK_BENCH_QUALITY_TRANSFORMS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct qimg {
    uint32_t w, h;
    uint8_t *rgb; /* w * h * 3, rows packed */
} qimg;

/* An edit: its family, its strength (whose unit the family defines), and
 * the function making it. `seed` varies per image (noise, which side a
 * one-side crop takes, the sign of a small rotation). */
typedef struct qtransform {
    const char *family;
    const char *name;
    double strength;
    bool (*apply)(qimg *out, const qimg *in, double strength, uint32_t seed);
} qtransform;

/* Every edit of the benchmark, in report order. */
extern const qtransform q_transforms[];
extern const int q_transform_count;

bool qimg_alloc(qimg *img, uint32_t w, uint32_t h);
void qimg_free(qimg *img);

/* Re-encodes as a baseline JPEG at quality q (libjpeg) and decodes it back
 * with Bulwark's decoder. */
bool q_jpeg_roundtrip(qimg *out, const qimg *in, int quality);

#endif

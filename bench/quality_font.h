/* A tiny bitmap font for the quality benchmark's text overlays. */
#ifndef BULWARK_BENCH_QUALITY_FONT_H
#define BULWARK_BENCH_QUALITY_FONT_H

#include <stdint.h>

#define Q_GLYPH_W 5
#define Q_GLYPH_H 7

/* The 7 rows of a glyph (bit 4 = leftmost pixel), or NULL for a blank. */
const uint8_t *q_glyph(char c);

#endif

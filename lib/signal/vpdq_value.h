/*
 * vPDQ signal values (vpdq_value.c). The text form is python-threatexchange's
 * (HMA's): a JSON array of "HASH,QUALITY,SECONDS" strings, one per hashed
 * frame, in frame order. The store keeps the frames in a binary body and
 * identifies the value by the SHA-256 of that body.
 */
#ifndef BULWARK_LIB_SIGNAL_VPDQ_VALUE_H
#define BULWARK_LIB_SIGNAL_VPDQ_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/bw_signal.h"

/* One frame of a banked video. */
typedef struct bwi_vframe {
    uint8_t hash[32];
    uint8_t quality;     /* 0..100 */
    uint32_t ms;         /* timestamp, milliseconds */
} bwi_vframe;

/* bw_signal_normalize() for vPDQ values. */
bw_status bwi_vpdq_normalize(char *out, size_t out_size, const char *value, size_t len,
                             const char **why);

/* The binary body: a version byte, the frame count (4 bytes, little
 * endian), then per frame the hash, the quality and the milliseconds (4
 * bytes, little endian). */
#define BWI_VBODY_HEADER 5
#define BWI_VBODY_FRAME 37
#define BWI_VBODY_VERSION 1

/* Longest text bw_signal_normalize() accepts for a vPDQ value. */
#define BWI_VPDQ_TEXT_MAX (16u << 20)

/* Canonical text bytes of one frame at most: quotes, hash, two commas,
 * "100", "4294967.295" and the separating comma. */
#define BWI_VTEXT_FRAME_MAX 83

/*
 * Parses vPDQ text into frames (malloc'd; the caller frees). BW_ERR_PARSE
 * with a static reason in *why for anything malformed, an empty list or
 * more than BW_SIGNAL_VPDQ_FRAMES_MAX frames; BW_ERR_NOMEM.
 */
bw_status bwi_vtext_parse(const char *text, size_t len, bwi_vframe **frames_out,
                          size_t *count_out, const char **why);

/* Bytes the canonical text of count frames takes, NUL included. */
size_t bwi_vtext_size(const bwi_vframe *frames, size_t count);

/* Writes the canonical text (NUL-terminated); returns its length. out must
 * hold bwi_vtext_size() bytes. */
size_t bwi_vtext_write(char *out, const bwi_vframe *frames, size_t count);

/* The binary body: bwi_vbody_size() bytes written by bwi_vbody_write(). */
size_t bwi_vbody_size(size_t count);
void bwi_vbody_write(uint8_t *out, const bwi_vframe *frames, size_t count);

/* Number of frames in a body, or 0 when it is malformed. */
size_t bwi_vbody_count(const uint8_t *body, size_t size);
/* Frame i of a body whose count was checked. */
void bwi_vbody_frame(const uint8_t *body, size_t i, bwi_vframe *out);

#endif

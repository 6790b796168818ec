/*
 * Bulwark — edit-resistant PDQ: the content box of an image once borders,
 * letterbox bars and screenshot frames are removed, and sets of PDQ hashes
 * (whole image, content box, overlapping crop regions, dihedral variants)
 * that let a crop, a framed or rotated copy still match its original. See
 * docs/quality.md for what each part buys and costs.
 *
 * THREAD SAFETY: the functions that hash use the context's scratch memory,
 * so a context must not be shared between threads; a bw_pdq_set must not be
 * written by two threads at once and may be read by many.
 */
#ifndef BULWARK_BW_ROBUST_H
#define BULWARK_BW_ROBUST_H

#include "bw_common.h"
#include "bw_hash.h"
#include "bw_image.h"
#include "bw_pdq.h"
#include "bw_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A rectangle of an image, in pixels. */
typedef struct bw_box {
    uint32_t x;
    uint32_t y;
    uint32_t width;
    uint32_t height;
} bw_box;

/* bw_image_find_content() flags. */
#define BW_CONTENT_LOOSE 1u   /* also strip lines only 70 % flat (frames) */
#define BW_CONTENT_PICTURE 2u /* the picture inside a window frame */
#define BW_CONTENT_FRAMED 4u  /* a frame's bars, then strictly flat margins */

/*
 * Finds the content of an image: strips, side by side, every outer row or
 * column that is one colour (97 % of its pixels within 20 levels of its
 * median colour): borders, letterbox and pillarbox bars. With
 * BW_CONTENT_LOOSE it goes on stripping lines 70 % flat: the title bar,
 * toolbar and margins of a screenshot, but also smooth sky. Going round
 * until nothing changes makes the result the same for an image and its
 * uniformly framed copies. When stripping would leave less than a tenth of
 * either side (or under 32 pixels), *box_out is the whole image.
 *
 * BW_CONTENT_FRAMED (BW_CONTENT_LOOSE is then ignored) first strips the
 * bars of a frame: lines 70 % flat whose median colour is not the margin's
 * (the median colour of the image's first and last columns, within 3
 * levels) — a chat's header with a name, its input line. Each side stops
 * at the first line of the margin's colour; the strict rule then strips
 * the margin and any flat margin of the picture's own, as it does for the
 * picture alone. So a figure on white, screenshotted in a chat on white,
 * gives its own strict content box, where the loose rule would strip the
 * figure's sparse lines too.
 *
 * BW_CONTENT_PICTURE instead (BW_CONTENT_LOOSE is then ignored) looks for
 * the picture inside a screenshot's window frame (bars with text and
 * buttons, not flat enough to strip): the rectangle, at least a third of
 * the image's width and height, whose sides inside the image (two at
 * least; a side may lie on the image's edge) are sharp colour steps along
 * most of their length, with one colour just outside each of them and a
 * frame that is mostly flat and flatter than the picture; widened to a
 * rectangle that extends it on one side when the picture's sides go on
 * stepping along the part added (a horizon under a pale sky steps more
 * evenly than the picture's top), and tightened by the lines inside it that
 * are the colour of the frame beside them (a toolbar and margin above a
 * picture whose top is white cloud). Without such a rectangle *box_out is
 * the whole image. It reads every pixel (every n-th
 * pixel of every n-th row of an image over 1 200 pixels a side), where
 * stripping reads only the lines it strips.
 *
 * Fails only on bad arguments (and BW_ERR_NOMEM).
 */
BW_API bw_status bw_image_find_content(bw_ctx *ctx, bw_box *box_out,
                                       const bw_image *image, unsigned flags);

/*
 * A copy of the part of image inside box. BW_ERR_INVALID_ARGUMENT when the
 * box is empty or reaches outside the image. The caller frees *image_out.
 */
BW_API bw_status bw_image_crop(bw_ctx *ctx, bw_image **image_out,
                               const bw_image *image, bw_box box);

/*
 * Detects a copy rotated by a small angle onto a larger canvas whose four
 * new corners are filled with one colour, as editors rotate: *degrees_out
 * receives the angle (0.3 to 20 degrees, either sign; the value to pass to
 * bw_image_unrotate()), or 0 when the image does not look so rotated.
 * Fails only on bad arguments or memory.
 */
BW_API bw_status bw_image_find_rotation(bw_ctx *ctx, double *degrees_out,
                                        const bw_image *image);

/*
 * The picture inside such a canvas, turned back by degrees and resampled
 * (bilinear) at the size it had before it was rotated. The caller frees
 * *image_out. BW_ERR_INVALID_ARGUMENT when the canvas cannot hold a
 * rotated picture (|degrees| over 20, or a canvas too thin).
 */
BW_API bw_status bw_image_unrotate(bw_ctx *ctx, bw_image **image_out,
                                   const bw_image *image, double degrees);

/* What a bw_pdq_set holds; combine with |. */
typedef enum bw_pdq_set_flag {
    BW_PDQ_SET_WHOLE = 1u << 0,    /* the whole image: bw_pdq_hash_image's hash */
    BW_PDQ_SET_CONTENT = 1u << 1,  /* the content boxes (strict, then loose;
                                      bw_image_find_content), each when it
                                      differs from the whole and the other */
    BW_PDQ_SET_REGIONS = 1u << 2,  /* the crop regions (bw_pdq_region_*) */
    BW_PDQ_SET_DIHEDRAL = 1u << 3, /* the whole and content images turned by
                                      90, 180, 270 degrees and mirrored (7
                                      more hashes each, hashed from the turned
                                      pixels, so closer to a turned copy's
                                      hash than the reference's variants,
                                      which bw_pdq_hash_image_dihedral()
                                      gives; regions stay original) */
    BW_PDQ_SET_UNROTATED = 1u << 4, /* the picture turned back, when
                                      bw_image_find_rotation() finds an angle,
                                      and its strict content box inside a
                                      3-pixel margin (plus one per 400 of the
                                      shorter side: resampled lines of fill)
                                      when that strips a flat border */
    BW_PDQ_SET_SHAVED = 1u << 5,   /* for queries: the image less 1 % (half
                                      at each side, or all on one side; 5
                                      hashes), so that with the bank's regions
                                      in 2 % steps any crop lands within
                                      0.5 % of a stored one */
    BW_PDQ_SET_EDGES = 1u << 6,    /* for queries: the four regions removing
                                      30 % at one side (l30, r30, t30, b30;
                                      BW_PART_REGION), so that a logo or
                                      caption within that band of an edge or
                                      corner leaves one of them untouched to
                                      meet the bank's same region; and the
                                      eight bands removing 60 or 70 % (l60,
                                      r60, t60, b60, l70, ... b70), which a
                                      logo or word in the middle of the
                                      picture leaves alone */
    BW_PDQ_SET_FRAMED = 1u << 7,   /* for queries: the content inside a
                                      frame's bars and a flat margin
                                      (BW_CONTENT_FRAMED; a chat's screenshot
                                      of a picture on white), which meets the
                                      original's whole or content box */
    BW_PDQ_SET_TILTED = 1u << 8,   /* for queries: the image turned by -8,
                                      -6, -4, -2, 2, 4, 6 and 8 degrees and
                                      cut to the largest rectangle of its
                                      shape inside ("tilted-8" ... "tilted+8",
                                      BW_PART_UNROTATED), so that a copy
                                      rotated by 1-9 degrees and cropped to
                                      its picture (no corners to measure the
                                      angle from) meets the bank's centre
                                      crop regions */
    BW_PDQ_SET_UPRIGHT_CONTENT = 1u << 9, /* with BW_PDQ_SET_DIHEDRAL: only the
                                      whole image is turned; the content
                                      boxes are hashed upright (a letterboxed
                                      or framed copy is seldom also turned,
                                      and turning them too costs about a
                                      third more hashing) */
    BW_PDQ_SET_NEAR_EDGES = 1u << 10, /* for queries: the four edge regions
                                      of BW_PDQ_SET_EDGES (l30, r30, t30,
                                      b30) without the bands, each reaching
                                      only BW_PDQ_NEAR_EDGE_DISTANCE (the
                                      part's reach): a logo or caption near
                                      an edge leaves one of them untouched,
                                      and it meets the bank's region within
                                      a few bits, where different photos of
                                      one scene can share a region at 20-31
                                      bits. With BW_PDQ_SET_EDGES (or
                                      _REGIONS) too they reach the full
                                      threshold. */
    BW_PDQ_SET_BANDS = 1u << 11    /* for queries: the eight bands of
                                      BW_PDQ_SET_EDGES (l60 ... b70) alone,
                                      which count only beside a band of the
                                      opposite side of the same banked file
                                      (bw_pdq_bands_opposite): a logo or
                                      word in the middle leaves them
                                      untouched */
} bw_pdq_set_flag;

/* How far a near edge region (BW_PDQ_SET_NEAR_EDGES) matches. */
#define BW_PDQ_NEAR_EDGE_DISTANCE 16

/* The query sets of the matching modes (`bulwark match --mode`,
 * POST /v1/match?mode=): dihedral; standard, the default (dihedral, the
 * content without borders, letterbox bars or a screenshot's frame, a
 * picture rotated by a few degrees turned back, the image less 1 %,
 * which puts a crop near one of a bank's regions, the image less 30 %
 * at each side, within a few bits, for a logo or caption near an edge,
 * and the bands, for a logo or word in the middle);
 * and robust (everything
 * that helps a query; docs/quality.md says what each part buys and
 * costs). */
#define BW_PDQ_SET_DIHEDRAL_QUERY (BW_PDQ_SET_WHOLE | BW_PDQ_SET_DIHEDRAL)
#define BW_PDQ_SET_STANDARD_QUERY                                                  \
    (BW_PDQ_SET_WHOLE | BW_PDQ_SET_DIHEDRAL | BW_PDQ_SET_CONTENT |               \
     BW_PDQ_SET_UPRIGHT_CONTENT | BW_PDQ_SET_FRAMED | BW_PDQ_SET_UNROTATED |      \
     BW_PDQ_SET_SHAVED | BW_PDQ_SET_NEAR_EDGES | BW_PDQ_SET_BANDS)
#define BW_PDQ_SET_ROBUST_QUERY                                                      \
    (BW_PDQ_SET_WHOLE | BW_PDQ_SET_CONTENT | BW_PDQ_SET_DIHEDRAL | BW_PDQ_SET_UNROTATED | \
     BW_PDQ_SET_SHAVED | BW_PDQ_SET_EDGES | BW_PDQ_SET_FRAMED | BW_PDQ_SET_TILTED)

/* The matching mode's names, as `bulwark match --mode` and bulwarkd's
 * match_mode and ?mode= take them. */
#define BW_PDQ_MODE_NAMES "plain|dihedral|standard|robust"

/*
 * The query set of the matching mode named: 0 for "plain" (the image's
 * PDQ hash alone), BW_PDQ_SET_DIHEDRAL_QUERY, BW_PDQ_SET_STANDARD_QUERY or
 * BW_PDQ_SET_ROBUST_QUERY. BW_ERR_INVALID_ARGUMENT for any other name.
 */
BW_API bw_status bw_pdq_mode_flags(const char *name, unsigned *flags_out);

/* Which part of the image a hash of a set covers. */
typedef enum bw_pdq_part_kind {
    BW_PART_WHOLE = 0,
    BW_PART_CONTENT = 1,
    BW_PART_REGION = 2,
    BW_PART_UNROTATED = 3,
    BW_PART_SHAVED = 4
} bw_pdq_part_kind;

/* "whole", "content", "region", "unrotated", "shaved"; "unknown"
 * otherwise. */
BW_API const char *bw_pdq_part_kind_name(bw_pdq_part_kind kind);

/*
 * One hash of a set. Filled by the library; fields may be appended in later
 * versions, so never allocate one yourself.
 */
typedef struct bw_pdq_part {
    uint8_t hash[BW_PDQ_BYTES];
    int quality;               /* 0..100, of this part */
    bw_pdq_part_kind kind;
    int region;                /* region index for BW_PART_REGION,
                                  BW_PDQ_REGION_CENTRES for the tilted
                                  hashes, else -1 */
    const char *name;          /* "whole", "content", "content-loose",
                                  "content-picture" (BW_CONTENT_PICTURE),
                                  "content-framed" (BW_CONTENT_FRAMED),
                                  "unrotated", "unrotated-content",
                                  "tilted-8" ... "tilted+8" (BW_PDQ_SET_TILTED),
                                  "shaved-c" (-l, -r, -t, -b)
                                  or the region's name */
    bw_dihedral transform;     /* which variant this hash is */
    bw_box box;                /* the pixels hashed */
    int reach;                 /* the largest distance at which it may
                                  match: 256, or less for a flat region
                                  (bw_pdq_region_reach) and a near edge
                                  region (BW_PDQ_NEAR_EDGE_DISTANCE);
                                  bw_matcher_match_set() applies it */
} bw_pdq_part;

/* Crop regions: fixed fractions of the image, so an original and any
 * copy agree on them: BW_PDQ_REGION_STEPS centre crops, then as many crops
 * of the left, right, top and bottom side, then BW_PDQ_REGION_BANDS bands
 * (see bw_pdq_region_box). */
#define BW_PDQ_REGION_STEPS 15
#define BW_PDQ_REGION_BANDS 8
#define BW_PDQ_REGION_COUNT (5 * BW_PDQ_REGION_STEPS + BW_PDQ_REGION_BANDS)
#define BW_PDQ_REGION_FIRST_BAND (5 * BW_PDQ_REGION_STEPS)
/* A band alone is a small part of its picture, and two different photos of
 * one place can share one, or two bands that overlap in a corner (the same
 * wall behind a moved object): a band counts as a match only when a band on
 * the opposite side of the same banked file (l60 or l70 with r60 or r70, t
 * with b: pixels apart) meets the query's too (bw_matcher_match_set;
 * docs/quality.md). Whether regions a and b are two such bands: */
BW_API int bw_pdq_bands_opposite(int region_a, int region_b);
/* Regions whose PDQ quality is under this are too flat to be specific at
 * the full threshold: query sets leave them out (bands excepted, which are
 * kept down to BW_PDQ_REGION_LOW_QUALITY like the bank's and count only in
 * pairs), and so do bank sets under BW_PDQ_REGION_LOW_QUALITY. */
#define BW_PDQ_REGION_MIN_QUALITY 50
/* Bank sets (BW_PDQ_SET_REGIONS) keep regions down to this quality, since a
 * crop of a low-detail picture is flatter than the picture and meets it
 * only there; such a region matches only within
 * BW_PDQ_LOW_QUALITY_DISTANCE (bw_pdq_region_reach). */
#define BW_PDQ_REGION_LOW_QUALITY 30
#define BW_PDQ_LOW_QUALITY_DISTANCE 16

/* A query hash that stands for a centre crop of the banked picture (the
 * tilted hashes, BW_PDQ_SET_TILTED): as bw_pdq_parts_meet()'s query_region,
 * it meets only the bank's centre regions. */
#define BW_PDQ_REGION_CENTRES (-2)

/* Name of region i ("c04": the centre crop removing 4 % of each dimension;
 * "l10": 10 % of the width removed on the left; "r", "t", "b" likewise;
 * the bands "l60", "r60", "t60", "b60": the 40 % at the other side, and
 * "l70", "r70", "t70", "b70": the 30 % at the other side), or
 * NULL. The string is static. */
BW_API const char *bw_pdq_region_name(int region);

/* Region index from its name, or -1. */
BW_API int bw_pdq_region_parse(const char *name);

/*
 * Whether a query hash may match a banked hash, from what each covers
 * (query_region, bank_region: region indexes, or -1 for any other part):
 * a query hash made for one edit meets only what that edit does to the
 * banked picture. A query region (BW_PDQ_SET_EDGES) meets only the banked
 * region of the same name; a tilted query hash (BW_PDQ_REGION_CENTRES) only
 * the banked centre regions; a turned or mirrored query hash meets no banked
 * region, and a banked band (BW_PDQ_REGION_FIRST_BAND on) only the query's
 * band of the same name. Every other pairing is 1. Each further pairing would multiply
 * the chance that two unrelated pictures meet, for copies edited twice (a
 * turned crop) that rarely need it (docs/quality.md); bw_matcher applies
 * this to every PDQ match.
 */
BW_API int bw_pdq_parts_meet(bw_dihedral query_transform, int query_region, int bank_region);

/*
 * Whether bw_bank_add_content() stores this hash of a bank set: the whole
 * image from BW_PDQ_REGION_MIN_QUALITY (a flat hash would meet too many
 * unrelated pictures), a region from BW_PDQ_REGION_LOW_QUALITY, a content
 * box always (it is what a bordered copy meets).
 */
BW_API int bw_pdq_part_bankable(const bw_pdq_part *part);

/*
 * The largest distance at which a banked region of this PDQ quality
 * matches: BW_PDQ_LOW_QUALITY_DISTANCE under BW_PDQ_REGION_MIN_QUALITY
 * (a flat hash lies near many unrelated ones, while a copy cropped like
 * the region lies within a few bits of it), else 256 (any threshold).
 * bw_matcher applies it with the "quality" that bw_bank_add_content()
 * writes in a region's metadata.
 */
BW_API int bw_pdq_region_reach(int quality);

/*
 * The box of region i in an image of width x height: region i removes
 * 2 x (i % BW_PDQ_REGION_STEPS + 1) percent, from both sides (centre) or one;
 * a band removes 60 % (the first four) or 70 % (the next four) from one side.
 * BW_ERR_INVALID_ARGUMENT for an unknown region or an empty image.
 */
BW_API bw_status bw_pdq_region_box(bw_box *box_out, int region, uint32_t width,
                                   uint32_t height);

/* A set of PDQ hashes of one image; reusable across calls. */
typedef struct bw_pdq_set bw_pdq_set;

BW_API bw_status bw_pdq_set_create(bw_pdq_set **out);
/* Accepts NULL. */
BW_API void bw_pdq_set_free(bw_pdq_set *set);

/*
 * Computes the hashes flags ask for (BW_PDQ_SET_WHOLE is always included),
 * replacing the set's contents. Entry 0 is always the whole image's plain
 * hash, identical to bw_pdq_hash_image(). Content hashes whose box is the
 * whole image are left out, and so are regions under
 * BW_PDQ_REGION_LOW_QUALITY (BW_PDQ_SET_REGIONS) or
 * BW_PDQ_REGION_MIN_QUALITY (edge regions alone, for queries).
 * Fails as bw_pdq_hash_image() does.
 */
BW_API bw_status bw_pdq_set_compute(bw_ctx *ctx, bw_pdq_set *set, unsigned flags,
                                    const bw_image *image);

/* Number of hashes in the set. */
BW_API size_t bw_pdq_set_count(const bw_pdq_set *set);

/* Hash i, or NULL when i is out of range; valid until the set is reused
 * or freed. */
BW_API const bw_pdq_part *bw_pdq_set_get(const bw_pdq_set *set, size_t i);

/*
 * bw_hash_bytes() and bw_pdq_set_compute() from one decoding, for dihedral
 * and robust matching (bw_matcher_match_set wants both): the digests flags
 * ask for (its PDQ bits are ignored), the set set_flags asks for, and in
 * out the whole image's PDQ hash (the set's entry 0, as bw_hash_bytes()
 * computes it), format and size. When the media cannot be decoded the call
 * fails, the set is empty and the digests stay readable.
 */
BW_API bw_status bw_hash_bytes_set(bw_ctx *ctx, bw_hashes *out, unsigned flags,
                                   bw_pdq_set *set, unsigned set_flags, const void *data,
                                   size_t size);

/* Like bw_hash_bytes_set() for a file, checked against the byte limit
 * first. */
BW_API bw_status bw_hash_file_set(bw_ctx *ctx, bw_hashes *out, unsigned flags,
                                  bw_pdq_set *set, unsigned set_flags, const char *path);

/*
 * Bank settings key "content_signals": a list of the signals
 * bw_bank_add_content() stores for each file, among "pdq" (the whole-image
 * hash), "pdq_content" (content boxes), "pdq_regions" (crop regions),
 * "md5", "sha1" and "sha256". A bank without it gets
 * BW_CONTENT_SIGNALS_DEFAULT: everything (hash lists of exact copies carry
 * MD5 or SHA-1, exchanges SHA-256).
 */
#define BW_CONTENT_SIGNALS_DEFAULT \
    "[\"pdq\",\"pdq_content\",\"pdq_regions\",\"md5\",\"sha1\",\"sha256\"]"

/* What one bw_bank_add_content() call stored. */
typedef struct bw_content_stats {
    uint64_t added;      /* new signals */
    uint64_t duplicates; /* signals the bank already held */
    uint64_t regions;    /* of the added, crop-region hashes */
} bw_content_stats;

/*
 * Hashes one image file's bytes and adds, in one transaction, every signal
 * the bank's settings ask for ("content_signals" above). Every signal's
 * metadata is `metadata` (a JSON object, or NULL) plus "content" (the
 * file's SHA-256, tying a file's signals together) and "part" ("whole",
 * "content", "content-loose", "content-picture", "region" or "file") with, for regions,
 * "region" (its name) and "quality" (its PDQ quality); bw_matcher reports
 * these parts. PDQ hashes are stored as bw_pdq_part_bankable() says: a
 * whole image of quality under BW_PDQ_REGION_MIN_QUALITY is not (so flat
 * a picture matches too much); regions are, down to
 * BW_PDQ_REGION_LOW_QUALITY, and match as bw_pdq_region_reach() says. source may be
 * NULL; stats may be NULL. Fails when the bank does not exist, its
 * settings are malformed (BW_ERR_PARSE), or the image cannot be decoded
 * (nothing is stored then).
 */
BW_API bw_status bw_bank_add_content(bw_ctx *ctx, bw_store *store, const char *bank,
                                     const void *data, size_t size, const char *metadata,
                                     const char *source, bw_content_stats *stats);

/* What became of one signal of a file (bw_content_signal.outcome). */
typedef enum bw_content_outcome {
    BW_CONTENT_ADDED = 0,   /* stored */
    BW_CONTENT_EXISTED = 1, /* the bank already held it; id is that signal's */
    BW_CONTENT_TOO_FLAT = 2 /* a whole-image PDQ under BW_PDQ_REGION_MIN_QUALITY,
                               not stored (id 0) */
} bw_content_outcome;

/*
 * One signal of a file, as bw_bank_add_content_each() reports it. Filled by
 * the library and valid during the callback only; fields may be appended in
 * later versions, so never allocate one yourself.
 */
typedef struct bw_content_signal {
    bw_signal_type type;
    const char *value;          /* lower-case hex */
    const char *part;           /* as in the metadata: "whole", "content", ... */
    const char *region;         /* the region's name, or NULL */
    int quality;                /* PDQ quality, or -1 for a digest */
    int64_t id;
    bw_content_outcome outcome;
} bw_content_signal;

/* Return non-zero to stop reporting (what is stored stays stored). */
typedef int (*bw_content_signal_fn)(void *arg, const bw_content_signal *signal);

/*
 * bw_bank_add_content(), reporting every signal of the file to each (may be
 * NULL) once the transaction has committed: whole image first, then content
 * boxes, regions and digests; hashes skipped as too flat included.
 */
BW_API bw_status bw_bank_add_content_each(bw_ctx *ctx, bw_store *store, const char *bank,
                                          const void *data, size_t size, const char *metadata,
                                          const char *source, bw_content_stats *stats,
                                          bw_content_signal_fn each, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_ROBUST_H */

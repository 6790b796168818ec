/*
 * libFuzzer target for one decoder entry point, chosen at build time with
 * BW_FUZZ_DECODER (bwi_decode_jpeg, ...), or for the whole public pipeline
 * when it is not set: probe, whole-image decode and the hashing fast path,
 * whose results must agree. Built without libFuzzer, replay.c drives it over
 * the committed corpus in the normal test run.
 */
#include <stdlib.h>
#include <string.h>

#include <bulwark/bulwark.h>

#include "decode/decode_internal.h"
#ifdef BW_FUZZ_JPEG_DC
#include "decode/jpeg_dc.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef BW_FUZZ_DECODER
bw_status BW_FUZZ_DECODER(bw_ctx *, const uint8_t *, size_t, bwi_sink *, unsigned);

/* One decode into an image sink; every failure must say why. */
static void decode_once(bw_ctx *ctx, const uint8_t *data, size_t size, unsigned options)
{
    bwi_image_sink sink;
    bwi_image_sink_init(&sink);
    bw_status st = BW_FUZZ_DECODER(ctx, data, size, &sink.base, options);
    if (st == BW_OK)
        bw_image_free(bwi_image_sink_finish(&sink));
    else
        bwi_image_sink_discard(&sink);
    if (st != BW_OK && bw_ctx_message(ctx)[0] == '\0')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_ctx *ctx;
    if (bw_ctx_create(&ctx) != BW_OK)
        return 0;
    /* Keep the fuzzer's memory bounded: 4 megapixels is plenty to reach
     * every code path. */
    bw_ctx_set_limit(ctx, BW_LIMIT_PIXELS, 4000000);
    for (unsigned options = 0; options <= BWI_DECODE_FAST; options++)
        decode_once(ctx, data, size, options);
#ifdef BW_FUZZ_JPEG_DC
    /* The fast path's reduced stream (lib/decode/jpeg_dc.c), decoded whole:
     * the fast decode itself uses it only past this target's pixel limit. */
    bwi_jpeg_dc dc;
    if (bwi_jpeg_dc_scans(data, size, 0, &dc)) {
        if (dc.size > size + 2)
            abort(); /* only ever a subset of the input, and an end marker */
        decode_once(ctx, dc.data, dc.size, 0);
        free(dc.data);
    }
#endif
    bw_ctx_free(ctx);
    return 0;
}
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_ctx *ctx;
    bw_hashes *hashes;
    if (bw_ctx_create(&ctx) != BW_OK)
        return 0;
    if (bw_hashes_create(&hashes) != BW_OK) {
        bw_ctx_free(ctx);
        return 0;
    }
    bw_ctx_set_limit(ctx, BW_LIMIT_PIXELS, 4000000);
    bw_format format;
    uint32_t w, h;
    bw_status probed = bw_image_probe(ctx, &format, &w, &h, data, size);
    bw_image *img = NULL;
    bw_status decoded = bw_image_decode(ctx, &img, data, size);
    bw_status hashed = bw_hash_bytes(ctx, hashes, BW_HASH_PDQ_DIHEDRAL | BW_HASH_MD5,
                                     data, size);
    if (decoded == BW_OK) {
        uint8_t a[32], b[32];
        int qa = -1, qb = -2;
        /* The fast path and the whole image must agree exactly. */
        bw_status st = bw_pdq_hash_image(ctx, a, &qa, img);
        if (st != hashed)
            abort();
        if (st == BW_OK) {
            bw_hashes_pdq(hashes, b, &qb);
            if (memcmp(a, b, 32) != 0 || qa != qb)
                abort();
        }
        /* Edit-resistant sets (borders, rotation, regions) on hostile
         * pixels, from the one decoding bw_hash_bytes_set makes: entry 0
         * and the hashes' PDQ are always the plain hash. */
        bw_pdq_set *set;
        bw_hashes *both;
        if (bw_pdq_set_create(&set) == BW_OK) {
            if (bw_hashes_create(&both) == BW_OK) {
                bw_status sst = bw_hash_bytes_set(
                    ctx, both, BW_HASH_MD5, set, BW_PDQ_SET_ROBUST_QUERY | BW_PDQ_SET_REGIONS,
                    data, size);
                if (sst != st)
                    abort();
                if (st == BW_OK && (memcmp(bw_pdq_set_get(set, 0)->hash, a, 32) != 0 ||
                                    bw_hashes_pdq(both, b, &qb) != BW_OK ||
                                    memcmp(a, b, 32) != 0 || qa != qb))
                    abort();
                bw_hashes_free(both);
            }
            bw_pdq_set_free(set);
        }
        if (probed == BW_OK && (w != bw_image_width(img) || h != bw_image_height(img)) &&
            format != BW_FORMAT_WEBP && format != BW_FORMAT_HEIF &&
            format != BW_FORMAT_AVIF)
            abort(); /* animated WebP and rotated HEIF may differ from the header */
        bw_image_free(img);
    }
    (void)bw_hash_bytes(ctx, hashes, BW_HASH_PDQ | BW_HASH_FAST, data, size);
    bw_hashes_free(hashes);
    bw_ctx_free(ctx);
    return 0;
}
#endif

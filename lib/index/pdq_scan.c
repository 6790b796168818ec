/*
 * Distance kernels: the POPCNT instruction for single comparisons, and an
 * AVX2 brute-force scan (byte-wise popcount by nibble lookup, Mula's
 * method) for comparing a query against every entry. Both are chosen at
 * run time, so one build runs on any x86-64 and uses what the CPU offers;
 * other architectures get the portable versions.
 */
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "pdq_index_internal.h"

/* Not under clang 14, which names the dispatcher "bwi_hash_distance.ifunc"
 * so that calls from other files (pdq_index.c) do not link; nor under
 * ThreadSanitizer, whose runtime is not up yet when the dynamic loader runs
 * the dispatcher of a statically linked program (it crashes there). */
#if defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("popcnt", "default")))
#endif
int bwi_hash_distance(const uint8_t *a, const uint8_t *b)
{
    uint64_t x[4], y[4];
    memcpy(x, a, 32);
    memcpy(y, b, 32);
    return __builtin_popcountll(x[0] ^ y[0]) + __builtin_popcountll(x[1] ^ y[1]) +
           __builtin_popcountll(x[2] ^ y[2]) + __builtin_popcountll(x[3] ^ y[3]);
}

static bool scan_portable(const bw_pdq_index *ix, bw_pdq_results *r,
                          const uint8_t *query, int threshold)
{
    for (uint32_t s = 0; s < ix->n; s++) {
        const int d = bwi_hash_distance(query, ix->hashes[s]);
        if (d <= threshold && !bwi_is_dead(ix, s) && !bwi_results_push(r, s, d))
            return false;
    }
    return true;
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
static bool scan_avx2(const bw_pdq_index *ix, bw_pdq_results *r,
                      const uint8_t *query, int threshold)
{
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0F);
    const __m256i q = _mm256_loadu_si256((const __m256i *)query);
    for (uint32_t s = 0; s < ix->n; s++) {
        const __m256i x = _mm256_xor_si256(q, _mm256_loadu_si256((const __m256i *)ix->hashes[s]));
        const __m256i counts =
            _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_and_si256(x, low)),
                            _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(x, 4), low)));
        const __m256i sums = _mm256_sad_epu8(counts, _mm256_setzero_si256());
        const __m128i half = _mm_add_epi64(_mm256_castsi256_si128(sums),
                                           _mm256_extracti128_si256(sums, 1));
        const int d = (int)(_mm_cvtsi128_si64(half) + _mm_extract_epi64(half, 1));
        if (d <= threshold && !bwi_is_dead(ix, s) && !bwi_results_push(r, s, d))
            return false;
    }
    return true;
}
#endif

bool bwi_scan_hits(const bw_pdq_index *ix, bw_pdq_results *r, const uint8_t *query,
                   int threshold)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2"))
        return scan_avx2(ix, r, query, threshold);
#endif
    return scan_portable(ix, r, query, threshold);
}

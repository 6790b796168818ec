/*
 * Bulwark — the PDQ index: every stored hash within a Hamming distance of a
 * query, exactly the set a brute-force scan returns, far faster.
 *
 * Multi-index hashing (Norouzi, Punjani and Fleet, "Fast search in Hamming
 * space with multi-index hashing", CVPR 2012): the 256 bits are cut into 16
 * substrings of 16 bits, each with its own table; two hashes within distance
 * T agree within floor(T / 16) bits on at least one substring, so probing
 * each table around the query's substring finds every candidate, and the
 * full distance is then checked. Additions go to dynamic tables, removals
 * mark entries dead, and bw_pdq_index_compact() folds both into compressed
 * static tables without stopping queries for long.
 *
 * THREAD SAFETY: queries (const functions) may run concurrently with each
 * other, each with its own bw_pdq_results; add, remove and compact need
 * exclusive access (e.g. a reader-writer lock held by the caller).
 */
#ifndef BULWARK_BW_INDEX_H
#define BULWARK_BW_INDEX_H

#include "bw_common.h"
#include "bw_pdq.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_pdq_index bw_pdq_index;

/* Results of one query: matched entries with their distances. Reusable. */
typedef struct bw_pdq_results bw_pdq_results;

BW_API bw_status bw_pdq_index_create(bw_pdq_index **index_out);
/* Accepts NULL. */
BW_API void bw_pdq_index_free(bw_pdq_index *index);

/*
 * Adds a hash. id is the caller's identifier (a signal id), returned with
 * matches; tag a small caller value kept beside it (a bank id). The index
 * does not check for duplicates. Fails only with BW_ERR_NOMEM.
 */
BW_API bw_status bw_pdq_index_add(bw_pdq_index *index, int64_t id, uint32_t tag,
                                  const uint8_t hash[BW_PDQ_BYTES]);

/* Makes room for `count` entries in all, so a bulk load does not grow the
 * arrays step by step (and leave their slack behind). BW_ERR_NOMEM. */
BW_API bw_status bw_pdq_index_reserve(bw_pdq_index *index, size_t count);

/* Removes the live entry with this id and hash; BW_ERR_NOT_FOUND if none. */
BW_API bw_status bw_pdq_index_remove(bw_pdq_index *index, int64_t id,
                                     const uint8_t hash[BW_PDQ_BYTES]);

/*
 * Folds recent additions into the compressed tables and, when many entries
 * were removed, rebuilds without them. Call after a bulk load and from time
 * to time; queries stay correct whether or not it has run. BW_ERR_NOMEM.
 */
BW_API bw_status bw_pdq_index_compact(bw_pdq_index *index);

/* Live entries. */
BW_API size_t bw_pdq_index_count(const bw_pdq_index *index);

/* Bytes of memory the index holds. */
BW_API size_t bw_pdq_index_memory(const bw_pdq_index *index);

/*
 * Every live entry within `threshold` (0..256) of hash, into out (cleared
 * first), ordered by distance then id. Thresholds up to 47 use the tables;
 * larger ones scan. BW_ERR_INVALID_ARGUMENT or BW_ERR_NOMEM.
 */
BW_API bw_status bw_pdq_index_query(const bw_pdq_index *index,
                                    bw_pdq_results *out,
                                    const uint8_t hash[BW_PDQ_BYTES],
                                    int threshold);

/* The same answer by comparing every entry (for checking and benchmarks). */
BW_API bw_status bw_pdq_index_scan(const bw_pdq_index *index,
                                   bw_pdq_results *out,
                                   const uint8_t hash[BW_PDQ_BYTES],
                                   int threshold);

BW_API bw_status bw_pdq_results_create(bw_pdq_results **out);
/* Accepts NULL. */
BW_API void bw_pdq_results_free(bw_pdq_results *results);
BW_API size_t bw_pdq_results_count(const bw_pdq_results *results);

/* Result i (0-based): BW_ERR_INVALID_ARGUMENT when i is out of range. Any
 * output pointer may be NULL. */
BW_API bw_status bw_pdq_results_get(const bw_pdq_results *results, size_t i,
                                    int64_t *id_out, uint32_t *tag_out,
                                    int *distance_out,
                                    uint8_t hash_out[BW_PDQ_BYTES]);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_INDEX_H */

/*
 * The private set membership protocol's claims (docs/privacy.md), probed
 * directly across the two libraries as they are deployed: the client half
 * from libbulwark_device, the server half from libbulwark.
 *
 *  1. Correct: a member's token is in the list, a non-member's is not.
 *  2. The server sees only fresh random group elements: blinding the same
 *     file twice gives unrelated elements, and elements for two different
 *     files are indistinguishable in distribution.
 *  3. Only the right blind unblinds: an answer unblinded with another
 *     blind, or evaluated with another key, gives a token not in the list.
 *  4. No offline enumeration: tokens cannot be computed from the file hash
 *     without the server key (other keys and plain hashes of the input
 *     never hit the list).
 *  5. The server refuses non-elements (identity, non-canonical encodings,
 *     random bytes) instead of answering them.
 */
#include <math.h>

#include <sodium.h>

#include <bulwark/bw_device.h>
#include <bulwark/bw_psm.h>

#include "harness.h"
#include "hash_fixtures.h"

#define MEMBERS 200
static uint8_t key[32];
static uint8_t members[MEMBERS][32];
static uint8_t list[MEMBERS][16];
static bwt_rng rng = {0xc0ffee};

static int in_list(const uint8_t token[16])
{
    for (int i = 0; i < MEMBERS; i++)
        if (!memcmp(token, list[i], 16))
            return 1;
    return 0;
}

/* One run of the protocol; the token the client ends with. */
static bw_status query(uint8_t token[16], const uint8_t input[32], const uint8_t *k)
{
    uint8_t blinded[32], blind[32], evaluated[32];
    bw_status st = bw_device_psm_blind(blinded, blind, input, 32);
    if (st == BW_OK)
        st = bw_psm_evaluate(evaluated, k, blinded);
    if (st == BW_OK)
        st = bw_device_psm_finalize(token, blind, evaluated, input, 32);
    return st;
}

static void members_match_and_others_do_not(void)
{
    int hits = 0, false_hits = 0;
    for (int i = 0; i < MEMBERS; i++) {
        uint8_t token[16], other[32];
        CHECK_EQ(query(token, members[i], key), BW_OK);
        hits += in_list(token);
        bwt_random_hash(&rng, other);
        CHECK_EQ(query(token, other, key), BW_OK);
        false_hits += in_list(token);
    }
    CHECK_EQ(hits, MEMBERS);
    CHECK_EQ(false_hits, 0);
}

static void blinded_elements_are_fresh_and_input_independent(void)
{
    enum { SAMPLES = 2000 };
    static uint8_t seen[SAMPLES][32];
    int ones[2][256] = {{0}};
    uint8_t other[32];
    bwt_random_hash(&rng, other);
    const uint8_t *inputs[2] = {members[0], other};
    for (int which = 0; which < 2; which++)
        for (int i = 0; i < SAMPLES; i++) {
            uint8_t blinded[32], blind[32];
            CHECK_EQ(bw_device_psm_blind(blinded, blind, inputs[which], 32), BW_OK);
            CHECK(crypto_core_ristretto255_is_valid_point(blinded));
            if (which == 0)
                memcpy(seen[i], blinded, 32);
            for (int b = 0; b < 256; b++)
                ones[which][b] += (blinded[b / 8] >> (b % 8)) & 1;
        }
    /* No element repeats for the same file. */
    int repeats = 0;
    for (int i = 0; i < SAMPLES; i++)
        for (int j = i + 1; j < SAMPLES; j++)
            repeats += !memcmp(seen[i], seen[j], 32);
    CHECK_EQ(repeats, 0);
    /* Every bit is as often set for one file as for the other: within 5
     * standard deviations of a difference of two binomial counts. */
    const double sd = sqrt(2.0 * SAMPLES * 0.25);
    int outliers = 0;
    for (int b = 0; b < 256; b++)
        outliers += fabs((double)(ones[0][b] - ones[1][b])) > 5 * sd;
    CHECK_EQ(outliers, 0);
}

static void only_the_right_blind_and_key_unblind(void)
{
    uint8_t b1[32], r1[32], b2[32], r2[32], e1[32], token[16], other_key[32];
    CHECK_EQ(bw_device_psm_blind(b1, r1, members[3], 32), BW_OK);
    CHECK_EQ(bw_device_psm_blind(b2, r2, members[3], 32), BW_OK);
    CHECK_EQ(bw_psm_evaluate(e1, key, b1), BW_OK);
    CHECK_EQ(bw_device_psm_finalize(token, r1, e1, members[3], 32), BW_OK);
    CHECK_EQ(in_list(token), 1);
    CHECK_EQ(bw_device_psm_finalize(token, r2, e1, members[3], 32), BW_OK);
    CHECK_EQ(in_list(token), 0);
    /* The token binds the input: the right element with another input. */
    CHECK_EQ(bw_device_psm_finalize(token, r1, e1, members[4], 32), BW_OK);
    CHECK_EQ(in_list(token), 0);
    CHECK_EQ(bw_psm_key_generate(other_key), BW_OK);
    CHECK_EQ(query(token, members[3], other_key), BW_OK);
    CHECK_EQ(in_list(token), 0);
}

static void list_cannot_be_enumerated_offline(void)
{
    /* What an attacker holding the list can compute from a guessed file
     * hash: other keys' tokens, and plain hashes of the input. */
    int hits = 0;
    for (int k = 0; k < 20; k++) {
        uint8_t guess_key[32], token[16];
        CHECK_EQ(bw_psm_key_generate(guess_key), BW_OK);
        for (int i = 0; i < MEMBERS; i++) {
            CHECK_EQ(bw_psm_token(token, guess_key, members[i], 32), BW_OK);
            hits += in_list(token);
        }
    }
    for (int i = 0; i < MEMBERS; i++) {
        uint8_t h[64];
        crypto_hash_sha256(h, members[i], 32);
        hits += in_list(h) + in_list(members[i]) + in_list(members[i] + 16);
        crypto_generichash(h, 16, members[i], 32, NULL, 0);
        hits += in_list(h);
        crypto_hash_sha512(h, members[i], 32);
        hits += in_list(h);
    }
    CHECK_EQ(hits, 0);
    /* The key id identifies the key without revealing it. */
    uint8_t id1[8], id2[8], k2[32];
    CHECK_EQ(bw_psm_key_id(id1, key), BW_OK);
    CHECK_EQ(bw_psm_key_id(id2, key), BW_OK);
    CHECK(!memcmp(id1, id2, 8));
    CHECK(memcmp(id1, key, 8) != 0);
    bw_psm_key_generate(k2);
    CHECK_EQ(bw_psm_key_id(id2, k2), BW_OK);
    CHECK(memcmp(id1, id2, 8) != 0);
}

static void server_refuses_non_elements(void)
{
    uint8_t e[32], bad[32];
    memset(bad, 0, 32); /* the identity */
    CHECK_EQ(bw_psm_evaluate(e, key, bad), BW_ERR_VERIFY);
    memset(bad, 0xff, 32); /* not canonical */
    CHECK_EQ(bw_psm_evaluate(e, key, bad), BW_ERR_VERIFY);
    /* A valid element with its top bit set is a non-canonical encoding. */
    uint8_t blinded[32], blind[32];
    bw_device_psm_blind(blinded, blind, members[0], 32);
    memcpy(bad, blinded, 32);
    bad[31] |= 0x80;
    CHECK_EQ(bw_psm_evaluate(e, key, bad), BW_ERR_VERIFY);
    int answered = 0;
    for (int i = 0; i < 1000; i++) {
        bwt_random_hash(&rng, bad);
        if (bw_psm_evaluate(e, key, bad) == BW_OK)
            answered += !crypto_core_ristretto255_is_valid_point(bad);
    }
    CHECK_EQ(answered, 0);
    /* Bad keys are refused too. */
    uint8_t zero[32] = {0}, big[32];
    memset(big, 0xff, 32);
    CHECK_EQ(bw_psm_evaluate(e, zero, blinded), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_psm_evaluate(e, big, blinded), BW_ERR_INVALID_ARGUMENT);
    CHECK_EQ(bw_psm_key_id(e, big), BW_ERR_PARSE);
    /* And the client refuses a bogus answer. */
    uint8_t token[16];
    CHECK_EQ(bw_device_psm_finalize(token, blind, zero, members[0], 32), BW_ERR_VERIFY);
}

int main(void)
{
    if (sodium_init() < 0 || bw_psm_key_generate(key) != BW_OK)
        return 1;
    for (int i = 0; i < MEMBERS; i++) {
        bwt_random_hash(&rng, members[i]);
        if (bw_psm_token(list[i], key, members[i], 32) != BW_OK)
            return 1;
    }
    RUN(members_match_and_others_do_not);
    RUN(blinded_elements_are_fresh_and_input_independent);
    RUN(only_the_right_blind_and_key_unblind);
    RUN(list_cannot_be_enumerated_offline);
    RUN(server_refuses_non_elements);
    return BWT_RESULT();
}

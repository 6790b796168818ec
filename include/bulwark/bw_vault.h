/*
 * Bulwark — retained media: uploads that matched, kept encrypted at rest
 * for the reviewers who must look at them, and deleted once the retention
 * period has passed. A service retains nothing unless it is configured to:
 * by default a match is recorded without its content.
 *
 * Each file is sealed with libsodium's secretbox (XSalsa20-Poly1305) under
 * a key derived from the vault key and the file's reference, with a fresh
 * random nonce: a file edited, truncated or renamed to another reference
 * fails to open (BW_ERR_VERIFY).
 *
 * THREAD SAFETY: a bw_vault does not change after bw_vault_open; several
 * threads may use one at once, each with its own bw_ctx.
 */
#ifndef BULWARK_BW_VAULT_H
#define BULWARK_BW_VAULT_H

#include "bw_common.h"
#include "bw_store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_vault bw_vault;

/* A vault key is 32 bytes; its file holds them raw (optionally followed by
 * one line end) or as 64 hex digits. */
#define BW_VAULT_KEY_BYTES 32
/* A reference names one sealed file: 32 lower-case hex digits. */
#define BW_VAULT_REF_CHARS 32

/*
 * Opens the vault in directory dir (created, mode 0700, if missing) with
 * the key in key_file. BW_ERR_PERMISSION when the key file can be read or
 * written by anyone but its owner; BW_ERR_PARSE when it holds no key;
 * BW_ERR_IO when either path cannot be used.
 */
BW_API bw_status bw_vault_open(bw_ctx *ctx, bw_vault **vault_out, const char *dir,
                               const char *key_file);

/* Closes a vault, wiping its key from memory. Accepts NULL. */
BW_API void bw_vault_close(bw_vault *vault);

/* Seals size bytes into a new file (mode 0600, written whole or not at
 * all) and writes its reference, NUL-terminated, into ref_out. */
BW_API bw_status bw_vault_put(bw_ctx *ctx, bw_vault *vault,
                              char ref_out[BW_VAULT_REF_CHARS + 1], const void *data,
                              size_t size);

/*
 * Opens a sealed file: *data_out receives a buffer of *size_out bytes that
 * the caller releases with bw_vault_data_free. BW_ERR_NOT_FOUND when the
 * file is gone (expired), BW_ERR_VERIFY when it does not authenticate,
 * BW_ERR_TOO_LARGE over the context's input byte limit.
 */
BW_API bw_status bw_vault_get(bw_ctx *ctx, bw_vault *vault, uint8_t **data_out,
                              size_t *size_out, const char *ref);

/* Wipes and frees what bw_vault_get returned. Accepts NULL. */
BW_API void bw_vault_data_free(uint8_t *data, size_t size);

/* Deletes a sealed file. BW_ERR_NOT_FOUND when there is none. */
BW_API bw_status bw_vault_delete(bw_ctx *ctx, bw_vault *vault, const char *ref);

/*
 * The media of match event event_id, opened for a reviewer: audited as
 * "media.view" by the context's actor (bw_ctx_set_actor) before it is
 * returned. Free it with bw_vault_data_free. BW_ERR_NOT_FOUND when the
 * event has no retained media (never retained, or expired).
 */
BW_API bw_status bw_event_media(bw_ctx *ctx, bw_store *store, bw_vault *vault,
                                uint8_t **data_out, size_t *size_out, int64_t event_id);

/*
 * Records that a person revealed (unblurred) the media of match event
 * event_id: audited as "media.reveal" by the context's actor. Reports say
 * a person viewed the file only when this was recorded; bw_event_media
 * alone (delivery, shown blurred) does not count. BW_ERR_NOT_FOUND when
 * the event has no retained media.
 */
BW_API bw_status bw_event_media_revealed(bw_ctx *ctx, bw_store *store, int64_t event_id);

/*
 * Retention: deletes the media of every match event recorded before
 * `before` (Unix seconds), clears the events' references and audits each
 * ("media.expire"); then deletes vault files last written before `before`
 * that no event names (left by a crash between sealing and recording).
 * *deleted_out (may be NULL) counts the files deleted.
 */
BW_API bw_status bw_media_expire(bw_ctx *ctx, bw_store *store, bw_vault *vault,
                                 int64_t before, uint64_t *deleted_out);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BW_VAULT_H */

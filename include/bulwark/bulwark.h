/*
 * Bulwark — the whole public API. Include this, link -lbulwark.
 * THREAD SAFETY: see each header; in short, one bw_ctx per thread.
 */
#ifndef BULWARK_BULWARK_H
#define BULWARK_BULWARK_H

#include "bw_common.h"
#include "bw_digest.h"
#include "bw_hash.h"
#include "bw_image.h"
#include "bw_index.h"
#include "bw_match.h"
#include "bw_nudity.h"
#include "bw_pdq.h"
#include "bw_report.h"
#include "bw_service.h"
#include "bw_signal.h"
#include "bw_store.h"
#include "bw_vault.h"
#include "bw_video.h"

#endif /* BULWARK_BULWARK_H */

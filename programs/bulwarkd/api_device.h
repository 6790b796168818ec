/*
 * bulwarkd's endpoints for devices (docs/privacy.md): the remote perceptual
 * check (PDQ hashes in, a yes or no out, nothing kept), the server half of
 * private set membership (blinded elements in, evaluated elements out,
 * rate-limited per key), and self-reports (hashes filed in a bank, a case
 * id and a withdrawal token out; DELETE with the token withdraws them).
 * Included by bulwarkd.h; the routes go into routes.c's table.
 */
#ifndef BULWARKD_API_DEVICE_H
#define BULWARKD_API_DEVICE_H

#include <stdbool.h>

/* The routes, for the table in routes.c; `roles` is who may call them. */
#define BWD_DEVICE_ROUTES(roles)                                                            \
    ROUTE("POST", "/v1/device/check", roles, BWD_BODY_JSON, false, bwd_api_device_check), \
    ROUTE("POST", "/v1/device/psm", roles, BWD_BODY_JSON, false, bwd_api_device_psm),     \
    ROUTE("POST", "/v1/device/self-reports", roles, BWD_BODY_JSON, false,                \
          bwd_api_self_report_create),                                                    \
    ROUTE("DELETE", "/v1/device/self-reports/{}", roles, BWD_BODY_NONE, true,            \
          bwd_api_self_report_withdraw)

struct bwd_server;
struct bwd_request;

/* Reads the PSM key (when psm_key is set) and makes the PSM rate limits;
 * false after logging why (bulwarkd then does not start). */
bool bwd_device_start(struct bwd_server *srv);
void bwd_device_stop(struct bwd_server *srv);

void bwd_api_device_check(struct bwd_request *r);
void bwd_api_device_psm(struct bwd_request *r);
void bwd_api_self_report_create(struct bwd_request *r);
void bwd_api_self_report_withdraw(struct bwd_request *r);

#endif

/*
 * MD5 (RFC 1321) for the device SDK, which may depend on libc and
 * libsodium only and libsodium has no MD5. Hash lists still carry MD5s of
 * files, so exact matching needs it; it is never used for security.
 */
#ifndef BULWARK_LIB_MD5_H
#define BULWARK_LIB_MD5_H

#include <stddef.h>
#include <stdint.h>

#define BWI_MD5_BYTES 16

void bwi_md5(uint8_t out[BWI_MD5_BYTES], const void *data, size_t size);

#endif

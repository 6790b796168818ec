/* Shared by the service's files. */
#ifndef BULWARK_LIB_SERVICE_INTERNAL_H
#define BULWARK_LIB_SERVICE_INTERNAL_H

#include "bulwark/bw_service.h"
#include "store/store_internal.h"


#endif

#ifndef CDLRT_SUPPORT_H
#define CDLRT_SUPPORT_H
#include <stddef.h>
/* The public contract, so the Swift implementation uses its exact types. */
#include "../../../include/dlrt.h"
/* Internal helpers of libdlrt.so (hidden by the export map: only dlrt_* is exported). */
/* Stores `message` (truncated to 2 KiB) as this thread's last error. */
void cdlrt_set_error(const char *message);
/* This thread's last error; never NULL. */
const char *cdlrt_last_error(void);
/* One spin-wait hint (x86 `pause`). */
void cdlrt_cpu_relax(void);
#endif

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


/* ---- Thread pool: persistent workers that spin briefly, then sleep on a condition variable. */
typedef void (*cdlrt_task_fn)(void *context, size_t index, size_t count);
typedef struct cdlrt_pool cdlrt_pool;
/* A pool where `threads` threads (the caller plus threads-1 workers) take part in each run.
 * Returns NULL if a thread cannot be created. */
cdlrt_pool *cdlrt_pool_create(int threads);
/* Calls fn(context, i, count) once for each i in [0, count), spread over the caller and the
 * workers; returns when all calls have returned. One caller at a time per pool. */
void cdlrt_pool_run(cdlrt_pool *pool, cdlrt_task_fn fn, void *context, size_t count);
/* Stops and joins the workers. Accepts NULL. */
void cdlrt_pool_destroy(cdlrt_pool *pool);
/* int8 GEMM and quantization kernels (int8 group). */
#include "qgemm.h"
#endif

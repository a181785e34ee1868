#ifndef CDLRT_SUPPORT_H
#define CDLRT_SUPPORT_H
#include <stddef.h>
#include <stdint.h>
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
/* Idle behaviour of workers (the values of dlrt_idle). */
enum { CDLRT_IDLE_SPIN_THEN_SLEEP = 0, CDLRT_IDLE_SPIN = 1, CDLRT_IDLE_SLEEP = 2 };
typedef struct cdlrt_pool_options {
    int threads;                 /* the caller plus threads-1 workers */
    int idle;                    /* CDLRT_IDLE_* */
    unsigned spin_microseconds;  /* CDLRT_IDLE_SPIN_THEN_SLEEP; 0 = 100 */
    const uint32_t *cpus;        /* NULL = not pinned; worker k runs on cpus[k % cpu_count] */
    size_t cpu_count;
} cdlrt_pool_options;
/* A pool with these options (read during the call only). Returns NULL if a thread cannot be
 * created or pinned; *out_failed_worker (if not NULL) is then the worker index that failed, or
 * -1 when memory ran out. */
cdlrt_pool *cdlrt_pool_create_with(const cdlrt_pool_options *options, int *out_failed_worker);
/* 1 if this process may run on `cpu` (sched_getaffinity), else 0. */
int cdlrt_cpu_allowed(uint32_t cpu);
/* The CPUs this process may run on, as "0-3,6" (truncated to `size` bytes, NUL-terminated). */
void cdlrt_allowed_cpus(char *buffer, size_t size);
/* Stops and joins the workers. Accepts NULL. */
void cdlrt_pool_destroy(cdlrt_pool *pool);

/* ---- Runtime CPU dispatch (dispatch.c). Levels of the float32 kernel tables. */
enum { CDLRT_ISA_BASELINE = 0, CDLRT_ISA_AVX2 = 1, CDLRT_ISA_AVX512 = 2 };
/* The best level this CPU runs: AVX-512 needs avx512f+bw+vl+dq (and avx2+fma), AVX2 needs avx2+fma. */
int cdlrt_cpu_isa_level(void);
/* "avx512" | "avx2" | "baseline" → level; -1 for anything else (including NULL). */
int cdlrt_isa_from_name(const char *name);
/* The level to use: cdlrt_cpu_isa_level(), lowered (never raised) by the environment variable
 * DLRT_ISA=avx512|avx2|baseline. Callers evaluate it once (the kernel table is chosen at first use). */
int cdlrt_select_isa(void);
/* Static name of a level ("avx512", "avx2", "baseline"). */
const char *cdlrt_isa_name(int level);

/* ---- CRC-32 (crc32.c): the bulk of zlib's crc32(crc, p, n) with PCLMULQDQ. Returns the bytes
 * consumed (0 when the CPU lacks PCLMULQDQ or n < 64) and the 16-byte remainder in `state`; the
 * CRC of all n bytes is then crc32(crc32(0xFFFFFFFF, state, 16), p + consumed, n - consumed). */
size_t cdlrt_crc32_fold(unsigned int crc, const unsigned char *p, size_t n, unsigned char state[16]);

/* int8 GEMM and quantization kernels (int8 group). */
#include "qgemm.h"
#include "qdepthwise.h"  /* mbv2 */
#include "fdepthwise.h"  /* mbv2 */
#include "qrecurrent.h"
#endif

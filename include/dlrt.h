/*
 * dlrt.h — the C interface of libdlrt.so, an embeddable deep-learning inference runtime.
 *
 * This header is the contract. It is C99 and compiles with `gcc -std=c99 -Wall -Werror`.
 *
 * Objects
 *   dlrt_model    a loaded, validated .dlrt model. Immutable after load.
 *   dlrt_context  per-caller execution state: the memory arena, bound inputs/outputs, the
 *                 shape-specialised plan and the worker threads.
 *
 * Thread safety
 *   - A dlrt_model is immutable once dlrt_model_load_* returns: any number of threads may read it
 *     and create contexts from it at the same time.
 *   - A dlrt_context must be used by one thread at a time (one context per thread). Different
 *     contexts of the same model run concurrently without locks.
 *   - dlrt_model_destroy must not race with any other use of that model; every context created
 *     from a model must be destroyed before the model.
 *   - dlrt_last_error() is per thread.
 *
 * Errors
 *   Every function that can fail returns a dlrt_status. On failure it stores a message naming the
 *   problem (file, offset, section, node, op, shape) that dlrt_last_error() returns on the same
 *   thread. No function traps, aborts or exits on bad input.
 *
 * Ownership
 *   Stated on every function. In short: the caller owns what it passes in and must keep it alive
 *   only for the duration of the call unless a function says otherwise; pointers returned by the
 *   library are owned by the library and live as long as the object they came from, or until the
 *   event the function names. Destroy functions accept NULL.
 */
#ifndef DLRT_H
#define DLRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions ---------------------------------------------------------------------------- */

/* Library version as "MAJOR.MINOR.PATCH". Static string owned by the library. */
const char *dlrt_version(void);

/* Newest .dlrt format version this library reads and writes: (major << 16) | minor.
 * Files with the same major and any minor load (unknown optional sections are skipped). */
uint32_t dlrt_format_version(void);

/* Instruction set of the float32 kernels this process uses: "avx512", "avx2" or "baseline".
 * Chosen once, at first use, from the CPU's features, lowered (never raised) by the environment
 * variable DLRT_ISA=avx512|avx2|baseline (other values are ignored). Static string owned by the
 * library. */
const char *dlrt_isa(void);

/* ---- Status and errors ------------------------------------------------------------------- */

typedef enum dlrt_status {
    DLRT_OK = 0,
    DLRT_ERROR_INVALID_ARGUMENT = 1, /* NULL pointer, bad index, wrong size/dtype/shape of a buffer */
    DLRT_ERROR_IO = 2,               /* the file could not be opened, mapped or read */
    DLRT_ERROR_INVALID_MODEL = 3,    /* bad magic, version, checksum, offsets, graph … */
    DLRT_ERROR_UNSUPPORTED = 4,      /* a valid model using an op/dtype/attribute this build lacks */
    DLRT_ERROR_SHAPE = 5,            /* shapes that do not fit the model (at plan or run time) */
    DLRT_ERROR_OUT_OF_MEMORY = 6,    /* an allocation failed or exceeded a configured cap */
    DLRT_ERROR_STATE = 7,            /* a call out of order, e.g. run before every input is set */
    DLRT_ERROR_INTERNAL = 8          /* a bug in dlrt: please report it with the message */
} dlrt_status;

/* Message of the last failed call on this thread, or "" if none failed yet. Owned by the library,
 * valid until the next dlrt_* call on the same thread. Never NULL. */
const char *dlrt_last_error(void);

/* Short constant name of a status code ("DLRT_ERROR_IO"). Static string; never NULL. */
const char *dlrt_status_name(dlrt_status status);

/* ---- Element types (values are frozen: they are the dtype tags of the file format) -------- */

typedef enum dlrt_dtype {
    DLRT_FLOAT32 = 1,
    DLRT_FLOAT16 = 2,
    DLRT_INT8 = 3,
    DLRT_UINT8 = 4,
    DLRT_INT32 = 5,
    DLRT_INT64 = 6,
    DLRT_BOOL = 7
} dlrt_dtype;

/* Bytes per element of `dtype`, 0 for an unknown value. */
size_t dlrt_dtype_size(dlrt_dtype dtype);

/* ---- Models ------------------------------------------------------------------------------ */

typedef struct dlrt_model dlrt_model;

/* Loads and validates a .dlrt file. The file is mapped read-only (mmap) and weights are used in
 * place; the mapping lives until dlrt_model_destroy. `path` is borrowed for the call.
 * On success *out_model owns a new model the caller must pass to dlrt_model_destroy. */
dlrt_status dlrt_model_load_file(const char *path, dlrt_model **out_model);

/* Flags for dlrt_model_load_buffer. */
#define DLRT_LOAD_COPY 0u   /* copy the bytes: the caller may free `data` when the call returns */
#define DLRT_LOAD_BORROW 1u /* use `data` in place: it must stay valid and unchanged until
                               dlrt_model_destroy. If `data` is not 64-byte aligned the library
                               copies it instead (weights are read with aligned vector loads),
                               so a misaligned buffer never faults. */

/* Loads and validates a model from `size` bytes at `data` (see the DLRT_LOAD_* flags for who
 * owns `data` and for how long). On success *out_model owns a new model. */
dlrt_status dlrt_model_load_buffer(const void *data, size_t size, uint32_t flags, dlrt_model **out_model);

/* Frees a model. Accepts NULL. Every context of the model must have been destroyed first. */
void dlrt_model_destroy(dlrt_model *model);

/* Description of a graph input or output. Every pointer in it is owned by the model and valid
 * until dlrt_model_destroy. `shape` has `rank` entries; a symbolic dimension (e.g. batch) is -1
 * and its name is in dim_names[i] (NULL for fixed dimensions). */
typedef struct dlrt_tensor_info {
    const char *name;
    dlrt_dtype dtype;
    size_t rank;
    const int64_t *shape;
    const char *const *dim_names;
} dlrt_tensor_info;

size_t dlrt_model_input_count(const dlrt_model *model);  /* 0 for NULL */
size_t dlrt_model_output_count(const dlrt_model *model); /* 0 for NULL */

/* Fills *out_info for input/output `index` (0-based). */
dlrt_status dlrt_model_input_info(const dlrt_model *model, size_t index, dlrt_tensor_info *out_info);
dlrt_status dlrt_model_output_info(const dlrt_model *model, size_t index, dlrt_tensor_info *out_info);

/* Index of the input/output called `name` (borrowed for the call). DLRT_ERROR_INVALID_ARGUMENT
 * naming the known names when there is none. */
dlrt_status dlrt_model_input_index(const dlrt_model *model, const char *name, size_t *out_index);
dlrt_status dlrt_model_output_index(const dlrt_model *model, const char *name, size_t *out_index);

/* Metadata entries (producer, source_sha256, onnx_opset, user entries such as labels).
 * Strings are owned by the model and valid until dlrt_model_destroy. */
size_t dlrt_model_metadata_count(const dlrt_model *model);
dlrt_status dlrt_model_metadata_at(const dlrt_model *model, size_t index, const char **out_key,
                                   const char **out_value);
/* *out_value is NULL (and the status DLRT_OK) when the key is absent. */
dlrt_status dlrt_model_metadata_get(const dlrt_model *model, const char *key, const char **out_value);

/* ---- Contexts ---------------------------------------------------------------------------- */

typedef struct dlrt_context dlrt_context;

/* What a context's idle worker threads do between parallel loops (dlrt_context_options.idle).
 * Only contexts with num_threads >= 2 have worker threads. */
typedef enum dlrt_idle {
    /* Spin for spin_microseconds, then sleep until the next loop (wake-up costs a few µs). */
    DLRT_IDLE_SPIN_THEN_SLEEP = 0,
    /* Never sleep: lowest latency, but every worker keeps a CPU busy for the context's life.
     * For control loops on CPUs reserved for them (pin with worker_cpus). */
    DLRT_IDLE_SPIN = 1,
    /* Sleep at once: no CPU burnt between loops, each loop pays the wake-up. */
    DLRT_IDLE_SLEEP = 2
} dlrt_idle;

/* Options for dlrt_context_create. Initialise with dlrt_context_options_init, then set fields.
 * Binary compatibility: a library accepts any struct_size it has shipped (the 16-byte layout of
 * version 0.1, without the fields after max_arena_bytes, gets their defaults). */
typedef struct dlrt_context_options {
    uint32_t struct_size;     /* sizeof(dlrt_context_options); set by dlrt_context_options_init */
    uint32_t num_threads;     /* worker threads including the caller; 0 = 1 */
    uint64_t max_arena_bytes; /* 0 = no cap; otherwise planning fails with DLRT_ERROR_OUT_OF_MEMORY */
    uint32_t idle;            /* a dlrt_idle value; default DLRT_IDLE_SPIN_THEN_SLEEP */
    uint32_t spin_microseconds; /* DLRT_IDLE_SPIN_THEN_SLEEP's spin; 0 = default (100), max 1000000 */
    /* CPU affinity of the context's worker threads (the caller's own thread is left alone: pin
     * it yourself). NULL = not pinned. Otherwise worker k (k = 0 … num_threads-2) is pinned to
     * CPU worker_cpus[k % worker_cpu_count]; every entry must be a CPU this process may run on
     * (sched_getaffinity), else dlrt_context_create fails naming it. Borrowed: read during
     * dlrt_context_create only. */
    const uint32_t *worker_cpus;
    uint32_t worker_cpu_count;
    uint32_t reserved;        /* must be 0 */
} dlrt_context_options;

void dlrt_context_options_init(dlrt_context_options *options);

/* Creates an execution context for `model` (borrowed: it must outlive the context). `options`
 * may be NULL for defaults and is read during the call only. When every input shape is fixed the
 * shapes are inferred and the memory arena is planned and allocated here, so the first run does
 * not allocate. On success *out_context owns a new context. */
dlrt_status dlrt_context_create(const dlrt_model *model, const dlrt_context_options *options,
                                dlrt_context **out_context);

/* Frees a context and its arena and threads. Accepts NULL. */
void dlrt_context_destroy(dlrt_context *context);

/* Binds input `index` to the caller's buffer. `data` is borrowed: it must stay valid and
 * unchanged until the binding is replaced or the context is destroyed; the binding persists
 * across runs, so a control loop binds once and calls dlrt_context_run repeatedly. `dtype` must
 * be the input's dtype. `shape` (borrowed for the call) has `rank` entries; symbolic dimensions
 * take their value from it, fixed ones must match. `byte_size` must equal the shape's element
 * count times the dtype size. The buffer needs only the dtype's natural alignment. */
dlrt_status dlrt_context_set_input(dlrt_context *context, size_t index, dlrt_dtype dtype,
                                   const int64_t *shape, size_t rank, const void *data, size_t byte_size);

/* Binds output `index` to a caller buffer of `byte_size` bytes (borrowed like an input binding);
 * runs then write the output there and fail with DLRT_ERROR_INVALID_ARGUMENT if it is too small.
 * Passing data == NULL removes the binding (outputs then live in runtime-owned memory). */
dlrt_status dlrt_context_set_output(dlrt_context *context, size_t index, void *data, size_t byte_size);

/* Runs the model on the bound inputs. For unchanged input shapes it allocates no memory and takes
 * no lock; neither does it when the shapes (and value-input values) are ones this context ran with
 * recently: it keeps its last 4 plans, so alternating between a few shapes re-plans only once per
 * shape. DLRT_ERROR_STATE if an input is unbound. */
dlrt_status dlrt_context_run(dlrt_context *context);

/* Result of output `index` of the last successful run. *out_data points either to the caller's
 * bound buffer or to runtime-owned memory valid until the next dlrt_context_run,
 * dlrt_context_set_input or dlrt_context_destroy on this context. *out_shape (rank entries) is owned
 * by the context with the same lifetime. Any out pointer may be NULL if not wanted. */
dlrt_status dlrt_context_get_output(dlrt_context *context, size_t index, const void **out_data,
                                    size_t *out_byte_size, const int64_t **out_shape, size_t *out_rank);

/* Bytes of the context's activation arena for the current plan (0 before planning). */
size_t dlrt_context_arena_bytes(const dlrt_context *context);

#ifdef __cplusplus
}
#endif

#endif /* DLRT_H */

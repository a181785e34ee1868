/* Leak, concurrency and misuse stress test of libdlrt.so. C99, gcc -Wall -Werror.
 *
 * usage: test_stress MODEL.dlrt [CYCLES [RUNS]]
 *   CYCLES  load/create/run/destroy cycles (default 1000; `make test-stress` runs fewer under valgrind)
 *   RUNS    total runs of the shared-model thread test (default 100000, split over 4 threads)
 *
 * Works with any model: every input is bound with deterministic data of its declared dtype and
 * shape, symbolic dimensions resolved to a per-test batch (1, 2, 3 or 4).
 *
 *  1. cycles: load (file, copied buffer, borrowed buffer in turn) → create → bind → run → compare
 *     with the reference → destroy; some cycles add failing calls (their messages must not leak).
 *  2. threads: 4 threads share one model, each with its own context (one with 2 worker threads,
 *     each thread its own batch size); RUNS runs in total, every output bit-identical to the
 *     single-threaded reference for that batch.
 *  3. concurrent load/destroy of the same file from 4 threads.
 *  4. misuse: NULLs everywhere, wrong sizes/dtypes/ranks/indices, run before inputs, get_output
 *     before run, bad options, caps; each returns the documented status and a message.
 * Prints `N passed, N failed` last; exit status 0 only when nothing failed.
 */
#define _POSIX_C_SOURCE 200809L
#include "dlrt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed = 0, failed = 0;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static void record(int ok, const char *file, int line, const char *what, const char *detail) {
    pthread_mutex_lock(&count_lock);
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "FAIL %s:%d: %s%s%s\n", file, line, what, detail ? ": " : "", detail ? detail : "");
    }
    pthread_mutex_unlock(&count_lock);
}

#define CHECK(cond, what) record((cond) ? 1 : 0, __FILE__, __LINE__, (what), NULL)
#define CHECK_OK(call)                                                                             \
    do {                                                                                           \
        dlrt_status s_ = (call);                                                                   \
        record(s_ == DLRT_OK, __FILE__, __LINE__, #call, s_ == DLRT_OK ? NULL : dlrt_last_error()); \
    } while (0)
/* A failing call must return `expected` and leave a non-empty message. */
#define CHECK_FAIL(call, expected)                                                                 \
    do {                                                                                           \
        dlrt_status s_ = (call);                                                                   \
        const char *m_ = dlrt_last_error();                                                        \
        int ok_ = s_ == (expected) && m_ != NULL && m_[0] != '\0';                                 \
        char d_[160];                                                                              \
        snprintf(d_, sizeof d_, "got %s, expected %s", dlrt_status_name(s_), dlrt_status_name(expected)); \
        record(ok_, __FILE__, __LINE__, #call, ok_ ? NULL : d_);                                   \
    } while (0)

static const char *g_path;
static void *g_file;      /* the model file's bytes, 64-byte aligned */
static size_t g_file_size;

#define MAX_IO 16
#define MAX_RANK 16
#define MAX_BATCH 4

/* Bound inputs and the expected outputs of one batch size. */
typedef struct {
    size_t n_in, n_out;
    dlrt_dtype dtype[MAX_IO];
    int64_t shape[MAX_IO][MAX_RANK];
    size_t rank[MAX_IO];
    void *data[MAX_IO];
    size_t bytes[MAX_IO];
    void *expected[MAX_IO];
    size_t expected_bytes[MAX_IO];
} io_set;

static io_set g_io[MAX_BATCH + 1]; /* index = batch */

static void *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = NULL;
    if (n <= 0 || posix_memalign(&p, 64, (size_t)n) != 0) { fclose(f); return NULL; }
    if (fread(p, 1, (size_t)n, f) != (size_t)n) { free(p); p = NULL; }
    fclose(f);
    *size = (size_t)n;
    return p;
}

/* Deterministic input values: small, varied, exactly representable. */
static void fill(void *data, dlrt_dtype dtype, size_t count, unsigned seed) {
    for (size_t i = 0; i < count; i++) {
        unsigned v = (unsigned)(i * 2654435761u + seed * 40503u) >> 7;
        switch (dtype) {
        case DLRT_FLOAT32: ((float *)data)[i] = (float)(v % 33) / 16.0f; break;
        case DLRT_INT32: ((int32_t *)data)[i] = (int32_t)(v % 7); break;
        case DLRT_INT64: ((int64_t *)data)[i] = (int64_t)(v % 7); break;
        case DLRT_BOOL: ((uint8_t *)data)[i] = (uint8_t)(v & 1); break;
        default: ((uint8_t *)data)[i] = (uint8_t)(v % 7); break;
        }
    }
}

static int prepare_io(const dlrt_model *model, int batch, io_set *io) {
    memset(io, 0, sizeof *io);
    io->n_in = dlrt_model_input_count(model);
    io->n_out = dlrt_model_output_count(model);
    if (io->n_in > MAX_IO || io->n_out > MAX_IO) return 0;
    for (size_t k = 0; k < io->n_in; k++) {
        dlrt_tensor_info info;
        if (dlrt_model_input_info(model, k, &info) != DLRT_OK || info.rank > MAX_RANK) return 0;
        size_t count = 1;
        io->dtype[k] = info.dtype;
        io->rank[k] = info.rank;
        for (size_t d = 0; d < info.rank; d++) {
            io->shape[k][d] = info.shape[d] < 0 ? batch : info.shape[d];
            count *= (size_t)io->shape[k][d];
        }
        io->bytes[k] = count * dlrt_dtype_size(info.dtype);
        io->data[k] = malloc(io->bytes[k] ? io->bytes[k] : 1);
        fill(io->data[k], info.dtype, count, (unsigned)(k * 31 + (size_t)batch));
    }
    return 1;
}

static dlrt_status bind_inputs(dlrt_context *ctx, const io_set *io) {
    for (size_t k = 0; k < io->n_in; k++) {
        dlrt_status s = dlrt_context_set_input(ctx, k, io->dtype[k], io->shape[k], io->rank[k], io->data[k], io->bytes[k]);
        if (s != DLRT_OK) return s;
    }
    return DLRT_OK;
}

/* 1 if every output of the last run equals the expected bytes. */
static int outputs_match(dlrt_context *ctx, const io_set *io) {
    for (size_t k = 0; k < io->n_out; k++) {
        const void *data = NULL;
        size_t bytes = 0;
        if (dlrt_context_get_output(ctx, k, &data, &bytes, NULL, NULL) != DLRT_OK) return 0;
        if (bytes != io->expected_bytes[k] || (bytes && memcmp(data, io->expected[k], bytes) != 0)) return 0;
    }
    return 1;
}

static void free_io(io_set *io) {
    for (size_t k = 0; k < MAX_IO; k++) { free(io->data[k]); free(io->expected[k]); }
}

/* Single-threaded references, one per batch size. */
static int make_references(void) {
    dlrt_model *model = NULL;
    if (dlrt_model_load_file(g_path, &model) != DLRT_OK) {
        fprintf(stderr, "cannot load %s: %s\n", g_path, dlrt_last_error());
        return 0;
    }
    for (int b = 1; b <= MAX_BATCH; b++) {
        io_set *io = &g_io[b];
        dlrt_context *ctx = NULL;
        if (!prepare_io(model, b, io) || dlrt_context_create(model, NULL, &ctx) != DLRT_OK ||
            bind_inputs(ctx, io) != DLRT_OK || dlrt_context_run(ctx) != DLRT_OK) {
            fprintf(stderr, "reference run (batch %d) failed: %s\n", b, dlrt_last_error());
            dlrt_context_destroy(ctx);
            dlrt_model_destroy(model);
            return 0;
        }
        for (size_t k = 0; k < io->n_out; k++) {
            const void *data = NULL;
            size_t bytes = 0;
            dlrt_context_get_output(ctx, k, &data, &bytes, NULL, NULL);
            io->expected[k] = malloc(bytes ? bytes : 1);
            if (bytes) memcpy(io->expected[k], data, bytes);
            io->expected_bytes[k] = bytes;
        }
        dlrt_context_destroy(ctx);
    }
    dlrt_model_destroy(model);
    return 1;
}

/* ---- 1. cycles --------------------------------------------------------------------------- */

static void test_cycles(int cycles) {
    int ok = 0;
    void *copy = malloc(g_file_size);
    for (int i = 0; i < cycles; i++) {
        dlrt_model *model = NULL;
        dlrt_context *ctx = NULL;
        dlrt_status s;
        switch (i % 3) {
        case 0: s = dlrt_model_load_file(g_path, &model); break;
        case 1:
            memcpy(copy, g_file, g_file_size);
            s = dlrt_model_load_buffer(copy, g_file_size, DLRT_LOAD_COPY, &model);
            memset(copy, 0xA5, g_file_size); /* the model must not depend on the caller's bytes */
            break;
        default: s = dlrt_model_load_buffer(g_file, g_file_size, DLRT_LOAD_BORROW, &model); break;
        }
        if (s != DLRT_OK) { CHECK_OK(s); break; }
        dlrt_context_options opt;
        dlrt_context_options_init(&opt);
        opt.num_threads = (i % 4 == 3) ? 2 : 1;
        if (dlrt_context_create(model, &opt, &ctx) != DLRT_OK) { CHECK(0, dlrt_last_error()); dlrt_model_destroy(model); break; }
        const io_set *io = &g_io[1 + i % MAX_BATCH];
        int good = bind_inputs(ctx, io) == DLRT_OK;
        if (i % 5 == 0) { /* error paths allocate messages: they must not leak either */
            size_t index;
            good &= dlrt_model_input_index(model, "no such input", &index) == DLRT_ERROR_INVALID_ARGUMENT;
            good &= dlrt_context_get_output(ctx, 0, NULL, NULL, NULL, NULL) == DLRT_ERROR_STATE;
        }
        if (i % 7 == 0 && io->n_out > 0) { /* a caller-bound output */
            void *out = malloc(io->expected_bytes[0] + 1);
            good &= dlrt_context_set_output(ctx, 0, out, io->expected_bytes[0]) == DLRT_OK;
            good &= dlrt_context_run(ctx) == DLRT_OK && outputs_match(ctx, io);
            good &= io->expected_bytes[0] == 0 || memcmp(out, io->expected[0], io->expected_bytes[0]) == 0;
            dlrt_context_set_output(ctx, 0, NULL, 0);
            free(out);
        }
        good &= dlrt_context_run(ctx) == DLRT_OK && outputs_match(ctx, io);
        good &= dlrt_context_run(ctx) == DLRT_OK && outputs_match(ctx, io);
        ok += good;
        dlrt_context_destroy(ctx);
        dlrt_model_destroy(model);
    }
    free(copy);
    char what[96];
    snprintf(what, sizeof what, "%d/%d load/create/run/destroy cycles correct", ok, cycles);
    CHECK(ok == cycles, what);
    printf("cycles: %d/%d correct\n", ok, cycles);
}

/* ---- 2. threads sharing one model -------------------------------------------------------- */

typedef struct {
    const dlrt_model *model;
    int batch, runs, threads, mismatches, errors;
} thread_job;

static void *run_thread(void *arg) {
    thread_job *job = arg;
    dlrt_context *ctx = NULL;
    dlrt_context_options opt;
    dlrt_context_options_init(&opt);
    opt.num_threads = (uint32_t)job->threads;
    if (dlrt_context_create(job->model, &opt, &ctx) != DLRT_OK) { job->errors = job->runs; return NULL; }
    const io_set *io = &g_io[job->batch];
    if (bind_inputs(ctx, io) != DLRT_OK) job->errors++;
    for (int r = 0; r < job->runs; r++) {
        if (dlrt_context_run(ctx) != DLRT_OK) { job->errors++; continue; }
        if (!outputs_match(ctx, io)) job->mismatches++;
    }
    dlrt_context_destroy(ctx);
    return NULL;
}

static void test_threads(int total_runs) {
    enum { N = 4 };
    dlrt_model *model = NULL;
    CHECK_OK(dlrt_model_load_file(g_path, &model));
    if (!model) return;
    pthread_t tid[N];
    thread_job job[N];
    for (int t = 0; t < N; t++) {
        job[t] = (thread_job){model, 1 + t % MAX_BATCH, total_runs / N, t == 0 ? 2 : 1, 0, 0};
        pthread_create(&tid[t], NULL, run_thread, &job[t]);
    }
    int mismatches = 0, errors = 0;
    for (int t = 0; t < N; t++) {
        pthread_join(tid[t], NULL);
        mismatches += job[t].mismatches;
        errors += job[t].errors;
    }
    dlrt_model_destroy(model);
    char what[128];
    snprintf(what, sizeof what, "%d threads, %d runs on one model: %d errors, %d outputs differing from the single-threaded run",
             N, (total_runs / N) * N, errors, mismatches);
    CHECK(errors == 0 && mismatches == 0, what);
    printf("threads: %s\n", what);
}

/* ---- 3. concurrent load/destroy of one file ---------------------------------------------- */

static void *load_destroy_thread(void *arg) {
    int *bad = arg;
    for (int i = 0; i < 50; i++) {
        dlrt_model *model = NULL;
        dlrt_context *ctx = NULL;
        if (dlrt_model_load_file(g_path, &model) != DLRT_OK) { (*bad)++; continue; }
        if (i % 5 == 0) {
            const io_set *io = &g_io[1];
            if (dlrt_context_create(model, NULL, &ctx) != DLRT_OK || bind_inputs(ctx, io) != DLRT_OK ||
                dlrt_context_run(ctx) != DLRT_OK || !outputs_match(ctx, io)) (*bad)++;
            dlrt_context_destroy(ctx);
        }
        dlrt_model_destroy(model);
    }
    return NULL;
}

static void test_concurrent_load(void) {
    enum { N = 4 };
    pthread_t tid[N];
    int bad[N] = {0};
    for (int t = 0; t < N; t++) pthread_create(&tid[t], NULL, load_destroy_thread, &bad[t]);
    int total = 0;
    for (int t = 0; t < N; t++) { pthread_join(tid[t], NULL); total += bad[t]; }
    CHECK(total == 0, "4 threads loading and destroying the same file 50 times each");
    printf("concurrent load/destroy: %d failures in %d loads\n", total, N * 50);
}

/* ---- 4. misuse --------------------------------------------------------------------------- */

static void test_misuse(void) {
    const int before = failed;
    dlrt_model *model = (dlrt_model *)&model; /* must be reset to NULL on failure */
    dlrt_context *ctx = NULL;
    dlrt_tensor_info info;
    size_t index;
    const char *key, *value;

    /* Loading. */
    CHECK_FAIL(dlrt_model_load_file(NULL, &model), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK(model == NULL, "load_file(NULL path) sets *out_model = NULL");
    CHECK_FAIL(dlrt_model_load_file(g_path, NULL), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_load_file("/nonexistent/model.dlrt", &model), DLRT_ERROR_IO);
    CHECK_FAIL(dlrt_model_load_file("/", &model), DLRT_ERROR_IO);
    CHECK_FAIL(dlrt_model_load_file("/dev/null", &model), DLRT_ERROR_IO);
    CHECK_FAIL(dlrt_model_load_file("", &model), DLRT_ERROR_IO);
    CHECK_FAIL(dlrt_model_load_buffer(NULL, 100, DLRT_LOAD_COPY, &model), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_load_buffer(g_file, g_file_size, DLRT_LOAD_COPY, NULL), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_load_buffer(g_file, g_file_size, 7u, &model), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_load_buffer(g_file, 0, DLRT_LOAD_COPY, &model), DLRT_ERROR_INVALID_MODEL);
    CHECK_FAIL(dlrt_model_load_buffer(g_file, 63, DLRT_LOAD_BORROW, &model), DLRT_ERROR_INVALID_MODEL);
    CHECK_FAIL(dlrt_model_load_buffer(g_file, g_file_size - 1, DLRT_LOAD_COPY, &model), DLRT_ERROR_INVALID_MODEL);
    CHECK_FAIL(dlrt_model_load_buffer("not a model at all, just some text", 34, DLRT_LOAD_COPY, &model), DLRT_ERROR_INVALID_MODEL);
    {   /* one flipped bit in the middle of the file: a checksum names the damage */
        unsigned char *bad = malloc(g_file_size);
        memcpy(bad, g_file, g_file_size);
        bad[g_file_size / 2] ^= 0x10;
        CHECK_FAIL(dlrt_model_load_buffer(bad, g_file_size, DLRT_LOAD_COPY, &model), DLRT_ERROR_INVALID_MODEL);
        CHECK(strstr(dlrt_last_error(), "checksum") != NULL, "a corrupted byte is reported as a checksum mismatch");
        free(bad);
    }
    CHECK(model == NULL, "failed loads leave *out_model NULL");

    /* Introspection with NULLs and bad indices. */
    CHECK(dlrt_model_input_count(NULL) == 0 && dlrt_model_output_count(NULL) == 0, "counts of NULL are 0");
    CHECK(dlrt_model_metadata_count(NULL) == 0, "metadata count of NULL is 0");
    CHECK_FAIL(dlrt_model_input_info(NULL, 0, &info), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_output_info(NULL, 0, &info), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_input_index(NULL, "input", &index), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_output_index(NULL, "x", &index), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_metadata_at(NULL, 0, &key, &value), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_metadata_get(NULL, "producer", &value), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_create(NULL, NULL, &ctx), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK(ctx == NULL, "context_create(NULL model) leaves *out_context NULL");

    CHECK_OK(dlrt_model_load_file(g_path, &model));
    if (model == NULL) return;
    const io_set *io = &g_io[2];
    size_t n_in = dlrt_model_input_count(model), n_out = dlrt_model_output_count(model);
    CHECK_FAIL(dlrt_model_input_info(model, n_in, &info), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_input_info(model, (size_t)-1, &info), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_input_info(model, 0, NULL), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_output_info(model, n_out, &info), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_output_info(model, 0, NULL), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_input_index(model, NULL, &index), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_input_index(model, "no such input", &index), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_input_index(model, "", NULL), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_output_index(model, "no such output", &index), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_output_index(model, NULL, &index), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_metadata_at(model, dlrt_model_metadata_count(model), &key, &value), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_metadata_at(model, (size_t)-1, &key, &value), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_metadata_get(model, NULL, &value), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_model_metadata_get(model, "producer", NULL), DLRT_ERROR_INVALID_ARGUMENT);
    value = "x";
    CHECK_OK(dlrt_model_metadata_get(model, "no such key", &value));
    CHECK(value == NULL, "an absent metadata key gives NULL");

    /* Contexts: options. */
    dlrt_context_options opt;
    dlrt_context_options_init(&opt);
    dlrt_context_options_init(NULL); /* accepted, does nothing */
    CHECK_FAIL(dlrt_context_create(model, NULL, NULL), DLRT_ERROR_INVALID_ARGUMENT);
    opt.struct_size = 3;
    CHECK_FAIL(dlrt_context_create(model, &opt, &ctx), DLRT_ERROR_INVALID_ARGUMENT);
    dlrt_context_options_init(&opt);
    opt.num_threads = 1000000;
    CHECK_FAIL(dlrt_context_create(model, &opt, &ctx), DLRT_ERROR_INVALID_ARGUMENT);
    dlrt_context_options_init(&opt);
    opt.max_arena_bytes = 1; /* a cap below any plan: fails at create (fixed shapes) or at run */
    if (dlrt_context_create(model, &opt, &ctx) == DLRT_OK) {
        CHECK_OK(bind_inputs(ctx, io));
        CHECK_FAIL(dlrt_context_run(ctx), DLRT_ERROR_OUT_OF_MEMORY);
        CHECK_FAIL(dlrt_context_get_output(ctx, 0, NULL, NULL, NULL, NULL), DLRT_ERROR_STATE);
        dlrt_context_destroy(ctx);
        ctx = NULL;
    } else {
        CHECK(strcmp(dlrt_status_name(DLRT_ERROR_OUT_OF_MEMORY), "DLRT_ERROR_OUT_OF_MEMORY") == 0, "status name");
    }

    /* Contexts: binding and running out of order. */
    CHECK_OK(dlrt_context_create(model, NULL, &ctx));
    if (ctx == NULL) { dlrt_model_destroy(model); return; }
    CHECK_FAIL(dlrt_context_run(ctx), DLRT_ERROR_STATE); /* no input bound */
    CHECK_FAIL(dlrt_context_get_output(ctx, 0, NULL, NULL, NULL, NULL), DLRT_ERROR_STATE);
    CHECK_FAIL(dlrt_context_run(NULL), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_set_input(NULL, 0, io->dtype[0], io->shape[0], io->rank[0], io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_set_input(ctx, n_in, io->dtype[0], io->shape[0], io->rank[0], io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_set_input(ctx, (size_t)-1, io->dtype[0], io->shape[0], io->rank[0], io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
    dlrt_dtype other = io->dtype[0] == DLRT_INT32 ? DLRT_FLOAT32 : DLRT_INT32;
    CHECK_FAIL(dlrt_context_set_input(ctx, 0, other, io->shape[0], io->rank[0], io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_set_input(ctx, 0, (dlrt_dtype)99, io->shape[0], io->rank[0], io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_set_input(ctx, 0, (dlrt_dtype)0, io->shape[0], io->rank[0], io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_set_input(ctx, 0, io->dtype[0], io->shape[0], io->rank[0] + 1, io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_set_input(ctx, 0, io->dtype[0], io->shape[0], (size_t)-1, io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
    if (io->rank[0] > 0) {
        CHECK_FAIL(dlrt_context_set_input(ctx, 0, io->dtype[0], io->shape[0], io->rank[0] - 1, io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
        CHECK_FAIL(dlrt_context_set_input(ctx, 0, io->dtype[0], NULL, io->rank[0], io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
        int64_t shape[MAX_RANK];
        memcpy(shape, io->shape[0], sizeof shape);
        shape[io->rank[0] - 1] += 1; /* a fixed dim that does not match (or a size that does not) */
        CHECK_FAIL(dlrt_context_set_input(ctx, 0, io->dtype[0], shape, io->rank[0], io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
        shape[io->rank[0] - 1] = -5;
        CHECK_FAIL(dlrt_context_set_input(ctx, 0, io->dtype[0], shape, io->rank[0], io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
        for (size_t d = 0; d < io->rank[0]; d++) shape[d] = INT64_MAX / 2;
        CHECK_FAIL(dlrt_context_set_input(ctx, 0, io->dtype[0], shape, io->rank[0], io->data[0], io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
    }
    CHECK_FAIL(dlrt_context_set_input(ctx, 0, io->dtype[0], io->shape[0], io->rank[0], io->data[0], io->bytes[0] + 1), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_set_input(ctx, 0, io->dtype[0], io->shape[0], io->rank[0], io->data[0], io->bytes[0] - 1), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_set_input(ctx, 0, io->dtype[0], io->shape[0], io->rank[0], io->data[0], (size_t)-1), DLRT_ERROR_INVALID_ARGUMENT);
    if (io->bytes[0] > 0) {
        CHECK_FAIL(dlrt_context_set_input(ctx, 0, io->dtype[0], io->shape[0], io->rank[0], NULL, io->bytes[0]), DLRT_ERROR_INVALID_ARGUMENT);
    }
    CHECK_FAIL(dlrt_context_run(ctx), DLRT_ERROR_STATE); /* every failed bind left input 0 unbound */

    /* Outputs. */
    CHECK_FAIL(dlrt_context_set_output(NULL, 0, NULL, 0), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_set_output(ctx, n_out, NULL, 0), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_set_output(ctx, (size_t)-1, NULL, 0), DLRT_ERROR_INVALID_ARGUMENT);
    char small[4];
    CHECK_FAIL(dlrt_context_set_output(ctx, 0, small, (size_t)-1), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(bind_inputs(ctx, io));
    if (io->expected_bytes[0] > sizeof small) {
        CHECK_OK(dlrt_context_set_output(ctx, 0, small, sizeof small));
        CHECK_FAIL(dlrt_context_run(ctx), DLRT_ERROR_INVALID_ARGUMENT); /* bound buffer too small */
        CHECK_FAIL(dlrt_context_get_output(ctx, 0, NULL, NULL, NULL, NULL), DLRT_ERROR_STATE);
        CHECK_OK(dlrt_context_set_output(ctx, 0, NULL, 0));
    }
    CHECK_OK(dlrt_context_run(ctx));
    CHECK(outputs_match(ctx, io), "a run after the failed calls gives the reference result");
    CHECK_FAIL(dlrt_context_get_output(NULL, 0, NULL, NULL, NULL, NULL), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_get_output(ctx, n_out, NULL, NULL, NULL, NULL), DLRT_ERROR_INVALID_ARGUMENT);
    CHECK_FAIL(dlrt_context_get_output(ctx, (size_t)-1, NULL, NULL, NULL, NULL), DLRT_ERROR_INVALID_ARGUMENT);
    const int64_t *shape = NULL;
    size_t rank = 99;
    CHECK_OK(dlrt_context_get_output(ctx, 0, NULL, NULL, &shape, &rank));
    CHECK(shape != NULL && rank < 99, "get_output fills shape and rank");
    /* Rebinding an input invalidates results until the next run. */
    CHECK_OK(bind_inputs(ctx, io));
    CHECK_FAIL(dlrt_context_get_output(ctx, 0, NULL, NULL, NULL, NULL), DLRT_ERROR_STATE);

    /* Odds and ends. */
    CHECK(dlrt_context_arena_bytes(NULL) == 0, "arena bytes of NULL is 0");
    CHECK(dlrt_dtype_size((dlrt_dtype)0) == 0 && dlrt_dtype_size((dlrt_dtype)99) == 0, "unknown dtype size is 0");
    CHECK(strcmp(dlrt_status_name((dlrt_status)99), "DLRT_UNKNOWN_STATUS") == 0, "unknown status name");
    CHECK(dlrt_last_error() != NULL, "last error never NULL");
    dlrt_context_destroy(ctx);
    dlrt_model_destroy(model);
    dlrt_context_destroy(NULL);
    dlrt_model_destroy(NULL);
    CHECK(1, "destroy(NULL) returns");
    printf("misuse: %d failures\n", failed - before);
}

/* Messages are per thread: a failure on another thread does not change ours. */
static void *fail_in_thread(void *arg) {
    (void)arg;
    dlrt_model *m = NULL;
    dlrt_model_load_file("/nonexistent/other-thread.dlrt", &m);
    return NULL;
}

static void test_error_per_thread(void) {
    dlrt_model *m = NULL;
    dlrt_model_load_file("/nonexistent/this-thread.dlrt", &m);
    pthread_t t;
    pthread_create(&t, NULL, fail_in_thread, NULL);
    pthread_join(t, NULL);
    CHECK(strstr(dlrt_last_error(), "this-thread") != NULL, "dlrt_last_error is per thread");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.dlrt [CYCLES [RUNS]]\n", argv[0]);
        return 2;
    }
    g_path = argv[1];
    int cycles = argc > 2 ? atoi(argv[2]) : 1000;
    int runs = argc > 3 ? atoi(argv[3]) : 100000;
    g_file = read_all(g_path, &g_file_size);
    if (!g_file || !make_references()) {
        fprintf(stderr, "cannot prepare %s\n", g_path);
        return 2;
    }
    test_misuse();
    test_error_per_thread();
    test_cycles(cycles);
    test_concurrent_load();
    test_threads(runs);
    for (int b = 0; b <= MAX_BATCH; b++) free_io(&g_io[b]);
    free(g_file);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

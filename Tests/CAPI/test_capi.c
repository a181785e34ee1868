/* C API test for libdlrt.so. Built with gcc -std=c99 -Wall -Werror (see Makefile).
 *
 * usage: test_capi MODEL.dlrt INPUT.bin EXPECTED.bin
 *   INPUT.bin     float32 data for the model's single input, with the batch dim resolved to
 *                 the file size (the model's other dims must be fixed)
 *   EXPECTED.bin  float32 data of the model's first output computed by onnxruntime
 *
 * Checks: versions, introspection, metadata, a run matching onnxruntime, caller-bound outputs,
 * every documented error path (NULLs, bad indices, wrong dtype/shape/size, run before binding,
 * missing/truncated/corrupted files, misaligned borrowed buffers) and the thread-safety contract
 * (one shared model, one context per thread, results bit-identical to a single-threaded run).
 */
#define _POSIX_C_SOURCE 200809L
#include "dlrt.h"
#include "check.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static void *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *data = malloc(n > 0 ? (size_t)n : 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) { free(data); data = NULL; }
    fclose(f);
    *size = (size_t)n;
    return data;
}

static int write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    size_t w = fwrite(data, 1, size, f);
    fclose(f);
    return w == size;
}

/* Shared by the thread test. */
static const dlrt_model *g_model;
static const float *g_input;
static int64_t g_shape[8];
static size_t g_rank, g_input_bytes, g_output_bytes;
static const float *g_reference;
enum { RUNS_PER_THREAD = 200 };

static void *worker(void *arg) {
    int *ok = (int *)arg;
    dlrt_context *ctx = NULL;
    *ok = 0;
    if (dlrt_context_create(g_model, NULL, &ctx) != DLRT_OK) return NULL;
    if (dlrt_context_set_input(ctx, 0, DLRT_FLOAT32, g_shape, g_rank, g_input, g_input_bytes) != DLRT_OK) {
        dlrt_context_destroy(ctx);
        return NULL;
    }
    int good = 1;
    for (int r = 0; r < RUNS_PER_THREAD && good; r++) {
        const void *out = NULL;
        size_t bytes = 0;
        if (dlrt_context_run(ctx) != DLRT_OK) good = 0;
        else if (dlrt_context_get_output(ctx, 0, &out, &bytes, NULL, NULL) != DLRT_OK) good = 0;
        else if (bytes != g_output_bytes || memcmp(out, g_reference, bytes) != 0) good = 0;
    }
    dlrt_context_destroy(ctx);
    *ok = good;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL.dlrt INPUT.bin EXPECTED.bin\n", argv[0]);
        return 2;
    }
    const char *model_path = argv[1];

    /* Versions. */
    CHECK(strlen(dlrt_version()) > 0, "empty version");
    CHECK(dlrt_format_version() == (1u << 16), "format version 0x%x", dlrt_format_version());
    CHECK(strcmp(dlrt_status_name(DLRT_ERROR_IO), "DLRT_ERROR_IO") == 0, "status name");
    CHECK(dlrt_dtype_size(DLRT_FLOAT32) == 4 && dlrt_dtype_size(DLRT_INT64) == 8 &&
          dlrt_dtype_size((dlrt_dtype)99) == 0, "dtype sizes");

    /* Destroy functions accept NULL. */
    dlrt_model_destroy(NULL);
    dlrt_context_destroy(NULL);

    /* Load errors. */
    dlrt_model *model = NULL;
    CHECK(dlrt_model_load_file("/nonexistent/model.dlrt", &model) == DLRT_ERROR_IO && model == NULL,
          "missing file: %s", dlrt_last_error());
    CHECK(strstr(dlrt_last_error(), "/nonexistent/model.dlrt") != NULL, "error names the file: %s", dlrt_last_error());
    CHECK(dlrt_model_load_file(NULL, &model) == DLRT_ERROR_INVALID_ARGUMENT, "NULL path");
    CHECK(dlrt_model_load_file(model_path, NULL) == DLRT_ERROR_INVALID_ARGUMENT, "NULL out");

    size_t file_size = 0;
    unsigned char *bytes = read_file(model_path, &file_size);
    CHECK(bytes != NULL && file_size > 64, "read %s", model_path);
    if (!bytes) return 1;
    CHECK(dlrt_model_load_buffer(bytes, file_size / 2, DLRT_LOAD_COPY, &model) == DLRT_ERROR_INVALID_MODEL,
          "truncated buffer: %s", dlrt_last_error());
    CHECK(dlrt_model_load_buffer(bytes, 3, DLRT_LOAD_COPY, &model) == DLRT_ERROR_INVALID_MODEL, "3-byte buffer");
    unsigned char *corrupt = malloc(file_size);
    memcpy(corrupt, bytes, file_size);
    corrupt[file_size - 7] ^= 0x40;
    CHECK(dlrt_model_load_buffer(corrupt, file_size, DLRT_LOAD_COPY, &model) == DLRT_ERROR_INVALID_MODEL,
          "bit flip in the last section");
    CHECK(strstr(dlrt_last_error(), "crc") != NULL || strstr(dlrt_last_error(), "checksum") != NULL,
          "crc error names the checksum: %s", dlrt_last_error());
    const char *tmp_path = "/tmp/dlrt_test_capi_truncated.dlrt";
    CHECK(write_file(tmp_path, bytes, file_size - 1), "write truncated file");
    CHECK(dlrt_model_load_file(tmp_path, &model) == DLRT_ERROR_INVALID_MODEL, "truncated file: %s", dlrt_last_error());
    remove(tmp_path);
    free(corrupt);

    /* A borrowed buffer that is not 64-byte aligned is copied, never faulted on. */
    unsigned char *unaligned_store = malloc(file_size + 65);
    unsigned char *unaligned = unaligned_store + 1;
    memcpy(unaligned, bytes, file_size);
    CHECK(dlrt_model_load_buffer(unaligned, file_size, DLRT_LOAD_BORROW, &model) == DLRT_OK,
          "unaligned borrow: %s", dlrt_last_error());
    dlrt_model_destroy(model);
    model = NULL;
    free(unaligned_store);

    /* The real load. */
    CHECK(dlrt_model_load_file(model_path, &model) == DLRT_OK, "load: %s", dlrt_last_error());
    if (!model) return 1;
    CHECK(dlrt_model_input_count(model) == 1, "one input");
    CHECK(dlrt_model_output_count(model) >= 1, "outputs");
    CHECK(dlrt_model_input_count(NULL) == 0, "count of NULL");
    dlrt_tensor_info info;
    CHECK(dlrt_model_input_info(model, 0, &info) == DLRT_OK, "input info");
    CHECK(info.dtype == DLRT_FLOAT32 && info.rank >= 1 && info.rank <= 8, "input dtype/rank");
    CHECK(dlrt_model_input_info(model, 5, &info) == DLRT_ERROR_INVALID_ARGUMENT, "bad input index");
    CHECK(dlrt_model_input_info(model, 0, NULL) == DLRT_ERROR_INVALID_ARGUMENT, "NULL info");
    dlrt_model_input_info(model, 0, &info);
    size_t index = 99;
    CHECK(dlrt_model_input_index(model, info.name, &index) == DLRT_OK && index == 0, "input index by name");
    CHECK(dlrt_model_input_index(model, "no-such-input", &index) == DLRT_ERROR_INVALID_ARGUMENT &&
          strstr(dlrt_last_error(), info.name) != NULL, "unknown name lists the inputs: %s", dlrt_last_error());
    const char *producer = NULL;
    CHECK(dlrt_model_metadata_get(model, "producer", &producer) == DLRT_OK && producer != NULL, "producer metadata");
    const char *absent = "x";
    CHECK(dlrt_model_metadata_get(model, "no-such-key", &absent) == DLRT_OK && absent == NULL, "absent metadata");
    CHECK(dlrt_model_metadata_count(model) >= 1, "metadata count");

    /* Input shape: symbolic dims (batch) take the size implied by INPUT.bin. */
    size_t input_bytes = 0;
    float *input = read_file(argv[2], &input_bytes);
    size_t expected_bytes = 0;
    float *expected = read_file(argv[3], &expected_bytes);
    CHECK(input && expected, "read input/expected");
    if (!input || !expected) return 1;
    int64_t shape[8];
    size_t fixed_elems = 1;
    for (size_t d = 0; d < info.rank; d++) {
        shape[d] = info.shape[d];
        if (info.shape[d] >= 0) fixed_elems *= (size_t)info.shape[d];
        else CHECK(info.dim_names[d] != NULL, "symbolic dim %zu has a name", d);
    }
    for (size_t d = 0; d < info.rank; d++)
        if (shape[d] < 0) shape[d] = (int64_t)(input_bytes / 4 / fixed_elems);

    dlrt_context_options options;
    dlrt_context_options_init(&options);
    CHECK(options.num_threads == 1 && options.struct_size == sizeof options, "options init");
    dlrt_context *ctx = NULL;
    CHECK(dlrt_context_create(NULL, &options, &ctx) == DLRT_ERROR_INVALID_ARGUMENT && ctx == NULL, "NULL model");
    options.struct_size = 3;
    CHECK(dlrt_context_create(model, &options, &ctx) == DLRT_ERROR_INVALID_ARGUMENT, "bad struct_size");
    dlrt_context_options_init(&options);
    CHECK(dlrt_context_create(model, &options, &ctx) == DLRT_OK, "context: %s", dlrt_last_error());
    if (!ctx) return 1;

    /* Run before binding, wrong dtype, shape, size, index, NULL data. */
    CHECK(dlrt_context_run(ctx) == DLRT_ERROR_STATE, "run before set_input: %s", dlrt_last_error());
    CHECK(dlrt_context_get_output(ctx, 0, NULL, NULL, NULL, NULL) == DLRT_ERROR_STATE, "output before run");
    CHECK(dlrt_context_set_input(ctx, 0, DLRT_INT64, shape, info.rank, input, input_bytes) == DLRT_ERROR_INVALID_ARGUMENT &&
          strstr(dlrt_last_error(), "float32") != NULL, "wrong dtype: %s", dlrt_last_error());
    CHECK(dlrt_context_set_input(ctx, 0, DLRT_FLOAT32, shape, info.rank, input, input_bytes - 4) == DLRT_ERROR_INVALID_ARGUMENT,
          "wrong byte size: %s", dlrt_last_error());
    CHECK(dlrt_context_set_input(ctx, 0, DLRT_FLOAT32, shape, info.rank + 1, input, input_bytes) == DLRT_ERROR_INVALID_ARGUMENT,
          "wrong rank: %s", dlrt_last_error());
    CHECK(dlrt_context_set_input(ctx, 3, DLRT_FLOAT32, shape, info.rank, input, input_bytes) == DLRT_ERROR_INVALID_ARGUMENT,
          "bad index");
    CHECK(dlrt_context_set_input(ctx, 0, DLRT_FLOAT32, shape, info.rank, NULL, input_bytes) == DLRT_ERROR_INVALID_ARGUMENT,
          "NULL data");
    CHECK(dlrt_context_set_input(NULL, 0, DLRT_FLOAT32, shape, info.rank, input, input_bytes) == DLRT_ERROR_INVALID_ARGUMENT,
          "NULL context");
    for (size_t d = 0; d < info.rank; d++) {
        if (info.shape[d] < 0) continue;
        int64_t saved = shape[d];
        shape[d] = saved + 1;
        CHECK(dlrt_context_set_input(ctx, 0, DLRT_FLOAT32, shape, info.rank, input, input_bytes) == DLRT_ERROR_INVALID_ARGUMENT,
              "wrong fixed dim %zu: %s", d, dlrt_last_error());
        shape[d] = saved;
        break;
    }

    /* The run, compared with onnxruntime. */
    CHECK(dlrt_context_set_input(ctx, 0, DLRT_FLOAT32, shape, info.rank, input, input_bytes) == DLRT_OK,
          "set_input: %s", dlrt_last_error());
    CHECK(dlrt_context_run(ctx) == DLRT_OK, "run: %s", dlrt_last_error());
    const void *out = NULL;
    size_t out_bytes = 0, out_rank = 0;
    const int64_t *out_shape = NULL;
    CHECK(dlrt_context_get_output(ctx, 0, &out, &out_bytes, &out_shape, &out_rank) == DLRT_OK, "get_output: %s", dlrt_last_error());
    CHECK(out_bytes == expected_bytes, "output bytes %zu, expected %zu", out_bytes, expected_bytes);
    size_t out_elems = 1;
    for (size_t d = 0; d < out_rank; d++) out_elems *= (size_t)out_shape[d];
    CHECK(out_elems * 4 == out_bytes, "output shape matches its size");
    double max_err = 0;
    if (out && out_bytes == expected_bytes) {
        const float *o = out;
        for (size_t i = 0; i < out_bytes / 4; i++) {
            double e = fabs((double)o[i] - (double)expected[i]) / (1e-5 + fabs((double)expected[i]));
            if (e > max_err || isnan(o[i])) max_err = isnan(o[i]) ? INFINITY : e;
        }
    }
    CHECK(max_err < 1e-3, "max relative error vs onnxruntime %g", max_err);
    printf("output matches onnxruntime: %zu values, max relative error %.3g\n", out_bytes / 4, max_err);

    /* Caller-owned output buffer. */
    float *mine = malloc(out_bytes);
    CHECK(dlrt_context_set_output(ctx, 0, mine, out_bytes - 4) == DLRT_OK, "bind small output");
    CHECK(dlrt_context_run(ctx) == DLRT_ERROR_INVALID_ARGUMENT, "too-small output buffer: %s", dlrt_last_error());
    CHECK(dlrt_context_set_output(ctx, 0, mine, out_bytes) == DLRT_OK, "bind output");
    CHECK(dlrt_context_run(ctx) == DLRT_OK, "run into caller buffer: %s", dlrt_last_error());
    const void *out2 = NULL;
    dlrt_context_get_output(ctx, 0, &out2, NULL, NULL, NULL);
    CHECK(out2 == mine, "output pointer is the caller buffer");
    float *reference = malloc(out_bytes);
    memcpy(reference, mine, out_bytes);
    CHECK(dlrt_context_set_output(ctx, 0, NULL, 0) == DLRT_OK, "unbind output");
    CHECK(dlrt_context_arena_bytes(ctx) > 0, "arena planned");

    /* Thread-safety contract: a shared model, one context per thread, bit-identical results. */
    g_model = model;
    g_input = input;
    memcpy(g_shape, shape, sizeof shape);
    g_rank = info.rank;
    g_input_bytes = input_bytes;
    g_output_bytes = out_bytes;
    g_reference = reference;
    enum { THREADS = 4 };
    pthread_t threads[THREADS];
    int ok[THREADS];
    for (int t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, worker, &ok[t]);
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        CHECK(ok[t], "thread %d results differ from the single-threaded run", t);
    }

    /* Multi-threaded context gives bit-identical results too. */
    dlrt_context *ctx2 = NULL;
    options.num_threads = 2;
    CHECK(dlrt_context_create(model, &options, &ctx2) == DLRT_OK, "2-thread context: %s", dlrt_last_error());
    dlrt_context_set_input(ctx2, 0, DLRT_FLOAT32, shape, info.rank, input, input_bytes);
    CHECK(dlrt_context_run(ctx2) == DLRT_OK, "2-thread run");
    const void *out3 = NULL;
    dlrt_context_get_output(ctx2, 0, &out3, NULL, NULL, NULL);
    CHECK(out3 && memcmp(out3, reference, out_bytes) == 0, "2-thread results bit-identical");
    dlrt_context_destroy(ctx2);

    /* Arena cap. */
    dlrt_context_options capped;
    dlrt_context_options_init(&capped);
    capped.max_arena_bytes = 16;
    dlrt_context *ctx3 = NULL;
    dlrt_status s = dlrt_context_create(model, &capped, &ctx3);
    if (s == DLRT_OK) {
        dlrt_context_set_input(ctx3, 0, DLRT_FLOAT32, shape, info.rank, input, input_bytes);
        s = dlrt_context_run(ctx3);
    }
    CHECK(s == DLRT_ERROR_OUT_OF_MEMORY, "arena cap enforced: %s", dlrt_last_error());
    dlrt_context_destroy(ctx3);

    dlrt_context_destroy(ctx);
    dlrt_model_destroy(model);
    free(mine);
    free(reference);
    free(input);
    free(expected);
    free(bytes);

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}

/* Proves the hot-path promise of dlrt.h: after the first run, dlrt_context_run with unchanged
 * input shapes performs no heap allocation. The program interposes malloc/calloc/realloc/
 * posix_memalign/aligned_alloc (an executable's definitions win symbol lookup, so calls made
 * inside libdlrt.so and the Swift runtime are counted too) and counts calls during 1,000 runs.
 *
 * usage: test_noalloc MODEL.dlrt [N[,M]]   (every input bound: float32 ramps, integer inputs
 *        small values valid as token ids / masks, bool true; symbolic dims set to N, default 1)
 *   With N,M the symbolic dims alternate between N and M on every run (after a warm-up run with
 *   each): the context's plan cache must switch plans without allocating.
 */
#define _GNU_SOURCE
#include "dlrt.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static volatile long allocations = 0;

void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { allocations++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }
void *aligned_alloc(size_t alignment, size_t n) { allocations++; return __libc_memalign(alignment, n); }
void *memalign(size_t alignment, size_t n) { allocations++; return __libc_memalign(alignment, n); }
int posix_memalign(void **out, size_t alignment, size_t n) {
    allocations++;
    *out = __libc_memalign(alignment, n);
    return *out ? 0 : 12;
}

static size_t dtype_size(dlrt_dtype t) {
    switch (t) {
    case DLRT_FLOAT32: case DLRT_INT32: return 4;
    case DLRT_FLOAT16: return 2;
    case DLRT_INT64: return 8;
    default: return 1;
    }
}

/* One input buffer filled with values every model here accepts. */
static void *make_input(dlrt_dtype t, size_t elements) {
    void *p = calloc(elements ? elements : 1, dtype_size(t));
    for (size_t i = 0; i < elements; i++) {
        switch (t) {
        case DLRT_FLOAT32: ((float *)p)[i] = (float)(i % 17) / 17.0f; break;
        case DLRT_INT64: ((int64_t *)p)[i] = (int64_t)(i % 2 == 0 ? 1 : i % 7); break;
        case DLRT_INT32: ((int32_t *)p)[i] = (int32_t)(i % 2 == 0 ? 1 : i % 7); break;
        default: ((uint8_t *)p)[i] = 1; break;
        }
    }
    return p;
}

/* Binds every input of `model` with symbolic dims = `symbolic` (buffers[k] must hold enough). */
static bool bind_inputs(dlrt_context *ctx, dlrt_model *model, void **buffers, int64_t symbolic) {
    size_t inputs = dlrt_model_input_count(model);
    for (size_t k = 0; k < inputs; k++) {
        dlrt_tensor_info info;
        dlrt_model_input_info(model, k, &info);
        int64_t shape[16];
        size_t elements = 1;
        for (size_t d = 0; d < info.rank && d < 16; d++) {
            shape[d] = info.shape[d] < 0 ? symbolic : info.shape[d];
            elements *= (size_t)shape[d];
        }
        if (dlrt_context_set_input(ctx, k, info.dtype, shape, info.rank, buffers[k],
                                   elements * dtype_size(info.dtype)) != DLRT_OK) {
            fprintf(stderr, "input %zu: %s\n", k, dlrt_last_error());
            return false;
        }
    }
    return true;
}

static int check_context(dlrt_model *model, uint32_t threads, int64_t symbolic, int64_t alternate) {
    dlrt_context_options options;
    dlrt_context_options_init(&options);
    options.num_threads = threads;
    dlrt_context *ctx = NULL;
    if (dlrt_context_create(model, &options, &ctx) != DLRT_OK) {
        fprintf(stderr, "context: %s\n", dlrt_last_error());
        return 0;
    }
    size_t inputs = dlrt_model_input_count(model);
    void *buffers[16] = {0};
    bool ok = inputs <= 16;
    int64_t largest = alternate > symbolic ? alternate : symbolic;
    for (size_t k = 0; k < inputs && ok; k++) {
        dlrt_tensor_info info;
        dlrt_model_input_info(model, k, &info);
        size_t elements = 1;
        for (size_t d = 0; d < info.rank && d < 16; d++) elements *= (size_t)(info.shape[d] < 0 ? largest : info.shape[d]);
        buffers[k] = make_input(info.dtype, elements);
    }
    ok = ok && bind_inputs(ctx, model, buffers, symbolic);
    ok = ok && dlrt_context_run(ctx) == DLRT_OK && dlrt_context_run(ctx) == DLRT_OK;  /* warm-up */
    if (alternate > 0) ok = ok && bind_inputs(ctx, model, buffers, alternate) && dlrt_context_run(ctx) == DLRT_OK;
    if (!ok) fprintf(stderr, "run: %s\n", dlrt_last_error());
    size_t outputs = dlrt_model_output_count(model);
    long before = allocations;
    for (int r = 0; r < 1000 && ok; r++) {
        if (alternate > 0) ok = bind_inputs(ctx, model, buffers, r % 2 ? alternate : symbolic);
        ok = ok && dlrt_context_run(ctx) == DLRT_OK;
        for (size_t j = 0; j < outputs && ok; j++) {
            const void *out = NULL;
            ok = dlrt_context_get_output(ctx, j, &out, NULL, NULL, NULL) == DLRT_OK;
        }
    }
    long during = allocations - before;
    printf("threads=%u: %ld heap allocations in 1000 runs (run %s)\n", threads, during, ok ? "ok" : "failed");
    dlrt_context_destroy(ctx);
    for (size_t k = 0; k < inputs && k < 16; k++) free(buffers[k]);
    return ok && during == 0;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s MODEL.dlrt [SYMBOLIC_DIM_SIZE]\n", argv[0]);
        return 2;
    }
    char *rest = NULL;
    int64_t symbolic = argc == 3 ? strtoll(argv[2], &rest, 10) : 1;
    int64_t alternate = rest && *rest == ',' ? strtoll(rest + 1, NULL, 10) : 0;
    dlrt_model *model = NULL;
    if (dlrt_model_load_file(argv[1], &model) != DLRT_OK) {
        fprintf(stderr, "load: %s\n", dlrt_last_error());
        return 1;
    }
    if (alternate > 0) printf("%s (symbolic dims alternate %lld, %lld)\n", argv[1], (long long)symbolic, (long long)alternate);
    else printf("%s (symbolic dims = %lld)\n", argv[1], (long long)symbolic);
    int passed = check_context(model, 1, symbolic, alternate) + check_context(model, 2, symbolic, alternate);
    dlrt_model_destroy(model);
    printf("%d passed, %d failed\n", passed, 2 - passed);
    return passed == 2 ? 0 : 1;
}

/* Proves the hot-path promise of dlrt.h: after the first run, dlrt_context_run with unchanged
 * input shapes performs no heap allocation. The program interposes malloc/calloc/realloc/
 * posix_memalign/aligned_alloc (an executable's definitions win symbol lookup, so calls made
 * inside libdlrt.so and the Swift runtime are counted too) and counts calls during 1,000 runs.
 *
 * usage: test_noalloc MODEL.dlrt   (single float32 input; symbolic dims are set to 1)
 */
#define _GNU_SOURCE
#include "dlrt.h"

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

static int check_context(dlrt_model *model, uint32_t threads) {
    dlrt_context_options options;
    dlrt_context_options_init(&options);
    options.num_threads = threads;
    dlrt_context *ctx = NULL;
    if (dlrt_context_create(model, &options, &ctx) != DLRT_OK) {
        fprintf(stderr, "context: %s\n", dlrt_last_error());
        return 0;
    }
    dlrt_tensor_info info;
    dlrt_model_input_info(model, 0, &info);
    int64_t shape[16];
    size_t elements = 1;
    for (size_t d = 0; d < info.rank; d++) {
        shape[d] = info.shape[d] < 0 ? 1 : info.shape[d];
        elements *= (size_t)shape[d];
    }
    float *input = calloc(elements, sizeof(float));
    for (size_t i = 0; i < elements; i++) input[i] = (float)(i % 17) / 17.0f;
    dlrt_context_set_input(ctx, 0, DLRT_FLOAT32, shape, info.rank, input, elements * sizeof(float));
    int ok = dlrt_context_run(ctx) == DLRT_OK && dlrt_context_run(ctx) == DLRT_OK;  /* warm-up */
    long before = allocations;
    for (int r = 0; r < 1000 && ok; r++) {
        ok = dlrt_context_run(ctx) == DLRT_OK;
        const void *out = NULL;
        ok = ok && dlrt_context_get_output(ctx, 0, &out, NULL, NULL, NULL) == DLRT_OK;
    }
    long during = allocations - before;
    printf("threads=%u: %ld heap allocations in 1000 runs (run %s)\n", threads, during, ok ? "ok" : "failed");
    dlrt_context_destroy(ctx);
    free(input);
    return ok && during == 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL.dlrt\n", argv[0]);
        return 2;
    }
    dlrt_model *model = NULL;
    if (dlrt_model_load_file(argv[1], &model) != DLRT_OK) {
        fprintf(stderr, "load: %s\n", dlrt_last_error());
        return 1;
    }
    int passed = check_context(model, 1) + check_context(model, 2);
    dlrt_model_destroy(model);
    printf("%d passed, %d failed\n", passed, 2 - passed);
    return passed == 2 ? 0 : 1;
}

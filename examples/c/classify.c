/* Classify the digits test set with libdlrt.so from C, the way a control loop would:
 * bind the input and output buffers once, then call dlrt_context_run per image.
 *
 * usage: classify MODEL.dlrt DIGITS_TEST.bin
 *   DIGITS_TEST.bin: uint32 N, N×1×8×8 float32 images, N int32 labels (examples/c/export_digits.py)
 */
#define _POSIX_C_SOURCE 200809L
#include "dlrt.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRY(call)                                                                                 \
    do {                                                                                          \
        dlrt_status s_ = (call);                                                                  \
        if (s_ != DLRT_OK) {                                                                      \
            fprintf(stderr, "%s failed: %s: %s\n", #call, dlrt_status_name(s_), dlrt_last_error()); \
            goto done;                                                                            \
        }                                                                                         \
    } while (0)

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL.dlrt DIGITS_TEST.bin\n", argv[0]);
        return 2;
    }
    int rc = 1;
    dlrt_model *model = NULL;
    dlrt_context *ctx = NULL;
    float *images = NULL;
    int32_t *labels = NULL;
    double *times = NULL;

    FILE *f = fopen(argv[2], "rb");
    uint32_t n = 0;
    if (!f) {
        fprintf(stderr, "cannot open %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    if (fread(&n, 4, 1, f) != 1 || n == 0 || n > 100000) {
        fprintf(stderr, "%s: not a digits test file (bad image count)\n", argv[2]);
        fclose(f);
        return 1;
    }
    images = malloc((size_t)n * 64 * sizeof(float));
    labels = malloc((size_t)n * sizeof(int32_t));
    times = malloc((size_t)n * 20 * sizeof(double));
    if (!images || !labels || !times) {
        fprintf(stderr, "out of memory for %u images\n", n);
        fclose(f);
        goto done;
    }
    if (fread(images, sizeof(float), (size_t)n * 64, f) != (size_t)n * 64 ||
        fread(labels, sizeof(int32_t), n, f) != n) {
        fprintf(stderr, "%s is truncated\n", argv[2]);
        fclose(f);
        goto done;
    }
    fclose(f);

    TRY(dlrt_model_load_file(argv[1], &model));
    dlrt_tensor_info in, out;
    TRY(dlrt_model_input_info(model, 0, &in));
    TRY(dlrt_model_output_info(model, 0, &out));
    printf("dlrt %s: %s → %s\n", dlrt_version(), in.name, out.name);
    TRY(dlrt_context_create(model, NULL, &ctx));

    /* Bind once: one image in, ten class probabilities out. */
    float image[64], probabilities[10];
    const int64_t shape[4] = {1, 1, 8, 8};
    TRY(dlrt_context_set_input(ctx, 0, DLRT_FLOAT32, shape, 4, image, sizeof image));
    TRY(dlrt_context_set_output(ctx, 0, probabilities, sizeof probabilities));

    int correct = 0;
    size_t timed = 0;
    for (int pass = 0; pass < 20; pass++) {
        for (uint32_t i = 0; i < n; i++) {
            memcpy(image, images + (size_t)i * 64, sizeof image);
            double t0 = now_us();
            TRY(dlrt_context_run(ctx));
            times[timed++] = now_us() - t0;
            if (pass > 0) continue;
            int best = 0;
            for (int c = 1; c < 10; c++) if (probabilities[c] > probabilities[best]) best = c;
            correct += best == labels[i];
            if (i < 10) printf("  image %u: predicted %d (p=%.3f), label %d\n", i, best, probabilities[best], labels[i]);
        }
    }
    qsort(times, timed, sizeof(double), compare_doubles);
    printf("C: test accuracy %.2f%% (%d/%u), latency per image: median %.1f us, p99 %.1f us over %zu runs\n",
           100.0 * correct / n, correct, n, times[timed / 2], times[timed * 99 / 100], timed);
    rc = 0;
done:
    dlrt_context_destroy(ctx);
    dlrt_model_destroy(model);
    free(images);
    free(labels);
    free(times);
    return rc;
}

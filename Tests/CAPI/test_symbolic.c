/* Symbolic dimensions from C: one converted LSTM (x [seq, batch, 4], symbolic seq and batch) run
 * at 3 sequence lengths and batch sizes through include/dlrt.h on ONE context, twice (the second
 * pass switches back to plans built in the first: the plan cache), each compared with
 * onnxruntime. Built with gcc -std=c99 -Wall -Werror (see Makefile).
 *
 * usage: test_symbolic LSTM.dlrt CASES.bin   (CASES.bin from make_lstm_reference.py)
 */
#include "dlrt.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FEAT = 4, HIDDEN = 8, CASES = 3 };



#define OK(call) CHECK((call) == DLRT_OK, "%s: %s", #call, dlrt_last_error())

/* Reads n floats from f into a new buffer (NULL on a short file). */
static float *read_floats(FILE *f, size_t n) {
    float *p = malloc(n * sizeof(float) + 1);
    if (p && fread(p, sizeof(float), n, f) != n) { free(p); p = NULL; }
    return p;
}

/* Largest |got - want| / (1e-5 + 1e-4 |want|) over n floats (≤ 1 passes rtol 1e-4, atol 1e-5). */
static double worst(const float *got, const float *want, size_t n) {
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]) / (1e-5 + 1e-4 * fabs(want[i]));
        if (!(e <= w)) w = e; /* NaN counts as worst */
    }
    return w;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s LSTM.dlrt CASES.bin\n", argv[0]); return 2; }
    dlrt_model *model = NULL;
    if (dlrt_model_load_file(argv[1], &model) != DLRT_OK) { fprintf(stderr, "load: %s\n", dlrt_last_error()); return 1; }
    FILE *f = fopen(argv[2], "rb");
    if (!f) { fprintf(stderr, "cannot open %s\n", argv[2]); return 1; }

    /* The inputs declare their symbolic dims as -1 with their names. */
    dlrt_tensor_info info;
    OK(dlrt_model_input_info(model, 0, &info));
    CHECK(info.rank == 3 && info.shape[0] == -1 && info.shape[1] == -1 && info.shape[2] == FEAT,
          "x: rank %zu", info.rank);
    CHECK(info.rank == 3 && info.dim_names[0] && strcmp(info.dim_names[0], "seq") == 0, "x dim 0 is not 'seq'");
    size_t ix, ih, ic, oy, oh;
    OK(dlrt_model_input_index(model, "x", &ix));
    OK(dlrt_model_input_index(model, "h0", &ih));
    OK(dlrt_model_input_index(model, "c0", &ic));
    OK(dlrt_model_output_index(model, "y", &oy));
    OK(dlrt_model_output_index(model, "h_n", &oh));

    dlrt_context *ctx = NULL;
    OK(dlrt_context_create(model, NULL, &ctx));
    struct { int64_t seq, batch; float *x, *h0, *c0, *y, *hn; } cases[CASES];
    int loaded = 0;
    for (int c = 0; c < CASES; c++) {
        int64_t dims[2];
        if (fread(dims, sizeof(int64_t), 2, f) != 2) { CHECK(0, "case %d: short file", c); break; }
        const int64_t seq = dims[0], batch = dims[1];
        const size_t nx = (size_t)(seq * batch * FEAT), ns = (size_t)(2 * batch * HIDDEN);
        const size_t ny = (size_t)(seq * batch * 2 * HIDDEN);
        cases[c].seq = seq;
        cases[c].batch = batch;
        cases[c].x = read_floats(f, nx);
        cases[c].h0 = read_floats(f, ns);
        cases[c].c0 = read_floats(f, ns);
        cases[c].y = read_floats(f, ny);
        cases[c].hn = read_floats(f, ns);
        loaded++;
        if (!cases[c].x || !cases[c].h0 || !cases[c].c0 || !cases[c].y || !cases[c].hn) { CHECK(0, "case %d: short file", c); break; }
    }
    /* Pass 2 goes back to shapes planned in pass 1: the context's plan cache serves them. */
    for (int pass = 0; pass < 2 && loaded == CASES && failures == 0; pass++) {
        for (int c = 0; c < CASES && ctx; c++) {
            const int64_t seq = cases[c].seq, batch = cases[c].batch;
            const size_t nx = (size_t)(seq * batch * FEAT), ns = (size_t)(2 * batch * HIDDEN);
            const size_t ny = (size_t)(seq * batch * 2 * HIDDEN);
            const int64_t xs[3] = {seq, batch, FEAT}, ss[3] = {2, batch, HIDDEN};
            OK(dlrt_context_set_input(ctx, ix, DLRT_FLOAT32, xs, 3, cases[c].x, nx * sizeof(float)));
            OK(dlrt_context_set_input(ctx, ih, DLRT_FLOAT32, ss, 3, cases[c].h0, ns * sizeof(float)));
            OK(dlrt_context_set_input(ctx, ic, DLRT_FLOAT32, ss, 3, cases[c].c0, ns * sizeof(float)));
            for (int rep = 0; rep < 2; rep++) { /* the second run reuses the plan */
                OK(dlrt_context_run(ctx));
                const void *out = NULL;
                const int64_t *shape = NULL;
                size_t rank = 0, bytes = 0;
                OK(dlrt_context_get_output(ctx, oy, &out, &bytes, &shape, &rank));
                CHECK(rank == 3 && shape[0] == seq && shape[1] == batch && shape[2] == 2 * HIDDEN && bytes == ny * sizeof(float),
                      "case %d: y has rank %zu", c, rank);
                if (out && bytes == ny * sizeof(float)) {
                    double w = worst(out, cases[c].y, ny);
                    CHECK(w <= 1, "case %d (seq %lld, batch %lld): y differs from onnxruntime (worst %.3g × tolerance)",
                          c, (long long)seq, (long long)batch, w);
                }
                OK(dlrt_context_get_output(ctx, oh, &out, &bytes, &shape, &rank));
                if (out && bytes == ns * sizeof(float)) {
                    double w = worst(out, cases[c].hn, ns);
                    CHECK(w <= 1, "case %d: h_n differs from onnxruntime (worst %.3g × tolerance)", c, w);
                } else {
                    CHECK(0, "case %d: h_n has %zu bytes", c, bytes);
                }
            }
            printf("pass %d seq %3lld batch %lld: ok\n", pass + 1, (long long)seq, (long long)batch);
        }
    }
    for (int c = 0; c < loaded; c++) {
        free(cases[c].x); free(cases[c].h0); free(cases[c].c0); free(cases[c].y); free(cases[c].hn);
    }
    dlrt_context_destroy(ctx);
    dlrt_model_destroy(model);
    fclose(f);
    if (failures) { fprintf(stderr, "test_symbolic: %d failures\n", failures); return 1; }
    printf("test_symbolic: all checks passed\n");
    return 0;
}

#ifndef CDLRT_QGEMM_H
#define CDLRT_QGEMM_H
/* int8 GEMM of dlrt (docs/QUANTIZATION.md):
 *   C[i, j] = sum_k (A[i, k] - a_zero[i]) * B[k, j]        (exact, int32)
 *   Y[i, j] = act(C[i, j] * a_scale[i] * b_scale[j] + bias[j])  → float32, or requantized to u8.
 * A: u8 activations, row-major with row stride `lda` (rows are read only up to k bytes).
 * B: s8 weights (symmetric: zero point 0), pre-packed once by cdlrt_qgemm_pack.
 * The ISA is chosen once (cdlrt_qgemm_best_isa) and passed explicitly, so tests can run every
 * path the CPU supports against the reference. */
#include <stddef.h>
#include <stdint.h>

enum {
    CDLRT_QISA_PORTABLE = 0,   /* plain C */
    CDLRT_QISA_AVX2 = 1,       /* u8/s8 widened to s16, vpmaddwd (exact, no vpmaddubsw saturation) */
    CDLRT_QISA_AVXVNNI = 2,    /* 256-bit vpdpbusd (AVX-VNNI) */
    CDLRT_QISA_AVX512VNNI = 3, /* 512-bit vpdpbusd */
    CDLRT_QISA_COUNT = 4
};

/* Columns per packed panel. */
#define CDLRT_QGEMM_NR 32

/* The fastest path this CPU supports (computed once). */
int cdlrt_qgemm_best_isa(void);
/* 1 when `isa` runs on this CPU. */
int cdlrt_qgemm_isa_supported(int isa);
/* Name of an ISA path ("avx512vnni", …). */
const char *cdlrt_qgemm_isa_name(int isa);

/* Bytes of the packed form of a k × n s8 matrix. */
size_t cdlrt_qgemm_packed_size(int k, int n);
/* Packs B[kk, j] = b[kk * row_stride + j * col_stride] into `packed` (cdlrt_qgemm_packed_size
 * bytes, 64-byte aligned): n column sums (int32, for the zero-point correction), then
 * ceil(n / 32) panels of ceil(k / 4) groups of 32 columns × 4 consecutive k (zero padded). */
void cdlrt_qgemm_pack(int k, int n, const int8_t *b, ptrdiff_t row_stride, ptrdiff_t col_stride, void *packed);

enum { CDLRT_QACT_NONE = 0, CDLRT_QACT_RELU = 1, CDLRT_QACT_LEAKY = 2, CDLRT_QACT_CLIP = 3,
       CDLRT_QACT_SIGMOID = 4, CDLRT_QACT_TANH = 5 };  /* = dlrt's FusedActivation codes */

typedef struct {
    /* Activation zero point / scale: per row when *_stride is 1, one value when 0. */
    const int32_t *a_zero; ptrdiff_t a_zero_stride;
    const float *a_scale; ptrdiff_t a_scale_stride;
    /* Weight scale: per column when b_scale_stride is 1, one value when 0. */
    const float *b_scale; ptrdiff_t b_scale_stride;
    /* Per-column bias (float), or NULL. */
    const float *bias;
    int activation; float act_alpha, act_min, act_max;
    /* Output element (i, j) at y[i * y_row_stride + j * y_col_stride]: float32 when y_u8 is
     * NULL, else u8 = clamp(round_half_even(value / y_scale) + y_zero, 0, 255). */
    float *y_f32;
    uint8_t *y_u8;
    ptrdiff_t y_row_stride, y_col_stride;
    float y_scale;
    int32_t y_zero;
} cdlrt_qepilogue;

/* Rows [row_begin, row_end) × the columns of panels [panel_begin, panel_end) (32 columns each,
 * the last one partial; panel_end is clamped to ceil(n / 32)) of Y. No allocation; thread-safe
 * for disjoint blocks. */
void cdlrt_qgemm(int isa, int row_begin, int row_end, int panel_begin, int panel_end, int n, int k,
                 const uint8_t *a, ptrdiff_t lda, const void *packed_b, const cdlrt_qepilogue *e);

/* Raw int32 accumulators C[i, j] (no zero-point correction) into c (row stride ldc); for tests. */
void cdlrt_qgemm_raw(int isa, int m, int n, int k, const uint8_t *a, ptrdiff_t lda, const void *packed_b,
                     int32_t *c, ptrdiff_t ldc);

/* ---- Activation quantization (asymmetric u8). */
/* Per row r of x (rows × cols, row stride ldx): range [min(0, min x), max(0, max x)] over the
 * finite values, scale = range / 255 (1 when the range is 0), zero = clamp(round(-min / scale)),
 * q = clamp(round_half_even(x / scale) + zero, 0, 255); NaN → zero, ±inf → 255 / 0.
 * When per_row is 0 the whole matrix shares one (scale, zero) written to scale[0], zero[0]. */
void cdlrt_quantize_dynamic(const float *x, int rows, int cols, ptrdiff_t ldx, int per_row, uint8_t *q,
                            ptrdiff_t ldq, float *scale, int32_t *zero);
/* q = clamp(round_half_even(x / scale) + zero, 0, 255) for count values (NaN → zero). */
void cdlrt_quantize_u8(const float *x, size_t count, float scale, int32_t zero, uint8_t *q);
/* y = (q - zero) * scale. */
void cdlrt_dequantize_u8(const uint8_t *q, size_t count, float scale, int32_t zero, float *y);

/* ---- u8 im2col for Conv, from an image in HWC order (x[(ih * w + iw) * in_channels + c]):
 * row p (output pixel oh * out_w + ow) of `cols` (starting at row_begin, row stride ldc) holds,
 * for the channels [c0, c0 + channels), the kh × kw taps in (ky, kx, c) order; padding taps are
 * `pad_value` (the zero point). The packed weights use the same order. */
typedef struct {
    int h, w, kh, kw, stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, out_h, out_w;
} cdlrt_conv_geometry;
void cdlrt_im2col_u8(const cdlrt_conv_geometry *g, const uint8_t *x, int in_channels, int c0, int channels,
                     uint8_t pad_value, int row_begin, int row_end, uint8_t *cols, ptrdiff_t ldc);
/* y[c * rows + r] = x[r * cols + c] (CHW → HWC with rows = C, cols = H·W). */
void cdlrt_transpose_u8(const uint8_t *x, int rows, int cols, uint8_t *y);
/* Conv without the im2col copy (group 1): output pixels [row_begin, row_end) of an image in HWC
 * order × the packed weights (k = kh · kw · in_channels in im2col's order) → Y through the
 * epilogue, byte for byte what cdlrt_im2col_u8 + cdlrt_qgemm give. `pad` holds in_channels bytes
 * equal to the zero point (read for the taps in the padding). Only where
 * cdlrt_qconv_indirect_supported says so (AVX-512 VNNI, in_channels % 4 == 0, ≤ 64 taps). */
int cdlrt_qconv_indirect_supported(int isa, int in_channels, int taps);
void cdlrt_qconv_indirect(int isa, const cdlrt_conv_geometry *g, const uint8_t *x, int in_channels, const uint8_t *pad,
                          int row_begin, int row_end, int n, const void *packed_b, const cdlrt_qepilogue *e);
/* Max pooling of one u8 plane (h × w → out_h × out_w; padding never wins; an empty window gives
 * 0). Quantization is monotonic, so this is MaxPool on the real values with the same parameters. */
void cdlrt_maxpool_u8(const cdlrt_conv_geometry *g, const uint8_t *x, uint8_t *y);
#endif

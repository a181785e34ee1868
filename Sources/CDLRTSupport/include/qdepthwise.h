#ifndef CDLRT_QDEPTHWISE_H
#define CDLRT_QDEPTHWISE_H
/* int8 depthwise convolution of dlrt (QuantizedDepthwiseConv, op 110; docs/QUANTIZATION.md):
 *   acc[c, p] = sum_taps (x[c, tap(p)] - x_zero) * w[c, tap]     (exact int32; padding taps add 0)
 *   y[c, p]   = act(acc · multiplier[c] + bias[c])  → float32, or u8 = clamp(round_half_even(y / y_scale) + y_zero)
 * with multiplier[c] = x_scale · w_scale[c] (one float product, as the int8 GEMM's epilogue).
 * x and y are one image each, channel-major (NCHW). Channels are processed in blocks of 16: each
 * block's input is interleaved into a zero-padded int32 plane [ph][pw][16] (scratch), so every tap
 * of every output is one vector load and one multiply-add, whatever the stride, padding or width.
 * Paths (chosen like the int8 GEMM's: pass cdlrt_qgemm_best_isa()): AVX-512 (F/BW/DQ), AVX2,
 * portable C — bit-identical (integer accumulation, the same IEEE float operations in the same
 * order, no FMA contraction). */
#include <stddef.h>
#include <stdint.h>
#include "qgemm.h"

#define CDLRT_QDW_LANES 16

typedef struct {
    cdlrt_conv_geometry g;
    int channels;                 /* C: planes of x and of y */
    const uint8_t *x;             /* [C][h][w] */
    int32_t x_zero;
    const int32_t *weights;       /* [ceil(C/16)][kh·kw][16], zero past C */
    const float *multiplier;      /* [ceil(C/16)·16]: x_scale · w_scale[c] */
    const float *bias;            /* [ceil(C/16)·16] or NULL */
    int activation; float act_alpha, act_min, act_max;   /* CDLRT_QACT_* */
    float *y_f32;                 /* [C][out_h][out_w] float32 when y_u8 is NULL */
    uint8_t *y_u8;                /* [C][out_h][out_w] u8 with y_scale / y_zero */
    float y_scale;
    int32_t y_zero;
} cdlrt_qdw_args;

/* Bytes of scratch one block needs (64-byte multiple). */
size_t cdlrt_qdw_scratch_bytes(const cdlrt_conv_geometry *g);
/* Channel blocks [block_begin, block_end) (16 channels each, the last one partial), one after the
 * other, with one block's scratch (cdlrt_qdw_scratch_bytes, 64-byte aligned). No allocation;
 * thread-safe for disjoint blocks with distinct scratch. */
void cdlrt_qdepthwise(int isa, const cdlrt_qdw_args *a, int block_begin, int block_end, void *scratch);
#endif

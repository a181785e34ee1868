#ifndef CDLRT_FDEPTHWISE_H
#define CDLRT_FDEPTHWISE_H
/* float32 depthwise convolution, AVX-512 (the Conv op's depthwise path on AVX-512 CPUs;
 * DLRTRuntime/Ops/DepthwiseConv.swift). 16 channels per zmm: each block's input rows are read with
 * masked loads (lanes outside the image are 0) and transposed in registers into a zero-padded
 * [ph][pw][16] plane (scratch); every tap of every output is one vector
 * load and one FMA (acc = bias, then taps in (kh, kw) order — the order of the Swift blocked kernel);
 * the output row [out_w][16] is transposed back and written to the 16 channel planes.
 * Written in C because the 16 × 16 register transposes are what Swift's SIMD types do not emit. */
#include <stddef.h>
#include <stdint.h>
#include "qgemm.h"

typedef struct {
    cdlrt_conv_geometry g;
    int channels;                 /* C */
    const float *x;               /* one image [C][h][w] */
    const float *weights;         /* [ceil(C/16)][kh·kw][16], zero past C */
    const float *bias;            /* [ceil(C/16)·16] or NULL */
    int clamp;                    /* 1: leaky slope then clamp to [lo, hi] (Relu / LeakyRelu / Clip); 0: none */
    float slope, lo, hi;
    float *y;                     /* one image [C][out_h][out_w] */
} cdlrt_dwf_args;

/* 1 when this CPU runs the kernel (AVX-512 F / DQ / BW / VL). */
int cdlrt_dwf_supported(void);
/* Bytes of scratch one block needs (64-byte multiple). */
size_t cdlrt_dwf_scratch_bytes(const cdlrt_conv_geometry *g);
/* Channel blocks [block_begin, block_end) of one image with one block's scratch. No allocation. */
void cdlrt_depthwise_f32(const cdlrt_dwf_args *a, int block_begin, int block_end, void *scratch);
#endif

/* Activation quantization (asymmetric u8) and the u8 im2col of the int8 Conv. Plain C (the
 * compiler vectorizes the simple loops); the formulas are the ones docs/QUANTIZATION.md states and
 * the Swift reference (DLRTKernels/Int8/QuantReference.swift) repeats. */
#include "qgemm.h"
#include <math.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

static inline uint8_t quantize_one(float x, float scale, float zero) {
    if (x != x) return (uint8_t)zero;
    float q = nearbyintf(x / scale) + zero;
    return (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
}

/* scale and zero point for the range [lo, hi] (lo ≤ 0 ≤ hi, finite). */
static inline void choose_params(float lo, float hi, float *scale, int32_t *zero) {
    float s = (float)(((double)hi - (double)lo) / 255.0);
    if (!(s > 0) || !isfinite(s)) s = 1;
    float z = nearbyintf(-lo / s);
    *scale = s;
    *zero = (int32_t)(z < 0 ? 0 : z > 255 ? 255 : z);
}

static inline void range_of(const float *x, int cols, float *lo, float *hi) {
    float l = *lo, h = *hi;
    for (int c = 0; c < cols; c++) {
        float v = x[c];
        if (v < l && v > -INFINITY) l = v;  /* NaN compares false: ignored */
        if (v > h && v < INFINITY) h = v;
    }
    *lo = l; *hi = h;
}

void cdlrt_quantize_dynamic(const float *x, int rows, int cols, ptrdiff_t ldx, int per_row, uint8_t *q,
                            ptrdiff_t ldq, float *scale, int32_t *zero) {
    if (!per_row) {
        float lo = 0, hi = 0;
        for (int r = 0; r < rows; r++) range_of(x + r * ldx, cols, &lo, &hi);
        choose_params(lo, hi, &scale[0], &zero[0]);
    }
    for (int r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        if (per_row) {
            float lo = 0, hi = 0;
            range_of(xr, cols, &lo, &hi);
            choose_params(lo, hi, &scale[r], &zero[r]);
        }
        const float s = per_row ? scale[r] : scale[0];
        const float z = (float)(per_row ? zero[r] : zero[0]);
        uint8_t *qr = q + r * ldq;
        for (int c = 0; c < cols; c++) qr[c] = quantize_one(xr[c], s, z);
    }
}

void cdlrt_quantize_u8(const float *x, size_t count, float scale, int32_t zero, uint8_t *q) {
    const float z = (float)zero;
    for (size_t i = 0; i < count; i++) q[i] = quantize_one(x[i], scale, z);
}

void cdlrt_dequantize_u8(const uint8_t *q, size_t count, float scale, int32_t zero, float *y) {
    for (size_t i = 0; i < count; i++) y[i] = (float)((int32_t)q[i] - zero) * scale;
}

void cdlrt_im2col_u8(const cdlrt_conv_geometry *g, const uint8_t *x, int c0, int channels, uint8_t pad_value,
                     int row_begin, int row_end, uint8_t *cols, ptrdiff_t ldc) {
    const ptrdiff_t plane = (ptrdiff_t)g->h * g->w;
    for (int p = row_begin; p < row_end; p++) {
        const int oh = p / g->out_w, ow = p % g->out_w;
        uint8_t *row = cols + (ptrdiff_t)(p - row_begin) * ldc;
        const int ih0 = oh * g->stride_h - g->pad_top, iw0 = ow * g->stride_w - g->pad_left;
        const int inside = ih0 >= 0 && iw0 >= 0 && ih0 + (g->kh - 1) * g->dil_h < g->h
            && iw0 + (g->kw - 1) * g->dil_w < g->w;
        if (inside && g->kh == 1 && g->kw == 1) {  /* pointwise: one strided gather per pixel */
            const uint8_t *xp = x + (ptrdiff_t)c0 * plane + (ptrdiff_t)ih0 * g->w + iw0;
            for (int c = 0; c < channels; c++) row[c] = xp[(ptrdiff_t)c * plane];
            continue;
        }
        for (int c = 0; c < channels; c++) {
            const uint8_t *xc = x + (ptrdiff_t)(c0 + c) * plane;
            if (inside && g->dil_w == 1) {
                for (int ky = 0; ky < g->kh; ky++) {
                    memcpy(row, xc + (ptrdiff_t)(ih0 + ky * g->dil_h) * g->w + iw0, (size_t)g->kw);
                    row += g->kw;
                }
                continue;
            }
            for (int ky = 0; ky < g->kh; ky++) {
                const int ih = ih0 + ky * g->dil_h;
                for (int kx = 0; kx < g->kw; kx++) {
                    const int iw = iw0 + kx * g->dil_w;
                    *row++ = (ih >= 0 && ih < g->h && iw >= 0 && iw < g->w) ? xc[(ptrdiff_t)ih * g->w + iw] : pad_value;
                }
            }
        }
    }
}

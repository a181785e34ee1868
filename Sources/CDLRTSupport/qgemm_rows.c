/* The int8 GEMM epilogue for row-major output (MatMul / Gemm: y_col_stride 1) with Relu / Clip /
 * no activation, AVX-512: one row of 32 accumulators is two zmm, the column parameters (weight
 * scales, bias, column sums) are loaded once per tile with masks for a partial panel. The same IEEE
 * single-precision operations in the same order as the scalar definition in qgemm.c
 * (docs/QUANTIZATION.md), so every ISA path keeps giving the same bytes:
 *   y = float(acc - za · colsum) · (sa · sb) [+ bias];  y = y < lo ? lo : y;  y = y > hi ? hi : y
 * (vmaxps / vminps with y as the second operand are exactly these selections, NaN and ±0 included);
 * u8: NaN → y_zero, else clamp(round_half_even(y / y_scale) + y_zero, 0, 255). */
#include "qgemm.h"
#include "qgemm_internal.h"
#include <math.h>

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>
#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

int cdlrt_qepilogue_rows_applies(const cdlrt_qepilogue *e) {
    return e->y_col_stride == 1 && (e->b_scale_stride == 0 || e->b_scale_stride == 1)
        && (e->activation == CDLRT_QACT_NONE || e->activation == CDLRT_QACT_RELU || e->activation == CDLRT_QACT_CLIP);
}

T512 void cdlrt_qepilogue_rows_avx512(const cdlrt_qepilogue *e, const int32_t *colsum, int i0, int rows, int j0, int cols,
                                      const int32_t *c) {
    const __mmask16 m0 = (__mmask16)(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
    const __mmask16 m1 = (__mmask16)(cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (1u << (cols - 16)) - 1);
    const float lo = e->activation == CDLRT_QACT_RELU ? 0.0f : e->activation == CDLRT_QACT_CLIP ? e->act_min : -INFINITY;
    const float hi = e->activation == CDLRT_QACT_CLIP ? e->act_max : INFINITY;
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    __m512 sb0, sb1;
    if (e->b_scale_stride == 0) {
        sb0 = sb1 = _mm512_set1_ps(e->b_scale[0]);
    } else {
        sb0 = _mm512_maskz_loadu_ps(m0, e->b_scale + j0);
        sb1 = _mm512_maskz_loadu_ps(m1, e->b_scale + j0 + 16);
    }
    const __m512i cs0 = _mm512_maskz_loadu_epi32(m0, colsum + j0), cs1 = _mm512_maskz_loadu_epi32(m1, colsum + j0 + 16);
    const __m512 b0 = e->bias ? _mm512_maskz_loadu_ps(m0, e->bias + j0) : _mm512_setzero_ps();
    const __m512 b1 = e->bias ? _mm512_maskz_loadu_ps(m1, e->bias + j0 + 16) : _mm512_setzero_ps();
    const __m512 ys = _mm512_set1_ps(e->y_scale), yz = _mm512_set1_ps((float)e->y_zero);
    const __m512 zero = _mm512_setzero_ps(), top = _mm512_set1_ps(255);
    for (int r = 0; r < rows; r++) {
        const __m512i za = _mm512_set1_epi32(e->a_zero[(i0 + r) * e->a_zero_stride]);
        const __m512 sa = _mm512_set1_ps(e->a_scale[(i0 + r) * e->a_scale_stride]);
        __m512 v[2];
        for (int h = 0; h < 2; h++) {
            const __m512i acc = _mm512_sub_epi32(_mm512_loadu_si512((const void *)(c + r * CDLRT_QGEMM_NR + 16 * h)),
                                                 _mm512_mullo_epi32(za, h ? cs1 : cs0));
            __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_mul_ps(sa, h ? sb1 : sb0));
            if (e->bias) y = _mm512_add_ps(y, h ? b1 : b0);
            y = _mm512_max_ps(vlo, y);
            v[h] = _mm512_min_ps(vhi, y);
        }
        const ptrdiff_t at = (ptrdiff_t)(i0 + r) * e->y_row_stride + j0;
        for (int h = 0; h < 2; h++) {
            const __mmask16 m = h ? m1 : m0;
            if (!m) continue;
            if (e->y_u8) {
                __m512 q = _mm512_add_ps(_mm512_roundscale_ps(_mm512_div_ps(v[h], ys), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), yz);
                q = _mm512_min_ps(_mm512_max_ps(q, zero), top);
                q = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v[h], v[h], _CMP_ORD_Q), yz, q);  /* NaN → the zero point */
                _mm_mask_storeu_epi8(e->y_u8 + at + 16 * h, m, _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(q)));
            } else {
                _mm512_mask_storeu_ps(e->y_f32 + at + 16 * h, m, v[h]);
            }
        }
    }
}
#else
int cdlrt_qepilogue_rows_applies(const cdlrt_qepilogue *e) { (void)e; return 0; }
#endif

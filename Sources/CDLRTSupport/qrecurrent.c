/* int8 GEMM of the integer recurrence (include/qrecurrent.h). The AVX-512 VNNI path is here; the
 * other ISAs go through cdlrt_qgemm with the equivalent epilogue. The packed layout is
 * cdlrt_qgemm_pack's (qgemm.c): n int32 column sums padded to 64 bytes, then per panel of 32
 * columns ceil(k/4) blocks of 128 bytes (block q: for column j, the 4 bytes B[4q…4q+3, j]). */
#include "qrecurrent.h"
#include "qgemm.h"
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define QREC_X86 1
#endif

#pragma STDC FP_CONTRACT OFF

#define QR_NR CDLRT_QGEMM_NR
#define QR_BLOCK (QR_NR * 4)

static inline size_t qr_header_bytes(int n) { return ((size_t)n * 4 + 63) & ~(size_t)63; }
static inline int qr_kquads(int k) { return (k + 3) / 4; }
static inline int qr_panels(int n) { return (n + QR_NR - 1) / QR_NR; }

#ifdef QREC_X86
#define QR512 __attribute__((target("avx512vnni,avx512bw,avx512vl,avx512f,avx512dq")))
#define QRINLINE static inline __attribute__((always_inline))

/* The 4 bytes of row `a` at k = 4q…4q+3; past k (the last quad) zero-extended. */
QRINLINE int32_t qr_quad(const uint8_t *a, int q, int k) {
    int32_t v = 0;
    if (4 * q + 4 <= k) { memcpy(&v, a + 4 * q, 4); return v; }
    for (int t = 0; 4 * q + t < k; t++) v |= (int32_t)((uint32_t)a[4 * q + t] << (8 * t));
    return v;
}

/* R rows × P panels (R · P · 2 ≤ 16 accumulators) starting at row i, panel p. */
QRINLINE QR512 void qr_block(const int R, const int P, int i, int p, int n, int k, const uint8_t *a, ptrdiff_t lda,
                             const void *packed, const int32_t *a_zero, const float *a_scale, const float *b_scale,
                             const float *bias, float *y, ptrdiff_t ldy) {
    const int kq = qr_kquads(k);
    const int8_t *body = (const int8_t *)packed + qr_header_bytes(n);
    const int32_t *colsum = (const int32_t *)packed;
    __m512i acc[4][8];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < 2 * P; t++) acc[r][t] = _mm512_setzero_si512();
    const int8_t *b = body + (size_t)p * kq * QR_BLOCK;
    const size_t ps = (size_t)kq * QR_BLOCK;
    for (int q = 0; q < kq; q++) {
        __m512i av[4];
        for (int r = 0; r < R; r++) av[r] = _mm512_set1_epi32(qr_quad(a + (ptrdiff_t)(i + r) * lda, q, k));
        for (int pp = 0; pp < P; pp++) {
            const int8_t *blk = b + pp * ps + (size_t)q * QR_BLOCK;
            const __m512i b0 = _mm512_load_si512((const void *)blk), b1 = _mm512_load_si512((const void *)(blk + 64));
            for (int r = 0; r < R; r++) {
                acc[r][2 * pp] = _mm512_dpbusd_epi32(acc[r][2 * pp], av[r], b0);
                acc[r][2 * pp + 1] = _mm512_dpbusd_epi32(acc[r][2 * pp + 1], av[r], b1);
            }
        }
    }
    for (int pp = 0; pp < P; pp++) {
        for (int h = 0; h < 2; h++) {
            const int j0 = (p + pp) * QR_NR + h * 16;
            if (j0 >= n) continue;
            const int cols = n - j0 < 16 ? n - j0 : 16;
            const __mmask16 m = (__mmask16)(cols == 16 ? 0xFFFF : (1u << cols) - 1);
            const __m512i cs = _mm512_maskz_loadu_epi32(m, colsum + j0);
            const __m512 sb = _mm512_maskz_loadu_ps(m, b_scale + j0);
            const __m512 bv = bias ? _mm512_maskz_loadu_ps(m, bias + j0) : _mm512_setzero_ps();
            for (int r = 0; r < R; r++) {
                const __m512i corr = _mm512_mullo_epi32(_mm512_set1_epi32(a_zero[i + r]), cs);
                const __m512 scale = _mm512_mul_ps(_mm512_set1_ps(a_scale[i + r]), sb);
                __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][2 * pp + h], corr)), scale);
                if (bias) v = _mm512_add_ps(v, bv);
                _mm512_mask_storeu_ps(y + (ptrdiff_t)(i + r) * ldy + j0, m, v);
            }
        }
    }
}

static QR512 void qr_gemm_avx512vnni(int row_begin, int row_end, int n, int k, const uint8_t *a, ptrdiff_t lda,
                                     const void *packed, const int32_t *a_zero, const float *a_scale,
                                     const float *b_scale, const float *bias, float *y, ptrdiff_t ldy) {
    const int np = qr_panels(n);
    int i = row_begin;
    for (; i + 4 <= row_end; i += 4)
        for (int p = 0; p < np; p++) qr_block(4, 1, i, p, n, k, a, lda, packed, a_zero, a_scale, b_scale, bias, y, ldy);
    for (; i + 2 <= row_end; i += 2) {
        int p = 0;
        for (; p + 2 <= np; p += 2) qr_block(2, 2, i, p, n, k, a, lda, packed, a_zero, a_scale, b_scale, bias, y, ldy);
        for (; p < np; p++) qr_block(2, 1, i, p, n, k, a, lda, packed, a_zero, a_scale, b_scale, bias, y, ldy);
    }
    for (; i < row_end; i++) {
        int p = 0;
        for (; p + 4 <= np; p += 4) qr_block(1, 4, i, p, n, k, a, lda, packed, a_zero, a_scale, b_scale, bias, y, ldy);
        for (; p < np; p++) qr_block(1, 1, i, p, n, k, a, lda, packed, a_zero, a_scale, b_scale, bias, y, ldy);
    }
}
#endif

void cdlrt_qrec_gemm(int isa, int row_begin, int row_end, int n, int k, const uint8_t *a, ptrdiff_t lda,
                     const void *packed_b, const int32_t *a_zero, const float *a_scale, const float *b_scale,
                     const float *bias, float *y, ptrdiff_t ldy) {
    if (row_end <= row_begin || n <= 0) return;
#ifdef QREC_X86
    if (isa == CDLRT_QISA_AVX512VNNI && k > 0 && cdlrt_qgemm_isa_supported(isa)) {
        qr_gemm_avx512vnni(row_begin, row_end, n, k, a, lda, packed_b, a_zero, a_scale, b_scale, bias, y, ldy);
        return;
    }
#endif
    cdlrt_qepilogue e;
    memset(&e, 0, sizeof e);
    e.a_zero = a_zero; e.a_zero_stride = 1;
    e.a_scale = a_scale; e.a_scale_stride = 1;
    e.b_scale = b_scale; e.b_scale_stride = 1;
    e.bias = bias;
    e.activation = CDLRT_QACT_NONE;
    e.y_f32 = y;
    e.y_row_stride = ldy; e.y_col_stride = 1;
    e.y_scale = 1;
    cdlrt_qgemm(isa, row_begin, row_end, 0, 0x7fffffff, n, k, a, lda, packed_b, &e);
}

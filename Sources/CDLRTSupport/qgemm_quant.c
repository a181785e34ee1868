/* Activation quantization (asymmetric u8) and the u8 im2col of the int8 Conv. Plain C (the
 * compiler vectorizes the simple loops); the formulas are the ones docs/QUANTIZATION.md states and
 * the Swift reference (DLRTKernels/Int8/QuantReference.swift) repeats. */
#include "qgemm.h"
#include "CDLRTSupport.h"
#include <math.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

static inline uint8_t quantize_one(float x, float scale, float zero) {
    float q = nearbyintf(x / scale) + zero;
    q = q < 0 ? 0 : q > 255 ? 255 : q;
    return (uint8_t)(x != x ? zero : q);
}

/* scale and zero point for the range [lo, hi] (lo ≤ 0 ≤ hi, finite). */
static inline void choose_params(float lo, float hi, float *scale, int32_t *zero) {
    float s = (float)(((double)hi - (double)lo) / 255.0);
    if (!(s > 0) || !isfinite(s)) s = 1;
    float z = nearbyintf(-lo / s);
    *scale = s;
    *zero = (int32_t)(z < 0 ? 0 : z > 255 ? 255 : z);
}

static inline void range_scalar(const float *x, int from, int cols, float *lo, float *hi) {
    float l = *lo, h = *hi;
    for (int c = from; c < cols; c++) {
        float v = x[c];
        if (v < l && v > -INFINITY) l = v;  /* NaN compares false: ignored */
        if (v > h && v < INFINITY) h = v;
    }
    *lo = l; *hi = h;
}

#if defined(__x86_64__)
#include <immintrin.h>
#define TAVX2 __attribute__((target("avx2,fma")))
/* The same range with 8 lanes: non-finite lanes are masked out. */
static TAVX2 void range_avx2(const float *x, int cols, float *lo, float *hi) {
    __m256 l = _mm256_setzero_ps(), h = _mm256_setzero_ps();
    const __m256 inf = _mm256_set1_ps(INFINITY), sign = _mm256_set1_ps(-0.0f);
    int c = 0;
    for (; c + 8 <= cols; c += 8) {
        const __m256 v = _mm256_loadu_ps(x + c);
        const __m256 finite = _mm256_cmp_ps(_mm256_andnot_ps(sign, v), inf, _CMP_LT_OQ);
        l = _mm256_blendv_ps(l, _mm256_min_ps(l, v), finite);
        h = _mm256_blendv_ps(h, _mm256_max_ps(h, v), finite);
    }
    float lv[8], hv[8];
    _mm256_storeu_ps(lv, l);
    _mm256_storeu_ps(hv, h);
    for (int i = 0; i < 8; i++) {
        if (lv[i] < *lo) *lo = lv[i];
        if (hv[i] > *hi) *hi = hv[i];
    }
    range_scalar(x, c, cols, lo, hi);
}

/* q = clamp(round_half_even(x / scale) + zero, 0, 255), NaN → zero, 8 lanes at a time. */
static TAVX2 void quantize_avx2(const float *x, int cols, float scale, float zero, uint8_t *q) {
    const __m256 s = _mm256_set1_ps(scale), z = _mm256_set1_ps(zero);
    const __m256 zeroes = _mm256_setzero_ps(), top = _mm256_set1_ps(255);
    int c = 0;
    for (; c + 8 <= cols; c += 8) {
        const __m256 v = _mm256_loadu_ps(x + c);
        __m256 r = _mm256_add_ps(_mm256_round_ps(_mm256_div_ps(v, s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), z);
        r = _mm256_min_ps(_mm256_max_ps(r, zeroes), top);  /* NaN: max returns 0, replaced below */
        r = _mm256_blendv_ps(z, r, _mm256_cmp_ps(v, v, _CMP_ORD_Q));
        const __m256i i32 = _mm256_cvtps_epi32(r);
        const __m128i p16 = _mm_packus_epi32(_mm256_castsi256_si128(i32), _mm256_extracti128_si256(i32, 1));
        _mm_storel_epi64((__m128i *)(q + c), _mm_packus_epi16(p16, p16));
    }
    for (; c < cols; c++) q[c] = quantize_one(x[c], scale, zero);
}
#define HAVE_AVX2_PATH 1

/* The same two functions with 16 lanes and a masked tail (bit-identical: min / max of the finite
 * values in any order, the same IEEE operations per element). */
#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
static T512 void range_avx512(const float *x, int cols, float *lo, float *hi) {
    __m512 l = _mm512_setzero_ps(), h = _mm512_setzero_ps();
    const __m512 inf = _mm512_set1_ps(INFINITY);
    for (int c = 0; c < cols; c += 16) {
        const __mmask16 m = cols - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cols - c)) - 1);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + c);
        const __mmask16 finite = _mm512_mask_cmp_ps_mask(m, _mm512_abs_ps(v), inf, _CMP_LT_OQ);
        l = _mm512_mask_min_ps(l, finite, l, v);
        h = _mm512_mask_max_ps(h, finite, h, v);
    }
    const float lv = _mm512_reduce_min_ps(l), hv = _mm512_reduce_max_ps(h);
    if (lv < *lo) *lo = lv;
    if (hv > *hi) *hi = hv;
}

static T512 void quantize_avx512(const float *x, int cols, float scale, float zero, uint8_t *q) {
    const __m512 s = _mm512_set1_ps(scale), z = _mm512_set1_ps(zero);
    const __m512 zeroes = _mm512_setzero_ps(), top = _mm512_set1_ps(255);
    for (int c = 0; c < cols; c += 16) {
        const __mmask16 m = cols - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cols - c)) - 1);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + c);
        __m512 r = _mm512_add_ps(_mm512_roundscale_ps(_mm512_div_ps(v, s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), z);
        r = _mm512_min_ps(_mm512_max_ps(r, zeroes), top);
        r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), z, r);  /* NaN → the zero point */
        _mm_mask_storeu_epi8(q + c, m, _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(r)));
    }
}

/* The vector level for quantization: the CPU's, capped by DLRT_ISA like every other kernel
 * (cdlrt_select_isa; evaluated once — a race computes the same value). 2 = AVX-512, 1 = AVX2. */
static int quant_level(void) {
    static int level = -1;
    if (level < 0) {
        int isa = cdlrt_select_isa();
        level = isa >= CDLRT_ISA_AVX512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
                && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") ? 2
              : isa >= CDLRT_ISA_AVX2 && __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return level;
}
static int has_avx512(void) { return quant_level() == 2; }
#endif

static void range_of(const float *x, int cols, float *lo, float *hi) {
#ifdef HAVE_AVX2_PATH
    if (has_avx512()) { range_avx512(x, cols, lo, hi); return; }
    if (quant_level() == 1) { range_avx2(x, cols, lo, hi); return; }
#endif
    range_scalar(x, 0, cols, lo, hi);
}

static void quantize_row(const float *x, int cols, float scale, float zero, uint8_t *q) {
#ifdef HAVE_AVX2_PATH
    if (has_avx512()) { quantize_avx512(x, cols, scale, zero, q); return; }
    if (quant_level() == 1) { quantize_avx2(x, cols, scale, zero, q); return; }
#endif
    for (int c = 0; c < cols; c++) q[c] = quantize_one(x[c], scale, zero);
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
        quantize_row(xr, cols, s, z, q + r * ldq);
    }
}

void cdlrt_quantize_u8(const float *x, size_t count, float scale, int32_t zero, uint8_t *q) {
    while (count > 0) {  /* in chunks that fit an int */
        const int n = count > (1u << 30) ? 1 << 30 : (int)count;
        quantize_row(x, n, scale, (float)zero, q);
        x += n; q += n; count -= (size_t)n;
    }
}

void cdlrt_dequantize_u8(const uint8_t *q, size_t count, float scale, int32_t zero, float *y) {
    for (size_t i = 0; i < count; i++) y[i] = (float)((int32_t)q[i] - zero) * scale;
}

#if defined(__x86_64__)
/* 16 × 16 bytes: four rounds of "row i with row i + 8, interleaved" rotate each byte's 8-bit
 * address (row, column) left by one bit; after four the row and column bits have swapped. SSE2
 * (x86-64's baseline): the same code on every CPU. */
static inline void transpose16_u8(const uint8_t *x, ptrdiff_t ldx, uint8_t *y, ptrdiff_t ldy) {
    __m128i a[16], t[16];
    for (int i = 0; i < 16; i++) a[i] = _mm_loadu_si128((const __m128i *)(x + i * ldx));
    /* a → t → a → t → a (no array copies: they would become memcpy calls). */
#define ROUND(src, dst) \
    for (int i = 0; i < 8; i++) { \
        dst[2 * i] = _mm_unpacklo_epi8(src[i], src[i + 8]); \
        dst[2 * i + 1] = _mm_unpackhi_epi8(src[i], src[i + 8]); \
    }
    ROUND(a, t) ROUND(t, a) ROUND(a, t) ROUND(t, a)
#undef ROUND
    for (int i = 0; i < 16; i++) _mm_storeu_si128((__m128i *)(y + i * ldy), a[i]);
}
#endif

void cdlrt_transpose_u8(const uint8_t *x, int rows, int cols, uint8_t *y) {
    enum { B = 32 };  /* blocks of 32 × 32 bytes stay in L1 on both sides */
    for (int r0 = 0; r0 < rows; r0 += B)
        for (int c0 = 0; c0 < cols; c0 += B) {
            const int r1 = r0 + B < rows ? r0 + B : rows, c1 = c0 + B < cols ? c0 + B : cols;
#if defined(__x86_64__)
            if (r1 - r0 == B && c1 - c0 == B) {  /* whole block: four 16 × 16 transposes */
                for (int r = r0; r < r1; r += 16)
                    for (int c = c0; c < c1; c += 16)
                        transpose16_u8(x + (ptrdiff_t)r * cols + c, cols, y + (ptrdiff_t)c * rows + r, rows);
                continue;
            }
#endif
            for (int c = c0; c < c1; c++)
                for (int r = r0; r < r1; r++) y[(ptrdiff_t)c * rows + r] = x[(ptrdiff_t)r * cols + c];
        }
}

/* Inline copy of one tap's channel run (no call per tap; SSE2 is x86-64's baseline). */
static inline void copy_small(uint8_t *dst, const uint8_t *src, int n) {
    int i = 0;
#if defined(__x86_64__)
    for (; i + 16 <= n; i += 16) _mm_storeu_si128((__m128i *)(dst + i), _mm_loadu_si128((const __m128i *)(src + i)));
#endif
    for (; i < n; i++) dst[i] = src[i];
}

void cdlrt_im2col_u8(const cdlrt_conv_geometry *g, const uint8_t *x, int in_channels, int c0, int channels,
                     uint8_t pad_value, int row_begin, int row_end, uint8_t *cols, ptrdiff_t ldc) {
    for (int p = row_begin; p < row_end; p++) {
        const int oh = p / g->out_w, ow = p % g->out_w;
        uint8_t *row = cols + (ptrdiff_t)(p - row_begin) * ldc;
        const int ih0 = oh * g->stride_h - g->pad_top, iw0 = ow * g->stride_w - g->pad_left;
        /* All channels, no horizontal dilation, the window inside the row: the kw taps of a
         * kernel row are one contiguous run of kw × C bytes in HWC. */
        const int whole_rows = channels == in_channels && g->dil_w == 1 && iw0 >= 0 && iw0 + g->kw <= g->w;
        for (int ky = 0; ky < g->kh; ky++) {
            const int ih = ih0 + ky * g->dil_h;
            if (whole_rows && ih >= 0 && ih < g->h) {
                copy_small(row, x + ((ptrdiff_t)ih * g->w + iw0) * in_channels, g->kw * channels);
                row += g->kw * channels;
                continue;
            }
            for (int kx = 0; kx < g->kw; kx++, row += channels) {
                const int iw = iw0 + kx * g->dil_w;
                if (ih >= 0 && ih < g->h && iw >= 0 && iw < g->w)
                    copy_small(row, x + ((ptrdiff_t)ih * g->w + iw) * in_channels + c0, channels);
                else
                    memset(row, pad_value, (size_t)channels);
            }
        }
    }
}

/* Max over the window's rows of each input column (vectorizable: u8 max, no branches). */
static inline void rows_max(const cdlrt_conv_geometry *g, const uint8_t *x, int oh, int w0, int wn, uint8_t *m) {
    memset(m, 0, (size_t)wn);
    for (int ky = 0; ky < g->kh; ky++) {
        const int ih = oh * g->stride_h - g->pad_top + ky * g->dil_h;
        if (ih < 0 || ih >= g->h) continue;
        const uint8_t *in = x + (ptrdiff_t)ih * g->w + w0;
        for (int i = 0; i < wn; i++) m[i] = in[i] > m[i] ? in[i] : m[i];
    }
}

void cdlrt_maxpool_u8(const cdlrt_conv_geometry *g, const uint8_t *x, uint8_t *y) {
    enum { ROW = 4096, MARGIN = 64 };
    /* Fast path: the whole row fits and every window stays within MARGIN bytes of it. Column
     * maxima sit in `ext` between MARGIN zero bytes on each side (0 is the smallest u8, so the
     * padding never wins, as MaxPool's padding is ignored); `span[i]` = max over the window's
     * columns starting at ext index i, then each output picks one span. */
    const int first = -g->pad_left, reach = (g->kw - 1) * g->dil_w;
    const int last = (g->out_w - 1) * g->stride_w - g->pad_left + reach;
    if (g->out_w > 0 && g->w <= ROW && first >= -MARGIN && reach < MARGIN && last < g->w + MARGIN) {
        uint8_t ext[ROW + 2 * MARGIN], span[ROW + 2 * MARGIN];
        memset(ext, 0, MARGIN);
        memset(ext + MARGIN + g->w, 0, MARGIN);
        const int from = MARGIN + first, to = MARGIN + last - reach + 1;  /* span indices used */
        for (int oh = 0; oh < g->out_h; oh++) {
            rows_max(g, x, oh, 0, g->w, ext + MARGIN);
            memcpy(span + from, ext + from, (size_t)(to - from));
            for (int kx = 1; kx < g->kw; kx++) {
                const uint8_t *src = ext + kx * g->dil_w;
                for (int i = from; i < to; i++) span[i] = src[i] > span[i] ? src[i] : span[i];
            }
            uint8_t *row = y + (ptrdiff_t)oh * g->out_w;
            for (int ow = 0; ow < g->out_w; ow++) row[ow] = span[from + ow * g->stride_w];
        }
        return;
    }
    uint8_t column_max[ROW];  /* per input column: the max over the window's rows */
    for (int oh = 0; oh < g->out_h; oh++) {
        uint8_t *row = y + (ptrdiff_t)oh * g->out_w;
        for (int w0 = 0; w0 < g->w; w0 += ROW) {  /* images wider than ROW: in slices */
            const int wn = g->w - w0 < ROW ? g->w - w0 : ROW;
            rows_max(g, x, oh, w0, wn, column_max);
            for (int ow = 0; ow < g->out_w; ow++) {
                const int iw0 = ow * g->stride_w - g->pad_left;
                uint8_t m = w0 == 0 ? 0 : row[ow];
                for (int kx = 0; kx < g->kw; kx++) {
                    const int iw = iw0 + kx * g->dil_w - w0;
                    if (iw >= 0 && iw < wn && column_max[iw] > m) m = column_max[iw];
                }
                row[ow] = m;
            }
        }
    }
}

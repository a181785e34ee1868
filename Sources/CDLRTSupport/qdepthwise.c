/* int8 depthwise convolution (QuantizedDepthwiseConv, op 110): u8 activations × s8 per-channel
 * weights → int32 → the int8 GEMM's float epilogue. See include/qdepthwise.h for the definition
 * and the layouts. Per-function target attributes (no global -m flags), like qgemm.c. */
#include "qdepthwise.h"
#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define QDW_X86 1
#endif

#pragma STDC FP_CONTRACT OFF

#define L CDLRT_QDW_LANES

static inline int padded_h(const cdlrt_conv_geometry *g) { return (g->out_h - 1) * g->stride_h + (g->kh - 1) * g->dil_h + 1; }
static inline int padded_w(const cdlrt_conv_geometry *g) { return (g->out_w - 1) * g->stride_w + (g->kw - 1) * g->dil_w + 1; }
static inline size_t round64(size_t n) { return (n + 63) & ~(size_t)63; }
static inline size_t plane_bytes(const cdlrt_conv_geometry *g) {
    return round64((size_t)padded_h(g) * (size_t)padded_w(g) * L * sizeof(int32_t));
}

static inline size_t row_bytes(const cdlrt_conv_geometry *g) { return round64((size_t)g->out_w * L * sizeof(float)); }

/* Scratch: the padded plane [ph][pw][16] int32 and one output row [out_w][16] (float or int32 codes). */
size_t cdlrt_qdw_scratch_bytes(const cdlrt_conv_geometry *g) {
    if (g->out_h <= 0 || g->out_w <= 0) return 0;
    return plane_bytes(g) + row_bytes(g);
}

/* xs[r][q][l] = x[c0 + l][r − pad_top][q − pad_left] − x_zero inside the image, else 0. */
static void build_plane(const cdlrt_qdw_args *a, int c0, int nc, int32_t *xs) {
    const cdlrt_conv_geometry *g = &a->g;
    const int ph = padded_h(g), pw = padded_w(g);
    memset(xs, 0, (size_t)ph * pw * L * sizeof(int32_t));
    int r0 = g->pad_top > 0 ? g->pad_top : 0, r1 = g->h + g->pad_top < ph ? g->h + g->pad_top : ph;
    int q0 = g->pad_left > 0 ? g->pad_left : 0, q1 = g->w + g->pad_left < pw ? g->w + g->pad_left : pw;
    const size_t plane = (size_t)g->h * g->w;
    const int32_t z = a->x_zero;
    for (int l = 0; l < nc; l++) {
        const uint8_t *src = a->x + (size_t)(c0 + l) * plane;
        for (int r = r0; r < r1; r++) {
            const uint8_t *s = src + (size_t)(r - g->pad_top) * g->w - g->pad_left;
            int32_t *d = xs + ((size_t)r * pw) * L + l;
            for (int q = q0; q < q1; q++) d[(size_t)q * L] = (int32_t)s[q] - z;
        }
    }
}

/* ---- The epilogue, scalar definition (qgemm.c's, with a per-channel multiplier). */
static inline float act_slow(const cdlrt_qdw_args *a, float y) {
    switch (a->activation) {
    case CDLRT_QACT_RELU: return y < 0 ? 0 : y;
    case CDLRT_QACT_CLIP: y = y < a->act_min ? a->act_min : y; return y > a->act_max ? a->act_max : y;
    case CDLRT_QACT_LEAKY: return y < 0 ? y * a->act_alpha : y;
    case CDLRT_QACT_SIGMOID: return 1 / (1 + expf(-y));
    case CDLRT_QACT_TANH: return tanhf(y);
    default: return y;
    }
}

static inline uint8_t requantize(float y, float scale, float zero) {
    if (y != y) return (uint8_t)zero;
    float q = nearbyintf(y / scale) + zero;
    return (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
}

/* One output position (16 channels) from its accumulators into the row buffer slot `dst`. */
static inline void finish_scalar(const cdlrt_qdw_args *a, const int32_t *acc, const float *mult, const float *bias,
                                 void *dst) {
    for (int l = 0; l < L; l++) {
        float y = (float)acc[l] * mult[l];
        if (bias) y = y + bias[l];
        y = act_slow(a, y);
        if (a->y_u8) ((uint8_t *)dst)[l] = requantize(y, a->y_scale, (float)a->y_zero);
        else ((float *)dst)[l] = y;
    }
}

/* The output row of a block: out_w positions × 16 channels into `row` (u8 or float). */
typedef void (*qdw_row_fn)(const cdlrt_qdw_args *a, const int32_t *xs, const int32_t *w, const float *mult,
                           const float *bias, int oh, void *row);

static void row_portable(const cdlrt_qdw_args *a, const int32_t *xs, const int32_t *w, const float *mult,
                         const float *bias, int oh, void *row) {
    const cdlrt_conv_geometry *g = &a->g;
    const int pw = padded_w(g);
    const size_t esize = a->y_u8 ? 1 : sizeof(float);
    for (int ow = 0; ow < g->out_w; ow++) {
        uint32_t acc[L] = {0};
        for (int kh = 0; kh < g->kh; kh++) {
            const int32_t *xr = xs + ((size_t)(oh * g->stride_h + kh * g->dil_h) * pw + (size_t)ow * g->stride_w) * L;
            for (int kw = 0; kw < g->kw; kw++) {
                const int32_t *xp = xr + (size_t)kw * g->dil_w * L, *wp = w + (size_t)(kh * g->kw + kw) * L;
                for (int l = 0; l < L; l++) acc[l] += (uint32_t)xp[l] * (uint32_t)wp[l];
            }
        }
        finish_scalar(a, (const int32_t *)acc, mult, bias, (char *)row + (size_t)ow * L * esize);
    }
}

#ifdef QDW_X86
#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#define TAVX2 __attribute__((target("avx2")))

static inline int fast_activation(int act) {
    return act == CDLRT_QACT_NONE || act == CDLRT_QACT_RELU || act == CDLRT_QACT_CLIP || act == CDLRT_QACT_LEAKY;
}

/* ---- AVX-512: one zmm = 16 channels. */
static inline T512 void finish_512(const cdlrt_qdw_args *a, __m512i acc, __m512 mult, __m512 bias, int has_bias,
                                   __m512 lo, __m512 hi, void *dst) {
    if (!fast_activation(a->activation)) {
        int32_t t[L];
        _mm512_storeu_si512((void *)t, acc);
        float m[L], b[L];
        uint8_t codes[L];
        _mm512_storeu_ps(m, mult);
        _mm512_storeu_ps(b, bias);
        finish_scalar(a, t, m, has_bias ? b : NULL, a->y_u8 ? (void *)codes : dst);
        if (a->y_u8) _mm512_storeu_si512(dst, _mm512_cvtepu8_epi32(_mm_loadu_si128((const void *)codes)));
        return;
    }
    __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), mult);
    if (has_bias) y = _mm512_add_ps(y, bias);
    if (a->activation == CDLRT_QACT_LEAKY) {
        const __mmask16 neg = _mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_LT_OQ);
        y = _mm512_mask_mul_ps(y, neg, y, _mm512_set1_ps(a->act_alpha));
    } else {
        y = _mm512_max_ps(lo, y);   /* lo > y ? lo : y (NaN stays) */
        y = _mm512_min_ps(hi, y);   /* hi < y ? hi : y */
    }
    if (!a->y_u8) { _mm512_storeu_ps(dst, y); return; }
    const __m512 yz = _mm512_set1_ps((float)a->y_zero);
    __m512 q = _mm512_div_ps(y, _mm512_set1_ps(a->y_scale));
    q = _mm512_add_ps(_mm512_roundscale_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), yz);
    q = _mm512_min_ps(_mm512_set1_ps(255), _mm512_max_ps(_mm512_setzero_ps(), q));
    q = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q), q, yz);
    _mm512_storeu_si512(dst, _mm512_cvtps_epi32(q));   /* int32 codes: emit_avx512 narrows them */
}

static T512 void row_avx512(const cdlrt_qdw_args *a, const int32_t *xs, const int32_t *w, const float *mult,
                            const float *bias, int oh, void *row) {
    const cdlrt_conv_geometry *g = &a->g;
    const int pw = padded_w(g), taps_w = g->kw;
    const ptrdiff_t cs = (ptrdiff_t)g->stride_w * L, dw = (ptrdiff_t)g->dil_w * L, dh = (ptrdiff_t)g->dil_h * pw * L;
    const int32_t *x0 = xs + (size_t)oh * g->stride_h * pw * L;
    const size_t esize = 4;   /* float, or int32 codes */
    const __m512 m = _mm512_loadu_ps(mult), b = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
    const __m512 lo = _mm512_set1_ps(a->activation == CDLRT_QACT_RELU ? 0.0f : a->activation == CDLRT_QACT_CLIP ? a->act_min : -INFINITY);
    const __m512 hi = _mm512_set1_ps(a->activation == CDLRT_QACT_CLIP ? a->act_max : INFINITY);
    int ow = 0;
    for (; ow + 4 <= g->out_w; ow += 4) {
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        const int32_t *wp = w;
        for (int kh = 0; kh < g->kh; kh++) {
            const int32_t *xr = x0 + kh * dh + ow * cs;
            for (int kw = 0; kw < taps_w; kw++) {
                const __m512i wv = _mm512_loadu_si512((const void *)wp);
                a0 = _mm512_add_epi32(a0, _mm512_mullo_epi32(_mm512_loadu_si512((const void *)xr), wv));
                a1 = _mm512_add_epi32(a1, _mm512_mullo_epi32(_mm512_loadu_si512((const void *)(xr + cs)), wv));
                a2 = _mm512_add_epi32(a2, _mm512_mullo_epi32(_mm512_loadu_si512((const void *)(xr + 2 * cs)), wv));
                a3 = _mm512_add_epi32(a3, _mm512_mullo_epi32(_mm512_loadu_si512((const void *)(xr + 3 * cs)), wv));
                wp += L;
                xr += dw;
            }
        }
        char *d = (char *)row + (size_t)ow * L * esize;
        finish_512(a, a0, m, b, bias != NULL, lo, hi, d);
        finish_512(a, a1, m, b, bias != NULL, lo, hi, d + L * esize);
        finish_512(a, a2, m, b, bias != NULL, lo, hi, d + 2 * L * esize);
        finish_512(a, a3, m, b, bias != NULL, lo, hi, d + 3 * L * esize);
    }
    for (; ow < g->out_w; ow++) {
        __m512i acc = _mm512_setzero_si512();
        const int32_t *wp = w;
        for (int kh = 0; kh < g->kh; kh++) {
            const int32_t *xr = x0 + kh * dh + ow * cs;
            for (int kw = 0; kw < taps_w; kw++) {
                acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(_mm512_loadu_si512((const void *)xr),
                                                               _mm512_loadu_si512((const void *)wp)));
                wp += L;
                xr += dw;
            }
        }
        finish_512(a, acc, m, b, bias != NULL, lo, hi, (char *)row + (size_t)ow * L * esize);
    }
}


/* r[i][j] → r[j][i] for a 16 × 16 block of 32-bit values. */
static inline T512 void transpose16(__m512i r[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int h = 0; h < 16; h += 8) {
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_i32x4(r[h + i], r[h + 4 + i], 0x88);
            t[h + 4 + i] = _mm512_shuffle_i32x4(r[h + i], r[h + 4 + i], 0xdd);
        }
    }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_i32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_i32x4(t[i], t[8 + i], 0xdd);
    }
}

/* build_plane with masked loads and vector transposes: 16 columns of the 16 channels are read
 * with masked byte loads (lanes outside the image, and channels ≥ nc, take the zero point, so they
 * become 0), widened, and transposed in registers. Same values as build_plane. */
static T512 void build_plane_avx512(const cdlrt_qdw_args *a, int c0, int nc, int32_t *xs) {
    const cdlrt_conv_geometry *g = &a->g;
    const int ph = padded_h(g), pw = padded_w(g);
    const int q0 = g->pad_left > 0 ? g->pad_left : 0, q1 = g->w + g->pad_left < pw ? g->w + g->pad_left : pw;
    const size_t plane = (size_t)g->h * g->w;
    const __m512i z = _mm512_set1_epi32(a->x_zero);
    const __m128i zb = _mm_set1_epi8((char)a->x_zero);
    for (int r = 0; r < ph; r++) {
        int32_t *row = xs + (size_t)r * pw * L;
        const int ih = r - g->pad_top;
        if (ih < 0 || ih >= g->h) { memset(row, 0, (size_t)pw * L * sizeof(int32_t)); continue; }
        const uintptr_t base = (uintptr_t)(a->x + (size_t)c0 * plane + (size_t)ih * g->w);
        for (int q = 0; q < pw; q += 16) {
            const int lo = q0 - q > 0 ? q0 - q : 0, hi = q1 - q < 16 ? q1 - q : 16;
            const __mmask16 m = hi > lo ? (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1)) : 0;
            const intptr_t off = (intptr_t)q - g->pad_left;
            __m512i v[16];
            for (int l = 0; l < 16; l++) {
                const __m128i b = l < nc ? _mm_mask_loadu_epi8(zb, m, (const void *)(base + (uintptr_t)(l * plane) + (uintptr_t)off)) : zb;
                v[l] = _mm512_sub_epi32(_mm512_cvtepu8_epi32(b), z);
            }
            transpose16(v);
            const int n = pw - q < 16 ? pw - q : 16;
            for (int j = 0; j < n; j++) _mm512_storeu_si512((void *)(row + (size_t)(q + j) * L), v[j]);
        }
    }
}

/* One output row [out_w][16] (int32 codes or floats) → the nc channel rows of y. */
static T512 void emit_avx512(const cdlrt_qdw_args *a, int c0, int nc, int oh, const int32_t *row) {
    const cdlrt_conv_geometry *g = &a->g;
    const size_t out_plane = (size_t)g->out_h * g->out_w, o = (size_t)oh * g->out_w;
    for (int q = 0; q < g->out_w; q += 16) {
        const int n = g->out_w - q < 16 ? g->out_w - q : 16;
        const __mmask16 m = (__mmask16)((1u << n) - 1);
        __m512i v[16];
        for (int j = 0; j < 16; j++) v[j] = j < n ? _mm512_loadu_si512((const void *)(row + (size_t)(q + j) * L)) : _mm512_setzero_si512();
        transpose16(v);
        for (int l = 0; l < nc; l++) {
            const size_t at = (size_t)(c0 + l) * out_plane + o + q;
            if (a->y_u8) _mm512_mask_cvtepi32_storeu_epi8(a->y_u8 + at, m, v[l]);
            else _mm512_mask_storeu_epi32(a->y_f32 + at, m, v[l]);
        }
    }
}

static T512 void blocks_avx512(const cdlrt_qdw_args *a, int block_begin, int block_end, void *scratch) {
    const cdlrt_conv_geometry *g = &a->g;
    int32_t *xs = (int32_t *)scratch;
    int32_t *row = (int32_t *)((char *)scratch + plane_bytes(g));
    const size_t taps = (size_t)g->kh * g->kw;
    for (int blk = block_begin; blk < block_end; blk++) {
        const int c0 = blk * L, nc = a->channels - c0 < L ? a->channels - c0 : L;
        if (nc <= 0) return;
        build_plane_avx512(a, c0, nc, xs);
        const int32_t *w = a->weights + (size_t)blk * taps * L;
        const float *mult = a->multiplier + (size_t)blk * L, *bias = a->bias ? a->bias + (size_t)blk * L : NULL;
        for (int oh = 0; oh < g->out_h; oh++) {
            row_avx512(a, xs, w, mult, bias, oh, row);
            emit_avx512(a, c0, nc, oh, row);
        }
    }
}

/* ---- AVX2: two ymm per output position (channels 0–7, 8–15). */
static inline TAVX2 __m256 finish_256_value(const cdlrt_qdw_args *a, __m256i acc, __m256 mult, __m256 bias,
                                            int has_bias, __m256 lo, __m256 hi) {
    __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), mult);
    if (has_bias) y = _mm256_add_ps(y, bias);
    if (a->activation == CDLRT_QACT_LEAKY) {
        const __m256 neg = _mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_LT_OQ);
        return _mm256_blendv_ps(y, _mm256_mul_ps(y, _mm256_set1_ps(a->act_alpha)), neg);
    }
    y = _mm256_max_ps(lo, y);
    return _mm256_min_ps(hi, y);
}

static inline TAVX2 __m256i requantize_256(const cdlrt_qdw_args *a, __m256 y) {
    const __m256 yz = _mm256_set1_ps((float)a->y_zero);
    __m256 q = _mm256_div_ps(y, _mm256_set1_ps(a->y_scale));
    q = _mm256_add_ps(_mm256_round_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), yz);
    q = _mm256_min_ps(_mm256_set1_ps(255), _mm256_max_ps(_mm256_setzero_ps(), q));
    q = _mm256_blendv_ps(q, yz, _mm256_cmp_ps(y, y, _CMP_UNORD_Q));
    return _mm256_cvtps_epi32(q);
}

static inline TAVX2 void finish_256(const cdlrt_qdw_args *a, __m256i acc0, __m256i acc1, __m256 m0, __m256 m1,
                                    __m256 b0, __m256 b1, int has_bias, __m256 lo, __m256 hi, void *dst) {
    if (!fast_activation(a->activation)) {
        int32_t t[L];
        float m[L], b[L];
        _mm256_storeu_si256((void *)t, acc0); _mm256_storeu_si256((void *)(t + 8), acc1);
        _mm256_storeu_ps(m, m0); _mm256_storeu_ps(m + 8, m1);
        _mm256_storeu_ps(b, b0); _mm256_storeu_ps(b + 8, b1);
        finish_scalar(a, t, m, has_bias ? b : NULL, dst);
        return;
    }
    const __m256 y0 = finish_256_value(a, acc0, m0, b0, has_bias, lo, hi);
    const __m256 y1 = finish_256_value(a, acc1, m1, b1, has_bias, lo, hi);
    if (!a->y_u8) { _mm256_storeu_ps(dst, y0); _mm256_storeu_ps((float *)dst + 8, y1); return; }
    const __m256i s = _mm256_permute4x64_epi64(_mm256_packs_epi32(requantize_256(a, y0), requantize_256(a, y1)), 0xD8);
    _mm_storeu_si128(dst, _mm_packus_epi16(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1)));
}

static TAVX2 void row_avx2(const cdlrt_qdw_args *a, const int32_t *xs, const int32_t *w, const float *mult,
                           const float *bias, int oh, void *row) {
    const cdlrt_conv_geometry *g = &a->g;
    const int pw = padded_w(g), taps_w = g->kw;
    const ptrdiff_t cs = (ptrdiff_t)g->stride_w * L, dw = (ptrdiff_t)g->dil_w * L, dh = (ptrdiff_t)g->dil_h * pw * L;
    const int32_t *x0 = xs + (size_t)oh * g->stride_h * pw * L;
    const size_t esize = a->y_u8 ? 1 : sizeof(float);
    const __m256 m0 = _mm256_loadu_ps(mult), m1 = _mm256_loadu_ps(mult + 8);
    const __m256 b0 = bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps(), b1 = bias ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
    const __m256 lo = _mm256_set1_ps(a->activation == CDLRT_QACT_RELU ? 0.0f : a->activation == CDLRT_QACT_CLIP ? a->act_min : -INFINITY);
    const __m256 hi = _mm256_set1_ps(a->activation == CDLRT_QACT_CLIP ? a->act_max : INFINITY);
    int ow = 0;
    for (; ow + 2 <= g->out_w; ow += 2) {
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
        const int32_t *wp = w;
        for (int kh = 0; kh < g->kh; kh++) {
            const int32_t *xr = x0 + kh * dh + ow * cs;
            for (int kw = 0; kw < taps_w; kw++) {
                const __m256i w0 = _mm256_loadu_si256((const void *)wp), w1 = _mm256_loadu_si256((const void *)(wp + 8));
                a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(_mm256_loadu_si256((const void *)xr), w0));
                a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(_mm256_loadu_si256((const void *)(xr + 8)), w1));
                a2 = _mm256_add_epi32(a2, _mm256_mullo_epi32(_mm256_loadu_si256((const void *)(xr + cs)), w0));
                a3 = _mm256_add_epi32(a3, _mm256_mullo_epi32(_mm256_loadu_si256((const void *)(xr + cs + 8)), w1));
                wp += L;
                xr += dw;
            }
        }
        char *d = (char *)row + (size_t)ow * L * esize;
        finish_256(a, a0, a1, m0, m1, b0, b1, bias != NULL, lo, hi, d);
        finish_256(a, a2, a3, m0, m1, b0, b1, bias != NULL, lo, hi, d + L * esize);
    }
    for (; ow < g->out_w; ow++) {
        __m256i a0 = _mm256_setzero_si256(), a1 = a0;
        const int32_t *wp = w;
        for (int kh = 0; kh < g->kh; kh++) {
            const int32_t *xr = x0 + kh * dh + ow * cs;
            for (int kw = 0; kw < taps_w; kw++) {
                a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(_mm256_loadu_si256((const void *)xr), _mm256_loadu_si256((const void *)wp)));
                a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(_mm256_loadu_si256((const void *)(xr + 8)),
                                                             _mm256_loadu_si256((const void *)(wp + 8))));
                wp += L;
                xr += dw;
            }
        }
        finish_256(a, a0, a1, m0, m1, b0, b1, bias != NULL, lo, hi, (char *)row + (size_t)ow * L * esize);
    }
}
#endif

static int use_avx512(int isa) {
#ifdef QDW_X86
    return isa == CDLRT_QISA_AVX512VNNI && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
    (void)isa;
    return 0;
#endif
}

static qdw_row_fn row_for(int isa) {
#ifdef QDW_X86
    if ((isa == CDLRT_QISA_AVX2 || isa == CDLRT_QISA_AVXVNNI || isa == CDLRT_QISA_AVX512VNNI) && __builtin_cpu_supports("avx2"))
        return row_avx2;
#endif
    (void)isa;
    return row_portable;
}

void cdlrt_qdepthwise(int isa, const cdlrt_qdw_args *a, int block_begin, int block_end, void *scratch) {
    const cdlrt_conv_geometry *g = &a->g;
    if (g->out_h <= 0 || g->out_w <= 0) return;
#ifdef QDW_X86
    if (use_avx512(isa)) { blocks_avx512(a, block_begin, block_end, scratch); return; }
#endif
    const qdw_row_fn row_fn = row_for(isa);
    int32_t *xs = (int32_t *)scratch;
    void *row = (char *)scratch + plane_bytes(g);
    const size_t out_plane = (size_t)g->out_h * g->out_w, taps = (size_t)g->kh * g->kw;
    for (int blk = block_begin; blk < block_end; blk++) {
        const int c0 = blk * L, nc = a->channels - c0 < L ? a->channels - c0 : L;
        if (nc <= 0) return;
        build_plane(a, c0, nc, xs);
        const int32_t *w = a->weights + (size_t)blk * taps * L;
        const float *mult = a->multiplier + (size_t)blk * L, *bias = a->bias ? a->bias + (size_t)blk * L : NULL;
        for (int oh = 0; oh < g->out_h; oh++) {
            row_fn(a, xs, w, mult, bias, oh, row);
            const size_t o = (size_t)oh * g->out_w;
            if (a->y_u8) {
                const uint8_t *r = row;
                for (int l = 0; l < nc; l++) {
                    uint8_t *y = a->y_u8 + (size_t)(c0 + l) * out_plane + o;
                    for (int ow = 0; ow < g->out_w; ow++) y[ow] = r[(size_t)ow * L + l];
                }
            } else {
                const float *r = row;
                for (int l = 0; l < nc; l++) {
                    float *y = a->y_f32 + (size_t)(c0 + l) * out_plane + o;
                    for (int ow = 0; ow < g->out_w; ow++) y[ow] = r[(size_t)ow * L + l];
                }
            }
        }
    }
}

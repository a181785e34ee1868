/* float32 depthwise convolution, AVX-512 path (include/fdepthwise.h). */
#include "fdepthwise.h"
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define FDW_X86 1
#endif

#define L 16

static inline int padded_h(const cdlrt_conv_geometry *g) { return (g->out_h - 1) * g->stride_h + (g->kh - 1) * g->dil_h + 1; }
static inline int padded_w(const cdlrt_conv_geometry *g) { return (g->out_w - 1) * g->stride_w + (g->kw - 1) * g->dil_w + 1; }
static inline size_t round64(size_t n) { return (n + 63) & ~(size_t)63; }
static inline size_t plane_bytes(const cdlrt_conv_geometry *g) { return round64((size_t)padded_h(g) * padded_w(g) * L * sizeof(float)); }
static inline size_t row_bytes(const cdlrt_conv_geometry *g) { return round64((size_t)g->out_w * L * sizeof(float)); }

size_t cdlrt_dwf_scratch_bytes(const cdlrt_conv_geometry *g) {
    if (g->out_h <= 0 || g->out_w <= 0) return 0;
    return plane_bytes(g) + row_bytes(g);
}

#ifdef FDW_X86
#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

int cdlrt_dwf_supported(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma");
}

/* r[i][j] → r[j][i] for a 16 × 16 block of floats. */
static inline T512 void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    }
    for (int h = 0; h < 16; h += 8) {
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + 4 + i], 0x88);
            t[h + 4 + i] = _mm512_shuffle_f32x4(r[h + i], r[h + 4 + i], 0xdd);
        }
    }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
    }
}

/* xs[r][q][l] = x[c0 + l][r − pad_top][q − pad_left] inside the image, else 0 (also for l ≥ nc):
 * 16 columns of the 16 channels are read with masked loads (lanes outside the image are not
 * read and come out 0) and transposed in registers. */
static T512 void build_plane(const cdlrt_dwf_args *a, int c0, int nc, float *xs) {
    const cdlrt_conv_geometry *g = &a->g;
    const int ph = padded_h(g), pw = padded_w(g);
    const int q0 = g->pad_left > 0 ? g->pad_left : 0, q1 = g->w + g->pad_left < pw ? g->w + g->pad_left : pw;
    const size_t plane = (size_t)g->h * g->w;
    for (int r = 0; r < ph; r++) {
        float *row = xs + (size_t)r * pw * L;
        const int ih = r - g->pad_top;
        if (ih < 0 || ih >= g->h) { memset(row, 0, (size_t)pw * L * sizeof(float)); continue; }
        const uintptr_t base = (uintptr_t)(a->x + (size_t)c0 * plane + (size_t)ih * g->w);
        for (int q = 0; q < pw; q += 16) {
            const int lo = q0 - q > 0 ? q0 - q : 0, hi = q1 - q < 16 ? q1 - q : 16;
            const __mmask16 m = hi > lo ? (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1)) : 0;
            /* Column q + j of channel l is at base + (l · plane + q + j − pad_left) floats; only
             * in-image lanes are read. */
            const intptr_t off = ((intptr_t)q - g->pad_left) * (intptr_t)sizeof(float);
            __m512 v[16];
            for (int l = 0; l < 16; l++)
                v[l] = l < nc ? _mm512_maskz_loadu_ps(m, (const void *)(base + (uintptr_t)(l * plane * sizeof(float)) + (uintptr_t)off))
                              : _mm512_setzero_ps();
            transpose16(v);
            const int n = pw - q < 16 ? pw - q : 16;
            for (int j = 0; j < n; j++) _mm512_storeu_ps(row + (size_t)(q + j) * L, v[j]);
        }
    }
}

static inline T512 __m512 finish(const cdlrt_dwf_args *a, __m512 v, __m512 slope, __m512 lo, __m512 hi) {
    if (!a->clamp) return v;
    v = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), v, slope);
    v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, lo, _CMP_LT_OQ), v, lo);   /* v < lo → lo (NaN stays) */
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, hi, _CMP_GT_OQ), v, hi);
}

static T512 void row_compute(const cdlrt_dwf_args *a, const float *xs, const float *w, __m512 b, int oh, float *out) {
    const cdlrt_conv_geometry *g = &a->g;
    const int pw = padded_w(g), kw_n = g->kw;
    const ptrdiff_t cs = (ptrdiff_t)g->stride_w * L, dw = (ptrdiff_t)g->dil_w * L, dh = (ptrdiff_t)g->dil_h * pw * L;
    const float *x0 = xs + (size_t)oh * g->stride_h * pw * L;
    const __m512 slope = _mm512_set1_ps(a->slope), lo = _mm512_set1_ps(a->lo), hi = _mm512_set1_ps(a->hi);
    int ow = 0;
    for (; ow + 4 <= g->out_w; ow += 4) {
        __m512 a0 = b, a1 = b, a2 = b, a3 = b;
        const float *wp = w;
        for (int kh = 0; kh < g->kh; kh++) {
            const float *xr = x0 + kh * dh + ow * cs;
            for (int kw = 0; kw < kw_n; kw++) {
                const __m512 wv = _mm512_loadu_ps(wp);
                a0 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(xr), a0);
                a1 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(xr + cs), a1);
                a2 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(xr + 2 * cs), a2);
                a3 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(xr + 3 * cs), a3);
                wp += L;
                xr += dw;
            }
        }
        float *d = out + (size_t)ow * L;
        _mm512_storeu_ps(d, finish(a, a0, slope, lo, hi));
        _mm512_storeu_ps(d + L, finish(a, a1, slope, lo, hi));
        _mm512_storeu_ps(d + 2 * L, finish(a, a2, slope, lo, hi));
        _mm512_storeu_ps(d + 3 * L, finish(a, a3, slope, lo, hi));
    }
    for (; ow < g->out_w; ow++) {
        __m512 acc = b;
        const float *wp = w;
        for (int kh = 0; kh < g->kh; kh++) {
            const float *xr = x0 + kh * dh + ow * cs;
            for (int kw = 0; kw < kw_n; kw++) {
                acc = _mm512_fmadd_ps(_mm512_loadu_ps(wp), _mm512_loadu_ps(xr), acc);
                wp += L;
                xr += dw;
            }
        }
        _mm512_storeu_ps(out + (size_t)ow * L, finish(a, acc, slope, lo, hi));
    }
}

static T512 void emit(const cdlrt_dwf_args *a, int c0, int nc, int oh, const float *row) {
    const cdlrt_conv_geometry *g = &a->g;
    const size_t out_plane = (size_t)g->out_h * g->out_w, o = (size_t)oh * g->out_w;
    for (int q = 0; q < g->out_w; q += 16) {
        const int n = g->out_w - q < 16 ? g->out_w - q : 16;
        const __mmask16 m = (__mmask16)((1u << n) - 1);
        __m512 v[16];
        for (int j = 0; j < 16; j++) v[j] = j < n ? _mm512_loadu_ps(row + (size_t)(q + j) * L) : _mm512_setzero_ps();
        transpose16(v);
        for (int l = 0; l < nc; l++) _mm512_mask_storeu_ps(a->y + (size_t)(c0 + l) * out_plane + o + q, m, v[l]);
    }
}

static T512 void blocks_avx512(const cdlrt_dwf_args *a, int block_begin, int block_end, void *scratch) {
    const cdlrt_conv_geometry *g = &a->g;
    float *xs = (float *)scratch;
    float *row = (float *)((char *)scratch + plane_bytes(g));
    const size_t taps = (size_t)g->kh * g->kw;
    for (int blk = block_begin; blk < block_end; blk++) {
        const int c0 = blk * L, nc = a->channels - c0 < L ? a->channels - c0 : L;
        if (nc <= 0) return;
        build_plane(a, c0, nc, xs);
        const float *w = a->weights + (size_t)blk * taps * L;
        const __m512 b = a->bias ? _mm512_loadu_ps(a->bias + (size_t)blk * L) : _mm512_setzero_ps();
        for (int oh = 0; oh < g->out_h; oh++) {
            row_compute(a, xs, w, b, oh, row);
            emit(a, c0, nc, oh, row);
        }
    }
}

void cdlrt_depthwise_f32(const cdlrt_dwf_args *a, int block_begin, int block_end, void *scratch) {
    if (a->g.out_h <= 0 || a->g.out_w <= 0 || !cdlrt_dwf_supported()) return;
    blocks_avx512(a, block_begin, block_end, scratch);
}
#else
int cdlrt_dwf_supported(void) { return 0; }
void cdlrt_depthwise_f32(const cdlrt_dwf_args *a, int block_begin, int block_end, void *scratch) {
    (void)a; (void)block_begin; (void)block_end; (void)scratch;
}
#endif

/* int8 Conv as an implicit ("indirect") GEMM: the rows of A are never copied. For each output
 * pixel and kernel tap the kernel reads the tap's `in_channels` contiguous bytes straight from the
 * HWC image (or from a row of zero points when the tap falls in the padding), through a table of
 * pointers built per block of pixels. The k order (ky, kx, c) is that of cdlrt_im2col_u8, so the
 * same packed weights, the same exact int32 sums and the same epilogue give the same bytes as
 * im2col + cdlrt_qgemm. AVX-512 VNNI only; other paths keep im2col (the results are identical). */
#include "qgemm.h"
#include "qgemm_internal.h"
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define QCONV_X86 1
#endif

#define NR CDLRT_QGEMM_NR
#define MR 8
#define BLOCK (NR * 4)
enum { ROWS = 32, MAX_TAPS = 64 };  /* pixels per pointer table; taps per pixel */

int cdlrt_qconv_indirect_supported(int isa, int in_channels, int taps) {
#ifdef QCONV_X86
    return isa == CDLRT_QISA_AVX512VNNI && cdlrt_qgemm_isa_supported(isa) && in_channels > 0 && in_channels % 4 == 0
        && taps >= 1 && taps <= MAX_TAPS;
#else
    (void)isa; (void)in_channels; (void)taps;
    return 0;
#endif
}

#ifdef QCONV_X86
#define T512 __attribute__((target("avx512vnni,avx512bw,avx512vl,avx512f")))
static inline int32_t load4(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }

/* rows (≤ 8) pixels × 32 columns: for each tap, cq quads of 4 channels from each pixel's pointer. */
static inline __attribute__((always_inline)) T512 void body(const int rows, int taps, int cq, const uint8_t *const *ptrs,
                                                              const int8_t *b, int32_t *c) {
    __m512i acc0[MR], acc1[MR];
    for (int r = 0; r < rows; r++) { acc0[r] = _mm512_setzero_si512(); acc1[r] = _mm512_setzero_si512(); }
    for (int t = 0; t < taps; t++) {
        const uint8_t *p[MR];
        for (int r = 0; r < rows; r++) p[r] = ptrs[r * taps + t];
        for (int q = 0; q < cq; q++, b += BLOCK) {
            const __m512i b0 = _mm512_load_si512((const void *)b), b1 = _mm512_load_si512((const void *)(b + 64));
            for (int r = 0; r < rows; r++) {
                const __m512i av = _mm512_set1_epi32(load4(p[r] + 4 * q));
                acc0[r] = _mm512_dpbusd_epi32(acc0[r], av, b0);
                acc1[r] = _mm512_dpbusd_epi32(acc1[r], av, b1);
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        _mm512_storeu_si512((void *)(c + r * NR), acc0[r]);
        _mm512_storeu_si512((void *)(c + r * NR + 16), acc1[r]);
    }
}

static T512 void kernel(int rows, int taps, int cq, const uint8_t *const *ptrs, const int8_t *panel, int32_t *c) {
    int r = 0;
    for (; r + 8 <= rows; r += 8) body(8, taps, cq, ptrs + r * taps, panel, c + r * NR);
    if (rows - r >= 4) { body(4, taps, cq, ptrs + r * taps, panel, c + r * NR); r += 4; }
    for (; r < rows; r++) body(1, taps, cq, ptrs + r * taps, panel, c + r * NR);
}
#endif

void cdlrt_qconv_indirect(int isa, const cdlrt_conv_geometry *g, const uint8_t *x, int in_channels, const uint8_t *pad,
                          int row_begin, int row_end, int n, const void *packed_b, const cdlrt_qepilogue *e) {
#ifdef QCONV_X86
    const int taps = g->kh * g->kw;
    if (!cdlrt_qconv_indirect_supported(isa, in_channels, taps) || row_end <= row_begin || n <= 0) return;
    const int cq = in_channels / 4, k = taps * in_channels, npanels = (n + NR - 1) / NR;
    const cdlrt_qepilogue_fn epilogue = cdlrt_qgemm_epilogue_for(isa);
    const int32_t *colsum = (const int32_t *)packed_b;
    const uint8_t *ptrs[ROWS * MAX_TAPS];
    ptrdiff_t offset[MAX_TAPS];  /* tap t's byte offset from the window's first pixel */
    for (int ky = 0; ky < g->kh; ky++)
        for (int kx = 0; kx < g->kw; kx++)
            offset[ky * g->kw + kx] = ((ptrdiff_t)ky * g->dil_h * g->w + (ptrdiff_t)kx * g->dil_w) * in_channels;
    const int span_h = (g->kh - 1) * g->dil_h, span_w = (g->kw - 1) * g->dil_w;
    int32_t tile[MR * NR] __attribute__((aligned(64)));
    for (int i0 = row_begin; i0 < row_end; i0 += ROWS) {
        const int i1 = row_end - i0 < ROWS ? row_end : i0 + ROWS;
        int oh = i0 / g->out_w, ow = i0 % g->out_w;
        for (int p = i0; p < i1; p++, ow = ow + 1 == g->out_w ? (oh++, 0) : ow + 1) {
            const int ih0 = oh * g->stride_h - g->pad_top, iw0 = ow * g->stride_w - g->pad_left;
            const uint8_t **row = ptrs + (ptrdiff_t)(p - i0) * taps;
            if (ih0 >= 0 && iw0 >= 0 && ih0 + span_h < g->h && iw0 + span_w < g->w) {  /* inside: no checks */
                const uint8_t *base = x + ((ptrdiff_t)ih0 * g->w + iw0) * in_channels;
                for (int t = 0; t < taps; t++) row[t] = base + offset[t];
                continue;
            }
            for (int ky = 0; ky < g->kh; ky++) {
                const int ih = ih0 + ky * g->dil_h;
                for (int kx = 0; kx < g->kw; kx++) {
                    const int iw = iw0 + kx * g->dil_w;
                    row[ky * g->kw + kx] = ih >= 0 && ih < g->h && iw >= 0 && iw < g->w
                        ? x + ((ptrdiff_t)ih * g->w + iw) * in_channels : pad;
                }
            }
        }
        for (int pn = 0; pn < npanels; pn++) {
            const int cols = n - pn * NR < NR ? n - pn * NR : NR;
            const int8_t *panel = cdlrt_qgemm_panel_at(packed_b, n, k, pn);
            for (int i = i0; i < i1; i += MR) {
                const int rows = i1 - i < MR ? i1 - i : MR;
                kernel(rows, taps, cq, ptrs + (ptrdiff_t)(i - i0) * taps, panel, tile);
                epilogue(e, colsum, i, rows, pn * NR, cols, tile);
            }
        }
    }
#else
    (void)isa; (void)g; (void)x; (void)in_channels; (void)pad; (void)row_begin; (void)row_end; (void)n; (void)packed_b; (void)e;
#endif
}

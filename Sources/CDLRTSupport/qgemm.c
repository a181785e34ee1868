/* int8 GEMM: u8 activations × s8 packed weights → int32, then a float epilogue.
 * Per-function target attributes (no global -m flags): one object runs on any x86-64 CPU and the
 * path is chosen at run time (cdlrt_qgemm_best_isa). See include/qgemm.h and docs/QUANTIZATION.md.
 *
 * Packed B (cdlrt_qgemm_pack): n int32 column sums (padded to 64 bytes), then per panel of 32
 * columns ceil(k/4) blocks of 128 bytes: block q holds, for column j = 0…31, the 4 bytes
 * B[4q…4q+3, j] (zero padded past k and n). That is vpdpbusd's layout: one 32-bit lane per column
 * sums 4 u8×s8 products, so a broadcast of 4 bytes of an A row meets 16 columns per zmm. */
#include "qgemm.h"
#include "qgemm_internal.h"
#include "CDLRTSupport.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define QGEMM_X86 1
#endif

#pragma STDC FP_CONTRACT OFF

#define NR CDLRT_QGEMM_NR
#define MR 8                /* rows per tile of the driver */
#define BLOCK (NR * 4)      /* bytes per k-quad block of a panel */

static inline size_t header_bytes(int n) { return ((size_t)n * 4 + 63) & ~(size_t)63; }
static inline int kquads(int k) { return (k + 3) / 4; }
static inline int panels(int n) { return (n + NR - 1) / NR; }

size_t cdlrt_qgemm_packed_size(int k, int n) {
    if (k < 0 || n < 0) return 0;
    return header_bytes(n) + (size_t)panels(n) * (size_t)kquads(k) * BLOCK;
}

void cdlrt_qgemm_pack(int k, int n, const int8_t *b, ptrdiff_t row_stride, ptrdiff_t col_stride, void *packed) {
    int32_t *sums = (int32_t *)packed;
    int8_t *body = (int8_t *)packed + header_bytes(n);
    memset(packed, 0, cdlrt_qgemm_packed_size(k, n));
    for (int j = 0; j < n; j++) {
        int32_t s = 0;
        int8_t *col = body + (size_t)(j / NR) * kquads(k) * BLOCK + (size_t)(j % NR) * 4;
        for (int kk = 0; kk < k; kk++) {
            int8_t v = b[kk * row_stride + j * col_stride];
            s += v;
            col[(size_t)(kk / 4) * BLOCK + kk % 4] = v;
        }
        sums[j] = s;
    }
}

static inline const int8_t *panel_at(const void *packed, int n, int k, int p) {
    return (const int8_t *)packed + header_bytes(n) + (size_t)p * kquads(k) * BLOCK;
}

static inline int32_t load4(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }
/* The last t (1…3) bytes of a row, zero-extended (never reads past the row). */
static inline int32_t load_tail(const uint8_t *p, int t) {
    uint32_t v = 0;
    for (int i = 0; i < t; i++) v |= (uint32_t)p[i] << (8 * i);
    return (int32_t)v;
}

/* ---- Micro-kernels: c[r * NR + j] = sum_k a[r * lda + k] * B[k, j] (raw, wrapping int32) for
 * `rows` rows and one panel. */
typedef void (*qkernel_fn)(int rows, int k, const uint8_t *a, ptrdiff_t lda, const int8_t *panel, int32_t *c);

static void kernel_portable(int rows, int k, const uint8_t *a, ptrdiff_t lda, const int8_t *panel, int32_t *c) {
    for (int r = 0; r < rows; r++) {
        for (int j = 0; j < NR; j++) {
            uint32_t s = 0;
            for (int kk = 0; kk < k; kk++)
                s += (uint32_t)((int32_t)a[r * lda + kk] * (int32_t)panel[(size_t)(kk / 4) * BLOCK + j * 4 + kk % 4]);
            c[r * NR + j] = (int32_t)s;
        }
    }
}

#ifdef QGEMM_X86
#define T512 __attribute__((target("avx512vnni,avx512bw,avx512vl,avx512f")))
#define TVNNI __attribute__((target("avxvnni,avx2")))
#define TAVX2 __attribute__((target("avx2")))
#define INLINE static inline __attribute__((always_inline))

/* AVX-512 VNNI: rows × 32 columns in 2·rows zmm accumulators (rows ≤ 8). */
INLINE T512 void k512_body(const int rows, int k, const uint8_t *a, ptrdiff_t lda, const int8_t *b, int32_t *c) {
    __m512i acc0[8], acc1[8];
    for (int r = 0; r < rows; r++) { acc0[r] = _mm512_setzero_si512(); acc1[r] = _mm512_setzero_si512(); }
    const int kq = k / 4;
    for (int q = 0; q < kq; q++, b += BLOCK) {
        const __m512i b0 = _mm512_load_si512((const void *)b), b1 = _mm512_load_si512((const void *)(b + 64));
        for (int r = 0; r < rows; r++) {
            const __m512i av = _mm512_set1_epi32(load4(a + r * lda + 4 * q));
            acc0[r] = _mm512_dpbusd_epi32(acc0[r], av, b0);
            acc1[r] = _mm512_dpbusd_epi32(acc1[r], av, b1);
        }
    }
    if (k & 3) {
        const __m512i b0 = _mm512_load_si512((const void *)b), b1 = _mm512_load_si512((const void *)(b + 64));
        for (int r = 0; r < rows; r++) {
            const __m512i av = _mm512_set1_epi32(load_tail(a + r * lda + 4 * kq, k & 3));
            acc0[r] = _mm512_dpbusd_epi32(acc0[r], av, b0);
            acc1[r] = _mm512_dpbusd_epi32(acc1[r], av, b1);
        }
    }
    for (int r = 0; r < rows; r++) {
        _mm512_storeu_si512((void *)(c + r * NR), acc0[r]);
        _mm512_storeu_si512((void *)(c + r * NR + 16), acc1[r]);
    }
}

static T512 void kernel_avx512vnni(int rows, int k, const uint8_t *a, ptrdiff_t lda, const int8_t *panel, int32_t *c) {
    int r = 0;
    for (; r + 8 <= rows; r += 8) k512_body(8, k, a + r * lda, lda, panel, c + r * NR);
    if (rows - r >= 4) { k512_body(4, k, a + r * lda, lda, panel, c + r * NR); r += 4; }
    for (; r < rows; r++) k512_body(1, k, a + r * lda, lda, panel, c + r * NR);
}

/* AVX-VNNI (256-bit): per half panel (16 columns) rows × 2 ymm accumulators (rows ≤ 4). */
INLINE TVNNI void kvnni_body(const int rows, int k, const uint8_t *a, ptrdiff_t lda, const int8_t *panel, int32_t *c) {
    for (int h = 0; h < 2; h++) {
        const int8_t *b = panel + h * 64;
        __m256i acc0[4], acc1[4];
        for (int r = 0; r < rows; r++) { acc0[r] = _mm256_setzero_si256(); acc1[r] = _mm256_setzero_si256(); }
        const int kq = k / 4;
        for (int q = 0; q < kq; q++, b += BLOCK) {
            const __m256i b0 = _mm256_load_si256((const void *)b), b1 = _mm256_load_si256((const void *)(b + 32));
            for (int r = 0; r < rows; r++) {
                const __m256i av = _mm256_set1_epi32(load4(a + r * lda + 4 * q));
                acc0[r] = _mm256_dpbusd_avx_epi32(acc0[r], av, b0);
                acc1[r] = _mm256_dpbusd_avx_epi32(acc1[r], av, b1);
            }
        }
        if (k & 3) {
            const __m256i b0 = _mm256_load_si256((const void *)b), b1 = _mm256_load_si256((const void *)(b + 32));
            for (int r = 0; r < rows; r++) {
                const __m256i av = _mm256_set1_epi32(load_tail(a + r * lda + 4 * kq, k & 3));
                acc0[r] = _mm256_dpbusd_avx_epi32(acc0[r], av, b0);
                acc1[r] = _mm256_dpbusd_avx_epi32(acc1[r], av, b1);
            }
        }
        for (int r = 0; r < rows; r++) {
            _mm256_storeu_si256((void *)(c + r * NR + h * 16), acc0[r]);
            _mm256_storeu_si256((void *)(c + r * NR + h * 16 + 8), acc1[r]);
        }
    }
}

static TVNNI void kernel_avxvnni(int rows, int k, const uint8_t *a, ptrdiff_t lda, const int8_t *panel, int32_t *c) {
    int r = 0;
    for (; r + 4 <= rows; r += 4) kvnni_body(4, k, a + r * lda, lda, panel, c + r * NR);
    for (; r < rows; r++) kvnni_body(1, k, a + r * lda, lda, panel, c + r * NR);
}

/* AVX2 without VNNI. vpmaddubsw (u8×s8 pairs summed to s16) saturates: 255·127·2 = 64770 >
 * 32767, so it is exact only with 7-bit weights. Instead both operands are widened to s16 and
 * multiplied with vpmaddwd (pairs summed to s32): exact for every u8 × s8 value, bit-identical
 * to the VNNI paths, at about half vpmaddubsw's throughput. Per 4 columns one ymm holds the
 * 16 s16 values B[4q…4q+3, j…j+3]; a 64-bit broadcast of A's 4 values (as s16) meets it, giving
 * two partial sums per column that are added pairwise (vphaddd) at the end. */
INLINE TAVX2 __m256i avx2_bcast_a(int32_t v) {
    return _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(v)));
}

INLINE TAVX2 void kavx2_body(const int rows, int k, const uint8_t *a, ptrdiff_t lda, const int8_t *panel, int32_t *c) {
    for (int h = 0; h < 4; h++) {  /* 8 columns (32 bytes of a block) at a time */
        const int8_t *b = panel + h * 32;
        __m256i acc0[2], acc1[2];
        for (int r = 0; r < rows; r++) { acc0[r] = _mm256_setzero_si256(); acc1[r] = _mm256_setzero_si256(); }
        const int kq = kquads(k);
        for (int q = 0; q < kq; q++, b += BLOCK) {
            const __m256i b0 = _mm256_cvtepi8_epi16(_mm_load_si128((const void *)b));
            const __m256i b1 = _mm256_cvtepi8_epi16(_mm_load_si128((const void *)(b + 16)));
            const int t = k - 4 * q;
            for (int r = 0; r < rows; r++) {
                const uint8_t *ap = a + r * lda + 4 * q;
                const __m256i av = avx2_bcast_a(t >= 4 ? load4(ap) : load_tail(ap, t));
                acc0[r] = _mm256_add_epi32(acc0[r], _mm256_madd_epi16(av, b0));
                acc1[r] = _mm256_add_epi32(acc1[r], _mm256_madd_epi16(av, b1));
            }
        }
        for (int r = 0; r < rows; r++) {
            const __m256i s = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc0[r], acc1[r]), 0xD8);
            _mm256_storeu_si256((void *)(c + r * NR + h * 8), s);
        }
    }
}

static TAVX2 void kernel_avx2(int rows, int k, const uint8_t *a, ptrdiff_t lda, const int8_t *panel, int32_t *c) {
    int r = 0;
    for (; r + 2 <= rows; r += 2) kavx2_body(2, k, a + r * lda, lda, panel, c + r * NR);
    for (; r < rows; r++) kavx2_body(1, k, a + r * lda, lda, panel, c + r * NR);
}
#endif

int cdlrt_qgemm_isa_supported(int isa) {
    switch (isa) {
    case CDLRT_QISA_PORTABLE: return 1;
#ifdef QGEMM_X86
    case CDLRT_QISA_AVX2: return __builtin_cpu_supports("avx2");
    case CDLRT_QISA_AVXVNNI: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avxvnni");
    case CDLRT_QISA_AVX512VNNI:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#endif
    default: return 0;
    }
}

int cdlrt_qgemm_best_isa(void) {
    static int best = -1;  /* idempotent: a race computes the same value */
    if (best < 0) {
        /* The float32 dispatch level (DLRT_ISA lowers it) caps the int8 path too: baseline →
         * portable C, avx2 → at most AVX-VNNI (256-bit), avx512 → any. */
        int level = cdlrt_select_isa();
        int cap = level >= CDLRT_ISA_AVX512 ? CDLRT_QISA_COUNT - 1
                : level >= CDLRT_ISA_AVX2 ? CDLRT_QISA_AVXVNNI : CDLRT_QISA_PORTABLE;
        int b = CDLRT_QISA_PORTABLE;
        for (int isa = cap; isa > 0; isa--)
            if (cdlrt_qgemm_isa_supported(isa)) { b = isa; break; }
        best = b;
    }
    return best;
}

const char *cdlrt_qgemm_isa_name(int isa) {
    static const char *names[] = {"portable", "avx2", "avxvnni", "avx512vnni"};
    return isa >= 0 && isa < CDLRT_QISA_COUNT ? names[isa] : "unknown";
}

static qkernel_fn kernel_for(int isa) {
    if (!cdlrt_qgemm_isa_supported(isa)) return kernel_portable;
    switch (isa) {
#ifdef QGEMM_X86
    case CDLRT_QISA_AVX2: return kernel_avx2;
    case CDLRT_QISA_AVXVNNI: return kernel_avxvnni;
    case CDLRT_QISA_AVX512VNNI: return kernel_avx512vnni;
#endif
    default: return kernel_portable;
    }
}

/* ---- Epilogue: the definition docs/QUANTIZATION.md states. Every path evaluates the same IEEE
 * single-precision expression in the same order (no FMA contraction), so all ISAs agree bit for
 * bit. Relu and Clip are clamps (y < lo ? lo : y, then y > hi ? hi : y). */
static inline float act_slow(const cdlrt_qepilogue *e, float y) {
    switch (e->activation) {
    case CDLRT_QACT_LEAKY: return y < 0 ? y * e->act_alpha : y;
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

/* The tile loops; `fast` activations (none, relu, clip) are clamps to [lo, hi]. The column loop
 * is innermost when output columns are contiguous (Gemm), the row loop when rows are (Conv's
 * channel-major output), so the compiler vectorizes the stores either way. */
#define QEPILOGUE(NAME, ATTR)                                                                          \
static ATTR void NAME(const cdlrt_qepilogue *e, const int32_t *colsum, int i0, int rows, int j0,       \
                      int cols, const int32_t *c) {                                                    \
    const int fast = e->activation == CDLRT_QACT_NONE || e->activation == CDLRT_QACT_RELU              \
        || e->activation == CDLRT_QACT_CLIP;                                                           \
    const float lo = e->activation == CDLRT_QACT_RELU ? 0.0f                                           \
        : e->activation == CDLRT_QACT_CLIP ? e->act_min : -INFINITY;                                   \
    const float hi = e->activation == CDLRT_QACT_CLIP ? e->act_max : INFINITY;                         \
    const float yz = (float)e->y_zero, ys = e->y_scale;                                                \
    float sb[NR], bias[NR];                                                                            \
    uint32_t cs[NR];                                                                                   \
    for (int t = 0; t < NR; t++) {                                                                     \
        sb[t] = t < cols ? e->b_scale[(j0 + t) * e->b_scale_stride] : 0.0f;                            \
        bias[t] = t < cols && e->bias ? e->bias[j0 + t] : 0.0f;                                        \
        cs[t] = t < cols ? (uint32_t)colsum[j0 + t] : 0;                                               \
    }                                                                                                  \
    const int has_bias = e->bias != NULL;                                                              \
    float v[MR * NR];                                                                                  \
    for (int r = 0; r < rows; r++) {                                                                   \
        const uint32_t za = (uint32_t)e->a_zero[(i0 + r) * e->a_zero_stride];                          \
        const float sa = e->a_scale[(i0 + r) * e->a_scale_stride];                                     \
        for (int t = 0; t < NR; t++) {                                                                 \
            float y = (float)(int32_t)((uint32_t)c[r * NR + t] - za * cs[t]) * (sa * sb[t]);           \
            if (has_bias) y = y + bias[t];                                                             \
            if (fast) { y = y < lo ? lo : y; y = y > hi ? hi : y; }                                    \
            v[r * NR + t] = y;                                                                         \
        }                                                                                              \
        if (!fast) for (int t = 0; t < cols; t++) v[r * NR + t] = act_slow(e, v[r * NR + t]);          \
    }                                                                                                  \
    const ptrdiff_t rs = e->y_row_stride, cst = e->y_col_stride;                                       \
    if (e->y_u8) {                                                                                     \
        uint8_t *y = e->y_u8 + (ptrdiff_t)i0 * rs + (ptrdiff_t)j0 * cst;                               \
        if (rs == 1)                                                                                   \
            for (int t = 0; t < cols; t++)                                                             \
                for (int r = 0; r < rows; r++) y[t * cst + r] = requantize(v[r * NR + t], ys, yz);     \
        else                                                                                           \
            for (int r = 0; r < rows; r++)                                                             \
                for (int t = 0; t < cols; t++) y[r * rs + t * cst] = requantize(v[r * NR + t], ys, yz); \
    } else {                                                                                           \
        float *y = e->y_f32 + (ptrdiff_t)i0 * rs + (ptrdiff_t)j0 * cst;                                \
        if (rs == 1)                                                                                   \
            for (int t = 0; t < cols; t++)                                                             \
                for (int r = 0; r < rows; r++) y[t * cst + r] = v[r * NR + t];                         \
        else                                                                                           \
            for (int r = 0; r < rows; r++)                                                             \
                for (int t = 0; t < cols; t++) y[r * rs + t * cst] = v[r * NR + t];                    \
    }                                                                                                  \
}

typedef void (*qepilogue_fn)(const cdlrt_qepilogue *, const int32_t *, int, int, int, int, const int32_t *);
QEPILOGUE(epilogue_portable, )
#ifdef QGEMM_X86
QEPILOGUE(epilogue_avx2_rows, TAVX2)
QEPILOGUE(epilogue_avx512_rows, __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"))))

/* Conv's layout (rows = output pixels contiguous in y, columns = channels HW apart), full
 * 8-row tiles, Relu / Clip / none: 8 × 8 blocks are computed row-wise (contiguous accumulators),
 * transposed in registers and written as 8 consecutive pixels per channel (floats or u8). The
 * same IEEE operations in the same order as the scalar definition. */
static inline TAVX2 void transpose8(__m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20); r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20); r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31); r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31); r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

static TAVX2 void epilogue_columns_avx2(const cdlrt_qepilogue *e, const int32_t *colsum, int i0, int j0, int cols,
                                        const int32_t *c) {
    const float lo = e->activation == CDLRT_QACT_RELU ? 0.0f : e->activation == CDLRT_QACT_CLIP ? e->act_min : -INFINITY;
    const float hi = e->activation == CDLRT_QACT_CLIP ? e->act_max : INFINITY;
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    const __m256i za = _mm256_set1_epi32(e->a_zero[0]);
    const __m256 sa = _mm256_set1_ps(e->a_scale[0]);
    const __m256 ys = _mm256_set1_ps(e->y_scale), yz = _mm256_set1_ps((float)e->y_zero), top = _mm256_set1_ps(255);
    float sb_[NR], bias_[NR];
    int32_t cs_[NR];
    const float *sb = sb_, *bias = bias_;
    const int32_t *cs = cs_;
    if (cols == NR && e->b_scale_stride == 1) {  /* a whole panel: read the parameters in place */
        sb = e->b_scale + j0;
        bias = e->bias ? e->bias + j0 : sb;  /* (not added without a bias) */
        cs = colsum + j0;
    } else {
        for (int t = 0; t < NR; t++) {
            sb_[t] = t < cols ? e->b_scale[(j0 + t) * e->b_scale_stride] : 0.0f;
            bias_[t] = t < cols && e->bias ? e->bias[j0 + t] : 0.0f;
            cs_[t] = t < cols ? colsum[j0 + t] : 0;
        }
    }
    for (int t0 = 0; t0 < cols; t0 += 8) {
        const __m256 scale = _mm256_mul_ps(sa, _mm256_loadu_ps(sb + t0));
        const __m256 b = _mm256_loadu_ps(bias + t0);
        const __m256i corr = _mm256_mullo_epi32(za, _mm256_loadu_si256((const __m256i *)(cs + t0)));
        __m256 v[8];
        for (int r = 0; r < 8; r++) {
            const __m256i acc = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(c + r * NR + t0)), corr);
            __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), scale);
            if (e->bias) y = _mm256_add_ps(y, b);
            y = _mm256_blendv_ps(y, vlo, _mm256_cmp_ps(y, vlo, _CMP_LT_OQ));
            v[r] = _mm256_blendv_ps(y, vhi, _mm256_cmp_ps(y, vhi, _CMP_GT_OQ));
        }
        transpose8(v);
        const int n = cols - t0 < 8 ? cols - t0 : 8;
        for (int t = 0; t < n; t++) {
            const ptrdiff_t at = (ptrdiff_t)(j0 + t0 + t) * e->y_col_stride + i0;
            if (e->y_u8) {
                __m256 q = _mm256_add_ps(_mm256_round_ps(_mm256_div_ps(v[t], ys), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), yz);
                q = _mm256_min_ps(_mm256_max_ps(q, _mm256_setzero_ps()), top);
                q = _mm256_blendv_ps(yz, q, _mm256_cmp_ps(v[t], v[t], _CMP_ORD_Q));  /* NaN → the zero point */
                const __m256i i32 = _mm256_cvtps_epi32(q);
                const __m128i p16 = _mm_packus_epi32(_mm256_castsi256_si128(i32), _mm256_extracti128_si256(i32, 1));
                _mm_storel_epi64((__m128i *)(e->y_u8 + at), _mm_packus_epi16(p16, p16));
            } else {
                _mm256_storeu_ps(e->y_f32 + at, v[t]);
            }
        }
    }
}

static int columns_path(const cdlrt_qepilogue *e, int rows) {
    return rows == MR && e->y_row_stride == 1 && e->a_zero_stride == 0 && e->a_scale_stride == 0
        && (e->activation == CDLRT_QACT_NONE || e->activation == CDLRT_QACT_RELU || e->activation == CDLRT_QACT_CLIP);
}

static TAVX2 void epilogue_avx2(const cdlrt_qepilogue *e, const int32_t *colsum, int i0, int rows, int j0, int cols,
                                const int32_t *c) {
    if (columns_path(e, rows)) epilogue_columns_avx2(e, colsum, i0, j0, cols, c);
    else epilogue_avx2_rows(e, colsum, i0, rows, j0, cols, c);
}

static __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"))) void epilogue_avx512(
    const cdlrt_qepilogue *e, const int32_t *colsum, int i0, int rows, int j0, int cols, const int32_t *c) {
    if (columns_path(e, rows)) epilogue_columns_avx2(e, colsum, i0, j0, cols, c);
    else if (cdlrt_qepilogue_rows_applies(e)) cdlrt_qepilogue_rows_avx512(e, colsum, i0, rows, j0, cols, c);
    else epilogue_avx512_rows(e, colsum, i0, rows, j0, cols, c);
}
#endif

static qepilogue_fn epilogue_for(int isa) {
    if (!cdlrt_qgemm_isa_supported(isa)) return epilogue_portable;
#ifdef QGEMM_X86
    if (isa == CDLRT_QISA_AVX512VNNI) return epilogue_avx512;
    if (isa == CDLRT_QISA_AVX2 || isa == CDLRT_QISA_AVXVNNI) return epilogue_avx2;
#endif
    return epilogue_portable;
}

cdlrt_qepilogue_fn cdlrt_qgemm_epilogue_for(int isa) { return epilogue_for(isa); }
const int8_t *cdlrt_qgemm_panel_at(const void *packed, int n, int k, int p) { return panel_at(packed, n, k, p); }

void cdlrt_qgemm(int isa, int row_begin, int row_end, int panel_begin, int panel_end, int n, int k,
                 const uint8_t *a, ptrdiff_t lda, const void *packed_b, const cdlrt_qepilogue *e) {
    if (panel_end > panels(n)) panel_end = panels(n);
    if (row_end <= row_begin || n <= 0 || panel_begin < 0 || panel_end <= panel_begin) return;
    const qkernel_fn kern = kernel_for(isa);
    const qepilogue_fn epilogue_tile = epilogue_for(isa);
    const int32_t *colsum = (const int32_t *)packed_b;
    int32_t tile[MR * NR] __attribute__((aligned(64)));
    /* Blocks of rows whose A bytes (~64 KiB) stay in cache while every panel passes over them. */
    int block = (65536 / (k > 0 ? k : 1)) / MR * MR;
    block = block < MR ? MR : block > 512 ? 512 : block;
    for (int i0 = row_begin; i0 < row_end; i0 += block) {
        const int i1 = row_end - i0 < block ? row_end : i0 + block;
        for (int p = panel_begin; p < panel_end; p++) {
            const int cols = n - p * NR < NR ? n - p * NR : NR;
            const int8_t *panel = panel_at(packed_b, n, k, p);
            for (int i = i0; i < i1; i += MR) {
                const int rows = i1 - i < MR ? i1 - i : MR;
                if (k > 0) kern(rows, k, a + (ptrdiff_t)i * lda, lda, panel, tile);
                else memset(tile, 0, sizeof tile);
                epilogue_tile(e, colsum, i, rows, p * NR, cols, tile);
            }
        }
    }
}

void cdlrt_qgemm_raw(int isa, int m, int n, int k, const uint8_t *a, ptrdiff_t lda, const void *packed_b,
                     int32_t *c, ptrdiff_t ldc) {
    const qkernel_fn kern = kernel_for(isa);
    int32_t tile[MR * NR] __attribute__((aligned(64)));
    for (int i = 0; i < m; i += MR) {
        const int rows = m - i < MR ? m - i : MR;
        for (int p = 0; p < panels(n); p++) {
            const int cols = n - p * NR < NR ? n - p * NR : NR;
            if (k > 0) kern(rows, k, a + (ptrdiff_t)i * lda, lda, panel_at(packed_b, n, k, p), tile);
            else memset(tile, 0, sizeof tile);
            for (int r = 0; r < rows; r++)
                for (int t = 0; t < cols; t++) c[(ptrdiff_t)(i + r) * ldc + p * NR + t] = tile[r * NR + t];
        }
    }
}

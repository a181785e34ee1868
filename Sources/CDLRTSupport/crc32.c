/* The bulk of zlib's CRC-32 (reflected polynomial 0xEDB88320) with carry-less multiplication
 * (PCLMULQDQ), for the .dlrt reader's section checksums: zlib 1.2.13's table code runs at about
 * 1 GB/s here, so checking an 86 MB model took ~30 % of its load time.
 *
 * Method (Gopal et al., "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ", Intel
 * 2009): four 128-bit accumulators fold 64 bytes per step (x_new = lo(x)·k1 ⊕ hi(x)·k2 ⊕ data,
 * k1 = x^(512+32) mod P, k2 = x^(512-32) mod P, bit-reflected), then fold into one (k3, k4 for a
 * 128-bit distance) and 16-byte blocks. The result is the 16-byte remainder S, congruent to the
 * consumed bytes with the initial register XORed into their first four: the caller finishes with
 * crc32(crc32(0xFFFFFFFF, S, 16), rest) (zlib conventions), so no Barrett reduction is needed here.
 * Checked against zlib on every length 0…4096 and misaligned starts (Tests/DLRTModelTests). */
#include "CDLRTSupport.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

__attribute__((target("pclmul,sse2")))
static size_t crc32_fold_pclmul(unsigned int crc, const unsigned char *p, size_t n, unsigned char state[16]) {
    const __m128i k12 = _mm_set_epi64x(0x1c6e41596LL, 0x154442bd4LL);   /* hi: k2, lo: k1 */
    const __m128i k34 = _mm_set_epi64x(0x0ccaa009eLL, 0x1751997d0LL);   /* hi: k4, lo: k3 */
    __m128i x0 = _mm_loadu_si128((const __m128i *)p);
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
    x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)~crc));   /* the initial register (zlib: ~crc) */
    size_t i = 64;
#define DLRT_FOLD(x, k, d) _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), \
                                                      _mm_clmulepi64_si128(x, k, 0x11)), d)
    while (i + 64 <= n) {
        x0 = DLRT_FOLD(x0, k12, _mm_loadu_si128((const __m128i *)(p + i)));
        x1 = DLRT_FOLD(x1, k12, _mm_loadu_si128((const __m128i *)(p + i + 16)));
        x2 = DLRT_FOLD(x2, k12, _mm_loadu_si128((const __m128i *)(p + i + 32)));
        x3 = DLRT_FOLD(x3, k12, _mm_loadu_si128((const __m128i *)(p + i + 48)));
        i += 64;
    }
    __m128i x = DLRT_FOLD(x0, k34, x1);
    x = DLRT_FOLD(x, k34, x2);
    x = DLRT_FOLD(x, k34, x3);
    while (i + 16 <= n) {
        x = DLRT_FOLD(x, k34, _mm_loadu_si128((const __m128i *)(p + i)));
        i += 16;
    }
#undef DLRT_FOLD
    _mm_storeu_si128((__m128i *)state, x);
    return i;
}
#endif

size_t cdlrt_crc32_fold(unsigned int crc, const unsigned char *p, size_t n, unsigned char state[16]) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (p != NULL && n >= 64 && __builtin_cpu_supports("pclmul"))
        return crc32_fold_pclmul(crc, p, n, state);
#endif
    (void)crc; (void)p; (void)n;
    memset(state, 0, 16);
    return 0;
}

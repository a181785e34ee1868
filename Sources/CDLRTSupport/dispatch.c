/* Runtime CPU dispatch: which float32 kernel table (ISA level) libdlrt uses.
 * Built without -m flags: __builtin_cpu_supports reads CPUID (and the OS's XSAVE state) itself. */
#include "CDLRTSupport.h"
#include <stdlib.h>
#include <string.h>

int cdlrt_cpu_isa_level(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return CDLRT_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return CDLRT_ISA_AVX2;
#endif
    return CDLRT_ISA_BASELINE;
}

int cdlrt_isa_from_name(const char *name) {
    if (!name) return -1;
    if (strcmp(name, "avx512") == 0) return CDLRT_ISA_AVX512;
    if (strcmp(name, "avx2") == 0) return CDLRT_ISA_AVX2;
    if (strcmp(name, "baseline") == 0) return CDLRT_ISA_BASELINE;
    return -1;
}

int cdlrt_select_isa(void) {
    int level = cdlrt_cpu_isa_level();
    int forced = cdlrt_isa_from_name(getenv("DLRT_ISA"));
    /* DLRT_ISA only lowers the level: asking for more than the CPU has would be SIGILL. */
    return forced >= 0 && forced < level ? forced : level;
}

const char *cdlrt_isa_name(int level) {
    switch (level) {
    case CDLRT_ISA_AVX512: return "avx512";
    case CDLRT_ISA_AVX2: return "avx2";
    default: return "baseline";
    }
}

#include "CDLRTSupport.h"
#include <string.h>

static __thread char last_error[2048];

void cdlrt_set_error(const char *message) {
    if (!message) { last_error[0] = 0; return; }
    size_t n = strlen(message);
    if (n >= sizeof last_error) n = sizeof last_error - 1;
    memcpy(last_error, message, n);
    last_error[n] = 0;
}

const char *cdlrt_last_error(void) { return last_error; }

void cdlrt_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* The CHECK macro shared by the C API tests: counts checks, reports a failure with file, line
 * and a printf-style message, and goes on (main returns non-zero if `failures` > 0). */
#ifndef DLRT_TEST_CHECK_H
#define DLRT_TEST_CHECK_H
#include <stdio.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                  \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
        }                                                                                          \
    } while (0)

#endif

/* dlrt_isa(): prints the kernel ISA the library chose; with an argument, fails unless it is that. */
#include <stdio.h>
#include <string.h>

#include "dlrt.h"

int main(int argc, char **argv) {
    const char *isa = dlrt_isa();
    if (!isa || (strcmp(isa, "avx512") != 0 && strcmp(isa, "avx2") != 0 && strcmp(isa, "baseline") != 0)) {
        fprintf(stderr, "dlrt_isa() returned %s\n", isa ? isa : "NULL");
        return 1;
    }
    if (dlrt_isa() != isa) {
        fprintf(stderr, "dlrt_isa() changed between calls\n");
        return 1;
    }
    printf("%s\n", isa);
    if (argc > 1 && strcmp(argv[1], isa) != 0) {
        fprintf(stderr, "dlrt_isa() = %s, expected %s\n", isa, argv[1]);
        return 1;
    }
    return 0;
}

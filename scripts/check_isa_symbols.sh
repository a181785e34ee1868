#!/usr/bin/env bash
# Checks the per-ISA kernel modules share no code through the linker (docs/ARCHITECTURE.md,
# "Kernels and CPU dispatch"). A weak (W/V) or unique (u) definition that another module can also
# emit — a specialized generic stdlib function, a value witness or `__swift_memcpy` helper of a
# type from another module — is merged by the linker, which keeps one copy: a baseline caller could
# land in AVX-512 code. Weak definitions whose mangled name starts with the module's own name
# (`$s17DLRTKernelsAVX512…`: specializations of the module's own functions) cannot collide, and
# `__swift_reflection_version` is a constant; anything else in an ISA module fails the check.
# Then checks that the portable modules contain no AVX instruction and no per-lane `fmaf` call
# (SIMD addProduct compiled without a target CPU), and that libdlrt.so links each ISA module's kernels.
#   scripts/check_isa_symbols.sh [BUILD_DIR]   (default .build/release)
set -euo pipefail
build=${1:-.build/release}
status=0
for m in DLRTKernelsAVX512 DLRTKernelsAVX2 DLRTKernelsBaseline; do
    objs=$(find "$build/$m.build" -name '*.o' 2>/dev/null | sort)
    if [ -z "$objs" ]; then echo "FAIL $m: no object files under $build/$m.build"; status=1; continue; fi
    own="\$s${#m}${m}"
    all_weak=$(nm $objs | grep -E ' [WVu] ' | awk '{print $3}' | sort -u)
    foreign=$(echo "$all_weak" | grep -v -F -e "$own" -e __swift_reflection_version | grep -v '^$' || true)
    if [ -n "$foreign" ]; then
        echo "FAIL $m: weak/unique definitions another module can also define (the linker keeps one copy):"
        echo "$foreign" | head -20
        status=1
    else
        echo "ok   $m: $(echo "$all_weak" | grep -c -F "$own" || true) weak symbols, all mangled with the module's own name"
    fi
done
# Code that runs before or around dispatch must not use AVX (VEX/EVEX-encoded `v…` instructions).
# The int8 kernels (CDLRTSupport/qgemm*.c, qrecurrent.c) are the exception: each AVX2/VNNI function carries its
# own __attribute__((target(...))) and is only called after __builtin_cpu_supports chose it (the
# file has no global -m flag, so everything else in it is baseline code).
for m in DLRTKernelsCore DLRTKernels DLRTRuntime DLRT DLRTModel CDLRTSupport DLRTKernelsBaseline; do
    # mbv2/qrec: the depthwise and recurrent int8 kernels (qdepthwise.c, fdepthwise.c, qrecurrent.c) are built the same way as qgemm*.c.
    objs=$(find "$build/$m.build" -name '*.o' ! -name 'qgemm*.o' ! -name 'qdepthwise*.o' ! -name 'fdepthwise*.o' ! -name 'qrecurrent*.o' 2>/dev/null | sort)
    [ -z "$objs" ] && continue
    dis=$(objdump -d --no-show-raw-insn $objs)
    n=$(echo "$dis" | grep -cE '^\s+[0-9a-f]+:\s+v[a-z0-9]+\s' || true)
    # Without a target CPU, SIMD `addProduct` / `addingProduct` become a libm fmaf call per lane
    # (~100x slower): such code belongs in an ISA module (or use a*b+c).
    f=$(nm -u $objs | grep -cwE 'fmaf|fma' || true)
    if [ "$n" != 0 ]; then echo "FAIL $m: $n AVX instructions in a module without a target CPU"; status=1
    elif [ "$f" != 0 ]; then
        echo "FAIL $m: calls fmaf (addProduct/addingProduct outside the ISA modules), in:"
        objdump -dr --no-show-raw-insn $objs | awk '/^[0-9a-f]+ <.*>:$/ {fn=$2} /R_X86_64_PLT32[[:space:]]+fmaf?-/ {print "  " fn}' | sort -u | head
        status=1
    else echo "ok   $m: no AVX instructions, no fmaf calls"; fi
done
if [ -f "$build/libdlrt.so" ]; then
    for m in DLRTKernelsAVX512 DLRTKernelsAVX2 DLRTKernelsBaseline; do
        n=$(nm "$build/libdlrt.so" | grep -c "${#m}${m}" || true)
        if [ "$n" -lt 10 ]; then echo "FAIL libdlrt.so: only $n symbols of $m"; status=1
        else echo "ok   libdlrt.so: $n symbols of $m"; fi
    done
fi
exit $status

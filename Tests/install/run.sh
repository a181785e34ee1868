#!/usr/bin/env bash
# Installs dlrt into a temporary PREFIX and uses it the way a C/C++ project on another machine
# would: pkg-config and CMake builds out of tree, programs run with no Swift toolchain anywhere in
# their environment, the ELF files checked for toolchain paths. Also the control-loop example
# (2,000 steps at 1 kHz, no heap allocation after warm-up) built against the installed library.
#
# usage: Tests/install/run.sh        (from the repository root, after `make build`; make test-install)
# Env:   KEEP=1 keeps the temporary directory; STEPS=N control-loop steps (default 2000).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv/bin/python}
STEPS=${STEPS:-2000}
WORK=$(mktemp -d /tmp/dlrt-install-test.XXXXXX)
PREFIX=$WORK/prefix
[ -n "${KEEP:-}" ] && echo "work dir: $WORK" || trap 'rm -rf "$WORK"' EXIT
# Programs run with only the system's directories: no /opt/swift, no .build, no toolchain.
CLEAN_ENV=(env -i PATH=/usr/bin:/bin HOME="$WORK" LD_LIBRARY_PATH="$PREFIX/lib")
SYSTEM_LIBS=" libc.so.6 libm.so.6 libz.so.1 libstdc++.so.6 libgcc_s.so.1 ld-linux-x86-64.so.2 ld-linux-aarch64.so.1 libpthread.so.0 libdl.so.2 librt.so.1 "

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' <<<"$2"; }
check() { # check NAME COMMAND...  (passes if the command succeeds; shows its output if not)
    local name=$1; shift
    local out
    if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}

version=$(sed -n 's/.*libraryVersion: StaticString = "\([0-9.]*\)".*/\1/p' Sources/DLRT/CAPI.swift)
major=${version%%.*}

# ---- make install ----------------------------------------------------------------------------
t0=$SECONDS
if out=$(make --no-print-directory -s install PREFIX="$PREFIX" 2>&1); then
    ok "make install PREFIX=$PREFIX ($((SECONDS - t0)) s)"
else
    bad "make install" "$out"
    echo "$passed passed, $failed failed"
    exit 1
fi

check "layout: lib/libdlrt.so.$version, include/dlrt.h, pkgconfig, cmake, bin/dlrt" \
    test -f "$PREFIX/lib/libdlrt.so.$version" -a -f "$PREFIX/include/dlrt.h" -a -f "$PREFIX/lib/pkgconfig/dlrt.pc" \
         -a -f "$PREFIX/lib/cmake/dlrt/dlrtConfig.cmake" -a -f "$PREFIX/lib/cmake/dlrt/dlrtConfigVersion.cmake" \
         -a -x "$PREFIX/bin/dlrt"
check "symlinks: libdlrt.so -> libdlrt.so.$major -> libdlrt.so.$version" \
    test "$(readlink "$PREFIX/lib/libdlrt.so")" = "libdlrt.so.$major" -a \
         "$(readlink "$PREFIX/lib/libdlrt.so.$major")" = "libdlrt.so.$version"
check "installed header is include/dlrt.h" cmp include/dlrt.h "$PREFIX/include/dlrt.h"

# ---- ELF checks ------------------------------------------------------------------------------
elf_check() { # elf_check FILE: no RPATH/RUNPATH into the toolchain, NEEDED only system libraries
    local f=$1 dyn needed lib
    dyn=$(readelf -d "$f") || return 1
    if grep -E '\((RPATH|RUNPATH)\)' <<<"$dyn" | grep -vE '\[\$ORIGIN\]$'; then
        echo "$f has a RUNPATH/RPATH other than \$ORIGIN"; return 1
    fi
    needed=$(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' <<<"$dyn")
    for lib in $needed; do
        [[ "$SYSTEM_LIBS" == *" $lib "* ]] || { echo "$f needs $lib (not a system library)"; return 1; }
    done
    echo "$f: NEEDED" $needed
}
soname=$(readelf -d "$PREFIX/lib/libdlrt.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
check "soname is libdlrt.so.$major (found $soname)" test "$soname" = "libdlrt.so.$major"
check "libdlrt.so: no toolchain RUNPATH, NEEDED only system libraries" elf_check "$PREFIX/lib/libdlrt.so.$version"
check "bin/dlrt: no toolchain RUNPATH, NEEDED only system libraries" elf_check "$PREFIX/bin/dlrt"
exports=$(nm -D --defined-only "$PREFIX/lib/libdlrt.so.$version" | awk '$2 ~ /^[TDBRVW]$/ {print $3}')
check "exported symbols are only dlrt_* ($(wc -w <<<"$exports") of them)" \
    bash -c '! grep -v "^dlrt_" <<<"$1"' _ "$exports"
check "header functions are all exported" bash -c '
    for f in $(grep -oE "\bdlrt_[a-z_]+\(" include/dlrt.h | tr -d "(" | sort -u); do
        grep -qx "$f" <<<"$1" || { echo "missing: $f"; exit 1; }
    done' _ "$exports"
check "ldd: no toolchain library resolved" bash -c \
    '! "${@:2}" ldd "$1" | grep -E "/opt/swift|not found|swift"' _ "$PREFIX/lib/libdlrt.so.$version" "${CLEAN_ENV[@]}"

# ---- the installed CLI, with no toolchain ------------------------------------------------------
check "bin/dlrt convert digits_cnn.onnx (clean environment)" \
    "${CLEAN_ENV[@]}" "$PREFIX/bin/dlrt" convert "$ROOT/examples/digits/digits_cnn.onnx" -o "$WORK/digits.dlrt"
check "bin/dlrt inspect" bash -c '"${@:2}" "$1" inspect "$0" | grep -q "probabilities"' "$WORK/digits.dlrt" \
    "$PREFIX/bin/dlrt" "${CLEAN_ENV[@]}"

# ---- pkg-config, out of tree -----------------------------------------------------------------
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
check "pkg-config --modversion dlrt = $version" test "$(pkg-config --modversion dlrt)" = "$version"
mkdir -p "$WORK/app"
cp examples/c/classify.c "$WORK/app/"
# shellcheck disable=SC2046
check "gcc classify.c \$(pkg-config --cflags --libs dlrt) (out of tree)" \
    bash -c 'cd "$1" && gcc -std=c99 -Wall -Wextra -Werror -O2 classify.c -o classify $(pkg-config --cflags --libs dlrt)' _ "$WORK/app"
check "classify NEEDED libdlrt.so.$major" bash -c 'readelf -d "$1" | grep -q "NEEDED.*\[libdlrt.so.$2\]"' _ \
    "$WORK/app/classify" "$major"
"$PY" examples/c/export_digits.py examples/digits/digits_test.npz "$WORK/digits_test.bin"
if out=$("${CLEAN_ENV[@]}" "$WORK/app/classify" "$WORK/digits.dlrt" "$WORK/digits_test.bin" 2>&1); then
    acc=$(sed -n 's/.*test accuracy \([0-9.]*\)%.*/\1/p' <<<"$out")
    if [ -n "$acc" ] && awk -v a="$acc" 'BEGIN { exit !(a >= 90) }'; then
        ok "classify (env -i, LD_LIBRARY_PATH=\$PREFIX/lib): accuracy $acc%"
    else
        bad "classify accuracy >= 90% (found '${acc}')" "$out"
    fi
else
    bad "classify runs in a clean environment" "$out"
fi
check "classify resolves libdlrt.so.$major from \$PREFIX/lib" bash -c \
    '"${@:3}" ldd "$1" | grep -q "libdlrt.so.$2 => $0/lib/"' "$PREFIX" "$WORK/app/classify" "$major" "${CLEAN_ENV[@]}"

# ---- CMake, out of tree (only when cmake is installed) -----------------------------------------
if command -v cmake >/dev/null; then
    if out=$(cmake -S examples/c -B "$WORK/cmake-build" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=Release 2>&1 &&
             cmake --build "$WORK/cmake-build" 2>&1); then
        ok "cmake find_package(dlrt 0.1) + dlrt::dlrt builds classify"
        check "cmake-built classify runs (clean environment)" bash -c \
            '"${@:3}" "$0" "$1" "$2" | grep -q "test accuracy"' "$WORK/cmake-build/classify" "$WORK/digits.dlrt" \
            "$WORK/digits_test.bin" "${CLEAN_ENV[@]}"
    else
        bad "cmake find_package(dlrt)" "$out"
    fi
    check "cmake rejects find_package(dlrt 1.0)" bash -c '
        mkdir -p "$1/cm2" && printf "cmake_minimum_required(VERSION 3.13)\nproject(p C)\nfind_package(dlrt 1.0 REQUIRED)\n" > "$1/cm2/CMakeLists.txt" &&
        ! cmake -S "$1/cm2" -B "$1/cm2/b" -DCMAKE_PREFIX_PATH="$2" >/dev/null 2>&1' _ "$WORK" "$PREFIX"
else
    echo "skip cmake checks (cmake not installed: apt-get install cmake)"
fi

# ---- the control loop against the installed library ----------------------------------------------
mkdir -p "$WORK/loop"
check "make_policy.py writes the 24-256-256-6 ONNX policy" "$PY" examples/control_loop/make_policy.py "$WORK/loop/policy.onnx"
check "bin/dlrt converts the policy" "${CLEAN_ENV[@]}" "$PREFIX/bin/dlrt" convert "$WORK/loop/policy.onnx" -o "$WORK/loop/policy.dlrt"
check "gcc control_loop.c \$(pkg-config --cflags --libs dlrt)" bash -c \
    'gcc -std=c99 -Wall -Wextra -Werror -O2 "$1" -o "$2" $(pkg-config --cflags --libs dlrt)' _ \
    examples/control_loop/control_loop.c "$WORK/loop/control_loop"
if out=$("${CLEAN_ENV[@]}" "$WORK/loop/control_loop" "$WORK/loop/policy.dlrt" --steps "$STEPS" 2>&1); then
    allocs=$(sed -n 's/^heap allocations in the loop after warm-up: \([0-9]*\).*/\1/p' <<<"$out")
    lat=$(sed -n 's/^  inference latency: *//p' <<<"$out")
    if [ "$allocs" = 0 ]; then ok "control loop: $STEPS steps at 1 kHz, 0 heap allocations, inference $lat"
    else bad "control loop: 0 heap allocations after warm-up" "$out"; fi
else
    bad "control loop runs" "$out"
fi

# ---- make uninstall --------------------------------------------------------------------------
check "make uninstall removes every installed file" bash -c '
    make --no-print-directory -s uninstall PREFIX="$1" >/dev/null &&
    test -z "$(find "$1" -type f -o -type l)"' _ "$PREFIX"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

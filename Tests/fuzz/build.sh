#!/usr/bin/env bash
# Builds the libFuzzer targets without SwiftPM: each Swift module is compiled directly with
# swiftc into a static library (+ .swiftmodule), instrumented with -sanitize=fuzzer,address; the C
# modules are compiled with clang -fsanitize=fuzzer-no-link,address and exposed to Swift through
# module maps generated here. Output: $OUT_DIR/fuzz_dlrt and $OUT_DIR/fuzz_onnx.
#
#   Tests/fuzz/build.sh                # from the working tree
#   FUZZ_FROM_HEAD=1 Tests/fuzz/build.sh   # from the committed sources (git archive HEAD)
#
# Rebuilds a module only when one of its sources (or a dependency) is newer than its library.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT_DIR="${FUZZ_BUILD:-$ROOT/.build-fuzz}"
SWIFTC="${SWIFTC:-swiftc}"
CLANG="${CLANG:-$(dirname "$(command -v "$SWIFTC")")/clang}"
[ -x "$CLANG" ] || CLANG=clang
mkdir -p "$OUT_DIR/lib" "$OUT_DIR/modules"

SRC="$ROOT"
if [ "${FUZZ_FROM_HEAD:-0}" = 1 ]; then
    SRC="$OUT_DIR/src"
    rm -rf "$SRC" && mkdir -p "$SRC"
    (cd "$ROOT" && git archive HEAD Sources include Tests/fuzz) | tar -x -C "$SRC"
fi
S="$SRC/Sources"
LIB="$OUT_DIR/lib"
SAN_SWIFT=(-sanitize=fuzzer,address)
SAN_C=(-fsanitize=fuzzer-no-link,address)
LEAN=(-Xfrontend -disable-implicit-concurrency-module-import -Xfrontend -disable-implicit-string-processing-module-import)

# newer_than OUTPUT INPUT... : true if OUTPUT is missing or older than any input
newer_than() {
    local out="$1"; shift
    [ -e "$out" ] || return 0
    [ -n "$(find "$@" -newer "$out" -print -quit 2>/dev/null)" ]
}

# ---- C modules ---------------------------------------------------------------------------
cat > "$OUT_DIR/modules/module.modulemap" <<MAP
module CZlib [system] { header "$S/CZlib/shim.h" link "z" export * }
module CProtobufC [system] { header "$S/CProtobufC/shim.h" link "protobuf-c" export * }
module CDLRTSupport { header "$S/CDLRTSupport/include/CDLRTSupport.h" export * }
module COnnx { header "$S/COnnx/include/onnx.pb-c.h" export * }
MAP
build_c() {  # name files...
    local name="$1"; shift
    local lib="$LIB/lib$name.a"
    if newer_than "$lib" "$@" "$S/$name"; then
        echo "  CC  $name"
        local objs=()
        for f in "$@"; do
            local o="$OUT_DIR/lib/$name-$(basename "$f" .c).o"
            "$CLANG" -O1 -g "${SAN_C[@]}" -I "$S/$name/include" -c "$f" -o "$o"
            objs+=("$o")
        done
        rm -f "$lib" && ar rcs "$lib" "${objs[@]}"
    fi
}
build_c CDLRTSupport "$S"/CDLRTSupport/*.c
build_c COnnx "$S/COnnx/onnx.pb-c.c"

# ---- Swift modules -----------------------------------------------------------------------
build_swift() {  # name "deps" extra-flags...
    local name="$1" deps="$2"; shift 2
    local lib="$LIB/lib$name.a"
    local depfiles=()
    for d in $deps; do depfiles+=("$LIB/lib$d.a"); done
    if newer_than "$lib" "$S/$name" "${depfiles[@]}" "$0"; then
        echo "  SWIFT $name"
        mapfile -t files < <(find "$S/$name" -name '*.swift' | sort)
        "$SWIFTC" -module-name "$name" -parse-as-library -emit-library -static -emit-module \
            -O -g "${SAN_SWIFT[@]}" "${LEAN[@]}" -I "$LIB" -I "$OUT_DIR/modules" \
            -Xcc -fmodule-map-file="$OUT_DIR/modules/module.modulemap" \
            -emit-module-path "$LIB/$name.swiftmodule" -o "$lib" "$@" "${files[@]}"
    fi
}
build_swift DLRTModel "CDLRTSupport"
# The kernel modules as Package.swift builds them: the per-ISA modules (shared sources through
# symlinks) with their own target CPU, everything else portable.
build_swift DLRTKernelsCore "DLRTModel"
build_swift DLRTKernelsAVX512 "DLRTKernelsCore" -target-cpu skylake-avx512
build_swift DLRTKernelsAVX2 "DLRTKernelsCore" -target-cpu haswell
build_swift DLRTKernelsBaseline "DLRTKernelsCore"
build_swift DLRTKernels "DLRTModel DLRTKernelsCore DLRTKernelsAVX512 DLRTKernelsAVX2 DLRTKernelsBaseline CDLRTSupport"
build_swift DLRTRuntime "DLRTModel DLRTKernels DLRTKernelsCore CDLRTSupport"
build_swift DLRTONNX "DLRTModel COnnx"

# ---- Fuzz targets ------------------------------------------------------------------------
link_target() {  # name libs...
    local name="$1"; shift
    local exe="$OUT_DIR/$name"
    local libs=()
    for d in "$@"; do libs+=("$LIB/lib$d.a"); done
    if newer_than "$exe" "$SRC/Tests/fuzz/$name.swift" "${libs[@]}"; then
        echo "  LINK $name"
        "$SWIFTC" -module-name "${name}_main" -parse-as-library -O -g "${SAN_SWIFT[@]}" "${LEAN[@]}" \
            -I "$LIB" -I "$OUT_DIR/modules" -Xcc -fmodule-map-file="$OUT_DIR/modules/module.modulemap" \
            "$SRC/Tests/fuzz/$name.swift" "${libs[@]}" -use-ld=lld -lz -lprotobuf-c -lm -o "$exe"
    fi
}
link_target fuzz_dlrt DLRTRuntime DLRTKernels DLRTKernelsAVX512 DLRTKernelsAVX2 DLRTKernelsBaseline DLRTKernelsCore \
    DLRTModel CDLRTSupport
link_target fuzz_onnx DLRTONNX DLRTModel COnnx CDLRTSupport
echo "fuzz targets in $OUT_DIR: fuzz_dlrt fuzz_onnx"

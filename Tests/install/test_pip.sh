#!/usr/bin/env bash
# `pip install ./bindings/python` into a clean venv (only numpy from PyPI besides the package),
# then use the installed package from /tmp with no environment variables: import, version,
# the bundled library and CLI, python -m dlrt, dlrt.convert, the digits model, the batch example.
#
# usage: Tests/install/test_pip.sh   (repository root, after `make dist`; make test-install runs it)
# Env:   KEEP=1 keeps the temporary directory; PYTHON=python3 the interpreter for the venv.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d /tmp/dlrt-pip-test.XXXXXX)
VENV=$WORK/venv
[ -n "${KEEP:-}" ] && echo "work dir: $WORK" || trap 'rm -rf "$WORK"' EXIT
# The installed package must work without DLRT_LIBRARY/DLRT_CLI, the toolchain or the checkout.
CLEAN=(env -i PATH=/usr/bin:/bin HOME="$WORK")
VPY=$VENV/bin/python

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' <<<"$2"; }
check() {
    local name=$1; shift
    local out
    if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }

version=$(sed -n 's/.*libraryVersion: StaticString = "\([0-9.]*\)".*/\1/p' Sources/DLRT/CAPI.swift)

t0=$SECONDS
if out=$("$PYTHON" -m venv "$VENV" 2>&1 && "$VPY" -m pip install -q --disable-pip-version-check numpy 2>&1); then
    ok "clean venv + numpy from PyPI ($((SECONDS - t0)) s)"
else
    bad "clean venv with numpy" "$out"; finish
fi

t0=$SECONDS
# Build from a copy so the in-tree build directories (build/, *.egg-info) never land in the
# checkout; DLRT_DIST_DIR tells setup.py where the library and CLI are (make dist).
cp -r bindings/python "$WORK/src"
rm -rf "$WORK/src/build" "$WORK/src"/*.egg-info
if out=$(cd "$WORK" && env DLRT_DIST_DIR="$ROOT/out/dist" "$VPY" -m pip install -q --disable-pip-version-check "$WORK/src" 2>&1); then
    ok "pip install ./bindings/python ($((SECONDS - t0)) s)"
else
    bad "pip install ./bindings/python" "$out"; finish
fi
SITE=$("$VPY" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
check "package carries dlrt/libdlrt.so, dlrt/bin/dlrt, py.typed" \
    test -f "$SITE/dlrt/libdlrt.so" -a -x "$SITE/dlrt/bin/dlrt" -a -f "$SITE/dlrt/py.typed"
check "checkout has no bundled binaries (nothing copied into bindings/python)" \
    bash -c '! ls bindings/python/dlrt/libdlrt.so bindings/python/dlrt/bin 2>/dev/null | grep .'

# pip's own build from the checkout path too (what users type), with no DLRT_* variables: setup.py
# must find out/dist by itself.
if out=$(cd "$WORK" && "${CLEAN[@]}" "$VPY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
        "$ROOT/bindings/python" 2>&1); then
    ok "pip install $ROOT/bindings/python with no environment variables"
else
    bad "pip install from the checkout path" "$out"
fi
rm -rf bindings/python/build bindings/python/*.egg-info

out=$(cd /tmp && "${CLEAN[@]}" "$VPY" -c 'import dlrt; print(dlrt.version()); print(dlrt.library_path())' 2>&1)
if [ "$(sed -n 1p <<<"$out")" = "$version" ] && [[ "$(sed -n 2p <<<"$out")" == "$SITE/dlrt/libdlrt.so" ]]; then
    ok "cd /tmp && python -c 'import dlrt; print(dlrt.version())' → $version, library from the package"
else
    bad "import dlrt with no environment variables" "$out"
fi
check "package version matches the library ($version)" bash -c \
    'test "$("${@:2}" "$1" -c "import importlib.metadata as m; print(m.version(\"dlrt\"))")" = "$0"' \
    "$version" "$VPY" "${CLEAN[@]}"
check "python -m dlrt version" bash -c 'cd /tmp && "${@:2}" "$1" -m dlrt version | grep -q "cli: .*site-packages/dlrt/bin/dlrt"' \
    _ "$VPY" "${CLEAN[@]}"
check "python -m dlrt convert digits_cnn.onnx" bash -c 'cd /tmp && "${@:4}" "$1" -m dlrt convert "$2" -o "$3"' \
    _ "$VPY" "$ROOT/examples/digits/digits_cnn.onnx" "$WORK/digits.dlrt" "${CLEAN[@]}"
check "python -m dlrt inspect" bash -c 'cd /tmp && "${@:3}" "$1" -m dlrt inspect "$2" | grep -q probabilities' \
    _ "$VPY" "$WORK/digits.dlrt" "${CLEAN[@]}"
check "python -m dlrt: exit status of the CLI on a bad file" bash -c \
    'cd /tmp && ! "${@:2}" "$1" -m dlrt inspect /nonexistent.dlrt >/dev/null 2>&1' _ "$VPY" "${CLEAN[@]}"
check "dlrt.convert raises dlrt.Error naming the problem" bash -c 'cd /tmp && "${@:2}" "$1" -c "
import dlrt
try:
    dlrt.convert(\"/nonexistent.onnx\", \"/tmp/never.dlrt\")
except dlrt.Error as e:
    assert \"nonexistent\" in str(e), e
else:
    raise SystemExit(\"no error\")"' _ "$VPY" "${CLEAN[@]}"
check "dlrt.convert with DLRT_CLI pointing nowhere raises CLINotFoundError" bash -c 'cd /tmp && "${@:2}" DLRT_CLI=/nope "$1" -c "
import dlrt
try:
    dlrt.convert(\"a.onnx\", \"b.dlrt\")
except dlrt.CLINotFoundError as e:
    assert \"DLRT_CLI\" in str(e)
else:
    raise SystemExit(\"no error\")"' _ "$VPY" "${CLEAN[@]}"

# The digits model from the installed package, and the batch example (converting with dlrt.convert).
out=$(cd /tmp && "${CLEAN[@]}" "$VPY" - "$WORK/digits.dlrt" "$ROOT/examples/digits/digits_test.npz" <<'EOF' 2>&1
import sys, numpy as np, dlrt
d = np.load(sys.argv[2])
with dlrt.Model(sys.argv[1]) as m:
    p = m.run({"input": d["images"].astype(np.float32)})["probabilities"]
acc = float((p.argmax(1) == d["labels"]).mean())
print(f"{acc:.4f}")
assert acc > 0.9, acc
EOF
)
if [ $? = 0 ]; then ok "digits model from the installed package: accuracy $out"; else bad "digits model from the installed package" "$out"; fi
if out=$(cd /tmp && "${CLEAN[@]}" "$VPY" "$ROOT/examples/python/batch_classify.py" "$ROOT/examples/digits/digits_cnn.onnx" \
        "$ROOT/examples/digits/digits_test.npz" --min-accuracy 0.9 2>&1); then
    ok "examples/python/batch_classify.py: $(grep '^accuracy' <<<"$out")"
else
    bad "examples/python/batch_classify.py" "$out"
fi

finish

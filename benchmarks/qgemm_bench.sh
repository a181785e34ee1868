#!/usr/bin/env bash
# int8 GEMM (C kernels, every ISA path this CPU has) vs our float32 SGEMM, single thread, GOP/s.
# Usage: benchmarks/qgemm_bench.sh   (builds the tests in release mode)
set -euo pipefail
cd "$(dirname "$0")/.."
DLRT_BENCH=1 swift test -c release --disable-swift-testing --filter QGemmBenchmark 2>&1 \
  | grep -E "^(shape|[0-9]+×)|error|failed"

# Benchmarks (not part of `make test`: speed goals live here, never in timed unit tests).
#   make bench                 every model of benchmarks/zoo.py, float32 and int8, 1 and 2 threads,
#                              dlrt vs onnxruntime side by side → benchmarks/RESULTS.md
#   make bench BENCH_ARGS="--models mlp,resnet18 --threads 1 --out -"
BENCH_ARGS ?=

.PHONY: bench
bench: build
	DLRT_CLI=$(abspath $(CLI)) DLRT_LIBRARY=$(abspath $(LIB)) $(PY) benchmarks/bench.py $(BENCH_ARGS)

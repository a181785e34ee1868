# Benchmarks (not part of `make test`: speed goals live here, never in timed unit tests).
#   make bench                 every model of benchmarks/zoo.py, float32 and int8, 1 and 2 threads,
#                              dlrt vs onnxruntime side by side → benchmarks/RESULTS.md
#   make bench BENCH_ARGS="--models mlp,resnet18 --threads 1 --out -"
BENCH_ARGS ?=

.PHONY: bench
bench: build
	DLRT_CLI=$(abspath $(CLI)) DLRT_LIBRARY=$(abspath $(LIB)) $(PY) benchmarks/bench.py $(BENCH_ARGS)

# dlrt vs LiteRT (TensorFlow Lite + XNNPACK) on the same architectures built in Keras. Needs
# TensorFlow to write .tflite files: a separate, benchmark-only venv (never in CI).
LITERT_VENV ?= .venv-litert
.PHONY: bench-litert
bench-litert: build
	@test -x $(LITERT_VENV)/bin/python || { python3 -m venv $(LITERT_VENV) && \
	  $(LITERT_VENV)/bin/pip install -q ai-edge-litert tensorflow-cpu onnx numpy; }
	DLRT_CLI=$(abspath $(CLI)) DLRT_LIBRARY=$(abspath $(LIB)) $(LITERT_VENV)/bin/python benchmarks/litert_compare.py $(BENCH_ARGS)

# dlrt — build, test and demo. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BUILD := .build/release
LIB := $(BUILD)/libdlrt.so
CLI := $(BUILD)/dlrt
OUT := out
CFLAGS_TEST := -std=c99 -Wall -Wextra -Werror -O2 -Iinclude

.PHONY: all setup build test test-swift test-c test-python demo header-check clean

all: build

# Debian packages (protobuf-c for the converter) and a venv with numpy/onnx/onnxruntime.
setup: $(VENV)/.done
	@if ! pkg-config --exists libprotobuf-c 2>/dev/null || ! command -v valgrind >/dev/null || ! command -v qemu-x86_64 >/dev/null; then \
	  echo "installing Debian packages"; \
	  (apt-get update -qq && apt-get install -y -qq libprotobuf-c-dev protobuf-c-compiler zlib1g-dev pkg-config valgrind qemu-user >/dev/null) \
	  || { echo "need: libprotobuf-c-dev protobuf-c-compiler zlib1g-dev pkg-config valgrind qemu-user (run as root or install them)"; exit 1; }; \
	fi

$(VENV)/.done: Tests/python/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r Tests/python/requirements.txt
	touch $@

build: setup
	swift build -c release
	cp $(BUILD)/DLRTTool $(CLI)
	ln -sf libdlrt.so $(BUILD)/libdlrt.so.0

header-check:
	echo '#include "dlrt.h"' | gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -x c -fsyntax-only -
	echo '#include "dlrt.h"' | g++ -std=c++11 -Wall -Wextra -Werror -Iinclude -x c++ -fsyntax-only -

test: build header-check test-swift test-c test-python examples test-install conformance test-dispatch

test-swift: setup
	@mkdir -p $(OUT)
	@if swift test --disable-swift-testing > $(OUT)/swift-test.log 2>&1; then \
	  grep -E "^\s+Executed .* tests" $(OUT)/swift-test.log | tail -n 1; \
	else \
	  grep -E "error|failed|Fatal|crash" $(OUT)/swift-test.log | head -n 60; tail -n 20 $(OUT)/swift-test.log; exit 1; \
	fi

$(OUT)/digits.dlrt: examples/digits/digits_cnn.onnx build
	mkdir -p $(OUT)
	$(CLI) convert $< -o $@

test-c: build $(OUT)/digits.dlrt
	gcc $(CFLAGS_TEST) Tests/CAPI/test_capi.c -o $(OUT)/test_capi -L$(BUILD) -ldlrt -Wl,-rpath,$(abspath $(BUILD)) -lpthread -lm
	$(PY) Tests/CAPI/make_reference.py examples/digits/digits_cnn.onnx examples/digits/digits_test.npz $(OUT)/capi_input.bin $(OUT)/capi_expected.bin
	$(OUT)/test_capi $(OUT)/digits.dlrt $(OUT)/capi_input.bin $(OUT)/capi_expected.bin
	gcc $(CFLAGS_TEST) Tests/CAPI/test_noalloc.c -o $(OUT)/test_noalloc -L$(BUILD) -ldlrt -Wl,-rpath,$(abspath $(BUILD))
	$(OUT)/test_noalloc $(OUT)/digits.dlrt
	gcc -std=c99 -Wall -Wextra -Werror -O2 -Iinclude Tests/CAPI/test_options.c -o $(OUT)/test_options -L$(BUILD) -ldlrt -Wl,-rpath,$(abspath $(BUILD))
	$(OUT)/test_options $(OUT)/digits.dlrt $(OUT)/capi_input.bin
	$(PY) Tests/CAPI/make_family_models.py $(OUT)/families > /dev/null
	for m in mobilenetv2 pilotnet dcgan lstm2 bert gpt mlp rtvalues; do \
	  $(CLI) convert $(OUT)/families/$$m.onnx -o $(OUT)/families/$$m.dlrt > /dev/null && \
	  $(OUT)/test_noalloc $(OUT)/families/$$m.dlrt 3 | tail -n 1 | sed "s/^/$$m: /" | grep ': 2 passed' || exit 1; \
	done
	for m in lstm2 bert gpt mlp; do \
	  $(OUT)/test_noalloc $(OUT)/families/$$m.dlrt 3,5 | tail -n 1 | sed "s/^/$$m alternating shapes: /" | grep ': 2 passed' || exit 1; \
	done
	$(PY) Tests/CAPI/make_lstm_reference.py $(OUT)/lstm_symbolic.onnx $(OUT)/lstm_cases.bin
	$(CLI) convert $(OUT)/lstm_symbolic.onnx -o $(OUT)/lstm_symbolic.dlrt
	gcc $(CFLAGS_TEST) Tests/CAPI/test_symbolic.c -o $(OUT)/test_symbolic -L$(BUILD) -ldlrt -Wl,-rpath,$(abspath $(BUILD)) -lm
	$(OUT)/test_symbolic $(OUT)/lstm_symbolic.dlrt $(OUT)/lstm_cases.bin

test-python: build
	DLRT_CLI=$(abspath $(CLI)) DLRT_LIBRARY=$(abspath $(LIB)) $(PY) -m pytest -q Tests/python

# The main job: convert the bundled trained model, run it from C and from Python.
demo: build $(OUT)/digits.dlrt
	@echo "== dlrt inspect"; $(CLI) inspect $(OUT)/digits.dlrt | head -n 20
	$(PY) examples/c/export_digits.py examples/digits/digits_test.npz $(OUT)/digits_test.bin
	gcc -std=c99 -Wall -Werror -O2 -Iinclude examples/c/classify.c -o $(OUT)/classify -L$(BUILD) -ldlrt -Wl,-rpath,$(abspath $(BUILD)) -lm
	@echo "== C program"; $(OUT)/classify $(OUT)/digits.dlrt $(OUT)/digits_test.bin
	@echo "== Python"; DLRT_LIBRARY=$(abspath $(LIB)) $(PY) examples/digits/classify.py $(OUT)/digits.dlrt

clean:
	rm -rf .build $(OUT)

# Further targets live in mk/*.mk (install and packaging, robustness checks, …).
-include $(wildcard mk/*.mk)

# Runtime CPU dispatch check (docs/ARCHITECTURE.md, "Kernels and CPU dispatch"): the same
# libdlrt.so and CLI on an AVX-512 host, and under qemu-user emulating a Haswell (AVX2, no AVX-512)
# and a Nehalem (SSE4.2, no AVX) — each must pick its table and match onnxruntime on the digits CNN.
# Needs the Debian package qemu-user (qemu-x86_64; its TCG warnings about unsupported CPUID bits
# such as pcid/x2apic are expected and hidden).
QEMU_X86 ?= qemu-x86_64
DISPATCH := $(OUT)/dispatch

.PHONY: test-dispatch check-isa-symbols

check-isa-symbols: build
	scripts/check_isa_symbols.sh $(BUILD)

test-dispatch: build $(OUT)/digits.dlrt check-isa-symbols
	@command -v $(QEMU_X86) >/dev/null || { echo "need $(QEMU_X86): apt-get install qemu-user"; exit 1; }
	@mkdir -p $(DISPATCH)
	$(PY) scripts/dispatch_reference.py make examples/digits/digits_cnn.onnx examples/digits/digits_test.npz $(DISPATCH)
	gcc $(CFLAGS_TEST) Tests/CAPI/test_isa.c -o $(OUT)/test_isa -L$(BUILD) -ldlrt -Wl,-rpath,$(abspath $(BUILD))
	gcc $(CFLAGS_TEST) Tests/CAPI/test_capi.c -o $(OUT)/test_capi -L$(BUILD) -ldlrt -Wl,-rpath,$(abspath $(BUILD)) -lpthread -lm
	$(PY) Tests/CAPI/make_reference.py examples/digits/digits_cnn.onnx examples/digits/digits_test.npz $(OUT)/capi_input.bin $(OUT)/capi_expected.bin
	@set -e; host=$$($(CLI) version); echo "host: $$host"; \
	for forced in avx512 avx2 baseline; do \
	  line=$$(DLRT_ISA=$$forced $(CLI) version); \
	  case "$$line" in *"kernels $$forced "*|*"kernels $$forced"*) ;; \
	    *) if [ "$$forced" = avx512 ] && ! echo "$$host" | grep -q "supports avx512"; then :; \
	       else echo "FAIL DLRT_ISA=$$forced: $$line"; exit 1; fi ;; esac; \
	  if echo "$$line" | grep -q "kernels $$forced "; then DLRT_ISA=$$forced $(OUT)/test_isa $$forced >/dev/null; fi; \
	  DLRT_ISA=$$forced $(CLI) run $(OUT)/digits.dlrt --input input=$(DISPATCH)/input.npy -o $(DISPATCH)/host-$$forced.npz >/dev/null; \
	  $(PY) scripts/dispatch_reference.py check $(DISPATCH)/expected.npy $(DISPATCH)/host-$$forced.npz "host DLRT_ISA=$$forced"; \
	done
	@set -e; for cpu in Haswell:avx2 Nehalem:baseline; do \
	  model=$${cpu%%:*}; want=$${cpu##*:}; \
	  line=$$($(QEMU_X86) -cpu $$model $(CLI) version 2>/dev/null); \
	  echo "qemu -cpu $$model: $$line"; \
	  echo "$$line" | grep -q "kernels $$want " || { echo "FAIL qemu -cpu $$model: expected kernels $$want"; exit 1; }; \
	  line=$$(DLRT_ISA=avx512 $(QEMU_X86) -cpu $$model $(CLI) version 2>/dev/null); \
	  echo "$$line" | grep -q "kernels $$want " || { echo "FAIL qemu -cpu $$model: DLRT_ISA=avx512 must not raise the level"; exit 1; }; \
	  $(QEMU_X86) -cpu $$model $(CLI) run $(OUT)/digits.dlrt --input input=$(DISPATCH)/input.npy \
	    -o $(DISPATCH)/qemu-$$model.npz > $(DISPATCH)/run-$$model.log 2>&1 \
	    || { cat $(DISPATCH)/run-$$model.log; echo "FAIL dlrt run under qemu -cpu $$model"; exit 1; }; \
	  $(PY) scripts/dispatch_reference.py check $(DISPATCH)/expected.npy $(DISPATCH)/qemu-$$model.npz "dlrt run, qemu -cpu $$model ($$want)"; \
	  $(QEMU_X86) -cpu $$model $(OUT)/test_capi $(OUT)/digits.dlrt $(OUT)/capi_input.bin $(OUT)/capi_expected.bin \
	    > $(DISPATCH)/capi-$$model.log 2>&1 || { cat $(DISPATCH)/capi-$$model.log; echo "FAIL C API under qemu -cpu $$model"; exit 1; }; \
	  $(QEMU_X86) -cpu $$model $(OUT)/test_isa $$want 2>/dev/null >/dev/null \
	    || { echo "FAIL dlrt_isa() under qemu -cpu $$model is not $$want"; exit 1; }; \
	  echo "ok   libdlrt.so C API test (test_capi) and dlrt_isa() = $$want, qemu -cpu $$model"; \
	done
	@# int8 (C kernels with per-function targets, chosen by __builtin_cpu_supports): every path
	@# must give the host's (AVX-512 VNNI) int8 result.
	@set -eo pipefail; $(CLI) convert examples/digits/digits_cnn.onnx -o $(DISPATCH)/digits-int8.dlrt --weights int8 > /dev/null; \
	$(CLI) run $(DISPATCH)/digits-int8.dlrt --input input=$(DISPATCH)/input.npy -o $(DISPATCH)/int8-host.npz > /dev/null; \
	$(PY) -c "import numpy as np; np.save('$(DISPATCH)/int8-host.npy', next(iter(np.load('$(DISPATCH)/int8-host.npz').values())))"; \
	for model in Haswell Nehalem; do \
	  $(QEMU_X86) -cpu $$model $(CLI) run $(DISPATCH)/digits-int8.dlrt --input input=$(DISPATCH)/input.npy \
	    -o $(DISPATCH)/int8-$$model.npz > $(DISPATCH)/int8-$$model.log 2>&1 \
	    || { cat $(DISPATCH)/int8-$$model.log; echo "FAIL int8 dlrt run under qemu -cpu $$model"; exit 1; }; \
	  $(PY) scripts/dispatch_reference.py check $(DISPATCH)/int8-host.npy $(DISPATCH)/int8-$$model.npz \
	    "int8 dlrt run, qemu -cpu $$model, vs the host's int8 result" | sed 's/onnxruntime/the host int8 run/'; \
	done
	@echo "test-dispatch: all passed"

# Robustness checks (docs/ROBUSTNESS.md): fuzzing, sanitizers, leak/concurrency stress from C,
# atomic conversion under SIGKILL. `make test-robustness` runs what CI needs (< ~12 min, 2 cores).
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 90
STRESS_CYCLES ?= 1000
STRESS_VALGRIND_CYCLES ?= 200
STRESS_RUNS ?= 100000
VALGRIND ?= valgrind
CFLAGS_STRESS := -std=c99 -Wall -Werror -O2 -Iinclude

.PHONY: fuzz-build fuzz fuzz-ci fuzz-corpus sanitize sanitize-asan sanitize-tsan test-stress \
        test-atomic test-limits test-robustness

fuzz-build:
	Tests/fuzz/build.sh

# Replays Tests/fuzz/regressions, then fuzzes each target for FUZZ_SECONDS.
fuzz: fuzz-build
	Tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-ci: fuzz-build
	Tests/fuzz/run.sh $(FUZZ_CI_SECONDS)

# Regenerates the committed corpora: real models (Tests/python/models.py, the converter's
# fixtures, the digits CNN) and their .dlrt conversions, minimised with -merge=1, then the
# fuzzer-found units under 4 KB that add coverage (from .build-fuzz/corpus, grown by `make fuzz`).
# Seeds over 100 KB are left out (big weights add bytes, not coverage). Keep the total < 2 MB.
fuzz-corpus: fuzz-build build setup
	rm -rf .build-fuzz/seeds .build-fuzz/seeds-small .build-fuzz/found-small
	$(PY) Tests/fuzz/make_seeds.py $(CLI) .build-fuzz/seeds
	for t in dlrt onnx; do \
	  mkdir -p .build-fuzz/seeds-small/$$t .build-fuzz/found-small/$$t .build-fuzz/corpus/$$t && \
	  find .build-fuzz/seeds/$$t -type f -size -100k -exec cp {} .build-fuzz/seeds-small/$$t/ \; && \
	  find .build-fuzz/corpus/$$t -type f -size -4k -exec cp {} .build-fuzz/found-small/$$t/ \; && \
	  rm -rf Tests/fuzz/corpus/$$t && mkdir -p Tests/fuzz/corpus/$$t && \
	  for src in seeds-small found-small; do \
	    SWIFT_BACKTRACE=enable=no .build-fuzz/fuzz_$$t -merge=1 Tests/fuzz/corpus/$$t .build-fuzz/$$src/$$t 2>&1 | tail -n 1 || exit 1; \
	  done; \
	done
	du -sb Tests/fuzz/corpus/*

# Swift unit tests under AddressSanitizer and ThreadSanitizer (separate scratch paths).
sanitize: sanitize-asan sanitize-tsan

sanitize-asan: setup
	@mkdir -p $(OUT)
	@if ASAN_OPTIONS="allocator_may_return_null=1 $(ASAN_OPTIONS)" \
	  LSAN_OPTIONS="suppressions=$(abspath Tests/robustness/lsan.supp) $(LSAN_OPTIONS)" \
	  swift test --disable-swift-testing --sanitize=address --scratch-path .build-asan > $(OUT)/sanitize-asan.log 2>&1; then \
	  echo "ASan: $$(grep -E '^\s+Executed .* tests' $(OUT)/sanitize-asan.log | tail -n 1)"; \
	else grep -E "ERROR: AddressSanitizer|SUMMARY|error:|failed|Fatal" $(OUT)/sanitize-asan.log | head -n 40; exit 1; fi

sanitize-tsan: setup
	@mkdir -p $(OUT)
	@if TSAN_OPTIONS="suppressions=$(abspath Tests/robustness/tsan.supp) allocator_may_return_null=1 halt_on_error=1 $(TSAN_OPTIONS)" \
	  swift test --disable-swift-testing --sanitize=thread --scratch-path .build-tsan > $(OUT)/sanitize-tsan.log 2>&1; then \
	  echo "TSan: $$(grep -E '^\s+Executed .* tests' $(OUT)/sanitize-tsan.log | tail -n 1)"; \
	else grep -E "WARNING: ThreadSanitizer|SUMMARY|error:|failed|Fatal" $(OUT)/sanitize-tsan.log | head -n 40; exit 1; fi

# Leaks and concurrency from C: load/create/run/destroy cycles (natively and under valgrind),
# threads sharing a model, concurrent load/destroy, every bad call.
$(OUT)/test_stress: Tests/CAPI/test_stress.c include/dlrt.h $(LIB)
	@mkdir -p $(OUT)
	gcc $(CFLAGS_STRESS) $< -o $@ -L$(BUILD) -ldlrt -Wl,-rpath,$(abspath $(BUILD)) -lpthread -lm

# valgrind 3.19 cannot read the DWARF 5 debug info of libdlrt.so ("Possibly corrupted debuginfo
# file"): it runs against a copy without debug sections (found first through LD_LIBRARY_PATH).
test-stress: build $(OUT)/digits.dlrt $(OUT)/test_stress
	$(OUT)/test_stress $(OUT)/digits.dlrt $(STRESS_CYCLES) $(STRESS_RUNS)
	@soname=$$(readelf -d $(LIB) | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'); \
	  rm -rf $(OUT)/valgrind-lib && mkdir -p $(OUT)/valgrind-lib && \
	  objcopy --strip-debug $(LIB) $(OUT)/valgrind-lib/$${soname:-libdlrt.so}
	LD_LIBRARY_PATH=$(abspath $(OUT)/valgrind-lib) $(VALGRIND) -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	  --error-exitcode=1 $(OUT)/test_stress $(OUT)/digits.dlrt $(STRESS_VALGRIND_CYCLES) 1000

# `dlrt convert` killed with SIGKILL at random moments never leaves a partial output file.
test-atomic: build setup
	$(PY) Tests/robustness/atomic_convert.py --cli $(CLI) --kills 40

# Hostile shapes (2^40+ elements, overflowing dims, a 4 TiB arena) fail at load/create with a
# clear status, quickly and in bounded memory (through the C API).
test-limits: build setup
	$(PY) Tests/robustness/hostile_shapes.py --lib $(LIB)

test-robustness: fuzz-ci test-stress test-atomic test-limits sanitize
	@echo "robustness checks passed"

# ONNX's conformance suite (its node tests, shipped in the onnx wheel) through dlrt.
# Included by the main Makefile (uses BUILD, LIB, CLI, PY, OUT, build, setup).
#
#   make conformance              write the cases once (out/conformance/cases, stamped with the onnx
#                                 version), convert + run every in-scope case, compare; fails on any
#                                 failure not listed in Tests/conformance/expected_failures.txt
#   make conformance-ort          the same in-scope cases through onnxruntime (for comparison)
#   make conformance-expected     rewrite expected_failures.txt from a run (then review the diff)
#   make conformance-selftest     checks that a crashing / hanging case is recorded, not fatal
#
# CONFORMANCE_ARGS passes options to Tests/conformance/run.py (e.g. -k 'conv|pool' -v, --jobs 1).

CONFORMANCE_DIR := $(OUT)/conformance
CONFORMANCE_ARGS ?=
CONFORMANCE_ENV = DLRT_CLI=$(abspath $(CLI)) DLRT_LIBRARY=$(abspath $(LIB))

.PHONY: conformance conformance-cases conformance-ort conformance-expected conformance-selftest

conformance-cases: setup
	@$(PY) Tests/conformance/generate.py --out $(CONFORMANCE_DIR)

conformance: build conformance-cases
	@$(CONFORMANCE_ENV) $(PY) Tests/conformance/run.py --cases $(CONFORMANCE_DIR)/cases \
	    --json $(CONFORMANCE_DIR)/results.json $(CONFORMANCE_ARGS)

conformance-ort: conformance-cases
	@$(PY) Tests/conformance/run.py --backend ort --cases $(CONFORMANCE_DIR)/cases \
	    --json $(CONFORMANCE_DIR)/results-ort.json $(CONFORMANCE_ARGS)

conformance-expected: build conformance-cases
	@$(CONFORMANCE_ENV) $(PY) Tests/conformance/run.py --cases $(CONFORMANCE_DIR)/cases --write-expected

# A worker that aborts and one that stalls must each cost one case, not the run.
conformance-selftest: build conformance-cases
	@out=$$($(CONFORMANCE_ENV) DLRT_CONFORMANCE_SELFTEST=crash:test_relu,hang:test_sigmoid \
	    $(PY) Tests/conformance/run.py --cases $(CONFORMANCE_DIR)/cases -k '^test_(relu|sigmoid|elu)$$' \
	    --timeout 2 --expected /dev/null 2>&1); \
	echo "$$out" | grep -E '^  (crash|timeout) ' ; \
	echo "$$out" | grep -q '^  crash  *test_relu ' && echo "$$out" | grep -q '^  timeout  *test_sigmoid ' \
	  && echo "$$out" | grep -q '^conformance: 1 passed, 2 failed$$' \
	  && echo "conformance-selftest: ok" || { echo "$$out"; echo "conformance-selftest: FAILED"; exit 1; }

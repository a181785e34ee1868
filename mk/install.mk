# Install and packaging: `make install`, `make uninstall`, `make wheel`, `make test-install`,
# `make examples`. Included by the main Makefile (uses BUILD, LIB, CLI, PY, OUT, build, setup).
#
#   make install [PREFIX=/usr/local] [DESTDIR=]   lib/libdlrt.so.$(DLRT_VERSION) (+ .so.0, .so links),
#                                                 include/dlrt.h, lib/pkgconfig/dlrt.pc,
#                                                 lib/cmake/dlrt/dlrtConfig{,Version}.cmake, bin/dlrt
#   make install-strip                            the same with stripped binaries (8.7 → 6.1 MB lib)
#   make uninstall [PREFIX=…]
#   make wheel                                    out/dlrt-<version>-py3-none-linux_<arch>.whl
#   make test-install                             Tests/install/run.sh + Tests/install/test_pip.sh
#   make examples                                 the control loop (2,000 steps) and Python batch demo
#
# `make build` already links both for deployment (Package.swift): the library with soname
# libdlrt.so.$(DLRT_SOMAJOR), the Swift runtime linked statically and RUNPATH $$ORIGIN; the CLI with
# the Swift runtime and protobuf-c linked statically — neither needs the toolchain at run time.

PREFIX ?= /usr/local
DESTDIR ?=
DLRT_VERSION := $(shell sed -n 's/.*libraryVersion: StaticString = "\([0-9.]*\)".*/\1/p' Sources/DLRT/CAPI.swift)
DLRT_SOMAJOR := $(firstword $(subst ., ,$(DLRT_VERSION)))
DIST := $(OUT)/dist
INSTALL_ROOT = $(DESTDIR)$(PREFIX)
INSTALL_STRIP ?=

.PHONY: dist install install-strip uninstall wheel test-install examples control-loop

# The release artifacts under their installed names in out/dist.
dist: build
	@mkdir -p $(DIST)
	@test -n "$(DLRT_VERSION)" || { echo "cannot read the version from Sources/DLRT/CAPI.swift"; exit 1; }
	cp $(LIB) $(DIST)/libdlrt.so.$(DLRT_VERSION)
	cp $(CLI) $(DIST)/dlrt
	@if [ -n "$(INSTALL_STRIP)" ]; then strip --strip-unneeded $(DIST)/libdlrt.so.$(DLRT_VERSION) && strip $(DIST)/dlrt; fi

install: dist
	install -d $(INSTALL_ROOT)/lib/pkgconfig $(INSTALL_ROOT)/lib/cmake/dlrt $(INSTALL_ROOT)/include $(INSTALL_ROOT)/bin
	install -m 0755 $(DIST)/libdlrt.so.$(DLRT_VERSION) $(INSTALL_ROOT)/lib/libdlrt.so.$(DLRT_VERSION)
	ln -sfn libdlrt.so.$(DLRT_VERSION) $(INSTALL_ROOT)/lib/libdlrt.so.$(DLRT_SOMAJOR)
	ln -sfn libdlrt.so.$(DLRT_SOMAJOR) $(INSTALL_ROOT)/lib/libdlrt.so
	install -m 0644 include/dlrt.h $(INSTALL_ROOT)/include/dlrt.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(DLRT_VERSION)|g' packaging/dlrt.pc.in > $(INSTALL_ROOT)/lib/pkgconfig/dlrt.pc
	sed -e 's|@VERSION@|$(DLRT_VERSION)|g' -e 's|@SOMAJOR@|$(DLRT_SOMAJOR)|g' packaging/dlrtConfig.cmake.in > $(INSTALL_ROOT)/lib/cmake/dlrt/dlrtConfig.cmake
	sed -e 's|@VERSION@|$(DLRT_VERSION)|g' packaging/dlrtConfigVersion.cmake.in > $(INSTALL_ROOT)/lib/cmake/dlrt/dlrtConfigVersion.cmake
	install -m 0755 $(DIST)/dlrt $(INSTALL_ROOT)/bin/dlrt
	@# Refresh the loader cache for system prefixes (not for staged or private installs).
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null && \
	   { [ "$(PREFIX)" = /usr/local ] || [ "$(PREFIX)" = /usr ]; }; then ldconfig; fi
	@echo "installed dlrt $(DLRT_VERSION) into $(INSTALL_ROOT)"

install-strip:
	$(MAKE) --no-print-directory install INSTALL_STRIP=1

uninstall:
	rm -f $(INSTALL_ROOT)/lib/libdlrt.so $(INSTALL_ROOT)/lib/libdlrt.so.$(DLRT_SOMAJOR) \
	      $(INSTALL_ROOT)/lib/libdlrt.so.$(DLRT_VERSION) $(INSTALL_ROOT)/include/dlrt.h \
	      $(INSTALL_ROOT)/lib/pkgconfig/dlrt.pc $(INSTALL_ROOT)/lib/cmake/dlrt/dlrtConfig.cmake \
	      $(INSTALL_ROOT)/lib/cmake/dlrt/dlrtConfigVersion.cmake $(INSTALL_ROOT)/bin/dlrt
	-rmdir $(INSTALL_ROOT)/lib/cmake/dlrt 2>/dev/null
	@echo "removed dlrt from $(INSTALL_ROOT)"

# A platform wheel carrying libdlrt.so and the self-contained CLI (bindings/python/setup.py copies
# them from out/dist, DLRT_LIBRARY/DLRT_CLI, or .build/release).
wheel: dist setup
	rm -f $(OUT)/dlrt-*.whl
	DLRT_DIST_DIR=$(abspath $(DIST)) $(PY) -m pip wheel -q --no-deps -w $(OUT) ./bindings/python
	rm -rf bindings/python/build bindings/python/dlrt.egg-info
	@ls -1 $(OUT)/dlrt-*.whl

test-install: dist setup
	Tests/install/run.sh
	Tests/install/test_pip.sh

# The control-loop example against the build tree: policy → ONNX → .dlrt, 2,000 steps at 1 kHz.
control-loop: build setup
	@mkdir -p $(OUT)/control_loop
	$(PY) examples/control_loop/make_policy.py $(OUT)/control_loop/policy.onnx
	$(CLI) convert $(OUT)/control_loop/policy.onnx -o $(OUT)/control_loop/policy.dlrt
	gcc -std=c99 -Wall -Wextra -Werror -O2 -Iinclude examples/control_loop/control_loop.c \
	    -o $(OUT)/control_loop/control_loop -L$(BUILD) -ldlrt -Wl,-rpath,$(abspath $(BUILD))
	$(OUT)/control_loop/control_loop $(OUT)/control_loop/policy.dlrt --steps 2000

examples: control-loop $(OUT)/digits.dlrt
	DLRT_LIBRARY=$(abspath $(LIB)) PYTHONPATH=bindings/python $(PY) examples/python/batch_classify.py \
	    $(OUT)/digits.dlrt examples/digits/digits_test.npz
	DLRT_LIBRARY=$(abspath $(LIB)) DLRT_CLI=$(abspath $(CLI)) $(PY) examples/python/driving.py --frames 60 --workdir $(OUT)/driving

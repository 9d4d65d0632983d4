# FS-DAX memory registration for RDMA: the one entry point.
#
#   make demo      set everything up, boot the guest, show the main job
#   make test      set everything up, run the whole suite in the guest
#                  (ONLY="dax_mr revoke": only those, for a quick loop)
#   make test-full the peers' tests on our kernel and on stock, compared
#   make test-kasan make test's suite on a KASAN build of the kernel
#   make bench     benchmarks in the guest, on non-debug kernels of the series
#                  and of stock 7.3: build/bench/bench.{txt,json,png}
#
# Everything is incremental: sources are unpacked once, the trees are only
# re-created when a patch file changed, kernel and rdma-core go through
# ccache. Build outputs live under build/ (ignored by git).

SHELL := /bin/bash
TOP := $(CURDIR)
B := $(TOP)/build
S := $(TOP)/scripts

# The guest kernel: the pristine tree is called "-stock", a tree carrying
# the series "-fsdax-rdma" (the tests know which behaviour to expect).
KERNEL_PATCHES = $(shell $(S)/tree.sh list linux 2>/dev/null)
LOCALVERSION = $(if $(strip $(KERNEL_PATCHES)),-fsdax-rdma,-stock)
BZIMAGE := $(B)/kbuild/arch/x86/boot/bzImage
BZIMAGE_STOCK := $(B)/kbuild-stock/arch/x86/boot/bzImage
VM_TIMEOUT ?= 2400
BENCH_TIMEOUT ?= 1800

.PHONY: all deps sources tree export kernel kernel-stock rdma-core tests-build \
	setup demo test test-kasan bench shell checkpatch series bisect-check clean help \
	man-pages-tree

all: setup

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@$(S)/deps.sh

sources: deps
	@$(S)/sources.sh linux
	@$(S)/sources.sh rdma-core

# build/linux and build/rdma-core: git trees = pristine base + the series.
tree: sources
	@$(S)/tree.sh apply linux
	@$(S)/tree.sh apply rdma-core

# Write the commits of build/linux and build/rdma-core (and build/man-pages,
# once make series has made it) back as patch files.
export:
	@$(S)/tree.sh export linux
	@$(S)/tree.sh export rdma-core
	@[ ! -d $(B)/man-pages/.git ] || $(S)/tree.sh export man-pages

# build/man-pages: fcntl(2) with the man-pages patch, for make series only.
man-pages-tree: deps
	@$(S)/sources.sh man-pages
	@$(S)/tree.sh apply man-pages

kernel: tree
	@$(S)/kernel.sh $(B)/linux $(B)/kbuild $(LOCALVERSION)

# The unmodified kernel, for comparisons against stock.
kernel-stock: sources
	@$(S)/kernel.sh $(B)/src/linux $(B)/kbuild-stock -stock

rdma-core: tree
	@$(S)/rdma-core.sh

tests-build: kernel rdma-core
	@echo "==> building the tests (log: build/logs/tests.log)"
	@$(MAKE) -s -C tests TOP=$(TOP) B=$(B) >$(B)/logs/tests.log 2>&1 || \
		{ tail -20 $(B)/logs/tests.log; echo "ERROR: the tests do not build"; exit 1; }
	@$(MAKE) -s -C tests -f selftests.mk TOP=$(TOP) B=$(B) SIDE=ours >$(B)/logs/selftests.log 2>&1 || \
		{ tail -20 $(B)/logs/selftests.log; echo "ERROR: the kernel selftests do not build"; exit 1; }

setup: tests-build

demo: setup
	@tests/vm/run-vm.sh $(BZIMAGE) demo 900
	@if [ -f $(B)/vm/failure ]; then echo "ERROR: $$(cat $(B)/vm/failure)"; exit 1; fi
	@echo; cat $(B)/vm/demo.txt
	@[ "$$(cat $(B)/vm/demo.rc 2>/dev/null)" = 0 ] || { echo "ERROR: the demo failed"; exit 1; }

test: setup
	@FSDAX_TESTS="$(ONLY)" tests/vm/run-vm.sh $(BZIMAGE) test $(VM_TIMEOUT)
	@[ -n "$(ONLY)" ] || $(S)/host-checks.sh $(BZIMAGE)
	@$(S)/report.sh

# The peers' tests (perftest, rdma-core's tests/, kernel selftests), all of
# them, on our kernel + rdma-core and on stock 7.3 + rdma-core 65.0: two
# guest boots, then a comparison; fails on a failure stock does not share.
.PHONY: test-full rdma-core-stock selftests-stock
VM_TIMEOUT_FULL ?= 5400
rdma-core-stock: sources
	@$(S)/rdma-core.sh $(B)/src/rdma-core $(B)/rdma-core-stock/build

selftests-stock: sources
	@echo "==> building the stock kernel selftests (log: build/logs/selftests-stock.log)"
	@$(MAKE) -s -C tests -f selftests.mk TOP=$(TOP) B=$(B) SIDE=stock >$(B)/logs/selftests-stock.log 2>&1 || \
		{ tail -20 $(B)/logs/selftests-stock.log; echo "ERROR: the kernel selftests do not build"; exit 1; }

test-full: setup kernel-stock rdma-core-stock selftests-stock
	@FSDAX_VM_OUT=$(B)/vm-full-ours tests/vm/run-vm.sh $(BZIMAGE) full $(VM_TIMEOUT_FULL)
	@FSDAX_VM_OUT=$(B)/vm-full-stock tests/vm/run-vm.sh $(BZIMAGE_STOCK) full $(VM_TIMEOUT_FULL)
	@$(S)/compare.sh $(B)/vm-full-ours $(B)/vm-full-stock

# Benchmarks (not part of make test), on kernels without the suite's
# debugging options (tests/bench.config): the series (build/kbuild-bench)
# and stock 7.3 (build/kbuild-bench-stock), stock booted before and after
# the series; the guests write raw samples to
# build/vm-bench{,-stock,-stock2}/bench.json, the report goes
# to build/bench/bench.{txt,json,png}. BENCH_SCALE=0.1: a quick trial.
BZIMAGE_BENCH := $(B)/kbuild-bench/arch/x86/boot/bzImage
BZIMAGE_BENCH_STOCK := $(B)/kbuild-bench-stock/arch/x86/boot/bzImage
BENCH_SCALE ?= 1
.PHONY: bench-kernels
bench-kernels: tree
	@KCONFIG_EXTRA=$(TOP)/tests/bench.config $(S)/kernel.sh $(B)/linux $(B)/kbuild-bench $(LOCALVERSION)
	@KCONFIG_EXTRA=$(TOP)/tests/bench.config $(S)/kernel.sh $(B)/src/linux $(B)/kbuild-bench-stock -stock

# Stock boots before and after this kernel: their ratio is what two boots
# of one kernel differ by, the resolution of every ours/stock ratio.
bench: setup bench-kernels
	@for side in -stock "" -stock2; do \
		if [ -z "$$side" ]; then k=$(BZIMAGE_BENCH); else k=$(BZIMAGE_BENCH_STOCK); fi; \
		FSDAX_BENCH_SCALE=$(BENCH_SCALE) FSDAX_VM_OUT=$(B)/vm-bench$$side \
			tests/vm/run-vm.sh $$k bench $(BENCH_TIMEOUT) || exit 1; \
		if [ -f $(B)/vm-bench$$side/failure ]; then \
			echo "ERROR: $$(cat $(B)/vm-bench$$side/failure)"; \
			tail -n 15 $(B)/vm-bench$$side/console.log; exit 1; fi; \
	done
	@/usr/bin/python3 $(S)/bench-report.py $(B)/vm-bench/bench.json \
		$(B)/vm-bench-stock/bench.json $(B)/vm-bench-stock2/bench.json $(B)/bench

# The same suite on a KASAN kernel (build/kbuild-kasan), kept out of make
# test: under TCG it makes the guest run 2.7 times as long (see README).
BZIMAGE_KASAN := $(B)/kbuild-kasan/arch/x86/boot/bzImage
test-kasan: setup
	@KCONFIG_EXTRA=$(TOP)/tests/kasan.config $(S)/kernel.sh $(B)/linux $(B)/kbuild-kasan $(LOCALVERSION)
	@FSDAX_VM_OUT=$(B)/vm-kasan tests/vm/run-vm.sh $(BZIMAGE_KASAN) test $(VM_TIMEOUT)
	@$(S)/report.sh $(B)/vm-kasan

shell: setup
	@tests/vm/run-vm.sh $(BZIMAGE) shell 86400

checkpatch: tree
	@$(S)/checkpatch.sh

# Both series as they would be posted: cover letter + numbered patches.
series: tree man-pages-tree
	@$(S)/series.sh $(B)/series

# Build every prefix of the kernel series (one patch at a time).
bisect-check: tree
	@$(S)/bisect-check.sh

clean:
	rm -rf $(B)

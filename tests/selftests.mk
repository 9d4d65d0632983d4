# The kernel selftests of the code the series touches, unmodified, built
# from one kernel tree against that tree's own UAPI headers (the usual
# `make -C tools/testing/selftests` would write into the tree):
#   make -f selftests.mk SIDE=ours    build/linux     -> build/selftests/ours
#   make -f selftests.mk SIDE=stock   build/src/linux -> build/selftests/stock
# Run in the guest by tests/sh/selftests.sh.
TOP ?= $(abspath ..)
B ?= $(TOP)/build
SIDE ?= ours
KSRC_ours := $(B)/linux
KSRC_stock := $(B)/src/linux
KSRC := $(KSRC_$(SIDE))
OUT := $(B)/selftests/$(SIDE)
ST := $(KSRC)/tools/testing/selftests
HDR := $(OUT)/usr/include

CC := ccache gcc
# As tools/testing/selftests/mm/Makefile has them.
CFLAGS := -Wall -O2 -U_FORTIFY_SOURCE -I$(OUT) -I$(KSRC) -I$(ST) -isystem $(HDR) \
	-isystem $(KSRC)/tools/include/uapi
LDLIBS := -lrt -lpthread -lm
# thp_settings.c (6.12) became hugepage_settings.c (7.x).
MM_SRC := $(ST)/mm/vm_util.c $(firstword $(wildcard $(ST)/mm/thp_settings.c $(ST)/mm/hugepage_settings.c))
MM_DEPS := $(MM_SRC) $(wildcard $(ST)/mm/*.h) $(ST)/kselftest.h $(KSRC)/mm/gup_test.h \
	$(HDR)/.stamp $(OUT)/local_config.h

all: $(OUT)/gup_longterm $(OUT)/gup_test $(OUT)/ofdlocks

# headers_install through a private object directory, so that the kernel
# builds (build/kbuild*) are left alone; redone when a UAPI header changes.
$(HDR)/.stamp: $(wildcard $(KSRC)/include/uapi/linux/*.h $(KSRC)/arch/x86/include/uapi/asm/*.h)
	rm -rf $(OUT)/usr
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS $(MAKE) -s -j$$(nproc) -C $(KSRC) O=$(OUT)/kobj \
		headers_install INSTALL_HDR_PATH=$(OUT)/usr
	touch $@

# What check_config.sh would write into the tree: liburing (scripts/deps.sh
# installs liburing-dev) turns on gup_longterm's io_uring cases.
$(OUT)/local_config.h:
	@mkdir -p $(dir $@)
	echo '#define LOCAL_CONFIG_HAVE_LIBURING 1' >$@
	cp $@ $@_gen	# 7.x's gup_longterm includes "local_config.h_gen"

# Compiled in the source directory with relative names, as lib.mk does:
# gup_longterm names its "local tmpfile" after __FILE__, in the cwd.
$(OUT)/gup_longterm: $(ST)/mm/gup_longterm.c $(MM_DEPS)
	cd $(ST)/mm && $(CC) $(CFLAGS) -o $@ $(notdir $< $(MM_SRC)) $(LDLIBS) -luring

$(OUT)/gup_test: $(ST)/mm/gup_test.c $(MM_DEPS)
	cd $(ST)/mm && $(CC) $(CFLAGS) -o $@ $(notdir $< $(MM_SRC)) $(LDLIBS)

$(OUT)/ofdlocks: $(ST)/filelock/ofdlocks.c $(ST)/kselftest.h $(HDR)/.stamp
	cd $(ST)/filelock && $(CC) $(CFLAGS) -o $@ $(notdir $<) $(LDLIBS)

.PHONY: all
.DELETE_ON_ERROR:

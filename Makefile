# SPDX-License-Identifier: GPL-2.0
#
# Build the module against Debian's 6.1 kernel headers: the build machine
# runs another kernel, so `uname -r` is never the target.
#
# Override KVER, KDIR and KIMAGE together to test on another kernel, e.g.
#   make check KVER=6.1.0-dbg KDIR=$PWD/debug/build KIMAGE=$PWD/debug/bzImage
KVER ?= $(notdir $(lastword $(sort $(wildcard /lib/modules/6.1.*-amd64))))
KDIR ?= /lib/modules/$(KVER)/build
KIMAGE ?= /boot/vmlinuz-$(KVER)
PWD  := $(CURDIR)

# Kernel source tarball that the kselftest framework is taken from.
KSRC_TAR ?= /usr/src/linux-source-6.1.tar.xz
BUILD := $(CURDIR)/build
KSFT_DIR := $(BUILD)/ksrc/tools/testing/selftests
TESTMOD_DIR := $(CURDIR)/selftests/modules

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) W=1 modules

# The test modules link against the module's exported symbols.
test-modules: modules
ifneq ($(wildcard $(TESTMOD_DIR)/Kbuild),)
	$(MAKE) -C $(KDIR) M=$(TESTMOD_DIR) \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers W=1 modules
endif

ksft-src: $(KSFT_DIR)/lib.mk

$(KSFT_DIR)/lib.mk: scripts/ksft-extract.sh
	scripts/ksft-extract.sh $(KSRC_TAR) $(BUILD)/ksrc
	touch $@

selftests: ksft-src
	$(MAKE) -C selftests KSFT_DIR=$(KSFT_DIR) OUTPUT=$(BUILD)/selftests

# Install what is missing first, then start over in a sub-make: KVER is
# found from the installed kernels, which may just have arrived.
check demo: deps
	$(MAKE) vm-$@

deps:
	scripts/deps.sh

vm-check vm-demo: test-modules selftests
	KVER=$(KVER) KDIR=$(KDIR) KIMAGE=$(KIMAGE) BUILD=$(BUILD) \
		KSFT_DIR=$(KSFT_DIR) scripts/vm.sh $(@:vm-%=%)

# checkpatch --strict, sparse, W=1 and kernel-doc over every source, and
# the rst check of the documentation: any finding fails.
lint: deps
	KDIR=$(KDIR) KSRC_TAR=$(KSRC_TAR) BUILD=$(BUILD) \
		MODDIRS="$(TESTMOD_DIR) $(wildcard $(CURDIR)/bench)" scripts/lint.sh

# Build and install through DKMS for KVER, check modinfo, then remove it.
dkms: deps
	KVER=$(KVER) scripts/dkms.sh

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean
ifneq ($(wildcard $(TESTMOD_DIR)/Kbuild),)
	$(MAKE) -C $(KDIR) M=$(TESTMOD_DIR) clean
endif
	rm -rf $(BUILD)

.PHONY: lint dkms all modules test-modules ksft-src selftests check demo deps \
	vm-check vm-demo clean

# SPDX-License-Identifier: GPL-2.0
#
# Build the module against Debian's 6.1 kernel headers: the build machine
# runs another kernel, so `uname -r` is never the target.
#
#   make             pcpu_pagecache.ko (W=1) for KVER, from KDIR
#   make clean       its objects, and build/
#
# The test harness (make check, demo, lint, bench, dkms...) is in
# scripts/harness.mk, included at the end.
#
# KVER is a release under /lib/modules.  The default is the stock flavour
# of 6.1: the rt (and cloud) flavours' releases, 6.1.0-N-rt-amd64, sort
# after it.
KVER ?= $(notdir $(lastword $(sort $(filter-out %-rt-amd64 %-cloud-amd64,\
	$(wildcard /lib/modules/6.1.*-amd64)))))
KDIR ?= /lib/modules/$(KVER)/build
PWD  := $(CURDIR)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) W=1 modules

# BUILD, where the harness builds and logs: scripts/harness.mk.
clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean
	rm -rf $(BUILD)

.PHONY: all modules clean

include scripts/harness.mk

# SPDX-License-Identifier: GPL-2.0
#
# Build the module, as for any out-of-tree module, against the running
# kernel when its headers are installed (/lib/modules/$(uname -r)/build);
# else against the test harness's default kernel, Debian's stock 6.1,
# saying so in one line (build machines run another kernel).
#
#   make                 pcpu_pagecache.ko (W=1), for the running kernel
#   make KVER=<release>  ... for that release under /lib/modules
#   make KDIR=<dir>      ... against that kernel build tree
#   make clean           its objects, and build/
#
# The test harness (make check, demo, lint, bench, dkms, deb...) is in
# scripts/harness.mk, included at the end: its targets never look at the
# running kernel, only at KVER and KDIR.
#
# KVER is a release under /lib/modules.  The default is the stock flavour
# of 6.1: the rt (and cloud) flavours' releases, 6.1.0-N-rt-amd64, sort
# after it.
KVER ?= $(notdir $(lastword $(sort $(filter-out %-rt-amd64 %-cloud-amd64,\
	$(wildcard /lib/modules/6.1.*-amd64)))))
KDIR ?= /lib/modules/$(KVER)/build
PWD  := $(CURDIR)

# The kernel a bare make builds for: KDIR when KVER or KDIR is given, else
# the running kernel's build tree if it is there, else KDIR.  RUNNING_KVER
# is the running kernel's release (set it to try another).
RUNNING_KVER ?= $(shell uname -r)
ifneq ($(filter command line environment,$(origin KVER) $(origin KDIR)),)
MODULES_KDIR := $(KDIR)
else ifneq ($(wildcard /lib/modules/$(RUNNING_KVER)/build/Makefile),)
MODULES_KDIR := /lib/modules/$(RUNNING_KVER)/build
else
MODULES_KDIR := $(KDIR)
MODULES_NOTE := make: the running kernel's headers are not installed \
	(no /lib/modules/$(RUNNING_KVER)/build): building for $(KVER), the harness's default
endif

all: modules

modules:
	$(if $(MODULES_NOTE),@echo "$(MODULES_NOTE)")
	$(MAKE) -C $(MODULES_KDIR) M=$(PWD) W=1 modules

# BUILD, where the harness builds and logs: scripts/harness.mk.
clean:
	$(MAKE) -C $(MODULES_KDIR) M=$(PWD) clean
	rm -rf $(BUILD)

.PHONY: all modules clean

include scripts/harness.mk

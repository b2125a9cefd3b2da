# SPDX-License-Identifier: GPL-2.0
#
# Build the module against Debian's 6.1 kernel headers: the build machine
# runs another kernel, so `uname -r` is never the target.
KVER ?= $(notdir $(lastword $(sort $(wildcard /lib/modules/6.1.*-amd64))))
KDIR ?= /lib/modules/$(KVER)/build
PWD  := $(CURDIR)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) W=1 modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean

.PHONY: all modules clean

# SPDX-License-Identifier: GPL-2.0
#
# The test harness, included by the top Makefile, which sets KVER and KDIR.
# A target runs its driver in scripts/lanes/; the packages, the kernels and
# the kselftest framework come from scripts/setup/; scripts/vm/vm.sh boots
# a guest that runs scripts/vm/guest/; scripts/ktap/ counts the results.
#
#   check          ppc_core's host tests, then the suite on every kernel of
#                  KERNELS, or on KVER only when it is given
#   check-kernel   the suite on KVER only (what check runs per kernel)
#   demo           boot a guest, load the module, show its stats
#   check-big      one boot of a 16-vCPU guest with a 1 GiB pool
#   check-stable   the stress under CPU hotplug STABLE_RUNS times in a row,
#                  one boot a kernel, on every kernel of KERNELS or on KVER
#   check-debug    the suite, KUnit and fault injection on a debug kernel
#   check-kcsan    the suite on a KCSAN kernel: any data race fails it
#   check-host     ppc_core's host tests
#   check-model    the SPIN models of the lockless protocol
#   check-loop     crash triage: rounds of the stress actors under CPU
#                  hotplug on KVER until the kernel dies or LOOP_SECS pass
#   lint, dkms, bench, bench-count, bench-scale: see their comments below
#   deb            the Debian package of the module's sources for DKMS
#   check-deb      build, lintian, install, check and purge that package
#   deps           install the missing packages and kernels
#   ksft-src       the kselftest framework, from linux-source into build/
# and the steps of one guest's run: kobj-tree, kobj-modules,
# kobj-selftests, then vm-check, vm-demo, vm-stable or vm-big.
#
# On a kernel of your own, set KVER, KDIR (its build tree) and KIMAGE (its
# bzImage) together (Documentation/testing.rst, "Kernels").
KIMAGE ?= /boot/vmlinuz-$(KVER)

# Kernel source tarball that the kselftest framework is taken from.
KSRC_TAR ?= /usr/src/linux-source-6.1.tar.xz
BUILD := $(CURDIR)/build
KSFT_DIR := $(BUILD)/ksrc/tools/testing/selftests
TESTMOD_DIR := $(CURDIR)/selftests/modules
# The example client, a RAM block device (pcpu_pagecache.rst, "A block device on
# the pool"); built like the test modules, against the module's symbols.
BLK_DIR := $(CURDIR)/examples/blk

# The kernels `make check` runs the suite on, one boot each: a series
# (scripts/setup/install-kernels.sh knows its packages and release; 6.1-rt
# is 6.1's PREEMPT_RT flavour) or a release.
# `make check KVER=<release or series>` runs it on that kernel only.
SERIES := 6.1 6.12 6.1-rt
KERNELS ?= $(SERIES)
# Non-empty when KVER was given, on the command line or in the environment,
# rather than defaulted by the Makefile.
KVER_GIVEN = $(filter command line environment,$(origin KVER))
# What `make deps` installs for a goal (scripts/setup/deps.sh): the kernels
# it uses, KVER's series or 6.1, and for demo no more than demo needs.  Only
# a KVER given is looked at: the default one would read /lib/modules before
# deps fills it, and make keeps that first, empty listing.
DEPS_SERIES = $(if $(KVER_GIVEN),$(or $(filter $(SERIES),$(KVER)),6.1),6.1)
demo check-kernel check-loop lint dkms check-big bench-scale: export DEPS_KERNELS = $(DEPS_SERIES)
check check-stable: export DEPS_KERNELS = $(if $(KVER_GIVEN),$(DEPS_SERIES),$(KERNELS))
demo: export DEPS_MIN = 1
lint: export EXTRA_PKGS = sparse python3-docutils coccinelle ocaml-nox
dkms: export EXTRA_PKGS = dkms
# check-deb: the package's build and lint tools, and DKMS to install it for
# the kernels (all of KERNELS: DKMS builds for every one with headers).
check-deb: export EXTRA_PKGS = dpkg-dev debhelper dh-dkms lintian dkms
check-deb: export DEPS_KERNELS = $(KERNELS)
check-host: export EXTRA_PKGS = sparse
check-model: export DEPS_KERNELS = 6.1
bench-scale: export EXTRA_PKGS = gnuplot-nox
# KVER as a release: a series stands for its installed release (installed
# first if missing); a release stays as it is.
KVER_RELEASE = $(if $(filter $(SERIES),$(KVER)),$$(scripts/setup/install-kernels.sh --kver $(KVER)),$(KVER))

# check, demo and check-kernel build for KVER in KOBJ: the module, the test
# modules and the test program, apart from other kernels' builds (M= builds
# write beside their sources, so the sources are mirrored there as
# symlinks, keeping the layout: the test modules include ../..).
KOBJ ?= $(BUILD)/$(KVER)
KOBJ_SRCS := $(filter-out %.mod.c,$(wildcard Kbuild *.c *.h))
KOBJ_TESTMOD_SRCS := $(filter-out %.mod.c,$(wildcard \
	selftests/modules/Kbuild selftests/modules/*.c selftests/modules/*.h))
KOBJ_BLK_SRCS := $(filter-out %.mod.c,$(wildcard \
	examples/blk/Kbuild examples/blk/*.c examples/blk/*.h))

# One guest's run on KVER: vm.sh MODE (check, demo, stable or big).
VM = KVER=$(KVER) KDIR=$(KDIR) KIMAGE=$(KIMAGE) BUILD=$(BUILD) \
	KSFT_DIR=$(KSFT_DIR) KOBJ=$(KOBJ) scripts/vm/vm.sh

# ---- The checks --------------------------------------------------------------

# Install what is missing first, then start over in a sub-make: KVER is
# found from the installed kernels, which may just have arrived.
# check: the host tests and every kernel of KERNELS, or only KVER when it
# is given on the command line or in the environment.
check: deps
	BUILD=$(BUILD) MAKE="$(MAKE)" scripts/lanes/check-kernels.sh \
		$(if $(KVER_GIVEN),$(KVER),host model $(KERNELS))

# The suite on one kernel: KVER, KDIR and KIMAGE (the default kernel's when
# not given); its results in KOBJ/summary-check.txt.
check-kernel: deps
	$(MAKE) vm-check KVER=$(KVER_RELEASE)

demo: deps
	$(MAKE) vm-demo KVER=$(KVER_RELEASE)

# One boot of a big guest on the stock 6.1 kernel: 16 vCPUs, a 1 GiB
# reserved region for the default pool, every test of the test module,
# exhaustion, stress under hotplug (scripts/vm/guest/big.sh).  Its results
# in build/summary-big.txt.  Its 16 vCPUs on this machine's 2 cores make a
# test silent for minutes: api_exhaustion was 320 s without a line on a
# loaded machine (Documentation/testing.rst, "Kernels"), hence the watchdog's 1000 s.
check-big: deps
	rel=$$(scripts/setup/install-kernels.sh --kver 6.1) && \
	VM_TIMEOUT=1500 VM_RUN_STALL=$${VM_RUN_STALL:-1000} \
		$(MAKE) vm-big KVER=$$rel KOBJ=$(BUILD)/$$rel; \
	rc=$$?; cp $(BUILD)/$$rel/summary-big.txt $(BUILD)/summary-big.txt; exit $$rc

# Stress under CPU hotplug, again and again: on each kernel of KERNELS (or
# KVER only, when given), one boot that runs the suite's
# stress_with_hotplug STABLE_RUNS times (default 4) of STABLE_SECS seconds
# (default 60), about 5 minutes a kernel; a kernel splat fails the run it
# shows up in (scripts/lanes/check-stable.sh).  Per kernel, its release
# and the runs passed, then "N passed, N failed", in
# build/summary-stable.txt.
check-stable: deps
	BUILD=$(BUILD) MAKE="$(MAKE)" scripts/lanes/check-stable.sh \
		$(if $(KVER_GIVEN),$(KVER),$(KERNELS))

# The suite on the debug kernel (KASAN, lockdep, DEBUG_PREEMPT, kmemleak,
# UBSAN, KUnit, fault injection), built from linux-source on first use and
# cached (scripts/setup/build-debug-kernel.sh), with the KUnit results and
# a kmemleak scan once every module is unloaded; see
# scripts/lanes/check-debug.sh.  Its results in build/summary-check-debug.txt.
check-debug: deps
	BUILD=$(BUILD) MAKE="$(MAKE)" scripts/lanes/check-debug.sh

# The suite on the KCSAN kernel (the debug kernel's config with KCSAN in
# place of KASAN, kmemleak and lockdep: selftests/config.kcsan), built
# from linux-source on first use and cached
# (scripts/setup/build-debug-kernel.sh --flavour kcsan): every data race
# KCSAN reports in our code fails it; the same lane script as check-debug,
# scripts/lanes/check-debug.sh.  Its results in
# build/summary-check-kcsan.txt.
check-kcsan: deps
	BUILD=$(BUILD) MAKE="$(MAKE)" scripts/lanes/check-debug.sh --flavour kcsan

# The host tests of ppc_core.c (tools/testing/ppc_core): unit and
# differential tests, optimized and under ASan + UBSan, and a kernel build
# of the file on each kernel (W=1, sparse), in about a minute without a VM.
# Results in build/summary-check-host.txt.
check-host: deps
	BUILD=$(BUILD) MAKE="$(MAKE)" scripts/lanes/check-host.sh

# The SPIN models of the lockless protocol (tools/model), searched
# exhaustively, and the mutants with a fix reverted, each of which must
# fail: about two minutes.  Results in build/summary-check-model.txt.
check-model: deps
	BUILD=$(BUILD) scripts/lanes/check-model.sh

# Crash triage (issue 20): one boot of KVER that runs the stress actors
# under CPU hotplug again and again (scripts/vm/guest/loop.sh) for
# LOOP_SECS seconds (default 480); LOOP_MODE pool (the default), notouch
# (stress_touch=0: no pool page read or written), standin (tpp_standin.ko,
# no pool at all), prog or progall (the test program's hotplug tests, or
# all of its tests, as check runs them).  QEMU_EXTRA tries QEMU options.
# A crash fails the run ("guest did not reach the end", the splat); the
# console is build/<release>/console-loop.log.
LOOP_MODE ?= pool
LOOP_SECS ?= 480
check-loop: deps
	VM_TIMEOUT=$$(($(LOOP_SECS) + 200)) \
	KAPPEND_EXTRA="LOOP_MODE=$(LOOP_MODE) LOOP_SECS=$(LOOP_SECS) $(KAPPEND_EXTRA)" \
		$(MAKE) vm-loop KVER=$(KVER_RELEASE)

# checkpatch --strict, sparse, W=1 and kernel-doc over every source, the
# rst check of the documentation, and the kernel's coccinelle semantic
# patches in report mode over the module's code: any finding fails.
lint: deps
	KDIR=$(KDIR) KSRC_TAR=$(KSRC_TAR) BUILD=$(BUILD) \
		MODDIRS="$(TESTMOD_DIR) $(BLK_DIR) $(CURDIR)/bench" scripts/lanes/lint.sh

# Build and install through DKMS for KVER, check modinfo, then remove it.
dkms: deps
	KVER=$(KVER) scripts/lanes/dkms.sh

# The Debian package pcpu-pagecache-dkms_<version>_all.deb (debian/; the
# version is debian/changelog's), the module's sources for DKMS, built out
# of the tree in build/deb/ (scripts/lanes/deb.sh).  No kernel needed: it
# installs only its build tools when they are missing, not make deps.
deb:
	BUILD=$(BUILD) scripts/lanes/deb.sh

# The package on this machine: built, lintian, installed (DKMS builds the
# module for every kernel with headers), modinfo checked for each, purged,
# nothing left; never loaded.  Results in build/summary-check-deb.txt
# (scripts/lanes/check-deb.sh).
check-deb: deps
	BUILD=$(BUILD) scripts/lanes/check-deb.sh

# The benchmark: one boot of the stock kernel, pcpu_pagecache against its
# no-cache path, genalloc and alloc_pages (BENCHMARKS.md).
bench: deps
	bench/run.sh

# Instructions and memory accesses of one warm single-page pair, ours and
# page_pool's, counted by a QEMU TCG plugin on each stock kernel
# (bench/count/run.sh, BENCHMARKS.md).
bench-count: deps
	bench/count/run.sh

# ppc_core's cost against pool size (16 MiB to 16 TiB), on the host:
# a table, "bench:" lines and SVG charts in build/bench-scale (BENCHMARKS.md).
bench-scale: deps
	BUILD=$(BUILD) MAKE="$(MAKE)" scripts/lanes/bench-scale.sh

deps:
	scripts/setup/deps.sh

# ---- One guest's run ---------------------------------------------------------

ksft-src: $(KSFT_DIR)/lib.mk

$(KSFT_DIR)/lib.mk: scripts/setup/ksft-extract.sh
	scripts/setup/ksft-extract.sh $(KSRC_TAR) $(BUILD)/ksrc
	touch $@

# The per-kernel tree in KOBJ: symlinks to the sources, refreshed on every
# run (dangling ones, of removed sources, dropped).  bench/run.sh builds
# its modules there too.
kobj-tree:
	mkdir -p $(KOBJ)/selftests/modules $(KOBJ)/examples/blk
	find $(KOBJ) $(KOBJ)/selftests/modules $(KOBJ)/examples/blk -maxdepth 1 -xtype l -delete
	ln -sf $(addprefix $(CURDIR)/,$(KOBJ_SRCS)) $(KOBJ)/
	ln -sf $(addprefix $(CURDIR)/,$(KOBJ_TESTMOD_SRCS)) $(KOBJ)/selftests/modules/
	ln -sf $(addprefix $(CURDIR)/,$(KOBJ_BLK_SRCS)) $(KOBJ)/examples/blk/

# The module, then the test modules and the example against its symbols.
kobj-modules: kobj-tree
	$(MAKE) -C $(KDIR) M=$(KOBJ) W=1 modules
	$(MAKE) -C $(KDIR) M=$(KOBJ)/selftests/modules \
		KBUILD_EXTRA_SYMBOLS=$(KOBJ)/Module.symvers W=1 modules
	$(MAKE) -C $(KDIR) M=$(KOBJ)/examples/blk \
		KBUILD_EXTRA_SYMBOLS=$(KOBJ)/Module.symvers W=1 modules

kobj-selftests: ksft-src
	$(MAKE) -C selftests KSFT_DIR=$(KSFT_DIR) OUTPUT=$(KOBJ)/selftests

vm-check: kobj-modules kobj-selftests
	$(VM) check

# The demo runs no kselftest: its guest has only the suite's shell library.
vm-demo: kobj-modules
	$(VM) demo

vm-big: kobj-modules kobj-selftests
	$(VM) big

vm-stable: kobj-modules kobj-selftests
	$(VM) stable

vm-loop: kobj-modules kobj-selftests
	$(VM) loop

.PHONY: check check-kernel demo check-big check-stable check-loop check-debug \
	check-kcsan check-host check-model lint dkms deb check-deb bench \
	bench-count bench-scale deps ksft-src kobj-tree kobj-modules kobj-selftests \
	vm-check vm-demo vm-big \
	vm-stable vm-loop

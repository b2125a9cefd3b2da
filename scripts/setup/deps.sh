#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages that building and testing need, but only the
# ones that are missing: `make check` runs often, and on a machine that has
# everything this costs no apt run at all.  Needs root when something is
# missing.  The kernels (image and headers of 6.1, 6.12 and 6.1-rt, and
# their source) are scripts/setup/install-kernels.sh's: this script hands it the
# other missing packages, so that a fresh machine gets one apt-get update
# and one apt-get install, with no initramfs built (see install-kernels.sh).
#
# DEPS_KERNELS: the kernel series to install (default: all three).  The
#   Makefile sets it for the goals that boot or build for one kernel
#   (`make demo`, `make lint`, `make dkms`...): KVER's series, or 6.1.
#   A kernel a goal needs later is still installed then, by its own
#   scripts/setup/install-kernels.sh --kver run.
# DEPS_MIN=1: only what building the module and `make demo` need (no fio,
#   whose Ceph and RDMA libraries are a third of the first run's download;
#   the block-device tests skip without it).  The Makefile sets it for
#   `make demo`.
# EXTRA_PKGS adds packages.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)

# Building: gcc, make, perl (kernel-doc under W=1 needs more than
# perl-base); the kselftest framework and checkpatch come from
# linux-source-6.1 whatever the kernel (xz-utils unpacks it, rsync
# installs the kselftest tree); the guest: QEMU, busybox, kmod, bash,
# coreutils, cpio; the block-device tests: e2fsprogs, fio, util-linux.
pkgs=(
	qemu-system-x86 busybox-static cpio kmod bash coreutils
	make gcc libc6-dev perl rsync xz-utils linux-source-6.1
	e2fsprogs util-linux
)
# spin: the model checker of make check-model (tools/model).
[[ ${DEPS_MIN:-} == 1 ]] || pkgs+=(fio spin)
# shellcheck disable=SC2206 # word splitting is the point here
pkgs+=(${EXTRA_PKGS:-})

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $st == "install ok installed" ]] || missing+=("$p")
done

# Releases (KERNELS may name some) are already installed: only the series
# are looked at, and 6.1 when none is left, for its source.
kernels=()
for k in ${DEPS_KERNELS:-6.1 6.12 6.1-rt}; do
	case $k in
	6.1 | 6.12 | 6.1-rt) kernels+=("$k") ;;
	esac
done
[[ ${#kernels[@]} -gt 0 ]] || kernels=(6.1)
args=()
for p in "${missing[@]}"; do
	args+=(--with "$p")
done
# Its stdout lists the releases: not wanted here.
"$top/scripts/setup/install-kernels.sh" "${args[@]}" "${kernels[@]}" >/dev/null

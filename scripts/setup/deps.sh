#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages that building and testing need, but only the
# ones that are missing: apt-get update alone costs half a minute, and
# `make check` runs often.  Needs root when something is missing.  The
# kernels (image, headers and source of 6.1, 6.12 and 6.1-rt) are
# scripts/setup/install-kernels.sh's: it runs last.
#
# EXTRA_PKGS adds packages.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)

pkgs=(
	qemu-system-x86 busybox-static cpio kmod bash coreutils
	make gcc libc6-dev rsync xz-utils
	e2fsprogs fio util-linux
)
# shellcheck disable=SC2206 # word splitting is the point here
pkgs+=(${EXTRA_PKGS:-})

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $st == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
	echo "deps: installing ${missing[*]}" >&2
	if [[ $(id -u) -ne 0 ]]; then
		echo "deps: missing packages and not root: run as root" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2
fi

# Its stdout lists the releases: not wanted here.
"$top/scripts/setup/install-kernels.sh" >/dev/null

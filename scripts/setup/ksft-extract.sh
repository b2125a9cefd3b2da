#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract the kselftest framework (lib.mk, kselftest.h and friends, the
# runner) and the cpu-hotplug test from the linux-source tarball into DEST.
# They are not in the headers package, and kernel source must not be copied
# into the repository, so they are taken at build time.
#
# usage: ksft-extract.sh TARBALL DEST
set -euo pipefail

tarball=$1
dest=$2
top=$(basename "$tarball" .tar.xz)	# linux-source-6.1
sel=$top/tools/testing/selftests

if [[ ! -r $tarball ]]; then
	echo "ksft-extract: $tarball missing (apt-get install ${top})" >&2
	exit 1
fi

# Unpack into a temporary directory and rename it: an interrupted run must
# not leave a half-extracted tree that looks complete.
rm -rf "$dest" "$dest.tmp"
mkdir -p "$dest.tmp"
# The tarball is xz in blocks: xz -T0 unpacks them on every CPU (half the
# time on 2).
tar -I 'xz -T0' -xf "$tarball" -C "$dest.tmp" --strip-components=1 --wildcards \
	"$sel/kselftest*" "$sel/lib.mk" "$sel/run_kselftest.sh" \
	"$sel/cpu-hotplug/*"
mv "$dest.tmp" "$dest"

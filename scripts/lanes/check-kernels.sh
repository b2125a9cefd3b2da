#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: run the kselftest suite on each kernel given, one boot each
# (`make check-kernel KVER=<release>`), each kernel's results under a
# header naming it, then one line per kernel and a final combined line
# `N passed, N failed[, N skipped]`, also written to
# $BUILD/summary-check.txt (.ci/run repeats its last line).  Exit status:
# non-zero if any kernel failed.
#
# usage: check-kernels.sh KERNEL...
#   KERNEL  a release (6.1.0-56-amd64; its build tree and image are
#           /lib/modules/<release>/build and /boot/vmlinuz-<release>,
#           unless KDIR and KIMAGE are on make's command line), or a series
#           that scripts/setup/install-kernels.sh knows (6.1, 6.12, 6.1-rt):
#           its installed release.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
summary=$BUILD/summary-check.txt
MAKE=${MAKE:-make}

[[ $# -gt 0 ]] || { echo "usage: $0 KERNEL..." >&2; exit 2; }

mkdir -p "$BUILD"
rm -f "$summary"
lines=() rc=0 passed=0 failed=0 skipped=0 start=$SECONDS

for k in "$@"; do
	# "host": ppc_core's host tests (make check-host), no VM.
	# "model": the SPIN models of the protocol (make check-model).
	if [[ $k == host || $k == model ]]; then
		echo "=== $k: make check-$k ==="
		t0=$SECONDS
		rm -f "$BUILD/summary-check-$k.txt"
		"$MAKE" --no-print-directory -C "$top" "check-$k" </dev/null || rc=1
		last=$(tail -n 1 "$BUILD/summary-check-$k.txt" 2>/dev/null)
		[[ -n $last ]] || { last="0 passed, 1 failed"; rc=1; }
		echo "=== $k: $last ($((SECONDS - t0)) s) ==="
		lines+=("$k tests: $last")
		read -r p f s < <(awk '{ print $1 + 0, $3 + 0, ($5 == "" ? 0 : $5 + 0) }' <<<"$last")
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
		continue
	fi
	if [[ $k =~ ^[0-9]+\.[0-9]+(-rt)?$ ]]; then
		if ! r=$("$top/scripts/setup/install-kernels.sh" --kver "$k"); then
			lines+=("$k: not installed: 0 passed, 1 failed")
			failed=$((failed + 1)) rc=1
			continue
		fi
	else
		r=$k
	fi
	ksum=$BUILD/$r/summary-check.txt
	rm -f "$ksum"
	echo "=== pcpu_pagecache selftests on $r ==="
	t0=$SECONDS
	"$MAKE" --no-print-directory -C "$top" check-kernel KVER="$r" \
		KOBJ="$BUILD/$r" </dev/null || rc=1
	if [[ -s $ksum ]]; then
		last=$(tail -n 1 "$ksum")
	else
		echo "host: not ok $r: make check-kernel failed before running the tests"
		last="0 passed, 1 failed"
		rc=1
	fi
	echo "=== $r: $last ($((SECONDS - t0)) s) ==="
	lines+=("$r: $last")
	# "N passed, N failed[, N skipped]"
	read -r p f s < <(awk '{ print $1 + 0, $3 + 0, ($5 == "" ? 0 : $5 + 0) }' <<<"$last")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done

total="$passed passed, $failed failed"
[[ $skipped -eq 0 ]] || total+=", $skipped skipped"
[[ $failed -eq 0 ]] || rc=1
{
	echo "=== all kernels ($# in $((SECONDS - start)) s) ==="
	printf '%s\n' "${lines[@]}"
	echo "$total"
} | tee "$summary"
exit "$rc"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-debug: the kselftest suite on the debug kernel (KASAN,
# lockdep, DEBUG_PREEMPT, DEBUG_ATOMIC_SLEEP, kmemleak, UBSAN, KUnit, fault
# injection), booted in QEMU like `make check`, plus:
#   - the KUnit results from the console, one result per case
#     (scripts/ktap/kunit-console.sh);
#   - after the suite, every module of ours unloaded and a kmemleak scan
#     (scripts/vm/guest/debug-extras.sh);
#   - pcpu_pagecache_fault.sh, which runs (and does not skip) here.
# Any kernel splat fails the run, as in `make check`.
#
# The kernel comes from scripts/setup/build-debug-kernel.sh: built once from
# linux-source-6.1, selftests/config and config.debug, then cached.  The module, the
# test modules and the test program are built for it in build/<release>
# (`make check-kernel`), the module with its KUnit suites.  The last lines printed name how many tests ran
# and how many splats the console had, then "N passed, N failed[, N
# skipped]"; the last two are also in $BUILD/summary-check-debug.txt.
# Exit status: non-zero if anything failed.
#
# Environment: BUILD (default build/), MAKE, VM_TIMEOUT (default 1800: the
# debug kernel under software emulation is slow).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
MAKE=${MAKE:-make}
summary=$BUILD/summary-check-debug.txt
start=$SECONDS

mkdir -p "$BUILD"
rm -f "$summary"

fail()
{
	echo "check-debug: $*"
	{
		echo "debug: 0 tests ran: $*"
		echo "0 passed, 1 failed"
	} | tee "$summary"
	exit 1
}

t0=$SECONDS
kdir=$("$top/scripts/setup/build-debug-kernel.sh" | tail -n 1) ||
	fail "the debug kernel did not build"
[[ -f $kdir/kernelrelease && -f $kdir/bzImage ]] ||
	fail "no debug kernel in '$kdir'"
kver=$(cat "$kdir/kernelrelease")
kobj=$BUILD/$kver
echo "check-debug: kernel $kver in $kdir ($((SECONDS - t0)) s)"

# The suite, with the lane's extras on both sides of the VM, and the
# module built with its KUnit suites (PCPU_PAGECACHE_KUNIT_TEST, Kbuild:
# on make's command line, it reaches the module's build in kobj-modules).
export GUEST_EXTRA=$top/scripts/vm/guest/debug-extras.sh
export HOST_EXTRA=$top/scripts/ktap/kunit-console.sh
export VM_TIMEOUT=${VM_TIMEOUT:-1800}
rm -f "$kobj/summary-check.txt" "$kobj/splats-check.txt"
"$MAKE" --no-print-directory -C "$top" check-kernel KVER="$kver" \
	KDIR="$kdir" KIMAGE="$kdir/bzImage" KOBJ="$kobj" \
	PCPU_PAGECACHE_KUNIT_TEST=y </dev/null
rc=$?
[[ -s $kobj/summary-check.txt ]] ||
	fail "make check-kernel failed before running the tests"

last=$(tail -n 1 "$kobj/summary-check.txt")
read -r passed failed skipped < <(awk '{ print $1 + 0, $3 + 0, ($5 == "" ? 0 : $5 + 0) }' <<<"$last")
kunit=$(grep -c '^# \(not \)\?ok [0-9]* kunit: ' "$kobj/summary-check.txt")

# One splat is one report: a matching line other than "Call Trace:", or a
# "Call Trace:" with no such line in the 40 console lines before it.
# Shown: each distinct report line once (without its timestamp), with how
# many times and the console line of the first.
splats=0
if [[ -s $kobj/splats-check.txt ]]; then
	splats=$(awk -F '\t' '
		$2 !~ /Call Trace:/ { n++; head = $1; next }
		!head || $1 - head > 40 { n++ }
		END { print n + 0 }' "$kobj/splats-check.txt")
	echo "check-debug: kernel splats in $kobj/console-check.log:"
	awk -F '\t' '
		{ t = $2; sub(/\r$/, "", t); sub(/^\[ *[0-9]+\.[0-9]+\] /, "", t) }
		!(t in count) { order[++n] = t; first[t] = $1 }
		{ count[t]++ }
		END {
			for (i = 1; i <= n && i <= 12; i++)
				printf "check-debug: | %dx, first at line %d: %s\n", count[order[i]], first[order[i]], order[i]
			if (n > 12)
				printf "check-debug: | ... %d more distinct lines\n", n - 12
		}' "$kobj/splats-check.txt"
fi
allowed=$(grep -c 'pcpu_pagecache_fault: begin' "$kobj/console-check.log" 2>/dev/null)

[[ $failed -eq 0 && $splats -eq 0 && $passed -gt 0 ]] || rc=1
{
	echo "debug: $kver: $((passed + failed + skipped)) tests ran ($kunit KUnit cases, ${allowed:-0} fault injections), $splats splats ($((SECONDS - start)) s)"
	echo "$last"
} | tee "$summary"
exit "$rc"

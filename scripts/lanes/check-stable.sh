#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-stable: is the stress under CPU hotplug stable?  On each
# kernel given, one boot that runs the suite's stress_with_hotplug
# STABLE_RUNS times in a row, STABLE_SECS seconds each (vm.sh stable,
# scripts/vm/guest/stable.sh): a run fails on its own verdict or on a
# kernel splat in its part of the console, and if the guest dies, the run
# it died in and every run after it fail too.  The defaults, 4 runs of 60 s
# (the suite's own duration), take about 5 minutes a kernel here.
#
# Prints each kernel's runs under a header, then one line per kernel
# naming the release the guest ran (its uname -r) and how many runs
# passed, then "N passed, N failed", counting runs; the same lines are in
# $BUILD/summary-stable.txt.  Exit status: non-zero if any run failed.
#
# usage: check-stable.sh KERNEL...
#   KERNEL  a release, or a series that scripts/setup/install-kernels.sh
#           knows (6.1, 6.12, 6.1-rt): its installed release
# Environment: BUILD, MAKE, STABLE_RUNS (4), STABLE_SECS (60), VM_TIMEOUT
# (default: enough for the runs, twice over; the console watchdog of
# vm.sh catches a guest that stops much sooner).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
MAKE=${MAKE:-make}
summary=$BUILD/summary-stable.txt
export STABLE_RUNS=${STABLE_RUNS:-4} STABLE_SECS=${STABLE_SECS:-60}
export VM_TIMEOUT=${VM_TIMEOUT:-$((300 + STABLE_RUNS * (2 * STABLE_SECS + 60)))}

[[ $# -gt 0 ]] || { echo "usage: $0 KERNEL..." >&2; exit 2; }
[[ $STABLE_RUNS =~ ^[1-9][0-9]*$ && $STABLE_SECS =~ ^[1-9][0-9]*$ ]] ||
	{ echo "check-stable: STABLE_RUNS and STABLE_SECS must be positive numbers" >&2; exit 2; }

mkdir -p "$BUILD"
rm -f "$summary"
lines=() passed=0 failed=0 start=$SECONDS

for k in "$@"; do
	if [[ $k =~ ^[0-9]+\.[0-9]+(-rt)?$ ]]; then
		if ! r=$("$top/scripts/setup/install-kernels.sh" --kver "$k"); then
			lines+=("$k: not installed: 0 of $STABLE_RUNS runs passed")
			failed=$((failed + STABLE_RUNS))
			continue
		fi
	else
		r=$k
	fi
	ksum=$BUILD/$r/summary-stable.txt
	rm -f "$ksum"
	echo "=== stress_with_hotplug, $STABLE_RUNS runs of $STABLE_SECS s, on $r ==="
	t0=$SECONDS
	"$MAKE" --no-print-directory -C "$top" vm-stable KVER="$r" \
		KOBJ="$BUILD/$r" </dev/null
	# "RELEASE: P of N runs passed", then "P passed, F failed".
	if [[ $(tail -n 1 "$ksum" 2>/dev/null) =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
		line="$(tail -n 2 "$ksum" | head -n 1) ($((SECONDS - t0)) s)"
	else
		echo "host: not ok $r: the build or the guest failed before any run"
		p=0 f=$STABLE_RUNS
		line="$r: did not run: 0 of $STABLE_RUNS runs passed"
	fi
	echo "=== $line ==="
	lines+=("$line")
	passed=$((passed + p)) failed=$((failed + f))
done

{
	echo "=== check-stable: $STABLE_RUNS runs of stress_with_hotplug ($STABLE_SECS s)" \
		"on $# kernel(s) in $((SECONDS - start)) s ==="
	printf '%s\n' "${lines[@]}"
	echo "$passed passed, $failed failed"
} | tee "$summary"
[[ $failed -eq 0 && $passed -gt 0 ]]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make check-debug` and `make check-kcsan`, after the
# kselftest collection (vm.sh GUEST_EXTRA): unload every module of ours, so
# that their exit paths run under the lane's checkers too, then ask the
# kernel's checker of the lane what it saw.  Prints one more program's
# results in the runner's format, so the host counts them with the others:
#
#   all_modules_unloaded  no module of /lib/modules/$(uname -r)/extra is
#                         loaded any more (a test that failed may have
#                         left one)
# On the debug kernel (kmemleak):
#   kmemleak_no_leaks     two kmemleak scans (an object is reported once it
#                         stays unreferenced across scans and is 5 s old)
#                         find no new suspected leak; the report is shown,
#                         and the leaks whose backtrace runs through one of
#                         our modules (by name, or as a bare address of an
#                         unloaded module) are counted apart
# On the KCSAN kernel:
#   kcsan_was_watching    /sys/kernel/debug/kcsan says KCSAN is enabled and
#                         has set up watchpoints; its counters are shown.
#                         The races themselves are counted by the host,
#                         from the "BUG: KCSAN:" reports in the console.
set -u

# shellcheck source=../../../selftests/ktap.sh
. /kselftest/pcpu_pagecache/ktap.sh

KMEMLEAK=/sys/kernel/debug/kmemleak
KCSAN=/sys/kernel/debug/kcsan
num=$(($(grep -c . /kselftest/kselftest-list.txt 2>/dev/null || echo 0) + 1))
if [[ -e $KCSAN ]]; then
	prog="selftests: kcsan: kcsan_after_unload"
	names=(all_modules_unloaded kcsan_was_watching)
else
	prog="selftests: debug: kmemleak_after_unload"
	names=(all_modules_unloaded kmemleak_no_leaks)
fi

mapfile -t ours < <(for f in /lib/modules/"$(uname -r)"/extra/*.ko; do
	[[ -e $f ]] && basename "$f" .ko
done)

loaded_ours()
{
	local m

	for m in "${ours[@]}"; do
		grep -q "^$m " /proc/modules && echo "$m"
	done
}

# Users before the modules they use: retry until nothing more goes.
all_modules_unloaded()
{
	local left m

	for _ in 1 2 3 4 5; do
		left=$(loaded_ours)
		[[ -z $left ]] && break
		for m in $left; do
			rmmod "$m" 2>/dev/null
		done
	done
	left=$(loaded_ours)
	[[ -z $left ]] && return 0
	ktap_diag "still loaded: $(echo "$left" | tr '\n' ' ')"
	return 1
}

kmemleak_no_leaks()
{
	local report names

	echo scan > "$KMEMLEAK"
	sleep 5
	echo scan > "$KMEMLEAK"
	report=$(cat "$KMEMLEAK")
	[[ -z $report ]] && return 0
	# Our modules' frames: by name while the module is loaded, a bare
	# module-space address once it is gone.
	names=$(IFS='|'; echo "${ours[*]}")
	[[ -n $names ]] || names=no-module-of-ours
	awk -v names="$names" '
		/^unreferenced object/ { n++; cur = n }
		cur && ($0 ~ "\\[(" names ")\\]" || $0 ~ "(" names ")" ||
			 /\[<ffffffff[a-f][0-9a-f]{7}>\] 0xffffffff[a-f]/) { ours[cur] = 1 }
		END {
			m = 0
			for (i in ours) m++
			printf "# kmemleak: %d suspected leaks, %d with frames in our modules\n", n, m
		}' <<<"$report"
	ktap_diag "$(head -n 120 <<<"$report")"
	return 1
}

kcsan_was_watching()
{
	local stats

	stats=$(cat "$KCSAN") || return 1
	ktap_diag "$(grep -E '^[a-z_]+: ' <<<"$stats" | tr '\n' ' ')"
	grep -qx 'enabled: 1' <<<"$stats" || { ktap_diag "KCSAN is not enabled"; return 1; }
	awk '$1 == "setup_watchpoints:" && $2 > 0 { ok = 1 } END { exit !ok }' <<<"$stats" ||
		{ ktap_diag "KCSAN set up no watchpoint"; return 1; }
}

# The program's results nested under it, as the runner prints them.
lane_checks()
{
	ktap_plan "${#names[@]}"
	check all_modules_unloaded all_modules_unloaded
	if [[ -e $KCSAN ]]; then
		if [[ -r $KCSAN ]]; then
			check kcsan_was_watching kcsan_was_watching
		else
			ktap_diag "no $KCSAN"
			not_ok kcsan_was_watching
		fi
	elif [[ -w $KMEMLEAK ]]; then
		check kmemleak_no_leaks kmemleak_no_leaks
	else
		skip kmemleak_no_leaks "no $KMEMLEAK"
	fi
	ktap_finished
}

echo "# $prog"
(lane_checks) | sed 's/^/# /'
if [[ ${PIPESTATUS[0]} -eq 0 ]]; then
	echo "ok $num $prog"
else
	echo "not ok $num $prog"
fi

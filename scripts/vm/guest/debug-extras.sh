#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make check-debug`, after the kselftest collection
# (vm.sh GUEST_EXTRA): unload every module of ours, then have kmemleak
# look for leaks.  Prints one more program's results in the runner's
# format, so the host counts them with the others:
#
#   all_modules_unloaded  no module of /lib/modules/$(uname -r)/extra is
#                         loaded any more (a test that failed may have
#                         left one)
#   kmemleak_no_leaks     two kmemleak scans (an object is reported once it
#                         stays unreferenced across scans and is 5 s old)
#                         find no new suspected leak; the report is shown,
#                         and the leaks whose backtrace runs through one of
#                         our modules (by name, or as a bare address of an
#                         unloaded module) are counted apart
set -u

# shellcheck source=../../../selftests/ktap.sh
. /kselftest/pcpu_pagecache/ktap.sh

KMEMLEAK=/sys/kernel/debug/kmemleak
prog="selftests: debug: kmemleak_after_unload"
num=$(($(grep -c . /kselftest/kselftest-list.txt 2>/dev/null || echo 0) + 1))
names=(all_modules_unloaded kmemleak_no_leaks)

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

# The program's results nested under it, as the runner prints them.
debug_checks()
{
	ktap_plan "${#names[@]}"
	check all_modules_unloaded all_modules_unloaded
	if [[ -w $KMEMLEAK ]]; then
		check kmemleak_no_leaks kmemleak_no_leaks
	else
		skip kmemleak_no_leaks "no $KMEMLEAK"
	fi
	ktap_finished
}

echo "# $prog"
(debug_checks) | sed 's/^/# /'
if [[ ${PIPESTATUS[0]} -eq 0 ]]; then
	echo "ok $num $prog"
else
	echo "not ok $num $prog"
fi

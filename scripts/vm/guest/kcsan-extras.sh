#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make check-kcsan`, after the kselftest collection
# (vm.sh GUEST_EXTRA): unload every module of ours, so that their exit
# paths run under KCSAN too, then check that KCSAN was watching all along.
# Prints one more program's results in the runner's format, so the host
# counts them with the others:
#
#   all_modules_unloaded  no module of /lib/modules/$(uname -r)/extra is
#                         loaded any more (a test that failed may have
#                         left one)
#   kcsan_was_watching    /sys/kernel/debug/kcsan says KCSAN is enabled and
#                         has set up watchpoints; its counters are shown.
#                         The races themselves are counted by the host,
#                         from the "BUG: KCSAN:" reports in the console.
set -u

# shellcheck source=../../../selftests/ktap.sh
. /kselftest/pcpu_pagecache/ktap.sh

KCSAN=/sys/kernel/debug/kcsan
prog="selftests: kcsan: kcsan_after_unload"
num=$(($(grep -c . /kselftest/kselftest-list.txt 2>/dev/null || echo 0) + 1))
names=(all_modules_unloaded kcsan_was_watching)

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
kcsan_checks()
{
	ktap_plan "${#names[@]}"
	check all_modules_unloaded all_modules_unloaded
	if [[ -r $KCSAN ]]; then
		check kcsan_was_watching kcsan_was_watching
	else
		ktap_diag "no $KCSAN"
		not_ok kcsan_was_watching
	fi
	ktap_finished
}

echo "# $prog"
(kcsan_checks) | sed 's/^/# /'
if [[ ${PIPESTATUS[0]} -eq 0 ]]; then
	echo "ok $num $prog"
else
	echo "not ok $num $prog"
fi

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# CPU hotplug under load: while test_pcpu_pagecache's workload allocates
# and frees on the default pool, take CPUs down and up with the kernel's
# own cpu-hotplug selftest (tools/testing/selftests/cpu-hotplug, shipped
# next to this script), then check that no page was lost: a dead CPU's
# cache must be flushed, and once the workload stops every page is free.
set -u

here=$(dirname "$0")
. "$here/ktap.sh"
. "$here/pcpu_pagecache_lib.sh"

CPU_ON_OFF=$here/cpu-on-off-test.sh
CPU1=/sys/devices/system/cpu/cpu1/online

# Result names in order, so that a test that cannot go on still reports
# every planned result.
names=(
	load_pool
	workload_start
	cpu1_offline_no_leaked_pages
	cpu1_offline_stats_invariant
	cpu1_online
	cpu_on_off_test_one_cpu
	cpu_on_off_test_all_cpus
	cpus_restored
	workload_stop_reports_no_error
	pages_inuse_zero
	pages_leaked_zero
	stats_invariant
	unload
)
# What bail (ktap.sh) leaves behind it.
ktap_cleanup()
{
	unload_all 2>/dev/null
}

# expect_stat NAME WANT
expect_stat()
{
	local got

	if ! got=$(stat_get "$1"); then
		ktap_diag "no $1 in $PCP_STATS"
		return 1
	fi
	if [[ $got != "$2" ]]; then
		ktap_diag "$1 is $got, expected $2"
		return 1
	fi
}

check_invariant()
{
	local msg

	msg=$(stats_invariant) && return 0
	ktap_diag "$msg"
	return 1
}

# run_cpu_on_off ARGS...: the kernel's script, its output as diagnostics.
run_cpu_on_off()
{
	local rc

	"$CPU_ON_OFF" "$@" 2>&1 | sed 's/^/# /'
	rc=${PIPESTATUS[0]}
	[[ $rc -eq 0 ]] || ktap_diag "cpu-on-off-test.sh $* exited $rc"
	return "$rc"
}

ktap_plan ${#names[@]}

if [[ $(id -u) -ne 0 ]]; then
	echo "# must run as root"
	exit "$KSFT_SKIP"
fi
if [[ ! -w $CPU1 ]]; then
	echo "# cpu1 is not hotpluggable"
	exit "$KSFT_SKIP"
fi

if mod_loaded "$PCP_MOD"; then
	ktap_diag "$PCP_MOD was loaded before the test; unloading it"
	unload_all || bail "could not unload the modules"
fi
online_before=$(cat /sys/devices/system/cpu/online)

if ! modprobe "$PCP_MOD" base=$PCP_RES_BASE size=$PCP_RES_SIZE; then
	bail "modprobe $PCP_MOD base=$PCP_RES_BASE size=$PCP_RES_SIZE failed"
fi
ok load_pool

# The workload comes from the test module; without it, hotplug still runs
# on an idle pool, which checks the flush of warm caches only.
workload=0
if ! mod_available "$PCP_TEST_MOD"; then
	skip workload_start "$PCP_TEST_MOD not available"
elif ! modprobe "$PCP_TEST_MOD"; then
	bail "modprobe $PCP_TEST_MOD failed"
elif [[ ! -w $PCP_WORKLOAD ]]; then
	bail "$PCP_TEST_MOD has no $PCP_WORKLOAD"
elif ! echo start > "$PCP_WORKLOAD"; then
	not_ok workload_start
else
	workload=1
	ok workload_start
	# Let the workload warm every CPU's cache before the first offline.
	sleep 2
fi

# A dead CPU's window must go back to the bitmaps, not stay in its cache.
if echo 0 > "$CPU1"; then
	expect_stat pages_leaked 0
	result cpu1_offline_no_leaked_pages $?
	check_invariant
	result cpu1_offline_stats_invariant $?
	echo 1 > "$CPU1" && [[ $(cat "$CPU1") == 1 ]]
	result cpu1_online $?
else
	ktap_diag "could not offline cpu1"
	not_ok cpu1_offline_no_leaked_pages
	not_ok cpu1_offline_stats_invariant
	not_ok cpu1_online
fi

# Default mode: offline and online the highest CPU.
run_cpu_on_off
result cpu_on_off_test_one_cpu $?
# -a: offline every hotpluggable CPU but one, then online them all.
run_cpu_on_off -a
result cpu_on_off_test_all_cpus $?

online_after=$(cat /sys/devices/system/cpu/online)
[[ $online_after == "$online_before" ]] ||
	ktap_diag "online CPUs $online_after, were $online_before"
[[ $online_after == "$online_before" ]]
result cpus_restored $?

# The write fails if the workload saw a bad page or a failed check.
if [[ $workload -eq 1 ]]; then
	if echo stop > "$PCP_WORKLOAD"; then
		ok workload_stop_reports_no_error
	else
		ktap_diag "workload: $(cat "$PCP_WORKLOAD" 2>&1)"
		not_ok workload_stop_reports_no_error
	fi
else
	skip workload_stop_reports_no_error "no workload"
fi

expect_stat pages_inuse 0
result pages_inuse_zero $?
expect_stat pages_leaked 0
result pages_leaked_zero $?
check_invariant
result stats_invariant $?
unload_all
result unload $?

ktap_finished

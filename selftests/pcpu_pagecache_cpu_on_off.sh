#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# CPU hotplug: a CPU going offline gives its window back to the pool, and
# no page is lost while CPUs go down and up under load.
#
# hotplug_offline_flush is the one test of the flush.  Under
# test_pcpu_pagecache's workload, cpu1 goes offline: no page leaked, the
# stats add up on the test module's exact snapshot, and the dead CPU holds
# no window.  Then, on the quiet pool (drained, then warmed), each CPU
# that can go offline in turn, its window warm: going offline moves exactly the pages its cpus row
# held from pages_cached to pages_free, the row shows no window any more,
# the flush trace event (where tracefs is) names that CPU, window and page
# count with reason=hotplug, and back online the CPU gets a window again.
#
# Then the kernel's own cpu-hotplug selftest (shipped next to this script)
# takes one CPU, then every CPU but one, down and up under the workload;
# once it stops every page is free.
set -u

here=$(dirname "$0")
. "$here/pcpu_pagecache_lib.sh"

names=(
	load_pool
	workload_start
	hotplug_offline_flush
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
	trace_event flush 0
	unload_all 2>/dev/null
}

# offline_exact CPU: on the quiet pool, CPU's warm window goes back to the
# pool, page for page, when CPU goes offline; it gets one again once back.
# The drain first gives back the batches of remote frees the workload left,
# which the cpus file does not count.
offline_exact()
{
	local cpu=$1 online base cached bad=0 tracing=0 flushes
	local -A a b

	echo 1 > "$PCP_DEBUGFS/default/drain" || return 1
	tp_run warm_all || return 1
	stats_invariant "$PCP_STATS" || return 1
	stats_read a || return 1
	read -r online base cached < <(cpu_row "$cpu")
	if [[ $online != 1 || $base == 0x0 || ${cached:-0} -le 0 ]]; then
		ktap_diag "cpu$cpu warm: online $online window $base cached $cached"
		return 1
	fi
	if trace_event flush 1; then
		tracing=1
		trace_clear
	fi

	cpu_set "$cpu" 0 || return 1
	stats_read b || return 1
	stats_invariant "$PCP_STATS" || bad=1
	expect_eq "pages_leaked" "${b[pages_leaked]}" 0 || bad=1
	expect_eq "cpu$cpu offline: pages_cached" "${b[pages_cached]}" \
		$((a[pages_cached] - cached)) || bad=1
	expect_eq "cpu$cpu offline: pages_free" "${b[pages_free]}" \
		$((a[pages_free] + cached)) || bad=1
	expect_eq "cpu$cpu offline: pages_inuse" "${b[pages_inuse]}" \
		"${a[pages_inuse]}" || bad=1
	expect_eq "offline cpu$cpu's row (online window cached)" \
		"$(cpu_row "$cpu")" "0 0x0 0" || bad=1
	if ((tracing)); then
		flushes=$(trace_events | awk '$1 == "flush" { $1 = ""; print substr($0, 2) }')
		trace_event flush 0
		expect_eq "flush events of cpu$cpu going offline" "$flushes" \
			"pool=default cpu=$cpu base=$base npages=$cached reason=hotplug" ||
			bad=1
	fi

	cpu_set "$cpu" 1 || return 1
	tp_run warm_all || return 1
	read -r online base cached < <(cpu_row "$cpu")
	if [[ $online != 1 || $base == 0x0 || ${cached:-0} -le 0 ]]; then
		ktap_diag "cpu$cpu back online: online $online window $base cached $cached"
		bad=1
	fi
	return "$bad"
}

# hotplug_offline_flush: both, the workload paused for the exact part.
hotplug_offline_flush()
{
	local cpu bad=0

	if [[ $workload -eq 1 ]]; then
		cpu_offline_flushed 1 default "$PCP_SNAPSHOT" || bad=1
		if ! echo stop > "$PCP_WORKLOAD"; then
			ktap_diag "workload: $(cat "$PCP_WORKLOAD" 2>&1)"
			bad=1
		fi
	fi
	for cpu in $(hotplug_cpus); do
		offline_exact "$cpu" || { bad=1; break; }
	done
	if [[ $workload -eq 1 ]] && ! echo start > "$PCP_WORKLOAD"; then
		ktap_diag "cannot start the workload again"
		bad=1
	fi
	return "$bad"
}

ktap_plan
need_root
[[ -w $PCP_CPU_DIR/cpu1/online ]] || skip_program "cpu1 is not hotpluggable"
start_clean || bail "could not unload the modules"
online_before=$(cat "$PCP_CPU_DIR/online")

modprobe "$PCP_MOD" base=$PCP_RES_BASE size=$PCP_RES_SIZE ||
	bail "modprobe $PCP_MOD base=$PCP_RES_BASE size=$PCP_RES_SIZE failed"
ok load_pool

# The workload and the warm windows come from the test module; without it,
# hotplug still runs on an idle pool.
workload=0
if ! mod_available "$PCP_TEST_MOD"; then
	skip workload_start "$PCP_TEST_MOD not available"
	skip hotplug_offline_flush "$PCP_TEST_MOD not available"
else
	modprobe "$PCP_TEST_MOD" || bail "modprobe $PCP_TEST_MOD failed"
	[[ -w $PCP_WORKLOAD ]] || bail "$PCP_TEST_MOD has no $PCP_WORKLOAD"
	if echo start > "$PCP_WORKLOAD"; then
		workload=1
		ok workload_start
		# Let the workload warm every CPU's window.
		sleep 2
	else
		not_ok workload_start
	fi
	check hotplug_offline_flush hotplug_offline_flush
fi

# Default mode: offline and online the highest CPU.
check cpu_on_off_test_one_cpu run_cpu_on_off
# -a: offline every hotpluggable CPU but one, then online them all.
check cpu_on_off_test_all_cpus run_cpu_on_off -a
check cpus_restored expect_eq "online CPUs" "$(cat "$PCP_CPU_DIR/online")" \
	"$online_before"

# The write fails if the workload saw a bad page or a failed check.
if [[ $workload -eq 0 ]]; then
	skip workload_stop_reports_no_error "no workload"
elif echo stop > "$PCP_WORKLOAD"; then
	ok workload_stop_reports_no_error
else
	ktap_diag "workload: $(cat "$PCP_WORKLOAD" 2>&1)"
	not_ok workload_stop_reports_no_error
fi

check pages_inuse_zero expect_stat pages_inuse 0
check pages_leaked_zero expect_stat pages_leaked 0
check stats_invariant stats_invariant
check unload unload_all

ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the big-guest lane (vm.sh big): many CPUs and a 1 GiB
# reserved region, where a design that is right only at 4 CPUs breaks.
# The default pool takes the 1 GiB range at 1 GiB, the test module the
# 256 MiB at 2 GiB.  It runs every test of the test module there, the
# exhaustion of the whole 1 GiB pool (drained, and with every CPU's window
# warm), the stress actors under CPU hotplug, and the kernel's CPU on/off
# test under a workload; KTAP on stdout.  The guest has two NUMA nodes
# (vm.sh big): node 0 ends at NUMA_SPLIT, inside the default pool's range,
# so that a pool from the page allocator and the reserved one both span
# the nodes, and numa_local checks that each CPU is served from its node.
cd /kselftest/pcpu_pagecache || exit 1
# shellcheck source=../../../selftests/ktap.sh
. ./ktap.sh
# shellcheck source=../../../selftests/pcpu_pagecache_lib.sh
. ./pcpu_pagecache_lib.sh

BIG_BASE=0x40000000
BIG_SIZE=0x40000000
BIG_PAGES=262144
TEST_BASE=0x80000000
TEST_SIZE=0x10000000
TP=/sys/kernel/debug/test_pcpu_pagecache
CPU_ON_OFF=$PWD/cpu-on-off-test.sh
HOTPLUG_SECS=${HOTPLUG_SECS:-40}
# Where vm.sh's node 1 begins (VM_NUMA_SPLIT_MB, 1792 MiB).
NUMA_SPLIT=0x70000000
PP=/sys/kernel/debug/pcpu_pagecache/default

# run NAME: one test or action of the test module, as one result.
run()
{
	local t0=$SECONDS

	if echo "$1" > "$TP/run" 2>/dev/null; then
		ktap_ok "$2"
	else
		ktap_diag "$1 failed after $((SECONDS - t0)) s:"
		dmesg | grep -E 'test_pcpu_pagecache|pcpu_pagecache:' | tail -n 8 |
			sed 's/^/  /' | while IFS= read -r l; do ktap_diag "$l"; done
		ktap_not_ok "$2"
	fi
}

ncpus=$(nproc)
echo "# big guest: $ncpus CPUs online, possible $(cat /sys/devices/system/cpu/possible)"
tests=()
if modprobe "$PCP_MOD" base=$BIG_BASE size=$BIG_SIZE &&
   modprobe "$PCP_TEST_MOD" resv_base=$TEST_BASE resv_size=$TEST_SIZE \
	stress_secs=20; then
	mapfile -t tests < <(grep -v '^stress$' "$TP/list")
fi
ktap_plan $((${#tests[@]} + 13))

[[ ${#tests[@]} -gt 0 ]]
ktap_result load_1g_pool_and_tests $?
got=$(stat_get pages_total)
[[ $got == "$BIG_PAGES" ]] || ktap_diag "pages_total $got, expected $BIG_PAGES"
[[ $got == "$BIG_PAGES" ]]
ktap_result default_pool_pages_total_262144 $?
[[ $ncpus -ge 16 ]] || ktap_diag "only $ncpus CPUs online"
[[ $ncpus -ge 16 ]]
ktap_result at_least_16_cpus $?

for t in "${tests[@]}"; do
	run "$t" "module_$t"
done

run default_exhaust exhaust_1g_pool_drained
run default_exhaust_warm exhaust_1g_pool_every_window_warm

# NUMA: the node columns of debugfs against the layout vm.sh gave the
# guest, then each node's CPU served from its node first.
echo "# nodes online $(cat /sys/devices/system/node/online), with CPUs $(cat /sys/devices/system/node/has_cpu)"
bad=0
while read -r cpu _ _ _ _ _ _ _ node; do
	[[ $cpu =~ ^[0-9]+$ && -d /sys/devices/system/cpu/cpu$cpu ]] || continue
	want=$(cd /sys/devices/system/cpu/cpu"$cpu" && echo node*)
	if [[ "node$node" != "$want" ]]; then
		ktap_diag "cpus: cpu$cpu shows node '$node', sysfs has $want"
		bad=1
	fi
done < "$PP/cpus"
ktap_result numa_cpus_node_column $bad
bad=0 n0=0 n1=0
while read -r chunk base _ _ node; do
	[[ $chunk =~ ^[0-9]+$ ]] || continue
	want=$((base < NUMA_SPLIT ? 0 : 1))
	if [[ $node != "$want" ]]; then
		ktap_diag "chunks: chunk $chunk at $base shows node '$node', not $want"
		bad=1
	fi
	[[ $node == 0 ]] && n0=$((n0 + 1))
	[[ $node == 1 ]] && n1=$((n1 + 1))
done < "$PP/chunks"
ktap_diag "default pool: $n0 chunks on node 0, $n1 on node 1"
[[ $n0 == 192 && $n1 == 64 ]] || bad=1
ktap_result numa_chunks_node_column $bad
run numa_local numa_cpu_served_from_its_node

# The stress actors (three per CPU) while CPUs go offline and online: the
# invariant on the test module's exact snapshot, no page left in a dead
# CPU's cache, and the actors' own verdict.
bad=0
if echo stress_start > "$TP/run"; then
	end=$((SECONDS + HOTPLUG_SECS))
	n=0
	while [[ $SECONDS -lt $end ]]; do
		cpu=$((1 + RANDOM % (ncpus - 1)))
		f=/sys/devices/system/cpu/cpu$cpu/online
		echo 0 > "$f" || { ktap_diag "cannot offline cpu$cpu"; bad=1; break; }
		n=$((n + 1))
		msg=$(PCP_SNAPSHOT=$TP/stress_snapshot stats_invariant) ||
			{ ktap_diag "cpu$cpu offline: $msg"; bad=1; }
		leaked=$(awk '$1 == "pages_leaked" { print $2 }' "$TP/stress_snapshot")
		[[ $leaked == 0 ]] || { ktap_diag "pages_leaked $leaked"; bad=1; }
		echo 1 > "$f" || { ktap_diag "cannot online cpu$cpu"; bad=1; break; }
	done
	ktap_diag "$n offlines in $HOTPLUG_SECS s"
	echo stress_stop > "$TP/run" || { ktap_diag "stress verdict: fail"; bad=1; }
else
	bad=1
fi
ktap_result stress_under_hotplug $bad

# The kernel's own hotplug test, every CPU but one, under a workload.
bad=0
echo start > "$PCP_WORKLOAD" || bad=1
if [[ -x $CPU_ON_OFF ]]; then
	"$CPU_ON_OFF" -a 2>&1 | sed 's/^/# /'
	[[ ${PIPESTATUS[0]} -eq 0 ]] || bad=1
fi
echo stop > "$PCP_WORKLOAD" || bad=1
ktap_result cpu_on_off_all_under_workload $bad

expect_zero()
{
	local got

	got=$(stat_get "$1")
	[[ $got == 0 ]] || ktap_diag "$1 is $got, expected 0"
	[[ $got == 0 ]]
}
expect_zero pages_inuse
ktap_result pages_inuse_zero $?
expect_zero pages_leaked
ktap_result pages_leaked_zero $?
unload_all
ktap_result unload $?
ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the big-guest lane (vm.sh big): many CPUs and a 1 GiB
# reserved region, where a design that is right only at 4 CPUs breaks.
# The default pool takes the 1 GiB range at 1 GiB, the test module the
# 256 MiB at 2 GiB.  It runs every test of the test module there, the
# exhaustion of the whole 1 GiB pool (drained, and with every CPU's window
# warm), the stress actors under CPU hotplug, the kernel's CPU on/off test
# under a workload, and where tracking pools keep their owner records;
# KTAP on stdout.  The guest has two NUMA nodes
# (vm.sh big): node 0 ends at NUMA_SPLIT, inside the default pool's range,
# so that a pool from the page allocator and the reserved one both span
# the nodes, and numa_local checks that each CPU is served from its node.
cd /kselftest/pcpu_pagecache || exit 1
# shellcheck source=../../../selftests/pcpu_pagecache_lib.sh
. ./pcpu_pagecache_lib.sh

BIG_BASE=0x40000000
BIG_SIZE=0x40000000
BIG_PAGES=262144
TEST_BASE=0x80000000
TEST_SIZE=0x10000000
HOTPLUG_SECS=${HOTPLUG_SECS:-40}
# Where vm.sh's node 1 begins (VM_NUMA_SPLIT_MB, 1792 MiB).
NUMA_SPLIT=0x70000000
PP=$PCP_DEBUGFS/default

ncpus=$(nproc)
echo "# big guest: $ncpus CPUs online, possible $(cat /sys/devices/system/cpu/possible)"
tests=()
if modprobe "$PCP_MOD" base=$BIG_BASE size=$BIG_SIZE &&
   modprobe "$PCP_TEST_MOD" resv_base=$TEST_BASE resv_size=$TEST_SIZE \
	stress_secs=20; then
	mapfile -t tests < <(grep -v '^stress$' "$PCP_TP/list")
fi
names=(load_1g_pool_and_tests default_pool_pages_total_262144 at_least_16_cpus)
names+=("${tests[@]/#/module_}")
names+=(exhaust_1g_pool_drained exhaust_1g_pool_every_window_warm
	numa_cpus_node_column numa_chunks_node_column
	numa_cpu_served_from_its_node stress_under_hotplug
	cpu_on_off_all_under_workload pages_inuse_zero pages_leaked_zero unload
	numa_owner_records_reserved_pool numa_owner_records_allocated_pool
	unload_tracked)
ktap_plan "${#names[@]}"

[[ ${#tests[@]} -gt 0 ]]
result load_1g_pool_and_tests $?
check default_pool_pages_total_262144 expect_stat pages_total "$BIG_PAGES"
[[ $ncpus -ge 16 ]] || ktap_diag "only $ncpus CPUs online"
[[ $ncpus -ge 16 ]]
result at_least_16_cpus $?

for t in "${tests[@]}"; do
	check "module_$t" tp_run "$t"
done

check exhaust_1g_pool_drained tp_run default_exhaust
check exhaust_1g_pool_every_window_warm tp_run default_exhaust_warm

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
result numa_cpus_node_column $bad
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
result numa_chunks_node_column $bad
check numa_cpu_served_from_its_node tp_run numa_local

# The stress actors (three per CPU) while CPUs go offline and online: each
# dead CPU's window back in the stress pool (cpu_offline_flushed, on the
# test module's exact snapshot), and the actors' own verdict.
bad=0
if tp_run stress_start; then
	end=$((SECONDS + HOTPLUG_SECS))
	n=0
	while [[ $SECONDS -lt $end ]]; do
		cpu=$((1 + RANDOM % (ncpus - 1)))
		n=$((n + 1))
		cpu_offline_flushed "$cpu" stress "$PCP_TP/stress_snapshot" ||
			{ bad=1; break; }
	done
	ktap_diag "$n offlines in $HOTPLUG_SECS s"
	tp_run stress_stop || { ktap_diag "stress verdict: fail"; bad=1; }
else
	bad=1
fi
result stress_under_hotplug $bad

# The kernel's own hotplug test, every CPU but one, under a workload.
bad=0
echo start > "$PCP_WORKLOAD" || bad=1
run_cpu_on_off -a || bad=1
echo stop > "$PCP_WORKLOAD" || bad=1
result cpu_on_off_all_under_workload $bad

check pages_inuse_zero expect_stat pages_inuse 0
check pages_leaked_zero expect_stat pages_leaked 0
check unload unload_all

# The owner records of tracking pools (track=1), each page of them on the
# node of the pool pages it describes: the default pool, reserved across
# the nodes' boundary, and the owners test's pool of two blocks from the
# page allocator, one from each node.
OT_MOD=pcpu_pagecache_owners_test
if modprobe "$PCP_MOD" base=$BIG_BASE size=$BIG_SIZE track=1; then
	check numa_owner_records_reserved_pool owners_records_on_nodes default
	if modprobe "$OT_MOD"; then
		check numa_owner_records_allocated_pool \
			owners_records_on_nodes owners_test
		rmmod "$OT_MOD" || ktap_diag "rmmod $OT_MOD failed"
	else
		not_ok numa_owner_records_allocated_pool
	fi
else
	not_ok numa_owner_records_reserved_pool
	not_ok numa_owner_records_allocated_pool
fi
check unload_tracked unload_all
ktap_finished

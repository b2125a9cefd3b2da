#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `vm.sh loop`: crash triage for the stress actors under CPU
# hotplug (issue 20).  Rounds of what pcpu_pagecache_debugfs's
# stress_with_hotplug does -- stress_start, then cpu1..cpu3 in turn
# offline, a stress snapshot (stop_machine), 250 ms, a snapshot, online,
# 250 ms, a snapshot; stress_stop after LOOP_ROUND seconds -- until
# LOOP_SECS have gone by or the kernel dies.  The kernel command line
# passes the settings on to init's environment (vm.sh KAPPEND_EXTRA):
#   LOOP_MODE  pool     the stress actors as in the suite (default)
#              notouch  the same with stress_touch=0: the actors allocate
#                       and free but never read or write a pool page
#              standin  no pool at all: tpp_standin.ko's threads and
#                       timers (the actors minus the allocator), loaded
#                       for each round, and the same hotplug sequence
#                       (no snapshots)
#              prog     the suite's own program, as check runs it but only
#                       its last hotplug tests: pcpu_pagecache_debugfs
#                       -t hotplug_fail_injection -t stress_with_hotplug
#                       -S LOOP_ROUND, again and again
#              progall  the same with every test of the program (its
#                       kernel tests first, as in check)
#   LOOP_SECS  total seconds (default 480)
#   LOOP_ROUND seconds a round (default 60)
# One KTAP result: ok if every round ended with a good verdict.  A crash
# shows as a missing end on the host (vm.sh's host checks).
set -u

# shellcheck source=../../../selftests/pcpu_pagecache_lib.sh
. /kselftest/pcpu_pagecache/pcpu_pagecache_lib.sh

mode=${LOOP_MODE:-pool}
secs=${LOOP_SECS:-480}
rsecs=${LOOP_ROUND:-60}
snap=$PCP_TP/stress_snapshot

echo "TAP version 13"
echo "1..1"
echo "# loop: mode $mode, $secs s in rounds of $rsecs s, kernel $(uname -r)"
# Where the entry code is, to read a crash's offsets against the image.
grep -E ' (_text|error_entry|asm_load_gs_index|native_irq_return_iret|fixup_bad_iret|sync_regs|usleep_range_state|exc_page_fault|exc_general_protection|asm_exc_general_protection)$' \
	/proc/kallsyms | sed 's/^/loop: kallsyms /' > /dev/console
grep -E '^(vendor_id|model name|flags)' /proc/cpuinfo | sort -u | sed 's/^/loop: /' > /dev/console

case $mode in
pool|notouch)
	touch=1
	[[ $mode == notouch ]] && touch=0
	modprobe "$PCP_MOD" base=$PCP_RES_BASE size=$PCP_RES_SIZE &&
		modprobe "$PCP_TEST_MOD" stress_touch=$touch ||
		{ echo "not ok 1 stress_hotplug_loop # cannot load"; exit 1; }
	;;
standin) ;;
prog|progall)
	sel=(-t hotplug_fail_injection -t stress_with_hotplug)
	[[ $mode == progall ]] && sel=()
	set -o pipefail
	cd /kselftest/pcpu_pagecache || exit 1
	bad=0 round=0 t0=$SECONDS
	while ((SECONDS - t0 < secs)); do
		round=$((round + 1))
		./pcpu_pagecache_debugfs "${sel[@]}" -S "$rsecs" 2>&1 |
			sed 's/^/# /' ||
			bad=1
		echo "# round $round done at $((SECONDS - t0)) s"
		((bad)) && break
	done
	if ((bad)); then
		echo "not ok 1 stress_hotplug_loop # mode $mode, $round rounds"
	else
		echo "ok 1 stress_hotplug_loop # mode $mode, $round rounds"
	fi
	exit 0
	;;
*)	echo "not ok 1 stress_hotplug_loop # unknown LOOP_MODE $mode"; exit 1 ;;
esac

start()
{
	if [[ $mode == standin ]]; then
		modprobe tpp_standin
	else
		echo stress_start > "$PCP_RUN"
	fi
}

stop()
{
	if [[ $mode == standin ]]; then
		rmmod tpp_standin
	else
		echo stress_stop > "$PCP_RUN"
	fi
}

peek()
{
	[[ $mode == standin ]] || cat "$snap" > /dev/null
}

bad=0 round=0 total=0
t0=$SECONDS
while ((SECONDS - t0 < secs)); do
	round=$((round + 1))
	start || { echo "# round $round: start failed"; bad=1; break; }
	end=$((SECONDS + rsecs)) n=0 k=0
	while ((SECONDS < end)); do
		cpu=$((1 + k % 3))
		k=$((k + 1))
		echo 0 > "$PCP_CPU_DIR/cpu$cpu/online" || { bad=1; break; }
		n=$((n + 1))
		peek
		usleep 250000
		peek
		echo 1 > "$PCP_CPU_DIR/cpu$cpu/online" || { bad=1; break; }
		usleep 250000
		peek
	done
	total=$((total + n))
	if ! stop; then
		echo "# round $round: verdict FAIL"
		dmesg | grep -E "$PCP_TEST_MOD|$PCP_MOD:|tp_stress|guard" | tail -n 8 | sed 's/^/# /'
		bad=1
	fi
	echo "# round $round done at $((SECONDS - t0)) s: $n offlines (total $total)"
	((bad)) && break
done
for c in 1 2 3; do echo 1 > "$PCP_CPU_DIR/cpu$c/online" 2>/dev/null; done
if ((bad)); then
	echo "not ok 1 stress_hotplug_loop # mode $mode, $round rounds"
else
	echo "ok 1 stress_hotplug_loop # mode $mode, $round rounds, $total offlines"
fi

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make check-stable` (vm.sh stable): the suite's stress
# under CPU hotplug, pcpu_pagecache_debugfs's stress_with_hotplug (the
# stress actors on every CPU while CPUs go offline and online, the stats
# checked on the exact snapshot, the actors' verdict), ppc_stable_runs
# times in a row on one boot, ppc_stable_secs seconds each.  vm.sh puts
# both on the kernel command line, which hands them to init's environment.
#
# Each run loads the modules afresh and must leave every CPU online and
# unload cleanly.  Each is one KTAP result; the test program's own output
# is kept as diagnostics, indented so that no summary takes its result
# line for one of ours.  A line "pcpu_pagecache_stable: run K of N" goes
# into the kernel log as each run starts: the host charges a kernel splat
# to the run in whose part of the console it shows up
# (scripts/ktap/stable-summary.sh).
cd /kselftest/pcpu_pagecache || exit 1
# shellcheck source=../../../selftests/pcpu_pagecache_lib.sh
. ./pcpu_pagecache_lib.sh

runs=${ppc_stable_runs:-4}
secs=${ppc_stable_secs:-60}

# one_run K: stress_with_hotplug once, then the CPUs and the unload.
one_run()
{
	local k=$1 rc bad=0 online t0=$SECONDS

	online=$(cat "$PCP_CPU_DIR/online")
	./pcpu_pagecache_debugfs -t stress_with_hotplug -S "$secs" 2>&1 |
		while IFS= read -r l; do echo "#   $l"; done
	rc=${PIPESTATUS[0]}
	if [[ $rc -ne 0 ]]; then
		ktap_diag "run $k: pcpu_pagecache_debugfs exited $rc"
		bad=1
	fi
	expect_eq "run $k: online CPUs" "$(cat "$PCP_CPU_DIR/online")" "$online" ||
		bad=1
	# The stress pool is gone with stress_stop; a page it still held
	# would pin nothing, but the default pool must be quiet and the
	# modules must go.
	if mod_loaded "$PCP_MOD"; then
		pool_quiet default || bad=1
	fi
	if ! unload_all; then
		ktap_diag "run $k: cannot unload the modules"
		bad=1
	fi
	ktap_diag "run $k: $((SECONDS - t0)) s"
	return "$bad"
}

echo "# stable: $(uname -r), $runs runs of stress_with_hotplug, $secs s each," \
	"cpus online $(cat "$PCP_CPU_DIR/online")"
names=()
for ((k = 1; k <= runs; k++)); do
	names+=("stress_with_hotplug_run_$k")
done
ktap_plan
start_clean || bail "could not unload the modules"
for ((k = 1; k <= runs; k++)); do
	kmsg_mark "pcpu_pagecache_stable: run $k of $runs"
	check "${names[k - 1]}" one_run "$k"
done
kmsg_mark "pcpu_pagecache_stable: done"
ktap_finished

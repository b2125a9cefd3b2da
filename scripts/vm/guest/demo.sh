#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make demo`: load the module on the reserved range, run a
# small workload, take cpu1 offline and back, and show the pool's debugfs
# files along the way.
set -u

# The names and sizes the tests use.
# shellcheck source=../../../selftests/pcpu_pagecache_lib.sh
. /kselftest/pcpu_pagecache/pcpu_pagecache_lib.sh

dbg=$PCP_DEBUGFS/default
workload=$PCP_WORKLOAD
cpu1=$PCP_CPU_DIR/cpu1/online

step()
{
	echo
	echo "=== $*"
}

show()
{
	echo "\$ cat $1"
	cat "$1"
}

step "load the module on the reserved range [$PCP_RES_BASE, +$((PCP_RES_SIZE >> 20))M)"
echo "\$ modprobe $PCP_MOD base=$PCP_RES_BASE size=$PCP_RES_SIZE"
if ! modprobe "$PCP_MOD" base=$PCP_RES_BASE size=$PCP_RES_SIZE; then
	echo "demo: modprobe failed"
	dmesg | grep pcpu_pagecache
	exit 1
fi
grep pcpu_pagecache /proc/iomem
show $dbg/stats

step "start an allocation workload on every CPU"
if modprobe test_pcpu_pagecache 2>/dev/null && [ -w $workload ]; then
	echo "\$ echo start > $workload"
	echo start > $workload
	have_workload=1
else
	echo "(test_pcpu_pagecache has no workload yet: the pool stays idle)"
	have_workload=0
fi
sleep 2

step "stats before taking cpu1 offline"
show $dbg/stats
echo "\$ echo 0 > $cpu1"
echo 0 > $cpu1
step "stats after taking cpu1 offline (its cache is flushed: pages_leaked 0)"
show $dbg/stats
echo "\$ echo 1 > $cpu1"
echo 1 > $cpu1

step "per-CPU caches and chunks with cpu1 back online"
show $dbg/cpus
show $dbg/chunks

if [ $have_workload -eq 1 ]; then
	step "stop the workload"
	echo "\$ echo stop > $workload"
	echo stop > $workload && echo "workload: no errors"
	show $workload
	rmmod test_pcpu_pagecache
fi

step "final stats"
show $dbg/stats
rmmod pcpu_pagecache
echo
echo "=== kernel log of the module"
dmesg | grep -E 'pcpu_pagecache|test_pcpu'

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make demo`: load the module on the reserved range, run a
# small workload, take cpu1 offline and back, and show the pool's debugfs
# files along the way.
set -u

dbg=/sys/kernel/debug/pcpu_pagecache/default
workload=/sys/kernel/debug/test_pcpu_pagecache/workload
cpu1=/sys/devices/system/cpu/cpu1/online

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

step "load the module on the reserved range [0x30000000, +64M)"
echo "\$ modprobe pcpu_pagecache base=0x30000000 size=0x4000000"
if ! modprobe pcpu_pagecache base=0x30000000 size=0x4000000; then
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

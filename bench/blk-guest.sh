#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of make bench's block-device comparison (busybox sh): the
# pcpu_pagecache_blk RAM disk against the kernel's brd, same boot, same
# size, same fio jobs, interleaved.  bench/run.sh packs fio, brd.ko and
# the modules, and runs this after the in-kernel benchmark.
#
#   blk-guest.sh SIZE_MB RUNTIME REPS
#
# REPS rounds, brd and ours interleaved in each, so that a slower spell of
# the shared host hits both.  For 1 job and for one job per CPU (io_uring,
# or libaio where the kernel has no io_uring, iodepth 1, O_DIRECT, 4 KiB):
#   randwrite  random writes to fresh sectors: each job writes its share of
#              a just-loaded device once, so every write allocates a page
#   randread   random reads over the whole device, now fully written
#   trimwrite  each job trims a block, then writes it, in sequence over
#              its share: every write allocates the page the trim freed
#              (skipped for a device without discard: brd before 6.12)
#   randwrite_psync  randwrite with pwrite(2), 1 job only: blkdev_write_iter
#              plugs, so blk-mq holds the request until the task sleeps
#              waiting for it, and schedule() hands it to kblockd: two
#              context switches per write that a bio-based brd never has
# Prints "bench-blk: <test>_<jobs> <device> <IOPS>" per round (for trimwrite, trim +
# write pairs per second), "bench-blk: <test>_<jobs> brd n/a <why>" for a
# skipped one, and "bench-blk: fail <what>" if something went wrong.

# bench/run.sh's init has only /bin (busybox); the tools are in /usr/sbin.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
SIZE_MB=${1:-128}
RUNTIME=${2:-3}
REPS=${3:-3}
NCPU=$(grep -c ^processor /proc/cpuinfo)
BRD_KO=$(find /lib/modules -name 'brd.ko' | head -n 1)

fail()
{
	echo "bench-blk: fail $*"
}

# load ours|brd: a fresh device; its node in $dev.
load()
{
	case $1 in
	ours)
		insmod /pcpu_pagecache_blk.ko size_mb="$SIZE_MB" || fail "insmod pcpu_pagecache_blk"
		dev=/dev/ppcblk0 ;;
	brd)
		insmod "$BRD_KO" rd_nr=1 rd_size=$((SIZE_MB * 1024)) max_part=1 || fail "insmod brd"
		dev=/dev/ram0 ;;
	esac
	i=0
	while [ ! -b "$dev" ] && [ $i -lt 20 ]; do
		sleep 0.2
		i=$((i + 1))
	done
}

# unload ours|brd.  io_uring tears a ring down in a worker after fio has
# exited, and until then its files keep the device open: retry a while.
unload()
{
	m=brd
	[ "$1" = ours ] && m=pcpu_pagecache_blk
	i=0
	until rmmod "$m" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge 50 ]; then
			fail "rmmod $m"
			return
		fi
		sleep 0.1
	done
}

# run TEST JOBS DEVNAME DIR FIO_ARGS...: one fio run, its IOPS in direction
# DIR (read, write) printed.
run()
{
	t=$1 jobs=$2 name=$3 dir=$4
	shift 4
	if ! fio --name=b --filename="$dev" --ioengine="$ENGINE" --iodepth=1 \
		--direct=1 --bs=4k \
		--numjobs="$jobs" --group_reporting --output-format=json "$@" \
		>/tmp/fio.json 2>/tmp/fio.err; then
		fail "$t $jobs $name: $(head -c 300 /tmp/fio.err)"
		return
	fi
	# The first "iops" after a direction's opening is that direction's.
	iops=$(awk -v d="\"$dir\"" '
		$1 == d && $2 == ":" { in_dir = 1; next }
		in_dir && $1 == "\"iops\"" { gsub(",", "", $3); print $3; exit }' /tmp/fio.json)
	echo "bench-blk: ${t}_$jobs $name ${iops:-0}"
}

mkdir -p /tmp
mount -t tmpfs tmpfs /tmp 2>/dev/null
ENGINE=io_uring
insmod "$BRD_KO" rd_nr=1 rd_size=1024 || fail "insmod brd"
sleep 0.5
if ! fio --name=probe --filename=/dev/ram0 --ioengine=io_uring --direct=1 \
	--rw=read --bs=4k --size=64k >/dev/null 2>&1; then
	ENGINE=libaio
fi
rmmod brd
echo "bench-blk: engine $ENGINE"
for jobs in 1 "$NCPU"; do
	share=$((SIZE_MB / jobs))
	for _ in $(seq "$REPS"); do
	for name in brd ours; do
		load "$name"
		run randwrite "$jobs" "$name" write --rw=randwrite \
			--size="${share}m" --offset_increment="${share}m"
		run randread "$jobs" "$name" read --rw=randread \
			--size="${SIZE_MB}m" --time_based --runtime="$RUNTIME"
		disc=$(cat "/sys/block/${dev#/dev/}/queue/discard_max_bytes")
		if [ "$disc" -gt 0 ]; then
			run trimwrite "$jobs" "$name" write --rw=trimwrite \
				--size="${share}m" --offset_increment="${share}m" \
				--time_based --runtime="$RUNTIME"
		else
			echo "bench-blk: trimwrite_$jobs $name n/a no discard on $(uname -r)"
		fi
		if [ "$jobs" = 1 ]; then
			unload "$name"
			load "$name"
			engine=$ENGINE
			ENGINE=psync
			run randwrite_psync 1 "$name" write \
				--rw=randwrite --size="${SIZE_MB}m"
			ENGINE=$engine
		fi
		unload "$name"
	done
	done
done
echo "bench-blk: done"

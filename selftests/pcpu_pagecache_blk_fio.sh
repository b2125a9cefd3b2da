#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpu_pagecache_blk under fio, with its crc32c verification: random and
# sequential 4 KiB trims and writes with verifying reads by four jobs on
# their own quarters of the device, and a fifth job reading at random
# across all of them, iodepth 8 with io_uring or libaio where the kernel
# has them, for FIO_RUNTIME seconds (default 60) while CPUs 1..N go offline
# and online in turn.  Then no verify error, every job did its I/O and
# trims reached the device, every CPU is back, and the pool's pages_inuse
# equals the device's page count.  First, a short verified sequential
# write of 512 B to 64 KiB blocks at a 3.5 KiB offset: most I/Os straddle
# two device pages.
set -u

here=$(dirname "$0")
. "$here/pcpu_pagecache_blk_lib.sh"

WORK=/tmp/pcb-fio
FIO_RUNTIME=${FIO_RUNTIME:-60}

names=(
	load
	unaligned_write_verify
	unaligned_head_reads_zeros
	unaligned_pages_match
	fio_verify_under_hotplug
	fio_jobs_did_their_io
	cpus_went_offline_and_online
	cpus_restored
	fio_pages_match_pool
	unload_returns_every_page
)
# What bail (ktap.sh) leaves behind it.
ktap_cleanup()
{
	pcb_unload 2>/dev/null
}

# fio_run NAME ARGS...: fio, its output kept in $WORK/NAME.out; fails on a
# non-zero exit or a job that reports an error.
fio_run()
{
	local name=$1 rc

	shift
	fio --output="$WORK/$name.out" "$@" >/dev/null 2>"$WORK/$name.err"
	rc=$?
	if [[ $rc -ne 0 ]] || grep -Eq 'err= *[1-9]' "$WORK/$name.out"; then
		ktap_diag "fio $name exited $rc:"
		ktap_diag "$(cat "$WORK/$name.err")"
		ktap_diag "$(grep -Ei 'err=|verify|error' "$WORK/$name.out" | head -n 20)"
		return 1
	fi
}

# dev_stat FIELD: a field of /sys/block/ppcblk0/stat (1 read I/Os, 5 write
# I/Os, 12 discard I/Os).
dev_stat()
{
	awk -v f="$1" '{ print $f }' /sys/block/ppcblk0/stat
}

# hotplug_loop: take CPUs 1..N offline and online in turn until $WORK/stop
# appears; count the cycles in $WORK/cycles and failures in $WORK/hp.err.
hotplug_loop()
{
	local c cycles=0 f

	while [[ ! -e $WORK/stop ]]; do
		for c in $cpus; do
			f=/sys/devices/system/cpu/cpu$c/online
			echo 0 > "$f" || echo "offline cpu$c failed" >> "$WORK/hp.err"
			sleep 1
			echo 1 > "$f" || echo "online cpu$c failed" >> "$WORK/hp.err"
			cycles=$((cycles + 1))
			echo "$cycles" > "$WORK/cycles"
			sleep 1
			[[ -e $WORK/stop ]] && break
		done
	done
}

ktap_plan

missing=$(pcb_missing fio "$PCB_BLKDISCARD" "$PCB_DD")
[[ -z $missing ]] || skip_program "$missing"

if mod_loaded "$PCP_MOD"; then
	ktap_diag "$PCP_MOD was loaded before the test; unloading it"
	pcb_unload || bail "could not unload the modules"
fi
rm -rf "$WORK"
mkdir -p "$WORK"

modprobe "$PCP_MOD" || bail "modprobe $PCP_MOD failed"
base=$(stat_get pages_inuse) || bail "no stats for the default pool"
modprobe "$PCB_MOD" || bail "modprobe $PCB_MOD failed"
pcb_wait_dev || bail "no device"
ok load

# The first engine that works here: io_uring, libaio, else psync, where
# the five jobs alone give the concurrency.
engine=
for e in io_uring libaio psync; do
	if fio --name=probe --filename="$PCB_DEV" --ioengine="$e" --direct=1 \
		--rw=read --bs=4k --size=64k --iodepth=4 >/dev/null 2>&1; then
		engine=$e
		break
	fi
done
[[ -n $engine ]] || bail "fio runs with no I/O engine here"
ktap_diag "fio $(fio --version) with ioengine=$engine"

# Blocks of 512 B to 64 KiB from 3.5 KiB on, written and then verified:
# most straddle two device pages and start or end inside one.
fio_run unaligned --name=unaligned --filename="$PCB_DEV" --ioengine=psync \
	--direct=1 --rw=write --bsrange=512-64k --offset=3584 --size=8m \
	--verify=crc32c --verify_fatal=1 --do_verify=1
result unaligned_write_verify $?

rc=0
dd if="$PCB_DEV" of="$WORK/head" bs=4096 count=1 iflag=direct status=none || rc=1
cmp -n 3584 "$WORK/head" /dev/zero || rc=1
result unaligned_head_reads_zeros $rc

rc=0
[[ $(pcb_pages) -ge 2048 ]] || { ktap_diag "the device holds $(pcb_pages) pages"; rc=1; }
pcb_pages_match "$base" || rc=1
result unaligned_pages_match $rc
"$PCB_BLKDISCARD" -f "$PCB_DEV" 2>/dev/null || bail "blkdiscard failed"

# Four verifying writers, each on its own 12 MiB quarter, and a reader
# racing them over the whole device, unverified:
#   randtrimwrite  random 4 KiB blocks, each trimmed, then written
#   randwrite1/2   random 4 KiB writes over blocks written before
#   trimwrite      the same in sequence
# Each writer reads back and checks what it wrote (verify_backlog).  fio
# 3.33's randtrimwrite only trims when its offset is not 0 (seen on the
# host's loop device as well), hence one random trimmer; its
# trim_percentage/trim_verify_zero assert with randwrite and misreport
# with randtrimwrite at iodepth > 1 (trims of blocks whose writes are in
# flight): not used.  That discarded pages read as zeros is checked by
# pcpu_pagecache_blk.sh.
cat > "$WORK/hotplug.fio" <<EOF
[global]
filename=$PCB_DEV
ioengine=$engine
direct=1
bs=4k
iodepth=8
time_based=1
runtime=$FIO_RUNTIME
size=12m
verify=crc32c
verify_fatal=1
verify_backlog=256

[randtrimwrite]
rw=randtrimwrite
offset=0

[randwrite1]
rw=randwrite
offset=12m

[randwrite2]
rw=randwrite
offset=24m

[trimwrite]
rw=trimwrite
offset=36m

[randread]
rw=randread
verify=0
offset=0
size=48m
EOF

cpus=
for c in /sys/devices/system/cpu/cpu[1-9]*; do
	[[ -w $c/online ]] && cpus+=" ${c##*cpu}"
done
online_before=$(cat /sys/devices/system/cpu/online)
discards_before=$(dev_stat 12)
hotplug_loop &
hp_pid=$!
fio_run hotplug "$WORK/hotplug.fio"
rc=$?
touch "$WORK/stop"
wait "$hp_pid"
result fio_verify_under_hotplug $rc

# Each job did its kind of I/O (fio's issued reads, writes, trims), and the
# device saw the discards.
ios=$(awk '/^[A-Za-z0-9_-]+: \(groupid=/ { job = $1; sub(":", "", job) }
	/issued rwts:/ { split($3, a, "[=,]"); print job, a[2], a[3], a[4] }' \
	"$WORK/hotplug.out")
ktap_diag "issued reads, writes, trims:"
ktap_diag "$ios"
discards=$(($(dev_stat 12) - discards_before))
ktap_diag "discard requests at the device: $discards"
awk '	$1 == "randread" && $2 > 0 { ok[$1] = 1 }
	$1 ~ /write/ && $2 > 0 && $3 > 0 { ok[$1] = 1 }
	$1 ~ /trim/ && $4 == 0 { delete ok[$1] }
	END {
		n = split("randtrimwrite randwrite1 randwrite2 trimwrite randread", j, " ")
		for (i = 1; i <= n; i++)
			if (!(j[i] in ok)) exit 1
	}' <<<"$ios" && [[ $discards -gt 0 ]]
result fio_jobs_did_their_io $?

rc=0
cycles=$(cat "$WORK/cycles" 2>/dev/null || echo 0)
ktap_diag "CPU offline/online cycles: $cycles (CPUs$cpus)"
[[ -n $cpus && $cycles -ge 3 ]] || { ktap_diag "too few hotplug cycles"; rc=1; }
if [[ -s $WORK/hp.err ]]; then
	ktap_diag "$(cat "$WORK/hp.err")"
	rc=1
fi
result cpus_went_offline_and_online $rc

online_after=$(cat /sys/devices/system/cpu/online)
[[ $online_after == "$online_before" ]] ||
	ktap_diag "online CPUs $online_after, were $online_before"
[[ $online_after == "$online_before" ]]
result cpus_restored $?

pcb_pages_match "$base"
result fio_pages_match_pool $?

rc=0
rmmod "$PCB_MOD" || rc=1
expect_stat pages_inuse "$base" || rc=1
pcb_unload || rc=1
result unload_returns_every_page $rc

rm -rf "$WORK"
ktap_finished

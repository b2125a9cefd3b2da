#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpu_pagecache_blk, the RAM block device whose pages come from a
# pcpu_pagecache pool, checked with tools nobody here wrote: dd and
# sha256sum (busybox), blkdiscard (util-linux), mkfs.ext4 and e2fsck
# (e2fsprogs), the kernel's ext4.  Every step that allocates or frees pages
# ends with the pool's pages_inuse equal to the device's own page count.
#
# On the default pool (64 MiB from the page allocator), the 48 MiB device:
# reads of a fresh device are zeros and allocate nothing; a partial write
# to a fresh page reads back zero-filled; discard and write-zeroes give
# whole pages back; writers and discards racing on one fresh page leave
# one page or none; ext4 made, filled with checksummed files, checked clean
# by e2fsck and read back intact; rmmod returns every page.  On a 4 MiB pool of its own on the
# reserved range, an 8 MiB device: a write past the pool's pages fails
# with ENOSPC and is counted, the data written before it reads back, and
# the rest of the device reads as zeros; once every page of the pool has
# held data, a partial write to a fresh page still reads back zero-filled.
set -u

here=$(dirname "$0")
. "$here/pcpu_pagecache_blk_lib.sh"

WORK=/tmp/pcb-work
MNT=/tmp/pcb-mnt
# The device's own pool: the low 4 MiB of the reserved range, which no
# other test uses at the same time.
OWN_BASE=0x30000000
OWN_SIZE=$PCP_CHUNK_SIZE
OWN_IOMEM=30000000-303fffff
OWN_PAGES=$PCP_CHUNK_PAGES
OWN_MB=8

names=(
	load_pool
	bad_params_refused
	load_device
	fresh_device_reads_zeros
	reads_allocate_no_page
	discard_frees_pages
	partial_writes_zero_filled
	write_zeroes_frees_pages
	racing_writes_and_discards_one_page
	mkfs_ext4
	write_tree
	e2fsck_clean
	checksums_match_after_remount
	fs_pages_match_pool
	discard_all_frees_every_page
	unload_returns_every_page
	own_pool_load
	own_pool_write_fails_enospc
	own_pool_nospc_counted
	own_pool_pages_match
	own_pool_reads_still_work
	own_pool_partial_writes_zero_filled
	own_pool_discard_then_write
	own_pool_unload_clean
)
# What bail (ktap.sh) leaves behind it.
ktap_cleanup()
{
	umount "$MNT" 2>/dev/null
	pcb_unload 2>/dev/null
}

# util-linux's: busybox's has no -z; -f: a file system on it is no reason
# to refuse.
blkdiscard()
{
	local out rc

	# -f also makes it say "Operation forced" every time: only failures.
	out=$("$PCB_BLKDISCARD" -f "$@" 2>&1)
	rc=$?
	[[ $rc -eq 0 ]] || ktap_diag "blkdiscard $*: $out"
	return $rc
}

# dio_write SRC SRC_SKIP DST_SEEK COUNT [BS]: COUNT blocks of BS bytes
# (default 4096), O_DIRECT, from block SRC_SKIP of SRC to block DST_SEEK
# of the device.
dio_write()
{
	local bs=${5:-4096}

	dd if="$1" of="$PCB_DEV" bs="$bs" skip="$2" seek="$3" count="$4" \
		oflag=direct conv=notrunc status=none
}

# partial_writes: 512 bytes into each of the device's first 64 pages (all
# unallocated), at offsets 0 to 3584 by turns; they read back with zeros
# around them, and the device holds 64 pages.  Leaves the expected content
# of those pages in $WORK/expect.
partial_writes()
{
	local i sector rc=0

	dd if=/dev/zero of="$WORK/expect" bs=4096 count=64 status=none
	for ((i = 0; i < 64; i++)); do
		sector=$((i * 8 + i % 8))
		dio_write "$WORK/rand" "$i" "$sector" 1 512 || rc=1
		dd if="$WORK/rand" of="$WORK/expect" bs=512 skip="$i" \
			seek="$sector" count=1 conv=notrunc status=none
	done
	dio_read "$WORK/got" 0 64 || rc=1
	cmp "$WORK/expect" "$WORK/got" || rc=1
	expect_eq pages "$(pcb_pages)" 64 || rc=1
	return $rc
}

# dio_read DST SKIP COUNT: COUNT 4 KiB blocks of the device from block
# SKIP, O_DIRECT, into DST.
dio_read()
{
	dd if="$PCB_DEV" of="$1" bs=4096 skip="$2" count="$3" iflag=direct \
		status=none
}

ktap_plan

missing=$(pcb_missing mkfs.ext4 e2fsck "$PCB_BLKDISCARD" "$PCB_DD" sha256sum)
[[ -z $missing ]] || skip_program "$missing"

if mod_loaded "$PCP_MOD"; then
	ktap_diag "$PCP_MOD was loaded before the test; unloading it"
	pcb_unload || bail "could not unload the modules"
fi
rm -rf "$WORK"
mkdir -p "$WORK" "$MNT"
# Random data: no page of it is all zeros.
dd if=/dev/urandom of="$WORK/rand" bs=65536 count=128 status=none ||
	bail "cannot make test data"

# ---- The default pool, from the page allocator ------------------------------

modprobe "$PCP_MOD" || bail "modprobe $PCP_MOD failed"
base=$(stat_get pages_inuse) || bail "no stats for the default pool"
ok load_pool

# pool_base without pool_size, and a zero size, are refused.
rc=0
for args in "pool_base=$OWN_BASE" "size_mb=0"; do
	# shellcheck disable=SC2086 # one parameter, or none
	if modprobe "$PCB_MOD" $args 2>/dev/null; then
		ktap_diag "modprobe $PCB_MOD $args succeeded"
		rmmod "$PCB_MOD"
		rc=1
	fi
done
result bad_params_refused $rc

modprobe "$PCB_MOD" || bail "modprobe $PCB_MOD failed"
pcb_wait_dev || bail "no device"
rc=0
expect_eq size "$(blockdev --getsize64 "$PCB_DEV")" "$PCB_SIZE" || rc=1
expect_eq pool "$(cat "$PCB_SYS/pool")" default || rc=1
expect_eq pages "$(pcb_pages)" 0 || rc=1
result load_device $rc

# Nothing written yet: every sector reads as zero.
cmp -n "$PCB_SIZE" "$PCB_DEV" /dev/zero
result fresh_device_reads_zeros $?
rc=0
expect_eq pages "$(pcb_pages)" 0 || rc=1
pcb_pages_match "$base" || rc=1
result reads_allocate_no_page $rc

# 1 MiB written: 256 pages; discarded: none, and the pool has them back.
# Those pool pages now hold random data, which the next writes must not
# show.
rc=0
dio_write "$WORK/rand" 0 0 256 || rc=1
expect_eq "pages after writing 1 MiB" "$(pcb_pages)" 256 || rc=1
pcb_pages_match "$base" || rc=1
blkdiscard -o 0 -l $((1 << 20)) "$PCB_DEV" || rc=1
expect_eq "pages after discarding it" "$(pcb_pages)" 0 || rc=1
pcb_pages_match "$base" || rc=1
result discard_frees_pages $rc

# 512 bytes into each of 64 fresh pages, at offsets 0 to 3584: each
# reads back as zeros around what was written.  (Whether the pool hands
# out a page that held data here depends on which CPU caches the freed
# pages sit in: the pool of its own below makes sure of it.)
rc=0
partial_writes || rc=1
pcb_pages_match "$base" || rc=1
result partial_writes_zero_filled $rc

# Write-zeroes (BLKZEROOUT) of pages 0-31 and the first 512 bytes of page
# 32: the 32 whole pages go back to the pool, page 32 stays, all of it
# reads as zeros now, and the rest is untouched.
rc=0
blkdiscard -z -o 0 -l $((32 * 4096 + 512)) "$PCB_DEV" || rc=1
dd if=/dev/zero of="$WORK/expect" bs=512 count=$((32 * 8 + 1)) \
	conv=notrunc status=none
dio_read "$WORK/got" 0 64 || rc=1
cmp "$WORK/expect" "$WORK/got" || rc=1
expect_eq pages "$(pcb_pages)" 32 || rc=1
pcb_pages_match "$base" || rc=1
result write_zeroes_frees_pages $rc

# Four writers and a discarder on one fresh page at once, 20 times each:
# whoever loses a race for a fresh page must give its page back, and a
# page must never be used after a discard freed it.  At the end the page
# holds one writer's data or zeros, and no page leaked.
rc=0
page=$((40 << 8))	# 40 MiB in: never written so far
pages_before=$(pcb_pages)
for w in 0 1 2 3; do
	(for ((i = 0; i < 20; i++)); do
		dio_write "$WORK/rand" $((100 + w)) "$page" 1 || echo fail
	done) > "$WORK/writer$w" &
done
(for ((i = 0; i < 20; i++)); do
	blkdiscard -o $((page * 4096)) -l 4096 "$PCB_DEV" || echo fail
done) > "$WORK/discarder" &
wait
if grep -q fail "$WORK"/writer? "$WORK/discarder"; then
	ktap_diag "a write or discard failed"
	rc=1
fi
dio_read "$WORK/got" "$page" 1 || rc=1
match=none
cmp -s -n 4096 "$WORK/got" /dev/zero && match=zeros
for w in 0 1 2 3; do
	cmp -s -n 4096 "$WORK/got" "$WORK/rand" 0 $(((100 + w) * 4096)) &&
		match=writer$w
done
[[ $match != none ]] || { ktap_diag "the page holds neither zeros nor one writer's data"; rc=1; }
pages_after=$(pcb_pages)
if [[ $match == zeros ]]; then
	expect_eq pages "$pages_after" "$pages_before" || rc=1
else
	expect_eq pages "$pages_after" $((pages_before + 1)) || rc=1
fi
pcb_pages_match "$base" || rc=1
result racing_writes_and_discards_one_page $rc

# ---- ext4 ------------------------------------------------------------------

rc=0
modprobe ext4 || { ktap_diag "modprobe ext4 failed"; rc=1; }
out=$(mkfs.ext4 -q -F "$PCB_DEV" 2>&1) || { ktap_diag "$out"; rc=1; }
result mkfs_ext4 $rc
[[ $rc -eq 0 ]] || bail "no file system"

# A tree of 32 files of 1 byte to 220 KiB and one of 8 MiB, with their
# checksums taken through the file system.
rc=0
mount -t ext4 "$PCB_DEV" "$MNT" || bail "mount failed"
for d in 0 1 2 3; do
	mkdir -p "$MNT/d$d/sub" || rc=1
	for f in 0 1 2 3 4 5 6 7; do
		n=$(((d * 8 + f) * 7 * 1024 + 1))
		head -c "$n" /dev/urandom > "$MNT/d$d/sub/f$f" || rc=1
	done
done
head -c $((8 << 20)) /dev/urandom > "$MNT/big" || rc=1
(cd "$MNT" && find . -type f | sort | xargs sha256sum) > "$WORK/sums" || rc=1
expect_eq "files checksummed" "$(grep -c . "$WORK/sums")" 33 || rc=1
sync
umount "$MNT" || rc=1
result write_tree $rc

out=$(e2fsck -fn "$PCB_DEV" 2>&1)
rc=$?
[[ $rc -eq 0 ]] || ktap_diag "e2fsck -fn exited $rc: $out"
result e2fsck_clean $rc

# A fresh mount reads every file from the device, not from the page cache.
rc=0
mount -t ext4 "$PCB_DEV" "$MNT" || bail "second mount failed"
out=$(cd "$MNT" && sha256sum -c "$WORK/sums" 2>&1) || { ktap_diag "$(grep -v ': OK$' <<<"$out")"; rc=1; }
expect_eq "files that check out" "$(grep -c ': OK$' <<<"$out")" 33 || rc=1
umount "$MNT" || rc=1
result checksums_match_after_remount $rc

rc=0
[[ $(pcb_pages) -gt $(((8 << 20) / 4096)) ]] || { ktap_diag "only $(pcb_pages) pages hold the file system"; rc=1; }
pcb_pages_match "$base" || rc=1
result fs_pages_match_pool $rc

rc=0
blkdiscard "$PCB_DEV" || rc=1
expect_eq pages "$(pcb_pages)" 0 || rc=1
pcb_pages_match "$base" || rc=1
cmp -n "$PCB_SIZE" "$PCB_DEV" /dev/zero || rc=1
result discard_all_frees_every_page $rc

# Pages held at unload go back to the pool.
rc=0
dio_write "$WORK/rand" 0 0 2048 || rc=1
expect_eq pages "$(pcb_pages)" 2048 || rc=1
pcb_pages_match "$base" || rc=1
rmmod "$PCB_MOD" || rc=1
expect_eq "default pool pages_inuse after rmmod" \
	"$(stat_get pages_inuse)" "$base" || rc=1
result unload_returns_every_page $rc

# ---- A pool of its own on the reserved range, smaller than the device ------

modprobe "$PCB_MOD" pool_base=$OWN_BASE pool_size=$OWN_SIZE size_mb=$OWN_MB ||
	bail "modprobe $PCB_MOD with a pool of its own failed"
pcb_wait_dev || bail "no device"
rc=0
expect_eq pool "$(cat "$PCB_SYS/pool")" ppcblk0 || rc=1
expect_eq size "$(blockdev --getsize64 "$PCB_DEV")" $((OWN_MB << 20)) || rc=1
grep -Eq "^ *$OWN_IOMEM : pcpu_pagecache:ppcblk0\$" /proc/iomem ||
	{ ktap_diag "no $OWN_IOMEM pcpu_pagecache:ppcblk0 in /proc/iomem"; rc=1; }
expect_eq "pool pages_total" "$(stat_get pages_total ppcblk0)" $OWN_PAGES || rc=1
result own_pool_load $rc

# 8 MiB into a device whose pool has 4: the write that finds no page fails.
mark="pcpu_pagecache_blk.sh: enospc $$"
kmsg_mark "$mark"
dd if="$WORK/rand" of="$PCB_DEV" bs=65536 count=128 oflag=direct \
	status=none 2> "$WORK/dd.err"
rc=$?
if [[ $rc -eq 0 ]]; then
	ktap_diag "writing 8 MiB succeeded"
	rc=1
elif ! grep -q "No space left on device" "$WORK/dd.err"; then
	ktap_diag "dd failed otherwise: $(cat "$WORK/dd.err")"
	rc=1
else
	rc=0
fi
result own_pool_write_fails_enospc $rc

rc=0
nospc=$(cat "$PCB_SYS/write_nospc")
[[ $nospc -gt 0 ]] || { ktap_diag "write_nospc is $nospc"; rc=1; }
kmsg_since "$mark" | grep -q "ppcblk0: pool has no free page" ||
	{ ktap_diag "no error line in the kernel log"; rc=1; }
result own_pool_nospc_counted $rc

# Caches of other CPUs may hold a few of the pool's pages: at most 1024.
rc=0
held=$(pcb_pages)
[[ $held -gt 512 && $held -le $OWN_PAGES ]] ||
	{ ktap_diag "the device holds $held pages of $OWN_PAGES"; rc=1; }
pcb_pages_match 0 || rc=1
result own_pool_pages_match $rc

# dd wrote in order and stopped at the first page it could not get: the
# device holds exactly the first $held pages of data, then zeros.
rc=0
dio_read "$WORK/got" 0 $((OWN_MB << 8)) ||
	{ ktap_diag "reading the device failed"; rc=1; }
cmp -n $((held * 4096)) "$WORK/got" "$WORK/rand" || rc=1
cmp -n $(((OWN_MB << 20) - held * 4096)) "$WORK/got" /dev/zero \
	$((held * 4096)) 0 || rc=1
result own_pool_reads_still_work $rc

# Now every page of the pool holds data: the CPU caches drained into the
# bitmaps and the device written until the pool has no page left, then
# all of it discarded.  A partial write gets one of those pages, and must
# not show what it held.
rc=0
for try in 1 2 3; do
	echo 1 > "$PCP_DEBUGFS/ppcblk0/drain" || rc=1
	dd if="$WORK/rand" of="$PCB_DEV" bs=65536 count=128 oflag=direct \
		status=none 2>/dev/null
	[[ $(pcb_pages) -eq $OWN_PAGES ]] && break
done
expect_eq "pages after $try fills" "$(pcb_pages)" $OWN_PAGES || rc=1
blkdiscard "$PCB_DEV" || rc=1
expect_eq "pages after discarding them" "$(pcb_pages)" 0 || rc=1
partial_writes || rc=1
pcb_pages_match 0 || rc=1
result own_pool_partial_writes_zero_filled $rc

rc=0
blkdiscard "$PCB_DEV" || rc=1
expect_eq pages "$(pcb_pages)" 0 || rc=1
pcb_pages_match 0 || rc=1
dio_write "$WORK/rand" 0 0 256 || { ktap_diag "writing 1 MiB after the discard failed"; rc=1; }
dio_read "$WORK/got" 0 256 || rc=1
cmp -n $((1 << 20)) "$WORK/got" "$WORK/rand" || rc=1
pcb_pages_match 0 || rc=1
result own_pool_discard_then_write $rc

# The pool is destroyed with the device: every page back, the range free.
rc=0
mark="pcpu_pagecache_blk.sh: unload $$"
kmsg_mark "$mark"
rmmod "$PCB_MOD" || rc=1
if grep -Eq "$OWN_IOMEM : pcpu_pagecache:ppcblk0" /proc/iomem; then
	ktap_diag "$OWN_IOMEM is still claimed"
	rc=1
fi
if kmsg_since "$mark" | grep -q "still in use"; then
	ktap_diag "$(kmsg_since "$mark")"
	rc=1
fi
pcb_unload || rc=1
result own_pool_unload_clean $rc

rm -rf "$WORK"
ktap_finished

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers of the block-device tests (pcpu_pagecache_blk*.sh).  Sourcing it
# sources pcpu_pagecache_lib.sh (and ktap.sh) too.
# shellcheck disable=SC2034 # the variables are for the scripts that source this

# shellcheck source=pcpu_pagecache_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/pcpu_pagecache_lib.sh"

PCB_MOD=pcpu_pagecache_blk
PCB_DEV=/dev/ppcblk0
PCB_SYS=/sys/block/ppcblk0/ppcblk
# The module's default size_mb.
PCB_SIZE=$((48 << 20))
# util-linux's and coreutils', which vm.sh packs ahead of busybox's:
# busybox's blkdiscard has no -z, and its dd cannot do O_DIRECT (see
# scripts/vm/blk-tools.sh).
PCB_BLKDISCARD=/usr/sbin/blkdiscard
PCB_DD=/usr/sbin/dd

# pcb_missing: print why the block-device tests cannot run here, if they
# cannot: the module is not built for this kernel (no block layer), or a
# tool is missing from the guest.
pcb_missing()
{
	local t

	if [[ $(id -u) -ne 0 ]]; then
		echo "must run as root"
		return
	fi
	if ! mod_available "$PCB_MOD"; then
		echo "$PCB_MOD is not built for this kernel"
		return
	fi
	for t in "$@"; do
		if ! command -v "$t" >/dev/null; then
			echo "$t is not installed in the guest"
			return
		fi
	done
}

# dd: coreutils', in every script that sources this: busybox's falls
# back to buffered I/O for O_DIRECT.
dd()
{
	"$PCB_DD" "$@"
}

pcb_pages()
{
	cat "$PCB_SYS/pages"
}

# pcb_pages_match [BASE]: the device's pool has as many pages in use as the
# device holds, plus BASE (what the pool had in use before the device was
# loaded).  Read while no I/O runs.
pcb_pages_match()
{
	local pool base=${1:-0} pages inuse

	pool=$(cat "$PCB_SYS/pool") || return 1
	pages=$(pcb_pages) || return 1
	if ! inuse=$(stat_get pages_inuse "$pool"); then
		ktap_diag "no pages_inuse in $PCP_DEBUGFS/$pool/stats"
		return 1
	fi
	if [[ $((inuse - base)) -ne $pages ]]; then
		ktap_diag "pool $pool: pages_inuse $inuse - $base before the device != the device's pages $pages"
		return 1
	fi
}

# pcb_wait_dev: the device node shows up (devtmpfs, right after add_disk).
pcb_wait_dev()
{
	local i

	for i in 1 2 3 4 5 6 7 8 9 10; do
		[[ -b $PCB_DEV ]] && return 0
		sleep 0.5
	done
	ktap_diag "no block device $PCB_DEV"
	return 1
}

# pcb_unload: the device first, then the pool module and the test modules.
pcb_unload()
{
	if mod_loaded "$PCB_MOD"; then
		rmmod "$PCB_MOD" || return 1
	fi
	unload_all
}

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by scripts/vm/vm.sh and bench/run.sh: packs the tools that the
# block-device tests and benchmark run in the guest, none of them ours:
# mkfs.ext4 and e2fsck (e2fsprogs), fio, util-linux's blkdiscard (-z, write
# zeroes, which busybox's lacks), coreutils' dd (busybox's reads and writes
# through its own unaligned buffer, so O_DIRECT fails with EINVAL and it
# quietly falls back to buffered I/O, which turns a 512-byte write into a
# page-cache read-modify-write), their shared libraries, and stock
# kernel modules with their dependencies (ext4 for the tests, brd for the
# benchmark).  scripts/setup/deps.sh installs the packages.

# blk_tools_libs ROOT ELF: copy the libraries ELF needs to the same paths
# under ROOT.
blk_tools_libs()
{
	local lib

	# ldd fails on static binaries: nothing to copy then.
	for lib in $(ldd "$2" 2>/dev/null | grep -o '/[^ ]*' || true); do
		if [[ ! -e $1/$lib ]]; then
			install -D -m 0755 "$(readlink -f "$lib")" "$1/$lib"
		fi
	done
}

# blk_tools_pack ROOT KVER [MODULE...]: copy mkfs.ext4, e2fsck, fio,
# blkdiscard and dd (in /usr/sbin, ahead of busybox's in PATH) with
# their libraries into ROOT, and MODULE... of kernel KVER with what they
# need, as `modprobe --show-depends` lists them (softdeps included), at
# their /lib/modules paths: run depmod on ROOT afterwards.  A tool or module
# that is missing is left out with a message on stderr: the tests that need
# it skip.  A kernel with no /lib/modules/KVER (the debug kernel) gets no
# stock modules.
blk_tools_pack()
{
	local root=$1 kver=$2 t f m
	shift 2

	for t in mkfs.ext4 e2fsck fio blkdiscard dd; do
		if ! f=$(command -v "$t"); then
			echo "blk-tools: $t is not installed; the tests that use it skip" >&2
			continue
		fi
		install -D -m 0755 "$f" "$root/usr/sbin/$t"
		blk_tools_libs "$root" "$f"
	done
	# Without it mke2fs uses built-in defaults that differ from Debian's.
	if [[ -e /etc/mke2fs.conf ]]; then
		install -D -m 0644 /etc/mke2fs.conf "$root/etc/mke2fs.conf"
	fi
	# e2fsck and mount look for mounted file systems there.
	ln -sfn /proc/mounts "$root/etc/mtab"

	[[ -d /lib/modules/$kver/kernel ]] || return 0
	for m in "$@"; do
		if ! modprobe -S "$kver" --show-depends "$m" >/dev/null 2>&1; then
			echo "blk-tools: no module $m for $kver" >&2
			continue
		fi
		modprobe -S "$kver" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }'
	done | sort -u | while IFS= read -r f; do
		install -D -m 0644 "$f" "$root/$f"
	done
}

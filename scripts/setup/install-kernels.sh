#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make sure the supported Debian kernels are installed (image and headers,
# and the source tarball where the project takes files from it) and print
# their release strings:
#
#   6.1     bookworm:  linux-image-amd64 linux-headers-amd64 linux-source-6.1
#   6.12    bookworm-security / bookworm-backports:
#                      linux-image-6.12-amd64 linux-headers-6.12-amd64
#   6.1-rt  bookworm's PREEMPT_RT flavour of 6.1 (release 6.1.0-N-rt-amd64,
#           beside the stock one): linux-image-rt-amd64
#           linux-headers-rt-amd64 linux-source-6.1
#
# linux-source-6.1 holds the kselftest framework and checkpatch, whatever
# the kernel; nothing takes files from 6.12's source, so it is not
# installed (140 MB).
#
# 6.12 is installed through its own series meta-packages, never through
# backports' linux-image-amd64/linux-headers-amd64: those would move the
# default meta-packages to 6.12.  6.1 stays the default kernel.
#
# Usage:
#   scripts/setup/install-kernels.sh [SERIES...]   install what is missing of
#                                            SERIES (default: all three),
#                                            print "<series> <release>"
#                                            for each
#   scripts/setup/install-kernels.sh --kver 6.12   install that series if missing,
#                                            print only its release string
#   scripts/setup/install-kernels.sh --check       install nothing; exit 1 when
#                                            something is missing
#   --with PKG                               install PKG too, in the same
#                                            apt run (scripts/setup/deps.sh)
#
# apt-get runs only when something is missing (needs root then): one
# apt-get update and one apt-get install.  All apt output goes to stderr,
# so `KVER=$(scripts/setup/install-kernels.sh --kver 6.12)` works.
#
# No initramfs is built for these kernels when nothing on this machine
# would boot them (see skip_initramfs): QEMU boots them with the project's
# own busybox initramfs, and each update-initramfs run costs about 20 s of
# CPU.  KERNEL_INITRAMFS=yes keeps Debian's default.
set -euo pipefail

SERIES_ALL=(6.1 6.12 6.1-rt)
BACKPORTS_LIST=/etc/apt/sources.list.d/debian-backports.sources

usage() {
	sed -n 's/^# \{0,1\}//; /^Usage:/,/^$/p' "$0" >&2
	exit 2
}

# Newest installed release of series $1 that has an image and headers (and
# for 6.1 and 6.1-rt the source tarball); empty if none.  The flavour is amd64 (never cloud or rt)
# or, for a series ending in -rt, rt-amd64 from the same source.
release_of() {
	local series=${1%-rt} flavour=amd64 r best=

	if [[ $1 == *-rt ]]; then
		flavour=rt-amd64
	fi
	local re="^${series//./\\.}\\.[0-9]+(-[0-9]+|\\+deb[0-9.]+|\\+bpo)?-$flavour\$"

	[[ $series != 6.1 || -f /usr/src/linux-source-6.1.tar.xz ]] || return 0
	for d in /lib/modules/"$series".*-"$flavour"; do
		r=${d##*/}
		[[ $r =~ $re ]] || continue
		[[ -f $d/build/Makefile && -f /boot/vmlinuz-$r ]] || continue
		best=$(printf '%s\n%s\n' "$best" "$r" | sed '/^$/d' | sort -V | tail -n1)
	done
	echo "$best"
}

# apt sources: add bookworm-backports beside debian.sources, same mirror and
# key.  Returns 0 when the file was added (an apt-get update is then due).
add_backports() {
	local uri

	[[ -f $BACKPORTS_LIST ]] && return 1
	grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list \
		/etc/apt/sources.list.d/ && return 1
	uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	cat >"$BACKPORTS_LIST" <<-EOF
		Types: deb
		URIs: ${uri:-http://deb.debian.org/debian}
		Suites: bookworm-backports
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	echo "install-kernels: added $BACKPORTS_LIST" >&2
}

# Package names that install series $1.
packages_of() {
	local v img hdr

	case $1 in
	6.1)
		echo linux-image-amd64 linux-headers-amd64 linux-source-6.1
		;;
	6.12)
		# bookworm-security carries the 6.12 series with its own
		# meta-packages; older mirrors only have it in backports,
		# where the only meta-packages are the default ones: take
		# the versioned names those depend on.
		if [[ -n $(apt-cache policy linux-image-6.12-amd64 2>/dev/null |
			awk '/Candidate:/ && $2 != "(none)"') ]]; then
			echo linux-image-6.12-amd64 linux-headers-6.12-amd64
			return
		fi
		v=$(apt-cache madison linux-image-amd64 |
			awk '$3 ~ /^6\.12\./ { print $3; exit }')
		[[ -n $v ]] || { echo "install-kernels: no 6.12 kernel in apt's sources" >&2; exit 1; }
		img=$(apt-cache depends "linux-image-amd64=$v" | awk '/Depends: linux-image-/ { print $2; exit }')
		hdr=$(apt-cache depends "linux-headers-amd64=$v" | awk '/Depends: linux-headers-/ { print $2; exit }')
		echo "$img" "$hdr"
		;;
	6.1-rt)
		echo linux-image-rt-amd64 linux-headers-rt-amd64 linux-source-6.1
		;;
	esac
}

# Whether to build no initramfs in this run: only when no boot loader
# would offer the new kernels.  GRUB, systemd-boot, extlinux and
# flash-kernel add every installed kernel through their kernel hooks
# (/etc/kernel/postinst.d/zz-*), GRUB's default being the newest, and a
# Debian kernel without its initramfs cannot mount its root file system
# (ext4, SCSI and virtio are modules).  Not detected: a hypervisor that
# boots the guest's /vmlinuz and /initrd.img itself (Xen's pygrub): set
# KERNEL_INITRAMFS=yes there.
skip_initramfs() {
	if [[ ${KERNEL_INITRAMFS:-} == yes || -e /boot/grub/grub.cfg ||
		-d /boot/efi/loader || -d /boot/loader ]]; then
		return 1
	fi
	! compgen -G '/etc/kernel/postinst.d/zz-*' >/dev/null
}

# apt-get install with no update-initramfs run.  Debian builds initramfs
# images at two points of a kernel install: the kernel's postinst hook
# (/etc/kernel/postinst.d/initramfs-tools) for the new kernel, which
# INITRD=No in the environment stops; and the initramfs-tools trigger at
# the end of the run, `update-initramfs -u`, which rebuilds the newest
# kernel that has an image whatever INITRD says.  The trigger fires when
# the run installs initramfs-tools, kmod, udev, busybox, klibc-utils... as
# a fresh machine's first run does.  Both hooks call update-initramfs
# through PATH, and apt sets dpkg's PATH from its DPkg::Path option
# (apt.conf(5)): for this run only, that PATH starts with a directory whose
# update-initramfs only says it skipped.  Nothing on the machine changes
# (no diversion, no config file) and other apt runs meanwhile keep the
# real one.  The trigger is then done for this run; the images of kernels
# that already had one stay as they were.
apt_no_initramfs() {
	local stub rc=0 dpkg_path=

	eval "$(apt-config shell dpkg_path DPkg::Path)"
	stub=$(mktemp -d /tmp/install-kernels.XXXXXX)
	cat >"$stub/update-initramfs" <<-'EOF'
		#!/bin/sh
		echo "update-initramfs $*: skipped (pcpu_pagecache scripts/setup/install-kernels.sh)" >&2
	EOF
	chmod 0755 "$stub/update-initramfs"
	INITRD=No apt-get -o "DPkg::Path=$stub:${dpkg_path:-$PATH}" "$@" || rc=$?
	rm -rf "$stub"
	return "$rc"
}

# install_series SERIES...: install the missing series, and the packages
# of --with, in one apt run.
install_series() {
	local missing=("$@") pkgs=("${with[@]}") s

	if [[ $(id -u) -ne 0 ]]; then
		echo "install-kernels: ${missing[*]} ${with[*]} missing and not root: run as root" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# Backports only for 6.12, on mirrors that lack bookworm-security's.
	if [[ " ${missing[*]} " == *" 6.12 "* ]]; then
		add_backports || true
	fi
	apt-get update -qq >&2
	for s in "${missing[@]}"; do
		# shellcheck disable=SC2207 # names have no spaces
		pkgs+=($(packages_of "$s"))
	done
	echo "install-kernels: installing ${pkgs[*]}" >&2
	# Other lanes on the same machine may be running apt: wait for
	# dpkg's lock rather than fail.  --force-unsafe-io: no fsync of each
	# file dpkg unpacks; the headers are tens of thousands of small files,
	# and 6.1's headers and image unpack in 5 s instead of 24 to 34 on
	# this kind of machine.  A power cut in the middle may leave files
	# empty: reinstall then (apt-get install --reinstall).
	set -- install -y -qq --no-install-recommends \
		-o DPkg::Lock::Timeout=600 \
		-o DPkg::Options::=--force-unsafe-io "${pkgs[@]}"
	if skip_initramfs; then
		echo "install-kernels: no initramfs for these kernels (no boot loader here; KERNEL_INITRAMFS=yes builds them)" >&2
		apt_no_initramfs "$@" </dev/null >&2
	else
		apt-get "$@" </dev/null >&2
	fi
}

want=() with=() only='' check=''
while [[ $# -gt 0 ]]; do
	case $1 in
	--kver)
		[[ $# -ge 2 ]] || usage
		only=$2 want=("$2")
		shift 2
		;;
	--with)
		[[ $# -ge 2 ]] || usage
		with+=("$2")
		shift 2
		;;
	--check) check=1; shift ;;
	-h | --help | -*) usage ;;
	*) want+=("$1"); shift ;;
	esac
done
[[ ${#want[@]} -gt 0 ]] || want=("${SERIES_ALL[@]}")
for s in "${want[@]}"; do
	case $s in
	6.1 | 6.12 | 6.1-rt) ;;
	*) echo "install-kernels: unknown series '$s' (6.1, 6.12 or 6.1-rt)" >&2; exit 2 ;;
	esac
done

missing=()
for s in "${want[@]}"; do
	[[ -n $(release_of "$s") ]] || missing+=("$s")
done
if [[ ${#missing[@]} -gt 0 && -n $check ]]; then
	echo "install-kernels: missing: ${missing[*]}" >&2
	exit 1
fi
if [[ ${#missing[@]} -gt 0 || ${#with[@]} -gt 0 ]] && [[ -z $check ]]; then
	install_series "${missing[@]}"
fi

for s in "${want[@]}"; do
	r=$(release_of "$s")
	if [[ -z $r ]]; then
		echo "install-kernels: $s still missing after install" >&2
		exit 1
	fi
	if [[ -n $only ]]; then
		echo "$r"
	else
		echo "$s $r"
	fi
done

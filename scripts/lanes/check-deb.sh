#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-deb: the Debian package on this machine, from build to purge.
# Builds pcpu-pagecache-dkms_<version>_all.deb (scripts/lanes/deb.sh),
# checks what it ships and that lintian finds nothing (no error, no
# warning), installs it with apt-get, which through DKMS builds and
# installs the module for every kernel whose headers are installed
# (/lib/modules/<release>/build), checks that `modinfo -k <release>` finds
# it in /lib/modules/<release>/updates/dkms/ for each of them, then purges
# the package and checks that nothing of it is left: no DKMS tree, no
# sources in /usr/src, no module under /lib/modules, modinfo finding none.
# The module is never loaded into this machine's kernel.
#
# The package registers the same DKMS module and version as make dkms
# (scripts/lanes/dkms.sh); the two take the same lock, and this lane
# first removes what an earlier run of either left behind, the package
# included if it is installed.
#
# Prints ok / not ok lines, then the final "N passed, N failed", also in
# $BUILD/summary-check-deb.txt.  Exit status: non-zero if anything failed.
#
# The checks are functions that check() calls: reachable.
# shellcheck disable=SC2317
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
summary=$BUILD/summary-check-deb.txt
pkg=pcpu-pagecache-dkms
name=pcpu_pagecache
start=$SECONDS
passed=0 failed=0

mkdir -p "$BUILD"
rm -f "$summary"
log=$BUILD/check-deb.log
: >"$log"

ok() { echo "ok $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok $*"; failed=$((failed + 1)); }
# check LABEL COMMAND...: one result, the command's exit status; its output
# in $log, and shown when it fails.
check()
{
	local label=$1 out st t0=$SECONDS
	shift

	out=$("$@" 2>&1)
	st=$?
	printf '# ---- %s\n%s\n' "$label" "$out" >>"$log"
	if [[ $st -eq 0 ]]; then
		ok "$label ($((SECONDS - t0)) s)"
	else
		printf '%s\n' "$out" | tail -n 30 | sed 's/^/# /'
		not_ok "$label ($((SECONDS - t0)) s)"
	fi
	return "$st"
}

finish()
{
	{
		echo "# ==== check-deb ($((SECONDS - start)) s)"
		echo "$passed passed, $failed failed"
	} | tee "$summary"
	[[ $failed -eq 0 ]]
	exit
}

export DEBIAN_FRONTEND=noninteractive
# Wait for another apt or dpkg run on this machine rather than fail.
apt=(apt-get -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends)

# The kernels the package must build for.
releases=()
for b in /lib/modules/*/build/Makefile; do
	[[ -e $b ]] || continue
	b=${b%/build/Makefile}
	releases+=("${b##*/}")
done

# Every trace of the module that a package or make dkms may have left.
# Prints them; nothing printed, nothing left.
traces()
{
	local r

	dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$pkg" 2>/dev/null |
		grep -v '^un ' | sed 's/^/package: /'
	[[ ! -e /var/lib/dkms/$name ]] || echo "dkms tree: /var/lib/dkms/$name"
	compgen -G "/usr/src/$name-*" | sed 's/^/sources: /'
	compgen -G "/lib/modules/*/updates/dkms/$name.ko*" | sed 's/^/module: /'
	for r in "${releases[@]}"; do
		modinfo -k "$r" -n "$name" 2>/dev/null | sed "s/^/modinfo -k $r: /"
	done
}

# Remove what an earlier run left: the package, then any DKMS version of
# the module and its sources (make dkms's), then a stray module file.
cleanup()
{
	local d v ko

	if dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -qv '^un'; then
		"${apt[@]}" purge "$pkg" </dev/null
	fi
	for d in /var/lib/dkms/"$name"/*/; do
		[[ -d $d && ! -L ${d%/} ]] || continue
		v=$(basename "$d")
		dkms remove -m "$name" -v "$v" --all
	done
	rm -rf "/var/lib/dkms/$name" /usr/src/"$name"-*
	for ko in /lib/modules/*/updates/dkms/"$name".ko*; do
		[[ -e $ko ]] || continue
		rm -f "$ko"
		v=${ko#/lib/modules/}
		depmod "${v%%/*}"
	done
}

# The module in the host kernel: loaded by nobody, this lane included.  A
# loaded module has its /sys/module directory, in /proc/modules too when
# the kernel has module support (some build machines' kernels have none).
not_loaded()
{
	[[ -d /sys/module ]] || { echo "no /sys/module"; return 1; }
	[[ ! -e /sys/module/$name ]] || { echo "/sys/module/$name exists"; return 1; }
	[[ ! -e /proc/modules ]] || ! grep "^$name " /proc/modules
}

exec 9>/run/lock/pcpu_pagecache-dkms.lock
flock -w 900 9 || { not_ok "the DKMS lock: another lane holds it"; finish; }

echo "# kernels with headers: ${releases[*]:-none}"
[[ ${#releases[@]} -gt 0 ]] || not_ok "kernels: no /lib/modules/<release>/build"
left=$(traces)
if [[ -n $left ]]; then
	echo "# left by an earlier run, removed:"
	printf '#   %s\n' "${left//$'\n'/$'\n'#   }"
	cleanup >>"$log" 2>&1
fi
left=$(traces)
if [[ -n $left ]]; then
	printf '# %s\n' "${left//$'\n'/$'\n'# }"
	not_ok "start: nothing of the module installed"
	finish
fi
trap 'cleanup >>"$log" 2>&1' EXIT

t0=$SECONDS
deb=$(BUILD=$BUILD "$top/scripts/lanes/deb.sh" 2>>"$log" | tail -n 1)
if [[ -f $deb ]]; then
	ok "deb: built $(basename "$deb") ($((SECONDS - t0)) s)"
else
	tail -n 30 "$log" | sed 's/^/# /'
	not_ok "deb: make deb built no package"
	finish
fi
ver=$(dpkg-deb -f "$deb" Version)
dir=usr/src/$name-$ver

# What it ships: the sources the module's build takes, dkms.conf with the
# package's version, and the package's documentation, nothing else.
ships()
{
	local want got

	want=$(awk -v d="./$dir/" 'NF > 1 { for (i = 1; i < NF; i++) print d $i }
		END { print d "dkms.conf" }' "$top/debian/$pkg.install"
		printf '%s\n' "./usr/share/doc/$pkg/"{changelog.gz,copyright})
	got=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $NF }')
	diff <(sort <<<"$want") <(sort <<<"$got") || return 1
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./$dir/dkms.conf" |
		grep -x "PACKAGE_VERSION=\"$ver\"" || return 1
	dpkg-deb -f "$deb" Depends | grep -E '(^|, )dkms( |,|$)'
}
check "deb: ships the module's sources and dkms.conf for $name $ver" ships

lint()
{
	local out st

	out=$(lintian "$deb" 2>&1)
	st=$?
	echo "$out"
	[[ $st -eq 0 ]] && ! grep -qE '^[EW]: ' <<<"$out"
}
check "lintian: no error or warning" lint

# DKMS builds, on a package's first install, for every kernel in
# /lib/modules only when the running one is not there (else for it and the
# newest): autoinstall_all_kernels (/etc/dkms/framework.conf) asks for all.
check "apt-get install $(basename "$deb")" \
	env autoinstall_all_kernels=y "${apt[@]}" install "$deb" </dev/null

# installed RELEASE: modinfo finds the module DKMS built for RELEASE.
installed()
{
	local f

	f=$(modinfo -k "$1" -n "$name") || return 1
	echo "$f"
	[[ $f == /lib/modules/$1/updates/dkms/$name.ko* ]] || return 1
	modinfo -k "$1" -F vermagic "$name" | grep -q "^$1 " || return 1
	dkms status -m "$name" -v "$ver" -k "$1" | grep -q ': installed'
}
for r in "${releases[@]}"; do
	check "$r: modinfo -k finds $name in updates/dkms, built by DKMS" installed "$r"
done

check "apt-get purge $pkg" "${apt[@]}" purge "$pkg" </dev/null
nothing_left()
{
	local left

	left=$(traces)
	[[ -z $left ]] || { echo "$left"; return 1; }
}
check "purge: no package, DKMS tree, sources or module left" nothing_left
check "host: $name was never loaded" not_loaded

finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) a lane's own kernel, one flavour of Debian's
# linux-source-6.1 configured from tinyconfig and config fragments:
#   debug  (the default; make check-debug): selftests/config (what the suite
#          needs) + selftests/config.debug (KASAN, lockdep, kmemleak, UBSAN,
#          KUnit...)
#   kcsan  (make check-kcsan): the same two + selftests/config.kcsan (KCSAN
#          in, KASAN, kmemleak and lockdep out)
#
# Usage:  KDIR=$(scripts/setup/build-debug-kernel.sh [--flavour F] | tail -1)
#         scripts/setup/build-debug-kernel.sh [--flavour F] --print-cache
#                 (the cache directory its config maps to; builds nothing)
#
# The last line of stdout is the cache directory. It is at once:
#   - a built kernel tree usable as KDIR:  make -C "$KDIR" M=$PWD modules
#   - $KDIR/bzImage        the kernel to boot in QEMU
#   - $KDIR/kernelrelease  `make kernelrelease` (uname -r in the guest)
#   - $KDIR/build.log      full build output
#   - $KDIR/ready          written last; a directory without it is discarded
# Everything else (progress, errors) goes to stderr.
#
# The cache lives in /var/cache/pcpu_pagecache/<flavour>-kernel-<key>, where
# <key> hashes the linux-source-6.1 package version, RECIPE and the config
# lines that the flavour's fragments merge to (the later fragment winning, sorted,
# comments dropped): a change of an option builds a fresh kernel, while
# comments, the order of the lines and which file holds them do not.  An
# unchanged rerun returns in seconds. Old keys are not deleted (a few GB
# each).
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SELF")/../.." && pwd)
FLAVOUR=debug
PRINT_CACHE=
while (($#)); do
	case $1 in
	--print-cache) PRINT_CACHE=1; shift ;;
	--flavour) FLAVOUR=${2:?--flavour needs a name}; shift 2 ;;
	--flavour=*) FLAVOUR=${1#*=}; shift ;;
	*) echo "usage: $0 [--flavour debug|kcsan] [--print-cache]" >&2; exit 2 ;;
	esac
done
# A flavour's fragments, merged in this order (the later one winning).  The
# debug flavour's list and its cache name are what they were before there
# were flavours: its key, and so its cached kernel, did not change.
case $FLAVOUR in
debug) FRAGMENTS=("$REPO/selftests/config" "$REPO/selftests/config.debug") ;;
kcsan) FRAGMENTS=("$REPO/selftests/config" "$REPO/selftests/config.debug"
		  "$REPO/selftests/config.kcsan") ;;
*) echo "$0: unknown flavour '$FLAVOUR' (debug, kcsan)" >&2; exit 2 ;;
esac
readonly FLAVOUR FRAGMENTS
# Bump when the build steps below change what they make of the same config.
readonly RECIPE=1
readonly SRC_PKG=linux-source-6.1
readonly TARBALL=/usr/src/$SRC_PKG.tar.xz
readonly CACHE_ROOT=${PCPU_DEBUG_KERNEL_CACHE_ROOT:-/var/cache/pcpu_pagecache}
readonly BUILD_DEPS=(bc flex bison libelf-dev libssl-dev dwarves gcc make cpio
		     xz-utils kmod)

log() { printf '[build-%s-kernel] %s\n' "$FLAVOUR" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A caller's environment must not leak into the kernel build: when this runs
# from a project Makefile, MAKEFLAGS carries its command-line variables
# (M=, W=1, KDIR=...) into every make below; LOCALVERSION would change the
# release string; KBUILD_OUTPUT would move the objects out of the cache tree.
unset MAKEFLAGS MFLAGS MAKELEVEL KBUILD_OUTPUT KCONFIG_CONFIG LOCALVERSION \
      ARCH CROSS_COMPILE

for f in "${FRAGMENTS[@]}"; do
	[[ -r $f ]] || die "config fragment not found: $f"
done

# The lines the fragments merge to: one a symbol, the last fragment's value,
# sorted by symbol.  They make the key, and .config must hold each of them.
merged_lines() {
	sed -nE 's/^(CONFIG_[A-Za-z0-9_]+)=.*/\1 &/p
		 s/^# (CONFIG_[A-Za-z0-9_]+) is not set$/\1 &/p' "${FRAGMENTS[@]}" |
		awk '{ sym = $1; sub(/^[^ ]+ /, ""); line[sym] = $0 }
		     END { for (sym in line) print sym, line[sym] }' |
		LC_ALL=C sort | cut -d' ' -f2-
}

install_missing_packages() {
	local pkg missing=()
	for pkg in "$SRC_PKG" "${BUILD_DEPS[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
			grep -qx 'install ok installed' || missing+=("$pkg")
	done
	((${#missing[@]})) || return 0
	((EUID == 0)) || die "missing packages (${missing[*]}) and not root"
	log "installing: ${missing[*]}"
	# apt chatter must stay off stdout (callers take its last line).
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >&2
}

install_missing_packages
[[ -r $TARBALL ]] || die "$TARBALL missing although $SRC_PKG is installed"

pkg_version=$(dpkg-query -W -f='${Version}' "$SRC_PKG")
merged=$(merged_lines)
key=$(printf '%s\n' "$pkg_version" "recipe $RECIPE" "$merged" |
	sha256sum | cut -c1-12)
readonly CACHE=$CACHE_ROOT/$FLAVOUR-kernel-$key
readonly LOG=$CACHE/build.log
# --print-cache: where the flavour's kernel is (or would be), nothing built.
if [[ -n $PRINT_CACHE ]]; then
	echo "$CACHE"
	exit 0
fi

mkdir -p "$CACHE_ROOT"
# Two lanes asking for the same kernel at once: the second waits and then
# takes the first one's result instead of building into the same tree.
exec 9>"$CACHE.lock"
if ! flock -n 9; then
	log "another build of $CACHE is running; waiting for it"
	flock 9
fi

if [[ -f $CACHE/ready ]]; then
	log "reusing $CACHE ($(cat "$CACHE/kernelrelease"))"
	echo "$CACHE"
	exit 0
fi

# Run a build step with its output in the log; on failure show the tail.
run() {
	printf '\n+ %s\n' "$*" >>"$LOG"
	if ! "$@" >>"$LOG" 2>&1; then
		log "FAILED: $*"
		log "last lines of $LOG:"
		tail -n 60 "$LOG" >&2
		exit 1
	fi
}

# Every merged line must have survived olddefconfig, which drops
# unmet-dependency symbols without a word.
verify_config() {
	local line sym bad=()
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" .config ||
				bad+=("wanted '$line', got '$(grep -E "^(# )?${line%%=*}[= ]" .config || echo absent)'")
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			if grep -qE "^$sym=" .config; then
				bad+=("wanted '$line', got '$(grep -E "^$sym=" .config)'")
			fi
			;;
		esac
	done <<<"$merged"
	if ((${#bad[@]})); then
		log "config check FAILED: options lost by olddefconfig (missing dependency?):"
		printf '  %s\n' "${bad[@]}" >&2
		exit 1
	fi
	log "config check: all $(wc -l <<<"$merged") merged fragment lines present"
}

# No ready marker: a previous build was interrupted or failed. Kbuild can't
# be trusted with objects truncated by a killed compiler, so start over.
if [[ -e $CACHE ]]; then
	log "discarding incomplete $CACHE"
	rm -rf "$CACHE"
fi
mkdir -p "$CACHE"
start=$SECONDS
log "building $SRC_PKG $pkg_version into $CACHE (log: $LOG)"
: >"$LOG"

run tar -xJf "$TARBALL" -C "$CACHE" --strip-components=1
cd "$CACHE"

log "configuring"
run make tinyconfig
run scripts/kconfig/merge_config.sh -m .config "${FRAGMENTS[@]}"
run make olddefconfig
printf '%s\n' "$merged" >.config.fragment
verify_config

log "compiling with $(nproc) jobs (10-15 min); follow with: tail -f $LOG"
# nice: the machine is shared with the other lanes' builds and guests.
# `make` = vmlinux + bzImage + modules: the modules step runs modpost over
# vmlinux, which writes the Module.symvers that external modules link to.
run nice -n 10 make -j"$(nproc)"
run nice -n 10 make -j"$(nproc)" modules_prepare
release=$(make -s kernelrelease)
echo "$release" >kernelrelease
cp arch/x86/boot/bzImage bzImage

for f in bzImage vmlinux Module.symvers scripts/mod/modpost \
	 include/generated/autoconf.h include/config/auto.conf; do
	[[ -s $f ]] || die "build finished but $CACHE/$f is missing or empty"
done

printf 'key=%s\nsource=%s %s\nbuilt=%s\nseconds=%s\n' "$key" "$SRC_PKG" \
	"$pkg_version" "$(date -u +%FT%TZ)" "$((SECONDS - start))" >ready
log "done in $((SECONDS - start)) s: $release"
echo "$CACHE"

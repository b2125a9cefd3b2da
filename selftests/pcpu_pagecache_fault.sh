#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fault injection: every allocation of the module's init (with the default
# pool's pcpu_pagecache_create()) fails in turn, in both region modes, and
# so does every allocation of a pcpu_pagecache_create() that
# test_pcpu_pagecache makes.  Each failure must fail the load or the create
# cleanly (modprobe or the write fails; no module, debugfs directory or
# /proc/iomem entry left), and in the end a load or create must work.  The
# kernel's side (no leak, no splat) is the host's: it scans the console,
# and kmemleak runs once the modules are gone.
#
# The N-th fault point fails through fail-nth, for N = 1, 2, ... until a
# load or create succeeds with no fault consumed.  For the loads,
# pcpu_pagecache_fail_init arms fail-nth when the kernel calls the module's
# init and disarms it when the init returns: the module loader's own
# allocations before it (hundreds: sections, sysfs, trace events, KUnit)
# are not the module's.  For the creates, pcpu_pagecache_fail_nth arms it
# around a write to test_pcpu_pagecache's run file.  failslab fails slab
# allocations, fail_page_alloc the 4 MiB blocks of a pool from the page
# allocator (order 10 and up only: smaller page allocations are the slab's
# and KASAN's).  Each try is marked in the kernel log ("pcpu_pagecache_fault:
# begin/end ..."), where the host allows the allocation failure reports an
# injected fault causes.
#
# Needs CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and
# CONFIG_FAULT_INJECTION_DEBUG_FS: without them every result is a skip.
set -u

here=$(dirname "$0")
. "$here/pcpu_pagecache_lib.sh"

FAIL_NTH=$here/pcpu_pagecache_fail_nth
FI_MOD=pcpu_pagecache_fail_init
DBG=/sys/kernel/debug
FI_DIR=$DBG/$FI_MOD
FAILSLAB=$DBG/failslab
FAIL_PAGE=$DBG/fail_page_alloc
MAX_TRIES=1000

names=(
	load_default_pool
	load_reserved_range
	create_from_page_allocator
	create_on_reserved_range
)

# The fault-injection knobs this test changes, and their values before it.
declare -A saved

knob_set()
{
	[[ -w $1 ]] || return 0
	saved[$1]=$(cat "$1")
	echo "$2" > "$1"
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup()
{
	local k

	for k in "${!saved[@]}"; do
		echo "${saved[$k]}" > "$k"
	done
	if mod_loaded "$FI_MOD"; then
		rmmod "$FI_MOD"
	fi
}

# load_case NAME PARAMS...: modprobe with the N-th fault point of the
# module's init failing, for N = 1, 2, ...; then the module that finally
# loaded must work and unload.
load_case()
{
	local name=$1 n res left ret rc bad=0 failed=0 absorbed=0 done=0
	local t0=$SECONDS
	local -A errs=()
	shift

	for ((n = 1; n <= MAX_TRIES; n++)); do
		echo "$n" > "$FI_DIR/nth"
		kmsg_mark "pcpu_pagecache_fault: begin init nth=$n"
		modprobe "$PCP_MOD" "$@" 2>/dev/null
		rc=$?
		kmsg_mark "pcpu_pagecache_fault: end init nth=$n"
		echo 0 > "$FI_DIR/nth"
		res=$(cat "$FI_DIR/result")
		if [[ $res =~ ^nth=$n\ left=([0-9]+)\ ret=(-?[0-9]+)$ ]]; then
			left=${BASH_REMATCH[1]} ret=${BASH_REMATCH[2]}
		else
			ktap_diag "nth=$n: the init did not run or was not seen: '$res' (modprobe: $rc)"
			bad=1
			break
		fi
		if [[ $left -ne 0 ]]; then
			if [[ $rc -eq 0 && $ret -eq 0 ]]; then
				ktap_diag "nth=$n: loaded, no fault consumed: the init has $((n - left)) fault points"
				done=1
			else
				ktap_diag "nth=$n: the load failed (init: $ret) with no fault consumed"
				bad=1
			fi
			break
		fi
		if [[ $rc -eq 0 ]]; then
			absorbed=$((absorbed + 1))
			rmmod "$PCP_MOD" || { ktap_diag "nth=$n: rmmod failed"; bad=1; break; }
			continue
		fi
		failed=$((failed + 1))
		errs[$ret]=$((${errs[$ret]:-0} + 1))
		if [[ $ret -eq 0 ]]; then
			ktap_diag "nth=$n: modprobe failed but the init returned 0"
			bad=1
		fi
		module_gone "nth=$n: the load failed but" || bad=1
		mod_loaded "$PCP_MOD" && rmmod "$PCP_MOD"
	done
	[[ $done -eq 1 || $n -le $MAX_TRIES ]] || ktap_diag "gave up after $MAX_TRIES faults"
	ktap_diag "$name: $((failed + absorbed)) faults injected: $failed failed the load cleanly, $absorbed absorbed ($((SECONDS - t0)) s)"
	for ret in "${!errs[@]}"; do
		ktap_diag "  ${errs[$ret]} failed with $ret"
	done

	if [[ $done -eq 1 ]]; then
		local got

		if ! got=$(stat_get pages_total) || [[ $got != "$PCP_RES_PAGES" ]]; then
			ktap_diag "$name: pages_total '${got:-}' after the last load, expected $PCP_RES_PAGES"
			bad=1
		fi
	fi
	unload_all || { ktap_diag "$name: cannot unload"; bad=1; }
	[[ $done -eq 1 && $bad -eq 0 ]]
	result "$name" $?
}

# create_case NAME MODE: every fault point of test_pcpu_pagecache's
# fault_create action (pcpu_pagecache_create() of pool "fault").
create_case()
{
	local name=$1 rc t0=$SECONDS

	"$FAIL_NTH" -n $MAX_TRIES -g "$PCP_DEBUGFS/fault" -i " : $PCP_MOD:fault" \
		"$PCP_RUN" "fault_create:$2" 2>&1 | ktap_diag_stream
	rc=${PIPESTATUS[0]}
	ktap_diag "$name: $((SECONDS - t0)) s"
	result "$name" "$rc"
}

ktap_plan

if [[ $(id -u) -ne 0 ]]; then
	skip_all "must run as root"
fi
if [[ ! -e /proc/self/fail-nth || ! -d $FAILSLAB ]]; then
	skip_all "no /proc/self/fail-nth or $FAILSLAB (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)"
fi
if ! mod_available "$FI_MOD" || [[ ! -x $FAIL_NTH ]]; then
	skip_all "$FI_MOD or $FAIL_NTH not built"
fi
if [[ ! -d $FAIL_PAGE ]]; then
	ktap_diag "no $FAIL_PAGE: the 4 MiB blocks of the default pool never fail"
fi

start_clean || ktap_diag "could not unload: results below will say"

trap cleanup EXIT
if ! modprobe "$FI_MOD"; then
	skip_all "cannot load $FI_MOD"
fi
# Fail allocations that may sleep too (GFP_KERNEL), quietly: fail-nth
# picks which one, in one task only.
knob_set "$FAILSLAB/ignore-gfp-wait" N
knob_set "$FAILSLAB/verbose" 0
knob_set "$FAIL_PAGE/ignore-gfp-wait" N
knob_set "$FAIL_PAGE/min-order" 10
knob_set "$FAIL_PAGE/verbose" 0

load_case load_default_pool
load_case load_reserved_range base=$PCP_RES_BASE size=$PCP_RES_SIZE

if ! mod_available "$PCP_TEST_MOD"; then
	skip create_from_page_allocator "$PCP_TEST_MOD not available"
	skip create_on_reserved_range "$PCP_TEST_MOD not available"
elif ! modprobe "$PCP_MOD" base=$PCP_RES_BASE size=$PCP_RES_SIZE ||
     ! modprobe "$PCP_TEST_MOD"; then
	ktap_diag "cannot load $PCP_MOD and $PCP_TEST_MOD"
	not_ok create_from_page_allocator
	not_ok create_on_reserved_range
else
	create_case create_from_page_allocator 0
	create_case create_on_reserved_range 1
fi
unload_all || ktap_diag "could not unload the modules"

ktap_finished

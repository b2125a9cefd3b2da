#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload pcpu_pagecache in both region modes, and check that each
# kind of bad parameter makes the load fail cleanly: non-zero modprobe, a
# kernel log line naming the cause, and nothing left behind.  A good load
# must still work afterwards in the same boot.
set -u

here=$(dirname "$0")
. "$here/ktap.sh"
. "$here/pcpu_pagecache_lib.sh"

# Every run of a bad case gets its own kernel log mark.
mark_seq=0

# check_gone: no module, no debugfs directory, no iomem entry.
check_gone()
{
	local bad=0

	if mod_loaded "$PCP_MOD"; then
		ktap_diag "module $PCP_MOD still loaded"
		bad=1
	fi
	if [[ -e $PCP_DEBUGFS ]]; then
		ktap_diag "$PCP_DEBUGFS still exists"
		bad=1
	fi
	if iomem_has_pool; then
		ktap_diag "iomem entry left: $(grep "$PCP_MOD" /proc/iomem)"
		bad=1
	fi
	return $bad
}

# check_pages_total WANT
check_pages_total()
{
	local got

	if ! got=$(stat_get pages_total); then
		ktap_diag "no pages_total in $PCP_STATS"
		return 1
	fi
	if [[ $got != "$1" ]]; then
		ktap_diag "pages_total $got, expected $1"
		return 1
	fi
}

# unload NAME: rmmod the pool module; ok when it and its debugfs are gone.
unload()
{
	if ! rmmod "$PCP_MOD"; then
		ktap_diag "rmmod $PCP_MOD failed"
		ktap_not_ok "$1"
		return
	fi
	check_gone
	ktap_result "$1" $?
}

# bad_case NAME CAUSE_RE PARAM...: modprobe with PARAMs must fail, leave
# nothing behind and log a pcpu_pagecache line matching CAUSE_RE.
bad_case()
{
	local name=$1 cause=$2 mark lines
	shift 2

	mark_seq=$((mark_seq + 1))
	mark="pcpu_pagecache_load.sh: mark $mark_seq: $name"
	kmsg_mark "$mark"

	if modprobe "$PCP_MOD" "$@" 2>/dev/null; then
		ktap_diag "modprobe $PCP_MOD $* succeeded"
		ktap_not_ok "${name}_modprobe_fails"
		# Remove it so that the next cases start clean.
		rmmod "$PCP_MOD" 2>/dev/null
	else
		ktap_ok "${name}_modprobe_fails"
	fi

	check_gone
	ktap_result "${name}_leaves_nothing" $?

	# The loader's own taint notices carry the module's prefix too.
	lines=$(kmsg_since "$mark" | grep "$PCP_MOD: " |
		grep -Ev 'taint(s|ing) kernel')
	if [[ -z $lines ]]; then
		ktap_diag "no '$PCP_MOD: ' kernel log line after modprobe $*"
		ktap_not_ok "${name}_logs_cause"
	elif ! grep -Eiq "$cause" <<<"$lines"; then
		ktap_diag "log lines do not name the cause (/$cause/):"
		ktap_diag "$lines"
		ktap_not_ok "${name}_logs_cause"
	else
		ktap_diag "$(grep -Ei "$cause" <<<"$lines" | head -n1)"
		ktap_ok "${name}_logs_cause"
	fi
}

skip_case()
{
	local t

	for t in modprobe_fails leaves_nothing logs_cause; do
		ktap_skip "${1}_$t" "$2"
	done
}

ktap_plan 28

if [[ $(id -u) -ne 0 ]]; then
	echo "# must run as root"
	exit "$KSFT_SKIP"
fi

# An earlier test may have left the modules loaded; start from nothing.
if mod_loaded "$PCP_MOD"; then
	ktap_diag "$PCP_MOD was loaded before the test; unloading it"
	unload_all || ktap_diag "could not unload: results below will say"
fi

# Default mode: the pool's memory comes from the page allocator.
if modprobe "$PCP_MOD"; then
	ktap_ok load_default_pool
	[[ -r $PCP_STATS ]]
	ktap_result default_pool_stats_present $?
	check_pages_total "$PCP_RES_PAGES"
	ktap_result default_pool_pages_total_16384 $?
	if msg=$(stats_invariant); then
		ktap_ok default_pool_stats_invariant
	else
		ktap_diag "$msg"
		ktap_not_ok default_pool_stats_invariant
	fi
	unload unload_default_pool
else
	ktap_not_ok load_default_pool
	for t in default_pool_stats_present default_pool_pages_total_16384 \
		 default_pool_stats_invariant unload_default_pool; do
		ktap_not_ok "$t"
	done
fi

# Reserved mode: the pool claims [base, base + size) of the memmap= range.
if modprobe "$PCP_MOD" base=$PCP_RES_BASE size=$PCP_RES_SIZE; then
	ktap_ok load_reserved_range
	if iomem_has_pool "$PCP_RES_IOMEM"; then
		ktap_ok reserved_range_iomem_entry
	else
		ktap_diag "no $PCP_RES_IOMEM : $PCP_MOD in /proc/iomem:"
		ktap_diag "$(grep -i -e "$PCP_MOD" -e '^ *3[0-3]' /proc/iomem)"
		ktap_not_ok reserved_range_iomem_entry
	fi
	check_pages_total "$PCP_RES_PAGES"
	ktap_result reserved_range_pages_total_16384 $?
	unload unload_reserved_range
	! iomem_has_pool
	ktap_result reserved_range_iomem_released $?
else
	ktap_not_ok load_reserved_range
	for t in reserved_range_iomem_entry reserved_range_pages_total_16384 \
		 unload_reserved_range reserved_range_iomem_released; do
		ktap_not_ok "$t"
	done
fi

# Page aligned but not 2 MiB aligned: it loads, mapped with small pages,
# and says so.
mark_seq=$((mark_seq + 1))
mark="pcpu_pagecache_load.sh: mark $mark_seq: base_4k_aligned"
kmsg_mark "$mark"
if modprobe "$PCP_MOD" base=$((PCP_RES_BASE + 0x1000)) size=0x1000000; then
	kmsg_since "$mark" | grep -q 'not 2 MiB aligned'
	ktap_result base_4k_aligned_loads_and_warns $?
	rmmod "$PCP_MOD" || ktap_diag "rmmod $PCP_MOD failed"
else
	ktap_not_ok base_4k_aligned_loads_and_warns
fi

bad_case base_unaligned 'align|base' base=0x30000100 size=$PCP_RES_SIZE
bad_case size_unaligned 'align|size' base=$PCP_RES_BASE size=0x4000100
bad_case size_zero 'size|zero|empty' base=$PCP_RES_BASE size=0
# 16 MiB is inside the kernel image: System RAM, never a reserved range.
bad_case system_ram 'ram|memory|reserved|busy|overlap|conflict|claim|iomem' \
	base=0x1000000 size=0x400000

# A range another driver holds must be refused.
if ! mod_available "$PCP_CLAIM_MOD"; then
	skip_case range_claimed "$PCP_CLAIM_MOD not available"
elif ! modprobe "$PCP_CLAIM_MOD" base=$PCP_RES_BASE size=0x400000; then
	ktap_diag "modprobe $PCP_CLAIM_MOD failed"
	skip_case range_claimed "could not claim the range"
else
	bad_case range_claimed 'busy|claim|in use|overlap|conflict|request' \
		base=$PCP_RES_BASE size=$PCP_RES_SIZE
	rmmod "$PCP_CLAIM_MOD" || ktap_diag "rmmod $PCP_CLAIM_MOD failed"
fi

# The failed loads must not have broken anything for the next one.
if modprobe "$PCP_MOD" base=$PCP_RES_BASE size=$PCP_RES_SIZE &&
   check_pages_total "$PCP_RES_PAGES" && iomem_has_pool "$PCP_RES_IOMEM"; then
	ktap_ok load_after_bad_params
else
	ktap_not_ok load_after_bad_params
fi
if mod_loaded "$PCP_MOD"; then
	unload unload_after_bad_params
else
	ktap_not_ok unload_after_bad_params
fi

ktap_finished

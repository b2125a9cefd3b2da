#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload pcpu_pagecache in both region modes, and check that each
# kind of bad parameter makes the load fail cleanly: non-zero modprobe, a
# kernel log line naming the cause, and nothing left behind.  A good load
# must still work afterwards in the same boot.
set -u

here=$(dirname "$0")
. "$here/pcpu_pagecache_lib.sh"

names=(
	load_default_pool default_pool_stats_present
	default_pool_pages_total_16384 default_pool_stats_invariant
	unload_default_pool
	load_reserved_range reserved_range_iomem_entry
	reserved_range_pages_total_16384 unload_reserved_range
	reserved_range_iomem_released
	base_4k_aligned_loads_and_warns
)
for c in base_unaligned size_unaligned size_zero system_ram range_claimed; do
	names+=("${c}_modprobe_fails" "${c}_leaves_nothing" "${c}_logs_cause")
done
names+=(load_after_bad_params unload_after_bad_params)

# Every run of a bad case gets its own kernel log mark.
mark_seq=0
next_mark()
{
	mark_seq=$((mark_seq + 1))
	mark="pcpu_pagecache_load.sh: mark $mark_seq: $1"
	kmsg_mark "$mark"
}

# unload: rmmod the pool module; it and what it held are gone.
unload()
{
	rmmod "$PCP_MOD" || { ktap_diag "rmmod $PCP_MOD failed"; return 1; }
	module_gone
}

# reserved_range_iomem_entry: the pool's range is claimed in /proc/iomem.
reserved_range_iomem_entry()
{
	iomem_has_pool "$PCP_RES_IOMEM" && return 0
	ktap_diag "no $PCP_RES_IOMEM : $PCP_MOD in /proc/iomem:"
	ktap_diag "$(grep -i -e "$PCP_MOD" -e '^ *3[0-3]' /proc/iomem)"
	return 1
}

# logs_cause CAUSE_RE: since the mark, a pcpu_pagecache line names the cause.
logs_cause()
{
	local lines

	# The loader's own taint notices carry the module's prefix too.
	lines=$(kmsg_since "$mark" | grep "$PCP_MOD: " |
		grep -Ev 'taint(s|ing) kernel')
	if [[ -z $lines ]]; then
		ktap_diag "no '$PCP_MOD: ' kernel log line after the modprobe"
		return 1
	fi
	if ! grep -Eiq "$1" <<<"$lines"; then
		ktap_diag "log lines do not name the cause (/$1/):"
		ktap_diag "$lines"
		return 1
	fi
	ktap_diag "$(grep -Ei "$1" <<<"$lines" | head -n1)"
}

# bad_case NAME CAUSE_RE PARAM...: modprobe with PARAMs must fail, leave
# nothing behind and log a pcpu_pagecache line matching CAUSE_RE.
bad_case()
{
	local name=$1 cause=$2
	shift 2

	next_mark "$name"
	if modprobe "$PCP_MOD" "$@" 2>/dev/null; then
		ktap_diag "modprobe $PCP_MOD $* succeeded"
		not_ok "${name}_modprobe_fails"
		# Remove it so that the next cases start clean.
		rmmod "$PCP_MOD" 2>/dev/null
	else
		ok "${name}_modprobe_fails"
	fi
	check "${name}_leaves_nothing" module_gone
	check "${name}_logs_cause" logs_cause "$cause"
}

skip_case()
{
	local t

	for t in modprobe_fails leaves_nothing logs_cause; do
		skip "${1}_$t" "$2"
	done
}

ktap_plan
need_root
# An earlier test may have left the modules loaded; start from nothing.
start_clean || ktap_diag "could not unload: results below will say"

# Default mode: the pool's memory comes from the page allocator.
if modprobe "$PCP_MOD"; then
	ok load_default_pool
	check default_pool_stats_present test -r "$PCP_STATS"
	check default_pool_pages_total_16384 expect_stat pages_total "$PCP_RES_PAGES"
	check default_pool_stats_invariant stats_invariant
	check unload_default_pool unload
else
	for t in load_default_pool default_pool_stats_present \
		 default_pool_pages_total_16384 default_pool_stats_invariant \
		 unload_default_pool; do
		not_ok "$t"
	done
fi

# Reserved mode: the pool claims [base, base + size) of the memmap= range.
if modprobe "$PCP_MOD" base=$PCP_RES_BASE size=$PCP_RES_SIZE; then
	ok load_reserved_range
	check reserved_range_iomem_entry reserved_range_iomem_entry
	check reserved_range_pages_total_16384 expect_stat pages_total "$PCP_RES_PAGES"
	check unload_reserved_range unload
	! iomem_has_pool ""
	result reserved_range_iomem_released $?
else
	for t in load_reserved_range reserved_range_iomem_entry \
		 reserved_range_pages_total_16384 unload_reserved_range \
		 reserved_range_iomem_released; do
		not_ok "$t"
	done
fi

# Page aligned but not 2 MiB aligned: it loads, mapped with small pages,
# and says so.
next_mark base_4k_aligned
if modprobe "$PCP_MOD" base=$((PCP_RES_BASE + PCP_PAGE_SIZE)) size=0x1000000; then
	kmsg_since "$mark" | grep -q 'not 2 MiB aligned'
	result base_4k_aligned_loads_and_warns $?
	rmmod "$PCP_MOD" || ktap_diag "rmmod $PCP_MOD failed"
else
	not_ok base_4k_aligned_loads_and_warns
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
modprobe "$PCP_MOD" base=$PCP_RES_BASE size=$PCP_RES_SIZE &&
	expect_stat pages_total "$PCP_RES_PAGES" &&
	iomem_has_pool "$PCP_RES_IOMEM"
result load_after_bad_params $?
if mod_loaded "$PCP_MOD"; then
	check unload_after_bad_params unload
else
	not_ok unload_after_bad_params
fi

ktap_finished

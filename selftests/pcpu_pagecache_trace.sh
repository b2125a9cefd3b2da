#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The trace events of pcpu_pagecache.  Load the module on the reserved
# range, so that every address of the default pool is known, enable its
# events in tracefs, make each one happen (test_pcpu_pagecache's actions,
# the debugfs drain, a test pool destroyed), and check what the trace
# buffer shows for each trigger: the event is there, its fields parse and
# hold the right values.  Also check the events' format files.  The flush
# of a CPU going offline (reason=hotplug) is checked with the rest of that
# flush by pcpu_pagecache_cpu_on_off.sh.
#
# Unloading a module clears the trace buffer, so each trigger's events are
# read before anything is unloaded.
set -u

here=$(dirname "$0")
. "$here/pcpu_pagecache_lib.sh"

EVDIR=$PCP_TRACING/events/$PCP_MOD
DRAIN=$PCP_DEBUGFS/default/drain

PAGE=$PCP_PAGE_SIZE
WINDOW=$PCP_WINDOW_PAGES
POOL_LO=$((PCP_RES_BASE))
POOL_HI=$((PCP_RES_BASE + PCP_RES_SIZE))
# What test_pcpu_pagecache's default_bad_free frees twice.
BAD_FREE_PAGES=16
# The pool that test_pcpu_pagecache's api_single_page creates and destroys.
TEST_POOL=t_single

events=(refill flush alloc_slow free_slow alloc_fail invalid_free)
declare -A ev_fields=(
	[refill]="pool cpu base npages reason"
	[flush]="pool cpu base npages reason"
	[alloc_slow]="pool addr npages"
	[free_slow]="pool addr npages"
	[alloc_fail]="pool addr npages"
	[invalid_free]="pool addr npages why caller"
)

# Result names in order, so that a test that cannot go on still reports
# every planned result.
names=(load_modules)
for e in "${events[@]}"; do
	names+=("format_$e")
done
names+=(
	refill_on_first_alloc_every_cpu
	flush_reason_drain
	alloc_slow_16_plus_pages
	free_slow_16_plus_pages
	invalid_free_double_free
	alloc_fail_exhaustion
	flush_reason_refill
	flush_reason_destroy
	every_event_line_well_formed
	unload
)

tmp=$(mktemp -d) || exit "$KSFT_FAIL"
trap 'rm -rf "$tmp"' EXIT
# Every event line of every trigger, for the well-formedness check.
: > "$tmp/all"

events_set()
{
	local e

	for e in "${events[@]}"; do
		trace_event "$e" "$1"
	done
}

# What bail (ktap.sh) leaves behind it.
ktap_cleanup()
{
	events_set 0
	unload_all 2>/dev/null
}

# ---- Reading the trace buffer -------------------------------------------

# trace_take NAME: keep the buffer's event lines of our events in
# $tmp/NAME (as "EVENT PAYLOAD") and in $tmp/all.
trace_take()
{
	trace_events > "$tmp/$1"
	cat "$tmp/$1" >> "$tmp/all"
}

# lines NAME EVENT: the payloads of EVENT in trigger NAME's lines.
lines()
{
	awk -v e="$2" '$1 == e { sub(/^[^ ]+ /, ""); print }' "$tmp/$1"
}

# show NAME: the trigger's lines, as diagnostics (the first 20).
show()
{
	ktap_diag "trace of this trigger ($(wc -l < "$tmp/$1") lines):"
	[[ -s $tmp/$1 ]] && ktap_diag "$(head -n 20 "$tmp/$1")"
}

# parse EVENT PAYLOAD: split PAYLOAD into F_* variables; 1 if it does not
# have EVENT's shape.
parse()
{
	local win='^pool=([^ ]+) cpu=([0-9]+) base=(0x[0-9a-f]+) npages=([0-9]+) reason=([a-z]+)$'
	local rng='^pool=([^ ]+) addr=(0x[0-9a-f]+) npages=([0-9]+)$'
	local inv='^pool=([^ ]+) addr=(0x[0-9a-f]+) npages=([0-9]+) why=(.+) caller=(.+)$'

	F_pool='' F_cpu='' F_base='' F_addr='' F_npages='' F_reason=''
	F_why='' F_caller=''
	case $1 in
	refill|flush)
		[[ $2 =~ $win ]] || return 1
		F_pool=${BASH_REMATCH[1]} F_cpu=${BASH_REMATCH[2]}
		F_base=$((BASH_REMATCH[3])) F_npages=${BASH_REMATCH[4]}
		F_reason=${BASH_REMATCH[5]}
		case $F_reason in
		refill|hotplug|drain|destroy|reclaim) ;;
		*) return 1 ;;
		esac
		;;
	alloc_slow|free_slow|alloc_fail)
		[[ $2 =~ $rng ]] || return 1
		F_pool=${BASH_REMATCH[1]} F_addr=$((BASH_REMATCH[2]))
		F_npages=${BASH_REMATCH[3]}
		;;
	invalid_free)
		[[ $2 =~ $inv ]] || return 1
		F_pool=${BASH_REMATCH[1]} F_addr=$((BASH_REMATCH[2]))
		F_npages=${BASH_REMATCH[3]} F_why=${BASH_REMATCH[4]}
		F_caller=${BASH_REMATCH[5]}
		;;
	*)
		return 1
		;;
	esac
}

hex() { printf '%#x' "$1"; }

# in_pool ADDR NPAGES: [ADDR, +NPAGES pages) is page aligned and inside
# the default pool; a diagnostic if not.
in_pool()
{
	if (($1 % PAGE)); then
		ktap_diag "$(hex "$1") is not page aligned"
		return 1
	fi
	if (($1 < POOL_LO || $1 + $2 * PAGE > POOL_HI)); then
		ktap_diag "$(hex "$1") +$2 pages is outside the pool" \
			"[$(hex "$POOL_LO"), $(hex "$POOL_HI"))"
		return 1
	fi
}

# each_event NAME EVENT WHAT FN: FN LINE for each EVENT line of trigger
# NAME, its fields parsed into F_*; FN returns 0 (good), 1 (bad) or 2
# (not a line looked for).  1 if a line does not parse, FN found a bad
# one, or there was none to look at (WHAT says which were looked for).
each_event()
{
	local name=$1 ev=$2 what=$3 fn=$4 l rc bad=0 n=0

	while IFS= read -r l; do
		if ! parse "$ev" "$l"; then
			ktap_diag "$ev: cannot parse: $l" >&2
			bad=1
			continue
		fi
		"$fn" "$l"
		rc=$?
		((rc == 2)) && continue
		n=$((n + 1))
		((rc == 0)) || bad=1
	done < <(lines "$name" "$ev")
	if ((n == 0)); then
		ktap_diag "no $ev event with $what" >&2
		return 1
	fi
	return "$bad"
}

# window_line LINE: check_window's checks of one line.
window_line()
{
	local bad=0

	if [[ $F_pool != "$pool" || $F_reason != "$reason" ]]; then
		ktap_diag "$ev: expected pool=$pool reason=$reason: $1" >&2
		bad=1
	fi
	if ((F_npages < min || F_npages > WINDOW)); then
		ktap_diag "$ev: npages not in [$min, $WINDOW]: $1" >&2
		bad=1
	fi
	if [[ ! -d $PCP_CPU_DIR/cpu$F_cpu ]]; then
		ktap_diag "$ev: no such CPU: $1" >&2
		bad=1
	fi
	if [[ $pool == default ]]; then
		if ! in_pool "$F_base" "$WINDOW" >&2 ||
		   (( (F_base - POOL_LO) % (WINDOW * PAGE) )); then
			ktap_diag "$ev: base is not a window of the pool: $1" >&2
			bad=1
		fi
	elif ((F_base % (WINDOW * PAGE))); then
		ktap_diag "$ev: base is not window aligned: $1" >&2
		bad=1
	fi
	echo "$F_cpu"
	return "$bad"
}

# check_window NAME EVENT REASON POOL MIN_NPAGES: every EVENT line of
# trigger NAME is for POOL with REASON, npages in [MIN_NPAGES, 64], its
# window inside the pool (the default pool) or page aligned (others) and
# aligned to a window.  Prints the CPUs of the lines; 1 if there are none.
check_window()
{
	local reason=$3 pool=$4 min=$5

	each_event "$1" "$2" "reason=$reason" window_line
}

# range_line LINE: check_range's checks of one line.
range_line()
{
	local bad=0

	[[ $F_npages == "$want" ]] || return 2
	if [[ $F_pool != default ]]; then
		ktap_diag "$ev: expected pool=default: $1" >&2
		bad=1
	fi
	in_pool "$F_addr" "$F_npages" >&2 || bad=1
	echo "$F_addr"
	return "$bad"
}

# check_range NAME EVENT NPAGES: the EVENT lines of trigger NAME with
# npages=NPAGES are for the default pool and inside it.  Prints their
# addresses (decimal); 1 if there are none.
check_range()
{
	local want=$3

	each_event "$1" "$2" "npages=$want" range_line
}

# every_online_cpu NAME EVENT REASON: trigger NAME has a full window's
# EVENT with REASON on the default pool for each online CPU, and only them.
every_online_cpu()
{
	local cpus

	if cpus=$(check_window "$1" "$2" "$3" default "$WINDOW") &&
	   same_set "$cpus" "$(online_cpus)"; then
		return 0
	fi
	ktap_diag "$2 reason=$3 on CPUs '$(xargs <<<"$cpus")', online" \
		"'$(online_cpus | xargs)'"
	show "$1"
	return 1
}

# same_set A B: two lists of words hold the same words.
same_set()
{
	[[ $(tr ' ' '\n' <<<"$1" | sort -u | xargs) == \
	   "$(tr ' ' '\n' <<<"$2" | sort -u | xargs)" ]]
}

# ---- Setup ----------------------------------------------------------------

ktap_plan
need_root
if [[ ! -e $PCP_TRACING/trace ]]; then
	mount -t tracefs tracefs "$PCP_TRACING" 2>/dev/null
fi
[[ -e $PCP_TRACING/trace ]] || skip_program "no tracefs at $PCP_TRACING"

if ! mod_available "$PCP_TEST_MOD"; then
	bail "$PCP_TEST_MOD not available: it drives the allocations"
fi
start_clean || bail "could not unload the modules"
if ! modprobe "$PCP_MOD" base=$PCP_RES_BASE size=$PCP_RES_SIZE; then
	bail "modprobe $PCP_MOD base=$PCP_RES_BASE size=$PCP_RES_SIZE failed"
fi
if ! modprobe "$PCP_TEST_MOD" || [[ ! -w $PCP_RUN ]]; then
	bail "modprobe $PCP_TEST_MOD failed, or no $PCP_RUN"
fi
ok load_modules

# ---- The format files ---------------------------------------------------

for e in "${events[@]}"; do
	fmt=$EVDIR/${PCP_MOD}_$e/format
	if [[ ! -r $fmt ]]; then
		ktap_diag "no $fmt"
		not_ok "format_$e"
		continue
	fi
	bad=0
	for f in ${ev_fields[$e]}; do
		# e.g. "	field:char pool[32];	offset:8;	size:32;	signed:0;"
		if ! grep -Eq "^[[:space:]]*field:[^;]*[ *]$f(\[[0-9]+\])?;" "$fmt"; then
			ktap_diag "$fmt lists no field $f"
			bad=1
		fi
	done
	if ! grep -q '^print fmt:' "$fmt"; then
		ktap_diag "$fmt has no print fmt"
		bad=1
	fi
	result "format_$e" $bad
done

# ---- Enable -------------------------------------------------------------

tracing_on_before=$(cat "$PCP_TRACING/tracing_on")
echo 1 > "$PCP_TRACING/tracing_on"
for e in "${events[@]}"; do
	trace_event "$e" 1 || bail "cannot enable ${PCP_MOD}_$e"
done
ktap_diag "online CPUs: $(online_cpus | xargs)"

# ---- Triggers -----------------------------------------------------------

# A fresh pool: every CPU's first allocation takes a full window.
trace_clear
tp_run warm_all
trace_take warm
check refill_on_first_alloc_every_cpu every_online_cpu warm refill refill

# The drain file flushes every CPU's window, all its pages free again.
trace_clear
echo 1 > "$DRAIN" || ktap_diag "echo 1 > $DRAIN failed"
trace_take drain
check flush_reason_drain every_online_cpu drain flush drain

# 16 pages and more never go through the per-CPU cache.
trace_clear
tp_run default_alloc:100
trace_take large
if alloc_addr=$(check_range large alloc_slow 100) &&
   [[ $(wc -l <<<"$alloc_addr") -eq 1 ]]; then
	ok alloc_slow_16_plus_pages
else
	show large
	not_ok alloc_slow_16_plus_pages
fi
if free_addr=$(check_range large free_slow 100) &&
   [[ $free_addr == "$alloc_addr" ]]; then
	ok free_slow_16_plus_pages
else
	ktap_diag "free_slow addr '$free_addr', alloc_slow addr '$alloc_addr'"
	show large
	not_ok free_slow_16_plus_pages
fi

# A double free: the second is refused, naming the caller.
trace_clear
tp_run default_bad_free
trace_take bad_free
bad=0
n=0
caller_re="^default_bad_free\+0x[0-9a-f]+/0x[0-9a-f]+ \[$PCP_TEST_MOD\]\$"
addr=$(check_range bad_free alloc_slow "$BAD_FREE_PAGES") || bad=1
while IFS= read -r l; do
	n=$((n + 1))
	if ! parse invalid_free "$l"; then
		ktap_diag "invalid_free: cannot parse: $l"
		bad=1
		continue
	fi
	if [[ $F_pool != default || $F_npages != "$BAD_FREE_PAGES" ||
	      $F_addr != "$addr" ]]; then
		ktap_diag "invalid_free: expected pool=default" \
			"addr=$(hex "${addr:-0}") npages=$BAD_FREE_PAGES: $l"
		bad=1
	fi
	if [[ -z ${F_why// /} ]]; then
		ktap_diag "invalid_free: empty why=: $l"
		bad=1
	fi
	if ! [[ $F_caller =~ $caller_re ]]; then
		ktap_diag "invalid_free: caller= is not default_bad_free in $PCP_TEST_MOD: $l"
		bad=1
	fi
done < <(lines bad_free invalid_free)
if ((n != 1)); then
	ktap_diag "$n invalid_free events, expected 1"
	bad=1
fi
if ((bad)); then
	show bad_free
else
	ktap_diag "invalid_free: why=$F_why caller=$F_caller"
fi
result invalid_free_double_free $bad

# Exhaustion: take every page of the pool, then one more must fail.  It
# drains first, and its windows run dry and are traded: flush with
# reason=drain, then reason=refill; the allocation that finds nothing left
# reclaims every cache before it fails: reason=reclaim, for any cache that
# still holds a window.
trace_clear
tp_run default_exhaust
trace_take exhaust
bad=0
n=0
while IFS= read -r l; do
	n=$((n + 1))
	if ! parse alloc_fail "$l" || [[ $F_pool != default || $F_addr != 0 ]] ||
	   ((F_npages < 1 || F_npages > PCP_RES_PAGES)); then
		ktap_diag "alloc_fail: expected pool=default addr=0x0 npages in" \
			"[1, $PCP_RES_PAGES]: $l"
		bad=1
	fi
done < <(lines exhaust alloc_fail)
if ((n == 0)) || ! lines exhaust alloc_fail | grep -q ' npages=1$'; then
	ktap_diag "$n alloc_fail events, none for a single page"
	bad=1
fi
((bad)) && show exhaust
result alloc_fail_exhaustion $bad

# Only the flushes with reason=refill: the drain's were checked above.
awk '$1 != "flush" || / reason=refill$/' "$tmp/exhaust" > "$tmp/exhaust_refill"
others=$(lines exhaust flush | grep -Ev ' reason=(refill|drain|reclaim)$')
if check_window exhaust_refill flush refill default 0 >/dev/null &&
   [[ -z $others ]]; then
	ok flush_reason_refill
else
	[[ -z $others ]] || ktap_diag "flushes for neither refill, drain" \
		"nor reclaim: $others"
	show exhaust
	not_ok flush_reason_refill
fi

# A pool destroyed with warm windows flushes them.
trace_clear
tp_run api_single_page
trace_take destroy
if check_window destroy refill refill "$TEST_POOL" 1 >/dev/null &&
   awk '$1 != "flush" || / reason=destroy$/' "$tmp/destroy" \
	> "$tmp/destroy_only" &&
   check_window destroy_only flush destroy "$TEST_POOL" 0 >/dev/null; then
	ok flush_reason_destroy
else
	show destroy
	not_ok flush_reason_destroy
fi

# Every line of every trigger has its event's shape.
bad=0
n=0
while read -r e l; do
	n=$((n + 1))
	if ! parse "$e" "$l"; then
		ktap_diag "cannot parse: ${PCP_MOD}_$e: $l"
		bad=1
	fi
done < "$tmp/all"
ktap_diag "$n event lines in all, by event:" \
	"$(awk '{ n[$1]++ } END { for (e in n) printf " %s %d", e, n[e] }' "$tmp/all")"
for e in "${events[@]}"; do
	if ! grep -q "^$e " "$tmp/all"; then
		ktap_diag "no ${PCP_MOD}_$e event at all"
		bad=1
	fi
done
result every_event_line_well_formed $bad

# ---- Cleanup --------------------------------------------------------------

events_set 0
echo "$tracing_on_before" > "$PCP_TRACING/tracing_on"
trace_clear

check unload unload_all

ktap_finished

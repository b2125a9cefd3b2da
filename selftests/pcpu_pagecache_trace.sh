#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The trace events of pcpu_pagecache.  Load the module on the reserved
# range, so that every address of the default pool is known, enable its
# events in tracefs, make each one happen (test_pcpu_pagecache's actions,
# the debugfs drain, a CPU offline, a test pool destroyed), and check what
# the trace buffer shows for each trigger: the event is there, its fields
# parse and hold the right values.  Also check the events' format files.
#
# Unloading a module clears the trace buffer, so each trigger's events are
# read before anything is unloaded.
set -u

here=$(dirname "$0")
. "$here/ktap.sh"
. "$here/pcpu_pagecache_lib.sh"

TRACING=/sys/kernel/tracing
EVDIR=$TRACING/events/$PCP_MOD
RUN=/sys/kernel/debug/$PCP_TEST_MOD/run
DRAIN=$PCP_DEBUGFS/default/drain
CPU1=/sys/devices/system/cpu/cpu1/online

PAGE=4096
WINDOW=64		# pages in a per-CPU window
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
names=(tracefs_mounted load_modules)
for e in "${events[@]}"; do
	names+=("format_$e")
done
names+=(
	events_enabled
	refill_on_first_alloc_every_cpu
	flush_reason_drain
	flush_reason_hotplug
	alloc_slow_16_plus_pages
	free_slow_16_plus_pages
	invalid_free_double_free
	alloc_fail_exhaustion
	flush_reason_refill
	flush_reason_destroy
	every_event_line_well_formed
	events_disabled
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
		[[ -e $EVDIR/${PCP_MOD}_$e/enable ]] || continue
		echo "$1" > "$EVDIR/${PCP_MOD}_$e/enable" 2>/dev/null
	done
}

# What bail (ktap.sh) leaves behind it.
ktap_cleanup()
{
	events_set 0
	unload_all 2>/dev/null
}

# ---- Reading the trace buffer -------------------------------------------

trace_clear()
{
	: > "$TRACING/trace"
}

# trace_take NAME: keep the buffer's event lines of our events in
# $tmp/NAME (as "EVENT PAYLOAD") and in $tmp/all.
trace_take()
{
	sed -n "s/^.* ${PCP_MOD}_\([a-z_]*\): /\1 /p" "$TRACING/trace" \
		> "$tmp/$1"
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
			"[$(hex $POOL_LO), $(hex $POOL_HI))"
		return 1
	fi
}

# check_window NAME EVENT REASON POOL MIN_NPAGES: every EVENT line of
# trigger NAME is for POOL with REASON, npages in [MIN_NPAGES, 64], its
# window inside the pool (the default pool) or page aligned (others) and
# aligned to a window.  Prints the CPUs of the lines; 1 if there are none.
check_window()
{
	local name=$1 ev=$2 reason=$3 pool=$4 min=$5 l bad=0 n=0

	while IFS= read -r l; do
		if ! parse "$ev" "$l"; then
			ktap_diag "$ev: cannot parse: $l" >&2
			bad=1
			continue
		fi
		n=$((n + 1))
		if [[ $F_pool != "$pool" || $F_reason != "$reason" ]]; then
			ktap_diag "$ev: expected pool=$pool reason=$reason: $l" >&2
			bad=1
		fi
		if ((F_npages < min || F_npages > WINDOW)); then
			ktap_diag "$ev: npages not in [$min, $WINDOW]: $l" >&2
			bad=1
		fi
		if [[ ! -d /sys/devices/system/cpu/cpu$F_cpu ]]; then
			ktap_diag "$ev: no such CPU: $l" >&2
			bad=1
		fi
		if [[ $pool == default ]]; then
			if ! in_pool "$F_base" "$WINDOW" >&2 ||
			   (( (F_base - POOL_LO) % (WINDOW * PAGE) )); then
				ktap_diag "$ev: base is not a window of the pool: $l" >&2
				bad=1
			fi
		elif ((F_base % (WINDOW * PAGE))); then
			ktap_diag "$ev: base is not window aligned: $l" >&2
			bad=1
		fi
		echo "$F_cpu"
	done < <(lines "$name" "$ev")
	if ((n == 0)); then
		ktap_diag "no $ev event with reason=$reason" >&2
		return 1
	fi
	return $bad
}

# check_range NAME EVENT NPAGES: the EVENT lines of trigger NAME with
# npages=NPAGES are for the default pool and inside it.  Prints their
# addresses (decimal); 1 if there are none.
check_range()
{
	local name=$1 ev=$2 want=$3 l bad=0 n=0

	while IFS= read -r l; do
		if ! parse "$ev" "$l"; then
			ktap_diag "$ev: cannot parse: $l" >&2
			bad=1
			continue
		fi
		[[ $F_npages == "$want" ]] || continue
		n=$((n + 1))
		if [[ $F_pool != default ]]; then
			ktap_diag "$ev: expected pool=default: $l" >&2
			bad=1
		fi
		in_pool "$F_addr" "$F_npages" >&2 || bad=1
		echo "$F_addr"
	done < <(lines "$name" "$ev")
	if ((n == 0)); then
		ktap_diag "no $ev event with npages=$want" >&2
		return 1
	fi
	return $bad
}

# same_set A B: two lists of words hold the same words.
same_set()
{
	[[ $(tr ' ' '\n' <<<"$1" | sort -u | xargs) == \
	   "$(tr ' ' '\n' <<<"$2" | sort -u | xargs)" ]]
}

online_cpus()
{
	local c

	for c in /sys/devices/system/cpu/cpu[0-9]*; do
		if [[ ! -e $c/online || $(cat "$c/online") == 1 ]]; then
			echo "${c##*cpu}"
		fi
	done
}

# run ACTION: write ACTION to test_pcpu_pagecache's run file.
run()
{
	if ! echo "$1" > "$RUN"; then
		ktap_diag "echo $1 > $RUN failed; kernel log:"
		ktap_diag "$(dmesg | grep "$PCP_TEST_MOD" | tail -n 5)"
		return 1
	fi
}

# ---- Setup ----------------------------------------------------------------

ktap_plan ${#names[@]}

if [[ $(id -u) -ne 0 ]]; then
	echo "# must run as root"
	exit "$KSFT_SKIP"
fi

if [[ ! -e $TRACING/trace ]]; then
	mount -t tracefs tracefs "$TRACING" 2>/dev/null
fi
if [[ ! -e $TRACING/trace ]]; then
	echo "# no tracefs at $TRACING"
	exit "$KSFT_SKIP"
fi
ok tracefs_mounted

if ! mod_available "$PCP_TEST_MOD"; then
	bail "$PCP_TEST_MOD not available: it drives the allocations"
fi
if mod_loaded "$PCP_MOD"; then
	ktap_diag "$PCP_MOD was loaded before the test; unloading it"
	unload_all || bail "could not unload the modules"
fi
if ! modprobe "$PCP_MOD" base=$PCP_RES_BASE size=$PCP_RES_SIZE; then
	bail "modprobe $PCP_MOD base=$PCP_RES_BASE size=$PCP_RES_SIZE failed"
fi
if ! modprobe "$PCP_TEST_MOD" || [[ ! -w $RUN ]]; then
	bail "modprobe $PCP_TEST_MOD failed, or no $RUN"
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

tracing_on_before=$(cat "$TRACING/tracing_on")
echo 1 > "$TRACING/tracing_on"
events_set 1
bad=0
for e in "${events[@]}"; do
	if [[ $(cat "$EVDIR/${PCP_MOD}_$e/enable" 2>/dev/null) != 1 ]]; then
		ktap_diag "${PCP_MOD}_$e is not enabled"
		bad=1
	fi
done
[[ $bad -eq 0 ]] || bail "cannot enable the events"
ok events_enabled
ktap_diag "online CPUs: $(online_cpus | xargs)"

# ---- Triggers -----------------------------------------------------------

# A fresh pool: every CPU's first allocation takes a full window.
trace_clear
run warm_all
trace_take warm
if cpus=$(check_window warm refill refill default "$WINDOW") &&
   same_set "$cpus" "$(online_cpus)"; then
	ok refill_on_first_alloc_every_cpu
else
	ktap_diag "refills on CPUs '$(xargs <<<"$cpus")', online" \
		"'$(online_cpus | xargs)'"
	show warm
	not_ok refill_on_first_alloc_every_cpu
fi

# The drain file flushes every CPU's window, all its pages free again.
trace_clear
echo 1 > "$DRAIN" || ktap_diag "echo 1 > $DRAIN failed"
trace_take drain
if cpus=$(check_window drain flush drain default "$WINDOW") &&
   same_set "$cpus" "$(online_cpus)"; then
	ok flush_reason_drain
else
	ktap_diag "drain flushes on CPUs '$(xargs <<<"$cpus")', online" \
		"'$(online_cpus | xargs)'"
	show drain
	not_ok flush_reason_drain
fi

# A CPU going offline flushes its window.
if [[ ! -w $CPU1 ]]; then
	skip flush_reason_hotplug "cpu1 is not hotpluggable"
else
	run warm_all
	trace_clear
	if echo 0 > "$CPU1"; then
		trace_take hotplug
		echo 1 > "$CPU1" || ktap_diag "could not online cpu1 again"
		if cpus=$(check_window hotplug flush hotplug default 0) &&
		   [[ $(sort -u <<<"$cpus" | xargs) == 1 ]]; then
			ok flush_reason_hotplug
		else
			ktap_diag "hotplug flushes on CPUs '$(xargs <<<"$cpus")', expected 1"
			show hotplug
			not_ok flush_reason_hotplug
		fi
	else
		ktap_diag "could not offline cpu1"
		not_ok flush_reason_hotplug
	fi
fi

# 16 pages and more never go through the per-CPU cache.
trace_clear
run default_alloc:100
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
run default_bad_free
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
run default_exhaust
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
run api_single_page
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
bad=0
for e in "${events[@]}"; do
	if [[ $(cat "$EVDIR/${PCP_MOD}_$e/enable" 2>/dev/null) != 0 ]]; then
		ktap_diag "${PCP_MOD}_$e is still enabled"
		bad=1
	fi
done
result events_disabled $bad
echo "$tracing_on_before" > "$TRACING/tracing_on"
trace_clear

unload_all
result unload $?

ktap_finished

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the pcpu_pagecache shell selftests share: the modules, files and
# sizes they use, and the steps they are made of.  Sourcing it sources
# ktap.sh too.
# A step that checks something prints why it fails as KTAP diagnostics and
# returns non-zero, so that a script reads as `check NAME STEP ARGS...`.
# shellcheck disable=SC2034 # the variables are for the scripts that source this

# shellcheck source=ktap.sh
. "$(dirname "${BASH_SOURCE[0]}")/ktap.sh"

PCP_MOD=pcpu_pagecache
PCP_TEST_MOD=test_pcpu_pagecache
PCP_CLAIM_MOD=pcpu_pagecache_claim
PCP_DEBUGFS=/sys/kernel/debug/pcpu_pagecache
PCP_STATS=$PCP_DEBUGFS/default/stats
PCP_TP=/sys/kernel/debug/$PCP_TEST_MOD
PCP_RUN=$PCP_TP/run
PCP_WORKLOAD=$PCP_TP/workload
PCP_SNAPSHOT=$PCP_TP/snapshot
PCP_CPU_DIR=/sys/devices/system/cpu
PCP_TRACING=/sys/kernel/tracing

# The allocator's sizes (pcpu_pagecache.h): a CPU's window, a chunk.
PCP_PAGE_SIZE=4096
PCP_WINDOW_PAGES=64
PCP_CHUNK_PAGES=1024
PCP_CHUNK_SIZE=$((PCP_CHUNK_PAGES * PCP_PAGE_SIZE))

# A tracking pool's owner records: 16 bytes a pool page, so a page of them
# for 256 pool pages, 4 for a chunk.
PCP_OWNER_BYTES=16
PCP_OWNERS_PER_PAGE=$((PCP_PAGE_SIZE / PCP_OWNER_BYTES))

# The reserved range the guest boots with (memmap=128M$0x30000000): the
# first half is for the module's default pool.
PCP_RES_BASE=0x30000000
PCP_RES_SIZE=0x4000000
PCP_RES_IOMEM=30000000-33ffffff
PCP_RES_PAGES=$((PCP_RES_SIZE / PCP_PAGE_SIZE))

# ---- Modules ----------------------------------------------------------------

mod_loaded()
{
	grep -q "^$1 " /proc/modules
}

# mod_available NAME: modprobe can find NAME (depmod knows it).
mod_available()
{
	modprobe -n -q "$1" 2>/dev/null
}

# unload_all: remove the test modules and the module itself, users first.
unload_all()
{
	local m

	for m in "$PCP_TEST_MOD" "$PCP_CLAIM_MOD" "$PCP_MOD"; do
		if mod_loaded "$m"; then
			rmmod "$m" || return 1
		fi
	done
}

# start_clean: no module of ours loaded when a test begins.
start_clean()
{
	mod_loaded "$PCP_MOD" || return 0
	ktap_diag "$PCP_MOD was loaded before the test; unloading it"
	unload_all
}

# iomem_has_pool [RANGE]: /proc/iomem has a pcpu_pagecache entry (at RANGE).
# The name must not continue with '_', so pcpu_pagecache_claim's entry
# does not count.
iomem_has_pool()
{
	local range=${1:-[0-9a-f]+-[0-9a-f]+}

	grep -Eq "^[[:space:]]*${range} : ${PCP_MOD}([^_[:alnum:]]|\$)" /proc/iomem
}

# module_gone [WHEN]: no module, no debugfs directory, no iomem entry.
module_gone()
{
	local bad=0 when=${1:+$1: }

	if mod_loaded "$PCP_MOD"; then
		ktap_diag "${when}module $PCP_MOD is loaded"
		bad=1
	fi
	if [[ -e $PCP_DEBUGFS ]]; then
		ktap_diag "${when}$PCP_DEBUGFS exists"
		bad=1
	fi
	if iomem_has_pool ""; then
		ktap_diag "${when}iomem has: $(grep "$PCP_MOD" /proc/iomem)"
		bad=1
	fi
	return $bad
}

# tp_run ACTION: one test or action of test_pcpu_pagecache (its run file);
# the module's last kernel log lines if it fails.
tp_run()
{
	local t0=$SECONDS

	echo "$1" > "$PCP_RUN" 2>/dev/null && return 0
	ktap_diag "echo $1 > $PCP_RUN failed after $((SECONDS - t0)) s; kernel log:"
	ktap_diag "$(dmesg | grep -E "$PCP_TEST_MOD|$PCP_MOD:" | tail -n 8)"
	return 1
}

# ---- Stats ------------------------------------------------------------------

# The names and their order are the module's (pcpu_pagecache_stats.h):
# they are read from the stats file, never listed here.  POOL is a pool's
# name, or the path of a file in the same format (the test module's
# snapshots); the default pool by default.

__stats_file()
{
	local pool=${1:-default}

	if [[ $pool == */* ]]; then
		echo "$pool"
	else
		echo "$PCP_DEBUGFS/$pool/stats"
	fi
}

# stat_get NAME [POOL]: print one value.
stat_get()
{
	awk -v n="$1" '$1 == n { print $2; found = 1 } END { exit !found }' \
		"$(__stats_file "${2:-}")"
}

# stats_read ARRAY [POOL]: every stat, from one read, into the associative
# array ARRAY (declare -A).
stats_read()
{
	local -n __st=$1
	local name value

	__st=()
	while read -r name value; do
		__st["$name"]=$value
	done < <(cat "$(__stats_file "${2:-}")")
	[[ ${#__st[@]} -gt 0 ]]
}

# expect_eq WHAT GOT WANT
expect_eq()
{
	[[ $2 == "$3" ]] && return 0
	ktap_diag "$1 is '$2', expected '$3'"
	return 1
}

# expect_stat NAME WANT [POOL]
expect_stat()
{
	local got

	if ! got=$(stat_get "$1" "${3:-}"); then
		ktap_diag "no $1 in $(__stats_file "${3:-}")"
		return 1
	fi
	expect_eq "$1" "$got" "$2"
}

# stats_invariant [POOL]: pages_total == free + cached + inuse + leaked,
# from one read.  The pool's stats file is exact only on a quiet pool; the
# test module's snapshot stops every CPU for the read, so it is exact under
# load too: without POOL, it is used when the test module is loaded.
stats_invariant()
{
	local f=${1:-}
	local -A st

	[[ -z $f && -r $PCP_SNAPSHOT ]] && f=$PCP_SNAPSHOT
	if ! stats_read st "$f"; then
		ktap_diag "cannot read $(__stats_file "$f")"
		return 1
	fi
	if [[ -z ${st[pages_total]:-} ]]; then
		ktap_diag "no pages_total in $(__stats_file "$f")"
		return 1
	fi
	if ((st[pages_total] != st[pages_free] + st[pages_cached] +
	     st[pages_inuse] + st[pages_leaked])); then
		ktap_diag "pages_total ${st[pages_total]} != free ${st[pages_free]}" \
			"+ cached ${st[pages_cached]} + inuse ${st[pages_inuse]}" \
			"+ leaked ${st[pages_leaked]}"
		return 1
	fi
}

# pool_quiet [POOL]: the invariant holds, nothing is in use or leaked.
pool_quiet()
{
	local bad=0

	expect_stat pages_inuse 0 "${1:-}" || bad=1
	expect_stat pages_leaked 0 "${1:-}" || bad=1
	stats_invariant "${1:-}" || bad=1
	return $bad
}

# ---- CPUs -------------------------------------------------------------------

online_cpus()
{
	local c

	for c in "$PCP_CPU_DIR"/cpu[0-9]*; do
		if [[ ! -e $c/online || $(cat "$c/online") == 1 ]]; then
			echo "${c##*cpu}"
		fi
	done
}

# hotplug_cpus: the CPUs that can go offline (all but the boot CPU).
hotplug_cpus()
{
	local c

	for c in "$PCP_CPU_DIR"/cpu[1-9]*; do
		[[ -w $c/online ]] && echo "${c##*cpu}"
	done
}

# cpu_set CPU 0|1: take CPU offline or online.
cpu_set()
{
	echo "$2" > "$PCP_CPU_DIR/cpu$1/online" && return 0
	ktap_diag "cannot set cpu$1 online=$2"
	return 1
}

# cpu_row CPU [POOL]: "online window_base cached" of CPU's row of the
# pool's cpus file.
cpu_row()
{
	awk -v c="$1" '$1 == c { print $2, $3, $4; found = 1 }
		END { exit !found }' "$PCP_DEBUGFS/${2:-default}/cpus"
}

# cpu_offline_flushed CPU [POOL [STATS]]: take CPU offline, with or without
# a load on POOL (default): once it is dead its window is back in the
# pool, its row of POOL's cpus file shows none, no page leaked and the
# stats add up in STATS (a file exact under load: the test module's
# snapshot by default, see stats_invariant); then bring CPU back.
cpu_offline_flushed()
{
	local cpu=$1 pool=${2:-default} stats=${3:-} bad=0

	cpu_set "$cpu" 0 || return 1
	expect_stat pages_leaked 0 "${stats:-$pool}" || bad=1
	stats_invariant "$stats" || bad=1
	expect_eq "offline cpu$cpu's row of $pool (online window cached)" \
		"$(cpu_row "$cpu" "$pool")" "0 0x0 0" || bad=1
	cpu_set "$cpu" 1 || bad=1
	return $bad
}

# run_cpu_on_off ARGS...: the kernel's cpu-hotplug selftest, shipped next
# to the tests, its output as diagnostics.
run_cpu_on_off()
{
	local rc

	"$(dirname "${BASH_SOURCE[0]}")/cpu-on-off-test.sh" "$@" 2>&1 |
		ktap_diag_stream
	rc=${PIPESTATUS[0]}
	[[ $rc -eq 0 ]] || ktap_diag "cpu-on-off-test.sh $* exited $rc"
	return "$rc"
}

# ---- The kernel log ---------------------------------------------------------

# kmsg_mark TEXT: write TEXT into the kernel log, so that what a command
# makes the kernel log can later be told from what came before.
kmsg_mark()
{
	echo "$1" > /dev/kmsg
}

# kmsg_since TEXT: print the kernel log lines after the mark TEXT.
kmsg_since()
{
	dmesg | awk -v m="$1" 'seen { print } index($0, m) { seen = 1 }'
}

# ---- Trace events -----------------------------------------------------------

# trace_event EVENT 0|1: disable or enable pcpu_pagecache_EVENT.
trace_event()
{
	local f=$PCP_TRACING/events/$PCP_MOD/${PCP_MOD}_$1/enable

	[[ -e $f ]] && echo "$2" > "$f" 2>/dev/null
}

trace_clear()
{
	: > "$PCP_TRACING/trace"
}

# trace_events: the buffer's lines of our events, as "EVENT PAYLOAD".
trace_events()
{
	sed -n "s/^.* ${PCP_MOD}_\([a-z_]*\): /\1 /p" "$PCP_TRACING/trace"
}

# ---- Owner records ----------------------------------------------------------

# owners_records FILE: "BYTES NID=PAGES..." from the first line of a
# tracking pool's "owners" file, "records BYTES bytes, pages by node:
# NID=PAGES ...": the records' size and where their pages are.  Fails if
# the line is not there or not of that form.
owners_records()
{
	awk 'NR == 1 && $1 == "records" && $2 ~ /^[0-9]+$/ && $3 == "bytes," &&
	     $4 " " $5 " " $6 == "pages by node:" && NF > 6 {
			line = $2
			for (i = 7; i <= NF; i++) {
				if ($i !~ /^[0-9]+=[0-9]+$/)
					exit 1
				line = line " " $i
			}
			print line
			found = 1
		}
		END { exit !found }' "$1"
}

# owners_records_on_nodes POOL: POOL's owner records are as big as its
# pages call for, and each node holds the pages of records that describe
# its chunks, as the node column of POOL's "chunks" gives them (every chunk
# a full one, 1024 pool pages: a pool of whole chunks, of at most 1024).
owners_records_on_nodes()
{
	local dir=$PCP_DEBUGFS/$1 got want

	if ! got=$(owners_records "$dir/owners"); then
		ktap_diag "$1: no records line in owners: '$(head -n 1 "$dir/owners")'"
		return 1
	fi
	if ! want=$(awk -v per=$((PCP_CHUNK_PAGES / PCP_OWNERS_PER_PAGE)) \
			-v bytes=$((PCP_CHUNK_PAGES * PCP_OWNER_BYTES)) '
			$1 ~ /^[0-9]+$/ {
				if ($5 !~ /^[0-9]+$/)
					bad = 1
				n[$5] += per
				if ($5 > max)
					max = $5
				chunks++
			}
			END {
				if (bad || !chunks)
					exit 1
				line = chunks * bytes
				for (i = 0; i <= max; i++)
					if (n[i])
						line = line " " i "=" n[i]
				print line
			}' "$dir/chunks"); then
		ktap_diag "$1: a chunk of no node in chunks"
		return 1
	fi
	ktap_diag "$1: owner records (bytes, node=pages): $got; chunks call for $want"
	[[ $got == "$want" ]]
}

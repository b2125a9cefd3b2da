#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Who holds the pages: the per-allocation tracking of pcpu_pagecache
# (PCPU_PAGECACHE_TRACK, the "track" parameter), read back through the
# debugfs "owners" file and the destroy report.  pcpu_pagecache_owners_test
# holds runs from known call sites (see its header); this script checks
# that "owners" names each site with its count and pages, that runs freed
# again (in parts, on the locked path, from another CPU in hard interrupt
# context) leave no trace, that the file stays bounded with 70 callers,
# that freeing clears it, that destroy and unload name the holders, and
# that a pool without tracking says so.
set -u

here=$(dirname "$0")
. "$here/pcpu_pagecache_lib.sh"

OT_MOD=pcpu_pagecache_owners_test
LEAKY_MOD=pcpu_pagecache_leaky
OT_CTL=/sys/kernel/debug/$OT_MOD/ctl
OT_DIR=$PCP_DEBUGFS/owners_test
PARAM=/sys/module/$PCP_MOD/parameters/track
TP_LIST=$PCP_TP/list
# What the test module holds after "leak" (its header).
A_PAGES=5 A_COUNT=5 B_PAGES=10 B_COUNT=2
# After "many": 70 callers, N % 7 + 1 pages each.
MANY_CALLERS=70 MANY_PAGES=280 SHOWN_MAX=64
# What pcpu_pagecache_leaky keeps: 7 single pages and a 3-page run.
LEAKY_SINGLE=7 LEAKY_RUN=3

names=(
	load_untracked
	param_track_off
	default_owners_says_tracking_off
	test_pool_untracked_says_tracking_off
	load_tracked_test_pool
	owners_header_and_empty_total
	owners_records_size_and_nodes
	leak_command
	owners_names_site_a_count_pages
	owners_names_site_b_count_pages
	owners_no_other_callers
	owners_total_matches_pages_inuse
	owners_sorted_by_pages
	free_clears_owners
	many_callers_bounded_to_64_lines
	many_callers_other_line_and_total
	many_callers_sorted_by_pages
	many_freed_clears_owners
	destroy_report_names_site_a
	destroy_report_names_site_b
	unload_test_module
	load_track_param
	param_track_on
	default_owners_counts_leaky_client
	unload_report_lists_leaky_callers
	tracked_module_tests_pass
	owners_readable_under_stress
	tracked_default_owners_matches_inuse
)
ktap_plan
need_root

ktap_cleanup()
{
	mod_loaded "$OT_MOD" && rmmod "$OT_MOD"
	mod_loaded "$LEAKY_MOD" && rmmod "$LEAKY_MOD"
	[[ -w $PCP_RUN ]] && echo stress_stop >"$PCP_RUN"
	unload_all
}

# The format of "owners": the records' line ("records BYTES bytes, pages by
# node: ..."), a header, then "pages count oldest_ms cpu caller" lines, a
# "(N other callers)" line in the caller column past 64 callers, and
# "total (N callers)" last.  Caller lines start at line 3.

# owners_row FILE FUNC: "pages count" of FUNC's line (its %pS starts with
# FUNC+), or nothing.
owners_row()
{
	awk -v f="$2" 'index($5, f "+") == 1 { print $1, $2; n++ }
		END { exit n != 1 }' "$1"
}

# owners_total FILE: "pages count callers" of the total line.
owners_total()
{
	awk '$5 == "total" { gsub(/[()]/, "", $6); print $1, $2, $6; n++ }
		END { exit n != 1 }' "$1"
}

# owners_callers FILE: the number of caller lines.
owners_callers()
{
	awk 'NR > 2 && $5 != "total" && $5 !~ /^\(/ { n++ } END { print n + 0 }' "$1"
}

# owners_sorted FILE: the caller lines' pages never grow.
owners_sorted()
{
	awk 'NR > 2 && $5 != "total" && $5 !~ /^\(/ {
			if (seen && $1 > last) { print "line " NR ": " $1 " > " last; bad = 1 }
			last = $1; seen = 1
		}
		END { exit bad }' "$1"
}

# says_off FILE: the file is the one line "tracking off".
says_off()
{
	[[ $(cat "$1") == "tracking off" ]]
}

# check_row FILE FUNC PAGES COUNT NAME
check_row()
{
	local row

	row=$(owners_row "$1" "$2")
	if [[ $row == "$3 $4" ]]; then
		ok "$5"
	else
		ktap_diag "$2: '$row', expected '$3 $4'; owners:"
		ktap_diag "$(cat "$1")"
		not_ok "$5"
	fi
}

# report_row FUNC: "pages runs" of the destroy report's line for FUNC.
report_row()
{
	sed -n "s/.* \([0-9]*\) pages in \([0-9]*\) runs (.* held by $1+.*/\1 \2/p" \
		<<<"$report" | head -n 1
}

tmp=$(mktemp -d)
owners=$tmp/owners

unload_all || bail "cannot unload $PCP_MOD"

# ---- Tracking off --------------------------------------------------------
modprobe "$PCP_MOD" || bail "modprobe $PCP_MOD failed"
ok load_untracked
[[ $(cat "$PARAM" 2>/dev/null) == N ]]
result param_track_off $?
says_off "$PCP_DEBUGFS/default/owners"
result default_owners_says_tracking_off $?
if modprobe "$OT_MOD" track=0; then
	says_off "$OT_DIR/owners"
	result test_pool_untracked_says_tracking_off $?
	rmmod "$OT_MOD" || bail "rmmod $OT_MOD failed"
else
	not_ok test_pool_untracked_says_tracking_off
fi

# ---- A tracked pool ------------------------------------------------------
modprobe "$OT_MOD" || bail "modprobe $OT_MOD failed"
ok load_tracked_test_pool
cat "$OT_DIR/owners" >"$owners" 2>&1
if [[ $(sed -n 2p "$owners") == "pages count oldest_ms cpu caller" &&
      $(owners_total "$owners") == "0 0 0" ]]; then
	ok owners_header_and_empty_total
else
	ktap_diag "owners of an idle pool:"
	ktap_diag "$(cat "$owners")"
	not_ok owners_header_and_empty_total
fi
# 8 MiB: 32 KiB of records, 8 pages, on the node of the chunks they
# describe (on the guests of make check, all on one node).
check owners_records_size_and_nodes owners_records_on_nodes owners_test

echo leak >"$OT_CTL" || bail "leak command failed"
ok leak_command
cat "$OT_DIR/owners" >"$owners"
check_row "$owners" ppc_owners_site_a $A_PAGES $A_COUNT owners_names_site_a_count_pages
check_row "$owners" ppc_owners_site_b $B_PAGES $B_COUNT owners_names_site_b_count_pages
# The transient runs (a big run freed in halves, remote frees) are gone.
if [[ $(owners_callers "$owners") -eq 2 ]]; then
	ok owners_no_other_callers
else
	ktap_diag "expected 2 callers:"
	ktap_diag "$(cat "$owners")"
	not_ok owners_no_other_callers
fi
inuse=$(stat_get pages_inuse owners_test)
total=$(owners_total "$owners")
if [[ $total == "$((A_PAGES + B_PAGES)) $((A_COUNT + B_COUNT)) 2" &&
      $inuse -eq $((A_PAGES + B_PAGES)) ]]; then
	ok owners_total_matches_pages_inuse
else
	ktap_diag "total '$total', pages_inuse $inuse"
	not_ok owners_total_matches_pages_inuse
fi
# site_b holds more pages than site_a: it comes first.
first=$(awk 'NR == 3 { print $5 }' "$owners")
[[ $first == ppc_owners_site_b+* ]] && owners_sorted "$owners"
result owners_sorted_by_pages $?

echo free >"$OT_CTL" || ktap_diag "free command failed"
cat "$OT_DIR/owners" >"$owners"
if [[ $(owners_total "$owners") == "0 0 0" && $(owners_callers "$owners") -eq 0 ]]; then
	ok free_clears_owners
else
	ktap_diag "owners after free:"
	ktap_diag "$(cat "$owners")"
	not_ok free_clears_owners
fi

# ---- More callers than the file lists ------------------------------------
echo many >"$OT_CTL" || ktap_diag "many command failed"
cat "$OT_DIR/owners" >"$owners"
n=$(owners_callers "$owners")
if [[ $n -eq $SHOWN_MAX ]]; then
	ok many_callers_bounded_to_64_lines
else
	ktap_diag "$n caller lines, expected $SHOWN_MAX"
	not_ok many_callers_bounded_to_64_lines
fi
other=$(awk '$5 ~ /^\(/ { print $5 }' "$owners")
if [[ $other == "($((MANY_CALLERS - SHOWN_MAX))" &&
      $(owners_total "$owners") == "$MANY_PAGES $MANY_PAGES $MANY_CALLERS" ]]; then
	ok many_callers_other_line_and_total
else
	ktap_diag "other '$other', total '$(owners_total "$owners")'"
	ktap_diag "$(tail -n 3 "$owners")"
	not_ok many_callers_other_line_and_total
fi
owners_sorted "$owners"
result many_callers_sorted_by_pages $?
echo free >"$OT_CTL" || ktap_diag "free command failed"
cat "$OT_DIR/owners" >"$owners"
[[ $(owners_total "$owners") == "0 0 0" ]]
result many_freed_clears_owners $?

# ---- The destroy report --------------------------------------------------
mark="pcpu_pagecache_owners.sh: destroy"
kmsg_mark "$mark"
echo leak >"$OT_CTL" || ktap_diag "leak command failed"
echo destroy >"$OT_CTL" || ktap_diag "destroy command failed"
report=$(kmsg_since "$mark" | grep "$PCP_MOD: owners_test: ")
row=$(report_row ppc_owners_site_a)
if [[ $row == "$A_PAGES $A_COUNT" ]]; then
	ok destroy_report_names_site_a
else
	ktap_diag "site_a in the report: '$row'; report:"
	ktap_diag "$report"
	not_ok destroy_report_names_site_a
fi
row=$(report_row ppc_owners_site_b)
if [[ $row == "$B_PAGES $B_COUNT" ]]; then
	ok destroy_report_names_site_b
else
	ktap_diag "site_b in the report: '$row'"
	not_ok destroy_report_names_site_b
fi
rmmod "$OT_MOD"
result unload_test_module $?

# ---- The track parameter and the report at unload ------------------------
rmmod "$PCP_MOD" || bail "rmmod $PCP_MOD failed"
modprobe "$PCP_MOD" track=1 || bail "modprobe $PCP_MOD track=1 failed"
ok load_track_param
[[ $(cat "$PARAM") == Y ]]
result param_track_on $?
modprobe "$LEAKY_MOD" || bail "modprobe $LEAKY_MOD failed"
cat "$PCP_DEBUGFS/default/owners" >"$owners"
# Its two call sites, both in leaky_init: 7 single pages, one 3-page run.
# Init code is freed once the module is loaded, so they print as bare
# addresses (the rst says so): only the counts can be checked.
if awk -v s="$LEAKY_SINGLE" -v r="$LEAKY_RUN" '
		$1 == s && $2 == s && $5 ~ /^0x/ { a = 1 }
		$1 == r && $2 == 1 && $5 ~ /^0x/ { b = 1 }
		$5 == "total" && $6 == "(2" { t = 1 }
		END { exit !(a && b && t) }' "$owners"; then
	ok default_owners_counts_leaky_client
else
	ktap_diag "default pool's owners with $LEAKY_MOD loaded:"
	ktap_diag "$(cat "$owners")"
	not_ok default_owners_counts_leaky_client
fi
rmmod "$LEAKY_MOD" || bail "rmmod $LEAKY_MOD failed"
mark="pcpu_pagecache_owners.sh: unload"
kmsg_mark "$mark"
rmmod "$PCP_MOD" || bail "rmmod $PCP_MOD failed"
# The client is gone, so its callers print as addresses: the counts tell.
report=$(kmsg_since "$mark" | grep "$PCP_MOD: default: ")
if grep -q " $LEAKY_SINGLE pages in $LEAKY_SINGLE runs .* held by " <<<"$report" &&
   grep -q " $LEAKY_RUN pages in 1 runs .* held by " <<<"$report"; then
	ok unload_report_lists_leaky_callers
else
	ktap_diag "report at unload:"
	ktap_diag "$report"
	not_ok unload_report_lists_leaky_callers
fi

# ---- The test module's suite with every pool tracked ---------------------
# Tracking on must not change what alloc and free do, in any context the
# suite drives them from (hard interrupts, softirq, other CPUs, hotplug).
modprobe "$PCP_MOD" track=1 || bail "modprobe $PCP_MOD track=1 failed"
modprobe "$PCP_TEST_MOD" || bail "modprobe $PCP_TEST_MOD failed"
failed=()
while read -r t; do
	[[ $t == stress ]] && t=stress:5
	echo "$t" >"$PCP_RUN" 2>/dev/null || failed+=("$t")
done < <(cat "$TP_LIST")
if [[ ${#failed[@]} -eq 0 ]]; then
	ok tracked_module_tests_pass
else
	ktap_diag "failed with tracking on: ${failed[*]}"
	not_ok tracked_module_tests_pass
fi
# A reader walks the records of the stress pool while every CPU allocates
# and frees in it.
bad=0
if echo stress_start >"$PCP_RUN"; then
	for _ in 1 2 3 4 5; do
		cat "$PCP_DEBUGFS/stress/owners" >"$owners" || bad=1
		owners_total "$owners" >/dev/null || bad=1
		sleep 0.2
	done
	echo stress_stop >"$PCP_RUN" || bad=1
else
	bad=1
fi
[[ $bad -eq 0 ]] || ktap_diag "$(cat "$owners")"
result owners_readable_under_stress $bad
# Quiet again: every page in use is a tracked one, no more, no less.
cat "$PCP_DEBUGFS/default/owners" >"$owners"
total=$(owners_total "$owners")
inuse=$(stat_get pages_inuse)
if [[ ${total%% *} == "$inuse" ]]; then
	ok tracked_default_owners_matches_inuse
else
	ktap_diag "owners total '$total', pages_inuse $inuse"
	not_ok tracked_default_owners_matches_inuse
fi

rm -rf "$tmp"
unload_all
ktap_finished

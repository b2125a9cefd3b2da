#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Summarize one guest of `make check-stable` (vm.sh stable): the stream of
# scripts/vm/guest/stable.sh's KTAP and vm.sh's "host: " lines on stdin,
# one verdict per run.  A run passes only if the guest reported it ok and
# the kernel console shows no splat in its part of the log: from its
# "pcpu_pagecache_stable: run K of N" line to the next run's (a splat
# before the first run counts against the first).  A run the guest never
# reported failed: the one it was in when the guest died or stalled (the
# host's lines say why), and every run after it, as not run.
#
# Prints the guest's result and diagnostic lines as they come, then one
# line per run, "RELEASE: P of N runs passed" (the release the guest's
# init named), and last "N passed, N failed".
# Exit status: 0 only if every run passed.
#
# usage: stable-summary.sh RUNS CONSOLE_LOG SPLATS_FILE < STREAM
#   SPLATS_FILE  vm.sh's splats-stable.txt, "LINE_NUMBER<TAB>TEXT"
set -euo pipefail

[[ $# -eq 3 ]] || { echo "usage: $0 RUNS CONSOLE_LOG SPLATS_FILE" >&2; exit 2; }
runs=$1 console=$2 splats=$3

# The stream first: the console and the splats are complete only once
# QEMU is gone, at the stream's end.
exec awk -v runs="$runs" -v logfile="$console" -v splats="$splats" '
function out(s)
{
	print s
	fflush()
}

# The run whose part of the console holds line N.
function run_at(n,   k, r)
{
	r = 1
	for (k = 1; k <= nmark; k++)
		if (mark_line[k] <= n)
			r = mark_run[k]
	return r
}

# The "run K of N" lines of the console.  The guest copies its test output
# there as "[ktap] " lines, which may quote the kernel log: only the
# lines of the kernel itself count.
function read_marks(   line, n, w)
{
	n = 0
	while ((getline line < logfile) > 0) {
		n++
		if (line !~ /^\[ktap\] / &&
		    match(line, /pcpu_pagecache_stable: run [0-9]+ of/)) {
			split(substr(line, RSTART), w, " ")
			nmark++
			mark_line[nmark] = n
			mark_run[nmark] = w[3] + 0
		}
	}
	close(logfile)
}

# The splats, "LINE<TAB>TEXT", charged to their run; the first of each
# run kept to be shown.
function read_splats(   line, k, t)
{
	while ((getline line < splats) > 0) {
		k = run_at(substr(line, 1, index(line, "\t") - 1) + 0)
		if (!(k in splat)) {
			t = substr(line, index(line, "\t") + 1)
			sub(/^\[ *[0-9.]+\] /, "", t)
			splat[k] = t
		}
		nsplat[k]++
	}
	close(splats)
}

{ sub(/\r+$/, "") }
/^host: kernel release / { release = substr($0, 22); out($0); next }
/^host: not ok kernel splat/ { next }
/^host: \| / { next }
/^host: not ok / { died = died (died == "" ? "" : "; ") substr($0, 14); out($0); next }
/^host: / { out($0); next }
/^(not )?ok [0-9]+ / {
	out($0)
	k = $0 ~ /^ok / ? $2 + 0 : $3 + 0
	verdict[k] = $0 ~ /^ok / && $0 !~ /# *[Ss][Kk][Ii][Pp]/ ? "ok" : "not ok"
	next
}
/^# / { out($0); next }

END {
	read_marks()
	read_splats()
	passed = failed = 0
	for (k = 1; k <= runs; k++) {
		if (k in verdict) {
			why = verdict[k] == "ok" ? "" : "the test failed"
			# Every run reported, and still the host saw the guest
			# fail (a timeout, a crash at the end): the last run.
			if (k == runs && died != "")
				why = why (why == "" ? "" : "; ") died
			if (why == "" && !(k in splat)) {
				out("ok " k " run " k)
				passed++
				continue
			}
		} else if (!gone) {
			gone = k
			why = "the guest stopped in this run" (died == "" ? "" : ": " died)
		} else {
			why = "not run: the guest stopped in run " gone
		}
		if (k in splat)
			why = why (why == "" ? "" : "; ") nsplat[k] " kernel splat line(s), first: " splat[k]
		out("not ok " k " run " k ": " why)
		failed++
	}
	if (failed)
		out("FAILED: kernel console log in " logfile)
	out((release == "" ? "unknown release" : release) ": " passed " of " runs " runs passed")
	out(passed " passed, " failed " failed")
	exit failed ? 1 : 0
}
'

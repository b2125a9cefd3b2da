#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Summarize the kselftest runner's KTAP output (a file, or stdin as it
# arrives): print every result line, top-level `ok N`/`not ok N` and the
# nested `# ok N`/`# not ok N` of each program, then one final line
# `N passed, N failed[, N skipped]`.
#
# Leaf results are counted: the nested results of a program that emits
# nested KTAP, the top-level result of one that does not.  A program whose
# top-level result fails although its nested ones did not (crash, timeout,
# missing results) counts as one more failure.  Lines "host: not ok ..."
# (checks the host made itself) are printed and count as failures.
#
# Exit status: 0 only if something passed and nothing failed.
#
# usage: ktap-summary.sh [--log CONSOLE_LOG] [FILE...]
set -euo pipefail

log=
if [[ ${1:-} == --log ]]; then
	log=$2
	shift 2
fi

exec awk -v logfile="$log" '
# Flush each line: results show up live when the input is a stream.
function out(s)
{
	print s
	fflush()
}

function directive(line)
{
	if (line ~ /#[ \t]*(SKIP|skip|Skip)/)
		return "skip"
	return ""
}

# Start a program: its nested results are collected until its top line.
function prog_start(name)
{
	in_prog = 1
	prog = name
	np = npass = nfail = nskip = 0
	nplan = -1
}

function prog_end(top_ok, top_skip,   extra)
{
	if (np == 0) {
		if (top_skip)
			skipped++
		else if (top_ok)
			passed++
		else
			failed++
	} else {
		passed += npass
		failed += nfail
		skipped += nskip
		extra = ""
		if (!top_ok && !top_skip && nfail == 0)
			extra = "failed with no failing sub-test (crash, timeout or exit code)"
		else if (nplan > np && nfail == 0)
			extra = "reported " np " of " nplan " planned sub-tests"
		if (extra != "") {
			out("host: not ok " prog ": " extra)
			failed++
		}
	}
	in_prog = 0
	tops++
}

BEGIN { passed = failed = skipped = tops = 0; top_plan = -1; in_prog = 0 }

{ sub(/\r+$/, "") }

/^host: not ok / { out($0); failed++; next }
/^host: / { out($0); next }

/^# selftests: / {
	# A header before the previous program printed its result: it died.
	if (in_prog) {
		out("host: not ok " prog ": no result line")
		prog_end(0, 0)
	}
	prog_start(substr($0, 3))
	next
}

/^1\.\.[0-9]+/ { top_plan = substr($0, 4) + 0; next }
/^# 1\.\.[0-9]+/ { if (in_prog) nplan = substr($0, 6) + 0; next }

/^# (not )?ok [0-9]+/ {
	out($0)
	if (!in_prog)
		prog_start("(unnamed)")
	np++
	if (directive($0) == "skip")
		nskip++
	else if ($0 ~ /^# ok /)
		npass++
	else
		nfail++
	next
}

/^(not )?ok [0-9]+/ {
	out($0)
	if (!in_prog)
		prog_start($0)
	prog_end($0 ~ /^ok /, directive($0) == "skip")
	next
}

END {
	if (in_prog) {
		print "host: not ok " prog ": did not finish"
		prog_end(0, 0)
	}
	if (top_plan > tops) {
		print "host: not ok only " tops " of " top_plan " test programs reported"
		failed++
	}
	if (passed + failed == 0) {
		print "host: not ok no test ran"
		failed++
	}
	if (failed && logfile != "")
		print "FAILED: kernel console log in " logfile
	line = passed " passed, " failed " failed"
	if (skipped)
		line = line ", " skipped " skipped"
	print line
	exit failed ? 1 : 0
}
' "$@"

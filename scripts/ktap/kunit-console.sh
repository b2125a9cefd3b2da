#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The KUnit results in a kernel console log, as KTAP for ktap-summary.sh
# (vm.sh HOST_EXTRA in `make check-debug`).  KUnit runs a module's suites
# each time the module is loaded and prints their KTAP on the console; a
# failing suite does not fail the load, so only the console tells.
#
# Each suite becomes one program, each of its cases one result:
#
#   # selftests: kunit: SUITE
#   # 1..N
#   # ok 1 kunit: CASE
#   ...
#   ok 1 selftests: kunit: SUITE
#
# A case passes if it passed in every run of the suite (one per load) and
# failed in none; a run cut short (no suite result line) fails the suite.
# Runs inside the windows pcpu_pagecache_fault.sh marks ("pcpu_pagecache_fault:
# begin/end"), while an allocation is made to fail, do not count.  No KUnit
# result at all is a failure: the debug kernel has KUnit, and the module
# has suites.
#
# usage: kunit-console.sh CONSOLE_LOG
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 CONSOLE_LOG" >&2; exit 2; }

exec awk '
function indent(s)
{
	match(s, /^ */)
	return RLENGTH
}

# The open run of suite "run_suite" ends: complete or not.
function run_end(complete)
{
	if (!in_run)
		return
	if (!complete)
		cut[run_suite]++
	in_run = 0
}

{
	sub(/\r+$/, "")
	if ($0 ~ /^\[ktap\] /)
		next
	sub(/^\[ *[0-9]+\.[0-9]+\] /, "")
}

/pcpu_pagecache_fault: begin / { win = 1; run_end(1); next }
/pcpu_pagecache_fault: end / { win = 0; next }
win { next }

/^ *# Subtest: / {
	ind = indent($0)
	if (in_run && ind > run_ind)
		next			# a parameterized case inside the suite
	run_end(0)
	name = $0
	sub(/^ *# Subtest: /, "", name)
	if (!(name in runs)) {
		suites[++nsuites] = name
		ncases[name] = 0
	}
	runs[name]++
	in_run = 1
	run_suite = name
	run_ind = ind
	next
}

in_run && /^ *(not )?ok [0-9]+ / {
	ind = indent($0)
	line = substr($0, ind + 1)
	if (ind < run_ind) {		# the suite result line
		run_end(1)
		next
	}
	if (ind > run_ind)
		next			# a parameter of a case
	skip = line ~ /# *[Ss][Kk][Ii][Pp]/
	notok = line ~ /^not ok/
	sub(/^(not )?ok [0-9]+ /, "", line)
	sub(/ *#.*$/, "", line)
	key = run_suite SUBSEP line
	if (!(key in seen)) {
		seen[key] = 1
		cases[run_suite, ++ncases[run_suite]] = line
	}
	if (notok)
		bad[key]++
	else if (skip)
		skipped[key]++
	else
		good[key]++
}

END {
	run_end(0)
	if (!nsuites) {
		print "# selftests: kunit: (no suite)"
		print "# 1..1"
		print "# not ok 1 kunit: no KUnit results in the console log"
		print "not ok 1 selftests: kunit"
		exit
	}
	for (s = 1; s <= nsuites; s++) {
		name = suites[s]
		fail = 0
		print "# selftests: kunit: " name
		print "# 1.." ncases[name]
		print "# # " name ": " runs[name] " runs (one a load), " (cut[name] + 0) " cut short"
		for (c = 1; c <= ncases[name]; c++) {
			key = name SUBSEP cases[name, c]
			if (bad[key]) {
				print "# # " cases[name, c] ": failed in " bad[key] " of " runs[name] " runs"
				print "# not ok " c " kunit: " cases[name, c]
				fail = 1
			} else if (good[key]) {
				print "# ok " c " kunit: " cases[name, c]
			} else {
				print "# ok " c " kunit: " cases[name, c] " # SKIP in every run"
			}
		}
		if (cut[name])
			fail = 1
		print (fail ? "not ok " : "ok ") s " selftests: kunit: " name
	}
}' "$1"

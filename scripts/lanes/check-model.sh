#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-model: the SPIN models of the lockless protocol
# (tools/model/*.pml; Documentation/pcpu_pagecache.rst, "The model of the
# lockless protocol").  Each model is searched exhaustively (spin -a, pan
# built with gcc, full search with state compression): the fixed protocol
# must show no error, and each mutant, a fix reverted by a -D, must show
# one (a mutant not killed fails).  Prints `ok N name` / `not ok N name`
# with the states and time of each run, the steps of each mutant's
# counterexample in $BUILD/model/<name>.trail.txt, then the final
# `N passed, N failed`, also written to $BUILD/summary-check-model.txt.
# The runs are sequential: the largest takes about 20 s and 300 MB.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
out=$BUILD/model
summary=$BUILD/summary-check-model.txt
models=$top/tools/model

command -v spin >/dev/null || { echo "not ok 1 spin: not installed"; mkdir -p "$BUILD";
	echo "0 passed, 1 failed" >"$summary"; exit 1; }

mkdir -p "$out"
rm -f "$summary"
passed=0 failed=0 n=0 start=$SECONDS

# run NAME EXPECT MODEL [DEFINES...]: EXPECT is pass (no error) or kill.
run()
{
	local name=$1 expect=$2 model=$3 dir=$out/$1 t0=$SECONDS res errs states why
	shift 3

	n=$((n + 1))
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$models/$model" "$dir/"
	(
		cd "$dir" &&
		spin "$@" -a "$model" &&
		gcc -O2 -w -DSAFETY -DCOLLAPSE -DVECTORSZ=2048 -o pan pan.c &&
		./pan -m400000
	) >"$dir/log" 2>&1
	errs=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/log" | tail -n 1)
	states=$(awk '/states, stored/ { print $1; exit }' "$dir/log")
	why=$(grep -m1 -E '^pan:1: ' "$dir/log" | sed 's/^pan:1: //; s/ (at depth.*//')
	res="$states states, $((SECONDS - t0)) s"
	if [[ -z $errs ]]; then
		echo "not ok $n $name: no result"
		tail -n 20 "$dir/log" | sed 's/^/# /'
		failed=$((failed + 1))
		return
	fi
	if grep -q 'max search depth too small' "$dir/log"; then
		echo "not ok $n $name: search depth too small ($res)"
		failed=$((failed + 1))
		return
	fi
	if [[ $expect == pass ]]; then
		if ((errs == 0)); then
			echo "ok $n $name: no error ($res)"
			passed=$((passed + 1))
		else
			echo "not ok $n $name: $why ($res)"
			trail "$dir" "$model" "$@"
			failed=$((failed + 1))
		fi
	else
		if ((errs > 0)); then
			echo "ok $n $name: killed: $why ($res)"
			passed=$((passed + 1))
			trail "$dir" "$model" "$@"
		else
			echo "not ok $n $name: not killed ($res)"
			failed=$((failed + 1))
		fi
	fi
}

# The counterexample's steps that move shared state, one a line.
trail()
{
	local dir=$1 model=$2 f=$out/$(basename "$1").trail.txt
	shift 2

	(cd "$dir" && spin "$@" -t -p "$model") 2>&1 |
	sed -E 's/^ *[0-9]+:\s+proc +([0-9]+) \(([a-z:]+)[^)]*\) [^ ]+:([0-9]+) \(state [0-9]+\)\s+/\2(\1) line \3: /' |
	grep -E '^[a-z:]+\([0-9]+\) line|assertion|Error' |
	grep -vE ': \[(else|\(1\)|goto|\.\(goto\)|break|[a-z]+ = [a-z]+\+1\)|i = |q = |c = |n = )' >"$f"
	echo "# counterexample: $f ($(wc -l <"$f") steps)"
}

echo "# ---- spin $(spin -V | awk '{ print $3 }'), models in tools/model"
run pages pass pages.pml
run pages-irq pass pages.pml -DIRQ -DNOPS=2
run reclaim pass reclaim.pml
run rounds pass rounds.pml
run mutant-OLD_D3 kill pages.pml -DOLD_D3
run mutant-OLD_CLEAR_FIRST kill pages.pml -DOLD_CLEAR_FIRST
run mutant-OLD_D2 kill reclaim.pml -DOLD_D2
run mutant-OLD_D8 kill reclaim.pml -DOLD_D8
run mutant-OLD_SERVED_IRQON kill reclaim.pml -DOLD_SERVED_IRQON
run mutant-OLD_DRAIN_WAITS kill rounds.pml -DOLD_DRAIN_WAITS

{
	echo "# ==== check-model ($((SECONDS - start)) s)"
	echo "$passed passed, $failed failed"
} | tee "$summary"
((failed == 0))

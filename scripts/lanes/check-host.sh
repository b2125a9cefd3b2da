#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-host: the host tests of ppc_core (tools/testing/ppc_core), no
# VM needed.  Runs each test program optimized and under ASan + UBSan, the
# differential test once more with a fresh seed (SEED=n make check-host
# runs seed n again), and compiles ppc_core*.c as kernel code (W=1, sparse)
# against each supported kernel's headers on its own.  Prints every result,
# then one line per part and the final `N passed, N failed`, also written
# to $BUILD/summary-check-host.txt (make check counts it with the kernels).
# Exit status: non-zero if anything failed.
#
# A program's closing "N passed, N failed" line counts its tests; one that
# exits non-zero with no failure counted (a crash, a sanitizer report)
# counts one more failure, and one that prints no such line counts one.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
out=$BUILD/host
summary=$BUILD/summary-check-host.txt
MAKE=${MAKE:-make}

mkdir -p "$out"
rm -f "$summary"
passed=0 failed=0 rc=0 start=$SECONDS
lines=()

# count LABEL "N passed, N failed"
count()
{
	local p f

	read -r p f < <(awk '{ print $1 + 0, $3 + 0 }' <<<"$2")
	passed=$((passed + p)) failed=$((failed + f))
	((f == 0)) || rc=1
	lines+=("$1: $2")
}

# run LABEL PROGRAM [ARGS...]: its output live, and into $out/LABEL.log.
run()
{
	local label=$1 log=$out/$1.log t0=$SECONDS res p f st
	shift

	echo "# ---- $label: $*"
	"$@" 2>&1 | tee "$log"
	st=${PIPESTATUS[0]}
	res=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [[ -z $res ]]; then
		echo "not ok $label: no summary line (exit status $st)"
		res="0 passed, 1 failed"
	else
		read -r p f < <(awk '{ print $1 + 0, $3 + 0 }' <<<"$res")
		if ((st != 0 && f == 0)); then
			echo "not ok $label: exit status $st with no failed test"
			res="$p passed, 1 failed"
		fi
	fi
	count "$label ($((SECONDS - t0)) s)" "$res"
}

echo "# ---- build"
if ! $MAKE -s -C "$top/tools/testing/ppc_core" OUT="$out" >"$out/build.log" 2>&1; then
	cat "$out/build.log"
	count "build" "0 passed, 1 failed"
else
	run unit "$out/ppc_core_unit"
	run unit-asan "$out/ppc_core_unit.asan" -q
	[[ -x $out/ppc_core_diff ]] && run diff "$out/ppc_core_diff"
	[[ -x $out/ppc_core_diff.asan ]] && run diff-asan "$out/ppc_core_diff.asan" -q
	[[ -x $out/ppc_core_hold ]] && run hold "$out/ppc_core_hold"
	[[ -x $out/ppc_core_hold.asan ]] && run hold-asan "$out/ppc_core_hold.asan" -q
	# The fixed seed above finds what it can; a new one each run may find
	# more.  A failure names its seed, to run it again with SEED=.
	seed=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	echo "# diff seed $seed: SEED=$seed make check-host runs it again"
	rm -f "$out"/diff-seed-*.log
	[[ -x $out/ppc_core_diff ]] &&
		run "diff-seed-$seed" "$out/ppc_core_diff" "$seed"
fi

# ppc_core*.c as kernel code: a throwaway module around it, in a mirror of
# symlinks (M= builds write beside their sources).
kbuild()
{
	local rel=$1 kdir=/lib/modules/$1/build dir=$out/kbuild-$1 log

	log=$dir.log
	rm -rf "$dir"
	mkdir -p "$dir"
	ln -s "$top"/ppc_core*.[ch] "$top/ppc_compat.h" "$dir/"
	cat >"$dir/ppc_core_kcheck.c" <<-'EOF'
	// SPDX-License-Identifier: GPL-2.0
	#include <linux/module.h>
	#include "ppc_core.h"
	MODULE_DESCRIPTION("ppc_core.c built as kernel code");
	MODULE_LICENSE("GPL");
	EOF
	cat >"$dir/Kbuild" <<-'EOF'
	obj-m += ppc_core_kcheck_mod.o
	ppc_core_kcheck_mod-y := ppc_core.o ppc_core_claim.o ppc_core_window.o \
			      ppc_core_kcheck.o
	EOF
	echo "# ---- kernel build of ppc_core*.c against $rel (W=1 C=1)"
	if $MAKE -C "$kdir" M="$dir" W=1 C=1 modules >"$log" 2>&1 &&
	   ! grep -E 'warning|error|: sparse' "$log" | grep -v 'Skipping BTF'; then
		echo "ok kernel-build $rel"
		count "kernel build $rel" "1 passed, 0 failed"
	else
		cat "$log"
		echo "not ok kernel-build $rel"
		count "kernel build $rel" "0 passed, 1 failed"
	fi
}

if releases=$("$top/scripts/setup/install-kernels.sh" --check 2>/dev/null); then
	while read -r _ rel; do
		kbuild "$rel"
	done <<<"$releases"
else
	echo "not ok kernel-build: the kernels are not installed (make deps)"
	count "kernel build" "0 passed, 1 failed"
fi

{
	echo "# ==== check-host ($((SECONDS - start)) s)"
	printf '%s\n' "${lines[@]}"
	echo "$passed passed, $failed failed"
} | tee "$summary"
exit "$rc"

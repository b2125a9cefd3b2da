#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-count: instructions executed and memory accesses of one warm
# single-page pair, ours (pcpu_pagecache_alloc_page() + _free_page() on the
# default pool, its window filled) and page_pool's (page_pool_alloc_pages()
# + page_pool_recycle_direct(), BH disabled around it as the benchmark
# measures it), counted by a QEMU TCG plugin, exactly: figures that do
# not depend on the emulator's speed.
#
# It builds bench/count/ppc_count_plugin.c, then boots each stock kernel of
# BENCH_KERNELS (default "6.1 6.12") through bench/run.sh with the
# benchmark module's section 128 alone (one vCPU, no RAM disks) and the
# plugin loaded; bench/count/join.py turns the plugin's log into
# "bench: count_<name>_<what> N" lines in results.txt, bench/ratios.py
# adds page_pool / ours.  It prints those lines per kernel, and fails when
# a boot failed or the calibration brackets did not count exactly what
# they hold (count_calib_ok).  Files: build/bench-count/<release>/
# (results.txt, ratios.txt, plugin.log, count-trace.txt: the instructions
# of each bracket's smallest count).
#
# Environment: BENCH_KERNELS, and what bench/run.sh reads (VM_TIMEOUT...).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/bench-count
so=$out/ppc_count_plugin.so
mkdir -p "$out"
gcc -Wall -Wextra -Wno-unused-parameter -O2 -shared -fPIC \
	-o "$so" "$top/bench/count/ppc_count_plugin.c"

status=0
for series in ${BENCH_KERNELS:-6.1 6.12}; do
	if ! rel=$("$top/scripts/setup/install-kernels.sh" --kver "$series"); then
		echo "bench-count: $series: no stock kernel installed"
		status=1
		continue
	fi
	b=$out/$rel
	mkdir -p "$b"
	rm -f "$b/plugin.log"
	echo "==== bench-count: $rel ===="
	rc=0
	KVER=$rel BUILD=$b BENCH_SECTIONS=128 BENCH_BLK=0 BENCH_SMP=1 \
		BENCH_QEMU_EXTRA="-plugin $so -d plugin -D $b/plugin.log" \
		BENCH_PLUGIN_LOG=$b/plugin.log \
		"$top/bench/run.sh" >"$b/run.txt" 2>&1 || rc=$?
	grep -h '^bench: .*count_' "$b/results.txt" "$b/ratios.txt" 2>/dev/null |
		grep -v -e '_expect_' -e '^bench: fastpath' || true
	grep -h '^bench: fastpath_insns' "$b/results.txt" 2>/dev/null || true
	if ((rc)); then
		echo "bench-count: $rel: bench/run.sh failed ($rc): $b/run.txt"
		status=1
	fi
	if ! grep -q '^bench: count_calib_ok 1$' "$b/results.txt" 2>/dev/null; then
		echo "bench-count: $rel: the calibration did not count what it holds"
		status=1
	fi
	echo
done
echo "QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version //p'), $(date -u '+%Y-%m-%d %H:%M UTC'); files in $out/<release>/"
[[ $status -eq 0 ]] || echo "bench-count FAILED"
exit $status

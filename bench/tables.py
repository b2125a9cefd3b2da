#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The tables of one boot of the benchmark module, from its
# "bench: <name> <value>" lines (bench/run.sh's results.txt): figures side by
# side, and the ratios between them that bench/ratios.py derives.  The
# module prints no tables itself.
#
# usage: bench/tables.py results.txt
import re
import sys

import ratios

v = ratios.read(sys.argv[1])
v.update((name, x) for name, (x, _) in ratios.derive(v).items())


def g(name):
    return v.get(name)


def f(x, dec=1):
    return "-" if x is None else "%.*f" % (dec, x)


def n(name):
    return "%d" % g(name) if g(name) is not None else "?"


KINDS = ratios.KINDS[:4]
TESTS = list(zip(ratios.TESTS, ["alloc(1)+free(1)", "64x alloc(1), 64x free", "alloc+free 1..15 pages",
                                "alloc+free 16..512 pages"]))
reps, cpu0 = n("reps"), n("cpu0_id")
ncpus = int(g("ncpus") or 0)
fails = []

if g("1cpu_pair1_ours_ns") is not None:
    print("== Single CPU (one kthread bound to CPU %s), empty %s MiB region ==" % (cpu0, n("region_mib")))
    print("ns per alloc+free pair, median of %s repetitions of its median chunk of up to %s (cycles in brackets)" % (reps, n("chunks")))
    print("%-12s %-26s" % ("test", "what") + "".join("%18s" % k for k in KINDS))
    for t, what in TESTS:
        cols = []
        for k in KINDS:
            p = "1cpu_%s_%s" % (t, k)
            cols.append("%s (%s)%s" % (f(g(p + "_ns")), f(g(p + "_cycles"), 0),
                                       "*" if g(p + "_fails") else ""))
            if g(p + "_fails"):
                fails.append("* %s %s: %s of %s pairs failed" % (k, t, n(p + "_fails"), n(p + "_pairs")))
        print("%-12s %-26s" % (t, what) + "".join("%18s" % c for c in cols))
    print("%-12s %-26s" % ("ratio", "other's ns / ours") + "".join("%18s" % k for k in KINDS))
    for t, _ in TESTS:
        print("%-12s %-26s" % (t, "") + "".join(
            "%18s" % f(g("1cpu_%s_ratio_vs_%s" % (t, k)), 2) for k in KINDS))
    for x in fails:
        print(x)
    print("tracked (ours with PCPU_PAGECACHE_TRACK), ns per pair and its / ours: " + ", ".join(
        "%s %s (%s)" % (t, f(g("1cpu_%s_tracked_ns" % t)), f(g("1cpu_%s_ratio_vs_tracked" % t), 2))
        for t, _ in TESTS))
    print("ours: % of allocations served by the CPU cache: " + ", ".join(
        "%s %s" % (t, f(g("1cpu_%s_ours_cache_hit_pct" % t))) for t, _ in TESTS))
    print()

if g("allcpu_ours_ns") is not None:
    ids = [n("cpu%d_id" % i) for i in range(ncpus)]
    print("== All %d CPUs at once: one bound kthread per CPU, alloc(1)+free(1) pairs ==" % ncpus)
    print("%-12s %12s %14s %8s" % ("allocator", "ns/pair", "total kpairs/s", "scaling")
          + "".join("  cpu%s kpairs/s" % c for c in ids))
    for k in KINDS + ["tracked"]:
        p = "allcpu_" + k
        print("%-12s %12s %14s %8s" % (k, f(g(p + "_ns")), f(g(p + "_total_kops"), 0), f(g(p + "_scaling"), 2))
              + "".join("%16s" % f(g("%s_cpu%s_kops" % (p, c)), 0) for c in ids))
    print("ns/pair = wall time / all pairs; scaling = total / (CPUs x single-CPU pair1 rate over whole repetitions)")
    print()

if any(k.startswith("growth_") for k in v):
    print("== Growth: fragmented fills (runs of 1..%s pages, seed %s), ns per pair, median of %s (of median chunks) ==" % (n("run_max"), n("seed"), reps))
    print("%-6s %-5s %-8s %10s %10s %10s %13s %14s %9s" % ("region", "full", "op", "ours", "nocache", "genalloc",
                                                        "nocache/ours", "genalloc/ours", "ours hit%"))
    fails = []
    for s in ratios.GSIZES:
        for lvl in ratios.GLEVELS:
            for t in ratios.GOPS:
                p = "growth_%s_%dpct_%%s_%s" % (s, lvl, t)
                if g(p % "ours" + "_ns") is None and g(p % "genalloc" + "_ns") is None:
                    continue
                cols = [f(g(p % k + "_ns")) + ("*" if g(p % k + "_fails") else "") for k in KINDS[:3]]
                for k in KINDS[:3]:
                    if g(p % k + "_fails"):
                        fails.append("* %s %d%% %s %s: %s of %s pairs failed (no free run that long)"
                                     % (s, lvl, k, t, n(p % k + "_fails"), n(p % k + "_pairs")))
                print("%-6s %4d%% %-8s %10s %10s %10s %13s %14s %9s" % (
                    s, lvl, t, *cols, f(ratios.quot(v, p % "nocache" + "_ns", p % "ours" + "_ns"), 2),
                    f(ratios.quot(v, p % "genalloc" + "_ns", p % "ours" + "_ns"), 2),
                    f(g(p % "ours" + "_cache_hit_pct"))))
    for x in fails:
        print(x)
    pages = {"16m": 4096, "256m": 65536, "2g": 524288}
    for key in sorted(k[:-5] for k in v if k.startswith("fill_") and k.endswith("_runs")):
        s, lvl, k = re.match(r"fill_([^_]+)_(\d+)pct_(.+)", key).groups()
        print("fill %s %s%% %s: %s runs, %s of %d pages handed out when full, %s after frees, %s ms"
              % (s, lvl, k, n(key + "_runs"), n(key + "_full_pages"), pages[s], n(key + "_used_pages"), n(key + "_ms")))
    print()

if g("cost_call_ret_ns") is not None:
    print("== Building blocks on this machine (same loop, median of %s) ==" % reps)
    for o, what in [("call_ret", "call+return of an empty function"), ("irq_save_restore", "local_irq_save+restore"),
                    ("preempt_off_on", "preempt_disable+enable"),
                    ("spin_lock_irqsave", "spin_lock_irqsave+unlock (no contention)"), ("this_cpu_inc", "this_cpu_inc")]:
        print("%-18s %-42s %8s ns (%s cycles)" % (o, what, f(g("cost_%s_ns" % o)), f(g("cost_%s_cycles" % o), 0)))
    print()

if g("peer_pair1_ours_ns") is not None:
    print("== The kernel's per-CPU page caches, one kthread bound to CPU %s, alloc(1)+free(1), median of %s ==" % (cpu0, reps))
    print("ns per pair: each repetition's median chunk (cycles in brackets); whole: over whole repetitions, host stalls included")
    for p, what in [("ours", "pcpu_pagecache_alloc(1)+free(1), empty 16 MiB region"),
                    ("page_pool", "alloc_pages+recycle_direct, local_bh_disable() around the loop"),
                    ("page_pool_bh_each", "the same with local_bh_disable()+enable() around each pair"),
                    ("objpool", "objpool_pop+objpool_push (no page behind the object)")]:
        q = "peer_pair1_" + p
        if g(q + "_ns") is None:
            print("%-18s not measured (objpool exists from Linux 6.7 on)" % p)
            continue
        print("%-18s %8s ns (%5s cycles)  whole %8s ns  other's ns / ours %5s%s  %s" % (
            p, f(g(q + "_ns")), f(g(q + "_cycles"), 0), f(g(q + "_whole_ns")),
            f(g("peer_pair1_ratio_vs_" + p), 2), " (failures)" if g(q + "_fails") else "", what))
    print()

if g("prodcons_ours_1pair_ns") is not None:
    print("== Producer/consumer: alloc(1) on one CPU, free(1) on another, batches of %s through a ring of %s, median of %s =="
          % (n("pc_batch"), n("pc_ring"), reps))
    print("ns/page: wall time / pages, host stalls included; alloc, free: each side's median batch, per page; "
          "busy: the slower side, 1/busy the rate with both sides running")
    print("%-12s %-6s %10s %10s %10s %10s %14s  %s" % ("allocator", "pairs", "ns/page", "alloc", "free", "busy",
                                                     "kpages/s(busy)", "CPUs (producer>consumer)"))
    for k in ["ours", "alloc_pages"]:
        for np in [1, 2]:
            p = "prodcons_%s_%dpair" % (k, np)
            if g(p + "_ns") is None:
                continue
            cpus = ", ".join("%s>%s" % (n("cpu%d_id" % (2 * i)), n("cpu%d_id" % (2 * i + 1))) for i in range(np))
            busy = g(p + "_busy_ns")
            print("%-12s %-6d %10s %10s %10s %10s %14s  %s" % (
                k, np, f(g(p + "_ns")), f(g(p + "_alloc_ns")), f(g(p + "_free_ns")), f(busy),
                f(np * 1e6 / busy if busy else None, 0), cpus))
    if g("prodcons_ours_2pair_ns") is None:
        print("two pairs: not run (this boot has %d CPUs; bench/run.sh boots again with -smp 4 for them)" % ncpus)
    for np in [1, 2]:
        p = "prodcons_ours_%dpair" % np
        if g(p + "_ns") is not None:
            print("ours, %d pair(s): per page freed: %s lock acquisitions, %s refills, %s remote (batched) frees, "
                  "%s fast frees; %s slow allocs, %s reclaims, %s pages" % (
                      np, f(g(p + "_locks_per_free"), 3), f(g(p + "_refills_per_alloc"), 3),
                      f(g(p + "_remote_per_free"), 3), f(g(p + "_fast_frees_per_free"), 3),
                      n(p + "_slow_allocs"), n(p + "_reclaims"), n(p + "_pages")))
    print()

if g("1cpu_burst64_bulk_ns") is not None:
    print("== Bulk API: ns per page (alloc+free), one kthread bound to CPU %s, empty %s MiB region, median of %s =="
          % (cpu0, n("region_mib"), reps))
    for b, what in [("single", "64x pcpu_pagecache_alloc(1), 64x free(1)"), ("bulk", "alloc_bulk(1, 64) + free_bulk(1, 64)")]:
        p = "1cpu_burst64_" + b
        print("%-7s %-42s %8s ns (%s cycles)  whole %8s ns%s" % (
            b, what, f(g(p + "_ns")), f(g(p + "_cycles"), 0), f(g(p + "_whole_ns")),
            "  (%s of %s pairs failed)" % (n(p + "_fails"), n(p + "_pairs")) if g(p + "_fails") else ""))
    print("single / bulk: %s" % f(g("ratio_bulk_vs_single"), 2))
    print()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The figures derived from one boot of the benchmark module: every ratio,
# scaling, growth, rate and percentage, from its "bench: <name> <value>"
# lines (bench/run.sh's results.txt).  The module prints only what it
# measured (ns per pair, repetitions, counts); this is the one place that
# combines figures, and bench/run.sh checks the targets of issues 7 and 10
# on its output.  It prints "bench: <name> <value>" lines.  A figure whose
# inputs are missing (its section did not run) or whose denominator is zero
# is left out: run.sh then reports it MISSING.
#
# A ratio is the other's ns / ours: above 1, ours is faster; a count_ratio_
# (make bench-count) is the other's count / ours: above 1, ours does less.
#
# usage: bench/ratios.py results.txt   (bench/tables.py imports it)
import re
import sys

KINDS = ["ours", "nocache", "genalloc", "alloc_pages", "tracked"]
TESTS = ["pair1", "burst64", "mixed1_15", "large16_512"]
GSIZES = ["16m", "256m", "2g"]
GLEVELS = [0, 50, 90]
GKINDS = KINDS[:3]
GOPS = ["pair1", "pair64"]
PEERS = ["ours", "page_pool", "page_pool_bh_each", "objpool"]
PC_KINDS = ["ours", "alloc_pages"]


def read(path):
    """The numeric "bench: <name> <value>" lines of a results file."""
    v = {}
    for line in open(path):
        m = re.match(r"bench: (\S+) (\S+)$", line.strip())
        if m:
            try:
                v[m[1]] = float(m[2])
            except ValueError:
                pass
    return v


def quot(v, a, b, times=1):
    """v[a] / (times * v[b]), or None when either is missing or the divisor 0."""
    x, y = v.get(a), v.get(b)
    return None if x is None or not y or not times else x / (times * y)


def rate(v, ns):
    """ns per pair (or page) -> thousands of pairs a second."""
    return None if not v.get(ns) else 1e6 / v[ns]


def derive(v):
    """{name: (value, decimals)} of every derived figure v allows."""
    d = {}

    def put(name, x, dec):
        if x is not None:
            d[name] = (x, dec)

    def pct(name, part, whole):
        put(name, None if part is None or not whole else 100 * part / whole, 2)

    def hits(p):
        # of ours' allocations, those the CPU cache served
        fast, slow = v.get(p + "_fast_allocs"), v.get(p + "_slow_allocs")
        pct(p + "_cache_hit_pct", fast, None if slow is None or fast is None else fast + slow)

    # Single CPU: each allocator against ours, test by test.
    for t in TESTS:
        for k in KINDS:
            if k == "ours":
                hits("1cpu_%s_ours" % t)
            else:
                put("1cpu_%s_ratio_vs_%s" % (t, k),
                    quot(v, "1cpu_%s_%s_ns" % (t, k), "1cpu_%s_ours_ns" % t), 2)

    # All CPUs: rates, and the all-CPU rate against CPUs x one CPU's
    # (over whole repetitions).
    for k in KINDS:
        p = "allcpu_" + k
        put(p + "_total_kops", rate(v, p + "_ns"), 0)
        cpus = sorted(int(m[1]) for m in (re.match(r"%s_cpu(\d+)_ns$" % p, n) for n in v) if m)
        for c in cpus:
            put("%s_cpu%d_kops" % (p, c), rate(v, "%s_cpu%d_ns" % (p, c)), 0)
        put(p + "_scaling", quot(v, "1cpu_pair1_%s_whole_ns" % k, p + "_ns", v.get("ncpus", 0)), 2)

    # Growth: ours' cache hits, and the pairs that failed.
    for s in GSIZES:
        for lvl in GLEVELS:
            for k in GKINDS:
                for t in GOPS:
                    p = "growth_%s_%dpct_%s_%s" % (s, lvl, k, t)
                    if k == "ours":
                        hits(p)
                    if v.get(p + "_fails"):
                        pct(p + "_fail_pct", v[p + "_fails"], v.get(p + "_pairs"))

    # The kernel's per-CPU caches against ours, measured beside them.
    for p in PEERS[1:]:
        put("peer_pair1_ratio_vs_" + p, quot(v, "peer_pair1_%s_ns" % p, "peer_pair1_ours_ns"), 2)

    # Producer/consumer: rates, and ours' events per page.
    for k in PC_KINDS:
        for np in [1, 2]:
            p = "prodcons_%s_%dpair" % (k, np)
            put(p + "_kpages", rate(v, p + "_ns"), 0)
            if k != "ours":
                continue
            for what, count in [("locks_per_free", "locks"), ("refills_per_alloc", "refills"),
                                ("remote_per_free", "remote_frees"), ("fast_frees_per_free", "fast_frees")]:
                put("%s_%s" % (p, what), quot(v, "%s_%s" % (p, count), p + "_pages"), 3)

    # The figures that issues 7 and 10 set targets on, and their companions:
    # some of them are figures above under a second name,
    for name, same in [("ratio_vs_alloc_pages_1cpu", "1cpu_pair1_ratio_vs_alloc_pages"),
                       ("ratio_vs_nocache_1cpu", "1cpu_pair1_ratio_vs_nocache"),
                       ("ratio_vs_genalloc_1cpu", "1cpu_pair1_ratio_vs_genalloc"),
                       ("allcpu_scaling", "allcpu_ours_scaling"),
                       ("ratio_vs_page_pool_1cpu", "peer_pair1_ratio_vs_page_pool"),
                       ("ratio_vs_objpool_1cpu", "peer_pair1_ratio_vs_objpool"),
                       ("prodcons_lock_per_free", "prodcons_ours_1pair_locks_per_free"),
                       ("prodcons_lock_per_free_2pairs", "prodcons_ours_2pair_locks_per_free")]:
        if same in d:
            d[name] = d[same]
    # the others are made here.
    g2, g16 = "growth_2g_50pct_%s_%s", "growth_16m_50pct_ours_%s"
    for name, a, b, times in [
            ("ratio_vs_nocache_allcpu", "allcpu_nocache_ns", "allcpu_ours_ns", 1),
            ("ratio_vs_genalloc_allcpu", "allcpu_genalloc_ns", "allcpu_ours_ns", 1),
            ("ratio_vs_alloc_pages_allcpu", "allcpu_alloc_pages_ns", "allcpu_ours_ns", 1),
            ("ratio_vs_genalloc_2g_50pct", g2 % ("genalloc", "pair1_ns"), g2 % ("ours", "pair1_ns"), 1),
            ("ratio_vs_genalloc_2g_50pct_whole", g2 % ("genalloc", "pair1_whole_ns"),
             g2 % ("ours", "pair1_whole_ns"), 1),
            ("ratio_vs_genalloc_2g_50pct_pair64", g2 % ("genalloc", "pair64_ns"), g2 % ("ours", "pair64_ns"), 1),
            ("ratio_vs_nocache_2g_50pct", g2 % ("nocache", "pair1_ns"), g2 % ("ours", "pair1_ns"), 1),
            ("ratio_vs_nocache_2g_50pct_pair64", g2 % ("nocache", "pair64_ns"), g2 % ("ours", "pair64_ns"), 1),
            # ours' pair64 (pair1), 2 GiB against 16 MiB, both 50% full
            ("growth_2g_vs_16m", g2 % ("ours", "pair64_ns"), g16 % "pair64_ns", 1),
            ("growth_2g_vs_16m_pair1", g2 % ("ours", "pair1_ns"), g16 % "pair1_ns", 1),
            ("ratio_vs_alloc_pages_prodcons", "prodcons_alloc_pages_1pair_ns", "prodcons_ours_1pair_ns", 1),
            ("ratio_vs_alloc_pages_prodcons_busy", "prodcons_alloc_pages_1pair_busy_ns",
             "prodcons_ours_1pair_busy_ns", 1),
            # two pairs' pages a second / (2 x one pair's); busy is per page
            # of one pair already
            ("prodcons_scaling_2pairs", "prodcons_ours_1pair_ns", "prodcons_ours_2pair_ns", 2),
            ("prodcons_scaling_2pairs_busy", "prodcons_ours_1pair_busy_ns", "prodcons_ours_2pair_busy_ns", 1),
            ("prodcons_alloc_pages_scaling_2pairs", "prodcons_alloc_pages_1pair_ns",
             "prodcons_alloc_pages_2pair_ns", 2),
            ("prodcons_alloc_pages_scaling_2pairs_busy", "prodcons_alloc_pages_1pair_busy_ns",
             "prodcons_alloc_pages_2pair_busy_ns", 1),
            ("ratio_bulk_vs_single", "1cpu_burst64_single_ns", "1cpu_burst64_bulk_ns", 1)]:
        put(name, quot(v, a, b, times), 2)
    # Counted pairs (make bench-count): each one's memory accesses, and
    # page_pool's instructions and accesses / ours' (above 1: ours fewer).
    for who in ["ours", "page_pool", "page_pool_bh_each"]:
        p = "count_%s_pair_" % who
        if p + "loads" in v and p + "stores" in v:
            put(p + "mem", v[p + "loads"] + v[p + "stores"], 0)
    for who in ["page_pool", "page_pool_bh_each"]:
        for w in ["insns", "loads", "stores", "mem", "callee_insns"]:
            a, b = "count_%s_pair_%s" % (who, w), "count_ours_pair_" + w
            if w == "mem":
                a, b = d.get(a), d.get(b)
                put("count_ratio_vs_%s_mem" % who,
                    None if not a or not b else a[0] / b[0], 2)
            else:
                put("count_ratio_vs_%s_%s" % (who, w), quot(v, a, b), 2)
    return d


def main():
    for name, (x, dec) in derive(read(sys.argv[1])).items():
        print("bench: %s %.*f" % (name, dec, x))


if __name__ == "__main__":
    main()

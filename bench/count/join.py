#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Join the counting plugin's log (bench/count/ppc_count_plugin.c) to the
# benchmark module's tag names (section 128, "count_tag <n> <name>" lines
# in results.txt) and print "bench: count_<name>_<what> N" lines: of all
# the counts of a tag (one a round), the one with the fewest instructions,
# which no interrupt or preemption reached (a larger one is such a count):
#   _insns _loads _stores  between the markers, the pair and its calls
#   _calls                 call instructions executed
#   _callee_insns ...      the part below the bracket's own code: in the
#                          functions it called (bench/count-insns.sh
#                          counts those of ours statically)
#   _samples, _at_min      counts seen, and how many had that fewest
# and "bench: count_calib_ok 1" (0 otherwise) when the calibration
# brackets counted exactly what the module says they hold.  The smallest
# count's instructions go to TRACE, when given, one block a tag.
#
# usage: bench/count/join.py results.txt plugin.log [TRACE]
import re
import sys

WHAT = ["insns", "loads", "stores", "calls", "callee_insns", "callee_loads",
        "callee_stores"]


def main():
    res = open(sys.argv[1]).read().splitlines()
    log = open(sys.argv[2], errors="replace").read().splitlines()
    names, expect = {}, {}
    for line in res:
        m = re.match(r"count_tag (\d+) (\S+)$", line.strip())
        if m:
            names[int(m[1])] = m[2]
        m = re.match(r"bench: count_(\S+)_expect_(\S+) (\d+)$", line.strip())
        if m:
            expect[(m[1], m[2])] = int(m[3])
    counts, traces, cur = {}, {}, {}
    for line in log:
        f = line.split()
        if len(f) > 2 and f[0] == "ppc_count:" and f[1] == "tag":
            tag = int(f[2])
            counts.setdefault(tag, []).append(
                {f[i]: int(f[i + 1]) for i in range(3, len(f) - 1, 2)})
            cur[tag] = []
        elif len(f) > 4 and f[0] == "ppc_count:" and f[1] == "trace":
            # a trace follows its count line: the last block is the smallest
            tag = int(f[2])
            cur.setdefault(tag, []).append(line.split(None, 3)[3])
            traces[tag] = cur[tag]
    out = []
    ok = 1 if expect else 0
    for tag, name in sorted(names.items()):
        c = counts.get(tag)
        if not c:
            ok = 0 if name in ("calib", "empty") else ok
            continue
        best = min(c, key=lambda x: (x["insns"], x["loads"] + x["stores"]))
        for w in WHAT:
            out.append("bench: count_%s_%s %d" % (name, w, best[w]))
        out.append("bench: count_%s_samples %d" % (name, len(c)))
        out.append("bench: count_%s_at_min %d" %
                   (name, sum(1 for x in c if x["insns"] == best["insns"])))
        for w in ("insns", "loads", "stores"):
            if (name, w) in expect and expect[(name, w)] != best[w]:
                ok = 0
    out.append("bench: count_calib_ok %d" % ok)
    print("\n".join(out))
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as t:
            for tag, name in sorted(names.items()):
                if tag not in traces:
                    continue
                t.write("# %s: %d instructions (depth, address, instruction)\n"
                        % (name, len(traces[tag])))
                t.writelines(x + "\n" for x in traces[tag])


if __name__ == "__main__":
    main()

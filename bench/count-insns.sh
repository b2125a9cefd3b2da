#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Count the instructions of pcpu_pagecache's fast path in a built module:
# the shortest path through pcpu_pagecache_alloc() and pcpu_pagecache_free()
# from the entry to a return that calls nothing and leaves the function by
# no tail call.  That path is alloc(1) served by the CPU's window and
# free(1) of a page of that window: a request of more pages takes the run
# search's loop, and every miss, interrupted section or remote free leaves
# the function.  -v prints the listing the count comes from.
#
# usage: bench/count-insns.sh [-v] MODULE.ko
#   prints "bench: fastpath_insns_alloc1 N", "..._free1 N", "..._pair N";
#   -v also prints each path as objdump shows it.
#
# objdump runs on the .ko before the kernel loads it, so: `jmp` to the next
# address with a relocation against __x86_return_thunk is the return (the
# kernel patches it to `ret` where retbleed needs no thunk); a `call` with a
# relocation against __fentry__ (a NOP once loaded) or pv_ops (patched to
# the native pushf/cli/sti: versions before core v2) counts as one
# instruction, and their shortest path is the one called with interrupts
# off (no sti); any other call ends the path (it is not the fast path).
set -euo pipefail

verbose=0
if [[ ${1:-} == -v ]]; then
	verbose=1
	shift
fi
[[ $# -eq 1 && -r $1 ]] || { echo "usage: $0 [-v] MODULE.ko" >&2; exit 2; }
ko=$1

objdump -dr --no-show-raw-insn "$ko" |
python3 -c '
import re, sys
from collections import deque

verbose = sys.argv[1] == "1"
funcs = {}
cur = None
ins_re = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$")
rel_re = re.compile(r"^\s*([0-9a-f]+):\s+R_X86_64_\S+\s+(\S+)$")
for line in sys.stdin:
    line = line.rstrip("\n")
    m = re.match(r"^([0-9a-f]+) <([^>]+)>:$", line)
    if m:
        cur = m.group(2)
        funcs[cur] = []
        continue
    if cur is None or not line.strip():
        continue
    m = rel_re.match(line)
    if m and funcs[cur]:
        funcs[cur][-1]["rel"] = m.group(2)
        continue
    m = ins_re.match(line)
    if m:
        funcs[cur].append({"addr": int(m.group(1), 16), "op": m.group(2),
                           "args": m.group(3), "rel": "", "text": line})

def target(ins, lo, hi):
    m = re.match(r"([0-9a-f]+) <", ins["args"])
    if not m:
        return None
    t = int(m.group(1), 16)
    return t if lo <= t < hi else None

def fast_path(name):
    body = funcs[name]
    lo, hi = body[0]["addr"], body[-1]["addr"] + 1
    index = {ins["addr"]: i for i, ins in enumerate(body)}
    prev = {0: None}
    todo = deque([0])
    while todo:
        i = todo.popleft()
        ins = body[i]
        op, rel = ins["op"], ins["rel"]
        nxt = []
        if op == "ret" or (op == "jmp" and rel.startswith("__x86_return_thunk")):
            path = []
            while i is not None:
                path.append(body[i])
                i = prev[i]
            return path[::-1]
        if op == "call":
            if not rel.startswith(("__fentry__", "pv_ops")):
                continue
            nxt = [i + 1]
        elif op == "jmp":
            t = target(ins, lo, hi)
            nxt = [index[t]] if t is not None and t in index else []
        elif op.startswith("j"):
            t = target(ins, lo, hi)
            nxt = [i + 1] + ([index[t]] if t is not None and t in index else [])
        elif op in ("ud2", "int3"):
            continue
        else:
            nxt = [i + 1]
        for j in nxt:
            if j < len(body) and j not in prev:
                prev[j] = i
                todo.append(j)
    sys.exit("no call-free path to a return in " + name)

def count(pairs, suffix):
    total = 0
    for short, name in pairs:
        if name not in funcs:
            sys.exit(name + " not found")
        path = fast_path(name)
        total += len(path)
        if verbose:
            print("# %s: %d instructions" % (name, len(path)))
            for ins in path:
                print("#  " + ins["text"].strip() +
                      ("    [" + ins["rel"] + "]" if ins["rel"] else ""))
        print("bench: fastpath_insns_%s %d" % (short, len(path)))
    print("bench: fastpath_insns_pair%s %d" % (suffix, total))

# pcpu_pagecache_alloc(pool, 1) and pcpu_pagecache_free(pool, a, 1) are
# these two; a run of n pages (n not a constant 1) takes the other two.
count((("alloc1", "pcpu_pagecache_alloc_page"),
       ("free1", "pcpu_pagecache_free_page")), "")
count((("alloc_n", "__pcpu_pagecache_alloc"),
       ("free_n", "__pcpu_pagecache_free")), "_n")
' "$verbose"

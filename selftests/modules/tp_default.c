// SPDX-License-Identifier: GPL-2.0
/*
 * The actions on the default pool (for the shell tests, the
 * tracepoint test and the big guest's checks), and fault_create for fault
 * injection.
 */
#include "test_pcpu_pagecache.h"

#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/sizes.h>
#include <linux/workqueue.h>

static long warm_fn(void *arg)
{
	struct pcpu_pagecache *pool = arg;
	phys_addr_t a = pcpu_pagecache_alloc(pool, 1);

	if (!a)
		return -ENOMEM;
	return pcpu_pagecache_free(pool, a, 1);
}

/* warm_all: every online CPU takes a window of the default pool. */
int act_warm_all(const char *arg)
{
	struct pcpu_pagecache *pool = pcpu_pagecache_default();
	int cpu, r, ret = 0;

	if (!pool) {
		pr_err("no default pool\n");
		return -ENODEV;
	}
	for_each_online_cpu(cpu) {
		r = work_on_cpu_safe(cpu, warm_fn, pool);
		if (r && r != -ENODEV) {
			pr_err("%s: cpu%d: %d\n", __func__, cpu, r);
			ret = r;
		}
	}
	return ret;
}

/*
 * The actions below give the tracepoint selftest one event each on the
 * default pool; they check little themselves.
 */
int act_default_alloc(const char *arg)
{
	struct pcpu_pagecache *pool = pcpu_pagecache_default();
	unsigned int n;
	phys_addr_t a;

	if (!pool)
		return -ENODEV;
	if (!arg || kstrtouint(arg, 0, &n))
		return -EINVAL;
	a = pcpu_pagecache_alloc(pool, n);
	if (!a)
		return -ENOMEM;
	return pcpu_pagecache_free(pool, a, n);
}

/*
 * Not inlined: the invalid_free event must name this function as the
 * caller.  16 pages bypass the per-CPU cache, so both frees take the lock.
 */
noinline int default_bad_free(const char *arg)
{
	struct pcpu_pagecache *pool = pcpu_pagecache_default();
	const unsigned int n = PCPU_PAGECACHE_FAST_PAGES;
	phys_addr_t a;

	if (!pool)
		return -ENODEV;
	a = pcpu_pagecache_alloc(pool, n);
	if (!a)
		return -ENOMEM;
	if (!CHECK_EQ(pcpu_pagecache_free(pool, a, n), 0) ||
	    !CHECK_EQ(pcpu_pagecache_free(pool, a, n), -EINVAL))
		return -EIO;
	pr_info("%s: double free of %pa +%u refused\n", __func__, &a, n);
	return 0;
}

/* default_exhaust_warm: every CPU warm, then one takes every page. */
int act_default_exhaust_warm(const char *arg)
{
	struct tpool tp;

	return default_tpool(&tp) ?:
	       exhaust_warm(&tp, cpumask_last(cpu_online_mask));
}

int act_default_exhaust(const char *arg)
{
	struct tpool tp;

	return default_tpool(&tp) ?:
	       exhaust_check(&tp, cpumask_first(cpu_online_mask), true);
}

/* ------------------------------------------------------------------ */
/* NUMA: a CPU's pages come from its node while that node has some     */

/*
 * The node of page @a: its struct page's for a pool from the page
 * allocator; a reserved range's pages are not the kernel's, so the
 * firmware's (SRAT's) memory ranges tell, as phys_to_target_node() keeps
 * them.  scripts/vm/guest/big.sh checks the node column of the default pool's
 * chunks file against the guest's layout, which checks that answer too.
 */
static int numa_page_node(bool reserved, phys_addr_t a)
{
	if (reserved)
		return phys_to_target_node(a);
	return page_to_nid(pfn_to_page(PHYS_PFN(a)));
}

/*
 * The single pages @x took on @cpu, in order: every page of the pool on
 * @nid first, then the others, and some of each.
 */
static int numa_order(struct exh *x, bool reserved, int nid, int cpu)
{
	unsigned long i, local = 0, remote = 0;
	int node;

	for (i = 0; i < x->nruns; i++) {
		node = numa_page_node(reserved, x->runs[i].addr);
		if (node != nid) {
			remote++;
			continue;
		}
		local++;
		if (remote) {
			pr_err("cpu%d (node %d): allocation %lu, %pa, is on its node after %lu pages of other nodes\n",
			       cpu, nid, i, &x->runs[i].addr, remote);
			return -EIO;
		}
	}
	pr_info("cpu%d (node %d): %lu pages of its node first, then %lu of other nodes\n",
		cpu, nid, local, remote);
	return CHECK(local) && CHECK(remote) ? 0 : -EIO;
}

/* For each node with an online CPU: the first such CPU takes every page. */
static int numa_check(struct tpool *tp, bool reserved)
{
	int nid, cpu, nodes = 0, ret;
	struct exh x;

	for_each_node_state(nid, N_CPU) {
		cpu = cpumask_first_and(cpumask_of_node(nid), cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			continue;
		nodes++;
		if (exh_init(&x, tp, false))
			return -ENOMEM;
		ret = exh_take(&x, cpu);
		if (!ret)
			ret = numa_order(&x, reserved, nid, cpu);
		if (exh_release(&x, cpu))
			ret = -EIO;
		exh_fini(&x);
		if (ret)
			return ret;
	}
	if (!CHECK(nodes >= 2)) {
		pr_err("numa_local needs online CPUs on two nodes\n");
		return -EIO;
	}
	return 0;
}

/*
 * numa_local: a pool of 64 MiB from the page allocator, whose blocks come
 * from every node, then the default pool, on a reserved range that spans
 * the nodes.
 */
int act_numa_local(const char *arg)
{
	struct tpool tp;
	int ret;

	ret = tpool_create(&tp, "numa", 0, SZ_64M, 0);
	if (ret)
		return ret;
	ret = numa_check(&tp, false);
	tpool_destroy(&tp);
	if (ret)
		return ret;
	return default_tpool(&tp) ?: numa_check(&tp, true);
}

/*
 * For fault injection: pcpu_pagecache_fault.sh makes the N-th allocation
 * of this write fail (fail-nth), for N = 1, 2, ... until it succeeds with
 * no fault consumed.  A failed create must return its error and leave
 * nothing behind: the script checks debugfs and /proc/iomem, and the next
 * create of the same name.
 */
int act_fault_create(const char *arg)
{
	struct pcpu_pagecache *pool;
	unsigned int mode;
	phys_addr_t a;
	int ret = 0;

	if (!arg || kstrtouint(arg, 0, &mode) || mode > 1)
		return -EINVAL;
	pool = pcpu_pagecache_create("fault", mode ? resv_base : 0, SZ_POOL);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	a = pcpu_pagecache_alloc(pool, 1);
	if (!CHECK(a) || !CHECK_EQ(pcpu_pagecache_free(pool, a, 1), 0))
		ret = -EIO;
	pcpu_pagecache_destroy(pool);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache: a page allocator for a physical region, with per-CPU
 * page caches.  The design, its limits and the context rules are in
 * pcpu_pagecache.h and Documentation/pcpu_pagecache.rst; the locking rules
 * in ppc_internal.h.  This file is the module: its parameters, init and
 * exit (the default pool), the CPU hotplug callbacks, and the trace
 * events' definitions.  The rest is one file a concern:
 *
 *   ppc_alloc_free.c  the alloc and free paths, fast and slow, and bulk
 *   ppc_cache.c       a CPU's window, taken from the bitmaps and given back
 *   ppc_reclaim.c     the caches of every CPU asked back; drain
 *   ppc_remote.c      frees on their way back: batches, checks, bad frees
 *   ppc_pool.c        creating and destroying pools, their memory and nodes
 *   ppc_debugfs.c     the statistics and the debugfs files
 *   ppc_core*.c       the bitmap and its summary tree (pure C), claims of
 *                     large runs, windows' words
 *   ppc_owners.c      who holds the pages (track=1)
 *   ppc_heap.c        a pool's dma-buf heap (heap=1 for the default pool)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>

#include "ppc_internal.h"
#include "ppc_heap.h"

#define CREATE_TRACE_POINTS
#include "pcpu_pagecache_trace.h"

static unsigned long param_base;
module_param_named(base, param_base, ulong, 0444);
MODULE_PARM_DESC(base, "Physical base of a range reserved with memmap=SIZE$BASE; 0 takes the default pool from the page allocator");

static unsigned long param_size = SZ_64M;
module_param_named(size, param_size, ulong, 0444);
MODULE_PARM_DESC(size, "Bytes in the default pool (page aligned, default 64 MiB)");

enum cpuhp_state ppc_prepare_state;
enum cpuhp_state ppc_online_state;

/* ---- CPU hotplug --------------------------------------------------------- */

/*
 * PREPARE stage: both callbacks run on a control CPU while @cpu runs
 * nothing, so its cache can be flushed from here.  The teardown ("dead")
 * is the one that matters: after it no code can refill the cache.  The
 * startup makes sure a CPU comes up without a window.
 */
static int ppc_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct pcpu_pagecache *pool =
		hlist_entry(node, struct pcpu_pagecache, prepare_node);

	ppc_flush_stopped_cpu(pool, cpu, PPC_FLUSH_HOTPLUG);
	return 0;
}

/*
 * ONLINE stage: runs on the dying CPU itself, in a thread, so never inside
 * the section.  It gives the pages back early; interrupts may still refill
 * the cache afterwards, which ppc_cpu_dead() catches.
 */
static int ppc_cpu_offline(unsigned int cpu, struct hlist_node *node)
{
	struct pcpu_pagecache *pool =
		hlist_entry(node, struct pcpu_pagecache, online_node);
	struct ppc_cache *c = ppc_section_enter(pool);
	unsigned long flags;

	if (c) {
		flags = ppc_lock(pool);
		ppc_cache_flush_locked(pool, cpu, PPC_FLUSH_HOTPLUG);
		ppc_unlock(pool, flags);
		ppc_section_exit(c);
	}
	return 0;
}

/* ---- Module -------------------------------------------------------------- */

static int __init ppc_init(void)
{
	struct pcpu_pagecache *pool;
	int ret;

	ppc_debugfs_root = debugfs_create_dir("pcpu_pagecache", NULL);

	ret = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN,
				      "pcpu_pagecache:prepare", ppc_cpu_dead,
				      ppc_cpu_dead);
	if (ret < 0)
		goto err_debugfs;
	ppc_prepare_state = ret;

	ret = cpuhp_setup_state_multi(CPUHP_AP_ONLINE_DYN,
				      "pcpu_pagecache:online", NULL,
				      ppc_cpu_offline);
	if (ret < 0)
		goto err_prepare;
	ppc_online_state = ret;

	/* pcpu_pagecache_create() has said why it failed. */
	pool = pcpu_pagecache_create("default", param_base, param_size);
	if (IS_ERR(pool)) {
		ret = PTR_ERR(pool);
		goto err_online;
	}
	ppc_default_pool = pool;
	ret = ppc_heap_default_add(pool);
	if (ret)
		goto err_pool;
	return 0;

err_pool:
	pcpu_pagecache_destroy(pool);
err_online:
	cpuhp_remove_multi_state(ppc_online_state);
err_prepare:
	cpuhp_remove_multi_state(ppc_prepare_state);
err_debugfs:
	debugfs_remove_recursive(ppc_debugfs_root);
	return ret;
}
module_init(ppc_init);

static void __exit ppc_exit(void)
{
	struct pcpu_pagecache *pool, *tmp;

	ppc_heap_default_remove();
	pcpu_pagecache_destroy(ppc_default_pool);
	/* Pools whose creators forgot them: nobody can use them any more. */
	list_for_each_entry_safe(pool, tmp, &ppc_pools, list) {
		pr_warn("%s: pool not destroyed by its creator\n", pool->name);
		pcpu_pagecache_destroy(pool);
	}
	cpuhp_remove_multi_state(ppc_online_state);
	cpuhp_remove_multi_state(ppc_prepare_state);
	debugfs_remove_recursive(ppc_debugfs_root);
}
module_exit(ppc_exit);

MODULE_DESCRIPTION("Page allocator for a reserved physical region with per-CPU page caches");
MODULE_AUTHOR("pcpu_pagecache developers");
MODULE_LICENSE("GPL");

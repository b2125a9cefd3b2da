// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache: a CPU's window, taken from the bitmaps and given back.
 * A refill takes the first window that no other CPU owns and that holds
 * the run asked for, on the CPU's own node first; a flush gives the window
 * and the remote-free batch back, from the CPU's own section or, for a
 * CPU that cannot run, from another under the lock.  The section itself,
 * the window's ->pending merge and the cache's struct are ppc_internal.h;
 * the fast path that uses the window is ppc_alloc_free.c.  Apart from it
 * because none of this is on the fast path: it runs under the pool lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/minmax.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/seqlock.h>
#include <linux/topology.h>

#include "ppc_internal.h"
#include "pcpu_pagecache_trace.h"

/* ---- Windows: given back, taken ------------------------------------------ */

/*
 * Give @cpu's window and batch back to the bitmaps.  Its section, or
 * @cpu cannot run (dead, or the pool is being destroyed).
 */
void ppc_cache_flush_locked(struct pcpu_pagecache *pool,
			    unsigned int cpu, int reason)
{
	struct ppc_cache *c = ppc_cache_of(pool, cpu);
	unsigned int n;

	lockdep_assert_held(&pool->lock);
	ppc_batch_apply_locked(pool, c);
	if (!c->span)
		return;
	ppc_pending_merge(pool, c);
	n = hweight_long(c->free);
	raw_write_seqcount_begin(&pool->owners_seq);
	ppc_bits_return_window(&pool->bits, c->word, c->free);
	raw_write_seqcount_end(&pool->owners_seq);
	trace_pcpu_pagecache_flush(pool->name, cpu, c->base, n, reason);
	WRITE_ONCE(c->free, 0);
	WRITE_ONCE(c->span, 0);
	this_cpu_inc(pool->cache->flushes);
}

/*
 * The first window for @cpu holding a run of @npages: on @cpu's node while
 * the node has one (each of its extents searched in O(levels)), then on
 * any node.  A pool on one node searches once.
 */
static unsigned long ppc_take_window_near(struct pcpu_pagecache *pool,
					  unsigned int npages,
					  unsigned int cpu, unsigned long *free)
{
	int nid = cpu_to_node(cpu);
	struct ppc_node_ext *e;
	unsigned long w;

	if (pool->numa && nid != NUMA_NO_NODE && node_isset(nid, pool->nodes)) {
		for (e = pool->exts; e < pool->exts + pool->nexts; e++) {
			if (e->nid != nid)
				continue;
			w = ppc_bits_take_window_in(&pool->bits, npages, cpu,
						    free, e->first, e->end);
			if (w != PPC_NONE)
				return w;
		}
	}
	return ppc_bits_take_window(&pool->bits, npages, cpu, free);
}

/*
 * Give the local CPU the first window that no other CPU owns and that
 * holds a run of @npages free pages, on its own node if it can.  Its free
 * pages move from the bitmap to the window.
 */
bool ppc_cache_fill_locked(struct pcpu_pagecache *pool,
			   struct ppc_cache *c, unsigned int npages)
{
	unsigned int cpu = smp_processor_id();
	unsigned long w, free;

	lockdep_assert_held(&pool->lock);
	raw_write_seqcount_begin(&pool->owners_seq);
	w = ppc_take_window_near(pool, npages, cpu, &free);
	raw_write_seqcount_end(&pool->owners_seq);
	if (w == PPC_NONE)
		return false;
	c->word = w;
	c->batched = &pool->batched[w];
	c->base = ppc_phys(pool, w * PPC_WINDOW);
	WRITE_ONCE(c->free, free);
	WRITE_ONCE(c->span, min_t(unsigned long, PPC_WINDOW,
				  pool->npages - w * PPC_WINDOW));
	this_cpu_inc(pool->cache->refills);
	trace_pcpu_pagecache_refill(pool->name, cpu, c->base, hweight_long(free),
				    PPC_FLUSH_REFILL);
	return true;
}

/* @cpu runs no code of ours: dead, or its pool is being destroyed. */
void ppc_flush_stopped_cpu(struct pcpu_pagecache *pool, unsigned int cpu,
			   int reason)
{
	unsigned long flags;

	flags = ppc_lock(pool);
	ppc_cache_flush_locked(pool, cpu, reason);
	/* What it was asked is done: nobody waits for a CPU that is gone. */
	atomic_set(&ppc_cache_of(pool, cpu)->reclaim_served,
		   atomic_read(&ppc_cache_of(pool, cpu)->reclaim_asked));
	ppc_unlock(pool, flags);
}

/*
 * Unit tests of the per-CPU layer, only when the build asks for them
 * (PCPU_PAGECACHE_KUNIT_TEST=y, see Kbuild).
 */
#ifdef PCPU_PAGECACHE_KUNIT_TEST
#include "pcpu_pagecache_kunit.c"
#endif

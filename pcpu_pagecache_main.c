// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache: a page allocator for a physical region, with per-CPU
 * page caches.  The design, its limits and the context rules are in
 * pcpu_pagecache.h and Documentation/pcpu_pagecache.rst.  This file is the
 * per-CPU caches, the API, hotplug and debugfs; the bitmap and its summary
 * tree are ppc_core.c, which the host tests build too.
 *
 * Locking
 * -------
 * pool->lock, a raw spinlock taken with interrupts disabled (callers may be
 * in hardirq context, and on PREEMPT_RT a spinlock_t would sleep), guards
 * pool->bits: the bitmap, its summaries and the window owners.  It is held
 * for one search or one batch, never while waiting for another CPU.
 * pool->owners_seq, written under it, lets a free check a window's owner
 * without it: an owned word holds its owner's id, not bits.
 *
 * A CPU's cache (struct ppc_cache) has three parts:
 *  - the window (base, span, free) and the remote-free batch, written only
 *    by that CPU inside its section (preemption off, ->busy set), or by
 *    another CPU under pool->lock when the owner cannot run: it is dead, or
 *    the pool is being destroyed.  Window changes also hold pool->lock.
 *  - ->pending, pages of the window freed on other CPUs: set with atomic
 *    OR under pool->lock, taken with xchg by the owner.
 *  - the reclaim mailbox: any CPU raises ->reclaim_asked and sends the
 *    IPI (one at a time, through ->ipi_queued); the owner flushes, then
 *    raises ->reclaim_served to the count of requests it read before.
 * Counters are this_cpu ops, so an interrupt that counts on the same CPU
 * never tears an update.
 *
 * Lock order: ppc_pools_mutex -> cpus_read_lock -> pool->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <asm/local.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/rcupdate.h>
#include <linux/sched/clock.h>
#include <linux/timekeeping.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "pcpu_pagecache.h"
#include "ppc_core.h"
#include "ppc_owners.h"

#define CREATE_TRACE_POINTS
#include "pcpu_pagecache_trace.h"

#ifndef CONFIG_64BIT
#error "pcpu_pagecache keeps a 64-page window in one unsigned long"
#endif

#define PPC_WINDOW		PCPU_PAGECACHE_WINDOW_PAGES
#define PPC_BATCH		PCPU_PAGECACHE_BATCH
#define PPC_NAME_MAX		32
/* Pools up to 64 TiB: what the summary tree is sized for. */
#define PPC_MAX_BYTES		((u64)PPC_MAX_PAGES << PAGE_SHIFT)

static_assert(PPC_CHUNK_PAGES == PCPU_PAGECACHE_CHUNK_PAGES);
static_assert(PPC_WINDOW == PPC_WORD_PAGES);

/* The lines of debugfs <pool>/stats: every field, named once. */
static const struct ppc_stat_row {
	const char *name;
	size_t off;
} ppc_stat_rows[] = {
#define PPC_STAT_ROW(n)	{ #n, offsetof(struct pcpu_pagecache_stats, n) },
	PCPU_PAGECACHE_STATS(PPC_STAT_ROW)
#undef PPC_STAT_ROW
};

/* A field not in the list, or listed twice, changes the sum. */
static_assert(sizeof(struct pcpu_pagecache_stats) ==
	      ARRAY_SIZE(ppc_stat_rows) * sizeof(u64));

/* A 4 MiB block of a pool made from the page allocator. */
struct ppc_block {
	phys_addr_t phys;
	void *va;
};

/*
 * Chunks [first, end) of a pool, all on NUMA node nid (NUMA_NO_NODE: not
 * known).  A node's memory is one range of addresses, or a few, on most
 * machines, so a pool has few of these.
 */
struct ppc_node_ext {
	unsigned long first;
	unsigned long end;
	int nid;
};

/*
 * Frees that wait in a batch, their pages counted as cached: one free of
 * @npages pages, or @frees frees of single pages in a row from one call
 * site (a consumer that frees a producer's pages in order), which go back
 * as one range.
 */
struct ppc_batch_ent {
	phys_addr_t addr;
	unsigned long idx;
	unsigned int npages;
	unsigned int frees;
	unsigned long caller;
};

/*
 * A bad free found under the pool lock, or inside the section, on this
 * CPU: warned about from irq_work, once the lock is dropped, so that a
 * slow console never makes its hold time.  Written with interrupts off.
 */
struct ppc_note {
	struct irq_work work;
	phys_addr_t addr;
	unsigned long npages;
	const char *why;		/* NULL: nothing to say */
	unsigned long caller;
	unsigned int more;		/* bad frees since, not described */
};

/*
 * A CPU's cache.  The first part is written only by its CPU (see Locking);
 * the part from ->pending on is written by other CPUs too, and sits on
 * cache lines of its own so that they never touch the fast path's line.
 */
struct ppc_cache {
	local_t nest;			/* sections entered here, minus 1 */
	unsigned long span;		/* pages of the window; 0: none */
	phys_addr_t base;
	unsigned long free;		/* pages of the window free here */
	unsigned long word;		/* the window's word of pool->bits */
	atomic_long_t *batched;		/* the window's word of pool->batched */
	/*
	 * Pages handed out here minus pages freed here, which may go
	 * negative, is pages_out + alloc_fast - free_fast: a fast operation
	 * counts its first page in alloc_fast or free_fast, so that one of a
	 * single page costs one instruction of accounting.  local_t: one
	 * instruction, so an interrupt on this CPU that counts too never
	 * tears it.
	 */
	local_t pages_out;
	local_t alloc_fast;
	local_t free_fast;
	unsigned long alloc_slow;
	unsigned long alloc_fail;
	unsigned long free_slow;
	unsigned long free_remote;
	unsigned long refills;
	unsigned long flushes;
	unsigned long reclaims;
	unsigned long reclaim_joins;
	unsigned long lock_acquisitions;
	unsigned long invalid_frees;
	unsigned int nbatch;		/* entries */
	unsigned int batch_frees;	/* frees in them */
	unsigned long batch_pages;
	struct ppc_batch_ent batch[PPC_BATCH];

	atomic_long_t pending ____cacheline_aligned_in_smp;
	atomic_t reclaim_asked;		/* requests made of this CPU */
	atomic_t reclaim_served;	/* requests answered, up to this one */
	atomic_t reclaim_reason;	/* of the last request, for the trace */
	atomic_t ipi_queued;		/* reclaim_csd is on its way */
	call_single_data_t reclaim_csd;
	struct ppc_note note;
	struct pcpu_pagecache *pool;
};

struct pcpu_pagecache {
	struct ppc_cache __percpu *cache;
	unsigned int fast_limit;	/* npages - 1 below this: the cache */
	raw_spinlock_t lock;
	seqcount_raw_spinlock_t owners_seq;	/* windows taken and returned */
	struct ppc_bits bits;
	/*
	 * One bit a page, set while a free of the page is on its way back:
	 * set by that free before it queues (see ppc_batched_claim()),
	 * cleared under the lock once the page is free in the bitmap, or by
	 * the owner once it has merged the page from its ->pending; and
	 * cleared by a free that set it and is refused.
	 */
	atomic_long_t *batched;
	long nest_idle;			/* ->nest outside sections: -1, or 0 */
	struct ppc_block *blocks;	/* by address; NULL: a reserved range */
	struct ppc_node_ext *exts;	/* the chunks' nodes, by chunk */
	atomic_t reclaim_busy;		/* 1 + the CPU of the round in flight */
	unsigned long nexts;
	bool numa;			/* chunks on more than one node */
	nodemask_t nodes;		/* the nodes of the chunks */
	unsigned long nchunks;
	unsigned long npages;
	unsigned long max_run;		/* longest run a request may ask */
	phys_addr_t base;		/* 0: chunks from the page allocator */
	size_t size;
	void *va;			/* the mapping of a reserved range */
	char *res_name;
	struct hlist_node prepare_node;
	struct hlist_node online_node;
	struct list_head list;
	struct dentry *dir;
	struct ppc_owners *owners;	/* who holds the pages; NULL: untracked */
	char name[PPC_NAME_MAX];
};

static unsigned long param_base;
module_param_named(base, param_base, ulong, 0444);
MODULE_PARM_DESC(base, "Physical base of a range reserved with memmap=SIZE$BASE; 0 takes the default pool from the page allocator");

static unsigned long param_size = SZ_64M;
module_param_named(size, param_size, ulong, 0444);
MODULE_PARM_DESC(size, "Bytes in the default pool (page aligned, default 64 MiB)");

static DEFINE_MUTEX(ppc_pools_mutex);
static LIST_HEAD(ppc_pools);
static struct pcpu_pagecache *ppc_default_pool;
static struct dentry *ppc_debugfs_root;
static enum cpuhp_state ppc_prepare_state;
static enum cpuhp_state ppc_online_state;

/* Every acquisition of the pool lock is counted, on the CPU that takes it. */
static unsigned long ppc_lock(struct pcpu_pagecache *pool)
	__acquires(&pool->lock)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	this_cpu_inc(pool->cache->lock_acquisitions);
	return flags;
}

static void ppc_unlock(struct pcpu_pagecache *pool, unsigned long flags)
	__releases(&pool->lock)
{
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}

/*
 * The section: preemption off and ->nest raised from -1 to 0.  An
 * interrupt that raises it further has interrupted this CPU's own section,
 * so it must not touch the window or the batch: it lowers ->nest again and
 * takes the locked path instead.  This is the idea of local_trylock_t,
 * which 6.1 and 6.12 do not have.  Starting from -1 makes the test the
 * increment's own zero flag (local_inc_and_test()), and leaving one
 * decrement.  Only this CPU reads ->nest with intent, so compiler barriers
 * order it (local_inc_and_test() is one).
 */
static __always_inline bool ppc_section_try(struct ppc_cache *c)
{
	return likely(local_inc_and_test(&c->nest));
}

/* ppc_section_try() failed: lower ->nest again and enable preemption. */
static __always_inline void ppc_section_fail(struct ppc_cache *c)
{
	local_dec(&c->nest);
	preempt_enable();
}

/*
 * A pool that tracks its owners starts ->nest from 0, not -1: the fast
 * paths' ppc_section_try() then always fails, and their every operation
 * goes out of line, where the records are kept.  There, a ->nest of 1 says
 * the section is the caller's after all.  With tracking off, the fast path
 * pays nothing for it: not even a static key's NOP.
 */
static __always_inline bool ppc_section_tracked(struct pcpu_pagecache *pool,
						struct ppc_cache *c)
{
	return pool->owners && local_read(&c->nest) == 1;
}

/* ppc_section_try() for callers off the fast path, tracking or not. */
static __always_inline struct ppc_cache *ppc_section_enter(struct pcpu_pagecache *pool)
{
	struct ppc_cache *c;

	preempt_disable();
	c = this_cpu_ptr(pool->cache);
	if (unlikely(local_inc_return(&c->nest) != pool->nest_idle + 1)) {
		ppc_section_fail(c);
		return NULL;
	}
	return c;
}

static __always_inline void ppc_section_exit(struct ppc_cache *c)
{
	barrier();
	local_dec(&c->nest);
	preempt_enable();
}

/* ---- Pages and addresses ------------------------------------------------ */

/* The index in @pool->blocks of the block that holds @addr, or -1. */
static long ppc_block_find(struct pcpu_pagecache *pool, unsigned long lo,
			   unsigned long hi, phys_addr_t addr)
{
	unsigned long mid;
	struct ppc_block *bl;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		bl = &pool->blocks[mid];
		if (addr < bl->phys)
			hi = mid;
		else if (addr - bl->phys >= (phys_addr_t)PPC_CHUNK_PAGES << PAGE_SHIFT)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

/*
 * ppc_page_of() in a pool of blocks: a binary search of the full blocks,
 * which are sorted by address, then the partial last one, which is not
 * (see ppc_blocks_alloc()).
 */
static bool ppc_block_page_of(struct pcpu_pagecache *pool, phys_addr_t addr,
			      unsigned long *idx)
{
	unsigned long nfull = pool->npages / PPC_CHUNK_PAGES;
	long b = ppc_block_find(pool, 0, nfull, addr);

	if (b < 0 && nfull < pool->nchunks)
		b = ppc_block_find(pool, nfull, pool->nchunks, addr);
	if (b < 0)
		return false;
	*idx = b * PPC_CHUNK_PAGES + ((addr - pool->blocks[b].phys) >> PAGE_SHIFT);
	return *idx < pool->npages;
}

/* The page index of @addr in @pool, if it is a page of the pool. */
static inline bool ppc_page_of(struct pcpu_pagecache *pool, phys_addr_t addr,
			       unsigned long *idx)
{
	if (pool->blocks)
		return ppc_block_page_of(pool, addr, idx);
	if (addr < pool->base || addr - pool->base >= pool->size)
		return false;
	*idx = (addr - pool->base) >> PAGE_SHIFT;
	return true;
}

static phys_addr_t ppc_phys(struct pcpu_pagecache *pool, unsigned long idx)
{
	if (!pool->blocks)
		return pool->base + ((phys_addr_t)idx << PAGE_SHIFT);
	return pool->blocks[idx / PPC_CHUNK_PAGES].phys +
	       ((phys_addr_t)(idx % PPC_CHUNK_PAGES) << PAGE_SHIFT);
}

/* Under the lock: the first free run of @npages, taken; or 0. */
static phys_addr_t ppc_bits_alloc_locked(struct pcpu_pagecache *pool,
					 unsigned int npages)
{
	unsigned long idx;

	lockdep_assert_held(&pool->lock);
	idx = ppc_bits_alloc(&pool->bits, npages);
	return idx == PPC_NONE ? 0 : ppc_phys(pool, idx);
}

/* ---- Per-CPU caches ------------------------------------------------------ */

/* This CPU's count of pages out: preemption or interrupts off. */
static __always_inline local_t *ppc_out(struct pcpu_pagecache *pool)
{
	return &this_cpu_ptr(pool->cache)->pages_out;
}

static __always_inline struct ppc_cache *
ppc_cache_of(struct pcpu_pagecache *pool, unsigned int cpu)
{
	return per_cpu_ptr(pool->cache, cpu);
}

static void ppc_bad_free_noted(struct pcpu_pagecache *pool, phys_addr_t addr,
			       unsigned long npages, const char *why,
			       unsigned long caller);

/*
 * Take back the pages other CPUs freed into @c's window.  A page that is
 * also in @c->free was freed twice, on two CPUs at the same moment: it
 * stays free once, and the second free is counted as invalid.  The owner's
 * section, or pool->lock with the owner dead.
 */
static bool ppc_pending_merge(struct pcpu_pagecache *pool, struct ppc_cache *c)
{
	unsigned long got, dup;

	if (!atomic_long_read(&c->pending))
		return false;
	got = atomic_long_xchg(&c->pending, 0);
	dup = got & c->free;
	if (unlikely(dup)) {
		/*
		 * One refused free a page: a batch that went back as one
		 * range may have brought several of them at once.
		 */
		local_add(hweight_long(dup), ppc_out(pool));
		ppc_bad_free_noted(pool, c->base + ((phys_addr_t)__ffs(dup) << PAGE_SHIFT),
				   hweight_long(dup),
				   "freed twice at once on two CPUs", 0);
	}
	c->free |= got;
	/*
	 * Every page of ->pending is batched (ppc_free_apply_locked()):
	 * free here now, it is no longer.  Cleared only after it is free,
	 * so that a free of it sees one or the other.
	 */
	smp_mb__before_atomic();
	atomic_long_andnot(got, c->batched);
	return true;
}

/* Forward: the batch goes back under the lock, with the window. */
static void ppc_batch_apply_locked(struct pcpu_pagecache *pool,
				   struct ppc_cache *c);

/*
 * Give @cpu's window and batch back to the bitmaps.  Its section, or
 * @cpu cannot run (dead, or the pool is being destroyed).
 */
static void ppc_cache_flush_locked(struct pcpu_pagecache *pool,
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
static bool ppc_cache_fill_locked(struct pcpu_pagecache *pool,
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

/* ---- Reclaim: windows and batches back from other CPUs ------------------- */

static bool ppc_cache_holds(struct ppc_cache *c)
{
	return READ_ONCE(c->span) || READ_ONCE(c->nbatch) ||
	       atomic_long_read(&c->pending);
}

/* Whether @cpu has answered every request made of it before @asked. */
static bool ppc_reclaim_answered(struct ppc_cache *t, int asked)
{
	return atomic_read_acquire(&t->reclaim_served) - asked >= 0;
}

/*
 * Answer the reclaim requests made of this CPU.  @owned: the caller is
 * inside this CPU's section.  A request that interrupted the section
 * cannot touch the cache and is answered with nothing.  Interrupts off, so
 * that an IPI's answer cannot come between the read of ->reclaim_asked and
 * the write of ->reclaim_served and be taken back by an older count.
 */
static void ppc_reclaim_serve(struct pcpu_pagecache *pool, bool owned)
{
	struct ppc_cache *c = this_cpu_ptr(pool->cache);
	unsigned long flags;
	int asked;

	local_irq_save(flags);
	/* Every request up to @asked is answered by the flush that follows. */
	asked = atomic_read_acquire(&c->reclaim_asked);
	if (asked == atomic_read(&c->reclaim_served))
		goto out;
	if (owned || local_read(&c->nest) == pool->nest_idle) {
		local_set(&c->nest, pool->nest_idle + 1);
		barrier();
		raw_spin_lock(&pool->lock);
		this_cpu_inc(pool->cache->lock_acquisitions);
		ppc_cache_flush_locked(pool, smp_processor_id(),
				       atomic_read(&c->reclaim_reason));
		raw_spin_unlock(&pool->lock);
		barrier();
		local_set(&c->nest, pool->nest_idle + owned);
	}
	/* After the flush: a requester that sees its count finds the pages. */
	atomic_set_release(&c->reclaim_served, asked);
out:
	local_irq_restore(flags);
}

/* The IPI: hardirq on the target CPU, on PREEMPT_RT too. */
static void ppc_reclaim_ipi(void *arg)
{
	struct ppc_cache *c = arg;

	atomic_set(&c->ipi_queued, 0);
	/*
	 * Store ->ipi_queued, then load ->reclaim_asked; ppc_reclaim_ask()
	 * stores ->reclaim_asked, then loads ->ipi_queued (the xchg).  A
	 * full barrier on both sides: one of the two sees the other's store,
	 * so no request is left unanswered.  smp_mb__after_atomic() would
	 * not do: atomic_set() is a plain store, and on x86 it could still
	 * sit in the store buffer while the load runs.
	 */
	smp_mb();
	ppc_reclaim_serve(c->pool, false);
}

/*
 * A csd must not be queued twice: smp_call_function_single_async() does
 * not check atomically.  Either the target's IPI is not queued yet and we
 * queue it, or its handler has yet to read ->reclaim_asked and sees ours.
 */
static void ppc_reclaim_ask(struct ppc_cache *t, unsigned int cpu, int reason)
{
	atomic_set(&t->reclaim_reason, reason);
	/* Fully ordered, as the xchg is: see ppc_reclaim_ipi(). */
	atomic_inc(&t->reclaim_asked);
	smp_mb__after_atomic();	/* the store before the xchg's load */
	if (atomic_xchg(&t->ipi_queued, 1))
		return;
	if (smp_call_function_single_async(cpu, &t->reclaim_csd))
		atomic_set(&t->ipi_queued, 0);
}

/*
 * How long an allocation that may not block waits for the CPUs it asked:
 * one that spins with interrupts off (on a lock its caller holds, say)
 * never answers, and an IPI takes microseconds otherwise, or a few
 * milliseconds for a virtual CPU that the host does not run.
 */
#define PPC_RECLAIM_WAIT_NS	(20 * NSEC_PER_MSEC)

/*
 * Whether the caller of an allocation could have blocked: then it holds no
 * spinlock, so no CPU that spins with interrupts off can be waiting for it,
 * and waiting for every CPU to answer cannot deadlock.  Inside the section
 * its own preempt_disable() is the one count.  Without CONFIG_PREEMPT_COUNT
 * this cannot be told, and the answer is no.
 */
static bool ppc_caller_may_block(bool in_section)
{
	return IS_ENABLED(CONFIG_PREEMPT_COUNT) && !irqs_disabled() &&
	       preempt_count() == (in_section ? 1 : 0);
}

/*
 * The clock of the reclaim waits.  Not local_clock(): where the TSC is not
 * stable (virtual machines) it does not run past the last tick, so with
 * interrupts off on every CPU (a storm of allocations in hardirq context
 * waiting for one another) a deadline on it never comes.  The fast
 * monotonic clock reads the clocksource itself, from any context.
 */
static u64 ppc_clock(void)
{
	return ktime_get_mono_fast_ns();
}

/*
 * Wait for the reclaim round in flight on @pool to end, answering the
 * requests made of this CPU meanwhile (the round may be waiting for it).
 * False if @deadline passed first, unless @wait_all.
 */
static bool ppc_reclaim_wait_round(struct pcpu_pagecache *pool, bool owned,
				   bool wait_all, u64 deadline)
{
	while (atomic_read_acquire(&pool->reclaim_busy)) {
		ppc_reclaim_serve(pool, owned);
		if (!wait_all && ppc_clock() > deadline)
			return false;
		cpu_relax();
	}
	return true;
}

/*
 * Bring the pages held by every CPU's cache back to the bitmaps: this CPU's
 * first, then each other online CPU's, by an IPI to that CPU, waited
 * for.  Any context but NMI.  No lock is held while waiting, a CPU that
 * waits answers requests to itself meanwhile, and with preemption off here
 * no CPU can go offline (that needs stop_machine()) before it has answered.
 * But a CPU may spin with interrupts off on a lock that our caller holds:
 * unless the caller could have blocked (@wait_all), the wait ends after
 * PPC_RECLAIM_WAIT_NS, and a CPU that has not answered keeps its cache (it
 * flushes when it takes the IPI).  Returns whether any cache held
 * something.  @reason: PPC_FLUSH_RECLAIM, or PPC_FLUSH_DRAIN.
 */
static bool ppc_reclaim(struct pcpu_pagecache *pool, bool owned, int reason,
			bool wait_all)
{
	struct ppc_cache *t;
	unsigned int cpu, me;
	u64 deadline;
	bool held;
	int asked, busy;

	/* No IPI from NMI, and no wait: the CPU it stopped may hold a lock. */
	if (in_nmi())
		return false;
	preempt_disable();
	me = smp_processor_id();
	t = ppc_cache_of(pool, me);
	held = ppc_cache_holds(t);
	atomic_set(&t->reclaim_reason, reason);
	atomic_inc(&t->reclaim_asked);
	ppc_reclaim_serve(pool, owned);
	/*
	 * One round in flight per pool: N CPUs that run dry at once would
	 * otherwise send N^2 IPIs and each spin for the answers.  An
	 * allocation that finds a round in flight waits for it (as long as
	 * it would wait for its own) and retries on what it brought back; a
	 * drain, which must see every cache flushed after it began, waits
	 * for it and then runs its own.
	 */
	deadline = ppc_clock() + PPC_RECLAIM_WAIT_NS;
	while ((busy = atomic_cmpxchg_acquire(&pool->reclaim_busy, 0, me + 1))) {
		/* An interrupt of this CPU's own round: it cannot end first. */
		if (busy == me + 1 ||
		    !ppc_reclaim_wait_round(pool, owned, wait_all, deadline) ||
		    reason != PPC_FLUSH_DRAIN) {
			this_cpu_inc(pool->cache->reclaim_joins);
			preempt_enable();
			return true;
		}
	}
	for_each_online_cpu(cpu) {
		t = ppc_cache_of(pool, cpu);
		if (cpu == me || !ppc_cache_holds(t))
			continue;
		held = true;
		ppc_reclaim_ask(t, cpu, reason);
	}
	deadline = ppc_clock() + PPC_RECLAIM_WAIT_NS;
	for_each_online_cpu(cpu) {
		t = ppc_cache_of(pool, cpu);
		/*
		 * Every request made of @cpu so far, ours among them: asked
		 * by others too, it was sent an IPI that is still to come.
		 */
		asked = atomic_read(&t->reclaim_asked);
		while (cpu != me && !ppc_reclaim_answered(t, asked)) {
			ppc_reclaim_serve(pool, owned);
			if (!wait_all && ppc_clock() > deadline)
				goto out;
			cpu_relax();
		}
	}
out:
	atomic_set_release(&pool->reclaim_busy, 0);
	preempt_enable();
	if (reason == PPC_FLUSH_RECLAIM)
		this_cpu_inc(pool->cache->reclaims);
	return held;
}

/* ---- Allocation ---------------------------------------------------------- */

/* The end of every allocation that took the lock: count it, trace it. */
static phys_addr_t ppc_alloc_counted(struct pcpu_pagecache *pool,
				     phys_addr_t addr, unsigned int npages)
{
	if (!addr) {
		this_cpu_inc(pool->cache->alloc_fail);
		trace_pcpu_pagecache_alloc_fail(pool->name, 0, npages);
		return 0;
	}
	this_cpu_inc(pool->cache->alloc_slow);
	trace_pcpu_pagecache_alloc_slow(pool->name, addr, npages);
	return addr;
}

static __always_inline phys_addr_t ppc_take(struct ppc_cache *c, unsigned int i,
					    unsigned int npages)
{
	c->free &= ~(ppc_mask(npages) << i);
	return c->base + ((phys_addr_t)i << PAGE_SHIFT);
}

/*
 * Inside the section: the window cannot serve @npages.  Take back what
 * other CPUs freed into it; failing that, trade the window under the lock;
 * failing that, reclaim every cache and try once more.  Not inlined, so
 * that the fast path saves no registers for it.
 */
static noinline phys_addr_t
ppc_cache_refill_alloc(struct pcpu_pagecache *pool, struct ppc_cache *c,
		       unsigned int npages)
{
	unsigned long flags;
	phys_addr_t addr;
	bool retried = false;
	unsigned int i;

	if (ppc_pending_merge(pool, c)) {
		i = ppc_word_find(c->free, npages);
		if (i < PPC_WINDOW) {
			local_add(npages - 1, &c->pages_out);
			local_inc(&c->alloc_fast);
			return ppc_take(c, i, npages);
		}
	}
again:
	if (likely(!in_nmi()))
		flags = ppc_lock(pool);
	else if (!raw_spin_trylock_irqsave(&pool->lock, flags))
		return ppc_alloc_counted(pool, 0, npages);
	ppc_cache_flush_locked(pool, smp_processor_id(), PPC_FLUSH_REFILL);
	if (ppc_cache_fill_locked(pool, c, npages))
		addr = ppc_take(c, ppc_word_find(c->free, npages), npages);
	else
		addr = ppc_bits_alloc_locked(pool, npages);
	if (addr)
		local_add(npages, &c->pages_out);
	ppc_unlock(pool, flags);
	if (!addr && !retried &&
	    ppc_reclaim(pool, true, PPC_FLUSH_RECLAIM, ppc_caller_may_block(true))) {
		retried = true;
		goto again;
	}

	return ppc_alloc_counted(pool, addr, npages);
}

/*
 * Between two holds of the pool lock in a request served in slices: a
 * caller that could block lets others run, as a long loop in the kernel
 * should; the others already had their turn at the lock (it is fair).
 */
static void ppc_between_slices(void)
{
	if (ppc_caller_may_block(false))
		cond_resched();
	else
		cpu_relax();
}

/*
 * A run of more than PPC_SLICE_PAGES pages, which would hold the lock for
 * O(npages / 64) with interrupts off in one go: claimed in one hold, in
 * O(levels) (ppc_bits_claim(): from then on no search reaches its pages
 * and no free of them is accepted), then marked a slice a hold, the lock
 * dropped in between.  The pool's summaries are right at every release.
 * Not in NMI, where the lock is only tried: a claim must be finished.
 */
static noinline phys_addr_t ppc_bits_alloc_sliced(struct pcpu_pagecache *pool,
						  unsigned int npages)
{
	struct ppc_claim cl;
	unsigned long flags, idx;
	bool done;

	if (in_nmi())
		return 0;
	flags = ppc_lock(pool);
	idx = ppc_bits_claim(&pool->bits, npages, &cl);
	if (idx != PPC_NONE)
		local_add(npages, ppc_out(pool));
	ppc_unlock(pool, flags);
	if (idx == PPC_NONE)
		return 0;
	for (done = cl.next >= cl.end; !done;) {
		ppc_between_slices();
		flags = ppc_lock(pool);
		done = ppc_bits_claim_mark(&pool->bits, &cl);
		ppc_unlock(pool, flags);
	}
	return ppc_phys(pool, idx);
}

static phys_addr_t ppc_bits_alloc_one(struct pcpu_pagecache *pool,
				      unsigned int npages)
{
	unsigned long flags;
	phys_addr_t addr;

	if (npages > PPC_SLICE_PAGES)
		return ppc_bits_alloc_sliced(pool, npages);
	if (likely(!in_nmi()))
		flags = ppc_lock(pool);
	else if (!raw_spin_trylock_irqsave(&pool->lock, flags))
		return 0;
	addr = ppc_bits_alloc_locked(pool, npages);
	if (addr)
		local_add(npages, ppc_out(pool));
	ppc_unlock(pool, flags);
	return addr;
}

/* ---- Owners: the tracked paths (ppc_owners.c keeps the records) -------- */

/* After an allocation: the run is the caller's, nobody can free it yet. */
static void ppc_track_alloc(struct pcpu_pagecache *pool, phys_addr_t addr,
			    unsigned int npages, unsigned long caller)
{
	unsigned long idx;

	if (pool->owners && addr && ppc_page_of(pool, addr, &idx))
		ppc_owners_alloc(pool->owners, idx, npages, caller);
}

static noinline void ppc_track_alloc_bulk(struct pcpu_pagecache *pool,
					  unsigned int npages,
					  unsigned int count,
					  const phys_addr_t *addrs,
					  unsigned long caller)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		ppc_track_alloc(pool, addrs[i], npages, caller);
}

/*
 * Runs too large for a window, NOCACHE pools, and interrupted sections.
 * @caller: who asked, for the records of a pool that tracks.
 */
static noinline phys_addr_t ppc_alloc_slow(struct pcpu_pagecache *pool,
					   unsigned int npages,
					   unsigned long caller)
{
	phys_addr_t addr = 0;

	if (npages && npages <= pool->max_run) {
		addr = ppc_bits_alloc_one(pool, npages);
		if (!addr && ppc_reclaim(pool, false, PPC_FLUSH_RECLAIM,
					 ppc_caller_may_block(false)))
			addr = ppc_bits_alloc_one(pool, npages);
	}
	ppc_track_alloc(pool, addr, npages, caller);
	return ppc_alloc_counted(pool, addr, npages);
}

/*
 * Take the first run whose starts are @starts (not 0).  The lowest start,
 * as a bit, gives the run's bits in two instructions (@npages < 64 here);
 * they are all free, so clearing them is an exclusive or.
 */
static __always_inline phys_addr_t ppc_take_run(struct ppc_cache *c,
						unsigned long starts,
						unsigned int npages)
{
	unsigned long low = starts & -starts;

	c->free ^= (low << npages) - low;
	local_add(npages - 1, &c->pages_out);
	local_inc(&c->alloc_fast);
	return c->base + ((phys_addr_t)__ffs(low) << PAGE_SHIFT);
}

/* One allocation inside the section. */
static __always_inline phys_addr_t ppc_alloc_in(struct pcpu_pagecache *pool,
						struct ppc_cache *c,
						unsigned int npages)
{
	unsigned long starts = ppc_run_starts(c->free, npages);

	if (unlikely(!starts))
		return ppc_cache_refill_alloc(pool, c, npages);
	return ppc_take_run(c, starts, npages);
}

/*
 * The fast path's ways out, not inlined so that it saves no registers
 * for them: each ends what the fast path began.
 */
static noinline phys_addr_t ppc_alloc_interrupted(struct pcpu_pagecache *pool,
						  struct ppc_cache *c,
						  unsigned int npages,
						  unsigned long caller)
{
	phys_addr_t addr;

	if (!ppc_section_tracked(pool, c) || npages - 1 >= pool->fast_limit) {
		ppc_section_fail(c);
		return ppc_alloc_slow(pool, npages, caller);
	}
	addr = ppc_alloc_in(pool, c, npages);
	ppc_section_exit(c);
	ppc_track_alloc(pool, addr, npages, caller);
	return addr;
}

static noinline phys_addr_t ppc_alloc_refill_exit(struct pcpu_pagecache *pool,
						  struct ppc_cache *c,
						  unsigned int npages)
{
	phys_addr_t addr = ppc_cache_refill_alloc(pool, c, npages);

	ppc_section_exit(c);
	return addr;
}

/**
 * __pcpu_pagecache_alloc - allocate physically contiguous pages from a pool
 * @pool: the pool
 * @npages: how many pages
 *
 * Requests of fewer than %PCPU_PAGECACHE_FAST_PAGES pages come from the
 * calling CPU's window with preemption disabled, without a lock or an
 * atomic instruction; larger ones, and misses, search the bitmaps under
 * the pool lock.  Before it fails, it takes back the pages that every CPU's
 * cache holds.  Never sleeps; any context (NMI: see pcpu_pagecache.h).
 *
 * Return: the physical address of the first page, or 0 if @npages is 0,
 * larger than the pool can hold, or no run of @npages free pages is left.
 */
phys_addr_t notrace __pcpu_pagecache_alloc(struct pcpu_pagecache *pool,
					   unsigned int npages)
{
	struct ppc_cache *c;
	unsigned long starts;
	phys_addr_t addr;

	if (unlikely(npages - 1 >= pool->fast_limit))
		return ppc_alloc_slow(pool, npages, _RET_IP_);
	/* ppc_section_enter(), spelled out to keep the branches few. */
	preempt_disable();
	c = this_cpu_ptr(pool->cache);
	if (unlikely(!ppc_section_try(c)))
		return ppc_alloc_interrupted(pool, c, npages, _RET_IP_);
	starts = ppc_run_starts(c->free, npages);
	if (unlikely(!starts))
		return ppc_alloc_refill_exit(pool, c, npages);
	addr = ppc_take_run(c, starts, npages);
	ppc_section_exit(c);
	return addr;
}
EXPORT_SYMBOL_GPL(__pcpu_pagecache_alloc);

/*
 * The single-page path's way out when its window holds at most one free
 * page, @free: the last one is taken here, and an empty window refilled.
 */
static noinline phys_addr_t ppc_alloc_page_last(struct pcpu_pagecache *pool,
						struct ppc_cache *c,
						unsigned long free,
						unsigned long caller)
{
	phys_addr_t addr;

	if (unlikely(!free && !pool->fast_limit)) {
		ppc_section_exit(c);
		return ppc_alloc_slow(pool, 1, caller);
	}
	if (free) {
		c->free = 0;
		local_inc(&c->alloc_fast);
		addr = c->base + ((phys_addr_t)__ffs(free) << PAGE_SHIFT);
	} else {
		addr = ppc_cache_refill_alloc(pool, c, 1);
	}
	ppc_section_exit(c);
	return addr;
}

/**
 * pcpu_pagecache_alloc_page - allocate one page from a pool
 * @pool: the pool
 *
 * pcpu_pagecache_alloc() of one page, and its shortest path: the lowest
 * free page of the calling CPU's window, with preemption disabled.  Never
 * sleeps; any context (NMI: see pcpu_pagecache.h).
 *
 * Return: the physical address of the page, or 0 if the pool has no free
 * page.
 */
phys_addr_t notrace pcpu_pagecache_alloc_page(struct pcpu_pagecache *pool)
{
	unsigned long free, rest;
	struct ppc_cache *c;
	phys_addr_t addr;

	preempt_disable();
	c = this_cpu_ptr(pool->cache);
	if (unlikely(!ppc_section_try(c)))
		return ppc_alloc_interrupted(pool, c, 1, _RET_IP_);
	/*
	 * Branching on what remains, not on the window itself, reuses the
	 * flags of the "and": the last page goes out of line with the empty
	 * window, which costs a call once in 64 pages.
	 */
	free = c->free;
	rest = free & (free - 1);
	if (unlikely(!rest))
		return ppc_alloc_page_last(pool, c, free, _RET_IP_);
	c->free = rest;
	local_inc(&c->alloc_fast);
	addr = c->base + ((phys_addr_t)__ffs(free) << PAGE_SHIFT);
	ppc_section_exit(c);
	return addr;
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_alloc_page);

/**
 * pcpu_pagecache_alloc_bulk - allocate several runs of the same size
 * @pool: the pool
 * @npages: pages in each run
 * @count: how many runs
 * @addrs: where to store their physical addresses
 *
 * Like @count calls of pcpu_pagecache_alloc(), in one section for runs the
 * cache serves: for drivers that refill a ring.  Never sleeps; any context
 * but NMI (there it allocates nothing).
 *
 * Return: how many runs were allocated, in @addrs[0] on; fewer than @count
 * only when the pool has no more runs of @npages pages (or @npages is bad).
 */
unsigned int pcpu_pagecache_alloc_bulk(struct pcpu_pagecache *pool,
				       unsigned int npages, unsigned int count,
				       phys_addr_t *addrs)
{
	struct ppc_cache *c = NULL;
	unsigned int i;

	/* Not for NMI: one busy lock would leave the caller guessing. */
	if (WARN_ON_ONCE(in_nmi()))
		return 0;
	if (likely(npages - 1 < pool->fast_limit))
		c = ppc_section_enter(pool);
	for (i = 0; i < count; i++) {
		addrs[i] = c ? ppc_alloc_in(pool, c, npages) :
			       ppc_alloc_slow(pool, npages, _RET_IP_);
		if (!addrs[i])
			break;
	}
	if (c)
		ppc_section_exit(c);
	if (c && pool->owners)
		ppc_track_alloc_bulk(pool, npages, i, addrs, _RET_IP_);
	return i;
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_alloc_bulk);

/* ---- Free ---------------------------------------------------------------- */

static int ppc_bad_free(struct pcpu_pagecache *pool, phys_addr_t addr,
			unsigned int npages, const char *why,
			unsigned long caller)
{
	this_cpu_inc(pool->cache->invalid_frees);
	trace_pcpu_pagecache_invalid_free(pool->name, addr, npages, why, caller);
	pr_warn_ratelimited("%s: invalid free of %u pages at %pa by %pS: %s\n",
			    pool->name, npages, &addr, (void *)caller, why);
	return -EINVAL;
}

/*
 * ppc_bad_free() of a free found bad under the lock (its batch applied) or
 * in a window (two frees at once): counted now, warned about later.
 */
static void ppc_bad_free_noted(struct pcpu_pagecache *pool, phys_addr_t addr,
			       unsigned long npages, const char *why,
			       unsigned long caller)
{
	unsigned long flags;
	struct ppc_note *n;

	local_irq_save(flags);
	this_cpu_add(pool->cache->invalid_frees, npages);
	trace_pcpu_pagecache_invalid_free(pool->name, addr, npages, why, caller);
	/* An NMI may have stopped a writer of the note: counted only. */
	if (unlikely(in_nmi()))
		goto out;
	n = &this_cpu_ptr(pool->cache)->note;
	if (n->why) {
		n->more++;
	} else {
		n->addr = addr;
		n->npages = npages;
		n->why = why;
		n->caller = caller;
		irq_work_queue(&n->work);
	}
out:
	local_irq_restore(flags);
}

static void ppc_note_work(struct irq_work *work)
{
	struct ppc_note *n = container_of(work, struct ppc_note, work);
	struct ppc_cache *c = container_of(n, struct ppc_cache, note);
	struct ppc_note o;
	unsigned long flags;

	/* On PREEMPT_RT irq_work runs in a thread: keep writers out. */
	local_irq_save(flags);
	o = *n;
	n->why = NULL;
	n->more = 0;
	local_irq_restore(flags);
	if (o.why)
		pr_warn_ratelimited("%s: invalid free of %lu pages at %pa by %pS: %s (and %u more)\n",
				    c->pool->name, o.npages, &o.addr,
				    (void *)o.caller, o.why, o.more);
}

/* Why [@addr, +@npages) cannot be a run of @pool, or NULL; its first page. */
static inline const char *ppc_free_args(struct pcpu_pagecache *pool,
					phys_addr_t addr, unsigned int npages,
					unsigned long *idx)
{
	if (!npages)
		return "zero pages";
	if (!ppc_page_of(pool, addr, idx))
		return "outside the pool";
	if (!PAGE_ALIGNED(addr))
		return "unaligned address";
	/* A run may cross chunks only in a reserved range. */
	if (npages > pool->npages - *idx ||
	    (pool->blocks && *idx % PPC_CHUNK_PAGES + npages > PPC_CHUNK_PAGES))
		return "past the end of the pool";
	return NULL;
}

/* The pages of [@first, @end) in word @w, as bits of that word. */
static unsigned long ppc_word_bits(unsigned long w, unsigned long first,
				   unsigned long end)
{
	unsigned long lo = max(first, w * PPC_WINDOW);
	unsigned long hi = min(end, (w + 1) * PPC_WINDOW);

	return BITMAP_FIRST_WORD_MASK(lo) & BITMAP_LAST_WORD_MASK(hi);
}

/* Clear the batched bits of [@first, @end): the free has been applied. */
static void ppc_batched_release(struct pcpu_pagecache *pool,
				unsigned long first, unsigned long end)
{
	unsigned long w;

	for (w = first / BITS_PER_LONG; w * BITS_PER_LONG < end; w++)
		atomic_long_andnot(ppc_word_bits(w, first, end),
				   &pool->batched[w]);
}

/*
 * Before a free of [@first, +@npages) goes into a batch: set its batched
 * bits, or, if one is set already, refuse it (another free of that page
 * waits in a batch: this one is a double free) and set none.  Every free
 * that is not applied at once claims its pages so, and every other free
 * and every window's fast free looks at them: a double free is caught
 * whichever path its first free took, as long as that one returned first.
 * Fully ordered, as a free's check that follows must be.
 */
static bool ppc_batched_claim(struct pcpu_pagecache *pool,
			      unsigned long first, unsigned long npages)
{
	unsigned long end = first + npages, w, m, old;

	for (w = first / BITS_PER_LONG; w * BITS_PER_LONG < end; w++) {
		m = ppc_word_bits(w, first, end);
		old = atomic_long_fetch_or(m, &pool->batched[w]);
		if (unlikely(old & m)) {
			atomic_long_andnot(m & ~old, &pool->batched[w]);
			ppc_batched_release(pool, first,
					    min(end, w * BITS_PER_LONG));
			return false;
		}
	}
	return true;
}

/* Whether a page of [@first, +@npages) waits in a batch. */
static bool ppc_batched_any(struct pcpu_pagecache *pool, unsigned long first,
			    unsigned long npages)
{
	unsigned long end = first + npages, w;

	for (w = first / BITS_PER_LONG; w * BITS_PER_LONG < end; w++)
		if (atomic_long_read(&pool->batched[w]) &
		    ppc_word_bits(w, first, end))
			return true;
	return false;
}

/* Why pages @m of @owner's window may not be freed, or NULL. */
static __always_inline const char *ppc_free_check_owner(struct pcpu_pagecache *pool,
							long owner,
							unsigned long m)
{
	struct ppc_cache *o;

	/* Without the lock, a torn read is retried: never follow it. */
	if (unlikely((unsigned long)owner >= nr_cpu_ids))
		return NULL;
	o = ppc_cache_of(pool, owner);
	if ((READ_ONCE(o->free) | atomic_long_read(&o->pending)) & m)
		return "pages free in a CPU's window";
	return NULL;
}

/* ppc_free_check_locked() of one page, the common remote free: two reads. */
static __always_inline const char *ppc_free_check_page(struct pcpu_pagecache *pool,
						       unsigned long p)
{
	long owner = ppc_bits_page(&pool->bits, p);

	if (owner == PPC_PAGE_ALLOCATED)
		return NULL;
	if (owner == PPC_PAGE_FREE)
		return "pages not allocated";
	return ppc_free_check_owner(pool, owner, BIT(p % PPC_WINDOW));
}

/*
 * Why pages [@first, +@npages) may not be freed, or NULL.  A page of a word
 * no window owns must be allocated in the bitmap; a page of a window must
 * be neither free in its owner's cache nor freed into it already.  Under
 * pool->lock, or inside a read section of owners_seq.
 */
static const char *ppc_free_check(struct pcpu_pagecache *pool,
				  unsigned long first, unsigned long npages)
{
	unsigned long end = first + npages, w, b;
	const char *why;
	long owner;

	if (npages == 1)
		return ppc_free_check_page(pool, first);
	for (w = first / PPC_WINDOW; w * PPC_WINDOW < end; w++) {
		b = max(first, w * PPC_WINDOW);
		owner = ppc_bits_owner(&pool->bits, w);
		if (owner < 0) {
			if (!ppc_bits_allocated(&pool->bits, b,
						min(end, (w + 1) * PPC_WINDOW) - b))
				return "pages not allocated";
			continue;
		}
		why = ppc_free_check_owner(pool, owner,
					   ppc_word_bits(w, first, end));
		if (why)
			return why;
	}
	return NULL;
}

static const char *ppc_free_check_locked(struct pcpu_pagecache *pool,
					 unsigned long first,
					 unsigned long npages)
{
	lockdep_assert_held(&pool->lock);
	return ppc_free_check(pool, first, npages);
}

/*
 * The same check without the lock, for a free that goes into a batch: a
 * hint that refuses every double free that is not racing with the first
 * free (the batch is checked again under the lock).  The owner of a word
 * changes only inside owners_seq's write sections.
 */
/* What ppc_free_check_hint() says in NMI when it cannot look now. */
static const char ppc_busy[] = "busy";

static inline const char *ppc_free_check_hint(struct pcpu_pagecache *pool,
					      unsigned long first,
					      unsigned long npages)
{
	const char *why;
	unsigned int seq;

	do {
		/*
		 * The writer may be the code this NMI stopped (a hotplug or
		 * drain flush holds the lock outside any section): no wait.
		 */
		seq = raw_read_seqcount(&pool->owners_seq);
		if (seq & 1) {
			if (unlikely(in_nmi()))
				return ppc_busy;
			seq = read_seqcount_begin(&pool->owners_seq);
		}
		why = ppc_free_check(pool, first, npages);
	} while (read_seqcount_retry(&pool->owners_seq, seq));
	return why;
}

/*
 * Ranges on their way to the bitmap, so that the tree's summaries are
 * updated once for all of them: a batch's frees mostly share a chunk.
 */
struct ppc_frees {
	bool claimed;			/* batched bits set: clear them after */
	unsigned int n;
	struct ppc_run run[PPC_BATCH];
};

static void ppc_frees_flush_locked(struct pcpu_pagecache *pool,
				   struct ppc_frees *f)
{
	unsigned int i;

	lockdep_assert_held(&pool->lock);
	ppc_bits_free_runs(&pool->bits, f->run, f->n);
	/* Free first: a free of these pages sees the bit or the free page. */
	for (i = 0; f->claimed && i < f->n; i++)
		ppc_batched_release(pool, f->run[i].first,
				    f->run[i].first + f->run[i].npages);
	f->n = 0;
}

static void ppc_frees_add_locked(struct pcpu_pagecache *pool,
				 struct ppc_frees *f, unsigned long first,
				 unsigned long npages)
{
	struct ppc_run *last = f->n ? &f->run[f->n - 1] : NULL;

	lockdep_assert_held(&pool->lock);
	if (last && last->first + last->npages == first) {
		last->npages += npages;
		return;
	}
	if (f->n == ARRAY_SIZE(f->run))
		ppc_frees_flush_locked(pool, f);
	f->run[f->n++] = (struct ppc_run){ first, npages };
}

/*
 * Free a checked range: pages of a window go to its owner's ->pending,
 * the others to @f, each stretch of them as one range.  A page in a
 * ->pending is batched until its owner merges it (ppc_pending_merge()):
 * set first, if the free did not set it already.
 */
static void ppc_free_apply_locked(struct pcpu_pagecache *pool,
				  unsigned long first, unsigned long npages,
				  struct ppc_frees *f)
{
	unsigned long end = first + npages, w, run = first;
	long owner;

	lockdep_assert_held(&pool->lock);
	for (w = first / PPC_WINDOW; w * PPC_WINDOW < end; w++) {
		owner = ppc_bits_owner(&pool->bits, w);
		if (owner < 0)
			continue;
		if (run < w * PPC_WINDOW)
			ppc_frees_add_locked(pool, f, run, w * PPC_WINDOW - run);
		if (!f->claimed)
			atomic_long_or(ppc_word_bits(w, first, end),
				       &pool->batched[w]);
		/* The owner's merge that sees the page must see its bit. */
		smp_mb__after_atomic();
		atomic_long_or(ppc_word_bits(w, first, end),
			       &ppc_cache_of(pool, owner)->pending);
		run = (w + 1) * PPC_WINDOW;
	}
	if (run < end)
		ppc_frees_add_locked(pool, f, run, end - run);
}

/*
 * Apply the free of [@first, +@npages) from a batch, page by page if it
 * cannot be applied whole (one of its pages was freed twice at the same
 * moment on two CPUs): the others still go back.  Pages refused are
 * counted as still out here.
 */
static void ppc_batch_ent_apply_locked(struct pcpu_pagecache *pool,
				       struct ppc_batch_ent *e,
				       struct ppc_frees *f)
{
	unsigned long idx;
	const char *why;

	lockdep_assert_held(&pool->lock);
	why = ppc_free_check_locked(pool, e->idx, e->npages);
	if (!why) {
		ppc_free_apply_locked(pool, e->idx, e->npages, f);
		return;
	}
	for (idx = e->idx; idx < e->idx + e->npages; idx++) {
		why = ppc_free_check_locked(pool, idx, 1);
		if (!why) {
			ppc_free_apply_locked(pool, idx, 1, f);
			continue;
		}
		local_inc(ppc_out(pool));
		ppc_batched_release(pool, idx, idx + 1);
		ppc_bad_free_noted(pool, ppc_phys(pool, idx), 1, why, e->caller);
	}
}

/*
 * Apply @c's batch: the section, or its CPU cannot run.  The batched bits
 * of pages that go to the bitmap are cleared once they are free there
 * (ppc_frees_flush_locked()), those of pages that go to a ->pending when
 * their owner merges them, so that a free checking without the lock sees
 * either the bit or the free page, never neither.  The owners_seq write
 * section makes the lockless checks wait for the whole batch.
 */
static void ppc_batch_apply_locked(struct pcpu_pagecache *pool,
				   struct ppc_cache *c)
{
	struct ppc_frees f = { .claimed = true };
	struct ppc_batch_ent *e;
	unsigned int i;

	lockdep_assert_held(&pool->lock);
	if (!c->nbatch)
		return;
	raw_write_seqcount_begin(&pool->owners_seq);
	for (i = 0; i < c->nbatch; i++) {
		e = &c->batch[i];
		ppc_batch_ent_apply_locked(pool, e, &f);
		c->batch_pages -= e->npages;
	}
	ppc_frees_flush_locked(pool, &f);
	raw_write_seqcount_end(&pool->owners_seq);
	c->batch_frees = 0;
	WRITE_ONCE(c->nbatch, 0);
}

/* ---- Owners: the records of a free --------------------------------------- */

/*
 * Before a free: its pages are still the caller's, nobody can take them.
 * A free of pages that are not handed out clears nothing.
 */
static void ppc_track_free(struct pcpu_pagecache *pool, phys_addr_t addr,
			   unsigned int npages)
{
	unsigned long idx;

	if (pool->owners && !ppc_free_args(pool, addr, npages, &idx))
		ppc_owners_free(pool->owners, idx, npages);
}

static noinline void ppc_track_free_bulk(struct pcpu_pagecache *pool,
					 unsigned int npages,
					 unsigned int count,
					 const phys_addr_t *addrs)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		ppc_track_free(pool, addrs[i], npages);
}

/*
 * A free of more than PPC_SLICE_PAGES pages, a slice a hold of the lock.
 * First its pages are claimed in pool->batched, without the lock, as a
 * free that goes into a batch claims them (ppc_batched_claim()): from then
 * on every other free of any of them is refused, so nothing but this free
 * can make them free, and what the check of a slice found stays true while
 * the lock is dropped.  Then each slice is checked, a hold each, and only
 * if all pass, each is freed, a hold each: a bad free frees nothing, as in
 * one hold.  The owners of windows are read again when a slice is freed,
 * since a window may have been taken or given back in between (which moves
 * allocated pages between the bitmap and a window, and frees none).  The
 * batched bits go as ppc_batch_apply_locked() clears them.
 */
static noinline const char *ppc_free_sliced(struct pcpu_pagecache *pool,
					    unsigned long idx,
					    unsigned long npages)
{
	struct ppc_frees f = { .claimed = true };
	unsigned long end = idx + npages, s, n, flags;
	const char *why = NULL;

	if (!ppc_batched_claim(pool, idx, npages))
		return "pages freed already, waiting in a batch";
	if (pool->owners)
		ppc_owners_free(pool->owners, idx, npages);
	for (s = idx; s < end && !why; s += n) {
		n = min(end - s, PPC_SLICE_PAGES);
		flags = ppc_lock(pool);
		why = ppc_free_check_locked(pool, s, n);
		ppc_unlock(pool, flags);
		ppc_between_slices();
	}
	if (why) {
		ppc_batched_release(pool, idx, end);
		return why;
	}
	for (s = idx; s < end; s += n) {
		n = min(end - s, PPC_SLICE_PAGES);
		if (s != idx)
			ppc_between_slices();
		flags = ppc_lock(pool);
		ppc_free_apply_locked(pool, s, n, &f);
		ppc_frees_flush_locked(pool, &f);
		local_sub(n, ppc_out(pool));
		ppc_unlock(pool, flags);
	}
	return NULL;
}

/* Runs too large for a window, NOCACHE pools, and interrupted sections. */
static noinline int ppc_free_slow(struct pcpu_pagecache *pool,
				  phys_addr_t addr, unsigned int npages,
				    unsigned long caller)
{
	struct ppc_frees f = { 0 };
	unsigned long flags, idx;
	const char *why;

	why = ppc_free_args(pool, addr, npages, &idx);
	if (why)
		return ppc_bad_free(pool, addr, npages, why, caller);
	if (npages > PPC_SLICE_PAGES) {
		/* In NMI the lock is only tried: no free in many holds. */
		if (in_nmi())
			return -EBUSY;
		why = ppc_free_sliced(pool, idx, npages);
		goto out;
	}
	if (likely(!in_nmi()))
		flags = ppc_lock(pool);
	else if (!raw_spin_trylock_irqsave(&pool->lock, flags))
		return -EBUSY;
	if (pool->owners)
		ppc_owners_free(pool->owners, idx, npages);
	why = ppc_batched_any(pool, idx, npages) ?
	      "pages freed already, waiting in a batch" :
	      ppc_free_check_locked(pool, idx, npages);
	if (!why) {
		ppc_free_apply_locked(pool, idx, npages, &f);
		ppc_frees_flush_locked(pool, &f);
		local_sub(npages, ppc_out(pool));
	}
	ppc_unlock(pool, flags);
out:
	if (why)
		return ppc_bad_free(pool, addr, npages, why, caller);
	this_cpu_inc(pool->cache->free_slow);
	trace_pcpu_pagecache_free_slow(pool->name, addr, npages);
	return 0;
}

/*
 * Apply @c's batch, inside its section.  In NMI the lock may be held by the
 * code the NMI stopped, on this CPU: it is only tried, and the batch stays
 * full for the next free to apply.
 */
static bool ppc_batch_apply(struct pcpu_pagecache *pool, struct ppc_cache *c)
{
	unsigned long flags;

	if (likely(!in_nmi()))
		flags = ppc_lock(pool);
	else if (!raw_spin_trylock_irqsave(&pool->lock, flags))
		return false;
	ppc_batch_apply_locked(pool, c);
	ppc_unlock(pool, flags);
	return true;
}

/* Queue a checked free: a single page may extend the last entry. */
static __always_inline void ppc_batch_add(struct ppc_cache *c,
					  phys_addr_t addr, unsigned long idx,
					  unsigned int npages,
					  unsigned long caller)
{
	struct ppc_batch_ent *e = c->nbatch ? &c->batch[c->nbatch - 1] : NULL;

	if (npages == 1 && e && e->frees == e->npages &&
	    e->idx + e->npages == idx && e->caller == caller &&
	    e->idx / PPC_CHUNK_PAGES == idx / PPC_CHUNK_PAGES) {
		e->npages++;
		e->frees++;
	} else {
		c->batch[c->nbatch] = (struct ppc_batch_ent){
			addr, idx, npages, 1, caller };
		WRITE_ONCE(c->nbatch, c->nbatch + 1);
	}
	c->batch_frees++;
	c->batch_pages += npages;
}

/*
 * Inside the section, a free outside the window: into the batch, checked
 * as far as can be seen without the lock.  The batch goes back under the
 * lock after PPC_BATCH such frees, so the lock is taken once per
 * PPC_BATCH of them.
 */
static __always_inline int ppc_free_remote(struct pcpu_pagecache *pool,
					   struct ppc_cache *c, phys_addr_t addr,
					   unsigned int npages,
					   unsigned long caller)
{
	unsigned long idx;
	const char *why;

	/* Left full by an NMI that could not take the lock. */
	if (unlikely(c->batch_frees >= PPC_BATCH) && !ppc_batch_apply(pool, c))
		return -EBUSY;
	why = ppc_free_args(pool, addr, npages, &idx);
	if (!why && !ppc_batched_claim(pool, idx, npages)) {
		why = "pages freed already, waiting in a batch";
	} else if (!why) {
		why = ppc_free_check_hint(pool, idx, npages);
		if (why)
			ppc_batched_release(pool, idx, idx + npages);
		if (why == ppc_busy)
			return -EBUSY;
	}
	if (why)
		return ppc_bad_free(pool, addr, npages, why, caller);

	ppc_batch_add(c, addr, idx, npages, caller);
	local_sub(npages, &c->pages_out);
	this_cpu_inc(pool->cache->free_remote);
	if (c->batch_frees == PPC_BATCH)
		ppc_batch_apply(pool, c);
	return 0;
}

/*
 * Whether [@addr, +@npages) lies inside the window and none of its pages
 * is free there, freed into it already, or waiting in a batch (a double
 * free: the way out refuses it); its bits in *@bits.  ->span is 0
 * without a window.  Below the base, the page index is at least 2^52 - 1
 * and the run does not fit: compared in pages, the sum cannot wrap (in
 * bytes it could, and a page below the base would pass as bit 63).
 */
static __always_inline bool ppc_window_bits(struct ppc_cache *c,
					    phys_addr_t addr,
					    unsigned int npages,
					    unsigned long *bits)
{
	unsigned long idx = (addr - c->base) >> PAGE_SHIFT;

	if (unlikely(!PAGE_ALIGNED(addr) ||
		     idx + npages > c->span))
		return false;
	*bits = ppc_mask(npages) << idx;
	return likely(!((c->free | atomic_long_read(&c->pending) |
			 atomic_long_read(c->batched)) & *bits));
}

static __always_inline void ppc_put_run(struct ppc_cache *c,
					unsigned long bits, unsigned int npages)
{
	c->free |= bits;
	local_sub(npages - 1, &c->pages_out);
	local_inc(&c->free_fast);
}

/* One free inside the section. */
static __always_inline int ppc_free_in(struct pcpu_pagecache *pool,
				       struct ppc_cache *c, phys_addr_t addr,
				       unsigned int npages, unsigned long caller)
{
	unsigned long bits;

	if (unlikely(!ppc_window_bits(c, addr, npages, &bits)))
		return ppc_free_remote(pool, c, addr, npages, caller);
	ppc_put_run(c, bits, npages);
	return 0;
}

/* The fast path's ways out, as for allocations. */
/* Or a pool that tracks: see ppc_section_tracked(). */
static noinline int ppc_free_interrupted(struct pcpu_pagecache *pool,
					 struct ppc_cache *c, phys_addr_t addr,
					 unsigned int npages, unsigned long caller)
{
	int ret;

	if (!ppc_section_tracked(pool, c) || npages - 1 >= pool->fast_limit) {
		ppc_section_fail(c);
		return ppc_free_slow(pool, addr, npages, caller);
	}
	ppc_track_free(pool, addr, npages);
	ret = ppc_free_in(pool, c, addr, npages, caller);
	ppc_section_exit(c);
	return ret;
}

static noinline int ppc_free_remote_exit(struct pcpu_pagecache *pool,
					 struct ppc_cache *c, phys_addr_t addr,
					 unsigned int npages,
					 unsigned long caller)
{
	int ret = ppc_free_remote(pool, c, addr, npages, caller);

	ppc_section_exit(c);
	return ret;
}

/**
 * __pcpu_pagecache_free - give pages back to their pool
 * @pool: the pool they came from
 * @addr: the physical address pcpu_pagecache_alloc() returned
 * @npages: how many pages, as passed to pcpu_pagecache_alloc()
 *
 * Pages inside the calling CPU's window go back into it; others of
 * fewer than %PCPU_PAGECACHE_FAST_PAGES pages wait in a per-CPU batch that
 * goes back under the pool lock every %PCPU_PAGECACHE_BATCH frees, into the
 * windows of the CPUs that own them or the bitmaps.  A range may be freed
 * in parts.  Never sleeps; any context (NMI: see pcpu_pagecache.h).
 *
 * Return: 0, or -EINVAL (with a rate-limited warning naming the caller) if
 * the range is outside the pool, unaligned, not allocated, or waiting in a
 * batch already.  A double free is refused on whichever CPU it happens;
 * only one that overlaps the first free of the same pages on another CPU
 * may return 0, and is then dropped and counted in invalid_frees when it is
 * applied.  In NMI, -EBUSY: the free needs the pool lock, which is busy.
 */
int notrace __pcpu_pagecache_free(struct pcpu_pagecache *pool,
				  phys_addr_t addr, unsigned int npages)
{
	struct ppc_cache *c;
	unsigned long bits;

	if (unlikely(npages - 1 >= pool->fast_limit))
		return ppc_free_slow(pool, addr, npages, _RET_IP_);
	preempt_disable();
	c = this_cpu_ptr(pool->cache);
	if (unlikely(!ppc_section_try(c)))
		return ppc_free_interrupted(pool, c, addr, npages, _RET_IP_);
	if (unlikely(!ppc_window_bits(c, addr, npages, &bits)))
		return ppc_free_remote_exit(pool, c, addr, npages, _RET_IP_);
	ppc_put_run(c, bits, npages);
	ppc_section_exit(c);
	return 0;
}
EXPORT_SYMBOL_GPL(__pcpu_pagecache_free);

/*
 * The single-page path's way out for a page outside its window: @off is
 * the page's offset from the window's base, rotated.  In this order, the
 * arguments sit where the fast path has them already.
 */
static noinline int ppc_free_page_remote(struct pcpu_pagecache *pool,
					 unsigned long off, struct ppc_cache *c,
					 unsigned long caller)
{
	phys_addr_t addr = c->base + rol64(off, PAGE_SHIFT);
	int ret;

	if (unlikely(!pool->fast_limit)) {
		ppc_section_exit(c);
		return ppc_free_slow(pool, addr, 1, caller);
	}
	ret = ppc_free_remote(pool, c, addr, 1, caller);
	ppc_section_exit(c);
	return ret;
}

/**
 * pcpu_pagecache_free_page - give one page back to its pool
 * @pool: the pool it came from
 * @addr: its physical address
 *
 * pcpu_pagecache_free() of one page, and its shortest path for a page of
 * the calling CPU's window.  Never sleeps; any context (NMI: see pcpu_pagecache.h).
 *
 * Return: 0, or -EINVAL as pcpu_pagecache_free() returns it.
 */
int notrace pcpu_pagecache_free_page(struct pcpu_pagecache *pool,
				     phys_addr_t addr)
{
	struct ppc_cache *c;
	unsigned long idx;

	preempt_disable();
	c = this_cpu_ptr(pool->cache);
	if (unlikely(!ppc_section_try(c)))
		return ppc_free_interrupted(pool, c, addr, 1, _RET_IP_);
	/*
	 * Rotated, the offset of an unaligned address keeps its low bits on
	 * top, and one below the base wraps: either is far past ->span.  The
	 * way out gets the address back from it, so that it need not be kept.
	 * The page must be neither in ->pending nor batched (test_bit() is
	 * one read, as atomic_long_read() is); setting it in ->free tells
	 * whether it was there already, and changes nothing then.
	 */
	idx = ror64(addr - c->base, PAGE_SHIFT);
	if (unlikely(idx >= c->span ||
		     test_bit(idx, (const unsigned long *)&c->pending) ||
		     test_bit(idx, (const unsigned long *)c->batched) ||
		     __test_and_set_bit(idx, &c->free)))
		return ppc_free_page_remote(pool, idx, c, _RET_IP_);
	local_inc(&c->free_fast);
	ppc_section_exit(c);
	return 0;
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_free_page);

/**
 * pcpu_pagecache_free_bulk - free several runs of the same size
 * @pool: the pool they came from
 * @npages: pages in each run
 * @count: how many runs
 * @addrs: their physical addresses
 *
 * Like @count calls of pcpu_pagecache_free(), in one section for runs the
 * cache takes.  Each run is checked on its own: a bad one is refused,
 * counted and warned about, and the others are freed.  Never sleeps; any
 * context but NMI.
 *
 * Return: 0, or -EINVAL if any run was refused; -EBUSY, with nothing
 * freed, if called from NMI.
 */
int pcpu_pagecache_free_bulk(struct pcpu_pagecache *pool, unsigned int npages,
			     unsigned int count, const phys_addr_t *addrs)
{
	struct ppc_cache *c = NULL;
	unsigned int i;
	int ret = 0;

	/* Not for NMI: the caller could not tell which runs went back. */
	if (WARN_ON_ONCE(in_nmi()))
		return -EBUSY;
	if (pool->owners)
		ppc_track_free_bulk(pool, npages, count, addrs);
	if (likely(npages - 1 < pool->fast_limit))
		c = ppc_section_enter(pool);
	for (i = 0; i < count; i++) {
		if ((c ? ppc_free_in(pool, c, addrs[i], npages, _RET_IP_) :
			 ppc_free_slow(pool, addrs[i], npages, _RET_IP_)))
			ret = -EINVAL;
	}
	if (c)
		ppc_section_exit(c);
	return ret;
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_free_bulk);

/**
 * pcpu_pagecache_va - kernel address of a pool page
 * @pool: the pool
 * @addr: a physical address inside the pool
 *
 * Runs of a reserved range are virtually contiguous too; for a pool from
 * the page allocator, so are runs inside one 4 MiB chunk, which is all a
 * run can be.  Never sleeps; any context.
 *
 * Return: the kernel virtual address of @addr, or NULL outside the pool.
 */
void *pcpu_pagecache_va(struct pcpu_pagecache *pool, phys_addr_t addr)
{
	unsigned long idx;

	if (!ppc_page_of(pool, addr, &idx))
		return NULL;
	if (!pool->blocks)
		return pool->va + (addr - pool->base);
	return pool->blocks[idx / PPC_CHUNK_PAGES].va +
	       (addr - pool->blocks[idx / PPC_CHUNK_PAGES].phys);
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_va);

/* ---- Hotplug and drain --------------------------------------------------- */

/* @cpu runs no code of ours: dead, or its pool is being destroyed. */
static void ppc_flush_stopped_cpu(struct pcpu_pagecache *pool, unsigned int cpu,
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

/**
 * pcpu_pagecache_drain - flush every CPU's cache back into the bitmaps
 * @pool: the pool
 *
 * Each online CPU flushes its own window and batch; a CPU that is inside an
 * allocation or free at that moment keeps its cache until its next miss.
 * Caches refill on the next allocation.  Process context; may sleep.
 */
void pcpu_pagecache_drain(struct pcpu_pagecache *pool)
{
	unsigned int cpu;

	cpus_read_lock();
	ppc_reclaim(pool, false, PPC_FLUSH_DRAIN, true);
	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu))
			ppc_flush_stopped_cpu(pool, cpu, PPC_FLUSH_DRAIN);
	cpus_read_unlock();
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_drain);

/* ---- Statistics ---------------------------------------------------------- */

/**
 * pcpu_pagecache_get_stats - sum a pool's counters
 * @pool: the pool
 * @st: where to put them
 *
 * Reads every possible CPU's counters without stopping or locking anyone.
 * When the pool is quiet, pages_total == pages_free + pages_cached +
 * pages_inuse + pages_leaked holds exactly; while other CPUs allocate and
 * free, the sum is off by at most the pages that moved during the read
 * (Documentation/pcpu_pagecache.rst).  Never sleeps; any context but NMI.
 */
void pcpu_pagecache_get_stats(struct pcpu_pagecache *pool,
			      struct pcpu_pagecache_stats *st)
{
	struct ppc_cache *c;
	unsigned int cpu;
	u64 held;

	memset(st, 0, sizeof(*st));
	st->pages_total = pool->npages;
	st->pages_free = READ_ONCE(pool->bits.nfree);
	for_each_possible_cpu(cpu) {
		c = ppc_cache_of(pool, cpu);
		held = hweight_long(READ_ONCE(c->free)) +
		       hweight_long(atomic_long_read(&c->pending)) +
		       READ_ONCE(c->batch_pages);
		if (cpu_online(cpu))
			st->pages_cached += held;
		else
			st->pages_leaked += held;
		st->pages_inuse += local_read(&c->pages_out) +
				   local_read(&c->alloc_fast) -
				   local_read(&c->free_fast);
		st->alloc_fast += local_read(&c->alloc_fast);
		st->alloc_slow += READ_ONCE(c->alloc_slow);
		st->alloc_fail += READ_ONCE(c->alloc_fail);
		st->free_fast += local_read(&c->free_fast);
		st->free_slow += READ_ONCE(c->free_slow);
		st->free_remote += READ_ONCE(c->free_remote);
		st->refills += READ_ONCE(c->refills);
		st->flushes += READ_ONCE(c->flushes);
		st->reclaims += READ_ONCE(c->reclaims);
		st->reclaim_joins += READ_ONCE(c->reclaim_joins);
		st->lock_acquisitions += READ_ONCE(c->lock_acquisitions);
		st->invalid_frees += READ_ONCE(c->invalid_frees);
	}
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_get_stats);

/* ---- debugfs ------------------------------------------------------------- */

static int ppc_stats_show(struct seq_file *m, void *v)
{
	struct pcpu_pagecache_stats st;

	const struct ppc_stat_row *r;

	pcpu_pagecache_get_stats(m->private, &st);
	/* Only pages_inuse is signed; no other count comes near 2^63. */
	for (r = ppc_stat_rows; r < ppc_stat_rows + ARRAY_SIZE(ppc_stat_rows); r++)
		seq_printf(m, "%s %lld\n", r->name,
			   *(const s64 *)((const char *)&st + r->off));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ppc_stats);

/* A live view: each row is read without stopping its CPU. */
static int ppc_cpus_show(struct seq_file *m, void *v)
{
	struct pcpu_pagecache *pool = m->private;
	struct ppc_cache *c;
	unsigned int cpu;

	seq_puts(m, "cpu online window_base cached alloc_fast alloc_slow free_fast free_slow node\n");
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(pool->cache, cpu);
		seq_printf(m, "%u %d 0x%llx %lu %lu %lu %lu %lu %d\n", cpu,
			   cpu_online(cpu),
			   READ_ONCE(c->span) ? (u64)READ_ONCE(c->base) : 0ULL,
			   hweight_long(READ_ONCE(c->free)),
			   local_read(&c->alloc_fast), READ_ONCE(c->alloc_slow),
			   local_read(&c->free_fast), READ_ONCE(c->free_slow),
			   cpu_to_node(cpu));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ppc_cpus);

/* Rows in the chunks file: a big pool shows groups of chunks. */
#define PPC_CHUNK_ROWS		1024

static phys_addr_t ppc_chunk_base(struct pcpu_pagecache *pool,
				  unsigned long chunk)
{
	return ppc_phys(pool, chunk * PPC_CHUNK_PAGES);
}

/* The node of @chunk, from the pool's extents. */
static int ppc_chunk_nid(struct pcpu_pagecache *pool, unsigned long chunk)
{
	unsigned long lo = 0, hi = pool->nexts, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (chunk < pool->exts[mid].first)
			hi = mid;
		else if (chunk >= pool->exts[mid].end)
			lo = mid + 1;
		else
			return pool->exts[mid].nid;
	}
	return NUMA_NO_NODE;
}

/* The node of the pool's page @idx, for ppc_owners_init(). */
static int ppc_page_nid(void *ctx, unsigned long idx)
{
	return ppc_chunk_nid(ctx, idx / PPC_CHUNK_PAGES);
}

/*
 * One row per chunk, or per group of chunks in a pool of more than
 * PPC_CHUNK_ROWS chunks, so that the file stays small at any size: free is
 * then the group's sum, longest its longest run inside one chunk, and node
 * its chunks' node, or -1 if they are on several.  The lock is taken for
 * one chunk at a time.
 */
static int ppc_chunks_show(struct seq_file *m, void *v)
{
	struct pcpu_pagecache *pool = m->private;
	unsigned long per = DIV_ROUND_UP(pool->nchunks, PPC_CHUNK_ROWS);
	unsigned long i, j, free;
	unsigned int nfree, longest, lmax;
	unsigned long flags;
	int nid;

	seq_puts(m, "chunk base free longest node\n");
	for (i = 0; i < pool->nchunks; i += per) {
		free = 0;
		lmax = 0;
		nid = ppc_chunk_nid(pool, i);
		for (j = i; j < min(i + per, pool->nchunks); j++) {
			flags = ppc_lock(pool);
			ppc_bits_chunk_info(&pool->bits, j, &nfree, &longest);
			ppc_unlock(pool, flags);
			free += nfree;
			lmax = max(lmax, longest);
			if (ppc_chunk_nid(pool, j) != nid)
				nid = NUMA_NO_NODE;
		}
		seq_printf(m, "%lu 0x%llx %lu %u %d\n", i,
			   (u64)ppc_chunk_base(pool, i), free, lmax, nid);
		cond_resched();
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ppc_chunks);

static ssize_t ppc_drain_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	unsigned int val;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 0, &val);
	if (ret)
		return ret;
	if (val != 1)
		return -EINVAL;
	pcpu_pagecache_drain(file->private_data);
	return count;
}

static const struct file_operations ppc_drain_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = ppc_drain_write,
	.llseek = default_llseek,
};

static void ppc_debugfs_create(struct pcpu_pagecache *pool)
{
	pool->dir = debugfs_create_dir(pool->name, ppc_debugfs_root);
	debugfs_create_file("stats", 0400, pool->dir, pool, &ppc_stats_fops);
	debugfs_create_file("cpus", 0400, pool->dir, pool, &ppc_cpus_fops);
	debugfs_create_file("chunks", 0400, pool->dir, pool, &ppc_chunks_fops);
	debugfs_create_file("drain", 0200, pool->dir, pool, &ppc_drain_fops);
	ppc_owners_debugfs(pool->dir, pool->owners);
}

/* ---- Creating and destroying pools --------------------------------------- */

static int ppc_region_claim(struct pcpu_pagecache *pool)
{
	phys_addr_t b = pool->base;
	size_t sz = pool->size;

	if (region_intersects(b, sz, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) !=
	    REGION_DISJOINT) {
		pr_err_ratelimited("%s: [%pa, +%zu) is System RAM; reserve it with memmap=\n",
				   pool->name, &b, sz);
		return -EBUSY;
	}
	pool->res_name = kasprintf(GFP_KERNEL, "pcpu_pagecache:%s", pool->name);
	if (!pool->res_name)
		return -ENOMEM;
	if (!request_mem_region(b, sz, pool->res_name)) {
		pr_err_ratelimited("%s: [%pa, +%zu) is already claimed\n",
				   pool->name, &b, sz);
		goto err_name;
	}
	/*
	 * The mapping uses 2 MiB (and 1 GiB) pages where the physical range
	 * is aligned to them; 4 KiB pages for a large range cost 2 MiB of
	 * page tables per GiB and a TLB miss per page.
	 */
	if (!IS_ALIGNED(b, SZ_2M))
		pr_warn("%s: base %pa is not 2 MiB aligned: mapped with 4 KiB pages\n",
			pool->name, &b);
	pool->va = memremap(b, sz, MEMREMAP_WB);
	if (!pool->va) {
		pr_err_ratelimited("%s: cannot map [%pa, +%zu)\n", pool->name,
				   &b, sz);
		release_mem_region(b, sz);
		kfree(pool->res_name);
		pool->res_name = NULL;
		return -ENOMEM;
	}
	return 0;

err_name:
	kfree(pool->res_name);
	pool->res_name = NULL;
	return -EBUSY;
}

static int ppc_block_cmp(const void *a, const void *b)
{
	const struct ppc_block *x = a, *y = b;

	return x->phys < y->phys ? -1 : x->phys > y->phys;
}

static unsigned long ppc_block_pages(struct pcpu_pagecache *pool,
				     unsigned long i)
{
	return min_t(unsigned long, PPC_CHUNK_PAGES,
		     pool->npages - i * PPC_CHUNK_PAGES);
}

/* All the blocks, or those with no page in use (at destroy). */
static void ppc_blocks_free(struct pcpu_pagecache *pool, bool all)
{
	unsigned int nfree, longest;
	unsigned long i;

	for (i = 0; i < pool->nchunks; i++) {
		if (!pool->blocks[i].va)
			continue;
		if (!all) {
			ppc_bits_chunk_info(&pool->bits, i, &nfree, &longest);
			if (nfree != ppc_block_pages(pool, i))
				continue;
		}
		free_pages_exact(pool->blocks[i].va,
				 ppc_block_pages(pool, i) << PAGE_SHIFT);
		cond_resched();
	}
}

/*
 * @size bytes (4 MiB at most: one allocation of the buddy allocator) on
 * node @nid, or on any node if @nid has none; split into pages, as
 * alloc_pages_exact() does, so that free_pages_exact() frees them.
 */
static void *ppc_block_alloc_node(int nid, size_t size)
{
	unsigned int order = get_order(size);
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	struct page *page;
	unsigned long i;

	page = alloc_pages_node(nid, gfp | __GFP_THISNODE, order);
	if (!page)
		return alloc_pages_exact(size, gfp);
	split_page(page, order);
	for (i = size >> PAGE_SHIFT; i < 1UL << order; i++)
		__free_page(page + i);
	return page_address(page);
}

/*
 * 4 MiB blocks from the page allocator, taken in turn from each node with
 * memory, so that the CPUs of every node find pages of their own; sorted
 * by address so that a page's block is a binary search away, which makes
 * each node's blocks one or a few runs of chunks.  A last, partial block
 * stays last, wherever its address: the bitmap's pages past npages are in
 * the last chunk.  ppc_block_page_of() looks it up on its own.
 */
static int ppc_blocks_alloc(struct pcpu_pagecache *pool)
{
	unsigned long i, nfull = pool->npages / PPC_CHUNK_PAGES;
	int nid = first_node(node_states[N_MEMORY]);
	struct ppc_block *bl;

	pool->blocks = kvcalloc(pool->nchunks, sizeof(*pool->blocks),
				GFP_KERNEL);
	if (!pool->blocks)
		return -ENOMEM;
	for (i = 0; i < pool->nchunks; i++) {
		bl = &pool->blocks[i];
		bl->va = ppc_block_alloc_node(nid, ppc_block_pages(pool, i) <<
					      PAGE_SHIFT);
		nid = next_node_in(nid, node_states[N_MEMORY]);
		if (!bl->va) {
			ppc_blocks_free(pool, true);
			kvfree(pool->blocks);
			pool->blocks = NULL;
			return -ENOMEM;
		}
		bl->phys = virt_to_phys(bl->va);
		cond_resched();
	}
	sort(pool->blocks, nfull, sizeof(*bl), ppc_block_cmp, NULL);
	return 0;
}

/*
 * The node of a reserved range's page: the firmware's memory ranges know
 * it (a range kept from the kernel has no struct page of its own, or one
 * whose node says little); failing that, its struct page's.
 */
static int ppc_phys_nid(phys_addr_t addr)
{
	int nid = phys_to_target_node(addr);

	if (nid == NUMA_NO_NODE && pfn_valid(PHYS_PFN(addr)))
		nid = page_to_nid(pfn_to_page(PHYS_PFN(addr)));
	return nid;
}

/* The node of @chunk's first page. */
static int ppc_chunk_probe_nid(struct pcpu_pagecache *pool,
			       unsigned long chunk)
{
	if (pool->blocks)
		return page_to_nid(virt_to_page(pool->blocks[chunk].va));
	return ppc_phys_nid(ppc_chunk_base(pool, chunk));
}

/*
 * The runs of chunks on one node, into @e if it is not NULL; their number.
 * May sleep.
 */
static unsigned long ppc_nodes_scan(struct pcpu_pagecache *pool,
				    struct ppc_node_ext *e)
{
	unsigned long c, n = 0;
	int nid, prev = NUMA_NO_NODE;

	for (c = 0; c < pool->nchunks; c++) {
		nid = ppc_chunk_probe_nid(pool, c);
		if (!c || nid != prev) {
			if (e) {
				e[n].first = c;
				e[n].nid = nid;
			}
			n++;
		}
		if (e)
			e[n - 1].end = c + 1;
		prev = nid;
		if (!(c % 4096))
			cond_resched();
	}
	return n;
}

/* Find each chunk's node: two scans, to count the runs, then to keep them. */
static int ppc_nodes_init(struct pcpu_pagecache *pool)
{
	unsigned long n = ppc_nodes_scan(pool, NULL), i;

	pool->exts = kvmalloc_array(n, sizeof(*pool->exts), GFP_KERNEL);
	if (!pool->exts)
		return -ENOMEM;
	pool->nexts = ppc_nodes_scan(pool, pool->exts);
	nodes_clear(pool->nodes);
	for (i = 0; i < n; i++)
		if (pool->exts[i].nid != NUMA_NO_NODE)
			node_set(pool->exts[i].nid, pool->nodes);
	pool->numa = nodes_weight(pool->nodes) > 1;
	return 0;
}

static int ppc_check_args(const char *name, phys_addr_t b, size_t sz,
			  unsigned int flags)
{
	/* It names a debugfs directory: "." and ".." would not be one. */
	if (!name || !*name || strlen(name) >= PPC_NAME_MAX || strchr(name, '/') ||
	    !strcmp(name, ".") || !strcmp(name, "..")) {
		pr_err_ratelimited("pool name must be 1 to %d characters without '/', not . or ..\n",
				   PPC_NAME_MAX - 1);
		return -EINVAL;
	}
	if (!sz || !PAGE_ALIGNED(sz) || !PAGE_ALIGNED(b)) {
		pr_err_ratelimited("%s: base %pa and size %zu must be page aligned, size not 0\n",
				   name, &b, sz);
		return -EINVAL;
	}
	if (b + sz - 1 < b || sz > PPC_MAX_BYTES) {
		pr_err_ratelimited("%s: [%pa, +%zu) is too large\n", name, &b, sz);
		return -EINVAL;
	}
	if (flags & ~(PCPU_PAGECACHE_NOCACHE | PCPU_PAGECACHE_TRACK)) {
		pr_err_ratelimited("%s: unknown flags %#x\n", name, flags);
		return -EINVAL;
	}
	return 0;
}

static struct pcpu_pagecache *ppc_find_mutexed(const char *name)
{
	struct pcpu_pagecache *pool;

	list_for_each_entry(pool, &ppc_pools, list)
		if (!strcmp(pool->name, name))
			return pool;
	return NULL;
}

/**
 * pcpu_pagecache_create_flags - create a pool, with flags
 * @name: a unique name for the pool and its debugfs directory
 * @base: physical base of a range reserved with memmap=, or 0 to take the
 *	pool from the page allocator in 4 MiB blocks
 * @size: bytes in the pool, page aligned
 * @flags: 0, or any of %PCPU_PAGECACHE_NOCACHE to send every operation to
 *	the locked bitmaps (for comparison) and %PCPU_PAGECACHE_TRACK to record
 *	who holds each run (debugfs owners, 16 bytes a page)
 *
 * A reserved range is claimed with request_mem_region() (it then shows in
 * /proc/iomem) and mapped with memremap(); it must not be System RAM.
 * The module's "track" parameter tracks every pool, as the flag does.
 * Process context; may sleep.
 *
 * Return: the pool, or an ERR_PTR(): -EINVAL for a bad name, alignment or
 * size, -EEXIST for a name in use, -EBUSY for a range that is System RAM or
 * already claimed, -ENOMEM.
 */
struct pcpu_pagecache *pcpu_pagecache_create_flags(const char *name,
						   phys_addr_t base,
						   size_t size,
						   unsigned int flags)
{
	struct pcpu_pagecache *pool;
	unsigned int i;
	int ret;

	ret = ppc_check_args(name, base, size, flags);
	if (ret)
		return ERR_PTR(ret);

	mutex_lock(&ppc_pools_mutex);
	if (ppc_find_mutexed(name)) {
		pr_err_ratelimited("%s: a pool with this name exists\n", name);
		ret = -EEXIST;
		goto err_unlock;
	}
	ret = -ENOMEM;
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		goto err_unlock;
	strscpy(pool->name, name, sizeof(pool->name));
	raw_spin_lock_init(&pool->lock);
	seqcount_raw_spinlock_init(&pool->owners_seq, &pool->lock);
	pool->base = base;
	pool->size = size;
	pool->npages = size >> PAGE_SHIFT;
	pool->nchunks = DIV_ROUND_UP(pool->npages, PPC_CHUNK_PAGES);
	pool->max_run = base ? pool->npages :
			min_t(unsigned long, pool->npages, PPC_CHUNK_PAGES);
	pool->fast_limit = flags & PCPU_PAGECACHE_NOCACHE ? 0 :
			   PCPU_PAGECACHE_FAST_PAGES - 1;

	pool->cache = alloc_percpu(struct ppc_cache);
	if (!pool->cache)
		goto err_pool;
	for_each_possible_cpu(i) {
		ppc_cache_of(pool, i)->pool = pool;
		INIT_CSD(&ppc_cache_of(pool, i)->reclaim_csd, ppc_reclaim_ipi,
			 ppc_cache_of(pool, i));
		init_irq_work(&ppc_cache_of(pool, i)->note.work, ppc_note_work);
	}
	if (ppc_bits_init(&pool->bits, pool->npages, base != 0))
		goto err_cache;
	pool->batched = kvcalloc(BITS_TO_LONGS(pool->npages),
				 sizeof(*pool->batched), GFP_KERNEL);
	if (!pool->batched)
		goto err_bits;

	ret = base ? ppc_region_claim(pool) : ppc_blocks_alloc(pool);
	if (ret)
		goto err_batched;
	ret = ppc_nodes_init(pool);
	if (ret)
		goto err_memory;
	/* After the nodes: each page of records goes on its pages' node. */
	ret = ppc_owners_init(&pool->owners, pool->npages,
			      flags & PCPU_PAGECACHE_TRACK, ppc_page_nid, pool);
	if (ret)
		goto err_nodes;
	/* See ppc_section_tracked(). */
	pool->nest_idle = pool->owners ? 0 : -1;
	for_each_possible_cpu(i)
		local_set(&ppc_cache_of(pool, i)->nest, pool->nest_idle);

	ret = cpuhp_state_add_instance_nocalls(ppc_prepare_state,
					       &pool->prepare_node);
	if (ret)
		goto err_hotplug;
	ret = cpuhp_state_add_instance_nocalls(ppc_online_state,
					       &pool->online_node);
	if (ret)
		goto err_prepare;

	ppc_debugfs_create(pool);
	list_add(&pool->list, &ppc_pools);
	mutex_unlock(&ppc_pools_mutex);
	return pool;

err_prepare:
	cpuhp_state_remove_instance_nocalls(ppc_prepare_state,
					    &pool->prepare_node);
err_hotplug:
	pr_err_ratelimited("%s: cannot register for CPU hotplug: %d\n", name, ret);
	ppc_owners_fini(pool->owners);
err_nodes:
	kvfree(pool->exts);
err_memory:
	if (base) {
		memunmap(pool->va);
		release_mem_region(base, size);
		kfree(pool->res_name);
	} else {
		ppc_blocks_free(pool, true);
		kvfree(pool->blocks);
	}
err_batched:
	kvfree(pool->batched);
err_bits:
	ppc_bits_fini(&pool->bits);
err_cache:
	free_percpu(pool->cache);
err_pool:
	kfree(pool);
err_unlock:
	mutex_unlock(&ppc_pools_mutex);
	/* Every other error has been reported where it was found. */
	if (ret == -ENOMEM)
		pr_err_ratelimited("%s: out of memory for %zu bytes\n", name,
				   size);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_create_flags);

/**
 * pcpu_pagecache_create - create a pool with per-CPU caches
 * @name: a unique name for the pool and its debugfs directory
 * @base: physical base of a range reserved with memmap=, or 0 to take the
 *	pool from the page allocator in 4 MiB blocks
 * @size: bytes in the pool, page aligned
 *
 * Same as pcpu_pagecache_create_flags() with no flags.
 *
 * Return: the pool, or an ERR_PTR().
 */
struct pcpu_pagecache *pcpu_pagecache_create(const char *name, phys_addr_t base,
					     size_t size)
{
	return pcpu_pagecache_create_flags(name, base, size, 0);
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_create);

/**
 * pcpu_pagecache_destroy - destroy a pool
 * @pool: the pool, or NULL
 *
 * The caller must have stopped using the pool.  Pages still handed out are
 * reported, with the callers holding the most of them if the pool tracks,
 * and their memory is kept (the blocks that hold them, or the whole
 * reserved range stays claimed and mapped), since a caller may still write
 * to it.  Process context; may sleep.
 */
void pcpu_pagecache_destroy(struct pcpu_pagecache *pool)
{
	unsigned long inuse;
	unsigned int cpu;

	if (IS_ERR_OR_NULL(pool))
		return;

	/* The name stays taken until its debugfs directory is gone. */
	mutex_lock(&ppc_pools_mutex);
	debugfs_remove_recursive(pool->dir);
	list_del(&pool->list);
	if (pool == ppc_default_pool)
		ppc_default_pool = NULL;
	mutex_unlock(&ppc_pools_mutex);

	/*
	 * The _nocalls variants: removing with calls would run the dead
	 * callback for CPUs that are still online.  Nobody uses the pool now,
	 * so every cache can be flushed from here.
	 */
	cpuhp_state_remove_instance_nocalls(ppc_online_state, &pool->online_node);
	cpuhp_state_remove_instance_nocalls(ppc_prepare_state,
					    &pool->prepare_node);
	/* Reclaim IPIs still on their way, then those still running. */
	for_each_possible_cpu(cpu)
		while (atomic_read(&ppc_cache_of(pool, cpu)->ipi_queued))
			cpu_relax();
	synchronize_rcu();
	for_each_possible_cpu(cpu)
		ppc_flush_stopped_cpu(pool, cpu, PPC_FLUSH_DESTROY);
	/* The warnings of those flushes, and of any before them. */
	for_each_possible_cpu(cpu)
		irq_work_sync(&ppc_cache_of(pool, cpu)->note.work);

	inuse = pool->npages - pool->bits.nfree;
	if (inuse) {
		pr_warn("%s: %lu pages still in use at destroy; keeping their memory\n",
			pool->name, inuse);
		ppc_owners_report(pool->owners, pool->name);
	}

	if (!pool->base) {
		ppc_blocks_free(pool, false);
		kvfree(pool->blocks);
	} else if (!inuse) {
		memunmap(pool->va);
		release_mem_region(pool->base, pool->size);
		kfree(pool->res_name);
	}
	ppc_owners_fini(pool->owners);
	kvfree(pool->exts);
	kvfree(pool->batched);
	ppc_bits_fini(&pool->bits);
	free_percpu(pool->cache);
	kfree(pool);
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_destroy);

/**
 * pcpu_pagecache_default - the pool made from the module parameters
 *
 * Return: the default pool; it lives until the module is unloaded, which
 * cannot happen while a module that calls this is loaded.
 */
struct pcpu_pagecache *pcpu_pagecache_default(void)
{
	return ppc_default_pool;
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_default);

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
	return 0;

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

/* Unit tests of the static helpers above, only where KUnit exists. */
#if IS_ENABLED(CONFIG_KUNIT)
#include "pcpu_pagecache_kunit.c"
#endif

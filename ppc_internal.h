/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The private header of the pcpu_pagecache module: the structs its files
 * share (a pool, a CPU's cache), the inline helpers that the fast path and
 * the slower paths both use, the declarations of what one file calls in
 * another, and the locking rules that all of them follow.  The API is
 * pcpu_pagecache.h; the bitmap and its summary tree are ppc_core.h.
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
 *    by that CPU inside its section (preemption off, ->nest raised), or by
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
#ifndef _PPC_INTERNAL_H
#define _PPC_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cpuhotplug.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <asm/local.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/spinlock.h>

#include "pcpu_pagecache.h"
#include "ppc_core.h"
#include "ppc_owners.h"

#ifndef CONFIG_64BIT
#error "pcpu_pagecache keeps a 64-page window in one unsigned long"
#endif

#define PPC_WINDOW		PCPU_PAGECACHE_WINDOW_PAGES
#define PPC_BATCH		PCPU_PAGECACHE_BATCH
#define PPC_NAME_MAX		32

static_assert(PPC_CHUNK_PAGES == PCPU_PAGECACHE_CHUNK_PAGES);
static_assert(PPC_WINDOW == PPC_WORD_PAGES);

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
	 * negative, is out_adjust + alloc_fast - free_fast: a fast operation
	 * counts its first page in alloc_fast or free_fast, so that one of a
	 * single page costs one instruction of accounting.  local_t: one
	 * instruction, so an interrupt on this CPU that counts too never
	 * tears it.
	 */
	local_t out_adjust;
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
	atomic_t reclaim_busy;		/* 1 + the CPU of the alloc round in flight */
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

/*
 * Ranges on their way to the bitmap, so that the tree's summaries are
 * updated once for all of them: a batch's frees mostly share a chunk.
 */
struct ppc_bitmap_frees {
	bool claimed;			/* batched bits set: clear them after */
	unsigned int n;
	struct ppc_run run[PPC_BATCH];
};

/* ---- Shared state: pcpu_pagecache_main.c, ppc_pool.c, ppc_debugfs.c ------ */

extern struct mutex ppc_pools_mutex;
extern struct list_head ppc_pools;
extern struct pcpu_pagecache *ppc_default_pool;
extern struct dentry *ppc_debugfs_root;
extern enum cpuhp_state ppc_prepare_state;
extern enum cpuhp_state ppc_online_state;

/* ---- What one file calls in another -------------------------------------- */

/* ppc_cache.c: a CPU's window, taken and given back */
void ppc_cache_flush_locked(struct pcpu_pagecache *pool, unsigned int cpu,
			    int reason);
bool ppc_cache_fill_locked(struct pcpu_pagecache *pool, struct ppc_cache *c,
			   unsigned int npages);
void ppc_flush_stopped_cpu(struct pcpu_pagecache *pool, unsigned int cpu,
			   int reason);

/* ppc_reclaim.c: the caches of other CPUs, asked back */
void ppc_reclaim_ipi(void *arg);
bool ppc_reclaim(struct pcpu_pagecache *pool, bool owned, int reason,
		 bool wait_all);

/* ppc_remote.c: frees on their way back, their checks, bad frees */
int ppc_bad_free(struct pcpu_pagecache *pool, phys_addr_t addr,
		 unsigned int npages, const char *why, unsigned long caller);
void ppc_bad_free_noted(struct pcpu_pagecache *pool, phys_addr_t addr,
			unsigned long npages, const char *why,
			unsigned long caller);
void ppc_note_work(struct irq_work *work);
void ppc_batched_release(struct pcpu_pagecache *pool, unsigned long first,
			 unsigned long end);
bool ppc_batched_claim(struct pcpu_pagecache *pool, unsigned long first,
		       unsigned long npages);
bool ppc_batched_any(struct pcpu_pagecache *pool, unsigned long first,
		     unsigned long npages);
const char *ppc_free_check(struct pcpu_pagecache *pool, unsigned long first,
			   unsigned long npages);
void ppc_bitmap_frees_flush_locked(struct pcpu_pagecache *pool, struct ppc_bitmap_frees *f);
void ppc_free_apply_locked(struct pcpu_pagecache *pool, unsigned long first,
			   unsigned long npages, struct ppc_bitmap_frees *f);
void ppc_batch_apply_locked(struct pcpu_pagecache *pool, struct ppc_cache *c);
bool ppc_batch_apply(struct pcpu_pagecache *pool, struct ppc_cache *c);

/* ppc_pool.c: a pool's memory and its nodes */
bool ppc_block_page_of(struct pcpu_pagecache *pool, phys_addr_t addr,
		       unsigned long *idx);
int ppc_chunk_nid(struct pcpu_pagecache *pool, unsigned long chunk);

/* ppc_debugfs.c */
void ppc_debugfs_create(struct pcpu_pagecache *pool);

/* ---- The pool lock ------------------------------------------------------- */

/* Every acquisition of the pool lock is counted, on the CPU that takes it. */
static inline unsigned long ppc_lock(struct pcpu_pagecache *pool)
	__acquires(&pool->lock)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	this_cpu_inc(pool->cache->lock_acquisitions);
	return flags;
}

static inline void ppc_unlock(struct pcpu_pagecache *pool, unsigned long flags)
	__releases(&pool->lock)
{
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}

/* ---- The section: this CPU's cache, without the lock --------------------- */

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

/* ---- Pages and addresses ------------------------------------------------- */

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

static inline phys_addr_t ppc_phys(struct pcpu_pagecache *pool, unsigned long idx)
{
	if (!pool->blocks)
		return pool->base + ((phys_addr_t)idx << PAGE_SHIFT);
	return pool->blocks[idx / PPC_CHUNK_PAGES].phys +
	       ((phys_addr_t)(idx % PPC_CHUNK_PAGES) << PAGE_SHIFT);
}

static inline phys_addr_t ppc_chunk_base(struct pcpu_pagecache *pool,
					 unsigned long chunk)
{
	return ppc_phys(pool, chunk * PPC_CHUNK_PAGES);
}

/* Under the lock: the first free run of @npages, taken; or 0. */
static inline phys_addr_t ppc_bits_alloc_locked(struct pcpu_pagecache *pool,
						unsigned int npages)
{
	unsigned long idx;

	lockdep_assert_held(&pool->lock);
	idx = ppc_bits_alloc(&pool->bits, npages);
	return idx == PPC_NONE ? 0 : ppc_phys(pool, idx);
}

/* ---- Per-CPU caches ------------------------------------------------------ */

/* This CPU's count of pages out: preemption or interrupts off. */
static __always_inline local_t *ppc_out_adjust(struct pcpu_pagecache *pool)
{
	return &this_cpu_ptr(pool->cache)->out_adjust;
}

static __always_inline struct ppc_cache *
ppc_cache_of(struct pcpu_pagecache *pool, unsigned int cpu)
{
	return per_cpu_ptr(pool->cache, cpu);
}

/*
 * Take back the pages other CPUs freed into @c's window.  A page that is
 * also in @c->free was freed twice, on two CPUs at the same moment: it
 * stays free once, and the second free is counted as invalid.  The owner's
 * section, or pool->lock with the owner dead.
 */
static inline bool ppc_pending_merge(struct pcpu_pagecache *pool, struct ppc_cache *c)
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
		local_add(hweight_long(dup), ppc_out_adjust(pool));
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

/* ---- The check of a free, under the lock (ppc_remote.c) ------------------ */

static inline const char *ppc_free_check_locked(struct pcpu_pagecache *pool,
						unsigned long first,
						unsigned long npages)
{
	lockdep_assert_held(&pool->lock);
	return ppc_free_check(pool, first, npages);
}

#endif /* _PPC_INTERNAL_H */

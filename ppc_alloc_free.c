// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache: the alloc and free paths, from the exported entry points
 * to the pool lock: the fast paths on the CPU's window, their ways out,
 * the slow paths under the lock (runs taken and freed in slices), the
 * bulk forms, and the queueing of a remote free into this CPU's batch.
 *
 * One translation unit on purpose: pcpu_pagecache_alloc_page(),
 * pcpu_pagecache_free_page() and the __ forms inline the section and the
 * window's helpers, and call ways out that sit here with them (static, so
 * that the compiler sees what they clobber), which is what keeps the fast
 * path the handful of instructions bench/count-insns.sh counts.  What they
 * call only off the fast path is in the files of its concern: the window's
 * refill (ppc_cache.c), the reclaim of other CPUs' caches
 * (ppc_reclaim.c), and the batches applied under the lock
 * (ppc_remote.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/seqlock.h>

#include "ppc_internal.h"
#include "pcpu_pagecache_trace.h"

/* ---- Allocation: under the lock, a window's refill, runs in slices ------- */

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

static __always_inline phys_addr_t ppc_window_take(struct ppc_cache *c, unsigned int i,
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
			local_add(npages - 1, &c->out_adjust);
			local_inc(&c->alloc_fast);
			return ppc_window_take(c, i, npages);
		}
	}
again:
	if (likely(!in_nmi()))
		flags = ppc_lock(pool);
	else if (!raw_spin_trylock_irqsave(&pool->lock, flags))
		return ppc_alloc_counted(pool, 0, npages);
	ppc_cache_flush_locked(pool, smp_processor_id(), PPC_FLUSH_REFILL);
	if (ppc_cache_fill_locked(pool, c, npages))
		addr = ppc_window_take(c, ppc_word_find(c->free, npages), npages);
	else
		addr = ppc_bits_alloc_locked(pool, npages);
	if (addr)
		local_add(npages, &c->out_adjust);
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
		local_add(npages, ppc_out_adjust(pool));
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
		local_add(npages, ppc_out_adjust(pool));
	ppc_unlock(pool, flags);
	return addr;
}

/* ---- Owners: the records of an allocation (ppc_owners.c keeps them) ------ */

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

/* ---- Allocation: slow path, fast paths and their ways out, bulk ---------- */

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
	local_add(npages - 1, &c->out_adjust);
	local_inc(&c->alloc_fast);
	return c->base + ((phys_addr_t)__ffs(low) << PAGE_SHIFT);
}

/* One allocation inside the section. */
static __always_inline phys_addr_t ppc_window_alloc(struct pcpu_pagecache *pool,
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
	addr = ppc_window_alloc(pool, c, npages);
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
		addrs[i] = c ? ppc_window_alloc(pool, c, npages) :
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

/* ---- Free: the checks made without the lock ------------------------------ */

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

/* ---- Free: the slow path, and runs freed in slices ----------------------- */

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
	struct ppc_bitmap_frees f = { .claimed = true };
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
		ppc_bitmap_frees_flush_locked(pool, &f);
		local_sub(n, ppc_out_adjust(pool));
		ppc_unlock(pool, flags);
	}
	return NULL;
}

/* Runs too large for a window, NOCACHE pools, and interrupted sections. */
static noinline int ppc_free_slow(struct pcpu_pagecache *pool,
				  phys_addr_t addr, unsigned int npages,
				    unsigned long caller)
{
	struct ppc_bitmap_frees f = { 0 };
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
		ppc_bitmap_frees_flush_locked(pool, &f);
		local_sub(npages, ppc_out_adjust(pool));
	}
	ppc_unlock(pool, flags);
out:
	if (why)
		return ppc_bad_free(pool, addr, npages, why, caller);
	this_cpu_inc(pool->cache->free_slow);
	trace_pcpu_pagecache_free_slow(pool->name, addr, npages);
	return 0;
}

/* ---- Remote frees: into this CPU's batch (ppc_remote.c applies it) ------- */

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
	local_sub(npages, &c->out_adjust);
	this_cpu_inc(pool->cache->free_remote);
	if (c->batch_frees == PPC_BATCH)
		ppc_batch_apply(pool, c);
	return 0;
}

/* ---- Free: the fast paths and their ways out, bulk ----------------------- */

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

static __always_inline void ppc_window_put(struct ppc_cache *c,
					   unsigned long bits, unsigned int npages)
{
	c->free |= bits;
	local_sub(npages - 1, &c->out_adjust);
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
	ppc_window_put(c, bits, npages);
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
	ppc_window_put(c, bits, npages);
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

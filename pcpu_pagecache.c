// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache: a page allocator for a physical region, with per-CPU
 * page caches.  The design, its limits and the context rules are in
 * pcpu_pagecache.h and Documentation/pcpu_pagecache.rst.
 *
 * Locking
 * -------
 * pool->lock (a spinlock, taken with interrupts disabled) guards the chunk
 * bitmaps, summaries and window owners, pool->nfree and pool->hint.
 *
 * A CPU's cache (struct ppc_cache) is written only by that CPU with
 * interrupts disabled, or by another CPU under pool->lock while the owner
 * cannot run: it is dead (hotplug), or the pool is being destroyed.  Drain
 * flushes each online CPU's cache on that CPU, by IPI.
 *
 * The owner of a window reads its bitmap word without the lock, to refuse a
 * free of pages that are not handed out.  Writers of that word hold the
 * lock and only change bits of pages the owner is not freeing, unless the
 * caller frees the same page twice at the same time, which no allocator
 * can tell from a correct free.
 *
 * Lock order: ppc_pools_mutex -> cpus_read_lock -> pool->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/stop_machine.h>
#include <linux/uaccess.h>

#include "pcpu_pagecache.h"

#define CREATE_TRACE_POINTS
#include "pcpu_pagecache_trace.h"

#ifndef CONFIG_64BIT
#error "pcpu_pagecache keeps a 64-page window in one unsigned long"
#endif

#define PPC_CHUNK_PAGES		PCPU_PAGECACHE_CHUNK_PAGES
#define PPC_CHUNK_SHIFT		(PAGE_SHIFT + 10)
#define PPC_WINDOW		PCPU_PAGECACHE_CACHE_PAGES
#define PPC_WORDS		(PPC_CHUNK_PAGES / PPC_WINDOW)
#define PPC_NAME_MAX		32

static_assert(PPC_CHUNK_PAGES == 1 << (PPC_CHUNK_SHIFT - PAGE_SHIFT));
static_assert(PPC_WINDOW == BITS_PER_LONG);

/*
 * A 4 MiB chunk.  A set bit is a page that is not free in the bitmap: handed
 * out, in a CPU's cache, or past the end of the pool.  The summary (free run
 * at the start, longest, at the end) lets a search skip the chunk.
 */
struct ppc_chunk {
	unsigned long bits[PPC_WORDS];
	u16 owner[PPC_WORDS];	/* 1 + the CPU whose window this word is */
	u16 nfree;
	u16 start;
	u16 max;
	u16 end;
	u16 npages;		/* pages of the pool in this chunk */
	phys_addr_t phys;
	void *va;
};

/*
 * A CPU's window: pages [base, base + span) of one bitmap word, and which of
 * them are free in this cache.  span is 0 when the CPU has no window.
 */
struct ppc_cache {
	phys_addr_t base;
	unsigned long free;
	unsigned int span;
	unsigned long *word;
	struct ppc_chunk *chunk;
	/*
	 * Pages handed out here minus pages freed here.  It moves with
	 * interrupts off, in the same section as the pages it counts, so a
	 * stop_machine() snapshot sees both moves or neither.
	 */
	long pages_out;
	unsigned long alloc_fast;
	unsigned long alloc_slow;
	unsigned long alloc_fail;
	unsigned long free_fast;
	unsigned long free_slow;
	unsigned long refills;
	unsigned long flushes;
	unsigned long lock_acquisitions;
	unsigned long invalid_frees;
};

struct pcpu_pagecache {
	struct ppc_cache __percpu *cache;
	unsigned int fast_limit;	/* npages - 1 below this: the cache */
	spinlock_t lock;
	unsigned long nfree;		/* pages free in the bitmaps */
	unsigned int hint;		/* no free page in chunks below it */
	unsigned int nchunks;
	struct ppc_chunk *chunks;	/* in physical address order */
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

	spin_lock_irqsave(&pool->lock, flags);
	this_cpu_inc(pool->cache->lock_acquisitions);
	return flags;
}

static void ppc_unlock(struct pcpu_pagecache *pool, unsigned long flags)
	__releases(&pool->lock)
{
	spin_unlock_irqrestore(&pool->lock, flags);
}

/* ---- Bit helpers -------------------------------------------------------- */

static __always_inline unsigned long ppc_mask(unsigned int npages)
{
	return ~0UL >> (BITS_PER_LONG - npages);
}

/*
 * First bit of a run of @npages set bits in @free, or PPC_WINDOW.  Each
 * step drops the top bits of every run; a shift never exceeds the narrowest
 * gap between runs, and every step at least doubles that gap.
 */
static __always_inline unsigned int ppc_find_run(unsigned long free,
						 unsigned int npages)
{
	unsigned int left = npages - 1, shift = 1, s;

	while (left && free) {
		s = min(left, shift);
		free &= free >> s;
		left -= s;
		shift <<= 1;
	}
	return free ? __ffs(free) : PPC_WINDOW;
}

/* Longest run of clear bits between the lowest and highest set bit of @x. */
static unsigned int ppc_inner_run(unsigned long x)
{
	unsigned int lo = __ffs(x), hi = __fls(x), n = 0;
	unsigned long y;

	if (hi - lo < 2)
		return 0;
	y = ~x & (ppc_mask(hi - lo - 1) << (lo + 1));
	while (y) {
		y &= y << 1;
		n++;
	}
	return n;
}

static void ppc_chunk_summarize(struct ppc_chunk *ch)
{
	unsigned int w, run = 0, max = 0, start = 0;
	bool at_start = true;
	unsigned long x;

	for (w = 0; w < PPC_WORDS; w++) {
		x = ch->bits[w];
		if (!x) {
			run += BITS_PER_LONG;
			continue;
		}
		run += __ffs(x);
		if (at_start) {
			start = run;
			at_start = false;
		}
		max = max(max, run);
		if (max < BITS_PER_LONG - 2)
			max = max(max, ppc_inner_run(x));
		run = BITS_PER_LONG - 1 - __fls(x);
	}
	ch->start = at_start ? run : start;
	ch->max = max(max, run);
	ch->end = run;
}

/* ---- Chunks and the bitmap (pool->lock) ---------------------------------- */

static struct ppc_chunk *ppc_chunk_find(struct pcpu_pagecache *pool,
					phys_addr_t addr)
{
	unsigned int lo = 0, hi = pool->nchunks, mid;
	struct ppc_chunk *ch;

	if (pool->base) {
		if (addr < pool->base || addr - pool->base >= pool->size)
			return NULL;
		return &pool->chunks[(addr - pool->base) >> PPC_CHUNK_SHIFT];
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		ch = &pool->chunks[mid];
		if (addr < ch->phys)
			hi = mid;
		else if (addr - ch->phys >= (phys_addr_t)ch->npages << PAGE_SHIFT)
			lo = mid + 1;
		else
			return ch;
	}
	return NULL;
}

static void ppc_bits_update_locked(struct pcpu_pagecache *pool,
				   struct ppc_chunk *ch, unsigned int bit,
				   unsigned int npages, bool set)
{
	unsigned int k;

	while (npages) {
		k = min(npages, PPC_CHUNK_PAGES - bit);
		if (set) {
			bitmap_set(ch->bits, bit, k);
			ch->nfree -= k;
			pool->nfree -= k;
		} else {
			bitmap_clear(ch->bits, bit, k);
			ch->nfree += k;
			pool->nfree += k;
			pool->hint = min_t(unsigned int, pool->hint,
					   ch - pool->chunks);
		}
		ppc_chunk_summarize(ch);
		npages -= k;
		ch++;
		bit = 0;
	}
}

/* Like Go's searchAddr: no chunk below the hint has a free page. */
static void ppc_hint_advance_locked(struct pcpu_pagecache *pool)
{
	while (pool->hint < pool->nchunks && !pool->chunks[pool->hint].nfree)
		pool->hint++;
}

/*
 * First fit over the chunks from the hint.  @run counts free pages that end
 * the chunks seen so far, so a run may cross chunk edges; chunks from the
 * page allocator are not contiguous, so there it restarts at each chunk.
 */
static phys_addr_t ppc_bits_alloc_locked(struct pcpu_pagecache *pool,
					 unsigned int npages)
{
	struct ppc_chunk *ch, *run_ch = NULL;
	unsigned int i, bit, run = 0, run_bit = 0;

	ppc_hint_advance_locked(pool);
	for (i = pool->hint; i < pool->nchunks; i++) {
		ch = &pool->chunks[i];
		if (!pool->base)
			run = 0;
		if (run && run + ch->start >= npages)
			goto found;
		if (ch->max >= npages) {
			bit = bitmap_find_next_zero_area(ch->bits, PPC_CHUNK_PAGES,
							 0, npages, 0);
			if (bit + npages <= PPC_CHUNK_PAGES) {
				run_ch = ch;
				run_bit = bit;
				goto found;
			}
		}
		if (ch->start == PPC_CHUNK_PAGES) {
			if (!run) {
				run_ch = ch;
				run_bit = 0;
			}
			run += PPC_CHUNK_PAGES;
		} else {
			run_ch = ch;
			run_bit = PPC_CHUNK_PAGES - ch->end;
			run = ch->end;
		}
	}
	return 0;
found:
	ppc_bits_update_locked(pool, run_ch, run_bit, npages, true);
	return run_ch->phys + ((phys_addr_t)run_bit << PAGE_SHIFT);
}

/* ---- Per-CPU caches ------------------------------------------------------ */

static void ppc_cache_flush_locked(struct pcpu_pagecache *pool,
				   unsigned int cpu, int reason)
{
	struct ppc_cache *c = per_cpu_ptr(pool->cache, cpu);
	struct ppc_chunk *ch = c->chunk;
	unsigned int n = hweight_long(c->free);

	if (!c->span)
		return;
	if (n) {
		WRITE_ONCE(*c->word, *c->word & ~c->free);
		ch->nfree += n;
		pool->nfree += n;
		pool->hint = min_t(unsigned int, pool->hint, ch - pool->chunks);
		ppc_chunk_summarize(ch);
	}
	ch->owner[c->word - ch->bits] = 0;
	trace_pcpu_pagecache_flush(pool->name, cpu, c->base, n, reason);
	c->free = 0;
	c->span = 0;
	c->word = NULL;
	c->chunk = NULL;
	this_cpu_inc(pool->cache->flushes);
}

/*
 * Give the local CPU the first window, from the hint on, that no other CPU
 * owns and that holds a run of @npages free pages.  Its free pages move from
 * the bitmap to the cache.
 */
static bool ppc_cache_fill_locked(struct pcpu_pagecache *pool,
				  struct ppc_cache *c, unsigned int npages)
{
	unsigned int cpu = smp_processor_id(), i, w, n;
	struct ppc_chunk *ch;
	unsigned long free;

	ppc_hint_advance_locked(pool);
	for (i = pool->hint; i < pool->nchunks; i++) {
		ch = &pool->chunks[i];
		if (ch->max < npages)
			continue;
		for (w = 0; w < PPC_WORDS; w++) {
			free = ~ch->bits[w];
			if (ch->owner[w] || ppc_find_run(free, npages) >= PPC_WINDOW)
				continue;
			n = hweight_long(free);
			ch->owner[w] = cpu + 1;
			WRITE_ONCE(ch->bits[w], ~0UL);
			ch->nfree -= n;
			pool->nfree -= n;
			ppc_chunk_summarize(ch);
			c->base = ch->phys + ((phys_addr_t)w * PPC_WINDOW << PAGE_SHIFT);
			c->span = min_t(unsigned int, PPC_WINDOW,
					ch->npages - w * PPC_WINDOW) << PAGE_SHIFT;
			c->word = &ch->bits[w];
			c->chunk = ch;
			c->free = free;
			c->refills++;
			trace_pcpu_pagecache_refill(pool->name, cpu, c->base, n,
						    PPC_FLUSH_REFILL);
			return true;
		}
	}
	return false;
}

/*
 * Interrupts are off: the cache cannot serve @npages, so trade its window.
 * Not inlined, so that the fast path saves no registers for it.
 */
static noinline phys_addr_t
ppc_cache_refill_alloc(struct pcpu_pagecache *pool, struct ppc_cache *c,
		       unsigned int npages)
{
	phys_addr_t addr;
	unsigned int i;

	spin_lock(&pool->lock);
	c->lock_acquisitions++;
	ppc_cache_flush_locked(pool, smp_processor_id(), PPC_FLUSH_REFILL);
	if (ppc_cache_fill_locked(pool, c, npages)) {
		i = ppc_find_run(c->free, npages);
		c->free &= ~(ppc_mask(npages) << i);
		addr = c->base + ((phys_addr_t)i << PAGE_SHIFT);
	} else {
		addr = ppc_bits_alloc_locked(pool, npages);
	}
	spin_unlock(&pool->lock);

	if (!addr) {
		c->alloc_fail++;
		trace_pcpu_pagecache_alloc_fail(pool->name, 0, npages);
		return 0;
	}
	c->alloc_slow++;
	c->pages_out += npages;
	trace_pcpu_pagecache_alloc_slow(pool->name, addr, npages);
	return addr;
}

static noinline phys_addr_t ppc_alloc_locked(struct pcpu_pagecache *pool,
					     unsigned int npages)
{
	phys_addr_t addr = 0;
	unsigned long flags;

	if (npages && npages <= pool->max_run) {
		flags = ppc_lock(pool);
		addr = ppc_bits_alloc_locked(pool, npages);
		if (addr)
			this_cpu_add(pool->cache->pages_out, npages);
		ppc_unlock(pool, flags);
	}

	if (!addr) {
		this_cpu_inc(pool->cache->alloc_fail);
		trace_pcpu_pagecache_alloc_fail(pool->name, 0, npages);
		return 0;
	}
	this_cpu_inc(pool->cache->alloc_slow);
	trace_pcpu_pagecache_alloc_slow(pool->name, addr, npages);
	return addr;
}

/**
 * pcpu_pagecache_alloc - allocate physically contiguous pages from a pool
 * @pool: the pool
 * @npages: how many pages
 *
 * Requests of fewer than %PCPU_PAGECACHE_FAST_PAGES pages come from the
 * calling CPU's cache without a lock; larger ones, and misses, search the
 * bitmaps under the pool lock.  Never sleeps; any context.
 *
 * Return: the physical address of the first page, or 0 if @npages is 0,
 * larger than the pool can hold, or no run of @npages free pages is left.
 */
phys_addr_t pcpu_pagecache_alloc(struct pcpu_pagecache *pool,
				 unsigned int npages)
{
	struct ppc_cache *c;
	unsigned long flags;
	phys_addr_t addr;
	unsigned int i;

	if (unlikely(npages - 1 >= pool->fast_limit))
		return ppc_alloc_locked(pool, npages);

	local_irq_save(flags);
	c = this_cpu_ptr(pool->cache);
	i = ppc_find_run(c->free, npages);
	if (likely(i < PPC_WINDOW)) {
		c->free &= ~(ppc_mask(npages) << i);
		c->pages_out += npages;
		c->alloc_fast++;
		addr = c->base + ((phys_addr_t)i << PAGE_SHIFT);
	} else {
		addr = ppc_cache_refill_alloc(pool, c, npages);
	}
	local_irq_restore(flags);
	return addr;
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_alloc);

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
 * Why pages [bit, bit + npages) of @ch may not be freed, or NULL.  A page
 * that is clear in the bitmap is free already; a set one may still sit free
 * in the cache of the CPU that owns its word.
 */
static const char *ppc_free_check_locked(struct pcpu_pagecache *pool,
					 struct ppc_chunk *ch,
					 unsigned int bit, unsigned int npages)
{
	unsigned int k, w, b;
	unsigned long m;

	while (npages) {
		k = min(npages, PPC_CHUNK_PAGES - bit);
		if (find_next_zero_bit(ch->bits, bit + k, bit) < bit + k)
			return "pages not allocated";
		for (b = bit; b < bit + k; b = (w + 1) * PPC_WINDOW) {
			w = b / PPC_WINDOW;
			if (!ch->owner[w])
				continue;
			m = BITMAP_FIRST_WORD_MASK(b) &
			    BITMAP_LAST_WORD_MASK(min(bit + k, (w + 1) * PPC_WINDOW));
			if (READ_ONCE(per_cpu_ptr(pool->cache, ch->owner[w] - 1)->free) & m)
				return "pages free in a CPU cache";
		}
		npages -= k;
		ch++;
		bit = 0;
	}
	return NULL;
}

static noinline int ppc_free_locked(struct pcpu_pagecache *pool,
				    phys_addr_t addr, unsigned int npages,
				    unsigned long caller)
{
	struct ppc_chunk *ch = ppc_chunk_find(pool, addr);
	const char *why;
	unsigned long flags;
	unsigned int bit;
	u64 room;

	if (!npages)
		return ppc_bad_free(pool, addr, npages, "zero pages", caller);
	if (!ch)
		return ppc_bad_free(pool, addr, npages, "outside the pool", caller);
	if (!PAGE_ALIGNED(addr))
		return ppc_bad_free(pool, addr, npages, "unaligned address", caller);
	/* A run may cross chunks only in a reserved range. */
	room = pool->base ? pool->size - (addr - pool->base) :
	       ((u64)ch->npages << PAGE_SHIFT) - (addr - ch->phys);
	if (((u64)npages << PAGE_SHIFT) > room)
		return ppc_bad_free(pool, addr, npages, "past the end of the pool",
				    caller);

	bit = (addr - ch->phys) >> PAGE_SHIFT;
	flags = ppc_lock(pool);
	why = ppc_free_check_locked(pool, ch, bit, npages);
	if (!why) {
		ppc_bits_update_locked(pool, ch, bit, npages, false);
		this_cpu_sub(pool->cache->pages_out, npages);
	}
	ppc_unlock(pool, flags);

	if (why)
		return ppc_bad_free(pool, addr, npages, why, caller);
	this_cpu_inc(pool->cache->free_slow);
	trace_pcpu_pagecache_free_slow(pool->name, addr, npages);
	return 0;
}

/**
 * pcpu_pagecache_free - give pages back to their pool
 * @pool: the pool they came from
 * @addr: the physical address pcpu_pagecache_alloc() returned
 * @npages: how many pages, as passed to pcpu_pagecache_alloc()
 *
 * Pages inside the calling CPU's window go back into its cache without a
 * lock; others go back to the bitmaps under the pool lock.  A range may be
 * freed in parts.  Never sleeps; any context.
 *
 * Return: 0, or -EINVAL (with a rate-limited warning naming the caller) if
 * the range is outside the pool, unaligned, or not allocated: a double free
 * is refused, on whichever CPU it happens.
 */
int pcpu_pagecache_free(struct pcpu_pagecache *pool, phys_addr_t addr,
			unsigned int npages)
{
	struct ppc_cache *c;
	unsigned long flags, bits;
	phys_addr_t off;

	if (likely(npages - 1 < pool->fast_limit)) {
		local_irq_save(flags);
		c = this_cpu_ptr(pool->cache);
		off = addr - c->base;
		if (off < c->span && PAGE_ALIGNED(off) &&
		    ((phys_addr_t)npages << PAGE_SHIFT) <= c->span - off) {
			bits = ppc_mask(npages) << (off >> PAGE_SHIFT);
			if (likely(!(c->free & bits) &&
				   (READ_ONCE(*c->word) & bits) == bits)) {
				c->free |= bits;
				c->pages_out -= npages;
				c->free_fast++;
				local_irq_restore(flags);
				return 0;
			}
		}
		local_irq_restore(flags);
	}
	return ppc_free_locked(pool, addr, npages, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_free);

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
	struct ppc_chunk *ch = ppc_chunk_find(pool, addr);

	return ch ? ch->va + (addr - ch->phys) : NULL;
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_va);

/* ---- Hotplug and drain --------------------------------------------------- */

static void ppc_flush_cpu(struct pcpu_pagecache *pool, unsigned int cpu,
			  int reason)
{
	unsigned long flags;

	flags = ppc_lock(pool);
	ppc_cache_flush_locked(pool, cpu, reason);
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

	ppc_flush_cpu(pool, cpu, PPC_FLUSH_HOTPLUG);
	return 0;
}

/*
 * ONLINE stage: runs on the dying CPU itself, so the cache is its own.  It
 * gives the pages back early; interrupts may still refill the cache
 * afterwards, which ppc_cpu_dead() catches.
 */
static int ppc_cpu_offline(unsigned int cpu, struct hlist_node *node)
{
	struct pcpu_pagecache *pool =
		hlist_entry(node, struct pcpu_pagecache, online_node);

	ppc_flush_cpu(pool, cpu, PPC_FLUSH_HOTPLUG);
	return 0;
}

static void ppc_drain_local(void *arg)
{
	struct pcpu_pagecache *pool = arg;

	ppc_flush_cpu(pool, smp_processor_id(), PPC_FLUSH_DRAIN);
}

/**
 * pcpu_pagecache_drain - flush every CPU's cache back into the bitmaps
 * @pool: the pool
 *
 * Each online CPU flushes its own cache, by IPI.  Caches refill on the next
 * allocation.  Process context; may sleep.
 */
void pcpu_pagecache_drain(struct pcpu_pagecache *pool)
{
	unsigned int cpu;

	cpus_read_lock();
	on_each_cpu(ppc_drain_local, pool, 1);
	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu))
			ppc_flush_cpu(pool, cpu, PPC_FLUSH_DRAIN);
	cpus_read_unlock();
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_drain);

/* ---- Statistics ---------------------------------------------------------- */

struct ppc_stats_req {
	struct pcpu_pagecache *pool;
	struct pcpu_pagecache_stats *st;
};

/*
 * Runs under stop_machine(): every other CPU spins with interrupts off, and
 * none can be inside a fast path or hold the pool lock, since both run with
 * interrupts off.  So the caches, counters and bitmaps agree.
 */
static int ppc_stats_collect(void *arg)
{
	struct ppc_stats_req *req = arg;
	struct pcpu_pagecache *pool = req->pool;
	struct pcpu_pagecache_stats *st = req->st;
	struct ppc_cache *c;
	unsigned int cpu;

	memset(st, 0, sizeof(*st));
	st->pages_total = pool->npages;
	st->pages_free = pool->nfree;
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(pool->cache, cpu);
		if (cpu_online(cpu))
			st->pages_cached += hweight_long(c->free);
		else
			st->pages_leaked += hweight_long(c->free);
		st->pages_inuse += c->pages_out;
		st->alloc_fast += c->alloc_fast;
		st->alloc_slow += c->alloc_slow;
		st->alloc_fail += c->alloc_fail;
		st->free_fast += c->free_fast;
		st->free_slow += c->free_slow;
		st->refills += c->refills;
		st->flushes += c->flushes;
		st->lock_acquisitions += c->lock_acquisitions;
		st->invalid_frees += c->invalid_frees;
	}
	return 0;
}

/**
 * pcpu_pagecache_get_stats - take a consistent snapshot of a pool
 * @pool: the pool
 * @st: where to put it
 *
 * Stops every CPU for the moment it takes to read them (stop_machine()), so
 * that pages_total == pages_free + pages_cached + pages_inuse + pages_leaked
 * holds exactly, even while other CPUs allocate and free.  Process context;
 * may sleep.  Meant for tests and debugfs, not for a hot path.
 */
void pcpu_pagecache_get_stats(struct pcpu_pagecache *pool,
			      struct pcpu_pagecache_stats *st)
{
	struct ppc_stats_req req = { .pool = pool, .st = st };

	stop_machine(ppc_stats_collect, &req, NULL);
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_get_stats);

/* ---- debugfs ------------------------------------------------------------- */

static int ppc_stats_show(struct seq_file *m, void *v)
{
	struct pcpu_pagecache_stats st;

	pcpu_pagecache_get_stats(m->private, &st);
	seq_printf(m, "pages_total %llu\n", st.pages_total);
	seq_printf(m, "pages_free %llu\n", st.pages_free);
	seq_printf(m, "pages_cached %llu\n", st.pages_cached);
	seq_printf(m, "pages_inuse %lld\n", st.pages_inuse);
	seq_printf(m, "pages_leaked %llu\n", st.pages_leaked);
	seq_printf(m, "alloc_fast %llu\n", st.alloc_fast);
	seq_printf(m, "alloc_slow %llu\n", st.alloc_slow);
	seq_printf(m, "alloc_fail %llu\n", st.alloc_fail);
	seq_printf(m, "free_fast %llu\n", st.free_fast);
	seq_printf(m, "free_slow %llu\n", st.free_slow);
	seq_printf(m, "refills %llu\n", st.refills);
	seq_printf(m, "flushes %llu\n", st.flushes);
	seq_printf(m, "lock_acquisitions %llu\n", st.lock_acquisitions);
	seq_printf(m, "invalid_frees %llu\n", st.invalid_frees);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ppc_stats);

/* A live view: each row is read without stopping its CPU. */
static int ppc_cpus_show(struct seq_file *m, void *v)
{
	struct pcpu_pagecache *pool = m->private;
	struct ppc_cache *c;
	unsigned int cpu;

	seq_puts(m, "cpu online window_base cached alloc_fast alloc_slow free_fast free_slow\n");
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(pool->cache, cpu);
		seq_printf(m, "%u %d 0x%llx %lu %lu %lu %lu %lu\n", cpu,
			   cpu_online(cpu),
			   READ_ONCE(c->span) ? (u64)READ_ONCE(c->base) : 0ULL,
			   hweight_long(READ_ONCE(c->free)),
			   READ_ONCE(c->alloc_fast), READ_ONCE(c->alloc_slow),
			   READ_ONCE(c->free_fast), READ_ONCE(c->free_slow));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ppc_cpus);

static int ppc_chunks_show(struct seq_file *m, void *v)
{
	struct pcpu_pagecache *pool = m->private;
	struct ppc_chunk *ch;
	unsigned long flags;
	unsigned int i;

	seq_puts(m, "chunk base free longest\n");
	for (i = 0; i < pool->nchunks; i++) {
		ch = &pool->chunks[i];
		flags = ppc_lock(pool);
		seq_printf(m, "%u 0x%llx %u %u\n", i, (u64)ch->phys, ch->nfree,
			   ch->max);
		ppc_unlock(pool, flags);
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
	pool->va = memremap(b, sz, MEMREMAP_WB);
	if (!pool->va) {
		pr_err_ratelimited("%s: cannot map [%pa, +%zu)\n", pool->name,
				   &b, sz);
		release_mem_region(b, sz);
		goto err_name;
	}
	return 0;

err_name:
	kfree(pool->res_name);
	pool->res_name = NULL;
	return -EBUSY;
}

static int ppc_chunk_cmp(const void *a, const void *b)
{
	const struct ppc_chunk *x = a, *y = b;

	return x->phys < y->phys ? -1 : x->phys > y->phys;
}

static void ppc_blocks_free(struct pcpu_pagecache *pool, bool all)
{
	struct ppc_chunk *ch;
	unsigned int i;

	for (i = 0; i < pool->nchunks; i++) {
		ch = &pool->chunks[i];
		if (ch->va && (all || ch->nfree == ch->npages))
			free_pages_exact(ch->va, (size_t)ch->npages << PAGE_SHIFT);
	}
}

static int ppc_blocks_alloc(struct pcpu_pagecache *pool)
{
	struct ppc_chunk *ch;
	unsigned int i;

	for (i = 0; i < pool->nchunks; i++) {
		ch = &pool->chunks[i];
		ch->va = alloc_pages_exact((size_t)ch->npages << PAGE_SHIFT,
					   GFP_KERNEL | __GFP_NOWARN);
		if (!ch->va) {
			ppc_blocks_free(pool, true);
			return -ENOMEM;
		}
		ch->phys = virt_to_phys(ch->va);
	}
	sort(pool->chunks, pool->nchunks, sizeof(*ch), ppc_chunk_cmp, NULL);
	return 0;
}

static void ppc_chunks_init(struct pcpu_pagecache *pool)
{
	struct ppc_chunk *ch;
	unsigned int i;

	for (i = 0; i < pool->nchunks; i++) {
		ch = &pool->chunks[i];
		if (pool->base) {
			ch->phys = pool->base + ((phys_addr_t)i << PPC_CHUNK_SHIFT);
			ch->va = pool->va + ((size_t)i << PPC_CHUNK_SHIFT);
		}
		/* Pages past the end of the pool are never free. */
		bitmap_set(ch->bits, ch->npages, PPC_CHUNK_PAGES - ch->npages);
		ch->nfree = ch->npages;
		ppc_chunk_summarize(ch);
	}
	pool->nfree = pool->npages;
}

static int ppc_check_args(const char *name, phys_addr_t b, size_t sz,
			  unsigned int flags)
{
	if (!name || !*name || strlen(name) >= PPC_NAME_MAX || strchr(name, '/')) {
		pr_err_ratelimited("pool name must be 1 to %d characters without '/'\n",
				   PPC_NAME_MAX - 1);
		return -EINVAL;
	}
	if (!sz || !PAGE_ALIGNED(sz) || !PAGE_ALIGNED(b)) {
		pr_err_ratelimited("%s: base %pa and size %zu must be page aligned, size not 0\n",
				   name, &b, sz);
		return -EINVAL;
	}
	if (b + sz - 1 < b || (sz >> PAGE_SHIFT) > UINT_MAX) {
		pr_err_ratelimited("%s: [%pa, +%zu) is too large\n", name, &b, sz);
		return -EINVAL;
	}
	if (flags & ~PCPU_PAGECACHE_NOCACHE) {
		pr_err_ratelimited("%s: unknown flags %#x\n", name, flags);
		return -EINVAL;
	}
	return 0;
}

static struct pcpu_pagecache *ppc_find_locked(const char *name)
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
 * @flags: 0, or %PCPU_PAGECACHE_NOCACHE to send every operation to the
 *	locked bitmaps (for comparison)
 *
 * A reserved range is claimed with request_mem_region() (it then shows in
 * /proc/iomem) and mapped with memremap(); it must not be System RAM.
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
	if (ppc_find_locked(name)) {
		pr_err_ratelimited("%s: a pool with this name exists\n", name);
		ret = -EEXIST;
		goto err_unlock;
	}
	ret = -ENOMEM;
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		goto err_unlock;
	strscpy(pool->name, name, sizeof(pool->name));
	spin_lock_init(&pool->lock);
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
	pool->chunks = kvcalloc(pool->nchunks, sizeof(*pool->chunks),
				GFP_KERNEL);
	if (!pool->chunks)
		goto err_cache;
	for (i = 0; i < pool->nchunks; i++)
		pool->chunks[i].npages = min_t(unsigned long, PPC_CHUNK_PAGES,
					       pool->npages - i * PPC_CHUNK_PAGES);

	ret = base ? ppc_region_claim(pool) : ppc_blocks_alloc(pool);
	if (ret)
		goto err_chunks;
	ppc_chunks_init(pool);

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
	if (base) {
		memunmap(pool->va);
		release_mem_region(base, size);
		kfree(pool->res_name);
	} else {
		ppc_blocks_free(pool, true);
	}
err_chunks:
	kvfree(pool->chunks);
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
 * reported and their memory is kept (the blocks that hold them, or the
 * whole reserved range stays claimed and mapped), since a caller may still
 * write to it.  Process context; may sleep.
 */
void pcpu_pagecache_destroy(struct pcpu_pagecache *pool)
{
	unsigned long inuse;
	unsigned int cpu;

	if (IS_ERR_OR_NULL(pool))
		return;

	mutex_lock(&ppc_pools_mutex);
	list_del(&pool->list);
	if (pool == ppc_default_pool)
		ppc_default_pool = NULL;
	mutex_unlock(&ppc_pools_mutex);

	debugfs_remove_recursive(pool->dir);
	/*
	 * The _nocalls variants: removing with calls would run the dead
	 * callback for CPUs that are still online.  Nobody uses the pool now,
	 * so every cache can be flushed from here.
	 */
	cpuhp_state_remove_instance_nocalls(ppc_online_state, &pool->online_node);
	cpuhp_state_remove_instance_nocalls(ppc_prepare_state,
					    &pool->prepare_node);
	for_each_possible_cpu(cpu)
		ppc_flush_cpu(pool, cpu, PPC_FLUSH_DESTROY);

	inuse = pool->npages - pool->nfree;
	if (inuse)
		pr_warn("%s: %lu pages still in use at destroy; keeping their memory\n",
			pool->name, inuse);

	if (!pool->base) {
		ppc_blocks_free(pool, false);
	} else if (!inuse) {
		memunmap(pool->va);
		release_mem_region(pool->base, pool->size);
		kfree(pool->res_name);
	}
	kvfree(pool->chunks);
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

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpu_pagecache: a page allocator for a physical region set aside for
 * other kernel modules, with a lockless per-CPU page cache.
 *
 * A pool manages one physical region: a bitmap of its pages with a radix
 * tree of free-run summaries over 4 MiB chunks, under one lock, and on each
 * CPU a window of 64 pages that serves allocations of fewer than
 * %PCPU_PAGECACHE_FAST_PAGES pages, and frees of its own pages, with
 * preemption disabled and no lock or atomic instruction.  Other frees go
 * back in per-CPU batches of %PCPU_PAGECACHE_BATCH; an allocation that
 * finds nothing asks every CPU's cache back first.  The design, its
 * guarantees and its words (window, batch, pending, section...) are told
 * once, in Documentation/pcpu_pagecache.rst.  This header is the contract.
 *
 * Limits
 * ------
 * A request is served from one run of physically contiguous pages.  For a
 * reserved range the run may cross chunks, up to the whole region; for a
 * pool built from the page allocator's 4 MiB blocks the limit is 1024 pages.
 *
 * Context rules
 * -------------
 * pcpu_pagecache_alloc(), pcpu_pagecache_free(), their _bulk() forms,
 * pcpu_pagecache_va() and pcpu_pagecache_get_stats() never sleep and may be
 * called from process, softirq and hardirq context, with or without
 * interrupts disabled.  The single calls (not the _bulk() forms, which
 * refuse) may be called from NMI too: there an allocation that the CPU's
 * window cannot serve and whose lock is busy returns 0 ("not now", not
 * "empty"), and a free that needs the busy lock returns -EBUSY (the pages
 * stay the caller's); neither waits or sends an IPI.  Owner records of a
 * tracked pool are cleared before such a free: a -EBUSY one leaves its
 * pages unrecorded.
 * pcpu_pagecache_create(), pcpu_pagecache_destroy(), pcpu_pagecache_drain()
 * and pcpu_pagecache_default() may sleep: process context only.  A pool
 * must not be used after, or while, it is destroyed.
 */
#ifndef _PCPU_PAGECACHE_H
#define _PCPU_PAGECACHE_H

#include <linux/err.h>
#include <linux/export.h>
#include <linux/kconfig.h>
#include <linux/types.h>
#include "pcpu_pagecache_stats.h"

/* Pages in one chunk: its bitmap is this many bits. */
#define PCPU_PAGECACHE_CHUNK_PAGES	1024
/* Pages in a per-CPU window. */
#define PCPU_PAGECACHE_WINDOW_PAGES	64
/* Requests of fewer pages than this are served from the CPU's window. */
#define PCPU_PAGECACHE_FAST_PAGES	16
/* Frees outside the local window that take the pool lock once. */
#define PCPU_PAGECACHE_BATCH		16

/* Flags for pcpu_pagecache_create_flags(). */
#define PCPU_PAGECACHE_NOCACHE		0x1	/* every operation takes the lock */
#define PCPU_PAGECACHE_TRACK		0x2	/* record who holds each run */

struct pcpu_pagecache;

struct pcpu_pagecache *pcpu_pagecache_create(const char *name, phys_addr_t base,
					     size_t size);
struct pcpu_pagecache *pcpu_pagecache_create_flags(const char *name,
						   phys_addr_t base,
						   size_t size,
						   unsigned int flags);
void pcpu_pagecache_destroy(struct pcpu_pagecache *pool);
struct pcpu_pagecache *pcpu_pagecache_default(void);
phys_addr_t __pcpu_pagecache_alloc(struct pcpu_pagecache *pool,
				   unsigned int npages);
int __pcpu_pagecache_free(struct pcpu_pagecache *pool, phys_addr_t addr,
			  unsigned int npages);
phys_addr_t pcpu_pagecache_alloc_page(struct pcpu_pagecache *pool);
int pcpu_pagecache_free_page(struct pcpu_pagecache *pool, phys_addr_t addr);
void *pcpu_pagecache_va(struct pcpu_pagecache *pool, phys_addr_t addr);
void pcpu_pagecache_drain(struct pcpu_pagecache *pool);
unsigned int pcpu_pagecache_alloc_bulk(struct pcpu_pagecache *pool,
				       unsigned int npages, unsigned int count,
				       phys_addr_t *addrs);
int pcpu_pagecache_free_bulk(struct pcpu_pagecache *pool, unsigned int npages,
			     unsigned int count, const phys_addr_t *addrs);

/**
 * struct pcpu_pagecache_stats - a consistent snapshot of a pool
 * @pages_total: pages the pool manages
 * @pages_free: pages free in the bitmaps
 * @pages_cached: pages free in the caches (windows and batches) of
 *	online CPUs
 * @pages_inuse: pages handed out and not yet freed
 * @pages_leaked: pages free in the caches of offline CPUs
 * @alloc_fast: allocations served from the local window
 * @alloc_slow: allocations that took the pool lock
 * @alloc_fail: allocations that returned 0
 * @free_fast: frees returned to the local window
 * @free_slow: frees that took the pool lock
 * @refills: windows taken from the bitmaps
 * @flushes: windows given back to the bitmaps
 * @lock_acquisitions: times the pool lock was taken
 * @invalid_frees: frees refused, at the call (-EINVAL) or when a batch
 *	found a double free that raced with the first free
 * @free_remote: frees outside the local window, queued in a batch
 * @reclaims: times a CPU asked every cache for its pages before failing
 * @reclaim_joins: times a CPU found such a round in flight, and waited for
 *	it instead of sending IPIs of its own
 *
 * pages_total == pages_free + pages_cached + pages_inuse + pages_leaked
 * when the pool is quiet; see pcpu_pagecache_get_stats().  The fields are
 * those of PCPU_PAGECACHE_STATS(), in its order.
 */
struct pcpu_pagecache_stats {
	u64 pages_total;
	u64 pages_free;
	u64 pages_cached;
	s64 pages_inuse;
	u64 pages_leaked;
	u64 alloc_fast;
	u64 alloc_slow;
	u64 alloc_fail;
	u64 free_fast;
	u64 free_slow;
	u64 refills;
	u64 flushes;
	u64 lock_acquisitions;
	u64 invalid_frees;
	u64 free_remote;
	u64 reclaims;
	u64 reclaim_joins;
};

void pcpu_pagecache_get_stats(struct pcpu_pagecache *pool,
			      struct pcpu_pagecache_stats *st);

/**
 * pcpu_pagecache_alloc - allocate physically contiguous pages from a pool
 * @pool: the pool
 * @npages: how many pages
 *
 * A constant @npages of 1 calls pcpu_pagecache_alloc_page(), the shortest
 * path; any other calls __pcpu_pagecache_alloc().  Never sleeps; any
 * context but NMI.
 *
 * Return: the physical address of the first page, or 0 if @npages is 0,
 * larger than the pool can hold, or no run of @npages free pages is left.
 */
static __always_inline phys_addr_t
pcpu_pagecache_alloc(struct pcpu_pagecache *pool, unsigned int npages)
{
	if (__builtin_constant_p(npages) && npages == 1)
		return pcpu_pagecache_alloc_page(pool);
	return __pcpu_pagecache_alloc(pool, npages);
}

/**
 * pcpu_pagecache_free - give pages back to their pool
 * @pool: the pool they came from
 * @addr: the physical address pcpu_pagecache_alloc() returned
 * @npages: how many pages, as passed to pcpu_pagecache_alloc()
 *
 * A constant @npages of 1 calls pcpu_pagecache_free_page(); any other
 * calls __pcpu_pagecache_free().  A range may be freed in parts.  Never
 * sleeps; any context (NMI: see above).
 *
 * Return: 0, or -EINVAL if the range is outside the pool, unaligned, or
 * not allocated; in NMI, -EBUSY if the free needs the pool lock and it is
 * busy (the pages stay the caller's).
 */
static __always_inline int pcpu_pagecache_free(struct pcpu_pagecache *pool,
					       phys_addr_t addr,
					       unsigned int npages)
{
	if (__builtin_constant_p(npages) && npages == 1)
		return pcpu_pagecache_free_page(pool, addr);
	return __pcpu_pagecache_free(pool, addr, npages);
}

/*
 * A dma-buf heap on a pool: /dev/dma_heap/<name>, for user space and
 * devices (Documentation/pcpu_pagecache.rst, "A dma-buf heap").  Where the
 * kernel has no dma-bufs, adding one fails with -EOPNOTSUPP.
 */
struct pcpu_pagecache_heap;
struct module;

#if IS_ENABLED(CONFIG_DMA_SHARED_BUFFER)
struct pcpu_pagecache_heap *
__pcpu_pagecache_heap_add(struct pcpu_pagecache *pool, const char *name,
			  unsigned long max_pages, struct module *owner);
void pcpu_pagecache_heap_remove(struct pcpu_pagecache_heap *heap);
#else
static inline struct pcpu_pagecache_heap *
__pcpu_pagecache_heap_add(struct pcpu_pagecache *pool, const char *name,
			  unsigned long max_pages, struct module *owner)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void pcpu_pagecache_heap_remove(struct pcpu_pagecache_heap *heap)
{
}
#endif

/**
 * pcpu_pagecache_heap_add - give a pool a dma-buf heap device
 * @pool: the pool its buffers come from
 * @name: /dev/dma_heap/@name
 * @max_pages: the most pages its buffers may hold together; 0: no cap
 *
 * Each buffer holds the calling module, so that its exit, which must call
 * pcpu_pagecache_heap_remove() before destroying @pool, cannot run while a
 * buffer lives.  See __pcpu_pagecache_heap_add().  Process context; may
 * sleep.
 *
 * Return: the heap, or an ERR_PTR().
 */
static inline struct pcpu_pagecache_heap *
pcpu_pagecache_heap_add(struct pcpu_pagecache *pool, const char *name,
			unsigned long max_pages)
{
	return __pcpu_pagecache_heap_add(pool, name, max_pages, THIS_MODULE);
}

#endif /* _PCPU_PAGECACHE_H */

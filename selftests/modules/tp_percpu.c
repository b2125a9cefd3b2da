// SPDX-License-Identifier: GPL-2.0
/*
 * The per-CPU windows: the fast path without the lock, the
 * exact counter moves of a known sequence, drains, the single-page
 * entries, and stats read with interrupts off.
 */
#include "test_pcpu_pagecache.h"

#include <linux/irqflags.h>
#include <linux/sched.h>
#include <linux/slab.h>

/*
 * @count pairs of alloc(@n) and free on @cpu, all on the fast path; with
 * @warm after one that takes a window.
 */
static void fast_pairs(struct pcpu_pagecache *pool, int cpu, bool warm,
		       unsigned int n, unsigned int count, const char *what,
		       int line)
{
	struct snap s0, s1;

	if (warm)
		CHECK_EQ(pairs_on(cpu, pool, 1, n), 0);
	snap_take(pool, &s0);
	CHECK_EQ(pairs_on(cpu, pool, count, n), 0);
	snap_take(pool, &s1);
	snap_delta(&s0, &s1, ST_PAIRS(ST_alloc_fast, count, ST_free_fast, count),
		   what, line);
}

int t_percpu_no_lock(struct tp_fix *f)
{
	struct pcpu_pagecache *pool = f->tp.pool;

	fast_pairs(pool, f->cpu, true, 1, 100000,
		   "100000 alloc(1)+free pairs, warm cache", __LINE__);
	/* Sizes up to 15 stay on the fast path too. */
	fast_pairs(pool, f->cpu, false, PCPU_PAGECACHE_FAST_PAGES - 1, 10000,
		   "10000 alloc(15)+free pairs", __LINE__);
	/* On another CPU too, with its own window. */
	fast_pairs(pool, f->other, true, 1, 10000, "10000 pairs on a second cpu",
		   __LINE__);
	return 0;
}

/* The pages t_percpu_counts() holds: off the stack. */
struct counts {
	phys_addr_t w0[WINDOW], w1, c[5], q;
};

/* The first window, then a second, page by page: refills and fast allocs. */
static void counts_windows(struct pcpu_pagecache *pool, int cpu,
			   struct counts *k, struct snap *s0)
{
	unsigned int i;

	/* A first allocation refills: a whole window, one page of it used. */
	CHECK_EQ(alloc_on(cpu, pool, &k->w0[0], 1, 1), 0);
	STEP(pool, s0, "first alloc(1)", ST_refills, 1, ST_alloc_slow, 1,
	     ST_lock_acquisitions, 1, ST_pages_free, -WINDOW,
	     ST_pages_cached, WINDOW - 1, ST_pages_inuse, 1);
	/* The other 63 come from the cache. */
	CHECK_EQ(alloc_on(cpu, pool, &k->w0[1], WINDOW - 1, 1), 0);
	STEP(pool, s0, "63 more alloc(1)", ST_alloc_fast, WINDOW - 1,
	     ST_pages_cached, -(WINDOW - 1), ST_pages_inuse, WINDOW - 1);
	for (i = 1; i < WINDOW; i++)
		CHECK_EQ(k->w0[i] & ~((phys_addr_t)WINDOW * PAGE_SIZE - 1),
			 k->w0[0] & ~((phys_addr_t)WINDOW * PAGE_SIZE - 1));
	/* The 65th: the window is used up, a new one. */
	CHECK_EQ(alloc_on(cpu, pool, &k->w1, 1, 1), 0);
	STEP(pool, s0, "65th alloc(1)", ST_refills, 1, ST_alloc_slow, 1,
	     ST_lock_acquisitions, 1, ST_pages_free, -WINDOW,
	     ST_pages_cached, WINDOW - 1, ST_pages_inuse, 1,
	     ST_flushes, ST_ANY);
	/* Freeing it: inside the window, fast. */
	CHECK_EQ(free_on(cpu, pool, &k->w1, 1, 1), 0);
	STEP(pool, s0, "free inside the window", ST_free_fast, 1,
	     ST_pages_cached, 1, ST_pages_inuse, -1);
}

/* 16 pages, cached pool or not: the bitmaps, under the lock, both ways. */
static void counts_run16(struct pcpu_pagecache *pool, int cpu,
			 struct counts *k, struct snap *s0, const char *what)
{
	CHECK_EQ(alloc_on(cpu, pool, &k->q, 1, 16), 0);
	step(pool, s0, ST_PAIRS(ST_alloc_slow, 1, ST_lock_acquisitions, 1,
				ST_pages_free, -16, ST_pages_inuse, 16),
	     what, __LINE__);
	CHECK_EQ(free_on(cpu, pool, &k->q, 1, 16), 0);
	step(pool, s0, ST_PAIRS(ST_free_slow, 1, ST_lock_acquisitions, 1,
				ST_pages_free, 16, ST_pages_inuse, -16),
	     what, __LINE__);
}

/* Runs: 16 pages take the lock, 15 fit in a window until they do not. */
static void counts_runs(struct pcpu_pagecache *pool, int cpu,
			struct counts *k, struct snap *s0)
{
	counts_run16(pool, cpu, k, s0, "alloc(16), free(16)");
	/* Four runs of 15 from the 64 cached pages. */
	CHECK_EQ(alloc_on(cpu, pool, k->c, 4, 15), 0);
	STEP(pool, s0, "4 x alloc(15)", ST_alloc_fast, 4, ST_pages_cached, -60,
	     ST_pages_inuse, 60);
	/* A fifth does not fit in the 4 left: flush them, refill. */
	CHECK_EQ(alloc_on(cpu, pool, &k->c[4], 1, 15), 0);
	STEP(pool, s0, "alloc(15) with 4 cached", ST_refills, 1,
	     ST_flushes, 1, ST_alloc_slow, 1, ST_lock_acquisitions, 1,
	     ST_pages_free, 4 - WINDOW, ST_pages_cached, WINDOW - 15 - 4,
	     ST_pages_inuse, 15);
}

/* Frees outside the window, and on another CPU: batches, the lock. */
static void counts_frees(struct pcpu_pagecache *pool, int cpu, int other,
			 struct counts *k, struct snap *s0)
{
	/*
	 * Frees outside the current window wait in the CPU's batch, without
	 * the lock; their pages count as cached until the batch goes back.
	 */
	CHECK_EQ(free_on(cpu, pool, &k->w0[0], 1, 1), 0);
	STEP(pool, s0, "free of an old window's page", ST_free_remote, 1,
	     ST_pages_cached, 1, ST_pages_inuse, -1);
	CHECK_EQ(free_on(cpu, pool, k->c, 4, 15), 0);
	STEP(pool, s0, "4 x free(15) of the old window", ST_free_remote, 4,
	     ST_pages_cached, 60, ST_pages_inuse, -60);
	CHECK_EQ(free_on(cpu, pool, &k->c[4], 1, 15), 0);
	STEP(pool, s0, "free(15) in the window", ST_free_fast, 1,
	     ST_pages_cached, 15, ST_pages_inuse, -15);
	/* A page of cpu's window freed on another CPU: the lock. */
	CHECK_EQ(alloc_on(cpu, pool, &k->q, 1, 1), 0);
	STEP(pool, s0, "alloc(1)", ST_alloc_fast, 1, ST_pages_cached, -1,
	     ST_pages_inuse, 1);
	CHECK_EQ(free_on(other, pool, &k->q, 1, 1), 0);
	STEP(pool, s0, "free on another cpu", ST_free_remote, 1,
	     ST_pages_cached, 1, ST_pages_inuse, -1);
	/*
	 * 5 frees wait in cpu's batch; 63 more fill it four times: four lock
	 * acquisitions, and 4 frees still wait.
	 */
	CHECK_EQ(free_on(cpu, pool, &k->w0[1], WINDOW - 1, 1), 0);
	STEP(pool, s0, "63 frees of the old window",
	     ST_free_remote, WINDOW - 1, ST_lock_acquisitions, 4,
	     ST_pages_free, 1 + 60 + (WINDOW - 1 - 4),
	     ST_pages_cached, (WINDOW - 1) - (1 + 60 + (WINDOW - 1 - 4)),
	     ST_pages_inuse, -(WINDOW - 1));
}

/* NOCACHE: every operation takes the lock, nothing is cached. */
static void counts_nocache(struct pcpu_pagecache *pool, int cpu, int other,
			   struct counts *k, struct snap *s0)
{
	CHECK_EQ(alloc_on(cpu, pool, k->w0, 10, 1), 0);
	STEP(pool, s0, "nocache: 10 x alloc(1)", ST_alloc_slow, 10,
	     ST_lock_acquisitions, 10, ST_pages_free, -10, ST_pages_inuse, 10);
	CHECK_EQ(alloc_on(cpu, pool, k->c, 3, 5), 0);
	STEP(pool, s0, "nocache: 3 x alloc(5)", ST_alloc_slow, 3, ST_lock_acquisitions, 3,
	     ST_pages_free, -15, ST_pages_inuse, 15);
	CHECK_EQ(free_on(cpu, pool, k->w0, 10, 1), 0);
	STEP(pool, s0, "nocache: 10 x free(1)", ST_free_slow, 10, ST_lock_acquisitions, 10,
	     ST_pages_free, 10, ST_pages_inuse, -10);
	CHECK_EQ(free_on(other, pool, k->c, 3, 5), 0);
	STEP(pool, s0, "nocache: 3 x free(5)", ST_free_slow, 3, ST_lock_acquisitions, 3,
	     ST_pages_free, 15, ST_pages_inuse, -15);
	counts_run16(pool, cpu, k, s0, "nocache: alloc(16), free(16)");
	pcpu_pagecache_drain(pool);
	STEP(pool, s0, "nocache: drain", ST_lock_acquisitions, ST_ANY);
}

/*
 * Every step of a known sequence on one CPU of a fresh pool, with the
 * exact counter moves; then the same kinds of calls on a NOCACHE pool.
 * Each step runs as one call on @cpu.
 */
int t_percpu_counts(struct tp_fix *f)
{
	struct pcpu_pagecache *pool = f->tp.pool;
	struct counts *k;
	struct snap s0;
	int ret = 0;

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	snap_take(pool, &s0);
	if (f->tp.flags & PCPU_PAGECACHE_NOCACHE) {
		counts_nocache(pool, f->cpu, f->other, k, &s0);
		ret = exhaust_check(&f->tp, f->cpu, false);
		goto out;
	}
	counts_windows(pool, f->cpu, k, &s0);
	counts_runs(pool, f->cpu, k, &s0);
	counts_frees(pool, f->cpu, f->other, k, &s0);
	IDLE(&s0, "all freed");
	/* A drain gives back every window and batch. */
	pcpu_pagecache_drain(pool);
	STEP(pool, &s0, "drain", ST_pages_free, s0.v[ST_pages_cached],
	     ST_pages_cached, -s0.v[ST_pages_cached], ST_flushes, ST_ANY,
	     ST_lock_acquisitions, ST_ANY);
out:
	kfree(k);
	return ret;
}

/* Every online CPU takes a window: @n of them, each refilled once. */
static void drain_warm(struct tpool *tp, int *n)
{
	phys_addr_t a;
	int cpu;

	*n = 0;
	for_each_online_cpu(cpu) {
		a = alloc1_on(cpu, tp->pool, 1);
		CHECK(a);
		CHECK_EQ(free1_on(cpu, tp->pool, a, 1), 0);
		(*n)++;
	}
}

int t_percpu_drain(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	struct snap s0, s1;
	int n, m;

	drain_warm(tp, &n);
	snap_take(tp->pool, &s0);
	CHECK_EQ(s0.v[ST_pages_cached], n * WINDOW);
	CHECK_EQ(s0.v[ST_refills], n);
	IDLE(&s0, "warm");
	pcpu_pagecache_drain(tp->pool);
	snap_take(tp->pool, &s1);
	DELTA(&s0, &s1, "drain", ST_pages_cached, -n * WINDOW,
	      ST_pages_free, n * WINDOW, ST_flushes, n,
	      ST_lock_acquisitions, ST_ANY);
	CHECK_EQ(s1.v[ST_pages_free], tp->npages);
	/* Again: nothing to do. */
	s0 = s1;
	pcpu_pagecache_drain(tp->pool);
	snap_take(tp->pool, &s1);
	DELTA(&s0, &s1, "second drain", ST_lock_acquisitions, ST_ANY);
	/* And the caches refill afterwards. */
	drain_warm(tp, &m);
	snap_take(tp->pool, &s0);
	CHECK_EQ(s0.v[ST_pages_cached], n * WINDOW);
	IDLE(&s0, "rewarmed");
	return 0;
}

/*
 * The single-page entries against the general ones with one page (@one is
 * 1, read at run time so that the header's dispatch cannot see it): the
 * same pages, the same counts, the same refusals; and on a NOCACHE pool,
 * the locked path.  Each step runs on one CPU; the snapshots are taken
 * between steps (stop_machine() may not run in run_on()'s worker).
 */
static unsigned int one_page = 1;

struct pe {
	struct tpool *tp;
	int step;
	phys_addr_t a[WINDOW + 1], g;
	int bad;			/* refusals seen */
};

static long page_entries_fn(void *arg)
{
	unsigned int one = READ_ONCE(one_page), i;
	struct pe *pe = arg;
	struct tpool *tp = pe->tp;
	phys_addr_t *a = pe->a;

	switch (pe->step) {
	case 0:	/* A fresh pool's first window, page by page, then the next. */
		for (i = 0; i < WINDOW + 1; i++)
			a[i] = pcpu_pagecache_alloc_page(tp->pool);
		return 0;
	case 1:	/* Either entry frees what the other took, and takes it back. */
		CHECK_EQ(__pcpu_pagecache_free(tp->pool, a[WINDOW], one), 0);
		CHECK_EQ(__pcpu_pagecache_alloc(tp->pool, one), a[WINDOW]);
		CHECK_EQ(pcpu_pagecache_free_page(tp->pool, a[WINDOW]), 0);
		CHECK_EQ(pcpu_pagecache_alloc_page(tp->pool), a[WINDOW]);
		pe->g = __pcpu_pagecache_alloc(tp->pool, one);
		CHECK_EQ(pe->g, a[WINDOW] + PAGE_SIZE);
		CHECK_EQ(pcpu_pagecache_free_page(tp->pool, pe->g), 0);
		return 0;
	case 2:	/* Twice, twice again, unaligned, below, past the window. */
		pe->bad += __pcpu_pagecache_free(tp->pool, pe->g, one) == -EINVAL;
		pe->bad += pcpu_pagecache_free_page(tp->pool, pe->g) == -EINVAL;
		pe->bad += pcpu_pagecache_free_page(tp->pool, a[WINDOW] + 8) == -EINVAL;
		pe->bad += pcpu_pagecache_free_page(tp->pool, tp->base - PAGE_SIZE) == -EINVAL;
		pe->bad += pcpu_pagecache_free_page(tp->pool, pe->g + PAGE_SIZE) == -EINVAL;
		pe->bad += pcpu_pagecache_free_page(tp->pool, tp->base + tp->size) == -EINVAL;
		return 0;
	default: /* The first window's pages are remote now. */
		for (i = 0; i < WINDOW + 1; i++)
			CHECK_EQ(i & 1 ? pcpu_pagecache_free_page(tp->pool, a[i]) :
				 __pcpu_pagecache_free(tp->pool, a[i], one), 0);
		return 0;
	}
}

static void page_entries_step(struct pe *pe, int cpu, int step,
			      struct snap *s0, struct snap *s1)
{
	pe->step = step;
	snap_take(pe->tp->pool, s0);
	CHECK_EQ(run_on(cpu, page_entries_fn, pe), 0);
	snap_take(pe->tp->pool, s1);
}

static void page_entries_cached(struct pe *pe, int cpu)
{
	struct tpool *tp = pe->tp;
	struct snap s0, s1;
	unsigned int i;

	page_entries_step(pe, cpu, 0, &s0, &s1);
	for (i = 0; i < WINDOW + 1; i++)
		CHECK_EQ(pe->a[i], tp->base + i * PAGE_SIZE);
	DELTA(&s0, &s1, "two windows' first pages, page by page",
	      ST_pages_inuse, WINDOW + 1, ST_pages_free, -2 * WINDOW,
	      ST_pages_cached, WINDOW - 1, ST_alloc_fast, WINDOW - 1, ST_alloc_slow, 2,
	      ST_refills, 2, ST_flushes, 1, ST_lock_acquisitions, 2);
	page_entries_step(pe, cpu, 1, &s0, &s1);
	DELTA(&s0, &s1, "single pages through both entries",
	      ST_alloc_fast, 3, ST_free_fast, 3);
	page_entries_step(pe, cpu, 2, &s0, &s1);
	CHECK_EQ(pe->bad, 6);
	DELTA(&s0, &s1, "refused frees of single pages",
	      ST_invalid_frees, 6, ST_lock_acquisitions, ST_ANY, ST_free_slow, ST_ANY);
	page_entries_step(pe, cpu, 3, &s0, &s1);
	DELTA(&s0, &s1, "the first window, freed from the second",
	      ST_pages_inuse, -(WINDOW + 1), ST_free_fast, 1, ST_free_remote, WINDOW,
	      ST_pages_free, ST_ANY, ST_pages_cached, ST_ANY, ST_lock_acquisitions, ST_ANY);
	pcpu_pagecache_drain(tp->pool);
	snap_take(tp->pool, &s0);
	IDLE(&s0, "after the single-page entries");
}

/* NOCACHE: the same entries take the lock every time. */
static void page_entries_nocache(struct tpool *tp)
{
	struct snap s0, s1;
	phys_addr_t a;

	snap_take(tp->pool, &s0);
	a = pcpu_pagecache_alloc_page(tp->pool);
	CHECK_EQ(a, tp->base);
	CHECK_EQ(pcpu_pagecache_free_page(tp->pool, a), 0);
	CHECK_EQ(pcpu_pagecache_free_page(tp->pool, a), -EINVAL);
	snap_take(tp->pool, &s1);
	DELTA(&s0, &s1, "single pages of a NOCACHE pool",
	      ST_alloc_slow, 1, ST_free_slow, 1, ST_invalid_frees, 1,
	      ST_lock_acquisitions, 3);
}

int t_page_entries(struct tp_fix *f)
{
	struct pe *pe;

	if (f->tp.flags & PCPU_PAGECACHE_NOCACHE) {
		page_entries_nocache(&f->tp);
	} else {
		pe = kzalloc(sizeof(*pe), GFP_KERNEL);
		if (!pe)
			return -ENOMEM;
		pe->tp = &f->tp;
		page_entries_cached(pe, f->cpu);
		kfree(pe);
	}
	return exhaust_check(&f->tp, f->cpu, false);
}

/* Stats are read without stopping CPUs: fine with interrupts off. */
int t_stats_atomic(struct tp_fix *f)
{
	struct pcpu_pagecache *pool = f->tp.pool;
	struct pcpu_pagecache_stats st;
	unsigned long flags;
	phys_addr_t a;

	a = pcpu_pagecache_alloc(pool, 3);
	CHECK(a);
	local_irq_save(flags);
	pcpu_pagecache_get_stats(pool, &st);
	local_irq_restore(flags);
	CHECK_EQ(st.pages_inuse, 3);
	CHECK_EQ(st.pages_total, st.pages_free + st.pages_cached +
		 st.pages_inuse + st.pages_leaked);
	CHECK_EQ(pcpu_pagecache_free(pool, a, 3), 0);
	return 0;
}

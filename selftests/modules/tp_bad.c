// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input: sizes no pool can serve, and frees that must be
 * refused (outside, unaligned, never allocated, twice, cached).
 */
#include "test_pcpu_pagecache.h"

#include <linux/io.h>
#include <linux/mm.h>

int t_bad_npages(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	struct snap s0, s1;
	phys_addr_t a;

	/* Something in use, and a warm cache. */
	a = pcpu_pagecache_alloc(tp->pool, 3);
	CHECK(a);

	snap_take(tp->pool, &s0);
	CHECK_EQ(pcpu_pagecache_alloc(tp->pool, 0), 0);
	snap_take(tp->pool, &s1);
	DELTA(&s0, &s1, "alloc(0)", ST_alloc_fail, ST_ANY);

	snap_take(tp->pool, &s0);
	CHECK_EQ(pcpu_pagecache_alloc(tp->pool, tp->npages + 1), 0);
	CHECK_EQ(pcpu_pagecache_alloc(tp->pool, UINT_MAX), 0);
	CHECK_EQ(pcpu_pagecache_alloc(tp->pool, 1U << 31), 0);
	snap_take(tp->pool, &s1);
	DELTA(&s0, &s1, "alloc(> pages_total)", ST_alloc_fail, 3);

	if (!tp->base) {
		snap_take(tp->pool, &s0);
		CHECK_EQ(pcpu_pagecache_alloc(tp->pool, 1025), 0);
		CHECK_EQ(pcpu_pagecache_alloc(tp->pool, tp->npages), 0);
		snap_take(tp->pool, &s1);
		DELTA(&s0, &s1, "alloc(1025) from blocks", ST_alloc_fail, 2);
	}

	/* Still works. */
	CHECK_EQ(pcpu_pagecache_free(tp->pool, a, 3), 0);
	a = pcpu_pagecache_alloc(tp->pool, 20);
	CHECK(a);
	CHECK_EQ(pcpu_pagecache_free(tp->pool, a, 20), 0);
	snap_take(tp->pool, &s1);
	IDLE(&s1, "after bad sizes");
	return 0;
}

/* The bad frees of t_bad_free_outside() on reserved pool @tp. */
static void outside_frees(struct tp_fix *f, struct tpool *blk,
			  phys_addr_t a, phys_addr_t b, struct page *page)
{
	struct tpool *tp = &f->tp;
	int cpu = f->cpu;

	BAD_FREE(tp, cpu, tp->base - PAGE_SIZE, 1, "page below the pool");
	BAD_FREE(tp, cpu, tp->base + tp->size, 1, "page above the pool");
	BAD_FREE(tp, cpu, tp->base - PAGE_SIZE, 2, "range from below into the pool");
	BAD_FREE(tp, -1, 0, 1, "address 0");
	BAD_FREE(tp, -1, page_to_phys(page), 1, "a kernel page");
	BAD_FREE(tp, -1, resv(0), 1, "a reserved page in no pool");
	BAD_FREE(blk, cpu, page_to_phys(page), 1, "a kernel page, block pool");
	BAD_FREE(blk, -1, a, 1, "a reserved pool's page, block pool");
	BAD_FREE(tp, -1, b, 1, "a block pool's page, reserved pool");
}

int t_bad_free_outside(struct tp_fix *f)
{
	struct tpool *tp = &f->tp, blk;
	struct page *page;
	int cpu = f->cpu, ret;
	phys_addr_t a, b;

	ret = tpool_create(&blk, "t_outside_blk", 0, SZ_POOL, 0);
	if (ret)
		return ret;
	a = alloc1_on(cpu, tp->pool, 1);
	b = alloc1_on(cpu, blk.pool, 1);
	page = alloc_page(GFP_KERNEL);
	if (CHECK(a && b && page))
		outside_frees(f, &blk, a, b, page);
	CHECK_EQ(free1_on(cpu, tp->pool, a, 1), 0);
	CHECK_EQ(free1_on(cpu, blk.pool, b, 1), 0);
	if (page)
		__free_page(page);

	/* The whole pool taken: a free that runs past its end. */
	pcpu_pagecache_drain(tp->pool);
	a = pcpu_pagecache_alloc(tp->pool, tp->npages);
	CHECK_EQ(a, tp->base);
	BAD_FREE(tp, -1, tp->base + tp->size - PAGE_SIZE, 2, "range across the pool end");
	BAD_FREE(tp, -1, tp->base, tp->npages + 1, "whole pool and one more");
	BAD_FREE(tp, -1, tp->base + PAGE_SIZE, UINT_MAX, "npages UINT_MAX");
	CHECK_EQ(pcpu_pagecache_free(tp->pool, a, tp->npages), 0);
	ret = exhaust_check(tp, cpu, false) ?: exhaust_check(&blk, cpu, false);
	tpool_destroy(&blk);
	return ret;
}

int t_bad_free_unaligned(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	int cpu = f->cpu, other = f->other;
	phys_addr_t a, b;

	a = alloc1_on(cpu, tp->pool, 1);	/* in cpu's window */
	b = alloc1_on(cpu, tp->pool, 16);	/* from the bitmaps */
	CHECK(a && b);
	BAD_FREE(tp, cpu, a + 1, 1, "cached page + 1");
	BAD_FREE(tp, cpu, a + PAGE_SIZE / 2, 1, "cached page + 2048");
	BAD_FREE(tp, cpu, a + PAGE_SIZE - 8, 1, "cached page + 4088");
	BAD_FREE(tp, other, a + 8, 1, "cached page + 8, other cpu");
	BAD_FREE(tp, cpu, b + 0x100, 16, "run + 256");
	BAD_FREE(tp, -1, b + 3 * PAGE_SIZE + 1, 1, "run page 3 + 1");
	BAD_FREE(tp, -1, tp->base + tp->size - 1, 1, "last byte of the pool");
	CHECK_EQ(free1_on(cpu, tp->pool, a, 1), 0);
	CHECK_EQ(free1_on(cpu, tp->pool, b, 16), 0);
	return exhaust_check(tp, cpu, false);
}

int t_bad_free_not_allocated(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	int cpu = f->cpu, other = f->other;
	phys_addr_t a, b;

	/* Never handed out: free in the bitmaps. */
	BAD_FREE(tp, cpu, tp->base, 1, "fresh pool, first page");
	BAD_FREE(tp, -1, tp->base + 1500 * PAGE_SIZE, 20, "fresh pool, a run");
	BAD_FREE(tp, -1, tp->base + tp->size - PAGE_SIZE, 1, "fresh pool, last page");
	a = alloc1_on(cpu, tp->pool, 1);	/* cpu gets a window */
	b = alloc1_on(cpu, tp->pool, 16);
	CHECK(a && b);
	/* A run that is partly allocated: nothing of it may be freed. */
	BAD_FREE(tp, cpu, b, 17, "run + one free page after");
	BAD_FREE(tp, other, b + 8 * PAGE_SIZE, 16, "second half of the run + 8 free");
	if (b - PAGE_SIZE != a)
		BAD_FREE(tp, cpu, b - PAGE_SIZE, 17, "one free page before + run");
	/* Pages of cpu's window that are still free in its cache. */
	BAD_FREE(tp, cpu, a + PAGE_SIZE, 1, "page free in own cache");
	BAD_FREE(tp, cpu, a, 2, "allocated page + cached page");
	BAD_FREE(tp, other, a, 2, "allocated page + cached page, other cpu");
	CHECK_EQ(free1_on(other, tp->pool, b, 16), 0);
	CHECK_EQ(free1_on(cpu, tp->pool, a, 1), 0);
	return exhaust_check(tp, cpu, false);
}

int t_bad_free_double_same_cpu(struct tp_fix *f)
{
	static const unsigned int sizes[] = { 1, 3, 15, 16, 64, 300 };
	struct tpool *tp = &f->tp;
	int cpu = f->cpu;
	unsigned int i, n;
	phys_addr_t a;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		n = sizes[i];
		a = alloc1_on(cpu, tp->pool, n);
		CHECK(a);
		CHECK_EQ(free1_on(cpu, tp->pool, a, n), 0);
		BAD_FREE(tp, cpu, a, n, "double free, same cpu");
		BAD_FREE(tp, cpu, a, 1, "double free of the first page");
		BAD_FREE(tp, cpu, a + (n - 1) * PAGE_SIZE, 1,
			 "double free of the last page");
	}
	/* Process context, may migrate between the two frees: still refused. */
	a = pcpu_pagecache_alloc(tp->pool, 1);
	CHECK(a);
	CHECK_EQ(pcpu_pagecache_free(tp->pool, a, 1), 0);
	BAD_FREE(tp, -1, a, 1, "double free, writer's context");
	return exhaust_check(tp, cpu, false);
}

/*
 * A page of cpu's window freed on the other CPU waits in that CPU's
 * batch; a second free on cpu is refused at once, and once the batch is
 * back the page is free once.
 */
static void double_free_in_batch(struct tpool *tp, int cpu, int other)
{
	struct snap s0, s1;
	phys_addr_t a;

	a = alloc1_on(cpu, tp->pool, 1);
	CHECK(a);
	snap_take(tp->pool, &s0);
	CHECK_EQ(free1_on(other, tp->pool, a, 1), 0);
	BAD_FREE(tp, cpu, a, 1, "double free while the first waits in a batch");
	BAD_FREE(tp, other, a, 1, "double free into the same batch");
	pcpu_pagecache_drain(tp->pool);
	snap_take(tp->pool, &s1);
	DELTA(&s0, &s1, "double frees while the first waits in a batch",
	      ST_pages_inuse, -1, ST_invalid_frees, 2, ST_pages_free, ST_ANY,
	      ST_pages_cached, ST_ANY, ST_free_slow, ST_ANY,
	      ST_free_remote, 1, ST_lock_acquisitions, ST_ANY,
	      ST_flushes, ST_ANY);
	IDLE(&s1, "after the drain");
}

/*
 * A full batch of pages of cpu's window, freed (legally) on the
 * other CPU: the batch goes back at once, into cpu's pending mask.
 * Freed again on cpu, whose window covers them: refused.
 */
static void double_free_pending(struct tpool *tp, int cpu, int other)
{
	phys_addr_t a, b, r[PCPU_PAGECACHE_BATCH];
	struct snap s0, s1;

	CHECK_EQ(alloc_on(cpu, tp->pool, r, ARRAY_SIZE(r), 1), 0);
	a = r[0];
	b = alloc1_on(cpu, tp->pool, 1);
	CHECK(b);
	snap_take(tp->pool, &s0);
	CHECK_EQ(free_on(other, tp->pool, r, ARRAY_SIZE(r), 1), 0);
	snap_take(tp->pool, &s1);
	DELTA(&s0, &s1, "a batch of remote frees of a windowed page",
	      ST_pages_inuse, -(s64)ARRAY_SIZE(r), ST_pages_cached, ARRAY_SIZE(r),
	      ST_free_remote, ARRAY_SIZE(r), ST_lock_acquisitions, 1);
	BAD_FREE(tp, cpu, a, 1, "double free on the window's cpu");
	BAD_FREE(tp, other, a, 1, "double free on the freeing cpu");
	BAD_FREE(tp, cpu, a, 2, "double free + allocated page");
	CHECK_EQ(free1_on(cpu, tp->pool, b, 1), 0);
	BAD_FREE(tp, other, b, 1, "double free of a cached page, other cpu");
}

int t_bad_free_double_other_cpu(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	int cpu = f->cpu, other = f->other;
	phys_addr_t a, b;

	double_free_in_batch(tp, cpu, other);
	double_free_pending(tp, cpu, other);

	/* Runs from the bitmaps: freed on one CPU, again on the other. */
	a = alloc1_on(cpu, tp->pool, 16);
	b = alloc1_on(other, tp->pool, 200);
	CHECK(a && b);
	CHECK_EQ(free1_on(cpu, tp->pool, a, 16), 0);
	CHECK_EQ(free1_on(other, tp->pool, b, 200), 0);
	BAD_FREE(tp, other, a, 16, "double free of a run, other cpu");
	BAD_FREE(tp, cpu, b, 200, "double free of a run, other cpu");
	BAD_FREE(tp, cpu, b + 100 * PAGE_SIZE, 1, "double free of a page of a run");

	/*
	 * And a page of the other CPU's window, once cpu's batch that holds
	 * its first free has gone back.
	 */
	a = alloc1_on(other, tp->pool, 2);
	CHECK(a);
	CHECK_EQ(free1_on(cpu, tp->pool, a, 2), 0);
	pcpu_pagecache_drain(tp->pool);
	BAD_FREE(tp, other, a, 1, "double free on the window's cpu");
	BAD_FREE(tp, other, a + PAGE_SIZE, 1, "double free on the window's cpu");

	return exhaust_check(tp, cpu, false) ?: exhaust_check(tp, other, true);
}

int t_bad_free_cached_page(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	int cpu = f->cpu, other = f->other;
	phys_addr_t a, r;

	/* Warm cpu's cache, free the page back into it. */
	a = alloc1_on(cpu, tp->pool, 1);
	CHECK(a);
	CHECK_EQ(free1_on(cpu, tp->pool, a, 1), 0);
	BAD_FREE(tp, other, a, 1, "page free in another cpu's cache");
	BAD_FREE(tp, -1, a + 5 * PAGE_SIZE, 1, "never-used page of a window");
	BAD_FREE(tp, other, a, WINDOW, "whole window of another cpu");
	/* Part of a run back in the cache, then the whole run elsewhere. */
	r = alloc1_on(cpu, tp->pool, 2);
	CHECK(r);
	CHECK_EQ(free1_on(cpu, tp->pool, r, 1), 0);
	BAD_FREE(tp, other, r, 2, "cached page + allocated page");
	/* The allocated half is still allocated: freeing it works once. */
	CHECK_EQ(free1_on(other, tp->pool, r + PAGE_SIZE, 1), 0);
	return exhaust_check(tp, other, false) ?: exhaust_check(tp, cpu, false);
}

/*
 * Take every free page on @cpu: none of them may be one of @held, which
 * a holder still has.  Gives them back.
 */
static void take_all_but(struct tpool *tp, int cpu, const phys_addr_t *held,
			 unsigned int nheld, const char *what)
{
	unsigned long i, j, k;
	struct exh x;

	if (!CHECK_EQ(exh_init(&x, tp, false), 0))
		return;
	CHECK_EQ(run_on(cpu, exh_take_fn, &x), 0);
	CHECK_EQ(x.err, 0);
	CHECK_EQ(x.pages + nheld, tp->npages);
	for (i = 0; i < x.nruns; i++)
		for (j = 0; j < x.runs[i].n; j++)
			for (k = 0; k < nheld; k++) {
				if (x.runs[i].addr + j * PAGE_SIZE != held[k])
					continue;
				pr_err("%s: page %pa handed out while held\n",
				       what, &held[k]);
				tp_fail();
			}
	/* Not exh_release(): the pool is not idle, @held are out. */
	CHECK_EQ(run_on(cpu, exh_release_fn, &x), 0);
	CHECK_EQ(x.err, 0);
	exh_fini(&x);
}

/*
 * A new holder takes 8 pages on @cpu, then every batch goes back (the
 * drain): none of the pages the pool then hands out is one of the 8.
 */
static void new_holder(struct tpool *tp, int cpu, const char *what)
{
	phys_addr_t q[8];

	CHECK_EQ(alloc_on(cpu, tp->pool, q, ARRAY_SIZE(q), 1), 0);
	pcpu_pagecache_drain(tp->pool);
	take_all_but(tp, cpu, q, ARRAY_SIZE(q), what);
	CHECK_EQ(free_on(cpu, tp->pool, q, ARRAY_SIZE(q), 1), 0);
}

/*
 * The first free of a page waits in another CPU's batch when the second
 * comes: the second is refused at once, on the window's CPU and on a
 * third path (the page's window gone back first), so that no new holder
 * can be given the page before the batch frees it under them.  The second
 * pool tracks its owners: a free that finds no record is refused too.
 */
int t_bad_free_double_batched(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	int cpu = f->cpu, other = f->other;
	phys_addr_t p;

	/* p from cpu's window; its first free waits in other's batch. */
	p = alloc1_on(cpu, tp->pool, 1);
	if (!ASSERT(p))
		return -EIO;
	CHECK_EQ(free1_on(other, tp->pool, p, 1), 0);
	BAD_FREE(tp, cpu, p, 1, "second free on the window's cpu");
	new_holder(tp, cpu, "page of a window");

	/* p in no window: its word went back to the bitmap first. */
	p = alloc1_on(cpu, tp->pool, 1);
	if (!ASSERT(p))
		return -EIO;
	pcpu_pagecache_drain(tp->pool);
	CHECK_EQ(free1_on(other, tp->pool, p, 1), 0);
	BAD_FREE(tp, cpu, p, 1, "second free, page of no window");
	BAD_FREE(tp, -1, p, 1, "second free, page of no window, any cpu");
	new_holder(tp, cpu, "page of no window");

	/* A run of 4 whose first free waits: no page of it freed twice. */
	p = alloc1_on(cpu, tp->pool, 4);
	if (!ASSERT(p))
		return -EIO;
	CHECK_EQ(free1_on(other, tp->pool, p, 4), 0);
	BAD_FREE(tp, cpu, p + 2 * PAGE_SIZE, 1, "page of a run in a batch");
	BAD_FREE(tp, cpu, p, 4, "run in a batch");
	return exhaust_check(tp, cpu, false);
}

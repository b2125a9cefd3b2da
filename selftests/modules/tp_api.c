// SPDX-License-Identifier: GPL-2.0
/*
 * The API on pools of either kind: single pages, runs, chunk
 * edges, exhaustion, the pages' VAs, several pools, and creates that must
 * fail.
 */
#include "test_pcpu_pagecache.h"

#include <linux/bitmap.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/slab.h>

int t_api_single_page(struct tp_fix *f)
{
	const unsigned int count = 1500;	/* of 2048: caches may hold some */
	struct tpool *tp = &f->tp;
	struct snap s1;
	struct exh x;
	unsigned long i;

	if (exh_init(&x, tp, false))
		return -ENOMEM;
	/* From the writer's context: it may migrate, that is fine. */
	for (i = 0; i < count; i++) {
		x.runs[i].addr = pcpu_pagecache_alloc(tp->pool, 1);
		x.runs[i].n = 1;
		if (!ASSERT(x.runs[i].addr))
			break;
		x.nruns++;
		x.pages++;
	}
	exh_distinct(&x);
	snap_take(tp->pool, &s1);
	CHECK_EQ(s1.v[ST_pages_inuse], count);
	CHECK_EQ(s1.v[ST_alloc_fast] + s1.v[ST_alloc_slow], count);
	CHECK_EQ(s1.v[ST_alloc_fail], 0);
	INVARIANT(&s1, "allocated");
	for (i = 0; i < x.nruns; i++)
		CHECK_EQ(pcpu_pagecache_free(tp->pool, x.runs[i].addr, 1), 0);
	snap_take(tp->pool, &s1);
	IDLE(&s1, "freed");
	CHECK_EQ(s1.v[ST_free_fast] + s1.v[ST_free_slow] +
		 s1.v[ST_free_remote], count);
	CHECK_EQ(s1.v[ST_invalid_frees], 0);
	exh_fini(&x);
	return 0;
}

/* No two of the @nr runs overlap; on a reserved pool, by a page bitmap. */
static void runs_disjoint(struct tpool *tp, const struct prun *runs,
			  unsigned int nr, unsigned long *shadow)
{
	unsigned int i, j;

	for (i = 0; i < nr; i++) {
		for (j = 0; j < nr; j++) {
			phys_addr_t ai = runs[i].addr, aj = runs[j].addr;

			if (i != j && ai < aj + runs[j].n * PAGE_SIZE &&
			    aj < ai + runs[i].n * PAGE_SIZE) {
				pr_err("run %pa+%u overlaps %pa+%u\n",
				       &ai, runs[i].n, &aj, runs[j].n);
				tp_fail();
			}
		}
		if (!tp->base)
			continue;
		for (j = 0; j < runs[i].n; j++) {
			unsigned long pg = (runs[i].addr - tp->base) / PAGE_SIZE + j;

			CHECK(!__test_and_set_bit(pg, shadow));
		}
	}
}

int t_api_multi_page(struct tp_fix *f)
{
	static const unsigned int big[] = {
		16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 256,
		511, 512, 513, 1000, 1023, 1024,
	};
	const unsigned int nr = 14 + ARRAY_SIZE(big);
	struct prun runs[14 + ARRAY_SIZE(big)];
	struct tpool *tp = &f->tp;
	unsigned long *shadow;
	unsigned int k, n;
	struct snap s;

	shadow = bitmap_zalloc(tp->npages, GFP_KERNEL);
	if (!ASSERT(shadow))
		return -ENOMEM;
	for (k = 0; k < nr; k++) {
		n = k < 14 ? k + 2 : big[k - 14];
		runs[k].n = n;
		runs[k].addr = pcpu_pagecache_alloc(tp->pool, n);
		if (!ASSERT(runs[k].addr)) {
			pr_err("alloc(%u) failed\n", n);
			break;
		}
		/* The shadow bitmap below needs runs inside the pool. */
		if (!tpool_run_ok(tp, runs[k].addr, n)) {
			k++;
			break;
		}
	}
	snap_take(tp->pool, &s);
	INVARIANT(&s, "allocated");
	if (k == nr)
		runs_disjoint(tp, runs, nr, shadow);
	for (; k > 0; k--)
		CHECK_EQ(pcpu_pagecache_free(tp->pool, runs[k - 1].addr,
					     runs[k - 1].n), 0);
	snap_take(tp->pool, &s);
	IDLE(&s, "freed");
	bitmap_free(shadow);
	return 0;
}

/* A reserved pool of four chunks: runs may cross chunk edges. */
static void cross_chunk_resv(struct tpool *tp)
{
	const unsigned long chunk = PCPU_PAGECACHE_CHUNK_PAGES;
	phys_addr_t a, b, c;

	a = pcpu_pagecache_alloc(tp->pool, 4 * chunk);
	CHECK_EQ(a, tp->base);
	tpool_run_ok(tp, a, 4 * chunk);
	CHECK_EQ(pcpu_pagecache_free(tp->pool, a, 4 * chunk), 0);
	a = pcpu_pagecache_alloc(tp->pool, 1500);
	CHECK(a);
	tpool_run_ok(tp, a, 1500);
	CHECK_EQ(pcpu_pagecache_free(tp->pool, a, 1500), 0);

	/*
	 * Take the whole pool, give back [1000, 1048): the only free run
	 * crosses the edge at page 1024, and a 48-page request must get it.
	 */
	a = pcpu_pagecache_alloc(tp->pool, 4 * chunk);
	if (!ASSERT_EQ(a, tp->base))
		return;
	b = a + 1000 * PAGE_SIZE;
	CHECK_EQ(pcpu_pagecache_free(tp->pool, b, 48), 0);
	c = pcpu_pagecache_alloc(tp->pool, 48);
	CHECK_EQ(c, b);
	tpool_run_ok(tp, c, 48);
	/* Now [1000, 3100): two edges. */
	CHECK_EQ(pcpu_pagecache_free(tp->pool, b, 2100), 0);
	c = pcpu_pagecache_alloc(tp->pool, 2100);
	CHECK_EQ(c, b);
	tpool_run_ok(tp, c, 2100);
	CHECK_EQ(pcpu_pagecache_alloc(tp->pool, 1), 0);
	CHECK_EQ(pcpu_pagecache_free(tp->pool, a, 1000), 0);
	CHECK_EQ(pcpu_pagecache_free(tp->pool, b, 2100), 0);
	CHECK_EQ(pcpu_pagecache_free(tp->pool, b + 2100 * PAGE_SIZE, 996), 0);
}

/* A pool of 4 MiB blocks: at most one block's worth in a run. */
static void cross_chunk_blocks(struct tpool *tp)
{
	const unsigned long chunk = PCPU_PAGECACHE_CHUNK_PAGES;
	phys_addr_t a, b;
	struct snap s;

	CHECK_EQ(pcpu_pagecache_alloc(tp->pool, chunk + 1), 0);
	CHECK_EQ(pcpu_pagecache_alloc(tp->pool, 1500), 0);
	CHECK_EQ(pcpu_pagecache_alloc(tp->pool, 2 * chunk), 0);
	a = pcpu_pagecache_alloc(tp->pool, chunk);
	b = pcpu_pagecache_alloc(tp->pool, chunk);
	CHECK(a);
	CHECK(b);
	tpool_run_ok(tp, a, chunk);
	tpool_run_ok(tp, b, chunk);
	CHECK(a != b);
	CHECK_EQ(pcpu_pagecache_alloc(tp->pool, 1), 0);
	CHECK_EQ(pcpu_pagecache_free(tp->pool, a, chunk), 0);
	CHECK_EQ(pcpu_pagecache_free(tp->pool, b, chunk), 0);
	snap_take(tp->pool, &s);
	CHECK_EQ(s.v[ST_alloc_fail], 4);
}

int t_api_cross_chunk(struct tp_fix *f)
{
	if (f->tp.base)
		cross_chunk_resv(&f->tp);
	else
		cross_chunk_blocks(&f->tp);
	return 0;
}

/* A reserved range that ends inside a chunk and inside a window. */
int t_api_partial_chunk(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	phys_addr_t a;

	a = pcpu_pagecache_alloc(tp->pool, tp->npages);
	CHECK_EQ(a, tp->base);
	tpool_run_ok(tp, a, tp->npages);
	CHECK_EQ(pcpu_pagecache_alloc(tp->pool, 1), 0);
	CHECK_EQ(pcpu_pagecache_free(tp->pool, a, tp->npages), 0);
	CHECK_EQ(pcpu_pagecache_alloc(tp->pool, tp->npages + 1), 0);
	return exhaust_check(tp, f->cpu, false) ?:
	       exhaust_check(tp, f->cpu, true);
}

int t_api_exhaustion(struct tp_fix *f)
{
	int cpu, ret;

	/* On every online CPU in turn, singles then a mix. */
	for_each_online_cpu(cpu) {
		ret = exhaust_check(&f->tp, cpu, false) ?:
		      exhaust_check(&f->tp, cpu, true);
		if (ret)
			return ret;
	}
	return 0;
}

static u64 va_pattern(phys_addr_t page, unsigned int word)
{
	return 0x5a5aULL << 48 | (u64)page | word;
}

/* Fill every page of @x through its VA, then read it all back. */
static void va_write_all(struct tpool *tp, struct exh *x)
{
	const unsigned int words = PAGE_SIZE / sizeof(u64);
	unsigned long i;
	unsigned int w;

	for (i = 0; i < x->nruns; i++) {
		u64 *va = pcpu_pagecache_va(tp->pool, x->runs[i].addr);

		for (w = 0; w < words; w++)
			va[w] = va_pattern(x->runs[i].addr, w);
		if ((i & 255) == 255)
			cond_resched();
	}
	for (i = 0; i < x->nruns; i++) {
		u64 *va = pcpu_pagecache_va(tp->pool, x->runs[i].addr);

		for (w = 0; w < words; w++) {
			if (va[w] != va_pattern(x->runs[i].addr, w)) {
				pr_err("page %pa word %u: %#llx, wrote %#llx\n",
				       &x->runs[i].addr, w, va[w],
				       va_pattern(x->runs[i].addr, w));
				tp_fail();
				return;
			}
		}
		if ((i & 255) == 255)
			cond_resched();
	}
}

int t_api_va_write(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	struct page *page;
	struct exh x;
	void *kbuf;
	int ret;

	if (exh_init(&x, tp, false))
		return -ENOMEM;
	/* The pages are written through their VAs: only ones handed out. */
	ret = exh_take(&x, f->cpu);
	if (!ret)
		va_write_all(tp, &x);
	if (exh_release(&x, f->cpu))
		ret = -EIO;
	exh_fini(&x);
	if (ret)
		return ret;

	/* Addresses outside the pool have no VA. */
	CHECK(!pcpu_pagecache_va(tp->pool, 0));
	if (tp->base) {
		CHECK(!pcpu_pagecache_va(tp->pool, tp->base - PAGE_SIZE));
		CHECK(!pcpu_pagecache_va(tp->pool, tp->base + tp->size));
		CHECK(!pcpu_pagecache_va(tp->pool, tp->base + tp->size + 0x1000000));
		return 0;
	}
	page = alloc_page(GFP_KERNEL);
	kbuf = kmalloc(64, GFP_KERNEL);
	if (CHECK(page && kbuf)) {
		CHECK(!pcpu_pagecache_va(tp->pool, page_to_phys(page)));
		CHECK(!pcpu_pagecache_va(tp->pool, virt_to_phys(kbuf)));
	}
	if (page)
		__free_page(page);
	kfree(kbuf);
	return 0;
}

static bool in_tpool(struct tpool *tp, phys_addr_t a)
{
	if (tp->base)
		return a >= tp->base && a < tp->base + tp->size;
	return pcpu_pagecache_va(tp->pool, a);
}

/* A create that must fail with @err: a check. */
static bool create_fails(const char *name, phys_addr_t base, size_t size,
			 long err, int line)
{
	struct pcpu_pagecache *p = pcpu_pagecache_create(name, base, size);

	if (IS_ERR(p) && PTR_ERR(p) == err)
		return true;
	pr_err("line %d: create(\"%s\", %pa, %#zx) returned %ld, expected %ld\n",
	       line, name, &base, size, IS_ERR(p) ? PTR_ERR(p) : 0L, err);
	tp_fail();
	if (!IS_ERR_OR_NULL(p))
		pcpu_pagecache_destroy(p);
	return false;
}

#define CREATE_FAILS(name, base, size, err) \
	create_fails(name, base, size, err, __LINE__)

#define NS	5

static const unsigned int multi_sizes[NS] = { 1, 5, 16, 64, 200 };

/* Pool @i takes runs of every size; only it moves, none is another's. */
static void multi_pool_take(struct tpool *tp, phys_addr_t held[][NS],
			    struct snap *s, int i)
{
	struct snap t;
	int j, k;

	for (k = 0; k < NS; k++) {
		held[i][k] = pcpu_pagecache_alloc(tp[i].pool, multi_sizes[k]);
		CHECK(held[i][k]);
		tpool_run_ok(&tp[i], held[i][k], multi_sizes[k]);
		for (j = 0; j < 3; j++) {
			if (j != i && !CHECK(!in_tpool(&tp[j], held[i][k])))
				pr_err("pool %d handed out %pa, which is in pool %d\n",
				       i, &held[i][k], j);
		}
	}
	for (j = 0; j < 3; j++) {
		snap_take(tp[j].pool, &t);
		if (j != i)
			DELTA(&s[j], &t, "another pool's allocations");
		else
			CHECK_EQ(t.v[ST_pages_inuse], 1 + 5 + 16 + 64 + 200);
		s[j] = t;
	}
}

/* Pool @o gives its runs back, refused first by pool @other. */
static void multi_pool_give(struct tpool *tp, phys_addr_t held[][NS],
			    int o, int other)
{
	struct pcpu_pagecache *p;
	struct snap s, t;
	int k;

	/* A pool refuses the pages of another. */
	if (tp[other].pool) {
		snap_take(tp[other].pool, &s);
		p = tp[other].pool;
		CHECK_EQ(pcpu_pagecache_free(p, held[o][0], 1), -EINVAL);
		CHECK_EQ(pcpu_pagecache_free(p, held[o][4], 200), -EINVAL);
		snap_take(tp[other].pool, &t);
		DELTA(&s, &t, "another pool's pages",
		      ST_invalid_frees, 2, ST_lock_acquisitions, ST_ANY,
		      ST_free_slow, ST_ANY);
	}
	for (k = 0; k < NS; k++) {
		if (CHECK_EQ(pcpu_pagecache_free(tp[o].pool, held[o][k],
						 multi_sizes[k]), 0))
			held[o][k] = 0;
	}
	snap_take(tp[o].pool, &t);
	IDLE(&t, "freed");
}

/* Three pools of its own: none sees another's pages, names, or range. */
int t_api_multi_pool(struct tp_fix *f)
{
	struct tpool tp[3] = {};
	phys_addr_t held[3][NS] = {};
	struct snap s[3];
	int i, k, ret = 0;

	if (tpool_create(&tp[0], "t_multi_a", resv(0), SZ_POOL, 0) ||
	    tpool_create(&tp[1], "t_multi_b", resv(SZ_POOL), SZ_POOL, 0) ||
	    tpool_create(&tp[2], "t_multi_c", 0, SZ_POOL, 0)) {
		ret = -EIO;
		goto out;
	}

	for (i = 0; i < 3; i++)
		snap_take(tp[i].pool, &s[i]);
	for (i = 0; i < 3; i++)
		multi_pool_take(tp, held, s, i);

	/* A duplicate name, and an overlapping reserved range. */
	CREATE_FAILS("t_multi_a", resv(2 * SZ_POOL), SZ_POOL, -EEXIST);
	CREATE_FAILS("t_multi_d", resv(SZ_POOL / 2), SZ_POOL, -EBUSY);
	CREATE_FAILS("t_multi_d", resv(SZ_POOL), PAGE_SIZE, -EBUSY);

	/* Free and destroy in an order unlike the creation order: 1, 2, 0. */
	for (i = 1; i < 4; i++) {
		multi_pool_give(tp, held, i % 3, (i + 1) % 3);
		tpool_destroy(&tp[i % 3]);
	}

	/* The names and ranges are free again. */
	if (tpool_create(&tp[0], "t_multi_a", resv(0), 2 * SZ_POOL, 0))
		ret = -EIO;
out:
	for (i = 0; i < 3; i++) {
		for (k = 0; k < NS; k++)
			if (tp[i].pool && held[i][k])
				pcpu_pagecache_free(tp[i].pool, held[i][k],
						    multi_sizes[k]);
		tpool_destroy(&tp[i]);
	}
	return ret;
}

int t_api_create_errors(struct tp_fix *f)
{
	struct page *page, *low, *tmp;
	struct resource *claimed;
	LIST_HEAD(lows);
	struct tpool tp;
	phys_addr_t ram;
	int i, ret = 0;

	/*
	 * A page of RAM outside the first chunk: the chunk around it is
	 * created below, and a base of 0 asks for the page allocator.  A
	 * short guest may hand out low pages (ZONE_DMA) first: held until
	 * a higher one comes, so that each try gets another page.
	 */
	/* At most a chunk's pages are below it. */
	for (i = 0; i <= CHUNK_BYTES / PAGE_SIZE; i++) {
		page = alloc_page(GFP_KERNEL);
		if (!page || page_to_phys(page) >= CHUNK_BYTES)
			break;
		list_add(&page->lru, &lows);
		page = NULL;
	}
	list_for_each_entry_safe(low, tmp, &lows, lru)
		__free_page(low);
	if (!ASSERT(page))
		return -ENOMEM;
	ram = page_to_phys(page);

	CREATE_FAILS("t_err", resv(0), 0, -EINVAL);
	CREATE_FAILS("t_err", 0, 0, -EINVAL);
	CREATE_FAILS("t_err", resv(0) + 0x800, SZ_POOL, -EINVAL);
	CREATE_FAILS("t_err", resv(0), SZ_POOL + 0x800, -EINVAL);
	CREATE_FAILS("t_err", 0, SZ_POOL + 0x800, -EINVAL);
	CREATE_FAILS("", resv(0), SZ_POOL, -EINVAL);
	CREATE_FAILS("t/err", resv(0), SZ_POOL, -EINVAL);
	CREATE_FAILS(".", resv(0), SZ_POOL, -EINVAL);
	CREATE_FAILS("..", resv(0), SZ_POOL, -EINVAL);
	/* System RAM, in use by the kernel. */
	CREATE_FAILS("t_err", ram, PAGE_SIZE, -EBUSY);
	CREATE_FAILS("t_err", ALIGN_DOWN(ram, CHUNK_BYTES), CHUNK_BYTES, -EBUSY);
	/* A range that runs from the reservation into System RAM. */
	if (page_is_ram(PHYS_PFN(resv_base + resv_size)))
		CREATE_FAILS("t_err", resv_base + resv_size - CHUNK_BYTES,
			     2 * CHUNK_BYTES, -EBUSY);
	/* A range someone else claimed. */
	claimed = request_mem_region(resv(SZ_POOL), PAGE_SIZE, KBUILD_MODNAME);
	if (CHECK(claimed)) {
		CREATE_FAILS("t_err", resv(0), 2 * SZ_POOL, -EBUSY);
		CREATE_FAILS("t_err", resv(SZ_POOL), PAGE_SIZE, -EBUSY);
		release_mem_region(resv(SZ_POOL), PAGE_SIZE);
	}
	/* The failures left nothing behind: the same pool can be made. */
	if (tpool_create(&tp, "t_err", resv(0), SZ_POOL, 0))
		ret = -EIO;
	tpool_destroy(&tp);
	if (tpool_create(&tp, "t_err", 0, SZ_POOL, 0))
		ret = -EIO;
	tpool_destroy(&tp);
	__free_page(page);
	return ret;
}

/*
 * Pools from the page allocator whose size is not a multiple of a block:
 * the last block is partial, and may lie below full ones.  Every page is
 * handed out once, mapped, and taken back, whatever the blocks' order.
 */
int t_api_block_sizes(struct tp_fix *f)
{
	static const size_t sizes[] = {
		CHUNK_BYTES + SZ_1M,		/* 5 MiB: one full, one partial */
		16 * CHUNK_BYTES + SZ_1M,	/* 65 MiB */
		2 * CHUNK_BYTES + PAGE_SIZE,	/* 8 MiB + 4 KiB */
	};
	struct tpool tp;
	unsigned int i, round;
	int ret = 0;

	/* The blocks' order is the page allocator's: try a few. */
	for (round = 0; round < 3 && !ret; round++) {
		for (i = 0; i < ARRAY_SIZE(sizes) && !ret; i++) {
			ret = tpool_create(&tp, "t_blksz", 0, sizes[i], 0);
			if (ret)
				break;
			ret = exhaust_check(&tp, f->cpu, false) ?:
			      exhaust_check(&tp, f->cpu, true);
			tpool_destroy(&tp);
		}
	}
	return ret;
}

/*
 * Runs longer than PPC_SLICE_PAGES (4096) are claimed, marked and freed a
 * slice a hold of the lock: the whole pool, runs of 5000, a bad free of
 * one (nothing freed), a double free.
 */
int t_api_sliced(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	phys_addr_t a, b;

	pcpu_pagecache_drain(tp->pool);
	a = pcpu_pagecache_alloc(tp->pool, tp->npages);
	if (!ASSERT(a))
		return -EIO;
	tpool_run_ok(tp, a, tp->npages);
	CHECK_EQ(alloc1_on(f->cpu, tp->pool, 1), 0);
	CHECK_EQ(pcpu_pagecache_free(tp->pool, a, tp->npages), 0);
	BAD_FREE(tp, -1, a, tp->npages, "whole pool, twice");

	a = pcpu_pagecache_alloc(tp->pool, 5000);
	b = pcpu_pagecache_alloc(tp->pool, 3000);
	if (!ASSERT(a && b))
		return -EIO;
	tpool_run_ok(tp, a, 5000);
	tpool_run_ok(tp, b, 3000);
	CHECK(b >= a + 5000 * PAGE_SIZE || a >= b + 3000 * PAGE_SIZE);
	/* Its first page freed alone: the run's free is refused whole. */
	CHECK_EQ(pcpu_pagecache_free(tp->pool, a, 1), 0);
	BAD_FREE(tp, -1, a, 5000, "run of 5000, first page freed already");
	CHECK_EQ(pcpu_pagecache_free(tp->pool, a + PAGE_SIZE, 4999), 0);
	BAD_FREE(tp, -1, a + PAGE_SIZE, 4999, "run of 4999, twice");
	CHECK_EQ(pcpu_pagecache_free(tp->pool, b, 3000), 0);
	return exhaust_check(tp, f->cpu, true);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of pcpu_pagecache's per-CPU layer, in the spirit of Go's
 * TestPageCacheAlloc and TestPageCacheFlush.  Included at the end of
 * ppc_cache.c when the module is built with PCPU_PAGECACHE_KUNIT_TEST=y
 * (Kbuild); what they call of the other files
 * is in ppc_internal.h.  The bitmap and its summary tree (ppc_core.c) have
 * their own unit and differential tests, on the host
 * (tools/testing/ppc_core).  The pools here are built by hand over a
 * made-up physical range that is never mapped or touched.
 */
#if !IS_ENABLED(CONFIG_KUNIT)
#error "PCPU_PAGECACHE_KUNIT_TEST=y needs a kernel built with CONFIG_KUNIT"
#endif

#include <kunit/test.h>
#include <linux/prandom.h>

#define PPC_TEST_BASE	((phys_addr_t)1 << 40)
#define PPC_TEST_CHUNK	((phys_addr_t)PPC_CHUNK_PAGES << PAGE_SHIFT)

static struct pcpu_pagecache *ppc_test_pool(struct kunit *test,
					    unsigned int nchunks, bool reserved)
{
	struct pcpu_pagecache *pool;
	unsigned int i;

	pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	pool->cache = alloc_percpu(struct ppc_cache);
	KUNIT_ASSERT_NOT_NULL(test, pool->cache);
	for_each_possible_cpu(i) {
		ppc_cache_of(pool, i)->pool = pool;
		local_set(&ppc_cache_of(pool, i)->nest, -1);
		INIT_CSD(&ppc_cache_of(pool, i)->reclaim_csd, ppc_reclaim_ipi,
			 ppc_cache_of(pool, i));
	}
	pool->nest_idle = -1;
	strscpy(pool->name, "kunit", sizeof(pool->name));
	raw_spin_lock_init(&pool->lock);
	seqcount_raw_spinlock_init(&pool->owners_seq, &pool->lock);
	pool->nchunks = nchunks;
	pool->npages = (unsigned long)nchunks * PPC_CHUNK_PAGES;
	pool->max_run = reserved ? pool->npages : PPC_CHUNK_PAGES;
	pool->fast_limit = PCPU_PAGECACHE_FAST_PAGES - 1;
	pool->size = pool->npages << PAGE_SHIFT;
	pool->base = reserved ? PPC_TEST_BASE : 0;
	if (!reserved) {
		/* Blocks from the page allocator: a gap between them. */
		pool->blocks = kunit_kcalloc(test, nchunks, sizeof(*pool->blocks),
					     GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pool->blocks);
		for (i = 0; i < nchunks; i++)
			pool->blocks[i].phys = PPC_TEST_BASE + 2 * i * PPC_TEST_CHUNK;
	}
	/* The batched bits that every free checks (D3). */
	pool->batched = kunit_kcalloc(test, BITS_TO_LONGS(pool->npages),
				      sizeof(*pool->batched), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool->batched);
	KUNIT_ASSERT_EQ(test, ppc_bits_init(&pool->bits, pool->npages, reserved), 0);
	return pool;
}

static void ppc_test_pool_free(struct pcpu_pagecache *pool)
{
	ppc_bits_fini(&pool->bits);
	free_percpu(pool->cache);
}

/* Every page allocated, then pages [lo, hi) free again. */
static void ppc_test_only_free(struct pcpu_pagecache *pool, unsigned long lo,
			       unsigned long hi)
{
	unsigned long i;

	for (i = 0; i < pool->npages; i += PPC_CHUNK_PAGES)
		ppc_bits_alloc(&pool->bits, PPC_CHUNK_PAGES);
	if (hi > lo)
		ppc_bits_free(&pool->bits, lo, hi - lo);
}

static unsigned int ppc_ref_find_run(unsigned long free, unsigned int n)
{
	unsigned int i, run = 0;

	for (i = 0; i < BITS_PER_LONG; i++) {
		run = (free & BIT(i)) ? run + 1 : 0;
		if (run == n)
			return i + 1 - n;
	}
	return PPC_WINDOW;
}

static void ppc_test_find_run(struct kunit *test)
{
	static const unsigned long masks[] = {
		0, ~0UL, 1, BIT(63), 0xaaaaaaaaaaaaaaaaUL, 0xf0f0f0f0f0f0f0f0UL,
		0x8000000000000001UL, 0x00ffff0000ffff00UL, 0x7ffe,
	};
	struct rnd_state rnd;
	unsigned long m;
	unsigned int i, n;

	prandom_seed_state(&rnd, 7);
	for (i = 0; i < ARRAY_SIZE(masks) + 500; i++) {
		m = i < ARRAY_SIZE(masks) ? masks[i] :
		    (unsigned long)prandom_u32_state(&rnd) << 32 |
		    prandom_u32_state(&rnd);
		if (i >= ARRAY_SIZE(masks) && i % 3)
			m |= m >> 1 | m << 1;	/* longer runs */
		for (n = 1; n <= BITS_PER_LONG; n++)
			KUNIT_EXPECT_EQ_MSG(test, ppc_word_find(m, n),
					    ppc_ref_find_run(m, n),
					    "mask %#lx n %u", m, n);
	}
}

static void ppc_test_bits_alloc(struct kunit *test)
{
	struct pcpu_pagecache *pool = ppc_test_pool(test, 4, true);
	phys_addr_t b = PPC_TEST_BASE;
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	/* Only run left: the last 10 pages of chunk 0 and first 20 of chunk 1. */
	ppc_test_only_free(pool, 1014, 1044);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 31), 0);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 30),
			b + (1014 << PAGE_SHIFT));
	KUNIT_EXPECT_EQ(test, pool->bits.nfree, 0);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 1), 0);

	/* Free everything: a run of all four chunks, then one page. */
	ppc_bits_free(&pool->bits, 0, 4096);
	KUNIT_EXPECT_EQ(test, pool->bits.nfree, 4096);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 4096), b);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 1), 0);
	ppc_bits_free(&pool->bits, 0, 4096);

	/* First fit: the hole at page 3 is found before the larger one. */
	ppc_bits_alloc(&pool->bits, 1024);
	ppc_bits_free(&pool->bits, 3, 2);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 2),
			b + (3 << PAGE_SHIFT));
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 2),
			b + ((phys_addr_t)1024 << PAGE_SHIFT));
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	ppc_test_pool_free(pool);
}

static void ppc_test_bits_alloc_blocks(struct kunit *test)
{
	struct pcpu_pagecache *pool = ppc_test_pool(test, 2, false);
	unsigned long flags, idx;

	raw_spin_lock_irqsave(&pool->lock, flags);
	/* Blocks from the page allocator are not contiguous: no run crosses. */
	ppc_test_only_free(pool, 1000, 1124);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 101), 0);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 100),
			pool->blocks[1].phys);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 24),
			pool->blocks[0].phys + (1000 << PAGE_SHIFT));
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	/* Addresses map back to their pages, gaps to none. */
	KUNIT_EXPECT_TRUE(test, ppc_page_of(pool, pool->blocks[1].phys + 5 * PAGE_SIZE, &idx));
	KUNIT_EXPECT_EQ(test, idx, 1029);
	KUNIT_EXPECT_FALSE(test, ppc_page_of(pool, PPC_TEST_BASE + PPC_TEST_CHUNK, &idx));
	ppc_test_pool_free(pool);
}

struct ppc_cache_case {
	const char *name;
	unsigned long free;		/* the window's free pages */
	unsigned int npages;
	int want;			/* page index, or -1 */
};

static const struct ppc_cache_case ppc_cache_cases[] = {
	{ "lo1",   0x1,                  1,  0 },
	{ "lo1_2", 0x1,                  2,  -1 },
	{ "hi1",   BIT(63),              1,  63 },
	{ "swiss", 0x5555555555555555UL, 1,  0 },
	{ "swiss2", 0x5555555555555555UL, 2, -1 },
	{ "full",  ~0UL,                 15, 0 },
	{ "hole",  0xffff00000000ffffUL, 15, 0 },
	{ "high",  0xffff000000000000UL, 16 - 1, 48 },
};

/* A window over pages 0-63 with @free, the rest of the pool handed out. */
static struct ppc_cache *ppc_test_set_window(struct kunit *test,
					     struct pcpu_pagecache *pool,
					     unsigned long free)
{
	struct ppc_cache *c = this_cpu_ptr(pool->cache);
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	ppc_test_only_free(pool, 0, PPC_WINDOW);
	KUNIT_EXPECT_TRUE(test, ppc_cache_fill_locked(pool, c, 1));
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	KUNIT_EXPECT_EQ(test, c->word, 0);
	KUNIT_EXPECT_EQ(test, c->free, ~0UL);
	/* Pages of the window not in @free are handed out. */
	c->free = free;
	local_add(PPC_WINDOW - hweight_long(free), &c->out_adjust);
	return c;
}

static void ppc_test_cache_alloc(struct kunit *test)
{
	const struct ppc_cache_case *t;
	struct pcpu_pagecache *pool;
	struct ppc_cache *c;
	unsigned long flags;
	phys_addr_t addr;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ppc_cache_cases); i++) {
		t = &ppc_cache_cases[i];
		pool = ppc_test_pool(test, 1, true);
		local_irq_save(flags);
		c = ppc_test_set_window(test, pool, t->free);
		addr = pcpu_pagecache_alloc(pool, t->npages);
		local_irq_restore(flags);
		if (t->want < 0) {
			KUNIT_EXPECT_EQ_MSG(test, addr, 0, "%s", t->name);
		} else {
			KUNIT_EXPECT_EQ_MSG(test, addr, PPC_TEST_BASE +
					    ((phys_addr_t)t->want << PAGE_SHIFT),
					    "%s", t->name);
			KUNIT_EXPECT_EQ_MSG(test, c->free, t->free &
					    ~(ppc_mask(t->npages) << t->want),
					    "%s", t->name);
		}
		ppc_test_pool_free(pool);
	}
}

static void ppc_test_cache_flush(struct kunit *test)
{
	struct pcpu_pagecache *pool;
	struct rnd_state rnd;
	struct ppc_cache *c;
	unsigned long flags, free;
	unsigned int i, p;

	prandom_seed_state(&rnd, 11);
	for (i = 0; i < 50; i++) {
		free = (unsigned long)prandom_u32_state(&rnd) << 32 |
		       prandom_u32_state(&rnd);
		if (i == 0)
			free = 0;
		if (i == 1)
			free = ~0UL;
		pool = ppc_test_pool(test, 1, true);
		local_irq_save(flags);
		c = ppc_test_set_window(test, pool, free);
		raw_spin_lock(&pool->lock);
		ppc_cache_flush_locked(pool, smp_processor_id(), PPC_FLUSH_DRAIN);
		raw_spin_unlock(&pool->lock);
		local_irq_restore(flags);

		KUNIT_EXPECT_EQ(test, ppc_bits_owner(&pool->bits, 0), -1);
		for (p = 0; p < PPC_WINDOW; p++)
			KUNIT_EXPECT_EQ(test, ppc_bits_allocated(&pool->bits, p, 1),
					!(free & BIT(p)));
		KUNIT_EXPECT_EQ(test, pool->bits.nfree, hweight_long(free));
		KUNIT_EXPECT_EQ(test, c->free, 0);
		KUNIT_EXPECT_EQ(test, c->span, 0);
		ppc_test_pool_free(pool);
	}
}

static void ppc_test_cache_refill_and_free(struct kunit *test)
{
	struct pcpu_pagecache *pool = ppc_test_pool(test, 1, true);
	unsigned long flags, invalid = 0;
	phys_addr_t a[PPC_WINDOW + 1];
	unsigned int i;

	local_irq_save(flags);
	for (i = 0; i <= PPC_WINDOW; i++)
		a[i] = pcpu_pagecache_alloc(pool, 1);
	for (i = 0; i <= PPC_WINDOW; i++)
		KUNIT_EXPECT_EQ(test, a[i], PPC_TEST_BASE +
				((phys_addr_t)i << PAGE_SHIFT));
	/* The 65th page came with a second window: the first is given up. */
	KUNIT_EXPECT_EQ(test, ppc_bits_owner(&pool->bits, 0), -1);
	KUNIT_EXPECT_EQ(test, ppc_bits_owner(&pool->bits, 1), smp_processor_id());
	/* Back into the current window. */
	KUNIT_EXPECT_EQ(test, pcpu_pagecache_free(pool, a[PPC_WINDOW], 1), 0);
	KUNIT_EXPECT_EQ(test, this_cpu_ptr(pool->cache)->free, ~0UL);
	/* A page of the old window: into the batch, then to the bitmap. */
	KUNIT_EXPECT_EQ(test, pcpu_pagecache_free(pool, a[0], 1), 0);
	KUNIT_EXPECT_EQ(test, this_cpu_ptr(pool->cache)->nbatch, 1);
	KUNIT_EXPECT_TRUE(test, ppc_bits_allocated(&pool->bits, 0, 1));
	raw_spin_lock(&pool->lock);
	ppc_batch_apply_locked(pool, this_cpu_ptr(pool->cache));
	raw_spin_unlock(&pool->lock);
	KUNIT_EXPECT_EQ(test, this_cpu_ptr(pool->cache)->nbatch, 0);
	KUNIT_EXPECT_FALSE(test, ppc_bits_allocated(&pool->bits, 0, 1));
	/* Twice: refused, whichever path sees it. */
	KUNIT_EXPECT_EQ(test, pcpu_pagecache_free(pool, a[0], 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, pcpu_pagecache_free(pool, a[PPC_WINDOW], 1),
			-EINVAL);
	local_irq_restore(flags);
	for_each_possible_cpu(i)
		invalid += per_cpu_ptr(pool->cache, i)->invalid_frees;
	KUNIT_EXPECT_EQ(test, invalid, 2);
	ppc_test_pool_free(pool);
}

/* @n single-page frees of pages @first on, from one call site. */
static int ppc_test_free_pages(struct pcpu_pagecache *pool, unsigned long first,
			       unsigned int n)
{
	int ret = 0;

	while (n--)
		ret |= pcpu_pagecache_free(pool, PPC_TEST_BASE +
					   ((phys_addr_t)first++ << PAGE_SHIFT), 1);
	return ret;
}

/*
 * Remote frees of pages in a row, from one call site, wait as one entry of
 * the batch; a gap, a new chunk or an entry in between starts another.  A
 * page freed again while its entry waits is refused.  The batch goes back
 * after PPC_BATCH frees, however few entries they made.
 */
static void ppc_test_batch_coalesce(struct kunit *test)
{
	struct pcpu_pagecache *pool = ppc_test_pool(test, 2, true);
	unsigned long flags, locks;
	struct ppc_cache *c;

	ppc_test_only_free(pool, 0, 0);
	local_irq_save(flags);
	c = this_cpu_ptr(pool->cache);
	locks = c->lock_acquisitions;
	KUNIT_EXPECT_EQ(test, ppc_test_free_pages(pool, 0, 5), 0);
	KUNIT_EXPECT_EQ(test, c->nbatch, 1);
	KUNIT_EXPECT_EQ(test, c->batch[0].npages, 5);
	KUNIT_EXPECT_EQ(test, pcpu_pagecache_free(pool, PPC_TEST_BASE +
						  2 * PAGE_SIZE, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, ppc_test_free_pages(pool, 6, 1), 0);
	KUNIT_EXPECT_EQ(test, c->nbatch, 2);
	KUNIT_EXPECT_EQ(test, ppc_test_free_pages(pool, PPC_CHUNK_PAGES - 2, 4), 0);
	KUNIT_EXPECT_EQ(test, c->nbatch, 4);
	KUNIT_EXPECT_EQ(test, ppc_test_free_pages(pool, 7, 1), 0);
	KUNIT_EXPECT_EQ(test, ppc_test_free_pages(pool, 100, 4), 0);
	KUNIT_EXPECT_EQ(test, c->nbatch, 6);
	KUNIT_EXPECT_EQ(test, c->batch_pages, 15);
	KUNIT_EXPECT_EQ(test, c->lock_acquisitions, locks);
	KUNIT_EXPECT_TRUE(test, ppc_bits_allocated(&pool->bits, 0, 5));
	/* The 16th free. */
	KUNIT_EXPECT_EQ(test, ppc_test_free_pages(pool, 104, 1), 0);
	KUNIT_EXPECT_EQ(test, c->nbatch, 0);
	KUNIT_EXPECT_EQ(test, c->batch_pages, 0);
	KUNIT_EXPECT_EQ(test, c->lock_acquisitions, locks + 1);
	KUNIT_EXPECT_EQ(test, c->invalid_frees, 1);
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, pool->bits.nfree, 16);
	KUNIT_EXPECT_FALSE(test, ppc_bits_allocated(&pool->bits, 0, 1));
	KUNIT_EXPECT_FALSE(test, ppc_bits_allocated(&pool->bits, 4, 1));
	KUNIT_EXPECT_FALSE(test, ppc_bits_allocated(&pool->bits, 7, 1));
	KUNIT_EXPECT_FALSE(test, ppc_bits_allocated(&pool->bits, PPC_CHUNK_PAGES, 1));
	KUNIT_EXPECT_FALSE(test, ppc_bits_allocated(&pool->bits, 104, 1));
	KUNIT_EXPECT_TRUE(test, ppc_bits_allocated(&pool->bits, 5, 1));
	ppc_test_pool_free(pool);
}

/*
 * NUMA: chunks 0-1 on no known node, 2-3 on this CPU's.  Refills take this
 * node's windows first, in address order, then the others'; the extents
 * answer each chunk's node.  Faked extents: the kernel under test may have
 * one node, or none.
 */
static void ppc_test_cache_fill_node(struct kunit *test)
{
	struct pcpu_pagecache *pool = ppc_test_pool(test, 4, true);
	const unsigned long nwords = 4 * PPC_CHUNK_PAGES / PPC_WINDOW;
	struct ppc_node_ext exts[2];
	unsigned long flags, i, n;
	struct ppc_cache *c;
	unsigned long *words;
	int nid;

	words = kunit_kcalloc(test, nwords + 1, sizeof(*words), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, words);
	/* The lock keeps this CPU, and its node, for the whole test. */
	raw_spin_lock_irqsave(&pool->lock, flags);
	c = this_cpu_ptr(pool->cache);
	nid = cpu_to_node(smp_processor_id());
	exts[0] = (struct ppc_node_ext){ 0, 2, NUMA_NO_NODE };
	exts[1] = (struct ppc_node_ext){ 2, 4, nid };
	pool->exts = exts;
	pool->nexts = 2;
	pool->numa = true;
	nodes_clear(pool->nodes);
	node_set(nid, pool->nodes);
	/* Each fill takes a new window; the old one stays owned. */
	for (n = 0; n <= nwords && ppc_cache_fill_locked(pool, c, 1); n++)
		words[n] = c->word;
	raw_spin_unlock_irqrestore(&pool->lock, flags);

	KUNIT_EXPECT_EQ(test, n, nwords);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, words[i],
				    i < nwords / 2 ? nwords / 2 + i : i - nwords / 2,
				    "fill %lu", i);
	KUNIT_EXPECT_EQ(test, ppc_chunk_nid(pool, 0), NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, ppc_chunk_nid(pool, 1), NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, ppc_chunk_nid(pool, 2), nid);
	KUNIT_EXPECT_EQ(test, ppc_chunk_nid(pool, 3), nid);
	KUNIT_EXPECT_EQ(test, ppc_chunk_nid(pool, 4), NUMA_NO_NODE);
	ppc_test_pool_free(pool);
}

static struct kunit_case ppc_kunit_cases[] = {
	KUNIT_CASE(ppc_test_find_run),
	KUNIT_CASE(ppc_test_bits_alloc),
	KUNIT_CASE(ppc_test_bits_alloc_blocks),
	KUNIT_CASE(ppc_test_cache_alloc),
	KUNIT_CASE(ppc_test_cache_flush),
	KUNIT_CASE(ppc_test_cache_refill_and_free),
	KUNIT_CASE(ppc_test_batch_coalesce),
	KUNIT_CASE(ppc_test_cache_fill_node),
	{}
};

static struct kunit_suite ppc_kunit_suite = {
	.name = "pcpu_pagecache",
	.test_cases = ppc_kunit_cases,
};

kunit_test_suite(ppc_kunit_suite);

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of pcpu_pagecache's internals, in the spirit of Go's
 * TestPallocBitsSummarize, TestPageAllocAlloc, TestPageCacheAlloc and
 * TestPageCacheFlush.  Included at the end of pcpu_pagecache.c when
 * CONFIG_KUNIT is set, so they can reach its static functions; the pools
 * here are built by hand over a made-up physical range that is never
 * mapped or touched.
 */
#include <kunit/test.h>
#include <linux/prandom.h>

#define PPC_TEST_BASE	((phys_addr_t)1 << 40)

static struct pcpu_pagecache *ppc_test_pool(struct kunit *test,
					    unsigned int nchunks, bool reserved)
{
	struct pcpu_pagecache *pool;
	unsigned int i;

	pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	pool->chunks = kunit_kcalloc(test, nchunks, sizeof(*pool->chunks),
				     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool->chunks);
	pool->cache = alloc_percpu(struct ppc_cache);
	KUNIT_ASSERT_NOT_NULL(test, pool->cache);
	for_each_possible_cpu(i) {
		ppc_cache_of(pool, i)->pool = pool;
		INIT_CSD(&ppc_cache_of(pool, i)->reclaim_csd, ppc_reclaim_ipi,
			 ppc_cache_of(pool, i));
	}
	strscpy(pool->name, "kunit", sizeof(pool->name));
	raw_spin_lock_init(&pool->lock);
	pool->nchunks = nchunks;
	pool->npages = (unsigned long)nchunks * PPC_CHUNK_PAGES;
	pool->max_run = reserved ? pool->npages : PPC_CHUNK_PAGES;
	pool->fast_limit = PCPU_PAGECACHE_FAST_PAGES - 1;
	pool->size = pool->npages << PAGE_SHIFT;
	for (i = 0; i < nchunks; i++) {
		pool->chunks[i].npages = PPC_CHUNK_PAGES;
		/* Chunks from the page allocator: leave a gap between them. */
		if (!reserved)
			pool->chunks[i].phys = PPC_TEST_BASE +
				((phys_addr_t)(2 * i) << PPC_CHUNK_SHIFT);
	}
	pool->base = reserved ? PPC_TEST_BASE : 0;
	ppc_chunks_init(pool);
	return pool;
}

static void ppc_test_pool_free(struct pcpu_pagecache *pool)
{
	free_percpu(pool->cache);
}

/* The obvious O(bits) scan the summaries must agree with. */
static void ppc_ref_summary(const unsigned long *bits, unsigned int *start,
			    unsigned int *max, unsigned int *end)
{
	unsigned int i, run = 0;

	*start = PPC_CHUNK_PAGES;
	*max = 0;
	for (i = 0; i < PPC_CHUNK_PAGES; i++) {
		if (test_bit(i, bits)) {
			if (*start == PPC_CHUNK_PAGES)
				*start = i;
			run = 0;
			continue;
		}
		run++;
		*max = max(*max, run);
	}
	*end = run;
}

struct ppc_sum_case {
	const char *name;
	unsigned int free_lo, free_hi;	/* free pages [lo, hi), rest used */
	unsigned int start, max, end;
};

static const struct ppc_sum_case ppc_sum_cases[] = {
	{ "empty",      0,    1024, 1024, 1024, 1024 },
	{ "full",       0,    0,    0,    0,    0 },
	{ "first_free", 0,    1,    1,    1,    0 },
	{ "last_free",  1023, 1024, 0,    1,    1 },
	{ "word_edge",  60,   70,   0,    10,   0 },
	{ "inner",      3,    9,    0,    6,    0 },
	{ "two_words",  64,   192,  0,    128,  0 },
	{ "tail_half",  512,  1024, 0,    512,  512 },
};

static void ppc_test_summarize_cases(struct kunit *test)
{
	const struct ppc_sum_case *t;
	struct ppc_chunk ch;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ppc_sum_cases); i++) {
		t = &ppc_sum_cases[i];
		memset(&ch, 0, sizeof(ch));
		bitmap_fill(ch.bits, PPC_CHUNK_PAGES);
		bitmap_clear(ch.bits, t->free_lo, t->free_hi - t->free_lo);
		ppc_chunk_summarize(&ch);
		KUNIT_EXPECT_EQ_MSG(test, ch.start, t->start, "%s", t->name);
		KUNIT_EXPECT_EQ_MSG(test, ch.max, t->max, "%s", t->name);
		KUNIT_EXPECT_EQ_MSG(test, ch.end, t->end, "%s", t->name);
	}
}

static void ppc_test_summarize_random(struct kunit *test)
{
	unsigned int i, j, start, max, end;
	struct rnd_state rnd;
	struct ppc_chunk ch;

	prandom_seed_state(&rnd, 42);
	for (i = 0; i < 200; i++) {
		memset(&ch, 0, sizeof(ch));
		/* Vary the density so long and short runs both show up. */
		for (j = 0; j < PPC_CHUNK_PAGES; j++)
			if (prandom_u32_state(&rnd) % 64 < i % 64)
				__set_bit(j, ch.bits);
		ppc_chunk_summarize(&ch);
		ppc_ref_summary(ch.bits, &start, &max, &end);
		KUNIT_EXPECT_EQ_MSG(test, ch.start, start, "round %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ch.max, max, "round %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ch.end, end, "round %u", i);
	}
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
			KUNIT_EXPECT_EQ_MSG(test, ppc_find_run(m, n),
					    ppc_ref_find_run(m, n),
					    "mask %#lx n %u", m, n);
	}
}

/* Allocate pages [lo, hi) of chunk @ci straight from the bitmap. */
static void ppc_test_take(struct pcpu_pagecache *pool, unsigned int ci,
			  unsigned int lo, unsigned int hi)
{
	ppc_bits_update_locked(pool, &pool->chunks[ci], lo, hi - lo, true);
}

static void ppc_test_bits_alloc(struct kunit *test)
{
	struct pcpu_pagecache *pool = ppc_test_pool(test, 4, true);
	phys_addr_t addr, b = PPC_TEST_BASE;
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	/* Only run left: the last 10 pages of chunk 0 and first 20 of chunk 1. */
	ppc_test_take(pool, 0, 0, 1014);
	ppc_test_take(pool, 1, 20, 1024);
	ppc_test_take(pool, 2, 0, 1024);
	ppc_test_take(pool, 3, 0, 1024);
	addr = ppc_bits_alloc_locked(pool, 31);
	KUNIT_EXPECT_EQ(test, addr, 0);
	addr = ppc_bits_alloc_locked(pool, 30);
	KUNIT_EXPECT_EQ(test, addr, b + (1014 << PAGE_SHIFT));
	KUNIT_EXPECT_EQ(test, pool->nfree, 0);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 1), 0);

	/* Free everything: a run of all four chunks, then one page. */
	ppc_bits_update_locked(pool, &pool->chunks[0], 0, 4096, false);
	KUNIT_EXPECT_EQ(test, pool->nfree, 4096);
	KUNIT_EXPECT_EQ(test, pool->hint, 0);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 4096), b);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 1), 0);
	ppc_bits_update_locked(pool, &pool->chunks[0], 0, 4096, false);

	/* First fit: the hole at page 3 is found before the larger one. */
	ppc_test_take(pool, 0, 0, 1024);
	ppc_bits_update_locked(pool, &pool->chunks[0], 3, 2, false);
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
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	/* Chunks from the page allocator are not contiguous: no run crosses. */
	ppc_test_take(pool, 0, 0, 1000);
	ppc_test_take(pool, 1, 100, 1024);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 101), 0);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 100),
			pool->chunks[1].phys);
	KUNIT_EXPECT_EQ(test, ppc_bits_alloc_locked(pool, 24),
			pool->chunks[0].phys + (1000 << PAGE_SHIFT));
	raw_spin_unlock_irqrestore(&pool->lock, flags);
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

/* Put a window with @free over page 0 of chunk 0, as a refill would. */
static void ppc_test_set_window(struct pcpu_pagecache *pool,
				struct ppc_cache *c, unsigned long free)
{
	struct ppc_chunk *ch = &pool->chunks[0];

	ch->owner[0] = smp_processor_id() + 1;
	ch->bits[0] = ~0UL;
	ch->nfree -= PPC_WINDOW;
	pool->nfree -= PPC_WINDOW;
	/* Pages of the window not in @free are handed out. */
	local_add(PPC_WINDOW - hweight_long(free), &c->pages_out);
	ppc_chunk_summarize(ch);
	c->base = ch->phys;
	c->span = PPC_WINDOW;
	c->word = 0;
	c->chunk = ch;
	c->free = free;
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
		/* Keep the rest of the chunk used, so a miss cannot refill. */
		raw_spin_lock_irqsave(&pool->lock, flags);
		ppc_test_take(pool, 0, PPC_WINDOW, PPC_CHUNK_PAGES);
		c = this_cpu_ptr(pool->cache);
		ppc_test_set_window(pool, c, t->free);
		raw_spin_unlock_irqrestore(&pool->lock, flags);

		local_irq_save(flags);
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
	unsigned int i;

	prandom_seed_state(&rnd, 11);
	for (i = 0; i < 50; i++) {
		free = (unsigned long)prandom_u32_state(&rnd) << 32 |
		       prandom_u32_state(&rnd);
		if (i == 0)
			free = 0;
		if (i == 1)
			free = ~0UL;
		pool = ppc_test_pool(test, 1, true);
		raw_spin_lock_irqsave(&pool->lock, flags);
		c = this_cpu_ptr(pool->cache);
		ppc_test_set_window(pool, c, free);
		ppc_cache_flush_locked(pool, smp_processor_id(), PPC_FLUSH_DRAIN);
		raw_spin_unlock_irqrestore(&pool->lock, flags);

		KUNIT_EXPECT_EQ(test, pool->chunks[0].bits[0], ~free);
		KUNIT_EXPECT_EQ(test, pool->chunks[0].owner[0], 0);
		KUNIT_EXPECT_EQ(test, pool->nfree,
				PPC_CHUNK_PAGES - PPC_WINDOW + hweight_long(free));
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
	KUNIT_EXPECT_EQ(test, pool->chunks[0].owner[0], 0);
	KUNIT_EXPECT_EQ(test, pool->chunks[0].owner[1], smp_processor_id() + 1);
	/* Back into the cache: a page of the current window. */
	KUNIT_EXPECT_EQ(test, pcpu_pagecache_free(pool, a[PPC_WINDOW], 1), 0);
	KUNIT_EXPECT_EQ(test, this_cpu_ptr(pool->cache)->free, ~0UL);
	/* A page of the old window: into the batch, then to the bitmap. */
	KUNIT_EXPECT_EQ(test, pcpu_pagecache_free(pool, a[0], 1), 0);
	KUNIT_EXPECT_EQ(test, this_cpu_ptr(pool->cache)->nbatch, 1);
	KUNIT_EXPECT_TRUE(test, test_bit(0, pool->chunks[0].bits));
	raw_spin_lock(&pool->lock);
	ppc_batch_apply_locked(pool, this_cpu_ptr(pool->cache));
	raw_spin_unlock(&pool->lock);
	KUNIT_EXPECT_EQ(test, this_cpu_ptr(pool->cache)->nbatch, 0);
	KUNIT_EXPECT_FALSE(test, test_bit(0, pool->chunks[0].bits));
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

static struct kunit_case ppc_kunit_cases[] = {
	KUNIT_CASE(ppc_test_summarize_cases),
	KUNIT_CASE(ppc_test_summarize_random),
	KUNIT_CASE(ppc_test_find_run),
	KUNIT_CASE(ppc_test_bits_alloc),
	KUNIT_CASE(ppc_test_bits_alloc_blocks),
	KUNIT_CASE(ppc_test_cache_alloc),
	KUNIT_CASE(ppc_test_cache_flush),
	KUNIT_CASE(ppc_test_cache_refill_and_free),
	{}
};

static struct kunit_suite ppc_kunit_suite = {
	.name = "pcpu_pagecache",
	.test_cases = ppc_kunit_cases,
};

kunit_test_suite(ppc_kunit_suite);

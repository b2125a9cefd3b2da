/* SPDX-License-Identifier: GPL-2.0 */
/*
 * FOR COMPARISON ONLY: the search of pcpu_pagecache.c as of commit 5731be9
 * ("Bit helpers", "Chunks and the bitmap", ppc_cache_fill_locked), before
 * ppc_core: a linear walk over per-chunk summaries from a chunk hint.  Copied
 * with the kernel bitmap calls written out, and the physical addresses and
 * per-CPU caches left out; the chunk keeps its 192-byte layout.  Only
 * ppc_core_bench.c uses it, to measure issue 11's cases.
 */
#ifndef _PPC_CORE_OLD_H
#define _PPC_CORE_OLD_H

#define OLD_WORDS	(PPC_CHUNK_PAGES / 64)

struct old_chunk {
	unsigned long bits[OLD_WORDS];
	u16 owner[OLD_WORDS];
	u16 nfree;
	u16 start;
	u16 max;
	u16 end;
	u16 npages;
	u64 phys;
	void *va;
};

struct old_pool {
	struct old_chunk *chunks;
	unsigned long nchunks;
	unsigned long nfree;
	unsigned long hint;
	bool contiguous;
};

static unsigned int old_find_run(unsigned long free, unsigned int npages)
{
	unsigned int left = npages - 1, shift = 1, s;

	while (left && free) {
		s = min(left, shift);
		free &= free >> s;
		left -= s;
		shift <<= 1;
	}
	return free ? __ffs(free) : 64;
}

static unsigned int old_inner_run(unsigned long x)
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

static void old_chunk_summarize(struct old_chunk *ch)
{
	unsigned int w, run = 0, max = 0, start = 0;
	bool at_start = true;
	unsigned long x;

	for (w = 0; w < OLD_WORDS; w++) {
		x = ch->bits[w];
		if (!x) {
			run += 64;
			continue;
		}
		run += __ffs(x);
		if (at_start) {
			start = run;
			at_start = false;
		}
		max = max(max, run);
		if (max < 64 - 2)
			max = max(max, old_inner_run(x));
		run = 64 - 1 - __fls(x);
	}
	ch->start = at_start ? run : start;
	ch->max = max(max, run);
	ch->end = run;
}

/* The kernel's bitmap_find_next_zero_area() with no alignment. */
static unsigned int old_find_zero_area(const unsigned long *bits,
				       unsigned int size, unsigned int n)
{
	unsigned int i, run = 0;

	for (i = 0; i < size; i++) {
		run = bits[i / 64] >> (i % 64) & 1 ? 0 : run + 1;
		if (run == n)
			return i + 1 - n;
	}
	return size;
}

static void old_update(struct old_pool *pool, unsigned long c,
		       unsigned int bit, unsigned int npages, bool set)
{
	struct old_chunk *ch = &pool->chunks[c];
	unsigned int k;

	while (npages) {
		k = min(npages, PPC_CHUNK_PAGES - bit);
		if (set) {
			ppc_range_set(ch->bits, bit, k);
			ch->nfree -= k;
			pool->nfree -= k;
		} else {
			ppc_range_clear(ch->bits, bit, k);
			ch->nfree += k;
			pool->nfree += k;
			pool->hint = min(pool->hint, (unsigned long)(ch - pool->chunks));
		}
		old_chunk_summarize(ch);
		npages -= k;
		ch++;
		bit = 0;
	}
}

static void old_hint_advance(struct old_pool *pool)
{
	while (pool->hint < pool->nchunks && !pool->chunks[pool->hint].nfree)
		pool->hint++;
}

/* ppc_bits_alloc_locked(): a page index, or PPC_NONE. */
static unsigned long old_alloc(struct old_pool *pool, unsigned int npages)
{
	unsigned long i, run_ch = 0;
	unsigned int bit, run = 0, run_bit = 0;
	struct old_chunk *ch;

	old_hint_advance(pool);
	for (i = pool->hint; i < pool->nchunks; i++) {
		ch = &pool->chunks[i];
		if (!pool->contiguous)
			run = 0;
		if (run && run + ch->start >= npages)
			goto found;
		if (ch->max >= npages) {
			bit = old_find_zero_area(ch->bits, PPC_CHUNK_PAGES, npages);
			if (bit + npages <= PPC_CHUNK_PAGES) {
				run_ch = i;
				run_bit = bit;
				goto found;
			}
		}
		if (ch->start == PPC_CHUNK_PAGES) {
			if (!run) {
				run_ch = i;
				run_bit = 0;
			}
			run += PPC_CHUNK_PAGES;
		} else {
			run_ch = i;
			run_bit = PPC_CHUNK_PAGES - ch->end;
			run = ch->end;
		}
	}
	return PPC_NONE;
found:
	old_update(pool, run_ch, run_bit, npages, true);
	return run_ch * PPC_CHUNK_PAGES + run_bit;
}

/* ppc_cache_fill_locked(): the word taken, or PPC_NONE. */
static unsigned long old_take_window(struct old_pool *pool,
				     unsigned int npages, unsigned int cpu,
				     unsigned long *freep)
{
	unsigned long i, free;
	struct old_chunk *ch;
	unsigned int w, n;

	old_hint_advance(pool);
	for (i = pool->hint; i < pool->nchunks; i++) {
		ch = &pool->chunks[i];
		if (ch->max < npages)
			continue;
		for (w = 0; w < OLD_WORDS; w++) {
			free = ~ch->bits[w];
			if (ch->owner[w] || old_find_run(free, npages) >= 64)
				continue;
			n = hweight_long(free);
			ch->owner[w] = cpu + 1;
			ch->bits[w] = ~0UL;
			ch->nfree -= n;
			pool->nfree -= n;
			old_chunk_summarize(ch);
			*freep = free;
			return i * OLD_WORDS + w;
		}
	}
	return PPC_NONE;
}

/* ppc_cache_flush_locked() */
static void old_return_window(struct old_pool *pool, unsigned long w,
			      unsigned long free)
{
	struct old_chunk *ch = &pool->chunks[w / OLD_WORDS];

	ch->bits[w % OLD_WORDS] &= ~free;
	ch->nfree += hweight_long(free);
	pool->nfree += hweight_long(free);
	pool->hint = min(pool->hint, w / OLD_WORDS);
	old_chunk_summarize(ch);
	ch->owner[w % OLD_WORDS] = 0;
}

/* The same pages as @b, in the old layout. */
static int old_pool_from(struct old_pool *pool, const struct ppc_bits *b)
{
	unsigned long c;

	pool->nchunks = b->nchunks;
	pool->contiguous = b->contiguous;
	pool->chunks = calloc(b->nchunks, sizeof(*pool->chunks));
	if (!pool->chunks)
		return -ENOMEM;
	pool->nfree = 0;
	for (c = 0; c < b->nchunks; c++) {
		struct old_chunk *ch = &pool->chunks[c];
		unsigned int w;

		memcpy(ch->bits, b->words + c * OLD_WORDS, sizeof(ch->bits));
		ch->npages = min_t(unsigned long, PPC_CHUNK_PAGES,
				   b->npages - c * PPC_CHUNK_PAGES);
		ch->nfree = 0;
		for (w = 0; w < OLD_WORDS; w++)
			ch->nfree += hweight_long(~ch->bits[w]);
		pool->nfree += ch->nfree;
		old_chunk_summarize(ch);
	}
	pool->hint = 0;
	return 0;
}

#endif /* _PPC_CORE_OLD_H */

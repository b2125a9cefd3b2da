// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_core: the page bitmap of a pcpu_pagecache pool, with a radix tree of
 * summaries in the manner of Go's page allocator (runtime/mpagealloc.go).
 *
 * The bitmap has one bit a page, set when the page is not free.  Level 0 of
 * the tree summarizes each chunk of 1024 pages; each entry of level l + 1
 * summarizes 8 entries of level l, so a block of siblings is one cache line
 * at the packed levels.  A summary holds the free run at the start of its
 * range, the longest, the one at the end (Go's pallocSum) and the longest
 * run inside a single 64-page word, which is what a window needs: runs that
 * straddle words would otherwise send a window search into every chunk.
 *
 * A search reads at most 8 entries a level from the root down, then the 16
 * words of one chunk; an update recomputes one chunk summary and merges 8
 * entries a level on the way up, stopping where nothing changed.
 */
#include "ppc_core_tree.h"

static_assert(PPC_CHUNK_PAGES == 1 << PPC_CHUNK_SHIFT, "chunk shift");
static_assert(PPC_WORD_PAGES == BITS_PER_LONG, "a word is a window");
static_assert(PPC_CHUNK_WORDS <= 64 - PPC_OWNED_SHIFT, "owned bits fit");
static_assert(PPC_MAX_PAGES >> PPC_CHUNK_SHIFT <=
	      1UL << (PPC_FAN_SHIFT * PPC_LEVELS), "levels for the largest pool");

/* ---- Words ---------------------------------------------------------------- */

/*
 * The longest run of clear bits in @x.  f(k) has bit i set when bits i to
 * i + k - 1 are all clear, and f(a + b) = f(a) & f(b) >> a: a binary search
 * over the lengths with f(1), f(2), ... f(32) takes 12 shifts, not 64.
 */
static unsigned int ppc_word_longest(unsigned long x)
{
	unsigned long f[6], cur = ~0UL, cand;
	unsigned int n = 0;
	int k;

	if (!x)
		return BITS_PER_LONG;
	f[0] = ~x;
	for (k = 1; k < 6; k++)
		f[k] = f[k - 1] & (f[k - 1] >> (1 << (k - 1)));
	for (k = 5; k >= 0; k--) {
		cand = cur & (f[k] >> n);
		if (cand) {
			cur = cand;
			n += 1 << k;
		}
	}
	return n;
}

void ppc_range_set(unsigned long *w, unsigned long first,
		   unsigned long n)
{
	unsigned long i = first / BITS_PER_LONG, k;
	unsigned int bit = first % BITS_PER_LONG;

	if (bit) {
		k = min(n, (unsigned long)BITS_PER_LONG - bit);
		w[i++] |= ppc_mask(k) << bit;
		n -= k;
	}
	for (; n >= BITS_PER_LONG; n -= BITS_PER_LONG)
		w[i++] = ~0UL;
	if (n)
		w[i] |= ppc_mask(n);
}

static void ppc_range_clear(unsigned long *w, unsigned long first,
			    unsigned long n)
{
	unsigned long i = first / BITS_PER_LONG, k;
	unsigned int bit = first % BITS_PER_LONG;

	if (bit) {
		k = min(n, (unsigned long)BITS_PER_LONG - bit);
		w[i++] &= ~(ppc_mask(k) << bit);
		n -= k;
	}
	for (; n >= BITS_PER_LONG; n -= BITS_PER_LONG)
		w[i++] = 0;
	if (n)
		w[i] &= ~ppc_mask(n);
}

/* ---- Summaries (packed and read in ppc_core_tree.h) ----------------------- */

/*
 * Summarize chunk @c as Go's pallocBits.summarize() does, plus wmax.  The
 * runs that touch word edges come from ctz/clz; a word's inner runs are
 * searched only if one could beat the longest edge run, and the longest
 * inner run is at most wmax, so max is the larger of the two.
 */
void ppc_chunk_summarize(const struct ppc_bits *b, unsigned long c,
			 struct ppc_sum *s)
{
	unsigned int owned = ppc_owned(b, c), i, t, l, inner = 0;
	unsigned long w = c * PPC_CHUNK_WORDS, x, y, run = 0, longest = 0;
	unsigned long start = PPC_NONE, wmax = 0;

	for (i = 0; i < PPC_CHUNK_WORDS; i++) {
		x = ppc_word(b, owned, w + i);
		if (!x) {
			run += BITS_PER_LONG;
			wmax = BITS_PER_LONG;
			continue;
		}
		t = __ffs(x);
		l = BITS_PER_LONG - 1 - __fls(x);
		run += t;
		if (start == PPC_NONE)
			start = run;
		longest = max(longest, run);
		wmax = max_t(unsigned long, wmax, max(t, l));
		run = l;
		/* Clear bits between the lowest and the highest set bit. */
		y = x >> t;
		if (y & (y + 1))
			inner |= 1U << i;
	}
	if (start == PPC_NONE) {
		s->start = PPC_CHUNK_PAGES;
		s->max = PPC_CHUNK_PAGES;
		s->end = PPC_CHUNK_PAGES;
		s->wmax = BITS_PER_LONG;
		return;
	}
	/* An inner run is at most 62 pages: bits 0 and 63 are set. */
	for (; inner && wmax < BITS_PER_LONG - 2; inner &= inner - 1) {
		x = b->words[w + __ffs(inner)];
		if (ppc_word_find(~x, wmax + 1) < BITS_PER_LONG)
			wmax = ppc_word_longest(x);
	}
	s->start = start;
	s->max = max(max(longest, run), wmax);
	s->end = run;
	s->wmax = wmax;
}

/*
 * Go's mergeSummaries over 8 siblings of @p pages each.  Without
 * @contiguous no run joins across a chunk boundary, and every boundary at
 * these levels is one: start and end are then those of the first and last
 * sibling, which is all the search asks of them.
 */
static void ppc_merge(struct ppc_sum *out, const struct ppc_sum *kids,
		      unsigned long p, bool contiguous)
{
	const struct ppc_sum *s;
	unsigned int i;

	*out = kids[0];
	for (i = 1; i < PPC_FAN; i++) {
		s = &kids[i];
		if (contiguous) {
			if (out->start == i * p)
				out->start += s->start;
			out->max = max(out->max, out->end + s->start);
			out->end = s->end == p ? out->end + p : s->end;
		} else {
			out->end = s->end;
		}
		out->max = max(out->max, s->max);
		out->wmax = max(out->wmax, s->wmax);
	}
}

void ppc_node_summarize(const struct ppc_bits *b, unsigned int l,
			unsigned long e, struct ppc_sum *s)
{
	struct ppc_sum kids[PPC_FAN];
	unsigned int i;

	for (i = 0; i < PPC_FAN; i++)
		ppc_get(b, l - 1, e * PPC_FAN + i, &kids[i]);
	ppc_merge(s, kids, 1UL << ppc_shift(l - 1), b->contiguous);
}

static const struct ppc_sum ppc_sum_free = {
	.start = PPC_CHUNK_PAGES,
	.max = PPC_CHUNK_PAGES,
	.end = PPC_CHUNK_PAGES,
	.wmax = BITS_PER_LONG,
};

/*
 * Chunks @sc to @ec changed; those strictly between them are now all free
 * (@free) or all allocated, and own no word: a free or allocated run never
 * covers an owned word.
 */
void ppc_update(struct ppc_bits *b, unsigned long sc, unsigned long ec,
		bool free)
{
	unsigned long c, e;
	struct ppc_sum s;
	unsigned int l;
	bool changed;

	ppc_chunk_summarize(b, sc, &s);
	changed = ppc_set(b, 0, sc, &s);
	if (ec != sc) {
		for (c = sc + 1; c < ec; c++)
			b->sums[c] = free ? ppc_pack(0, &ppc_sum_free) : 0;
		ppc_chunk_summarize(b, ec, &s);
		ppc_set(b, 0, ec, &s);
		changed = true;
	}
	for (l = 1; changed && l <= b->top; l++) {
		changed = false;
		for (e = sc >> PPC_FAN_SHIFT * l; e <= ec >> PPC_FAN_SHIFT * l; e++) {
			ppc_node_summarize(b, l, e, &s);
			changed |= ppc_set(b, l, e, &s);
		}
	}
}

/*
 * Ask for every line an update of chunk @c reads: its words, and the block
 * of siblings at each level up to the root.  In a large pool each is a
 * cache and TLB miss; issued together they overlap instead of waiting for
 * each other, level after level.
 */
void ppc_prefetch_path(const struct ppc_bits *b, unsigned long c)
{
	const unsigned long *w = &b->words[c * PPC_CHUNK_WORDS];
	unsigned long e = c & ~(PPC_FAN - 1);
	const struct ppc_sum *ws;
	unsigned int l;

	prefetch(w);
	prefetch(w + PPC_CHUNK_WORDS / 2);
	for (l = 0; l <= b->top; l++, e = (e >> PPC_FAN_SHIFT) & ~(PPC_FAN - 1)) {
		if (l < PPC_NARROW) {
			prefetch(&b->sums[b->off[l] + e]);
			continue;
		}
		ws = &b->wide[b->off[l] + e];
		prefetch(ws);
		prefetch(ws + 2);
		prefetch(ws + 4);
		prefetch(ws + 6);
	}
}

/* ---- Search --------------------------------------------------------------- */

/*
 * First run of @n free pages in chunk @c at or after word @from (Go's
 * findSmallN and findLargeN in one), as a page offset in the chunk, or
 * PPC_NONE.  With @window, the first word at or after @from holding such a
 * run inside itself, as a word offset.  *@ff, if given, becomes the first
 * free page seen: the caller knows none lies below @from.
 */
unsigned long ppc_chunk_find(const struct ppc_bits *b, unsigned long c,
			     unsigned long n, bool window,
			     unsigned int from, unsigned long *ff)
{
	unsigned int owned = ppc_owned(b, c), i, t;
	unsigned long w = c * PPC_CHUNK_WORDS, x, run = 0;

	for (i = from; i < PPC_CHUNK_WORDS; i++) {
		x = ppc_word(b, owned, w + i);
		if (x == ~0UL) {
			run = 0;
			continue;
		}
		if (ff) {
			*ff = max(*ff, (w + i) * BITS_PER_LONG + __ffs(~x));
			ff = NULL;
		}
		if (window) {
			if (ppc_word_find(~x, n) < BITS_PER_LONG)
				return i;
			continue;
		}
		t = x ? __ffs(x) : BITS_PER_LONG;
		if (run + t >= n)
			return i * BITS_PER_LONG - run;
		if (n < BITS_PER_LONG) {
			t = ppc_word_find(~x, n);
			if (t < BITS_PER_LONG)
				return i * BITS_PER_LONG + t;
		}
		run = x ? BITS_PER_LONG - 1 - __fls(x) : run + BITS_PER_LONG;
	}
	return PPC_NONE;
}

/*
 * Go's pageAlloc.find: from the root, scan the 8 entries of a block from
 * the hint on; a run that straddles entries ends the search at that level,
 * an entry whose longest run fits is descended into, and the chunk at the
 * bottom is searched word by word.  A window needs no straddling run, only
 * an entry whose wmax fits.
 *
 * Returns the first page of the run (the word, with @window), or PPC_NONE.
 * *@ff becomes a better hint: while the search follows the first entry with
 * a free page at each level, that entry's first page (Go's firstFree).
 */
unsigned long ppc_find(const struct ppc_bits *b, unsigned long n,
		       bool window, unsigned long *ff)
{
	unsigned long i = 0, j, e = 0, first = 0, size, base = 0, fit, h;
	unsigned int l = b->top, shift;
	bool path = true, seen;
	struct ppc_sum s;

	*ff = b->hint;
	if (b->hint >= b->npages)
		return PPC_NONE;

	/* Most searches end in the hint's chunk (Go's alloc fast path). */
	h = b->hint >> PPC_CHUNK_SHIFT;
	ppc_prefetch_path(b, h);
	ppc_get(b, 0, h, &s);
	/* While a run is claimed, a chunk's summary may be stale: not here. */
	if (!b->claims && (window ? s.wmax : s.max) >= n) {
		e = h;
		goto chunk;
	}

	for (;;) {
		shift = ppc_shift(l);
		h = b->hint >> shift;
		j = (h & ~(PPC_FAN - 1)) == i ? h % PPC_FAN : 0;
		size = 0;
		seen = false;
		for (; j < PPC_FAN; j++) {
			e = i + j;
			ppc_get(b, l, e, &s);
			if (!s.max) {
				size = 0;
				continue;
			}
			if (path && !seen) {
				*ff = max(*ff, e << shift);
				first = e;
				seen = true;
			}
			fit = window ? s.wmax : s.max;
			if (!window && size + s.start >= n)
				return size ? base : e << shift;
			if (fit >= n)
				break;
			if (window || !b->contiguous)
				continue;
			if (!size || s.start < 1UL << shift) {
				size = s.end;
				base = ((e + 1) << shift) - size;
			} else {
				size += 1UL << shift;
			}
		}
		if (j == PPC_FAN) {
			/* Below the root, the level above promised a fit. */
			WARN_ON_ONCE(l != b->top);
			return PPC_NONE;
		}
		path = path && e == first;
		if (!l)
			break;
		i = e << PPC_FAN_SHIFT;
		l--;
	}

chunk:
	h = b->hint >> PPC_CHUNK_SHIFT == e ?
	    b->hint % PPC_CHUNK_PAGES / BITS_PER_LONG : 0;
	j = ppc_chunk_find(b, e, n, window, h, path ? ff : NULL);
	if (WARN_ON_ONCE(j == PPC_NONE))
		return PPC_NONE;
	return window ? e * PPC_CHUNK_WORDS + j : e * PPC_CHUNK_PAGES + j;
}

/*
 * The first chunk of [@cs, @ce) with a run of @n free pages inside one word,
 * or PPC_NONE: for a search confined to some chunks (a NUMA node's).  Top
 * down, in address order, skipping the entries that end before @cs and
 * stopping at the first that starts at or past @ce.  An entry that lies
 * wholly inside the range and fits has a child that fits, so only the
 * entries that straddle @cs or @ce can send the search back up: at most 8
 * entries a level for each of them, O(levels) however far the range
 * reaches.  Top down and never bottom up, so that it never reads an entry
 * below a claimed one (ppc_bits_claim()).
 */
unsigned long ppc_find_chunk_in(const struct ppc_bits *b,
				unsigned long n, unsigned long cs,
				unsigned long ce)
{
	unsigned int l = b->top, shift;
	unsigned long e = 0;
	struct ppc_sum s;

	for (;;) {
		shift = PPC_FAN_SHIFT * l;
		/* Every entry from here on starts past the range. */
		if (e << shift >= ce)
			return PPC_NONE;
		if ((e + 1) << shift > cs) {
			ppc_get(b, l, e, &s);
			if (s.wmax >= n) {
				if (!l)
					return e;
				l--;
				e <<= PPC_FAN_SHIFT;
				continue;
			}
		}
		/* The next entry: up past the blocks this one ends. */
		while (e % PPC_FAN == PPC_FAN - 1) {
			if (l == b->top)
				return PPC_NONE;
			l++;
			e >>= PPC_FAN_SHIFT;
		}
		e++;
	}
}

/* ---- Interface ------------------------------------------------------------ */

/**
 * ppc_bits_init - set up the bitmap and summaries of a pool, all pages free
 * @b: the bits to set up
 * @npages: pages in the pool, 1 to %PPC_MAX_PAGES
 * @contiguous: whether a run may cross a chunk boundary: false for a pool
 *	made of separate blocks of %PPC_CHUNK_PAGES pages
 *
 * Allocates the metadata: about 34 MiB per TiB of pool.  May sleep.
 *
 * Return: 0, -EINVAL for a size out of range, or -ENOMEM.
 */
int ppc_bits_init(struct ppc_bits *b, unsigned long npages, bool contiguous)
{
	unsigned long nsums = 0, nwide = 0, cnt, pad, e, w;
	struct ppc_sum s;
	unsigned int l;

	memset(b, 0, sizeof(*b));
	if (!npages || npages > PPC_MAX_PAGES)
		return -EINVAL;
	b->npages = npages;
	b->nfree = npages;
	b->contiguous = contiguous;
	b->nchunks = (npages + PPC_CHUNK_PAGES - 1) >> PPC_CHUNK_SHIFT;
	for (l = 0, cnt = b->nchunks;; l++) {
		pad = (cnt + PPC_FAN - 1) & ~(PPC_FAN - 1);
		if (l < PPC_NARROW) {
			b->off[l] = nsums;
			nsums += pad;
		} else {
			b->off[l] = nwide;
			nwide += pad;
		}
		if (cnt <= PPC_FAN)
			break;
		cnt = (cnt + PPC_FAN - 1) >> PPC_FAN_SHIFT;
	}
	b->top = l;

	b->meta_bytes = b->nchunks * PPC_CHUNK_WORDS * sizeof(*b->words) +
			nsums * sizeof(*b->sums) + nwide * sizeof(*b->wide);
	b->words = ppc_zalloc(b->nchunks * PPC_CHUNK_WORDS * sizeof(*b->words));
	b->sums = ppc_zalloc(nsums * sizeof(*b->sums));
	b->wide = nwide ? ppc_zalloc(nwide * sizeof(*b->wide)) : NULL;
	if (!b->words || !b->sums || (nwide && !b->wide)) {
		ppc_bits_fini(b);
		return -ENOMEM;
	}

	/* Pages past the end are never free. */
	w = npages / BITS_PER_LONG;
	if (npages % BITS_PER_LONG)
		b->words[w++] = ~ppc_mask(npages % BITS_PER_LONG);
	for (; w < b->nchunks * PPC_CHUNK_WORDS; w++)
		b->words[w] = ~0UL;

	for (e = 0; e < b->nchunks - 1; e++) {
		b->sums[e] = ppc_pack(0, &ppc_sum_free);
		if (!(e % 65536))
			cond_resched();
	}
	ppc_chunk_summarize(b, e, &s);
	ppc_set(b, 0, e, &s);
	for (l = 1, cnt = b->nchunks; l <= b->top; l++) {
		cnt = (cnt + PPC_FAN - 1) >> PPC_FAN_SHIFT;
		for (e = 0; e < cnt; e++) {
			ppc_node_summarize(b, l, e, &s);
			ppc_set(b, l, e, &s);
			if (!(e % 4096))
				cond_resched();
		}
	}
	return 0;
}

/**
 * ppc_bits_fini - free the metadata of a pool
 * @b: bits set up by ppc_bits_init(), or zeroed, or after a failed init
 */
void ppc_bits_fini(struct ppc_bits *b)
{
	ppc_zfree(b->words);
	ppc_zfree(b->sums);
	ppc_zfree(b->wide);
	memset(b, 0, sizeof(*b));
}

/**
 * ppc_bits_nfree - pages free in the bitmap
 * @b: the bits
 *
 * Return: the count, which leaves out the free pages of windows.
 */
unsigned long ppc_bits_nfree(const struct ppc_bits *b)
{
	return b->nfree;
}

/**
 * ppc_bits_alloc - allocate the lowest run of free pages
 * @b: the bits
 * @npages: pages in the run; up to the whole pool if it is contiguous
 *
 * First fit by address, over the pages free in the bitmap: windows' words
 * are full to it.
 *
 * Return: the first page of the run, now allocated, or %PPC_NONE.
 */
unsigned long ppc_bits_alloc(struct ppc_bits *b, unsigned long npages)
{
	unsigned long first, ff;

	if (!npages || npages > b->nfree)
		return PPC_NONE;
	first = ppc_find(b, npages, false, &ff);
	if (first == PPC_NONE) {
		/* A single page not found: none is free (Go does the same). */
		if (npages == 1)
			b->hint = b->npages;
		return PPC_NONE;
	}
	ppc_range_set(b->words, first, npages);
	b->nfree -= npages;
	ppc_update(b, first >> PPC_CHUNK_SHIFT,
		   (first + npages - 1) >> PPC_CHUNK_SHIFT, false);
	ppc_hint_after_alloc(b, ff, first, npages);
	return first;
}

/**
 * ppc_bits_free - make allocated pages free
 * @b: the bits
 * @first: the first page
 * @npages: pages in the range
 *
 * The caller has checked the range with ppc_bits_allocated().
 */
void ppc_bits_free(struct ppc_bits *b, unsigned long first,
		   unsigned long npages)
{
	const struct ppc_run run = { first, npages };

	ppc_bits_free_runs(b, &run, 1);
}

/* Chunks whose summaries wait in ppc_bits_free_runs(). */
#define PPC_DIRTY	16

static void ppc_update_dirty(struct ppc_bits *b, const unsigned long *dirty,
			     unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		ppc_prefetch_path(b, dirty[i]);
	for (i = 0; i < n; i++)
		ppc_update(b, dirty[i], dirty[i], true);
}

/**
 * ppc_bits_free_runs - make several allocated ranges free
 * @b: the bits
 * @runs: the ranges, none overlapping another
 * @n: how many
 *
 * As ppc_bits_free() of each range, but a chunk that several of them touch
 * is summarized once: a batch of frees that land in a few chunks costs a
 * few updates of the tree, not one a range.  Searches are consistent again
 * when it returns.
 */
void ppc_bits_free_runs(struct ppc_bits *b, const struct ppc_run *runs,
			unsigned int n)
{
	unsigned long dirty[PPC_DIRTY], c, first, npages, sc, ec;
	unsigned int i, j, nd = 0;

	for (i = 0; i < n; i++) {
		first = runs[i].first;
		npages = runs[i].npages;
		if (WARN_ON_ONCE(!npages || first >= b->npages ||
				 npages > b->npages - first))
			continue;
		ppc_range_clear(b->words, first, npages);
		b->nfree += npages;
		b->hint = min(b->hint, first);
		sc = first >> PPC_CHUNK_SHIFT;
		ec = (first + npages - 1) >> PPC_CHUNK_SHIFT;
		if (ec - sc > 1) {
			/* The chunks between become all free at once. */
			ppc_update(b, sc, ec, true);
			continue;
		}
		for (c = sc; c <= ec; c++) {
			for (j = 0; j < nd && dirty[j] != c; j++)
				;
			if (j < nd)
				continue;
			if (nd == PPC_DIRTY) {
				ppc_update_dirty(b, dirty, nd);
				nd = 0;
			}
			dirty[nd++] = c;
		}
	}
	ppc_update_dirty(b, dirty, nd);
}

/**
 * ppc_bits_allocated - whether a range may be freed
 * @b: the bits
 * @first: the first page
 * @npages: pages in the range
 *
 * Return: true if the range lies in the pool, is not empty, and every page
 * of it is allocated in a word that no window owns.
 */
bool ppc_bits_allocated(const struct ppc_bits *b, unsigned long first,
			unsigned long npages)
{
	unsigned long w, last, m;
	unsigned int owned = 0;

	if (!npages || first >= b->npages || npages > b->npages - first)
		return false;
	last = first + npages - 1;
	for (w = first / BITS_PER_LONG; w <= last / BITS_PER_LONG; w++) {
		if (w == first / BITS_PER_LONG || !(w % PPC_CHUNK_WORDS))
			owned = ppc_owned(b, w / PPC_CHUNK_WORDS);
		if (owned >> (w % PPC_CHUNK_WORDS) & 1)
			return false;
		m = ~0UL;
		if (w == first / BITS_PER_LONG)
			m &= ~0UL << first % BITS_PER_LONG;
		if (w == last / BITS_PER_LONG)
			m &= ppc_mask(last % BITS_PER_LONG + 1);
		if ((b->words[w] & m) != m)
			return false;
	}
	return true;
}

/**
 * ppc_bits_chunk_info - free pages and longest free run of a chunk
 * @b: the bits
 * @chunk: the chunk, of %PPC_CHUNK_PAGES pages
 * @nfree: where to put its pages free in the bitmap
 * @longest: where to put its longest free run (not crossing its edges)
 */
void ppc_bits_chunk_info(const struct ppc_bits *b, unsigned long chunk,
			 unsigned int *nfree, unsigned int *longest)
{
	unsigned int owned, i, n = 0;
	struct ppc_sum s;

	*nfree = 0;
	*longest = 0;
	if (chunk >= b->nchunks)
		return;
	owned = ppc_owned(b, chunk);
	for (i = 0; i < PPC_CHUNK_WORDS; i++)
		n += hweight_long(~ppc_word(b, owned,
					    chunk * PPC_CHUNK_WORDS + i));
	ppc_get(b, 0, chunk, &s);
	*nfree = n;
	*longest = s.max;
}

/**
 * ppc_bits_meta_bytes - memory taken by the bitmap and its summaries
 * @b: the bits
 *
 * Return: bytes allocated by ppc_bits_init().
 */
size_t ppc_bits_meta_bytes(const struct ppc_bits *b)
{
	return b->meta_bytes;
}

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
#include "ppc_core.h"

#define PPC_FAN_SHIFT		3
#define PPC_FAN			BIT(PPC_FAN_SHIFT)
/* Levels 0-2 have counts below 2^17: three of them and wmax fit a u64. */
#define PPC_NARROW		3
#define PPC_SUM_MASK		((1ULL << PPC_OWNED_SHIFT) - 1)

static_assert(PPC_CHUNK_PAGES == 1 << PPC_CHUNK_SHIFT, "chunk shift");
static_assert(PPC_WORD_PAGES == BITS_PER_LONG, "a word is a window");
static_assert(PPC_CHUNK_WORDS <= 64 - PPC_OWNED_SHIFT, "owned bits fit");
static_assert(PPC_MAX_PAGES >> PPC_CHUNK_SHIFT <=
	      1UL << (PPC_FAN_SHIFT * PPC_LEVELS), "levels for the largest pool");

/* log2 of the pages under one entry of level @l. */
static inline unsigned int ppc_shift(unsigned int l)
{
	return PPC_CHUNK_SHIFT + PPC_FAN_SHIFT * l;
}

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

static void ppc_range_set(unsigned long *w, unsigned long first,
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

/* ---- Summaries ------------------------------------------------------------ */

/*
 * Packed levels: start, max, end and wmax side by side, each count one bit
 * wider than log2 of the range, since a free range counts 2^shift.
 */
static inline u64 ppc_pack(unsigned int l, const struct ppc_sum *s)
{
	unsigned int f = ppc_shift(l) + 1;

	return (u64)s->start | (u64)s->max << f | (u64)s->end << 2 * f |
	       (u64)s->wmax << 3 * f;
}

static inline void ppc_unpack(unsigned int l, u64 v, struct ppc_sum *s)
{
	unsigned int f = ppc_shift(l) + 1;
	u64 m = (1ULL << f) - 1;

	s->start = v & m;
	s->max = v >> f & m;
	s->end = v >> 2 * f & m;
	s->wmax = v >> 3 * f & (2 * BITS_PER_LONG - 1);
}

static inline void ppc_get(const struct ppc_bits *b, unsigned int l,
			   unsigned long e, struct ppc_sum *s)
{
	if (l < PPC_NARROW)
		ppc_unpack(l, b->sums[b->off[l] + e], s);
	else
		*s = b->wide[b->off[l] + e];
}

/* Whether the summary changed; level 0 keeps its owned bits. */
static inline bool ppc_set(struct ppc_bits *b, unsigned int l,
			   unsigned long e, const struct ppc_sum *s)
{
	struct ppc_sum *ws;
	u64 *p, v;

	if (l < PPC_NARROW) {
		p = &b->sums[b->off[l] + e];
		v = ppc_pack(l, s);
		if (!l)
			v |= *p & ~PPC_SUM_MASK;
		if (v == *p)
			return false;
		*p = v;
		return true;
	}
	ws = &b->wide[b->off[l] + e];
	if (ws->start == s->start && ws->max == s->max && ws->end == s->end &&
	    ws->wmax == s->wmax)
		return false;
	*ws = *s;
	return true;
}

static inline unsigned int ppc_owned(const struct ppc_bits *b,
				     unsigned long c)
{
	return b->sums[c] >> PPC_OWNED_SHIFT;
}

/* A word's bits as searches see them: an owned word is full. */
static inline unsigned long ppc_word(const struct ppc_bits *b,
				     unsigned int owned, unsigned long w)
{
	return owned >> (w % PPC_CHUNK_WORDS) & 1 ? ~0UL : b->words[w];
}

/*
 * Summarize chunk @c as Go's pallocBits.summarize() does, plus wmax.  The
 * runs that touch word edges come from ctz/clz; a word's inner runs are
 * searched only if one could beat the longest edge run, and the longest
 * inner run is at most wmax, so max is the larger of the two.
 */
static void ppc_chunk_summarize(const struct ppc_bits *b, unsigned long c,
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

static void ppc_node_summarize(const struct ppc_bits *b, unsigned int l,
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
static void ppc_update(struct ppc_bits *b, unsigned long sc, unsigned long ec,
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
static void ppc_prefetch_path(const struct ppc_bits *b, unsigned long c)
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
static unsigned long ppc_chunk_find(const struct ppc_bits *b, unsigned long c,
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
static unsigned long ppc_find(const struct ppc_bits *b, unsigned long n,
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
static unsigned long ppc_find_chunk_in(const struct ppc_bits *b,
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

/* Pages [@first, @first + @n) stopped being free; @ff came from ppc_find. */
static void ppc_hint_after_alloc(struct ppc_bits *b, unsigned long ff,
				 unsigned long first, unsigned long n)
{
	b->hint = ff >= first && ff - first < n ? first + n : ff;
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

/* ---- Claims: large allocations in slices --------------------------------- */

static const struct ppc_sum ppc_sum_full = { 0 };

/*
 * Chunks [@a, @e), all free, are now allocated: mark full the fewest
 * entries that cover them exactly (as a segment tree does: at each level
 * the entries left over at either end of the range, at most 7 a side, then
 * the rest one level up).  The entries below those are left as they were
 * (stale, and read by nobody) for ppc_bits_claim_mark().  O(levels).
 */
static void ppc_claim_cover(struct ppc_bits *b, unsigned long a,
			    unsigned long e)
{
	unsigned long lo = a, hi = e, nlo, nhi, i;
	unsigned int l;

	for (l = 0; lo < hi; l++) {
		nlo = (lo + PPC_FAN - 1) & ~(PPC_FAN - 1);
		nhi = hi & ~(PPC_FAN - 1);
		if (l == b->top || nlo >= nhi)
			nlo = hi, nhi = hi;
		for (i = lo; i < nlo; i++)
			ppc_set(b, l, i, &ppc_sum_full);
		for (i = nhi; i < hi; i++)
			ppc_set(b, l, i, &ppc_sum_full);
		lo = nlo >> PPC_FAN_SHIFT;
		hi = nhi >> PPC_FAN_SHIFT;
	}
}

/*
 * The entries that hold chunk @c and are not inside chunks [@a, @e), from
 * level 1 up: summarized again from their children.  A child inside the
 * range is one that ppc_claim_cover() marked full, since its parent is not
 * inside; the others are up to date.
 */
static void ppc_claim_path(struct ppc_bits *b, unsigned long c,
			   unsigned long a, unsigned long e)
{
	unsigned long x;
	struct ppc_sum s;
	unsigned int l;

	for (l = 1; l <= b->top; l++) {
		x = c >> (PPC_FAN_SHIFT * l);
		if (x << (PPC_FAN_SHIFT * l) >= a &&
		    (x + 1) << (PPC_FAN_SHIFT * l) <= e)
			continue;
		ppc_node_summarize(b, l, x, &s);
		ppc_set(b, l, x, &s);
	}
}

/**
 * ppc_bits_claim - allocate the lowest run of free pages, in a bounded time
 * @b: the bits
 * @npages: pages in the run
 * @cl: where to put the claim, for ppc_bits_claim_mark()
 *
 * As ppc_bits_alloc(), but in O(levels) whatever @npages: the pages of the
 * run's partial chunks at either end are set in the bitmap, and the chunks
 * it covers whole are claimed by marking full the fewest entries of the
 * tree that cover them.  Their words, and the entries below those, still
 * say free until ppc_bits_claim_mark() has marked them, a slice at a time,
 * but no search reaches them: searches go top down, and skip the hint's
 * chunk shortcut while a claim is open (@b->claims).  A free of one of
 * their pages not marked yet is refused by ppc_bits_allocated(), as a
 * free of pages not handed out should be.
 *
 * Return: the first page of the run, or %PPC_NONE (and no claim is open).
 * Unless @cl->next == @cl->end, the caller must call ppc_bits_claim_mark()
 * until it returns true; it may drop the lock in between.
 */
unsigned long ppc_bits_claim(struct ppc_bits *b, unsigned long npages,
			     struct ppc_claim *cl)
{
	unsigned long first, ff, last, a, e;

	memset(cl, 0, sizeof(*cl));
	if (!npages || npages > b->nfree)
		return PPC_NONE;
	first = ppc_find(b, npages, false, &ff);
	if (first == PPC_NONE)
		return PPC_NONE;
	last = first + npages - 1;
	/* The chunks wholly inside the run. */
	a = (first + PPC_CHUNK_PAGES - 1) >> PPC_CHUNK_SHIFT;
	e = (last + 1) >> PPC_CHUNK_SHIFT;
	cl->first = first;
	cl->npages = npages;
	if (a >= e) {
		/* At most two partial chunks: as ppc_bits_alloc(). */
		ppc_range_set(b->words, first, npages);
		ppc_update(b, first >> PPC_CHUNK_SHIFT,
			   last >> PPC_CHUNK_SHIFT, false);
	} else {
		struct ppc_sum s;

		if (first < a << PPC_CHUNK_SHIFT) {
			ppc_range_set(b->words, first,
				      (a << PPC_CHUNK_SHIFT) - first);
			ppc_chunk_summarize(b, a - 1, &s);
			ppc_set(b, 0, a - 1, &s);
		}
		if (last >= e << PPC_CHUNK_SHIFT) {
			ppc_range_set(b->words, e << PPC_CHUNK_SHIFT,
				      last + 1 - (e << PPC_CHUNK_SHIFT));
			ppc_chunk_summarize(b, e, &s);
			ppc_set(b, 0, e, &s);
		}
		ppc_claim_cover(b, a, e);
		/* Every entry that straddles a or e holds the first or last chunk. */
		ppc_claim_path(b, first >> PPC_CHUNK_SHIFT, a, e);
		ppc_claim_path(b, last >> PPC_CHUNK_SHIFT, a, e);
		cl->next = a;
		cl->end = e;
		b->claims++;
	}
	b->nfree -= npages;
	ppc_hint_after_alloc(b, ff, first, npages);
	return first;
}

/**
 * ppc_bits_claim_mark - mark a slice of a claimed run as allocated
 * @b: the bits
 * @cl: the claim, from ppc_bits_claim()
 *
 * Sets the words of the next %PPC_SLICE_PAGES / %PPC_CHUNK_PAGES chunks
 * that @cl covers whole, from the lowest.  Before a chunk's words say
 * allocated, every entry above it inside the run has had its 8 children
 * marked full (an entry inside the run is full itself, by ppc_bits_claim()
 * or by its parent): so every entry that a free of those pages may
 * summarize again reads children that are either full, as the run is, or
 * up to date.  A free of pages already marked (a caller's mistake: it frees
 * pages it was not given yet) leaves the tree right, as any free of
 * allocated pages does.  O(%PPC_SLICE_PAGES / 64 + levels).
 *
 * Return: true once the whole run is marked: the claim is closed, @b is
 * as ppc_bits_alloc() would have left it.
 */
bool ppc_bits_claim_mark(struct ppc_bits *b, struct ppc_claim *cl)
{
	unsigned long c, y, p, i;
	unsigned int l, shift;

	if (cl->next >= cl->end)
		return true;
	y = min(cl->end, cl->next + (PPC_SLICE_PAGES >> PPC_CHUNK_SHIFT));
	for (c = cl->next; c < y; c++) {
		for (l = b->top; l >= 1; l--) {
			shift = PPC_FAN_SHIFT * l;
			p = c >> shift;
			/* Entry p starts at c and lies inside the run. */
			if (p << shift != c || (p + 1) << shift > cl->end)
				continue;
			for (i = p << PPC_FAN_SHIFT; i < (p + 1) << PPC_FAN_SHIFT; i++)
				ppc_set(b, l - 1, i, &ppc_sum_full);
		}
		memset(&b->words[c * PPC_CHUNK_WORDS], 0xff,
		       PPC_CHUNK_WORDS * sizeof(*b->words));
	}
	cl->next = y;
	if (y < cl->end)
		return false;
	b->claims--;
	return true;
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

/* Give word @w, which holds free pages, to @owner; its free pages to *@free. */
static void ppc_take_word(struct ppc_bits *b, unsigned long w,
			  unsigned int owner, unsigned long *free)
{
	unsigned long c = w / PPC_CHUNK_WORDS;

	*free = ~b->words[w];
	b->nfree -= hweight_long(*free);
	b->words[w] = owner;
	b->sums[c] |= 1ULL << (PPC_OWNED_SHIFT + w % PPC_CHUNK_WORDS);
	ppc_update(b, c, c, false);
}

/**
 * ppc_bits_take_window - give a CPU the lowest word holding a run it wants
 * @b: the bits
 * @npages: pages the run needs, 1 to 64, inside one word
 * @owner: the CPU that takes the word
 * @free: where to put the mask of the word's free pages (bit i is page
 *	w * 64 + i), which leave the bitmap
 *
 * The word is full to the bitmap until ppc_bits_return_window().
 *
 * Return: the word index w, or %PPC_NONE (and *@free is untouched).
 */
unsigned long ppc_bits_take_window(struct ppc_bits *b, unsigned int npages,
				   unsigned int owner, unsigned long *free)
{
	unsigned long w, ff;

	if (!npages || npages > BITS_PER_LONG)
		return PPC_NONE;
	w = ppc_find(b, npages, true, &ff);
	if (w == PPC_NONE)
		return PPC_NONE;
	ppc_take_word(b, w, owner, free);
	ppc_hint_after_alloc(b, ff, w * BITS_PER_LONG, BITS_PER_LONG);
	return w;
}

/**
 * ppc_bits_take_window_in - ppc_bits_take_window() inside some chunks
 * @b: the bits
 * @npages: pages the run needs, 1 to 64, inside one word
 * @owner: the CPU that takes the word
 * @free: where to put the mask of the word's free pages
 * @first_chunk: the first chunk the word may lie in
 * @end_chunk: the chunk after the last one; past the pool is the pool's end
 *
 * The lowest word of chunks [@first_chunk, @end_chunk) holding a run of
 * @npages free pages, taken as ppc_bits_take_window() takes it: for a CPU
 * that wants its own NUMA node's pages first.  O(levels) to find the chunk.
 *
 * Return: the word index w, or %PPC_NONE (and *@free is untouched).
 */
unsigned long ppc_bits_take_window_in(struct ppc_bits *b, unsigned int npages,
				      unsigned int owner, unsigned long *free,
				      unsigned long first_chunk,
				      unsigned long end_chunk)
{
	unsigned long c, j, w;

	if (!npages || npages > BITS_PER_LONG)
		return PPC_NONE;
	end_chunk = min(end_chunk, b->nchunks);
	/* No page below the hint is free. */
	first_chunk = max(first_chunk, b->hint >> PPC_CHUNK_SHIFT);
	if (first_chunk >= end_chunk)
		return PPC_NONE;
	c = ppc_find_chunk_in(b, npages, first_chunk, end_chunk);
	if (c == PPC_NONE)
		return PPC_NONE;
	j = ppc_chunk_find(b, c, npages, true, 0, NULL);
	if (WARN_ON_ONCE(j == PPC_NONE))
		return PPC_NONE;
	w = c * PPC_CHUNK_WORDS + j;
	ppc_take_word(b, w, owner, free);
	/* The hint stays right unless it was in the word taken. */
	ppc_hint_after_alloc(b, b->hint, w * BITS_PER_LONG, BITS_PER_LONG);
	return w;
}

/**
 * ppc_bits_return_window - take a window's word back into the bitmap
 * @b: the bits
 * @w: the word, as ppc_bits_take_window() returned it
 * @free: the pages of the word that are free; the others stay allocated
 */
void ppc_bits_return_window(struct ppc_bits *b, unsigned long w,
			    unsigned long free)
{
	unsigned long c = w / PPC_CHUNK_WORDS;

	if (WARN_ON_ONCE(ppc_bits_owner(b, w) < 0))
		return;
	ppc_prefetch_path(b, c);
	/* The last word's pages past the end stay allocated. */
	if ((w + 1) * BITS_PER_LONG > b->npages)
		free &= ppc_mask(b->npages - w * BITS_PER_LONG);
	b->words[w] = ~free;
	b->sums[c] &= ~(1ULL << (PPC_OWNED_SHIFT + w % PPC_CHUNK_WORDS));
	b->nfree += hweight_long(free);
	ppc_update(b, c, c, true);
	if (free)
		b->hint = min(b->hint, w * BITS_PER_LONG + __ffs(free));
}

/**
 * ppc_bits_owner - the window that owns a word
 * @b: the bits
 * @w: the word
 *
 * Return: the owner given to ppc_bits_take_window(), or -1.
 */
long ppc_bits_owner(const struct ppc_bits *b, unsigned long w)
{
	if (w >= b->nchunks * PPC_CHUNK_WORDS ||
	    !(ppc_owned(b, w / PPC_CHUNK_WORDS) >> (w % PPC_CHUNK_WORDS) & 1))
		return -1;
	return b->words[w];
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

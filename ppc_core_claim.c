// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_core: claims, the allocations of runs too large for one hold of the
 * pool lock, taken at once in the tree and marked in the bitmap a slice
 * at a time.
 */
#include "ppc_core_tree.h"

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

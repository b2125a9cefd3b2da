// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_core: windows.  A CPU's window owns one 64-page word of the bitmap;
 * the word holds the owner's id until the window goes back, and the
 * bitmap and the tree count it full meanwhile.
 */
#include "ppc_core_tree.h"

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

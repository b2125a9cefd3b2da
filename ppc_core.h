/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ppc_core: the page bitmap of a pcpu_pagecache pool and a radix tree of
 * summaries over it, so that finding a free run costs O(levels), not
 * O(chunks).  Pure C: the module and the host tests in tools/testing/ppc_core
 * build the same file (ppc_compat.h maps the primitives).
 *
 * Every function but ppc_bits_init() and ppc_bits_fini() is called with the
 * pool lock held and never sleeps.  The design is in
 * Documentation/pcpu_pagecache.rst, "The summary tree".
 */
#ifndef _PPC_CORE_H
#define _PPC_CORE_H

#include "ppc_compat.h"

#define PPC_CHUNK_PAGES		1024	/* pages under one leaf summary */
#define PPC_CHUNK_SHIFT		10
#define PPC_WORD_PAGES		64	/* a window is one bitmap word */
#define PPC_CHUNK_WORDS		(PPC_CHUNK_PAGES / PPC_WORD_PAGES)
/* Level 0 of the tree keeps a chunk's owned words above its counts. */
#define PPC_OWNED_SHIFT		48
#define PPC_NONE		(~0UL)
#define PPC_MAX_PAGES		BIT(34)		/* 64 TiB of 4 KiB pages */
/* Levels of summaries for PPC_MAX_PAGES: 2^24 chunks, 8 children a node. */
#define PPC_LEVELS		8

/**
 * struct ppc_sum - the free runs of a range of pages, unpacked
 * @start: free pages at the start of the range
 * @max: the longest run of free pages in the range
 * @end: free pages at the end of the range
 * @wmax: the longest run of free pages inside one 64-page word of the range
 *
 * A range with no free page has all four 0.
 */
struct ppc_sum {
	unsigned long start;
	unsigned long max;
	unsigned long end;
	unsigned long wmax;
};

/**
 * struct ppc_bits - the bitmap of a pool and its summary tree
 * @words: one bit a page, set when the page is not free; while a window
 *	owns a word, the word holds the owner's id instead
 * @sums: levels 0 to 2 of the tree (a chunk, 8 and 64 chunks an entry),
 *	packed in a u64 each; level 0 also holds the chunk's owned words
 * @wide: levels 3 and up, whose counts do not fit a u64
 * @off: the first entry of each level in @sums or @wide
 * @npages: pages in the pool
 * @nfree: pages free in the bitmap
 * @hint: no page below it is free (Go's searchAddr)
 * @nchunks: chunks of %PPC_CHUNK_PAGES, the last one possibly partial
 * @meta_bytes: bytes allocated for all of the above
 * @top: the root level; it has at most 8 entries
 * @contiguous: a run may cross chunk boundaries
 * @claims: runs claimed by ppc_bits_claim() and not all marked yet
 *
 * Every level has a multiple of 8 entries; those past the pool read as
 * full.  Guarded by the pool lock.
 */
struct ppc_bits {
	unsigned long *words;
	u64 *sums;
	struct ppc_sum *wide;
	unsigned long off[PPC_LEVELS];
	unsigned long npages;
	unsigned long nfree;
	unsigned long hint;
	unsigned long nchunks;
	size_t meta_bytes;
	unsigned int top;
	unsigned int claims;
	bool contiguous;
};

/*
 * The pages one hold of the pool lock works on in a large request: a
 * request of more pages is claimed, then marked or freed in slices of this
 * many, the lock dropped between them.  A request of at most this many
 * goes in one hold.  A multiple of %PPC_CHUNK_PAGES.
 */
#define PPC_SLICE_PAGES		4096UL

/**
 * struct ppc_claim - a run allocated by ppc_bits_claim(), being marked
 * @first: its first page
 * @npages: its pages
 * @next: the next chunk to mark
 * @end: the chunk after the last one to mark
 */
struct ppc_claim {
	unsigned long first;
	unsigned long npages;
	unsigned long next;
	unsigned long end;
};

/* The low @n bits, 1 <= n <= 64. */
static __always_inline unsigned long ppc_mask(unsigned int n)
{
	return ~0UL >> (BITS_PER_LONG - n);
}

/*
 * The bits of @free where a run of @n set bits starts (1 <= n <= 64).
 * Each step drops the top bits of every run; a shift never exceeds the
 * narrowest gap between runs, and every step at least doubles that gap.
 * The per-CPU fast path uses it on its window too.
 */
static __always_inline unsigned long ppc_run_starts(unsigned long free,
						    unsigned int n)
{
	unsigned int left = n - 1, shift = 1, s;

	while (left && free) {
		s = min(left, shift);
		free &= free >> s;
		left -= s;
		shift <<= 1;
	}
	return free;
}

/* First bit of a run of @n set bits in @free (1 <= n <= 64), or 64. */
static __always_inline unsigned int ppc_word_find(unsigned long free,
						  unsigned int n)
{
	free = ppc_run_starts(free, n);
	return free ? __ffs(free) : BITS_PER_LONG;
}

/**
 * struct ppc_run - a range of pages
 * @first: its first page
 * @npages: its pages
 */
struct ppc_run {
	unsigned long first;
	unsigned long npages;
};

/* What ppc_bits_page() says of a page no window owns. */
#define PPC_PAGE_ALLOCATED	(-1L)
#define PPC_PAGE_FREE		(-2L)

/**
 * ppc_bits_page - what a free of one page finds
 * @b: the bits
 * @p: the page, below @b->npages
 *
 * Inline, and two reads: a remote free asks it of every page, without the
 * lock (the caller then makes sure no window changed hands meanwhile).
 *
 * Return: the owner given to ppc_bits_take_window() if a window owns the
 * page's word, else %PPC_PAGE_ALLOCATED or %PPC_PAGE_FREE.
 */
static inline long ppc_bits_page(const struct ppc_bits *b, unsigned long p)
{
	unsigned long w = p / BITS_PER_LONG, x = b->words[w];

	if (b->sums[p >> PPC_CHUNK_SHIFT] >>
	    (PPC_OWNED_SHIFT + w % PPC_CHUNK_WORDS) & 1)
		return x;
	return x >> (p % BITS_PER_LONG) & 1 ? PPC_PAGE_ALLOCATED : PPC_PAGE_FREE;
}

int ppc_bits_init(struct ppc_bits *b, unsigned long npages, bool contiguous);
void ppc_bits_fini(struct ppc_bits *b);
unsigned long ppc_bits_nfree(const struct ppc_bits *b);
unsigned long ppc_bits_alloc(struct ppc_bits *b, unsigned long npages);
unsigned long ppc_bits_claim(struct ppc_bits *b, unsigned long npages,
			     struct ppc_claim *cl);
bool ppc_bits_claim_mark(struct ppc_bits *b, struct ppc_claim *cl);
void ppc_bits_free(struct ppc_bits *b, unsigned long first,
		   unsigned long npages);
void ppc_bits_free_runs(struct ppc_bits *b, const struct ppc_run *runs,
			unsigned int n);
bool ppc_bits_allocated(const struct ppc_bits *b, unsigned long first,
			unsigned long npages);
unsigned long ppc_bits_take_window(struct ppc_bits *b, unsigned int npages,
				   unsigned int owner, unsigned long *free);
unsigned long ppc_bits_take_window_in(struct ppc_bits *b, unsigned int npages,
				      unsigned int owner, unsigned long *free,
				      unsigned long first_chunk,
				      unsigned long end_chunk);
void ppc_bits_return_window(struct ppc_bits *b, unsigned long w,
			    unsigned long free);
long ppc_bits_owner(const struct ppc_bits *b, unsigned long w);
void ppc_bits_chunk_info(const struct ppc_bits *b, unsigned long chunk,
			 unsigned int *nfree, unsigned int *longest);
size_t ppc_bits_meta_bytes(const struct ppc_bits *b);

#endif /* _PPC_CORE_H */

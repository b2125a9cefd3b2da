/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The summary tree's internals, shared by the files of ppc_core:
 * ppc_core.c (the tree, its searches, alloc and free), ppc_core_claim.c
 * (large runs claimed in slices) and ppc_core_window.c (the words that
 * CPUs' windows own).  Not for the module's other files: they call
 * ppc_core.h.  Every function here runs under the pool lock.
 */
#ifndef _PPC_CORE_TREE_H
#define _PPC_CORE_TREE_H

#include "ppc_core.h"

#define PPC_FAN_SHIFT		3
#define PPC_FAN			BIT(PPC_FAN_SHIFT)
/* Levels 0-2 have counts below 2^17: three of them and wmax fit a u64. */
#define PPC_NARROW		3
#define PPC_SUM_MASK		((1ULL << PPC_OWNED_SHIFT) - 1)

/* log2 of the pages under one entry of level @l. */
static inline unsigned int ppc_shift(unsigned int l)
{
	return PPC_CHUNK_SHIFT + PPC_FAN_SHIFT * l;
}

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

/* Pages [@first, @first + @n) stopped being free; @ff came from ppc_find. */
static inline void ppc_hint_after_alloc(struct ppc_bits *b,
					unsigned long ff, unsigned long first,
					unsigned long n)
{
	b->hint = ff >= first && ff - first < n ? first + n : ff;
}

void ppc_chunk_summarize(const struct ppc_bits *b, unsigned long c,
			 struct ppc_sum *s);
void ppc_node_summarize(const struct ppc_bits *b, unsigned int l,
			unsigned long e, struct ppc_sum *s);
void ppc_range_set(unsigned long *w, unsigned long first,
		   unsigned long n);
void ppc_update(struct ppc_bits *b, unsigned long sc, unsigned long ec,
		bool free);
unsigned long ppc_find(const struct ppc_bits *b, unsigned long n,
		       bool window, unsigned long *ff);
unsigned long ppc_chunk_find(const struct ppc_bits *b, unsigned long c,
			     unsigned long n, bool window,
			     unsigned int from, unsigned long *ff);
unsigned long ppc_find_chunk_in(const struct ppc_bits *b,
				unsigned long n, unsigned long cs,
				unsigned long ce);
void ppc_prefetch_path(const struct ppc_bits *b, unsigned long c);

#endif /* _PPC_CORE_TREE_H */

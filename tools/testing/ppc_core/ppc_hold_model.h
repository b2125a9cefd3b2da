/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's slow free (ppc_alloc_free.c: ppc_free_slow(),
 * ppc_free_sliced(); ppc_remote.c: ppc_free_check(),
 * ppc_free_apply_locked()) on the host, over ppc_core, with its per-CPU
 * windows reduced to a word and a mask of free pages each (->pending
 * merged at once) and pool->batched to a byte a page.  Each function is
 * one hold of the pool lock: the tests run other operations between them,
 * the benchmark times them.
 */
#ifndef _PPC_HOLD_MODEL_H
#define _PPC_HOLD_MODEL_H

#define HM_WINDOWS	8

struct hm_pool {
	struct ppc_bits b;
	unsigned char *batched;		/* a free of the page is under way */
	unsigned long win_word[HM_WINDOWS];	/* PPC_NONE: no window */
	unsigned long win_free[HM_WINDOWS];
};

static inline int hm_init(struct hm_pool *p, unsigned long npages)
{
	unsigned int i;

	if (ppc_bits_init(&p->b, npages, true))
		return -1;
	p->batched = calloc(npages, 1);
	for (i = 0; i < HM_WINDOWS; i++)
		p->win_word[i] = PPC_NONE;
	return p->batched ? 0 : -1;
}

static inline void hm_fini(struct hm_pool *p)
{
	ppc_bits_fini(&p->b);
	free(p->batched);
}

static inline unsigned long hm_word_bits(unsigned long w, unsigned long first,
					 unsigned long end)
{
	unsigned long lo = w * 64 > first ? w * 64 : first;
	unsigned long hi = (w + 1) * 64 < end ? (w + 1) * 64 : end;

	return ppc_mask(hi - lo) << (lo % 64);
}

/* ppc_free_check(): whether [first, +n) may be freed. */
static inline bool hm_check(struct hm_pool *p, unsigned long first,
			    unsigned long n)
{
	unsigned long end = first + n, w, lo, hi;
	long owner;

	for (w = first / 64; w * 64 < end; w++) {
		lo = w * 64 > first ? w * 64 : first;
		hi = (w + 1) * 64 < end ? (w + 1) * 64 : end;
		owner = ppc_bits_owner(&p->b, w);
		if (owner < 0) {
			if (!ppc_bits_allocated(&p->b, lo, hi - lo))
				return false;
		} else if (p->win_free[owner] & hm_word_bits(w, first, end)) {
			return false;
		}
	}
	return true;
}

/* ppc_bitmap_frees_add_locked(): one range more, joined to the last if it can. */
static inline void hm_add(struct hm_pool *p, struct ppc_run *runs,
			  unsigned int *nr, unsigned long f, unsigned long len)
{
	if (*nr && runs[*nr - 1].first + runs[*nr - 1].npages == f) {
		runs[*nr - 1].npages += len;
		return;
	}
	if (*nr == 16) {
		ppc_bits_free_runs(&p->b, runs, *nr);
		*nr = 0;
	}
	runs[(*nr)++] = (struct ppc_run){ f, len };
}

/* ppc_free_apply_locked() + ppc_bitmap_frees_flush_locked(), batched bits released. */
static inline void hm_apply(struct hm_pool *p, unsigned long first,
			    unsigned long n, bool claimed)
{
	unsigned long end = first + n, w, run = first;
	struct ppc_run runs[16] = { { 0 } };
	unsigned int nr = 0;
	long owner;

	for (w = first / 64; w * 64 < end; w++) {
		owner = ppc_bits_owner(&p->b, w);
		if (owner < 0)
			continue;
		if (run < w * 64)
			hm_add(p, runs, &nr, run, w * 64 - run);
		p->win_free[owner] |= hm_word_bits(w, first, end);
		run = (w + 1) * 64;
	}
	if (run < end)
		hm_add(p, runs, &nr, run, end - run);
	ppc_bits_free_runs(&p->b, runs, nr);
	if (claimed)
		memset(p->batched + first, 0, n);
}

/* A free of at most PPC_SLICE_PAGES pages: one hold. */
static inline bool hm_free_one(struct hm_pool *p, unsigned long first,
			       unsigned long n)
{
	unsigned long i;

	for (i = first; i < first + n; i++)
		if (p->batched[i])
			return false;
	if (!hm_check(p, first, n))
		return false;
	hm_apply(p, first, n, false);
	return true;
}

/* A sliced free, ppc_free_sliced(), one step a call. */
struct hm_free {
	unsigned long first, n, next;
	int phase;	/* 0 checking, 1 freeing, 2 done, -1 refused */
};

/* The claim in pool->batched, without the lock: false if refused. */
static inline bool hm_free_start(struct hm_pool *p, struct hm_free *f,
				 unsigned long first, unsigned long n)
{
	unsigned long i;

	f->first = first;
	f->n = n;
	f->next = first;
	f->phase = 0;
	for (i = first; i < first + n; i++)
		if (p->batched[i]) {
			f->phase = -1;
			return false;
		}
	memset(p->batched + first, 1, n);
	return true;
}

/* One hold; returns the phase after it. */
static inline int hm_free_step(struct hm_pool *p, struct hm_free *f)
{
	unsigned long end = f->first + f->n;
	unsigned long len = end - f->next < PPC_SLICE_PAGES ?
			    end - f->next : PPC_SLICE_PAGES;

	if (f->phase == 0) {
		if (!hm_check(p, f->next, len)) {
			memset(p->batched + f->first, 0, f->n);
			return f->phase = -1;
		}
		f->next += len;
		if (f->next == end) {
			f->phase = 1;
			f->next = f->first;
		}
	} else if (f->phase == 1) {
		hm_apply(p, f->next, len, true);
		f->next += len;
		if (f->next == end)
			f->phase = 2;
	}
	return f->phase;
}

#endif /* _PPC_HOLD_MODEL_H */

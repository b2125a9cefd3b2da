// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the bounded lock hold (issue 21 point 7): large runs
 * claimed by ppc_bits_claim() and marked a slice at a time, large frees
 * checked then freed a slice at a time (ppc_hold_model.h, as the module
 * does them), with other operations between the slices as other CPUs
 * would make them while the lock is dropped.  After every step: every
 * summary the searches can reach agrees with the bitmap plus the open
 * claims, no page is handed out twice, and bad frees are refused whole.
 *
 * usage: ppc_core_hold [-q]
 */
#include "ppc_core_test.h"
#include "ppc_hold_model.h"

static bool quick;

#define MAX_OPEN	3

/*
 * ref_check_tree() with open claims: their chunks not marked yet count as
 * allocated, and an entry is skipped when its parent lies inside a claim
 * and has not had its children marked yet (nobody reads it).
 */
static unsigned long check_claims(const struct ppc_bits *b,
				  struct ppc_claim *const *cls, unsigned int n)
{
	unsigned long limit = b->nchunks * PPC_CHUNK_PAGES, cnt, e, p, nfree = 0;
	unsigned char *f = ref_free_map(b);
	unsigned long bad = 0, ps, pe;
	unsigned int l, k, sh;
	bool live;

	for (k = 0; k < n; k++)
		for (p = cls[k]->next * PPC_CHUNK_PAGES;
		     p < cls[k]->end * PPC_CHUNK_PAGES; p++)
			f[p] = 0;
	for (p = 0; p < limit; p++) {
		nfree += f[p];
		if (f[p] && p < b->hint && !bad++)
			t_fail(__FILE__, __LINE__, "page %lu free below hint %lu",
			       p, b->hint);
	}
	if (nfree != b->nfree && !bad++)
		t_fail(__FILE__, __LINE__, "nfree %lu, bitmap has %lu",
		       b->nfree, nfree);
	if (b->claims != n && !bad++)
		t_fail(__FILE__, __LINE__, "claims %u, open %u", b->claims, n);
	for (l = 0, cnt = b->nchunks; l <= b->top; l++) {
		unsigned long pad = (cnt + 7) & ~7UL;

		for (e = 0; e < pad; e++) {
			live = true;
			sh = 3 * (l + 1);
			for (k = 0; l < b->top && k < n; k++) {
				ps = (e >> 3) << sh;
				pe = ((e >> 3) + 1) << sh;
				if (ps >= (cls[k]->first + 1023) / 1024 &&
				    pe <= cls[k]->end && ps >= cls[k]->next)
					live = false;
			}
			if (!live)
				continue;
			ref_check_entry(b, f, limit, l, e, &bad);
		}
		cnt = (cnt + 7) / 8;
	}
	free(f);
	return bad;
}

static void clone(struct ppc_bits *d, const struct ppc_bits *s, size_t *nw,
		  size_t *ns, size_t *nwide)
{
	unsigned long nsums = 0, nwd = 0, cnt = s->nchunks;
	unsigned int l;

	for (l = 0; l <= s->top; l++) {
		if (l < PPC_NARROW)
			nsums += (cnt + 7) & ~7UL;
		else
			nwd += (cnt + 7) & ~7UL;
		cnt = (cnt + 7) / 8;
	}
	*nw = s->nchunks * PPC_CHUNK_WORDS * sizeof(long);
	*ns = nsums * sizeof(u64);
	*nwide = nwd * sizeof(struct ppc_sum);
	*d = *s;
	d->words = malloc(*nw);
	d->sums = malloc(*ns);
	d->wide = *nwide ? malloc(*nwide) : NULL;
	memcpy(d->words, s->words, *nw);
	memcpy(d->sums, s->sums, *ns);
	if (*nwide)
		memcpy(d->wide, s->wide, *nwide);
}

/* Random runs allocated, random ones freed: a used pool. */
static void scramble(struct ppc_bits *b, unsigned int n)
{
	unsigned long a;
	unsigned int i;

	for (i = 0; i < n; i++) {
		a = ppc_bits_alloc(b, 1 + rnd_below(rnd_below(4) ? 64 : 3000));
		if (a != PPC_NONE && rnd_below(3))
			ppc_bits_free(b, a, 1 + rnd_below(ppc_bits_allocated(b, a, 64) ?
							  64 : 1));
	}
}

/*
 * A claim then its marking ends where ppc_bits_alloc() does, byte for
 * byte, and agrees with the bitmap after every slice.
 */
static void test_claim_matches_alloc(void)
{
	static const unsigned long sizes[] = {
		600 * 1024 + 100, 64 * 1024, 700 * 1024 + 5, 512 * 1024,
	};
	unsigned int i, r, rounds = quick ? 4 : 12;
	struct ppc_bits b, o;
	struct ppc_claim cl, *clp = &cl;
	size_t nw, ns, nwide;
	unsigned long n, x, y;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		CHECK_EQ(ppc_bits_init(&b, sizes[i], true), 0);
		for (r = 0; r < rounds; r++) {
			scramble(&b, 200);
			n = PPC_SLICE_PAGES + 1 +
			    rnd_below(b.nfree / (1 + rnd_below(4)));
			if (r == 0)
				n = b.nfree;	/* what is left, if one run */
			clone(&o, &b, &nw, &ns, &nwide);
			x = ppc_bits_alloc(&o, n);
			y = ppc_bits_claim(&b, n, &cl);
			CHECK_EQ(x, y);
			if (y == PPC_NONE) {
				CHECK_EQ(b.claims, 0);
			} else {
				CHECK_EQ(check_claims(&b, &clp, cl.next < cl.end), 0);
				while (!ppc_bits_claim_mark(&b, &cl))
					CHECK_EQ(check_claims(&b, &clp, 1), 0);
				CHECK_EQ(b.claims, 0);
			}
			CHECK_EQ(ref_check_tree(&b), 0);
			CHECK(!memcmp(o.words, b.words, nw), "words");
			CHECK(!memcmp(o.sums, b.sums, ns), "sums");
			CHECK(!nwide || !memcmp(o.wide, b.wide, nwide), "wide");
			CHECK_EQ(o.nfree, b.nfree);
			CHECK_EQ(o.hint, b.hint);
			free(o.words);
			free(o.sums);
			free(o.wide);
			/* Give some back: the next round finds runs again. */
			if (y != PPC_NONE && ppc_bits_allocated(&b, y, n))
				ppc_bits_free(&b, y + n / 4, n / 2);
		}
		ppc_bits_fini(&b);
	}
}

/*
 * A free of pages of a claim already marked (a caller that frees what it
 * was not given yet) is accepted, as any free of allocated pages, and
 * leaves the tree right; one of pages not marked yet is refused.
 */
static void test_claim_wild_free(void)
{
	struct ppc_bits b;
	struct ppc_claim cl, *clp = &cl;
	unsigned long first, p, n = 300 * 1024 + 77, a;

	CHECK_EQ(ppc_bits_init(&b, 600 * 1024 + 100, true), 0);
	CHECK_EQ(ppc_bits_alloc(&b, 5), 0);
	first = ppc_bits_claim(&b, n, &cl);
	CHECK_EQ(first, 5);
	CHECK(!ppc_bits_allocated(&b, 2 * 1024, 1), "unmarked page freeable");
	CHECK(ppc_bits_allocated(&b, 5, 1019), "head not allocated");
	/* Marked past chunk 20, whatever the slice: room for the frees below. */
	while (cl.next < 20)
		ppc_bits_claim_mark(&b, &cl);
	p = cl.next * 1024;
	CHECK(ppc_bits_allocated(&b, 1024, p - 1024), "marked");
	CHECK(!ppc_bits_allocated(&b, p - 10, 20), "across the mark");
	ppc_bits_free(&b, 1024 + 64 * 5, 64 * 3);
	ppc_bits_free(&b, p - 1024 * 9, 1024 * 9);
	CHECK_EQ(check_claims(&b, &clp, 1), 0);
	a = ppc_bits_alloc(&b, 1024 * 9);
	CHECK_EQ(a, p - 1024 * 9);
	CHECK_EQ(ppc_bits_alloc(&b, 64), 1024 + 64 * 5);
	CHECK_EQ(check_claims(&b, &clp, 1), 0);
	while (!ppc_bits_claim_mark(&b, &cl))
		CHECK_EQ(check_claims(&b, &clp, 1), 0);
	CHECK_EQ(ref_check_tree(&b), 0);
	CHECK_EQ(ppc_bits_alloc(&b, 1), 1024 + 64 * 6);
	ppc_bits_fini(&b);
}

/* ---- Interleaved: other CPUs between the slices -------------------------- */

static struct hm_pool P;
static unsigned int *own;		/* the run holding each page; 0: none */
static unsigned int next_id = 1;
static unsigned long npool;

struct run {
	unsigned long first, n;
	unsigned int id;
	bool claimed;			/* ppc_bits_claim() still marking */
	bool freeing;			/* a sliced free under way */
	struct ppc_claim cl;
	struct hm_free fr;
};

static struct run runs[4096];
static unsigned int nruns;

static bool in_window(unsigned long p)
{
	unsigned int i;

	for (i = 0; i < HM_WINDOWS; i++)
		if (P.win_word[i] == p / 64 && P.win_free[i] >> (p % 64) & 1)
			return true;
	return false;
}

static void got(unsigned long first, unsigned long n, bool claimed,
		struct ppc_claim *cl)
{
	unsigned long p;
	struct run *r;

	for (p = first; p < first + n; p++) {
		if (own[p] || in_window(p)) {
			t_fail(__FILE__, __LINE__, "page %lu handed out twice (run %u)",
			       p, own[p]);
			break;
		}
		own[p] = next_id;
	}
	if (nruns == ARRAY_SIZE(runs))
		return;
	r = &runs[nruns++];
	memset(r, 0, sizeof(*r));
	r->first = first;
	r->n = n;
	r->id = next_id++;
	r->claimed = claimed;
	if (cl)
		r->cl = *cl;
}

static void drop(unsigned int i)
{
	unsigned long p;

	/* A sliced free's pages may have gone to other runs already. */
	for (p = runs[i].first; p < runs[i].first + runs[i].n; p++)
		if (own[p] == runs[i].id)
			own[p] = 0;
	runs[i] = runs[--nruns];
}

static unsigned int open_claims(struct ppc_claim **cls)
{
	unsigned int i, n = 0;

	for (i = 0; i < nruns; i++)
		if (runs[i].claimed)
			cls[n++] = &runs[i].cl;
	return n;
}

static unsigned int count_busy(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < nruns; i++)
		n += runs[i].claimed || runs[i].freeing;
	return n;
}

/* A bad free, refused whole: the pool does not change. */
static void bad_free(unsigned long first, unsigned long n)
{
	unsigned long nfree = P.b.nfree;
	struct hm_free f;
	bool ok = true;

	if (!n || first + n > npool)
		return;
	if (n <= PPC_SLICE_PAGES) {
		ok = hm_free_one(&P, first, n);
	} else if (hm_free_start(&P, &f, first, n)) {
		while (f.phase == 0)
			hm_free_step(&P, &f);
		ok = f.phase == 1;
		if (ok)	/* finish it, or the pool is left claimed */
			while (hm_free_step(&P, &f) != 2)
				;
	} else {
		ok = false;
	}
	CHECK(!ok, "bad free of %lu pages at %lu accepted (own %u batched %d word %lx owner %ld)",
	      n, first, own[first], P.batched[first], P.b.words[first / 64],
	      ppc_bits_owner(&P.b, first / 64));
	CHECK_EQ(P.b.nfree, nfree);
}

static void step(void)
{
	struct ppc_claim *cls[MAX_OPEN * 2], cl;
	unsigned long a, n, w, fr, i, k;
	unsigned int op = rnd_below(12), j;
	int ph;
	struct run *r;

	if (nruns && op < 4) {
		/* A slice of a claim or of a free under way, if any. */
		r = &runs[rnd_below(nruns)];
		if (r->claimed) {
			if (ppc_bits_claim_mark(&P.b, &r->cl))
				r->claimed = false;
		} else if (r->freeing) {
			/* Pages freed by this slice may be handed out again. */
			a = r->fr.phase == 1 ? r->fr.next : PPC_NONE;
			ph = hm_free_step(&P, &r->fr);
			if (a != PPC_NONE)
				for (i = a; i < (ph == 2 ? r->first + r->n :
						 r->fr.next); i++)
					if (own[i] == r->id)
						own[i] = 0;
			CHECK(ph >= 0, "free of run %u (%lu pages at %lu) refused",
			      r->id, r->n, r->first);
			if (ph < 0)
				r->freeing = false;
			if (ph == 2)
				drop(r - runs);
		}
		return;
	}
	switch (op) {
	case 4:		/* a small run, in one hold */
		n = 1 + rnd_below(rnd_below(2) ? 64 : PPC_SLICE_PAGES);
		a = ppc_bits_alloc(&P.b, n);
		if (a != PPC_NONE)
			got(a, n, false, NULL);
		break;
	case 5:		/* a large one, claimed */
		if (count_busy() >= MAX_OPEN)
			break;
		n = PPC_SLICE_PAGES + 1 + rnd_below(P.b.nfree / 3 + 1);
		a = ppc_bits_claim(&P.b, n, &cl);
		if (a != PPC_NONE)
			got(a, n, cl.next < cl.end, &cl);
		break;
	case 6:		/* a free, sliced if large */
	case 7:
		if (!nruns)
			break;
		j = rnd_below(nruns);
		r = &runs[j];
		if (r->claimed || r->freeing)
			break;
		if (r->n <= PPC_SLICE_PAGES) {
			CHECK(hm_free_one(&P, r->first, r->n), "free of run %u", r->id);
			drop(j);
		} else if (count_busy() < MAX_OPEN) {
			CHECK(hm_free_start(&P, &r->fr, r->first, r->n),
			      "free of run %u", r->id);
			r->freeing = true;
		}
		break;
	case 8:		/* a window taken or given back */
		j = rnd_below(HM_WINDOWS);
		if (P.win_word[j] == PPC_NONE) {
			if (rnd_below(2))
				w = ppc_bits_take_window(&P.b, 1 + rnd_below(8), j, &fr);
			else
				w = ppc_bits_take_window_in(&P.b, 1, j, &fr,
							    rnd_below(P.b.nchunks),
							    P.b.nchunks);
			if (w != PPC_NONE) {
				for (i = 0; i < 64; i++)
					if (fr >> i & 1 && own[w * 64 + i])
						t_fail(__FILE__, __LINE__,
						       "window %lu gives page %lu of run %u",
						       w, w * 64 + i, own[w * 64 + i]);
				P.win_word[j] = w;
				P.win_free[j] = fr;
			}
		} else {
			ppc_bits_return_window(&P.b, P.win_word[j], P.win_free[j]);
			P.win_word[j] = PPC_NONE;
		}
		break;
	case 9:		/* pages out of a window: a run of its own */
		j = rnd_below(HM_WINDOWS);
		if (P.win_word[j] == PPC_NONE || !P.win_free[j])
			break;
		i = __ffs(P.win_free[j]);
		for (k = 1; i + k < 64 && P.win_free[j] >> (i + k) & 1 &&
		     rnd_below(4); k++)
			;
		P.win_free[j] &= ~(ppc_mask(k) << i);
		got(P.win_word[j] * 64 + i, k, false, NULL);
		break;
	case 10:	/* bad frees: open claims, frees under way, free pages */
		for (j = 0; j < nruns; j++) {
			r = &runs[j];
			if (r->claimed && r->cl.next < r->cl.end)
				bad_free(r->cl.next * 1024 + rnd_below(1024),
					 1 + rnd_below(2 * PPC_SLICE_PAGES));
			/* A page still being freed: batched, refused. */
			if (r->freeing && r->fr.phase == 0)
				bad_free(r->first + rnd_below(r->n), 1 +
					 rnd_below(rnd_below(2) ? 64 : 3 * PPC_SLICE_PAGES));
			else if (r->freeing)
				bad_free(r->fr.next + rnd_below(r->first + r->n - r->fr.next), 1 +
					 rnd_below(rnd_below(2) ? 64 : 3 * PPC_SLICE_PAGES));
		}
		a = rnd_below(npool);
		if (!own[a] && !P.batched[a])
			bad_free(a, 1 + rnd_below(2 * PPC_SLICE_PAGES));
		break;
	default:	/* a free that runs into a free page past a run */
		if (!nruns)
			break;
		r = &runs[rnd_below(nruns)];
		a = r->first + r->n;
		if (r->claimed || r->freeing || a >= npool || own[a])
			break;
		bad_free(r->first, r->n + 1);
		break;
	}
	(void)cls;
}

/* Every page of a run is allocated: in the bitmap, a window, or a claim. */
static bool model_check(struct ppc_claim *const *cls, unsigned int n)
{
	unsigned long p, w;
	unsigned int k;
	bool claimed;
	long o;

	for (p = 0; p < npool; p++) {
		if (!own[p] && ppc_bits_owner(&P.b, p / 64) < 0 &&
		    P.b.words[p / 64] >> (p % 64) & 1) {
			t_fail(__FILE__, __LINE__, "page %lu allocated, in no run", p);
			return false;
		}
		if (!own[p])
			continue;
		w = p / 64;
		o = ppc_bits_owner(&P.b, w);
		if (o >= 0) {
			if (P.win_free[o] >> (p % 64) & 1)
				goto bad;
			continue;
		}
		if (P.b.words[w] >> (p % 64) & 1)
			continue;
		for (k = 0, claimed = false; k < n; k++)
			claimed |= p >= cls[k]->next * 1024 &&
				   p < cls[k]->end * 1024;
		if (!claimed)
			goto bad;
	}
	return true;
bad:
	t_fail(__FILE__, __LINE__, "page %lu of run %u is free", p, own[p]);
	return false;
}

static void test_interleaved(void)
{
	struct ppc_claim *cls[MAX_OPEN * 2];
	unsigned int s, nsteps = quick ? 100 : 600, n;

	npool = 520 * 1024 + 100;	/* 4 levels, one of them wide */
	CHECK_EQ(hm_init(&P, npool), 0);
	CHECK_EQ(P.b.top, 3);
	own = calloc(npool, sizeof(*own));
	for (s = 0; s < nsteps; s++) {
		step();

		n = open_claims(cls);
		if (check_claims(&P.b, cls, n) || !model_check(cls, n)) {
			t_fail(__FILE__, __LINE__, "after step %u", s);
			break;
		}
	}
	/* Finish everything: the tree is exact again. */
	for (s = 0; s < nruns; s++) {
		struct run *r = &runs[s];

		while (r->claimed && !ppc_bits_claim_mark(&P.b, &r->cl))
			;
		r->claimed = false;
		while (r->freeing && r->fr.phase >= 0 && r->fr.phase != 2)
			hm_free_step(&P, &r->fr);
		CHECK(!r->freeing || r->fr.phase == 2, "run %u", r->id);
		r->freeing = false;
	}
	CHECK_EQ(count_busy(), 0);
	CHECK_EQ(ref_check_tree(&P.b), 0);
	free(own);
	nruns = 0;
	hm_fini(&P);
}

/*
 * A sliced free whose last slice is bad frees nothing, and one racing a
 * window taken and given back between its slices frees everything.
 */
static void test_free_partial(void)
{
	unsigned long n = 5 * PPC_SLICE_PAGES + 3, first, w, fr, nfree;
	struct hm_free f;

	CHECK_EQ(hm_init(&P, 100 * 1024), 0);
	first = ppc_bits_alloc(&P.b, n);
	CHECK_EQ(first, 0);
	ppc_bits_free(&P.b, n - 2, 1);		/* the last slice is bad */
	nfree = P.b.nfree;
	CHECK(hm_free_start(&P, &f, first, n), "start");
	CHECK(!hm_free_start(&P, &(struct hm_free){ 0 }, n - 100, 10),
	      "a second free of pages being freed");
	while (hm_free_step(&P, &f) == 0)
		CHECK(!hm_free_one(&P, rnd_below(n - 10), 3), "being freed");
	CHECK_EQ(f.phase, -1);
	CHECK_EQ(P.b.nfree, nfree);
	CHECK(ppc_bits_allocated(&P.b, 0, n - 2), "nothing freed");
	CHECK_EQ(ref_check_tree(&P.b), 0);

	/*
	 * Word 5 becomes a window between the check and the free: its pages
	 * of the range go to the window, the others to the bitmap.
	 */
	CHECK_EQ(ppc_bits_alloc(&P.b, 1), n - 2);
	ppc_bits_free(&P.b, 5 * 64 + 3, 1);
	first = 5 * 64 + 10;
	CHECK(hm_free_start(&P, &f, first, n - first), "start");
	while (f.phase == 0)
		hm_free_step(&P, &f);
	w = ppc_bits_take_window(&P.b, 1, 2, &fr);
	CHECK_EQ(w, 5);
	CHECK_EQ(fr, 1UL << 3);
	P.win_word[2] = w;
	P.win_free[2] = fr;
	while (hm_free_step(&P, &f) == 1)
		;
	CHECK_EQ(f.phase, 2);
	CHECK_EQ(P.win_free[2], 1UL << 3 | ~0UL << 10);
	ppc_bits_return_window(&P.b, w, P.win_free[2]);
	P.win_word[2] = PPC_NONE;
	CHECK_EQ(P.b.nfree, 100 * 1024 - (5 * 64 + 9));
	CHECK_EQ(ref_check_tree(&P.b), 0);
	hm_fini(&P);
}

int main(int argc, char **argv)
{
	quick = argc > 1 && !strcmp(argv[1], "-q");
	printf("TAP version 13\n");
	t_run("claim_matches_alloc", test_claim_matches_alloc);
	t_run("claim_wild_free", test_claim_wild_free);
	t_run("free_partial", test_free_partial);
	t_run("interleaved", test_interleaved);
	return t_done("ppc_core_hold");
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Differential test of ppc_core against a naive model: a byte per page
 * (free, allocated, or in a window), each window's owner and the mask of
 * its pages still free in the CPU's cache, and the list of allocated runs.
 *
 * Random operations in the proportions a pool sees: allocations of random
 * sizes (most small, some up to the whole pool), whole and partial frees,
 * checks of valid and invalid ranges with ppc_bits_allocated(), windows
 * taken by random owners (half of them only from a random range of
 * chunks, as a NUMA node's refill), pages handed out from them and given
 * back to them, windows returned.  Every answer is compared with the model's first
 * fit; every summary of the tree is recomputed from the bitmap page by page
 * after every operation on small pools, periodically on large ones, and at
 * the end.  Pool sizes are not multiples of 64 or 1024, in both modes.
 *
 * usage: ppc_core_diff [-q] [SEED]	(-q: a quarter of the operations)
 */
#include "ppc_core_test.h"

enum { ST_ALLOC, ST_FREE, ST_WIN };

struct run {
	unsigned long first;
	unsigned long n;
};

struct model {
	unsigned long npages;
	bool contiguous;
	unsigned char *st;	/* a page's state */
	long *owner;		/* a word's window owner, or -1 */
	unsigned long *wfree;	/* pages of an owned word free in its window */
	unsigned long nfree;	/* ST_FREE pages */
	unsigned long lowest;	/* no ST_FREE page below it */
	/*
	 * No run of 2^k or more ST_FREE pages starts below lb[k], and no word
	 * below wlb[n] holds a run of n: they spare the model rescanning the
	 * same fragmented prefix at every search.
	 */
	unsigned long lb[64];
	unsigned long wlb[65];
	struct run *runs;	/* allocated runs */
	unsigned long nruns;
	unsigned long *wins;	/* owned words */
	unsigned long nwins;
};

static struct ppc_bits bits;
static struct model m;
static unsigned long op_count, op_total;
static const char *op_name;

/* What the operations did, over all pools. */
enum { N_ALLOC, N_ALLOC_NONE, N_FREE, N_FREE_OWNED, N_FREE_RUNS, N_RANGE,
	N_TAKE, N_TAKE_NONE, N_RETURN, N_USE, N_INFO, N_CHECK, N_KINDS };
static const char * const n_names[N_KINDS] = {
	"alloc", "alloc_none", "free", "free_in_window", "free_runs",
	"check_range", "take", "take_none", "return", "use_window",
	"owner_info", "full_check",
};

static unsigned long n_ops[N_KINDS];

#define FAIL(fmt, ...)							\
	t_fail(__FILE__, __LINE__, "op %lu (%s): " fmt, op_count,	\
	       op_name, ##__VA_ARGS__)

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		perror("calloc");
		exit(2);
	}
	return p;
}

static void model_init(unsigned long npages, bool contiguous)
{
	unsigned long nwords = (npages + 63) / 64, w;

	m.npages = npages;
	m.contiguous = contiguous;
	m.st = xcalloc(npages, 1);
	memset(m.st, ST_FREE, npages);
	m.owner = xcalloc(nwords, sizeof(*m.owner));
	for (w = 0; w < nwords; w++)
		m.owner[w] = -1;
	m.wfree = xcalloc(nwords, sizeof(*m.wfree));
	m.runs = xcalloc(npages, sizeof(*m.runs));
	m.wins = xcalloc(nwords, sizeof(*m.wins));
	m.nfree = npages;
	m.lowest = 0;
	memset(m.lb, 0, sizeof(m.lb));
	memset(m.wlb, 0, sizeof(m.wlb));
	m.nruns = 0;
	m.nwins = 0;
}

static void model_fini(void)
{
	free(m.st);
	free(m.owner);
	free(m.wfree);
	free(m.runs);
	free(m.wins);
}

static void model_set(unsigned long first, unsigned long n, unsigned char st)
{
	unsigned long p;

	for (p = first; p < first + n; p++) {
		m.nfree -= m.st[p] == ST_FREE;
		m.st[p] = st;
		m.nfree += st == ST_FREE;
	}
	if (st != ST_FREE)
		return;
	/*
	 * A new run holds a freed page, and unless a run as long ended just
	 * before it (then the bound is below that run already), it starts
	 * less than its length before it.
	 */
	m.lowest = min(m.lowest, first);
	for (p = 0; p < 64; p++)
		m.lb[p] = min(m.lb[p], first >= (1UL << p) - 1 ?
			      first - ((1UL << p) - 1) : 0);
	for (p = 1; p <= 64; p++)
		m.wlb[p] = min(m.wlb[p], first / 64);
}

/* The first ST_FREE page at or after @p, or npages; memchr is quick. */
static unsigned long model_next_free(unsigned long p)
{
	const unsigned char *q;
	unsigned long end = min(p + 32, m.npages);

	/* Most gaps are short: a call costs more than a few compares. */
	for (; p < end; p++)
		if (m.st[p] == ST_FREE)
			return p;
	if (p >= m.npages)
		return m.npages;
	q = memchr(m.st + p, ST_FREE, m.npages - p);
	return q ? (unsigned long)(q - m.st) : m.npages;
}

static unsigned long model_first_fit(unsigned long n)
{
	unsigned int k = BITS_PER_LONG - 1 - __builtin_clzl(n), j;
	unsigned long p, end;

	if (n > m.nfree)
		return PPC_NONE;
	m.lowest = model_next_free(m.lowest);
	p = max(m.lb[k], m.lowest);
	for (p = model_next_free(p); p < m.npages; p = model_next_free(end)) {
		/* The run from p, cut at a chunk boundary where it must be. */
		for (end = p; end < m.npages && m.st[end] == ST_FREE; end++) {
			if (!m.contiguous && end > p && !(end % PPC_CHUNK_PAGES))
				break;
			if (end + 1 - p == n)
				goto found;
		}
	}
	p = PPC_NONE;
found:
	/* No run of n or more pages starts before p. */
	for (j = k + (n != 1UL << k); j < 64; j++)
		m.lb[j] = max(m.lb[j], min(p, m.npages));
	return p;
}

/* Whether a word has a run of @n ST_FREE pages. */
static bool model_word_fits(unsigned long w, unsigned int n)
{
	unsigned long p, run = 0;

	for (p = w * 64; p < (w + 1) * 64 && p < m.npages; p++) {
		run = m.st[p] == ST_FREE ? run + 1 : 0;
		if (run == n)
			return true;
	}
	return false;
}

/* The mask of a word's ST_FREE pages. */
static unsigned long model_word_free(unsigned long w)
{
	unsigned long mask = 0, p;

	for (p = w * 64; p < (w + 1) * 64 && p < m.npages; p++)
		if (m.st[p] == ST_FREE)
			mask |= 1UL << (p % 64);
	return mask;
}

static bool model_allocated(unsigned long first, unsigned long n)
{
	unsigned long p;

	if (!n || first >= m.npages || n > m.npages - first)
		return false;
	for (p = first; p < first + n; p++)
		if (m.st[p] != ST_ALLOC || m.owner[p / 64] >= 0)
			return false;
	return true;
}

static void add_run(unsigned long first, unsigned long n)
{
	m.runs[m.nruns].first = first;
	m.runs[m.nruns].n = n;
	m.nruns++;
}

static void drop_run(unsigned long i)
{
	m.runs[i] = m.runs[--m.nruns];
}

/* ---- Operations ----------------------------------------------------------- */

static unsigned long rnd_size(void)
{
	unsigned long lim = m.npages, r;

	/* Up to the whole pool, rarely: such requests mostly fail. */
	r = rnd_below(64);
	if (!r)
		return 1 + rnd_below(lim);
	if (r < 8)
		return 1 + rnd_below(min(lim, 1100UL));
	if (r < 16)
		return 1 + rnd_below(min(lim, 130UL));
	return 1 + rnd_below(min(lim, 16UL));
}

static void op_alloc(void)
{
	unsigned long n = rnd_size(), want, got;

	op_name = "alloc";
	want = model_first_fit(n);
	got = ppc_bits_alloc(&bits, n);
	if (got != want) {
		FAIL("alloc(%lu) = %ld, want %ld", n, (long)got, (long)want);
		return;
	}
	n_ops[got == PPC_NONE ? N_ALLOC_NONE : N_ALLOC]++;
	if (got == PPC_NONE)
		return;
	model_set(got, n, ST_ALLOC);
	add_run(got, n);
}

/* All of a run, or a part of it at its start, end or middle. */
static void op_free(void)
{
	unsigned long i, first, n, a, k;
	struct run r;
	bool want;

	op_name = "free";
	if (!m.nruns)
		return;
	i = rnd_below(m.nruns);
	r = m.runs[i];
	first = r.first;
	n = r.n;
	switch (rnd_below(4)) {
	case 0:
		break;
	case 1:
		n = 1 + rnd_below(r.n);
		break;
	case 2:
		n = 1 + rnd_below(r.n);
		first = r.first + r.n - n;
		break;
	default:
		first = r.first + rnd_below(r.n);
		n = 1 + rnd_below(r.first + r.n - first);
		break;
	}
	want = model_allocated(first, n);
	if (ppc_bits_allocated(&bits, first, n) != want) {
		FAIL("allocated(%lu, %lu) != %d", first, n, want);
		return;
	}
	/* Pages in an owned word: the module frees them another way. */
	n_ops[want ? N_FREE : N_FREE_OWNED]++;
	if (!want)
		return;
	ppc_bits_free(&bits, first, n);
	model_set(first, n, ST_FREE);
	drop_run(i);
	a = first - r.first;
	k = r.first + r.n - (first + n);
	if (a)
		add_run(r.first, a);
	if (k)
		add_run(first + n, k);
}

/*
 * Up to 20 ranges in one ppc_bits_free_runs(), as the module frees a batch:
 * parts of held runs, often several in one chunk.  The model is updated
 * range by range; the bitmap and the tree at once.
 */
static void op_free_runs(void)
{
	struct ppc_run fr[20];
	unsigned long i, first, n;
	unsigned int k, nfr = 0;
	struct run r;

	op_name = "free_runs";
	for (k = 1 + rnd_below(ARRAY_SIZE(fr)); k && m.nruns; k--) {
		i = rnd_below(m.nruns);
		r = m.runs[i];
		n = 1 + rnd_below(r.n);
		first = r.first + rnd_below(r.n - n + 1);
		if (!model_allocated(first, n))
			continue;	/* pages of an owned word */
		fr[nfr++] = (struct ppc_run){ first, n };
		model_set(first, n, ST_FREE);
		drop_run(i);
		if (first > r.first)
			add_run(r.first, first - r.first);
		if (first + n < r.first + r.n)
			add_run(first + n, r.first + r.n - (first + n));
	}
	if (!nfr)
		return;
	n_ops[N_FREE_RUNS]++;
	ppc_bits_free_runs(&bits, fr, nfr);
}

/* Ranges that are mostly not allocated: free pages, windows, the end. */
static void op_check_range(void)
{
	unsigned long first, n;

	op_name = "check_range";
	switch (rnd_below(4)) {
	case 0:
		first = rnd_below(m.npages + 70);
		n = rnd_below(200);
		break;
	case 1:
		if (!m.nruns)
			return;
		first = m.runs[rnd_below(m.nruns)].first;
		n = m.runs[rnd_below(m.nruns)].n + rnd_below(3);
		if (rnd_below(2) && first) {
			first--;
			n++;
		}
		break;
	case 2:
		first = m.npages - 1 - rnd_below(min(m.npages, 80UL));
		n = 1 + rnd_below(100);
		break;
	default:
		first = rnd_below(m.npages);
		n = 1 + rnd_below(m.npages - first);
		break;
	}
	n_ops[N_RANGE]++;
	if (ppc_bits_allocated(&bits, first, n) != model_allocated(first, n))
		FAIL("allocated(%lu, %lu) != %d", first, n,
		     model_allocated(first, n));
}

static void op_take(void)
{
	unsigned int n = 1 + rnd_below(rnd_below(4) ? 16 : 64);
	unsigned int owner = rnd_below(4096);
	unsigned long w, want = PPC_NONE, got, free = 0, mask;

	unsigned long nchunks = (m.npages + PPC_CHUNK_PAGES - 1) / PPC_CHUNK_PAGES;
	unsigned long cs = 0, ce = ~0UL, wend = (m.npages + 63) / 64;
	/* Half the time confined to some chunks, as a NUMA node's refill. */
	bool in = rnd_below(2);

	op_name = in ? "take_window_in" : "take_window";
	if (in) {
		cs = rnd_below(nchunks + 1);
		ce = rnd_below(4) ? cs + rnd_below(nchunks + 2 - cs) :
			 cs + 1 + rnd_below(3);
		if (!rnd_below(8))
			ce = ~0UL;
		wend = min(wend, ce * PPC_CHUNK_WORDS);
		if (ce > nchunks)
			wend = (m.npages + 63) / 64;
	}
	m.lowest = model_next_free(m.lowest);
	for (w = max(max(m.lowest / 64, m.wlb[n]), cs * PPC_CHUNK_WORDS);
	     w < wend; w = max(w + 1, model_next_free((w + 1) * 64) / 64)) {
		if (m.owner[w] >= 0)
			continue;
		if (model_word_fits(w, n)) {
			want = w;
			break;
		}
	}
	if (!in)
		m.wlb[n] = want == PPC_NONE ? (m.npages + 63) / 64 : want;
	got = in ? ppc_bits_take_window_in(&bits, n, owner, &free, cs, ce) :
		   ppc_bits_take_window(&bits, n, owner, &free);
	if (got != want) {
		FAIL("%s(%u, [%lu, %lu)) = %ld, want %ld", op_name, n, cs,
		     ce, (long)got, (long)want);
		return;
	}
	n_ops[got == PPC_NONE ? N_TAKE_NONE : N_TAKE]++;
	if (got == PPC_NONE)
		return;
	mask = model_word_free(w);
	if (free != mask)
		FAIL("take_window(%u) free %#lx, want %#lx", n, free, mask);
	model_set(w * 64, min(64UL, m.npages - w * 64), ST_WIN);
	/* Its allocated pages stay allocated: restore them. */
	for (got = w * 64; got < (w + 1) * 64 && got < m.npages; got++)
		if (!(mask >> (got % 64) & 1))
			m.st[got] = ST_ALLOC;
	m.owner[w] = owner;
	m.wfree[w] = mask;
	m.wins[m.nwins++] = w;
}

/* The owner hands out pages of its window, or takes some back. */
static void op_use_window(void)
{
	unsigned long w, i, p, bit, k;

	op_name = "use_window";
	if (!m.nwins)
		return;
	w = m.wins[rnd_below(m.nwins)];
	n_ops[N_USE]++;
	if (rnd_below(3)) {
		/* Hand out a run of pages free in the cache. */
		if (!m.wfree[w])
			return;
		bit = rnd_below(64);
		while (!(m.wfree[w] >> bit & 1))
			bit = (bit + 1) % 64;
		for (k = 0; bit + k < 64 && (m.wfree[w] >> (bit + k) & 1) &&
		     k < 1 + rnd_below(8); k++) {
			m.wfree[w] &= ~(1UL << (bit + k));
			m.st[w * 64 + bit + k] = ST_ALLOC;
		}
		add_run(w * 64 + bit, k);
		return;
	}
	/* A run inside the word comes back to the cache. */
	for (i = 0; i < m.nruns; i++) {
		p = m.runs[i].first;
		if (p / 64 == w && (p + m.runs[i].n - 1) / 64 == w)
			break;
	}
	if (i == m.nruns)
		return;
	for (p = m.runs[i].first; p < m.runs[i].first + m.runs[i].n; p++) {
		m.st[p] = ST_WIN;
		m.wfree[w] |= 1UL << (p % 64);
	}
	drop_run(i);
}

static void op_return(void)
{
	unsigned long i, w, p, mask;

	op_name = "return_window";
	if (!m.nwins)
		return;
	i = rnd_below(m.nwins);
	w = m.wins[i];
	m.wins[i] = m.wins[--m.nwins];
	n_ops[N_RETURN]++;
	if (ppc_bits_owner(&bits, w) != m.owner[w])
		FAIL("owner(%lu) = %ld, want %ld", w, ppc_bits_owner(&bits, w),
		     m.owner[w]);
	/* Pages past the end of the last word are never freed. */
	mask = m.wfree[w];
	if ((w + 1) * 64 > m.npages && rnd_below(2))
		mask |= ~0UL << (m.npages % 64);
	ppc_bits_return_window(&bits, w, mask);
	for (p = w * 64; p < (w + 1) * 64 && p < m.npages; p++)
		if (m.st[p] == ST_WIN)
			m.st[p] = ST_ALLOC;
	for (p = 0; p < 64; p++)
		if (m.wfree[w] >> p & 1)
			model_set(w * 64 + p, 1, ST_FREE);
	m.owner[w] = -1;
	m.wfree[w] = 0;
}

static void op_owner_and_info(void)
{
	unsigned long w = rnd_below((m.npages + 63) / 64 + 2);
	unsigned long c = rnd_below(bits.nchunks + 1), p, nf = 0, run = 0;
	unsigned int got_nf, got_longest, longest = 0;
	long want;

	op_name = "owner_and_info";
	n_ops[N_INFO]++;
	if (ppc_bits_owner(&bits, w) !=
	    (w < (m.npages + 63) / 64 ? m.owner[w] : -1))
		FAIL("owner(%lu) = %ld", w, ppc_bits_owner(&bits, w));
	p = rnd_below(m.npages);
	want = m.owner[p / 64] >= 0 ? m.owner[p / 64] :
	       m.st[p] == ST_FREE ? PPC_PAGE_FREE : PPC_PAGE_ALLOCATED;
	if (ppc_bits_page(&bits, p) != want)
		FAIL("page(%lu) = %ld, want %ld", p, ppc_bits_page(&bits, p),
		     want);
	ppc_bits_chunk_info(&bits, c, &got_nf, &got_longest);
	for (p = c * PPC_CHUNK_PAGES;
	     p < (c + 1) * PPC_CHUNK_PAGES && p < m.npages; p++) {
		nf += m.st[p] == ST_FREE;
		run = m.st[p] == ST_FREE ? run + 1 : 0;
		longest = max_t(unsigned int, longest, run);
	}
	if (got_nf != nf || got_longest != longest)
		FAIL("chunk_info(%lu) = %u %u, want %lu %u", c, got_nf,
		     got_longest, nf, longest);
}

/* The bitmap agrees with the model page by page, and the tree with both. */
static void full_check(void)
{
	unsigned char *f = ref_free_map(&bits);
	unsigned long p;

	op_name = "full_check";
	n_ops[N_CHECK]++;
	for (p = 0; p < m.npages; p++)
		if (f[p] != !!(m.st[p] == ST_FREE)) {
			FAIL("page %lu: free %d, model state %d", p, f[p],
			     m.st[p]);
			break;
		}
	free(f);
	if (ref_check_tree(&bits))
		FAIL("tree");
}

/* ---- Runs ----------------------------------------------------------------- */

struct config {
	unsigned long npages;
	bool contiguous;
	unsigned long ops;
	unsigned long check_every;	/* full check period, after... */
	unsigned long check_all;	/* ...a check after each of these */
	unsigned int take_weight;	/* window traffic, of 100 */
};

static void run_config(const struct config *c)
{
	unsigned long checks = t_checks_failed, r;

	CHECK_EQ(ppc_bits_init(&bits, c->npages, c->contiguous), 0);
	model_init(c->npages, c->contiguous);
	for (op_count = 0; op_count < c->ops; op_count++) {
		r = rnd_below(100);
		if (r < c->take_weight / 2) {
			op_take();
		} else if (r < c->take_weight) {
			op_return();
		} else {
			r = rnd_below(100);
			if (r < 10)
				op_use_window();
			else if (r < 45)
				op_alloc();
			else if (r < 75)
				op_free();
			else if (r < 85)
				op_free_runs();
			else if (r < 95)
				op_check_range();
			else
				op_owner_and_info();
		}
		if (bits.nfree != m.nfree)
			FAIL("nfree %lu, want %lu", bits.nfree, m.nfree);
		if (op_count < c->check_all ||
		    !((op_count + 1) % c->check_every))
			full_check();
		/* The first failure is the one to read. */
		if (t_checks_failed != checks)
			break;
	}
	full_check();
	op_total += op_count;
	ppc_bits_fini(&bits);
	model_fini();
}

static struct config cfg;

static void test_config(void)
{
	run_config(&cfg);
}

int main(int argc, char **argv)
{
	static const unsigned long edge[] = {
		1, 2, 63, 64, 65, 1023, 1024, 1025, 2047, 2049, 3001, 4097,
	};
	static const unsigned long medium[] = { 20000, 65537, 100001 };
	unsigned long scale = 4, seed = 0x5eed, i;
	double t0 = t_now();
	char name[128];
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-q"))
			scale = 1;
		else
			seed = strtoul(argv[a], NULL, 0);
	}
	rng_state = seed * 2654435761UL + 1;
	printf("TAP version 13\n# seed %#lx\n", seed);

	/*
	 * Small pools, both modes: a full check after each of the first 2000
	 * operations, then every 16.
	 */
	for (i = 0; i < 48; i++) {
		cfg.npages = i < 2 * ARRAY_SIZE(edge) ? edge[i / 2] :
			     1 + rnd_below(5000);
		cfg.contiguous = i % 2;
		cfg.ops = 7500 * scale;
		cfg.check_all = 2000;
		cfg.check_every = 16;
		cfg.take_weight = i % 4 < 2 ? 20 : 40;
		snprintf(name, sizeof(name), "small npages=%lu contiguous=%d",
			 cfg.npages, cfg.contiguous);
		t_run(name, test_config);
	}
	/* Two and three levels. */
	for (i = 0; i < 6; i++) {
		cfg.npages = medium[i / 2] + rnd_below(64);
		cfg.contiguous = i % 2;
		cfg.ops = 25000 * scale;
		cfg.check_all = 0;
		cfg.check_every = 1000;
		cfg.take_weight = i < 2 ? 40 : 10;
		snprintf(name, sizeof(name), "medium npages=%lu contiguous=%d",
			 cfg.npages, cfg.contiguous);
		t_run(name, test_config);
	}
	/* Wide levels: runs straddling the entries of every level. */
	for (i = 0; i < 2; i++) {
		cfg.npages = 4194305 - 1000 * rnd_below(100);
		cfg.contiguous = !i;
		cfg.ops = 8000 * scale;
		cfg.check_all = 0;
		cfg.check_every = 4000 * scale;
		cfg.take_weight = 10;
		snprintf(name, sizeof(name), "large npages=%lu contiguous=%d",
			 cfg.npages, cfg.contiguous);
		t_run(name, test_config);
	}
	printf("# %lu operations in %.1f s:", op_total, t_now() - t0);
	for (i = 0; i < N_KINDS; i++)
		printf(" %s %lu", n_names[i], n_ops[i]);
	printf("\n");
	return t_done("ppc_core_diff");
}

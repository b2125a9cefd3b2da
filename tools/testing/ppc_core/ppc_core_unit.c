// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of ppc_core: every helper against its page-by-page reference,
 * then the interface on hand-made layouts and at edge sizes, and free runs
 * across the boundaries of every level of the tree, where each allocation
 * is checked against a first fit over a flat bitmap.
 *
 * usage: ppc_core_unit [-q]	(-q skips the 64 TiB pool)
 */
#include "ppc_core_test.h"

static bool quick;

/* ---- Words ---------------------------------------------------------------- */

static void test_word_find(void)
{
	unsigned long free;
	unsigned int i, n;

	CHECK_EQ(ppc_word_find(0, 1), 64);
	CHECK_EQ(ppc_word_find(~0UL, 64), 0);
	CHECK_EQ(ppc_word_find(~0UL >> 1, 64), 64);
	CHECK_EQ(ppc_word_find(1UL << 63, 1), 63);
	for (i = 0; i < 20000; i++) {
		free = ~rnd_word();
		for (n = 1; n <= 64; n++)
			CHECK(ppc_word_find(free, n) == ref_word_find(free, n),
			      "free %#lx n %u: %u, want %u", free, n,
			      ppc_word_find(free, n), ref_word_find(free, n));
	}
}

static void test_word_longest(void)
{
	unsigned int len, at, i;
	unsigned long x;

	CHECK_EQ(ppc_word_longest(0), 64);
	CHECK_EQ(ppc_word_longest(~0UL), 0);
	/* One run of every length at every place. */
	for (len = 1; len < 64; len++)
		for (at = 0; at + len <= 64; at++) {
			x = ~(ppc_mask(len) << at);
			CHECK(ppc_word_longest(x) == len, "x %#lx: %u", x,
			      ppc_word_longest(x));
		}
	for (i = 0; i < 200000; i++) {
		x = rnd_word();
		CHECK(ppc_word_longest(x) == ref_word_longest(x),
		      "x %#lx: %u, want %u", x, ppc_word_longest(x),
		      ref_word_longest(x));
	}
}

static void test_range_set_clear(void)
{
	unsigned long w[8], ref[8], first, n, p;
	unsigned int i;

	for (i = 0; i < 20000; i++) {
		first = rnd_below(512);
		n = 1 + rnd_below(512 - first);
		for (p = 0; p < 8; p++) {
			w[p] = rnd();
			ref[p] = w[p];
		}
		if (i & 1) {
			ppc_range_set(w, first, n);
			for (p = first; p < first + n; p++)
				ref[p / 64] |= 1UL << (p % 64);
		} else {
			ppc_range_clear(w, first, n);
			for (p = first; p < first + n; p++)
				ref[p / 64] &= ~(1UL << (p % 64));
		}
		CHECK(!memcmp(w, ref, sizeof(w)), "first %lu n %lu", first, n);
	}
}

/* ---- Summaries ------------------------------------------------------------ */

static void test_pack(void)
{
	struct ppc_sum s, t;
	unsigned long top;
	unsigned int l, i;
	u64 v;

	for (l = 0; l < PPC_NARROW; l++) {
		top = 1UL << ppc_shift(l);
		for (i = 0; i < 10000; i++) {
			s.start = i ? rnd_below(top + 1) : top;
			s.max = i ? rnd_below(top + 1) : top;
			s.end = i ? rnd_below(top + 1) : top;
			s.wmax = i ? rnd_below(65) : 64;
			v = ppc_pack(l, &s);
			ppc_unpack(l, v, &t);
			CHECK(!memcmp(&s, &t, sizeof(s)), "level %u", l);
			/* Level 0's owned bits are above every count. */
			if (!l)
				CHECK(!(v >> PPC_OWNED_SHIFT), "%#llx", v);
		}
	}
	CHECK_EQ(ppc_pack(0, &(struct ppc_sum){ 0 }), 0);
}

static void test_set_keeps_owned(void)
{
	struct ppc_bits b;
	struct ppc_sum s, t;
	unsigned int l;

	CHECK_EQ(ppc_bits_init(&b, 4096, true), 0);
	b.sums[1] |= 0xa5a5ULL << PPC_OWNED_SHIFT;
	s = (struct ppc_sum){ 3, 4, 5, 4 };
	CHECK(ppc_set(&b, 0, 1, &s), "changed");
	CHECK(!ppc_set(&b, 0, 1, &s), "unchanged");
	CHECK_EQ(ppc_owned(&b, 1), 0xa5a5);
	b.sums[1] &= PPC_SUM_MASK;
	ppc_chunk_summarize(&b, 1, &s);
	ppc_set(&b, 0, 1, &s);
	CHECK_EQ(ref_check_tree(&b), 0);
	ppc_bits_fini(&b);

	/* Above level 0, every bit is the summary's: wmax reaches bit 57. */
	CHECK_EQ(ppc_bits_init(&b, 1UL << 20, true), 0);
	for (l = 0; l < PPC_NARROW; l++) {
		s = (struct ppc_sum){ 1, 64, 1, 64 };
		ppc_set(&b, l, 0, &s);
		s = (struct ppc_sum){ 0 };
		ppc_set(&b, l, 0, &s);
		ppc_get(&b, l, 0, &t);
		CHECK(!t.start && !t.max && !t.end && !t.wmax,
		      "level %u: (%lu %lu %lu %lu)", l, t.start, t.max, t.end,
		      t.wmax);
	}
	ppc_bits_fini(&b);
}

static void test_merge(void)
{
	struct ppc_sum kids[8], out;
	const unsigned long p = 1024;
	unsigned int i;

	/* All free: the counts add up. */
	for (i = 0; i < 8; i++)
		kids[i] = ppc_sum_free;
	ppc_merge(&out, kids, p, true);
	CHECK(out.start == 8 * p && out.max == 8 * p && out.end == 8 * p &&
	      out.wmax == 64, "(%lu %lu %lu %lu)", out.start, out.max,
	      out.end, out.wmax);
	/* Not contiguous: nothing joins. */
	ppc_merge(&out, kids, p, false);
	CHECK(out.start == p && out.max == p && out.end == p, "(%lu %lu %lu)",
	      out.start, out.max, out.end);

	/* A run straddling kids 2 and 3 is the longest. */
	memset(kids, 0, sizeof(kids));
	kids[0] = (struct ppc_sum){ 10, 10, 0, 10 };
	kids[2] = (struct ppc_sum){ 0, 30, 100, 64 };
	kids[3] = (struct ppc_sum){ 200, 200, 1, 64 };
	kids[7] = (struct ppc_sum){ 0, 5, 5, 5 };
	ppc_merge(&out, kids, p, true);
	CHECK(out.start == 10 && out.max == 300 && out.end == 5 &&
	      out.wmax == 64, "(%lu %lu %lu %lu)", out.start, out.max,
	      out.end, out.wmax);
	ppc_merge(&out, kids, p, false);
	CHECK(out.start == 10 && out.max == 200 && out.end == 5,
	      "(%lu %lu %lu)", out.start, out.max, out.end);

	/* Free kids at the start and end extend start and end. */
	for (i = 0; i < 8; i++)
		kids[i] = (struct ppc_sum){ 0 };
	kids[0] = ppc_sum_free;
	kids[1] = ppc_sum_free;
	kids[2] = (struct ppc_sum){ 7, 9, 3, 9 };
	kids[5] = (struct ppc_sum){ 1, 1, 1, 1 };
	kids[6] = ppc_sum_free;
	kids[7] = ppc_sum_free;
	ppc_merge(&out, kids, p, true);
	CHECK(out.start == 2 * p + 7 && out.max == 2 * p + 7 &&
	      out.end == 2 * p + 1, "(%lu %lu %lu)", out.start, out.max,
	      out.end);
	/* A run crossing 8 full kids: the end carries over free kids. */
	for (i = 0; i < 8; i++)
		kids[i] = (struct ppc_sum){ 4, 4, 4, 4 };
	kids[3] = ppc_sum_free;
	kids[4] = ppc_sum_free;
	ppc_merge(&out, kids, p, true);
	CHECK(out.max == 2 * p + 8 && out.wmax == 64, "(%lu %lu)", out.max,
	      out.wmax);
}

static void fill_chunk(struct ppc_bits *b, unsigned long c)
{
	unsigned int i;

	for (i = 0; i < PPC_CHUNK_WORDS; i++)
		b->words[c * PPC_CHUNK_WORDS + i] = rnd_word();
	b->sums[c] &= PPC_SUM_MASK;
	if (rnd_below(2))
		b->sums[c] |= (rnd() & 0xffff) << PPC_OWNED_SHIFT;
}

static void test_chunk_summarize(void)
{
	struct ppc_sum got, want;
	unsigned char *f;
	struct ppc_bits b;
	unsigned int i;

	CHECK_EQ(ppc_bits_init(&b, PPC_CHUNK_PAGES, true), 0);
	for (i = 0; i < 30000; i++) {
		fill_chunk(&b, 0);
		ppc_chunk_summarize(&b, 0, &got);
		f = ref_free_map(&b);
		ref_sum(f, PPC_CHUNK_PAGES, 0, PPC_CHUNK_PAGES, true, &want);
		free(f);
		CHECK(!memcmp(&got, &want, sizeof(got)),
		      "(%lu %lu %lu %lu), want (%lu %lu %lu %lu)", got.start,
		      got.max, got.end, got.wmax, want.start, want.max,
		      want.end, want.wmax);
	}
	ppc_bits_fini(&b);
}

static void test_chunk_find(void)
{
	unsigned long n, got, want, ff, ffwant, p;
	unsigned int i, from, w;
	unsigned char *f;
	struct ppc_bits b;
	bool window;

	CHECK_EQ(ppc_bits_init(&b, PPC_CHUNK_PAGES, true), 0);
	for (i = 0; i < 100000; i++) {
		fill_chunk(&b, 0);
		f = ref_free_map(&b);
		window = rnd_below(3) == 0;
		n = window || rnd_below(2) ? 1 + rnd_below(64) :
		    1 + rnd_below(PPC_CHUNK_PAGES);
		from = rnd_below(4) ? 0 : rnd_below(PPC_CHUNK_WORDS);
		/* The caller promises no free page below word @from. */
		for (p = 0; p < from * 64UL; p++)
			f[p] = 0;
		if (window) {
			want = PPC_NONE;
			for (w = from; w < PPC_CHUNK_WORDS; w++)
				if (ref_first_fit(f + w * 64, 64, n, true, 0) !=
				    PPC_NONE) {
					want = w;
					break;
				}
		} else {
			want = ref_first_fit(f, PPC_CHUNK_PAGES, n, true, 0);
		}
		ffwant = ref_first_fit(f, PPC_CHUNK_PAGES, 1, true, 0);
		ff = 0;
		got = ppc_chunk_find(&b, 0, n, window, from, &ff);
		CHECK(got == want, "window %d n %lu from %u: %ld, want %ld",
		      window, n, from, (long)got, (long)want);
		if (ffwant != PPC_NONE)
			CHECK(ff == ffwant, "ff %lu, want %lu", ff, ffwant);
		free(f);
	}
	ppc_bits_fini(&b);
}

/* ---- The interface at edge sizes ------------------------------------------ */

static const unsigned long edge_sizes[] = {
	1, 2, 63, 64, 65, 127, 1023, 1024, 1025, 2047, 8191, 8192, 8193,
	65535, 65536, 65537, 524287, 524288, 524289, 4194303, 4194305,
};

static void check_edge(unsigned long npages, bool contiguous)
{
	unsigned long first, w, free, lastw = (npages - 1) / 64;
	unsigned int nf, longest;
	struct ppc_bits b;

	CHECK_EQ(ppc_bits_init(&b, npages, contiguous), 0);
	CHECK_EQ(ppc_bits_nfree(&b), npages);
	CHECK_EQ(ref_check_tree(&b), 0);
	CHECK(!ppc_bits_allocated(&b, 0, 1), "free page allocated");
	CHECK(!ppc_bits_allocated(&b, npages, 1), "past the end");
	CHECK(!ppc_bits_allocated(&b, 0, 0), "empty range");
	CHECK_EQ(ppc_bits_alloc(&b, 0), PPC_NONE);
	CHECK_EQ(ppc_bits_alloc(&b, npages + 1), PPC_NONE);
	CHECK_EQ(ppc_bits_owner(&b, lastw + 1), -1);

	/* The whole pool, where a run may span it. */
	first = ppc_bits_alloc(&b, npages);
	if (contiguous || npages <= PPC_CHUNK_PAGES) {
		CHECK_EQ(first, 0);
		CHECK_EQ(ppc_bits_nfree(&b), 0);
		CHECK(ppc_bits_allocated(&b, 0, npages), "all allocated");
		CHECK_EQ(ppc_bits_alloc(&b, 1), PPC_NONE);
		CHECK_EQ(ref_check_tree(&b), 0);
		ppc_bits_free(&b, 0, npages);
	} else {
		CHECK_EQ(first, PPC_NONE);
		first = ppc_bits_alloc(&b, PPC_CHUNK_PAGES);
		CHECK_EQ(first, 0);
		CHECK_EQ(ppc_bits_alloc(&b, PPC_CHUNK_PAGES + 1), PPC_NONE);
		ppc_bits_free(&b, 0, PPC_CHUNK_PAGES);
	}
	CHECK_EQ(ppc_bits_nfree(&b), npages);
	CHECK_EQ(ref_check_tree(&b), 0);

	/* Everything but the last page, then the last page alone. */
	if (npages > 1 && (contiguous || npages <= PPC_CHUNK_PAGES)) {
		CHECK_EQ(ppc_bits_alloc(&b, npages - 1), 0);
		CHECK_EQ(ppc_bits_alloc(&b, 2), PPC_NONE);
		CHECK_EQ(ppc_bits_alloc(&b, 1), npages - 1);
		CHECK(ppc_bits_allocated(&b, npages - 1, 1), "last page");
		ppc_bits_free(&b, npages - 1, 1);
		ppc_bits_free(&b, 0, npages - 1);
		CHECK_EQ(ref_check_tree(&b), 0);
	}

	/* The last word as a window: pages past the end are not in it. */
	for (w = 0; w < lastw; w++)
		CHECK_EQ(ppc_bits_take_window(&b, 1, 7, &free), w);
	CHECK_EQ(ppc_bits_take_window(&b, 1, 9, &free), lastw);
	CHECK_EQ(free, npages % 64 ? ppc_mask(npages % 64) : ~0UL);
	CHECK_EQ(ppc_bits_nfree(&b), 0);
	CHECK_EQ(ppc_bits_owner(&b, lastw), 9);
	CHECK_EQ(ppc_bits_take_window(&b, 1, 9, &free), PPC_NONE);
	CHECK_EQ(ppc_bits_alloc(&b, 1), PPC_NONE);
	CHECK_EQ(ref_check_tree(&b), 0);
	ppc_bits_return_window(&b, lastw, ~0UL);
	CHECK_EQ(ppc_bits_owner(&b, lastw), -1);
	CHECK_EQ(ppc_bits_nfree(&b), npages - lastw * 64);
	for (w = 0; w < lastw; w++) {
		CHECK_EQ(ppc_bits_owner(&b, w), 7);
		ppc_bits_return_window(&b, w, ~0UL);
	}
	CHECK_EQ(ppc_bits_nfree(&b), npages);
	ppc_bits_chunk_info(&b, b.nchunks - 1, &nf, &longest);
	CHECK_EQ(nf, npages - (b.nchunks - 1) * PPC_CHUNK_PAGES);
	CHECK_EQ(longest, nf);
	ppc_bits_chunk_info(&b, b.nchunks, &nf, &longest);
	CHECK_EQ(nf, 0);
	CHECK_EQ(ref_check_tree(&b), 0);
	ppc_bits_fini(&b);
}

static void test_edge_sizes(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(edge_sizes); i++) {
		/* Windows one by one over 4M pages would take too long. */
		if (edge_sizes[i] > 600000)
			continue;
		check_edge(edge_sizes[i], true);
		check_edge(edge_sizes[i], false);
	}
}

static void test_levels(void)
{
	static const struct { unsigned long npages; unsigned int top; } t[] = {
		{ 2, 0 }, { 8192, 0 }, { 8193, 1 }, { 65536, 1 }, { 65537, 2 },
		{ 524288, 2 }, { 524289, 3 }, { 4194305, 4 },
		{ 1UL << 28, 5 },
	};
	struct ppc_bits b;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		if (quick && t[i].npages > 1UL << 28)
			continue;
		CHECK_EQ(ppc_bits_init(&b, t[i].npages, true), 0);
		CHECK(b.top == t[i].top, "%lu pages: top %u, want %u",
		      t[i].npages, b.top, t[i].top);
		if (t[i].npages <= 4194305)
			CHECK_EQ(ref_check_tree(&b), 0);
		CHECK_EQ(ppc_bits_alloc(&b, 1), 0);
		CHECK_EQ(ppc_bits_alloc(&b, t[i].npages - 1), 1);
		CHECK_EQ(ppc_bits_nfree(&b), 0);
		ppc_bits_free(&b, 1, t[i].npages - 1);
		CHECK_EQ(ppc_bits_alloc(&b, t[i].npages - 1), 1);
		ppc_bits_fini(&b);
	}
}

static void test_init_errors(void)
{
	struct ppc_bits b;
	unsigned int i;

	CHECK_EQ(ppc_bits_init(&b, 0, true), -EINVAL);
	CHECK_EQ(ppc_bits_init(&b, PPC_MAX_PAGES + 1, true), -EINVAL);
	ppc_bits_fini(&b);
	/* Each of the allocations failing; a leak shows under ASan. */
	for (i = 1; i <= 3; i++) {
		ppc_host_fail_alloc = i;
		CHECK_EQ(ppc_bits_init(&b, 5UL << 20, true), -ENOMEM);
		CHECK(!b.words && !b.sums && !b.wide, "fini after failure");
		ppc_bits_fini(&b);
	}
	ppc_host_fail_alloc = 0;
}

/* 64 TiB, the largest pool: 2 GiB of bitmap on the host. */
static void test_max_pool(void)
{
	unsigned long free, n = PPC_MAX_PAGES;
	struct ppc_bits b;

	if (quick)
		return;
	CHECK_EQ(ppc_bits_init(&b, n, true), 0);
	CHECK_EQ(b.top, 7);
	CHECK_EQ(ppc_bits_alloc(&b, 3), 0);
	CHECK_EQ(ppc_bits_take_window(&b, 64, 1, &free), 1);
	CHECK_EQ(ppc_bits_alloc(&b, n - 128), 128);
	CHECK_EQ(ppc_bits_nfree(&b), 61);
	CHECK_EQ(ppc_bits_alloc(&b, 62), PPC_NONE);
	CHECK_EQ(ppc_bits_alloc(&b, 61), 3);
	ppc_bits_free(&b, n - 1, 1);
	CHECK_EQ(ppc_bits_alloc(&b, 1), n - 1);
	ppc_bits_free(&b, 128, n - 128);
	CHECK_EQ(ppc_bits_alloc(&b, n - 128), 128);
	ppc_bits_fini(&b);
	CHECK_EQ(ppc_bits_init(&b, n, false), 0);
	CHECK_EQ(ppc_bits_alloc(&b, PPC_CHUNK_PAGES + 1), PPC_NONE);
	CHECK_EQ(ppc_bits_alloc(&b, PPC_CHUNK_PAGES), 0);
	ppc_bits_fini(&b);
}

/* ---- The interface on made-up layouts ------------------------------------- */

/* Allocate everything, then free the given [first, n) ranges. */
static void layout(struct ppc_bits *b, unsigned long npages, bool contiguous,
		   const unsigned long *r, unsigned int nr)
{
	unsigned int i;

	CHECK_EQ(ppc_bits_init(b, npages, contiguous), 0);
	if (contiguous)
		CHECK_EQ(ppc_bits_alloc(b, npages), 0);
	else
		while (ppc_bits_alloc(b, 1) != PPC_NONE)
			;
	for (i = 0; i < nr; i++)
		ppc_bits_free(b, r[2 * i], r[2 * i + 1]);
	CHECK_EQ(ref_check_tree(b), 0);
}

/*
 * ppc_bits_free_runs(): a batch's ranges, several in one chunk, one across
 * two chunks and one across four (whose middle chunks become free at
 * once), more chunks than it keeps waiting, and an adjacent pair.
 */
static void test_free_runs(void)
{
	static const struct ppc_run fr[] = {
		{ 5, 1 }, { 7, 3 }, { 700, 2 }, { 6, 1 },
		{ PPC_CHUNK_PAGES - 2, 4 },
		{ 3 * PPC_CHUNK_PAGES - 1, 2 * PPC_CHUNK_PAGES + 2 },
		{ 100 * PPC_CHUNK_PAGES, 1 }, { 100 * PPC_CHUNK_PAGES + 1, 1 },
	};
	unsigned long npages = 160 * PPC_CHUNK_PAGES, c;
	struct ppc_run many[40];
	struct ppc_bits b;
	unsigned int i;

	CHECK_EQ(ppc_bits_init(&b, npages, true), 0);
	CHECK_EQ(ppc_bits_alloc(&b, npages), 0);
	ppc_bits_free_runs(&b, fr, ARRAY_SIZE(fr));
	CHECK_EQ(ref_check_tree(&b), 0);
	CHECK_EQ(ppc_bits_nfree(&b), 1 + 3 + 2 + 1 + 4 +
		 2 * PPC_CHUNK_PAGES + 2 + 2);
	CHECK_EQ(ppc_bits_alloc(&b, 5), 5);
	CHECK_EQ(ppc_bits_alloc(&b, 2 * PPC_CHUNK_PAGES),
		 3 * PPC_CHUNK_PAGES - 1);
	CHECK_EQ(ppc_bits_alloc(&b, 4), PPC_CHUNK_PAGES - 2);
	CHECK_EQ(ppc_bits_alloc(&b, 2), 700);
	CHECK_EQ(ppc_bits_alloc(&b, 2), 5 * PPC_CHUNK_PAGES - 1);
	CHECK_EQ(ppc_bits_alloc(&b, 2), 100 * PPC_CHUNK_PAGES);
	CHECK_EQ(ref_check_tree(&b), 0);
	ppc_bits_fini(&b);

	/* 40 chunks, each twice: the waiting list fills and is emptied. */
	CHECK_EQ(ppc_bits_init(&b, npages, false), 0);
	while (ppc_bits_alloc(&b, 1) != PPC_NONE)
		;
	for (i = 0; i < ARRAY_SIZE(many); i++) {
		c = (i * 7) % 20 * 3;
		many[i] = (struct ppc_run){ c * PPC_CHUNK_PAGES + 10 * i, 1 };
	}
	ppc_bits_free_runs(&b, many, ARRAY_SIZE(many));
	CHECK_EQ(ref_check_tree(&b), 0);
	CHECK_EQ(ppc_bits_nfree(&b), ARRAY_SIZE(many));
	for (i = 0; i < ARRAY_SIZE(many); i++)
		CHECK(!ppc_bits_allocated(&b, many[i].first, 1),
		      "page %lu still allocated", many[i].first);
	ppc_bits_fini(&b);
}

/* Issue 11's cases, small: the searches end at the root. */
static void test_one_free_page_per_chunk(void)
{
	unsigned long r[2 * 64], free;
	struct ppc_bits b;
	unsigned int i;

	for (i = 0; i < 64; i++) {
		r[2 * i] = i * PPC_CHUNK_PAGES + 517;
		r[2 * i + 1] = 1;
	}
	layout(&b, 64 * PPC_CHUNK_PAGES, true, r, 64);
	CHECK_EQ(ppc_bits_alloc(&b, 2), PPC_NONE);
	CHECK_EQ(ppc_bits_take_window(&b, 2, 0, &free), PPC_NONE);
	CHECK_EQ(ppc_bits_alloc(&b, 1), 517);
	CHECK_EQ(ppc_bits_take_window(&b, 1, 3, &free), 16 + 8);
	CHECK_EQ(free, 1UL << 5);
	CHECK_EQ(ppc_bits_alloc(&b, 1), 2 * PPC_CHUNK_PAGES + 517);
	CHECK_EQ(ref_check_tree(&b), 0);
	ppc_bits_fini(&b);
}

static void test_straddling_runs(void)
{
	unsigned long r[2 * 64], free;
	struct ppc_bits b;
	unsigned int i;

	/* Free runs of 2 pages, each across a word boundary. */
	for (i = 0; i < 64; i++) {
		r[2 * i] = (16 + 9 * i) * 64 + 63;
		r[2 * i + 1] = 2;
	}
	layout(&b, 64 * PPC_CHUNK_PAGES, true, r, 64);
	CHECK_EQ(ppc_bits_take_window(&b, 2, 0, &free), PPC_NONE);
	CHECK_EQ(ppc_bits_alloc(&b, 3), PPC_NONE);
	CHECK_EQ(ppc_bits_alloc(&b, 2), r[0]);
	CHECK_EQ(ppc_bits_take_window(&b, 1, 0, &free), 16 + 9);
	CHECK_EQ(free, 1UL << 63);
	CHECK_EQ(ppc_bits_alloc(&b, 1), r[2] + 1);
	CHECK_EQ(ref_check_tree(&b), 0);
	ppc_bits_fini(&b);

	/* Across a chunk boundary: only where runs may cross chunks. */
	r[0] = 3 * PPC_CHUNK_PAGES - 5;
	r[1] = 10;
	r[2] = 7 * PPC_CHUNK_PAGES + 100;
	r[3] = 10;
	layout(&b, 8 * PPC_CHUNK_PAGES, true, r, 2);
	CHECK_EQ(ppc_bits_alloc(&b, 8), 3 * PPC_CHUNK_PAGES - 5);
	ppc_bits_fini(&b);
	layout(&b, 8 * PPC_CHUNK_PAGES, false, r, 2);
	CHECK_EQ(ppc_bits_alloc(&b, 8), 7 * PPC_CHUNK_PAGES + 100);
	CHECK_EQ(ppc_bits_alloc(&b, 5), 3 * PPC_CHUNK_PAGES - 5);
	CHECK_EQ(ppc_bits_alloc(&b, 5), 3 * PPC_CHUNK_PAGES);
	CHECK_EQ(ref_check_tree(&b), 0);
	ppc_bits_fini(&b);
}

/*
 * Runs that straddle entries of each level of a 5-level tree, so that the
 * level above finds them; and a fit one level down, below a longer run.
 */
static void test_straddle_levels(void)
{
	unsigned long r[6], n, base;
	struct ppc_bits b;
	unsigned int l;

	for (l = 0; l <= 3; l++) {
		base = 1UL << ppc_shift(l + 1);
		n = 1UL << ppc_shift(l);
		/* n free pages across entries 4 and 5 of level l... */
		r[0] = base + 5 * n - n / 2;
		r[1] = n;
		/* ...and across entries 6 and 7 */
		r[2] = base + 7 * n - n / 4;
		r[3] = n;
		/* ...and a shorter one inside entry 2, found first for 64. */
		r[4] = base + 2 * n + 1;
		r[5] = 64;
		layout(&b, 1UL << 23, true, r, 3);
		CHECK_EQ(ppc_bits_alloc(&b, n), r[0]);
		CHECK_EQ(ppc_bits_alloc(&b, n), r[2]);
		CHECK_EQ(ppc_bits_alloc(&b, n), PPC_NONE);
		CHECK_EQ(ppc_bits_alloc(&b, 64), r[4]);
		CHECK_EQ(ref_check_tree(&b), 0);
		ppc_bits_fini(&b);
	}
}

/*
 * Issue 21's probe: 128 chunks allocated, then chunk 7 less its first page
 * and chunks 8 to 15 freed (and chunk 100, so that 9216 pages are free).
 * The first entry of level 1 ends with 1023 free pages, one short of a
 * chunk: a merge that took it for a free chunk would find 9216 pages from
 * page 7168, which is allocated.
 */
static void test_end_one_short(void)
{
	static const unsigned long r[] = {
		7 * PPC_CHUNK_PAGES + 1, PPC_CHUNK_PAGES - 1,
		8 * PPC_CHUNK_PAGES, 8 * PPC_CHUNK_PAGES,
		100 * PPC_CHUNK_PAGES, PPC_CHUNK_PAGES,
	};
	struct ppc_bits b;

	layout(&b, 128 * PPC_CHUNK_PAGES, true, r, 3);
	CHECK_EQ(ppc_bits_alloc(&b, 9 * PPC_CHUNK_PAGES), PPC_NONE);
	CHECK_EQ(ppc_bits_alloc(&b, 9 * PPC_CHUNK_PAGES - 1),
		 7 * PPC_CHUNK_PAGES + 1);
	CHECK_EQ(ppc_bits_alloc(&b, PPC_CHUNK_PAGES), 100 * PPC_CHUNK_PAGES);
	CHECK_EQ(ppc_bits_nfree(&b), 0);
	CHECK_EQ(ref_check_tree(&b), 0);
	ppc_bits_fini(&b);
}

static void test_windows(void)
{
	unsigned long free, r[6];
	unsigned int nf, longest;
	struct ppc_bits b;

	r[0] = 64 + 10;			/* word 1: pages 10-12 */
	r[1] = 3;
	r[2] = 128 + 60;		/* words 2-3: 60-63 and 0-3 */
	r[3] = 8;
	r[4] = 5 * 64;			/* word 5: all */
	r[5] = 64;
	layout(&b, 4000, true, r, 3);
	CHECK_EQ(ppc_bits_take_window(&b, 4, 11, &free), 2);
	CHECK_EQ(free, 0xfUL << 60);
	CHECK_EQ(ppc_bits_owner(&b, 2), 11);
	CHECK_EQ(ppc_bits_nfree(&b), 3 + 4 + 64);
	/* Owned: not allocated to a free, full to searches. */
	CHECK(!ppc_bits_allocated(&b, 128, 1), "owned word");
	CHECK(ppc_bits_allocated(&b, 0, 64), "word 0");
	CHECK(!ppc_bits_allocated(&b, 0, 75), "free page 74");
	CHECK_EQ(ppc_bits_alloc(&b, 4), 3 * 64);
	CHECK_EQ(ppc_bits_take_window(&b, 64, 12, &free), 5);
	CHECK_EQ(free, ~0UL);
	CHECK_EQ(ppc_bits_take_window(&b, 1, 13, &free), 1);
	CHECK_EQ(free, 7UL << 10);
	CHECK_EQ(ppc_bits_nfree(&b), 0);
	ppc_bits_chunk_info(&b, 0, &nf, &longest);
	CHECK(nf == 0 && longest == 0, "%u %u", nf, longest);
	CHECK_EQ(ref_check_tree(&b), 0);
	/* Back with some pages handed out from them. */
	ppc_bits_return_window(&b, 2, 0x3UL << 60);
	CHECK(ppc_bits_allocated(&b, 128 + 62, 2), "handed out");
	CHECK(!ppc_bits_allocated(&b, 128 + 61, 2), "given back");
	ppc_bits_return_window(&b, 5, ~0UL << 32);
	ppc_bits_return_window(&b, 1, 0);
	CHECK_EQ(ppc_bits_nfree(&b), 2 + 32);
	CHECK_EQ(ppc_bits_alloc(&b, 2), 128 + 60);
	CHECK_EQ(ppc_bits_take_window(&b, 33, 1, &free), PPC_NONE);
	CHECK_EQ(ppc_bits_take_window(&b, 32, 1, &free), 5);
	CHECK_EQ(ref_check_tree(&b), 0);
	ppc_bits_fini(&b);
}

static void test_hint(void)
{
	struct ppc_bits b;
	unsigned long i;

	CHECK_EQ(ppc_bits_init(&b, 100000, true), 0);
	for (i = 0; i < 100000; i++)
		CHECK_EQ(ppc_bits_alloc(&b, 1), i);
	CHECK_EQ(b.hint, 100000);
	CHECK_EQ(ppc_bits_alloc(&b, 1), PPC_NONE);
	ppc_bits_free(&b, 70000, 3);
	ppc_bits_free(&b, 99999, 1);
	CHECK_EQ(b.hint, 70000);
	CHECK_EQ(ppc_bits_alloc(&b, 2), 70000);
	CHECK_EQ(ppc_bits_alloc(&b, 2), PPC_NONE);
	CHECK_EQ(ref_check_tree(&b), 0);
	CHECK_EQ(ppc_bits_alloc(&b, 1), 70002);
	CHECK_EQ(ppc_bits_alloc(&b, 1), 99999);
	CHECK_EQ(b.hint, 100000);
	ppc_bits_fini(&b);
}

/*
 * A window search confined to chunks [cs, ce), as a NUMA node's refill
 * does: only words of those chunks, the lowest first, found through the
 * tree however far the range lies from the hint and from the pool's start,
 * and nothing once the range has no fit even while other chunks do.
 */
static void test_take_window_in(void)
{
	/* Five levels: chunk ranges that end inside blocks of every level. */
	const unsigned long npages = 9000 * PPC_CHUNK_PAGES + 100;
	static const unsigned long starts[] = {
		0, 7, 8, 63, 64, 511, 512, 4095, 4096, 8999, 9000,
	};
	unsigned long free, w, c, cs, ce, i, hint;
	struct ppc_bits b;

	CHECK_EQ(ppc_bits_init(&b, npages, false), 0);
	CHECK_EQ(b.top, 4);
	/* An empty or inverted range, or one past the end: nothing. */
	CHECK_EQ(ppc_bits_take_window_in(&b, 1, 1, &free, 5, 5), PPC_NONE);
	CHECK_EQ(ppc_bits_take_window_in(&b, 1, 1, &free, 6, 5), PPC_NONE);
	CHECK_EQ(ppc_bits_take_window_in(&b, 1, 1, &free, 9001, ~0UL),
		 PPC_NONE);
	CHECK_EQ(ppc_bits_take_window_in(&b, 0, 1, &free, 0, 1), PPC_NONE);
	CHECK_EQ(ppc_bits_take_window_in(&b, 65, 1, &free, 0, 1), PPC_NONE);
	CHECK_EQ(ppc_bits_nfree(&b), npages);

	/* The first word of the range, and the next: at block edges. */
	for (i = 0; i < ARRAY_SIZE(starts); i++) {
		cs = starts[i];
		w = ppc_bits_take_window_in(&b, 64, 3, &free, cs, cs + 3);
		CHECK_EQ(w, cs * 16);
		CHECK_EQ(free, ~0UL);
		CHECK_EQ(ppc_bits_owner(&b, w), 3);
		CHECK_EQ(ppc_bits_take_window_in(&b, 1, 4, &free, cs, cs + 1),
			 cs * 16 + 1);
		CHECK_EQ(free, cs == 9000 ? ppc_mask(36) : ~0UL);
	}
	CHECK_EQ(ref_check_tree(&b), 0);
	/* The last chunk has two words: both taken, nothing is left there. */
	CHECK_EQ(ppc_bits_take_window_in(&b, 1, 4, &free, 9000, 9001),
		 PPC_NONE);
	CHECK_EQ(ppc_bits_take_window_in(&b, 1, 4, &free, 8999, ~0UL),
		 8999 * 16 + 2);
	CHECK_EQ(b.hint, 128);
	ppc_bits_fini(&b);

	/*
	 * Every page allocated but one word in chunk c: found from any start
	 * at or below c and any end above it, and from nowhere else, while an
	 * unconfined search finds it too.
	 */
	CHECK_EQ(ppc_bits_init(&b, npages, true), 0);
	CHECK_EQ(ppc_bits_alloc(&b, npages), 0);
	hint = npages;
	for (i = 0; i < 40; i++) {
		c = rnd_below(9001);
		w = c * 16 + rnd_below(c == 9000 ? 2 : 16);
		ppc_bits_free(&b, w * 64 + 7, 3);
		cs = rnd_below(c + 1);
		ce = c + 1 + rnd_below(9001 - c);
		CHECK_EQ(ppc_bits_take_window_in(&b, 4, 1, &free, c + 1, ~0UL),
			 PPC_NONE);
		CHECK_EQ(ppc_bits_take_window_in(&b, 1, 1, &free, 0, c),
			 PPC_NONE);
		CHECK_EQ(ppc_bits_take_window_in(&b, 4, 1, &free, cs, ce),
			 PPC_NONE);
		CHECK_EQ(ppc_bits_take_window_in(&b, 3, 1, &free, cs, ce), w);
		CHECK_EQ(free, 7UL << 7);
		CHECK_EQ(ppc_bits_nfree(&b), 0);
		ppc_bits_return_window(&b, w, 0);
		CHECK_EQ(ppc_bits_nfree(&b), 0);
		/* Past the word taken, or lower still from before. */
		hint = min(hint, (w + 1) * 64);
		CHECK_EQ(b.hint, hint);
	}
	CHECK_EQ(ref_check_tree(&b), 0);
	ppc_bits_fini(&b);
}

/* ---- Runs across the entries of every level ------------------------------- */

/*
 * The reference of the directed tests below: the pool as a flat bitmap, one
 * bit a page, set when the page is free, kept by the test on its own.  No
 * page below @low is free.
 */
struct flat {
	unsigned long *map;
	unsigned long npages;
	unsigned long low;
	bool contiguous;
};

static void flat_set(struct flat *fl, unsigned long first, unsigned long n,
		     bool free)
{
	unsigned long p = first, end = first + n;

	if (free)
		fl->low = min(fl->low, first);
	while (p < end) {
		if (!(p % 64) && end - p >= 64) {
			fl->map[p / 64] = free ? ~0UL : 0;
			p += 64;
			continue;
		}
		if (free)
			fl->map[p / 64] |= 1UL << (p % 64);
		else
			fl->map[p / 64] &= ~(1UL << (p % 64));
		p++;
	}
}

/* The first page at or after @p that is @free (or not), or npages. */
static unsigned long flat_next(const struct flat *fl, unsigned long p,
			       bool free)
{
	unsigned long x;

	for (; p < fl->npages; p = (p / 64 + 1) * 64) {
		x = free ? fl->map[p / 64] : ~fl->map[p / 64];
		x &= ~0UL << (p % 64);
		if (x)
			return min(p / 64 * 64 + __builtin_ctzl(x), fl->npages);
	}
	return fl->npages;
}

/*
 * The end of the free run from page @p: where a page is not free, or
 * without contiguous, the end of @p's chunk.
 */
static unsigned long flat_run_end(const struct flat *fl, unsigned long p)
{
	unsigned long end = flat_next(fl, p, false);

	if (!fl->contiguous)
		end = min(end, (p / PPC_CHUNK_PAGES + 1) * PPC_CHUNK_PAGES);
	return end;
}

/* The lowest run of @n free pages: each run in turn, from the first. */
static unsigned long flat_first_fit(const struct flat *fl, unsigned long n)
{
	unsigned long p, end;

	for (p = flat_next(fl, fl->low, true); p < fl->npages;
	     p = flat_next(fl, end, true)) {
		end = flat_run_end(fl, p);
		if (end - p >= n)
			return p;
	}
	return PPC_NONE;
}

/* Whether pages [first, first + n) lie in the pool and are all free. */
static bool flat_all_free(const struct flat *fl, unsigned long first,
			  unsigned long n)
{
	if (first >= fl->npages || n > fl->npages - first)
		return false;
	return flat_next(fl, first, false) >= first + n;
}

/*
 * One case of straddle_block: a block of 8 sibling entries of level
 * @level from page @group on, in a pool of @npages pages.
 */
struct straddle_case {
	unsigned long npages;
	unsigned int level;
	unsigned long group;
	bool contiguous;
};

static struct straddle_case straddle;
static unsigned long straddle_layouts, straddle_allocs;

/*
 * An allocation of @n pages from the bits, the same one in the flat map:
 * the first fit, of pages all free.
 */
static bool straddle_alloc(struct ppc_bits *b, struct flat *fl,
			   unsigned long n, unsigned long *at)
{
	unsigned long got, want;
	bool free;

	straddle_allocs++;
	got = ppc_bits_alloc(b, n);
	want = flat_first_fit(fl, n);
	*at = got;
	free = got == PPC_NONE || flat_all_free(fl, got, n);
	if (got == want && free)
		return true;
	t_fail(__FILE__, __LINE__,
	       "level %u group %lu contiguous %d: alloc(%lu) = %ld, want %ld%s",
	       straddle.level, straddle.group, straddle.contiguous, n,
	       (long)got, (long)want, free ? "" : ", pages not free");
	return false;
}

/*
 * With every page allocated: free [first, first + n) less page @hole if it
 * lies inside, a run across page @bound.  Allocate the lengths around those
 * of the run, of its pieces and of its two sides of @bound, each freed
 * again; then a page at its start and the rest of that piece; then every
 * page left, run by run.  Returns false at the first wrong answer.
 */
static bool straddle_run(struct ppc_bits *b, struct flat *fl,
			 unsigned long first, unsigned long n,
			 unsigned long bound, unsigned long hole)
{
	unsigned long q[10], len[2], lo = first, hi = first + n, at, p, end;
	unsigned int i, nq = 0;

	straddle_layouts++;
	/* The last layout left no page free. */
	CHECK_EQ(flat_next(fl, 0, true), fl->npages);
	fl->low = fl->npages;
	/* The lower piece [lo, hole) and the upper one [hole + 1, hi). */
	if (hole < lo || hole >= hi)
		hole = hi;
	len[0] = hole - lo;
	len[1] = hole < hi ? hi - hole - 1 : 0;
	if (len[0]) {
		ppc_bits_free(b, lo, len[0]);
		flat_set(fl, lo, len[0], true);
	}
	if (len[1]) {
		ppc_bits_free(b, hole + 1, len[1]);
		flat_set(fl, hole + 1, len[1], true);
	}
	/* Every summary, page by page, in one layout of 8 of a small pool. */
	if (fl->npages <= 1UL << 15 && !(straddle_layouts % 8) &&
	    ref_check_tree(b))
		return false;

	q[nq++] = 1;
	q[nq++] = n;
	q[nq++] = n + 1;
	q[nq++] = len[0];
	q[nq++] = len[0] + 1;
	q[nq++] = len[1];
	q[nq++] = len[1] + 1;
	q[nq++] = bound - lo;
	q[nq++] = hi - bound;
	q[nq++] = hi - bound + 1;
	for (i = 0; i < nq; i++) {
		if (!q[i])
			continue;
		if (!straddle_alloc(b, fl, q[i], &at))
			return false;
		if (at != PPC_NONE)
			ppc_bits_free(b, at, q[i]);
	}

	/* A page off the start of the lower piece shifts every summary. */
	n = len[0] ? len[0] : len[1];
	if (!straddle_alloc(b, fl, 1, &at))
		return false;
	flat_set(fl, at, 1, false);
	if (n > 1) {
		if (!straddle_alloc(b, fl, n - 1, &at))
			return false;
		flat_set(fl, at, n - 1, false);
	}

	/* The rest: each run left is the first fit of its length. */
	for (p = flat_next(fl, lo, true); p < hi; p = flat_next(fl, end, true)) {
		end = flat_run_end(fl, p);
		if (!straddle_alloc(b, fl, end - p, &at))
			return false;
		flat_set(fl, at, end - p, false);
	}
	CHECK_EQ(ppc_bits_nfree(b), 0);
	return !t_checks_failed;
}

/*
 * How far a free run reaches from a boundary: k entries and d pages, k
 * EDGE standing for the edge of the block of siblings.  Runs of a page or
 * two, one page short of an entry, a whole one, and one page past it, so
 * that start, end and max come out as 0, 1, 2, p - 2, p - 1, p and p + 1
 * in the summaries the run crosses, at every level above.
 */
#define EDGE	100
static const int straddle_reach[][2] = {
	{ 0, 0 }, { 0, 1 }, { 0, 2 }, { 1, -2 }, { 1, -1 }, { 1, 0 },
	{ 1, 1 }, { 2, -1 }, { 2, 1 }, { EDGE, -1 }, { EDGE, 0 }, { EDGE, 1 },
};

/*
 * The pages of reach @r from a boundary @k entries of @p pages from the
 * edge of its block, or PPC_NONE.
 */
static unsigned long straddle_pages(unsigned int r, long k, long p)
{
	long e = straddle_reach[r][0], d = straddle_reach[r][1];

	if (e == EDGE) {
		/* At the edge already: the same runs as { 0, d }. */
		if (!k)
			return PPC_NONE;
		e = k;
	}
	if (e * p + d < 0)
		return PPC_NONE;
	return e * p + d;
}

/*
 * Free runs across the boundaries after the first, the seventh and the
 * last entry of the block (the last one is a boundary of the level above),
 * of every reach on each side, whole or less the page just before or just
 * after the boundary.
 */
static void test_straddle_case(void)
{
	static const unsigned int bounds[] = { 1, 7, 8 };
	const struct straddle_case *sc = &straddle;
	unsigned long p = 1UL << ppc_shift(sc->level), bound, a, c, hole;
	unsigned int i, j, k, h;
	struct ppc_bits b;
	struct flat fl;
	bool ok = true;

	fl.npages = sc->npages;
	fl.contiguous = sc->contiguous;
	fl.map = calloc((sc->npages + 63) / 64, sizeof(*fl.map));
	if (!fl.map) {
		perror("calloc");
		exit(2);
	}
	CHECK_EQ(ppc_bits_init(&b, sc->npages, sc->contiguous), 0);
	/* Every page allocated: runs cross no chunk without contiguous. */
	for (a = 0; a < sc->npages; a += c) {
		c = sc->contiguous ? sc->npages :
		    min(sc->npages - a, (unsigned long)PPC_CHUNK_PAGES);
		CHECK_EQ(ppc_bits_alloc(&b, c), a);
	}
	CHECK_EQ(ppc_bits_nfree(&b), 0);

	for (i = 0; ok && i < ARRAY_SIZE(bounds); i++) {
		bound = sc->group + bounds[i] * p;
		if (bound >= sc->npages)
			continue;
		for (j = 0; ok && j < ARRAY_SIZE(straddle_reach); j++) {
			a = straddle_pages(j, bounds[i], p);
			if (a > bound)
				continue;
			for (k = 0; ok && k < ARRAY_SIZE(straddle_reach); k++) {
				c = straddle_pages(k, 8 - bounds[i], p);
				if ((!a && !c) || c > sc->npages - bound)
					continue;
				/* Whole, less a page before, less one after. */
				for (h = 0; ok && h < 3; h++) {
					hole = h ? bound + h - 2 : PPC_NONE;
					ok = straddle_run(&b, &fl, bound - a,
							  a + c, bound, hole);
				}
			}
		}
	}
	ppc_bits_fini(&b);
	free(fl.map);
}

/*
 * A block of each level under the root, its last boundary one between
 * entries of the root (in trees of 2, 3, 4 and 5 levels, the root of the
 * last one a wide level), and blocks of levels 0 and 1 deep in the tree
 * of 4 levels, whose last boundaries are those of levels 2 and 3.
 */
static const struct straddle_case straddle_cases[] = {
	{ 3 * 8192 + 1500, 0, 8192, true },
	{ 3 * 8192 + 1500, 0, 8192, false },
	{ 3 * 65536 + 12000, 1, 65536, true },
	{ 3 * 65536 + 12000, 1, 65536, false },
	{ 3 * 524288 + 100000, 0, 524288 + 5 * 65536 + 7 * 8192, true },
	{ 3 * 524288 + 100000, 1, 2 * 524288 + 3 * 65536, true },
	{ 3 * 524288 + 100000, 2, 524288, true },
	{ 4194304 + 1572864 + 5, 3, 0, true },
};

int main(int argc, char **argv)
{
	unsigned int i;
	char name[128];

	quick = argc > 1 && !strcmp(argv[1], "-q");
	printf("TAP version 13\n");
	t_run("word_find", test_word_find);
	t_run("word_longest", test_word_longest);
	t_run("range_set_clear", test_range_set_clear);
	t_run("pack", test_pack);
	t_run("set_keeps_owned", test_set_keeps_owned);
	t_run("merge", test_merge);
	t_run("chunk_summarize", test_chunk_summarize);
	t_run("chunk_find", test_chunk_find);
	t_run("edge_sizes", test_edge_sizes);
	t_run("levels", test_levels);
	t_run("init_errors", test_init_errors);
	t_run("max_pool", test_max_pool);
	t_run("free_runs", test_free_runs);
	t_run("one_free_page_per_chunk", test_one_free_page_per_chunk);
	t_run("straddling_runs", test_straddling_runs);
	t_run("straddle_levels", test_straddle_levels);
	t_run("end_one_short", test_end_one_short);
	for (i = 0; i < ARRAY_SIZE(straddle_cases); i++) {
		straddle = straddle_cases[i];
		snprintf(name, sizeof(name),
			 "straddle_block level=%u first=%lu npages=%lu contiguous=%d",
			 straddle.level, straddle.group, straddle.npages,
			 straddle.contiguous);
		t_run(name, test_straddle_case);
	}
	printf("# straddle_block: %lu runs, %lu allocations\n",
	       straddle_layouts, straddle_allocs);
	t_run("windows", test_windows);
	t_run("take_window_in", test_take_window_in);
	t_run("hint", test_hint);
	return t_done("ppc_core_unit");
}

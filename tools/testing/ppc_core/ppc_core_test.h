/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the host tests of ppc_core share: TAP-style reporting, a PRNG, and
 * page-by-page reference versions of everything the summary tree computes,
 * written the obvious way so that they share no code with ppc_core.c.
 *
 * Each program includes the files of ppc_core themselves (as
 * tools/testing/vma includes mm/vma.c), so that it can test the static
 * helpers too.
 */
#ifndef _PPC_CORE_TEST_H
#define _PPC_CORE_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../../ppc_core.c"
#include "../../../ppc_core_claim.c"
#include "../../../ppc_core_window.c"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

unsigned long ppc_host_warnings;
unsigned long ppc_host_fail_alloc;

/* ---- Reporting ------------------------------------------------------------ */

static unsigned int t_num, t_passed, t_failed;
static unsigned long t_checks_failed;

/* At most a few lines a test: a broken invariant repeats itself. */
static void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (t_checks_failed++ >= 10)
		return;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define CHECK(cond, fmt, ...) do {					\
	if (!(cond))							\
		t_fail(__FILE__, __LINE__, "%s: " fmt, #cond,		\
		       ##__VA_ARGS__);					\
} while (0)

#define CHECK_EQ(a, b) do {						\
	unsigned long long _a = (a), _b = (b);				\
	if (_a != _b)							\
		t_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu",	\
		       #a, #b, _a, _b);					\
} while (0)

static inline void t_run(const char *name, void (*fn)(void))
{
	unsigned long warnings = ppc_host_warnings;

	t_checks_failed = 0;
	fn();
	if (ppc_host_warnings != warnings)
		t_fail(__FILE__, __LINE__, "%lu warnings",
		       ppc_host_warnings - warnings);
	t_num++;
	if (t_checks_failed) {
		t_failed++;
		printf("not ok %u %s\n", t_num, name);
	} else {
		t_passed++;
		printf("ok %u %s\n", t_num, name);
	}
	fflush(stdout);
}

static inline int t_done(const char *prog)
{
	printf("1..%u\n", t_num);
	printf("# %s\n", prog);
	printf("%u passed, %u failed\n", t_passed, t_failed);
	return t_failed ? 1 : 0;
}

static inline double t_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- PRNG (xorshift64*) --------------------------------------------------- */

static u64 rng_state = 0x5eed5eed5eedULL;

static inline u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static inline unsigned long rnd_below(unsigned long n)
{
	return n ? rnd() % n : 0;
}

/* A word of set bits with one of several densities and shapes. */
static inline unsigned long rnd_word(void)
{
	unsigned long x, len, at;

	switch (rnd_below(9)) {
	case 0:
		return 0;
	case 1:
		return ~0UL;
	case 2:
		return rnd() & rnd() & rnd();
	case 3:
		return rnd() | rnd() | rnd();
	case 4:
		return rnd() & rnd();
	case 5:
		return rnd() | rnd();
	case 6:
		/* One free run of random length and place. */
		len = 1 + rnd_below(64);
		at = rnd_below(65 - len);
		return ~(ppc_mask(len) << at);
	case 7:
		/* Free runs only at the edges. */
		x = ~0UL;
		len = rnd_below(64);
		if (len)
			x &= ~ppc_mask(len);
		len = rnd_below(64 - len);
		if (len)
			x &= ~(ppc_mask(len) << (64 - len));
		return x;
	default:
		return rnd();
	}
}

/* ---- Reference versions --------------------------------------------------- */

static inline unsigned int ref_word_find(unsigned long free, unsigned int n)
{
	unsigned int i, k;

	for (i = 0; i + n <= 64; i++) {
		for (k = 0; k < n && (free >> (i + k) & 1); k++)
			;
		if (k == n)
			return i;
	}
	return 64;
}

static inline unsigned int ref_word_longest(unsigned long x)
{
	unsigned int i, run = 0, best = 0;

	for (i = 0; i < 64; i++) {
		run = x >> i & 1 ? 0 : run + 1;
		best = run > best ? run : best;
	}
	return best;
}

/* Page states as ppc_core's searches see them: 1 = free. */
static unsigned char *ref_free_map(const struct ppc_bits *b)
{
	unsigned long n = b->nchunks * PPC_CHUNK_PAGES, p, w;
	unsigned char *f = malloc(n ? n : 1);
	unsigned int owned = 0;

	if (!f) {
		perror("malloc");
		exit(2);
	}
	for (p = 0; p < n; p++) {
		w = p / 64;
		if (!(w % PPC_CHUNK_WORDS))
			owned = b->sums[w / PPC_CHUNK_WORDS] >> PPC_OWNED_SHIFT;
		f[p] = !(owned >> (w % PPC_CHUNK_WORDS) & 1) &&
		       !(b->words[w] >> (p % 64) & 1);
	}
	return f;
}

/*
 * The summary of pages [p0, p0 + len) of @f (@limit pages exist; the rest
 * are not free).  Without @contiguous, runs break at chunk boundaries, and
 * start and end are those of the first and last chunk.
 */
static void ref_sum(const unsigned char *f, unsigned long limit,
		    unsigned long p0, unsigned long len, bool contiguous,
		    struct ppc_sum *s)
{
	unsigned long p, run = 0, wrun = 0;
	bool at_start = true;

	memset(s, 0, sizeof(*s));
	for (p = p0; p < p0 + len; p++) {
		bool fr = p < limit && f[p];

		if (!contiguous && p != p0 && !(p % PPC_CHUNK_PAGES)) {
			at_start = false;
			run = 0;
		}
		if (!(p % 64))
			wrun = 0;
		if (fr) {
			run++;
			wrun++;
			if (at_start)
				s->start++;
		} else {
			run = 0;
			wrun = 0;
			at_start = false;
		}
		s->max = run > s->max ? run : s->max;
		s->wmax = wrun > s->wmax ? wrun : s->wmax;
	}
	s->end = run;
}

/*
 * Check every summary of the tree, the free count and the hint against the
 * bitmap, page by page.  Returns the number of mismatches (each reported).
 */
/*
 * Entry @e of level @l against the summary of free map @f (pages below
 * @limit): a mismatch is reported if it is the first of *@bad, and counted.
 */
static inline void ref_check_entry(const struct ppc_bits *b,
				   const unsigned char *f, unsigned long limit,
				   unsigned int l, unsigned long e,
				   unsigned long *bad)
{
	struct ppc_sum want, got;

	ref_sum(f, limit, e << ppc_shift(l), 1UL << ppc_shift(l),
		b->contiguous, &want);
	ppc_get(b, l, e, &got);
	if (memcmp(&want, &got, sizeof(want)) && !(*bad)++)
		t_fail(__FILE__, __LINE__,
		       "level %u entry %lu: (%lu %lu %lu %lu), want (%lu %lu %lu %lu)",
		       l, e, got.start, got.max, got.end, got.wmax,
		       want.start, want.max, want.end, want.wmax);
}

static inline unsigned long ref_check_tree(const struct ppc_bits *b)
{
	unsigned long limit = b->nchunks * PPC_CHUNK_PAGES, cnt, e, p, nfree = 0;
	unsigned char *f = ref_free_map(b);
	unsigned long bad = 0;
	unsigned int l;

	for (p = 0; p < limit; p++) {
		nfree += f[p];
		if (f[p] && p < b->hint && !bad++)
			t_fail(__FILE__, __LINE__, "page %lu free below hint %lu",
			       p, b->hint);
		if (f[p] && p >= b->npages && !bad++)
			t_fail(__FILE__, __LINE__, "page %lu past the end free", p);
	}
	if (nfree != b->nfree && !bad++)
		t_fail(__FILE__, __LINE__, "nfree %lu, bitmap has %lu",
		       b->nfree, nfree);
	for (l = 0, cnt = b->nchunks; l <= b->top; l++) {
		unsigned long pad = (cnt + 7) & ~7UL;

		for (e = 0; e < pad; e++)
			ref_check_entry(b, f, limit, l, e, &bad);
		cnt = (cnt + 7) / 8;
	}
	if (cnt > 1 && !bad++)
		t_fail(__FILE__, __LINE__, "%lu entries above the root", cnt);
	free(f);
	return bad;
}

/*
 * The lowest run of @n free pages (a run may not cross a chunk boundary
 * without @contiguous) in a page map, from page @from on, or PPC_NONE.
 */
static inline unsigned long ref_first_fit(const unsigned char *f,
					  unsigned long npages,
					  unsigned long n, bool contiguous,
					  unsigned long from)
{
	unsigned long p, run = 0;

	for (p = from; p < npages; p++) {
		if (!contiguous && !(p % PPC_CHUNK_PAGES))
			run = 0;
		run = f[p] ? run + 1 : 0;
		if (run == n)
			return p + 1 - n;
	}
	return PPC_NONE;
}

#endif /* _PPC_CORE_TEST_H */

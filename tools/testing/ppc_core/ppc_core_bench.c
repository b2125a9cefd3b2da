// SPDX-License-Identifier: GPL-2.0
/*
 * make bench-scale: the cost of ppc_core's operations against pool size,
 * on the host, metadata only (no memory behind the pages).
 *
 * Pools of 16 MiB, 1 GiB, 1 TiB and 16 TiB of 4 KiB pages, contiguous (a
 * reserved range: runs may cross chunks), each in these states:
 *
 *   0% 50% 90% 99%  allocated runs of 1 to 32 pages between free runs
 *                   sized for that fill; then alloc(1) and alloc(64), each
 *                   followed by frees of as many random allocated pages
 *                   (the fill stays), and window take(1) + return.  A free
 *                   is timed with its check, ppc_bits_allocated(), as the
 *                   module makes both under one lock.
 *   one-per-chunk   one free page in each chunk (issue 11): alloc(2) and
 *                   take(2) fail; alloc(1) + free, take(1) + return
 *   straddle        free pages only at both ends of every word, so free
 *                   runs of 2 only straddle words: take(2) fails,
 *                   alloc(2) + free
 *
 * Each state's operations run 3 times from a byte-identical snapshot, the
 * CPU caches flushed before each run by a 320 MiB write sweep, then the
 * code (not the pool) warmed on a separate small pool: a busy allocator
 * runs warm code over cold data.  A sample's cost is its minimum over the
 * 3 runs: the same operation on the same state, so what stays is what
 * happens every time (cache misses included) and what goes is a preemption
 * or an interrupt; the raw maximum is printed too.  Timed with rdtsc,
 * calibrated against CLOCK_MONOTONIC, the timer's own cost subtracted.
 *
 * usage: ppc_core_bench [-q] [-s INDEX] [DATAFILE]
 *   -q: 16 MiB and 1 GiB only; -s: one size (0-3) only
 */
#include "ppc_core_test.h"

#define REPLAYS		3
#define SWEEP_BYTES	(320UL << 20)

/* ---- Timing --------------------------------------------------------------- */

static double ns_per_tick;
static u64 tick_overhead;

static inline u64 ticks(void)
{
	unsigned int lo, hi;

	asm volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : :
		     "memory");
	return (u64)hi << 32 | lo;
}

static void calibrate(void)
{
	double t0 = t_now(), t1;
	u64 a = ticks(), b, min = ~0ULL;
	int i;

	do {
		t1 = t_now();
	} while (t1 - t0 < 0.1);
	b = ticks();
	ns_per_tick = (t1 - t0) * 1e9 / (b - a);
	for (i = 0; i < 100000; i++) {
		a = ticks();
		b = ticks();
		min = min(min, b - a);
	}
	tick_overhead = min;
}

/* ---- Samples -------------------------------------------------------------- */

struct series {
	const char *name;
	unsigned long n;	/* samples in this replay */
	unsigned long cap;
	u64 *best;		/* each sample's minimum over the replays */
	u64 raw_max;
};

enum {
	S_ALLOC1, S_FREE1, S_ALLOC64, S_FREE64, S_TAKE1, S_RETURN1,
	S_ALLOC2, S_FREE2, S_TAKE2, S_MAX
};

static const char * const series_names[S_MAX] = {
	"alloc(1)", "free", "alloc(64)", "free(after 64)", "take(1)",
	"return", "alloc(2)", "free(2)", "take(2)",
};

static struct series ser[S_MAX];
static unsigned long held[16];
static unsigned int nheld;

static void series_reset(unsigned long cap)
{
	unsigned int i;

	for (i = 0; i < S_MAX; i++) {
		free(ser[i].best);
		ser[i].name = series_names[i];
		ser[i].n = 0;
		ser[i].cap = cap;
		ser[i].best = malloc(cap * sizeof(u64));
		if (!ser[i].best) {
			perror("malloc");
			exit(2);
		}
		memset(ser[i].best, 0xff, cap * sizeof(u64));
		ser[i].raw_max = 0;
	}
}

static inline void rec(unsigned int s, u64 t0, u64 t1)
{
	struct series *x = &ser[s];
	u64 d = t1 - t0;

	d = d > tick_overhead ? d - tick_overhead : 0;
	if (x->n < x->cap)
		x->best[x->n] = min(x->best[x->n], d);
	x->n++;
	x->raw_max = max(x->raw_max, d);
}

/* @expr, timed and recorded as sample @s; the value of @expr. */
#define TIMED(s, expr) ({ \
	u64 t0_ = ticks(); \
	__typeof__(expr) v_ = (expr); \
	rec((s), t0_, ticks()); \
	v_; \
})
#define TIMED_VOID(s, expr) do { \
	u64 t0_ = ticks(); \
	expr; \
	rec((s), t0_, ticks()); \
} while (0)

static void replay_start(void)
{
	unsigned int i;

	for (i = 0; i < S_MAX; i++)
		ser[i].n = 0;
	nheld = 0;
}

/* ---- Pool states ---------------------------------------------------------- */

static struct ppc_bits bits;
static unsigned char *sweep;

/* Summaries, free count and hint from the bitmap, as init would. */
static void rebuild(struct ppc_bits *b)
{
	unsigned long c, e, cnt, w, nw = b->nchunks * PPC_CHUNK_WORDS;
	struct ppc_sum s;
	unsigned int l;

	b->nfree = 0;
	for (w = 0; w < nw; w++)
		b->nfree += hweight_long(~b->words[w]);
	for (c = 0; c < b->nchunks; c++) {
		b->sums[c] = 0;
		ppc_chunk_summarize(b, c, &s);
		ppc_set(b, 0, c, &s);
	}
	for (l = 1, cnt = b->nchunks; l <= b->top; l++) {
		cnt = (cnt + 7) / 8;
		for (e = 0; e < cnt; e++) {
			ppc_node_summarize(b, l, e, &s);
			ppc_set(b, l, e, &s);
		}
	}
	for (w = 0; w < nw && b->words[w] == ~0UL; w++)
		;
	b->hint = w < nw ? w * 64 + __ffs(~b->words[w]) : b->npages;
}

static void clear_tail(struct ppc_bits *b)
{
	unsigned long w = b->npages / 64;

	if (b->npages % 64)
		b->words[w++] |= ~ppc_mask(b->npages % 64);
	for (; w < b->nchunks * PPC_CHUNK_WORDS; w++)
		b->words[w] = ~0UL;
}

static double rnd_unit(void)
{
	return (rnd() >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * Allocated runs of 1-32 pages, each followed by a free run whose length
 * has the mean that gives @fill (randomly rounded, so it may be 0).
 */
static void fill_random(struct ppc_bits *b, double fill)
{
	double mean_free = fill > 0 ? 16.5 * (1 - fill) / fill : 0;
	unsigned long p = 0, a, f, n = b->npages;

	memset(b->words, 0, b->nchunks * PPC_CHUNK_WORDS * sizeof(long));
	if (fill > 0) {
		while (p < n) {
			a = min(1 + rnd_below(32), n - p);
			ppc_range_set(b->words, p, a);
			f = (unsigned long)(rnd_unit() * 2 * mean_free +
					    rnd_unit());
			p += a + f;
		}
	}
	clear_tail(b);
	rebuild(b);
}

static void fill_one_per_chunk(struct ppc_bits *b)
{
	unsigned long c, p;

	memset(b->words, 0xff, b->nchunks * PPC_CHUNK_WORDS * sizeof(long));
	for (c = 0; c < b->nchunks; c++) {
		p = c * PPC_CHUNK_PAGES + 1 + rnd_below(PPC_CHUNK_PAGES - 2);
		if (p < b->npages)
			b->words[p / 64] &= ~(1UL << (p % 64));
	}
	clear_tail(b);
	rebuild(b);
}

static void fill_straddle(struct ppc_bits *b)
{
	unsigned long w;

	for (w = 0; w < b->nchunks * PPC_CHUNK_WORDS; w++)
		b->words[w] = ~(1UL | 1UL << 63);
	clear_tail(b);
	rebuild(b);
}

/* ---- Snapshots ------------------------------------------------------------ */

static struct ppc_bits snap;	/* the state; its arrays are copies */
static size_t snap_words, snap_sums, snap_wide;

static void *xmemdup(const void *p, size_t n)
{
	void *q = n ? malloc(n) : NULL;

	if (n && !q) {
		perror("malloc");
		exit(2);
	}
	if (n)
		memcpy(q, p, n);
	return q;
}

static void snapshot_take(void)
{
	unsigned long nsums = 0, nwide = 0, cnt = bits.nchunks;
	unsigned int l;

	for (l = 0; l <= bits.top; l++) {
		if (l < PPC_NARROW)
			nsums += (cnt + 7) & ~7UL;
		else
			nwide += (cnt + 7) & ~7UL;
		cnt = (cnt + 7) / 8;
	}
	snap_words = bits.nchunks * PPC_CHUNK_WORDS * sizeof(long);
	snap_sums = nsums * sizeof(u64);
	snap_wide = nwide * sizeof(struct ppc_sum);
	snap = bits;
	snap.words = xmemdup(bits.words, snap_words);
	snap.sums = xmemdup(bits.sums, snap_sums);
	snap.wide = xmemdup(bits.wide, snap_wide);
}

static struct ppc_bits warm;

/*
 * The sweep below evicts the code too; a pool's metadata may be cold, but
 * an allocator in use runs warm code.  Warm it on a pool of its own, so the
 * measured pool's lines stay out of the caches.
 */
static void warm_up(void)
{
	unsigned long i, a, w, free;

	for (i = 0; i < 256; i++) {
		a = ppc_bits_alloc(&warm, 1 + i % 64);
		if (a != PPC_NONE && ppc_bits_allocated(&warm, a, 1 + i % 64))
			ppc_bits_free(&warm, a, 1 + i % 64);
		a = ppc_bits_alloc(&warm, 1);
		w = ppc_bits_take_window(&warm, 1 + i % 3, 0, &free);
		if (w != PPC_NONE)
			ppc_bits_return_window(&warm, w, free);
		if (a != PPC_NONE)
			ppc_bits_free(&warm, a, 1);
		(void)ticks();
	}
}

static void snapshot_restore(void)
{
	memcpy(bits.words, snap.words, snap_words);
	memcpy(bits.sums, snap.sums, snap_sums);
	if (snap_wide)
		memcpy(bits.wide, snap.wide, snap_wide);
	bits.nfree = snap.nfree;
	bits.hint = snap.hint;
	/* Out of the caches, as a long-running pool's metadata would be. */
	memset(sweep, rnd(), SWEEP_BYTES);
	warm_up();
}

static void snapshot_drop(void)
{
	free(snap.words);
	free(snap.sums);
	free(snap.wide);
}

/* ---- Workloads ------------------------------------------------------------ */

static unsigned long k_alloc1 = 20000, k_alloc64 = 4000, k_take = 4000;

/* A free as the module makes it: checked, then done, under one lock. */
static void timed_free(unsigned int s, unsigned long first, unsigned long n)
{
	u64 t0, t1;
	bool ok;

	t0 = ticks();
	ok = ppc_bits_allocated(&bits, first, n);
	if (ok)
		ppc_bits_free(&bits, first, n);
	t1 = ticks();
	rec(s, t0, t1);
	if (!ok) {
		fprintf(stderr, "bench: free of pages not allocated\n");
		exit(2);
	}
}

/*
 * Free about @n random allocated pages, as runs of allocated pages found by
 * random probes: a pool's frees land anywhere.  In a nearly empty pool
 * the probes miss; then @fallback (the run just allocated) goes.
 */
static void free_random(unsigned int s, unsigned long n, unsigned long fallback)
{
	unsigned long p, k, done = 0, tries = 0;

	while (done < n) {
		p = rnd_below(bits.npages);
		if (!(snap.words[p / 64] >> (p % 64) & 1) ||
		    !(bits.words[p / 64] >> (p % 64) & 1)) {
			if (++tries < 64)
				continue;
			timed_free(s, fallback, n - done);
			return;
		}
		for (k = 1; k < n - done && p + k < bits.npages &&
		     (bits.words[(p + k) / 64] >> ((p + k) % 64) & 1); k++)
			;
		timed_free(s, p, k);
		done += k;
		fallback += k;
	}
}

static void work_fill(void)
{
	unsigned long i, a, w, free;

	for (i = 0; i < k_alloc1; i++) {
		a = TIMED(S_ALLOC1, ppc_bits_alloc(&bits, 1));
		if (a != PPC_NONE)
			free_random(S_FREE1, 1, a);
	}
	for (i = 0; i < k_alloc64; i++) {
		a = TIMED(S_ALLOC64, ppc_bits_alloc(&bits, 64));
		if (a != PPC_NONE)
			free_random(S_FREE64, 64, a);
	}
	for (i = 0; i < k_take; i++) {
		w = TIMED(S_TAKE1, ppc_bits_take_window(&bits, 1, i % 64, &free));
		if (w == PPC_NONE)
			continue;
		TIMED_VOID(S_RETURN1, ppc_bits_return_window(&bits, w, free));
	}
}

/*
 * Up to 16 runs held at a time; past that, a random one goes back, so that
 * the next search finds a page somewhere else.
 */
static void hold(unsigned long a, unsigned long n, unsigned int s)
{
	unsigned int i;

	if (nheld < ARRAY_SIZE(held)) {
		held[nheld++] = a;
		return;
	}
	i = rnd_below(nheld);
	timed_free(s, held[i], n);
	held[i] = a;
}

static void unhold(unsigned long n)
{
	while (nheld)
		ppc_bits_free(&bits, held[--nheld], n);
}

static void work_one_per_chunk(void)
{
	unsigned long i, a, w, free;

	for (i = 0; i < k_take; i++) {
		a = TIMED(S_ALLOC2, ppc_bits_alloc(&bits, 2));
		w = TIMED(S_TAKE2, ppc_bits_take_window(&bits, 2, 0, &free));
		if (a != PPC_NONE || w != PPC_NONE) {
			fprintf(stderr, "bench: a 2-page run where none is\n");
			exit(2);
		}
	}
	for (i = 0; i < k_alloc1; i++) {
		a = TIMED(S_ALLOC1, ppc_bits_alloc(&bits, 1));
		if (a != PPC_NONE)
			hold(a, 1, S_FREE1);
	}
	unhold(1);
	for (i = 0; i < k_take; i++) {
		w = TIMED(S_TAKE1, ppc_bits_take_window(&bits, 1, 1, &free));
		if (w == PPC_NONE)
			continue;
		TIMED_VOID(S_RETURN1, ppc_bits_return_window(&bits, w, free));
	}
}

static void work_straddle(void)
{
	unsigned long i, a, w, free;

	for (i = 0; i < k_take; i++) {
		w = TIMED(S_TAKE2, ppc_bits_take_window(&bits, 2, 0, &free));
		a = TIMED(S_ALLOC2, ppc_bits_alloc(&bits, 2));
		if (w != PPC_NONE || a == PPC_NONE) {
			fprintf(stderr, "bench: straddle state broken\n");
			exit(2);
		}
		hold(a, 2, S_FREE2);
	}
	unhold(2);
}

/* ---- Report --------------------------------------------------------------- */

static const char *pool_name(unsigned long npages)
{
	static char buf[32];
	unsigned long mib = npages >> 8;

	if (mib >= 1UL << 20)
		snprintf(buf, sizeof(buf), "%luT", mib >> 20);
	else if (mib >= 1024)
		snprintf(buf, sizeof(buf), "%luG", mib >> 10);
	else
		snprintf(buf, sizeof(buf), "%luM", mib);
	return buf;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static FILE *data;
static double worst_at[4];	/* 16M 1G 1T 16T: the worst of any op */

static void report(unsigned long npages, const char *state, int size_idx)
{
	unsigned int i;
	unsigned long n;
	double med, p99, worst, raw;

	for (i = 0; i < S_MAX; i++) {
		n = min(ser[i].n, ser[i].cap);
		if (!n)
			continue;
		qsort(ser[i].best, n, sizeof(u64), cmp_u64);
		med = ser[i].best[n / 2] * ns_per_tick;
		p99 = ser[i].best[n * 99 / 100] * ns_per_tick;
		worst = ser[i].best[n - 1] * ns_per_tick;
		raw = ser[i].raw_max * ns_per_tick;
		printf("%-5s %-14s %-15s %7lu %10.0f %10.0f %10.0f %12.0f\n",
		       pool_name(npages), state, ser[i].name, n, med, p99, worst,
		       raw);
		if (data)
			fprintf(data, "%lu \"%s\" \"%s\" %.1f %.1f %.1f %.1f\n",
				npages, state, ser[i].name, med, p99, worst,
				raw);
		worst_at[size_idx] = max(worst_at[size_idx], worst);
	}
	fflush(stdout);
}

static void run_state(unsigned long npages, const char *state, int kind,
		      int size_idx)
{
	static const double fills[] = { 0, 0.5, 0.9, 0.99 };
	double t0 = t_now();
	unsigned int r;
	u64 seed = rnd();

	if (kind < 4)
		fill_random(&bits, fills[kind]);
	else if (kind == 4)
		fill_one_per_chunk(&bits);
	else
		fill_straddle(&bits);
	snapshot_take();
	series_reset(300000);
	for (r = 0; r < REPLAYS; r++) {
		snapshot_restore();
		replay_start();
		rng_state = seed;
		if (kind < 4)
			work_fill();
		else if (kind == 4)
			work_one_per_chunk();
		else
			work_straddle();
	}
	fprintf(stderr, "bench: %s %s: %.1f%% full, %.1f s\n",
		pool_name(npages), state,
		100.0 * (npages - snap.nfree) / npages, t_now() - t0);
	report(npages, state, size_idx);
	snapshot_drop();
}

int main(int argc, char **argv)
{
	static const unsigned long sizes[] = {
		1UL << 12, 1UL << 18, 1UL << 28, 1UL << 32,
	};
	static const char * const states[] = {
		"0%", "50%", "90%", "99%", "one-per-chunk", "straddle",
	};
	unsigned int nsizes = 4, i, k, only = ~0U;
	double meta_tib = 0;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-q")) {
			nsizes = 2;
			k_alloc1 = 2000;
		} else if (!strcmp(argv[a], "-s") && a + 1 < argc) {
			only = strtoul(argv[++a], NULL, 0);
		} else {
			data = fopen(argv[a], "w");
			if (!data) {
				perror(argv[a]);
				return 2;
			}
		}
	}
	calibrate();
	if (ppc_bits_init(&warm, 1UL << 14, true))
		return 2;
	fill_random(&warm, 0.5);
	sweep = malloc(SWEEP_BYTES);
	if (!sweep) {
		perror("malloc");
		return 2;
	}
	printf("# ppc_core scale: %.3f ns a tick, timer cost %llu ticks (taken off)\n",
	       ns_per_tick, (unsigned long long)tick_overhead);
	printf("# ns an op: median, p99, worst of each sample's min over %d runs\n",
	       REPLAYS);
	printf("# raw_worst: the worst of any run, preemptions included\n");
	printf("%-5s %-14s %-15s %7s %10s %10s %10s %12s\n", "pool", "state",
	       "op", "samples", "median", "p99", "worst", "raw_worst");
	for (i = 0; i < nsizes; i++) {
		if (only != ~0U && i != only)
			continue;
		if (ppc_bits_init(&bits, sizes[i], true)) {
			fprintf(stderr, "bench: no memory for %lu pages\n",
				sizes[i]);
			return 2;
		}
		printf("# %s: %lu pages, %u levels above chunks, %zu bytes = %.2f MiB/TiB\n",
		       pool_name(sizes[i]), sizes[i], bits.top,
		       ppc_bits_meta_bytes(&bits),
		       ppc_bits_meta_bytes(&bits) / 1048576.0 /
		       (sizes[i] / (double)(1UL << 28)));
		if (sizes[i] == 1UL << 28)
			meta_tib = ppc_bits_meta_bytes(&bits) / 1048576.0;
		for (k = 0; k < ARRAY_SIZE(states); k++)
			run_state(sizes[i], states[k], k, i);
		ppc_bits_fini(&bits);
	}
	if (nsizes == 4 && only == ~0U) {
		printf("bench: scale_worst_us_1t %.2f\n", worst_at[2] / 1000);
		printf("bench: scale_worst_growth_16t_vs_16m %.2f\n",
		       worst_at[3] / worst_at[0]);
		printf("bench: scale_meta_mib_per_tib %.2f\n", meta_tib);
		printf("# targets: 1T worst <= 20 us %s, 16T <= 3x 16M %s, <= 40 MiB/TiB %s\n",
		       worst_at[2] <= 20000 ? "met" : "NOT met",
		       worst_at[3] <= 3 * worst_at[0] ? "met" : "NOT met",
		       meta_tib <= 40 ? "met" : "NOT met");
	}
	if (data)
		fclose(data);
	return ppc_host_warnings ? 1 : 0;
}

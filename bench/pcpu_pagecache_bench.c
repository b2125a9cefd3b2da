// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache_bench: pcpu_pagecache against the kernel's own page
 * allocators, side by side in one boot.
 *
 * Given the physical range of a memmap= reservation (base=, size=), it runs
 * once, at module init, in kthreads bound to CPUs, and prints
 * "bench: <name> <value>" lines to the console: each figure's median, its
 * repetitions as "<name>.run<k>", and counts; nothing derived from two
 * figures.  bench/ratios.py computes the ratios that issues 7 and 10 set
 * targets on, bench/tables.py makes the tables.  Each loop is compiled once
 * per allocator, with direct calls, so all of them run the same loop:
 *
 *   ours         pcpu_pagecache_create() over the range
 *   nocache      the same with PCPU_PAGECACHE_NOCACHE: every call locks
 *   genalloc     gen_pool_create(PAGE_SHIFT, -1) + gen_pool_add_virt() over
 *                the same range, first fit (the default algorithm)
 *   alloc_pages  alloc_pages(GFP_KERNEL, order) + __free_pages()
 *   tracked      ours with PCPU_PAGECACHE_TRACK: who holds each run is
 *                recorded (debugfs owners); its cost against ours
 *
 * and, for single pages only, the kernel's own per-CPU caches: page_pool
 * (no device, direct recycling under local_bh_disable()) and, from 6.7,
 * objpool.  Two more sections pass pages from a producer thread to a
 * consumer thread on another CPU, and compare the bulk API with single
 * calls.
 *
 * Only one user of the range exists at a time: each is created, measured
 * and destroyed before the next.  A figure is the median over @reps runs of
 * a loop sized to take about @target_ms: ns from ktime_get_ns(), cycles
 * from get_cycles().  BENCHMARKS.md says what each figure means.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/genalloc.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/stdarg.h>
#include <linux/timex.h>
/* page_pool's header moved in 6.6, objpool came in 6.7: see Kbuild. */
#ifdef BENCH_PP_HELPERS_H
#include <net/page_pool/helpers.h>
#else
#include <net/page_pool.h>
#endif
#ifdef BENCH_HAVE_OBJPOOL
#include <linux/objpool.h>
#define HAVE_OBJPOOL 1
#else
#define HAVE_OBJPOOL 0
#endif

#include "pcpu_pagecache.h"

static unsigned long base = 0x100000000UL;
module_param(base, ulong, 0444);
MODULE_PARM_DESC(base, "Physical base of a range reserved with memmap=SIZE$BASE (default 4 GiB)");

static unsigned long size = SZ_2G;
module_param(size, ulong, 0444);
MODULE_PARM_DESC(size, "Bytes in that range (default 2 GiB); growth runs on 16 MiB, 256 MiB, 2 GiB where they fit");

static unsigned int reps = 7;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "Repetitions per figure; the median is reported (default 7)");

static unsigned int target_ms = 20;
module_param(target_ms, uint, 0444);
MODULE_PARM_DESC(target_ms, "Wall time each repetition aims at, in ms (default 20)");

static unsigned long seed = 0x5eed;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "Seed of the fragmented fills and size mixes");

static bool pc_check;
module_param(pc_check, bool, 0444);
MODULE_PARM_DESC(pc_check, "Producer/consumer: track the pages in flight and report one handed out twice or freed while not handed out (slower)");

static unsigned int sections = 127;
module_param(sections, uint, 0444);
MODULE_PARM_DESC(sections, "Sections to run: 1 single CPU, 2 all CPUs (needs 1), 4 growth, 8 building blocks, 16 page_pool and objpool, 32 producer/consumer, 64 bulk API (default 127); 128 counted pairs (bench/count/run.sh)");

#define MAX_REPS	31
#define SMALL_REGION	SZ_16M		/* single-CPU and all-CPU runs */
#define MAX_ITERS	BIT(30)
#define RUN_MAX		32		/* fill: runs of 1..RUN_MAX pages */

enum kind { K_OURS, K_NOCACHE, K_GENALLOC, K_PAGES, K_TRACKED, NKINDS };
static const char *const kind_name[NKINDS] = {
	"ours", "nocache", "genalloc", "alloc_pages", "tracked",
};

enum test { T_PAIR1, T_BURST64, T_MIXED, T_LARGE, T_PAIR64, NTESTS };
#define NSINGLE	(T_LARGE + 1)		/* tests of the single-CPU section */
static const char *const test_name[NTESTS] = {
	"pair1", "burst64", "mixed1_15", "large16_512", "pair64",
};

/* alloc+free pairs per loop iteration */
static const unsigned int test_ops[NTESTS] = { 1, 64, 1, 1, 1 };

/* One user of the region: which allocator, and its handle. */
struct bctx {
	enum kind kind;
	struct pcpu_pagecache *ppc;
	struct gen_pool *gp;
	void *va;
	phys_addr_t base;
	size_t size;
};

/* What one thread counts; never shared between CPUs. */
struct worker {
	unsigned long fails;	/* allocations that returned nothing */
	unsigned long errors;	/* frees that were refused */
	unsigned long h[64];
} ____cacheline_aligned;

/* One figure: its repetitions, then their medians. */
struct meas {
	u64 rps[MAX_REPS];	/* ps per alloc+free pair, each repetition */
	u64 rcyc[MAX_REPS];	/* cycles per pair x1000, each repetition */
	unsigned int nr;	/* repetitions so far */
	unsigned long iters;	/* loop iterations per repetition; 0: calibrate */
	unsigned long ops;	/* pairs over all repetitions */
	unsigned long fails;
	unsigned long errors;
	u64 fast, slow;		/* pcpu_pagecache: allocations by the cache, not */
	u64 ps;			/* median ps per pair */
	u64 mcyc;		/* median cycles per pair, x1000 */
	u64 rwall[MAX_REPS];	/* ps per pair over the whole repetition */
	u64 wall;		/* their median */
	bool done;
};

struct allcpu {
	u64 rwall[MAX_REPS];	/* wall ps per pair over all CPUs, each repetition */
	u64 *rcpu;		/* [cpu index * MAX_REPS + rep]: ps per pair */
	unsigned int nr;
	u64 ps;			/* median of rwall */
	u64 *cpu_ps;		/* median ps per pair of each CPU's thread */
	unsigned long fails;
	unsigned long errors;
};

static u8 mixed_sz[256];
static u16 large_sz[256];
static struct worker main_worker;
static unsigned int nreps;
static unsigned int ncpus;
static unsigned int *cpu_ids;
static unsigned long total_errors;

/* ---- Deterministic PRNG (splitmix64) -------------------------------------- */

static u64 rng_next(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static u32 rng_below(u64 *s, u32 n)
{
	return (u32)(((rng_next(s) >> 32) * n) >> 32);
}

/*
 * A thread's end: stay until kthread_stop(), so that the thread's creator
 * owns its lifetime and may read its results after it finished.
 */
static int b_wait_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/* ---- The allocators, inlined into each loop -------------------------------- */

static __always_inline unsigned long b_alloc(struct bctx *b,
					     const enum kind kind,
					     unsigned int n)
{
	switch (kind) {
	case K_OURS:
	case K_NOCACHE:
	case K_TRACKED:
		return pcpu_pagecache_alloc(b->ppc, n);
	case K_GENALLOC:
		return gen_pool_alloc(b->gp, (size_t)n << PAGE_SHIFT);
	default:
		return (unsigned long)alloc_pages(GFP_KERNEL | __GFP_NOWARN,
						  get_order((size_t)n << PAGE_SHIFT));
	}
}

static __always_inline void b_free(struct bctx *b, const enum kind kind,
				   unsigned long h, unsigned int n,
				   struct worker *w)
{
	switch (kind) {
	case K_OURS:
	case K_NOCACHE:
	case K_TRACKED:
		if (unlikely(pcpu_pagecache_free(b->ppc, h, n)))
			w->errors++;
		break;
	case K_GENALLOC:
		gen_pool_free(b->gp, h, (size_t)n << PAGE_SHIFT);
		break;
	default:
		__free_pages((struct page *)h, get_order((size_t)n << PAGE_SHIFT));
		break;
	}
}

static __always_inline void b_loop(struct bctx *b, const enum kind kind,
				   const enum test test, unsigned long iters,
				   struct worker *w)
{
	unsigned long i, h, fails = 0;
	unsigned int j, n;

	for (i = 0; i < iters; i++) {
		switch (test) {
		case T_BURST64:
			for (j = 0; j < 64; j++)
				w->h[j] = b_alloc(b, kind, 1);
			for (j = 0; j < 64; j++) {
				if (likely(w->h[j]))
					b_free(b, kind, w->h[j], 1, w);
				else
					fails++;
			}
			continue;
		case T_PAIR1:
			n = 1;
			break;
		case T_PAIR64:
			n = 64;
			break;
		case T_MIXED:
			n = mixed_sz[i & 255];
			break;
		default:
			n = large_sz[i & 255];
			break;
		}
		h = b_alloc(b, kind, n);
		if (likely(h))
			b_free(b, kind, h, n, w);
		else
			fails++;
	}
	w->fails += fails;
}

static __always_inline void b_loop_any(struct bctx *b, const enum kind kind,
				       enum test t, unsigned long iters,
				       struct worker *w)
{
	switch (t) {
	case T_PAIR1:
		b_loop(b, kind, T_PAIR1, iters, w);
		break;
	case T_BURST64:
		b_loop(b, kind, T_BURST64, iters, w);
		break;
	case T_MIXED:
		b_loop(b, kind, T_MIXED, iters, w);
		break;
	case T_LARGE:
		b_loop(b, kind, T_LARGE, iters, w);
		break;
	default:
		b_loop(b, kind, T_PAIR64, iters, w);
		break;
	}
}

/* Ours alone, for the loops that compare it with the kernel's own caches. */
static noinline void run_ours(struct bctx *b, enum test t, unsigned long iters,
			      struct worker *w)
{
	b_loop_any(b, K_OURS, t, iters, w);
}

/*
 * One copy of every loop per allocator, each inlined with a constant kind:
 * no indirect call and no switch inside a loop.
 */
static noinline void b_run(struct bctx *b, enum test t, unsigned long iters,
			   struct worker *w)
{
	switch (b->kind) {
	case K_OURS:
		run_ours(b, t, iters, w);
		break;
	case K_NOCACHE:
		b_loop_any(b, K_NOCACHE, t, iters, w);
		break;
	case K_TRACKED:
		b_loop_any(b, K_TRACKED, t, iters, w);
		break;
	case K_GENALLOC:
		b_loop_any(b, K_GENALLOC, t, iters, w);
		break;
	default:
		b_loop_any(b, K_PAGES, t, iters, w);
		break;
	}
}

/* ---- Creating and destroying one user of the region ------------------------ */

static int region_open(struct bctx *b, enum kind k, phys_addr_t rbase,
		       size_t rsize)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->kind = k;
	b->base = rbase;
	b->size = rsize;

	switch (k) {
	case K_OURS:
	case K_NOCACHE:
	case K_TRACKED:
		b->ppc = pcpu_pagecache_create_flags("bench", rbase, rsize,
						     k == K_NOCACHE ?
						     PCPU_PAGECACHE_NOCACHE :
						     k == K_TRACKED ?
						     PCPU_PAGECACHE_TRACK : 0);
		if (IS_ERR(b->ppc)) {
			ret = PTR_ERR(b->ppc);
			b->ppc = NULL;
			pr_err("pcpu_pagecache_create_flags(%pa, %zu): %d\n",
			       &rbase, rsize, ret);
			return ret;
		}
		return 0;
	case K_GENALLOC:
		if (!request_mem_region(rbase, rsize, "pcpu_pagecache_bench")) {
			pr_err("cannot claim [%pa, +%zu) for genalloc\n",
			       &rbase, rsize);
			return -EBUSY;
		}
		ret = -ENOMEM;
		b->va = memremap(rbase, rsize, MEMREMAP_WB);
		if (!b->va)
			goto err_release;
		b->gp = gen_pool_create(PAGE_SHIFT, -1);
		if (!b->gp)
			goto err_unmap;
		ret = gen_pool_add_virt(b->gp, (unsigned long)b->va, rbase,
					rsize, -1);
		if (ret)
			goto err_pool;
		return 0;
err_pool:
		gen_pool_destroy(b->gp);
err_unmap:
		memunmap(b->va);
err_release:
		release_mem_region(rbase, rsize);
		pr_err("genalloc over [%pa, +%zu): %d\n", &rbase, rsize, ret);
		return ret;
	default:
		return 0;
	}
}

/* Every page must have been freed. */
static void region_close(struct bctx *b)
{
	switch (b->kind) {
	case K_OURS:
	case K_NOCACHE:
	case K_TRACKED:
		pcpu_pagecache_destroy(b->ppc);
		break;
	case K_GENALLOC:
		gen_pool_destroy(b->gp);
		memunmap(b->va);
		release_mem_region(b->base, b->size);
		break;
	default:
		break;
	}
	memset(b, 0, sizeof(*b));
}

/* ---- Measuring -------------------------------------------------------------- */

/*
 * A repetition runs in up to LF_CHUNKS chunks, each timed on its own (see
 * meas_rep()): the cycles of each chunk.
 */
#define LF_CHUNKS	255
static u64 lf_cyc[LF_CHUNKS];

static u64 target_ns(void)
{
	return (u64)target_ms * NSEC_PER_MSEC;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	return v[n / 2];
}

/* The median of @n (at most MAX_REPS) repetitions, left in their order. */
static u64 median_of(const u64 *v, unsigned int n)
{
	u64 tmp[MAX_REPS];

	memcpy(tmp, v, n * sizeof(*v));
	return median(tmp, n);
}

/*
 * Loop iterations that take about target_ms; the search warms up too.  One
 * slow sample (the host stalls the vCPU, first touches of new memory) must
 * not shrink the loop to a few iterations for the whole run: the estimate
 * comes from the fastest of three samples of the final size.
 */
static unsigned long calibrate(struct bctx *b, enum test t, struct worker *w)
{
	unsigned long iters = 16;
	unsigned int i;
	u64 t0, dt;

	for (;;) {
		t0 = ktime_get_ns();
		b_run(b, t, iters, w);
		dt = ktime_get_ns() - t0;
		if (dt >= target_ns() / 8 || iters >= MAX_ITERS)
			break;
		iters *= dt < target_ns() / 128 ? 16 : 2;
		cond_resched();
	}
	for (i = 0; i < 2; i++) {
		cond_resched();
		t0 = ktime_get_ns();
		b_run(b, t, iters, w);
		dt = min(dt, ktime_get_ns() - t0);
	}
	return clamp_t(u64, div64_u64((u64)iters * target_ns(), max_t(u64, dt, 1)),
		       16, MAX_ITERS);
}

/*
 * Store a repetition of @nch chunks of @ops pairs each, which took
 * lf_cyc[] cycles each and @t1 - @t0 ns (@c1 - @c0 cycles) in all, as its
 * median chunk: the host runs other guests' vCPUs on our cores and stalls
 * ours for milliseconds at a time, and over a whole repetition that adds
 * whatever the host did; a stalled chunk is an outlier.  Cycles become ns
 * at the rate the two clocks ran over the repetition.  The mean over the
 * whole repetition is kept too (rwall).
 */
static void meas_store(struct meas *m, unsigned int nch, unsigned long ops,
		       u64 t0, u64 t1, cycles_t c0, cycles_t c1)
{
	u64 med = median(lf_cyc, nch);

	m->rcyc[m->nr] = div64_u64(med * 1000, ops);
	m->rps[m->nr] = mul_u64_u64_div_u64(med * 1000, t1 - t0,
					    max_t(u64, c1 - c0, 1) * ops);
	m->rwall[m->nr] = div64_u64((t1 - t0) * 1000, ops * nch);
}

/*
 * One repetition of a figure; the first one calibrates the loop.  The
 * calling thread is bound to one CPU.  The loop runs in up to LF_CHUNKS
 * chunks (about 80 us each), timed with get_cycles(): cheap, where 6.1's
 * clocksource here (an emulated HPET) is not.
 */
static void meas_rep(struct bctx *b, enum test t, struct meas *m)
{
	struct pcpu_pagecache_stats st0, st1;
	struct worker *w = &main_worker;
	unsigned long ops, chunk;
	cycles_t c0, c1, cc;
	unsigned int i, nch;
	u64 t0, t1;

	if (m->nr >= MAX_REPS)
		return;
	if (!m->iters) {
		memset(w, 0, sizeof(*w));
		m->iters = calibrate(b, t, w);
		total_errors += w->errors;
	}
	memset(w, 0, sizeof(*w));
	if (b->ppc)
		pcpu_pagecache_get_stats(b->ppc, &st0);
	nch = min_t(unsigned long, LF_CHUNKS, m->iters);
	chunk = m->iters / nch;
	ops = chunk * test_ops[t];
	cond_resched();
	c0 = get_cycles();
	t0 = ktime_get_ns();
	for (i = 0; i < nch; i++) {
		cc = get_cycles();
		b_run(b, t, chunk, w);
		lf_cyc[i] = get_cycles() - cc;
	}
	t1 = ktime_get_ns();
	c1 = get_cycles();
	if (b->ppc) {
		pcpu_pagecache_get_stats(b->ppc, &st1);
		m->fast += st1.alloc_fast - st0.alloc_fast;
		m->slow += st1.alloc_slow - st0.alloc_slow;
	}
	meas_store(m, nch, ops, t0, t1, c0, c1);
	ops *= nch;
	m->nr++;
	m->ops += ops;
	m->fails += w->fails;
	m->errors += w->errors;
	total_errors += w->errors;
}

/*
 * Forget the repetitions so far, keep the calibration.  A refused free
 * stays counted in total_errors: it is a refused free, warm-up or not.
 */
static void meas_forget(struct meas *m)
{
	unsigned long iters = m->iters;

	memset(m, 0, sizeof(*m));
	m->iters = iters;
}

static void meas_finish(struct meas *m)
{
	if (!m->nr)
		return;
	m->ps = median_of(m->rps, m->nr);
	m->mcyc = median_of(m->rcyc, m->nr);
	m->wall = median_of(m->rwall, m->nr);
	m->done = true;
}

/* ---- What the building blocks cost here (context for the figures) ---------- */

enum ovh { O_CALL, O_IRQ, O_PREEMPT, O_SPIN, O_PCPU, NOVH };
static const char *const ovh_name[NOVH] = {
	"call_ret", "irq_save_restore", "preempt_off_on", "spin_lock_irqsave",
	"this_cpu_inc",
};

static DEFINE_SPINLOCK(ovh_lock);
static DEFINE_PER_CPU(unsigned long, ovh_count);
static struct meas ovh[NOVH];

static noinline void ovh_callee(void)
{
	asm volatile("");
}

#define DEFINE_OVH(name, body)						\
static noinline void ovh_##name(unsigned long iters)			\
{									\
	unsigned long i, flags;						\
									\
	for (i = 0; i < iters; i++) {					\
		body;							\
	}								\
	(void)flags;							\
}

DEFINE_OVH(call, ovh_callee())
DEFINE_OVH(irq, local_irq_save(flags); barrier(); local_irq_restore(flags))
DEFINE_OVH(preempt, preempt_disable(); barrier(); preempt_enable())
DEFINE_OVH(spin, spin_lock_irqsave(&ovh_lock, flags);
		 spin_unlock_irqrestore(&ovh_lock, flags))
DEFINE_OVH(pcpu, this_cpu_inc(ovh_count))

static void ovh_run(enum ovh o, unsigned long iters)
{
	switch (o) {
	case O_CALL:
		ovh_call(iters);
		break;
	case O_IRQ:
		ovh_irq(iters);
		break;
	case O_PREEMPT:
		ovh_preempt(iters);
		break;
	case O_SPIN:
		ovh_spin(iters);
		break;
	default:
		ovh_pcpu(iters);
		break;
	}
}

static void measure_ovh(enum ovh o, struct meas *m)
{
	u64 t0, t1, dt;
	unsigned long iters = 16;
	cycles_t c0, c1;
	unsigned int r;

	for (;;) {
		t0 = ktime_get_ns();
		ovh_run(o, iters);
		dt = ktime_get_ns() - t0;
		if (dt >= target_ns() / 8 || iters >= MAX_ITERS)
			break;
		iters *= dt < target_ns() / 128 ? 16 : 2;
	}
	for (r = 0; r < 2; r++) {
		t0 = ktime_get_ns();
		ovh_run(o, iters);
		dt = min(dt, ktime_get_ns() - t0);
	}
	iters = clamp_t(u64, div64_u64((u64)iters * target_ns(), max_t(u64, dt, 1)),
			16, MAX_ITERS);
	for (r = 0; r < nreps; r++) {
		cond_resched();
		c0 = get_cycles();
		t0 = ktime_get_ns();
		ovh_run(o, iters);
		t1 = ktime_get_ns();
		c1 = get_cycles();
		m->rps[r] = div64_u64((t1 - t0) * 1000, iters);
		m->rcyc[r] = div64_u64((u64)(c1 - c0) * 1000, iters);
	}
	m->nr = nreps;
	m->ps = median_of(m->rps, nreps);
	m->mcyc = median_of(m->rcyc, nreps);
	m->iters = iters;
	m->done = true;
}

/* ---- All CPUs at once --------------------------------------------------------- */

struct athread {
	struct bctx *b;
	unsigned long chunk;	/* loop iterations between looks at the clock */
	u64 dur;		/* ns to keep going */
	unsigned long pairs;	/* alloc+free pairs done */
	u64 t0, t1;
	struct task_struct *task;
	struct worker w;
};

static atomic_t a_ready, a_left, a_go;
static unsigned int a_n;
static u64 a_deadline;
static DECLARE_COMPLETION(a_done);

static int allcpu_thread(void *arg)
{
	struct athread *a = arg;

	u64 deadline;

	/*
	 * Everyone starts when the last thread has arrived, and stops at the
	 * same deadline: a thread the host runs late does less work.
	 */
	if (atomic_inc_return(&a_ready) == a_n) {
		WRITE_ONCE(a_deadline, ktime_get_ns() + a->dur);
		atomic_set_release(&a_go, 1);
	}
	while (!atomic_read_acquire(&a_go))
		cpu_relax();
	deadline = READ_ONCE(a_deadline);
	a->t0 = ktime_get_ns();
	do {
		b_run(a->b, T_PAIR1, a->chunk, &a->w);
		a->pairs += a->chunk;
		a->t1 = ktime_get_ns();
	} while (a->t1 < deadline);
	if (atomic_dec_and_test(&a_left))
		complete(&a_done);

	return b_wait_stop();
}

/*
 * One repetition: a thread bound to each online CPU, released together,
 * each doing alloc(1)+free(1) pairs for target_ms.  Running for a time
 * rather than a count keeps them overlapped even when the host runs one
 * vCPU slower than the other.  @iters: the single-CPU loop count for
 * target_ms.
 */
static int allcpu_rep(struct bctx *b, unsigned long iters, struct allcpu *res)
{
	unsigned long pairs = 0;
	struct athread *th;
	u64 tmin, tmax;
	unsigned int i;
	int ret = 0;

	if (res->nr >= MAX_REPS)
		return 0;
	th = kcalloc(ncpus, sizeof(*th), GFP_KERNEL);
	if (!th)
		return -ENOMEM;
	atomic_set(&a_ready, 0);
	atomic_set(&a_go, 0);
	atomic_set(&a_left, ncpus);
	a_n = ncpus;
	reinit_completion(&a_done);
	for (i = 0; i < ncpus; i++) {
		th[i].b = b;
		th[i].chunk = max(iters / 64, 1UL);
		th[i].dur = target_ns();
		th[i].task = kthread_create_on_cpu(allcpu_thread, &th[i],
						   cpu_ids[i], "ppc_bench/%u");
		if (IS_ERR(th[i].task)) {
			ret = PTR_ERR(th[i].task);
			th[i].task = NULL;
			break;
		}
	}
	if (ret) {
		/* Never woken: kthread_stop() ends them before they run. */
		for (i = 0; i < ncpus && th[i].task; i++)
			kthread_stop(th[i].task);
		kfree(th);
		return ret;
	}
	for (i = 0; i < ncpus; i++)
		wake_up_process(th[i].task);
	wait_for_completion(&a_done);
	for (i = 0; i < ncpus; i++)
		kthread_stop(th[i].task);

	tmin = U64_MAX;
	tmax = 0;
	for (i = 0; i < ncpus; i++) {
		tmin = min(tmin, th[i].t0);
		tmax = max(tmax, th[i].t1);
		pairs += th[i].pairs;
		res->rcpu[i * MAX_REPS + res->nr] =
			div64_u64((th[i].t1 - th[i].t0) * 1000, th[i].pairs);
		res->fails += th[i].w.fails;
		res->errors += th[i].w.errors;
		total_errors += th[i].w.errors;
	}
	res->rwall[res->nr++] = div64_u64((tmax - tmin) * 1000, pairs);
	kfree(th);
	return 0;
}

static void allcpu_finish(struct allcpu *res)
{
	unsigned int i;

	if (!res->nr)
		return;
	res->ps = median_of(res->rwall, res->nr);
	for (i = 0; i < ncpus; i++)
		res->cpu_ps[i] = median_of(res->rcpu + i * MAX_REPS, res->nr);
}

/* ---- Fragmented fills ----------------------------------------------------------- */

struct run {
	unsigned long h;	/* 0 once freed */
	unsigned int n;
};

struct fill {
	struct run *runs;
	unsigned long nruns;
	unsigned long used;	/* pages handed out */
	unsigned long full;	/* pages handed out when the region was full */
	u64 ms;
};

/*
 * Hand out the whole region in runs of 1..RUN_MAX pages (lengths from the
 * PRNG) until a run does not fit, then the rest page by page; then free
 * runs in an order from the PRNG until at most @level percent of the pages
 * are in use.  The same seed gives every allocator the same sequence of
 * calls; where each puts its runs is its own business.
 */
static int fill_region(struct bctx *b, unsigned int level, u64 s,
		       struct fill *f)
{
	unsigned long npages = b->size >> PAGE_SHIFT, i, j, target, h;
	struct worker *w = &main_worker;
	u64 t0 = ktime_get_ns();
	unsigned int n;
	u32 *perm;

	memset(f, 0, sizeof(*f));
	if (!level)
		return 0;
	f->runs = kvmalloc_array(npages, sizeof(*f->runs), GFP_KERNEL);
	if (!f->runs)
		return -ENOMEM;
	memset(w, 0, sizeof(*w));

	for (;;) {
		n = 1 + rng_below(&s, RUN_MAX);
		h = b_alloc(b, b->kind, n);
		if (!h)
			break;
		f->runs[f->nruns].h = h;
		f->runs[f->nruns++].n = n;
		f->used += n;
		if (!(f->nruns & 1023))
			cond_resched();
	}
	while (f->nruns < npages && (h = b_alloc(b, b->kind, 1))) {
		f->runs[f->nruns].h = h;
		f->runs[f->nruns++].n = 1;
		f->used++;
	}
	f->full = f->used;

	perm = kvmalloc_array(f->nruns, sizeof(*perm), GFP_KERNEL);
	if (!perm)
		return -ENOMEM;
	for (i = 0; i < f->nruns; i++)
		perm[i] = i;
	for (i = f->nruns - 1; i > 0; i--) {
		j = rng_below(&s, i + 1);
		swap(perm[i], perm[j]);
	}
	target = npages * level / 100;
	for (i = 0; i < f->nruns && f->used > target; i++) {
		struct run *r = &f->runs[perm[i]];

		b_free(b, b->kind, r->h, r->n, w);
		r->h = 0;
		f->used -= r->n;
	}
	kvfree(perm);
	total_errors += w->errors;
	f->ms = div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC);
	return 0;
}

static void unfill_region(struct bctx *b, struct fill *f)
{
	struct worker *w = &main_worker;
	unsigned long i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < f->nruns; i++)
		if (f->runs[i].h)
			b_free(b, b->kind, f->runs[i].h, f->runs[i].n, w);
	total_errors += w->errors;
	kvfree(f->runs);
	f->runs = NULL;
}

/* ---- Figures measured through a loop function ---------------------------- */

/*
 * For the sections that compare ours with something that is not a region
 * allocator (page_pool, objpool, the bulk API): one loop function per
 * figure, called once per chunk of a repetition, so the indirect call is
 * outside the timed loop.  Same calibration, chunks and medians as the
 * other figures.
 */
struct lfig {
	void (*fn)(void *arg, unsigned long iters, struct worker *w);
	void *arg;
	unsigned int ops;		/* alloc+free pairs per iteration */
	struct pcpu_pagecache *ppc;	/* whose statistics to read, or NULL */
	struct meas m;
};

static unsigned long lfig_calibrate(struct lfig *f, struct worker *w)
{
	unsigned long iters = 16;
	unsigned int i;
	u64 t0, dt;

	for (;;) {
		t0 = ktime_get_ns();
		f->fn(f->arg, iters, w);
		dt = ktime_get_ns() - t0;
		if (dt >= target_ns() / 8 || iters >= MAX_ITERS)
			break;
		iters *= dt < target_ns() / 128 ? 16 : 2;
		cond_resched();
	}
	for (i = 0; i < 2; i++) {
		cond_resched();
		t0 = ktime_get_ns();
		f->fn(f->arg, iters, w);
		dt = min(dt, ktime_get_ns() - t0);
	}
	return clamp_t(u64, div64_u64((u64)iters * target_ns(), max_t(u64, dt, 1)),
		       16, MAX_ITERS);
}

/* One repetition, on the calling thread's CPU, as meas_rep(). */
static void lfig_rep(struct lfig *f)
{
	struct pcpu_pagecache_stats st0, st1;
	struct worker *w = &main_worker;
	struct meas *m = &f->m;
	unsigned long ops, chunk;
	cycles_t c0, c1, cc;
	unsigned int i, nch;
	u64 t0, t1;

	if (m->nr >= MAX_REPS)
		return;
	if (!m->iters) {
		memset(w, 0, sizeof(*w));
		m->iters = lfig_calibrate(f, w);
		total_errors += w->errors;
	}
	memset(w, 0, sizeof(*w));
	if (f->ppc)
		pcpu_pagecache_get_stats(f->ppc, &st0);
	nch = min_t(unsigned long, LF_CHUNKS, m->iters);
	chunk = m->iters / nch;
	ops = chunk * f->ops;
	cond_resched();
	c0 = get_cycles();
	t0 = ktime_get_ns();
	for (i = 0; i < nch; i++) {
		cc = get_cycles();
		f->fn(f->arg, chunk, w);
		lf_cyc[i] = get_cycles() - cc;
	}
	t1 = ktime_get_ns();
	c1 = get_cycles();
	if (f->ppc) {
		pcpu_pagecache_get_stats(f->ppc, &st1);
		m->fast += st1.alloc_fast - st0.alloc_fast;
		m->slow += st1.alloc_slow - st0.alloc_slow;
	}
	meas_store(m, nch, ops, t0, t1, c0, c1);
	m->nr++;
	m->ops += ops * nch;
	m->fails += w->fails;
	m->errors += w->errors;
	total_errors += w->errors;
}

/* ---- The kernel's per-CPU caches: page_pool and objpool -------------------- */

enum peer { P_OURS, P_PP, P_PP_BH, P_OBJPOOL, NPEERS };
static const char *const peer_name[NPEERS] = {
	"ours", "page_pool", "page_pool_bh_each", "objpool",
};

static struct lfig peers[NPEERS];
static bool peers_run[NPEERS];

static void loop_ours_pair1(void *arg, unsigned long iters, struct worker *w)
{
	run_ours(arg, T_PAIR1, iters, w);
}

static void loop_ours_burst64(void *arg, unsigned long iters, struct worker *w)
{
	run_ours(arg, T_BURST64, iters, w);
}

/*
 * page_pool's direct recycling is lockless only in softirq context on the
 * pool's CPU: local_bh_disable() gives that (in_softirq() is then true on
 * 6.1 and 6.12 alike), once for the whole loop as NAPI would.
 */
static noinline void loop_pp(void *arg, unsigned long iters, struct worker *w)
{
	struct page_pool *pp = arg;
	unsigned long i, fails = 0;
	struct page *p;

	local_bh_disable();
	for (i = 0; i < iters; i++) {
		p = page_pool_alloc_pages(pp, GFP_ATOMIC | __GFP_NOWARN);
		if (likely(p))
			page_pool_recycle_direct(pp, p);
		else
			fails++;
	}
	local_bh_enable();
	w->fails += fails;
}

/* What a caller outside softirq pays: the bh section around each pair. */
static noinline void loop_pp_bh(void *arg, unsigned long iters,
				struct worker *w)
{
	struct page_pool *pp = arg;
	unsigned long i, fails = 0;
	struct page *p;

	for (i = 0; i < iters; i++) {
		local_bh_disable();
		p = page_pool_alloc_pages(pp, GFP_ATOMIC | __GFP_NOWARN);
		if (likely(p))
			page_pool_recycle_direct(pp, p);
		else
			fails++;
		local_bh_enable();
	}
	w->fails += fails;
}

#if HAVE_OBJPOOL
static struct objpool_head peer_objpool;

static noinline void loop_objpool(void *arg, unsigned long iters,
				  struct worker *w)
{
	struct objpool_head *op = arg;
	unsigned long i, fails = 0;
	void *obj;

	for (i = 0; i < iters; i++) {
		obj = objpool_pop(op);
		if (likely(obj))
			objpool_push(obj, op);
		else
			fails++;
	}
	w->fails += fails;
}
#endif

/*
 * A page_pool with no device: flags 0 (no DMA mapping, no sync), order 0,
 * no NAPI.  page_pool_init() accepts that on 6.1 and 6.12; the pages come
 * from the page allocator, 64 at a time when the cache is empty.
 */
static struct page_pool *peer_pp_create(void)
{
	struct page_pool_params pp = {
		.flags = 0,
		.order = 0,
		.pool_size = 256,
		.nid = NUMA_NO_NODE,
		.dev = NULL,
	};

	return page_pool_create(&pp);
}

/*
 * Rounds as elsewhere: round r measures repetition r of every figure, ours
 * first.  Each user keeps its pool for the whole section.
 */
static int bench_peers(void)
{
	struct page_pool *pp;
	unsigned int p, r;
	struct bctx b;
	int ret;

	ret = region_open(&b, K_OURS, base, SMALL_REGION);
	if (ret)
		return ret;
	pp = peer_pp_create();
	if (IS_ERR(pp)) {
		pr_err("page_pool_create(): %ld\n", PTR_ERR(pp));
		region_close(&b);
		return PTR_ERR(pp);
	}
	peers[P_OURS] = (struct lfig){ loop_ours_pair1, &b, 1, b.ppc };
	peers[P_PP] = (struct lfig){ loop_pp, pp, 1, NULL };
	peers[P_PP_BH] = (struct lfig){ loop_pp_bh, pp, 1, NULL };
	peers_run[P_OURS] = true;
	peers_run[P_PP] = true;
	peers_run[P_PP_BH] = true;
#if HAVE_OBJPOOL
	/* 64 objects per possible CPU: each CPU pops from its own slot. */
	ret = objpool_init(&peer_objpool, 64 * num_possible_cpus(),
			   sizeof(phys_addr_t), GFP_KERNEL, NULL, NULL, NULL);
	if (ret) {
		pr_err("objpool_init(): %d\n", ret);
	} else {
		peers[P_OBJPOOL] = (struct lfig){ loop_objpool, &peer_objpool,
						  1, NULL };
		peers_run[P_OBJPOOL] = true;
	}
#endif

	/* A warm-up round, thrown away, then the rounds. */
	for (r = 0; r <= nreps; r++)
		for (p = 0; p < NPEERS; p++) {
			if (!peers_run[p])
				continue;
			lfig_rep(&peers[p]);
			if (!r)
				peers[p].m = (struct meas){ .iters = peers[p].m.iters };
		}
	for (p = 0; p < NPEERS; p++)
		if (peers_run[p])
			meas_finish(&peers[p].m);

#if HAVE_OBJPOOL
	if (peers_run[P_OBJPOOL])
		objpool_fini(&peer_objpool);
#endif
	page_pool_destroy(pp);
	region_close(&b);
	pr_info("page_pool/objpool section done\n");
	return 0;
}

/* ---- The bulk API against single calls ------------------------------------ */

#define BULK	64

enum bulk { B_SINGLE, B_BULK, NBULK };
static struct lfig bulkf[NBULK];

static noinline void loop_bulk(void *arg, unsigned long iters,
			       struct worker *w)
{
	struct pcpu_pagecache *ppc = ((struct bctx *)arg)->ppc;
	phys_addr_t addrs[BULK];
	unsigned long i;
	unsigned int n;

	for (i = 0; i < iters; i++) {
		n = pcpu_pagecache_alloc_bulk(ppc, 1, BULK, addrs);
		if (unlikely(n < BULK))
			w->fails += BULK - n;
		if (unlikely(pcpu_pagecache_free_bulk(ppc, 1, n, addrs)))
			w->errors++;
	}
}

/* alloc_bulk(64)+free_bulk(64) against burst64 (64x alloc, 64x free). */
static int bench_bulk(void)
{
	unsigned int k, r;
	struct bctx b;
	int ret;

	ret = region_open(&b, K_OURS, base, SMALL_REGION);
	if (ret)
		return ret;
	bulkf[B_SINGLE] = (struct lfig){ loop_ours_burst64, &b, BULK, b.ppc };
	bulkf[B_BULK] = (struct lfig){ loop_bulk, &b, BULK, b.ppc };
	for (r = 0; r <= nreps; r++)
		for (k = 0; k < NBULK; k++) {
			lfig_rep(&bulkf[k]);
			if (!r)
				bulkf[k].m = (struct meas){ .iters = bulkf[k].m.iters };
		}
	for (k = 0; k < NBULK; k++)
		meas_finish(&bulkf[k].m);
	region_close(&b);
	pr_info("bulk section done\n");
	return 0;
}

/* ---- Producer/consumer: allocate on one CPU, free on another --------------- */

/*
 * A single-producer single-consumer ring of handles (physical addresses,
 * or struct page pointers for alloc_pages).  The producer allocates PC_BATCH
 * pages into free slots and publishes them at once; the consumer frees
 * what it finds, up to PC_BATCH at a time, and gives the slots back.
 */
#define PC_RING		256
#define PC_BATCH	64
#define PC_MAX_PAIRS	2
#define PC_SAMPLES	4096	/* batch times kept per thread and repetition */

struct pc_ring {
	unsigned long slot[PC_RING];
	unsigned long tail ____cacheline_aligned;	/* the producer's */
	unsigned long head ____cacheline_aligned;	/* the consumer's */
	int done;
};

struct pc_pair {
	struct pc_ring *ring;
	struct bctx *b;
	unsigned long pages;		/* handed over and freed */
	unsigned long fails;		/* allocations that returned nothing */
	u64 t0, t1;			/* producer's start, consumer's end */
	u64 pt1;			/* producer's end */
	cycles_t pc0, pc1;		/* get_cycles() at t0 and pt1 */
	u64 *cyc[2];			/* cycles of each full batch: alloc, free */
	unsigned int ncyc[2];
	struct task_struct *task[2];	/* producer, consumer */
	struct worker w;		/* the consumer's */
};

struct pc_thr {
	struct pc_pair *p;
	bool consumer;
};

static atomic_t pc_ready, pc_go, pc_left;
static unsigned long *pc_inflight;	/* pc_check: pages of ours in flight */
static atomic_t pc_bad;
static unsigned int pc_nthreads;
static u64 pc_deadline;
static DECLARE_COMPLETION(pc_done);

/*
 * The ring's ordering: the producer writes slots, then releases ->tail; the
 * consumer acquires ->tail, then reads them.  The consumer is done with
 * slots before it releases ->head; the producer acquires ->head before it
 * writes them again.  ->done is released after the last ->tail, so a
 * consumer that acquires it and then sees ->tail == head has drained all.
 */
/*
 * pc_check: a page the pool hands out while it is in flight (allocated and
 * not yet freed) was handed out twice; a page the consumer frees that is
 * not in flight was never handed out.  Either is the pool's bug.
 */
static noinline void pc_mark(struct bctx *b, unsigned long h, bool set)
{
	unsigned long i = (h - b->base) >> PAGE_SHIFT;

	if (i >= b->size >> PAGE_SHIFT) {
		atomic_inc(&pc_bad);
		pr_err("producer/consumer: %#lx is outside the region\n", h);
	} else if (set && test_and_set_bit(i, pc_inflight)) {
		atomic_inc(&pc_bad);
		pr_err("producer/consumer: %#lx handed out while in flight\n", h);
	} else if (!set && !test_and_clear_bit(i, pc_inflight)) {
		atomic_inc(&pc_bad);
		pr_err("producer/consumer: %#lx freed while not in flight\n", h);
	}
}

static __always_inline void pc_produce(struct pc_pair *p, const enum kind kind)
{
	u64 deadline = READ_ONCE(pc_deadline);
	struct pc_ring *r = p->ring;
	unsigned long tail = 0, h;
	unsigned int j, k = 0;
	cycles_t c;

	p->pc0 = get_cycles();
	p->t0 = ktime_get_ns();
	/* The clock every 16 batches: an HPET read costs microseconds. */
	while ((k++ & 15) || ktime_get_ns() < deadline) {
		/* Acquire: the consumer is done with the slots we reuse. */
		while (tail - smp_load_acquire(&r->head) > PC_RING - PC_BATCH)
			cpu_relax();
		c = get_cycles();
		for (j = 0; j < PC_BATCH; j++) {
			h = b_alloc(p->b, kind, 1);
			if (unlikely(!h)) {
				p->fails++;
				break;
			}
			if (kind == K_OURS && pc_inflight)
				pc_mark(p->b, h, true);
			r->slot[(tail + j) % PC_RING] = h;
		}
		if (j == PC_BATCH && p->ncyc[0] < PC_SAMPLES)
			p->cyc[0][p->ncyc[0]++] = get_cycles() - c;
		tail += j;
		/* Release: the slots are written before the consumer sees them. */
		smp_store_release(&r->tail, tail);
	}
	p->pt1 = ktime_get_ns();
	p->pc1 = get_cycles();
	/* Release: after the last ->tail. */
	smp_store_release(&r->done, 1);
}

static __always_inline void pc_consume(struct pc_pair *p, const enum kind kind)
{
	struct pc_ring *r = p->ring;
	unsigned long head = 0, tail, j;
	cycles_t c;
	int done;

	for (;;) {
		/* Acquire: pairs with the producer's release of ->tail. */
		tail = smp_load_acquire(&r->tail);
		if (tail == head) {
			/* Acquire: ->done is released after the last ->tail. */
			done = smp_load_acquire(&r->done);
			/* Acquire: so this ->tail is the last one. */
			if (done && smp_load_acquire(&r->tail) == head)
				break;
			cpu_relax();
			continue;
		}
		tail = min(tail, head + PC_BATCH);
		c = get_cycles();
		for (j = head; j != tail; j++) {
			if (kind == K_OURS && pc_inflight)
				pc_mark(p->b, r->slot[j % PC_RING], false);
			b_free(p->b, kind, r->slot[j % PC_RING], 1, &p->w);
		}
		if (tail - head == PC_BATCH && p->ncyc[1] < PC_SAMPLES)
			p->cyc[1][p->ncyc[1]++] = get_cycles() - c;
		head = tail;
		/* Release: the slots are read before the producer reuses them. */
		smp_store_release(&r->head, head);
	}
	p->pages = head;
	p->t1 = ktime_get_ns();
}

static int pc_thread(void *arg)
{
	struct pc_thr *t = arg;
	struct pc_pair *p = t->p;
	bool ours = p->b->kind == K_OURS;

	/* All threads start together; the last one sets the deadline. */
	if (atomic_inc_return(&pc_ready) == pc_nthreads) {
		WRITE_ONCE(pc_deadline, ktime_get_ns() + target_ns());
		atomic_set_release(&pc_go, 1);
	}
	while (!atomic_read_acquire(&pc_go))
		cpu_relax();
	if (!t->consumer && ours)
		pc_produce(p, K_OURS);
	else if (!t->consumer)
		pc_produce(p, K_PAGES);
	else if (ours)
		pc_consume(p, K_OURS);
	else
		pc_consume(p, K_PAGES);
	if (atomic_dec_and_test(&pc_left))
		complete(&pc_done);

	return b_wait_stop();
}

/* One figure: repetitions of wall ps per page, and ours' statistics. */
struct pcres {
	u64 rps[MAX_REPS];
	u64 ralloc[MAX_REPS], rfree[MAX_REPS], rbusy[MAX_REPS];
	unsigned int nr;
	u64 ps;				/* median ps per page handed over */
	u64 alloc_ps, free_ps;		/* median batch, per page, each side */
	u64 busy_ps;			/* the slower side's */
	unsigned long pages, fails, errors;
	u64 locks, refills, remote, slow, reclaims, fast_frees;
	bool done;
};

enum { PC_OURS, PC_PAGES, NPCKINDS };
static const enum kind pc_kind[NPCKINDS] = { K_OURS, K_PAGES };
static struct pcres pcr[NPCKINDS][PC_MAX_PAIRS];	/* [kind][pairs - 1] */

/*
 * One repetition with @npairs pairs: pair i produces on cpu_ids[2i] and
 * consumes on cpu_ids[2i + 1], all released together, producers stopping
 * at the same deadline; the consumers then drain their rings.
 */
static int pc_rep(struct bctx *b, unsigned int npairs, struct pcres *res)
{
	struct pc_thr thr[2 * PC_MAX_PAIRS];
	struct pcpu_pagecache_stats st0, st1;
	struct pc_pair *pairs;
	unsigned long pages = 0;
	unsigned int i, n = 2 * npairs;
	u64 tmin = U64_MAX, tmax = 0;
	int ret = 0;

	if (res->nr >= MAX_REPS)
		return 0;
	pairs = kcalloc(npairs, sizeof(*pairs), GFP_KERNEL);
	if (!pairs)
		return -ENOMEM;
	for (i = 0; i < npairs; i++) {
		pairs[i].b = b;
		pairs[i].ring = kzalloc(sizeof(*pairs[i].ring), GFP_KERNEL);
		pairs[i].cyc[0] = kvcalloc(PC_SAMPLES, sizeof(u64), GFP_KERNEL);
		pairs[i].cyc[1] = kvcalloc(PC_SAMPLES, sizeof(u64), GFP_KERNEL);
		if (!pairs[i].ring || !pairs[i].cyc[0] || !pairs[i].cyc[1])
			ret = -ENOMEM;
	}
	atomic_set(&pc_ready, 0);
	atomic_set(&pc_go, 0);
	atomic_set(&pc_left, n);
	pc_nthreads = n;
	reinit_completion(&pc_done);
	for (i = 0; i < n && !ret; i++) {
		struct pc_pair *p = &pairs[i / 2];

		thr[i] = (struct pc_thr){ p, i & 1 };
		p->task[i & 1] = kthread_create_on_cpu(pc_thread, &thr[i],
						       cpu_ids[i], "ppc_pc/%u");
		if (IS_ERR(p->task[i & 1])) {
			ret = PTR_ERR(p->task[i & 1]);
			p->task[i & 1] = NULL;
		}
	}
	if (ret) {
		for (i = 0; i < n; i++)
			if (pairs[i / 2].task[i & 1])
				kthread_stop(pairs[i / 2].task[i & 1]);
		goto out;
	}
	if (b->ppc)
		pcpu_pagecache_get_stats(b->ppc, &st0);
	for (i = 0; i < n; i++)
		wake_up_process(pairs[i / 2].task[i & 1]);
	wait_for_completion(&pc_done);
	for (i = 0; i < n; i++)
		kthread_stop(pairs[i / 2].task[i & 1]);

	for (i = 0; i < npairs; i++) {
		struct pc_pair *p = &pairs[i];
		u64 cycles = max_t(u64, p->pc1 - p->pc0, 1), side[2];
		unsigned int k;

		tmin = min(tmin, p->t0);
		tmax = max(tmax, p->t1);
		pages += p->pages;
		res->fails += p->fails;
		res->errors += p->w.errors;
		total_errors += p->w.errors;
		/*
		 * Each side's median full batch, per page, in ps at the rate
		 * of the producer's two clocks: what a page costs on each CPU
		 * when the host lets the batch run, whatever it does between.
		 */
		for (k = 0; k < 2; k++)
			side[k] = p->ncyc[k] ?
				mul_u64_u64_div_u64(median(p->cyc[k], p->ncyc[k]),
						    (p->pt1 - p->t0) * 1000,
						    cycles * PC_BATCH) : 0;
		res->ralloc[res->nr] += div_u64(side[0], npairs);
		res->rfree[res->nr] += div_u64(side[1], npairs);
		res->rbusy[res->nr] += div_u64(max(side[0], side[1]), npairs);
	}
	res->rps[res->nr++] = div64_u64((tmax - tmin) * 1000, max(pages, 1UL));
	res->pages += pages;
	if (b->ppc) {
		pcpu_pagecache_get_stats(b->ppc, &st1);
		res->locks += st1.lock_acquisitions - st0.lock_acquisitions;
		res->refills += st1.refills - st0.refills;
		res->remote += st1.free_remote - st0.free_remote;
		res->slow += st1.alloc_slow - st0.alloc_slow;
		res->reclaims += st1.reclaims - st0.reclaims;
		res->fast_frees += st1.free_fast - st0.free_fast;
	}
out:
	for (i = 0; i < npairs; i++) {
		kfree(pairs[i].ring);
		kvfree(pairs[i].cyc[0]);
		kvfree(pairs[i].cyc[1]);
	}
	kfree(pairs);
	return ret;
}

static int bench_prodcons(void)
{
	unsigned int k, r, np, maxp = min(ncpus / 2, (unsigned int)PC_MAX_PAIRS);
	struct bctx b;
	int ret = 0;

	if (!maxp)
		return 0;
	if (pc_check) {
		pc_inflight = bitmap_zalloc(SMALL_REGION >> PAGE_SHIFT, GFP_KERNEL);
		if (!pc_inflight)
			return -ENOMEM;
	}
	/* A warm-up round, thrown away, then the rounds. */
	for (r = 0; r <= nreps; r++) {
		for (k = 0; k < NPCKINDS; k++) {
			ret = region_open(&b, pc_kind[k], base, SMALL_REGION);
			if (ret)
				goto out;
			for (np = 1; np <= maxp && !ret; np++)
				ret = pc_rep(&b, np, &pcr[k][np - 1]);
			region_close(&b);
			if (ret)
				goto out;
			if (!r)
				for (np = 0; np < maxp; np++)
					pcr[k][np] = (struct pcres){};
		}
		if (r)
			pr_info("producer/consumer round %u of %u done\n", r,
				nreps);
	}
	for (k = 0; k < NPCKINDS; k++)
		for (np = 0; np < maxp; np++) {
			struct pcres *res = &pcr[k][np];

			res->ps = median_of(res->rps, res->nr);
			res->alloc_ps = median_of(res->ralloc, res->nr);
			res->free_ps = median_of(res->rfree, res->nr);
			res->busy_ps = median_of(res->rbusy, res->nr);
			res->done = true;
		}
out:
	bitmap_free(pc_inflight);
	pc_inflight = NULL;
	return ret;
}

/* ---- Results -------------------------------------------------------------------- */

#define NGSIZES		3
#define NGLEVELS	3
#define NGKINDS		3	/* ours, nocache, genalloc */
static const size_t gsize[NGSIZES] = { SZ_16M, SZ_256M, SZ_2G };
static const char *const gsize_name[NGSIZES] = { "16m", "256m", "2g" };
static const unsigned int glevel[NGLEVELS] = { 0, 50, 90 };

static struct meas single[NKINDS][NSINGLE];
static struct allcpu allc[NKINDS];
static struct meas grow[NGSIZES][NGLEVELS][NGKINDS][2];
static struct fill gfill[NGSIZES][NGLEVELS][NGKINDS];

/* Fixed point: @milli is the value times 1000; rounded to @dec decimals. */
static const char *fx(u64 milli, unsigned int dec)
{
	static char bufs[4][24];
	static unsigned int next;
	char *buf = bufs[next++ % ARRAY_SIZE(bufs)];
	static const unsigned int div[] = { 1000, 100, 10, 1 };
	u64 v;

	dec = min(dec, 3U);
	v = div64_u64(milli + div[dec] / 2, div[dec]);
	if (!dec)
		snprintf(buf, 24, "%llu", v);
	else
		snprintf(buf, 24, "%llu.%0*llu", div64_u64(v, 1000 / div[dec]),
			 (int)dec, v % (1000 / div[dec]));
	return buf;
}

/* "bench: <name> <value>", the name from @fmt. */
static __printf(3, 4) void outf(u64 milli, unsigned int dec,
				const char *fmt, ...)
{
	char name[80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	pr_info("bench: %s %s\n", name, fx(milli, dec));
}

/* A figure's @n repetitions in the order they ran: "<name>.run<k> <value>". */
static __printf(4, 5) void out_runs(const u64 *v, unsigned int n,
				    unsigned int dec, const char *fmt, ...)
{
	char name[80];
	unsigned int r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	for (r = 0; r < n; r++)
		pr_info("bench: %s.run%u %s\n", name, r, fx(v[r], dec));
}

/* How the run was set up: bench/ratios.py and bench/tables.py read these. */
static void print_setup(void)
{
	unsigned int i;

	outf(nreps * 1000ULL, 0, "reps");
	outf(LF_CHUNKS * 1000ULL, 0, "chunks");
	outf((SMALL_REGION >> 20) * 1000ULL, 0, "region_mib");
	outf(seed * 1000ULL, 0, "seed");
	outf(RUN_MAX * 1000ULL, 0, "run_max");
	outf(PC_BATCH * 1000ULL, 0, "pc_batch");
	outf(PC_RING * 1000ULL, 0, "pc_ring");
	outf(ncpus * 1000ULL, 0, "ncpus");
	for (i = 0; i < ncpus; i++)
		outf(cpu_ids[i] * 1000ULL, 0, "cpu%u_id", i);
}

/* A figure's allocations that returned nothing, when there were any. */
static void print_fails(const struct meas *m, const char *name)
{
	if (!m->fails)
		return;
	outf(m->fails * 1000ULL, 0, "%s_fails", name);
	outf(m->ops * 1000ULL, 0, "%s_pairs", name);
}

/* Ours' allocations the CPU cache served, and those that locked. */
static void print_hits(const struct meas *m, const char *name)
{
	outf(m->fast * 1000, 0, "%s_fast_allocs", name);
	outf(m->slow * 1000, 0, "%s_slow_allocs", name);
}

/* A figure's median, its runs, its cycles, its whole time, its failures. */
static void print_meas(const struct meas *m, const char *name)
{
	outf(m->ps, 1, "%s_ns", name);
	out_runs(m->rps, m->nr, 1, "%s_ns", name);
	outf(m->mcyc, 0, "%s_cycles", name);
	outf(m->wall, 1, "%s_whole_ns", name);
	print_fails(m, name);
}

static void print_single(void)
{
	unsigned int k, t;
	char name[64];

	for (k = 0; k < NKINDS; k++)
		for (t = 0; t < NSINGLE; t++) {
			struct meas *m = &single[k][t];

			snprintf(name, sizeof(name), "1cpu_%s_%s", test_name[t],
				 kind_name[k]);
			print_meas(m, name);
			if (k == K_OURS)
				print_hits(m, name);
		}
}

static void print_allcpu(void)
{
	unsigned int k, i;

	for (k = 0; k < NKINDS; k++) {
		const char *kn = kind_name[k];

		outf(allc[k].ps, 1, "allcpu_%s_ns", kn);
		out_runs(allc[k].rwall, allc[k].nr, 1, "allcpu_%s_ns", kn);
		for (i = 0; i < ncpus; i++)
			outf(allc[k].cpu_ps[i], 1, "allcpu_%s_cpu%u_ns", kn,
			     cpu_ids[i]);
	}
}

static void print_growth(void)
{
	unsigned int s, l, k, t;
	struct fill *f;
	char name[64];

	for (s = 0; s < NGSIZES; s++)
		for (l = 0; l < NGLEVELS; l++)
			for (k = 0; k < NGKINDS; k++)
				for (t = 0; t < 2; t++) {
					struct meas *m = &grow[s][l][k][t];

					if (!m->done)
						continue;
					snprintf(name, sizeof(name),
						 "growth_%s_%upct_%s_%s",
						 gsize_name[s], glevel[l],
						 kind_name[k], t ? "pair64" : "pair1");
					outf(m->ps, 1, "%s_ns", name);
					out_runs(m->rps, m->nr, 1, "%s_ns", name);
					outf(m->wall, 1, "%s_whole_ns", name);
					if (k == K_OURS)
						print_hits(m, name);
					print_fails(m, name);
				}
	for (s = 0; s < NGSIZES; s++)
		for (l = 1; l < NGLEVELS; l++)
			for (k = 0; k < NGKINDS; k++) {
				f = &gfill[s][l][k];
				if (!f->full)
					continue;
				snprintf(name, sizeof(name), "fill_%s_%upct_%s",
					 gsize_name[s], glevel[l], kind_name[k]);
				outf(f->nruns * 1000ULL, 0, "%s_runs", name);
				outf(f->full * 1000ULL, 0, "%s_full_pages", name);
				outf(f->used * 1000ULL, 0, "%s_used_pages", name);
				outf(f->ms * 1000ULL, 0, "%s_ms", name);
			}
}

static void print_ovh(void)
{
	unsigned int o;

	for (o = 0; o < NOVH; o++) {
		outf(ovh[o].ps, 1, "cost_%s_ns", ovh_name[o]);
		out_runs(ovh[o].rps, ovh[o].nr, 1, "cost_%s_ns", ovh_name[o]);
		outf(ovh[o].mcyc, 0, "cost_%s_cycles", ovh_name[o]);
	}
}

static void print_peers(void)
{
	unsigned int p;
	char name[64];

	for (p = 0; p < NPEERS; p++) {
		struct meas *m = &peers[p].m;

		if (!m->done)
			continue;
		/* peer_: ours is measured again here, beside them */
		snprintf(name, sizeof(name), "peer_pair1_%s", peer_name[p]);
		print_meas(m, name);
	}
}

static void print_bulk(void)
{
	static const char *const bname[NBULK] = { "single", "bulk" };
	unsigned int k;
	char name[64];

	for (k = 0; k < NBULK; k++) {
		struct meas *m = &bulkf[k].m;

		snprintf(name, sizeof(name), "1cpu_burst64_%s", bname[k]);
		print_meas(m, name);
	}
}

static void print_prodcons(void)
{
	unsigned int k, np;
	char name[64];

	for (k = 0; k < NPCKINDS; k++)
		for (np = 0; np < PC_MAX_PAIRS; np++) {
			struct pcres *res = &pcr[k][np];

			if (!res->done)
				continue;
			snprintf(name, sizeof(name), "prodcons_%s_%upair",
				 kind_name[pc_kind[k]], np + 1);
			outf(res->ps, 1, "%s_ns", name);
			out_runs(res->rps, res->nr, 1, "%s_ns", name);
			outf(res->alloc_ps, 1, "%s_alloc_ns", name);
			outf(res->free_ps, 1, "%s_free_ns", name);
			outf(res->busy_ps, 1, "%s_busy_ns", name);
			if (res->fails)
				outf(res->fails * 1000ULL, 0, "%s_fails", name);
			if (k != PC_OURS)
				continue;
			outf(res->locks * 1000, 0, "%s_locks", name);
			outf(res->refills * 1000, 0, "%s_refills", name);
			outf(res->remote * 1000, 0, "%s_remote_frees", name);
			outf(res->fast_frees * 1000, 0, "%s_fast_frees", name);
			outf(res->slow * 1000, 0, "%s_slow_allocs", name);
			outf(res->reclaims * 1000, 0, "%s_reclaims", name);
			outf(res->pages * 1000ULL, 0, "%s_pages", name);
		}
	if (pc_check)
		outf(atomic_read(&pc_bad) * 1000ULL, 0, "prodcons_check_bad");
}

/* ---- The run ----------------------------------------------------------------------- */

/*
 * Round r measures repetition r of every figure of every allocator in
 * turn, so that whatever else the host does at the time weighs on all of
 * them alike.  Each allocator owns the region only during its turn.
 */
static int bench_single_and_allcpu(void)
{
	unsigned int k, t, r;
	struct bctx b;
	int ret;

	/*
	 * A warm-up round first: calibration, and one repetition that is
	 * thrown away (the first ones after boot run slow).
	 */
	for (k = 0; k < NKINDS; k++) {
		ret = region_open(&b, k, base, SMALL_REGION);
		if (ret)
			return ret;
		for (t = 0; t < NSINGLE; t++) {
			meas_rep(&b, t, &single[k][t]);
			meas_forget(&single[k][t]);
		}
		region_close(&b);
	}

	for (r = 0; r < nreps; r++) {
		for (k = 0; k < NKINDS; k++) {
			ret = region_open(&b, k, base, SMALL_REGION);
			if (ret)
				return ret;
			for (t = 0; t < NSINGLE; t++)
				meas_rep(&b, t, &single[k][t]);
			ret = 0;
			if (sections & 2)
				ret = allcpu_rep(&b, single[k][T_PAIR1].iters,
						 &allc[k]);
			region_close(&b);
			if (ret)
				return ret;
		}
		pr_info("single-CPU and all-CPU round %u of %u done\n", r + 1,
			nreps);
	}
	for (k = 0; k < NKINDS; k++) {
		for (t = 0; t < NSINGLE; t++)
			meas_finish(&single[k][t]);
		allcpu_finish(&allc[k]);
	}
	return 0;
}

/* The same rounds, with a fresh fill of the region for every turn. */
static int bench_growth(void)
{
	unsigned int s, l, k, r;
	struct fill *f;
	struct bctx b;
	int ret;

	for (s = 0; s < NGSIZES; s++) {
		if (gsize[s] > size)
			continue;
		for (l = 0; l < NGLEVELS; l++) {
			for (r = 0; r < nreps; r++)
				for (k = 0; k < NGKINDS; k++) {
					f = &gfill[s][l][k];
					ret = region_open(&b, k, base, gsize[s]);
					if (ret)
						return ret;
					ret = fill_region(&b, glevel[l],
							  seed + 1000 * s + glevel[l], f);
					if (!ret) {
						meas_rep(&b, T_PAIR1, &grow[s][l][k][0]);
						meas_rep(&b, T_PAIR64, &grow[s][l][k][1]);
					}
					unfill_region(&b, f);
					region_close(&b);
					if (ret)
						return ret;
				}
			for (k = 0; k < NGKINDS; k++) {
				meas_finish(&grow[s][l][k][0]);
				meas_finish(&grow[s][l][k][1]);
			}
			pr_info("growth %s %u%% done\n", gsize_name[s], glevel[l]);
		}
	}
	return 0;
}

/* ---- Counted pairs: instructions and memory accesses ---------------------- */

/*
 * Section 128, for bench/count/run.sh: one warm pair of ours and of
 * page_pool, each between two marker instructions that the TCG plugin
 * bench/count/ppc_count_plugin.c counts between, exactly: instructions
 * executed, loads, stores.  A marker is a 7-byte NOP, nopl disp32(%rax),
 * whose disp32 names a begin or an end and a tag; on hardware it does
 * nothing.  Each bracket runs COUNT_REPS times in rounds: an interrupt or
 * a preemption inside one only makes that one larger (the plugin's
 * reader, bench/count/join.py, takes the smallest).  The module prints the
 * tags' names ("count_tag <n> <name>") and what the calibration brackets
 * must count.
 */
#define COUNT_BEGIN	0x50420000
#define COUNT_END	0x50450000
#define COUNT_REPS	7

/* @mark: COUNT_BEGIN or COUNT_END, or'ed with a tag; a constant. */
static __always_inline void count_mark(const u32 mark)
{
	asm volatile(".byte 0x0f, 0x1f, 0x80\n\t.long %c0"
		     : : "i" (mark) : "memory");
}

enum ctag {
	C_EMPTY = 1, C_CALIB, C_ATOMIC, C_OURS_PAIR, C_OURS_ALLOC, C_OURS_FREE,
	C_PP_PAIR, C_PP_ALLOC, C_PP_FREE, C_PP_BH_PAIR, NCTAGS
};

static const char *const ctag_name[NCTAGS] = {
	[C_EMPTY] = "empty", [C_CALIB] = "calib", [C_ATOMIC] = "atomic",
	[C_OURS_PAIR] = "ours_pair", [C_OURS_ALLOC] = "ours_alloc",
	[C_OURS_FREE] = "ours_free", [C_PP_PAIR] = "page_pool_pair",
	[C_PP_ALLOC] = "page_pool_alloc", [C_PP_FREE] = "page_pool_free",
	[C_PP_BH_PAIR] = "page_pool_bh_each_pair",
};

/*
 * Calibration: nothing, then 64 nops, 8 loads, 4 stores, a push and a pop
 * (a store and a load) and an add to memory (a load and a store): 79
 * instructions, 10 loads, 6 stores.  Then two atomic read-modify-writes,
 * to show how the plugin sees them (not checked).  The markers are in the
 * asm statement itself, so that no code of the compiler's comes between.
 */
#define COUNT_ASM_MARK(op)	".byte 0x0f, 0x1f, 0x80\n\t.long %c[" op "]\n\t"

static noinline void count_calib(unsigned long *p)
{
	count_mark(COUNT_BEGIN | C_EMPTY);
	count_mark(COUNT_END | C_EMPTY);

	asm volatile(COUNT_ASM_MARK("b")
		     ".rept 64\n\tnop\n\t.endr\n\t"
		     ".rept 8\n\tmov (%[p]), %%rax\n\t.endr\n\t"
		     ".rept 4\n\tmov %%rax, 8(%[p])\n\t.endr\n\t"
		     "push %%rax\n\tpop %%rax\n\t"
		     "addq $1, 16(%[p])\n\t"
		     COUNT_ASM_MARK("e")
		     : : [p] "r" (p), [b] "i" (COUNT_BEGIN | C_CALIB),
		       [e] "i" (COUNT_END | C_CALIB)
		     : "rax", "memory");

	asm volatile(COUNT_ASM_MARK("b")
		     "lock incq 24(%[p])\n\txchg %%rax, 32(%[p])\n\t"
		     COUNT_ASM_MARK("e")
		     : : [p] "r" (p), [b] "i" (COUNT_BEGIN | C_ATOMIC),
		       [e] "i" (COUNT_END | C_ATOMIC)
		     : "rax", "memory");
}

/* ours: the pair, then the same with each call bracketed alone. */
static noinline int count_ours(struct pcpu_pagecache *pool)
{
	phys_addr_t a;
	int ret = -ENOMEM;

	count_mark(COUNT_BEGIN | C_OURS_PAIR);
	a = pcpu_pagecache_alloc_page(pool);
	if (likely(a))
		ret = pcpu_pagecache_free_page(pool, a);
	count_mark(COUNT_END | C_OURS_PAIR);
	if (ret)
		return ret;

	count_mark(COUNT_BEGIN | C_OURS_ALLOC);
	a = pcpu_pagecache_alloc_page(pool);
	count_mark(COUNT_END | C_OURS_ALLOC);
	if (!a)
		return -ENOMEM;
	count_mark(COUNT_BEGIN | C_OURS_FREE);
	ret = pcpu_pagecache_free_page(pool, a);
	count_mark(COUNT_END | C_OURS_FREE);
	return ret;
}

/* page_pool, as loop_pp() runs it: the caller has disabled BH. */
static noinline int count_pp(struct page_pool *pp)
{
	struct page *p;

	count_mark(COUNT_BEGIN | C_PP_PAIR);
	p = page_pool_alloc_pages(pp, GFP_ATOMIC | __GFP_NOWARN);
	if (likely(p))
		page_pool_recycle_direct(pp, p);
	count_mark(COUNT_END | C_PP_PAIR);
	if (!p)
		return -ENOMEM;

	count_mark(COUNT_BEGIN | C_PP_ALLOC);
	p = page_pool_alloc_pages(pp, GFP_ATOMIC | __GFP_NOWARN);
	count_mark(COUNT_END | C_PP_ALLOC);
	if (!p)
		return -ENOMEM;
	count_mark(COUNT_BEGIN | C_PP_FREE);
	page_pool_recycle_direct(pp, p);
	count_mark(COUNT_END | C_PP_FREE);
	return 0;
}

/* page_pool as loop_pp_bh() runs it: BH disabled around the pair. */
static noinline int count_pp_bh(struct page_pool *pp)
{
	struct page *p;

	count_mark(COUNT_BEGIN | C_PP_BH_PAIR);
	local_bh_disable();
	p = page_pool_alloc_pages(pp, GFP_ATOMIC | __GFP_NOWARN);
	if (likely(p))
		page_pool_recycle_direct(pp, p);
	local_bh_enable();
	count_mark(COUNT_END | C_PP_BH_PAIR);
	return p ? 0 : -ENOMEM;
}

static int bench_count(void)
{
	static unsigned long calib_words[8];
	struct pcpu_pagecache *pool = pcpu_pagecache_default();
	struct page_pool *pp;
	unsigned int r, t;
	int ret = 0;

	if (IS_ERR_OR_NULL(pool)) {
		pr_err("count: no default pool\n");
		return pool ? PTR_ERR(pool) : -ENODEV;
	}
	pp = peer_pp_create();
	if (IS_ERR(pp)) {
		pr_err("page_pool_create(): %ld\n", PTR_ERR(pp));
		return PTR_ERR(pp);
	}
	for (t = 1; t < NCTAGS; t++)
		pr_info("count_tag %u %s\n", t, ctag_name[t]);
	outf(COUNT_REPS * 1000, 0, "count_reps");
	outf(0, 0, "count_empty_expect_insns");
	outf(0, 0, "count_empty_expect_loads");
	outf(0, 0, "count_empty_expect_stores");
	outf(79 * 1000, 0, "count_calib_expect_insns");
	outf(10 * 1000, 0, "count_calib_expect_loads");
	outf(6 * 1000, 0, "count_calib_expect_stores");

	/* Round 0 warms: the window filled, page_pool's cache refilled. */
	for (r = 0; r <= COUNT_REPS && !ret; r++) {
		count_calib(calib_words);
		ret = count_ours(pool);
		if (ret)
			break;
		local_bh_disable();
		ret = count_pp(pp);
		local_bh_enable();
		if (!ret)
			ret = count_pp_bh(pp);
	}
	if (ret) {
		pr_err("count: a pair failed: %d\n", ret);
		total_errors++;
	}
	page_pool_destroy(pp);
	pr_info("count section done\n");
	return ret;
}

static int bench_status;
static DECLARE_COMPLETION(main_done);

static int bench_main(void *unused)
{
	u64 t0 = ktime_get_ns(), s = seed;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mixed_sz); i++) {
		mixed_sz[i] = 1 + rng_below(&s, 15);
		large_sz[i] = 16 + rng_below(&s, 512 - 16 + 1);
	}

	if (sections & 8)
		for (i = 0; i < NOVH; i++)
			measure_ovh(i, &ovh[i]);
	if (sections & 1)
		bench_status = bench_single_and_allcpu();
	if (!bench_status && (sections & 4))
		bench_status = bench_growth();
	if (!bench_status && (sections & 16))
		bench_status = bench_peers();
	if (!bench_status && (sections & 64))
		bench_status = bench_bulk();
	/* Last: a free the pool refuses leaves the region claimed. */
	if (!bench_status && (sections & 32))
		bench_status = bench_prodcons();
	if (!bench_status && (sections & 128))
		bench_status = bench_count();

	print_setup();
	if (sections & 1)
		print_single();
	if ((sections & 3) == 3)
		print_allcpu();
	if (sections & 4)
		print_growth();
	if (sections & 8)
		print_ovh();
	if (sections & 16)
		print_peers();
	if (sections & 32)
		print_prodcons();
	if (sections & 64)
		print_bulk();
	outf(total_errors * 1000, 0, "errors");
	pr_info("bench: seconds %llu\n", div_u64(ktime_get_ns() - t0, NSEC_PER_SEC));
	if (bench_status)
		pr_err("stopped early: %d\n", bench_status);
	else
		pr_info("bench: done 1\n");

	complete(&main_done);
	return b_wait_stop();
}

static int __init bench_init(void)
{
	struct task_struct *task;
	unsigned int cpu, i = 0;
	int ret;

	if (!reps || reps > MAX_REPS || !target_ms) {
		pr_err("reps must be 1..%u and target_ms > 0\n", MAX_REPS);
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(base) || size < SMALL_REGION || !PAGE_ALIGNED(size)) {
		pr_err("base and size must be page aligned and size at least %u MiB\n",
		       SMALL_REGION >> 20);
		return -EINVAL;
	}
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("[%#lx, +%#lx) is System RAM: boot with memmap=%luM$%#lx\n",
		       base, size, size >> 20, base);
		return -EINVAL;
	}
	nreps = reps;

	cpus_read_lock();
	ncpus = num_online_cpus();
	cpu_ids = kcalloc(ncpus, sizeof(*cpu_ids), GFP_KERNEL);
	if (cpu_ids)
		for_each_online_cpu(cpu)
			if (i < ncpus)
				cpu_ids[i++] = cpu;
	cpus_read_unlock();
	if (!cpu_ids)
		return -ENOMEM;
	ncpus = i;
	for (i = 0; i < NKINDS; i++) {
		allc[i].cpu_ps = kcalloc(ncpus, sizeof(u64), GFP_KERNEL);
		allc[i].rcpu = kcalloc(ncpus * MAX_REPS, sizeof(u64), GFP_KERNEL);
		if (!allc[i].cpu_ps || !allc[i].rcpu) {
			ret = -ENOMEM;
			goto err;
		}
	}

	task = kthread_create(bench_main, NULL, "ppc_bench");
	if (IS_ERR(task)) {
		ret = PTR_ERR(task);
		goto err;
	}
	kthread_bind(task, cpu_ids[0]);
	wake_up_process(task);
	/* Waking up now and then keeps the hung-task detector quiet. */
	while (!wait_for_completion_timeout(&main_done, 10 * HZ))
		;
	kthread_stop(task);
	return 0;

err:
	for (i = 0; i < NKINDS; i++) {
		kfree(allc[i].cpu_ps);
		kfree(allc[i].rcpu);
	}
	kfree(cpu_ids);
	return ret;
}
module_init(bench_init);

static void __exit bench_exit(void)
{
	unsigned int i;

	for (i = 0; i < NKINDS; i++) {
		kfree(allc[i].cpu_ps);
		kfree(allc[i].rcpu);
	}
	kfree(cpu_ids);
}
module_exit(bench_exit);

MODULE_DESCRIPTION("Benchmark of pcpu_pagecache against genalloc and alloc_pages");
MODULE_AUTHOR("pcpu_pagecache developers");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * test_pcpu_pagecache: in-kernel tests of pcpu_pagecache, driven through
 * debugfs.  It uses only the symbols pcpu_pagecache exports.
 *
 * /sys/kernel/debug/test_pcpu_pagecache/
 *   list      the names of the tests, one a line
 *   run       write a test name to run it in the writer's context: the
 *             write returns the byte count if it passed, -errno if not
 *             (-EINVAL: no such test, -EIO: a check failed, details in
 *             dmesg).  Besides the tests it takes these actions:
 *               warm_all      give every online CPU a cache window in
 *                             the default pool (an alloc and a free each)
 *               default_alloc:N   allocate N pages of the default pool
 *                             and free them (-ENOMEM if the alloc fails)
 *               default_bad_free  free 16 pages of the default pool
 *                             twice: passes if the second free is refused
 *               default_exhaust   take every page of the default pool on
 *                             the first online CPU, fail one more
 *                             allocation, give everything back
 *               default_exhaust_warm  the same from the last online CPU
 *                             without a drain, after every online CPU
 *                             took a window: reclaim brings them back
 *               numa_local    on a guest with two NUMA nodes: the first
 *                             online CPU of each node takes every page of
 *                             a 64 MiB pool from the page allocator, then
 *                             of the default pool (a reserved range that
 *                             spans the nodes): its node's pages must all
 *                             come first, then the other node's
 *               fault_create:MODE  create a pool "fault" of 8 MiB from
 *                             the page allocator (MODE 0) or at resv_base
 *                             (MODE 1), allocate and free a page in the
 *                             writer's context, destroy it; the write
 *                             fails with create's error.  For fault
 *                             injection (pcpu_pagecache_fault.sh).
 *               stress_start  start the stress actors on pool "stress"
 *               stress_stop   stop them, free all, check: the verdict
 *               stress:SECS   the stress test for SECS seconds
 *   workload  write "start" to start one allocating thread per online CPU
 *             on the default pool, "stop" to stop them (-EIO if a check
 *             failed); read it for the counters.
 *   snapshot  the default pool's stats, taken under stop_machine(): exact
 *             while the workload runs, unlike the pool's own stats file.
 *   stress_snapshot  the same for the stress pool, while it exists.
 *
 * The tests create their pools on [resv_base, resv_base + resv_size), a
 * range reserved with memmap= and not used by anything else, and from the
 * page allocator (base 0).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stop_machine.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "pcpu_pagecache.h"

static unsigned long long resv_base = 0x34000000;
module_param(resv_base, ullong, 0444);
MODULE_PARM_DESC(resv_base, "physical base of the reserved range the tests create pools on");

static unsigned long long resv_size = 0x4000000;
module_param(resv_size, ullong, 0444);
MODULE_PARM_DESC(resv_size, "size of that range (at least 32 MiB)");

static unsigned int stress_secs = 60;
module_param(stress_secs, uint, 0644);
MODULE_PARM_DESC(stress_secs, "duration of the stress test in seconds");

static unsigned int stress_timer_us = 100;
module_param(stress_timer_us, uint, 0644);
MODULE_PARM_DESC(stress_timer_us, "period of the stress hardirq timers in microseconds");

#define SZ_POOL		(8UL << 20)	/* 2048 pages, two chunks */
#define CHUNK_BYTES	(PCPU_PAGECACHE_CHUNK_PAGES * PAGE_SIZE)
#define WINDOW		PCPU_PAGECACHE_WINDOW_PAGES

/* ------------------------------------------------------------------ */
/* Checks                                                             */

static bool tp_check(bool ok, const char *expr, const char *func, int line)
{
	if (!ok)
		pr_err("%s:%d (%s): check failed: %s\n",
		       kbasename(__FILE__), line, func, expr);
	return ok;
}

static bool tp_check_eq(s64 a, s64 b, const char *ea, const char *eb,
			const char *func, int line)
{
	if (a == b)
		return true;
	pr_err("%s:%d (%s): check failed: %s == %s (%lld != %lld)\n",
	       kbasename(__FILE__), line, func, ea, eb, a, b);
	return false;
}

/* Log the failed expression with file:line; true if it holds. */
#define CHECK(cond)	tp_check(!!(cond), #cond, __func__, __LINE__)
#define CHECK_EQ(a, b)	tp_check_eq((s64)(a), (s64)(b), #a, #b, __func__, __LINE__)

/* ------------------------------------------------------------------ */
/* Stats snapshots                                                    */

/* ST_<name>: a stat's index, in the order of PCPU_PAGECACHE_STATS(). */
#define ST_INDEX(n)	ST_##n,
enum { PCPU_PAGECACHE_STATS(ST_INDEX) ST_N };
#undef ST_INDEX

#define ST_NAME(n)	__stringify(n),
static const char * const st_names[ST_N] = { PCPU_PAGECACHE_STATS(ST_NAME) };
#undef ST_NAME

#define ST_OFF(n)	offsetof(struct pcpu_pagecache_stats, n),
static const size_t st_offs[ST_N] = { PCPU_PAGECACHE_STATS(ST_OFF) };
#undef ST_OFF

/* In an expected delta: this field is not checked. */
#define ST_ANY	S64_MIN
/* Delimiters of a list of (field, expected delta) pairs. */
#define ST_BEGIN	(-2)
#define ST_END		(-1)

struct snap {
	s64 v[ST_N];
};

struct snap_req {
	struct pcpu_pagecache *pool;
	struct pcpu_pagecache_stats *st;
};

static int snap_stopped(void *arg)
{
	struct snap_req *r = arg;

	pcpu_pagecache_get_stats(r->pool, r->st);
	return 0;
}

/*
 * pcpu_pagecache_get_stats() is exact only on a quiet pool.  Under
 * stop_machine() every CPU is outside its sections (they run with
 * preemption off) and outside the lock, so the snapshot is exact even
 * while the stress actors run.
 */
static void snap_take(struct pcpu_pagecache *pool, struct snap *s)
{
	struct pcpu_pagecache_stats st;
	struct snap_req r = { pool, &st };
	unsigned int i;

	memset(&st, 0, sizeof(st));
	stop_machine(snap_stopped, &r, NULL);
	for (i = 0; i < ST_N; i++)
		s->v[i] = *(const s64 *)((const char *)&st + st_offs[i]);
}

static bool snap_invariant(const struct snap *s, const char *what, int line)
{
	if (s->v[ST_pages_total] == s->v[ST_pages_free] + s->v[ST_pages_cached] +
			     s->v[ST_pages_inuse] + s->v[ST_pages_leaked])
		return true;
	pr_err("line %d, %s: pages_total %lld != pages_free %lld + pages_cached %lld + pages_inuse %lld + pages_leaked %lld\n",
	       line, what, s->v[ST_pages_total], s->v[ST_pages_free], s->v[ST_pages_cached],
	       s->v[ST_pages_inuse], s->v[ST_pages_leaked]);
	return false;
}

/*
 * Compare two snapshots: every field must have moved by exactly what
 * @pairs says (a list of field, delta pairs between ST_BEGIN and ST_END;
 * 0 for a field not listed, ST_ANY: not checked), and the invariant must
 * hold.
 */
static bool snap_delta(const struct snap *a, const struct snap *b,
		       const s64 *pairs, const char *what, int line)
{
	s64 expect[ST_N] = {};
	bool ok = true;
	int i;

	for (i = 1; pairs[i] != ST_END; i += 2)
		expect[pairs[i]] = pairs[i + 1];

	for (i = 0; i < ST_N; i++) {
		s64 d = b->v[i] - a->v[i];

		if (expect[i] == ST_ANY || d == expect[i])
			continue;
		pr_err("line %d, %s: %s moved by %lld, expected %lld (%lld -> %lld)\n",
		       line, what, st_names[i], d, expect[i], a->v[i], b->v[i]);
		ok = false;
	}
	return snap_invariant(b, what, line) && ok;
}

#define ST_PAIRS(...)	((const s64[]) { ST_BEGIN, ##__VA_ARGS__, ST_END })
#define DELTA(a, b, what, ...) \
	snap_delta(a, b, ST_PAIRS(__VA_ARGS__), what, __LINE__)
#define INVARIANT(s, what)	snap_invariant(s, what, __LINE__)

/* A pool with nothing handed out: every page free in the bitmaps or caches. */
static bool snap_idle(const struct snap *s, const char *what, int line)
{
	bool ok = snap_invariant(s, what, line);

	if (s->v[ST_pages_inuse] || s->v[ST_pages_leaked] ||
	    s->v[ST_pages_free] + s->v[ST_pages_cached] != s->v[ST_pages_total]) {
		pr_err("line %d, %s: not idle: total %lld free %lld cached %lld inuse %lld leaked %lld\n",
		       line, what, s->v[ST_pages_total], s->v[ST_pages_free],
		       s->v[ST_pages_cached], s->v[ST_pages_inuse], s->v[ST_pages_leaked]);
		ok = false;
	}
	return ok;
}

#define IDLE(s, what)	snap_idle(s, what, __LINE__)

/* ------------------------------------------------------------------ */
/* Pools                                                              */

struct tpool {
	struct pcpu_pagecache *pool;
	phys_addr_t base;		/* 0: built from the page allocator */
	size_t size;
	unsigned long npages;		/* pages_total */
};

/*
 * Each test works in a 32 MiB window of the reserved range.  A test that
 * fails may leave a pool with pages in use, whose range pcpu_pagecache then
 * keeps claimed: the next test moves on to a window that is still free.
 */
#define TEST_SPAN	(32UL << 20)

static unsigned long resv_shift;

static int resv_pick(void)
{
	unsigned long off;

	for (off = 0; off + TEST_SPAN <= resv_size; off += SZ_POOL) {
		if (!request_mem_region(resv_base + off, TEST_SPAN, KBUILD_MODNAME))
			continue;
		release_mem_region(resv_base + off, TEST_SPAN);
		if (off != resv_shift)
			pr_info("tests now use [%#llx +%#lx]: the range below is still claimed\n",
				resv_base + off, TEST_SPAN);
		resv_shift = off;
		return 0;
	}
	pr_err("no free %lu MiB left in the reserved range: earlier failures keep it claimed\n",
	       TEST_SPAN >> 20);
	return -EBUSY;
}

static phys_addr_t resv(unsigned long off)
{
	return resv_base + resv_shift + off;
}

static int tpool_create(struct tpool *tp, const char *name, phys_addr_t base,
			size_t size, unsigned int flags)
{
	struct pcpu_pagecache *pool;
	struct snap s;

	memset(tp, 0, sizeof(*tp));
	if (base && (base < resv_base || base + size > resv_base + resv_size)) {
		pr_err("pool %s [%pa +%zu] is outside resv_base/resv_size\n",
		       name, &base, size);
		return -EINVAL;
	}
	if (flags)
		pool = pcpu_pagecache_create_flags(name, base, size, flags);
	else
		pool = pcpu_pagecache_create(name, base, size);
	if (IS_ERR_OR_NULL(pool)) {
		pr_err("creating pool %s [%pa +%zu] flags %#x failed: %ld\n",
		       name, &base, size, flags, PTR_ERR(pool));
		return -EIO;
	}
	tp->pool = pool;
	tp->base = base;
	tp->size = size;
	snap_take(pool, &s);
	tp->npages = s.v[ST_pages_total];
	if (!CHECK_EQ(s.v[ST_pages_total], size >> PAGE_SHIFT) ||
	    !DELTA(&(struct snap){}, &s, "new pool",
		   ST_pages_total, size >> PAGE_SHIFT,
		   ST_pages_free, size >> PAGE_SHIFT)) {
		pcpu_pagecache_destroy(pool);
		tp->pool = NULL;
		return -EIO;
	}
	return 0;
}

static void tpool_destroy(struct tpool *tp)
{
	if (tp->pool)
		pcpu_pagecache_destroy(tp->pool);
	tp->pool = NULL;
}

/* @addr is the start of @n pages of @tp: aligned, inside, contiguous VAs. */
static bool tpool_run_ok(struct tpool *tp, phys_addr_t addr, unsigned int n)
{
	char *va0;
	unsigned int i;

	if (!CHECK(addr) || !CHECK(PAGE_ALIGNED(addr)))
		goto bad;
	if (tp->base &&
	    !CHECK(addr >= tp->base && addr + (u64)n * PAGE_SIZE <= tp->base + tp->size))
		goto bad;
	va0 = pcpu_pagecache_va(tp->pool, addr);
	if (!CHECK(va0))
		goto bad;
	for (i = 1; i < n; i++) {
		char *va = pcpu_pagecache_va(tp->pool, addr + (u64)i * PAGE_SIZE);

		if (!CHECK(va == va0 + (size_t)i * PAGE_SIZE)) {
			pr_err("run %pa +%u: page %u is %s, %ld bytes from the first\n",
			       &addr, n, i, va ? "mapped" : "not mapped",
			       (long)(va - va0));
			goto bad;
		}
	}
	return true;
bad:
	pr_err("bad run %pa of %u pages in pool [%pa +%zu]\n",
	       &addr, n, &tp->base, tp->size);
	return false;
}

/* ------------------------------------------------------------------ */
/* Running operations on a given CPU                                  */

enum { OP_ALLOC, OP_FREE };

struct oncpu {
	struct pcpu_pagecache *pool;
	int op;
	phys_addr_t *addrs;
	unsigned int count;
	unsigned int n;
	int ret;
};

/*
 * Single pages go through the single-page entries, as they do for a client
 * that passes a constant 1; t_page_entries() tests the general entries
 * with one page against them.
 */
static long oncpu_fn(void *arg)
{
	struct oncpu *o = arg;
	unsigned int i;
	int r;

	for (i = 0; i < o->count; i++) {
		if (o->op == OP_ALLOC) {
			o->addrs[i] = o->n == 1 ?
				pcpu_pagecache_alloc_page(o->pool) :
				__pcpu_pagecache_alloc(o->pool, o->n);
			if (!o->addrs[i]) {
				o->ret = -ENOMEM;
				break;
			}
		} else {
			r = o->n == 1 ?
				pcpu_pagecache_free_page(o->pool, o->addrs[i]) :
				__pcpu_pagecache_free(o->pool, o->addrs[i], o->n);
			if (r && !o->ret)
				o->ret = r;
		}
		if ((i & 1023) == 1023)
			cond_resched();
	}
	return 0;
}

/* Run @fn(@arg) in a worker bound to @cpu; -ENODEV if @cpu is offline. */
static int run_on(int cpu, long (*fn)(void *), void *arg)
{
	long r = work_on_cpu_safe(cpu, fn, arg);

	if (r == -ENODEV)
		pr_err("cpu%d is offline\n", cpu);
	return r;
}

/* @count allocations of @n pages on @cpu: 0, or -ENOMEM if one failed. */
static int alloc_on(int cpu, struct pcpu_pagecache *pool, phys_addr_t *addrs,
		    unsigned int count, unsigned int n)
{
	struct oncpu o = { pool, OP_ALLOC, addrs, count, n, 0 };
	int r = run_on(cpu, oncpu_fn, &o);

	return r ?: o.ret;
}

/* @count frees of @n pages on @cpu: the first non-zero return, or 0. */
static int free_on(int cpu, struct pcpu_pagecache *pool, phys_addr_t *addrs,
		   unsigned int count, unsigned int n)
{
	struct oncpu o = { pool, OP_FREE, addrs, count, n, 0 };
	int r = run_on(cpu, oncpu_fn, &o);

	return r ?: o.ret;
}

static phys_addr_t alloc1_on(int cpu, struct pcpu_pagecache *pool,
			     unsigned int n)
{
	phys_addr_t a = 0;

	if (alloc_on(cpu, pool, &a, 1, n))
		return 0;
	return a;
}

static int free1_on(int cpu, struct pcpu_pagecache *pool, phys_addr_t a,
		    unsigned int n)
{
	return free_on(cpu, pool, &a, 1, n);
}

/* Two distinct online CPUs. */
static int two_cpus(int *a, int *b)
{
	*a = cpumask_first(cpu_online_mask);
	*b = cpumask_next(*a, cpu_online_mask);
	if (*b >= nr_cpu_ids) {
		pr_err("this test needs two online CPUs\n");
		return -EIO;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Exhaustion: take every page of a pool once, on one CPU             */

struct prun {
	phys_addr_t addr;
	unsigned int n;
};

struct exh {
	struct tpool *tp;
	bool mix;
	struct prun *runs;
	unsigned long nruns;
	unsigned long pages;
	unsigned long fails;	/* allocations that returned 0 */
	int err;
};

static const unsigned int mix_sizes[] = {
	1, 3, 16, 64, 7, 200, 15, 1024, 2, 33, 512, 9, 65, 1, 1, 100,
};

static long exh_take_fn(void *arg)
{
	struct exh *x = arg;
	bool singles = !x->mix;
	unsigned int k = 0, n;
	phys_addr_t a;

	for (;;) {
		if (x->nruns == x->tp->npages + 1) {
			x->err = -E2BIG;	/* more pages than the pool has */
			break;
		}
		n = singles ? 1 : mix_sizes[k++ % ARRAY_SIZE(mix_sizes)];
		a = pcpu_pagecache_alloc(x->tp->pool, n);
		if (!a) {
			x->fails++;
			if (singles)
				break;
			singles = true;
			continue;
		}
		x->runs[x->nruns].addr = a;
		x->runs[x->nruns].n = n;
		x->nruns++;
		x->pages += n;
		if ((x->nruns & 255) == 0)
			cond_resched();
	}
	return 0;
}

static long exh_release_fn(void *arg)
{
	struct exh *x = arg;
	unsigned long i;
	int r;

	for (i = 0; i < x->nruns; i++) {
		r = pcpu_pagecache_free(x->tp->pool, x->runs[i].addr,
					x->runs[i].n);
		if (r && !x->err) {
			pr_err("freeing %pa +%u: %d\n", &x->runs[i].addr,
			       x->runs[i].n, r);
			x->err = r;
		}
		if ((i & 255) == 255)
			cond_resched();
	}
	x->nruns = 0;
	x->pages = 0;
	return 0;
}

static int cmp_phys(const void *a, const void *b)
{
	phys_addr_t x = *(const phys_addr_t *)a, y = *(const phys_addr_t *)b;

	return x < y ? -1 : x > y;
}

/* Every page handed out by @x is in the pool, and none twice. */
static bool exh_distinct(struct exh *x)
{
	phys_addr_t *pages;
	unsigned long i, j, k = 0;
	bool ok = true;

	pages = kvmalloc_array(x->pages ?: 1, sizeof(*pages), GFP_KERNEL);
	if (!CHECK(pages))
		return false;
	for (i = 0; i < x->nruns && ok; i++) {
		ok = tpool_run_ok(x->tp, x->runs[i].addr, x->runs[i].n);
		for (j = 0; j < x->runs[i].n; j++)
			pages[k++] = x->runs[i].addr + j * PAGE_SIZE;
	}
	if (ok) {
		sort(pages, k, sizeof(*pages), cmp_phys, NULL);
		for (i = 1; i < k; i++) {
			if (pages[i] == pages[i - 1]) {
				pr_err("page %pa handed out twice\n", &pages[i]);
				ok = false;
				break;
			}
		}
	}
	kvfree(pages);
	return ok;
}

static int exh_init(struct exh *x, struct tpool *tp, bool mix)
{
	memset(x, 0, sizeof(*x));
	x->tp = tp;
	x->mix = mix;
	x->runs = kvcalloc(tp->npages + 1, sizeof(*x->runs), GFP_KERNEL);
	return x->runs ? 0 : -ENOMEM;
}

static void exh_fini(struct exh *x)
{
	kvfree(x->runs);
	x->runs = NULL;
}

/*
 * Drain the caches, then take every page on @cpu (with single pages, or a
 * mix of sizes then single pages): exactly pages_total pages, each once,
 * then 0.  Leaves the pages taken in @x.
 */
static int exh_take(struct exh *x, int cpu)
{
	struct pcpu_pagecache *pool = x->tp->pool;
	struct snap s0, s1, s2;
	phys_addr_t a;

	pcpu_pagecache_drain(pool);
	snap_take(pool, &s0);
	if (!CHECK_EQ(s0.v[ST_pages_cached], 0) || !CHECK_EQ(s0.v[ST_pages_leaked], 0))
		return -EIO;
	if (run_on(cpu, exh_take_fn, x) || !CHECK_EQ(x->err, 0))
		return -EIO;
	snap_take(pool, &s1);
	if (!CHECK_EQ(x->pages, x->tp->npages) ||
	    !CHECK_EQ(x->pages, s0.v[ST_pages_free]) ||
	    !DELTA(&s0, &s1, "exhaustion",
		   ST_pages_free, -(s64)x->pages, ST_pages_inuse, x->pages,
		   ST_alloc_fast, ST_ANY, ST_alloc_slow, ST_ANY,
		   ST_alloc_fail, x->fails, ST_refills, ST_ANY,
		   ST_flushes, ST_ANY, ST_lock_acquisitions, ST_ANY, ST_reclaims, ST_ANY))
		return -EIO;
	if (!exh_distinct(x))
		return -EIO;

	/* One more: nothing left, and the failure is counted. */
	a = alloc1_on(cpu, pool, 1);
	snap_take(pool, &s2);
	if (!CHECK_EQ(a, 0) ||
	    !DELTA(&s1, &s2, "alloc from an exhausted pool", ST_alloc_fail, 1,
		   ST_alloc_slow, ST_ANY, ST_refills, ST_ANY,
		   ST_flushes, ST_ANY, ST_lock_acquisitions, ST_ANY, ST_reclaims, 1))
		return -EIO;
	return 0;
}

/* Give back everything @x holds, on @cpu; the pool is then idle. */
static int exh_release(struct exh *x, int cpu)
{
	struct snap s;

	if (run_on(cpu, exh_release_fn, x) || !CHECK_EQ(x->err, 0))
		return -EIO;
	snap_take(x->tp->pool, &s);
	return IDLE(&s, "after giving every page back") ? 0 : -EIO;
}

/* A full exhaustion pass: proves the pool hands out every page once. */
static int exhaust_check(struct tpool *tp, int cpu, bool mix)
{
	struct exh x;
	int ret;

	if (exh_init(&x, tp, mix))
		return -ENOMEM;
	ret = exh_take(&x, cpu);
	if (exh_release(&x, cpu))
		ret = -EIO;
	exh_fini(&x);
	if (ret)
		pr_err("exhaustion pass (%s) on pool [%pa +%zu] failed\n",
		       mix ? "mixed sizes" : "single pages", &tp->base,
		       tp->size);
	return ret;
}

/* ------------------------------------------------------------------ */
/* API tests                                                          */

static int t_api_single_page(void)
{
	const unsigned int count = 1500;	/* of 2048: caches may hold some */
	struct tpool tp = {};
	struct exh x = {};
	struct snap s0, s1;
	int mode, ret = -EIO;
	unsigned long i;

	for (mode = 0; mode < 2; mode++) {
		ret = tpool_create(&tp, "t_single", mode ? 0 : resv(0),
				   SZ_POOL, 0);
		if (ret)
			return ret;
		ret = -EIO;
		if (exh_init(&x, &tp, false))
			goto out;
		snap_take(tp.pool, &s0);
		/* From the writer's context: it may migrate, that is fine. */
		for (i = 0; i < count; i++) {
			x.runs[i].addr = pcpu_pagecache_alloc(tp.pool, 1);
			x.runs[i].n = 1;
			if (!CHECK(x.runs[i].addr))
				goto out;
			x.nruns++;
			x.pages++;
		}
		if (!exh_distinct(&x))
			goto out;
		snap_take(tp.pool, &s1);
		if (!CHECK_EQ(s1.v[ST_pages_inuse], count) ||
		    !CHECK_EQ(s1.v[ST_alloc_fast] + s1.v[ST_alloc_slow], count) ||
		    !CHECK_EQ(s1.v[ST_alloc_fail], 0) || !INVARIANT(&s1, "allocated"))
			goto out;
		for (i = 0; i < count; i++)
			if (!CHECK_EQ(pcpu_pagecache_free(tp.pool, x.runs[i].addr, 1), 0))
				goto out;
		x.nruns = 0;
		snap_take(tp.pool, &s1);
		if (!IDLE(&s1, "freed") ||
		    !CHECK_EQ(s1.v[ST_free_fast] + s1.v[ST_free_slow] +
			      s1.v[ST_free_remote], count) ||
		    !CHECK_EQ(s1.v[ST_invalid_frees], 0))
			goto out;
		exh_fini(&x);
		tpool_destroy(&tp);
	}
	return 0;
out:
	for (i = 0; i < x.nruns; i++)
		pcpu_pagecache_free(tp.pool, x.runs[i].addr, 1);
	exh_fini(&x);
	tpool_destroy(&tp);
	return ret;
}

static int t_api_multi_page(void)
{
	static const unsigned int big[] = {
		16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 256,
		511, 512, 513, 1000, 1023, 1024,
	};
	const unsigned int nr = 14 + ARRAY_SIZE(big);
	struct prun runs[14 + ARRAY_SIZE(big)];
	struct tpool tp = {};
	unsigned long *shadow = NULL;
	unsigned int i, j, k = 0, n;
	struct snap s;
	int mode, ret = -EIO;

	for (mode = 0; mode < 2; mode++) {
		/* 8192 pages reserved, or 12 blocks of 1024 pages. */
		ret = tpool_create(&tp, "t_multi", mode ? 0 : resv(0),
				   mode ? 48UL << 20 : 32UL << 20, 0);
		if (ret)
			return ret;
		ret = -EIO;
		shadow = bitmap_zalloc(tp.npages, GFP_KERNEL);
		if (!CHECK(shadow))
			goto out;
		for (k = 0; k < nr; k++) {
			n = k < 14 ? k + 2 : big[k - 14];
			runs[k].n = n;
			runs[k].addr = pcpu_pagecache_alloc(tp.pool, n);
			if (!CHECK(runs[k].addr)) {
				pr_err("alloc(%u) failed\n", n);
				goto out;
			}
			if (!tpool_run_ok(&tp, runs[k].addr, n))
				goto out;
		}
		snap_take(tp.pool, &s);
		if (!INVARIANT(&s, "allocated"))
			goto out;
		/* No two runs overlap.  Block pools: compare the runs. */
		for (i = 0; i < nr; i++) {
			for (j = 0; j < nr; j++) {
				phys_addr_t ai = runs[i].addr, aj = runs[j].addr;

				if (i != j && ai < aj + runs[j].n * PAGE_SIZE &&
				    aj < ai + runs[i].n * PAGE_SIZE) {
					pr_err("run %pa+%u overlaps %pa+%u\n",
					       &ai, runs[i].n, &aj, runs[j].n);
					goto out;
				}
			}
			if (!tp.base)
				continue;
			for (j = 0; j < runs[i].n; j++) {
				unsigned long pg = (runs[i].addr - tp.base) / PAGE_SIZE + j;

				if (!CHECK(!__test_and_set_bit(pg, shadow)))
					goto out;
			}
		}
		for (; k > 0; k--)
			if (!CHECK_EQ(pcpu_pagecache_free(tp.pool, runs[k - 1].addr,
							  runs[k - 1].n), 0))
				goto out;
		snap_take(tp.pool, &s);
		if (!IDLE(&s, "freed"))
			goto out;
		bitmap_free(shadow);
		shadow = NULL;
		tpool_destroy(&tp);
	}
	return 0;
out:
	while (k-- > 0)
		pcpu_pagecache_free(tp.pool, runs[k].addr, runs[k].n);
	bitmap_free(shadow);
	tpool_destroy(&tp);
	return ret;
}

static int t_api_cross_chunk(void)
{
	const unsigned long chunk = PCPU_PAGECACHE_CHUNK_PAGES;
	struct tpool tp = {};
	phys_addr_t a, b, c, d;
	struct snap s;
	int ret;

	/* A reserved pool of four chunks: runs may cross chunk edges. */
	ret = tpool_create(&tp, "t_xchunk", resv(0), 4 * CHUNK_BYTES, 0);
	if (ret)
		return ret;
	ret = -EIO;

	a = pcpu_pagecache_alloc(tp.pool, 4 * chunk);
	if (!CHECK_EQ(a, tp.base) || !tpool_run_ok(&tp, a, 4 * chunk) ||
	    !CHECK_EQ(pcpu_pagecache_free(tp.pool, a, 4 * chunk), 0))
		goto out;
	a = pcpu_pagecache_alloc(tp.pool, 1500);
	if (!CHECK(a) || !tpool_run_ok(&tp, a, 1500) ||
	    !CHECK_EQ(pcpu_pagecache_free(tp.pool, a, 1500), 0))
		goto out;

	/*
	 * Take the whole pool, give back [1000, 1048): the only free run
	 * crosses the edge at page 1024, and a 48-page request must get it.
	 */
	a = pcpu_pagecache_alloc(tp.pool, 4 * chunk);
	if (!CHECK_EQ(a, tp.base))
		goto out;
	b = a + 1000 * PAGE_SIZE;
	if (!CHECK_EQ(pcpu_pagecache_free(tp.pool, b, 48), 0))
		goto out;
	c = pcpu_pagecache_alloc(tp.pool, 48);
	if (!CHECK_EQ(c, b) || !tpool_run_ok(&tp, c, 48))
		goto out;
	/* Now [1000, 3100): two edges. */
	if (!CHECK_EQ(pcpu_pagecache_free(tp.pool, b, 2100), 0))
		goto out;
	c = pcpu_pagecache_alloc(tp.pool, 2100);
	if (!CHECK_EQ(c, b) || !tpool_run_ok(&tp, c, 2100))
		goto out;
	d = pcpu_pagecache_alloc(tp.pool, 1);
	if (!CHECK_EQ(d, 0))
		goto out;
	if (!CHECK_EQ(pcpu_pagecache_free(tp.pool, a, 1000), 0) ||
	    !CHECK_EQ(pcpu_pagecache_free(tp.pool, b, 2100), 0) ||
	    !CHECK_EQ(pcpu_pagecache_free(tp.pool, b + 2100 * PAGE_SIZE, 996), 0))
		goto out;
	snap_take(tp.pool, &s);
	if (!IDLE(&s, "reserved pool freed"))
		goto out;
	tpool_destroy(&tp);

	/* A pool of 4 MiB blocks: at most one block's worth in a run. */
	ret = tpool_create(&tp, "t_xchunk", 0, 2 * CHUNK_BYTES, 0);
	if (ret)
		return ret;
	ret = -EIO;
	if (!CHECK_EQ(pcpu_pagecache_alloc(tp.pool, chunk + 1), 0) ||
	    !CHECK_EQ(pcpu_pagecache_alloc(tp.pool, 1500), 0) ||
	    !CHECK_EQ(pcpu_pagecache_alloc(tp.pool, 2 * chunk), 0))
		goto out;
	a = pcpu_pagecache_alloc(tp.pool, chunk);
	b = pcpu_pagecache_alloc(tp.pool, chunk);
	if (!CHECK(a) || !CHECK(b) || !tpool_run_ok(&tp, a, chunk) ||
	    !tpool_run_ok(&tp, b, chunk) || !CHECK(a != b) ||
	    !CHECK_EQ(pcpu_pagecache_alloc(tp.pool, 1), 0) ||
	    !CHECK_EQ(pcpu_pagecache_free(tp.pool, a, chunk), 0) ||
	    !CHECK_EQ(pcpu_pagecache_free(tp.pool, b, chunk), 0))
		goto out;
	snap_take(tp.pool, &s);
	if (!IDLE(&s, "block pool freed") || !CHECK_EQ(s.v[ST_alloc_fail], 4))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
	return ret;
}

/* A reserved range that ends inside a chunk and inside a window. */
static int t_api_partial_chunk(void)
{
	const unsigned int npages = PCPU_PAGECACHE_CHUNK_PAGES + 100;
	struct tpool tp = {};
	phys_addr_t a;
	int cpu = cpumask_first(cpu_online_mask);
	int ret;

	ret = tpool_create(&tp, "t_partial", resv(0), npages * PAGE_SIZE, 0);
	if (ret)
		return ret;
	ret = -EIO;
	a = pcpu_pagecache_alloc(tp.pool, npages);
	if (!CHECK_EQ(a, tp.base) || !tpool_run_ok(&tp, a, npages) ||
	    !CHECK_EQ(pcpu_pagecache_alloc(tp.pool, 1), 0) ||
	    !CHECK_EQ(pcpu_pagecache_free(tp.pool, a, npages), 0))
		goto out;
	if (!CHECK_EQ(pcpu_pagecache_alloc(tp.pool, npages + 1), 0))
		goto out;
	if (exhaust_check(&tp, cpu, false) || exhaust_check(&tp, cpu, true))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
	return ret;
}

static int t_api_exhaustion(void)
{
	struct tpool tp = {};
	int mode, cpu, ret;

	for (mode = 0; mode < 2; mode++) {
		ret = tpool_create(&tp, "t_exhaust", mode ? 0 : resv(0),
				   SZ_POOL, 0);
		if (ret)
			return ret;
		ret = -EIO;
		/* On every online CPU in turn, singles then a mix. */
		for_each_online_cpu(cpu) {
			if (exhaust_check(&tp, cpu, false) ||
			    exhaust_check(&tp, cpu, true))
				goto out;
		}
		ret = 0;
		tpool_destroy(&tp);
	}
	return 0;
out:
	tpool_destroy(&tp);
	return ret;
}

static u64 va_pattern(phys_addr_t page, unsigned int word)
{
	return 0x5a5aULL << 48 | (u64)page | word;
}

static int t_api_va_write(void)
{
	const unsigned int words = PAGE_SIZE / sizeof(u64);
	int cpu = cpumask_first(cpu_online_mask);
	struct tpool tp = {};
	struct page *page = NULL;
	struct exh x = {};
	unsigned long i;
	unsigned int w;
	int mode, ret;
	void *kbuf = NULL;

	for (mode = 0; mode < 2; mode++) {
		ret = tpool_create(&tp, "t_va", mode ? 0 : resv(0), SZ_POOL, 0);
		if (ret)
			return ret;
		ret = -EIO;
		if (exh_init(&x, &tp, false) || exh_take(&x, cpu))
			goto out;
		for (i = 0; i < x.nruns; i++) {
			u64 *va = pcpu_pagecache_va(tp.pool, x.runs[i].addr);

			for (w = 0; w < words; w++)
				va[w] = va_pattern(x.runs[i].addr, w);
			if ((i & 255) == 255)
				cond_resched();
		}
		for (i = 0; i < x.nruns; i++) {
			u64 *va = pcpu_pagecache_va(tp.pool, x.runs[i].addr);

			for (w = 0; w < words; w++) {
				if (va[w] != va_pattern(x.runs[i].addr, w)) {
					pr_err("page %pa word %u: %#llx, wrote %#llx\n",
					       &x.runs[i].addr, w, va[w],
					       va_pattern(x.runs[i].addr, w));
					goto out;
				}
			}
			if ((i & 255) == 255)
				cond_resched();
		}
		if (exh_release(&x, cpu))
			goto out;
		exh_fini(&x);

		/* Addresses outside the pool have no VA. */
		if (!CHECK(!pcpu_pagecache_va(tp.pool, 0)))
			goto out;
		if (tp.base) {
			if (!CHECK(!pcpu_pagecache_va(tp.pool, tp.base - PAGE_SIZE)) ||
			    !CHECK(!pcpu_pagecache_va(tp.pool, tp.base + tp.size)) ||
			    !CHECK(!pcpu_pagecache_va(tp.pool, tp.base + tp.size + 0x1000000)))
				goto out;
		} else {
			page = alloc_page(GFP_KERNEL);
			kbuf = kmalloc(64, GFP_KERNEL);
			if (!CHECK(page && kbuf) ||
			    !CHECK(!pcpu_pagecache_va(tp.pool, page_to_phys(page))) ||
			    !CHECK(!pcpu_pagecache_va(tp.pool, virt_to_phys(kbuf))))
				goto out;
		}
		tpool_destroy(&tp);
	}
	ret = 0;
out:
	if (x.runs)
		exh_release(&x, cpu);
	exh_fini(&x);
	tpool_destroy(&tp);
	if (page)
		__free_page(page);
	kfree(kbuf);
	return ret;
}

static bool in_tpool(struct tpool *tp, phys_addr_t a)
{
	if (tp->base)
		return a >= tp->base && a < tp->base + tp->size;
	return pcpu_pagecache_va(tp->pool, a);
}

static int t_api_multi_pool(void)
{
	static const unsigned int sizes[] = { 1, 5, 16, 64, 200 };
	const unsigned int ns = ARRAY_SIZE(sizes);
	struct tpool tp[3] = {};
	phys_addr_t held[3][ARRAY_SIZE(sizes)] = {};
	struct pcpu_pagecache *p;
	struct snap s[3], t[3];
	int i, j, k, ret = -EIO;

	if (tpool_create(&tp[0], "t_multi_a", resv(0), SZ_POOL, 0) ||
	    tpool_create(&tp[1], "t_multi_b", resv(SZ_POOL), SZ_POOL, 0) ||
	    tpool_create(&tp[2], "t_multi_c", 0, SZ_POOL, 0))
		goto out;

	for (i = 0; i < 3; i++)
		snap_take(tp[i].pool, &s[i]);
	for (i = 0; i < 3; i++) {
		for (k = 0; k < ns; k++) {
			held[i][k] = pcpu_pagecache_alloc(tp[i].pool, sizes[k]);
			if (!CHECK(held[i][k]) ||
			    !tpool_run_ok(&tp[i], held[i][k], sizes[k]))
				goto out;
			for (j = 0; j < 3; j++) {
				if (j != i && !CHECK(!in_tpool(&tp[j], held[i][k]))) {
					pr_err("pool %d handed out %pa, which is in pool %d\n",
					       i, &held[i][k], j);
					goto out;
				}
			}
		}
		/* Only pool i moved. */
		for (j = 0; j < 3; j++) {
			snap_take(tp[j].pool, &t[j]);
			if (j != i && !DELTA(&s[j], &t[j], "another pool's allocations"))
				goto out;
			s[j] = t[j];
		}
		if (!CHECK_EQ(t[i].v[ST_pages_inuse], 1 + 5 + 16 + 64 + 200))
			goto out;
	}

	/* A duplicate name, and an overlapping reserved range. */
	p = pcpu_pagecache_create("t_multi_a", resv(2 * SZ_POOL), SZ_POOL);
	if (!CHECK_EQ(PTR_ERR_OR_ZERO(p), -EEXIST)) {
		if (!IS_ERR_OR_NULL(p))
			pcpu_pagecache_destroy(p);
		goto out;
	}
	p = pcpu_pagecache_create("t_multi_d", resv(SZ_POOL / 2), SZ_POOL);
	if (!CHECK_EQ(PTR_ERR_OR_ZERO(p), -EBUSY)) {
		if (!IS_ERR_OR_NULL(p))
			pcpu_pagecache_destroy(p);
		goto out;
	}
	p = pcpu_pagecache_create("t_multi_d", resv(SZ_POOL), PAGE_SIZE);
	if (!CHECK_EQ(PTR_ERR_OR_ZERO(p), -EBUSY)) {
		if (!IS_ERR_OR_NULL(p))
			pcpu_pagecache_destroy(p);
		goto out;
	}

	/* Free and destroy in an order unlike the creation order: 1, 2, 0. */
	for (i = 1; i < 4; i++) {
		int o = i % 3, other = (i + 1) % 3;

		/* A pool refuses the pages of another. */
		if (tp[other].pool) {
			snap_take(tp[other].pool, &s[other]);
			p = tp[other].pool;
			if (!CHECK_EQ(pcpu_pagecache_free(p, held[o][0], 1), -EINVAL) ||
			    !CHECK_EQ(pcpu_pagecache_free(p, held[o][4], 200), -EINVAL))
				goto out;
			snap_take(tp[other].pool, &t[other]);
			if (!DELTA(&s[other], &t[other], "another pool's pages",
				   ST_invalid_frees, 2, ST_lock_acquisitions, ST_ANY,
				   ST_free_slow, ST_ANY))
				goto out;
		}
		for (k = 0; k < ns; k++) {
			if (!CHECK_EQ(pcpu_pagecache_free(tp[o].pool, held[o][k], sizes[k]), 0))
				goto out;
			held[o][k] = 0;
		}
		snap_take(tp[o].pool, &t[o]);
		if (!IDLE(&t[o], "freed"))
			goto out;
		tpool_destroy(&tp[o]);
	}

	/* The names and ranges are free again. */
	if (tpool_create(&tp[0], "t_multi_a", resv(0), 2 * SZ_POOL, 0))
		goto out;
	ret = 0;
out:
	for (i = 0; i < 3; i++) {
		for (k = 0; k < ns; k++)
			if (tp[i].pool && held[i][k])
				pcpu_pagecache_free(tp[i].pool, held[i][k], sizes[k]);
		tpool_destroy(&tp[i]);
	}
	return ret;
}

static bool create_fails(const char *name, phys_addr_t base, size_t size,
			 long err, int line)
{
	struct pcpu_pagecache *p = pcpu_pagecache_create(name, base, size);

	if (IS_ERR(p) && PTR_ERR(p) == err)
		return true;
	pr_err("line %d: create(\"%s\", %pa, %#zx) returned %ld, expected %ld\n",
	       line, name, &base, size, IS_ERR(p) ? PTR_ERR(p) : 0L, err);
	if (!IS_ERR_OR_NULL(p))
		pcpu_pagecache_destroy(p);
	return false;
}

#define CREATE_FAILS(name, base, size, err) \
	create_fails(name, base, size, err, __LINE__)

static int t_api_create_errors(void)
{
	struct resource *claimed = NULL;
	struct page *page;
	struct tpool tp = {};
	phys_addr_t ram;
	int ret = -EIO;

	page = alloc_page(GFP_KERNEL);
	if (!CHECK(page))
		return -ENOMEM;
	ram = page_to_phys(page);

	if (!CREATE_FAILS("t_err", resv(0), 0, -EINVAL) ||
	    !CREATE_FAILS("t_err", 0, 0, -EINVAL) ||
	    !CREATE_FAILS("t_err", resv(0) + 0x800, SZ_POOL, -EINVAL) ||
	    !CREATE_FAILS("t_err", resv(0), SZ_POOL + 0x800, -EINVAL) ||
	    !CREATE_FAILS("t_err", 0, SZ_POOL + 0x800, -EINVAL) ||
	    !CREATE_FAILS("", resv(0), SZ_POOL, -EINVAL) ||
	    !CREATE_FAILS("t/err", resv(0), SZ_POOL, -EINVAL) ||
	    !CREATE_FAILS(".", resv(0), SZ_POOL, -EINVAL) ||
	    !CREATE_FAILS("..", resv(0), SZ_POOL, -EINVAL) ||
	    /* System RAM, in use by the kernel. */
	    !CREATE_FAILS("t_err", ram, PAGE_SIZE, -EBUSY) ||
	    !CREATE_FAILS("t_err", ALIGN_DOWN(ram, CHUNK_BYTES), CHUNK_BYTES, -EBUSY))
		goto out;
	/* A range that runs from the reservation into System RAM. */
	if (page_is_ram(PHYS_PFN(resv_base + resv_size)) &&
	    !CREATE_FAILS("t_err", resv_base + resv_size - CHUNK_BYTES,
			  2 * CHUNK_BYTES, -EBUSY))
		goto out;
	/* A range someone else claimed. */
	claimed = request_mem_region(resv(SZ_POOL), PAGE_SIZE, KBUILD_MODNAME);
	if (!CHECK(claimed) ||
	    !CREATE_FAILS("t_err", resv(0), 2 * SZ_POOL, -EBUSY) ||
	    !CREATE_FAILS("t_err", resv(SZ_POOL), PAGE_SIZE, -EBUSY))
		goto out;
	/* The failures left nothing behind: the same pool can be made. */
	if (tpool_create(&tp, "t_err", resv(0), SZ_POOL, 0))
		goto out;
	tpool_destroy(&tp);
	if (tpool_create(&tp, "t_err", 0, SZ_POOL, 0))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
	if (claimed)
		release_mem_region(resv(SZ_POOL), PAGE_SIZE);
	__free_page(page);
	return ret;
}

static int t_bad_npages(void)
{
	struct tpool tp = {};
	struct snap s0, s1;
	phys_addr_t a;
	int mode, ret;

	for (mode = 0; mode < 2; mode++) {
		ret = tpool_create(&tp, "t_npages", mode ? 0 : resv(0),
				   SZ_POOL, 0);
		if (ret)
			return ret;
		ret = -EIO;
		/* Something in use, and a warm cache. */
		a = pcpu_pagecache_alloc(tp.pool, 3);
		if (!CHECK(a))
			goto out;

		snap_take(tp.pool, &s0);
		if (!CHECK_EQ(pcpu_pagecache_alloc(tp.pool, 0), 0))
			goto out;
		snap_take(tp.pool, &s1);
		if (!DELTA(&s0, &s1, "alloc(0)", ST_alloc_fail, ST_ANY))
			goto out;

		snap_take(tp.pool, &s0);
		if (!CHECK_EQ(pcpu_pagecache_alloc(tp.pool, tp.npages + 1), 0) ||
		    !CHECK_EQ(pcpu_pagecache_alloc(tp.pool, UINT_MAX), 0) ||
		    !CHECK_EQ(pcpu_pagecache_alloc(tp.pool, 1U << 31), 0))
			goto out;
		snap_take(tp.pool, &s1);
		if (!DELTA(&s0, &s1, "alloc(> pages_total)", ST_alloc_fail, 3))
			goto out;

		if (!tp.base) {
			snap_take(tp.pool, &s0);
			if (!CHECK_EQ(pcpu_pagecache_alloc(tp.pool, 1025), 0) ||
			    !CHECK_EQ(pcpu_pagecache_alloc(tp.pool, tp.npages), 0))
				goto out;
			snap_take(tp.pool, &s1);
			if (!DELTA(&s0, &s1, "alloc(1025) from blocks", ST_alloc_fail, 2))
				goto out;
		}

		/* Still works. */
		if (!CHECK_EQ(pcpu_pagecache_free(tp.pool, a, 3), 0))
			goto out;
		a = pcpu_pagecache_alloc(tp.pool, 20);
		if (!CHECK(a) || !CHECK_EQ(pcpu_pagecache_free(tp.pool, a, 20), 0))
			goto out;
		snap_take(tp.pool, &s1);
		if (!IDLE(&s1, "after bad sizes"))
			goto out;
		tpool_destroy(&tp);
	}
	return 0;
out:
	tpool_destroy(&tp);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Bad frees                                                          */

/*
 * One free that must be refused: -EINVAL, invalid_frees + 1, no page
 * changes hands.  A refused free may or may not have taken the lock.
 */
static bool bad_free(struct tpool *tp, int cpu, phys_addr_t addr,
		     unsigned int n, const char *what, int line)
{
	struct snap s0, s1;
	int r;

	snap_take(tp->pool, &s0);
	if (cpu >= 0)
		r = free1_on(cpu, tp->pool, addr, n);
	else
		r = pcpu_pagecache_free(tp->pool, addr, n);
	snap_take(tp->pool, &s1);
	if (r != -EINVAL) {
		pr_err("line %d: %s: free(%pa, %u) on cpu%d returned %d, expected -EINVAL\n",
		       line, what, &addr, n, cpu, r);
		return false;
	}
	return snap_delta(&s0, &s1, ST_PAIRS(ST_invalid_frees, 1, ST_lock_acquisitions, ST_ANY,
					     ST_free_slow, ST_ANY, ST_reclaims, ST_ANY),
			  what, line);
}

#define BAD_FREE(tp, cpu, addr, n, what) \
	bad_free(tp, cpu, addr, n, what, __LINE__)

static int t_bad_free_outside(void)
{
	struct tpool tp = {}, blk = {};
	struct page *page = NULL;
	phys_addr_t a, b;
	int cpu, other, ret;

	if (two_cpus(&cpu, &other))
		return -EIO;
	ret = tpool_create(&tp, "t_outside", resv(SZ_POOL), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = tpool_create(&blk, "t_outside_blk", 0, SZ_POOL, 0);
	if (ret)
		goto out;
	ret = -EIO;
	a = alloc1_on(cpu, tp.pool, 1);
	b = alloc1_on(cpu, blk.pool, 1);
	page = alloc_page(GFP_KERNEL);
	if (!CHECK(a && b && page))
		goto out;

	if (!BAD_FREE(&tp, cpu, tp.base - PAGE_SIZE, 1, "page below the pool") ||
	    !BAD_FREE(&tp, cpu, tp.base + tp.size, 1, "page above the pool") ||
	    !BAD_FREE(&tp, cpu, tp.base - PAGE_SIZE, 2, "range from below into the pool") ||
	    !BAD_FREE(&tp, -1, 0, 1, "address 0") ||
	    !BAD_FREE(&tp, -1, page_to_phys(page), 1, "a kernel page") ||
	    !BAD_FREE(&tp, -1, resv(0), 1, "a reserved page in no pool") ||
	    !BAD_FREE(&blk, cpu, page_to_phys(page), 1, "a kernel page, block pool") ||
	    !BAD_FREE(&blk, -1, a, 1, "a reserved pool's page, block pool") ||
	    !BAD_FREE(&tp, -1, b, 1, "a block pool's page, reserved pool"))
		goto out;
	if (!CHECK_EQ(free1_on(cpu, tp.pool, a, 1), 0) ||
	    !CHECK_EQ(free1_on(cpu, blk.pool, b, 1), 0))
		goto out;
	a = 0;
	b = 0;

	/* The whole pool taken: a free that runs past its end. */
	pcpu_pagecache_drain(tp.pool);
	a = pcpu_pagecache_alloc(tp.pool, tp.npages);
	if (!CHECK_EQ(a, tp.base) ||
	    !BAD_FREE(&tp, -1, tp.base + tp.size - PAGE_SIZE, 2, "range across the pool end") ||
	    !BAD_FREE(&tp, -1, tp.base, tp.npages + 1, "whole pool and one more") ||
	    !BAD_FREE(&tp, -1, tp.base + PAGE_SIZE, UINT_MAX, "npages UINT_MAX") ||
	    !CHECK_EQ(pcpu_pagecache_free(tp.pool, a, tp.npages), 0))
		goto out;
	a = 0;
	if (exhaust_check(&tp, cpu, false) || exhaust_check(&blk, cpu, false))
		goto out;
	ret = 0;
out:
	if (a)
		free1_on(cpu, tp.pool, a, 1);
	if (b)
		free1_on(cpu, blk.pool, b, 1);
	if (page)
		__free_page(page);
	tpool_destroy(&blk);
	tpool_destroy(&tp);
	return ret;
}

static int t_bad_free_unaligned(void)
{
	struct tpool tp = {};
	phys_addr_t a = 0, b = 0;
	int cpu, other, ret;

	if (two_cpus(&cpu, &other))
		return -EIO;
	ret = tpool_create(&tp, "t_unaligned", resv(0), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = -EIO;
	a = alloc1_on(cpu, tp.pool, 1);		/* in cpu's window */
	b = alloc1_on(cpu, tp.pool, 16);	/* from the bitmaps */
	if (!CHECK(a && b))
		goto out;
	if (!BAD_FREE(&tp, cpu, a + 1, 1, "cached page + 1") ||
	    !BAD_FREE(&tp, cpu, a + PAGE_SIZE / 2, 1, "cached page + 2048") ||
	    !BAD_FREE(&tp, cpu, a + PAGE_SIZE - 8, 1, "cached page + 4088") ||
	    !BAD_FREE(&tp, other, a + 8, 1, "cached page + 8, other cpu") ||
	    !BAD_FREE(&tp, cpu, b + 0x100, 16, "run + 256") ||
	    !BAD_FREE(&tp, -1, b + 3 * PAGE_SIZE + 1, 1, "run page 3 + 1") ||
	    !BAD_FREE(&tp, -1, tp.base + tp.size - 1, 1, "last byte of the pool"))
		goto out;
	if (!CHECK_EQ(free1_on(cpu, tp.pool, a, 1), 0))
		goto out;
	a = 0;
	if (!CHECK_EQ(free1_on(cpu, tp.pool, b, 16), 0))
		goto out;
	b = 0;
	if (exhaust_check(&tp, cpu, false))
		goto out;
	ret = 0;
out:
	if (a)
		free1_on(cpu, tp.pool, a, 1);
	if (b)
		free1_on(cpu, tp.pool, b, 16);
	tpool_destroy(&tp);
	return ret;
}

static int t_bad_free_not_allocated(void)
{
	struct tpool tp = {};
	phys_addr_t a = 0, b = 0;
	int cpu, other, ret;

	if (two_cpus(&cpu, &other))
		return -EIO;
	ret = tpool_create(&tp, "t_notalloc", resv(0), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = -EIO;
	/* Never handed out: free in the bitmaps. */
	if (!BAD_FREE(&tp, cpu, tp.base, 1, "fresh pool, first page") ||
	    !BAD_FREE(&tp, -1, tp.base + 1500 * PAGE_SIZE, 20, "fresh pool, a run") ||
	    !BAD_FREE(&tp, -1, tp.base + tp.size - PAGE_SIZE, 1, "fresh pool, last page"))
		goto out;
	a = alloc1_on(cpu, tp.pool, 1);		/* cpu gets a window */
	b = alloc1_on(cpu, tp.pool, 16);
	if (!CHECK(a && b))
		goto out;
	/* A run that is partly allocated: nothing of it may be freed. */
	if (!BAD_FREE(&tp, cpu, b, 17, "run + one free page after") ||
	    !BAD_FREE(&tp, other, b + 8 * PAGE_SIZE, 16, "second half of the run + 8 free"))
		goto out;
	if (b - PAGE_SIZE != a &&
	    !BAD_FREE(&tp, cpu, b - PAGE_SIZE, 17, "one free page before + run"))
		goto out;
	/* Pages of cpu's window that are still free in its cache. */
	if (!BAD_FREE(&tp, cpu, a + PAGE_SIZE, 1, "page free in own cache") ||
	    !BAD_FREE(&tp, cpu, a, 2, "allocated page + cached page") ||
	    !BAD_FREE(&tp, other, a, 2, "allocated page + cached page, other cpu"))
		goto out;
	if (!CHECK_EQ(free1_on(other, tp.pool, b, 16), 0))
		goto out;
	b = 0;
	if (!CHECK_EQ(free1_on(cpu, tp.pool, a, 1), 0))
		goto out;
	a = 0;
	if (exhaust_check(&tp, cpu, false))
		goto out;
	ret = 0;
out:
	if (a)
		free1_on(cpu, tp.pool, a, 1);
	if (b)
		free1_on(cpu, tp.pool, b, 16);
	tpool_destroy(&tp);
	return ret;
}

static int t_bad_free_double_same_cpu(void)
{
	static const unsigned int sizes[] = { 1, 3, 15, 16, 64, 300 };
	struct tpool tp = {};
	phys_addr_t a;
	int cpu, other, ret;
	unsigned int i, n;

	if (two_cpus(&cpu, &other))
		return -EIO;
	ret = tpool_create(&tp, "t_double", resv(0), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = -EIO;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		n = sizes[i];
		a = alloc1_on(cpu, tp.pool, n);
		if (!CHECK(a) || !CHECK_EQ(free1_on(cpu, tp.pool, a, n), 0))
			goto out;
		if (!BAD_FREE(&tp, cpu, a, n, "double free, same cpu") ||
		    !BAD_FREE(&tp, cpu, a, 1, "double free of the first page") ||
		    !BAD_FREE(&tp, cpu, a + (n - 1) * PAGE_SIZE, 1,
			      "double free of the last page"))
			goto out;
	}
	/* Process context, may migrate between the two frees: still refused. */
	a = pcpu_pagecache_alloc(tp.pool, 1);
	if (!CHECK(a) || !CHECK_EQ(pcpu_pagecache_free(tp.pool, a, 1), 0) ||
	    !BAD_FREE(&tp, -1, a, 1, "double free, writer's context"))
		goto out;
	if (exhaust_check(&tp, cpu, false))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
	return ret;
}

static int t_bad_free_double_other_cpu(void)
{
	phys_addr_t a, b, r[PCPU_PAGECACHE_BATCH];
	struct tpool tp = {};
	struct snap s0, s1;
	int cpu, other, ret;

	if (two_cpus(&cpu, &other))
		return -EIO;
	ret = tpool_create(&tp, "t_double_x", resv(0), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = -EIO;

	/*
	 * A page of cpu's window freed on the other CPU waits in that CPU's
	 * batch, where cpu cannot see it: a second free on cpu returns 0.
	 * It is caught when the batch goes back (here, at the drain): counted
	 * as invalid, and the page is free once.
	 */
	a = alloc1_on(cpu, tp.pool, 1);
	if (!CHECK(a))
		goto out;
	snap_take(tp.pool, &s0);
	if (!CHECK_EQ(free1_on(other, tp.pool, a, 1), 0) ||
	    !CHECK_EQ(free1_on(cpu, tp.pool, a, 1), 0))
		goto out;
	pcpu_pagecache_drain(tp.pool);
	snap_take(tp.pool, &s1);
	if (!DELTA(&s0, &s1, "double free while the first waits in a batch",
		   ST_pages_inuse, -1, ST_invalid_frees, 1, ST_pages_free, ST_ANY,
		   ST_pages_cached, ST_ANY,
		   ST_free_fast, 1, ST_free_remote, 1, ST_lock_acquisitions, ST_ANY,
		   ST_flushes, ST_ANY) || !IDLE(&s1, "after the drain"))
		goto out;

	/*
	 * A full batch of pages of cpu's window, freed (legally) on the
	 * other CPU: the batch goes back at once, into cpu's pending mask.
	 * Freed again on cpu, whose window covers them: refused.
	 */
	if (!CHECK_EQ(alloc_on(cpu, tp.pool, r, ARRAY_SIZE(r), 1), 0))
		goto out;
	a = r[0];
	b = alloc1_on(cpu, tp.pool, 1);
	if (!CHECK(b))
		goto out;
	snap_take(tp.pool, &s0);
	if (!CHECK_EQ(free_on(other, tp.pool, r, ARRAY_SIZE(r), 1), 0))
		goto out;
	snap_take(tp.pool, &s1);
	if (!DELTA(&s0, &s1, "a batch of remote frees of a windowed page",
		   ST_pages_inuse, -(s64)ARRAY_SIZE(r), ST_pages_cached, ARRAY_SIZE(r),
		   ST_free_remote, ARRAY_SIZE(r), ST_lock_acquisitions, 1))
		goto out;
	if (!BAD_FREE(&tp, cpu, a, 1, "double free on the window's cpu") ||
	    !BAD_FREE(&tp, other, a, 1, "double free on the freeing cpu") ||
	    !BAD_FREE(&tp, cpu, a, 2, "double free + allocated page"))
		goto out;
	if (!CHECK_EQ(free1_on(cpu, tp.pool, b, 1), 0))
		goto out;
	if (!BAD_FREE(&tp, other, b, 1, "double free of a cached page, other cpu"))
		goto out;

	/* Runs from the bitmaps: freed on one CPU, again on the other. */
	a = alloc1_on(cpu, tp.pool, 16);
	b = alloc1_on(other, tp.pool, 200);
	if (!CHECK(a && b) || !CHECK_EQ(free1_on(cpu, tp.pool, a, 16), 0) ||
	    !CHECK_EQ(free1_on(other, tp.pool, b, 200), 0) ||
	    !BAD_FREE(&tp, other, a, 16, "double free of a run, other cpu") ||
	    !BAD_FREE(&tp, cpu, b, 200, "double free of a run, other cpu") ||
	    !BAD_FREE(&tp, cpu, b + 100 * PAGE_SIZE, 1, "double free of a page of a run"))
		goto out;

	/*
	 * And a page of the other CPU's window, once cpu's batch that holds
	 * its first free has gone back.
	 */
	a = alloc1_on(other, tp.pool, 2);
	if (!CHECK(a) || !CHECK_EQ(free1_on(cpu, tp.pool, a, 2), 0))
		goto out;
	pcpu_pagecache_drain(tp.pool);
	if (!BAD_FREE(&tp, other, a, 1, "double free on the window's cpu") ||
	    !BAD_FREE(&tp, other, a + PAGE_SIZE, 1, "double free on the window's cpu"))
		goto out;

	if (exhaust_check(&tp, cpu, false) || exhaust_check(&tp, other, true))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
	return ret;
}

static int t_bad_free_cached_page(void)
{
	struct tpool tp = {};
	phys_addr_t a, r = 0;
	int cpu, other, ret;

	if (two_cpus(&cpu, &other))
		return -EIO;
	ret = tpool_create(&tp, "t_cached", resv(0), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = -EIO;
	/* Warm cpu's cache, free the page back into it. */
	a = alloc1_on(cpu, tp.pool, 1);
	if (!CHECK(a) || !CHECK_EQ(free1_on(cpu, tp.pool, a, 1), 0))
		goto out;
	if (!BAD_FREE(&tp, other, a, 1, "page free in another cpu's cache") ||
	    !BAD_FREE(&tp, -1, a + 5 * PAGE_SIZE, 1, "never-used page of a window") ||
	    !BAD_FREE(&tp, other, a, WINDOW, "whole window of another cpu"))
		goto out;
	/* Part of a run back in the cache, then the whole run elsewhere. */
	r = alloc1_on(cpu, tp.pool, 2);
	if (!CHECK(r) || !CHECK_EQ(free1_on(cpu, tp.pool, r, 1), 0))
		goto out;
	if (!BAD_FREE(&tp, other, r, 2, "cached page + allocated page"))
		goto out;
	/* The allocated half is still allocated: freeing it works once. */
	if (!CHECK_EQ(free1_on(other, tp.pool, r + PAGE_SIZE, 1), 0))
		goto out;
	r = 0;
	if (exhaust_check(&tp, other, false) || exhaust_check(&tp, cpu, false))
		goto out;
	ret = 0;
out:
	if (r)
		free1_on(cpu, tp.pool, r + PAGE_SIZE, 1);
	tpool_destroy(&tp);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Per-CPU behaviour                                                  */

struct pairs {
	struct pcpu_pagecache *pool;
	unsigned long count;
	unsigned int n;
	int err;
};

static long pairs_fn(void *arg)
{
	struct pairs *p = arg;
	unsigned long i;
	phys_addr_t a;
	int r;

	for (i = 0; i < p->count; i++) {
		a = pcpu_pagecache_alloc(p->pool, p->n);
		if (!a) {
			p->err = -ENOMEM;
			break;
		}
		r = pcpu_pagecache_free(p->pool, a, p->n);
		if (r) {
			p->err = r;
			break;
		}
		if ((i & 1023) == 1023)
			cond_resched();
	}
	return 0;
}

static int t_percpu_no_lock(void)
{
	const unsigned long count = 100000;
	struct pairs p = { .count = count, .n = 1 };
	struct tpool tp = {};
	struct snap s0, s1;
	int cpu, other, ret;

	if (two_cpus(&cpu, &other))
		return -EIO;
	ret = tpool_create(&tp, "t_nolock", resv(0), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = -EIO;
	p.pool = tp.pool;
	/* Warm: one pair takes a window. */
	p.count = 1;
	if (run_on(cpu, pairs_fn, &p) || !CHECK_EQ(p.err, 0))
		goto out;
	snap_take(tp.pool, &s0);
	p.count = count;
	if (run_on(cpu, pairs_fn, &p) || !CHECK_EQ(p.err, 0))
		goto out;
	snap_take(tp.pool, &s1);
	if (!DELTA(&s0, &s1, "100000 alloc(1)+free pairs, warm cache",
		   ST_alloc_fast, count, ST_free_fast, count))
		goto out;

	/* Sizes up to 15 stay on the fast path too. */
	p.n = PCPU_PAGECACHE_FAST_PAGES - 1;
	p.count = 10000;
	snap_take(tp.pool, &s0);
	if (run_on(cpu, pairs_fn, &p) || !CHECK_EQ(p.err, 0))
		goto out;
	snap_take(tp.pool, &s1);
	if (!DELTA(&s0, &s1, "10000 alloc(15)+free pairs",
		   ST_alloc_fast, 10000, ST_free_fast, 10000))
		goto out;

	/* On another CPU too, with its own window. */
	p.n = 1;
	p.count = 1;
	if (run_on(other, pairs_fn, &p) || !CHECK_EQ(p.err, 0))
		goto out;
	p.count = 10000;
	snap_take(tp.pool, &s0);
	if (run_on(other, pairs_fn, &p) || !CHECK_EQ(p.err, 0))
		goto out;
	snap_take(tp.pool, &s1);
	if (!DELTA(&s0, &s1, "10000 pairs on a second cpu",
		   ST_alloc_fast, 10000, ST_free_fast, 10000))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
	return ret;
}

/* Compare the pool with @s0, then make the new snapshot the reference. */
static bool step(struct pcpu_pagecache *pool, struct snap *s0,
		 const s64 *expect, const char *what, int line)
{
	struct snap s1;
	bool ok;

	snap_take(pool, &s1);
	ok = snap_delta(s0, &s1, expect, what, line);
	*s0 = s1;
	return ok;
}

#define STEP(pool, s0, what, ...) \
	step(pool, s0, ST_PAIRS(__VA_ARGS__), what, __LINE__)

/*
 * Every step of a known sequence on one CPU of a fresh pool, with the
 * exact counter moves.  Each step runs as one call on @cpu.
 */
static int t_percpu_counts(void)
{
	phys_addr_t w0[WINDOW], w1, c[5], q;
	struct tpool tp = {};
	struct snap s0;
	int cpu, other, ret;
	unsigned int i;

	if (two_cpus(&cpu, &other))
		return -EIO;
	ret = tpool_create(&tp, "t_counts", resv(0), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = -EIO;

	snap_take(tp.pool, &s0);

	/* A first allocation refills: a whole window, one page of it used. */
	if (!CHECK_EQ(alloc_on(cpu, tp.pool, &w0[0], 1, 1), 0) ||
	    !STEP(tp.pool, &s0, "first alloc(1)", ST_refills, 1, ST_alloc_slow, 1,
		  ST_lock_acquisitions, 1, ST_pages_free, -WINDOW,
		  ST_pages_cached, WINDOW - 1, ST_pages_inuse, 1))
		goto out;
	/* The other 63 come from the cache. */
	if (!CHECK_EQ(alloc_on(cpu, tp.pool, &w0[1], WINDOW - 1, 1), 0) ||
	    !STEP(tp.pool, &s0, "63 more alloc(1)", ST_alloc_fast, WINDOW - 1,
		  ST_pages_cached, -(WINDOW - 1), ST_pages_inuse, WINDOW - 1))
		goto out;
	for (i = 1; i < WINDOW; i++)
		if (!CHECK_EQ(w0[i] & ~((phys_addr_t)WINDOW * PAGE_SIZE - 1),
			      w0[0] & ~((phys_addr_t)WINDOW * PAGE_SIZE - 1)))
			goto out;
	/* The 65th: the window is used up, a new one. */
	if (!CHECK_EQ(alloc_on(cpu, tp.pool, &w1, 1, 1), 0) ||
	    !STEP(tp.pool, &s0, "65th alloc(1)", ST_refills, 1, ST_alloc_slow, 1,
		  ST_lock_acquisitions, 1, ST_pages_free, -WINDOW,
		  ST_pages_cached, WINDOW - 1, ST_pages_inuse, 1,
		  ST_flushes, ST_ANY))
		goto out;
	/* Freeing it: inside the window, fast. */
	if (!CHECK_EQ(free_on(cpu, tp.pool, &w1, 1, 1), 0) ||
	    !STEP(tp.pool, &s0, "free inside the window", ST_free_fast, 1,
		  ST_pages_cached, 1, ST_pages_inuse, -1))
		goto out;
	/* 16 pages: the bitmaps, under the lock, both ways. */
	if (!CHECK_EQ(alloc_on(cpu, tp.pool, &q, 1, 16), 0) ||
	    !STEP(tp.pool, &s0, "alloc(16)", ST_alloc_slow, 1, ST_lock_acquisitions, 1,
		  ST_pages_free, -16, ST_pages_inuse, 16) ||
	    !CHECK_EQ(free_on(cpu, tp.pool, &q, 1, 16), 0) ||
	    !STEP(tp.pool, &s0, "free(16)", ST_free_slow, 1, ST_lock_acquisitions, 1,
		  ST_pages_free, 16, ST_pages_inuse, -16))
		goto out;
	/* Four runs of 15 from the 64 cached pages. */
	if (!CHECK_EQ(alloc_on(cpu, tp.pool, c, 4, 15), 0) ||
	    !STEP(tp.pool, &s0, "4 x alloc(15)", ST_alloc_fast, 4, ST_pages_cached, -60,
		  ST_pages_inuse, 60))
		goto out;
	/* A fifth does not fit in the 4 left: flush them, refill. */
	if (!CHECK_EQ(alloc_on(cpu, tp.pool, &c[4], 1, 15), 0) ||
	    !STEP(tp.pool, &s0, "alloc(15) with 4 cached", ST_refills, 1,
		  ST_flushes, 1, ST_alloc_slow, 1, ST_lock_acquisitions, 1,
		  ST_pages_free, 4 - WINDOW, ST_pages_cached, WINDOW - 15 - 4,
		  ST_pages_inuse, 15))
		goto out;
	/*
	 * Frees outside the current window wait in the CPU's batch, without
	 * the lock; their pages count as cached until the batch goes back.
	 */
	if (!CHECK_EQ(free_on(cpu, tp.pool, &w0[0], 1, 1), 0) ||
	    !STEP(tp.pool, &s0, "free of an old window's page", ST_free_remote, 1,
		  ST_pages_cached, 1, ST_pages_inuse, -1) ||
	    !CHECK_EQ(free_on(cpu, tp.pool, c, 4, 15), 0) ||
	    !STEP(tp.pool, &s0, "4 x free(15) of the old window", ST_free_remote, 4,
		  ST_pages_cached, 60, ST_pages_inuse, -60) ||
	    !CHECK_EQ(free_on(cpu, tp.pool, &c[4], 1, 15), 0) ||
	    !STEP(tp.pool, &s0, "free(15) in the window", ST_free_fast, 1,
		  ST_pages_cached, 15, ST_pages_inuse, -15))
		goto out;
	/* A page of cpu's window freed on another CPU: the lock. */
	if (!CHECK_EQ(alloc_on(cpu, tp.pool, &q, 1, 1), 0) ||
	    !STEP(tp.pool, &s0, "alloc(1)", ST_alloc_fast, 1, ST_pages_cached, -1,
		  ST_pages_inuse, 1) ||
	    !CHECK_EQ(free_on(other, tp.pool, &q, 1, 1), 0) ||
	    !STEP(tp.pool, &s0, "free on another cpu", ST_free_remote, 1,
		  ST_pages_cached, 1, ST_pages_inuse, -1))
		goto out;
	/*
	 * 5 frees wait in cpu's batch; 63 more fill it four times: four lock
	 * acquisitions, and 4 frees still wait.
	 */
	if (!CHECK_EQ(free_on(cpu, tp.pool, &w0[1], WINDOW - 1, 1), 0) ||
	    !STEP(tp.pool, &s0, "63 frees of the old window",
		  ST_free_remote, WINDOW - 1, ST_lock_acquisitions, 4,
		  ST_pages_free, 1 + 60 + (WINDOW - 1 - 4),
		  ST_pages_cached, (WINDOW - 1) - (1 + 60 + (WINDOW - 1 - 4)),
		  ST_pages_inuse, -(WINDOW - 1)))
		goto out;
	if (!IDLE(&s0, "all freed"))
		goto out;
	/* A drain gives back every window and batch. */
	pcpu_pagecache_drain(tp.pool);
	if (!STEP(tp.pool, &s0, "drain", ST_pages_free, s0.v[ST_pages_cached],
		  ST_pages_cached, -s0.v[ST_pages_cached], ST_flushes, ST_ANY,
		  ST_lock_acquisitions, ST_ANY))
		goto out;
	tpool_destroy(&tp);

	/* NOCACHE: every operation takes the lock, nothing is cached. */
	ret = tpool_create(&tp, "t_counts_nc", resv(0), SZ_POOL,
			   PCPU_PAGECACHE_NOCACHE);
	if (ret)
		return ret;
	ret = -EIO;
	snap_take(tp.pool, &s0);
	if (!CHECK_EQ(alloc_on(cpu, tp.pool, w0, 10, 1), 0) ||
	    !STEP(tp.pool, &s0, "nocache: 10 x alloc(1)", ST_alloc_slow, 10,
		  ST_lock_acquisitions, 10,
		  ST_pages_free, -10, ST_pages_inuse, 10) ||
	    !CHECK_EQ(alloc_on(cpu, tp.pool, c, 3, 5), 0) ||
	    !STEP(tp.pool, &s0, "nocache: 3 x alloc(5)", ST_alloc_slow, 3, ST_lock_acquisitions, 3,
		  ST_pages_free, -15, ST_pages_inuse, 15) ||
	    !CHECK_EQ(free_on(cpu, tp.pool, w0, 10, 1), 0) ||
	    !STEP(tp.pool, &s0, "nocache: 10 x free(1)", ST_free_slow, 10, ST_lock_acquisitions, 10,
		  ST_pages_free, 10, ST_pages_inuse, -10) ||
	    !CHECK_EQ(free_on(other, tp.pool, c, 3, 5), 0) ||
	    !STEP(tp.pool, &s0, "nocache: 3 x free(5)", ST_free_slow, 3, ST_lock_acquisitions, 3,
		  ST_pages_free, 15, ST_pages_inuse, -15))
		goto out;
	if (!CHECK_EQ(alloc_on(cpu, tp.pool, &q, 1, 16), 0) ||
	    !STEP(tp.pool, &s0, "nocache: alloc(16)", ST_alloc_slow, 1, ST_lock_acquisitions, 1,
		  ST_pages_free, -16, ST_pages_inuse, 16) ||
	    !CHECK_EQ(free_on(cpu, tp.pool, &q, 1, 16), 0) ||
	    !STEP(tp.pool, &s0, "nocache: free(16)", ST_free_slow, 1, ST_lock_acquisitions, 1,
		  ST_pages_free, 16, ST_pages_inuse, -16))
		goto out;
	pcpu_pagecache_drain(tp.pool);
	if (!STEP(tp.pool, &s0, "nocache: drain", ST_lock_acquisitions, ST_ANY))
		goto out;
	if (exhaust_check(&tp, cpu, false))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
	return ret;
}

static int t_percpu_drain(void)
{
	struct tpool tp = {};
	struct snap s0, s1;
	phys_addr_t a;
	int cpu, ret, n = 0;

	ret = tpool_create(&tp, "t_drain", resv(0), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = -EIO;
	for_each_online_cpu(cpu) {
		a = alloc1_on(cpu, tp.pool, 1);
		if (!CHECK(a) || !CHECK_EQ(free1_on(cpu, tp.pool, a, 1), 0))
			goto out;
		n++;
	}
	snap_take(tp.pool, &s0);
	if (!CHECK_EQ(s0.v[ST_pages_cached], n * WINDOW) ||
	    !CHECK_EQ(s0.v[ST_refills], n) || !IDLE(&s0, "warm"))
		goto out;
	pcpu_pagecache_drain(tp.pool);
	snap_take(tp.pool, &s1);
	if (!DELTA(&s0, &s1, "drain", ST_pages_cached, -n * WINDOW,
		   ST_pages_free, n * WINDOW, ST_flushes, n,
		   ST_lock_acquisitions, ST_ANY) ||
	    !CHECK_EQ(s1.v[ST_pages_free], tp.npages))
		goto out;
	/* Again: nothing to do. */
	s0 = s1;
	pcpu_pagecache_drain(tp.pool);
	snap_take(tp.pool, &s1);
	if (!DELTA(&s0, &s1, "second drain", ST_lock_acquisitions, ST_ANY))
		goto out;
	/* And the caches refill afterwards. */
	for_each_online_cpu(cpu) {
		a = alloc1_on(cpu, tp.pool, 1);
		if (!CHECK(a) || !CHECK_EQ(free1_on(cpu, tp.pool, a, 1), 0))
			goto out;
	}
	snap_take(tp.pool, &s0);
	if (!CHECK_EQ(s0.v[ST_pages_cached], n * WINDOW) || !IDLE(&s0, "rewarmed"))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Atomic contexts                                                    */

struct ctx_op {
	struct pcpu_pagecache *pool;
	int err;
	unsigned int line;
};

static void ctx_ops(struct ctx_op *c)
{
	static const unsigned int sizes[] = { 1, 1, 7, 15, 16, 64 };
	phys_addr_t a[ARRAY_SIZE(sizes)], p;
	unsigned int i;

	/* The single-page entries, a double free among them. */
	p = pcpu_pagecache_alloc_page(c->pool);
	if (!p) {
		c->err = -ENOMEM;
		c->line = __LINE__;
		return;
	}
	memset(pcpu_pagecache_va(c->pool, p), 0x5a, PAGE_SIZE);
	if (pcpu_pagecache_free_page(c->pool, p) ||
	    pcpu_pagecache_free_page(c->pool, p) != -EINVAL) {
		c->err = -EIO;
		c->line = __LINE__;
		return;
	}

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		a[i] = pcpu_pagecache_alloc(c->pool, sizes[i]);
		if (!a[i]) {
			c->err = -ENOMEM;
			c->line = __LINE__;
			return;
		}
		memset(pcpu_pagecache_va(c->pool, a[i]), 0xa5, PAGE_SIZE);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (pcpu_pagecache_free(c->pool, a[i], sizes[i])) {
			c->err = -EIO;
			c->line = __LINE__;
		}
	}
	/* A bad free from here too. */
	if (pcpu_pagecache_free(c->pool, a[0], 1) != -EINVAL) {
		c->err = -EIO;
		c->line = __LINE__;
	}
}

static void ctx_ipi(void *arg)
{
	ctx_ops(arg);
}

static void ctx_tasklet(struct tasklet_struct *t);
static struct ctx_op ctx_tasklet_op;
static DECLARE_COMPLETION(ctx_tasklet_done);
static DECLARE_TASKLET(ctx_tasklet_t, ctx_tasklet);

static void ctx_tasklet(struct tasklet_struct *t)
{
	ctx_ops(&ctx_tasklet_op);
	complete(&ctx_tasklet_done);
}

/* Alloc and free from hardirq, softirq and with interrupts disabled. */
static int t_context_atomic(void)
{
	struct ctx_op c = {};
	struct tpool tp = {};
	unsigned long flags;
	struct snap s;
	int cpu, other, ret;

	if (two_cpus(&cpu, &other))
		return -EIO;
	ret = tpool_create(&tp, "t_context", resv(0), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = -EIO;
	c.pool = tp.pool;

	ret = smp_call_function_single(other, ctx_ipi, &c, 1);
	if (!CHECK_EQ(ret, 0) || !CHECK_EQ(c.err, 0))
		goto fail;
	local_irq_save(flags);
	ctx_ops(&c);
	local_irq_restore(flags);
	if (!CHECK_EQ(c.err, 0))
		goto fail;
	local_bh_disable();
	ctx_ops(&c);
	local_bh_enable();
	if (!CHECK_EQ(c.err, 0))
		goto fail;
	ctx_tasklet_op.pool = tp.pool;
	ctx_tasklet_op.err = 0;
	reinit_completion(&ctx_tasklet_done);
	tasklet_schedule(&ctx_tasklet_t);
	wait_for_completion(&ctx_tasklet_done);
	c = ctx_tasklet_op;
	if (!CHECK_EQ(c.err, 0))
		goto fail;
	snap_take(tp.pool, &s);
	/* Two refused frees in each of the four contexts. */
	if (!IDLE(&s, "after atomic contexts") || !CHECK_EQ(s.v[ST_invalid_frees], 8))
		goto out;
	if (exhaust_check(&tp, cpu, false))
		goto out;
	ret = 0;
	goto out;
fail:
	pr_err("context op failed at line %u: %d\n", c.line, c.err);
	ret = -EIO;
out:
	tpool_destroy(&tp);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Preemptible contexts                                               */

/*
 * DEBUG_PREEMPT checks this_cpu_ptr() and smp_processor_id() only in a
 * task that may migrate: not in a kthread bound to one CPU (run_on()'s
 * workers), nor with migration disabled.  These run the fast paths from
 * the writer of the run file and from an unbound kthread.
 */
struct preempt_op {
	struct pcpu_pagecache *pool;
	struct completion done;
	unsigned long cpus;		/* CPUs it ran on, the first 64 */
	bool checked;			/* preemptible and free to migrate */
	int err;
	unsigned int line;
};

static void preempt_ops(struct preempt_op *p)
{
	static const unsigned int sizes[] = { 1, 1, 2, 7, 15 };
	phys_addr_t a[ARRAY_SIZE(sizes)];
	unsigned int i, round;

	p->checked = preemptible() && current->nr_cpus_allowed > 1 &&
		     !current->migration_disabled;
	for (round = 0; round < 256 && !p->err; round++) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			a[i] = pcpu_pagecache_alloc(p->pool, sizes[i]);
			if (!a[i]) {
				p->err = -ENOMEM;
				p->line = __LINE__;
				break;
			}
		}
		while (i--) {
			if (pcpu_pagecache_free(p->pool, a[i], sizes[i])) {
				p->err = -EIO;
				p->line = __LINE__;
			}
		}
		a[0] = pcpu_pagecache_alloc_page(p->pool);
		if (!a[0] || pcpu_pagecache_free_page(p->pool, a[0])) {
			p->err = -EIO;
			p->line = __LINE__;
		}
		if (raw_smp_processor_id() < BITS_PER_LONG)
			p->cpus |= BIT(raw_smp_processor_id());
		/* Give the scheduler a chance to move us. */
		if ((round & 15) == 15)
			usleep_range(50, 200);
		else
			cond_resched();
	}
}

static int preempt_thread(void *arg)
{
	struct preempt_op *p = arg;

	preempt_ops(p);
	kthread_complete_and_exit(&p->done, 0);
}

/* @p ran without error, and where DEBUG_PREEMPT would check it. */
static bool preempt_result(struct preempt_op *p, const char *where)
{
	pr_info("%s: %spreemptible and unbound, ran on CPUs %*pbl\n", where,
		p->checked ? "" : "NOT ", BITS_PER_LONG, &p->cpus);
	if (p->err) {
		pr_err("%s: op failed at line %u: %d\n", where, p->line, p->err);
		return false;
	}
	/* Elsewhere the test runs, but checks nothing DEBUG_PREEMPT would. */
	return CHECK(p->checked || !IS_ENABLED(CONFIG_DEBUG_PREEMPT));
}

static int t_context_preemptible(void)
{
	struct preempt_op w = {}, k = {};
	struct task_struct *t;
	struct tpool tp = {};
	struct snap s;
	int ret;

	ret = tpool_create(&tp, "t_preempt", resv(0), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = -EIO;

	/* The writer of the run file: a user task, free to migrate. */
	w.pool = tp.pool;
	preempt_ops(&w);
	if (!preempt_result(&w, "run file writer"))
		goto out;

	/* A kthread that is not bound to a CPU. */
	k.pool = tp.pool;
	init_completion(&k.done);
	t = kthread_run(preempt_thread, &k, "tpp_unbound");
	if (!CHECK(!IS_ERR(t)))
		goto out;
	wait_for_completion(&k.done);
	if (!preempt_result(&k, "unbound kthread"))
		goto out;

	snap_take(tp.pool, &s);
	if (IDLE(&s, "after preemptible contexts") && CHECK_EQ(s.v[ST_invalid_frees], 0))
		ret = 0;
out:
	tpool_destroy(&tp);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Actors: threads and timers that allocate, write, check and free    */

#define THR_SLOTS	32
#define TMR_SLOTS	4
#define MAX_RUN		64

struct hold {
	phys_addr_t addr;
	unsigned int n;
	u64 tag;
};

struct engine {
	const char *what;
	struct pcpu_pagecache *pool;
	phys_addr_t base;		/* shadow: first page's address */
	unsigned long npages;
	unsigned long *shadow;		/* one bit a pool page, or NULL */
	atomic_long_t allocs;
	atomic_long_t frees;
	atomic_long_t fails;
	atomic_t errors;
	char first_err[192];
};

enum { ACT_THREAD, ACT_HARD, ACT_SOFT };

struct actor {
	struct engine *e;
	int kind;
	unsigned int id;
	unsigned int nslots;
	u64 seq;
	struct rnd_state rnd;
	struct task_struct *task;
	struct hrtimer timer;
	ktime_t period;
	bool stopping;
	bool started;
	struct hold holds[THR_SLOTS];
};

struct actors {
	struct engine e;
	unsigned int nr;
	struct actor *a;
};

static __printf(2, 3) void engine_err(struct engine *e, const char *fmt, ...)
{
	va_list ap;

	/* Keep the first report only: no printk from here (hardirq). */
	if (atomic_inc_return(&e->errors) != 1)
		return;
	va_start(ap, fmt);
	vsnprintf(e->first_err, sizeof(e->first_err), fmt, ap);
	va_end(ap);
}

static u64 pat(u64 tag, unsigned int page, unsigned int word)
{
	return tag ^ ((u64)page << 9) ^ word;
}

/* Threads fill whole pages, timers the first and last word of each. */
static void actor_write(struct actor *a, struct hold *h)
{
	const unsigned int last = PAGE_SIZE / sizeof(u64) - 1;
	unsigned int i, w;

	for (i = 0; i < h->n; i++) {
		u64 *va = pcpu_pagecache_va(a->e->pool, h->addr + (u64)i * PAGE_SIZE);

		if (!va) {
			engine_err(a->e, "%s: no va for page %u of %pa+%u",
				   a->e->what, i, &h->addr, h->n);
			continue;
		}
		if (a->kind == ACT_THREAD) {
			for (w = 0; w <= last; w++)
				va[w] = pat(h->tag, i, w);
		} else {
			va[0] = pat(h->tag, i, 0);
			va[last] = pat(h->tag, i, last);
		}
	}
}

static void actor_verify(struct actor *a, struct hold *h)
{
	const unsigned int last = PAGE_SIZE / sizeof(u64) - 1;
	unsigned int i, w, step;

	step = a->kind == ACT_THREAD ? 1 : last;
	for (i = 0; i < h->n; i++) {
		u64 *va = pcpu_pagecache_va(a->e->pool, h->addr + (u64)i * PAGE_SIZE);

		if (!va)
			continue;
		for (w = 0; w <= last; w += step) {
			if (va[w] == pat(h->tag, i, w))
				continue;
			engine_err(a->e, "%s: actor %u: page %u of %pa+%u, word %u: %#llx, wrote %#llx",
				   a->e->what, a->id, i, &h->addr, h->n, w,
				   va[w], pat(h->tag, i, w));
			return;
		}
	}
}

static void actor_alloc(struct actor *a, struct hold *h)
{
	struct engine *e = a->e;
	unsigned int n = 1 + prandom_u32_state(&a->rnd) % MAX_RUN;
	unsigned long pg, i;
	phys_addr_t addr;

	/* Single pages take either entry, and are freed through either. */
	if (n == 1 && (a->seq & 1))
		addr = pcpu_pagecache_alloc_page(e->pool);
	else
		addr = __pcpu_pagecache_alloc(e->pool, n);

	if (!addr) {
		atomic_long_inc(&e->fails);
		return;
	}
	atomic_long_inc(&e->allocs);
	if (!PAGE_ALIGNED(addr)) {
		engine_err(e, "%s: alloc(%u) returned unaligned %pa",
			   e->what, n, &addr);
		return;
	}
	if (e->shadow) {
		pg = (addr - e->base) >> PAGE_SHIFT;
		if (addr < e->base || pg + n > e->npages) {
			engine_err(e, "%s: alloc(%u) returned %pa, outside the pool",
				   e->what, n, &addr);
			return;
		}
		for (i = 0; i < n; i++)
			if (test_and_set_bit(pg + i, e->shadow))
				engine_err(e, "%s: page %lu (run %pa+%u) handed out while held",
					   e->what, pg + i, &addr, n);
	}
	h->addr = addr;
	h->n = n;
	h->tag = (u64)(a->id + 1) << 48 | (a->seq++ & 0xffffffffULL) << 16;
	actor_write(a, h);
}

static void actor_free(struct actor *a, struct hold *h)
{
	struct engine *e = a->e;
	unsigned long pg, i;
	int r;

	actor_verify(a, h);
	if (e->shadow) {
		/* Before the free: the page may be handed out again at once. */
		pg = (h->addr - e->base) >> PAGE_SHIFT;
		for (i = 0; i < h->n; i++)
			if (!test_and_clear_bit(pg + i, e->shadow))
				engine_err(e, "%s: page %lu of held run %pa+%u was not marked",
					   e->what, pg + i, &h->addr, h->n);
	}
	if (h->n == 1 && (h->tag >> 17 & 1))
		r = pcpu_pagecache_free_page(e->pool, h->addr);
	else
		r = __pcpu_pagecache_free(e->pool, h->addr, h->n);
	if (r)
		engine_err(e, "%s: free(%pa, %u): %d", e->what, &h->addr, h->n, r);
	atomic_long_inc(&e->frees);
	h->n = 0;
}

static void actor_step(struct actor *a)
{
	struct hold *h = &a->holds[prandom_u32_state(&a->rnd) % a->nslots];

	if (h->n)
		actor_free(a, h);
	else
		actor_alloc(a, h);
}

static int actor_thread(void *arg)
{
	struct actor *a = arg;
	unsigned long iter = 0;

	while (!kthread_should_stop()) {
		actor_step(a);
		if ((++iter & 31) == 0)
			usleep_range(20, 100);
		else
			cond_resched();
	}
	return 0;
}

static enum hrtimer_restart actor_timer(struct hrtimer *t)
{
	struct actor *a = container_of(t, struct actor, timer);

	if (READ_ONCE(a->stopping))
		return HRTIMER_NORESTART;
	actor_step(a);
	hrtimer_forward_now(t, a->period);
	return HRTIMER_RESTART;
}

static enum hrtimer_mode actor_mode(struct actor *a)
{
	return a->kind == ACT_HARD ? HRTIMER_MODE_REL_PINNED_HARD :
				     HRTIMER_MODE_REL_PINNED_SOFT;
}

/* Runs on the timer's CPU (IPI): a pinned timer stays there. */
static void actor_timer_start(void *arg)
{
	struct actor *a = arg;

	hrtimer_start(&a->timer, a->period, actor_mode(a));
}

/*
 * One thread per online CPU (not bound: they migrate), and with @timers a
 * hardirq and a softirq hrtimer pinned to each online CPU.
 */
static int actors_start(struct actors *s, bool timers)
{
	struct engine *e = &s->e;
	cpumask_var_t cpus;
	unsigned int ncpu, i = 0;
	struct actor *a;
	int cpu;

	if (!zalloc_cpumask_var(&cpus, GFP_KERNEL))
		return -ENOMEM;
	cpus_read_lock();
	cpumask_copy(cpus, cpu_online_mask);
	cpus_read_unlock();
	ncpu = cpumask_weight(cpus);
	s->nr = ncpu * (timers ? 3 : 1);
	s->a = kcalloc(s->nr, sizeof(*s->a), GFP_KERNEL);
	if (!s->a) {
		free_cpumask_var(cpus);
		return -ENOMEM;
	}
	for (i = 0; i < s->nr; i++) {
		a = &s->a[i];
		a->e = e;
		a->id = i;
		a->kind = i < ncpu ? ACT_THREAD :
			  i < 2 * ncpu ? ACT_HARD : ACT_SOFT;
		a->nslots = a->kind == ACT_THREAD ? THR_SLOTS : TMR_SLOTS;
		prandom_seed_state(&a->rnd, get_random_u64());
	}
	for (i = 0; i < ncpu; i++) {
		a = &s->a[i];
		a->task = kthread_run(actor_thread, a, "tpp_%s/%u", e->what, i);
		if (IS_ERR(a->task)) {
			a->task = NULL;
			engine_err(e, "%s: cannot start thread %u", e->what, i);
		}
	}
	if (timers) {
		i = ncpu;
		for_each_cpu(cpu, cpus) {
			int k;

			for (k = 0; k < 2; k++) {
				a = &s->a[i + k * ncpu];
				a->period = ns_to_ktime((k ? 2 : 1) *
							(u64)stress_timer_us *
							NSEC_PER_USEC);
				hrtimer_init(&a->timer, CLOCK_MONOTONIC,
					     actor_mode(a));
				a->timer.function = actor_timer;
				a->started = !smp_call_function_single(cpu,
						actor_timer_start, a, 1);
			}
			i++;
		}
	}
	free_cpumask_var(cpus);
	return 0;
}

/* Stop every actor, check and free what they hold. */
static void actors_stop(struct actors *s)
{
	struct actor *a;
	unsigned int i, k;

	for (i = 0; i < s->nr; i++) {
		a = &s->a[i];
		if (a->kind != ACT_THREAD && a->started) {
			WRITE_ONCE(a->stopping, true);
			hrtimer_cancel(&a->timer);
		}
	}
	for (i = 0; i < s->nr; i++) {
		a = &s->a[i];
		if (a->task)
			kthread_stop(a->task);
		a->task = NULL;
	}
	for (i = 0; i < s->nr; i++) {
		a = &s->a[i];
		for (k = 0; k < a->nslots; k++)
			if (a->holds[k].n)
				actor_free(a, &a->holds[k]);
		cond_resched();
	}
	kfree(s->a);
	s->a = NULL;
	s->nr = 0;
}

static void engine_report(struct engine *e)
{
	pr_info("%s: %ld allocations, %ld frees, %ld returned 0, %d errors\n",
		e->what, atomic_long_read(&e->allocs),
		atomic_long_read(&e->frees), atomic_long_read(&e->fails),
		atomic_read(&e->errors));
	if (atomic_read(&e->errors))
		pr_err("%s: first error: %s\n", e->what, e->first_err);
}

/* ------------------------------------------------------------------ */
/* Stress                                                             */

static struct actors stress;
static struct tpool stress_pool;
static bool stress_running;

static int stress_start(void)
{
	struct engine *e = &stress.e;
	int ret;

	if (stress_running)
		return -EBUSY;
	ret = tpool_create(&stress_pool, "stress", resv_base, resv_size, 0);
	if (ret)
		return ret;
	memset(&stress, 0, sizeof(stress));
	e->what = "stress";
	e->pool = stress_pool.pool;
	e->base = stress_pool.base;
	e->npages = stress_pool.npages;
	e->shadow = bitmap_zalloc(e->npages, GFP_KERNEL);
	if (!e->shadow) {
		tpool_destroy(&stress_pool);
		return -ENOMEM;
	}
	ret = actors_start(&stress, true);
	if (ret) {
		bitmap_free(e->shadow);
		tpool_destroy(&stress_pool);
		return ret;
	}
	stress_running = true;
	pr_info("stress: started on %u actors, pool of %lu pages\n",
		stress.nr, e->npages);
	return 0;
}

static int stress_stop(void)
{
	struct engine *e = &stress.e;
	struct snap s;
	int cpu = cpumask_first(cpu_online_mask);
	int ret = 0;

	if (!stress_running)
		return -EINVAL;
	actors_stop(&stress);
	stress_running = false;
	engine_report(e);
	if (atomic_read(&e->errors))
		ret = -EIO;
	if (!CHECK(bitmap_empty(e->shadow, e->npages)))
		ret = -EIO;
	snap_take(stress_pool.pool, &s);
	pr_info("stress: final stats: total %lld free %lld cached %lld inuse %lld leaked %lld fast %lld/%lld slow %lld/%lld refills %lld flushes %lld locks %lld invalid %lld\n",
		s.v[ST_pages_total], s.v[ST_pages_free], s.v[ST_pages_cached], s.v[ST_pages_inuse],
		s.v[ST_pages_leaked], s.v[ST_alloc_fast], s.v[ST_free_fast], s.v[ST_alloc_slow],
		s.v[ST_free_slow], s.v[ST_refills], s.v[ST_flushes], s.v[ST_lock_acquisitions],
		s.v[ST_invalid_frees]);
	if (!IDLE(&s, "stress end") || !CHECK_EQ(s.v[ST_invalid_frees], 0))
		ret = -EIO;
	/* Every page still there, exactly once. */
	if (!ret && exhaust_check(&stress_pool, cpu, false))
		ret = -EIO;
	bitmap_free(e->shadow);
	e->shadow = NULL;
	tpool_destroy(&stress_pool);
	pr_info("stress: verdict %s\n", ret ? "FAIL" : "pass");
	return ret;
}

static int t_stress(unsigned int secs)
{
	unsigned long end;
	struct snap s;
	int ret, bad = 0, reads = 0;

	ret = stress_start();
	if (ret)
		return ret;
	end = jiffies + secs * HZ;
	while (time_before(jiffies, end)) {
		msleep_interruptible(500);
		snap_take(stress_pool.pool, &s);
		reads++;
		if (!INVARIANT(&s, "during stress") ||
		    !CHECK_EQ(s.v[ST_pages_leaked], 0))
			bad++;
		if (fatal_signal_pending(current))
			break;
	}
	ret = stress_stop();
	if (bad)
		pr_err("stress: %d of %d stats snapshots taken during the run were wrong\n",
		       bad, reads);
	return bad ? -EIO : ret;
}

/* ------------------------------------------------------------------ */
/* Default pool helpers and the workload                              */

static long warm_fn(void *arg)
{
	struct pcpu_pagecache *pool = arg;
	phys_addr_t a = pcpu_pagecache_alloc(pool, 1);

	if (!a)
		return -ENOMEM;
	return pcpu_pagecache_free(pool, a, 1);
}

static int warm_all(void)
{
	struct pcpu_pagecache *pool = pcpu_pagecache_default();
	int cpu, r, ret = 0;

	if (!pool) {
		pr_err("no default pool\n");
		return -ENODEV;
	}
	for_each_online_cpu(cpu) {
		r = work_on_cpu_safe(cpu, warm_fn, pool);
		if (r && r != -ENODEV) {
			pr_err("%s: cpu%d: %d\n", __func__, cpu, r);
			ret = r;
		}
	}
	return ret;
}

/*
 * The actions below give the tracepoint selftest one event each on the
 * default pool; they check little themselves.
 */
static int default_alloc(const char *arg)
{
	struct pcpu_pagecache *pool = pcpu_pagecache_default();
	unsigned int n;
	phys_addr_t a;

	if (!pool)
		return -ENODEV;
	if (!arg || kstrtouint(arg, 0, &n))
		return -EINVAL;
	a = pcpu_pagecache_alloc(pool, n);
	if (!a)
		return -ENOMEM;
	return pcpu_pagecache_free(pool, a, n);
}

/*
 * Not inlined: the invalid_free event must name this function as the
 * caller.  16 pages bypass the per-CPU cache, so both frees take the lock.
 */
static noinline int default_bad_free(void)
{
	struct pcpu_pagecache *pool = pcpu_pagecache_default();
	const unsigned int n = PCPU_PAGECACHE_FAST_PAGES;
	phys_addr_t a;

	if (!pool)
		return -ENODEV;
	a = pcpu_pagecache_alloc(pool, n);
	if (!a)
		return -ENOMEM;
	if (!CHECK_EQ(pcpu_pagecache_free(pool, a, n), 0) ||
	    !CHECK_EQ(pcpu_pagecache_free(pool, a, n), -EINVAL))
		return -EIO;
	pr_info("%s: double free of %pa +%u refused\n", __func__, &a, n);
	return 0;
}

static int exhaust_warm(struct tpool *tp, int cpu);

/* The default pool as a tpool: -ENODEV without one. */
static int default_tpool(struct tpool *tp)
{
	struct snap s;

	memset(tp, 0, sizeof(*tp));
	tp->pool = pcpu_pagecache_default();
	if (!tp->pool)
		return -ENODEV;
	snap_take(tp->pool, &s);
	tp->npages = s.v[ST_pages_total];
	return 0;
}

/* default_exhaust_warm: every CPU warm, then one takes every page. */
static int default_exhaust_warm(void)
{
	struct tpool tp;

	return default_tpool(&tp) ?:
	       exhaust_warm(&tp, cpumask_last(cpu_online_mask));
}

static int default_exhaust(void)
{
	struct tpool tp;

	return default_tpool(&tp) ?:
	       exhaust_check(&tp, cpumask_first(cpu_online_mask), true);
}

/* ------------------------------------------------------------------ */
/* NUMA: a CPU's pages come from its node while that node has some     */

/*
 * The node of page @a: its struct page's for a pool from the page
 * allocator; a reserved range's pages are not the kernel's, so the
 * firmware's (SRAT's) memory ranges tell, as phys_to_target_node() keeps
 * them.  scripts/guest/big.sh checks the node column of the default pool's
 * chunks file against the guest's layout, which checks that answer too.
 */
static int numa_page_node(bool reserved, phys_addr_t a)
{
	if (reserved)
		return phys_to_target_node(a);
	return page_to_nid(pfn_to_page(PHYS_PFN(a)));
}

/*
 * The single pages @x took on @cpu, in order: every page of the pool on
 * @nid first, then the others, and some of each.
 */
static int numa_order(struct exh *x, bool reserved, int nid, int cpu)
{
	unsigned long i, local = 0, remote = 0;
	int node;

	for (i = 0; i < x->nruns; i++) {
		node = numa_page_node(reserved, x->runs[i].addr);
		if (node != nid) {
			remote++;
			continue;
		}
		local++;
		if (remote) {
			pr_err("cpu%d (node %d): allocation %lu, %pa, is on its node after %lu pages of other nodes\n",
			       cpu, nid, i, &x->runs[i].addr, remote);
			return -EIO;
		}
	}
	pr_info("cpu%d (node %d): %lu pages of its node first, then %lu of other nodes\n",
		cpu, nid, local, remote);
	return CHECK(local) && CHECK(remote) ? 0 : -EIO;
}

/* For each node with an online CPU: the first such CPU takes every page. */
static int numa_check(struct tpool *tp, bool reserved)
{
	int nid, cpu, nodes = 0, ret;
	struct exh x;

	for_each_node_state(nid, N_CPU) {
		cpu = cpumask_first_and(cpumask_of_node(nid), cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			continue;
		nodes++;
		if (exh_init(&x, tp, false))
			return -ENOMEM;
		ret = exh_take(&x, cpu);
		if (!ret)
			ret = numa_order(&x, reserved, nid, cpu);
		if (exh_release(&x, cpu))
			ret = -EIO;
		exh_fini(&x);
		if (ret)
			return ret;
	}
	if (!CHECK(nodes >= 2)) {
		pr_err("numa_local needs online CPUs on two nodes\n");
		return -EIO;
	}
	return 0;
}

/*
 * numa_local: a pool of 64 MiB from the page allocator, whose blocks come
 * from every node, then the default pool, on a reserved range that spans
 * the nodes.
 */
static int numa_local(void)
{
	struct tpool tp;
	int ret;

	ret = tpool_create(&tp, "numa", 0, SZ_64M, 0);
	if (ret)
		return ret;
	ret = numa_check(&tp, false);
	tpool_destroy(&tp);
	if (ret)
		return ret;
	return default_tpool(&tp) ?: numa_check(&tp, true);
}

/*
 * For fault injection: pcpu_pagecache_fault.sh makes the N-th allocation
 * of this write fail (fail-nth), for N = 1, 2, ... until it succeeds with
 * no fault consumed.  A failed create must return its error and leave
 * nothing behind: the script checks debugfs and /proc/iomem, and the next
 * create of the same name.
 */
static int fault_create(const char *arg)
{
	struct pcpu_pagecache *pool;
	unsigned int mode;
	phys_addr_t a;
	int ret = 0;

	if (!arg || kstrtouint(arg, 0, &mode) || mode > 1)
		return -EINVAL;
	pool = pcpu_pagecache_create("fault", mode ? resv_base : 0, SZ_POOL);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	a = pcpu_pagecache_alloc(pool, 1);
	if (!CHECK(a) || !CHECK_EQ(pcpu_pagecache_free(pool, a, 1), 0))
		ret = -EIO;
	pcpu_pagecache_destroy(pool);
	return ret;
}

static DEFINE_MUTEX(workload_lock);
static struct actors workload;
static bool workload_running;

static int workload_start(void)
{
	struct pcpu_pagecache *pool = pcpu_pagecache_default();
	int ret;

	if (!pool)
		return -ENODEV;
	if (workload_running)
		return -EBUSY;
	memset(&workload, 0, sizeof(workload));
	workload.e.what = "workload";
	workload.e.pool = pool;
	ret = actors_start(&workload, false);
	if (!ret)
		workload_running = true;
	return ret;
}

static int workload_stop(void)
{
	if (!workload_running)
		return -EINVAL;
	actors_stop(&workload);
	workload_running = false;
	engine_report(&workload.e);
	return atomic_read(&workload.e.errors) ? -EIO : 0;
}

/* ------------------------------------------------------------------ */
/* debugfs                                                            */

struct tp_test {
	const char *name;
	int (*fn)(void);
};

/* ------------------------------------------------------------------ */
/* Core v2: reclaim, remote frees, racing double frees, bulk          */

static long warm_one_fn(void *arg)
{
	struct pcpu_pagecache *pool = arg;
	phys_addr_t a = pcpu_pagecache_alloc(pool, 1);

	return a ? pcpu_pagecache_free(pool, a, 1) : -ENOMEM;
}

/* Every online CPU takes a window of @pool (an alloc and a free). */
static int warm_windows(struct pcpu_pagecache *pool)
{
	int cpu, r;

	for_each_online_cpu(cpu) {
		r = run_on(cpu, warm_one_fn, pool);
		if (!CHECK_EQ(r, 0))
			return -EIO;
	}
	return 0;
}

/*
 * Every online CPU warms its window, then @cpu takes every page of @tp
 * without a drain: the pages in the other CPUs' windows must come back by
 * reclaim, each once.  Then everything goes back and the pool is idle.
 */
static int exhaust_warm(struct tpool *tp, int cpu)
{
	struct snap s;
	struct exh x;
	int ret;

	if (warm_windows(tp->pool) || exh_init(&x, tp, false))
		return -EIO;
	ret = run_on(cpu, exh_take_fn, &x) || !CHECK_EQ(x.err, 0) ||
	      !CHECK_EQ(x.pages, tp->npages) || !exh_distinct(&x) ? -EIO : 0;
	if (ret)
		pr_err("took %lu of %lu pages\n", x.pages, tp->npages);
	if (run_on(cpu, exh_release_fn, &x) || !CHECK_EQ(x.err, 0))
		ret = -EIO;
	exh_fini(&x);
	pcpu_pagecache_drain(tp->pool);
	snap_take(tp->pool, &s);
	if (!IDLE(&s, "after the exhaustion"))
		ret = -EIO;
	return ret;
}

/*
 * Pages stranded in other CPUs' windows must not make an allocation fail:
 * a 1 MiB pool (256 pages) whose free pages all sit in windows still
 * serves a 16-page run, and one CPU can take every page, each once.
 */
static int t_reclaim_windows(void)
{
	const size_t sz = SZ_1M;
	struct tpool tp = {};
	struct snap s;
	phys_addr_t a;
	int cpu, other, ret;

	if (two_cpus(&cpu, &other))
		return -EIO;
	ret = tpool_create(&tp, "t_reclaim", resv(0), sz, 0);
	if (ret)
		return ret;
	ret = -EIO;
	if (warm_windows(tp.pool))
		goto out;
	snap_take(tp.pool, &s);
	if (!CHECK(s.v[ST_pages_cached] >= 2 * WINDOW))
		goto out;
	a = alloc1_on(cpu, tp.pool, 16);
	if (!CHECK(a) || !tpool_run_ok(&tp, a, 16) ||
	    !CHECK_EQ(free1_on(other, tp.pool, a, 16), 0))
		goto out;

	/* Exhaust from one CPU while the others hold windows: no drain. */
	ret = exhaust_warm(&tp, cpu);
out:
	tpool_destroy(&tp);
	return ret;
}

/*
 * Producer/consumer: pages taken on one CPU and freed on another go back
 * in batches, so the lock is taken at most once per PCPU_PAGECACHE_BATCH
 * frees, and the producer takes them back from its window without it.
 */
static int t_remote_free_batch(void)
{
	const unsigned int rounds = 200, ring = 64;
	phys_addr_t *ring_addrs;
	struct tpool tp = {};
	struct snap s0, s1;
	unsigned int i;
	int cpu, other, ret;
	s64 frees, locks;

	if (two_cpus(&cpu, &other))
		return -EIO;
	ring_addrs = kcalloc(ring, sizeof(*ring_addrs), GFP_KERNEL);
	if (!ring_addrs)
		return -ENOMEM;
	ret = tpool_create(&tp, "t_remote", resv(0), SZ_POOL, 0);
	if (ret)
		goto out_free;
	ret = -EIO;
	snap_take(tp.pool, &s0);
	for (i = 0; i < rounds; i++) {
		if (!CHECK_EQ(alloc_on(cpu, tp.pool, ring_addrs, ring, 1), 0) ||
		    !CHECK_EQ(free_on(other, tp.pool, ring_addrs, ring, 1), 0))
			goto out;
	}
	snap_take(tp.pool, &s1);
	frees = s1.v[ST_free_remote] - s0.v[ST_free_remote];
	locks = s1.v[ST_lock_acquisitions] - s0.v[ST_lock_acquisitions];
	pr_info("remote frees: %lld of %u, lock acquisitions %lld, refills %lld\n",
		frees, rounds * ring, locks, s1.v[ST_refills] - s0.v[ST_refills]);
	if (!CHECK_EQ(frees, rounds * ring) ||
	    !CHECK(locks <= frees / PCPU_PAGECACHE_BATCH + 4) ||
	    !CHECK_EQ(s1.v[ST_invalid_frees], s0.v[ST_invalid_frees]) ||
	    !INVARIANT(&s1, "after producer/consumer"))
		goto out;
	pcpu_pagecache_drain(tp.pool);
	snap_take(tp.pool, &s1);
	if (!IDLE(&s1, "after producer/consumer") ||
	    exhaust_check(&tp, cpu, false))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
out_free:
	kfree(ring_addrs);
	return ret;
}

/* Two threads on two CPUs free the same pages at the same moment. */
struct race {
	struct pcpu_pagecache *pool;
	phys_addr_t *addrs;
	unsigned int count;
	atomic_t ready;
	atomic_t go;
	atomic_t ok;		/* frees that returned 0 */
	atomic_t done;
};

static int race_fn(void *arg)
{
	struct race *r = arg;
	unsigned int i;

	atomic_inc(&r->ready);
	while (!atomic_read(&r->go))
		cpu_relax();
	for (i = 0; i < r->count; i++)
		if (!pcpu_pagecache_free(r->pool, r->addrs[i], 1))
			atomic_inc(&r->ok);
	atomic_inc(&r->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static int race_round(struct race *r, int cpu, int other)
{
	struct task_struct *t[2];
	int i, cpus[2] = { cpu, other };

	atomic_set(&r->ready, 0);
	atomic_set(&r->go, 0);
	atomic_set(&r->done, 0);
	for (i = 0; i < 2; i++) {
		t[i] = kthread_create(race_fn, r, "tpp_race/%d", cpus[i]);
		if (IS_ERR(t[i])) {
			if (i)
				kthread_stop(t[0]);
			return PTR_ERR(t[i]);
		}
		kthread_bind(t[i], cpus[i]);
		wake_up_process(t[i]);
	}
	while (atomic_read(&r->ready) < 2)
		schedule_timeout_uninterruptible(1);
	atomic_set(&r->go, 1);
	while (atomic_read(&r->done) < 2)
		schedule_timeout_uninterruptible(1);
	kthread_stop(t[0]);
	kthread_stop(t[1]);
	return 0;
}

/*
 * Each page is freed twice at once: one free wins, the other is refused at
 * the call or, when the two really raced, dropped and counted when its
 * batch or the window's remote frees are taken back.  Either way
 * invalid_frees grows by one per page, nothing is left in use, and an
 * exhaustion hands out every page once.
 */
static int t_double_free_race(void)
{
	const unsigned int rounds = 40;
	struct race r = {};
	struct tpool tp = {};
	struct snap s0, s1;
	unsigned int i, won = 0;
	int cpu, other, ret;

	if (two_cpus(&cpu, &other))
		return -EIO;
	r.addrs = kcalloc(WINDOW, sizeof(*r.addrs), GFP_KERNEL);
	if (!r.addrs)
		return -ENOMEM;
	ret = tpool_create(&tp, "t_race", resv(0), SZ_POOL, 0);
	if (ret)
		goto out_free;
	ret = -EIO;
	r.pool = tp.pool;
	r.count = WINDOW;
	snap_take(tp.pool, &s0);
	for (i = 0; i < rounds; i++) {
		/* A window's worth on cpu: its fast path races other's batch. */
		atomic_set(&r.ok, 0);
		if (!CHECK_EQ(alloc_on(cpu, tp.pool, r.addrs, WINDOW, 1), 0) ||
		    !CHECK_EQ(race_round(&r, cpu, other), 0))
			goto out;
		/* Batches applied before any of these pages is handed out again. */
		pcpu_pagecache_drain(tp.pool);
		if (!CHECK(atomic_read(&r.ok) >= WINDOW))
			goto out;
		won += atomic_read(&r.ok) - WINDOW;
	}
	snap_take(tp.pool, &s1);
	pr_info("double free race: %u of %u pages freed twice with 0 both times\n",
		won, rounds * WINDOW);
	if (!DELTA(&s0, &s1, "racing double frees",
		   ST_invalid_frees, rounds * WINDOW, ST_alloc_fast, ST_ANY, ST_alloc_slow, ST_ANY,
		   ST_free_fast, ST_ANY, ST_free_slow, ST_ANY, ST_free_remote, ST_ANY,
		   ST_refills, ST_ANY, ST_flushes, ST_ANY, ST_lock_acquisitions, ST_ANY,
		   ST_reclaims, ST_ANY, ST_pages_free, ST_ANY, ST_pages_cached, ST_ANY) ||
	    !IDLE(&s1, "after racing double frees") ||
	    exhaust_check(&tp, cpu, false) || exhaust_check(&tp, other, true))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
out_free:
	kfree(r.addrs);
	return ret;
}

struct bulk {
	struct pcpu_pagecache *pool;
	phys_addr_t *addrs;
	unsigned int n, count, got;
	int ret;
};

static long bulk_alloc_fn(void *arg)
{
	struct bulk *b = arg;

	b->got = pcpu_pagecache_alloc_bulk(b->pool, b->n, b->count, b->addrs);
	return 0;
}

static long bulk_free_fn(void *arg)
{
	struct bulk *b = arg;

	b->ret = pcpu_pagecache_free_bulk(b->pool, b->n, b->count, b->addrs);
	return 0;
}

/* The bulk calls: distinct valid runs, the pool's own limits, bad input. */
static int t_bulk(void)
{
	static const unsigned int sizes[] = { 1, 3, 15, 16, 100 };
	const unsigned int count = 300;
	struct bulk b = { .count = count };
	struct tpool tp = {};
	struct snap s0, s1;
	unsigned int i, k;
	int cpu, other, ret;

	if (two_cpus(&cpu, &other))
		return -EIO;
	b.addrs = kcalloc(count + 1, sizeof(*b.addrs), GFP_KERNEL);
	if (!b.addrs)
		return -ENOMEM;
	ret = tpool_create(&tp, "t_bulk", resv(0), SZ_POOL, 0);
	if (ret)
		goto out_free;
	ret = -EIO;
	b.pool = tp.pool;
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		b.n = sizes[k];
		b.count = min_t(unsigned int, count, tp.npages / b.n / 2);
		snap_take(tp.pool, &s0);
		if (run_on(cpu, bulk_alloc_fn, &b) || !CHECK_EQ(b.got, b.count))
			goto out;
		for (i = 0; i < b.got; i++)
			if (!tpool_run_ok(&tp, b.addrs[i], b.n))
				goto out;
		snap_take(tp.pool, &s1);
		if (!CHECK_EQ(s1.v[ST_pages_inuse] - s0.v[ST_pages_inuse], b.got * b.n))
			goto out;
		/* Freed on the other CPU, one bad address among them. */
		b.addrs[b.count] = b.addrs[0];
		b.count++;
		if (run_on(other, bulk_free_fn, &b) || !CHECK_EQ(b.ret, -EINVAL))
			goto out;
		pcpu_pagecache_drain(tp.pool);
		snap_take(tp.pool, &s1);
		if (!CHECK_EQ(s1.v[ST_invalid_frees] - s0.v[ST_invalid_frees], 1) ||
		    !IDLE(&s1, "after a bulk free"))
			goto out;
	}
	/* Bad sizes: nothing allocated, counted as one failure each. */
	snap_take(tp.pool, &s0);
	if (!CHECK_EQ(pcpu_pagecache_alloc_bulk(tp.pool, 0, 4, b.addrs), 0) ||
	    !CHECK_EQ(pcpu_pagecache_alloc_bulk(tp.pool, tp.npages + 1, 4, b.addrs), 0) ||
	    !CHECK_EQ(pcpu_pagecache_free_bulk(tp.pool, 0, 1, b.addrs), -EINVAL))
		goto out;
	snap_take(tp.pool, &s1);
	if (!DELTA(&s0, &s1, "bulk with bad sizes", ST_alloc_fail, 2, ST_invalid_frees, 1,
		   ST_lock_acquisitions, ST_ANY, ST_reclaims, ST_ANY))
		goto out;
	/* More than the pool has: every page, then a short count. */
	b.n = 1;
	kfree(b.addrs);
	b.addrs = kvcalloc(tp.npages + 8, sizeof(*b.addrs), GFP_KERNEL);
	if (!CHECK(b.addrs))
		goto out;
	b.count = tp.npages + 8;
	if (run_on(cpu, bulk_alloc_fn, &b) || !CHECK_EQ(b.got, tp.npages))
		goto out;
	b.count = b.got;
	if (run_on(cpu, bulk_free_fn, &b) || !CHECK_EQ(b.ret, 0))
		goto out;
	pcpu_pagecache_drain(tp.pool);
	snap_take(tp.pool, &s1);
	if (!IDLE(&s1, "after a bulk exhaustion"))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
out_free:
	kvfree(b.addrs);
	return ret;
}

/*
 * Frees just below a CPU's window (or its old window, once it has none):
 * the page index wraps there, and must not pass for the window's last
 * page.  A page outside the pool is refused, an allocated page below the
 * window is freed as itself, and nothing else moves.
 */
static int t_free_near_window(void)
{
	phys_addr_t w0[WINDOW], w1;
	struct tpool tp = {};
	struct snap s0, s1;
	int cpu, other, ret;

	if (two_cpus(&cpu, &other))
		return -EIO;
	ret = tpool_create(&tp, "t_near", resv(0), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = -EIO;
	/* cpu's first window is the pool's first 64 pages. */
	if (!CHECK_EQ(alloc_on(cpu, tp.pool, w0, WINDOW, 1), 0) ||
	    !CHECK_EQ(w0[0], tp.base) ||
	    !BAD_FREE(&tp, cpu, tp.base - PAGE_SIZE, 1, "page below the window and the pool"))
		goto out;
	/* The 65th page: the next window, whose page below is w0's last. */
	w1 = alloc1_on(cpu, tp.pool, 1);
	if (!CHECK_EQ(w1, tp.base + WINDOW * PAGE_SIZE))
		goto out;
	snap_take(tp.pool, &s0);
	if (!CHECK_EQ(free1_on(cpu, tp.pool, w0[WINDOW - 1], 1), 0))
		goto out;
	snap_take(tp.pool, &s1);
	if (!DELTA(&s0, &s1, "free of the page below the window",
		   ST_pages_inuse, -1, ST_pages_cached, 1, ST_free_remote, 1) ||
	    !BAD_FREE(&tp, cpu, w0[WINDOW - 1], 1, "the page below, twice"))
		goto out;
	/* No window at all: the old base stays, the span is 0. */
	pcpu_pagecache_drain(tp.pool);
	if (!BAD_FREE(&tp, cpu, w1 - PAGE_SIZE, 1, "page below an old window, free") ||
	    !CHECK_EQ(free_on(cpu, tp.pool, w0, WINDOW - 1, 1), 0) ||
	    !CHECK_EQ(free1_on(cpu, tp.pool, w1, 1), 0))
		goto out;
	pcpu_pagecache_drain(tp.pool);
	snap_take(tp.pool, &s1);
	if (!IDLE(&s1, "after the frees") || exhaust_check(&tp, cpu, false))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
	return ret;
}

/*
 * A producer takes runs of 15 pages (a new window every few allocations)
 * while a consumer on another CPU frees them: the consumer's check without
 * the lock reads the owner of a word, then the owner's masks, while the
 * owner trades windows.  Every valid free must be accepted.
 */
#define PC_RING		64
#define PC_RUN		(PCPU_PAGECACHE_FAST_PAGES - 1)

struct pc_ring {
	struct pcpu_pagecache *pool;
	phys_addr_t slot[PC_RING];
	atomic_t head, tail;		/* produced, consumed */
	unsigned int total;
	atomic_t refused, done;
};

static int pc_producer(void *arg)
{
	struct pc_ring *r = arg;
	unsigned int i, h;
	phys_addr_t a;

	for (i = 0; i < r->total; i++) {
		h = atomic_read(&r->head);
		while (h - atomic_read_acquire(&r->tail) == PC_RING)
			cpu_relax();
		while (!(a = pcpu_pagecache_alloc(r->pool, PC_RUN)))
			cond_resched();
		r->slot[h % PC_RING] = a;
		atomic_set_release(&r->head, h + 1);
	}
	atomic_inc(&r->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static int pc_consumer(void *arg)
{
	struct pc_ring *r = arg;
	unsigned int i, t;

	for (i = 0; i < r->total; i++) {
		t = atomic_read(&r->tail);
		while (atomic_read_acquire(&r->head) == t)
			cpu_relax();
		if (pcpu_pagecache_free(r->pool, r->slot[t % PC_RING], PC_RUN))
			atomic_inc(&r->refused);
		atomic_set_release(&r->tail, t + 1);
	}
	atomic_inc(&r->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static int t_remote_free_vs_refill(void)
{
	struct task_struct *t[2] = {};
	struct tpool tp = {};
	struct snap s0, s1;
	struct pc_ring *r;
	int cpu, other, ret, i;

	if (two_cpus(&cpu, &other))
		return -EIO;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	ret = tpool_create(&tp, "t_pc_refill", resv(0), SZ_POOL, 0);
	if (ret)
		goto out_free;
	ret = -EIO;
	r->pool = tp.pool;
	r->total = 20000;
	snap_take(tp.pool, &s0);
	t[0] = kthread_create(pc_producer, r, "tpp_prod");
	t[1] = kthread_create(pc_consumer, r, "tpp_cons");
	for (i = 0; i < 2; i++) {
		if (IS_ERR(t[i])) {
			pr_err("kthread_create: %ld\n", PTR_ERR(t[i]));
			t[i] = NULL;
			goto out;
		}
	}
	kthread_bind(t[0], cpu);
	kthread_bind(t[1], other);
	wake_up_process(t[0]);
	wake_up_process(t[1]);
	while (atomic_read(&r->done) < 2)
		schedule_timeout_uninterruptible(1);
	pcpu_pagecache_drain(tp.pool);
	snap_take(tp.pool, &s1);
	pr_info("producer/consumer of %u-page runs: %u frees, %d refused, %lld refills\n",
		PC_RUN, r->total, atomic_read(&r->refused),
		s1.v[ST_refills] - s0.v[ST_refills]);
	if (!CHECK_EQ(atomic_read(&r->refused), 0) ||
	    !CHECK_EQ(s1.v[ST_invalid_frees], s0.v[ST_invalid_frees]) ||
	    !IDLE(&s1, "after the producer/consumer") ||
	    exhaust_check(&tp, cpu, false))
		goto out;
	ret = 0;
out:
	for (i = 0; i < 2; i++)
		if (t[i])
			kthread_stop(t[i]);
	tpool_destroy(&tp);
out_free:
	kfree(r);
	return ret;
}

/* Stats are read without stopping CPUs: fine with interrupts off. */
/*
 * The single-page entries against the general ones with one page (@one is
 * 1, read at run time so that the header's dispatch cannot see it): the
 * same pages, the same counts, the same refusals; and on a NOCACHE pool,
 * the locked path.  Each step runs on one CPU; the snapshots are taken
 * between steps (stop_machine() may not run in run_on()'s worker).
 */
static unsigned int one_page = 1;

struct pe {
	struct tpool *tp;
	int step;
	phys_addr_t a[WINDOW + 1], g;
	int bad;			/* refusals seen */
};

static long page_entries_fn(void *arg)
{
	unsigned int one = READ_ONCE(one_page), i;
	struct pe *pe = arg;
	struct tpool *tp = pe->tp;
	phys_addr_t *a = pe->a;

	switch (pe->step) {
	case 0:	/* A fresh pool's first window, page by page, then the next. */
		for (i = 0; i < WINDOW + 1; i++)
			a[i] = pcpu_pagecache_alloc_page(tp->pool);
		return 0;
	case 1:	/* Either entry frees what the other took, and takes it back. */
		if (!CHECK_EQ(__pcpu_pagecache_free(tp->pool, a[WINDOW], one), 0) ||
		    !CHECK_EQ(__pcpu_pagecache_alloc(tp->pool, one), a[WINDOW]) ||
		    !CHECK_EQ(pcpu_pagecache_free_page(tp->pool, a[WINDOW]), 0) ||
		    !CHECK_EQ(pcpu_pagecache_alloc_page(tp->pool), a[WINDOW]))
			return -EIO;
		pe->g = __pcpu_pagecache_alloc(tp->pool, one);
		if (!CHECK_EQ(pe->g, a[WINDOW] + PAGE_SIZE) ||
		    !CHECK_EQ(pcpu_pagecache_free_page(tp->pool, pe->g), 0))
			return -EIO;
		return 0;
	case 2:	/* Twice, twice again, unaligned, below, past the window. */
		pe->bad += __pcpu_pagecache_free(tp->pool, pe->g, one) == -EINVAL;
		pe->bad += pcpu_pagecache_free_page(tp->pool, pe->g) == -EINVAL;
		pe->bad += pcpu_pagecache_free_page(tp->pool, a[WINDOW] + 8) == -EINVAL;
		pe->bad += pcpu_pagecache_free_page(tp->pool, tp->base - PAGE_SIZE) == -EINVAL;
		pe->bad += pcpu_pagecache_free_page(tp->pool, pe->g + PAGE_SIZE) == -EINVAL;
		pe->bad += pcpu_pagecache_free_page(tp->pool, tp->base + tp->size) == -EINVAL;
		return 0;
	default: /* The first window's pages are remote now. */
		for (i = 0; i < WINDOW + 1; i++)
			if (!CHECK_EQ(i & 1 ? pcpu_pagecache_free_page(tp->pool, a[i]) :
				      __pcpu_pagecache_free(tp->pool, a[i], one), 0))
				return -EIO;
		return 0;
	}
}

static int page_entries_step(struct pe *pe, int cpu, int step,
			     struct snap *s0, struct snap *s1)
{
	pe->step = step;
	snap_take(pe->tp->pool, s0);
	if (run_on(cpu, page_entries_fn, pe))
		return -EIO;
	snap_take(pe->tp->pool, s1);
	return 0;
}

static int t_page_entries(void)
{
	struct pe *pe = kzalloc(sizeof(*pe), GFP_KERNEL);
	struct tpool tp = {};
	struct snap s0, s1;
	int cpu, other, ret;
	unsigned int i;
	phys_addr_t a;

	if (!pe)
		return -ENOMEM;
	if (two_cpus(&cpu, &other)) {
		kfree(pe);
		return -EIO;
	}
	ret = tpool_create(&tp, "t_page", resv(0), SZ_POOL, 0);
	if (ret) {
		kfree(pe);
		return ret;
	}
	ret = -EIO;
	pe->tp = &tp;
	if (page_entries_step(pe, cpu, 0, &s0, &s1))
		goto out;
	for (i = 0; i < WINDOW + 1; i++)
		if (!CHECK_EQ(pe->a[i], tp.base + i * PAGE_SIZE))
			goto out;
	if (!DELTA(&s0, &s1, "two windows' first pages, page by page",
		   ST_pages_inuse, WINDOW + 1, ST_pages_free, -2 * WINDOW,
		   ST_pages_cached, WINDOW - 1, ST_alloc_fast, WINDOW - 1, ST_alloc_slow, 2,
		   ST_refills, 2, ST_flushes, 1, ST_lock_acquisitions, 2))
		goto out;
	if (page_entries_step(pe, cpu, 1, &s0, &s1) ||
	    !DELTA(&s0, &s1, "single pages through both entries",
		   ST_alloc_fast, 3, ST_free_fast, 3))
		goto out;
	if (page_entries_step(pe, cpu, 2, &s0, &s1) || !CHECK_EQ(pe->bad, 6) ||
	    !DELTA(&s0, &s1, "refused frees of single pages",
		   ST_invalid_frees, 6, ST_lock_acquisitions, ST_ANY, ST_free_slow, ST_ANY))
		goto out;
	if (page_entries_step(pe, cpu, 3, &s0, &s1) ||
	    !DELTA(&s0, &s1, "the first window, freed from the second",
		   ST_pages_inuse, -(WINDOW + 1), ST_free_fast, 1, ST_free_remote, WINDOW,
		   ST_pages_free, ST_ANY, ST_pages_cached, ST_ANY, ST_lock_acquisitions, ST_ANY))
		goto out;
	pcpu_pagecache_drain(tp.pool);
	snap_take(tp.pool, &s0);
	if (!IDLE(&s0, "after the single-page entries") ||
	    exhaust_check(&tp, cpu, false))
		goto out;
	tpool_destroy(&tp);

	/* NOCACHE: the same entries take the lock every time. */
	ret = tpool_create(&tp, "t_page_nocache", resv(0), SZ_POOL,
			   PCPU_PAGECACHE_NOCACHE);
	if (ret)
		goto out_free;
	ret = -EIO;
	snap_take(tp.pool, &s0);
	a = pcpu_pagecache_alloc_page(tp.pool);
	if (!CHECK_EQ(a, tp.base) ||
	    !CHECK_EQ(pcpu_pagecache_free_page(tp.pool, a), 0) ||
	    !CHECK_EQ(pcpu_pagecache_free_page(tp.pool, a), -EINVAL))
		goto out;
	snap_take(tp.pool, &s1);
	if (!DELTA(&s0, &s1, "single pages of a NOCACHE pool",
		   ST_alloc_slow, 1, ST_free_slow, 1, ST_invalid_frees, 1,
		   ST_lock_acquisitions, 3) ||
	    exhaust_check(&tp, cpu, false))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
out_free:
	kfree(pe);
	return ret;
}

static int t_stats_atomic(void)
{
	struct pcpu_pagecache_stats st;
	struct tpool tp = {};
	unsigned long flags;
	phys_addr_t a;
	int ret;

	ret = tpool_create(&tp, "t_stats", resv(0), SZ_POOL, 0);
	if (ret)
		return ret;
	ret = -EIO;
	a = pcpu_pagecache_alloc(tp.pool, 3);
	if (!CHECK(a))
		goto out;
	local_irq_save(flags);
	pcpu_pagecache_get_stats(tp.pool, &st);
	local_irq_restore(flags);
	if (!CHECK_EQ(st.pages_inuse, 3) ||
	    !CHECK_EQ(st.pages_total, st.pages_free + st.pages_cached +
		      st.pages_inuse + st.pages_leaked) ||
	    !CHECK_EQ(pcpu_pagecache_free(tp.pool, a, 3), 0))
		goto out;
	ret = 0;
out:
	tpool_destroy(&tp);
	return ret;
}

static const struct tp_test tests[] = {
	{ "api_single_page", t_api_single_page },
	{ "api_multi_page", t_api_multi_page },
	{ "api_cross_chunk", t_api_cross_chunk },
	{ "api_partial_chunk", t_api_partial_chunk },
	{ "api_exhaustion", t_api_exhaustion },
	{ "api_va_write", t_api_va_write },
	{ "api_multi_pool", t_api_multi_pool },
	{ "api_create_errors", t_api_create_errors },
	{ "bad_npages", t_bad_npages },
	{ "bad_free_outside", t_bad_free_outside },
	{ "bad_free_unaligned", t_bad_free_unaligned },
	{ "bad_free_not_allocated", t_bad_free_not_allocated },
	{ "bad_free_double_same_cpu", t_bad_free_double_same_cpu },
	{ "bad_free_double_other_cpu", t_bad_free_double_other_cpu },
	{ "bad_free_cached_page", t_bad_free_cached_page },
	{ "percpu_no_lock", t_percpu_no_lock },
	{ "percpu_counts", t_percpu_counts },
	{ "percpu_drain", t_percpu_drain },
	{ "context_atomic", t_context_atomic },
	{ "context_preemptible", t_context_preemptible },
	{ "reclaim_windows", t_reclaim_windows },
	{ "remote_free_batch", t_remote_free_batch },
	{ "double_free_race", t_double_free_race },
	{ "bulk", t_bulk },
	{ "stats_atomic", t_stats_atomic },
	{ "free_near_window", t_free_near_window },
	{ "page_entries", t_page_entries },
	{ "remote_free_vs_refill", t_remote_free_vs_refill },
};

/* The test list ends with "stress", which takes a duration. */
#define STRESS_NAME	"stress"

static DEFINE_MUTEX(run_lock);
static struct dentry *tp_dir;

static int run_one(char *cmd)
{
	unsigned int secs = stress_secs;
	char *arg;
	size_t i;
	int ret;

	arg = strchr(cmd, ':');
	if (arg)
		*arg++ = '\0';

	if (!strcmp(cmd, "warm_all"))
		return warm_all();
	if (!strcmp(cmd, "fault_create"))
		return fault_create(arg);
	if (!strcmp(cmd, "default_alloc"))
		return default_alloc(arg);
	if (!strcmp(cmd, "default_bad_free"))
		return default_bad_free();
	if (!strcmp(cmd, "default_exhaust"))
		return default_exhaust();
	if (!strcmp(cmd, "default_exhaust_warm"))
		return default_exhaust_warm();
	if (!strcmp(cmd, "numa_local"))
		return numa_local();
	if (!strcmp(cmd, "stress_start"))
		return stress_start();
	if (!strcmp(cmd, "stress_stop"))
		return stress_stop();
	if (stress_running) {
		pr_err("%s: the stress test is running\n", cmd);
		return -EBUSY;
	}
	if (!strcmp(cmd, STRESS_NAME)) {
		if (arg && kstrtouint(arg, 0, &secs))
			return -EINVAL;
		pr_info("stress: %u s\n", secs);
		ret = t_stress(secs);
		pr_info("%s: %s\n", cmd, ret ? "FAIL" : "pass");
		return ret;
	}
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		if (strcmp(cmd, tests[i].name))
			continue;
		pr_info("%s: start\n", cmd);
		ret = resv_pick() ?: tests[i].fn();
		/* A failed check is -EIO, whatever the helper returned. */
		if (ret && ret != -EIO && ret != -ENOMEM)
			ret = -EIO;
		pr_info("%s: %s\n", cmd, ret ? "FAIL" : "pass");
		return ret;
	}
	pr_err("no test named \"%s\"\n", cmd);
	return -EINVAL;
}

static ssize_t run_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	char buf[64];
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&run_lock);
	ret = run_one(strim(buf));
	mutex_unlock(&run_lock);
	return ret ?: count;
}

static const struct file_operations run_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = run_write,
};

static int list_show(struct seq_file *m, void *v)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tests); i++)
		seq_printf(m, "%s\n", tests[i].name);
	seq_puts(m, STRESS_NAME "\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(list);

static int workload_show(struct seq_file *m, void *v)
{
	struct engine *e = &workload.e;

	mutex_lock(&workload_lock);
	seq_printf(m, "running %d\nthreads %u\nallocs %ld\nfrees %ld\nfails %ld\nerrors %d\n",
		   workload_running, workload.nr, atomic_long_read(&e->allocs),
		   atomic_long_read(&e->frees), atomic_long_read(&e->fails),
		   atomic_read(&e->errors));
	mutex_unlock(&workload_lock);
	return 0;
}

static int workload_open(struct inode *inode, struct file *file)
{
	return single_open(file, workload_show, inode->i_private);
}

static ssize_t workload_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char buf[16];
	char *cmd;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	cmd = strim(buf);

	mutex_lock(&workload_lock);
	if (!strcmp(cmd, "start"))
		ret = workload_start();
	else if (!strcmp(cmd, "stop"))
		ret = workload_stop();
	else
		ret = -EINVAL;
	mutex_unlock(&workload_lock);
	return ret ?: count;
}

static const struct file_operations workload_fops = {
	.owner = THIS_MODULE,
	.open = workload_open,
	.read = seq_read,
	.write = workload_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static void snapshot_print(struct seq_file *m, struct pcpu_pagecache *pool)
{
	struct snap s;
	int i;

	snap_take(pool, &s);
	for (i = 0; i < ST_N; i++)
		seq_printf(m, "%s %lld\n", st_names[i], s.v[i]);
}

/*
 * Exact snapshots of the default pool and of the stress pool, for scripts
 * that check the stats invariant while a workload runs: a pool's own stats
 * file is exact only on a quiet pool.
 */
static int snapshot_show(struct seq_file *m, void *v)
{
	struct pcpu_pagecache *pool = pcpu_pagecache_default();

	if (!pool)
		return -ENODEV;
	snapshot_print(m, pool);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(snapshot);

static int stress_snapshot_show(struct seq_file *m, void *v)
{
	int ret = 0;

	/* stress_stop() destroys the pool under run_lock. */
	if (mutex_lock_interruptible(&run_lock))
		return -EINTR;
	if (stress_running)
		snapshot_print(m, stress_pool.pool);
	else
		ret = -ENODEV;
	mutex_unlock(&run_lock);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(stress_snapshot);

static int __init tp_init(void)
{
	if (!PAGE_ALIGNED(resv_base) || resv_size < 32UL << 20 ||
	    !PAGE_ALIGNED(resv_size)) {
		pr_err("resv_base %#llx / resv_size %#llx: need page-aligned, at least 32 MiB\n",
		       resv_base, resv_size);
		return -EINVAL;
	}
	tp_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("run", 0200, tp_dir, NULL, &run_fops);
	debugfs_create_file("list", 0400, tp_dir, NULL, &list_fops);
	debugfs_create_file("workload", 0600, tp_dir, NULL, &workload_fops);
	debugfs_create_file("snapshot", 0400, tp_dir, NULL, &snapshot_fops);
	debugfs_create_file("stress_snapshot", 0400, tp_dir, NULL,
			    &stress_snapshot_fops);
	pr_info("ready: %zu tests, reserved range [%#llx +%#llx]\n",
		ARRAY_SIZE(tests) + 1, resv_base, resv_size);
	return 0;
}

static void __exit tp_exit(void)
{
	debugfs_remove(tp_dir);
	mutex_lock(&workload_lock);
	if (workload_running)
		workload_stop();
	mutex_unlock(&workload_lock);
	mutex_lock(&run_lock);
	if (stress_running)
		stress_stop();
	mutex_unlock(&run_lock);
}

module_init(tp_init);
module_exit(tp_exit);
MODULE_DESCRIPTION("Tests for pcpu_pagecache");
MODULE_LICENSE("GPL");

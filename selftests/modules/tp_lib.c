// SPDX-License-Identifier: GPL-2.0
/*
 * The helpers the tests of test_pcpu_pagecache share: checks,
 * exact stats snapshots, test pools, operations run on a given CPU,
 * exhaustion passes and refused frees.
 */
#include "test_pcpu_pagecache.h"

#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/stop_machine.h>
#include <linux/string.h>
#include <linux/workqueue.h>

/* ------------------------------------------------------------------ */
/* Checks                                                             */

struct tp_run tp_run;

void tp_run_begin(const char *name)
{
	tp_run.name = name;
	atomic_set(&tp_run.failed, 0);
}

void tp_fail(void)
{
	atomic_inc(&tp_run.failed);
}

bool tp_check(bool ok, bool fatal, const char *expr, const char *file,
	      const char *func, int line)
{
	if (ok)
		return true;
	pr_err("%s:%d (%s): check failed: %s%s\n", kbasename(file), line,
	       func, expr, fatal ? " (the test stops here)" : "");
	tp_fail();
	return false;
}

bool tp_check_eq(s64 a, s64 b, bool fatal, const char *ea, const char *eb,
		 const char *file, const char *func, int line)
{
	if (a == b)
		return true;
	pr_err("%s:%d (%s): check failed: %s == %s (%lld != %lld)%s\n",
	       kbasename(file), line, func, ea, eb, a, b,
	       fatal ? " (the test stops here)" : "");
	tp_fail();
	return false;
}

/* ------------------------------------------------------------------ */
/* Stats snapshots                                                    */

#define ST_NAME(n)	__stringify(n),
const char * const st_names[ST_N] = { PCPU_PAGECACHE_STATS(ST_NAME) };
#undef ST_NAME

#define ST_OFF(n)	offsetof(struct pcpu_pagecache_stats, n),
static const size_t st_offs[ST_N] = { PCPU_PAGECACHE_STATS(ST_OFF) };
#undef ST_OFF

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
void snap_take(struct pcpu_pagecache *pool, struct snap *s)
{
	struct pcpu_pagecache_stats st;
	struct snap_req r = { pool, &st };
	unsigned int i;

	memset(&st, 0, sizeof(st));
	stop_machine(snap_stopped, &r, NULL);
	for (i = 0; i < ST_N; i++)
		s->v[i] = *(const s64 *)((const char *)&st + st_offs[i]);
}

bool snap_invariant(const struct snap *s, const char *what, int line)
{
	if (s->v[ST_pages_total] == s->v[ST_pages_free] + s->v[ST_pages_cached] +
			     s->v[ST_pages_inuse] + s->v[ST_pages_leaked])
		return true;
	pr_err("line %d, %s: pages_total %lld != pages_free %lld + pages_cached %lld + pages_inuse %lld + pages_leaked %lld\n",
	       line, what, s->v[ST_pages_total], s->v[ST_pages_free], s->v[ST_pages_cached],
	       s->v[ST_pages_inuse], s->v[ST_pages_leaked]);
	tp_fail();
	return false;
}

/*
 * Compare two snapshots: every field must have moved by exactly what
 * @pairs says (a list of field, delta pairs between ST_BEGIN and ST_END;
 * 0 for a field not listed, ST_ANY: not checked), and the invariant must
 * hold.
 */
bool snap_delta(const struct snap *a, const struct snap *b,
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
		tp_fail();
		ok = false;
	}
	return snap_invariant(b, what, line) && ok;
}

/* A pool with nothing handed out: every page free in the bitmaps or caches. */
bool snap_idle(const struct snap *s, const char *what, int line)
{
	bool ok = snap_invariant(s, what, line);

	if (s->v[ST_pages_inuse] || s->v[ST_pages_leaked] ||
	    s->v[ST_pages_free] + s->v[ST_pages_cached] != s->v[ST_pages_total]) {
		pr_err("line %d, %s: not idle: total %lld free %lld cached %lld inuse %lld leaked %lld\n",
		       line, what, s->v[ST_pages_total], s->v[ST_pages_free],
		       s->v[ST_pages_cached], s->v[ST_pages_inuse], s->v[ST_pages_leaked]);
		tp_fail();
		ok = false;
	}
	return ok;
}

/* Compare the pool with @s0, then make the new snapshot the reference. */
bool step(struct pcpu_pagecache *pool, struct snap *s0,
	  const s64 *expect, const char *what, int line)
{
	struct snap s1;
	bool ok;

	snap_take(pool, &s1);
	ok = snap_delta(s0, &s1, expect, what, line);
	*s0 = s1;
	return ok;
}

/* ------------------------------------------------------------------ */
/* Pools                                                              */

/*
 * Each test works in a 32 MiB window of the reserved range.  A test that
 * fails may leave a pool with pages in use, whose range pcpu_pagecache then
 * keeps claimed: the next test moves on to a window that is still free.
 */
#define TEST_SPAN	(32UL << 20)

static unsigned long resv_shift;

int resv_pick(void)
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

phys_addr_t resv(unsigned long off)
{
	return resv_base + resv_shift + off;
}

int tpool_create(struct tpool *tp, const char *name, phys_addr_t base,
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
	tp->flags = flags;
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

void tpool_destroy(struct tpool *tp)
{
	if (tp->pool)
		pcpu_pagecache_destroy(tp->pool);
	tp->pool = NULL;
}

/* @addr is the start of @n pages of @tp: aligned, inside, contiguous VAs. */
bool tpool_run_ok(struct tpool *tp, phys_addr_t addr, unsigned int n)
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

enum { OP_ALLOC, OP_FREE, OP_PAIRS };

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
 * with one page against them.  OP_PAIRS: @count allocations of @n pages
 * through the general entry, each freed at once; it stops at the first
 * failure.
 */
static long oncpu_fn(void *arg)
{
	struct oncpu *o = arg;
	unsigned int i;
	int r;

	for (i = 0; i < o->count && !(o->op == OP_PAIRS && o->ret); i++) {
		if (o->op == OP_PAIRS) {
			phys_addr_t a = __pcpu_pagecache_alloc(o->pool, o->n);

			o->ret = a ? __pcpu_pagecache_free(o->pool, a, o->n) : -ENOMEM;
		} else if (o->op == OP_ALLOC) {
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
int run_on(int cpu, long (*fn)(void *), void *arg)
{
	long r = work_on_cpu_safe(cpu, fn, arg);

	if (r == -ENODEV)
		pr_err("cpu%d is offline\n", cpu);
	return r;
}

/* @count allocations of @n pages on @cpu: 0, or -ENOMEM if one failed. */
int alloc_on(int cpu, struct pcpu_pagecache *pool, phys_addr_t *addrs,
	     unsigned int count, unsigned int n)
{
	struct oncpu o = { pool, OP_ALLOC, addrs, count, n, 0 };
	int r = run_on(cpu, oncpu_fn, &o);

	return r ?: o.ret;
}

/* @count frees of @n pages on @cpu: the first non-zero return, or 0. */
int free_on(int cpu, struct pcpu_pagecache *pool, phys_addr_t *addrs,
	    unsigned int count, unsigned int n)
{
	struct oncpu o = { pool, OP_FREE, addrs, count, n, 0 };
	int r = run_on(cpu, oncpu_fn, &o);

	return r ?: o.ret;
}

phys_addr_t alloc1_on(int cpu, struct pcpu_pagecache *pool, unsigned int n)
{
	phys_addr_t a = 0;

	if (alloc_on(cpu, pool, &a, 1, n))
		return 0;
	return a;
}

/* @count pairs of alloc(@n) and free on @cpu: 0, or the first error. */
int pairs_on(int cpu, struct pcpu_pagecache *pool, unsigned int count,
	     unsigned int n)
{
	struct oncpu o = { pool, OP_PAIRS, NULL, count, n, 0 };
	int r = run_on(cpu, oncpu_fn, &o);

	return r ?: o.ret;
}

int free1_on(int cpu, struct pcpu_pagecache *pool, phys_addr_t a,
	     unsigned int n)
{
	return free_on(cpu, pool, &a, 1, n);
}

/* Two distinct online CPUs. */
int two_cpus(int *a, int *b)
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

static const unsigned int mix_sizes[] = {
	1, 3, 16, 64, 7, 200, 15, 1024, 2, 33, 512, 9, 65, 1, 1, 100,
};

long exh_take_fn(void *arg)
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

long exh_release_fn(void *arg)
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
bool exh_distinct(struct exh *x)
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
				tp_fail();
				ok = false;
				break;
			}
		}
	}
	kvfree(pages);
	return ok;
}

int exh_init(struct exh *x, struct tpool *tp, bool mix)
{
	memset(x, 0, sizeof(*x));
	x->tp = tp;
	x->mix = mix;
	x->runs = kvcalloc(tp->npages + 1, sizeof(*x->runs), GFP_KERNEL);
	return x->runs ? 0 : -ENOMEM;
}

void exh_fini(struct exh *x)
{
	kvfree(x->runs);
	x->runs = NULL;
}

/*
 * Drain the caches, then take every page on @cpu (with single pages, or a
 * mix of sizes then single pages): exactly pages_total pages, each once,
 * then 0.  Leaves the pages taken in @x.
 */
int exh_take(struct exh *x, int cpu)
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
int exh_release(struct exh *x, int cpu)
{
	struct snap s;

	if (run_on(cpu, exh_release_fn, x) || !CHECK_EQ(x->err, 0))
		return -EIO;
	snap_take(x->tp->pool, &s);
	return IDLE(&s, "after giving every page back") ? 0 : -EIO;
}

/* A full exhaustion pass: proves the pool hands out every page once. */
int exhaust_check(struct tpool *tp, int cpu, bool mix)
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

static long warm_one_fn(void *arg)
{
	struct pcpu_pagecache *pool = arg;
	phys_addr_t a = pcpu_pagecache_alloc(pool, 1);

	return a ? pcpu_pagecache_free(pool, a, 1) : -ENOMEM;
}

/* Every online CPU takes a window of @pool (an alloc and a free). */
int warm_windows(struct pcpu_pagecache *pool)
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
int exhaust_warm(struct tpool *tp, int cpu)
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

/* The default pool as a tpool: -ENODEV without one. */
int default_tpool(struct tpool *tp)
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

/* ------------------------------------------------------------------ */
/* Bad frees                                                          */

/*
 * One free that must be refused: -EINVAL, invalid_frees + 1, no page
 * changes hands.  A refused free may or may not have taken the lock.
 */
bool bad_free(struct tpool *tp, int cpu, phys_addr_t addr,
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
		tp_fail();
		return false;
	}
	return snap_delta(&s0, &s1, ST_PAIRS(ST_invalid_frees, 1, ST_lock_acquisitions, ST_ANY,
					     ST_free_slow, ST_ANY, ST_reclaims, ST_ANY),
			  what, line);
}


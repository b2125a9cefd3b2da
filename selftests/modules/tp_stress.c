// SPDX-License-Identifier: GPL-2.0
/*
 * Actors, threads and timers that allocate, write, check and
 * free; the stress test runs them on a pool of its own, the workload on
 * the default pool.
 */
#include "test_pcpu_pagecache.h"

#include <linux/bitmap.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>

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
	u8 *va_base;			/* shadow: the va of base */
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

/*
 * The guard (stress only, where the pool is one reserved range mapped in
 * one piece): the va of a page must be va_base + its offset in the pool.
 * A va anywhere else would be a write outside the pool's mapping: the
 * guard reports it (a WARN, once) and the page is not touched.
 */
static bool actor_va_ok(struct actor *a, struct hold *h, unsigned int i,
			const void *va)
{
	struct engine *e = a->e;
	phys_addr_t addr = h->addr + (u64)i * PAGE_SIZE;

	if (!e->shadow || !e->va_base)
		return true;
	if (addr >= e->base && addr < e->base + ((u64)e->npages << PAGE_SHIFT) &&
	    va == e->va_base + (addr - e->base))
		return true;
	engine_err(e, "%s: guard: page %u of %pa+%u: va %p, pool [%pa, +%lu pages) at %p",
		   e->what, i, &h->addr, h->n, va, &e->base, e->npages, e->va_base);
	WARN_ONCE(1, "tp_stress guard: va %p of %pa outside the pool's mapping\n",
		  va, &addr);
	return false;
}

/* Threads fill whole pages, timers the first and last word of each. */
static void actor_write(struct actor *a, struct hold *h)
{
	const unsigned int last = PAGE_SIZE / sizeof(u64) - 1;
	unsigned int i, w;

	if (!stress_touch)
		return;
	for (i = 0; i < h->n; i++) {
		u64 *va = pcpu_pagecache_va(a->e->pool, h->addr + (u64)i * PAGE_SIZE);

		if (!va) {
			engine_err(a->e, "%s: no va for page %u of %pa+%u",
				   a->e->what, i, &h->addr, h->n);
			continue;
		}
		if (!actor_va_ok(a, h, i, va))
			continue;
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

	if (!stress_touch)
		return;
	step = a->kind == ACT_THREAD ? 1 : last;
	for (i = 0; i < h->n; i++) {
		u64 *va = pcpu_pagecache_va(a->e->pool, h->addr + (u64)i * PAGE_SIZE);

		if (!va || !actor_va_ok(a, h, i, va))
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

/* stress_start: start the stress actors on pool "stress". */
int act_stress_start(const char *arg)
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
	e->va_base = pcpu_pagecache_va(e->pool, e->base);
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

/* stress_stop: stop them, free all, check: the verdict. */
int act_stress_stop(const char *arg)
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

int t_stress(unsigned int secs)
{
	unsigned long end;
	struct snap s;
	int ret, bad = 0, reads = 0;

	ret = act_stress_start(NULL);
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
	ret = act_stress_stop(NULL);
	if (bad)
		pr_err("stress: %d of %d stats snapshots taken during the run were wrong\n",
		       bad, reads);
	return bad ? -EIO : ret;
}

bool stress_is_running(void)
{
	return stress_running;
}

struct pcpu_pagecache *stress_pool_get(void)
{
	return stress_pool.pool;
}

void tp_stress_exit(void)
{
	if (stress_running)
		act_stress_stop(NULL);
}

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

/* The workload file's commands, under its mutex. */
int workload_cmd(const char *cmd)
{
	if (!strcmp(cmd, "start"))
		return workload_start();
	if (!strcmp(cmd, "stop"))
		return workload_stop();
	return -EINVAL;
}

void workload_show_counters(struct seq_file *m)
{
	struct engine *e = &workload.e;

	seq_printf(m, "running %d\nthreads %u\nallocs %ld\nfrees %ld\nfails %ld\nerrors %d\n",
		   workload_running, workload.nr, atomic_long_read(&e->allocs),
		   atomic_long_read(&e->frees), atomic_long_read(&e->fails),
		   atomic_read(&e->errors));
}

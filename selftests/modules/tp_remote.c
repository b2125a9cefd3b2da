// SPDX-License-Identifier: GPL-2.0
/*
 * Pages that move between CPUs: reclaim of other CPUs'
 * windows, remote frees in batches, racing double frees, the bulk calls,
 * frees just below a window, and a remote free racing a refill.
 */
#include "test_pcpu_pagecache.h"

#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

/*
 * Pages stranded in other CPUs' windows must not make an allocation fail:
 * a 1 MiB pool (256 pages) whose free pages all sit in windows still
 * serves a 16-page run, and one CPU can take every page, each once.
 */
int t_reclaim_windows(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	struct snap s;
	phys_addr_t a;

	if (warm_windows(tp->pool))
		return -EIO;
	snap_take(tp->pool, &s);
	CHECK(s.v[ST_pages_cached] >= 2 * WINDOW);
	a = alloc1_on(f->cpu, tp->pool, 16);
	CHECK(a);
	tpool_run_ok(tp, a, 16);
	CHECK_EQ(free1_on(f->other, tp->pool, a, 16), 0);

	/* Exhaust from one CPU while the others hold windows: no drain. */
	return exhaust_warm(tp, f->cpu);
}

/*
 * Producer/consumer: pages taken on one CPU and freed on another go back
 * in batches, so the lock is taken at most once per PCPU_PAGECACHE_BATCH
 * frees, and the producer takes them back from its window without it.
 */
int t_remote_free_batch(struct tp_fix *f)
{
	const unsigned int rounds = 200, ring = 64;
	struct tpool *tp = &f->tp;
	phys_addr_t *ring_addrs;
	struct snap s0, s1;
	unsigned int i;
	s64 frees, locks;

	ring_addrs = kcalloc(ring, sizeof(*ring_addrs), GFP_KERNEL);
	if (!ring_addrs)
		return -ENOMEM;
	snap_take(tp->pool, &s0);
	for (i = 0; i < rounds; i++) {
		/* A round that went wrong would flood the log: stop there. */
		if (!CHECK_EQ(alloc_on(f->cpu, tp->pool, ring_addrs, ring, 1), 0) ||
		    !CHECK_EQ(free_on(f->other, tp->pool, ring_addrs, ring, 1), 0))
			break;
	}
	kfree(ring_addrs);
	snap_take(tp->pool, &s1);
	frees = s1.v[ST_free_remote] - s0.v[ST_free_remote];
	locks = s1.v[ST_lock_acquisitions] - s0.v[ST_lock_acquisitions];
	pr_info("remote frees: %lld of %u, lock acquisitions %lld, refills %lld\n",
		frees, rounds * ring, locks, s1.v[ST_refills] - s0.v[ST_refills]);
	CHECK_EQ(frees, rounds * ring);
	CHECK(locks <= frees / PCPU_PAGECACHE_BATCH + 4);
	CHECK_EQ(s1.v[ST_invalid_frees], s0.v[ST_invalid_frees]);
	INVARIANT(&s1, "after producer/consumer");
	pcpu_pagecache_drain(tp->pool);
	snap_take(tp->pool, &s1);
	IDLE(&s1, "after producer/consumer");
	return exhaust_check(tp, f->cpu, false);
}

/* The end of a test thread: wait to be stopped. */
static int wait_stop(void)
{
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/* Wait until @v reaches @n, sleeping. */
static void wait_count(atomic_t *v, int n)
{
	while (atomic_read(v) < n)
		schedule_timeout_uninterruptible(1);
}

/*
 * Start @fn0(@arg) in a kthread bound to @cpu and @fn1(@arg) in one bound
 * to @other, into @t; on failure, none is left running.
 */
static int start_two(int (*fn0)(void *), int (*fn1)(void *), void *arg,
		     int cpu, int other, struct task_struct *t[2])
{
	int (*const fn[2])(void *) = { fn0, fn1 };
	const int cpus[2] = { cpu, other };
	int i;

	for (i = 0; i < 2; i++) {
		t[i] = kthread_create(fn[i], arg, "tpp_%ps/%d", fn[i], cpus[i]);
		if (IS_ERR(t[i])) {
			pr_err("kthread_create: %ld\n", PTR_ERR(t[i]));
			if (i)
				kthread_stop(t[0]);
			return PTR_ERR(t[i]);
		}
		kthread_bind(t[i], cpus[i]);
	}
	wake_up_process(t[0]);
	wake_up_process(t[1]);
	return 0;
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
	return wait_stop();
}

static int race_round(struct race *r, int cpu, int other)
{
	struct task_struct *t[2];
	int ret;

	atomic_set(&r->ready, 0);
	atomic_set(&r->go, 0);
	atomic_set(&r->done, 0);
	ret = start_two(race_fn, race_fn, r, cpu, other, t);
	if (ret)
		return ret;
	wait_count(&r->ready, 2);
	atomic_set(&r->go, 1);
	wait_count(&r->done, 2);
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
int t_double_free_race(struct tp_fix *f)
{
	const unsigned int rounds = 40;
	struct tpool *tp = &f->tp;
	struct race r = {};
	struct snap s0, s1;
	unsigned int i, won = 0;

	r.addrs = kcalloc(WINDOW, sizeof(*r.addrs), GFP_KERNEL);
	if (!r.addrs)
		return -ENOMEM;
	r.pool = tp->pool;
	r.count = WINDOW;
	snap_take(tp->pool, &s0);
	for (i = 0; i < rounds; i++) {
		/* A window's worth on cpu: its fast path races other's batch. */
		atomic_set(&r.ok, 0);
		if (!CHECK_EQ(alloc_on(f->cpu, tp->pool, r.addrs, WINDOW, 1), 0) ||
		    !CHECK_EQ(race_round(&r, f->cpu, f->other), 0))
			break;
		/* Batches applied before any of these pages is handed out again. */
		pcpu_pagecache_drain(tp->pool);
		if (!CHECK(atomic_read(&r.ok) >= WINDOW))
			break;
		won += atomic_read(&r.ok) - WINDOW;
	}
	kfree(r.addrs);
	snap_take(tp->pool, &s1);
	pr_info("double free race: %u of %u pages freed twice with 0 both times\n",
		won, rounds * WINDOW);
	DELTA(&s0, &s1, "racing double frees",
	      ST_invalid_frees, rounds * WINDOW, ST_alloc_fast, ST_ANY, ST_alloc_slow, ST_ANY,
	      ST_free_fast, ST_ANY, ST_free_slow, ST_ANY, ST_free_remote, ST_ANY,
	      ST_refills, ST_ANY, ST_flushes, ST_ANY, ST_lock_acquisitions, ST_ANY,
	      ST_reclaims, ST_ANY, ST_pages_free, ST_ANY, ST_pages_cached, ST_ANY);
	IDLE(&s1, "after racing double frees");
	return exhaust_check(tp, f->cpu, false) ?:
	       exhaust_check(tp, f->other, true);
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

/* Runs of @b->n pages, freed on @other with one bad address among them. */
static void bulk_size(struct tpool *tp, struct bulk *b, int cpu, int other)
{
	struct snap s0, s1;
	unsigned int i;

	snap_take(tp->pool, &s0);
	CHECK_EQ(run_on(cpu, bulk_alloc_fn, b), 0);
	CHECK_EQ(b->got, b->count);
	for (i = 0; i < b->got; i++)
		tpool_run_ok(tp, b->addrs[i], b->n);
	snap_take(tp->pool, &s1);
	CHECK_EQ(s1.v[ST_pages_inuse] - s0.v[ST_pages_inuse], b->got * b->n);
	/* Freed on the other CPU, one bad address among them. */
	b->addrs[b->got] = b->addrs[0];
	b->count = b->got + 1;
	CHECK_EQ(run_on(other, bulk_free_fn, b), 0);
	CHECK_EQ(b->ret, -EINVAL);
	pcpu_pagecache_drain(tp->pool);
	snap_take(tp->pool, &s1);
	CHECK_EQ(s1.v[ST_invalid_frees] - s0.v[ST_invalid_frees], 1);
	IDLE(&s1, "after a bulk free");
}

/* The bulk calls: distinct valid runs, the pool's own limits, bad input. */
int t_bulk(struct tp_fix *f)
{
	static const unsigned int sizes[] = { 1, 3, 15, 16, 100 };
	const unsigned int count = 300;
	struct tpool *tp = &f->tp;
	struct bulk b = { .pool = tp->pool };
	struct snap s0, s1;
	unsigned int k;

	b.addrs = kvcalloc(tp->npages + 8, sizeof(*b.addrs), GFP_KERNEL);
	if (!ASSERT(b.addrs))
		return -ENOMEM;
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		b.n = sizes[k];
		b.count = min_t(unsigned int, count, tp->npages / b.n / 2);
		bulk_size(tp, &b, f->cpu, f->other);
	}
	/* Bad sizes: nothing allocated, counted as one failure each. */
	snap_take(tp->pool, &s0);
	CHECK_EQ(pcpu_pagecache_alloc_bulk(tp->pool, 0, 4, b.addrs), 0);
	CHECK_EQ(pcpu_pagecache_alloc_bulk(tp->pool, tp->npages + 1, 4, b.addrs), 0);
	CHECK_EQ(pcpu_pagecache_free_bulk(tp->pool, 0, 1, b.addrs), -EINVAL);
	snap_take(tp->pool, &s1);
	DELTA(&s0, &s1, "bulk with bad sizes", ST_alloc_fail, 2, ST_invalid_frees, 1,
	      ST_lock_acquisitions, ST_ANY, ST_reclaims, ST_ANY);
	/* More than the pool has: every page, then a short count. */
	b.n = 1;
	b.count = tp->npages + 8;
	CHECK_EQ(run_on(f->cpu, bulk_alloc_fn, &b), 0);
	CHECK_EQ(b.got, tp->npages);
	b.count = b.got;
	CHECK_EQ(run_on(f->cpu, bulk_free_fn, &b), 0);
	CHECK_EQ(b.ret, 0);
	pcpu_pagecache_drain(tp->pool);
	snap_take(tp->pool, &s1);
	IDLE(&s1, "after a bulk exhaustion");
	kvfree(b.addrs);
	return 0;
}

/*
 * Frees just below a CPU's window (or its old window, once it has none):
 * the page index wraps there, and must not pass for the window's last
 * page.  A page outside the pool is refused, an allocated page below the
 * window is freed as itself, and nothing else moves.
 */
int t_free_near_window(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	int cpu = f->cpu;
	struct snap s0, s1;
	phys_addr_t *w0, w1;

	w0 = kcalloc(WINDOW, sizeof(*w0), GFP_KERNEL);
	if (!w0)
		return -ENOMEM;
	/* cpu's first window is the pool's first 64 pages. */
	CHECK_EQ(alloc_on(cpu, tp->pool, w0, WINDOW, 1), 0);
	CHECK_EQ(w0[0], tp->base);
	BAD_FREE(tp, cpu, tp->base - PAGE_SIZE, 1, "page below the window and the pool");
	/* The 65th page: the next window, whose page below is w0's last. */
	w1 = alloc1_on(cpu, tp->pool, 1);
	CHECK_EQ(w1, tp->base + WINDOW * PAGE_SIZE);
	snap_take(tp->pool, &s0);
	CHECK_EQ(free1_on(cpu, tp->pool, w0[WINDOW - 1], 1), 0);
	snap_take(tp->pool, &s1);
	DELTA(&s0, &s1, "free of the page below the window",
	      ST_pages_inuse, -1, ST_pages_cached, 1, ST_free_remote, 1);
	BAD_FREE(tp, cpu, w0[WINDOW - 1], 1, "the page below, twice");
	/* No window at all: the old base stays, the span is 0. */
	pcpu_pagecache_drain(tp->pool);
	BAD_FREE(tp, cpu, w1 - PAGE_SIZE, 1, "page below an old window, free");
	CHECK_EQ(free_on(cpu, tp->pool, w0, WINDOW - 1, 1), 0);
	CHECK_EQ(free1_on(cpu, tp->pool, w1, 1), 0);
	kfree(w0);
	pcpu_pagecache_drain(tp->pool);
	snap_take(tp->pool, &s1);
	IDLE(&s1, "after the frees");
	return exhaust_check(tp, cpu, false);
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
	return wait_stop();
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
	return wait_stop();
}

/* Run the producer on @cpu and the consumer on @other to the end. */
static int pc_run(struct pc_ring *r, int cpu, int other)
{
	struct task_struct *t[2];

	if (start_two(pc_producer, pc_consumer, r, cpu, other, t))
		return -EIO;
	wait_count(&r->done, 2);
	kthread_stop(t[0]);
	kthread_stop(t[1]);
	return 0;
}

int t_remote_free_vs_refill(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	struct snap s0, s1;
	struct pc_ring *r;
	int ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->pool = tp->pool;
	r->total = 20000;
	snap_take(tp->pool, &s0);
	ret = pc_run(r, f->cpu, f->other);
	if (!ret) {
		pcpu_pagecache_drain(tp->pool);
		snap_take(tp->pool, &s1);
		pr_info("producer/consumer of %u-page runs: %u frees, %d refused, %lld refills\n",
			PC_RUN, r->total, atomic_read(&r->refused),
			s1.v[ST_refills] - s0.v[ST_refills]);
		CHECK_EQ(atomic_read(&r->refused), 0);
		CHECK_EQ(s1.v[ST_invalid_frees], s0.v[ST_invalid_frees]);
		IDLE(&s1, "after the producer/consumer");
		ret = exhaust_check(tp, f->cpu, false);
	}
	kfree(r);
	return ret;
}

/*
 * A reclaim storm: every page but one CPU's window is out, and that CPU
 * (z) spins with interrupts off, so it answers no reclaim IPI.  The other
 * CPUs each fail STORM_ALLOCS allocations in hardirq context, where each
 * may wait 20 ms for z.  One round in flight at a time: the CPUs that run
 * dry meanwhile wait for it instead of each sending IPIs and spinning for
 * their own, so there are fewer rounds than allocations, and the rest are
 * counted in reclaim_joins.
 */
#define STORM_ALLOCS	4

struct storm {
	struct pcpu_pagecache *pool;
	atomic_t failed;
	atomic_t served;
	bool stop;			/* z may answer again */
	int z;
	struct cpumask *cpus;		/* the CPUs of the storm */
	phys_addr_t *held;		/* pages taken beforehand */
	unsigned long nheld;
};

/* Take @st->nheld single pages: every page outside z's window. */
static long storm_take(void *arg)
{
	struct storm *st = arg;
	unsigned long i;

	for (i = 0; i < st->nheld; i++) {
		st->held[i] = pcpu_pagecache_alloc(st->pool, 1);
		if (!st->held[i])
			return -ENOMEM;
	}
	return 0;
}

static long storm_give(void *arg)
{
	struct storm *st = arg;
	unsigned long i;
	long ret = 0;

	for (i = 0; i < st->nheld; i++)
		if (st->held[i] && pcpu_pagecache_free(st->pool, st->held[i], 1))
			ret = -EINVAL;
	return ret;
}

/* On z, interrupts off: until the storm is over, 10 s at most. */
static void storm_spin(void *arg)
{
	struct storm *st = arg;
	unsigned int ms;

	for (ms = 0; !READ_ONCE(st->stop) && ms < 10000; ms++)
		mdelay(1);
}

static void storm_nop(void *arg)
{
}

static void storm_alloc(void *arg)
{
	struct storm *st = arg;
	phys_addr_t a;
	unsigned int i;

	for (i = 0; i < STORM_ALLOCS; i++) {
		a = pcpu_pagecache_alloc(st->pool, 1);
		if (a) {
			/* z answered after all: give it back. */
			pcpu_pagecache_free(st->pool, a, 1);
			atomic_inc(&st->served);
		} else {
			atomic_inc(&st->failed);
		}
	}
}

/* On a CPU that is not z: z spins, the others run dry. */
static long storm_run(void *arg)
{
	struct storm *st = arg;

	preempt_disable();
	cpumask_copy(st->cpus, cpu_online_mask);
	cpumask_clear_cpu(st->z, st->cpus);
	cpumask_clear_cpu(smp_processor_id(), st->cpus);
	/* z's spin first: z takes the IPIs in the order they were sent. */
	smp_call_function_single(st->z, storm_spin, st, 0);
	smp_call_function_many(st->cpus, storm_alloc, st, 1);
	WRITE_ONCE(st->stop, true);
	preempt_enable();
	/* z's spin is over, and its reclaim requests answered, after this. */
	smp_call_function_single(st->z, storm_nop, NULL, 1);
	return 0;
}

int t_reclaim_storm(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	struct storm st = { .pool = tp->pool };
	int z = f->other, n;
	struct snap s0, s1;
	cpumask_var_t cpus;
	s64 rounds, joins;

	if (num_online_cpus() < 4) {
		pr_err("reclaim_storm needs 4 online CPUs\n");
		return -EOPNOTSUPP;
	}
	st.nheld = tp->npages - WINDOW;
	st.held = kvcalloc(st.nheld, sizeof(*st.held), GFP_KERNEL);
	if (!st.held)
		return -ENOMEM;
	if (!zalloc_cpumask_var(&cpus, GFP_KERNEL)) {
		kvfree(st.held);
		return -ENOMEM;
	}
	/* z holds a window of free pages; f->cpu takes every other page. */
	CHECK_EQ(pairs_on(z, tp->pool, 1, 1), 0);
	CHECK_EQ(run_on(f->cpu, storm_take, &st), 0);
	snap_take(tp->pool, &s0);
	CHECK_EQ(s0.v[ST_pages_free], 0);
	CHECK_EQ(s0.v[ST_pages_cached], WINDOW);

	st.z = z;
	st.cpus = cpus;
	CHECK_EQ(run_on(f->cpu, storm_run, &st), 0);
	n = cpumask_weight(cpus);

	snap_take(tp->pool, &s1);
	rounds = s1.v[ST_reclaims] - s0.v[ST_reclaims];
	joins = s1.v[ST_reclaim_joins] - s0.v[ST_reclaim_joins];
	pr_info("reclaim storm: %d CPUs, %d failed, %d served, %lld rounds, %lld joined\n",
		n, atomic_read(&st.failed), atomic_read(&st.served), rounds, joins);
	CHECK(n >= 2);
	CHECK_EQ(atomic_read(&st.failed) + atomic_read(&st.served),
		 n * STORM_ALLOCS);
	/*
	 * Each allocation that found its window empty ran a round or joined
	 * one (on 6.1-rt a few are served, from pages another CPU's served
	 * allocation gave back into its window meanwhile, with no round).
	 */
	CHECK(rounds + joins <= n * STORM_ALLOCS);
	CHECK(joins > 0);
	CHECK(rounds < n * STORM_ALLOCS);

	CHECK_EQ(run_on(f->cpu, storm_give, &st), 0);
	kvfree(st.held);
	free_cpumask_var(cpus);
	return exhaust_check(tp, f->cpu, false);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Alloc and free from hardirq, softirq and with interrupts
 * off, and from preemptible tasks free to migrate.
 */
#include "test_pcpu_pagecache.h"

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/string.h>

struct ctx_op {
	struct pcpu_pagecache *pool;
	int err;
	unsigned int line;
};

static void ctx_fail(struct ctx_op *c, int err, unsigned int line)
{
	c->err = err;
	c->line = line;
}

/* A run of each of the @n @sizes into @a: how many it took. */
static unsigned int ctx_alloc_runs(struct ctx_op *c, const unsigned int *sizes,
				   unsigned int n, phys_addr_t *a)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		a[i] = pcpu_pagecache_alloc(c->pool, sizes[i]);
		if (!a[i]) {
			ctx_fail(c, -ENOMEM, __LINE__);
			break;
		}
	}
	return i;
}

/* Free the first @n runs of @a, the last first. */
static void ctx_free_runs(struct ctx_op *c, const unsigned int *sizes,
			  unsigned int n, phys_addr_t *a)
{
	while (n--)
		if (pcpu_pagecache_free(c->pool, a[n], sizes[n]))
			ctx_fail(c, -EIO, __LINE__);
}

static void ctx_ops(struct ctx_op *c)
{
	static const unsigned int sizes[] = { 1, 1, 7, 15, 16, 64 };
	const unsigned int n = ARRAY_SIZE(sizes);
	phys_addr_t a[ARRAY_SIZE(sizes)], p;
	unsigned int i;

	/* The single-page entries, a double free among them. */
	p = pcpu_pagecache_alloc_page(c->pool);
	if (!p) {
		ctx_fail(c, -ENOMEM, __LINE__);
		return;
	}
	memset(pcpu_pagecache_va(c->pool, p), 0x5a, PAGE_SIZE);
	if (pcpu_pagecache_free_page(c->pool, p) ||
	    pcpu_pagecache_free_page(c->pool, p) != -EINVAL) {
		ctx_fail(c, -EIO, __LINE__);
		return;
	}

	if (ctx_alloc_runs(c, sizes, n, a) < n)
		return;
	for (i = 0; i < n; i++)
		memset(pcpu_pagecache_va(c->pool, a[i]), 0xa5, PAGE_SIZE);
	ctx_free_runs(c, sizes, n, a);
	/* A bad free from here too. */
	if (pcpu_pagecache_free(c->pool, a[0], 1) != -EINVAL)
		ctx_fail(c, -EIO, __LINE__);
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

/* @c ran without error; a check, with the line of the failed op. */
static bool ctx_result(struct ctx_op *c, const char *where)
{
	if (CHECK_EQ(c->err, 0))
		return true;
	pr_err("%s: context op failed at line %u: %d\n", where, c->line, c->err);
	c->err = 0;
	return false;
}

/* Alloc and free from hardirq, softirq and with interrupts disabled. */
int t_context_atomic(struct tp_fix *f)
{
	struct tpool *tp = &f->tp;
	struct ctx_op c = { .pool = tp->pool };
	unsigned long flags;
	struct snap s;

	CHECK_EQ(smp_call_function_single(f->other, ctx_ipi, &c, 1), 0);
	ctx_result(&c, "IPI");
	local_irq_save(flags);
	ctx_ops(&c);
	local_irq_restore(flags);
	ctx_result(&c, "interrupts off");
	local_bh_disable();
	ctx_ops(&c);
	local_bh_enable();
	ctx_result(&c, "softirqs off");
	ctx_tasklet_op.pool = tp->pool;
	ctx_tasklet_op.err = 0;
	reinit_completion(&ctx_tasklet_done);
	tasklet_schedule(&ctx_tasklet_t);
	wait_for_completion(&ctx_tasklet_done);
	ctx_result(&ctx_tasklet_op, "tasklet");
	snap_take(tp->pool, &s);
	/* Two refused frees in each of the four contexts. */
	IDLE(&s, "after atomic contexts");
	CHECK_EQ(s.v[ST_invalid_frees], 8);
	return exhaust_check(tp, f->cpu, false);
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
	struct ctx_op c;		/* the pool, the first failure */
	struct completion done;
	unsigned long cpus;		/* CPUs it ran on, the first 64 */
	bool checked;			/* preemptible and free to migrate */
};

static void preempt_ops(struct preempt_op *p)
{
	static const unsigned int sizes[] = { 1, 1, 2, 7, 15 };
	struct ctx_op *c = &p->c;
	phys_addr_t a[ARRAY_SIZE(sizes)];
	unsigned int round;

	p->checked = preemptible() && current->nr_cpus_allowed > 1 &&
		     !current->migration_disabled;
	for (round = 0; round < 256 && !c->err; round++) {
		ctx_free_runs(c, sizes,
			      ctx_alloc_runs(c, sizes, ARRAY_SIZE(sizes), a), a);
		a[0] = pcpu_pagecache_alloc_page(c->pool);
		if (!a[0] || pcpu_pagecache_free_page(c->pool, a[0]))
			ctx_fail(c, -EIO, __LINE__);
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
	if (p->c.err) {
		pr_err("%s: op failed at line %u: %d\n", where, p->c.line, p->c.err);
		tp_fail();
		return false;
	}
	/* Elsewhere the test runs, but checks nothing DEBUG_PREEMPT would. */
	return CHECK(p->checked || !IS_ENABLED(CONFIG_DEBUG_PREEMPT));
}

int t_context_preemptible(struct tp_fix *f)
{
	struct preempt_op w = {}, k = {};
	struct tpool *tp = &f->tp;
	struct task_struct *t;
	struct snap s;

	/* The writer of the run file: a user task, free to migrate. */
	w.c.pool = tp->pool;
	preempt_ops(&w);
	preempt_result(&w, "run file writer");

	/* A kthread that is not bound to a CPU. */
	k.c.pool = tp->pool;
	init_completion(&k.done);
	t = kthread_run(preempt_thread, &k, "tpp_unbound");
	if (CHECK(!IS_ERR(t))) {
		wait_for_completion(&k.done);
		preempt_result(&k, "unbound kthread");
	}

	snap_take(tp->pool, &s);
	IDLE(&s, "after preemptible contexts");
	CHECK_EQ(s.v[ST_invalid_frees], 0);
	return 0;
}

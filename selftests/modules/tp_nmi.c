// SPDX-License-Identifier: GPL-2.0
/*
 * NMIs that allocate and free on a CPU that is itself allocating and
 * freeing: inside its section, holding the pool lock, or sending reclaim
 * IPIs.  An NMI must never wait for what the CPU it stopped holds: it is
 * served or told "not now" (0, -EBUSY), and nothing is lost.  The same
 * NMIs on a CPU that runs CPU hotplug, whose flushes of the dead CPU's
 * cache hold the pool lock outside any section.
 */
#include "test_pcpu_pagecache.h"

#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>

#ifdef CONFIG_X86_LOCAL_APIC
#include <asm/apic.h>
#include <asm/nmi.h>

#define NMI_HELD	16
#define NMI_SECS	3

struct nmi_state {
	struct pcpu_pagecache *pool;
	int target;
	atomic_t armed;			/* NMIs sent and not yet handled */
	/* Touched by the NMI handler only, until it is unregistered. */
	phys_addr_t held[NMI_HELD];
	unsigned int nheld;
	unsigned long served, refused, freed, busy, bad;
	/* The target CPU's own work; the CPU it takes offline, or -1. */
	unsigned long ops, errors;
	int hot;
};

static struct nmi_state *nmi_st;

static int tp_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	struct nmi_state *s = READ_ONCE(nmi_st);
	phys_addr_t a;
	int r;

	if (!s || smp_processor_id() != s->target ||
	    atomic_dec_if_positive(&s->armed) < 0)
		return NMI_DONE;
	if (s->nheld < NMI_HELD && (s->nheld == 0 || (s->served & 1))) {
		a = pcpu_pagecache_alloc_page(s->pool);
		if (a) {
			s->held[s->nheld++] = a;
			s->served++;
		} else {
			s->refused++;
		}
		return NMI_HANDLED;
	}
	a = s->held[s->nheld - 1];
	r = s->nheld & 1 ? pcpu_pagecache_free_page(s->pool, a) :
			   pcpu_pagecache_free(s->pool, a, 1);
	if (!r) {
		s->nheld--;
		s->freed++;
	} else if (r == -EBUSY) {
		s->busy++;
	} else {
		s->bad++;
	}
	return NMI_HANDLED;
}

/* On the target CPU: runs of 1 to 40 pages, slow paths and refills. */
static int nmi_worker(void *arg)
{
	struct nmi_state *s = arg;
	phys_addr_t a[32] = {};
	unsigned int n[32] = {};
	struct rnd_state rnd;
	unsigned int i;

	prandom_seed_state(&rnd, get_random_u64());
	while (!kthread_should_stop()) {
		i = prandom_u32_state(&rnd) % ARRAY_SIZE(a);
		if (a[i]) {
			if (pcpu_pagecache_free(s->pool, a[i], n[i]))
				s->errors++;
			a[i] = 0;
		} else {
			n[i] = 1 + prandom_u32_state(&rnd) % 40;
			a[i] = pcpu_pagecache_alloc(s->pool, n[i]);
		}
		s->ops++;
		if ((s->ops & 63) == 0)
			cond_resched();
	}
	for (i = 0; i < ARRAY_SIZE(a); i++)
		if (a[i] && pcpu_pagecache_free(s->pool, a[i], n[i]))
			s->errors++;
	return 0;
}

/* On another CPU: NMIs to the target. */
static int nmi_sender(void *arg)
{
	struct nmi_state *s = arg;

	while (!kthread_should_stop()) {
		/* One at a time: NMIs that arrive together are merged. */
		if (atomic_cmpxchg(&s->armed, 0, 1) == 0)
			apic->send_IPI(s->target, NMI_VECTOR);
		usleep_range(20, 40);
	}
	return 0;
}

/*
 * On the target CPU: CPU @s->hot, its window filled first, goes offline and
 * online again, over and over, while the target takes NMIs that allocate
 * and free.  The hotplug callbacks that run on the control CPU (6.1 and
 * 6.12 run _cpu_down() on the first online CPU but the dying one: CPU 0,
 * the target here, hence @hot != 0) take the pool lock outside any
 * section: an NMI there must be told "not now", not spin.  The dying CPU's
 * own ONLINE-stage callback has most often given its window back already,
 * so the "dead" flush seldom finds one, and its owners_seq write section
 * (where an NMI's free must get -EBUSY rather than spin on the odd count)
 * is seldom entered: that case rests on reading ppc_free_check_hint(),
 * not on this test.
 */
static int nmi_hotplug_worker(void *arg)
{
	struct nmi_state *s = arg;

	while (!kthread_should_stop()) {
		if (pairs_on(s->hot, s->pool, 1, 1) || remove_cpu(s->hot) ||
		    add_cpu(s->hot))
			s->errors++;
		else
			s->ops++;
		/* Lost CPUs stay lost: say so once, and stop. */
		if (!cpu_online(s->hot))
			break;
	}
	while (!kthread_should_stop())
		msleep(20);
	return 0;
}

static struct task_struct *nmi_thread(int (*fn)(void *), struct nmi_state *s,
				      int cpu, const char *name)
{
	struct task_struct *t;

	t = kthread_create(fn, s, "%s", name);
	if (IS_ERR(t))
		return NULL;
	kthread_bind(t, cpu);
	wake_up_process(t);
	return t;
}

static int nmi_run(struct tp_fix *f, int (*work)(void *), int hot)
{
	struct task_struct *worker, *sender;
	struct nmi_state *s;
	unsigned long end;
	unsigned int i;
	int ret;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->pool = f->tp.pool;
	s->target = f->cpu;
	s->hot = hot;
	WRITE_ONCE(nmi_st, s);
	ret = register_nmi_handler(NMI_LOCAL, tp_nmi_handler, 0, "tpp_nmi");
	if (!CHECK_EQ(ret, 0))
		goto out;
	worker = nmi_thread(work, s, f->cpu, "tpp_nmi_work");
	sender = nmi_thread(nmi_sender, s, f->other, "tpp_nmi_send");
	if (CHECK(worker && sender))
		msleep(NMI_SECS * 1000);
	if (sender)
		kthread_stop(sender);
	if (worker)
		kthread_stop(worker);
	/* The last NMIs sent, handled. */
	end = jiffies + HZ;
	while (atomic_read(&s->armed) > 0 && time_before(jiffies, end))
		usleep_range(1000, 2000);
	CHECK_EQ(atomic_read(&s->armed), 0);
	unregister_nmi_handler(NMI_LOCAL, "tpp_nmi");
	WRITE_ONCE(nmi_st, NULL);

	pr_info("nmi: %lu allocations served, %lu refused, %lu frees, %lu not now, %lu refused as bad; worker %lu ops\n",
		s->served, s->refused, s->freed, s->busy, s->bad, s->ops);
	CHECK_EQ(s->errors, 0);
	CHECK_EQ(s->bad, 0);
	CHECK(s->served > 0);
	CHECK(s->freed > 0);
	CHECK(s->ops > 0);
	if (hot >= 0) {
		/* A CPU that did not come back is brought back for the rest. */
		for (i = 0; i < 5 && !cpu_online(hot); i++)
			if (add_cpu(hot))
				msleep(100);
		CHECK(cpu_online(hot));
	}
	for (i = 0; i < s->nheld; i++)
		CHECK_EQ(pcpu_pagecache_free(s->pool, s->held[i], 1), 0);
	ret = exhaust_check(&f->tp, f->cpu, false) ?:
	      exhaust_check(&f->tp, f->other, true);
out:
	WRITE_ONCE(nmi_st, NULL);
	kfree(s);
	return ret;
}

int t_context_nmi(struct tp_fix *f)
{
	return nmi_run(f, nmi_worker, -1);
}

int t_context_nmi_hotplug(struct tp_fix *f)
{
	int hot;

	for_each_online_cpu(hot)
		if (hot != f->cpu && hot != f->other && hot != 0)
			return nmi_run(f, nmi_hotplug_worker, hot);
	pr_err("context_nmi_hotplug needs a third online CPU, not CPU 0\n");
	return -EOPNOTSUPP;
}
#else
int t_context_nmi(struct tp_fix *f)
{
	pr_info("no local APIC: no NMI to send\n");
	return -EOPNOTSUPP;
}

int t_context_nmi_hotplug(struct tp_fix *f)
{
	return t_context_nmi(f);
}
#endif

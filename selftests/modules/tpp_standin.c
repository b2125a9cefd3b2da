// SPDX-License-Identifier: GPL-2.0
/*
 * tpp_standin: a stand-in for test_pcpu_pagecache's stress actors with no
 * pool at all, to tell a kernel or emulator fault from one of
 * pcpu_pagecache.  While loaded it runs what the actors run, minus the
 * allocator: one unbound kthread per online CPU that writes a page of its
 * own (kmalloc'd) and sleeps in usleep_range(20, 100) every 32 steps
 * (cond_resched() between), and a hardirq and a softirq hrtimer pinned to
 * each online CPU (periods timer_us and twice that) that write two words
 * of a buffer of their own.  scripts/vm/guest/loop.sh (LOOP_MODE=standin)
 * takes CPUs offline and online under it.
 */
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/smp.h>

static unsigned int timer_us = 100;
module_param(timer_us, uint, 0444);
MODULE_PARM_DESC(timer_us, "period of the hardirq timers in microseconds (0: no timers)");

struct standin {
	struct task_struct *task;
	struct hrtimer timer;
	ktime_t period;
	bool hard;
	bool started;
	bool stopping;
	u64 *buf;
	unsigned long steps;
};

static struct standin *si;
static unsigned int nthreads, ntimers;

static int standin_thread(void *arg)
{
	struct standin *s = arg;
	unsigned int w;

	while (!kthread_should_stop()) {
		for (w = 0; w < PAGE_SIZE / sizeof(u64); w++)
			s->buf[w] = s->steps ^ w;
		if ((++s->steps & 31) == 0)
			usleep_range(20, 100);
		else
			cond_resched();
	}
	return 0;
}

static enum hrtimer_restart standin_timer(struct hrtimer *t)
{
	struct standin *s = container_of(t, struct standin, timer);

	if (READ_ONCE(s->stopping))
		return HRTIMER_NORESTART;
	s->buf[0] = ++s->steps;
	s->buf[PAGE_SIZE / sizeof(u64) - 1] = s->steps;
	hrtimer_forward_now(t, s->period);
	return HRTIMER_RESTART;
}

static enum hrtimer_mode standin_mode(struct standin *s)
{
	return s->hard ? HRTIMER_MODE_REL_PINNED_HARD : HRTIMER_MODE_REL_PINNED_SOFT;
}

static void standin_timer_start(void *arg)
{
	struct standin *s = arg;

	hrtimer_start(&s->timer, s->period, standin_mode(s));
}

static void standin_stop(void)
{
	unsigned int i;

	for (i = nthreads; i < nthreads + ntimers; i++) {
		if (si[i].started) {
			WRITE_ONCE(si[i].stopping, true);
			hrtimer_cancel(&si[i].timer);
		}
	}
	for (i = 0; i < nthreads; i++)
		if (si[i].task)
			kthread_stop(si[i].task);
	for (i = 0; i < nthreads + ntimers; i++)
		kfree(si[i].buf);
	kfree(si);
}

static int __init standin_init(void)
{
	unsigned int i, k;
	int cpu;

	cpus_read_lock();
	nthreads = num_online_cpus();
	ntimers = timer_us ? 2 * nthreads : 0;
	si = kcalloc(nthreads + ntimers, sizeof(*si), GFP_KERNEL);
	if (!si) {
		cpus_read_unlock();
		return -ENOMEM;
	}
	for (i = 0; i < nthreads + ntimers; i++) {
		si[i].buf = kzalloc(PAGE_SIZE, GFP_KERNEL);
		if (!si[i].buf) {
			cpus_read_unlock();
			standin_stop();
			return -ENOMEM;
		}
	}
	i = nthreads;
	if (ntimers) {
		for_each_online_cpu(cpu) {
			for (k = 0; k < 2; k++, i++) {
				struct standin *s = &si[i];

				s->hard = !k;
				s->period = ns_to_ktime((k + 1) * (u64)timer_us * NSEC_PER_USEC);
				hrtimer_init(&s->timer, CLOCK_MONOTONIC, standin_mode(s));
				s->timer.function = standin_timer;
				s->started = !smp_call_function_single(cpu,
						standin_timer_start, s, 1);
			}
		}
	}
	cpus_read_unlock();
	for (i = 0; i < nthreads; i++) {
		si[i].task = kthread_run(standin_thread, &si[i], "tpp_standin/%u", i);
		if (IS_ERR(si[i].task)) {
			si[i].task = NULL;
			standin_stop();
			return -ENOMEM;
		}
	}
	pr_info("tpp_standin: %u threads, %u timers\n", nthreads, ntimers);
	return 0;
}

static void __exit standin_exit(void)
{
	standin_stop();
	pr_info("tpp_standin: stopped\n");
}

module_init(standin_init);
module_exit(standin_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pcpu_pagecache's stress actors without the pool: a stand-in for crash triage");

// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache: reclaim, the caches of every CPU brought back to the
 * bitmaps before an allocation fails, or for a drain.  A request is a
 * count in the target CPU's mailbox and an IPI; the target flushes its own
 * cache and answers; one allocation's round is in flight per pool at a
 * time, and an allocation that cannot block waits for the answers a
 * bounded time.  Apart from the alloc and free paths because it is their
 * last resort, never their fast path, and has a protocol of its own (see
 * Locking in ppc_internal.h: the reclaim mailbox).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/irqflags.h>
#include <linux/ktime.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>

#include "ppc_internal.h"
#include "pcpu_pagecache_trace.h"

/* ---- Reclaim: windows and batches back from other CPUs ------------------- */

static bool ppc_cache_holds(struct ppc_cache *c)
{
	return READ_ONCE(c->span) || READ_ONCE(c->nbatch) ||
	       atomic_long_read(&c->pending);
}

/* Whether @cpu has answered every request made of it before @asked. */
static bool ppc_reclaim_answered(struct ppc_cache *t, int asked)
{
	return atomic_read_acquire(&t->reclaim_served) - asked >= 0;
}

/*
 * Answer the reclaim requests made of this CPU.  @owned: the caller is
 * inside this CPU's section.  A request that interrupted the section
 * cannot touch the cache and is answered with nothing.  Interrupts off, so
 * that an IPI's answer cannot come between the read of ->reclaim_asked and
 * the write of ->reclaim_served and be taken back by an older count.
 */
static void ppc_reclaim_serve(struct pcpu_pagecache *pool, bool owned)
{
	struct ppc_cache *c = this_cpu_ptr(pool->cache);
	unsigned long flags;
	int asked;

	local_irq_save(flags);
	/* Every request up to @asked is answered by the flush that follows. */
	asked = atomic_read_acquire(&c->reclaim_asked);
	if (asked == atomic_read(&c->reclaim_served))
		goto out;
	if (owned || local_read(&c->nest) == pool->nest_idle) {
		local_set(&c->nest, pool->nest_idle + 1);
		barrier();
		raw_spin_lock(&pool->lock);
		this_cpu_inc(pool->cache->lock_acquisitions);
		ppc_cache_flush_locked(pool, smp_processor_id(),
				       atomic_read(&c->reclaim_reason));
		raw_spin_unlock(&pool->lock);
		barrier();
		local_set(&c->nest, pool->nest_idle + owned);
	}
	/* After the flush: a requester that sees its count finds the pages. */
	atomic_set_release(&c->reclaim_served, asked);
out:
	local_irq_restore(flags);
}

/* The IPI: hardirq on the target CPU, on PREEMPT_RT too. */
void ppc_reclaim_ipi(void *arg)
{
	struct ppc_cache *c = arg;

	atomic_set(&c->ipi_queued, 0);
	/*
	 * Store ->ipi_queued, then load ->reclaim_asked; ppc_reclaim_ask()
	 * stores ->reclaim_asked, then loads ->ipi_queued (the xchg).  A
	 * full barrier on both sides: one of the two sees the other's store,
	 * so no request is left unanswered.  smp_mb__after_atomic() would
	 * not do: atomic_set() is a plain store, and on x86 it could still
	 * sit in the store buffer while the load runs.
	 */
	smp_mb();
	ppc_reclaim_serve(c->pool, false);
}

/*
 * A csd must not be queued twice: smp_call_function_single_async() does
 * not check atomically.  Either the target's IPI is not queued yet and we
 * queue it, or its handler has yet to read ->reclaim_asked and sees ours.
 */
static void ppc_reclaim_ask(struct ppc_cache *t, unsigned int cpu, int reason)
{
	atomic_set(&t->reclaim_reason, reason);
	/* Fully ordered, as the xchg is: see ppc_reclaim_ipi(). */
	atomic_inc(&t->reclaim_asked);
	smp_mb__after_atomic();	/* the store before the xchg's load */
	if (atomic_xchg(&t->ipi_queued, 1))
		return;
	if (smp_call_function_single_async(cpu, &t->reclaim_csd))
		atomic_set(&t->ipi_queued, 0);
}

/*
 * How long an allocation that may not block waits for the CPUs it asked:
 * one that spins with interrupts off (on a lock its caller holds, say)
 * never answers, and an IPI takes microseconds otherwise, or a few
 * milliseconds for a virtual CPU that the host does not run.
 */
#define PPC_RECLAIM_WAIT_NS	(20 * NSEC_PER_MSEC)

/*
 * The clock of the reclaim waits.  Not local_clock(): where the TSC is not
 * stable (virtual machines) it does not run past the last tick, so with
 * interrupts off on every CPU (a storm of allocations in hardirq context
 * waiting for one another) a deadline on it never comes.  The fast
 * monotonic clock reads the clocksource itself, from any context.
 */
static u64 ppc_clock(void)
{
	/*
	 * It reads the timekeeper through a seqcount latch and retries a
	 * read that overlapped the tick's rewrite of that copy; 6.1's KCSAN
	 * does not know latches and reports the retried read as a race.
	 */
	return data_race(ktime_get_mono_fast_ns());
}

/*
 * Wait for the reclaim round in flight on @pool to end, answering the
 * requests made of this CPU meanwhile (the round may be waiting for it),
 * until @deadline unless @wait_all.
 */
static void ppc_reclaim_wait_round(struct pcpu_pagecache *pool, bool owned,
				   bool wait_all, u64 deadline)
{
	while (atomic_read_acquire(&pool->reclaim_busy)) {
		ppc_reclaim_serve(pool, owned);
		if (!wait_all && ppc_clock() > deadline)
			return;
		cpu_relax();
	}
}

/*
 * Bring the pages held by every CPU's cache back to the bitmaps: this CPU's
 * first, then each other online CPU's, by an IPI to that CPU, waited
 * for.  Any context but NMI.  No lock is held while waiting, a CPU that
 * waits answers requests to itself meanwhile, and with preemption off here
 * no CPU can go offline (that needs stop_machine()) before it has answered.
 * But a CPU may spin with interrupts off on a lock that our caller holds:
 * unless the caller could have blocked (@wait_all), the wait ends after
 * PPC_RECLAIM_WAIT_NS, and a CPU that has not answered keeps its cache (it
 * flushes when it takes the IPI).  Returns whether any cache held
 * something.  @reason: PPC_FLUSH_RECLAIM, or PPC_FLUSH_DRAIN.
 */
bool ppc_reclaim(struct pcpu_pagecache *pool, bool owned, int reason,
		 bool wait_all)
{
	struct ppc_cache *t;
	unsigned int cpu, me;
	u64 deadline;
	bool held;
	int asked, busy;

	/* No IPI from NMI, and no wait: the CPU it stopped may hold a lock. */
	if (in_nmi())
		return false;
	preempt_disable();
	me = smp_processor_id();
	t = ppc_cache_of(pool, me);
	held = ppc_cache_holds(t);
	atomic_set(&t->reclaim_reason, reason);
	atomic_inc(&t->reclaim_asked);
	ppc_reclaim_serve(pool, owned);
	/*
	 * One allocation's round in flight per pool: N CPUs that run dry at
	 * once would otherwise send N^2 IPIs and each spin for the answers.
	 * An allocation that finds a round in flight waits for it (as long
	 * as it would wait for its own) and retries on what it brought back.
	 * A drain, which must see every cache flushed after it began, runs
	 * its own round beside any other: waiting for a turn, it could be
	 * overtaken by one allocation's round after another without end.
	 */
	deadline = ppc_clock() + PPC_RECLAIM_WAIT_NS;
	busy = reason == PPC_FLUSH_DRAIN ? 0 :
	       atomic_cmpxchg_acquire(&pool->reclaim_busy, 0, me + 1);
	if (busy) {
		/* An interrupt of this CPU's own round: it cannot end first. */
		if (busy != me + 1)
			ppc_reclaim_wait_round(pool, owned, wait_all, deadline);
		this_cpu_inc(pool->cache->reclaim_joins);
		preempt_enable();
		return true;
	}
	for_each_online_cpu(cpu) {
		t = ppc_cache_of(pool, cpu);
		if (cpu == me || !ppc_cache_holds(t))
			continue;
		held = true;
		ppc_reclaim_ask(t, cpu, reason);
	}
	deadline = ppc_clock() + PPC_RECLAIM_WAIT_NS;
	for_each_online_cpu(cpu) {
		t = ppc_cache_of(pool, cpu);
		/*
		 * Every request made of @cpu so far, ours among them: asked
		 * by others too, it was sent an IPI that is still to come.
		 */
		asked = atomic_read(&t->reclaim_asked);
		while (cpu != me && !ppc_reclaim_answered(t, asked)) {
			ppc_reclaim_serve(pool, owned);
			if (!wait_all && ppc_clock() > deadline)
				goto out;
			cpu_relax();
		}
	}
out:
	if (reason != PPC_FLUSH_DRAIN)
		atomic_set_release(&pool->reclaim_busy, 0);
	preempt_enable();
	if (reason == PPC_FLUSH_RECLAIM)
		this_cpu_inc(pool->cache->reclaims);
	return held;
}

/* ---- Drain --------------------------------------------------------------- */

/**
 * pcpu_pagecache_drain - flush every CPU's cache back into the bitmaps
 * @pool: the pool
 *
 * Each online CPU flushes its own window and batch; a CPU that is inside an
 * allocation or free at that moment keeps its cache until its next miss.
 * Caches refill on the next allocation.  Process context; may sleep.
 */
void pcpu_pagecache_drain(struct pcpu_pagecache *pool)
{
	unsigned int cpu;

	cpus_read_lock();
	ppc_reclaim(pool, false, PPC_FLUSH_DRAIN, true);
	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu))
			ppc_flush_stopped_cpu(pool, cpu, PPC_FLUSH_DRAIN);
	cpus_read_unlock();
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_drain);

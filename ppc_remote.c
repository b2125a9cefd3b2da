// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache: frees on their way back.  A free that the CPU's window
 * cannot take waits in a per-CPU batch (queued by ppc_alloc_free.c), its
 * pages marked in pool->batched so that a second free of one is refused at
 * once; under the pool lock the batch is checked again and applied, pages
 * of another CPU's window into that CPU's ->pending, the others into the
 * bitmap.  Here: the batched bits, the checks of a free against the
 * bitmap and the windows, the batches applied under the lock, and the
 * warnings of bad frees.  Apart from the alloc and free paths because none
 * of it is on the fast path: the fast path's ways out call it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/irq_work.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/seqlock.h>

#include "ppc_internal.h"
#include "pcpu_pagecache_trace.h"

/* ---- Bad frees: counted, traced, warned about ---------------------------- */

int ppc_bad_free(struct pcpu_pagecache *pool, phys_addr_t addr,
		 unsigned int npages, const char *why,
		 unsigned long caller)
{
	this_cpu_inc(pool->cache->invalid_frees);
	trace_pcpu_pagecache_invalid_free(pool->name, addr, npages, why, caller);
	pr_warn_ratelimited("%s: invalid free of %u pages at %pa by %pS: %s\n",
			    pool->name, npages, &addr, (void *)caller, why);
	return -EINVAL;
}

/*
 * ppc_bad_free() of a free found bad under the lock (its batch applied) or
 * in a window (two frees at once): counted now, warned about later.
 */
void ppc_bad_free_noted(struct pcpu_pagecache *pool, phys_addr_t addr,
			unsigned long npages, const char *why,
			unsigned long caller)
{
	unsigned long flags;
	struct ppc_note *n;

	local_irq_save(flags);
	this_cpu_add(pool->cache->invalid_frees, npages);
	trace_pcpu_pagecache_invalid_free(pool->name, addr, npages, why, caller);
	/* An NMI may have stopped a writer of the note: counted only. */
	if (unlikely(in_nmi()))
		goto out;
	n = &this_cpu_ptr(pool->cache)->note;
	if (n->why) {
		n->more++;
	} else {
		n->addr = addr;
		n->npages = npages;
		n->why = why;
		n->caller = caller;
		irq_work_queue(&n->work);
	}
out:
	local_irq_restore(flags);
}

void ppc_note_work(struct irq_work *work)
{
	struct ppc_note *n = container_of(work, struct ppc_note, work);
	struct ppc_cache *c = container_of(n, struct ppc_cache, note);
	struct ppc_note o;
	unsigned long flags;

	/* On PREEMPT_RT irq_work runs in a thread: keep writers out. */
	local_irq_save(flags);
	o = *n;
	n->why = NULL;
	n->more = 0;
	local_irq_restore(flags);
	if (o.why)
		pr_warn_ratelimited("%s: invalid free of %lu pages at %pa by %pS: %s (and %u more)\n",
				    c->pool->name, o.npages, &o.addr,
				    (void *)o.caller, o.why, o.more);
}

/* ---- The batched bits: frees on their way back --------------------------- */

/* The pages of [@first, @end) in word @w, as bits of that word. */
static unsigned long ppc_word_bits(unsigned long w, unsigned long first,
				   unsigned long end)
{
	unsigned long lo = max(first, w * PPC_WINDOW);
	unsigned long hi = min(end, (w + 1) * PPC_WINDOW);

	return BITMAP_FIRST_WORD_MASK(lo) & BITMAP_LAST_WORD_MASK(hi);
}

/* Clear the batched bits of [@first, @end): the free has been applied. */
void ppc_batched_release(struct pcpu_pagecache *pool,
			 unsigned long first, unsigned long end)
{
	unsigned long w;

	for (w = first / BITS_PER_LONG; w * BITS_PER_LONG < end; w++)
		atomic_long_andnot(ppc_word_bits(w, first, end),
				   &pool->batched[w]);
}

/*
 * Before a free of [@first, +@npages) goes into a batch: set its batched
 * bits, or, if one is set already, refuse it (another free of that page
 * waits in a batch: this one is a double free) and set none.  Every free
 * that is not applied at once claims its pages so, and every other free
 * and every window's fast free looks at them: a double free is caught
 * whichever path its first free took, as long as that one returned first.
 * Fully ordered, as a free's check that follows must be.
 */
bool ppc_batched_claim(struct pcpu_pagecache *pool,
		       unsigned long first, unsigned long npages)
{
	unsigned long end = first + npages, w, m, old;

	for (w = first / BITS_PER_LONG; w * BITS_PER_LONG < end; w++) {
		m = ppc_word_bits(w, first, end);
		old = atomic_long_fetch_or(m, &pool->batched[w]);
		if (unlikely(old & m)) {
			atomic_long_andnot(m & ~old, &pool->batched[w]);
			ppc_batched_release(pool, first,
					    min(end, w * BITS_PER_LONG));
			return false;
		}
	}
	return true;
}

/* Whether a page of [@first, +@npages) waits in a batch. */
bool ppc_batched_any(struct pcpu_pagecache *pool, unsigned long first,
		     unsigned long npages)
{
	unsigned long end = first + npages, w;

	for (w = first / BITS_PER_LONG; w * BITS_PER_LONG < end; w++)
		if (atomic_long_read(&pool->batched[w]) &
		    ppc_word_bits(w, first, end))
			return true;
	return false;
}

/* ---- The check of a free: the bitmap and the windows --------------------- */

/* Why pages @m of @owner's window may not be freed, or NULL. */
static __always_inline const char *ppc_free_check_owner(struct pcpu_pagecache *pool,
							long owner,
							unsigned long m)
{
	struct ppc_cache *o;

	/* Without the lock, a torn read is retried: never follow it. */
	if (unlikely((unsigned long)owner >= nr_cpu_ids))
		return NULL;
	o = ppc_cache_of(pool, owner);
	if ((READ_ONCE(o->free) | atomic_long_read(&o->pending)) & m)
		return "pages free in a CPU's window";
	return NULL;
}

/* ppc_free_check_locked() of one page, the common remote free: two reads. */
static __always_inline const char *ppc_free_check_page(struct pcpu_pagecache *pool,
						       unsigned long p)
{
	long owner = ppc_bits_page(&pool->bits, p);

	if (owner == PPC_PAGE_ALLOCATED)
		return NULL;
	if (owner == PPC_PAGE_FREE)
		return "pages not allocated";
	return ppc_free_check_owner(pool, owner, BIT(p % PPC_WINDOW));
}

/*
 * Why pages [@first, +@npages) may not be freed, or NULL.  A page of a word
 * no window owns must be allocated in the bitmap; a page of a window must
 * be neither free in its owner's cache nor freed into it already.  Under
 * pool->lock, or inside a read section of owners_seq.
 */
const char *ppc_free_check(struct pcpu_pagecache *pool,
			   unsigned long first, unsigned long npages)
{
	unsigned long end = first + npages, w, b;
	const char *why;
	long owner;

	if (npages == 1)
		return ppc_free_check_page(pool, first);
	for (w = first / PPC_WINDOW; w * PPC_WINDOW < end; w++) {
		b = max(first, w * PPC_WINDOW);
		owner = ppc_bits_owner(&pool->bits, w);
		if (owner < 0) {
			if (!ppc_bits_allocated(&pool->bits, b,
						min(end, (w + 1) * PPC_WINDOW) - b))
				return "pages not allocated";
			continue;
		}
		why = ppc_free_check_owner(pool, owner,
					   ppc_word_bits(w, first, end));
		if (why)
			return why;
	}
	return NULL;
}

/* ---- Frees applied under the lock: a batch, or a slow free --------------- */

void ppc_bitmap_frees_flush_locked(struct pcpu_pagecache *pool,
				   struct ppc_bitmap_frees *f)
{
	unsigned int i;

	lockdep_assert_held(&pool->lock);
	ppc_bits_free_runs(&pool->bits, f->run, f->n);
	/* Free first: a free of these pages sees the bit or the free page. */
	for (i = 0; f->claimed && i < f->n; i++)
		ppc_batched_release(pool, f->run[i].first,
				    f->run[i].first + f->run[i].npages);
	f->n = 0;
}

static void ppc_bitmap_frees_add_locked(struct pcpu_pagecache *pool,
					struct ppc_bitmap_frees *f, unsigned long first,
				 unsigned long npages)
{
	struct ppc_run *last = f->n ? &f->run[f->n - 1] : NULL;

	lockdep_assert_held(&pool->lock);
	if (last && last->first + last->npages == first) {
		last->npages += npages;
		return;
	}
	if (f->n == ARRAY_SIZE(f->run))
		ppc_bitmap_frees_flush_locked(pool, f);
	f->run[f->n++] = (struct ppc_run){ first, npages };
}

/*
 * Free a checked range: pages of a window go to its owner's ->pending,
 * the others to @f, each stretch of them as one range.  A page in a
 * ->pending is batched until its owner merges it (ppc_pending_merge()):
 * set first, if the free did not set it already.
 */
void ppc_free_apply_locked(struct pcpu_pagecache *pool,
			   unsigned long first, unsigned long npages,
			   struct ppc_bitmap_frees *f)
{
	unsigned long end = first + npages, w, run = first;
	long owner;

	lockdep_assert_held(&pool->lock);
	for (w = first / PPC_WINDOW; w * PPC_WINDOW < end; w++) {
		owner = ppc_bits_owner(&pool->bits, w);
		if (owner < 0)
			continue;
		if (run < w * PPC_WINDOW)
			ppc_bitmap_frees_add_locked(pool, f, run, w * PPC_WINDOW - run);
		if (!f->claimed)
			atomic_long_or(ppc_word_bits(w, first, end),
				       &pool->batched[w]);
		/* The owner's merge that sees the page must see its bit. */
		smp_mb__after_atomic();
		atomic_long_or(ppc_word_bits(w, first, end),
			       &ppc_cache_of(pool, owner)->pending);
		run = (w + 1) * PPC_WINDOW;
	}
	if (run < end)
		ppc_bitmap_frees_add_locked(pool, f, run, end - run);
}

/*
 * Apply the free of [@first, +@npages) from a batch, page by page if it
 * cannot be applied whole (one of its pages was freed twice at the same
 * moment on two CPUs): the others still go back.  Pages refused are
 * counted as still out here.
 */
static void ppc_batch_ent_apply_locked(struct pcpu_pagecache *pool,
				       struct ppc_batch_ent *e,
				       struct ppc_bitmap_frees *f)
{
	unsigned long idx;
	const char *why;

	lockdep_assert_held(&pool->lock);
	why = ppc_free_check_locked(pool, e->idx, e->npages);
	if (!why) {
		ppc_free_apply_locked(pool, e->idx, e->npages, f);
		return;
	}
	for (idx = e->idx; idx < e->idx + e->npages; idx++) {
		why = ppc_free_check_locked(pool, idx, 1);
		if (!why) {
			ppc_free_apply_locked(pool, idx, 1, f);
			continue;
		}
		local_inc(ppc_out_adjust(pool));
		ppc_batched_release(pool, idx, idx + 1);
		ppc_bad_free_noted(pool, ppc_phys(pool, idx), 1, why, e->caller);
	}
}

/*
 * Apply @c's batch: the section, or its CPU cannot run.  The batched bits
 * of pages that go to the bitmap are cleared once they are free there
 * (ppc_bitmap_frees_flush_locked()), those of pages that go to a ->pending when
 * their owner merges them, so that a free checking without the lock sees
 * either the bit or the free page, never neither.  The owners_seq write
 * section makes the lockless checks wait for the whole batch.
 */
void ppc_batch_apply_locked(struct pcpu_pagecache *pool,
			    struct ppc_cache *c)
{
	struct ppc_bitmap_frees f = { .claimed = true };
	struct ppc_batch_ent *e;
	unsigned int i;

	lockdep_assert_held(&pool->lock);
	if (!c->nbatch)
		return;
	raw_write_seqcount_begin(&pool->owners_seq);
	for (i = 0; i < c->nbatch; i++) {
		e = &c->batch[i];
		ppc_batch_ent_apply_locked(pool, e, &f);
		c->batch_pages -= e->npages;
	}
	ppc_bitmap_frees_flush_locked(pool, &f);
	raw_write_seqcount_end(&pool->owners_seq);
	c->batch_frees = 0;
	WRITE_ONCE(c->nbatch, 0);
}

/*
 * Apply @c's batch, inside its section.  In NMI the lock may be held by the
 * code the NMI stopped, on this CPU: it is only tried, and the batch stays
 * full for the next free to apply.
 */
bool ppc_batch_apply(struct pcpu_pagecache *pool, struct ppc_cache *c)
{
	unsigned long flags;

	if (likely(!in_nmi()))
		flags = ppc_lock(pool);
	else if (!raw_spin_trylock_irqsave(&pool->lock, flags))
		return false;
	ppc_batch_apply_locked(pool, c);
	ppc_unlock(pool, flags);
	return true;
}

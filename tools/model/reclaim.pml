/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reclaim.pml: the reclaim requests of pcpu_pagecache (asked / served /
 * ipi_queued, the IPI, nest), under x86-TSO, for SPIN.
 * Documentation/pcpu_pagecache.rst, "The model of the lockless protocol",
 * says what is modelled and what is not; scripts/lanes/check-model.sh
 * runs it.
 *
 * One target CPU, whose cache the others ask for.  Its task runs NOPS
 * operations: a section that fills the cache (cache = 1), or a reclaim of
 * its own outside the section (ppc_reclaim_serve() with owned false, as
 * the drain does), which interrupts can enter.  Its interrupts: the
 * reclaim IPI (while one is queued), and one allocation that fills the
 * cache in a section of its own if the task is outside its section.
 *
 * Two requesters on two other CPUs ask once each, if they see the cache
 * hold something: W may block, so waits until answered; N may not, so may
 * give up at any time (its 20 ms timeout).
 *
 * x86-TSO: the target's plain stores (ipi_queued = 0, served, and with
 * OLD_D8 the request flag) go through a FIFO store buffer, drained at any
 * time by a process of their own, forwarded to the target's own loads, and
 * drained before a locked instruction or smp_mb() (the lock's acquire is
 * one).  The requesters use locked instructions only (fetch-add, xchg);
 * with OLD_D8 the flag's plain store is followed by the xchg at once, so
 * buffering it adds no behaviour.
 *
 * Properties: no invalid end state, i.e. W is always answered (a lost
 * request leaves it waiting forever while every other process is nfinished),
 * and an answered request was answered by a flush that began after it, or
 * by the IPI finding the section busy (the documented exception): assert
 * at the waiter that no flush is owed to it.
 *
 * Reverting a fix:
 *   -DOLD_D2   smp_mb__after_atomic() (a compiler barrier on x86) between
 *              the handler's ipi_queued = 0 and its read of the requests:
 *              the store waits in the buffer, a request is lost.
 *   -DOLD_D8   one request flag, read at the start of the serve and
 *              cleared at its end: a request made in between is told
 *              served without a flush after it.
 *   -DOLD_SERVED_IRQON  the task's own serve stores served = a with
 *              interrupts on: an IPI served in between makes served go
 *              back (not in the brief: what the model found).
 */

#define NONE	255
#ifndef NOPS
#define NOPS	2
#endif

/* The target's store buffer: variables by number. */
#define V_IPIQ		0
#define V_SERVED	1
#define V_REQ		2
#define SBSZ		3

byte mem[3];			/* ipi_queued, served, req (OLD_D8) */
byte asked;			/* requests made (fetch-add) */
bool ipi;			/* an IPI is on its way to the target */
bool cache;			/* the target's cache holds pages */
bool busy;			/* the target's section (nest >= 0) */
bool in_irq;			/* an interrupt runs on the target */
bool irqoff;			/* the target's task has interrupts off */
byte sbv[SBSZ];			/* the store buffer: variable ... */
byte sbx[SBSZ];			/* ... and value, oldest first */
byte sbn;

/* Ghosts */
byte gasked;			/* requests made, also with OLD_D8 */
byte tick[2];			/* request number of each requester */
bool owed[2];			/* the requester is owed a flush */
byte nfinished;

/* A store of the target: into the buffer. */
inline store(v, x)
{
	atomic {
		assert(sbn < SBSZ);
		sbv[sbn] = v;
		sbx[sbn] = x;
		sbn++
	}
}

/* A load of the target: its newest buffered store of v, or memory. */
inline load(v, r)
{
	atomic {
		r = mem[v];
		i = 0;
		do
		:: i < sbn -> if :: sbv[i] == v -> r = sbx[i] :: else fi; i++
		:: i == sbn -> break
		od
	}
}

/* A locked instruction or smp_mb(): once the buffer is empty. */
#define FENCE	(sbn == 0)

/* The answer to requests 1..ga: owed nothing any more. */
inline answered(ga)
{
	atomic {
		if :: tick[0] && tick[0] <= ga -> owed[0] = 0 :: else fi;
		if :: tick[1] && tick[1] <= ga -> owed[1] = 0 :: else fi
	}
}

/* The flush under the lock: every request made so far is owed nothing. */
inline flush()
{
	atomic {
		FENCE;
		cache = 0;
		answered(gasked)
	}
}

/*
 * ppc_reclaim_serve() on the target: a, read first, is the requests it
 * answers; the flush (if the section is not busy) comes after the read.
 */
inline serve()
{
#ifdef OLD_D8
	atomic { load(V_REQ, a); ga = gasked };
	if
	:: a ->
		if
		:: !busy -> busy = 1; flush(); busy = 0
		:: busy -> answered(ga)
		fi;
		store(V_REQ, 0)
	:: else
	fi
#else
	atomic { a = asked; ga = gasked };
	if
	:: !busy -> busy = 1; flush(); busy = 0
	:: busy -> answered(ga)
	fi;
	store(V_SERVED, a)
#endif
}

/* The IPI handler, in hardirq on the target. */
inline ipi_handler()
{
	store(V_IPIQ, 0);
#ifndef OLD_D2
	FENCE;			/* smp_mb() */
#endif
	serve()
}

/* The target's task: provided no interrupt runs on its CPU. */
proctype task() provided (!in_irq)
{
	byte a, ga, i, n;

	do
	:: n < NOPS ->
		if
		:: busy = 1; cache = 1; busy = 0
		:: /* its own reclaim, outside the section */
#ifdef OLD_SERVED_IRQON
			serve()
#else
			/* with interrupts off, as under the lock */
			irqoff = 1;
			serve();
			irqoff = 0
#endif
		fi;
		n++
	:: break
	od;
	nfinished++
}

/* The target's interrupts: the IPI, and one allocation. */
proctype irqs()
{
	byte a, ga, i;
	bool alloc = 1;

end:	do
	:: atomic { ipi && !in_irq && !irqoff -> ipi = 0; in_irq = 1 };
		ipi_handler();
		in_irq = 0
	:: atomic { alloc && !in_irq && !irqoff -> alloc = 0; in_irq = 1 };
		if
		:: !busy -> busy = 1; cache = 1; busy = 0
		:: else		/* the locked path: no cache */
		fi;
		in_irq = 0
	od
}

/* The target's store buffer drains in order, at any time. */
proctype drain()
{
	byte i;

end:	do
	:: atomic {
		sbn > 0 ->
		mem[sbv[0]] = sbx[0];
		i = 1;
		do
		:: i < sbn -> sbv[i - 1] = sbv[i]; sbx[i - 1] = sbx[i]; i++
		:: i == sbn -> break
		od;
		sbn--
	   }
	od
}

/* A requester on another CPU: r 0 may block, r 1 may not. */
proctype requester(byte r)
{
	byte t, old;

	if
	:: cache ->		/* ppc_cache_holds() */
		atomic {
			gasked++;
			tick[r] = gasked;
			owed[r] = cache;
#ifdef OLD_D8
			mem[V_REQ] = 1;
			t = 1
#else
			asked++;
			t = asked
#endif
		};
		atomic { old = mem[V_IPIQ]; mem[V_IPIQ] = 1 };
		if
		:: old == 0 -> ipi = 1
		:: else
		fi;
		if
#ifdef OLD_D8
		:: mem[V_REQ] == 0 -> assert(!owed[r])
#else
		:: mem[V_SERVED] >= t -> assert(!owed[r])
#endif
		:: r == 1 -> skip	/* timed out */
		fi
	:: else
	fi;
	nfinished++
}

init
{
	atomic {
		run task();
		run irqs();
		run drain();
		run requester(0);
		run requester(1)
	}
}

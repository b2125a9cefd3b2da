/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pages.pml: the page protocol of pcpu_pagecache (window, pending, batch,
 * batched bits, nest), for SPIN.  Documentation/pcpu_pagecache.rst,
 * "The model of the lockless protocol", says what is modelled and what
 * is not; scripts/lanes/check-model.sh runs it.
 *
 * NCPU CPUs share a pool of NW words of WP pages.  A word no CPU owns has
 * its pages free or allocated in the bitmap `bm` (bit set: allocated),
 * guarded by the pool lock L.  A word owned by a CPU's window has its free
 * pages in that CPU's `free` mask (private to the CPU), and the pages other
 * CPUs freed into it in its `pending` mask (atomic OR under L, xchg by the
 * owner).  A free outside the CPU's window sets the page's `batched` bit
 * (test_and_set) and waits in the CPU's batch until the batch is applied
 * under L.
 *
 * Each CPU runs a task that performs NOPS operations, each in a section
 * (busy = nest raised); with -DIRQ the last CPU also takes one interrupt at
 * any point outside the lock, which performs one operation: in a section
 * of its own if the task is not inside one, else on the locked path.
 *
 * The client: an allocation hands a page to a holder; a holder frees its
 * page on any CPU; one buggy client frees once, again, a page whose free
 * has returned and that has not been handed out since ("stale").
 *
 * Properties (assert): no page is handed to a holder while another holds
 * it; at the end, once every cache is flushed, the pages allocated are
 * exactly the pages held (no page lost, none freed twice), every double
 * free was refused or counted (invalid == nbug: none missed, none
 * counted that was not one), and no batched bit is left set.
 *
 * Reverting a fix:
 *   -DOLD_D3           no batched bits (the code before issue 21): the
 *                      double free of a page waiting in another CPU's
 *                      batch hands the page out twice.
 *   -DOLD_CLEAR_FIRST  apply a batch entry by clearing its batched bit
 *                      before the check and the OR into pending (and let
 *                      an unlocked "batched" refuse the free): a double
 *                      free on the window's owner in between hands the
 *                      page out twice.
 */

#define NCPU	2
#define NW	2
#define WP	2
#define NP	(NW * WP)
#define NONE	255
#ifndef NOPS
#define NOPS	4
#endif
#ifndef BATCH
#define BATCH	2
#endif

#define B(p)		(1 << (p))
#define WORD(p)		((p) / WP)
#define WMASK(w)	((((1 << WP) - 1) << ((w) * WP)))
#define LOW(x)		((x) & 1 -> 0 : ((x) & 2 -> 1 : ((x) & 4 -> 2 : 3)))
#define POP(x)		(((x) & 1) + (((x) >> 1) & 1) + (((x) >> 2) & 1) + (((x) >> 3) & 1))

byte bm;			/* pool bitmap, unowned words: 1 = allocated */
byte owner[NW] = NONE;		/* the CPU whose window the word is */
byte L = NONE;			/* pool lock: its holder */
byte free[NCPU];		/* window pages free in the CPU's cache */
byte pending[NCPU];		/* window pages freed by other CPUs */
byte win[NCPU] = NONE;		/* the window's word */
byte batch[NCPU];		/* pages waiting in the CPU's batch */
byte nbatch[NCPU];
byte batched;			/* per-page batched bits */
bool busy[NCPU];		/* the section is entered (nest >= 0) */
bool irq[NCPU];			/* an interrupt runs on the CPU */

/* Ghosts: the client's view. */
byte held;			/* pages in a holder's hands */
byte infl[NP];			/* frees of the page in flight */
byte stale;			/* freed, free returned, not handed out since */
byte invalid;			/* frees refused or counted */
byte nbug;			/* double frees issued */
byte bugp = NONE;		/* the page of the double free in flight */
bool excused;			/* it was handed out meanwhile: not checked */
byte nfinished;

#define LOCK(c)		atomic { L == NONE -> L = c }
#define UNLOCK(c)	L = NONE

/* A page goes to a holder: nobody may hold it already. */
inline handout(p)
{
	atomic {
		if
		:: bugp == p -> excused = 1
		:: else
		fi;
		assert(excused || !(held & B(p)));
		held = held | B(p);
		stale = stale & ~B(p)
	}
}

/* The fast allocation: the lowest free page of the window, handed out. */
inline take(c)
{
	atomic {
		p = LOW(free[c]);
		free[c] = free[c] & ~B(p);
		handout(p)
	}
}

/* Whether page q may be freed: the check, under L or as the hint. */
inline check(q)
{
	atomic {
		o = owner[WORD(q)];
		if
		:: o == NONE -> ok = (bm & B(q)) != 0
		:: else -> ok = ((free[o] | pending[o]) & B(q)) == 0
		fi
	}
}

/* A checked page freed under L: to the bitmap or its owner's pending. */
inline apply(q)
{
	atomic {
		o = owner[WORD(q)];
		if
		:: o == NONE -> bm = bm & ~B(q)
		:: else -> pending[o] = pending[o] | B(q)
		fi
	}
}

/*
 * ppc_batch_apply_locked(): under L.  A page freed to the bitmap has its
 * batched bit cleared before L is released, so before it can be taken
 * again; a page OR-ed into its owner's pending keeps it until the owner
 * merges it (merge()).
 */
inline apply_batch(c)
{
	q = 0;
	do
	:: q < NP && (batch[c] & B(q)) ->
#if defined(OLD_CLEAR_FIRST) && !defined(OLD_D3)
		batched = batched & ~B(q);
#endif
		check(q);
		if
		:: ok -> apply(q)
		:: else -> invalid++
		fi;
#if !defined(OLD_CLEAR_FIRST) && !defined(OLD_D3)
		if
		:: !ok || owner[WORD(q)] == NONE -> batched = batched & ~B(q)
		:: else
		fi;
#endif
		batch[c] = batch[c] & ~B(q);
		nbatch[c]--;
		q++
	:: q < NP && !(batch[c] & B(q)) -> q++
	:: q == NP -> break
	od
}

/* Take back pages freed into the window: xchg, then in the private mask. */
inline merge(c)
{
	atomic { got = pending[c]; pending[c] = 0 };
	invalid = invalid + POP(got & free[c]);
	free[c] = free[c] | got;
#if !defined(OLD_CLEAR_FIRST) && !defined(OLD_D3)
	/* Their batched bits, set since their remote free: now visible free. */
	if
	:: got -> batched = batched & ~got
	:: else
	fi
#endif
}

/* ppc_cache_flush_locked(): under L. */
inline flush(c)
{
	apply_batch(c);
	if
	:: win[c] != NONE ->
		merge(c);
		atomic {
			bm = (bm & ~WMASK(win[c])) | (WMASK(win[c]) & ~free[c]);
			owner[win[c]] = NONE;
			win[c] = NONE;
			free[c] = 0
		}
	:: else
	fi
}

/* Refill: flush, take the first window with a free page, or fail. */
inline refill_alloc(c)
{
	LOCK(c);
	flush(c);
	atomic {
		q = 0;
		do
		:: q < NW && owner[q] == NONE && (WMASK(q) & ~bm) -> break
		:: q < NW && !(owner[q] == NONE && (WMASK(q) & ~bm)) -> q++
		:: q == NW -> break
		od;
		if
		:: q < NW ->
			owner[q] = c;
			win[c] = q;
			free[c] = WMASK(q) & ~bm;
			bm = bm | WMASK(q)
		:: else
		fi
	};
	if
	:: free[c] ->
		take(c)
	:: else			/* no window has a free page: no page */
	fi;
	UNLOCK(c)
}

/* An allocation in the section. */
inline alloc_in(c)
{
	if
	:: free[c] ->
		take(c)
	:: else ->
		merge(c);
		if
		:: free[c] ->
			take(c)
		:: else -> refill_alloc(c)
		fi
	fi
}

/* ppc_bits_alloc_one(): the locked path of an interrupted section. */
inline alloc_locked(c)
{
	LOCK(c);
	atomic {
		p = 0;
		do
		:: p < NP && owner[WORD(p)] == NONE && !(bm & B(p)) ->
			bm = bm | B(p);
			handout(p);
			break
		:: p < NP && !(owner[WORD(p)] == NONE && !(bm & B(p))) -> p++
		:: p == NP -> break
		od
	};
	UNLOCK(c)
}

/*
 * ppc_free_locked(): the check under L; with the batched bits, a page
 * waiting in a batch or on its way through pending is refused too.
 */
inline free_locked(c, p)
{
	LOCK(c);
#ifdef OLD_D3
	check(p);
#else
	/*
	 * The batched bit first: a page that the owner is merging is in
	 * neither its pending nor its free mask, but keeps its bit until it
	 * is in the free mask.
	 */
	ok = !(batched & B(p));
	if
	:: ok -> check(p)
	:: else
	fi;
#endif
	if
	:: ok ->
#if !defined(OLD_CLEAR_FIRST) && !defined(OLD_D3)
		/* A page on its way through pending has its batched bit. */
		if
		:: owner[WORD(p)] != NONE -> batched = batched | B(p)
		:: else
		fi;
#endif
		apply(p)
	:: else -> invalid++
	fi;
	UNLOCK(c)
}

/* A free outside the window: into the batch (ppc_free_remote()). */
inline free_remote(c, p)
{
#ifdef OLD_D3
	check(p);
	ok = ok && !(batch[c] & B(p));
#else
	atomic {
		ok = !(batched & B(p));
		batched = batched | B(p)
	};
	if
	:: ok ->
		check(p);
		if
		:: !ok -> batched = batched & ~B(p)
		:: else
		fi
	:: else
	fi;
#endif
	if
	:: ok ->
		batch[c] = batch[c] | B(p);
		nbatch[c]++;
		if
		:: nbatch[c] == BATCH ->
			LOCK(c);
			apply_batch(c);
			UNLOCK(c)
		:: else
		fi
	:: else ->
		invalid++
	fi
}

/* A free in the section: the fast path if the page is in the window. */
inline free_in(c, p)
{
	if
	:: win[c] != NONE && WORD(p) == win[c] ->
		atomic {
#ifdef OLD_D3
			ok = !((free[c] | pending[c]) & B(p));
#else
			ok = !((free[c] | pending[c] | batched) & B(p));
#endif
			if
			:: ok -> free[c] = free[c] | B(p)
			:: else
			fi
		};
		if
		:: ok
		:: else ->
			invalid++
		fi
	:: else -> free_remote(c, p)
	fi
}

/* The client picks a page: one it holds, or for the bug a stale one. */
inline pick(set)
{
	if
	:: (set) & B(0) -> p = 0
	:: (set) & B(1) -> p = 1
	:: (set) & B(2) -> p = 2
	:: (set) & B(3) -> p = 3
	fi
}

/* Give up a held page (the free starts) ... */
inline give_up()
{
	atomic {
		pick(held);
		held = held & ~B(p);
		infl[p]++
	}
}

/* ... and the free returned: with no other free of it in flight and not
 * handed out again, the page is stale: freeing it again is a double free. */
inline returned()
{
	atomic {
		infl[p]--;
		if
		:: !(held & B(p)) && infl[p] == 0 -> stale = stale | B(p)
		:: else
		fi
	}
}

inline bug_start()
{
	atomic {
		nbug == 0 && stale;
		pick(stale);
		nbug++;
		bugp = p
	}
}

inline bug_end()
{
	bugp = NONE
}

/* One operation in the section of CPU c. */
inline op_in(c)
{
	busy[c] = 1;
	if
	:: alloc_in(c)
	:: give_up(); free_in(c, p); returned()
	:: bug_start(); free_in(c, p); bug_end()
	fi;
	busy[c] = 0
}

proctype task(byte c) provided (!irq[c])
{
	byte p, q, o, got, n;
	bool ok;

	do
	:: n < NOPS -> op_in(c); n++
	:: break
	od;
	nfinished++
}

#ifdef IRQ
/* One interrupt on CPU c, outside the lock (taken with irqs off). */
proctype intr(byte c)
{
	byte p, q, o, got;
	bool ok;

	if
	:: atomic { L != c -> irq[c] = 1 };
		if
		:: !busy[c] -> op_in(c)
		:: busy[c] ->
			if
			:: alloc_locked(c)
			:: give_up(); free_locked(c, p); returned()
			:: bug_start(); free_locked(c, p); bug_end()
			fi
		fi;
		irq[c] = 0
	:: skip
	fi;
	nfinished++
}
#define NPROC	(NCPU + 1)
#else
#define NPROC	NCPU
#endif

/* Once every CPU is nfinished: flush every cache (as for a dead CPU), check. */
init
{
	byte p, q, o, got, c;
	bool ok;

	atomic {
		c = 0;
		do
		:: c < NCPU -> run task(c);
#ifdef IRQ
			if
			:: c == NCPU - 1 -> run intr(c)
			:: else
			fi;
#endif
			c++
		:: c == NCPU -> break
		od
	};
	nfinished == NPROC;
	c = 0;
	do
	:: c < NCPU -> flush(c); c++
	:: c == NCPU -> break
	od;
	assert(excused || bm == held);
	assert(excused || invalid == nbug);
	assert(excused || batched == 0)
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rounds.pml: who may start a reclaim round (ppc_reclaim(), reclaim_busy),
 * for SPIN.  reclaim.pml models the requests a round makes; this one only
 * the turns: scripts/lanes/check-model.sh runs both.
 *
 * Two CPUs run dry over and over: each takes the one allocation round in
 * flight when reclaim_busy is 0 (a cmpxchg), or joins the one in flight.
 * A third CPU drains, over and over.  A drain must not be overtaken
 * without bound: no more than BYPASS allocation rounds may begin while
 * one drain waits for its turn.  The fix is that it never waits for one
 * (a drain's requests go beside any round in flight, which reclaim.pml
 * shows is safe: every request is counted and answered), so what this
 * model shows is the mutant's starvation: a counterexample in which the
 * allocations take turns ahead of the drain.
 *
 * Reverting the fix:
 *   -DOLD_DRAIN_WAITS  the drain waits until no round is in flight, then
 *              races the allocations for reclaim_busy, and loses as often
 *              as they are quicker: the review's "a drain can be starved
 *              by a storm of rounds".
 */
#define BYPASS	3

byte busy;		/* reclaim_busy: 0, or 1 + the CPU of the round */
bool waiting;		/* a drain waits for its turn */
byte bypassed;		/* allocation rounds begun while it waits */

active [2] proctype alloc()
{
	do
	:: atomic {
		busy == 0 -> busy = _pid + 1;
		if
		:: waiting -> bypassed++; assert(bypassed <= BYPASS)
		:: else
		fi
	   }
	   /* its requests and their answers: reclaim.pml */
	   busy = 0
	:: busy != 0 && busy != _pid + 1 -> skip	/* joins the round */
	od
}

active proctype drain()
{
	do
#ifdef OLD_DRAIN_WAITS
	:: waiting = 1;
	   atomic { busy == 0 -> busy = 3; waiting = 0; bypassed = 0 };
	   busy = 0
#else
	/*
	 * Its requests and their answers (reclaim.pml), beside any other
	 * round: it never waits for a turn, so nothing can overtake it.
	 */
	:: waiting = 0
#endif
	od
}

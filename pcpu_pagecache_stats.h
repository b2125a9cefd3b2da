/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The statistics of a pool, named once: the fields of struct
 * pcpu_pagecache_stats, the lines of debugfs <pool>/stats and the names
 * the tests read, all in this order.  X(name) for each one.  No include:
 * the user-space selftest includes it too.
 */
#ifndef _PCPU_PAGECACHE_STATS_H
#define _PCPU_PAGECACHE_STATS_H

#define PCPU_PAGECACHE_STATS(X)	\
	X(pages_total)		\
	X(pages_free)		\
	X(pages_cached)		\
	X(pages_inuse)		\
	X(pages_leaked)		\
	X(alloc_fast)		\
	X(alloc_slow)		\
	X(alloc_fail)		\
	X(free_fast)		\
	X(free_slow)		\
	X(refills)		\
	X(flushes)		\
	X(lock_acquisitions)	\
	X(invalid_frees)	\
	X(free_remote)		\
	X(reclaims)		\
	X(reclaim_joins)

#endif /* _PCPU_PAGECACHE_STATS_H */

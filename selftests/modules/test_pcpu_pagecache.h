/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of the test module share: the
 * checks, the stats snapshots, the test pools and their fixture, the
 * helpers that run operations on a given CPU, and the tests and actions
 * that tp_main.c puts in its tables.
 */
#ifndef TEST_PCPU_PAGECACHE_H
#define TEST_PCPU_PAGECACHE_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/types.h>

struct seq_file;

#include "pcpu_pagecache.h"

extern unsigned long long resv_base;
extern unsigned long long resv_size;
extern unsigned int stress_secs;
extern bool stress_touch;
extern unsigned int stress_timer_us;

#define SZ_POOL		(8UL << 20)	/* 2048 pages, two chunks */
#define CHUNK_BYTES	(PCPU_PAGECACHE_CHUNK_PAGES * PAGE_SIZE)
#define WINDOW		PCPU_PAGECACHE_WINDOW_PAGES

/* ------------------------------------------------------------------ */
/* Checks                                                             */

/*
 * The run of one test or action: a failed check logs file:line and counts
 * here, and the test goes on (KUnit's EXPECT); its verdict is -EIO if
 * anything failed.  Runs are serialized by the run file's mutex.
 */
struct tp_run {
	const char *name;
	atomic_t failed;
};

extern struct tp_run tp_run;

void tp_run_begin(const char *name);
/* A failure found by other means than CHECK(): count it. */
void tp_fail(void);
bool tp_check(bool ok, bool fatal, const char *expr, const char *file,
	      const char *func, int line);
bool tp_check_eq(s64 a, s64 b, bool fatal, const char *ea, const char *eb,
		 const char *file, const char *func, int line);

/* Log and count a failure; the value of @cond, for what depends on it. */
#define CHECK(cond) \
	tp_check(!!(cond), false, #cond, __FILE__, __func__, __LINE__)
#define CHECK_EQ(a, b) \
	tp_check_eq((s64)(a), (s64)(b), false, #a, #b, __FILE__, __func__, \
		    __LINE__)
/*
 * A check the test cannot go past (an address it would then use): the
 * caller returns at once, "if (!ASSERT(a)) return -EIO;", and the fixture
 * still tears the pool down.
 */
#define ASSERT(cond) \
	tp_check(!!(cond), true, #cond, __FILE__, __func__, __LINE__)
#define ASSERT_EQ(a, b) \
	tp_check_eq((s64)(a), (s64)(b), true, #a, #b, __FILE__, __func__, \
		    __LINE__)

/* ------------------------------------------------------------------ */
/* Stats snapshots                                                    */

/* ST_<name>: a stat's index, in the order of PCPU_PAGECACHE_STATS(). */
#define ST_INDEX(n)	ST_##n,
enum { PCPU_PAGECACHE_STATS(ST_INDEX) ST_N };
#undef ST_INDEX

extern const char * const st_names[ST_N];

/* In an expected delta: this field is not checked. */
#define ST_ANY	S64_MIN
/* Delimiters of a list of (field, expected delta) pairs. */
#define ST_BEGIN	(-2)
#define ST_END		(-1)

struct snap {
	s64 v[ST_N];
};

void snap_take(struct pcpu_pagecache *pool, struct snap *s);
bool snap_invariant(const struct snap *s, const char *what, int line);
bool snap_delta(const struct snap *a, const struct snap *b,
		const s64 *pairs, const char *what, int line);
bool snap_idle(const struct snap *s, const char *what, int line);
bool step(struct pcpu_pagecache *pool, struct snap *s0,
	  const s64 *expect, const char *what, int line);

#define ST_PAIRS(...)	((const s64[]) { ST_BEGIN, ##__VA_ARGS__, ST_END })
/* Each is a check: a failure is logged and counted. */
#define DELTA(a, b, what, ...) \
	snap_delta(a, b, ST_PAIRS(__VA_ARGS__), what, __LINE__)
#define INVARIANT(s, what)	snap_invariant(s, what, __LINE__)
/* A pool with nothing handed out: every page free in the bitmaps or caches. */
#define IDLE(s, what)	snap_idle(s, what, __LINE__)
/* Compare the pool with @s0, then make the new snapshot the reference. */
#define STEP(pool, s0, what, ...) \
	step(pool, s0, ST_PAIRS(__VA_ARGS__), what, __LINE__)

/* ------------------------------------------------------------------ */
/* Pools and the fixture                                              */

struct tpool {
	struct pcpu_pagecache *pool;
	phys_addr_t base;		/* 0: built from the page allocator */
	size_t size;
	unsigned long npages;		/* pages_total */
	unsigned int flags;
};

int resv_pick(void);
phys_addr_t resv(unsigned long off);
int tpool_create(struct tpool *tp, const char *name, phys_addr_t base,
		 size_t size, unsigned int flags);
void tpool_destroy(struct tpool *tp);
bool tpool_run_ok(struct tpool *tp, phys_addr_t addr, unsigned int n);
int default_tpool(struct tpool *tp);

/* Where a fixture pool is: none, the reserved range, the page allocator. */
enum tp_where { TP_NONE, TP_RESV, TP_BUDDY };

struct tp_pool_spec {
	const char *name;
	enum tp_where where;
	size_t size;
	unsigned long off;		/* TP_RESV: offset in the test's window */
	unsigned int flags;		/* PCPU_PAGECACHE_NOCACHE, _TRACK */
};

#define TP_RESV_POOL(n, sz, ...) \
	{ .name = n, .where = TP_RESV, .size = sz, ##__VA_ARGS__ }
#define TP_BUDDY_POOL(n, sz, ...) \
	{ .name = n, .where = TP_BUDDY, .size = sz, ##__VA_ARGS__ }

/* What a test gets: its pool, made before and destroyed after it. */
struct tp_fix {
	struct tpool tp;		/* no pool for a test without a spec */
	int cpu;			/* the first online CPU */
	int other;			/* the second, for tests that need two */
};

#define TP_POOLS	2

/*
 * A test: its body runs once on each of its pools, each made before it
 * and, after it, checked idle and destroyed (a reserved one must leave
 * its range free).  With @two_cpus it needs two online CPUs.
 */
struct tp_test {
	const char *name;
	int (*fn)(struct tp_fix *f);
	bool two_cpus;
	struct tp_pool_spec pools[TP_POOLS];
};

/* ------------------------------------------------------------------ */
/* Running operations on a given CPU                                  */

int two_cpus(int *a, int *b);
int run_on(int cpu, long (*fn)(void *), void *arg);
int alloc_on(int cpu, struct pcpu_pagecache *pool, phys_addr_t *addrs,
	     unsigned int count, unsigned int n);
int free_on(int cpu, struct pcpu_pagecache *pool, phys_addr_t *addrs,
	    unsigned int count, unsigned int n);
phys_addr_t alloc1_on(int cpu, struct pcpu_pagecache *pool, unsigned int n);
int free1_on(int cpu, struct pcpu_pagecache *pool, phys_addr_t a,
	     unsigned int n);
int pairs_on(int cpu, struct pcpu_pagecache *pool, unsigned int count,
	     unsigned int n);
int warm_windows(struct pcpu_pagecache *pool);

/* ------------------------------------------------------------------ */
/* Exhaustion: take every page of a pool once, on one CPU             */

struct prun {
	phys_addr_t addr;
	unsigned int n;
};

struct exh {
	struct tpool *tp;
	bool mix;
	struct prun *runs;
	unsigned long nruns;
	unsigned long pages;
	unsigned long fails;	/* allocations that returned 0 */
	int err;
};

long exh_take_fn(void *arg);
long exh_release_fn(void *arg);
bool exh_distinct(struct exh *x);
int exh_init(struct exh *x, struct tpool *tp, bool mix);
void exh_fini(struct exh *x);
int exh_take(struct exh *x, int cpu);
int exh_release(struct exh *x, int cpu);
int exhaust_check(struct tpool *tp, int cpu, bool mix);
int exhaust_warm(struct tpool *tp, int cpu);

/* One free that must be refused: a check. */
bool bad_free(struct tpool *tp, int cpu, phys_addr_t addr,
	      unsigned int n, const char *what, int line);
#define BAD_FREE(tp, cpu, addr, n, what) \
	bad_free(tp, cpu, addr, n, what, __LINE__)

/* ------------------------------------------------------------------ */
/* The tests (tp_api.c, tp_bad.c, tp_percpu.c, tp_context.c,          */
/* tp_remote.c) and the actions (tp_default.c, tp_stress.c)           */

int t_api_single_page(struct tp_fix *f);
int t_api_multi_page(struct tp_fix *f);
int t_api_cross_chunk(struct tp_fix *f);
int t_api_partial_chunk(struct tp_fix *f);
int t_api_exhaustion(struct tp_fix *f);
int t_api_va_write(struct tp_fix *f);
int t_api_multi_pool(struct tp_fix *f);
int t_api_create_errors(struct tp_fix *f);
int t_api_block_sizes(struct tp_fix *f);
int t_api_sliced(struct tp_fix *f);
int t_bad_npages(struct tp_fix *f);
int t_bad_free_outside(struct tp_fix *f);
int t_bad_free_unaligned(struct tp_fix *f);
int t_bad_free_not_allocated(struct tp_fix *f);
int t_bad_free_double_same_cpu(struct tp_fix *f);
int t_bad_free_double_other_cpu(struct tp_fix *f);
int t_bad_free_cached_page(struct tp_fix *f);
int t_bad_free_double_batched(struct tp_fix *f);
int t_percpu_no_lock(struct tp_fix *f);
int t_percpu_counts(struct tp_fix *f);
int t_percpu_drain(struct tp_fix *f);
int t_page_entries(struct tp_fix *f);
int t_stats_atomic(struct tp_fix *f);
int t_context_atomic(struct tp_fix *f);
int t_context_preemptible(struct tp_fix *f);
int t_context_nmi(struct tp_fix *f);
int t_context_nmi_hotplug(struct tp_fix *f);
int t_reclaim_windows(struct tp_fix *f);
int t_reclaim_storm(struct tp_fix *f);
int t_remote_free_batch(struct tp_fix *f);
int t_double_free_race(struct tp_fix *f);
int t_bulk(struct tp_fix *f);
int t_free_near_window(struct tp_fix *f);
int t_remote_free_vs_refill(struct tp_fix *f);

int act_warm_all(const char *arg);
int act_default_alloc(const char *arg);
int default_bad_free(const char *arg);
int act_default_exhaust(const char *arg);
int act_default_exhaust_warm(const char *arg);
int act_numa_local(const char *arg);
int act_fault_create(const char *arg);
int act_stress_start(const char *arg);
int act_stress_stop(const char *arg);
/* tp_heap.c, where the kernel has dma-bufs */
int act_heap_import(const char *arg);
int t_stress(unsigned int secs);
bool stress_is_running(void);
struct pcpu_pagecache *stress_pool_get(void);

int workload_cmd(const char *cmd);
void workload_show_counters(struct seq_file *m);
void tp_stress_exit(void);

#endif /* TEST_PCPU_PAGECACHE_H */

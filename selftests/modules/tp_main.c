// SPDX-License-Identifier: GPL-2.0
/*
 * test_pcpu_pagecache: in-kernel tests of pcpu_pagecache, driven through
 * debugfs.  It uses only the symbols pcpu_pagecache exports.
 *
 * /sys/kernel/debug/test_pcpu_pagecache/
 *   list      the names of the tests, one a line
 *   run       write a test name to run it in the writer's context: the
 *             write returns the byte count if it passed, -errno if not
 *             (-EINVAL: no such test, -EIO: a check failed, details in
 *             dmesg).  Besides the tests it takes these actions:
 *               warm_all      give every online CPU a cache window in
 *                             the default pool (an alloc and a free each)
 *               default_alloc:N   allocate N pages of the default pool
 *                             and free them (-ENOMEM if the alloc fails)
 *               default_bad_free  free 16 pages of the default pool
 *                             twice: passes if the second free is refused
 *               default_exhaust   take every page of the default pool on
 *                             the first online CPU, fail one more
 *                             allocation, give everything back
 *               default_exhaust_warm  the same from the last online CPU
 *                             without a drain, after every online CPU
 *                             took a window: reclaim brings them back
 *               numa_local    on a guest with two NUMA nodes: the first
 *                             online CPU of each node takes every page of
 *                             a 64 MiB pool from the page allocator, then
 *                             of the default pool (a reserved range that
 *                             spans the nodes): its node's pages must all
 *                             come first, then the other node's
 *               fault_create:MODE  create a pool "fault" of 8 MiB from
 *                             the page allocator (MODE 0) or at resv_base
 *                             (MODE 1), allocate and free a page in the
 *                             writer's context, destroy it; the write
 *                             fails with create's error.  For fault
 *                             injection (pcpu_pagecache_fault.sh).
 *               stress_start  start the stress actors on pool "stress"
 *               stress_stop   stop them, free all, check: the verdict
 *               stress:SECS   the stress test for SECS seconds
 *               heap_import:FD:SEED  import the writer's dma-buf FD of
 *                             the default pool's heap, check it
 *                             (tp_heap.c)
 *   workload  write "start" to start one allocating thread per online CPU
 *             on the default pool, "stop" to stop them (-EIO if a check
 *             failed); read it for the counters.
 *   snapshot  the default pool's stats, taken under stop_machine(): exact
 *             while the workload runs, unlike the pool's own stats file.
 *   stress_snapshot  the same for the stress pool, while it exists.
 *
 * The tests create their pools on [resv_base, resv_base + resv_size), a
 * range reserved with memmap= and not used by anything else, and from the
 * page allocator (base 0).  Each test is an entry of tests[] naming the
 * pools it runs on: the runner makes each before the test and checks and
 * destroys it after.  A failed check logs file:line and the test goes on;
 * its verdict is -EIO.
 *
 * The module is several files: this one (debugfs, the runner, the tables
 * of tests and actions), tp_lib.c (checks, snapshots, pools, helpers),
 * tp_api.c, tp_bad.c (bad input), tp_percpu.c, tp_context.c (irq, softirq,
 * preemptible), tp_remote.c (reclaim, remote frees, races, bulk),
 * tp_stress.c (the actors: stress and workload) and tp_default.c (actions
 * on the default pool), sharing test_pcpu_pagecache.h.
 */
#include "test_pcpu_pagecache.h"

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>

#include "ppc_test_cmd.h"

unsigned long long resv_base = 0x34000000;
module_param(resv_base, ullong, 0444);
MODULE_PARM_DESC(resv_base, "physical base of the reserved range the tests create pools on");

unsigned long long resv_size = 0x4000000;
module_param(resv_size, ullong, 0444);
MODULE_PARM_DESC(resv_size, "size of that range (at least 32 MiB)");

unsigned int stress_secs = 60;
module_param(stress_secs, uint, 0644);
MODULE_PARM_DESC(stress_secs, "duration of the stress test in seconds");

/*
 * 0: the actors allocate and free but never read or write a pool page
 * (to tell a fault of the allocator's pages from one of its metadata).
 */
bool stress_touch = true;
module_param(stress_touch, bool, 0644);
MODULE_PARM_DESC(stress_touch, "the actors write and check the pages they hold (default 1)");

unsigned int stress_timer_us = 100;
module_param(stress_timer_us, uint, 0644);
MODULE_PARM_DESC(stress_timer_us, "period of the stress hardirq timers in microseconds");

/* ------------------------------------------------------------------ */
/* The tests                                                          */

/*
 * TEST(name, POOLS(spec...), TWO_CPUS): test "name" is t_name(), run on
 * each pool of its specs; TWO_CPUS if it needs two online CPUs.
 */
#define TEST(n, ...)		{ .name = #n, .fn = t_##n, ##__VA_ARGS__ }
#define POOLS(...)		.pools = { __VA_ARGS__ }
#define TWO_CPUS		.two_cpus = true
#define RESV(n, sz, ...)	TP_RESV_POOL(n, sz, ##__VA_ARGS__)
#define BUDDY(n, sz, ...)	TP_BUDDY_POOL(n, sz, ##__VA_ARGS__)
#define NOCACHE			.flags = PCPU_PAGECACHE_NOCACHE
#define TRACK			.flags = PCPU_PAGECACHE_TRACK

static const struct tp_test tests[] = {
	TEST(api_single_page, POOLS(RESV("t_single", SZ_POOL), BUDDY("t_single", SZ_POOL))),
	/* 8192 pages reserved, or 12 blocks of 1024 pages. */
	TEST(api_multi_page, POOLS(RESV("t_multi", 32UL << 20), BUDDY("t_multi", 48UL << 20))),
	/* Four chunks: runs may cross chunk edges; blocks: they may not. */
	TEST(api_cross_chunk, POOLS(RESV("t_xchunk", 4 * CHUNK_BYTES),
				    BUDDY("t_xchunk", 2 * CHUNK_BYTES))),
	/* A reserved range that ends inside a chunk and inside a window. */
	TEST(api_partial_chunk,
	     POOLS(RESV("t_partial", (PCPU_PAGECACHE_CHUNK_PAGES + 100) * PAGE_SIZE))),
	TEST(api_exhaustion, POOLS(RESV("t_exhaust", SZ_POOL), BUDDY("t_exhaust", SZ_POOL))),
	TEST(api_va_write, POOLS(RESV("t_va", SZ_POOL), BUDDY("t_va", SZ_POOL))),
	/* Three pools of its own, destroyed and made again. */
	TEST(api_multi_pool),
	/* Pools that must not be made, then one that must. */
	TEST(api_create_errors),
	/* Pools from the page allocator of 5 MiB, 65 MiB, 8 MiB + 4 KiB. */
	TEST(api_block_sizes),
	/* 8192 pages: runs past PPC_SLICE_PAGES, a slice a lock hold. */
	TEST(api_sliced, POOLS(RESV("t_sliced", 32UL << 20))),
	TEST(bad_npages, POOLS(RESV("t_npages", SZ_POOL), BUDDY("t_npages", SZ_POOL))),
	/* And a pool from the page allocator, made by the test. */
	TEST(bad_free_outside, POOLS(RESV("t_outside", SZ_POOL, .off = SZ_POOL)), TWO_CPUS),
	TEST(bad_free_unaligned, POOLS(RESV("t_unaligned", SZ_POOL)), TWO_CPUS),
	TEST(bad_free_not_allocated, POOLS(RESV("t_notalloc", SZ_POOL)), TWO_CPUS),
	TEST(bad_free_double_same_cpu, POOLS(RESV("t_double", SZ_POOL)), TWO_CPUS),
	TEST(bad_free_double_other_cpu, POOLS(RESV("t_double_x", SZ_POOL)), TWO_CPUS),
	TEST(bad_free_cached_page, POOLS(RESV("t_cached", SZ_POOL)), TWO_CPUS),
	TEST(bad_free_double_batched, POOLS(RESV("t_dfbatch", SZ_POOL),
					    RESV("t_dfbatch_tr", SZ_POOL, TRACK)), TWO_CPUS),
	TEST(percpu_no_lock, POOLS(RESV("t_nolock", SZ_POOL)), TWO_CPUS),
	TEST(percpu_counts, POOLS(RESV("t_counts", SZ_POOL),
				  RESV("t_counts_nc", SZ_POOL, NOCACHE)), TWO_CPUS),
	TEST(percpu_drain, POOLS(RESV("t_drain", SZ_POOL))),
	TEST(context_atomic, POOLS(RESV("t_context", SZ_POOL)), TWO_CPUS),
	TEST(context_preemptible, POOLS(RESV("t_preempt", SZ_POOL))),
	/* A small pool: the NMIs find it empty, and its lock held, often. */
	TEST(context_nmi, POOLS(RESV("t_nmi", SZ_1M)), TWO_CPUS),
	TEST(context_nmi_hotplug, POOLS(RESV("t_nmi_hp", SZ_1M)), TWO_CPUS),
	/* 256 pages: every free page fits in the CPUs' windows. */
	TEST(reclaim_windows, POOLS(RESV("t_reclaim", SZ_1M)), TWO_CPUS),
	TEST(reclaim_storm, POOLS(RESV("t_storm", SZ_1M)), TWO_CPUS),
	TEST(remote_free_batch, POOLS(RESV("t_remote", SZ_POOL)), TWO_CPUS),
	TEST(double_free_race, POOLS(RESV("t_race", SZ_POOL)), TWO_CPUS),
	TEST(bulk, POOLS(RESV("t_bulk", SZ_POOL)), TWO_CPUS),
	TEST(stats_atomic, POOLS(RESV("t_stats", SZ_POOL))),
	TEST(free_near_window, POOLS(RESV("t_near", SZ_POOL)), TWO_CPUS),
	TEST(page_entries, POOLS(RESV("t_page", SZ_POOL),
				 RESV("t_page_nocache", SZ_POOL, NOCACHE)), TWO_CPUS),
	TEST(remote_free_vs_refill, POOLS(RESV("t_pc_refill", SZ_POOL)), TWO_CPUS),
};

/* The test list ends with "stress", which takes a duration. */
#define STRESS_NAME	"stress"

/*
 * The fixture's teardown: what every test checked by hand at its end.
 * The pool is idle, nothing leaked, and a reserved pool's range is free
 * again once it is destroyed.
 */
static void tp_teardown(struct tpool *tp, const char *what)
{
	struct snap s;

	if (!tp->pool)
		return;
	snap_take(tp->pool, &s);
	IDLE(&s, what);
	tpool_destroy(tp);
	if (tp->base) {
		if (CHECK(request_mem_region(tp->base, tp->size, KBUILD_MODNAME)))
			release_mem_region(tp->base, tp->size);
	}
}

/* Run @t on each of its pools: -EIO if a check failed. */
static int tp_run_test(const struct tp_test *t)
{
	const struct tp_pool_spec *ps;
	struct tp_fix f = {};
	int i, ret;

	tp_run_begin(t->name);
	ret = resv_pick();
	f.cpu = cpumask_first(cpu_online_mask);
	f.other = -1;
	if (!ret && t->two_cpus)
		ret = two_cpus(&f.cpu, &f.other);
	for (i = 0; !ret && i < TP_POOLS; i++) {
		ps = &t->pools[i];
		if (i && ps->where == TP_NONE)
			break;
		if (ps->where != TP_NONE) {
			ret = tpool_create(&f.tp, ps->name,
					   ps->where == TP_RESV ? resv(ps->off) : 0,
					   ps->size, ps->flags);
			if (ret)
				break;
		}
		ret = t->fn(&f);
		tp_teardown(&f.tp, t->name);
	}
	/* A failed check is -EIO, whatever the test returned. */
	if (atomic_read(&tp_run.failed) || (ret && ret != -ENOMEM))
		ret = -EIO;
	return ret;
}

/* ------------------------------------------------------------------ */
/* The run file                                                       */

/* stress:SECS, the stress test; not while stress_start's actors run. */
static int act_stress(const char *arg)
{
	unsigned int secs = stress_secs;
	int ret;

	if (stress_is_running()) {
		pr_err("%s: the stress test is running\n", STRESS_NAME);
		return -EBUSY;
	}
	if (arg && kstrtouint(arg, 0, &secs))
		return -EINVAL;
	pr_info("stress: %u s\n", secs);
	ret = t_stress(secs);
	if (!ret && atomic_read(&tp_run.failed))
		ret = -EIO;
	pr_info("%s: %s\n", STRESS_NAME, ret ? "FAIL" : "pass");
	return ret;
}

/* The actions, besides the tests (see the top of this file). */
static const struct ppc_test_action actions[] = {
	{ "warm_all", act_warm_all },
	{ "fault_create", act_fault_create },
	{ "default_alloc", act_default_alloc },
	{ "default_bad_free", default_bad_free },
	{ "default_exhaust", act_default_exhaust },
	{ "default_exhaust_warm", act_default_exhaust_warm },
	{ "numa_local", act_numa_local },
	{ "stress_start", act_stress_start },
	{ "stress_stop", act_stress_stop },
	{ STRESS_NAME, act_stress },
#if IS_ENABLED(CONFIG_DMA_SHARED_BUFFER)
	{ "heap_import", act_heap_import },
#endif
};

static DEFINE_MUTEX(run_lock);
static struct dentry *tp_dir;

static int run_one(char *cmd, char *arg)
{
	const struct ppc_test_action *a;
	size_t i;
	int ret;

	a = ppc_test_action_find(actions, ARRAY_SIZE(actions), cmd);
	if (a) {
		tp_run_begin(cmd);
		ret = a->fn(arg);
		/* A failed check is -EIO, whatever the action returned. */
		return !ret && atomic_read(&tp_run.failed) ? -EIO : ret;
	}
	if (stress_is_running()) {
		pr_err("%s: the stress test is running\n", cmd);
		return -EBUSY;
	}
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		if (strcmp(cmd, tests[i].name))
			continue;
		pr_info("%s: start\n", cmd);
		ret = tp_run_test(&tests[i]);
		pr_info("%s: %s\n", cmd, ret ? "FAIL" : "pass");
		return ret;
	}
	pr_err("no test named \"%s\"\n", cmd);
	return -EINVAL;
}

static const struct ppc_test_cmd_file run_cmd = { &run_lock, run_one };

static int list_show(struct seq_file *m, void *v)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tests); i++)
		seq_printf(m, "%s\n", tests[i].name);
	seq_puts(m, STRESS_NAME "\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(list);

/* ------------------------------------------------------------------ */
/* The workload and snapshot files                                    */

static DEFINE_MUTEX(workload_lock);

static int workload_show(struct seq_file *m, void *v)
{
	mutex_lock(&workload_lock);
	workload_show_counters(m);
	mutex_unlock(&workload_lock);
	return 0;
}

static int workload_open(struct inode *inode, struct file *file)
{
	return single_open(file, workload_show, inode->i_private);
}

static int workload_run(char *cmd, char *arg)
{
	return arg ? -EINVAL : workload_cmd(cmd);
}

static const struct ppc_test_cmd_file workload_ctl = {
	&workload_lock, workload_run
};

static const struct file_operations workload_fops = {
	.owner = THIS_MODULE,
	.open = workload_open,
	.read = seq_read,
	.write = ppc_test_cmd_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static void snapshot_print(struct seq_file *m, struct pcpu_pagecache *pool)
{
	struct snap s;
	int i;

	snap_take(pool, &s);
	for (i = 0; i < ST_N; i++)
		seq_printf(m, "%s %lld\n", st_names[i], s.v[i]);
}

/*
 * Exact snapshots of the default pool and of the stress pool, for scripts
 * that check the stats invariant while a workload runs: a pool's own stats
 * file is exact only on a quiet pool.
 */
static int snapshot_show(struct seq_file *m, void *v)
{
	struct pcpu_pagecache *pool = pcpu_pagecache_default();

	if (!pool)
		return -ENODEV;
	snapshot_print(m, pool);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(snapshot);

static int stress_snapshot_show(struct seq_file *m, void *v)
{
	int ret = 0;

	/* stress_stop() destroys the pool under run_lock. */
	if (mutex_lock_interruptible(&run_lock))
		return -EINTR;
	if (stress_is_running())
		snapshot_print(m, stress_pool_get());
	else
		ret = -ENODEV;
	mutex_unlock(&run_lock);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(stress_snapshot);

static int __init tp_init(void)
{
	if (!PAGE_ALIGNED(resv_base) || resv_size < 32UL << 20 ||
	    !PAGE_ALIGNED(resv_size)) {
		pr_err("resv_base %#llx / resv_size %#llx: need page-aligned, at least 32 MiB\n",
		       resv_base, resv_size);
		return -EINVAL;
	}
	tp_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("run", 0200, tp_dir, (void *)&run_cmd,
			    &ppc_test_cmd_fops);
	debugfs_create_file("list", 0400, tp_dir, NULL, &list_fops);
	debugfs_create_file("workload", 0600, tp_dir, (void *)&workload_ctl,
			    &workload_fops);
	debugfs_create_file("snapshot", 0400, tp_dir, NULL, &snapshot_fops);
	debugfs_create_file("stress_snapshot", 0400, tp_dir, NULL,
			    &stress_snapshot_fops);
	pr_info("ready: %zu tests, reserved range [%#llx +%#llx]\n",
		ARRAY_SIZE(tests) + 1, resv_base, resv_size);
	return 0;
}

static void __exit tp_exit(void)
{
	debugfs_remove(tp_dir);
	mutex_lock(&workload_lock);
	workload_cmd("stop");
	mutex_unlock(&workload_lock);
	mutex_lock(&run_lock);
	tp_stress_exit();
	mutex_unlock(&run_lock);
}

module_init(tp_init);
module_exit(tp_exit);
MODULE_DESCRIPTION("Tests for pcpu_pagecache");
MODULE_LICENSE("GPL");

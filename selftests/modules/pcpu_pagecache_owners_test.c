// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache_owners_test: a client that holds runs from known call
 * sites, for selftests/pcpu_pagecache_owners.sh to read back from the
 * pool's debugfs "owners" file and from the destroy report.
 *
 * At load it creates a pool "owners_test" of 8 MiB from the page allocator,
 * with per-allocation tracking unless track=0.  Commands written to
 * /sys/kernel/debug/pcpu_pagecache_owners_test/ctl:
 *
 *   leak     ppc_owners_site_a() takes 5 single pages, one call at a time
 *            (the fast path); ppc_owners_site_b() takes 2 runs of 6 pages
 *            with one bulk call and frees the first 2 pages of the first
 *            run (a partial free), so it holds 2 runs, 10 pages.  On the
 *            way, runs taken and freed again, from other call sites: a
 *            20-page run freed in halves (the locked path) and 8 pages
 *            freed on another CPU in hard interrupt context (remote frees
 *            into a batch): none of them may show in "owners".
 *   many     ppc_owners_many_N(), N = 0..69, each take N % 7 + 1 single
 *            pages: 70 callers, more than "owners" lists.
 *   free     gives back everything held.
 *   destroy  destroys the pool with whatever is held: its report must name
 *            the holders (this module is still loaded, so %pS names them).
 *
 * Unloading frees what is held and destroys the pool, if still there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "pcpu_pagecache.h"
#include "ppc_test_cmd.h"

#define POOL_NAME	"owners_test"
#define POOL_SIZE	SZ_8M
#define A_PAGES		5
#define B_RUNS		2
#define B_RUN_PAGES	6
#define B_PARTIAL	2
#define REMOTE_PAGES	8
#define BIG_RUN		20
#define MANY_SITES	70
#define MANY_MAX	(MANY_SITES * 7)

static bool track = true;
module_param(track, bool, 0444);
MODULE_PARM_DESC(track, "Create the pool with PCPU_PAGECACHE_TRACK (default Y)");

static DEFINE_MUTEX(ot_mutex);
static struct pcpu_pagecache *ot_pool;
static struct dentry *ot_dir;

/* What is held, to give back: runs of @npages at @addr. */
struct ot_run {
	phys_addr_t addr;
	unsigned int npages;
};

#define OT_MAX_RUNS	(A_PAGES + B_RUNS + MANY_MAX)
static struct ot_run ot_runs[OT_MAX_RUNS];
static unsigned int ot_nruns;

static void ot_hold(phys_addr_t addr, unsigned int npages)
{
	if (!WARN_ON_ONCE(ot_nruns >= OT_MAX_RUNS))
		ot_runs[ot_nruns++] = (struct ot_run){ addr, npages };
}

static int ot_free_all(void)
{
	int ret = 0;

	while (ot_nruns) {
		ot_nruns--;
		if (pcpu_pagecache_free(ot_pool, ot_runs[ot_nruns].addr,
					ot_runs[ot_nruns].npages))
			ret = -EINVAL;
	}
	return ret;
}

/* One call site: 5 single pages through the fast path. */
static noinline int ppc_owners_site_a(void)
{
	phys_addr_t addr;
	unsigned int i;

	for (i = 0; i < A_PAGES; i++) {
		addr = pcpu_pagecache_alloc(ot_pool, 1);
		if (!addr)
			return -ENOMEM;
		ot_hold(addr, 1);
	}
	return 0;
}

/* One call site: 2 runs of 6 pages in one bulk call, then a partial free. */
static noinline int ppc_owners_site_b(void)
{
	phys_addr_t addrs[B_RUNS];
	unsigned int i;

	if (pcpu_pagecache_alloc_bulk(ot_pool, B_RUN_PAGES, B_RUNS, addrs) !=
	    B_RUNS)
		return -ENOMEM;
	/* A range may be freed in parts: the rest stays held, as one run. */
	if (pcpu_pagecache_free(ot_pool, addrs[0], B_PARTIAL))
		return -EINVAL;
	ot_hold(addrs[0] + B_PARTIAL * PAGE_SIZE, B_RUN_PAGES - B_PARTIAL);
	for (i = 1; i < B_RUNS; i++)
		ot_hold(addrs[i], B_RUN_PAGES);
	return 0;
}

struct ot_remote {
	phys_addr_t addrs[REMOTE_PAGES];
	int ret;
};

/* Hard interrupt context on another CPU: frees outside its window. */
static void ot_remote_free(void *arg)
{
	struct ot_remote *r = arg;
	unsigned int i;

	for (i = 0; i < REMOTE_PAGES; i++)
		if (pcpu_pagecache_free(ot_pool, r->addrs[i], 1))
			r->ret = -EINVAL;
}

/* Runs taken and given back at once: they must leave no trace. */
static noinline int ppc_owners_transient(void)
{
	struct ot_remote r = { .ret = 0 };
	phys_addr_t big;
	unsigned int i, cpu, other = nr_cpu_ids;

	big = pcpu_pagecache_alloc(ot_pool, BIG_RUN);
	if (!big)
		return -ENOMEM;
	if (pcpu_pagecache_free(ot_pool, big + BIG_RUN / 2 * PAGE_SIZE,
				BIG_RUN / 2) ||
	    pcpu_pagecache_free(ot_pool, big, BIG_RUN / 2))
		return -EINVAL;

	for (i = 0; i < REMOTE_PAGES; i++) {
		r.addrs[i] = pcpu_pagecache_alloc(ot_pool, 1);
		if (!r.addrs[i])
			return -ENOMEM;
	}
	cpus_read_lock();
	cpu = get_cpu();
	for_each_online_cpu(other)
		if (other != cpu)
			break;
	put_cpu();
	if (other < nr_cpu_ids)
		smp_call_function_single(other, ot_remote_free, &r, 1);
	else
		ot_remote_free(&r);
	cpus_read_unlock();
	return r.ret;
}

/* 70 call sites, each its own function: site N takes N % 7 + 1 pages. */
#define OT_SITE(n)							\
static noinline int ppc_owners_many_##n(void)				\
{									\
	phys_addr_t addr;						\
	unsigned int i;							\
									\
	for (i = 0; i < (n) % 7 + 1; i++) {				\
		addr = pcpu_pagecache_alloc(ot_pool, 1);		\
		if (!addr)						\
			return -ENOMEM;					\
		ot_hold(addr, 1);					\
	}								\
	return 0;							\
}

OT_SITE(0)
OT_SITE(1)
OT_SITE(2)
OT_SITE(3)
OT_SITE(4)
OT_SITE(5)
OT_SITE(6)
OT_SITE(7)
OT_SITE(8)
OT_SITE(9)
OT_SITE(10)
OT_SITE(11)
OT_SITE(12)
OT_SITE(13)
OT_SITE(14)
OT_SITE(15)
OT_SITE(16)
OT_SITE(17)
OT_SITE(18)
OT_SITE(19)
OT_SITE(20)
OT_SITE(21)
OT_SITE(22)
OT_SITE(23)
OT_SITE(24)
OT_SITE(25)
OT_SITE(26)
OT_SITE(27)
OT_SITE(28)
OT_SITE(29)
OT_SITE(30)
OT_SITE(31)
OT_SITE(32)
OT_SITE(33)
OT_SITE(34)
OT_SITE(35)
OT_SITE(36)
OT_SITE(37)
OT_SITE(38)
OT_SITE(39)
OT_SITE(40)
OT_SITE(41)
OT_SITE(42)
OT_SITE(43)
OT_SITE(44)
OT_SITE(45)
OT_SITE(46)
OT_SITE(47)
OT_SITE(48)
OT_SITE(49)
OT_SITE(50)
OT_SITE(51)
OT_SITE(52)
OT_SITE(53)
OT_SITE(54)
OT_SITE(55)
OT_SITE(56)
OT_SITE(57)
OT_SITE(58)
OT_SITE(59)
OT_SITE(60)
OT_SITE(61)
OT_SITE(62)
OT_SITE(63)
OT_SITE(64)
OT_SITE(65)
OT_SITE(66)
OT_SITE(67)
OT_SITE(68)
OT_SITE(69)

static int (*const ot_many[MANY_SITES])(void) = {
	ppc_owners_many_0, ppc_owners_many_1, ppc_owners_many_2,
	ppc_owners_many_3, ppc_owners_many_4, ppc_owners_many_5,
	ppc_owners_many_6, ppc_owners_many_7, ppc_owners_many_8,
	ppc_owners_many_9, ppc_owners_many_10, ppc_owners_many_11,
	ppc_owners_many_12, ppc_owners_many_13, ppc_owners_many_14,
	ppc_owners_many_15, ppc_owners_many_16, ppc_owners_many_17,
	ppc_owners_many_18, ppc_owners_many_19, ppc_owners_many_20,
	ppc_owners_many_21, ppc_owners_many_22, ppc_owners_many_23,
	ppc_owners_many_24, ppc_owners_many_25, ppc_owners_many_26,
	ppc_owners_many_27, ppc_owners_many_28, ppc_owners_many_29,
	ppc_owners_many_30, ppc_owners_many_31, ppc_owners_many_32,
	ppc_owners_many_33, ppc_owners_many_34, ppc_owners_many_35,
	ppc_owners_many_36, ppc_owners_many_37, ppc_owners_many_38,
	ppc_owners_many_39, ppc_owners_many_40, ppc_owners_many_41,
	ppc_owners_many_42, ppc_owners_many_43, ppc_owners_many_44,
	ppc_owners_many_45, ppc_owners_many_46, ppc_owners_many_47,
	ppc_owners_many_48, ppc_owners_many_49, ppc_owners_many_50,
	ppc_owners_many_51, ppc_owners_many_52, ppc_owners_many_53,
	ppc_owners_many_54, ppc_owners_many_55, ppc_owners_many_56,
	ppc_owners_many_57, ppc_owners_many_58, ppc_owners_many_59,
	ppc_owners_many_60, ppc_owners_many_61, ppc_owners_many_62,
	ppc_owners_many_63, ppc_owners_many_64, ppc_owners_many_65,
	ppc_owners_many_66, ppc_owners_many_67, ppc_owners_many_68,
	ppc_owners_many_69,
};

static int ot_leak(const char *arg)
{
	return ppc_owners_transient() ?: ppc_owners_site_a() ?:
	       ppc_owners_site_b();
}

static int ot_many_all(const char *arg)
{
	unsigned int i;
	int ret;

	for (i = 0; i < MANY_SITES; i++) {
		ret = ot_many[i]();
		if (ret)
			return ret;
	}
	return 0;
}

static int ot_free(const char *arg)
{
	return ot_free_all();
}

static int ot_destroy(const char *arg)
{
	pcpu_pagecache_destroy(ot_pool);
	ot_pool = NULL;
	ot_nruns = 0;
	return 0;
}

static const struct ppc_test_action ot_actions[] = {
	{ "leak", ot_leak },
	{ "many", ot_many_all },
	{ "free", ot_free },
	{ "destroy", ot_destroy },
};

static int ot_command(char *cmd, char *arg)
{
	const struct ppc_test_action *a;
	int ret;

	a = ppc_test_action_find(ot_actions, ARRAY_SIZE(ot_actions), cmd);
	if (!ot_pool)
		ret = -ENODEV;
	else
		ret = a && !arg ? a->fn(arg) : -EINVAL;
	if (ret)
		pr_err_ratelimited("command '%s' failed: %d\n", cmd, ret);
	return ret;
}

static const struct ppc_test_cmd_file ot_ctl = { &ot_mutex, ot_command };

static int __init ot_init(void)
{
	ot_pool = pcpu_pagecache_create_flags(POOL_NAME, 0, POOL_SIZE,
					      track ? PCPU_PAGECACHE_TRACK : 0);
	if (IS_ERR(ot_pool)) {
		pr_err("cannot create pool %s: %ld\n", POOL_NAME,
		       PTR_ERR(ot_pool));
		return PTR_ERR(ot_pool);
	}
	ot_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("ctl", 0200, ot_dir, (void *)&ot_ctl,
			    &ppc_test_cmd_fops);
	return 0;
}

static void __exit ot_exit(void)
{
	debugfs_remove_recursive(ot_dir);
	if (ot_pool) {
		ot_free_all();
		pcpu_pagecache_destroy(ot_pool);
	}
}

module_init(ot_init);
module_exit(ot_exit);
MODULE_DESCRIPTION("pcpu_pagecache test client for the owners tracking");
MODULE_LICENSE("GPL");

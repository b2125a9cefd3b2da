// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache: what a pool shows, its counters summed
 * (pcpu_pagecache_get_stats()) and its debugfs directory: stats, cpus,
 * chunks, drain (and owners, from ppc_owners.c).  The format is in
 * Documentation/pcpu_pagecache.rst.  Apart from the rest because it only
 * reads a pool, without stopping its CPUs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/uaccess.h>

#include "ppc_internal.h"

struct dentry *ppc_debugfs_root;

/* The lines of debugfs <pool>/stats: every field, named once. */
static const struct ppc_stat_row {
	const char *name;
	size_t off;
} ppc_stat_rows[] = {
#define PPC_STAT_ROW(n)	{ #n, offsetof(struct pcpu_pagecache_stats, n) },
	PCPU_PAGECACHE_STATS(PPC_STAT_ROW)
#undef PPC_STAT_ROW
};

/* A field not in the list, or listed twice, changes the sum. */
static_assert(sizeof(struct pcpu_pagecache_stats) ==
	      ARRAY_SIZE(ppc_stat_rows) * sizeof(u64));

/* ---- Statistics ---------------------------------------------------------- */

/**
 * pcpu_pagecache_get_stats - sum a pool's counters
 * @pool: the pool
 * @st: where to put them
 *
 * Reads every possible CPU's counters without stopping or locking anyone.
 * When the pool is quiet, pages_total == pages_free + pages_cached +
 * pages_inuse + pages_leaked holds exactly; while other CPUs allocate and
 * free, the sum is off by at most the pages that moved during the read
 * (Documentation/pcpu_pagecache.rst).  Never sleeps; any context but NMI.
 */
void pcpu_pagecache_get_stats(struct pcpu_pagecache *pool,
			      struct pcpu_pagecache_stats *st)
{
	struct ppc_cache *c;
	unsigned int cpu;
	u64 held;

	memset(st, 0, sizeof(*st));
	st->pages_total = pool->npages;
	st->pages_free = READ_ONCE(pool->bits.nfree);
	for_each_possible_cpu(cpu) {
		c = ppc_cache_of(pool, cpu);
		held = hweight_long(READ_ONCE(c->free)) +
		       hweight_long(atomic_long_read(&c->pending)) +
		       READ_ONCE(c->batch_pages);
		if (cpu_online(cpu))
			st->pages_cached += held;
		else
			st->pages_leaked += held;
		st->pages_inuse += local_read(&c->out_adjust) +
				   local_read(&c->alloc_fast) -
				   local_read(&c->free_fast);
		st->alloc_fast += local_read(&c->alloc_fast);
		st->alloc_slow += READ_ONCE(c->alloc_slow);
		st->alloc_fail += READ_ONCE(c->alloc_fail);
		st->free_fast += local_read(&c->free_fast);
		st->free_slow += READ_ONCE(c->free_slow);
		st->free_remote += READ_ONCE(c->free_remote);
		st->refills += READ_ONCE(c->refills);
		st->flushes += READ_ONCE(c->flushes);
		st->reclaims += READ_ONCE(c->reclaims);
		st->reclaim_joins += READ_ONCE(c->reclaim_joins);
		st->lock_acquisitions += READ_ONCE(c->lock_acquisitions);
		st->invalid_frees += READ_ONCE(c->invalid_frees);
	}
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_get_stats);

/* ---- debugfs ------------------------------------------------------------- */

static int ppc_stats_show(struct seq_file *m, void *v)
{
	struct pcpu_pagecache_stats st;

	const struct ppc_stat_row *r;

	pcpu_pagecache_get_stats(m->private, &st);
	/* Only pages_inuse is signed; no other count comes near 2^63. */
	for (r = ppc_stat_rows; r < ppc_stat_rows + ARRAY_SIZE(ppc_stat_rows); r++)
		seq_printf(m, "%s %lld\n", r->name,
			   *(const s64 *)((const char *)&st + r->off));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ppc_stats);

/* A live view: each row is read without stopping its CPU. */
static int ppc_cpus_show(struct seq_file *m, void *v)
{
	struct pcpu_pagecache *pool = m->private;
	struct ppc_cache *c;
	unsigned int cpu;

	seq_puts(m, "cpu online window_base cached alloc_fast alloc_slow free_fast free_slow node\n");
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(pool->cache, cpu);
		seq_printf(m, "%u %d 0x%llx %lu %lu %lu %lu %lu %d\n", cpu,
			   cpu_online(cpu),
			   READ_ONCE(c->span) ? (u64)READ_ONCE(c->base) : 0ULL,
			   hweight_long(READ_ONCE(c->free)),
			   local_read(&c->alloc_fast), READ_ONCE(c->alloc_slow),
			   local_read(&c->free_fast), READ_ONCE(c->free_slow),
			   cpu_to_node(cpu));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ppc_cpus);

/* Rows in the chunks file: a big pool shows groups of chunks. */
#define PPC_CHUNK_ROWS		1024

/*
 * One row per chunk, or per group of chunks in a pool of more than
 * PPC_CHUNK_ROWS chunks, so that the file stays small at any size: free is
 * then the group's sum, longest its longest run inside one chunk, and node
 * its chunks' node, or -1 if they are on several.  The lock is taken for
 * one chunk at a time.
 */
static int ppc_chunks_show(struct seq_file *m, void *v)
{
	struct pcpu_pagecache *pool = m->private;
	unsigned long per = DIV_ROUND_UP(pool->nchunks, PPC_CHUNK_ROWS);
	unsigned long i, j, free;
	unsigned int nfree, longest, lmax;
	unsigned long flags;
	int nid;

	seq_puts(m, "chunk base free longest node\n");
	for (i = 0; i < pool->nchunks; i += per) {
		free = 0;
		lmax = 0;
		nid = ppc_chunk_nid(pool, i);
		for (j = i; j < min(i + per, pool->nchunks); j++) {
			flags = ppc_lock(pool);
			ppc_bits_chunk_info(&pool->bits, j, &nfree, &longest);
			ppc_unlock(pool, flags);
			free += nfree;
			lmax = max(lmax, longest);
			if (ppc_chunk_nid(pool, j) != nid)
				nid = NUMA_NO_NODE;
		}
		seq_printf(m, "%lu 0x%llx %lu %u %d\n", i,
			   (u64)ppc_chunk_base(pool, i), free, lmax, nid);
		cond_resched();
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ppc_chunks);

static ssize_t ppc_drain_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	unsigned int val;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 0, &val);
	if (ret)
		return ret;
	if (val != 1)
		return -EINVAL;
	pcpu_pagecache_drain(file->private_data);
	return count;
}

static const struct file_operations ppc_drain_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = ppc_drain_write,
	.llseek = default_llseek,
};

void ppc_debugfs_create(struct pcpu_pagecache *pool)
{
	pool->dir = debugfs_create_dir(pool->name, ppc_debugfs_root);
	debugfs_create_file("stats", 0400, pool->dir, pool, &ppc_stats_fops);
	debugfs_create_file("cpus", 0400, pool->dir, pool, &ppc_cpus_fops);
	debugfs_create_file("chunks", 0400, pool->dir, pool, &ppc_chunks_fops);
	debugfs_create_file("drain", 0200, pool->dir, pool, &ppc_drain_fops);
	ppc_owners_debugfs(pool->dir, pool->owners);
}

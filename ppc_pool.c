// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache: a pool's life, from pcpu_pagecache_create_flags() to
 * pcpu_pagecache_destroy(): its memory (a reserved range claimed and
 * mapped, or 4 MiB blocks from the page allocator, sorted by address),
 * the pages' addresses in it, the NUMA node of each of its chunks (its
 * extents), and the list of pools.  Apart from the rest because it runs in
 * process context only, and may sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "ppc_internal.h"
#include "pcpu_pagecache_trace.h"

/* Pools up to 64 TiB: what the summary tree is sized for. */
#define PPC_MAX_BYTES		((u64)PPC_MAX_PAGES << PAGE_SHIFT)

/* The pools, by name, under ppc_pools_mutex; the one made at module init. */
DEFINE_MUTEX(ppc_pools_mutex);
LIST_HEAD(ppc_pools);
struct pcpu_pagecache *ppc_default_pool;

/* ---- Pages and addresses: a page's block, a page's kernel address -------- */

/* The index in @pool->blocks of the block that holds @addr, or -1. */
static long ppc_block_find(struct pcpu_pagecache *pool, unsigned long lo,
			   unsigned long hi, phys_addr_t addr)
{
	unsigned long mid;
	struct ppc_block *bl;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		bl = &pool->blocks[mid];
		if (addr < bl->phys)
			hi = mid;
		else if (addr - bl->phys >= (phys_addr_t)PPC_CHUNK_PAGES << PAGE_SHIFT)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

/*
 * ppc_page_of() in a pool of blocks: a binary search of the full blocks,
 * which are sorted by address, then the partial last one, which is not
 * (see ppc_blocks_alloc()).
 */
bool ppc_block_page_of(struct pcpu_pagecache *pool, phys_addr_t addr,
		       unsigned long *idx)
{
	unsigned long nfull = pool->npages / PPC_CHUNK_PAGES;
	long b = ppc_block_find(pool, 0, nfull, addr);

	if (b < 0 && nfull < pool->nchunks)
		b = ppc_block_find(pool, nfull, pool->nchunks, addr);
	if (b < 0)
		return false;
	*idx = b * PPC_CHUNK_PAGES + ((addr - pool->blocks[b].phys) >> PAGE_SHIFT);
	return *idx < pool->npages;
}

/**
 * pcpu_pagecache_va - kernel address of a pool page
 * @pool: the pool
 * @addr: a physical address inside the pool
 *
 * Runs of a reserved range are virtually contiguous too; for a pool from
 * the page allocator, so are runs inside one 4 MiB chunk, which is all a
 * run can be.  Never sleeps; any context.
 *
 * Return: the kernel virtual address of @addr, or NULL outside the pool.
 */
void *pcpu_pagecache_va(struct pcpu_pagecache *pool, phys_addr_t addr)
{
	unsigned long idx;

	if (!ppc_page_of(pool, addr, &idx))
		return NULL;
	if (!pool->blocks)
		return pool->va + (addr - pool->base);
	return pool->blocks[idx / PPC_CHUNK_PAGES].va +
	       (addr - pool->blocks[idx / PPC_CHUNK_PAGES].phys);
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_va);

/* ---- Creating and destroying pools --------------------------------------- */

static int ppc_region_claim(struct pcpu_pagecache *pool)
{
	phys_addr_t b = pool->base;
	size_t sz = pool->size;

	if (region_intersects(b, sz, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) !=
	    REGION_DISJOINT) {
		pr_err_ratelimited("%s: [%pa, +%zu) is System RAM; reserve it with memmap=\n",
				   pool->name, &b, sz);
		return -EBUSY;
	}
	pool->res_name = kasprintf(GFP_KERNEL, "pcpu_pagecache:%s", pool->name);
	if (!pool->res_name)
		return -ENOMEM;
	if (!request_mem_region(b, sz, pool->res_name)) {
		pr_err_ratelimited("%s: [%pa, +%zu) is already claimed\n",
				   pool->name, &b, sz);
		goto err_name;
	}
	/*
	 * The mapping uses 2 MiB (and 1 GiB) pages where the physical range
	 * is aligned to them; 4 KiB pages for a large range cost 2 MiB of
	 * page tables per GiB and a TLB miss per page.
	 */
	if (!IS_ALIGNED(b, SZ_2M))
		pr_warn("%s: base %pa is not 2 MiB aligned: mapped with 4 KiB pages\n",
			pool->name, &b);
	pool->va = memremap(b, sz, MEMREMAP_WB);
	if (!pool->va) {
		pr_err_ratelimited("%s: cannot map [%pa, +%zu)\n", pool->name,
				   &b, sz);
		release_mem_region(b, sz);
		kfree(pool->res_name);
		pool->res_name = NULL;
		return -ENOMEM;
	}
	return 0;

err_name:
	kfree(pool->res_name);
	pool->res_name = NULL;
	return -EBUSY;
}

static int ppc_block_cmp(const void *a, const void *b)
{
	const struct ppc_block *x = a, *y = b;

	return x->phys < y->phys ? -1 : x->phys > y->phys;
}

static unsigned long ppc_block_pages(struct pcpu_pagecache *pool,
				     unsigned long i)
{
	return min_t(unsigned long, PPC_CHUNK_PAGES,
		     pool->npages - i * PPC_CHUNK_PAGES);
}

/* All the blocks, or those with no page in use (at destroy). */
static void ppc_blocks_free(struct pcpu_pagecache *pool, bool all)
{
	unsigned int nfree, longest;
	unsigned long i;

	for (i = 0; i < pool->nchunks; i++) {
		if (!pool->blocks[i].va)
			continue;
		if (!all) {
			ppc_bits_chunk_info(&pool->bits, i, &nfree, &longest);
			if (nfree != ppc_block_pages(pool, i))
				continue;
		}
		free_pages_exact(pool->blocks[i].va,
				 ppc_block_pages(pool, i) << PAGE_SHIFT);
		cond_resched();
	}
}

/*
 * @size bytes (4 MiB at most: one allocation of the buddy allocator) on
 * node @nid, or on any node if @nid has none; split into pages, as
 * alloc_pages_exact() does, so that free_pages_exact() frees them.
 */
static void *ppc_block_alloc_node(int nid, size_t size)
{
	unsigned int order = get_order(size);
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	struct page *page;
	unsigned long i;

	page = alloc_pages_node(nid, gfp | __GFP_THISNODE, order);
	if (!page)
		return alloc_pages_exact(size, gfp);
	split_page(page, order);
	for (i = size >> PAGE_SHIFT; i < 1UL << order; i++)
		__free_page(page + i);
	return page_address(page);
}

/*
 * 4 MiB blocks from the page allocator, taken in turn from each node with
 * memory, so that the CPUs of every node find pages of their own; sorted
 * by address so that a page's block is a binary search away, which makes
 * each node's blocks one or a few runs of chunks.  A last, partial block
 * stays last, wherever its address: the bitmap's pages past npages are in
 * the last chunk.  ppc_block_page_of() looks it up on its own.
 */
static int ppc_blocks_alloc(struct pcpu_pagecache *pool)
{
	unsigned long i, nfull = pool->npages / PPC_CHUNK_PAGES;
	int nid = first_node(node_states[N_MEMORY]);
	struct ppc_block *bl;

	pool->blocks = kvcalloc(pool->nchunks, sizeof(*pool->blocks),
				GFP_KERNEL);
	if (!pool->blocks)
		return -ENOMEM;
	for (i = 0; i < pool->nchunks; i++) {
		bl = &pool->blocks[i];
		bl->va = ppc_block_alloc_node(nid, ppc_block_pages(pool, i) <<
					      PAGE_SHIFT);
		nid = next_node_in(nid, node_states[N_MEMORY]);
		if (!bl->va) {
			ppc_blocks_free(pool, true);
			kvfree(pool->blocks);
			pool->blocks = NULL;
			return -ENOMEM;
		}
		bl->phys = virt_to_phys(bl->va);
		cond_resched();
	}
	sort(pool->blocks, nfull, sizeof(*bl), ppc_block_cmp, NULL);
	return 0;
}

/*
 * The node of a reserved range's page: the firmware's memory ranges know
 * it (a range kept from the kernel has no struct page of its own, or one
 * whose node says little); failing that, its struct page's.
 */
static int ppc_phys_nid(phys_addr_t addr)
{
	int nid = phys_to_target_node(addr);

	if (nid == NUMA_NO_NODE && pfn_valid(PHYS_PFN(addr)))
		nid = page_to_nid(pfn_to_page(PHYS_PFN(addr)));
	return nid;
}

/* The node of @chunk's first page. */
static int ppc_chunk_probe_nid(struct pcpu_pagecache *pool,
			       unsigned long chunk)
{
	if (pool->blocks)
		return page_to_nid(virt_to_page(pool->blocks[chunk].va));
	return ppc_phys_nid(ppc_chunk_base(pool, chunk));
}

/*
 * The runs of chunks on one node, into @e if it is not NULL; their number.
 * May sleep.
 */
static unsigned long ppc_nodes_scan(struct pcpu_pagecache *pool,
				    struct ppc_node_ext *e)
{
	unsigned long c, n = 0;
	int nid, prev = NUMA_NO_NODE;

	for (c = 0; c < pool->nchunks; c++) {
		nid = ppc_chunk_probe_nid(pool, c);
		if (!c || nid != prev) {
			if (e) {
				e[n].first = c;
				e[n].nid = nid;
			}
			n++;
		}
		if (e)
			e[n - 1].end = c + 1;
		prev = nid;
		if (!(c % 4096))
			cond_resched();
	}
	return n;
}

/* Find each chunk's node: two scans, to count the runs, then to keep them. */
static int ppc_nodes_init(struct pcpu_pagecache *pool)
{
	unsigned long n = ppc_nodes_scan(pool, NULL), i;

	pool->exts = kvmalloc_array(n, sizeof(*pool->exts), GFP_KERNEL);
	if (!pool->exts)
		return -ENOMEM;
	pool->nexts = ppc_nodes_scan(pool, pool->exts);
	nodes_clear(pool->nodes);
	for (i = 0; i < n; i++)
		if (pool->exts[i].nid != NUMA_NO_NODE)
			node_set(pool->exts[i].nid, pool->nodes);
	pool->numa = nodes_weight(pool->nodes) > 1;
	return 0;
}

/* The node of @chunk, from the pool's extents. */
int ppc_chunk_nid(struct pcpu_pagecache *pool, unsigned long chunk)
{
	unsigned long lo = 0, hi = pool->nexts, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (chunk < pool->exts[mid].first)
			hi = mid;
		else if (chunk >= pool->exts[mid].end)
			lo = mid + 1;
		else
			return pool->exts[mid].nid;
	}
	return NUMA_NO_NODE;
}

/* The node of the pool's page @idx, for ppc_owners_init(). */
static int ppc_page_nid(void *ctx, unsigned long idx)
{
	return ppc_chunk_nid(ctx, idx / PPC_CHUNK_PAGES);
}

static int ppc_check_args(const char *name, phys_addr_t b, size_t sz,
			  unsigned int flags)
{
	/* It names a debugfs directory: "." and ".." would not be one. */
	if (!name || !*name || strlen(name) >= PPC_NAME_MAX || strchr(name, '/') ||
	    !strcmp(name, ".") || !strcmp(name, "..")) {
		pr_err_ratelimited("pool name must be 1 to %d characters without '/', not . or ..\n",
				   PPC_NAME_MAX - 1);
		return -EINVAL;
	}
	if (!sz || !PAGE_ALIGNED(sz) || !PAGE_ALIGNED(b)) {
		pr_err_ratelimited("%s: base %pa and size %zu must be page aligned, size not 0\n",
				   name, &b, sz);
		return -EINVAL;
	}
	if (b + sz - 1 < b || sz > PPC_MAX_BYTES) {
		pr_err_ratelimited("%s: [%pa, +%zu) is too large\n", name, &b, sz);
		return -EINVAL;
	}
	if (flags & ~(PCPU_PAGECACHE_NOCACHE | PCPU_PAGECACHE_TRACK)) {
		pr_err_ratelimited("%s: unknown flags %#x\n", name, flags);
		return -EINVAL;
	}
	return 0;
}

static struct pcpu_pagecache *ppc_find_mutexed(const char *name)
{
	struct pcpu_pagecache *pool;

	list_for_each_entry(pool, &ppc_pools, list)
		if (!strcmp(pool->name, name))
			return pool;
	return NULL;
}

/**
 * pcpu_pagecache_create_flags - create a pool, with flags
 * @name: a unique name for the pool and its debugfs directory
 * @base: physical base of a range reserved with memmap=, or 0 to take the
 *	pool from the page allocator in 4 MiB blocks
 * @size: bytes in the pool, page aligned
 * @flags: 0, or any of %PCPU_PAGECACHE_NOCACHE to send every operation to
 *	the locked bitmaps (for comparison) and %PCPU_PAGECACHE_TRACK to record
 *	who holds each run (debugfs owners, 16 bytes a page)
 *
 * A reserved range is claimed with request_mem_region() (it then shows in
 * /proc/iomem) and mapped with memremap(); it must not be System RAM.
 * The module's "track" parameter tracks every pool, as the flag does.
 * Process context; may sleep.
 *
 * Return: the pool, or an ERR_PTR(): -EINVAL for a bad name, alignment or
 * size, -EEXIST for a name in use, -EBUSY for a range that is System RAM or
 * already claimed, -ENOMEM.
 */
struct pcpu_pagecache *pcpu_pagecache_create_flags(const char *name,
						   phys_addr_t base,
						   size_t size,
						   unsigned int flags)
{
	struct pcpu_pagecache *pool;
	unsigned int i;
	int ret;

	ret = ppc_check_args(name, base, size, flags);
	if (ret)
		return ERR_PTR(ret);

	mutex_lock(&ppc_pools_mutex);
	if (ppc_find_mutexed(name)) {
		pr_err_ratelimited("%s: a pool with this name exists\n", name);
		ret = -EEXIST;
		goto err_unlock;
	}
	ret = -ENOMEM;
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		goto err_unlock;
	strscpy(pool->name, name, sizeof(pool->name));
	raw_spin_lock_init(&pool->lock);
	seqcount_raw_spinlock_init(&pool->owners_seq, &pool->lock);
	pool->base = base;
	pool->size = size;
	pool->npages = size >> PAGE_SHIFT;
	pool->nchunks = DIV_ROUND_UP(pool->npages, PPC_CHUNK_PAGES);
	pool->max_run = base ? pool->npages :
			min_t(unsigned long, pool->npages, PPC_CHUNK_PAGES);
	pool->fast_limit = flags & PCPU_PAGECACHE_NOCACHE ? 0 :
			   PCPU_PAGECACHE_FAST_PAGES - 1;

	pool->cache = alloc_percpu(struct ppc_cache);
	if (!pool->cache)
		goto err_pool;
	for_each_possible_cpu(i) {
		ppc_cache_of(pool, i)->pool = pool;
		INIT_CSD(&ppc_cache_of(pool, i)->reclaim_csd, ppc_reclaim_ipi,
			 ppc_cache_of(pool, i));
		init_irq_work(&ppc_cache_of(pool, i)->note.work, ppc_note_work);
	}
	if (ppc_bits_init(&pool->bits, pool->npages, base != 0))
		goto err_cache;
	pool->batched = kvcalloc(BITS_TO_LONGS(pool->npages),
				 sizeof(*pool->batched), GFP_KERNEL);
	if (!pool->batched)
		goto err_bits;

	ret = base ? ppc_region_claim(pool) : ppc_blocks_alloc(pool);
	if (ret)
		goto err_batched;
	ret = ppc_nodes_init(pool);
	if (ret)
		goto err_memory;
	/* After the nodes: each page of records goes on its pages' node. */
	ret = ppc_owners_init(&pool->owners, pool->npages,
			      flags & PCPU_PAGECACHE_TRACK, ppc_page_nid, pool);
	if (ret)
		goto err_nodes;
	/* See ppc_section_tracked(). */
	pool->nest_idle = pool->owners ? 0 : -1;
	for_each_possible_cpu(i)
		local_set(&ppc_cache_of(pool, i)->nest, pool->nest_idle);

	ret = cpuhp_state_add_instance_nocalls(ppc_prepare_state,
					       &pool->prepare_node);
	if (ret)
		goto err_hotplug;
	ret = cpuhp_state_add_instance_nocalls(ppc_online_state,
					       &pool->online_node);
	if (ret)
		goto err_prepare;

	ppc_debugfs_create(pool);
	list_add(&pool->list, &ppc_pools);
	mutex_unlock(&ppc_pools_mutex);
	return pool;

err_prepare:
	cpuhp_state_remove_instance_nocalls(ppc_prepare_state,
					    &pool->prepare_node);
err_hotplug:
	pr_err_ratelimited("%s: cannot register for CPU hotplug: %d\n", name, ret);
	ppc_owners_fini(pool->owners);
err_nodes:
	kvfree(pool->exts);
err_memory:
	if (base) {
		memunmap(pool->va);
		release_mem_region(base, size);
		kfree(pool->res_name);
	} else {
		ppc_blocks_free(pool, true);
		kvfree(pool->blocks);
	}
err_batched:
	kvfree(pool->batched);
err_bits:
	ppc_bits_fini(&pool->bits);
err_cache:
	free_percpu(pool->cache);
err_pool:
	kfree(pool);
err_unlock:
	mutex_unlock(&ppc_pools_mutex);
	/* Every other error has been reported where it was found. */
	if (ret == -ENOMEM)
		pr_err_ratelimited("%s: out of memory for %zu bytes\n", name,
				   size);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_create_flags);

/**
 * pcpu_pagecache_create - create a pool with per-CPU caches
 * @name: a unique name for the pool and its debugfs directory
 * @base: physical base of a range reserved with memmap=, or 0 to take the
 *	pool from the page allocator in 4 MiB blocks
 * @size: bytes in the pool, page aligned
 *
 * Same as pcpu_pagecache_create_flags() with no flags.
 *
 * Return: the pool, or an ERR_PTR().
 */
struct pcpu_pagecache *pcpu_pagecache_create(const char *name, phys_addr_t base,
					     size_t size)
{
	return pcpu_pagecache_create_flags(name, base, size, 0);
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_create);

/**
 * pcpu_pagecache_destroy - destroy a pool
 * @pool: the pool, or NULL
 *
 * The caller must have stopped using the pool.  Pages still handed out are
 * reported, with the callers holding the most of them if the pool tracks,
 * and their memory is kept (the blocks that hold them, or the whole
 * reserved range stays claimed and mapped), since a caller may still write
 * to it.  Process context; may sleep.
 */
void pcpu_pagecache_destroy(struct pcpu_pagecache *pool)
{
	unsigned long inuse;
	unsigned int cpu;

	if (IS_ERR_OR_NULL(pool))
		return;

	/* The name stays taken until its debugfs directory is gone. */
	mutex_lock(&ppc_pools_mutex);
	debugfs_remove_recursive(pool->dir);
	list_del(&pool->list);
	if (pool == ppc_default_pool)
		ppc_default_pool = NULL;
	mutex_unlock(&ppc_pools_mutex);

	/*
	 * The _nocalls variants: removing with calls would run the dead
	 * callback for CPUs that are still online.  Nobody uses the pool now,
	 * so every cache can be flushed from here.
	 */
	cpuhp_state_remove_instance_nocalls(ppc_online_state, &pool->online_node);
	cpuhp_state_remove_instance_nocalls(ppc_prepare_state,
					    &pool->prepare_node);
	/* Reclaim IPIs still on their way, then those still running. */
	for_each_possible_cpu(cpu)
		while (atomic_read(&ppc_cache_of(pool, cpu)->ipi_queued))
			cpu_relax();
	synchronize_rcu();
	for_each_possible_cpu(cpu)
		ppc_flush_stopped_cpu(pool, cpu, PPC_FLUSH_DESTROY);
	/* The warnings of those flushes, and of any before them. */
	for_each_possible_cpu(cpu)
		irq_work_sync(&ppc_cache_of(pool, cpu)->note.work);

	inuse = pool->npages - pool->bits.nfree;
	if (inuse) {
		pr_warn("%s: %lu pages still in use at destroy; keeping their memory\n",
			pool->name, inuse);
		ppc_owners_report(pool->owners, pool->name);
	}

	if (!pool->base) {
		ppc_blocks_free(pool, false);
		kvfree(pool->blocks);
	} else if (!inuse) {
		memunmap(pool->va);
		release_mem_region(pool->base, pool->size);
		kfree(pool->res_name);
	}
	ppc_owners_fini(pool->owners);
	kvfree(pool->exts);
	kvfree(pool->batched);
	ppc_bits_fini(&pool->bits);
	free_percpu(pool->cache);
	kfree(pool);
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_destroy);

/**
 * pcpu_pagecache_default - the pool made from the module parameters
 *
 * Return: the default pool; it lives until the module is unloaded, which
 * cannot happen while a module that calls this is loaded.
 */
struct pcpu_pagecache *pcpu_pagecache_default(void)
{
	return ppc_default_pool;
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_default);

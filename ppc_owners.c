// SPDX-License-Identifier: GPL-2.0
/*
 * Who holds the pages: per-allocation tracking for pcpu_pagecache, the
 * page_owner of a region allocator.  Off by default; a pool created with
 * PCPU_PAGECACHE_TRACK, or any pool while the module's "track" parameter
 * is set, keeps one record per page:
 *
 *   caller  the return address of the pcpu_pagecache_alloc*() call that
 *           handed the page out; 0 while the page is not handed out
 *   stamp   jiffies at that call (low 32 bits)
 *   cpu     the CPU it ran on
 *   head    the page is the first of an outstanding run: a run's length
 *           is its head and the pages up to the next head or free page
 *
 * 16 bytes a page of 4 KiB (0.4%), allocated at create time only when the
 * pool tracks, as one array indexed by page of the pool.  On a machine with
 * more than one node of memory, each page of that array is allocated on
 * the node of the pool pages it describes (256 of them, 1 MiB: never two
 * chunks of different nodes) and the pages are vmap()ed into the array, so
 * that the CPUs of a node write records in their own node's memory, as they
 * use pages of their own node first.  The records are written with
 * WRITE_ONCE() and no lock, by the caller that owns the pages at that
 * moment: the allocation after it got them, the free before it gives them
 * back.  So two writers never meet on a record, every context that may
 * allocate (hard interrupts too) may write, and nothing waits.  Readers
 * (debugfs "owners", the destroy report) read the records without a lock
 * either: a record being written may be seen half old, half new, which
 * moves one run between two lines of one read, no more.
 *
 * Lock-free also means unordered against the pool's own state: the only
 * ordering that matters is that a free's clearing comes before the pages
 * can be handed out again, so that the next owner's record is never wiped
 * (see ppc_owners_free()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include "ppc_owners.h"

static bool param_track;
module_param_named(track, param_track, bool, 0444);
MODULE_PARM_DESC(track, "Record who holds each run in every pool created (debugfs owners; costs 16 bytes a page and time on every alloc and free)");

/* Callers listed one a line in "owners"; the rest share one line. */
#define PPC_OWNERS_SHOWN	64
/* Callers listed at destroy. */
#define PPC_OWNERS_REPORTED	8
/*
 * Callers told apart by one read: a hash table of 1024 entries
 * filled to three quarters (32 KiB for one read).  Callers past that are counted together; a
 * kernel with more than 768 distinct call sites holding pages of one pool
 * is not a case worth more memory.
 */
#define PPC_OWNERS_HASH_BITS	10
#define PPC_OWNERS_HASH		BIT(PPC_OWNERS_HASH_BITS)
#define PPC_OWNERS_DISTINCT	(PPC_OWNERS_HASH * 3 / 4)
/* Records read between two chances to reschedule. */
#define PPC_OWNERS_STRIDE	1024
/* The seq_file buffer: every line in one go, so show() runs once. */
#define PPC_OWNERS_BUF		(32 * 1024)

struct ppc_owner {
	unsigned long caller;
	u32 stamp;
	u16 cpu;
	u16 head;
};

/* Pool pages whose records fill one page of records. */
#define PPC_OWNERS_PER_PAGE	(PAGE_SIZE / sizeof(struct ppc_owner))

struct ppc_owners {
	unsigned long npages;
	struct ppc_owner *rec;
	/* The pages vmap()ed into rec, to free them; NULL: rec is kvfree()d. */
	struct page **pages;
	unsigned long npg;
};

/* One caller's sum over the records. */
struct ppc_owner_sum {
	unsigned long caller;
	unsigned long pages;
	unsigned long runs;
	u32 oldest;			/* age in jiffies of its oldest run */
	u16 cpu;			/* where the oldest run was taken */
};

struct ppc_owners_tally {
	struct ppc_owner_sum ent[PPC_OWNERS_HASH];
	unsigned long ncallers;		/* entries of ent[] in use */
	bool overflow;			/* more callers than PPC_OWNERS_DISTINCT */
	struct ppc_owner_sum rest;	/* callers past PPC_OWNERS_DISTINCT */
	struct ppc_owner_sum total;
};

/*
 * kvzalloc(), which refuses more than INT_MAX bytes (the records of a
 * 512 GiB pool), or __vmalloc().
 */
static void *ppc_owners_zalloc(size_t bytes)
{
	if (bytes <= INT_MAX)
		return kvzalloc(bytes, GFP_KERNEL | __GFP_NOWARN);
	return __vmalloc(bytes, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
}

/* The first @n of @pages, then the array. */
static void ppc_owners_free_pages(struct page **pages, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		__free_page(pages[i]);
		cond_resched();
	}
	kvfree(pages);
}

/*
 * The records of @o->npages pool pages, a page of records at a time on the
 * node that @nid_of gives for the first pool page it describes, mapped
 * into one array.  A node with no page free leaves its share to another
 * (no __GFP_THISNODE): records far away beat a pool that cannot track.
 * NULL without memory.
 */
static struct ppc_owner *ppc_owners_vmap(struct ppc_owners *o,
					 int (*nid_of)(void *ctx,
						       unsigned long idx),
					 void *ctx)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;
	unsigned long n = DIV_ROUND_UP(o->npages, PPC_OWNERS_PER_PAGE), i;
	struct page **pages;
	void *rec;
	int nid;

	pages = ppc_owners_zalloc(array_size(n, sizeof(*pages)));
	if (!pages)
		return NULL;
	for (i = 0; i < n; i++) {
		nid = nid_of ? nid_of(ctx, i * PPC_OWNERS_PER_PAGE) :
			       NUMA_NO_NODE;
		/* A node with no memory has nothing to give, maybe no pgdat. */
		if (nid != NUMA_NO_NODE && !node_state(nid, N_MEMORY))
			nid = NUMA_NO_NODE;
		pages[i] = alloc_pages_node(nid, gfp, 0);
		if (!pages[i])
			goto err;
		cond_resched();
	}
	rec = vmap(pages, n, VM_MAP, PAGE_KERNEL);
	if (!rec)
		goto err;
	o->pages = pages;
	o->npg = n;
	return rec;

err:
	ppc_owners_free_pages(pages, i);
	return NULL;
}

/**
 * ppc_owners_init - the records of a new pool, if it tracks
 * @op: where to store them; NULL when the pool does not track
 * @npages: pages of the pool
 * @asked: the pool was created with %PCPU_PAGECACHE_TRACK
 * @nid_of: the node of a page of the pool, by its index (%NUMA_NO_NODE if
 *	unknown), or NULL if no page's node is known
 * @ctx: passed to @nid_of
 *
 * A pool tracks when @asked or when the "track" parameter is set.  The
 * records are 16 bytes a page (4 GiB for a TiB of pool): when they cannot
 * be had, a pool that asked fails, with the records' size in the log; one
 * that tracks only because of the parameter is made untracked, with a
 * warning, rather than failing its creator (or the module's load).  When
 * more than one node has memory, each page of records is placed on the
 * node of the pool pages it describes, as @nid_of tells (a node's CPUs
 * take its pages first, so they write the records in their own node's
 * memory); otherwise they are one kvzalloc().
 * Process context; may sleep.
 *
 * Return: 0, or -ENOMEM.
 */
int ppc_owners_init(struct ppc_owners **op, unsigned long npages, bool asked,
		    int (*nid_of)(void *ctx, unsigned long idx), void *ctx)
{
	struct ppc_owners *o;
	size_t bytes;

	*op = NULL;
	if (!asked && !param_track)
		return 0;
	o = kzalloc(sizeof(*o), GFP_KERNEL);
	if (!o)
		return -ENOMEM;
	o->npages = npages;
	bytes = array_size(npages, sizeof(*o->rec));
	o->rec = num_node_state(N_MEMORY) > 1 ?
		 ppc_owners_vmap(o, nid_of, ctx) : ppc_owners_zalloc(bytes);
	if (!o->rec) {
		kfree(o);
		pr_warn("no memory for %zu bytes of owner records (%lu pages)%s\n",
			bytes, npages, asked ? "" : ": this pool does not track");
		return asked ? -ENOMEM : 0;
	}
	*op = o;
	return 0;
}

/**
 * ppc_owners_fini - free a pool's records
 * @o: the records, or NULL
 *
 * Nobody may use the pool any more.  Process context; may sleep.
 */
void ppc_owners_fini(struct ppc_owners *o)
{
	if (!o)
		return;
	if (o->pages) {
		vunmap(o->rec);
		ppc_owners_free_pages(o->pages, o->npg);
	} else {
		kvfree(o->rec);
	}
	kfree(o);
}

/**
 * ppc_owners_alloc - record a run handed out
 * @o: the pool's records
 * @idx: the run's first page in the pool
 * @npages: its length
 * @caller: the return address of the allocation call
 *
 * Called once the run is the caller's, before it is returned: nobody else
 * can free it meanwhile.  Never sleeps, takes no lock; any context but NMI.
 * Costs a 16-byte store a page.
 */
void ppc_owners_alloc(struct ppc_owners *o, unsigned long idx,
		      unsigned long npages, unsigned long caller)
{
	struct ppc_owner *r = &o->rec[idx];
	u32 now = jiffies;
	u16 cpu = min_t(unsigned int, raw_smp_processor_id(), U16_MAX);
	unsigned long i;

	for (i = 0; i < npages; i++, r++) {
		WRITE_ONCE(r->stamp, now);
		WRITE_ONCE(r->cpu, cpu);
		WRITE_ONCE(r->head, i == 0);
		WRITE_ONCE(r->caller, caller);
	}
}

/**
 * ppc_owners_free - forget the pages of a free, before it gives them back
 * @o: the pool's records
 * @idx: the first page freed
 * @npages: how many
 *
 * A range may be freed in parts: what is left of a run freed at its start
 * is a run of its own, headed by its first page.  The records are cleared
 * only if every page of the range is recorded as handed out: a free that
 * names a page that is not (a double free, a wrong length) is going to be
 * refused, and must not wipe the records of the pages around it that are.
 * Never sleeps, takes no lock; any context but NMI.
 */
void ppc_owners_free(struct ppc_owners *o, unsigned long idx,
		     unsigned long npages)
{
	struct ppc_owner *r = &o->rec[idx];
	unsigned long i;

	for (i = 0; i < npages; i++)
		if (!READ_ONCE(r[i].caller))
			return;
	for (i = 0; i < npages; i++) {
		WRITE_ONCE(r[i].caller, 0);
		WRITE_ONCE(r[i].head, 0);
	}
	/*
	 * The page after the range, if handed out, is the head of its run
	 * now: the rest of this one, or the next run, a head already.
	 */
	if (idx + npages < o->npages && READ_ONCE(r[npages].caller))
		WRITE_ONCE(r[npages].head, 1);
	/*
	 * The pages go back after this, through the pool lock or an atomic
	 * OR that the next owner reads with a full barrier; this orders the
	 * clearing before them on any architecture, not only on x86.
	 */
	smp_wmb();
}

/* The entry of @caller in @t, or the shared one once the table is full. */
static struct ppc_owner_sum *ppc_tally_entry(struct ppc_owners_tally *t,
					     unsigned long caller)
{
	unsigned int h = hash_long(caller, PPC_OWNERS_HASH_BITS);
	struct ppc_owner_sum *e;

	for (;; h = (h + 1) & (PPC_OWNERS_HASH - 1)) {
		e = &t->ent[h];
		if (e->caller == caller)
			return e;
		if (e->caller)
			continue;
		/* A free entry: the table is never full, so the probe ends. */
		if (t->ncallers >= PPC_OWNERS_DISTINCT) {
			t->overflow = true;
			return &t->rest;
		}
		t->ncallers++;
		e->caller = caller;
		return e;
	}
}

static void ppc_sum_add(struct ppc_owner_sum *e, unsigned long pages,
			unsigned long runs, u32 age, u16 cpu)
{
	e->pages += pages;
	e->runs += runs;
	if (runs && age >= e->oldest) {
		e->oldest = age;
		e->cpu = cpu;
	}
}

/* Sum every record by caller: no lock, a chance to reschedule often. */
static void ppc_tally(struct ppc_owners *o, struct ppc_owners_tally *t)
{
	u32 now = jiffies, age = 0;
	struct ppc_owner *r = o->rec;
	unsigned long i, caller;
	bool head;
	u16 cpu = 0;

	for (i = 0; i < o->npages; i++, r++) {
		if (i % PPC_OWNERS_STRIDE == PPC_OWNERS_STRIDE - 1)
			cond_resched();
		caller = READ_ONCE(r->caller);
		if (!caller)
			continue;
		head = READ_ONCE(r->head);
		if (head) {
			age = now - READ_ONCE(r->stamp);
			cpu = READ_ONCE(r->cpu);
		}
		ppc_sum_add(ppc_tally_entry(t, caller), 1, head, age, cpu);
		ppc_sum_add(&t->total, 1, head, age, cpu);
	}
}

/* Most pages first; then most runs, then the oldest. */
static int ppc_sum_cmp(const void *a, const void *b)
{
	const struct ppc_owner_sum *x = a, *y = b;

	if (x->pages != y->pages)
		return x->pages > y->pages ? -1 : 1;
	if (x->runs != y->runs)
		return x->runs > y->runs ? -1 : 1;
	return x->oldest > y->oldest ? -1 : x->oldest < y->oldest;
}

/*
 * Tally @o, then pack the callers at the start of t->ent, sorted; those
 * past @shown go into t->rest.  Process context: it sleeps.  NULL without
 * memory.
 */
static struct ppc_owners_tally *ppc_tally_sorted(struct ppc_owners *o,
						 unsigned long shown)
{
	struct ppc_owners_tally *t = kvzalloc(sizeof(*t), GFP_KERNEL);
	unsigned long i, n = 0;

	if (!t)
		return NULL;
	ppc_tally(o, t);
	for (i = 0; i < PPC_OWNERS_HASH; i++)
		if (t->ent[i].caller)
			t->ent[n++] = t->ent[i];
	sort(t->ent, n, sizeof(t->ent[0]), ppc_sum_cmp, NULL);
	for (i = shown; i < n; i++)
		ppc_sum_add(&t->rest, t->ent[i].pages, t->ent[i].runs,
			    t->ent[i].oldest, t->ent[i].cpu);
	return t;
}

/*
 * The pages of @o's records on each node, into @count (nr_node_ids
 * entries): where they are, read from the page tables, not where they were
 * asked for, since a node short of memory gives its share to another.
 */
static void ppc_owners_nodes(struct ppc_owners *o, unsigned long *count)
{
	unsigned long p = (unsigned long)o->rec & PAGE_MASK;
	unsigned long end = (unsigned long)(o->rec + o->npages);
	struct page *pg;

	for (; p < end; p += PAGE_SIZE) {
		pg = is_vmalloc_addr((void *)p) ? vmalloc_to_page((void *)p) :
						  virt_to_page((void *)p);
		count[page_to_nid(pg)]++;
		cond_resched();
	}
}

/* The records' size and their pages' nodes: "0=768 1=256". */
static int ppc_owners_show_nodes(struct seq_file *m, struct ppc_owners *o)
{
	unsigned long *count = kcalloc(nr_node_ids, sizeof(*count), GFP_KERNEL);
	int nid;

	if (!count)
		return -ENOMEM;
	ppc_owners_nodes(o, count);
	seq_printf(m, "records %zu bytes, pages by node:",
		   o->npages * sizeof(*o->rec));
	for (nid = 0; nid < nr_node_ids; nid++)
		if (count[nid])
			seq_printf(m, " %d=%lu", nid, count[nid]);
	seq_putc(m, '\n');
	kfree(count);
	return 0;
}

/*
 * debugfs "owners": the records' size and their pages' nodes, a header,
 * one line per caller, most pages first, at most PPC_OWNERS_SHOWN of them,
 * one line for the other callers if any, and the total:
 *
 *   records 4194304 bytes, pages by node: 0=768 1=256
 *   pages count oldest_ms cpu caller
 *   10 2 1530 1 site_b+0x4a/0xa0 [client]
 *   ...
 *   6 6 1530 - (6 other callers)
 *   280 280 1530 - total (70 callers)
 *
 * count is the number of outstanding runs; oldest_ms the age of the oldest
 * one and cpu where it was taken.  Readable while the pool is busy; its
 * size is bounded whatever the number of runs.
 */
static int ppc_owners_show(struct seq_file *m, void *v)
{
	struct ppc_owners *o = m->private;
	struct ppc_owners_tally *t;
	unsigned long i, shown;

	if (!o) {
		seq_puts(m, "tracking off\n");
		return 0;
	}
	if (ppc_owners_show_nodes(m, o))
		return -ENOMEM;
	t = ppc_tally_sorted(o, PPC_OWNERS_SHOWN);
	if (!t)
		return -ENOMEM;
	shown = min_t(unsigned long, t->ncallers, PPC_OWNERS_SHOWN);
	seq_puts(m, "pages count oldest_ms cpu caller\n");
	for (i = 0; i < shown; i++)
		seq_printf(m, "%lu %lu %u %u %pS\n", t->ent[i].pages,
			   t->ent[i].runs, jiffies_to_msecs(t->ent[i].oldest),
			   t->ent[i].cpu, (void *)t->ent[i].caller);
	if (t->rest.pages)
		seq_printf(m, "%lu %lu %u - (%lu%s other callers)\n",
			   t->rest.pages, t->rest.runs,
			   jiffies_to_msecs(t->rest.oldest),
			   t->ncallers - shown, t->overflow ? "+" : "");
	seq_printf(m, "%lu %lu %u - total (%lu%s callers)\n", t->total.pages,
		   t->total.runs, jiffies_to_msecs(t->total.oldest),
		   t->ncallers, t->overflow ? "+" : "");
	kvfree(t);
	return 0;
}

static int ppc_owners_open(struct inode *inode, struct file *file)
{
	return single_open_size(file, ppc_owners_show, inode->i_private,
				PPC_OWNERS_BUF);
}

static const struct file_operations ppc_owners_fops = {
	.owner = THIS_MODULE,
	.open = ppc_owners_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

/**
 * ppc_owners_debugfs - create a pool's "owners" file
 * @dir: the pool's debugfs directory
 * @o: its records, or NULL: the file then says "tracking off"
 *
 * Root only (0400), like the pool's other files.
 */
void ppc_owners_debugfs(struct dentry *dir, struct ppc_owners *o)
{
	debugfs_create_file("owners", 0400, dir, o, &ppc_owners_fops);
}

/**
 * ppc_owners_report - list in the kernel log who holds a pool's pages
 * @o: the pool's records, or NULL (nothing is printed)
 * @name: the pool's name
 *
 * For pcpu_pagecache_destroy() when pages are still in use: the callers
 * holding the most pages, at most %PPC_OWNERS_REPORTED lines, and one for
 * the others.  A caller in a module that is gone prints as an address.
 * Process context; may sleep.
 */
void ppc_owners_report(struct ppc_owners *o, const char *name)
{
	struct ppc_owners_tally *t;
	unsigned long i, shown;

	if (!o)
		return;
	t = ppc_tally_sorted(o, PPC_OWNERS_REPORTED);
	if (!t) {
		pr_warn("%s: no memory to list who holds the pages\n", name);
		return;
	}
	shown = min_t(unsigned long, t->ncallers, PPC_OWNERS_REPORTED);
	for (i = 0; i < shown; i++)
		pr_warn("%s: %lu pages in %lu runs (oldest %u ms, CPU %u) held by %pS\n",
			name, t->ent[i].pages, t->ent[i].runs,
			jiffies_to_msecs(t->ent[i].oldest), t->ent[i].cpu,
			(void *)t->ent[i].caller);
	if (t->rest.pages)
		pr_warn("%s: %lu more pages in %lu runs held by %lu%s other callers\n",
			name, t->rest.pages, t->rest.runs, t->ncallers - shown,
			t->overflow ? "+" : "");
	kvfree(t);
}

/*
 * Unit tests of the records and the tally, only when the build asks for
 * them (PCPU_PAGECACHE_KUNIT_TEST=y, see Kbuild).
 */
#ifdef PCPU_PAGECACHE_KUNIT_TEST
#include "ppc_owners_kunit.c"
#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the owners records (ppc_owners.c): runs freed in parts,
 * frees that must clear nothing, the tally's order and bounds, and the
 * records mapped a page at a time.
 * Included at the end of ppc_owners.c when the module is built with
 * PCPU_PAGECACHE_KUNIT_TEST=y (Kbuild), so they can reach its static
 * functions; the records here belong to no pool, and the callers are
 * made-up addresses.  selftests/pcpu_pagecache_owners.sh tests the same
 * through real pools.
 */
#if !IS_ENABLED(CONFIG_KUNIT)
#error "PCPU_PAGECACHE_KUNIT_TEST=y needs a kernel built with CONFIG_KUNIT"
#endif

#include <kunit/test.h>

#define PPC_OT_X	0x1000UL
#define PPC_OT_Y	0x2000UL

static struct ppc_owners *ppc_ot_make(struct kunit *test, unsigned long npages)
{
	struct ppc_owners *o;

	KUNIT_ASSERT_EQ(test, ppc_owners_init(&o, npages, true, NULL, NULL), 0);
	KUNIT_ASSERT_NOT_NULL(test, o);
	return o;
}

/* @caller's line of a fresh tally: its pages and runs. */
static void ppc_ot_expect(struct kunit *test, struct ppc_owners *o,
			  unsigned long caller, unsigned long pages,
			  unsigned long runs)
{
	struct ppc_owners_tally *t = ppc_tally_sorted(o, PPC_OWNERS_SHOWN);
	unsigned long i, got_pages = 0, got_runs = 0;

	KUNIT_ASSERT_NOT_NULL(test, t);
	for (i = 0; i < t->ncallers; i++)
		if (t->ent[i].caller == caller) {
			got_pages = t->ent[i].pages;
			got_runs = t->ent[i].runs;
		}
	KUNIT_EXPECT_EQ(test, got_pages, pages);
	KUNIT_EXPECT_EQ(test, got_runs, runs);
	kvfree(t);
}

/* A run freed at its start, then in its middle: what is left, as runs. */
static void ppc_ot_partial_free(struct kunit *test)
{
	struct ppc_owners *o = ppc_ot_make(test, 128);

	ppc_owners_alloc(o, 10, 8, PPC_OT_X);		/* 10..17 */
	ppc_ot_expect(test, o, PPC_OT_X, 8, 1);
	ppc_owners_free(o, 10, 2);			/* 12..17 left */
	KUNIT_EXPECT_EQ(test, o->rec[12].head, 1);
	ppc_ot_expect(test, o, PPC_OT_X, 6, 1);
	ppc_owners_free(o, 14, 2);			/* 12..13, 16..17 */
	KUNIT_EXPECT_EQ(test, o->rec[16].head, 1);
	ppc_ot_expect(test, o, PPC_OT_X, 4, 2);
	/* The run after a freed one keeps its own head. */
	ppc_owners_alloc(o, 18, 3, PPC_OT_Y);
	ppc_owners_free(o, 16, 2);
	ppc_ot_expect(test, o, PPC_OT_X, 2, 1);
	ppc_ot_expect(test, o, PPC_OT_Y, 3, 1);
	/* The last page of the pool: no record past it is touched. */
	ppc_owners_alloc(o, 120, 8, PPC_OT_Y);
	ppc_owners_free(o, 120, 8);
	ppc_ot_expect(test, o, PPC_OT_Y, 3, 1);
	ppc_owners_fini(o);
}

/* A free naming a page that is not out is refused: it clears nothing. */
static void ppc_ot_bad_free(struct kunit *test)
{
	struct ppc_owners *o = ppc_ot_make(test, 64);

	ppc_owners_alloc(o, 20, 3, PPC_OT_X);		/* 20..22 */
	ppc_owners_free(o, 20, 4);			/* 23 is not out */
	ppc_ot_expect(test, o, PPC_OT_X, 3, 1);
	ppc_owners_free(o, 19, 2);			/* 19 is not out */
	ppc_ot_expect(test, o, PPC_OT_X, 3, 1);
	ppc_owners_free(o, 20, 3);
	ppc_ot_expect(test, o, PPC_OT_X, 0, 0);
	ppc_owners_free(o, 20, 3);			/* twice: nothing */
	ppc_ot_expect(test, o, PPC_OT_X, 0, 0);
	ppc_owners_fini(o);
}

/*
 * More callers than one read tells apart: the biggest comes first, the
 * table holds PPC_OWNERS_DISTINCT, the rest are summed, and nothing is
 * lost from the total.
 */
static void ppc_ot_tally_bounds(struct kunit *test)
{
	const unsigned long ncallers = PPC_OWNERS_DISTINCT + 32;
	struct ppc_owners *o = ppc_ot_make(test, ncallers + 5);
	struct ppc_owners_tally *t;
	unsigned long i, shown = 0;

	/* The biggest holder, found first by the walk, then 1 page each. */
	ppc_owners_alloc(o, 0, 5, PPC_OT_X);
	for (i = 0; i < ncallers; i++)
		ppc_owners_alloc(o, 5 + i, 1, PPC_OT_Y + 16 * i);
	t = ppc_tally_sorted(o, PPC_OWNERS_SHOWN);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_EQ(test, t->ent[0].caller, PPC_OT_X);
	KUNIT_EXPECT_EQ(test, t->ent[0].pages, 5UL);
	KUNIT_EXPECT_EQ(test, t->ncallers, PPC_OWNERS_DISTINCT);
	KUNIT_EXPECT_TRUE(test, t->overflow);
	KUNIT_EXPECT_EQ(test, t->total.pages, ncallers + 5);
	KUNIT_EXPECT_EQ(test, t->total.runs, ncallers + 1);
	for (i = 0; i < PPC_OWNERS_SHOWN; i++)
		shown += t->ent[i].pages;
	KUNIT_EXPECT_EQ(test, shown + t->rest.pages, t->total.pages);
	for (i = 1; i < t->ncallers; i++)
		KUNIT_EXPECT_GE(test, t->ent[i - 1].pages, t->ent[i].pages);
	kvfree(t);
	ppc_owners_fini(o);
}

/*
 * Records that cannot be had (16 TiB of them, for 2^40 pages): a pool
 * that asked to track fails; one that tracks only because of the "track"
 * parameter goes untracked instead of failing.
 */
static void ppc_ot_no_memory(struct kunit *test)
{
	bool param = param_track;
	struct ppc_owners *o = NULL;

	KUNIT_EXPECT_EQ(test, ppc_owners_init(&o, 1UL << 40, true, NULL, NULL), -ENOMEM);
	KUNIT_EXPECT_PTR_EQ(test, o, NULL);
	param_track = true;
	KUNIT_EXPECT_EQ(test, ppc_owners_init(&o, 1UL << 40, false, NULL, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, o, NULL);
	param_track = param;
}

#define PPC_OT_VMAP_PAGES	4

/* What ppc_owners_vmap() asked of ppc_ot_nid_of(). */
struct ppc_ot_nids {
	unsigned long idx[PPC_OT_VMAP_PAGES];
	unsigned int calls;
	int nid;
};

static int ppc_ot_nid_of(void *ctx, unsigned long idx)
{
	struct ppc_ot_nids *n = ctx;

	if (n->calls < PPC_OT_VMAP_PAGES)
		n->idx[n->calls] = idx;
	n->calls++;
	return n->nid;
}

/*
 * The records a page at a time, as on a NUMA machine (this kernel may have
 * one node, the one asked for): one question per page of records, about
 * its first pool page; zeroed; one array across the pages; all freed.
 */
static void ppc_ot_vmap(struct kunit *test)
{
	const unsigned long npages = (PPC_OT_VMAP_PAGES - 1) *
				     PPC_OWNERS_PER_PAGE + 5;
	struct ppc_ot_nids n = { .nid = first_node(node_states[N_MEMORY]) };
	struct ppc_owners *o = kzalloc(sizeof(*o), GFP_KERNEL);
	struct ppc_owner *rec;
	unsigned long *count, i;

	KUNIT_ASSERT_NOT_NULL(test, o);
	o->npages = npages;
	rec = ppc_owners_vmap(o, ppc_ot_nid_of, &n);
	if (!rec) {
		kfree(o);
		KUNIT_FAIL(test, "no memory for %lu pages of records",
			   (unsigned long)PPC_OT_VMAP_PAGES);
		return;
	}
	o->rec = rec;
	KUNIT_EXPECT_EQ(test, o->npg, (unsigned long)PPC_OT_VMAP_PAGES);
	KUNIT_EXPECT_EQ(test, n.calls, (unsigned int)PPC_OT_VMAP_PAGES);
	for (i = 0; i < PPC_OT_VMAP_PAGES; i++)
		KUNIT_EXPECT_EQ(test, n.idx[i], i * PPC_OWNERS_PER_PAGE);
	KUNIT_EXPECT_NULL(test, memchr_inv(o->rec, 0,
					   npages * sizeof(*o->rec)));
	/* A run across the first two pages of records. */
	ppc_owners_alloc(o, PPC_OWNERS_PER_PAGE - 4, 8, PPC_OT_X);
	ppc_ot_expect(test, o, PPC_OT_X, 8, 1);
	ppc_owners_free(o, PPC_OWNERS_PER_PAGE - 4, 8);
	ppc_ot_expect(test, o, PPC_OT_X, 0, 0);
	count = kcalloc(nr_node_ids, sizeof(*count), GFP_KERNEL);
	if (count) {
		ppc_owners_nodes(o, count);
		KUNIT_EXPECT_EQ(test, count[n.nid],
				(unsigned long)PPC_OT_VMAP_PAGES);
		kfree(count);
	}
	ppc_owners_fini(o);
}

static struct kunit_case ppc_owners_kunit_cases[] = {
	KUNIT_CASE(ppc_ot_partial_free),
	KUNIT_CASE(ppc_ot_bad_free),
	KUNIT_CASE(ppc_ot_tally_bounds),
	KUNIT_CASE(ppc_ot_no_memory),
	KUNIT_CASE(ppc_ot_vmap),
	{}
};

static struct kunit_suite ppc_owners_kunit_suite = {
	.name = "pcpu_pagecache_owners",
	.test_cases = ppc_owners_kunit_cases,
};

kunit_test_suite(ppc_owners_kunit_suite);

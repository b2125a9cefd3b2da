/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who holds the pages of a pool: per-allocation tracking, off by default
 * (PCPU_PAGECACHE_TRACK, or the module's "track" parameter).  The pool's
 * code knows only these calls; ppc_owners.c keeps the records, reads them
 * back in debugfs "owners" and lists the holders when a pool is destroyed
 * with pages in use.  The records are indexed by page of the pool.
 */
#ifndef _PPC_OWNERS_H
#define _PPC_OWNERS_H

#include <linux/types.h>

struct dentry;
struct ppc_owners;

int ppc_owners_init(struct ppc_owners **op, unsigned long npages, bool asked,
		    int (*nid_of)(void *ctx, unsigned long idx), void *ctx);
void ppc_owners_fini(struct ppc_owners *o);
void ppc_owners_alloc(struct ppc_owners *o, unsigned long idx,
		      unsigned long npages, unsigned long caller);
void ppc_owners_free(struct ppc_owners *o, unsigned long idx,
		     unsigned long npages);
void ppc_owners_debugfs(struct dentry *dir, struct ppc_owners *o);
void ppc_owners_report(struct ppc_owners *o, const char *name);

#endif /* _PPC_OWNERS_H */

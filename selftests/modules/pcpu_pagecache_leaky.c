// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache_leaky: a client of the default pcpu_pagecache pool that
 * keeps its pages when it is unloaded.
 *
 * At load it takes @pages single pages and one 3-page run from the default
 * pool; at unload it deliberately frees none of them, so the pool's
 * pages_inuse shows exactly @pages + 3 more pages, and destroying the pool
 * (unloading pcpu_pagecache) has to report them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "pcpu_pagecache.h"

#define LEAKY_RUN_PAGES	3

static unsigned int pages = 7;
module_param(pages, uint, 0444);
MODULE_PARM_DESC(pages, "single pages to take and leak (default 7)");

static unsigned int leaked_pages;

static int __init leaky_init(void)
{
	struct pcpu_pagecache *pool = pcpu_pagecache_default();
	phys_addr_t *addrs;
	phys_addr_t run;
	unsigned int i;

	if (!pool) {
		pr_err("no default pool\n");
		return -ENODEV;
	}
	addrs = kcalloc(pages ?: 1, sizeof(*addrs), GFP_KERNEL);
	if (!addrs)
		return -ENOMEM;

	for (i = 0; i < pages; i++) {
		addrs[i] = pcpu_pagecache_alloc(pool, 1);
		if (!addrs[i])
			goto fail;
	}
	run = pcpu_pagecache_alloc(pool, LEAKY_RUN_PAGES);
	if (!run)
		goto fail;

	leaked_pages = pages + LEAKY_RUN_PAGES;
	pr_info("holding %u pages (%u single pages, a %u-page run at %pa)\n",
		leaked_pages, pages, LEAKY_RUN_PAGES, &run);
	kfree(addrs);
	return 0;

fail:
	pr_err("allocation %u of %u failed\n", i + 1, pages + 1);
	while (i--)
		pcpu_pagecache_free(pool, addrs[i], 1);
	kfree(addrs);
	return -ENOMEM;
}

static void __exit leaky_exit(void)
{
	pr_info("unloading: leaks %u pages on purpose\n", leaked_pages);
}

module_init(leaky_init);
module_exit(leaky_exit);
MODULE_DESCRIPTION("pcpu_pagecache test client that leaks its pages");
MODULE_LICENSE("GPL");

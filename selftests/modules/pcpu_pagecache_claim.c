// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache_claim: claims a physical range with request_mem_region()
 * while it is loaded, so a test can check that pcpu_pagecache refuses a
 * range that someone else already owns.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static unsigned long long base = 0x30000000;
module_param(base, ullong, 0444);
MODULE_PARM_DESC(base, "physical base of the range to claim");

static unsigned long long size = 0x400000;
module_param(size, ullong, 0444);
MODULE_PARM_DESC(size, "size in bytes of the range to claim");

static struct resource *claimed;

static int __init claim_init(void)
{
	if (!size) {
		pr_err("size must not be 0\n");
		return -EINVAL;
	}
	claimed = request_mem_region(base, size, KBUILD_MODNAME);
	if (!claimed) {
		pr_err("cannot claim [%#llx-%#llx]\n", base, base + size - 1);
		return -EBUSY;
	}
	pr_info("claimed [%#llx-%#llx]\n", base, base + size - 1);
	return 0;
}

static void __exit claim_exit(void)
{
	release_mem_region(base, size);
	pr_info("released [%#llx-%#llx]\n", base, base + size - 1);
}

module_init(claim_init);
module_exit(claim_exit);
MODULE_DESCRIPTION("Claims a physical range for pcpu_pagecache tests");
MODULE_LICENSE("GPL");

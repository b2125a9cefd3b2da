// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache_blk: a RAM block device, /dev/ppcblk0, whose pages come
 * from a pcpu_pagecache pool.  It is the project's example of a real
 * client: a blk-mq driver in the spirit of drivers/block/brd.c that
 * allocates and frees a page per 4 KiB of the device from its I/O path.
 *
 * Each page-sized, page-aligned range of the device gets a pool page on its
 * first write; an xarray maps the range's index to the page.  Discard and
 * write-zeroes give whole pages back to the pool and zero partial ones, so
 * a range that was never written or was discarded reads as zeros.  When the
 * pool has no free page, the write fails (BLK_STS_NOSPC: ENOSPC to user
 * space) and is counted; everything else goes on working.
 *
 * Page lifetime
 * -------------
 * A pool page has no reference count: once freed it can be handed out for
 * another range at once, even by another CPU.  So a reader or writer must
 * not use a page it looked up after a discard of that range has freed it,
 * or its copy would read or corrupt an unrelated range.  brd frees under
 * the xarray lock only and has that window.  Here every look-up and the
 * copy that follows, and every insert and erase, run under one of
 * PPCBLK_STRIPES spinlocks chosen by the page index: the look-up and the
 * copy are atomic with respect to an erase and free of the same index, and
 * two writers of the same fresh range are serialized, so the second finds
 * the first one's page instead of allocating its own.  Consecutive indexes
 * map to different stripes, and a stripe is held for at most one 4 KiB
 * copy, so CPUs rarely wait on each other.
 *
 * The stripes are taken with interrupts disabled: pcpu_pagecache_alloc()
 * and pcpu_pagecache_free() may run in any context, and bios may be
 * submitted from softirq context by stacking drivers, so the lock must not
 * be interruptible by code that takes it again.
 *
 * Context
 * -------
 * queue_rq runs without BLK_MQ_F_BLOCKING: it must not sleep.  The pool's
 * alloc and free never sleep, and the xarray allocates its nodes with
 * GFP_NOWAIT under the stripe lock; when that fails the request is
 * requeued (BLK_STS_RESOURCE) and retried, which is harmless since a write
 * is idempotent.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/xarray.h>

#include "pcpu_pagecache.h"

#define PPCBLK_NAME		"ppcblk0"
/* A power of two, so that the stripe is the low bits of the index. */
#define PPCBLK_STRIPES		64
/*
 * Longest discard or write-zeroes request: it is served in queue_rq, which
 * may not sleep, so the block layer splits longer ones for us.
 */
#define PPCBLK_MAX_ZERO_SECTORS	(SZ_64M >> SECTOR_SHIFT)
#define PPCBLK_QUEUE_DEPTH	128

static unsigned int size_mb = 48;
module_param(size_mb, uint, 0444);
MODULE_PARM_DESC(size_mb, "Size of /dev/ppcblk0 in MiB (default 48)");

static unsigned long pool_base;
module_param(pool_base, ulong, 0444);
MODULE_PARM_DESC(pool_base, "Physical base of a range reserved with memmap= for a pool of the device's own; 0 with pool_size takes it from the page allocator");

static unsigned long pool_size;
module_param(pool_size, ulong, 0444);
MODULE_PARM_DESC(pool_size, "Bytes in the device's own pool \"ppcblk0\"; 0 (the default) uses pcpu_pagecache's default pool");

struct ppcblk_stripe {
	spinlock_t lock;	/* look-up and copy, insert, erase and free */
} ____cacheline_aligned_in_smp;

struct ppcblk {
	struct pcpu_pagecache *pool;
	bool own_pool;
	/* Page index -> xa_mk_value(pfn of the pool page). */
	struct xarray pages;
	/* Entries in @pages; written under the xarray's lock. */
	unsigned long npages;
	atomic_long_t write_nospc;
	atomic_long_t xa_nomem;
	struct ppcblk_stripe *stripes;
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
};

static struct ppcblk *ppcblk_dev;

static spinlock_t *ppcblk_stripe_lock(struct ppcblk *dev, pgoff_t idx)
{
	return &dev->stripes[idx & (PPCBLK_STRIPES - 1)].lock;
}

/* The stripe lock of @idx is held, so the page cannot go away. */
static void *ppcblk_lookup(struct ppcblk *dev, pgoff_t idx, phys_addr_t *phys)
{
	void *entry = xa_load(&dev->pages, idx);

	if (!entry)
		return NULL;
	*phys = PFN_PHYS(xa_to_value(entry));
	return pcpu_pagecache_va(dev->pool, *phys);
}

static void ppcblk_read_page(struct ppcblk *dev, pgoff_t idx,
			     unsigned int off, void *dst, unsigned int len)
{
	phys_addr_t phys;
	void *va = ppcblk_lookup(dev, idx, &phys);

	if (va)
		memcpy(dst, va + off, len);
	else
		memset(dst, 0, len);
}

static blk_status_t ppcblk_write_page(struct ppcblk *dev, pgoff_t idx,
				      unsigned int off, const void *src,
				      unsigned int len)
{
	phys_addr_t phys;
	void *va = ppcblk_lookup(dev, idx, &phys);
	int ret;

	if (va) {
		memcpy(va + off, src, len);
		return BLK_STS_OK;
	}

	phys = pcpu_pagecache_alloc(dev->pool, 1);
	if (!phys) {
		atomic_long_inc(&dev->write_nospc);
		pr_err_ratelimited("%s: pool has no free page: write at sector %llu fails\n",
				   PPCBLK_NAME,
				   (unsigned long long)idx << PAGE_SECTORS_SHIFT);
		return BLK_STS_NOSPC;
	}
	va = pcpu_pagecache_va(dev->pool, phys);
	/*
	 * A pool page holds what its last user left there: the parts this
	 * write does not cover must read as zeros.  A full-page write, the
	 * common case, skips the clearing entirely.
	 */
	memset(va, 0, off);
	memcpy(va + off, src, len);
	memset(va + off + len, 0, PAGE_SIZE - off - len);

	/* Filled before it is published: no reader sees stale data. */
	xa_lock(&dev->pages);
	ret = __xa_insert(&dev->pages, idx, xa_mk_value(PHYS_PFN(phys)),
			  GFP_NOWAIT | __GFP_NOWARN);
	if (!ret)
		dev->npages++;
	xa_unlock(&dev->pages);
	if (ret) {
		/* -ENOMEM: -EBUSY cannot happen under the stripe lock. */
		pcpu_pagecache_free(dev->pool, phys, 1);
		atomic_long_inc(&dev->xa_nomem);
		return BLK_STS_RESOURCE;
	}
	return BLK_STS_OK;
}

/* Zero [off, off + len) of page @idx: a whole page goes back to the pool. */
static void ppcblk_zero_page(struct ppcblk *dev, pgoff_t idx,
			     unsigned int off, unsigned int len)
{
	phys_addr_t phys;
	void *va = ppcblk_lookup(dev, idx, &phys);

	if (!va)
		return;
	if (len < PAGE_SIZE) {
		memset(va + off, 0, len);
		return;
	}
	xa_lock(&dev->pages);
	__xa_erase(&dev->pages, idx);
	dev->npages--;
	xa_unlock(&dev->pages);
	pcpu_pagecache_free(dev->pool, phys, 1);
}

/*
 * One segment of a request: at most a page of memory, but it may straddle
 * two device pages when the I/O is not 4 KiB aligned.
 */
static blk_status_t ppcblk_do_bvec(struct ppcblk *dev, struct bio_vec *bv,
				   u64 pos, bool write)
{
	blk_status_t sts = BLK_STS_OK;
	unsigned int done, off, len;
	unsigned long flags;
	spinlock_t *lock;	/* the stripe of idx */
	pgoff_t idx;
	void *buf;

	buf = bvec_kmap_local(bv);
	if (write)
		flush_dcache_page(bv->bv_page);
	for (done = 0; done < bv->bv_len; done += len, pos += len) {
		idx = pos >> PAGE_SHIFT;
		off = offset_in_page(pos);
		len = min_t(unsigned int, bv->bv_len - done, PAGE_SIZE - off);
		lock = ppcblk_stripe_lock(dev, idx);
		spin_lock_irqsave(lock, flags);
		if (write)
			sts = ppcblk_write_page(dev, idx, off, buf + done, len);
		else
			ppcblk_read_page(dev, idx, off, buf + done, len);
		spin_unlock_irqrestore(lock, flags);
		if (sts)
			break;
	}
	kunmap_local(buf);
	if (!write)
		flush_dcache_page(bv->bv_page);
	return sts;
}

static blk_status_t ppcblk_rw(struct ppcblk *dev, struct request *rq,
			      bool write)
{
	u64 pos = (u64)blk_rq_pos(rq) << SECTOR_SHIFT;
	struct req_iterator iter;
	blk_status_t sts;
	struct bio_vec bv;

	rq_for_each_segment(bv, rq, iter) {
		sts = ppcblk_do_bvec(dev, &bv, pos, write);
		if (sts)
			return sts;
		pos += bv.bv_len;
	}
	return BLK_STS_OK;
}

/* Discard and write-zeroes: both leave the range reading as zeros. */
static void ppcblk_zero(struct ppcblk *dev, struct request *rq)
{
	u64 pos = (u64)blk_rq_pos(rq) << SECTOR_SHIFT;
	u64 end = pos + blk_rq_bytes(rq);
	unsigned int off, len;
	unsigned long flags;
	spinlock_t *lock;	/* the stripe of idx */
	pgoff_t idx;

	for (; pos < end; pos += len) {
		idx = pos >> PAGE_SHIFT;
		off = offset_in_page(pos);
		len = min_t(u64, end - pos, PAGE_SIZE - off);
		lock = ppcblk_stripe_lock(dev, idx);
		spin_lock_irqsave(lock, flags);
		ppcblk_zero_page(dev, idx, off, len);
		spin_unlock_irqrestore(lock, flags);
	}
}

static blk_status_t ppcblk_queue_rq(struct blk_mq_hw_ctx *hctx,
				    const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct ppcblk *dev = rq->q->queuedata;
	blk_status_t sts;

	blk_mq_start_request(rq);
	switch (req_op(rq)) {
	case REQ_OP_READ:
		sts = ppcblk_rw(dev, rq, false);
		break;
	case REQ_OP_WRITE:
		sts = ppcblk_rw(dev, rq, true);
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		ppcblk_zero(dev, rq);
		sts = BLK_STS_OK;
		break;
	case REQ_OP_FLUSH:
		/* Nothing is cached on the way to the pages. */
		sts = BLK_STS_OK;
		break;
	default:
		sts = BLK_STS_NOTSUPP;
		break;
	}
	/* Requeued and retried whole: the pages written so far stay. */
	if (sts == BLK_STS_RESOURCE)
		return sts;
	blk_mq_end_request(rq, sts);
	return BLK_STS_OK;
}

static const struct blk_mq_ops ppcblk_mq_ops = {
	.queue_rq = ppcblk_queue_rq,
};

static const struct block_device_operations ppcblk_fops = {
	.owner = THIS_MODULE,
};

/* ---- sysfs: /sys/block/ppcblk0/ppcblk/ ----------------------------------- */

static struct ppcblk *ppcblk_from_dev(struct device *d)
{
	return dev_to_disk(d)->private_data;
}

static ssize_t pages_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(ppcblk_from_dev(d)->npages));
}
static DEVICE_ATTR_RO(pages);

static ssize_t write_nospc_show(struct device *d,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&ppcblk_from_dev(d)->write_nospc));
}
static DEVICE_ATTR_RO(write_nospc);

static ssize_t xa_nomem_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&ppcblk_from_dev(d)->xa_nomem));
}
static DEVICE_ATTR_RO(xa_nomem);

/* The debugfs directory of the pool: its stats are under it. */
static ssize_t pool_show(struct device *d, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  ppcblk_from_dev(d)->own_pool ? PPCBLK_NAME : "default");
}
static DEVICE_ATTR_RO(pool);

static struct attribute *ppcblk_attrs[] = {
	&dev_attr_pages.attr,
	&dev_attr_write_nospc.attr,
	&dev_attr_xa_nomem.attr,
	&dev_attr_pool.attr,
	NULL,
};

static const struct attribute_group ppcblk_attr_group = {
	.name = "ppcblk",
	.attrs = ppcblk_attrs,
};

static const struct attribute_group *ppcblk_attr_groups[] = {
	&ppcblk_attr_group,
	NULL,
};

/* ---- The disk -------------------------------------------------------------- */

/*
 * The only code that differs between the supported kernels.  6.11 moved
 * the queue limits and features (non-rotational, entropy) into the struct
 * queue_limits that the disk is allocated with, and the BLK_FEAT_ flags
 * came with them; 6.1 sets them on the queue afterwards.  Testing for the
 * feature rather than a version keeps this right on backports.  (6.9 and
 * 6.10 take limits at allocation but flags on the queue: not supported.)
 */
#ifdef BLK_FEAT_ROTATIONAL
static struct gendisk *ppcblk_alloc_disk(struct ppcblk *dev)
{
	struct queue_limits lim = {
		.logical_block_size = SECTOR_SIZE,
		.physical_block_size = PAGE_SIZE,
		.max_hw_discard_sectors = PPCBLK_MAX_ZERO_SECTORS,
		.max_write_zeroes_sectors = PPCBLK_MAX_ZERO_SECTORS,
		.discard_granularity = PAGE_SIZE,
		.max_discard_segments = 1,
	};

	return blk_mq_alloc_disk(&dev->tag_set, &lim, dev);
}
#else
static struct gendisk *ppcblk_alloc_disk(struct ppcblk *dev)
{
	struct request_queue *q;
	struct gendisk *disk;

	disk = blk_mq_alloc_disk(&dev->tag_set, dev);
	if (IS_ERR(disk))
		return disk;
	q = disk->queue;
	blk_queue_logical_block_size(q, SECTOR_SIZE);
	blk_queue_physical_block_size(q, PAGE_SIZE);
	blk_queue_max_discard_sectors(q, PPCBLK_MAX_ZERO_SECTORS);
	blk_queue_max_write_zeroes_sectors(q, PPCBLK_MAX_ZERO_SECTORS);
	q->limits.discard_granularity = PAGE_SIZE;
	blk_queue_max_discard_segments(q, 1);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);
	return disk;
}
#endif

/* Every page back to the pool; no I/O can run any more. */
static void ppcblk_free_pages(struct ppcblk *dev)
{
	unsigned long idx;
	void *entry;

	xa_for_each(&dev->pages, idx, entry) {
		pcpu_pagecache_free(dev->pool, PFN_PHYS(xa_to_value(entry)), 1);
		cond_resched();
	}
	xa_destroy(&dev->pages);
	dev->npages = 0;
}

static int ppcblk_pool_get(struct ppcblk *dev)
{
	struct pcpu_pagecache *pool;

	if (!pool_size) {
		if (pool_base) {
			pr_err("pool_base needs pool_size\n");
			return -EINVAL;
		}
		dev->pool = pcpu_pagecache_default();
		return 0;
	}
	/* pcpu_pagecache_create() logs why it failed. */
	pool = pcpu_pagecache_create(PPCBLK_NAME, pool_base, pool_size);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	dev->pool = pool;
	dev->own_pool = true;
	return 0;
}

static void ppcblk_pool_put(struct ppcblk *dev)
{
	if (dev->own_pool)
		pcpu_pagecache_destroy(dev->pool);
}

static int __init ppcblk_init(void)
{
	struct gendisk *disk;
	struct ppcblk *dev;
	unsigned int i;
	int ret;

	if (!size_mb || size_mb > SZ_1M) {
		pr_err("size_mb=%u: must be 1 to %u\n", size_mb, SZ_1M);
		return -EINVAL;
	}

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	xa_init(&dev->pages);
	atomic_long_set(&dev->write_nospc, 0);
	atomic_long_set(&dev->xa_nomem, 0);
	ret = -ENOMEM;
	dev->stripes = kcalloc(PPCBLK_STRIPES, sizeof(*dev->stripes),
			       GFP_KERNEL);
	if (!dev->stripes)
		goto err_dev;
	for (i = 0; i < PPCBLK_STRIPES; i++)
		spin_lock_init(&dev->stripes[i].lock);

	ret = ppcblk_pool_get(dev);
	if (ret)
		goto err_stripes;

	/*
	 * One hardware queue per CPU: a request is served on the CPU that
	 * submitted it, from that CPU's pool cache, and needs no shared tag.
	 */
	dev->tag_set.ops = &ppcblk_mq_ops;
	dev->tag_set.nr_hw_queues = nr_cpu_ids;
	dev->tag_set.queue_depth = PPCBLK_QUEUE_DEPTH;
	dev->tag_set.numa_node = NUMA_NO_NODE;
	dev->tag_set.flags = BLK_MQ_F_SHOULD_MERGE | BLK_MQ_F_NO_SCHED_BY_DEFAULT;
	ret = blk_mq_alloc_tag_set(&dev->tag_set);
	if (ret) {
		pr_err("cannot allocate the tag set: %d\n", ret);
		goto err_pool;
	}

	disk = ppcblk_alloc_disk(dev);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		pr_err("cannot allocate the disk: %d\n", ret);
		goto err_tags;
	}
	/* No major of our own: the disk gets a dynamic one (blkext). */
	disk->major = 0;
	disk->first_minor = 0;
	disk->minors = 0;
	disk->fops = &ppcblk_fops;
	disk->private_data = dev;
	strscpy(disk->disk_name, PPCBLK_NAME, DISK_NAME_LEN);
	set_capacity(disk, (sector_t)size_mb << (20 - SECTOR_SHIFT));
	dev->disk = disk;

	ret = device_add_disk(NULL, disk, ppcblk_attr_groups);
	if (ret) {
		pr_err("cannot add the disk: %d\n", ret);
		goto err_disk;
	}
	ppcblk_dev = dev;
	pr_info("%s: %u MiB on pool %s\n", PPCBLK_NAME, size_mb,
		dev->own_pool ? PPCBLK_NAME : "default");
	return 0;

err_disk:
	put_disk(disk);
err_tags:
	blk_mq_free_tag_set(&dev->tag_set);
err_pool:
	ppcblk_pool_put(dev);
err_stripes:
	kfree(dev->stripes);
err_dev:
	kfree(dev);
	return ret;
}
module_init(ppcblk_init);

static void __exit ppcblk_exit(void)
{
	struct ppcblk *dev = ppcblk_dev;

	del_gendisk(dev->disk);
	put_disk(dev->disk);
	blk_mq_free_tag_set(&dev->tag_set);
	ppcblk_free_pages(dev);
	ppcblk_pool_put(dev);
	kfree(dev->stripes);
	kfree(dev);
}
module_exit(ppcblk_exit);

MODULE_DESCRIPTION("RAM block device backed by a pcpu_pagecache pool");
MODULE_AUTHOR("pcpu_pagecache developers");
MODULE_LICENSE("GPL");

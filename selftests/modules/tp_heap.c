// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel importer of the default pool's dma-buf heap: the action
 * heap_import:FD:SEED, written to the run file by the process that holds
 * the dma-buf FD (selftests/pcpu_pagecache_heap.c).  It imports the
 * buffer as a driver would: dma_buf_get(), attach to a device, map the
 * attachment, and checks the sg_table against the pool (one contiguous run
 * of the pool's pages, the buffer's size, a struct page where the kernel
 * has one); then dma_buf_vmap() must give the pool's own mapping of the
 * run, holding the pattern SEED that user space wrote, and the action
 * writes the pattern SEED ^ 0xff through it for user space to read.
 */
#include "test_pcpu_pagecache.h"

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/string.h>

MODULE_IMPORT_NS(DMA_BUF);

/* The pattern the test program writes: a byte of @i, offset by @seed. */
static u8 heap_pattern(size_t i, u8 seed)
{
	return seed + i / PAGE_SIZE + i % 251;
}

/*
 * Since 6.2 dma_buf_vmap() is for holders of the buffer's reservation
 * lock (6.1's takes a lock of its own, and the reservation lock around it
 * is harmless): held, the same call is right on both.
 */
static int tp_dma_buf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	int ret;

	dma_resv_lock(dmabuf->resv, NULL);
	ret = dma_buf_vmap(dmabuf, map);
	dma_resv_unlock(dmabuf->resv);
	return ret;
}

static void tp_dma_buf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	dma_resv_lock(dmabuf->resv, NULL);
	dma_buf_vunmap(dmabuf, map);
	dma_resv_unlock(dmabuf->resv);
}

/* The sg_table: one run of the default pool, in order, of @size bytes. */
static void heap_check_sgt(struct pcpu_pagecache *pool, struct sg_table *sgt,
			   size_t size, dma_addr_t *first)
{
	dma_addr_t next = 0;
	struct scatterlist *sg;
	size_t total = 0;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t a = sg_dma_address(sg);

		/* No IOMMU in the guest: a DMA address is the physical one. */
		if (!i)
			*first = a;
		else
			CHECK_EQ(a, next);
		CHECK(pcpu_pagecache_va(pool, a));
		CHECK(pcpu_pagecache_va(pool, a + sg_dma_len(sg) - 1));
		if (sg_page(sg))
			CHECK_EQ(page_to_phys(sg_page(sg)) + sg->offset, a);
		next = a + sg_dma_len(sg);
		total += sg_dma_len(sg);
	}
	CHECK_EQ(total, size);
}

int act_heap_import(const char *arg)
{
	struct pcpu_pagecache *pool = pcpu_pagecache_default();
	struct dma_buf_attachment *att;
	struct platform_device *pdev;
	struct iosys_map map = {};
	struct dma_buf *dmabuf;
	dma_addr_t first = 0;
	struct sg_table *sgt;
	unsigned int fd, seed;
	size_t i, bad = 0;
	u8 *p;
	int ret;

	if (!arg || sscanf(arg, "%u:%u", &fd, &seed) != 2)
		return -EINVAL;
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	/* A device of its own, as an importing driver has. */
	pdev = platform_device_register_simple("tp_heap_importer",
					       PLATFORM_DEVID_AUTO, NULL, 0);
	if (IS_ERR(pdev)) {
		ret = PTR_ERR(pdev);
		goto out_put;
	}
	ret = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto out_dev;
	att = dma_buf_attach(dmabuf, &pdev->dev);
	if (IS_ERR(att)) {
		ret = PTR_ERR(att);
		goto out_dev;
	}
	sgt = dma_buf_map_attachment_unlocked(att, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out_detach;
	}
	heap_check_sgt(pool, sgt, dmabuf->size, &first);

	ret = tp_dma_buf_vmap(dmabuf, &map);
	if (ret)
		goto out_unmap;
	CHECK(!map.is_iomem);
	CHECK(map.vaddr == pcpu_pagecache_va(pool, first));
	p = map.vaddr;
	ret = dma_buf_begin_cpu_access(dmabuf, DMA_BIDIRECTIONAL);
	if (ret)
		goto out_vunmap;
	for (i = 0; i < dmabuf->size; i++)
		if (p[i] != heap_pattern(i, seed) && !bad++)
			pr_err("heap_import: byte %zu is %#x, expected %#x\n",
			       i, p[i], heap_pattern(i, seed));
	CHECK_EQ(bad, 0);
	for (i = 0; i < dmabuf->size; i++)
		p[i] = heap_pattern(i, seed ^ 0xff);
	ret = dma_buf_end_cpu_access(dmabuf, DMA_BIDIRECTIONAL);
	pr_info("heap_import: %zu bytes at %pad, %u sg entries, %s\n",
		dmabuf->size, &first, sgt->orig_nents,
		sg_page(sgt->sgl) ? "struct pages" : "page frames without struct page");
out_vunmap:
	tp_dma_buf_vunmap(dmabuf, &map);
out_unmap:
	dma_buf_unmap_attachment_unlocked(att, sgt, DMA_BIDIRECTIONAL);
out_detach:
	dma_buf_detach(dmabuf, att);
out_dev:
	platform_device_unregister(pdev);
out_put:
	dma_buf_put(dmabuf);
	return ret;
}

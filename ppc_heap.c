// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache: a dma-buf heap on a pool, so that user space and devices
 * reach its pages.  /dev/dma_heap/<name> is a misc device whose node name
 * is "dma_heap/<name>" (devtmpfs makes the directory): it speaks the
 * mainline heap ABI, DMA_HEAP_IOCTL_ALLOC and its errors, because a module
 * cannot register a real heap (dma_heap_add() is not exported, and 6.1's
 * Debian kernel does not build the heaps), while dma_buf_export() is.
 *
 * A buffer is one run of contiguous pages of the pool, zeroed before it
 * is exported, given back to the pool when the dma-buf's last reference
 * goes (last fd, last mapping, last importer).  The pages of a reserved
 * range may have no struct page, so nothing here takes a page reference:
 * user space maps the run with remap_pfn_range(), importers get DMA
 * addresses from dma_map_page() where a struct page exists and from
 * dma_map_resource() where it does not, and the kernel mapping is the
 * pool's own (pcpu_pagecache_va()).  Documentation/pcpu_pagecache.rst,
 * "A dma-buf heap", says why and what follows.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iosys-map.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait_bit.h>
#include <uapi/linux/dma-heap.h>

#include "ppc_internal.h"
#include "ppc_heap.h"

MODULE_IMPORT_NS(DMA_BUF);

static bool param_heap;
module_param_named(heap, param_heap, bool, 0444);
MODULE_PARM_DESC(heap, "Give the default pool a dma-buf heap, /dev/dma_heap/pcpu_pagecache (root only)");

static unsigned long param_heap_max_pages;
module_param_named(heap_max_pages, param_heap_max_pages, ulong, 0444);
MODULE_PARM_DESC(heap_max_pages, "Pages the default pool's heap may hold at once (0: no cap but the pool)");

/* What mainline's dma-heap.c accepts. */
#define PPC_HEAP_FD_FLAGS	(O_CLOEXEC | O_ACCMODE)
#define PPC_HEAP_HEAP_FLAGS	0ULL

/**
 * struct pcpu_pagecache_heap - a pool's heap device
 * @misc: the device, /dev/dma_heap/@name
 * @ref: one for the registration, one an open file of the device, one a
 *	buffer: the last one frees the heap
 * @live: one for the registration, one a buffer; 0 once the heap is being
 *	removed, when no new buffer may start
 * @pages: pages the heap's buffers hold
 * @max_pages: the cap on @pages, 0 for none
 * @pool: where the pages come from
 * @owner: the module that added the heap: each buffer holds it
 * @name: the heap's name
 * @miscname: the device's name in sysfs, "pcpu_pagecache_heap_<name>"
 * @nodename: its node's name under /dev, "dma_heap/<name>"
 */
struct pcpu_pagecache_heap {
	struct miscdevice misc;
	struct kref ref;
	atomic_t live;
	atomic_long_t pages;
	unsigned long max_pages;
	struct pcpu_pagecache *pool;
	struct module *owner;
	char name[PPC_NAME_MAX];
	char miscname[PPC_NAME_MAX + 24];
	char nodename[PPC_NAME_MAX + 16];
};

/* One dma-buf: a run of the pool. */
struct ppc_heap_buffer {
	struct pcpu_pagecache_heap *heap;
	phys_addr_t addr;
	unsigned int npages;
	void *va;			/* the pool's kernel mapping of the run */
	struct mutex lock;		/* attachments */
	struct list_head attachments;
};

/* One importer's view: its own sg_table, mapped for its device. */
struct ppc_heap_attachment {
	struct device *dev;
	struct sg_table sgt;
	struct list_head list;
	bool mapped;
};

static void ppc_heap_free(struct kref *ref)
{
	kfree(container_of(ref, struct pcpu_pagecache_heap, ref));
}

/* A buffer or the registration is gone: remove() may be waiting for it. */
static void ppc_heap_live_put(struct pcpu_pagecache_heap *heap)
{
	if (atomic_dec_and_test(&heap->live))
		wake_up_var(&heap->live);
}

/* ---- The scatterlist: struct pages where they exist, else addresses ----- */

/*
 * The run as entries of pages that all have a struct page, or all have
 * none: a reserved range may lie in a memory section the kernel has no
 * memmap for (pfn_valid() false), or partly in one; a pool from the page
 * allocator is all struct pages.  Into @sgt when it is not NULL; the number
 * of entries.
 */
static unsigned int ppc_heap_segments(struct ppc_heap_buffer *buf,
				      struct sg_table *sgt)
{
	unsigned long pfn = PHYS_PFN(buf->addr), i, start = 0;
	struct scatterlist *sg = sgt ? sgt->sgl : NULL;
	unsigned int n = 0;
	bool valid, seg_valid = pfn_valid(pfn);

	for (i = 1; i <= buf->npages; i++) {
		valid = i < buf->npages && pfn_valid(pfn + i);
		if (i < buf->npages && valid == seg_valid)
			continue;
		if (sg) {
			if (seg_valid)
				sg_set_page(sg, pfn_to_page(pfn + start),
					    (i - start) << PAGE_SHIFT, 0);
			else
				sg->length = (i - start) << PAGE_SHIFT;
			sg = sg_next(sg);
		}
		n++;
		start = i;
		seg_valid = valid;
	}
	return n;
}

static int ppc_heap_attach(struct dma_buf *dmabuf,
			   struct dma_buf_attachment *attachment)
{
	struct ppc_heap_buffer *buf = dmabuf->priv;
	struct ppc_heap_attachment *a;
	int ret;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	ret = sg_alloc_table(&a->sgt, ppc_heap_segments(buf, NULL), GFP_KERNEL);
	if (ret) {
		kfree(a);
		return ret;
	}
	ppc_heap_segments(buf, &a->sgt);
	a->dev = attachment->dev;
	INIT_LIST_HEAD(&a->list);
	attachment->priv = a;

	mutex_lock(&buf->lock);
	list_add(&a->list, &buf->attachments);
	mutex_unlock(&buf->lock);
	return 0;
}

static void ppc_heap_detach(struct dma_buf *dmabuf,
			    struct dma_buf_attachment *attachment)
{
	struct ppc_heap_buffer *buf = dmabuf->priv;
	struct ppc_heap_attachment *a = attachment->priv;

	mutex_lock(&buf->lock);
	list_del(&a->list);
	mutex_unlock(&buf->lock);
	sg_free_table(&a->sgt);
	kfree(a);
}

/* Unmap the first @n entries of @a's table. */
static void ppc_heap_unmap_entries(struct ppc_heap_attachment *a,
				   unsigned int n,
				   enum dma_data_direction dir)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&a->sgt, sg, i) {
		if (i == n)
			break;
		if (sg_page(sg))
			dma_unmap_page_attrs(a->dev, sg_dma_address(sg),
					     sg_dma_len(sg), dir, 0);
		else
			dma_unmap_resource(a->dev, sg_dma_address(sg),
					   sg_dma_len(sg), dir, 0);
	}
}

/*
 * Entry by entry rather than dma_map_sgtable(): an entry without a struct
 * page cannot go through the scatterlist calls, which take its page.
 * dma_map_resource() maps a physical range for the device, through its
 * IOMMU if it has one; it does no cache maintenance, which a reserved
 * range of normal memory on a cache-coherent machine (x86) needs none of.
 */
static struct sg_table *ppc_heap_map(struct dma_buf_attachment *attachment,
				     enum dma_data_direction dir)
{
	struct ppc_heap_buffer *buf = attachment->dmabuf->priv;
	struct ppc_heap_attachment *a = attachment->priv;
	phys_addr_t phys = buf->addr;
	struct scatterlist *sg;
	dma_addr_t dma;
	unsigned int i;

	for_each_sgtable_sg(&a->sgt, sg, i) {
		if (sg_page(sg))
			dma = dma_map_page_attrs(a->dev, sg_page(sg), 0,
						 sg->length, dir, 0);
		else
			dma = dma_map_resource(a->dev, phys, sg->length, dir,
					       0);
		if (dma_mapping_error(a->dev, dma)) {
			ppc_heap_unmap_entries(a, i, dir);
			return ERR_PTR(-ENOMEM);
		}
		sg_dma_address(sg) = dma;
		sg_dma_len(sg) = sg->length;
		phys += sg->length;
	}
	mutex_lock(&buf->lock);
	a->mapped = true;
	mutex_unlock(&buf->lock);
	return &a->sgt;
}

static void ppc_heap_unmap(struct dma_buf_attachment *attachment,
			   struct sg_table *sgt, enum dma_data_direction dir)
{
	struct ppc_heap_buffer *buf = attachment->dmabuf->priv;
	struct ppc_heap_attachment *a = attachment->priv;

	mutex_lock(&buf->lock);
	a->mapped = false;
	mutex_unlock(&buf->lock);
	ppc_heap_unmap_entries(a, sgt->orig_nents, dir);
}

/*
 * CPU access between device accesses: sync each mapped attachment's
 * entries that the DMA API can sync (those it mapped from pages; a bounce
 * buffer is copied here).  Entries mapped with dma_map_resource() have no
 * sync call: coherent memory, see ppc_heap_map().
 */
static void ppc_heap_sync(struct ppc_heap_buffer *buf,
			  enum dma_data_direction dir, bool for_cpu)
{
	struct ppc_heap_attachment *a;
	struct scatterlist *sg;
	unsigned int i;

	mutex_lock(&buf->lock);
	list_for_each_entry(a, &buf->attachments, list) {
		if (!a->mapped)
			continue;
		for_each_sgtable_sg(&a->sgt, sg, i) {
			if (!sg_page(sg))
				continue;
			if (for_cpu)
				dma_sync_single_for_cpu(a->dev, sg_dma_address(sg),
							sg_dma_len(sg), dir);
			else
				dma_sync_single_for_device(a->dev,
							   sg_dma_address(sg),
							   sg_dma_len(sg), dir);
		}
	}
	mutex_unlock(&buf->lock);
}

static int ppc_heap_begin_cpu_access(struct dma_buf *dmabuf,
				     enum dma_data_direction dir)
{
	ppc_heap_sync(dmabuf->priv, dir, true);
	return 0;
}

static int ppc_heap_end_cpu_access(struct dma_buf *dmabuf,
				   enum dma_data_direction dir)
{
	ppc_heap_sync(dmabuf->priv, dir, false);
	return 0;
}

/*
 * User space maps the run's page frames, as the system heap does: no
 * struct page is needed, and none is touched.  The protection stays the
 * VMA's (write-back), which is right for normal memory and agrees with
 * the pool's own mapping (memremap(MEMREMAP_WB) of a reserved range, the
 * linear map for the page allocator's pages); x86's PAT checks it against
 * the range's memory type.  Shared mappings only, as the CMA heap: a
 * private copy of device memory means nothing.  The dma-buf core has
 * checked that the VMA fits in the buffer.
 */
static int ppc_heap_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct ppc_heap_buffer *buf = dmabuf->priv;

	if (!(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	return remap_pfn_range(vma, vma->vm_start,
			       PHYS_PFN(buf->addr) + vma->vm_pgoff,
			       vma->vm_end - vma->vm_start, vma->vm_page_prot);
}

/* The pool's own mapping of the run: nothing to map, nothing to undo. */
static int ppc_heap_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct ppc_heap_buffer *buf = dmabuf->priv;

	iosys_map_set_vaddr(map, buf->va);
	return 0;
}

static void ppc_heap_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	iosys_map_clear(map);
}

/* The last reference: the pages go back to the pool. */
static void ppc_heap_release(struct dma_buf *dmabuf)
{
	struct ppc_heap_buffer *buf = dmabuf->priv;
	struct pcpu_pagecache_heap *heap = buf->heap;

	pcpu_pagecache_free(heap->pool, buf->addr, buf->npages);
	atomic_long_sub(buf->npages, &heap->pages);
	mutex_destroy(&buf->lock);
	kfree(buf);
	ppc_heap_live_put(heap);
	kref_put(&heap->ref, ppc_heap_free);
}

static const struct dma_buf_ops ppc_heap_buf_ops = {
	.attach = ppc_heap_attach,
	.detach = ppc_heap_detach,
	.map_dma_buf = ppc_heap_map,
	.unmap_dma_buf = ppc_heap_unmap,
	.begin_cpu_access = ppc_heap_begin_cpu_access,
	.end_cpu_access = ppc_heap_end_cpu_access,
	.mmap = ppc_heap_mmap,
	.vmap = ppc_heap_vmap,
	.vunmap = ppc_heap_vunmap,
	.release = ppc_heap_release,
};

/* ---- Allocation ---------------------------------------------------------- */

/*
 * A run handed out by the pool holds its last user's data.  Zeroed 1 MiB
 * at a time, so that a 64 MiB buffer lets others run on a kernel without
 * preemption.
 */
static void ppc_heap_zero(void *va, size_t len)
{
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = min_t(size_t, len - off, SZ_1M);
		memset(va + off, 0, n);
		cond_resched();
	}
}

/*
 * @len bytes, page aligned and not 0, as a dma-buf.  Not inlined: this is
 * the pool's caller, which a tracking pool's "owners" names as the holder
 * of the pages.
 */
static noinline struct dma_buf *
ppc_heap_buffer_alloc(struct pcpu_pagecache_heap *heap, size_t len,
		      u32 fd_flags)
{
	struct pcpu_pagecache *pool = heap->pool;
	unsigned long npages = len >> PAGE_SHIFT;
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct ppc_heap_buffer *buf;
	struct dma_buf *dmabuf;
	int ret = -ENOMEM;

	/* The heap is being removed: its file stays open, nothing else. */
	if (!atomic_inc_not_zero(&heap->live))
		return ERR_PTR(-ENODEV);
	if (npages > pool->max_run || npages > UINT_MAX)
		goto err_live;
	if (atomic_long_add_return(npages, &heap->pages) > heap->max_pages &&
	    heap->max_pages)
		goto err_pages;
	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		goto err_pages;
	buf->addr = pcpu_pagecache_alloc(pool, npages);
	if (!buf->addr)
		goto err_buf;
	buf->heap = heap;
	buf->npages = npages;
	buf->va = pcpu_pagecache_va(pool, buf->addr);
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);
	ppc_heap_zero(buf->va, len);

	exp_info.exp_name = heap->name;
	exp_info.owner = heap->owner;
	exp_info.ops = &ppc_heap_buf_ops;
	exp_info.size = len;
	exp_info.flags = fd_flags;
	exp_info.priv = buf;
	/* The buffer's reference, which ppc_heap_release() drops. */
	kref_get(&heap->ref);
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		kref_put(&heap->ref, ppc_heap_free);
		goto err_pool;
	}
	return dmabuf;

err_pool:
	mutex_destroy(&buf->lock);
	pcpu_pagecache_free(pool, buf->addr, npages);
err_buf:
	kfree(buf);
err_pages:
	atomic_long_sub(npages, &heap->pages);
err_live:
	ppc_heap_live_put(heap);
	return ERR_PTR(ret);
}

/* dma_heap_ioctl_allocate() of mainline, with its checks in its order. */
static struct dma_buf *ppc_heap_ioctl_alloc(struct file *file, void *data)
{
	struct dma_heap_allocation_data *req = data;
	struct pcpu_pagecache_heap *heap =
		container_of(file->private_data, struct pcpu_pagecache_heap,
			     misc);
	struct dma_buf *dmabuf;
	size_t len;
	int fd;

	if (req->fd)
		return ERR_PTR(-EINVAL);
	if (req->fd_flags & ~PPC_HEAP_FD_FLAGS)
		return ERR_PTR(-EINVAL);
	if (req->heap_flags & ~PPC_HEAP_HEAP_FLAGS)
		return ERR_PTR(-EINVAL);
	/* 0, or so large that its page alignment wraps to 0. */
	len = PAGE_ALIGN(req->len);
	if (!len)
		return ERR_PTR(-EINVAL);

	dmabuf = ppc_heap_buffer_alloc(heap, len, req->fd_flags);
	if (IS_ERR(dmabuf))
		return dmabuf;
	fd = get_unused_fd_flags(req->fd_flags);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return ERR_PTR(fd);
	}
	req->fd = fd;
	return dmabuf;
}

static const unsigned int ppc_heap_ioctl_cmds[] = {
	DMA_HEAP_IOCTL_ALLOC,
};

/*
 * dma_heap_ioctl() of mainline (6.12): the same sizes taken from the
 * command, so that a shorter or longer struct from another ABI version is
 * zero-filled or cut as there, and the same errors.  The fd is installed
 * only once user space has its number.
 */
static long ppc_heap_ioctl(struct file *file, unsigned int ucmd,
			   unsigned long arg)
{
	unsigned int kcmd, in_size, out_size, drv_size, ksize;
	char stack_kdata[128];
	char *kdata = stack_kdata;
	int nr = _IOC_NR(ucmd);
	struct dma_buf *dmabuf;
	int fd, ret = 0;

	if (nr >= ARRAY_SIZE(ppc_heap_ioctl_cmds))
		return -EINVAL;
	nr = array_index_nospec(nr, ARRAY_SIZE(ppc_heap_ioctl_cmds));
	kcmd = ppc_heap_ioctl_cmds[nr];

	drv_size = _IOC_SIZE(kcmd);
	out_size = _IOC_SIZE(ucmd);
	in_size = out_size;
	if ((ucmd & kcmd & IOC_IN) == 0)
		in_size = 0;
	if ((ucmd & kcmd & IOC_OUT) == 0)
		out_size = 0;
	ksize = max(max(in_size, out_size), drv_size);

	if (ksize > sizeof(stack_kdata)) {
		kdata = kmalloc(ksize, GFP_KERNEL);
		if (!kdata)
			return -ENOMEM;
	}
	if (copy_from_user(kdata, (void __user *)arg, in_size)) {
		ret = -EFAULT;
		goto out;
	}
	if (ksize > in_size)
		memset(kdata + in_size, 0, ksize - in_size);

	switch (kcmd) {
	case DMA_HEAP_IOCTL_ALLOC:
		dmabuf = ppc_heap_ioctl_alloc(file, kdata);
		if (IS_ERR(dmabuf)) {
			ret = PTR_ERR(dmabuf);
			break;
		}
		fd = ((struct dma_heap_allocation_data *)kdata)->fd;
		if (copy_to_user((void __user *)arg, kdata, out_size)) {
			put_unused_fd(fd);
			dma_buf_put(dmabuf);
			ret = -EFAULT;
		} else {
			fd_install(fd, dmabuf->file);
		}
		break;
	default:
		ret = -ENOTTY;
		break;
	}
out:
	if (kdata != stack_kdata)
		kfree(kdata);
	return ret;
}

/*
 * misc_open() has set private_data to the device, under the lock that
 * misc_deregister() takes: the heap is still registered, so its
 * registration's reference is there to add to.
 */
static int ppc_heap_open(struct inode *inode, struct file *file)
{
	struct pcpu_pagecache_heap *heap =
		container_of(file->private_data, struct pcpu_pagecache_heap,
			     misc);

	kref_get(&heap->ref);
	return nonseekable_open(inode, file);
}

static int ppc_heap_file_release(struct inode *inode, struct file *file)
{
	struct pcpu_pagecache_heap *heap =
		container_of(file->private_data, struct pcpu_pagecache_heap,
			     misc);

	kref_put(&heap->ref, ppc_heap_free);
	return 0;
}

static const struct file_operations ppc_heap_fops = {
	.owner = THIS_MODULE,
	.open = ppc_heap_open,
	.release = ppc_heap_file_release,
	.unlocked_ioctl = ppc_heap_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* ---- Adding and removing heaps ------------------------------------------ */

/**
 * __pcpu_pagecache_heap_add - give a pool a dma-buf heap device
 * @pool: the pool its buffers come from
 * @name: the heap's name: /dev/dma_heap/@name, and the dma-bufs' exporter
 * @max_pages: the most pages its buffers may hold together, or 0 for no
 *	cap but the pool's
 * @owner: the module each buffer holds, so that it cannot unload (and
 *	destroy @pool) while a buffer lives; pcpu_pagecache_heap_add() passes
 *	its caller's
 *
 * Call pcpu_pagecache_heap_add() rather than this.  The device is a misc
 * device named pcpu_pagecache_heap_@name, mode 0600 (root only; udev may
 * change that), whose node is dma_heap/@name.  Process context; may sleep.
 *
 * Return: the heap, or an ERR_PTR(): -EINVAL for a name that is empty,
 * too long (32 bytes with its NUL), holds a '/' or is "." or "..";
 * -ENOMEM; misc_register()'s error (-EEXIST for a name taken).
 */
struct pcpu_pagecache_heap *
__pcpu_pagecache_heap_add(struct pcpu_pagecache *pool, const char *name,
			  unsigned long max_pages, struct module *owner)
{
	struct pcpu_pagecache_heap *heap;
	int ret;

	if (!name || !*name || strlen(name) >= PPC_NAME_MAX ||
	    strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		pr_err_ratelimited("heap name must be 1 to %d characters without '/', not . or ..\n",
				   PPC_NAME_MAX - 1);
		return ERR_PTR(-EINVAL);
	}
	heap = kzalloc(sizeof(*heap), GFP_KERNEL);
	if (!heap)
		return ERR_PTR(-ENOMEM);
	kref_init(&heap->ref);
	atomic_set(&heap->live, 1);
	atomic_long_set(&heap->pages, 0);
	heap->max_pages = max_pages;
	heap->pool = pool;
	heap->owner = owner;
	strscpy(heap->name, name, sizeof(heap->name));
	snprintf(heap->miscname, sizeof(heap->miscname),
		 "pcpu_pagecache_heap_%s", name);
	snprintf(heap->nodename, sizeof(heap->nodename), "dma_heap/%s", name);
	heap->misc.minor = MISC_DYNAMIC_MINOR;
	heap->misc.name = heap->miscname;
	heap->misc.nodename = heap->nodename;
	heap->misc.mode = 0600;
	heap->misc.fops = &ppc_heap_fops;
	ret = misc_register(&heap->misc);
	if (ret) {
		pr_err_ratelimited("%s: cannot register heap %s: %d\n",
				   pool->name, name, ret);
		kfree(heap);
		return ERR_PTR(ret);
	}
	return heap;
}
EXPORT_SYMBOL_GPL(__pcpu_pagecache_heap_add);

/**
 * pcpu_pagecache_heap_remove - remove a heap device
 * @heap: what pcpu_pagecache_heap_add() returned, or NULL or an ERR_PTR()
 *
 * The device goes at once; files of it still open fail their allocations
 * with -ENODEV.  Then waits until every buffer of the heap has been
 * released, since each uses the pool: none is left when called from the
 * exit of the module that added the heap (each buffer holds that module).
 * Call it before destroying the pool.  Process context; may sleep.
 */
void pcpu_pagecache_heap_remove(struct pcpu_pagecache_heap *heap)
{
	if (IS_ERR_OR_NULL(heap))
		return;
	misc_deregister(&heap->misc);
	ppc_heap_live_put(heap);
	wait_var_event(&heap->live, !atomic_read(&heap->live));
	kref_put(&heap->ref, ppc_heap_free);
}
EXPORT_SYMBOL_GPL(pcpu_pagecache_heap_remove);

/* ---- The default pool's heap (heap=1) ------------------------------------ */

static struct pcpu_pagecache_heap *ppc_default_heap;

int ppc_heap_default_add(struct pcpu_pagecache *pool)
{
	struct pcpu_pagecache_heap *heap;

	if (!param_heap)
		return 0;
	heap = pcpu_pagecache_heap_add(pool, PPC_HEAP_DEFAULT_NAME,
				       param_heap_max_pages);
	if (IS_ERR(heap))
		return PTR_ERR(heap);
	ppc_default_heap = heap;
	return 0;
}

void ppc_heap_default_remove(void)
{
	pcpu_pagecache_heap_remove(ppc_default_heap);
	ppc_default_heap = NULL;
}

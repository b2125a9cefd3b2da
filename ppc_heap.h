/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The default pool's dma-buf heap (ppc_heap.c), which the module's init
 * and exit add and remove: the "heap" and "heap_max_pages" parameters.
 * Built where the kernel has dma-bufs (CONFIG_DMA_SHARED_BUFFER).
 */
#ifndef _PPC_HEAP_H
#define _PPC_HEAP_H

struct pcpu_pagecache;

/* The default pool's heap: /dev/dma_heap/pcpu_pagecache. */
#define PPC_HEAP_DEFAULT_NAME	"pcpu_pagecache"

#if IS_ENABLED(CONFIG_DMA_SHARED_BUFFER)
int ppc_heap_default_add(struct pcpu_pagecache *pool);
void ppc_heap_default_remove(void);
#else
static inline int ppc_heap_default_add(struct pcpu_pagecache *pool)
{
	return 0;
}

static inline void ppc_heap_default_remove(void)
{
}
#endif

#endif /* _PPC_HEAP_H */

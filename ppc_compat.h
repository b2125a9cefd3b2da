/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few primitives ppc_core.c uses, so that the same file builds into the
 * module and into host test programs (tools/testing/ppc_core): kernel
 * headers under __KERNEL__, the C library and compiler builtins otherwise.
 * Only what ppc_core.c needs lives here; a host program that wants more
 * includes the C library itself.
 */
#ifndef _PPC_COMPAT_H
#define _PPC_COMPAT_H

#ifdef __KERNEL__

#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/prefetch.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/vmalloc.h>

/*
 * kvmalloc() refuses sizes above INT_MAX, and a 64 TiB pool has a 2 GiB
 * bitmap: vmalloc takes those.  kvfree() frees either.
 */
static inline void *ppc_zalloc(size_t size)
{
	return size > INT_MAX ? vzalloc(size) : kvzalloc(size, GFP_KERNEL);
}

static inline void ppc_zfree(void *p)
{
	kvfree(p);
}

#else /* !__KERNEL__ */

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define BITS_PER_LONG		64
#define BIT(nr)			(1UL << (nr))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define prefetch(x)		__builtin_prefetch(x)
#define cond_resched()		do { } while (0)

static_assert(sizeof(unsigned long) * 8 == BITS_PER_LONG,
	      "ppc_core needs 64-bit longs");

/* Undefined for 0, as in the kernel. */
static inline unsigned long __ffs(unsigned long x)
{
	return __builtin_ctzl(x);
}

static inline unsigned long __fls(unsigned long x)
{
	return BITS_PER_LONG - 1 - __builtin_clzl(x);
}

static inline unsigned int hweight_long(unsigned long x)
{
	return __builtin_popcountl(x);
}

#define min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a < _b ? _a : _b; })
#define max(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a > _b ? _a : _b; })
#define min_t(type, a, b) min((type)(a), (type)(b))
#define max_t(type, a, b) max((type)(a), (type)(b))

/*
 * Host programs count warnings and may fail the next allocations on
 * purpose: both are defined by the program (one per program).
 */
extern unsigned long ppc_host_warnings;
extern unsigned long ppc_host_fail_alloc;

static inline bool ppc_host_warn(bool cond, const char *what,
				 const char *file, int line)
{
	if (cond) {
		ppc_host_warnings++;
		fprintf(stderr, "WARNING: %s:%d: %s\n", file, line, what);
	}
	return cond;
}

#define WARN_ON_ONCE(cond) ppc_host_warn(!!(cond), #cond, __FILE__, __LINE__)

/* Cache-line aligned, like the kernel's vmalloc and large kmalloc. */
static inline void *ppc_zalloc(size_t size)
{
	void *p;

	if (ppc_host_fail_alloc && !--ppc_host_fail_alloc)
		return NULL;
	size = (size + 63) & ~(size_t)63;
	p = aligned_alloc(64, size ? size : 64);
	if (p)
		memset(p, 0, size);
	return p;
}

static inline void ppc_zfree(void *p)
{
	free(p);
}

#endif /* __KERNEL__ */

#endif /* _PPC_COMPAT_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events of pcpu_pagecache: everything that leaves the lockless fast
 * path.  The fast path itself has no event: it is the part that must stay
 * a handful of instructions.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pcpu_pagecache

#if !defined(_PCPU_PAGECACHE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PCPU_PAGECACHE_TRACE_H

#include <linux/tracepoint.h>

/*
 * Why a window went back to the bitmaps, or was taken from them: the enum,
 * its export to user space and the names printed, from one list (the
 * EM()/EMe() idiom of include/trace/events/migrate.h).
 */
#define PPC_FLUSH_REASONS				\
	EM(PPC_FLUSH_REFILL,	"refill")		\
	EM(PPC_FLUSH_HOTPLUG,	"hotplug")		\
	EM(PPC_FLUSH_DRAIN,	"drain")		\
	EM(PPC_FLUSH_DESTROY,	"destroy")		\
	EMe(PPC_FLUSH_RECLAIM,	"reclaim")

#ifndef _PCPU_PAGECACHE_TRACE_ENUM
#define _PCPU_PAGECACHE_TRACE_ENUM
#undef EM
#undef EMe
#define EM(a, b)	a,
#define EMe(a, b)	a
enum ppc_flush_reason { PPC_FLUSH_REASONS };
#endif

#undef EM
#undef EMe
#define EM(a, b)	TRACE_DEFINE_ENUM(a);
#define EMe(a, b)	TRACE_DEFINE_ENUM(a);
PPC_FLUSH_REASONS

#undef EM
#undef EMe
#define EM(a, b)	{ a, b },
#define EMe(a, b)	{ a, b }

/*
 * The pool name is copied into a fixed array rather than __string(): the
 * __assign_str() signature differs between 6.1 and 6.12.
 */
DECLARE_EVENT_CLASS(pcpu_pagecache_window,
	TP_PROTO(const char *pool, unsigned int cpu, phys_addr_t base,
		 unsigned int npages, int reason),
	TP_ARGS(pool, cpu, base, npages, reason),
	TP_STRUCT__entry(
		__array(char, pool, 32)
		__field(unsigned int, cpu)
		__field(u64, base)
		__field(unsigned int, npages)
		__field(int, reason)
	),
	TP_fast_assign(
		strscpy(__entry->pool, pool, sizeof(__entry->pool));
		__entry->cpu = cpu;
		__entry->base = base;
		__entry->npages = npages;
		__entry->reason = reason;
	),
	TP_printk("pool=%s cpu=%u base=0x%llx npages=%u reason=%s",
		  __entry->pool, __entry->cpu, __entry->base, __entry->npages,
		  __print_symbolic(__entry->reason, PPC_FLUSH_REASONS))
);

/* A window taken from the bitmaps: npages is how many of it were free. */
DEFINE_EVENT(pcpu_pagecache_window, pcpu_pagecache_refill,
	TP_PROTO(const char *pool, unsigned int cpu, phys_addr_t base,
		 unsigned int npages, int reason),
	TP_ARGS(pool, cpu, base, npages, reason)
);

/* A window given back: npages is how many free pages went back. */
DEFINE_EVENT(pcpu_pagecache_window, pcpu_pagecache_flush,
	TP_PROTO(const char *pool, unsigned int cpu, phys_addr_t base,
		 unsigned int npages, int reason),
	TP_ARGS(pool, cpu, base, npages, reason)
);

DECLARE_EVENT_CLASS(pcpu_pagecache_range,
	TP_PROTO(const char *pool, phys_addr_t addr, unsigned int npages),
	TP_ARGS(pool, addr, npages),
	TP_STRUCT__entry(
		__array(char, pool, 32)
		__field(u64, addr)
		__field(unsigned int, npages)
	),
	TP_fast_assign(
		strscpy(__entry->pool, pool, sizeof(__entry->pool));
		__entry->addr = addr;
		__entry->npages = npages;
	),
	TP_printk("pool=%s addr=0x%llx npages=%u",
		  __entry->pool, __entry->addr, __entry->npages)
);

/* Served from the bitmaps under the lock (including after a refill). */
DEFINE_EVENT(pcpu_pagecache_range, pcpu_pagecache_alloc_slow,
	TP_PROTO(const char *pool, phys_addr_t addr, unsigned int npages),
	TP_ARGS(pool, addr, npages)
);

DEFINE_EVENT(pcpu_pagecache_range, pcpu_pagecache_free_slow,
	TP_PROTO(const char *pool, phys_addr_t addr, unsigned int npages),
	TP_ARGS(pool, addr, npages)
);

/* No run of npages: addr is 0. */
DEFINE_EVENT(pcpu_pagecache_range, pcpu_pagecache_alloc_fail,
	TP_PROTO(const char *pool, phys_addr_t addr, unsigned int npages),
	TP_ARGS(pool, addr, npages)
);

TRACE_EVENT(pcpu_pagecache_invalid_free,
	TP_PROTO(const char *pool, phys_addr_t addr, unsigned int npages,
		 const char *why, unsigned long caller),
	TP_ARGS(pool, addr, npages, why, caller),
	TP_STRUCT__entry(
		__array(char, pool, 32)
		__field(u64, addr)
		__field(unsigned int, npages)
		__array(char, why, 32)
		__field(unsigned long, caller)
	),
	TP_fast_assign(
		strscpy(__entry->pool, pool, sizeof(__entry->pool));
		__entry->addr = addr;
		__entry->npages = npages;
		strscpy(__entry->why, why, sizeof(__entry->why));
		__entry->caller = caller;
	),
	TP_printk("pool=%s addr=0x%llx npages=%u why=%s caller=%pS",
		  __entry->pool, __entry->addr, __entry->npages, __entry->why,
		  (void *)__entry->caller)
);

#endif /* _PCPU_PAGECACHE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE pcpu_pagecache_trace
#include <trace/define_trace.h>

// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_count_plugin: a QEMU TCG plugin that counts, exactly, the guest
 * instructions executed and the memory accesses made (loads and stores
 * apart) between two marker instructions, on the vCPU that ran them.
 *
 * The markers are 7-byte NOPs, "nopl disp32(%rax)" (0f 1f 80 + disp32),
 * that a guest places around the code to count: disp32 0x5042TTTT begins
 * the count of tag TTTT, 0x5045TTTT ends it.  QEMU's x86 translator reads
 * no memory for a NOP's operand, and neither marker is counted.  At each
 * end the plugin writes one line through qemu_plugin_outs() (QEMU's log:
 * -d plugin -D FILE):
 *
 *   ppc_count: tag T insns N loads L stores S calls C
 *              callee_insns N1 callee_loads L1 callee_stores S1
 *
 * The callee_ figures are those made below the code between the markers,
 * in the functions it calls: a call instruction (e8, ff /2, ff /3) counts
 * at the depth it runs at, and the instructions after it one level deeper
 * until a return (c3, c2, cb, ca, and iret) brings the depth back.  A count
 * of a tag smaller than every earlier one of that tag (the first one, and
 * any smaller after it) is followed by the instructions it counted, as
 * "ppc_count: trace T DEPTH VADDR DISASSEMBLY" lines: the last such block
 * of a tag is the smallest count's.
 *
 * A memory access is one callback of QEMU's: one per load or store the
 * translated instruction makes, whatever its size (a push is one store, a
 * call one store, a ret one load, an add to memory one load and one store).
 * Page-table walks are not guest instructions and are not counted.
 *
 * Debian's QEMU 7.2 ships no plugin header: qemu_plugin_api.h has this
 * plugin's own declarations of the API it uses.
 *
 * Build: gcc -shared -fPIC -O2 -o ppc_count_plugin.so ppc_count_plugin.c
 * Use:   qemu-system-x86_64 ... -plugin ./ppc_count_plugin.so -d plugin -D log
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

/* ---- The plugin ---------------------------------------------------------- */

EXPORTED int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARK_BEGIN	0x5042u
#define MARK_END	0x5045u
#define MAX_VCPUS	64
#define MAX_TAGS	256
#define MAX_TRACE	4096

enum ikind { I_PLAIN, I_CALL, I_RET, I_BEGIN, I_END };

/* One translated instruction; never freed (translations are few). */
struct insn {
	enum ikind kind;
	unsigned int tag;
	unsigned long long vaddr;
	char *disas;
};

struct vcpu {
	bool on;
	unsigned int tag;
	long depth;
	unsigned long long insns, loads, stores, calls;
	unsigned long long c_insns, c_loads, c_stores;
	/* The instructions counted, and the depth each ran at. */
	const struct insn *trace[MAX_TRACE];
	long trace_depth[MAX_TRACE];
};

static struct vcpu vcpus[MAX_VCPUS];
/* Each tag's smallest count so far, plus one (0: none yet). */
static unsigned long long best[MAX_TAGS];

/* What an instruction is, from its bytes: a marker, a call, a return. */
static enum ikind classify(const unsigned char *b, size_t n, unsigned int *tag)
{
	size_t i = 0;
	unsigned int disp;

	if (n == 7 && b[0] == 0x0f && b[1] == 0x1f && b[2] == 0x80) {
		memcpy(&disp, b + 3, 4);
		*tag = disp & 0xffff;
		if (disp >> 16 == MARK_BEGIN)
			return I_BEGIN;
		if (disp >> 16 == MARK_END)
			return I_END;
	}
	/* Legacy prefixes, then REX. */
	while (i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xf2 ||
			 b[i] == 0xf3 || b[i] == 0x2e || b[i] == 0x3e ||
			 b[i] == 0x26 || b[i] == 0x36 || b[i] == 0x64 ||
			 b[i] == 0x65 || b[i] == 0xf0))
		i++;
	if (i < n && (b[i] & 0xf0) == 0x40)
		i++;
	if (i >= n)
		return I_PLAIN;
	switch (b[i]) {
	case 0xe8:
		return I_CALL;
	case 0xff:
		if (i + 1 < n && ((b[i + 1] >> 3) & 7) >= 2 &&
		    ((b[i + 1] >> 3) & 7) <= 3)
			return I_CALL;
		return I_PLAIN;
	case 0xc3:
	case 0xc2:
	case 0xcb:
	case 0xca:
	case 0xcf:
		return I_RET;
	}
	return I_PLAIN;
}

static void end_count(struct vcpu *v)
{
	char line[256];
	unsigned long long i;

	snprintf(line, sizeof(line),
		 "ppc_count: tag %u insns %llu loads %llu stores %llu calls %llu callee_insns %llu callee_loads %llu callee_stores %llu\n",
		 v->tag, v->insns,
		 v->loads, v->stores,
		 v->calls, v->c_insns,
		 v->c_loads,
		 v->c_stores);
	qemu_plugin_outs(line);
	v->on = false;
	if (v->tag >= MAX_TAGS || (best[v->tag] && v->insns + 1 >= best[v->tag]))
		return;
	best[v->tag] = v->insns + 1;
	for (i = 0; i < v->insns && i < MAX_TRACE; i++) {
		snprintf(line, sizeof(line), "ppc_count: trace %u %ld %llx %s\n",
			 v->tag, v->trace_depth[i],
			 v->trace[i]->vaddr,
			 v->trace[i]->disas ? v->trace[i]->disas : "?");
		qemu_plugin_outs(line);
	}
}

static void on_exec(unsigned int vcpu, void *udata)
{
	struct insn *in = udata;
	struct vcpu *v;

	if (vcpu >= MAX_VCPUS)
		return;
	v = &vcpus[vcpu];
	switch (in->kind) {
	case I_BEGIN:
		v->on = true;
		v->tag = in->tag;
		v->depth = 0;
		v->insns = 0;
		v->loads = 0;
		v->stores = 0;
		v->calls = 0;
		v->c_insns = 0;
		v->c_loads = 0;
		v->c_stores = 0;
		return;
	case I_END:
		if (v->on && v->tag == in->tag)
			end_count(v);
		return;
	default:
		break;
	}
	if (!v->on)
		return;
	if (v->insns < MAX_TRACE) {
		v->trace[v->insns] = in;
		v->trace_depth[v->insns] = v->depth;
	}
	v->insns++;
	if (v->depth > 0)
		v->c_insns++;
	/* The depth the next instruction runs at. */
	if (in->kind == I_CALL) {
		v->calls++;
		v->depth++;
	} else if (in->kind == I_RET) {
		v->depth--;
	}
}

static void on_mem(unsigned int vcpu, unsigned int meminfo, unsigned long long vaddr,
		   void *udata)
{
	struct insn *in = udata;
	struct vcpu *v;
	bool store = qemu_plugin_mem_is_store(meminfo);
	/*
	 * The callback comes after the instruction's exec callback, which
	 * moved the depth on for a call or a return: the access belongs to
	 * the level the instruction ran at.
	 */
	long depth;

	if (vcpu >= MAX_VCPUS)
		return;
	v = &vcpus[vcpu];
	if (!v->on)
		return;
	depth = v->depth - (in->kind == I_CALL) + (in->kind == I_RET);
	if (store)
		v->stores++;
	else
		v->loads++;
	if (depth > 0) {
		if (store)
			v->c_stores++;
		else
			v->c_loads++;
	}
}

static void on_trans(unsigned long long id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *qi = qemu_plugin_tb_get_insn(tb, i);
		struct insn *in = calloc(1, sizeof(*in));

		if (!in)
			abort();
		in->kind = classify(qemu_plugin_insn_data(qi),
				    qemu_plugin_insn_size(qi), &in->tag);
		in->vaddr = qemu_plugin_insn_vaddr(qi);
		in->disas = qemu_plugin_insn_disas(qi);
		qemu_plugin_register_vcpu_insn_exec_cb(qi, on_exec,
						       QEMU_PLUGIN_CB_NO_REGS,
						       in);
		if (in->kind != I_BEGIN && in->kind != I_END)
			qemu_plugin_register_vcpu_mem_cb(qi, on_mem,
							 QEMU_PLUGIN_CB_NO_REGS,
							 QEMU_PLUGIN_MEM_RW,
							 in);
	}
}

EXPORTED int qemu_plugin_install(unsigned long long id, const struct qemu_info *info,
				 int argc, char **argv)
{
	char line[128];

	if (strcmp(info->target_name, "x86_64") != 0) {
		fprintf(stderr, "ppc_count: x86_64 guests only\n");
		return -1;
	}
	snprintf(line, sizeof(line),
		 "ppc_count: installed, QEMU plugin API %d..%d, built for %d\n",
		 info->version.min, info->version.cur, QEMU_PLUGIN_VERSION);
	qemu_plugin_outs(line);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
	return 0;
}

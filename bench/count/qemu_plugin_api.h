/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of QEMU's TCG plugin API that ppc_count_plugin.c uses, declared
 * from QEMU 7.2's plugin documentation (docs/devel/tcg-plugins.rst and the
 * API reference it includes): Debian's QEMU 7.2 ships no qemu-plugin.h.
 * 7.2 accepts plugins built for API versions 0 to 1 (its qemu_info says
 * so at install) and refuses one whose qemu_plugin_version is outside.
 * No typedefs, and the types of the same size and ABI spelled the kernel's
 * way: qemu_plugin_id_t and the uint64_t's are unsigned long long here,
 * qemu_plugin_meminfo_t (uint32_t) unsigned int, the flags enums int.
 */
#ifndef PPC_QEMU_PLUGIN_API_H
#define PPC_QEMU_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXPORTED __attribute__((visibility("default")))

#define QEMU_PLUGIN_VERSION	1

struct qemu_plugin_tb;
struct qemu_plugin_insn;

/* qemu_info_t: what QEMU tells the plugin at install. */
struct qemu_info {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
};

/* enum qemu_plugin_cb_flags and enum qemu_plugin_mem_rw */
enum { QEMU_PLUGIN_CB_NO_REGS = 0 };
enum { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W = 2, QEMU_PLUGIN_MEM_RW = 3 };

void qemu_plugin_register_vcpu_tb_trans_cb(unsigned long long id,
					   void (*cb)(unsigned long long id,
						      struct qemu_plugin_tb *tb));
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    void (*cb)(unsigned int vcpu,
						       void *udata),
					    int flags, void *udata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn,
				      void (*cb)(unsigned int vcpu,
						 unsigned int meminfo,
						 unsigned long long vaddr, void *udata),
				      int flags, int rw, void *udata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
unsigned long long qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
/* A string the caller frees (g_free(), which is free() in glib 2.46 on). */
char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *insn);
bool qemu_plugin_mem_is_store(unsigned int meminfo);
void qemu_plugin_outs(const char *string);

/* What the plugin exports. */
extern EXPORTED int qemu_plugin_version;
EXPORTED int qemu_plugin_install(unsigned long long id, const struct qemu_info *info,
				 int argc, char **argv);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache_fail_init: make the N-th fault-injection point of a
 * module's init fail, and no other.
 *
 * /proc/<pid>/fail-nth counts every fault point of a task from the moment
 * it is written, so a load with fail-nth set fails the module loader's own
 * allocations (reading the file, sections, sysfs, trace events, KUnit)
 * hundreds of times before the module's init sees a fault.  This module
 * sets the loading task's fail_nth when the kernel is about to call the
 * target module's init (tracepoint initcall_start) and takes it back when
 * the init returns (initcall_finish), so the count starts and ends with the
 * init.  Used by pcpu_pagecache_fault.sh; only built where the kernel has
 * CONFIG_FAULT_INJECTION.
 *
 * /sys/kernel/debug/pcpu_pagecache_fail_init/
 *   nth       write N: the next init of the target fails its N-th fault
 *             point; 0 disarms (and keeps the result); reads the N still
 *             armed
 *   result    "nth=N left=L ret=R" of the last armed init: L = 0 if the
 *             fault was injected, R what the init returned; or "none"
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/tracepoint.h>

static char target[MODULE_NAME_LEN] = "pcpu_pagecache";
module_param_string(target, target, sizeof(target), 0444);
MODULE_PARM_DESC(target, "the module whose init fails (default pcpu_pagecache)");

static DEFINE_SPINLOCK(fi_lock);
static unsigned int fi_armed;		/* N for the next init of the target */
static initcall_t fi_target_init;	/* the target's init while it comes */
static struct task_struct *fi_task;	/* running that init, fault armed */
static struct {
	bool valid;
	unsigned int nth;
	unsigned int left;
	int ret;
} fi_result;

static struct tracepoint *tp_start, *tp_finish;
static struct dentry *fi_dir;

/* Probes run with preemption disabled, in the task that loads the module. */
static void fi_initcall_start(void *data, initcall_t fn)
{
	if (fn != READ_ONCE(fi_target_init))
		return;
	spin_lock(&fi_lock);
	if (fi_armed) {
		current->fail_nth = fi_armed;
		fi_result.valid = false;
		fi_result.nth = fi_armed;
		fi_armed = 0;
		fi_task = current;
	}
	spin_unlock(&fi_lock);
}

static void fi_initcall_finish(void *data, initcall_t fn, int ret)
{
	if (READ_ONCE(fi_task) != current)
		return;
	spin_lock(&fi_lock);
	fi_result.left = current->fail_nth;
	fi_result.ret = ret;
	fi_result.valid = true;
	/* Nothing after the init may fail. */
	current->fail_nth = 0;
	fi_task = NULL;
	spin_unlock(&fi_lock);
}

static int fi_module_notify(struct notifier_block *nb, unsigned long state,
			    void *data)
{
	struct module *mod = data;

	if (strcmp(mod->name, target))
		return NOTIFY_DONE;
	WRITE_ONCE(fi_target_init, state == MODULE_STATE_COMING ? mod->init : NULL);
	return NOTIFY_DONE;
}

static struct notifier_block fi_module_nb = {
	.notifier_call = fi_module_notify,
};

static int fi_nth_get(void *data, u64 *val)
{
	spin_lock(&fi_lock);
	*val = fi_armed;
	spin_unlock(&fi_lock);
	return 0;
}

static int fi_nth_set(void *data, u64 val)
{
	if (val > UINT_MAX)
		return -EINVAL;
	spin_lock(&fi_lock);
	fi_armed = val;
	/* Disarming keeps the result of the last init to read. */
	if (val)
		fi_result.valid = false;
	spin_unlock(&fi_lock);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(fi_nth_fops, fi_nth_get, fi_nth_set, "%llu\n");

static int fi_result_show(struct seq_file *m, void *v)
{
	unsigned int nth, left;
	bool valid;
	int ret;

	spin_lock(&fi_lock);
	valid = fi_result.valid;
	nth = fi_result.nth;
	left = fi_result.left;
	ret = fi_result.ret;
	spin_unlock(&fi_lock);
	if (valid)
		seq_printf(m, "nth=%u left=%u ret=%d\n", nth, left, ret);
	else
		seq_puts(m, "none\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fi_result);

static void fi_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "initcall_start"))
		tp_start = tp;
	else if (!strcmp(tp->name, "initcall_finish"))
		tp_finish = tp;
}

static int __init fi_init(void)
{
	int ret;

	for_each_kernel_tracepoint(fi_find_tp, NULL);
	if (!tp_start || !tp_finish) {
		pr_err("no initcall_start/initcall_finish tracepoints\n");
		return -ENODEV;
	}
	ret = register_module_notifier(&fi_module_nb);
	if (ret)
		return ret;
	ret = tracepoint_probe_register(tp_start, fi_initcall_start, NULL);
	if (ret)
		goto err_notifier;
	ret = tracepoint_probe_register(tp_finish, fi_initcall_finish, NULL);
	if (ret)
		goto err_start;
	fi_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file_unsafe("nth", 0600, fi_dir, NULL, &fi_nth_fops);
	debugfs_create_file("result", 0400, fi_dir, NULL, &fi_result_fops);
	return 0;

err_start:
	tracepoint_probe_unregister(tp_start, fi_initcall_start, NULL);
	tracepoint_synchronize_unregister();
err_notifier:
	unregister_module_notifier(&fi_module_nb);
	return ret;
}

static void __exit fi_exit(void)
{
	debugfs_remove_recursive(fi_dir);
	tracepoint_probe_unregister(tp_finish, fi_initcall_finish, NULL);
	tracepoint_probe_unregister(tp_start, fi_initcall_start, NULL);
	tracepoint_synchronize_unregister();
	unregister_module_notifier(&fi_module_nb);
}

module_init(fi_init);
module_exit(fi_exit);
MODULE_DESCRIPTION("Fail the N-th allocation of a module's init (fail-nth), for tests");
MODULE_LICENSE("GPL");

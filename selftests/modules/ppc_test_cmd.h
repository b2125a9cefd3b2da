/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The debugfs command file of the test modules, shared by
 * test_pcpu_pagecache and pcpu_pagecache_owners_test (separate modules:
 * everything here is static).
 *
 * A command is a line written to the file: "NAME" or "NAME:ARG", run
 * under the module's mutex, most often by looking NAME up in a table of
 * actions; the write returns the byte count if the command returned 0,
 * its error if not (-EINVAL for a name in no table).
 */
#ifndef PPC_TEST_CMD_H
#define PPC_TEST_CMD_H

#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/uaccess.h>

/* An action: @fn gets the text after the ':', or NULL if there is none. */
struct ppc_test_action {
	const char *name;
	int (*fn)(const char *arg);
};

/* The entry of @acts (@n of them) named @name, or NULL. */
static inline const struct ppc_test_action *
ppc_test_action_find(const struct ppc_test_action *acts, size_t n,
		     const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(name, acts[i].name))
			return &acts[i];
	return NULL;
}

/*
 * What a command file runs: @run(name, arg) under @lock.  Give it as the
 * file's data to debugfs_create_file() with ppc_test_cmd_fops, or take
 * ppc_test_cmd_write() as the .write of fops of one's own.
 */
struct ppc_test_cmd_file {
	struct mutex *lock;		/* serializes the commands */
	int (*run)(char *name, char *arg);
};

#define PPC_TEST_CMD_MAX	64

/*
 * Copy a command of fewer than PPC_TEST_CMD_MAX bytes from user space,
 * strip it, split "NAME:ARG" (arg is NULL without a ':'), then run it.
 * Returns what a write handler returns.
 */
static ssize_t ppc_test_cmd_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	const struct ppc_test_cmd_file *c = file_inode(file)->i_private;
	char buf[PPC_TEST_CMD_MAX], *name, *arg;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	name = strim(buf);
	arg = strchr(name, ':');
	if (arg)
		*arg++ = '\0';
	mutex_lock(c->lock);
	ret = c->run(name, arg);
	mutex_unlock(c->lock);
	return ret ?: count;
}

static const struct file_operations ppc_test_cmd_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = ppc_test_cmd_write,
	.llseek = default_llseek,
};

#endif /* PPC_TEST_CMD_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ppc_test_cmd.h: the debugfs command file of the test modules, shared by
 * test_pcpu_pagecache and pcpu_pagecache_owners_test (separate modules:
 * everything here is static).
 *
 * A command is a line written to the file: "NAME" or "NAME:ARG".  It is
 * looked up in a table of actions and run under the caller's mutex; the
 * write returns the byte count if the action returned 0, its error if
 * not, and -EINVAL for a name in no table.
 */
#ifndef PPC_TEST_CMD_H
#define PPC_TEST_CMD_H

#include <linux/fs.h>
#include <linux/kernel.h>
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
 * Copy a command of fewer than @max bytes from user space into @buf,
 * strip it, split "NAME:ARG" (*@arg is NULL without a ':'), then run
 * @run(name, arg) under @lock.  Returns what a write handler returns.
 */
static inline ssize_t ppc_test_cmd_write(const char __user *ubuf, size_t count,
					 char *buf, size_t max,
					 struct mutex *lock,
					 int (*run)(char *name, char *arg))
{
	char *name, *arg;
	int ret;

	if (count >= max)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	name = strim(buf);
	arg = strchr(name, ':');
	if (arg)
		*arg++ = '\0';
	mutex_lock(lock);
	ret = run(name, arg);
	mutex_unlock(lock);
	return ret ?: count;
}

#endif /* PPC_TEST_CMD_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache_fail_nth: fail every fault-injection point of one write()
 * in turn, through /proc/thread-self/fail-nth
 * (Documentation/fault-injection/fault-injection.rst, "Systematic faults
 * using fail-nth").  Run by pcpu_pagecache_fault.sh on test_pcpu_pagecache's
 * run file, to fail the allocations of a pcpu_pagecache_create().
 *
 *   pcpu_pagecache_fail_nth [-g PATH]... [-i TEXT]... [-n MAX] [-v] FILE TEXT
 *
 * For N = 1, 2, ... it makes the N-th fault point of a write() of TEXT to
 * FILE fail, until a write succeeds with no fault consumed.  The file is
 * open and fail-nth is set right before the write, in this process, so
 * only the write's own fault points count.  After each write that failed,
 * nothing may be left behind:
 *
 *   -g PATH   PATH does not exist (may be repeated)
 *   -i TEXT   no line of /proc/iomem contains TEXT (may be repeated)
 *
 *   -n MAX    give up after N = MAX (default 1000)
 *   -v        print the result of every N
 *
 * Around each write it writes "pcpu_pagecache_fault: begin ..." and "...
 * end ..." to /dev/kmsg: the host tells the allocation failure reports an
 * injected fault causes from other kernel messages by them.
 *
 * Output: KTAP diagnostic lines ("# ..."): one per problem, and a summary.
 * Exit status: 0 if the loop ended with a clean success and no problem, 1
 * if not, 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CHECKS	8
#define MAX_ERRNO	4096

static const char *gone_paths[MAX_CHECKS];
static const char *iomem_texts[MAX_CHECKS];
static int nr_gone, nr_iomem;
static int kmsg_fd = -1;
static unsigned int errs[MAX_ERRNO];

static void kmsg(const char *what, unsigned int n)
{
	char line[128];
	int len;

	if (kmsg_fd < 0)
		return;
	len = snprintf(line, sizeof(line), "pcpu_pagecache_fault: %s write nth=%u\n",
		       what, n);
	if (len > 0 && write(kmsg_fd, line, (size_t)len) < 0)
		return;
}

static int bad_args(const char *prog)
{
	fprintf(stderr, "usage: %s [-g PATH]... [-i TEXT]... [-n MAX] [-v] FILE TEXT\n",
		prog);
	return 2;
}

/* /proc/iomem, whole; NULL if it cannot be read. */
static char *read_iomem(void)
{
	size_t size = 1 << 16, n = 0;
	char *buf = malloc(size + 1), *p;
	ssize_t r;
	int fd;

	fd = open("/proc/iomem", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (n == size) {
			p = realloc(buf, 2 * size + 1);
			if (!p)
				break;
			buf = p;
			size *= 2;
		}
		r = read(fd, buf + n, size - n);
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	return buf;
}

/* What a failed write left behind, as diagnostic lines; false if anything. */
static bool check_gone(unsigned int n)
{
	bool clean = true;
	struct stat st;
	char *iomem;
	int i;

	for (i = 0; i < nr_gone; i++) {
		if (!stat(gone_paths[i], &st)) {
			printf("# nth=%u: the write failed but %s exists\n", n,
			       gone_paths[i]);
			clean = false;
		}
	}
	iomem = nr_iomem ? read_iomem() : NULL;
	for (i = 0; iomem && i < nr_iomem; i++) {
		if (strstr(iomem, iomem_texts[i])) {
			printf("# nth=%u: the write failed but /proc/iomem has %s\n",
			       n, iomem_texts[i]);
			clean = false;
		}
	}
	free(iomem);
	return clean;
}

int main(int argc, char **argv)
{
	unsigned int n, max = 1000, failed = 0, absorbed = 0, problems = 0;
	bool verbose = false, done = false;
	const char *file, *text;
	char buf[32], *end;
	int fd, nth_fd, opt, err;
	unsigned long left;
	ssize_t r;

	while ((opt = getopt(argc, argv, "g:i:n:v")) != -1) {
		switch (opt) {
		case 'g':
			if (nr_gone == MAX_CHECKS)
				return bad_args(argv[0]);
			gone_paths[nr_gone++] = optarg;
			break;
		case 'i':
			if (nr_iomem == MAX_CHECKS)
				return bad_args(argv[0]);
			iomem_texts[nr_iomem++] = optarg;
			break;
		case 'n':
			max = strtoul(optarg, &end, 0);
			if (*end || !max)
				return bad_args(argv[0]);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			return bad_args(argv[0]);
		}
	}
	if (argc - optind != 2)
		return bad_args(argv[0]);
	file = argv[optind];
	text = argv[optind + 1];

	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", file, strerror(errno));
		return 2;
	}
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth_fd < 0) {
		fprintf(stderr, "/proc/thread-self/fail-nth: %s\n", strerror(errno));
		return 2;
	}
	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (n = 1; n <= max; n++) {
		kmsg("begin", n);
		snprintf(buf, sizeof(buf), "%u", n);
		if (write(nth_fd, buf, strlen(buf)) < 0) {
			fprintf(stderr, "setting fail-nth: %s\n", strerror(errno));
			return 2;
		}
		/* Nothing between here and the write. */
		err = write(fd, text, strlen(text)) < 0 ? errno : 0;
		r = pread(nth_fd, buf, sizeof(buf) - 1, 0);
		/* Disarm: a fault not injected must not hit a later call. */
		if (r <= 0 || write(nth_fd, "0", 1) < 0) {
			fprintf(stderr, "reading or resetting fail-nth failed\n");
			return 2;
		}
		kmsg("end", n);
		buf[r] = '\0';
		left = strtoul(buf, NULL, 10);

		if (verbose)
			printf("# nth=%u: %s%s\n", n, err ? strerror(err) : "ok",
			       left ? ", no fault consumed" : "");
		if (!err && left) {
			printf("# nth=%u: succeeded, no fault consumed: %lu fault points\n",
			       n, n - left);
			done = true;
			break;
		}
		if (!err) {
			absorbed++;
			continue;
		}
		failed++;
		errs[err < MAX_ERRNO ? err : 0]++;
		if (left) {
			printf("# nth=%u: failed (%s) with no fault consumed\n", n,
			       strerror(err));
			problems++;
			break;
		}
		if (!check_gone(n))
			problems++;
	}
	if (!done && n > max) {
		printf("# gave up after %u faults\n", max);
		problems++;
	}
	printf("# %u faults injected: %u failed the write cleanly, %u absorbed\n",
	       failed + absorbed, failed, absorbed);
	for (n = 0; n < MAX_ERRNO; n++)
		if (errs[n])
			printf("#   %u failed with %s\n", errs[n],
			       n ? strerror(n) : "a large errno");
	return problems || !done ? 1 : 0;
}

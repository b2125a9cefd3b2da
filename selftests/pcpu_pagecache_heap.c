// SPDX-License-Identifier: GPL-2.0
/*
 * pcpu_pagecache_heap: the dma-buf heap of pcpu_pagecache's default pool,
 * /dev/dma_heap/pcpu_pagecache, from user space, with the heap ABI of
 * <linux/dma-heap.h> as any heap client uses it.
 *
 * It loads pcpu_pagecache three times (and test_pcpu_pagecache and vgem
 * where they are there):
 *   1. heap=1 track=1 on the guest's reserved range (64 MiB at 0x30000000:
 *      page frames without struct page): buffers of 4 KiB to 64 MiB,
 *      mmap, patterns, DMA_BUF_IOCTL_SYNC, fresh buffers all zeros, an fd
 *      passed to another process over a UNIX socket, a process killed
 *      with buffers, owners naming the heap, every bad input's errno with
 *      nothing leaked, exhaustion, vgem and the test module importing,
 *      and the module pinned while a buffer lives;
 *   2. heap=1 from the page allocator (struct pages; runs of 4 MiB at
 *      most): the same sizes up to 4 MiB, 8 MiB refused, the importers;
 *   3. heap=1 heap_max_pages=256: the cap.
 * Pages of the pool are counted through debugfs, after a drain.
 *
 * Options:
 *   -a BYTES  no tests: allocate a buffer of BYTES from the heap (the
 *             module must be loaded with heap=1), map it, write and read
 *             it, and hold it until a line is read from stdin
 *   -b REPS   no tests: the benchmark, REPS rounds (bench: lines), of
 *             this heap and, where there is one, /dev/dma_heap/system
 *   -t NAME   run only this test (may be repeated)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include "kselftest.h"

#define HEAP		"/dev/dma_heap/pcpu_pagecache"
#define SYSTEM_HEAP	"/dev/dma_heap/system"
#define POOL_DIR	"/sys/kernel/debug/pcpu_pagecache/default"
#define TP_RUN		"/sys/kernel/debug/test_pcpu_pagecache/run"
#define BUFINFO		"/sys/kernel/debug/dma_buf/bufinfo"
#define RES_BASE	"0x30000000"
#define RES_SIZE	(64UL << 20)
#define KB		1024UL
#define MB		(1024 * KB)
#define PAGE		4096UL
#define MAX_BUFS	256

/*
 * The few DRM ioctls the vgem test needs, as <drm/drm.h> defines them (the
 * build host's C library headers may not have it).
 */
struct drm_prime_handle {
	__u32 handle;
	__u32 flags;
	__s32 fd;
};

struct drm_gem_close {
	__u32 handle;
	__u32 pad;
};

#define DRM_IOCTL_GEM_CLOSE		_IOW('d', 0x09, struct drm_gem_close)
#define DRM_IOCTL_PRIME_HANDLE_TO_FD	_IOWR('d', 0x2d, struct drm_prime_handle)
#define DRM_IOCTL_PRIME_FD_TO_HANDLE	_IOWR('d', 0x2e, struct drm_prime_handle)

static const char *only[32];
static int nr_only;

/* ---- Files, modules, the pool's pages ------------------------------------ */

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* pages_inuse of the default pool, after its caches are drained; -1. */
static long long pool_inuse(void)
{
	char name[64];
	long long v, got = -1;
	FILE *f;

	write_file(POOL_DIR "/drain", "1");
	f = fopen(POOL_DIR "/stats", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2)
		if (!strcmp(name, "pages_inuse"))
			got = v;
	fclose(f);
	return got;
}

/* Within a second, the pool has @want pages in use. */
static bool inuse_is(long long want, const char *when)
{
	long long got = -1;
	int i;

	for (i = 0; i < 100; i++) {
		got = pool_inuse();
		if (got == want)
			return true;
		usleep(10000);
	}
	ksft_print_msg("%s: pages_inuse %lld, expected %lld\n", when, got,
		       want);
	return false;
}

static void unload(void)
{
	sh("rmmod test_pcpu_pagecache 2>/dev/null");
	sh("rmmod vgem 2>/dev/null");
	sh("rmmod pcpu_pagecache 2>/dev/null");
}

static bool load(const char *params)
{
	unload();
	if (exists("/sys/module/pcpu_pagecache")) {
		ksft_print_msg("pcpu_pagecache stays loaded\n");
		return false;
	}
	if (sh("modprobe pcpu_pagecache %s", params)) {
		ksft_print_msg("modprobe pcpu_pagecache %s failed\n", params);
		return false;
	}
	/* The importers, where they are there. */
	sh("modprobe test_pcpu_pagecache 2>/dev/null");
	sh("modprobe vgem 2>/dev/null");
	return exists(HEAP);
}

/* ---- Buffers ------------------------------------------------------------- */

static int heap_fd = -1;

/* A dma-buf of @len bytes, or -errno. */
static int heap_alloc_on(int hfd, __u64 len)
{
	struct dma_heap_allocation_data d = {
		.len = len,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, &d))
		return -errno;
	return d.fd;
}

static int heap_alloc(__u64 len)
{
	return heap_alloc_on(heap_fd, len);
}

static unsigned char pattern(size_t i, unsigned char seed)
{
	return seed + i / PAGE + i % 251;
}

static void *map(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED) {
		ksft_print_msg("mmap of %zu bytes: %s\n", len, strerror(errno));
		return NULL;
	}
	return p;
}

static int sync_buf(int fd, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

static void fill(unsigned char *p, size_t len, unsigned char seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern(i, seed);
}

/* The first byte of @p that is not the pattern (or 0 when @zero), or -1. */
static long long first_bad(const unsigned char *p, size_t len, unsigned char seed,
			   bool zero)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (zero ? 0 : pattern(i, seed)))
			return i;
	return -1;
}

static bool check(const unsigned char *p, size_t len, unsigned char seed, bool zero,
		  const char *what)
{
	long long bad = first_bad(p, len, seed, zero);

	if (bad < 0)
		return true;
	ksft_print_msg("%s: byte %lld of %zu is %#x, expected %#x\n", what, bad,
		       len, p[bad], zero ? 0 : pattern(bad, seed));
	return false;
}

/* The size of a dma-buf: its file's end. */
static long long buf_size(int fd)
{
	return lseek(fd, 0, SEEK_END);
}

/*
 * One buffer's life: allocate, size, map, all zeros, write the pattern
 * between SYNC_START and SYNC_END, read it back, unmap, close.
 */
static bool buffer_roundtrip(size_t len, unsigned char seed)
{
	bool ok = true;
	unsigned char *p;
	int fd = heap_alloc(len);

	if (fd < 0) {
		ksft_print_msg("alloc %zu: %s\n", len, strerror(-fd));
		return false;
	}
	if (buf_size(fd) != (long long)len) {
		ksft_print_msg("buffer of %zu has size %lld\n", len, buf_size(fd));
		ok = false;
	}
	p = map(fd, len);
	if (!p) {
		close(fd);
		return false;
	}
	ok &= sync_buf(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW) == 0;
	ok &= check(p, len, 0, true, "fresh buffer");
	fill(p, len, seed);
	ok &= sync_buf(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW) == 0;
	ok &= sync_buf(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) == 0;
	ok &= check(p, len, seed, false, "read back");
	ok &= sync_buf(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ) == 0;
	munmap(p, len);
	close(fd);
	return ok;
}

/* ---- The tests ----------------------------------------------------------- */

static size_t max_len;		/* the longest buffer the pool can give */
static bool tracked;		/* the module was loaded with track=1 */

static bool t_node(void)
{
	struct stat st;

	if (stat(HEAP, &st)) {
		ksft_print_msg(HEAP ": %s\n", strerror(errno));
		return false;
	}
	if (!S_ISCHR(st.st_mode) || (st.st_mode & 07777) != 0600 || st.st_uid) {
		ksft_print_msg(HEAP ": mode %o uid %u, expected a root-only char device\n",
			       st.st_mode, st.st_uid);
		return false;
	}
	return true;
}

static bool t_sizes(void)
{
	static const size_t sizes[] = {
		4 * KB, 8 * KB, 60 * KB, 64 * KB, 1 * MB, 4 * MB, 16 * MB, 64 * MB,
	};
	long long base = pool_inuse();
	bool ok = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (sizes[i] > max_len)
			break;
		if (!buffer_roundtrip(sizes[i], i + 1)) {
			ksft_print_msg("buffer of %zu bytes failed\n", sizes[i]);
			ok = false;
		}
	}
	/* An unaligned length: a page more. */
	{
		int fd = heap_alloc(PAGE + 1);

		if (fd < 0 || buf_size(fd) != 2 * PAGE) {
			ksft_print_msg("len 4097: fd %d size %lld\n", fd,
				       fd < 0 ? 0 : buf_size(fd));
			ok = false;
		}
		if (fd >= 0)
			close(fd);
	}
	return inuse_is(base, "after the buffers") && ok;
}

/* The whole longest run written, freed, and taken again: all zeros. */
static bool t_fresh_zeroed(void)
{
	bool ok = true;
	unsigned char *p;
	int fd, round;

	for (round = 0; round < 2; round++) {
		fd = heap_alloc(max_len);
		if (fd < 0) {
			ksft_print_msg("alloc %zu: %s\n", max_len, strerror(-fd));
			return false;
		}
		p = map(fd, max_len);
		if (!p) {
			close(fd);
			return false;
		}
		ok &= check(p, max_len, 0, true, round ? "reused run" : "first run");
		memset(p, 0xa5, max_len);
		munmap(p, max_len);
		close(fd);
	}
	return ok;
}

static bool t_sync_and_mmap_errors(void)
{
	bool ok = true;
	void *p;
	int fd = heap_alloc(64 * KB);

	if (fd < 0)
		return false;
	if (sync_buf(fd, 0x100) != -EINVAL) {
		ksft_print_msg("SYNC with unknown flags is not EINVAL\n");
		ok = false;
	}
	p = mmap(NULL, 64 * KB, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p != MAP_FAILED || errno != EINVAL) {
		ksft_print_msg("MAP_PRIVATE: %s, expected EINVAL\n",
			       p == MAP_FAILED ? strerror(errno) : "mapped");
		ok = false;
	}
	p = mmap(NULL, 128 * KB, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED || errno != EINVAL) {
		ksft_print_msg("mmap past the end: %s, expected EINVAL\n",
			       p == MAP_FAILED ? strerror(errno) : "mapped");
		ok = false;
	}
	/* An offset inside the buffer maps the page there. */
	p = mmap(NULL, 4 * KB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 60 * KB);
	if (p == MAP_FAILED) {
		ksft_print_msg("mmap at offset 60 KiB: %s\n", strerror(errno));
		ok = false;
	} else {
		unsigned char *all = map(fd, 64 * KB);

		((unsigned char *)p)[5] = 0x5a;
		if (!all || all[60 * KB + 5] != 0x5a) {
			ksft_print_msg("offset mapping is not the buffer's page 15\n");
			ok = false;
		}
		if (all)
			munmap(all, 64 * KB);
		munmap(p, 4 * KB);
	}
	close(fd);
	return ok;
}

static int send_fd(int sock, int fd)
{
	char c = 'F', cbuf[CMSG_SPACE(sizeof(int))] = {};
	struct iovec iov = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))] = {};
	struct iovec iov = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &m, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * The fd over a UNIX socket to a second process, which maps it, finds what
 * the first wrote, writes its own pattern and exits; the first reads that.
 */
static bool t_scm_rights(void)
{
	size_t len = 1 * MB;
	int sv[2], fd, st;
	bool ok = true;
	unsigned char *p;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return false;
	pid = fork();
	if (!pid) {
		close(sv[0]);
		fd = recv_fd(sv[1]);
		if (fd < 0)
			_exit(2);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			_exit(3);
		sync_buf(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		if (first_bad(p, len, 0x11, false) >= 0)
			_exit(4);
		fill(p, len, 0x22);
		sync_buf(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
		_exit(0);
	}
	close(sv[1]);
	fd = heap_alloc(len);
	p = fd < 0 ? NULL : map(fd, len);
	if (p) {
		fill(p, len, 0x11);
		ok = send_fd(sv[0], fd) == 0;
	} else {
		ok = false;
	}
	close(sv[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		ksft_print_msg("second process: status %#x\n", st);
		ok = false;
	}
	if (p) {
		ok &= check(p, len, 0x22, false, "the second process's pattern");
		munmap(p, len);
	}
	if (fd >= 0)
		close(fd);
	return ok;
}

/* The holder's owner records name the heap's allocation. */
static bool owners_name_heap(long long pages)
{
	char line[256], site[160];
	long long n, total = 0;
	FILE *f = fopen(POOL_DIR "/owners", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lld %*u %*u %*u %159s", &n, site) == 2 &&
		    strstr(site, "ppc_heap_buffer_alloc"))
			total += n;
	fclose(f);
	if (total != pages)
		ksft_print_msg("owners: %lld pages held by ppc_heap_buffer_alloc, expected %lld\n",
			       total, pages);
	return total == pages;
}

/*
 * A process holding buffers (some mapped, one mapped only) is killed with
 * SIGKILL: the pool gets every page back.  Owners name the heap meanwhile.
 */
static bool t_kill9(void)
{
	long long base = pool_inuse();
	int pfd[2], i, fd, st;
	bool ok = true;
	char c;
	pid_t pid;

	if (pipe(pfd))
		return false;
	pid = fork();
	if (!pid) {
		close(pfd[0]);
		for (i = 0; i < 8; i++) {
			fd = heap_alloc(1 * MB);
			if (fd < 0)
				_exit(2);
			if (i % 2 && !map(fd, 1 * MB))
				_exit(3);
			/* The last one lives on in its mapping alone. */
			if (i == 7)
				close(fd);
		}
		if (write(pfd[1], "r", 1) != 1)
			_exit(4);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1) {
		ksft_print_msg("the holder did not get its buffers\n");
		ok = false;
	}
	close(pfd[0]);
	ok &= inuse_is(base + 8 * 256, "while held");
	if (tracked)
		ok &= owners_name_heap(8 * 256);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	ok &= WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
	return inuse_is(base, "after kill -9") && ok;
}

/* The lowest free fd: a leaked one moves it. */
static int next_fd(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

struct bad_case {
	const char *what;
	unsigned long cmd;
	struct dma_heap_allocation_data d;
	bool null_arg;
	int err;
};

/* Mainline's dma_heap_ioctl() and dma_heap_ioctl_allocate(), case by case. */
static bool t_bad_input(void)
{
	const __u64 too_big = (__u64)RES_SIZE + PAGE;
	const struct bad_case bad[] = {
		{ "len 0", DMA_HEAP_IOCTL_ALLOC, { .len = 0, .fd_flags = O_RDWR }, false, EINVAL },
		{ "len ~0 (page alignment wraps)", DMA_HEAP_IOCTL_ALLOC,
		  { .len = ~0ULL, .fd_flags = O_RDWR }, false, EINVAL },
		{ "len 2^64 - 4096 (wraps)", DMA_HEAP_IOCTL_ALLOC,
		  { .len = -4096ULL + 1, .fd_flags = O_RDWR }, false, EINVAL },
		{ "fd not 0", DMA_HEAP_IOCTL_ALLOC,
		  { .len = PAGE, .fd = 3, .fd_flags = O_RDWR }, false, EINVAL },
		{ "fd_flags O_APPEND", DMA_HEAP_IOCTL_ALLOC,
		  { .len = PAGE, .fd_flags = O_RDWR | O_APPEND }, false, EINVAL },
		{ "fd_flags O_NONBLOCK", DMA_HEAP_IOCTL_ALLOC,
		  { .len = PAGE, .fd_flags = O_RDWR | O_NONBLOCK }, false, EINVAL },
		{ "fd_flags bit 31", DMA_HEAP_IOCTL_ALLOC,
		  { .len = PAGE, .fd_flags = 0x80000000u }, false, EINVAL },
		{ "heap_flags 1", DMA_HEAP_IOCTL_ALLOC,
		  { .len = PAGE, .fd_flags = O_RDWR, .heap_flags = 1 }, false, EINVAL },
		{ "heap_flags bit 63", DMA_HEAP_IOCTL_ALLOC,
		  { .len = PAGE, .fd_flags = O_RDWR, .heap_flags = 1ULL << 63 }, false, EINVAL },
		{ "len past the pool", DMA_HEAP_IOCTL_ALLOC,
		  { .len = too_big, .fd_flags = O_RDWR }, false, ENOMEM },
		{ "len 1 TiB", DMA_HEAP_IOCTL_ALLOC,
		  { .len = 1ULL << 40, .fd_flags = O_RDWR }, false, ENOMEM },
		{ "len 2^63", DMA_HEAP_IOCTL_ALLOC,
		  { .len = 1ULL << 63, .fd_flags = O_RDWR }, false, ENOMEM },
		{ "ioctl nr 1", _IOWR(DMA_HEAP_IOC_MAGIC, 1, struct dma_heap_allocation_data),
		  { .len = PAGE, .fd_flags = O_RDWR }, false, EINVAL },
		{ "ioctl nr 255", _IOWR(DMA_HEAP_IOC_MAGIC, 255, struct dma_heap_allocation_data),
		  { .len = PAGE, .fd_flags = O_RDWR }, false, EINVAL },
		{ "NULL argument", DMA_HEAP_IOCTL_ALLOC, {}, true, EFAULT },
	};
	long long base = pool_inuse();
	int fd0 = next_fd();
	bool ok = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct dma_heap_allocation_data d = bad[i].d;
		void *arg = &d;
		int r, err;

		if (bad[i].null_arg)
			arg = NULL;
		r = ioctl(heap_fd, bad[i].cmd, arg);
		err = r ? errno : 0;

		if (!r)
			close(d.fd);
		if (err != bad[i].err) {
			ksft_print_msg("%s: %s, expected %s\n", bad[i].what,
				       strerror(err), strerror(bad[i].err));
			ok = false;
		} else {
			ksft_print_msg("%s: %s, as mainline\n", bad[i].what,
				       strerror(err));
		}
	}
	if (next_fd() != fd0) {
		ksft_print_msg("an fd leaked: next fd %d, was %d\n", next_fd(), fd0);
		ok = false;
	}
	return inuse_is(base, "after the bad input") && ok;
}

/* Buffers of 1 MiB until ENOMEM: the whole pool; then it works again. */
static bool t_exhaust(void)
{
	static int fds[MAX_BUFS];
	long long base = pool_inuse();
	int n = 0, i, fd, err = 0;
	bool ok = true;

	while (n < MAX_BUFS) {
		fd = heap_alloc(1 * MB);
		if (fd < 0) {
			err = -fd;
			break;
		}
		fds[n++] = fd;
	}
	if (err != ENOMEM || (size_t)n * MB != RES_SIZE) {
		ksft_print_msg("%d buffers of 1 MiB, then %s; expected %lu, then ENOMEM\n",
			       n, strerror(err), RES_SIZE / MB);
		ok = false;
	}
	fd = heap_alloc(PAGE);
	if (fd != -ENOMEM) {
		ksft_print_msg("a page more: %s, expected ENOMEM\n",
			       fd < 0 ? strerror(-fd) : "allocated");
		ok = false;
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	ok &= inuse_is(base, "after closing them");
	ok &= buffer_roundtrip(max_len, 0x33);
	return ok;
}

/*
 * vgem, the kernel's own importer: the fd becomes a GEM handle
 * (dma_buf_attach() and a mapping for vgem's device), dma_buf's debugfs
 * lists vgem as attached, the handle exported again is the same buffer,
 * read back through it; closing the handle detaches.
 */
static bool t_vgem(void)
{
	struct drm_prime_handle ph = {};
	struct drm_gem_close gc = {};
	char path[64], drv[256], line[512];
	int card = -1, i, fd, fd2 = -1, dfd;
	bool ok = true, listed = false;
	size_t len = 1 * MB;
	struct stat s1;
	unsigned char *p;
	FILE *f;

	for (i = 0; i < 16 && card < 0; i++) {
		ssize_t n;

		/* vgem's device is the platform device "vgem", no driver. */
		snprintf(path, sizeof(path), "/sys/class/drm/card%d/device", i);
		n = readlink(path, drv, sizeof(drv) - 1);
		if (n > 0) {
			drv[n] = 0;
			if (strstr(drv, "vgem"))
				card = i;
		}
	}
	if (card < 0)
		return ksft_print_msg("no vgem card\n"), false;
	snprintf(path, sizeof(path), "/dev/dri/card%d", card);
	dfd = open(path, O_RDWR | O_CLOEXEC);

	if (dfd < 0)
		return ksft_print_msg("%s: %s\n", path, strerror(errno)), false;
	fd = heap_alloc(len);
	p = fd < 0 ? NULL : map(fd, len);
	if (!p) {
		close(dfd);
		return false;
	}
	fill(p, len, 0x44);
	munmap(p, len);
	ph.fd = fd;
	if (ioctl(dfd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph)) {
		ksft_print_msg("PRIME_FD_TO_HANDLE: %s\n", strerror(errno));
		ok = false;
		goto out;
	}
	f = fopen(BUFINFO, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "vgem"))
			listed = true;
	if (f)
		fclose(f);
	if (!listed) {
		ksft_print_msg(BUFINFO " lists no vgem attachment\n");
		ok = false;
	}
	/* Drop our own fd: the importer's handle keeps the buffer. */
	close(fd);
	fd = -1;
	ph.fd = -1;
	ph.flags = O_RDWR | O_CLOEXEC;
	if (ioctl(dfd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph)) {
		ksft_print_msg("PRIME_HANDLE_TO_FD: %s\n", strerror(errno));
		ok = false;
	} else {
		fd2 = ph.fd;
		p = map(fd2, len);
		ok &= p && check(p, len, 0x44, false, "through vgem's handle");
		if (p)
			munmap(p, len);
		ok &= !fstat(fd2, &s1) && s1.st_size == (off_t)len;
	}
	gc.handle = ph.handle;
	if (ioctl(dfd, DRM_IOCTL_GEM_CLOSE, &gc)) {
		ksft_print_msg("GEM_CLOSE: %s\n", strerror(errno));
		ok = false;
	}
out:
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
	close(dfd);
	return ok;
}

/* The test module imports the buffer in the kernel (tp_heap.c). */
static bool t_kernel_importer(void)
{
	static const size_t sizes[] = { 4 * KB, 1 * MB, 4 * MB };
	char cmd[64];
	bool ok = true;
	size_t i;
	unsigned char *p;
	int fd, r;

	for (i = 0; i < 3; i++) {
		size_t len = sizes[i];

		fd = heap_alloc(len);
		p = fd < 0 ? NULL : map(fd, len);
		if (!p)
			return false;
		fill(p, len, 0x60 + i);
		snprintf(cmd, sizeof(cmd), "heap_import:%d:%zu", fd, 0x60 + i);
		r = write_file(TP_RUN, cmd);
		if (r) {
			ksft_print_msg("%s: %s (see dmesg)\n", cmd, strerror(-r));
			ok = false;
		}
		sync_buf(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		ok &= check(p, len, (0x60 + i) ^ 0xff, false,
			    "the kernel's pattern");
		sync_buf(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		munmap(p, len);
		close(fd);
	}
	return ok;
}

/* A buffer holds the module: rmmod fails until it is closed. */
static bool t_module_pinned(void)
{
	bool ok = true;
	int fd;

	unload();
	if (sh("modprobe pcpu_pagecache base=" RES_BASE " size=%lu heap=1", RES_SIZE))
		return false;
	close(heap_fd);
	heap_fd = open(HEAP, O_RDWR | O_CLOEXEC);
	fd = heap_alloc(64 * KB);
	close(heap_fd);
	heap_fd = -1;
	if (fd < 0)
		return false;
	if (!sh("rmmod pcpu_pagecache 2>/dev/null")) {
		ksft_print_msg("rmmod succeeded with a buffer open\n");
		return false;
	}
	close(fd);
	if (sh("rmmod pcpu_pagecache")) {
		ksft_print_msg("rmmod failed once the buffer was closed\n");
		ok = false;
	}
	return ok && !exists(HEAP);
}

/* heap_max_pages=256: 1 MiB, then not a page more, until it is freed. */
static bool t_cap(void)
{
	bool ok = true;
	int fd, fd2;

	fd = heap_alloc(1 * MB);
	fd2 = heap_alloc(PAGE);
	if (fd < 0 || fd2 != -ENOMEM) {
		ksft_print_msg("cap 256 pages: 1 MiB %s, a page more %s\n",
			       fd < 0 ? strerror(-fd) : "ok",
			       fd2 < 0 ? strerror(-fd2) : "allocated");
		ok = false;
	}
	if (fd2 >= 0)
		close(fd2);
	if (fd >= 0)
		close(fd);
	fd = heap_alloc(1 * MB);
	if (fd < 0) {
		ksft_print_msg("1 MiB after the free: %s\n", strerror(-fd));
		ok = false;
	} else {
		close(fd);
	}
	if (heap_alloc(1 * MB + PAGE) != -ENOMEM) {
		ksft_print_msg("more than the cap at once is not ENOMEM\n");
		ok = false;
	}
	return ok;
}

/* ---- The runs ------------------------------------------------------------ */

struct test {
	const char *name;
	bool (*fn)(void);
	bool need_tp, need_vgem;
};

static bool selected(const char *name)
{
	int i;

	if (!nr_only)
		return true;
	for (i = 0; i < nr_only; i++)
		if (!strcmp(only[i], name))
			return true;
	return false;
}

static void run(const char *phase, const struct test *t, int n, bool loaded)
{
	char name[96];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s_%s", phase, t[i].name);
		if (!selected(name) && !selected(t[i].name))
			ksft_test_result_skip("%s (not selected)\n", name);
		else if (!loaded)
			ksft_test_result_fail("%s (module not loaded)\n", name);
		else if (t[i].need_tp && !exists(TP_RUN))
			ksft_test_result_skip("%s (no test_pcpu_pagecache)\n", name);
		else if (t[i].need_vgem && !exists("/sys/module/vgem"))
			ksft_test_result_skip("%s (no vgem)\n", name);
		else
			ksft_test_result(t[i].fn(), "%s\n", name);
	}
}

static bool open_heap(const char *params)
{
	bool ok;

	/* An open heap holds the module. */
	if (heap_fd >= 0)
		close(heap_fd);
	ok = load(params);
	heap_fd = ok ? open(HEAP, O_RDWR | O_CLOEXEC) : -1;
	return heap_fd >= 0;
}

static const struct test resv_tests[] = {
	{ "node", t_node, false, false },
	{ "sizes", t_sizes, false, false },
	{ "fresh_zeroed", t_fresh_zeroed, false, false },
	{ "sync_and_mmap_errors", t_sync_and_mmap_errors, false, false },
	{ "scm_rights", t_scm_rights, false, false },
	{ "kill9", t_kill9, false, false },
	{ "bad_input", t_bad_input, false, false },
	{ "exhaust", t_exhaust, false, false },
	{ "vgem", t_vgem, false, true },
	{ "kernel_importer", t_kernel_importer, true, false },
	{ "module_pinned", t_module_pinned, false, false },
};

static const struct test buddy_tests[] = {
	{ "sizes", t_sizes, false, false },
	{ "fresh_zeroed", t_fresh_zeroed, false, false },
	{ "kill9", t_kill9, false, false },
	{ "vgem", t_vgem, false, true },
	{ "kernel_importer", t_kernel_importer, true, false },
};

static const struct test cap_tests[] = {
	{ "cap", t_cap, false, false },
};

/* 8 MiB from a pool of 4 MiB blocks: longer than a run can be. */
static bool t_buddy_too_long(void)
{
	int fd = heap_alloc(8 * MB);

	if (fd >= 0)
		close(fd);
	return fd == -ENOMEM;
}

/* ---- The benchmark ------------------------------------------------------- */

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The median over @reps rounds of one allocation ioctl and the close of its
 * fd, which frees the buffer; -1 if an allocation failed.
 */
static long long bench_one(int hfd, size_t len, int reps)
{
	long long *t = calloc(reps, sizeof(*t)), med;
	int i, fd;

	for (i = 0; i < reps; i++) {
		long long t0 = now_ns();

		fd = heap_alloc_on(hfd, len);
		if (fd < 0) {
			free(t);
			return -1;
		}
		close(fd);
		t[i] = now_ns() - t0;
	}
	qsort(t, reps, sizeof(*t), cmp_ll);
	med = t[reps / 2];
	free(t);
	return med;
}

static int run_bench(int reps)
{
	static const struct { size_t len; const char *name; } sizes[] = {
		{ 64 * KB, "64k" }, { 1 * MB, "1m" }, { 16 * MB, "16m" },
	};
	int ours, sys = open(SYSTEM_HEAP, O_RDWR | O_CLOEXEC);
	long long a, b;
	size_t i;

	/* The heap on the guest's reserved range, unless one is loaded. */
	if (!exists(HEAP) &&
	    sh("modprobe pcpu_pagecache base=" RES_BASE " size=%lu heap=1", RES_SIZE))
		return 1;
	ours = open(HEAP, O_RDWR | O_CLOEXEC);
	if (ours < 0) {
		fprintf(stderr, HEAP ": %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		/* A round of each first, so that neither pays for a cold start. */
		bench_one(ours, sizes[i].len, 3);
		a = bench_one(ours, sizes[i].len, reps);
		printf("bench: heap_alloc_close_%s_ns %lld\n", sizes[i].name, a);
		if (sys < 0)
			continue;
		bench_one(sys, sizes[i].len, 3);
		b = bench_one(sys, sizes[i].len, reps);
		printf("bench: system_heap_alloc_close_%s_ns %lld\n",
		       sizes[i].name, b);
		if (a > 0 && b > 0)
			printf("bench: heap_vs_system_%s %.2f\n", sizes[i].name,
			       (double)b / a);
	}
	return 0;
}

/* -a: one buffer, as a client of the heap would use it. */
static int hold(size_t len)
{
	char line[16];
	unsigned char *p;
	int fd;

	heap_fd = open(HEAP, O_RDWR | O_CLOEXEC);
	if (heap_fd < 0) {
		fprintf(stderr, HEAP ": %s\n", strerror(errno));
		return 1;
	}
	fd = heap_alloc(len);
	if (fd < 0) {
		fprintf(stderr, "DMA_HEAP_IOCTL_ALLOC of %zu bytes: %s\n", len,
			strerror(-fd));
		return 1;
	}
	p = map(fd, len);
	if (!p)
		return 1;
	sync_buf(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	fill(p, len, 1);
	sync_buf(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	printf("dma-buf fd %d: %zu bytes mapped at %p, written and read back %s;"
	       " Enter frees it\n", fd, len, (void *)p,
	       first_bad(p, len, 1, false) < 0 ? "intact" : "CORRUPT");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;
	munmap(p, len);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int opt, reps = 0;

	while ((opt = getopt(argc, argv, "a:b:t:")) != -1) {
		if (opt == 'a')
			return hold(strtoull(optarg, NULL, 0));
		else if (opt == 'b')
			reps = atoi(optarg);
		else if (opt == 't' && nr_only < 32)
			only[nr_only++] = optarg;
		else
			ksft_exit_fail_msg("usage: %s [-a BYTES | -b REPS] [-t NAME]...\n",
					   argv[0]);
	}
	if (reps > 0)
		return run_bench(reps);

	ksft_print_header();
	if (!exists("/sys/kernel/debug/dma_buf"))
		ksft_exit_skip("the kernel has no dma-bufs (CONFIG_DMA_SHARED_BUFFER)\n");
	ksft_set_plan(ARRAY_SIZE(resv_tests) + ARRAY_SIZE(buddy_tests) + 1 + ARRAY_SIZE(cap_tests));

	/* 1. The reserved range, tracked. */
	max_len = RES_SIZE;
	tracked = true;
	run("resv", resv_tests, ARRAY_SIZE(resv_tests),
	    open_heap("base=" RES_BASE " size=0x4000000 heap=1 track=1"));
	/* 2. From the page allocator: runs of one 4 MiB block at most. */
	max_len = 4 * MB;
	tracked = false;
	run("buddy", buddy_tests, ARRAY_SIZE(buddy_tests), open_heap("heap=1"));
	ksft_test_result(heap_fd >= 0 && t_buddy_too_long(),
			 "buddy_8m_longer_than_a_run_enomem\n");
	/* 3. The cap. */
	run("capped", cap_tests, ARRAY_SIZE(cap_tests),
	    open_heap("base=" RES_BASE " size=0x4000000 heap=1 heap_max_pages=256"));
	if (heap_fd >= 0)
		close(heap_fd);
	unload();
	ksft_finished();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The fixes of existing code at the front of the series, each shown
 * failing on the stock kernel: no RDMA and no lease, only a DAX page that
 * is mapped or held while an operation moves the file's blocks.
 *
 *   swap_boot   EXT4_IOC_SWAP_BOOT truncates the page cache of a DAX file
 *               whose pages are mapped without waiting for them: stock
 *               warns (mm/truncate.c, fs/dax.c) and leaves the mapping on
 *               blocks that now belong to the boot loader inode.
 *   swapext     xfs_fsr (XFS_IOC_SWAPEXT) swaps the extents of a DAX file
 *               a page of which is held, without waiting for it: stock
 *               warns and the holder keeps a block of the deleted copy.
 *   remap_spin  xfs reflink/dedupe/exchange-range between two DAX files
 *               whose second inode has a page held by someone (here a pipe
 *               that vmsplice() filled from its mapping): stock retries
 *               without sleeping, at 100% CPU, until the page is let go.
 *
 * The dmesg check of run-tests.sh fails the run on the warnings too; these
 * tests say which operation caused them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#define EXT4_IOC_SWAP_BOOT	_IO('f', 17)
#define LEN			(64UL << 10)

/* Lines of dmesg that report a kernel warning or bug. */
static int dmesg_warnings(void)
{
	char line[512];
	FILE *f;
	int n = 0;

	f = popen("dmesg", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "WARNING:") || strstr(line, "BUG:"))
			n++;
	pclose(f);
	return n;
}

static int mkdata(const char *path, size_t len, int c)
{
	char buf[4096];
	size_t off;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	memset(buf, c, sizeof(buf));
	for (off = 0; off < len; off += sizeof(buf))
		if (pwrite(fd, buf, sizeof(buf), off) != sizeof(buf)) {
			close(fd);
			return -1;
		}
	if (fsync(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * EXT4_IOC_SWAP_BOOT on a DAX file whose pages are mapped: the kernel must
 * unmap and wait for them before it truncates the page cache.
 */
TEST(swap_boot_waits_for_mapped_dax_pages)
{
	const char *path = RT_EXT4 "/fixes-swap-boot";
	volatile char *map;
	int fd, w0, w1, r;
	size_t off;

	fd = mkdata(path, LEN, 'a');
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, rt_is_dax(path));
	map = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (off = 0; off < LEN; off += 4096)
		map[off] = 'b';

	w0 = dmesg_warnings();
	ASSERT_LE(0, w0);
	r = ioctl(fd, EXT4_IOC_SWAP_BOOT);
	TH_LOG("EXT4_IOC_SWAP_BOOT: %s", r ? strerror(errno) : "done");
	w1 = dmesg_warnings();
	EXPECT_EQ(w0, w1) TH_LOG("EXT4_IOC_SWAP_BOOT made %d kernel warning(s)",
				 w1 - w0);
	munmap((void *)map, LEN);
	close(fd);
	unlink(path);
}

/*
 * Reflink from one xfs DAX file into another while a page of the second
 * inode (the one with the higher inode number, whose busy pages the lock
 * order makes xfs check without waiting) is held through a pipe. The
 * remap has to wait for it, asleep: a task that spins instead shows up in
 * state R for the whole time.
 */
TEST(remap_sleeps_on_a_busy_page_of_the_second_inode)
{
	const char *pa = RT_XFS "/fixes-remap-a", *pb = RT_XFS "/fixes-remap-b";
	struct file_clone_range fcr = { .src_length = 4096 };
	const char *busy_path, *other_path;
	int fa, fb, busy, other, p[2], st, running = 0, samples = 0, i;
	struct stat sa, sb;
	struct iovec iov;
	char state, buf[4096];
	pid_t pid;
	void *map;

	fa = mkdata(pa, LEN, 'a');
	fb = mkdata(pb, LEN, 'b');
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	ASSERT_EQ(1, rt_is_dax(pa));
	ASSERT_EQ(0, fstat(fa, &sa));
	ASSERT_EQ(0, fstat(fb, &sb));
	/* The page is held in the file with the higher inode number. */
	if (sa.st_ino > sb.st_ino) {
		busy = fa, other = fb, busy_path = pa, other_path = pb;
	} else {
		busy = fb, other = fa, busy_path = pb, other_path = pa;
	}
	TH_LOG("busy page in %s, clone source %s", busy_path, other_path);
	map = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, busy, 0);
	ASSERT_NE(MAP_FAILED, map);
	((volatile char *)map)[0] = 'c';
	ASSERT_EQ(0, pipe(p));
	iov.iov_base = map;
	iov.iov_len = 4096;
	ASSERT_EQ(4096, vmsplice(p[1], &iov, 1, 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Clone a block of the other file over the busy page. */
		fcr.src_fd = other;
		_exit(ioctl(busy, FICLONERANGE, &fcr) ? errno : 0);
	}
	/* 2 s of samples of the remapping task's state. */
	for (i = 0; i < 40; i++) {
		char path[64], line[256];
		FILE *f;

		usleep(50000);
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			break;
		if (fgets(line, sizeof(line), f) && strrchr(line, ')') &&
		    sscanf(strrchr(line, ')') + 2, "%c", &state) == 1) {
			samples++;
			if (state == 'R')
				running++;
			if (state == 'Z')
				i = 40;
		}
		fclose(f);
	}
	/* Let go of the page: the remap completes. */
	ASSERT_EQ(4096, read(p[0], buf, sizeof(buf)));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("FICLONERANGE: %s",
					     strerror(WEXITSTATUS(st)));
	TH_LOG("%d of %d samples in state R", running, samples);
	EXPECT_LT(running, samples / 4)
		TH_LOG("the remap spun while the page was busy");
	close(p[0]);
	close(p[1]);
	munmap(map, LEN);
	close(fa);
	close(fb);
	unlink(pa);
	unlink(pb);
}

/*
 * xfs_fsr defragments a file by swapping its extents with those of a
 * contiguous copy (XFS_IOC_SWAPEXT), then deletes the copy. With a page
 * of the file held (here by a pipe), the swap must wait for it before it
 * drops the page cache; stock 7.3 does not wait, warns, and leaves the
 * holder with a block that now belongs to the copy xfs_fsr deletes.
 */
#define FRAG_LEN	(4UL << 20)
#define PIECE		(64UL << 10)

TEST(swapext_waits_for_held_dax_pages)
{
	const char *path = RT_XFS "/fixes-swapext";
	int fd, n0, n1, w0, w1, st, p[2];
	volatile char *map;
	char buf[4096];
	struct iovec iov;
	bool waited;
	size_t off;
	pid_t pid;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, rt_is_dax(path));
	ASSERT_EQ(0, rt_fragment(fd, FRAG_LEN, PIECE, 1))
		TH_LOG("%s", strerror(errno));
	n0 = rt_extents(fd, NULL, 512);
	ASSERT_LE(8, n0) TH_LOG("%d extent(s): xfs_fsr would swap nothing", n0);

	map = mmap(NULL, FRAG_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (off = 0; off < FRAG_LEN; off += 4096)
		(void)map[off];
	/* One page held by a pipe, as a DMA in flight would hold it. */
	ASSERT_EQ(0, pipe(p));
	iov.iov_base = (void *)map;
	iov.iov_len = 4096;
	ASSERT_EQ(4096, vmsplice(p[1], &iov, 1, 0));

	w0 = dmesg_warnings();
	ASSERT_LE(0, w0);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl("/usr/sbin/xfs_fsr", "xfs_fsr", path, (char *)NULL);
		_exit(127);
	}
	/* The swap must wait for the held page... */
	sleep(2);
	waited = waitpid(pid, &st, WNOHANG) == 0;
	/* ...and finish once it is let go. */
	ASSERT_EQ(4096, read(p[0], buf, sizeof(buf)));
	if (waited)
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(waited) TH_LOG("xfs_fsr did not wait for the held page");
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
	close(p[1]);
	n1 = rt_extents(fd, NULL, 512);
	TH_LOG("%d extents before xfs_fsr, %d after", n0, n1);
	ASSERT_LT(n1, n0) TH_LOG("xfs_fsr swapped nothing: the test tests nothing");
	w1 = dmesg_warnings();
	EXPECT_EQ(w0, w1) TH_LOG("the extent swap made %d kernel warning(s)",
				 w1 - w0);
	munmap((void *)map, FRAG_LEN);
	close(fd);
	unlink(path);
}

TEST_HARNESS_MAIN

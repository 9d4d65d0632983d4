// SPDX-License-Identifier: GPL-2.0
/*
 * The user-space side of the FL_LONGTERM lease:
 * fcntl(fd, F_SETLEASE, F_LONGTERM) on ext4 and xfs mounted -o dax.
 *
 * A long-term lease can be taken on a file that is open for write, is not
 * broken by open(2), and is broken (SIGIO to the holder) by every change of
 * the file layout: truncate down and up, punch hole, collapse, insert and
 * zero range. The layout change waits until the holder releases the lease
 * with F_UNLCK, or until fs.lease-break-time has passed; a holder that lets
 * it time out gets SIGBUS. The lease needs the
 * same rights as any lease, only exists on regular files, and lives next to
 * a regular read lease without either one changing the other.
 *
 * Every wait is bounded: a kernel that never breaks or never lets the
 * layout change finish fails the test instead of hanging it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#ifndef F_LONGTERM
#define F_LONGTERM	16
#endif
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX	0x00200000
#endif

#define EXT4_DIR	"/mnt/ext4"	/* ext4 -o dax */
#define XFS_DIR		"/mnt/xfs"	/* xfs -o dax */

#define BREAK_TIME_SYSCTL "/proc/sys/fs/lease-break-time"
#define BREAK_TIME	30		/* s, while a test runs */
#define SHORT_BREAK_TIME 2		/* s, for the time-out test */
#define BLK		4096		/* fs block size */
#define FILE_SIZE	(256 * BLK)
#define RANGE_OFF	(16 * BLK)	/* the range rt_layout_change() uses */
#define RANGE_LEN	(16 * BLK)
#define HOLD_MS		1500		/* a broken lease is kept this long */
#define SIG_MS		10000		/* limit for a signal to arrive */
#define DONE_MS		20000		/* limit for a change to finish */
#define RELEASE_WAKES_MS 3000		/* a release ends the wait within */
#define CHILD_LIMIT	60		/* s, alarm() of every child */
#define TIMEOUT		120		/* s, per test */


/* What a child reports through its pipe. */
struct result {
	int err;		/* 0 or the errno of the operation */
	long long done_ns;	/* CLOCK_MONOTONIC when it returned */
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Non-zero file content, so that holes and zeroed ranges show. */
static unsigned char pattern(off_t off)
{
	return (off / BLK) % 251 + 1;
}

static int make_file(const char *path)
{
	static unsigned char buf[BLK];
	off_t off;
	int fd, i;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return -1;
	for (off = 0; off < FILE_SIZE; off += BLK) {
		for (i = 0; i < BLK; i++)
			buf[i] = pattern(off);
		if (pwrite(fd, buf, BLK, off) != BLK) {
			close(fd);
			return -1;
		}
	}
	if (fsync(fd)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* 1 if [off, off + len) of @fd reads as @shift bytes further, 0 if not. */
static int range_is(int fd, off_t off, off_t len, off_t shift, int zero)
{
	static unsigned char buf[BLK];
	off_t o;
	int i;

	for (o = off; o < off + len; o += BLK) {
		if (pread(fd, buf, BLK, o) != BLK)
			return 0;
		for (i = 0; i < BLK; i++)
			if (buf[i] != (zero ? 0 : pattern(o + shift)))
				return 0;
	}
	return 1;
}

/* 1 if @path is a DAX file, 0 if not, -1 if that cannot be told. */
static int is_dax(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx) ||
	    !(stx.stx_attributes_mask & STATX_ATTR_DAX))
		return -1;
	return !!(stx.stx_attributes & STATX_ATTR_DAX);
}

/*
 * Number of /proc/locks entries of @kind ("LEASE", "LONGTERM") on the file
 * at @path, in @state ("ACTIVE", "BREAKING") or in any state if NULL.
 * Lines look like "12: LONGTERM ACTIVE    READ  345 103:00:12 0 EOF";
 * blocked requests ("12: -> ...") have no inode and never match.
 */
static int count_locks(const char *path, const char *kind, const char *state)
{
	char line[256], k[32], s[32], t[32];
	unsigned int maj, min;
	unsigned long ino;
	struct stat st;
	int n = 0, pid;
	FILE *f;

	if (stat(path, &st))
		return -1;
	f = fopen("/proc/locks", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %31s %31s %31s %d %x:%x:%lu",
			   k, s, t, &pid, &maj, &min, &ino) != 7)
			continue;
		if (ino != st.st_ino || maj != major(st.st_dev) ||
		    min != minor(st.st_dev))
			continue;
		if (strcmp(k, kind) || (state && strcmp(s, state)))
			continue;
		n++;
	}
	fclose(f);
	return n;
}

/* Throw away any SIGIO left pending by an earlier step. */
static void drain_sigio(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
}

/* 1 if @fd becomes readable within @ms, 0 if not, -1 on error. */
static int readable_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret;

	do {
		ret = poll(&p, 1, ms);
	} while (ret < 0 && errno == EINTR);
	return ret;
}

static void child_setup(void)
{
	signal(SIGALRM, SIG_DFL);
	alarm(CHILD_LIMIT);
}


/*
 * Fork a process that opens @path read/write, applies @op and reports a
 * struct result through the pipe whose read end goes to *rfd.
 */
static pid_t start_op(const char *path, enum rt_layout_op op, int *rfd)
{
	struct result r = { 0, 0 };
	int p[2], fd;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		child_setup();
		fd = open(path, O_RDWR);
		if (fd < 0 || rt_layout_change(fd, op, FILE_SIZE))
			r.err = errno;
		r.done_ns = now_ns();
		_exit(write(p[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/*
 * Run @fn(@path) in a child with a time limit; the int it returns (an
 * errno value or 0) comes back as the result, -1 if the child failed.
 */
static int in_child(const char *path, int (*fn)(const char *path))
{
	int p[2], val = -1, status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		child_setup();
		val = fn(path);
		_exit(write(p[1], &val, sizeof(val)) == sizeof(val) ? 0 : 1);
	}
	close(p[1]);
	if (readable_within(p[0], DONE_MS) != 1 ||
	    read(p[0], &val, sizeof(val)) != sizeof(val))
		val = -1;
	close(p[0]);
	status = rt_wait_child(pid, DONE_MS);
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return val;
}

FIXTURE(lease) {
	char path[128];
	int fd, fd2;
	int rfd;		/* read end of a running start_op() */
	pid_t child;		/* the start_op() process, 0 if none */
	int saved_break_time;
	bool break_time_set;
};

FIXTURE_VARIANT(lease) {
	const char *dir;
	bool remap;	/* reflink and exchange-range */
};

FIXTURE_VARIANT_ADD(lease, ext4) { .dir = EXT4_DIR };
FIXTURE_VARIANT_ADD(lease, xfs) { .dir = XFS_DIR, .remap = true };

FIXTURE_SETUP(lease)
{
	sigset_t set;

	self->fd = self->fd2 = self->rfd = -1;
	self->child = 0;
	self->break_time_set = false;
	snprintf(self->path, sizeof(self->path), "%s/longterm_lease",
		 variant->dir);
	unlink(self->path);
	ASSERT_EQ(0, make_file(self->path));
	/* The tests are about DAX files; make sure that is what we have. */
	ASSERT_EQ(1, is_dax(self->path));
	ASSERT_EQ(0, count_locks(self->path, "LONGTERM", NULL));

	/* SIGIO is collected with sigtimedwait(), never delivered. */
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));

	ASSERT_EQ(0, rt_read_int(BREAK_TIME_SYSCTL, &self->saved_break_time));
	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, BREAK_TIME));
	self->break_time_set = true;
}

FIXTURE_TEARDOWN(lease)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->rfd >= 0)
		close(self->rfd);
	if (self->fd >= 0)
		close(self->fd);
	if (self->fd2 >= 0)
		close(self->fd2);
	if (self->break_time_set)
		EXPECT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL,
				       self->saved_break_time));
	unlink(self->path);
}

/* Take a long-term lease through self->fd, opened read/write. */
static void take_longterm(struct __test_metadata *_metadata,
			  FIXTURE_DATA(lease) *self)
{
	self->fd = open(self->path, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, fcntl(self->fd, F_SETOWN, getpid()));
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_LONGTERM));
	ASSERT_EQ(F_LONGTERM, fcntl(self->fd, F_GETLEASE));
	ASSERT_EQ(1, count_locks(self->path, "LONGTERM", "ACTIVE"));
}

/* Start @op in another process and check that it breaks the lease. */
static void break_with(struct __test_metadata *_metadata,
		       FIXTURE_DATA(lease) *self, enum rt_layout_op op, siginfo_t *si)
{
	drain_sigio();
	self->child = start_op(self->path, op, &self->rfd);
	ASSERT_LT(0, self->child);

	ASSERT_EQ(SIGIO, rt_wait_sigio(SIG_MS, si));
	/* A lease being broken reads as F_UNLCK, and shows as breaking. */
	EXPECT_EQ(F_UNLCK, fcntl(self->fd, F_GETLEASE));
	EXPECT_EQ(1, count_locks(self->path, "LONGTERM", "BREAKING"));
}

/* Collect the result of the running start_op(). */
static void op_result(struct __test_metadata *_metadata,
		      FIXTURE_DATA(lease) *self, struct result *r)
{
	int status;

	ASSERT_EQ(1, readable_within(self->rfd, DONE_MS));
	ASSERT_EQ((ssize_t)sizeof(*r), read(self->rfd, r, sizeof(*r)));
	status = rt_wait_child(self->child, DONE_MS);
	self->child = 0;
	ASSERT_TRUE(status >= 0 && WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* Check that @op did its work on the file. */
static void check_op_done(struct __test_metadata *_metadata,
			  FIXTURE_DATA(lease) *self, enum rt_layout_op op)
{
	struct stat st;
	void *buf;

	ASSERT_EQ(0, fstat(self->fd, &st));
	switch (op) {
	case RT_TRUNC_DOWN:
		EXPECT_EQ(FILE_SIZE / 2, st.st_size);
		EXPECT_TRUE(range_is(self->fd, 0, FILE_SIZE / 2, 0, 0));
		break;
	case RT_TRUNC_UP:
		EXPECT_EQ(FILE_SIZE * 2, st.st_size);
		EXPECT_TRUE(range_is(self->fd, 0, FILE_SIZE, 0, 0));
		EXPECT_TRUE(range_is(self->fd, FILE_SIZE, FILE_SIZE, 0, 1));
		break;
	case RT_PUNCH:
	case RT_ZERO:
		EXPECT_EQ(FILE_SIZE, st.st_size);
		EXPECT_TRUE(range_is(self->fd, 0, RANGE_OFF, 0, 0));
		EXPECT_TRUE(range_is(self->fd, RANGE_OFF, RANGE_LEN, 0, 1));
		EXPECT_TRUE(range_is(self->fd, RANGE_OFF + RANGE_LEN,
				     FILE_SIZE - RANGE_OFF - RANGE_LEN, 0, 0));
		break;
	case RT_COLLAPSE:
		EXPECT_EQ(FILE_SIZE - RANGE_LEN, st.st_size);
		EXPECT_TRUE(range_is(self->fd, 0, RANGE_OFF, 0, 0));
		EXPECT_TRUE(range_is(self->fd, RANGE_OFF,
				     FILE_SIZE - RANGE_OFF - RANGE_LEN,
				     RANGE_LEN, 0));
		break;
	case RT_INSERT:
		EXPECT_EQ(FILE_SIZE + RANGE_LEN, st.st_size);
		EXPECT_TRUE(range_is(self->fd, 0, RANGE_OFF, 0, 0));
		EXPECT_TRUE(range_is(self->fd, RANGE_OFF, RANGE_LEN, 0, 1));
		EXPECT_TRUE(range_is(self->fd, RANGE_OFF + RANGE_LEN,
				     FILE_SIZE - RANGE_OFF, -RANGE_LEN, 0));
		break;
	case RT_REFLINK:
	case RT_EXCHANGE:
		/* The range now holds the other file's bytes. */
		EXPECT_EQ(FILE_SIZE, st.st_size);
		EXPECT_TRUE(range_is(self->fd, 0, RANGE_OFF, 0, 0));
		EXPECT_TRUE(range_is(self->fd, RANGE_OFF + RANGE_LEN,
				     FILE_SIZE - RANGE_OFF - RANGE_LEN, 0, 0));
		buf = malloc(RANGE_LEN);
		ASSERT_NE(NULL, buf);
		ASSERT_EQ(RANGE_LEN, pread(self->fd, buf, RANGE_LEN, RANGE_OFF));
		EXPECT_EQ(-1, rt_check(buf, RANGE_LEN, RT_REMAP_SEED));
		free(buf);
		break;
	default:
		break;
	}
}

/*
 * The whole cycle for one layout change: the change breaks the lease,
 * does not finish while the holder keeps the lease, and finishes once
 * the holder has released it.
 */
static void layout_change(struct __test_metadata *_metadata,
			  FIXTURE_DATA(lease) *self, enum rt_layout_op op)
{
	long long released;
	struct result r;
	siginfo_t si;

	take_longterm(_metadata, self);
	break_with(_metadata, self, op, &si);

	/* The change waits for the holder... */
	ASSERT_EQ(0, readable_within(self->rfd, HOLD_MS));
	EXPECT_EQ(1, count_locks(self->path, "LONGTERM", NULL));

	/* ...and goes on once the lease is released. */
	released = now_ns();
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_UNLCK));
	op_result(_metadata, self, &r);
	ASSERT_EQ(0, r.err);
	EXPECT_LE(released, r.done_ns);
	/* Because of the release, not lease-break-time (BREAK_TIME) later. */
	EXPECT_GT(released + RELEASE_WAKES_MS * 1000000LL, r.done_ns)
		TH_LOG("the change took %lld ms after the release",
		       (r.done_ns - released) / 1000000);

	EXPECT_EQ(F_UNLCK, fcntl(self->fd, F_GETLEASE));
	EXPECT_EQ(0, count_locks(self->path, "LONGTERM", NULL));
	check_op_done(_metadata, self, op);
}

TEST_F_TIMEOUT(lease, set_get_release, TIMEOUT)
{
	take_longterm(_metadata, self);

	/* A plain read lease is refused on a file open for write. */
	ASSERT_EQ(-1, fcntl(self->fd, F_SETLEASE, F_RDLCK));
	ASSERT_EQ(EAGAIN, errno);
	EXPECT_EQ(F_LONGTERM, fcntl(self->fd, F_GETLEASE));
	EXPECT_EQ(0, count_locks(self->path, "LEASE", NULL));

	/* Asking again keeps the one lease. */
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_LONGTERM));
	EXPECT_EQ(1, count_locks(self->path, "LONGTERM", "ACTIVE"));

	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(F_UNLCK, fcntl(self->fd, F_GETLEASE));
	EXPECT_EQ(0, count_locks(self->path, "LONGTERM", NULL));
	/* There is nothing left to release. */
	EXPECT_EQ(-1, fcntl(self->fd, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 * While a layout change waits for a broken long-term lease, no new one is
 * granted on another open file of the inode, and the holder cannot end
 * the break by asking again: either would let holders keep the change
 * waiting for ever. Once the change is done, the same request succeeds.
 */
TEST_F_TIMEOUT(lease, new_lease_refused_during_change, TIMEOUT)
{
	struct result r;
	siginfo_t si;

	take_longterm(_metadata, self);
	break_with(_metadata, self, RT_PUNCH, &si);

	self->fd2 = open(self->path, O_RDWR);
	ASSERT_LE(0, self->fd2);
	EXPECT_EQ(-1, fcntl(self->fd2, F_SETLEASE, F_LONGTERM));
	EXPECT_EQ(EAGAIN, errno);
	/*
	 * Asking again through the open file whose lease is being broken
	 * does not end the break (nor does it for a read lease): the lease
	 * stays breaking and the change keeps waiting for its release.
	 */
	fcntl(self->fd, F_SETLEASE, F_LONGTERM);
	EXPECT_EQ(1, count_locks(self->path, "LONGTERM", "BREAKING"));
	EXPECT_EQ(1, count_locks(self->path, "LONGTERM", NULL));
	EXPECT_EQ(0, readable_within(self->rfd, 500));

	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_UNLCK));
	op_result(_metadata, self, &r);
	ASSERT_EQ(0, r.err);
	check_op_done(_metadata, self, RT_PUNCH);
	EXPECT_EQ(0, fcntl(self->fd2, F_SETLEASE, F_LONGTERM));
	EXPECT_EQ(F_LONGTERM, fcntl(self->fd2, F_GETLEASE));
}

static int open_for_write(const char *path)
{
	int fd;

	/* O_NONBLOCK: fails with EWOULDBLOCK if the open breaks a lease. */
	fd = open(path, O_RDWR | O_NONBLOCK);
	if (fd < 0)
		return errno;
	close(fd);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return errno;
	close(fd);
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(lease, open_does_not_break, TIMEOUT)
{
	siginfo_t si;

	take_longterm(_metadata, self);
	drain_sigio();

	ASSERT_EQ(0, in_child(self->path, open_for_write));
	/* No SIGIO, and the lease is still there and not breaking. */
	EXPECT_EQ(-1, rt_wait_sigio(500, &si));
	EXPECT_EQ(F_LONGTERM, fcntl(self->fd, F_GETLEASE));
	EXPECT_EQ(1, count_locks(self->path, "LONGTERM", "ACTIVE"));

	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(0, count_locks(self->path, "LONGTERM", NULL));
}

TEST_F_TIMEOUT(lease, truncate_down, TIMEOUT)
{
	layout_change(_metadata, self, RT_TRUNC_DOWN);
}

/*
 * Growing a file moves no block: the lease is not broken, and the change
 * does not wait for it.
 */
TEST_F_TIMEOUT(lease, truncate_up_does_not_break, TIMEOUT)
{
	struct result r;
	siginfo_t si;

	take_longterm(_metadata, self);
	drain_sigio();
	self->child = start_op(self->path, RT_TRUNC_UP, &self->rfd);
	ASSERT_LT(0, self->child);
	op_result(_metadata, self, &r);
	ASSERT_EQ(0, r.err);
	EXPECT_EQ(-1, rt_wait_sigio(500, &si));
	EXPECT_EQ(F_LONGTERM, fcntl(self->fd, F_GETLEASE));
	EXPECT_EQ(1, count_locks(self->path, "LONGTERM", "ACTIVE"));
	check_op_done(_metadata, self, RT_TRUNC_UP);
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_UNLCK));
}

TEST_F_TIMEOUT(lease, punch_hole, TIMEOUT)
{
	layout_change(_metadata, self, RT_PUNCH);
}

TEST_F_TIMEOUT(lease, collapse_range, TIMEOUT)
{
	layout_change(_metadata, self, RT_COLLAPSE);
}

TEST_F_TIMEOUT(lease, insert_range, TIMEOUT)
{
	layout_change(_metadata, self, RT_INSERT);
}

TEST_F_TIMEOUT(lease, zero_range, TIMEOUT)
{
	layout_change(_metadata, self, RT_ZERO);
}

/*
 * xfs: a reflink or exchange-range into the file is a layout change. ext4
 * has neither; it refuses, and the lease stays as it was.
 */
static void remap(struct __test_metadata *_metadata, FIXTURE_DATA(lease) *self,
		  const FIXTURE_VARIANT(lease) *variant, enum rt_layout_op op,
		  int refused)
{
	if (variant->remap) {
		layout_change(_metadata, self, op);
		return;
	}
	take_longterm(_metadata, self);
	ASSERT_EQ(-1, rt_layout_change(self->fd, op, FILE_SIZE));
	EXPECT_EQ(refused, errno);
	EXPECT_EQ(F_LONGTERM, fcntl(self->fd, F_GETLEASE));
	EXPECT_EQ(1, count_locks(self->path, "LONGTERM", "ACTIVE"));
}

TEST_F_TIMEOUT(lease, reflink_range, TIMEOUT)
{
	remap(_metadata, self, variant, RT_REFLINK, EOPNOTSUPP);
}

TEST_F_TIMEOUT(lease, exchange_range, TIMEOUT)
{
	remap(_metadata, self, variant, RT_EXCHANGE, ENOTTY);
}

#define TRACE_EVENT_DIR "/sys/kernel/tracing/events/filelock/longterm_lease_sigbus"
#define TRACE_FILE	"/sys/kernel/tracing/trace"

/* How a holder started by start_holder() treats SIGBUS. */
enum holder { HOLDER_IGNORES, HOLDER_HANDLES_SIGBUS };

static void sigbus_exit(int sig)
{
	_exit(42);
}

/*
 * Fork a process that takes a long-term lease on @path, ignores the lease
 * signal and never releases the lease. Returns its pid once it holds the
 * lease, or -1.
 */
static pid_t start_holder(const char *path, enum holder how)
{
	int p[2], fd;
	char ok = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		child_setup();
		signal(SIGIO, SIG_IGN);
		if (how == HOLDER_HANDLES_SIGBUS)
			signal(SIGBUS, sigbus_exit);
		fd = open(path, O_RDWR);
		if (fd < 0 || fcntl(fd, F_SETOWN, getpid()) ||
		    fcntl(fd, F_SETLEASE, F_LONGTERM))
			_exit(1);
		ok = 1;
		if (write(p[1], &ok, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0 && (readable_within(p[0], DONE_MS) != 1 ||
			read(p[0], &ok, 1) != 1 || !ok)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

/* Lines of the trace buffer that contain @what. */
static int trace_count(const char *what)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(TRACE_FILE, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, what))
			n++;
	fclose(f);
	return n;
}

/*
 * A long-term lease costs the file's other users nothing: open(2) and
 * write(2) check the inode's list of the other kinds of lease without a
 * lock, and long-term leases are not on it. Each __break_lease() call
 * passes every lease of that list through the filelock:time_out_leases
 * tracepoint; with only a long-term lease none may fire. The control: a
 * read lease next to it, the same opens, and the tracepoint fires.
 */
#define TOL_EVENT	"/sys/kernel/tracing/events/filelock/time_out_leases/enable"

static int opens_and_writes(const char *path, int fd, int n)
{
	char buf[4096];
	int i, f;

	memset(buf, 7, sizeof(buf));
	for (i = 0; i < n; i++) {
		f = open(path, O_RDONLY);
		if (f < 0)
			return -errno;
		close(f);
		if (fd >= 0 && pwrite(fd, buf, sizeof(buf), 0) != sizeof(buf))
			return -errno;
	}
	return 0;
}

static int traced_opens(const char *path, int fd, int n)
{
	int ret;

	if (rt_write_str(TRACE_FILE, "") || rt_write_str(TOL_EVENT, "1"))
		return -1;
	ret = opens_and_writes(path, fd, n);
	rt_write_str(TOL_EVENT, "0");
	return ret ? -1 : trace_count("time_out_leases:");
}

TEST_F_TIMEOUT(lease, open_and_write_skip_the_lease_code, TIMEOUT)
{
	int rfd;

	take_longterm(_metadata, self);
	EXPECT_EQ(0, traced_opens(self->path, self->fd, 20))
		TH_LOG("open(2)/pwrite(2) of a file with only a long-term lease went through __break_lease()");
	EXPECT_EQ(F_LONGTERM, fcntl(self->fd, F_GETLEASE));
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_UNLCK));
	close(self->fd);

	/*
	 * The control: a read lease on the same file (no writer now), next
	 * to a long-term lease on another open file.
	 */
	rfd = open(self->path, O_RDONLY);
	ASSERT_LE(0, rfd);
	self->fd = rfd;
	self->fd2 = open(self->path, O_RDONLY);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, fcntl(self->fd2, F_SETLEASE, F_LONGTERM));
	ASSERT_EQ(0, fcntl(rfd, F_SETLEASE, F_RDLCK));
	EXPECT_LE(5, traced_opens(self->path, -1, 5))
		TH_LOG("the tracepoint did not fire for a read lease");
	EXPECT_EQ(F_RDLCK, fcntl(rfd, F_GETLEASE));
	ASSERT_EQ(0, fcntl(rfd, F_SETLEASE, F_UNLCK));
	ASSERT_EQ(0, fcntl(self->fd2, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(0, count_locks(self->path, "LONGTERM", NULL));
	EXPECT_EQ(0, count_locks(self->path, "LEASE", NULL));
}

/*
 * A holder that does not release its long-term lease within
 * lease-break-time loses it, and gets SIGBUS: it is still using memory
 * whose blocks the layout change frees. The change completes after the
 * break time, not before, and the SIGBUS is traced.
 */
static void unreleased_lease(struct __test_metadata *_metadata,
			     FIXTURE_DATA(lease) *self, enum holder how)
{
	long long started;
	struct result r;
	pid_t holder;
	int status;

	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, SHORT_BREAK_TIME));
	ASSERT_EQ(0, rt_write_str(TRACE_FILE, ""));
	ASSERT_EQ(0, rt_write_str(TRACE_EVENT_DIR "/enable", "1"));

	holder = start_holder(self->path, how);
	ASSERT_LT(0, holder);
	ASSERT_EQ(1, count_locks(self->path, "LONGTERM", "ACTIVE"));

	started = now_ns();
	self->child = start_op(self->path, RT_TRUNC_DOWN, &self->rfd);
	ASSERT_LT(0, self->child);
	op_result(_metadata, self, &r);
	ASSERT_EQ(0, r.err);
	/* Not before the break time (less a margin for scheduling)... */
	EXPECT_LE(started + (SHORT_BREAK_TIME - 1) * 1000000000LL, r.done_ns);

	/* ...and the holder got SIGBUS for it. */
	status = rt_wait_child(holder, DONE_MS);
	rt_write_str(TRACE_EVENT_DIR "/enable", "0");
	ASSERT_LE(0, status);
	if (how == HOLDER_IGNORES) {
		EXPECT_TRUE(WIFSIGNALED(status));
		EXPECT_EQ(SIGBUS, WTERMSIG(status));
	} else {
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(42, WEXITSTATUS(status));
	}
	EXPECT_EQ(1, trace_count("longterm_lease_sigbus"));
	EXPECT_EQ(0, count_locks(self->path, "LONGTERM", NULL));
	self->fd = open(self->path, O_RDWR);
	ASSERT_LE(0, self->fd);
	check_op_done(_metadata, self, RT_TRUNC_DOWN);
}

TEST_F_TIMEOUT(lease, unreleased_lease_gets_sigbus, TIMEOUT)
{
	unreleased_lease(_metadata, self, HOLDER_IGNORES);
}

/* A holder that handles SIGBUS by exiting leaves nothing behind. */
TEST_F_TIMEOUT(lease, sigbus_handler_exits_cleanly, TIMEOUT)
{
	unreleased_lease(_metadata, self, HOLDER_HANDLES_SIGBUS);
}

/* A lease released in time gets no SIGBUS. */
TEST_F_TIMEOUT(lease, released_lease_gets_no_sigbus, TIMEOUT)
{
	struct result r;
	siginfo_t si;

	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, SHORT_BREAK_TIME));
	take_longterm(_metadata, self);
	break_with(_metadata, self, RT_TRUNC_DOWN, &si);
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_UNLCK));
	op_result(_metadata, self, &r);
	ASSERT_EQ(0, r.err);
	/* Still alive past the break time: no SIGBUS came. */
	usleep((SHORT_BREAK_TIME + 1) * 1000000);
	EXPECT_EQ(0, count_locks(self->path, "LONGTERM", NULL));
	check_op_done(_metadata, self, RT_TRUNC_DOWN);
}

/*
 * The SIGBUS of a timed-out lease is sent on behalf of the user who took
 * the lease, by the rule of SIGIO: the holder is signalled only if that
 * user may signal it now. An unprivileged user takes the lease on its own
 * file, then executes a set-user-ID root program with the file still open
 * (the lease survives execve()); the program either becomes root (real,
 * effective and saved IDs 0) or keeps the user's real ID. A truncate then
 * waits for the break time, and completes either way. The program that
 * became root must survive, the other gets SIGBUS: the rule, not a blanket
 * "never after exec".
 */
#define SUID_COPY	"/tmp/longterm_lease.suid"
#define SUID_ROOT_ARG	"--suid-holder-root"
#define SUID_KEEP_ARG	"--suid-holder-keep"
#define SUID_STAY_S	(2 * SHORT_BREAK_TIME + 4)	/* s, holder's life */

/*
 * The set-user-ID program: this binary again, run with one of the two
 * arguments. Reports on fd 3 that it runs with the IDs asked for, then
 * stays for SUID_STAY_S seconds.
 */
__attribute__((constructor)) static void suid_holder(int argc, char **argv)
{
	char ok = 1;

	if (argc != 2 || (strcmp(argv[1], SUID_ROOT_ARG) &&
			  strcmp(argv[1], SUID_KEEP_ARG)))
		return;
	if (geteuid() != 0)
		_exit(3);
	if (!strcmp(argv[1], SUID_ROOT_ARG) && setresuid(0, 0, 0))
		_exit(4);
	if (!strcmp(argv[1], SUID_KEEP_ARG) && getuid() != 65534)
		_exit(5);
	if (write(3, &ok, 1) != 1)
		_exit(6);
	sleep(SUID_STAY_S);
	_exit(0);
}

/* A root-owned set-user-ID copy of this binary at SUID_COPY. */
static int make_suid_copy(void)
{
	char buf[65536];
	ssize_t n;
	int in, out, ret = -1;

	unlink(SUID_COPY);
	in = open("/proc/self/exe", O_RDONLY);
	if (in < 0)
		return -1;
	out = open(SUID_COPY, O_WRONLY | O_CREAT | O_EXCL, 0700);
	if (out < 0)
		goto out_in;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			goto out_out;
	if (n == 0 && fchown(out, 0, 0) == 0 && fchmod(out, 04755) == 0)
		ret = 0;
out_out:
	close(out);
out_in:
	close(in);
	return ret;
}

static void suid_holder_lease(struct __test_metadata *_metadata,
			      FIXTURE_DATA(lease) *self, const char *arg,
			      bool signalled)
{
	long long started;
	struct result r;
	int p[2], status, fd;
	pid_t holder;
	char ok = 0;

	ASSERT_EQ(0, make_suid_copy());
	ASSERT_EQ(0, chown(self->path, 65534, 65534));
	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, SHORT_BREAK_TIME));
	ASSERT_EQ(0, rt_write_str(TRACE_FILE, ""));
	ASSERT_EQ(0, rt_write_str(TRACE_EVENT_DIR "/enable", "1"));

	ASSERT_EQ(0, pipe(p));
	holder = fork();
	ASSERT_LE(0, holder);
	if (holder == 0) {
		child_setup();
		/* The break's SIGIO is not what this is about. */
		signal(SIGIO, SIG_IGN);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(1);
		fd = open(self->path, O_RDWR);	/* no O_CLOEXEC */
		if (fd < 0 || fcntl(fd, F_SETOWN, getpid()) ||
		    fcntl(fd, F_SETLEASE, F_LONGTERM))
			_exit(2);
		if (dup2(p[1], 3) != 3)
			_exit(1);
		execl(SUID_COPY, "longterm_lease.suid", arg, (char *)NULL);
		_exit(7);
	}
	close(p[1]);
	EXPECT_EQ(1, readable_within(p[0], DONE_MS));
	EXPECT_EQ(1, read(p[0], &ok, 1));
	close(p[0]);
	if (!ok) {
		kill(holder, SIGKILL);
		status = rt_wait_child(holder, DONE_MS);
		ASSERT_TRUE(ok) TH_LOG("the set-user-ID holder did not start (status %#x)",
				       status);
	}
	ASSERT_EQ(1, count_locks(self->path, "LONGTERM", "ACTIVE"));

	/* The lease times out: the truncate completes after the break time. */
	started = now_ns();
	self->child = start_op(self->path, RT_TRUNC_DOWN, &self->rfd);
	ASSERT_LT(0, self->child);
	op_result(_metadata, self, &r);
	ASSERT_EQ(0, r.err);
	EXPECT_LE(started + (SHORT_BREAK_TIME - 1) * 1000000000LL, r.done_ns);
	EXPECT_GE(started + (SHORT_BREAK_TIME + 3) * 1000000000LL, r.done_ns);
	EXPECT_EQ(0, count_locks(self->path, "LONGTERM", NULL));

	status = rt_wait_child(holder, (SUID_STAY_S + 10) * 1000);
	rt_write_str(TRACE_EVENT_DIR "/enable", "0");
	unlink(SUID_COPY);
	ASSERT_LE(0, status);
	if (signalled) {
		EXPECT_TRUE(WIFSIGNALED(status));
		EXPECT_EQ(SIGBUS, WTERMSIG(status));
		EXPECT_EQ(1, trace_count("longterm_lease_sigbus"));
	} else {
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("the holder that became root %s %d",
			       WIFSIGNALED(status) ? "died of signal" : "exited",
			       WIFSIGNALED(status) ? WTERMSIG(status) :
			       WEXITSTATUS(status));
		EXPECT_EQ(0, trace_count("longterm_lease_sigbus"));
	}
}

TEST_F_TIMEOUT(lease, sigbus_spares_a_holder_that_became_root, TIMEOUT)
{
	suid_holder_lease(_metadata, self, SUID_ROOT_ARG, false);
}

TEST_F_TIMEOUT(lease, sigbus_reaches_a_setuid_holder_of_the_same_user, TIMEOUT)
{
	suid_holder_lease(_metadata, self, SUID_KEEP_ARG, true);
}

/* Try F_LONGTERM on @path as uid 65534 without capabilities; errno or 0. */
static int longterm_unprivileged(const char *path)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return -1;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data))
		return -1;
	if (syscall(SYS_capget, &hdr, data) ||
	    data[0].effective || data[1].effective ||
	    data[0].permitted || data[1].permitted)
		return -1;
	if (geteuid() != 65534)
		return -1;
	if (fcntl(fd, F_SETLEASE, F_LONGTERM) == 0)
		return 0;
	return errno;
}

TEST_F_TIMEOUT(lease, eacces_for_non_owner, TIMEOUT)
{
	struct stat st;

	ASSERT_EQ(0, stat(self->path, &st));
	ASSERT_EQ(0U, st.st_uid);
	EXPECT_EQ(EACCES, in_child(self->path, longterm_unprivileged));
	EXPECT_EQ(0, count_locks(self->path, "LONGTERM", NULL));
}

TEST_F_TIMEOUT(lease, einval_for_non_regular_file, TIMEOUT)
{
	char fifo[160];
	int fd;

	/* A directory. */
	fd = open(variant->dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, fcntl(fd, F_SETLEASE, F_LONGTERM));
	EXPECT_EQ(EINVAL, errno);
	close(fd);

	/* A FIFO. */
	snprintf(fifo, sizeof(fifo), "%s.fifo", self->path);
	unlink(fifo);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	fd = open(fifo, O_RDWR | O_NONBLOCK);
	EXPECT_LE(0, fd);
	if (fd >= 0) {
		EXPECT_EQ(-1, fcntl(fd, F_SETLEASE, F_LONGTERM));
		EXPECT_EQ(EINVAL, errno);
		close(fd);
	}
	unlink(fifo);

	/* The same request on the regular file, opened the same way, works. */
	self->fd = open(self->path, O_RDONLY);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, fcntl(self->fd, F_SETLEASE, F_LONGTERM));
	EXPECT_EQ(F_LONGTERM, fcntl(self->fd, F_GETLEASE));
}

static int open_for_write_nonblock(const char *path)
{
	int fd = open(path, O_RDWR | O_NONBLOCK);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(lease, coexists_with_read_lease, TIMEOUT)
{
	struct result r;
	siginfo_t si;
	int fd;

	/*
	 * One open file holds one lease at most, of either kind: both
	 * would share its F_SETOWN and fasync state, which the removal of
	 * either resets. Neither kind replaces the other.
	 */
	fd = open(self->path, O_RDONLY);
	ASSERT_LE(0, fd);
	self->fd = fd;
	ASSERT_EQ(0, fcntl(fd, F_SETLEASE, F_RDLCK));
	ASSERT_EQ(-1, fcntl(fd, F_SETLEASE, F_LONGTERM));
	ASSERT_EQ(EBUSY, errno);
	EXPECT_EQ(F_RDLCK, fcntl(fd, F_GETLEASE));
	EXPECT_EQ(1, count_locks(self->path, "LEASE", "ACTIVE"));
	EXPECT_EQ(0, count_locks(self->path, "LONGTERM", NULL));
	ASSERT_EQ(0, fcntl(fd, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(0, count_locks(self->path, "LEASE", NULL));

	ASSERT_EQ(0, fcntl(fd, F_SETLEASE, F_LONGTERM));
	ASSERT_EQ(-1, fcntl(fd, F_SETLEASE, F_RDLCK));
	ASSERT_EQ(EBUSY, errno);
	EXPECT_EQ(F_LONGTERM, fcntl(fd, F_GETLEASE));
	EXPECT_EQ(0, count_locks(self->path, "LEASE", NULL));
	EXPECT_EQ(1, count_locks(self->path, "LONGTERM", "ACTIVE"));
	ASSERT_EQ(0, fcntl(fd, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(0, count_locks(self->path, "LONGTERM", NULL));
	EXPECT_EQ(-1, fcntl(fd, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(EAGAIN, errno);

	/* Two open files: a read lease on fd, a long-term lease on fd2. */
	self->fd2 = open(self->path, O_RDONLY);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, fcntl(fd, F_SETSIG, SIGIO));
	ASSERT_EQ(0, fcntl(self->fd2, F_SETSIG, SIGIO));
	ASSERT_EQ(0, fcntl(fd, F_SETLEASE, F_RDLCK));
	ASSERT_EQ(0, fcntl(self->fd2, F_SETLEASE, F_LONGTERM));
	EXPECT_EQ(F_RDLCK, fcntl(fd, F_GETLEASE));
	EXPECT_EQ(F_LONGTERM, fcntl(self->fd2, F_GETLEASE));

	/* An open for write breaks the read lease only. */
	drain_sigio();
	EXPECT_EQ(EWOULDBLOCK,
		  in_child(self->path, open_for_write_nonblock));
	ASSERT_EQ(SIGIO, rt_wait_sigio(SIG_MS, &si));
	EXPECT_EQ(fd, si.si_fd);
	EXPECT_EQ(F_UNLCK, fcntl(fd, F_GETLEASE));
	EXPECT_EQ(1, count_locks(self->path, "LEASE", "BREAKING"));
	EXPECT_EQ(F_LONGTERM, fcntl(self->fd2, F_GETLEASE));
	EXPECT_EQ(1, count_locks(self->path, "LONGTERM", "ACTIVE"));

	/* Releasing the read lease leaves the long-term one alone. */
	ASSERT_EQ(0, fcntl(fd, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(0, count_locks(self->path, "LEASE", NULL));
	EXPECT_EQ(F_LONGTERM, fcntl(self->fd2, F_GETLEASE));
	EXPECT_EQ(1, count_locks(self->path, "LONGTERM", "ACTIVE"));
	EXPECT_EQ(-1, rt_wait_sigio(300, &si));

	/* Nothing breaks it but a layout change. */
	self->fd = self->fd2;
	self->fd2 = fd;
	break_with(_metadata, self, RT_PUNCH, &si);
	EXPECT_EQ(self->fd, si.si_fd);
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_UNLCK));
	op_result(_metadata, self, &r);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, count_locks(self->path, "LONGTERM", NULL));
	check_op_done(_metadata, self, RT_PUNCH);
}

/*
 * F_UNLCK removes the lease of the open file, of either kind, so users of
 * plain leases see what they saw before F_LONGTERM:
 * the lease of this open file goes, through any fd of it, and only it;
 * releasing a lease that is being broken lets the breaker go on; and
 * there is nothing to release afterwards. The same assertions pass on the
 * stock kernel.
 */
TEST_F_TIMEOUT(lease, plain_lease_unlck_is_unchanged, TIMEOUT)
{
	int dupfd;

	/* A write lease, downgraded to a read lease: still one lease. */
	self->fd = open(self->path, O_RDONLY);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_WRLCK));
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_RDLCK));
	EXPECT_EQ(F_RDLCK, fcntl(self->fd, F_GETLEASE));
	EXPECT_EQ(1, count_locks(self->path, "LEASE", "ACTIVE"));

	/* Through a dup of the fd: the same open file. */
	dupfd = dup(self->fd);
	ASSERT_LE(0, dupfd);
	ASSERT_EQ(0, fcntl(dupfd, F_SETLEASE, F_UNLCK));
	close(dupfd);
	EXPECT_EQ(F_UNLCK, fcntl(self->fd, F_GETLEASE));
	EXPECT_EQ(0, count_locks(self->path, "LEASE", NULL));
	EXPECT_EQ(-1, fcntl(self->fd, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(EAGAIN, errno);

	/*
	 * Two open files: releasing one lease leaves the other, the newer
	 * one first, then the older one.
	 */
	self->fd2 = open(self->path, O_RDONLY);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_RDLCK));
	ASSERT_EQ(0, fcntl(self->fd2, F_SETLEASE, F_RDLCK));
	EXPECT_EQ(2, count_locks(self->path, "LEASE", "ACTIVE"));
	ASSERT_EQ(0, fcntl(self->fd2, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(F_UNLCK, fcntl(self->fd2, F_GETLEASE));
	EXPECT_EQ(F_RDLCK, fcntl(self->fd, F_GETLEASE));
	EXPECT_EQ(1, count_locks(self->path, "LEASE", "ACTIVE"));
	ASSERT_EQ(0, fcntl(self->fd2, F_SETLEASE, F_RDLCK));
	EXPECT_EQ(2, count_locks(self->path, "LEASE", "ACTIVE"));
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(F_UNLCK, fcntl(self->fd, F_GETLEASE));
	EXPECT_EQ(F_RDLCK, fcntl(self->fd2, F_GETLEASE));
	EXPECT_EQ(1, count_locks(self->path, "LEASE", "ACTIVE"));

	/* A lease being broken: F_UNLCK ends the break. */
	drain_sigio();
	ASSERT_EQ(0, fcntl(self->fd2, F_SETSIG, SIGIO));
	EXPECT_EQ(EWOULDBLOCK,
		  in_child(self->path, open_for_write_nonblock));
	EXPECT_EQ(1, count_locks(self->path, "LEASE", "BREAKING"));
	ASSERT_EQ(0, fcntl(self->fd2, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(0, count_locks(self->path, "LEASE", NULL));
	EXPECT_EQ(F_UNLCK, fcntl(self->fd2, F_GETLEASE));
	EXPECT_EQ(0, in_child(self->path, open_for_write_nonblock));
	EXPECT_EQ(-1, fcntl(self->fd2, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_HARNESS_MAIN

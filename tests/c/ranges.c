// SPDX-License-Identifier: GPL-2.0
/*
 * Range-aware breaks, on ext4 and xfs: a layout change revokes only the
 * MRs whose file pages it frees or moves, and growing or preallocating a
 * file revokes nothing.
 *
 * The file is FILE_SZ bytes, mapped shared. MR A covers [A_OFF, A_OFF +
 * MR_LEN) of it and MR B [B_OFF, B_OFF + MR_LEN); the gap between them
 * belongs to neither. Each row of the table in
 * Documentation/filesystems/longterm-leases.rst is one test: it runs the
 * operation in a thread, and checks
 *   - exactly the MRs the row names get one IBV_EVENT_MR_REVOKED each, and
 *     no other event comes;
 *   - the operation waits for them (not for the others), and completes
 *     once they are deregistered;
 *   - the MRs not named still work: the peer's RDMA WRITE lands in the
 *     file, and their lease still stands.
 * An operation the file system does not have (reflink on ext4) fails
 * without any event, and so does, at once with ETXTBSY, a reflink out of a
 * range an MR maps (its blocks would become shared with the other file). The ranges are rounded out to 2 MiB (a PMD entry): all
 * the offsets here are multiples of it. ignored_event_revokes_only_a checks
 * that an ignored event revokes A alone, within lease-break-time, while B
 * keeps working, and later_break_with_shorter_time_is_not_delayed that a
 * revoke queued for later does not hold up an earlier one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#define MB		(1L << 20)
#define FILE_SZ		(16 * MB)
#define A_OFF		0
#define B_OFF		(8 * MB)
#define MR_LEN		(4 * MB)
#define SUB		(64L << 10)	/* a small range inside an MR */
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)
#define BREAK_S		20	/* an answered break never waits for it */
#define EVENT_MS	5000	/* for an expected event */
#define QUIET_MS	1000	/* no event within it: none comes */
#define DONE_MS		10000	/* for an operation that has no MR to wait for */
#define TIMEOUT		120
#define BREAK_TIME_SYSCTL "/proc/sys/fs/lease-break-time"
#ifndef F_LONGTERM
#define F_LONGTERM	16	/* include/uapi/linux/fcntl.h, the series */
#endif

enum { A = 1, B = 2 };

FIXTURE(ranges) {
	struct rt rt;
	char path[64];
	int fd, saved_break_time;
	char *buf, *local;
	struct ibv_mr *lmr, *mr[2];
};

FIXTURE_VARIANT(ranges) {
	const char *dir;
	bool xfs;
};

FIXTURE_VARIANT_ADD(ranges, ext4) { .dir = RT_EXT4 };
FIXTURE_VARIANT_ADD(ranges, xfs) { .dir = RT_XFS, .xfs = true };

FIXTURE_SETUP(ranges)
{
	self->fd = -1;
	self->saved_break_time = -1;
	ASSERT_EQ(0, rt_read_int(BREAK_TIME_SYSCTL, &self->saved_break_time));
	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, BREAK_S));
	ASSERT_EQ(0, rt_open(&self->rt));
	snprintf(self->path, sizeof(self->path), "%s/ranges", variant->dir);
	self->buf = rt_map_file(variant->dir, "ranges", FILE_SZ, &self->fd);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(1, rt_is_dax(self->path));
	self->local = aligned_alloc(4096, MR_LEN);
	ASSERT_NE(NULL, self->local);
	self->lmr = ibv_reg_mr(self->rt.pd, self->local, MR_LEN, ACCESS);
	ASSERT_NE(NULL, self->lmr);
	self->mr[0] = ibv_reg_mr(self->rt.pd, self->buf + A_OFF, MR_LEN,
				 ACCESS);
	ASSERT_NE(NULL, self->mr[0]);
	self->mr[1] = ibv_reg_mr(self->rt.pd, self->buf + B_OFF, MR_LEN,
				 ACCESS);
	ASSERT_NE(NULL, self->mr[1]);
	/* One lease for both: what a break leaves of it matters. */
	ASSERT_EQ(1, rt_longterm_leases(self->fd));
}

FIXTURE_TEARDOWN(ranges)
{
	int i;

	for (i = 0; i < 2; i++)
		if (self->mr[i])
			ibv_dereg_mr(self->mr[i]);
	if (self->lmr)
		ibv_dereg_mr(self->lmr);
	free(self->local);
	if (self->buf)
		munmap(self->buf, FILE_SZ);
	if (self->fd >= 0)
		close(self->fd);
	unlink(self->path);
	rt_close(&self->rt);
	if (self->saved_break_time > 0)
		rt_write_int(BREAK_TIME_SYSCTL, self->saved_break_time);
}

/* A temporary file in the directory of @fd's file, @len bytes of @seed. */
static int tmp_file(int fd, off_t len, uint32_t seed)
{
	char link[64], dir[256], *slash, *data;
	ssize_t n;
	int t;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, dir, sizeof(dir) - 1);
	if (n < 0)
		return -1;
	dir[n] = 0;
	slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = 0;
	t = open(dir, O_TMPFILE | O_RDWR, 0600);
	data = malloc(len);
	if (t < 0 || !data) {
		free(data);
		if (t >= 0)
			close(t);
		return -1;
	}
	rt_fill(data, len, seed);
	if (pwrite(t, data, len, 0) != len) {
		close(t);
		t = -1;
	}
	free(data);
	return t;
}

static int op_truncate(int fd, off_t size)
{
	return ftruncate(fd, size);
}

static int op_falloc(int fd, int mode, off_t off, off_t len)
{
	return fallocate(fd, mode, off, len);
}

/* FICLONERANGE of SUB bytes out of @fd from @off into another file. */
static int op_clone_from(int fd, off_t off)
{
	struct file_clone_range r = {
		.src_fd = fd, .src_offset = off, .src_length = SUB,
	};
	int t = tmp_file(fd, SUB, 7), ret, err;

	if (t < 0)
		return -1;
	ret = ioctl(t, FICLONERANGE, &r);
	err = errno;
	close(t);
	errno = err;
	return ret;
}

/* FIDEDUPERANGE of SUB bytes into @fd at @off, from a copy of them. */
static int op_dedupe(int fd, off_t off)
{
	struct {
		struct file_dedupe_range r;
		struct file_dedupe_range_info info;
	} d = { .r = { .src_length = SUB, .dest_count = 1 } };
	char *data = malloc(SUB);
	int t = tmp_file(fd, SUB, 7), ret = -1, err;

	if (t < 0 || !data)
		goto out;
	if (pread(fd, data, SUB, off) != SUB ||
	    pwrite(t, data, SUB, 0) != SUB)
		goto out;
	d.info.dest_fd = fd;
	d.info.dest_offset = off;
	ret = ioctl(t, FIDEDUPERANGE, &d);
	if (!ret && d.info.status != FILE_DEDUPE_RANGE_SAME) {
		ret = -1;
		errno = d.info.status < 0 ? -d.info.status : EBADE;
	}
out:
	err = errno;
	free(data);
	if (t >= 0)
		close(t);
	errno = err;
	return ret;
}

enum kind {
	K_TRUNC, K_FALLOC, K_CLONE_INTO, K_CLONE_FROM, K_DEDUPE, K_EXCHANGE,
};

struct row {
	enum kind kind;
	int mode;		/* fallocate mode */
	off_t off, len;		/* or the size, for K_TRUNC */
	int hits;		/* A, B: the MRs the operation revokes */
	int xfs_hits;		/* if set, those it revokes on xfs */
	bool xfs_only;		/* ext4 fails it, with no event */
	int refused;		/* xfs fails it with this errno, no event */
};

struct change {
	int fd;
	const struct row *row;
	int ret, err;
	int done;
	pthread_t thread;
};

static int run_row(int fd, const struct row *r)
{
	switch (r->kind) {
	case K_TRUNC:
		return op_truncate(fd, r->off);
	case K_FALLOC:
		return op_falloc(fd, r->mode, r->off, r->len);
	case K_CLONE_INTO:
		return rt_remap_range(fd, RT_REFLINK, r->off, SUB);
	case K_CLONE_FROM:
		return op_clone_from(fd, r->off);
	case K_DEDUPE:
		return op_dedupe(fd, r->off);
	case K_EXCHANGE:
		return rt_remap_range(fd, RT_EXCHANGE, r->off, SUB);
	}
	errno = EINVAL;
	return -1;
}

static void *change_thread(void *arg)
{
	struct change *c = arg;

	c->ret = run_row(c->fd, c->row);
	c->err = errno;
	__atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static bool change_done(struct change *c)
{
	return __atomic_load_n(&c->done, __ATOMIC_SEQ_CST);
}

static bool wait_done(struct change *c, int ms)
{
	long t0 = rt_now_ms();

	while (!change_done(c) && rt_now_ms() - t0 < ms)
		usleep(10000);
	return change_done(c);
}

/* The peer writes MR_LEN bytes of @seed through @mr; the file has them. */
static bool mr_works(struct __test_metadata *_metadata,
		     FIXTURE_DATA(ranges) *self, int i, off_t off,
		     uint32_t seed)
{
	char *copy = malloc(MR_LEN);
	bool ok;

	rt_fill(self->local, MR_LEN, seed);
	ok = copy && rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			     self->local, MR_LEN,
			     (uintptr_t)self->mr[i]->addr,
			     self->mr[i]->rkey) == IBV_WC_SUCCESS &&
	     pread(self->fd, copy, MR_LEN, off) == MR_LEN &&
	     rt_check(copy, MR_LEN, seed) == -1;
	free(copy);
	return ok;
}

/*
 * Run @r: the MRs it names get their event, the change waits for them
 * until they are deregistered, the others keep their lease and work.
 */
static void check_row(struct __test_metadata *_metadata,
		      FIXTURE_DATA(ranges) *self,
		      const FIXTURE_VARIANT(ranges) *variant,
		      const struct row *r)
{
	struct change c = { .fd = self->fd, .row = r };
	struct ibv_async_event ev;
	int seen[2] = { 0 }, other = 0, i, want;
	off_t moff[2] = { A_OFF, B_OFF };
	int hits = variant->xfs && r->xfs_hits ? r->xfs_hits : r->hits;

	if ((r->xfs_only && !variant->xfs) || (r->refused && variant->xfs)) {
		long t0 = rt_now_ms(), ms;
		int ret = run_row(self->fd, r), err = errno;

		ms = rt_now_ms() - t0;
		ASSERT_EQ(-1, ret);
		if (variant->xfs) {
			/* At once: it breaks nothing and waits for nothing. */
			EXPECT_EQ(r->refused, err) TH_LOG("errno %d", err);
			EXPECT_GT(QUIET_MS, ms) TH_LOG("it took %ld ms", ms);
		} else {
			EXPECT_TRUE(err == EOPNOTSUPP || err == ENOTTY ||
				    err == EINVAL || err == EXDEV) {
				TH_LOG("errno %d", err);
			}
		}
		EXPECT_EQ(0, rt_get_event(self->rt.ctx, &ev, QUIET_MS));
		EXPECT_EQ(1, rt_longterm_leases(self->fd));
		EXPECT_TRUE(mr_works(_metadata, self, 0, A_OFF, 21));
		EXPECT_TRUE(mr_works(_metadata, self, 1, B_OFF, 22));
		return;
	}

	ASSERT_EQ(0, pthread_create(&c.thread, NULL, change_thread, &c));
	want = !!(hits & A) + !!(hits & B);
	/* The expected events, then nothing more for QUIET_MS. */
	while (rt_get_event(self->rt.ctx, &ev, seen[0] + seen[1] < want ?
			    EVENT_MS : QUIET_MS)) {
		if (ev.event_type == IBV_EVENT_MR_REVOKED &&
		    ev.element.mr == self->mr[0])
			seen[0]++;
		else if (ev.event_type == IBV_EVENT_MR_REVOKED &&
			 ev.element.mr == self->mr[1])
			seen[1]++;
		else
			other++;
		ibv_ack_async_event(&ev);
	}
	EXPECT_EQ(!!(hits & A), seen[0]);
	EXPECT_EQ(!!(hits & B), seen[1]);
	EXPECT_EQ(0, other);

	if (hits) {
		/* It waits for the MRs it hit, the others do not matter. */
		EXPECT_FALSE(change_done(&c));
		for (i = 0; i < 2; i++) {
			if (!(hits & (1 << i)))
				continue;
			ASSERT_EQ(0, ibv_dereg_mr(self->mr[i]));
			self->mr[i] = NULL;
		}
	}
	ASSERT_TRUE(wait_done(&c, DONE_MS)) {
		TH_LOG("the operation did not complete");
	}
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret) TH_LOG("operation: %s", strerror(c.err));

	/* The lease stands for what is left, and that still works. */
	EXPECT_EQ(hits == (A | B) ? 0 : 1, rt_longterm_leases(self->fd));
	for (i = 0; i < 2; i++)
		if (!(hits & (1 << i)))
			EXPECT_TRUE(mr_works(_metadata, self, i, moff[i],
					     31 + i));
}

#define ROW(name, ...)							\
	TEST_F_TIMEOUT(ranges, name, TIMEOUT)				\
	{								\
		const struct row r = { __VA_ARGS__ };			\
		check_row(_metadata, self, variant, &r);		\
	}

/* Size changes: only a shrink frees blocks, those from the new size on. */
ROW(truncate_between_a_and_b, .kind = K_TRUNC, .off = B_OFF - MB, .hits = B)
ROW(truncate_inside_b, .kind = K_TRUNC, .off = B_OFF + MB, .hits = B)
ROW(truncate_inside_a, .kind = K_TRUNC, .off = A_OFF + MB, .hits = A | B)
ROW(truncate_up, .kind = K_TRUNC, .off = 2 * FILE_SZ, .hits = 0)
ROW(truncate_to_same_size, .kind = K_TRUNC, .off = FILE_SZ, .hits = 0)
ROW(truncate_beyond_b, .kind = K_TRUNC, .off = B_OFF + MR_LEN, .hits = 0)

/* Preallocation moves no block, whether or not it grows the file. */
ROW(fallocate_grow, .kind = K_FALLOC, .mode = 0, .off = FILE_SZ,
    .len = FILE_SZ, .hits = 0)
ROW(fallocate_keep_size, .kind = K_FALLOC, .mode = FALLOC_FL_KEEP_SIZE,
    .off = FILE_SZ, .len = 4 * MB, .hits = 0)
ROW(fallocate_over_a_and_b, .kind = K_FALLOC, .mode = 0, .off = 0,
    .len = FILE_SZ, .hits = 0)

/* Punch and zero range: their range. */
ROW(punch_under_a, .kind = K_FALLOC,
    .mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, .off = A_OFF + SUB,
    .len = SUB, .hits = A)
ROW(punch_under_b, .kind = K_FALLOC,
    .mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, .off = B_OFF + SUB,
    .len = SUB, .hits = B)
ROW(punch_between, .kind = K_FALLOC,
    .mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, .off = A_OFF + MR_LEN,
    .len = B_OFF - A_OFF - MR_LEN, .hits = 0)
ROW(punch_beyond_b, .kind = K_FALLOC,
    .mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, .off = B_OFF + MR_LEN,
    .len = FILE_SZ - B_OFF - MR_LEN, .hits = 0)
ROW(zero_range_under_a, .kind = K_FALLOC, .mode = FALLOC_FL_ZERO_RANGE,
    .off = A_OFF + SUB, .len = SUB, .hits = A)
ROW(zero_range_between, .kind = K_FALLOC, .mode = FALLOC_FL_ZERO_RANGE,
    .off = A_OFF + MR_LEN, .len = MB, .hits = 0)

/*
 * Collapse and insert range: from the offset to the end; on xfs from the
 * allocation unit before the offset, whose page cache xfs drops as well.
 */
ROW(collapse_between, .kind = K_FALLOC, .mode = FALLOC_FL_COLLAPSE_RANGE,
    .off = A_OFF + MR_LEN + MB, .len = MB, .hits = B)
ROW(insert_between, .kind = K_FALLOC, .mode = FALLOC_FL_INSERT_RANGE,
    .off = A_OFF + MR_LEN + MB, .len = MB, .hits = B)
ROW(collapse_beyond_b, .kind = K_FALLOC, .mode = FALLOC_FL_COLLAPSE_RANGE,
    .off = B_OFF + MR_LEN + MB, .len = MB, .hits = 0)
ROW(collapse_right_after_a, .kind = K_FALLOC, .mode = FALLOC_FL_COLLAPSE_RANGE,
    .off = A_OFF + MR_LEN, .len = MB, .hits = B, .xfs_hits = A | B)
ROW(insert_right_after_a, .kind = K_FALLOC, .mode = FALLOC_FL_INSERT_RANGE,
    .off = A_OFF + MR_LEN, .len = MB, .hits = B, .xfs_hits = A | B)

/*
 * Sharing (xfs only): the destination range gets other blocks. The blocks
 * of a source range would become shared: a reflink out of a range an MR
 * maps (rounded out to 2 MiB) is refused, one out of the gap shares it.
 */
ROW(unshare_under_b, .kind = K_FALLOC, .mode = FALLOC_FL_UNSHARE_RANGE,
    .off = B_OFF + SUB, .len = SUB, .hits = B, .xfs_only = true)
ROW(reflink_into_b, .kind = K_CLONE_INTO, .off = B_OFF + SUB, .hits = B,
    .xfs_only = true)
ROW(reflink_into_gap, .kind = K_CLONE_INTO, .off = A_OFF + MR_LEN, .hits = 0,
    .xfs_only = true)
ROW(reflink_out_of_a_refused, .kind = K_CLONE_FROM, .off = A_OFF + SUB,
    .xfs_only = true, .refused = ETXTBSY)
ROW(reflink_out_of_gap, .kind = K_CLONE_FROM, .off = A_OFF + MR_LEN,
    .hits = 0, .xfs_only = true)
ROW(dedupe_into_b, .kind = K_DEDUPE, .off = B_OFF + SUB, .hits = B,
    .xfs_only = true)
ROW(exchange_range_under_a, .kind = K_EXCHANGE, .off = A_OFF + SUB,
    .hits = A, .xfs_only = true)

/*
 * An ignored event: lease-break-time later A alone is revoked, the punch
 * completes, B still works and keeps the lease.
 */
TEST_F_TIMEOUT(ranges, ignored_event_revokes_only_a, TIMEOUT)
{
	const struct row r = {
		.kind = K_FALLOC, .off = A_OFF + SUB, .len = SUB,
		.mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	};
	struct change c = { .fd = self->fd, .row = &r };
	struct ibv_async_event ev;
	long t0;

	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, 2));
	t0 = rt_now_ms();
	ASSERT_EQ(0, pthread_create(&c.thread, NULL, change_thread, &c));
	ASSERT_EQ(1, rt_get_event(self->rt.ctx, &ev, EVENT_MS));
	EXPECT_EQ(IBV_EVENT_MR_REVOKED, ev.event_type);
	EXPECT_EQ(self->mr[0], ev.element.mr);
	ibv_ack_async_event(&ev);
	/* Not answered: the revoke ends the wait. */
	ASSERT_TRUE(wait_done(&c, DONE_MS));
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret);
	EXPECT_LE(2000, rt_now_ms() - t0);
	EXPECT_EQ(0, rt_get_event(self->rt.ctx, &ev, QUIET_MS));

	/* A is revoked: the peer's write fails, and breaks the QP. */
	EXPECT_NE(IBV_WC_SUCCESS,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			  self->local, SUB, (uintptr_t)self->mr[0]->addr,
			  self->mr[0]->rkey));
	ASSERT_EQ(0, rt_reconnect(&self->rt));
	EXPECT_TRUE(mr_works(_metadata, self, 1, B_OFF, 41));
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	ASSERT_EQ(0, ibv_dereg_mr(self->mr[1]));
	self->mr[1] = NULL;
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

/*
 * An MR is revoked lease-break-time after the break that hit it, whatever
 * the lease had queued before. A is hit under a long lease-break-time and
 * deregistered at once, which leaves the lease's revoke work queued for
 * A's time; B, hit under a short one, is not answered: B is revoked, and
 * the punch over it completes, after the short time, not at A's.
 */
TEST_F_TIMEOUT(ranges, later_break_with_shorter_time_is_not_delayed, TIMEOUT)
{
	const struct row ra = {
		.kind = K_FALLOC, .off = A_OFF + SUB, .len = SUB,
		.mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	};
	const struct row rb = {
		.kind = K_FALLOC, .off = B_OFF + SUB, .len = SUB,
		.mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	};
	struct change ca = { .fd = self->fd, .row = &ra };
	struct change cb = { .fd = self->fd, .row = &rb };
	struct ibv_async_event ev;
	long t0, ms;

	/* A, under BREAK_S, answered at once. */
	ASSERT_EQ(0, pthread_create(&ca.thread, NULL, change_thread, &ca));
	ASSERT_EQ(1, rt_get_event(self->rt.ctx, &ev, EVENT_MS));
	EXPECT_EQ(self->mr[0], ev.element.mr);
	ibv_ack_async_event(&ev);
	ASSERT_EQ(0, ibv_dereg_mr(self->mr[0]));
	self->mr[0] = NULL;
	ASSERT_TRUE(wait_done(&ca, DONE_MS));
	ASSERT_EQ(0, pthread_join(ca.thread, NULL));
	EXPECT_EQ(0, ca.ret);
	EXPECT_EQ(1, rt_longterm_leases(self->fd));

	/* B, under 2 s, not answered. */
	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, 2));
	t0 = rt_now_ms();
	ASSERT_EQ(0, pthread_create(&cb.thread, NULL, change_thread, &cb));
	ASSERT_EQ(1, rt_get_event(self->rt.ctx, &ev, EVENT_MS));
	EXPECT_EQ(self->mr[1], ev.element.mr);
	ibv_ack_async_event(&ev);
	EXPECT_TRUE(wait_done(&cb, DONE_MS))
		TH_LOG("B is not revoked 2 s after its break: at A's time?");
	ms = rt_now_ms() - t0;
	if (!change_done(&cb)) {
		ibv_dereg_mr(self->mr[1]);
		self->mr[1] = NULL;
	}
	ASSERT_EQ(0, pthread_join(cb.thread, NULL));
	EXPECT_EQ(0, cb.ret);
	TH_LOG("the punch under B took %ld ms", ms);
	EXPECT_LE(2000, ms);
	/* B is revoked: the lease went with it. */
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

/*
 * An MR over two ranges of the file (two VMAs, the second mapping the end
 * of the file right after the start): a punch under either part hits it.
 */
TEST_F_TIMEOUT(ranges, mr_over_two_ranges_of_the_file, TIMEOUT)
{
	const struct row r = {
		.kind = K_FALLOC, .off = FILE_SZ - SUB, .len = SUB,
		.mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	};
	struct change c = { .fd = self->fd, .row = &r };
	struct ibv_async_event ev;
	struct ibv_mr *mr;
	char *two;

	two = mmap(NULL, 2 * MB, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, A_OFF + MR_LEN);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(two + MB, mmap(two + MB, MB, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED, self->fd,
				 FILE_SZ - MB));
	mr = ibv_reg_mr(self->rt.pd, two, 2 * MB, ACCESS);
	ASSERT_NE(NULL, mr);

	/* Between its two ranges (and off A and B): nobody is hit. */
	ASSERT_EQ(0, fallocate(self->fd,
			       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       B_OFF - MB, MB));
	ASSERT_EQ(0, fallocate(self->fd,
			       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       B_OFF + MR_LEN, MB));
	EXPECT_EQ(0, rt_get_event(self->rt.ctx, &ev, QUIET_MS));

	ASSERT_EQ(0, pthread_create(&c.thread, NULL, change_thread, &c));
	ASSERT_EQ(1, rt_get_event(self->rt.ctx, &ev, EVENT_MS));
	EXPECT_EQ(IBV_EVENT_MR_REVOKED, ev.event_type);
	EXPECT_EQ(mr, ev.element.mr);
	ibv_ack_async_event(&ev);
	EXPECT_EQ(0, rt_get_event(self->rt.ctx, &ev, QUIET_MS));
	EXPECT_FALSE(change_done(&c));
	ASSERT_EQ(0, ibv_dereg_mr(mr));
	ASSERT_TRUE(wait_done(&c, DONE_MS));
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret);
	munmap(two, 2 * MB);
	EXPECT_TRUE(mr_works(_metadata, self, 0, A_OFF, 51));
	EXPECT_TRUE(mr_works(_metadata, self, 1, B_OFF, 52));
}

/*
 * A change of any part of a 2 MiB PMD entry drops the whole entry: an MR
 * over another page of the same 2 MiB is hit too (else, were the file
 * mapped with PMD entries, the change would wait for it for ever), one in
 * the next 2 MiB is not.
 */
TEST_F_TIMEOUT(ranges, same_2m_as_the_range_is_hit, TIMEOUT)
{
	const struct row r = {
		.kind = K_FALLOC, .off = B_OFF - MB, .len = 4096,
		.mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	};
	struct change c = { .fd = self->fd, .row = &r };
	struct ibv_async_event ev;
	struct ibv_mr *same, *next;

	/* Both off A and B: the page at 6M, and the first of 10M's 2M. */
	same = ibv_reg_mr(self->rt.pd, self->buf + B_OFF - 2 * MB, 4096,
			  ACCESS);
	ASSERT_NE(NULL, same);
	next = ibv_reg_mr(self->rt.pd, self->buf + A_OFF + MR_LEN, 4096,
			  ACCESS);
	ASSERT_NE(NULL, next);

	ASSERT_EQ(0, pthread_create(&c.thread, NULL, change_thread, &c));
	ASSERT_EQ(1, rt_get_event(self->rt.ctx, &ev, EVENT_MS));
	EXPECT_EQ(IBV_EVENT_MR_REVOKED, ev.event_type);
	EXPECT_EQ(same, ev.element.mr);
	ibv_ack_async_event(&ev);
	EXPECT_EQ(0, rt_get_event(self->rt.ctx, &ev, QUIET_MS));
	EXPECT_FALSE(change_done(&c));
	ASSERT_EQ(0, ibv_dereg_mr(same));
	ASSERT_TRUE(wait_done(&c, DONE_MS));
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret);
	ASSERT_EQ(0, ibv_dereg_mr(next));
}

static int sigio_seen;

static void on_sigio(int sig)
{
	__atomic_store_n(&sigio_seen, 1, __ATOMIC_SEQ_CST);
}

/*
 * A user F_LONGTERM lease names no range: a punch that touches no MR still
 * breaks it, and waits for its release.
 */
TEST_F_TIMEOUT(ranges, user_lease_breaks_on_any_range, TIMEOUT)
{
	const struct row r = {
		.kind = K_FALLOC, .off = A_OFF + MR_LEN, .len = MB,
		.mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	};
	struct sigaction sa = { .sa_handler = on_sigio };
	struct change c = { .fd = self->fd, .row = &r };
	struct ibv_async_event ev;
	long t0;
	int fd;

	ASSERT_EQ(0, sigaction(SIGIO, &sa, NULL));
	fd = open(self->path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_SETLEASE, F_LONGTERM));
	ASSERT_EQ(0, pthread_create(&c.thread, NULL, change_thread, &c));
	t0 = rt_now_ms();
	while (!__atomic_load_n(&sigio_seen, __ATOMIC_SEQ_CST) &&
	       rt_now_ms() - t0 < EVENT_MS)
		usleep(10000);
	EXPECT_TRUE(__atomic_load_n(&sigio_seen, __ATOMIC_SEQ_CST));
	/* The MRs are not over the range: no event for them. */
	EXPECT_EQ(0, rt_get_event(self->rt.ctx, &ev, QUIET_MS));
	EXPECT_FALSE(change_done(&c));
	ASSERT_EQ(0, fcntl(fd, F_SETLEASE, F_UNLCK));
	ASSERT_TRUE(wait_done(&c, DONE_MS));
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret);
	close(fd);
	EXPECT_TRUE(mr_works(_metadata, self, 0, A_OFF, 61));
	EXPECT_TRUE(mr_works(_metadata, self, 1, B_OFF, 62));
}

TEST_HARNESS_MAIN

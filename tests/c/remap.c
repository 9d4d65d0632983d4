// SPDX-License-Identifier: GPL-2.0
/*
 * Reflink and dedupe next to an MR, on xfs -o dax (issue 25, item 2).
 *
 * Root owns F (mode 0644) and holds an MR over its first MR_LEN bytes, so
 * ib_core holds an FL_LONGTERM lease over them. FICLONE, FICLONERANGE and
 * FIDEDUPERANGE *from* F need no more than read access to F; the blocks of
 * the source range become shared with the other file, and a device that
 * writes through the MR would write into that file's data. So:
 *   - a remap is checked first: one that is refused anyway (a dedupe of
 *     differing data, a misaligned clone) returns at once, and reaches
 *     nobody (no IBV_EVENT_MR_REVOKED, no wait, the MR keeps working);
 *   - a valid remap out of a range that an FL_LONGTERM lease holds fails
 *     with ETXTBSY, at once, without reaching the MR, whoever asks (a
 *     reader, root); copy_file_range() then copies instead of sharing;
 *   - out of a part of F no MR maps (and beyond its 2 MiB PMD entry), or
 *     once the MR is deregistered, it succeeds and shares the blocks;
 *   - a remap *into* a leased range is a layout change of the destination,
 *     whose caller may write it: it breaks the lease (event) and waits for
 *     the dereg, as before; within one file, the source rule and the
 *     destination rule apply both.
 * "Reader" is uid 65534 in a child, with its own file G; F is opened
 * read-only after the switch. "At once" is under QUICK_MS, with
 * fs.lease-break-time at BREAK_S: a remap that broke the lease would take
 * BREAK_S before the revoke let it go on.
 *
 * On the kernel before this change (the remap locked both files and broke
 * the leases over both ranges before any check), every "reaches nobody" and
 * "refused" test fails: the MR gets its event, the remap returns after
 * BREAK_S (revoked MR), the clone or dedupe then succeeds (or reports
 * "differs" / EINVAL late), and the MR no longer works.
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
#include <unistd.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#define MB		(1L << 20)
#define FILE_SZ		(8 * MB)
#define MR_LEN		(2 * MB)	/* the MR: [0, MR_LEN) of F */
#define FAR_OFF		(4 * MB)	/* no MR there, nor in its 2 MiB */
#define SUB		(64L << 10)	/* what is cloned or deduped */
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)
#define BREAK_S		3	/* fs.lease-break-time */
#define QUICK_MS	1000	/* a remap that waits for nothing */
#define QUIET_MS	1000	/* no event within it: none comes */
#define EVENT_MS	5000	/* for an expected event */
#define DONE_MS		10000	/* for a remap once nothing holds it */
#define TIMEOUT		120
#define NOBODY		65534
#define SEED_F		0xf17e
#define SEED_G		0x6006
#define BREAK_TIME_SYSCTL "/proc/sys/fs/lease-break-time"
#define F_PATH		RT_XFS "/remap-f"
#define G_PATH		RT_XFS "/remap-g"
#ifndef F_LONGTERM
#define F_LONGTERM	16	/* include/uapi/linux/fcntl.h, the series */
#endif

FIXTURE(remap) {
	struct rt rt;
	int fd, g, saved_break_time;
	char *buf, *local;
	struct ibv_mr *lmr, *mr;
	pid_t kid;
};

/* The file of @fd: @len bytes of rt_fill(@seed) at @off, synced. */
static int fill_file(int fd, off_t off, size_t len, uint32_t seed)
{
	char *b = malloc(len);
	int ret = -1;

	if (!b)
		return -1;
	rt_fill(b, len, seed);
	if (pwrite(fd, b, len, off) == (ssize_t)len && !fsync(fd))
		ret = 0;
	free(b);
	return ret;
}

/* Copy @len bytes at @from of @src to @to of @dst, synced. */
static int copy_bytes(int src, off_t from, int dst, off_t to, size_t len)
{
	char *b = malloc(len);
	int ret = -1;

	if (!b)
		return -1;
	if (pread(src, b, len, from) == (ssize_t)len &&
	    pwrite(dst, b, len, to) == (ssize_t)len && !fsync(dst))
		ret = 0;
	free(b);
	return ret;
}

/* Whether @len bytes at @off of @fd are rt_fill(@seed)'s. */
static bool has_seed(int fd, off_t off, size_t len, uint32_t seed)
{
	char *b = malloc(len);
	bool ok = b && pread(fd, b, len, off) == (ssize_t)len &&
		  rt_check(b, len, seed) == -1;

	free(b);
	return ok;
}

/* Whether @len bytes at @a of @fa equal those at @b of @fb. */
static bool same_bytes(int fa, off_t a, int fb, off_t b, size_t len)
{
	char *x = malloc(len), *y = malloc(len);
	bool same = x && y && pread(fa, x, len, a) == (ssize_t)len &&
		    pread(fb, y, len, b) == (ssize_t)len && !memcmp(x, y, len);

	free(x);
	free(y);
	return same;
}

/* Of the extents of @fd over [@off, @off + @len), how many are shared. */
static int shared_extents(int fd, off_t off, size_t len)
{
	struct fiemap_extent ext[64];
	int i, n, shared = 0;

	n = rt_extents(fd, ext, 64);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (ext[i].fe_logical < (unsigned long long)off + len &&
		    ext[i].fe_logical + ext[i].fe_length > (unsigned long long)off &&
		    (ext[i].fe_flags & FIEMAP_EXTENT_SHARED))
			shared++;
	return shared;
}

FIXTURE_SETUP(remap)
{
	self->fd = -1;
	self->g = -1;
	self->saved_break_time = -1;
	ASSERT_EQ(0, rt_read_int(BREAK_TIME_SYSCTL, &self->saved_break_time));
	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, BREAK_S));
	ASSERT_EQ(0, rt_open(&self->rt));

	self->buf = rt_map_file(RT_XFS, "remap-f", FILE_SZ, &self->fd);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(1, rt_is_dax(F_PATH));
	ASSERT_EQ(0, fchmod(self->fd, 0644));
	ASSERT_EQ(0, fill_file(self->fd, 0, FILE_SZ, SEED_F));

	/* G: the reader's own file, as big as F, other bytes. */
	unlink(G_PATH);
	self->g = open(G_PATH, O_RDWR | O_CREAT | O_EXCL, 0644);
	ASSERT_LE(0, self->g);
	ASSERT_EQ(0, fchown(self->g, NOBODY, NOBODY));
	ASSERT_EQ(0, fill_file(self->g, 0, FILE_SZ, SEED_G));

	self->local = aligned_alloc(4096, MR_LEN);
	ASSERT_NE(NULL, self->local);
	self->lmr = ibv_reg_mr(self->rt.pd, self->local, MR_LEN, ACCESS);
	ASSERT_NE(NULL, self->lmr);
	self->mr = ibv_reg_mr(self->rt.pd, self->buf, MR_LEN, ACCESS);
	ASSERT_NE(NULL, self->mr) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	ASSERT_EQ(1, rt_longterm_leases(self->fd));
}

FIXTURE_TEARDOWN(remap)
{
	struct ibv_async_event ev;

	if (self->kid > 0)
		rt_wait_child(self->kid, 0);
	if (self->mr)
		ibv_dereg_mr(self->mr);
	if (self->lmr)
		ibv_dereg_mr(self->lmr);
	if (self->rt.ctx)
		while (rt_get_event(self->rt.ctx, &ev, 0))
			ibv_ack_async_event(&ev);
	free(self->local);
	if (self->buf)
		munmap(self->buf, FILE_SZ);
	if (self->fd >= 0) {
		EXPECT_EQ(0, rt_longterm_leases(self->fd));
		close(self->fd);
	}
	if (self->g >= 0)
		close(self->g);
	unlink(F_PATH);
	unlink(G_PATH);
	rt_close(&self->rt);
	if (self->saved_break_time > 0)
		rt_write_int(BREAK_TIME_SYSCTL, self->saved_break_time);
}

enum op { OP_CLONE, OP_CLONE_ALL, OP_DEDUPE, OP_COPY };

/* A remap of @len bytes from @src_off of @src to @dst_off of @dst. */
struct req {
	enum op op;
	const char *src, *dst;
	off_t src_off, dst_off, len;
	bool reader;		/* as uid NOBODY, not root */
};

/* What the remap returned, and how long it took. */
struct outcome {
	long ret;		/* the syscall's */
	int err;		/* its errno */
	int status;		/* FIDEDUPERANGE: info.status */
	long ms;
};

/* Do @q in this process: 0, or -1 if the files could not be opened. */
static int do_remap(const struct req *q, struct outcome *o)
{
	struct {
		struct file_dedupe_range r;
		struct file_dedupe_range_info info;
	} d = { .r = { .src_offset = q->src_off, .src_length = q->len,
		       .dest_count = 1 } };
	struct file_clone_range c = {
		.src_offset = q->src_off, .src_length = q->len,
		.dest_offset = q->dst_off,
	};
	loff_t in = q->src_off, out = q->dst_off;
	int src, dst;
	long t0;

	src = open(q->src, O_RDONLY);
	dst = open(q->dst, O_RDWR);
	if (src < 0 || dst < 0)
		return -1;
	c.src_fd = src;
	d.info.dest_fd = dst;
	d.info.dest_offset = q->dst_off;
	t0 = rt_now_ms();
	switch (q->op) {
	case OP_CLONE:
		o->ret = ioctl(dst, FICLONERANGE, &c);
		break;
	case OP_CLONE_ALL:
		o->ret = ioctl(dst, FICLONE, src);
		break;
	case OP_DEDUPE:
		o->ret = ioctl(src, FIDEDUPERANGE, &d);
		o->status = d.info.status;
		break;
	case OP_COPY:
		o->ret = copy_file_range(src, &in, dst, &out, q->len, 0);
		break;
	}
	o->err = o->ret < 0 ? errno : 0;
	o->ms = rt_now_ms() - t0;
	close(src);
	close(dst);
	return 0;
}

/*
 * Start @q in a child (as uid NOBODY if @q->reader): its pid, and *@rfd
 * the pipe its outcome comes through; -1 if it could not be started.
 */
static pid_t remap_start(const struct req *q, int *rfd)
{
	struct outcome o = { .ret = -1, .err = -1 };
	int p[2];
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
		alarm(TIMEOUT);
		if (q->reader && (setgroups(0, NULL) ||
				  setresgid(NOBODY, NOBODY, NOBODY) ||
				  setresuid(NOBODY, NOBODY, NOBODY)))
			_exit(2);
		if (do_remap(q, &o))
			o.err = -errno;	/* negative: the open failed */
		_exit(write(p[1], &o, sizeof(o)) == sizeof(o) ? 0 : 1);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/* The outcome of the child within @ms: true if it came. */
static bool remap_finish(pid_t pid, int rfd, int ms, struct outcome *o)
{
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	bool got;

	got = poll(&p, 1, ms) == 1 && read(rfd, o, sizeof(*o)) == sizeof(*o);
	close(rfd);
	rt_wait_child(pid, got ? 5000 : 0);
	return got;
}

/* Run @q to the end, in a child; the outcome must come within DONE_MS. */
static void run_remap(struct __test_metadata *_metadata,
		      const struct req *q, struct outcome *o)
{
	int rfd;
	pid_t pid = remap_start(q, &rfd);

	ASSERT_LT(0, pid);
	ASSERT_TRUE(remap_finish(pid, rfd, DONE_MS, o))
		TH_LOG("the remap did not return within %d ms", DONE_MS);
	ASSERT_LE(0, o->err) TH_LOG("the child could not open the files: %s",
				    strerror(-o->err));
	TH_LOG("%s: ret %ld, %s, status %d, %ld ms",
	       q->op == OP_DEDUPE ? "FIDEDUPERANGE" :
	       q->op == OP_COPY ? "copy_file_range" :
	       q->op == OP_CLONE_ALL ? "FICLONE" : "FICLONERANGE",
	       o->ret, o->err ? strerror(o->err) : "no error", o->status,
	       o->ms);
}

/* The peer writes MR_LEN bytes of @seed through the MR: F has them. */
static bool mr_works(FIXTURE_DATA(remap) *self, uint32_t seed)
{
	char *copy = malloc(MR_LEN);
	bool ok;

	rt_fill(self->local, MR_LEN, seed);
	ok = copy && rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			     self->local, MR_LEN, (uintptr_t)self->mr->addr,
			     self->mr->rkey) == IBV_WC_SUCCESS &&
	     pread(self->fd, copy, MR_LEN, 0) == MR_LEN &&
	     rt_check(copy, MR_LEN, seed) == -1;
	free(copy);
	return ok;
}

/*
 * The remap reached nobody: it returned at once, the owner got no event,
 * the lease stands, and the MR still works (checked last: it writes F).
 */
static void reached_nobody(struct __test_metadata *_metadata,
			   FIXTURE_DATA(remap) *self, const struct outcome *o,
			   uint32_t seed)
{
	struct ibv_async_event ev = { 0 };
	int got;

	EXPECT_GT(QUICK_MS, o->ms)
		TH_LOG("the remap took %ld ms: it waited for the lease", o->ms);
	got = rt_get_event(self->rt.ctx, &ev, QUIET_MS);
	EXPECT_EQ(0, got) TH_LOG("the owner got event %d", ev.event_type);
	if (got)
		ibv_ack_async_event(&ev);
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	EXPECT_TRUE(mr_works(self, seed))
		TH_LOG("the peer's RDMA WRITE through the MR did not land");
}

/* A remap of the reader's, out of F's leased range into G. */
#define FROM_F(_op, _off, _len)						\
	{ .op = (_op), .src = F_PATH, .dst = G_PATH, .src_off = (_off),	\
	  .dst_off = 0, .len = (_len), .reader = true }

TEST_F_TIMEOUT(remap, differing_dedupe_from_leased_file_reaches_nobody,
	       TIMEOUT)
{
	const struct req q = FROM_F(OP_DEDUPE, 0, SUB);
	struct outcome o;

	run_remap(_metadata, &q, &o);
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(FILE_DEDUPE_RANGE_DIFFERS, o.status);
	reached_nobody(_metadata, self, &o, 1);
	EXPECT_EQ(0, shared_extents(self->g, 0, SUB));
}

TEST_F_TIMEOUT(remap, misaligned_clone_from_leased_file_reaches_nobody,
	       TIMEOUT)
{
	const struct req q = FROM_F(OP_CLONE, 1000, 4096);
	struct outcome o;

	run_remap(_metadata, &q, &o);
	EXPECT_EQ(-1, o.ret);
	EXPECT_EQ(EINVAL, o.err);
	reached_nobody(_metadata, self, &o, 2);
}

TEST_F_TIMEOUT(remap, equal_dedupe_from_leased_file_refused, TIMEOUT)
{
	const struct req q = FROM_F(OP_DEDUPE, 0, SUB);
	struct outcome o;

	/* G's first SUB bytes are F's: the dedupe itself is valid. */
	ASSERT_EQ(0, copy_bytes(self->fd, 0, self->g, 0, SUB));
	run_remap(_metadata, &q, &o);
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(-ETXTBSY, o.status);
	reached_nobody(_metadata, self, &o, 3);
	EXPECT_EQ(0, shared_extents(self->fd, 0, SUB));
	EXPECT_EQ(0, shared_extents(self->g, 0, SUB));
}

TEST_F_TIMEOUT(remap, clone_from_leased_file_refused, TIMEOUT)
{
	const struct req q = FROM_F(OP_CLONE, 0, SUB);
	struct outcome o;

	run_remap(_metadata, &q, &o);
	EXPECT_EQ(-1, o.ret);
	EXPECT_EQ(ETXTBSY, o.err);
	reached_nobody(_metadata, self, &o, 4);
	EXPECT_TRUE(has_seed(self->g, 0, SUB, SEED_G))
		TH_LOG("G did not keep its own bytes");
	EXPECT_EQ(0, shared_extents(self->fd, 0, SUB));
}

TEST_F_TIMEOUT(remap, clone_from_leased_file_refused_for_root, TIMEOUT)
{
	struct req q = FROM_F(OP_CLONE, 0, SUB);
	struct outcome o;

	q.reader = false;
	run_remap(_metadata, &q, &o);
	EXPECT_EQ(-1, o.ret);
	EXPECT_EQ(ETXTBSY, o.err);
	reached_nobody(_metadata, self, &o, 5);

	/* FICLONE, the whole file: its start is leased. */
	q.op = OP_CLONE_ALL;
	run_remap(_metadata, &q, &o);
	EXPECT_EQ(-1, o.ret);
	EXPECT_EQ(ETXTBSY, o.err);
	reached_nobody(_metadata, self, &o, 6);

	/* A valid dedupe too. */
	ASSERT_EQ(0, copy_bytes(self->fd, 0, self->g, 0, SUB));
	q.op = OP_DEDUPE;
	run_remap(_metadata, &q, &o);
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(-ETXTBSY, o.status);
	reached_nobody(_metadata, self, &o, 7);
	EXPECT_EQ(0, shared_extents(self->fd, 0, MR_LEN));
}

/* copy_file_range() falls back to copying when the remap is refused. */
TEST_F_TIMEOUT(remap, copy_range_from_leased_file_copies, TIMEOUT)
{
	const struct req q = FROM_F(OP_COPY, 0, SUB);
	struct outcome o;

	run_remap(_metadata, &q, &o);
	EXPECT_EQ(SUB, o.ret);
	EXPECT_TRUE(same_bytes(self->fd, 0, self->g, 0, SUB));
	EXPECT_EQ(0, shared_extents(self->g, 0, SUB))
		TH_LOG("G shares F's blocks: the remap was made");
	reached_nobody(_metadata, self, &o, 8);
}

/*
 * Out of a part of F that no MR maps, 2 MiB away from the MR: the refusal
 * follows the range (a lease that named no range would refuse it).
 */
TEST_F_TIMEOUT(remap, clone_from_unleased_part_succeeds, TIMEOUT)
{
	const struct req q = FROM_F(OP_CLONE, FAR_OFF, SUB);
	struct outcome o;

	run_remap(_metadata, &q, &o);
	EXPECT_EQ(0, o.ret) TH_LOG("FICLONERANGE: %s", strerror(o.err));
	EXPECT_TRUE(same_bytes(self->fd, FAR_OFF, self->g, 0, SUB));
	EXPECT_LT(0, shared_extents(self->fd, FAR_OFF, SUB));
	reached_nobody(_metadata, self, &o, 9);
}

/* The refusal lasts only as long as the lease. */
TEST_F_TIMEOUT(remap, clone_from_file_succeeds_once_deregistered, TIMEOUT)
{
	const struct req q = FROM_F(OP_CLONE, 0, SUB);
	struct outcome o;

	run_remap(_metadata, &q, &o);
	EXPECT_EQ(ETXTBSY, o.err);
	reached_nobody(_metadata, self, &o, 10);

	ASSERT_EQ(0, ibv_dereg_mr(self->mr));
	self->mr = NULL;
	ASSERT_EQ(0, rt_longterm_leases(self->fd));
	run_remap(_metadata, &q, &o);
	EXPECT_EQ(0, o.ret) TH_LOG("FICLONERANGE: %s", strerror(o.err));
	EXPECT_TRUE(same_bytes(self->fd, 0, self->g, 0, SUB));
	EXPECT_LT(0, shared_extents(self->fd, 0, SUB));
}

/*
 * A user F_LONGTERM lease names no range: a remap out of any part of F is
 * refused, and the holder gets no SIGIO.
 */
static int sigio_seen;

static void on_sigio(int sig)
{
	__atomic_store_n(&sigio_seen, 1, __ATOMIC_SEQ_CST);
}

TEST_F_TIMEOUT(remap, user_lease_refuses_clone_from_any_range, TIMEOUT)
{
	const struct req q = FROM_F(OP_CLONE, FAR_OFF, SUB);
	struct sigaction sa = { .sa_handler = on_sigio };
	struct outcome o;
	int fd;

	ASSERT_EQ(0, sigaction(SIGIO, &sa, NULL));
	fd = open(F_PATH, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_SETLEASE, F_LONGTERM));
	run_remap(_metadata, &q, &o);
	EXPECT_EQ(-1, o.ret);
	EXPECT_EQ(ETXTBSY, o.err);
	usleep(200000);
	EXPECT_FALSE(__atomic_load_n(&sigio_seen, __ATOMIC_SEQ_CST));
	EXPECT_EQ(F_LONGTERM, fcntl(fd, F_GETLEASE));
	ASSERT_EQ(0, fcntl(fd, F_SETLEASE, F_UNLCK));
	close(fd);
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	reached_nobody(_metadata, self, &o, 11);
}

/*
 * A clone into the leased range is a layout change of F by someone who
 * may write F: the MR gets its event, the clone waits for the dereg and
 * then completes.
 */
static void clone_into_leased_range(struct __test_metadata *_metadata,
				    FIXTURE_DATA(remap) *self,
				    const struct req *q, int src)
{
	struct ibv_async_event ev;
	struct outcome o;
	int rfd, got;
	pid_t pid;

	pid = remap_start(q, &rfd);
	ASSERT_LT(0, pid);
	self->kid = pid;
	got = rt_get_event(self->rt.ctx, &ev, EVENT_MS);
	EXPECT_EQ(1, got) TH_LOG("no IBV_EVENT_MR_REVOKED for the MR");
	if (got) {
		EXPECT_EQ(IBV_EVENT_MR_REVOKED, ev.event_type);
		EXPECT_EQ(self->mr, ev.element.mr);
		ibv_ack_async_event(&ev);
	}
	/* It waits for the MR... */
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));
	ASSERT_EQ(0, ibv_dereg_mr(self->mr));
	self->mr = NULL;
	/* ...and completes once it is gone. */
	ASSERT_TRUE(remap_finish(pid, rfd, DONE_MS, &o))
		TH_LOG("the clone did not complete after the dereg");
	self->kid = 0;
	EXPECT_LE(0, o.err);
	EXPECT_EQ(0, o.ret) TH_LOG("FICLONERANGE: %s", strerror(o.err));
	EXPECT_TRUE(same_bytes(self->fd, q->dst_off, src, q->src_off, SUB));
	EXPECT_EQ(0, rt_get_event(self->rt.ctx, &ev, QUIET_MS));
}

TEST_F_TIMEOUT(remap, clone_into_leased_range_by_writer_revokes, TIMEOUT)
{
	/* The reader may write F now: its clone into F is its right. */
	const struct req q = {
		.op = OP_CLONE, .src = G_PATH, .dst = F_PATH, .src_off = 0,
		.dst_off = SUB, .len = SUB, .reader = true,
	};

	ASSERT_EQ(0, fchmod(self->fd, 0666));
	clone_into_leased_range(_metadata, self, &q, self->g);
}

/*
 * Within F, by root: out of the leased range it is refused, into it the
 * MR is hit.
 */
TEST_F_TIMEOUT(remap, same_file_clone_from_leased_range_refused, TIMEOUT)
{
	const struct req q = {
		.op = OP_CLONE, .src = F_PATH, .dst = F_PATH, .src_off = SUB,
		.dst_off = FAR_OFF, .len = SUB,
	};
	struct outcome o;

	run_remap(_metadata, &q, &o);
	EXPECT_EQ(-1, o.ret);
	EXPECT_EQ(ETXTBSY, o.err);
	EXPECT_EQ(0, shared_extents(self->fd, 0, FILE_SZ));
	reached_nobody(_metadata, self, &o, 12);
}

TEST_F_TIMEOUT(remap, same_file_clone_into_leased_range_revokes, TIMEOUT)
{
	const struct req q = {
		.op = OP_CLONE, .src = F_PATH, .dst = F_PATH,
		.src_off = FAR_OFF, .dst_off = SUB, .len = SUB,
	};

	clone_into_leased_range(_metadata, self, &q, self->fd);
}

TEST_HARNESS_MAIN

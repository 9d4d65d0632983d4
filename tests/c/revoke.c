// SPDX-License-Identifier: GPL-2.0
/*
 * Forced revocation: an application that does not deregister an MR over
 * an FS-DAX file after IBV_EVENT_MR_REVOKED cannot hold up a layout change
 * of the file, nor have the device write into blocks the file system gave
 * to another file.
 *
 * fs.lease-break-time is set to a few seconds. When it has passed after
 * the break, the kernel revokes the MR: the layout change completes, the
 * pages are unpinned (VmPin drops), the lease is gone, every use of the
 * MR's keys fails (the peer of an RDMA WRITE or READ sees
 * IBV_WC_REM_ACCESS_ERR, local use a protection error), the keys are not
 * reused, and deregistration still works. The cases around it: racing
 * deregistration, memory windows, MRs over two files, fork, the uverbs fd
 * in another process, a killed owner, a closed device, rereg_mr, and
 * allocation failures injected into the registration.
 *
 * Runs on ext4 and xfs (fixture variants), on a kernel with the series.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <rdma/ib_user_verbs.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#define LEN		(4UL << 20)
#define CHUNK		(64UL << 10)	/* one RDMA WRITE of the writer */
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)
#define BREAK_S		2		/* fs.lease-break-time in these tests */
#define MARGIN_MS	4000		/* for the revoke itself, under TCG */
#define EVENT_MS	10000
#define TIMEOUT		180		/* s, per test */
#define BREAK_TIME_SYSCTL "/proc/sys/fs/lease-break-time"

FIXTURE(revoke) {
	struct rt rt;
	char path[64];
	int fd;
	void *buf, *local;
	struct ibv_mr *lmr, *mr;
	char reuse[80];		/* a file that takes the freed blocks */
	long pin0;		/* VmPin without the DAX MR */
	int saved_break_time;
	int saved_reserved;	/* of variant->reserved_clusters, or -1 */
};

FIXTURE_VARIANT(revoke) {
	const char *dir;
	/*
	 * ext4 keeps clusters back that fallocate() cannot take; with them
	 * at 0, a file on all free space surely gets the freed blocks.
	 */
	const char *reserved_clusters;
};

FIXTURE_VARIANT_ADD(revoke, ext4) {
	.dir = RT_EXT4,
	.reserved_clusters = "/sys/fs/ext4/pmem0/reserved_clusters",
};
FIXTURE_VARIANT_ADD(revoke, xfs) { .dir = RT_XFS };

FIXTURE_SETUP(revoke)
{
	self->saved_break_time = -1;
	self->saved_reserved = -1;
	ASSERT_EQ(0, rt_read_int(BREAK_TIME_SYSCTL, &self->saved_break_time));
	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, BREAK_S));
	ASSERT_EQ(0, rt_open(&self->rt));
	snprintf(self->path, sizeof(self->path), "%s/revoke", variant->dir);
	self->buf = rt_map_file(variant->dir, "revoke", LEN, &self->fd);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(1, rt_is_dax(self->path));
	self->local = aligned_alloc(4096, LEN);
	ASSERT_NE(NULL, self->local);
	self->lmr = ibv_reg_mr(self->rt.pd, self->local, LEN, ACCESS);
	ASSERT_NE(NULL, self->lmr);
	self->pin0 = rt_vm_pin_kb();
	ASSERT_LE(0, self->pin0);
}

FIXTURE_TEARDOWN(revoke)
{
	if (self->mr)
		ibv_dereg_mr(self->mr);
	if (self->lmr)
		ibv_dereg_mr(self->lmr);
	free(self->local);
	if (self->buf)
		munmap(self->buf, LEN);
	close(self->fd);
	unlink(self->path);
	/* A failed check must not leave a full file system behind. */
	if (self->reuse[0])
		unlink(self->reuse);
	rt_close(&self->rt);
	if (self->saved_break_time > 0)
		rt_write_int(BREAK_TIME_SYSCTL, self->saved_break_time);
	if (self->saved_reserved >= 0)
		rt_write_int(variant->reserved_clusters, self->saved_reserved);
}

/* Register self->mr over the whole DAX mapping and check what it pins. */
static void reg_dax(struct __test_metadata *_metadata,
		    FIXTURE_DATA(revoke) *self, int access)
{
	self->mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, access);
	ASSERT_NE(NULL, self->mr) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	EXPECT_EQ(self->pin0 + (long)(LEN >> 10), rt_vm_pin_kb());
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
}

/*
 * Make @op on the file in a thread and do not react to the event: the
 * change must complete within lease-break-time plus the margin, and not
 * much earlier, and the lease and the pin must be gone.
 */
static void ignore_break(struct __test_metadata *_metadata,
			 FIXTURE_DATA(revoke) *self, enum rt_layout_op op)
{
	struct rt_change c = { .fd = self->fd, .op = op, .size = LEN };
	struct ibv_async_event ev;
	long t0 = rt_now_ms();

	ASSERT_EQ(0, rt_change_start(&c));
	ASSERT_EQ(1, rt_get_event(self->rt.ctx, &ev, EVENT_MS));
	EXPECT_EQ(IBV_EVENT_MR_REVOKED, ev.event_type);
	EXPECT_EQ(self->mr, ev.element.mr);
	ibv_ack_async_event(&ev);
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret) TH_LOG("layout change: %s", strerror(c.err));
	EXPECT_LE(t0 + (BREAK_S - 1) * 1000, c.done_ms);
	EXPECT_GE(t0 + BREAK_S * 1000 + MARGIN_MS, c.done_ms)
		TH_LOG("the change took %ld ms", c.done_ms - t0);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
	/* Exactly one event for the break, none for the revoke. */
	EXPECT_EQ(0, rt_get_event(self->rt.ctx, &ev, 300));
}

/* rt_rdma() that expects @status, then brings the QPs back. */
static void rdma_fails(struct __test_metadata *_metadata, struct rt *rt,
		       enum ibv_wr_opcode opcode, struct ibv_mr *lmr,
		       void *laddr, void *raddr, uint32_t rkey,
		       enum ibv_wc_status status)
{
	EXPECT_EQ(status, rt_rdma(rt, 0, opcode, lmr, laddr, CHUNK,
				  (uintptr_t)raddr, rkey));
	ASSERT_EQ(0, rt_reconnect(rt));
}

TEST_F_TIMEOUT(revoke, ignored_event_truncate_completes, TIMEOUT)
{
	uint32_t index, old_lkey;
	struct ibv_mr *mrs[16];
	char line[1024];
	int i, st;

	reg_dax(_metadata, self, ACCESS);
	rt_fill(self->local, CHUNK, 1);
	ASSERT_EQ(IBV_WC_SUCCESS,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			  self->local, CHUNK, (uintptr_t)self->buf,
			  self->mr->rkey));

	ignore_break(_metadata, self, RT_TRUNC_DOWN);

	/* The peer's RDMA WRITE and READ fail cleanly... */
	rdma_fails(_metadata, &self->rt, IBV_WR_RDMA_WRITE, self->lmr,
		   self->local, self->buf, self->mr->rkey,
		   IBV_WC_REM_ACCESS_ERR);
	rdma_fails(_metadata, &self->rt, IBV_WR_RDMA_READ, self->lmr,
		   self->local, self->buf, self->mr->rkey,
		   IBV_WC_REM_ACCESS_ERR);
	/*
	 * ...and so does local use of the MR: nothing is read from its
	 * pages. rxe moves the QP to the error state before it completes
	 * the work request, so the status may also be a flush error.
	 */
	memset(self->local, 0x5a, CHUNK);
	st = rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->mr, self->buf,
		     CHUNK, (uintptr_t)self->local, self->lmr->rkey);
	EXPECT_TRUE(st == IBV_WC_LOC_PROT_ERR || st == IBV_WC_LOC_QP_OP_ERR ||
		    st == IBV_WC_WR_FLUSH_ERR) TH_LOG("status %d", st);
	ASSERT_EQ(0, rt_reconnect(&self->rt));
	for (i = 0; i < (int)CHUNK; i++)
		if (((unsigned char *)self->local)[i] != 0x5a)
			break;
	EXPECT_EQ((int)CHUNK, i);

	/*
	 * The keys stay taken until dereg (I4). rxe hands out MR indexes
	 * cyclically over half a million values, so new MRs would not get
	 * the old index even if the revoke had freed it: ask the pool
	 * (rdma res show mr -dd). The revoked MR is invalid and its index
	 * still held for it; the local MR is the control of what a live MR
	 * shows.
	 */
	ASSERT_EQ(1, rt_res_mr(self->mr->lkey, line, sizeof(line)));
	EXPECT_TRUE(rt_res_has(line, "drv_state", "invalid")) TH_LOG("%s", line);
	EXPECT_TRUE(rt_res_has(line, "drv_index_held", "1")) TH_LOG("%s", line);
	ASSERT_EQ(1, rt_res_mr(self->lmr->lkey, line, sizeof(line)));
	EXPECT_TRUE(rt_res_has(line, "drv_state", "valid")) TH_LOG("%s", line);
	EXPECT_TRUE(rt_res_has(line, "drv_index_held", "1")) TH_LOG("%s", line);
	index = self->mr->lkey >> 8;
	for (i = 0; i < 16; i++) {
		mrs[i] = ibv_reg_mr(self->rt.pd, self->local, 4096, ACCESS);
		ASSERT_NE(NULL, mrs[i]);
		EXPECT_NE(index, mrs[i]->lkey >> 8);
		EXPECT_NE(index, mrs[i]->rkey >> 8);
	}
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, ibv_dereg_mr(mrs[i]));

	old_lkey = self->mr->lkey;
	ASSERT_EQ(0, ibv_dereg_mr(self->mr));
	self->mr = NULL;
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
	/* Only dereg gives the key back. */
	EXPECT_EQ(0, rt_res_mr(old_lkey, line, sizeof(line))) TH_LOG("%s", line);
}

/*
 * A peer QP writing into the DAX MR as fast as it can, whatever happens.
 * After each failed write it brings the QPs back and writes into an
 * anonymous MR over the same QP pair (the control): a QP stuck in the
 * error state, or a failure that is not the revoked MR's, fails the test.
 */
struct writer {
	struct rt *rt;
	struct ibv_mr *lmr;
	void *src, *dst, *ctl;	/* ctl: in lmr, the control's target */
	uint32_t rkey;
	long after_ms;		/* set: count what is posted after this */
	int stop;
	long ok, ok_after, failed_after, bad_after, ctl_ok, ctl_failed;
	int bad_status;		/* the first status after @after_ms that is
				 * not IBV_WC_REM_ACCESS_ERR */
	int ctl_status;		/* of the first failed control: reconnect
				 * -errno, or the write's status */
	pthread_t thread;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	unsigned long off = 0;
	long after, posted;
	int st;

	while (!__atomic_load_n(&w->stop, __ATOMIC_SEQ_CST)) {
		after = __atomic_load_n(&w->after_ms, __ATOMIC_SEQ_CST);
		posted = rt_now_ms();
		st = rt_rdma(w->rt, 0, IBV_WR_RDMA_WRITE, w->lmr, w->src,
			     CHUNK, (uintptr_t)w->dst + off, w->rkey);
		if (st == IBV_WC_SUCCESS) {
			w->ok++;
			if (after && posted > after)
				w->ok_after++;
		} else {
			if (after && posted > after) {
				w->failed_after++;
				if (st != IBV_WC_REM_ACCESS_ERR && !w->bad_after++)
					w->bad_status = st;
			}
			st = rt_reconnect(w->rt);
			if (!st)
				st = rt_rdma(w->rt, 0, IBV_WR_RDMA_WRITE, w->lmr,
					     w->src, CHUNK, (uintptr_t)w->ctl,
					     w->lmr->rkey);
			if (st && !w->ctl_failed++)
				w->ctl_status = st;
			else if (!st)
				w->ctl_ok++;
		}
		off = (off + CHUNK) % LEN;
	}
	return NULL;
}

/*
 * The physical range [*o0, *o1) that extents @a and @b share; false if
 * none (or more than LEN, which the old file cannot have had).
 */
static bool common(const struct fiemap_extent *a,
		   const struct fiemap_extent *b,
		   unsigned long long *o0, unsigned long long *o1)
{
	*o0 = a->fe_physical > b->fe_physical ? a->fe_physical : b->fe_physical;
	*o1 = a->fe_physical + a->fe_length;
	if (b->fe_physical + b->fe_length < *o1)
		*o1 = b->fe_physical + b->fe_length;
	return *o0 < *o1 && *o1 - *o0 <= LEN;
}

/*
 * The blocks of the DAX file are freed while a peer writes into the MR in
 * a loop and the application ignores the event. After the forced revoke
 * a new file takes all free space, so it gets the freed blocks, and those
 * are filled with another pattern. The peer keeps trying; the new file
 * must read back intact, byte for byte.
 */
static void integrity(struct __test_metadata *_metadata,
		      FIXTURE_DATA(revoke) *self,
		      const FIXTURE_VARIANT(revoke) *variant, bool punch)
{
	struct fiemap_extent old[64], *new;
	struct writer w = {
		.rt = &self->rt, .lmr = self->lmr, .src = self->local,
		.dst = self->buf, .ctl = (char *)self->local + CHUNK,
	};
	unsigned long long o0, o1, overlap = 0, size;
	char *pat;
	struct statvfs sv;
	int nold, nnew, i, j, fd2, ret, sst, rst;
	long t0, t1, k;
	unsigned char *rd;

	reg_dax(_metadata, self, ACCESS);
	w.rkey = self->mr->rkey;
	memset(self->local, 0xa5, CHUNK);
	nold = rt_extents(self->fd, old, 64);
	ASSERT_LT(0, nold);

	ASSERT_EQ(0, pthread_create(&w.thread, NULL, writer_thread, &w));
	while (__atomic_load_n(&w.ok, __ATOMIC_SEQ_CST) < 10)
		usleep(10000);

	/* The application never reads its event. */
	t0 = rt_now_ms();
	if (punch)
		ret = fallocate(self->fd, FALLOC_FL_PUNCH_HOLE |
				FALLOC_FL_KEEP_SIZE, 0, LEN);
	else
		ret = ftruncate(self->fd, 0);
	t1 = rt_now_ms();
	ASSERT_EQ(0, ret);
	EXPECT_GE(t0 + BREAK_S * 1000 + MARGIN_MS, t1);
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());

	/*
	 * A new file on all free space takes the freed blocks. They are free
	 * for reuse once the journal (ext4) or log (xfs) committed the free.
	 */
	if (variant->reserved_clusters) {
		ASSERT_EQ(0, rt_read_int(variant->reserved_clusters,
				      &self->saved_reserved));
		ASSERT_EQ(0, rt_write_int(variant->reserved_clusters, 0));
	}
	snprintf(self->reuse, sizeof(self->reuse), "%s/revoke-reuse",
		 variant->dir);
	fd2 = open(self->reuse, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, syncfs(fd2));
	ASSERT_EQ(0, fstatvfs(fd2, &sv));
	size = (unsigned long long)sv.f_bfree * sv.f_bsize & ~((1ULL << 20) - 1);
	while (size && fallocate(fd2, 0, 0, size))
		size -= 256ULL << 10;
	ASSERT_NE(0, size);
	new = calloc(4096, sizeof(*new));
	ASSERT_NE(NULL, new);
	nnew = rt_extents(fd2, new, 4096);
	ASSERT_LT(0, nnew);

	/* Fill the parts of the new file that were the old file's blocks. */
	pat = malloc(LEN);
	ASSERT_NE(NULL, pat);
	for (i = 0; i < nnew; i++) {
		for (j = 0; j < nold; j++) {
			if (!common(&new[i], &old[j], &o0, &o1))
				continue;
			rt_fill(pat, o1 - o0, (uint32_t)o0);
			ASSERT_EQ((ssize_t)(o1 - o0),
				  pwrite(fd2, pat, o1 - o0, new[i].fe_logical +
					 o0 - new[i].fe_physical));
			overlap += o1 - o0;
		}
	}
	/* Nearly all of them: fallocate() leaves a few blocks for metadata. */
	ASSERT_LE(LEN / 2, overlap) {
		TH_LOG("freed blocks reused: %llu of %d extent(s) from %llu, new file %llu bytes in %d extent(s)",
		       overlap, nold, old[0].fe_physical, size, nnew);
		for (i = 0; i < nnew; i++)
			TH_LOG("new extent %llu+%llu", new[i].fe_physical,
			       new[i].fe_length);
	}

	/*
	 * From now on a write that lands would show in the new file: what
	 * the peer posts after the fill is what counts. It keeps at it for
	 * at least a second and 20 writes.
	 */
	__atomic_store_n(&w.after_ms, rt_now_ms(), __ATOMIC_SEQ_CST);
	for (k = 0; k < 100 && (k < 10 ||
	     __atomic_load_n(&w.failed_after, __ATOMIC_SEQ_CST) < 20); k++)
		usleep(100000);
	__atomic_store_n(&w.stop, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, pthread_join(w.thread, NULL));
	EXPECT_EQ(0, w.ok_after);
	EXPECT_LE(20, w.failed_after);
	EXPECT_EQ(0, w.bad_after)
		TH_LOG("%ld write(s) failed with status %d, not REM_ACCESS_ERR",
		       w.bad_after, w.bad_status);
	EXPECT_EQ(0, w.ctl_failed) TH_LOG("the first failed control: %d",
					  w.ctl_status);
	EXPECT_LE(20, w.ctl_ok);

	/*
	 * An RDMA READ through the revoked MR fails and brings nothing back
	 * (the buffer keeps its 0x5a), at both ends of the MR.
	 */
	rd = (unsigned char *)self->local + 2 * CHUNK;
	for (k = 0; k < 2; k++) {
		memset(rd, 0x5a, CHUNK);
		EXPECT_EQ(IBV_WC_REM_ACCESS_ERR,
			  rt_rdma(&self->rt, 0, IBV_WR_RDMA_READ, self->lmr, rd,
				  CHUNK, (uintptr_t)self->buf + k * (LEN - CHUNK),
				  self->mr->rkey));
		ASSERT_EQ(0, rt_reconnect(&self->rt));
		for (i = 0; i < (int)CHUNK && rd[i] == 0x5a; i++)
			;
		EXPECT_EQ((int)CHUNK, i) TH_LOG("the READ returned data");
	}
	/* A RECV posted with the revoked MR's lkey takes no SEND. */
	ASSERT_EQ(0, rt_send_recv(&self->rt, self->lmr, self->local, CHUNK,
				  self->mr->lkey, self->buf, &sst, &rst));
	EXPECT_NE(IBV_WC_SUCCESS, rst);
	EXPECT_NE(IBV_WC_SUCCESS, sst);
	ASSERT_EQ(0, rt_reconnect(&self->rt));
	EXPECT_EQ(IBV_WC_SUCCESS,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			  self->local, CHUNK, (uintptr_t)w.ctl,
			  self->lmr->rkey));

	/*
	 * Not one byte of the new file was written through the old MR: not
	 * by the peer's writes, nor by the SEND into the RECV buffer.
	 */
	for (i = 0; i < nnew; i++) {
		for (j = 0; j < nold; j++) {
			if (!common(&new[i], &old[j], &o0, &o1))
				continue;
			ASSERT_EQ((ssize_t)(o1 - o0),
				  pread(fd2, pat, o1 - o0, new[i].fe_logical +
					o0 - new[i].fe_physical));
			EXPECT_EQ(-1, rt_check(pat, o1 - o0, (uint32_t)o0));
		}
	}
	free(pat);
	free(new);
	close(fd2);
	ASSERT_EQ(0, ibv_dereg_mr(self->mr));
	self->mr = NULL;
}

TEST_F_TIMEOUT(revoke, integrity_under_load_truncate, TIMEOUT)
{
	integrity(_metadata, self, variant, false);
}

TEST_F_TIMEOUT(revoke, integrity_under_load_punch_hole, TIMEOUT)
{
	integrity(_metadata, self, variant, true);
}

/*
 * ibv_dereg_mr() around the moment the timer revokes the MR: both must
 * work, whichever comes first, with one unpin (VmPin exact) and no lease
 * left. The runner's dmesg check catches lockdep and list debugging.
 */
TEST_F_TIMEOUT(revoke, dereg_races_revoke, TIMEOUT)
{
	struct ibv_async_event ev;
	struct rt_change c;
	long t_event, wait_ms;
	int k;

	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, 1));
	for (k = 0; k < 8; k++) {
		reg_dax(_metadata, self, ACCESS);
		c = (struct rt_change){ .fd = self->fd, .op = RT_PUNCH,
					.size = LEN };
		ASSERT_EQ(0, rt_change_start(&c));
		ASSERT_EQ(1, rt_get_event(self->rt.ctx, &ev, EVENT_MS));
		t_event = rt_now_ms();
		ibv_ack_async_event(&ev);
		/* The timer fires 1 s after the break: straddle it. */
		wait_ms = 880 + 30 * k - (rt_now_ms() - t_event);
		if (wait_ms > 0)
			usleep(wait_ms * 1000);
		ASSERT_EQ(0, ibv_dereg_mr(self->mr));
		self->mr = NULL;
		ASSERT_EQ(0, pthread_join(c.thread, NULL));
		EXPECT_EQ(0, c.ret);
		EXPECT_EQ(0, rt_longterm_leases(self->fd));
		EXPECT_EQ(self->pin0, rt_vm_pin_kb());
	}
}

/* A memory window bound to the MR dies with it. */
TEST_F_TIMEOUT(revoke, memory_window_bound, TIMEOUT)
{
	struct ibv_mw_bind bind = {
		.wr_id = 1, .send_flags = IBV_SEND_SIGNALED,
	};
	struct ibv_wc wc;
	struct ibv_mw *mw;
	long deadline;
	int n = 0;

	reg_dax(_metadata, self, ACCESS | IBV_ACCESS_MW_BIND);
	mw = ibv_alloc_mw(self->rt.pd, IBV_MW_TYPE_1);
	ASSERT_NE(NULL, mw) TH_LOG("ibv_alloc_mw: %s", strerror(errno));
	bind.bind_info.mr = self->mr;
	bind.bind_info.addr = (uintptr_t)self->buf;
	bind.bind_info.length = LEN;
	bind.bind_info.mw_access_flags = IBV_ACCESS_REMOTE_WRITE;
	ASSERT_EQ(0, ibv_bind_mw(self->rt.qp[1], mw, &bind));
	deadline = rt_now_ms() + EVENT_MS;
	while ((n = ibv_poll_cq(self->rt.cq, 1, &wc)) == 0 &&
	       rt_now_ms() < deadline)
		;
	ASSERT_EQ(1, n);
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
	ASSERT_EQ(IBV_WC_SUCCESS,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			  self->local, CHUNK, (uintptr_t)self->buf, mw->rkey));

	ignore_break(_metadata, self, RT_PUNCH);

	rdma_fails(_metadata, &self->rt, IBV_WR_RDMA_WRITE, self->lmr,
		   self->local, self->buf, mw->rkey, IBV_WC_REM_ACCESS_ERR);
	ASSERT_EQ(0, ibv_dealloc_mw(mw));
	ASSERT_EQ(0, ibv_dereg_mr(self->mr));
	self->mr = NULL;
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
}

/* One MR over two DAX files: a change of one revokes all of it. */
TEST_F_TIMEOUT(revoke, mr_spanning_two_files, TIMEOUT)
{
	char path2[80];
	void *region, *b;
	struct ibv_async_event ev;
	struct ibv_mr *mr;
	struct rt_change c;
	int fd2;
	long t0;

	snprintf(path2, sizeof(path2), "%s.2", self->path);
	fd2 = open(path2, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, fallocate(fd2, 0, 0, LEN));
	region = mmap(NULL, 2 * LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	ASSERT_NE(MAP_FAILED, region);
	ASSERT_EQ(region, mmap(region, LEN, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED, self->fd, 0));
	b = (char *)region + LEN;
	ASSERT_EQ(b, mmap(b, LEN, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_FIXED, fd2, 0));

	mr = ibv_reg_mr(self->rt.pd, region, 2 * LEN, ACCESS);
	ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	EXPECT_EQ(1, rt_longterm_leases(fd2));
	EXPECT_EQ(self->pin0 + (long)(2 * LEN >> 10), rt_vm_pin_kb());

	c = (struct rt_change){ .fd = self->fd, .op = RT_TRUNC_DOWN,
				.size = LEN };
	t0 = rt_now_ms();
	ASSERT_EQ(0, rt_change_start(&c));
	ASSERT_EQ(1, rt_get_event(self->rt.ctx, &ev, EVENT_MS));
	EXPECT_EQ(mr, ev.element.mr);
	ibv_ack_async_event(&ev);
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret);
	EXPECT_GE(t0 + BREAK_S * 1000 + MARGIN_MS, c.done_ms);
	/* Both leases went with the revoke, and both files' pages. */
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
	EXPECT_EQ(0, rt_longterm_leases(fd2));
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
	rdma_fails(_metadata, &self->rt, IBV_WR_RDMA_WRITE, self->lmr,
		   self->local, b, mr->rkey, IBV_WC_REM_ACCESS_ERR);
	/* The other file changes at once now. */
	t0 = rt_now_ms();
	EXPECT_EQ(0, ftruncate(fd2, 0));
	EXPECT_GT(2000, rt_now_ms() - t0);

	ASSERT_EQ(0, ibv_dereg_mr(mr));
	munmap(region, 2 * LEN);
	close(fd2);
	unlink(path2);
}

/* A forked child, sharing the uverbs file, makes the change itself. */
TEST_F_TIMEOUT(revoke, fork_after_registration, TIMEOUT)
{
	pid_t pid;
	int st;

	reg_dax(_metadata, self, ACCESS);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(60);
		_exit(ftruncate(self->fd, 4096) ? 1 : 0);
	}
	st = rt_wait_child(pid, BREAK_S * 1000 + MARGIN_MS + 2000);
	ASSERT_LE(0, st);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
	rdma_fails(_metadata, &self->rt, IBV_WR_RDMA_WRITE, self->lmr,
		   self->local, self->buf, self->mr->rkey,
		   IBV_WC_REM_ACCESS_ERR);
	ASSERT_EQ(0, ibv_dereg_mr(self->mr));
	self->mr = NULL;
}

static int send_fds(int sock, int *fds, int n)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))] = { 0 };
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fds(int sock, int *fds, int n)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(n * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	return 0;
}

/*
 * The registering process hands its uverbs fds to another process and
 * exits: the MR lives on in the other one, nobody reads the event, and
 * the change still completes. Closing the fds then frees everything.
 */
TEST_F_TIMEOUT(revoke, uverbs_fd_passed_to_another_process, TIMEOUT)
{
	int sv[2], fds[2], st;
	pid_t reg, keeper;
	char byte = 0;
	long t0;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	keeper = fork();
	ASSERT_LE(0, keeper);
	if (keeper == 0) {
		alarm(60);
		close(sv[0]);
		if (recv_fds(sv[1], fds, 2))
			_exit(1);
		/* Hold them until told, then close them. */
		if (read(sv[1], &byte, 1) != 1)
			_exit(2);
		close(fds[0]);
		close(fds[1]);
		_exit(0);
	}
	reg = fork();
	ASSERT_LE(0, reg);
	if (reg == 0) {
		struct rt rt;

		alarm(60);
		if (rt_open(&rt) ||
		    !ibv_reg_mr(rt.pd, self->buf, LEN, ACCESS))
			_exit(1);
		fds[0] = rt.ctx->cmd_fd;
		fds[1] = rt.ctx->async_fd;
		_exit(send_fds(sv[0], fds, 2) ? 2 : 0);
	}
	st = rt_wait_child(reg, 30000);
	ASSERT_LE(0, st);
	ASSERT_EQ(0, WEXITSTATUS(st));
	/* The registering process is gone; its MR and lease are not. */
	EXPECT_EQ(1, rt_longterm_leases(self->fd));

	t0 = rt_now_ms();
	EXPECT_EQ(0, ftruncate(self->fd, 4096));
	EXPECT_GE(t0 + BREAK_S * 1000 + MARGIN_MS, rt_now_ms());
	EXPECT_EQ(0, rt_longterm_leases(self->fd));

	ASSERT_EQ(1, write(sv[0], &byte, 1));
	st = rt_wait_child(keeper, 30000);
	ASSERT_LE(0, st);
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

/*
 * The owner is killed after the event and before its dereg: process exit
 * deregisters, and the change completes right then, not at the time-out.
 */
TEST_F_TIMEOUT(revoke, killed_between_event_and_dereg, TIMEOUT)
{
	struct rt_change c = { .fd = self->fd, .op = RT_TRUNC_DOWN,
			       .size = LEN };
	int p[2], st;
	char byte;
	pid_t pid;
	long t0;

	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, 30));
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ibv_async_event ev;
		struct rt rt;

		alarm(60);
		if (rt_open(&rt) ||
		    !ibv_reg_mr(rt.pd, self->buf, LEN, ACCESS))
			_exit(1);
		byte = 'r';
		if (write(p[1], &byte, 1) != 1 ||
		    ibv_get_async_event(rt.ctx, &ev) ||
		    ev.event_type != IBV_EVENT_MR_REVOKED)
			_exit(2);
		byte = 'e';
		if (write(p[1], &byte, 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	ASSERT_EQ(1, read(p[0], &byte, 1));
	ASSERT_EQ('r', byte);
	ASSERT_EQ(0, rt_change_start(&c));
	ASSERT_EQ(1, read(p[0], &byte, 1));
	ASSERT_EQ('e', byte);
	EXPECT_EQ(0, rt_change_done(&c));
	t0 = rt_now_ms();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret);
	EXPECT_GT(t0 + 5000, c.done_ms);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
	close(p[0]);
	close(p[1]);
}

/*
 * The device is closed with a revoked MR still registered: the kernel's
 * cleanup of the uverbs file deregisters it without a second unpin.
 */
TEST_F_TIMEOUT(revoke, close_device_with_revoked_mr, TIMEOUT)
{
	pid_t pid;
	int st;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ibv_async_event ev;
		struct rt rt;
		long pin0;

		alarm(60);
		if (rt_open(&rt))
			_exit(1);
		pin0 = rt_vm_pin_kb();
		if (!ibv_reg_mr(rt.pd, self->buf, LEN, ACCESS) ||
		    rt_vm_pin_kb() != pin0 + (long)(LEN >> 10))
			_exit(2);
		if (ftruncate(self->fd, 4096))	/* forced revoke inside */
			_exit(3);
		if (rt_vm_pin_kb() != pin0)
			_exit(4);
		if (!rt_get_event(rt.ctx, &ev, EVENT_MS))
			_exit(5);
		ibv_ack_async_event(&ev);
		/* No dereg, no destroy: close it all as it is. */
		if (ibv_close_device(rt.ctx))
			_exit(6);
		_exit(rt_vm_pin_kb() == pin0 ? 0 : 7);
	}
	st = rt_wait_child(pid, 60000);
	ASSERT_LE(0, st);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

/*
 * IB_USER_VERBS_CMD_REREG_MR changing the access flags of @mr; 0 or
 * -errno. Sent on the uverbs fd directly: rdma-core's rxe provider has no
 * rereg_mr, although the kernel driver supports access and PD changes.
 */
static int rereg_access(struct ibv_mr *mr, int access)
{
	return rt_rereg(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0, access);
}

/* rereg_mr works before the revoke and fails with EINVAL after it. */
TEST_F_TIMEOUT(revoke, rereg_of_revoked_mr, TIMEOUT)
{
	reg_dax(_metadata, self, ACCESS);
	ASSERT_EQ(0, rereg_access(self->mr, ACCESS));
	ignore_break(_metadata, self, RT_PUNCH);
	EXPECT_EQ(-EINVAL, rereg_access(self->mr, ACCESS));
	ASSERT_EQ(0, ibv_dereg_mr(self->mr));
	self->mr = NULL;
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
}

#define FAILSLAB	"/sys/kernel/debug/failslab/"

/*
 * failslab on every slab allocation of the registration in turn (the
 * lease, its file, the umem and its leases, the uverbs and rxe objects):
 * each failure is a clean errno with nothing pinned and nothing leased.
 */
TEST_F_TIMEOUT(revoke, failslab_leaves_no_pin_and_no_lease, TIMEOUT)
{
	char nth_path[64], buf[16];
	int nth, failed = 0, fd, n, err;
	struct ibv_mr *mr;
	long t0;

	ASSERT_EQ(0, rt_write_str(FAILSLAB "ignore-gfp-wait", "N"));
	ASSERT_EQ(0, rt_write_str(FAILSLAB "verbose", "0"));
	snprintf(nth_path, sizeof(nth_path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	/* Opened once: nothing but the registration may allocate. */
	fd = open(nth_path, O_RDWR);
	ASSERT_LE(0, fd);
	for (nth = 1; nth < 1000; nth++) {
		n = snprintf(buf, sizeof(buf), "%d", nth);
		ASSERT_EQ(n, pwrite(fd, buf, n, 0));
		mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
		err = errno;
		memset(buf, 0, sizeof(buf));
		ASSERT_LT(0, pread(fd, buf, sizeof(buf) - 1, 0));
		ASSERT_EQ(1, pwrite(fd, "0", 1, 0));
		if (!mr) {
			failed++;
			EXPECT_TRUE(err == ENOMEM || err == ENFILE)
				TH_LOG("allocation %d: %s", nth, strerror(err));
		} else {
			EXPECT_EQ(1, rt_longterm_leases(self->fd));
			ASSERT_EQ(0, ibv_dereg_mr(mr));
		}
		EXPECT_EQ(0, rt_longterm_leases(self->fd))
			TH_LOG("allocation %d left a lease", nth);
		EXPECT_EQ(self->pin0, rt_vm_pin_kb())
			TH_LOG("allocation %d left a pin", nth);
		/* fail-nth still counting: no allocation left to fail. */
		if (atoi(buf) != 0)
			break;
	}
	close(fd);
	rt_write_str(FAILSLAB "ignore-gfp-wait", "Y");
	EXPECT_LT(5, failed);
	EXPECT_GT(1000, nth);
	/* Nothing holds the file: a truncate does not wait. */
	t0 = rt_now_ms();
	EXPECT_EQ(0, ftruncate(self->fd, 4096));
	EXPECT_GT(1000, rt_now_ms() - t0);
}

TEST_HARNESS_MAIN

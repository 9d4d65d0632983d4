// SPDX-License-Identifier: GPL-2.0
/*
 * The corners a maintainer asks about, on ext4 and xfs:
 *   - two processes (two uverbs contexts) with MRs over one file when it
 *     breaks: each gets its event, the change waits for both;
 *   - a second layout change while the first one's break is pending: no
 *     second event, both wait for the same dereg (or the same revoke);
 *   - a thread reading the async event while another deregisters the MR:
 *     the event names a live MR until it is acked, or it is dropped;
 *   - a type 2 memory window bound to an MR that is then revoked;
 *   - rereg_mr changing the PD (the lease and the event follow the MR)
 *     and the translation (refused by rxe: nothing changes);
 *   - MRs of many contexts over one inode: one lease each, registration
 *     time flat in their number, every one of them told on a break.
 * fs.lease-break-time is BREAK_S: a change that ends within DEREG_WAKES_MS
 * of a dereg was ended by it, not by the revoke.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#define LEN		(2UL << 20)
#define CHUNK		(64UL << 10)
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)
#define BREAK_S		8
#define DEREG_WAKES_MS	3000
#define MARGIN_MS	4000	/* for a revoke, under TCG */
#define EVENT_MS	10000
#define TIMEOUT		180
#define BREAK_TIME_SYSCTL "/proc/sys/fs/lease-break-time"

FIXTURE(corner) {
	struct rt rt;
	char path[64];
	int fd, saved_break_time;
	void *buf, *local;
	struct ibv_mr *lmr;
	long pin0;
};

FIXTURE_VARIANT(corner) {
	const char *dir;
};

FIXTURE_VARIANT_ADD(corner, ext4) { .dir = RT_EXT4 };
FIXTURE_VARIANT_ADD(corner, xfs) { .dir = RT_XFS };

FIXTURE_SETUP(corner)
{
	self->fd = -1;
	self->saved_break_time = -1;
	ASSERT_EQ(0, rt_read_int(BREAK_TIME_SYSCTL, &self->saved_break_time));
	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, BREAK_S));
	ASSERT_EQ(0, rt_open(&self->rt));
	snprintf(self->path, sizeof(self->path), "%s/corners", variant->dir);
	self->buf = rt_map_file(variant->dir, "corners", LEN, &self->fd);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(1, rt_is_dax(self->path));
	self->local = aligned_alloc(4096, LEN);
	ASSERT_NE(NULL, self->local);
	self->lmr = ibv_reg_mr(self->rt.pd, self->local, LEN, ACCESS);
	ASSERT_NE(NULL, self->lmr);
	self->pin0 = rt_vm_pin_kb();
}

FIXTURE_TEARDOWN(corner)
{
	if (self->lmr)
		ibv_dereg_mr(self->lmr);
	free(self->local);
	if (self->buf)
		munmap(self->buf, LEN);
	if (self->fd >= 0)
		close(self->fd);
	unlink(self->path);
	rt_close(&self->rt);
	if (self->saved_break_time > 0)
		rt_write_int(BREAK_TIME_SYSCTL, self->saved_break_time);
}

/* The MR_REVOKED events for @mr that arrive within @ms. */
static int events_for(struct ibv_context *ctx, struct ibv_mr *mr, int ms)
{
	struct ibv_async_event ev;
	int n = 0;

	while (rt_get_event(ctx, &ev, ms)) {
		if (ev.event_type == IBV_EVENT_MR_REVOKED &&
		    ev.element.mr == mr)
			n++;
		else
			n += 1000;	/* anything else is wrong */
		ibv_ack_async_event(&ev);
	}
	return n;
}

/*
 * Wait up to @ms for one event: 1 if it is MR_REVOKED for @mr, 0 if none
 * came, -1 if another one did.
 */
static int one_event(struct ibv_context *ctx, struct ibv_mr *mr, int ms)
{
	struct ibv_async_event ev;
	int ret;

	if (!rt_get_event(ctx, &ev, ms))
		return 0;
	ret = ev.event_type == IBV_EVENT_MR_REVOKED && ev.element.mr == mr ?
	      1 : -1;
	ibv_ack_async_event(&ev);
	return ret;
}

/*
 * Two processes, each with its own context and MR over the file: the
 * truncate tells both, and waits until the second has deregistered.
 */
TEST_F_TIMEOUT(corner, two_contexts_same_file, TIMEOUT)
{
	struct rt_change c = { .fd = self->fd, .op = RT_TRUNC_DOWN, .size = LEN };
	int to_child[2], to_parent[2], st;
	struct ibv_mr *mr;
	long t0;
	pid_t pid;
	char b;

	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rt rt;
		struct ibv_mr *cmr;
		int fd, n;
		void *p;

		alarm(120);
		fd = open(self->path, O_RDWR);
		p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (fd < 0 || p == MAP_FAILED || rt_open(&rt))
			_exit(10);
		cmr = ibv_reg_mr(rt.pd, p, LEN, ACCESS);
		if (!cmr)
			_exit(11);
		if (write(to_parent[1], "r", 1) != 1)
			_exit(12);
		/* Tell the parent about the event, dereg when it says so. */
		n = one_event(rt.ctx, cmr, EVENT_MS);
		if (n == 1 && events_for(rt.ctx, cmr, 300))
			n = 2;
		if (n != 1)
			_exit(20 + (n > 9 ? 9 : n));
		if (write(to_parent[1], "e", 1) != 1 ||
		    read(to_child[0], &b, 1) != 1)
			_exit(13);
		_exit(ibv_dereg_mr(cmr) ? 14 : 0);
	}
	ASSERT_EQ(1, read(to_parent[0], &b, 1));
	mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, mr);
	/* One lease per context. */
	EXPECT_EQ(2, rt_longterm_leases(self->fd));

	ASSERT_EQ(0, rt_change_start(&c));
	EXPECT_EQ(1, one_event(self->rt.ctx, mr, EVENT_MS));
	ASSERT_EQ(1, read(to_parent[0], &b, 1));
	EXPECT_EQ('e', b);
	ASSERT_EQ(0, ibv_dereg_mr(mr));
	/* The child's MR still holds the truncate. */
	usleep(500000);
	EXPECT_EQ(0, rt_change_done(&c));
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	t0 = rt_now_ms();
	ASSERT_EQ(1, write(to_child[1], "d", 1));
	st = rt_wait_child(pid, 20000);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("child status %#x", st);
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret);
	EXPECT_LE(t0, c.done_ms);
	EXPECT_GT(t0 + DEREG_WAKES_MS, c.done_ms);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
}

/*
 * A second layout change while the first one's break is pending: the MR
 * is told once; both changes wait for its dereg and end with it.
 */
TEST_F_TIMEOUT(corner, second_break_while_pending_dereg, TIMEOUT)
{
	struct rt_change c1 = { .fd = self->fd, .op = RT_PUNCH, .size = LEN };
	struct rt_change c2 = { .fd = self->fd, .op = RT_TRUNC_DOWN, .size = LEN };
	struct ibv_mr *mr;
	long t0;

	mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, mr);
	ASSERT_EQ(0, rt_change_start(&c1));
	EXPECT_EQ(1, events_for(self->rt.ctx, mr, 1000));
	ASSERT_EQ(0, rt_change_start(&c2));
	EXPECT_EQ(0, events_for(self->rt.ctx, mr, 1000));
	EXPECT_EQ(0, rt_change_done(&c1));
	EXPECT_EQ(0, rt_change_done(&c2));
	t0 = rt_now_ms();
	ASSERT_EQ(0, ibv_dereg_mr(mr));
	ASSERT_EQ(0, pthread_join(c1.thread, NULL));
	ASSERT_EQ(0, pthread_join(c2.thread, NULL));
	EXPECT_EQ(0, c1.ret);
	EXPECT_EQ(0, c2.ret);
	EXPECT_GT(t0 + DEREG_WAKES_MS, c1.done_ms);
	EXPECT_GT(t0 + DEREG_WAKES_MS, c2.done_ms);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

/*
 * The same, with an application that never answers: one event, and both
 * changes end with the revoke, BREAK_S after the first break (the second
 * change does not start a clock of its own).
 */
TEST_F_TIMEOUT(corner, second_break_while_pending_revoke, TIMEOUT)
{
	struct rt_change c1 = { .fd = self->fd, .op = RT_PUNCH, .size = LEN };
	struct rt_change c2 = { .fd = self->fd, .op = RT_ZERO, .size = LEN };
	struct ibv_mr *mr;
	long t0;

	mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, mr);
	t0 = rt_now_ms();
	ASSERT_EQ(0, rt_change_start(&c1));
	EXPECT_EQ(1, events_for(self->rt.ctx, mr, 2000));
	ASSERT_EQ(0, rt_change_start(&c2));
	ASSERT_EQ(0, pthread_join(c1.thread, NULL));
	ASSERT_EQ(0, pthread_join(c2.thread, NULL));
	EXPECT_EQ(0, c1.ret);
	EXPECT_EQ(0, c2.ret);
	EXPECT_LE(t0 + (BREAK_S - 1) * 1000, c1.done_ms);
	EXPECT_GE(t0 + BREAK_S * 1000 + MARGIN_MS, c1.done_ms);
	EXPECT_GE(t0 + BREAK_S * 1000 + MARGIN_MS, c2.done_ms)
		TH_LOG("the second change ended %ld ms after the first break",
		       c2.done_ms - t0);
	/* Still one event in all: none for the revoke, none for c2. */
	EXPECT_EQ(0, events_for(self->rt.ctx, mr, 300));
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
	ASSERT_EQ(0, ibv_dereg_mr(mr));
}

struct reader {
	struct ibv_context *ctx;
	struct ibv_mr *mr;	/* the MR the event must name */
	int got, wrong;
	uint32_t handle;	/* read through ev.element.mr before the ack */
	long acked_ms;
	pthread_t thread;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	struct ibv_async_event ev;

	while (rt_get_event(r->ctx, &ev, 1500)) {
		if (ev.event_type != IBV_EVENT_MR_REVOKED ||
		    ev.element.mr != r->mr) {
			r->wrong++;
		} else {
			r->got++;
			/* The MR must still be there: dereg waits for the ack. */
			r->handle = ev.element.mr->handle;
			usleep(20000);
		}
		__atomic_store_n(&r->acked_ms, rt_now_ms(), __ATOMIC_SEQ_CST);
		ibv_ack_async_event(&ev);
	}
	return NULL;
}

/*
 * A reader thread on the async fd and a dereg racing it, at spread-out
 * moments around the event: each round the event is read at most once,
 * names the right, still registered MR until acked (the dereg ends after
 * the ack), or is dropped by the dereg; the change always ends.
 */
TEST_F_TIMEOUT(corner, event_reader_races_dereg, TIMEOUT)
{
	enum { ROUNDS = 16 };
	int k, read_before = 0, dropped = 0;
	struct reader r;
	struct rt_change c;
	struct ibv_mr *mr;
	uint32_t handle;
	long t_dereg;

	for (k = 0; k < ROUNDS; k++) {
		mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
		ASSERT_NE(NULL, mr);
		handle = mr->handle;
		r = (struct reader){ .ctx = self->rt.ctx, .mr = mr };
		c = (struct rt_change){ .fd = self->fd, .op = RT_PUNCH,
					.size = LEN };
		ASSERT_EQ(0, pthread_create(&r.thread, NULL, reader_thread, &r));
		ASSERT_EQ(0, rt_change_start(&c));
		usleep(k * 5000);
		ASSERT_EQ(0, ibv_dereg_mr(mr));
		t_dereg = rt_now_ms();
		ASSERT_EQ(0, pthread_join(c.thread, NULL));
		EXPECT_EQ(0, c.ret);
		EXPECT_GT(t_dereg + DEREG_WAKES_MS, c.done_ms);
		ASSERT_EQ(0, pthread_join(r.thread, NULL));
		EXPECT_EQ(0, r.wrong);
		EXPECT_GE(1, r.got);
		if (r.got) {
			EXPECT_EQ(handle, r.handle);
			EXPECT_LE(r.acked_ms, t_dereg);
			read_before++;
		} else {
			dropped++;
		}
		EXPECT_EQ(0, rt_longterm_leases(self->fd));
	}
	TH_LOG("%d rounds: event read before the dereg ended %d, dropped %d",
	       ROUNDS, read_before, dropped);
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
}

/*
 * A type 2 window bound to an MR that is revoked: the window's rkey fails
 * for the peer afterwards, and no new window binds to the revoked MR.
 */
TEST_F_TIMEOUT(corner, mw_type2_bound_to_revoked_mr, TIMEOUT)
{
	struct ibv_mw *mw, *mw2;
	struct ibv_mr *mr;
	uint32_t rkey;
	long t0;

	mr = ibv_reg_mr(self->rt.pd, self->buf, LEN,
			ACCESS | IBV_ACCESS_MW_BIND);
	ASSERT_NE(NULL, mr);
	mw = ibv_alloc_mw(self->rt.pd, IBV_MW_TYPE_2);
	ASSERT_NE(NULL, mw) TH_LOG("ibv_alloc_mw: %s", strerror(errno));
	mw2 = ibv_alloc_mw(self->rt.pd, IBV_MW_TYPE_2);
	ASSERT_NE(NULL, mw2);
	rkey = ibv_inc_rkey(mw->rkey);
	ASSERT_EQ(IBV_WC_SUCCESS, rt_bind_type2(&self->rt, mw, mr, self->buf,
					     LEN, rkey));
	rt_fill(self->local, CHUNK, 3);
	ASSERT_EQ(IBV_WC_SUCCESS,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			  self->local, CHUNK, (uintptr_t)self->buf, rkey));

	/* Nobody answers the event: the kernel revokes the MR. */
	t0 = rt_now_ms();
	ASSERT_EQ(0, rt_layout_change(self->fd, RT_PUNCH, LEN));
	EXPECT_GE(t0 + BREAK_S * 1000 + MARGIN_MS, rt_now_ms());
	EXPECT_EQ(1, events_for(self->rt.ctx, mr, 300));
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());

	EXPECT_EQ(IBV_WC_REM_ACCESS_ERR,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			  self->local, CHUNK, (uintptr_t)self->buf, rkey));
	ASSERT_EQ(0, rt_reconnect(&self->rt));
	EXPECT_EQ(IBV_WC_REM_ACCESS_ERR,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_READ, self->lmr,
			  self->local, CHUNK, (uintptr_t)self->buf, rkey));
	ASSERT_EQ(0, rt_reconnect(&self->rt));
	EXPECT_NE(IBV_WC_SUCCESS, rt_bind_type2(&self->rt, mw2, mr, self->buf,
					     LEN, ibv_inc_rkey(mw2->rkey)));
	ASSERT_EQ(0, rt_reconnect(&self->rt));

	ASSERT_EQ(0, ibv_dealloc_mw(mw));
	ASSERT_EQ(0, ibv_dealloc_mw(mw2));
	ASSERT_EQ(0, ibv_dereg_mr(mr));
}

/*
 * rereg_mr with a new PD: the MR keeps its pages, its lease and its
 * event. With a new translation (another DAX file): rxe refuses, and the
 * MR still pins and leases what it did, and nothing of the other file.
 */
TEST_F_TIMEOUT(corner, rereg_pd_and_translation, TIMEOUT)
{
	struct rt_change c = { .fd = self->fd, .op = RT_PUNCH, .size = LEN };
	char path2[80];
	struct ibv_pd *pd2;
	struct ibv_mr *mr;
	void *buf2;
	long t0, pin;
	int fd2;

	mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, mr);
	pin = rt_vm_pin_kb();
	pd2 = ibv_alloc_pd(self->rt.ctx);
	ASSERT_NE(NULL, pd2);
	ASSERT_EQ(0, rt_rereg(mr, IBV_REREG_MR_CHANGE_PD, pd2, NULL, 0, 0));
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	EXPECT_EQ(pin, rt_vm_pin_kb());

	snprintf(path2, sizeof(path2), "%s.2", self->path);
	buf2 = rt_map_file(variant->dir, "corners.2", LEN, &fd2);
	ASSERT_NE(NULL, buf2);
	EXPECT_EQ(-EOPNOTSUPP, rt_rereg(mr, IBV_REREG_MR_CHANGE_TRANSLATION,
					NULL, buf2, LEN, ACCESS));
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	EXPECT_EQ(0, rt_longterm_leases(fd2));
	EXPECT_EQ(pin, rt_vm_pin_kb());
	/* The other file is not held: its change ends at once, untold. */
	t0 = rt_now_ms();
	ASSERT_EQ(0, rt_layout_change(fd2, RT_PUNCH, LEN));
	EXPECT_GT(t0 + 1000, rt_now_ms());
	EXPECT_EQ(0, events_for(self->rt.ctx, mr, 300));

	/* The MR's own file breaks as before; the event names the MR. */
	ASSERT_EQ(0, rt_change_start(&c));
	EXPECT_EQ(1, events_for(self->rt.ctx, mr, 1000));
	t0 = rt_now_ms();
	ASSERT_EQ(0, ibv_dereg_mr(mr));
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret);
	EXPECT_GT(t0 + DEREG_WAKES_MS, c.done_ms);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
	ASSERT_EQ(0, ibv_dealloc_pd(pd2));
	munmap(buf2, LEN);
	close(fd2);
	unlink(path2);
}

/*
 * MRs of NCTX contexts over one inode: NCTX leases on it (fs/locks keeps
 * them in one list that every new lease walks), the last registrations as
 * fast as the first ones, and every context told on a break.
 */
TEST_F_TIMEOUT(corner, many_contexts_one_inode, TIMEOUT)
{
	enum { NCTX = 128, BATCH = 16 };
	struct ibv_context *ctx[NCTX] = { 0 };
	struct ibv_pd *pd[NCTX] = { 0 };
	struct ibv_mr *mr[NCTX] = { 0 };
	struct rt_change c = { .fd = self->fd, .op = RT_TRUNC_DOWN, .size = LEN };
	long t0 = 0, t_first = 0, t_last, told = 0;
	int i;

	for (i = 0; i < NCTX; i++) {
		ctx[i] = ibv_open_device(self->rt.ctx->device);
		ASSERT_NE(NULL, ctx[i]);
		pd[i] = ibv_alloc_pd(ctx[i]);
		ASSERT_NE(NULL, pd[i]);
	}
	for (i = 0; i < NCTX; i++) {
		if (i == 0 || i == NCTX - BATCH)
			t0 = rt_now_ms();
		mr[i] = ibv_reg_mr(pd[i], self->buf, LEN, ACCESS);
		ASSERT_NE(NULL, mr[i]) TH_LOG("MR %d: %s", i, strerror(errno));
		if (i == BATCH - 1)
			t_first = rt_now_ms() - t0;
	}
	t_last = rt_now_ms() - t0;
	TH_LOG("first %d registrations %ld ms, last %d %ld ms", BATCH,
	       t_first, BATCH, t_last);
	EXPECT_GE(3 * t_first + 200, t_last);
	EXPECT_EQ(NCTX, rt_longterm_leases(self->fd));

	ASSERT_EQ(0, rt_change_start(&c));
	for (i = 0; i < NCTX; i++) {
		told += one_event(ctx[i], mr[i], EVENT_MS) == 1;
		ASSERT_EQ(0, ibv_dereg_mr(mr[i]));
		mr[i] = NULL;
		if (i < NCTX - 1)
			EXPECT_EQ(0, rt_change_done(&c));
	}
	t0 = rt_now_ms();
	EXPECT_EQ(NCTX, told);
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret);
	EXPECT_GT(t0 + DEREG_WAKES_MS, c.done_ms);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
	for (i = 0; i < NCTX; i++) {
		ibv_dealloc_pd(pd[i]);
		ibv_close_device(ctx[i]);
	}
}

TEST_HARNESS_MAIN

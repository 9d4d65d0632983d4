// SPDX-License-Identifier: GPL-2.0
/*
 * libibverbs' side of IBV_EVENT_MR_REVOKED, in the windows where a thread
 * reads an event while another deregisters or registers MRs:
 *   - an event read before a dereg and looked up after it, when a new MR
 *     has got the freed handle, is dropped, not taken for the new MR (the
 *     kernel reports the MR's lkey with the handle);
 *   - such an event is dropped at once: it does not wait for a
 *     registration that is still in the kernel;
 *   - an event read while its MR's dereg is in the kernel waits for the
 *     outcome, and a dereg that fails (a memory window is bound) loses no
 *     event;
 *   - ibv_dereg_mr() by the thread that holds the MR's unacked event fails
 *     with EDEADLK at once and leaves the MR registered; by another thread
 *     it waits for the ack.
 * The windows are made wide on purpose: this program defines read(),
 * write() and ioctl(), which libibverbs then calls, and delays the next
 * async event read or uverbs command of a thread when a test asks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#define LEN		(2UL << 20)
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)
#define BREAK_S		20	/* no revoke during a test */
#define TIMEOUT		120
#define BREAK_TIME_SYSCTL "/proc/sys/fs/lease-break-time"

/* The interposed system calls: pass-through unless a test arms them. */
static int hook_cmd_fd = -1, hook_async_fd = -1;
static __thread int cmd_delay_ms;	/* next uverbs command of this thread */
static int read_delay_ms;		/* next async event read */
static sem_t in_cmd, in_read;		/* posted when a delay starts */

static void cmd_hook(int fd)
{
	int ms = cmd_delay_ms;

	if (fd != hook_cmd_fd || !ms)
		return;
	cmd_delay_ms = 0;
	sem_post(&in_cmd);
	usleep(ms * 1000);
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	cmd_hook(fd);
	return syscall(SYS_ioctl, fd, req, arg);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	cmd_hook(fd);
	return syscall(SYS_write, fd, buf, len);
}

ssize_t read(int fd, void *buf, size_t len)
{
	ssize_t ret = syscall(SYS_read, fd, buf, len);
	int ms;

	if (fd == hook_async_fd && ret > 0 &&
	    (ms = __atomic_exchange_n(&read_delay_ms, 0, __ATOMIC_SEQ_CST))) {
		sem_post(&in_read);
		usleep(ms * 1000);
	}
	return ret;
}

FIXTURE(ev) {
	struct rt rt;
	char path[64];
	int fd, saved_break_time;
	void *buf, *local;
	struct ibv_mr *lmr;
	struct rt_change change;
	bool changing;
};

FIXTURE_SETUP(ev)
{
	self->fd = -1;
	self->saved_break_time = -1;
	ASSERT_EQ(0, rt_read_int(BREAK_TIME_SYSCTL, &self->saved_break_time));
	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, BREAK_S));
	ASSERT_EQ(0, rt_open(&self->rt));
	snprintf(self->path, sizeof(self->path), "%s/mr_events", RT_XFS);
	self->buf = rt_map_file(RT_XFS, "mr_events", LEN, &self->fd);
	ASSERT_NE(NULL, self->buf);
	self->local = aligned_alloc(4096, LEN);
	ASSERT_NE(NULL, self->local);
	self->lmr = ibv_reg_mr(self->rt.pd, self->local, LEN, ACCESS);
	ASSERT_NE(NULL, self->lmr);
	/* Events are read non-blocking: "none" is an answer. */
	ASSERT_EQ(0, fcntl(self->rt.ctx->async_fd, F_SETFL,
			   fcntl(self->rt.ctx->async_fd, F_GETFL) | O_NONBLOCK));
	hook_cmd_fd = self->rt.ctx->cmd_fd;
	hook_async_fd = self->rt.ctx->async_fd;
	sem_init(&in_cmd, 0, 0);
	sem_init(&in_read, 0, 0);
}

FIXTURE_TEARDOWN(ev)
{
	hook_cmd_fd = hook_async_fd = -1;
	if (self->changing)
		pthread_join(self->change.thread, NULL);
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

/* Truncate the file in a thread and wait until its event can be read. */
static int break_lease(FIXTURE_DATA(ev) *self)
{
	struct pollfd p = { .fd = self->rt.ctx->async_fd, .events = POLLIN };

	self->change = (struct rt_change){
		.fd = self->fd, .op = RT_TRUNC_DOWN, .size = LEN,
	};
	if (rt_change_start(&self->change))
		return -1;
	self->changing = true;
	return poll(&p, 1, 10000) == 1 ? 0 : -1;
}

/* An async event read in its own thread. */
struct reader {
	struct ibv_context *ctx;
	sem_t *after;		/* wait for this before reading, or NULL */
	int ret, err;
	struct ibv_async_event ev;
	long start_ms, end_ms;
	pthread_t thread;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;

	if (r->after)
		sem_wait(r->after);
	r->start_ms = rt_now_ms();
	r->ret = ibv_get_async_event(r->ctx, &r->ev);
	r->err = errno;
	r->end_ms = rt_now_ms();
	return NULL;
}

/* A registration in its own thread, held in the kernel for @delay_ms. */
struct registrar {
	struct ibv_pd *pd;
	void *addr;
	int delay_ms;
	struct ibv_mr *mr;
	pthread_t thread;
};

static void *registrar_thread(void *arg)
{
	struct registrar *g = arg;

	cmd_delay_ms = g->delay_ms;
	g->mr = ibv_reg_mr(g->pd, g->addr, 4096, ACCESS);
	return NULL;
}

/*
 * Event of MR B read, B deregistered and MR C registered with B's handle
 * before the library looks the event up: it is dropped, C never hears of
 * it and keeps working.
 */
TEST_F_TIMEOUT(ev, stale_event_not_taken_for_next_mr, TIMEOUT)
{
	struct reader r = { .ctx = self->rt.ctx };
	struct ibv_mr *b, *c;
	uint32_t handle;

	b = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, b) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	handle = b->handle;
	ASSERT_EQ(0, break_lease(self));

	__atomic_store_n(&read_delay_ms, 1500, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, pthread_create(&r.thread, NULL, reader_thread, &r));
	ASSERT_EQ(0, sem_wait(&in_read));	/* the kernel has given it */
	EXPECT_EQ(0, ibv_dereg_mr(b));
	c = ibv_reg_mr(self->rt.pd, (char *)self->local + 4096, 4096, ACCESS);
	ASSERT_NE(NULL, c);
	/* The kernel reused the handle: the window this test is about. */
	ASSERT_EQ(handle, c->handle);
	ASSERT_EQ(0, pthread_join(r.thread, NULL));
	EXPECT_EQ(-1, r.ret) TH_LOG("an event for %s MR",
				    r.ev.element.mr == c ? "the new" : "some");
	EXPECT_EQ(EAGAIN, r.err);
	if (!r.ret)
		ibv_ack_async_event(&r.ev);
	/* C works, and no event for it comes later either. */
	EXPECT_EQ(IBV_WC_SUCCESS,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			  self->local, 4096, (uintptr_t)self->local + 4096,
			  c->rkey));
	EXPECT_EQ(0, rt_get_event(self->rt.ctx, &r.ev, 500));
	EXPECT_EQ(0, ibv_dereg_mr(c));
	EXPECT_LT(0, rt_change_done(&self->change));
}

/*
 * The event of a deregistered MR is dropped at once, even while another
 * registration is held in the kernel for 5 s.
 */
TEST_F_TIMEOUT(ev, stale_event_does_not_wait_for_registrations, TIMEOUT)
{
	struct registrar g = { .pd = self->rt.pd, .delay_ms = 5000 };
	struct reader r = { .ctx = self->rt.ctx };
	struct ibv_mr *b;

	g.addr = (char *)self->local + 4096;
	b = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, b) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	ASSERT_EQ(0, break_lease(self));

	__atomic_store_n(&read_delay_ms, 1000, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, pthread_create(&r.thread, NULL, reader_thread, &r));
	ASSERT_EQ(0, sem_wait(&in_read));
	EXPECT_EQ(0, ibv_dereg_mr(b));
	ASSERT_EQ(0, pthread_create(&g.thread, NULL, registrar_thread, &g));
	ASSERT_EQ(0, sem_wait(&in_cmd));	/* in flight for 5 s */
	ASSERT_EQ(0, pthread_join(r.thread, NULL));
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EAGAIN, r.err);
	if (!r.ret)
		ibv_ack_async_event(&r.ev);
	TH_LOG("the reader returned %ld ms after its read", r.end_ms - r.start_ms);
	/* 1 s of the read's own delay, not the 5 s of the registration. */
	EXPECT_GE(2500, r.end_ms - r.start_ms);
	ASSERT_EQ(0, pthread_join(g.thread, NULL));
	ASSERT_NE(NULL, g.mr);
	EXPECT_EQ(0, ibv_dereg_mr(g.mr));
}

/*
 * The event arrives while its MR's dereg is in the kernel, and the dereg
 * fails (a type 2 window is bound): the event is returned, for that MR.
 */
TEST_F_TIMEOUT(ev, failed_dereg_loses_no_event, TIMEOUT)
{
	struct reader r = { .ctx = self->rt.ctx, .after = &in_cmd };
	struct ibv_mr *b;
	struct ibv_mw *mw;

	b = ibv_reg_mr(self->rt.pd, self->buf, LEN,
		       ACCESS | IBV_ACCESS_MW_BIND);
	ASSERT_NE(NULL, b) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	mw = ibv_alloc_mw(self->rt.pd, IBV_MW_TYPE_2);
	ASSERT_NE(NULL, mw);
	ASSERT_EQ(IBV_WC_SUCCESS, rt_bind_type2(&self->rt, mw, b, self->buf,
						LEN, ibv_inc_rkey(mw->rkey)));
	ASSERT_EQ(0, break_lease(self));

	/* The reader reads while the dereg is held before the kernel. */
	ASSERT_EQ(0, pthread_create(&r.thread, NULL, reader_thread, &r));
	cmd_delay_ms = 1500;
	EXPECT_EQ(EINVAL, ibv_dereg_mr(b));	/* the window is bound */
	ASSERT_EQ(0, pthread_join(r.thread, NULL));
	ASSERT_EQ(0, r.ret) TH_LOG("the event was lost: %s", strerror(r.err));
	EXPECT_EQ(IBV_EVENT_MR_REVOKED, r.ev.event_type);
	EXPECT_EQ(b, r.ev.element.mr);
	/* It waited for the dereg's outcome. */
	EXPECT_LE(1000, r.end_ms - r.start_ms);
	ibv_ack_async_event(&r.ev);
	EXPECT_EQ(0, ibv_dealloc_mw(mw));
	EXPECT_EQ(0, ibv_dereg_mr(b));
	ASSERT_EQ(0, pthread_join(self->change.thread, NULL));
	self->changing = false;
	EXPECT_EQ(0, self->change.ret);
}

struct acker {
	struct ibv_context *ctx;
	struct ibv_async_event ev;
	int got, delay_ms;
	sem_t read;
	pthread_t thread;
};

/* Read one event, tell, hold it for @delay_ms, ack it. */
static void *acker_thread(void *arg)
{
	struct acker *a = arg;

	a->got = rt_get_event(a->ctx, &a->ev, 5000);
	sem_post(&a->read);
	if (a->got) {
		usleep(a->delay_ms * 1000);
		ibv_ack_async_event(&a->ev);
	}
	return NULL;
}

/*
 * Dereg before ack: the thread holding the event gets EDEADLK at once,
 * the MR stays registered with its lease; after the ack the dereg works.
 * When another thread holds the event, the dereg waits for its ack.
 */
TEST_F_TIMEOUT(ev, dereg_before_ack, TIMEOUT)
{
	struct acker a = { .ctx = self->rt.ctx, .delay_ms = 800 };
	struct ibv_async_event ev;
	char line[1024];
	struct ibv_mr *b;
	long t0;

	b = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, b) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	ASSERT_EQ(0, break_lease(self));
	ASSERT_EQ(1, rt_get_event(self->rt.ctx, &ev, 1000));
	ASSERT_EQ(IBV_EVENT_MR_REVOKED, ev.event_type);
	ASSERT_EQ(b, ev.element.mr);

	t0 = rt_now_ms();
	EXPECT_EQ(EDEADLK, ibv_dereg_mr(b));
	EXPECT_GE(200, rt_now_ms() - t0);
	EXPECT_EQ(1, rt_res_mr(b->lkey, line, sizeof(line)));
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	EXPECT_EQ(0, rt_change_done(&self->change));
	ibv_ack_async_event(&ev);
	EXPECT_EQ(0, ibv_dereg_mr(b));
	ASSERT_EQ(0, pthread_join(self->change.thread, NULL));
	self->changing = false;
	EXPECT_EQ(0, self->change.ret);

	/* Another thread holds the event: the dereg waits for its ack. */
	ASSERT_EQ(0, fallocate(self->fd, 0, 0, LEN));
	b = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, b) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	ASSERT_EQ(0, break_lease(self));
	sem_init(&a.read, 0, 0);
	ASSERT_EQ(0, pthread_create(&a.thread, NULL, acker_thread, &a));
	ASSERT_EQ(0, sem_wait(&a.read));
	ASSERT_EQ(1, a.got);
	EXPECT_EQ(b, a.ev.element.mr);
	t0 = rt_now_ms();
	EXPECT_EQ(0, ibv_dereg_mr(b));
	EXPECT_LE(600, rt_now_ms() - t0);
	ASSERT_EQ(0, pthread_join(a.thread, NULL));
	ASSERT_EQ(0, pthread_join(self->change.thread, NULL));
	self->changing = false;
	EXPECT_EQ(0, self->change.ret);
}

TEST_HARNESS_MAIN

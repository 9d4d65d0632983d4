// SPDX-License-Identifier: GPL-2.0
/*
 * MRs over FS-DAX files: the registration takes an FL_LONGTERM lease for
 * the application, data moves through the file, and every layout change
 * that frees or moves blocks under the MRs reaches the application as one
 * IBV_EVENT_MR_REVOKED per MR; the layout change completes once the MRs
 * are deregistered. Growing the file reaches nobody. (ranges.c has MRs
 * over parts of a file.)
 *
 * Runs on ext4 and xfs (fixture variants). Needs the series: on a stock
 * kernel the registration itself fails (see reg_mr.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#define LEN	(4UL << 20)
#define NMR	2
/*
 * fs.lease-break-time in these tests: an application that deregisters at
 * once never waits for it, so a layout change that ends later than
 * DEREG_WAKES_MS after the dereg was ended by the revoke, not the dereg.
 */
#define BREAK_S		20
#define DEREG_WAKES_MS	3000
#define TIMEOUT		120	/* s, per test: more than BREAK_S */
#define BREAK_TIME_SYSCTL "/proc/sys/fs/lease-break-time"
#define ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		 IBV_ACCESS_REMOTE_READ)

FIXTURE(dax) {
	struct rt rt;
	char path[64];
	int fd;
	void *buf, *local;
	struct ibv_mr *lmr, *mr[NMR];
	int saved_break_time;
};

FIXTURE_VARIANT(dax) {
	const char *dir;
	bool remap;	/* reflink and exchange-range */
};

FIXTURE_VARIANT_ADD(dax, ext4) { .dir = RT_EXT4 };
FIXTURE_VARIANT_ADD(dax, xfs) { .dir = RT_XFS, .remap = true };

FIXTURE_SETUP(dax)
{
	int i;

	self->saved_break_time = -1;
	ASSERT_EQ(0, rt_read_int(BREAK_TIME_SYSCTL, &self->saved_break_time));
	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, BREAK_S));
	ASSERT_EQ(0, rt_open(&self->rt));
	snprintf(self->path, sizeof(self->path), "%s/dax_mr", variant->dir);
	self->buf = rt_map_file(variant->dir, "dax_mr", LEN, &self->fd);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(1, rt_is_dax(self->path));
	self->local = aligned_alloc(4096, LEN);
	ASSERT_NE(NULL, self->local);
	self->lmr = ibv_reg_mr(self->rt.pd, self->local, LEN, ACCESS);
	ASSERT_NE(NULL, self->lmr);
	/* Two MRs over the same file: one lease, two events on a break. */
	for (i = 0; i < NMR; i++) {
		self->mr[i] = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
		ASSERT_NE(NULL, self->mr[i]) {
			TH_LOG("ibv_reg_mr on DAX: %s", strerror(errno));
		}
	}
}

FIXTURE_TEARDOWN(dax)
{
	int i;

	for (i = 0; i < NMR; i++)
		if (self->mr[i])
			ibv_dereg_mr(self->mr[i]);
	if (self->lmr)
		ibv_dereg_mr(self->lmr);
	free(self->local);
	if (self->buf)
		munmap(self->buf, LEN);
	close(self->fd);
	unlink(self->path);
	rt_close(&self->rt);
	if (self->saved_break_time > 0)
		rt_write_int(BREAK_TIME_SYSCTL, self->saved_break_time);
}

TEST_F_TIMEOUT(dax, data_through_the_file, TIMEOUT)
{
	void *copy = malloc(LEN);

	ASSERT_NE(NULL, copy);
	rt_fill(self->local, LEN, 11);
	ASSERT_EQ(IBV_WC_SUCCESS,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			  self->local, LEN, (uintptr_t)self->buf,
			  self->mr[0]->rkey));
	ASSERT_EQ(LEN, pread(self->fd, copy, LEN, 0));
	EXPECT_EQ(-1, rt_check(copy, LEN, 11));

	rt_fill(copy, LEN, 12);
	ASSERT_EQ(LEN, pwrite(self->fd, copy, LEN, 0));
	memset(self->local, 0, LEN);
	ASSERT_EQ(IBV_WC_SUCCESS,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_READ, self->lmr,
			  self->local, LEN, (uintptr_t)self->buf,
			  self->mr[1]->rkey));
	EXPECT_EQ(-1, rt_check(self->local, LEN, 12));
	free(copy);
}

TEST_F_TIMEOUT(dax, proc_locks_shows_one_lease, TIMEOUT)
{
	int i;

	/* One lease per (file, context), whatever the number of MRs. */
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	for (i = 0; i < NMR; i++) {
		ASSERT_EQ(0, ibv_dereg_mr(self->mr[i]));
		self->mr[i] = NULL;
	}
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

/*
 * Start @op on the file in a thread, expect exactly one event per MR, check
 * the change waits for the MRs, deregister them, and the change completes.
 */
static void layout_change(struct __test_metadata *_metadata,
			  FIXTURE_DATA(dax) *self, enum rt_layout_op op)
{
	struct rt_change c = { .fd = self->fd, .op = op, .size = LEN };
	struct ibv_async_event ev;
	int seen[NMR] = { 0 }, i, n = 0;
	long t0;

	ASSERT_EQ(0, rt_change_start(&c));
	while (n < NMR && rt_get_event(self->rt.ctx, &ev, 10000)) {
		EXPECT_EQ(IBV_EVENT_MR_REVOKED, ev.event_type);
		for (i = 0; i < NMR; i++)
			if (ev.event_type == IBV_EVENT_MR_REVOKED &&
			    ev.element.mr == self->mr[i])
				seen[i]++;
		ibv_ack_async_event(&ev);
		n++;
	}
	for (i = 0; i < NMR; i++)
		EXPECT_EQ(1, seen[i]);
	/* No second event for the same break. */
	EXPECT_EQ(0, rt_get_event(self->rt.ctx, &ev, 500));

	/* The layout change waits for the pins to go. */
	EXPECT_EQ(0, rt_change_done(&c));
	EXPECT_EQ(1, rt_longterm_leases(self->fd));

	t0 = rt_now_ms();
	for (i = 0; i < NMR; i++) {
		ASSERT_EQ(0, ibv_dereg_mr(self->mr[i]));
		self->mr[i] = NULL;
	}
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret) TH_LOG("layout change: %s", strerror(c.err));
	EXPECT_GE(c.done_ms, t0);
	EXPECT_GT(t0 + DEREG_WAKES_MS, c.done_ms)
		TH_LOG("done %ld ms after the dereg", c.done_ms - t0);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

TEST_F_TIMEOUT(dax, truncate_down, TIMEOUT) { layout_change(_metadata, self, RT_TRUNC_DOWN); }

/* Growing the file moves no block: no event, no wait, the MRs work on. */
TEST_F_TIMEOUT(dax, truncate_up_revokes_nothing, TIMEOUT)
{
	struct ibv_async_event ev;

	ASSERT_EQ(0, rt_layout_change(self->fd, RT_TRUNC_UP, LEN));
	EXPECT_EQ(0, rt_get_event(self->rt.ctx, &ev, 1000));
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	rt_fill(self->local, LEN, 13);
	EXPECT_EQ(IBV_WC_SUCCESS,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			  self->local, LEN, (uintptr_t)self->buf,
			  self->mr[1]->rkey));
	EXPECT_EQ(-1, rt_check(self->buf, LEN, 13));
}
TEST_F_TIMEOUT(dax, punch_hole, TIMEOUT) { layout_change(_metadata, self, RT_PUNCH); }
TEST_F_TIMEOUT(dax, collapse_range, TIMEOUT) { layout_change(_metadata, self, RT_COLLAPSE); }
TEST_F_TIMEOUT(dax, insert_range, TIMEOUT) { layout_change(_metadata, self, RT_INSERT); }
TEST_F_TIMEOUT(dax, zero_range, TIMEOUT) { layout_change(_metadata, self, RT_ZERO); }

/*
 * xfs: reflinking or exchanging a range into the file changes its layout.
 * ext4 does neither; it refuses, and that is no reason to break the lease.
 */
static void remap(struct __test_metadata *_metadata, FIXTURE_DATA(dax) *self,
		  const FIXTURE_VARIANT(dax) *variant, enum rt_layout_op op,
		  int refused)
{
	struct ibv_async_event ev;

	if (variant->remap) {
		layout_change(_metadata, self, op);
		return;
	}
	ASSERT_EQ(-1, rt_layout_change(self->fd, op, LEN));
	EXPECT_EQ(refused, errno);
	EXPECT_EQ(0, rt_get_event(self->rt.ctx, &ev, 500));
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
}

TEST_F_TIMEOUT(dax, reflink_range, TIMEOUT)
{
	remap(_metadata, self, variant, RT_REFLINK, EOPNOTSUPP);
}

TEST_F_TIMEOUT(dax, exchange_range, TIMEOUT)
{
	remap(_metadata, self, variant, RT_EXCHANGE, ENOTTY);
}

/* A registration during a break fails with EAGAIN and pins nothing. */
TEST_F_TIMEOUT(dax, register_during_break, TIMEOUT)
{
	struct rt_change c = { .fd = self->fd, .op = RT_PUNCH, .size = LEN };
	struct ibv_async_event ev;
	struct ibv_mr *mr;
	long t0;
	int i;

	ASSERT_EQ(0, rt_change_start(&c));
	ASSERT_EQ(1, rt_get_event(self->rt.ctx, &ev, 10000));
	ibv_ack_async_event(&ev);
	mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	EXPECT_EQ(NULL, mr);
	EXPECT_EQ(EAGAIN, errno);
	if (mr)
		ibv_dereg_mr(mr);
	while (rt_get_event(self->rt.ctx, &ev, 500))
		ibv_ack_async_event(&ev);
	EXPECT_EQ(0, rt_change_done(&c));
	t0 = rt_now_ms();
	for (i = 0; i < NMR; i++) {
		ASSERT_EQ(0, ibv_dereg_mr(self->mr[i]));
		self->mr[i] = NULL;
	}
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret);
	EXPECT_GT(t0 + DEREG_WAKES_MS, c.done_ms);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

struct dereg {
	struct ibv_mr *mr;
	int ret;
	long done_ms;
	pthread_t thread;
};

static void *dereg_thread(void *arg)
{
	struct dereg *d = arg;

	d->ret = ibv_dereg_mr(d->mr);
	__atomic_store_n(&d->done_ms, rt_now_ms(), __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * I5: ibv_dereg_mr() of an MR whose event was read but not acked waits for
 * the ack, so element.mr stays valid until then; and the dereg of an MR
 * whose event was never read drops that event.
 */
TEST_F_TIMEOUT(dax, dereg_waits_for_ack, TIMEOUT)
{
	struct rt_change c = { .fd = self->fd, .op = RT_PUNCH, .size = LEN };
	struct dereg d = { 0 };
	struct ibv_async_event ev;
	int i;
	long t0;

	ASSERT_EQ(0, rt_change_start(&c));
	ASSERT_EQ(1, rt_get_event(self->rt.ctx, &ev, 10000));
	ASSERT_EQ(IBV_EVENT_MR_REVOKED, ev.event_type);
	i = ev.element.mr == self->mr[0] ? 0 : 1;
	ASSERT_EQ(self->mr[i], ev.element.mr);

	d.mr = self->mr[i];
	self->mr[i] = NULL;
	ASSERT_EQ(0, pthread_create(&d.thread, NULL, dereg_thread, &d));
	usleep(500000);
	EXPECT_EQ(0, __atomic_load_n(&d.done_ms, __ATOMIC_SEQ_CST));
	t0 = rt_now_ms();
	ibv_ack_async_event(&ev);
	ASSERT_EQ(0, pthread_join(d.thread, NULL));
	EXPECT_EQ(0, d.ret);
	EXPECT_LE(t0, d.done_ms);

	/* The other MR's event was queued by the same break, never read. */
	EXPECT_EQ(0, rt_change_done(&c));
	t0 = rt_now_ms();
	ASSERT_EQ(0, ibv_dereg_mr(self->mr[1 - i]));
	self->mr[1 - i] = NULL;
	EXPECT_EQ(0, rt_get_event(self->rt.ctx, &ev, 500));
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	EXPECT_EQ(0, c.ret);
	EXPECT_GT(t0 + DEREG_WAKES_MS, c.done_ms);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

/* Process exit with MRs still registered leaves no lease and no pin. */
TEST_F_TIMEOUT(dax, exit_with_mrs_registered, TIMEOUT)
{
	long t0;
	pid_t pid;
	int st;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rt rt;
		int i;

		if (rt_open(&rt))
			_exit(2);
		for (i = 0; i < 8; i++)
			if (!ibv_reg_mr(rt.pd, self->buf, LEN, ACCESS))
				_exit(3);
		_exit(0);	/* no dereg, no close */
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, WEXITSTATUS(st));
	/* Only the parent's own lease is left... */
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	for (st = 0; st < NMR; st++) {
		ASSERT_EQ(0, ibv_dereg_mr(self->mr[st]));
		self->mr[st] = NULL;
	}
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
	/* ...and with it gone, nothing holds up a truncate. */
	t0 = rt_now_ms();
	EXPECT_EQ(0, ftruncate(self->fd, 0));
	EXPECT_GT(2000, rt_now_ms() - t0);
}

/*
 * In a child: a device and PD opened as root, then nobody (uid 65534, no
 * capabilities) with the fixture's file mapped shared; exits 2 or 3 if
 * that fails.
 */
static void *map_as_nobody(const char *path, struct rt *rt)
{
	void *p;
	int fd;

	if (rt_open(rt) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		_exit(2);
	fd = open(path, O_RDWR);
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd < 0 || p == MAP_FAILED)
		_exit(3);
	return p;
}

/* The lease needs the rights of any lease: owner or CAP_LEASE (I6). */
TEST_F_TIMEOUT(dax, eacces_for_non_owner, TIMEOUT)
{
	pid_t pid;
	int st;

	ASSERT_EQ(0, fchmod(self->fd, 0666));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rt rt;
		void *p = map_as_nobody(self->path, &rt);
		struct ibv_mr *mr = ibv_reg_mr(rt.pd, p, LEN, ACCESS);

		if (mr)
			_exit(4);
		_exit(errno == EACCES ? 0 : 5);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	/* Only the fixture's lease: the refused one left nothing behind. */
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
}

/*
 * The MRs of a uverbs file over a file share one lease, and each
 * registration needs the right to it (I6), not only the first: once the
 * file belongs to somebody else, its former owner's next registration is
 * refused, although its uverbs file holds the lease already.
 */
TEST_F_TIMEOUT(dax, eacces_for_non_owner_on_a_shared_lease, TIMEOUT)
{
	int go[2], done[2];
	char c = 0;
	pid_t pid;
	int st;

	ASSERT_EQ(0, fchmod(self->fd, 0666));
	ASSERT_EQ(0, fchown(self->fd, 65534, 65534));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Its own uverbs file, as the owner of the file (no caps). */
		struct rt rt;
		void *p = map_as_nobody(self->path, &rt);
		struct ibv_mr *mr = ibv_reg_mr(rt.pd, p, LEN, ACCESS), *mr2;

		if (!mr)
			_exit(4);
		/* The file changes hands. */
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(5);
		mr2 = ibv_reg_mr(rt.pd, p, LEN, ACCESS);
		if (mr2) {
			ibv_dereg_mr(mr2);
			_exit(6);
		}
		if (errno != EACCES)
			_exit(7);
		_exit(ibv_dereg_mr(mr) ? 8 : 0);
	}
	ASSERT_EQ(1, read(done[0], &c, 1));
	/* The fixture's lease and the child's. */
	EXPECT_EQ(2, rt_longterm_leases(self->fd));
	ASSERT_EQ(0, fchown(self->fd, 0, 0));
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st))
		TH_LOG("6: registered on the lease without the right to it");
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}

/* Bad input fails with a clear errno and leaves nothing leased. */
TEST_F_TIMEOUT(dax, bad_ranges_leave_nothing, TIMEOUT)
{
	struct ibv_mr *mr;
	char *area;
	int i;

	for (i = 0; i < NMR; i++) {
		ASSERT_EQ(0, ibv_dereg_mr(self->mr[i]));
		self->mr[i] = NULL;
	}
	/* The file mapped in the first half, nothing in the second. */
	area = mmap(NULL, 2 * LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(area, mmap(area, LEN, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_FIXED, self->fd, 0));
	ASSERT_EQ(0, munmap(area + LEN, LEN));

	mr = ibv_reg_mr(self->rt.pd, area, 2 * LEN, ACCESS);
	EXPECT_EQ(NULL, mr);
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));

	/* Writable MR over a read-only mapping of the file. */
	ASSERT_EQ(0, mprotect(area, LEN, PROT_READ));
	mr = ibv_reg_mr(self->rt.pd, area, LEN, ACCESS);
	EXPECT_EQ(NULL, mr);
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
	munmap(area, LEN);

	/* Nothing pinned either: a truncate does not wait. */
	EXPECT_EQ(0, ftruncate(self->fd, 0));
}

/*
 * 1,000 MRs on one file share one lease: registering and deregistering
 * them costs O(N) in total (I8). The last hundred registrations may not be
 * much slower than the first hundred.
 */
TEST_F_TIMEOUT(dax, thousand_mrs_one_lease, TIMEOUT)
{
	enum { N = 1000, CHUNK = 100 };
	struct ibv_mr **mrs = calloc(N, sizeof(*mrs));
	long t_first = 0, t_last, t0 = 0;
	int i;

	ASSERT_NE(NULL, mrs);
	for (i = 0; i < N; i++) {
		if (i == 0 || i == N - CHUNK)
			t0 = rt_now_ms();
		mrs[i] = ibv_reg_mr(self->rt.pd,
				    (char *)self->buf + (i % (LEN / 4096)) * 4096,
				    4096, ACCESS);
		ASSERT_NE(NULL, mrs[i]);
		if (i == CHUNK - 1)
			t_first = rt_now_ms() - t0;
	}
	t_last = rt_now_ms() - t0;
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	TH_LOG("first %d registrations: %ld ms, last %d: %ld ms",
	       CHUNK, t_first, CHUNK, t_last);
	EXPECT_GE(3 * t_first + 100, t_last);
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, ibv_dereg_mr(mrs[i]));
	free(mrs);
	/* The fixture's MRs still hold the lease, and only they. */
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
}

struct flipper {
	void *addr;
	size_t len;
	int fd[2];
	int stop;
	unsigned int first;	/* the mapping to start with */
	pthread_t thread;
};

/*
 * Map over the range, round robin: file 0, file 1, anonymous memory, the
 * first half of file 0 followed by the second half of file 1 (an MR
 * registered then spans two files), and the second @len bytes of file 0
 * (the same file at other pages: a lease recorded for the pages first
 * seen would not cover them).
 */
static void *flip_thread(void *arg)
{
	struct flipper *f = arg;
	size_t half = f->len / 2;
	unsigned int i = f->first, seed = f->first;
	char *a = f->addr;

	while (!__atomic_load_n(&f->stop, __ATOMIC_SEQ_CST)) {
		unsigned int k = i++ % 5;
		int prot = PROT_READ | PROT_WRITE;

		/*
		 * Keep each mapping for a random while (up to about two
		 * registrations under TCG), so that every kind of mapping
		 * gets registered over now and then.
		 */
		if (i > f->first + 1)
			usleep(rand_r(&seed) % 2000);

		if (k == 4) {
			if (mmap(a, f->len, prot, MAP_FIXED | MAP_SHARED,
				 f->fd[0], f->len) != a)
				return (void *)1;
		} else if (k == 2) {
			if (mmap(a, f->len, prot, MAP_FIXED | MAP_PRIVATE |
				 MAP_ANONYMOUS, -1, 0) != a)
				return (void *)1;
		} else if (k < 2) {
			if (mmap(a, f->len, prot, MAP_FIXED | MAP_SHARED,
				 f->fd[k], 0) != a)
				return (void *)1;
		} else if (mmap(a, half, prot, MAP_FIXED | MAP_SHARED,
				f->fd[0], 0) != a ||
			   mmap(a + half, half, prot, MAP_FIXED | MAP_SHARED,
				f->fd[1], half) != a + half) {
			return (void *)1;
		}
	}
	return NULL;
}

/*
 * Truncate @fd (of 2 * @len bytes) to @to while @mr may pin it, deregister
 * @mr on its event, then give the file its size back. 1 if an event came,
 * 0 if none, -1 if the truncate did not complete: pages of the file that
 * the truncate frees were pinned with no lease over them to break. Breaks
 * and waits are limited to the range a change touches: a truncate to @len
 * waits for pins of the second half only, one to 0 for any pin.
 */
static int truncate_pinned(struct rt *rt, int fd, size_t len, off_t to,
			   struct ibv_mr **mr)
{
	struct rt_change c = { .fd = fd, .op = RT_TRUNC_DOWN, .size = 2 * to };
	struct ibv_async_event ev;
	long t0 = rt_now_ms();
	int events = 0;

	if (rt_change_start(&c))
		return -1;
	while (!rt_change_done(&c) && rt_now_ms() - t0 < 10000) {
		if (!rt_get_event(rt->ctx, &ev, 50))
			continue;
		if (ev.event_type == IBV_EVENT_MR_REVOKED &&
		    ev.element.mr == *mr)
			events++;
		ibv_ack_async_event(&ev);
		if (*mr && events) {
			ibv_dereg_mr(*mr);
			*mr = NULL;
		}
	}
	if (!rt_change_done(&c) && *mr) {
		/* Unblock the truncate so the test can report. */
		ibv_dereg_mr(*mr);
		*mr = NULL;
		events = -1;
	}
	pthread_join(c.thread, NULL);
	if (c.ret || ftruncate(fd, 2 * len))
		return -1;
	return events;
}

/*
 * I1 with a racing mmap: while one thread keeps replacing the mapping of
 * the range (file A, file B, anonymous memory, half A and half B),
 * registrations either fail
 * with EAGAIN or EOPNOTSUPP or pin pages of a file they hold the lease
 * of. A pin without a lease would leave a truncate of that file waiting
 * forever, since nobody would be told to let go. The range is pinned in
 * several chunks (ib_umem_get() pins 512 pages at a time, each under its
 * own mmap_lock), so the mapping also changes between chunks.
 */
TEST_F_TIMEOUT(dax, mapping_flips_during_registration, 2 * TIMEOUT)
{
	/*
	 * At least ROUNDS rounds, and more (up to MAX_ROUNDS) until every
	 * outcome below has been seen: which mapping a registration meets
	 * is up to the scheduler, and a loaded host skews it.
	 */
	enum { ROUNDS = 100, MAX_ROUNDS = 400, EXTRA_MS = 45000 };
	const size_t len = 6 << 20;
	struct flipper f = { .len = len };
	int i, j, r, ok = 0, eagain = 0, eopnotsupp = 0, events = 0, both = 0;
	int seconds = 0;
	long t100 = 0;
	char path[2][80];
	struct ibv_mr *mr;
	void *ret;

	for (j = 0; j < 2; j++) {
		snprintf(path[j], sizeof(path[j]), "%s.flip%d", self->path, j);
		f.fd[j] = open(path[j], O_RDWR | O_CREAT | O_TRUNC, 0600);
		ASSERT_LE(0, f.fd[j]);
		ASSERT_EQ(0, ftruncate(f.fd[j], 2 * len));
	}
	f.addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f.addr);

	for (i = 0; i < ROUNDS || (i < MAX_ROUNDS &&
				   rt_now_ms() - t100 < EXTRA_MS &&
				   (!events || !both || !seconds || !eagain));
	     i++) {
		if (i == ROUNDS - 1)
			t100 = rt_now_ms();
		f.stop = 0;
		f.first = i;
		ASSERT_EQ(0, pthread_create(&f.thread, NULL, flip_thread, &f));
		mr = ibv_reg_mr(self->rt.pd, f.addr, len, ACCESS);
		r = mr ? 0 : errno;
		__atomic_store_n(&f.stop, 1, __ATOMIC_SEQ_CST);
		ASSERT_EQ(0, pthread_join(f.thread, &ret));
		ASSERT_EQ(NULL, ret);
		if (!mr) {
			ASSERT_TRUE(r == EAGAIN || r == EOPNOTSUPP) {
				TH_LOG("ibv_reg_mr: %s", strerror(r));
			}
			eagain += r == EAGAIN;
			eopnotsupp += r == EOPNOTSUPP;
			continue;
		}
		ok++;
		/* An MR over pages of both files holds both their leases. */
		both += rt_longterm_leases(f.fd[0]) == 1 &&
			rt_longterm_leases(f.fd[1]) == 1;
		/* The second half of each file first, then all of it. */
		for (j = 0; j < 4; j++) {
			r = truncate_pinned(&self->rt, f.fd[j / 2], len,
					    j % 2 ? 0 : len, &mr);
			ASSERT_LE(0, r) {
				TH_LOG("round %d: truncate of file %d to %s hung",
				       i, j / 2, j % 2 ? "0" : "half");
			}
			events += r;
			seconds += r && !(j % 2);
		}
		if (mr)
			ASSERT_EQ(0, ibv_dereg_mr(mr));
	}
	TH_LOG("%d rounds: %d registered (%d leased file events, %d over both files, %d over a second half), %d EAGAIN, %d EOPNOTSUPP",
	       i, ok, events, both, seconds, eagain, eopnotsupp);
	/*
	 * The race ran, with the outcomes it is about: leased DAX
	 * registrations, MRs over pages of both files, and registrations
	 * that saw the mapping change between their chunks (EAGAIN: no
	 * layout change runs meanwhile, so no break explains it).
	 */
	EXPECT_LT(0, events);
	EXPECT_LT(0, both);
	EXPECT_LT(0, seconds);
	EXPECT_LT(0, eagain);
	for (j = 0; j < 2; j++) {
		EXPECT_EQ(0, rt_longterm_leases(f.fd[j]));
		close(f.fd[j]);
		unlink(path[j]);
	}
	munmap(f.addr, len);
}

/* Other long-term pinners still get EOPNOTSUPP on FS-DAX (I1). */
TEST_F_TIMEOUT(dax, io_uring_fixed_buffer_still_refused, TIMEOUT)
{
	struct io_uring_params p = { 0 };
	struct iovec iov = { .iov_base = self->buf, .iov_len = 65536 };
	int ring, ret;

	ring = syscall(__NR_io_uring_setup, 4, &p);
	ASSERT_LE(0, ring);
	ret = syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
		      &iov, 1);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(ring);
}

TEST_HARNESS_MAIN

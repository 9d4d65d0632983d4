// SPDX-License-Identifier: GPL-2.0
/*
 * make demo: the main job, told step by step. Registers anonymous memory
 * and an FS-DAX file mapping on rxe0 and moves data through them.
 * Exits 0 when every step behaved as this kernel is expected to.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "rdmatest.h"

#define LEN	(2UL << 20)
#define ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		 IBV_ACCESS_REMOTE_READ)

static int failures;

static void say(int ok, const char *what, const char *detail)
{
	printf("  %-52s %s", what, ok ? "ok" : "FAILED");
	if (detail)
		printf(" (%s)", detail);
	printf("\n");
	if (!ok)
		failures++;
}

/* "rkey 0x..." for a registered MR, the error otherwise. */
static const char *mr_detail(struct ibv_mr *mr)
{
	static char buf[64];

	if (!mr)
		return strerror(errno);
	snprintf(buf, sizeof(buf), "lkey 0x%x, rkey 0x%x", mr->lkey, mr->rkey);
	return buf;
}

/* WRITE a pattern into @mr from qp[0], check it through @check (or the
 * buffer), READ it back. */
static void move_data(struct rt *rt, struct ibv_mr *lmr, void *local,
		      struct ibv_mr *mr, int fd)
{
	void *copy = malloc(LEN);
	char detail[96];
	int st;

	rt_fill(local, LEN, 7);
	st = rt_rdma(rt, 0, IBV_WR_RDMA_WRITE, lmr, local, LEN,
		     (uintptr_t)mr->addr, mr->rkey);
	if (!copy) {
		say(0, "malloc", strerror(errno));
		return;
	}
	if (fd >= 0 && pread(fd, copy, LEN, 0) != (ssize_t)LEN)
		memset(copy, 0, LEN);	/* the check below then fails */
	else if (fd < 0)
		memcpy(copy, mr->addr, LEN);
	snprintf(detail, sizeof(detail), "%s, checked %s",
		 st >= 0 ? ibv_wc_status_str(st) : strerror(-st),
		 fd >= 0 ? "with read(2)" : "in memory");
	say(st == IBV_WC_SUCCESS && rt_check(copy, LEN, 7) < 0,
	    "RDMA WRITE of 2 MiB from a peer QP lands", detail);
	memset(local, 0, LEN);
	st = rt_rdma(rt, 0, IBV_WR_RDMA_READ, lmr, local, LEN,
		     (uintptr_t)mr->addr, mr->rkey);
	say(st == IBV_WC_SUCCESS && rt_check(local, LEN, 7) < 0,
	    "RDMA READ of 2 MiB returns the same bytes",
	    st >= 0 ? ibv_wc_status_str(st) : strerror(-st));
	free(copy);
}

/* The layout change story: truncate, the event, dereg, truncate done. */
static void revoke_story(struct rt *rt, struct ibv_mr *mr, int fd)
{
	struct rt_change c = { .fd = fd, .op = RT_TRUNC_DOWN, .size = LEN };
	struct ibv_async_event ev;
	long t0, t_ev, t_dereg;
	char buf[96];
	int got;

	printf("\n3. Another thread truncates the file while the MR is registered\n");
	t0 = rt_now_ms();
	if (rt_change_start(&c)) {
		say(0, "starting the truncate thread", strerror(errno));
		return;
	}
	got = rt_get_event(rt->ctx, &ev, 30000);
	t_ev = rt_now_ms();
	snprintf(buf, sizeof(buf), "%s for %s, after %ld ms",
		 got ? ibv_event_type_str(ev.event_type) : "nothing",
		 got && ev.element.mr == mr ? "our MR" : "?", t_ev - t0);
	say(got && ev.event_type == IBV_EVENT_MR_REVOKED &&
	    ev.element.mr == mr, "ibv_get_async_event()", buf);
	if (got)
		ibv_ack_async_event(&ev);
	usleep(500000);
	say(!rt_change_done(&c),
	    "the truncate waits while the MR is registered", "500 ms later");
	t_dereg = rt_now_ms();
	say(!ibv_dereg_mr(mr), "ibv_dereg_mr() as the event asks", NULL);
	pthread_join(c.thread, NULL);
	snprintf(buf, sizeof(buf), "%ld ms after the dereg",
		 c.done_ms - t_dereg);
	/* Woken by the dereg: well before lease-break-time would end it. */
	say(c.ret == 0 && c.done_ms >= t_dereg && c.done_ms - t_dereg < 3000,
	    "the truncate completes", buf);
}

#define BREAK_TIME_SYSCTL "/proc/sys/fs/lease-break-time"
#define BREAK_S		3
#define BREAK_S_STR	"3"

static int set_break_time(int s)
{
	FILE *f = fopen(BREAK_TIME_SYSCTL, "r+");
	int old = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &old) != 1 || fseek(f, 0, SEEK_SET) ||
	    fprintf(f, "%d\n", s) < 0)
		old = -1;
	fclose(f);
	return old;
}

/*
 * The application that ignores the event: the kernel revokes the MR after
 * lease-break-time, the truncate completes, the peer's next RDMA WRITE
 * fails, and the MR can still be deregistered.
 */
static void ignore_story(struct rt *rt, struct ibv_mr *lmr, void *local,
			 void *file, int fd)
{
	struct rt_change c = { .fd = fd, .op = RT_TRUNC_DOWN, .size = LEN };
	struct ibv_async_event ev;
	struct ibv_mr *mr;
	int old, now, got, st;
	char buf[96];
	long t0;

	printf("\n4. The same, with an application that ignores the event\n");
	old = set_break_time(BREAK_S);
	now = set_break_time(BREAK_S);	/* reads back what the first wrote */
	snprintf(buf, sizeof(buf), "read back: %d s", now);
	say(old >= 0 && now == BREAK_S,
	    "fs.lease-break-time set to " BREAK_S_STR " s", buf);
	if (old < 0 || now != BREAK_S)
		goto out;
	mr = ibv_reg_mr(rt->pd, file, LEN, ACCESS);
	say(mr != NULL, "ibv_reg_mr(2 MiB of the DAX mapping) again",
	    mr_detail(mr));
	if (!mr)
		goto out;
	t0 = rt_now_ms();
	if (rt_change_start(&c)) {
		say(0, "starting the truncate thread", strerror(errno));
		ibv_dereg_mr(mr);
		goto out;
	}
	got = rt_get_event(rt->ctx, &ev, 30000);
	snprintf(buf, sizeof(buf), "after %ld ms", rt_now_ms() - t0);
	say(got && ev.event_type == IBV_EVENT_MR_REVOKED && ev.element.mr == mr,
	    "IBV_EVENT_MR_REVOKED arrives, nobody acts on it", buf);
	if (got)
		ibv_ack_async_event(&ev);
	pthread_join(c.thread, NULL);
	snprintf(buf, sizeof(buf), "after %ld ms: the kernel revoked the MR",
		 c.done_ms - t0);
	/* Not before lease-break-time, and not much after it. */
	say(c.ret == 0 && c.done_ms - t0 >= (BREAK_S - 1) * 1000 &&
	    c.done_ms - t0 <= BREAK_S * 1000 + 4000,
	    "the truncate completes anyway", buf);
	st = rt_rdma(rt, 0, IBV_WR_RDMA_WRITE, lmr, local, 4096,
		     (uintptr_t)file, mr->rkey);
	say(st == IBV_WC_REM_ACCESS_ERR, "the peer's next RDMA WRITE fails",
	    ibv_wc_status_str(st));
	rt_reconnect(rt);
	say(!ibv_dereg_mr(mr), "ibv_dereg_mr() of the revoked MR", NULL);
out:
	if (old >= 0)
		set_break_time(old);
}

int main(void)
{
	struct ibv_mr *lmr, *mr;
	struct utsname u;
	void *local, *anon, *file;
	struct rt rt;
	int fd, ret, dax;
	Dl_info lib;

	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&u);
	printf("FS-DAX memory registration demo\n");
	printf("  kernel %s (%s)\n  libibverbs %s, device " RT_DEV "\n\n",
	       u.release, rt_kernel_has_series() ?
	       "with the FS-DAX MR series" : "stock: no series applied",
	       dladdr((void *)ibv_reg_mr, &lib) && lib.dli_fname ?
	       lib.dli_fname : "?");

	ret = rt_open(&rt);
	if (ret) {
		printf("cannot open rxe0: %s\n", strerror(-ret));
		return 1;
	}
	local = aligned_alloc(4096, LEN);
	lmr = local ? ibv_reg_mr(rt.pd, local, LEN, ACCESS) : NULL;
	if (!lmr) {
		printf("cannot register the peer's buffer: %s\n", strerror(errno));
		return 1;
	}

	printf("1. Anonymous memory (what works everywhere today)\n");
	anon = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mr = ibv_reg_mr(rt.pd, anon, LEN, ACCESS);
	say(mr != NULL, "ibv_reg_mr(2 MiB anonymous)", mr_detail(mr));
	if (mr) {
		move_data(&rt, lmr, local, mr, -1);
		ibv_dereg_mr(mr);
	}

	printf("\n2. A file on ext4 mounted -o dax on /dev/pmem0\n");
	file = rt_map_file(RT_EXT4, "demo", LEN, &fd);
	dax = file ? rt_is_dax(RT_EXT4 "/demo") : -1;
	say(file && dax == 1, "mmap(MAP_SHARED) of " RT_EXT4 "/demo",
	    !file ? strerror(errno) : dax == 1 ? "statx: STATX_ATTR_DAX is set" :
	    "statx: STATX_ATTR_DAX is NOT set");
	if (!file)
		goto out;
	mr = ibv_reg_mr(rt.pd, file, LEN, ACCESS);
	if (!rt_kernel_has_series()) {
		say(!mr && errno == EOPNOTSUPP,
		    "ibv_reg_mr(2 MiB of the DAX mapping) is refused",
		    mr ? "it was accepted" : strerror(errno));
		printf("\n  This is stock Linux: a long-term pin of FS-DAX pages is refused,\n"
		       "  because a truncate or hole punch could hand the pinned blocks to\n"
		       "  another file while the NIC still writes into them. The series in\n"
		       "  this repository makes it safe with an FL_LONGTERM lease owned by\n"
		       "  ib_core and IBV_EVENT_MR_REVOKED.\n");
	} else {
		say(mr != NULL, "ibv_reg_mr(2 MiB of the DAX mapping)",
		    mr_detail(mr));
		if (mr) {
			move_data(&rt, lmr, local, mr, fd);
			revoke_story(&rt, mr, fd);
			/* The file is empty now: give it its blocks back. */
			if (!ftruncate(fd, LEN) && !fallocate(fd, 0, 0, LEN))
				ignore_story(&rt, lmr, local, file, fd);
			else
				say(0, "re-allocating the file", strerror(errno));
		}
	}
	munmap(file, LEN);
	close(fd);
	unlink(RT_EXT4 "/demo");
out:
	ibv_dereg_mr(lmr);
	free(local);
	rt_close(&rt);
	printf("\n%s\n", failures ? "demo: something did not behave as expected" :
	       "demo: every step behaved as this kernel should");
	return !!failures;
}

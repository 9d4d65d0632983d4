// SPDX-License-Identifier: GPL-2.0
/*
 * The memory under an MR over an FS-DAX file fails or goes away (issue 25,
 * items 4 and 5): the MR is revoked, and what the kernel does about the
 * memory is never held up for longer than lease-break-time.
 *
 *  hwpoison  Memory failure of a page of the file (MADV_HWPOISON from
 *            another process's mapping; a media error takes the same path
 *            from memory_failure() on): the FL_LONGTERM leases over the
 *            failed page are broken without waiting. Only the MR over that
 *            page gets IBV_EVENT_MR_REVOKED, and lease-break-time later it
 *            is revoked (the peer's RDMA WRITE fails, its pages are
 *            unpinned); an MR over other pages of the file goes on working;
 *            a process holding fcntl(F_SETLEASE, F_LONGTERM) on the file
 *            gets its SIGIO. ext4 takes mf_generic_kill_procs() (no DAX
 *            holder), xfs (with rmapbt) its notify_failure and
 *            mf_dax_kill_procs(). Without the series' memory failure
 *            patch: no event, no SIGIO, and the MR keeps the failed page
 *            pinned and writable by the peer.
 *  dm        ext4 -o dax on dm-linear over pmem2, an MR over a file, the pmem
 *            namespace unbound: the removal reaches the file system through
 *            device-mapper, the MR gets its event and is revoked after
 *            lease-break-time, and only then does the removal complete.
 *            Without the series' dm patch: no event, and the removal
 *            returns at once while the MR still pins pages whose memory
 *            (and struct pages) are gone: the deregistration touches freed
 *            struct pages (an oops that the dmesg check reports).
 *
 * A page MADV_HWPOISON marks stays marked: ZONE_DEVICE pages cannot be
 * unpoisoned (unpoison_memory() refuses pages that are not online), and
 * the mark would follow the block into later files. So both tests use
 * pmem2, which nothing else needs until safety.c, and give it back as the
 * guest's init left it: erofs -o dax=always at /mnt/erofs (from
 * /tmp/erofs-data.expect), on a pmem2 rebound to its namespace, which
 * gives it new struct pages. MADV_HWPOISON records no bad block, so the
 * media itself is fine. The dm test leaves its dead ext4 and dm device
 * behind, as safety.c's unbind test leaves its dead ext4: unmounting a file
 * system whose pmem is gone would evict inodes whose DAX entries point at
 * struct pages that are gone.
 *
 * Every wait is bounded; a removal the kernel keeps waiting is unblocked
 * (the MR deregistered) and the test fails.
 *
 * Needs the guest of tests/vm with CONFIG_MEMORY_FAILURE and
 * CONFIG_BLK_DEV_DM, and dmsetup, mkfs.ext4, mkfs.xfs, mkfs.erofs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#ifndef F_LONGTERM
#define F_LONGTERM	16
#endif
#ifndef MADV_HWPOISON
#define MADV_HWPOISON	100
#endif

#define PMEM2		"/dev/pmem2"
#define SCRATCH		"/mnt/pmem2"	/* what safety.c uses too */
#define EROFS_MNT	"/mnt/erofs"
#define EROFS_EXPECT	"/tmp/erofs-data.expect"
#define ND_PMEM		"/sys/bus/nd/drivers/nd_pmem/"
#define DM_NAME		"devloss-%d"	/* getpid(): a run leaves its own */
#define DM_MNT		"/mnt/devloss-%d"

#define FILE_LEN	(1UL << 20)	/* < 2 MiB: no PMD mapping */
#define CHUNK		(64UL << 10)
#define OFF_A		0		/* MR A: [0, 64 KiB) */
#define OFF_B		(128UL << 10)	/* MR B: [128 KiB, 192 KiB) */
#define OFF_POISON	(160UL << 10)	/* a page of MR B only */
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)
#define BREAK_S		2		/* fs.lease-break-time in these tests */
#define EARLY_MS	300		/* a revoke may come this much early */
#define MARGIN_MS	4000		/* for the revoke itself, under TCG */
#define EVENT_MS	10000
#define QUIET_MS	1000		/* no second event within this */
#define UNBIND_MS	15000		/* limit for the removal */
#define CHILD_SIGBUS	3		/* exit code of a child that got SIGBUS */
#define TIMEOUT		180		/* s, per test */
#define BREAK_TIME_SYSCTL "/proc/sys/fs/lease-break-time"

/* The nd device pmem2 hangs off (pfnN.M for an fsdax namespace). */
static int pmem2_ns(char *ns, size_t size)
{
	char link[256];
	const char *p;
	ssize_t n;

	n = readlink("/sys/block/pmem2/device", link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = 0;
	p = strrchr(link, '/');
	snprintf(ns, size, "%s", p ? p + 1 : link);
	return 0;
}

/* 0 once @path exists, -1 if it does not within @ms. */
static int appears_within(const char *path, int ms)
{
	long deadline = rt_now_ms() + ms;

	while (access(path, F_OK)) {
		if (rt_now_ms() >= deadline)
			return -1;
		usleep(10000);
	}
	return 0;
}

/* Unmount whatever pmem2 carries (the guest's erofs, at first). */
static int pmem2_take(void)
{
	return rt_sh("while grep -q '^" PMEM2 " ' /proc/mounts; do umount " PMEM2
		  " || exit 1; done");
}

/*
 * Give pmem2 back as the guest's init made it: erofs -o dax=always at
 * /mnt/erofs with /tmp/erofs-data.expect as its file "data", mode 0666.
 * @rebind: unbind @ns first if pmem2 is there (nothing must be mounted
 * from it), then bind it again, so that pmem2 has new struct pages.
 */
static int pmem2_restore(struct __test_metadata *_metadata, const char *ns,
			 bool rebind)
{
	if (rebind && !access("/sys/block/pmem2", F_OK) &&
	    rt_write_str(ND_PMEM "unbind", ns)) {
		TH_LOG("unbind %s: %s", ns, strerror(errno));
		return -1;
	}
	if (access("/sys/block/pmem2", F_OK) &&
	    rt_write_str(ND_PMEM "bind", ns)) {
		TH_LOG("bind %s: %s", ns, strerror(errno));
		return -1;
	}
	if (appears_within(PMEM2, 5000)) {
		TH_LOG("no " PMEM2 " after binding %s", ns);
		return -1;
	}
	if (access(EROFS_EXPECT, F_OK))
		return 0;	/* not the guest of tests/vm: no erofs to redo */
	if (rt_sh("d=$(mktemp -d) && cp " EROFS_EXPECT " $d/data && chmod 666 $d/data && mkfs.erofs -Enoinline_data --quiet " PMEM2 " $d >/dev/null 2>&1; r=$?; rm -rf $d; [ $r = 0 ] && mkdir -p " EROFS_MNT " && mount -t erofs -o dax=always " PMEM2 " " EROFS_MNT)) {
		TH_LOG("erofs on " PMEM2 " not remade");
		return -1;
	}
	return 0;
}

/* FL_LONGTERM leases in /proc/locks, of any file, or -1. */
static int longterm_leases(void)
{
	char line[256];
	int n = 0;
	FILE *f;

	f = fopen("/proc/locks", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "LONGTERM") && !strstr(line, "->"))
			n++;
	fclose(f);
	return n;
}

/* 0 once VmPin is @kb, -1 if it is not within @ms. */
static int pin_becomes(long kb, int ms)
{
	long deadline = rt_now_ms() + ms;

	while (rt_vm_pin_kb() != kb) {
		if (rt_now_ms() >= deadline)
			return -1;
		usleep(10000);
	}
	return 0;
}

/* What both fixtures have, and what their teardowns give back. */
struct ctx {
	struct rt rt;
	bool rt_opened;
	void *local;		/* anonymous, CHUNK bytes, MR lmr */
	struct ibv_mr *lmr;
	long pin0;		/* VmPin with lmr only */
	int saved_break_time;	/* as found; -1: not read yet */
	char ns[256];		/* pmem2's nd device */
	bool pmem2_taken;	/* pmem2 is ours: give it back */
	bool scratch;		/* a file system of ours at SCRATCH */
	char path[128];		/* unlinked in teardown if set */
	int fd, fd2;
	void *map;
	struct ibv_mr *mr[2];
};

static void ctx_setup(struct __test_metadata *_metadata, struct ctx *c)
{
	sigset_t set;

	c->saved_break_time = -1;
	c->fd = c->fd2 = -1;
	/* SIGIO is collected with sigtimedwait(), never delivered. */
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, rt_open(&c->rt));
	c->rt_opened = true;
	c->local = aligned_alloc(4096, CHUNK);
	ASSERT_NE(NULL, c->local);
	c->lmr = ibv_reg_mr(c->rt.pd, c->local, CHUNK, ACCESS);
	ASSERT_NE(NULL, c->lmr);
	c->pin0 = rt_vm_pin_kb();
	ASSERT_LE(0, c->pin0);
	ASSERT_EQ(0, pmem2_ns(c->ns, sizeof(c->ns)))
		TH_LOG("no /sys/block/pmem2: safety.c's unbind test ran?");
	ASSERT_EQ(0, rt_read_int(BREAK_TIME_SYSCTL, &c->saved_break_time));
	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, BREAK_S));
}

/* Deregister, unmap and close what the test left; unlink its file. */
static void ctx_release(struct __test_metadata *_metadata, struct ctx *c)
{
	struct ibv_async_event ev;
	int i;

	for (i = 0; i < 2; i++) {
		if (c->mr[i])
			EXPECT_EQ(0, ibv_dereg_mr(c->mr[i]));
		c->mr[i] = NULL;
	}
	if (c->rt_opened)
		while (rt_get_event(c->rt.ctx, &ev, 0))
			ibv_ack_async_event(&ev);
	if (c->map)
		munmap(c->map, FILE_LEN);
	c->map = NULL;
	if (c->fd2 >= 0) {
		fcntl(c->fd2, F_SETLEASE, F_UNLCK);
		close(c->fd2);
	}
	if (c->fd >= 0) {
		EXPECT_EQ(0, rt_longterm_leases(c->fd));
		close(c->fd);
	}
	c->fd = c->fd2 = -1;
}

static void ctx_teardown(struct __test_metadata *_metadata, struct ctx *c)
{
	if (c->rt_opened)
		EXPECT_EQ(c->pin0, rt_vm_pin_kb());
	if (c->lmr)
		ibv_dereg_mr(c->lmr);
	free(c->local);
	if (c->rt_opened)
		rt_close(&c->rt);
	if (c->saved_break_time >= 0)
		EXPECT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL,
					  c->saved_break_time));
}

/*
 * hwpoison: one page of a file under two MRs fails. Runs on pmem2, made
 * the file system of the variant for the test.
 */
FIXTURE(hwpoison) { struct ctx c; };
FIXTURE_VARIANT(hwpoison) { const char *mkfs; };
FIXTURE_VARIANT_ADD(hwpoison, ext4) {
	.mkfs = "mkfs.ext4 -q -F -b 4096 " PMEM2,
};
/* rmapbt: xfs's notify_failure finds the owner (without it, ext4's path) */
FIXTURE_VARIANT_ADD(hwpoison, xfs) {
	.mkfs = "mkfs.xfs -q -f -m rmapbt=1,reflink=1 " PMEM2,
};

FIXTURE_SETUP(hwpoison)
{
	char cmd[256];

	ctx_setup(_metadata, &self->c);
	ASSERT_EQ(0, pmem2_take());
	self->c.pmem2_taken = true;
	snprintf(cmd, sizeof(cmd), "%s >/dev/null 2>&1 && mkdir -p " SCRATCH
		 " && mount -o dax " PMEM2 " " SCRATCH, variant->mkfs);
	ASSERT_EQ(0, rt_sh(cmd)) TH_LOG("%s", cmd);
	self->c.scratch = true;
}

FIXTURE_TEARDOWN(hwpoison)
{
	struct ctx *c = &self->c;

	ctx_release(_metadata, c);
	if (c->path[0])
		unlink(c->path);
	if (c->pmem2_taken) {
		/* The poisoned struct page goes with the rebind. */
		if (c->scratch && rt_sh("umount " SCRATCH))
			TH_LOG("umount " SCRATCH " failed: pmem2 left as is");
		else
			EXPECT_EQ(0, pmem2_restore(_metadata, c->ns, true));
	}
	ctx_teardown(_metadata, c);
}

static void on_sigbus(int sig)
{
	_exit(CHILD_SIGBUS);
}

/*
 * In a child, map @path, touch the page at @off and MADV_HWPOISON it. The
 * child maps the page, so memory failure sends it SIGBUS: it exits with
 * CHILD_SIGBUS, 0 if no signal came, or 10 + errno (capped) if madvise()
 * failed.
 */
static pid_t poison_child(const char *path, off_t off)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	volatile char *p;
	pid_t pid;
	int fd;

	pid = fork();
	if (pid)
		return pid;
	alarm(60);
	sigaction(SIGBUS, &sa, NULL);
	fd = open(path, O_RDWR);
	if (fd < 0)
		_exit(9);
	p = mmap(NULL, FILE_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(9);
	(void)p[off];
	if (madvise((void *)(p + off), 4096, MADV_HWPOISON)) {
		fprintf(stderr, "madvise(MADV_HWPOISON): %s\n", strerror(errno));
		_exit(10 + (errno < 100 ? errno : 100));
	}
	_exit(0);
}

TEST_F_TIMEOUT(hwpoison, failed_page_revokes_its_mr, TIMEOUT)
{
	struct ctx *c = &self->c;
	enum ibv_event_type type = 0;
	struct ibv_mr *emr = NULL, *mra, *mrb;
	long t0, ms;
	pid_t pid;
	int st;

	snprintf(c->path, sizeof(c->path), SCRATCH "/hwpoison");
	c->map = rt_map_file(SCRATCH, "hwpoison", FILE_LEN, &c->fd);
	ASSERT_NE(NULL, c->map);
	ASSERT_EQ(1, rt_is_dax(c->path));
	rt_fill(c->map, FILE_LEN, 0xfa11);
	c->mr[0] = mra = ibv_reg_mr(c->rt.pd, (char *)c->map + OFF_A, CHUNK,
				    ACCESS);
	ASSERT_NE(NULL, mra) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	c->mr[1] = mrb = ibv_reg_mr(c->rt.pd, (char *)c->map + OFF_B, CHUNK,
				    ACCESS);
	ASSERT_NE(NULL, mrb) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	EXPECT_EQ(1, rt_longterm_leases(c->fd));
	EXPECT_EQ(c->pin0 + 2 * (long)(CHUNK >> 10), rt_vm_pin_kb());
	/* A user-held long-term lease over the whole file, next to ib_core's */
	c->fd2 = open(c->path, O_RDWR);
	ASSERT_LE(0, c->fd2);
	ASSERT_EQ(0, fcntl(c->fd2, F_SETOWN, getpid()));
	ASSERT_EQ(0, fcntl(c->fd2, F_SETLEASE, F_LONGTERM))
		TH_LOG("F_SETLEASE F_LONGTERM: %s", strerror(errno));
	EXPECT_EQ(2, rt_longterm_leases(c->fd));
	/* Memory failure signals whoever maps the page: not us. */
	munmap(c->map, FILE_LEN);
	c->map = NULL;

	t0 = rt_now_ms();
	pid = poison_child(c->path, OFF_POISON);
	ASSERT_LT(0, pid);
	st = rt_wait_child(pid, 30000);
	ASSERT_TRUE(WIFEXITED(st) && (WEXITSTATUS(st) == 0 ||
				      WEXITSTATUS(st) == CHILD_SIGBUS))
		TH_LOG("the poisoning child: status %#x (exit 10 + errno: madvise failed, CONFIG_MEMORY_FAILURE?)",
		       st);
	TH_LOG("the poisoning child %s", WEXITSTATUS(st) == CHILD_SIGBUS ?
	       "got SIGBUS" : "got no signal");

	/* The MR over the failed page is told at once, not the other. */
	ASSERT_EQ(1, rt_next_event(c->rt.ctx, EVENT_MS, &type, &emr))
		TH_LOG("no event: memory failure did not break the lease");
	EXPECT_EQ(IBV_EVENT_MR_REVOKED, type);
	EXPECT_EQ(mrb, emr) TH_LOG("the event is for %s",
				   emr == mra ? "the other MR" : "no MR of ours");
	EXPECT_EQ(0, rt_next_event(c->rt.ctx, QUIET_MS, &type, &emr))
		TH_LOG("a second event (%d), for %s", type,
		       emr == mra ? "the MR over other pages" : "an MR");
	EXPECT_EQ(SIGIO, rt_wait_sigio(EVENT_MS, NULL))
		TH_LOG("the holder of F_LONGTERM got no SIGIO");
	EXPECT_EQ(0, fcntl(c->fd2, F_SETLEASE, F_UNLCK));

	/* Nobody deregisters: lease-break-time later, MR B is revoked. */
	EXPECT_EQ(0, pin_becomes(c->pin0 + (long)(CHUNK >> 10),
				 BREAK_S * 1000 + MARGIN_MS))
		TH_LOG("VmPin %ld kB, want %ld: MR B not revoked",
		       rt_vm_pin_kb(), c->pin0 + (long)(CHUNK >> 10));
	ms = rt_now_ms() - t0;
	TH_LOG("MR B unpinned %ld ms after the poisoning", ms);
	EXPECT_LE(BREAK_S * 1000 - EARLY_MS, ms)
		TH_LOG("revoked before lease-break-time");
	EXPECT_EQ(IBV_WC_REM_ACCESS_ERR,
		  rt_rdma(&c->rt, 0, IBV_WR_RDMA_WRITE, c->lmr, c->local,
			  4096, (uintptr_t)mrb->addr + (OFF_POISON - OFF_B),
			  mrb->rkey));
	EXPECT_EQ(0, rt_reconnect(&c->rt));
	/* MR A, over pages that did not fail, still works. */
	EXPECT_EQ(IBV_WC_SUCCESS,
		  rt_rdma(&c->rt, 0, IBV_WR_RDMA_WRITE, c->lmr, c->local,
			  CHUNK, (uintptr_t)mra->addr, mra->rkey));

	/* Deregistering both leaves no pin and no lease. */
	c->mr[0] = c->mr[1] = NULL;
	EXPECT_EQ(0, ibv_dereg_mr(mrb));
	EXPECT_EQ(0, ibv_dereg_mr(mra));
	EXPECT_EQ(c->pin0, rt_vm_pin_kb());
	EXPECT_EQ(0, rt_longterm_leases(c->fd));
}

/*
 * dm: ext4 -o dax on dm-linear over pmem2; the pmem namespace is unbound
 * while an MR pins pages of a file.
 */
FIXTURE(dm) {
	struct ctx c;
	char name[32];		/* of the dm device */
	char mnt[64];		/* where its ext4 is mounted */
	char dev[64];		/* /dev/dm-N */
	bool created;		/* the dm device */
	bool mounted;		/* ext4 at DM_MNT */
	bool unbound;		/* unbind tried (if pmem2 went, dm stays) */
};

FIXTURE_SETUP(dm)
{
	char cmd[512], size[32], name[32] = "";
	FILE *f;

	ctx_setup(_metadata, &self->c);
	snprintf(self->name, sizeof(self->name), DM_NAME, getpid());
	snprintf(self->mnt, sizeof(self->mnt), DM_MNT, getpid());
	ASSERT_EQ(0, pmem2_take());
	self->c.pmem2_taken = true;
	ASSERT_EQ(0, rt_read_str("/sys/block/pmem2/size", size, sizeof(size)));
	snprintf(cmd, sizeof(cmd),
		 "DM_DISABLE_UDEV=1 dmsetup create %s --table '0 %s linear "
		 PMEM2 " 0' >/dev/null", self->name, size);
	ASSERT_EQ(0, rt_sh(cmd)) TH_LOG("%s", cmd);
	self->created = true;
	snprintf(cmd, sizeof(cmd),
		 "dmsetup info -c --noheadings -o blkdevname %s", self->name);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	if (!fgets(name, sizeof(name), f))
		name[0] = 0;
	pclose(f);
	name[strcspn(name, "\n ")] = 0;
	ASSERT_NE(0, name[0]);
	snprintf(self->dev, sizeof(self->dev), "/dev/%s", name);
	ASSERT_EQ(0, appears_within(self->dev, 5000));
	snprintf(cmd, sizeof(cmd), "/sys/block/%s/queue/dax", name);
	ASSERT_EQ(0, rt_read_str(cmd, size, sizeof(size)));
	ASSERT_EQ(0, strcmp(size, "1")) TH_LOG("%s is not a DAX device", name);
	snprintf(cmd, sizeof(cmd),
		 "mkfs.ext4 -q -F -b 4096 %s >/dev/null 2>&1 && mkdir -p %s && mount -o dax %s %s",
		 self->dev, self->mnt, self->dev, self->mnt);
	ASSERT_EQ(0, rt_sh(cmd)) TH_LOG("%s", cmd);
	self->mounted = true;
}

FIXTURE_TEARDOWN(dm)
{
	struct ctx *c = &self->c;
	char cmd[128];

	ctx_release(_metadata, c);
	if (self->unbound && access("/sys/block/pmem2", F_OK)) {
		/* The dead ext4 and its dm device stay: see the top. */
		EXPECT_EQ(0, pmem2_restore(_metadata, c->ns, false));
	} else if (c->pmem2_taken) {
		if (c->path[0])
			unlink(c->path);
		snprintf(cmd, sizeof(cmd), "umount %s", self->mnt);
		if (self->mounted && rt_sh(cmd)) {
			TH_LOG("%s failed", cmd);
			goto out;
		}
		snprintf(cmd, sizeof(cmd),
			 "DM_DISABLE_UDEV=1 dmsetup remove %s", self->name);
		if (self->created && rt_sh(cmd))
			TH_LOG("%s failed", cmd);
		else
			EXPECT_EQ(0, pmem2_restore(_metadata, c->ns, false));
	}
out:
	ctx_teardown(_metadata, c);
}

struct unbinder {
	const char *ns;
	int ret, err;
	long done_ms;
	pthread_t thread;
};

static void *unbind_thread(void *arg)
{
	struct unbinder *u = arg;

	u->ret = rt_write_str(ND_PMEM "unbind", u->ns);
	u->err = errno;
	__atomic_store_n(&u->done_ms, rt_now_ms(), __ATOMIC_SEQ_CST);
	return NULL;
}

/* The removal's end time within @ms, or 0 if it is still running. */
static long unbind_done(struct unbinder *u, int ms)
{
	long deadline = rt_now_ms() + ms, done;

	while (!(done = __atomic_load_n(&u->done_ms, __ATOMIC_SEQ_CST)) &&
	       rt_now_ms() < deadline)
		usleep(10000);
	return done;
}

TEST_F_TIMEOUT(dm, unbind_under_dm_revokes, TIMEOUT)
{
	struct ctx *c = &self->c;
	struct unbinder u = { .ns = c->ns };
	enum ibv_event_type type = 0;
	struct ibv_mr *emr = NULL, *mr;
	bool event;
	struct timespec ts;
	long t0, done;

	snprintf(c->path, sizeof(c->path), "%s/mr", self->mnt);
	c->map = rt_map_file(self->mnt, "mr", FILE_LEN, &c->fd);
	ASSERT_NE(NULL, c->map);
	ASSERT_EQ(1, rt_is_dax(c->path));
	rt_fill(c->map, FILE_LEN, 0xd1e);
	c->mr[0] = mr = ibv_reg_mr(c->rt.pd, c->map, FILE_LEN, ACCESS);
	ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	EXPECT_EQ(1, rt_longterm_leases(c->fd));
	EXPECT_EQ(IBV_WC_SUCCESS,
		  rt_rdma(&c->rt, 0, IBV_WR_RDMA_WRITE, c->lmr, c->local,
			  CHUNK, (uintptr_t)mr->addr, mr->rkey));
	/*
	 * Only the MR holds the file from here on, so that the removal can
	 * evict its inode (and DAX entries) once the MR has let go.
	 */
	munmap(c->map, FILE_LEN);
	c->map = NULL;
	close(c->fd);
	c->fd = -1;

	t0 = rt_now_ms();
	ASSERT_EQ(0, pthread_create(&u.thread, NULL, unbind_thread, &u));
	self->unbound = true;
	event = rt_next_event(c->rt.ctx, EVENT_MS, &type, &emr);
	EXPECT_TRUE(event)
		TH_LOG("no event: the removal did not reach the file system");
	EXPECT_EQ(IBV_EVENT_MR_REVOKED, type);
	EXPECT_EQ(mr, emr);

	/* Nobody deregisters: the kernel revokes, then the device goes. */
	done = unbind_done(&u, UNBIND_MS);
	if (!done) {
		TH_LOG("the removal is not done after %d s: deregistering",
		       UNBIND_MS / 1000);
		c->mr[0] = NULL;
		EXPECT_EQ(0, ibv_dereg_mr(mr));
		mr = NULL;
		done = unbind_done(&u, 20000);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20;
	if (pthread_timedjoin_np(u.thread, NULL, &ts)) {
		TH_LOG("the removal never ends");
		ASSERT_TRUE(0);
	}
	ASSERT_NE(0, done);
	EXPECT_EQ(0, u.ret) TH_LOG("unbind %s: %s", c->ns, strerror(u.err));
	TH_LOG("the removal took %ld ms", done - t0);
	/* It waited for the revoke, lease-break-time after the break. */
	EXPECT_LE(BREAK_S * 1000 - EARLY_MS, done - t0)
		TH_LOG("the removal did not wait for the MR");
	EXPECT_GT(BREAK_S * 1000 + MARGIN_MS, done - t0);
	EXPECT_EQ(c->pin0, rt_vm_pin_kb());
	EXPECT_EQ(0, longterm_leases()) TH_LOG("a long-term lease is left");
	EXPECT_NE(0, access("/sys/block/pmem2", F_OK))
		TH_LOG("pmem2 is still there");
	if (!mr)
		return;

	/* The revoked MR's keys fail for the peer, its dereg works. */
	if (event)
		EXPECT_EQ(IBV_WC_REM_ACCESS_ERR,
			  rt_rdma(&c->rt, 0, IBV_WR_RDMA_WRITE, c->lmr,
				  c->local, CHUNK, (uintptr_t)mr->addr,
				  mr->rkey));
	EXPECT_EQ(0, rt_reconnect(&c->rt));
	c->mr[0] = NULL;
	EXPECT_EQ(0, ibv_dereg_mr(mr));
	EXPECT_EQ(c->pin0, rt_vm_pin_kb());
}

TEST_HARNESS_MAIN

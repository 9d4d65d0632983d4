// SPDX-License-Identifier: GPL-2.0
/*
 * The user-space contract of FS-DAX MRs beyond the event, on ext4 and xfs:
 *   - ibv_advise_mr() on a pinned FS-DAX MR succeeds for every prefetch
 *     advice, with and without IBV_ADVISE_MR_FLAG_FLUSH (its pages are
 *     resident); as drivers answer for their MRs, another PD and
 *     PREFETCH_WRITE into a read-only MR get EPERM, a range beyond the MR
 *     or a revoked MR EINVAL, another advice EOPNOTSUPP; other MRs keep
 *     the driver's answer (rxe has none: EOPNOTSUPP);
 *   - ib_core.fsdax_mr=N refuses new FS-DAX registrations with
 *     EOPNOTSUPP and leaves nothing leased or pinned; MRs registered
 *     before keep their lease;
 *   - rdma res names the files of an FS-DAX MR (device:inode as
 *     /proc/locks prints them; the path only for CAP_NET_ADMIN), at most
 *     four of them and their number, and a revoked MR names none;
 *   - durability: on pmem the kernel sees as persistent memory (ACPI
 *     NFIT), an FS-DAX MR can be registered with IBV_ACCESS_FLUSH_PERSISTENT
 *     and IBV_WR_FLUSH (persistent and global) writes the range back
 *     (counted at arch_wb_cache_pmem() with a kprobe); fsync() does not
 *     write back what RDMA wrote (counted at the dax_writeback_one
 *     tracepoint), as Documentation/infiniband/user_verbs.rst says: RDMA
 *     writers make their data durable with IBV_WR_FLUSH.
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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#define LEN		(2UL << 20)
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)
#define BREAK_S		2
#define TIMEOUT		120
#define BREAK_TIME_SYSCTL "/proc/sys/fs/lease-break-time"
#define FSDAX_MR_PARAM	"/sys/module/ib_core/parameters/fsdax_mr"
#define TRACING		"/sys/kernel/tracing/"
#define SEED		0xc0de

FIXTURE(contract) {
	struct rt rt;
	char path[64];
	int fd, saved_break_time;
	void *buf, *local;
	struct ibv_mr *lmr;
	long pin0;
};

FIXTURE_VARIANT(contract) {
	const char *dir;
};

FIXTURE_VARIANT_ADD(contract, ext4) { .dir = RT_EXT4 };
FIXTURE_VARIANT_ADD(contract, xfs) { .dir = RT_XFS };

FIXTURE_SETUP(contract)
{
	self->fd = -1;
	self->saved_break_time = -1;
	ASSERT_EQ(0, rt_read_int(BREAK_TIME_SYSCTL, &self->saved_break_time));
	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, BREAK_S));
	ASSERT_EQ(0, rt_open_flush(&self->rt));
	snprintf(self->path, sizeof(self->path), "%s/contract", variant->dir);
	self->buf = rt_map_file(variant->dir, "contract", LEN, &self->fd);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(1, rt_is_dax(self->path));
	self->local = aligned_alloc(4096, LEN);
	ASSERT_NE(NULL, self->local);
	self->lmr = ibv_reg_mr(self->rt.pd, self->local, LEN, ACCESS);
	ASSERT_NE(NULL, self->lmr);
	self->pin0 = rt_vm_pin_kb();
}

FIXTURE_TEARDOWN(contract)
{
	rt_write_str(FSDAX_MR_PARAM, "Y");
	rt_write_str(TRACING "events/fs_dax/dax_writeback_one/enable", "0");
	if (!access(TRACING "events/kprobes/fsdax_wb/enable", F_OK)) {
		rt_write_str(TRACING "events/kprobes/fsdax_wb/enable", "0");
		rt_write_str(TRACING "kprobe_events", "-:fsdax_wb");
	}
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

static int advise(struct ibv_pd *pd, int advice, int flags, void *addr,
		  size_t len, uint32_t lkey)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)addr, .length = len, .lkey = lkey,
	};

	return ibv_advise_mr(pd, advice, flags, &sge, 1);
}

/* "file" as /proc/locks and rdma res print it: MAJ:MIN:INODE, hex:hex:dec. */
static void file_id(int fd, char *id, size_t len)
{
	struct stat st;

	if (fstat(fd, &st))
		st = (struct stat){ 0 };
	snprintf(id, len, "%02x:%02x:%lu", major(st.st_dev), minor(st.st_dev),
		 (unsigned long)st.st_ino);
}

TEST_F_TIMEOUT(contract, advise_mr, TIMEOUT)
{
	static const int advices[] = {
		IBV_ADVISE_MR_ADVICE_PREFETCH,
		IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
		IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
	};
	struct ibv_sge two[2];
	struct ibv_mr *mr, *ro;
	struct ibv_pd *pd2;
	int a, f;

	mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr: %s", strerror(errno));

	for (a = 0; a < 3; a++)
		for (f = 0; f < 2; f++) {
			EXPECT_EQ(0, advise(self->rt.pd, advices[a],
					    f ? IBV_ADVISE_MR_FLAG_FLUSH : 0,
					    self->buf, LEN, mr->lkey))
				TH_LOG("advice %d flags %d", advices[a], f);
			EXPECT_EQ(0, advise(self->rt.pd, advices[a],
					    f ? IBV_ADVISE_MR_FLAG_FLUSH : 0,
					    (char *)self->buf + 4096, 4096,
					    mr->lkey));
		}
	/* The driver's answer for other MRs: rxe has no advise_mr. */
	EXPECT_EQ(EOPNOTSUPP, advise(self->rt.pd,
				     IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
				     IBV_ADVISE_MR_FLAG_FLUSH, self->local,
				     LEN, self->lmr->lkey));
	two[0] = (struct ibv_sge){ (uintptr_t)self->buf, LEN, mr->lkey };
	two[1] = (struct ibv_sge){ (uintptr_t)self->local, LEN,
				   self->lmr->lkey };
	EXPECT_EQ(EOPNOTSUPP, ibv_advise_mr(self->rt.pd,
					    IBV_ADVISE_MR_ADVICE_PREFETCH, 0,
					    two, 2));
	/* Bad input on an FS-DAX MR: a clear errno. */
	EXPECT_EQ(EOPNOTSUPP, advise(self->rt.pd, 7, 0, self->buf, LEN,
				     mr->lkey));
	EXPECT_EQ(EINVAL, advise(self->rt.pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
				 0, (char *)self->buf + LEN - 4096, 8192,
				 mr->lkey));
	EXPECT_EQ(EINVAL, advise(self->rt.pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
				 0, (char *)self->buf - 4096, 4096, mr->lkey));
	pd2 = ibv_alloc_pd(self->rt.ctx);
	ASSERT_NE(NULL, pd2);
	EXPECT_EQ(EPERM, advise(pd2, IBV_ADVISE_MR_ADVICE_PREFETCH, 0,
				self->buf, LEN, mr->lkey));
	EXPECT_EQ(0, ibv_dealloc_pd(pd2));
	ro = ibv_reg_mr(self->rt.pd, self->buf, LEN, IBV_ACCESS_REMOTE_READ);
	ASSERT_NE(NULL, ro) TH_LOG("read-only ibv_reg_mr: %s", strerror(errno));
	EXPECT_EQ(EPERM, advise(self->rt.pd,
				IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 0,
				self->buf, LEN, ro->lkey));
	EXPECT_EQ(0, advise(self->rt.pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0,
			    self->buf, LEN, ro->lkey));
	EXPECT_EQ(0, ibv_dereg_mr(ro));
	/* Advice pins nothing more, leases nothing more. */
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	EXPECT_EQ(0, ibv_dereg_mr(mr));
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

/*
 * A revoked MR: its pages are gone, advice fails, and rdma res names no
 * file any more (it names the file while the lease stands).
 */
TEST_F_TIMEOUT(contract, revoked_mr_advise_and_res, TIMEOUT)
{
	struct rt_change c = { .fd = self->fd, .op = RT_TRUNC_DOWN, .size = LEN };
	struct ibv_async_event ev;
	char line[1024], id[32];
	struct ibv_mr *mr;
	int i;

	mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	file_id(self->fd, id, sizeof(id));
	ASSERT_EQ(1, rt_res_mr(mr->lkey, line, sizeof(line)));
	EXPECT_TRUE(rt_res_has(line, "drv_file", id)) TH_LOG("%s", line);

	ASSERT_EQ(0, rt_change_start(&c));
	ASSERT_EQ(1, rt_get_event(self->rt.ctx, &ev, 10000));
	EXPECT_EQ(IBV_EVENT_MR_REVOKED, ev.event_type);
	EXPECT_EQ(mr, ev.element.mr);
	ibv_ack_async_event(&ev);
	/* Nobody deregisters: the kernel revokes after BREAK_S. */
	for (i = 0; i < 1000 && !rt_change_done(&c); i++)
		usleep(10000);
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	ASSERT_NE(0, c.done_ms);
	EXPECT_EQ(EINVAL, advise(self->rt.pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
				 IBV_ADVISE_MR_FLAG_FLUSH, self->buf, LEN,
				 mr->lkey));
	ASSERT_EQ(1, rt_res_mr(mr->lkey, line, sizeof(line)));
	EXPECT_EQ(NULL, strstr(line, "drv_file")) TH_LOG("%s", line);
	EXPECT_EQ(0, ibv_dereg_mr(mr));
}

TEST_F_TIMEOUT(contract, fsdax_mr_param, TIMEOUT)
{
	struct ibv_mr *old, *mr;
	char val[8] = "";
	FILE *f;

	old = ibv_reg_mr(self->rt.pd, self->buf, LEN / 2, ACCESS);
	ASSERT_NE(NULL, old) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	ASSERT_EQ(0, rt_write_str(FSDAX_MR_PARAM, "N"));
	f = fopen(FSDAX_MR_PARAM, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(val, sizeof(val), f));
	fclose(f);
	EXPECT_EQ(0, strcmp(val, "N\n"));

	errno = 0;
	mr = ibv_reg_mr(self->rt.pd, (char *)self->buf + LEN / 2, LEN / 2,
			ACCESS);
	EXPECT_EQ(NULL, mr);
	EXPECT_EQ(EOPNOTSUPP, errno);
	if (mr)
		ibv_dereg_mr(mr);
	/* Nothing new leased or pinned; the old MR keeps its lease. */
	EXPECT_EQ(1, rt_longterm_leases(self->fd));
	EXPECT_EQ(self->pin0 + (long)(LEN / 2 / 1024), rt_vm_pin_kb());
	/* Other memory registers as ever. */
	mr = ibv_reg_mr(self->rt.pd, self->local, LEN, ACCESS);
	EXPECT_NE(NULL, mr);
	if (mr)
		EXPECT_EQ(0, ibv_dereg_mr(mr));

	ASSERT_EQ(0, rt_write_str(FSDAX_MR_PARAM, "Y"));
	mr = ibv_reg_mr(self->rt.pd, (char *)self->buf + LEN / 2, LEN / 2,
			ACCESS);
	EXPECT_NE(NULL, mr) TH_LOG("ibv_reg_mr after Y: %s", strerror(errno));
	if (mr)
		EXPECT_EQ(0, ibv_dereg_mr(mr));
	EXPECT_EQ(0, ibv_dereg_mr(old));
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
}

/* What `rdma -dd res show mr` prints, all of it, run as @uid. */
static int res_all(uid_t uid, char *out, size_t len)
{
	int p[2], st;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(p[1], 1);
		close(p[0]);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(2);
		execlp("rdma", "rdma", "-dd", "res", "show", "mr", NULL);
		_exit(3);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, len - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	close(p[0]);
	st = rt_wait_child(pid, 10000);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_F_TIMEOUT(contract, res_names_files, TIMEOUT)
{
	char line[1024], ida[32], idb[32], pathb[64], all[8192];
	struct ibv_mr *mr, *two;
	int fdb = -1;
	char *base;

	mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	file_id(self->fd, ida, sizeof(ida));
	ASSERT_EQ(1, rt_res_mr(mr->lkey, line, sizeof(line)));
	EXPECT_TRUE(rt_res_has(line, "drv_file", ida)) TH_LOG("%s", line);
	EXPECT_TRUE(rt_res_has(line, "drv_path", self->path)) TH_LOG("%s", line);
	EXPECT_TRUE(rt_res_has(line, "drv_files", "1")) TH_LOG("%s", line);
	/* An anonymous MR names no file. */
	ASSERT_EQ(1, rt_res_mr(self->lmr->lkey, line, sizeof(line)));
	EXPECT_EQ(NULL, strstr(line, "drv_file")) TH_LOG("%s", line);

	/* An MR over two files names both. */
	snprintf(pathb, sizeof(pathb), "%s/contract-b", variant->dir);
	base = mmap(NULL, 2 * LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, base);
	fdb = open(pathb, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fdb);
	ASSERT_EQ(0, fallocate(fdb, 0, 0, LEN));
	ASSERT_NE(MAP_FAILED, mmap(base, LEN, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_FIXED, self->fd, 0));
	ASSERT_NE(MAP_FAILED, mmap(base + LEN, LEN, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_FIXED, fdb, 0));
	two = ibv_reg_mr(self->rt.pd, base, 2 * LEN, ACCESS);
	ASSERT_NE(NULL, two) TH_LOG("ibv_reg_mr over two files: %s",
				    strerror(errno));
	file_id(fdb, idb, sizeof(idb));
	ASSERT_EQ(1, rt_res_mr(two->lkey, line, sizeof(line)));
	EXPECT_TRUE(rt_res_has(line, "drv_file", ida)) TH_LOG("%s", line);
	EXPECT_TRUE(rt_res_has(line, "drv_file", idb)) TH_LOG("%s", line);
	EXPECT_TRUE(rt_res_has(line, "drv_path", pathb)) TH_LOG("%s", line);
	EXPECT_TRUE(rt_res_has(line, "drv_files", "2")) TH_LOG("%s", line);

	/* Without CAP_NET_ADMIN: the file, not its path. */
	ASSERT_EQ(0, res_all(65534, all, sizeof(all)));
	EXPECT_NE(NULL, strstr(all, ida)) TH_LOG("%s", all);
	EXPECT_EQ(NULL, strstr(all, "drv_path")) TH_LOG("%s", all);
	ASSERT_EQ(0, res_all(0, all, sizeof(all)));
	EXPECT_NE(NULL, strstr(all, "drv_path")) TH_LOG("%s", all);

	EXPECT_EQ(0, ibv_dereg_mr(two));
	EXPECT_EQ(0, ibv_dereg_mr(mr));
	munmap(base, 2 * LEN);
	close(fdb);
	unlink(pathb);
}

static int count(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

/*
 * An MR over six files: four are named, all six counted, so that an rdma
 * res entry stays small; a path longer than 255 bytes is left out.
 */
TEST_F_TIMEOUT(contract, res_entry_bounded, TIMEOUT)
{
	const size_t piece = 64 << 10;
	char line[2048], dir[200], path[512];
	int fds[6], i;
	struct ibv_mr *mr;
	char *base;

	/* A directory whose files have paths of more than 255 bytes. */
	snprintf(dir, sizeof(dir), "%s/%0150d", variant->dir, 0);
	ASSERT_EQ(0, mkdir(dir, 0755));
	base = mmap(NULL, 6 * piece, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, base);
	for (i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "%s/%0120d", dir, i);
		fds[i] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, fallocate(fds[i], 0, 0, piece));
		ASSERT_NE(MAP_FAILED, mmap(base + i * piece, piece,
					   PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_FIXED, fds[i], 0));
	}
	mr = ibv_reg_mr(self->rt.pd, base, 6 * piece, ACCESS);
	ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr over six files: %s",
				   strerror(errno));
	ASSERT_EQ(1, rt_res_mr(mr->lkey, line, sizeof(line)));
	EXPECT_TRUE(rt_res_has(line, "drv_files", "6")) TH_LOG("%s", line);
	EXPECT_EQ(4, count(line, "drv_file ")) TH_LOG("%s", line);
	EXPECT_EQ(0, count(line, "drv_path ")) TH_LOG("%s", line);
	EXPECT_EQ(0, ibv_dereg_mr(mr));
	munmap(base, 6 * piece);
	for (i = 0; i < 6; i++) {
		close(fds[i]);
		snprintf(path, sizeof(path), "%s/%0120d", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

/*
 * The sum of the numbers after @field in the trace's @event lines that
 * also contain @must (NULL: all of them), or -1.
 */
static long long trace_sum(const char *event, const char *must,
			   const char *field)
{
	char line[512], *p;
	long long sum = 0;
	FILE *f;

	f = fopen(TRACING "trace", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, event);
		if (p && (!must || strstr(p, must)) && (p = strstr(p, field)))
			sum += strtoll(p + strlen(field), NULL, 0);
	}
	fclose(f);
	return sum;
}

/* Bytes the fsdax_wb kprobe (arch_wb_cache_pmem()) saw written back. */
static long long wb_bytes(void)
{
	return trace_sum("fsdax_wb:", NULL, "size=");
}

static int trace_clear(void)
{
	return rt_write_str(TRACING "trace", "");
}

TEST_F_TIMEOUT(contract, flush_persistent, TIMEOUT)
{
	const int fl = IBV_ACCESS_FLUSH_PERSISTENT | IBV_ACCESS_FLUSH_GLOBAL;
	struct ibv_mr *mr, *plain;

	/* Only pmem the kernel knows as persistent memory takes this. */
	mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS | fl);
	ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr FLUSH_PERSISTENT: %s (is the pmem NFIT pmem?)",
				   strerror(errno));
	ASSERT_EQ(0, rt_write_str(TRACING "kprobe_events",
				  "p:fsdax_wb arch_wb_cache_pmem size=%si:u64"));
	ASSERT_EQ(0, rt_write_str(TRACING "events/kprobes/fsdax_wb/enable", "1"));
	ASSERT_EQ(0, trace_clear());

	rt_fill(self->local, LEN, SEED);
	ASSERT_EQ(IBV_WC_SUCCESS,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			  self->local, LEN, (uintptr_t)self->buf, mr->rkey));
	/* The write alone writes nothing back. */
	EXPECT_EQ(0, wb_bytes());
	ASSERT_EQ(IBV_WC_SUCCESS,
		  rt_flush(&self->rt, 0, (uintptr_t)self->buf, mr->rkey, LEN,
			   IBV_FLUSH_PERSISTENT, IBV_FLUSH_RANGE));
	EXPECT_LE((long long)LEN, wb_bytes()) TH_LOG("written back: %lld", wb_bytes());
	EXPECT_EQ(-1, rt_check(self->buf, LEN, SEED));
	ASSERT_EQ(0, trace_clear());
	ASSERT_EQ(IBV_WC_SUCCESS,
		  rt_flush(&self->rt, 0, (uintptr_t)self->buf, mr->rkey, LEN,
			   IBV_FLUSH_PERSISTENT, IBV_FLUSH_MR));
	EXPECT_LE((long long)LEN, wb_bytes());
	ASSERT_EQ(IBV_WC_SUCCESS,
		  rt_flush(&self->rt, 0, (uintptr_t)self->buf, mr->rkey, LEN,
			   IBV_FLUSH_GLOBAL, IBV_FLUSH_RANGE));

	/* An MR registered without the flush access refuses the flush. */
	plain = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, plain);
	EXPECT_NE(IBV_WC_SUCCESS,
		  rt_flush(&self->rt, 0, (uintptr_t)self->buf, plain->rkey,
			   LEN, IBV_FLUSH_PERSISTENT, IBV_FLUSH_RANGE));
	EXPECT_EQ(0, rt_reconnect(&self->rt));
	EXPECT_EQ(0, ibv_dereg_mr(plain));
	EXPECT_EQ(0, ibv_dereg_mr(mr));
}

/* Pages of @fd's inode that dax_writeback_one wrote back, or -1. */
static long writeback_pages(int fd)
{
	char ino[32];
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	snprintf(ino, sizeof(ino), "ino %#lx ", (unsigned long)st.st_ino);
	return trace_sum("dax_writeback_one:", ino, "pglen ");
}

TEST_F_TIMEOUT(contract, fsync_does_not_cover_rdma_writes, TIMEOUT)
{
	struct ibv_mr *mr;

	mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	ASSERT_EQ(0, rt_write_str(TRACING "events/fs_dax/dax_writeback_one/enable", "1"));
	/* The registration faulted every page in for write: clean them. */
	ASSERT_EQ(0, trace_clear());
	ASSERT_EQ(0, fsync(self->fd));
	EXPECT_LT(0, writeback_pages(self->fd));

	ASSERT_EQ(0, trace_clear());
	rt_fill(self->local, LEN, SEED);
	ASSERT_EQ(IBV_WC_SUCCESS,
		  rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE, self->lmr,
			  self->local, LEN, (uintptr_t)self->buf, mr->rkey));
	ASSERT_EQ(0, fsync(self->fd));
	ASSERT_EQ(0, msync(self->buf, LEN, MS_SYNC));
	/* The contract: fsync and msync do not write back RDMA writes. */
	EXPECT_EQ(0, writeback_pages(self->fd));
	EXPECT_EQ(-1, rt_check(self->buf, LEN, SEED));

	/* The control: a CPU store through the mapping is written back. */
	ASSERT_EQ(0, trace_clear());
	memset(self->buf, 0x5a, 4096);
	ASSERT_EQ(0, fsync(self->fd));
	EXPECT_LT(0, writeback_pages(self->fd));
	EXPECT_EQ(0, ibv_dereg_mr(mr));
}

TEST_HARNESS_MAIN

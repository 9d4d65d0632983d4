// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: the guest side of the benchmarks. One binary, one mode per
 * run, each printing its raw samples as one JSON object on stdout (times
 * in microseconds, bandwidths in MiB/s); tests/bench/run-bench.sh collects
 * them and scripts/bench-report.py turns them into medians and ratios.
 *
 *   bench info              device limits, RLIMIT_MEMLOCK, free space
 *   bench reg [SCALE]       ibv_reg_mr + ibv_dereg_mr, 4 KiB .. 1 GiB,
 *                           FS-DAX (ext4, xfs; PMD and 4 KiB entries) vs
 *                           device-DAX vs anonymous (THP, 4 KiB) vs page
 *                           cache
 *   bench bw [SCALE]        RDMA WRITE/READ into/out of a DAX MR, an
 *                           anonymous MR, and an anonymous MR + memcpy
 *                           to/from the DAX mapping (what stock Linux
 *                           allows)
 *   bench revoke [SCALE]    truncate -> IBV_EVENT_MR_REVOKED -> dereg ->
 *                           truncate done
 *   bench scale [SCALE]     N MRs on one file: per-MR registration time,
 *                           truncate time with N MRs registered, punch
 *                           time under one of the N MRs and under none
 *   bench reg-stockset      reg with only the kinds stock registers (I7)
 *   bench open [SCALE]      open+close, pwrite and same-size ftruncate of
 *                           a DAX file with N MRs against one without
 *   bench loop KIND MIB N   N registrations of MIB MiB of KIND, for a
 *                           profiler (tests/bench/profile.sh); prints the
 *                           median reg and dereg times
 *
 * SCALE (default 1) multiplies the repetition counts and time budgets, so
 * that a quick trial run can use 0.1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>

#include "rdmatest.h"

#define KIB		1024UL
#define MIB		(1024UL * KIB)
#define GIB		(1024UL * MIB)
#define PMD		(2 * MIB)
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)

static double scale = 1.0;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(err));
	exit(1);
}

static int reps(int n)
{
	int r = n * scale;

	return r < 1 ? 1 : r;
}

static double us_since(long long t0)
{
	return (rt_now_ns() - t0) / 1000.0;
}

/* A growing array of samples, printed as a JSON array. */
struct samples {
	double *v;
	int n, cap;
};

static void add(struct samples *s, double x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("realloc", ENOMEM);
	}
	s->v[s->n++] = x;
}

static void print_samples(const char *name, struct samples *s)
{
	int i;

	printf("\"%s\": [", name);
	for (i = 0; i < s->n; i++)
		printf("%s%.2f", i ? ", " : "", s->v[i]);
	printf("]");
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/*
 * Kinds of memory under an MR, each registered with the same access flags
 * as the kind it is compared with:
 *   anon, anon-4k         anonymous memory with THPs (the guest's default,
 *                         always) and without (MADV_NOHUGEPAGE)
 *   devdax                /dev/dax3.0, a devdax namespace with 2 MiB
 *                         alignment: what pmem users register today, on a
 *                         stock kernel too (PMD entries by construction)
 *   dax-ext4, dax-xfs     a file on the FS-DAX file system, mapped at a
 *                         2 MiB aligned address: PMD entries where its
 *                         blocks are 2 MiB aligned on the media (make bench
 *                         makes the file systems with a 2 MiB stripe unit;
 *                         the fraction mapped by PMD faults is measured)
 *   dax-*-4k              the same file mapped 4 KiB off a 2 MiB boundary:
 *                         4 KiB entries only
 *   tmpfs                 shmem page cache, writable
 *   pagecache-ext4,       ext4 page cache on the ramdisk, and the anonymous
 *   anon-4k-ro            memory it is compared with, both READ-ONLY:
 *                         6.12 refuses a writable long-term pin of it
 *                         (EFAULT, writable_file_mapping_allowed())
 */
#define ACCESS_RO	IBV_ACCESS_REMOTE_READ
#define DEVDAX		"/dev/dax3.0"

enum mem {
	M_ANON, M_ANON_4K, M_DEVDAX, M_DAX_EXT4, M_DAX_XFS, M_DAX_EXT4_4K,
	M_DAX_XFS_4K, M_TMPFS, M_PAGECACHE, M_ANON_4K_RO,
	NMEM
};

static const char *const mem_name[NMEM] = {
	"anon", "anon-4k", "devdax", "dax-ext4", "dax-xfs", "dax-ext4-4k",
	"dax-xfs-4k", "tmpfs", "pagecache-ext4", "anon-4k-ro",
};

static const char *const mem_dir[NMEM] = {
	NULL, NULL, NULL, RT_EXT4, RT_XFS, RT_EXT4, RT_XFS, RT_TMPFS, RT_NODAX,
	NULL,
};

/* The kind whose file a 4 KiB DAX kind maps again, or -1. */
static int mem_base(enum mem m)
{
	return m == M_DAX_EXT4_4K ? M_DAX_EXT4 :
	       m == M_DAX_XFS_4K ? M_DAX_XFS : -1;
}

static bool mem_is_fsdax(enum mem m)
{
	return m >= M_DAX_EXT4 && m <= M_DAX_XFS_4K;
}

static bool mem_4k(enum mem m)
{
	return m == M_ANON_4K || m == M_ANON_4K_RO || m == M_DAX_EXT4_4K ||
	       m == M_DAX_XFS_4K;
}

static int mem_access(enum mem m)
{
	return m == M_PAGECACHE || m == M_ANON_4K_RO ? ACCESS_RO : ACCESS;
}

struct region {
	enum mem mem;
	size_t size;
	char *p;
	int fd;
	bool own_file;		/* created it: unlink it at the end */
	double pmd;		/* fraction mapped by DAX PMD faults */
	char path[64];
};

/* Write every page so that registration does not measure page faults. */
static void touch(char *p, size_t size)
{
	size_t i;

	for (i = 0; i < size; i += 4096)
		p[i] = 1;
}

/* Free bytes of the file system at @dir. */
static size_t fs_free(const char *dir)
{
	struct statvfs s;

	if (statvfs(dir, &s))
		return 0;
	return (size_t)s.f_bavail * s.f_frsize;
}

#define TRACE	"/sys/kernel/tracing/"

static int write_str(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_TRUNC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, v, strlen(v)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Touch @r and count the DAX PMD faults that mapped a PMD (VM_FAULT_NOPAGE
 * in the dax_pmd_fault_done tracepoint): the fraction of @r they map, or
 * -1 if tracing is not there.
 */
static double touch_count_pmd(struct region *r)
{
	char line[512];
	long nopage = 0;
	FILE *f;

	if (write_str(TRACE "trace", "") ||
	    write_str(TRACE "events/fs_dax/dax_pmd_fault_done/enable", "1")) {
		touch(r->p, r->size);
		return -1;
	}
	touch(r->p, r->size);
	write_str(TRACE "events/fs_dax/dax_pmd_fault_done/enable", "0");
	f = fopen(TRACE "trace", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "dax_pmd_fault_done") &&
		    strstr(line, "NOPAGE"))
			nopage++;
	fclose(f);
	return (double)nopage * PMD / r->size;
}

/*
 * Map @size bytes of @mem at a 2 MiB-aligned address (so that anonymous
 * memory gets THPs and DAX files PMD mappings when their blocks allow;
 * 4 KiB off that for the dax-*-4k kinds), allocated and written once.
 * @base: the region whose file a dax-*-4k kind maps again. 0 or -errno.
 */
static int region_map_base(struct region *r, enum mem mem, size_t size,
			   const char *name, const struct region *base)
{
	size_t span = size + 2 * PMD;
	char *area, *p;
	int flags = MAP_SHARED | MAP_FIXED, err;

	memset(r, 0, sizeof(*r));
	r->mem = mem;
	r->size = size;
	r->fd = -1;
	r->pmd = -1;
	area = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -errno;
	p = (char *)(((uintptr_t)area + PMD - 1) & ~(PMD - 1));
	if (mem_base(mem) >= 0) {
		p += 4096;
		r->fd = base ? dup(base->fd) : -1;
		if (r->fd < 0)
			goto err;
	} else if (mem == M_DEVDAX) {
		r->fd = open(DEVDAX, O_RDWR);
		if (r->fd < 0)
			goto err;
	} else if (!mem_dir[mem]) {
		flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
	} else {
		snprintf(r->path, sizeof(r->path), "%s/%s", mem_dir[mem], name);
		r->fd = open(r->path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (r->fd < 0)
			goto err;
		r->own_file = true;
		if (fallocate(r->fd, 0, 0, size))
			goto err;
	}
	if (mmap(p, size, PROT_READ | PROT_WRITE, flags, r->fd, 0) != p)
		goto err;
	if (mem_4k(mem) && !mem_is_fsdax(mem) &&
	    madvise(p, size, MADV_NOHUGEPAGE))
		goto err;
	munmap(area, p - area);
	munmap(p + size, area + span - (p + size));
	r->p = p;
	if (mem_is_fsdax(mem))
		r->pmd = touch_count_pmd(r);
	else
		touch(p, size);
	return 0;
err:
	err = errno;
	munmap(area, span);
	if (r->fd >= 0)
		close(r->fd);
	if (r->own_file)
		unlink(r->path);
	return -err;
}

static int region_map(struct region *r, enum mem mem, size_t size,
		      const char *name)
{
	return region_map_base(r, mem, size, name, NULL);
}

static void region_unmap(struct region *r)
{
	if (r->p)
		munmap(r->p, r->size);
	if (r->fd >= 0)
		close(r->fd);
	if (r->own_file)
		unlink(r->path);
	r->p = NULL;
	r->fd = -1;
	r->own_file = false;
}

/* Give a truncated file its size and blocks back and map them again. */
static int region_restore(struct region *r)
{
	if (ftruncate(r->fd, r->size) || fallocate(r->fd, 0, 0, r->size))
		return -errno;
	touch(r->p, r->size);
	return 0;
}

static struct rt rt;

static void open_rt(int depth, int rd_atomic)
{
	int ret = rt_open_opts(&rt, depth, rd_atomic);

	if (ret)
		die("opening rxe0", -ret);
}

/* The size of /dev/dax3.0, 0 if there is none. */
static size_t devdax_size(void)
{
	char buf[64] = "";
	FILE *f = fopen("/sys/bus/dax/devices/dax3.0/size", "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strtoull(buf, NULL, 0);
}

/* --- info -------------------------------------------------------------- */

static int mode_info(void)
{
	struct ibv_device_attr a;
	struct utsname u;
	struct rlimit rl;
	const char *sep = "";
	int i;

	open_rt(0, 0);
	if (ibv_query_device(rt.ctx, &a))
		die("ibv_query_device", errno);
	getrlimit(RLIMIT_MEMLOCK, &rl);
	uname(&u);
	printf("{\"kernel\": \"%s\", \"series\": %s, \"cpus\": %ld, ",
	       u.release, rt_kernel_has_series() ? "true" : "false",
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("\"max_mr\": %d, \"max_mr_size\": %llu, \"max_qp_rd_atom\": %d, ",
	       a.max_mr, (unsigned long long)a.max_mr_size, a.max_qp_rd_atom);
	printf("\"memlock_cur\": %lld, \"memlock_max\": %lld, \"euid\": %d, ",
	       rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur,
	       rl.rlim_max == RLIM_INFINITY ? -1LL : (long long)rl.rlim_max,
	       (int)geteuid());
	printf("\"free_bytes\": {");
	for (i = 0; i < NMEM; i++)
		if (mem_dir[i] && mem_base(i) < 0)
			printf("%s\"%s\": %zu", sep, mem_name[i],
			       fs_free(mem_dir[i])), sep = ", ";
	printf("}, \"devdax_size\": %zu}\n", devdax_size());
	rt_close(&rt);
	return 0;
}

/* --- reg --------------------------------------------------------------- */

/*
 * Registration and deregistration of one region of each kind, in turns,
 * so that a slow phase of the (shared, emulated) host hits all kinds alike.
 */
struct reg_size {
	size_t size;
	int min, max;		/* repetitions */
	double budget_s;	/* stop after min once this is spent */
};

/*
 * @stock_set: only the kinds the stock kernel registers, in the same
 * turns as there: the comparison with stock must not depend on what else
 * each round registers.
 */
static int mode_reg(bool stock_set)
{
	struct reg_size sizes[] = {
		{ 4 * KIB,  20, 300, 10 },
		{ 2 * MIB,  10, 60, 40 },
		{ 64 * MIB, 5, 15, 80 },
		{ 1 * GIB,  3, 5, 200 },
	};
	struct samples reg[NMEM] = { 0 }, dereg[NMEM] = { 0 };
	struct region r[NMEM];
	bool have[NMEM];
	int refused[NMEM] = { 0 };
	int i, m, k, first = 1;
	size_t big, dd = devdax_size();

	open_rt(0, 0);
	/*
	 * The largest size: 1 GiB where it fits; the pmem file systems are
	 * 1 GiB devices, so less than that is free on them: the largest
	 * multiple of 64 MiB that fits on both and on the devdax namespace,
	 * the same for every kind.
	 */
	big = 1 * GIB;
	for (m = M_DAX_EXT4; m <= M_DAX_XFS; m++) {
		size_t f = fs_free(mem_dir[m]) & ~(64 * MIB - 1);

		if (f < big)
			big = f;
	}
	if (dd && (dd & ~(64 * MIB - 1)) < big)
		big = dd & ~(64 * MIB - 1);
	sizes[3].size = big;

	printf("{\"unit\": \"us\", \"cells\": [");
	for (i = 0; i < 4; i++) {
		size_t size = sizes[i].size;
		long long t_start = rt_now_ns();
		int nrep = 0;

		for (m = 0; m < NMEM; m++) {
			size_t len = size;
			int ret;

			have[m] = false;
			/* The 256 MiB ramdisk: page cache up to 64 MiB. */
			if (m == M_PAGECACHE &&
			    size + 16 * MIB > fs_free(mem_dir[m]))
				continue;
			if (m == M_DEVDAX && !dd)
				continue;
			if (stock_set && mem_is_fsdax(m))
				continue;
			/* devdax maps whole 2 MiB pages only */
			if (m == M_DEVDAX && len < PMD)
				len = PMD;
			ret = region_map_base(&r[m], m, len, "bench_reg",
					      mem_base(m) >= 0 ?
					      &r[mem_base(m)] : NULL);
			if (ret)
				die(mem_name[m], -ret);
			have[m] = true;
		}
		for (k = 0; k < reps(sizes[i].max); k++) {
			if (k >= reps(sizes[i].min) &&
			    us_since(t_start) > sizes[i].budget_s * scale * 1e6)
				break;
			for (m = 0; m < NMEM; m++) {
				struct ibv_mr *mr;
				long long t0;

				if (!have[m] || refused[m])
					continue;
				t0 = rt_now_ns();
				mr = ibv_reg_mr(rt.pd, r[m].p, size,
						mem_access(m));
				/* the stock kernel: FS-DAX is refused */
				if (!mr && errno == EOPNOTSUPP &&
				    mem_is_fsdax(m) &&
				    !rt_kernel_has_series()) {
					refused[m] = errno;
					continue;
				}
				if (!mr)
					die(mem_name[m], errno);
				add(&reg[m], us_since(t0));
				t0 = rt_now_ns();
				if (ibv_dereg_mr(mr))
					die("ibv_dereg_mr", errno);
				add(&dereg[m], us_since(t0));
			}
			nrep++;
		}
		for (m = NMEM - 1; m >= 0; m--) {
			if (!have[m])
				continue;
			printf("%s\n  {\"mem\": \"%s\", \"size\": %zu, ",
			       first ? "" : ",", mem_name[m], size);
			first = 0;
			printf("\"pmd\": %.3f, \"refused\": %d, ", r[m].pmd,
			       refused[m]);
			print_samples("reg", &reg[m]);
			printf(", ");
			print_samples("dereg", &dereg[m]);
			printf("}");
			/* the 4 KiB kinds first: they map their base's file */
			region_unmap(&r[m]);
		}
		fflush(stdout);
		fprintf(stderr, "reg: %zu bytes, %d rounds, %.1f s\n", size,
			nrep, us_since(t_start) / 1e6);
	}
	printf("\n]}\n");
	rt_close(&rt);
	return 0;
}

/* --- bw ---------------------------------------------------------------- */

/*
 * The peer is qp[0], with its own anonymous buffer (lmr); the memory under
 * test is the remote side of qp[0]'s RDMA WRITEs and READs:
 *   dax     a DAX MR: the data lands in (comes from) the file directly;
 *   anon    an anonymous MR: the upper bound, no file at all;
 *   bounce  what stock Linux allows: the peer writes into an anonymous
 *           staging slot which is then copied into the DAX mapping (READ:
 *           the slot is filled from the DAX mapping before the READ is
 *           posted). Slots are recycled as completions arrive, so the
 *           copies overlap the transfers still in flight.
 * The completion of qp[0]'s work request stands for the notification a
 * real target would get (WRITE with immediate, a SEND): the bounce variant
 * gets that for free here, which only flatters it.
 */
enum bw_var { V_DAX, V_ANON, V_BOUNCE, NVAR };
static const char *const var_name[NVAR] = { "dax", "anon", "bounce" };

#define BW_REGION	(64 * MIB)
#define BW_WINDOW	16		/* WRs in flight, at most */
#define BW_INFLIGHT	(2 * MIB)	/* bytes in flight, or two WRs */
#define BW_BUF		(4 * MIB)	/* local buffer, staging slots */

/*
 * rxe under TCG moves a few MiB/s: a deeper queue does not go faster, it
 * only makes the drain at the end of a trial longer.
 */
static int bw_window(size_t msg)
{
	int w = BW_INFLIGHT / msg;

	return w < 2 ? 2 : w > BW_WINDOW ? BW_WINDOW : w;
}

struct bw {
	struct region dax, anon;
	struct ibv_mr *dax_mr, *anon_mr, *lmr, *smr;
	char *local, *staging;
	size_t slot_off[BW_WINDOW];
};

static void bw_post(struct bw *b, enum bw_var v, enum ibv_wr_opcode op,
		    size_t msg, int slot, long i)
{
	size_t off = (i * msg) % BW_REGION;
	char *laddr = b->local + slot * msg, *raddr;
	uint32_t rkey;
	int ret;

	b->slot_off[slot] = off;
	switch (v) {
	case V_DAX:
		raddr = b->dax.p + off;
		rkey = b->dax_mr->rkey;
		break;
	case V_ANON:
		raddr = b->anon.p + off;
		rkey = b->anon_mr->rkey;
		break;
	default:
		raddr = b->staging + slot * msg;
		rkey = b->smr->rkey;
		if (op == IBV_WR_RDMA_READ)
			memcpy(raddr, b->dax.p + off, msg);
		break;
	}
	ret = rt_post_rdma(&rt, 0, op, b->lmr, laddr, msg, (uintptr_t)raddr,
			   rkey, slot);
	if (ret)
		die("ibv_post_send", -ret);
}

/*
 * Keep bw_window() messages of @msg bytes in flight for @secs seconds, then
 * let the last ones complete; MiB/s over the whole trial.
 */
static double bw_trial(struct bw *b, enum bw_var v, enum ibv_wr_opcode op,
		       size_t msg, double secs)
{
	long long t0 = rt_now_ns(), stop = t0 + secs * 1e9, t_wc = t0;
	long n = LONG_MAX, posted = 0, done = 0;
	struct ibv_wc wc[BW_WINDOW];
	int k, i;

	for (k = 0; k < bw_window(msg); k++)
		bw_post(b, v, op, msg, k, posted++);
	while (done < posted) {
		k = ibv_poll_cq(rt.cq, BW_WINDOW, wc);
		if (k < 0)
			die("ibv_poll_cq", EIO);
		if (k) {
			t_wc = rt_now_ns();
			if (n == LONG_MAX && t_wc > stop)
				n = posted;	/* no more posting */
		} else if (rt_now_ns() - t_wc > 60000000000LL) {
			die("bw: no completion for 60 s", ETIMEDOUT);
		}
		for (i = 0; i < k; i++) {
			int slot = wc[i].wr_id;

			if (wc[i].status != IBV_WC_SUCCESS) {
				fprintf(stderr, "bw: %s\n",
					ibv_wc_status_str(wc[i].status));
				exit(1);
			}
			if (v == V_BOUNCE && op == IBV_WR_RDMA_WRITE)
				memcpy(b->dax.p + b->slot_off[slot],
				       b->staging + slot * msg, msg);
			done++;
			if (posted < n)
				bw_post(b, v, op, msg, slot, posted++);
		}
	}
	return done * msg / (double)MIB / ((t_wc - t0) / 1e9);
}

static int mode_bw(void)
{
	static const size_t msgs[] = { 64 * KIB, 1 * MIB };
	static const enum ibv_wr_opcode ops[] = {
		IBV_WR_RDMA_WRITE, IBV_WR_RDMA_READ,
	};
	struct samples s[2][2][NVAR] = { 0 };
	double secs = scale < 1 ? 0.5 : 1.0;
	int rounds = reps(11), r, o, z, v, k, first = 1;
	long long t_start = rt_now_ns();
	struct bw b;

	open_rt(2 * BW_WINDOW, BW_WINDOW);
	memset(&b, 0, sizeof(b));
	if (region_map(&b.dax, M_DAX_EXT4, BW_REGION, "bench_bw") ||
	    region_map(&b.anon, M_ANON, BW_REGION, NULL))
		die("bw: mapping", ENOMEM);
	if (rt_is_dax(b.dax.path) != 1)
		die("bw: the file is not DAX", EINVAL);
	b.local = aligned_alloc(PMD, BW_BUF);
	b.staging = aligned_alloc(PMD, BW_BUF);
	if (!b.local || !b.staging)
		die("bw: buffers", ENOMEM);
	touch(b.local, BW_BUF);
	touch(b.staging, BW_BUF);
	b.dax_mr = ibv_reg_mr(rt.pd, b.dax.p, BW_REGION, ACCESS);
	b.anon_mr = ibv_reg_mr(rt.pd, b.anon.p, BW_REGION, ACCESS);
	b.lmr = ibv_reg_mr(rt.pd, b.local, BW_BUF, ACCESS);
	b.smr = ibv_reg_mr(rt.pd, b.staging, BW_BUF, ACCESS);
	if (!b.dax_mr || !b.anon_mr || !b.lmr || !b.smr)
		die("bw: ibv_reg_mr", errno);

	/*
	 * One unrecorded pass of each, then rounds of all in turn: the three
	 * variants of one case run back to back (in a rotating order), so
	 * their ratio in one round sees the same state of the shared host.
	 */
	for (r = -1; r < rounds; r++)
		for (o = 0; o < 2; o++)
			for (z = 0; z < 2; z++)
				for (k = 0; k < NVAR; k++) {
					double x;

					v = (k + r + NVAR) % NVAR;
					x = bw_trial(&b, v, ops[o], msgs[z],
						     secs);

					fprintf(stderr, "bw: round %d %s %zu %s: "
						"%.1f MiB/s\n", r,
						o ? "read" : "write", msgs[z],
						var_name[v], x);
					if (r >= 0)
						add(&s[o][z][v], x);
				}

	printf("{\"unit\": \"MiB/s\", \"seconds_per_trial\": %.1f, "
	       "\"region\": %lu, \"cells\": [", secs, BW_REGION);
	for (o = 0; o < 2; o++)
		for (z = 0; z < 2; z++)
			for (v = 0; v < NVAR; v++) {
				printf("%s\n  {\"op\": \"%s\", \"msg\": %zu, "
				       "\"window\": %d, \"var\": \"%s\", ",
				       first ? "" : ",", o ? "read" : "write",
				       msgs[z], bw_window(msgs[z]),
				       var_name[v]);
				first = 0;
				print_samples("mibps", &s[o][z][v]);
				printf("}");
			}
	printf("\n]}\n");
	fprintf(stderr, "bw: %d rounds, %.1f s\n", rounds,
		us_since(t_start) / 1e6);
	ibv_dereg_mr(b.dax_mr);
	ibv_dereg_mr(b.anon_mr);
	ibv_dereg_mr(b.lmr);
	ibv_dereg_mr(b.smr);
	region_unmap(&b.dax);
	region_unmap(&b.anon);
	free(b.local);
	free(b.staging);
	rt_close(&rt);
	return 0;
}

/* --- revoke ------------------------------------------------------------ */

#define REV_LEN		(2 * MIB)
#define EVENT_MS	60000

/*
 * Wait for the IBV_EVENT_MR_REVOKED of @mr; the time it was read, or 0
 * on a timeout or another event.
 */
static long long wait_revoked(struct ibv_mr *mr)
{
	struct ibv_async_event ev;
	long long t;
	bool ok;

	if (!rt_get_event(rt.ctx, &ev, EVENT_MS))
		return 0;
	t = rt_now_ns();
	ok = ev.event_type == IBV_EVENT_MR_REVOKED && ev.element.mr == mr;
	ibv_ack_async_event(&ev);
	return ok ? t : 0;
}

static void revoke_fs(enum mem mem, int iters)
{
	struct samples ev = { 0 }, trunc = { 0 }, dereg = { 0 },
		       after = { 0 }, nomr = { 0 };
	struct region r;
	int i, early = 0;

	if (region_map(&r, mem, REV_LEN, "bench_revoke"))
		die("revoke: mapping", ENOMEM);
	for (i = 0; i < iters; i++) {
		struct rt_change c = {
			.fd = r.fd, .op = RT_TRUNC_DOWN, .size = REV_LEN,
		};
		struct ibv_mr *mr;
		long long t0, t_ev;

		/* The same truncate with no MR, for comparison. */
		if (region_restore(&r))
			die("revoke: restore", errno);
		t0 = rt_now_ns();
		if (rt_layout_change(r.fd, RT_TRUNC_DOWN, REV_LEN))
			die("revoke: truncate", errno);
		add(&nomr, us_since(t0));

		if (region_restore(&r))
			die("revoke: restore", errno);
		mr = ibv_reg_mr(rt.pd, r.p, REV_LEN, ACCESS);
		if (!mr)
			die("revoke: ibv_reg_mr", errno);
		if (rt_change_start(&c))
			die("revoke: thread", EAGAIN);
		t_ev = wait_revoked(mr);
		if (!t_ev)
			die("revoke: no IBV_EVENT_MR_REVOKED", ETIMEDOUT);
		if (rt_change_done(&c))
			early++;
		t0 = rt_now_ns();
		if (ibv_dereg_mr(mr))
			die("revoke: ibv_dereg_mr", errno);
		add(&dereg, us_since(t0));
		pthread_join(c.thread, NULL);
		if (c.ret)
			die("revoke: truncate", c.err);
		add(&ev, (t_ev - c.start_ns) / 1000.0);
		add(&trunc, (c.done_ns - c.start_ns) / 1000.0);
		add(&after, (c.done_ns - t0) / 1000.0);
	}
	printf("  \"%s\": {\"iterations\": %d, \"mr_size\": %lu, "
	       "\"truncate_done_before_dereg\": %d,\n    ", mem_name[mem],
	       iters, REV_LEN, early);
	print_samples("event", &ev);
	printf(",\n    ");
	print_samples("truncate", &trunc);
	printf(",\n    ");
	print_samples("dereg", &dereg);
	printf(",\n    ");
	print_samples("truncate_done_after_dereg_start", &after);
	printf(",\n    ");
	print_samples("truncate_no_mr", &nomr);
	printf("}");
	region_unmap(&r);
}

static int mode_revoke(void)
{
	long long t0 = rt_now_ns();
	int n = reps(100);

	open_rt(0, 0);
	printf("{\"unit\": \"us\",\n");
	revoke_fs(M_DAX_EXT4, n);
	printf(",\n");
	revoke_fs(M_DAX_XFS, n);
	printf("\n}\n");
	fprintf(stderr, "revoke: %d iterations per fs, %.1f s\n", n,
		us_since(t0) / 1e6);
	rt_close(&rt);
	return 0;
}

/* --- scale ------------------------------------------------------------- */

#define SCALE_LEN	(64 * MIB)	/* room for 16384 MRs of 4 KiB */

/* Register one MR of 4 KiB on page @i of @r; its time into @s. */
static struct ibv_mr *reg_page(struct region *r, int i, struct samples *s)
{
	long long t0 = rt_now_ns();
	struct ibv_mr *mr;

	mr = ibv_reg_mr(rt.pd, r->p + (size_t)i * 4096, 4096, ACCESS);
	if (!mr)
		die("scale: ibv_reg_mr", errno);
	add(s, us_since(t0));
	return mr;
}

/* Deregister @n MRs; the mean time per MR. */
static double dereg_many(struct ibv_mr **mrs, int n)
{
	long long t0 = rt_now_ns();
	int i;

	for (i = 0; i < n; i++)
		if (ibv_dereg_mr(mrs[i]))
			die("scale: ibv_dereg_mr", errno);
	return us_since(t0) / n;
}

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Truncate the file under @n MRs; deregister each MR on its event. The
 * time of the last event, the truncate's total time.
 */
static void truncate_many(struct region *r, struct ibv_mr **mrs, int n,
			  double *last_ev, double *total)
{
	struct rt_change c = {
		/* to 0: a break reaches only the MRs over the range */
		.fd = r->fd, .op = RT_TRUNC_DOWN, .size = 0,
	};
	struct ibv_async_event ev;
	long long t_last = 0;
	char *seen = calloc(n, 1);
	int got = 0;

	/* Sorted, so that each event's MR is found in O(log n). */
	if (!seen)
		die("scale", ENOMEM);
	qsort(mrs, n, sizeof(*mrs), ptr_cmp);
	if (rt_change_start(&c))
		die("scale: thread", EAGAIN);
	while (got < n) {
		struct ibv_mr *mr, **slot;

		if (!rt_get_event(rt.ctx, &ev, EVENT_MS))
			die("scale: missing events", ETIMEDOUT);
		t_last = rt_now_ns();
		mr = ev.element.mr;
		if (ev.event_type != IBV_EVENT_MR_REVOKED)
			die("scale: unexpected event", EINVAL);
		ibv_ack_async_event(&ev);
		slot = bsearch(&mr, mrs, n, sizeof(*mrs), ptr_cmp);
		if (!slot || seen[slot - mrs]++)
			die("scale: event for an unknown MR or twice", EINVAL);
		if (ibv_dereg_mr(mr))
			die("scale: ibv_dereg_mr", errno);
		got++;
	}
	free(seen);
	pthread_join(c.thread, NULL);
	if (c.ret)
		die("scale: truncate", c.err);
	*last_ev = (t_last - c.start_ns) / 1000.0;
	*total = (c.done_ns - c.start_ns) / 1000.0;
}

/*
 * The page of DAX MR @j: MR 0 alone in the first 2 MiB of the file (a break
 * is rounded out to 2 MiB), the others from the second 2 MiB on.
 */
static int mr_page(int j)
{
	return j ? 511 + j : 0;
}

/*
 * Punch the page of MR @hit of @n (0: the one alone in its 2 MiB; -1: a
 * page in the 2 MiB after the last MR's, under no MR) and deregister that
 * MR on its event, which must be the only one. The punch's total time. A
 * hit MR is registered again.
 */
static double punch_one(struct region *r, struct ibv_mr **mrs, int n, int hit)
{
	struct rt_change c = { .fd = r->fd };
	struct ibv_async_event ev;
	struct samples none = { 0 };
	int page = hit < 0 ? (mr_page(n - 1) / 512 + 1) * 512 : mr_page(hit);
	long long t0 = rt_now_ns();
	double us;

	/* A thread only where an event has to be answered. */
	if (hit < 0) {
		if (fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)page * 4096, 4096))
			die("scale: punch", errno);
		us = us_since(t0);
		if (rt_get_event(rt.ctx, &ev, 0))
			die("scale: event for a punch under no MR", EINVAL);
		goto out;
	}
	c.op = RT_PUNCH_PAGE;
	c.size = (off_t)page * 4096;
	if (rt_change_start(&c))
		die("scale: thread", EAGAIN);
	if (!rt_get_event(rt.ctx, &ev, EVENT_MS))
		die("scale: missing event", ETIMEDOUT);
	if (ev.event_type != IBV_EVENT_MR_REVOKED || ev.element.mr != mrs[hit])
		die("scale: event for another MR", EINVAL);
	ibv_ack_async_event(&ev);
	if (ibv_dereg_mr(mrs[hit]))
		die("scale: ibv_dereg_mr", errno);
	pthread_join(c.thread, NULL);
	if (c.ret)
		die("scale: punch", c.err);
	us = (c.done_ns - c.start_ns) / 1000.0;
	if (rt_get_event(rt.ctx, &ev, 0))
		die("scale: a second event for the punch", EINVAL);
	mrs[hit] = reg_page(r, mr_page(hit), &none);
	free(none.v);
out:
	if (fallocate(r->fd, 0, (off_t)page * 4096, 4096))
		die("scale: fallocate", errno);
	return us;
}

/*
 * For each N: rounds of N MRs on the DAX file and N anonymous MRs,
 * registered in pairs (anonymous i, then DAX i: the pair sees the same
 * state of the shared host, the anonymous MRs are the control), then the
 * anonymous ones deregistered and the DAX ones either deregistered or, in
 * the first rounds, revoked by a truncate. Registration times are per MR,
 * in order, round after round.
 */
static int mode_scale(void)
{
	static const int counts[] = { 1, 100, 1000, 10000 };
	static const int nrep[] = { 30, 8, 3, 2 };
	const int ntrunc = 3;
	struct ibv_device_attr a;
	struct region dax, anon;
	struct ibv_mr **mrs, **amrs;
	long long t_start = rt_now_ns();
	int i, j, k, limit, first = 1;

	open_rt(0, 0);
	if (ibv_query_device(rt.ctx, &a))
		die("ibv_query_device", errno);
	/* A few MRs' worth of room for anybody else on the device. */
	limit = (a.max_mr - 16) / 2;
	if (region_map(&dax, M_DAX_EXT4, SCALE_LEN, "bench_scale") ||
	    region_map(&anon, M_ANON, SCALE_LEN, NULL))
		die("scale: mapping", ENOMEM);
	mrs = calloc(counts[3], sizeof(*mrs));
	amrs = calloc(counts[3], sizeof(*amrs));
	if (!mrs || !amrs)
		die("scale", ENOMEM);

	printf("{\"unit\": \"us\", \"mr_size\": 4096, \"file_size\": %lu, "
	       "\"max_mr\": %d, \"cells\": [", SCALE_LEN, a.max_mr);
	for (i = 0; i < 4; i++) {
		int n = counts[i] < limit ? counts[i] : limit;
		int rounds = reps(nrep[i]) < 2 ? 2 : reps(nrep[i]);
		struct samples rd = { 0 }, ra = { 0 }, ev = { 0 }, tr = { 0 },
			       dd = { 0 }, da = { 0 }, p1 = { 0 }, p0 = { 0 };

		for (k = 0; k < rounds; k++) {
			double last_ev, total;

			for (j = 0; j < n; j++) {
				amrs[j] = reg_page(&anon, j, &ra);
				mrs[j] = reg_page(&dax, mr_page(j), &rd);
			}
			add(&da, dereg_many(amrs, n));
			/* range-aware breaks: one of the N is hit, or none */
			for (j = 0; j < 3; j++) {
				add(&p1, punch_one(&dax, mrs, n, 0));
				add(&p0, punch_one(&dax, mrs, n, -1));
			}
			if (k >= ntrunc) {
				add(&dd, dereg_many(mrs, n));
				continue;
			}
			truncate_many(&dax, mrs, n, &last_ev, &total);
			add(&ev, last_ev);
			add(&tr, total);
			if (region_restore(&dax))
				die("scale: restore", errno);
		}
		printf("%s\n  {\"n\": %d, \"requested\": %d, \"rounds\": %d, ",
		       first ? "" : ",", n, counts[i], k);
		first = 0;
		print_samples("truncate_last_event", &ev);
		printf(",\n   ");
		print_samples("truncate", &tr);
		printf(",\n   ");
		print_samples("punch_one_of_n", &p1);
		printf(",\n   ");
		print_samples("punch_none_of_n", &p0);
		printf(",\n   ");
		print_samples("dereg_dax_per_mr", &dd);
		printf(",\n   ");
		print_samples("dereg_anon_per_mr", &da);
		printf(",\n   ");
		print_samples("reg_dax", &rd);
		printf(",\n   ");
		print_samples("reg_anon", &ra);
		printf("}");
		fflush(stdout);
		fprintf(stderr, "scale: %d MRs, %d rounds, %.1f s\n", n, k,
			us_since(t_start) / 1e6);
	}
	printf("\n]}\n");
	free(mrs);
	free(amrs);
	region_unmap(&dax);
	region_unmap(&anon);
	rt_close(&rt);
	return 0;
}

/* --- open ------------------------------------------------------------- */

/*
 * What an MR over a file costs everybody else who uses the file: open(2) +
 * close(2), a 4 KiB pwrite(2) of an allocated page no MR covers, and an
 * ftruncate(2) to the same size (setattr without a layout change), on a
 * file with N MRs against a file with none, in turns, on each DAX file
 * system. On the stock kernel (no MR can be registered) the second file has
 * none either, but it is timed in the same turns: what runs between two
 * samples of the file without MRs is the same on both kernels.
 */
#define OPEN_LEN	(4 * MIB)
#define OPEN_OPS	200		/* operations per sample */

enum open_op { O_OPEN, O_WRITE, O_SETATTR, NOPS };
static const char *const op_name[NOPS] = { "open", "write", "setattr" };

static double time_op(struct region *r, enum open_op op)
{
	char buf[4096];
	long long t0;
	int i, fd;

	memset(buf, 2, sizeof(buf));
	t0 = rt_now_ns();
	for (i = 0; i < OPEN_OPS; i++) {
		switch (op) {
		case O_OPEN:
			fd = open(r->path, O_RDWR);
			if (fd < 0)
				die("open", errno);
			close(fd);
			break;
		case O_WRITE:
			if (pwrite(r->fd, buf, sizeof(buf), OPEN_LEN - 4096) !=
			    sizeof(buf))
				die("pwrite", errno);
			break;
		default:
			if (ftruncate(r->fd, OPEN_LEN))
				die("ftruncate", errno);
			break;
		}
	}
	return us_since(t0) / OPEN_OPS;
}

static int mode_open(void)
{
	static const int ns[] = { 1, 100 };
	static const enum mem fss[] = { M_DAX_EXT4, M_DAX_XFS };
	struct ibv_mr *mrs[100];
	int rounds = reps(25), f, n, k, o, j, first = 1;
	bool series = rt_kernel_has_series();

	open_rt(0, 0);
	printf("{\"unit\": \"us per op\", \"ops_per_sample\": %d, \"cells\": [",
	       OPEN_OPS);
	for (f = 0; f < 2; f++) {
		for (n = 0; n < 2; n++) {	/* stock too: the same turns */
			struct samples plain[NOPS] = { 0 }, leased[NOPS] = { 0 };
			struct samples ctx[NOPS] = { 0 };
			struct region a, b, c;

			if (region_map(&a, fss[f], OPEN_LEN, "bench_open_a") ||
			    region_map(&b, fss[f], OPEN_LEN, "bench_open_b") ||
			    region_map(&c, fss[f], OPEN_LEN, "bench_open_c"))
				die("open: mapping", ENOMEM);
			/*
			 * c: no MR, but a lock context (an flock taken and
			 * dropped), what every file has that ever had a lock
			 * or lease: close then takes flc_lock, open an
			 * smp_mb(). The baseline of what an MR's lease costs.
			 */
			if (flock(c.fd, LOCK_SH) || flock(c.fd, LOCK_UN))
				die("open: flock", errno);
			for (j = 0; series && j < ns[n]; j++) {
				mrs[j] = ibv_reg_mr(rt.pd, b.p + j * 4096, 4096,
						    ACCESS);
				if (!mrs[j])
					die("open: ibv_reg_mr", errno);
			}
			for (k = -1; k < rounds; k++)
				for (o = 0; o < NOPS; o++) {
					double x, y, z;

					/* in turns, the order alternating */
					if (k & 1) {
						x = time_op(&a, o);
						y = time_op(&b, o);
						z = time_op(&c, o);
					} else {
						z = time_op(&c, o);
						y = time_op(&b, o);
						x = time_op(&a, o);
					}
					if (k < 0)
						continue;
					add(&plain[o], x);
					add(&leased[o], y);
					add(&ctx[o], z);
				}
			for (j = 0; series && j < ns[n]; j++)
				if (ibv_dereg_mr(mrs[j]))
					die("open: ibv_dereg_mr", errno);
			for (o = 0; o < NOPS; o++) {
				printf("%s\n  {\"mem\": \"%s\", \"op\": \"%s\", \"n\": %d, ",
				       first ? "" : ",", mem_name[fss[f]],
				       op_name[o], series ? ns[n] : 0);
				first = 0;
				print_samples("plain", &plain[o]);
				printf(", ");
				print_samples("leased", &leased[o]);
				printf(", ");
				print_samples("ctx", &ctx[o]);
				printf("}");
			}
			region_unmap(&a);
			region_unmap(&b);
			region_unmap(&c);
			fflush(stdout);
			fprintf(stderr, "open: %s, %d MRs, %d rounds\n",
				mem_name[fss[f]], series ? ns[n] : 0, rounds);
		}
	}
	printf("\n]}\n");
	rt_close(&rt);
	return 0;
}

/* --- loop -------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(struct samples *s)
{
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	return s->n ? s->v[s->n / 2] : 0;
}

/* N registrations of one kind, nothing else: what a profiler looks at. */
static int mode_loop(const char *kind, size_t size, int n)
{
	struct samples reg = { 0 }, dereg = { 0 };
	struct region base, r;
	int m, k, ret;

	for (m = 0; m < NMEM; m++)
		if (!strcmp(kind, mem_name[m]))
			break;
	if (m == NMEM || n < 1 || !size) {
		fprintf(stderr, "bench loop: bad kind, size or count\n");
		return 2;
	}
	open_rt(0, 0);
	if (mem_base(m) >= 0) {
		ret = region_map(&base, mem_base(m), size, "bench_loop");
		if (ret)
			die(mem_name[mem_base(m)], -ret);
	}
	ret = region_map_base(&r, m, size, "bench_loop",
			      mem_base(m) >= 0 ? &base : NULL);
	if (ret)
		die(kind, -ret);
	for (k = 0; k < n; k++) {
		long long t0 = rt_now_ns();
		struct ibv_mr *mr = ibv_reg_mr(rt.pd, r.p, size,
					       mem_access(m));

		if (!mr)
			die(kind, errno);
		add(&reg, us_since(t0));
		t0 = rt_now_ns();
		if (ibv_dereg_mr(mr))
			die("ibv_dereg_mr", errno);
		add(&dereg, us_since(t0));
	}
	printf("%s %zu MiB x %d: reg %.1f us, dereg %.1f us (medians)\n",
	       kind, size / MIB, n, median(&reg), median(&dereg));
	free(reg.v);
	free(dereg.v);
	region_unmap(&r);
	if (mem_base(m) >= 0)
		region_unmap(&base);
	rt_close(&rt);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench info|reg|reg-stockset|bw|revoke|scale|open [SCALE]\n"
			"       bench loop KIND MIB N\n");
		return 2;
	}
	if (!strcmp(argv[1], "loop") && argc == 5)
		return mode_loop(argv[2], strtoul(argv[3], NULL, 0) * MIB,
				 atoi(argv[4]));
	if (argc > 2)
		scale = atof(argv[2]);
	if (scale <= 0)
		scale = 1;
	if (!strcmp(argv[1], "info"))
		return mode_info();
	if (!strcmp(argv[1], "reg"))
		return mode_reg(false);
	if (!strcmp(argv[1], "reg-stockset"))
		return mode_reg(true);
	if (!strcmp(argv[1], "bw"))
		return mode_bw();
	if (!strcmp(argv[1], "revoke"))
		return mode_revoke();
	if (!strcmp(argv[1], "scale"))
		return mode_scale();
	if (!strcmp(argv[1], "open"))
		return mode_open();
	fprintf(stderr, "bench: unknown mode %s\n", argv[1]);
	return 2;
}

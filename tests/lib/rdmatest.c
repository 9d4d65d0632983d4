// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <rdma/ib_user_verbs.h>

#include "rdmatest.h"

#define RT_DEPTH	16
#define RT_WAIT_MS	10000

/* ::ffff:192.0.2.1, the RoCEv2 GID of veth0's address. */
static const uint8_t rt_gid[16] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1
};

static int find_gid(struct ibv_context *ctx)
{
	union ibv_gid gid;
	int i;

	for (i = 0; i < 32; i++) {
		if (ibv_query_gid(ctx, 1, i, &gid))
			break;
		if (!memcmp(gid.raw, rt_gid, sizeof(rt_gid)))
			return i;
	}
	return -ENOENT;
}

static int qp_to_rts(struct rt *rt, struct ibv_qp *qp, uint32_t dest)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
	};
	int ret;

	/* The responder checks the QP's flush rights, then the MR's. */
	if (rt->flush)
		a.qp_access_flags |= IBV_ACCESS_FLUSH_GLOBAL |
				     IBV_ACCESS_FLUSH_PERSISTENT;

	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			    IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
	if (ret)
		return -ret;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = dest;
	a.max_dest_rd_atomic = rt->rd_atomic;
	a.min_rnr_timer = 1;
	a.ah_attr.is_global = 1;
	a.ah_attr.port_num = 1;
	a.ah_attr.grh.hop_limit = 1;
	a.ah_attr.grh.sgid_index = rt->gid_index;
	memcpy(a.ah_attr.grh.dgid.raw, rt_gid, sizeof(rt_gid));
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			    IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			    IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (ret)
		return -ret;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 18;	/* ~1 s: TCG is slow */
	a.retry_cnt = 7;
	a.rnr_retry = 3;
	a.max_rd_atomic = rt->rd_atomic;
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			    IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			    IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
	return -ret;
}

static int reconnect_once(struct rt *rt)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };
	struct ibv_wc wc;
	int i, ret;

	while (ibv_poll_cq(rt->cq, 1, &wc) > 0)
		;
	for (i = 0; i < 2; i++) {
		ret = ibv_modify_qp(rt->qp[i], &a, IBV_QP_STATE);
		if (ret)
			return -ret;
	}
	for (i = 0; i < 2; i++) {
		ret = qp_to_rts(rt, rt->qp[i], rt->qp[!i]->qp_num);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * rxe may still be handling the packets of the failed request when the
 * QPs are reset, and move a QP it had in flight to the error state again
 * between two modify calls (EINVAL for the next transition): start over.
 */
int rt_reconnect(struct rt *rt)
{
	int i, ret = 0;

	for (i = 0; i < 5; i++) {
		ret = reconnect_once(rt);
		if (!ret)
			break;
		usleep(20000);
	}
	return ret;
}

int rt_open(struct rt *rt)
{
	return rt_open_opts(rt, 0, 0);
}

/* The status of the next completion on rt->cq, or -errno. */
static int wait_status(struct rt *rt)
{
	long deadline = rt_now_ms() + RT_WAIT_MS;
	struct ibv_wc wc;
	int n;

	do {
		n = ibv_poll_cq(rt->cq, 1, &wc);
		if (n < 0)
			return -EIO;
		if (n == 1)
			return wc.status;
	} while (rt_now_ms() < deadline);
	return -ETIMEDOUT;
}

static int open_rt(struct rt *rt, int depth, int rd_atomic, bool flush)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_device **list;
	int i, n, ret = -ENODEV;

	if (!depth)
		depth = RT_DEPTH;
	qa.cap.max_send_wr = depth;
	qa.cap.max_recv_wr = depth;
	memset(rt, 0, sizeof(*rt));
	rt->flush = flush;
	rt->rd_atomic = rd_atomic ? rd_atomic : 1;
	list = ibv_get_device_list(&n);
	if (!list)
		return -errno;
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), RT_DEV))
			rt->ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!rt->ctx)
		return ret;

	rt->gid_index = find_gid(rt->ctx);
	if (rt->gid_index < 0)
		return rt->gid_index;
	rt->pd = ibv_alloc_pd(rt->ctx);
	rt->cq = ibv_create_cq(rt->ctx, 4 * depth, NULL, NULL, 0);
	if (!rt->pd || !rt->cq)
		return -ENOMEM;
	qa.send_cq = rt->cq;
	qa.recv_cq = rt->cq;
	for (i = 0; i < 2; i++) {
		if (rt->flush) {
			struct ibv_qp_init_attr_ex qx = {
				.qp_type = qa.qp_type, .cap = qa.cap,
				.send_cq = rt->cq, .recv_cq = rt->cq,
				.pd = rt->pd,
				.comp_mask = IBV_QP_INIT_ATTR_PD |
					     IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
				.send_ops_flags = IBV_QP_EX_WITH_FLUSH |
						  IBV_QP_EX_WITH_RDMA_WRITE,
			};

			rt->qp[i] = ibv_create_qp_ex(rt->ctx, &qx);
		} else {
			rt->qp[i] = ibv_create_qp(rt->pd, &qa);
		}
		if (!rt->qp[i])
			return -errno;
	}
	return rt_reconnect(rt);
}

int rt_open_opts(struct rt *rt, int depth, int rd_atomic)
{
	return open_rt(rt, depth, rd_atomic, false);
}

int rt_open_flush(struct rt *rt)
{
	return open_rt(rt, 0, 0, true);
}

int rt_flush(struct rt *rt, int qp, uint64_t raddr, uint32_t rkey,
	     size_t len, uint8_t type, uint8_t level)
{
	struct ibv_qp_ex *qpx = ibv_qp_to_qp_ex(rt->qp[qp]);

	if (!rt->flush || !qpx)
		return -EINVAL;
	ibv_wr_start(qpx);
	qpx->wr_id = 0xf1u;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_flush(qpx, rkey, raddr, len, type, level);
	if (ibv_wr_complete(qpx))
		return -EIO;
	return wait_status(rt);
}

void rt_close(struct rt *rt)
{
	int i;

	for (i = 0; i < 2; i++)
		if (rt->qp[i])
			ibv_destroy_qp(rt->qp[i]);
	if (rt->cq)
		ibv_destroy_cq(rt->cq);
	if (rt->pd)
		ibv_dealloc_pd(rt->pd);
	if (rt->ctx)
		ibv_close_device(rt->ctx);
	memset(rt, 0, sizeof(*rt));
}

int rt_wait_child(pid_t pid, int ms)
{
	int status, waited = 0;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (waited >= ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(10000);
		waited += 10;
	}
	return status;
}

long rt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long rt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *change_thread(void *arg)
{
	struct rt_change *c = arg;

	c->start_ns = rt_now_ns();
	c->ret = rt_layout_change(c->fd, c->op, c->size);
	c->done_ns = rt_now_ns();
	c->err = errno;
	__atomic_store_n(&c->done_ms, rt_now_ms(), __ATOMIC_SEQ_CST);
	return NULL;
}

int rt_change_start(struct rt_change *c)
{
	c->done_ms = 0;
	return pthread_create(&c->thread, NULL, change_thread, c);
}

long rt_change_done(struct rt_change *c)
{
	return __atomic_load_n(&c->done_ms, __ATOMIC_SEQ_CST);
}

int rt_longterm_leases(int fd)
{
	char line[256], id[64];
	struct stat st;
	int n = 0;
	FILE *f;

	if (fstat(fd, &st))
		return -1;
	snprintf(id, sizeof(id), ":%lu ", (unsigned long)st.st_ino);
	f = fopen("/proc/locks", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "LONGTERM") && strstr(line, id) &&
		    !strstr(line, "->"))
			n++;
	fclose(f);
	return n;
}

int rt_get_event(struct ibv_context *ctx, struct ibv_async_event *ev, int ms)
{
	struct pollfd p = { .fd = ctx->async_fd, .events = POLLIN };
	int flags = fcntl(ctx->async_fd, F_GETFL);

	fcntl(ctx->async_fd, F_SETFL, flags | O_NONBLOCK);
	if (poll(&p, 1, ms) != 1)
		return 0;
	return ibv_get_async_event(ctx, ev) == 0;
}

int rt_next_event(struct ibv_context *ctx, int ms, enum ibv_event_type *type,
		  struct ibv_mr **mr)
{
	struct ibv_async_event ev;

	if (!rt_get_event(ctx, &ev, ms))
		return 0;
	*type = ev.event_type;
	*mr = ev.element.mr;
	ibv_ack_async_event(&ev);
	return 1;
}

int rt_wait_sigio(int ms, siginfo_t *si)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	do {
		sig = sigtimedwait(&set, si, &ts);
	} while (sig < 0 && errno == EINTR);
	return sig;
}

int rt_sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int rt_post_rdma(struct rt *rt, int qp, enum ibv_wr_opcode opcode,
		 struct ibv_mr *lmr, void *laddr, size_t len,
		 uint64_t raddr, uint32_t rkey, uint64_t wr_id)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)laddr, .length = len, .lkey = lmr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
		.opcode = opcode, .send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	}, *bad;

	return ibv_post_send(rt->qp[qp], &wr, &bad) ? -EIO : 0;
}

int rt_rdma(struct rt *rt, int qp, enum ibv_wr_opcode opcode,
	    struct ibv_mr *lmr, void *laddr, size_t len,
	    uint64_t raddr, uint32_t rkey)
{
	if (rt_post_rdma(rt, qp, opcode, lmr, laddr, len, raddr, rkey, 0x5eed))
		return -EIO;
	return wait_status(rt);
}

void *rt_map_file(const char *dir, const char *name, size_t size, int *fd)
{
	char path[256];
	void *p;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (*fd < 0)
		return NULL;
	if (fallocate(*fd, 0, 0, size)) {
		close(*fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED) {
		close(*fd);
		return NULL;
	}
	return p;
}

int rt_is_dax(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx))
		return -errno;
	if (!(stx.stx_attributes_mask & STATX_ATTR_DAX))
		return -EOPNOTSUPP;
	return !!(stx.stx_attributes & STATX_ATTR_DAX);
}

bool rt_kernel_has_series(void)
{
	struct utsname u;

	/* The Makefile builds the pristine tree as "-stock". */
	return !uname(&u) && !strstr(u.release, "-stock");
}

/* XFS_IOC_EXCHANGE_RANGE (6.10), which Debian 12's xfslibs-dev lacks. */
struct rt_xfs_exchange_range {
	int32_t file1_fd;
	uint32_t pad;
	uint64_t file1_offset, file2_offset, length, flags;
};

#define RT_XFS_IOC_EXCHANGE_RANGE _IOW('X', 129, struct rt_xfs_exchange_range)

/* Reflink or exchange [@off, @off + @len) of @fd with a new file's. */
int rt_remap_range(int fd, enum rt_layout_op op, off_t off, off_t len)
{
	char link[64], dir[PATH_MAX], *slash, *buf;
	ssize_t n;
	int src, ret, err;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, dir, sizeof(dir) - 1);
	if (n < 0)
		return -1;
	dir[n] = 0;
	slash = strrchr(dir, '/');
	if (!slash)
		return errno = EINVAL, -1;
	*slash = 0;
	src = open(dir, O_TMPFILE | O_RDWR, 0600);
	if (src < 0)
		return -1;
	buf = malloc(len);
	if (!buf) {
		close(src);
		return errno = ENOMEM, -1;
	}
	rt_fill(buf, len, RT_REMAP_SEED);
	ret = pwrite(src, buf, len, 0) == len ? 0 : -1;
	free(buf);
	if (!ret && op == RT_REFLINK) {
		struct file_clone_range r = {
			.src_fd = src, .src_length = len, .dest_offset = off,
		};

		ret = ioctl(fd, FICLONERANGE, &r);
	} else if (!ret) {
		struct rt_xfs_exchange_range x = {
			.file1_fd = src, .file2_offset = off, .length = len,
		};

		ret = ioctl(fd, RT_XFS_IOC_EXCHANGE_RANGE, &x);
	}
	err = errno;
	close(src);
	errno = err;
	return ret;
}

int rt_layout_change(int fd, enum rt_layout_op op, off_t size)
{
	const off_t off = 65536, len = 65536;

	switch (op) {
	case RT_TRUNC_DOWN:
		return ftruncate(fd, size / 2);
	case RT_TRUNC_UP:
		return ftruncate(fd, size * 2);
	case RT_PUNCH:
		return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 off, len);
	case RT_COLLAPSE:
		return fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, off, len);
	case RT_INSERT:
		return fallocate(fd, FALLOC_FL_INSERT_RANGE, off, len);
	case RT_ZERO:
		return fallocate(fd, FALLOC_FL_ZERO_RANGE, off, len);
	case RT_REFLINK:
	case RT_EXCHANGE:
		return rt_remap_range(fd, op, off, len);
	case RT_PUNCH_PAGE:
		return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 size, 4096);
	}
	errno = EINVAL;
	return -1;
}

int rt_fragment(int fd, size_t len, size_t piece, uint32_t seed)
{
	char *pat = malloc(len);
	int ret = -1;
	off_t off;

	if (!pat)
		return -1;
	rt_fill(pat, len, seed);
	if (pwrite(fd, pat, len / 2, 0) != (ssize_t)(len / 2) || fsync(fd))
		goto out;
	/* An insert must start before the end of the file. */
	for (off = piece; off < (off_t)(len / 2) + off / 2 - (off_t)piece / 2;
	     off += 2 * piece)
		if (fallocate(fd, FALLOC_FL_INSERT_RANGE, off, piece) ||
		    pwrite(fd, pat, piece, off) != (ssize_t)piece || fsync(fd))
			goto out;
	if (pwrite(fd, pat, len, 0) != (ssize_t)len || fsync(fd))
		goto out;
	ret = 0;
out:
	free(pat);
	return ret;
}

void rt_fill(void *buf, size_t len, uint32_t seed)
{
	uint32_t *p = buf, x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len / 4; i++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		p[i] = x;
	}
}

long rt_check(const void *buf, size_t len, uint32_t seed)
{
	const uint32_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len / 4; i++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		if (p[i] != x)
			return i * 4;
	}
	return -1;
}

int rt_read_int(const char *path, int *val)
{
	FILE *f = fopen(path, "r");
	int ret;

	if (!f)
		return -1;
	ret = fscanf(f, "%d", val) == 1 ? 0 : -1;
	fclose(f);
	return ret;
}

int rt_read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int rt_write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

int rt_write_int(const char *path, int val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", val);
	return rt_write_str(path, buf);
}

long rt_vm_pin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int rt_extents(int fd, struct fiemap_extent *ext, int max)
{
	struct fiemap *fm;
	int n;

	fm = calloc(1, sizeof(*fm) + max * sizeof(*ext));
	if (!fm)
		return -1;
	fm->fm_length = ~0ULL;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = max;
	if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
		free(fm);
		return -1;
	}
	n = fm->fm_mapped_extents;
	if (ext)
		memcpy(ext, fm->fm_extents, n * sizeof(*ext));
	free(fm);
	return n;
}

int rt_send_recv(struct rt *rt, struct ibv_mr *smr, void *saddr, size_t len,
		 uint32_t rlkey, void *raddr, int *send_st, int *recv_st)
{
	struct ibv_sge ssge = {
		.addr = (uintptr_t)saddr, .length = len, .lkey = smr->lkey,
	}, rsge = {
		.addr = (uintptr_t)raddr, .length = len, .lkey = rlkey,
	};
	struct ibv_recv_wr rwr = {
		.wr_id = 2, .sg_list = &rsge, .num_sge = 1,
	}, *rbad;
	struct ibv_send_wr swr = {
		.wr_id = 1, .sg_list = &ssge, .num_sge = 1,
		.opcode = IBV_WR_SEND, .send_flags = IBV_SEND_SIGNALED,
	}, *sbad;
	long deadline = rt_now_ms() + RT_WAIT_MS;
	struct ibv_wc wc;
	int n;

	*send_st = *recv_st = -ETIMEDOUT;
	if (ibv_post_recv(rt->qp[1], &rwr, &rbad) ||
	    ibv_post_send(rt->qp[0], &swr, &sbad))
		return -EIO;
	while ((*send_st == -ETIMEDOUT || *recv_st == -ETIMEDOUT) &&
	       rt_now_ms() < deadline) {
		n = ibv_poll_cq(rt->cq, 1, &wc);
		if (n < 0)
			return -EIO;
		if (n == 1 && wc.wr_id == 1)
			*send_st = wc.status;
		else if (n == 1 && wc.wr_id == 2)
			*recv_st = wc.status;
	}
	return *send_st == -ETIMEDOUT || *recv_st == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

int rt_res_mr(uint32_t lkey, char *line, size_t len)
{
	char key[32], buf[4096];
	int found = 0;
	size_t k;
	FILE *p;

	snprintf(key, sizeof(key), " lkey 0x%x ", lkey);
	p = popen("rdma -dd res show mr 2>&1", "r");
	if (!p)
		return -1;
	while (fgets(buf, sizeof(buf), p)) {
		k = strlen(buf);
		if (k && buf[k - 1] == '\n')
			buf[--k] = 0;
		/* One MR a line; a key matches whole, never a prefix. */
		strncat(buf, " ", sizeof(buf) - k - 1);
		if (!found && strstr(buf, key)) {
			snprintf(line, len, "%s", buf);
			found = 1;
		}
	}
	return pclose(p) == 0 ? found : -1;
}

bool rt_res_has(const char *line, const char *name, const char *value)
{
	char want[128];

	snprintf(want, sizeof(want), " %s %s ", name, value);
	return strstr(line, want) != NULL;
}

int rt_rereg(struct ibv_mr *mr, int flags, struct ibv_pd *pd, void *addr,
	     size_t len, int access)
{
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		struct ib_uverbs_rereg_mr cmd;
	} req = {
		.hdr = {
			.command = IB_USER_VERBS_CMD_REREG_MR,
			.in_words = sizeof(req) / 4,
			.out_words = sizeof(struct ib_uverbs_rereg_mr_resp) / 4,
		},
		.cmd = {
			.mr_handle = mr->handle,
			.flags = flags,
			.start = (uintptr_t)addr,
			.length = len,
			.hca_va = (uintptr_t)addr,
			.pd_handle = pd ? pd->handle : 0,
			.access_flags = access,
		},
	};
	struct ib_uverbs_rereg_mr_resp resp;

	req.cmd.response = (uintptr_t)&resp;
	if (write(mr->context->cmd_fd, &req, sizeof(req)) != sizeof(req))
		return -errno;
	if (flags & IBV_REREG_MR_CHANGE_PD)
		mr->pd = pd;
	return 0;
}

int rt_bind_type2(struct rt *rt, struct ibv_mw *mw, struct ibv_mr *mr,
		      void *addr, size_t len, uint32_t rkey)
{
	struct ibv_send_wr wr = {
		.wr_id = 7, .opcode = IBV_WR_BIND_MW,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	long deadline = rt_now_ms() + 5000;
	struct ibv_wc wc;
	int n;

	wr.bind_mw.mw = mw;
	wr.bind_mw.rkey = rkey;
	wr.bind_mw.bind_info.mr = mr;
	wr.bind_mw.bind_info.addr = (uintptr_t)addr;
	wr.bind_mw.bind_info.length = len;
	wr.bind_mw.bind_info.mw_access_flags = IBV_ACCESS_REMOTE_WRITE |
					       IBV_ACCESS_REMOTE_READ;
	if (ibv_post_send(rt->qp[1], &wr, &bad))
		return -EIO;
	while ((n = ibv_poll_cq(rt->cq, 1, &wc)) == 0 && rt_now_ms() < deadline)
		;
	return n == 1 ? (int)wc.status : -ETIMEDOUT;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest tests: an rxe0 context with two RC QPs
 * connected to each other (the "local" and the "peer" side of one
 * loopback connection), one-shot RDMA operations, and files on the
 * guest's DAX and non-DAX mounts.
 */
#ifndef RDMATEST_H
#define RDMATEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <infiniband/verbs.h>

#define RT_DEV		"rxe0"
#define RT_EXT4		"/mnt/ext4"
#define RT_XFS		"/mnt/xfs"
#define RT_NODAX	"/mnt/nodax"
#define RT_TMPFS	"/tmp"

struct rt {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp[2];	/* qp[0] <-> qp[1], RC, connected */
	int gid_index;
	int rd_atomic;		/* RDMA READs in flight per QP */
	bool flush;		/* QPs can post IBV_WR_FLUSH (rt_open_flush) */
};

/* Open rxe0, allocate a PD and CQ and connect two RC QPs. 0 or -errno. */
int rt_open(struct rt *rt);

/*
 * rt_open() with deeper queues: @depth send and receive WRs per QP (the CQ
 * holds four times that) and @rd_atomic RDMA READs in flight per QP. Zero
 * keeps rt_open()'s 16 and 1.
 */
int rt_open_opts(struct rt *rt, int depth, int rd_atomic);
void rt_close(struct rt *rt);

/* rt_open() with QPs that can also post IBV_WR_FLUSH. 0 or -errno. */
int rt_open_flush(struct rt *rt);

/*
 * IBV_WR_FLUSH of @len bytes at @raddr/@rkey, placement @type
 * (IBV_FLUSH_GLOBAL, IBV_FLUSH_PERSISTENT), @level IBV_FLUSH_RANGE or
 * IBV_FLUSH_MR, on rt->qp[@qp] of an rt_open_flush() rt: the completion's
 * status, or -errno.
 */
int rt_flush(struct rt *rt, int qp, uint64_t raddr, uint32_t rkey,
	     size_t len, uint8_t type, uint8_t level);

/*
 * Post one signaled work request of @opcode (IBV_WR_RDMA_WRITE or
 * IBV_WR_RDMA_READ) on rt->qp[@qp] using @len bytes at @laddr of @lmr and
 * the remote @raddr/@rkey; wait for its completion and return its status
 * (IBV_WC_SUCCESS on success), or -errno if it could not be posted or did
 * not complete within a few seconds.
 */
int rt_rdma(struct rt *rt, int qp, enum ibv_wr_opcode opcode,
	    struct ibv_mr *lmr, void *laddr, size_t len,
	    uint64_t raddr, uint32_t rkey);

/*
 * Post the work request of rt_rdma() with @wr_id and return at once:
 * 0 or -errno. The caller polls rt->cq for its completion.
 */
int rt_post_rdma(struct rt *rt, int qp, enum ibv_wr_opcode opcode,
		 struct ibv_mr *lmr, void *laddr, size_t len,
		 uint64_t raddr, uint32_t rkey, uint64_t wr_id);

/*
 * Post a RECV of @len bytes at @raddr with the lkey @rlkey on rt->qp[1],
 * and a SEND of @len bytes at @saddr of @smr on rt->qp[0]; wait for both
 * completions: their statuses in *@send_st and *@recv_st. 0, or -errno if
 * one could not be posted or did not complete within a few seconds.
 */
int rt_send_recv(struct rt *rt, struct ibv_mr *smr, void *saddr, size_t len,
		 uint32_t rlkey, void *raddr, int *send_st, int *recv_st);

/*
 * The line "rdma -dd res show mr" prints for the MR with @lkey, with a
 * space after it: 1 (copied to @line), 0 if no MR has that lkey, -1 if
 * the tool failed. rt_res_has() looks for "NAME VALUE" in it, whole.
 */
int rt_res_mr(uint32_t lkey, char *line, size_t len);
bool rt_res_has(const char *line, const char *name, const char *value);

/*
 * rereg_mr through the uverbs write command (rxe's provider has no
 * ibv_rereg_mr): @flags IBV_REREG_MR_CHANGE_*, with the new @pd, range
 * @addr/@len (iova = @addr) and @access as they apply. 0 or -errno.
 */
int rt_rereg(struct ibv_mr *mr, int flags, struct ibv_pd *pd, void *addr,
	     size_t len, int access);

/*
 * Post a type 2 bind of @mw (new rkey @rkey) over @len bytes at @addr of
 * @mr on qp[1], remote read and write: its completion status, or -errno.
 */
int rt_bind_type2(struct rt *rt, struct ibv_mw *mw, struct ibv_mr *mr,
		  void *addr, size_t len, uint32_t rkey);

/* Bring both QPs back to RTS after an error completion. 0 or -errno. */
int rt_reconnect(struct rt *rt);

/*
 * Create @dir/@name of @size bytes (allocated, zeroed), open it O_RDWR and
 * map it MAP_SHARED. Returns the mapping or NULL; *fd gets the descriptor.
 */
void *rt_map_file(const char *dir, const char *name, size_t size, int *fd);

/* 1 if @path is a DAX file (statx STATX_ATTR_DAX), 0 if not, -errno. */
int rt_is_dax(const char *path);

/* 1 when the running kernel carries the FS-DAX MR series, 0 on stock. */
bool rt_kernel_has_series(void);

/* The layout changes that break FL_LONGTERM leases. */
enum rt_layout_op {
	RT_TRUNC_DOWN, RT_TRUNC_UP, RT_PUNCH, RT_COLLAPSE, RT_INSERT, RT_ZERO,
	RT_REFLINK, RT_EXCHANGE,
	RT_PUNCH_PAGE,	/* the 4 KiB at offset @size */
};

/*
 * Apply @op to @fd, a file of @size bytes: truncate to half or twice the
 * size, fallocate() the 64 KiB at offset 64 KiB, or reflink (FICLONERANGE)
 * or exchange (XFS_IOC_EXCHANGE_RANGE) those 64 KiB with a new file's.
 * 0 or -1 with errno.
 */
#define RT_REMAP_SEED	0x5eed	/* rt_fill() seed of the other file's bytes */
int rt_layout_change(int fd, enum rt_layout_op op, off_t size);
/* RT_REFLINK or RT_EXCHANGE of @len bytes of a new file at @off of @fd. */
int rt_remap_range(int fd, enum rt_layout_op op, off_t off, off_t len);

/*
 * A layout change running in its own thread: rt_change_start() starts
 * rt_layout_change(@fd, @op, @size); when it has returned, @done_ms is its
 * rt_now_ms() time (0 before) and @ret/@err its result. Join @thread.
 * @start_ns and @done_ns are rt_now_ns() right before the call and right
 * after it returned (valid after the join).
 */
struct rt_change {
	int fd;
	enum rt_layout_op op;
	off_t size;
	int ret, err;
	long done_ms;
	long long start_ns, done_ns;
	pthread_t thread;
};

int rt_change_start(struct rt_change *c);
long rt_change_done(struct rt_change *c);	/* done_ms, atomically */

/* CLOCK_MONOTONIC in milliseconds. */
long rt_now_ms(void);

/* CLOCK_MONOTONIC in nanoseconds. */
long long rt_now_ns(void);

/* Wait up to @ms for child @pid; its wait status, or -1 (then it has been
 * killed and reaped). */
int rt_wait_child(pid_t pid, int ms);

/* FL_LONGTERM leases /proc/locks shows on @fd's inode, or -1. */
int rt_longterm_leases(int fd);

/* Wait up to @ms for an async event of @ctx; 1 if one was read into @ev. */
int rt_get_event(struct ibv_context *ctx, struct ibv_async_event *ev, int ms);
/*
 * One async event within @ms, acked at once (a read, unacked event would
 * make ibv_dereg_mr() of its MR wait): 1 with its type and MR, 0 if none.
 */
int rt_next_event(struct ibv_context *ctx, int ms, enum ibv_event_type *type,
		  struct ibv_mr **mr);
/* SIGIO (blocked by the caller) if it arrives within @ms, else -1. */
int rt_wait_sigio(int ms, siginfo_t *si);
/* system(@cmd): its exit status, -1 if it did not exit. */
int rt_sh(const char *cmd);

/* Small files of /proc, /sys and debugfs: 0, or -1 with errno. */
int rt_read_int(const char *path, int *val);
/* The first line of @path, without its newline. */
int rt_read_str(const char *path, char *buf, size_t size);
int rt_write_str(const char *path, const char *val);
int rt_write_int(const char *path, int val);

/*
 * The extents of @fd (FIEMAP, synced), at most @max of them copied to @ext
 * unless it is NULL: their number, or -1.
 */
struct fiemap_extent;
int rt_extents(int fd, struct fiemap_extent *ext, int max);

/* VmPin of this process in kB (the mm's pinned_vm), or -1. */
long rt_vm_pin_kb(void);

/* Fill / check a pattern derived from @seed. rt_check returns the first
 * mismatching offset or -1. */
void rt_fill(void *buf, size_t len, uint32_t seed);
/*
 * Write @len bytes of rt_fill(@seed) into the empty file @fd so that it
 * has many extents: half the file written at once, then a range of
 * @piece bytes inserted after every other piece and written (the blocks
 * right after each piece are taken by the shifted rest, so every inserted
 * piece gets blocks of its own elsewhere; interleaving writes with
 * another file is not reliable: xfs may give the two files different
 * parts of the AG). 0 or -1 with errno.
 */
int rt_fragment(int fd, size_t len, size_t piece, uint32_t seed);
long rt_check(const void *buf, size_t len, uint32_t seed);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * A registration stuck while it pins does not hold off a layout change
 * (issue 25, item 1; invariant I2).
 *
 * One ibv_reg_mr() over 1 MiB of an ext4 DAX file F followed by 2 MiB of
 * a mapping G whose first fault blocks for as long as somebody wants:
 *
 *   fsfreeze     G is a fresh xfs DAX file, MAP_SHARED, its file system
 *                frozen (FIFREEZE): the write fault waits for the thaw.
 *   fuse         G is a file of a FUSE mount, MAP_PRIVATE (a shared
 *                writable one is refused before any fault), whose daemon
 *                never answers FUSE_READ: the fault waits until the
 *                connection is aborted (the daemon is killed). An
 *                unprivileged user can do this through fusermount.
 *   userfaultfd  G is anonymous, registered with userfaultfd for missing
 *                pages, and nobody reads the uffd.
 *
 * The registration takes F's lease, pins F's pages and blocks in G's
 * fault. The registration starts 1 MiB into F, so that its first chunk of
 * 512 pages would straddle F and G: the pins of F must not hide in a GUP
 * call blocked in G. A truncate of F from another process must then end
 * within fs.lease-break-time plus a margin, not much earlier (the stuck
 * registration really held F), while the registration is still stuck;
 * when the stall ends, the registration fails (EAGAIN for the freeze) or,
 * should it succeed, its MR is revoked; and nothing stays pinned or
 * leased.
 *
 * Before the fix, the revoke work skipped a umem that had no revoke
 * callback yet ("still being registered"), and a GUP call could hold pins
 * of F while it waited in G: the fsfreeze and fuse variants fail with
 * "the truncate still waits after 4000 ms" (it ends only after the thaw or
 * the abort, which the test does itself after the bound).
 *
 * The userfaultfd variant is a guard: pin_user_pages_leased() faults with
 * the mmap_lock held and without FAULT_FLAG_ALLOW_RETRY, so
 * handle_userfault() answers SIGBUS and the registration fails at once
 * with EFAULT, before and after the fix. Should leased GUP ever wait for a
 * uffd handler, the same bounds apply; closing the uffd ends the stall.
 *
 * Every wait here is bounded; a watchdog process thaws the xfs mount
 * after WATCHDOG_S whatever happens to this one, so that no task stays in
 * D state long enough for the hung task detector.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/fuse.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#define MAPLEN		(2UL << 20)	/* each of F and G */
#define REG_OFF		(1UL << 20)	/* the MR starts there in F */
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE)
#define BREAK_S		2		/* fs.lease-break-time here */
#define MARGIN_MS	2000		/* for the revoke of a pinning umem */
#define STUCK_MS	10000		/* to see the registration stuck */
#define RESULT_MS	10000		/* for a process to answer */
#define WATCHDOG_S	25		/* under the 30 s of the hung task check */
#define TIMEOUT		120		/* s, per test */
#define BREAK_TIME_SYSCTL "/proc/sys/fs/lease-break-time"
#define FUSE_MNT	"/tmp/stuck-reg-fuse"
#define FUSE_FILE	FUSE_MNT "/g"

enum stall { STALL_FREEZE, STALL_FUSE, STALL_UFFD };

/* What the registering process reports. */
struct reg_result {
	int stage;	/* 0: registered or failed; >0: setup step failed */
	int ret;	/* 0: ibv_reg_mr() returned an MR, -1: it failed */
	int err;	/* its errno */
	int revoked;	/* an MR got IBV_EVENT_MR_REVOKED */
	long pin0;	/* VmPin before the registration, kB */
	long pin1;	/* VmPin after it (and after the revoke) */
	long ms;	/* how long ibv_reg_mr() took */
};

FIXTURE(stuck) {
	char path_f[64], path_g[64];
	int fd_f, fd_g;
	int xfs_fd;		/* the frozen mount, or -1 */
	bool frozen;
	pid_t watchdog;
	pid_t fuse_pid;		/* the FUSE daemon */
	bool fuse_mounted;
	int fuse_note[2];	/* the daemon says "a READ came" */
	int uffd;		/* the registering process's, passed over */
	int sock[2];
	pid_t reg_pid, trunc_pid;
	int go[2];		/* parent -> registering child */
	int res[2];		/* registering child -> parent */
	int saved_break_time;
};

FIXTURE_VARIANT(stuck) {
	enum stall stall;
};

FIXTURE_VARIANT_ADD(stuck, fsfreeze) { .stall = STALL_FREEZE };
FIXTURE_VARIANT_ADD(stuck, fuse) { .stall = STALL_FUSE };
FIXTURE_VARIANT_ADD(stuck, userfaultfd) { .stall = STALL_UFFD };

/* Create @dir/@name of @len allocated bytes: its fd or -1. */
static int mkfile(const char *dir, const char *name, size_t len, char *path,
		  size_t plen)
{
	int fd;

	snprintf(path, plen, "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	if (fallocate(fd, 0, 0, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait up to @ms for @fd to be readable, then read @len bytes. */
static int read_ms(int fd, void *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return read(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

/* Reap @pid if it ends within @ms: its wait status, or -1 (left alone). */
static int reap_ms(pid_t pid, int ms)
{
	long end = rt_now_ms() + ms;
	int st;

	do {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(10000);
	} while (rt_now_ms() < end);
	return -1;
}

/* Kill @pid and reap it if it goes within @ms (not from D state). */
static void kill_reap(pid_t *pid, int ms)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	if (reap_ms(*pid, ms) != -1)
		*pid = 0;
}

/* The state letter of @pid in /proc/PID/stat, or 0. */
static char task_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* ---- a FUSE daemon that answers everything but FUSE_READ ---- */

static void fuse_reply(int fd, uint64_t unique, int error, const void *arg,
		       size_t len)
{
	struct fuse_out_header h = {
		.len = sizeof(h) + (error ? 0 : len),
		.error = error,
		.unique = unique,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)arg, .iov_len = error ? 0 : len },
	};

	if (writev(fd, iov, 2) < 0) {
		/* the kernel gave up on the request: nothing to do */
	}
}

static void fuse_fill_attr(struct fuse_attr *a, uint64_t nodeid)
{
	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->blksize = 4096;
	if (nodeid == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	} else {
		a->mode = S_IFREG | 0644;
		a->nlink = 1;
		a->size = MAPLEN;
		a->blocks = MAPLEN / 512;
	}
}

static void __attribute__((noreturn)) fuse_daemon(int fd, int note)
{
	static char buf[FUSE_MIN_READ_BUFFER + (128 << 10)];
	struct fuse_in_header *in = (void *)buf;
	void *arg = buf + sizeof(*in);
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == ENOENT || errno == EINTR))
			continue;
		if (n < (ssize_t)sizeof(*in))
			_exit(0);	/* unmounted or aborted */
		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_in *ii = arg;
			struct fuse_init_out o = {
				.major = FUSE_KERNEL_VERSION,
				.minor = ii->minor < FUSE_KERNEL_MINOR_VERSION ?
					 ii->minor : FUSE_KERNEL_MINOR_VERSION,
				.max_readahead = ii->max_readahead,
				.max_write = 4096,
				.time_gran = 1,
			};

			fuse_reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out o = {
				.nodeid = 2,
				.entry_valid = 3600,
				.attr_valid = 3600,
			};

			if (in->nodeid != FUSE_ROOT_ID || strcmp(arg, "g")) {
				fuse_reply(fd, in->unique, -ENOENT, NULL, 0);
				break;
			}
			fuse_fill_attr(&o.attr, 2);
			fuse_reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out o = { .attr_valid = 3600 };

			fuse_fill_attr(&o.attr, in->nodeid);
			fuse_reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out o = { .fh = 1 };

			fuse_reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READ:
			/* Never answered: the fault waits. */
			if (write(note, "r", 1) < 0) {
				/* the parent is gone or does not listen */
			}
			break;
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
		case FUSE_DESTROY:
			fuse_reply(fd, in->unique, 0, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;		/* no reply */
		default:
			fuse_reply(fd, in->unique, -ENOSYS, NULL, 0);
			break;
		}
	}
}

/* Mount FUSE_MNT with a daemon of its own; 0, or -errno (then SKIP). */
static int fuse_start(FIXTURE_DATA(stuck) *self)
{
	char opts[128];
	int fd;

	if (mkdir(FUSE_MNT, 0755) && errno != EEXIST)
		return -errno;
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (mount("stuck-reg", FUSE_MNT, "fuse", MS_NOSUID | MS_NODEV,
		  opts)) {
		int err = -errno;

		close(fd);
		return err;
	}
	self->fuse_mounted = true;
	if (pipe2(self->fuse_note, O_NONBLOCK | O_CLOEXEC)) {
		close(fd);
		return -errno;
	}
	self->fuse_pid = fork();
	if (self->fuse_pid == 0)
		fuse_daemon(fd, self->fuse_note[1]);
	/* The daemon holds the only /dev/fuse fd: killing it aborts. */
	close(fd);
	close(self->fuse_note[1]);
	self->fuse_note[1] = -1;
	return self->fuse_pid < 0 ? -errno : 0;
}

static bool fuse_saw_read(FIXTURE_DATA(stuck) *self)
{
	char b;

	return self->fuse_note[0] >= 0 && read(self->fuse_note[0], &b, 1) == 1;
}

/* Hand @fd over @sock (SCM_RIGHTS). */
static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char b = 'u';
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock, int ms)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct pollfd p = { .fd = sock, .events = POLLIN };
	char b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (poll(&p, 1, ms) != 1 || recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/*
 * The registering process: map F and right after it G, wait for the go,
 * register [F + REG_OFF, G end), report, and wait for the parent before it
 * exits (so that the parent sees what the failed registration itself
 * left behind, not what the exit cleans up).
 */
static void __attribute__((noreturn))
reg_child(const FIXTURE_VARIANT(stuck) *variant, FIXTURE_DATA(stuck) *self)
{
	struct reg_result r = { .stage = 1 };
	struct ibv_async_event ev;
	struct ibv_mr *mr = NULL;
	char *raw, *base, b;
	struct rt rt;
	long t;
	int fd;

	close(self->go[1]);
	close(self->res[0]);
	if (rt_open(&rt))
		goto report;
	r.stage++;
	/* 2 MiB aligned, F then G, nothing between. */
	raw = mmap(NULL, 3 * MAPLEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (raw == MAP_FAILED)
		goto report;
	base = (char *)(((uintptr_t)raw + MAPLEN - 1) & ~(MAPLEN - 1));
	if (mmap(base, MAPLEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 self->fd_f, 0) == MAP_FAILED)
		goto report;
	r.stage++;
	switch (variant->stall) {
	case STALL_FREEZE:
		if (mmap(base + MAPLEN, MAPLEN, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, self->fd_g, 0) == MAP_FAILED)
			goto report;
		break;
	case STALL_FUSE:
		fd = open(FUSE_FILE, O_RDONLY);
		if (fd < 0 ||
		    mmap(base + MAPLEN, MAPLEN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED)
			goto report;
		close(fd);
		break;
	case STALL_UFFD: {
		struct uffdio_api api = { .api = UFFD_API };
		struct uffdio_register reg = {
			.range = { .start = (uintptr_t)base + MAPLEN,
				   .len = MAPLEN },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		if (mmap(base + MAPLEN, MAPLEN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED)
			goto report;
		/* Kernel faults too: not UFFD_USER_MODE_ONLY. */
		fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
		if (fd < 0 || ioctl(fd, UFFDIO_API, &api) ||
		    ioctl(fd, UFFDIO_REGISTER, &reg))
			goto report;
		/* The parent holds the only reference; it ends the stall. */
		if (send_fd(self->sock[1], fd))
			goto report;
		close(fd);
		break;
	}
	}
	r.stage++;
	if (write(self->res[1], "m", 1) != 1 ||
	    read(self->go[0], &b, 1) != 1)
		goto report;
	r.stage = 0;
	r.pin0 = rt_vm_pin_kb();
	t = rt_now_ms();
	mr = ibv_reg_mr(rt.pd, base + REG_OFF, 2 * MAPLEN - REG_OFF, ACCESS);
	r.err = errno;
	r.ms = rt_now_ms() - t;
	r.ret = mr ? 0 : -1;
	if (mr && rt_get_event(rt.ctx, &ev, RESULT_MS)) {
		r.revoked = ev.event_type == IBV_EVENT_MR_REVOKED &&
			    ev.element.mr == mr;
		ibv_ack_async_event(&ev);
	}
	r.pin1 = rt_vm_pin_kb();
report:
	if (r.stage)
		r.err = errno;
	if (write(self->res[1], &r, sizeof(r)) != sizeof(r))
		_exit(1);
	/* Until the parent has looked (or is gone). */
	if (read(self->go[0], &b, 1) < 0)
		_exit(1);
	if (mr)
		ibv_dereg_mr(mr);
	_exit(0);
}

/*
 * A failed or skipped setup gets no teardown: what may skip comes first,
 * the sysctl last.
 */
FIXTURE_SETUP(stuck)
{
	int ret;

	self->fd_f = self->fd_g = self->xfs_fd = self->uffd = -1;
	self->fuse_note[0] = self->fuse_note[1] = -1;
	self->sock[0] = self->sock[1] = -1;
	self->go[0] = self->go[1] = self->res[0] = self->res[1] = -1;
	self->saved_break_time = -1;
	switch (variant->stall) {
	case STALL_FREEZE:
		break;
	case STALL_FUSE:
		ret = open("/dev/fuse", O_RDWR | O_CLOEXEC);
		if (ret < 0 && (errno == ENOENT || errno == ENODEV ||
				errno == ENXIO))
			SKIP(return, "no FUSE (CONFIG_FUSE_FS)");
		ASSERT_LE(0, ret) TH_LOG("/dev/fuse: %s", strerror(errno));
		close(ret);
		break;
	case STALL_UFFD:
		ret = syscall(SYS_userfaultfd, O_CLOEXEC);
		if (ret < 0 && errno == ENOSYS)
			SKIP(return, "no userfaultfd (CONFIG_USERFAULTFD)");
		ASSERT_LE(0, ret) TH_LOG("userfaultfd: %s", strerror(errno));
		close(ret);
		break;
	}

	self->fd_f = mkfile(RT_EXT4, "stuck-reg-f", MAPLEN, self->path_f,
			    sizeof(self->path_f));
	ASSERT_LE(0, self->fd_f);
	ASSERT_EQ(1, rt_is_dax(self->path_f));
	switch (variant->stall) {
	case STALL_FREEZE:
		/* Fresh: its first write fault needs the file system. */
		self->fd_g = mkfile(RT_XFS, "stuck-reg-g", MAPLEN,
				    self->path_g, sizeof(self->path_g));
		ASSERT_LE(0, self->fd_g);
		ASSERT_EQ(1, rt_is_dax(self->path_g));
		ASSERT_EQ(0, fsync(self->fd_g));
		self->xfs_fd = open(RT_XFS, O_RDONLY | O_DIRECTORY);
		ASSERT_LE(0, self->xfs_fd);
		break;
	case STALL_FUSE:
		ret = fuse_start(self);
		ASSERT_EQ(0, ret) TH_LOG("FUSE mount: %s", strerror(-ret));
		break;
	case STALL_UFFD:
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
					self->sock));
		break;
	}
	ASSERT_EQ(0, pipe2(self->go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(self->res, O_CLOEXEC));
	ASSERT_EQ(0, rt_read_int(BREAK_TIME_SYSCTL, &self->saved_break_time));
	ASSERT_EQ(0, rt_write_int(BREAK_TIME_SYSCTL, BREAK_S));
}

FIXTURE_TEARDOWN(stuck)
{
	/* First whatever keeps a task stuck, also after a failed check. */
	if (self->frozen && !ioctl(self->xfs_fd, FITHAW, 0))
		self->frozen = false;
	kill_reap(&self->watchdog, RESULT_MS);
	kill_reap(&self->fuse_pid, RESULT_MS);
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->go[1] >= 0)
		close(self->go[1]);	/* the registering child may exit */
	if (self->reg_pid > 0 && reap_ms(self->reg_pid, RESULT_MS) == -1)
		kill_reap(&self->reg_pid, RESULT_MS);
	kill_reap(&self->trunc_pid, RESULT_MS);
	if (self->fuse_mounted)
		umount2(FUSE_MNT, MNT_DETACH);
	if (self->saved_break_time > 0)
		rt_write_int(BREAK_TIME_SYSCTL, self->saved_break_time);
	if (self->fd_f >= 0) {
		close(self->fd_f);
		unlink(self->path_f);
	}
	if (self->fd_g >= 0) {
		close(self->fd_g);
		unlink(self->path_g);
	}
	if (self->xfs_fd >= 0)
		close(self->xfs_fd);
	if (self->fuse_note[0] >= 0)
		close(self->fuse_note[0]);
	if (self->sock[0] >= 0)
		close(self->sock[0]);
	if (self->sock[1] >= 0)
		close(self->sock[1]);
	if (self->go[0] >= 0)
		close(self->go[0]);
	if (self->res[0] >= 0)
		close(self->res[0]);
	if (self->res[1] >= 0)
		close(self->res[1]);
}

/* Start the stall: freeze xfs, with a watchdog that thaws it anyway. */
static int stall_start(const FIXTURE_VARIANT(stuck) *variant,
		       FIXTURE_DATA(stuck) *self)
{
	if (variant->stall != STALL_FREEZE)
		return 0;
	self->watchdog = fork();
	if (self->watchdog < 0)
		return -1;
	if (self->watchdog == 0) {
		/* Holding nothing else: a closed pipe must mean EOF. */
		close(self->go[1]);
		close(self->res[0]);
		sleep(WATCHDOG_S);
		ioctl(self->xfs_fd, FITHAW, 0);
		_exit(0);
	}
	if (ioctl(self->xfs_fd, FIFREEZE, 0))
		return -1;
	self->frozen = true;
	return 0;
}

/* End the stall: thaw, abort the FUSE connection, close the uffd. */
static void stall_end(struct __test_metadata *_metadata,
		      const FIXTURE_VARIANT(stuck) *variant,
		      FIXTURE_DATA(stuck) *self)
{
	switch (variant->stall) {
	case STALL_FREEZE:
		if (self->frozen) {
			EXPECT_EQ(0, ioctl(self->xfs_fd, FITHAW, 0));
			self->frozen = false;
		}
		break;
	case STALL_FUSE:
		kill_reap(&self->fuse_pid, RESULT_MS);
		EXPECT_EQ(0, self->fuse_pid);
		break;
	case STALL_UFFD:
		if (self->uffd >= 0)
			close(self->uffd);
		self->uffd = -1;
		break;
	}
}

/*
 * Whether the registration is stuck in G: F's lease is there and the
 * process waits (D state for the freeze; the daemon got the READ for
 * FUSE; asleep for userfaultfd).
 */
static bool reg_waits(const FIXTURE_VARIANT(stuck) *variant,
		      FIXTURE_DATA(stuck) *self, bool *fuse_read)
{
	char st = task_state(self->reg_pid);

	if (fuse_saw_read(self))
		*fuse_read = true;
	if (rt_longterm_leases(self->fd_f) < 1)
		return false;
	switch (variant->stall) {
	case STALL_FREEZE:
		return st == 'D';
	case STALL_FUSE:
		return *fuse_read && (st == 'D' || st == 'S');
	case STALL_UFFD:
		return st == 'D' || st == 'S';
	}
	return false;
}

TEST_F_TIMEOUT(stuck, layout_change_does_not_wait, TIMEOUT)
{
	struct pollfd res = { .events = POLLIN };
	struct reg_result r = { .stage = -1 };
	bool fuse_read = false, early = false;
	long t0, done = 0, end;
	int calm = 0, st;
	char b;

	self->reg_pid = fork();
	ASSERT_LE(0, self->reg_pid);
	if (self->reg_pid == 0)
		reg_child(variant, self);
	close(self->go[0]);
	self->go[0] = -1;
	close(self->res[1]);
	self->res[1] = -1;
	res.fd = self->res[0];
	if (variant->stall == STALL_UFFD) {
		self->uffd = recv_fd(self->sock[0], RESULT_MS);
		ASSERT_LE(0, self->uffd) TH_LOG("no uffd from the child");
	}
	/* Mapped: stall G, then let the registration go. */
	ASSERT_EQ(0, read_ms(self->res[0], &b, 1, RESULT_MS))
		TH_LOG("the registering child did not get ready");
	ASSERT_EQ(0, stall_start(variant, self));
	ASSERT_EQ(1, write(self->go[1], "g", 1));

	/* Until it holds F's lease and waits in G, or has returned. */
	end = rt_now_ms() + STUCK_MS;
	while (rt_now_ms() < end && calm < 3) {
		if (poll(&res, 1, 0) == 1) {
			early = true;
			break;
		}
		calm = reg_waits(variant, self, &fuse_read) ? calm + 1 : 0;
		usleep(100000);
	}
	if (early) {
		ASSERT_EQ(0, read_ms(self->res[0], &r, sizeof(r), RESULT_MS));
		ASSERT_EQ(0, r.stage) TH_LOG("setup step %d: %s", r.stage,
					     strerror(r.err));
		/* Only leased GUP's answer to a uffd is expected here. */
		ASSERT_EQ(STALL_UFFD, variant->stall)
			TH_LOG("the registration did not stall: %s after %ld ms",
			       r.ret ? strerror(r.err) : "registered", r.ms);
		EXPECT_EQ(-1, r.ret);
		EXPECT_EQ(EFAULT, r.err);
		TH_LOG("leased GUP does not wait for the uffd: %s after %ld ms",
		       strerror(r.err), r.ms);
	} else {
		ASSERT_EQ(3, calm)
			TH_LOG("not stuck in G after %d ms (leases %d, state %c, FUSE read %d)",
			       STUCK_MS,
			       rt_longterm_leases(self->fd_f),
			       task_state(self->reg_pid), fuse_read);
	}

	/* The layout change of F, from another process. */
	t0 = rt_now_ms();
	self->trunc_pid = fork();
	ASSERT_LE(0, self->trunc_pid);
	if (self->trunc_pid == 0)
		_exit(ftruncate(self->fd_f, 0) ? 1 : 0);
	st = reap_ms(self->trunc_pid, BREAK_S * 1000 + MARGIN_MS);
	if (st != -1) {
		done = rt_now_ms();
		self->trunc_pid = 0;
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		/* The stuck registration held it until the revoke. */
		if (!early)
			EXPECT_LE(t0 + (BREAK_S - 1) * 1000, done)
				TH_LOG("the truncate took %ld ms", done - t0);
	}
	EXPECT_NE(-1, st) TH_LOG("the truncate still waits after %d ms",
				 BREAK_S * 1000 + MARGIN_MS);
	/* The registration did not move meanwhile. */
	if (!early)
		EXPECT_EQ(0, poll(&res, 1, 0));

	/* Let the registration go on: it must fail, or its MR be revoked. */
	stall_end(_metadata, variant, self);
	if (!early) {
		ASSERT_EQ(0, read_ms(self->res[0], &r, sizeof(r), RESULT_MS))
			TH_LOG("the registration did not return");
		ASSERT_EQ(0, r.stage) TH_LOG("setup step %d: %s", r.stage,
					     strerror(r.err));
		if (r.ret == 0) {
			EXPECT_TRUE(r.revoked) TH_LOG("registered, not revoked");
		} else if (variant->stall == STALL_FREEZE) {
			EXPECT_EQ(EAGAIN, r.err) TH_LOG("%s", strerror(r.err));
		} else {
			/* An aborted FUSE read fails GUP itself. */
			EXPECT_TRUE(r.err == EAGAIN || r.err == EFAULT)
				TH_LOG("%s", strerror(r.err));
		}
	}
	EXPECT_EQ(r.pin0, r.pin1);
	EXPECT_EQ(0, rt_longterm_leases(self->fd_f));
	if (self->fd_g >= 0)
		EXPECT_EQ(0, rt_longterm_leases(self->fd_g));

	/* A truncate that waited for the end of the stall ends now. */
	if (self->trunc_pid > 0) {
		st = reap_ms(self->trunc_pid, RESULT_MS);
		if (st != -1)
			self->trunc_pid = 0;
		TH_LOG("the truncate %s %ld ms after it began",
		       st != -1 ? "ended" : "still waited", rt_now_ms() - t0);
	}

	/* Let the registering child exit. */
	EXPECT_EQ(1, write(self->go[1], "q", 1));
	st = reap_ms(self->reg_pid, RESULT_MS);
	EXPECT_NE(-1, st);
	if (st != -1) {
		self->reg_pid = 0;
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

TEST_HARNESS_MAIN

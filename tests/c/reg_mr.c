// SPDX-License-Identifier: GPL-2.0
/*
 * ibv_reg_mr() over each kind of memory, and RDMA WRITE / READ between two
 * RC QPs through the MR, checked through the file itself.
 *
 * What stock 7.3 (like 6.12) does, and what must not change for non-DAX memory (I7):
 * anonymous memory and tmpfs register either way; a page cache file
 * (non-DAX ext4) registers read-only, while a writable long-term pin of it
 * is refused with EFAULT (mm/gup: writable_file_mapping_allowed()).
 *
 * On FS-DAX, stock 7.3 refuses any registration with EOPNOTSUPP; the
 * kernel with the series must accept it and move the data. Which one is
 * expected follows the running kernel (rt_kernel_has_series()), so this
 * test turns from "records EOPNOTSUPP" into the real success test when
 * the series lands, and fails in both worlds if the behaviour is wrong.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#define LEN	(2UL << 20)
#define ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		 IBV_ACCESS_REMOTE_READ)

FIXTURE(mem) {
	struct rt rt;
	void *buf, *local;
	char path[64];
	int fd;
	struct ibv_mr *lmr;
};

FIXTURE_VARIANT(mem) {
	const char *dir;	/* NULL: anonymous memory */
	bool dax;
	int rw_errno;		/* a writable MR fails with this (0: works) */
};

FIXTURE_VARIANT_ADD(mem, anon) { .dir = NULL };
FIXTURE_VARIANT_ADD(mem, tmpfs) { .dir = RT_TMPFS };
FIXTURE_VARIANT_ADD(mem, ext4_nodax) { .dir = RT_NODAX, .rw_errno = EFAULT };
FIXTURE_VARIANT_ADD(mem, ext4_dax) { .dir = RT_EXT4, .dax = true };
FIXTURE_VARIANT_ADD(mem, xfs_dax) { .dir = RT_XFS, .dax = true };

FIXTURE_SETUP(mem)
{
	self->fd = -1;
	ASSERT_EQ(0, rt_open(&self->rt));
	if (variant->dir) {
		snprintf(self->path, sizeof(self->path), "%s/reg_mr",
			 variant->dir);
		self->buf = rt_map_file(variant->dir, "reg_mr", LEN, &self->fd);
		ASSERT_NE(NULL, self->buf);
		ASSERT_EQ(variant->dax, rt_is_dax(self->path));
	} else {
		self->buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, self->buf);
	}
	self->local = aligned_alloc(4096, LEN);
	ASSERT_NE(NULL, self->local);
	self->lmr = ibv_reg_mr(self->rt.pd, self->local, LEN, ACCESS);
	ASSERT_NE(NULL, self->lmr);
}

FIXTURE_TEARDOWN(mem)
{
	if (self->lmr)
		ibv_dereg_mr(self->lmr);
	free(self->local);
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, LEN);
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->path);
	}
	rt_close(&self->rt);
}

/*
 * Register with @access and check the outcome against what this kernel
 * must do; NULL when the registration was (rightly) refused.
 */
static struct ibv_mr *reg(struct __test_metadata *_metadata,
			  FIXTURE_DATA(mem) *self,
			  const FIXTURE_VARIANT(mem) *variant, int access)
{
	struct ibv_mr *mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, access);
	int want = 0;

	if (variant->dax && !rt_kernel_has_series())
		want = EOPNOTSUPP;	/* stock: no long-term FS-DAX pins */
	else if (access & IBV_ACCESS_LOCAL_WRITE)
		want = variant->rw_errno;
	if (want) {
		EXPECT_EQ(NULL, mr);
		EXPECT_EQ(want, errno);
		if (mr)
			ibv_dereg_mr(mr);
		return NULL;
	}
	EXPECT_NE(NULL, mr) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	return mr;
}

/* The target's bytes the way a user sees them: read(2) for a file. */
static ssize_t target_bytes(FIXTURE_DATA(mem) *self, void *dst)
{
	if (self->fd >= 0)
		return pread(self->fd, dst, LEN, 0);
	memcpy(dst, self->buf, LEN);
	return LEN;
}

TEST_F(mem, write_read)
{
	struct ibv_mr *mr = reg(_metadata, self, variant, ACCESS);
	void *copy;

	if (!mr)
		return;

	/* qp[0] writes the local pattern into the MR; qp[1] is the target. */
	rt_fill(self->local, LEN, 1);
	ASSERT_EQ(IBV_WC_SUCCESS, rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE,
					  self->lmr, self->local, LEN,
					  (uintptr_t)self->buf, mr->rkey));
	copy = malloc(LEN);
	ASSERT_NE(NULL, copy);
	ASSERT_EQ(LEN, target_bytes(self, copy));
	EXPECT_EQ(-1, rt_check(copy, LEN, 1));
	free(copy);

	/* A new pattern written through the mapping comes back by READ. */
	rt_fill(self->buf, LEN, 2);
	memset(self->local, 0, LEN);
	ASSERT_EQ(IBV_WC_SUCCESS, rt_rdma(&self->rt, 0, IBV_WR_RDMA_READ,
					  self->lmr, self->local, LEN,
					  (uintptr_t)self->buf, mr->rkey));
	EXPECT_EQ(-1, rt_check(self->local, LEN, 2));
	EXPECT_EQ(0, ibv_dereg_mr(mr));
}

TEST_F(mem, read_only)
{
	struct ibv_mr *mr;

	/* The content is written before the registration, through write(2)
	 * for files, so a READ through the MR must return the file's bytes.
	 */
	rt_fill(self->local, LEN, 3);
	if (self->fd >= 0) {
		ASSERT_EQ(LEN, pwrite(self->fd, self->local, LEN, 0));
	} else {
		memcpy(self->buf, self->local, LEN);
	}
	mr = reg(_metadata, self, variant, IBV_ACCESS_REMOTE_READ);
	if (!mr)
		return;
	memset(self->local, 0, LEN);
	ASSERT_EQ(IBV_WC_SUCCESS, rt_rdma(&self->rt, 0, IBV_WR_RDMA_READ,
					  self->lmr, self->local, LEN,
					  (uintptr_t)self->buf, mr->rkey));
	EXPECT_EQ(-1, rt_check(self->local, LEN, 3));
	EXPECT_EQ(0, ibv_dereg_mr(mr));
}

TEST_HARNESS_MAIN

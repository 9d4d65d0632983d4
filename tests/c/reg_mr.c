// SPDX-License-Identifier: GPL-2.0
/*
 * ibv_reg_mr() over each kind of memory, and an RDMA WRITE then READ
 * between two RC QPs through the MR, checked through the file itself.
 *
 * On FS-DAX, stock 6.12 refuses the registration with EOPNOTSUPP; the
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
};

FIXTURE_VARIANT_ADD(mem, anon) { .dir = NULL };
FIXTURE_VARIANT_ADD(mem, tmpfs) { .dir = RT_TMPFS };
FIXTURE_VARIANT_ADD(mem, ext4_nodax) { .dir = RT_NODAX };
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
		ASSERT_EQ(variant->dax, rt_is_dax(self->path));
	} else
		self->buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(MAP_FAILED, self->buf);
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

/* Read the target back the way a user would: read(2) for a file. */
static void target_bytes(FIXTURE_DATA(mem) *self, void *dst)
{
	if (self->fd >= 0)
		pread(self->fd, dst, LEN, 0);
	else
		memcpy(dst, self->buf, LEN);
}

TEST_F(mem, write_read)
{
	struct ibv_mr *mr;
	void *copy;

	mr = ibv_reg_mr(self->rt.pd, self->buf, LEN, ACCESS);
	if (variant->dax && !rt_kernel_has_series()) {
		/* Stock 6.12: long-term pins of FS-DAX pages are refused. */
		ASSERT_EQ(NULL, mr);
		ASSERT_EQ(EOPNOTSUPP, errno);
		return;
	}
	ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr: %s", strerror(errno));

	/* qp[0] writes the local pattern into the MR; qp[1] is the target. */
	rt_fill(self->local, LEN, 1);
	ASSERT_EQ(IBV_WC_SUCCESS, rt_rdma(&self->rt, 0, IBV_WR_RDMA_WRITE,
					  self->lmr, self->local, LEN,
					  (uintptr_t)self->buf, mr->rkey));
	copy = malloc(LEN);
	ASSERT_NE(NULL, copy);
	target_bytes(self, copy);
	EXPECT_EQ(-1, rt_check(copy, LEN, 1));

	/* A new pattern written through the mapping comes back by READ. */
	rt_fill(self->buf, LEN, 2);
	memset(self->local, 0, LEN);
	ASSERT_EQ(IBV_WC_SUCCESS, rt_rdma(&self->rt, 0, IBV_WR_RDMA_READ,
					  self->lmr, self->local, LEN,
					  (uintptr_t)self->buf, mr->rkey));
	EXPECT_EQ(-1, rt_check(self->local, LEN, 2));
	free(copy);
	EXPECT_EQ(0, ibv_dereg_mr(mr));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * The test bed itself: rxe0 is up and the pmem mounts really are DAX (and
 * the non-DAX mount really is not), so that every other test means what it
 * says.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

TEST(rxe0_active)
{
	struct ibv_port_attr pa;
	struct rt rt;

	ASSERT_EQ(0, rt_open(&rt));
	ASSERT_EQ(0, ibv_query_port(rt.ctx, 1, &pa));
	EXPECT_EQ(IBV_PORT_ACTIVE, pa.state);
	EXPECT_GE(rt.gid_index, 0);
	rt_close(&rt);
}

static void check_dax(struct __test_metadata *_metadata, const char *dir,
		      int want)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/dax-probe", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fallocate(fd, 0, 0, 1 << 21));
	EXPECT_EQ(want, rt_is_dax(path));
	close(fd);
	unlink(path);
}

TEST(ext4_is_dax)
{
	check_dax(_metadata, RT_EXT4, 1);
}

TEST(xfs_is_dax)
{
	check_dax(_metadata, RT_XFS, 1);
}

TEST(nodax_is_not_dax)
{
	check_dax(_metadata, RT_NODAX, 0);
}

TEST_HARNESS_MAIN

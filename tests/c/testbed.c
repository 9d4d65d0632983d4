// SPDX-License-Identifier: GPL-2.0
/*
 * The test bed itself: rxe0 is up, the pmem is persistent memory to the
 * kernel (NVDIMMs on an ACPI NFIT bus, fsdax namespaces, no legacy memmap=
 * ranges), and the pmem mounts really are DAX (and the non-DAX mount
 * really is not), so that every other test means what it says.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

/* The first line of @path, without its newline, into @buf. */
static int first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

TEST(pmem_is_nfit_persistent_memory)
{
	char line[256], path[128];
	int i, nfit = 0, legacy = 0;
	FILE *f;

	/* /proc/iomem: "Persistent Memory", never "(legacy)". */
	f = fopen("/proc/iomem", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "Persistent Memory (legacy)"))
			legacy++;
		else if (strstr(line, "Persistent Memory"))
			nfit++;
	}
	fclose(f);
	EXPECT_EQ(0, legacy);
	EXPECT_LE(3, nfit);
	ASSERT_EQ(0, first_line("/sys/bus/nd/devices/ndbus0/provider", line,
				sizeof(line)));
	EXPECT_EQ(0, strcmp(line, "ACPI.NFIT")) TH_LOG("provider %s", line);
	/* pmem0..2 are fsdax namespaces: mode "memory" to the kernel. */
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path),
			 "/sys/bus/nd/devices/namespace%d.0/mode", i);
		ASSERT_EQ(0, first_line(path, line, sizeof(line)));
		EXPECT_EQ(0, strcmp(line, "memory")) TH_LOG("%s: %s", path, line);
		/* safety.c's device removal test unbinds pmem2 */
		snprintf(path, sizeof(path), "/sys/block/pmem%d", i);
		if (i < 2)
			EXPECT_EQ(0, access(path, F_OK)) TH_LOG("no %s", path);
	}
}

TEST_HARNESS_MAIN

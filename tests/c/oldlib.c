// SPDX-License-Identifier: GPL-2.0
/*
 * An application on Debian's own libibverbs (rdma-core 44, which knows no
 * IBV_EVENT_MR_REVOKED) gets event 21 for its FS-DAX MR as an event number
 * it does not know, does not crash, and its dereg lets the truncate
 * complete (tests/lib/oldlib-helper.c, run with that library).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rdmatest.h"

#define DEBIAN_LIB	"/usr/lib/x86_64-linux-gnu/libibverbs.so.1"

TEST(old_libibverbs_gets_event_21)
{
	char helper[256], line[256];
	int status, got21 = 0, sys = 0;
	FILE *f;

	ASSERT_EQ(0, access(DEBIAN_LIB, R_OK)) TH_LOG("no Debian libibverbs1");
	snprintf(helper, sizeof(helper), "env -u LD_LIBRARY_PATH %s/oldlib-helper %s/oldlib 2>&1",
		 getenv("FSDAX_BIN"), RT_EXT4);
	f = popen(helper, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		TH_LOG("%s", strtok(line, "\n") ?: "");
		if (!strncmp(line, "libibverbs: /usr/lib/", 21) ||
		    !strncmp(line, "libibverbs: /lib/", 17))
			sys = 1;
		if (!strncmp(line, "event 21 ", 9))
			got21 = 1;
	}
	status = pclose(f);
	EXPECT_TRUE(sys) TH_LOG("the helper did not run on Debian's library");
	EXPECT_TRUE(got21);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("the helper crashed");
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN

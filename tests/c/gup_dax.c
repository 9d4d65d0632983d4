// SPDX-License-Identifier: GPL-2.0
/*
 * A long-term pin of FS-DAX pages by anybody but ib_core's lease path is
 * refused (I1), also when the caller picks its own GUP flags: the GUP test
 * module (CONFIG_GUP_TEST, /sys/kernel/debug/gup_test) pins with the flags
 * user space hands it, the way any in-kernel caller of pin_user_pages()
 * could.
 *
 * Each ioctl pins LEN bytes and reports in gup.size how far it got (it
 * stops at the first refused page and unpins before it returns). On a
 * shared mapping of an ext4 or xfs DAX file that must be 0 bytes, with no
 * lease taken and nothing left pinned, even while the process holds a user
 * F_LONGTERM lease on the file (that lease is the process's, not a
 * promise of the pinning caller). The same calls on anonymous memory and
 * on a private mapping of the same file (whose pins get anonymous copies)
 * pin everything: without those controls a test that never pinned would
 * pass too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "rdmatest.h"
#include "mm/gup_test.h"

#define LEN		(2UL << 20)
#define GUP_TEST_FILE	"/sys/kernel/debug/gup_test"
/* include/linux/mm_types.h, enum gup_flags */
#define FOLL_WRITE	(1 << 0)
#define FOLL_LONGTERM	(1 << 8)
#ifndef F_LONGTERM
#define F_LONGTERM	16	/* include/uapi/linux/fcntl.h, the series */
#endif

FIXTURE(gup) {
	int gup_fd, fd;
	char path[64];
	void *shared, *priv, *anon;
	long pin0;
};

FIXTURE_VARIANT(gup) {
	const char *dir;
};

FIXTURE_VARIANT_ADD(gup, ext4) { .dir = RT_EXT4 };
FIXTURE_VARIANT_ADD(gup, xfs) { .dir = RT_XFS };

FIXTURE_SETUP(gup)
{
	self->fd = -1;
	self->gup_fd = open(GUP_TEST_FILE, O_RDWR);
	ASSERT_LE(0, self->gup_fd)
		TH_LOG("%s: %s (CONFIG_GUP_TEST, debugfs)", GUP_TEST_FILE,
		       strerror(errno));
	self->shared = rt_map_file(variant->dir, "gup_dax", LEN, &self->fd);
	ASSERT_NE(NULL, self->shared);
	snprintf(self->path, sizeof(self->path), "%s/gup_dax", variant->dir);
	ASSERT_EQ(1, rt_is_dax(self->path));
	self->priv = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			  self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->priv);
	self->anon = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->anon);
	memset(self->anon, 1, LEN);
	self->pin0 = rt_vm_pin_kb();
	ASSERT_LE(0, self->pin0);
}

FIXTURE_TEARDOWN(gup)
{
	if (self->anon)
		munmap(self->anon, LEN);
	if (self->priv && self->priv != MAP_FAILED)
		munmap(self->priv, LEN);
	if (self->shared)
		munmap(self->shared, LEN);
	if (self->fd >= 0)
		close(self->fd);
	if (self->path[0])
		unlink(self->path);
	if (self->gup_fd >= 0)
		close(self->gup_fd);
}

/* The bytes @cmd with @flags pinned from @addr (-1: the ioctl failed). */
static long pinned(int gup_fd, unsigned long cmd, void *addr, unsigned int flags)
{
	struct gup_test gup = {
		.addr = (uintptr_t)addr,
		.size = LEN,
		.nr_pages_per_call = 64,
		.gup_flags = flags,
	};

	if (ioctl(gup_fd, cmd, &gup))
		return -1;
	return gup.size;
}

static const struct {
	const char *name;
	unsigned long cmd;
	unsigned int flags;
} calls[] = {
	/* pin_user_pages(FOLL_LONGTERM | FOLL_WRITE) */
	{ "PIN_LONGTERM_BENCHMARK", PIN_LONGTERM_BENCHMARK, FOLL_WRITE },
	{ "PIN_LONGTERM_BENCHMARK read", PIN_LONGTERM_BENCHMARK, 0 },
	/* The user's flags as they are: the slow and the fast path. */
	{ "PIN_BASIC_TEST", PIN_BASIC_TEST, FOLL_LONGTERM | FOLL_WRITE },
	{ "PIN_FAST_BENCHMARK", PIN_FAST_BENCHMARK, FOLL_LONGTERM | FOLL_WRITE },
};

static void refused_on_shared(struct __test_metadata *_metadata,
			      FIXTURE_DATA(gup) *self)
{
	unsigned int i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		EXPECT_EQ(0, pinned(self->gup_fd, calls[i].cmd, self->shared,
				    calls[i].flags))
			TH_LOG("%s pinned FS-DAX pages without ib_core's lease",
			       calls[i].name);
		EXPECT_EQ(self->pin0, rt_vm_pin_kb());
	}
}

TEST_F(gup, longterm_pin_of_shared_dax_refused)
{
	unsigned int i;

	/* The controls: the same calls pin all of anonymous memory... */
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		ASSERT_EQ((long)LEN, pinned(self->gup_fd, calls[i].cmd,
					    self->anon, calls[i].flags))
			TH_LOG("call %u on anonymous memory", i);
	/* ...and a private mapping of the DAX file gets copies. */
	ASSERT_EQ((long)LEN, pinned(self->gup_fd, PIN_LONGTERM_BENCHMARK,
				    self->priv, FOLL_WRITE));

	refused_on_shared(_metadata, self);
	/* No lease was taken on the caller's behalf. */
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

TEST_F(gup, user_lease_is_not_a_pin_permit)
{
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_LONGTERM))
		TH_LOG("F_SETLEASE F_LONGTERM: %s", strerror(errno));
	ASSERT_EQ(1, rt_longterm_leases(self->fd));
	refused_on_shared(_metadata, self);
	ASSERT_EQ(0, fcntl(self->fd, F_SETLEASE, F_UNLCK));
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

/*
 * No public GUP flag lets a caller claim a lease: FOLL_LONGTERM with any
 * bit that no public FOLL_* flag uses (bit 13 was the series' public
 * FOLL_LONGTERM_LEASE; bits 16-23 are internal, refused with a warning)
 * is refused on the shared DAX mapping as without it.
 */
TEST_F(gup, no_gup_flag_is_a_pin_permit)
{
	static const int bits[] = { 13, 14, 15, 24, 25, 26, 27, 28, 29, 30 };
	unsigned int i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		EXPECT_EQ(0, pinned(self->gup_fd, PIN_LONGTERM_BENCHMARK,
				    self->shared, FOLL_WRITE | (1U << bits[i])))
			TH_LOG("FOLL_LONGTERM | bit %d pinned the shared DAX mapping",
			       bits[i]);
		/* the control: the same flags pin anonymous memory */
		EXPECT_EQ((long)LEN, pinned(self->gup_fd,
					    PIN_LONGTERM_BENCHMARK, self->anon,
					    FOLL_WRITE | (1U << bits[i])));
	}
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
	EXPECT_EQ(0, rt_longterm_leases(self->fd));
}

/* A short pin (no FOLL_LONGTERM) of the same pages works as on stock. */
TEST_F(gup, short_term_pin_works)
{
	EXPECT_EQ((long)LEN, pinned(self->gup_fd, PIN_BASIC_TEST, self->shared,
				    FOLL_WRITE));
	EXPECT_EQ(self->pin0, rt_vm_pin_kb());
}

TEST_HARNESS_MAIN

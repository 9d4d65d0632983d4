// SPDX-License-Identifier: GPL-2.0
/*
 * Run by tests/c/oldlib.c with Debian's own libibverbs (rdma-core 44,
 * which knows no IBV_EVENT_MR_REVOKED): built without a run path, so that
 * the system's library is loaded, not the one of the rdma-core series.
 * Registers an MR over an ext4 DAX file, truncates the file in a thread,
 * and reads the event the kernel sends: an old library must hand it on
 * (as an event number it does not know, element read as a port number)
 * without crashing, and a dereg on it lets the truncate complete.
 * Exit 0 when all of that held; prints what it saw.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <infiniband/verbs.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LEN	(2UL << 20)

static int fd;
static int trunc_ret = -1;

static void *truncater(void *arg)
{
	trunc_ret = ftruncate(fd, 0);
	return NULL;
}

static int lib_path(struct dl_phdr_info *info, size_t size, void *data)
{
	if (strstr(info->dlpi_name, "libibverbs.so"))
		snprintf(data, 256, "%s", info->dlpi_name);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/mnt/ext4/oldlib";
	struct ibv_device **devs;
	struct ibv_async_event ev;
	struct ibv_context *ctx = NULL;
	char lib[256] = "";
	struct pollfd pfd;
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	pthread_t t;
	void *map;
	int i, n;

	dl_iterate_phdr(lib_path, lib);
	printf("libibverbs: %s\n", lib);
	devs = ibv_get_device_list(&n);
	for (i = 0; devs && i < n; i++)
		if (!strcmp(ibv_get_device_name(devs[i]), "rxe0"))
			ctx = ibv_open_device(devs[i]);
	if (!ctx) {
		printf("no rxe0\n");
		return 2;
	}
	pd = ibv_alloc_pd(ctx);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!pd || fd < 0 || fallocate(fd, 0, 0, LEN)) {
		printf("set-up: %s\n", strerror(errno));
		return 2;
	}
	map = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return 2;
	memset(map, 1, LEN);
	mr = ibv_reg_mr(pd, map, LEN, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	if (!mr) {
		printf("ibv_reg_mr: %s\n", strerror(errno));
		return 3;
	}
	if (pthread_create(&t, NULL, truncater, NULL))
		return 2;
	pfd.fd = ctx->async_fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1) {
		printf("no async event within 10 s\n");
		return 4;
	}
	if (ibv_get_async_event(ctx, &ev)) {
		printf("ibv_get_async_event: %s\n", strerror(errno));
		return 5;
	}
	printf("event %d (%s), element as a port number %d\n", ev.event_type,
	       ibv_event_type_str(ev.event_type), ev.element.port_num);
	ibv_ack_async_event(&ev);
	if (ibv_dereg_mr(mr)) {
		printf("ibv_dereg_mr: %s\n", strerror(errno));
		return 6;
	}
	pthread_join(t, NULL);
	printf("truncate: %s\n", trunc_ret ? strerror(errno) : "done");
	if (trunc_ret)
		return 7;
	munmap(map, LEN);
	close(fd);
	unlink(path);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(devs);
	return ev.event_type == 21 ? 0 : 8;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * bench_shim: what the preload shim costs. Run it under uiommufd-run.
 *
 *  1. map+unmap of one 4 KiB page through ioctl() on an emulated
 *     /dev/iommu fd, against the same calls made with uiommufd_ioctl() on
 *     a context of libuiommufd linked in directly. The ratio is the price
 *     of the fd table, the locks and the interposition.
 *  2. The tax on programs that do not use /dev/iommu: ioctl(FIONREAD) on a
 *     pipe and fstat() of a file, through libc (and so through the shim),
 *     against the raw system calls that bypass it.
 *
 * Each pair is measured side by side, interleaved in rounds, so that the
 * ratio compares like with like. Every call is checked.
 *
 * Usage: uiommufd-run -- bench_shim [--quick]
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <uiommufd/abi.h>
#include <uiommufd/uiommufd.h>

#define ROUNDS 5

static unsigned long iterations = 200000;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_shim: %s: %s\n", what, strerror(errno));
	exit(1);
}

typedef int (*ioctl_fn)(void *handle, unsigned long request, void *arg);

static int via_fd(void *handle, unsigned long request, void *arg)
{
	return ioctl((int)(intptr_t)handle, request, arg);
}

static int via_api(void *handle, unsigned long request, void *arg)
{
	return uiommufd_ioctl(handle, request, arg);
}

/* Seconds for @iterations map+unmap pairs of one page. */
static double map_unmap(ioctl_fn fn, void *handle, uint32_t ioas)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = 0x10000000,
		.length = 4096,
	};
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = ioas,
		.length = 4096,
	};
	double start = now();
	unsigned long i;

	for (i = 0; i < iterations; i++) {
		map.iova = 0;
		if (fn(handle, IOMMU_IOAS_MAP, &map))
			die("IOMMU_IOAS_MAP");
		unmap.iova = map.iova;
		unmap.length = 4096;
		if (fn(handle, IOMMU_IOAS_UNMAP, &unmap))
			die("IOMMU_IOAS_UNMAP");
	}
	return now() - start;
}

static uint32_t ioas_alloc(ioctl_fn fn, void *handle)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	if (fn(handle, IOMMU_IOAS_ALLOC, &alloc))
		die("IOMMU_IOAS_ALLOC");
	return alloc.out_ioas_id;
}

static double passthrough_ioctl(int fd, int raw)
{
	double start = now();
	unsigned long i;
	int avail;

	for (i = 0; i < iterations; i++) {
		long ret = raw ? syscall(SYS_ioctl, fd, FIONREAD, &avail) :
				 ioctl(fd, FIONREAD, &avail);

		if (ret)
			die("FIONREAD");
	}
	return now() - start;
}

static double passthrough_fstat(int fd, int raw)
{
	double start = now();
	unsigned long i;
	struct stat st;

	for (i = 0; i < iterations; i++) {
		long ret = raw ? syscall(SYS_newfstatat, fd, "", &st,
					 AT_EMPTY_PATH) :
				 fstat(fd, &st);

		if (ret)
			die("fstat");
	}
	return now() - start;
}

static void report(const char *what, double shim, double base)
{
	printf("%-44s %8.0f ns %8.0f ns   %.2fx\n", what,
	       shim / iterations * 1e9, base / iterations * 1e9, shim / base);
}

int main(int argc, char **argv)
{
	double t_fd = 0, t_api = 0, t_ioctl = 0, t_raw_ioctl = 0;
	double t_fstat = 0, t_raw_fstat = 0;
	struct uiommufd_ctx *ctx;
	uint32_t ioas_fd, ioas_api;
	int fd, pipefd[2], round;

	if (argc > 1 && !strcmp(argv[1], "--quick"))
		iterations = 2000;
	if (!dlsym(RTLD_DEFAULT, "uiommufd_preload_nr_contexts")) {
		fprintf(stderr, "bench_shim: run me under uiommufd-run\n");
		return 1;
	}
	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0)
		die("/dev/iommu");
	ctx = uiommufd_open();
	if (!ctx)
		die("uiommufd_open");
	if (pipe(pipefd))
		die("pipe");
	ioas_fd = ioas_alloc(via_fd, (void *)(intptr_t)fd);
	ioas_api = ioas_alloc(via_api, ctx);

	for (round = 0; round < ROUNDS; round++) {
		t_fd += map_unmap(via_fd, (void *)(intptr_t)fd, ioas_fd);
		t_api += map_unmap(via_api, ctx, ioas_api);
		t_ioctl += passthrough_ioctl(pipefd[0], 0);
		t_raw_ioctl += passthrough_ioctl(pipefd[0], 1);
		t_fstat += passthrough_fstat(pipefd[0], 0);
		t_raw_fstat += passthrough_fstat(pipefd[0], 1);
	}
	iterations *= ROUNDS;
	printf("%-44s %11s %11s %8s\n", "", "shim", "baseline", "ratio");
	report("map+unmap 4 KiB: ioctl(fd) vs uiommufd_ioctl", t_fd, t_api);
	report("other fds: ioctl(FIONREAD) vs raw syscall", t_ioctl,
	       t_raw_ioctl);
	report("other fds: fstat() vs raw syscall", t_fstat, t_raw_fstat);
	uiommufd_close(ctx);
	close(fd);
	return 0;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * bench_domain: what IOMMU domains cost the IOAS ioctls.
 *
 *  1. map+unmap of one 4 KiB page with no domain, one and two mock domains
 *     attached (each map now pins the page and mirrors it into every
 *     domain), measured side by side in interleaved rounds.
 *  2. map and unmap of 1 GiB of THP-backed memory into a mock domain whose
 *     device has huge IO pages, with the IOAS's huge pages on and off
 *     (IOMMU_OPTION_HUGE_PAGES): off, the domain is filled page by page.
 *  3. The VFIO type1 container path: VFIO_IOMMU_MAP_DMA + UNMAP_DMA of one
 *     page on the compat IOAS (TYPE1v2, and TYPE1 whose unmap first cuts
 *     the areas at both ends), against IOMMU_IOAS_MAP + UNMAP at the same
 *     fixed IOVA, one mock domain attached, side by side.
 *
 * Every ioctl is checked; a failure ends the run with exit status 1.
 * Usage: bench_domain [--quick]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <uiommufd/abi.h>
#include <uiommufd/uiommufd.h>

#define SZ_4K 4096UL
#define SZ_2M (2UL << 20)
#define ROUNDS 5

static unsigned long iterations = 100000;
static uint64_t big = 1UL << 30;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "bench_domain: %s: %s\n", what,
			strerror(errno));
		exit(1);
	}
}

static uint32_t ioas_alloc(struct uiommufd_ctx *ctx)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	check(uiommufd_ioctl(ctx, IOMMU_IOAS_ALLOC, &cmd), "IOAS_ALLOC");
	return cmd.out_ioas_id;
}

/* A mock device attached to @ioas; returns its device ID. */
static uint32_t mock_domain(struct uiommufd_ctx *ctx, uint32_t ioas,
			    uint32_t flags)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = ioas,
		.mock_domain_flags.dev_flags = flags,
	};

	check(uiommufd_ioctl(ctx, IOMMU_TEST_CMD, &cmd), "MOCK_DOMAIN");
	return cmd.mock_domain_flags.out_idev_id;
}

/* One more domain on @ioas: an explicit HWPT is never shared. */
static void second_domain(struct uiommufd_ctx *ctx, uint32_t ioas,
			  uint32_t idev)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = idev,
		.pt_id = ioas,
	};

	check(uiommufd_ioctl(ctx, IOMMU_HWPT_ALLOC, &cmd), "HWPT_ALLOC");
}

static double map_unmap(struct uiommufd_ctx *ctx, uint32_t ioas, void *page)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)page,
		.length = SZ_4K,
	};
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap),
					  .ioas_id = ioas };
	double start = now();
	unsigned long i;

	for (i = 0; i < iterations; i++) {
		map.iova = 0;
		check(uiommufd_ioctl(ctx, IOMMU_IOAS_MAP, &map), "MAP");
		unmap.iova = map.iova;
		unmap.length = SZ_4K;
		check(uiommufd_ioctl(ctx, IOMMU_IOAS_UNMAP, &unmap), "UNMAP");
	}
	return (now() - start) / iterations;
}

static void bench_map_unmap(void)
{
	struct uiommufd_ctx *ctx[3];
	uint32_t ioas[3];
	double t[3] = { 0 };
	void *page;
	int i, round;

	page = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (page == MAP_FAILED)
		check(-1, "mmap");
	for (i = 0; i < 3; i++) {
		uint32_t idev = 0;

		ctx[i] = uiommufd_open();
		ioas[i] = ioas_alloc(ctx[i]);
		if (i >= 1)
			idev = mock_domain(ctx[i], ioas[i], 0);
		if (i >= 2)
			second_domain(ctx[i], ioas[i], idev);
	}
	for (round = 0; round < ROUNDS; round++)
		for (i = 0; i < 3; i++)
			t[i] += map_unmap(ctx[i], ioas[i], page) / ROUNDS;
	printf("map+unmap 4 KiB, no domain      %8.0f ns\n", t[0] * 1e9);
	printf("map+unmap 4 KiB, 1 mock domain  %8.0f ns  %.2fx\n", t[1] * 1e9,
	       t[1] / t[0]);
	printf("map+unmap 4 KiB, 2 mock domains %8.0f ns  %.2fx\n", t[2] * 1e9,
	       t[2] / t[0]);
	for (i = 0; i < 3; i++)
		uiommufd_close(ctx[i]);
	munmap(page, SZ_4K);
}

static void bench_big_map(void)
{
	struct iommu_option huge = {
		.size = sizeof(huge),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET,
	};
	struct uiommufd_ctx *ctx = uiommufd_open();
	char *raw, *mem;
	int on;

	raw = mmap(NULL, big + SZ_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		check(-1, "mmap");
	mem = (char *)(((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(mem, big, MADV_HUGEPAGE);
	/* Fault it in first: the benchmark is the mapping, not the faults. */
	if (madvise(mem, big, MADV_POPULATE_WRITE))
		check(-1, "MADV_POPULATE_WRITE");

	for (on = 1; on >= 0; on--) {
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.user_va = (uintptr_t)mem,
			.length = big,
		};
		struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
		double t0, t1, t2;

		map.ioas_id = unmap.ioas_id = huge.object_id = ioas_alloc(ctx);
		huge.val64 = (uint64_t)on;
		check(uiommufd_ioctl(ctx, IOMMU_OPTION, &huge), "HUGE_PAGES");
		mock_domain(ctx, map.ioas_id, MOCK_FLAGS_DEVICE_HUGE_IOVA);
		t0 = now();
		check(uiommufd_ioctl(ctx, IOMMU_IOAS_MAP, &map), "MAP 1 GiB");
		t1 = now();
		unmap.iova = map.iova;
		unmap.length = big;
		check(uiommufd_ioctl(ctx, IOMMU_IOAS_UNMAP, &unmap),
		      "UNMAP 1 GiB");
		t2 = now();
		printf("%s of THP memory, huge pages %-3s map %8.1f ms, "
		       "unmap %8.1f ms\n",
		       big == 1UL << 30 ? "1 GiB" : "64 MiB", on ? "on" : "off",
		       (t1 - t0) * 1e3, (t2 - t1) * 1e3);
	}
	uiommufd_close(ctx);
	munmap(raw, big + SZ_2M);
}

/* IOAS or container map+unmap of one page at a fixed IOVA. */
static double fixed_map_unmap(struct uiommufd_ctx *ctx, uint32_t ioas,
			      void *page, bool vfio)
{
	const uint64_t iova = MOCK_APERTURE_START;
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas,
		.user_va = (uintptr_t)page,
		.length = SZ_4K,
		.iova = iova,
	};
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap),
					  .ioas_id = ioas,
					  .iova = iova };
	struct vfio_iommu_type1_dma_map dma_map = {
		.argsz = sizeof(dma_map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)page,
		.iova = iova,
		.size = SZ_4K,
	};
	struct vfio_iommu_type1_dma_unmap dma_unmap = {
		.argsz = sizeof(dma_unmap),
		.iova = iova,
	};
	double start = now();
	unsigned long i;

	for (i = 0; i < iterations; i++) {
		if (vfio) {
			check(uiommufd_ioctl(ctx, VFIO_IOMMU_MAP_DMA, &dma_map),
			      "VFIO_IOMMU_MAP_DMA");
			dma_unmap.size = SZ_4K;
			check(uiommufd_ioctl(ctx, VFIO_IOMMU_UNMAP_DMA,
					     &dma_unmap),
			      "VFIO_IOMMU_UNMAP_DMA");
		} else {
			check(uiommufd_ioctl(ctx, IOMMU_IOAS_MAP, &map), "MAP");
			unmap.length = SZ_4K;
			check(uiommufd_ioctl(ctx, IOMMU_IOAS_UNMAP, &unmap),
			      "UNMAP");
		}
	}
	return (now() - start) / iterations;
}

static void bench_vfio_compat(void)
{
	static const unsigned long types[2] = { VFIO_TYPE1v2_IOMMU,
						VFIO_TYPE1_IOMMU };
	struct uiommufd_ctx *ctx[3];
	uint32_t ioas[3];
	double t[3] = { 0 };
	void *page;
	int i, round;

	page = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (page == MAP_FAILED)
		check(-1, "mmap");
	for (i = 0; i < 3; i++) {
		ctx[i] = uiommufd_open_vfio_container();
		if (!ctx[i])
			check(-1, "uiommufd_open_vfio_container");
		ioas[i] = ioas_alloc(ctx[i]);
		if (i) {
			struct iommu_vfio_ioas set = {
				.size = sizeof(set),
				.ioas_id = ioas[i],
				.op = IOMMU_VFIO_IOAS_SET,
			};

			check(uiommufd_ioctl(ctx[i], IOMMU_VFIO_IOAS, &set),
			      "IOMMU_VFIO_IOAS");
			check(uiommufd_ioctl(ctx[i], VFIO_SET_IOMMU,
					     (void *)types[i - 1]),
			      "VFIO_SET_IOMMU");
		}
		mock_domain(ctx[i], ioas[i], 0);
	}
	for (round = 0; round < ROUNDS; round++)
		for (i = 0; i < 3; i++)
			t[i] += fixed_map_unmap(ctx[i], ioas[i], page, i) /
				ROUNDS;
	printf("map+unmap 4 KiB fixed, IOMMU_IOAS_*     %8.0f ns\n",
	       t[0] * 1e9);
	printf("map+unmap 4 KiB fixed, VFIO TYPE1v2     %8.0f ns  %.2fx\n",
	       t[1] * 1e9, t[1] / t[0]);
	printf("map+unmap 4 KiB fixed, VFIO TYPE1 (v1)  %8.0f ns  %.2fx\n",
	       t[2] * 1e9, t[2] / t[0]);
	for (i = 0; i < 3; i++)
		uiommufd_close(ctx[i]);
	munmap(page, SZ_4K);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--quick")) {
		iterations = 2000;
		big = 64UL << 20;
	}
	bench_map_unmap();
	bench_big_map();
	bench_vfio_compat();
	return 0;
}

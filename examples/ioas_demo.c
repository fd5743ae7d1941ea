// SPDX-License-Identifier: BSD-3-Clause
/*
 * A tour of an IOAS: open a context, create two IO address spaces, map a
 * buffer into the first at an IOVA the library picks, map a second buffer
 * at a fixed IOVA, copy a mapping into the second IOAS (sharing its pages),
 * then unmap everything, printing each step.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uiommufd/abi.h>
#include <uiommufd/uiommufd.h>

static struct uiommufd_ctx *ctx;

static void check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "ioas_demo: %s: %s\n", what, strerror(errno));
		exit(1);
	}
}

static uint32_t ioas_alloc(void)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	check(uiommufd_ioctl(ctx, IOMMU_IOAS_ALLOC, &cmd), "IOMMU_IOAS_ALLOC");
	printf("IOMMU_IOAS_ALLOC                  -> ioas %u\n",
	       cmd.out_ioas_id);
	return cmd.out_ioas_id;
}

static void print_ranges(uint32_t ioas)
{
	struct iommu_iova_range ranges[4];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = 4,
		.allowed_iovas = (uintptr_t)ranges,
	};
	uint32_t i;

	check(uiommufd_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES, &cmd),
	      "IOMMU_IOAS_IOVA_RANGES");
	printf("IOMMU_IOAS_IOVA_RANGES ioas %u    -> %u range(s), alignment %llu\n",
	       ioas, cmd.num_iovas, (unsigned long long)cmd.out_iova_alignment);
	for (i = 0; i < cmd.num_iovas; i++)
		printf("    [%#llx, %#llx]\n",
		       (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last);
}

static uint64_t map(uint32_t ioas, void *buf, size_t len, uint64_t iova,
		    uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = iova,
	};

	check(uiommufd_ioctl(ctx, IOMMU_IOAS_MAP, &cmd), "IOMMU_IOAS_MAP");
	printf("IOMMU_IOAS_MAP ioas %u %7zu bytes -> iova %#llx%s\n", ioas, len,
	       (unsigned long long)cmd.iova,
	       flags & IOMMU_IOAS_MAP_FIXED_IOVA ? " (fixed)" : " (allocated)");
	return cmd.iova;
}

int main(void)
{
	const size_t len = 2 << 20;
	uint8_t *buf, *buf2;
	uint32_t a, b;

	printf("libuiommufd %s\n", uiommufd_version());
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf2 = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || buf2 == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(buf, 0xa5, len);

	ctx = uiommufd_open();
	if (!ctx) {
		perror("uiommufd_open");
		return 1;
	}
	a = ioas_alloc();
	b = ioas_alloc();
	print_ranges(a);

	uint64_t iova = map(a, buf, len, 0, 0);
	map(a, buf2, 8192, 0x100000000ULL, IOMMU_IOAS_MAP_FIXED_IOVA);

	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOMMU_IOAS_MAP_READABLE,
		.dst_ioas_id = b,
		.src_ioas_id = a,
		.length = len / 2,
		.src_iova = iova + len / 2,
	};
	check(uiommufd_ioctl(ctx, IOMMU_IOAS_COPY, &copy), "IOMMU_IOAS_COPY");
	printf("IOMMU_IOAS_COPY %u:%#llx -> %u   -> iova %#llx, %llu bytes sharing the same pages\n",
	       a, (unsigned long long)copy.src_iova, b,
	       (unsigned long long)copy.dst_iova,
	       (unsigned long long)copy.length);

	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = a,
		.iova = 0,
		.length = UINT64_MAX,
	};
	check(uiommufd_ioctl(ctx, IOMMU_IOAS_UNMAP, &unmap),
	      "IOMMU_IOAS_UNMAP");
	printf("IOMMU_IOAS_UNMAP ioas %u (all)    -> %llu bytes unmapped\n", a,
	       (unsigned long long)unmap.length);

	unmap.ioas_id = b;
	unmap.iova = copy.dst_iova;
	unmap.length = copy.length;
	check(uiommufd_ioctl(ctx, IOMMU_IOAS_UNMAP, &unmap),
	      "IOMMU_IOAS_UNMAP");
	printf("IOMMU_IOAS_UNMAP ioas %u %#llx    -> %llu bytes unmapped\n", b,
	       (unsigned long long)copy.dst_iova,
	       (unsigned long long)unmap.length);

	struct iommu_destroy destroy = { .size = sizeof(destroy), .id = a };
	check(uiommufd_ioctl(ctx, IOMMU_DESTROY, &destroy), "IOMMU_DESTROY");
	printf("IOMMU_DESTROY %u                   -> ok\n", a);
	if (uiommufd_ioctl(ctx, IOMMU_DESTROY, &destroy) == 0 ||
	    errno != ENOENT) {
		fprintf(stderr,
			"ioas_demo: second destroy did not fail with ENOENT\n");
		return 1;
	}
	printf("IOMMU_DESTROY %u again             -> ENOENT, as expected\n",
	       a);

	uiommufd_close(ctx);
	munmap(buf, len);
	munmap(buf2, 8192);
	printf("done\n");
	return 0;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * A fixed sequence of iommufd ioctls whose --trace output is compared with
 * trace_program.golden. Everything the trace prints is deterministic: the
 * fd is moved to 42, and the arrays the structs point to live at a fixed
 * address.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uiommufd/abi.h>

#define FIXED_PAGE ((void *)0x300000000000UL) /* clear of ASan shadow */
#define FD 42

int main(void)
{
	struct iommu_iova_range *ranges;
	struct iommu_ioas_iova_ranges iova_ranges = { .size = sizeof(
							      iova_ranges) };
	struct iommu_ioas_allow_iovas allow = { .size = sizeof(allow) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	struct iommu_ioas_copy copy = { .size = sizeof(copy) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	struct iommu_option option = { .size = sizeof(option) };
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	void *page;
	int fd;

	page = mmap(FIXED_PAGE, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (page != FIXED_PAGE) {
		perror("mmap at a fixed address");
		return 1;
	}
	ranges = page;
	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0 || dup2(fd, FD) != FD) {
		perror("/dev/iommu");
		return 1;
	}
	close(fd);

	ioctl(FD, IOMMU_IOAS_ALLOC, &alloc);
	ioctl(FD, IOMMU_IOAS_ALLOC, (void *)8);
	ioctl(FD, IOMMU_IOAS_ALLOC, &alloc);

	iova_ranges.ioas_id = 1;
	iova_ranges.allowed_iovas = (uintptr_t)ranges;
	ioctl(FD, IOMMU_IOAS_IOVA_RANGES, &iova_ranges);
	iova_ranges.num_iovas = 4;
	ioctl(FD, IOMMU_IOAS_IOVA_RANGES, &iova_ranges);

	ranges[0].start = 0x100000;
	ranges[0].last = 0x1fffff;
	ranges[1].start = 0x400000;
	ranges[1].last = 0xffffffff;
	allow.ioas_id = 1;
	allow.num_iovas = 2;
	allow.allowed_iovas = (uintptr_t)ranges;
	ioctl(FD, IOMMU_IOAS_ALLOW_IOVAS, &allow);
	allow.allowed_iovas = 16;
	ioctl(FD, IOMMU_IOAS_ALLOW_IOVAS, &allow);
	iova_ranges.num_iovas = 4;
	ioctl(FD, IOMMU_IOAS_IOVA_RANGES, &iova_ranges);

	map.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = 1;
	map.user_va = 0x10000000;
	map.length = 0x4000;
	ioctl(FD, IOMMU_IOAS_MAP, &map);
	map.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
	map.iova = 0x400000;
	ioctl(FD, IOMMU_IOAS_MAP, &map);
	ioctl(FD, IOMMU_IOAS_MAP, &map);
	map.flags |= 0x100;
	ioctl(FD, IOMMU_IOAS_MAP, &map);

	copy.flags = IOMMU_IOAS_MAP_READABLE;
	copy.dst_ioas_id = 2;
	copy.src_ioas_id = 1;
	copy.length = 0x4000;
	copy.src_iova = 0x400000;
	ioctl(FD, IOMMU_IOAS_COPY, &copy);

	unmap.ioas_id = 1;
	unmap.iova = 0x400000;
	unmap.length = 0x1000;
	ioctl(FD, IOMMU_IOAS_UNMAP, &unmap);
	unmap.iova = 0;
	unmap.length = UINT64_MAX;
	ioctl(FD, IOMMU_IOAS_UNMAP, &unmap);

	option.option_id = IOMMU_OPTION_RLIMIT_MODE;
	option.op = IOMMU_OPTION_OP_GET;
	ioctl(FD, IOMMU_OPTION, &option);
	option.option_id = IOMMU_OPTION_HUGE_PAGES;
	option.object_id = 2;
	ioctl(FD, IOMMU_OPTION, &option);
	option.op = IOMMU_OPTION_OP_SET;
	option.val64 = 0;
	ioctl(FD, IOMMU_OPTION, &option);

	destroy.id = 1;
	ioctl(FD, IOMMU_DESTROY, &destroy);
	ioctl(FD, IOMMU_DESTROY, &destroy);
	destroy.size = 4;
	ioctl(FD, IOMMU_DESTROY, &destroy);
	ioctl(FD, _IOWR(';', 0x7f, uint64_t), page);
	close(FD);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: IOMMU_IOAS_IOVA_RANGES.
 *
 * Without devices nothing is reserved, so an IOAS reports one usable range,
 * the whole 64-bit space, and an IOVA alignment of 1 byte (a page once huge
 * pages are turned off). The allowed list of ALLOW_IOVAS and the existing
 * mappings do not change the answer. num_iovas is in/out: the caller's
 * capacity in, the number of ranges out, EMSGSIZE when it did not fit.
 */
#include <string.h>

#include "conformance.h"

static int ranges(int fd, struct iommu_ioas_iova_ranges *cmd)
{
	return ioctl(fd, IOMMU_IOAS_IOVA_RANGES, cmd);
}

CONF_TEST(ranges_whole_space)
{
	int fd = conf_open();
	struct iommu_iova_range r[1] = {};
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_alloc(fd),
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)r,
		.out_iova_alignment = 12345,
	};

	EXPECT_OK(ranges(fd, &cmd));
	EXPECT_EQ(cmd.num_iovas, 1);
	EXPECT_EQ(cmd.out_iova_alignment, 1);
	EXPECT_EQ(r[0].start, 0);
	EXPECT_EQ(r[0].last, UINT64_MAX);
	/* Input fields come back as they were. */
	EXPECT_EQ(cmd.size, sizeof(cmd));
	EXPECT_EQ(cmd.__reserved, 0);
	EXPECT_EQ(cmd.allowed_iovas, (uintptr_t)r);
}

CONF_TEST(ranges_zero_capacity_emsgsize)
{
	int fd = conf_open();
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_alloc(fd),
		.num_iovas = 0,
		.allowed_iovas = 0,
	};

	/* The count and the alignment are still answered. */
	EXPECT_ERRNO(EMSGSIZE, ranges(fd, &cmd));
	EXPECT_EQ(cmd.num_iovas, 1);
	EXPECT_EQ(cmd.out_iova_alignment, 1);
	/* Asking again with the count given back succeeds. */
	{
		struct iommu_iova_range r;

		cmd.allowed_iovas = (uintptr_t)&r;
		EXPECT_OK(ranges(fd, &cmd));
		EXPECT_EQ(cmd.num_iovas, 1);
		EXPECT_EQ(r.last, UINT64_MAX);
	}
}

CONF_TEST(ranges_zero_capacity_pointer_not_used)
{
	int fd = conf_open();
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_alloc(fd),
		.num_iovas = 0,
		.allowed_iovas = 0xdead0000beef0000ULL,
	};

	EXPECT_ERRNO(EMSGSIZE, ranges(fd, &cmd));
	EXPECT_EQ(cmd.num_iovas, 1);
	EXPECT_EQ(cmd.allowed_iovas, 0xdead0000beef0000ULL);
}

CONF_TEST(ranges_extra_capacity_untouched)
{
	int fd = conf_open();
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_alloc(fd),
		.num_iovas = 4,
		.allowed_iovas = (uintptr_t)r,
	};
	unsigned int i;

	memset(r, 0xa5, sizeof(r));
	EXPECT_OK(ranges(fd, &cmd));
	EXPECT_EQ(cmd.num_iovas, 1);
	EXPECT_EQ(r[0].start, 0);
	EXPECT_EQ(r[0].last, UINT64_MAX);
	for (i = 1; i != 4; i++) {
		conf_note("entry %u", i);
		EXPECT_EQ(r[i].start, 0xa5a5a5a5a5a5a5a5ULL);
		EXPECT_EQ(r[i].last, 0xa5a5a5a5a5a5a5a5ULL);
	}
}

CONF_TEST(ranges_huge_capacity_ok)
{
	int fd = conf_open();
	/* Room for exactly one entry before a guard page. */
	struct iommu_iova_range *r = conf_guarded(sizeof(*r));
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_alloc(fd),
		.num_iovas = UINT32_MAX,
		.allowed_iovas = (uintptr_t)r,
	};

	/* Only the ranges that exist are written. */
	EXPECT_OK(ranges(fd, &cmd));
	EXPECT_EQ(cmd.num_iovas, 1);
	EXPECT_EQ(r->start, 0);
	EXPECT_EQ(r->last, UINT64_MAX);
}

CONF_TEST(ranges_bad_array_efault)
{
	int fd = conf_open();
	struct iommu_iova_range *guard = conf_guarded(0);
	struct iommu_iova_range *ro = conf_mem(PAGE_SZ, 0);
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_alloc(fd),
	};

	conf_readonly(ro, PAGE_SZ);
	cmd.num_iovas = 1;
	cmd.allowed_iovas = 0;
	EXPECT_ERRNO(EFAULT, ranges(fd, &cmd));
	cmd.num_iovas = 1;
	cmd.allowed_iovas = (uintptr_t)guard;
	EXPECT_ERRNO(EFAULT, ranges(fd, &cmd));
	cmd.num_iovas = 1;
	cmd.allowed_iovas = (uintptr_t)ro;
	EXPECT_ERRNO(EFAULT, ranges(fd, &cmd));
	cmd.num_iovas = 1;
	cmd.allowed_iovas = UINT64_MAX - 7;
	EXPECT_ERRNO(EFAULT, ranges(fd, &cmd));
}

CONF_TEST(ranges_readonly_struct_efault)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	struct {
		struct iommu_ioas_iova_ranges cmd;
		struct iommu_iova_range r;
	} *p = conf_mem(PAGE_SZ, 0);
	struct iommu_iova_range *out = conf_mem(PAGE_SZ, 0);

	p->cmd.size = sizeof(p->cmd);
	p->cmd.ioas_id = id;
	p->cmd.num_iovas = 1;
	p->cmd.allowed_iovas = (uintptr_t)out;
	conf_readonly(p, sizeof(*p));
	/* The range array is written before the struct fails to be. */
	EXPECT_ERRNO(EFAULT, ranges(fd, &p->cmd));
	EXPECT_EQ(out->last, UINT64_MAX);
	EXPECT_EQ(p->cmd.num_iovas, 1);
	EXPECT_EQ(p->cmd.out_iova_alignment, 0);
}

CONF_TEST(ranges_reserved_eopnotsupp)
{
	int fd = conf_open();
	struct iommu_iova_range r;
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_alloc(fd),
		.num_iovas = 1,
		.__reserved = 1,
		.allowed_iovas = (uintptr_t)&r,
	};

	EXPECT_ERRNO(EOPNOTSUPP, ranges(fd, &cmd));
	/* Checked before the object is looked up. */
	cmd.ioas_id = 999;
	cmd.__reserved = 0x80000000;
	EXPECT_ERRNO(EOPNOTSUPP, ranges(fd, &cmd));
	EXPECT_EQ(cmd.num_iovas, 1);
}

CONF_TEST(ranges_bad_ioas_enoent)
{
	int fd = conf_open();
	struct iommu_iova_range r;
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)&r,
	};

	cmd.ioas_id = 0;
	EXPECT_ERRNO(ENOENT, ranges(fd, &cmd));
	cmd.ioas_id = ioas_alloc(fd) + 1;
	EXPECT_ERRNO(ENOENT, ranges(fd, &cmd));
	cmd.ioas_id = UINT32_MAX;
	EXPECT_ERRNO(ENOENT, ranges(fd, &cmd));
	EXPECT_EQ(cmd.num_iovas, 1);
}

CONF_TEST(ranges_unchanged_by_allow_and_map)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	struct iommu_iova_range allow[2] = {
		{ .start = 0x100000, .last = 0x1fffff },
		{ .start = 0x400000, .last = 0x4fffff },
	};
	struct iommu_iova_range r[3] = {};
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_alloc(fd),
		.num_iovas = 3,
		.allowed_iovas = (uintptr_t)r,
	};

	EXPECT_OK(conf_allow(fd, cmd.ioas_id, allow, 2));
	map_fixed(fd, cmd.ioas_id, va, PAGE_SZ, 0x10000);
	map_auto(fd, cmd.ioas_id, va, PAGE_SZ);
	/* The allowed list only steers automatic IOVA allocation. */
	EXPECT_OK(ranges(fd, &cmd));
	EXPECT_EQ(cmd.num_iovas, 1);
	EXPECT_EQ(r[0].start, 0);
	EXPECT_EQ(r[0].last, UINT64_MAX);
	EXPECT_EQ(cmd.out_iova_alignment, 1);
}

CONF_TEST(ranges_alignment_follows_huge_pages)
{
	int fd = conf_open();
	struct iommu_iova_range r;
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_alloc(fd),
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)&r,
	};
	uint64_t val = 0;

	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			      cmd.ioas_id, &val));
	EXPECT_OK(ranges(fd, &cmd));
	EXPECT_EQ(cmd.out_iova_alignment, PAGE_SZ);
	EXPECT_EQ(cmd.num_iovas, 1);
	EXPECT_EQ(r.last, UINT64_MAX);

	val = 1;
	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			      cmd.ioas_id, &val));
	EXPECT_OK(ranges(fd, &cmd));
	EXPECT_EQ(cmd.out_iova_alignment, 1);
}

CONF_TEST(ranges_per_ioas)
{
	int fd = conf_open();
	uint32_t a = ioas_alloc(fd), b = ioas_alloc(fd);
	struct iommu_ioas_iova_ranges cmd = { .size = sizeof(cmd) };
	uint64_t val = 0;

	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			      a, &val));
	cmd.ioas_id = b;
	EXPECT_ERRNO(EMSGSIZE, ranges(fd, &cmd));
	EXPECT_EQ(cmd.out_iova_alignment, 1);
	cmd.ioas_id = a;
	cmd.num_iovas = 0;
	EXPECT_ERRNO(EMSGSIZE, ranges(fd, &cmd));
	EXPECT_EQ(cmd.out_iova_alignment, PAGE_SZ);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: IOMMU_IOAS_MAP.
 *
 * With no device attached nothing is pinned: MAP records the user range
 * and the IOVA it goes to. Validation order in 6.12: unknown flags or a
 * reserved field (EOPNOTSUPP), iova or length of U64_MAX (EOVERFLOW),
 * neither READABLE nor WRITEABLE (EINVAL), the IOAS (ENOENT), the user
 * range (EINVAL/EOVERFLOW), alignment (EINVAL), then the IOVA range:
 * overflow (EOVERFLOW) and overlap with a mapping (EEXIST).
 *
 * Automatic placement never chooses IOVA 0 and aligns the IOVA to the
 * smaller of the length rounded up to a power of two and the alignment of
 * user_va, at most 2 MiB, keeping user_va's offset in its page.
 */
#include <sys/mman.h>

#include "conformance.h"

#define HUGE_SZ 0x200000UL

static uint8_t *mem(size_t len)
{
	return conf_mem(len, HUGE_SZ);
}

static int map_cmd(int fd, struct iommu_ioas_map *cmd)
{
	return ioctl(fd, IOMMU_IOAS_MAP, cmd);
}

CONF_TEST(map_fixed_basic)
{
	int fd = conf_open();
	uint8_t *va = mem(4 * PAGE_SZ);
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = MAP_FIXED_RW,
		.ioas_id = ioas_alloc(fd),
		.user_va = (uintptr_t)va,
		.length = 4 * PAGE_SZ,
		.iova = 0x10000,
	};

	EXPECT_OK(map_cmd(fd, &cmd));
	EXPECT_EQ(cmd.iova, 0x10000);
	EXPECT_EQ(cmd.size, sizeof(cmd));
	EXPECT_EQ(cmd.flags, MAP_FIXED_RW);
	EXPECT_EQ(cmd.user_va, (uintptr_t)va);
	EXPECT_EQ(cmd.length, 4 * PAGE_SZ);
	EXPECT_MAPPED(fd, cmd.ioas_id, va, 0x10000, 4 * PAGE_SZ);
}

CONF_TEST(map_auto_writes_only_iova)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_READABLE,
		.ioas_id = ioas_alloc(fd),
		.user_va = (uintptr_t)va,
		.length = PAGE_SZ,
		.iova = 0x123456789, /* ignored without FIXED_IOVA */
	};

	EXPECT_OK(map_cmd(fd, &cmd));
	EXPECT_EQ(cmd.iova, 0x1000);
	EXPECT_EQ(cmd.flags, IOMMU_IOAS_MAP_READABLE);
	EXPECT_EQ(cmd.ioas_id, 1);
	EXPECT_EQ(cmd.user_va, (uintptr_t)va);
	EXPECT_EQ(cmd.length, PAGE_SZ);
}

CONF_TEST(map_auto_placement_by_length)
{
	int fd = conf_open();
	uint8_t *va = mem(4 * HUGE_SZ);
	uint32_t id = ioas_alloc(fd);

	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x1000);
	EXPECT_EQ(map_auto(fd, id, va, 0x10000), 0x10000);
	EXPECT_EQ(map_auto(fd, id, va, 0x3000), 0x4000);
	EXPECT_EQ(map_auto(fd, id, va, HUGE_SZ), 0x200000);
	/* Alignment stops growing at 2 MiB. */
	EXPECT_EQ(map_auto(fd, id, va, 2 * HUGE_SZ), 0x400000);
	EXPECT_EQ(map_auto(fd, id, va, 0x100000), 0x100000);
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x2000);
	EXPECT_EQ(map_auto(fd, id, va, 0x10), 0x3000);
	EXPECT_EQ(map_auto(fd, id, va, 0x10), 0x3010);
	/* Lengths need no alignment while huge pages are on. */
	EXPECT_EQ(map_auto(fd, id, va, 1), 0x3020);
	EXPECT_EQ(map_auto(fd, id, va, 2), 0x3022);
}

CONF_TEST(map_auto_alignment_from_user_va)
{
	int fd = conf_open();
	uint8_t *va = mem(2 * HUGE_SZ);
	uint32_t id = ioas_alloc(fd);

	/* A page-aligned user_va keeps a 64 KiB mapping page-aligned. */
	EXPECT_EQ(map_auto(fd, id, va + 0x3000, 0x10000), 0x1000);
	/* An 32 KiB-aligned user_va limits the alignment to 32 KiB. */
	EXPECT_EQ(map_auto(fd, id, va + 0x8000, 0x10000), 0x18000);
	/* A user_va inside a page keeps its offset in the page. */
	EXPECT_EQ(map_auto(fd, id, va + 0x123, PAGE_SZ), 0x11123);
	EXPECT_EQ(map_auto(fd, id, va + 0x800, 0x800), 0x12800);
}

CONF_TEST(map_auto_page_offset_empty_ioas)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t a = ioas_alloc(fd), b = ioas_alloc(fd);

	EXPECT_EQ(map_auto(fd, a, va + 0x123, PAGE_SZ), 0x1123);
	EXPECT_EQ(map_auto(fd, b, va + 0xfff, 2), 0x1fff);
}

CONF_TEST(map_auto_skips_existing)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);

	map_fixed(fd, id, va, PAGE_SZ, 0x1000);
	map_fixed(fd, id, va, PAGE_SZ, 0x3000);
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x2000);
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x4000);
	EXPECT_EQ(map_auto(fd, id, va, 2 * PAGE_SZ), 0x6000);
}

CONF_TEST(map_fixed_overlap_eexist)
{
	static const struct {
		uint64_t iova, len;
	} clash[] = {
		{ 0x10000, 0x4000 }, /* same */
		{ 0xf000, 0x2000 }, /* over the start */
		{ 0x13000, 0x2000 }, /* over the end */
		{ 0x8000, 0x10000 }, /* around */
		{ 0x11000, 0x1000 }, /* inside */
		{ 0x13fff, 1 }, /* last byte */
		{ 0, 0x10001 }, /* first byte */
	};
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	unsigned int i;

	map_fixed(fd, id, va, 0x4000, 0x10000);
	for (i = 0; i != sizeof(clash) / sizeof(clash[0]); i++) {
		uint64_t iova = clash[i].iova;

		conf_note("[0x%llx, +0x%llx)", (unsigned long long)iova,
			  (unsigned long long)clash[i].len);
		EXPECT_ERRNO(EEXIST, conf_map(fd, id, MAP_FIXED_RW, va,
					      clash[i].len, &iova));
	}
	/* Touching is not overlapping. */
	map_fixed(fd, id, va, 0x1000, 0xf000);
	map_fixed(fd, id, va, 0x1000, 0x14000);
	EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX), 0x6000);
}

CONF_TEST(map_unaligned_fixed_ok)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);

	/* A fresh IOAS has a 1-byte IOVA alignment. */
	map_fixed(fd, id, va + 5, 0x123, 0x10001);
	map_fixed(fd, id, va + 0xfff, 1, 0x10124);
	map_fixed(fd, id, va, 0x10001, 0);
	EXPECT_EQ(unmap(fd, id, 0x10001, 0x123), 0x123);
	EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX), 0x10002);
}

CONF_TEST(map_zero_length_einval)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);
	uint64_t iova = 0x1000;

	EXPECT_ERRNO(EINVAL, conf_map(fd, id, MAP_FIXED_RW, va, 0, &iova));
	EXPECT_ERRNO(EINVAL, conf_map(fd, id, MAP_RW, va, 0, &iova));
	EXPECT_EQ(iova, 0x1000);
}

CONF_TEST(map_length_limits)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);
	uint64_t iova = 0;

	EXPECT_ERRNO(EOVERFLOW,
		     conf_map(fd, id, MAP_FIXED_RW, va, UINT64_MAX, &iova));
	EXPECT_ERRNO(EOVERFLOW,
		     conf_map(fd, id, MAP_RW, va, UINT64_MAX, &iova));
	/* Longer than the address space minus a page. */
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, id, MAP_FIXED_RW, va, UINT64_MAX - 1, &iova));
	EXPECT_ERRNO(EINVAL, conf_map(fd, id, MAP_FIXED_RW, va,
				      UINT64_MAX - PAGE_SZ + 1, &iova));
	/* Short enough, but user_va + length wraps. */
	EXPECT_ERRNO(EOVERFLOW, conf_map(fd, id, MAP_FIXED_RW, va,
					 UINT64_MAX - PAGE_SZ, &iova));
	EXPECT_UNMAPPED(fd, id, va, 0, PAGE_SZ);
}

CONF_TEST(map_user_va_wraps_eoverflow)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	uint64_t iova = 0x1000;

	EXPECT_ERRNO(EOVERFLOW, conf_map(fd, id, MAP_FIXED_RW, (void *)-PAGE_SZ,
					 2 * PAGE_SZ, &iova));
	EXPECT_ERRNO(EOVERFLOW,
		     conf_map(fd, id, MAP_RW, (void *)-1L, 2, &iova));
	/* Ending at the last page of the address space does not wrap... */
	EXPECT_OK(conf_map(fd, id, MAP_FIXED_RW, (void *)-(2 * PAGE_SZ),
			   PAGE_SZ, &iova));
	/* ...but ending at 2^64 does. */
	iova = 0x2000;
	EXPECT_ERRNO(EOVERFLOW, conf_map(fd, id, MAP_FIXED_RW, (void *)-PAGE_SZ,
					 PAGE_SZ, &iova));
}

CONF_TEST(map_iova_limits)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);
	uint64_t iova;

	/* An IOVA of U64_MAX is refused even when it would be ignored. */
	iova = UINT64_MAX;
	EXPECT_ERRNO(EOVERFLOW, conf_map(fd, id, MAP_FIXED_RW, va, 1, &iova));
	iova = UINT64_MAX;
	EXPECT_ERRNO(EOVERFLOW, conf_map(fd, id, MAP_RW, va, PAGE_SZ, &iova));
	/* iova + length - 1 must not wrap. */
	iova = UINT64_MAX - PAGE_SZ + 1;
	EXPECT_ERRNO(EOVERFLOW,
		     conf_map(fd, id, MAP_FIXED_RW, va, 2 * PAGE_SZ, &iova));
	iova = UINT64_MAX - 1;
	EXPECT_ERRNO(EOVERFLOW, conf_map(fd, id, MAP_FIXED_RW, va, 3, &iova));
	/* The last page and the last byte-pair of the space are fine. */
	map_fixed(fd, id, va, PAGE_SZ, UINT64_MAX - 2 * PAGE_SZ + 1);
	map_fixed(fd, id, va, PAGE_SZ - 3, UINT64_MAX - PAGE_SZ + 1);
	map_fixed(fd, id, va, 2, UINT64_MAX - 1);
	EXPECT_EQ(unmap(fd, id, UINT64_MAX - 2 * PAGE_SZ + 1, 2 * PAGE_SZ),
		  2 * PAGE_SZ - 1);
}

CONF_TEST(map_auto_huge_length)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);
	uint64_t iova = 0;

	/* Automatic placement refuses half the space or more. */
	EXPECT_ERRNO(EOVERFLOW,
		     conf_map(fd, id, MAP_RW, va, 1ULL << 63, &iova));
	EXPECT_ERRNO(EOVERFLOW,
		     conf_map(fd, id, MAP_RW, va, (1ULL << 63) - 1, &iova));
	/* Nothing is pinned, so a 2^62-byte mapping is only a record. */
	EXPECT_EQ(map_auto(fd, id, va, 1ULL << 62), HUGE_SZ);
	EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX), 1ULL << 62);
}

CONF_TEST(map_fixed_giant_length_ok)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);

	map_fixed(fd, id, va, 1ULL << 63, 0);
	map_fixed(fd, id, va, (1ULL << 62) + PAGE_SZ, 1ULL << 63);
	EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX),
		  (1ULL << 63) + (1ULL << 62) + PAGE_SZ);
}

CONF_TEST(map_needs_read_or_write)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);
	uint64_t iova = 0x1000;

	EXPECT_ERRNO(EINVAL, conf_map(fd, id, 0, va, PAGE_SZ, &iova));
	EXPECT_ERRNO(EINVAL, conf_map(fd, id, IOMMU_IOAS_MAP_FIXED_IOVA, va,
				      PAGE_SZ, &iova));
	EXPECT_OK(conf_map(fd, id,
			   IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
			   va, PAGE_SZ, &iova));
	iova = 0x2000;
	EXPECT_OK(conf_map(fd, id,
			   IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE,
			   va, PAGE_SZ, &iova));
	EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX), 2 * PAGE_SZ);
}

CONF_TEST(map_unknown_flags_eopnotsupp)
{
	static const uint32_t bad[] = { 1U << 3, 1U << 8, 1U << 16, 1U << 31 };
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);
	unsigned int i;

	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t iova = 0x1000;

		conf_note("flag 0x%x", bad[i]);
		EXPECT_ERRNO(EOPNOTSUPP, conf_map(fd, id, MAP_FIXED_RW | bad[i],
						  va, PAGE_SZ, &iova));
	}
	EXPECT_UNMAPPED(fd, id, va, 0x1000, PAGE_SZ);
}

CONF_TEST(map_reserved_eopnotsupp)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = MAP_FIXED_RW,
		.ioas_id = ioas_alloc(fd),
		.__reserved = 1,
		.user_va = (uintptr_t)va,
		.length = PAGE_SZ,
		.iova = 0x1000,
	};

	EXPECT_ERRNO(EOPNOTSUPP, map_cmd(fd, &cmd));
	cmd.__reserved = 0x80000000;
	EXPECT_ERRNO(EOPNOTSUPP, map_cmd(fd, &cmd));
	EXPECT_UNMAPPED(fd, cmd.ioas_id, va, 0x1000, PAGE_SZ);
}

CONF_TEST(map_bad_ioas_enoent)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);
	uint64_t iova = 0x1000;

	EXPECT_ERRNO(ENOENT, conf_map(fd, 0, MAP_FIXED_RW, va, PAGE_SZ, &iova));
	EXPECT_ERRNO(ENOENT,
		     conf_map(fd, id + 1, MAP_FIXED_RW, va, PAGE_SZ, &iova));
	EXPECT_ERRNO(ENOENT,
		     conf_map(fd, UINT32_MAX, MAP_RW, va, PAGE_SZ, &iova));
}

CONF_TEST(map_check_order)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);
	uint64_t iova;

	/* Unknown flag before anything else. */
	iova = UINT64_MAX;
	EXPECT_ERRNO(EOPNOTSUPP,
		     conf_map(fd, 99, 1U << 5, va, UINT64_MAX, &iova));
	/* U64_MAX iova/length before missing access flags. */
	iova = UINT64_MAX;
	EXPECT_ERRNO(EOVERFLOW, conf_map(fd, 99, 0, va, 0, &iova));
	iova = 0;
	EXPECT_ERRNO(EOVERFLOW, conf_map(fd, 99, 0, va, UINT64_MAX, &iova));
	/* Access flags before the IOAS. */
	EXPECT_ERRNO(EINVAL, conf_map(fd, 99, 0, va, 0, &iova));
	/* The IOAS before the range itself. */
	EXPECT_ERRNO(ENOENT, conf_map(fd, 99, MAP_RW, va, 0, &iova));
	EXPECT_ERRNO(ENOENT, conf_map(fd, 99, MAP_FIXED_RW, (void *)-1L,
				      PAGE_SZ, &iova));
	/* The user range before the IOVA. */
	map_fixed(fd, id, va, PAGE_SZ, 0x1000);
	iova = 0x1000;
	EXPECT_ERRNO(EOVERFLOW, conf_map(fd, id, MAP_FIXED_RW, (void *)-1L,
					 PAGE_SZ, &iova));
	EXPECT_ERRNO(EINVAL, conf_map(fd, id, MAP_FIXED_RW, va, 0, &iova));
	EXPECT_ERRNO(EEXIST, conf_map(fd, id, MAP_FIXED_RW, va, 1, &iova));
}

CONF_TEST(map_memory_not_touched)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	uint8_t *none = conf_mem(PAGE_SZ, 0);
	uint8_t *ro = conf_mem(PAGE_SZ, 0);

	/* Without a device no page is pinned, so nothing checks the VA. */
	CHECK(mprotect(none, PAGE_SZ, PROT_NONE) == 0);
	conf_readonly(ro, PAGE_SZ);
	map_fixed(fd, id, none, PAGE_SZ, 0x1000);
	map_fixed(fd, id, ro, PAGE_SZ, 0x2000);
	map_fixed(fd, id, NULL, PAGE_SZ, 0x3000);
	map_fixed(fd, id, (void *)0x7ff000000000ULL, 0x100000, 0x100000);
	/* Not even an address in the kernel's half is refused. */
	map_fixed(fd, id, (void *)0xffff888000000000ULL, PAGE_SZ, 0x4000);
	EXPECT_EQ(map_auto(fd, id, (void *)0x10, 1), 0x5010);
	EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX), 0x100000 + 4 * PAGE_SZ + 1);
}

CONF_TEST(map_same_memory_many_times)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);
	unsigned int i;

	for (i = 0; i != 16; i++) {
		conf_note("map %u", i);
		EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x1000 * (i + 1));
	}
	map_fixed(fd, id, va, PAGE_SZ, 0x100000);
	EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX), 17 * PAGE_SZ);
}

CONF_TEST(map_readonly_struct_still_maps)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_ioas_map *cmd = conf_mem(PAGE_SZ, 0);
	uint64_t iova = 0x5000;

	cmd->size = sizeof(*cmd);
	cmd->flags = MAP_FIXED_RW;
	cmd->ioas_id = id;
	cmd->user_va = (uintptr_t)va;
	cmd->length = PAGE_SZ;
	cmd->iova = 0x5000;
	conf_readonly(cmd, sizeof(*cmd));
	/* The answer cannot be written back, but the mapping stays. */
	EXPECT_ERRNO(EFAULT, map_cmd(fd, cmd));
	EXPECT_ERRNO(EEXIST,
		     conf_map(fd, id, MAP_FIXED_RW, va, PAGE_SZ, &iova));
	EXPECT_MAPPED(fd, id, va, 0x5000, PAGE_SZ);
}

CONF_TEST(map_readonly_struct_auto_lost_iova)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_ioas_map *cmd = conf_mem(PAGE_SZ, 0);

	cmd->size = sizeof(*cmd);
	cmd->flags = MAP_RW;
	cmd->ioas_id = id;
	cmd->user_va = (uintptr_t)va;
	cmd->length = PAGE_SZ;
	conf_readonly(cmd, sizeof(*cmd));
	EXPECT_ERRNO(EFAULT, map_cmd(fd, cmd));
	EXPECT_EQ(cmd->iova, 0);
	/* The IOVA was chosen and used even though nobody learnt it. */
	EXPECT_MAPPED(fd, id, va, 0x1000, PAGE_SZ);
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x2000);
}

CONF_TEST(map_alignment_without_huge_pages)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	uint64_t val = 0, iova;

	/* Turning huge pages off makes the IOAS page-aligned. */
	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			      id, &val));
	iova = 0x10800;
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, id, MAP_FIXED_RW, va, PAGE_SZ, &iova));
	iova = 0x10000;
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, id, MAP_FIXED_RW, va, PAGE_SZ + 1, &iova));
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, id, MAP_FIXED_RW, va, PAGE_SZ / 2, &iova));
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, id, MAP_FIXED_RW, va + 16, PAGE_SZ, &iova));
	EXPECT_ERRNO(EINVAL, conf_map(fd, id, MAP_RW, va + 16, PAGE_SZ, &iova));
	EXPECT_ERRNO(EINVAL, conf_map(fd, id, MAP_RW, va, 0x800, &iova));
	EXPECT_ERRNO(EINVAL, conf_map(fd, id, MAP_RW, va, 0x1800, &iova));
	EXPECT_UNMAPPED(fd, id, va, 0, 0x100000);
	map_fixed(fd, id, va + PAGE_SZ, PAGE_SZ, 0x10000);
	EXPECT_EQ(map_auto(fd, id, va, 2 * PAGE_SZ), 0x2000);
}

CONF_TEST(map_auto_null_user_va)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);

	/* With user_va 0 only the length drives the alignment. */
	EXPECT_EQ(map_auto(fd, id, NULL, 0x3000), 0x4000);
	EXPECT_EQ(map_auto(fd, id, NULL, 0x800), 0x1000);
	EXPECT_EQ(map_auto(fd, id, NULL, 0x10000000), 0x200000);
}

CONF_TEST(map_auto_full_space_enospc)
{
	int fd = conf_open();
	uint8_t *va = mem(PAGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range r;
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = id,
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)&r,
	};
	uint64_t iova = 0;

	/* Everything but the last byte, which cannot be mapped alone. */
	map_fixed(fd, id, va, 1ULL << 63, 0);
	map_fixed(fd, id, va, (1ULL << 63) - 1, 1ULL << 63);
	EXPECT_ERRNO(ENOSPC, conf_map(fd, id, MAP_RW, va, 1, &iova));
	iova = UINT64_MAX;
	EXPECT_ERRNO(EOVERFLOW, conf_map(fd, id, MAP_FIXED_RW, va, 1, &iova));
	/* The usable ranges do not shrink with use. */
	EXPECT_OK(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	EXPECT_EQ(r.last, UINT64_MAX);
	EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX), UINT64_MAX);
}

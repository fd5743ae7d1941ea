/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: IOMMU_IOAS_ALLOW_IOVAS.
 *
 * The allowed list restricts where MAP and COPY place mappings when they
 * choose the IOVA themselves; it does not restrict FIXED_IOVA requests and
 * is not checked against existing mappings. Each range must have
 * start < last and the ranges may not overlap each other (any order is
 * fine). The list is replaced as a whole or, on error, left as it was. An
 * empty list lifts the restriction.
 */
#include "conformance.h"

#define HUGE_SZ 0x200000UL

/* Memory aligned to 2 MiB, so that the size alone drives IOVA alignment. */
static uint8_t *mem(size_t len)
{
	return conf_mem(len, HUGE_SZ);
}

CONF_TEST(allow_steers_auto_iova)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range r = { .start = 0x100000, .last = 0x1fffff };

	EXPECT_OK(conf_allow(fd, id, &r, 1));
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x100000);
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x101000);
	EXPECT_EQ(map_auto(fd, id, va, 2 * PAGE_SZ), 0x102000);
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x104000);
}

CONF_TEST(allow_unordered_ranges)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range r[3] = {
		{ .start = 0x400000, .last = 0x4fffff },
		{ .start = 0x100000, .last = 0x100fff },
		{ .start = 0x200000, .last = 0x201fff },
	};

	EXPECT_OK(conf_allow(fd, id, r, 3));
	/* Lowest allowed IOVA first, whatever the order given. */
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x100000);
	EXPECT_EQ(map_auto(fd, id, va, 4 * PAGE_SZ), 0x400000);
	EXPECT_EQ(map_auto(fd, id, va, 2 * PAGE_SZ), 0x200000);
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x404000);
}

CONF_TEST(allow_too_small_enospc)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range r = { .start = 0x100000, .last = 0x101fff };
	uint64_t iova = 0;

	EXPECT_OK(conf_allow(fd, id, &r, 1));
	EXPECT_ERRNO(ENOSPC, conf_map(fd, id, MAP_RW, va, 3 * PAGE_SZ, &iova));
	EXPECT_EQ(map_auto(fd, id, va, 2 * PAGE_SZ), 0x100000);
	EXPECT_ERRNO(ENOSPC, conf_map(fd, id, MAP_RW, va, PAGE_SZ, &iova));
	/* Fixed mappings ignore the allowed list. */
	map_fixed(fd, id, va, PAGE_SZ, 0x800000);
	map_fixed(fd, id, va, PAGE_SZ, 0);
}

CONF_TEST(allow_never_iova_zero)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range r = { .start = 0, .last = 0xfff };
	uint64_t iova = 0;

	/* Automatic placement starts at the second page. */
	EXPECT_OK(conf_allow(fd, id, &r, 1));
	EXPECT_ERRNO(ENOSPC, conf_map(fd, id, MAP_RW, va, PAGE_SZ, &iova));
	r.last = 0x1fff;
	EXPECT_OK(conf_allow(fd, id, &r, 1));
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x1000);
}

CONF_TEST(allow_near_top_of_space)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range r = { .start = 0xffffffffffffe000ULL,
				      .last = UINT64_MAX };
	uint64_t iova = 0;

	EXPECT_OK(conf_allow(fd, id, &r, 1));
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0xffffffffffffe000ULL);
	/* The last page of the space is never chosen automatically... */
	EXPECT_ERRNO(ENOSPC, conf_map(fd, id, MAP_RW, va, PAGE_SZ, &iova));
	/* ...but can be mapped explicitly. */
	map_fixed(fd, id, va, PAGE_SZ, 0xfffffffffffff000ULL);
	EXPECT_EQ(unmap(fd, id, 0xffffffffffffe000ULL, 2 * PAGE_SZ),
		  2 * PAGE_SZ);
}

CONF_TEST(allow_empty_list_lifts_restriction)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range r = { .start = 0x100000, .last = 0x1fffff };

	EXPECT_OK(conf_allow(fd, id, &r, 1));
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x100000);
	/* With no ranges the pointer is not read. */
	EXPECT_OK(conf_allow(fd, id, (void *)8, 0));
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x1000);
}

CONF_TEST(allow_replaces_list)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range a = { .start = 0x100000, .last = 0x1fffff };
	struct iommu_iova_range b = { .start = 0x300000, .last = 0x3fffff };

	EXPECT_OK(conf_allow(fd, id, &a, 1));
	EXPECT_OK(conf_allow(fd, id, &b, 1));
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x300000);
}

CONF_TEST(allow_start_not_below_last_einval)
{
	static const struct iommu_iova_range bad[] = {
		{ .start = 0x1000, .last = 0x1000 },
		{ .start = 0x2000, .last = 0x1fff },
		{ .start = 0, .last = 0 },
		{ .start = UINT64_MAX, .last = UINT64_MAX },
		{ .start = UINT64_MAX, .last = 0 },
	};
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range ok = { .start = 0x1000, .last = 0x1001 };
	unsigned int i;

	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		conf_note("range [0x%llx, 0x%llx]",
			  (unsigned long long)bad[i].start,
			  (unsigned long long)bad[i].last);
		EXPECT_ERRNO(EINVAL, conf_allow(fd, id, &bad[i], 1));
	}
	/* Two bytes is the smallest range. */
	EXPECT_OK(conf_allow(fd, id, &ok, 1));
}

CONF_TEST(allow_overlap_einval)
{
	static const struct iommu_iova_range sets[][2] = {
		{ { 0x1000, 0x1fff }, { 0x1800, 0x2fff } }, /* partial */
		{ { 0x1800, 0x2fff }, { 0x1000, 0x1fff } }, /* unordered */
		{ { 0x1000, 0x1fff }, { 0x1000, 0x1fff } }, /* duplicate */
		{ { 0x1000, 0x8fff }, { 0x2000, 0x2fff } }, /* contains */
		{ { 0x2000, 0x2fff }, { 0x1000, 0x8fff } }, /* contained */
		{ { 0x1000, 0x2000 }, { 0x2000, 0x2fff } }, /* one byte */
	};
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range adjacent[2] = { { 0x1000, 0x1fff },
						{ 0x2000, 0x2fff } };
	unsigned int i;

	for (i = 0; i != sizeof(sets) / sizeof(sets[0]); i++) {
		conf_note("set %u", i);
		EXPECT_ERRNO(EINVAL, conf_allow(fd, id, sets[i], 2));
	}
	EXPECT_OK(conf_allow(fd, id, adjacent, 2));
}

CONF_TEST(allow_failure_keeps_old_list)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range a = { .start = 0x300000, .last = 0x3fffff };
	struct iommu_iova_range bad[3] = {
		{ .start = 0x100000, .last = 0x1fffff },
		{ .start = 0x500000, .last = 0x5fffff },
		{ .start = 0x580000, .last = 0x580fff },
	};
	struct iommu_iova_range *cut = conf_guarded(2 * sizeof(*cut));

	EXPECT_OK(conf_allow(fd, id, &a, 1));
	EXPECT_ERRNO(EINVAL, conf_allow(fd, id, bad, 3));
	cut[0] = bad[0];
	cut[1] = bad[1];
	EXPECT_ERRNO(EFAULT, conf_allow(fd, id, cut, 3));
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x300000);
}

CONF_TEST(allow_bad_pointer_efault)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range *end = conf_guarded(2 * sizeof(*end));

	EXPECT_ERRNO(EFAULT, conf_allow(fd, id, NULL, 1));
	EXPECT_ERRNO(EFAULT, conf_allow(fd, id, (void *)-16L, 1));
	EXPECT_ERRNO(EFAULT, conf_allow(fd, id, end + 2, 1));
	/* Two good ranges, then the array runs into the guard page. */
	end[0].start = 0x1000;
	end[0].last = 0x1fff;
	end[1].start = 0x3000;
	end[1].last = 0x3fff;
	EXPECT_OK(conf_allow(fd, id, end, 2));
	EXPECT_ERRNO(EFAULT, conf_allow(fd, id, end, 3));
	EXPECT_ERRNO(EFAULT, conf_allow(fd, id, end, UINT32_MAX));
}

CONF_TEST(allow_reserved_and_lookup_order)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range r = { .start = 0x1000, .last = 0x1fff };
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = id,
		.num_iovas = 1,
		.__reserved = 1,
		.allowed_iovas = (uintptr_t)&r,
	};

	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	cmd.ioas_id = 77;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	/* The object is looked up before the array is read. */
	cmd.__reserved = 0;
	cmd.allowed_iovas = 0;
	EXPECT_ERRNO(ENOENT, ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	cmd.ioas_id = 0;
	EXPECT_ERRNO(ENOENT, ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	cmd.ioas_id = id;
	EXPECT_ERRNO(EFAULT, ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
}

CONF_TEST(allow_ignores_existing_mappings)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range r = { .start = 0x100000, .last = 0x1fffff };

	map_fixed(fd, id, va, PAGE_SZ, 0x10000);
	map_fixed(fd, id, va, 2 * PAGE_SZ, 0x1ff000);
	/* Mappings outside or across the new list do not matter. */
	EXPECT_OK(conf_allow(fd, id, &r, 1));
	EXPECT_MAPPED(fd, id, va, 0x10000, PAGE_SZ);
	EXPECT_MAPPED(fd, id, va, 0x1ff000, 2 * PAGE_SZ);
	EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX), 3 * PAGE_SZ);
}

CONF_TEST(allow_auto_fills_holes)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range r = { .start = 0x100000, .last = 0x10ffff };

	EXPECT_OK(conf_allow(fd, id, &r, 1));
	map_fixed(fd, id, va, PAGE_SZ, 0x100000);
	map_fixed(fd, id, va, PAGE_SZ, 0x102000);
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x101000);
	/* Two pages need a 2-page aligned hole. */
	EXPECT_EQ(map_auto(fd, id, va, 2 * PAGE_SZ), 0x104000);
	EXPECT_EQ(map_auto(fd, id, va, PAGE_SZ), 0x103000);
}

CONF_TEST(allow_per_ioas)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t a = ioas_alloc(fd), b = ioas_alloc(fd);
	struct iommu_iova_range r = { .start = 0x100000, .last = 0x1fffff };

	EXPECT_OK(conf_allow(fd, a, &r, 1));
	EXPECT_EQ(map_auto(fd, b, va, PAGE_SZ), 0x1000);
	EXPECT_EQ(map_auto(fd, a, va, PAGE_SZ), 0x100000);
}

CONF_TEST(allow_auto_needs_room_after_start)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	struct iommu_iova_range r = { .start = 0x100000, .last = 0x100001 };
	uint64_t iova = 0;

	EXPECT_OK(conf_allow(fd, id, &r, 1));
	map_fixed(fd, id, va, 1, 0x100000);
	/* A one-byte hole at the very end of an allowed range is not used. */
	EXPECT_ERRNO(ENOSPC, conf_map(fd, id, MAP_RW, va, 1, &iova));
	r.last = 0x100002;
	EXPECT_OK(conf_allow(fd, id, &r, 1));
	EXPECT_EQ(map_auto(fd, id, va, 1), 0x100001);
}

CONF_TEST(allow_many_ranges)
{
	int fd = conf_open();
	uint8_t *va = mem(HUGE_SZ);
	uint32_t id = ioas_alloc(fd);
	unsigned int n = 4096, i;
	struct iommu_iova_range *r = conf_mem(n * sizeof(*r), 0);
	uint64_t iova = 0;

	/* Every other 2-page slot above 16 MiB, given in reverse. */
	for (i = 0; i != n; i++) {
		r[i].start = 0x1000000 + (uint64_t)(n - 1 - i) * 0x4000;
		r[i].last = r[i].start + 0x1fff;
	}
	EXPECT_OK(conf_allow(fd, id, r, n));
	for (i = 0; i != 8; i++) {
		conf_note("map %u", i);
		EXPECT_EQ(map_auto(fd, id, va, 2 * PAGE_SZ),
			  0x1000000 + (uint64_t)i * 0x4000);
	}
	conf_note("3 pages fit nowhere");
	EXPECT_ERRNO(ENOSPC, conf_map(fd, id, MAP_RW, va, 3 * PAGE_SZ, &iova));
}

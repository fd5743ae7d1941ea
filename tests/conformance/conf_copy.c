/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: IOMMU_IOAS_COPY.
 *
 * COPY maps into dst_ioas the memory behind [src_iova, src_iova + length)
 * of src_ioas, which must be covered by mappings without a gap. The result
 * is one new mapping per source mapping touched, independent of the source
 * afterwards. Validation order in 6.12: flags (EOPNOTSUPP), U64_MAX values
 * (EOVERFLOW), access flags (EINVAL), the source IOAS and range (ENOENT,
 * EINVAL, EOVERFLOW), then the destination IOAS (ENOENT) and placement.
 *
 * (Flag bit 16 is left alone: kernels built with the iommufd selftest give
 * it a test-only meaning in COPY.)
 */
#include "conformance.h"

#define HUGE_SZ 0x200000UL

struct scene {
	int fd;
	uint32_t src, dst;
	uint8_t *va;
};

/* Two IOASes; the source has 4 pages of @va at IOVA 0x10000. */
static struct scene setup(void)
{
	struct scene s;

	s.fd = conf_open();
	s.va = conf_mem(HUGE_SZ, HUGE_SZ);
	s.src = ioas_alloc(s.fd);
	s.dst = ioas_alloc(s.fd);
	map_fixed(s.fd, s.src, s.va, 4 * PAGE_SZ, 0x10000);
	return s;
}

CONF_TEST(copy_fixed_basic)
{
	struct scene s = setup();
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = MAP_FIXED_RW,
		.dst_ioas_id = s.dst,
		.src_ioas_id = s.src,
		.length = 4 * PAGE_SZ,
		.dst_iova = 0x40000,
		.src_iova = 0x10000,
	};

	EXPECT_OK(ioctl(s.fd, IOMMU_IOAS_COPY, &cmd));
	EXPECT_EQ(cmd.dst_iova, 0x40000);
	EXPECT_EQ(cmd.src_iova, 0x10000);
	EXPECT_EQ(cmd.length, 4 * PAGE_SZ);
	EXPECT_EQ(cmd.flags, MAP_FIXED_RW);
	EXPECT_MAPPED(s.fd, s.dst, s.va, 0x40000, 4 * PAGE_SZ);
	EXPECT_MAPPED(s.fd, s.src, s.va, 0x10000, 4 * PAGE_SZ);
	EXPECT_UNMAPPED(s.fd, s.dst, s.va, 0x10000, 4 * PAGE_SZ);
}

CONF_TEST(copy_auto_iova)
{
	struct scene s = setup();
	uint32_t dst2 = ioas_alloc(s.fd);
	uint64_t iova = 0x99999; /* ignored without FIXED_IOVA */

	/* Alignment comes from the length and the source's user VA. */
	EXPECT_OK(conf_copy(s.fd, s.dst, s.src, MAP_RW, 0x10000, 4 * PAGE_SZ,
			    &iova));
	EXPECT_EQ(iova, 0x4000);
	EXPECT_OK(conf_copy(s.fd, s.dst, s.src, MAP_RW, 0x11000, 2 * PAGE_SZ,
			    &iova));
	EXPECT_EQ(iova, 0x1000);
	/* A source with an offset in its page keeps that offset. */
	map_fixed(s.fd, s.src, s.va + 0x123, PAGE_SZ, 0x30123);
	EXPECT_OK(
		conf_copy(s.fd, dst2, s.src, MAP_RW, 0x30123, PAGE_SZ, &iova));
	EXPECT_EQ(iova, 0x1123);
}

CONF_TEST(copy_within_same_ioas)
{
	struct scene s = setup();
	uint64_t iova = 0x80000;

	EXPECT_OK(conf_copy(s.fd, s.src, s.src, MAP_FIXED_RW, 0x10000,
			    4 * PAGE_SZ, &iova));
	EXPECT_EQ(iova, 0x80000);
	EXPECT_OK(
		conf_copy(s.fd, s.src, s.src, MAP_RW, 0x10000, PAGE_SZ, &iova));
	EXPECT_EQ(iova, 0x1000);
	/* Onto itself is an overlap. */
	iova = 0x10000;
	EXPECT_ERRNO(EEXIST, conf_copy(s.fd, s.src, s.src, MAP_FIXED_RW,
				       0x10000, PAGE_SZ, &iova));
	EXPECT_EQ(unmap(s.fd, s.src, 0, UINT64_MAX), 9 * PAGE_SZ);
}

CONF_TEST(copy_not_fully_mapped_enoent)
{
	static const struct {
		uint64_t iova, len;
	} bad[] = {
		{ 0x0, PAGE_SZ }, /* nothing there */
		{ 0x10000, 5 * PAGE_SZ }, /* runs past the end */
		{ 0xf000, 2 * PAGE_SZ }, /* starts before */
		{ 0x13fff, 2 }, /* last byte and one more */
		{ 0x10000, 0x9000 }, /* over the gap to the next */
		{ 0x15000, PAGE_SZ }, /* inside the gap */
	};
	struct scene s = setup();
	unsigned int i;

	map_fixed(s.fd, s.src, s.va, PAGE_SZ, 0x18000);
	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t iova = 0x100000;

		conf_note("src [0x%llx, +0x%llx)",
			  (unsigned long long)bad[i].iova,
			  (unsigned long long)bad[i].len);
		EXPECT_ERRNO(ENOENT, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW,
					       bad[i].iova, bad[i].len, &iova));
		EXPECT_ERRNO(ENOENT, conf_copy(s.fd, s.dst, s.src, MAP_RW,
					       bad[i].iova, bad[i].len, &iova));
	}
	conf_note("destination afterwards");
	EXPECT_UNMAPPED(s.fd, s.dst, s.va, 0, 0x200000);
}

CONF_TEST(copy_spans_adjacent_mappings)
{
	struct scene s = setup();
	uint8_t *other = conf_mem(PAGE_SZ, 0);
	uint64_t iova = 0x50000;

	/* A second mapping right after the first, from other memory. */
	map_fixed(s.fd, s.src, other, PAGE_SZ, 0x14000);
	EXPECT_OK(conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW, 0x12000,
			    3 * PAGE_SZ, &iova));
	/* The copy is made of one mapping per source mapping. */
	EXPECT_EQ(unmap(s.fd, s.dst, 0x50000, 2 * PAGE_SZ), 2 * PAGE_SZ);
	EXPECT_EQ(unmap(s.fd, s.dst, 0x52000, PAGE_SZ), PAGE_SZ);
}

CONF_TEST(copy_part_of_mapping)
{
	struct scene s = setup();
	uint64_t iova = 0x60001;
	uint64_t len;

	EXPECT_OK(conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW, 0x11800, 0x1001,
			    &iova));
	/* Exactly the bytes asked for, at any byte alignment. */
	len = 0x1000;
	EXPECT_ERRNO(ENOENT, conf_unmap(s.fd, s.dst, 0x60001, &len));
	EXPECT_EQ(unmap(s.fd, s.dst, 0x60000, 0x1003), 0x1001);
	/* The source mapping is still whole. */
	len = PAGE_SZ;
	EXPECT_ERRNO(ENOENT, conf_unmap(s.fd, s.src, 0x11000, &len));
}

CONF_TEST(copy_dst_overlap_eexist)
{
	struct scene s = setup();
	uint64_t iova;

	map_fixed(s.fd, s.dst, s.va, 2 * PAGE_SZ, 0x40000);
	iova = 0x3f000;
	EXPECT_ERRNO(EEXIST, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW,
				       0x10000, 2 * PAGE_SZ, &iova));
	iova = 0x41fff;
	EXPECT_ERRNO(EEXIST, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW,
				       0x10000, 1, &iova));
	iova = 0x42000;
	EXPECT_OK(conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW, 0x10000, PAGE_SZ,
			    &iova));
}

CONF_TEST(copy_flags)
{
	static const uint32_t bad[] = { 1U << 3, 1U << 15, 1U << 31 };
	struct scene s = setup();
	unsigned int i;
	uint64_t iova;

	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		conf_note("flag 0x%x", bad[i]);
		iova = 0x40000;
		EXPECT_ERRNO(EOPNOTSUPP, conf_copy(s.fd, s.dst, s.src,
						   MAP_FIXED_RW | bad[i],
						   0x10000, PAGE_SZ, &iova));
	}
	conf_note("no access flag");
	EXPECT_ERRNO(EINVAL,
		     conf_copy(s.fd, s.dst, s.src, IOMMU_IOAS_MAP_FIXED_IOVA,
			       0x10000, PAGE_SZ, &iova));
	EXPECT_ERRNO(EINVAL,
		     conf_copy(s.fd, s.dst, s.src, 0, 0x10000, PAGE_SZ, &iova));
	conf_note("read-only and write-only copies");
	EXPECT_OK(conf_copy(s.fd, s.dst, s.src,
			    IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
			    0x10000, PAGE_SZ, &iova));
	iova = 0x50000;
	EXPECT_OK(
		conf_copy(s.fd, s.dst, s.src,
			  IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE,
			  0x10000, PAGE_SZ, &iova));
}

CONF_TEST(copy_writeable_needs_writeable_source)
{
	struct scene s = setup();
	uint64_t iova = 0x20000;

	EXPECT_OK(conf_map(s.fd, s.src,
			   IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
			   s.va, PAGE_SZ, &iova));
	/* A read-only source cannot become writeable through a copy. */
	iova = 0x40000;
	EXPECT_ERRNO(EPERM, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW, 0x20000,
				      PAGE_SZ, &iova));
	EXPECT_ERRNO(EPERM, conf_copy(s.fd, s.dst, s.src, MAP_RW, 0x20000,
				      PAGE_SZ, &iova));
	EXPECT_ERRNO(EPERM, conf_copy(s.fd, s.dst, s.src,
				      IOMMU_IOAS_MAP_FIXED_IOVA |
					      IOMMU_IOAS_MAP_WRITEABLE,
				      0x20000, PAGE_SZ, &iova));
	/* Nor can a range that is partly read-only. */
	map_fixed(s.fd, s.src, s.va, PAGE_SZ, 0x1f000);
	EXPECT_ERRNO(EPERM, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW, 0x1f000,
				      2 * PAGE_SZ, &iova));
	EXPECT_UNMAPPED(s.fd, s.dst, s.va, 0, 0x100000);
	EXPECT_OK(conf_copy(s.fd, s.dst, s.src,
			    IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
			    0x20000, PAGE_SZ, &iova));
	EXPECT_EQ(iova, 0x40000);
}

CONF_TEST(copy_zero_length_einval)
{
	struct scene s = setup();
	uint64_t iova = 0x40000;

	EXPECT_ERRNO(EINVAL, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW,
				       0x10000, 0, &iova));
	EXPECT_ERRNO(EINVAL,
		     conf_copy(s.fd, s.dst, s.src, MAP_RW, 0x10000, 0, &iova));
}

CONF_TEST(copy_overflow)
{
	struct scene s = setup();
	uint64_t iova;

	iova = 0x40000;
	EXPECT_ERRNO(EOVERFLOW, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW,
					  0x10000, UINT64_MAX, &iova));
	EXPECT_ERRNO(EOVERFLOW, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW,
					  UINT64_MAX, PAGE_SZ, &iova));
	/* src_iova + length wraps. */
	EXPECT_ERRNO(EOVERFLOW, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW,
					  UINT64_MAX - 1, 3, &iova));
	/* A dst_iova of U64_MAX is refused even without FIXED_IOVA. */
	iova = UINT64_MAX;
	EXPECT_ERRNO(EOVERFLOW, conf_copy(s.fd, s.dst, s.src, MAP_RW, 0x10000,
					  PAGE_SZ, &iova));
	/* dst_iova + length wraps. */
	iova = UINT64_MAX - PAGE_SZ + 2;
	EXPECT_ERRNO(EOVERFLOW, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW,
					  0x10000, PAGE_SZ, &iova));
	iova = UINT64_MAX - PAGE_SZ + 1;
	EXPECT_OK(conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW, 0x10000, PAGE_SZ,
			    &iova));
}

CONF_TEST(copy_bad_ioas_enoent)
{
	struct scene s = setup();
	uint64_t iova = 0x40000;

	EXPECT_ERRNO(ENOENT, conf_copy(s.fd, s.dst, 0, MAP_FIXED_RW, 0x10000,
				       PAGE_SZ, &iova));
	EXPECT_ERRNO(ENOENT, conf_copy(s.fd, s.dst, 77, MAP_FIXED_RW, 0x10000,
				       PAGE_SZ, &iova));
	EXPECT_ERRNO(ENOENT, conf_copy(s.fd, 0, s.src, MAP_FIXED_RW, 0x10000,
				       PAGE_SZ, &iova));
	EXPECT_ERRNO(ENOENT, conf_copy(s.fd, UINT32_MAX, s.src, MAP_FIXED_RW,
				       0x10000, PAGE_SZ, &iova));
}

CONF_TEST(copy_source_checked_before_destination)
{
	struct scene s = setup();
	uint64_t iova = 0x40000;

	/* A bad source range wins over a missing destination... */
	EXPECT_ERRNO(EINVAL, conf_copy(s.fd, 77, s.src, MAP_FIXED_RW, 0x10000,
				       0, &iova));
	EXPECT_ERRNO(EOVERFLOW, conf_copy(s.fd, 77, s.src, MAP_FIXED_RW,
					  UINT64_MAX - 1, 3, &iova));
	EXPECT_ERRNO(ENOENT, conf_copy(s.fd, 77, s.src, MAP_FIXED_RW,
				       UINT64_MAX - 1, 2, &iova));
	/* ...but the source IOAS is looked up before its range. */
	EXPECT_ERRNO(ENOENT, conf_copy(s.fd, s.dst, 77, MAP_FIXED_RW, 0x10000,
				       0, &iova));
	/* Access flags come before both. */
	EXPECT_ERRNO(EINVAL,
		     conf_copy(s.fd, 77, 78, 0, 0x10000, PAGE_SZ, &iova));
}

CONF_TEST(copy_outlives_source)
{
	struct scene s = setup();
	struct iommu_destroy d = { .size = sizeof(d) };
	uint64_t iova = 0x40000;

	EXPECT_OK(conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW, 0x10000,
			    4 * PAGE_SZ, &iova));
	EXPECT_EQ(unmap(s.fd, s.src, 0x10000, 4 * PAGE_SZ), 4 * PAGE_SZ);
	d.id = s.src;
	EXPECT_OK(ioctl(s.fd, IOMMU_DESTROY, &d));
	EXPECT_MAPPED(s.fd, s.dst, s.va, 0x40000, 4 * PAGE_SZ);
	/* A copy of the copy. */
	iova = 0x1000;
	EXPECT_OK(conf_copy(s.fd, s.dst, s.dst, MAP_FIXED_RW, 0x40000,
			    4 * PAGE_SZ, &iova));
	EXPECT_EQ(unmap(s.fd, s.dst, 0, UINT64_MAX), 8 * PAGE_SZ);
}

CONF_TEST(copy_dst_alignment)
{
	struct scene s = setup();
	uint64_t val = 0, iova;

	map_fixed(s.fd, s.src, s.va + 0x10, PAGE_SZ, 0x30000);
	EXPECT_OK(conf_option(s.fd, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_SET, s.dst, &val));
	/* The destination's page alignment applies to what is copied in. */
	iova = 0x40800;
	EXPECT_ERRNO(EINVAL, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW,
				       0x10000, PAGE_SZ, &iova));
	iova = 0x40000;
	EXPECT_ERRNO(EINVAL, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW,
				       0x10000, 0x800, &iova));
	EXPECT_ERRNO(EINVAL, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW,
				       0x30000, PAGE_SZ, &iova));
	EXPECT_ERRNO(EINVAL, conf_copy(s.fd, s.dst, s.src, MAP_RW, 0x30000,
				       PAGE_SZ, &iova));
	EXPECT_ERRNO(EINVAL, conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW,
				       0x10800, PAGE_SZ, &iova));
	EXPECT_OK(conf_copy(s.fd, s.dst, s.src, MAP_FIXED_RW, 0x11000, PAGE_SZ,
			    &iova));
}

CONF_TEST(copy_auto_honours_dst_allowed)
{
	struct scene s = setup();
	struct iommu_iova_range r = { .start = 0x700000, .last = 0x7fffff };
	uint64_t iova = 0;

	EXPECT_OK(conf_allow(s.fd, s.dst, &r, 1));
	EXPECT_OK(conf_copy(s.fd, s.dst, s.src, MAP_RW, 0x10000, 4 * PAGE_SZ,
			    &iova));
	EXPECT_EQ(iova, 0x700000);
	r.last = 0x700fff;
	EXPECT_OK(conf_allow(s.fd, s.dst, &r, 1));
	EXPECT_ERRNO(ENOSPC, conf_copy(s.fd, s.dst, s.src, MAP_RW, 0x10000,
				       PAGE_SZ, &iova));
}

CONF_TEST(copy_readonly_struct_still_maps)
{
	struct scene s = setup();
	struct iommu_ioas_copy *cmd = conf_mem(PAGE_SZ, 0);

	cmd->size = sizeof(*cmd);
	cmd->flags = MAP_FIXED_RW;
	cmd->dst_ioas_id = s.dst;
	cmd->src_ioas_id = s.src;
	cmd->length = PAGE_SZ;
	cmd->dst_iova = 0x40000;
	cmd->src_iova = 0x10000;
	conf_readonly(cmd, sizeof(*cmd));
	EXPECT_ERRNO(EFAULT, ioctl(s.fd, IOMMU_IOAS_COPY, cmd));
	EXPECT_MAPPED(s.fd, s.dst, s.va, 0x40000, PAGE_SZ);
}

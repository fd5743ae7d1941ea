/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: IOMMU_IOAS_UNMAP.
 *
 * UNMAP removes every mapping inside [iova, iova + length) and answers the
 * number of bytes removed in length. A mapping is never split: one that is
 * only partly inside the range stops the walk with ENOENT, and the
 * mappings removed before it stay removed (and the count is not written).
 * A range with no mapping in it is ENOENT as well. iova 0 with length
 * U64_MAX means "everything" and succeeds even on an empty IOAS.
 */
#include "conformance.h"

static int unmap_cmd(int fd, struct iommu_ioas_unmap *cmd)
{
	return ioctl(fd, IOMMU_IOAS_UNMAP, cmd);
}

CONF_TEST(unmap_exact)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = id,
		.iova = 0x10000,
		.length = 4 * PAGE_SZ,
	};

	map_fixed(fd, id, va, 4 * PAGE_SZ, 0x10000);
	EXPECT_OK(unmap_cmd(fd, &cmd));
	EXPECT_EQ(cmd.length, 4 * PAGE_SZ);
	EXPECT_EQ(cmd.iova, 0x10000);
	EXPECT_EQ(cmd.ioas_id, id);
	EXPECT_EQ(cmd.size, sizeof(cmd));
	EXPECT_ERRNO(ENOENT, unmap_cmd(fd, &cmd));
	EXPECT_UNMAPPED(fd, id, va, 0x10000, 4 * PAGE_SZ);
}

CONF_TEST(unmap_superset_counts_bytes)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);

	map_fixed(fd, id, va, PAGE_SZ, 0x10000);
	map_fixed(fd, id, va, 2 * PAGE_SZ, 0x20000);
	map_fixed(fd, id, va + 1, 0x10, 0x22000);
	map_fixed(fd, id, va, PAGE_SZ, 0x40000);
	/* Holes inside the range are fine; the answer counts bytes. */
	EXPECT_EQ(unmap(fd, id, 0x8000, 0x30000), 3 * PAGE_SZ + 0x10);
	EXPECT_MAPPED(fd, id, va, 0x40000, PAGE_SZ);
}

CONF_TEST(unmap_inside_mapping_enoent)
{
	static const struct {
		uint64_t iova, len;
	} bad[] = {
		{ 0x11000, PAGE_SZ }, /* middle */
		{ 0x10000, PAGE_SZ }, /* head only */
		{ 0x13000, PAGE_SZ }, /* tail only */
		{ 0x10000, 4 * PAGE_SZ - 1 }, /* one byte short */
		{ 0x10001, 4 * PAGE_SZ }, /* one byte late */
		{ 0xf000, 2 * PAGE_SZ }, /* over the start */
		{ 0x13fff, 2 }, /* over the end */
	};
	int fd = conf_open();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	unsigned int i;

	map_fixed(fd, id, va, 4 * PAGE_SZ, 0x10000);
	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		struct iommu_ioas_unmap cmd = {
			.size = sizeof(cmd),
			.ioas_id = id,
			.iova = bad[i].iova,
			.length = bad[i].len,
		};

		conf_note("[0x%llx, +0x%llx)", (unsigned long long)bad[i].iova,
			  (unsigned long long)bad[i].len);
		EXPECT_ERRNO(ENOENT, unmap_cmd(fd, &cmd));
		EXPECT_EQ(cmd.length, bad[i].len);
	}
	conf_note("afterwards");
	EXPECT_MAPPED(fd, id, va, 0x10000, 4 * PAGE_SZ);
}

CONF_TEST(unmap_partial_progress)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = id,
		.iova = 0x10000,
		.length = 2 * PAGE_SZ,
	};

	map_fixed(fd, id, va, PAGE_SZ, 0x10000); /* A: inside */
	map_fixed(fd, id, va, 2 * PAGE_SZ, 0x11000); /* B: half inside */
	map_fixed(fd, id, va, PAGE_SZ, 0x13000); /* C: outside */
	/* A goes, B stops the walk: ENOENT, and no count written back. */
	EXPECT_ERRNO(ENOENT, unmap_cmd(fd, &cmd));
	EXPECT_EQ(cmd.length, 2 * PAGE_SZ);
	EXPECT_UNMAPPED(fd, id, va, 0x10000, PAGE_SZ);
	EXPECT_MAPPED(fd, id, va, 0x11000, 2 * PAGE_SZ);
	EXPECT_MAPPED(fd, id, va, 0x13000, PAGE_SZ);
	/* Asking again no longer finds A: same error, nothing else goes. */
	EXPECT_ERRNO(ENOENT, unmap_cmd(fd, &cmd));
	EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX), 3 * PAGE_SZ);
}

CONF_TEST(unmap_partial_progress_stops_at_straddler)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	uint64_t len = 0x40000;

	map_fixed(fd, id, va, PAGE_SZ, 0x10000);
	map_fixed(fd, id, va, PAGE_SZ, 0x20000);
	map_fixed(fd, id, va, 2 * PAGE_SZ, 0x4f000); /* crosses the end */
	map_fixed(fd, id, va, PAGE_SZ, 0x60000);
	/* Walks upwards: both mappings below the straddler are gone. */
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, id, 0x10000, &len));
	EXPECT_UNMAPPED(fd, id, va, 0x10000, PAGE_SZ);
	EXPECT_UNMAPPED(fd, id, va, 0x20000, PAGE_SZ);
	EXPECT_MAPPED(fd, id, va, 0x4f000, 2 * PAGE_SZ);
	/* A straddler at the start stops the walk before anything goes. */
	map_fixed(fd, id, va, PAGE_SZ, 0x30000);
	len = 0x20000;
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, id, 0x4f800, &len));
	EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX), 4 * PAGE_SZ);
}

CONF_TEST(unmap_nothing_there_enoent)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	uint64_t len = PAGE_SZ;

	EXPECT_ERRNO(ENOENT, conf_unmap(fd, id, 0x10000, &len));
	map_fixed(fd, id, va, PAGE_SZ, 0x10000);
	map_fixed(fd, id, va, PAGE_SZ, 0x20000);
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, id, 0x11000, &len));
	len = 0xe000;
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, id, 0x11000, &len));
	len = UINT64_MAX - 0x21000;
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, id, 0x21000, &len));
	EXPECT_EQ(len, UINT64_MAX - 0x21000);
}

CONF_TEST(unmap_all)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = id,
		.iova = 0,
		.length = UINT64_MAX,
	};

	map_fixed(fd, id, va, PAGE_SZ, 0);
	map_fixed(fd, id, va, 0x123, 0x10000);
	map_fixed(fd, id, va, PAGE_SZ, UINT64_MAX - PAGE_SZ + 1);
	EXPECT_OK(unmap_cmd(fd, &cmd));
	EXPECT_EQ(cmd.length, 2 * PAGE_SZ + 0x123);
	EXPECT_EQ(cmd.iova, 0);
	/* On an empty IOAS it is not an error: 0 bytes. */
	cmd.length = UINT64_MAX;
	EXPECT_OK(unmap_cmd(fd, &cmd));
	EXPECT_EQ(cmd.length, 0);
	EXPECT_UNMAPPED(fd, id, va, 0, PAGE_SZ);
	EXPECT_UNMAPPED(fd, id, va, UINT64_MAX - PAGE_SZ + 1, PAGE_SZ);
}

CONF_TEST(unmap_almost_all_is_a_range)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	uint64_t len = UINT64_MAX - 1;

	map_fixed(fd, id, va, PAGE_SZ, 0x1000);
	map_fixed(fd, id, va, 2, UINT64_MAX - 1);
	/* [0, U64_MAX - 2]: the mapping at the last two bytes stays. */
	EXPECT_OK(conf_unmap(fd, id, 0, &len));
	EXPECT_EQ(len, PAGE_SZ);
	EXPECT_MAPPED(fd, id, va, UINT64_MAX - 1, 2);
	/* The same range on what is left finds nothing. */
	len = UINT64_MAX - 1;
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, id, 0, &len));
}

CONF_TEST(unmap_zero_length_einval)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	uint64_t len = 0;

	map_fixed(fd, id, va, PAGE_SZ, 0);
	EXPECT_ERRNO(EINVAL, conf_unmap(fd, id, 0, &len));
	EXPECT_ERRNO(EINVAL, conf_unmap(fd, id, 0x10000, &len));
	EXPECT_MAPPED(fd, id, va, 0, PAGE_SZ);
}

CONF_TEST(unmap_overflow)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	uint64_t len;

	map_fixed(fd, id, va, PAGE_SZ, 0x1000);
	/* U64_MAX length means "all" only together with iova 0. */
	len = UINT64_MAX;
	EXPECT_ERRNO(EOVERFLOW, conf_unmap(fd, id, 1, &len));
	EXPECT_ERRNO(EOVERFLOW, conf_unmap(fd, id, 0x1000, &len));
	len = 1;
	EXPECT_ERRNO(EOVERFLOW, conf_unmap(fd, id, UINT64_MAX, &len));
	len = 2 * PAGE_SZ;
	EXPECT_ERRNO(EOVERFLOW,
		     conf_unmap(fd, id, UINT64_MAX - PAGE_SZ + 1, &len));
	len = 3;
	EXPECT_ERRNO(EOVERFLOW, conf_unmap(fd, id, UINT64_MAX - 1, &len));
	EXPECT_MAPPED(fd, id, va, 0x1000, PAGE_SZ);
}

CONF_TEST(unmap_bad_ioas_enoent)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	uint64_t len;

	len = PAGE_SZ;
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, id + 1, 0x1000, &len));
	len = UINT64_MAX;
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, 0, 0, &len));
	/* The IOAS is looked up before the range is checked. */
	len = 0;
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, id + 1, 0x1000, &len));
	len = UINT64_MAX;
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, UINT32_MAX, 5, &len));
}

CONF_TEST(unmap_byte_granular)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	uint64_t len;

	map_fixed(fd, id, va + 3, 0x123, 0x10001);
	len = 0x122;
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, id, 0x10001, &len));
	EXPECT_EQ(unmap(fd, id, 0x10001, 0x123), 0x123);
	map_fixed(fd, id, va + 3, 0x123, 0x10001);
	EXPECT_EQ(unmap(fd, id, 0x10000, 0x200), 0x123);
}

CONF_TEST(unmap_ignores_alignment)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	uint64_t val = 0, len = 0x10;

	map_fixed(fd, id, va, PAGE_SZ, 0x10000);
	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			      id, &val));
	/* An unaligned range is not refused, it just misses the mapping. */
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, id, 0x10008, &len));
	EXPECT_EQ(unmap(fd, id, 0xffff, 0x1002), PAGE_SZ);
}

CONF_TEST(unmap_readonly_struct_still_unmaps)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	struct iommu_ioas_unmap *cmd = conf_mem(PAGE_SZ, 0);

	map_fixed(fd, id, va, PAGE_SZ, 0x10000);
	cmd->size = sizeof(*cmd);
	cmd->ioas_id = id;
	cmd->iova = 0x10000;
	cmd->length = PAGE_SZ;
	conf_readonly(cmd, sizeof(*cmd));
	/* The count cannot be written back, but the mapping is gone. */
	EXPECT_ERRNO(EFAULT, unmap_cmd(fd, cmd));
	EXPECT_UNMAPPED(fd, id, va, 0x10000, PAGE_SZ);
}

CONF_TEST(unmap_many_mappings)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	unsigned int i;

	for (i = 0; i != 256; i++) {
		conf_note("map %u", i);
		map_fixed(fd, id, va, PAGE_SZ / 2, 0x100000 + i * PAGE_SZ);
	}
	conf_note("unmap");
	EXPECT_EQ(unmap(fd, id, 0x100000, 128 * PAGE_SZ), 64 * PAGE_SZ);
	EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX), 64 * PAGE_SZ);
	EXPECT_UNMAPPED(fd, id, va, 0x100000, 256 * PAGE_SZ);
}

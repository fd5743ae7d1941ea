/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: object IDs, IOMMU_IOAS_ALLOC and IOMMU_DESTROY.
 *
 * IDs are per open file, start at 1 and are handed out lowest-free-first,
 * so a destroyed ID comes back. An ID is only published when creation
 * succeeded, including writing the answer back.
 */
#include <unistd.h>

#include "conformance.h"

CONF_TEST(objects_ids_start_at_one)
{
	int fd = conf_open();

	EXPECT_EQ(ioas_alloc(fd), 1);
	EXPECT_EQ(ioas_alloc(fd), 2);
	EXPECT_EQ(ioas_alloc(fd), 3);
}

CONF_TEST(objects_alloc_writes_only_out_id)
{
	int fd = conf_open();
	struct iommu_ioas_alloc cmd = {
		.size = sizeof(cmd),
		.out_ioas_id = 0xdeadbeef, /* input value is ignored */
	};

	EXPECT_OK(ioctl(fd, IOMMU_IOAS_ALLOC, &cmd));
	EXPECT_EQ(cmd.size, sizeof(cmd));
	EXPECT_EQ(cmd.flags, 0);
	EXPECT_EQ(cmd.out_ioas_id, 1);
}

CONF_TEST(objects_alloc_flags_eopnotsupp)
{
	int fd = conf_open();
	static const uint32_t flags[] = { 1, 2, 0x80000000, 0xffffffff };
	unsigned int i;

	for (i = 0; i != sizeof(flags) / sizeof(flags[0]); i++) {
		struct iommu_ioas_alloc cmd = {
			.size = sizeof(cmd),
			.flags = flags[i],
		};

		conf_note("flags 0x%x", flags[i]);
		EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_IOAS_ALLOC, &cmd));
		EXPECT_EQ(cmd.out_ioas_id, 0);
	}
	/* The failures consumed no ID. */
	EXPECT_EQ(ioas_alloc(fd), 1);
}

CONF_TEST(objects_alloc_readonly_struct_efault)
{
	int fd = conf_open();
	struct iommu_ioas_alloc *cmd = conf_mem(PAGE_SZ, 0);

	cmd->size = sizeof(*cmd);
	conf_readonly(cmd, sizeof(*cmd));
	/* The answer cannot be written: the new IOAS is thrown away. */
	EXPECT_ERRNO(EFAULT, ioctl(fd, IOMMU_IOAS_ALLOC, cmd));
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, 1));
	EXPECT_EQ(ioas_alloc(fd), 1);
}

CONF_TEST(objects_destroy_basic)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);

	EXPECT_OK(conf_destroy(fd, id));
}

CONF_TEST(objects_destroy_twice_enoent)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);

	EXPECT_OK(conf_destroy(fd, id));
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, id));
}

CONF_TEST(objects_destroy_unknown_enoent)
{
	static const uint32_t ids[] = { 0,	    1,		2,
					0x7fffffff, 0x80000000, 0xffffffff };
	int fd = conf_open();
	unsigned int i;

	for (i = 0; i != sizeof(ids) / sizeof(ids[0]); i++) {
		conf_note("id 0x%x, empty file", ids[i]);
		EXPECT_ERRNO(ENOENT, conf_destroy(fd, ids[i]));
	}
	ioas_alloc(fd);
	for (i = 0; i != sizeof(ids) / sizeof(ids[0]); i++) {
		if (ids[i] == 1)
			continue;
		conf_note("id 0x%x, IOAS 1 exists", ids[i]);
		EXPECT_ERRNO(ENOENT, conf_destroy(fd, ids[i]));
	}
	conf_note("id 1");
	EXPECT_OK(conf_destroy(fd, 1));
}

CONF_TEST(objects_lowest_free_id_reused)
{
	int fd = conf_open();

	EXPECT_EQ(ioas_alloc(fd), 1);
	EXPECT_EQ(ioas_alloc(fd), 2);
	EXPECT_EQ(ioas_alloc(fd), 3);
	EXPECT_EQ(ioas_alloc(fd), 4);
	EXPECT_OK(conf_destroy(fd, 2));
	EXPECT_OK(conf_destroy(fd, 3));
	EXPECT_EQ(ioas_alloc(fd), 2);
	EXPECT_EQ(ioas_alloc(fd), 3);
	EXPECT_EQ(ioas_alloc(fd), 5);
	EXPECT_OK(conf_destroy(fd, 1));
	EXPECT_OK(conf_destroy(fd, 5));
	EXPECT_EQ(ioas_alloc(fd), 1);
	EXPECT_EQ(ioas_alloc(fd), 5);
}

CONF_TEST(objects_reused_id_is_fresh_ioas)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	uint64_t val = 0;

	map_fixed(fd, id, va, PAGE_SZ, 0x10000);
	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			      id, &val));
	EXPECT_OK(conf_destroy(fd, id));
	EXPECT_EQ(ioas_alloc(fd), id);
	/* No mapping and default options survive in the reused ID. */
	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET,
			      id, &val));
	EXPECT_EQ(val, 1);
	EXPECT_UNMAPPED(fd, id, va, 0x10000, PAGE_SZ);
}

CONF_TEST(objects_destroy_ioas_with_mappings)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	uint32_t other = ioas_alloc(fd);
	uint64_t iova = 0x1000;

	map_fixed(fd, id, va, PAGE_SZ, 0x100000);
	map_auto(fd, id, va + PAGE_SZ, 2 * PAGE_SZ);
	EXPECT_OK(conf_copy(fd, other, id, MAP_FIXED_RW, 0x100000, PAGE_SZ,
			    &iova));
	/* Mappings do not keep an IOAS alive, nor do copies of them. */
	EXPECT_OK(conf_destroy(fd, id));
	EXPECT_EQ(unmap(fd, other, 0x1000, PAGE_SZ), PAGE_SZ);
}

CONF_TEST(objects_destroyed_id_unusable)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	struct iommu_ioas_iova_ranges r = { .size = sizeof(r), .ioas_id = id };
	uint64_t iova = 0x1000, len = PAGE_SZ, val = 0;

	EXPECT_OK(conf_destroy(fd, id));
	EXPECT_ERRNO(ENOENT, ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &r));
	EXPECT_ERRNO(ENOENT, conf_map(fd, id, MAP_FIXED_RW, va, len, &iova));
	EXPECT_ERRNO(ENOENT, conf_unmap(fd, id, 0, &len));
	EXPECT_ERRNO(ENOENT, conf_allow(fd, id, NULL, 0));
	EXPECT_ERRNO(ENOENT, conf_option(fd, IOMMU_OPTION_HUGE_PAGES,
					 IOMMU_OPTION_OP_GET, id, &val));
}

CONF_TEST(objects_per_file_id_spaces)
{
	int a = conf_open();
	int b = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);

	EXPECT_EQ(ioas_alloc(a), 1);
	EXPECT_EQ(ioas_alloc(a), 2);
	EXPECT_EQ(ioas_alloc(a), 3);
	/* Another open file starts over and cannot see the first's IDs. */
	EXPECT_EQ(ioas_alloc(b), 1);
	EXPECT_ERRNO(ENOENT, conf_destroy(b, 3));
	map_fixed(a, 1, va, PAGE_SZ, 0x1000);
	EXPECT_UNMAPPED(b, 1, va, 0x1000, PAGE_SZ);
	EXPECT_OK(conf_destroy(b, 1));
	EXPECT_OK(conf_destroy(a, 1));
	EXPECT_OK(conf_destroy(a, 3));
}

CONF_TEST(objects_close_frees_everything)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);

	ioas_alloc(fd);
	map_fixed(fd, ioas_alloc(fd), va, PAGE_SZ, 0x1000);
	conf_forget_fd(fd);
	EXPECT_OK(close(fd));

	fd = conf_open();
	EXPECT_EQ(ioas_alloc(fd), 1);
	EXPECT_EQ(ioas_alloc(fd), 2);
	EXPECT_UNMAPPED(fd, 2, va, 0x1000, PAGE_SZ);
}

CONF_TEST(objects_dup_shares_file)
{
	int fd = conf_open();
	int fd2 = conf_adopt_fd(dup(fd));
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);

	map_fixed(fd2, id, va, PAGE_SZ, 0x2000);
	EXPECT_EQ(ioas_alloc(fd2), 2);
	/* Closing one descriptor keeps the file and its objects. */
	conf_forget_fd(fd);
	EXPECT_OK(close(fd));
	EXPECT_EQ(unmap(fd2, id, 0x2000, PAGE_SZ), PAGE_SZ);
	EXPECT_OK(conf_destroy(fd2, 2));
}

CONF_TEST(objects_many_ioas)
{
	int fd = conf_open();
	uint32_t i;

	for (i = 1; i <= 1000; i++) {
		conf_note("allocation %u", i);
		EXPECT_EQ(ioas_alloc(fd), i);
	}
	for (i = 1; i <= 1000; i += 2) {
		conf_note("destroy %u", i);
		EXPECT_OK(conf_destroy(fd, i));
	}
	conf_note("after destroying the odd IDs");
	EXPECT_EQ(ioas_alloc(fd), 1);
	EXPECT_EQ(ioas_alloc(fd), 3);
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, 1001));
}

CONF_TEST(objects_destroy_id_is_not_written)
{
	int fd = conf_open();
	struct iommu_destroy *cmd = conf_mem(PAGE_SZ, 0);

	cmd->size = sizeof(*cmd);
	cmd->id = ioas_alloc(fd);
	/* DESTROY answers nothing: a read-only struct is fine. */
	conf_readonly(cmd, sizeof(*cmd));
	EXPECT_OK(ioctl(fd, IOMMU_DESTROY, cmd));
	EXPECT_ERRNO(ENOENT, ioctl(fd, IOMMU_DESTROY, cmd));
}

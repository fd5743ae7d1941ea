/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: IOMMU_OPTION.
 *
 * IOMMU_OPTION_RLIMIT_MODE is per open file (object_id must be 0): GET
 * answers 0 (per-user accounting) for /dev/iommu; SET needs
 * CAP_SYS_RESOURCE, which is checked before anything else about the
 * request, and only works while the file holds no object.
 *
 * IOMMU_OPTION_HUGE_PAGES is per IOAS (object_id): 1 by default; setting 0
 * makes the IOAS page-aligned, refused with EADDRINUSE while a mapping is
 * not page-aligned. The object is looked up before op and value are
 * checked.
 *
 * val64 is written back after every successful GET and SET.
 */
#include <linux/capability.h>

#include "conformance.h"

static int option(int fd, struct iommu_option *cmd)
{
	return ioctl(fd, IOMMU_OPTION, cmd);
}

static uint64_t get(int fd, uint32_t option_id, uint32_t object_id)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option_id,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = object_id,
		.val64 = 0xabcdef, /* ignored by GET */
	};

	EXPECT_OK(option(fd, &cmd));
	return cmd.val64;
}

static int set(int fd, uint32_t option_id, uint32_t object_id, uint64_t val)
{
	return conf_option(fd, option_id, IOMMU_OPTION_OP_SET, object_id, &val);
}

CONF_TEST(option_rlimit_get_default)
{
	int fd = conf_open();
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
		.val64 = UINT64_MAX,
	};

	EXPECT_OK(option(fd, &cmd));
	EXPECT_EQ(cmd.val64, 0);
	EXPECT_EQ(cmd.op, IOMMU_OPTION_OP_GET);
	EXPECT_EQ(cmd.object_id, 0);
	EXPECT_EQ(cmd.option_id, IOMMU_OPTION_RLIMIT_MODE);
	/* Objects do not change the answer. */
	ioas_alloc(fd);
	EXPECT_EQ(get(fd, IOMMU_OPTION_RLIMIT_MODE, 0), 0);
}

CONF_TEST(option_rlimit_set)
{
	int fd = conf_open();

	if (!conf_has_cap(CAP_SYS_RESOURCE)) {
		/* Unprivileged: refused, whatever the value. */
		EXPECT_ERRNO(EPERM, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
		EXPECT_ERRNO(EPERM, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 0));
		EXPECT_ERRNO(EPERM, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 7));
		EXPECT_EQ(get(fd, IOMMU_OPTION_RLIMIT_MODE, 0), 0);
		return;
	}
	EXPECT_OK(set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	EXPECT_EQ(get(fd, IOMMU_OPTION_RLIMIT_MODE, 0), 1);
	EXPECT_OK(set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	EXPECT_OK(set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 0));
	EXPECT_EQ(get(fd, IOMMU_OPTION_RLIMIT_MODE, 0), 0);
	EXPECT_ERRNO(EINVAL, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 2));
	EXPECT_ERRNO(EINVAL, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, UINT64_MAX));
	EXPECT_ERRNO(EINVAL, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1ULL << 32));
	EXPECT_EQ(get(fd, IOMMU_OPTION_RLIMIT_MODE, 0), 0);
}

CONF_TEST(option_rlimit_set_without_cap_eperm)
{
	int fd = conf_open();

	/* Drop CAP_SYS_RESOURCE from the effective set if we have it. */
	CHECK(conf_set_cap(CAP_SYS_RESOURCE, false));
	EXPECT_ERRNO(EPERM, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	EXPECT_ERRNO(EPERM, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 2));
	ioas_alloc(fd);
	/* EPERM comes before EBUSY and EINVAL. */
	EXPECT_ERRNO(EPERM, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	EXPECT_EQ(get(fd, IOMMU_OPTION_RLIMIT_MODE, 0), 0);
}

CONF_TEST(option_rlimit_set_busy_with_objects)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	if (!conf_has_cap(CAP_SYS_RESOURCE)) {
		EXPECT_ERRNO(EPERM, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
		return;
	}
	EXPECT_ERRNO(EBUSY, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	EXPECT_ERRNO(EBUSY, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 0));
	/* EBUSY is checked before the value. */
	EXPECT_ERRNO(EBUSY, set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 2));
	/* Once the last object is gone the mode can change again. */
	EXPECT_OK(ioctl(fd, IOMMU_DESTROY, &d));
	EXPECT_OK(set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	EXPECT_EQ(get(fd, IOMMU_OPTION_RLIMIT_MODE, 0), 1);
	EXPECT_EQ(ioas_alloc(fd), 1);
}

CONF_TEST(option_rlimit_per_file)
{
	int a = conf_open();
	int b;

	if (!conf_has_cap(CAP_SYS_RESOURCE)) {
		EXPECT_ERRNO(EPERM, set(a, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
		return;
	}
	EXPECT_OK(set(a, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	b = conf_open();
	EXPECT_EQ(get(b, IOMMU_OPTION_RLIMIT_MODE, 0), 0);
	EXPECT_EQ(get(a, IOMMU_OPTION_RLIMIT_MODE, 0), 1);
}

CONF_TEST(option_rlimit_object_id_eopnotsupp)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = id,
		.val64 = 5,
	};

	/* A global option with an object, even an existing one. */
	EXPECT_ERRNO(EOPNOTSUPP, option(fd, &cmd));
	EXPECT_EQ(cmd.val64, 5);
	cmd.object_id = 1234;
	EXPECT_ERRNO(EOPNOTSUPP, option(fd, &cmd));
	/* Checked before the capability. */
	cmd.op = IOMMU_OPTION_OP_SET;
	cmd.val64 = 1;
	EXPECT_ERRNO(EOPNOTSUPP, option(fd, &cmd));
	CHECK(conf_set_cap(CAP_SYS_RESOURCE, false));
	EXPECT_ERRNO(EOPNOTSUPP, option(fd, &cmd));
}

CONF_TEST(option_bad_op_eopnotsupp)
{
	static const uint16_t ops[] = { 2, 3, 0x8000, 0xffff };
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	unsigned int i;

	for (i = 0; i != sizeof(ops) / sizeof(ops[0]); i++) {
		uint64_t val = 0;

		conf_note("op %u", ops[i]);
		EXPECT_ERRNO(EOPNOTSUPP,
			     conf_option(fd, IOMMU_OPTION_RLIMIT_MODE, ops[i],
					 0, &val));
		EXPECT_ERRNO(EOPNOTSUPP,
			     conf_option(fd, IOMMU_OPTION_HUGE_PAGES, ops[i],
					 id, &val));
		/* An unknown object wins over an unknown op. */
		EXPECT_ERRNO(ENOENT, conf_option(fd, IOMMU_OPTION_HUGE_PAGES,
						 ops[i], id + 1, &val));
	}
}

CONF_TEST(option_unknown_option_eopnotsupp)
{
	static const uint32_t opts[] = { 2, 3, 0x100, 0x80000000, UINT32_MAX };
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	unsigned int i;

	for (i = 0; i != sizeof(opts) / sizeof(opts[0]); i++) {
		uint64_t val = 0;

		conf_note("option %u", opts[i]);
		EXPECT_ERRNO(EOPNOTSUPP,
			     conf_option(fd, opts[i], IOMMU_OPTION_OP_GET, 0,
					 &val));
		EXPECT_ERRNO(EOPNOTSUPP,
			     conf_option(fd, opts[i], IOMMU_OPTION_OP_GET, id,
					 &val));
		EXPECT_ERRNO(EOPNOTSUPP,
			     conf_option(fd, opts[i], IOMMU_OPTION_OP_SET, 999,
					 &val));
	}
}

CONF_TEST(option_reserved_eopnotsupp)
{
	int fd = conf_open();
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.__reserved = 1,
		.object_id = ioas_alloc(fd),
	};

	EXPECT_ERRNO(EOPNOTSUPP, option(fd, &cmd));
	cmd.option_id = IOMMU_OPTION_RLIMIT_MODE;
	cmd.object_id = 0;
	cmd.__reserved = 0x8000;
	EXPECT_ERRNO(EOPNOTSUPP, option(fd, &cmd));
	/* Before the object lookup. */
	cmd.option_id = IOMMU_OPTION_HUGE_PAGES;
	cmd.object_id = 999;
	EXPECT_ERRNO(EOPNOTSUPP, option(fd, &cmd));
}

CONF_TEST(option_huge_pages_default_and_set)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET,
		.object_id = id,
		.val64 = 0,
	};

	EXPECT_EQ(get(fd, IOMMU_OPTION_HUGE_PAGES, id), 1);
	EXPECT_OK(option(fd, &cmd));
	EXPECT_EQ(cmd.val64, 0);
	EXPECT_EQ(get(fd, IOMMU_OPTION_HUGE_PAGES, id), 0);
	/* Setting the current value again is fine. */
	EXPECT_OK(option(fd, &cmd));
	cmd.val64 = 1;
	EXPECT_OK(option(fd, &cmd));
	EXPECT_EQ(cmd.val64, 1);
	EXPECT_EQ(get(fd, IOMMU_OPTION_HUGE_PAGES, id), 1);
	EXPECT_OK(option(fd, &cmd));
}

CONF_TEST(option_huge_pages_bad_value_einval)
{
	static const uint64_t bad[] = { 2, 0x100, 1ULL << 32, UINT64_MAX };
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	unsigned int i;

	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		conf_note("val64 0x%llx", (unsigned long long)bad[i]);
		EXPECT_ERRNO(EINVAL,
			     set(fd, IOMMU_OPTION_HUGE_PAGES, id, bad[i]));
		EXPECT_ERRNO(ENOENT,
			     set(fd, IOMMU_OPTION_HUGE_PAGES, id + 1, bad[i]));
	}
	EXPECT_EQ(get(fd, IOMMU_OPTION_HUGE_PAGES, id), 1);
}

CONF_TEST(option_huge_pages_bad_object_enoent)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	uint64_t val = 0;
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	EXPECT_ERRNO(ENOENT, conf_option(fd, IOMMU_OPTION_HUGE_PAGES,
					 IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_ERRNO(ENOENT,
		     conf_option(fd, IOMMU_OPTION_HUGE_PAGES,
				 IOMMU_OPTION_OP_GET, UINT32_MAX, &val));
	EXPECT_ERRNO(ENOENT, set(fd, IOMMU_OPTION_HUGE_PAGES, 0, 0));
	EXPECT_OK(ioctl(fd, IOMMU_DESTROY, &d));
	EXPECT_ERRNO(ENOENT, conf_option(fd, IOMMU_OPTION_HUGE_PAGES,
					 IOMMU_OPTION_OP_GET, id, &val));
}

CONF_TEST(option_huge_pages_blocked_by_unaligned_mapping)
{
	static const struct {
		uint64_t va_off, len, iova;
	} maps[] = {
		{ 0, PAGE_SZ, 0x10800 }, /* IOVA */
		{ 0, PAGE_SZ + 1, 0x10000 }, /* length */
		{ 0x10, PAGE_SZ, 0x10000 }, /* offset of user_va in its page */
	};
	int fd = conf_open();
	uint8_t *va = conf_mem(2 * PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	unsigned int i;

	for (i = 0; i != sizeof(maps) / sizeof(maps[0]); i++) {
		conf_note("mapping %u", i);
		map_fixed(fd, id, va + maps[i].va_off, maps[i].len,
			  maps[i].iova);
		map_fixed(fd, id, va, PAGE_SZ, 0x40000);
		EXPECT_ERRNO(EADDRINUSE,
			     set(fd, IOMMU_OPTION_HUGE_PAGES, id, 0));
		EXPECT_EQ(get(fd, IOMMU_OPTION_HUGE_PAGES, id), 1);
		/* Still byte-aligned. */
		map_fixed(fd, id, va, 1, 0x50001);
		EXPECT_EQ(unmap(fd, id, 0, UINT64_MAX),
			  maps[i].len + PAGE_SZ + 1);
		EXPECT_OK(set(fd, IOMMU_OPTION_HUGE_PAGES, id, 0));
		EXPECT_OK(set(fd, IOMMU_OPTION_HUGE_PAGES, id, 1));
	}
}

CONF_TEST(option_huge_pages_with_aligned_mappings)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(2 * PAGE_SZ, 0);
	uint32_t id = ioas_alloc(fd);
	uint64_t iova = 0x30800;

	map_fixed(fd, id, va, 2 * PAGE_SZ, 0x10000);
	map_fixed(fd, id, va + PAGE_SZ, PAGE_SZ, 0x20000);
	EXPECT_OK(set(fd, IOMMU_OPTION_HUGE_PAGES, id, 0));
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, id, MAP_FIXED_RW, va, PAGE_SZ, &iova));
	/* Turning huge pages back on brings back byte alignment. */
	EXPECT_OK(set(fd, IOMMU_OPTION_HUGE_PAGES, id, 1));
	EXPECT_OK(conf_map(fd, id, MAP_FIXED_RW, va, PAGE_SZ, &iova));
	EXPECT_ERRNO(EADDRINUSE, set(fd, IOMMU_OPTION_HUGE_PAGES, id, 0));
}

CONF_TEST(option_huge_pages_per_ioas)
{
	int fd = conf_open();
	uint32_t a = ioas_alloc(fd), b = ioas_alloc(fd);

	EXPECT_OK(set(fd, IOMMU_OPTION_HUGE_PAGES, a, 0));
	EXPECT_EQ(get(fd, IOMMU_OPTION_HUGE_PAGES, a), 0);
	EXPECT_EQ(get(fd, IOMMU_OPTION_HUGE_PAGES, b), 1);
	EXPECT_EQ(get(fd, IOMMU_OPTION_HUGE_PAGES, ioas_alloc(fd)), 1);
}

CONF_TEST(option_readonly_struct_efault)
{
	int fd = conf_open();
	uint32_t id = ioas_alloc(fd);
	struct iommu_option *cmd = conf_mem(PAGE_SZ, 0);

	cmd->size = sizeof(*cmd);
	cmd->option_id = IOMMU_OPTION_HUGE_PAGES;
	cmd->op = IOMMU_OPTION_OP_SET;
	cmd->object_id = id;
	cmd->val64 = 0;
	conf_readonly(cmd, sizeof(*cmd));
	/* SET writes val64 back too; the option is set nevertheless. */
	EXPECT_ERRNO(EFAULT, option(fd, cmd));
	EXPECT_EQ(get(fd, IOMMU_OPTION_HUGE_PAGES, id), 0);
}

CONF_TEST(option_readonly_struct_get_efault)
{
	int fd = conf_open();
	struct iommu_option *cmd = conf_mem(PAGE_SZ, 0);

	cmd->size = sizeof(*cmd);
	cmd->option_id = IOMMU_OPTION_RLIMIT_MODE;
	cmd->op = IOMMU_OPTION_OP_GET;
	cmd->val64 = 3;
	conf_readonly(cmd, sizeof(*cmd));
	EXPECT_ERRNO(EFAULT, option(fd, cmd));
	EXPECT_EQ(cmd->val64, 3);
}

CONF_TEST(option_writes_only_val64)
{
	int fd = conf_open();
	struct {
		struct iommu_option opt;
		uint64_t tail;
	} big = {
		.opt = {
			.size = sizeof(big),
			.option_id = IOMMU_OPTION_HUGE_PAGES,
			.op = IOMMU_OPTION_OP_GET,
			.object_id = ioas_alloc(fd),
			.val64 = 77,
		},
	};

	EXPECT_OK(option(fd, &big.opt));
	EXPECT_EQ(big.opt.val64, 1);
	EXPECT_EQ(big.opt.size, sizeof(big));
	EXPECT_EQ(big.opt.option_id, IOMMU_OPTION_HUGE_PAGES);
	EXPECT_EQ(big.opt.op, IOMMU_OPTION_OP_GET);
	EXPECT_EQ(big.tail, 0);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: accesses of IOMMU_TEST_CMD. CREATE_ACCESS hands out an
 * access fd (and an access object that takes an ID); the ACCESS_* ops take
 * that fd in the id field. An access pins pages of an IOAS or reads and
 * writes through it; an unmap covering its pins asks it to let them go.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conformance.h"

static int create_access(int fd, uint32_t ioas, uint32_t flags, int *afd)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas,
		.create_access.flags = flags,
	};
	int rc = conf_test_cmd(fd, &cmd);

	if (!rc)
		*afd = conf_adopt_fd((int)cmd.create_access.out_access_fd);
	return rc;
}

static int access_pages(int fd, int afd, uint64_t iova, uint64_t len,
			const void *uptr, uint32_t flags, uint32_t *item)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = (uint32_t)afd,
		.access_pages = { .flags = flags,
				  .iova = iova,
				  .length = len,
				  .uptr = (uintptr_t)uptr },
	};
	int rc = conf_test_cmd(fd, &cmd);

	if (!rc && item)
		*item = cmd.access_pages.out_access_pages_id;
	return rc;
}

static int access_rw(int fd, int afd, uint64_t iova, void *buf, uint64_t len,
		     uint32_t flags)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = (uint32_t)afd,
		.access_rw = { .iova = iova,
			       .length = len,
			       .uptr = (uintptr_t)buf,
			       .flags = flags },
	};

	return conf_test_cmd(fd, &cmd);
}

#define IOVA 0x100000UL

CONF_TEST(access_create_errors)
{
	int fd = conf_open(), afd = -1;
	uint32_t ioas = ioas_alloc(fd);

	EXPECT_ERRNO(EOPNOTSUPP, create_access(fd, ioas, 2, &afd));
	EXPECT_ERRNO(ENOENT, create_access(fd, ioas + 1, 0, &afd));
}

CONF_TEST(access_object_ids_and_busy)
{
	int fd = conf_open(), afd = -1;
	uint32_t ioas = ioas_alloc(fd);

	EXPECT_OK(create_access(fd, ioas, 0, &afd));
	/* The access is object ioas + 1, owned by its fd. */
	EXPECT_EQ(fcntl(afd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(ioas_alloc(fd), ioas + 2);
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, ioas + 1));
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, ioas));
	close(afd);
	conf_forget_fd(afd);
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, ioas + 1));
	EXPECT_OK(conf_destroy(fd, ioas));
}

CONF_TEST(access_rw_through_ioas)
{
	int fd = conf_open(), afd = -1;
	uint32_t ioas = ioas_alloc(fd);
	char *mem = conf_mem(4 * PAGE_SZ, PAGE_SZ);
	char out[100], in[100];

	memset(out, 0x3c, sizeof(out));
	map_fixed(fd, ioas, mem, 4 * PAGE_SZ, IOVA);
	EXPECT_OK(create_access(fd, ioas, 0, &afd));
	/* Across a page boundary, both directions, both paths. */
	EXPECT_OK(access_rw(fd, afd, IOVA + PAGE_SZ - 50, out, sizeof(out),
			    MOCK_ACCESS_RW_WRITE));
	CHECK(!memcmp(mem + PAGE_SZ - 50, out, sizeof(out)));
	memset(in, 0, sizeof(in));
	EXPECT_OK(access_rw(fd, afd, IOVA + PAGE_SZ - 50, in, sizeof(in),
			    MOCK_ACCESS_RW_SLOW_PATH));
	CHECK(!memcmp(in, out, sizeof(in)));
	/* Beyond the mapping, a zero length, an unknown flag, a bad fd. */
	EXPECT_ERRNO(ENOENT,
		     access_rw(fd, afd, IOVA + 4 * PAGE_SZ - 8, in, 16, 0));
	EXPECT_ERRNO(EINVAL, access_rw(fd, afd, IOVA, in, 0, 0));
	EXPECT_ERRNO(EOPNOTSUPP, access_rw(fd, afd, IOVA, in, 8, 1 << 3));
	EXPECT_ERRNO(EBADFD, access_rw(fd, fd, IOVA, in, 8, 0));
}

CONF_TEST(access_rw_readonly_area_eperm)
{
	int fd = conf_open(), afd = -1;
	uint32_t ioas = ioas_alloc(fd);
	char *mem = conf_mem(PAGE_SZ, PAGE_SZ);
	uint64_t iova = IOVA;
	char buf[8] = { 0 };

	CHECK(!conf_map(fd, ioas,
			IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA,
			mem, PAGE_SZ, &iova));
	EXPECT_OK(create_access(fd, ioas, 0, &afd));
	EXPECT_OK(access_rw(fd, afd, IOVA, buf, sizeof(buf), 0));
	EXPECT_ERRNO(EPERM, access_rw(fd, afd, IOVA, buf, sizeof(buf),
				      MOCK_ACCESS_RW_WRITE));
}

CONF_TEST(access_pages_pin_and_release)
{
	int fd = conf_open(), afd = -1, plain = -1;
	uint32_t ioas = ioas_alloc(fd), item0 = 99, item1 = 99;
	char *mem = conf_mem(4 * PAGE_SZ, PAGE_SZ);
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	};

	memset(mem, 1, 4 * PAGE_SZ);
	map_fixed(fd, ioas, mem, 4 * PAGE_SZ, IOVA);
	EXPECT_OK(create_access(
		fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd));
	EXPECT_OK(create_access(fd, ioas, 0, &plain));
	EXPECT_OK(conf_check_refs(fd, mem, 4 * PAGE_SZ, 0));
	EXPECT_OK(access_pages(fd, afd, IOVA + PAGE_SZ, 2 * PAGE_SZ,
			       mem + PAGE_SZ, 0, &item0));
	EXPECT_EQ(item0, 0);
	EXPECT_OK(conf_check_refs(fd, mem + PAGE_SZ, 2 * PAGE_SZ, 1));
	EXPECT_OK(conf_check_refs(fd, mem, PAGE_SZ, 0));
	/* Exactly the same range again: one pin, two items. */
	EXPECT_OK(access_pages(fd, afd, IOVA + PAGE_SZ, 2 * PAGE_SZ,
			       mem + PAGE_SZ, 0, &item1));
	EXPECT_EQ(item1, 1);
	EXPECT_OK(conf_check_refs(fd, mem + PAGE_SZ, 2 * PAGE_SZ, 1));
	/* The wrong pages, an access that does not pin, a hole. */
	EXPECT_ERRNO(EBADE, access_pages(fd, afd, IOVA, PAGE_SZ, mem + PAGE_SZ,
					 0, NULL));
	EXPECT_ERRNO(EOPNOTSUPP,
		     access_pages(fd, plain, IOVA, PAGE_SZ, mem, 0, NULL));
	EXPECT_ERRNO(ENOENT, access_pages(fd, afd, IOVA + 3 * PAGE_SZ,
					  2 * PAGE_SZ, NULL, 0, NULL));
	EXPECT_ERRNO(EOPNOTSUPP,
		     access_pages(fd, afd, IOVA, PAGE_SZ, mem, 1 << 3, NULL));

	cmd.id = (uint32_t)afd;
	cmd.destroy_access_pages.access_pages_id = item0;
	EXPECT_OK(conf_test_cmd(fd, &cmd));
	EXPECT_ERRNO(ENOENT, conf_test_cmd(fd, &cmd));
	EXPECT_OK(conf_check_refs(fd, mem + PAGE_SZ, 2 * PAGE_SZ, 1));
	cmd.destroy_access_pages.access_pages_id = item1;
	EXPECT_OK(conf_test_cmd(fd, &cmd));
	EXPECT_OK(conf_check_refs(fd, mem, 4 * PAGE_SZ, 0));
}

/* An unmap over pinned pages makes the access let go, and succeeds. */
CONF_TEST(access_pages_unmap_notifies)
{
	int fd = conf_open(), afd = -1;
	uint32_t ioas = ioas_alloc(fd), item = 99;
	char *mem = conf_mem(4 * PAGE_SZ, PAGE_SZ);
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	};

	memset(mem, 1, 4 * PAGE_SZ);
	map_fixed(fd, ioas, mem, 4 * PAGE_SZ, IOVA);
	EXPECT_OK(create_access(
		fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd));
	EXPECT_OK(access_pages(fd, afd, IOVA, 4 * PAGE_SZ, mem, 0, &item));
	EXPECT_OK(conf_check_refs(fd, mem, 4 * PAGE_SZ, 1));
	EXPECT_EQ(unmap(fd, ioas, IOVA, 4 * PAGE_SZ), 4 * PAGE_SZ);
	EXPECT_OK(conf_check_refs(fd, mem, 4 * PAGE_SZ, 0));
	cmd.id = (uint32_t)afd;
	cmd.destroy_access_pages.access_pages_id = item;
	EXPECT_ERRNO(ENOENT, conf_test_cmd(fd, &cmd));
}

/* A pinning access makes the IOAS page aligned while it is attached. */
CONF_TEST(access_pin_raises_alignment)
{
	int fd = conf_open(), afd = -1;
	uint32_t ioas = ioas_alloc(fd);
	char *mem = conf_mem(2 * PAGE_SZ, PAGE_SZ);
	uint64_t iova = IOVA + 512;

	CHECK(!conf_map(fd, ioas, MAP_FIXED_RW, mem + 512, PAGE_SZ, &iova));
	EXPECT_ERRNO(EADDRINUSE,
		     create_access(fd, ioas,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &afd));
	EXPECT_EQ(unmap(fd, ioas, IOVA + 512, PAGE_SZ), PAGE_SZ);
	EXPECT_OK(create_access(
		fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd));
	iova = IOVA + 512;
	EXPECT_ERRNO(EINVAL, conf_map(fd, ioas, MAP_FIXED_RW, mem + 512,
				      PAGE_SZ, &iova));
}

CONF_TEST(access_replace_ioas)
{
	int fd = conf_open(), afd = -1;
	uint32_t ioas = ioas_alloc(fd), other;
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS };
	char *mem = conf_mem(PAGE_SZ, PAGE_SZ);
	char buf[8] = "replace";

	EXPECT_OK(create_access(fd, ioas, 0, &afd));
	other = ioas_alloc(fd);
	map_fixed(fd, other, mem, PAGE_SZ, IOVA);
	cmd.id = (uint32_t)afd;
	cmd.access_replace_ioas.ioas_id = other;
	EXPECT_OK(conf_test_cmd(fd, &cmd));
	/* Reads now go through the other IOAS, and the first is free. */
	EXPECT_OK(access_rw(fd, afd, IOVA, buf, sizeof(buf),
			    MOCK_ACCESS_RW_WRITE));
	CHECK(!memcmp(mem, "replace", 8));
	EXPECT_OK(conf_destroy(fd, ioas));
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, other));
	cmd.access_replace_ioas.ioas_id = ioas;
	EXPECT_ERRNO(ENOENT, conf_test_cmd(fd, &cmd));
	cmd.id = (uint32_t)fd;
	EXPECT_ERRNO(EBADFD, conf_test_cmd(fd, &cmd));
}

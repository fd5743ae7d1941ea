// SPDX-License-Identifier: BSD-3-Clause
/*
 * Accesses through the library API: IOMMU_TEST_CMD's access fd from the
 * library's own fd table, pinning, reading and writing through an IOAS,
 * the unmap notification, and the access going away with its fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "iommufd_private.h"

#define BUF_SIZE (16 * 4096UL)

struct fixture {
	struct uiommufd_ctx *ctx;
	uint32_t ioas_id;
	char *buf;
};

static int setup(void **state)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct fixture *f = calloc(1, sizeof(*f));

	f->ctx = uiommufd_open();
	assert_int_equal(uiommufd_ioctl(f->ctx, IOMMU_IOAS_ALLOC, &alloc), 0);
	f->ioas_id = alloc.out_ioas_id;
	f->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->buf != MAP_FAILED);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uiommufd_close(f->ctx);
	munmap(f->buf, BUF_SIZE);
	free(f);
	return 0;
}

static int test_cmd(struct fixture *f, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return uiommufd_ioctl(f->ctx, IOMMU_TEST_CMD, cmd) ? -errno : 0;
}

static uint64_t map(struct fixture *f, void *va, uint64_t length)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = f->ioas_id,
		.user_va = (uintptr_t)va,
		.length = length,
	};

	assert_int_equal(uiommufd_ioctl(f->ctx, IOMMU_IOAS_MAP, &cmd), 0);
	return cmd.iova;
}

static int unmap(struct fixture *f, uint64_t iova, uint64_t length)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = f->ioas_id,
		.iova = iova,
		.length = length,
	};

	return uiommufd_ioctl(f->ctx, IOMMU_IOAS_UNMAP, &cmd) ? -errno : 0;
}

static int create_access(struct fixture *f, uint32_t flags)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = f->ioas_id,
		.create_access.flags = flags,
	};
	int rc = test_cmd(f, &cmd);

	return rc ? rc : (int)cmd.create_access.out_access_fd;
}

static int check_refs(struct fixture *f, void *va, uint64_t length,
		      unsigned int refs)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = length,
				.uptr = (uintptr_t)va,
				.refs = refs },
	};

	return test_cmd(f, &cmd);
}

static int destroy(struct fixture *f, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return uiommufd_ioctl(f->ctx, IOMMU_DESTROY, &cmd) ? -errno : 0;
}

static void access_fd_lifetime(void **state)
{
	struct fixture *f = *state;
	int fd = create_access(f, 0);

	assert_true(fd >= 0);
	/* A real fd, close-on-exec, of the library's own table. */
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* The access (ID 2) holds the IOAS and cannot be destroyed itself. */
	assert_int_equal(destroy(f, f->ioas_id), -EBUSY);
	assert_int_equal(destroy(f, 2), -EBUSY);
	assert_int_equal(uiommufd_fd_close(fd), 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(uiommufd_fd_close(fd), -1);
	assert_int_equal(errno, EBADF);
	/* Gone with its fd: the IOAS is free again. */
	assert_int_equal(destroy(f, 2), -ENOENT);
	assert_int_equal(destroy(f, f->ioas_id), 0);

	/* Bad flags, an unknown IOAS. */
	assert_int_equal(create_access(f, 2), -EOPNOTSUPP);
	assert_int_equal(create_access(f, 0), -ENOENT);
}

static void access_rw(void **state)
{
	struct fixture *f = *state;
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_RW };
	uint64_t iova = map(f, f->buf, BUF_SIZE);
	char out[64] = "through the IOAS", in[64] = { 0 };
	int fd = create_access(f, 0);

	cmd.id = (uint32_t)fd;
	cmd.access_rw.iova = iova + 4095;
	cmd.access_rw.length = sizeof(out);
	cmd.access_rw.uptr = (uintptr_t)out;
	cmd.access_rw.flags = MOCK_ACCESS_RW_WRITE;
	assert_int_equal(test_cmd(f, &cmd), 0);
	/* Written across a page boundary, into the mapped memory. */
	assert_memory_equal(f->buf + 4095, out, sizeof(out));

	cmd.access_rw.uptr = (uintptr_t)in;
	cmd.access_rw.flags = MOCK_ACCESS_RW_SLOW_PATH;
	assert_int_equal(test_cmd(f, &cmd), 0);
	assert_memory_equal(in, out, sizeof(out));

	/* Past the mapping, nothing is there. */
	cmd.access_rw.iova = iova + BUF_SIZE - 8;
	assert_int_equal(test_cmd(f, &cmd), -ENOENT);
	cmd.access_rw.flags = 1 << 3;
	assert_int_equal(test_cmd(f, &cmd), -EOPNOTSUPP);
	/* Not an access fd. */
	cmd.id = 0;
	cmd.access_rw.flags = 0;
	assert_int_equal(test_cmd(f, &cmd), -EBADFD);
	assert_int_equal(uiommufd_fd_close(fd), 0);
}

static void access_pages_and_unmap(void **state)
{
	struct fixture *f = *state;
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_PAGES };
	uint64_t iova = map(f, f->buf, BUF_SIZE);
	int fd = create_access(f, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	int plain = create_access(f, 0);

	/* Without a domain nothing is pinned until the access pins. */
	assert_int_equal(check_refs(f, f->buf, BUF_SIZE, 0), 0);
	cmd.id = (uint32_t)fd;
	cmd.access_pages.iova = iova + 4096;
	cmd.access_pages.length = 2 * 4096;
	cmd.access_pages.uptr = (uintptr_t)f->buf + 4096;
	assert_int_equal(test_cmd(f, &cmd), 0);
	assert_int_equal(cmd.access_pages.out_access_pages_id, 0);
	assert_int_equal(check_refs(f, f->buf + 4096, 2 * 4096, 1), 0);
	assert_int_equal(check_refs(f, f->buf, 4096, 0), 0);
	/* The same range again shares the pin. */
	assert_int_equal(test_cmd(f, &cmd), 0);
	assert_int_equal(cmd.access_pages.out_access_pages_id, 1);
	assert_int_equal(check_refs(f, f->buf + 4096, 2 * 4096, 1), 0);
	/* Pages that are not the ones at uptr. */
	cmd.access_pages.uptr = (uintptr_t)f->buf;
	assert_int_equal(test_cmd(f, &cmd), -EBADE);
	/* An access that does not pin may not. */
	cmd.id = (uint32_t)plain;
	assert_int_equal(test_cmd(f, &cmd), -EOPNOTSUPP);

	/* Item 0 goes by id, item 1 by the unmap, which asks for it. */
	cmd = (struct iommu_test_cmd){
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = (uint32_t)fd,
		.destroy_access_pages.access_pages_id = 0,
	};
	assert_int_equal(test_cmd(f, &cmd), 0);
	assert_int_equal(test_cmd(f, &cmd), -ENOENT);
	assert_int_equal(check_refs(f, f->buf + 4096, 2 * 4096, 1), 0);
	assert_int_equal(unmap(f, iova, BUF_SIZE), 0);
	assert_int_equal(check_refs(f, f->buf, BUF_SIZE, 0), 0);
	cmd.destroy_access_pages.access_pages_id = 1;
	assert_int_equal(test_cmd(f, &cmd), -ENOENT);
	assert_int_equal(uiommufd_fd_close(fd), 0);
	assert_int_equal(uiommufd_fd_close(plain), 0);
}

static void access_replace_ioas(void **state)
{
	struct fixture *f = *state;
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS };
	int fd = create_access(f, 0);

	assert_int_equal(uiommufd_ioctl(f->ctx, IOMMU_IOAS_ALLOC, &alloc), 0);
	cmd.id = (uint32_t)fd;
	cmd.access_replace_ioas.ioas_id = alloc.out_ioas_id;
	assert_int_equal(test_cmd(f, &cmd), 0);
	/* The first IOAS is no longer held, the second one is. */
	assert_int_equal(destroy(f, alloc.out_ioas_id), -EBUSY);
	assert_int_equal(destroy(f, f->ioas_id), 0);
	cmd.access_replace_ioas.ioas_id = 99;
	assert_int_equal(test_cmd(f, &cmd), -ENOENT);
	assert_int_equal(uiommufd_fd_close(fd), 0);
	assert_int_equal(destroy(f, alloc.out_ioas_id), 0);
}

/*
 * An access fd keeps its context alive, as in the kernel where the access
 * holds the iommufd file: closing the context first leaves the pins until
 * the access fd closes too.
 */
static void access_outlives_context(void **state)
{
	struct fixture *f = *state;
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_PAGES };
	uint64_t iova = map(f, f->buf, BUF_SIZE);
	int fd = create_access(f, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	struct uiommufd_ctx *probe = uiommufd_open();

	cmd.id = (uint32_t)fd;
	cmd.access_pages.iova = iova;
	cmd.access_pages.length = BUF_SIZE;
	assert_int_equal(test_cmd(f, &cmd), 0);
	uiommufd_close(f->ctx);
	/* Another context sees the pages still pinned by the first one. */
	f->ctx = probe;
	assert_int_equal(check_refs(f, f->buf, BUF_SIZE, 1), 0);
	assert_int_equal(uiommufd_fd_close(fd), 0);
	assert_int_equal(check_refs(f, f->buf, BUF_SIZE, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(access_fd_lifetime, setup,
						teardown),
		cmocka_unit_test_setup_teardown(access_rw, setup, teardown),
		cmocka_unit_test_setup_teardown(access_pages_and_unmap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(access_replace_ioas, setup,
						teardown),
		cmocka_unit_test_setup_teardown(access_outlives_context, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

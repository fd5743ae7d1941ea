/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the unit tests: a context per test and ioctl wrappers. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include <cmocka.h>

#include "uiommufd/abi.h"
#include "uiommufd/uiommufd.h"

#include "iommufd_private.h"

#define MAP_RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define MAP_FIXED_RW (MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA)
#define PAGE 4096UL

/* Run an ioctl, return 0 or the errno it failed with. */
static inline int do_ioctl(struct uiommufd_ctx *ctx, unsigned long req,
			   void *arg)
{
	errno = 0;
	if (uiommufd_ioctl(ctx, req, arg) == 0)
		return 0;
	return errno ? errno : -1;
}

#define assert_ok(ctx, req, arg) assert_int_equal(do_ioctl(ctx, req, arg), 0)
#define assert_err(err, ctx, req, arg) \
	assert_int_equal(do_ioctl(ctx, req, arg), err)

static inline int ioas_alloc(struct uiommufd_ctx *ctx, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = do_ioctl(ctx, IOMMU_IOAS_ALLOC, &cmd);

	*id = rc ? 0 : cmd.out_ioas_id;
	return rc;
}

static inline int ioas_map(struct uiommufd_ctx *ctx, uint32_t ioas,
			   const void *va, uint64_t len, uint64_t *iova,
			   uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = *iova,
	};
	int rc = do_ioctl(ctx, IOMMU_IOAS_MAP, &cmd);

	if (!rc)
		*iova = cmd.iova;
	return rc;
}

static inline int ioas_map_fixed(struct uiommufd_ctx *ctx, uint32_t ioas,
				 const void *va, uint64_t len, uint64_t iova)
{
	return ioas_map(ctx, ioas, va, len, &iova, MAP_FIXED_RW);
}

static inline int ioas_unmap(struct uiommufd_ctx *ctx, uint32_t ioas,
			     uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
	int rc = do_ioctl(ctx, IOMMU_IOAS_UNMAP, &cmd);

	if (unmapped)
		*unmapped = rc ? 0 : cmd.length;
	return rc;
}

static inline int ioas_copy(struct uiommufd_ctx *ctx, uint32_t dst,
			    uint32_t src, uint64_t src_iova, uint64_t len,
			    uint64_t *dst_iova, uint32_t flags)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst,
		.src_ioas_id = src,
		.length = len,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int rc = do_ioctl(ctx, IOMMU_IOAS_COPY, &cmd);

	if (!rc)
		*dst_iova = cmd.dst_iova;
	return rc;
}

static inline int object_destroy(struct uiommufd_ctx *ctx, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return do_ioctl(ctx, IOMMU_DESTROY, &cmd);
}

/* An anonymous mapping for user memory; tests unmap it themselves. */
static inline void *test_buffer(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

/* An address range that is certainly not mapped. */
static inline void *test_hole(size_t len)
{
	void *p = test_buffer(len, PROT_NONE);

	munmap(p, len);
	return p;
}

static inline int ctx_setup(void **state)
{
	*state = uiommufd_open();
	return *state ? 0 : -1;
}

static inline int ctx_teardown(void **state)
{
	uiommufd_close(*state);
	return 0;
}

/* Is @cap (IOMMUFD_CAP_*) in this thread's effective set? */
static inline bool have_cap(int cap)
{
	struct iommufd_umem *umem = iommufd_umem_self();

	return umem->ops->capable(umem, cap);
}

/* Drop @cap from this thread's effective set; true if it is gone. */
static inline bool drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return false;
	data[cap / 32].effective &= ~(1U << (cap % 32));
	return syscall(SYS_capset, &hdr, data) == 0 && !have_cap(cap);
}

/* MD_CHECK_MAP: does every IO page of [iova, iova + len) of mock HWPT
 * @hwpt map @va? 0 or the errno. */
static inline int check_map(struct uiommufd_ctx *ctx, uint32_t hwpt,
			    uint64_t iova, uint64_t len, const void *va)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt,
		.check_map = { .iova = iova,
			       .length = len,
			       .uptr = (uintptr_t)va },
	};

	return do_ioctl(ctx, IOMMU_TEST_CMD, &cmd);
}

#define ctx_test(fn) \
	cmocka_unit_test_setup_teardown(fn, ctx_setup, ctx_teardown)

#endif /* TEST_UTIL_H */

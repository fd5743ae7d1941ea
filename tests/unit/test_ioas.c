// SPDX-License-Identifier: BSD-3-Clause
/*
 * The IOAS ioctls: IOVA ranges, allowed ranges, map, copy and unmap, with
 * the results and errnos Linux 6.12 gives (checked in the oracle kernel).
 */
#include "test_util.h"

#include "io_pagetable.h"

struct fixture {
	struct uiommufd_ctx *ctx;
	uint32_t ioas;
	char *buf; /* 4 MiB, 2 MiB aligned, read-write */
	size_t buf_len;
	void *raw;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->ctx = uiommufd_open();
	f->buf_len = 4 << 20;
	f->raw = test_buffer(f->buf_len + (2 << 20), PROT_READ | PROT_WRITE);
	f->buf = (char *)(((uintptr_t)f->raw + (2 << 20) - 1) &
			  ~((uintptr_t)(2 << 20) - 1));
	if (!f->ctx || ioas_alloc(f->ctx, &f->ioas))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uiommufd_close(f->ctx);
	munmap(f->raw, f->buf_len + (2 << 20));
	free(f);
	return 0;
}

#define ioas_test(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static int iova_ranges(struct fixture *f, uint32_t ioas,
		       struct iommu_iova_range *r, uint32_t *num,
		       uint64_t *alignment)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = *num,
		.allowed_iovas = (uintptr_t)r,
	};
	int rc = do_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &cmd);

	*num = cmd.num_iovas;
	if (alignment)
		*alignment = cmd.out_iova_alignment;
	return rc;
}

static int allow_iovas(struct fixture *f, struct iommu_iova_range *r,
		       uint32_t num)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = f->ioas,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)r,
	};

	return do_ioctl(f->ctx, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

static void alloc_rejects_flags(void **state)
{
	struct fixture *f = *state;
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd), .flags = 1 };

	assert_err(EOPNOTSUPP, f->ctx, IOMMU_IOAS_ALLOC, &cmd);
}

static void ranges_of_fresh_ioas(void **state)
{
	struct fixture *f = *state;
	struct iommu_iova_range r[2] = {};
	uint64_t alignment;
	uint32_t num = 0;

	/* Too small an array: the count still comes back. */
	assert_int_equal(iova_ranges(f, f->ioas, NULL, &num, &alignment),
			 EMSGSIZE);
	assert_int_equal(num, 1);
	assert_int_equal(alignment, 1);
	num = 2;
	assert_int_equal(iova_ranges(f, f->ioas, r, &num, &alignment), 0);
	assert_int_equal(num, 1);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, UINT64_MAX);
	num = 1;
	assert_int_equal(iova_ranges(f, f->ioas, test_hole(PAGE), &num, NULL),
			 EFAULT);
	num = 1;
	assert_int_equal(iova_ranges(f, 99, r, &num, NULL), ENOENT);
}

static void ranges_skip_reserved(void **state)
{
	struct fixture *f = *state;
	struct iommufd_ioas *ioas = iommufd_get_ioas(f->ctx, f->ioas);
	struct iommu_iova_range r[4];
	uint32_t num = 1;

	assert_non_null(ioas);
	assert_int_equal(iopt_reserve_iova(&ioas->iopt, 0, 0xfff, NULL), 0);
	assert_int_equal(iopt_reserve_iova(&ioas->iopt, 0x10000, 0x1ffff, NULL),
			 0);
	assert_int_equal(iopt_reserve_iova(&ioas->iopt, 0x18000, 0x20fff, NULL),
			 0);
	iommufd_put_object(&ioas->obj);

	assert_int_equal(iova_ranges(f, f->ioas, r, &num, NULL), EMSGSIZE);
	assert_int_equal(num, 2);
	assert_int_equal(r[0].start, 0x1000);
	assert_int_equal(r[0].last, 0xffff);
	num = 4;
	assert_int_equal(iova_ranges(f, f->ioas, r, &num, NULL), 0);
	assert_int_equal(num, 2);
	assert_int_equal(r[1].start, 0x21000);
	assert_int_equal(r[1].last, UINT64_MAX);

	/* Mapping into reserved IOVA is refused; allocation avoids it. */
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, PAGE, 0x1f000),
			 EINVAL);
	uint64_t iova = 0;
	assert_int_equal(
		ioas_map(f->ctx, f->ioas, f->buf, 0x10000, &iova, MAP_RW), 0);
	assert_int_equal(iova, 0x30000);
	/* Reserving over an area is refused. */
	ioas = iommufd_get_ioas(f->ctx, f->ioas);
	assert_int_equal(iopt_reserve_iova(&ioas->iopt, 0x30000, 0x30000, NULL),
			 -EADDRINUSE);
	iommufd_put_object(&ioas->obj);
}

static void allow_iovas_rules(void **state)
{
	struct fixture *f = *state;
	struct iommu_iova_range r[3] = {
		{ .start = 0x100000, .last = 0x1fffff },
		{ .start = 0x400000, .last = 0x7fffff },
		{ .start = 0x10000, .last = 0x10000 },
	};
	uint64_t iova;

	assert_int_equal(allow_iovas(f, r, 3), EINVAL); /* start == last */
	r[2] = (struct iommu_iova_range){ .start = 0x1ff000, .last = 0x200fff };
	assert_int_equal(allow_iovas(f, r, 3), EINVAL); /* overlap */
	assert_int_equal(allow_iovas(f, test_hole(PAGE), 1), EFAULT);
	assert_int_equal(allow_iovas(f, r, 2), 0);

	/* Allocation stays inside the allowed ranges... */
	iova = 0;
	assert_int_equal(
		ioas_map(f->ctx, f->ioas, f->buf, 0x100000, &iova, MAP_RW), 0);
	assert_int_equal(iova, 0x100000);
	iova = 0;
	assert_int_equal(
		ioas_map(f->ctx, f->ioas, f->buf, 0x100000, &iova, MAP_RW), 0);
	assert_int_equal(iova, 0x400000);
	iova = 0;
	assert_int_equal(ioas_map(f->ctx, f->ioas, f->buf, 0x400000, &iova,
				  MAP_RW),
			 ENOSPC);
	/* ...but fixed mappings may go anywhere. */
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, PAGE, 0x900000), 0);

	/* Allowed ranges may not cover reserved IOVA. */
	struct iommufd_ioas *ioas = iommufd_get_ioas(f->ctx, f->ioas);
	assert_int_equal(iopt_reserve_iova(&ioas->iopt, 0x150000, 0x150fff,
					   NULL),
			 -EADDRINUSE);
	assert_int_equal(iopt_reserve_iova(&ioas->iopt, 0x10000000, 0x10000fff,
					   NULL),
			 0);
	iommufd_put_object(&ioas->obj);
	r[0] = (struct iommu_iova_range){ .start = 0x10000000,
					  .last = 0x1fffffff };
	assert_int_equal(allow_iovas(f, r, 1), EADDRINUSE);

	/* An empty list allows everything again. */
	assert_int_equal(allow_iovas(f, NULL, 0), 0);
	iova = 0;
	assert_int_equal(ioas_map(f->ctx, f->ioas, f->buf, PAGE, &iova, MAP_RW),
			 0);
	assert_int_equal(iova, PAGE);
}

static void map_argument_checks(void **state)
{
	struct fixture *f = *state;
	uint64_t iova = 0;

	assert_int_equal(ioas_map(f->ctx, f->ioas, f->buf, PAGE, &iova, 0),
			 EINVAL);
	assert_int_equal(ioas_map(f->ctx, f->ioas, f->buf, PAGE, &iova,
				  IOMMU_IOAS_MAP_FIXED_IOVA),
			 EINVAL);
	assert_int_equal(ioas_map(f->ctx, f->ioas, f->buf, PAGE, &iova,
				  MAP_RW | 8),
			 EOPNOTSUPP);
	assert_int_equal(ioas_map(f->ctx, f->ioas, f->buf, 0, &iova, MAP_RW),
			 EINVAL);
	assert_int_equal(ioas_map(f->ctx, f->ioas, f->buf, UINT64_MAX, &iova,
				  MAP_RW),
			 EOVERFLOW);
	assert_int_equal(ioas_map(f->ctx, f->ioas, f->buf, 1ULL << 63, &iova,
				  MAP_RW),
			 EOVERFLOW);
	assert_int_equal(ioas_map(f->ctx, f->ioas, (void *)-4096L, 2 * PAGE,
				  &iova, MAP_RW),
			 EOVERFLOW);
	iova = UINT64_MAX;
	assert_int_equal(ioas_map(f->ctx, f->ioas, f->buf, PAGE, &iova,
				  MAP_FIXED_RW),
			 EOVERFLOW);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, PAGE,
					UINT64_MAX - 0xffe),
			 EOVERFLOW);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, PAGE,
					UINT64_MAX - 0xfff),
			 0);
	iova = 0;
	assert_int_equal(ioas_map(f->ctx, 77, f->buf, PAGE, &iova, MAP_RW),
			 ENOENT);

	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = MAP_RW,
		.ioas_id = f->ioas,
		.__reserved = 1,
		.user_va = (uintptr_t)f->buf,
		.length = PAGE,
	};
	assert_err(EOPNOTSUPP, f->ctx, IOMMU_IOAS_MAP, &cmd);
}

static void map_does_not_pin(void **state)
{
	struct fixture *f = *state;
	char *ro = test_buffer(PAGE, PROT_READ);
	uint64_t iova = 0;

	/*
	 * With no domain and no access nothing is pinned at map time, so
	 * the kernel accepts user ranges it could not pin.
	 */
	assert_int_equal(ioas_map(f->ctx, f->ioas, test_hole(PAGE), PAGE, &iova,
				  MAP_RW),
			 0);
	assert_int_equal(ioas_map(f->ctx, f->ioas, ro, PAGE, &iova, MAP_RW), 0);
	assert_int_equal(ioas_map(f->ctx, f->ioas, NULL, PAGE, &iova, MAP_RW),
			 0);
	assert_int_equal(ioas_map(f->ctx, f->ioas, (void *)0xffff888000000000UL,
				  PAGE, &iova, MAP_RW),
			 0);
	munmap(ro, PAGE);
}

static void map_allocates_like_the_kernel(void **state)
{
	struct fixture *f = *state;
	struct {
		uint64_t offset, length, iova;
	} steps[] = {
		/* Sequence and results recorded from Linux 6.12. */
		{ 0, PAGE, 0x1000 },	  { 0, PAGE, 0x2000 },
		{ 0, PAGE, 0x3000 },	  { 0, PAGE, 0x4000 },
		{ 100, PAGE, 0x5064 },	  { 0, 2 * PAGE, 0x8000 },
		{ 0, 3 << 20, 0x200000 }, { PAGE, 3 * PAGE, 0xa000 },
		{ 1, 1, 0x5001 },
	};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint64_t iova = 0;

		assert_int_equal(ioas_map(f->ctx, f->ioas,
					  f->buf + steps[i].offset,
					  steps[i].length, &iova, MAP_RW),
				 0);
		assert_int_equal(iova, steps[i].iova);
	}
}

static void map_fixed_overlap_is_eexist(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf + 1, PAGE, 0x10001), 0);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, PAGE, 0x10000),
			 EEXIST);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, PAGE, 0x10fff),
			 EEXIST);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, 1, 0x11001),
			 0);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, 1, 0x11001),
			 EEXIST);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, 1, 0x10000),
			 0);
}

static void map_result_written_back(void **state)
{
	struct fixture *f = *state;
	struct iommu_ioas_map *cmd = test_buffer(PAGE, PROT_READ | PROT_WRITE);
	uint64_t unmapped;

	*cmd = (struct iommu_ioas_map){
		.size = sizeof(*cmd),
		.flags = MAP_RW,
		.ioas_id = f->ioas,
		.user_va = (uintptr_t)f->buf,
		.length = PAGE,
	};
	assert_ok(f->ctx, IOMMU_IOAS_MAP, cmd);
	assert_int_equal(cmd->iova, PAGE);
	/* A read-only struct: the map happens, the result cannot be told. */
	cmd->iova = 0;
	assert_int_equal(mprotect(cmd, PAGE, PROT_READ), 0);
	assert_err(EFAULT, f->ctx, IOMMU_IOAS_MAP, cmd);
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 2 * PAGE, PAGE, &unmapped),
			 0);
	munmap(cmd, PAGE);
}

static void unmap_rules(void **state)
{
	struct fixture *f = *state;
	uint64_t unmapped;

	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, 0x1000, 0x10000), 0);
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, 0x2000, 0x11000), 0);
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, 0x1000, 0x13000), 0);
	/*
	 * The second area sticks out of the range: ENOENT, but the first
	 * one is already gone, as in the kernel.
	 */
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 0x10000, 0x2000, NULL),
			 ENOENT);
	assert_int_equal(
		ioas_unmap(f->ctx, f->ioas, 0x11000, 0x2000, &unmapped), 0);
	assert_int_equal(unmapped, 0x2000);
	/* A range with holes around areas is fine. */
	assert_int_equal(
		ioas_unmap(f->ctx, f->ioas, 0x8000, 0x20000, &unmapped), 0);
	assert_int_equal(unmapped, 0x1000);
	/* Nothing there. */
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 0x8000, 0x20000, NULL),
			 ENOENT);
	/* Unmap-all of an empty IOAS succeeds with length 0. */
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &unmapped),
			 0);
	assert_int_equal(unmapped, 0);
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 0, 0, NULL), EINVAL);
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 1, UINT64_MAX, NULL),
			 EOVERFLOW);
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, UINT64_MAX, 1, NULL),
			 EOVERFLOW);
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 3, UINT64_MAX - 1, NULL),
			 EOVERFLOW);
	assert_int_equal(ioas_unmap(f->ctx, 99, 0, UINT64_MAX, NULL), ENOENT);

	/* A partial unmap of one area is refused and changes nothing. */
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, 0x4000, 0x40000), 0);
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 0x41000, 0x1000, NULL),
			 ENOENT);
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 0x40000, 0x1000, NULL),
			 ENOENT);
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &unmapped),
			 0);
	assert_int_equal(unmapped, 0x4000);
}

static void copy_shares_pages(void **state)
{
	struct fixture *f = *state;
	struct iommufd_ioas *src, *dst;
	struct itree_node *a, *b;
	uint64_t iova = 0, dst_iova = 0, unmapped;
	uint32_t dst_id;

	assert_int_equal(ioas_alloc(f->ctx, &dst_id), 0);
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, 0x4000, 0x10000), 0);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf + 0x4000,
					0x4000, 0x14000),
			 0);
	/* Spanning two areas. */
	assert_int_equal(ioas_copy(f->ctx, dst_id, f->ioas, 0x13000, 0x2000,
				   &dst_iova, MAP_RW),
			 0);
	/* Aligned as the source's user address allows: 4 KiB here. */
	assert_int_equal(dst_iova, 0x1000);

	src = iommufd_get_ioas(f->ctx, f->ioas);
	dst = iommufd_get_ioas(f->ctx, dst_id);
	a = itree_iter_first(&dst->iopt.area_itree, 0x1000, 0x1000);
	b = itree_iter_first(&src->iopt.area_itree, 0x13000, 0x13000);
	assert_non_null(a);
	assert_ptr_equal(container_of(a, struct iopt_area, node)->pages,
			 container_of(b, struct iopt_area, node)->pages);
	assert_int_equal(container_of(a, struct iopt_area, node)->start_index,
			 3);
	assert_int_equal(a->last, 0x1fff);
	iommufd_put_object(&src->obj);
	iommufd_put_object(&dst->obj);

	/* The copy outlives the source mapping. */
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &unmapped),
			 0);
	assert_int_equal(ioas_unmap(f->ctx, dst_id, 0, UINT64_MAX, &unmapped),
			 0);
	assert_int_equal(unmapped, 0x2000);

	/* Gaps and missing IOVA are ENOENT; a hole is no source. */
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, 0x1000, 0x10000), 0);
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, 0x1000, 0x12000), 0);
	assert_int_equal(ioas_copy(f->ctx, dst_id, f->ioas, 0x10000, 0x3000,
				   &iova, MAP_RW),
			 ENOENT);
	assert_int_equal(ioas_copy(f->ctx, dst_id, f->ioas, 0x30000, 0x1000,
				   &iova, MAP_RW),
			 ENOENT);
	assert_int_equal(ioas_copy(f->ctx, 99, f->ioas, 0x10000, 0x1000, &iova,
				   MAP_RW),
			 ENOENT);
	assert_int_equal(ioas_copy(f->ctx, dst_id, 99, 0x10000, 0x1000, &iova,
				   MAP_RW),
			 ENOENT);
	assert_int_equal(ioas_copy(f->ctx, dst_id, f->ioas, 0x10000, 0, &iova,
				   MAP_RW),
			 EINVAL);
	assert_int_equal(ioas_copy(f->ctx, dst_id, f->ioas, 0x10000, 0x1000,
				   &iova, 0),
			 EINVAL);
	assert_int_equal(ioas_copy(f->ctx, dst_id, f->ioas, 0x10000, 0x1000,
				   &iova, MAP_RW | 16),
			 EOPNOTSUPP);
	assert_int_equal(ioas_copy(f->ctx, dst_id, f->ioas, UINT64_MAX, 1,
				   &iova, MAP_RW),
			 EOVERFLOW);
	/* Fixed destination into an occupied range. */
	assert_int_equal(
		ioas_map_fixed(f->ctx, dst_id, f->buf, 0x1000, 0x50000), 0);
	iova = 0x50000;
	assert_int_equal(ioas_copy(f->ctx, dst_id, f->ioas, 0x10000, 0x1000,
				   &iova, MAP_FIXED_RW),
			 EEXIST);
	/* Copy within the same IOAS. */
	iova = 0x60000;
	assert_int_equal(ioas_copy(f->ctx, f->ioas, f->ioas, 0x10000, 0x1000,
				   &iova, MAP_FIXED_RW),
			 0);
}

static void copy_keeps_write_permission(void **state)
{
	struct fixture *f = *state;
	uint64_t iova = 0x10000, dst = 0;

	assert_int_equal(ioas_map(f->ctx, f->ioas, f->buf, 0x4000, &iova,
				  IOMMU_IOAS_MAP_READABLE |
					  IOMMU_IOAS_MAP_FIXED_IOVA),
			 0);
	/* Pages mapped read-only cannot become writable through a copy. */
	assert_int_equal(ioas_copy(f->ctx, f->ioas, f->ioas, 0x11000, 0x1000,
				   &dst, MAP_RW),
			 EPERM);
	assert_int_equal(ioas_copy(f->ctx, f->ioas, f->ioas, 0x11000, 0x1000,
				   &dst, IOMMU_IOAS_MAP_READABLE),
			 0);
	assert_int_equal(dst, 0x1000);
	/* Part of the range unmapped: ENOENT. */
	assert_int_equal(ioas_copy(f->ctx, f->ioas, f->ioas, 0x13000, 0x2000,
				   &dst, IOMMU_IOAS_MAP_READABLE),
			 ENOENT);
}

static void destroy_ioas_with_mappings(void **state)
{
	struct fixture *f = *state;
	uint64_t iova = 0;
	uint32_t other;

	assert_int_equal(ioas_alloc(f->ctx, &other), 0);
	assert_int_equal(
		ioas_map(f->ctx, f->ioas, f->buf, 1 << 20, &iova, MAP_RW), 0);
	assert_int_equal(ioas_copy(f->ctx, other, f->ioas, iova, 1 << 20, &iova,
				   MAP_RW),
			 0);
	/* Areas do not hold their IOAS: destroy tears them down. */
	assert_int_equal(object_destroy(f->ctx, f->ioas), 0);
	assert_int_equal(object_destroy(f->ctx, other), 0);
	assert_int_equal(ioas_alloc(f->ctx, &f->ioas), 0);
	assert_int_equal(f->ioas, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ioas_test(alloc_rejects_flags),
		ioas_test(ranges_of_fresh_ioas),
		ioas_test(ranges_skip_reserved),
		ioas_test(allow_iovas_rules),
		ioas_test(map_argument_checks),
		ioas_test(map_does_not_pin),
		ioas_test(map_allocates_like_the_kernel),
		ioas_test(map_fixed_overlap_is_eexist),
		ioas_test(map_result_written_back),
		ioas_test(unmap_rules),
		ioas_test(copy_shares_pages),
		ioas_test(copy_keeps_write_permission),
		ioas_test(destroy_ioas_with_mappings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Failure injection sweep: for every step of a scenario, fail its 1st,
 * 2nd, ... allocation (or pin) in turn until the step runs clean. Each
 * injected failure must surface as the kernel's errno for it, leave the
 * context exactly as it was, and leak nothing (run under ASan/LSan).
 */
#include <stdio.h>

#include "test_util.h"

#include "io_pagetable.h"

#define BUF_LEN (1UL << 20)

static char *buf;

/* Text dump of everything observable in a context. */
static void dump_ctx(struct uiommufd_ctx *ctx, char *out, size_t len)
{
	size_t pos = 0;
	uint32_t id;

#define emit(...)                                                    \
	do {                                                         \
		int n = snprintf(out + pos, len - pos, __VA_ARGS__); \
		assert_true(n >= 0 && (size_t)n < len - pos);        \
		pos += n;                                            \
	} while (0)

	emit("next %u objects %u;", ctx->next_id, ctx->nr_objects);
	for (id = 1; id < ctx->next_id; id++) {
		struct iommufd_ioas *ioas = iommufd_get_ioas(ctx, id);
		struct itree_node *node;

		if (!ioas)
			continue;
		emit(" ioas %u align %llu:", id,
		     (unsigned long long)ioas->iopt.iova_alignment);
		for (node = itree_first(&ioas->iopt.area_itree); node;
		     node = itree_next(node)) {
			struct iopt_area *area =
				container_of(node, struct iopt_area, node);

			emit(" area %llx-%llx u%llx p%d n%u",
			     (unsigned long long)node->start,
			     (unsigned long long)node->last,
			     (unsigned long long)(area->pages->uptr +
						  iopt_area_start_byte(
							  area, node->start)),
			     area->iommu_prot,
			     atomic_load(&area->pages->refcount));
		}
		for (node = itree_first(&ioas->iopt.allowed_itree); node;
		     node = itree_next(node))
			emit(" allow %llx-%llx",
			     (unsigned long long)node->start,
			     (unsigned long long)node->last);
		for (node = itree_first(&ioas->iopt.reserved_itree); node;
		     node = itree_next(node))
			emit(" rsv %llx-%llx", (unsigned long long)node->start,
			     (unsigned long long)node->last);
		iommufd_put_object(&ioas->obj);
	}
#undef emit
}

typedef int (*step_fn)(struct uiommufd_ctx *ctx);

static int step_alloc(struct uiommufd_ctx *ctx)
{
	uint32_t id;

	return ioas_alloc(ctx, &id);
}

static int step_map_auto(struct uiommufd_ctx *ctx)
{
	uint64_t iova = 0;

	return ioas_map(ctx, 1, buf, 0x10000, &iova, MAP_RW);
}

static int step_map_fixed_1(struct uiommufd_ctx *ctx)
{
	return ioas_map_fixed(ctx, 1, buf, 0x10000, 0x100000);
}

static int step_map_fixed_2(struct uiommufd_ctx *ctx)
{
	return ioas_map_fixed(ctx, 1, buf + 0x10000, 0x10000, 0x110000);
}

static int step_allow(struct uiommufd_ctx *ctx)
{
	struct iommu_iova_range r[3] = {
		{ 0x100000, 0x1fffff },
		{ 0x400000, 0x4fffff },
		{ 0x800000, 0x8fffff },
	};
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = 2,
		.num_iovas = 3,
		.allowed_iovas = (uintptr_t)r,
	};

	return do_ioctl(ctx, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

static int step_copy_span(struct uiommufd_ctx *ctx)
{
	uint64_t iova = 0;

	/* Two source areas, so two slices and two new areas. */
	return ioas_copy(ctx, 2, 1, 0x108000, 0x10000, &iova, MAP_RW);
}

static int step_copy_fixed(struct uiommufd_ctx *ctx)
{
	uint64_t iova = 0x800000;

	return ioas_copy(ctx, 2, 1, 0x100000, 0x20000, &iova, MAP_FIXED_RW);
}

static int step_ranges(struct uiommufd_ctx *ctx)
{
	struct iommu_iova_range r[2];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = 2,
		.num_iovas = 2,
		.allowed_iovas = (uintptr_t)r,
	};

	return do_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES, &cmd);
}

static int step_reserve(struct uiommufd_ctx *ctx)
{
	struct iommufd_ioas *ioas = iommufd_get_ioas(ctx, 1);
	int rc = -iopt_reserve_iova(&ioas->iopt, 0x0, 0xfff, NULL);

	iommufd_put_object(&ioas->obj);
	return rc;
}

static int step_unmap(struct uiommufd_ctx *ctx)
{
	return ioas_unmap(ctx, 2, 0, UINT64_MAX, NULL);
}

static int step_many_allocs(struct uiommufd_ctx *ctx)
{
	int i, rc;

	/* Crosses the object table's first growth. */
	for (i = 0; i < 20; i++) {
		rc = step_alloc(ctx);
		if (rc)
			return rc;
	}
	return 0;
}

static int step_destroy(struct uiommufd_ctx *ctx)
{
	return object_destroy(ctx, 2);
}

static const struct {
	const char *name;
	step_fn fn;
} steps[] = {
	{ "alloc 1", step_alloc },
	{ "alloc 2", step_alloc },
	{ "map auto", step_map_auto },
	{ "map fixed 1", step_map_fixed_1 },
	{ "map fixed 2", step_map_fixed_2 },
	{ "reserve", step_reserve },
	{ "allow", step_allow },
	{ "copy span", step_copy_span },
	{ "copy fixed", step_copy_fixed },
	{ "ranges", step_ranges },
	{ "unmap", step_unmap },
	{ "copy again", step_copy_span },
	{ "many allocs", step_many_allocs },
	{ "destroy", step_destroy },
};

#define NR_STEPS (sizeof(steps) / sizeof(steps[0]))

static void sweep_every_ioctl(void **state)
{
	static char before[8192], after[8192];
	unsigned int injected_total = 0;
	size_t i;

	(void)state;
	buf = test_buffer(BUF_LEN, PROT_READ | PROT_WRITE);
	for (i = 0; i < NR_STEPS; i++) {
		unsigned int nth;

		for (nth = 1;; nth++) {
			struct uiommufd_ctx *ctx = uiommufd_open();
			bool injected;
			size_t j;
			int rc;

			assert_non_null(ctx);
			for (j = 0; j < i; j++)
				assert_int_equal(steps[j].fn(ctx), 0);
			dump_ctx(ctx, before, sizeof(before));

			/* The "many allocs" step may fail part way: compare
			 * only steps that are a single ioctl. */
			iommufd_fail_nth_set(nth);
			rc = steps[i].fn(ctx);
			injected = iommufd_fail_nth_clear();
			if (!injected) {
				assert_int_equal(rc, 0);
				uiommufd_close(ctx);
				break;
			}
			injected_total++;
			if (rc != ENOMEM)
				print_error("step '%s' fail-nth %u: got %d\n",
					    steps[i].name, nth, rc);
			assert_int_equal(rc, ENOMEM);
			if (steps[i].fn != step_many_allocs) {
				dump_ctx(ctx, after, sizeof(after));
				if (strcmp(before, after))
					print_error(
						"step '%s' fail-nth %u changed state:\n%s\n%s\n",
						steps[i].name, nth, before,
						after);
				assert_string_equal(before, after);
			}
			/* And the same step then works. */
			if (steps[i].fn != step_many_allocs)
				assert_int_equal(steps[i].fn(ctx), 0);
			uiommufd_close(ctx);
		}
	}
	print_message("%u injected failures, all clean\n", injected_total);
	assert_true(injected_total >= NR_STEPS);
	munmap(buf, BUF_LEN);
}

/* Pinning: an injected failure returns EFAULT or ENOMEM, charges nothing. */
static void sweep_pin(void **state)
{
	struct iommufd_umem *umem = iommufd_umem_self();
	char *mem = test_buffer(16 * PAGE, PROT_READ | PROT_WRITE);
	struct itree_node pin = { .start = 2, .last = 9 };
	struct itree_node other = { .start = 0, .last = 4 };
	unsigned int nth, injected_total = 0;
	struct iopt_pages *pages;

	(void)state;
	for (nth = 1;; nth++) {
		unsigned long pinned_vm;
		bool injected;
		int rc;

		assert_int_equal(iopt_alloc_pages(umem, (uintptr_t)mem,
						  16 * PAGE, true, &pages),
				 0);
		assert_int_equal(iopt_pages_pin(pages, &other), 0);
		pinned_vm = atomic_load(&umem->mm_pinned_vm);

		iommufd_fail_nth_set(nth);
		rc = iopt_pages_pin(pages, &pin);
		injected = iommufd_fail_nth_clear();
		if (!injected) {
			assert_int_equal(rc, 0);
			assert_int_equal(pages->npinned, 10);
			iopt_pages_unpin(pages, &pin);
			iopt_pages_unpin(pages, &other);
			iopt_put_pages(pages);
			break;
		}
		injected_total++;
		assert_true(rc == -EFAULT || rc == -ENOMEM);
		assert_int_equal(pages->npinned, 5);
		assert_int_equal(atomic_load(&umem->mm_pinned_vm), pinned_vm);
		iopt_pages_unpin(pages, &other);
		assert_int_equal(pages->npinned, 0);
		iopt_put_pages(pages);
	}
	assert_int_equal(injected_total, 2);
	munmap(mem, 16 * PAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sweep_every_ioctl),
		cmocka_unit_test(sweep_pin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

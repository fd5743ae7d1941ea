// SPDX-License-Identifier: BSD-3-Clause
/*
 * Failure injection over domains and devices, as test_fail_nth.c does for
 * the IOAS alone: for every step of a scenario (attaching a mock device to
 * an IOAS with areas, a second domain, maps and copies mirrored into two
 * domains, HWPT_ALLOC, replace, dirty tracking, ...), fail its 1st, 2nd,
 * ... allocation, pin or mock map in turn until the step runs clean.
 *
 * Each injected failure must return an error (ENOMEM from an allocation
 * or a charge, EFAULT from a pin, ENOENT from the mock's map failure
 * point), leave the context as it was (objects and their users, IOVA
 * ranges and areas, every domain's entries, pins and the pinned counters),
 * and the same step must then give the IDs a clean run gives. Run under
 * ASan for the leaks (LSan).
 */
#include <stdio.h>

#include "test_util.h"

#include "device.h"
#include "mock_iommu.h"

#define IO_PAGE ((uint64_t)MOCK_IO_PAGE_SIZE)
#define SZ_1M (1ULL << 20)
#define AP_START ((uint64_t)MOCK_APERTURE_START)
/* Every IOVA the scenario maps is in [AP_START, AP_START + WINDOW). */
#define WINDOW (16 * SZ_1M)
#define BUF_LEN (4 * SZ_1M)

/* ---- state dump ------------------------------------------------------ */

struct dump {
	char *out;
	size_t len, pos;
};

static void emit(struct dump *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void emit(struct dump *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(d->out + d->pos, d->len - d->pos, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < d->len - d->pos);
	d->pos += n;
}

/* A digest of a domain's entries over the window. */
static void dump_domain(struct dump *d, struct iommu_domain *domain)
{
	uint64_t iova, hash = 14695981039346656037ULL, n = 0;

	for (iova = AP_START; iova != AP_START + WINDOW; iova += IO_PAGE) {
		uint64_t ent = mock_domain_entry(domain, iova);

		if (!ent)
			continue;
		n++;
		hash = (hash ^ iova) * 1099511628211ULL;
		hash = (hash ^ ent) * 1099511628211ULL;
	}
	emit(d, " pg%llx dirty%d ents %llu/%016llx",
	     (unsigned long long)domain->pgsize_bitmap,
	     mock_domain_dirty_tracking(domain), (unsigned long long)n,
	     (unsigned long long)hash);
}

static void dump_ioas(struct dump *d, struct iommufd_ioas *ioas)
{
	struct io_pagetable *iopt = &ioas->iopt;
	struct itree_node *node;
	struct list_head *pos;
	unsigned int i;

	emit(d, " align %llu nodom %d domains %u [",
	     (unsigned long long)iopt->iova_alignment,
	     iopt->disable_large_pages, iopt->nr_domains);
	for (i = 0; i != iopt->nr_domains; i++)
		dump_domain(d, iopt->domains[i]);
	emit(d, " ] hwpts");
	list_for_each(pos, &ioas->hwpt_list)
		emit(d, " %u",
		     list_entry(pos, struct iommufd_hwpt_paging, hwpt_item)
			     ->common.obj.id);
	for (node = itree_first(&iopt->area_itree); node;
	     node = itree_next(node)) {
		struct iopt_area *area =
			container_of(node, struct iopt_area, node);

		emit(d, " area %llx-%llx u%llx p%d n%u pin%d/%llu",
		     (unsigned long long)node->start,
		     (unsigned long long)node->last,
		     (unsigned long long)(area->pages->uptr +
					  iopt_area_start_byte(area,
							       node->start)),
		     area->iommu_prot, atomic_load(&area->pages->refcount),
		     area->domains_pinned,
		     (unsigned long long)area->pages->npinned);
	}
	for (node = itree_first(&iopt->allowed_itree); node;
	     node = itree_next(node))
		emit(d, " allow %llx-%llx", (unsigned long long)node->start,
		     (unsigned long long)node->last);
	for (node = itree_first(&iopt->reserved_itree); node;
	     node = itree_next(node))
		emit(d, " rsv %llx-%llx%s", (unsigned long long)node->start,
		     (unsigned long long)node->last,
		     container_of(node, struct iopt_reserved, node)->owner ?
			     "d" :
			     "");
}

/* Everything observable in @ctx, and the pins of @buf. */
static void dump_ctx(struct uiommufd_ctx *ctx, const char *buf, char *out,
		     size_t len)
{
	struct iommufd_umem *umem = iommufd_umem_self();
	struct dump d = { .out = out, .len = len };
	unsigned int run = 0, last = ~0U;
	struct list_head *pos;
	size_t npages = 0;
	uint64_t off;
	uint32_t id;

	emit(&d, "objects %u;", ctx->nr_objects);
	for (id = 1; id < ctx->next_id; id++) {
		struct iommufd_object *obj = ctx->objects[id];

		if (!obj || obj == (struct iommufd_object *)1)
			continue;
		emit(&d, "\n #%u type %d users %u", id, obj->type,
		     atomic_load(&obj->users));
		switch (obj->type) {
		case IOMMUFD_OBJ_IOAS:
			dump_ioas(&d,
				  container_of(obj, struct iommufd_ioas, obj));
			break;
		case IOMMUFD_OBJ_HWPT_PAGING: {
			struct iommufd_hwpt_paging *hwpt = container_of(
				obj, struct iommufd_hwpt_paging, common.obj);

			emit(&d, " ioas %u auto %d", hwpt->ioas->obj.id,
			     hwpt->auto_domain);
			dump_domain(&d, hwpt->common.domain);
			break;
		}
		case IOMMUFD_OBJ_DEVICE: {
			struct iommufd_device *idev =
				container_of(obj, struct iommufd_device, obj);

			emit(&d, " hwpt %u on %d",
			     idev->hwpt ? idev->hwpt->obj.id : 0,
			     idev->hwpt ?
				     idev->dev->domain == idev->hwpt->domain :
				     -1);
			break;
		}
		default:
			break;
		}
	}

	emit(&d, "\n pins");
	for (off = 0; off <= BUF_LEN; off += PAGE) {
		unsigned int pins = off == BUF_LEN ?
					    ~0U :
					    iopt_pages_count_pins(
						    umem, (uintptr_t)buf + off);

		if (pins == last) {
			run++;
			continue;
		}
		if (run)
			emit(&d, " %ux%u", last, run);
		last = pins;
		run = 1;
	}
	pthread_mutex_lock(&umem->pages_lock);
	list_for_each(pos, &umem->pages_list)
	{
		npages++;
	}
	pthread_mutex_unlock(&umem->pages_lock);
	emit(&d, "\n iopt_pages %zu pinned %lu locked %lu/%lu", npages,
	     atomic_load(&umem->mm_pinned_vm),
	     atomic_load(&umem->user_locked_vm),
	     atomic_load(&umem->mm_locked_vm));
}

/* ---- the scenario ---------------------------------------------------- */

static char *buf;

/* What a step reports back: IDs, IOVAs, counts. */
struct result {
	uint64_t v[4];
};

/* IDs the scenario's objects get, lowest first, as the kernel's. */
enum {
	IOAS_A = 1,
	IOAS_B = 2,
	S1_STDEV = 3,
	S1_IDEV = 4,
	E_HWPT = 6, /* S1's automatic domain is 5 */
	S2_STDEV = 7,
};

typedef int (*step_fn)(struct uiommufd_ctx *ctx, struct result *res);

static int step_alloc(struct uiommufd_ctx *ctx, struct result *res)
{
	uint32_t id;
	int rc = ioas_alloc(ctx, &id);

	res->v[0] = id;
	return rc;
}

static int step_map_a(struct uiommufd_ctx *ctx, struct result *res)
{
	(void)res;
	return ioas_map_fixed(ctx, IOAS_A, buf, 64 * 1024, AP_START);
}

/* Nine pages at half an IO page's worth of offset in IOVA terms. */
static int step_map_a_odd(struct uiommufd_ctx *ctx, struct result *res)
{
	(void)res;
	return ioas_map_fixed(ctx, IOAS_A, buf + 64 * 1024 + IO_PAGE, 9 * PAGE,
			      AP_START + SZ_1M + IO_PAGE);
}

/* 2 MiB, 1 MiB aligned both sides: huge pages in a huge domain. */
static int step_map_b(struct uiommufd_ctx *ctx, struct result *res)
{
	(void)res;
	return ioas_map_fixed(ctx, IOAS_B, buf + 2 * SZ_1M, 2 * SZ_1M,
			      AP_START + 4 * SZ_1M);
}

static int mock_domain_op(struct uiommufd_ctx *ctx, uint32_t pt_id,
			  uint32_t flags, struct result *res)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS :
			      IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
	};
	int rc;

	if (flags)
		cmd.mock_domain_flags.dev_flags = flags;
	rc = do_ioctl(ctx, IOMMU_TEST_CMD, &cmd);
	res->v[0] = cmd.mock_domain.out_stdev_id;
	res->v[1] = cmd.mock_domain.out_idev_id;
	res->v[2] = cmd.mock_domain.out_hwpt_id;
	return rc;
}

/* Attach with areas present: new automatic domain, filled and pinned. */
static int step_attach_a(struct uiommufd_ctx *ctx, struct result *res)
{
	return mock_domain_op(ctx, IOAS_A, 0, res);
}

static int hwpt_alloc_op(struct uiommufd_ctx *ctx, uint32_t pt_id,
			 uint32_t flags, struct result *res)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = S1_IDEV,
		.pt_id = pt_id,
	};
	int rc = do_ioctl(ctx, IOMMU_HWPT_ALLOC, &cmd);

	res->v[0] = cmd.out_hwpt_id;
	return rc;
}

/* A second domain on A. */
static int step_hwpt_alloc(struct uiommufd_ctx *ctx, struct result *res)
{
	return hwpt_alloc_op(ctx, IOAS_A, 0, res);
}

static int step_map_two_domains(struct uiommufd_ctx *ctx, struct result *res)
{
	(void)res;
	return ioas_map_fixed(ctx, IOAS_A, buf + 128 * 1024, 64 * 1024,
			      AP_START + 2 * SZ_1M);
}

/* Two source areas into two domains, sharing their pages. */
static int step_copy_two_domains(struct uiommufd_ctx *ctx, struct result *res)
{
	uint64_t iova = AP_START + 3 * SZ_1M;

	(void)res;
	return ioas_copy(ctx, IOAS_A, IOAS_A, AP_START + 2 * SZ_1M, 64 * 1024,
			 &iova, MAP_FIXED_RW);
}

static int step_attach_b_huge(struct uiommufd_ctx *ctx, struct result *res)
{
	return mock_domain_op(ctx, IOAS_B, MOCK_FLAGS_DEVICE_HUGE_IOVA, res);
}

/*
 * Into B's huge domain: a 4 KiB head, a 1 MiB page, a 4 KiB tail, three
 * map calls that a failure in the second or third must undo.
 */
static int step_map_b_huge(struct uiommufd_ctx *ctx, struct result *res)
{
	(void)res;
	return ioas_map_fixed(ctx, IOAS_B, buf + SZ_1M - PAGE, SZ_1M + 2 * PAGE,
			      AP_START + 8 * SZ_1M - PAGE);
}

static int replace_op(struct uiommufd_ctx *ctx, uint32_t stdev, uint32_t pt,
		      struct result *res)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace = { .pt_id = pt },
	};
	int rc = do_ioctl(ctx, IOMMU_TEST_CMD, &cmd);

	res->v[0] = cmd.mock_domain_replace.pt_id;
	return rc;
}

/* S1's automatic domain goes with it. */
static int step_replace_to_hwpt(struct uiommufd_ctx *ctx, struct result *res)
{
	return replace_op(ctx, S1_STDEV, E_HWPT, res);
}

/* A new automatic domain, filled before the move. */
static int step_replace_to_a(struct uiommufd_ctx *ctx, struct result *res)
{
	return replace_op(ctx, S1_STDEV, IOAS_A, res);
}

/* S2's huge domain is reused. */
static int step_replace_to_b(struct uiommufd_ctx *ctx, struct result *res)
{
	return replace_op(ctx, S1_STDEV, IOAS_B, res);
}

static int step_dirty_hwpt(struct uiommufd_ctx *ctx, struct result *res)
{
	return hwpt_alloc_op(ctx, IOAS_B, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, res);
}

static int dirty_hwpt_id(struct uiommufd_ctx *ctx)
{
	uint32_t id;

	for (id = ctx->next_id - 1; id; id--) {
		struct iommufd_object *obj = ctx->objects[id];

		if (obj && obj != (struct iommufd_object *)1 &&
		    obj->type == IOMMUFD_OBJ_HWPT_PAGING &&
		    container_of(obj, struct iommufd_hw_pagetable, obj)
			    ->domain->dirty_ops)
			return id;
	}
	return 0;
}

static int step_dirty_on(struct uiommufd_ctx *ctx, struct result *res)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
		.hwpt_id = dirty_hwpt_id(ctx),
	};

	(void)res;
	return do_ioctl(ctx, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

static int step_mark_dirty(struct uiommufd_ctx *ctx, struct result *res)
{
	static const unsigned char marks[4] = { 0x81, 0, 0x10, 0 };
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DIRTY,
		.id = dirty_hwpt_id(ctx),
		.dirty = { .iova = AP_START + 4 * SZ_1M,
			   .length = 32 * IO_PAGE,
			   .page_size = IO_PAGE,
			   .uptr = (uintptr_t)marks },
	};
	int rc = do_ioctl(ctx, IOMMU_TEST_CMD, &cmd);

	res->v[0] = cmd.dirty.out_nr_dirty;
	return rc;
}

static int step_get_dirty(struct uiommufd_ctx *ctx, struct result *res)
{
	unsigned char bits[16] = { 0 };
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = dirty_hwpt_id(ctx),
		.iova = AP_START + 4 * SZ_1M,
		.length = 2 * SZ_1M,
		.page_size = SZ_1M / 8,
		.data = (uintptr_t)bits,
	};
	int rc = do_ioctl(ctx, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);

	memcpy(res->v, bits, sizeof(bits));
	return rc;
}

static int step_hw_info(struct uiommufd_ctx *ctx, struct result *res)
{
	struct iommu_test_hw_info data = { 0 };
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = S1_IDEV,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	int rc = do_ioctl(ctx, IOMMU_GET_HW_INFO, &cmd);

	res->v[0] = data.test_reg;
	res->v[1] = cmd.out_capabilities;
	return rc;
}

static int step_unmap_a(struct uiommufd_ctx *ctx, struct result *res)
{
	return ioas_unmap(ctx, IOAS_A, AP_START + 2 * SZ_1M, 64 * 1024,
			  &res->v[0]);
}

static int step_destroy_hwpt(struct uiommufd_ctx *ctx, struct result *res)
{
	(void)res;
	return object_destroy(ctx, E_HWPT);
}

static int step_destroy_s2(struct uiommufd_ctx *ctx, struct result *res)
{
	(void)res;
	return object_destroy(ctx, S2_STDEV);
}

static int step_attach_a_again(struct uiommufd_ctx *ctx, struct result *res)
{
	return mock_domain_op(ctx, IOAS_A, 0, res);
}

static const struct {
	const char *name;
	step_fn fn;
} steps[] = {
	{ "alloc A", step_alloc },
	{ "alloc B", step_alloc },
	{ "map A", step_map_a },
	{ "map A odd", step_map_a_odd },
	{ "map B", step_map_b },
	{ "attach A with areas", step_attach_a },
	{ "hwpt alloc on A", step_hwpt_alloc },
	{ "map with two domains", step_map_two_domains },
	{ "copy with two domains", step_copy_two_domains },
	{ "attach huge device to B", step_attach_b_huge },
	{ "map into the huge domain", step_map_b_huge },
	{ "replace to hwpt", step_replace_to_hwpt },
	{ "replace to A", step_replace_to_a },
	{ "replace to B", step_replace_to_b },
	{ "dirty hwpt on B", step_dirty_hwpt },
	{ "dirty tracking on", step_dirty_on },
	{ "mark dirty", step_mark_dirty },
	{ "get dirty bitmap", step_get_dirty },
	{ "hw info", step_hw_info },
	{ "unmap A", step_unmap_a },
	{ "destroy hwpt", step_destroy_hwpt },
	{ "destroy huge device", step_destroy_s2 },
	{ "attach A again", step_attach_a_again },
};

#define NR_STEPS IOMMUFD_ARRAY_SIZE(steps)

static struct result reference[NR_STEPS];

static struct uiommufd_ctx *replay(size_t upto)
{
	struct uiommufd_ctx *ctx = uiommufd_open();
	size_t j;

	assert_non_null(ctx);
	for (j = 0; j < upto; j++) {
		struct result res = { 0 };

		assert_int_equal(steps[j].fn(ctx, &res), 0);
	}
	return ctx;
}

static void assert_reference(size_t i, const struct result *res)
{
	if (memcmp(res, &reference[i], sizeof(*res)))
		print_error(
			"step '%s' gave %llx %llx %llx, not %llx %llx %llx\n",
			steps[i].name, (unsigned long long)res->v[0],
			(unsigned long long)res->v[1],
			(unsigned long long)res->v[2],
			(unsigned long long)reference[i].v[0],
			(unsigned long long)reference[i].v[1],
			(unsigned long long)reference[i].v[2]);
	assert_memory_equal(res, &reference[i], sizeof(*res));
}

static void sweep_domains(void **state)
{
	static char before[16384], after[16384], clean[16384];
	unsigned int injected_total = 0;
	void *raw = test_buffer(BUF_LEN + 2 * SZ_1M, PROT_READ | PROT_WRITE);
	struct uiommufd_ctx *ctx;
	size_t i;

	(void)state;
	buf = (char *)(((uintptr_t)raw + 2 * SZ_1M - 1) & ~(2 * SZ_1M - 1));
	/* Nothing of ours pinned or charged: that is what closing gives. */
	ctx = uiommufd_open();
	dump_ctx(ctx, buf, clean, sizeof(clean));
	uiommufd_close(ctx);

	/* The clean run: what each step reports. */
	ctx = replay(0);
	for (i = 0; i < NR_STEPS; i++)
		assert_int_equal(steps[i].fn(ctx, &reference[i]), 0);
	assert_int_equal(reference[5].v[0], S1_STDEV);
	assert_int_equal(reference[5].v[1], S1_IDEV);
	assert_int_equal(reference[6].v[0], E_HWPT);
	assert_int_equal(reference[9].v[0], S2_STDEV);
	uiommufd_close(ctx);

	for (i = 0; i < NR_STEPS; i++) {
		unsigned int nth, injected_step = 0;

		for (nth = 1;; nth++) {
			struct result res = { 0 };
			bool injected;
			int rc;

			ctx = replay(i);
			dump_ctx(ctx, buf, before, sizeof(before));
			iommufd_fail_nth_set(nth);
			rc = steps[i].fn(ctx, &res);
			injected = iommufd_fail_nth_clear();
			if (!injected) {
				assert_int_equal(rc, 0);
				assert_reference(i, &res);
				uiommufd_close(ctx);
				break;
			}
			injected_step++;
			if (rc != ENOMEM && rc != EFAULT && rc != ENOENT)
				print_error("step '%s' fail-nth %u: got %d\n",
					    steps[i].name, nth, rc);
			assert_true(rc == ENOMEM || rc == EFAULT ||
				    rc == ENOENT);
			dump_ctx(ctx, buf, after, sizeof(after));
			if (strcmp(before, after))
				print_error(
					"step '%s' fail-nth %u changed state:\n%s\n---\n%s\n",
					steps[i].name, nth, before, after);
			assert_string_equal(before, after);
			/* The same step then works, with the same result. */
			memset(&res, 0, sizeof(res));
			assert_int_equal(steps[i].fn(ctx, &res), 0);
			assert_reference(i, &res);
			uiommufd_close(ctx);
		}
		/* Closing gives back every pin and charge. */
		ctx = uiommufd_open();
		dump_ctx(ctx, buf, after, sizeof(after));
		uiommufd_close(ctx);
		assert_string_equal(clean, after);
		print_message("  %-26s %u injected\n", steps[i].name,
			      injected_step);
		injected_total += injected_step;
	}
	print_message("%u injected failures, all clean\n", injected_total);
	assert_true(injected_total >= 40);
	munmap(raw, BUF_LEN + 2 * SZ_1M);
}

/*
 * The same through the internal API, on a device that stays bound after
 * the failure, which MOCK_DOMAIN cannot show: a failed attach must leave
 * it detached (on its driver's blocked domain), a failed replace where it
 * was; then the same call works.
 */
static void sweep_device_attach(void **state)
{
	static char before[16384], after[16384];
	void *raw = test_buffer(BUF_LEN + 2 * SZ_1M, PROT_READ | PROT_WRITE);
	unsigned int replace, injected_total = 0;

	(void)state;
	buf = (char *)(((uintptr_t)raw + 2 * SZ_1M - 1) & ~(2 * SZ_1M - 1));
	for (replace = 0; replace != 2; replace++) {
		unsigned int nth;

		for (nth = 1;; nth++) {
			struct uiommufd_ctx *ctx = replay(5);
			struct iommufd_hw_pagetable *old = NULL;
			struct iommufd_device *idev;
			struct iommufd_dev *dev;
			uint32_t idev_id, pt_id;
			struct result res;
			bool injected;
			int err = 0, rc;

			dev = mock_dev_create(0, &err);
			assert_non_null(dev);
			idev = iommufd_device_bind(ctx, dev, &idev_id, &err);
			assert_non_null(idev);
			if (replace) {
				/* From an explicit HWPT of B to A. */
				struct iommu_hwpt_alloc cmd = {
					.size = sizeof(cmd),
					.dev_id = idev_id,
					.pt_id = IOAS_B,
				};

				assert_ok(ctx, IOMMU_HWPT_ALLOC, &cmd);
				pt_id = cmd.out_hwpt_id;
				assert_int_equal(
					iommufd_device_attach(idev, &pt_id), 0);
				old = idev->hwpt;
			}
			dump_ctx(ctx, buf, before, sizeof(before));

			pt_id = IOAS_A;
			iommufd_fail_nth_set(nth);
			rc = replace ? iommufd_device_replace(idev, &pt_id) :
				       iommufd_device_attach(idev, &pt_id);
			injected = iommufd_fail_nth_clear();
			if (injected) {
				injected_total++;
				assert_true(rc == -ENOMEM || rc == -EFAULT ||
					    rc == -ENOENT);
				assert_ptr_equal(idev->hwpt, old);
				assert_ptr_equal(
					dev->domain,
					old ? old->domain :
					      dev->driver->blocked_domain);
				dump_ctx(ctx, buf, after, sizeof(after));
				if (strcmp(before, after))
					print_error(
						"%s fail-nth %u changed state:\n%s\n---\n%s\n",
						replace ? "replace" : "attach",
						nth, before, after);
				assert_string_equal(before, after);
				pt_id = IOAS_A;
				rc = replace ? iommufd_device_replace(idev,
								      &pt_id) :
					       iommufd_device_attach(idev,
								     &pt_id);
			}
			assert_int_equal(rc, 0);
			assert_non_null(idev->hwpt);
			assert_int_equal(idev->hwpt->obj.id, pt_id);
			assert_ptr_equal(dev->domain, idev->hwpt->domain);
			/* The device sees A through its new domain. */
			res = (struct result){ { 0 } };
			assert_int_equal(step_map_two_domains(ctx, &res), 0);
			assert_int_equal(
				mock_domain_entry(dev->domain,
						  AP_START + 2 * SZ_1M),
				((uintptr_t)buf + 128 * 1024) / IO_PAGE |
					MOCK_PFN_START_IOVA | MOCK_PFN_PRESENT);
			iommufd_device_detach(idev);
			iommufd_device_unbind(idev);
			mock_dev_destroy(dev);
			uiommufd_close(ctx);
			if (!injected)
				break;
		}
	}
	print_message("%u injected failures, all clean\n", injected_total);
	assert_true(injected_total >= 10);
	munmap(raw, BUF_LEN + 2 * SZ_1M);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sweep_domains),
		cmocka_unit_test(sweep_device_attach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

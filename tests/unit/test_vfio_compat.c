// SPDX-License-Identifier: BSD-3-Clause
/*
 * VFIO type1 compatibility inside the library: the compat IOAS as the
 * legacy group path will create it, no-IOMMU mode, the v1 partial unmap
 * (splitting areas whose pages are pinned for a domain) with failure
 * injection, the per-process accounting of a /dev/vfio/vfio context, and
 * container ioctls racing the compat IOAS being switched and destroyed.
 * What the kernel answers on the uAPI is checked by tests/conformance.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include "test_util.h"

#include "io_pagetable.h"
#include "mock_iommu.h"

#define AP_START ((uint64_t)MOCK_APERTURE_START)

static uint64_t vfio_ioctl_u(struct uiommufd_ctx *ctx, unsigned long req,
			     unsigned long arg)
{
	return (uint64_t)uiommufd_ioctl(ctx, req, (void *)arg);
}

static int vfio_map(struct uiommufd_ctx *ctx, const void *va, uint64_t len,
		    uint64_t iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	return do_ioctl(ctx, VFIO_IOMMU_MAP_DMA, &map);
}

static int vfio_unmap(struct uiommufd_ctx *ctx, uint64_t iova, uint64_t len,
		      uint32_t flags, uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = len,
	};
	int rc = do_ioctl(ctx, VFIO_IOMMU_UNMAP_DMA, &unmap);

	if (unmapped)
		*unmapped = unmap.size;
	return rc;
}

static uint32_t mock_domain(struct uiommufd_ctx *ctx, uint32_t ioas,
			    uint32_t *hwpt)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = ioas,
	};

	assert_ok(ctx, IOMMU_TEST_CMD, &cmd);
	if (hwpt)
		*hwpt = cmd.mock_domain.out_hwpt_id;
	return cmd.mock_domain.out_stdev_id;
}

static unsigned int pins_at(const char *buf, size_t page)
{
	return iopt_pages_count_pins(iommufd_umem_self(),
				     (uintptr_t)buf + page * PAGE);
}

/* ---- the compat IOAS --------------------------------------------- */

static void no_compat_ioas(void **state)
{
	struct uiommufd_ctx *ctx = uiommufd_open();
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	unsigned long ext;

	(void)state;
	assert_int_equal(vfio_ioctl_u(ctx, VFIO_GET_API_VERSION, 0),
			 VFIO_API_VERSION);
	for (ext = 0; ext <= 12; ext++) {
		int expect = ext == VFIO_TYPE1_IOMMU ||
			     ext == VFIO_TYPE1v2_IOMMU || ext == VFIO_UNMAP_ALL;

		if (ext == VFIO_DMA_CC_IOMMU)
			assert_err(ENODEV, ctx, VFIO_CHECK_EXTENSION,
				   (void *)ext);
		else
			assert_int_equal(uiommufd_ioctl(ctx,
							VFIO_CHECK_EXTENSION,
							(void *)ext),
					 expect);
	}
	assert_err(ENODEV, ctx, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU);
	assert_err(EINVAL, ctx, VFIO_SET_IOMMU, (void *)VFIO_NOIOMMU_IOMMU);
	assert_err(ENODEV, ctx, VFIO_IOMMU_GET_INFO, &info);
	assert_int_equal(vfio_map(ctx, &info, PAGE, 0), ENODEV);
	assert_int_equal(vfio_unmap(ctx, 0, PAGE, 0, NULL), ENODEV);
	assert_err(ENOTTY, ctx, _IO(VFIO_TYPE, VFIO_BASE + 17), NULL);
	uiommufd_close(ctx);
}

static void compat_ioas_created_once(void **state)
{
	struct uiommufd_ctx *ctx = uiommufd_open();
	uint32_t id = 0, id2 = 0;

	(void)state;
	assert_int_equal(iommufd_vfio_compat_ioas_get_id(ctx, &id), -ENODEV);
	assert_int_equal(iommufd_vfio_compat_ioas_create(ctx), 0);
	assert_int_equal(iommufd_vfio_compat_ioas_get_id(ctx, &id), 0);
	assert_int_equal(id, 1);
	/* A second group joining finds it: nothing new, the ID given back */
	assert_int_equal(iommufd_vfio_compat_ioas_create(ctx), 0);
	assert_int_equal(iommufd_vfio_compat_ioas_get_id(ctx, &id2), 0);
	assert_int_equal(id2, id);
	assert_int_equal(ctx->nr_objects, 1);
	assert_int_equal(ctx->next_id, 3);
	/* The container works on it. */
	assert_ok(ctx, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU);

	/* Destroying it leaves no compat IOAS; the next group makes one. */
	assert_int_equal(object_destroy(ctx, id), 0);
	assert_int_equal(iommufd_vfio_compat_ioas_get_id(ctx, &id2), -ENODEV);
	assert_err(ENODEV, ctx, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU);
	assert_int_equal(iommufd_vfio_compat_ioas_create(ctx), 0);
	assert_int_equal(iommufd_vfio_compat_ioas_get_id(ctx, &id2), 0);
	assert_int_equal(id2, 1);
	uiommufd_close(ctx);
}

static void compat_create_failure_leaves_nothing(void **state)
{
	struct uiommufd_ctx *ctx = uiommufd_open();
	uint32_t id;

	(void)state;
	iommufd_fail_nth_set(1);
	assert_int_equal(iommufd_vfio_compat_ioas_create(ctx), -ENOMEM);
	assert_true(iommufd_fail_nth_clear());
	assert_int_equal(ctx->nr_objects, 0);
	assert_int_equal(iommufd_vfio_compat_ioas_get_id(ctx, &id), -ENODEV);
	assert_int_equal(iommufd_vfio_compat_ioas_create(ctx), 0);
	assert_int_equal(iommufd_vfio_compat_ioas_get_id(ctx, &id), 0);
	assert_int_equal(id, 1);
	uiommufd_close(ctx);
}

static void no_iommu_mode(void **state)
{
	struct uiommufd_ctx *ctx = uiommufd_open();

	(void)state;
	assert_int_equal(iommufd_vfio_compat_set_no_iommu(ctx), 0);
	assert_int_equal(iommufd_vfio_compat_ioas_create(ctx), -EINVAL);
	assert_int_equal(ctx->nr_objects, 0);
	assert_int_equal(uiommufd_ioctl(ctx, VFIO_CHECK_EXTENSION,
					(void *)VFIO_TYPE1v2_IOMMU),
			 0);
	assert_int_equal(uiommufd_ioctl(ctx, VFIO_CHECK_EXTENSION,
					(void *)VFIO_UNMAP_ALL),
			 0);
	assert_err(EINVAL, ctx, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU);
	uiommufd_close(ctx);

	/* Once a compat IOAS exists a no-IOMMU group cannot join. */
	ctx = uiommufd_open();
	assert_int_equal(iommufd_vfio_compat_ioas_create(ctx), 0);
	assert_int_equal(iommufd_vfio_compat_set_no_iommu(ctx), -EINVAL);
	assert_int_equal(uiommufd_ioctl(ctx, VFIO_CHECK_EXTENSION,
					(void *)VFIO_TYPE1v2_IOMMU),
			 1);
	uiommufd_close(ctx);
}

/* ---- type1 v1: partial unmaps split areas ------------------------ */

struct v1_fixture {
	struct uiommufd_ctx *ctx;
	char *buf;
	uint32_t ioas, hwpt;
};

/* A v1 container with a mock domain and 16 pinned pages at AP_START. */
static void v1_setup(struct v1_fixture *f)
{
	f->ctx = uiommufd_open();
	assert_non_null(f->ctx);
	f->buf = test_buffer(16 * PAGE, PROT_READ | PROT_WRITE);
	assert_int_equal(iommufd_vfio_compat_ioas_create(f->ctx), 0);
	assert_int_equal(iommufd_vfio_compat_ioas_get_id(f->ctx, &f->ioas), 0);
	assert_ok(f->ctx, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU);
	mock_domain(f->ctx, f->ioas, &f->hwpt);
	assert_int_equal(vfio_map(f->ctx, f->buf, 16 * PAGE, AP_START), 0);
}

static void v1_teardown(struct v1_fixture *f)
{
	uiommufd_close(f->ctx);
	munmap(f->buf, 16 * PAGE);
}

static void v1_split_moves_pins(void **state)
{
	struct v1_fixture f;
	struct iommufd_umem *umem = iommufd_umem_self();
	unsigned long pinned;
	uint64_t unmapped = 0;
	size_t i;

	(void)state;
	v1_setup(&f);
	pinned = atomic_load(&umem->mm_pinned_vm);
	for (i = 0; i != 16; i++)
		assert_int_equal(pins_at(f.buf, i), 1);

	/* Pages 4..7 out of the middle: three areas become... two left. */
	assert_int_equal(vfio_unmap(f.ctx, AP_START + 4 * PAGE, 4 * PAGE, 0,
				    &unmapped),
			 0);
	assert_int_equal(unmapped, 4 * PAGE);
	for (i = 0; i != 16; i++)
		assert_int_equal(pins_at(f.buf, i), i >= 4 && i < 8 ? 0 : 1);
	assert_int_equal(atomic_load(&umem->mm_pinned_vm), pinned - 4);
	assert_int_equal(check_map(f.ctx, f.hwpt, AP_START, 4 * PAGE, f.buf),
			 0);
	assert_int_equal(check_map(f.ctx, f.hwpt, AP_START + 8 * PAGE, 8 * PAGE,
				   f.buf + 8 * PAGE),
			 0);
	/* The pieces are whole areas now: IOAS_UNMAP (v2 rules) takes one. */
	assert_int_equal(
		ioas_unmap(f.ctx, f.ioas, AP_START, 4 * PAGE, &unmapped), 0);
	assert_int_equal(unmapped, 4 * PAGE);
	assert_int_equal(
		vfio_unmap(f.ctx, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped), 0);
	assert_int_equal(unmapped, 8 * PAGE);
	for (i = 0; i != 16; i++)
		assert_int_equal(pins_at(f.buf, i), 0);
	assert_int_equal(atomic_load(&umem->mm_pinned_vm), pinned - 16);
	v1_teardown(&f);
}

/*
 * Each allocation the cuts make, failed in turn: ENOMEM, every page still
 * pinned once and mapped in the domain, nothing unmapped; a retry then
 * unmaps exactly the range. A first cut that worked before the second
 * failed stays, as in the kernel: it changes no mapping.
 */
static void v1_split_fail_nth(void **state)
{
	unsigned int nth, injected = 0;

	(void)state;
	for (nth = 1;; nth++) {
		struct v1_fixture f;
		uint64_t unmapped = 0;
		bool hit;
		size_t i;
		int rc;

		v1_setup(&f);
		iommufd_fail_nth_set(nth);
		rc = vfio_unmap(f.ctx, AP_START + 5 * PAGE, 3 * PAGE, 0,
				&unmapped);
		hit = iommufd_fail_nth_clear();
		if (!hit) {
			assert_int_equal(rc, 0);
			assert_int_equal(unmapped, 3 * PAGE);
			v1_teardown(&f);
			break;
		}
		injected++;
		assert_int_equal(rc, ENOMEM);
		for (i = 0; i != 16; i++)
			assert_int_equal(pins_at(f.buf, i), 1);
		assert_int_equal(check_map(f.ctx, f.hwpt, AP_START, 16 * PAGE,
					   f.buf),
				 0);
		assert_int_equal(vfio_unmap(f.ctx, AP_START + 5 * PAGE,
					    3 * PAGE, 0, &unmapped),
				 0);
		assert_int_equal(unmapped, 3 * PAGE);
		for (i = 0; i != 16; i++)
			assert_int_equal(pins_at(f.buf, i),
					 i >= 5 && i < 8 ? 0 : 1);
		v1_teardown(&f);
	}
	/* Two cuts, two new areas each. */
	assert_int_equal(injected, 4);
}

/* An access pinning the area forbids cutting it (EINVAL). */
static void v1_split_refused_under_access(void **state)
{
	struct v1_fixture f;
	struct iommu_test_cmd create = {
		.size = sizeof(create),
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.create_access = { .flags =
					   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES },
	};
	struct iommu_test_cmd pin = {
		.size = sizeof(pin),
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.access_pages = { .iova = AP_START + 8 * PAGE,
				  .length = 2 * PAGE },
	};
	uint64_t unmapped = 7;

	(void)state;
	v1_setup(&f);
	pin.access_pages.uptr = (uintptr_t)f.buf + 8 * PAGE;
	create.id = f.ioas;
	assert_ok(f.ctx, IOMMU_TEST_CMD, &create);
	pin.id = create.create_access.out_access_fd;
	assert_ok(f.ctx, IOMMU_TEST_CMD, &pin);
	assert_int_equal(vfio_unmap(f.ctx, AP_START, 2 * PAGE, 0, &unmapped),
			 EINVAL);
	assert_int_equal(pins_at(f.buf, 0), 1);
	assert_int_equal(uiommufd_fd_close(create.create_access.out_access_fd),
			 0);
	v1_teardown(&f);
}

/* ---- /dev/vfio/vfio accounting ------------------------------------ */

/* In a child (it drops a capability): 0 if the pins went to @expect. */
static int child_charges(bool vfio_container)
{
	struct iommufd_umem *umem = iommufd_umem_self();
	struct uiommufd_ctx *ctx;
	unsigned long user, mm;
	uint64_t mode = 9;
	char *buf;

	if (!drop_cap(IOMMUFD_CAP_IPC_LOCK))
		return 2;
	buf = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ctx = vfio_container ? uiommufd_open_vfio_container() : uiommufd_open();
	if (buf == MAP_FAILED || !ctx || iommufd_vfio_compat_ioas_create(ctx))
		return 3;
	{
		struct iommu_option opt = {
			.size = sizeof(opt),
			.option_id = IOMMU_OPTION_RLIMIT_MODE,
			.op = IOMMU_OPTION_OP_GET,
		};

		if (do_ioctl(ctx, IOMMU_OPTION, &opt))
			return 4;
		mode = opt.val64;
	}
	if (mode != vfio_container)
		return 5;
	user = atomic_load(&umem->user_locked_vm);
	mm = atomic_load(&umem->mm_locked_vm);
	{
		struct iommu_test_cmd cmd = {
			.size = sizeof(cmd),
			.op = IOMMU_TEST_OP_MOCK_DOMAIN,
			.id = 1,
		};

		if (do_ioctl(ctx, IOMMU_TEST_CMD, &cmd))
			return 6;
	}
	if (vfio_map(ctx, buf, 8 * PAGE, AP_START))
		return 7;
	if (vfio_container && (atomic_load(&umem->mm_locked_vm) != mm + 8 ||
			       atomic_load(&umem->user_locked_vm) != user))
		return 8;
	if (!vfio_container &&
	    (atomic_load(&umem->user_locked_vm) != user + 8 ||
	     atomic_load(&umem->mm_locked_vm) != mm))
		return 9;
	uiommufd_close(ctx);
	if (atomic_load(&umem->mm_locked_vm) != mm ||
	    atomic_load(&umem->user_locked_vm) != user)
		return 10;
	return 0;
}

static void run_charges(bool vfio_container)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_charges(vfio_container));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 2)
		skip(); /* cannot drop CAP_IPC_LOCK here */
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void vfio_container_charges_the_process(void **state)
{
	(void)state;
	run_charges(true);
}

static void iommu_context_charges_the_user(void **state)
{
	(void)state;
	run_charges(false);
}

/* ---- races ---------------------------------------------------------- */

/*
 * Threads only count what they saw: a cmocka assertion may not fire off
 * the test's own thread. The test thread checks the counts.
 */
struct race {
	struct uiommufd_ctx *ctx;
	char *buf;
	atomic_bool stop;
	atomic_ulong maps, enodev, unexpected;
	atomic_int first_unexpected;
};

static void race_saw(struct race *r, bool ok, int what)
{
	int none = 0;

	if (ok)
		return;
	atomic_fetch_add(&r->unexpected, 1);
	atomic_compare_exchange_strong(&r->first_unexpected, &none, what);
}

/* Switches the compat IOAS between IOAS 1 and 2, clears it, and
 * destroys and re-creates IOAS 2 under the container's feet: 20000 times,
 * and on (up to 100 times as long) until the container threads have seen
 * both outcomes, which a fast switcher may finish before they run. */
static bool race_seen_both(struct race *r)
{
	return atomic_load(&r->maps) && atomic_load(&r->enodev);
}

static void *race_switcher(void *arg)
{
	struct race *r = arg;
	unsigned int i;

	for (i = 0; i < 20000 || (i < 2000000 && !race_seen_both(r)); i++) {
		struct iommu_vfio_ioas cmd = {
			.size = sizeof(cmd),
			.op = i % 3 == 2 ? IOMMU_VFIO_IOAS_CLEAR :
					   IOMMU_VFIO_IOAS_SET,
			.ioas_id = 1 + i % 2,
		};
		uint32_t id;
		int rc;

		/* Only this thread destroys IOAS 2, and makes it again. */
		rc = do_ioctl(r->ctx, IOMMU_VFIO_IOAS, &cmd);
		race_saw(r, rc == 0, 1000 + rc);
		if (i % 7)
			continue;
		rc = object_destroy(r->ctx, 2);
		/* EBUSY while a container call holds it. */
		race_saw(r, rc == 0 || rc == EBUSY, 2000 + rc);
		if (rc == 0)
			race_saw(r, !ioas_alloc(r->ctx, &id) && id == 2, 3000);
	}
	atomic_store(&r->stop, true);
	return NULL;
}

/*
 * The two container threads use the same IOVAs: a map meets the other's
 * mapping (EEXIST), an unmap meets one still being built (EBUSY), as with
 * the kernel; no compat IOAS at that moment is ENODEV.
 */
static void *race_container(void *arg)
{
	struct race *r = arg;
	unsigned int i = 0;

	while (!atomic_load(&r->stop)) {
		struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
		uint64_t iova = 0x100000 + (i++ % 8) * PAGE;
		int rc = vfio_map(r->ctx, r->buf, PAGE, iova);

		race_saw(r, rc == 0 || rc == ENODEV || rc == EEXIST, 4000 + rc);
		if (!rc)
			atomic_fetch_add(&r->maps, 1);
		else if (rc == ENODEV)
			atomic_fetch_add(&r->enodev, 1);
		rc = vfio_unmap(r->ctx, iova, PAGE, 0, NULL);
		race_saw(r, rc == 0 || rc == ENODEV || rc == EBUSY, 5000 + rc);
		rc = do_ioctl(r->ctx, VFIO_IOMMU_GET_INFO, &info);
		race_saw(r, rc == 0 || rc == ENODEV, 6000 + rc);
		rc = uiommufd_ioctl(r->ctx, VFIO_CHECK_EXTENSION,
				    (void *)VFIO_DMA_CC_IOMMU);
		race_saw(r, rc == 1 || (rc == -1 && errno == ENODEV),
			 7000 + (rc == -1 ? errno : 100 + rc));
	}
	return NULL;
}

static void compat_ioas_switch_race(void **state)
{
	struct race r = { .ctx = uiommufd_open() };
	pthread_t t[3];
	uint32_t id;
	int i;

	(void)state;
	r.buf = test_buffer(PAGE, PROT_READ | PROT_WRITE);
	assert_int_equal(ioas_alloc(r.ctx, &id), 0);
	assert_int_equal(ioas_alloc(r.ctx, &id), 0);
	assert_int_equal(pthread_create(&t[0], NULL, race_switcher, &r), 0);
	for (i = 1; i != 3; i++)
		assert_int_equal(
			pthread_create(&t[i], NULL, race_container, &r), 0);
	for (i = 0; i != 3; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	if (atomic_load(&r.unexpected))
		print_error("%lu unexpected results, the first %d\n",
			    atomic_load(&r.unexpected),
			    atomic_load(&r.first_unexpected));
	assert_int_equal(atomic_load(&r.unexpected), 0);
	/* Both outcomes happened, and the context is consistent after. */
	assert_true(atomic_load(&r.maps) > 0);
	assert_true(atomic_load(&r.enodev) > 0);
	assert_int_equal(r.ctx->nr_objects, 2);
	uiommufd_close(r.ctx);
	munmap(r.buf, PAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_compat_ioas),
		cmocka_unit_test(compat_ioas_created_once),
		cmocka_unit_test(compat_create_failure_leaves_nothing),
		cmocka_unit_test(no_iommu_mode),
		cmocka_unit_test(v1_split_moves_pins),
		cmocka_unit_test(v1_split_fail_nth),
		cmocka_unit_test(v1_split_refused_under_access),
		cmocka_unit_test(vfio_container_charges_the_process),
		cmocka_unit_test(iommu_context_charges_the_user),
		cmocka_unit_test(compat_ioas_switch_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

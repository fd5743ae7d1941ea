// SPDX-License-Identifier: BSD-3-Clause
/*
 * The ioctl dispatcher, the object table and IOMMU_OPTION: the rules every
 * request goes through before and around its handler.
 */
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

#include "iommufd_private.h"

static void bad_size_pointer_is_efault(void **state)
{
	struct uiommufd_ctx *ctx = *state;

	assert_err(EFAULT, ctx, IOMMU_DESTROY, NULL);
	assert_err(EFAULT, ctx, IOMMU_DESTROY, (void *)1);
	assert_err(EFAULT, ctx, IOMMU_IOAS_MAP, test_hole(PAGE));
	/* The size word is read before the command is matched. */
	assert_err(EFAULT, ctx, _IO(IOMMUFD_TYPE, 0x90), NULL);
	assert_err(EFAULT, ctx, _IO('x', IOMMUFD_CMD_BASE), NULL);
}

static void unknown_numbers_are_enotty(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	struct iommu_destroy d = { .size = sizeof(d), .id = 1 };

	/* Inside the command range, but no such command. */
	assert_err(ENOTTY, ctx, _IO(IOMMUFD_TYPE, 0x90), &d);
	/* Right number, wrong type or direction bits. */
	assert_err(ENOTTY, ctx, _IO('x', IOMMUFD_CMD_BASE), &d);
	assert_err(ENOTTY, ctx,
		   _IOWR(IOMMUFD_TYPE, IOMMUFD_CMD_BASE, struct iommu_destroy),
		   &d);
	/* Outside the range: the VFIO container ioctls, which match the
	 * whole number: the right number with another type is unknown. */
	assert_err(ENOTTY, ctx, _IO(IOMMUFD_TYPE, 0x7f), NULL);
	assert_err(ENOTTY, ctx, _IO(IOMMUFD_TYPE, 0xa1), NULL);
	assert_err(ENOTTY, ctx, _IO('x', 100), NULL);
	assert_int_equal(uiommufd_ioctl(ctx, _IO(';', 100), NULL),
			 VFIO_API_VERSION);
}

/*
 * Numbers inside the table that 6.12 gives no command (after
 * IOMMU_FAULT_QUEUE_ALLOC, before IOMMU_TEST_CMD) read the size word and
 * then fail with ENOTTY.
 */
static void unused_table_numbers_are_enotty(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	uint32_t buf[32] = { sizeof(buf) };
	unsigned int nr;

	for (nr = _IOC_NR(IOMMU_FAULT_QUEUE_ALLOC) + 1;
	     nr < _IOC_NR(IOMMU_TEST_CMD); nr++)
		assert_err(ENOTTY, ctx, _IO(IOMMUFD_TYPE, nr), buf);
	/* The size word is read first: a bad pointer is EFAULT. */
	assert_err(EFAULT, ctx,
		   _IO(IOMMUFD_TYPE, _IOC_NR(IOMMU_FAULT_QUEUE_ALLOC) + 1),
		   (void *)8);
}

static void request_high_bits_are_ignored(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	assert_ok(ctx, (1UL << 40) | IOMMU_IOAS_ALLOC, &a);
	assert_int_equal(a.out_ioas_id, 1);
}

static void short_size_is_einval(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	struct iommu_destroy d = { .size = 4, .id = 1 };
	struct iommu_ioas_map m = { .size = sizeof(m) - 8 };

	assert_err(EINVAL, ctx, IOMMU_DESTROY, &d);
	d.size = 0;
	assert_err(EINVAL, ctx, IOMMU_DESTROY, &d);
	assert_err(EINVAL, ctx, IOMMU_IOAS_MAP, &m);
}

static void long_struct_must_be_zero_tail(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	uint32_t big[64] = { 0 };

	big[0] = sizeof(big);
	big[1] = 55;
	/* Known part is read; the zero tail is accepted. */
	assert_err(ENOENT, ctx, IOMMU_DESTROY, big);
	big[63] = 1;
	assert_err(E2BIG, ctx, IOMMU_DESTROY, big);
}

static void long_struct_tail_unmapped_is_efault(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	char *page = test_buffer(2 * PAGE, PROT_READ | PROT_WRITE);
	struct iommu_destroy *d = (void *)(page + PAGE - 8);

	munmap(page + PAGE, PAGE);
	d->size = 16;
	d->id = 55;
	/* The tail that must be zero cannot be read. */
	assert_err(EFAULT, ctx, IOMMU_DESTROY, d);
	d->size = 8;
	assert_err(ENOENT, ctx, IOMMU_DESTROY, d);
	munmap(page, PAGE);
}

static void struct_across_hole_is_efault(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	char *page = test_buffer(2 * PAGE, PROT_READ | PROT_WRITE);
	struct iommu_ioas_alloc *a = (void *)(page + PAGE - 8);
	uint32_t id;

	munmap(page + PAGE, PAGE);
	a->size = sizeof(*a);
	assert_err(EFAULT, ctx, IOMMU_IOAS_ALLOC, a);
	/* Nothing was created. */
	assert_int_equal(ioas_alloc(ctx, &id), 0);
	assert_int_equal(id, 1);
	munmap(page, PAGE);
}

static void readonly_result_aborts_alloc(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	struct iommu_ioas_alloc *a = test_buffer(PAGE, PROT_READ | PROT_WRITE);
	uint32_t id;

	a->size = sizeof(*a);
	assert_int_equal(mprotect(a, PAGE, PROT_READ), 0);
	/* The ID cannot be returned, so the IOAS must not survive. */
	assert_err(EFAULT, ctx, IOMMU_IOAS_ALLOC, a);
	assert_int_equal(object_destroy(ctx, 1), ENOENT);
	assert_int_equal(ioas_alloc(ctx, &id), 0);
	assert_int_equal(id, 1);
	munmap(a, PAGE);
}

static void ids_are_lowest_free(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	uint32_t id, i;

	for (i = 1; i <= 100; i++) {
		assert_int_equal(ioas_alloc(ctx, &id), 0);
		assert_int_equal(id, i);
	}
	assert_int_equal(object_destroy(ctx, 50), 0);
	assert_int_equal(object_destroy(ctx, 7), 0);
	assert_int_equal(object_destroy(ctx, 99), 0);
	assert_int_equal(ioas_alloc(ctx, &id), 0);
	assert_int_equal(id, 7);
	assert_int_equal(ioas_alloc(ctx, &id), 0);
	assert_int_equal(id, 50);
	assert_int_equal(ioas_alloc(ctx, &id), 0);
	assert_int_equal(id, 99);
	assert_int_equal(ioas_alloc(ctx, &id), 0);
	assert_int_equal(id, 101);
}

static void destroy_unknown_is_enoent(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	uint32_t id;

	assert_int_equal(object_destroy(ctx, 0), ENOENT);
	assert_int_equal(object_destroy(ctx, 1), ENOENT);
	assert_int_equal(object_destroy(ctx, UINT32_MAX), ENOENT);
	assert_int_equal(ioas_alloc(ctx, &id), 0);
	assert_int_equal(object_destroy(ctx, id), 0);
	assert_int_equal(object_destroy(ctx, id), ENOENT);
}

static void destroy_in_use_is_ebusy(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	struct iommufd_object *obj;
	uint32_t id;

	assert_int_equal(ioas_alloc(ctx, &id), 0);
	obj = iommufd_get_object(ctx, id, IOMMUFD_OBJ_IOAS);
	assert_non_null(obj);
	assert_int_equal(object_destroy(ctx, id), EBUSY);
	iommufd_put_object(obj);
	assert_int_equal(object_destroy(ctx, id), 0);
	assert_null(iommufd_get_object(ctx, id, IOMMUFD_OBJ_ANY));
}

static void close_destroys_everything(void **state)
{
	struct uiommufd_ctx *ctx = uiommufd_open();
	char *buf = test_buffer(16 * PAGE, PROT_READ | PROT_WRITE);
	uint32_t a, b;
	uint64_t iova = 0;

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ioas_alloc(ctx, &a), 0);
	assert_int_equal(ioas_alloc(ctx, &b), 0);
	assert_int_equal(ioas_map(ctx, a, buf, 16 * PAGE, &iova, MAP_RW), 0);
	assert_int_equal(ioas_copy(ctx, b, a, iova, 8 * PAGE, &iova, MAP_RW),
			 0);
	/* LeakSanitizer reports anything left behind. */
	uiommufd_close(ctx);
	uiommufd_close(NULL);
	munmap(buf, 16 * PAGE);
}

/* ---- IOMMU_OPTION -------------------------------------------------- */

static int option(struct uiommufd_ctx *ctx, uint32_t option_id, uint16_t op,
		  uint32_t object_id, uint64_t *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option_id,
		.op = op,
		.object_id = object_id,
		.val64 = *val,
	};
	int rc = do_ioctl(ctx, IOMMU_OPTION, &cmd);

	*val = cmd.val64;
	return rc;
}

static void option_rlimit_mode(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	uint64_t val = 55;
	uint32_t id;

	assert_int_equal(option(ctx, IOMMU_OPTION_RLIMIT_MODE,
				IOMMU_OPTION_OP_GET, 0, &val),
			 0);
	assert_int_equal(val, 0);
	val = 0;
	assert_int_equal(option(ctx, IOMMU_OPTION_RLIMIT_MODE,
				IOMMU_OPTION_OP_GET, 1, &val),
			 EOPNOTSUPP);
	assert_int_equal(option(ctx, IOMMU_OPTION_RLIMIT_MODE, 7, 0, &val),
			 EOPNOTSUPP);
	assert_int_equal(option(ctx, 77, IOMMU_OPTION_OP_GET, 0, &val),
			 EOPNOTSUPP);

	if (!have_cap(IOMMUFD_CAP_SYS_RESOURCE)) {
		val = 1;
		assert_int_equal(option(ctx, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_SET, 0, &val),
				 EPERM);
		return;
	}
	val = 2;
	assert_int_equal(option(ctx, IOMMU_OPTION_RLIMIT_MODE,
				IOMMU_OPTION_OP_SET, 0, &val),
			 EINVAL);
	val = 1;
	assert_int_equal(option(ctx, IOMMU_OPTION_RLIMIT_MODE,
				IOMMU_OPTION_OP_SET, 0, &val),
			 0);
	val = 0;
	assert_int_equal(option(ctx, IOMMU_OPTION_RLIMIT_MODE,
				IOMMU_OPTION_OP_GET, 0, &val),
			 0);
	assert_int_equal(val, 1);
	/* Once objects exist the mode is fixed. */
	assert_int_equal(ioas_alloc(ctx, &id), 0);
	val = 0;
	assert_int_equal(option(ctx, IOMMU_OPTION_RLIMIT_MODE,
				IOMMU_OPTION_OP_SET, 0, &val),
			 EBUSY);
	assert_int_equal(object_destroy(ctx, id), 0);
	assert_int_equal(option(ctx, IOMMU_OPTION_RLIMIT_MODE,
				IOMMU_OPTION_OP_SET, 0, &val),
			 0);
}

static void option_rlimit_mode_needs_cap(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	int status;
	pid_t pid;

	/* Capabilities are per thread: drop it in a child, not in the runner. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t val = 1;

		if (have_cap(IOMMUFD_CAP_SYS_RESOURCE))
			drop_cap(IOMMUFD_CAP_SYS_RESOURCE);
		_exit(option(ctx, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET,
			     0, &val) == EPERM ?
			      0 :
			      1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void option_huge_pages(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	char *buf = test_buffer(4 * PAGE, PROT_READ | PROT_WRITE);
	struct iommu_ioas_iova_ranges ranges = { .size = sizeof(ranges) };
	uint64_t val = 0, unmapped;
	uint32_t id;

	assert_int_equal(ioas_alloc(ctx, &id), 0);
	assert_int_equal(option(ctx, IOMMU_OPTION_HUGE_PAGES,
				IOMMU_OPTION_OP_GET, id, &val),
			 0);
	assert_int_equal(val, 1);
	/* The IOAS scope: object 0 is no IOAS. */
	assert_int_equal(option(ctx, IOMMU_OPTION_HUGE_PAGES,
				IOMMU_OPTION_OP_GET, 0, &val),
			 ENOENT);
	assert_int_equal(option(ctx, IOMMU_OPTION_HUGE_PAGES, 9, id, &val),
			 EOPNOTSUPP);
	val = 2;
	assert_int_equal(option(ctx, IOMMU_OPTION_HUGE_PAGES,
				IOMMU_OPTION_OP_SET, id, &val),
			 EINVAL);

	/* An area not page aligned blocks the page-size alignment. */
	assert_int_equal(ioas_map_fixed(ctx, id, buf + 1, PAGE, 0x10001), 0);
	val = 0;
	assert_int_equal(option(ctx, IOMMU_OPTION_HUGE_PAGES,
				IOMMU_OPTION_OP_SET, id, &val),
			 EADDRINUSE);
	assert_int_equal(ioas_unmap(ctx, id, 0, UINT64_MAX, &unmapped), 0);
	assert_int_equal(unmapped, PAGE);
	assert_int_equal(option(ctx, IOMMU_OPTION_HUGE_PAGES,
				IOMMU_OPTION_OP_SET, id, &val),
			 0);
	val = 1;
	assert_int_equal(option(ctx, IOMMU_OPTION_HUGE_PAGES,
				IOMMU_OPTION_OP_GET, id, &val),
			 0);
	assert_int_equal(val, 0);

	ranges.ioas_id = id;
	assert_int_equal(do_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES, &ranges),
			 EMSGSIZE);
	assert_int_equal(ranges.out_iova_alignment, PAGE);
	/* Now sub-page mappings are refused. */
	assert_int_equal(ioas_map_fixed(ctx, id, buf + 1, PAGE, 0x10001),
			 EINVAL);
	val = 1;
	assert_int_equal(option(ctx, IOMMU_OPTION_HUGE_PAGES,
				IOMMU_OPTION_OP_SET, id, &val),
			 0);
	/* num_iovas came back as 1: with no array that is now EFAULT. */
	assert_int_equal(do_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES, &ranges),
			 EFAULT);
	ranges.num_iovas = 0;
	assert_int_equal(do_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES, &ranges),
			 EMSGSIZE);
	assert_int_equal(ranges.out_iova_alignment, 1);
	munmap(buf, 4 * PAGE);
}

static void option_only_val64_is_written(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	struct iommu_option *cmd = test_buffer(PAGE, PROT_READ | PROT_WRITE);

	*cmd = (struct iommu_option){
		.size = sizeof(*cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
		.val64 = 99,
	};
	assert_ok(ctx, IOMMU_OPTION, cmd);
	assert_int_equal(cmd->val64, 0);
	cmd->__reserved = 1;
	assert_err(EOPNOTSUPP, ctx, IOMMU_OPTION, cmd);
	munmap(cmd, PAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ctx_test(bad_size_pointer_is_efault),
		ctx_test(unknown_numbers_are_enotty),
		ctx_test(unused_table_numbers_are_enotty),
		ctx_test(request_high_bits_are_ignored),
		ctx_test(short_size_is_einval),
		ctx_test(long_struct_must_be_zero_tail),
		ctx_test(long_struct_tail_unmapped_is_efault),
		ctx_test(struct_across_hole_is_efault),
		ctx_test(readonly_result_aborts_alloc),
		ctx_test(ids_are_lowest_free),
		ctx_test(destroy_unknown_is_enoent),
		ctx_test(destroy_in_use_is_ebusy),
		cmocka_unit_test(close_destroys_everything),
		ctx_test(option_rlimit_mode),
		ctx_test(option_rlimit_mode_needs_cap),
		ctx_test(option_huge_pages),
		ctx_test(option_only_val64_is_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

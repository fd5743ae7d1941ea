// SPDX-License-Identifier: BSD-3-Clause
/*
 * Nested HWPTs and fault queues inside the library: what the conformance
 * suite cannot see from outside. The answers a mock device gets to its page
 * requests (the user's code, INVALID when its attachment ends or the
 * context goes), the fault fd of the library's own fd table (a real
 * pollable fd), many threads faulting while one reads and answers, and a
 * failure injected at every allocation of each step, which must fail the
 * step cleanly and leave the context as it was.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>

#include "test_util.h"

#include "device.h"
#include "mock_iommu.h"

#define REC_SIZE sizeof(struct iommu_hwpt_pgfault)

struct mock {
	uint32_t stdev, idev, hwpt;
};

static int mock_domain(struct uiommufd_ctx *ctx, uint32_t pt, struct mock *m)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt,
	};
	int rc = do_ioctl(ctx, IOMMU_TEST_CMD, &cmd);

	if (!rc) {
		m->stdev = cmd.mock_domain.out_stdev_id;
		m->idev = cmd.mock_domain.out_idev_id;
		m->hwpt = cmd.mock_domain.out_hwpt_id;
	}
	return rc;
}

static int replace(struct uiommufd_ctx *ctx, uint32_t stdev, uint32_t pt)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace = { .pt_id = pt },
	};

	return do_ioctl(ctx, IOMMU_TEST_CMD, &cmd);
}

static int hwpt_alloc(struct uiommufd_ctx *ctx, uint32_t dev, uint32_t pt,
		      uint32_t flags, uint32_t fault_id, bool nested,
		      uint32_t *out)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev,
		.pt_id = pt,
		.fault_id = fault_id,
	};
	int rc;

	if (nested) {
		cmd.data_type = IOMMU_HWPT_DATA_SELFTEST;
		cmd.data_len = sizeof(data);
		cmd.data_uptr = (uintptr_t)&data;
	}
	rc = do_ioctl(ctx, IOMMU_HWPT_ALLOC, &cmd);
	if (!rc)
		*out = cmd.out_hwpt_id;
	return rc;
}

static int fault_alloc(struct uiommufd_ctx *ctx, uint32_t *id, int *fd)
{
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
	int rc = do_ioctl(ctx, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	if (!rc) {
		*id = cmd.out_fault_id;
		*fd = (int)cmd.out_fault_fd;
	}
	return rc;
}

static int trigger(struct uiommufd_ctx *ctx, uint32_t idev, uint32_t grpid)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .dev_id = idev, .pasid = 1, .grpid = grpid },
	};

	return do_ioctl(ctx, IOMMU_TEST_CMD, &cmd);
}

static int invalidate(struct uiommufd_ctx *ctx, uint32_t hwpt, uint32_t id,
		      uint32_t *num)
{
	struct iommu_hwpt_invalidate_selftest req = { .iotlb_id = id };
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.data_uptr = (uintptr_t)&req,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		.entry_len = sizeof(req),
		.entry_num = 1,
	};
	int rc = do_ioctl(ctx, IOMMU_HWPT_INVALIDATE, &cmd);

	*num = cmd.entry_num;
	return rc;
}

/* The page responses mock device @idev got, and the last one's code. */
static unsigned int responses(struct uiommufd_ctx *ctx, uint32_t idev,
			      int *code)
{
	struct iommufd_device *dev = iommufd_get_device(ctx, idev);
	unsigned int n;

	assert_non_null(dev);
	n = mock_dev_page_responses(dev->dev, code);
	iommufd_put_object(&dev->obj);
	return n;
}

static ssize_t fault_rw(struct uiommufd_file *file, void *buf, size_t len,
			bool write)
{
	return uiommufd_file_rw(file, buf, len, 0, write);
}

static ssize_t respond(struct uiommufd_file *file, uint32_t cookie,
		       uint32_t code)
{
	struct iommu_hwpt_page_response r = { .cookie = cookie, .code = code };

	return fault_rw(file, &r, sizeof(r), true);
}

/*
 * An IOAS, a mock device, a NEST_PARENT parent and a nested HWPT with a
 * fault queue the device is attached to.
 */
struct iopf {
	uint32_t ioas, parent, fault_id, hwpt;
	struct mock dev;
	int fd;
	struct uiommufd_file *file;
};

static void iopf_setup(struct uiommufd_ctx *ctx, struct iopf *s)
{
	assert_int_equal(ioas_alloc(ctx, &s->ioas), 0);
	assert_int_equal(mock_domain(ctx, s->ioas, &s->dev), 0);
	assert_int_equal(hwpt_alloc(ctx, s->dev.idev, s->ioas,
				    IOMMU_HWPT_ALLOC_NEST_PARENT, 0, false,
				    &s->parent),
			 0);
	assert_int_equal(fault_alloc(ctx, &s->fault_id, &s->fd), 0);
	assert_int_equal(hwpt_alloc(ctx, s->dev.idev, s->parent,
				    IOMMU_HWPT_FAULT_ID_VALID, s->fault_id,
				    true, &s->hwpt),
			 0);
	assert_int_equal(replace(ctx, s->dev.stdev, s->hwpt), 0);
	s->file = iommufd_fault_file_get(ctx, s->fd);
	assert_non_null(s->file);
}

static void iopf_teardown(struct iopf *s)
{
	uiommufd_file_put(s->file);
	assert_int_equal(uiommufd_fd_close(s->fd), 0);
}

static void responses_carry_the_users_code(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	struct iommu_hwpt_pgfault rec;
	struct iopf s;
	int code = -1;

	iopf_setup(ctx, &s);
	assert_int_equal(responses(ctx, s.dev.idev, &code), 0);
	assert_int_equal(trigger(ctx, s.dev.idev, 1), 0);
	assert_int_equal(fault_rw(s.file, &rec, REC_SIZE, false), REC_SIZE);
	/* Nothing answered until the user answers. */
	assert_int_equal(responses(ctx, s.dev.idev, &code), 0);
	assert_int_equal(respond(s.file, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS),
			 sizeof(struct iommu_hwpt_page_response));
	assert_int_equal(responses(ctx, s.dev.idev, &code), 1);
	assert_int_equal(code, IOMMU_PAGE_RESP_SUCCESS);
	assert_int_equal(trigger(ctx, s.dev.idev, 2), 0);
	assert_int_equal(fault_rw(s.file, &rec, REC_SIZE, false), REC_SIZE);
	assert_int_equal(respond(s.file, rec.cookie, IOMMUFD_PAGE_RESP_INVALID),
			 sizeof(struct iommu_hwpt_page_response));
	assert_int_equal(responses(ctx, s.dev.idev, &code), 2);
	assert_int_equal(code, IOMMU_PAGE_RESP_INVALID);
	iopf_teardown(&s);
}

static void unhandled_requests_are_answered_invalid(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	struct iommu_hwpt_pgfault rec;
	struct iopf s;
	int code = -1;

	iopf_setup(ctx, &s);
	/* Attached where nothing takes them: answered at once. */
	assert_int_equal(replace(ctx, s.dev.stdev, s.parent), 0);
	assert_int_equal(trigger(ctx, s.dev.idev, 1), 0);
	assert_int_equal(responses(ctx, s.dev.idev, &code), 1);
	assert_int_equal(code, IOMMU_PAGE_RESP_INVALID);
	/* One read, one queued: leaving the HWPT answers both. */
	assert_int_equal(replace(ctx, s.dev.stdev, s.hwpt), 0);
	assert_int_equal(trigger(ctx, s.dev.idev, 2), 0);
	assert_int_equal(trigger(ctx, s.dev.idev, 3), 0);
	assert_int_equal(fault_rw(s.file, &rec, REC_SIZE, false), REC_SIZE);
	assert_int_equal(responses(ctx, s.dev.idev, &code), 1);
	assert_int_equal(replace(ctx, s.dev.stdev, s.ioas), 0);
	assert_int_equal(responses(ctx, s.dev.idev, &code), 3);
	assert_int_equal(code, IOMMU_PAGE_RESP_INVALID);
	iopf_teardown(&s);
}

/* Closing everything with requests pending answers them and leaks none. */
static void teardown_with_requests_pending(void **state)
{
	struct uiommufd_ctx *ctx = uiommufd_open();
	struct iommu_hwpt_pgfault rec;
	struct iopf s;

	(void)state;
	assert_non_null(ctx);
	iopf_setup(ctx, &s);
	assert_int_equal(trigger(ctx, s.dev.idev, 1), 0);
	assert_int_equal(trigger(ctx, s.dev.idev, 2), 0);
	assert_int_equal(fault_rw(s.file, &rec, REC_SIZE, false), REC_SIZE);
	/* The fd keeps the context: closing the context first is fine. */
	uiommufd_close(ctx);
	assert_int_equal(fault_rw(s.file, &rec, REC_SIZE, false), REC_SIZE);
	assert_int_equal(rec.grpid, 2);
	iopf_teardown(&s);
}

/* Without a frontend, the fd is a real eventfd duplicate: poll() works. */
static void builtin_fd_polls(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	struct iommu_hwpt_pgfault rec;
	struct pollfd p;
	struct iopf s;

	iopf_setup(ctx, &s);
	assert_int_equal(uiommufd_file_kind(s.file), UIOMMUFD_FILE_FAULT);
	assert_true(uiommufd_file_pollfd(s.file) >= 0);
	assert_int_not_equal(uiommufd_file_pollfd(s.file), s.fd);
	/* The library's own eventfd is private: a frontend's close spares it */
	assert_int_equal(uiommufd_private_fd_next(uiommufd_file_pollfd(s.file)),
			 uiommufd_file_pollfd(s.file));
	assert_int_not_equal(uiommufd_private_fd_next(s.fd), s.fd);
	p = (struct pollfd){ .fd = s.fd, .events = POLLIN | POLLOUT };
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(p.revents, POLLOUT);
	assert_int_equal(trigger(ctx, s.dev.idev, 1), 0);
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(p.revents, POLLIN | POLLOUT);
	assert_int_equal(fault_rw(s.file, &rec, REC_SIZE, false), REC_SIZE);
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(p.revents, POLLOUT);
	/* At an offset, or not whole records: ESPIPE. */
	assert_int_equal(uiommufd_file_rw(s.file, &rec, REC_SIZE, 1, false),
			 -1);
	assert_int_equal(errno, ESPIPE);
	assert_int_equal(fault_rw(s.file, &rec, REC_SIZE - 1, false), -1);
	assert_int_equal(errno, ESPIPE);
	/* No ioctls, no mmap. */
	assert_int_equal(uiommufd_file_ioctl(s.file, IOMMU_DESTROY, &rec), -1);
	assert_int_equal(errno, ENOTTY);
	iopf_teardown(&s);
}

/* ---- many threads ----------------------------------------------------- */

enum { NR_FAULTERS = 4, FAULTS_EACH = 200 };

struct storm {
	struct uiommufd_ctx *ctx;
	struct iopf s;
	atomic_uint answered;
	atomic_int failures;
};

static void *faulter(void *arg)
{
	struct storm *st = arg;
	unsigned int i;

	for (i = 0; i < FAULTS_EACH; i++)
		if (trigger(st->ctx, st->s.dev.idev, i))
			atomic_fetch_add(&st->failures, 1);
	return NULL;
}

/* Reads until every request is answered; poll() wakes it. */
static void *answerer(void *arg)
{
	struct storm *st = arg;
	struct iommu_hwpt_pgfault rec[8];
	struct pollfd p = { .fd = st->s.fd, .events = POLLIN };

	while (atomic_load(&st->answered) < NR_FAULTERS * FAULTS_EACH) {
		ssize_t n, i;

		if (poll(&p, 1, 5000) != 1) {
			atomic_fetch_add(&st->failures, 1);
			break;
		}
		n = fault_rw(st->s.file, rec, sizeof(rec), false);
		if (n <= 0 || n % REC_SIZE)
			continue; /* another wake-up raced us: poll again */
		for (i = 0; i < n / (ssize_t)REC_SIZE; i++) {
			if (respond(st->s.file, rec[i].cookie, 0) !=
			    sizeof(struct iommu_hwpt_page_response))
				atomic_fetch_add(&st->failures, 1);
			atomic_fetch_add(&st->answered, 1);
		}
	}
	return NULL;
}

static void threads_fault_while_one_answers(void **state)
{
	struct storm st = { .ctx = *state };
	pthread_t f[NR_FAULTERS], a;
	unsigned int i;
	int code;

	iopf_setup(st.ctx, &st.s);
	assert_int_equal(pthread_create(&a, NULL, answerer, &st), 0);
	for (i = 0; i < NR_FAULTERS; i++)
		assert_int_equal(pthread_create(&f[i], NULL, faulter, &st), 0);
	for (i = 0; i < NR_FAULTERS; i++)
		pthread_join(f[i], NULL);
	pthread_join(a, NULL);
	assert_int_equal(atomic_load(&st.failures), 0);
	assert_int_equal(atomic_load(&st.answered), NR_FAULTERS * FAULTS_EACH);
	assert_int_equal(responses(st.ctx, st.s.dev.idev, &code),
			 NR_FAULTERS * FAULTS_EACH);
	iopf_teardown(&st.s);
}

/* ---- failure injection ------------------------------------------------ */

/* Objects, their types and users: what a failed step must not change. */
static void digest(struct uiommufd_ctx *ctx, char *out, size_t len)
{
	size_t pos;
	uint32_t id;

	pos = (size_t)snprintf(out, len, "%u:", ctx->nr_objects);
	for (id = 1; id < ctx->next_id && pos < len; id++) {
		struct iommufd_object *obj = ctx->objects[id];

		if (!obj || obj == (struct iommufd_object *)1)
			continue;
		pos += (size_t)snprintf(out + pos, len - pos, " %u/%d/%u", id,
					obj->type, atomic_load(&obj->users));
	}
}

/*
 * Fail the 1st, 2nd, ... allocation of @step until it runs clean: each
 * failure returns an error and leaves the objects as they were.
 */
static unsigned int sweep(struct uiommufd_ctx *ctx,
			  int (*step)(struct uiommufd_ctx *, void *), void *arg)
{
	char before[512], after[512];
	unsigned int nth;

	for (nth = 1; nth < 100; nth++) {
		int rc;

		digest(ctx, before, sizeof(before));
		iommufd_fail_nth_set(nth);
		rc = step(ctx, arg);
		if (!iommufd_fail_nth_clear()) {
			assert_int_equal(rc, 0);
			return nth - 1;
		}
		assert_int_not_equal(rc, 0);
		digest(ctx, after, sizeof(after));
		assert_string_equal(before, after);
	}
	fail_msg("step never ran clean");
	return 0;
}

static int step_nested(struct uiommufd_ctx *ctx, void *arg)
{
	struct iopf *s = arg;
	uint32_t id;

	return hwpt_alloc(ctx, s->dev.idev, s->parent,
			  IOMMU_HWPT_FAULT_ID_VALID, s->fault_id, true, &id);
}

static int step_fault_alloc(struct uiommufd_ctx *ctx, void *arg)
{
	uint32_t id;
	int fd, rc = fault_alloc(ctx, &id, &fd);

	(void)arg;
	if (!rc)
		assert_int_equal(uiommufd_fd_close(fd), 0);
	return rc;
}

static int step_replace_in(struct uiommufd_ctx *ctx, void *arg)
{
	struct iopf *s = arg;

	return replace(ctx, s->dev.stdev, s->hwpt);
}

static int step_trigger_read(struct uiommufd_ctx *ctx, void *arg)
{
	struct iopf *s = arg;
	struct iommu_hwpt_pgfault rec;
	ssize_t n;

	/* A lost request is answered FAILURE; the read then finds none. */
	if (trigger(ctx, s->dev.idev, 7))
		return -1;
	n = fault_rw(s->file, &rec, REC_SIZE, false);
	if (n == 0)
		return ENOMEM;
	if (n != REC_SIZE)
		return errno;
	return respond(s->file, rec.cookie, 0) == 8 ? 0 : errno;
}

static void injected_failures_are_clean(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	unsigned int n = 0;
	struct iopf s;
	int code;

	iopf_setup(ctx, &s);
	n += sweep(ctx, step_nested, &s);
	n += sweep(ctx, step_fault_alloc, NULL);
	assert_int_equal(replace(ctx, s.dev.stdev, s.parent), 0);
	n += sweep(ctx, step_replace_in, &s);
	n += sweep(ctx, step_trigger_read, &s);
	assert_true(n >= 5);
	/* Every request was answered, the lost ones with FAILURE. */
	assert_int_not_equal(responses(ctx, s.dev.idev, &code), 0);
	printf("%u injected failures, all clean\n", n);
	iopf_teardown(&s);
}

static void invalidate_counts_with_fail_nth(void **state)
{
	struct uiommufd_ctx *ctx = *state;
	struct iopf s;
	uint32_t num;

	iopf_setup(ctx, &s);
	/* Invalidation allocates nothing: no step to fail. */
	iommufd_fail_nth_set(1);
	assert_int_equal(invalidate(ctx, s.hwpt, 0, &num), 0);
	assert_false(iommufd_fail_nth_clear());
	assert_int_equal(num, 1);
	iopf_teardown(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ctx_test(responses_carry_the_users_code),
		ctx_test(unhandled_requests_are_answered_invalid),
		cmocka_unit_test(teardown_with_requests_pending),
		ctx_test(builtin_fd_polls),
		ctx_test(threads_fault_while_one_answers),
		ctx_test(injected_failures_are_clean),
		ctx_test(invalidate_counts_with_fail_nth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Conformance: nested HWPTs (IOMMU_HWPT_ALLOC on a NEST_PARENT paging
 * HWPT, with the mock driver's IOMMU_HWPT_DATA_SELFTEST data), cache
 * invalidation (IOMMU_HWPT_INVALIDATE, read back with
 * IOMMU_TEST_OP_MD_CHECK_IOTLB) and fault queues (IOMMU_FAULT_QUEUE_ALLOC,
 * page requests made with IOMMU_TEST_OP_TRIGGER_IOPF, read from and
 * answered on the queue's fd, which poll() and epoll watch).
 *
 * A nested HWPT holds its parent, and a fault queue is held by its fd and
 * by every HWPT allocated with it: each refuses IOMMU_DESTROY with EBUSY
 * until those are gone. Invalidation reports in entry_num how many entries
 * it handled, on failure too. A page request reaches the queue only
 * through a HWPT allocated with the queue that the device is attached to;
 * the queue's fd reads whole 40-byte records and takes whole 8-byte
 * responses, has no position (ESPIPE), no ioctls and no mmap.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conformance.h"

#define NEST_PARENT IOMMU_HWPT_ALLOC_NEST_PARENT
#define FAULT_VALID IOMMU_HWPT_FAULT_ID_VALID
#define INV_TYPE IOMMU_HWPT_INVALIDATE_DATA_SELFTEST
#define REC_SIZE sizeof(struct iommu_hwpt_pgfault)
#define RESP_SIZE sizeof(struct iommu_hwpt_page_response)

static int hwpt_alloc_data(int fd, uint32_t dev_id, uint32_t pt_id,
			   uint32_t flags, uint32_t fault_id, uint32_t type,
			   const void *data, uint32_t len, uint32_t *out)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = type,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
		.fault_id = fault_id,
	};
	int rc = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc && out)
		*out = cmd.out_hwpt_id;
	return rc;
}

/* A nested HWPT on @parent whose IOTLB starts at @iotlb. */
static int nested_alloc(int fd, uint32_t dev_id, uint32_t parent,
			uint32_t flags, uint32_t fault_id, uint32_t iotlb,
			uint32_t *out)
{
	struct iommu_hwpt_selftest data = { .iotlb = iotlb };

	return hwpt_alloc_data(fd, dev_id, parent, flags, fault_id,
			       IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
			       out);
}

static uint32_t nested_at(const char *file, int line, int fd, uint32_t dev_id,
			  uint32_t parent, uint32_t flags, uint32_t fault_id,
			  uint32_t iotlb)
{
	uint32_t id = 0;

	if (nested_alloc(fd, dev_id, parent, flags, fault_id, iotlb, &id))
		conf_fail(file, line, "nested IOMMU_HWPT_ALLOC: %s",
			  conf_errname(errno));
	return id;
}

#define nested(fd, dev_id, parent, iotlb) \
	nested_at(__FILE__, __LINE__, fd, dev_id, parent, 0, 0, iotlb)
#define nested_iopf(fd, dev_id, parent, fault_id)                      \
	nested_at(__FILE__, __LINE__, fd, dev_id, parent, FAULT_VALID, \
		  fault_id, IOMMU_TEST_IOTLB_DEFAULT)

static uint32_t paging_at(const char *file, int line, int fd, uint32_t dev_id,
			  uint32_t ioas, uint32_t flags)
{
	uint32_t id = 0;

	if (conf_hwpt_alloc(fd, dev_id, ioas, flags, &id))
		conf_fail(file, line, "IOMMU_HWPT_ALLOC: %s",
			  conf_errname(errno));
	return id;
}

#define paging(fd, dev_id, ioas, flags) \
	paging_at(__FILE__, __LINE__, fd, dev_id, ioas, flags)

static int check_iotlb(int fd, uint32_t hwpt, uint32_t id, uint32_t value)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt,
		.check_iotlb = { .id = id, .iotlb = value },
	};

	return conf_test_cmd(fd, &cmd);
}

#define EXPECT_IOTLB(fd, hwpt, id, value) \
	EXPECT_OK(check_iotlb(fd, hwpt, id, value))

static void expect_iotlb_all_at(const char *file, int line, int fd,
				uint32_t hwpt, uint32_t value)
{
	uint32_t i;

	for (i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		if (check_iotlb(fd, hwpt, i, value))
			conf_fail(file, line, "IOTLB %u of HWPT %u is not 0x%x",
				  i, hwpt, value);
}

#define EXPECT_IOTLB_ALL(fd, hwpt, value) \
	expect_iotlb_all_at(__FILE__, __LINE__, fd, hwpt, value)

/* IOMMU_HWPT_INVALIDATE; *@num in, entries handled out. */
static int invalidate(int fd, uint32_t hwpt, const void *reqs, uint32_t type,
		      uint32_t entry_len, uint32_t *num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.data_uptr = (uintptr_t)reqs,
		.data_type = type,
		.entry_len = entry_len,
		.entry_num = *num,
	};
	int rc = ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);
	int err = errno;

	*num = cmd.entry_num;
	errno = err;
	return rc;
}

static int fault_alloc(int fd, uint32_t flags, uint32_t *id, int *ffd)
{
	struct iommu_fault_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
	};
	int rc = ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	if (!rc) {
		*id = cmd.out_fault_id;
		*ffd = (int)cmd.out_fault_fd;
	}
	return rc;
}

/* A fault queue: its ID, and its fd (closed after the case). */
static int fault_queue_at(const char *file, int line, int fd, uint32_t *id)
{
	int ffd = -1;

	if (fault_alloc(fd, 0, id, &ffd))
		conf_fail(file, line, "IOMMU_FAULT_QUEUE_ALLOC: %s",
			  conf_errname(errno));
	return conf_adopt_fd_at(file, line, ffd);
}

#define fault_queue(fd, id) fault_queue_at(__FILE__, __LINE__, fd, id)

static int trigger_iopf(int fd, uint32_t dev_id, uint32_t pasid, uint32_t grpid,
			uint64_t addr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = {
			.dev_id = dev_id,
			.pasid = pasid,
			.grpid = grpid,
			.perm = IOMMU_PGFAULT_PERM_READ |
				IOMMU_PGFAULT_PERM_WRITE,
			.addr = addr,
		},
	};

	return conf_test_cmd(fd, &cmd);
}

/* An address nothing is mapped at, hidden from the compiler's checks. */
static void *bad_address(void)
{
	void *volatile p = (void *)8;

	return p;
}

static short poll_events(int ffd)
{
	struct pollfd p = { .fd = ffd, .events = POLLIN | POLLOUT };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

static ssize_t respond(int ffd, uint32_t cookie, uint32_t code)
{
	struct iommu_hwpt_page_response r = { .cookie = cookie, .code = code };

	return write(ffd, &r, sizeof(r));
}

/*
 * An IOAS with a mock device on it, a NEST_PARENT paging HWPT on the IOAS
 * and a nested HWPT on that.
 */
struct nest {
	int fd;
	uint32_t ioas;
	struct conf_mock_dev dev;
	uint32_t parent;
	uint32_t nested;
};

static struct nest nest_setup_at(const char *file, int line)
{
	struct nest n;

	n.fd = conf_open_at(file, line);
	n.ioas = conf_ioas_alloc_at(file, line, n.fd);
	n.dev = conf_mock_domain_at(file, line, n.fd, n.ioas, 0);
	n.parent =
		paging_at(file, line, n.fd, n.dev.idev_id, n.ioas, NEST_PARENT);
	n.nested = nested_at(file, line, n.fd, n.dev.idev_id, n.parent, 0, 0,
			     IOMMU_TEST_IOTLB_DEFAULT);
	return n;
}

#define nest_setup() nest_setup_at(__FILE__, __LINE__)

/* ---- allocation ------------------------------------------------------- */

CONF_TEST(nested_alloc_errnos)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint32_t parent = paging(fd, dev.idev_id, ioas, NEST_PARENT);
	uint32_t plain = paging(fd, dev.idev_id, ioas, 0);
	struct iommu_hwpt_selftest data[2] = { { 7 }, { 0 } };
	uint32_t id = 0, n;

	/* Data type NONE with data, a type without data. */
	EXPECT_ERRNO(EINVAL, hwpt_alloc_data(fd, dev.idev_id, parent, 0, 0,
					     IOMMU_HWPT_DATA_NONE, data,
					     sizeof(data[0]), &id));
	EXPECT_ERRNO(EINVAL,
		     hwpt_alloc_data(fd, dev.idev_id, parent, 0, 0,
				     IOMMU_HWPT_DATA_SELFTEST, data, 0, &id));
	/* A type the mock driver does not know. */
	EXPECT_ERRNO(EOPNOTSUPP, hwpt_alloc_data(fd, dev.idev_id, parent, 0, 0,
						 IOMMU_HWPT_DATA_SELFTEST + 1,
						 data, sizeof(data[0]), &id));
	EXPECT_ERRNO(EOPNOTSUPP, hwpt_alloc_data(fd, dev.idev_id, parent, 0, 0,
						 IOMMU_HWPT_DATA_VTD_S1, data,
						 sizeof(data[0]), &id));
	/* Shorter or longer than the struct, even zero-padded. */
	EXPECT_ERRNO(EINVAL,
		     hwpt_alloc_data(fd, dev.idev_id, parent, 0, 0,
				     IOMMU_HWPT_DATA_SELFTEST, data, 3, &id));
	EXPECT_ERRNO(EINVAL,
		     hwpt_alloc_data(fd, dev.idev_id, parent, 0, 0,
				     IOMMU_HWPT_DATA_SELFTEST, data, 8, &id));
	EXPECT_ERRNO(EFAULT,
		     hwpt_alloc_data(fd, dev.idev_id, parent, 0, 0,
				     IOMMU_HWPT_DATA_SELFTEST, NULL, 4, &id));
	/* Allocation flags are for paging HWPTs only. */
	EXPECT_ERRNO(EOPNOTSUPP, nested_alloc(fd, dev.idev_id, parent,
					      NEST_PARENT, 0, 0, &id));
	EXPECT_ERRNO(EOPNOTSUPP,
		     nested_alloc(fd, dev.idev_id, parent,
				  IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, 0, &id));
	EXPECT_ERRNO(EOPNOTSUPP, nested_alloc(fd, dev.idev_id, parent, 1U << 31,
					      0, 0, &id));
	/* The parent: made for nesting, not automatic, not nested. */
	EXPECT_ERRNO(EINVAL,
		     nested_alloc(fd, dev.idev_id, plain, 0, 0, 0, &id));
	EXPECT_ERRNO(EINVAL,
		     nested_alloc(fd, dev.idev_id, dev.hwpt_id, 0, 0, 0, &id));
	n = nested(fd, dev.idev_id, parent, 0);
	EXPECT_ERRNO(EINVAL, nested_alloc(fd, dev.idev_id, n, 0, 0, 0, &id));
	/* Anything else as the page table is EINVAL, a device ENOENT. */
	EXPECT_ERRNO(EINVAL,
		     nested_alloc(fd, dev.idev_id, dev.idev_id, 0, 0, 0, &id));
	EXPECT_ERRNO(EINVAL, nested_alloc(fd, dev.idev_id, 999, 0, 0, 0, &id));
	EXPECT_ERRNO(ENOENT, nested_alloc(fd, ioas, parent, 0, 0, 0, &id));
	EXPECT_ERRNO(ENOENT, nested_alloc(fd, 999, parent, 0, 0, 0, &id));
	/* A fault ID that is no fault queue. */
	EXPECT_ERRNO(ENOENT, nested_alloc(fd, dev.idev_id, parent, FAULT_VALID,
					  ioas, 0, &id));
	EXPECT_ERRNO(ENOENT, nested_alloc(fd, dev.idev_id, parent, FAULT_VALID,
					  UINT32_MAX, 0, &id));
	/* Failures left no object behind: the next ID follows n. */
	id = nested(fd, dev.idev_id, parent, 1);
	EXPECT_EQ(id, n + 1);
}

CONF_TEST(nested_alloc_iotlb_from_data)
{
	struct nest n = nest_setup();
	uint32_t other = nested(n.fd, n.dev.idev_id, n.parent, 0x1234);

	EXPECT_IOTLB_ALL(n.fd, n.nested, IOMMU_TEST_IOTLB_DEFAULT);
	EXPECT_IOTLB_ALL(n.fd, other, 0x1234);
	EXPECT_ERRNO(EINVAL, check_iotlb(n.fd, other, 0, 0x1235));
	EXPECT_ERRNO(EINVAL,
		     check_iotlb(n.fd, other,
				 MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1, 0x1234));
	/* Only a nested HWPT has an IOTLB to check. */
	EXPECT_ERRNO(ENOENT, check_iotlb(n.fd, n.parent, 0, 0));
	EXPECT_ERRNO(ENOENT, check_iotlb(n.fd, n.ioas, 0, 0));
	EXPECT_ERRNO(ENOENT, check_iotlb(n.fd, 999, 0, 0));
}

CONF_TEST(nested_holds_parent)
{
	struct nest n = nest_setup();
	uint32_t second = nested(n.fd, n.dev.idev_id, n.parent, 0);

	EXPECT_ERRNO(EBUSY, conf_destroy(n.fd, n.parent));
	EXPECT_OK(conf_destroy(n.fd, n.nested));
	EXPECT_ERRNO(EBUSY, conf_destroy(n.fd, n.parent));
	EXPECT_OK(conf_destroy(n.fd, second));
	EXPECT_OK(conf_destroy(n.fd, n.parent));
	/* The parent held the IOAS; nothing does now but the device. */
	EXPECT_ERRNO(ENOENT, conf_destroy(n.fd, n.nested));
}

CONF_TEST(nested_attach_replace_destroy)
{
	struct nest n = nest_setup();
	uint32_t second = nested(n.fd, n.dev.idev_id, n.parent, 0);

	EXPECT_OK(conf_mock_replace(n.fd, n.dev.stdev_id, n.nested, NULL));
	EXPECT_ERRNO(EBUSY, conf_destroy(n.fd, n.nested));
	EXPECT_OK(conf_mock_replace(n.fd, n.dev.stdev_id, second, NULL));
	EXPECT_ERRNO(EBUSY, conf_destroy(n.fd, second));
	EXPECT_OK(conf_destroy(n.fd, n.nested));
	/* Back to the parent, then to the IOAS (a new automatic domain). */
	EXPECT_OK(conf_mock_replace(n.fd, n.dev.stdev_id, n.parent, NULL));
	EXPECT_OK(conf_destroy(n.fd, second));
	EXPECT_ERRNO(EBUSY, conf_destroy(n.fd, n.parent));
	EXPECT_OK(conf_mock_replace(n.fd, n.dev.stdev_id, n.ioas, NULL));
	EXPECT_OK(conf_destroy(n.fd, n.parent));
}

CONF_TEST(nested_mock_domain_attaches_directly)
{
	struct nest n = nest_setup();
	struct conf_mock_dev dev2 = mock_domain(n.fd, n.nested);

	EXPECT_EQ(dev2.hwpt_id, n.nested);
	EXPECT_ERRNO(EBUSY, conf_destroy(n.fd, n.nested));
	EXPECT_OK(conf_destroy(n.fd, dev2.stdev_id));
	EXPECT_OK(conf_destroy(n.fd, n.nested));
}

CONF_TEST(nested_mapping_goes_through_parent)
{
	struct nest n = nest_setup();
	void *buf = touched(PAGE_SZ);

	/* Mappings of the IOAS reach the parent's domain, not the nested. */
	map_fixed(n.fd, n.ioas, buf, PAGE_SZ, MOCK_APERTURE_START);
	EXPECT_OK(conf_check_map(n.fd, n.parent, MOCK_APERTURE_START, PAGE_SZ,
				 buf));
	EXPECT_ERRNO(ENOENT, conf_check_map(n.fd, n.nested, MOCK_APERTURE_START,
					    PAGE_SZ, buf));
}

/* ---- invalidation ------------------------------------------------------ */

CONF_TEST(invalidate_argument_errnos)
{
	struct nest n = nest_setup();
	struct iommu_hwpt_invalidate_selftest req[2] = {};
	struct iommu_hwpt_invalidate cmd;
	uint32_t num;

	/* Not a nested HWPT: ENOENT, with nothing done. */
	num = 1;
	EXPECT_ERRNO(ENOENT, invalidate(n.fd, n.parent, req, INV_TYPE,
					sizeof(req[0]), &num));
	EXPECT_EQ(num, 0);
	num = 1;
	EXPECT_ERRNO(ENOENT, invalidate(n.fd, n.ioas, req, INV_TYPE,
					sizeof(req[0]), &num));
	EXPECT_EQ(num, 0);
	/* The array's shape is checked before the HWPT. */
	num = 1;
	EXPECT_ERRNO(EINVAL, invalidate(n.fd, 999, NULL, INV_TYPE,
					sizeof(req[0]), &num));
	EXPECT_EQ(num, 0);
	num = 1;
	EXPECT_ERRNO(EINVAL,
		     invalidate(n.fd, n.nested, req, INV_TYPE, 0, &num));
	EXPECT_EQ(num, 0);
	num = 1;
	EXPECT_ERRNO(EINVAL, invalidate(n.fd, n.nested, req, INV_TYPE,
					PAGE_SZ + 1, &num));
	EXPECT_EQ(num, 0);
	num = (1U << 19) + 1;
	EXPECT_ERRNO(EINVAL, invalidate(n.fd, n.nested, req, INV_TYPE,
					sizeof(req[0]), &num));
	EXPECT_EQ(num, 0);
	/* An empty array checks the HWPT and the data type only. */
	num = 0;
	EXPECT_OK(invalidate(n.fd, n.nested, NULL, INV_TYPE, 0, &num));
	EXPECT_EQ(num, 0);
	num = 0;
	EXPECT_ERRNO(EINVAL,
		     invalidate(n.fd, n.nested, NULL,
				IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, 0,
				&num));
	num = 0;
	EXPECT_ERRNO(ENOENT, invalidate(n.fd, 999, NULL, INV_TYPE, 0, &num));
	/* __reserved, and a size that stops short of it. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.hwpt_id = n.nested;
	cmd.data_type = INV_TYPE;
	cmd.__reserved = 1;
	cmd.entry_num = 5;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(n.fd, IOMMU_HWPT_INVALIDATE, &cmd));
	EXPECT_EQ(cmd.entry_num, 0);
	cmd.__reserved = 0;
	cmd.size = offsetof(struct iommu_hwpt_invalidate, __reserved);
	EXPECT_ERRNO(EINVAL, ioctl(n.fd, IOMMU_HWPT_INVALIDATE, &cmd));
	EXPECT_IOTLB_ALL(n.fd, n.nested, IOMMU_TEST_IOTLB_DEFAULT);
}

CONF_TEST(invalidate_entry_errnos)
{
	struct nest n = nest_setup();
	struct iommu_hwpt_invalidate_selftest req[2] = {};
	uint32_t num;

	num = 1;
	EXPECT_ERRNO(EINVAL,
		     invalidate(n.fd, n.nested, req,
				IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
				sizeof(req[0]), &num));
	EXPECT_EQ(num, 0);
	/* An entry must be exactly the driver's struct. */
	num = 1;
	EXPECT_ERRNO(EINVAL, invalidate(n.fd, n.nested, req, INV_TYPE,
					sizeof(req[0]) + 1, &num));
	EXPECT_EQ(num, 0);
	num = 1;
	EXPECT_ERRNO(EINVAL,
		     invalidate(n.fd, n.nested, req, INV_TYPE, 1, &num));
	EXPECT_EQ(num, 0);
	num = 1;
	req[0].flags = 0xffffffff;
	EXPECT_ERRNO(EOPNOTSUPP, invalidate(n.fd, n.nested, req, INV_TYPE,
					    sizeof(req[0]), &num));
	EXPECT_EQ(num, 0);
	num = 1;
	req[0].flags = 0;
	req[0].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	EXPECT_ERRNO(EINVAL, invalidate(n.fd, n.nested, req, INV_TYPE,
					sizeof(req[0]), &num));
	EXPECT_EQ(num, 0);
	EXPECT_IOTLB_ALL(n.fd, n.nested, IOMMU_TEST_IOTLB_DEFAULT);
}

CONF_TEST(invalidate_partial_progress)
{
	struct nest n = nest_setup();
	struct iommu_hwpt_invalidate_selftest req[2] = {};
	struct iommu_hwpt_invalidate_selftest *guarded;
	uint32_t num;

	/* The first entry is done, the second fails: entry_num says 1. */
	num = 2;
	req[0].iotlb_id = 0;
	req[1].flags = 0xffffffff;
	req[1].iotlb_id = 1;
	EXPECT_ERRNO(EOPNOTSUPP, invalidate(n.fd, n.nested, req, INV_TYPE,
					    sizeof(req[0]), &num));
	EXPECT_EQ(num, 1);
	EXPECT_IOTLB(n.fd, n.nested, 0, 0);
	EXPECT_IOTLB(n.fd, n.nested, 1, IOMMU_TEST_IOTLB_DEFAULT);
	/* The second entry past the end of readable memory: EFAULT. */
	guarded = conf_guarded(sizeof(*guarded));
	guarded->iotlb_id = 1;
	num = 2;
	EXPECT_ERRNO(EFAULT, invalidate(n.fd, n.nested, guarded, INV_TYPE,
					sizeof(*guarded), &num));
	EXPECT_EQ(num, 1);
	EXPECT_IOTLB(n.fd, n.nested, 1, 0);
	EXPECT_IOTLB(n.fd, n.nested, 2, IOMMU_TEST_IOTLB_DEFAULT);
	/* All of them, in one go. */
	num = 2;
	req[0].iotlb_id = 2;
	req[1].flags = 0;
	req[1].iotlb_id = 3;
	EXPECT_OK(invalidate(n.fd, n.nested, req, INV_TYPE, sizeof(req[0]),
			     &num));
	EXPECT_EQ(num, 2);
	EXPECT_IOTLB_ALL(n.fd, n.nested, 0);
}

CONF_TEST(invalidate_all_flag_ignores_id)
{
	struct nest n = nest_setup();
	uint32_t other = nested(n.fd, n.dev.idev_id, n.parent, 9);
	struct iommu_hwpt_invalidate_selftest req = {
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
		.iotlb_id = 2,
	};
	uint32_t num = 1;

	EXPECT_OK(
		invalidate(n.fd, n.nested, &req, INV_TYPE, sizeof(req), &num));
	EXPECT_EQ(num, 1);
	EXPECT_IOTLB_ALL(n.fd, n.nested, 0);
	/* Another nested HWPT on the same parent keeps its IOTLB. */
	EXPECT_IOTLB_ALL(n.fd, other, 9);
	/* The ID is still checked, even with the flag. */
	req.iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	num = 1;
	EXPECT_ERRNO(EINVAL, invalidate(n.fd, other, &req, INV_TYPE,
					sizeof(req), &num));
	EXPECT_EQ(num, 0);
	EXPECT_IOTLB_ALL(n.fd, other, 9);
}

/* ---- fault queues ------------------------------------------------------ */

CONF_TEST(fault_alloc_basics)
{
	int fd = conf_open();
	uint32_t id = 0, id2 = 0, ioas;
	int ffd = -1, flags;

	EXPECT_ERRNO(EOPNOTSUPP, fault_alloc(fd, 1, &id, &ffd));
	ioas = ioas_alloc(fd);
	ffd = fault_queue(fd, &id);
	EXPECT_EQ(id, ioas + 1);
	CHECK(ffd > 2);
	/* A new close-on-exec, read-write descriptor of its own. */
	flags = fcntl(ffd, F_GETFD);
	CHECK(flags >= 0 && (flags & FD_CLOEXEC));
	flags = fcntl(ffd, F_GETFL);
	CHECK(flags >= 0);
	EXPECT_EQ(flags & (O_ACCMODE | O_NONBLOCK), O_RDWR);
	/* Each queue its own object and fd. */
	CHECK(fault_queue(fd, &id2) != ffd);
	EXPECT_EQ(id2, id + 1);
	/* It is no IOAS, no HWPT. */
	EXPECT_ERRNO(ENOENT,
		     conf_map(fd, id, MAP_RW, conf_mem(PAGE_SZ, PAGE_SZ),
			      PAGE_SZ, &(uint64_t){ 0 }));
}

CONF_TEST(fault_object_held_by_fd_and_hwpt)
{
	struct nest n = nest_setup();
	uint32_t fault_id, hwpt;
	int ffd = fault_queue(n.fd, &fault_id);

	EXPECT_ERRNO(EBUSY, conf_destroy(n.fd, fault_id));
	hwpt = nested_iopf(n.fd, n.dev.idev_id, n.parent, fault_id);
	EXPECT_OK(close(ffd));
	conf_forget_fd(ffd);
	/* The fd is gone; the HWPT still holds the queue. */
	EXPECT_ERRNO(EBUSY, conf_destroy(n.fd, fault_id));
	EXPECT_OK(conf_destroy(n.fd, hwpt));
	EXPECT_OK(conf_destroy(n.fd, fault_id));
	EXPECT_ERRNO(ENOENT, conf_destroy(n.fd, fault_id));
}

CONF_TEST(fault_id_only_for_nested)
{
	struct nest n = nest_setup();
	uint32_t fault_id, id;

	fault_queue(n.fd, &fault_id);
	/* A paging HWPT takes no fault queue (6.12), with or without NEST_PARENT. */
	EXPECT_ERRNO(EOPNOTSUPP, conf_hwpt_alloc(n.fd, n.dev.idev_id, n.ioas,
						 FAULT_VALID, &id));
	EXPECT_ERRNO(EOPNOTSUPP,
		     conf_hwpt_alloc(n.fd, n.dev.idev_id, n.ioas,
				     FAULT_VALID | NEST_PARENT, &id));
	/* fault_id is ignored without the flag. */
	EXPECT_OK(nested_alloc(n.fd, n.dev.idev_id, n.parent, 0, 999, 0, &id));
	EXPECT_OK(conf_destroy(n.fd, id));
}

CONF_TEST(fault_fd_file_errnos)
{
	int fd = conf_open();
	uint32_t fault_id;
	int ffd = fault_queue(fd, &fault_id);
	char buf[REC_SIZE * 2];

	/* Nothing queued: a read of whole records returns 0. */
	EXPECT_EQ(read(ffd, buf, REC_SIZE), 0);
	EXPECT_EQ(read(ffd, buf, 0), 0);
	/* Not whole records or responses, or at a position: ESPIPE. */
	EXPECT_ERRNO(ESPIPE, read(ffd, buf, REC_SIZE - 1));
	EXPECT_ERRNO(ESPIPE, read(ffd, buf, REC_SIZE + 8));
	EXPECT_ERRNO(ESPIPE, write(ffd, buf, RESP_SIZE + 1));
	EXPECT_ERRNO(ESPIPE, pread(ffd, buf, REC_SIZE, 0));
	EXPECT_ERRNO(ESPIPE, pwrite(ffd, buf, RESP_SIZE, 0));
	EXPECT_ERRNO(ESPIPE, lseek(ffd, 0, SEEK_SET));
	EXPECT_EQ(write(ffd, buf, 0), 0);
	/* A response to nothing, a code that is none. */
	EXPECT_ERRNO(EINVAL, respond(ffd, 1, IOMMUFD_PAGE_RESP_SUCCESS));
	EXPECT_ERRNO(EINVAL, respond(ffd, 0, IOMMUFD_PAGE_RESP_SUCCESS));
	EXPECT_ERRNO(EINVAL, respond(ffd, 1, 2));
	EXPECT_ERRNO(EFAULT, write(ffd, bad_address(), RESP_SIZE));
	/* No ioctls, no mmap. */
	EXPECT_ERRNO(ENOTTY, ioctl(ffd, IOMMU_DESTROY, buf));
	CHECK(mmap(NULL, PAGE_SZ, PROT_READ, MAP_SHARED, ffd, 0) == MAP_FAILED);
	EXPECT_EQ(errno, ENODEV);
	/* Writable, not readable, when empty. */
	EXPECT_EQ(poll_events(ffd), POLLOUT);
}

/*
 * A nest whose device is attached to a nested HWPT with a fault queue;
 * the queue's fd in *@ffd.
 */
static struct nest iopf_setup_at(const char *file, int line, int *ffd,
				 uint32_t *iopf_hwpt)
{
	struct nest n = nest_setup_at(file, line);
	uint32_t fault_id;

	*ffd = fault_queue_at(file, line, n.fd, &fault_id);
	*iopf_hwpt = nested_at(file, line, n.fd, n.dev.idev_id, n.parent,
			       FAULT_VALID, fault_id, IOMMU_TEST_IOTLB_DEFAULT);
	if (conf_mock_replace(n.fd, n.dev.stdev_id, *iopf_hwpt, NULL))
		conf_fail(file, line, "replace onto the IOPF HWPT: %s",
			  conf_errname(errno));
	return n;
}

#define iopf_setup(ffd, hwpt) iopf_setup_at(__FILE__, __LINE__, ffd, hwpt)

CONF_TEST(fault_read_respond)
{
	uint32_t hwpt;
	int ffd;
	struct nest n = iopf_setup(&ffd, &hwpt);
	struct iommu_hwpt_pgfault rec[2];

	EXPECT_ERRNO(EBUSY, conf_destroy(n.fd, hwpt));
	EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 1, 2, 0xdeadbeaf));
	EXPECT_EQ(poll_events(ffd), POLLIN | POLLOUT);
	memset(rec, 0xff, sizeof(rec));
	EXPECT_EQ(read(ffd, rec, sizeof(rec)), REC_SIZE);
	EXPECT_EQ(rec[0].flags, IOMMU_PGFAULT_FLAGS_PASID_VALID |
					IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	EXPECT_EQ(rec[0].dev_id, n.dev.idev_id);
	EXPECT_EQ(rec[0].pasid, 1);
	EXPECT_EQ(rec[0].grpid, 2);
	EXPECT_EQ(rec[0].perm,
		  IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE);
	EXPECT_EQ(rec[0].__reserved, 0);
	EXPECT_EQ(rec[0].addr, 0xdeadbeaf);
	EXPECT_EQ(rec[0].length, 0);
	EXPECT_EQ(rec[0].cookie, 1);
	/* Read, it waits for its answer; nothing more to read. */
	EXPECT_EQ(poll_events(ffd), POLLOUT);
	EXPECT_EQ(read(ffd, rec, sizeof(rec)), 0);
	EXPECT_EQ(respond(ffd, 1, IOMMUFD_PAGE_RESP_SUCCESS), RESP_SIZE);
	EXPECT_ERRNO(EINVAL, respond(ffd, 1, IOMMUFD_PAGE_RESP_SUCCESS));
	/* The cookie is free again. */
	EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 0, 3, 0x1000));
	EXPECT_EQ(read(ffd, rec, REC_SIZE), REC_SIZE);
	EXPECT_EQ(rec[0].cookie, 1);
	EXPECT_EQ(rec[0].flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	EXPECT_EQ(rec[0].pasid, 0);
	EXPECT_EQ(rec[0].grpid, 3);
	EXPECT_EQ(respond(ffd, 1, IOMMUFD_PAGE_RESP_INVALID), RESP_SIZE);
}

CONF_TEST(fault_read_many_and_cookies)
{
	uint32_t hwpt, i;
	int ffd;
	struct nest n = iopf_setup(&ffd, &hwpt);
	struct iommu_hwpt_pgfault rec[3];
	struct iommu_hwpt_page_response resp[3];

	for (i = 0; i < 3; i++)
		EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 1, 10 + i,
				       0x1000 * (i + 1)));
	/* A read takes whole records, oldest first, as many as fit. */
	EXPECT_ERRNO(EINVAL, read(ffd, rec, 0));
	EXPECT_EQ(read(ffd, rec, 2 * REC_SIZE), 2 * REC_SIZE);
	EXPECT_EQ(rec[0].grpid, 10);
	EXPECT_EQ(rec[1].grpid, 11);
	EXPECT_EQ(rec[0].cookie, 1);
	EXPECT_EQ(rec[1].cookie, 2);
	EXPECT_EQ(poll_events(ffd), POLLIN | POLLOUT);
	/* A bad buffer loses nothing: the record stays queued. */
	EXPECT_ERRNO(EFAULT, read(ffd, bad_address(), REC_SIZE));
	EXPECT_EQ(poll_events(ffd), POLLIN | POLLOUT);
	EXPECT_EQ(read(ffd, rec + 2, REC_SIZE), REC_SIZE);
	EXPECT_EQ(rec[2].grpid, 12);
	EXPECT_EQ(rec[2].cookie, 3);
	/* Responses in one write; it stops at the first bad one. */
	resp[0] = (struct iommu_hwpt_page_response){ 2, 0 };
	resp[1] = (struct iommu_hwpt_page_response){ 7, 0 };
	resp[2] = (struct iommu_hwpt_page_response){ 1, 0 };
	EXPECT_EQ(write(ffd, resp, sizeof(resp)), RESP_SIZE);
	EXPECT_ERRNO(EINVAL, respond(ffd, 2, 0));
	/* The lowest free cookie goes first. */
	EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 1, 13, 0x4000));
	EXPECT_EQ(read(ffd, rec, REC_SIZE), REC_SIZE);
	EXPECT_EQ(rec[0].cookie, 2);
	resp[0] = (struct iommu_hwpt_page_response){ 1, 1 };
	resp[1] = (struct iommu_hwpt_page_response){ 2, 0 };
	resp[2] = (struct iommu_hwpt_page_response){ 3, 0 };
	EXPECT_EQ(write(ffd, resp, sizeof(resp)), sizeof(resp));
}

CONF_TEST(fault_epoll)
{
	uint32_t hwpt;
	int ffd;
	struct nest n = iopf_setup(&ffd, &hwpt);
	struct epoll_event ev = { .events = EPOLLIN }, got;
	struct iommu_hwpt_pgfault rec;
	int ep = conf_adopt_fd(epoll_create1(EPOLL_CLOEXEC));

	EXPECT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, ffd, &ev));
	EXPECT_EQ(epoll_wait(ep, &got, 1, 0), 0);
	EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 1, 2, 0x1000));
	EXPECT_EQ(epoll_wait(ep, &got, 1, 1000), 1);
	EXPECT_EQ(got.events, EPOLLIN);
	EXPECT_EQ(read(ffd, &rec, sizeof(rec)), REC_SIZE);
	EXPECT_EQ(epoll_wait(ep, &got, 1, 0), 0);
	EXPECT_EQ(respond(ffd, rec.cookie, 0), RESP_SIZE);
}

CONF_TEST(fault_only_through_iopf_hwpt)
{
	uint32_t hwpt;
	int ffd;
	struct nest n = iopf_setup(&ffd, &hwpt);
	char buf[REC_SIZE];

	/* A nested HWPT without a queue: the request goes nowhere. */
	EXPECT_OK(conf_mock_replace(n.fd, n.dev.stdev_id, n.nested, NULL));
	EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 1, 2, 0x1000));
	EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 0, 2, 0x1000));
	/* Nor on the paging parent. */
	EXPECT_OK(conf_mock_replace(n.fd, n.dev.stdev_id, n.parent, NULL));
	EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 1, 2, 0x1000));
	EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 0, 2, 0x1000));
	EXPECT_EQ(poll_events(ffd), POLLOUT);
	EXPECT_EQ(read(ffd, buf, sizeof(buf)), 0);
	/* Another device never attached to it reaches it neither. */
	EXPECT_OK(conf_mock_replace(n.fd, n.dev.stdev_id, hwpt, NULL));
	struct conf_mock_dev other = mock_domain(n.fd, n.ioas);
	EXPECT_OK(trigger_iopf(n.fd, other.idev_id, 1, 2, 0x1000));
	EXPECT_EQ(read(ffd, buf, sizeof(buf)), 0);
	/* Nor anything that is not a device. */
	EXPECT_ERRNO(ENOENT, trigger_iopf(n.fd, n.ioas, 1, 2, 0x1000));
	EXPECT_ERRNO(ENOENT, trigger_iopf(n.fd, 999, 1, 2, 0x1000));
}

CONF_TEST(fault_auto_response_on_detach)
{
	uint32_t hwpt;
	int ffd;
	struct nest n = iopf_setup(&ffd, &hwpt);
	struct iommu_hwpt_pgfault rec;

	/* One read and waiting for its answer, one still queued. */
	EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 1, 1, 0x1000));
	EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 1, 2, 0x2000));
	EXPECT_EQ(read(ffd, &rec, REC_SIZE), REC_SIZE);
	EXPECT_EQ(rec.cookie, 1);
	EXPECT_EQ(poll_events(ffd), POLLIN | POLLOUT);
	/* Leaving the HWPT answers both: nothing to read or answer. */
	EXPECT_OK(conf_mock_replace(n.fd, n.dev.stdev_id, n.parent, NULL));
	EXPECT_EQ(poll_events(ffd), POLLOUT);
	EXPECT_EQ(read(ffd, &rec, REC_SIZE), 0);
	EXPECT_ERRNO(EINVAL, respond(ffd, 1, 0));
	/* Coming back starts afresh. */
	EXPECT_OK(conf_mock_replace(n.fd, n.dev.stdev_id, hwpt, NULL));
	EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 1, 3, 0x3000));
	EXPECT_EQ(read(ffd, &rec, REC_SIZE), REC_SIZE);
	EXPECT_EQ(rec.grpid, 3);
	EXPECT_EQ(rec.cookie, 1);
	/* Destroying the device answers what it left too. */
	EXPECT_OK(conf_destroy(n.fd, n.dev.stdev_id));
	EXPECT_ERRNO(EINVAL, respond(ffd, 1, 0));
	EXPECT_OK(conf_destroy(n.fd, hwpt));
}

CONF_TEST(fault_two_hwpts_one_queue)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev a = mock_domain(fd, ioas);
	struct conf_mock_dev b = mock_domain(fd, ioas);
	uint32_t parent = paging(fd, a.idev_id, ioas, NEST_PARENT);
	uint32_t fault_id, ha, hb;
	int ffd = fault_queue(fd, &fault_id);
	struct iommu_hwpt_pgfault rec[2];

	ha = nested_iopf(fd, a.idev_id, parent, fault_id);
	hb = nested_iopf(fd, b.idev_id, parent, fault_id);
	EXPECT_OK(conf_mock_replace(fd, a.stdev_id, ha, NULL));
	EXPECT_OK(conf_mock_replace(fd, b.stdev_id, hb, NULL));
	EXPECT_OK(trigger_iopf(fd, b.idev_id, 1, 5, 0x5000));
	EXPECT_OK(trigger_iopf(fd, a.idev_id, 1, 6, 0x6000));
	EXPECT_EQ(read(ffd, rec, sizeof(rec)), sizeof(rec));
	EXPECT_EQ(rec[0].dev_id, b.idev_id);
	EXPECT_EQ(rec[1].dev_id, a.idev_id);
	/* Only b's request is answered when b leaves. */
	EXPECT_OK(conf_mock_replace(fd, b.stdev_id, ioas, NULL));
	EXPECT_ERRNO(EINVAL, respond(ffd, rec[0].cookie, 0));
	EXPECT_EQ(respond(ffd, rec[1].cookie, 0), RESP_SIZE);
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, fault_id));
}

CONF_TEST(fault_fd_outlives_iommufd)
{
	uint32_t hwpt;
	int ffd;
	struct nest n = iopf_setup(&ffd, &hwpt);
	struct iommu_hwpt_pgfault rec;

	EXPECT_OK(trigger_iopf(n.fd, n.dev.idev_id, 1, 1, 0x1000));
	EXPECT_OK(close(n.fd));
	conf_forget_fd(n.fd);
	/* The queue keeps the context, and what it queued, alive. */
	EXPECT_EQ(poll_events(ffd), POLLIN | POLLOUT);
	EXPECT_EQ(read(ffd, &rec, REC_SIZE), REC_SIZE);
	EXPECT_EQ(rec.grpid, 1);
	EXPECT_EQ(respond(ffd, rec.cookie, 0), RESP_SIZE);
}

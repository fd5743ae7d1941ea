/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: the mock devices and domains of IOMMU_TEST_CMD, and what a
 * domain does to the IOAS it is attached to.
 *
 * MOCK_DOMAIN creates three objects in this order: the selftest object
 * (stdev, which owns the device), the device (idev) and, unless an existing
 * automatic domain of the IOAS fits, the automatic HWPT. Destroying the
 * stdev detaches and unbinds; the device itself cannot be destroyed, nor can
 * a HWPT with a device or an IOAS with a HWPT. A mock domain narrows the
 * usable IOVA space of its IOAS to the aperture and raises the IOVA
 * alignment to its 2 KiB page; existing mappings or allowed ranges in the
 * way make the attach fail with EADDRINUSE. Once a domain exists, user
 * pages are pinned at MAP time (EFAULT for missing memory), one pin per
 * iopt_pages however many domains or COPYs share them.
 *
 * Mock device numbering is global in the kernel and per process in
 * uiommufd, so no case depends on it.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conformance.h"

/* The IO page size of a mock domain: half a CPU page. */
#define MOCK_PAGE 2048UL
#define AP_START ((uint64_t)MOCK_APERTURE_START)
#define AP_LAST ((uint64_t)MOCK_APERTURE_LAST)

static int add_reserved(int fd, uint32_t ioas, uint64_t start, uint64_t len)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.id = ioas,
		.add_reserved = { .start = start, .length = len },
	};

	return conf_test_cmd(fd, &cmd);
}

static int memory_limit(int fd, uint32_t limit)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = limit },
	};

	return conf_test_cmd(fd, &cmd);
}

/*
 * @len bytes of memory, written to (so every page is present) and kept out
 * of transparent huge pages, whose reference counts CHECK_REFS skips.
 */

/* IOVA_RANGES must answer exactly @n ranges @exp and @align. */
static void expect_ranges_at(const char *file, int line, int fd, uint32_t ioas,
			     uint64_t align, const struct iommu_iova_range *exp,
			     unsigned int n)
{
	struct iommu_iova_range r[8];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = 8,
		.allowed_iovas = (uintptr_t)r,
	};
	unsigned int i;

	memset(r, 0, sizeof(r));
	if (ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd))
		conf_fail(file, line, "IOMMU_IOAS_IOVA_RANGES: %s",
			  conf_errname(errno));
	conf_check_eq(file, line, "num_iovas", "expected", cmd.num_iovas, n);
	conf_check_eq(file, line, "out_iova_alignment", "expected",
		      cmd.out_iova_alignment, align);
	for (i = 0; i != n; i++) {
		conf_note("range %u", i);
		conf_check_eq(file, line, "start", "expected", r[i].start,
			      exp[i].start);
		conf_check_eq(file, line, "last", "expected", r[i].last,
			      exp[i].last);
	}
	conf_note("%s", "");
}

#define EXPECT_RANGES(fd, ioas, align, ...)                                 \
	do {                                                                \
		const struct iommu_iova_range exp_[] = { __VA_ARGS__ };     \
		expect_ranges_at(__FILE__, __LINE__, fd, ioas, align, exp_, \
				 sizeof(exp_) / sizeof(exp_[0]));           \
	} while (0)

static const struct iommu_iova_range whole_space = { 0, UINT64_MAX };
static const struct iommu_iova_range aperture = { AP_START, AP_LAST };

/* ---------------------------------------------------------------------- */
/* IOMMU_TEST_CMD dispatch, ADD_RESERVED, SET_TEMP_MEMORY_LIMIT            */
/* ---------------------------------------------------------------------- */

CONF_TEST(mock_cmd_unknown_op_eopnotsupp)
{
	static const uint32_t ops[] = { 0, IOMMU_TEST_OP_TRIGGER_IOPF + 1,
					0x80000000, 0xffffffff };
	int fd = conf_open();
	unsigned int i;

	for (i = 0; i != sizeof(ops) / sizeof(ops[0]); i++) {
		struct iommu_test_cmd cmd = { .op = ops[i] };

		conf_note("op %u", ops[i]);
		EXPECT_ERRNO(EOPNOTSUPP, conf_test_cmd(fd, &cmd));
	}
}

CONF_TEST(mock_cmd_size_checked)
{
	int fd = conf_open();
	struct {
		struct iommu_test_cmd cmd;
		uint64_t tail;
	} big = {
		.cmd = {
			.size = sizeof(big),
			.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
			.memory_limit = { .limit = 65536 },
		},
	};
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = 65536 },
	};

	/* The struct must reach the end of its last member... */
	cmd.size = offsetof(struct iommu_test_cmd, last);
	EXPECT_ERRNO(EINVAL, ioctl(fd, IOMMU_TEST_CMD, &cmd));
	cmd.size = offsetof(struct iommu_test_cmd, last) + 3;
	EXPECT_ERRNO(EINVAL, ioctl(fd, IOMMU_TEST_CMD, &cmd));
	/* ...but not the tail padding. */
	cmd.size = offsetof(struct iommu_test_cmd, last) + 4;
	EXPECT_OK(ioctl(fd, IOMMU_TEST_CMD, &cmd));
	cmd.size = sizeof(cmd) - 1;
	EXPECT_OK(ioctl(fd, IOMMU_TEST_CMD, &cmd));
	/* A longer struct must be zero beyond what the kernel knows. */
	big.tail = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, IOMMU_TEST_CMD, &big));
	big.tail = 0;
	EXPECT_OK(ioctl(fd, IOMMU_TEST_CMD, &big));
}

CONF_TEST(mock_add_reserved_splits_ranges)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t ioas = ioas_alloc(fd);
	uint64_t iova = 0x10000;

	EXPECT_OK(add_reserved(fd, ioas, 0x10000, 0x1000));
	EXPECT_RANGES(fd, ioas, 1, { 0, 0xffff }, { 0x11000, UINT64_MAX });
	/* Reservations may overlap each other. */
	EXPECT_OK(add_reserved(fd, ioas, 0x10800, 0x1000));
	EXPECT_OK(add_reserved(fd, ioas, 0x10000, 0x1000));
	EXPECT_RANGES(fd, ioas, 1, { 0, 0xffff }, { 0x11800, UINT64_MAX });
	/* A fixed map may not touch a reserved byte. */
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, ioas, MAP_FIXED_RW, va, PAGE_SZ, &iova));
	iova = 0xf000;
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, ioas, MAP_FIXED_RW, va, 2 * PAGE_SZ, &iova));
	iova = 0x11000;
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, ioas, MAP_FIXED_RW, va, PAGE_SZ, &iova));
	map_fixed(fd, ioas, va, PAGE_SZ, 0xf000);
	map_fixed(fd, ioas, va, PAGE_SZ, 0x12000);
}

CONF_TEST(mock_add_reserved_errors)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t ioas = ioas_alloc(fd);
	struct iommu_iova_range allow = { 0x100000, 0x1fffff };
	struct conf_mock_dev dev = mock_domain(fd, ioas_alloc(fd));

	EXPECT_ERRNO(EINVAL, add_reserved(fd, ioas, 0x1000, 0));
	/* The length is checked before the ID. */
	EXPECT_ERRNO(EINVAL, add_reserved(fd, 99, 0x1000, 0));
	EXPECT_ERRNO(EOVERFLOW, add_reserved(fd, ioas, UINT64_MAX, 2));
	EXPECT_ERRNO(EOVERFLOW, add_reserved(fd, ioas, 2, UINT64_MAX));
	EXPECT_ERRNO(ENOENT, add_reserved(fd, 99, 0x1000, 0x1000));
	EXPECT_ERRNO(ENOENT, add_reserved(fd, 0, 0x1000, 0x1000));
	EXPECT_ERRNO(ENOENT, add_reserved(fd, dev.stdev_id, 0x1000, 0x1000));
	EXPECT_ERRNO(ENOENT, add_reserved(fd, dev.idev_id, 0x1000, 0x1000));
	EXPECT_ERRNO(ENOENT, add_reserved(fd, dev.hwpt_id, 0x1000, 0x1000));
	/* Nothing mapped or allowed may be reserved. */
	map_fixed(fd, ioas, va, PAGE_SZ, 0x4000);
	EXPECT_ERRNO(EADDRINUSE, add_reserved(fd, ioas, 0x4fff, 1));
	EXPECT_ERRNO(EADDRINUSE, add_reserved(fd, ioas, 0, 0x4001));
	EXPECT_OK(add_reserved(fd, ioas, 0x5000, 0x1000));
	EXPECT_OK(conf_allow(fd, ioas, &allow, 1));
	EXPECT_ERRNO(EADDRINUSE, add_reserved(fd, ioas, 0x1ff000, 0x2000));
	EXPECT_OK(add_reserved(fd, ioas, 0x200000, 0x1000));
	EXPECT_RANGES(fd, ioas, 1, { 0, 0x4fff }, { 0x6000, 0x1fffff },
		      { 0x201000, UINT64_MAX });
}

CONF_TEST(mock_add_reserved_whole_aperture_enospc)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t ioas = ioas_alloc(fd);
	struct iommu_ioas_iova_ranges r = {
		.size = sizeof(r),
		.ioas_id = ioas,
	};
	uint64_t iova = AP_START;

	mock_domain(fd, ioas);
	EXPECT_OK(add_reserved(fd, ioas, AP_START, AP_LAST - AP_START + 1));
	/* No usable IOVA is left: zero ranges, and nothing can be mapped. */
	EXPECT_OK(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &r));
	EXPECT_EQ(r.num_iovas, 0);
	EXPECT_EQ(r.out_iova_alignment, MOCK_PAGE);
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, ioas, MAP_FIXED_RW, va, PAGE_SZ, &iova));
	EXPECT_ERRNO(ENOSPC, conf_map(fd, ioas, MAP_RW, va, PAGE_SZ, &iova));
}

CONF_TEST(mock_temp_memory_limit)
{
	int fd = conf_open();
	uint8_t *va = touched(16 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	/* The limit must hold at least one batch element. */
	EXPECT_ERRNO(EINVAL, memory_limit(fd, 0));
	EXPECT_ERRNO(EINVAL, memory_limit(fd, 11));
	EXPECT_OK(memory_limit(fd, 12));
	/* Tiny batches still map, check and unmap correctly. */
	EXPECT_OK(memory_limit(fd, 32));
	map_fixed(fd, ioas, va, 16 * PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, 16 * PAGE_SZ, va));
	EXPECT_OK(conf_check_refs(fd, va, 16 * PAGE_SZ, 1));
	EXPECT_EQ(unmap(fd, ioas, AP_START, 16 * PAGE_SZ), 16 * PAGE_SZ);
	EXPECT_OK(conf_check_refs(fd, va, 16 * PAGE_SZ, 0));
	EXPECT_OK(memory_limit(fd, 65536));
}

/* ---------------------------------------------------------------------- */
/* MOCK_DOMAIN: objects and IDs                                            */
/* ---------------------------------------------------------------------- */

CONF_TEST(mock_domain_ids)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev a = mock_domain(fd, ioas);
	struct conf_mock_dev b = mock_domain(fd, ioas);

	/* stdev, idev, then the automatic HWPT, in ID order. */
	EXPECT_EQ(a.stdev_id, 2);
	EXPECT_EQ(a.idev_id, 3);
	EXPECT_EQ(a.hwpt_id, 4);
	/* The second device reuses the IOAS's automatic domain. */
	EXPECT_EQ(b.stdev_id, 5);
	EXPECT_EQ(b.idev_id, 6);
	EXPECT_EQ(b.hwpt_id, 4);
	EXPECT_EQ(ioas_alloc(fd), 7);
}

CONF_TEST(mock_domain_flags_op)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev a = {}, b = {};

	/* MOCK_DOMAIN_FLAGS with no flag is a plain mock device. */
	EXPECT_OK(conf_mock_domain(fd, true, ioas, 0, &a));
	EXPECT_EQ(a.stdev_id, 2);
	EXPECT_EQ(a.idev_id, 3);
	EXPECT_EQ(a.hwpt_id, 4);
	/* MOCK_DOMAIN ignores dev_flags, even unknown ones. */
	EXPECT_OK(conf_mock_domain(fd, false, ioas, 0x80000000, &b));
	EXPECT_EQ(b.hwpt_id, 4);
}

CONF_TEST(mock_domain_flags_unknown_einval)
{
	static const uint32_t bad[] = { 1 << 2, 1U << 31, 0xffffffff,
					MOCK_FLAGS_DEVICE_NO_DIRTY | 1 << 3 };
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = {};
	unsigned int i;

	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		conf_note("dev_flags 0x%x", bad[i]);
		EXPECT_ERRNO(EINVAL,
			     conf_mock_domain(fd, true, ioas, bad[i], &dev));
	}
	conf_note("%s", "");
	/* No ID was consumed. */
	EXPECT_EQ(ioas_alloc(fd), 2);
	EXPECT_OK(conf_destroy(fd, ioas));
}

CONF_TEST(mock_domain_devices_with_flags_share_domain)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	uint32_t ioas2 = ioas_alloc(fd);
	struct conf_mock_dev plain = mock_domain(fd, ioas);
	struct conf_mock_dev nodirty =
		mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY);
	struct conf_mock_dev huge =
		mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA);
	struct conf_mock_dev huge2, plain2;

	/* An automatic domain suits any mock device. */
	EXPECT_EQ(nodirty.hwpt_id, plain.hwpt_id);
	EXPECT_EQ(huge.hwpt_id, plain.hwpt_id);
	/* Also when the first device was a huge-IOVA one. */
	huge2 = mock_domain_flags(fd, ioas2,
				  MOCK_FLAGS_DEVICE_HUGE_IOVA |
					  MOCK_FLAGS_DEVICE_NO_DIRTY);
	plain2 = mock_domain(fd, ioas2);
	EXPECT_EQ(plain2.hwpt_id, huge2.hwpt_id);
	CHECK(huge2.hwpt_id != plain.hwpt_id);
	EXPECT_RANGES(fd, ioas2, MOCK_PAGE, aperture);
}

CONF_TEST(mock_domain_bad_pt_id)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	EXPECT_ERRNO(ENOENT, conf_mock_domain(fd, false, 0, 0, NULL));
	EXPECT_ERRNO(ENOENT, conf_mock_domain(fd, false, 99, 0, NULL));
	EXPECT_ERRNO(ENOENT, conf_mock_domain(fd, true, 99, 0, NULL));
	/* An object that is neither an IOAS nor a HWPT. */
	EXPECT_ERRNO(EINVAL,
		     conf_mock_domain(fd, false, dev.stdev_id, 0, NULL));
	EXPECT_ERRNO(EINVAL, conf_mock_domain(fd, false, dev.idev_id, 0, NULL));
	/* The failures consumed no ID. */
	EXPECT_EQ(ioas_alloc(fd), 5);
}

CONF_TEST(mock_domain_on_hwpt)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev a = mock_domain(fd, ioas);
	struct conf_mock_dev b = mock_domain(fd, a.hwpt_id);

	/* Attached straight to the HWPT: no new object besides the device. */
	EXPECT_EQ(b.hwpt_id, a.hwpt_id);
	EXPECT_EQ(b.stdev_id, 5);
	EXPECT_EQ(b.idev_id, 6);
	EXPECT_EQ(ioas_alloc(fd), 7);
}

CONF_TEST(mock_domain_readonly_cmd_efault)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct iommu_test_cmd *cmd = conf_mem(PAGE_SZ, 0);

	cmd->size = sizeof(*cmd);
	cmd->op = IOMMU_TEST_OP_MOCK_DOMAIN;
	cmd->id = ioas;
	conf_readonly(cmd, sizeof(*cmd));
	/* The answer cannot be written back: everything is undone. */
	EXPECT_ERRNO(EFAULT, ioctl(fd, IOMMU_TEST_CMD, cmd));
	EXPECT_RANGES(fd, ioas, 1, whole_space);
	EXPECT_EQ(ioas_alloc(fd), 2);
	EXPECT_OK(conf_destroy(fd, ioas));
}

/* ---------------------------------------------------------------------- */
/* IOMMU_DESTROY ordering                                                  */
/* ---------------------------------------------------------------------- */

CONF_TEST(mock_destroy_ioas_with_device_ebusy)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	EXPECT_ERRNO(EBUSY, conf_destroy(fd, ioas));
	EXPECT_OK(conf_destroy(fd, dev.stdev_id));
	EXPECT_OK(conf_destroy(fd, ioas));
}

CONF_TEST(mock_destroy_device_ebusy)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint32_t pt = 0;

	/* The device belongs to the selftest object. */
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, dev.idev_id));
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, dev.idev_id));
	/* ... and still works. */
	EXPECT_OK(conf_mock_replace(fd, dev.stdev_id, ioas, &pt));
	EXPECT_EQ(pt, dev.hwpt_id);
	EXPECT_OK(conf_destroy(fd, dev.stdev_id));
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, dev.idev_id));
}

CONF_TEST(mock_destroy_attached_hwpt_ebusy)
{
	int fd = conf_open();
	uint8_t *va = touched(PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	map_fixed(fd, ioas, va, PAGE_SZ, AP_START);
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, dev.hwpt_id));
	/* The domain is intact. */
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ, va));
}

CONF_TEST(mock_destroy_stdev_tears_down)
{
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	map_fixed(fd, ioas, va, 2 * PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 1));
	EXPECT_OK(conf_destroy(fd, dev.stdev_id));
	/* The device and the automatic domain went with it. */
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, dev.idev_id));
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, dev.hwpt_id));
	EXPECT_ERRNO(ENOENT,
		     conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ, va));
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, dev.stdev_id));
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 0));
	EXPECT_RANGES(fd, ioas, 1, whole_space);
	/* The mapping stays in the IOAS; the IDs are free again. */
	EXPECT_MAPPED(fd, ioas, va, AP_START, 2 * PAGE_SZ);
	EXPECT_EQ(ioas_alloc(fd), dev.stdev_id);
	EXPECT_EQ(ioas_alloc(fd), dev.idev_id);
	EXPECT_EQ(ioas_alloc(fd), dev.hwpt_id);
	EXPECT_OK(conf_destroy(fd, ioas));
}

CONF_TEST(mock_destroy_shared_hwpt_outlives_first_device)
{
	int fd = conf_open();
	uint8_t *va = touched(PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev a = mock_domain(fd, ioas);
	struct conf_mock_dev b = mock_domain(fd, ioas);

	map_fixed(fd, ioas, va, PAGE_SZ, AP_START);
	EXPECT_OK(conf_destroy(fd, a.stdev_id));
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, a.hwpt_id));
	EXPECT_OK(conf_check_map(fd, b.hwpt_id, AP_START, PAGE_SZ, va));
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 1));
	EXPECT_OK(conf_destroy(fd, b.stdev_id));
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, b.hwpt_id));
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 0));
}

CONF_TEST(mock_destroy_stdev_keeps_allocated_hwpt)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint32_t hwpt = 0, pt = 0;

	EXPECT_OK(conf_hwpt_alloc(fd, dev.idev_id, ioas, 0, &hwpt));
	EXPECT_EQ(hwpt, 5);
	EXPECT_OK(conf_mock_replace(fd, dev.stdev_id, hwpt, &pt));
	EXPECT_EQ(pt, hwpt);
	/* The automatic domain went when its last device left. */
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, dev.hwpt_id));
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, hwpt));
	EXPECT_OK(conf_destroy(fd, dev.stdev_id));
	/* A HWPT the user allocated stays until the user destroys it. */
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, ioas));
	EXPECT_RANGES(fd, ioas, MOCK_PAGE, aperture);
	EXPECT_OK(conf_destroy(fd, hwpt));
	EXPECT_RANGES(fd, ioas, 1, whole_space);
	EXPECT_OK(conf_destroy(fd, ioas));
}

CONF_TEST(mock_close_releases_everything)
{
	int probe = conf_open();
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint32_t hwpt = 0;

	EXPECT_OK(conf_hwpt_alloc(fd, dev.idev_id, ioas, 0, &hwpt));
	mock_domain(fd, hwpt);
	map_fixed(fd, ioas, va, 2 * PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_refs(probe, va, 2 * PAGE_SZ, 1));
	conf_forget_fd(fd);
	EXPECT_OK(close(fd));
	EXPECT_OK(conf_check_refs(probe, va, 2 * PAGE_SZ, 0));
	fd = conf_open();
	EXPECT_EQ(ioas_alloc(fd), 1);
	EXPECT_EQ(mock_domain(fd, 1).stdev_id, 2);
}

/* ---------------------------------------------------------------------- */
/* The domain's effect on the IOAS                                         */
/* ---------------------------------------------------------------------- */

CONF_TEST(mock_ranges_aperture)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev a, b;

	EXPECT_RANGES(fd, ioas, 1, whole_space);
	a = mock_domain(fd, ioas);
	EXPECT_RANGES(fd, ioas, MOCK_PAGE, aperture);
	b = mock_domain(fd, ioas);
	EXPECT_RANGES(fd, ioas, MOCK_PAGE, aperture);
	EXPECT_OK(conf_destroy(fd, a.stdev_id));
	EXPECT_RANGES(fd, ioas, MOCK_PAGE, aperture);
	EXPECT_OK(conf_destroy(fd, b.stdev_id));
	EXPECT_RANGES(fd, ioas, 1, whole_space);
}

CONF_TEST(mock_ranges_reserved_inside_aperture)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev;

	EXPECT_OK(add_reserved(fd, ioas, AP_START + 0x100000, 0x1000));
	dev = mock_domain(fd, ioas);
	EXPECT_RANGES(fd, ioas, MOCK_PAGE, { AP_START, AP_START + 0xfffff },
		      { AP_START + 0x101000, AP_LAST });
	/* Reservations outside the aperture change nothing visible. */
	EXPECT_OK(add_reserved(fd, ioas, 0x1000, 0x1000));
	EXPECT_OK(add_reserved(fd, ioas, AP_START - 0x1000, 0x1000));
	EXPECT_RANGES(fd, ioas, MOCK_PAGE, { AP_START, AP_START + 0xfffff },
		      { AP_START + 0x101000, AP_LAST });
	/* The test reservations outlive the domain. */
	EXPECT_OK(conf_destroy(fd, dev.stdev_id));
	EXPECT_RANGES(fd, ioas, 1, { 0, 0xfff }, { 0x2000, AP_START - 0x1001 },
		      { AP_START, AP_START + 0xfffff },
		      { AP_START + 0x101000, UINT64_MAX });
}

CONF_TEST(mock_map_outside_aperture_einval)
{
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	uint64_t iova;

	mock_domain(fd, ioas);
	iova = 0x1000;
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, ioas, MAP_FIXED_RW, va, PAGE_SZ, &iova));
	iova = AP_START - PAGE_SZ;
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, ioas, MAP_FIXED_RW, va, 2 * PAGE_SZ, &iova));
	iova = AP_LAST + 1;
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, ioas, MAP_FIXED_RW, va, PAGE_SZ, &iova));
	iova = AP_LAST + 1 - PAGE_SZ;
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, ioas, MAP_FIXED_RW, va, 2 * PAGE_SZ, &iova));
	/* The first and the last page of the aperture are usable. */
	map_fixed(fd, ioas, va, PAGE_SZ, AP_START);
	map_fixed(fd, ioas, va, PAGE_SZ, AP_LAST + 1 - PAGE_SZ);
	/* Automatic placement stays inside the aperture. */
	iova = map_auto(fd, ioas, va, 2 * PAGE_SZ);
	CHECK(iova >= AP_START && iova + 2 * PAGE_SZ - 1 <= AP_LAST);
}

CONF_TEST(mock_map_io_page_alignment)
{
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint64_t iova;

	/* Half pages are fine: the IO page is 2 KiB. */
	map_fixed(fd, ioas, va + MOCK_PAGE, MOCK_PAGE, AP_START + MOCK_PAGE);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START + MOCK_PAGE,
				 MOCK_PAGE, va + MOCK_PAGE));
	map_fixed(fd, ioas, va, 3 * MOCK_PAGE, AP_START + 0x10000);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START + 0x10000,
				 3 * MOCK_PAGE, va));
	/* Less than that is not. */
	iova = AP_START + 0x20400;
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, ioas, MAP_FIXED_RW, va, MOCK_PAGE, &iova));
	iova = AP_START + 0x30000;
	EXPECT_ERRNO(EINVAL, conf_map(fd, ioas, MAP_FIXED_RW, va, 1024, &iova));
	EXPECT_ERRNO(EINVAL, conf_map(fd, ioas, MAP_FIXED_RW, va,
				      MOCK_PAGE + 1024, &iova));
	EXPECT_ERRNO(EINVAL, conf_map(fd, ioas, MAP_FIXED_RW, va + 1024,
				      MOCK_PAGE, &iova));
	iova = 0;
	EXPECT_ERRNO(EINVAL,
		     conf_map(fd, ioas, MAP_RW, va + 1024, MOCK_PAGE, &iova));
	/* Automatic placement keeps the offset within the CPU page. */
	iova = map_auto(fd, ioas, va + MOCK_PAGE, MOCK_PAGE);
	EXPECT_EQ(iova % PAGE_SZ, MOCK_PAGE);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, iova, MOCK_PAGE,
				 va + MOCK_PAGE));
}

CONF_TEST(mock_attach_conflicting_mapping_eaddrinuse)
{
	static const struct {
		uint64_t iova, len;
	} bad[] = {
		{ 0x1000, PAGE_SZ },
		{ AP_START - PAGE_SZ, 2 * PAGE_SZ },
		{ AP_LAST + 1, PAGE_SZ },
		{ AP_LAST + 1 - PAGE_SZ, 2 * PAGE_SZ },
	};
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev;
	unsigned int i;

	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		conf_note("mapping [0x%llx, +0x%llx)",
			  (unsigned long long)bad[i].iova,
			  (unsigned long long)bad[i].len);
		map_fixed(fd, ioas, va, bad[i].len, bad[i].iova);
		EXPECT_ERRNO(EADDRINUSE,
			     conf_mock_domain(fd, false, ioas, 0, NULL));
		EXPECT_RANGES(fd, ioas, 1, whole_space);
		EXPECT_EQ(unmap(fd, ioas, bad[i].iova, bad[i].len), bad[i].len);
	}
	/* Nothing was left behind by the failures. */
	dev = mock_domain(fd, ioas);
	EXPECT_EQ(dev.stdev_id, 2);
	EXPECT_EQ(dev.idev_id, 3);
	EXPECT_EQ(dev.hwpt_id, 4);
}

CONF_TEST(mock_attach_unaligned_mapping_eaddrinuse)
{
	int fd = conf_open();
	uint8_t *va = touched(PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);

	/* Without a domain any byte alignment goes... */
	map_fixed(fd, ioas, va + 1024, 1024, AP_START + 1024);
	/* ...but not below the domain's IO page. */
	EXPECT_ERRNO(EADDRINUSE, conf_mock_domain(fd, false, ioas, 0, NULL));
	EXPECT_EQ(unmap(fd, ioas, 0, UINT64_MAX), 1024);
	map_fixed(fd, ioas, va + MOCK_PAGE, MOCK_PAGE, AP_START + MOCK_PAGE);
	mock_domain(fd, ioas);
}

CONF_TEST(mock_attach_allowed_iovas)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct iommu_iova_range low = { 0x1000, 0x1fff };
	struct iommu_iova_range inside = { AP_START, AP_START + 0xffff };
	struct iommu_iova_range across = { AP_START - 0x1000,
					   AP_START + 0xfff };
	struct iommu_iova_range all = { AP_START, AP_LAST };

	/* Allowed ranges outside the aperture block the attach. */
	EXPECT_OK(conf_allow(fd, ioas, &low, 1));
	EXPECT_ERRNO(EADDRINUSE, conf_mock_domain(fd, false, ioas, 0, NULL));
	EXPECT_OK(conf_allow(fd, ioas, &across, 1));
	EXPECT_ERRNO(EADDRINUSE, conf_mock_domain(fd, false, ioas, 0, NULL));
	EXPECT_OK(conf_allow(fd, ioas, &inside, 1));
	mock_domain(fd, ioas);
	/* And cannot be set while the domain is there. */
	EXPECT_ERRNO(EADDRINUSE, conf_allow(fd, ioas, &low, 1));
	EXPECT_ERRNO(EADDRINUSE, conf_allow(fd, ioas, &across, 1));
	EXPECT_OK(conf_allow(fd, ioas, &all, 1));
	EXPECT_OK(conf_allow(fd, ioas, NULL, 0));
}

CONF_TEST(mock_option_huge_pages_with_domain)
{
	int fd = conf_open();
	uint8_t *va = touched(PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	uint64_t val = 0;

	mock_domain(fd, ioas);
	/* Without mappings, huge pages may be turned off: 4 KiB alignment. */
	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			      ioas, &val));
	EXPECT_RANGES(fd, ioas, PAGE_SZ, aperture);
	val = 1;
	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			      ioas, &val));
	EXPECT_RANGES(fd, ioas, MOCK_PAGE, aperture);
	/* With a domain holding mappings, not any more. */
	map_fixed(fd, ioas, va, PAGE_SZ, AP_START);
	val = 0;
	EXPECT_ERRNO(EINVAL, conf_option(fd, IOMMU_OPTION_HUGE_PAGES,
					 IOMMU_OPTION_OP_SET, ioas, &val));
	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET,
			      ioas, &val));
	EXPECT_EQ(val, 1);
}

CONF_TEST(mock_option_huge_pages_off_before_attach)
{
	int fd = conf_open();
	uint8_t *va = touched(PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev;
	uint64_t val = 0, iova;

	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			      ioas, &val));
	dev = mock_domain(fd, ioas);
	/* Whole CPU pages now, whatever the domain's IO page. */
	EXPECT_RANGES(fd, ioas, PAGE_SZ, aperture);
	iova = AP_START + MOCK_PAGE;
	EXPECT_ERRNO(EINVAL, conf_map(fd, ioas, MAP_FIXED_RW, va + MOCK_PAGE,
				      MOCK_PAGE, &iova));
	map_fixed(fd, ioas, va, PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ, va));
	EXPECT_OK(conf_destroy(fd, dev.stdev_id));
	EXPECT_RANGES(fd, ioas, PAGE_SZ, whole_space);
}

/* ---------------------------------------------------------------------- */
/* Pinning: EFAULT, CHECK_REFS                                             */
/* ---------------------------------------------------------------------- */

CONF_TEST(mock_map_missing_memory_efault)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t ioas = ioas_alloc(fd);
	uint32_t plain = ioas_alloc(fd);
	uint64_t iova = AP_START;

	mock_domain(fd, ioas);
	munmap(va + 2 * PAGE_SZ, 2 * PAGE_SZ);
	/* Without a domain nothing is pinned yet: the map is accepted. */
	map_fixed(fd, plain, va, 4 * PAGE_SZ, AP_START);
	/* With one, the missing half fails the whole map. */
	EXPECT_ERRNO(EFAULT,
		     conf_map(fd, ioas, MAP_FIXED_RW, va, 4 * PAGE_SZ, &iova));
	EXPECT_UNMAPPED(fd, ioas, va, AP_START, 2 * PAGE_SZ);
	munmap(va, 2 * PAGE_SZ);
	EXPECT_ERRNO(EFAULT,
		     conf_map(fd, ioas, MAP_FIXED_RW, va, 4 * PAGE_SZ, &iova));
	iova = 0;
	EXPECT_ERRNO(EFAULT, conf_map(fd, ioas, MAP_RW, va, PAGE_SZ, &iova));
	EXPECT_EQ(unmap(fd, ioas, 0, UINT64_MAX), 0);
}

CONF_TEST(mock_attach_missing_memory_efault)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(2 * PAGE_SZ, 0);
	uint32_t ioas = ioas_alloc(fd);

	map_fixed(fd, ioas, va, 2 * PAGE_SZ, AP_START);
	munmap(va + PAGE_SZ, PAGE_SZ);
	/* Filling the new domain pins the mapping, which fails. */
	EXPECT_ERRNO(EFAULT, conf_mock_domain(fd, false, ioas, 0, NULL));
	EXPECT_RANGES(fd, ioas, 1, whole_space);
	EXPECT_EQ(ioas_alloc(fd), 2);
}

CONF_TEST(mock_refs_follow_map_and_unmap)
{
	int fd = conf_open();
	uint8_t *va = touched(4 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);

	mock_domain(fd, ioas);
	EXPECT_OK(conf_check_refs(fd, va, 4 * PAGE_SZ, 0));
	map_fixed(fd, ioas, va + PAGE_SZ, 2 * PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 0));
	EXPECT_OK(conf_check_refs(fd, va + PAGE_SZ, 2 * PAGE_SZ, 1));
	EXPECT_OK(conf_check_refs(fd, va + 3 * PAGE_SZ, PAGE_SZ, 0));
	EXPECT_ERRNO(EIO, conf_check_refs(fd, va, 4 * PAGE_SZ, 1));
	EXPECT_ERRNO(EIO, conf_check_refs(fd, va + PAGE_SZ, PAGE_SZ, 2));
	/* A second mapping of the same memory is a second pin. */
	map_fixed(fd, ioas, va + PAGE_SZ, PAGE_SZ, AP_START + 0x10000);
	EXPECT_OK(conf_check_refs(fd, va + PAGE_SZ, PAGE_SZ, 2));
	EXPECT_OK(conf_check_refs(fd, va + 2 * PAGE_SZ, PAGE_SZ, 1));
	EXPECT_EQ(unmap(fd, ioas, AP_START, 2 * PAGE_SZ), 2 * PAGE_SZ);
	EXPECT_OK(conf_check_refs(fd, va + PAGE_SZ, PAGE_SZ, 1));
	EXPECT_OK(conf_check_refs(fd, va + 2 * PAGE_SZ, PAGE_SZ, 0));
	EXPECT_EQ(unmap(fd, ioas, 0, UINT64_MAX), PAGE_SZ);
	EXPECT_OK(conf_check_refs(fd, va, 4 * PAGE_SZ, 0));
}

CONF_TEST(mock_refs_follow_attach_and_detach)
{
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev a, b;
	uint32_t hwpt = 0;

	map_fixed(fd, ioas, va, 2 * PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 0));
	a = mock_domain(fd, ioas);
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 1));
	/* More domains on the same IOAS share the one pin. */
	EXPECT_OK(conf_hwpt_alloc(fd, a.idev_id, ioas, 0, &hwpt));
	b = mock_domain(fd, hwpt);
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 1));
	EXPECT_OK(conf_destroy(fd, a.stdev_id));
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 1));
	EXPECT_OK(conf_destroy(fd, b.stdev_id));
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 1));
	EXPECT_OK(conf_destroy(fd, hwpt));
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 0));
}

CONF_TEST(mock_refs_copy_shares_pin)
{
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t src = ioas_alloc(fd);
	uint32_t dst = ioas_alloc(fd);
	uint64_t iova = AP_START + 0x100000;

	mock_domain(fd, src);
	mock_domain(fd, dst);
	map_fixed(fd, src, va, 2 * PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 1));
	/* A copy uses the pages already pinned for the source. */
	EXPECT_OK(conf_copy(fd, dst, src, MAP_FIXED_RW, AP_START, 2 * PAGE_SZ,
			    &iova));
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 1));
	/* A separate MAP of the same memory pins it again. */
	map_fixed(fd, dst, va, PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 2));
	EXPECT_OK(conf_check_refs(fd, va + PAGE_SZ, PAGE_SZ, 1));
	/* The copy keeps the source's pages once the source is unmapped. */
	EXPECT_EQ(unmap(fd, src, 0, UINT64_MAX), 2 * PAGE_SZ);
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 2));
	EXPECT_OK(conf_check_refs(fd, va + PAGE_SZ, PAGE_SZ, 1));
	EXPECT_EQ(unmap(fd, dst, 0, UINT64_MAX), 3 * PAGE_SZ);
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 0));
}

CONF_TEST(mock_refs_errors)
{
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint8_t *gone = conf_guarded(0); /* a PROT_NONE page */

	EXPECT_ERRNO(EINVAL, conf_check_refs(fd, va + 1, PAGE_SZ, 0));
	EXPECT_ERRNO(EINVAL, conf_check_refs(fd, va + MOCK_PAGE, PAGE_SZ, 0));
	EXPECT_ERRNO(EINVAL, conf_check_refs(fd, va, PAGE_SZ + 1, 0));
	EXPECT_ERRNO(EINVAL, conf_check_refs(fd, va, MOCK_PAGE, 0));
	EXPECT_ERRNO(EINVAL, conf_check_refs(fd, (void *)(uintptr_t)-PAGE_SZ,
					     2 * PAGE_SZ, 0));
	EXPECT_ERRNO(EFAULT, conf_check_refs(fd, gone, PAGE_SZ, 0));
	/* Length 0 checks nothing. */
	EXPECT_OK(conf_check_refs(fd, gone, 0, 7));
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 0));
}

CONF_TEST(mock_map_readonly_memory)
{
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	uint32_t plain = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint64_t iova = AP_START;

	conf_readonly(va, 2 * PAGE_SZ);
	/* Without a domain the protection is not looked at yet. */
	map_fixed(fd, plain, va, 2 * PAGE_SZ, AP_START);
	/* With one, a writeable mapping cannot pin read-only memory. */
	EXPECT_ERRNO(EFAULT,
		     conf_map(fd, ioas, MAP_FIXED_RW, va, 2 * PAGE_SZ, &iova));
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 0));
	EXPECT_OK(conf_map(fd, ioas,
			   IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA,
			   va, 2 * PAGE_SZ, &iova));
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, 2 * PAGE_SZ, va));
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 1));
	/* Nor can the writeable mapping join a domain later. */
	EXPECT_ERRNO(EFAULT, conf_mock_replace(fd, dev.stdev_id, plain, NULL));
	EXPECT_ERRNO(EFAULT, conf_hwpt_alloc(fd, dev.idev_id, plain, 0, NULL));
}

CONF_TEST(mock_copy_missing_memory_efault)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(2 * PAGE_SZ, 0);
	uint32_t src = ioas_alloc(fd);
	uint32_t dst = ioas_alloc(fd);
	uint64_t iova = AP_START;

	mock_domain(fd, dst);
	map_fixed(fd, src, va, 2 * PAGE_SZ, 0x100000);
	munmap(va + PAGE_SZ, PAGE_SZ);
	/* Copying into a domain pins, and the second page is gone. */
	EXPECT_ERRNO(EFAULT, conf_copy(fd, dst, src, MAP_FIXED_RW, 0x100000,
				       2 * PAGE_SZ, &iova));
	EXPECT_EQ(unmap(fd, dst, 0, UINT64_MAX), 0);
	memset(va, 1, PAGE_SZ);
	EXPECT_OK(conf_copy(fd, dst, src, MAP_FIXED_RW, 0x100000, PAGE_SZ,
			    &iova));
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 1));
}

CONF_TEST(mock_pins_hold_pages_not_addresses)
{
	int fd;

	if (conf_under_uiommufd())
		SKIP("uiommufd pins addresses, not pages (README: pinned pages "
		     "do not outlive munmap)");
	fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	map_fixed(fd, ioas, va, 2 * PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, 2 * PAGE_SZ, va));
	/* New memory at the second page's address: the domain keeps the old. */
	CHECK(mmap(va + PAGE_SZ, PAGE_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		   0) == va + PAGE_SZ);
	memset(va + PAGE_SZ, 0x77, PAGE_SZ);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ, va));
	EXPECT_ERRNO(EINVAL, conf_check_map(fd, dev.hwpt_id, AP_START + PAGE_SZ,
					    PAGE_SZ, va + PAGE_SZ));
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 1));
	EXPECT_OK(conf_check_refs(fd, va + PAGE_SZ, PAGE_SZ, 0));
}

/* ---------------------------------------------------------------------- */
/* MD_CHECK_MAP                                                            */
/* ---------------------------------------------------------------------- */

CONF_TEST(mock_check_map_follows_mappings)
{
	int fd = conf_open();
	uint8_t *va = touched(8 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	map_fixed(fd, ioas, va, 4 * PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, 4 * PAGE_SZ, va));
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START + 3 * MOCK_PAGE,
				 MOCK_PAGE, va + 3 * MOCK_PAGE));
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, 0, va));
	/* Other memory does not match. */
	EXPECT_ERRNO(EINVAL, conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ,
					    va + PAGE_SZ));
	EXPECT_ERRNO(EINVAL, conf_check_map(fd, dev.hwpt_id, AP_START,
					    MOCK_PAGE, va + MOCK_PAGE));
	/* Nor does IOVA beyond the mapping. */
	EXPECT_ERRNO(EINVAL, conf_check_map(fd, dev.hwpt_id, AP_START,
					    4 * PAGE_SZ + MOCK_PAGE, va));
	EXPECT_EQ(unmap(fd, ioas, AP_START, 4 * PAGE_SZ), 4 * PAGE_SZ);
	EXPECT_ERRNO(EINVAL,
		     conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ, va));
	/* A new mapping at the same IOVA shows the new memory. */
	map_fixed(fd, ioas, va + PAGE_SZ, PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ,
				 va + PAGE_SZ));
}

CONF_TEST(mock_check_map_errors)
{
	int fd = conf_open();
	uint8_t *va = touched(PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	map_fixed(fd, ioas, va, PAGE_SZ, AP_START);
	/* Alignment is checked first, even before the ID. */
	EXPECT_ERRNO(EINVAL, conf_check_map(fd, dev.hwpt_id, AP_START + 1024,
					    MOCK_PAGE, va));
	EXPECT_ERRNO(EINVAL,
		     conf_check_map(fd, dev.hwpt_id, AP_START, 1024, va));
	EXPECT_ERRNO(EINVAL, conf_check_map(fd, dev.hwpt_id, AP_START,
					    MOCK_PAGE, va + 1024));
	EXPECT_ERRNO(EINVAL, conf_check_map(fd, 99, AP_START, 1024, va));
	EXPECT_ERRNO(EINVAL, conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ,
					    (void *)(uintptr_t)-MOCK_PAGE));
	/* Only a HWPT will do. */
	EXPECT_ERRNO(ENOENT, conf_check_map(fd, 0, AP_START, PAGE_SZ, va));
	EXPECT_ERRNO(ENOENT, conf_check_map(fd, 99, AP_START, PAGE_SZ, va));
	EXPECT_ERRNO(ENOENT, conf_check_map(fd, ioas, AP_START, PAGE_SZ, va));
	EXPECT_ERRNO(ENOENT,
		     conf_check_map(fd, dev.stdev_id, AP_START, PAGE_SZ, va));
	EXPECT_ERRNO(ENOENT,
		     conf_check_map(fd, dev.idev_id, AP_START, PAGE_SZ, va));
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ, va));
}

CONF_TEST(mock_check_map_every_domain)
{
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint32_t hwpt = 0;

	map_fixed(fd, ioas, va, PAGE_SZ, AP_START);
	/* A new domain is filled with what is already mapped... */
	EXPECT_OK(conf_hwpt_alloc(fd, dev.idev_id, ioas, 0, &hwpt));
	EXPECT_OK(conf_check_map(fd, hwpt, AP_START, PAGE_SZ, va));
	/* ...and later mappings reach every domain of the IOAS. */
	map_fixed(fd, ioas, va + PAGE_SZ, PAGE_SZ, AP_START + PAGE_SZ);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, 2 * PAGE_SZ, va));
	EXPECT_OK(conf_check_map(fd, hwpt, AP_START, 2 * PAGE_SZ, va));
	EXPECT_EQ(unmap(fd, ioas, AP_START, PAGE_SZ), PAGE_SZ);
	EXPECT_ERRNO(EINVAL, conf_check_map(fd, hwpt, AP_START, PAGE_SZ, va));
	EXPECT_ERRNO(EINVAL,
		     conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ, va));
}

CONF_TEST(mock_check_map_copy)
{
	int fd = conf_open();
	uint8_t *va = touched(4 * PAGE_SZ);
	uint32_t src = ioas_alloc(fd);
	uint32_t dst = ioas_alloc(fd);
	struct conf_mock_dev d = mock_domain(fd, dst);
	uint64_t iova = AP_START + 0x200000;

	/* The source has no domain at all. */
	map_fixed(fd, src, va, 4 * PAGE_SZ, 0x100000);
	EXPECT_OK(conf_copy(fd, dst, src, MAP_FIXED_RW, 0x100000 + PAGE_SZ,
			    2 * PAGE_SZ, &iova));
	EXPECT_OK(
		conf_check_map(fd, d.hwpt_id, iova, 2 * PAGE_SZ, va + PAGE_SZ));
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 0));
	EXPECT_OK(conf_check_refs(fd, va + PAGE_SZ, 2 * PAGE_SZ, 1));
	iova = 0;
	EXPECT_OK(conf_copy(fd, dst, src, MAP_RW, 0x100000, PAGE_SZ, &iova));
	CHECK(iova >= AP_START && iova <= AP_LAST);
	EXPECT_OK(conf_check_map(fd, d.hwpt_id, iova, PAGE_SZ, va));
	/* A copy to IOVA outside the aperture is refused. */
	iova = 0x1000;
	EXPECT_ERRNO(EINVAL, conf_copy(fd, dst, src, MAP_FIXED_RW, 0x100000,
				       PAGE_SZ, &iova));
}

/* ---------------------------------------------------------------------- */
/* MOCK_DOMAIN_REPLACE                                                     */
/* ---------------------------------------------------------------------- */

CONF_TEST(mock_replace_to_other_ioas)
{
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint32_t ioas2 = ioas_alloc(fd);
	uint32_t pt = 0;

	map_fixed(fd, ioas, va, PAGE_SZ, AP_START);
	map_fixed(fd, ioas2, va + PAGE_SZ, PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 1));
	EXPECT_OK(conf_check_refs(fd, va + PAGE_SZ, PAGE_SZ, 0));
	EXPECT_OK(conf_mock_replace(fd, dev.stdev_id, ioas2, &pt));
	EXPECT_EQ(pt, 6);
	/* The old automatic domain is gone, the new one holds the pins. */
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, dev.hwpt_id));
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 0));
	EXPECT_OK(conf_check_refs(fd, va + PAGE_SZ, PAGE_SZ, 1));
	EXPECT_OK(conf_check_map(fd, pt, AP_START, PAGE_SZ, va + PAGE_SZ));
	EXPECT_RANGES(fd, ioas, 1, whole_space);
	EXPECT_RANGES(fd, ioas2, MOCK_PAGE, aperture);
	EXPECT_OK(conf_destroy(fd, ioas));
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, ioas2));
	/* Back to the first ID's replacement: a fresh domain again. */
	ioas = ioas_alloc(fd);
	EXPECT_OK(conf_mock_replace(fd, dev.stdev_id, ioas, &pt));
	EXPECT_EQ(pt, 4);
	EXPECT_OK(conf_destroy(fd, ioas2));
}

CONF_TEST(mock_replace_same_target)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint32_t pt = 0;

	/* Replacing by what is attached changes nothing. */
	EXPECT_OK(conf_mock_replace(fd, dev.stdev_id, dev.hwpt_id, &pt));
	EXPECT_EQ(pt, dev.hwpt_id);
	pt = 0;
	EXPECT_OK(conf_mock_replace(fd, dev.stdev_id, ioas, &pt));
	EXPECT_EQ(pt, dev.hwpt_id);
	EXPECT_EQ(ioas_alloc(fd), 5);
}

CONF_TEST(mock_replace_hwpt_rotation)
{
	int fd = conf_open();
	uint8_t *va = touched(PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint32_t h0 = 0, h1 = 0, pt = 0;

	map_fixed(fd, ioas, va, PAGE_SZ, AP_START);
	EXPECT_OK(conf_hwpt_alloc(fd, dev.idev_id, ioas, 0, &h0));
	EXPECT_OK(conf_hwpt_alloc(fd, dev.idev_id, ioas,
				  IOMMU_HWPT_ALLOC_NEST_PARENT, &h1));
	EXPECT_OK(conf_mock_replace(fd, dev.stdev_id, h0, &pt));
	EXPECT_EQ(pt, h0);
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, dev.hwpt_id));
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, h0));
	EXPECT_OK(conf_mock_replace(fd, dev.stdev_id, h1, &pt));
	EXPECT_EQ(pt, h1);
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, h1));
	/* A HWPT the user allocated is not destroyed by leaving it. */
	EXPECT_OK(conf_check_map(fd, h0, AP_START, PAGE_SZ, va));
	/* Back to the IOAS: a new automatic domain, not h0 nor h1. */
	EXPECT_OK(conf_mock_replace(fd, dev.stdev_id, ioas, &pt));
	EXPECT_EQ(pt, dev.hwpt_id);
	EXPECT_OK(conf_check_map(fd, pt, AP_START, PAGE_SZ, va));
	EXPECT_OK(conf_destroy(fd, h1));
	EXPECT_OK(conf_destroy(fd, h0));
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 1));
}

CONF_TEST(mock_replace_errors)
{
	int fd = conf_open();
	uint8_t *va = touched(PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint32_t bad = ioas_alloc(fd);
	uint32_t pt = 0;

	EXPECT_ERRNO(ENOENT, conf_mock_replace(fd, 99, ioas, &pt));
	EXPECT_ERRNO(ENOENT, conf_mock_replace(fd, 0, ioas, &pt));
	/* Only the selftest object names the device here. */
	EXPECT_ERRNO(ENOENT, conf_mock_replace(fd, dev.idev_id, ioas, &pt));
	EXPECT_ERRNO(ENOENT, conf_mock_replace(fd, dev.hwpt_id, ioas, &pt));
	EXPECT_ERRNO(ENOENT, conf_mock_replace(fd, ioas, ioas, &pt));
	EXPECT_ERRNO(ENOENT, conf_mock_replace(fd, dev.stdev_id, 99, &pt));
	EXPECT_ERRNO(EINVAL,
		     conf_mock_replace(fd, dev.stdev_id, dev.idev_id, &pt));
	EXPECT_ERRNO(EINVAL,
		     conf_mock_replace(fd, dev.stdev_id, dev.stdev_id, &pt));
	/* A target IOAS with a mapping outside the aperture. */
	map_fixed(fd, bad, va, PAGE_SZ, 0x1000);
	EXPECT_ERRNO(EADDRINUSE, conf_mock_replace(fd, dev.stdev_id, bad, &pt));
	EXPECT_RANGES(fd, bad, 1, whole_space);
	/* The device is still on its domain; nothing else was created. */
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, dev.hwpt_id));
	EXPECT_EQ(ioas_alloc(fd), 6);
	EXPECT_OK(conf_destroy(fd, bad));
}

CONF_TEST(mock_replace_keeps_attached_on_failure)
{
	int fd = conf_open();
	uint8_t *va = touched(PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint32_t other = ioas_alloc(fd);
	uint32_t pt = 0;

	map_fixed(fd, ioas, va, PAGE_SZ, AP_START);
	map_fixed(fd, other, va, PAGE_SZ, 0x1000);
	EXPECT_ERRNO(EADDRINUSE,
		     conf_mock_replace(fd, dev.stdev_id, other, &pt));
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ, va));
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 1));
	EXPECT_EQ(unmap(fd, other, 0, UINT64_MAX), PAGE_SZ);
	EXPECT_OK(conf_mock_replace(fd, dev.stdev_id, other, &pt));
	EXPECT_EQ(pt, 6);
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 0));
}

/* ---------------------------------------------------------------------- */
/* Huge-IOVA devices                                                       */
/* ---------------------------------------------------------------------- */

CONF_TEST(mock_huge_iova_device)
{
	int fd = conf_open();
	uint8_t *va = touched(4 * PAGE_SZ);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev =
		mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA);

	/* The smallest IO page still sets the alignment. */
	EXPECT_RANGES(fd, ioas, MOCK_PAGE, aperture);
	map_fixed(fd, ioas, va + MOCK_PAGE, MOCK_PAGE, AP_START + MOCK_PAGE);
	map_fixed(fd, ioas, va, 4 * PAGE_SZ, AP_START + 0x100000);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START + MOCK_PAGE,
				 MOCK_PAGE, va + MOCK_PAGE));
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START + 0x100000,
				 4 * PAGE_SZ, va));
	/* Page 0 is pinned by both mappings. */
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 2));
	EXPECT_OK(conf_check_refs(fd, va + PAGE_SZ, 3 * PAGE_SZ, 1));
	EXPECT_EQ(unmap(fd, ioas, 0, UINT64_MAX), 4 * PAGE_SZ + MOCK_PAGE);
	EXPECT_OK(conf_check_refs(fd, va, 4 * PAGE_SZ, 0));
}

CONF_TEST(mock_huge_iova_large_mapping)
{
	size_t len = 4UL << 20;
	int fd = conf_open();
	uint8_t *va = conf_mem(len, 2UL << 20);
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev =
		mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA);
	uint64_t iova = AP_START + (1UL << 20);

	madvise(va, len, MADV_HUGEPAGE);
	memset(va, 0x33, len);
	/* Whatever page sizes the domain picks, the translation holds. */
	map_fixed(fd, ioas, va, len, iova);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, iova, len, va));
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, iova + len / 2 + MOCK_PAGE,
				 MOCK_PAGE, va + len / 2 + MOCK_PAGE));
	/* Unmapping from an IOAS cuts only at mapping boundaries. */
	EXPECT_EQ(unmap(fd, ioas, iova, len), len);
	EXPECT_ERRNO(EINVAL,
		     conf_check_map(fd, dev.hwpt_id, iova, MOCK_PAGE, va));
	/* A non-huge device joins the same automatic domain. */
	map_fixed(fd, ioas, va, len, iova);
	EXPECT_EQ(mock_domain(fd, ioas).hwpt_id, dev.hwpt_id);
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, iova, len, va));
}

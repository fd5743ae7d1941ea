/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: IOMMU_HWPT_ALLOC (paging HWPTs), IOMMU_GET_HW_INFO and dirty
 * tracking (IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP),
 * on the mock devices of IOMMU_TEST_CMD.
 *
 * A paging HWPT is allocated for a device on an IOAS without being attached:
 * its domain joins the IOAS at once (filled with the mappings, narrowing the
 * IOVA ranges) and holds the IOAS until destroyed. Errors are checked in a
 * fixed order: __reserved, the data type/length pair, the device, the
 * page-table object (EINVAL whatever is wrong with it), then the flags.
 * Dirty bits are set with IOMMU_TEST_OP_DIRTY and read back per IO page of
 * the mock domain (2 KiB). Errors met while walking the IOVA range or
 * writing the bitmap are not reported by Linux 6.12: the ioctl succeeds and
 * the bits concerned are simply not written.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "conformance.h"

#define MOCK_PAGE 2048UL
#define AP_START ((uint64_t)MOCK_APERTURE_START)
#define AP_LAST ((uint64_t)MOCK_APERTURE_LAST)

static uint32_t hwpt_alloc_at(const char *file, int line, int fd,
			      uint32_t dev_id, uint32_t pt_id, uint32_t flags)
{
	uint32_t id = 0;

	if (conf_hwpt_alloc(fd, dev_id, pt_id, flags, &id))
		conf_fail(file, line, "IOMMU_HWPT_ALLOC (flags 0x%x): %s",
			  flags, conf_errname(errno));
	return id;
}

/* A paging HWPT for @dev_id on @pt_id; fails the case on error. */
#define hwpt(fd, dev_id, pt_id, flags) \
	hwpt_alloc_at(__FILE__, __LINE__, fd, dev_id, pt_id, flags)

static int hw_info(int fd, uint32_t dev_id, void *data, uint32_t len,
		   struct iommu_hw_info *out)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};
	int rc = ioctl(fd, IOMMU_GET_HW_INFO, &cmd);

	if (out)
		*out = cmd;
	return rc;
}

static int set_dirty(int fd, uint32_t hwpt, uint32_t flags)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.hwpt_id = hwpt,
	};

	return ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

#define ENABLE IOMMU_HWPT_DIRTY_TRACKING_ENABLE

static int get_dirty(int fd, uint32_t hwpt, uint32_t flags, uint64_t iova,
		     uint64_t len, uint64_t page_size, void *data)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.flags = flags,
		.iova = iova,
		.length = len,
		.page_size = page_size,
		.data = (uintptr_t)data,
	};

	return ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

/*
 * IOMMU_TEST_OP_DIRTY: mark the IO pages of @hwpt whose bits are set in
 * @bits (one bit per @page_size from @iova) dirty; *@nr gets how many of
 * them were mapped.
 */
static int make_dirty(int fd, uint32_t hwpt, uint64_t iova, uint64_t len,
		      uint64_t page_size, const void *bits, uint64_t *nr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt,
		.dirty = { .iova = iova,
			   .length = len,
			   .page_size = page_size,
			   .uptr = (uintptr_t)bits },
	};
	int rc = conf_test_cmd(fd, &cmd);

	if (!rc && nr)
		*nr = cmd.dirty.out_nr_dirty;
	return rc;
}

static bool test_bit64(const uint64_t *map, unsigned int bit)
{
	return map[bit / 64] >> (bit % 64) & 1;
}

static void set_bit64(uint64_t *map, unsigned int bit)
{
	map[bit / 64] |= 1ULL << (bit % 64);
}

/* Exactly the bits @want (a sorted list, ended by -1) of @nbits are set. */
static void expect_bits_at(const char *file, int line, const uint64_t *map,
			   unsigned int nbits, const int *want)
{
	unsigned int i;

	for (i = 0; i != nbits; i++) {
		bool exp = *want == (int)i;

		if (exp)
			want++;
		if (test_bit64(map, i) != exp)
			conf_fail(file, line,
				  "bitmap bit %u is %d, expected %d", i, !exp,
				  exp);
	}
}

#define EXPECT_BITS(map, nbits, ...)                                   \
	do {                                                           \
		const int want_[] = { __VA_ARGS__, -1 };               \
		expect_bits_at(__FILE__, __LINE__, map, nbits, want_); \
	} while (0)

/*
 * Is the IOAS narrowed to the mock aperture with 2 KiB alignment (@yes), or
 * is it the whole space with byte alignment?
 */
static void expect_aperture_at(const char *file, int line, int fd,
			       uint32_t ioas, bool yes)
{
	struct iommu_iova_range r[4] = {};
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = 4,
		.allowed_iovas = (uintptr_t)r,
	};

	if (ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd))
		conf_fail(file, line, "IOMMU_IOAS_IOVA_RANGES: %s",
			  conf_errname(errno));
	conf_check_eq(file, line, "num_iovas", "1", cmd.num_iovas, 1);
	conf_check_eq(file, line, "start", yes ? "MOCK_APERTURE_START" : "0",
		      r[0].start, yes ? AP_START : 0);
	conf_check_eq(file, line, "last",
		      yes ? "MOCK_APERTURE_LAST" : "UINT64_MAX", r[0].last,
		      yes ? AP_LAST : UINT64_MAX);
	conf_check_eq(file, line, "out_iova_alignment", yes ? "2048" : "1",
		      cmd.out_iova_alignment, yes ? MOCK_PAGE : 1);
}

#define EXPECT_APERTURE(fd, ioas, yes) \
	expect_aperture_at(__FILE__, __LINE__, fd, ioas, yes)

/* ---------------------------------------------------------------------- */
/* IOMMU_HWPT_ALLOC                                                        */
/* ---------------------------------------------------------------------- */

CONF_TEST(hwpt_alloc_unattached_domain_joins_ioas)
{
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	struct conf_mock_dev dev = mock_domain(fd, ioas_alloc(fd));
	uint32_t ioas = ioas_alloc(fd);
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev.idev_id,
		.pt_id = ioas,
		.out_hwpt_id = 0xdeadbeef,
	};

	map_fixed(fd, ioas, va, 2 * PAGE_SZ, AP_START);
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 0));
	EXPECT_OK(ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	EXPECT_EQ(cmd.out_hwpt_id, 6);
	EXPECT_EQ(cmd.dev_id, dev.idev_id);
	EXPECT_EQ(cmd.pt_id, ioas);
	/* No device is attached, yet the domain is filled and pins. */
	EXPECT_OK(conf_check_map(fd, 6, AP_START, 2 * PAGE_SZ, va));
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 1));
	EXPECT_APERTURE(fd, ioas, true);
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, ioas));
	EXPECT_OK(conf_destroy(fd, 6));
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 0));
	EXPECT_APERTURE(fd, ioas, false);
	EXPECT_OK(conf_destroy(fd, ioas));
}

CONF_TEST(hwpt_alloc_flags)
{
	static const uint32_t good[] = {
		0,
		IOMMU_HWPT_ALLOC_NEST_PARENT,
		IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
	};
	static const uint32_t bad[] = {
		IOMMU_HWPT_FAULT_ID_VALID,
		IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID,
		1 << 3,
		1U << 31,
		~(uint32_t)IOMMU_HWPT_ALLOC_NEST_PARENT,
		0xffffffff,
	};
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	unsigned int i;

	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		conf_note("flags 0x%x", bad[i]);
		EXPECT_ERRNO(EOPNOTSUPP, conf_hwpt_alloc(fd, dev.idev_id, ioas,
							 bad[i], NULL));
	}
	for (i = 0; i != sizeof(good) / sizeof(good[0]); i++) {
		conf_note("flags 0x%x", good[i]);
		/* The failures consumed no ID. */
		EXPECT_EQ(hwpt(fd, dev.idev_id, ioas, good[i]), 5 + i);
	}
}

CONF_TEST(hwpt_alloc_reserved_fields)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev.idev_id,
		.pt_id = ioas,
		.__reserved = 1,
	};

	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	/* __reserved is looked at before anything else. */
	cmd.dev_id = 99;
	cmd.pt_id = 99;
	cmd.data_len = 8;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	/* __reserved2 and fault_id (without FAULT_ID_VALID) are not. */
	cmd.__reserved = 0;
	cmd.__reserved2 = 0xffffffff;
	cmd.fault_id = 1234;
	cmd.dev_id = dev.idev_id;
	cmd.pt_id = ioas;
	cmd.data_len = 0;
	EXPECT_OK(ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	EXPECT_EQ(cmd.out_hwpt_id, 5);
}

CONF_TEST(hwpt_alloc_struct_size)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	struct iommu_hwpt_alloc cmd = {
		.dev_id = dev.idev_id,
		.pt_id = ioas,
		.data_type = 0xdead,
		.data_len = 4,
	};

	/* The first version of the struct ended after __reserved. */
	cmd.size = offsetof(struct iommu_hwpt_alloc, __reserved);
	EXPECT_ERRNO(EINVAL, ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.size = offsetof(struct iommu_hwpt_alloc, data_type);
	EXPECT_OK(ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	EXPECT_EQ(cmd.out_hwpt_id, 5);
	/* The fields beyond the size given were not read. */
	EXPECT_EQ(cmd.data_type, 0xdead);
}

CONF_TEST(hwpt_alloc_data_type_and_len)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_vtd_s1 vtd = {};
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev.idev_id,
		.pt_id = ioas,
	};

	/* A length without a type, or a type without a length. */
	cmd.data_len = sizeof(data);
	cmd.data_uptr = (uintptr_t)&data;
	EXPECT_ERRNO(EINVAL, ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.data_type = IOMMU_HWPT_DATA_SELFTEST;
	cmd.data_len = 0;
	EXPECT_ERRNO(EINVAL, ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	/* Checked before the device. */
	cmd.dev_id = 99;
	EXPECT_ERRNO(EINVAL, ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.dev_id = dev.idev_id;
	/* The mock takes no driver data for a paging domain. */
	cmd.data_len = sizeof(data);
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.data_type = IOMMU_HWPT_DATA_VTD_S1;
	cmd.data_len = sizeof(vtd);
	cmd.data_uptr = (uintptr_t)&vtd;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	/* No data: the pointer is not looked at. */
	cmd.data_type = IOMMU_HWPT_DATA_NONE;
	cmd.data_len = 0;
	cmd.data_uptr = 0xdead0000beef0000ULL;
	EXPECT_OK(ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	EXPECT_EQ(cmd.out_hwpt_id, 5);
}

CONF_TEST(hwpt_alloc_bad_dev_id_enoent)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	EXPECT_ERRNO(ENOENT, conf_hwpt_alloc(fd, 0, ioas, 0, NULL));
	EXPECT_ERRNO(ENOENT, conf_hwpt_alloc(fd, 99, ioas, 0, NULL));
	EXPECT_ERRNO(ENOENT, conf_hwpt_alloc(fd, ioas, ioas, 0, NULL));
	EXPECT_ERRNO(ENOENT, conf_hwpt_alloc(fd, dev.stdev_id, ioas, 0, NULL));
	EXPECT_ERRNO(ENOENT, conf_hwpt_alloc(fd, dev.hwpt_id, ioas, 0, NULL));
	/* The device is checked before the page table and the flags. */
	EXPECT_ERRNO(ENOENT, conf_hwpt_alloc(fd, 99, 99, 0, NULL));
	EXPECT_ERRNO(ENOENT, conf_hwpt_alloc(fd, 99, ioas, 0xffffffff, NULL));
	/* A device that was destroyed is gone. */
	EXPECT_OK(conf_destroy(fd, dev.stdev_id));
	EXPECT_ERRNO(ENOENT, conf_hwpt_alloc(fd, dev.idev_id, ioas, 0, NULL));
}

CONF_TEST(hwpt_alloc_bad_pt_id_einval)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	/* Even an ID that names nothing is EINVAL here, not ENOENT. */
	EXPECT_ERRNO(EINVAL, conf_hwpt_alloc(fd, dev.idev_id, 0, 0, NULL));
	EXPECT_ERRNO(EINVAL, conf_hwpt_alloc(fd, dev.idev_id, 99, 0, NULL));
	EXPECT_ERRNO(EINVAL,
		     conf_hwpt_alloc(fd, dev.idev_id, dev.idev_id, 0, NULL));
	EXPECT_ERRNO(EINVAL,
		     conf_hwpt_alloc(fd, dev.idev_id, dev.stdev_id, 0, NULL));
	/* The page table is checked before the flags. */
	EXPECT_ERRNO(EINVAL,
		     conf_hwpt_alloc(fd, dev.idev_id, 99, 0xffffffff, NULL));
	EXPECT_EQ(ioas_alloc(fd), 5);
}

CONF_TEST(hwpt_alloc_dirty_needs_capable_device)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev =
		mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY);

	EXPECT_ERRNO(EOPNOTSUPP,
		     conf_hwpt_alloc(fd, dev.idev_id, ioas,
				     IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL));
	EXPECT_ERRNO(EOPNOTSUPP,
		     conf_hwpt_alloc(fd, dev.idev_id, ioas,
				     IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
					     IOMMU_HWPT_ALLOC_NEST_PARENT,
				     NULL));
	EXPECT_EQ(hwpt(fd, dev.idev_id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT), 5);
	EXPECT_EQ(hwpt(fd, dev.idev_id, ioas, 0), 6);
}

CONF_TEST(hwpt_dirty_domain_refuses_no_dirty_device)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint32_t h =
		hwpt(fd, dev.idev_id, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	struct conf_mock_dev nd =
		mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY);
	struct conf_mock_dev ok;

	EXPECT_ERRNO(EINVAL,
		     conf_mock_domain(fd, true, h, MOCK_FLAGS_DEVICE_NO_DIRTY,
				      NULL));
	EXPECT_ERRNO(EINVAL, conf_mock_replace(fd, nd.stdev_id, h, NULL));
	/* The automatic domain was not the dirty-tracking one. */
	EXPECT_EQ(nd.hwpt_id, dev.hwpt_id);
	ok = mock_domain_flags(fd, h, MOCK_FLAGS_DEVICE_HUGE_IOVA);
	EXPECT_EQ(ok.hwpt_id, h);
	EXPECT_OK(conf_mock_replace(fd, dev.stdev_id, h, NULL));
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, h));
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, nd.hwpt_id));
}

CONF_TEST(hwpt_alloc_ioas_conflicts)
{
	int fd = conf_open();
	uint8_t *va = touched(PAGE_SZ);
	uint8_t *gone = conf_guarded(0); /* a PROT_NONE page */
	struct conf_mock_dev dev = mock_domain(fd, ioas_alloc(fd));
	uint32_t ioas = ioas_alloc(fd);
	struct iommu_iova_range low = { 0x1000, 0x1fff };

	/* A mapping outside the aperture. */
	map_fixed(fd, ioas, va, PAGE_SZ, 0x1000);
	EXPECT_ERRNO(EADDRINUSE,
		     conf_hwpt_alloc(fd, dev.idev_id, ioas, 0, NULL));
	EXPECT_EQ(unmap(fd, ioas, 0, UINT64_MAX), PAGE_SZ);
	/* A mapping not aligned to the IO page. */
	map_fixed(fd, ioas, va + 512, 512, AP_START + 512);
	EXPECT_ERRNO(EADDRINUSE,
		     conf_hwpt_alloc(fd, dev.idev_id, ioas, 0, NULL));
	EXPECT_EQ(unmap(fd, ioas, 0, UINT64_MAX), 512);
	/* An allowed range outside the aperture. */
	EXPECT_OK(conf_allow(fd, ioas, &low, 1));
	EXPECT_ERRNO(EADDRINUSE,
		     conf_hwpt_alloc(fd, dev.idev_id, ioas, 0, NULL));
	EXPECT_OK(conf_allow(fd, ioas, NULL, 0));
	/* Memory that cannot be pinned. */
	map_fixed(fd, ioas, gone, PAGE_SZ, AP_START);
	EXPECT_ERRNO(EFAULT, conf_hwpt_alloc(fd, dev.idev_id, ioas, 0, NULL));
	EXPECT_EQ(unmap(fd, ioas, 0, UINT64_MAX), PAGE_SZ);
	/* Nothing was left behind. */
	EXPECT_APERTURE(fd, ioas, false);
	EXPECT_EQ(hwpt(fd, dev.idev_id, ioas, 0), 6);
}

CONF_TEST(hwpt_alloc_not_used_as_automatic_domain)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev a = mock_domain(fd, ioas_alloc(fd));
	uint32_t h = hwpt(fd, a.idev_id, ioas, 0);
	struct conf_mock_dev b = mock_domain(fd, ioas);
	struct conf_mock_dev c = mock_domain(fd, ioas);

	EXPECT_EQ(h, 6);
	/* MOCK_DOMAIN on the IOAS makes its own domain, then shares it. */
	EXPECT_EQ(b.hwpt_id, 9);
	EXPECT_EQ(c.hwpt_id, 9);
	EXPECT_OK(conf_destroy(fd, b.stdev_id));
	EXPECT_OK(conf_destroy(fd, c.stdev_id));
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, 9));
	EXPECT_ERRNO(EBUSY, conf_destroy(fd, ioas));
	EXPECT_OK(conf_destroy(fd, h));
	EXPECT_OK(conf_destroy(fd, ioas));
}

CONF_TEST(hwpt_alloc_readonly_struct_efault)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas_alloc(fd));
	struct iommu_hwpt_alloc *cmd = conf_mem(PAGE_SZ, 0);

	cmd->size = sizeof(*cmd);
	cmd->dev_id = dev.idev_id;
	cmd->pt_id = ioas;
	conf_readonly(cmd, sizeof(*cmd));
	EXPECT_ERRNO(EFAULT, ioctl(fd, IOMMU_HWPT_ALLOC, cmd));
	EXPECT_APERTURE(fd, ioas, false);
	EXPECT_ERRNO(ENOENT, conf_destroy(fd, 6));
	EXPECT_OK(conf_destroy(fd, ioas));
	EXPECT_EQ(ioas_alloc(fd), 1);
	EXPECT_EQ(ioas_alloc(fd), 6);
}

CONF_TEST(hwpt_alloc_failure_writes_nothing)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev.idev_id,
		.pt_id = 99,
		.out_hwpt_id = 0xdeadbeef,
	};
	struct iommu_test_cmd md = {
		.size = sizeof(md),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = 99,
		.mock_domain = { 0x11111111, 0x22222222, 0x33333333 },
	};

	EXPECT_ERRNO(EINVAL, ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	EXPECT_EQ(cmd.out_hwpt_id, 0xdeadbeef);
	cmd.pt_id = ioas;
	cmd.flags = 1 << 5;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	EXPECT_EQ(cmd.out_hwpt_id, 0xdeadbeef);
	EXPECT_ERRNO(ENOENT, ioctl(fd, IOMMU_TEST_CMD, &md));
	EXPECT_EQ(md.mock_domain.out_stdev_id, 0x11111111);
	EXPECT_EQ(md.mock_domain.out_hwpt_id, 0x22222222);
	EXPECT_EQ(md.mock_domain.out_idev_id, 0x33333333);
}

/* ---------------------------------------------------------------------- */
/* IOMMU_GET_HW_INFO                                                       */
/* ---------------------------------------------------------------------- */

CONF_TEST(hw_info_exact_buffer)
{
	int fd = conf_open();
	struct conf_mock_dev dev = mock_domain(fd, ioas_alloc(fd));
	struct iommu_test_hw_info info;
	struct iommu_hw_info out;

	memset(&info, 0xa5, sizeof(info));
	EXPECT_OK(hw_info(fd, dev.idev_id, &info, sizeof(info), &out));
	EXPECT_EQ(out.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	EXPECT_EQ(out.data_len, sizeof(info));
	EXPECT_EQ(out.out_capabilities, IOMMU_HW_CAP_DIRTY_TRACKING);
	EXPECT_EQ(out.out_max_pasid_log2, 0);
	EXPECT_EQ(out.flags, 0);
	EXPECT_EQ(out.dev_id, dev.idev_id);
	EXPECT_EQ(out.data_uptr, (uintptr_t)&info);
	EXPECT_EQ(info.flags, 0);
	EXPECT_EQ(info.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
}

CONF_TEST(hw_info_zero_length)
{
	int fd = conf_open();
	struct conf_mock_dev dev = mock_domain(fd, ioas_alloc(fd));
	struct iommu_hw_info out;

	/* The length the driver has comes back; nothing is written. */
	EXPECT_OK(hw_info(fd, dev.idev_id, NULL, 0, &out));
	EXPECT_EQ(out.data_len, sizeof(struct iommu_test_hw_info));
	EXPECT_EQ(out.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	EXPECT_OK(hw_info(fd, dev.idev_id, (void *)(uintptr_t)0xdead0000, 0,
			  &out));
	EXPECT_EQ(out.data_len, sizeof(struct iommu_test_hw_info));
}

CONF_TEST(hw_info_longer_buffer_zero_filled)
{
	int fd = conf_open();
	struct conf_mock_dev dev = mock_domain(fd, ioas_alloc(fd));
	uint8_t buf[64];
	struct iommu_test_hw_info info;
	struct iommu_hw_info out;
	unsigned int i;

	memset(buf, 0xa5, sizeof(buf));
	EXPECT_OK(hw_info(fd, dev.idev_id, buf, 40, &out));
	EXPECT_EQ(out.data_len, sizeof(info));
	memcpy(&info, buf, sizeof(info));
	EXPECT_EQ(info.flags, 0);
	EXPECT_EQ(info.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
	for (i = sizeof(info); i != sizeof(buf); i++) {
		conf_note("byte %u", i);
		EXPECT_EQ(buf[i], i < 40 ? 0 : 0xa5);
	}
}

CONF_TEST(hw_info_shorter_buffer_truncated)
{
	int fd = conf_open();
	struct conf_mock_dev dev = mock_domain(fd, ioas_alloc(fd));
	struct iommu_test_hw_info info;
	struct iommu_hw_info out;

	memset(&info, 0xa5, sizeof(info));
	EXPECT_OK(hw_info(fd, dev.idev_id, &info, 4, &out));
	/* The full length is reported, only 4 bytes were written. */
	EXPECT_EQ(out.data_len, sizeof(info));
	EXPECT_EQ(info.flags, 0);
	EXPECT_EQ(info.test_reg, 0xa5a5a5a5);
	/* A buffer that ends at an inaccessible page is fine if not passed. */
	EXPECT_OK(hw_info(fd, dev.idev_id, conf_guarded(6), 6, &out));
	EXPECT_EQ(out.data_len, sizeof(info));
}

CONF_TEST(hw_info_capabilities)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev plain = mock_domain(fd, ioas);
	struct conf_mock_dev nd =
		mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY);
	struct conf_mock_dev huge =
		mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA);
	struct iommu_hw_info out;

	EXPECT_OK(hw_info(fd, plain.idev_id, NULL, 0, &out));
	EXPECT_EQ(out.out_capabilities, IOMMU_HW_CAP_DIRTY_TRACKING);
	EXPECT_OK(hw_info(fd, nd.idev_id, NULL, 0, &out));
	EXPECT_EQ(out.out_capabilities, 0);
	EXPECT_EQ(out.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	EXPECT_OK(hw_info(fd, huge.idev_id, NULL, 0, &out));
	EXPECT_EQ(out.out_capabilities, IOMMU_HW_CAP_DIRTY_TRACKING);
}

CONF_TEST(hw_info_outputs_overwritten)
{
	int fd = conf_open();
	struct conf_mock_dev dev = mock_domain_flags(
		fd, ioas_alloc(fd), MOCK_FLAGS_DEVICE_NO_DIRTY);
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev.idev_id,
		.out_data_type = 0x12345678,
		.out_max_pasid_log2 = 0xff,
		.out_capabilities = UINT64_MAX,
	};

	EXPECT_OK(ioctl(fd, IOMMU_GET_HW_INFO, &cmd));
	EXPECT_EQ(cmd.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	EXPECT_EQ(cmd.out_max_pasid_log2, 0);
	EXPECT_EQ(cmd.out_capabilities, 0);
	EXPECT_EQ(cmd.data_len, sizeof(struct iommu_test_hw_info));
}

CONF_TEST(hw_info_struct_size)
{
	int fd = conf_open();
	struct conf_mock_dev dev = mock_domain(fd, ioas_alloc(fd));
	struct iommu_hw_info cmd = {
		.dev_id = dev.idev_id,
		.out_capabilities = 0x77,
	};

	cmd.size = offsetof(struct iommu_hw_info, __reserved);
	EXPECT_ERRNO(EINVAL, ioctl(fd, IOMMU_GET_HW_INFO, &cmd));
	/* Up to __reserved is enough; out_capabilities is then not written. */
	cmd.size = offsetof(struct iommu_hw_info, out_capabilities);
	EXPECT_OK(ioctl(fd, IOMMU_GET_HW_INFO, &cmd));
	EXPECT_EQ(cmd.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	EXPECT_EQ(cmd.out_capabilities, 0x77);
}

CONF_TEST(hw_info_errors)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	struct iommu_test_hw_info info;
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev.idev_id,
		.data_len = sizeof(info),
		.data_uptr = (uintptr_t)&info,
	};
	uint8_t *gone = conf_guarded(0); /* a PROT_NONE page */
	unsigned int i;

	cmd.flags = 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_GET_HW_INFO, &cmd));
	cmd.flags = 0;
	for (i = 0; i != 3; i++) {
		conf_note("__reserved[%u]", i);
		cmd.__reserved[i] = 1;
		EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_GET_HW_INFO, &cmd));
		cmd.__reserved[i] = 0;
	}
	conf_note("%s", "");
	EXPECT_ERRNO(ENOENT, hw_info(fd, 0, &info, sizeof(info), NULL));
	EXPECT_ERRNO(ENOENT, hw_info(fd, 99, &info, sizeof(info), NULL));
	EXPECT_ERRNO(ENOENT, hw_info(fd, ioas, &info, sizeof(info), NULL));
	EXPECT_ERRNO(ENOENT,
		     hw_info(fd, dev.stdev_id, &info, sizeof(info), NULL));
	EXPECT_ERRNO(ENOENT,
		     hw_info(fd, dev.hwpt_id, &info, sizeof(info), NULL));
	/* The buffer must be writable, trailing zeroes included. */
	EXPECT_ERRNO(EFAULT,
		     hw_info(fd, dev.idev_id, gone, sizeof(info), NULL));
	EXPECT_ERRNO(EFAULT,
		     hw_info(fd, dev.idev_id, conf_guarded(8), 16, NULL));
	EXPECT_ERRNO(EFAULT,
		     hw_info(fd, dev.idev_id, conf_guarded(4), 8, NULL));
	/* A failed call answers nothing. */
	cmd.data_uptr = (uintptr_t)gone;
	cmd.out_data_type = 0x1234;
	cmd.out_capabilities = 0x5678;
	EXPECT_ERRNO(EFAULT, ioctl(fd, IOMMU_GET_HW_INFO, &cmd));
	EXPECT_EQ(cmd.data_len, sizeof(info));
	EXPECT_EQ(cmd.out_data_type, 0x1234);
	EXPECT_EQ(cmd.out_capabilities, 0x5678);
	cmd.data_len = 100;
	EXPECT_ERRNO(EFAULT, ioctl(fd, IOMMU_GET_HW_INFO, &cmd));
	EXPECT_EQ(cmd.data_len, 100);
	EXPECT_OK(conf_destroy(fd, dev.stdev_id));
	EXPECT_ERRNO(ENOENT,
		     hw_info(fd, dev.idev_id, &info, sizeof(info), NULL));
}

/* ---------------------------------------------------------------------- */
/* Dirty tracking                                                          */
/* ---------------------------------------------------------------------- */

/*
 * The usual scene: @len bytes of memory mapped at AP_START of a fresh
 * IOAS, and a dirty-tracking HWPT on it made for a device elsewhere.
 */
struct dirty_scene {
	int fd;
	uint8_t *va;
	uint32_t ioas;
	struct conf_mock_dev dev;
	uint32_t hwpt;
};

static struct dirty_scene dirty_scene_at(const char *file, int line, size_t len)
{
	struct dirty_scene s;

	s.fd = conf_open_at(file, line);
	s.va = conf_touched_at(file, line, len);
	s.dev = conf_mock_domain_at(file, line, s.fd, ioas_alloc(s.fd), 0);
	s.ioas = conf_ioas_alloc_at(file, line, s.fd);
	conf_map_fixed_at(file, line, s.fd, s.ioas, s.va, len, AP_START);
	s.hwpt = hwpt_alloc_at(file, line, s.fd, s.dev.idev_id, s.ioas,
			       IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	return s;
}

#define dirty_scene(len) dirty_scene_at(__FILE__, __LINE__, len)

CONF_TEST(dirty_set_tracking_toggles)
{
	struct dirty_scene s = dirty_scene(PAGE_SZ);

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	EXPECT_OK(set_dirty(s.fd, s.hwpt, 0));
	EXPECT_OK(set_dirty(s.fd, s.hwpt, 0));
	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
}

CONF_TEST(dirty_set_tracking_errors)
{
	struct dirty_scene s = dirty_scene(PAGE_SZ);
	uint32_t plain = hwpt(s.fd, s.dev.idev_id, s.ioas, 0);
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = ENABLE,
		.hwpt_id = s.hwpt,
		.__reserved = 0xffffffff,
	};

	/* __reserved is not checked. */
	EXPECT_OK(ioctl(s.fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd));
	/* Unknown flags are refused before the ID is looked up. */
	EXPECT_ERRNO(EOPNOTSUPP, set_dirty(s.fd, s.hwpt, 2));
	EXPECT_ERRNO(EOPNOTSUPP, set_dirty(s.fd, s.hwpt, 0xffffffff));
	EXPECT_ERRNO(EOPNOTSUPP, set_dirty(s.fd, 99, 2));
	/* Only a paging HWPT will do. */
	EXPECT_ERRNO(ENOENT, set_dirty(s.fd, 0, ENABLE));
	EXPECT_ERRNO(ENOENT, set_dirty(s.fd, 99, ENABLE));
	EXPECT_ERRNO(ENOENT, set_dirty(s.fd, s.ioas, ENABLE));
	EXPECT_ERRNO(ENOENT, set_dirty(s.fd, s.dev.idev_id, ENABLE));
	EXPECT_ERRNO(ENOENT, set_dirty(s.fd, s.dev.stdev_id, ENABLE));
	/* HWPTs without dirty tracking refuse both ways. */
	EXPECT_ERRNO(EOPNOTSUPP, set_dirty(s.fd, plain, ENABLE));
	EXPECT_ERRNO(EOPNOTSUPP, set_dirty(s.fd, plain, 0));
	EXPECT_ERRNO(EOPNOTSUPP, set_dirty(s.fd, s.dev.hwpt_id, ENABLE));
	EXPECT_ERRNO(EOPNOTSUPP, set_dirty(s.fd, s.dev.hwpt_id, 0));
}

CONF_TEST(dirty_bitmap_roundtrip)
{
	struct dirty_scene s = dirty_scene(64 * 1024);
	uint64_t bits[1] = {}, map[1];
	uint64_t nr = 0;

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	/* 32 IO pages; mark 0, 2, 5 and 31. */
	set_bit64(bits, 0);
	set_bit64(bits, 2);
	set_bit64(bits, 5);
	set_bit64(bits, 31);
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 64 * 1024, MOCK_PAGE, bits,
			     &nr));
	EXPECT_EQ(nr, 4);
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 64 * 1024, MOCK_PAGE,
			    map));
	EXPECT_BITS(map, 64, 0, 2, 5, 31);
	/* Reading cleared them. */
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 64 * 1024, MOCK_PAGE,
			    map));
	EXPECT_EQ(map[0], 0);
}

CONF_TEST(dirty_bitmap_no_clear)
{
	struct dirty_scene s = dirty_scene(64 * 1024);
	uint64_t bits[1] = { 0x80000101 }, map[1];
	uint64_t nr = 0;

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 64 * 1024, MOCK_PAGE, bits,
			     &nr));
	EXPECT_EQ(nr, 3);
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
			    AP_START, 64 * 1024, MOCK_PAGE, map));
	EXPECT_EQ(map[0], 0x80000101);
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 64 * 1024, MOCK_PAGE,
			    map));
	EXPECT_EQ(map[0], 0x80000101);
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 64 * 1024, MOCK_PAGE,
			    map));
	EXPECT_EQ(map[0], 0);
}

CONF_TEST(dirty_bitmap_bits_are_ored_in)
{
	struct dirty_scene s = dirty_scene(64 * 1024);
	uint64_t bits[1] = { 0x6 }, map[1] = { 0xf000000000000000ULL };

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 64 * 1024, MOCK_PAGE, bits,
			     NULL));
	/* Bits already set in the user's bitmap stay set. */
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 64 * 1024, MOCK_PAGE,
			    map));
	EXPECT_EQ(map[0], 0xf000000000000006ULL);
}

CONF_TEST(dirty_bitmap_page_sizes)
{
	struct dirty_scene s = dirty_scene(64 * 1024);
	uint64_t bits[1] = {}, map[1];

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	/* The second half of CPU page 0, both halves of page 3, page 15. */
	set_bit64(bits, 1);
	set_bit64(bits, 6);
	set_bit64(bits, 7);
	set_bit64(bits, 30);
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 64 * 1024, MOCK_PAGE, bits,
			     NULL));
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
			    AP_START, 64 * 1024, PAGE_SZ, map));
	EXPECT_BITS(map, 64, 0, 3, 15);
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
			    AP_START, 64 * 1024, 16 * 1024, map));
	EXPECT_BITS(map, 64, 0, 3);
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 64 * 1024, 64 * 1024,
			    map));
	EXPECT_BITS(map, 64, 0);
	/* Finer than the IO page: each dirty IO page sets two bits. */
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 64 * 1024, MOCK_PAGE, bits,
			     NULL));
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 32 * 1024, 1024, map));
	EXPECT_BITS(map, 64, 2, 3, 12, 13, 14, 15);
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START + 32 * 1024, 32 * 1024,
			    1024, map));
	EXPECT_BITS(map, 64, 28, 29);
	/* A sub-range starts its bitmap at its own first IOVA. */
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 64 * 1024, MOCK_PAGE, bits,
			     NULL));
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START + 3 * MOCK_PAGE,
			    28 * MOCK_PAGE, MOCK_PAGE, map));
	EXPECT_BITS(map, 64, 3, 4, 27);
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, MOCK_PAGE * 2, MOCK_PAGE,
			    map));
	EXPECT_BITS(map, 64, 1);
}

CONF_TEST(dirty_enable_starts_clean)
{
	struct dirty_scene s = dirty_scene(16 * 1024);
	uint64_t bits[1] = { 0xff }, map[1];
	uint64_t nr = 0;

	/* Without tracking, pages cannot be made dirty. */
	EXPECT_ERRNO(EINVAL, make_dirty(s.fd, s.hwpt, AP_START, 16 * 1024,
					MOCK_PAGE, bits, &nr));
	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 16 * 1024, MOCK_PAGE, bits,
			     &nr));
	EXPECT_EQ(nr, 8);
	EXPECT_OK(set_dirty(s.fd, s.hwpt, 0));
	EXPECT_ERRNO(EINVAL, make_dirty(s.fd, s.hwpt, AP_START, 16 * 1024,
					MOCK_PAGE, bits, &nr));
	/* Turning tracking on again clears what was left. */
	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 16 * 1024, MOCK_PAGE,
			    map));
	EXPECT_EQ(map[0], 0);
	/* So does enabling while already enabled. */
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 16 * 1024, MOCK_PAGE, bits,
			     &nr));
	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 16 * 1024, MOCK_PAGE,
			    map));
	EXPECT_EQ(map[0], 0);
}

CONF_TEST(dirty_bitmap_range_follows_ioas_alignment)
{
	int fd = conf_open();
	uint8_t *va = touched(16 * 1024);
	struct conf_mock_dev dev = mock_domain(fd, ioas_alloc(fd));
	uint32_t ioas = ioas_alloc(fd);
	uint64_t val = 0, map[1] = {};
	uint32_t h;

	/* Without huge pages the IOAS works in whole CPU pages. */
	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			      ioas, &val));
	map_fixed(fd, ioas, va, 16 * 1024, AP_START);
	h = hwpt(fd, dev.idev_id, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	EXPECT_OK(set_dirty(fd, h, ENABLE));
	EXPECT_ERRNO(EINVAL, get_dirty(fd, h, 0, AP_START + MOCK_PAGE,
				       MOCK_PAGE, MOCK_PAGE, map));
	EXPECT_ERRNO(EINVAL, get_dirty(fd, h, 0, AP_START, 3 * MOCK_PAGE,
				       MOCK_PAGE, map));
	EXPECT_OK(get_dirty(fd, h, 0, AP_START, PAGE_SZ, MOCK_PAGE, map));
}

CONF_TEST(dirty_bitmap_while_disabled_reports_nothing)
{
	struct dirty_scene s = dirty_scene(16 * 1024);
	uint64_t bits[1] = { 0x0f }, map[1];

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 16 * 1024, MOCK_PAGE, bits,
			     NULL));
	EXPECT_OK(set_dirty(s.fd, s.hwpt, 0));
	/* Not an error, but nothing is written either. */
	map[0] = 0xa5a5a5a5a5a5a5a0ULL;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 16 * 1024, MOCK_PAGE,
			    map));
	EXPECT_EQ(map[0], 0xa5a5a5a5a5a5a5a0ULL);
}

CONF_TEST(dirty_test_op_errors)
{
	struct dirty_scene s = dirty_scene(16 * 1024);
	uint64_t bits[1] = { 0xffff };
	uint64_t nr = 0;

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	EXPECT_ERRNO(EINVAL, make_dirty(s.fd, s.hwpt, AP_START, 16 * 1024, 0,
					bits, &nr));
	EXPECT_ERRNO(EINVAL, make_dirty(s.fd, s.hwpt, AP_START, 0, MOCK_PAGE,
					bits, &nr));
	EXPECT_ERRNO(EINVAL, make_dirty(s.fd, s.hwpt, AP_START + 1024,
					16 * 1024, MOCK_PAGE, bits, &nr));
	EXPECT_ERRNO(EINVAL, make_dirty(s.fd, s.hwpt, AP_START, 1024 + 8192,
					MOCK_PAGE, bits, &nr));
	EXPECT_ERRNO(EINVAL, make_dirty(s.fd, s.hwpt, AP_START, 16 * 1024,
					MOCK_PAGE, NULL, &nr));
	/* At most 2^27 bits. */
	EXPECT_ERRNO(EOVERFLOW,
		     make_dirty(s.fd, s.hwpt, 0, 1ULL << 28, 1, bits, &nr));
	EXPECT_ERRNO(EOVERFLOW,
		     make_dirty(s.fd, 99, 0, 1ULL << 28, 1, bits, &nr));
	EXPECT_ERRNO(ENOENT, make_dirty(s.fd, 99, AP_START, 16 * 1024,
					MOCK_PAGE, bits, &nr));
	EXPECT_ERRNO(ENOENT, make_dirty(s.fd, s.ioas, AP_START, 16 * 1024,
					MOCK_PAGE, bits, &nr));
	EXPECT_ERRNO(EFAULT, make_dirty(s.fd, s.hwpt, AP_START, 16 * 1024,
					MOCK_PAGE, conf_guarded(0), &nr));
	/* Only mapped IO pages count. */
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START - 8 * MOCK_PAGE,
			     16 * MOCK_PAGE, MOCK_PAGE, bits, &nr));
	EXPECT_EQ(nr, 8);
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START + 16 * 1024, 16 * 1024,
			     MOCK_PAGE, bits, &nr));
	EXPECT_EQ(nr, 0);
}

CONF_TEST(dirty_get_bitmap_errors)
{
	struct dirty_scene s = dirty_scene(64 * 1024);
	uint32_t plain = hwpt(s.fd, s.dev.idev_id, s.ioas, 0);
	uint64_t map[1] = {};
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = s.hwpt,
		.iova = AP_START,
		.length = 64 * 1024,
		.page_size = MOCK_PAGE,
		.data = (uintptr_t)map,
	};

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	cmd.__reserved = 1;
	EXPECT_ERRNO(EOPNOTSUPP,
		     ioctl(s.fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd));
	cmd.__reserved = 0;
	cmd.flags = 2;
	EXPECT_ERRNO(EOPNOTSUPP,
		     ioctl(s.fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd));
	cmd.hwpt_id = 99;
	EXPECT_ERRNO(EOPNOTSUPP,
		     ioctl(s.fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd));
	cmd.flags = 0;
	EXPECT_ERRNO(ENOENT, ioctl(s.fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd));
	EXPECT_ERRNO(ENOENT, get_dirty(s.fd, s.ioas, 0, AP_START, 64 * 1024,
				       MOCK_PAGE, map));
	EXPECT_ERRNO(ENOENT, get_dirty(s.fd, s.dev.idev_id, 0, AP_START,
				       64 * 1024, MOCK_PAGE, map));
	/* The range, against the IOAS alignment and the page size. */
	EXPECT_ERRNO(EINVAL,
		     get_dirty(s.fd, s.hwpt, 0, AP_START, 0, MOCK_PAGE, map));
	EXPECT_ERRNO(EOVERFLOW, get_dirty(s.fd, s.hwpt, 0, AP_START, UINT64_MAX,
					  MOCK_PAGE, map));
	EXPECT_ERRNO(EINVAL, get_dirty(s.fd, s.hwpt, 0, AP_START + 1024,
				       MOCK_PAGE, MOCK_PAGE, map));
	EXPECT_ERRNO(EINVAL, get_dirty(s.fd, s.hwpt, 0, AP_START, 1024,
				       MOCK_PAGE, map));
	EXPECT_ERRNO(EINVAL,
		     get_dirty(s.fd, s.hwpt, 0, AP_START, 64 * 1024, 0, map));
	EXPECT_ERRNO(EINVAL, get_dirty(s.fd, s.hwpt, 0, AP_START + MOCK_PAGE,
				       PAGE_SZ, PAGE_SZ, map));
	EXPECT_ERRNO(EINVAL, get_dirty(s.fd, s.hwpt, 0, AP_START, 3 * MOCK_PAGE,
				       PAGE_SZ, map));
	/* A HWPT without dirty tracking cannot report. */
	EXPECT_ERRNO(EOPNOTSUPP, get_dirty(s.fd, plain, 0, AP_START, 64 * 1024,
					   MOCK_PAGE, map));
	EXPECT_ERRNO(EOPNOTSUPP, get_dirty(s.fd, s.dev.hwpt_id, 0, AP_START,
					   64 * 1024, MOCK_PAGE, map));
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 64 * 1024, MOCK_PAGE,
			    map));
}

CONF_TEST(dirty_bitmap_unmapped_iova_not_reported)
{
	struct dirty_scene s = dirty_scene(64 * 1024);
	uint64_t bits[1] = { 0x18 }, map[2];

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 64 * 1024, MOCK_PAGE, bits,
			     NULL));
	/* A range running past the mapping: the mapped part is reported. */
	map[0] = map[1] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
			    AP_START, 128 * 1024, MOCK_PAGE, map));
	EXPECT_BITS(map, 128, 3, 4);
	/* A range starting in a hole: no error, nothing written. */
	map[0] = map[1] = 0x5555;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START - 64 * 1024, 128 * 1024,
			    MOCK_PAGE, map));
	EXPECT_EQ(map[0], 0x5555);
	EXPECT_EQ(map[1], 0x5555);
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START + 128 * 1024, 64 * 1024,
			    MOCK_PAGE, map));
	EXPECT_EQ(map[0], 0x5555);
	/* The bits are still there. */
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 64 * 1024, MOCK_PAGE,
			    map));
	EXPECT_EQ(map[0], 0x18);
}

CONF_TEST(dirty_bitmap_unwritable_data_loses_bits)
{
	struct dirty_scene s = dirty_scene(16 * 1024);
	uint64_t bits[1] = { 0x3 }, map[1];
	uint8_t *gone = conf_guarded(0); /* a PROT_NONE page */

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	/* Nothing dirty: the bitmap is never touched. */
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 16 * 1024, MOCK_PAGE,
			    gone));
	/* Dirty bits that cannot be written are cleared all the same. */
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 16 * 1024, MOCK_PAGE, bits,
			     NULL));
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 16 * 1024, MOCK_PAGE,
			    gone));
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 16 * 1024, MOCK_PAGE,
			    map));
	EXPECT_EQ(map[0], 0);
}

CONF_TEST(dirty_bits_follow_mappings_and_domains)
{
	struct dirty_scene s = dirty_scene(16 * 1024);
	uint32_t other = hwpt(s.fd, s.dev.idev_id, s.ioas,
			      IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	uint64_t bits[1] = { 0xff }, map[1];
	uint64_t nr = 0;

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	EXPECT_OK(set_dirty(s.fd, other, ENABLE));
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 16 * 1024, MOCK_PAGE, bits,
			     &nr));
	EXPECT_EQ(nr, 8);
	/* Each domain has its own bits. */
	map[0] = 0;
	EXPECT_OK(
		get_dirty(s.fd, other, 0, AP_START, 16 * 1024, MOCK_PAGE, map));
	EXPECT_EQ(map[0], 0);
	/* Unmapping drops them; a new mapping starts clean. */
	EXPECT_EQ(unmap(s.fd, s.ioas, AP_START, 16 * 1024), 16 * 1024);
	map_fixed(s.fd, s.ioas, s.va, 16 * 1024, AP_START);
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 16 * 1024, MOCK_PAGE,
			    map));
	EXPECT_EQ(map[0], 0);
	/* A device may be attached to a dirty-tracking HWPT meanwhile. */
	EXPECT_EQ(mock_domain(s.fd, s.hwpt).hwpt_id, s.hwpt);
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 16 * 1024, MOCK_PAGE, bits,
			     &nr));
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 16 * 1024, MOCK_PAGE,
			    map));
	EXPECT_EQ(map[0], 0xff);
}

CONF_TEST(dirty_test_op_page_size_indexes_io_pages)
{
	struct dirty_scene s = dirty_scene(16 * 1024);
	uint64_t bits[1] = { 0x5 }, map[1];
	uint64_t nr = 0;

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	/*
	 * The mock finds bit i's IO page as (iova + i * page_size) /
	 * page_size: with 4 KiB "pages", IOVA 2 * AP_START lands on the
	 * mapping's first 2 KiB IO page, and bit 2 on its third.
	 */
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 8 * PAGE_SZ, PAGE_SZ, bits,
			     &nr));
	EXPECT_EQ(nr, 0);
	EXPECT_OK(make_dirty(s.fd, s.hwpt, 2 * AP_START, 8 * PAGE_SZ, PAGE_SZ,
			     bits, &nr));
	EXPECT_EQ(nr, 2);
	map[0] = 0;
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 16 * 1024, MOCK_PAGE,
			    map));
	EXPECT_BITS(map, 64, 0, 2);
}

CONF_TEST(dirty_bitmap_unaligned_data)
{
	struct dirty_scene s = dirty_scene(64 * 1024);
	uint8_t *buf = conf_mem(2 * PAGE_SZ, 0);
	uint8_t *data = buf + PAGE_SZ - 3;
	uint64_t bits[1] = {};

	EXPECT_OK(set_dirty(s.fd, s.hwpt, ENABLE));
	set_bit64(bits, 0);
	set_bit64(bits, 23);
	set_bit64(bits, 24);
	set_bit64(bits, 31);
	EXPECT_OK(make_dirty(s.fd, s.hwpt, AP_START, 64 * 1024, MOCK_PAGE, bits,
			     NULL));
	/* Bit i is bit i % 8 of byte i / 8, across the page boundary too. */
	memset(buf, 0, 2 * PAGE_SZ);
	EXPECT_OK(get_dirty(s.fd, s.hwpt, 0, AP_START, 64 * 1024, MOCK_PAGE,
			    data));
	EXPECT_EQ(data[-1], 0);
	EXPECT_EQ(data[0], 0x01);
	EXPECT_EQ(data[1], 0);
	EXPECT_EQ(data[2], 0x80);
	EXPECT_EQ(data[3], 0x81);
	EXPECT_EQ(data[4], 0);
}

/* Is [p, p + len) in transparent huge pages (per /proc/self/smaps)? */
static bool thp_backed(const void *p, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	bool in = false, ok = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, kb;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = lo <= (uintptr_t)p && (uintptr_t)p + len <= hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) {
			ok = kb * 1024 >= len;
			break;
		}
	}
	fclose(f);
	return ok;
}

CONF_TEST(dirty_huge_iova_pages_reported_whole)
{
	size_t len = 2UL << 20;
	int fd = conf_open();
	uint8_t *va = conf_mem(len, len);
	struct conf_mock_dev dev = mock_domain_flags(
		fd, ioas_alloc(fd), MOCK_FLAGS_DEVICE_HUGE_IOVA);
	uint32_t ioas = ioas_alloc(fd);
	uint64_t *bits = conf_mem(PAGE_SZ, 0);
	uint64_t *map = conf_mem(PAGE_SZ, 0);
	uint32_t h;
	unsigned int i;

	madvise(va, len, MADV_HUGEPAGE);
	memset(va, 0x11, len);
	if (!thp_backed(va, len))
		SKIP("no transparent huge page for the buffer");
	map_fixed(fd, ioas, va, len, AP_START);
	h = hwpt(fd, dev.idev_id, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	EXPECT_OK(set_dirty(fd, h, ENABLE));
	/* One dirty IO page in each 1 MiB IO page... */
	set_bit64(bits, 3);
	set_bit64(bits, 512 + 511);
	EXPECT_OK(make_dirty(fd, h, AP_START, len, MOCK_PAGE, bits, NULL));
	/* ...makes the whole huge page dirty. */
	EXPECT_OK(get_dirty(fd, h, 0, AP_START, len, MOCK_PAGE, map));
	for (i = 0; i != 1024 / 64; i++) {
		conf_note("word %u", i);
		EXPECT_EQ(map[i], UINT64_MAX);
	}
	memset(map, 0, PAGE_SZ);
	EXPECT_OK(get_dirty(fd, h, 0, AP_START, len, MOCK_PAGE, map));
	for (i = 0; i != 1024 / 64; i++) {
		conf_note("word %u after clearing", i);
		EXPECT_EQ(map[i], 0);
	}
}

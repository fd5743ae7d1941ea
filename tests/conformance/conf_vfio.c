/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: the VFIO type1 container emulation of iommufd
 * (CONFIG_IOMMUFD_VFIO_CONTAINER), on /dev/vfio/vfio and /dev/iommu alike,
 * and IOMMU_VFIO_IOAS, which chooses the IOAS it works on.
 *
 * Every iommufd file answers the VFIO container ioctls; /dev/vfio/vfio is
 * an iommufd file that differs only in starting with per-mm memory
 * accounting (IOMMU_OPTION_RLIMIT_MODE reads 1). The container ioctls work
 * on the "compat IOAS" of the file, set with IOMMU_VFIO_IOAS(SET), cleared
 * with CLEAR or by destroying that IOAS (the file keeps no reference on
 * it); without one they fail with ENODEV after their argument checks.
 * Any other ioctl number in VFIO's range is ENOTTY. IOMMU_VFIO_IOAS
 * checks __reserved (EOPNOTSUPP) before the op (EOPNOTSUPP if unknown);
 * SET takes only an IOAS ID (ENOENT), GET answers ENODEV or writes the
 * struct back with the ID, CLEAR always succeeds.
 *
 * VFIO_GET_API_VERSION answers 0. VFIO_CHECK_EXTENSION answers 1 for
 * TYPE1, TYPE1v2 and UNMAP_ALL, 0 for everything else (the whole unsigned
 * long is compared), except DMA_CC_IOMMU: ENODEV without a compat IOAS,
 * else whether every domain of it enforces cache coherency (1 with none, 0
 * with a mock domain). VFIO_SET_IOMMU takes TYPE1 or TYPE1v2 (EINVAL for
 * anything else, checked before the compat IOAS); TYPE1 (v1) disables huge
 * pages on the compat IOAS, exactly as IOMMU_OPTION_HUGE_PAGES = 0 does
 * (EINVAL once a domain holds mappings, EADDRINUSE for a mapping that is not
 * page-aligned), and nothing turns them back on but that option. No call
 * of SET_IOMMU is needed before mapping.
 *
 * VFIO_IOMMU_GET_INFO reads 16 bytes (argsz < 16: EINVAL) and writes
 * min(argsz, 24) bytes of the header: flags PGSIZES | CAPS, iova_pgsizes
 * (the domains' page sizes with the sub-page sizes folded into PAGE_SIZE;
 * ~(PAGE_SIZE - 1) with no domain), argsz set to the size of the whole
 * answer and cap_offset 24 only if all of it fitted. The chain is
 * DMA_AVAIL (avail U32_MAX, next 40) then IOVA_RANGE (the holes of the
 * reserved IOVA, not the allowed ranges), each cap written only if it fits
 * whole, each IOVA range as soon as it fits, the padding after DMA_AVAIL
 * never written.
 *
 * VFIO_IOMMU_MAP_DMA reads 32 bytes, writes none, takes the flags READ and
 * WRITE (none at all is accepted: mapped, and pinned read-only) and maps at
 * the fixed IOVA (EEXIST over a mapping). Unlike IOMMU_IOAS_MAP, an IOVA
 * of U64_MAX is fine.
 *
 * VFIO_IOMMU_UNMAP_DMA reads 24 bytes and writes back 24: size = bytes
 * unmapped (0 for a range with nothing in it), also when the unmap itself
 * fails (EINVAL for size 0, EOVERFLOW, ENOENT: 0, or what was unmapped
 * before the failure), not after an argument error or a failed cut.
 * FLAG_ALL needs iova = size = 0. With huge pages on (TYPE1v2) a range
 * must cover whole mappings (ENOENT at the first that sticks out, after
 * removing those before it). With huge pages off (TYPE1) the mappings are
 * first cut after iova + size - 1, then before iova (unless iova is 0), so
 * a range may split mappings, and size 0 cuts before failing; a cut that
 * is not at a page boundary fails with EINVAL, keeping any cut made
 * before it.
 *
 * The documented differences from VFIO's own type1 driver: no SPAPR, no
 * nesting, no VADDR update, no dirty tracking, no limit on the number of
 * mappings (type1 allows 65535 by default) and DMA_AVAIL always U32_MAX,
 * pinned memory limited by RLIMIT_MEMLOCK (ENOMEM), and no P2P: a
 * VM_PFNMAP range cannot be pinned (EFAULT, at MAP_DMA with a domain, at
 * the attach of a domain otherwise).
 */
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "conformance.h"

#define AP_START ((uint64_t)MOCK_APERTURE_START)
#define AP_LAST ((uint64_t)MOCK_APERTURE_LAST)
#define MOCK_PAGE 2048UL
#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
/* iova_pgsizes with no domain: every size of at least a page. */
#define ALL_PGSIZES (~(uint64_t)(PAGE_SZ - 1))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

static int vfio_ioas(int fd, uint16_t op, uint32_t *ioas_id)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id ? *ioas_id : 0,
		.op = op,
	};
	int rc = ioctl(fd, IOMMU_VFIO_IOAS, &cmd);

	if (!rc && ioas_id)
		*ioas_id = cmd.ioas_id;
	return rc;
}

/* A new IOAS, made the compat IOAS of @fd. */
static uint32_t compat_ioas_at(const char *file, int line, int fd)
{
	uint32_t id = conf_ioas_alloc_at(file, line, fd);

	if (vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id))
		conf_fail(file, line, "IOMMU_VFIO_IOAS(SET %u): %s", id,
			  conf_errname(errno));
	return id;
}
#define compat_ioas(fd) compat_ioas_at(__FILE__, __LINE__, fd)

static long check_ext(int fd, unsigned long ext)
{
	return ioctl(fd, VFIO_CHECK_EXTENSION, ext);
}

static int set_iommu(int fd, unsigned long type)
{
	return ioctl(fd, VFIO_SET_IOMMU, type);
}

static int map_dma(int fd, uint32_t flags, const void *va, uint64_t iova,
		   uint64_t size)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd),
		.flags = flags,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd);
}

/* UNMAP_DMA; *@size gets the size field as the kernel left it. */
static int unmap_dma(int fd, uint32_t flags, uint64_t iova, uint64_t *size)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = sizeof(cmd),
		.flags = flags,
		.iova = iova,
		.size = *size,
	};
	int rc = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd);

	*size = cmd.size;
	return rc;
}

/* A successful UNMAP_DMA (no flags); returns the bytes unmapped. */
static uint64_t vunmap_at(const char *file, int line, int fd, uint64_t iova,
			  uint64_t size)
{
	if (unmap_dma(fd, 0, iova, &size))
		conf_fail(file, line,
			  "VFIO_IOMMU_UNMAP_DMA [0x%llx, +0x%llx): %s",
			  (unsigned long long)iova, (unsigned long long)size,
			  conf_errname(errno));
	return size;
}
#define vunmap(fd, iova, size) vunmap_at(__FILE__, __LINE__, fd, iova, size)

/* UNMAP_DMA with FLAG_ALL; returns the bytes unmapped. */
static uint64_t unmap_all_at(const char *file, int line, int fd)
{
	uint64_t size = 0;

	if (unmap_dma(fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, &size))
		conf_fail(file, line, "VFIO_IOMMU_UNMAP_DMA(ALL): %s",
			  conf_errname(errno));
	return size;
}
#define unmap_all(fd) unmap_all_at(__FILE__, __LINE__, fd)

static uint64_t option_get(int fd, uint32_t option_id, uint32_t object_id)
{
	uint64_t val = 0;

	EXPECT_OK(conf_option(fd, option_id, IOMMU_OPTION_OP_GET, object_id,
			      &val));
	return val;
}

static uint64_t huge_pages(int fd, uint32_t ioas)
{
	return option_get(fd, IOMMU_OPTION_HUGE_PAGES, ioas);
}

/* out_iova_alignment of IOMMU_IOAS_IOVA_RANGES. */
static uint64_t ioas_alignment(int fd, uint32_t ioas)
{
	struct iommu_iova_range r[8];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = ARRAY_LEN(r),
		.allowed_iovas = (uintptr_t)r,
	};

	EXPECT_OK(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	return cmd.out_iova_alignment;
}

static int add_reserved(int fd, uint32_t ioas, uint64_t start, uint64_t len)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.id = ioas,
		.add_reserved = { .start = start, .length = len },
	};

	return conf_test_cmd(fd, &cmd);
}

/*
 * IOAS_UNMAP of [iova, iova + len) must fail with ENOENT: a mapping there
 * sticks out of the range (and nothing is unmapped).
 */
#define EXPECT_NOT_ONE_AREA(fd, ioas, iova, len)                         \
	do {                                                             \
		uint64_t len_ = (len);                                   \
		EXPECT_ERRNO(ENOENT, conf_unmap(fd, ioas, iova, &len_)); \
	} while (0)

/* ---------------------------------------------------------------------- */
/* VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION                              */
/* ---------------------------------------------------------------------- */

CONF_TEST(vfio_api_version_zero_on_both_devices)
{
	int fds[2] = { conf_open(), conf_open_vfio() };
	unsigned int i;

	for (i = 0; i != ARRAY_LEN(fds); i++) {
		conf_note("fd %u", i);
		EXPECT_EQ(ioctl(fds[i], VFIO_GET_API_VERSION),
			  VFIO_API_VERSION);
		/* The argument is ignored. */
		EXPECT_EQ(ioctl(fds[i], VFIO_GET_API_VERSION, 0x1234UL), 0);
		compat_ioas(fds[i]);
		EXPECT_EQ(ioctl(fds[i], VFIO_GET_API_VERSION, NULL), 0);
	}
}

/* Answers for extensions 0..12; DMA_CC_IOMMU (4) is checked apart. */
static const long ext_answer[] = { 0, 1, 0, 1, -1, 0, 0, 0, 0, 1, 0, 0, 0 };

static void expect_ext_table(int fd)
{
	static const unsigned long huge[] = {
		0x7fffffffUL,
		0xffffffffUL,
		(1UL << 32) | VFIO_TYPE1_IOMMU,
		(1UL << 32) | VFIO_TYPE1v2_IOMMU,
		(1UL << 63) | VFIO_UNMAP_ALL,
		~0UL,
	};
	unsigned long ext;
	unsigned int i;

	for (ext = 0; ext != ARRAY_LEN(ext_answer); ext++) {
		if (ext == VFIO_DMA_CC_IOMMU)
			continue;
		conf_note("extension %lu", ext);
		EXPECT_EQ(check_ext(fd, ext), ext_answer[ext]);
	}
	/* The whole unsigned long counts: no truncation to 32 bits. */
	for (i = 0; i != ARRAY_LEN(huge); i++) {
		conf_note("extension 0x%lx", huge[i]);
		EXPECT_EQ(check_ext(fd, huge[i]), 0);
	}
	conf_note("%s", "");
}

CONF_TEST(vfio_check_extension_without_compat_ioas)
{
	int fd = conf_open_vfio();

	expect_ext_table(fd);
	EXPECT_ERRNO(ENODEV, check_ext(fd, VFIO_DMA_CC_IOMMU));
	/* An IOAS that is not the compat IOAS changes nothing. */
	ioas_alloc(fd);
	expect_ext_table(fd);
	EXPECT_ERRNO(ENODEV, check_ext(fd, VFIO_DMA_CC_IOMMU));
}

CONF_TEST(vfio_check_extension_with_compat_ioas)
{
	int fd = conf_open();

	compat_ioas(fd);
	expect_ext_table(fd);
	/* No domain: nothing is non-coherent. */
	EXPECT_EQ(check_ext(fd, VFIO_DMA_CC_IOMMU), 1);
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1v2_IOMMU));
	expect_ext_table(fd);
	EXPECT_EQ(check_ext(fd, VFIO_DMA_CC_IOMMU), 1);
}

CONF_TEST(vfio_check_extension_with_mock_domain)
{
	int fd = conf_open_vfio();
	uint32_t ioas = compat_ioas(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	expect_ext_table(fd);
	/* The mock IOMMU does not enforce cache coherency. */
	EXPECT_EQ(check_ext(fd, VFIO_DMA_CC_IOMMU), 0);
	/* Back to 1 once the domain is gone. */
	EXPECT_OK(conf_destroy(fd, dev.stdev_id));
	EXPECT_EQ(check_ext(fd, VFIO_DMA_CC_IOMMU), 1);
}

/* ---------------------------------------------------------------------- */
/* VFIO_SET_IOMMU                                                          */
/* ---------------------------------------------------------------------- */

static const unsigned long bad_types[] = {
	0,
	VFIO_SPAPR_TCE_IOMMU,
	VFIO_DMA_CC_IOMMU,
	VFIO_EEH,
	VFIO_TYPE1_NESTING_IOMMU,
	VFIO_SPAPR_TCE_v2_IOMMU,
	VFIO_NOIOMMU_IOMMU,
	VFIO_UNMAP_ALL,
	VFIO_UPDATE_VADDR,
	11,
	(1UL << 32) | VFIO_TYPE1_IOMMU,
	(1UL << 32) | VFIO_TYPE1v2_IOMMU,
	~0UL,
};

CONF_TEST(vfio_set_iommu_without_compat_ioas)
{
	int fd = conf_open_vfio();
	unsigned int i;

	EXPECT_ERRNO(ENODEV, set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_ERRNO(ENODEV, set_iommu(fd, VFIO_TYPE1v2_IOMMU));
	/* The type is checked before the compat IOAS. */
	for (i = 0; i != ARRAY_LEN(bad_types); i++) {
		conf_note("type 0x%lx", bad_types[i]);
		EXPECT_ERRNO(EINVAL, set_iommu(fd, bad_types[i]));
	}
}

CONF_TEST(vfio_set_iommu_unknown_types_einval)
{
	int fd = conf_open();
	uint32_t ioas = compat_ioas(fd);
	unsigned int i;

	for (i = 0; i != ARRAY_LEN(bad_types); i++) {
		conf_note("type 0x%lx", bad_types[i]);
		EXPECT_ERRNO(EINVAL, set_iommu(fd, bad_types[i]));
	}
	/* A refused type leaves the IOAS as it was. */
	EXPECT_EQ(huge_pages(fd, ioas), 1);
}

CONF_TEST(vfio_set_iommu_v1_disables_huge_pages)
{
	int fd = conf_open_vfio();
	uint32_t ioas = compat_ioas(fd);
	uint32_t other = ioas_alloc(fd);

	EXPECT_EQ(huge_pages(fd, ioas), 1);
	EXPECT_EQ(ioas_alignment(fd, ioas), 1);
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(huge_pages(fd, ioas), 0);
	/* Which makes the IOAS page-aligned. */
	EXPECT_EQ(ioas_alignment(fd, ioas), PAGE_SZ);
	/* Only the compat IOAS. */
	EXPECT_EQ(huge_pages(fd, other), 1);
	/* Again is fine; TYPE1v2 afterwards does not turn them back on. */
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(huge_pages(fd, ioas), 0);
	EXPECT_EQ(ioas_alignment(fd, ioas), PAGE_SZ);
}

CONF_TEST(vfio_set_iommu_v2_changes_nothing)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);

	map_fixed(fd, ioas, va + 1, 3, 0x10001);
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1v2_IOMMU));
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(huge_pages(fd, ioas), 1);
	EXPECT_EQ(ioas_alignment(fd, ioas), 1);
	/* Byte-granular mappings still work. */
	EXPECT_OK(map_dma(fd, RW, va + 5, 0x10005, 7));
	EXPECT_EQ(unmap_all(fd), 10);
}

CONF_TEST(vfio_set_iommu_v1_refused_with_mapped_domain)
{
	int fd = conf_open_vfio();
	uint8_t *va = touched(PAGE_SZ);
	uint32_t ioas = compat_ioas(fd);

	mock_domain(fd, ioas);
	EXPECT_OK(map_dma(fd, RW, va, AP_START, PAGE_SZ));
	EXPECT_ERRNO(EINVAL, set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(huge_pages(fd, ioas), 1);
	EXPECT_EQ(ioas_alignment(fd, ioas), MOCK_PAGE);
	/* TYPE1v2 is still fine. */
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1v2_IOMMU));
	/* Without the mappings the domain is no obstacle. */
	EXPECT_EQ(unmap_all(fd), PAGE_SZ);
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(huge_pages(fd, ioas), 0);
	EXPECT_EQ(ioas_alignment(fd, ioas), PAGE_SZ);
}

CONF_TEST(vfio_set_iommu_v1_unaligned_mapping_eaddrinuse)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(2 * PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);

	/* Mappings without a domain do not stop v1, unaligned ones do. */
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	EXPECT_OK(map_dma(fd, RW, va, 0x20000, 0x800));
	EXPECT_ERRNO(EADDRINUSE, set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(huge_pages(fd, ioas), 1);
	EXPECT_EQ(vunmap(fd, 0x20000, 0x800), 0x800);
	/* A page offset in user memory is as bad. */
	EXPECT_OK(map_dma(fd, RW, va + 0x800, 0x20000, PAGE_SZ));
	EXPECT_ERRNO(EADDRINUSE, set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(vunmap(fd, 0x20000, PAGE_SZ), PAGE_SZ);
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(huge_pages(fd, ioas), 0);
	EXPECT_EQ(unmap_all(fd), PAGE_SZ);
}

CONF_TEST(vfio_set_iommu_v1_maps_whole_pages_only)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(2 * PAGE_SZ, 0);

	compat_ioas(fd);
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_ERRNO(EINVAL, map_dma(fd, RW, va, 0x10000, 0x800));
	EXPECT_ERRNO(EINVAL, map_dma(fd, RW, va, 0x10800, PAGE_SZ));
	EXPECT_ERRNO(EINVAL, map_dma(fd, RW, va + 0x800, 0x10000, PAGE_SZ));
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, 2 * PAGE_SZ));
	EXPECT_EQ(unmap_all(fd), 2 * PAGE_SZ);
}

/* ---------------------------------------------------------------------- */
/* VFIO_IOMMU_GET_INFO                                                     */
/* ---------------------------------------------------------------------- */

#define INFO_FLAGS (VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS)
#define INFO_BUF 512

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* GET_INFO into @buf (INFO_BUF bytes, all 0xAA but argsz) with @argsz. */
static int get_info(int fd, uint8_t *buf, uint32_t argsz)
{
	memset(buf, 0xaa, INFO_BUF);
	put32(buf, argsz);
	return ioctl(fd, VFIO_IOMMU_GET_INFO, buf);
}

/*
 * What GET_INFO leaves in a 0xAA-filled buffer for @argsz, given the page
 * sizes and the @n IOVA ranges of the compat IOAS.
 */
static uint32_t expected_info(uint8_t *want, uint32_t argsz, uint64_t pgsizes,
			      const struct vfio_iova_range *r, unsigned int n)
{
	uint32_t total = 24 + 16 + 16 + 16 * n;
	uint8_t hdr[24];
	unsigned int i;

	memset(want, 0xaa, INFO_BUF);
	/* The header: min(argsz, 24) bytes of it. */
	put32(hdr, total);
	put32(hdr + 4, INFO_FLAGS);
	put64(hdr + 8, pgsizes);
	put32(hdr + 16, argsz >= total ? 24 : 0);
	put32(hdr + 20, 0);
	memcpy(want, hdr, argsz < 24 ? argsz : 24);
	/* DMA_AVAIL, whole or not at all; its next once 40 bytes fit. */
	if (argsz >= 24 + 12) {
		put32(want + 24, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL | 1 << 16);
		put32(want + 28, argsz >= 40 ? 40 : 0);
		put32(want + 32, UINT32_MAX);
	}
	/* Each IOVA range as soon as it fits... */
	for (i = 0; i != n; i++) {
		if (argsz >= 40 + 16 + 16 * (i + 1)) {
			put64(want + 56 + 16 * i, r[i].start);
			put64(want + 64 + 16 * i, r[i].end);
		}
	}
	/* ...and the IOVA_RANGE header only when all of them do. */
	if (argsz >= total) {
		put32(want + 40,
		      VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE | 1 << 16);
		put32(want + 44, 0);
		put32(want + 48, n);
		put32(want + 52, 0);
	}
	return total;
}

static void expect_info_at(const char *file, int line, int fd, uint32_t argsz,
			   uint64_t pgsizes, const struct vfio_iova_range *r,
			   unsigned int n)
{
	static uint8_t buf[INFO_BUF], want[INFO_BUF];
	unsigned int i;

	expected_info(want, argsz, pgsizes, r, n);
	if (get_info(fd, buf, argsz))
		conf_fail(file, line, "VFIO_IOMMU_GET_INFO argsz %u: %s", argsz,
			  conf_errname(errno));
	for (i = 0; i != INFO_BUF; i++) {
		if (buf[i] != want[i])
			conf_fail(file, line,
				  "GET_INFO argsz %u: byte %u is 0x%02x, "
				  "expected 0x%02x",
				  argsz, i, buf[i], want[i]);
	}
}

#define EXPECT_INFO(fd, argsz, pgsizes, ...)                               \
	do {                                                               \
		const struct vfio_iova_range r_[] = { __VA_ARGS__ };       \
		expect_info_at(__FILE__, __LINE__, fd, argsz, pgsizes, r_, \
			       ARRAY_LEN(r_));                             \
	} while (0)

CONF_TEST(vfio_get_info_argsz_below_16_einval)
{
	int fd = conf_open_vfio();
	uint8_t buf[INFO_BUF];
	uint32_t argsz;

	/* Checked before the compat IOAS... */
	for (argsz = 0; argsz != 16; argsz++) {
		conf_note("argsz %u", argsz);
		EXPECT_ERRNO(EINVAL, get_info(fd, buf, argsz));
	}
	EXPECT_ERRNO(ENODEV, get_info(fd, buf, 16));
	EXPECT_ERRNO(ENODEV, get_info(fd, buf, 24));
	/* ...and nothing is written. */
	EXPECT_EQ(get32(buf + 4), 0xaaaaaaaa);
	compat_ioas(fd);
	for (argsz = 0; argsz != 16; argsz++) {
		conf_note("argsz %u", argsz);
		EXPECT_ERRNO(EINVAL, get_info(fd, buf, argsz));
		EXPECT_EQ(get32(buf + 4), 0xaaaaaaaa);
	}
}

CONF_TEST(vfio_get_info_efault)
{
	int fd = conf_open();
	uint8_t *ro = conf_mem(PAGE_SZ, 0);
	uint8_t *g16 = conf_guarded(16);
	uint8_t *g24 = conf_guarded(24);
	uint8_t *g8 = conf_guarded(8);

	compat_ioas(fd);
	EXPECT_ERRNO(EFAULT, ioctl(fd, VFIO_IOMMU_GET_INFO, NULL));
	/* The first 16 bytes are read. */
	put32(g8, 16);
	EXPECT_ERRNO(EFAULT, ioctl(fd, VFIO_IOMMU_GET_INFO, g8));
	/* A 16-byte buffer is enough for argsz 16 (the pre-cap ABI)... */
	put32(g16, 16);
	EXPECT_OK(ioctl(fd, VFIO_IOMMU_GET_INFO, g16));
	EXPECT_EQ(get32(g16), 72);
	/* ...not for more. */
	put32(g16, 24);
	EXPECT_ERRNO(EFAULT, ioctl(fd, VFIO_IOMMU_GET_INFO, g16));
	/* Caps past the end of the memory: EFAULT, and no header. */
	put32(g24, 200);
	EXPECT_ERRNO(EFAULT, ioctl(fd, VFIO_IOMMU_GET_INFO, g24));
	EXPECT_EQ(get32(g24), 200);
	EXPECT_EQ(get32(g24 + 4), 0);
	/* Read-only memory: read, then EFAULT at the first write. */
	put32(ro, 16);
	conf_readonly(ro, PAGE_SZ);
	EXPECT_ERRNO(EFAULT, ioctl(fd, VFIO_IOMMU_GET_INFO, ro));
}

CONF_TEST(vfio_get_info_enodev_after_clear)
{
	int fd = conf_open();
	uint8_t buf[INFO_BUF];

	compat_ioas(fd);
	EXPECT_OK(get_info(fd, buf, 24));
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_CLEAR, NULL));
	EXPECT_ERRNO(ENODEV, get_info(fd, buf, 24));
	EXPECT_EQ(get32(buf), 24);
	EXPECT_EQ(get32(buf + 4), 0xaaaaaaaa);
}

CONF_TEST(vfio_get_info_pre_cap_argsz_16)
{
	int fd = conf_open_vfio();
	uint8_t buf[INFO_BUF];
	unsigned int i;

	compat_ioas(fd);
	EXPECT_OK(get_info(fd, buf, 16));
	/* argsz becomes the size of the whole answer. */
	EXPECT_EQ(get32(buf), 72);
	EXPECT_EQ(get32(buf + 4), INFO_FLAGS);
	EXPECT_EQ(get64(buf + 8), ALL_PGSIZES);
	/* Nothing past the 16 bytes. */
	for (i = 16; i != INFO_BUF; i++) {
		conf_note("byte %u", i);
		EXPECT_EQ(buf[i], 0xaa);
	}
}

CONF_TEST(vfio_get_info_argsz_24_gives_size)
{
	int fd = conf_open();
	struct vfio_iommu_type1_info info;
	uint8_t buf[INFO_BUF];

	compat_ioas(fd);
	EXPECT_OK(get_info(fd, buf, sizeof(info)));
	memcpy(&info, buf, sizeof(info));
	EXPECT_EQ(info.argsz, 72);
	EXPECT_EQ(info.flags, INFO_FLAGS);
	EXPECT_EQ(info.iova_pgsizes, ALL_PGSIZES);
	/* No cap fitted: no chain. */
	EXPECT_EQ(info.cap_offset, 0);
	/* pad is written (as 0). */
	EXPECT_EQ(info.pad, 0);
	EXPECT_EQ(buf[24], 0xaa);
	EXPECT_EQ(buf[INFO_BUF - 1], 0xaa);
}

CONF_TEST(vfio_get_info_full_chain)
{
	int fd = conf_open_vfio();
	struct vfio_iommu_type1_info info;
	const struct vfio_iommu_type1_info_dma_avail *avail;
	const struct vfio_iommu_type1_info_cap_iova_range *ranges;
	uint64_t buf64[INFO_BUF / 8];
	uint8_t *buf = (uint8_t *)buf64;

	compat_ioas(fd);
	EXPECT_OK(get_info(fd, buf, 72));
	memcpy(&info, buf, sizeof(info));
	EXPECT_EQ(info.argsz, 72);
	EXPECT_EQ(info.flags, INFO_FLAGS);
	EXPECT_EQ(info.iova_pgsizes, ALL_PGSIZES);
	EXPECT_EQ(info.cap_offset, 24);
	EXPECT_EQ(info.pad, 0);
	/* First DMA_AVAIL... */
	avail = (const void *)(buf + 24);
	EXPECT_EQ(avail->header.id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	EXPECT_EQ(avail->header.version, 1);
	EXPECT_EQ(avail->header.next, 40);
	EXPECT_EQ(avail->avail, UINT32_MAX);
	/* (the 4 bytes of padding after it are not written) */
	EXPECT_EQ(get32(buf + 36), 0xaaaaaaaa);
	/* ...then IOVA_RANGE, the last. */
	ranges = (const void *)(buf + 40);
	EXPECT_EQ(ranges->header.id, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	EXPECT_EQ(ranges->header.version, 1);
	EXPECT_EQ(ranges->header.next, 0);
	EXPECT_EQ(ranges->nr_iovas, 1);
	EXPECT_EQ(ranges->reserved, 0);
	EXPECT_EQ(ranges->iova_ranges[0].start, 0);
	EXPECT_EQ(ranges->iova_ranges[0].end, UINT64_MAX);
	EXPECT_EQ(buf[72], 0xaa);
}

CONF_TEST(vfio_get_info_mock_domain_aperture)
{
	int fd = conf_open();
	uint32_t ioas = compat_ioas(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	/* 2 KiB IO pages are reported as the CPU page size. */
	EXPECT_INFO(fd, 72, PAGE_SZ, { AP_START, AP_LAST });
	EXPECT_INFO(fd, 16, PAGE_SZ, { AP_START, AP_LAST });
	/* A second domain on the same IOAS narrows nothing further. */
	mock_domain(fd, ioas);
	EXPECT_INFO(fd, 72, PAGE_SZ, { AP_START, AP_LAST });
	/* One of them left: the same. */
	EXPECT_OK(conf_destroy(fd, dev.stdev_id));
	EXPECT_INFO(fd, 72, PAGE_SZ, { AP_START, AP_LAST });
}

CONF_TEST(vfio_get_info_every_argsz)
{
	int fd = conf_open_vfio();
	uint32_t ioas = compat_ioas(fd);
	const struct vfio_iova_range r[] = {
		{ AP_START, 0x1ffffff },
		{ 0x3000000, 0x3ffffff },
		{ 0x5000000, AP_LAST },
	};
	uint32_t argsz;

	mock_domain(fd, ioas);
	EXPECT_OK(add_reserved(fd, ioas, 0x2000000, 0x1000000));
	EXPECT_OK(add_reserved(fd, ioas, 0x4000000, 0x1000000));
	/* 24 + 16 (DMA_AVAIL, padded) + 16 + 3 * 16 = 104 bytes. */
	for (argsz = 16; argsz != 104 + 24; argsz++)
		expect_info_at(__FILE__, __LINE__, fd, argsz, PAGE_SZ, r,
			       ARRAY_LEN(r));
	expect_info_at(__FILE__, __LINE__, fd, INFO_BUF, PAGE_SZ, r,
		       ARRAY_LEN(r));
}

CONF_TEST(vfio_get_info_pgsizes)
{
	int fd = conf_open();
	uint32_t a = compat_ioas(fd), b = ioas_alloc(fd);
	struct conf_mock_dev dev;

	EXPECT_INFO(fd, 72, ALL_PGSIZES, { 0, UINT64_MAX });
	/* Huge pages off changes no page size. */
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_INFO(fd, 72, ALL_PGSIZES, { 0, UINT64_MAX });
	mock_domain(fd, a);
	EXPECT_INFO(fd, 72, PAGE_SZ, { AP_START, AP_LAST });
	/* A mock domain with 1 MiB IO pages too: 4 KiB | 1 MiB. */
	dev = mock_domain_flags(fd, b, MOCK_FLAGS_DEVICE_HUGE_IOVA);
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &b));
	EXPECT_INFO(fd, 72, PAGE_SZ | 0x100000, { AP_START, AP_LAST });
	EXPECT_OK(conf_destroy(fd, dev.stdev_id));
	EXPECT_INFO(fd, 72, ALL_PGSIZES, { 0, UINT64_MAX });
}

CONF_TEST(vfio_get_info_ranges_are_reserved_holes)
{
	int fd = conf_open();
	uint32_t ioas = compat_ioas(fd);
	const struct iommu_iova_range allow = { 0x100000, 0x1fffff };

	EXPECT_OK(add_reserved(fd, ioas, 0, PAGE_SZ));
	EXPECT_OK(add_reserved(fd, ioas, 0x10000000, 0x1000));
	EXPECT_OK(add_reserved(fd, ioas, 0x10001000, 0x1000));
	EXPECT_OK(add_reserved(fd, ioas, UINT64_MAX - 0xfff, 0x1000));
	/* Adjacent reserved ranges make one hole boundary. */
	EXPECT_INFO(fd, 88, ALL_PGSIZES, { 0x1000, 0xfffffff },
		    { 0x10002000, UINT64_MAX - 0x1000 });
	/* Allowed IOVA ranges do not show. */
	EXPECT_OK(conf_allow(fd, ioas, &allow, 1));
	EXPECT_INFO(fd, 88, ALL_PGSIZES, { 0x1000, 0xfffffff },
		    { 0x10002000, UINT64_MAX - 0x1000 });
}

CONF_TEST(vfio_get_info_big_argsz_writes_total_only)
{
	int fd = conf_open();
	struct {
		struct vfio_iommu_type1_info info;
		uint8_t rest[4096];
	} big;

	compat_ioas(fd);
	memset(&big, 0xaa, sizeof(big));
	big.info.argsz = 0xffffffff;
	/* Only the 72 bytes of the answer are written, argsz says so. */
	EXPECT_OK(ioctl(fd, VFIO_IOMMU_GET_INFO, &big));
	EXPECT_EQ(big.info.argsz, 72);
	EXPECT_EQ(big.info.cap_offset, 24);
	EXPECT_EQ(big.rest[72 - 24], 0xaa);
	EXPECT_EQ(big.rest[sizeof(big.rest) - 1], 0xaa);
}

/* ---------------------------------------------------------------------- */
/* VFIO_IOMMU_MAP_DMA                                                      */
/* ---------------------------------------------------------------------- */

CONF_TEST(vfio_map_dma_checks_before_enodev)
{
	static const uint32_t bad_flags[] = {
		VFIO_DMA_MAP_FLAG_VADDR,
		RW | VFIO_DMA_MAP_FLAG_VADDR,
		1 << 3,
		1U << 31,
		UINT32_MAX,
	};
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	struct vfio_iommu_type1_dma_map cmd = {
		.flags = RW,
		.vaddr = (uintptr_t)va,
		.iova = 0x10000,
		.size = PAGE_SZ,
	};
	unsigned int i, pass;

	for (pass = 0; pass != 2; pass++) {
		conf_note("pass %u", pass);
		cmd.flags = RW;
		for (cmd.argsz = 0; cmd.argsz != sizeof(cmd); cmd.argsz++)
			EXPECT_ERRNO(EINVAL,
				     ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd));
		for (i = 0; i != ARRAY_LEN(bad_flags); i++) {
			cmd.flags = bad_flags[i];
			EXPECT_ERRNO(EINVAL,
				     ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd));
		}
		if (!pass) {
			cmd.flags = RW;
			EXPECT_ERRNO(ENODEV,
				     ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd));
			compat_ioas(fd);
		}
	}
	EXPECT_EQ(unmap_all(fd), 0);
}

CONF_TEST(vfio_map_dma_efault)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	struct vfio_iommu_type1_dma_map *g28 = conf_guarded(28);
	struct vfio_iommu_type1_dma_map *g32 = conf_guarded(32);
	struct vfio_iommu_type1_dma_map *ro = conf_mem(PAGE_SZ, 0);
	const struct vfio_iommu_type1_dma_map cmd = {
		.argsz = 4096, /* more than is there: only 32 bytes are read */
		.flags = RW,
		.vaddr = (uintptr_t)va,
		.iova = 0x10000,
		.size = PAGE_SZ,
	};

	compat_ioas(fd);
	EXPECT_ERRNO(EFAULT, ioctl(fd, VFIO_IOMMU_MAP_DMA, NULL));
	memcpy(g28, &cmd, 28);
	EXPECT_ERRNO(EFAULT, ioctl(fd, VFIO_IOMMU_MAP_DMA, g28));
	*g32 = cmd;
	EXPECT_OK(ioctl(fd, VFIO_IOMMU_MAP_DMA, g32));
	/* Nothing is written back. */
	*ro = cmd;
	ro->iova = 0x20000;
	conf_readonly(ro, sizeof(*ro));
	EXPECT_OK(ioctl(fd, VFIO_IOMMU_MAP_DMA, ro));
	EXPECT_EQ(unmap_all(fd), 2 * PAGE_SZ);
}

CONF_TEST(vfio_map_dma_lands_in_compat_ioas)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t other = ioas_alloc(fd);
	uint32_t ioas = compat_ioas(fd);
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd),
		.flags = VFIO_DMA_MAP_FLAG_READ,
		.vaddr = (uintptr_t)va + PAGE_SZ,
		.iova = 0x123000,
		.size = 2 * PAGE_SZ,
	};

	EXPECT_OK(ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd));
	EXPECT_EQ(cmd.argsz, sizeof(cmd));
	EXPECT_EQ(cmd.flags, VFIO_DMA_MAP_FLAG_READ);
	EXPECT_EQ(cmd.vaddr, (uintptr_t)va + PAGE_SZ);
	EXPECT_EQ(cmd.iova, 0x123000);
	EXPECT_EQ(cmd.size, 2 * PAGE_SZ);
	EXPECT_MAPPED(fd, ioas, va + PAGE_SZ, 0x123000, 2 * PAGE_SZ);
	EXPECT_UNMAPPED(fd, other, va, 0x123000, 2 * PAGE_SZ);
	/* And IOAS_MAP mappings are seen by the VFIO unmap. */
	map_fixed(fd, ioas, va, PAGE_SZ, 0x200000);
	EXPECT_EQ(unmap_all(fd), 3 * PAGE_SZ);
}

CONF_TEST(vfio_map_dma_overlap_eexist)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);

	compat_ioas(fd);
	EXPECT_OK(map_dma(fd, RW, va + PAGE_SZ, 0x10000, 2 * PAGE_SZ));
	EXPECT_ERRNO(EEXIST, map_dma(fd, RW, va, 0x10000, 2 * PAGE_SZ));
	EXPECT_ERRNO(EEXIST, map_dma(fd, RW, va, 0xf000, 2 * PAGE_SZ));
	EXPECT_ERRNO(EEXIST, map_dma(fd, RW, va, 0x11fff, 1));
	EXPECT_ERRNO(EEXIST, map_dma(fd, RW, va, 0xf000, 4 * PAGE_SZ));
	EXPECT_OK(map_dma(fd, RW, va, 0xf000, PAGE_SZ));
	EXPECT_OK(map_dma(fd, RW, va, 0x12000, PAGE_SZ));
	EXPECT_EQ(unmap_all(fd), 4 * PAGE_SZ);
}

CONF_TEST(vfio_map_dma_size_and_iova_limits)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint64_t size;

	compat_ioas(fd);
	EXPECT_ERRNO(EINVAL, map_dma(fd, RW, va, 0x10000, 0));
	EXPECT_ERRNO(EINVAL, map_dma(fd, RW, va, 0x10000, UINT64_MAX));
	EXPECT_ERRNO(EOVERFLOW, map_dma(fd, RW, (void *)(UINTPTR_MAX - 0xfff),
					0x10000, 0x2000));
	EXPECT_ERRNO(EOVERFLOW,
		     map_dma(fd, RW, va, UINT64_MAX - 0xfff, 0x2000));
	/*
	 * Unlike IOMMU_IOAS_MAP, which refuses an iova of U64_MAX, the last
	 * byte of the IOVA space can be mapped.
	 */
	EXPECT_OK(map_dma(fd, RW, va, UINT64_MAX, 1));
	EXPECT_OK(map_dma(fd, RW, va, UINT64_MAX - 0x1000, 0x1000));
	size = 1;
	EXPECT_OK(unmap_dma(fd, 0, UINT64_MAX, &size));
	EXPECT_EQ(size, 1);
	EXPECT_EQ(unmap_all(fd), 0x1000);
}

CONF_TEST(vfio_map_dma_mock_domain_alignment)
{
	int fd = conf_open();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t ioas = compat_ioas(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	/* Half pages are fine with 2 KiB IO pages... */
	EXPECT_OK(map_dma(fd, RW, va + MOCK_PAGE, AP_START + MOCK_PAGE,
			  MOCK_PAGE));
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START + MOCK_PAGE,
				 MOCK_PAGE, va + MOCK_PAGE));
	/* ...quarters are not, nor is IOVA outside the aperture. */
	EXPECT_ERRNO(EINVAL, map_dma(fd, RW, va, AP_START + 0x10000, 0x400));
	EXPECT_ERRNO(EINVAL, map_dma(fd, RW, va, AP_START + 0x10400, PAGE_SZ));
	EXPECT_ERRNO(EINVAL,
		     map_dma(fd, RW, va + 0x400, AP_START + 0x10000, PAGE_SZ));
	EXPECT_ERRNO(EINVAL, map_dma(fd, RW, va, AP_START - PAGE_SZ, PAGE_SZ));
	EXPECT_ERRNO(EINVAL, map_dma(fd, RW, va, AP_LAST + 1, PAGE_SZ));
	EXPECT_ERRNO(EINVAL, map_dma(fd, RW, va, AP_LAST - 0x7ff, PAGE_SZ));
	EXPECT_EQ(unmap_all(fd), MOCK_PAGE);
}

CONF_TEST(vfio_map_dma_no_access_flags_maps)
{
	int fd = conf_open_vfio();
	uint8_t *va = touched(2 * PAGE_SZ);
	uint32_t ioas = compat_ioas(fd);
	struct conf_mock_dev dev;

	/* Neither READ nor WRITE: accepted, and mapped (unlike IOAS_MAP). */
	EXPECT_OK(map_dma(fd, 0, va, 0x10000, PAGE_SZ));
	EXPECT_MAPPED(fd, ioas, va, 0x10000, PAGE_SZ);
	EXPECT_EQ(vunmap(fd, 0x10000, PAGE_SZ), PAGE_SZ);
	/* With a domain the pages are pinned and in the domain. */
	dev = mock_domain(fd, ioas);
	conf_readonly(va, 2 * PAGE_SZ);
	EXPECT_OK(map_dma(fd, 0, va, AP_START, 2 * PAGE_SZ));
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, 2 * PAGE_SZ, va));
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 1));
	EXPECT_EQ(unmap_all(fd), 2 * PAGE_SZ);
	EXPECT_OK(conf_check_refs(fd, va, 2 * PAGE_SZ, 0));
}

CONF_TEST(vfio_map_dma_readonly_memory)
{
	int fd = conf_open();
	uint8_t *va = touched(PAGE_SZ);
	uint32_t ioas = compat_ioas(fd);
	struct conf_mock_dev dev;

	conf_readonly(va, PAGE_SZ);
	/* Nothing is pinned without a domain: WRITE is accepted... */
	EXPECT_OK(map_dma(fd, RW, va, AP_START, PAGE_SZ));
	/* ...until a domain needs the pages. */
	EXPECT_ERRNO(EFAULT, conf_mock_domain(fd, false, ioas, 0, NULL));
	EXPECT_EQ(unmap_all(fd), PAGE_SZ);
	dev = mock_domain(fd, ioas);
	EXPECT_ERRNO(EFAULT, map_dma(fd, RW, va, AP_START, PAGE_SZ));
	EXPECT_ERRNO(EFAULT, map_dma(fd, VFIO_DMA_MAP_FLAG_WRITE, va, AP_START,
				     PAGE_SZ));
	EXPECT_OK(map_dma(fd, VFIO_DMA_MAP_FLAG_READ, va, AP_START, PAGE_SZ));
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ, va));
	EXPECT_EQ(unmap_all(fd), PAGE_SZ);
}

CONF_TEST(vfio_map_dma_no_set_iommu_needed)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);

	EXPECT_OK(map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	EXPECT_EQ(huge_pages(fd, ioas), 1);
	EXPECT_EQ(vunmap(fd, 0x10000, PAGE_SZ), PAGE_SZ);
}

/* ---------------------------------------------------------------------- */
/* VFIO_IOMMU_UNMAP_DMA                                                    */
/* ---------------------------------------------------------------------- */

CONF_TEST(vfio_unmap_dma_checks_before_enodev)
{
	static const uint32_t bad_flags[] = {
		VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
		VFIO_DMA_UNMAP_FLAG_VADDR,
		VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR,
		VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
		1 << 3,
		UINT32_MAX,
	};
	int fd = conf_open();
	struct vfio_iommu_type1_dma_unmap cmd = { .size = 0x1000 };
	unsigned int i, pass;

	for (pass = 0; pass != 2; pass++) {
		conf_note("pass %u", pass);
		cmd.flags = 0;
		for (cmd.argsz = 0; cmd.argsz != sizeof(cmd); cmd.argsz++)
			EXPECT_ERRNO(EINVAL,
				     ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
		for (i = 0; i != ARRAY_LEN(bad_flags); i++) {
			cmd.flags = bad_flags[i];
			EXPECT_ERRNO(EINVAL,
				     ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
			EXPECT_EQ(cmd.size, 0x1000);
		}
		if (!pass) {
			cmd.flags = 0;
			EXPECT_ERRNO(ENODEV,
				     ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
			cmd.flags = VFIO_DMA_UNMAP_FLAG_ALL;
			EXPECT_ERRNO(ENODEV,
				     ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
			EXPECT_EQ(cmd.size, 0x1000);
			compat_ioas(fd);
		}
	}
}

CONF_TEST(vfio_unmap_dma_efault)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);
	struct vfio_iommu_type1_dma_unmap *g20 = conf_guarded(20);
	struct vfio_iommu_type1_dma_unmap *g24 = conf_guarded(24);
	struct vfio_iommu_type1_dma_unmap *ro = conf_mem(PAGE_SZ, 0);
	const struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = 4096, /* more than is there: 24 bytes are used */
		.iova = 0x10000,
		.size = PAGE_SZ,
	};

	EXPECT_OK(map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	EXPECT_ERRNO(EFAULT, ioctl(fd, VFIO_IOMMU_UNMAP_DMA, NULL));
	memcpy(g20, &cmd, 20);
	EXPECT_ERRNO(EFAULT, ioctl(fd, VFIO_IOMMU_UNMAP_DMA, g20));
	memcpy(g24, &cmd, 24);
	EXPECT_OK(ioctl(fd, VFIO_IOMMU_UNMAP_DMA, g24));
	EXPECT_EQ(g24->size, PAGE_SZ);
	/* A read-only argument: unmapped all the same, then EFAULT. */
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	memcpy(ro, &cmd, 24);
	conf_readonly(ro, PAGE_SZ);
	EXPECT_ERRNO(EFAULT, ioctl(fd, VFIO_IOMMU_UNMAP_DMA, ro));
	EXPECT_UNMAPPED(fd, ioas, va, 0x10000, PAGE_SZ);
}

CONF_TEST(vfio_unmap_dma_all_needs_zero_range)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);
	uint64_t size;

	EXPECT_OK(map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	size = PAGE_SZ;
	EXPECT_ERRNO(EINVAL,
		     unmap_dma(fd, VFIO_DMA_UNMAP_FLAG_ALL, 0x10000, &size));
	EXPECT_EQ(size, PAGE_SZ); /* not written */
	size = 0;
	EXPECT_ERRNO(EINVAL,
		     unmap_dma(fd, VFIO_DMA_UNMAP_FLAG_ALL, 0x10000, &size));
	size = UINT64_MAX;
	EXPECT_ERRNO(EINVAL, unmap_dma(fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, &size));
	EXPECT_EQ(size, UINT64_MAX);
	EXPECT_MAPPED(fd, ioas, va, 0x10000, PAGE_SZ);
}

CONF_TEST(vfio_unmap_dma_all_returns_total)
{
	int fd = conf_open_vfio();
	uint8_t *va = touched(4 * PAGE_SZ);
	uint32_t ioas = compat_ioas(fd);

	EXPECT_EQ(unmap_all(fd), 0);
	mock_domain(fd, ioas);
	EXPECT_OK(map_dma(fd, RW, va, AP_START, PAGE_SZ));
	EXPECT_OK(map_dma(fd, RW, va, AP_START + 0x100000, 3 * PAGE_SZ));
	EXPECT_OK(map_dma(fd, RW, va, AP_LAST + 1 - MOCK_PAGE, MOCK_PAGE));
	map_fixed(fd, ioas, va, 2 * PAGE_SZ, AP_START + 0x200000);
	EXPECT_EQ(unmap_all(fd), 6 * PAGE_SZ + MOCK_PAGE);
	EXPECT_EQ(unmap_all(fd), 0);
	EXPECT_OK(conf_check_refs(fd, va, 4 * PAGE_SZ, 0));
}

CONF_TEST(vfio_unmap_dma_nothing_there)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	/* The struct and 8 more bytes. */
	uint64_t arg[4];
	struct vfio_iommu_type1_dma_unmap *cmd = (void *)arg;
	const uint8_t *tail = (const uint8_t *)arg + sizeof(*cmd);

	compat_ioas(fd);
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	memset(arg, 0xaa, sizeof(arg));
	cmd->argsz = sizeof(arg);
	cmd->flags = 0;
	cmd->iova = 0x20000;
	cmd->size = 0x10000;
	EXPECT_OK(ioctl(fd, VFIO_IOMMU_UNMAP_DMA, cmd));
	/* 24 bytes written back, size 0; the rest untouched. */
	EXPECT_EQ(cmd->argsz, sizeof(arg));
	EXPECT_EQ(cmd->flags, 0);
	EXPECT_EQ(cmd->iova, 0x20000);
	EXPECT_EQ(cmd->size, 0);
	EXPECT_EQ(tail[0], 0xaa);
	EXPECT_EQ(tail[7], 0xaa);
	/* A range around a mapping takes it whole. */
	cmd->iova = 0;
	cmd->size = UINT64_MAX;
	EXPECT_OK(ioctl(fd, VFIO_IOMMU_UNMAP_DMA, cmd));
	EXPECT_EQ(cmd->size, PAGE_SZ);
	EXPECT_EQ(cmd->iova, 0);
}

CONF_TEST(vfio_unmap_dma_bad_range_writes_size)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);
	uint64_t size;

	EXPECT_OK(map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	/* Size 0: EINVAL, and size is written back (as 0). */
	size = 0;
	EXPECT_ERRNO(EINVAL, unmap_dma(fd, 0, 0x10000, &size));
	EXPECT_EQ(size, 0);
	/* Past the end of the IOVA space: EOVERFLOW, size set to 0. */
	size = 0x2000;
	EXPECT_ERRNO(EOVERFLOW, unmap_dma(fd, 0, UINT64_MAX - 0xfff, &size));
	EXPECT_EQ(size, 0);
	size = UINT64_MAX;
	EXPECT_ERRNO(EOVERFLOW, unmap_dma(fd, 0, 0x10000, &size));
	EXPECT_EQ(size, 0);
	EXPECT_MAPPED(fd, ioas, va, 0x10000, PAGE_SZ);
	/* Ending exactly at U64_MAX is fine. */
	size = UINT64_MAX - 0xffff;
	EXPECT_OK(unmap_dma(fd, 0, 0x10000, &size));
	EXPECT_EQ(size, PAGE_SZ);
}

CONF_TEST(vfio_unmap_dma_v2_partial_enoent)
{
	int fd = conf_open();
	uint8_t *va = touched(4 * PAGE_SZ);
	uint32_t ioas = compat_ioas(fd);
	uint64_t size;

	mock_domain(fd, ioas);
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1v2_IOMMU));
	EXPECT_OK(map_dma(fd, RW, va, AP_START, 4 * PAGE_SZ));
	size = PAGE_SZ;
	EXPECT_ERRNO(ENOENT, unmap_dma(fd, 0, AP_START + PAGE_SZ, &size));
	EXPECT_EQ(size, 0);
	size = PAGE_SZ;
	EXPECT_ERRNO(ENOENT, unmap_dma(fd, 0, AP_START, &size));
	size = 4 * PAGE_SZ;
	EXPECT_ERRNO(ENOENT, unmap_dma(fd, 0, AP_START + MOCK_PAGE, &size));
	size = 4 * PAGE_SZ;
	EXPECT_ERRNO(ENOENT, unmap_dma(fd, 0, AP_START - PAGE_SZ, &size));
	EXPECT_EQ(size, 0);
	/* Nothing changed. */
	EXPECT_OK(conf_check_refs(fd, va, 4 * PAGE_SZ, 1));
	EXPECT_MAPPED(fd, ioas, va, AP_START, 4 * PAGE_SZ);
}

CONF_TEST(vfio_unmap_dma_v2_enoent_after_progress)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);
	uint64_t size = 0x3000;

	EXPECT_OK(map_dma(fd, RW, va, 0x10000, 2 * PAGE_SZ));
	EXPECT_OK(map_dma(fd, RW, va, 0x12000, 2 * PAGE_SZ));
	/*
	 * The first mapping is inside the range and goes, the second sticks
	 * out: ENOENT, with size saying what was unmapped.
	 */
	EXPECT_ERRNO(ENOENT, unmap_dma(fd, 0, 0x10000, &size));
	EXPECT_EQ(size, 2 * PAGE_SZ);
	EXPECT_UNMAPPED(fd, ioas, va, 0x10000, 2 * PAGE_SZ);
	EXPECT_MAPPED(fd, ioas, va, 0x12000, 2 * PAGE_SZ);
}

CONF_TEST(vfio_unmap_dma_v1_splits_mapping)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(8 * PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);

	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, 8 * PAGE_SZ));
	/* A hole in the middle... */
	EXPECT_EQ(vunmap(fd, 0x13000, 2 * PAGE_SZ), 2 * PAGE_SZ);
	/* ...leaves two mappings, of the right memory. */
	EXPECT_NOT_ONE_AREA(fd, ioas, 0x10000, PAGE_SZ);
	EXPECT_NOT_ONE_AREA(fd, ioas, 0x15000, PAGE_SZ);
	EXPECT_MAPPED(fd, ioas, va, 0x10000, 3 * PAGE_SZ);
	EXPECT_MAPPED(fd, ioas, va + 5 * PAGE_SZ, 0x15000, 3 * PAGE_SZ);
	/* Head and tail of a piece. */
	EXPECT_EQ(vunmap(fd, 0x10000, PAGE_SZ), PAGE_SZ);
	EXPECT_EQ(vunmap(fd, 0x17000, PAGE_SZ), PAGE_SZ);
	EXPECT_MAPPED(fd, ioas, va + PAGE_SZ, 0x11000, 2 * PAGE_SZ);
	EXPECT_MAPPED(fd, ioas, va + 5 * PAGE_SZ, 0x15000, 2 * PAGE_SZ);
	EXPECT_EQ(unmap_all(fd), 4 * PAGE_SZ);
}

CONF_TEST(vfio_unmap_dma_v1_across_two_mappings)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(8 * PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);

	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, 4 * PAGE_SZ));
	EXPECT_OK(map_dma(fd, RW, va + 4 * PAGE_SZ, 0x20000, 4 * PAGE_SZ));
	/* From inside the first to inside the second, over the gap. */
	EXPECT_EQ(vunmap(fd, 0x13000, 0x20000 - 0x13000 + 2 * PAGE_SZ),
		  3 * PAGE_SZ);
	EXPECT_MAPPED(fd, ioas, va, 0x10000, 3 * PAGE_SZ);
	EXPECT_MAPPED(fd, ioas, va + 6 * PAGE_SZ, 0x22000, 2 * PAGE_SZ);
	EXPECT_EQ(unmap_all(fd), 5 * PAGE_SZ);
}

CONF_TEST(vfio_unmap_dma_v1_with_mock_domain)
{
	int fd = conf_open();
	uint8_t *va = touched(4 * PAGE_SZ);
	uint32_t ioas = compat_ioas(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);

	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_OK(map_dma(fd, RW, va, AP_START, 4 * PAGE_SZ));
	EXPECT_EQ(vunmap(fd, AP_START + PAGE_SZ, PAGE_SZ), PAGE_SZ);
	/* The domain follows: the rest mapped, the hole not. */
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START, PAGE_SZ, va));
	EXPECT_OK(conf_check_map(fd, dev.hwpt_id, AP_START + 2 * PAGE_SZ,
				 2 * PAGE_SZ, va + 2 * PAGE_SZ));
	EXPECT_ERRNO(EINVAL, conf_check_map(fd, dev.hwpt_id, AP_START + PAGE_SZ,
					    MOCK_PAGE, va + PAGE_SZ));
	/* The pieces share the pin of the pages still mapped. */
	EXPECT_OK(conf_check_refs(fd, va, PAGE_SZ, 1));
	EXPECT_OK(conf_check_refs(fd, va + PAGE_SZ, PAGE_SZ, 0));
	EXPECT_OK(conf_check_refs(fd, va + 2 * PAGE_SZ, 2 * PAGE_SZ, 1));
	/* No cut inside a 4 KiB page, 2 KiB IO pages notwithstanding. */
	EXPECT_ERRNO(EINVAL, unmap_dma(fd, 0, AP_START + 2 * PAGE_SZ,
				       &(uint64_t){ MOCK_PAGE }));
	EXPECT_EQ(unmap_all(fd), 3 * PAGE_SZ);
	EXPECT_OK(conf_check_refs(fd, va, 4 * PAGE_SZ, 0));
}

CONF_TEST(vfio_unmap_dma_v1_unaligned_cut_einval)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);
	uint64_t size;

	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, 4 * PAGE_SZ));
	/* Both cuts off a page boundary: EINVAL, size not written. */
	size = PAGE_SZ;
	EXPECT_ERRNO(EINVAL, unmap_dma(fd, 0, 0x10400, &size));
	EXPECT_EQ(size, PAGE_SZ);
	size = 0x400;
	EXPECT_ERRNO(EINVAL, unmap_dma(fd, 0, 0x11000, &size));
	EXPECT_EQ(size, 0x400);
	/* The end cut comes first: a bad end cuts nothing. */
	size = 0x1400;
	EXPECT_ERRNO(EINVAL, unmap_dma(fd, 0, 0x11000, &size));
	EXPECT_NOT_ONE_AREA(fd, ioas, 0x10000, PAGE_SZ);
	EXPECT_MAPPED(fd, ioas, va, 0x10000, 4 * PAGE_SZ);
}

CONF_TEST(vfio_unmap_dma_v1_failed_cut_keeps_end_cut)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);
	uint64_t size = 0x1400;

	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, 4 * PAGE_SZ));
	/*
	 * [0x10c00, 0x12000): the end cut (after 0x11fff) is made, the
	 * start cut (after 0x10bff) is not page-aligned: EINVAL, nothing
	 * unmapped, but the mapping stays cut in two at 0x12000.
	 */
	EXPECT_ERRNO(EINVAL, unmap_dma(fd, 0, 0x10c00, &size));
	EXPECT_EQ(size, 0x1400);
	EXPECT_MAPPED(fd, ioas, va + 2 * PAGE_SZ, 0x12000, 2 * PAGE_SZ);
	EXPECT_MAPPED(fd, ioas, va, 0x10000, 2 * PAGE_SZ);
	EXPECT_EQ(unmap_all(fd), 4 * PAGE_SZ);
}

CONF_TEST(vfio_unmap_dma_v1_size_zero_cuts_then_einval)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);
	uint64_t size = 0;

	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, 4 * PAGE_SZ));
	/*
	 * Size 0 at 0x12000: the cut before 0x12000 is made, then the
	 * unmap itself refuses the empty range (size written back as 0).
	 */
	EXPECT_ERRNO(EINVAL, unmap_dma(fd, 0, 0x12000, &size));
	EXPECT_EQ(size, 0);
	EXPECT_MAPPED(fd, ioas, va, 0x10000, 2 * PAGE_SZ);
	EXPECT_MAPPED(fd, ioas, va + 2 * PAGE_SZ, 0x12000, 2 * PAGE_SZ);
	EXPECT_EQ(vunmap(fd, 0x10000, 4 * PAGE_SZ), 4 * PAGE_SZ);
}

CONF_TEST(vfio_unmap_dma_v1_iova_zero)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);

	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_OK(map_dma(fd, RW, va, 0, 4 * PAGE_SZ));
	/* Only the end is cut. */
	EXPECT_EQ(vunmap(fd, 0, PAGE_SZ), PAGE_SZ);
	EXPECT_MAPPED(fd, ioas, va + PAGE_SZ, PAGE_SZ, 3 * PAGE_SZ);
	EXPECT_EQ(vunmap(fd, 0, 2 * PAGE_SZ), PAGE_SZ);
	EXPECT_EQ(unmap_all(fd), 2 * PAGE_SZ);
}

CONF_TEST(vfio_unmap_dma_mode_is_huge_pages_option)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(4 * PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);
	uint64_t size;

	/* Cutting follows IOMMU_OPTION_HUGE_PAGES, not VFIO_SET_IOMMU. */
	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			      ioas, &(uint64_t){ 0 }));
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, 4 * PAGE_SZ));
	EXPECT_EQ(vunmap(fd, 0x11000, PAGE_SZ), PAGE_SZ);
	EXPECT_OK(set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_OK(conf_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			      ioas, &(uint64_t){ 1 }));
	size = PAGE_SZ;
	EXPECT_ERRNO(ENOENT, unmap_dma(fd, 0, 0x12000, &size));
	EXPECT_EQ(size, 0);
	EXPECT_MAPPED(fd, ioas, va + 2 * PAGE_SZ, 0x12000, 2 * PAGE_SZ);
	EXPECT_EQ(unmap_all(fd), 3 * PAGE_SZ);
}

/* ---------------------------------------------------------------------- */
/* Other ioctl numbers                                                     */
/* ---------------------------------------------------------------------- */

CONF_TEST(vfio_other_container_ioctls_enotty)
{
	static const unsigned long cmds[] = {
		VFIO_GROUP_GET_STATUS,
		VFIO_GROUP_SET_CONTAINER,
		VFIO_GROUP_UNSET_CONTAINER,
		VFIO_GROUP_GET_DEVICE_FD,
		_IO(VFIO_TYPE, VFIO_BASE + 7), /* VFIO_DEVICE_GET_INFO */
		_IO(VFIO_TYPE, VFIO_BASE + 11), /* VFIO_DEVICE_RESET */
		VFIO_IOMMU_ENABLE,
		VFIO_IOMMU_DISABLE,
		VFIO_IOMMU_DIRTY_PAGES, /* = SPAPR_REGISTER_MEMORY */
		_IO(VFIO_TYPE, VFIO_BASE + 18), /* SPAPR_UNREGISTER_MEMORY */
		_IO(VFIO_TYPE, VFIO_BASE + 19), /* SPAPR_TCE_CREATE */
		_IO(VFIO_TYPE, VFIO_BASE + 20), /* SPAPR_TCE_REMOVE */
		_IO(VFIO_TYPE, VFIO_BASE + 21), /* EEH_PE_OP */
		_IO(VFIO_TYPE, VFIO_BASE + 27),
		_IO(VFIO_TYPE, 0x7f),
		_IO(VFIO_TYPE, 0),
		/* The VFIO numbers with size or direction bits. */
		_IOR(VFIO_TYPE, VFIO_BASE + 0, int),
		_IOW(VFIO_TYPE, VFIO_BASE + 1, int),
		_IOWR(VFIO_TYPE, VFIO_BASE + 12, struct vfio_iommu_type1_info),
		_IOW(VFIO_TYPE, VFIO_BASE + 13,
		     struct vfio_iommu_type1_dma_map),
		/* Another type. */
		_IO('V', VFIO_BASE + 0),
		_IO('V', VFIO_BASE + 13),
	};
	int fd = conf_open_vfio();
	uint8_t buf[INFO_BUF];
	unsigned int i;

	compat_ioas(fd);
	memset(buf, 0, sizeof(buf));
	put32(buf, sizeof(buf));
	for (i = 0; i != ARRAY_LEN(cmds); i++) {
		conf_note("cmd 0x%lx", cmds[i]);
		EXPECT_ERRNO(ENOTTY, ioctl(fd, cmds[i], buf));
	}
}

/* ---------------------------------------------------------------------- */
/* IOMMU_VFIO_IOAS                                                         */
/* ---------------------------------------------------------------------- */

CONF_TEST(vfio_ioas_reserved_and_op_eopnotsupp)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.op = IOMMU_VFIO_IOAS_SET,
		.__reserved = 1,
	};
	uint16_t op;

	/* __reserved is checked before the op. */
	for (op = 0; op != 5; op++) {
		cmd.op = op;
		conf_note("op %u", op);
		EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_VFIO_IOAS, &cmd));
	}
	cmd.__reserved = 0;
	cmd.op = IOMMU_VFIO_IOAS_CLEAR + 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_VFIO_IOAS, &cmd));
	cmd.op = UINT16_MAX;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_VFIO_IOAS, &cmd));
	EXPECT_ERRNO(ENODEV, vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, NULL));
}

CONF_TEST(vfio_ioas_size)
{
	int fd = conf_open_vfio();
	uint32_t ioas = ioas_alloc(fd);
	struct {
		struct iommu_vfio_ioas cmd;
		uint32_t tail;
	} big = {
		.cmd = { .ioas_id = ioas, .op = IOMMU_VFIO_IOAS_SET },
	};

	for (big.cmd.size = 0; big.cmd.size != 12; big.cmd.size++) {
		conf_note("size %u", big.cmd.size);
		EXPECT_ERRNO(EINVAL, ioctl(fd, IOMMU_VFIO_IOAS, &big));
	}
	EXPECT_ERRNO(ENODEV, vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, NULL));
	big.cmd.size = sizeof(big);
	big.tail = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, IOMMU_VFIO_IOAS, &big));
	big.tail = 0;
	EXPECT_OK(ioctl(fd, IOMMU_VFIO_IOAS, &big));
	/* GET writes back the 12 bytes of the struct only. */
	big.cmd.op = IOMMU_VFIO_IOAS_GET;
	big.cmd.ioas_id = 0xdead;
	EXPECT_OK(ioctl(fd, IOMMU_VFIO_IOAS, &big));
	EXPECT_EQ(big.cmd.size, sizeof(big));
	EXPECT_EQ(big.cmd.ioas_id, ioas);
	EXPECT_EQ(big.cmd.op, IOMMU_VFIO_IOAS_GET);
	EXPECT_EQ(big.cmd.__reserved, 0);
	EXPECT_EQ(big.tail, 0);
}

CONF_TEST(vfio_ioas_set_needs_an_ioas)
{
	int fd = conf_open();
	uint32_t ioas = ioas_alloc(fd);
	struct conf_mock_dev dev = mock_domain(fd, ioas);
	uint32_t ids[] = { 0,		dev.stdev_id, dev.idev_id,
			   dev.hwpt_id, 1000,	      UINT32_MAX };
	unsigned int i;

	for (i = 0; i != ARRAY_LEN(ids); i++) {
		conf_note("id %u", ids[i]);
		EXPECT_ERRNO(ENOENT,
			     vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ids[i]));
	}
	EXPECT_ERRNO(ENODEV, vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, NULL));
	/* A failed SET keeps the previous compat IOAS. */
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas));
	EXPECT_ERRNO(ENOENT, vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ids[3]));
	ids[0] = 0;
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &ids[0]));
	EXPECT_EQ(ids[0], ioas);
}

CONF_TEST(vfio_ioas_clear)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t ioas = ioas_alloc(fd), id = 7;

	/* Clearing nothing is fine, and ioas_id is ignored. */
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_CLEAR, &id));
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas));
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_CLEAR, &id));
	EXPECT_ERRNO(ENODEV, vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	EXPECT_ERRNO(ENODEV, map_dma(fd, RW, va, 0x20000, PAGE_SZ));
	/* The IOAS and its mappings stay. */
	EXPECT_MAPPED(fd, ioas, va, 0x10000, PAGE_SZ);
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas));
	EXPECT_EQ(unmap_all(fd), PAGE_SZ);
}

CONF_TEST(vfio_ioas_destroy_compat_ioas)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint8_t buf[INFO_BUF];
	uint32_t ioas = compat_ioas(fd), id = 0;
	uint64_t size = PAGE_SZ;

	EXPECT_OK(map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	/* Being the compat IOAS holds no reference. */
	EXPECT_OK(conf_destroy(fd, ioas));
	EXPECT_ERRNO(ENODEV, vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	EXPECT_ERRNO(ENODEV, map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	EXPECT_ERRNO(ENODEV, unmap_dma(fd, 0, 0x10000, &size));
	EXPECT_ERRNO(ENODEV, get_info(fd, buf, 24));
	EXPECT_ERRNO(ENODEV, set_iommu(fd, VFIO_TYPE1v2_IOMMU));
	EXPECT_ERRNO(ENODEV, check_ext(fd, VFIO_DMA_CC_IOMMU));
	/* A new IOAS with the same ID is not the compat IOAS. */
	EXPECT_EQ(ioas_alloc(fd), ioas);
	EXPECT_ERRNO(ENODEV, vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
}

CONF_TEST(vfio_ioas_set_switches_target)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t a = compat_ioas(fd), b = ioas_alloc(fd), id = 0;

	EXPECT_OK(map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &b));
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	EXPECT_EQ(id, b);
	EXPECT_OK(map_dma(fd, RW, va, 0x20000, PAGE_SZ));
	EXPECT_MAPPED(fd, b, va, 0x20000, PAGE_SZ);
	EXPECT_UNMAPPED(fd, b, va, 0x10000, PAGE_SZ);
	EXPECT_UNMAPPED(fd, a, va, 0x20000, PAGE_SZ);
	EXPECT_EQ(unmap_all(fd), PAGE_SZ);
	/* Setting the same IOAS again is fine. */
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &a));
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &a));
	EXPECT_EQ(unmap_all(fd), PAGE_SZ);
}

CONF_TEST(vfio_ioas_per_open_file)
{
	int a = conf_open_vfio(), b = conf_open_vfio(), c = conf_open();
	uint32_t ioas = compat_ioas(a), id = 0;

	EXPECT_ERRNO(ENODEV, vfio_ioas(b, IOMMU_VFIO_IOAS_GET, &id));
	EXPECT_ERRNO(ENODEV, vfio_ioas(c, IOMMU_VFIO_IOAS_GET, &id));
	/* IDs are per file too: the other file has no such IOAS. */
	EXPECT_ERRNO(ENOENT, vfio_ioas(b, IOMMU_VFIO_IOAS_SET, &ioas));
	EXPECT_EQ(compat_ioas(c), ioas);
	EXPECT_OK(vfio_ioas(a, IOMMU_VFIO_IOAS_GET, &id));
	EXPECT_EQ(id, ioas);
}

/* ---------------------------------------------------------------------- */
/* /dev/vfio/vfio                                                          */
/* ---------------------------------------------------------------------- */

CONF_TEST(vfio_dev_rlimit_mode_per_mm)
{
	int vfio = conf_open_vfio(), iommu = conf_open();

	EXPECT_EQ(option_get(vfio, IOMMU_OPTION_RLIMIT_MODE, 0), 1);
	EXPECT_EQ(option_get(iommu, IOMMU_OPTION_RLIMIT_MODE, 0), 0);
	ioas_alloc(vfio);
	EXPECT_EQ(option_get(vfio, IOMMU_OPTION_RLIMIT_MODE, 0), 1);
}

CONF_TEST(vfio_dev_is_an_iommufd)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t ioas = ioas_alloc(fd);

	/* The IOMMU_* ioctls all work there, IDs start at 1. */
	EXPECT_EQ(ioas, 1);
	map_fixed(fd, ioas, va, PAGE_SZ, 0x10000);
	EXPECT_EQ(ioas_alignment(fd, ioas), 1);
	EXPECT_EQ(huge_pages(fd, ioas), 1);
	EXPECT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas));
	EXPECT_EQ(unmap_all(fd), PAGE_SZ);
	ioas_destroy(fd, ioas);
}

/* ---------------------------------------------------------------------- */
/* Differences from VFIO's type1 driver                                    */
/* ---------------------------------------------------------------------- */

CONF_TEST(vfio_diff_no_spapr)
{
	int fd = conf_open_vfio();

	compat_ioas(fd);
	EXPECT_EQ(check_ext(fd, VFIO_SPAPR_TCE_IOMMU), 0);
	EXPECT_EQ(check_ext(fd, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	EXPECT_EQ(check_ext(fd, VFIO_EEH), 0);
	EXPECT_ERRNO(EINVAL, set_iommu(fd, VFIO_SPAPR_TCE_IOMMU));
	EXPECT_ERRNO(EINVAL, set_iommu(fd, VFIO_SPAPR_TCE_v2_IOMMU));
	/* VFIO_IOMMU_SPAPR_TCE_GET_INFO is VFIO_IOMMU_GET_INFO's number. */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, VFIO_IOMMU_ENABLE));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO(VFIO_TYPE, VFIO_BASE + 19), NULL));
}

CONF_TEST(vfio_diff_no_nesting)
{
	int fd = conf_open_vfio();

	compat_ioas(fd);
	EXPECT_EQ(check_ext(fd, VFIO_TYPE1_NESTING_IOMMU), 0);
	EXPECT_ERRNO(EINVAL, set_iommu(fd, VFIO_TYPE1_NESTING_IOMMU));
}

CONF_TEST(vfio_diff_no_update_vaddr)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);
	uint64_t size = PAGE_SZ;

	EXPECT_EQ(check_ext(fd, VFIO_UPDATE_VADDR), 0);
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	EXPECT_ERRNO(EINVAL,
		     unmap_dma(fd, VFIO_DMA_UNMAP_FLAG_VADDR, 0x10000, &size));
	EXPECT_ERRNO(EINVAL, map_dma(fd, VFIO_DMA_MAP_FLAG_VADDR, va, 0x10000,
				     PAGE_SZ));
	EXPECT_MAPPED(fd, ioas, va, 0x10000, PAGE_SZ);
}

CONF_TEST(vfio_diff_no_dirty_tracking)
{
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	uint32_t ioas = compat_ioas(fd);
	__u64 bitmap = 0;
	/* Each struct followed by its payload, as type1 expects them. */
	uint64_t dirty_arg[6] = {}, unmap_arg[6] = {};
	struct vfio_iommu_type1_dirty_bitmap *dirty = (void *)dirty_arg;
	struct vfio_iommu_type1_dirty_bitmap_get get = {
		.iova = 0x10000,
		.size = PAGE_SZ,
		.bitmap = { .pgsize = PAGE_SZ, .size = 8, .data = &bitmap },
	};
	struct vfio_iommu_type1_dma_unmap *unmap = (void *)unmap_arg;
	const struct vfio_bitmap unmap_bitmap = get.bitmap;

	dirty->argsz = sizeof(*dirty) + sizeof(get);
	dirty->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
	EXPECT_ERRNO(ENOTTY, ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, dirty));
	dirty->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
	EXPECT_ERRNO(ENOTTY, ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, dirty));
	memcpy(dirty->data, &get, sizeof(get));
	dirty->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	EXPECT_ERRNO(ENOTTY, ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, dirty));
	EXPECT_OK(map_dma(fd, RW, va, 0x10000, PAGE_SZ));
	unmap->argsz = sizeof(*unmap) + sizeof(unmap_bitmap);
	unmap->flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	unmap->iova = 0x10000;
	unmap->size = PAGE_SZ;
	memcpy(unmap->data, &unmap_bitmap, sizeof(unmap_bitmap));
	EXPECT_ERRNO(EINVAL, ioctl(fd, VFIO_IOMMU_UNMAP_DMA, unmap));
	EXPECT_MAPPED(fd, ioas, va, 0x10000, PAGE_SZ);
	/* No migration cap in the chain: argsz 72 is all of it. */
	EXPECT_INFO(fd, 72, ALL_PGSIZES, { 0, UINT64_MAX });
}

CONF_TEST(vfio_diff_no_dma_entry_limit)
{
	/* type1's default dma_entry_limit is U16_MAX mappings. */
	const unsigned int n = 65536 + 1;
	int fd = conf_open_vfio();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd),
		.flags = RW,
		.vaddr = (uintptr_t)va,
		.size = PAGE_SZ,
	};
	unsigned int i;

	compat_ioas(fd);
	for (i = 0; i != n; i++) {
		cmd.iova = (uint64_t)i * PAGE_SZ;
		if (ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd))
			conf_fail(__FILE__, __LINE__, "MAP_DMA number %u: %s",
				  i, conf_errname(errno));
	}
	/* And DMA_AVAIL still reports U32_MAX. */
	EXPECT_INFO(fd, 72, ALL_PGSIZES, { 0, UINT64_MAX });
	EXPECT_EQ(unmap_all(fd), (uint64_t)n * PAGE_SZ);
}

CONF_TEST(vfio_diff_dma_avail_u32_max)
{
	int fd = conf_open();
	uint8_t *va = touched(PAGE_SZ);
	uint32_t ioas = compat_ioas(fd);
	unsigned int i;

	EXPECT_INFO(fd, 40, ALL_PGSIZES, { 0, UINT64_MAX });
	/* Mappings do not count down. */
	mock_domain(fd, ioas);
	for (i = 0; i != 16; i++)
		EXPECT_OK(map_dma(fd, RW, va, AP_START + i * PAGE_SZ, PAGE_SZ));
	EXPECT_INFO(fd, 40, PAGE_SZ, { AP_START, AP_LAST });
	EXPECT_EQ(unmap_all(fd), 16 * PAGE_SZ);
}

CONF_TEST(vfio_diff_memlock_limit)
{
	int fd = conf_open_vfio();
	uint8_t *va = touched(32 * PAGE_SZ);
	uint32_t ioas = compat_ioas(fd);

	if (!conf_set_cap(CAP_IPC_LOCK, false))
		SKIP("cannot drop CAP_IPC_LOCK");
	if (!conf_set_memlock(16 * PAGE_SZ))
		SKIP("cannot lower RLIMIT_MEMLOCK");
	/* Without a domain nothing is pinned: no limit. */
	EXPECT_OK(map_dma(fd, RW, va, 0x100000, 32 * PAGE_SZ));
	EXPECT_EQ(unmap_all(fd), 32 * PAGE_SZ);
	/* With one, the pinned pages count against RLIMIT_MEMLOCK. */
	mock_domain(fd, ioas);
	EXPECT_ERRNO(ENOMEM, map_dma(fd, RW, va, AP_START, 17 * PAGE_SZ));
	EXPECT_OK(map_dma(fd, RW, va, AP_START, 12 * PAGE_SZ));
	EXPECT_ERRNO(ENOMEM, map_dma(fd, RW, va + 12 * PAGE_SZ,
				     AP_START + 0x100000, 5 * PAGE_SZ));
	EXPECT_OK(map_dma(fd, RW, va + 12 * PAGE_SZ, AP_START + 0x100000,
			  4 * PAGE_SZ));
	/* Unmapping gives the budget back. */
	EXPECT_EQ(vunmap(fd, AP_START, 12 * PAGE_SZ), 12 * PAGE_SZ);
	EXPECT_OK(map_dma(fd, RW, va + 16 * PAGE_SZ, AP_START, 12 * PAGE_SZ));
	EXPECT_EQ(unmap_all(fd), 16 * PAGE_SZ);
}

/* The start of the [vvar] mapping, a VM_PFNMAP | VM_IO range. */
static void *find_vvar(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long start = 0;

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[vvar]")) {
			sscanf(line, "%lx-", &start);
			break;
		}
	}
	fclose(f);
	return (void *)start;
}

CONF_TEST(vfio_diff_no_p2p_pfnmap)
{
	int fd = conf_open_vfio();
	uint8_t *vvar = find_vvar();
	uint32_t ioas = compat_ioas(fd);

	if (!vvar)
		SKIP("no [vvar] mapping");
	/* Without a domain nothing is pinned: accepted... */
	EXPECT_OK(map_dma(fd, VFIO_DMA_MAP_FLAG_READ, vvar, AP_START, PAGE_SZ));
	/* ...until a domain needs the pages. */
	EXPECT_ERRNO(EFAULT, conf_mock_domain(fd, false, ioas, 0, NULL));
	EXPECT_EQ(unmap_all(fd), PAGE_SZ);
	mock_domain(fd, ioas);
	EXPECT_ERRNO(EFAULT, map_dma(fd, VFIO_DMA_MAP_FLAG_READ, vvar, AP_START,
				     PAGE_SZ));
	EXPECT_ERRNO(EFAULT, map_dma(fd, 0, vvar, AP_START, PAGE_SZ));
	EXPECT_EQ(unmap_all(fd), 0);
}

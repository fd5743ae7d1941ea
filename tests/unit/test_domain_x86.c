// SPDX-License-Identifier: BSD-3-Clause
/*
 * The x86-64 domain format as an IOAS mirrors into it (what emulated
 * devices will translate through), and reserved regions of a device
 * becoming reserved IOVA of the IOAS it attaches to.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "device.h"
#include "domain_x86_64.h"
#include "mock_iommu.h"

#define SZ_4K 4096UL
#define SZ_2M (2UL << 20)

static uint32_t ioas_alloc(struct uiommufd_ctx *ctx)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	assert_int_equal(uiommufd_ioctl(ctx, IOMMU_IOAS_ALLOC, &cmd), 0);
	return cmd.out_ioas_id;
}

static int map_fixed(struct uiommufd_ctx *ctx, uint32_t ioas, void *va,
		     uint64_t len, uint64_t iova, uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return uiommufd_ioctl(ctx, IOMMU_IOAS_MAP, &cmd) ? -errno : 0;
}

static int unmap(struct uiommufd_ctx *ctx, uint32_t ioas, uint64_t iova,
		 uint64_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	return uiommufd_ioctl(ctx, IOMMU_IOAS_UNMAP, &cmd) ? -errno : 0;
}

/* A 2 MiB aligned, populated buffer of @len bytes. */
static char *aligned_buf(size_t len, void **raw)
{
	char *p;

	*raw = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(*raw != MAP_FAILED);
	p = (char *)(((uintptr_t)*raw + SZ_2M - 1) & ~(SZ_2M - 1));
	memset(p, 0x5a, len);
	return p;
}

static void x86_domain_mirrors_ioas(void **state)
{
	struct uiommufd_ctx *ctx = uiommufd_open();
	uint32_t ioas_id = ioas_alloc(ctx);
	struct iommufd_ioas *ioas = iommufd_get_ioas(ctx, ioas_id);
	struct iommu_domain *d = x86_domain_alloc(false);
	struct pgtable_x86_tlb tlb = { 0 };
	struct pgtable_x86 *pt;
	uint64_t pgsize, left;
	unsigned int prot;
	void *raw;
	char *buf = aligned_buf(2 * SZ_2M, &raw);

	(void)state;
	assert_non_null(d);
	pt = x86_domain_pgtable(d);
	/* Mapped before the attach: filled in by it. */
	assert_int_equal(map_fixed(ctx, ioas_id, buf, SZ_2M, 0x40000000,
				   IOMMU_IOAS_MAP_READABLE),
			 0);
	assert_int_equal(iopt_table_add_domain(&ioas->iopt, d), 0);
	/* Both sides 2 MiB aligned: one large entry, read-only. */
	assert_int_equal(pgtable_x86_iova_to_va(pt, 0x40000000 + 123, &prot,
						&pgsize),
			 (uintptr_t)buf + 123);
	assert_int_equal(pgsize, SZ_2M);
	assert_int_equal(prot, PGTABLE_PROT_READ);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, 0x40000000 + 8,
					       PGTABLE_PROT_WRITE, &left),
			 0);

	/* Mapped after: mirrored; an unaligned IOVA gets 4 KiB entries. */
	assert_int_equal(map_fixed(ctx, ioas_id, buf + SZ_2M, SZ_2M, 0x80001000,
				   IOMMU_IOAS_MAP_READABLE |
					   IOMMU_IOAS_MAP_WRITEABLE),
			 0);
	assert_int_equal(pgtable_x86_iova_to_va(pt, 0x80001000, NULL, &pgsize),
			 (uintptr_t)buf + SZ_2M);
	assert_int_equal(pgsize, SZ_4K);
	/* A device write lands in the user's memory. */
	*(volatile char *)pgtable_x86_translate(
		pt, &tlb, 0x80001000 + 77, PGTABLE_PROT_WRITE, &left) = 0x11;
	assert_int_equal(buf[SZ_2M + 77], 0x11);

	/* Unmapped from the IOAS: gone from the domain, and from the TLB. */
	assert_int_equal(unmap(ctx, ioas_id, 0x80001000, SZ_2M), 0);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, 0x80001000 + 77,
					       PGTABLE_PROT_WRITE, &left),
			 0);
	iopt_table_remove_domain(&ioas->iopt, d);
	assert_int_equal(pgtable_x86_iova_to_va(pt, 0x40000000, NULL, NULL), 0);
	iommu_domain_free(d);
	iommufd_put_object(&ioas->obj);
	uiommufd_close(ctx);
	munmap(raw, 2 * SZ_2M + SZ_2M);
}

static void x86_domain_dirty(void **state)
{
	struct uiommufd_ctx *ctx = uiommufd_open();
	uint32_t ioas_id = ioas_alloc(ctx);
	struct iommufd_ioas *ioas = iommufd_get_ioas(ctx, ioas_id);
	struct iommu_domain *d = x86_domain_alloc(true);
	struct pgtable_x86_tlb tlb = { 0 };
	void *raw;
	char *buf = aligned_buf(SZ_2M, &raw);

	(void)state;
	assert_int_equal(iopt_table_add_domain(&ioas->iopt, d), 0);
	assert_int_equal(map_fixed(ctx, ioas_id, buf, 16 * SZ_4K, 0x100000,
				   IOMMU_IOAS_MAP_READABLE |
					   IOMMU_IOAS_MAP_WRITEABLE),
			 0);
	assert_int_equal(iopt_set_dirty_tracking(&ioas->iopt, d, true), 0);
	assert_true(pgtable_x86_translate(x86_domain_pgtable(d), &tlb,
					  0x100000 + 3 * SZ_4K,
					  PGTABLE_PROT_WRITE, NULL));
	{
		struct iommu_hwpt_get_dirty_bitmap cmd = {
			.iova = 0x100000,
			.length = 16 * SZ_4K,
			.page_size = SZ_4K,
		};
		uint64_t bits = 0;

		cmd.data = (uintptr_t)&bits;
		assert_int_equal(iopt_read_and_clear_dirty_data(
					 &ioas->iopt, iommufd_umem_self(), d, 0,
					 &cmd),
				 0);
		assert_int_equal(bits, 1 << 3);
		bits = 0;
		assert_int_equal(iopt_read_and_clear_dirty_data(
					 &ioas->iopt, iommufd_umem_self(), d, 0,
					 &cmd),
				 0);
		assert_int_equal(bits, 0);
	}
	assert_int_equal(unmap(ctx, ioas_id, 0x100000, 16 * SZ_4K), 0);
	iopt_table_remove_domain(&ioas->iopt, d);
	iommu_domain_free(d);
	iommufd_put_object(&ioas->obj);
	uiommufd_close(ctx);
	munmap(raw, 2 * SZ_2M);
}

/* The IOVA ranges of @ioas, as IOMMU_IOAS_IOVA_RANGES reports them. */
static uint32_t iova_ranges(struct uiommufd_ctx *ctx, uint32_t ioas,
			    struct iommu_iova_range *r, uint32_t n)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = n,
		.allowed_iovas = (uintptr_t)r,
	};

	assert_int_equal(uiommufd_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES, &cmd), 0);
	return cmd.num_iovas;
}

static void device_reserved_regions(void **state)
{
	static const struct iommu_resv_region msi[] = {
		{ .start = 0x20000000, .last = 0x200fffff },
	};
	struct uiommufd_ctx *ctx = uiommufd_open();
	uint32_t ioas1 = ioas_alloc(ctx), ioas2 = ioas_alloc(ctx), pt_id, id;
	struct iommu_iova_range r[4];
	struct iommufd_device *idev;
	struct iommufd_dev *dev;
	char *buf = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	int err;

	(void)state;
	dev = mock_dev_create(0, &err);
	assert_non_null(dev);
	dev->resv_regions = msi;
	dev->nr_resv_regions = 1;
	idev = iommufd_device_bind(ctx, dev, &id, &err);
	assert_non_null(idev);

	/* Something mapped in the region: the attach is refused. */
	assert_int_equal(map_fixed(ctx, ioas1, buf, SZ_4K, 0x20001000,
				   IOMMU_IOAS_MAP_READABLE),
			 0);
	pt_id = ioas1;
	assert_int_equal(iommufd_device_attach(idev, &pt_id), -EADDRINUSE);
	assert_int_equal(unmap(ctx, ioas1, 0x20001000, SZ_4K), 0);

	pt_id = ioas1;
	assert_int_equal(iommufd_device_attach(idev, &pt_id), 0);
	/* The mock aperture, with the region cut out of it. */
	assert_int_equal(iova_ranges(ctx, ioas1, r, 4), 2);
	assert_int_equal(r[0].start, MOCK_APERTURE_START);
	assert_int_equal(r[0].last, 0x1fffffff);
	assert_int_equal(r[1].start, 0x20100000);
	assert_int_equal(r[1].last, MOCK_APERTURE_LAST);
	assert_int_equal(map_fixed(ctx, ioas1, buf, SZ_4K, 0x20001000,
				   IOMMU_IOAS_MAP_READABLE),
			 -EINVAL);

	/* Replaced onto another IOAS: the region moves with the device. */
	pt_id = ioas2;
	assert_int_equal(iommufd_device_replace(idev, &pt_id), 0);
	assert_int_equal(iova_ranges(ctx, ioas1, r, 4), 1);
	assert_int_equal(iova_ranges(ctx, ioas2, r, 4), 2);

	/* Detached: the IOAS is whole again. */
	iommufd_device_detach(idev);
	assert_int_equal(iova_ranges(ctx, ioas2, r, 4), 1);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, UINT64_MAX);

	iommufd_device_unbind(idev);
	mock_dev_destroy(dev);
	uiommufd_close(ctx);
	munmap(buf, SZ_4K);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(x86_domain_mirrors_ioas),
		cmocka_unit_test(x86_domain_dirty),
		cmocka_unit_test(device_reserved_regions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

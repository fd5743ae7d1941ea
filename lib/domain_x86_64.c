// SPDX-License-Identifier: BSD-3-Clause
/*
 * IOMMU domains in the x86-64 page-table format (pgtable_x86_64.c): what
 * emulated devices translate their DMA through. 48-bit aperture, 4 KiB,
 * 2 MiB and 1 GiB pages, dirty bits set by device writes.
 */
#include <errno.h>

#include "domain_x86_64.h"

struct x86_domain {
	struct iommu_domain domain;
	struct pgtable_x86 *pt;
	pthread_mutex_t lock; /* serialises map and unmap */
	bool dirty_tracking;
};

static struct x86_domain *to_x86(struct iommu_domain *domain)
{
	return container_of(domain, struct x86_domain, domain);
}

struct pgtable_x86 *x86_domain_pgtable(struct iommu_domain *domain)
{
	return to_x86(domain)->pt;
}

static int x86_map_pages(struct iommu_domain *domain, uint64_t iova,
			 uint64_t paddr, uint64_t pgsize, uint64_t pgcount,
			 int prot, uint64_t *mapped)
{
	struct x86_domain *d = to_x86(domain);
	unsigned int pprot = 0;
	int rc;

	if (prot & IOMMUFD_PROT_READ)
		pprot |= PGTABLE_PROT_READ;
	if (prot & IOMMUFD_PROT_WRITE)
		pprot |= PGTABLE_PROT_WRITE;
	pthread_mutex_lock(&d->lock);
	/* One call per page size, so the table uses exactly @pgsize. */
	rc = pgtable_x86_map(d->pt, iova, (uintptr_t)paddr, pgsize * pgcount,
			     pprot, pgsize);
	pthread_mutex_unlock(&d->lock);
	if (!rc)
		*mapped += pgsize * pgcount;
	return rc;
}

static uint64_t x86_unmap_pages(struct iommu_domain *domain, uint64_t iova,
				uint64_t pgsize, uint64_t pgcount)
{
	struct x86_domain *d = to_x86(domain);
	uint64_t ret;

	pthread_mutex_lock(&d->lock);
	pgtable_x86_unmap(d->pt, iova, pgsize * pgcount);
	pthread_mutex_unlock(&d->lock);
	/* A hole is not an error: the range is gone either way. */
	ret = pgsize * pgcount;
	return ret;
}

static uint64_t x86_iova_to_phys(struct iommu_domain *domain, uint64_t iova)
{
	return pgtable_x86_iova_to_va(to_x86(domain)->pt, iova, NULL, NULL);
}

static void x86_domain_free(struct iommu_domain *domain)
{
	struct x86_domain *d = to_x86(domain);

	pgtable_x86_free(d->pt);
	pthread_mutex_destroy(&d->lock);
	iommufd_free(d);
}

static const struct iommu_domain_ops x86_domain_ops = {
	.map_pages = x86_map_pages,
	.unmap_pages = x86_unmap_pages,
	.iova_to_phys = x86_iova_to_phys,
	.free = x86_domain_free,
};

static int x86_set_dirty_tracking(struct iommu_domain *domain, bool enable)
{
	to_x86(domain)->dirty_tracking = enable;
	return 0;
}

static void x86_record_dirty(uint64_t iova, uint64_t size, void *opaque)
{
	struct iommu_dirty_bitmap *dirty = opaque;

	if (dirty->record)
		dirty->record(dirty, iova, size);
}

static int x86_read_and_clear_dirty(struct iommu_domain *domain, uint64_t iova,
				    uint64_t size, unsigned long flags,
				    struct iommu_dirty_bitmap *dirty)
{
	struct x86_domain *d = to_x86(domain);

	if (!d->dirty_tracking && dirty->record)
		return -EINVAL;
	return pgtable_x86_read_and_clear_dirty(
		d->pt, iova, size,
		(flags & IOMMU_DIRTY_NO_CLEAR_FLAG) ? PGTABLE_DIRTY_NO_CLEAR :
						      0,
		x86_record_dirty, dirty);
}

static const struct iommu_dirty_ops x86_dirty_ops = {
	.set_dirty_tracking = x86_set_dirty_tracking,
	.read_and_clear_dirty = x86_read_and_clear_dirty,
};

struct iommu_domain *x86_domain_alloc(bool dirty_tracking)
{
	struct x86_domain *d = iommufd_zalloc(sizeof(*d));

	if (!d)
		return NULL;
	d->pt = pgtable_x86_alloc();
	if (!d->pt) {
		iommufd_free(d);
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	d->domain.type = IOMMU_DOMAIN_PAGING;
	d->domain.ops = &x86_domain_ops;
	d->domain.pgsize_bitmap = PGTABLE_X86_PGSIZES;
	d->domain.aperture_start = 0;
	d->domain.aperture_end = (1ULL << PGTABLE_X86_IOVA_BITS) - 1;
	if (dirty_tracking)
		d->domain.dirty_ops = &x86_dirty_ops;
	return &d->domain;
}

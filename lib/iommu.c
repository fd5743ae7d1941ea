// SPDX-License-Identifier: BSD-3-Clause
/*
 * The generic half of the IOMMU layer: splitting a range into the page
 * sizes a domain supports, and attaching devices. Mirrors the kernel's
 * iommu core where iommufd can observe the result (which page sizes the
 * driver is asked to map, in which order).
 */
#include <errno.h>

#include "iommu.h"

static inline unsigned int ffs64(uint64_t x)
{
	return (unsigned int)__builtin_ctzll(x);
}

static inline unsigned int fls64(uint64_t x)
{
	return 63 - (unsigned int)__builtin_clzll(x);
}

/* Bits 0..@h set. */
static inline uint64_t mask_upto(unsigned int h)
{
	return h >= 63 ? UINT64_MAX : (2ULL << h) - 1;
}

/*
 * The page size to map at (@iova, @paddr) with @size left, and how many
 * such pages to map before a larger size could take over.
 */
static uint64_t iommu_pgsize(const struct iommu_domain *domain, uint64_t iova,
			     uint64_t paddr, uint64_t size, uint64_t *count)
{
	uint64_t addr_merge = paddr | iova;
	uint64_t pgsizes, pgsize, pgsize_next, offset;
	unsigned int pgsize_idx;

	/* Sizes that fit in what is left, and that the addresses align to. */
	pgsizes = domain->pgsize_bitmap & mask_upto(fls64(size));
	if (addr_merge)
		pgsizes &= mask_upto(ffs64(addr_merge));
	pgsize_idx = fls64(pgsizes);
	pgsize = 1ULL << pgsize_idx;

	/* Stop where the next larger size becomes possible. */
	pgsizes = domain->pgsize_bitmap & ~mask_upto(pgsize_idx);
	if (pgsizes) {
		pgsize_next = 1ULL << ffs64(pgsizes);
		offset = pgsize_next - (addr_merge & (pgsize_next - 1));
		if (!((iova ^ paddr) & (pgsize_next - 1)) &&
		    offset + pgsize_next <= size)
			size = offset;
	}
	*count = size >> pgsize_idx;
	return pgsize;
}

int iommu_map(struct iommu_domain *domain, uint64_t iova, uint64_t paddr,
	      uint64_t size, int prot)
{
	uint64_t orig_iova = iova, orig_size = size, min_pagesz;
	int rc = 0;

	if (!domain->ops->map_pages || !domain->pgsize_bitmap)
		return -ENODEV;
	min_pagesz = 1ULL << ffs64(domain->pgsize_bitmap);
	if ((iova | paddr | size) & (min_pagesz - 1))
		return -EINVAL;
	while (size) {
		uint64_t count, pgsize, mapped = 0;

		pgsize = iommu_pgsize(domain, iova, paddr, size, &count);
		rc = domain->ops->map_pages(domain, iova, paddr, pgsize, count,
					    prot, &mapped);
		size -= mapped;
		if (rc)
			break;
		iova += mapped;
		paddr += mapped;
	}
	if (rc && orig_size != size)
		iommu_unmap(domain, orig_iova, orig_size - size);
	return rc;
}

uint64_t iommu_unmap(struct iommu_domain *domain, uint64_t iova, uint64_t size)
{
	uint64_t unmapped = 0, min_pagesz;

	if (!domain->ops->unmap_pages || !domain->pgsize_bitmap)
		return 0;
	min_pagesz = 1ULL << ffs64(domain->pgsize_bitmap);
	if ((iova | size) & (min_pagesz - 1))
		return 0;
	while (unmapped < size) {
		uint64_t count, pgsize, done;

		pgsize = iommu_pgsize(domain, iova, iova, size - unmapped,
				      &count);
		done = domain->ops->unmap_pages(domain, iova, pgsize, count);
		if (!done)
			break;
		iova += done;
		unmapped += done;
	}
	return unmapped;
}

void iommu_domain_free(struct iommu_domain *domain)
{
	if (domain && domain->ops->free)
		domain->ops->free(domain);
}

int iommu_attach_device(struct iommu_domain *domain, struct iommufd_dev *dev)
{
	int rc = 0;

	if (domain->ops->attach_dev)
		rc = domain->ops->attach_dev(domain, dev);
	if (!rc) {
		pthread_rwlock_wrlock(&dev->domain_lock);
		dev->domain = domain;
		pthread_rwlock_unlock(&dev->domain_lock);
	}
	return rc;
}

void iommu_detach_device(struct iommufd_dev *dev)
{
	pthread_rwlock_wrlock(&dev->domain_lock);
	dev->domain = dev->driver->blocked_domain;
	pthread_rwlock_unlock(&dev->domain_lock);
}

bool iommu_device_capable(struct iommufd_dev *dev, enum iommu_cap cap)
{
	return dev->driver->capable && dev->driver->capable(dev, cap);
}

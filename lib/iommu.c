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

int iommu_attach_device_handle(struct iommu_domain *domain,
			       struct iommufd_dev *dev, void *handle)
{
	int rc = 0;

	if (domain->ops->attach_dev)
		rc = domain->ops->attach_dev(domain, dev);
	if (!rc) {
		pthread_rwlock_wrlock(&dev->domain_lock);
		dev->domain = domain;
		dev->attach_handle = handle;
		pthread_rwlock_unlock(&dev->domain_lock);
	}
	return rc;
}

int iommu_attach_device(struct iommu_domain *domain, struct iommufd_dev *dev)
{
	return iommu_attach_device_handle(domain, dev, NULL);
}

void iommu_detach_device(struct iommufd_dev *dev)
{
	pthread_rwlock_wrlock(&dev->domain_lock);
	dev->domain = dev->driver->blocked_domain;
	dev->attach_handle = NULL;
	pthread_rwlock_unlock(&dev->domain_lock);
}

int iommu_dev_enable_iopf(struct iommufd_dev *dev)
{
	if (!dev->driver->enable_iopf)
		return -ENODEV;
	return dev->driver->enable_iopf(dev);
}

void iommu_dev_disable_iopf(struct iommufd_dev *dev)
{
	if (dev->driver->disable_iopf)
		dev->driver->disable_iopf(dev);
}

static void iommu_page_response(struct iommufd_dev *dev,
				const struct iommu_fault *fault,
				enum iommu_page_response_code code)
{
	if (dev->driver->page_response)
		dev->driver->page_response(dev, fault, code);
}

/*
 * Requests without the last-page flag would wait in the device for the
 * one that ends their group; no device here issues them (the selftest's
 * TRIGGER_IOPF always sets it), so every group is one request.
 */
int iommu_report_device_fault(struct iommufd_dev *dev,
			      const struct iommu_fault *fault)
{
	struct iommu_domain *domain;
	struct iopf_group *group;
	int rc = -EINVAL;

	pthread_rwlock_rdlock(&dev->domain_lock);
	domain = dev->domain;
	/*
	 * A PASID-tagged request reaches a PASID attachment (there are none
	 * here) or, with a guest-owned PASID table, the nested domain.
	 */
	if ((fault->flags & IOMMU_PGFAULT_FLAGS_PASID_VALID) &&
	    (!dev->driver->user_pasid_table || !domain ||
	     domain->type != IOMMU_DOMAIN_NESTED))
		domain = NULL;
	if (!domain || !domain->iopf_handler)
		goto out_error;
	if (!(fault->flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE))
		goto out_error;
	group = iommufd_zalloc(sizeof(*group));
	if (!group) {
		/* The kernel answers FAILURE when it cannot queue a group. */
		pthread_rwlock_unlock(&dev->domain_lock);
		iommu_page_response(dev, fault, IOMMU_PAGE_RESP_FAILURE);
		return 0;
	}
	list_init(&group->node);
	group->fault = *fault;
	group->dev = dev;
	group->domain = domain;
	group->attach_handle = dev->attach_handle;
	rc = domain->iopf_handler(group);
	pthread_rwlock_unlock(&dev->domain_lock);
	if (rc) {
		iopf_group_response(group, IOMMU_PAGE_RESP_FAILURE);
		iopf_free_group(group);
	}
	return 0;

out_error:
	pthread_rwlock_unlock(&dev->domain_lock);
	iommu_page_response(dev, fault, IOMMU_PAGE_RESP_INVALID);
	return rc;
}

void iopf_group_response(struct iopf_group *group,
			 enum iommu_page_response_code code)
{
	iommu_page_response(group->dev, &group->fault, code);
}

void iopf_free_group(struct iopf_group *group)
{
	iommufd_free(group);
}

int iommu_copy_struct_from_user(void *dst, const struct iommu_user_data *src,
				uint32_t type, size_t size, size_t min_size)
{
	if (src->type != type)
		return -EINVAL;
	if (src->len < min_size || src->len > size)
		return -EINVAL;
	return iommufd_copy_struct_from_user(src->umem, dst, size, src->uptr,
					     src->len);
}

int iommu_copy_struct_from_user_array(void *dst,
				      const struct iommu_user_data_array *array,
				      uint32_t type, uint32_t index,
				      size_t size, size_t min_size)
{
	struct iommu_user_data entry = {
		.type = array->type,
		.uptr = array->uptr + (uint64_t)array->entry_len * index,
		.len = array->entry_len,
		.umem = array->umem,
	};

	if (index >= array->entry_num)
		return -EINVAL;
	return iommu_copy_struct_from_user(dst, &entry, type, size, min_size);
}

bool iommu_device_capable(struct iommufd_dev *dev, enum iommu_cap cap)
{
	return dev->driver->capable && dev->driver->capable(dev, cap);
}

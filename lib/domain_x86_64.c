// SPDX-License-Identifier: BSD-3-Clause
/*
 * IOMMU domains in the x86-64 page-table format (pgtable_x86_64.c): what
 * emulated devices translate their DMA through. 48-bit aperture, 4 KiB,
 * 2 MiB and 1 GiB pages, dirty bits set by device writes.
 */
#include <errno.h>
#include <string.h>

#include "domain_x86_64.h"

struct x86_domain {
	struct iommu_domain domain;
	struct pgtable_x86 *pt;
	pthread_mutex_t lock; /* serialises map and unmap */
	/*
	 * Held for reading by device DMA while it copies, for writing by
	 * unmap: once an unmap returns, no device still touches the pages it
	 * took away, so the caller may unpin them (and the program free them).
	 */
	pthread_rwlock_t dma_lock;
	bool dirty_tracking;
};

static const struct iommu_domain_ops x86_domain_ops;

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
	pthread_rwlock_wrlock(&d->dma_lock);
	pgtable_x86_unmap(d->pt, iova, pgsize * pgcount);
	pthread_rwlock_unlock(&d->dma_lock);
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
	pthread_rwlock_destroy(&d->dma_lock);
	iommufd_free(d);
}

bool is_x86_domain(const struct iommu_domain *domain)
{
	return domain && domain->ops == &x86_domain_ops;
}

int x86_domain_dma(struct iommu_domain *domain, struct pgtable_x86_tlb *tlb,
		   uint64_t iova, void *buf, size_t len, bool write,
		   uint64_t *fault_iova)
{
	struct x86_domain *d = to_x86(domain);
	unsigned int access = write ? PGTABLE_PROT_WRITE : PGTABLE_PROT_READ;
	char *p = buf;
	int rc = 0;

	pthread_rwlock_rdlock(&d->dma_lock);
	while (len) {
		uint64_t left;
		uintptr_t host =
			pgtable_x86_translate(d->pt, tlb, iova, access, &left);
		size_t n;

		if (!host) {
			*fault_iova = iova;
			rc = -EFAULT;
			break;
		}
		n = left < len ? left : len;
		if (write)
			memcpy((void *)host, p, n);
		else
			memcpy(p, (const void *)host, n);
		p += n;
		iova += n;
		len -= n;
		/* A transfer running off the top of the IOVA space faults. */
		if (len && !iova) {
			*fault_iova = iova;
			rc = -EFAULT;
			break;
		}
	}
	pthread_rwlock_unlock(&d->dma_lock);
	return rc;
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
	pthread_rwlock_init(&d->dma_lock, NULL);
	d->domain.type = IOMMU_DOMAIN_PAGING;
	d->domain.ops = &x86_domain_ops;
	d->domain.pgsize_bitmap = PGTABLE_X86_PGSIZES;
	d->domain.aperture_start = 0;
	d->domain.aperture_end = (1ULL << PGTABLE_X86_IOVA_BITS) - 1;
	if (dirty_tracking)
		d->domain.dirty_ops = &x86_dirty_ops;
	return &d->domain;
}

/* ---- the IOMMU emulated devices sit behind --------------------------- */

static int x86_attach_dev(struct iommu_domain *domain, struct iommufd_dev *dev)
{
	(void)domain;
	(void)dev;
	return 0;
}

static const struct iommu_domain_ops x86_blocking_ops = {
	.attach_dev = x86_attach_dev,
};

static struct iommu_domain x86_blocking_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &x86_blocking_ops,
	.owner = &x86_iommu_driver,
};

static struct iommu_domain *
x86_domain_alloc_user(struct iommufd_dev *dev, uint32_t flags,
		      struct iommu_domain *parent,
		      const struct iommu_user_data *user_data, int *err)
{
	struct iommu_domain *domain;

	(void)dev;
	/* No nesting: this IOMMU has one stage. */
	if (parent || user_data ||
	    (flags & ~(uint32_t)IOMMU_HWPT_ALLOC_DIRTY_TRACKING)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	domain = x86_domain_alloc(flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	if (!domain) {
		*err = -ENOMEM;
		return NULL;
	}
	domain->owner = &x86_iommu_driver;
	return domain;
}

static bool x86_capable(struct iommufd_dev *dev, enum iommu_cap cap)
{
	(void)dev;
	return cap == IOMMU_CAP_CACHE_COHERENCY ||
	       cap == IOMMU_CAP_DIRTY_TRACKING;
}

const struct iommu_driver x86_iommu_driver = {
	.name = "uiommufd_x86",
	.domain_alloc_user = x86_domain_alloc_user,
	.capable = x86_capable,
	.blocked_domain = &x86_blocking_domain,
};

/* Where x86 IOMMUs put the interrupt window (IOMMU_RESV_MSI). */
const struct iommu_resv_region x86_msi_window = {
	.start = 0xfee00000,
	.last = 0xfeefffff,
};

/* SPDX-License-Identifier: BSD-3-Clause */
/* IOMMU domains over the x86-64 page-table format (domain_x86_64.c). */
#ifndef IOMMUFD_DOMAIN_X86_64_H
#define IOMMUFD_DOMAIN_X86_64_H

#include "io_pagetable.h"
#include "iommu.h"
#include "pgtable.h"

/* A paging domain; NULL on ENOMEM. With @dirty_tracking, dirty ops too. */
struct iommu_domain *x86_domain_alloc(bool dirty_tracking);
/* Its table, which devices translate through (pgtable_x86_translate()). */
struct pgtable_x86 *x86_domain_pgtable(struct iommu_domain *domain);

/*
 * The IOMMU in front of emulated devices: x86 paging domains, one stage
 * (no nesting), dirty tracking, no hardware info to report (type NONE).
 * Its devices cannot use the interrupt window @x86_msi_window.
 */
extern const struct iommu_driver x86_iommu_driver;
extern const struct iommu_resv_region x86_msi_window;

bool is_x86_domain(const struct iommu_domain *domain);

/*
 * A device's DMA through an x86 domain: copy @len bytes between @buf and
 * @iova (@write: into memory). Each page is translated through @tlb (the
 * device's own); a page not mapped, or not writable for a write, stops the
 * copy there with -EFAULT and *fault_iova set. Unmaps of the domain wait
 * for a copy in progress.
 */
int x86_domain_dma(struct iommu_domain *domain, struct pgtable_x86_tlb *tlb,
		   uint64_t iova, void *buf, size_t len, bool write,
		   uint64_t *fault_iova);

#endif /* IOMMUFD_DOMAIN_X86_64_H */

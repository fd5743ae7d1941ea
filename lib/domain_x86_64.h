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

#endif /* IOMMUFD_DOMAIN_X86_64_H */

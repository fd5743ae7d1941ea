/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The selftest mock IOMMU (mock_iommu.c), as IOMMU_TEST_CMD (selftest.c)
 * uses it.
 */
#ifndef IOMMUFD_MOCK_IOMMU_H
#define IOMMUFD_MOCK_IOMMU_H

#include "iommu.h"

enum {
	MOCK_IO_PAGE_SIZE = IOMMUFD_PAGE_SIZE / 2,
	MOCK_HUGE_PAGE_SIZE = 512 * MOCK_IO_PAGE_SIZE,
};

/* A mock entry: the mapped address / MOCK_IO_PAGE_SIZE, and flags. */
#define MOCK_PFN_MASK (UINT64_MAX / MOCK_IO_PAGE_SIZE)
#define MOCK_PFN_START_IOVA (MOCK_PFN_MASK + 1)
#define MOCK_PFN_LAST_IOVA MOCK_PFN_START_IOVA
#define MOCK_PFN_DIRTY_IOVA (MOCK_PFN_START_IOVA << 1)
#define MOCK_PFN_HUGE_IOVA (MOCK_PFN_START_IOVA << 2)
#define MOCK_PFN_PRESENT (MOCK_PFN_START_IOVA << 3)

struct iommufd_dev *mock_dev_create(unsigned long dev_flags, int *err);
void mock_dev_destroy(struct iommufd_dev *dev);

bool mock_domain_is_mock(const struct iommu_domain *domain);
/* The entry of the IO page at @iova; 0 when nothing is mapped there. */
uint64_t mock_domain_entry(struct iommu_domain *domain, uint64_t iova);
/* Mark the IO page at @iova dirty: -EINVAL when tracking is off. */
int mock_domain_set_dirty(struct iommu_domain *domain, uint64_t iova);
bool mock_domain_dirty_tracking(struct iommu_domain *domain);

bool mock_domain_is_nested(const struct iommu_domain *domain);
/* IOTLB entry @id of a nested mock domain: -EINVAL past the last. */
int mock_domain_nested_iotlb(struct iommu_domain *domain, unsigned int id,
			     uint32_t *value);
bool mock_dev_is_mock(const struct iommufd_dev *dev);
/* How many page responses the device got; the last one's code. */
unsigned int mock_dev_page_responses(struct iommufd_dev *dev, int *last_code);

#endif /* IOMMUFD_MOCK_IOMMU_H */

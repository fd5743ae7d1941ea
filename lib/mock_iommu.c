// SPDX-License-Identifier: BSD-3-Clause
/*
 * The mock IOMMU of the kernel's selftests: its devices and its page-table
 * format, with the semantics IOMMU_TEST_CMD checks.
 *
 * A mock domain translates in MOCK_IO_PAGE_SIZE units (half a CPU page, to
 * flush out sub-page bugs), optionally also in MOCK_HUGE_PAGE_SIZE units
 * for devices created with MOCK_FLAGS_DEVICE_HUGE_IOVA. Each IO page has
 * one entry: the address it maps divided by the IO page size, plus flags:
 * the first IO page of a map call is marked START and the last one LAST
 * (the same bit, as in the kernel's mock), pages of a huge mapping HUGE,
 * and pages a test made dirty DIRTY. The entries live in a two-level table
 * indexed by IOVA / MOCK_IO_PAGE_SIZE; the aperture ends below 2^31, so the
 * index fits 20 bits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mock_iommu.h"

enum {
	MOCK_DIRTY_TRACK = 1,
};

#define MOCK_LEAF_SHIFT 10
#define MOCK_LEAF_SIZE (1U << MOCK_LEAF_SHIFT)
#define MOCK_NR_LEAVES (1U << (20 - MOCK_LEAF_SHIFT))

struct mock_domain {
	struct iommu_domain domain;
	pthread_mutex_t lock;
	unsigned long flags;
	uint64_t *leaves[MOCK_NR_LEAVES];
};

/*
 * A nested mock domain: no translation of its own, only an IOTLB of
 * MOCK_NESTED_DOMAIN_IOTLB_NUM entries that start at the value the user
 * gave and that cache invalidations clear.
 */
struct mock_domain_nested {
	struct iommu_domain domain;
	struct mock_domain *parent;
	pthread_mutex_t lock;
	uint32_t iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM];
};

struct mock_dev {
	struct iommufd_dev dev;
	unsigned int id;
	/* Page responses the device got, for tests to look at. */
	atomic_uint nr_page_responses;
	_Atomic int last_page_response;
};

static struct mock_domain *to_mock(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

static const struct iommu_driver mock_driver;

/* ---- entries --------------------------------------------------------- */

static uint64_t *mock_slot(struct mock_domain *mock, uint64_t iova, bool create)
{
	uint64_t index = iova / MOCK_IO_PAGE_SIZE;
	uint64_t **leaf;

	if (index >= (uint64_t)MOCK_NR_LEAVES * MOCK_LEAF_SIZE)
		return NULL;
	leaf = &mock->leaves[index >> MOCK_LEAF_SHIFT];
	if (!*leaf && create)
		*leaf = iommufd_zalloc(MOCK_LEAF_SIZE * sizeof(**leaf));
	if (!*leaf)
		return NULL;
	return &(*leaf)[index & (MOCK_LEAF_SIZE - 1)];
}

uint64_t mock_domain_entry(struct iommu_domain *domain, uint64_t iova)
{
	struct mock_domain *mock = to_mock(domain);
	uint64_t *slot, ent;

	pthread_mutex_lock(&mock->lock);
	slot = mock_slot(mock, iova, false);
	ent = slot ? *slot : 0;
	pthread_mutex_unlock(&mock->lock);
	return ent;
}

/* ---- domain ops ------------------------------------------------------ */

static int mock_attach_dev(struct iommu_domain *domain, struct iommufd_dev *dev)
{
	if (domain->dirty_ops && (dev->flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		return -EINVAL;
	return 0;
}

static int mock_map_pages(struct iommu_domain *domain, uint64_t iova,
			  uint64_t paddr, uint64_t pgsize, uint64_t pgcount,
			  int prot, uint64_t *mapped)
{
	struct mock_domain *mock = to_mock(domain);
	uint64_t flags = MOCK_PFN_START_IOVA, start_iova = iova;

	(void)prot;
	/* The kernel's mock has its own failure point here. */
	if (iommufd_should_fail())
		return -ENOENT;
	pthread_mutex_lock(&mock->lock);
	for (; pgcount; pgcount--) {
		uint64_t cur;

		for (cur = 0; cur != pgsize; cur += MOCK_IO_PAGE_SIZE) {
			uint64_t *slot = mock_slot(mock, iova, true);

			if (!slot) {
				for (; start_iova != iova;
				     start_iova += MOCK_IO_PAGE_SIZE)
					*mock_slot(mock, start_iova, false) = 0;
				pthread_mutex_unlock(&mock->lock);
				return -ENOMEM;
			}
			if (pgcount == 1 && cur + MOCK_IO_PAGE_SIZE == pgsize)
				flags = MOCK_PFN_LAST_IOVA;
			if (pgsize != MOCK_IO_PAGE_SIZE)
				flags |= MOCK_PFN_HUGE_IOVA;
			*slot = (paddr / MOCK_IO_PAGE_SIZE) | flags |
				MOCK_PFN_PRESENT;
			iova += MOCK_IO_PAGE_SIZE;
			paddr += MOCK_IO_PAGE_SIZE;
			*mapped += MOCK_IO_PAGE_SIZE;
			flags = 0;
		}
	}
	pthread_mutex_unlock(&mock->lock);
	return 0;
}

static uint64_t mock_unmap_pages(struct iommu_domain *domain, uint64_t iova,
				 uint64_t pgsize, uint64_t pgcount)
{
	struct mock_domain *mock = to_mock(domain);
	uint64_t ret = 0;

	pthread_mutex_lock(&mock->lock);
	for (; pgcount; pgcount--) {
		uint64_t cur;

		for (cur = 0; cur != pgsize; cur += MOCK_IO_PAGE_SIZE) {
			uint64_t *slot = mock_slot(mock, iova, false);

			if (slot)
				*slot = 0;
			iova += MOCK_IO_PAGE_SIZE;
			ret += MOCK_IO_PAGE_SIZE;
		}
	}
	pthread_mutex_unlock(&mock->lock);
	return ret;
}

static uint64_t mock_iova_to_phys(struct iommu_domain *domain, uint64_t iova)
{
	uint64_t ent = mock_domain_entry(domain, iova);

	return (ent & MOCK_PFN_MASK) * MOCK_IO_PAGE_SIZE;
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *mock = to_mock(domain);
	unsigned int i;

	for (i = 0; i != MOCK_NR_LEAVES; i++)
		iommufd_free(mock->leaves[i]);
	pthread_mutex_destroy(&mock->lock);
	iommufd_free(mock);
}

static const struct iommu_domain_ops mock_domain_ops = {
	.attach_dev = mock_attach_dev,
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.free = mock_domain_free,
};

bool mock_domain_is_mock(const struct iommu_domain *domain)
{
	return domain->ops == &mock_domain_ops;
}

/* ---- dirty tracking -------------------------------------------------- */

static int mock_set_dirty_tracking(struct iommu_domain *domain, bool enable)
{
	struct mock_domain *mock = to_mock(domain);

	if (enable && !domain->dirty_ops)
		return -EINVAL;
	pthread_mutex_lock(&mock->lock);
	if (enable)
		mock->flags |= MOCK_DIRTY_TRACK;
	else
		mock->flags &= ~MOCK_DIRTY_TRACK;
	pthread_mutex_unlock(&mock->lock);
	return 0;
}

/* Caller holds mock->lock. */
static bool mock_test_and_clear_dirty(struct mock_domain *mock, uint64_t iova,
				      uint64_t page_size, unsigned long flags)
{
	uint64_t cur, end = iova + page_size - 1;
	bool dirty = false;

	for (cur = iova; cur < end; cur += MOCK_IO_PAGE_SIZE) {
		uint64_t *slot = mock_slot(mock, cur, false);

		if (!slot || !(*slot & MOCK_PFN_PRESENT) ||
		    !(*slot & MOCK_PFN_DIRTY_IOVA))
			continue;
		dirty = true;
		if (!(flags & IOMMU_DIRTY_NO_CLEAR_FLAG))
			*slot &= ~MOCK_PFN_DIRTY_IOVA;
	}
	return dirty;
}

static int mock_read_and_clear_dirty(struct iommu_domain *domain, uint64_t iova,
				     uint64_t size, unsigned long flags,
				     struct iommu_dirty_bitmap *dirty)
{
	struct mock_domain *mock = to_mock(domain);
	uint64_t end = iova + size;

	pthread_mutex_lock(&mock->lock);
	if (!(mock->flags & MOCK_DIRTY_TRACK) && dirty->record) {
		pthread_mutex_unlock(&mock->lock);
		return -EINVAL;
	}
	do {
		uint64_t pgsize = MOCK_IO_PAGE_SIZE, head;
		uint64_t *slot = mock_slot(mock, iova, false);

		if (!slot || !(*slot & MOCK_PFN_PRESENT)) {
			iova += pgsize;
			continue;
		}
		if (*slot & MOCK_PFN_HUGE_IOVA)
			pgsize = MOCK_HUGE_PAGE_SIZE;
		head = iova & ~(pgsize - 1);
		if (mock_test_and_clear_dirty(mock, head, pgsize, flags) &&
		    dirty->record)
			dirty->record(dirty, iova, pgsize);
		iova += pgsize;
	} while (iova < end);
	pthread_mutex_unlock(&mock->lock);
	return 0;
}

static const struct iommu_dirty_ops mock_dirty_ops = {
	.set_dirty_tracking = mock_set_dirty_tracking,
	.read_and_clear_dirty = mock_read_and_clear_dirty,
};

int mock_domain_set_dirty(struct iommu_domain *domain, uint64_t iova)
{
	struct mock_domain *mock = to_mock(domain);
	uint64_t *slot;
	int rc = 0;

	pthread_mutex_lock(&mock->lock);
	if (!(mock->flags & MOCK_DIRTY_TRACK)) {
		rc = -EINVAL;
	} else {
		slot = mock_slot(mock, iova, false);
		if (slot && (*slot & MOCK_PFN_PRESENT))
			*slot |= MOCK_PFN_DIRTY_IOVA;
		else
			rc = -ENOENT;
	}
	pthread_mutex_unlock(&mock->lock);
	return rc;
}

bool mock_domain_dirty_tracking(struct iommu_domain *domain)
{
	struct mock_domain *mock = to_mock(domain);
	bool on;

	pthread_mutex_lock(&mock->lock);
	on = mock->flags & MOCK_DIRTY_TRACK;
	pthread_mutex_unlock(&mock->lock);
	return on;
}

/* ---- nested domains ---------------------------------------------------- */

static struct mock_domain_nested *to_mock_nested(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain_nested, domain);
}

static int mock_cache_invalidate_user(struct iommu_domain *domain,
				      struct iommu_user_data_array *array)
{
	struct mock_domain_nested *nested = to_mock_nested(domain);
	struct iommu_hwpt_invalidate_selftest inv;
	uint32_t processed = 0, i, j;
	int rc = 0;

	if (array->type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
		rc = -EINVAL;
		goto out;
	}
	for (i = 0; i < array->entry_num; i++) {
		rc = iommu_copy_struct_from_user_array(
			&inv, array, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, i,
			sizeof(inv), sizeof(inv));
		if (rc)
			break;
		if (inv.flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		if (inv.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
			rc = -EINVAL;
			break;
		}
		pthread_mutex_lock(&nested->lock);
		if (inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			for (j = 0; j < MOCK_NESTED_DOMAIN_IOTLB_NUM; j++)
				nested->iotlb[j] = 0;
		} else {
			nested->iotlb[inv.iotlb_id] = 0;
		}
		pthread_mutex_unlock(&nested->lock);
		processed++;
	}
out:
	array->entry_num = processed;
	return rc;
}

static void mock_domain_free_nested(struct iommu_domain *domain)
{
	struct mock_domain_nested *nested = to_mock_nested(domain);

	pthread_mutex_destroy(&nested->lock);
	iommufd_free(nested);
}

static const struct iommu_domain_ops mock_nested_ops = {
	.attach_dev = mock_attach_dev,
	.cache_invalidate_user = mock_cache_invalidate_user,
	.free = mock_domain_free_nested,
};

bool mock_domain_is_nested(const struct iommu_domain *domain)
{
	return domain->ops == &mock_nested_ops;
}

int mock_domain_nested_iotlb(struct iommu_domain *domain, unsigned int id,
			     uint32_t *value)
{
	struct mock_domain_nested *nested = to_mock_nested(domain);

	if (id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX)
		return -EINVAL;
	pthread_mutex_lock(&nested->lock);
	*value = nested->iotlb[id];
	pthread_mutex_unlock(&nested->lock);
	return 0;
}

static struct iommu_domain *
mock_domain_alloc_nested(struct iommu_domain *parent,
			 const struct iommu_user_data *user_data, int *err)
{
	struct iommu_hwpt_selftest user_cfg;
	struct mock_domain_nested *nested;
	unsigned int i;
	int rc;

	if (!mock_domain_is_mock(parent)) {
		*err = -EINVAL;
		return NULL;
	}
	rc = iommu_copy_struct_from_user(&user_cfg, user_data,
					 IOMMU_HWPT_DATA_SELFTEST,
					 sizeof(user_cfg), sizeof(user_cfg));
	if (rc) {
		*err = rc;
		return NULL;
	}
	nested = iommufd_zalloc(sizeof(*nested));
	if (!nested) {
		*err = -ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&nested->lock, NULL);
	nested->parent = to_mock(parent);
	nested->domain.type = IOMMU_DOMAIN_NESTED;
	nested->domain.ops = &mock_nested_ops;
	nested->domain.owner = &mock_driver;
	for (i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		nested->iotlb[i] = user_cfg.iotlb;
	return &nested->domain;
}

/* ---- the driver ------------------------------------------------------ */

static struct iommu_domain *mock_domain_alloc_paging(struct iommufd_dev *dev)
{
	struct mock_domain *mock = iommufd_zalloc(sizeof(*mock));

	if (!mock)
		return NULL;
	pthread_mutex_init(&mock->lock, NULL);
	mock->domain.type = IOMMU_DOMAIN_PAGING;
	mock->domain.ops = &mock_domain_ops;
	mock->domain.owner = &mock_driver;
	mock->domain.aperture_start = MOCK_APERTURE_START;
	mock->domain.aperture_end = MOCK_APERTURE_LAST;
	mock->domain.pgsize_bitmap = MOCK_IO_PAGE_SIZE;
	if (dev && (dev->flags & MOCK_FLAGS_DEVICE_HUGE_IOVA))
		mock->domain.pgsize_bitmap |= MOCK_HUGE_PAGE_SIZE;
	return &mock->domain;
}

static struct iommu_domain *
mock_domain_alloc_user(struct iommufd_dev *dev, uint32_t flags,
		       struct iommu_domain *parent,
		       const struct iommu_user_data *user_data, int *err)
{
	bool has_dirty_flag = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	bool no_dirty_ops = dev->flags & MOCK_FLAGS_DEVICE_NO_DIRTY;
	struct iommu_domain *domain;

	if (parent) {
		if (!user_data || user_data->type != IOMMU_HWPT_DATA_SELFTEST ||
		    flags) {
			*err = -EOPNOTSUPP;
			return NULL;
		}
		return mock_domain_alloc_nested(parent, user_data, err);
	}
	if (flags &
	    ~(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if (user_data || (has_dirty_flag && no_dirty_ops)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	domain = mock_domain_alloc_paging(dev);
	if (!domain) {
		*err = -ENOMEM;
		return NULL;
	}
	if (has_dirty_flag)
		domain->dirty_ops = &mock_dirty_ops;
	return domain;
}

static void *mock_hw_info(struct iommufd_dev *dev, uint32_t *length,
			  uint32_t *type, int *err)
{
	struct iommu_test_hw_info *info = iommufd_zalloc(sizeof(*info));

	(void)dev;
	if (!info) {
		*err = -ENOMEM;
		return NULL;
	}
	info->test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL;
	*length = sizeof(*info);
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return info;
}

static bool mock_capable(struct iommufd_dev *dev, enum iommu_cap cap)
{
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_DIRTY_TRACKING:
		return !(dev->flags & MOCK_FLAGS_DEVICE_NO_DIRTY);
	}
	return false;
}

/* The kernel's mock has an IOPF queue, so any of its devices may fault. */
static int mock_enable_iopf(struct iommufd_dev *dev)
{
	(void)dev;
	return 0;
}

static void mock_page_response(struct iommufd_dev *dev,
			       const struct iommu_fault *fault,
			       enum iommu_page_response_code code)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);

	(void)fault;
	atomic_store(&mdev->last_page_response, (int)code);
	atomic_fetch_add(&mdev->nr_page_responses, 1);
}

bool mock_dev_is_mock(const struct iommufd_dev *dev)
{
	return dev->driver == &mock_driver;
}

unsigned int mock_dev_page_responses(struct iommufd_dev *dev, int *last_code)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);

	*last_code = atomic_load(&mdev->last_page_response);
	return atomic_load(&mdev->nr_page_responses);
}

static const struct iommu_domain_ops mock_blocking_ops = {
	.attach_dev = mock_attach_dev,
};

static struct iommu_domain mock_blocking_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &mock_blocking_ops,
	.owner = &mock_driver,
};

static const struct iommu_driver mock_driver = {
	.name = "iommufd_mock",
	.hw_info = mock_hw_info,
	.domain_alloc_user = mock_domain_alloc_user,
	.capable = mock_capable,
	.enable_iopf = mock_enable_iopf,
	.page_response = mock_page_response,
	.user_pasid_table = true,
	.blocked_domain = &mock_blocking_domain,
};

/* Mock device numbers, like the kernel's ida: lowest free first. */
static pthread_mutex_t mock_ids_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t mock_ids_used[64];

static int mock_id_alloc(void)
{
	unsigned int i;
	int id = -ENOSPC;

	pthread_mutex_lock(&mock_ids_lock);
	for (i = 0; i != 64 * 64; i++) {
		if (!(mock_ids_used[i / 64] & (1ULL << (i % 64)))) {
			mock_ids_used[i / 64] |= 1ULL << (i % 64);
			id = (int)i;
			break;
		}
	}
	pthread_mutex_unlock(&mock_ids_lock);
	return id;
}

static void mock_id_free(unsigned int id)
{
	pthread_mutex_lock(&mock_ids_lock);
	mock_ids_used[id / 64] &= ~(1ULL << (id % 64));
	pthread_mutex_unlock(&mock_ids_lock);
}

struct iommufd_dev *mock_dev_create(unsigned long dev_flags, int *err)
{
	struct mock_dev *mdev;
	int id;

	if (dev_flags & ~(unsigned long)(MOCK_FLAGS_DEVICE_NO_DIRTY |
					 MOCK_FLAGS_DEVICE_HUGE_IOVA)) {
		*err = -EINVAL;
		return NULL;
	}
	mdev = iommufd_zalloc(sizeof(*mdev));
	if (!mdev) {
		*err = -ENOMEM;
		return NULL;
	}
	id = mock_id_alloc();
	if (id < 0) {
		iommufd_free(mdev);
		*err = id;
		return NULL;
	}
	mdev->id = (unsigned int)id;
	mdev->dev.driver = &mock_driver;
	mdev->dev.domain = &mock_blocking_domain;
	mdev->dev.flags = dev_flags;
	pthread_rwlock_init(&mdev->dev.domain_lock, NULL);
	return &mdev->dev;
}

void mock_dev_destroy(struct iommufd_dev *dev)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);

	mock_id_free(mdev->id);
	pthread_rwlock_destroy(&mdev->dev.domain_lock);
	iommufd_free(mdev);
}

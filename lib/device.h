/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Devices bound to a context and the hardware page tables they attach to.
 *
 * An iommufd_device is an object standing for one bound iommufd_dev. It is
 * attached to at most one HWPT at a time (@hwpt, under @lock); the HWPT
 * holds a user reference for each attached device, so it cannot be
 * destroyed under them. A paging HWPT wraps an IOMMU domain that mirrors
 * one IOAS; the IOAS lists them (hwpt_list) so that attaching a device to
 * the IOAS can reuse a compatible automatic one.
 *
 * Lock order: ioas->mutex, then idev->lock, then the io_pagetable locks.
 */
#ifndef IOMMUFD_DEVICE_H
#define IOMMUFD_DEVICE_H

#include "io_pagetable.h"
#include "iommu.h"

struct iommufd_hw_pagetable {
	struct iommufd_object obj;
	struct iommu_domain *domain;
};

struct iommufd_hwpt_paging {
	struct iommufd_hw_pagetable common;
	struct iommufd_ioas *ioas;
	bool auto_domain;
	bool nest_parent;
	bool enforce_cache_coherency;
	struct list_head hwpt_item; /* in ioas->hwpt_list; empty when not */
};

struct iommufd_device {
	struct iommufd_object obj;
	struct uiommufd_ctx *ictx;
	struct iommufd_dev *dev;
	pthread_mutex_t lock;
	struct iommufd_hw_pagetable *hwpt; /* NULL when detached */
	bool enforce_cache_coherency;
};

static inline struct iommufd_hwpt_paging *
to_hwpt_paging(struct iommufd_hw_pagetable *hwpt)
{
	if (!hwpt || hwpt->obj.type != IOMMUFD_OBJ_HWPT_PAGING)
		return NULL;
	return container_of(hwpt, struct iommufd_hwpt_paging, common);
}

/* device.c */
struct iommufd_device *iommufd_device_bind(struct uiommufd_ctx *ictx,
					   struct iommufd_dev *dev,
					   uint32_t *id, int *err);
void iommufd_device_unbind(struct iommufd_device *idev);
int iommufd_device_attach(struct iommufd_device *idev, uint32_t *pt_id);
int iommufd_device_replace(struct iommufd_device *idev, uint32_t *pt_id);
void iommufd_device_detach(struct iommufd_device *idev);
void iommufd_device_destroy(struct iommufd_object *obj);
struct iommufd_device *iommufd_get_device(struct uiommufd_ctx *ictx,
					  uint32_t id);
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd);

/* hw_pagetable.c */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct uiommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, uint32_t flags,
			  bool immediate_attach,
			  const struct iommu_user_data *user_data, int *err);
int iommufd_hw_pagetable_attach(struct iommufd_hw_pagetable *hwpt,
				struct iommufd_device *idev);
struct iommufd_hw_pagetable *
iommufd_hw_pagetable_detach(struct iommufd_device *idev);
int iommufd_device_reserve_iova(struct iommufd_device *idev,
				struct iommufd_hw_pagetable *hwpt);
void iommufd_device_unreserve_iova(struct iommufd_device *idev,
				   struct iommufd_hw_pagetable *hwpt);
void iommufd_hw_pagetable_put(struct uiommufd_ctx *ictx,
			      struct iommufd_hw_pagetable *hwpt);
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj);
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd);

#endif /* IOMMUFD_DEVICE_H */

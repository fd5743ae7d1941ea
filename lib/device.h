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

#include "file.h"
#include "io_pagetable.h"
#include "iommu.h"

/*
 * A fault queue (fault.c): page requests of devices on HWPTs allocated
 * with it wait in @deliver until read; read ones wait for their answer.
 */
struct iommufd_fault {
	struct iommufd_object obj;
	struct uiommufd_ctx *ictx;
	struct uiommufd_file file;
	/* Serialises readers, writers and auto-responses. */
	pthread_mutex_t mutex;
	/* Guards @deliver and the eventfd's state; taken under @mutex. */
	pthread_mutex_t lock;
	struct list_head deliver;
	/*
	 * Groups read and not yet answered, by cookie: @response[cookie],
	 * cookies from 1, the lowest free one first (the kernel's xarray).
	 */
	struct iopf_group **response;
	uint32_t response_size;
	int eventfd;
	bool readable; /* what the eventfd says */
};

struct iommufd_hw_pagetable {
	struct iommufd_object obj;
	struct iommu_domain *domain;
	/* Where page requests of its devices go (holds a user); or NULL */
	struct iommufd_fault *fault;
};

struct iommufd_hwpt_paging {
	struct iommufd_hw_pagetable common;
	struct iommufd_ioas *ioas;
	bool auto_domain;
	bool nest_parent;
	bool enforce_cache_coherency;
	struct list_head hwpt_item; /* in ioas->hwpt_list; empty when not */
};

/*
 * A nested HWPT: a domain whose first stage the user manages (a guest's
 * page table), translated through its @parent's, on which it holds a user.
 */
struct iommufd_hwpt_nested {
	struct iommufd_hw_pagetable common;
	struct iommufd_hwpt_paging *parent;
};

/*
 * What a device attached to a HWPT with a fault queue is attached
 * through: its page requests carry it, so that leaving the HWPT answers
 * exactly those still pending from this attachment.
 */
struct iommufd_attach_handle {
	struct iommufd_device *idev;
};

struct iommufd_device {
	struct iommufd_object obj;
	struct uiommufd_ctx *ictx;
	struct iommufd_dev *dev;
	pthread_mutex_t lock;
	struct iommufd_hw_pagetable *hwpt; /* NULL when detached */
	bool enforce_cache_coherency;
	unsigned int iopf_enabled; /* attachments needing IOPF; under @lock */
};

static inline struct iommufd_hwpt_paging *
to_hwpt_paging(struct iommufd_hw_pagetable *hwpt)
{
	if (!hwpt || hwpt->obj.type != IOMMUFD_OBJ_HWPT_PAGING)
		return NULL;
	return container_of(hwpt, struct iommufd_hwpt_paging, common);
}

static inline struct iommufd_hwpt_nested *
to_hwpt_nested(struct iommufd_hw_pagetable *hwpt)
{
	if (!hwpt || hwpt->obj.type != IOMMUFD_OBJ_HWPT_NESTED)
		return NULL;
	return container_of(hwpt, struct iommufd_hwpt_nested, common);
}

/* The paging HWPT whose IOAS @hwpt translates through: a nested one's
 * parent. */
static inline struct iommufd_hwpt_paging *
find_hwpt_paging(struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_nested *hwpt_nested = to_hwpt_nested(hwpt);

	return hwpt_nested ? hwpt_nested->parent : to_hwpt_paging(hwpt);
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
void iommufd_hwpt_nested_destroy(struct iommufd_object *obj);
/* Move @idev's attachment from @old to @hwpt; caller holds idev->lock */
int iommufd_hwpt_replace_device(struct iommufd_device *idev,
				struct iommufd_hw_pagetable *hwpt,
				struct iommufd_hw_pagetable *old);
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd);

/* fault.c */
struct iommufd_fault *iommufd_get_fault(struct uiommufd_ctx *ictx, uint32_t id);
/* Let @idev issue page requests (counted); caller holds idev->lock. */
int iommufd_fault_iopf_enable(struct iommufd_device *idev);
void iommufd_fault_iopf_disable(struct iommufd_device *idev);
/* The iopf_handler of a HWPT's domain: queue @group for reading. */
int iommufd_fault_iopf_handler(struct iopf_group *group);
/* Answer INVALID every request of @hwpt's queue that came via @handle. */
void iommufd_auto_response_faults(struct iommufd_hw_pagetable *hwpt,
				  struct iommufd_attach_handle *handle);
void iommufd_fault_destroy(struct iommufd_object *obj);
/* The fault queue file behind @fd, referenced; NULL if it is none. */
struct uiommufd_file *iommufd_fault_file_get(struct uiommufd_ctx *ictx, int fd);
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd);

#endif /* IOMMUFD_DEVICE_H */

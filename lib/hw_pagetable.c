// SPDX-License-Identifier: BSD-3-Clause
/*
 * Hardware page tables (HWPT): paging ones wrap an IOMMU domain that
 * mirrors an IOAS. Made explicitly by IOMMU_HWPT_ALLOC, or automatically
 * when a device attaches to an IOAS (an "auto domain", destroyed with its
 * last device). Nested ones wrap a domain the user manages on top of a
 * paging parent made with NEST_PARENT; only they take cache invalidations
 * and, given a fault queue, page requests.
 */
#include <errno.h>

#include "device.h"

/* Caller holds ioas->mutex, or is the last user. */
static void hwpt_paging_unlink(struct iommufd_hwpt_paging *hwpt_paging)
{
	if (list_empty(&hwpt_paging->hwpt_item))
		return;
	list_del_init(&hwpt_paging->hwpt_item);
	iopt_table_remove_domain(&hwpt_paging->ioas->iopt,
				 hwpt_paging->common.domain);
}

static void hwpt_free(struct iommufd_hw_pagetable *hwpt)
{
	iommu_domain_free(hwpt->domain);
	hwpt->domain = NULL;
	if (hwpt->fault)
		iommufd_put_object(&hwpt->fault->obj);
	hwpt->fault = NULL;
}

static void hwpt_paging_free(struct iommufd_hwpt_paging *hwpt_paging)
{
	hwpt_free(&hwpt_paging->common);
	iommufd_put_object(&hwpt_paging->ioas->obj);
}

void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt_paging =
		container_of(obj, struct iommufd_hwpt_paging, common.obj);
	struct iommufd_ioas *ioas = hwpt_paging->ioas;

	pthread_mutex_lock(&ioas->mutex);
	hwpt_paging_unlink(hwpt_paging);
	pthread_mutex_unlock(&ioas->mutex);
	hwpt_paging_free(hwpt_paging);
}

/* As destroy, for a HWPT never published; the caller holds ioas->mutex. */
void iommufd_hwpt_paging_abort(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt_paging =
		container_of(obj, struct iommufd_hwpt_paging, common.obj);

	hwpt_paging_unlink(hwpt_paging);
	hwpt_paging_free(hwpt_paging);
}

void iommufd_hwpt_nested_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_nested *hwpt_nested =
		container_of(obj, struct iommufd_hwpt_nested, common.obj);

	hwpt_free(&hwpt_nested->common);
	iommufd_put_object(&hwpt_nested->parent->common.obj);
}

/*
 * A paging HWPT on @ioas for domains @idev can use. With
 * @immediate_attach, @idev is attached before the domain is filled (as the
 * kernel does for automatic domains, so a driver may refuse early). The
 * object is reserved but not published: the caller finalizes or aborts
 * it. Caller holds ioas->mutex.
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct uiommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, uint32_t flags,
			  bool immediate_attach,
			  const struct iommu_user_data *user_data, int *err)
{
	const uint32_t valid_flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
				     IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	const struct iommu_driver *driver = idev->dev->driver;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_hw_pagetable *hwpt;
	int rc;

	if ((flags || user_data) && !driver->domain_alloc_user) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if (flags & ~valid_flags) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !iommu_device_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}

	hwpt_paging = iommufd_object_alloc(ictx, hwpt_paging,
					   IOMMUFD_OBJ_HWPT_PAGING);
	if (!hwpt_paging) {
		*err = -errno;
		return NULL;
	}
	hwpt = &hwpt_paging->common;
	list_init(&hwpt_paging->hwpt_item);
	atomic_fetch_add(&ioas->obj.users, 1);
	hwpt_paging->ioas = ioas;
	hwpt_paging->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;

	hwpt->domain = driver->domain_alloc_user(idev->dev, flags, NULL,
						 user_data, &rc);
	if (!hwpt->domain)
		goto out_abort;
	hwpt->domain->owner = driver;

	if (immediate_attach) {
		rc = iommufd_hw_pagetable_attach(hwpt, idev);
		if (rc)
			goto out_abort;
	}
	rc = iopt_table_add_domain(&ioas->iopt, hwpt->domain);
	if (rc)
		goto out_detach;
	list_add_tail(&hwpt_paging->hwpt_item, &ioas->hwpt_list);
	return hwpt_paging;

out_detach:
	if (immediate_attach)
		iommufd_hw_pagetable_detach(idev);
out_abort:
	iommufd_object_abort_and_destroy(ictx, &hwpt->obj);
	*err = rc;
	return NULL;
}

/*
 * A nested HWPT on @parent, from the driver data in @user_data; reserved
 * but not published, like iommufd_hwpt_paging_alloc().
 */
static struct iommufd_hwpt_nested *
iommufd_hwpt_nested_alloc(struct uiommufd_ctx *ictx,
			  struct iommufd_hwpt_paging *parent,
			  struct iommufd_device *idev, uint32_t flags,
			  const struct iommu_user_data *user_data, int *err)
{
	const struct iommu_driver *driver = idev->dev->driver;
	struct iommufd_hwpt_nested *hwpt_nested;
	struct iommufd_hw_pagetable *hwpt;
	int rc;

	if ((flags & ~IOMMU_HWPT_FAULT_ID_VALID) || !user_data->len ||
	    !driver->domain_alloc_user) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	/* Only a parent made for nesting, by this device's driver. */
	if (parent->auto_domain || !parent->nest_parent ||
	    parent->common.domain->owner != driver) {
		*err = -EINVAL;
		return NULL;
	}

	hwpt_nested = iommufd_object_alloc(ictx, hwpt_nested,
					   IOMMUFD_OBJ_HWPT_NESTED);
	if (!hwpt_nested) {
		*err = -errno;
		return NULL;
	}
	hwpt = &hwpt_nested->common;
	atomic_fetch_add(&parent->common.obj.users, 1);
	hwpt_nested->parent = parent;

	hwpt->domain = driver->domain_alloc_user(
		idev->dev, flags & ~IOMMU_HWPT_FAULT_ID_VALID,
		parent->common.domain, user_data, &rc);
	if (!hwpt->domain)
		goto out_abort;
	hwpt->domain->owner = driver;
	if (hwpt->domain->type != IOMMU_DOMAIN_NESTED ||
	    !hwpt->domain->ops->cache_invalidate_user) {
		rc = -EINVAL;
		goto out_abort;
	}
	return hwpt_nested;

out_abort:
	iommufd_object_abort_and_destroy(ictx, &hwpt->obj);
	*err = rc;
	return NULL;
}

/*
 * The device's reserved regions become reserved IOVA of the IOAS under
 * @hwpt (owned by the device): -EADDRINUSE where something is mapped.
 */
int iommufd_device_reserve_iova(struct iommufd_device *idev,
				struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging = find_hwpt_paging(hwpt);
	unsigned int i;
	int rc;

	if (!hwpt_paging)
		return 0;
	for (i = 0; i != idev->dev->nr_resv_regions; i++) {
		const struct iommu_resv_region *r = &idev->dev->resv_regions[i];

		rc = iopt_reserve_iova(&hwpt_paging->ioas->iopt, r->start,
				       r->last, idev->dev);
		if (rc) {
			iommufd_device_unreserve_iova(idev, hwpt);
			return rc;
		}
	}
	return 0;
}

void iommufd_device_unreserve_iova(struct iommufd_device *idev,
				   struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging = find_hwpt_paging(hwpt);

	if (hwpt_paging)
		iopt_remove_reserved_iova(&hwpt_paging->ioas->iopt, idev->dev);
}

/*
 * A HWPT with a fault queue needs the device's page requests on, and an
 * attach handle that its requests will carry.
 */
static int hwpt_attach_handle_get(struct iommufd_hw_pagetable *hwpt,
				  struct iommufd_device *idev,
				  struct iommufd_attach_handle **handle)
{
	int rc;

	*handle = NULL;
	if (!hwpt->fault)
		return 0;
	*handle = iommufd_zalloc(sizeof(**handle));
	if (!*handle)
		return -ENOMEM;
	(*handle)->idev = idev;
	rc = iommufd_fault_iopf_enable(idev);
	if (rc) {
		iommufd_free(*handle);
		*handle = NULL;
	}
	return rc;
}

/* Leaving @hwpt: what still waits from @handle is answered INVALID. */
static void hwpt_attach_handle_put(struct iommufd_hw_pagetable *hwpt,
				   struct iommufd_device *idev,
				   struct iommufd_attach_handle *handle)
{
	if (!hwpt->fault)
		return;
	iommufd_auto_response_faults(hwpt, handle);
	iommufd_fault_iopf_disable(idev);
	iommufd_free(handle);
}

/* Caller holds idev->lock; attaching over another domain replaces it. */
static int iommufd_hwpt_attach_device(struct iommufd_hw_pagetable *hwpt,
				      struct iommufd_device *idev)
{
	struct iommufd_attach_handle *handle;
	int rc;

	rc = hwpt_attach_handle_get(hwpt, idev, &handle);
	if (rc)
		return rc;
	rc = iommu_attach_device_handle(hwpt->domain, idev->dev, handle);
	if (rc && handle) {
		iommufd_fault_iopf_disable(idev);
		iommufd_free(handle);
	}
	return rc;
}

static void iommufd_hwpt_detach_device(struct iommufd_hw_pagetable *hwpt,
				       struct iommufd_device *idev)
{
	struct iommufd_attach_handle *handle = idev->dev->attach_handle;

	iommu_detach_device(idev->dev);
	hwpt_attach_handle_put(hwpt, idev, handle);
}

int iommufd_hwpt_replace_device(struct iommufd_device *idev,
				struct iommufd_hw_pagetable *hwpt,
				struct iommufd_hw_pagetable *old)
{
	struct iommufd_attach_handle *old_handle = idev->dev->attach_handle;
	int rc = iommufd_hwpt_attach_device(hwpt, idev);

	if (!rc)
		hwpt_attach_handle_put(old, idev, old_handle);
	return rc;
}

/* Attach @idev to @hwpt: -EINVAL if it is attached elsewhere already. */
int iommufd_hw_pagetable_attach(struct iommufd_hw_pagetable *hwpt,
				struct iommufd_device *idev)
{
	int rc = 0;

	pthread_mutex_lock(&idev->lock);
	if (idev->hwpt) {
		rc = -EINVAL;
		goto out_unlock;
	}
	rc = iommufd_device_reserve_iova(idev, hwpt);
	if (rc)
		goto out_unlock;
	rc = iommufd_hwpt_attach_device(hwpt, idev);
	if (rc) {
		iommufd_device_unreserve_iova(idev, hwpt);
		goto out_unlock;
	}
	idev->hwpt = hwpt;
	atomic_fetch_add(&hwpt->obj.users, 1);
out_unlock:
	pthread_mutex_unlock(&idev->lock);
	return rc;
}

/* Returns the HWPT @idev was attached to; its reference goes to the caller */
struct iommufd_hw_pagetable *
iommufd_hw_pagetable_detach(struct iommufd_device *idev)
{
	struct iommufd_hw_pagetable *hwpt;

	pthread_mutex_lock(&idev->lock);
	hwpt = idev->hwpt;
	idev->hwpt = NULL;
	if (hwpt)
		iommufd_hwpt_detach_device(hwpt, idev);
	else
		iommu_detach_device(idev->dev);
	iommufd_device_unreserve_iova(idev, hwpt);
	pthread_mutex_unlock(&idev->lock);
	return hwpt;
}

/* Drop a device's hold on @hwpt; an automatic domain goes with its last */
void iommufd_hw_pagetable_put(struct uiommufd_ctx *ictx,
			      struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging = to_hwpt_paging(hwpt);

	if (hwpt_paging && hwpt_paging->auto_domain) {
		iommufd_put_object(&hwpt->obj);
		(void)iommufd_object_remove(ictx, hwpt->obj.id, &hwpt->obj);
		return;
	}
	iommufd_put_object(&hwpt->obj);
}

int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	const struct iommu_user_data user_data = {
		.type = cmd->data_type,
		.uptr = cmd->data_uptr,
		.len = cmd->data_len,
		.umem = iommufd_umem_self(),
	};
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_ioas *ioas = NULL;
	struct iommufd_object *pt_obj;
	struct iommufd_device *idev;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;

	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	pt_obj = iommufd_get_object(ucmd->ictx, cmd->pt_id, IOMMUFD_OBJ_ANY);
	if (!pt_obj) {
		rc = -EINVAL;
		goto out_put_idev;
	}
	if (pt_obj->type == IOMMUFD_OBJ_IOAS) {
		ioas = container_of(pt_obj, struct iommufd_ioas, obj);
		pthread_mutex_lock(&ioas->mutex);
		hwpt_paging = iommufd_hwpt_paging_alloc(
			ucmd->ictx, ioas, idev, cmd->flags, false,
			user_data.len ? &user_data : NULL, &rc);
		if (!hwpt_paging)
			goto out_unlock;
		hwpt = &hwpt_paging->common;
	} else if (pt_obj->type == IOMMUFD_OBJ_HWPT_PAGING) {
		struct iommufd_hwpt_nested *hwpt_nested;

		hwpt_nested = iommufd_hwpt_nested_alloc(
			ucmd->ictx,
			container_of(pt_obj, struct iommufd_hwpt_paging,
				     common.obj),
			idev, cmd->flags, &user_data, &rc);
		if (!hwpt_nested)
			goto out_unlock;
		hwpt = &hwpt_nested->common;
	} else {
		rc = -EINVAL;
		goto out_put_pt;
	}

	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		struct iommufd_fault *fault;

		fault = iommufd_get_fault(ucmd->ictx, cmd->fault_id);
		if (!fault) {
			rc = -ENOENT;
			goto out_hwpt;
		}
		/* The HWPT keeps the user its lookup took. */
		hwpt->fault = fault;
		hwpt->domain->iopf_handler = iommufd_fault_iopf_handler;
		hwpt->domain->fault_data = hwpt;
	}

	cmd->out_hwpt_id = hwpt->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_hwpt;
	iommufd_object_finalize(ucmd->ictx, &hwpt->obj);
	goto out_unlock;

out_hwpt:
	iommufd_object_abort_and_destroy(ucmd->ictx, &hwpt->obj);
out_unlock:
	if (ioas)
		pthread_mutex_unlock(&ioas->mutex);
out_put_pt:
	iommufd_put_object(pt_obj);
out_put_idev:
	iommufd_put_object(&idev->obj);
	return rc;
}

static struct iommufd_hwpt_paging *
iommufd_get_hwpt_paging(struct iommufd_ucmd *ucmd, uint32_t id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_HWPT_PAGING);
	return obj ? container_of(obj, struct iommufd_hwpt_paging, common.obj) :
		     NULL;
}

int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	int rc;

	if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;
	hwpt_paging = iommufd_get_hwpt_paging(ucmd, cmd->hwpt_id);
	if (!hwpt_paging)
		return -ENOENT;
	rc = iopt_set_dirty_tracking(
		&hwpt_paging->ioas->iopt, hwpt_paging->common.domain,
		cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	iommufd_put_object(&hwpt_paging->common.obj);
	return rc;
}

int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	int rc;

	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;
	hwpt_paging = iommufd_get_hwpt_paging(ucmd, cmd->hwpt_id);
	if (!hwpt_paging)
		return -ENOENT;
	rc = iopt_read_and_clear_dirty_data(&hwpt_paging->ioas->iopt,
					    iommufd_umem_self(),
					    hwpt_paging->common.domain,
					    cmd->flags, cmd);
	iommufd_put_object(&hwpt_paging->common.obj);
	return rc;
}

/* The kernel's bound on one call's entries. */
#define IOMMU_HWPT_INVALIDATE_ENTRY_NUM_MAX (1U << 19)

int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct iommu_user_data_array data_array = {
		.type = cmd->data_type,
		.uptr = cmd->data_uptr,
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
		.umem = iommufd_umem_self(),
	};
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_object *obj;
	uint32_t done_num = 0;
	int rc;

	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (cmd->entry_num &&
	    (!cmd->data_uptr || !cmd->entry_len ||
	     cmd->entry_len > IOMMUFD_PAGE_SIZE ||
	     cmd->entry_num > IOMMU_HWPT_INVALIDATE_ENTRY_NUM_MAX)) {
		rc = -EINVAL;
		goto out;
	}
	obj = iommufd_get_object(ucmd->ictx, cmd->hwpt_id,
				 IOMMUFD_OBJ_HWPT_NESTED);
	if (!obj) {
		rc = -ENOENT;
		goto out;
	}
	hwpt = container_of(obj, struct iommufd_hw_pagetable, obj);
	rc = hwpt->domain->ops->cache_invalidate_user(hwpt->domain,
						      &data_array);
	done_num = data_array.entry_num;
	iommufd_put_object(obj);
out:
	/* How far it got goes back even on failure. */
	cmd->entry_num = done_num;
	if (iommufd_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Devices: binding one to a context, attaching it to an IOAS (through an
 * automatic domain, reused when a compatible one exists) or to a HWPT,
 * replacing and detaching, and IOMMU_GET_HW_INFO.
 */
#include <errno.h>

#include "device.h"

void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev =
		container_of(obj, struct iommufd_device, obj);

	idev->dev->bound = false;
	pthread_mutex_destroy(&idev->lock);
}

struct iommufd_device *iommufd_get_device(struct uiommufd_ctx *ictx,
					  uint32_t id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_DEVICE);
	return obj ? container_of(obj, struct iommufd_device, obj) : NULL;
}

/*
 * Bind @dev to @ictx. The device object is published at once, and the
 * caller keeps a reference on it until iommufd_device_unbind(), so that
 * IOMMU_DESTROY of its ID is refused while the binder lives.
 */
struct iommufd_device *iommufd_device_bind(struct uiommufd_ctx *ictx,
					   struct iommufd_dev *dev,
					   uint32_t *id, int *err)
{
	struct iommufd_device *idev;

	if (!iommu_device_capable(dev, IOMMU_CAP_CACHE_COHERENCY)) {
		*err = -EINVAL;
		return NULL;
	}
	if (dev->bound) {
		*err = -EBUSY;
		return NULL;
	}
	idev = iommufd_object_alloc(ictx, idev, IOMMUFD_OBJ_DEVICE);
	if (!idev) {
		*err = -errno;
		return NULL;
	}
	dev->bound = true;
	idev->ictx = ictx;
	idev->dev = dev;
	pthread_mutex_init(&idev->lock, NULL);
	atomic_fetch_add(&idev->obj.users, 1);
	iommufd_object_finalize(ictx, &idev->obj);
	*id = idev->obj.id;
	return idev;
}

/* The binder lets go: the device object is destroyed with it. */
void iommufd_device_unbind(struct iommufd_device *idev)
{
	iommufd_put_object(&idev->obj);
	iommufd_object_destroy_user(idev->ictx, &idev->obj);
}

typedef struct iommufd_hw_pagetable *(*attach_fn)(
	struct iommufd_device *idev, struct iommufd_hw_pagetable *hwpt,
	int *err);

static struct iommufd_hw_pagetable *
iommufd_device_do_attach(struct iommufd_device *idev,
			 struct iommufd_hw_pagetable *hwpt, int *err)
{
	*err = iommufd_hw_pagetable_attach(hwpt, idev);
	return NULL;
}

/*
 * Move an attached @idev to @hwpt. Returns the HWPT it left (whose
 * reference the caller drops), NULL if it was already there.
 */
static struct iommufd_hw_pagetable *
iommufd_device_do_replace(struct iommufd_device *idev,
			  struct iommufd_hw_pagetable *hwpt, int *err)
{
	struct iommufd_hw_pagetable *old_hwpt;
	bool same_ioas;
	int rc;

	*err = 0;
	pthread_mutex_lock(&idev->lock);
	old_hwpt = idev->hwpt;
	if (!old_hwpt) {
		*err = -EINVAL;
		goto out_unlock;
	}
	if (hwpt == old_hwpt) {
		old_hwpt = NULL;
		goto out_unlock;
	}
	/* Reserved regions move with the device when the IOAS changes. */
	same_ioas = find_hwpt_paging(hwpt) && find_hwpt_paging(old_hwpt) &&
		    find_hwpt_paging(hwpt)->ioas ==
			    find_hwpt_paging(old_hwpt)->ioas;
	if (!same_ioas) {
		rc = iommufd_device_reserve_iova(idev, hwpt);
		if (rc) {
			*err = rc;
			old_hwpt = NULL;
			goto out_unlock;
		}
	}
	rc = iommufd_hwpt_replace_device(idev, hwpt, old_hwpt);
	if (rc) {
		if (!same_ioas)
			iommufd_device_unreserve_iova(idev, hwpt);
		*err = rc;
		old_hwpt = NULL;
		goto out_unlock;
	}
	if (!same_ioas)
		iommufd_device_unreserve_iova(idev, old_hwpt);
	idev->hwpt = hwpt;
	atomic_fetch_add(&hwpt->obj.users, 1);
out_unlock:
	pthread_mutex_unlock(&idev->lock);
	return old_hwpt;
}

/*
 * Attach through the IOAS: the first automatic domain of the IOAS that
 * the device accepts, else a new one. A driver's -EINVAL means "not
 * compatible, try the next"; any other error ends the search.
 */
static struct iommufd_hw_pagetable *
iommufd_device_auto_get_domain(struct iommufd_device *idev,
			       struct iommufd_ioas *ioas, uint32_t *pt_id,
			       attach_fn do_attach, int *err)
{
	bool immediate_attach = do_attach == iommufd_device_do_attach;
	struct iommufd_hw_pagetable *destroy_hwpt = NULL;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_hw_pagetable *hwpt;
	struct list_head *pos;

	pthread_mutex_lock(&ioas->mutex);
	list_for_each(pos, &ioas->hwpt_list)
	{
		hwpt_paging =
			list_entry(pos, struct iommufd_hwpt_paging, hwpt_item);
		if (!hwpt_paging->auto_domain)
			continue;
		hwpt = &hwpt_paging->common;
		/* One on its way out (its last device left) is no candidate. */
		if (!iommufd_lock_obj(&hwpt->obj))
			continue;
		destroy_hwpt = do_attach(idev, hwpt, err);
		if (!*err)
			*pt_id = hwpt->obj.id;
		iommufd_put_object(&hwpt->obj);
		if (*err == -EINVAL)
			continue;
		goto out_unlock;
	}

	hwpt_paging = iommufd_hwpt_paging_alloc(idev->ictx, ioas, idev, 0,
						immediate_attach, NULL, err);
	if (!hwpt_paging) {
		destroy_hwpt = NULL;
		goto out_unlock;
	}
	hwpt = &hwpt_paging->common;
	destroy_hwpt = NULL;
	if (!immediate_attach) {
		destroy_hwpt = do_attach(idev, hwpt, err);
		if (*err) {
			iommufd_object_abort_and_destroy(idev->ictx,
							 &hwpt->obj);
			goto out_unlock;
		}
	}
	*err = 0;
	hwpt_paging->auto_domain = true;
	*pt_id = hwpt->obj.id;
	iommufd_object_finalize(idev->ictx, &hwpt->obj);
out_unlock:
	pthread_mutex_unlock(&ioas->mutex);
	return destroy_hwpt;
}

static int iommufd_device_change_pt(struct iommufd_device *idev,
				    uint32_t *pt_id, attach_fn do_attach)
{
	struct iommufd_hw_pagetable *destroy_hwpt = NULL;
	struct iommufd_object *pt_obj;
	int rc;

	pt_obj = iommufd_get_object(idev->ictx, *pt_id, IOMMUFD_OBJ_ANY);
	if (!pt_obj)
		return -ENOENT;
	switch (pt_obj->type) {
	case IOMMUFD_OBJ_HWPT_NESTED:
	case IOMMUFD_OBJ_HWPT_PAGING:
		destroy_hwpt = do_attach(
			idev,
			container_of(pt_obj, struct iommufd_hw_pagetable, obj),
			&rc);
		break;
	case IOMMUFD_OBJ_IOAS:
		destroy_hwpt = iommufd_device_auto_get_domain(
			idev, container_of(pt_obj, struct iommufd_ioas, obj),
			pt_id, do_attach, &rc);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	iommufd_put_object(pt_obj);
	if (destroy_hwpt)
		iommufd_hw_pagetable_put(idev->ictx, destroy_hwpt);
	return rc;
}

/*
 * Attach @idev to the IOAS or HWPT @pt_id. For an IOAS, *pt_id becomes the
 * HWPT actually used.
 */
int iommufd_device_attach(struct iommufd_device *idev, uint32_t *pt_id)
{
	return iommufd_device_change_pt(idev, pt_id, iommufd_device_do_attach);
}

/* Move an attached @idev to @pt_id, without a moment of being unattached */
int iommufd_device_replace(struct iommufd_device *idev, uint32_t *pt_id)
{
	return iommufd_device_change_pt(idev, pt_id, iommufd_device_do_replace);
}

void iommufd_device_detach(struct iommufd_device *idev)
{
	struct iommufd_hw_pagetable *hwpt = iommufd_hw_pagetable_detach(idev);

	if (hwpt)
		iommufd_hw_pagetable_put(idev->ictx, hwpt);
}

int iommufd_get_hw_info(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	struct iommufd_umem *umem = iommufd_umem_self();
	struct iommufd_device *idev;
	uint32_t data_len = 0, type = IOMMU_HW_INFO_TYPE_NONE;
	void *data = NULL;
	int rc = 0;

	if (cmd->flags || cmd->__reserved[0] || cmd->__reserved[1] ||
	    cmd->__reserved[2])
		return -EOPNOTSUPP;
	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	if (idev->dev->driver->hw_info) {
		data = idev->dev->driver->hw_info(idev->dev, &data_len, &type,
						  &rc);
		if (!data)
			goto out_put;
	}
	/* The caller's buffer gets what fits, the rest of it is zeroed. */
	if (cmd->data_len) {
		uint32_t copy = IOMMUFD_MIN(cmd->data_len, data_len);

		if (copy) {
			rc = iommufd_copy_to_user(umem, cmd->data_uptr, data,
						  copy);
			if (rc)
				goto out_free;
		}
		if (cmd->data_len > copy) {
			rc = iommufd_clear_user(umem, cmd->data_uptr + copy,
						cmd->data_len - copy);
			if (rc)
				goto out_free;
		}
	}
	cmd->data_len = data_len;
	cmd->out_data_type = type;
	cmd->out_max_pasid_log2 = 0;
	cmd->out_capabilities = 0;
	if (iommu_device_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	iommufd_free(data);
out_put:
	iommufd_put_object(&idev->obj);
	return rc;
}

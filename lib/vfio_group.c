// SPDX-License-Identifier: BSD-3-Clause
/*
 * Legacy VFIO groups (/dev/vfio/N) of emulated devices: one device per
 * group. A group is set to a container from /dev/vfio/vfio (or any
 * iommufd: the kernel's iommufd-provided container is one), which creates
 * the context's compat IOAS; device fds then come from the group by PCI
 * name, bound to that context and attached to its compat IOAS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uiommufd/abi.h>

#include "device.h"
#include "vfio.h"

#define GROUP_NAME_MAX 4096 /* strndup_user(..., PAGE_SIZE) */

struct vfio_group_file {
	struct uiommufd_file file;
	struct uiommufd_pci_dev *dev;
};

static const struct iommufd_file_ops vfio_group_fops;

static struct vfio_group_file *to_group(struct uiommufd_file *file)
{
	return container_of(file, struct vfio_group_file, file);
}

bool vfio_file_is_group(struct uiommufd_file *file)
{
	return file->ops == &vfio_group_fops;
}

struct uiommufd_pci_dev *vfio_group_file_dev(struct uiommufd_file *file)
{
	return to_group(file)->dev;
}

static void vfio_group_release(struct uiommufd_file *file)
{
	struct vfio_group_file *group = to_group(file);
	struct uiommufd_pci_dev *dev = group->dev;
	struct uiommufd_ctx *ictx;

	pthread_mutex_lock(&vfio_lock);
	ictx = dev->group_ictx;
	dev->group_ictx = NULL;
	dev->group_opened = false;
	pthread_mutex_unlock(&vfio_lock);
	if (ictx)
		iommufd_ctx_put(ictx);
	iommufd_free(group);
}

UIOMMUFD_EXPORT int uiommufd_vfio_group_open(unsigned int nr,
					     struct uiommufd_file **file)
{
	struct uiommufd_pci_dev *dev = pci_dev_find_by_group(nr);
	struct vfio_group_file *group;
	int rc = 0;

	if (!dev)
		return -ENODEV;
	group = iommufd_zalloc(sizeof(*group));
	if (!group)
		return -ENOMEM;
	pthread_mutex_lock(&vfio_lock);
	/* One opener at a time, and not while a device is used via cdev. */
	if (dev->cdev_bind_count || dev->group_opened)
		rc = -EBUSY;
	else
		dev->group_opened = true;
	pthread_mutex_unlock(&vfio_lock);
	if (rc) {
		iommufd_free(group);
		return rc;
	}
	iommufd_file_init(&group->file, vfio_group_release);
	group->file.ops = &vfio_group_fops;
	group->dev = dev;
	*file = &group->file;
	return 0;
}

static int group_get_status(struct uiommufd_pci_dev *dev, uint64_t arg)
{
	struct iommufd_umem *umem = iommufd_umem_self();
	struct vfio_group_status status;

	if (iommufd_copy_from_user(umem, &status, arg, sizeof(status)))
		return -EFAULT;
	if (status.argsz < sizeof(status))
		return -EINVAL;
	status.flags = 0;
	pthread_mutex_lock(&vfio_lock);
	if (dev->group_ictx)
		status.flags = VFIO_GROUP_FLAGS_CONTAINER_SET |
			       VFIO_GROUP_FLAGS_VIABLE;
	else if (!dev->open_count) /* nobody owns its DMA */
		status.flags = VFIO_GROUP_FLAGS_VIABLE;
	pthread_mutex_unlock(&vfio_lock);
	return iommufd_copy_to_user(umem, arg, &status, sizeof(status)) ?
		       -EFAULT :
		       0;
}

static int group_set_container(struct uiommufd_pci_dev *dev, uint64_t arg)
{
	struct uiommufd_ctx *ictx;
	int32_t fd;
	int rc;

	if (iommufd_copy_from_user(iommufd_umem_self(), &fd, arg, sizeof(fd)))
		return -EFAULT;
	ictx = vfio_host_ctx_get(fd, &rc);
	if (!ictx && rc == -EBADF)
		return -EBADF;
	pthread_mutex_lock(&vfio_lock);
	if (dev->group_ictx) {
		rc = -EINVAL;
	} else if (ictx) {
		rc = iommufd_vfio_compat_ioas_create(ictx);
		if (!rc) {
			dev->group_ictx = ictx;
			ictx = NULL;
		}
	} else {
		rc = -EBADFD; /* neither a container nor an iommufd */
	}
	pthread_mutex_unlock(&vfio_lock);
	if (ictx)
		iommufd_ctx_put(ictx);
	return rc;
}

static int group_unset_container(struct uiommufd_pci_dev *dev)
{
	struct uiommufd_ctx *ictx;

	pthread_mutex_lock(&vfio_lock);
	ictx = dev->group_ictx;
	dev->group_ictx = NULL;
	pthread_mutex_unlock(&vfio_lock);
	if (!ictx)
		return -EINVAL;
	/* Devices already open keep their own reference. */
	iommufd_ctx_put(ictx);
	return 0;
}

/*
 * Does @buf name @dev, as vfio-pci matches a GET_DEVICE_FD name? The PCI
 * name, then optionally a space and options: only spaces, or a vf_token=
 * that only an SR-IOV function takes. None of ours is one, so any option
 * is EINVAL (unknown, malformed, or a token given to a function that has
 * no use for it). Anything but a space right after the name is no match.
 * Return: 0 on a match, -ENODEV for none, -EINVAL.
 */
static int pci_name_match(const struct uiommufd_pci_dev *dev, const char *buf)
{
	size_t len = strlen(dev->name);

	if (strncmp(dev->name, buf, len))
		return -ENODEV;
	buf += len;
	if (!*buf)
		return 0;
	if (*buf != ' ')
		return -ENODEV;
	buf += strspn(buf, " ");
	return *buf ? -EINVAL : 0;
}

static int group_get_device_fd(struct uiommufd_pci_dev *dev, uint64_t arg)
{
	struct vfio_device_file *df;
	struct uiommufd_ctx *ictx;
	char *name;
	int rc, fd;

	/* The name, NUL-terminated within a page. */
	name = malloc(GROUP_NAME_MAX);
	if (!name)
		return -ENOMEM;
	rc = iommufd_strncpy_from_user(iommufd_umem_self(), name, arg,
				       GROUP_NAME_MAX);
	if (rc >= 0)
		rc = pci_name_match(dev, name);
	free(name);
	if (rc)
		return rc;

	df = vfio_device_file_alloc(dev, true);
	if (!df)
		return -ENOMEM;
	pthread_mutex_lock(&vfio_lock);
	ictx = dev->group_ictx;
	if (!ictx) {
		rc = -EINVAL;
		goto out_unlock;
	}
	rc = vfio_df_open(df, ictx);
	if (rc)
		goto out_unlock;
	if (dev->open_count == 1) {
		rc = vfio_df_attach_compat(df, ictx);
		if (rc) {
			atomic_store(&df->access_granted, true);
			pthread_mutex_unlock(&vfio_lock);
			uiommufd_file_put(&df->file); /* closes the device */
			return rc;
		}
	}
	atomic_store(&df->access_granted, true);
	/* The fd comes from the context the group is set to. */
	iommufd_ctx_get(ictx);
	pthread_mutex_unlock(&vfio_lock);
	fd = iommufd_file_install(ictx, &df->file);
	iommufd_ctx_put(ictx);
	if (fd < 0)
		uiommufd_file_put(&df->file);
	return fd;

out_unlock:
	pthread_mutex_unlock(&vfio_lock);
	iommufd_free(df);
	return rc;
}

static int vfio_group_ioctl_fn(struct uiommufd_file *file, unsigned int cmd,
			       uint64_t arg)
{
	struct uiommufd_pci_dev *dev = to_group(file)->dev;

	switch (cmd) {
	case VFIO_GROUP_GET_DEVICE_FD:
		return group_get_device_fd(dev, arg);
	case VFIO_GROUP_GET_STATUS:
		return group_get_status(dev, arg);
	case VFIO_GROUP_SET_CONTAINER:
		return group_set_container(dev, arg);
	case VFIO_GROUP_UNSET_CONTAINER:
		return group_unset_container(dev);
	default:
		return -ENOTTY;
	}
}

static const struct iommufd_file_ops vfio_group_fops = {
	.kind = UIOMMUFD_FILE_VFIO_GROUP,
	.ioctl = vfio_group_ioctl_fn,
};

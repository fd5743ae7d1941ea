/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO for emulated PCI devices: device files (vfio_device.c), reached
 * through a VFIO cdev or a group (vfio_group.c).
 *
 * One lock, vfio_lock, covers the VFIO state of every device and group
 * (the kernel has one per device set and per group; devices here are
 * alone in both). Lock order: vfio_lock, then context locks, then a
 * device's own lock.
 */
#ifndef IOMMUFD_VFIO_H
#define IOMMUFD_VFIO_H

#include "devices/pci_device.h"
#include "file.h"

extern pthread_mutex_t vfio_lock;

struct vfio_device_file {
	struct uiommufd_file file;
	struct uiommufd_pci_dev *dev;
	bool via_group;
	/* Set once the file may be used: bound (cdev) or opened (group). */
	atomic_bool access_granted;
	/* cdev: the context it is bound to (a reference), NULL before. */
	struct uiommufd_ctx *ictx;
};

/* A new device file on @dev (not yet usable), or NULL on ENOMEM. */
struct vfio_device_file *vfio_device_file_alloc(struct uiommufd_pci_dev *dev,
						bool via_group);
/* Open @dev for @df through @ictx (first opener binds it); vfio_lock held. */
int vfio_df_open(struct vfio_device_file *df, struct uiommufd_ctx *ictx);
/* Attach the device to @ictx's compat IOAS (group path); vfio_lock held. */
int vfio_df_attach_compat(struct vfio_device_file *df,
			  struct uiommufd_ctx *ictx);

/* The host's answer for @fd (see struct uiommufd_host_ops). */
struct uiommufd_ctx *vfio_host_ctx_get(int fd, int *err);
struct uiommufd_file *vfio_host_file_get(int fd, int *err);

bool vfio_file_is_group(struct uiommufd_file *file);
struct uiommufd_pci_dev *vfio_group_file_dev(struct uiommufd_file *file);
int vfio_group_ioctl(struct uiommufd_file *file, unsigned int cmd,
		     uint64_t arg);

#endif /* IOMMUFD_VFIO_H */

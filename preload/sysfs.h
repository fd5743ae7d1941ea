/* SPDX-License-Identifier: BSD-3-Clause */
/* The sysfs view of emulated PCI devices (sysfs.c). */
#ifndef UIOMMUFD_PRELOAD_SYSFS_H
#define UIOMMUFD_PRELOAD_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uiommufd/device.h>

/* Character device majors of VFIO groups and cdevs (dynamic in Linux). */
#define SHIM_VFIO_GROUP_MAJOR 511
#define SHIM_VFIO_CDEV_MAJOR 510

/* Build the tree for the registered devices; 0 or -errno. */
int sysfs_build(void);
/* The @i-th device, NULL past the last. */
const struct uiommufd_pci_dev_desc *sysfs_device(unsigned int i);
/*
 * @path itself, or its place in the tree (in @buf) when it names an
 * emulated device's sysfs files. @path must be absolute and canonical to
 * be redirected.
 */
const char *sysfs_redirect(const char *path, char *buf, size_t size);
/* Turn a resolved path inside the tree back into its /sys name. */
void sysfs_unredirect(char *resolved);

/*
 * The fault-injection directories of /sys/kernel/debug, a private tree
 * built on first use: @path itself, or its place in the tree.
 */
const char *debugfs_redirect(const char *path, char *buf, size_t size);
void debugfs_unredirect(char *resolved);
/* Does the normalised absolute @norm name a knob (under /sys/kernel/debug
 * or in the tree)? Which, in @dir and @knob. */
bool debugfs_knob_of_path(const char *norm, unsigned int *dir,
			  unsigned int *knob);
/* Could a last path component of @len bytes name a knob? */
bool debugfs_may_be_knob(const char *last, size_t len);

#endif /* UIOMMUFD_PRELOAD_SYSFS_H */

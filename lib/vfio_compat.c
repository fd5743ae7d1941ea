// SPDX-License-Identifier: BSD-3-Clause
/*
 * The VFIO type1 container ioctls, answered on an iommufd context. Not
 * implemented yet: every container ioctl is refused as an unknown one.
 */
#include <errno.h>

#include "iommufd_private.h"

int iommufd_vfio_ioctl(struct uiommufd_ctx *ictx, unsigned int cmd,
		       uint64_t arg)
{
	(void)ictx;
	(void)cmd;
	(void)arg;
	return -ENOTTY;
}

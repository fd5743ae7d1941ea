// SPDX-License-Identifier: BSD-3-Clause
/*
 * VFIO device files of emulated PCI devices, as vfio-pci serves them:
 * binding to an iommufd and attaching to an IOAS or HWPT (cdev path),
 * device, region and interrupt info, interrupts on eventfds, reset, region
 * reads and writes at index << 40, mmap of memory BARs.
 *
 * The first opener of a device binds it to its context (an iommufd device
 * object) and enables it; the last close resets it and unbinds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uiommufd/abi.h>

#include "device.h"
#include "vfio.h"

pthread_mutex_t vfio_lock = PTHREAD_MUTEX_INITIALIZER;

#define VFIO_OFFSET_TO_INDEX(off) ((off) >> VFIO_PCI_OFFSET_SHIFT)
#define VFIO_INDEX_TO_OFFSET(index) ((uint64_t)(index) << VFIO_PCI_OFFSET_SHIFT)
#define VFIO_OFFSET_MASK ((1ULL << VFIO_PCI_OFFSET_SHIFT) - 1)
#define PAGE_SIZE_4K 4096ULL

/* ---- the host: fds named in requests ---------------------------------- */

static const struct uiommufd_host_ops *host_ops;
static void *host_opaque;

UIOMMUFD_EXPORT void uiommufd_set_host_ops(const struct uiommufd_host_ops *ops,
					   void *opaque)
{
	host_opaque = opaque;
	host_ops = ops;
}

struct uiommufd_ctx *vfio_host_ctx_get(int fd, int *err)
{
	if (!host_ops || !host_ops->ctx_get) {
		*err = -EBADF;
		return NULL;
	}
	return host_ops->ctx_get(host_opaque, fd, err);
}

struct uiommufd_file *vfio_host_file_get(int fd, int *err)
{
	if (!host_ops || !host_ops->file_get) {
		*err = -EBADF;
		return NULL;
	}
	return host_ops->file_get(host_opaque, fd, err);
}

/* ---- opening and closing ---------------------------------------------- */

static const struct iommufd_file_ops vfio_device_fops;

static struct vfio_device_file *to_df(struct uiommufd_file *file)
{
	return container_of(file, struct vfio_device_file, file);
}

static void vfio_df_close_locked(struct vfio_device_file *df)
{
	struct uiommufd_pci_dev *dev = df->dev;

	if (--dev->open_count)
		return;
	/* The last user: the device goes quiet and back as it was found. */
	pci_dev_irqs_off(dev);
	pci_dev_reset_function(dev);
	pthread_mutex_lock(&dev->lock);
	memcpy(dev->cfg.data, dev->saved_config, sizeof(dev->saved_config));
	pthread_mutex_unlock(&dev->lock);
	if (dev->attached)
		iommufd_device_detach(dev->idev);
	dev->attached = false;
	iommufd_device_unbind(dev->idev);
	dev->idev = NULL;
	iommufd_ctx_put(dev->ictx);
	dev->ictx = NULL;
	dev->cdev_opened = false;
}

static void vfio_device_file_release(struct uiommufd_file *file)
{
	struct vfio_device_file *df = to_df(file);

	pthread_mutex_lock(&vfio_lock);
	if (atomic_load(&df->access_granted)) {
		vfio_df_close_locked(df);
		if (!df->via_group)
			df->dev->cdev_bind_count--;
	}
	pthread_mutex_unlock(&vfio_lock);
	if (df->ictx)
		iommufd_ctx_put(df->ictx);
	iommufd_free(df);
}

struct vfio_device_file *vfio_device_file_alloc(struct uiommufd_pci_dev *dev,
						bool via_group)
{
	struct vfio_device_file *df = iommufd_zalloc(sizeof(*df));

	if (!df)
		return NULL;
	iommufd_file_init(&df->file, vfio_device_file_release);
	df->file.ops = &vfio_device_fops;
	df->dev = dev;
	df->via_group = via_group;
	return df;
}

int vfio_df_open(struct vfio_device_file *df, struct uiommufd_ctx *ictx)
{
	struct uiommufd_pci_dev *dev = df->dev;
	struct iommufd_device *idev;
	uint32_t devid;
	int rc;

	/* Through its cdev a device has one user at a time. */
	if (dev->open_count && !df->via_group)
		return -EINVAL;
	if (dev->open_count) {
		dev->open_count++;
		return 0;
	}
	idev = iommufd_device_bind(ictx, &dev->iommu_dev, &devid, &rc);
	if (!idev)
		return rc;
	iommufd_ctx_get(ictx);
	dev->idev = idev;
	dev->ictx = ictx;
	dev->devid = devid;
	dev->open_count = 1;
	/* vfio-pci enables the function and resets it, keeping its config. */
	pthread_mutex_lock(&dev->lock);
	memcpy(dev->saved_config, dev->cfg.data, sizeof(dev->saved_config));
	pthread_mutex_unlock(&dev->lock);
	pci_dev_enable(dev);
	pci_dev_reset_function(dev);
	return 0;
}

int vfio_df_attach_compat(struct vfio_device_file *df,
			  struct uiommufd_ctx *ictx)
{
	struct uiommufd_pci_dev *dev = df->dev;
	uint32_t ioas_id;
	int rc;

	rc = iommufd_vfio_compat_ioas_get_id(ictx, &ioas_id);
	if (rc)
		return rc;
	rc = iommufd_device_attach(dev->idev, &ioas_id);
	if (!rc)
		dev->attached = true;
	return rc;
}

UIOMMUFD_EXPORT int uiommufd_vfio_cdev_open(unsigned int index,
					    struct uiommufd_file **file)
{
	struct uiommufd_pci_dev *dev = pci_dev_find_by_index(index);
	struct vfio_device_file *df;

	if (!dev)
		return -ENODEV;
	df = vfio_device_file_alloc(dev, false);
	if (!df)
		return -ENOMEM;
	*file = &df->file;
	return 0;
}

/* ---- cdev: bind, attach, detach ---------------------------------------- */

static int copy_in(void *dst, uint64_t src, size_t len)
{
	return iommufd_copy_from_user(iommufd_umem_self(), dst, src, len);
}

static int copy_out(uint64_t dst, const void *src, size_t len)
{
	return iommufd_copy_to_user(iommufd_umem_self(), dst, src, len);
}

static int vfio_df_bind_iommufd(struct vfio_device_file *df, uint64_t arg)
{
	struct uiommufd_pci_dev *dev = df->dev;
	struct vfio_device_bind_iommufd bind;
	struct uiommufd_ctx *ictx;
	int rc;

	if (copy_in(&bind, arg, sizeof(bind)))
		return -EFAULT;
	if (bind.argsz < sizeof(bind) || bind.flags || bind.iommufd < 0)
		return -EINVAL;
	if (df->via_group)
		return -EINVAL;

	pthread_mutex_lock(&vfio_lock);
	/* A device in use through its group cannot be bound, nor twice. */
	if (dev->group_opened) {
		rc = -EBUSY;
		goto out_unlock;
	}
	if (atomic_load(&df->access_granted)) {
		rc = -EINVAL;
		goto out_unlock;
	}
	ictx = vfio_host_ctx_get(bind.iommufd, &rc);
	if (!ictx)
		goto out_unlock;
	rc = vfio_df_open(df, ictx);
	if (rc) {
		iommufd_ctx_put(ictx);
		goto out_unlock;
	}
	if (copy_out(arg + offsetof(struct vfio_device_bind_iommufd, out_devid),
		     &dev->devid, sizeof(dev->devid))) {
		vfio_df_close_locked(df);
		iommufd_ctx_put(ictx);
		rc = -EFAULT;
		goto out_unlock;
	}
	df->ictx = ictx;
	dev->cdev_opened = true;
	dev->cdev_bind_count++;
	atomic_store(&df->access_granted, true);
out_unlock:
	pthread_mutex_unlock(&vfio_lock);
	return rc;
}

static int vfio_df_attach_pt(struct vfio_device_file *df, uint64_t arg)
{
	struct uiommufd_pci_dev *dev = df->dev;
	struct vfio_device_attach_iommufd_pt attach;
	int rc;

	if (copy_in(&attach, arg, sizeof(attach)))
		return -EFAULT;
	if (attach.argsz < sizeof(attach) || attach.flags)
		return -EINVAL;
	pthread_mutex_lock(&vfio_lock);
	if (dev->attached)
		rc = iommufd_device_replace(dev->idev, &attach.pt_id);
	else
		rc = iommufd_device_attach(dev->idev, &attach.pt_id);
	if (!rc) {
		dev->attached = true;
		if (copy_out(arg + offsetof(struct vfio_device_attach_iommufd_pt,
					    pt_id),
			     &attach.pt_id, sizeof(attach.pt_id))) {
			iommufd_device_detach(dev->idev);
			dev->attached = false;
			rc = -EFAULT;
		}
	}
	pthread_mutex_unlock(&vfio_lock);
	return rc;
}

static int vfio_df_detach_pt(struct vfio_device_file *df, uint64_t arg)
{
	struct vfio_device_detach_iommufd_pt detach;

	if (copy_in(&detach, arg, sizeof(detach)))
		return -EFAULT;
	if (detach.argsz < sizeof(detach) || detach.flags)
		return -EINVAL;
	pthread_mutex_lock(&vfio_lock);
	if (df->dev->attached)
		iommufd_device_detach(df->dev->idev);
	df->dev->attached = false;
	pthread_mutex_unlock(&vfio_lock);
	return 0;
}

/* ---- vfio-pci's ioctls ------------------------------------------------- */

static int vfio_pci_get_info(struct vfio_device_file *df, uint64_t arg)
{
	const size_t minsz = offsetof(struct vfio_device_info, cap_offset);
	struct vfio_device_info info = {};

	(void)df;
	if (copy_in(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	/* Emulated functions can always be reset (vfio-pci's reset_works). */
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_out(arg, &info, IOMMUFD_MIN(info.argsz, sizeof(info))) ?
		       -EFAULT :
		       0;
}

static int vfio_pci_get_region_info(struct vfio_device_file *df, uint64_t arg)
{
	struct uiommufd_pci_dev *dev = df->dev;
	struct vfio_region_info info;

	if (copy_in(&info, arg, sizeof(info)))
		return -EFAULT;
	if (info.argsz < sizeof(info))
		return -EINVAL;
	switch (info.index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.offset = VFIO_INDEX_TO_OFFSET(info.index);
		info.size = PCI_CONFIG_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX: {
		const struct pci_bar *bar = &dev->bars[info.index];

		info.offset = VFIO_INDEX_TO_OFFSET(info.index);
		info.size = bar->size;
		info.flags = 0;
		if (!bar->size)
			break;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		/* Only side-effect-free memory may become a plain mapping. */
		if (bar->mem)
			info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
		break;
	}
	case VFIO_PCI_ROM_REGION_INDEX:
		info.offset = VFIO_INDEX_TO_OFFSET(info.index);
		info.size = 0;
		info.flags = 0;
		break;
	default: /* no VGA, no device-specific regions */
		return -EINVAL;
	}
	return copy_out(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int vfio_pci_get_irq_info(struct vfio_device_file *df, uint64_t arg)
{
	struct vfio_irq_info info;

	if (copy_in(&info, arg, sizeof(info)))
		return -EFAULT;
	if (info.argsz < sizeof(info) || info.index >= VFIO_PCI_NUM_IRQS ||
	    info.index == VFIO_PCI_ERR_IRQ_INDEX) /* not PCI Express */
		return -EINVAL;
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = pci_dev_irq_count(df->dev, info.index);
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return copy_out(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int set_intx(struct uiommufd_pci_dev *dev, unsigned int action,
		    unsigned int type, unsigned int start, unsigned int count,
		    const void *data)
{
	bool is_intx, is_none;
	int32_t fd;

	pthread_mutex_lock(&dev->lock);
	is_intx = dev->irq_type == PCI_IRQ_INTX;
	is_none = dev->irq_type == PCI_NR_IRQ_INDEXES;
	pthread_mutex_unlock(&dev->lock);

	if (action == VFIO_IRQ_SET_ACTION_TRIGGER) {
		if (is_intx && !count && type == PCI_IRQ_DATA_NONE) {
			pci_dev_intx_disable(dev);
			return 0;
		}
		if (!(is_intx || is_none) || start || count != 1)
			return -EINVAL;
		if (type == PCI_IRQ_DATA_EVENTFD) {
			memcpy(&fd, data, sizeof(fd));
			return pci_dev_intx_set_trigger(dev, fd < 0 ? -1 : fd);
		}
		if (!is_intx)
			return -EINVAL;
		if (type == PCI_IRQ_DATA_NONE || *(const uint8_t *)data)
			pci_dev_intx_fire(dev);
		return 0;
	}
	if (!is_intx || start || count != 1)
		return -EINVAL;
	if (type == PCI_IRQ_DATA_EVENTFD) {
		if (action == VFIO_IRQ_SET_ACTION_MASK)
			return -ENOTTY;
		/*
		 * Unmask on an eventfd (KVM's resample irqfd) has no
		 * userspace equivalent here; stopping one is a no-op.
		 */
		memcpy(&fd, data, sizeof(fd));
		return fd >= 0 ? -EOPNOTSUPP : 0;
	}
	if (type == PCI_IRQ_DATA_BOOL && !*(const uint8_t *)data)
		return 0;
	if (action == VFIO_IRQ_SET_ACTION_MASK)
		pci_dev_intx_mask(dev);
	else
		pci_dev_intx_unmask(dev);
	return 0;
}

static int set_msi(struct uiommufd_pci_dev *dev, enum pci_irq_index index,
		   unsigned int type, unsigned int start, unsigned int count,
		   const void *data)
{
	enum pci_irq_index cur;
	unsigned int i;

	pthread_mutex_lock(&dev->lock);
	cur = dev->irq_type;
	pthread_mutex_unlock(&dev->lock);

	if (cur == index && !count && type == PCI_IRQ_DATA_NONE) {
		pci_dev_msi_disable(dev);
		return 0;
	}
	if (cur != index && cur != PCI_NR_IRQ_INDEXES)
		return -EINVAL;
	if (type == PCI_IRQ_DATA_EVENTFD)
		return pci_dev_msi_set_triggers(dev, index, start, count, data);
	if (cur != index)
		return -EINVAL;
	for (i = start; i < start + count; i++)
		if (type == PCI_IRQ_DATA_NONE ||
		    ((const uint8_t *)data)[i - start])
			pci_dev_msi_fire(dev, i);
	return 0;
}

static int vfio_pci_set_irqs(struct vfio_device_file *df, uint64_t arg)
{
	const uint32_t data_types = VFIO_IRQ_SET_DATA_TYPE_MASK;
	const uint32_t actions = VFIO_IRQ_SET_ACTION_TYPE_MASK;
	struct uiommufd_pci_dev *dev = df->dev;
	struct vfio_irq_set hdr;
	unsigned int max, type, action;
	size_t size = 0;
	void *data = NULL;
	int rc;

	if (copy_in(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	max = hdr.index < VFIO_PCI_NUM_IRQS ?
		      pci_dev_irq_count(dev, hdr.index) :
		      0;
	if (hdr.argsz < sizeof(hdr) || hdr.index >= VFIO_PCI_NUM_IRQS ||
	    hdr.count >= UINT32_MAX - hdr.start ||
	    (hdr.flags & ~(data_types | actions)))
		return -EINVAL;
	if (hdr.start >= max || hdr.start + hdr.count > max)
		return -EINVAL;
	switch (hdr.flags & data_types) {
	case VFIO_IRQ_SET_DATA_NONE:
		type = PCI_IRQ_DATA_NONE;
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		type = PCI_IRQ_DATA_BOOL;
		size = 1;
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		type = PCI_IRQ_DATA_EVENTFD;
		size = sizeof(int32_t);
		break;
	default:
		return -EINVAL;
	}
	if (size) {
		if (hdr.argsz - sizeof(hdr) < (uint64_t)hdr.count * size)
			return -EINVAL;
		size *= hdr.count;
		data = malloc(size ? size : 1);
		if (!data)
			return -ENOMEM;
		if (copy_in(data, arg + sizeof(hdr), size)) {
			free(data);
			return -EFAULT;
		}
	}

	action = hdr.flags & actions;
	rc = -ENOTTY; /* no such action for the index */
	switch (hdr.index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_MASK ||
		    action == VFIO_IRQ_SET_ACTION_UNMASK ||
		    action == VFIO_IRQ_SET_ACTION_TRIGGER)
			rc = set_intx(dev, action, type, hdr.start, hdr.count,
				      data);
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			rc = set_msi(dev, hdr.index, type, hdr.start, hdr.count,
				     data);
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			rc = hdr.start || hdr.count > 1 ?
				     -EINVAL :
				     pci_dev_single_trigger(dev, hdr.index,
							    hdr.count, type,
							    data);
		break;
	}
	free(data);
	return rc;
}

static int vfio_pci_reset(struct vfio_device_file *df)
{
	/* A function reset saves and restores the config header around it. */
	pci_dev_reset_function(df->dev);
	return 0;
}

static int vfio_pci_hot_reset_info(struct vfio_device_file *df, uint64_t arg)
{
	const size_t minsz = sizeof(struct vfio_pci_hot_reset_info);
	struct uiommufd_pci_dev *dev = df->dev;
	struct vfio_pci_dependent_device one = {};
	struct vfio_pci_hot_reset_info hdr;

	if (copy_in(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz)
		return -EINVAL;
	/* Each emulated function is alone on a bus that can be reset. */
	if ((hdr.argsz - minsz) / sizeof(one) < 1) {
		hdr.flags = 0;
		hdr.count = 1;
		return copy_out(arg, &hdr, minsz) ? -EFAULT : -ENOSPC;
	}
	pthread_mutex_lock(&vfio_lock);
	if (dev->cdev_opened) {
		hdr.flags = VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
			    VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
		one.devid = dev->devid;
	} else {
		hdr.flags = 0;
		one.group_id = dev->group;
	}
	pthread_mutex_unlock(&vfio_lock);
	one.segment = dev->segment;
	one.bus = dev->bus;
	one.devfn = dev->devfn;
	hdr.count = 1;
	if (copy_out(arg + minsz, &one, sizeof(one)) ||
	    copy_out(arg, &hdr, minsz))
		return -EFAULT;
	return 0;
}

static int vfio_pci_hot_reset(struct vfio_device_file *df, uint64_t arg)
{
	const size_t minsz = sizeof(struct vfio_pci_hot_reset);
	struct vfio_pci_hot_reset hdr;
	bool covered = false;
	uint32_t i;

	if (copy_in(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz || hdr.flags)
		return -EINVAL;
	/* Bound via cdev: an empty set (ownership through the iommufd);
	 * opened via a group: the groups. */
	if (!hdr.count != !df->via_group)
		return -EINVAL;
	if (!hdr.count)
		covered = true;
	else if (hdr.count > 1)
		return -EINVAL;
	for (i = 0; i < hdr.count; i++) {
		struct uiommufd_file *file;
		int32_t fd;
		int err = -EBADF;

		if (copy_in(&fd, arg + minsz + i * sizeof(fd), sizeof(fd)))
			return -EFAULT;
		file = vfio_host_file_get(fd, &err);
		/* An open fd that is not a group is EINVAL, as one of
		 * another device's group is. */
		if (!file)
			return err == -EBADFD ? -EINVAL : -EBADF;
		covered = vfio_file_is_group(file) &&
			  vfio_group_file_dev(file) == df->dev;
		uiommufd_file_put(file);
		if (!covered)
			return -EINVAL;
	}
	if (!covered)
		return -EINVAL;
	pci_dev_reset_function(df->dev);
	return 0;
}

static int vfio_device_feature(uint64_t arg)
{
	const uint32_t known =
		VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_GET |
		VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE;
	struct vfio_device_feature feature;

	if (copy_in(&feature, arg, sizeof(feature)))
		return -EFAULT;
	if (feature.argsz < sizeof(feature) || (feature.flags & ~known))
		return -EINVAL;
	if (!(feature.flags & VFIO_DEVICE_FEATURE_PROBE) &&
	    (feature.flags & VFIO_DEVICE_FEATURE_SET) &&
	    (feature.flags & VFIO_DEVICE_FEATURE_GET))
		return -EINVAL;
	/* No migration, dirty logging, power management or VF token. */
	return -ENOTTY;
}

static int vfio_device_ioctl(struct uiommufd_file *file, unsigned int cmd,
			     uint64_t arg)
{
	struct vfio_device_file *df = to_df(file);

	if (cmd == VFIO_DEVICE_BIND_IOMMUFD)
		return vfio_df_bind_iommufd(df, arg);
	if (!atomic_load(&df->access_granted))
		return -EINVAL;
	if (!df->via_group) {
		if (cmd == VFIO_DEVICE_ATTACH_IOMMUFD_PT)
			return vfio_df_attach_pt(df, arg);
		if (cmd == VFIO_DEVICE_DETACH_IOMMUFD_PT)
			return vfio_df_detach_pt(df, arg);
	}
	switch (cmd) {
	case VFIO_DEVICE_FEATURE:
		return vfio_device_feature(arg);
	case VFIO_DEVICE_GET_INFO:
		return vfio_pci_get_info(df, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vfio_pci_get_irq_info(df, arg);
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
		return vfio_pci_hot_reset_info(df, arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return vfio_pci_get_region_info(df, arg);
	case VFIO_DEVICE_IOEVENTFD:
		return -EINVAL; /* needs an ioeventfd per BAR write: none */
	case VFIO_DEVICE_PCI_HOT_RESET:
		return vfio_pci_hot_reset(df, arg);
	case VFIO_DEVICE_RESET:
		return vfio_pci_reset(df);
	case VFIO_DEVICE_SET_IRQS:
		return vfio_pci_set_irqs(df, arg);
	default:
		return -ENOTTY;
	}
}

/* ---- regions: read, write, mmap ----------------------------------------- */

static ssize_t config_rw(struct uiommufd_pci_dev *dev, uint64_t buf,
			 size_t count, uint64_t pos, bool write)
{
	uint8_t bounce[PCI_CONFIG_SIZE];

	if (!count)
		return 0;
	if (pos >= PCI_CONFIG_SIZE || count > PCI_CONFIG_SIZE - pos)
		return -EFAULT;
	if (write && copy_in(bounce, buf, count))
		return -EFAULT;
	pci_dev_config_rw(dev, (unsigned int)pos, bounce, (unsigned int)count,
			  write);
	if (!write && copy_out(buf, bounce, count))
		return -EFAULT;
	return (ssize_t)count;
}

static ssize_t bar_rw(struct uiommufd_pci_dev *dev, unsigned int bar,
		      uint64_t buf, size_t count, uint64_t pos, bool write)
{
	uint64_t size = dev->bars[bar].size;
	size_t done = 0;

	if (!size || pos >= size)
		return -EINVAL;
	if (count > size - pos)
		count = size - pos;
	while (done < count) {
		size_t left = count - done, n = 1;
		uint64_t off = pos + done;
		uint8_t val[8];

		/* Naturally aligned accesses of up to 8 bytes, as vfio-pci. */
		if (left >= 8 && !(off % 8))
			n = 8;
		else if (left >= 4 && !(off % 4))
			n = 4;
		else if (left >= 2 && !(off % 2))
			n = 2;
		/* A BAR the function does not decode: the access fails
		 * (after the program's data was read, as vfio-pci does). */
		if (write && copy_in(val, buf + done, n))
			return -EFAULT;
		if (!pci_dev_decodes(dev, bar))
			return -EIO;
		if (write) {
			pci_dev_bar_rw(dev, bar, off, val, (unsigned int)n,
				       true);
		} else {
			pci_dev_bar_rw(dev, bar, off, val, (unsigned int)n,
				       false);
			if (copy_out(buf + done, val, n))
				return -EFAULT;
		}
		done += n;
	}
	return (ssize_t)done;
}

static ssize_t vfio_device_rw(struct uiommufd_file *file, uint64_t buf,
			      size_t count, uint64_t offset, bool write)
{
	struct vfio_device_file *df = to_df(file);
	uint64_t index = VFIO_OFFSET_TO_INDEX(offset);
	uint64_t pos = offset & VFIO_OFFSET_MASK;

	if (!atomic_load(&df->access_granted))
		return -EINVAL;
	/* vfio-pci answers 0 bytes before it looks at the offset. */
	if (!count)
		return 0;
	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return config_rw(df->dev, buf, count, pos, write);
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		return bar_rw(df->dev, (unsigned int)index, buf, count, pos,
			      write);
	default: /* no ROM, no VGA */
		return -EINVAL;
	}
}

static int vfio_device_mmap(struct uiommufd_file *file, uint64_t offset,
			    uint64_t len, int flags, int *fd,
			    uint64_t *fd_offset)
{
	struct vfio_device_file *df = to_df(file);
	uint64_t index = VFIO_OFFSET_TO_INDEX(offset);
	uint64_t pos = offset & VFIO_OFFSET_MASK;
	const struct pci_bar *bar;
	uint64_t phys_len;

	if (!atomic_load(&df->access_granted))
		return -EINVAL;
	if (!(flags & MAP_SHARED))
		return -EINVAL;
	if (index >= VFIO_PCI_ROM_REGION_INDEX)
		return -EINVAL;
	bar = &df->dev->bars[index];
	if (!bar->mem || (pos & (PAGE_SIZE_4K - 1)))
		return -EINVAL;
	phys_len = (bar->size + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
	if (pos > phys_len || len > phys_len - pos)
		return -EINVAL;
	*fd = bar->mem_fd;
	*fd_offset = pos;
	return 0;
}

static const struct iommufd_file_ops vfio_device_fops = {
	.kind = UIOMMUFD_FILE_VFIO_DEVICE,
	.ioctl = vfio_device_ioctl,
	.rw = vfio_device_rw,
	.mmap = vfio_device_mmap,
};

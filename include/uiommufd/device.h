/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libuiommufd: emulated PCI devices behind VFIO.
 *
 * A device model defines a PCI function (its config space, BARs and
 * interrupts) and answers its BAR accesses; the library turns it into what
 * a VFIO program expects: a device in an IOMMU group (/dev/vfio/N), a VFIO
 * device cdev (/dev/vfio/devices/vfioN), a device fd with regions and
 * interrupts. The device reaches memory only through the IOMMU domain its
 * user attached it to: uiommufd_pci_dev_dma_read()/_write() translate each
 * access and refuse (an IOMMU fault) what is not mapped with the needed
 * permission.
 *
 * Life cycle: uiommufd_pci_dev_create(), then BARs and capabilities, then
 * uiommufd_pci_dev_register() makes it visible. Registered devices live as
 * long as the process.
 */
#ifndef UIOMMUFD_DEVICE_H
#define UIOMMUFD_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uiommufd/uiommufd.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uiommufd_pci_dev;

/* The identity of a function: its config header's read-only fields. */
struct uiommufd_pci_id {
	uint16_t vendor;
	uint16_t device;
	uint16_t subsys_vendor;
	uint16_t subsys_id;
	uint32_t class_rev; /* class code << 8 | revision */
	uint8_t intx_pin; /* 0: no INTx, 1: INTA */
};

/*
 * What a model implements. Every callback may be NULL.
 * @bar_read/@bar_write: an access of @size bytes (1, 2, 4 or 8) at
 *	@offset of BAR @bar, always inside the BAR. Called from the thread
 *	of the program's pread()/pwrite(); calls may come from several
 *	threads at once, so a model locks its own state.
 * @reset: back to the power-on state (VFIO_DEVICE_RESET, and when the
 *	last user closes the device). When it returns, the model must have
 *	no DMA in flight and none pending.
 * @release: free the model's state (never called for registered devices
 *	before the process exits).
 */
struct uiommufd_pci_dev_ops {
	uint64_t (*bar_read)(struct uiommufd_pci_dev *dev, unsigned int bar,
			     uint64_t offset, unsigned int size);
	void (*bar_write)(struct uiommufd_pci_dev *dev, unsigned int bar,
			  uint64_t offset, uint64_t val, unsigned int size);
	void (*reset)(struct uiommufd_pci_dev *dev);
	void (*release)(struct uiommufd_pci_dev *dev);
};

/* BAR flags for uiommufd_pci_dev_add_bar(). */
enum {
	UIOMMUFD_BAR_IO = 1 << 0, /* an I/O BAR (else memory) */
	UIOMMUFD_BAR_64 = 1 << 1, /* 64-bit memory BAR: takes two slots */
	UIOMMUFD_BAR_PREFETCH = 1 << 2,
	/*
	 * Plain memory without side effects: the library backs it and the
	 * program may mmap it (VFIO_REGION_INFO_FLAG_MMAP); accesses never
	 * reach the model. Without it every access traps to the model, and
	 * the region is reported without the mmap flag.
	 */
	UIOMMUFD_BAR_RAM = 1 << 3,
};

/*
 * uiommufd_pci_dev_create() - a new unregistered device named @name, its
 * PCI address "DDDD:BB:DD.F" (the name sysfs and VFIO use; NULL picks a
 * free one). @priv is the model's, see uiommufd_pci_dev_priv().
 * Return: the device, or NULL with errno (EINVAL: bad name, EEXIST: taken,
 * ENOMEM).
 */
UIOMMUFD_EXPORT struct uiommufd_pci_dev *
uiommufd_pci_dev_create(const char *name, const struct uiommufd_pci_id *id,
			const struct uiommufd_pci_dev_ops *ops, void *priv);

/*
 * uiommufd_pci_dev_add_bar() - BAR @bar of @size bytes (a power of two, at
 * least 4 KiB for memory BARs so that they can be mapped page-wise).
 * Return: 0 or -errno (-EINVAL bad argument, -EBUSY slot taken).
 */
UIOMMUFD_EXPORT int uiommufd_pci_dev_add_bar(struct uiommufd_pci_dev *dev,
					     unsigned int bar, uint64_t size,
					     unsigned int flags);

/* The memory behind a UIOMMUFD_BAR_RAM BAR, NULL for any other. */
UIOMMUFD_EXPORT void *uiommufd_pci_dev_bar_mem(struct uiommufd_pci_dev *dev,
					       unsigned int bar);

/*
 * Capabilities: MSI with 2^@log2_vectors vectors; MSI-X with @nvectors
 * whose table and PBA live in the given (trapped) BAR at the given
 * offsets. Return: the capability's config offset, or -errno.
 */
UIOMMUFD_EXPORT int uiommufd_pci_dev_add_msi(struct uiommufd_pci_dev *dev,
					     unsigned int log2_vectors,
					     bool addr64);
UIOMMUFD_EXPORT int uiommufd_pci_dev_add_msix(struct uiommufd_pci_dev *dev,
					      unsigned int nvectors,
					      unsigned int bar,
					      uint32_t table_offset,
					      uint32_t pba_offset);

/*
 * uiommufd_pci_dev_register() - make @dev visible: it gets an IOMMU group
 * of its own and a VFIO cdev index. Return: 0 or -errno.
 */
UIOMMUFD_EXPORT int uiommufd_pci_dev_register(struct uiommufd_pci_dev *dev);

UIOMMUFD_EXPORT void *uiommufd_pci_dev_priv(struct uiommufd_pci_dev *dev);
UIOMMUFD_EXPORT const char *uiommufd_pci_dev_name(struct uiommufd_pci_dev *dev);

/* ---- for models: what the device does ---------------------------------- */

/*
 * DMA: copy @len bytes between the device and IO virtual address @iova,
 * translated through the domain the device is attached to.
 * Return: 0; -EFAULT (an IOMMU fault) when some page is not mapped, or not
 * mapped writable for a write, or the device is attached to nothing; then
 * the transfer stopped at the faulting page: bytes before it moved, none
 * after. -EPERM when the function's bus master enable is off (nothing
 * moves). A fault is also logged on stderr when tracing, like a kernel's
 * DMAR fault line.
 */
UIOMMUFD_EXPORT int uiommufd_pci_dev_dma_read(struct uiommufd_pci_dev *dev,
					      uint64_t iova, void *buf,
					      size_t len);
UIOMMUFD_EXPORT int uiommufd_pci_dev_dma_write(struct uiommufd_pci_dev *dev,
					       uint64_t iova, const void *buf,
					       size_t len);

/*
 * Interrupts. INTx is a level: asserted until the model lowers it; the
 * program sees one eventfd signal per assertion (VFIO masks INTx when it
 * signals; the program unmasks). MSI/MSI-X: one message per call, to the
 * vector's eventfd. Nothing is delivered when the program registered no
 * eventfd (the interrupt is lost, as with no handler). An MSI is a memory
 * write: with bus mastering off (PCI_COMMAND_MASTER clear) it is dropped.
 * INTx is not, but PCI_COMMAND_INTX_DISABLE holds its signal back until
 * the bit is cleared (the status register shows the line regardless).
 */
UIOMMUFD_EXPORT void uiommufd_pci_dev_set_intx(struct uiommufd_pci_dev *dev,
					       bool level);
/* Whether the program enabled MSI or MSI-X (then use msi_notify). */
UIOMMUFD_EXPORT bool uiommufd_pci_dev_msi_enabled(struct uiommufd_pci_dev *dev);
UIOMMUFD_EXPORT void uiommufd_pci_dev_msi_notify(struct uiommufd_pci_dev *dev,
						 unsigned int vector);

/* ---- for frontends: the nodes a program opens ------------------------- */

/*
 * Open /dev/vfio/@group, or the VFIO cdev /dev/vfio/devices/vfio@index,
 * as a library file (*@file, one reference, which the caller's fd owns).
 * Return: 0, or -ENODEV (no such group or device), -EBUSY (the group is
 * already open, or one of its devices is in use through its cdev),
 * -ENOMEM.
 */
UIOMMUFD_EXPORT int uiommufd_vfio_group_open(unsigned int group,
					     struct uiommufd_file **file);
UIOMMUFD_EXPORT int uiommufd_vfio_cdev_open(unsigned int index,
					    struct uiommufd_file **file);

/* What sysfs says about a registered device. */
struct uiommufd_pci_dev_desc {
	char name[16];
	unsigned int group; /* /dev/vfio/N and iommu_group */
	unsigned int index; /* /dev/vfio/devices/vfioN */
	struct uiommufd_pci_id id;
	uint64_t bar_size[6];
	unsigned int bar_flags[6];
	uint8_t config[256];
};

/* The @n-th registered device. Return: 0, or -ENOENT past the last. */
UIOMMUFD_EXPORT int
uiommufd_pci_dev_describe(unsigned int n, struct uiommufd_pci_dev_desc *desc);

/* ---- built-in models --------------------------------------------------- */

/*
 * uiommufd_devices_add() - create and register built-in devices from
 * @spec: entries separated by ';', each "MODEL[,name=DDDD:BB:DD.F]".
 * Models: "edu" (QEMU's educational device, 1234:11e8).
 * Return: the number of devices added, or -errno (-EINVAL with a message
 * in @err of @err_size bytes for a bad spec).
 */
UIOMMUFD_EXPORT int uiommufd_devices_add(const char *spec, char *err,
					 size_t err_size);

/* The built-in edu model, for programs that define devices themselves. */
UIOMMUFD_EXPORT struct uiommufd_pci_dev *uiommufd_edu_create(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMUFD_DEVICE_H */

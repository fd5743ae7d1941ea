/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Emulated PCI functions (the model side of include/uiommufd/device.h) and
 * what the VFIO layer needs of them: config and BAR accesses, interrupt
 * state, reset, the IOMMU-layer device, the registry of devices.
 *
 * Locking: @lock guards the config space, the interrupt state and the
 * users count. Model callbacks run without it (a model locks its own
 * state), so a model may call back into the interrupt and DMA functions.
 */
#ifndef UIOMMUFD_PCI_DEVICE_H
#define UIOMMUFD_PCI_DEVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <uiommufd/device.h>

#include "../iommu.h"
#include "../pgtable.h"
#include "pci_config.h"

/* The VFIO interrupt indexes (VFIO_PCI_*_IRQ_INDEX). */
enum pci_irq_index {
	PCI_IRQ_INTX,
	PCI_IRQ_MSI,
	PCI_IRQ_MSIX,
	PCI_IRQ_ERR,
	PCI_IRQ_REQ,
	PCI_NR_IRQ_INDEXES,
};

#define PCI_DEV_NAME_LEN 16 /* "DDDD:BB:DD.F" and its NUL */

struct pci_bar {
	uint64_t size; /* 0: none */
	unsigned int flags; /* UIOMMUFD_BAR_* */
	void *mem; /* UIOMMUFD_BAR_RAM: the backing, from memfd @mem_fd */
	int mem_fd;
};

struct uiommufd_pci_dev {
	char name[PCI_DEV_NAME_LEN];
	uint16_t segment;
	uint8_t bus, devfn;
	const struct uiommufd_pci_dev_ops *ops;
	void *priv;
	bool registered;
	unsigned int group; /* /dev/vfio/N */
	unsigned int index; /* /dev/vfio/devices/vfioN */

	/* What the IOMMU layer sees; its domain is what DMA goes through. */
	struct iommufd_dev iommu_dev;

	pthread_mutex_t lock;
	struct pci_config cfg;
	struct pci_bar bars[PCI_NUM_BARS];
	int msi_cap, msix_cap; /* config offsets; 0 when absent */
	unsigned int msi_vectors, msix_vectors;
	unsigned int msix_bar;
	uint32_t msix_table, msix_pba;

	/* Interrupts as VFIO set them up: which index is on, the eventfds
	 * (our own duplicates, -1 when none). */
	enum pci_irq_index irq_type; /* PCI_NR_IRQ_INDEXES: none */
	bool intx_level, intx_masked;
	int intx_fd;
	int *msi_fds; /* irq_type's vector count entries */
	unsigned int nr_msi_fds;
	int err_fd, req_fd;

	/* Device-side state of DMA: the TLB of its one DMA engine. */
	pthread_mutex_t dma_lock;
	struct pgtable_x86_tlb tlb;
	uint64_t nr_faults, last_fault_iova; /* IOMMU faults, under dma_lock */

	/*
	 * VFIO's view of the device (vfio_device.c, vfio_group.c), under
	 * their vfio_lock: how many device files opened it, the iommufd
	 * device object its first opener bound (and the context that holds
	 * it), the group's state.
	 */
	unsigned int open_count;
	struct iommufd_device *idev;
	struct uiommufd_ctx *ictx;
	uint32_t devid;
	bool attached;
	bool cdev_opened;
	uint8_t saved_config[PCI_CONFIG_SIZE]; /* at first open */
	bool group_opened;
	struct uiommufd_ctx *group_ictx;
	unsigned int cdev_bind_count;
};

/* How SET_IRQS carries its data (VFIO_IRQ_SET_DATA_*). */
enum pci_irq_data {
	PCI_IRQ_DATA_NONE,
	PCI_IRQ_DATA_BOOL,
	PCI_IRQ_DATA_EVENTFD,
};

/* Frees a device that was never registered. */
void pci_dev_destroy(struct uiommufd_pci_dev *dev);

/* The registry. */
struct uiommufd_pci_dev *pci_dev_find_by_name(const char *name);
struct uiommufd_pci_dev *pci_dev_find_by_group(unsigned int group);
struct uiommufd_pci_dev *pci_dev_find_by_index(unsigned int index);
/* The @n-th registered device, NULL past the last (for enumeration). */
struct uiommufd_pci_dev *pci_dev_nth(unsigned int n);

/* Config space through the VFIO config region: any length and alignment
 * within 256 bytes, split as the hardware would see it. */
void pci_dev_config_rw(struct uiommufd_pci_dev *dev, unsigned int offset,
		       void *buf, unsigned int len, bool write);
/* A BAR access of 1, 2, 4 or 8 bytes (@offset + @len inside the BAR). */
void pci_dev_bar_rw(struct uiommufd_pci_dev *dev, unsigned int bar,
		    uint64_t offset, void *buf, unsigned int len, bool write);

/*
 * Function reset: the model's reset, then the config header (command,
 * status, BARs, MSI and MSI-X enables cleared). Interrupt set-up is VFIO's
 * and stays.
 */
void pci_dev_reset(struct uiommufd_pci_dev *dev);
/* What VFIO_DEVICE_RESET does (pci_reset_function()): the model's reset
 * and the line down, the config header kept (the kernel saves and restores
 * it around the reset). */
void pci_dev_reset_function(struct uiommufd_pci_dev *dev);
/* What pci_enable_device() does when VFIO opens a device: turn on
 * decoding of its BARs. */
void pci_dev_enable(struct uiommufd_pci_dev *dev);
/* Does the function decode @bar now (command register)? */
bool pci_dev_decodes(struct uiommufd_pci_dev *dev, unsigned int bar);

/* Count of vectors of an interrupt index, as VFIO_DEVICE_GET_IRQ_INFO. */
unsigned int pci_dev_irq_count(struct uiommufd_pci_dev *dev,
			       enum pci_irq_index index);

/*
 * The interrupt side of VFIO_DEVICE_SET_IRQS, already validated for shape
 * (vfio_device.c): each returns 0 or the kernel's -errno. @fds are the
 * program's fds (-1: none); the device keeps duplicates.
 */
int pci_dev_intx_set_trigger(struct uiommufd_pci_dev *dev, int fd);
void pci_dev_intx_disable(struct uiommufd_pci_dev *dev);
void pci_dev_intx_mask(struct uiommufd_pci_dev *dev);
void pci_dev_intx_unmask(struct uiommufd_pci_dev *dev);
/* Signal the INTx eventfd as if the line fired (loopback test). */
void pci_dev_intx_fire(struct uiommufd_pci_dev *dev);
int pci_dev_msi_set_triggers(struct uiommufd_pci_dev *dev,
			     enum pci_irq_index index, unsigned int start,
			     unsigned int count, const int32_t *fds);
void pci_dev_msi_disable(struct uiommufd_pci_dev *dev);
void pci_dev_msi_fire(struct uiommufd_pci_dev *dev, unsigned int vector);
/* The ERR and REQ indexes: one eventfd each (count is 0 or 1). */
int pci_dev_single_trigger(struct uiommufd_pci_dev *dev,
			   enum pci_irq_index index, unsigned int count,
			   unsigned int data_type, const void *data);
/* Turn every interrupt off and drop every eventfd (last close). */
void pci_dev_irqs_off(struct uiommufd_pci_dev *dev);

/* Check that @fd is an eventfd and take a close-on-exec duplicate of it:
 * the duplicate, or -EBADF / -EINVAL as eventfd_ctx_fdget() fails. */
int pci_eventfd_dup(int fd);
void pci_eventfd_signal(int fd);

#endif /* UIOMMUFD_PCI_DEVICE_H */

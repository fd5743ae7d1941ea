// SPDX-License-Identifier: BSD-3-Clause
/*
 * Emulated PCI functions: definition (include/uiommufd/device.h), the
 * registry that gives each a group and a cdev index, config and BAR
 * accesses, interrupts delivered to the program's eventfds the way
 * vfio-pci delivers them, and DMA through the IOMMU domain the device is
 * attached to.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../domain_x86_64.h"
#include "pci_device.h"

#define PCI_MAX_DEVICES 256

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uiommufd_pci_dev *registry[PCI_MAX_DEVICES];
static unsigned int nr_registered;

/* ---- names and the registry ------------------------------------------- */

/* "DDDD:BB:DD.F" in hex, either case; device <= 0x1f, function <= 7. */
static bool parse_pci_name(const char *name, unsigned int *seg,
			   unsigned int *bus, unsigned int *slot,
			   unsigned int *fn)
{
	static const char shape[] = "xxxx:xx:xx.x";
	unsigned int i;

	if (strlen(name) != sizeof(shape) - 1)
		return false;
	for (i = 0; shape[i]; i++)
		if (shape[i] == 'x' ? !isxdigit((unsigned char)name[i]) :
				      name[i] != shape[i])
			return false;
	if (sscanf(name, "%4x:%2x:%2x.%1x", seg, bus, slot, fn) != 4)
		return false;
	return *slot <= 0x1f && *fn <= 7;
}

static struct uiommufd_pci_dev *find_locked(const char *name)
{
	unsigned int i;

	for (i = 0; i < nr_registered; i++)
		if (!strcmp(registry[i]->name, name))
			return registry[i];
	return NULL;
}

struct uiommufd_pci_dev *pci_dev_find_by_name(const char *name)
{
	struct uiommufd_pci_dev *dev;

	pthread_mutex_lock(&registry_lock);
	dev = find_locked(name);
	pthread_mutex_unlock(&registry_lock);
	return dev;
}

struct uiommufd_pci_dev *pci_dev_find_by_group(unsigned int group)
{
	struct uiommufd_pci_dev *dev = NULL;
	unsigned int i;

	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < nr_registered && !dev; i++)
		if (registry[i]->group == group)
			dev = registry[i];
	pthread_mutex_unlock(&registry_lock);
	return dev;
}

struct uiommufd_pci_dev *pci_dev_find_by_index(unsigned int index)
{
	struct uiommufd_pci_dev *dev = NULL;
	unsigned int i;

	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < nr_registered && !dev; i++)
		if (registry[i]->index == index)
			dev = registry[i];
	pthread_mutex_unlock(&registry_lock);
	return dev;
}

struct uiommufd_pci_dev *pci_dev_nth(unsigned int n)
{
	struct uiommufd_pci_dev *dev;

	pthread_mutex_lock(&registry_lock);
	dev = n < nr_registered ? registry[n] : NULL;
	pthread_mutex_unlock(&registry_lock);
	return dev;
}

/* ---- definition --------------------------------------------------------- */

UIOMMUFD_EXPORT struct uiommufd_pci_dev *
uiommufd_pci_dev_create(const char *name, const struct uiommufd_pci_id *id,
			const struct uiommufd_pci_dev_ops *ops, void *priv)
{
	unsigned int seg = 0, bus = 0, slot = 0, fn = 0, i;
	struct uiommufd_pci_dev *dev;
	char buf[PCI_DEV_NAME_LEN];

	if (!id || !ops || id->intx_pin > 1 ||
	    (name && !parse_pci_name(name, &seg, &bus, &slot, &fn))) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&registry_lock);
	if (!name) {
		/* Slots from 4 up on bus 0, as QEMU places its first cards. */
		for (slot = 4; slot <= 0x1f; slot++) {
			snprintf(buf, sizeof(buf), "0000:00:%02x.0", slot);
			if (!find_locked(buf))
				break;
		}
		if (slot > 0x1f) {
			pthread_mutex_unlock(&registry_lock);
			errno = ENOSPC;
			return NULL;
		}
	} else {
		snprintf(buf, sizeof(buf), "%04x:%02x:%02x.%x", seg, bus, slot,
			 fn);
		if (find_locked(buf)) {
			pthread_mutex_unlock(&registry_lock);
			errno = EEXIST;
			return NULL;
		}
	}
	pthread_mutex_unlock(&registry_lock);

	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(dev->name, buf, sizeof(buf));
	dev->segment = (uint16_t)seg;
	dev->bus = (uint8_t)bus;
	dev->devfn = (uint8_t)(slot << 3 | fn);
	dev->ops = ops;
	dev->priv = priv;
	dev->iommu_dev.driver = &x86_iommu_driver;
	dev->iommu_dev.domain = x86_iommu_driver.blocked_domain;
	dev->iommu_dev.resv_regions = &x86_msi_window;
	dev->iommu_dev.nr_resv_regions = 1;
	pthread_rwlock_init(&dev->iommu_dev.domain_lock, NULL);
	pthread_mutex_init(&dev->lock, NULL);
	pthread_mutex_init(&dev->dma_lock, NULL);
	pci_config_init(&dev->cfg, id->vendor, id->device, id->class_rev,
			id->subsys_vendor, id->subsys_id, id->intx_pin);
	for (i = 0; i < PCI_NUM_BARS; i++)
		dev->bars[i].mem_fd = -1;
	dev->irq_type = PCI_NR_IRQ_INDEXES;
	dev->intx_fd = dev->err_fd = dev->req_fd = -1;
	return dev;
}

UIOMMUFD_EXPORT int uiommufd_pci_dev_add_bar(struct uiommufd_pci_dev *dev,
					     unsigned int bar, uint64_t size,
					     unsigned int flags)
{
	struct pci_bar *b;
	uint8_t type = 0;
	int rc;

	if (!dev || dev->registered || bar >= PCI_NUM_BARS ||
	    (flags & ~(unsigned int)(UIOMMUFD_BAR_IO | UIOMMUFD_BAR_64 |
				     UIOMMUFD_BAR_PREFETCH | UIOMMUFD_BAR_RAM)))
		return -EINVAL;
	if (flags & UIOMMUFD_BAR_IO) {
		if (flags != UIOMMUFD_BAR_IO)
			return -EINVAL;
		type = PCI_BASE_ADDRESS_SPACE_IO;
	} else {
		if (size < 4096)
			return -EINVAL;
		if (flags & UIOMMUFD_BAR_64)
			type |= PCI_BASE_ADDRESS_MEM_TYPE_64;
		if (flags & UIOMMUFD_BAR_PREFETCH)
			type |= PCI_BASE_ADDRESS_MEM_PREFETCH;
	}
	b = &dev->bars[bar];
	if (b->size)
		return -EBUSY;
	rc = pci_config_set_bar(&dev->cfg, bar, size, type);
	if (rc)
		return rc;
	if (flags & UIOMMUFD_BAR_RAM) {
		void *mem;
		int fd = memfd_create("uiommufd-bar", MFD_CLOEXEC);

		if (fd < 0)
			return -errno;
		if (ftruncate(fd, (off_t)size)) {
			rc = -errno;
			close(fd);
			return rc;
		}
		mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			   0);
		if (mem == MAP_FAILED) {
			rc = -errno;
			close(fd);
			return rc;
		}
		b->mem = mem;
		b->mem_fd = uiommufd_private_fd_add(fd);
	}
	b->size = size;
	b->flags = flags;
	return 0;
}

UIOMMUFD_EXPORT void *uiommufd_pci_dev_bar_mem(struct uiommufd_pci_dev *dev,
					       unsigned int bar)
{
	return dev && bar < PCI_NUM_BARS ? dev->bars[bar].mem : NULL;
}

UIOMMUFD_EXPORT int uiommufd_pci_dev_add_msi(struct uiommufd_pci_dev *dev,
					     unsigned int log2_vectors,
					     bool addr64)
{
	int off;

	if (!dev || dev->registered || dev->msi_cap || log2_vectors > 5)
		return -EINVAL;
	off = pci_config_add_msi(&dev->cfg, log2_vectors, addr64, false);
	if (off < 0)
		return off;
	dev->msi_cap = off;
	dev->msi_vectors = 1U << log2_vectors;
	return off;
}

UIOMMUFD_EXPORT int uiommufd_pci_dev_add_msix(struct uiommufd_pci_dev *dev,
					      unsigned int nvectors,
					      unsigned int bar,
					      uint32_t table_offset,
					      uint32_t pba_offset)
{
	uint64_t table_end, pba_end;
	int off;

	if (!dev || dev->registered || dev->msix_cap || !nvectors ||
	    nvectors > 2048 || bar >= PCI_NUM_BARS || !dev->bars[bar].size ||
	    (dev->bars[bar].flags & (UIOMMUFD_BAR_RAM | UIOMMUFD_BAR_IO)) ||
	    (table_offset | pba_offset) & 7)
		return -EINVAL;
	table_end = (uint64_t)table_offset + 16ULL * nvectors;
	pba_end = (uint64_t)pba_offset + 8ULL * ((nvectors + 63) / 64);
	if (table_end > dev->bars[bar].size || pba_end > dev->bars[bar].size ||
	    (table_offset < pba_end && pba_offset < table_end))
		return -EINVAL;
	off = pci_config_add_msix(&dev->cfg, nvectors, bar, table_offset, bar,
				  pba_offset);
	if (off < 0)
		return off;
	dev->msix_cap = off;
	dev->msix_vectors = nvectors;
	dev->msix_bar = bar;
	dev->msix_table = table_offset;
	dev->msix_pba = pba_offset;
	return off;
}

UIOMMUFD_EXPORT int uiommufd_pci_dev_register(struct uiommufd_pci_dev *dev)
{
	static unsigned int next_group, next_index;
	int rc = 0;

	if (!dev || dev->registered)
		return -EINVAL;
	pthread_mutex_lock(&registry_lock);
	if (find_locked(dev->name))
		rc = -EEXIST;
	else if (nr_registered == PCI_MAX_DEVICES)
		rc = -ENOSPC;
	if (!rc) {
		dev->group = next_group++;
		dev->index = next_index++;
		dev->registered = true;
		registry[nr_registered++] = dev;
	}
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

UIOMMUFD_EXPORT void *uiommufd_pci_dev_priv(struct uiommufd_pci_dev *dev)
{
	return dev->priv;
}

UIOMMUFD_EXPORT const char *uiommufd_pci_dev_name(struct uiommufd_pci_dev *dev)
{
	return dev->name;
}

/* Frees an unregistered device (a model whose setup failed half way). */
void pci_dev_destroy(struct uiommufd_pci_dev *dev)
{
	unsigned int i;

	if (!dev || dev->registered)
		return;
	if (dev->ops->release)
		dev->ops->release(dev);
	for (i = 0; i < PCI_NUM_BARS; i++) {
		if (dev->bars[i].mem)
			munmap(dev->bars[i].mem, dev->bars[i].size);
		if (dev->bars[i].mem_fd >= 0)
			uiommufd_private_fd_close(dev->bars[i].mem_fd);
	}
	pci_dev_irqs_off(dev);
	pthread_rwlock_destroy(&dev->iommu_dev.domain_lock);
	pthread_mutex_destroy(&dev->lock);
	pthread_mutex_destroy(&dev->dma_lock);
	free(dev);
}

/* ---- config space and BARs ------------------------------------------- */

static void intx_disable_changed_locked(struct uiommufd_pci_dev *dev);

void pci_dev_config_rw(struct uiommufd_pci_dev *dev, unsigned int offset,
		       void *buf, unsigned int len, bool write)
{
	uint16_t cmd_before;
	uint8_t *p = buf;

	pthread_mutex_lock(&dev->lock);
	cmd_before = (uint16_t)pci_config_read(&dev->cfg, PCI_COMMAND, 2);
	while (len) {
		unsigned int n = 1;
		uint32_t val = 0;

		/* Naturally aligned dwords, words, then bytes. */
		if (!(offset & 3) && len >= 4)
			n = 4;
		else if (!(offset & 1) && len >= 2)
			n = 2;
		if (write) {
			memcpy(&val, p, n);
			pci_config_write(&dev->cfg, offset, n, val);
		} else {
			val = pci_config_read(&dev->cfg, offset, n);
			memcpy(p, &val, n);
		}
		p += n;
		offset += n;
		len -= n;
	}
	if ((cmd_before ^ pci_config_read(&dev->cfg, PCI_COMMAND, 2)) &
	    PCI_COMMAND_INTX_DISABLE)
		intx_disable_changed_locked(dev);
	pthread_mutex_unlock(&dev->lock);
}

/*
 * Does [offset, +len) of @bar touch the MSI-X table? Through VFIO the
 * table is not the program's to access (its VMM emulates one): vfio-pci
 * reads it as all ones and drops writes. The PBA reads as no vector
 * pending, since vectors are never masked here.
 */
static bool in_msix_table(struct uiommufd_pci_dev *dev, unsigned int bar,
			  uint64_t offset, unsigned int len)
{
	uint64_t end = dev->msix_table + 16ULL * dev->msix_vectors;

	return dev->msix_cap && bar == dev->msix_bar && offset < end &&
	       offset + len > dev->msix_table;
}

static bool in_msix_pba(struct uiommufd_pci_dev *dev, unsigned int bar,
			uint64_t offset, unsigned int len)
{
	uint64_t end = dev->msix_pba + 8ULL * ((dev->msix_vectors + 63) / 64);

	return dev->msix_cap && bar == dev->msix_bar && offset < end &&
	       offset + len > dev->msix_pba;
}

void pci_dev_bar_rw(struct uiommufd_pci_dev *dev, unsigned int bar,
		    uint64_t offset, void *buf, unsigned int len, bool write)
{
	struct pci_bar *b = &dev->bars[bar];
	uint64_t val = 0;

	if (b->mem) {
		if (write)
			memcpy((uint8_t *)b->mem + offset, buf, len);
		else
			memcpy(buf, (uint8_t *)b->mem + offset, len);
		return;
	}
	if (in_msix_table(dev, bar, offset, len)) {
		if (!write)
			memset(buf, 0xff, len);
		return;
	}
	if (in_msix_pba(dev, bar, offset, len)) {
		if (!write)
			memset(buf, 0, len);
		return;
	}
	if (write) {
		memcpy(&val, buf, len);
		if (dev->ops->bar_write)
			dev->ops->bar_write(dev, bar, offset, val, len);
	} else {
		if (dev->ops->bar_read)
			val = dev->ops->bar_read(dev, bar, offset, len);
		memcpy(buf, &val, len);
	}
}

/*
 * The header after a function reset: command and status cleared, BARs at
 * 0, capabilities disabled; what identifies the function stays.
 */
static void config_reset_locked(struct uiommufd_pci_dev *dev)
{
	struct pci_config *cfg = &dev->cfg;
	unsigned int i;

	pci_config_write(cfg, PCI_COMMAND, 2, 0);
	pci_config_write(cfg, PCI_STATUS, 2, PCI_STATUS_W1C);
	for (i = 0; i < PCI_NUM_BARS; i++)
		pci_config_write(cfg, PCI_BASE_ADDRESS_0 + 4 * i, 4, 0);
	pci_config_write(cfg, PCI_INTERRUPT_LINE, 1, 0);
	if (dev->msi_cap)
		pci_config_write(cfg, dev->msi_cap + PCI_MSI_FLAGS, 2, 0);
	if (dev->msix_cap)
		pci_config_write(cfg, dev->msix_cap + PCI_MSIX_FLAGS, 2, 0);
}

void pci_dev_reset_function(struct uiommufd_pci_dev *dev)
{
	if (dev->ops->reset)
		dev->ops->reset(dev);
	/* The line went down with the reset, whatever the model did. */
	pthread_mutex_lock(&dev->lock);
	dev->intx_level = false;
	dev->cfg.data[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	pthread_mutex_unlock(&dev->lock);
}

void pci_dev_reset(struct uiommufd_pci_dev *dev)
{
	pci_dev_reset_function(dev);
	pthread_mutex_lock(&dev->lock);
	config_reset_locked(dev);
	pthread_mutex_unlock(&dev->lock);
}

void pci_dev_enable(struct uiommufd_pci_dev *dev)
{
	uint16_t cmd = 0;
	unsigned int i;

	/* What pci_enable_device() turns on: decoding of the BARs there are. */
	for (i = 0; i < PCI_NUM_BARS; i++)
		if (dev->bars[i].size)
			cmd |= dev->bars[i].flags & UIOMMUFD_BAR_IO ?
				       PCI_COMMAND_IO :
				       PCI_COMMAND_MEMORY;
	pthread_mutex_lock(&dev->lock);
	pci_config_write(&dev->cfg, PCI_COMMAND, 2,
			 pci_config_read(&dev->cfg, PCI_COMMAND, 2) | cmd);
	pthread_mutex_unlock(&dev->lock);
}

bool pci_dev_decodes(struct uiommufd_pci_dev *dev, unsigned int bar)
{
	uint16_t bit = dev->bars[bar].flags & UIOMMUFD_BAR_IO ?
			       PCI_COMMAND_IO :
			       PCI_COMMAND_MEMORY;
	bool on;

	pthread_mutex_lock(&dev->lock);
	on = pci_config_read(&dev->cfg, PCI_COMMAND, 2) & bit;
	pthread_mutex_unlock(&dev->lock);
	return on;
}

/* ---- interrupts --------------------------------------------------------- */

int pci_eventfd_dup(int fd)
{
	char link[64], target[32];
	ssize_t n;
	long dup;

	if (fd < 0)
		return -EBADF;
	dup = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
	if (dup < 0)
		return errno == EMFILE ? -EMFILE : -EBADF;
	snprintf(link, sizeof(link), "/proc/self/fd/%ld", dup);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0 ||
	    (target[n] = '\0', strcmp(target, "anon_inode:[eventfd]"))) {
		syscall(SYS_close, dup);
		return -EINVAL;
	}
	return uiommufd_private_fd_add((int)dup);
}

void pci_eventfd_signal(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && syscall(SYS_write, fd, &one, sizeof(one)) < 0)
		(void)0; /* a counter at its limit drops the signal */
}

static void eventfd_drop(int *fd)
{
	uiommufd_private_fd_close(*fd);
	*fd = -1;
}

unsigned int pci_dev_irq_count(struct uiommufd_pci_dev *dev,
			       enum pci_irq_index index)
{
	switch (index) {
	case PCI_IRQ_INTX:
		return pci_config_read(&dev->cfg, PCI_INTERRUPT_PIN, 1) ? 1 : 0;
	case PCI_IRQ_MSI:
		return dev->msi_vectors;
	case PCI_IRQ_MSIX:
		return dev->msix_vectors;
	case PCI_IRQ_ERR:
		return 0; /* conventional PCI: no AER */
	case PCI_IRQ_REQ:
		return 1;
	default:
		return 0;
	}
}

/*
 * PCI_COMMAND_INTX_DISABLE as vfio-pci emulates it: while set, INTx is
 * masked and neither an unmask nor a loopback trigger signals; clearing
 * it unmasks (whoever masked), so a line still asserted fires then. The
 * status register keeps showing the line throughout.
 */
static bool intx_disabled_locked(struct uiommufd_pci_dev *dev)
{
	return pci_config_read(&dev->cfg, PCI_COMMAND, 2) &
	       PCI_COMMAND_INTX_DISABLE;
}

/* Deliver INTx if it is asserted and unmasked: VFIO masks it as it
 * signals, the program unmasks when done. */
static void intx_deliver_locked(struct uiommufd_pci_dev *dev)
{
	/* VFIO's handler masks the line even with no eventfd to signal. */
	if (dev->irq_type == PCI_IRQ_INTX && dev->intx_level &&
	    !dev->intx_masked) {
		dev->intx_masked = true;
		pci_eventfd_signal(dev->intx_fd);
	}
}

UIOMMUFD_EXPORT void uiommufd_pci_dev_set_intx(struct uiommufd_pci_dev *dev,
					       bool level)
{
	uint16_t status;

	pthread_mutex_lock(&dev->lock);
	if (!pci_config_read(&dev->cfg, PCI_INTERRUPT_PIN, 1)) {
		pthread_mutex_unlock(&dev->lock);
		return;
	}
	/* The status register shows the line (read-only to software). */
	status = dev->cfg.data[PCI_STATUS] | dev->cfg.data[PCI_STATUS + 1] << 8;
	status = level ? status | PCI_STATUS_INTERRUPT :
			 status & ~PCI_STATUS_INTERRUPT;
	dev->cfg.data[PCI_STATUS] = (uint8_t)status;
	if (level && !dev->intx_level) {
		dev->intx_level = true;
		intx_deliver_locked(dev);
	}
	dev->intx_level = level;
	pthread_mutex_unlock(&dev->lock);
}

int pci_dev_intx_set_trigger(struct uiommufd_pci_dev *dev, int fd)
{
	int dup = -1;

	if (fd >= 0) {
		dup = pci_eventfd_dup(fd);
		if (dup < 0)
			return dup;
	}
	pthread_mutex_lock(&dev->lock);
	if (dev->irq_type != PCI_IRQ_INTX) {
		dev->irq_type = PCI_IRQ_INTX;
		dev->intx_masked = intx_disabled_locked(dev);
	}
	eventfd_drop(&dev->intx_fd);
	dev->intx_fd = dup;
	/* A line already asserted fires as soon as there is a handler. */
	intx_deliver_locked(dev);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

void pci_dev_intx_disable(struct uiommufd_pci_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	if (dev->irq_type == PCI_IRQ_INTX)
		dev->irq_type = PCI_NR_IRQ_INDEXES;
	eventfd_drop(&dev->intx_fd);
	dev->intx_masked = false;
	pthread_mutex_unlock(&dev->lock);
}

void pci_dev_intx_mask(struct uiommufd_pci_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	dev->intx_masked = true;
	pthread_mutex_unlock(&dev->lock);
}

static void intx_unmask_locked(struct uiommufd_pci_dev *dev)
{
	if (intx_disabled_locked(dev))
		return;
	dev->intx_masked = false;
	/* Still asserted: it fires again at once. */
	intx_deliver_locked(dev);
}

void pci_dev_intx_unmask(struct uiommufd_pci_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	intx_unmask_locked(dev);
	pthread_mutex_unlock(&dev->lock);
}

static void intx_disable_changed_locked(struct uiommufd_pci_dev *dev)
{
	if (dev->irq_type != PCI_IRQ_INTX)
		return;
	if (intx_disabled_locked(dev))
		dev->intx_masked = true;
	else
		intx_unmask_locked(dev);
}

void pci_dev_intx_fire(struct uiommufd_pci_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	if (dev->irq_type == PCI_IRQ_INTX && !intx_disabled_locked(dev))
		pci_eventfd_signal(dev->intx_fd);
	pthread_mutex_unlock(&dev->lock);
}

static void msi_off_locked(struct uiommufd_pci_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nr_msi_fds; i++)
		eventfd_drop(&dev->msi_fds[i]);
	free(dev->msi_fds);
	dev->msi_fds = NULL;
	dev->nr_msi_fds = 0;
	if (dev->irq_type == PCI_IRQ_MSI || dev->irq_type == PCI_IRQ_MSIX)
		dev->irq_type = PCI_NR_IRQ_INDEXES;
}

int pci_dev_msi_set_triggers(struct uiommufd_pci_dev *dev,
			     enum pci_irq_index index, unsigned int start,
			     unsigned int count, const int32_t *fds)
{
	int *dups, rc = 0;
	bool enabled_here = false;
	unsigned int i;

	dups = calloc(count ? count : 1, sizeof(*dups));
	if (!dups)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		dups[i] = -1;
		if (fds[i] >= 0) {
			dups[i] = pci_eventfd_dup(fds[i]);
			if (dups[i] < 0) {
				rc = dups[i];
				break;
			}
		}
	}
	pthread_mutex_lock(&dev->lock);
	if (!rc && dev->irq_type != index && !(start + count)) {
		rc = -ERANGE; /* no vectors to allocate */
	} else if (!rc && dev->irq_type != index) {
		/* Enabling allocates the vectors the block reaches. */
		unsigned int n = start + count;

		dev->msi_fds = malloc(n * sizeof(*dev->msi_fds));
		if (!dev->msi_fds) {
			rc = -ENOMEM;
		} else {
			for (i = 0; i < n; i++)
				dev->msi_fds[i] = -1;
			dev->nr_msi_fds = n;
			dev->irq_type = index;
			enabled_here = true;
		}
	}
	if (!rc && start + count > dev->nr_msi_fds)
		rc = -EINVAL; /* more vectors than were enabled */
	if (!rc) {
		for (i = 0; i < count; i++) {
			eventfd_drop(&dev->msi_fds[start + i]);
			dev->msi_fds[start + i] = dups[i];
			dups[i] = -1;
		}
	} else if (enabled_here) {
		msi_off_locked(dev);
	}
	pthread_mutex_unlock(&dev->lock);
	for (i = 0; i < count; i++)
		eventfd_drop(&dups[i]);
	free(dups);
	return rc;
}

void pci_dev_msi_disable(struct uiommufd_pci_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	msi_off_locked(dev);
	pthread_mutex_unlock(&dev->lock);
}

static void msi_fire_locked(struct uiommufd_pci_dev *dev, unsigned int vector)
{
	if ((dev->irq_type == PCI_IRQ_MSI || dev->irq_type == PCI_IRQ_MSIX) &&
	    vector < dev->nr_msi_fds)
		pci_eventfd_signal(dev->msi_fds[vector]);
}

void pci_dev_msi_fire(struct uiommufd_pci_dev *dev, unsigned int vector)
{
	pthread_mutex_lock(&dev->lock);
	msi_fire_locked(dev, vector);
	pthread_mutex_unlock(&dev->lock);
}

UIOMMUFD_EXPORT bool uiommufd_pci_dev_msi_enabled(struct uiommufd_pci_dev *dev)
{
	bool on;

	pthread_mutex_lock(&dev->lock);
	on = dev->irq_type == PCI_IRQ_MSI || dev->irq_type == PCI_IRQ_MSIX;
	pthread_mutex_unlock(&dev->lock);
	return on;
}

UIOMMUFD_EXPORT void uiommufd_pci_dev_msi_notify(struct uiommufd_pci_dev *dev,
						 unsigned int vector)
{
	/* A message is a memory write of the function's: without bus
	 * mastering it never leaves, and is lost (INTx is not a write). */
	pthread_mutex_lock(&dev->lock);
	if (pci_config_read(&dev->cfg, PCI_COMMAND, 2) & PCI_COMMAND_MASTER)
		msi_fire_locked(dev, vector);
	pthread_mutex_unlock(&dev->lock);
}

int pci_dev_single_trigger(struct uiommufd_pci_dev *dev,
			   enum pci_irq_index index, unsigned int count,
			   unsigned int data_type, const void *data)
{
	int *slot = index == PCI_IRQ_ERR ? &dev->err_fd : &dev->req_fd;
	int rc = 0, dup;

	pthread_mutex_lock(&dev->lock);
	switch (data_type) {
	case PCI_IRQ_DATA_NONE:
		if (*slot < 0)
			rc = -EINVAL;
		else if (count)
			pci_eventfd_signal(*slot);
		else
			eventfd_drop(slot);
		break;
	case PCI_IRQ_DATA_BOOL:
		if (!count)
			rc = -EINVAL;
		else if (*(const uint8_t *)data)
			pci_eventfd_signal(*slot);
		break;
	case PCI_IRQ_DATA_EVENTFD: {
		int32_t fd;

		if (!count) {
			rc = -EINVAL;
			break;
		}
		memcpy(&fd, data, sizeof(fd));
		if (fd == -1) {
			eventfd_drop(slot);
		} else if (fd >= 0) {
			dup = pci_eventfd_dup(fd);
			if (dup < 0) {
				rc = dup;
			} else {
				eventfd_drop(slot);
				*slot = dup;
			}
		} else {
			rc = -EINVAL;
		}
		break;
	}
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

void pci_dev_irqs_off(struct uiommufd_pci_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	msi_off_locked(dev);
	eventfd_drop(&dev->intx_fd);
	eventfd_drop(&dev->err_fd);
	eventfd_drop(&dev->req_fd);
	dev->irq_type = PCI_NR_IRQ_INDEXES;
	dev->intx_masked = false;
	pthread_mutex_unlock(&dev->lock);
}

/* ---- DMA ------------------------------------------------------------ */

static bool trace_faults(void)
{
	static int on = -1;

	if (on < 0) {
		const char *t = getenv("UIOMMUFD_TRACE");

		on = t && t[0] && strcmp(t, "0") != 0;
	}
	return on;
}

static int pci_dev_dma(struct uiommufd_pci_dev *dev, uint64_t iova, void *buf,
		       size_t len, bool write)
{
	struct iommu_domain *domain;
	uint64_t fault = iova;
	bool master;
	int rc;

	pthread_mutex_lock(&dev->lock);
	master = pci_config_read(&dev->cfg, PCI_COMMAND, 2) &
		 PCI_COMMAND_MASTER;
	pthread_mutex_unlock(&dev->lock);
	if (!master)
		return -EPERM;
	if (!len)
		return 0;

	pthread_mutex_lock(&dev->dma_lock);
	pthread_rwlock_rdlock(&dev->iommu_dev.domain_lock);
	domain = dev->iommu_dev.domain;
	if (is_x86_domain(domain))
		rc = x86_domain_dma(domain, &dev->tlb, iova, buf, len, write,
				    &fault);
	else
		rc = -EFAULT; /* blocked: attached to nothing */
	pthread_rwlock_unlock(&dev->iommu_dev.domain_lock);
	if (rc == -EFAULT) {
		dev->nr_faults++;
		dev->last_fault_iova = fault;
	}
	pthread_mutex_unlock(&dev->dma_lock);

	if (rc == -EFAULT && trace_faults()) {
		char line[160];
		int n = snprintf(line, sizeof(line),
				 "uiommufd: IOMMU fault: device %s DMA %s at "
				 "IOVA 0x%" PRIx64 ": %s\n",
				 dev->name, write ? "write" : "read", fault,
				 is_x86_domain(domain) ?
					 "no translation with that access" :
					 "device not attached");

		if (syscall(SYS_write, 2, line, (size_t)n) < 0)
			(void)0;
	}
	return rc;
}

UIOMMUFD_EXPORT int uiommufd_pci_dev_dma_read(struct uiommufd_pci_dev *dev,
					      uint64_t iova, void *buf,
					      size_t len)
{
	return pci_dev_dma(dev, iova, buf, len, false);
}

UIOMMUFD_EXPORT int uiommufd_pci_dev_dma_write(struct uiommufd_pci_dev *dev,
					       uint64_t iova, const void *buf,
					       size_t len)
{
	return pci_dev_dma(dev, iova, (void *)buf, len, true);
}

/* ---- built-in models ------------------------------------------------- */

static const struct {
	const char *model;
	struct uiommufd_pci_dev *(*create)(const char *name);
} builtin_models[] = {
	{ "edu", uiommufd_edu_create },
};

/* One "MODEL[,name=BDF]" of @len bytes at @spec. */
static int add_one(const char *spec, size_t len, char *err, size_t err_size)
{
	char buf[128], *opt, *save = NULL, *name = NULL;
	struct uiommufd_pci_dev *dev;
	unsigned int i;
	int rc;

	if (len >= sizeof(buf)) {
		snprintf(err, err_size, "device spec too long: %.*s", (int)len,
			 spec);
		return -EINVAL;
	}
	memcpy(buf, spec, len);
	buf[len] = '\0';
	opt = strtok_r(buf, ",", &save);
	if (!opt) {
		snprintf(err, err_size, "empty device spec");
		return -EINVAL;
	}
	for (i = 0; i < sizeof(builtin_models) / sizeof(builtin_models[0]); i++)
		if (!strcmp(opt, builtin_models[i].model))
			break;
	if (i == sizeof(builtin_models) / sizeof(builtin_models[0])) {
		snprintf(err, err_size,
			 "unknown device model '%s' (known: edu)", opt);
		return -EINVAL;
	}
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (!strncmp(opt, "name=", 5) && !name) {
			name = opt + 5;
			continue;
		}
		snprintf(err, err_size, "unknown device option '%s'", opt);
		return -EINVAL;
	}
	dev = builtin_models[i].create(name);
	if (!dev) {
		rc = -errno;
		snprintf(err, err_size, "%s%s%s: %s", builtin_models[i].model,
			 name ? " " : "", name ? name : "",
			 errno == EINVAL ? "bad PCI name (want DDDD:BB:DD.F)" :
			 errno == EEXIST ? "PCI name already taken" :
					   strerror(errno));
		return rc;
	}
	rc = uiommufd_pci_dev_register(dev);
	if (rc) {
		snprintf(err, err_size, "%s: %s", dev->name,
			 rc == -EEXIST ? "PCI name already taken" :
					 strerror(-rc));
		pci_dev_destroy(dev);
	}
	return rc;
}

UIOMMUFD_EXPORT int uiommufd_devices_add(const char *spec, char *err,
					 size_t err_size)
{
	char dummy[1];
	int n = 0;

	if (!err || !err_size) {
		err = dummy;
		err_size = sizeof(dummy);
	}
	err[0] = '\0';
	if (!spec)
		return 0;
	while (*spec) {
		size_t len = strcspn(spec, ";");
		int rc;

		if (len) {
			rc = add_one(spec, len, err, err_size);
			if (rc)
				return rc;
			n++;
		}
		spec += len;
		if (*spec)
			spec++;
	}
	return n;
}

UIOMMUFD_EXPORT int
uiommufd_pci_dev_describe(unsigned int n, struct uiommufd_pci_dev_desc *desc)
{
	struct uiommufd_pci_dev *dev = pci_dev_nth(n);
	unsigned int i;

	if (!dev)
		return -ENOENT;
	memset(desc, 0, sizeof(*desc));
	memcpy(desc->name, dev->name, sizeof(desc->name));
	desc->group = dev->group;
	desc->index = dev->index;
	pthread_mutex_lock(&dev->lock);
	memcpy(desc->config, dev->cfg.data, sizeof(desc->config));
	pthread_mutex_unlock(&dev->lock);
	desc->id.vendor =
		(uint16_t)pci_config_read(&dev->cfg, PCI_VENDOR_ID, 2);
	desc->id.device =
		(uint16_t)pci_config_read(&dev->cfg, PCI_DEVICE_ID, 2);
	desc->id.subsys_vendor = (uint16_t)pci_config_read(
		&dev->cfg, PCI_SUBSYSTEM_VENDOR_ID, 2);
	desc->id.subsys_id =
		(uint16_t)pci_config_read(&dev->cfg, PCI_SUBSYSTEM_ID, 2);
	desc->id.class_rev = pci_config_read(&dev->cfg, PCI_CLASS_REVISION, 4);
	desc->id.intx_pin =
		(uint8_t)pci_config_read(&dev->cfg, PCI_INTERRUPT_PIN, 1);
	for (i = 0; i < PCI_NUM_BARS; i++) {
		desc->bar_size[i] = dev->bars[i].size;
		desc->bar_flags[i] = dev->bars[i].flags;
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration space of an emulated PCI function, as a program sees it
 * through a VFIO device's config region: the standard type 0 header, BARs
 * that answer the sizing protocol, and a capability list.
 *
 * Every byte has a write mask (bits software may change) and a
 * write-1-to-clear mask (status bits); everything else is read-only, so
 * writing a register back with what was read changes nothing. BAR sizing
 * falls out of the masks: the low address bits of a BAR and its type bits
 * are read-only, so writing all ones reads back as ~(size - 1) | type.
 */
#ifndef UIOMMUFD_PCI_CONFIG_H
#define UIOMMUFD_PCI_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CONFIG_SIZE 256
#define PCI_NUM_BARS 6
#define PCI_BAR_UPPER_HALF UINT64_MAX

/* Header registers (offsets) and the bits the emulation gives meaning to. */
enum {
	PCI_VENDOR_ID = 0x00,
	PCI_DEVICE_ID = 0x02,
	PCI_COMMAND = 0x04,
	PCI_STATUS = 0x06,
	PCI_CLASS_REVISION = 0x08,
	PCI_CACHE_LINE_SIZE = 0x0c,
	PCI_LATENCY_TIMER = 0x0d,
	PCI_HEADER_TYPE = 0x0e,
	PCI_BASE_ADDRESS_0 = 0x10,
	PCI_SUBSYSTEM_VENDOR_ID = 0x2c,
	PCI_SUBSYSTEM_ID = 0x2e,
	PCI_ROM_ADDRESS = 0x30,
	PCI_CAPABILITY_LIST = 0x34,
	PCI_INTERRUPT_LINE = 0x3c,
	PCI_INTERRUPT_PIN = 0x3d,
	PCI_STD_HEADER_SIZEOF = 0x40,
};

enum {
	PCI_COMMAND_IO = 0x1,
	PCI_COMMAND_MEMORY = 0x2,
	PCI_COMMAND_MASTER = 0x4,
	PCI_COMMAND_PARITY = 0x40,
	PCI_COMMAND_SERR = 0x100,
	PCI_COMMAND_INTX_DISABLE = 0x400,

	PCI_STATUS_INTERRUPT = 0x8,
	PCI_STATUS_CAP_LIST = 0x10,
	/* The error bits software clears by writing 1. */
	PCI_STATUS_W1C = 0xf900,

	PCI_BASE_ADDRESS_SPACE_IO = 0x1,
	PCI_BASE_ADDRESS_MEM_TYPE_64 = 0x4,
	PCI_BASE_ADDRESS_MEM_PREFETCH = 0x8,
};

/* Capability IDs, and the MSI capability's registers. */
enum {
	PCI_CAP_ID_MSI = 0x05,
	PCI_CAP_ID_MSIX = 0x11,

	PCI_MSI_FLAGS = 2, /* u16 */
	PCI_MSI_FLAGS_ENABLE = 0x1,
	PCI_MSI_FLAGS_QMASK = 0xe, /* vectors the function can use, log2 */
	PCI_MSI_FLAGS_QSIZE = 0x70, /* vectors software enabled, log2 */
	PCI_MSI_FLAGS_64BIT = 0x80,
	PCI_MSI_FLAGS_MASKBIT = 0x100,

	PCI_MSIX_FLAGS = 2, /* u16 */
	PCI_MSIX_FLAGS_QSIZE = 0x7ff, /* table size - 1 */
	PCI_MSIX_FLAGS_MASKALL = 0x4000,
	PCI_MSIX_FLAGS_ENABLE = 0x8000,
	PCI_MSIX_TABLE = 4, /* u32: BAR indicator | offset */
	PCI_MSIX_PBA = 8, /* u32: BAR indicator | offset */
};

struct pci_config {
	uint8_t data[PCI_CONFIG_SIZE];
	uint8_t wmask[PCI_CONFIG_SIZE];
	uint8_t w1cmask[PCI_CONFIG_SIZE];
	/* 0: no BAR here; PCI_BAR_UPPER_HALF: the top of a 64-bit one */
	uint64_t bar_size[PCI_NUM_BARS];
	/* Where the next capability goes, and the last one's next pointer. */
	uint16_t cap_end;
	uint8_t last_cap_next;
};

/*
 * A header type 0 function with these IDs; @class_rev is the class code
 * (base, sub, prog-if) << 8 | revision. @intx_pin: 0 for none, 1 for INTA.
 */
void pci_config_init(struct pci_config *cfg, uint16_t vendor, uint16_t device,
		     uint32_t class_rev, uint16_t subsys_vendor,
		     uint16_t subsys_id, uint8_t intx_pin);

/*
 * BAR @bar of @size bytes (a power of two; at least 16 for memory, 4 for
 * I/O) with the type bits @flags. A 64-bit BAR takes @bar and @bar + 1.
 * -EINVAL on a bad size, index or flag combination, -EBUSY if taken.
 */
int pci_config_set_bar(struct pci_config *cfg, unsigned int bar, uint64_t size,
		       uint8_t flags);

/* The address the BAR currently holds (type bits removed). */
uint64_t pci_config_bar_address(const struct pci_config *cfg, unsigned int bar);

/*
 * Append a capability of @size bytes (header included) with ID @id, linked
 * into the list. Returns its offset, or -ENOSPC when the 256 bytes are
 * full, -EINVAL for a size below 2.
 */
int pci_config_add_cap(struct pci_config *cfg, uint8_t id, unsigned int size);

/*
 * An MSI capability with 2^@log2_vectors vectors (at most 32), 64-bit
 * addresses when @addr64, per-vector masking when @maskable. Returns its
 * offset or -errno.
 */
int pci_config_add_msi(struct pci_config *cfg, unsigned int log2_vectors,
		       bool addr64, bool maskable);

/*
 * An MSI-X capability for @nvectors (1..2048) vectors whose table and
 * pending-bit array are at the given offsets of the given BARs. Returns its
 * offset or -errno.
 */
int pci_config_add_msix(struct pci_config *cfg, unsigned int nvectors,
			unsigned int table_bar, uint32_t table_offset,
			unsigned int pba_bar, uint32_t pba_offset);

/*
 * Accesses of @len bytes (1, 2 or 4) at @offset, little endian. Bytes past
 * the end of the space read as 0 and ignore writes, as for a function
 * with no extended config space.
 */
uint32_t pci_config_read(const struct pci_config *cfg, unsigned int offset,
			 unsigned int len);
void pci_config_write(struct pci_config *cfg, unsigned int offset,
		      unsigned int len, uint32_t val);

#endif /* UIOMMUFD_PCI_CONFIG_H */

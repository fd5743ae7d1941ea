// SPDX-License-Identifier: BSD-3-Clause
/*
 * Configuration space of an emulated PCI function: masks decide what each
 * write may change (see pci_config.h).
 */
#include <errno.h>
#include <string.h>

#include "pci_config.h"

static void set_le(uint8_t *p, unsigned int len, uint32_t val)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(val >> (8 * i));
}

static uint32_t get_le(const uint8_t *p, unsigned int len)
{
	uint32_t val = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		val |= (uint32_t)p[i] << (8 * i);
	return val;
}

void pci_config_init(struct pci_config *cfg, uint16_t vendor, uint16_t device,
		     uint32_t class_rev, uint16_t subsys_vendor,
		     uint16_t subsys_id, uint8_t intx_pin)
{
	memset(cfg, 0, sizeof(*cfg));
	set_le(cfg->data + PCI_VENDOR_ID, 2, vendor);
	set_le(cfg->data + PCI_DEVICE_ID, 2, device);
	set_le(cfg->data + PCI_CLASS_REVISION, 4, class_rev);
	set_le(cfg->data + PCI_SUBSYSTEM_VENDOR_ID, 2, subsys_vendor);
	set_le(cfg->data + PCI_SUBSYSTEM_ID, 2, subsys_id);
	cfg->data[PCI_INTERRUPT_PIN] = intx_pin;

	set_le(cfg->wmask + PCI_COMMAND, 2,
	       PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		       PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
		       (intx_pin ? PCI_COMMAND_INTX_DISABLE : 0));
	set_le(cfg->w1cmask + PCI_STATUS, 2, PCI_STATUS_W1C);
	cfg->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	cfg->wmask[PCI_LATENCY_TIMER] = 0xff;
	cfg->wmask[PCI_INTERRUPT_LINE] = 0xff;

	cfg->cap_end = PCI_STD_HEADER_SIZEOF;
	cfg->last_cap_next = PCI_CAPABILITY_LIST;
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

int pci_config_set_bar(struct pci_config *cfg, unsigned int bar, uint64_t size,
		       uint8_t flags)
{
	bool io = flags & PCI_BASE_ADDRESS_SPACE_IO;
	bool is64 = flags & PCI_BASE_ADDRESS_MEM_TYPE_64;
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint64_t addr_mask;

	if (bar >= PCI_NUM_BARS || !is_pow2(size))
		return -EINVAL;
	if (io ? (flags != PCI_BASE_ADDRESS_SPACE_IO || size < 4 ||
		  size > (1ULL << 32)) :
		 ((flags & ~(PCI_BASE_ADDRESS_MEM_TYPE_64 |
			     PCI_BASE_ADDRESS_MEM_PREFETCH)) ||
		  size < 16 || (!is64 && size > (1ULL << 31)) ||
		  (is64 && bar + 1 >= PCI_NUM_BARS)))
		return -EINVAL;
	if (cfg->bar_size[bar] || (is64 && cfg->bar_size[bar + 1]))
		return -EBUSY;

	/* Address bits below the size and the type bits are read-only. */
	addr_mask = ~(size - 1) & ~(uint64_t)(io ? 0x3 : 0xf);
	cfg->bar_size[bar] = size;
	set_le(cfg->data + off, 4, flags);
	set_le(cfg->wmask + off, 4, (uint32_t)addr_mask);
	if (is64) {
		cfg->bar_size[bar + 1] = PCI_BAR_UPPER_HALF;
		set_le(cfg->wmask + off + 4, 4, (uint32_t)(addr_mask >> 32));
	}
	return 0;
}

uint64_t pci_config_bar_address(const struct pci_config *cfg, unsigned int bar)
{
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint32_t low;

	if (bar >= PCI_NUM_BARS || !cfg->bar_size[bar] ||
	    cfg->bar_size[bar] == PCI_BAR_UPPER_HALF)
		return 0;
	low = get_le(cfg->data + off, 4);
	if (low & PCI_BASE_ADDRESS_SPACE_IO)
		return low & ~0x3U;
	if (low & PCI_BASE_ADDRESS_MEM_TYPE_64)
		return (low & ~0xfULL) |
		       (uint64_t)get_le(cfg->data + off + 4, 4) << 32;
	return low & ~0xfU;
}

int pci_config_add_cap(struct pci_config *cfg, uint8_t id, unsigned int size)
{
	unsigned int off = (cfg->cap_end + 3) & ~3U;

	if (size < 2)
		return -EINVAL;
	if (off + size > PCI_CONFIG_SIZE)
		return -ENOSPC;
	cfg->data[off] = id;
	cfg->data[off + 1] = 0;
	cfg->data[cfg->last_cap_next] = (uint8_t)off;
	cfg->last_cap_next = (uint8_t)(off + 1);
	cfg->cap_end = (uint16_t)(off + size);
	cfg->data[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	return (int)off;
}

/*
 * MSI layout: flags at 2, the address at 4 (and 8 for its high half when
 * 64-bit), the data after it, then mask and pending bits 4-byte aligned.
 */
int pci_config_add_msi(struct pci_config *cfg, unsigned int log2_vectors,
		       bool addr64, bool maskable)
{
	unsigned int data_off = addr64 ? 0xc : 0x8;
	unsigned int size = maskable ? data_off + 12 : data_off + 2;
	uint16_t flags = (uint16_t)(log2_vectors << 1);
	int off;

	if (log2_vectors > 5)
		return -EINVAL;
	off = pci_config_add_cap(cfg, PCI_CAP_ID_MSI, size);
	if (off < 0)
		return off;
	if (addr64)
		flags |= PCI_MSI_FLAGS_64BIT;
	if (maskable)
		flags |= PCI_MSI_FLAGS_MASKBIT;
	set_le(cfg->data + off + PCI_MSI_FLAGS, 2, flags);
	set_le(cfg->wmask + off + PCI_MSI_FLAGS, 2,
	       PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	set_le(cfg->wmask + off + 4, 4, 0xfffffffc);
	if (addr64)
		set_le(cfg->wmask + off + 8, 4, 0xffffffff);
	set_le(cfg->wmask + off + data_off, 2, 0xffff);
	if (maskable)
		set_le(cfg->wmask + off + data_off + 4, 4,
		       (uint32_t)((1ULL << (1U << log2_vectors)) - 1));
	return off;
}

int pci_config_add_msix(struct pci_config *cfg, unsigned int nvectors,
			unsigned int table_bar, uint32_t table_offset,
			unsigned int pba_bar, uint32_t pba_offset)
{
	int off;

	if (!nvectors || nvectors > 2048 || table_bar >= PCI_NUM_BARS ||
	    pba_bar >= PCI_NUM_BARS || (table_offset & 7) || (pba_offset & 7))
		return -EINVAL;
	off = pci_config_add_cap(cfg, PCI_CAP_ID_MSIX, 12);
	if (off < 0)
		return off;
	set_le(cfg->data + off + PCI_MSIX_FLAGS, 2, nvectors - 1);
	set_le(cfg->wmask + off + PCI_MSIX_FLAGS, 2,
	       PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	set_le(cfg->data + off + PCI_MSIX_TABLE, 4, table_offset | table_bar);
	set_le(cfg->data + off + PCI_MSIX_PBA, 4, pba_offset | pba_bar);
	return off;
}

uint32_t pci_config_read(const struct pci_config *cfg, unsigned int offset,
			 unsigned int len)
{
	uint32_t val = 0;
	unsigned int i;

	for (i = 0; i < len && i < 4; i++)
		if (offset + i < PCI_CONFIG_SIZE)
			val |= (uint32_t)cfg->data[offset + i] << (8 * i);
	return val;
}

void pci_config_write(struct pci_config *cfg, unsigned int offset,
		      unsigned int len, uint32_t val)
{
	unsigned int i;

	for (i = 0; i < len && i < 4; i++) {
		unsigned int at = offset + i;
		uint8_t v = (uint8_t)(val >> (8 * i));

		if (at >= PCI_CONFIG_SIZE)
			break;
		cfg->data[at] = (uint8_t)((cfg->data[at] & ~cfg->wmask[at]) |
					  (v & cfg->wmask[at]));
		cfg->data[at] &= (uint8_t) ~(v & cfg->w1cmask[at]);
	}
}
